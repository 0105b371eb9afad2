//! Set commands: membership, random pops and samples, SMOVE, the algebra (SINTER/SUNION/SDIFF,
//! their STORE forms and SINTERCARD) and SSCAN.

use bytes::Bytes;
use rand::RngExt;

use super::{args, keys, sampling};
use crate::resp::Reply;
use crate::server::command::{CommandSpec, acl, flags::*};
use crate::server::db::scan_indexed;
use crate::server::notify;
use crate::server::replication::propagate::arg;
use crate::server::state::Ctx;
use crate::server::value::{FastSet, Value};
use crate::util::glob::glob_match;
use crate::util::num::parse_i64;

/// The set command family.
#[rustfmt::skip]
pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("sadd", -3, sadd).flags(WRITE | DENYOOM | FAST).acl(acl::SET).keys(1, 1, 1)
        .doc("set", "1.0.0", "Add one or more members to a set"),
    CommandSpec::new("srem", -3, srem).flags(WRITE | FAST).acl(acl::SET).keys(1, 1, 1)
        .doc("set", "1.0.0", "Remove one or more members from a set"),
    CommandSpec::new("smembers", 2, smembers).flags(READONLY).acl(acl::SET).keys(1, 1, 1)
        .doc("set", "1.0.0", "Get all the members in a set"),
    CommandSpec::new("sismember", 3, sismember).flags(READONLY | FAST).acl(acl::SET).keys(1, 1, 1)
        .doc("set", "1.0.0", "Determine if a given value is a member of a set"),
    CommandSpec::new("smismember", -3, smismember).flags(READONLY | FAST).acl(acl::SET).keys(1, 1, 1)
        .doc("set", "6.2.0", "Returns the membership associated with the given elements for a set"),
    CommandSpec::new("scard", 2, scard).flags(READONLY | FAST).acl(acl::SET).keys(1, 1, 1)
        .doc("set", "1.0.0", "Get the number of members in a set"),
    CommandSpec::new("spop", -2, spop).flags(WRITE | FAST).acl(acl::SET).keys(1, 1, 1)
        .doc("set", "1.0.0", "Remove and return one or multiple random members from a set"),
    CommandSpec::new("srandmember", -2, srandmember).flags(READONLY).acl(acl::SET).keys(1, 1, 1)
        .doc("set", "1.0.0", "Get one or multiple random members from a set"),
    CommandSpec::new("smove", 4, smove).flags(WRITE | FAST).acl(acl::SET).keys(1, 2, 1)
        .doc("set", "1.0.0", "Move a member from one set to another"),
    CommandSpec::new("sinter", -2, sinter).flags(READONLY).acl(acl::SET).keys(1, -1, 1)
        .doc("set", "1.0.0", "Intersect multiple sets"),
    CommandSpec::new("sintercard", -3, sintercard).flags(READONLY).acl(acl::SET).keys_fn(sintercard_keys)
        .doc("set", "7.0.0", "Intersect multiple sets and return the cardinality of the result"),
    CommandSpec::new("sunion", -2, sunion).flags(READONLY).acl(acl::SET).keys(1, -1, 1)
        .doc("set", "1.0.0", "Add multiple sets"),
    CommandSpec::new("sdiff", -2, sdiff).flags(READONLY).acl(acl::SET).keys(1, -1, 1)
        .doc("set", "1.0.0", "Subtract multiple sets"),
    CommandSpec::new("sinterstore", -3, sinterstore).flags(WRITE | DENYOOM).acl(acl::SET).keys(1, -1, 1)
        .doc("set", "1.0.0", "Intersect multiple sets and store the resulting set in a key"),
    CommandSpec::new("sunionstore", -3, sunionstore).flags(WRITE | DENYOOM).acl(acl::SET).keys(1, -1, 1)
        .doc("set", "1.0.0", "Add multiple sets and store the resulting set in a key"),
    CommandSpec::new("sdiffstore", -3, sdiffstore).flags(WRITE | DENYOOM).acl(acl::SET).keys(1, -1, 1)
        .doc("set", "1.0.0", "Subtract multiple sets and store the resulting set in a key"),
    CommandSpec::new("sscan", -3, sscan).flags(READONLY).acl(acl::SET).keys(1, 1, 1)
        .doc("set", "2.8.0", "Incrementally iterate Set elements"),
];

type Set = FastSet<Bytes>;

