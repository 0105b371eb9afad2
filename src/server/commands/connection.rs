//! Connection commands: PING, ECHO, QUIT, SELECT, AUTH, HELLO, RESET.

use bytes::Bytes;

use super::args;
use crate::resp::Reply;
use crate::server::command::{CommandSpec, acl, flags::*};
use crate::server::state::Ctx;

/// Version string we report where clients expect Redis's (they gate features on it).
pub const REDIS_COMPAT_VERSION: &str = "7.0.15";

/// The connection command family.
pub static COMMANDS: &[CommandSpec] = &[
    // Neither LOADING nor STALE, as in Redis: a loading node answers -LOADING and a replica
    // with its link down and `replica-serve-stale-data no` answers -MASTERDOWN (replies a
    // sentinel accepts as signs of life).
    CommandSpec::new("ping", -1, ping)
        .flags(FAST | PUBSUB_CONTEXT)
        .acl(acl::CONNECTION)
        .doc(
            "connection",
            "1.0.0",
            "Returns the server's liveliness response.",
        ),
    CommandSpec::new("echo", 2, echo)
        .flags(FAST | STALE | LOADING)
        .acl(acl::CONNECTION)
        .doc("connection", "1.0.0", "Returns the given string."),
    CommandSpec::new("quit", -1, quit)
        .flags(
            NOSCRIPT
                | NO_AUTH
                | FAST
                | PUBSUB_CONTEXT
                | STALE
                | LOADING
                | MULTI_CONTROL
                | ALLOW_BUSY,
        )
        .acl(acl::CONNECTION)
        .doc("connection", "1.0.0", "Closes the connection."),
    CommandSpec::new("select", 2, select)
        .flags(FAST | LOADING | STALE)
        .acl(acl::CONNECTION)
        .doc("connection", "1.0.0", "Changes the selected database."),
    CommandSpec::new("auth", -2, auth)
        .flags(NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY)
        .acl(acl::CONNECTION)
        .doc("connection", "1.0.0", "Authenticates the connection."),
    CommandSpec::new("hello", -1, hello)
        .flags(NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY)
        .acl(acl::CONNECTION)
        .doc("connection", "6.0.0", "Handshakes with the Redis server."),
    CommandSpec::new("reset", 1, reset)
        .flags(
            NOSCRIPT
                | LOADING
                | STALE
                | FAST
                | NO_AUTH
                | PUBSUB_CONTEXT
                | MULTI_CONTROL
                | ALLOW_BUSY,
        )
        .acl(acl::CONNECTION)
        .doc("connection", "6.2.0", "Resets the connection."),
];

fn ping(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    if a.len() > 2 {
        return Reply::err("ERR wrong number of arguments for 'ping' command");
    }
    if ctx.client.in_pubsub_context() {
        let payload = a.get(1).cloned().unwrap_or_default();
        return Reply::Array(vec![
            Reply::Bulk(Bytes::from_static(b"pong")),
            Reply::Bulk(payload),
        ]);
    }
    match a.get(1) {
        Some(msg) => Reply::Bulk(msg.clone()),
        None => Reply::Status("PONG".into()),
    }
}

fn echo(_ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    Reply::Bulk(a[1].clone())
}

fn quit(ctx: &mut Ctx, _a: &[Bytes]) -> Reply {
    ctx.client.close_after_reply = true;
    Reply::Ok
}

fn select(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let Some(idx) = crate::util::num::parse_i64(&a[1]) else {
        return args::not_integer();
    };
    if idx < 0 || idx as usize >= ctx.srv.dbs.len() {
        return Reply::err("ERR DB index is out of range");
    }
    ctx.client.db = idx as usize;
    Reply::Ok
}

/// Tries credentials; on success switches the client to `user`.
pub fn try_auth(ctx: &mut Ctx, command: &[u8], user: &[u8], pass: &[u8]) -> Result<(), Reply> {
    let user = String::from_utf8_lossy(user).into_owned();
    if ctx.srv.acl.authenticate(&user, pass) {
        ctx.client.user = user;
        ctx.client.authenticated = true;
        Ok(())
    } else {
        let cmd = String::from_utf8_lossy(command).to_ascii_lowercase();
        let info = super::client::info_line(ctx.srv, ctx.client, Some(&cmd), &[]);
        let max = ctx.srv.config.acllog_max_len as usize;
        ctx.srv.acl.log_auth_failure(
            &user,
            &String::from_utf8_lossy(command),
            ctx.client.multi.is_some(),
            info,
            ctx.srv.now_ms,
            max,
        );
        Err(Reply::err(
            "WRONGPASS invalid username-password pair or user is disabled.",
        ))
    }
}

