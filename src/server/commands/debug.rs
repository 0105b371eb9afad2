//! DEBUG: test and diagnostics helpers, gated by `enable-debug-command` as in Redis 7.0.
//!
//! Subcommands that only make sense with Redis's internals are accepted as harmless stubs
//! (LISTPACK, QUICKLIST, QUICKLIST-PACKED-THRESHOLD); RELOAD saves the RDB file and loads it
//! back. Crash helpers (SEGFAULT, PANIC, ...) are deliberately not implemented.

use std::net::SocketAddr;

use bytes::Bytes;

use super::args;
use crate::resp::Reply;
use crate::server::command::{CommandSpec, flags::*};
use crate::server::encoding::{Encoding, EncodingLimits, encoding_of};
use crate::server::state::{Ctx, Server, random_hex40};
use crate::server::value::{Entry, NO_EXPIRE, Value};
use crate::server::{evict, objsize};
use crate::util::num::parse_i64;
use crate::util::sha1::{Sha1, hex, sha1};

/// The DEBUG command.
pub static COMMANDS: &[CommandSpec] = &[CommandSpec::new("debug", -2, debug)
    .flags(ADMIN | NOSCRIPT | LOADING | STALE)
    .doc("server", "1.0.0", "A container for debugging commands")];

const NOT_ALLOWED: &str = "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.";

/// Whether a peer address is this host (loopback or a unix socket path).
pub fn is_local_addr(addr: &str) -> bool {
    addr.starts_with('/')
        || addr
            .parse::<SocketAddr>()
            .is_ok_and(|a| a.ip().is_loopback() || a.ip().to_canonical().is_loopback())
}

fn debug(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    if !ctx
        .srv
        .config
        .enable_debug_command
        .permits(is_local_addr(&ctx.client.addr))
    {
        return Reply::err(NOT_ALLOWED);
    }
    let sub = args::lower(&a[1]);
    match (sub.as_str(), a.len()) {
        ("help", 2) => help(),
        ("sleep", 3) => {
            let secs = lenient_f64(&a[2]);
            if secs > 0.0 && secs.is_finite() {
                std::thread::sleep(std::time::Duration::from_secs_f64(secs));
            }
            Reply::Ok
        }
        ("set-active-expire", 3) => {
            ctx.srv.active_expire_enabled = lenient_i64(&a[2]) != 0;
            Reply::Ok
        }
        ("object", 3) => object(ctx, &a[2]),
        ("populate", 3..=5) => populate(ctx, a),
        ("reload", _) => reload(ctx, &a[2..]),
        ("loadaof", 2) => loadaof(ctx),
        ("aof-flush-sleep", 3) => {
            let us = lenient_i64(&a[2]).max(0) as u64;
            crate::server::persistence::aof::set_flush_sleep(ctx.srv, us);
            Reply::Ok
        }
        ("change-repl-id", 2) => {
            let srv = &mut *ctx.srv;
            srv.replid = random_hex40(&mut srv.rng);
            srv.replid2 = "0".repeat(40);
            Reply::Ok
        }
        ("quicklist-packed-threshold", 3) => {
            const MAX: u64 = (1 << 32) - (1 << 20);
            match crate::config::parse_memory(&a[2]) {
                Some(n) if n <= MAX => Reply::Ok,
                _ => Reply::err(
                    "ERR argument must be a memory value bigger than 1 and smaller than 4gb",
                ),
            }
        }
        ("listpack", 3) => layout_stub(ctx, &a[2], Encoding::Listpack),
        ("quicklist", 3 | 4) => layout_stub(ctx, &a[2], Encoding::Quicklist),
        ("stringmatch-test", 2) => {
            stringmatch_fuzz(&mut ctx.srv.rng);
            Reply::Status("Apparently Redis did not crash: test passed".into())
        }
        ("digest", 2) => Reply::Status(hex(&dataset_digest(ctx.srv))),
        ("digest-value", _) => {
            let db = ctx.client.db;
            Reply::Array(
                a[2..]
                    .iter()
                    .map(|k| {
                        let d = ctx.srv.dbs[db]
                            .entries
                            .get(&k[..])
                            .map_or([0u8; 20], |e| value_digest(&e.value));
                        Reply::Status(hex(&d))
                    })
                    .collect(),
            )
        }
        ("protocol", 3) => protocol(ctx, &a[2]),
        ("error", 3) => Reply::Error(String::from_utf8_lossy(&a[2]).into_owned()),
        ("log", 3) => {
            tracing::warn!("DEBUG LOG: {}", String::from_utf8_lossy(&a[2]));
            Reply::Ok
        }
        ("htstats", 3 | 4) => htstats(ctx.srv, &a[2]),
        ("config-rewrite-force-all", 2) => match ctx.srv.config.rewrite_force_all() {
            Ok(()) => Reply::Ok,
            Err(e) => Reply::err(e),
        },
        _ => args::subcommand_error(&a[1], "DEBUG"),
    }
}