/// The set stored at `key` without lookup side effects; call after a typed lookup has already
/// handled expiry, statistics and the type check, when several borrows must coexist.
fn stored_set<'c>(ctx: &'c Ctx, key: &[u8]) -> Option<&'c Set> {
    match ctx.srv.dbs[ctx.client.db]
        .entries
        .get(key)
        .map(|e| &e.value)
    {
        Some(Value::Set(s)) => Some(s),
        _ => None,
    }
}

/// Deletes `key` (with Redis's `del` event) when its set has become empty.
fn delete_if_empty(ctx: &mut Ctx, key: &[u8]) {
    if matches!(ctx.write_set(key), Ok(Some(s)) if s.is_empty()) {
        ctx.delete(key);
        let db = ctx.db();
        ctx.srv.notify(notify::GENERIC, "del", key, db);
    }
}

/// Members as a RESP3 set reply (an array in RESP2).
fn set_reply<'s>(members: impl IntoIterator<Item = &'s Bytes>) -> Reply {
    Reply::Set(
        members
            .into_iter()
            .map(|m| Reply::Bulk(m.clone()))
            .collect(),
    )
}

fn sadd(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let set = match ctx.write_set(&a[1]) {
        Ok(Some(s)) => s,
        Ok(None) => {
            ctx.store(&a[1], Value::Set(Box::default()));
            match ctx.write_set(&a[1]) {
                Ok(Some(s)) => s,
                Ok(None) => return Reply::Int(0),
                Err(e) => return e,
            }
        }
        Err(e) => return e,
    };
    let added = a[2..].iter().filter(|m| set.insert(args::own(m))).count() as u64;
    if added > 0 {
        ctx.modified(&a[1], notify::SET, "sadd");
        ctx.srv.dirty += added - 1;
    }
    Reply::Int(added as i64)
}

fn srem(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let set = match ctx.write_set(&a[1]) {
        Ok(Some(s)) => s,
        Ok(None) => return Reply::Int(0),
        Err(e) => return e,
    };
    let mut removed = 0u64;
    for m in &a[2..] {
        if set.swap_remove(&m[..]) {
            removed += 1;
            if set.is_empty() {
                break;
            }
        }
    }
    if removed > 0 {
        ctx.modified(&a[1], notify::SET, "srem");
        ctx.srv.dirty += removed - 1;
        delete_if_empty(ctx, &a[1]);
    }
    Reply::Int(removed as i64)
}

fn smembers(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    match ctx.read_set(&a[1]) {
        Ok(s) => set_reply(s.into_iter().flat_map(|s| s.iter())),
        Err(e) => e,
    }
}

fn sismember(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    match ctx.read_set(&a[1]) {
        Ok(s) => Reply::Int(s.is_some_and(|s| s.contains(&a[2][..])) as i64),
        Err(e) => e,
    }
}

fn smismember(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    match ctx.read_set(&a[1]) {
        Ok(s) => Reply::Array(
            a[2..]
                .iter()
                .map(|m| Reply::Int(s.as_ref().is_some_and(|s| s.contains(&m[..])) as i64))
                .collect(),
        ),
        Err(e) => e,
    }
}

fn scard(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    match ctx.read_set(&a[1]) {
        Ok(s) => Reply::Int(s.map_or(0, |s| s.len() as i64)),
        Err(e) => e,
    }
}

/// `lazyfree-lazy-server-del`: implicit deletions propagate as UNLINK.
fn lazy_server_del(ctx: &Ctx) -> bool {
    ctx.srv.config.value("lazyfree-lazy-server-del").as_deref() == Some(b"yes")
}

fn spop(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    match a.len() {
        2 => spop_one(ctx, &a[1]),
        3 => spop_count(ctx, a),
        _ => args::syntax_error(),
    }
}

fn spop_one(ctx: &mut Ctx, key: &[u8]) -> Reply {
    let len = match ctx.write_set(key) {
        Ok(Some(s)) if !s.is_empty() => s.len(),
        Ok(_) => return Reply::Null,
        Err(e) => return e,
    };
    let i = ctx.srv.rng.random_range(0..len);
    let popped = match ctx.write_set(key) {
        Ok(Some(s)) => s.swap_remove_index(i),
        _ => None,
    };
    let Some(m) = popped else {
        return Reply::Null;
    };
    ctx.modified(key, notify::SET, "spop");
    delete_if_empty(ctx, key);
    // The random choice is made here; replicas remove the same member.
    ctx.propagate_as(vec![arg("SREM"), Bytes::copy_from_slice(key), m.clone()]);
    Reply::Bulk(m)
}

