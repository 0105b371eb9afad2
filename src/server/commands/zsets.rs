//! Sorted set commands (ZADD, ZRANGE, ZPOPMIN, ZUNION, ...) with Redis 7.0's
//! replies and errors.
//!
//! This file holds the command table, the point commands (add, remove,
//! score, rank, random picks, scan) and the reply helpers the rest share.
//! Range queries, pops (including the blocking ones) and multi-key set
//! algebra live in the submodules.

mod pop;
mod range;
mod setops;

use bytes::Bytes;
use rand::{RngExt, SeedableRng};

use super::args;
use super::keys::{parse_scan, scan_reply};
use crate::resp::Reply;
use crate::server::command::{CommandSpec, acl, flags::*};
use crate::server::db::scan_indexed;
use crate::server::encoding::EncodingLimits;
use crate::server::notify;
use crate::server::state::Ctx;
use crate::server::types::zset::{InsertOutcome, ZSet};
use crate::server::value::Value;
use crate::util::glob::glob_match;
use crate::util::num::{format_double, parse_i64};

const Z: u64 = acl::SORTEDSET;

/// The sorted set command family.
pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("zadd", -4, zadd).flags(WRITE | DENYOOM | FAST).acl(Z).keys(1, 1, 1)
        .doc("sorted_set", "1.2.0", "Adds one or more members to a sorted set, or updates their scores. Creates the key if it doesn't exist."),
    CommandSpec::new("zincrby", 4, zincrby).flags(WRITE | DENYOOM | FAST).acl(Z).keys(1, 1, 1)
        .doc("sorted_set", "1.2.0", "Increments the score of a member in a sorted set."),
    CommandSpec::new("zrem", -3, zrem).flags(WRITE | FAST).acl(Z).keys(1, 1, 1)
        .doc("sorted_set", "1.2.0", "Removes one or more members from a sorted set. Deletes the sorted set if all members were removed."),
    CommandSpec::new("zscore", 3, zscore).flags(READONLY | FAST).acl(Z).keys(1, 1, 1)
        .doc("sorted_set", "1.2.0", "Returns the score of a member in a sorted set."),
    CommandSpec::new("zmscore", -3, zmscore).flags(READONLY | FAST).acl(Z).keys(1, 1, 1)
        .doc("sorted_set", "6.2.0", "Returns the score of one or more members in a sorted set."),
    CommandSpec::new("zcard", 2, zcard).flags(READONLY | FAST).acl(Z).keys(1, 1, 1)
        .doc("sorted_set", "1.2.0", "Returns the number of members in a sorted set."),
    CommandSpec::new("zrank", 3, zrank).flags(READONLY | FAST).acl(Z).keys(1, 1, 1)
        .doc("sorted_set", "2.0.0", "Returns the index of a member in a sorted set ordered by ascending scores."),
    CommandSpec::new("zrevrank", 3, zrevrank).flags(READONLY | FAST).acl(Z).keys(1, 1, 1)
        .doc("sorted_set", "2.0.0", "Returns the index of a member in a sorted set ordered by descending scores."),
    CommandSpec::new("zcount", 4, range::zcount).flags(READONLY | FAST).acl(Z).keys(1, 1, 1)
        .doc("sorted_set", "2.0.0", "Returns the count of members in a sorted set that have scores within a range."),
    CommandSpec::new("zlexcount", 4, range::zlexcount).flags(READONLY | FAST).acl(Z).keys(1, 1, 1)
        .doc("sorted_set", "2.8.9", "Returns the number of members in a sorted set within a lexicographical range."),
    CommandSpec::new("zrange", -4, range::zrange).flags(READONLY).acl(Z).keys(1, 1, 1)
        .doc("sorted_set", "1.2.0", "Returns members in a sorted set within a range of indexes."),
    CommandSpec::new("zrangestore", -5, range::zrangestore).flags(WRITE | DENYOOM).acl(Z).keys(1, 2, 1)
        .doc("sorted_set", "6.2.0", "Stores a range of members from sorted set in a key."),
    CommandSpec::new("zrangebyscore", -4, range::zrangebyscore).flags(READONLY).acl(Z).keys(1, 1, 1)
        .doc("sorted_set", "1.0.5", "Returns members in a sorted set within a range of scores."),
    CommandSpec::new("zrevrangebyscore", -4, range::zrevrangebyscore).flags(READONLY).acl(Z).keys(1, 1, 1)
        .doc("sorted_set", "2.2.0", "Returns members in a sorted set within a range of scores in reverse order."),
    CommandSpec::new("zrangebylex", -4, range::zrangebylex).flags(READONLY).acl(Z).keys(1, 1, 1)
        .doc("sorted_set", "2.8.9", "Returns members in a sorted set within a lexicographical range."),
    CommandSpec::new("zrevrangebylex", -4, range::zrevrangebylex).flags(READONLY).acl(Z).keys(1, 1, 1)
        .doc("sorted_set", "2.8.9", "Returns members in a sorted set within a lexicographical range in reverse order."),
    CommandSpec::new("zrevrange", -4, range::zrevrange).flags(READONLY).acl(Z).keys(1, 1, 1)
        .doc("sorted_set", "1.2.0", "Returns members in a sorted set within a range of indexes in reverse order."),
    CommandSpec::new("zremrangebyrank", 4, range::zremrangebyrank).flags(WRITE).acl(Z).keys(1, 1, 1)
        .doc("sorted_set", "2.0.0", "Removes members in a sorted set within a range of indexes. Deletes the sorted set if all members were removed."),
    CommandSpec::new("zremrangebyscore", 4, range::zremrangebyscore).flags(WRITE).acl(Z).keys(1, 1, 1)
        .doc("sorted_set", "1.2.0", "Removes members in a sorted set within a range of scores. Deletes the sorted set if all members were removed."),
    CommandSpec::new("zremrangebylex", 4, range::zremrangebylex).flags(WRITE).acl(Z).keys(1, 1, 1)
        .doc("sorted_set", "2.8.9", "Removes members in a sorted set within a lexicographical range. Deletes the sorted set if all members were removed."),
    CommandSpec::new("zpopmin", -2, pop::zpopmin).flags(WRITE | FAST).acl(Z).keys(1, 1, 1)
        .doc("sorted_set", "5.0.0", "Returns the lowest-scoring members from a sorted set after removing them. Deletes the sorted set if the last member was popped."),
    CommandSpec::new("zpopmax", -2, pop::zpopmax).flags(WRITE | FAST).acl(Z).keys(1, 1, 1)
        .doc("sorted_set", "5.0.0", "Returns the highest-scoring members from a sorted set after removing them. Deletes the sorted set if the last member was popped."),
    CommandSpec::new("bzpopmin", -3, pop::bzpopmin).flags(WRITE | NOSCRIPT | BLOCKING | FAST).acl(Z).keys(1, -2, 1)
        .doc("sorted_set", "5.0.0", "Removes and returns the member with the lowest score from one or more sorted sets. Blocks until a member is available otherwise. Deletes the sorted set if the last element was popped."),
    CommandSpec::new("bzpopmax", -3, pop::bzpopmax).flags(WRITE | NOSCRIPT | BLOCKING | FAST).acl(Z).keys(1, -2, 1)
        .doc("sorted_set", "5.0.0", "Removes and returns the member with the highest score from one or more sorted sets. Blocks until a member available otherwise.  Deletes the sorted set if the last element was popped."),
    CommandSpec::new("zmpop", -4, pop::zmpop).flags(WRITE).acl(Z).keys_fn(pop::zmpop_keys)
        .doc("sorted_set", "7.0.0", "Returns the highest- or lowest-scoring members from one or more sorted sets after removing them. Deletes the sorted set if the last member was popped."),
    CommandSpec::new("bzmpop", -5, pop::bzmpop).flags(WRITE | BLOCKING).acl(Z).keys_fn(pop::bzmpop_keys)
        .doc("sorted_set", "7.0.0", "Removes and returns a member by score from one or more sorted sets. Blocks until a member is available otherwise. Deletes the sorted set if the last element was popped."),
    CommandSpec::new("zunion", -3, setops::zunion).flags(READONLY).acl(Z).keys_fn(setops::read_keys)
        .doc("sorted_set", "6.2.0", "Returns the union of multiple sorted sets."),
    CommandSpec::new("zinter", -3, setops::zinter).flags(READONLY).acl(Z).keys_fn(setops::read_keys)
        .doc("sorted_set", "6.2.0", "Returns the intersect of multiple sorted sets."),
    CommandSpec::new("zdiff", -3, setops::zdiff).flags(READONLY).acl(Z).keys_fn(setops::read_keys)
        .doc("sorted_set", "6.2.0", "Returns the difference between multiple sorted sets."),
    CommandSpec::new("zunionstore", -4, setops::zunionstore).flags(WRITE | DENYOOM).acl(Z).keys_fn(setops::store_keys)
        .doc("sorted_set", "2.0.0", "Stores the union of multiple sorted sets in a key."),
    CommandSpec::new("zinterstore", -4, setops::zinterstore).flags(WRITE | DENYOOM).acl(Z).keys_fn(setops::store_keys)
        .doc("sorted_set", "2.0.0", "Stores the intersect of multiple sorted sets in a key."),
    CommandSpec::new("zdiffstore", -4, setops::zdiffstore).flags(WRITE | DENYOOM).acl(Z).keys_fn(setops::store_keys)
        .doc("sorted_set", "6.2.0", "Stores the difference of multiple sorted sets in a key."),
    CommandSpec::new("zintercard", -3, setops::zintercard).flags(READONLY).acl(Z).keys_fn(setops::read_keys)
        .doc("sorted_set", "7.0.0", "Returns the number of members of the intersect of multiple sorted sets."),
    CommandSpec::new("zrandmember", -2, zrandmember).flags(READONLY).acl(Z).keys(1, 1, 1)
        .doc("sorted_set", "6.2.0", "Returns one or more random members from a sorted set."),
    CommandSpec::new("zscan", -3, zscan).flags(READONLY).acl(Z).keys(1, 1, 1)
        .doc("sorted_set", "2.8.0", "Iterates over members and scores of a sorted set."),
];

