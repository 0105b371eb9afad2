//! Hash commands: HSET and friends, counters, whole-hash reads, random sampling and HSCAN.

use bytes::Bytes;
use rand::RngExt;

use super::{args, keys, sampling};
use crate::resp::Reply;
use crate::server::command::{CommandSpec, acl, flags::*};
use crate::server::db::scan_indexed;
use crate::server::notify;
use crate::server::state::Ctx;
use crate::server::value::{FastMap, Value};
use crate::util::glob::glob_match;
use crate::util::num::{format_long_double, parse_f64, parse_i64};

/// The hash command family.
#[rustfmt::skip]
pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("hset", -4, hset).flags(WRITE | DENYOOM | FAST).acl(acl::HASH).keys(1, 1, 1)
        .doc("hash", "2.0.0", "Set the string value of a hash field"),
    CommandSpec::new("hsetnx", 4, hsetnx).flags(WRITE | DENYOOM | FAST).acl(acl::HASH).keys(1, 1, 1)
        .doc("hash", "2.0.0", "Set the value of a hash field, only if the field does not exist"),
    CommandSpec::new("hget", 3, hget).flags(READONLY | FAST).acl(acl::HASH).keys(1, 1, 1)
        .doc("hash", "2.0.0", "Get the value of a hash field"),
    CommandSpec::new("hmset", -4, hmset).flags(WRITE | DENYOOM | FAST).acl(acl::HASH).keys(1, 1, 1)
        .doc("hash", "2.0.0", "Set multiple hash fields to multiple values"),
    CommandSpec::new("hmget", -3, hmget).flags(READONLY | FAST).acl(acl::HASH).keys(1, 1, 1)
        .doc("hash", "2.0.0", "Get the values of all the given hash fields"),
    CommandSpec::new("hdel", -3, hdel).flags(WRITE | FAST).acl(acl::HASH).keys(1, 1, 1)
        .doc("hash", "2.0.0", "Delete one or more hash fields"),
    CommandSpec::new("hexists", 3, hexists).flags(READONLY | FAST).acl(acl::HASH).keys(1, 1, 1)
        .doc("hash", "2.0.0", "Determine if a hash field exists"),
    CommandSpec::new("hlen", 2, hlen).flags(READONLY | FAST).acl(acl::HASH).keys(1, 1, 1)
        .doc("hash", "2.0.0", "Get the number of fields in a hash"),
    CommandSpec::new("hstrlen", 3, hstrlen).flags(READONLY | FAST).acl(acl::HASH).keys(1, 1, 1)
        .doc("hash", "3.2.0", "Get the length of the value of a hash field"),
    CommandSpec::new("hkeys", 2, hkeys).flags(READONLY).acl(acl::HASH).keys(1, 1, 1)
        .doc("hash", "2.0.0", "Get all the fields in a hash"),
    CommandSpec::new("hvals", 2, hvals).flags(READONLY).acl(acl::HASH).keys(1, 1, 1)
        .doc("hash", "2.0.0", "Get all the values in a hash"),
    CommandSpec::new("hgetall", 2, hgetall).flags(READONLY).acl(acl::HASH).keys(1, 1, 1)
        .doc("hash", "2.0.0", "Get all the fields and values in a hash"),
    CommandSpec::new("hincrby", 4, hincrby).flags(WRITE | DENYOOM | FAST).acl(acl::HASH).keys(1, 1, 1)
        .doc("hash", "2.0.0", "Increment the integer value of a hash field by the given number"),
    CommandSpec::new("hincrbyfloat", 4, hincrbyfloat).flags(WRITE | DENYOOM | FAST).acl(acl::HASH).keys(1, 1, 1)
        .doc("hash", "2.6.0", "Increment the float value of a hash field by the given amount"),
    CommandSpec::new("hrandfield", -2, hrandfield).flags(READONLY).acl(acl::HASH).keys(1, 1, 1)
        .doc("hash", "6.2.0", "Get one or multiple random fields from a hash"),
    CommandSpec::new("hscan", -3, hscan).flags(READONLY).acl(acl::HASH).keys(1, 1, 1)
        .doc("hash", "2.8.0", "Incrementally iterate hash fields and associated values"),
];