/// strtod-like: a bad number reads as 0, as Redis's DEBUG SLEEP does.
fn lenient_f64(arg: &[u8]) -> f64 {
    std::str::from_utf8(arg)
        .ok()
        .and_then(|s| s.trim().parse::<f64>().ok())
        .unwrap_or(0.0)
}

/// atoi-like: leading digits count, anything else reads as 0.
fn lenient_i64(arg: &[u8]) -> i64 {
    crate::util::c_num::strtoll(&String::from_utf8_lossy(arg))
}

fn object(ctx: &mut Ctx, key: &[u8]) -> Reply {
    let srv = &*ctx.srv;
    let Some(entry) = srv.dbs[ctx.client.db].entries.get(key) else {
        return Reply::err("ERR no such key");
    };
    let limits = EncodingLimits::from_config(&srv.config);
    let enc = encoding_of(&entry.value, &limits);
    let shared = super::object::shared_integers_allowed(&srv.config);
    let mut extra = String::new();
    if let Value::List(l) = &entry.value {
        let (nodes, bytes) = objsize::quicklist_layout(l.iter().map(|e| &e[..]));
        let max = srv
            .config
            .value("list-max-listpack-size")
            .map(|v| String::from_utf8_lossy(&v).into_owned())
            .unwrap_or_else(|| "-2".into());
        let compressed = srv
            .config
            .value("list-compress-depth")
            .is_some_and(|v| v != b"0");
        extra = format!(
            " ql_nodes:{nodes} ql_avg_node:{:.2} ql_listpack_max:{max} ql_compressed:{} ql_uncompressed_size:{}",
            l.len() as f64 / nodes as f64,
            compressed as u8,
            bytes + 7 * nodes
        );
    }
    Reply::Status(format!(
        "Value at:{:p} refcount:{} encoding:{} serializedlength:{} lru:{} lru_seconds_idle:{}{extra}",
        &entry.value,
        super::object::refcount_of(&entry.value, shared),
        enc.name(),
        objsize::serialized_length(&entry.value, &limits),
        entry.lru,
        evict::idle_ms(entry.lru, srv.now_ms) / 1000,
    ))
}

fn populate(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let positive = |arg: &[u8]| match parse_i64(arg) {
        Some(n) if n >= 0 => Ok(n as u64),
        _ => Err(Reply::err("ERR value is out of range, must be positive")),
    };
    let count = match positive(&a[2]) {
        Ok(n) => n,
        Err(e) => return e,
    };
    let prefix: &[u8] = a.get(3).map_or(b"key", |p| &p[..]);
    let size = match a.get(4).map(|s| positive(s)) {
        None => 0,
        Some(Ok(n)) => n as usize,
        Some(Err(e)) => return e,
    };
    let db = ctx.client.db;
    let mut key = Vec::with_capacity(prefix.len() + 21);
    for i in 0..count {
        key.clear();
        key.extend_from_slice(prefix);
        key.push(b':');
        key.extend_from_slice(i.to_string().as_bytes());
        if ctx.srv.exists(db, &key) {
            continue;
        }
        let text = format!("value:{i}").into_bytes();
        let value = if size == 0 {
            text
        } else {
            let mut v = vec![0u8; size];
            let n = size.min(text.len());
            v[..n].copy_from_slice(&text[..n]);
            v
        };
        ctx.srv.store(db, &key, Value::Str(value), NO_EXPIRE);
    }
    Reply::Ok
}

