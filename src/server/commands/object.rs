//! OBJECT ENCODING / FREQ / IDLETIME / REFCOUNT / HELP.
//!
//! Encodings are computed from the content (see `server::encoding`); reference counts mimic
//! Redis's shared integer objects.

use bytes::Bytes;

use super::args;
use crate::config::{MaxmemoryPolicy, ServerConfig};
use crate::resp::Reply;
use crate::server::command::{CommandFn, CommandSpec, acl, flags::*};
use crate::server::encoding::{EncodingLimits, encoding_of};
use crate::server::evict;
use crate::server::state::Ctx;
use crate::server::value::{Entry, Value};
use crate::util::num::parse_i64;

/// The OBJECT container.
pub static COMMANDS: &[CommandSpec] = &[CommandSpec::container("object", SUBCOMMANDS).doc(
    "generic",
    "2.2.3",
    "A container for object introspection commands",
)];

const KEYS_ACL: u64 = acl::KEYSPACE;

static SUBCOMMANDS: &[CommandSpec] = &[
    key_subcommand(
        "encoding",
        encoding,
        "2.2.3",
        "Inspect the internal encoding of a Redis object",
    ),
    key_subcommand(
        "freq",
        freq,
        "4.0.0",
        "Get the logarithmic access frequency counter of a Redis object",
    ),
    CommandSpec::new("help", 2, help)
        .flags(LOADING | STALE)
        .acl(KEYS_ACL)
        .doc(
            "generic",
            "6.2.0",
            "Show helpful text about the different subcommands",
        ),
    key_subcommand(
        "idletime",
        idletime,
        "2.2.3",
        "Get the time since a Redis object was last accessed",
    ),
    key_subcommand(
        "refcount",
        refcount,
        "2.2.3",
        "Get the number of references to the value of the key",
    ),
];

/// `OBJECT <subcommand> <key>`: read-only, one key at argument 2.
const fn key_subcommand(
    name: &'static str,
    func: CommandFn,
    since: &'static str,
    summary: &'static str,
) -> CommandSpec {
    CommandSpec::new(name, 3, func)
        .flags(READONLY)
        .acl(KEYS_ACL)
        .keys(2, 2, 1)
        .doc("generic", since, summary)
}

/// Reference count Redis reports for objects shared across keys.
pub const SHARED_REFCOUNT: i64 = i32::MAX as i64;
/// Integers below this are shared objects in Redis.
const SHARED_INTEGERS: i64 = 10_000;

/// Whether Redis shares integer objects under this configuration: not when an LRU/LFU
/// policy needs per-key access data.
pub fn shared_integers_allowed(config: &ServerConfig) -> bool {
    config.maxmemory == 0
        || matches!(
            config.maxmemory_policy,
            MaxmemoryPolicy::NoEviction
                | MaxmemoryPolicy::AllKeysRandom
                | MaxmemoryPolicy::VolatileRandom
                | MaxmemoryPolicy::VolatileTtl
        )
}

/// The reference count OBJECT REFCOUNT / DEBUG OBJECT show: Redis's shared objects for small
/// non-negative integers, 1 otherwise.
pub fn refcount_of(value: &Value, shared_allowed: bool) -> i64 {
    match value {
        Value::Str(s)
            if shared_allowed
                && parse_i64(s).is_some_and(|v| (0..SHARED_INTEGERS).contains(&v)) =>
        {
            SHARED_REFCOUNT
        }
        _ => 1,
    }
}

/// Looks a key up without touching its access time or the hit/miss statistics.
fn peek<'a>(ctx: &'a mut Ctx, key: &[u8]) -> Option<&'a mut Entry> {
    let db = ctx.client.db;
    ctx.srv.lookup_write(db, key)
}

fn encoding(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let limits = EncodingLimits::from_config(&ctx.srv.config);
    match peek(ctx, &a[2]) {
        Some(e) => Reply::text(encoding_of(&e.value, &limits).name()),
        None => Reply::Null,
    }
}

fn freq(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let decay = ctx.srv.config.lfu_decay_time;
    match access_clock(
        ctx,
        &a[2],
        true,
        "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
    ) {
        Ok((lru, now)) => Reply::Int(evict::lfu_decayed(lru, now, decay) as i64),
        Err(r) => r,
    }
}

fn idletime(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    match access_clock(
        ctx,
        &a[2],
        false,
        "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
    ) {
        Ok((lru, now)) => Reply::Int((evict::idle_ms(lru, now) / 1000) as i64),
        Err(r) => r,
    }
}

/// The key's access clock and the current time, for FREQ (`lfu`: the policy must be LFU) and
/// IDLETIME (it must not be): Err is null for a missing key, else `refusal` when the policy
/// does not track what is asked.
fn access_clock(ctx: &mut Ctx, key: &[u8], lfu: bool, refusal: &str) -> Result<(u32, i64), Reply> {
    let policy_lfu = ctx.srv.config.maxmemory_policy.is_lfu();
    let now = ctx.srv.now_ms;
    let Some(e) = peek(ctx, key) else {
        return Err(Reply::Null);
    };
    if policy_lfu != lfu {
        return Err(Reply::err(refusal));
    }
    Ok((e.lru, now))
}

fn refcount(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let shared = shared_integers_allowed(&ctx.srv.config);
    match peek(ctx, &a[2]) {
        Some(e) => Reply::Int(refcount_of(&e.value, shared)),
        None => Reply::Null,
    }
}

fn help(_ctx: &mut Ctx, _a: &[Bytes]) -> Reply {
    args::help(
        "OBJECT",
        &[
            "ENCODING <key>",
            "    Return the internal representation Redis would use for the value of <key>.",
            "FREQ <key>",
            "    Return the logarithmic access frequency counter of <key> (LFU policies only).",
            "IDLETIME <key>",
            "    Return the approximate number of seconds since <key> was last accessed.",
            "REFCOUNT <key>",
            "    Return the number of references to the value of <key>.",
        ],
    )
}