fn spop_count(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let key = &a[1];
    let count = match parse_i64(&a[2]) {
        Some(n) if n >= 0 => n as u64,
        _ => return Reply::err("ERR value is out of range, must be positive"),
    };
    let len = match ctx.write_set(key) {
        Ok(Some(s)) => s.len() as u64,
        Ok(None) => return Reply::Set(vec![]),
        Err(e) => return e,
    };
    if count == 0 || len == 0 {
        return Reply::Set(vec![]);
    }
    let db = ctx.db();
    ctx.modified(key, notify::SET, "spop");
    ctx.srv.dirty += count.min(len) - 1;
    if count >= len {
        let Some(entry) = ctx.srv.dbs[db].remove(key) else {
            return Reply::Set(vec![]);
        };
        ctx.srv.notify(notify::GENERIC, "del", key, db);
        let del = if lazy_server_del(ctx) {
            "UNLINK"
        } else {
            "DEL"
        };
        ctx.propagate_as(vec![arg(del), a[1].clone()]);
        return match entry.value {
            Value::Set(s) => Reply::Set(s.into_iter().map(Reply::Bulk).collect()),
            _ => Reply::Set(vec![]),
        };
    }
    let picks: Vec<usize> = (0..count)
        .map(|j| ctx.srv.rng.random_range(0..(len - j) as usize))
        .collect();
    let Ok(Some(set)) = ctx.write_set(key) else {
        return Reply::Set(vec![]);
    };
    let popped: Vec<Bytes> = picks
        .into_iter()
        .filter_map(|i| set.swap_remove_index(i))
        .collect();
    // Propagated as SREMs of the chosen members, 1024 per command (several are wrapped in
    // MULTI/EXEC), as Redis does.
    for batch in popped.chunks(1024) {
        let mut argv = Vec::with_capacity(batch.len() + 2);
        argv.push(arg("SREM"));
        argv.push(a[1].clone());
        argv.extend(batch.iter().cloned());
        ctx.also_propagate(argv);
    }
    ctx.prevent_propagation();
    Reply::Set(popped.into_iter().map(Reply::Bulk).collect())
}

fn srandmember(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    if a.len() > 3 {
        return args::syntax_error();
    }
    let count = match a.get(2).map(|c| sampling::parse_count(c)) {
        None => None,
        Some(Ok(c)) => Some(c),
        Some(Err(e)) => return e,
    };
    let empty = || match count {
        Some(_) => Reply::Array(vec![]),
        None => Reply::Null,
    };
    let len = match ctx.read_set(&a[1]) {
        Ok(Some(s)) if !s.is_empty() => s.len(),
        Ok(_) => return empty(),
        Err(e) => return e,
    };
    let Some(count) = count else {
        let i = ctx.srv.rng.random_range(0..len);
        return stored_set(ctx, &a[1])
            .and_then(|s| s.get_index(i))
            .map_or(Reply::Null, |m| Reply::Bulk(m.clone()));
    };
    if count == 0 {
        return empty();
    }
    let picks = sampling::random_indexes(&mut ctx.srv.rng, len, count);
    let Some(set) = stored_set(ctx, &a[1]) else {
        return empty();
    };
    Reply::Array(
        picks
            .into_iter()
            .filter_map(|i| set.get_index(i))
            .map(|m| Reply::Bulk(m.clone()))
            .collect(),
    )
}

fn smove(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let (src, dst, member) = (&a[1], &a[2], &a[3]);
    let src_exists = match ctx.write_set(src) {
        Ok(s) => s.is_some(),
        Err(e) => return e,
    };
    // A missing source answers 0 even when the destination has the wrong type, as in Redis.
    let dst_exists = match ctx.write_set(dst) {
        Ok(s) => s.is_some(),
        Err(e) if src_exists => return e,
        Err(_) => return Reply::Int(0),
    };
    if !src_exists {
        return Reply::Int(0);
    }
    if src == dst {
        return match ctx.write_set(src) {
            Ok(Some(s)) => Reply::Int(s.contains(&member[..]) as i64),
            _ => Reply::Int(0),
        };
    }
    let removed = ctx
        .write_set(src)
        .is_ok_and(|s| s.is_some_and(|s| s.swap_remove(&member[..])));
    if !removed {
        return Reply::Int(0);
    }
    ctx.modified(src, notify::SET, "srem");
    delete_if_empty(ctx, src);
    if !dst_exists {
        ctx.store(dst, Value::Set(Box::default()));
    }
    let added = ctx
        .write_set(dst)
        .is_ok_and(|s| s.is_some_and(|s| s.insert(args::own(member))));
    if added {
        ctx.modified(dst, notify::SET, "sadd");
    }
    Reply::Int(1)
}

