//! The master side of replica links: REPLCONF, PSYNC/SYNC, full and partial resynchronisation,
//! the per-replica writer task that streams the shared buffer, ACKs, WAIT, timeouts, pings,
//! output buffer limits and the good-replicas count behind `min-replicas-to-write`.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::mpsc::UnboundedReceiver;

use super::backlog::Backlog;
use super::payload::Payload;
use super::propagate::{self, arg};
use crate::resp::{Limits, Reply, RequestParser};
use crate::server::client::{Client, ClientId, ClientKind, Outbound};
use crate::server::connection::SharedServer;
use crate::server::dispatch;
use crate::server::state::{Ctx, Server, random_hex40, unix_ms};

/// Where a replica is in its synchronisation (INFO `state=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplicaState {
    /// Waiting for a snapshot to start (diskless delay).
    WaitBgsaveStart,
    /// The snapshot for it is being produced.
    WaitBgsaveEnd,
    /// The snapshot is being sent.
    SendBulk,
    /// Streaming.
    Online,
}

impl ReplicaState {
    /// The name INFO prints.
    pub fn name(self) -> &'static str {
        match self {
            ReplicaState::WaitBgsaveStart | ReplicaState::WaitBgsaveEnd => "wait_bgsave",
            ReplicaState::SendBulk => "send_bulk",
            ReplicaState::Online => "online",
        }
    }
}

/// What REPLCONF told us about a connection before (and after) it became a replica.
#[derive(Debug, Clone, Default)]
pub struct ReplicaInfo {
    /// `REPLCONF listening-port` (0 when not given).
    pub listening_port: u16,
    /// `REPLCONF ip-address`.
    pub announced_ip: Option<String>,
    /// `capa eof`: accepts the diskless `$EOF:<mark>` payload format.
    pub capa_eof: bool,
    /// `capa psync2`: understands `+CONTINUE <replid>`.
    pub capa_psync2: bool,
    /// `rdb-only`: wants the snapshot and nothing else.
    pub rdb_only: bool,
}

/// One attached replica.
#[derive(Debug)]
pub struct ReplicaLink {
    /// Synchronisation state.
    pub state: ReplicaState,
    /// REPLCONF data.
    pub info: ReplicaInfo,
    /// Peer IP of the connection.
    pub peer_ip: String,
    /// Last offset acknowledged with REPLCONF ACK.
    pub ack_off: i64,
    /// Unix seconds of the last ACK (lag).
    pub ack_time: i64,
    /// Next stream offset to send.
    pub next: i64,
    /// Attached with SYNC: no ACKs are expected.
    pub pre_psync: bool,
    /// After a diskless transfer, the stream starts with the replica's first ACK.
    pub start_stream_on_ack: bool,
    /// `+FULLRESYNC` offset still to announce (the stream continues at offset + 1).
    pub fullresync: Option<i64>,
    /// The snapshot to send, once available.
    pub payload: Option<Payload>,
    /// The snapshot is streamed in the diskless `$EOF:` format.
    pub eof: bool,
    /// Unix ms since when it waits for a snapshot.
    pub wait_since_ms: i64,
    /// Unix ms since when its pending output is over the soft limit.
    pub soft_limit_since: Option<i64>,
}

impl ReplicaLink {
    /// The address INFO and logs show: announced IP (or peer IP) and listening port.
    pub fn ip(&self) -> &str {
        self.info.announced_ip.as_deref().unwrap_or(&self.peer_ip)
    }

    /// `ip:port` as Redis names replicas in its log.
    pub fn name(&self) -> String {
        if self.info.listening_port != 0 {
            format!("{}:{}", self.ip(), self.info.listening_port)
        } else {
            format!("{}:<unknown-replica-port>", self.ip())
        }
    }
}

/// The pseudo-key WAIT blocks on; an ACK marks it ready.
pub fn wait_key() -> (usize, Bytes) {
    (usize::MAX, Bytes::new())
}

/// Peer IP from an `ip:port` address (IPv6 without brackets).
pub fn ip_of(addr: &str) -> String {
    let host = addr.rsplit_once(':').map_or(addr, |(h, _)| h);
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .to_string()
}

// ---------------------------------------------------------------------------------------------
// Commands