fn auth(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    if a.len() > 3 {
        return args::syntax_error();
    }
    let (user, pass): (&[u8], &[u8]) = if a.len() == 2 {
        (b"default", &a[1])
    } else {
        (&a[1], &a[2])
    };
    if a.len() == 2 && ctx.srv.acl.default_nopass() {
        return Reply::err(
            "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?",
        );
    }
    match try_auth(ctx, &a[0], user, pass) {
        Ok(()) => Reply::Ok,
        Err(e) => e,
    }
}

fn hello(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let mut proto = ctx.client.resp();
    let mut i = 1;
    if a.len() > 1 {
        match crate::util::num::parse_i64(&a[1]) {
            Some(v @ 2..=3) => proto = v as u8,
            Some(_) => return Reply::err("NOPROTO unsupported protocol version"),
            None => return Reply::err("ERR Protocol version is not an integer or out of range"),
        }
        i = 2;
    }
    let mut setname = None;
    while i < a.len() {
        if args::is(&a[i], "auth") && i + 2 < a.len() {
            let (u, p) = (a[i + 1].clone(), a[i + 2].clone());
            if let Err(e) = try_auth(ctx, &a[0], &u, &p) {
                return e;
            }
            i += 3;
        } else if args::is(&a[i], "setname") && i + 1 < a.len() {
            let name = &a[i + 1];
            if name.iter().any(|&c| c <= b' ' || c > b'~') {
                return Reply::err(
                    "ERR Client names cannot contain spaces, newlines or special characters.",
                );
            }
            setname = Some(name.clone());
            i += 2;
        } else {
            return Reply::err(format!(
                "ERR Syntax error in HELLO option '{}'",
                crate::server::dispatch::sanitize(&a[i], 128)
            ));
        }
    }
    if ctx.srv.acl.auth_required(ctx.client.authenticated) {
        return Reply::err(
            "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time",
        );
    }
    if let Some(name) = setname {
        ctx.client.name = if name.is_empty() { None } else { Some(name) };
    }
    ctx.client.shared.resp.set(proto);
    let mut fields = vec![
        (Reply::text("server"), Reply::text("redis")),
        (Reply::text("version"), Reply::text(REDIS_COMPAT_VERSION)),
        (Reply::text("proto"), Reply::Int(proto as i64)),
        (Reply::text("id"), Reply::Int(ctx.client.id() as i64)),
    ];
    // A sentinel reports its mode and, like Redis, no role.
    if super::mode() == super::Mode::Sentinel {
        fields.push((Reply::text("mode"), Reply::text("sentinel")));
    } else {
        fields.push((Reply::text("mode"), Reply::text("standalone")));
        fields.push((Reply::text("role"), Reply::text("master")));
    }
    fields.push((Reply::text("modules"), Reply::Array(vec![])));
    Reply::Map(fields)
}

fn reset(ctx: &mut Ctx, _a: &[Bytes]) -> Reply {
    let id = ctx.client.id();
    ctx.client.multi = None;
    ctx.client.multi_error = false;
    super::multi::unwatch_all(ctx.srv, ctx.client);
    for ch in std::mem::take(&mut ctx.client.channels) {
        ctx.srv.pubsub.unsubscribe(&ch, id);
    }
    for p in std::mem::take(&mut ctx.client.patterns) {
        ctx.srv.pubsub.punsubscribe(&p, id);
    }
    if ctx.client.monitor {
        ctx.client.monitor = false;
        ctx.srv.monitors.retain(|m| m.id != id);
    }
    ctx.client.db = 0;
    ctx.client.name = None;
    ctx.client.reply_mode = crate::server::client::ReplyMode::On;
    ctx.client.no_evict = false;
    ctx.client.shared.resp.set(2);
    ctx.client.user = "default".into();
    ctx.client.authenticated = ctx.srv.acl.default_needs_no_auth();
    Reply::Status("RESET".into())
}