/// Looks every key up in order (expiry, statistics, type check) as Redis does before combining
/// sets: the first key holding another type answers WRONGTYPE, missing keys are empty sets.
fn check_sets(ctx: &mut Ctx, keys: &[Bytes], write: bool) -> Result<(), Reply> {
    for k in keys {
        if write {
            ctx.write_set(k)?;
        } else {
            ctx.read_set(k)?;
        }
    }
    Ok(())
}

/// Calls `f` for each member of the intersection until it returns false.
fn intersect_each(mut sets: Vec<Option<&Set>>, mut f: impl FnMut(&Bytes) -> bool) {
    if sets.iter().any(|s| s.is_none_or(|s| s.is_empty())) {
        return;
    }
    let mut sets: Vec<&Set> = sets.drain(..).flatten().collect();
    sets.sort_by_key(|s| s.len());
    let Some((smallest, rest)) = sets.split_first() else {
        return;
    };
    for m in smallest.iter() {
        if rest.iter().all(|s| s.contains(m)) && !f(m) {
            return;
        }
    }
}

/// Which algebra operation a command performs.
#[derive(Clone, Copy)]
enum Op {
    Inter,
    Union,
    Diff,
}

/// Computes `op` over the sets stored at `keys` (already checked with [`check_sets`]).
fn combine(ctx: &Ctx, keys: &[Bytes], op: Op) -> Set {
    let sets: Vec<Option<&Set>> = keys.iter().map(|k| stored_set(ctx, k)).collect();
    let mut out = Set::default();
    match op {
        Op::Inter => intersect_each(sets, |m| {
            out.insert(m.clone());
            true
        }),
        Op::Union => {
            for s in sets.into_iter().flatten() {
                out.extend(s.iter().cloned());
            }
        }
        Op::Diff => {
            if let Some((Some(first), rest)) = sets.split_first() {
                let rest: Vec<&Set> = rest.iter().flatten().copied().collect();
                out.extend(
                    first
                        .iter()
                        .filter(|m| !rest.iter().any(|s| s.contains(*m)))
                        .cloned(),
                );
            }
        }
    }
    out
}

fn algebra(ctx: &mut Ctx, a: &[Bytes], op: Op) -> Reply {
    if let Err(e) = check_sets(ctx, &a[1..], false) {
        return e;
    }
    set_reply(&combine(ctx, &a[1..], op))
}

fn algebra_store(ctx: &mut Ctx, a: &[Bytes], op: Op, event: &str) -> Reply {
    let dst = &a[1];
    if let Err(e) = check_sets(ctx, &a[2..], true) {
        return e;
    }
    let result = combine(ctx, &a[2..], op);
    if result.is_empty() {
        if ctx.delete(dst) {
            ctx.modified(dst, notify::GENERIC, "del");
        }
        return Reply::Int(0);
    }
    let n = result.len() as i64;
    ctx.store(dst, Value::Set(Box::new(result)));
    ctx.modified(dst, notify::SET, event);
    Reply::Int(n)
}

fn sinter(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    algebra(ctx, a, Op::Inter)
}

fn sunion(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    algebra(ctx, a, Op::Union)
}

fn sdiff(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    algebra(ctx, a, Op::Diff)
}

fn sinterstore(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    algebra_store(ctx, a, Op::Inter, "sinterstore")
}

fn sunionstore(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    algebra_store(ctx, a, Op::Union, "sunionstore")
}

fn sdiffstore(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    algebra_store(ctx, a, Op::Diff, "sdiffstore")
}

/// Key positions of `SINTERCARD numkeys key [key ...] [LIMIT n]` (none when numkeys is bad).
fn sintercard_keys(a: &[Bytes]) -> Vec<usize> {
    match a.get(1).and_then(|n| parse_i64(n)) {
        Some(n) if n > 0 => (2..a.len()).take(n as usize).collect(),
        _ => Vec::new(),
    }
}

