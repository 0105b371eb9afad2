//! List commands: pushes, pops, ranges, LPOS/LINSERT/LREM, moves between lists and the
//! blocking variants (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP).
//!
//! Blocking commands block through `Ctx::block`; the dispatcher re-runs the whole command when
//! one of its keys changes, so every blocking command is written to either succeed or block
//! again. A re-run is recognised by `client.blocked` being set: Redis 7.0 only serves a blocked
//! client from keys that hold lists, so during a re-run a key of another type is skipped instead
//! of answering WRONGTYPE (the client keeps waiting).

use std::collections::VecDeque;

use bytes::Bytes;

use super::args;
use crate::resp::Reply;
use crate::server::command::{CommandSpec, acl, flags::*};
use crate::server::notify;
use crate::server::replication::propagate::{arg, int_arg};
use crate::server::state::Ctx;
use crate::server::value::{Entry, Value};
use crate::util::num::parse_i64;

/// The list command family.
pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("lpush", -3, lpush).flags(WRITE | DENYOOM | FAST).acl(acl::LIST).keys(1, 1, 1)
        .doc("list", "1.0.0", "Prepend one or multiple elements to a list"),
    CommandSpec::new("rpush", -3, rpush).flags(WRITE | DENYOOM | FAST).acl(acl::LIST).keys(1, 1, 1)
        .doc("list", "1.0.0", "Append one or multiple elements to a list"),
    CommandSpec::new("lpushx", -3, lpushx).flags(WRITE | DENYOOM | FAST).acl(acl::LIST).keys(1, 1, 1)
        .doc("list", "2.2.0", "Prepend an element to a list, only if the list exists"),
    CommandSpec::new("rpushx", -3, rpushx).flags(WRITE | DENYOOM | FAST).acl(acl::LIST).keys(1, 1, 1)
        .doc("list", "2.2.0", "Append an element to a list, only if the list exists"),
    CommandSpec::new("lpop", -2, lpop).flags(WRITE | FAST).acl(acl::LIST).keys(1, 1, 1)
        .doc("list", "1.0.0", "Remove and get the first elements in a list"),
    CommandSpec::new("rpop", -2, rpop).flags(WRITE | FAST).acl(acl::LIST).keys(1, 1, 1)
        .doc("list", "1.0.0", "Remove and get the last elements in a list"),
    CommandSpec::new("llen", 2, llen).flags(READONLY | FAST).acl(acl::LIST).keys(1, 1, 1)
        .doc("list", "1.0.0", "Get the length of a list"),
    CommandSpec::new("lrange", 4, lrange).flags(READONLY).acl(acl::LIST).keys(1, 1, 1)
        .doc("list", "1.0.0", "Get a range of elements from a list"),
    CommandSpec::new("lindex", 3, lindex).flags(READONLY).acl(acl::LIST).keys(1, 1, 1)
        .doc("list", "1.0.0", "Get an element from a list by its index"),
    CommandSpec::new("lset", 4, lset).flags(WRITE | DENYOOM).acl(acl::LIST).keys(1, 1, 1)
        .doc("list", "1.0.0", "Set the value of an element in a list by its index"),
    CommandSpec::new("lrem", 4, lrem).flags(WRITE).acl(acl::LIST).keys(1, 1, 1)
        .doc("list", "1.0.0", "Remove elements from a list"),
    CommandSpec::new("ltrim", 4, ltrim).flags(WRITE).acl(acl::LIST).keys(1, 1, 1)
        .doc("list", "1.0.0", "Trim a list to the specified range"),
    CommandSpec::new("linsert", 5, linsert).flags(WRITE | DENYOOM).acl(acl::LIST).keys(1, 1, 1)
        .doc("list", "2.2.0", "Insert an element before or after another element in a list"),
    CommandSpec::new("lpos", -3, lpos).flags(READONLY).acl(acl::LIST).keys(1, 1, 1)
        .doc("list", "6.0.6", "Return the index of matching elements on a list"),
    CommandSpec::new("lmove", 5, lmove).flags(WRITE | DENYOOM).acl(acl::LIST).keys(1, 2, 1)
        .doc("list", "6.2.0", "Pop an element from a list, push it to another list and return it"),
    CommandSpec::new("rpoplpush", 3, rpoplpush).flags(WRITE | DENYOOM).acl(acl::LIST).keys(1, 2, 1)
        .doc("list", "1.2.0", "Remove the last element in a list, prepend it to another list and return it"),
    CommandSpec::new("lmpop", -4, lmpop).flags(WRITE).acl(acl::LIST).keys_fn(lmpop_keys)
        .doc("list", "7.0.0", "Pop elements from a list"),
    CommandSpec::new("blpop", -3, blpop).flags(WRITE | NOSCRIPT | BLOCKING).acl(acl::LIST).keys(1, -2, 1)
        .doc("list", "2.0.0", "Remove and get the first element in a list, or block until one is available"),
    CommandSpec::new("brpop", -3, brpop).flags(WRITE | NOSCRIPT | BLOCKING).acl(acl::LIST).keys(1, -2, 1)
        .doc("list", "2.0.0", "Remove and get the last element in a list, or block until one is available"),
    CommandSpec::new("blmove", 6, blmove).flags(WRITE | DENYOOM | NOSCRIPT | BLOCKING).acl(acl::LIST).keys(1, 2, 1)
        .doc("list", "6.2.0", "Pop an element from a list, push it to another list and return it; or block until one is available"),
    CommandSpec::new("brpoplpush", 4, brpoplpush).flags(WRITE | DENYOOM | NOSCRIPT | BLOCKING).acl(acl::LIST).keys(1, 2, 1)
        .doc("list", "2.2.0", "Pop an element from a list, push it to another list and return it; or block until one is available"),
    CommandSpec::new("blmpop", -5, blmpop).flags(WRITE | BLOCKING).acl(acl::LIST).keys_fn(blmpop_keys)
        .doc("list", "7.0.0", "Pop elements from a list, or block until one is available"),
];

