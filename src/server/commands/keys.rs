//! Generic keyspace commands: DEL, EXISTS, TYPE, EXPIRE and friends, RENAME, KEYS, SCAN, ...

use bytes::Bytes;
use rand::RngExt;

use super::args;
use crate::resp::Reply;
use crate::server::command::{CommandSpec, acl, flags::*};
use crate::server::db::Db;
use crate::server::key::Key;
use crate::server::notify;
use crate::server::replication::propagate::{arg, int_arg};
use crate::server::state::Ctx;
use crate::server::value::{NO_EXPIRE, Value};
use crate::util::glob::glob_match;

/// The generic keyspace command family.
pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("del", -2, del).flags(WRITE).acl(acl::KEYSPACE).keys(1, -1, 1)
        .doc("generic", "1.0.0", "Deletes one or more keys."),
    CommandSpec::new("unlink", -2, del).flags(WRITE | FAST).acl(acl::KEYSPACE).keys(1, -1, 1)
        .doc("generic", "4.0.0", "Asynchronously deletes one or more keys."),
    CommandSpec::new("exists", -2, exists).flags(READONLY | FAST).acl(acl::KEYSPACE).keys(1, -1, 1)
        .doc("generic", "1.0.0", "Determines whether one or more keys exist."),
    CommandSpec::new("type", 2, type_cmd).flags(READONLY | FAST).acl(acl::KEYSPACE).keys(1, 1, 1)
        .doc("generic", "1.0.0", "Determines the type of value stored at a key."),
    CommandSpec::new("expire", -3, expire).flags(WRITE | FAST).acl(acl::KEYSPACE).keys(1, 1, 1)
        .doc("generic", "1.0.0", "Sets the expiration time of a key in seconds."),
    CommandSpec::new("pexpire", -3, pexpire).flags(WRITE | FAST).acl(acl::KEYSPACE).keys(1, 1, 1)
        .doc("generic", "2.6.0", "Sets the expiration time of a key in milliseconds."),
    CommandSpec::new("expireat", -3, expireat).flags(WRITE | FAST).acl(acl::KEYSPACE).keys(1, 1, 1)
        .doc("generic", "1.2.0", "Sets the expiration time of a key to a Unix timestamp."),
    CommandSpec::new("pexpireat", -3, pexpireat).flags(WRITE | FAST).acl(acl::KEYSPACE).keys(1, 1, 1)
        .doc("generic", "2.6.0", "Sets the expiration time of a key to a Unix milliseconds timestamp."),
    CommandSpec::new("expiretime", 2, expiretime).flags(READONLY | FAST).acl(acl::KEYSPACE).keys(1, 1, 1)
        .doc("generic", "7.0.0", "Returns the expiration time of a key as a Unix timestamp."),
    CommandSpec::new("pexpiretime", 2, pexpiretime).flags(READONLY | FAST).acl(acl::KEYSPACE).keys(1, 1, 1)
        .doc("generic", "7.0.0", "Returns the expiration time of a key as a Unix milliseconds timestamp."),
    CommandSpec::new("ttl", 2, ttl).flags(READONLY | FAST).acl(acl::KEYSPACE).keys(1, 1, 1)
        .doc("generic", "1.0.0", "Returns the expiration time in seconds of a key."),
    CommandSpec::new("pttl", 2, pttl).flags(READONLY | FAST).acl(acl::KEYSPACE).keys(1, 1, 1)
        .doc("generic", "2.6.0", "Returns the expiration time in milliseconds of a key."),
    CommandSpec::new("persist", 2, persist).flags(WRITE | FAST).acl(acl::KEYSPACE).keys(1, 1, 1)
        .doc("generic", "2.2.0", "Removes the expiration time of a key."),
    CommandSpec::new("rename", 3, rename).flags(WRITE).acl(acl::KEYSPACE).keys(1, 2, 1)
        .doc("generic", "1.0.0", "Renames a key and overwrites the destination."),
    CommandSpec::new("renamenx", 3, renamenx).flags(WRITE | FAST).acl(acl::KEYSPACE).keys(1, 2, 1)
        .doc("generic", "1.0.0", "Renames a key only when the target key name doesn't exist."),
    CommandSpec::new("keys", 2, keys).flags(READONLY).acl(acl::KEYSPACE | acl::DANGEROUS)
        .doc("generic", "1.0.0", "Returns all key names that match a pattern."),
    CommandSpec::new("scan", -2, scan).flags(READONLY).acl(acl::KEYSPACE)
        .doc("generic", "2.8.0", "Iterates over the key names in the database."),
    CommandSpec::new("randomkey", 1, randomkey).flags(READONLY).acl(acl::KEYSPACE)
        .doc("generic", "1.0.0", "Returns a random key name from the database."),
    CommandSpec::new("move", 3, move_cmd).flags(WRITE | FAST).acl(acl::KEYSPACE).keys(1, 1, 1)
        .doc("generic", "1.0.0", "Moves a key to another database."),
    CommandSpec::new("copy", -3, copy).flags(WRITE | DENYOOM).acl(acl::KEYSPACE).keys(1, 2, 1)
        .doc("generic", "6.2.0", "Copies the value of a key to a new key."),
    CommandSpec::new("touch", -2, touch).flags(READONLY | FAST).acl(acl::KEYSPACE).keys(1, -1, 1)
        .doc("generic", "3.2.1", "Returns the number of existing keys out of those specified after updating the time they were last accessed."),
    CommandSpec::new("dbsize", 1, dbsize).flags(READONLY | FAST).acl(acl::KEYSPACE)
        .doc("server", "1.0.0", "Returns the number of keys in the database."),
    CommandSpec::new("flushdb", -1, flushdb).flags(WRITE).acl(acl::KEYSPACE | acl::DANGEROUS)
        .doc("server", "1.0.0", "Removes all keys from the current database."),
    CommandSpec::new("flushall", -1, flushall).flags(WRITE).acl(acl::KEYSPACE | acl::DANGEROUS)
        .doc("server", "1.0.0", "Removes all keys from all databases."),
    CommandSpec::new("swapdb", 3, swapdb).flags(WRITE | FAST).acl(acl::KEYSPACE | acl::DANGEROUS)
        .doc("server", "4.0.0", "Swaps two Redis databases."),
];