// ----- shared helpers --------------------------------------------------------

/// A list of members, optionally with scores, shaped as Redis 7.0 sends it:
/// flat `member, score, ...` in RESP2, `[member, score]` pairs in RESP3.
fn scored_reply(ctx: &Ctx, withscores: bool, items: Vec<(Bytes, f64)>) -> Reply {
    if !withscores {
        return Reply::Array(items.into_iter().map(|(m, _)| Reply::Bulk(m)).collect());
    }
    if ctx.client.resp() >= 3 {
        Reply::Array(
            items
                .into_iter()
                .map(|(m, s)| Reply::Array(vec![Reply::Bulk(m), Reply::Double(s)]))
                .collect(),
        )
    } else {
        let mut out = Vec::with_capacity(items.len() * 2);
        for (m, s) in items {
            out.push(Reply::Bulk(m));
            out.push(Reply::Double(s));
        }
        Reply::Array(out)
    }
}

/// Copies the entries an iterator borrows out of a set so the set can be
/// released (members are reference-counted, so this does not copy bytes).
fn owned<'a>(it: impl Iterator<Item = (&'a Bytes, f64)>) -> Vec<(Bytes, f64)> {
    it.map(|(m, s)| (m.clone(), s)).collect()
}

/// Signals a change of `key` (WATCH, blocked clients), publishes `event`
/// and adds `dirty` to the change counter, which Redis bumps per element.
fn touched(ctx: &mut Ctx, key: &[u8], class: u32, event: &str, dirty: u64) {
    let db = ctx.db();
    ctx.srv.signal_modified(db, key);
    ctx.srv.notify(class, event, key, db);
    ctx.srv.dirty += dirty;
}