/// Which end of a list an operation works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// The head (LEFT, LPUSH, LPOP).
    Left,
    /// The tail (RIGHT, RPUSH, RPOP).
    Right,
}

impl End {
    fn parse(arg: &[u8]) -> Result<End, Reply> {
        if args::is(arg, "left") {
            Ok(End::Left)
        } else if args::is(arg, "right") {
            Ok(End::Right)
        } else {
            Err(args::syntax_error())
        }
    }

    fn push_event(self) -> &'static str {
        match self {
            End::Left => "lpush",
            End::Right => "rpush",
        }
    }

    fn pop_event(self) -> &'static str {
        match self {
            End::Left => "lpop",
            End::Right => "rpop",
        }
    }

    fn push(self, list: &mut VecDeque<Bytes>, v: Bytes) {
        match self {
            End::Left => list.push_front(v),
            End::Right => list.push_back(v),
        }
    }

    fn pop(self, list: &mut VecDeque<Bytes>) -> Option<Bytes> {
        match self {
            End::Left => list.pop_front(),
            End::Right => list.pop_back(),
        }
    }

    /// Pops up to `n` elements, in the order they leave the list.
    fn pop_many(self, list: &mut VecDeque<Bytes>, n: usize) -> Vec<Reply> {
        let n = n.min(list.len());
        match self {
            End::Left => list.drain(..n).map(Reply::Bulk).collect(),
            End::Right => {
                let start = list.len() - n;
                list.drain(start..).rev().map(Reply::Bulk).collect()
            }
        }
    }
}

macro_rules! try_reply {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(reply) => return reply,
        }
    };
}

fn arity_error(name: &str) -> Reply {
    Reply::err(format!(
        "ERR wrong number of arguments for '{name}' command"
    ))
}

/// Parses a count that must be `>= 0`; any failure gives `ERR <msg>` (Redis's
/// `getPositiveLongFromObjectOrReply`, which reports its message for unparsable input too).
fn non_negative(arg: &[u8], msg: &str) -> Result<i64, Reply> {
    match parse_i64(arg) {
        Some(v) if v >= 0 => Ok(v),
        _ => Err(Reply::err(format!("ERR {msg}"))),
    }
}

/// Parses a value that must be `>= 1`, with the same message for every failure.
fn at_least_one(arg: &[u8], msg: &str) -> Result<i64, Reply> {
    match parse_i64(arg) {
        Some(v) if v >= 1 => Ok(v),
        _ => Err(Reply::err(format!("ERR {msg}"))),
    }
}

/// Signals a change of `key` (WATCH, blocked clients) and publishes `event`, without touching
/// the dirty counter: callers add what Redis adds for the operation.
fn touched(ctx: &mut Ctx, key: &[u8], class: u32, event: &str) {
    let db = ctx.db();
    ctx.srv.signal_modified(db, key);
    ctx.srv.notify(class, event, key, db);
}

