//! The CLIENT command: connection introspection (ID, INFO, LIST, GETNAME), naming (SETNAME,
//! SETINFO), control of other connections (KILL, UNBLOCK, PAUSE/UNPAUSE) and of this one
//! (REPLY, NO-EVICT). Client-side caching (TRACKING) is not supported.

use bytes::Bytes;

use super::acl::{help_reply, subcommand_syntax_error};
use super::args;
use crate::resp::Reply;
use crate::server::client::{Client, ClientKind, Outbound, ReplyMode};
use crate::server::command::{CommandSpec, acl, flags::*};
use crate::server::dispatch;
use crate::server::state::{Ctx, Pause, Server, unix_ms};

/// The CLIENT container.
pub static COMMANDS: &[CommandSpec] = &[container(SUBCOMMANDS)];

/// The sentinel's CLIENT container (see [`SENTINEL_SUBCOMMANDS`]).
pub static SENTINEL_COMMANDS: &[CommandSpec] = &[container(SENTINEL_SUBCOMMANDS)];

const fn container(subcommands: &'static [CommandSpec]) -> CommandSpec {
    CommandSpec::container("client", subcommands).doc(
        "connection",
        "2.4.0",
        "A container for client connection commands.",
    )
}

const CONN: u32 = NOSCRIPT | LOADING | STALE;
const ADM: u32 = ADMIN | NOSCRIPT | LOADING | STALE;

const SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new("caching", 3, caching)
        .flags(CONN)
        .acl(acl::CONNECTION)
        .doc("connection", "6.0.0", "Instructs the server whether to track the keys in the next request."),
    CommandSpec::new("getname", 2, getname)
        .flags(CONN)
        .acl(acl::CONNECTION)
        .doc("connection", "2.6.9", "Returns the name of the connection."),
    CommandSpec::new("getredir", 2, getredir)
        .flags(CONN)
        .acl(acl::CONNECTION)
        .doc("connection", "6.0.0", "Returns the client ID to which the connection's tracking notifications are redirected."),
    CommandSpec::new("id", 2, id)
        .flags(CONN)
        .acl(acl::CONNECTION)
        .doc("connection", "5.0.0", "Returns the unique client ID of the connection."),
    CommandSpec::new("info", 2, info)
        .flags(CONN)
        .acl(acl::CONNECTION)
        .doc("connection", "6.2.0", "Returns information about the connection."),
    CommandSpec::new("kill", -3, kill)
        .flags(ADM)
        .acl(acl::CONNECTION)
        .doc("connection", "2.4.0", "Terminates open connections."),
    CommandSpec::new("list", -2, list)
        .flags(ADM)
        .acl(acl::CONNECTION)
        .doc("connection", "2.4.0", "Lists open connections."),
    CommandSpec::new("no-evict", 3, no_evict)
        .flags(ADM)
        .acl(acl::CONNECTION)
        .doc("connection", "7.0.0", "Sets the client eviction mode of the connection."),
    CommandSpec::new("pause", -3, pause)
        .flags(ADM)
        .acl(acl::CONNECTION)
        .doc("connection", "3.0.0", "Suspends commands processing."),
    CommandSpec::new("reply", 3, reply)
        .flags(CONN)
        .acl(acl::CONNECTION)
        .doc("connection", "3.2.0", "Instructs the server whether to reply to commands."),
    CommandSpec::new("setname", 3, setname)
        .flags(CONN)
        .acl(acl::CONNECTION)
        .doc("connection", "2.6.9", "Sets the connection name."),
    CommandSpec::new("tracking", -3, tracking)
        .flags(CONN)
        .acl(acl::CONNECTION)
        .doc("connection", "6.0.0", "Controls server-assisted client-side caching for the connection."),
    CommandSpec::new("trackinginfo", 2, trackinginfo)
        .flags(CONN)
        .acl(acl::CONNECTION)
        .doc("connection", "6.2.0", "Returns information about server-assisted client-side caching for the connection."),
    CommandSpec::new("unblock", -3, unblock)
        .flags(ADM)
        .acl(acl::CONNECTION)
        .doc("connection", "5.0.0", "Unblocks a client blocked by a blocking command from a different connection."),
    CommandSpec::new("unpause", 2, unpause)
        .flags(ADM)
        .acl(acl::CONNECTION)
        .doc("connection", "6.2.0", "Resumes processing commands from paused clients."),
    CommandSpec::new("help", 2, help)
        .flags(LOADING | STALE)
        .acl(acl::CONNECTION)
        .doc("connection", "5.0.0", "Returns helpful text about the different subcommands."),
    // Keep last: see SENTINEL_SUBCOMMANDS.
    CommandSpec::new("setinfo", 4, setinfo)
        .flags(CONN)
        .acl(acl::CONNECTION)
        .doc("connection", "7.2.0", "Sets information specific to the client or connection."),
];

