//! Server commands: SHUTDOWN, TIME, MONITOR, LASTSAVE.

use bytes::Bytes;

use super::args;
use crate::resp::Reply;
use crate::server::command::{CommandSpec, acl, flags::*};
use crate::server::state::{Ctx, ShutdownMode, unix_us};

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
    let mut mode = ShutdownMode::Default;
    let (mut save, mut nosave, mut force, mut now, mut abort) = (false, false, false, false, false);
    for opt in &a[1..] {
        match args::lower(opt).as_str() {
            "nosave" => nosave = true,
            "save" => save = true,
            "now" => now = true,
            "force" => force = true,
            "abort" => abort = true,
            _ => return args::syntax_error(),
        }
    }
    if (abort && (save || nosave || now || force)) || (save && nosave) {
        return args::syntax_error();
    }
    if abort {
        return Reply::err("ERR No shutdown in progress.");
    }
    if nosave {
        mode = ShutdownMode::NoSave;
    } else if save {
        mode = ShutdownMode::Save;
    }
    // The final save happens here so a failure can be reported to the caller.
    if crate::server::persistence::rdb::lifecycle::prepare_shutdown(ctx.srv, mode, force).is_err() {
        return Reply::err("ERR Errors trying to SHUTDOWN. Check logs.");
    }
    ctx.srv.shutdown = Some(ShutdownMode::NoSave);
    ctx.client.close_after_reply = true;
    Reply::None
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