fn del(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let mut n = 0;
    for key in &a[1..] {
        if ctx.delete(key) {
            ctx.modified(key, notify::GENERIC, "del");
            n += 1;
        }
    }
    Reply::Int(n)
}

fn exists(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let db = ctx.db();
    Reply::Int(a[1..].iter().filter(|k| ctx.srv.exists(db, k)).count() as i64)
}

fn type_cmd(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let db = ctx.db();
    match ctx.srv.lookup_write(db, &a[1]) {
        Some(e) => Reply::Status(e.value.type_name().into()),
        None => Reply::Status("none".into()),
    }
}

/// Shared implementation of EXPIRE/PEXPIRE/EXPIREAT/PEXPIREAT.
fn expire_generic(ctx: &mut Ctx, a: &[Bytes], unit_ms: i64, absolute: bool) -> Reply {
    let name = String::from_utf8_lossy(&a[0]).to_ascii_lowercase();
    let (mut nx, mut xx, mut gt, mut lt) = (false, false, false, false);
    for opt in &a[3..] {
        match args::lower(opt).as_str() {
            "nx" => nx = true,
            "xx" => xx = true,
            "gt" => gt = true,
            "lt" => lt = true,
            _ => {
                return Reply::err(format!(
                    "ERR Unsupported option {}",
                    String::from_utf8_lossy(opt)
                ));
            }
        }
    }
    if nx && (xx || gt || lt) {
        return Reply::err("ERR NX and XX, GT or LT options at the same time are not compatible");
    }
    if gt && lt {
        return Reply::err("ERR GT and LT options at the same time are not compatible");
    }
    // Options are validated before the time, as Redis does.
    let Some(when) = crate::util::num::parse_i64(&a[2]) else {
        return args::not_integer();
    };
    let invalid = || Reply::err(format!("ERR invalid expire time in '{name}' command"));
    let Some(mut at) = when.checked_mul(unit_ms) else {
        return invalid();
    };
    if !absolute {
        let Some(v) = at.checked_add(ctx.now()) else {
            return invalid();
        };
        at = v;
    }
    let now = ctx.now();
    let Some(entry) = ctx.write(&a[1]) else {
        return Reply::Int(0);
    };
    let current = entry.expires_at;
    if nx && current != NO_EXPIRE {
        return Reply::Int(0);
    }
    if xx && current == NO_EXPIRE {
        return Reply::Int(0);
    }
    if gt && (current == NO_EXPIRE || at <= current) {
        return Reply::Int(0);
    }
    if lt && current != NO_EXPIRE && at >= current {
        return Reply::Int(0);
    }
    // A replica applies its master's (absolute) times as they are; the master sends the DEL.
    if at <= now && !ctx.srv.repl.is_replica() {
        ctx.delete(&a[1]);
        ctx.modified(&a[1], notify::GENERIC, "del");
        let del = if ctx.srv.repl.cfg.lazy_expire {
            "UNLINK"
        } else {
            "DEL"
        };
        ctx.propagate_as(vec![arg(del), a[1].clone()]);
        return Reply::Int(1);
    }
    let db = ctx.db();
    ctx.srv.dbs[db].set_expire(&a[1], at);
    ctx.modified(&a[1], notify::GENERIC, "expire");
    if !(absolute && unit_ms == 1) {
        // Propagated as PEXPIREAT with the absolute time; the options stay (already applied).
        let mut argv = a.to_vec();
        argv[0] = arg("PEXPIREAT");
        argv[2] = int_arg(at);
        ctx.propagate_as(argv);
    }
    Reply::Int(1)
}