/// Side effects of removing `n` members: the zset event, then deletion of
/// the key with a `del` event when the set became empty (Redis's order).
fn removed_from(ctx: &mut Ctx, key: &[u8], event: &str, n: usize, emptied: bool) {
    if emptied {
        ctx.delete(key);
    }
    touched(ctx, key, notify::ZSET, event, n as u64);
    if emptied {
        let db = ctx.db();
        ctx.srv.notify(notify::GENERIC, "del", key, db);
    }
}

/// Whether Redis would keep `n` members of these lengths in its compact
/// listpack encoding.
fn compact(limits: &EncodingLimits, n: usize, mut lens: impl Iterator<Item = usize>) -> bool {
    n as u64 <= limits.zset_entries && lens.all(|l| l as u64 <= limits.zset_value)
}

/// The score Redis ends up storing: its compact encoding keeps integral
/// scores as integers, so a `-0` written to a small set reads back as `0`.
fn stored_score(score: f64, compact: bool) -> f64 {
    if compact && score == 0.0 { 0.0 } else { score }
}

/// Stores a computed result under `dst` (ZRANGESTORE, ZUNIONSTORE, ...):
/// a non-empty set replaces whatever was there, an empty one deletes `dst`.
fn store_result(ctx: &mut Ctx, dst: &[u8], items: Vec<(Bytes, f64)>, event: &str) -> Reply {
    let n = items.len();
    if n > 0 {
        let limits = EncodingLimits::from_config(&ctx.srv.config);
        let small = compact(&limits, n, items.iter().map(|(m, _)| m.len()));
        let mut z = ZSet::new();
        for (m, s) in &items {
            z.insert(m, stored_score(*s, small));
        }
        ctx.store(dst, Value::ZSet(Box::new(z)));
        touched(ctx, dst, notify::ZSET, event, 1);
    } else if ctx.delete(dst) {
        touched(ctx, dst, notify::GENERIC, "del", 1);
    }
    Reply::Int(n as i64)
}