/// The CLIENT subcommands a sentinel serves: all but SETINFO, which Redis 7.0 (sentinel
/// included) does not have; the data node keeps it for clients that send it at connect time.
static SENTINEL_SUBCOMMANDS: &[CommandSpec] = SUBCOMMANDS.split_at(SUBCOMMANDS.len() - 1).0;

/// CLIENT LIST / KILL TYPE classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Normal,
    Replica,
    Pubsub,
    Master,
}

fn kind_by_name(name: &[u8]) -> Option<Kind> {
    match args::lower(name).as_str() {
        "normal" => Some(Kind::Normal),
        "slave" | "replica" => Some(Kind::Replica),
        "pubsub" => Some(Kind::Pubsub),
        "master" => Some(Kind::Master),
        _ => None,
    }
}

/// Redis's client type: MONITOR clients count as normal.
fn kind_of(c: &Client) -> Kind {
    match c.kind {
        ClientKind::Master => Kind::Master,
        ClientKind::Replica => Kind::Replica,
        ClientKind::Normal if c.subscription_count() > 0 => Kind::Pubsub,
        ClientKind::Normal => Kind::Normal,
    }
}

fn flags_of(c: &Client) -> String {
    let mut f = String::new();
    if c.monitor {
        f.push('O');
    } else if c.kind == ClientKind::Replica {
        f.push('S');
    }
    if c.kind == ClientKind::Master {
        f.push('M');
    }
    if c.subscription_count() > 0 {
        f.push('P');
    }
    if c.multi.is_some() {
        f.push('x');
    }
    if c.blocked.is_some() {
        f.push('b');
    }
    if c.shared.dirty_cas.get() && !c.watched.is_empty() {
        f.push('d');
    }
    if c.close_after_reply {
        f.push('c');
    }
    if c.no_evict {
        f.push('e');
    }
    if f.is_empty() {
        f.push('N');
    }
    f
}

/// Read buffer size reported as `rbs`/`rbp` (the connection reads in 16 KiB chunks).
const READ_BUFFER: usize = 16 * 1024;

/// One CLIENT LIST line (no trailing newline), fields in Redis 7.0's order. `cmd` overrides the
/// last command name and `argv` is the command being run, for the calling client.
pub fn info_line(srv: &Server, c: &Client, cmd: Option<&str>, argv: &[Bytes]) -> String {
    let now = srv.now_ms.max(c.created_ms);
    let argv_mem: usize = argv.iter().map(|a| a.len()).sum();
    let (multi, multi_mem) = match &c.multi {
        Some(q) => (
            q.len() as i64,
            q.iter()
                .map(|x| x.args.iter().map(|a| a.len()).sum::<usize>())
                .sum::<usize>(),
        ),
        None => (-1, 0),
    };
    let qbuf = c.qbuf;
    let qbuf_free = if qbuf > 0 {
        READ_BUFFER.saturating_sub(qbuf)
    } else {
        0
    };
    let tot_mem = 1024 + READ_BUFFER + qbuf + qbuf_free + argv_mem + multi_mem + c.omem;
    let name = c
        .name
        .as_ref()
        .map(|n| String::from_utf8_lossy(n).into_owned())
        .unwrap_or_default();
    let events = if c.omem > 0 { "rw" } else { "r" };
    format!(
        "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub={} psub={} ssub=0 multi={} qbuf={} qbuf-free={} argv-mem={} multi-mem={} rbs={} rbp={} obl=0 oll=0 omem={} tot-mem={} events={} cmd={} user={} redir=-1 resp={}",
        c.id(),
        c.addr,
        c.laddr,
        c.fd,
        name,
        (now - c.created_ms) / 1000,
        (now - c.last_interaction_ms).max(0) / 1000,
        flags_of(c),
        c.db,
        c.channels.len(),
        c.patterns.len(),
        multi,
        qbuf,
        qbuf_free,
        argv_mem,
        multi_mem,
        READ_BUFFER,
        READ_BUFFER,
        c.omem,
        tot_mem,
        events,
        cmd.unwrap_or(&c.last_cmd),
        c.user,
        c.resp()
    )
}

/// Calls `f` for every client in connection order; the calling client (borrowed by its own
/// connection) is taken from `ctx`.
fn for_each_client(ctx: &Ctx, mut f: impl FnMut(&Client, bool)) {
    let me = ctx.client.id();
    for entry in ctx.srv.clients.by_id.values() {
        if entry.shared.id == me {
            f(ctx.client, true);
        } else if let Ok(c) = entry.client.try_borrow() {
            f(&c, false);
        }
    }
}

