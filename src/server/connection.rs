//! One task per client connection: read, parse, dispatch, encode, write.
//!
//! Everything runs on one thread, so a command borrows the server exclusively for its duration
//! and never across an await point; pipelined requests are executed back to back and their
//! replies written with a single syscall.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

use super::client::{Client, ClientKind, ClientShared, Outbound, ReplyMode};
use super::dispatch;
use super::state::{Server, unix_ms};
use crate::resp::{Limits, Reply, RequestParser, encode};

/// Shared handle to the single-threaded server state.
pub type SharedServer = Rc<RefCell<Server>>;

const READ_CHUNK: usize = 16 * 1024;

/// Why a connection loop ended.
enum Step {
    Continue,
    Close,
}

/// Serves one client until it disconnects or is killed.
pub async fn serve(server: SharedServer, stream: TcpStream) {
    let peer = stream
        .peer_addr()
        .map(|a| a.to_string())
        .unwrap_or_else(|_| "?:0".into());
    let local = stream
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_else(|_| "?:0".into());
    let fd = {
        use std::os::fd::AsRawFd;
        stream.as_raw_fd() as i64
    };
    let _ = stream.set_nodelay(true);
    let (tx, mut rx) = mpsc::unbounded_channel();
    let (client, shared) = {
        let mut srv = server.borrow_mut();
        let keepalive = srv.config.tcp_keepalive;
        if keepalive > 0 {
            let sock = socket2::SockRef::from(&stream);
            let ka = socket2::TcpKeepalive::new().with_time(Duration::from_secs(keepalive as u64));
            let _ = sock.set_tcp_keepalive(&ka);
        }
        let id = srv.clients.next_id();
        srv.stats.total_connections_received += 1;
        let shared = Rc::new(ClientShared {
            id,
            tx,
            resp: Cell::new(2),
            queued_bytes: Cell::new(0),
            dirty_cas: Cell::new(false),
        });
        let mut c = Client::new(shared.clone(), peer, local, fd, unix_ms());
        c.authenticated = srv.acl.default_needs_no_auth();
        let client = Rc::new(RefCell::new(c));
        srv.clients.add(client.clone(), shared.clone());
        (client, shared)
    };
    let (mut rd, mut wr) = stream.into_split();
    let mut inbuf = BytesMut::with_capacity(READ_CHUNK);
    let mut out: Vec<u8> = Vec::with_capacity(READ_CHUNK);
    let mut parser = RequestParser::new();
    let mut closing = false;
    let mut held: Option<Vec<bytes::Bytes>> = None;

    'conn: loop {
        // Run whatever complete requests are buffered (unless blocked).
        if client.borrow().blocked.is_none()
            && let Step::Close = run_buffered(
                &server,
                &client,
                &mut parser,
                &mut inbuf,
                &mut held,
                &mut out,
                &mut rx,
            )
        {
            closing = true;
        }
        if !out.is_empty() {
            // Replies wait until what they acknowledge is written to the AOF (on disk with
            // appendfsync always).
            let gate = super::persistence::aof::reply_gate(&server.borrow());
            if let Some(durable) = gate {
                durable.await;
            }
            if wr.write_all(&out).await.is_err() {
                break 'conn;
            }
            server.borrow_mut().stats.net_output_bytes += out.len() as u64;
            // A big reply buffer is given back once written: it counts as used memory (and
            // toward maxmemory) like Redis's reply list, which is freed as it is sent.
            if out.capacity() > 4 * READ_CHUNK {
                out = Vec::with_capacity(READ_CHUNK);
            } else {
                out.clear();
            }
        }
        if closing {
            break 'conn;
        }
        if client.borrow().kind == ClientKind::Replica {
            // PSYNC/SYNC turned this connection into a replica link.
            super::replication::master::serve_replica(
                server.clone(),
                client.clone(),
                rd,
                wr,
                rx,
                inbuf,
                parser,
            )
            .await;
            let mut srv = server.borrow_mut();
            let mut c = client.borrow_mut();
            disconnect(&mut srv, &mut c);
            return;
        }
        let mut wake_at = client.borrow().blocked.as_ref().and_then(|b| b.deadline_ms);
        if held.is_some() {
            let srv = server.borrow();
            // A FAILOVER or SHUTDOWN pause has no deadline: its end wakes held clients with an
            // empty push.
            let until = if srv.pause.until_ms > unix_ms() || !srv.writes_paused_until_done() {
                srv.pause.until_ms
            } else {
                unix_ms() + 60_000
            };
            wake_at = Some(wake_at.map_or(until, |w| w.min(until)));
        }
        let sleep_for = wake_at.map(|d| Duration::from_millis((d - unix_ms()).max(0) as u64));
        if inbuf.capacity() > 1024 * 1024 && inbuf.len() <= READ_CHUNK {
            // A big argument is done: give its buffer back instead of keeping it for the life
            // of the connection (Redis's clientsCron shrinks query buffers the same way).
            let mut fresh = BytesMut::with_capacity(READ_CHUNK * 2);
            fresh.extend_from_slice(&inbuf);
            inbuf = fresh;
        }
        if inbuf.capacity() - inbuf.len() < 1024 {
            inbuf.reserve(READ_CHUNK);
        }
        tokio::select! {
            biased;
            msg = rx.recv() => {
                match msg {
                    Some(Outbound::Send(reply)) => {
                        let mode = client.borrow().reply_mode;
                        emit_push(mode, &reply, shared.resp.get(), &mut out);
                    }
                    Some(Outbound::Unblocked(reply)) => {
                        let mut c = client.borrow_mut();
                        emit(&mut c, &reply, &mut out, ReplyMode::On);
                    }
                    Some(Outbound::Kill) | None => break 'conn,
                }
                // Drain more queued pushes without waiting, to batch writes.
                while let Ok(msg) = rx.try_recv() {
                    match msg {
                        Outbound::Send(reply) => {
                            let mode = client.borrow().reply_mode;
                            emit_push(mode, &reply, shared.resp.get(), &mut out);
                        }
                        Outbound::Unblocked(reply) => {
                            let mut c = client.borrow_mut();
                            emit(&mut c, &reply, &mut out, ReplyMode::On);
                        }
                        Outbound::Kill => break 'conn,
                    }
                }
                shared.queued_bytes.set(0);
            }
            _ = async {
                match sleep_for {
                    Some(d) => tokio::time::sleep(d).await,
                    None => std::future::pending::<()>().await,
                }
            } => {
                let mut srv = server.borrow_mut();
                let mut c = client.borrow_mut();
                let expired = c.blocked.as_ref().and_then(|b| b.deadline_ms).is_some_and(|d| d <= unix_ms());
                if let (true, Some(state)) = (expired, c.blocked.clone()) {
                    dispatch::unblock(&mut srv, &mut c);
                    dispatch::count_unblocked_call(&mut srv, &state.args, &state.timeout_reply);
                    srv.stats.blocked_timeouts += 1;
                    emit(&mut c, &state.timeout_reply, &mut out, ReplyMode::On);
                }
            }
            n = rd.read_buf(&mut inbuf) => {
                match n {
                    Ok(0) | Err(_) => break 'conn,
                    Ok(n) => {
                        let mut srv = server.borrow_mut();
                        srv.stats.net_input_bytes += n as u64;
                        if inbuf.len() as u64 > srv.config.client_query_buffer_limit {
                            tracing::warn!(client = %client.borrow().addr, "Closing client that reached max query buffer length");
                            break 'conn;
                        }
                    }
                }
            }
        }
    }
    let _ = wr.shutdown().await;
    let mut srv = server.borrow_mut();
    let mut c = client.borrow_mut();
    disconnect(&mut srv, &mut c);
}