type Hash = FastMap<Bytes, Bytes>;

/// Returns the hash at `key` for writing, creating an empty one when absent. Only call it when
/// the command is certain to add a field, so no empty hash is left behind.
fn hash_or_create<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Result<&'c mut Hash, Reply> {
    if ctx.write_hash(key)?.is_none() {
        ctx.store(key, Value::Hash(Box::default()));
    }
    ctx.write_hash(key)?
        .ok_or_else(|| Reply::err("ERR hash vanished while being created"))
}

/// Deletes `key` (with Redis's `del` event) when its hash has become empty.
fn delete_if_empty(ctx: &mut Ctx, key: &[u8]) {
    if matches!(ctx.write_hash(key), Ok(Some(h)) if h.is_empty()) {
        ctx.delete(key);
        let db = ctx.db();
        ctx.srv.notify(notify::GENERIC, "del", key, db);
    }
}

/// HSET and HMSET: set every pair, count the new fields.
fn set_pairs(ctx: &mut Ctx, a: &[Bytes]) -> Result<i64, Reply> {
    if !a.len().is_multiple_of(2) {
        return Err(Reply::err(format!(
            "ERR wrong number of arguments for '{}' command",
            args::lower(&a[0])
        )));
    }
    let h = hash_or_create(ctx, &a[1])?;
    let mut created = 0;
    for pair in a[2..].chunks_exact(2) {
        if h.insert(args::own(&pair[0]), args::own(&pair[1])).is_none() {
            created += 1;
        }
    }
    ctx.modified(&a[1], notify::HASH, "hset");
    ctx.srv.dirty += (a.len() as u64 - 2) / 2 - 1;
    Ok(created)
}

fn hset(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    match set_pairs(ctx, a) {
        Ok(n) => Reply::Int(n),
        Err(e) => e,
    }
}

fn hmset(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    match set_pairs(ctx, a) {
        Ok(_) => Reply::Ok,
        Err(e) => e,
    }
}

fn hsetnx(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    match ctx.write_hash(&a[1]) {
        Err(e) => return e,
        Ok(Some(h)) if h.contains_key(&a[2][..]) => return Reply::Int(0),
        Ok(_) => {}
    }
    match hash_or_create(ctx, &a[1]) {
        Ok(h) => {
            h.insert(args::own(&a[2]), args::own(&a[3]));
        }
        Err(e) => return e,
    }
    ctx.modified(&a[1], notify::HASH, "hset");
    Reply::Int(1)
}

fn hget(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    match ctx.read_hash(&a[1]) {
        Ok(Some(h)) => h
            .get(&a[2][..])
            .map_or(Reply::Null, |v| Reply::Bulk(v.clone())),
        Ok(None) => Reply::Null,
        Err(e) => e,
    }
}

fn hmget(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let h = match ctx.read_hash(&a[1]) {
        Ok(h) => h,
        Err(e) => return e,
    };
    let get = |f: &Bytes| {
        h.as_ref()
            .and_then(|h| h.get(&f[..]))
            .map_or(Reply::Null, |v| Reply::Bulk(v.clone()))
    };
    Reply::Array(a[2..].iter().map(get).collect())
}

fn hdel(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let h = match ctx.write_hash(&a[1]) {
        Ok(Some(h)) => h,
        Ok(None) => return Reply::Int(0),
        Err(e) => return e,
    };
    let mut deleted = 0;
    for f in &a[2..] {
        if h.swap_remove(&f[..]).is_some() {
            deleted += 1;
            if h.is_empty() {
                break;
            }
        }
    }
    if deleted > 0 {
        ctx.modified(&a[1], notify::HASH, "hdel");
        ctx.srv.dirty += deleted as u64 - 1;
        delete_if_empty(ctx, &a[1]);
    }
    Reply::Int(deleted)
}

fn hexists(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    match ctx.read_hash(&a[1]) {
        Ok(h) => Reply::Int(h.is_some_and(|h| h.contains_key(&a[2][..])) as i64),
        Err(e) => e,
    }
}