/// Removes `key` if it holds an empty list, publishing `del` as Redis does.
fn delete_if_empty(ctx: &mut Ctx, key: &[u8]) {
    let db = ctx.db();
    let empty = matches!(
        ctx.srv.dbs[db].entries.get(key),
        Some(Entry { value: Value::List(l), .. }) if l.is_empty()
    );
    if empty {
        ctx.srv.dbs[db].remove(key);
        ctx.srv.notify(notify::GENERIC, "del", key, db);
    }
}

/// Whether this call is the dispatcher re-running a blocked command.
fn is_rerun(ctx: &Ctx) -> bool {
    ctx.client.blocked.is_some()
}

/// Keys once each, in first-seen order (a client waits on a key once however often it is named).
fn unique_keys(keys: &[Bytes]) -> Vec<Bytes> {
    let mut out: Vec<Bytes> = Vec::with_capacity(keys.len());
    for k in keys {
        if !out.contains(k) {
            out.push(k.clone());
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Pushes

fn push_generic(ctx: &mut Ctx, a: &[Bytes], end: End, only_existing: bool) -> Reply {
    let key = &a[1];
    let values = &a[2..];
    let len = match try_reply!(ctx.write_list(key)) {
        Some(list) => {
            for v in values {
                end.push(list, args::own(v));
            }
            list.len()
        }
        None if only_existing => return Reply::Int(0),
        None => {
            let mut list = VecDeque::with_capacity(values.len());
            for v in values {
                end.push(&mut list, args::own(v));
            }
            let len = list.len();
            ctx.store(key, Value::List(Box::new(list)));
            len
        }
    };
    touched(ctx, key, notify::LIST, end.push_event());
    ctx.srv.dirty += values.len() as u64;
    Reply::Int(len as i64)
}

fn lpush(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    push_generic(ctx, a, End::Left, false)
}

fn rpush(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    push_generic(ctx, a, End::Right, false)
}

fn lpushx(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    push_generic(ctx, a, End::Left, true)
}

fn rpushx(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    push_generic(ctx, a, End::Right, true)
}

// ---------------------------------------------------------------------------------------------
// Pops

fn pop_generic(ctx: &mut Ctx, a: &[Bytes], end: End, name: &str) -> Reply {
    if a.len() > 3 {
        return arity_error(name);
    }
    let count = match a.get(2) {
        Some(arg) => Some(try_reply!(non_negative(
            arg,
            "value is out of range, must be positive"
        ))),
        None => None,
    };
    let key = &a[1];
    let popped = match try_reply!(ctx.write_list(key)) {
        None => {
            return if count.is_some() {
                Reply::NullArray
            } else {
                Reply::Null
            };
        }
        Some(_) if count == Some(0) => return Reply::Array(Vec::new()),
        Some(list) => match count {
            None => match end.pop(list) {
                Some(v) => Reply::Bulk(v),
                None => return Reply::Null,
            },
            Some(n) => Reply::Array(end.pop_many(list, n as usize)),
        },
    };
    let n = match &popped {
        Reply::Array(v) => v.len() as u64,
        _ => 1,
    };
    touched(ctx, key, notify::LIST, end.pop_event());
    delete_if_empty(ctx, key);
    ctx.srv.dirty += n;
    popped
}

fn lpop(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    pop_generic(ctx, a, End::Left, "lpop")
}

fn rpop(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    pop_generic(ctx, a, End::Right, "rpop")
}

// ---------------------------------------------------------------------------------------------
// Reads

fn llen(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    match try_reply!(ctx.read_list(&a[1])) {
        Some(list) => Reply::Int(list.len() as i64),
        None => Reply::Int(0),
    }
}

fn lrange(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let start = try_reply!(args::int(&a[2]));
    let end = try_reply!(args::int(&a[3]));
    let Some(list) = try_reply!(ctx.read_list(&a[1])) else {
        return Reply::Array(Vec::new());
    };
    match args::range(start, end, list.len()) {
        Some((s, e)) => Reply::Array(list.range(s..=e).cloned().map(Reply::Bulk).collect()),
        None => Reply::Array(Vec::new()),
    }
}

/// Resolves a possibly negative index against a length.
fn resolve_index(index: i64, len: usize) -> Option<usize> {
    let len = len as i64;
    let i = if index < 0 { len + index } else { index };
    (0..len).contains(&i).then_some(i as usize)
}

fn lindex(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let Some(list) = try_reply!(ctx.read_list(&a[1])) else {
        return Reply::Null;
    };
    let index = try_reply!(args::int(&a[2]));
    match resolve_index(index, list.len()).and_then(|i| list.get(i)) {
        Some(v) => Reply::Bulk(v.clone()),
        None => Reply::Null,
    }
}

fn lpos(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let mut rank: i64 = 1;
    let mut count: Option<i64> = None;
    let mut maxlen: i64 = 0;
    let mut i = 3;
    while i < a.len() {
        let has_value = i + 1 < a.len();
        if args::is(&a[i], "rank") && has_value {
            rank = try_reply!(args::int(&a[i + 1]));
            if rank == 0 {
                return Reply::err(
                    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
                );
            }
        } else if args::is(&a[i], "count") && has_value {
            count = Some(try_reply!(non_negative(
                &a[i + 1],
                "COUNT can't be negative"
            )));
        } else if args::is(&a[i], "maxlen") && has_value {
            maxlen = try_reply!(non_negative(&a[i + 1], "MAXLEN can't be negative"));
        } else {
            return args::syntax_error();
        }
        i += 2;
    }
    // A negative rank searches from the tail. Like Redis, the most negative rank stays negative
    // after negation, which makes it match the first element found.
    let from_tail = rank < 0;
    if from_tail {
        rank = rank.wrapping_neg();
    }
    let Some(list) = try_reply!(ctx.read_list(&a[1])) else {
        return if count.is_some() {
            Reply::Array(Vec::new())
        } else {
            Reply::Null
        };
    };
    let needle = &a[2][..];
    let len = list.len();
    let mut found = Vec::new();
    let mut matches: i64 = 0;
    for scanned in 0..len {
        if maxlen != 0 && scanned as i64 >= maxlen {
            break;
        }
        let pos = if from_tail {
            len - 1 - scanned
        } else {
            scanned
        };
        if list[pos] != needle {
            continue;
        }
        matches += 1;
        if matches < rank {
            continue;
        }
        found.push(Reply::Int(pos as i64));
        match count {
            None => break,
            Some(c) if c != 0 && matches.wrapping_sub(rank).wrapping_add(1) >= c => break,
            _ => {}
        }
    }
    match count {
        Some(_) => Reply::Array(found),
        None => found.pop().unwrap_or(Reply::Null),
    }
}

// ---------------------------------------------------------------------------------------------
// In-place modifications

fn lset(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let Some(list) = try_reply!(ctx.write_list(&a[1])) else {
        return Reply::err("ERR no such key");
    };
    let index = try_reply!(args::int(&a[2]));
    let Some(slot) = resolve_index(index, list.len()).and_then(|i| list.get_mut(i)) else {
        return Reply::err("ERR index out of range");
    };
    *slot = args::own(&a[3]);
    touched(ctx, &a[1], notify::LIST, "lset");
    ctx.srv.dirty += 1;
    Reply::Ok
}

fn lrem(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let count = try_reply!(args::int(&a[2]));
    let key = &a[1];
    let needle = &a[3][..];
    let Some(list) = try_reply!(ctx.write_list(key)) else {
        return Reply::Int(0);
    };
    let limit = count.unsigned_abs();
    // Index from which matches are removed: everything for count >= 0 (bounded by `limit`
    // while walking from the head), or the last `limit` matches for a negative count.
    let first_removable = if count < 0 {
        let mut seen = 0u64;
        let mut at = 0;
        for (i, v) in list.iter().enumerate().rev() {
            if v == needle {
                seen += 1;
                at = i;
                if seen == limit {
                    break;
                }
            }
        }
        at
    } else {
        0
    };
    let mut removed = 0u64;
    let mut idx = 0usize;
    list.retain(|v| {
        let i = idx;
        idx += 1;
        let hit = i >= first_removable && v == needle && (limit == 0 || removed < limit);
        if hit {
            removed += 1;
        }
        !hit
    });
    if removed > 0 {
        touched(ctx, key, notify::LIST, "lrem");
        ctx.srv.dirty += removed;
    }
    delete_if_empty(ctx, key);
    Reply::Int(removed as i64)
}

fn ltrim(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let start = try_reply!(args::int(&a[2]));
    let end = try_reply!(args::int(&a[3]));
    let key = &a[1];
    let Some(list) = try_reply!(ctx.write_list(key)) else {
        return Reply::Ok;
    };
    let len = list.len();
    let removed = match args::range(start, end, len) {
        Some((s, e)) => {
            list.truncate(e + 1);
            list.drain(..s);
            len - list.len()
        }
        None => {
            list.clear();
            len
        }
    };
    touched(ctx, key, notify::LIST, "ltrim");
    delete_if_empty(ctx, key);
    ctx.srv.dirty += removed as u64;
    Reply::Ok
}

fn linsert(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let after = if args::is(&a[2], "after") {
        true
    } else if args::is(&a[2], "before") {
        false
    } else {
        return args::syntax_error();
    };
    let key = &a[1];
    let Some(list) = try_reply!(ctx.write_list(key)) else {
        return Reply::Int(0);
    };
    let pivot = &a[3][..];
    let Some(pos) = list.iter().position(|v| v == pivot) else {
        return Reply::Int(-1);
    };
    list.insert(if after { pos + 1 } else { pos }, args::own(&a[4]));
    let len = list.len();
    touched(ctx, key, notify::LIST, "linsert");
    ctx.srv.dirty += 1;
    Reply::Int(len as i64)
}

// ---------------------------------------------------------------------------------------------
// Moves between lists

/// LMOVE core: null when the source is missing, WRONGTYPE when either key holds another type
/// (source checked first); otherwise moves one element and publishes the push event on the
/// destination before the pop event on the source, as Redis does.
fn move_element(ctx: &mut Ctx, src: &Bytes, dst: &Bytes, from: End, to: End) -> Reply {
    if try_reply!(ctx.write_list(src)).is_none_or(|l| l.is_empty()) {
        return Reply::Null;
    }
    if let Err(e) = ctx.write_list(dst) {
        return e;
    }
    let Some(value) = ctx.write_list(src).ok().flatten().and_then(|l| from.pop(l)) else {
        return Reply::Null;
    };
    match ctx.write_list(dst) {
        Ok(Some(list)) => to.push(list, value.clone()),
        _ => {
            let mut list = VecDeque::with_capacity(1);
            list.push_back(value.clone());
            ctx.store(dst, Value::List(Box::new(list)));
        }
    }
    touched(ctx, dst, notify::LIST, to.push_event());
    touched(ctx, src, notify::LIST, from.pop_event());
    delete_if_empty(ctx, src);
    ctx.srv.dirty += 1;
    Reply::Bulk(value)
}

fn lmove(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let from = try_reply!(End::parse(&a[3]));
    let to = try_reply!(End::parse(&a[4]));
    move_element(ctx, &a[1], &a[2], from, to)
}

fn rpoplpush(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    move_element(ctx, &a[1], &a[2], End::Right, End::Left)
}

/// BLMOVE/BRPOPLPUSH after argument parsing.
fn blocking_move(ctx: &mut Ctx, a: &[Bytes], from: End, to: End, timeout: i64) -> Reply {
    let src = &a[1];
    let rerun = is_rerun(ctx);
    let ready = match ctx.write_list(src) {
        Ok(Some(list)) => !list.is_empty(),
        Ok(None) => false,
        Err(_) if rerun => false,
        Err(e) => return e,
    };
    if ready {
        // Served (now or after blocking): replicas get the non-blocking equivalent.
        let argv = if a.len() == 6 {
            vec![
                arg("LMOVE"),
                a[1].clone(),
                a[2].clone(),
                a[3].clone(),
                a[4].clone(),
            ]
        } else {
            vec![arg("RPOPLPUSH"), a[1].clone(), a[2].clone()]
        };
        ctx.propagate_as(argv);
        return move_element(ctx, src, &a[2], from, to);
    }
    if ctx.client.in_exec {
        // Redis answers a null bulk here but a null array on timeout.
        return Reply::Null;
    }
    ctx.block(std::slice::from_ref(src), a, timeout, Reply::NullArray)
}

fn blmove(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let from = try_reply!(End::parse(&a[3]));
    let to = try_reply!(End::parse(&a[4]));
    let timeout = try_reply!(args::timeout_ms(&a[5]));
    blocking_move(ctx, a, from, to, timeout)
}

fn brpoplpush(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let timeout = try_reply!(args::timeout_ms(&a[3]));
    blocking_move(ctx, a, End::Right, End::Left, timeout)
}

// ---------------------------------------------------------------------------------------------
// Multi-key pops

/// Pops from the first non-empty list among `keys`: `Some((key, popped))`, where `count` None
/// pops one element (BLPOP) and Some(n) up to n (LMPOP). During a blocked re-run, keys of the
/// wrong type are skipped rather than reported.
fn pop_first(
    ctx: &mut Ctx,
    keys: &[Bytes],
    end: End,
    count: Option<usize>,
) -> Result<Option<(Bytes, Vec<Reply>)>, Reply> {
    let rerun = is_rerun(ctx);
    for key in keys {
        let list = match ctx.write_list(key) {
            Ok(Some(list)) if !list.is_empty() => list,
            Ok(_) => continue,
            Err(_) if rerun => continue,
            Err(e) => return Err(e),
        };
        let popped = end.pop_many(list, count.unwrap_or(1));
        touched(ctx, key, notify::LIST, end.pop_event());
        delete_if_empty(ctx, key);
        ctx.srv.dirty += popped.len() as u64;
        return Ok(Some((key.clone(), popped)));
    }
    Ok(None)
}

fn blocking_pop(ctx: &mut Ctx, a: &[Bytes], end: End) -> Reply {
    let timeout = try_reply!(args::timeout_ms(&a[a.len() - 1]));
    let keys = &a[1..a.len() - 1];
    match pop_first(ctx, keys, end, None) {
        Err(e) => e,
        Ok(Some((key, mut popped))) => {
            ctx.propagate_as(vec![pop_name(end), key.clone()]);
            let value = popped.pop().unwrap_or(Reply::Null);
            Reply::Array(vec![Reply::Bulk(key), value])
        }
        Ok(None) => ctx.block(&unique_keys(keys), a, timeout, Reply::NullArray),
    }
}

fn blpop(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    blocking_pop(ctx, a, End::Left)
}

fn brpop(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    blocking_pop(ctx, a, End::Right)
}

/// Parsed `numkeys key... LEFT|RIGHT [COUNT n]` tail of LMPOP/BLMPOP.
struct MpopArgs {
    first_key: usize,
    numkeys: usize,
    end: End,
    count: usize,
}

/// Parses LMPOP/BLMPOP arguments with `numkeys` at `idx`, in Redis's order of checks.
fn parse_mpop(a: &[Bytes], idx: usize) -> Result<MpopArgs, Reply> {
    let numkeys = at_least_one(&a[idx], "numkeys should be greater than 0")?;
    let where_idx = usize::try_from(numkeys)
        .ok()
        .and_then(|n| n.checked_add(idx + 1))
        .filter(|&w| w < a.len())
        .ok_or_else(args::syntax_error)?;
    let end = End::parse(&a[where_idx])?;
    let mut count = None;
    let mut j = where_idx + 1;
    while j < a.len() {
        if count.is_none() && args::is(&a[j], "count") && j + 1 < a.len() {
            count = Some(at_least_one(&a[j + 1], "count should be greater than 0")?);
            j += 2;
        } else {
            return Err(args::syntax_error());
        }
    }
    Ok(MpopArgs {
        first_key: idx + 1,
        numkeys: where_idx - idx - 1,
        end,
        count: count.map_or(1, |c| usize::try_from(c).unwrap_or(usize::MAX)),
    })
}

/// Key positions for a `numkeys key...` command whose numkeys is at `idx`.
fn numkeys_positions(a: &[Bytes], idx: usize) -> Vec<usize> {
    let Some(n) = a.get(idx).and_then(|v| parse_i64(v)) else {
        return Vec::new();
    };
    let Ok(n) = usize::try_from(n) else {
        return Vec::new();
    };
    let first = idx + 1;
    let last = first.saturating_add(n).min(a.len());
    (first..last).collect()
}

fn lmpop_keys(a: &[Bytes]) -> Vec<usize> {
    numkeys_positions(a, 1)
}

fn blmpop_keys(a: &[Bytes]) -> Vec<usize> {
    numkeys_positions(a, 2)
}

fn mpop_reply(key: Bytes, popped: Vec<Reply>) -> Reply {
    Reply::Array(vec![Reply::Bulk(key), Reply::Array(popped)])
}

/// LPOP or RPOP: what the blocking and multi-key pops are propagated as.
fn pop_name(end: End) -> Bytes {
    match end {
        End::Left => arg("LPOP"),
        End::Right => arg("RPOP"),
    }
}

/// Propagates an [B]LMPOP that popped `n` elements as `[LR]POP key n`.
fn propagate_mpop(ctx: &mut Ctx, end: End, key: &Bytes, n: usize) {
    ctx.propagate_as(vec![pop_name(end), key.clone(), int_arg(n as i64)]);
}

fn lmpop(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let p = try_reply!(parse_mpop(a, 1));
    let keys = &a[p.first_key..p.first_key + p.numkeys];
    match pop_first(ctx, keys, p.end, Some(p.count)) {
        Err(e) => e,
        Ok(Some((key, popped))) => {
            propagate_mpop(ctx, p.end, &key, popped.len());
            mpop_reply(key, popped)
        }
        Ok(None) => Reply::NullArray,
    }
}

fn blmpop(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let p = try_reply!(parse_mpop(a, 2));
    let timeout = try_reply!(args::timeout_ms(&a[1]));
    let keys = &a[p.first_key..p.first_key + p.numkeys];
    match pop_first(ctx, keys, p.end, Some(p.count)) {
        Err(e) => e,
        Ok(Some((key, popped))) => {
            propagate_mpop(ctx, p.end, &key, popped.len());
            mpop_reply(key, popped)
        }
        Ok(None) => ctx.block(&unique_keys(keys), a, timeout, Reply::NullArray),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(items: &[&str]) -> VecDeque<Bytes> {
        items.iter().map(|s| Bytes::from(s.to_string())).collect()
    }

    #[test]
    fn pop_many_orders() {
        let mut l = list(&["a", "b", "c"]);
        assert_eq!(
            End::Right.pop_many(&mut l, 5),
            vec![
                Reply::Bulk("c".into()),
                Reply::Bulk("b".into()),
                Reply::Bulk("a".into())
            ]
        );
        let mut l = list(&["a", "b", "c"]);
        assert_eq!(
            End::Left.pop_many(&mut l, 2),
            vec![Reply::Bulk("a".into()), Reply::Bulk("b".into())]
        );
        assert_eq!(l, list(&["c"]));
    }

    #[test]
    fn index_resolution() {
        assert_eq!(resolve_index(0, 3), Some(0));
        assert_eq!(resolve_index(-1, 3), Some(2));
        assert_eq!(resolve_index(-4, 3), None);
        assert_eq!(resolve_index(3, 3), None);
        assert_eq!(resolve_index(i64::MIN, 3), None);
    }

    #[test]
    fn mpop_parsing() {
        let a: Vec<Bytes> = ["lmpop", "2", "a", "b", "right", "count", "3"]
            .iter()
            .map(|s| Bytes::from(s.to_string()))
            .collect();
        let Ok(p) = parse_mpop(&a, 1) else {
            panic!("valid arguments rejected");
        };
        assert_eq!(
            (p.first_key, p.numkeys, p.end, p.count),
            (2, 2, End::Right, 3)
        );
        assert_eq!(lmpop_keys(&a), vec![2, 3]);
        let bad: Vec<Bytes> = ["lmpop", "5", "a", "left"]
            .iter()
            .map(|s| Bytes::from(s.to_string()))
            .collect();
        assert_eq!(parse_mpop(&bad, 1).err(), Some(args::syntax_error()));
        assert_eq!(lmpop_keys(&bad), vec![2, 3]);
    }

    mod in_process {
        //! Runs commands against a `Server` in memory to observe what the network cannot show:
        //! keyspace events, wait queues, the dirty counter.

        use bytes::Bytes;

        use crate::resp::Reply;
        use crate::server::commands::testkit::Harness;
        use crate::server::connection;

        /// Expected keyevent notifications, as `Harness::events` reports them.
        fn ev(list: &[(&str, &str)]) -> Vec<String> {
            list.iter().map(|(e, k)| format!("{e} {k}")).collect()
        }

        #[test]
        fn keyspace_events() {
            let mut h = Harness::new();
            h.run(&["LPUSH", "a", "1", "2"]);
            h.run(&["RPUSH", "a", "3"]);
            h.run(&["LPUSHX", "none", "x"]);
            h.run(&["LINSERT", "a", "BEFORE", "3", "x"]);
            h.run(&["LINSERT", "a", "BEFORE", "zz", "x"]);
            h.run(&["LSET", "a", "0", "y"]);
            h.run(&["LREM", "a", "0", "zz"]);
            h.run(&["LREM", "a", "0", "x"]);
            assert_eq!(
                h.events(),
                ev(&[
                    ("lpush", "a"),
                    ("rpush", "a"),
                    ("linsert", "a"),
                    ("lset", "a"),
                    ("lrem", "a")
                ])
            );
            h.run(&["LMOVE", "a", "b", "LEFT", "RIGHT"]);
            h.run(&["RPOPLPUSH", "a", "b"]);
            h.run(&["LMOVE", "a", "b", "RIGHT", "LEFT"]);
            assert_eq!(
                h.events(),
                ev(&[
                    ("rpush", "b"),
                    ("lpop", "a"),
                    ("lpush", "b"),
                    ("rpop", "a"),
                    ("lpush", "b"),
                    ("rpop", "a"),
                    ("del", "a"),
                ])
            );
            h.run(&["LTRIM", "b", "0", "-1"]);
            h.run(&["LPOP", "b"]);
            h.run(&["RPOP", "b", "1"]);
            h.run(&["LMPOP", "1", "b", "LEFT", "COUNT", "5"]);
            assert_eq!(
                h.events(),
                ev(&[
                    ("ltrim", "b"),
                    ("lpop", "b"),
                    ("rpop", "b"),
                    ("lpop", "b"),
                    ("del", "b")
                ])
            );
            h.run(&["RPUSH", "t", "1"]);
            h.run(&["LTRIM", "t", "1", "0"]);
            h.run(&["RPUSH", "r", "1"]);
            h.run(&["LREM", "r", "0", "1"]);
            assert_eq!(
                h.events(),
                ev(&[
                    ("rpush", "t"),
                    ("ltrim", "t"),
                    ("del", "t"),
                    ("rpush", "r"),
                    ("lrem", "r"),
                    ("del", "r"),
                ])
            );
        }

        #[test]
        fn served_blocked_pop_emits_pop_events() {
            let mut h = Harness::new();
            let mut w = h.connect();
            assert_eq!(
                h.run_as(&w, &["BLMOVE", "s", "d", "RIGHT", "LEFT", "0"]),
                Reply::None
            );
            h.run(&["RPUSH", "s", "v"]);
            assert_eq!(w.unblocked(), Some(Reply::Bulk(Bytes::from_static(b"v"))));
            assert_eq!(
                h.events(),
                ev(&[("rpush", "s"), ("lpush", "d"), ("rpop", "s"), ("del", "s")])
            );
        }

        #[test]
        fn disconnect_removes_waiter() {
            let mut h = Harness::new();
            let a = h.connect();
            assert_eq!(
                h.run_as(&a, &["BLPOP", "k", "k", "other", "0"]),
                Reply::None
            );
            let key = (0usize, Bytes::from_static(b"k"));
            assert_eq!(h.srv.blocking.waiters.get(&key).map(|q| q.len()), Some(1));
            connection::disconnect(&mut h.srv, &mut a.client.borrow_mut());
            assert!(h.srv.blocking.waiters.is_empty());
            // The push is kept for later readers instead of going to the departed client.
            h.run(&["RPUSH", "k", "v"]);
            assert_eq!(h.run(&["LLEN", "k"]), Reply::Int(1));
        }

        #[test]
        fn fifo_and_requeue() {
            let mut h = Harness::new();
            let mut a = h.connect();
            let mut b = h.connect();
            h.run_as(&a, &["BLPOP", "k", "0"]);
            h.run_as(&b, &["BLPOP", "k", "0"]);
            h.run(&["RPUSH", "k", "1"]);
            let one = Reply::Array(vec![Reply::Bulk("k".into()), Reply::Bulk("1".into())]);
            assert_eq!(a.unblocked(), Some(one));
            assert_eq!(b.unblocked(), None);
            assert!(b.client.borrow().blocked.is_some());
            // Touching the key without making it a non-empty list keeps B waiting.
            h.run(&["SET", "k", "x"]);
            h.run(&["DEL", "k"]);
            assert_eq!(b.unblocked(), None);
            h.run(&["LPUSH", "k", "2"]);
            let two = Reply::Array(vec![Reply::Bulk("k".into()), Reply::Bulk("2".into())]);
            assert_eq!(b.unblocked(), Some(two));
            assert!(h.srv.blocking.waiters.is_empty());
        }

        #[test]
        fn dirty_counts() {
            let mut h = Harness::new();
            let before = h.srv.dirty;
            h.run(&["RPUSH", "k", "a", "b", "c"]);
            assert_eq!(h.srv.dirty - before, 3);
            h.run(&["LPOP", "k", "2"]);
            assert_eq!(h.srv.dirty - before, 5);
            h.run(&["LPOP", "none"]);
            h.run(&["LREM", "k", "0", "zz"]);
            assert_eq!(h.srv.dirty - before, 5);
        }
    }
}