/// Appends a reply to the output unless CLIENT REPLY suppresses it (pushes, such as
/// SUBSCRIBE's confirmations, are never suppressed).
fn emit(c: &mut Client, reply: &Reply, out: &mut Vec<u8>, mode_before: ReplyMode) {
    let silenced = match (mode_before, c.reply_mode) {
        // The command after CLIENT REPLY SKIP; CLIENT REPLY ON there is answered.
        (ReplyMode::SkipNext, ReplyMode::SkipNext) => {
            c.reply_mode = ReplyMode::On;
            true
        }
        (_, ReplyMode::Off) => true,
        (_, ReplyMode::Skip) => {
            c.reply_mode = ReplyMode::SkipNext;
            true
        }
        _ => false,
    };
    if !silenced || reply.is_push() {
        encode(reply, c.resp(), out);
    }
}

/// Appends a message queued by another client: pub/sub messages go out whatever CLIENT REPLY
/// says (as in Redis); anything else (MONITOR lines) only while replies are on.
fn emit_push(mode: ReplyMode, reply: &Reply, resp: u8, out: &mut Vec<u8>) {
    if mode != ReplyMode::Off || reply.is_push() {
        encode(reply, resp, out);
    }
}

/// Moves pushes already queued for this client (pub/sub messages, including those its own
/// command just published) into the output; true when the client must be closed.
fn drain_pushes(
    rx: &mut mpsc::UnboundedReceiver<Outbound>,
    c: &mut Client,
    out: &mut Vec<u8>,
) -> bool {
    while let Ok(msg) = rx.try_recv() {
        match msg {
            Outbound::Send(reply) => emit_push(c.reply_mode, &reply, c.resp(), out),
            Outbound::Unblocked(reply) => emit(c, &reply, out, ReplyMode::On),
            Outbound::Kill => return true,
        }
    }
    c.shared.queued_bytes.set(0);
    false
}