/// Positions of a `numkeys key...` list whose count is at `numkeys_idx`;
/// none when the count is invalid, as Redis reports no keys for a command
/// that is going to fail.
fn numkeys_positions(a: &[Bytes], numkeys_idx: usize) -> Vec<usize> {
    match a.get(numkeys_idx).and_then(|n| parse_i64(n)) {
        Some(n) if n >= 1 && (n as u64) < (a.len() - numkeys_idx) as u64 => {
            (numkeys_idx + 1..=numkeys_idx + n as usize).collect()
        }
        _ => Vec::new(),
    }
}

// ----- ZADD / ZINCRBY ---------------------------------------------------------

/// ZADD options (ZINCRBY is ZADD with INCR preset).
#[derive(Default)]
struct AddFlags {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
    ch: bool,
    incr: bool,
    /// Set when a `-0` may be written (see [`stored_score`]).
    limits: Option<EncodingLimits>,
}

/// Tallies of one ZADD run, which decide its reply and its event.
#[derive(Default)]
struct AddTally {
    added: i64,
    updated: i64,
    processed: i64,
    last_score: f64,
}

fn zadd(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    zadd_generic(ctx, a, false)
}

fn zincrby(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    zadd_generic(ctx, a, true)
}

fn zadd_generic(ctx: &mut Ctx, a: &[Bytes], incr: bool) -> Reply {
    let mut f = AddFlags {
        incr,
        ..AddFlags::default()
    };
    let mut i = 2;
    while i < a.len() {
        let o = &a[i];
        if args::is(o, "nx") {
            f.nx = true;
        } else if args::is(o, "xx") {
            f.xx = true;
        } else if args::is(o, "ch") {
            f.ch = true;
        } else if args::is(o, "incr") {
            f.incr = true;
        } else if args::is(o, "gt") {
            f.gt = true;
        } else if args::is(o, "lt") {
            f.lt = true;
        } else {
            break;
        }
        i += 1;
    }
    let elements = &a[i..];
    if elements.is_empty() || !elements.len().is_multiple_of(2) {
        return args::syntax_error();
    }
    if f.nx && f.xx {
        return Reply::err("ERR XX and NX options at the same time are not compatible");
    }
    if (f.nx && (f.gt || f.lt)) || (f.gt && f.lt) {
        return Reply::err("ERR GT, LT, and/or NX options at the same time are not compatible");
    }
    if f.incr && elements.len() > 2 {
        return Reply::err("ERR INCR option supports a single increment-element pair");
    }
    let mut pairs = Vec::with_capacity(elements.len() / 2);
    for p in elements.chunks_exact(2) {
        match args::float(&p[0]) {
            Ok(s) => pairs.push((s, &p[1])),
            Err(e) => return e,
        }
    }
    // Only a `-0` argument can produce a score whose stored form depends on
    // the encoding, so the limits are looked up only then.
    let limits = pairs
        .iter()
        .any(|(s, _)| *s == 0.0 && s.is_sign_negative())
        .then(|| EncodingLimits::from_config(&ctx.srv.config));
    let f = AddFlags { limits, ..f };
    let key = &a[1];
    let mut tally = AddTally::default();
    let result = match ctx.write_zset(key) {
        Err(e) => return e,
        Ok(Some(z)) => add_all(z, &f, &pairs, &mut tally),
        Ok(None) if f.xx => Ok(()),
        Ok(None) => {
            let mut z = ZSet::new();
            let r = add_all(&mut z, &f, &pairs, &mut tally);
            if !z.is_empty() {
                ctx.store(key, Value::ZSet(Box::new(z)));
            }
            r
        }
    };
    let changed = tally.added + tally.updated;
    if changed > 0 {
        let event = if f.incr { "zincr" } else { "zadd" };
        touched(ctx, key, notify::ZSET, event, changed as u64);
    }
    if let Err(e) = result {
        return e;
    }
    if f.incr {
        if tally.processed > 0 {
            Reply::Double(tally.last_score)
        } else {
            Reply::Null
        }
    } else if f.ch {
        Reply::Int(tally.added + tally.updated)
    } else {
        Reply::Int(tally.added)
    }
}