fn reload(ctx: &mut Ctx, opts: &[Bytes]) -> Reply {
    let (mut save, mut flush, mut merge) = (true, true, false);
    for o in opts {
        match args::lower(o).as_str() {
            "merge" => merge = true,
            "noflush" => flush = false,
            "nosave" => save = false,
            _ => {
                return Reply::err(
                    "ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.",
                );
            }
        }
    }
    match crate::server::persistence::rdb::lifecycle::debug_reload(ctx.srv, save, flush, merge) {
        Ok(()) => Reply::Ok,
        Err(e) => Reply::err(e),
    }
}

/// DEBUG LOADAOF: writes what is buffered, then empties the dataset and loads the AOF again.
/// As in Redis, a load failure ends the process.
fn loadaof(ctx: &mut Ctx) -> Reply {
    use crate::server::persistence::aof;
    if ctx.srv.aof.status == aof::Status::On {
        aof::sync_blocking(ctx.srv);
    }
    if let Err(e) = aof::load::reload_inline(ctx.srv) {
        tracing::error!("{e}");
        std::process::exit(1);
    }
    ctx.srv.dirty = 0;
    tracing::warn!("Append Only File loaded by DEBUG LOADAOF");
    Reply::Ok
}

fn layout_stub(ctx: &mut Ctx, key: &[u8], want: Encoding) -> Reply {
    let srv = &*ctx.srv;
    let Some(entry) = srv.dbs[ctx.client.db].entries.get(key) else {
        return Reply::err("ERR no such key");
    };
    let limits = EncodingLimits::from_config(&srv.config);
    if encoding_of(&entry.value, &limits) != want {
        return Reply::err(match want {
            Encoding::Quicklist => "ERR Not a quicklist encoded object.",
            _ => "ERR Not a listpack encoded object.",
        });
    }
    Reply::Status(match want {
        Encoding::Quicklist => "Quicklist structure printed on stdout".into(),
        _ => "Listpack structure printed on stdout".into(),
    })
}

/// Runs the glob matcher on random patterns and strings; a panic would be the failure.
fn stringmatch_fuzz(rng: &mut rand::rngs::SmallRng) {
    use rand::RngExt;
    const ALPHABET: &[u8] = b"ab*?[]^-\\";
    for _ in 0..10_000 {
        let plen = rng.random_range(0..32usize);
        let slen = rng.random_range(0..32usize);
        let p: Vec<u8> = (0..plen)
            .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())])
            .collect();
        let s: Vec<u8> = (0..slen).map(|_| rng.random_range(0..=255u8)).collect();
        let _ = crate::util::glob::glob_match(&p, &s, rng.random_range(0..2) == 1);
    }
}

type Digest = [u8; 20];

/// Order-dependent combination: `d = SHA1(d || data)`.
fn mix(d: &mut Digest, data: &[u8]) {
    let mut h = Sha1::new();
    h.update(d);
    h.update(data);
    *d = h.finish();
}

/// Order-independent combination: `d ^= SHA1(data)`.
fn xor_into(d: &mut Digest, data: &[u8]) {
    for (x, y) in d.iter_mut().zip(sha1(data)) {
        *x ^= y;
    }
}

fn xor_digest(d: &mut Digest, other: &Digest) {
    for (x, y) in d.iter_mut().zip(other) {
        *x ^= y;
    }
}

