//! Persistence commands: SAVE, BGSAVE, DUMP, RESTORE.

use bytes::Bytes;

use super::args;
use crate::resp::Reply;
use crate::server::command::{CommandSpec, acl, flags::*};
use crate::server::notify;
use crate::server::persistence::rdb::decode::{self, LruSetter};
use crate::server::persistence::rdb::encode::{self, Encoder};
use crate::server::persistence::rdb::{save, snapshot};
use crate::server::state::Ctx;
use crate::server::value::NO_EXPIRE;

/// The persistence command family.
pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("save", 1, save_cmd)
        .flags(ADMIN | NOSCRIPT | NO_MULTI | NO_ASYNC_LOADING)
        .doc(
            "server",
            "1.0.0",
            "Synchronously saves the database(s) to disk.",
        ),
    CommandSpec::new("bgsave", -1, bgsave)
        .flags(ADMIN | NOSCRIPT | NO_ASYNC_LOADING)
        .doc(
            "server",
            "1.0.0",
            "Asynchronously saves the database(s) to disk.",
        ),
    CommandSpec::new("dump", 2, dump)
        .flags(READONLY)
        .acl(acl::KEYSPACE)
        .keys(1, 1, 1)
        .doc(
            "generic",
            "2.6.0",
            "Returns a serialized representation of the value stored at a key.",
        ),
    CommandSpec::new("restore", -4, restore)
        .flags(WRITE | DENYOOM)
        .acl(acl::KEYSPACE | acl::DANGEROUS)
        .keys(1, 1, 1)
        .doc(
            "generic",
            "2.6.0",
            "Creates a key from the serialized representation of a value.",
        ),
];

const IN_PROGRESS: &str = "ERR Background save already in progress";

fn save_cmd(ctx: &mut Ctx, _a: &[Bytes]) -> Reply {
    if ctx.srv.rdb.bgsave.is_some() {
        return Reply::err(IN_PROGRESS);
    }
    match save::save_sync(ctx.srv) {
        Ok(()) => Reply::Ok,
        Err(_) => Reply::err("ERR"),
    }
}

fn bgsave(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let schedule = match a.len() {
        1 => false,
        2 if args::is(&a[1], "schedule") => true,
        _ => return args::syntax_error(),
    };
    let _ = schedule;
    if ctx.srv.rdb.bgsave.is_some() {
        return Reply::err(IN_PROGRESS);
    }
    // Inside EXEC the snapshot would split the transaction: start it after (as Redis does).
    if ctx.client.in_exec {
        ctx.srv.rdb.bgsave_scheduled = true;
        return Reply::Status("Background saving scheduled".into());
    }
    match snapshot::start(ctx.srv) {
        Ok(()) => Reply::Status("Background saving started".into()),
        Err(snapshot::StartError::InProgress) => Reply::err(IN_PROGRESS),
        Err(snapshot::StartError::NoRuntime) => Reply::err("ERR"),
    }
}

fn dump(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let opts = save::save_options(ctx.srv, ctx.now());
    let Some(entry) = ctx.read(&a[1]) else {
        return Reply::Null;
    };
    let mut enc = Encoder::new(opts);
    Reply::Bulk(Bytes::from(encode::dump_payload(&mut enc, &entry.value)))
}

fn restore(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let (mut replace, mut absttl) = (false, false);
    let (mut idle, mut freq): (Option<i64>, Option<i64>) = (None, None);
    let mut j = 4;
    while j < a.len() {
        let more = j + 1 < a.len();
        if args::is(&a[j], "replace") {
            replace = true;
        } else if args::is(&a[j], "absttl") {
            absttl = true;
        } else if args::is(&a[j], "idletime") && more && freq.is_none() {
            let v = match args::int(&a[j + 1]) {
                Ok(v) => v,
                Err(e) => return e,
            };
            if v < 0 {
                return Reply::err("ERR Invalid IDLETIME value, must be >= 0");
            }
            idle = Some(v);
            j += 1;
        } else if args::is(&a[j], "freq") && more && idle.is_none() {
            let v = match args::int(&a[j + 1]) {
                Ok(v) => v,
                Err(e) => return e,
            };
            if !(0..=255).contains(&v) {
                return Reply::err("ERR Invalid FREQ value, must be >= 0 and <= 255");
            }
            freq = Some(v);
            j += 1;
        } else {
            return args::syntax_error();
        }
        j += 1;
    }
    let key = &a[1];
    let db = ctx.db();
    if !replace && ctx.srv.exists(db, key) {
        return Reply::err("BUSYKEY Target key name already exists.");
    }
    let mut ttl = match args::int(&a[2]) {
        Ok(v) => v,
        Err(e) => return e,
    };
    if ttl < 0 {
        return Reply::err("ERR Invalid TTL value, must be >= 0");
    }
    let value = match decode::restore_payload(&a[3]) {
        Ok(v) => v,
        Err(e) => return Reply::err(e),
    };
    let deleted = replace && ctx.delete(key);
    let now = ctx.now();
    if ttl > 0 && !absttl {
        ttl = ttl.saturating_add(now);
    }
    if ttl > 0 && ttl <= now && !ctx.srv.repl.is_replica() {
        if deleted {
            ctx.modified(key, notify::GENERIC, "del");
            let del = if ctx.srv.config.value("lazyfree-lazy-server-del").as_deref() == Some(b"yes")
            {
                "UNLINK"
            } else {
                "DEL"
            };
            ctx.propagate_as(vec![
                crate::server::replication::propagate::arg(del),
                a[1].clone(),
            ]);
        }
        return Reply::Ok;
    }
    let expires = if ttl > 0 { ttl } else { NO_EXPIRE };
    ctx.srv.store(db, key, value, expires);
    let lfu = matches!(
        ctx.srv.config.maxmemory_policy,
        crate::config::MaxmemoryPolicy::AllKeysLfu | crate::config::MaxmemoryPolicy::VolatileLfu
    );
    let lru = match (lfu, idle, freq) {
        (true, _, Some(f)) => Some(LruSetter::Lfu.value(now, None, Some(f as u8))),
        (false, Some(i), _) => Some(LruSetter::Lru.value(now, Some(i as u64), None)),
        _ => None,
    };
    if let Some(lru) = lru
        && let Some(e) = ctx.srv.dbs[db].entries.get_mut(&key[..])
    {
        e.lru = lru;
    }
    ctx.modified(key, notify::GENERIC, "restore");
    if ttl > 0 && !absttl {
        // Propagated with the absolute expiry, as Redis does.
        let mut argv = a.to_vec();
        argv[2] = crate::server::replication::propagate::int_arg(ttl);
        argv.push(crate::server::replication::propagate::arg("ABSTTL"));
        ctx.propagate_as(argv);
    }
    Reply::Ok
}
