//! FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT ms]: the Redis 6.2 coordinated switchover.
//!
//! The master pauses writes, waits until a replica acknowledged the whole stream, turns itself
//! into a replica of it and asks it (`PSYNC <replid> <offset> FAILOVER`) to become the master;
//! both keep one history, so the switch costs a partial resynchronisation.

use bytes::Bytes;

use super::master::ReplicaState;
use crate::resp::Reply;
use crate::server::state::{Ctx, Server};

/// Where a coordinated failover is (INFO `master_failover_state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FailoverState {
    /// No failover.
    #[default]
    None,
    /// Writes are paused until a replica catches up.
    WaitForSync,
    /// We became a replica of the target and ask it to take over.
    InProgress,
}

/// The coordinated failover in progress, if any.
#[derive(Debug, Clone, Default)]
pub struct Failover {
    /// State.
    pub state: FailoverState,
    /// Unix ms after which the failover gives up (or forces); 0 = never.
    pub end_ms: i64,
    /// Fail over to the target even if it did not catch up by the deadline.
    pub force: bool,
    /// The replica to fail over to (chosen when one catches up, unless given).
    pub target: Option<(String, u16)>,
}

impl Failover {
    /// Whether a failover is underway.
    pub fn active(&self) -> bool {
        self.state != FailoverState::None
    }

    /// Whether we are handing over to the target right now.
    pub fn in_progress(&self) -> bool {
        self.state == FailoverState::InProgress
    }

    /// Writes are paused for the whole failover.
    pub fn pauses_writes(&self) -> bool {
        self.active()
    }

    /// The name INFO prints.
    pub fn state_name(&self) -> &'static str {
        match self.state {
            FailoverState::None => "no-failover",
            FailoverState::WaitForSync => "waiting-for-sync",
            FailoverState::InProgress => "failover-in-progress",
        }
    }
}

/// FAILOVER command.
pub fn failover(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    if a.len() == 2 && a[1].eq_ignore_ascii_case(b"abort") {
        if !ctx.srv.repl.failover.active() {
            return Reply::err("ERR No failover in progress.");
        }
        abort(ctx.srv, "Failover manually aborted");
        return Reply::Ok;
    }
    let mut timeout_ms = 0i64;
    let mut force = false;
    let mut target: Option<(String, i64)> = None;
    let mut j = 1;
    while j < a.len() {
        if a[j].eq_ignore_ascii_case(b"timeout") && j + 1 < a.len() && timeout_ms == 0 {
            let Some(t) = crate::util::num::parse_i64(&a[j + 1]) else {
                return Reply::err("ERR value is not an integer or out of range");
            };
            if t <= 0 {
                return Reply::err("ERR FAILOVER timeout must be greater than 0");
            }
            timeout_ms = t;
            j += 2;
        } else if a[j].eq_ignore_ascii_case(b"to") && j + 2 < a.len() && target.is_none() {
            let Some(port) = crate::util::num::parse_i64(&a[j + 2]) else {
                return Reply::err("ERR value is not an integer or out of range");
            };
            target = Some((String::from_utf8_lossy(&a[j + 1]).into_owned(), port));
            j += 3;
        } else if a[j].eq_ignore_ascii_case(b"force") && !force {
            force = true;
            j += 1;
        } else {
            return Reply::err("ERR syntax error");
        }
    }
    let srv = &mut *ctx.srv;
    if srv.repl.failover.active() {
        return Reply::err("ERR FAILOVER already in progress.");
    }
    if srv.repl.is_replica() {
        return Reply::err("ERR FAILOVER is not valid when server is a replica.");
    }
    if srv.repl.replicas.is_empty() {
        return Reply::err("ERR FAILOVER requires connected replicas.");
    }
    if force && (timeout_ms == 0 || target.is_none()) {
        return Reply::err(
            "ERR FAILOVER with force option requires both a timeout and target HOST and IP.",
        );
    }
    let mut chosen = None;
    if let Some((host, port)) = target {
        let Some(link) = srv.repl.replicas.values().find(|l| {
            l.ip().eq_ignore_ascii_case(&host) && i64::from(l.info.listening_port) == port
        }) else {
            return Reply::err("ERR FAILOVER target HOST and PORT is not a replica.");
        };
        if link.state != ReplicaState::Online {
            return Reply::err("ERR FAILOVER target replica is not online.");
        }
        tracing::info!("FAILOVER requested to {host}:{port}.");
        chosen = Some((host, port as u16));
    } else {
        tracing::info!("FAILOVER requested to any replica.");
    }
    srv.repl.failover = Failover {
        state: FailoverState::WaitForSync,
        end_ms: if timeout_ms > 0 {
            srv.now_ms + timeout_ms
        } else {
            0
        },
        force,
        target: chosen,
    };
    Reply::Ok
}

/// Cron step: give up or force at the deadline, or hand over once a replica caught up.
pub fn update_status(srv: &mut Server) {
    if srv.repl.failover.state != FailoverState::WaitForSync {
        return;
    }
    let f = srv.repl.failover.clone();
    if f.end_ms > 0 && f.end_ms <= srv.now_ms {
        if f.force {
            if let Some((host, port)) = f.target {
                tracing::info!("FAILOVER to {host}:{port} time out exceeded, failing over.");
                srv.repl.failover.state = FailoverState::InProgress;
                super::replica::set_master(srv, host, port);
            }
        } else {
            abort(srv, "Replica never caught up before timeout");
        }
        return;
    }
    let offset = srv.repl.offset;
    let caught_up = match &f.target {
        Some((host, port)) => srv.repl.replicas.values().find(|l| {
            l.ip().eq_ignore_ascii_case(host)
                && l.info.listening_port == *port
                && l.ack_off == offset
        }),
        None => srv.repl.replicas.values().find(|l| l.ack_off == offset),
    };
    let Some(link) = caught_up else {
        return;
    };
    let (host, port) = (link.ip().to_string(), link.info.listening_port);
    tracing::info!("Failover target {host}:{port} is synced, failing over.");
    srv.repl.failover.target = Some((host.clone(), port));
    srv.repl.failover.state = FailoverState::InProgress;
    super::replica::set_master(srv, host, port);
}

/// Gives up: back to master if we already turned into a replica, writes resume.
pub fn abort(srv: &mut Server, reason: &str) {
    if !srv.repl.failover.active() {
        return;
    }
    match &srv.repl.failover.target {
        Some((h, p)) => tracing::info!("FAILOVER to {h}:{p} aborted: {reason}"),
        None => tracing::info!("FAILOVER to any replica aborted: {reason}"),
    }
    if srv.repl.failover.in_progress() {
        // unset_master refuses nothing, but REPLICAOF's guard must not see the failover.
        srv.repl.failover.state = FailoverState::None;
        super::replica::unset_master(srv);
    }
    clear(srv);
}

/// Ends the failover state and wakes the clients held by the write pause.
pub fn clear(srv: &mut Server) {
    srv.repl.failover = Failover::default();
    srv.wake_held_clients();
}