fn hlen(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    match ctx.read_hash(&a[1]) {
        Ok(h) => Reply::Int(h.map_or(0, |h| h.len() as i64)),
        Err(e) => e,
    }
}

fn hstrlen(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    match ctx.read_hash(&a[1]) {
        Ok(h) => Reply::Int(
            h.and_then(|h| h.get(&a[2][..]))
                .map_or(0, |v| v.len() as i64),
        ),
        Err(e) => e,
    }
}

fn hkeys(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    match ctx.read_hash(&a[1]) {
        Ok(h) => Reply::bulks(h.into_iter().flat_map(|h| h.keys().cloned())),
        Err(e) => e,
    }
}

fn hvals(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    match ctx.read_hash(&a[1]) {
        Ok(h) => Reply::bulks(h.into_iter().flat_map(|h| h.values().cloned())),
        Err(e) => e,
    }
}

fn hgetall(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    match ctx.read_hash(&a[1]) {
        Ok(h) => Reply::Map(
            h.into_iter()
                .flat_map(|h| h.iter())
                .map(|(k, v)| (Reply::Bulk(k.clone()), Reply::Bulk(v.clone())))
                .collect(),
        ),
        Err(e) => e,
    }
}

fn hincrby(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let incr = match args::int(&a[3]) {
        Ok(v) => v,
        Err(e) => return e,
    };
    let h = match hash_or_create(ctx, &a[1]) {
        Ok(h) => h,
        Err(e) => return e,
    };
    let current = match h.get(&a[2][..]) {
        Some(v) => match parse_i64(v) {
            Some(n) => n,
            None => return Reply::err("ERR hash value is not an integer"),
        },
        None => 0,
    };
    let Some(new) = current.checked_add(incr) else {
        return Reply::err("ERR increment or decrement would overflow");
    };
    h.insert(args::own(&a[2]), Bytes::from(new.to_string()));
    ctx.modified(&a[1], notify::HASH, "hincrby");
    Reply::Int(new)
}

fn hincrbyfloat(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let incr = match args::float(&a[3]) {
        Ok(v) => v,
        Err(e) => return e,
    };
    if !incr.is_finite() {
        return Reply::err("ERR value is NaN or Infinity");
    }
    let h = match hash_or_create(ctx, &a[1]) {
        Ok(h) => h,
        Err(e) => return e,
    };
    let current = match h.get(&a[2][..]) {
        Some(v) => match parse_f64(v) {
            Some(n) => n,
            None => return Reply::err("ERR hash value is not a float"),
        },
        None => 0.0,
    };
    let new = current + incr;
    if !new.is_finite() {
        return Reply::err("ERR increment would produce NaN or Infinity");
    }
    let text = Bytes::from(format_long_double(new));
    h.insert(args::own(&a[2]), text.clone());
    ctx.modified(&a[1], notify::HASH, "hincrbyfloat");
    // Float formatting must not differ between nodes: propagate the result.
    ctx.propagate_as(vec![
        crate::server::replication::propagate::arg("HSET"),
        a[1].clone(),
        a[2].clone(),
        text.clone(),
    ]);
    Reply::Bulk(text)
}

