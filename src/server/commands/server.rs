//! Server commands: SHUTDOWN, TIME, MONITOR, LASTSAVE.

use bytes::Bytes;

use super::args;
use crate::resp::Reply;
use crate::server::command::{CommandSpec, acl, flags::*};
use crate::server::shutdown::{self, Outcome, ShutdownFlags};
use crate::server::state::{Ctx, unix_us};

/// The server command family.
pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("shutdown", -1, shutdown)
        .flags(ADMIN | NOSCRIPT | LOADING | STALE | NO_MULTI | ALLOW_BUSY)
        .doc(
            "server",
            "1.0.0",
            "Synchronously saves the database(s) to disk and shuts down the Redis server.",
        ),
    CommandSpec::new("time", 1, time)
        .flags(LOADING | STALE | FAST)
        .doc("server", "2.6.0", "Returns the server time."),
    CommandSpec::new("monitor", 1, monitor)
        .flags(ADMIN | NOSCRIPT | LOADING | STALE)
        .doc(
            "server",
            "1.0.0",
            "Listens for all requests received by the server in real-time.",
        ),
    CommandSpec::new("lastsave", 1, lastsave)
        .flags(LOADING | STALE | FAST)
        .acl(acl::ADMIN | acl::DANGEROUS)
        .doc(
            "server",
            "1.0.0",
            "Returns the Unix timestamp of the last successful save to disk.",
        ),
];

fn shutdown(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let mut flags = ShutdownFlags::default();
    let mut abort = false;
    for opt in &a[1..] {
        match args::lower(opt).as_str() {
            "nosave" => flags.nosave = true,
            "save" => flags.save = true,
            "now" => flags.now = true,
            "force" => flags.force = true,
            "abort" => abort = true,
            _ => return args::syntax_error(),
        }
    }
    if (abort && flags != ShutdownFlags::default()) || (flags.save && flags.nosave) {
        return args::syntax_error();
    }
    if abort {
        return if shutdown::abort(ctx.srv) {
            Reply::Ok
        } else {
            Reply::err("ERR No shutdown in progress.")
        };
    }
    match shutdown::prepare(ctx.srv, flags) {
        // No reply: the connection closes as the process exits.
        Outcome::Exit => {
            ctx.client.close_after_reply = true;
            Reply::None
        }
        // Blocked until the shutdown completes (no reply) or fails (an error).
        Outcome::Waiting => {
            shutdown::add_caller(ctx.srv, ctx.client.id());
            ctx.block(&[], a, 0, Reply::None)
        }
        Outcome::Failed => Reply::err("ERR Errors trying to SHUTDOWN. Check logs."),
    }
}

fn time(_ctx: &mut Ctx, _a: &[Bytes]) -> Reply {
    let us = unix_us();
    Reply::Array(vec![
        Reply::text((us / 1_000_000).to_string()),
        Reply::text((us % 1_000_000).to_string()),
    ])
}

fn monitor(ctx: &mut Ctx, _a: &[Bytes]) -> Reply {
    if ctx.client.multi.is_some() {
        return Reply::err("ERR MONITOR isn't allowed inside MULTI");
    }
    if !ctx.client.monitor {
        ctx.client.monitor = true;
        ctx.srv.monitors.push(ctx.client.shared.clone());
    }
    Reply::Ok
}

fn lastsave(ctx: &mut Ctx, _a: &[Bytes]) -> Reply {
    Reply::Int(ctx.srv.lastsave)
}