/// Applies ZADD's per-element rules (Redis `zsetAdd`); stops at a NaN result.
fn add_all(
    z: &mut ZSet,
    f: &AddFlags,
    pairs: &[(f64, &Bytes)],
    t: &mut AddTally,
) -> Result<(), Reply> {
    for &(score, member) in pairs {
        match z.score(member) {
            Some(cur) => {
                if f.nx {
                    continue;
                }
                let new = if f.incr { score + cur } else { score };
                if new.is_nan() {
                    return Err(Reply::err("ERR resulting score is not a number (NaN)"));
                }
                if (f.lt && new >= cur) || (f.gt && new <= cur) {
                    continue;
                }
                t.processed += 1;
                t.last_score = new;
                let new = normalized(z, f, member, new);
                if z.insert(member, new) == InsertOutcome::Updated {
                    t.updated += 1;
                }
            }
            None => {
                if f.xx {
                    continue;
                }
                t.processed += 1;
                t.last_score = score;
                let score = normalized(z, f, member, score);
                z.insert(member, score);
                t.added += 1;
            }
        }
    }
    Ok(())
}

/// The score to store for `member` (see [`stored_score`]).
fn normalized(z: &ZSet, f: &AddFlags, member: &[u8], score: f64) -> f64 {
    match &f.limits {
        Some(l) if score == 0.0 => {
            let n = z.len() + usize::from(z.score(member).is_none());
            let lens = z.iter().map(|(m, _)| m.len()).chain([member.len()]);
            stored_score(score, compact(l, n, lens))
        }
        _ => score,
    }
}

// ----- point lookups and removal --------------------------------------------