fn expire(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    expire_generic(ctx, a, 1000, false)
}

fn pexpire(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    expire_generic(ctx, a, 1, false)
}

fn expireat(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    expire_generic(ctx, a, 1000, true)
}

fn pexpireat(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    expire_generic(ctx, a, 1, true)
}

/// TTL-family reply: -2 missing, -1 no TTL, else the value in the unit.
fn ttl_generic(ctx: &mut Ctx, key: &[u8], f: impl Fn(i64, i64) -> i64) -> Reply {
    let now = ctx.now();
    let db = ctx.db();
    match ctx.srv.lookup_read_notouch(db, key) {
        None => Reply::Int(-2),
        Some(e) if !e.has_expire() => Reply::Int(-1),
        Some(e) => Reply::Int(f(e.expires_at, now)),
    }
}

fn ttl(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    ttl_generic(ctx, &a[1], |at, now| ((at - now).max(0) + 500) / 1000)
}

fn pttl(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    ttl_generic(ctx, &a[1], |at, now| (at - now).max(0))
}

fn expiretime(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    ttl_generic(ctx, &a[1], |at, _| at / 1000)
}

fn pexpiretime(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    ttl_generic(ctx, &a[1], |at, _| at)
}

fn persist(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let Some(e) = ctx.write(&a[1]) else {
        return Reply::Int(0);
    };
    if !e.has_expire() {
        return Reply::Int(0);
    }
    let db = ctx.db();
    ctx.srv.dbs[db].set_expire(&a[1], NO_EXPIRE);
    ctx.modified(&a[1], notify::GENERIC, "persist");
    Reply::Int(1)
}

fn rename_generic(ctx: &mut Ctx, a: &[Bytes], nx: bool) -> Reply {
    let (src, dst) = (&a[1], &a[2]);
    if ctx.write(src).is_none() {
        return Reply::err("ERR no such key");
    }
    if src == dst {
        return if nx { Reply::Int(0) } else { Reply::Ok };
    }
    let db = ctx.db();
    if ctx.srv.exists(db, dst) {
        if nx {
            return Reply::Int(0);
        }
        ctx.srv.dbs[db].remove(dst);
    }
    let Some(entry) = ctx.srv.dbs[db].remove(src) else {
        return Reply::err("ERR no such key");
    };
    ctx.srv.dbs[db].insert(
        Key::from(&dst[..]),
        entry.value,
        entry.expires_at,
        entry.lru,
    );
    ctx.modified(src, notify::GENERIC, "rename_from");
    ctx.modified(dst, notify::GENERIC, "rename_to");
    if nx { Reply::Int(1) } else { Reply::Ok }
}

