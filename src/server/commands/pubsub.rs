//! Pub/sub commands: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, PUBLISH, PUBSUB.

use std::collections::HashSet;

use bytes::Bytes;

use crate::resp::Reply;
use crate::server::client::Client;
use crate::server::command::{CommandFn, CommandSpec, flags::*};
use crate::server::state::Ctx;
use crate::util::glob::glob_match;

/// The pub/sub command family.
pub static COMMANDS: &[CommandSpec] = &[
    subscription(
        "subscribe",
        -2,
        subscribe,
        "Listens for messages published to channels.",
    ),
    subscription(
        "unsubscribe",
        -1,
        unsubscribe,
        "Stops listening to messages posted to channels.",
    ),
    subscription(
        "psubscribe",
        -2,
        psubscribe,
        "Listens for messages published to channels that match one or more patterns.",
    ),
    subscription(
        "punsubscribe",
        -1,
        punsubscribe,
        "Stops listening to messages published to channels that match one or more patterns.",
    ),
    CommandSpec::new("publish", 3, publish)
        .flags(PUBSUB | LOADING | STALE | FAST | MAY_REPLICATE)
        .doc("pubsub", "2.0.0", "Posts a message to a channel."),
    CommandSpec::container("pubsub", PUBSUB_SUBCOMMANDS).doc(
        "pubsub",
        "2.8.0",
        "A container for Pub/Sub commands.",
    ),
];

/// The (P)(UN)SUBSCRIBE commands share flags (usable in the subscribed context) and history.
const fn subscription(
    name: &'static str,
    arity: i32,
    func: CommandFn,
    summary: &'static str,
) -> CommandSpec {
    CommandSpec::new(name, arity, func)
        .flags(PUBSUB | NOSCRIPT | LOADING | STALE | PUBSUB_CONTEXT)
        .doc("pubsub", "2.0.0", summary)
}

/// PUBSUB's introspection subcommands share their flags.
const fn introspection(
    name: &'static str,
    arity: i32,
    func: CommandFn,
    since: &'static str,
    summary: &'static str,
) -> CommandSpec {
    CommandSpec::new(name, arity, func)
        .flags(PUBSUB | LOADING | STALE)
        .doc("pubsub", since, summary)
}

static PUBSUB_SUBCOMMANDS: &[CommandSpec] = &[
    introspection(
        "channels",
        -2,
        pubsub_channels,
        "2.8.0",
        "Returns the active channels.",
    ),
    introspection(
        "numsub",
        -2,
        pubsub_numsub,
        "2.8.0",
        "Returns a count of subscribers to channels.",
    ),
    introspection(
        "numpat",
        2,
        pubsub_numpat,
        "2.8.0",
        "Returns a count of unique pattern subscriptions.",
    ),
    introspection(
        "shardchannels",
        -2,
        pubsub_shardchannels,
        "7.0.0",
        "Returns the active shard channels.",
    ),
    introspection(
        "shardnumsub",
        -2,
        pubsub_shardnumsub,
        "7.0.0",
        "Returns the count of subscribers of shard channels.",
    ),
    CommandSpec::new("help", 2, pubsub_help)
        .flags(LOADING | STALE)
        .doc(
            "pubsub",
            "6.2.0",
            "Returns helpful text about the different subcommands.",
        ),
];

fn confirm(kind: &'static [u8], name: Option<Bytes>, count: usize) -> Reply {
    Reply::Push(vec![
        Reply::Bulk(Bytes::from_static(kind)),
        name.map(Reply::Bulk).unwrap_or(Reply::Null),
        Reply::Int(count as i64),
    ])
}

/// Channel or pattern subscriptions: the commands for both follow the same steps on different
/// sets (the client's own and the server's registry) with different reply names.
#[derive(Clone, Copy)]
enum Kind {
    Channel,
    Pattern,
}

impl Kind {
    /// The client's subscriptions of this kind.
    fn of(self, client: &mut Client) -> &mut HashSet<Bytes> {
        match self {
            Kind::Channel => &mut client.channels,
            Kind::Pattern => &mut client.patterns,
        }
    }
}

fn subscribe(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    add(ctx, a, Kind::Channel, b"subscribe")
}

fn unsubscribe(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    remove(ctx, a, Kind::Channel, b"unsubscribe")
}

fn psubscribe(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    add(ctx, a, Kind::Pattern, b"psubscribe")
}

fn punsubscribe(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    remove(ctx, a, Kind::Pattern, b"punsubscribe")
}