/// REPLCONF option value ... : replica metadata before PSYNC, ACKs after.
pub fn replconf(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    if a.len().is_multiple_of(2) {
        return Reply::err("ERR syntax error");
    }
    let id = ctx.client.id();
    let is_replica = ctx.client.kind == ClientKind::Replica;
    let mut info = ctx.srv.repl.replconf.get(&id).cloned().unwrap_or_default();
    for pair in a[1..].chunks(2) {
        let (opt, val) = (&pair[0], &pair[1]);
        let name = String::from_utf8_lossy(opt).to_ascii_lowercase();
        match name.as_str() {
            "listening-port" => match crate::util::num::parse_i64(val) {
                Some(p) => info.listening_port = u16::try_from(p).unwrap_or(0),
                None => return Reply::err("ERR value is not an integer or out of range"),
            },
            "ip-address" => {
                if val.len() >= 256 {
                    return Reply::err(format!(
                        "ERR REPLCONF ip-address provided by replica instance is too long: {} bytes",
                        val.len()
                    ));
                }
                info.announced_ip = Some(String::from_utf8_lossy(val).into_owned());
            }
            "capa" => {
                if val.eq_ignore_ascii_case(b"eof") {
                    info.capa_eof = true;
                } else if val.eq_ignore_ascii_case(b"psync2") {
                    info.capa_psync2 = true;
                }
            }
            "ack" => {
                if !is_replica {
                    return Reply::None;
                }
                if let Some(off) = crate::util::num::parse_i64(val) {
                    ack(ctx.srv, id, off);
                }
                return Reply::None;
            }
            "getack" => {
                if let Some(m) = ctx.srv.repl.master.as_mut() {
                    m.ack_requested = true;
                }
                return Reply::None;
            }
            "rdb-only" => match val.as_ref() {
                b"0" => info.rdb_only = false,
                b"1" => info.rdb_only = true,
                _ => return Reply::err("ERR syntax error"),
            },
            "rdb-filter-only" => {}
            _ => {
                return Reply::err(format!(
                    "ERR Unrecognized REPLCONF option: {}",
                    String::from_utf8_lossy(opt)
                ));
            }
        }
    }
    if is_replica {
        if let Some(link) = ctx.srv.repl.replicas.get_mut(&id) {
            link.info = info;
        }
    } else {
        ctx.srv.repl.replconf.insert(id, info);
    }
    Reply::Ok
}

/// Records a replica's acknowledged offset.
fn ack(srv: &mut Server, id: ClientId, off: i64) {
    let now = srv.now_ms / 1000;
    let Some(link) = srv.repl.replicas.get_mut(&id) else {
        return;
    };
    if off > link.ack_off {
        link.ack_off = off;
    }
    link.ack_time = now;
    if link.start_stream_on_ack && link.state == ReplicaState::Online {
        link.start_stream_on_ack = false;
        srv.repl.notify.notify_waiters();
    }
    let key = wait_key();
    if srv.blocking.waiters.contains_key(&key) && !srv.blocking.ready.contains(&key) {
        srv.blocking.ready.push(key);
    }
}

/// SYNC: the pre-PSYNC full synchronisation (no replication id, no ACKs).
pub fn sync(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    sync_generic(ctx, a)
}

/// PSYNC replid offset [FAILOVER].
pub fn psync(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    sync_generic(ctx, a)
}