fn zrem(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let key = &a[1];
    let (deleted, emptied) = match ctx.write_zset(key) {
        Err(e) => return e,
        Ok(None) => return Reply::Int(0),
        Ok(Some(z)) => {
            let n = a[2..].iter().filter(|m| z.remove(m)).count();
            (n, z.is_empty())
        }
    };
    if deleted > 0 {
        removed_from(ctx, key, "zrem", deleted, emptied);
    }
    Reply::Int(deleted as i64)
}

fn zscore(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    match ctx.read_zset(&a[1]) {
        Err(e) => e,
        Ok(z) => match z.and_then(|z| z.score(&a[2])) {
            Some(s) => Reply::Double(s),
            None => Reply::Null,
        },
    }
}

fn zmscore(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    match ctx.read_zset(&a[1]) {
        Err(e) => e,
        Ok(z) => Reply::Array(
            a[2..]
                .iter()
                .map(|m| match z.as_ref().and_then(|z| z.score(m)) {
                    Some(s) => Reply::Double(s),
                    None => Reply::Null,
                })
                .collect(),
        ),
    }
}

fn zcard(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    match ctx.read_zset(&a[1]) {
        Err(e) => e,
        Ok(z) => Reply::Int(z.map_or(0, |z| z.len() as i64)),
    }
}

fn rank_generic(ctx: &mut Ctx, a: &[Bytes], reverse: bool) -> Reply {
    match ctx.read_zset(&a[1]) {
        Err(e) => e,
        Ok(z) => match z.and_then(|z| z.rank(&a[2], reverse)) {
            Some(r) => Reply::Int(r as i64),
            None => Reply::Null,
        },
    }
}

fn zrank(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    rank_generic(ctx, a, false)
}

fn zrevrank(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    rank_generic(ctx, a, true)
}

// ----- ZRANDMEMBER -----------------------------------------------------------

/// Largest number of picks a negative ZRANDMEMBER count may ask for. Redis
/// has no bound and would try to build the reply until memory runs out; we
/// refuse instead of aborting the process.
const MAX_RANDOM_PICKS: u64 = 100_000_000;

fn zrandmember(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    if a.len() == 2 {
        let mut rng = rand::rngs::SmallRng::from_rng(&mut ctx.srv.rng);
        return match ctx.read_zset(&a[1]) {
            Err(e) => e,
            Ok(None) => Reply::Null,
            Ok(Some(z)) => match z.get_by_slot(rng.random_range(0..z.len().max(1))) {
                Some((m, _)) => Reply::Bulk(m.clone()),
                None => Reply::Null,
            },
        };
    }
    let count = match parse_i64(&a[2]) {
        None => return args::not_integer(),
        Some(i64::MIN) => {
            return Reply::err(
                "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
            );
        }
        Some(c) => c,
    };
    let withscores = match a.len() {
        3 => false,
        4 if args::is(&a[3], "withscores") => true,
        _ => return args::syntax_error(),
    };
    if withscores && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&count) {
        return Reply::err("ERR value is out of range");
    }
    let (uniq, want) = (count >= 0, count.unsigned_abs());
    if !uniq && want > MAX_RANDOM_PICKS {
        return Reply::err("ERR value is out of range");
    }
    let mut rng = rand::rngs::SmallRng::from_rng(&mut ctx.srv.rng);
    let items = match ctx.read_zset(&a[1]) {
        Err(e) => return e,
        Ok(None) => return Reply::Array(Vec::new()),
        Ok(Some(z)) => random_members(z, uniq, want, &mut rng),
    };
    scored_reply(ctx, withscores, items)
}

