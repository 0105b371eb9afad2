//! From a parsed request to a reply: lookup, arity, auth, ACL, OOM, MULTI queueing, execution,
//! statistics, slow log, MONITOR, and waking clients blocked on keys the command touched.

use bytes::Bytes;

use super::client::{Client, Outbound, Queued};
use super::command::{CommandSpec, flags};
use super::evict::EvictResult;
use super::state::{Ctx, Server, unix_ms};
use super::stats::SlowLogEntry;
use crate::resp::Reply;
use crate::util::clock;

/// Resolves a command (and subcommand) for `args`, or the error Redis gives.
pub fn resolve(srv: &Server, args: &[Bytes]) -> Result<&'static CommandSpec, Reply> {
    let Some(name) = args.first() else {
        return Err(Reply::err("ERR empty command"));
    };
    let Some(spec) = srv.commands.lookup(name) else {
        let mut msg = format!(
            "ERR unknown command '{}', with args beginning with: ",
            sanitize(name, 128)
        );
        for a in args.iter().skip(1) {
            msg.push_str(&format!("'{}' ", sanitize(a, 128)));
        }
        return Err(Reply::err(msg));
    };
    if spec.subcommands.is_empty() {
        if !spec.arity_ok(args.len()) {
            return Err(arity_error(spec.name));
        }
        return Ok(spec);
    }
    if args.len() < 2 {
        // A container whose arity allows it runs alone (COMMAND with no subcommand).
        if spec.arity_ok(args.len()) {
            return Ok(spec);
        }
        return Err(arity_error(spec.name));
    }
    let Some(sub) = spec.subcommand(&args[1]) else {
        return Err(Reply::err(format!(
            "ERR unknown subcommand '{}'. Try {} HELP.",
            sanitize(&args[1], 128),
            spec.name.to_ascii_uppercase()
        )));
    };
    if !sub.arity_ok(args.len()) {
        return Err(arity_error(&format!("{}|{}", spec.name, sub.name)));
    }
    Ok(sub)
}

/// Full name of a command as statistics and errors show it (`client|list`).
pub fn full_name(srv: &Server, spec: &'static CommandSpec) -> &'static str {
    srv.commands.full_name(spec)
}

fn arity_error(name: &str) -> Reply {
    Reply::err(format!(
        "ERR wrong number of arguments for '{name}' command"
    ))
}

/// Renders bytes for an error message (no newlines, bounded length).
pub fn sanitize(b: &[u8], max: usize) -> String {
    let s = String::from_utf8_lossy(&b[..b.len().min(max)]);
    s.chars()
        .map(|c| if c == '\r' || c == '\n' { ' ' } else { c })
        .collect()
}

/// Processes one request from a client and returns the reply to send.
/// `srv.now_ms` must be current: the connection refreshes it once per batch of pipelined requests.
pub fn process(srv: &mut Server, client: &mut Client, args: Vec<Bytes>) -> Reply {
    if is_http_attack(&args) {
        // Like Redis: a browser or HTTP client pointed at us (cross-protocol scripting) gets the
        // connection closed without a reply.
        tracing::warn!(client = %client.addr, "Possible SECURITY ATTACK detected. It looks like somebody is sending POST or Host: commands to Redis. This is likely due to an attacker attempting to use Cross Protocol Scripting to compromise your Redis instance. Connection aborted.");
        client.close_after_reply = true;
        return Reply::None;
    }
    client.last_interaction_ms = srv.now_ms;
    let spec = match resolve(srv, &args) {
        Ok(spec) => spec,
        Err(e) => {
            let known = arity_rejected(srv, &args);
            return reject(srv, client, known, e);
        }
    };
    if srv.acl.auth_required(client.authenticated) && !spec.has(flags::NO_AUTH) {
        return reject(
            srv,
            client,
            Some(spec),
            Reply::err("NOAUTH Authentication required."),
        );
    }
    if let Err(e) = super::acl::enforce(srv, client, spec, &args) {
        return reject(srv, client, Some(spec), e);
    }
    if client.in_pubsub_context() && !spec.has(flags::PUBSUB_CONTEXT) {
        let name = full_name(srv, spec);
        return reject(
            srv,
            client,
            Some(spec),
            Reply::err(format!(
                "ERR Can't execute '{name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"
            )),
        );
    }
    if srv.config.maxmemory > 0 && !client.in_exec && srv.perform_evictions() == EvictResult::Fail {
        const OOM: &str = "OOM command not allowed when used memory > 'maxmemory'.";
        // As in Redis: nothing may be queued while out of memory (the queue itself grows), and
        // EXEC is refused, discarding the transaction, when it holds a memory-using command.
        let queueing =
            client.multi.is_some() && !matches!(spec.name, "exec" | "discard" | "quit" | "reset");
        let exec_denied = is_exec(spec)
            && client.multi.as_ref().is_some_and(|queue| {
                queue
                    .iter()
                    .any(|c| resolve(srv, &c.args).is_ok_and(|s| s.has(flags::DENYOOM)))
            });
        if exec_denied {
            client.multi = None;
            client.multi_error = false;
            super::commands::multi::unwatch_all(srv, client);
            let err = Reply::err(format!("EXECABORT Transaction discarded because of: {OOM}"));
            return reject(srv, client, Some(spec), err);
        }
        if spec.has(flags::DENYOOM) || queueing {
            return reject(srv, client, Some(spec), Reply::err(OOM));
        }
    }
    if let Some(e) = super::persistence::rdb::save::refusal(srv, client, spec) {
        return reject(srv, client, Some(spec), e);
    }
    if let Some(e) = super::replication::gate::check(srv, client, spec) {
        return reject(srv, client, Some(spec), e);
    }
    if client.multi.is_some() && !spec.has(flags::MULTI_CONTROL) {
        if spec.has(flags::NO_MULTI) {
            return reject(
                srv,
                client,
                Some(spec),
                Reply::err("ERR Command not allowed inside a transaction"),
            );
        }
        if let Some(q) = client.multi.as_mut() {
            q.push(Queued { args });
        }
        return Reply::Status("QUEUED".into());
    }
    let reply = call(srv, client, spec, &args);
    if let Some(state) = client.block_request.take() {
        for key in &state.keys {
            srv.blocking
                .waiters
                .entry((state.db, key.clone()))
                .or_default()
                .push_back(client.id());
        }
        client.blocked = Some(state);
    }
    if !srv.blocking.ready.is_empty() {
        serve_blocked(srv);
    }
    reply
}

/// The command a resolution error still belongs to: an arity error counts as a rejected call
/// of that command in INFO commandstats, as in Redis; unknown (sub)commands belong to none.
fn arity_rejected(srv: &Server, args: &[Bytes]) -> Option<&'static CommandSpec> {
    let parent = srv.commands.lookup(args.first()?)?;
    if parent.subcommands.is_empty() || args.len() < 2 {
        return Some(parent);
    }
    parent.subcommand(&args[1])
}