fn sync_generic(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    if ctx.client.kind == ClientKind::Replica {
        return Reply::None;
    }
    let is_psync = a[0].eq_ignore_ascii_case(b"psync");
    if is_psync && a.len() > 3 && a[3].eq_ignore_ascii_case(b"failover") {
        if a[1].as_ref() == ctx.srv.replid.as_bytes() {
            super::replica::unset_master(ctx.srv);
            tracing::info!(
                "MASTER MODE enabled (failover request from '{}')",
                ctx.client.addr
            );
        } else {
            return Reply::err("ERR PSYNC FAILOVER replid must match my replid.");
        }
    }
    if ctx.srv.repl.failover.in_progress() {
        return Reply::err("NOMASTERLINK Can't SYNC while failing over");
    }
    if ctx.srv.repl.is_replica() && !ctx.srv.repl.link_up() {
        return Reply::err("NOMASTERLINK Can't SYNC while not connected with my master");
    }
    let id = ctx.client.id();
    let info = ctx.srv.repl.replconf.remove(&id).unwrap_or_default();
    let mut link = ReplicaLink {
        state: ReplicaState::WaitBgsaveStart,
        info,
        peer_ip: ip_of(&ctx.client.addr),
        ack_off: 0,
        ack_time: ctx.srv.now_ms / 1000,
        next: 0,
        pre_psync: !is_psync,
        start_stream_on_ack: false,
        fullresync: None,
        payload: None,
        eof: false,
        wait_since_ms: ctx.srv.now_ms,
        soft_limit_since: None,
    };
    tracing::info!("Replica {} asks for synchronization", link.name());
    if is_psync {
        let Some(offset) = crate::util::num::parse_i64(&a[2]) else {
            tracing::warn!(
                "Replica {} asks for synchronization but with a wrong offset",
                link.name()
            );
            ctx.srv.repl.replconf.insert(id, link.info);
            return Reply::err("ERR value is not an integer or out of range");
        };
        if let Some(reply) = try_partial(ctx.srv, &a[1], offset, &mut link) {
            ctx.srv.repl.sync_partial_ok += 1;
            attach(ctx, link);
            refresh_good_replicas(ctx.srv);
            return reply;
        }
        if a[1].as_ref() != b"?" {
            ctx.srv.repl.sync_partial_err += 1;
        }
    }
    ctx.srv.repl.sync_full += 1;
    if ctx.srv.repl.backlog.is_none() {
        // A backlog created from scratch starts a new history.
        ctx.srv.replid = random_hex40(&mut ctx.srv.rng);
        ctx.srv.replid2 = "0".repeat(40);
        ctx.srv.repl.second_offset = -1;
        let size = ctx.srv.repl.cfg.backlog_size;
        ctx.srv.repl.backlog = Some(Backlog::new(ctx.srv.repl.offset, size));
        tracing::info!(
            "Replication backlog created, my new replication IDs are '{}' and '{}'",
            ctx.srv.replid,
            ctx.srv.replid2
        );
    }
    let diskless_delay = ctx.srv.repl.cfg.diskless_sync
        && link.info.capa_eof
        && ctx.srv.repl.cfg.diskless_sync_delay > 0;
    attach(ctx, link);
    if diskless_delay {
        tracing::info!("Delay next BGSAVE for diskless SYNC");
    } else if super::payload::save_in_progress(ctx.srv) {
        attach_to_disk_save(ctx.srv);
        let waits = ctx
            .srv
            .repl
            .replicas
            .get(&id)
            .is_some_and(|l| l.state == ReplicaState::WaitBgsaveStart);
        if waits {
            tracing::info!(
                "Another background save is in progress: BGSAVE for replication delayed"
            );
        }
    } else {
        start_full_sync(ctx.srv);
    }
    Reply::None
}

/// Turns the calling connection into a replica; its connection task hands over to
/// [`serve_replica`] once the current reply is written.
fn attach(ctx: &mut Ctx, link: ReplicaLink) {
    ctx.client.kind = ClientKind::Replica;
    ctx.srv.repl.replicas.insert(ctx.client.id(), link);
}

/// Accepts a PSYNC continuation when the id and offset are in our history; returns the
/// `+CONTINUE` reply and sets the link up to stream from `offset`.
fn try_partial(
    srv: &mut Server,
    replid: &[u8],
    offset: i64,
    link: &mut ReplicaLink,
) -> Option<Reply> {
    let ours = replid.eq_ignore_ascii_case(srv.replid.as_bytes());
    let second =
        replid.eq_ignore_ascii_case(srv.replid2.as_bytes()) && offset <= srv.repl.second_offset;
    if !ours && !second {
        if replid == b"?" {
            tracing::info!("Full resync requested by replica {}", link.name());
        } else if !replid.eq_ignore_ascii_case(srv.replid2.as_bytes()) {
            tracing::info!(
                "Partial resynchronization not accepted: Replication ID mismatch (Replica asked for '{}', my replication IDs are '{}' and '{}')",
                String::from_utf8_lossy(replid),
                srv.replid,
                srv.replid2
            );
        } else {
            tracing::info!(
                "Partial resynchronization not accepted: Requested offset for second ID was {}, but I can reply up to {}",
                offset,
                srv.repl.second_offset
            );
        }
        return None;
    }
    let Some(backlog) = srv.repl.backlog.as_ref() else {
        tracing::info!(
            "Unable to partial resync with replica {} for lack of backlog (Replica request was: {}).",
            link.name(),
            offset
        );
        return None;
    };
    if !backlog.can_continue_from(offset) {
        tracing::info!(
            "Unable to partial resync with replica {} for lack of backlog (Replica request was: {}).",
            link.name(),
            offset
        );
        if offset > srv.repl.offset {
            tracing::warn!(
                "Warning: replica {} tried to PSYNC with an offset that is greater than the master replication offset.",
                link.name()
            );
        }
        return None;
    }
    link.state = ReplicaState::Online;
    link.ack_time = srv.now_ms / 1000;
    link.next = offset;
    tracing::info!(
        "Partial resynchronization request from {} accepted. Sending {} bytes of backlog starting from offset {}.",
        link.name(),
        srv.repl.offset + 1 - offset,
        offset
    );
    Some(if link.info.capa_psync2 {
        Reply::Status(format!("CONTINUE {}", srv.replid))
    } else {
        Reply::Status("CONTINUE".into())
    })
}

