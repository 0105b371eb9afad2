//! Our link to a master: REPLICAOF/SLAVEOF, the link task (connect, handshake, full or partial
//! resynchronisation, applying the stream with byte-exact offsets, proxying it to our own
//! replicas and backlog, ACKs, timeouts, reconnection) and PSYNC2 history on promotion.

use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};

use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;

use super::backlog::Backlog;
use super::handshake::{self, BulkHeader, MasterConn, Params, Psync};
use super::propagate;
use crate::resp::{Limits, Reply, RequestParser};
use crate::server::client::{Client, ClientId, ClientKind, ClientShared, Outbound};
use crate::server::command::flags;
use crate::server::connection::SharedServer;
use crate::server::dispatch;
use crate::server::state::{Ctx, Server, random_hex40, unix_ms};

/// State of the link (ROLE's replica state).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    /// Must (re)connect.
    Connect,
    /// TCP connection in progress.
    Connecting,
    /// PING / AUTH / REPLCONF / PSYNC exchange.
    Handshake,
    /// Receiving the snapshot.
    Transfer,
    /// Streaming.
    Connected,
}

impl LinkState {
    /// The name ROLE reports.
    pub fn name(self) -> &'static str {
        match self {
            LinkState::Connect => "connect",
            LinkState::Connecting => "connecting",
            LinkState::Handshake => "handshake",
            LinkState::Transfer => "sync",
            LinkState::Connected => "connected",
        }
    }
}

/// Progress of a snapshot transfer (INFO `master_sync_*`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Transfer {
    /// Announced size (-1 for the diskless EOF format until it ends).
    pub size: i64,
    /// Bytes received.
    pub read: i64,
    /// Unix ms of the last byte received.
    pub last_io_ms: i64,
}

/// Our master and the state of the link to it.
#[derive(Debug)]
pub struct MasterLink {
    /// Master host as configured.
    pub host: String,
    /// Master port.
    pub port: u16,
    /// Link state.
    pub state: LinkState,
    /// The link task.
    pub task: Option<tokio::task::AbortHandle>,
    /// The client executing the master's stream, while connected.
    pub client: Option<ClientId>,
    /// Stream bytes received (`slave_read_repl_offset`).
    pub read_reploff: i64,
    /// Unix ms of the last data from the master.
    pub last_io_ms: i64,
    /// Unix seconds since when the link is down (0 = never connected).
    pub down_since: i64,
    /// Snapshot transfer in progress.
    pub transfer: Option<Transfer>,
    /// REPLCONF GETACK asked for an ACK.
    pub ack_requested: bool,
}

/// What a later PSYNC can continue from: the history we share with a previous master (or our
/// own, when a master becomes a replica).
#[derive(Debug, Clone)]
pub struct Cached {
    /// Replication id.
    pub replid: String,
    /// Offset of the last byte applied.
    pub offset: i64,
    /// Database the master's stream had selected.
    pub db: usize,
}