/// (P)SUBSCRIBE: one confirmation per name, counting every subscription of the client.
fn add(ctx: &mut Ctx, a: &[Bytes], kind: Kind, verb: &'static [u8]) -> Reply {
    let mut out = Vec::new();
    for name in &a[1..] {
        let name = Bytes::copy_from_slice(name);
        if kind.of(ctx.client).insert(name.clone()) {
            let who = &ctx.client.shared;
            match kind {
                Kind::Channel => ctx.srv.pubsub.subscribe(&name, who),
                Kind::Pattern => ctx.srv.pubsub.psubscribe(&name, who),
            };
        }
        out.push(confirm(verb, Some(name), ctx.client.subscription_count()));
    }
    Reply::Many(out)
}

/// (P)UNSUBSCRIBE: the names given, or every subscription of that kind; with none at all, a
/// single confirmation with a null name.
fn remove(ctx: &mut Ctx, a: &[Bytes], kind: Kind, verb: &'static [u8]) -> Reply {
    let targets: Vec<Bytes> = if a.len() > 1 {
        a[1..].to_vec()
    } else {
        kind.of(ctx.client).iter().cloned().collect()
    };
    if targets.is_empty() {
        return confirm(verb, None, ctx.client.subscription_count());
    }
    let id = ctx.client.id();
    let mut out = Vec::new();
    for name in targets {
        if kind.of(ctx.client).remove(&name) {
            match kind {
                Kind::Channel => ctx.srv.pubsub.unsubscribe(&name, id),
                Kind::Pattern => ctx.srv.pubsub.punsubscribe(&name, id),
            };
        }
        out.push(confirm(verb, Some(name), ctx.client.subscription_count()));
    }
    Reply::Many(out)
}

fn publish(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    // Messages reach the replicas' subscribers too (not the AOF), as in Redis.
    ctx.force_propagation(crate::server::replication::propagate::REPL);
    let n = ctx.srv.pubsub.publish(&a[1], &a[2]);
    ctx.srv.stats.pubsub_messages += 1;
    Reply::Int(n as i64)
}

fn pubsub_channels(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    if a.len() > 3 {
        return Reply::err(format!(
            "ERR unknown subcommand or wrong number of arguments for '{}'. Try PUBSUB HELP.",
            crate::server::dispatch::sanitize(&a[1], 128)
        ));
    }
    let pat = a.get(2);
    Reply::Array(
        ctx.srv
            .pubsub
            .channels
            .keys()
            .filter(|c| pat.is_none_or(|p| glob_match(p, c, false)))
            .map(|c| Reply::Bulk(c.clone()))
            .collect(),
    )
}

fn pubsub_numsub(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let mut out = Vec::new();
    for ch in &a[2..] {
        out.push(Reply::Bulk(ch.clone()));
        out.push(Reply::Int(
            ctx.srv.pubsub.channels.get(ch).map_or(0, |s| s.len()) as i64,
        ));
    }
    Reply::Array(out)
}

fn pubsub_numpat(ctx: &mut Ctx, _a: &[Bytes]) -> Reply {
    Reply::Int(ctx.srv.pubsub.pattern_count() as i64)
}

fn pubsub_shardchannels(_ctx: &mut Ctx, _a: &[Bytes]) -> Reply {
    Reply::Array(vec![])
}

fn pubsub_shardnumsub(_ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let mut out = Vec::new();
    for ch in &a[2..] {
        out.push(Reply::Bulk(ch.clone()));
        out.push(Reply::Int(0));
    }
    Reply::Array(out)
}

fn pubsub_help(_ctx: &mut Ctx, _a: &[Bytes]) -> Reply {
    Reply::Array(
        [
            "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "CHANNELS [<pattern>]",
            "    Return the currently active channels matching a <pattern> (default: '*').",
            "NUMPAT",
            "    Return number of subscriptions to patterns.",
            "NUMSUB [<channel> ...]",
            "    Return the number of subscribers for the specified channels, excluding",
            "    pattern subscriptions(default: no channels).",
            "SHARDCHANNELS [<pattern>]",
            "    Return the currently active shard level channels matching a <pattern> (default: '*').",
            "SHARDNUMSUB [<shardchannel> ...]",
            "    Return the number of subscribers for the specified shard level channel(s)",
            "HELP",
            "    Print this help.",
        ]
        .iter()
        .map(|s| Reply::Status(s.to_string()))
        .collect(),
    )
}