/// WAIT numreplicas timeout.
pub fn wait(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    if ctx.srv.repl.is_replica() {
        return Reply::err(
            "ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.",
        );
    }
    let Some(numreplicas) = crate::util::num::parse_i64(&a[1]) else {
        return Reply::err("ERR value is not an integer or out of range");
    };
    let Some(timeout) = crate::util::num::parse_i64(&a[2]) else {
        return Reply::err("ERR timeout is not an integer or out of range");
    };
    if timeout < 0 {
        return Reply::err("ERR timeout is negative");
    }
    let acked = count_acks(ctx.srv, ctx.client.woff);
    if acked >= numreplicas || ctx.client.in_exec {
        return Reply::Int(acked);
    }
    // The deadline stays the one of the first call: a re-run after an ACK only refreshes the
    // reply given on timeout (the current count).
    let first = ctx.client.blocked.is_none();
    let key = wait_key();
    let reply = ctx.block(std::slice::from_ref(&key.1), a, timeout, Reply::Int(acked));
    if let Some(req) = ctx.client.block_request.as_mut() {
        req.db = key.0;
    }
    if first {
        request_acks(ctx.srv);
    }
    reply
}

/// Replicas online whose acknowledged offset reached `offset`.
pub fn count_acks(srv: &Server, offset: i64) -> i64 {
    srv.repl
        .replicas
        .values()
        .filter(|l| l.state == ReplicaState::Online && l.ack_off >= offset)
        .count() as i64
}

/// Asks every replica for an ACK now (REPLCONF GETACK * in the stream), unless writes are
/// paused: the stream must not grow then.
pub fn request_acks(srv: &mut Server) {
    if srv.repl.replicas.is_empty() || srv.expire_policy() == super::ExpirePolicy::Hide {
        return;
    }
    propagate::feed(
        srv,
        -1,
        &[arg("REPLCONF"), arg("GETACK"), arg("*")],
        propagate::REPL,
    );
}

// ---------------------------------------------------------------------------------------------
// Full synchronisation

/// Drives full synchronisations: hands a finished disk save to its replicas, and starts a
/// snapshot for the replicas waiting for one when it is time: at once without diskless sync,
/// otherwise after `repl-diskless-sync-delay` or when `repl-diskless-sync-max-replicas` wait.
pub fn start_pending_syncs(srv: &mut Server) {
    if let Some(save) = srv.repl.disk_sync
        && let Some(outcome) = super::payload::disk_done(srv, &save)
    {
        srv.repl.disk_sync = None;
        let ids: Vec<ClientId> = srv
            .repl
            .replicas
            .iter()
            .filter(|(_, l)| {
                l.state == ReplicaState::WaitBgsaveEnd && !l.eof && l.payload.is_none()
            })
            .map(|(id, _)| *id)
            .collect();
        match outcome {
            Ok((file, len)) => {
                for id in ids {
                    if let Some(l) = srv.repl.replicas.get_mut(&id) {
                        l.payload = Some(Payload::File {
                            file: file.clone(),
                            len,
                        });
                    }
                }
                srv.repl.notify.notify_waiters();
            }
            Err(e) => {
                tracing::warn!("SYNC failed. BGSAVE child returned an error: {e}");
                for id in ids {
                    kill_replica(srv, id);
                }
            }
        }
    }
    let mut waiting = 0;
    let mut oldest = i64::MAX;
    for l in srv.repl.replicas.values() {
        if l.state == ReplicaState::WaitBgsaveStart {
            waiting += 1;
            oldest = oldest.min(l.wait_since_ms);
        }
    }
    if waiting == 0 {
        return;
    }
    if super::payload::save_in_progress(srv) {
        attach_to_disk_save(srv);
        return;
    }
    let cfg = &srv.repl.cfg;
    let due = !cfg.diskless_sync
        || (cfg.diskless_sync_max_replicas > 0 && waiting >= cfg.diskless_sync_max_replicas)
        || srv.now_ms - oldest >= cfg.diskless_sync_delay * 1000;
    if due {
        start_full_sync(srv);
    }
}

