//! Popping the lowest or highest members: ZPOPMIN/ZPOPMAX, the multi-key
//! ZMPOP, and their blocking forms BZPOPMIN/BZPOPMAX/BZMPOP.
//!
//! Blocking commands return through `ctx.block` when every key is empty; the
//! dispatcher re-runs them when a key changes, so each function is written
//! to either pop or block again.

use bytes::Bytes;

use super::{numkeys_positions, removed_from};
use crate::resp::Reply;
use crate::server::commands::args;
use crate::server::state::{Ctx, wrongtype};
use crate::server::value::Value;
use crate::util::num::parse_i64;

/// How a pop reply is laid out (Redis `genericZpopCommand`).
#[derive(Clone, Copy)]
struct Shape {
    /// Prefix the reply with the key the members came from.
    emit_key: bool,
    /// `[member, score]` pairs instead of a flat list.
    nested: bool,
    /// Answer a null array (not an empty one) when no key has members.
    nil_when_empty: bool,
}

/// Outcome of looking for the first key that holds members.
enum Found {
    Key(usize),
    Nothing,
}

/// Finds the first existing key among `keys`. A key of another type is an
/// error, except while a blocked client is being re-served: Redis 7.0 only
/// wakes such clients for keys that hold a sorted set, so there the key is
/// skipped and the client keeps waiting.
fn first_zset(ctx: &mut Ctx, keys: &[Bytes]) -> Result<Found, Reply> {
    let lenient = ctx.client.blocked.is_some();
    for (i, k) in keys.iter().enumerate() {
        match ctx.write(k) {
            None => continue,
            Some(e) => match &e.value {
                Value::ZSet(z) if !z.is_empty() => return Ok(Found::Key(i)),
                Value::ZSet(_) => continue,
                _ if lenient => continue,
                _ => return Err(wrongtype()),
            },
        }
    }
    Ok(Found::Nothing)
}

/// Pops up to `count` members from `key` (which must hold a non-empty set)
/// and builds the reply; `count` of `None` is the plain single pop.
fn pop_from(ctx: &mut Ctx, key: &Bytes, max: bool, count: Option<u64>, shape: Shape) -> Reply {
    let n = count.unwrap_or(1).min(usize::MAX as u64) as usize;
    let (popped, emptied) = match ctx.write_zset(key) {
        Ok(Some(z)) => {
            let p = if max { z.pop_max(n) } else { z.pop_min(n) };
            (p, z.is_empty())
        }
        Ok(None) => (Vec::new(), false),
        Err(e) => return e,
    };
    if !popped.is_empty() {
        let event = if max { "zpopmax" } else { "zpopmin" };
        removed_from(ctx, key, event, popped.len(), emptied);
        if shape.emit_key {
            // BZPOP*/ZMPOP/BZMPOP reach replicas as the plain pop of what they took.
            use crate::server::replication::propagate::{arg, int_arg};
            let mut argv = vec![arg(if max { "ZPOPMAX" } else { "ZPOPMIN" }), key.clone()];
            if count.is_some() {
                argv.push(int_arg(popped.len() as i64));
            }
            ctx.propagate_as(argv);
        }
    }
    let mut members = Vec::with_capacity(popped.len() * 2);
    for (m, s) in popped {
        if shape.nested {
            members.push(Reply::Array(vec![Reply::Bulk(m), Reply::Double(s)]));
        } else {
            members.push(Reply::Bulk(m));
            members.push(Reply::Double(s));
        }
    }
    match (shape.emit_key, shape.nested) {
        (false, _) => Reply::Array(members),
        (true, false) => {
            let mut out = Vec::with_capacity(members.len() + 1);
            out.push(Reply::Bulk(key.clone()));
            out.extend(members);
            Reply::Array(out)
        }
        (true, true) => Reply::Array(vec![Reply::Bulk(key.clone()), Reply::Array(members)]),
    }
}

/// Non-blocking pop over `keys`: the first key with members is used.
fn pop_generic(
    ctx: &mut Ctx,
    keys: &[Bytes],
    max: bool,
    count: Option<u64>,
    shape: Shape,
) -> Reply {
    match first_zset(ctx, keys) {
        Err(e) => e,
        Ok(Found::Nothing) if shape.nil_when_empty => Reply::NullArray,
        Ok(Found::Nothing) => Reply::Array(Vec::new()),
        Ok(Found::Key(_)) if count == Some(0) => Reply::Array(Vec::new()),
        Ok(Found::Key(i)) => pop_from(ctx, &keys[i], max, count, shape),
    }
}

fn zpop_generic(ctx: &mut Ctx, a: &[Bytes], max: bool) -> Reply {
    if a.len() > 3 {
        return args::syntax_error();
    }
    let count = match a.get(2) {
        None => None,
        Some(c) => match parse_i64(c) {
            Some(n) if n >= 0 => Some(n as u64),
            _ => return Reply::err("ERR value is out of range, must be positive"),
        },
    };
    let shape = Shape {
        emit_key: false,
        nested: ctx.client.resp() >= 3 && count.is_some(),
        nil_when_empty: false,
    };
    pop_generic(ctx, &a[1..2], max, count, shape)
}

/// ZPOPMIN key [count]
pub(super) fn zpopmin(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    zpop_generic(ctx, a, false)
}

/// ZPOPMAX key [count]
pub(super) fn zpopmax(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    zpop_generic(ctx, a, true)
}