fn line_for(ctx: &Ctx, c: &Client, is_me: bool, a: &[Bytes]) -> String {
    if is_me {
        let name = format!("client|{}", args::lower(&a[1]));
        info_line(ctx.srv, c, Some(&name), a)
    } else {
        info_line(ctx.srv, c, None, &[])
    }
}

fn id(ctx: &mut Ctx, _a: &[Bytes]) -> Reply {
    Reply::Int(ctx.client.id() as i64)
}

fn info(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let mut s = line_for(ctx, ctx.client, true, a);
    s.push('\n');
    Reply::Verbatim(s)
}

fn list(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let mut out = String::new();
    if a.len() == 4 && args::is(&a[2], "type") {
        let Some(kind) = kind_by_name(&a[3]) else {
            return Reply::err(format!(
                "ERR Unknown client type '{}'",
                String::from_utf8_lossy(&a[3])
            ));
        };
        for_each_client(ctx, |c, me| {
            if kind_of(c) == kind {
                out.push_str(&line_for(ctx, c, me, a));
                out.push('\n');
            }
        });
    } else if a.len() > 3 && args::is(&a[2], "id") {
        let mut ids = Vec::new();
        for arg in &a[3..] {
            match crate::util::num::parse_i64(arg) {
                Some(v) => ids.push(v),
                None => return Reply::err("ERR Invalid client ID"),
            }
        }
        for want in ids {
            for_each_client(ctx, |c, me| {
                if c.id() as i64 == want {
                    out.push_str(&line_for(ctx, c, me, a));
                    out.push('\n');
                }
            });
        }
    } else if a.len() != 2 {
        return args::syntax_error();
    } else {
        for_each_client(ctx, |c, me| {
            out.push_str(&line_for(ctx, c, me, a));
            out.push('\n');
        });
    }
    Reply::Verbatim(out)
}

/// Whether a client name (or SETINFO value) has only printable non-space ASCII.
fn valid_name(name: &[u8]) -> bool {
    name.iter().all(|&c| (b'!'..=b'~').contains(&c))
}

fn setname(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    if !valid_name(&a[2]) {
        return Reply::err(
            "ERR Client names cannot contain spaces, newlines or special characters.",
        );
    }
    ctx.client.name = if a[2].is_empty() {
        None
    } else {
        Some(args::own(&a[2]))
    };
    Reply::Ok
}

fn getname(ctx: &mut Ctx, _a: &[Bytes]) -> Reply {
    match &ctx.client.name {
        Some(n) => Reply::Bulk(n.clone()),
        None => Reply::Null,
    }
}

fn setinfo(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let attr = String::from_utf8_lossy(&a[2]).into_owned();
    let lib_name = attr.eq_ignore_ascii_case("lib-name");
    if !lib_name && !attr.eq_ignore_ascii_case("lib-ver") {
        return Reply::err(format!("ERR Unrecognized option '{attr}'"));
    }
    if !valid_name(&a[3]) {
        return Reply::err(format!(
            "ERR {attr} cannot contain spaces, newlines or special characters."
        ));
    }
    let value = (!a[3].is_empty()).then(|| args::own(&a[3]));
    if lib_name {
        ctx.client.lib_name = value;
    } else {
        ctx.client.lib_ver = value;
    }
    Reply::Ok
}

struct KillFilter {
    addr: Option<Vec<u8>>,
    laddr: Option<Vec<u8>>,
    kind: Option<Kind>,
    id: Option<u64>,
    user: Option<String>,
    skipme: bool,
    max_age_secs: Option<i64>,
}

