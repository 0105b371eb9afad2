//! Shutting down as Redis 7.0 does (`prepareForShutdown` / `finishShutdown`): SHUTDOWN
//! [NOSAVE|SAVE] [NOW] [FORCE] [ABORT] and SIGTERM/SIGINT (per `shutdown-on-sigterm` /
//! `shutdown-on-sigint`).
//!
//! A master with replicas first pauses writes, asks its replicas for an ACK (REPLCONF GETACK)
//! and waits up to `shutdown-timeout` seconds for all of them to acknowledge the whole stream;
//! the SHUTDOWN callers stay blocked meanwhile and INFO shows `shutdown_in_milliseconds`. Then
//! the final save runs (its failure cancels the shutdown unless FORCE) and the process exits.
//! NOW skips the wait; ABORT cancels a shutdown that waits (its callers get an error).

use crate::resp::Reply;
use crate::server::client::{ClientId, Outbound};
use crate::server::persistence::rdb::lifecycle;
use crate::server::replication::master::ReplicaState;
use crate::server::state::Server;

/// What a shutdown was asked to do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ShutdownFlags {
    /// Save even without save points.
    pub save: bool,
    /// Do not save even with save points.
    pub nosave: bool,
    /// Do not wait for replicas.
    pub now: bool,
    /// Exit even when the final save fails.
    pub force: bool,
}

impl ShutdownFlags {
    /// Reads `shutdown-on-sigterm` / `shutdown-on-sigint` (`default` or some of `save`,
    /// `nosave`, `now`, `force`).
    pub fn from_words(words: &str) -> ShutdownFlags {
        let has = |w: &str| words.split_ascii_whitespace().any(|x| x == w);
        ShutdownFlags {
            save: has("save"),
            nosave: has("nosave"),
            now: has("now"),
            force: has("force"),
        }
    }
}

/// A shutdown signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// SIGTERM.
    Term,
    /// SIGINT.
    Int,
}

impl Signal {
    fn directive(self) -> &'static str {
        match self {
            Signal::Term => "shutdown-on-sigterm",
            Signal::Int => "shutdown-on-sigint",
        }
    }
}

/// A shutdown waiting for replicas to catch up.
#[derive(Debug, Clone, Copy)]
struct Waiting {
    flags: ShutdownFlags,
    /// Unix ms when it proceeds anyway.
    deadline_ms: i64,
}

/// Where the server is in shutting down.
#[derive(Debug, Default)]
pub struct ShutdownState {
    /// A signal asked for a shutdown that the cron has not started yet.
    signal: Option<Signal>,
    /// The shutdown waiting for replicas.
    waiting: Option<Waiting>,
    /// Clients blocked in SHUTDOWN until it completes or fails.
    callers: Vec<ClientId>,
    /// The shutdown is complete: the process exits now.
    pub exit: bool,
}

impl ShutdownState {
    /// Writes are paused while the shutdown waits for replicas.
    pub fn pauses_writes(&self) -> bool {
        self.waiting.is_some()
    }

    /// Milliseconds until a waiting shutdown proceeds anyway (INFO `shutdown_in_milliseconds`).
    pub fn remaining_ms(&self, now_ms: i64) -> Option<i64> {
        self.waiting.map(|w| (w.deadline_ms - now_ms).max(0))
    }

    /// Whether a signal already asked for a shutdown (a second SIGINT exits at once).
    pub fn signalled(&self) -> bool {
        self.signal.is_some()
    }
}

/// What became of a shutdown request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Done: the process exits.
    Exit,
    /// Waiting for replicas (or another shutdown already does).
    Waiting,
    /// The final save failed: the server keeps running.
    Failed,
}

/// Starts a shutdown (Redis's `prepareForShutdown`).
pub fn prepare(srv: &mut Server, mut flags: ShutdownFlags) -> Outcome {
    if srv.shutdown.waiting.is_some() {
        return Outcome::Waiting;
    }
    // Saving a half-loaded dataset would destroy the file; a sentinel has no dataset.
    if srv.rdb.loading.is_some() || srv.sentinel.is_some() {
        flags.save = false;
        flags.nosave = true;
    }
    tracing::warn!("User requested shutdown...");
    if !flags.now && srv.config.shutdown_timeout != 0 && !replicas_in_sync(srv) {
        // Asked before the pause starts: a paused master does not grow its stream.
        crate::server::replication::master::request_acks(srv);
        srv.shutdown.waiting = Some(Waiting {
            flags,
            deadline_ms: srv.now_ms + srv.config.shutdown_timeout as i64 * 1000,
        });
        tracing::info!("Waiting for replicas before shutting down.");
        return Outcome::Waiting;
    }
    finish(srv, flags)
}

/// Whether every replica acknowledged the whole stream.
fn replicas_in_sync(srv: &Server) -> bool {
    srv.repl
        .replicas
        .values()
        .all(|l| l.ack_off == srv.repl.offset)
}

