//! String commands: GET, SET and variants, counters, ranges.

use bytes::Bytes;

use super::args;
use crate::resp::Reply;
use crate::server::command::{CommandSpec, acl, flags::*};
use crate::server::notify;
use crate::server::replication::propagate::{arg, int_arg};
use crate::server::state::{Ctx, wrongtype};
use crate::server::value::{NO_EXPIRE, Value};

/// Largest string Redis lets APPEND/SETRANGE build (512 MB).
pub const MAX_STRING: usize = 512 * 1024 * 1024;

/// The string command family.
pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("get", 2, get).flags(READONLY | FAST).acl(acl::STRING).keys(1, 1, 1)
        .doc("string", "1.0.0", "Returns the string value of a key."),
    CommandSpec::new("set", -3, set).flags(WRITE | DENYOOM).acl(acl::STRING).keys(1, 1, 1)
        .doc("string", "1.0.0", "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist."),
    CommandSpec::new("setnx", 3, setnx).flags(WRITE | DENYOOM | FAST).acl(acl::STRING).keys(1, 1, 1)
        .doc("string", "1.0.0", "Set the string value of a key only when the key doesn't exist."),
    CommandSpec::new("setex", 4, setex).flags(WRITE | DENYOOM).acl(acl::STRING).keys(1, 1, 1)
        .doc("string", "2.0.0", "Sets the string value and expiration time of a key. Creates the key if it doesn't exist."),
    CommandSpec::new("psetex", 4, psetex).flags(WRITE | DENYOOM).acl(acl::STRING).keys(1, 1, 1)
        .doc("string", "2.6.0", "Sets both string value and expiration time in milliseconds of a key. The key is created if it doesn't exist."),
    CommandSpec::new("getset", 3, getset).flags(WRITE | DENYOOM | FAST).acl(acl::STRING).keys(1, 1, 1)
        .doc("string", "1.0.0", "Returns the previous string value of a key after setting it to a new value."),
    CommandSpec::new("getdel", 2, getdel).flags(WRITE | FAST).acl(acl::STRING).keys(1, 1, 1)
        .doc("string", "6.2.0", "Returns the string value of a key after deleting the key."),
    CommandSpec::new("getex", -2, getex).flags(WRITE | FAST).acl(acl::STRING).keys(1, 1, 1)
        .doc("string", "6.2.0", "Returns the string value of a key after setting its expiration time."),
    CommandSpec::new("mget", -2, mget).flags(READONLY | FAST).acl(acl::STRING).keys(1, -1, 1)
        .doc("string", "1.0.0", "Atomically returns the string values of one or more keys."),
    CommandSpec::new("mset", -3, mset).flags(WRITE | DENYOOM).acl(acl::STRING).keys(1, -1, 2)
        .doc("string", "1.0.1", "Atomically creates or modifies the string values of one or more keys."),
    CommandSpec::new("msetnx", -3, msetnx).flags(WRITE | DENYOOM).acl(acl::STRING).keys(1, -1, 2)
        .doc("string", "1.0.1", "Atomically modifies the string values of one or more keys only when all keys don't exist."),
    CommandSpec::new("incr", 2, incr).flags(WRITE | DENYOOM | FAST).acl(acl::STRING).keys(1, 1, 1)
        .doc("string", "1.0.0", "Increments the integer value of a key by one. Uses 0 as initial value if the key doesn't exist."),
    CommandSpec::new("decr", 2, decr).flags(WRITE | DENYOOM | FAST).acl(acl::STRING).keys(1, 1, 1)
        .doc("string", "1.0.0", "Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn't exist."),
    CommandSpec::new("incrby", 3, incrby).flags(WRITE | DENYOOM | FAST).acl(acl::STRING).keys(1, 1, 1)
        .doc("string", "1.0.0", "Increments the integer value of a key by a number. Uses 0 as initial value if the key doesn't exist."),
    CommandSpec::new("decrby", 3, decrby).flags(WRITE | DENYOOM | FAST).acl(acl::STRING).keys(1, 1, 1)
        .doc("string", "1.0.0", "Decrements a number from the integer value of a key. Uses 0 as initial value if the key doesn't exist."),
    CommandSpec::new("incrbyfloat", 3, incrbyfloat).flags(WRITE | DENYOOM | FAST).acl(acl::STRING).keys(1, 1, 1)
        .doc("string", "2.6.0", "Increment the floating point value of a key by a number. Uses 0 as initial value if the key doesn't exist."),
    CommandSpec::new("append", 3, append).flags(WRITE | DENYOOM | FAST).acl(acl::STRING).keys(1, 1, 1)
        .doc("string", "2.0.0", "Appends a string to the value of a key. Creates the key if it doesn't exist."),
    CommandSpec::new("strlen", 2, strlen).flags(READONLY | FAST).acl(acl::STRING).keys(1, 1, 1)
        .doc("string", "2.2.0", "Returns the length of a string value."),
    CommandSpec::new("getrange", 4, getrange).flags(READONLY).acl(acl::STRING).keys(1, 1, 1)
        .doc("string", "2.4.0", "Returns a substring of the string stored at a key."),
    CommandSpec::new("substr", 4, getrange).flags(READONLY).acl(acl::STRING).keys(1, 1, 1)
        .doc("string", "1.0.0", "Returns a substring from a string value."),
    CommandSpec::new("setrange", 4, setrange).flags(WRITE | DENYOOM).acl(acl::STRING).keys(1, 1, 1)
        .doc("string", "2.2.0", "Overwrites a part of a string value with another by an offset. Creates the key if it doesn't exist."),
];