fn parse_kill(ctx: &Ctx, a: &[Bytes]) -> Result<KillFilter, Reply> {
    let mut f = KillFilter {
        addr: None,
        laddr: None,
        kind: None,
        id: None,
        user: None,
        skipme: true,
        max_age_secs: None,
    };
    if a.len() == 3 {
        f.addr = Some(a[2].to_vec());
        f.skipme = false;
        return Ok(f);
    }
    let mut i = 2;
    while i < a.len() {
        let Some(value) = a.get(i + 1) else {
            return Err(args::syntax_error());
        };
        match args::lower(&a[i]).as_str() {
            "id" => match crate::util::num::parse_i64(value) {
                Some(v) if v >= 1 => f.id = Some(v as u64),
                _ => return Err(Reply::err("ERR client-id should be greater than 0")),
            },
            "type" => match kind_by_name(value) {
                Some(k) => f.kind = Some(k),
                None => {
                    return Err(Reply::err(format!(
                        "ERR Unknown client type '{}'",
                        String::from_utf8_lossy(value)
                    )));
                }
            },
            "addr" => f.addr = Some(value.to_vec()),
            "laddr" => f.laddr = Some(value.to_vec()),
            "user" => {
                let name = String::from_utf8_lossy(value).into_owned();
                if !ctx.srv.acl.users.contains_key(&name) {
                    return Err(Reply::err(format!("ERR No such user '{name}'")));
                }
                f.user = Some(name);
            }
            "skipme" => {
                if args::is(value, "yes") {
                    f.skipme = true;
                } else if args::is(value, "no") {
                    f.skipme = false;
                } else {
                    return Err(args::syntax_error());
                }
            }
            "maxage" => match crate::util::num::parse_i64(value) {
                Some(v) if v >= 1 => f.max_age_secs = Some(v),
                _ => return Err(Reply::err("ERR maxage should be greater than 0")),
            },
            _ => return Err(args::syntax_error()),
        }
        i += 2;
    }
    Ok(f)
}

fn kill_matches(f: &KillFilter, c: &Client, is_me: bool, now_ms: i64) -> bool {
    if f.addr.as_ref().is_some_and(|x| x != c.addr.as_bytes()) {
        return false;
    }
    if f.laddr.as_ref().is_some_and(|x| x != c.laddr.as_bytes()) {
        return false;
    }
    if f.kind.is_some_and(|k| k != kind_of(c)) {
        return false;
    }
    if f.id.is_some_and(|id| id != c.id()) {
        return false;
    }
    if f.user.as_ref().is_some_and(|u| *u != c.user) {
        return false;
    }
    if f.max_age_secs
        .is_some_and(|m| (now_ms - c.created_ms) / 1000 < m)
    {
        return false;
    }
    !(is_me && f.skipme)
}

fn kill(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let filter = match parse_kill(ctx, a) {
        Ok(f) => f,
        Err(e) => return e,
    };
    let now = ctx.srv.now_ms;
    let me = ctx.client.id();
    let mut killed = 0;
    let mut kill_me = false;
    for entry in ctx.srv.clients.by_id.values() {
        if entry.shared.id == me {
            if kill_matches(&filter, ctx.client, true, now) {
                kill_me = true;
                killed += 1;
            }
            continue;
        }
        let Ok(mut c) = entry.client.try_borrow_mut() else {
            continue;
        };
        if kill_matches(&filter, &c, false, now) {
            c.close_after_reply = true;
            let _ = entry.shared.tx.send(Outbound::Kill);
            killed += 1;
        }
    }
    if kill_me {
        ctx.client.close_after_reply = true;
    }
    if a.len() == 3 {
        if killed == 0 {
            Reply::err("ERR No such client")
        } else {
            Reply::Ok
        }
    } else {
        Reply::Int(killed)
    }
}

fn pause(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    if a.len() > 4 {
        return subcommand_syntax_error(a);
    }
    let mut write_only = false;
    if let Some(mode) = a.get(3) {
        if args::is(mode, "write") {
            write_only = true;
        } else if !args::is(mode, "all") {
            return Reply::err("ERR CLIENT PAUSE mode must be WRITE or ALL");
        }
    }
    let Some(ms) = crate::util::num::parse_i64(&a[2]) else {
        return Reply::err("ERR timeout is not an integer or out of range");
    };
    if ms < 0 {
        return Reply::err("ERR timeout is negative");
    }
    let now = unix_ms();
    let Some(until) = now.checked_add(ms) else {
        return Reply::err("ERR timeout is out of range");
    };
    let old = ctx.srv.pause;
    ctx.srv.pause = if old.until_ms > now {
        // A pause in effect is only extended: the stricter mode and the later end win.
        Pause {
            until_ms: old.until_ms.max(until),
            write_only: old.write_only && write_only,
        }
    } else {
        Pause {
            until_ms: until,
            write_only,
        }
    };
    Reply::Ok
}

fn unpause(ctx: &mut Ctx, _a: &[Bytes]) -> Reply {
    ctx.srv.pause = Pause::default();
    // Held connections sleep until the old pause deadline: an empty push wakes them now.
    for entry in ctx.srv.clients.by_id.values() {
        if entry.shared.id != ctx.client.id() {
            let _ = entry.shared.tx.send(Outbound::Send(Reply::None));
        }
    }
    Reply::Ok
}