/// `POST` and `Host:` as a command name mean an HTTP request reached the Redis port.
fn is_http_attack(args: &[Bytes]) -> bool {
    args.first()
        .is_some_and(|n| n.eq_ignore_ascii_case(b"post") || n.eq_ignore_ascii_case(b"host:"))
}

fn is_exec(spec: &CommandSpec) -> bool {
    spec.name == "exec"
}

/// Counts a refused command and, inside MULTI, poisons the transaction.
fn reject(
    srv: &mut Server,
    client: &mut Client,
    spec: Option<&'static CommandSpec>,
    err: Reply,
) -> Reply {
    if client.multi.is_some() && !spec.is_some_and(|s| s.name == "exec" || s.name == "discard") {
        client.multi_error = true;
    }
    if let Some(spec) = spec {
        let name = full_name(srv, spec);
        srv.stats.command_stat(name).rejected_calls += 1;
    }
    if let Reply::Error(text) = &err {
        srv.stats.count_error(text);
    }
    err
}

/// Executes a resolved command: the core of both direct calls and EXEC.
pub fn call(
    srv: &mut Server,
    client: &mut Client,
    spec: &'static CommandSpec,
    args: &[Bytes],
) -> Reply {
    let start = clock::ticks();
    super::replication::propagate::begin_call(srv);
    let reply = {
        let mut ctx = Ctx { srv, client };
        (spec.func)(&mut ctx, args)
    };
    super::replication::propagate::end_call(srv, client, spec, args);
    let elapsed_ns = clock::elapsed_ns(start, clock::ticks());
    let elapsed = elapsed_ns / 1000;
    client.commands_run += 1;
    srv.stats.total_commands_processed += 1;
    let name = full_name(srv, spec);
    client.last_cmd.clear();
    client.last_cmd.push_str(name);
    let failed = if let Reply::Error(text) = &reply {
        srv.stats.count_error(text);
        true
    } else {
        false
    };
    let stat = srv.stats.command_stat(name);
    // As in Redis, a command that blocks counts as one call when it is served or unblocked.
    if client.block_request.is_none() {
        stat.calls += 1;
    }
    stat.usec += elapsed;
    if failed {
        stat.failed_calls += 1;
    }
    if srv.config.latency_tracking {
        stat.histogram.record(elapsed_ns);
    }
    if client.blocked.is_none() {
        let event = if spec.has(flags::FAST) {
            "fast-command"
        } else {
            "command"
        };
        let threshold = srv.config.latency_monitor_threshold;
        srv.latency
            .add_if_needed(threshold, event, srv.now_ms / 1000, elapsed / 1000);
    }
    // A command that just blocked is logged once it is served (re-run with `blocked` set).
    if !spec.has(flags::SKIP_SLOWLOG) && client.block_request.is_none() {
        let threshold = srv.config.slowlog_log_slower_than;
        if threshold >= 0 && elapsed as i64 >= threshold {
            let entry = SlowLogEntry {
                id: 0,
                time: srv.now_ms / 1000,
                duration_us: elapsed,
                args: redacted(spec, args),
                addr: client.addr.clone(),
                name: client.name.clone().unwrap_or_default(),
            };
            let max = srv.config.slowlog_max_len as usize;
            srv.slowlog.record(threshold, max, entry);
        }
    }
    if !srv.monitors.is_empty() && !spec.has(flags::SKIP_MONITOR) && !spec.has(flags::ADMIN) {
        feed_monitors(srv, client, &redacted(spec, args));
    }
    reply
}