/// Replicas arriving while a disk save for replication runs share it (and its offset) when the
/// stream since its start is still held, as Redis attaches them to the running BGSAVE.
fn attach_to_disk_save(srv: &mut Server) {
    let Some(save) = srv.repl.disk_sync else {
        return;
    };
    let offset = save.offset;
    if !srv
        .repl
        .backlog
        .as_ref()
        .is_some_and(|b| b.can_continue_from(offset + 1))
    {
        return;
    }
    for l in srv.repl.replicas.values_mut() {
        if l.state == ReplicaState::WaitBgsaveStart {
            tracing::info!("Waiting for end of BGSAVE for SYNC");
            l.state = ReplicaState::WaitBgsaveEnd;
            l.next = offset + 1;
            l.fullresync = Some(offset);
            l.eof = false;
        }
    }
    srv.repl.notify.notify_waiters();
}

/// Starts a snapshot at the current offset for every replica waiting for one: streamed to
/// their sockets when diskless sync is on and all of them read that format, else saved to disk.
fn start_full_sync(srv: &mut Server) {
    let waiting: Vec<ClientId> = srv
        .repl
        .replicas
        .iter()
        .filter(|(_, l)| l.state == ReplicaState::WaitBgsaveStart)
        .map(|(id, _)| *id)
        .collect();
    if waiting.is_empty() {
        return;
    }
    let all_eof = waiting
        .iter()
        .all(|id| srv.repl.replicas.get(id).is_some_and(|l| l.info.capa_eof));
    let socket = srv.repl.cfg.diskless_sync && all_eof;
    tracing::info!(
        "Starting BGSAVE for SYNC with target: {}",
        if socket { "replicas sockets" } else { "disk" }
    );
    let offset = srv.repl.offset;
    let mut payloads = if socket {
        match super::payload::start_diskless(srv, waiting.len()) {
            Ok(p) => p.into_iter().map(Some).collect(),
            Err(e) => {
                tracing::warn!("BGSAVE for replication failed: {e}");
                return;
            }
        }
    } else {
        match super::payload::start_disk(srv) {
            Ok(save) => {
                srv.repl.disk_sync = Some(save);
                waiting.iter().map(|_| None).collect::<Vec<_>>()
            }
            Err(e) => {
                tracing::warn!("BGSAVE for replication failed: {e}");
                return;
            }
        }
    };
    // The stream after a snapshot always starts with SELECT.
    srv.repl.seldb = -1;
    for (i, id) in waiting.into_iter().enumerate() {
        if let Some(l) = srv.repl.replicas.get_mut(&id) {
            l.state = ReplicaState::WaitBgsaveEnd;
            l.next = offset + 1;
            l.fullresync = Some(offset);
            l.eof = socket;
            l.payload = payloads.get_mut(i).and_then(Option::take);
        }
    }
    srv.repl.notify.notify_waiters();
}

// ---------------------------------------------------------------------------------------------
// The writer task

/// How much of the stream a writer copies per socket write.
const WRITE_CHUNK: usize = 256 * 1024;

/// What the writer does next.
enum Next {
    /// Write `+FULLRESYNC <replid> <offset>`.
    Announce(i64),
    /// Send the snapshot.
    Payload(Payload),
    /// Write the bytes of stream copied into the output buffer.
    Stream,
    /// Nothing to send: wait for events (sending a newline every second before the payload,
    /// to keep the link alive while a disk save runs).
    Wait {
        /// Send keep-alive newlines.
        presync: bool,
    },
    /// The link is gone.
    Close,
}