fn no_evict(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    if args::is(&a[2], "on") {
        ctx.client.no_evict = true;
    } else if args::is(&a[2], "off") {
        ctx.client.no_evict = false;
    } else {
        return args::syntax_error();
    }
    Reply::Ok
}

fn reply(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    if args::is(&a[2], "on") {
        ctx.client.reply_mode = ReplyMode::On;
        Reply::Ok
    } else if args::is(&a[2], "off") {
        ctx.client.reply_mode = ReplyMode::Off;
        Reply::None
    } else if args::is(&a[2], "skip") {
        if ctx.client.reply_mode != ReplyMode::Off {
            ctx.client.reply_mode = ReplyMode::Skip;
        }
        Reply::None
    } else {
        args::syntax_error()
    }
}

fn unblock(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    if a.len() > 4 {
        return subcommand_syntax_error(a);
    }
    let mut as_error = false;
    if let Some(reason) = a.get(3) {
        if args::is(reason, "error") {
            as_error = true;
        } else if !args::is(reason, "timeout") {
            return Reply::err("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
        }
    }
    let target = match args::int(&a[2]) {
        Ok(v) => v,
        Err(e) => return e,
    };
    if target < 0 || target as u64 == ctx.client.id() {
        return Reply::Int(0);
    }
    let Some(entry) = ctx.srv.clients.by_id.get(&(target as u64)).cloned() else {
        return Reply::Int(0);
    };
    let Ok(mut c) = entry.client.try_borrow_mut() else {
        return Reply::Int(0);
    };
    let Some(state) = c.blocked.clone() else {
        return Reply::Int(0);
    };
    dispatch::unblock(ctx.srv, &mut c);
    let answer = if as_error {
        Reply::err("UNBLOCKED client unblocked via CLIENT UNBLOCK")
    } else {
        state.timeout_reply
    };
    if let Reply::Error(text) = &answer {
        ctx.srv.stats.count_error(text);
    }
    dispatch::count_unblocked_call(ctx.srv, &state.args, &answer);
    let _ = entry.shared.tx.send(Outbound::Unblocked(answer));
    Reply::Int(1)
}

fn tracking(_ctx: &mut Ctx, _a: &[Bytes]) -> Reply {
    Reply::err("ERR CLIENT TRACKING is not supported by this server")
}

fn caching(_ctx: &mut Ctx, _a: &[Bytes]) -> Reply {
    Reply::err(
        "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled",
    )
}

fn getredir(_ctx: &mut Ctx, _a: &[Bytes]) -> Reply {
    Reply::Int(-1)
}

fn trackinginfo(_ctx: &mut Ctx, _a: &[Bytes]) -> Reply {
    Reply::Map(vec![
        (Reply::text("flags"), Reply::Set(vec![Reply::text("off")])),
        (Reply::text("redirect"), Reply::Int(-1)),
        (Reply::text("prefixes"), Reply::Array(vec![])),
    ])
}

fn help(_ctx: &mut Ctx, _a: &[Bytes]) -> Reply {
    help_reply(
        "CLIENT",
        &[
            "CACHING (YES|NO)",
            "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
            "GETREDIR",
            "    Return the client ID we are redirecting to when tracking is enabled.",
            "GETNAME",
            "    Return the name of the current connection.",
            "ID",
            "    Return the ID of the current connection.",
            "INFO",
            "    Return information about the current client connection.",
            "KILL <ip:port>",
            "    Kill connection made from <ip:port>.",
            "KILL <option> <value> [<option> <value> [...]]",
            "    Kill connections. Options are:",
            "    * ADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made from the specified address",
            "    * LADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made to specified local address",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Kill connections by type.",
            "    * USER <username>",
            "      Kill connections authenticated by <username>.",
            "    * SKIPME (YES|NO)",
            "      Skip killing current connection (default: yes).",
            "LIST [options ...]",
            "    Return information about client connections. Options:",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Return clients of specified type.",
            "UNPAUSE",
            "    Stop the current client pause, resuming traffic.",
            "PAUSE <timeout> [WRITE|ALL]",
            "    Suspend all, or just write, clients for <timeout> milliseconds.",
            "REPLY (ON|OFF|SKIP)",
            "    Control the replies sent to the current connection.",
            "SETNAME <name>",
            "    Assign the name <name> to the current connection.",
            "UNBLOCK <clientid> [TIMEOUT|ERROR]",
            "    Unblock the specified blocked client.",
            "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
            "         [OPTIN] [OPTOUT] [NOLOOP]",
            "    Control server assisted client side caching.",
            "TRACKINGINFO",
            "    Report tracking status for the current connection.",
            "NO-EVICT (ON|OFF)",
            "    Protect current client connection from eviction.",
        ],
    )
}