/// Content digest of one value: equal contents give equal digests whatever the insertion
/// order of unordered collections.
pub fn value_digest(value: &Value) -> Digest {
    let mut d = [0u8; 20];
    match value {
        Value::Str(s) => {
            mix(&mut d, b"string");
            mix(&mut d, s);
        }
        Value::List(l) => {
            mix(&mut d, b"list");
            for e in l.iter() {
                mix(&mut d, e);
            }
        }
        Value::Set(s) => {
            mix(&mut d, b"set");
            let mut acc = [0u8; 20];
            for m in s.iter() {
                xor_into(&mut acc, m);
            }
            mix(&mut d, &acc);
        }
        Value::Hash(h) => {
            mix(&mut d, b"hash");
            let mut acc = [0u8; 20];
            for (f, v) in h.iter() {
                let mut e = [0u8; 20];
                mix(&mut e, f);
                mix(&mut e, v);
                xor_digest(&mut acc, &e);
            }
            mix(&mut d, &acc);
        }
        Value::ZSet(z) => {
            mix(&mut d, b"zset");
            for (m, score) in z.iter() {
                mix(&mut d, m);
                mix(&mut d, crate::util::num::format_double(score).as_bytes());
            }
        }
    }
    d
}

fn entry_digest(db: usize, key: &[u8], entry: &Entry) -> Digest {
    let mut d = [0u8; 20];
    mix(&mut d, &(db as u32).to_be_bytes());
    mix(&mut d, key);
    mix(&mut d, &value_digest(&entry.value));
    if entry.has_expire() {
        mix(&mut d, b"!!expire!!");
        mix(&mut d, &entry.expires_at.to_be_bytes());
    }
    d
}

/// Digest of every key in every database; all zeros for an empty dataset.
pub fn dataset_digest(srv: &Server) -> Digest {
    let mut d = [0u8; 20];
    for (i, db) in srv.dbs.iter().enumerate() {
        for (k, e) in db.entries.iter() {
            xor_digest(&mut d, &entry_digest(i, k, e));
        }
    }
    d
}

fn protocol(ctx: &mut Ctx, kind: &[u8]) -> Reply {
    let ints = |n: i64| (0..n).map(Reply::Int).collect::<Vec<_>>();
    match args::lower(kind).as_str() {
        "string" => Reply::text("Hello World"),
        "integer" => Reply::Int(12345),
        // The literal Redis sends, not an approximation of pi.
        #[allow(clippy::approx_constant)]
        "double" => Reply::Double(3.141),
        "bignum" => Reply::BigNum("1234567999999999999999999999999999999".into()),
        "null" => Reply::Null,
        "array" => Reply::Array(ints(3)),
        "set" => Reply::Set(ints(3)),
        "map" => Reply::Map(
            (0..3)
                .map(|i| (Reply::Int(i), Reply::Bool(i == 1)))
                .collect(),
        ),
        "attrib" => Reply::Many(vec![
            Reply::Attribute(vec![(
                Reply::text("key-popularity"),
                Reply::Array(vec![Reply::text("key:123"), Reply::Int(90)]),
            )]),
            Reply::text("Some real reply following the attribute"),
        ]),
        "push" => {
            if ctx.client.resp() < 3 {
                return Reply::err("ERR RESP2 is not supported by this command");
            }
            Reply::Many(vec![
                Reply::Push(vec![Reply::text("server-cpu-usage"), Reply::Int(42)]),
                Reply::text("Some real reply following the push reply"),
            ])
        }
        "verbatim" => Reply::Verbatim("This is a verbatim\nstring".into()),
        "true" => Reply::Bool(true),
        "false" => Reply::Bool(false),
        _ => Reply::err(
            "ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false",
        ),
    }
}

fn table_stats(out: &mut String, title: &str, len: usize) {
    out.push_str(title);
    out.push('\n');
    if len == 0 {
        out.push_str("No stats available for empty dictionaries\n");
        return;
    }
    out.push_str(&format!(
        "Hash table 0 stats (main hash table):\n table size: {}\n number of elements: {len}\n",
        len.next_power_of_two()
    ));
}