/// The arguments as MONITOR and the slow log may show them: passwords replaced by
/// `(redacted)`, as Redis does for AUTH, HELLO ... AUTH and MIGRATE ... AUTH/AUTH2.
pub fn redacted(spec: &CommandSpec, args: &[Bytes]) -> Vec<Bytes> {
    const HIDDEN: &[u8] = b"(redacted)";
    let mut out = args.to_vec();
    match spec.name {
        "auth" => out
            .iter_mut()
            .skip(1)
            .for_each(|a| *a = Bytes::from_static(HIDDEN)),
        "hello" | "migrate" => {
            let mut i = 1;
            while i < out.len() {
                let hide = if out[i].eq_ignore_ascii_case(b"auth") {
                    if spec.name == "hello" { 2 } else { 1 }
                } else if spec.name == "migrate" && out[i].eq_ignore_ascii_case(b"auth2") {
                    2
                } else {
                    0
                };
                for a in out.iter_mut().skip(i + 1).take(hide) {
                    *a = Bytes::from_static(HIDDEN);
                }
                i += 1 + hide;
            }
        }
        _ => {}
    }
    out
}

fn feed_monitors(srv: &mut Server, client: &Client, args: &[Bytes]) {
    let now = super::state::unix_us();
    let mut line = format!(
        "{}.{:06} [{} {}]",
        now / 1_000_000,
        now % 1_000_000,
        client.db,
        client.addr
    );
    for a in args {
        line.push(' ');
        line.push_str(&quote_repr(a));
    }
    srv.monitors.retain(|m| m.send(Reply::Status(line.clone())));
}

/// Quotes bytes the way Redis's `sdscatrepr` does (MONITOR, CLIENT LIST, DEBUG output).
pub fn quote_repr(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len() + 2);
    s.push('"');
    for &c in b {
        match c {
            b'\\' => s.push_str("\\\\"),
            b'"' => s.push_str("\\\""),
            b'\n' => s.push_str("\\n"),
            b'\r' => s.push_str("\\r"),
            b'\t' => s.push_str("\\t"),
            7 => s.push_str("\\a"),
            8 => s.push_str("\\b"),
            c if c.is_ascii_graphic() || c == b' ' => s.push(c as char),
            c => s.push_str(&format!("\\x{c:02x}")),
        }
    }
    s.push('"');
    s
}

/// Counts the call of a blocked command that ends without running again (timeout, CLIENT
/// UNBLOCK), and its failure when it answers an error.
pub fn count_unblocked_call(srv: &mut Server, args: &[Bytes], answer: &Reply) {
    let Ok(spec) = resolve(srv, args) else {
        return;
    };
    let name = full_name(srv, spec);
    let failed = matches!(answer, Reply::Error(_));
    let stat = srv.stats.command_stat(name);
    stat.calls += 1;
    if failed {
        stat.failed_calls += 1;
    }
}

/// Removes a blocked client from the wait queues of its keys.
pub fn unblock(srv: &mut Server, client: &mut Client) {
    let Some(state) = client.blocked.take() else {
        return;
    };
    let id = client.id();
    for key in state.keys {
        let k = (state.db, key);
        if let Some(q) = srv.blocking.waiters.get_mut(&k) {
            q.retain(|c| *c != id);
            if q.is_empty() {
                srv.blocking.waiters.remove(&k);
            }
        }
    }
}

/// Re-runs the commands of clients blocked on keys that changed, oldest waiter first.
pub fn serve_blocked(srv: &mut Server) {
    let mut rounds = 0;
    while !srv.blocking.ready.is_empty() && rounds < 1_000_000 {
        rounds += 1;
        let ready = std::mem::take(&mut srv.blocking.ready);
        for key in ready {
            let Some(queue) = srv.blocking.waiters.get(&key) else {
                continue;
            };
            let ids: Vec<_> = queue.iter().copied().collect();
            for id in ids {
                let Some(entry) = srv.clients.by_id.get(&id).cloned() else {
                    continue;
                };
                let Ok(mut c) = entry.client.try_borrow_mut() else {
                    continue;
                };
                let Some(state) = c.blocked.clone() else {
                    continue;
                };
                let Ok(spec) = resolve(srv, &state.args) else {
                    continue;
                };
                srv.now_ms = unix_ms();
                let reply = call(srv, &mut c, spec, &state.args);
                if let Some(again) = c.block_request.take() {
                    // Still waiting; the command may have refreshed what a timeout answers
                    // (WAIT reports the replicas that acknowledged so far).
                    if let Some(b) = c.blocked.as_mut() {
                        b.timeout_reply = again.timeout_reply;
                    }
                    continue;
                }
                unblock(srv, &mut c);
                let _ = entry.shared.tx.send(Outbound::Unblocked(reply));
            }
        }
    }
}
