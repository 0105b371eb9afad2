//! Pub/sub commands: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, PUBLISH, PUBSUB.

use bytes::Bytes;

use crate::resp::Reply;
use crate::server::command::{CommandSpec, flags::*};
use crate::server::state::Ctx;
use crate::util::glob::glob_match;

/// The pub/sub command family.
pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("subscribe", -2, subscribe)
        .flags(PUBSUB | NOSCRIPT | LOADING | STALE | PUBSUB_CONTEXT)
        .doc(
            "pubsub",
            "2.0.0",
            "Listens for messages published to channels.",
        ),
    CommandSpec::new("unsubscribe", -1, unsubscribe)
        .flags(PUBSUB | NOSCRIPT | LOADING | STALE | PUBSUB_CONTEXT)
        .doc(
            "pubsub",
            "2.0.0",
            "Stops listening to messages posted to channels.",
        ),
    CommandSpec::new("psubscribe", -2, psubscribe)
        .flags(PUBSUB | NOSCRIPT | LOADING | STALE | PUBSUB_CONTEXT)
        .doc(
            "pubsub",
            "2.0.0",
            "Listens for messages published to channels that match one or more patterns.",
        ),
    CommandSpec::new("punsubscribe", -1, punsubscribe)
        .flags(PUBSUB | NOSCRIPT | LOADING | STALE | PUBSUB_CONTEXT)
        .doc(
            "pubsub",
            "2.0.0",
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

static PUBSUB_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new("channels", -2, pubsub_channels)
        .flags(PUBSUB | LOADING | STALE)
        .doc("pubsub", "2.8.0", "Returns the active channels."),
    CommandSpec::new("numsub", -2, pubsub_numsub)
        .flags(PUBSUB | LOADING | STALE)
        .doc(
            "pubsub",
            "2.8.0",
            "Returns a count of subscribers to channels.",
        ),
    CommandSpec::new("numpat", 2, pubsub_numpat)
        .flags(PUBSUB | LOADING | STALE)
        .doc(
            "pubsub",
            "2.8.0",
            "Returns a count of unique pattern subscriptions.",
        ),
    CommandSpec::new("shardchannels", -2, pubsub_shardchannels)
        .flags(PUBSUB | LOADING | STALE)
        .doc("pubsub", "7.0.0", "Returns the active shard channels."),
    CommandSpec::new("shardnumsub", -2, pubsub_shardnumsub)
        .flags(PUBSUB | LOADING | STALE)
        .doc(
            "pubsub",
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

fn subscribe(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    if ctx.client.in_exec && ctx.client.resp() < 3 {
        return Reply::err("ERR SUBSCRIBE isn't allowed for a DENY BLOCKING client");
    }
    let mut out = Vec::new();
    for ch in &a[1..] {
        let ch = Bytes::copy_from_slice(ch);
        if ctx.client.channels.insert(ch.clone()) {
            ctx.srv.pubsub.subscribe(&ch, &ctx.client.shared);
        }
        out.push(confirm(
            b"subscribe",
            Some(ch),
            ctx.client.subscription_count(),
        ));
    }
    Reply::Many(out)
}

fn unsubscribe(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let targets: Vec<Bytes> = if a.len() > 1 {
        a[1..].to_vec()
    } else {
        ctx.client.channels.iter().cloned().collect()
    };
    if targets.is_empty() {
        return confirm(b"unsubscribe", None, ctx.client.subscription_count());
    }
    let id = ctx.client.id();
    let mut out = Vec::new();
    for ch in targets {
        if ctx.client.channels.remove(&ch) {
            ctx.srv.pubsub.unsubscribe(&ch, id);
        }
        out.push(confirm(
            b"unsubscribe",
            Some(ch),
            ctx.client.subscription_count(),
        ));
    }
    Reply::Many(out)
}

fn psubscribe(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    if ctx.client.in_exec && ctx.client.resp() < 3 {
        return Reply::err("ERR PSUBSCRIBE isn't allowed for a DENY BLOCKING client");
    }
    let mut out = Vec::new();
    for p in &a[1..] {
        let p = Bytes::copy_from_slice(p);
        if ctx.client.patterns.insert(p.clone()) {
            ctx.srv.pubsub.psubscribe(&p, &ctx.client.shared);
        }
        out.push(confirm(
            b"psubscribe",
            Some(p),
            ctx.client.subscription_count(),
        ));
    }
    Reply::Many(out)
}

fn punsubscribe(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let targets: Vec<Bytes> = if a.len() > 1 {
        a[1..].to_vec()
    } else {
        ctx.client.patterns.iter().cloned().collect()
    };
    if targets.is_empty() {
        return confirm(b"punsubscribe", None, ctx.client.subscription_count());
    }
    let id = ctx.client.id();
    let mut out = Vec::new();
    for p in targets {
        if ctx.client.patterns.remove(&p) {
            ctx.srv.pubsub.punsubscribe(&p, id);
        }
        out.push(confirm(
            b"punsubscribe",
            Some(p),
            ctx.client.subscription_count(),
        ));
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
        return Reply::err("ERR wrong number of arguments for 'pubsub|channels' command");
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