fn run_buffered(
    server: &SharedServer,
    client: &Rc<RefCell<Client>>,
    parser: &mut RequestParser,
    inbuf: &mut BytesMut,
    held: &mut Option<Vec<bytes::Bytes>>,
    out: &mut Vec<u8>,
    rx: &mut mpsc::UnboundedReceiver<Outbound>,
) -> Step {
    if inbuf.is_empty() && held.is_none() {
        return Step::Continue;
    }
    let mut srv = server.borrow_mut();
    if srv.shutdown.exit {
        // The final save is done: nothing may change the dataset any more.
        return Step::Close;
    }
    let mut c = client.borrow_mut();
    srv.now_ms = unix_ms();
    let mut limits = Limits {
        max_bulk_len: srv.config.proto_max_bulk_len as usize,
        max_query_buffer: srv.config.client_query_buffer_limit as usize,
        ..Limits::default()
    };
    loop {
        if c.blocked.is_some() {
            break;
        }
        // AUTH earlier in the same pipeline lifts the unauthenticated limits at once.
        limits.unauthenticated = !c.authenticated;
        // As in Redis, CLIENT LIST's `qbuf` counts the command being run with what follows it.
        let unparsed = inbuf.len();
        c.paused = false;
        let next = match held.take() {
            Some(args) => Ok(Some(args)),
            None => parser.parse(inbuf, &limits),
        };
        match next {
            Ok(None) => break,
            Ok(Some(args)) => {
                if args.is_empty() {
                    continue;
                }
                if (srv.pause.until_ms > 0 || srv.writes_paused_until_done())
                    && paused_for(&srv, &c, &args)
                {
                    c.paused = true;
                    *held = Some(args);
                    break;
                }
                c.qbuf = unparsed;
                let mode_before = c.reply_mode;
                let was_in_multi = c.multi.is_some();
                let reply = dispatch::process(&mut srv, &mut c, args);
                // As in Redis, a push the command caused (PUBLISH to itself in RESP3) goes out
                // before its reply; pushes caused inside EXEC follow the EXEC reply, as Redis 7.2
                // does (7.0 wrote them inside the EXEC array, which breaks the protocol).
                let exec_ran = was_in_multi && c.multi.is_none();
                if !exec_ran && drain_pushes(rx, &mut c, out) {
                    return Step::Close;
                }
                if c.blocked.is_none() {
                    emit(&mut c, &reply, out, mode_before);
                }
                if exec_ran && drain_pushes(rx, &mut c, out) {
                    return Step::Close;
                }
                if c.close_after_reply || srv.shutdown.exit {
                    return Step::Close;
                }
                if c.kind == ClientKind::Replica {
                    break;
                }
            }
            Err(e) => {
                tracing::debug!(client = %c.addr, error = %e, "protocol error, closing connection");
                srv.stats.count_error("ERR");
                encode(&Reply::Error(e.reply_text()), c.resp(), out);
                return Step::Close;
            }
        }
    }
    // Between batches only the unparsed rest is held.
    c.qbuf = inbuf.len();
    Step::Continue
}

/// Whether CLIENT PAUSE holds this command back (all commands, or only writes in WRITE mode,
/// EXEC counting as a write when it would run one); a coordinated FAILOVER or a SHUTDOWN
/// waiting for replicas holds writes back until it ends.
fn paused_for(srv: &Server, c: &Client, args: &[bytes::Bytes]) -> bool {
    let client_pause = srv.pause.until_ms > unix_ms();
    if !client_pause && !srv.writes_paused_until_done() {
        return false;
    }
    if client_pause && !srv.pause.write_only {
        return true;
    }
    use super::command::flags;
    let writes = |args: &[bytes::Bytes]| {
        dispatch::resolve(srv, args)
            .is_ok_and(|spec| spec.has(flags::WRITE) || spec.has(flags::MAY_REPLICATE))
    };
    if writes(args) {
        return true;
    }
    match (&c.multi, dispatch::resolve(srv, args)) {
        (Some(queued), Ok(spec)) if spec.name == "exec" => queued.iter().any(|q| writes(&q.args)),
        _ => false,
    }
}

/// Releases everything a departing client held.
pub fn disconnect(srv: &mut Server, c: &mut Client) {
    dispatch::unblock(srv, c);
    let id = c.id();
    for ch in std::mem::take(&mut c.channels) {
        srv.pubsub.unsubscribe(&ch, id);
    }
    for p in std::mem::take(&mut c.patterns) {
        srv.pubsub.punsubscribe(&p, id);
    }
    super::commands::multi::unwatch_all(srv, c);
    srv.monitors.retain(|m| m.id != id);
    srv.pubsub.forget_client(id);
    srv.replication_client_gone(id);
    srv.clients.remove(id);
}