/// Pops from the first non-empty key or blocks on all of them.
fn blocking_pop(
    ctx: &mut Ctx,
    a: &[Bytes],
    keys: &[Bytes],
    timeout_ms: i64,
    max: bool,
    count: Option<u64>,
    shape: Shape,
) -> Reply {
    match first_zset(ctx, keys) {
        Err(e) => e,
        Ok(Found::Key(i)) => pop_from(ctx, &keys[i], max, count, shape),
        Ok(Found::Nothing) => {
            // A client waits on a key once however often it is named.
            let mut unique: Vec<Bytes> = Vec::with_capacity(keys.len());
            for k in keys {
                if !unique.contains(k) {
                    unique.push(k.clone());
                }
            }
            ctx.block(&unique, a, timeout_ms, Reply::NullArray)
        }
    }
}

fn bzpop_generic(ctx: &mut Ctx, a: &[Bytes], max: bool) -> Reply {
    let last = a.len() - 1;
    let timeout = match args::timeout_ms(&a[last]) {
        Ok(t) => t,
        Err(e) => return e,
    };
    let shape = Shape {
        emit_key: true,
        nested: false,
        nil_when_empty: true,
    };
    blocking_pop(ctx, a, &a[1..last], timeout, max, None, shape)
}

/// BZPOPMIN key [key ...] timeout
pub(super) fn bzpopmin(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    bzpop_generic(ctx, a, false)
}

/// BZPOPMAX key [key ...] timeout
pub(super) fn bzpopmax(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    bzpop_generic(ctx, a, true)
}

/// Parsed `numkeys key [key ...] MIN|MAX [COUNT count]`.
struct MPop {
    first_key: usize,
    numkeys: usize,
    max: bool,
    count: u64,
}

/// Parses ZMPOP's arguments starting at the numkeys argument.
fn parse_mpop(a: &[Bytes], numkeys_idx: usize) -> Result<MPop, Reply> {
    let numkeys = match parse_i64(&a[numkeys_idx]) {
        Some(n) if n >= 1 => n as u64,
        _ => return Err(Reply::err("ERR numkeys should be greater than 0")),
    };
    let where_idx = (numkeys_idx as u64)
        .saturating_add(numkeys)
        .saturating_add(1);
    if where_idx >= a.len() as u64 {
        return Err(args::syntax_error());
    }
    let where_idx = where_idx as usize;
    let max = if args::is(&a[where_idx], "min") {
        false
    } else if args::is(&a[where_idx], "max") {
        true
    } else {
        return Err(args::syntax_error());
    };
    let mut count = None;
    let mut j = where_idx + 1;
    while j < a.len() {
        if count.is_none() && args::is(&a[j], "count") && j + 1 < a.len() {
            j += 1;
            match parse_i64(&a[j]) {
                Some(n) if n >= 1 => count = Some(n as u64),
                _ => return Err(Reply::err("ERR count should be greater than 0")),
            }
        } else {
            return Err(args::syntax_error());
        }
        j += 1;
    }
    Ok(MPop {
        first_key: numkeys_idx + 1,
        numkeys: numkeys as usize,
        max,
        count: count.unwrap_or(1),
    })
}

const MPOP_SHAPE: Shape = Shape {
    emit_key: true,
    nested: true,
    nil_when_empty: true,
};

/// ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]
pub(super) fn zmpop(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let p = match parse_mpop(a, 1) {
        Ok(p) => p,
        Err(e) => return e,
    };
    let keys = &a[p.first_key..p.first_key + p.numkeys];
    pop_generic(ctx, keys, p.max, Some(p.count), MPOP_SHAPE)
}

/// BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]
pub(super) fn bzmpop(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let p = match parse_mpop(a, 2) {
        Ok(p) => p,
        Err(e) => return e,
    };
    let timeout = match args::timeout_ms(&a[1]) {
        Ok(t) => t,
        Err(e) => return e,
    };
    let keys = &a[p.first_key..p.first_key + p.numkeys];
    blocking_pop(ctx, a, keys, timeout, p.max, Some(p.count), MPOP_SHAPE)
}

/// ZMPOP key positions.
pub(super) fn zmpop_keys(a: &[Bytes]) -> Vec<usize> {
    numkeys_positions(a, 1)
}

/// BZMPOP key positions.
pub(super) fn bzmpop_keys(a: &[Bytes]) -> Vec<usize> {
    numkeys_positions(a, 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<Bytes> {
        s.iter()
            .map(|x| Bytes::copy_from_slice(x.as_bytes()))
            .collect()
    }

    #[test]
    fn mpop_key_positions() {
        assert_eq!(zmpop_keys(&v(&["zmpop", "2", "a", "b", "min"])), [2, 3]);
        assert_eq!(bzmpop_keys(&v(&["bzmpop", "0", "1", "a", "max"])), [3]);
        assert!(zmpop_keys(&v(&["zmpop", "0", "a", "min"])).is_empty());
        assert!(zmpop_keys(&v(&["zmpop", "5", "a", "min"])).is_empty());
        assert!(zmpop_keys(&v(&["zmpop", "x", "a", "min"])).is_empty());
    }

    #[test]
    fn mpop_parsing() {
        let p = parse_mpop(&v(&["zmpop", "2", "a", "b", "MAX", "count", "3"]), 1);
        let p = p.ok().map(|p| (p.first_key, p.numkeys, p.max, p.count));
        assert_eq!(p, Some((2, 2, true, 3)));
        let err = |a: &[&str]| match parse_mpop(&v(a), 1) {
            Err(Reply::Error(e)) => e,
            _ => String::new(),
        };
        assert_eq!(
            err(&["zmpop", "9223372036854775807", "a", "min"]),
            "ERR syntax error"
        );
        assert_eq!(
            err(&["zmpop", "1", "a", "min", "count"]),
            "ERR syntax error"
        );
        assert_eq!(
            err(&["zmpop", "1", "a", "min", "count", "-1"]),
            "ERR count should be greater than 0"
        );
    }
}