fn get(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    match ctx.read_str(&a[1]) {
        Ok(Some(v)) => Reply::bulk(v),
        Ok(None) => Reply::Null,
        Err(e) => e,
    }
}

/// Options of SET and GETEX, parsed the way Redis's `parseExtendedStringArgumentsOrReply` does:
/// an option may repeat (the last value wins) but conflicting ones are a syntax error.
#[derive(Default)]
struct ExtOpts {
    nx: bool,
    xx: bool,
    get: bool,
    keepttl: bool,
    persist: bool,
    /// EX/PX/EXAT/PXAT keyword (lower case) and its unvalidated value.
    expire: Option<(&'static str, Bytes)>,
}

/// Parses `a[start..]`; `is_set` selects SET's options, otherwise GETEX's.
fn parse_ext_opts(a: &[Bytes], start: usize, is_set: bool) -> Result<ExtOpts, Reply> {
    let mut o = ExtOpts::default();
    let mut i = start;
    while i < a.len() {
        let opt = args::lower(&a[i]);
        let next = a.get(i + 1);
        let expire_kind = o.expire.as_ref().map(|(k, _)| *k);
        let other_expire = |kind: &str| expire_kind.is_some_and(|k| k != kind);
        match opt.as_str() {
            "nx" if is_set && !o.xx => o.nx = true,
            "xx" if is_set && !o.nx => o.xx = true,
            "get" if is_set => o.get = true,
            "keepttl" if is_set && expire_kind.is_none() => o.keepttl = true,
            "persist" if !is_set && expire_kind.is_none() => o.persist = true,
            "ex" | "px" | "exat" | "pxat" if !o.keepttl && !o.persist => {
                let kind = match opt.as_str() {
                    "ex" => "ex",
                    "px" => "px",
                    "exat" => "exat",
                    _ => "pxat",
                };
                let Some(v) = next.filter(|_| !other_expire(kind)) else {
                    return Err(args::syntax_error());
                };
                o.expire = Some((kind, v.clone()));
                i += 1;
            }
            _ => return Err(args::syntax_error()),
        }
        i += 1;
    }
    Ok(o)
}

/// Absolute expiry in Unix ms for a parsed EX/PX/EXAT/PXAT value, with Redis's checks.
fn expire_at_ms(kind: &str, value: &[u8], now: i64, cmd: &str) -> Result<i64, Reply> {
    let v = args::int(value)?;
    let invalid = || Reply::err(format!("ERR invalid expire time in '{cmd}' command"));
    if v <= 0 {
        return Err(invalid());
    }
    let ms = if kind == "ex" || kind == "exat" {
        v.checked_mul(1000).ok_or_else(invalid)?
    } else {
        v
    };
    if kind == "ex" || kind == "px" {
        ms.checked_add(now).ok_or_else(invalid)
    } else {
        Ok(ms)
    }
}

fn set(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let o = match parse_ext_opts(a, 3, true) {
        Ok(o) => o,
        Err(e) => return e,
    };
    let expires_at = match &o.expire {
        Some((kind, v)) => match expire_at_ms(kind, v, ctx.now(), "set") {
            Ok(at) => at,
            Err(e) => return e,
        },
        None => NO_EXPIRE,
    };
    let key = &a[1];
    let (old, old_ttl) = match ctx.write(key) {
        None => (None, NO_EXPIRE),
        Some(e) => match &e.value {
            Value::Str(s) => (Some(o.get.then(|| s.clone())), e.expires_at),
            _ if o.get => return wrongtype(),
            _ => (Some(None), e.expires_at),
        },
    };
    let exists = old.is_some();
    let get_reply = || match &old {
        Some(Some(v)) => Reply::bulk(v),
        _ => Reply::Null,
    };
    if (o.nx && exists) || (o.xx && !exists) {
        return if o.get { get_reply() } else { Reply::Null };
    }
    let ttl = if o.keepttl { old_ttl } else { expires_at };
    let db = ctx.db();
    ctx.srv.store(db, key, Value::Str(a[2].to_vec()), ttl);
    ctx.modified(key, notify::STRING, "set");
    if ttl != NO_EXPIRE && !o.keepttl {
        ctx.srv.notify(notify::GENERIC, "expire", key, db);
    }
    let has_expire = expires_at != NO_EXPIRE;
    let pxat = matches!(&o.expire, Some((kind, _)) if *kind == "pxat");
    if has_expire && !pxat {
        // Relative TTLs travel as an absolute time, so replicas and the AOF agree.
        ctx.propagate_as(vec![
            arg("SET"),
            a[1].clone(),
            a[2].clone(),
            arg("PXAT"),
            int_arg(expires_at),
        ]);
    } else if o.get && !has_expire {
        let without_get = a
            .iter()
            .enumerate()
            .filter(|(i, x)| *i < 3 || !x.eq_ignore_ascii_case(b"get"))
            .map(|(_, x)| x.clone())
            .collect();
        ctx.propagate_as(without_get);
    }
    if o.get { get_reply() } else { Reply::Ok }
}

fn setnx(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    if ctx.write(&a[1]).is_some() {
        return Reply::Int(0);
    }
    ctx.store(&a[1], Value::Str(a[2].to_vec()));
    ctx.modified(&a[1], notify::STRING, "set");
    Reply::Int(1)
}

fn setex_generic(ctx: &mut Ctx, a: &[Bytes], unit: i64) -> Reply {
    let name = args::lower(&a[0]);
    let v = match args::int(&a[2]) {
        Ok(v) => v,
        Err(e) => return e,
    };
    let at = if v <= 0 {
        None
    } else {
        v.checked_mul(unit).and_then(|ms| ms.checked_add(ctx.now()))
    };
    let Some(at) = at else {
        return Reply::err(format!("ERR invalid expire time in '{name}' command"));
    };
    let db = ctx.db();
    ctx.srv.store(db, &a[1], Value::Str(a[3].to_vec()), at);
    ctx.modified(&a[1], notify::STRING, "set");
    ctx.srv.notify(notify::GENERIC, "expire", &a[1], db);
    ctx.propagate_as(vec![
        arg("SET"),
        a[1].clone(),
        a[3].clone(),
        arg("PXAT"),
        int_arg(at),
    ]);
    Reply::Ok
}

fn setex(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    setex_generic(ctx, a, 1000)
}

fn psetex(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    setex_generic(ctx, a, 1)
}

fn getset(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let old = match ctx.write_str(&a[1]) {
        Ok(v) => v.map(|v| Reply::bulk(v)).unwrap_or(Reply::Null),
        Err(e) => return e,
    };
    ctx.store(&a[1], Value::Str(a[2].to_vec()));
    ctx.modified(&a[1], notify::STRING, "set");
    old
}

fn getdel(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let old = match ctx.read_str(&a[1]) {
        Ok(Some(v)) => Reply::bulk(v),
        Ok(None) => return Reply::Null,
        Err(e) => return e,
    };
    ctx.delete(&a[1]);
    ctx.modified(&a[1], notify::GENERIC, "del");
    ctx.propagate_as(vec![arg("DEL"), a[1].clone()]);
    old
}

fn getex(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let o = match parse_ext_opts(a, 2, false) {
        Ok(o) => o,
        Err(e) => return e,
    };
    let val = match ctx.read_str(&a[1]) {
        Ok(Some(v)) => Reply::bulk(v),
        Ok(None) => return Reply::Null,
        Err(e) => return e,
    };
    // As in Redis, the expire value is only validated once the key is known to exist.
    let now = ctx.now();
    let new_ttl = match &o.expire {
        Some((kind, v)) => match expire_at_ms(kind, v, now, "getex") {
            Ok(at) => Some(at),
            Err(e) => return e,
        },
        None if o.persist => Some(NO_EXPIRE),
        None => None,
    };
    let db = ctx.db();
    let persist = new_ttl == Some(NO_EXPIRE);
    let absolute = matches!(&o.expire, Some((kind, _)) if *kind == "exat" || *kind == "pxat");
    let pxat = matches!(&o.expire, Some((kind, _)) if *kind == "pxat");
    match new_ttl {
        _ if persist => {
            let volatile = ctx.srv.dbs[db]
                .entries
                .get(&a[1][..])
                .is_some_and(|e| e.has_expire());
            if volatile {
                ctx.srv.dbs[db].set_expire(&a[1], NO_EXPIRE);
                ctx.modified(&a[1], notify::GENERIC, "persist");
                ctx.propagate_as(vec![arg("PERSIST"), a[1].clone()]);
            }
        }
        Some(at) if absolute && at <= now && !ctx.srv.keeps_expired_writes() => {
            ctx.delete(&a[1]);
            ctx.modified(&a[1], notify::GENERIC, "del");
            let del = if ctx.srv.repl.cfg.lazy_expire {
                "UNLINK"
            } else {
                "DEL"
            };
            ctx.propagate_as(vec![arg(del), a[1].clone()]);
        }
        Some(at) => {
            ctx.srv.dbs[db].set_expire(&a[1], at);
            ctx.modified(&a[1], notify::GENERIC, "expire");
            if !pxat {
                ctx.propagate_as(vec![arg("PEXPIREAT"), a[1].clone(), int_arg(at)]);
            }
        }
        None => {}
    }
    val
}

fn mget(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let db = ctx.db();
    let mut out = Vec::with_capacity(a.len() - 1);
    for key in &a[1..] {
        out.push(match ctx.srv.lookup_read(db, key) {
            Some(e) => match &e.value {
                Value::Str(s) => Reply::bulk(s),
                _ => Reply::Null,
            },
            None => Reply::Null,
        });
    }
    Reply::Array(out)
}

fn mset(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    if a.len().is_multiple_of(2) {
        return Reply::err("ERR wrong number of arguments for 'mset' command");
    }
    for pair in a[1..].chunks(2) {
        ctx.store(&pair[0], Value::Str(pair[1].to_vec()));
        ctx.modified(&pair[0], notify::STRING, "set");
    }
    Reply::Ok
}

fn msetnx(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    if a.len().is_multiple_of(2) {
        return Reply::err("ERR wrong number of arguments for 'msetnx' command");
    }
    let db = ctx.db();
    if a[1..].chunks(2).any(|p| ctx.srv.exists(db, &p[0])) {
        return Reply::Int(0);
    }
    mset(ctx, a);
    Reply::Int(1)
}

/// Adds `delta` to the integer stored at `key`, keeping its TTL.
fn incr_by(ctx: &mut Ctx, key: &[u8], delta: i64) -> Reply {
    let overflow = || Reply::err("ERR increment or decrement would overflow");
    // One lookup: the counter is rewritten in place in its existing buffer.
    let new = match ctx.write_str(key) {
        Ok(Some(v)) => {
            let Some(n) = crate::util::num::parse_i64(v) else {
                return args::not_integer();
            };
            let Some(new) = n.checked_add(delta) else {
                return overflow();
            };
            v.clear();
            crate::util::num::write_i64(v, new);
            new
        }
        Ok(None) => {
            let mut text = Vec::with_capacity(20);
            crate::util::num::write_i64(&mut text, delta);
            ctx.store(key, Value::Str(text));
            delta
        }
        Err(e) => return e,
    };
    // Redis names the event "incrby" for INCR, DECR, INCRBY and DECRBY alike.
    ctx.modified(key, notify::STRING, "incrby");
    Reply::Int(new)
}

fn incr(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    incr_by(ctx, &a[1], 1)
}

fn decr(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    incr_by(ctx, &a[1], -1)
}

fn incrby(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    match args::int(&a[2]) {
        Ok(d) => incr_by(ctx, &a[1], d),
        Err(e) => e,
    }
}

fn decrby(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    match args::int(&a[2]) {
        Ok(d) if d == i64::MIN => Reply::err("ERR decrement would overflow"),
        Ok(d) => incr_by(ctx, &a[1], -d),
        Err(e) => e,
    }
}

fn incrbyfloat(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let delta = match args::float(&a[2]) {
        Ok(d) => d,
        Err(e) => return e,
    };
    let (current, current_text) = match ctx.write_str(&a[1]) {
        Ok(Some(v)) => match crate::util::num::parse_f64(v) {
            Some(n) => (n, v.clone()),
            None => return Reply::err("ERR value is not a valid float"),
        },
        Ok(None) => (0.0, b"0".to_vec()),
        Err(e) => return e,
    };
    let new = current + delta;
    if !new.is_finite() {
        return Reply::err("ERR increment would produce NaN or Infinity");
    }
    // Redis adds in long double and prints with %.17Lf; emulate that, else fall back to f64.
    let text = crate::util::ld80::incr_by_float(&current_text, &a[2])
        .unwrap_or_else(|| crate::util::num::format_long_double(new))
        .into_bytes();
    match ctx.write_str(&a[1]) {
        Ok(Some(v)) => *v = text.clone(),
        _ => ctx.store(&a[1], Value::Str(text.clone())),
    }
    ctx.modified(&a[1], notify::STRING, "incrbyfloat");
    let text = Bytes::from(text);
    // Float formatting must not differ between nodes: propagate the result.
    ctx.propagate_as(vec![arg("SET"), a[1].clone(), text.clone(), arg("KEEPTTL")]);
    Reply::Bulk(text)
}

fn append(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let len = match ctx.write_str(&a[1]) {
        Ok(Some(v)) => {
            if v.len() + a[2].len() > MAX_STRING {
                return Reply::err("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
            }
            v.extend_from_slice(&a[2]);
            v.len()
        }
        Ok(None) => {
            ctx.store(&a[1], Value::Str(a[2].to_vec()));
            a[2].len()
        }
        Err(e) => return e,
    };
    ctx.modified(&a[1], notify::STRING, "append");
    Reply::Int(len as i64)
}

fn strlen(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    match ctx.read_str(&a[1]) {
        Ok(v) => Reply::Int(v.map_or(0, |v| v.len() as i64)),
        Err(e) => e,
    }
}

fn getrange(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let (start, end) = match (args::int(&a[2]), args::int(&a[3])) {
        (Ok(s), Ok(e)) => (s, e),
        _ => return args::not_integer(),
    };
    let v = match ctx.read_str(&a[1]) {
        Ok(Some(v)) => v,
        Ok(None) => return Reply::Bulk(Bytes::new()),
        Err(e) => return e,
    };
    if start < 0 && end < 0 && start > end {
        return Reply::Bulk(Bytes::new());
    }
    // Redis clamps both ends into the string (so `0 -100` is the first byte), unlike LRANGE.
    let len = v.len() as i64;
    let clamp = |i: i64| if i < 0 { (len + i).max(0) } else { i };
    let (start, end) = (clamp(start), clamp(end).min(len - 1));
    if len == 0 || start > end {
        return Reply::Bulk(Bytes::new());
    }
    Reply::bulk(&v[start as usize..=end as usize])
}

fn setrange(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let offset = match args::int(&a[2]) {
        Ok(o) if o >= 0 => o as usize,
        Ok(_) => return Reply::err("ERR offset is out of range"),
        Err(e) => return e,
    };
    let value = &a[3];
    if !value.is_empty() && offset + value.len() > MAX_STRING {
        return Reply::err("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
    }
    let len = match ctx.write_str(&a[1]) {
        Ok(Some(v)) => {
            if value.is_empty() {
                return Reply::Int(v.len() as i64);
            }
            if v.len() < offset + value.len() {
                v.resize(offset + value.len(), 0);
            }
            v[offset..offset + value.len()].copy_from_slice(value);
            v.len()
        }
        Ok(None) => {
            if value.is_empty() {
                return Reply::Int(0);
            }
            let mut v = vec![0u8; offset + value.len()];
            v[offset..].copy_from_slice(value);
            let n = v.len();
            ctx.store(&a[1], Value::Str(v));
            n
        }
        Err(e) => return e,
    };
    ctx.modified(&a[1], notify::STRING, "setrange");
    Reply::Int(len as i64)
}