/// Picks `want` members: with repetition unless `uniq`, in which case at
/// most the whole set (highest rank first when it is all of it, the order
/// Redis's set iterator walks in).
fn random_members(
    z: &ZSet,
    uniq: bool,
    want: u64,
    rng: &mut rand::rngs::SmallRng,
) -> Vec<(Bytes, f64)> {
    let len = z.len();
    let pick = |slot: usize| z.get_by_slot(slot).map(|(m, s)| (m.clone(), s));
    if len == 0 || want == 0 {
        return Vec::new();
    }
    if !uniq || want == 1 {
        return (0..want)
            .filter_map(|_| pick(rng.random_range(0..len)))
            .collect();
    }
    if want >= len as u64 {
        return owned(z.range_by_rank(0, len - 1, true));
    }
    let want = want as usize;
    if want * 3 > len {
        // Partial Fisher-Yates over all slots.
        let mut slots: Vec<usize> = (0..len).collect();
        for i in 0..want {
            let j = rng.random_range(i..len);
            slots.swap(i, j);
        }
        return slots[..want].iter().filter_map(|&s| pick(s)).collect();
    }
    let mut seen = std::collections::HashSet::with_capacity(want);
    let mut out = Vec::with_capacity(want);
    while out.len() < want {
        let s = rng.random_range(0..len);
        if seen.insert(s)
            && let Some(e) = pick(s)
        {
            out.push(e);
        }
    }
    out
}

// ----- ZSCAN -----------------------------------------------------------------

fn zscan(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    // Redis checks the cursor, then the key, then the options.
    let opts = parse_scan(a, 2, false);
    if let Err(e) = &opts
        && parse_scan(&a[..3], 2, false).is_err()
    {
        return e.clone();
    }
    // Redis keeps small sets in one compact block (`zset-max-listpack-*`)
    // and returns them whole from the first call.
    let limits = EncodingLimits::from_config(&ctx.srv.config);
    let z = match ctx.read_zset(&a[1]) {
        Err(e) => return e,
        Ok(None) => return scan_reply(0, Vec::new()),
        Ok(Some(z)) => z,
    };
    let opts = match opts {
        Ok(o) => o,
        Err(e) => return e,
    };
    let mut out = Vec::new();
    let mut visit = |m: &Bytes, s: f64| {
        if opts
            .pattern
            .as_ref()
            .is_none_or(|p| glob_match(p, m, false))
        {
            out.push(Reply::Bulk(m.clone()));
            out.push(Reply::text(scan_score(s)));
        }
    };
    let compact = z.len() as u64 <= limits.zset_entries
        && z.iter().all(|(m, _)| m.len() as u64 <= limits.zset_value);
    let next = if compact {
        for (m, s) in z.iter() {
            visit(m, s);
        }
        0
    } else {
        scan_indexed(z.len(), opts.cursor, opts.count, |i| {
            if let Some((m, s)) = z.get_by_slot(i) {
                visit(m, s);
            }
        })
    };
    scan_reply(next, out)
}

/// Score text in ZSCAN replies: Redis sends the stored form, which is an
/// integer for integral scores (so `-0` shows as `0`) and `%.17g` otherwise.
fn scan_score(s: f64) -> String {
    const LIMIT: f64 = (i64::MAX / 2) as f64;
    if s.is_finite() && s.trunc() == s && (-LIMIT..=LIMIT).contains(&s) {
        (s as i64).to_string()
    } else {
        format_double(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scan_scores_like_redis() {
        assert_eq!(scan_score(-0.0), "0");
        assert_eq!(scan_score(3.0), "3");
        assert_eq!(scan_score(1.1), "1.1000000000000001");
        assert_eq!(scan_score(123456789012345678.0), "123456789012345680");
        assert_eq!(scan_score(1e300), "1.0000000000000001e+300");
        assert_eq!(scan_score(f64::NEG_INFINITY), "-inf");
    }

    #[test]
    fn random_unique_picks_are_distinct() {
        let mut z = ZSet::new();
        for i in 0..50 {
            z.insert(format!("m{i}").as_bytes(), f64::from(i));
        }
        let mut rng = rand::rngs::SmallRng::seed_from_u64(1);
        for want in [1u64, 5, 20, 49, 50, 80] {
            let got = random_members(&z, true, want, &mut rng);
            assert_eq!(got.len() as u64, want.min(50));
            let set: std::collections::HashSet<_> = got.iter().map(|(m, _)| m.clone()).collect();
            assert_eq!(set.len(), got.len());
        }
        assert_eq!(random_members(&z, false, 200, &mut rng).len(), 200);
    }
}
