//! MEMORY USAGE / STATS / DOCTOR / MALLOC-STATS / PURGE / HELP.
//!
//! Sizes are estimates in Redis's terms (see `server::objsize`), not measurements of vigil's
//! own heap layout.

use bytes::Bytes;

use super::args;
use super::info::{bytes_to_human, db_overhead, memory_figures};
use crate::resp::Reply;
use crate::server::command::{CommandSpec, acl, flags::*};
use crate::server::encoding::EncodingLimits;
use crate::server::objsize;
use crate::server::state::Ctx;

/// The MEMORY container.
pub static COMMANDS: &[CommandSpec] = &[CommandSpec::container("memory", SUBCOMMANDS).doc(
    "server",
    "4.0.0",
    "A container for memory diagnostics commands",
)];

static SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new("doctor", 2, doctor).doc("server", "4.0.0", "Outputs memory problems report"),
    CommandSpec::new("help", 2, help)
        .flags(LOADING | STALE)
        .doc(
            "server",
            "4.0.0",
            "Show helpful text about the different subcommands",
        ),
    CommandSpec::new("malloc-stats", 2, malloc_stats).doc(
        "server",
        "4.0.0",
        "Show allocator internal stats",
    ),
    CommandSpec::new("purge", 2, purge).doc(
        "server",
        "4.0.0",
        "Ask the allocator to release memory",
    ),
    CommandSpec::new("stats", 2, stats).doc("server", "4.0.0", "Show memory usage details"),
    CommandSpec::new("usage", -3, usage)
        .flags(READONLY)
        .acl(acl::READ)
        .keys(2, 2, 1)
        .doc("server", "4.0.0", "Estimate the memory usage of a key"),
];

fn usage(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let mut samples = objsize::DEFAULT_SAMPLES;
    let mut i = 3;
    while i < a.len() {
        if args::is(&a[i], "samples") && i + 1 < a.len() {
            match args::int(&a[i + 1]) {
                Ok(n) if n < 0 => return args::syntax_error(),
                Ok(0) => samples = 0,
                Ok(n) => samples = n as usize,
                Err(e) => return e,
            }
            i += 2;
        } else {
            return args::syntax_error();
        }
    }
    let limits = EncodingLimits::from_config(&ctx.srv.config);
    let now = ctx.srv.now_ms;
    // A peek: no hit/miss statistics, no LRU update, like Redis's MEMORY USAGE.
    let Some((key, entry)) = ctx.srv.dbs[ctx.client.db].entries.get_key_value(&a[2][..]) else {
        return Reply::Null;
    };
    if entry.is_expired(now) {
        return Reply::Null;
    }
    let size = objsize::key_overhead(key.len(), false)
        + objsize::value_size(&entry.value, &limits, samples);
    Reply::Int(size as i64)
}

fn kv(k: &str, v: Reply) -> (Reply, Reply) {
    (Reply::text(k), v)
}

