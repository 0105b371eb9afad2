//! SLOWLOG GET / LEN / RESET / HELP over the log the dispatcher fills.

use bytes::Bytes;

use super::args;
use crate::resp::Reply;
use crate::server::command::{CommandSpec, flags::*};
use crate::server::state::Ctx;
use crate::util::num::parse_i64;

/// The SLOWLOG container.
pub static COMMANDS: &[CommandSpec] = &[CommandSpec::container("slowlog", SUBCOMMANDS).doc(
    "server",
    "2.2.12",
    "A container for slow log commands",
)];

static SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new("get", -2, get)
        .flags(ADMIN | LOADING | STALE)
        .doc("server", "2.2.12", "Get the slow log's entries"),
    CommandSpec::new("len", 2, len)
        .flags(ADMIN | LOADING | STALE)
        .doc("server", "2.2.12", "Get the slow log's length"),
    CommandSpec::new("reset", 2, reset)
        .flags(ADMIN | LOADING | STALE)
        .doc("server", "2.2.12", "Clear all entries from the slow log"),
    CommandSpec::new("help", 2, help)
        .flags(LOADING | STALE)
        .doc(
            "server",
            "6.2.0",
            "Show helpful text about the different subcommands",
        ),
];

/// Entries returned by SLOWLOG GET without a count.
const DEFAULT_GET: usize = 10;

fn get(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    if a.len() > 3 {
        return args::subcommand_error(&a[1], "SLOWLOG");
    }
    let count = match a.get(2) {
        None => DEFAULT_GET,
        Some(arg) => match parse_i64(arg) {
            Some(-1) => usize::MAX,
            Some(n) if n >= 0 => n as usize,
            _ => return Reply::err("ERR count should be greater than or equal to -1"),
        },
    };
    Reply::Array(
        ctx.srv
            .slowlog
            .entries
            .iter()
            .take(count)
            .map(|e| {
                Reply::Array(vec![
                    Reply::Int(e.id as i64),
                    Reply::Int(e.time),
                    Reply::Int(e.duration_us as i64),
                    Reply::Array(e.args.iter().map(|x| Reply::Bulk(x.clone())).collect()),
                    Reply::text(e.addr.clone()),
                    Reply::Bulk(e.name.clone()),
                ])
            })
            .collect(),
    )
}

fn len(ctx: &mut Ctx, _a: &[Bytes]) -> Reply {
    Reply::Int(ctx.srv.slowlog.entries.len() as i64)
}

fn reset(ctx: &mut Ctx, _a: &[Bytes]) -> Reply {
    ctx.srv.slowlog.entries.clear();
    Reply::Ok
}

fn help(_ctx: &mut Ctx, _a: &[Bytes]) -> Reply {
    args::help(
        "SLOWLOG",
        &[
            "GET [<count>]",
            "    Return the newest <count> entries of the slow log (default: 10, -1 for all).",
            "    Each entry holds: id, timestamp, duration in microseconds, arguments,",
            "    client IP and port, client name.",
            "LEN",
            "    Return the number of entries in the slow log.",
            "RESET",
            "    Remove every entry from the slow log.",
        ],
    )
}
