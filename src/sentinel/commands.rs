//! The commands only a sentinel has, or has in its own form: SENTINEL (answered by the core,
//! except FLUSHCONFIG and PENDING-SCRIPTS), INFO limited to the sections a sentinel has, ROLE,
//! and PUBLISH, which only takes hello messages. The other commands a sentinel serves come
//! unchanged from the data node's table (see `server::commands::specs`).
//!
//! Flags, arities and ACL categories are those of Redis 7.0.15 in sentinel mode (COMMAND INFO).

use bytes::Bytes;

use super::link::HELLO_CHANNEL;
use super::runtime;
use crate::resp::Reply;
use crate::server::command::{CommandSpec, acl, flags::*};
use crate::server::commands::args;
use crate::server::commands::info::render_section;
use crate::server::state::Ctx;

/// SENTINEL subcommands: (name, arity, flags). All run [`sentinel_sub`].
macro_rules! sub {
    ($name:literal, $arity:expr, $summary:literal) => {
        CommandSpec::new($name, $arity, sentinel_sub)
            .flags(ADMIN)
            .doc("sentinel", "2.8.4", $summary)
    };
}

static SENTINEL_SUBCOMMANDS: &[CommandSpec] = &[
    sub!("ckquorum", 3, "Checks for a Redis Sentinel quorum."),
    sub!("config", -3, "Configures Redis Sentinel."),
    sub!(
        "debug",
        -2,
        "Lists or updates the current configurable parameters of Redis Sentinel."
    ),
    sub!("failover", 3, "Forces a Redis Sentinel failover."),
    sub!(
        "flushconfig",
        2,
        "Rewrites the Redis Sentinel configuration file."
    ),
    sub!(
        "get-master-addr-by-name",
        3,
        "Returns the port and address of a master Redis instance."
    ),
    CommandSpec::new("help", 2, sentinel_sub)
        .flags(LOADING | STALE)
        .doc(
            "sentinel",
            "6.2.0",
            "Returns helpful text about the different subcommands.",
        ),
    sub!(
        "info-cache",
        -3,
        "Returns the cached `INFO` replies from the deployment's instances."
    ),
    sub!(
        "is-master-down-by-addr",
        6,
        "Determines whether a master Redis instance is down."
    ),
    sub!("master", 3, "Returns the state of a master Redis instance."),
    sub!("masters", 2, "Returns a list of monitored Redis masters."),
    sub!("monitor", 6, "Starts monitoring."),
    sub!("myid", 2, "Returns the Redis Sentinel instance ID."),
    sub!(
        "pending-scripts",
        2,
        "Returns information about pending scripts for Redis Sentinel."
    ),
    sub!("remove", 3, "Stops monitoring."),
    sub!(
        "replicas",
        3,
        "Returns a list of the monitored Redis replicas."
    ),
    sub!(
        "reset",
        3,
        "Resets Redis masters by name matching a pattern."
    ),
    sub!("sentinels", 3, "Returns a list of Sentinel instances."),
    sub!(
        "set",
        -5,
        "Changes the configuration of a monitored Redis master."
    ),
    sub!("simulate-failure", -3, "Simulates failover scenarios."),
    sub!("slaves", 3, "Returns a list of the monitored replicas."),
];

/// The sentinel-only commands.
pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::container("sentinel", SENTINEL_SUBCOMMANDS)
        .flags(ADMIN)
        .doc(
            "sentinel",
            "2.8.4",
            "A container for Redis Sentinel commands.",
        ),
    CommandSpec::new("info", -1, info)
        .flags(LOADING | STALE)
        .acl(acl::DANGEROUS)
        .doc(
            "server",
            "1.0.0",
            "Returns information and statistics about the server.",
        ),
    CommandSpec::new("role", 1, role)
        .flags(NOSCRIPT | LOADING | STALE | FAST)
        .acl(acl::ADMIN | acl::DANGEROUS)
        .doc("server", "2.8.12", "Returns the replication role."),
    CommandSpec::new("publish", 3, publish)
        .flags(PUBSUB | LOADING | STALE | FAST)
        .doc("pubsub", "2.0.0", "Posts a message to a channel."),
];

/// INFO sections of a sentinel, in output order.
const SECTIONS: &[&str] = &["server", "clients", "stats", "cpu", "sentinel"];

/// Which sections `INFO [section ...]` asks for; everything a sentinel has by default.
pub fn selected_sections(args: &[Bytes]) -> Vec<&'static str> {
    let mut all = args.is_empty();
    let mut want: Vec<String> = Vec::new();
    for a in args {
        let name = args::lower(a);
        if matches!(name.as_str(), "all" | "default" | "everything") {
            all = true;
        }
        want.push(name);
    }
    SECTIONS
        .iter()
        .copied()
        .filter(|s| all || want.iter().any(|w| w == s))
        .collect()
}