fn rename(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    rename_generic(ctx, a, false)
}

fn renamenx(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    rename_generic(ctx, a, true)
}

fn keys(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let db = ctx.db();
    let now = ctx.now();
    let pattern = &a[1];
    let all = pattern.as_ref() == b"*";
    let out: Vec<Reply> = ctx.srv.dbs[db]
        .entries
        .iter()
        .filter(|(k, e)| !e.is_expired(now) && (all || glob_match(pattern, k, false)))
        .map(|(k, _)| Reply::Bulk(k.to_bytes()))
        .collect();
    Reply::Array(out)
}

/// Options shared by SCAN, HSCAN, SSCAN and ZSCAN.
pub struct ScanOpts {
    /// Cursor to resume from.
    pub cursor: u64,
    /// MATCH pattern.
    pub pattern: Option<Bytes>,
    /// COUNT hint.
    pub count: usize,
    /// TYPE filter (SCAN only).
    pub type_filter: Option<String>,
}

/// Parses `cursor [MATCH pattern] [COUNT n] [TYPE t]` starting at `a[cursor_idx]`.
pub fn parse_scan(a: &[Bytes], cursor_idx: usize, allow_type: bool) -> Result<ScanOpts, Reply> {
    let cursor = parse_cursor(&a[cursor_idx]).ok_or_else(|| Reply::err("ERR invalid cursor"))?;
    let mut opts = ScanOpts {
        cursor,
        pattern: None,
        count: 10,
        type_filter: None,
    };
    let mut i = cursor_idx + 1;
    while i < a.len() {
        let more = i + 1 < a.len();
        if args::is(&a[i], "count") && more {
            let n = args::int(&a[i + 1])?;
            if n < 1 {
                return Err(args::syntax_error());
            }
            opts.count = n as usize;
        } else if args::is(&a[i], "match") && more {
            let p = a[i + 1].clone();
            opts.pattern = if p.as_ref() == b"*" { None } else { Some(p) };
        } else if allow_type && args::is(&a[i], "type") && more {
            opts.type_filter = Some(args::lower(&a[i + 1]));
        } else {
            return Err(args::syntax_error());
        }
        i += 2;
    }
    Ok(opts)
}

/// Reads a cursor the way Redis does with `strtoul`: an optional sign, decimal digits, nothing
/// after them (the text ends at a NUL byte, as C sees it); a leading space or a magnitude beyond
/// 64 bits is invalid, a minus sign wraps ("-1" is 2^64-1) and the empty string is 0.
fn parse_cursor(arg: &[u8]) -> Option<u64> {
    let text = arg.split(|&b| b == 0).next().unwrap_or_default();
    let (neg, digits) = crate::util::c_num::split_sign(text);
    if digits.is_empty() {
        // No number at all: strtoul leaves the end pointer at the start.
        return text.is_empty().then_some(0);
    }
    let mut v: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    Some(if neg { v.wrapping_neg() } else { v })
}

/// HSCAN/SSCAN/ZSCAN arguments checked in Redis's order: the cursor, then the key (`lookup`
/// says whether it exists, or gives the type error), then the options. `None`: no such key.
pub fn parse_key_scan(
    a: &[Bytes],
    lookup: impl FnOnce() -> Result<bool, Reply>,
) -> Result<Option<ScanOpts>, Reply> {
    parse_scan(&a[..3], 2, false)?;
    if !lookup()? {
        return Ok(None);
    }
    parse_scan(a, 2, false).map(Some)
}

/// Builds the `[cursor, [items...]]` reply.
pub fn scan_reply(cursor: u64, items: Vec<Reply>) -> Reply {
    Reply::Array(vec![Reply::text(cursor.to_string()), Reply::Array(items)])
}