fn hrandfield(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    if a.len() == 2 {
        let len = match ctx.read_hash(&a[1]) {
            Ok(Some(h)) if !h.is_empty() => h.len(),
            Ok(_) => return Reply::Null,
            Err(e) => return e,
        };
        let i = ctx.srv.rng.random_range(0..len);
        return stored_hash(ctx, &a[1])
            .and_then(|h| h.get_index(i))
            .map_or(Reply::Null, |(k, _)| Reply::Bulk(k.clone()));
    }
    let count = match sampling::parse_count(&a[2]) {
        Ok(c) => c,
        Err(e) => return e,
    };
    let with_values = match a.len() {
        3 => false,
        4 if args::is(&a[3], "withvalues") => {
            if count.unsigned_abs() > (i64::MAX / 2) as u64 {
                return Reply::err("ERR value is out of range");
            }
            true
        }
        _ => return args::syntax_error(),
    };
    let resp3 = ctx.client.resp() >= 3;
    let len = match ctx.read_hash(&a[1]) {
        Ok(Some(h)) => h.len(),
        Ok(None) => return Reply::Array(vec![]),
        Err(e) => return e,
    };
    if count == 0 || len == 0 {
        return Reply::Array(vec![]);
    }
    let picks = sampling::random_indexes(&mut ctx.srv.rng, len, count);
    let Some(h) = stored_hash(ctx, &a[1]) else {
        return Reply::Array(vec![]);
    };
    let mut out = Vec::with_capacity(picks.len() * if with_values && !resp3 { 2 } else { 1 });
    for i in picks {
        let Some((k, v)) = h.get_index(i) else {
            continue;
        };
        match (with_values, resp3) {
            (false, _) => out.push(Reply::Bulk(k.clone())),
            (true, false) => {
                out.push(Reply::Bulk(k.clone()));
                out.push(Reply::Bulk(v.clone()));
            }
            (true, true) => out.push(Reply::Array(vec![
                Reply::Bulk(k.clone()),
                Reply::Bulk(v.clone()),
            ])),
        }
    }
    Reply::Array(out)
}

/// The hash stored at `key` without lookup side effects; call after a typed lookup has already
/// handled expiry and statistics, when a borrow of the map must coexist with other state.
fn stored_hash<'c>(ctx: &'c Ctx, key: &[u8]) -> Option<&'c Hash> {
    match ctx.srv.dbs[ctx.client.db]
        .entries
        .get(key)
        .map(|e| &e.value)
    {
        Some(Value::Hash(h)) => Some(h),
        _ => None,
    }
}

fn hscan(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let opts = match keys::parse_key_scan(a, || ctx.read_hash(&a[1]).map(|v| v.is_some())) {
        Ok(Some(o)) => o,
        Ok(None) => return keys::scan_reply(0, vec![]),
        Err(e) => return e,
    };
    let Some(h) = stored_hash(ctx, &a[1]) else {
        return keys::scan_reply(0, vec![]);
    };
    let mut items = Vec::new();
    let next = scan_indexed(h.len(), opts.cursor, opts.count, |i| {
        if let Some((k, v)) = h.get_index(i)
            && opts
                .pattern
                .as_ref()
                .is_none_or(|p| glob_match(p, k, false))
        {
            items.push(Reply::Bulk(k.clone()));
            items.push(Reply::Bulk(v.clone()));
        }
    });
    keys::scan_reply(next, items)
}

#[cfg(test)]
mod tests {
    use crate::resp::Reply;
    use crate::server::commands::testkit::Harness;

    #[test]
    fn keyspace_events_use_redis_names() {
        let mut h = Harness::new();
        h.run(&["HSET", "h", "a", "1", "b", "2"]);
        h.run(&["HMSET", "h", "c", "3"]);
        h.run(&["HSETNX", "h", "a", "9"]);
        h.run(&["HSETNX", "h", "d", "4"]);
        h.run(&["HINCRBY", "h", "n", "1"]);
        h.run(&["HINCRBYFLOAT", "h", "f", "1.5"]);
        h.run(&["HDEL", "h", "zz"]);
        assert_eq!(
            h.events(),
            ["hset h", "hset h", "hset h", "hincrby h", "hincrbyfloat h"]
        );
        assert_eq!(
            h.run(&["HDEL", "h", "a", "b", "c", "d", "n", "f"]),
            Reply::Int(6)
        );
        assert_eq!(h.events(), ["hdel h", "del h"]);
        assert_eq!(h.run(&["EXISTS", "h"]), Reply::Int(0));
    }

    #[test]
    fn failed_increments_leave_no_key_and_no_event() {
        let mut h = Harness::new();
        assert!(h.run(&["HINCRBY", "h", "f", "x"]).is_error());
        assert!(h.run(&["HINCRBYFLOAT", "h", "f", "inf"]).is_error());
        assert_eq!(h.run(&["EXISTS", "h"]), Reply::Int(0));
        assert!(h.events().is_empty());
    }
}