impl MasterLink {
    fn new(host: String, port: u16) -> MasterLink {
        MasterLink {
            host,
            port,
            state: LinkState::Connect,
            task: None,
            client: None,
            read_reploff: 0,
            last_io_ms: 0,
            down_since: 0,
            transfer: None,
            ack_requested: false,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// REPLICAOF

/// REPLICAOF host port | NO ONE (and its old name SLAVEOF).
pub fn replicaof(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    if ctx.srv.repl.failover.active() {
        return Reply::err("ERR REPLICAOF not allowed while failing over.");
    }
    if a[1].eq_ignore_ascii_case(b"no") && a[2].eq_ignore_ascii_case(b"one") {
        if ctx.srv.repl.is_replica() {
            unset_master(ctx.srv);
            tracing::info!(
                "MASTER MODE enabled (user request from 'id={} addr={}')",
                ctx.client.id(),
                ctx.client.addr
            );
        }
        return Reply::Ok;
    }
    if ctx.client.kind == ClientKind::Replica {
        return Reply::err("ERR Command is not valid when client is a replica.");
    }
    let port = match crate::util::num::parse_i64(&a[2]) {
        Some(p) if (0..=65535).contains(&p) => p as u16,
        _ => return Reply::err("ERR Invalid master port"),
    };
    let host = String::from_utf8_lossy(&a[1]).into_owned();
    if let Some(m) = &ctx.srv.repl.master
        && m.host.eq_ignore_ascii_case(&host)
        && m.port == port
    {
        tracing::info!(
            "REPLICAOF would result into synchronization with the master we are already connected with. No operation performed."
        );
        return Reply::Status("OK Already connected to specified master".into());
    }
    set_master(ctx.srv, host, port);
    tracing::info!(
        "REPLICAOF {}:{} enabled (user request from 'id={} addr={}')",
        a[1].escape_ascii(),
        port,
        ctx.client.id(),
        ctx.client.addr
    );
    Reply::Ok
}

/// Makes us a replica of `host:port` (or switches master).
pub fn set_master(srv: &mut Server, host: String, port: u16) {
    let was_master = !srv.repl.is_replica();
    drop_link(srv);
    disconnect_blocked_clients(srv);
    if was_master {
        // Our own history may let the new master continue us with a partial resync.
        tracing::info!(
            "Before turning into a replica, using my own master parameters to synthesize a cached master: I may be able to synchronize with the new master with just a partial transfer."
        );
        srv.repl.cached = Some(Cached {
            replid: srv.replid.clone(),
            offset: srv.repl.offset,
            db: 0,
        });
    }
    tracing::info!("Connecting to MASTER {host}:{port}");
    crate::logging::set_role(crate::logging::Role::Replica);
    srv.repl.master = Some(MasterLink::new(host.clone(), port));
    srv.config.set_replicaof(Some((&host, port)));
    spawn_link(srv);
}

/// Makes us a master again, keeping our history as `replid2` so that our replicas (and the old
/// master) can continue with a partial resynchronisation.
pub fn unset_master(srv: &mut Server) {
    if !srv.repl.is_replica() {
        return;
    }
    drop_link(srv);
    crate::logging::set_role(crate::logging::Role::Master);
    srv.repl.master = None;
    srv.repl.cached = None;
    srv.config.set_replicaof(None);
    shift_replid(srv);
    // Our replicas must learn the new id; they reconnect and continue.
    super::master::disconnect_replicas(srv);
    srv.repl.seldb = -1;
    srv.repl.no_replicas_since = srv.now_ms / 1000;
}

/// The current history becomes the secondary one, valid up to the current offset.
fn shift_replid(srv: &mut Server) {
    srv.replid2 = std::mem::take(&mut srv.replid);
    srv.repl.second_offset = srv.repl.offset + 1;
    srv.replid = random_hex40(&mut srv.rng);
    tracing::info!(
        "Setting secondary replication ID to {}, valid up to offset: {}. New replication ID is {}",
        srv.replid2,
        srv.repl.second_offset,
        srv.replid
    );
}

/// Stops the link task and forgets the master client (its history stays cached).
fn drop_link(srv: &mut Server) {
    let Some(m) = srv.repl.master.as_mut() else {
        return;
    };
    if let Some(t) = m.task.take() {
        t.abort();
    }
    if let Some(id) = m.client.take() {
        m.state = LinkState::Connect;
        cache_master(srv, id);
    }
    if let Some(m) = srv.repl.master.as_mut() {
        m.state = LinkState::Connect;
        m.transfer = None;
    }
}

/// Remembers the history shared with the master whose client `id` goes away.
fn cache_master(srv: &mut Server, id: ClientId) {
    let db = srv
        .clients
        .by_id
        .get(&id)
        .and_then(|e| e.client.try_borrow().ok().map(|c| c.db))
        .unwrap_or(0);
    srv.clients.remove(id);
    srv.repl.cached = Some(Cached {
        replid: srv.replid.clone(),
        offset: srv.repl.offset,
        db,
    });
    srv.repl.executing_master = false;
}

/// Clients blocked on keys get an error when we become a replica (their keys now belong to
/// our master).
fn disconnect_blocked_clients(srv: &mut Server) {
    let entries: Vec<_> = srv.clients.by_id.values().cloned().collect();
    for e in entries {
        let Ok(mut c) = e.client.try_borrow_mut() else {
            continue;
        };
        if c.blocked.is_some() {
            dispatch::unblock(srv, &mut c);
            let _ = e.shared.tx.send(Outbound::Unblocked(Reply::err(
                "UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)",
            )));
        }
    }
}

/// Starts the link task (needs the running server handle).
fn spawn_link(srv: &mut Server) {
    let Some(me) = srv.self_ref.upgrade() else {
        return;
    };
    let task = tokio::task::spawn_local(run_link(me));
    if let Some(m) = srv.repl.master.as_mut() {
        m.task = Some(task.abort_handle());
    }
}

/// Starts replicating when the configuration says `replicaof` (after the start-up load).
pub fn start_from_config(srv: &mut Server) {
    if srv.repl.master.as_ref().is_some_and(|m| m.task.is_none()) {
        spawn_link(srv);
    }
}

/// The master configured at start-up, as link state (INFO shows `role:slave` at once).
pub fn link_from_config(srv: &mut Server) {
    if let Some((host, port)) = super::ReplSettings::replicaof(&srv.config) {
        crate::logging::set_role(crate::logging::Role::Replica);
        srv.repl.master = Some(MasterLink::new(host, port));
    }
}

/// Once a second on a replica: nothing beyond what the link task does itself.
pub fn cron_second(_srv: &mut Server) {}

// ---------------------------------------------------------------------------------------------
// The link task

fn set_state(server: &SharedServer, state: LinkState) {
    if let Some(m) = server.borrow_mut().repl.master.as_mut() {
        m.state = state;
    }
}

/// Connects, synchronises and applies the stream; reconnects every second after a failure.
async fn run_link(server: SharedServer) {
    loop {
        let outcome = link_once(&server).await;
        {
            let mut srv = server.borrow_mut();
            let now = unix_ms();
            let Some(m) = srv.repl.master.as_mut() else {
                return;
            };
            m.state = LinkState::Connect;
            m.transfer = None;
            if m.client.is_some() {
                m.down_since = now / 1000;
            }
            if let Some(id) = m.client.take() {
                cache_master(&mut srv, id);
            }
            match outcome {
                Ok(()) => tracing::warn!("Connection with master lost."),
                Err(e) => tracing::warn!("{e}"),
            }
            if srv.repl.failover.in_progress() {
                super::failover_cmd::abort(&mut srv, "Failover target rejected psync request");
                return;
            }
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// One connection to the master, until it breaks.
async fn link_once(server: &SharedServer) -> Result<(), String> {
    let (host, port, timeout) = {
        let mut srv = server.borrow_mut();
        let timeout = Duration::from_secs(srv.repl.cfg.timeout as u64);
        let Some(m) = srv.repl.master.as_mut() else {
            return Ok(());
        };
        m.state = LinkState::Connecting;
        (m.host.clone(), m.port, timeout)
    };
    tracing::info!("MASTER <-> REPLICA sync started");
    let stream = match tokio::time::timeout(
        timeout,
        tokio::net::TcpStream::connect((host.as_str(), port)),
    )
    .await
    {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => return Err(format!("Error condition on socket for SYNC: {e}")),
        Err(_) => return Err("Timeout connecting to the MASTER...".into()),
    };
    let _ = stream.set_nodelay(true);
    set_state(server, LinkState::Handshake);
    let mut conn = MasterConn::new(stream, timeout);
    let params = {
        let srv = server.borrow();
        let cfg = &srv.repl.cfg;
        let (psync_id, psync_offset) = match &srv.repl.cached {
            Some(c) => (c.replid.clone(), c.offset + 1),
            None => ("?".to_string(), -1),
        };
        Params {
            user: cfg.masteruser.clone(),
            pass: cfg.masterauth.clone(),
            listening_port: if cfg.announce_port != 0 {
                cfg.announce_port
            } else {
                srv.config.port
            },
            announce_ip: cfg.announce_ip.clone(),
            psync_id,
            psync_offset,
            failover: srv.repl.failover.in_progress(),
        }
    };
    let answer = handshake::run(&mut conn, &params).await?;
    if server.borrow().repl.failover.in_progress() {
        if matches!(answer, Psync::TryLater(_)) {
            return Err("Failover target rejected psync request".into());
        }
        super::failover_cmd::clear(&mut server.borrow_mut());
    }
    let db = match answer {
        Psync::TryLater(_) => return Ok(()),
        Psync::Continue(new_id) => continue_history(&mut server.borrow_mut(), new_id),
        Psync::Full { replid, offset } => full_sync(server, &mut conn, replid, offset).await?,
    };
    stream_loop(server, conn, db).await
}

/// PSYNC continued: adopt the master's new id if it changed (keeping ours as replid2).
fn continue_history(srv: &mut Server, new_id: Option<String>) -> usize {
    let cached = srv.repl.cached.take();
    if let Some(id) = new_id
        && id != srv.replid
    {
        tracing::warn!("Master replication ID changed to {id}");
        srv.replid2 = std::mem::replace(&mut srv.replid, id);
        srv.repl.second_offset = srv.repl.offset + 1;
        super::master::disconnect_replicas(srv);
    }
    if srv.repl.backlog.is_none() {
        let size = srv.repl.cfg.backlog_size;
        srv.repl.backlog = Some(Backlog::new(srv.repl.offset, size));
    }
    if let Some(m) = srv.repl.master.as_mut() {
        m.read_reploff = srv.repl.offset;
    }
    cached.map_or(0, |c| c.db)
}

/// Deletes the transfer file when the transfer is abandoned.
struct TempFile(PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Receives the snapshot into a temporary file, replaces the dataset with it, and adopts the
/// master's history.
async fn full_sync(
    server: &SharedServer,
    conn: &mut MasterConn,
    replid: String,
    offset: i64,
) -> Result<usize, String> {
    {
        let mut srv = server.borrow_mut();
        srv.repl.cached = None;
        let now = unix_ms();
        if let Some(m) = srv.repl.master.as_mut() {
            m.state = LinkState::Transfer;
            m.transfer = Some(Transfer {
                size: -1,
                read: 0,
                last_io_ms: now,
            });
        }
    }
    let header = handshake::read_bulk_header(conn).await?;
    let tmp = TempFile(PathBuf::from(format!(
        "temp-{}.{}.rdb",
        unix_ms() / 1000,
        std::process::id()
    )));
    let mut incoming = super::payload::Incoming::create(&server.borrow(), &tmp.0)?;
    match &header {
        BulkHeader::Len(len) => {
            tracing::info!("MASTER <-> REPLICA sync: receiving {len} bytes from master to disk");
            if let Some(t) = server
                .borrow_mut()
                .repl
                .master
                .as_mut()
                .and_then(|m| m.transfer.as_mut())
            {
                t.size = *len as i64;
            }
            let mut left = *len as usize;
            while left > 0 {
                if conn.buf.is_empty() {
                    conn.fill()
                        .await
                        .map_err(|e| format!("I/O error trying to sync with MASTER: {e}"))?;
                }
                let n = left.min(conn.buf.len());
                incoming.write(conn.buf.split_to(n).freeze()).await?;
                left -= n;
                progress(server, n);
            }
        }
        BulkHeader::Eof(mark) => {
            tracing::info!(
                "MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to disk"
            );
            loop {
                if let Some(pos) = memchr::memmem::find(&conn.buf, mark) {
                    incoming.write(conn.buf.split_to(pos).freeze()).await?;
                    progress(server, pos);
                    conn.consume(mark.len());
                    break;
                }
                // Keep a mark's length back: it may be split across reads.
                let keep = mark.len().min(conn.buf.len());
                let n = conn.buf.len() - keep;
                if n > 0 {
                    incoming.write(conn.buf.split_to(n).freeze()).await?;
                    progress(server, n);
                }
                conn.fill()
                    .await
                    .map_err(|e| format!("I/O error trying to sync with MASTER: {e}"))?;
            }
        }
    }
    let decoded = incoming.finish().await?;
    // Replace the dataset.
    let target = {
        let mut srv = server.borrow_mut();
        // Our replicas and backlog belonged to the previous history.
        super::master::disconnect_replicas(&mut srv);
        srv.repl.backlog = None;
        if srv.rdb.bgsave.is_some() {
            crate::server::persistence::rdb::snapshot::abort(&mut srv);
        }
        tracing::info!("MASTER <-> REPLICA sync: Flushing old data");
        srv.signal_flushed(None);
        for i in 0..srv.dbs.len() {
            let old = std::mem::take(&mut srv.dbs[i]);
            crate::server::commands::keys::drop_in_background(old);
        }
        PathBuf::from(&srv.config.dbfilename)
    };
    std::fs::rename(&tmp.0, &target).map_err(|e| {
        format!("Failed trying to rename the temp DB into {} in MASTER <-> REPLICA synchronization: {e}", target.display())
    })?;
    tracing::info!("MASTER <-> REPLICA sync: Loading DB in memory");
    let loaded = super::payload::load_received(server, &target, decoded).await;
    let mut srv = server.borrow_mut();
    if srv.config.save_points.is_empty() {
        super::payload::unlink_in_background(&target);
    }
    if let Err(e) = loaded {
        return Err(format!(
            "Failed trying to load the MASTER synchronization DB from disk: {e}"
        ));
    }
    srv.replid = replid;
    srv.replid2 = "0".repeat(40);
    srv.repl.second_offset = -1;
    srv.repl.offset = offset;
    let size = srv.repl.cfg.backlog_size;
    srv.repl.backlog = Some(Backlog::new(offset, size));
    if let Some(m) = srv.repl.master.as_mut() {
        m.read_reploff = offset;
        m.transfer = None;
    }
    tracing::info!("MASTER <-> REPLICA sync: Finished with success");
    Ok(0)
}

fn progress(server: &SharedServer, n: usize) {
    let mut srv = server.borrow_mut();
    srv.repl.net_input_bytes += n as u64;
    srv.stats.net_input_bytes += n as u64;
    if let Some(t) = srv.repl.master.as_mut().and_then(|m| m.transfer.as_mut()) {
        t.read += n as i64;
        t.last_io_ms = unix_ms();
    }
}

/// Applies the master's stream until the link breaks.
async fn stream_loop(server: &SharedServer, conn: MasterConn, db: usize) -> Result<(), String> {
    let MasterConn {
        stream,
        buf,
        timeout,
    } = conn;
    let (mut rd, mut wr) = stream.into_split();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let client = {
        let mut srv = server.borrow_mut();
        let id = srv.clients.next_id();
        let shared = Rc::new(ClientShared {
            id,
            tx,
            resp: std::cell::Cell::new(2),
            queued_bytes: std::cell::Cell::new(0),
            dirty_cas: std::cell::Cell::new(false),
        });
        let (host, port) = srv
            .repl
            .master
            .as_ref()
            .map(|m| (m.host.clone(), m.port))
            .unwrap_or_default();
        let local = wr
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_else(|_| "?:0".into());
        let fd = {
            use std::os::fd::AsRawFd;
            wr.as_ref().as_raw_fd() as i64
        };
        let mut c = Client::new(
            shared.clone(),
            format!("{host}:{port}"),
            local,
            fd,
            unix_ms(),
        );
        c.kind = ClientKind::Master;
        c.authenticated = true;
        c.db = db;
        let client = Rc::new(RefCell::new(c));
        srv.clients.add(client.clone(), shared);
        let now = unix_ms();
        if let Some(m) = srv.repl.master.as_mut() {
            m.client = Some(id);
            m.state = LinkState::Connected;
            m.down_since = 0;
            m.last_io_ms = now;
        }
        client
    };
    // An immediate ACK: a diskless master starts the stream on it.
    let ack = |server: &SharedServer| -> Vec<u8> {
        let off = server.borrow().repl.offset.to_string();
        let mut out = Vec::new();
        propagate::encode_command(&mut out, &[&b"REPLCONF"[..], b"ACK", off.as_bytes()]);
        out
    };
    wr.write_all(&ack(server))
        .await
        .map_err(|e| format!("Error writing to MASTER: {e}"))?;
    let mut inbuf = BytesMut::with_capacity(64 * 1024);
    let mut raw = BytesMut::new();
    let mut parser = RequestParser::new();
    if !buf.is_empty() {
        raw.extend_from_slice(&buf);
        inbuf.extend_from_slice(&buf);
        received(server, buf.len());
        if !apply(server, &client, &mut parser, &mut inbuf, &mut raw) {
            return Err("Protocol error from MASTER".into());
        }
    }
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    let mut last_ack = std::time::Instant::now();
    loop {
        if inbuf.capacity() - inbuf.len() < 16 * 1024 {
            inbuf.reserve(64 * 1024);
        }
        tokio::select! {
            biased;
            msg = rx.recv() => match msg {
                Some(Outbound::Kill) | None => return Ok(()),
                _ => {}
            },
            n = tokio::io::AsyncReadExt::read_buf(&mut rd, &mut inbuf) => {
                let n = match n {
                    Ok(0) | Err(_) => return Ok(()),
                    Ok(n) => n,
                };
                let start = inbuf.len() - n;
                raw.extend_from_slice(&inbuf[start..]);
                received(server, n);
                if !apply(server, &client, &mut parser, &mut inbuf, &mut raw) {
                    return Err("Protocol error from MASTER, closing the link".into());
                }
            }
            _ = tick.tick() => {
                let last = server.borrow().repl.master.as_ref().map_or(0, |m| m.last_io_ms);
                if unix_ms() - last > timeout.as_millis() as i64 {
                    return Err("MASTER timeout: no data nor PING received...".into());
                }
                wr.write_all(&ack(server)).await.map_err(|e| format!("Error writing to MASTER: {e}"))?;
                last_ack = std::time::Instant::now();
            }
        }
        let wanted = server
            .borrow_mut()
            .repl
            .master
            .as_mut()
            .is_some_and(|m| std::mem::take(&mut m.ack_requested));
        // Under a steady stream the tick may not win the select: ACK at least every second.
        if wanted || last_ack.elapsed() >= Duration::from_secs(1) {
            wr.write_all(&ack(server))
                .await
                .map_err(|e| format!("Error writing to MASTER: {e}"))?;
            last_ack = std::time::Instant::now();
        }
    }
}

fn received(server: &SharedServer, n: usize) {
    let mut srv = server.borrow_mut();
    srv.repl.net_input_bytes += n as u64;
    srv.stats.net_input_bytes += n as u64;
    let now = unix_ms();
    if let Some(m) = srv.repl.master.as_mut() {
        m.read_reploff += n as i64;
        m.last_io_ms = now;
    }
}

/// Executes the complete commands buffered from the master. Bytes of a command count as
/// applied (offset, backlog, sub-replicas) once it ran — for a transaction, once EXEC ran.
fn apply(
    server: &SharedServer,
    client: &Rc<RefCell<Client>>,
    parser: &mut RequestParser,
    inbuf: &mut BytesMut,
    raw: &mut BytesMut,
) -> bool {
    let mut srv = server.borrow_mut();
    let mut c = client.borrow_mut();
    srv.now_ms = unix_ms();
    srv.repl.executing_master = true;
    let limits = Limits {
        max_bulk_len: usize::MAX / 2,
        max_query_buffer: usize::MAX / 2,
        max_multibulk_len: usize::MAX / 2,
        ..Limits::default()
    };
    let mut ok = true;
    loop {
        match parser.parse(inbuf, &limits) {
            Ok(None) => break,
            Ok(Some(args)) => {
                if !args.is_empty() {
                    execute(&mut srv, &mut c, args);
                }
                if c.multi.is_none() {
                    let applied = raw.len() - inbuf.len();
                    let bytes = raw.split_to(applied);
                    propagate::feed_raw(&mut srv, &bytes);
                }
            }
            Err(e) => {
                tracing::warn!("Protocol error from MASTER: {e}");
                ok = false;
                break;
            }
        }
    }
    srv.repl.executing_master = false;
    ok
}

/// Runs one command of the master's stream: no ACL, READONLY or OOM checks, replies dropped.
fn execute(srv: &mut Server, c: &mut Client, args: Vec<Bytes>) {
    let spec = match dispatch::resolve(srv, &args) {
        Ok(s) => s,
        Err(Reply::Error(e)) => {
            tracing::warn!("Command from MASTER refused: {e}");
            return;
        }
        Err(_) => return,
    };
    if c.multi.is_some() && !spec.has(flags::MULTI_CONTROL) {
        if let Some(q) = c.multi.as_mut() {
            q.push(crate::server::client::Queued { args });
        }
        return;
    }
    if spec.name == "exec" {
        let Some(queue) = c.multi.take() else {
            return;
        };
        // One propagation frame around the transaction keeps it atomic in the AOF.
        propagate::begin_call(srv);
        c.in_exec = true;
        for q in queue {
            if let Ok(s) = dispatch::resolve(srv, &q.args) {
                dispatch::call(srv, c, s, &q.args);
                c.block_request = None;
            }
        }
        c.in_exec = false;
        propagate::end_call(srv, c, spec, &args);
    } else {
        let _ = dispatch::call(srv, c, spec, &args);
        c.block_request = None;
    }
    if !srv.blocking.ready.is_empty() {
        dispatch::serve_blocked(srv);
    }
}