fn scan(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let opts = match parse_scan(a, 1, true) {
        Ok(o) => o,
        Err(e) => return e,
    };
    let db = ctx.db();
    let now = ctx.now();
    let mut found = Vec::new();
    let mut expired = Vec::new();
    let next = ctx.srv.dbs[db].scan(opts.cursor, opts.count, |k, e| {
        if e.is_expired(now) {
            expired.push(k.clone());
            return;
        }
        if let Some(p) = &opts.pattern
            && !glob_match(p, k, false)
        {
            return;
        }
        if let Some(t) = &opts.type_filter
            && e.value.type_name() != t
        {
            return;
        }
        found.push(Reply::Bulk(k.to_bytes()));
    });
    for k in expired {
        ctx.srv.delete_expired(db, &k);
    }
    scan_reply(next, found)
}

fn randomkey(ctx: &mut Ctx, _a: &[Bytes]) -> Reply {
    let db = ctx.db();
    for _ in 0..100 {
        let len = ctx.srv.dbs[db].len();
        if len == 0 {
            return Reply::Null;
        }
        let idx = ctx.srv.rng.random_range(0..len);
        let Some(key) = ctx.srv.dbs[db].key_at(idx).cloned() else {
            return Reply::Null;
        };
        if ctx.srv.exists(db, &key) {
            return Reply::Bulk(key.to_bytes());
        }
    }
    Reply::Null
}

fn target_db(ctx: &Ctx, arg: &[u8]) -> Result<usize, Reply> {
    let idx = args::int(arg)?;
    if idx < 0 || idx as usize >= ctx.srv.dbs.len() {
        return Err(Reply::err("ERR DB index is out of range"));
    }
    Ok(idx as usize)
}

fn move_cmd(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let dst = match target_db(ctx, &a[2]) {
        Ok(d) => d,
        Err(e) => return e,
    };
    let src = ctx.db();
    if src == dst {
        return Reply::err("ERR source and destination objects are the same");
    }
    if !ctx.srv.exists(src, &a[1]) || ctx.srv.exists(dst, &a[1]) {
        return Reply::Int(0);
    }
    let Some(e) = ctx.srv.dbs[src].remove(&a[1]) else {
        return Reply::Int(0);
    };
    ctx.srv.dbs[dst].insert(Key::from(&a[1][..]), e.value, e.expires_at, e.lru);
    ctx.modified(&a[1], notify::GENERIC, "move_from");
    ctx.srv.signal_modified(dst, &a[1]);
    ctx.srv.notify(notify::GENERIC, "move_to", &a[1], dst);
    Reply::Int(1)
}

fn copy(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let src_db = ctx.db();
    let mut dst_db = src_db;
    let mut replace = false;
    let mut i = 3;
    while i < a.len() {
        if args::is(&a[i], "replace") {
            replace = true;
            i += 1;
        } else if args::is(&a[i], "db") && i + 1 < a.len() {
            dst_db = match target_db(ctx, &a[i + 1]) {
                Ok(d) => d,
                Err(e) => return e,
            };
            i += 2;
        } else {
            return args::syntax_error();
        }
    }
    if src_db == dst_db && a[1] == a[2] {
        return Reply::err("ERR source and destination objects are the same");
    }
    let Some(src) = ctx
        .srv
        .lookup_write(src_db, &a[1])
        .map(|e| (e.value.clone(), e.expires_at))
    else {
        return Reply::Int(0);
    };
    if ctx.srv.exists(dst_db, &a[2]) {
        if !replace {
            return Reply::Int(0);
        }
        ctx.srv.dbs[dst_db].remove(&a[2]);
    }
    ctx.srv.store(dst_db, &a[2], src.0, src.1);
    ctx.srv.signal_modified(dst_db, &a[2]);
    ctx.srv.notify(notify::GENERIC, "copy_to", &a[2], dst_db);
    ctx.srv.dirty += 1;
    Reply::Int(1)
}

fn touch(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    Reply::Int(a[1..].iter().filter(|k| ctx.read(k).is_some()).count() as i64)
}

fn dbsize(ctx: &mut Ctx, _a: &[Bytes]) -> Reply {
    Reply::Int(ctx.srv.dbs[ctx.client.db].len() as i64)
}