fn int(k: &str, v: u64) -> (Reply, Reply) {
    kv(k, Reply::Int(v as i64))
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

fn stats(ctx: &mut Ctx, _a: &[Bytes]) -> Reply {
    let m = memory_figures(ctx.srv, 0);
    let (alloc, active, resident) = m.allocator;
    let mut out = vec![
        int("peak.allocated", m.peak),
        int("total.allocated", m.used),
        int("startup.allocated", m.startup),
        int("replication.backlog", 0),
        int("clients.slaves", 0),
        int("clients.normal", m.clients_normal),
        int("cluster.links", 0),
        int("aof.buffer", ctx.srv.aof.buffer_len()),
        int("lua.caches", 0),
        int("functions.caches", 0),
    ];
    let mut keys = 0u64;
    for (i, db) in ctx.srv.dbs.iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        keys += db.len() as u64;
        let (main, expires) = db_overhead(db);
        out.push(kv(
            &format!("db.{i}"),
            Reply::Map(vec![
                int("overhead.hashtable.main", main as u64),
                int("overhead.hashtable.expires", expires as u64),
                int("overhead.hashtable.slot-to-keys", 0),
            ]),
        ));
    }
    let net = m.used.saturating_sub(m.startup);
    out.extend([
        int("overhead.total", m.overhead),
        int("keys.count", keys),
        int("keys.bytes-per-key", net.checked_div(keys).unwrap_or(0)),
        int("dataset.bytes", m.dataset),
        kv(
            "dataset.percentage",
            Reply::Double(ratio(m.dataset, net) * 100.0),
        ),
        kv(
            "peak.percentage",
            Reply::Double(ratio(m.used, m.peak) * 100.0),
        ),
        int("allocator.allocated", alloc),
        int("allocator.active", active),
        int("allocator.resident", resident),
        kv(
            "allocator-fragmentation.ratio",
            Reply::Double(ratio(active, alloc)),
        ),
        int(
            "allocator-fragmentation.bytes",
            active.saturating_sub(alloc),
        ),
        kv(
            "allocator-rss.ratio",
            Reply::Double(ratio(resident, active)),
        ),
        int("allocator-rss.bytes", resident.saturating_sub(active)),
        kv("rss-overhead.ratio", Reply::Double(ratio(m.rss, resident))),
        kv(
            "rss-overhead.bytes",
            Reply::Int(m.rss as i64 - resident as i64),
        ),
        kv("fragmentation", Reply::Double(ratio(m.rss, m.used))),
        kv(
            "fragmentation.bytes",
            Reply::Int(m.rss as i64 - m.used as i64),
        ),
    ]);
    Reply::Map(out)
}

/// Below this much allocated memory the doctor has nothing meaningful to say.
const DOCTOR_MIN_BYTES: u64 = 5 << 20;

fn doctor(ctx: &mut Ctx, _a: &[Bytes]) -> Reply {
    let m = memory_figures(ctx.srv, 0);
    if m.used < DOCTOR_MIN_BYTES {
        return Reply::Verbatim(
            "This instance uses very little memory, so there is nothing to diagnose yet. \
             Run MEMORY DOCTOR again once it holds a real dataset.\n"
                .into(),
        );
    }
    let mut issues = Vec::new();
    if m.peak > m.used.saturating_mul(3) / 2 {
        issues.push(format!(
            "- Peak memory: the peak ({}) is more than 150% of the memory used now ({}). \
             Memory freed since then may not have been returned to the system, which can \
             explain a high RSS.",
            bytes_to_human(m.peak),
            bytes_to_human(m.used)
        ));
    }
    let frag = ratio(m.rss, m.used);
    if frag > 1.4 && m.rss > 10 << 20 {
        issues.push(format!(
            "- Fragmentation: the resident set ({}) is {frag:.2} times the allocated memory ({}).",
            bytes_to_human(m.rss),
            bytes_to_human(m.used)
        ));
    }
    if m.clients_normal > 200 << 20 {
        issues.push(format!(
            "- Client buffers: clients use {} for query and output buffers.",
            bytes_to_human(m.clients_normal)
        ));
    }
    if issues.is_empty() {
        return Reply::Verbatim("No memory problem was detected on this instance.\n".into());
    }
    Reply::Verbatim(format!(
        "Possible memory problems found:\n\n{}\n",
        issues.join("\n")
    ))
}

fn malloc_stats(ctx: &mut Ctx, _a: &[Bytes]) -> Reply {
    let m = memory_figures(ctx.srv, 0);
    let (alloc, active, resident) = m.allocator;
    Reply::Verbatim(format!(
        "allocator: {}\nallocated: {alloc}\nactive: {active}\nresident: {resident}\n",
        crate::alloc::allocator_name()
    ))
}

fn purge(_ctx: &mut Ctx, _a: &[Bytes]) -> Reply {
    Reply::Ok
}

fn help(_ctx: &mut Ctx, _a: &[Bytes]) -> Reply {
    args::help(
        "MEMORY",
        &[
            "DOCTOR",
            "    Report memory problems, if any.",
            "MALLOC-STATS",
            "    Return statistics from the memory allocator.",
            "PURGE",
            "    Ask the allocator to release unused memory.",
            "STATS",
            "    Return details about the memory usage of the server.",
            "USAGE <key> [SAMPLES <count>]",
            "    Return the estimated bytes used by <key> and its value. Elements of",
            "    aggregates are sampled up to <count> times (default: 5, 0 means all).",
        ],
    )
}