fn info(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let mut out = String::new();
    for (i, name) in selected_sections(&a[1..]).into_iter().enumerate() {
        if i > 0 {
            out.push_str("\r\n");
        }
        if name == "sentinel" {
            let section = runtime::with_sentinel(ctx.srv, |_, st| {
                let now = st.now();
                st.core
                    .info_section(st.scripts.running(), st.scripts.queued(), now)
            });
            out.push_str(&section.unwrap_or_default());
        } else {
            render_section(ctx, name, &mut out);
        }
    }
    Reply::Verbatim(out)
}

fn role(ctx: &mut Ctx, _a: &[Bytes]) -> Reply {
    let names = runtime::with_sentinel(ctx.srv, |_, st| st.core.master_names()).unwrap_or_default();
    Reply::Array(vec![
        Reply::text("sentinel"),
        Reply::Array(names.into_iter().map(Reply::text).collect()),
    ])
}

fn publish(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    if a[1].as_ref() != HELLO_CHANNEL.as_bytes() {
        return Reply::err("ERR Only HELLO messages are accepted by Sentinel instances.");
    }
    let payload = a[2].clone();
    runtime::with_sentinel(ctx.srv, |srv, st| {
        let now = st.now();
        let actions = st.core.hello_from_client(&payload, now);
        runtime::execute(srv, st, actions);
    });
    Reply::Int(1)
}

/// Every SENTINEL subcommand: FLUSHCONFIG and PENDING-SCRIPTS here, the rest in the core. When
/// the core asks for a config flush, it happens before the reply, which reports a failure.
fn sentinel_sub(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let sub = args::lower(&a[1]);
    let reply = runtime::with_sentinel(ctx.srv, |srv, st| match sub.as_str() {
        "flushconfig" => match runtime::flush_config(srv, st) {
            Ok(()) => Reply::Ok,
            Err(_) => Reply::err("ERR Failed to save config file. Check server logs."),
        },
        "pending-scripts" => st.scripts.pending_reply(st.now().mono_ms),
        _ => {
            let now = st.now();
            let (reply, actions) = st.core.command(a, now);
            match runtime::execute(srv, st, actions) {
                Some(Err(_)) => Reply::err("ERR Failed to save config file. Check server logs."),
                _ => reply,
            }
        }
    });
    reply.unwrap_or_else(|| Reply::err("ERR Sentinel is not running"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::command::CommandTable;
    use crate::server::commands::{Mode, specs};

    fn words(v: &[&str]) -> Vec<Bytes> {
        v.iter().map(|s| Bytes::from(s.to_string())).collect()
    }

    #[test]
    fn sentinel_table_has_exactly_redis_commands() {
        let table = CommandTable::with_specs(&specs(Mode::Sentinel), &[]).unwrap();
        let mut names: Vec<&str> = table.all.iter().map(|s| s.name).collect();
        names.sort();
        assert_eq!(
            names,
            [
                "acl",
                "auth",
                "client",
                "command",
                "hello",
                "info",
                "ping",
                "psubscribe",
                "publish",
                "punsubscribe",
                "role",
                "sentinel",
                "shutdown",
                "subscribe",
                "unsubscribe"
            ]
        );
        let sentinel = table.lookup(b"SENTINEL").unwrap();
        assert_eq!(sentinel.subcommands.len(), 21);
        // COMMAND COUNT / COMMAND LIST of Redis 7.0.15's sentinel: 72 (no CLIENT SETINFO).
        let listed: usize = table.all.iter().map(|s| 1 + s.subcommands.len()).sum();
        assert_eq!(listed, 72);
        let client = table.lookup(b"client").unwrap();
        assert!(client.subcommand(b"setinfo").is_none());
        assert!(client.subcommand(b"setname").is_some());
        assert!(table.lookup(b"get").is_none());
        assert!(table.lookup(b"config").is_none());
        // The shared commands are the data node's own specs, not copies.
        let server = CommandTable::with_specs(&specs(Mode::Server), &[]).unwrap();
        assert!(std::ptr::eq(
            table.lookup(b"ping").unwrap(),
            server.lookup(b"ping").unwrap()
        ));
        assert!(!std::ptr::eq(
            table.lookup(b"info").unwrap(),
            server.lookup(b"info").unwrap()
        ));
    }

    #[test]
    fn info_sections() {
        assert_eq!(selected_sections(&[]), SECTIONS);
        assert_eq!(selected_sections(&words(&["everything"])), SECTIONS);
        assert_eq!(
            selected_sections(&words(&["SENTINEL", "memory", "server"])),
            ["server", "sentinel"]
        );
        assert!(selected_sections(&words(&["keyspace"])).is_empty());
    }
}