/// Completes a shutdown (Redis's `finishShutdown`): reports lagging replicas, stops a
/// background save, saves if asked to, removes the pidfile. A failed save cancels the shutdown
/// unless FORCE.
fn finish(srv: &mut Server, flags: ShutdownFlags) -> Outcome {
    let offset = srv.repl.offset;
    let now_s = srv.now_ms / 1000;
    let mut lagging = 0;
    for l in srv.repl.replicas.values() {
        if l.ack_off != offset {
            lagging += 1;
            let lag = if l.state == ReplicaState::Online {
                now_s - l.ack_time
            } else {
                0
            };
            tracing::warn!(
                "Lagging replica {} reported offset {} behind master, lag={}, state={}.",
                l.name(),
                offset - l.ack_off,
                lag,
                l.state.name()
            );
        }
    }
    let total = srv.repl.replicas.len();
    if total > 0 {
        tracing::info!(
            "{} of {} replicas are in sync when shutting down.",
            total - lagging,
            total
        );
    }
    if lifecycle::final_save(srv, flags).is_err() {
        tracing::warn!(
            "Errors trying to shut down the server. Check the logs for more information."
        );
        cancel(srv);
        return Outcome::Failed;
    }
    if let Some(pidfile) = srv.config.pidfile.clone() {
        tracing::info!("Removing the pid file.");
        let _ = std::fs::remove_file(pidfile);
    }
    let name = if srv.sentinel.is_some() {
        "Sentinel"
    } else {
        "vigil"
    };
    tracing::warn!("{name} is now ready to exit, bye bye...");
    srv.shutdown.waiting = None;
    srv.shutdown.exit = true;
    Outcome::Exit
}

/// Gives up a shutdown: its callers get an error, paused writes resume.
fn cancel(srv: &mut Server) {
    srv.shutdown.signal = None;
    srv.shutdown.waiting = None;
    for id in std::mem::take(&mut srv.shutdown.callers) {
        let Some(entry) = srv.clients.by_id.get(&id).cloned() else {
            continue;
        };
        let Ok(mut c) = entry.client.try_borrow_mut() else {
            continue;
        };
        if c.blocked.is_none() {
            continue;
        }
        crate::server::dispatch::unblock(srv, &mut c);
        let _ = entry.shared.tx.send(Outbound::Unblocked(Reply::err(
            "ERR Errors trying to SHUTDOWN. Check logs.",
        )));
    }
    srv.wake_held_clients();
}

/// SHUTDOWN ABORT: cancels a waiting shutdown (or one a signal asked for). False when there is
/// none.
pub fn abort(srv: &mut Server) -> bool {
    if srv.shutdown.waiting.is_some() {
        cancel(srv);
    } else if srv.shutdown.signal.is_some() {
        srv.shutdown.signal = None;
    } else {
        return false;
    }
    tracing::info!("Shutdown manually aborted.");
    true
}

/// Remembers a client blocked in SHUTDOWN, to answer it if the shutdown fails.
pub fn add_caller(srv: &mut Server, id: ClientId) {
    srv.shutdown.callers.push(id);
}

/// A shutdown signal arrived; the cron acts on it. Returns false when the process must exit
/// at once (a second SIGINT, as in Redis).
pub fn on_signal(srv: &mut Server, sig: Signal) -> bool {
    if sig == Signal::Int && srv.shutdown.signal.is_some() {
        tracing::warn!("You insist... exiting now.");
        let _ = std::fs::remove_file(crate::server::persistence::rdb::save::temp_path());
        return false;
    }
    if srv.rdb.loading.is_some() {
        tracing::warn!("Received shutdown signal during loading, scheduling shutdown.");
    } else {
        match sig {
            Signal::Term => tracing::warn!("Received SIGTERM scheduling shutdown..."),
            Signal::Int => tracing::warn!("Received SIGINT scheduling shutdown..."),
        }
    }
    srv.shutdown.signal = Some(sig);
    true
}

/// Called by the cron: starts the shutdown a signal asked for, and completes a waiting one
/// when its replicas caught up or its time is over.
pub fn cron(srv: &mut Server) {
    if srv.shutdown.exit {
        return;
    }
    if let Some(w) = srv.shutdown.waiting {
        if srv.now_ms >= w.deadline_ms || replicas_in_sync(srv) {
            finish(srv, w.flags);
        }
        return;
    }
    if let Some(sig) = srv.shutdown.signal {
        let words = srv
            .config
            .value(sig.directive())
            .map(|v| String::from_utf8_lossy(&v).into_owned())
            .unwrap_or_default();
        if prepare(srv, ShutdownFlags::from_words(&words)) == Outcome::Failed
            && srv.rdb.loading.is_some()
        {
            tracing::warn!(
                "SIGTERM received but errors trying to shut down the server, check the logs for more information"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signal_directive_words() {
        assert_eq!(
            ShutdownFlags::from_words("default"),
            ShutdownFlags::default()
        );
        let f = ShutdownFlags::from_words("nosave now force");
        assert!(f.nosave && f.now && f.force && !f.save);
        assert!(ShutdownFlags::from_words("save").save);
    }
}