fn sintercard(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let numkeys = match parse_i64(&a[1]) {
        Some(n) if n > 0 => n as u64,
        _ => return Reply::err("ERR numkeys should be greater than 0"),
    };
    if numkeys > a.len() as u64 - 2 {
        return Reply::err("ERR Number of keys can't be greater than number of args");
    }
    let keys_end = 2 + numkeys as usize;
    let mut limit = 0u64;
    let mut i = keys_end;
    while i < a.len() {
        if args::is(&a[i], "limit") && i + 1 < a.len() {
            limit = match parse_i64(&a[i + 1]) {
                Some(n) if n >= 0 => n as u64,
                _ => return Reply::err("ERR LIMIT can't be negative"),
            };
            i += 2;
        } else {
            return args::syntax_error();
        }
    }
    let keys = &a[2..keys_end];
    if let Err(e) = check_sets(ctx, keys, false) {
        return e;
    }
    let sets: Vec<Option<&Set>> = keys.iter().map(|k| stored_set(ctx, k)).collect();
    let mut n = 0u64;
    intersect_each(sets, |_| {
        n += 1;
        limit == 0 || n < limit
    });
    Reply::Int(n as i64)
}

fn sscan(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let opts = match keys::parse_key_scan(a, || ctx.read_set(&a[1]).map(|v| v.is_some())) {
        Ok(Some(o)) => o,
        Ok(None) => return keys::scan_reply(0, vec![]),
        Err(e) => return e,
    };
    let Some(set) = stored_set(ctx, &a[1]) else {
        return keys::scan_reply(0, vec![]);
    };
    let mut items = Vec::new();
    let next = scan_indexed(set.len(), opts.cursor, opts.count, |i| {
        if let Some(m) = set.get_index(i)
            && opts
                .pattern
                .as_ref()
                .is_none_or(|p| glob_match(p, m, false))
        {
            items.push(Reply::Bulk(m.clone()));
        }
    });
    keys::scan_reply(next, items)
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use crate::resp::Reply;
    use crate::server::commands::testkit::Harness;

    #[test]
    fn sintercard_key_positions_follow_numkeys() {
        let words = |w: &[&str]| -> Vec<Bytes> {
            w.iter()
                .map(|s| Bytes::copy_from_slice(s.as_bytes()))
                .collect()
        };
        let keys = super::sintercard_keys;
        assert_eq!(
            keys(&words(&["sintercard", "2", "a", "b", "LIMIT", "1"])),
            [2, 3]
        );
        assert_eq!(keys(&words(&["sintercard", "5", "a", "b"])), [2, 3]);
        assert!(keys(&words(&["sintercard", "0", "a"])).is_empty());
        assert!(keys(&words(&["sintercard", "x", "a"])).is_empty());
    }

    #[test]
    fn membership_events() {
        let mut h = Harness::new();
        h.run(&["SADD", "s", "a", "b", "c"]);
        h.run(&["SADD", "s", "a"]);
        h.run(&["SREM", "s", "zz"]);
        h.run(&["SREM", "s", "a"]);
        assert_eq!(h.events(), ["sadd s", "srem s"]);
        h.run(&["SPOP", "s"]);
        h.run(&["SPOP", "s", "0"]);
        h.run(&["SPOP", "s", "5"]);
        assert_eq!(h.events(), ["spop s", "spop s", "del s"]);
        h.run(&["SADD", "one", "x"]);
        h.run(&["SPOP", "one"]);
        assert_eq!(h.events(), ["sadd one", "spop one", "del one"]);
    }

    #[test]
    fn smove_events() {
        let mut h = Harness::new();
        h.run(&["SADD", "s", "a", "b"]);
        h.run(&["SADD", "t", "b"]);
        h.events();
        assert_eq!(h.run(&["SMOVE", "s", "t", "b"]), Reply::Int(1));
        assert_eq!(h.events(), ["srem s"]);
        assert_eq!(h.run(&["SMOVE", "s", "t", "a"]), Reply::Int(1));
        assert_eq!(h.events(), ["srem s", "del s", "sadd t"]);
        assert_eq!(h.run(&["SMOVE", "s", "t", "a"]), Reply::Int(0));
        assert_eq!(h.run(&["SMOVE", "t", "t", "a"]), Reply::Int(1));
        assert!(h.events().is_empty());
    }

    #[test]
    fn store_events() {
        let mut h = Harness::new();
        h.run(&["SADD", "s1", "a", "b"]);
        h.run(&["SADD", "s2", "b", "c"]);
        h.events();
        h.run(&["SINTERSTORE", "d", "s1", "s2"]);
        h.run(&["SUNIONSTORE", "d", "s1", "s2"]);
        h.run(&["SDIFFSTORE", "d", "s1", "s2"]);
        h.run(&["SINTERSTORE", "d", "s1", "nokey"]);
        h.run(&["SINTERSTORE", "d", "s1", "nokey"]);
        assert_eq!(
            h.events(),
            ["sinterstore d", "sunionstore d", "sdiffstore d", "del d"]
        );
    }
}