/// Serves a connection that became a replica (after PSYNC/SYNC): announces and sends the
/// snapshot when there is one, then the stream from the shared buffer; reads REPLCONF ACKs.
pub async fn serve_replica(
    server: SharedServer,
    client: Rc<RefCell<Client>>,
    mut rd: OwnedReadHalf,
    mut wr: OwnedWriteHalf,
    mut rx: UnboundedReceiver<Outbound>,
    mut inbuf: BytesMut,
    mut parser: RequestParser,
) {
    let id = client.borrow().id();
    let notify = {
        let srv = server.borrow();
        if srv.repl.cfg.disable_tcp_nodelay {
            let _ = socket2::SockRef::from(wr.as_ref()).set_tcp_nodelay(false);
        }
        srv.repl.notify.clone()
    };
    let mut out: Vec<u8> = Vec::with_capacity(WRITE_CHUNK);
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    'link: loop {
        let next = {
            let mut srv = server.borrow_mut();
            next_step(&mut srv, id, &mut out)
        };
        match next {
            Next::Close => break,
            Next::Announce(offset) => {
                let line = {
                    let srv = server.borrow();
                    format!("+FULLRESYNC {} {}\r\n", srv.replid, offset)
                };
                if wr.write_all(line.as_bytes()).await.is_err() {
                    break;
                }
            }
            Next::Payload(p) => {
                if send_payload(&server, id, &mut wr, &mut rx, p)
                    .await
                    .is_err()
                {
                    break;
                }
            }
            Next::Stream => {
                let n = out.len();
                if wr.write_all(&out).await.is_err() {
                    break;
                }
                out.clear();
                {
                    let mut srv = server.borrow_mut();
                    srv.repl.net_output_bytes += n as u64;
                    srv.stats.net_output_bytes += n as u64;
                }
                // A replica streamed to without pause still has its ACKs read.
                if inbuf.capacity() - inbuf.len() < 1024 {
                    inbuf.reserve(16 * 1024);
                }
                match rd.try_read_buf(&mut inbuf) {
                    Ok(0) => break,
                    Ok(n) => {
                        if !process_input(&server, &client, &mut parser, &mut inbuf, n) {
                            break;
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                    Err(_) => break,
                }
                if let Ok(Outbound::Kill) = rx.try_recv() {
                    break;
                }
            }
            Next::Wait { presync } => {
                tokio::select! {
                    biased;
                    msg = rx.recv() => match msg {
                        Some(Outbound::Kill) | None => break 'link,
                        _ => {}
                    },
                    _ = notify.notified() => {}
                    n = rd.read_buf(&mut inbuf) => match n {
                        Ok(0) | Err(_) => break 'link,
                        Ok(n) => {
                            if !process_input(&server, &client, &mut parser, &mut inbuf, n) {
                                break 'link;
                            }
                        }
                    },
                    _ = tick.tick() => {
                        if presync && wr.write_all(b"\n").await.is_err() {
                            break 'link;
                        }
                    }
                }
            }
        }
    }
    let _ = wr.shutdown().await;
}

fn next_step(srv: &mut Server, id: ClientId, out: &mut Vec<u8>) -> Next {
    let offset = srv.repl.offset;
    let Some(link) = srv.repl.replicas.get_mut(&id) else {
        return Next::Close;
    };
    match link.state {
        ReplicaState::WaitBgsaveStart => Next::Wait { presync: true },
        ReplicaState::WaitBgsaveEnd => {
            if let Some(off) = link.fullresync.take()
                && !link.pre_psync
            {
                return Next::Announce(off);
            }
            match link.payload.take() {
                Some(p) => {
                    link.state = ReplicaState::SendBulk;
                    Next::Payload(p)
                }
                None => Next::Wait { presync: !link.eof },
            }
        }
        ReplicaState::SendBulk => Next::Wait { presync: false },
        ReplicaState::Online => {
            if link.start_stream_on_ack || link.next > offset {
                return Next::Wait { presync: false };
            }
            let from = link.next;
            let n = srv
                .repl
                .backlog
                .as_ref()
                .map_or(0, |b| b.read(from, WRITE_CHUNK, out));
            if n == 0 {
                // The data this replica needs is gone (cannot happen while it pins the
                // buffer); drop the link so it resynchronises.
                tracing::warn!("Replica stream position {from} is no longer available");
                return Next::Close;
            }
            if let Some(l) = srv.repl.replicas.get_mut(&id) {
                l.next += n as i64;
            }
            trim_backlog(srv);
            Next::Stream
        }
    }
}

/// Sends the RDB image in the disk (`$len`) or diskless (`$EOF:`) format, then puts the replica
/// online (a diskless one gets the stream after its first ACK).
async fn send_payload(
    server: &SharedServer,
    id: ClientId,
    wr: &mut OwnedWriteHalf,
    rx: &mut UnboundedReceiver<Outbound>,
    payload: Payload,
) -> Result<(), ()> {
    let mut sent = 0u64;
    let eof = match payload {
        Payload::File { file, len } => {
            let head = format!("${len}\r\n");
            wr.write_all(head.as_bytes()).await.map_err(|_| ())?;
            sent += head.len() as u64;
            let mut buf = vec![0u8; 1024 * 1024];
            let mut pos = 0u64;
            while pos < len {
                if let Ok(Outbound::Kill) = rx.try_recv() {
                    return Err(());
                }
                let want = ((len - pos) as usize).min(buf.len());
                let n = {
                    use std::os::unix::fs::FileExt;
                    file.read_at(&mut buf[..want], pos).map_err(|_| ())?
                };
                if n == 0 {
                    return Err(());
                }
                wr.write_all(&buf[..n]).await.map_err(|_| ())?;
                pos += n as u64;
            }
            sent += len;
            false
        }
        Payload::Stream(mut chunks) => {
            let mark = random_hex40(&mut server.borrow_mut().rng);
            let head = format!("$EOF:{mark}\r\n");
            wr.write_all(head.as_bytes()).await.map_err(|_| ())?;
            sent += head.len() as u64;
            loop {
                tokio::select! {
                    biased;
                    msg = rx.recv() => match msg {
                        Some(Outbound::Kill) | None => return Err(()),
                        _ => {}
                    },
                    chunk = chunks.recv() => match chunk {
                        // Closed without the end marker: the save was aborted.
                        None => return Err(()),
                        Some(c) if c.is_empty() => break,
                        Some(c) => {
                            wr.write_all(&c).await.map_err(|_| ())?;
                            sent += c.len() as u64;
                        }
                    },
                }
            }
            wr.write_all(mark.as_bytes()).await.map_err(|_| ())?;
            sent += mark.len() as u64;
            true
        }
    };
    let mut srv = server.borrow_mut();
    srv.stats.net_output_bytes += sent;
    srv.repl.net_output_bytes += sent;
    let now = srv.now_ms / 1000;
    let Some(link) = srv.repl.replicas.get_mut(&id) else {
        return Err(());
    };
    if link.info.rdb_only {
        return Err(());
    }
    link.state = ReplicaState::Online;
    link.ack_time = now;
    // A diskless replica detects the end of the payload by its mark: the stream waits for its
    // first ACK so the mark stays the last thing it reads.
    link.start_stream_on_ack = eof;
    let name = link.name();
    tracing::info!("Synchronization with replica {name} succeeded");
    refresh_good_replicas(&mut srv);
    Ok(())
}

/// Runs what the replica sent (REPLCONF ACK); replies to replicas are never sent.
fn process_input(
    server: &SharedServer,
    client: &Rc<RefCell<Client>>,
    parser: &mut RequestParser,
    inbuf: &mut BytesMut,
    read: usize,
) -> bool {
    let mut srv = server.borrow_mut();
    let mut c = client.borrow_mut();
    srv.now_ms = unix_ms();
    srv.stats.net_input_bytes += read as u64;
    let limits = Limits::default();
    loop {
        match parser.parse(inbuf, &limits) {
            Ok(None) => return true,
            Ok(Some(args)) if args.is_empty() => {}
            Ok(Some(args)) => {
                let _ = dispatch::process(&mut srv, &mut c, args);
                if c.close_after_reply {
                    return false;
                }
            }
            Err(_) => return false,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Housekeeping

/// Forgets a replica (its connection closed).
pub fn replica_gone(srv: &mut Server, id: ClientId) {
    srv.repl.replconf.remove(&id);
    if let Some(link) = srv.repl.replicas.shift_remove(&id) {
        tracing::info!("Connection with replica {} lost.", link.name());
        if srv.repl.replicas.is_empty() {
            srv.repl.no_replicas_since = srv.now_ms / 1000;
        }
        refresh_good_replicas(srv);
        trim_backlog(srv);
    }
}

/// Asks a replica's connection to close.
pub fn kill_replica(srv: &mut Server, id: ClientId) {
    if let Some(shared) = srv.clients.shared(id) {
        let _ = shared.tx.send(Outbound::Kill);
    }
    replica_gone(srv, id);
}

/// Closes every replica link (they reconnect and usually continue with PSYNC).
pub fn disconnect_replicas(srv: &mut Server) {
    let ids: Vec<ClientId> = srv.repl.replicas.keys().copied().collect();
    for id in ids {
        kill_replica(srv, id);
    }
}

/// Releases buffer blocks nobody needs and enforces the replica output buffer limits.
pub fn trim_backlog(srv: &mut Server) {
    let end = srv.repl.offset;
    let mut oldest = i64::MAX;
    let limit = srv.config.obuf_limit(crate::config::ClientClass::Replica);
    let now = srv.now_ms;
    let mut over: Vec<ClientId> = Vec::new();
    for (id, l) in srv.repl.replicas.iter_mut() {
        if l.state == ReplicaState::WaitBgsaveStart {
            continue;
        }
        oldest = oldest.min(l.next);
        let pending = (end + 1 - l.next).max(0) as u64;
        if limit.hard > 0 && pending > limit.hard {
            over.push(*id);
        } else if limit.soft > 0 && pending > limit.soft {
            let since = *l.soft_limit_since.get_or_insert(now);
            if now - since >= limit.soft_seconds as i64 * 1000 {
                over.push(*id);
            }
        } else {
            l.soft_limit_since = None;
        }
    }
    if let Some(b) = srv.repl.backlog.as_mut() {
        b.trim(oldest);
    }
    for id in over {
        if let Some(l) = srv.repl.replicas.get(&id) {
            tracing::warn!(
                "Client id={} addr={} scheduled to be closed ASAP for overcoming of output buffer limits.",
                id,
                l.name()
            );
        }
        kill_replica(srv, id);
    }
}

/// Counts the replicas good enough for `min-replicas-to-write`.
pub fn refresh_good_replicas(srv: &mut Server) {
    let cfg = &srv.repl.cfg;
    if cfg.min_replicas_to_write == 0 || cfg.min_replicas_max_lag == 0 {
        return;
    }
    let now = srv.now_ms / 1000;
    let max_lag = cfg.min_replicas_max_lag;
    srv.repl.good_replicas = srv
        .repl
        .replicas
        .values()
        .filter(|l| l.state == ReplicaState::Online && now - l.ack_time <= max_lag)
        .count();
}

/// Whether `min-replicas-to-write` allows writes now.
pub fn enough_good_replicas(srv: &Server) -> bool {
    let cfg = &srv.repl.cfg;
    srv.repl.is_replica()
        || cfg.min_replicas_max_lag == 0
        || cfg.min_replicas_to_write == 0
        || srv.repl.good_replicas as i64 >= cfg.min_replicas_to_write
}

/// Once a second: PING replicas, drop timed-out ones, free an unused backlog, refresh counts.
pub fn cron_second(srv: &mut Server) {
    let now = srv.now_ms / 1000;
    if !srv.repl.is_replica()
        && !srv.repl.replicas.is_empty()
        && srv
            .repl
            .cron_seconds
            .is_multiple_of(srv.repl.cfg.ping_period.max(1) as u64)
        && srv.expire_policy() != super::ExpirePolicy::Hide
    {
        propagate::feed(srv, -1, &[arg("ping")], propagate::REPL);
    }
    let timeout = srv.repl.cfg.timeout;
    let timed_out: Vec<ClientId> = srv
        .repl
        .replicas
        .iter()
        .filter(|(_, l)| {
            l.state == ReplicaState::Online && !l.pre_psync && now - l.ack_time > timeout
        })
        .map(|(id, _)| *id)
        .collect();
    for id in timed_out {
        if let Some(l) = srv.repl.replicas.get(&id) {
            tracing::warn!(
                "Disconnecting timedout replica (streaming sync): {}",
                l.name()
            );
        }
        kill_replica(srv, id);
    }
    let ttl = srv.repl.cfg.backlog_ttl;
    if srv.repl.replicas.is_empty()
        && !srv.repl.is_replica()
        && srv.repl.backlog.is_some()
        && ttl > 0
        && now - srv.repl.no_replicas_since > ttl
    {
        srv.replid = random_hex40(&mut srv.rng);
        srv.replid2 = "0".repeat(40);
        srv.repl.second_offset = -1;
        srv.repl.backlog = None;
        tracing::info!(
            "Replication backlog freed after {} seconds without connected replicas.",
            ttl
        );
    }
    refresh_good_replicas(srv);
    trim_backlog(srv);
}