fn htstats(srv: &Server, db: &[u8]) -> Reply {
    let Some(n) = parse_i64(db) else {
        return args::not_integer();
    };
    let Some(d) = usize::try_from(n).ok().and_then(|i| srv.dbs.get(i)) else {
        return Reply::err("ERR Out of range database");
    };
    let mut out = String::new();
    table_stats(&mut out, "[Dictionary HT]", d.len());
    table_stats(&mut out, "[Expires HT]", d.volatile.len());
    Reply::Verbatim(out)
}

fn help() -> Reply {
    args::help(
        "DEBUG",
        &[
            "CHANGE-REPL-ID",
            "    Give the instance a new replication id.",
            "DIGEST",
            "    Return a 40-hex fingerprint of the whole dataset (all zeros when empty).",
            "DIGEST-VALUE <key> [<key> ...]",
            "    Return a fingerprint of the value of each key.",
            "ERROR <string>",
            "    Reply with <string> as an error.",
            "HTSTATS <dbid>",
            "    Return statistics about the keyspace tables of a database.",
            "AOF-FLUSH-SLEEP <microsec>",
            "    Server will sleep before flushing the AOF, this is used for testing.",
            "LOADAOF",
            "    Flush the AOF buffers on disk and reload the AOF in memory.",
            "LOG <message>",
            "    Write <message> to the server log.",
            "OBJECT <key>",
            "    Show low level information about <key> and its value.",
            "POPULATE <count> [<prefix>] [<size>]",
            "    Create <count> string keys named <prefix>:<num> (default prefix: key) holding",
            "    value:<num>, padded or cut to <size> bytes when given. Existing keys are kept.",
            "PROTOCOL <type>",
            "    Reply with a sample value of <type>: string, integer, double, bignum, null,",
            "    array, set, map, attrib, push, verbatim, true or false.",
            "RELOAD [MERGE] [NOFLUSH] [NOSAVE]",
            "    Round-trip the dataset through a snapshot (vigil: drops expired keys).",
            "SET-ACTIVE-EXPIRE <0|1>",
            "    Turn the background expiry of keys off (0) or on (1).",
            "SLEEP <seconds>",
            "    Stop the server for <seconds>, decimals allowed.",
            "STRINGMATCH-TEST",
            "    Fuzz the glob pattern matcher.",
            "LISTPACK <key>",
            "QUICKLIST <key> [<0|1>]",
            "QUICKLIST-PACKED-THRESHOLD <size>",
            "    Accepted for compatibility; vigil has no such internal structures.",
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_addresses() {
        assert!(is_local_addr("127.0.0.1:5000"));
        assert!(is_local_addr("[::1]:5000"));
        assert!(is_local_addr("[::ffff:127.0.0.1]:5000"));
        assert!(is_local_addr("/tmp/redis.sock:0"));
        assert!(!is_local_addr("10.0.0.1:5000"));
        assert!(!is_local_addr("?:0"));
    }

    #[test]
    fn lenient_numbers() {
        assert_eq!(lenient_i64(b"12abc"), 12);
        assert_eq!(lenient_i64(b"x"), 0);
        assert_eq!(lenient_i64(b"-3"), -3);
        assert_eq!(lenient_f64(b"0.5"), 0.5);
        assert_eq!(lenient_f64(b"abc"), 0.0);
    }

    #[test]
    fn digests_ignore_insertion_order() {
        let mut a = crate::server::value::FastSet::default();
        a.insert(Bytes::from("x"));
        a.insert(Bytes::from("y"));
        let mut b = crate::server::value::FastSet::default();
        b.insert(Bytes::from("y"));
        b.insert(Bytes::from("x"));
        assert_eq!(
            value_digest(&Value::Set(Box::new(a))),
            value_digest(&Value::Set(Box::new(b)))
        );
        assert_ne!(
            value_digest(&Value::Str(b"x".to_vec())),
            value_digest(&Value::List(Box::new([Bytes::from("x")].into())))
        );
    }
}