fn flush_mode_ok(a: &[Bytes]) -> bool {
    a.len() == 1 || (a.len() == 2 && (args::is(&a[1], "async") || args::is(&a[1], "sync")))
}

/// Hands a database's contents to a background thread to free, so a huge FLUSH does not stall.
pub fn drop_in_background(db: Db) {
    if db.len() < 1024 {
        return;
    }
    let _ = std::thread::Builder::new()
        .name("lazyfree".into())
        .spawn(move || drop(db));
}

/// Whether a flush frees memory in the background: only with ASYNC, or by default when
/// `lazyfree-lazy-user-flush` is set, as in Redis. A synchronous flush has its memory back before
/// the reply, so the very next write is not refused by maxmemory.
fn flush_async(ctx: &Ctx, a: &[Bytes]) -> bool {
    match a.get(1) {
        Some(mode) => args::is(mode, "async"),
        None => ctx.srv.config.value("lazyfree-lazy-user-flush").as_deref() == Some(b"yes"),
    }
}

/// Frees a flushed database now or on a background thread.
fn free_db(db: Db, background: bool) {
    if background {
        drop_in_background(db);
    } else {
        drop(db);
    }
}

fn flushdb(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    if !flush_mode_ok(a) {
        return args::syntax_error();
    }
    // Replicated even when the database was already empty.
    ctx.force_propagation(crate::server::replication::propagate::ALL);
    let db = ctx.db();
    let background = flush_async(ctx, a);
    ctx.srv.signal_flushed(Some(db));
    let old = std::mem::take(&mut ctx.srv.dbs[db]);
    ctx.srv.dirty += old.len() as u64;
    if ctx.srv.rdb.bgsave.is_some() && old.snap.is_some() {
        // A background save still needs the old table (point-in-time snapshot).
        crate::server::persistence::rdb::snapshot::retire_db(ctx.srv, old);
    } else {
        free_db(old, background);
    }
    Reply::Ok
}

fn flushall(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    if !flush_mode_ok(a) {
        return args::syntax_error();
    }
    let background = flush_async(ctx, a);
    ctx.force_propagation(crate::server::replication::propagate::ALL);
    ctx.srv.signal_flushed(None);
    // As Redis 7.0: a running background save is stopped, and with save points configured the
    // (now empty) dataset is saved at once, keeping the change counter.
    crate::server::persistence::rdb::snapshot::abort(ctx.srv);
    for i in 0..ctx.srv.dbs.len() {
        let old = std::mem::take(&mut ctx.srv.dbs[i]);
        ctx.srv.dirty += old.len() as u64;
        free_db(old, background);
    }
    if !ctx.srv.config.save_points.is_empty() {
        let dirty = ctx.srv.dirty;
        let _ = crate::server::persistence::rdb::save::save_sync(ctx.srv);
        ctx.srv.dirty = dirty;
    }
    ctx.srv.dirty += 1;
    Reply::Ok
}

fn swapdb(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let Some(x) = crate::util::num::parse_i64(&a[1]) else {
        return Reply::err("ERR invalid first DB index");
    };
    let Some(y) = crate::util::num::parse_i64(&a[2]) else {
        return Reply::err("ERR invalid second DB index");
    };
    let n = ctx.srv.dbs.len() as i64;
    if x < 0 || x >= n || y < 0 || y >= n {
        return Reply::err("ERR DB index is out of range");
    }
    let (x, y) = (x as usize, y as usize);
    if x != y {
        ctx.srv.signal_swapped(x, y);
        ctx.srv.dbs.swap(x, y);
        // Clients blocked on keys that now exist in the swapped databases may proceed.
        let waiting: Vec<_> = ctx.srv.blocking.waiters.keys().cloned().collect();
        for (db, key) in waiting {
            if (db == x || db == y) && ctx.srv.dbs[db].entries.contains_key(&key[..]) {
                ctx.srv.blocking.ready.push((db, key));
            }
        }
        ctx.srv.dirty += 1;
    }
    Reply::Ok
}

/// Stores `value` under `key` in the client's database, replacing and clearing any TTL.
pub fn set_value(ctx: &mut Ctx, key: &[u8], value: Value) {
    ctx.store(key, value);
}
