//! Redis 7.0's append-only file: a multi-part AOF (`<dir>/<appenddirname>/` with a base file,
//! incr files and the manifest), fed with the write stream the replication code builds, written
//! by a thread (see [`writer`]), rewritten in the background from the same fork-less snapshot
//! BGSAVE uses (see [`rewrite`]), and loaded at start-up (see [`load`]).

pub mod base;
pub mod load;
pub mod manifest;
pub mod rewrite;
pub mod startup;
pub mod stream;
pub mod writer;

use std::path::PathBuf;
use std::rc::Rc;

use bytes::Bytes;

use crate::server::connection::SharedServer;
use crate::server::replication::propagate::encode_command;
use crate::server::state::Server;
use manifest::Manifest;
use writer::Writer;

/// Whether the AOF is on (Redis's `aof_state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// No AOF.
    Off,
    /// Appending to the last incr file.
    On,
    /// Turned on at runtime: waiting for the first rewrite to create the base.
    WaitRewrite,
}

/// AOF state of the server.
pub struct AofState {
    /// On, off, or waiting for the first rewrite.
    pub status: Status,
    /// The files of the AOF as the manifest on disk lists them.
    pub manifest: Manifest,
    /// Database the stream selected last (-1: the next command starts with SELECT).
    pub selected_db: i64,
    /// Unix seconds of the last `#TS:` annotation.
    pub cur_ts: i64,
    /// Stream bytes not yet handed to the writer (Redis's `aof_buf`).
    pub buf: Vec<u8>,
    /// Stream offset fed so far (the writer counts in the same space).
    pub fed: u64,
    /// The writer thread, while a file is open.
    pub writer: Option<Writer>,
    /// Wakes the task that hands `buf` to the writer once per event-loop turn.
    pub kick: Rc<tokio::sync::Notify>,
    /// Size of the files outside what the current writer wrote since `size_mark`.
    pub size_baseline: u64,
    /// Stream offset `size_baseline` was measured at.
    pub size_mark: u64,
    /// `aof_base_size`: the size right after the last rewrite (or of the base at start-up).
    pub base_size: u64,
    /// The rewrite in progress.
    pub rewrite: Option<rewrite::Rewrite>,
    /// A rewrite waits for the running background save to end.
    pub rewrite_scheduled: bool,
    /// Duration of the last rewrite, seconds (-1: none).
    pub last_rewrite_secs: i64,
    /// Whether the last rewrite succeeded.
    pub last_rewrite_ok: bool,
    /// Rewrites started (`aof_rewrites`).
    pub rewrites: u64,
    /// Failed rewrites in a row (`aof_rewrites_consecutive_failures`).
    pub consecutive_failures: u64,
    /// Back-off of automatic rewrites after repeated failures.
    pub limit: rewrite::Limit,
    /// DEBUG AOF-FLUSH-SLEEP: microseconds the writer sleeps before each write (testing aid).
    pub flush_sleep_us: u64,
}

impl Default for AofState {
    fn default() -> Self {
        AofState {
            status: Status::Off,
            manifest: Manifest::default(),
            selected_db: -1,
            cur_ts: 0,
            buf: Vec::new(),
            fed: 0,
            writer: None,
            kick: Rc::new(tokio::sync::Notify::new()),
            size_baseline: 0,
            size_mark: 0,
            base_size: 0,
            rewrite: None,
            rewrite_scheduled: false,
            last_rewrite_secs: -1,
            last_rewrite_ok: true,
            rewrites: 0,
            consecutive_failures: 0,
            limit: rewrite::Limit::default(),
            flush_sleep_us: 0,
        }
    }
}

impl AofState {
    /// `aof_current_size`: the files' total size including what was written since.
    pub fn current_size(&self) -> u64 {
        let written = self.writer.as_ref().map_or(self.size_mark, Writer::written);
        self.size_baseline + written.saturating_sub(self.size_mark)
    }

    /// Bytes buffered for the AOF (`aof_buffer_length`, `mem_aof_buffer`).
    pub fn buffer_len(&self) -> u64 {
        self.buf.len() as u64 + self.writer.as_ref().map_or(0, Writer::queued)
    }

    /// The write or fsync error that stops writes, while it lasts.
    pub fn error(&self) -> Option<String> {
        if self.status == Status::Off {
            return None;
        }
        self.writer.as_ref().and_then(Writer::error)
    }
}

/// The AOF directory (relative to `dir`, the working directory).
pub fn dir(srv: &Server) -> PathBuf {
    PathBuf::from(&srv.config.appenddirname)
}

/// Whether the write stream goes to the AOF now: a file is open and no load is running.
pub fn accepting(srv: &Server) -> bool {
    srv.aof.writer.is_some() && srv.rdb.loading.is_none()
}

/// Appends one command of the write stream: a `#TS:` annotation when the second changed (with
/// `aof-timestamp-enabled`), SELECT when the database changed, then the command.
pub fn feed(srv: &mut Server, db: i64, argv: &[Bytes]) {
    let ts_enabled = srv.config.aof_timestamp_enabled;
    let now = srv.now_ms / 1000;
    let a = &mut srv.aof;
    let before = a.buf.len();
    if ts_enabled && a.cur_ts < now {
        a.cur_ts = now;
        stream::timestamp_annotation(&mut a.buf, now);
    }
    if db >= 0 && a.selected_db != db {
        let d = db.to_string();
        encode_command(&mut a.buf, &[&b"SELECT"[..], d.as_bytes()]);
        a.selected_db = db;
    }
    encode_command(&mut a.buf, argv);
    a.fed += (a.buf.len() - before) as u64;
    if before == 0 {
        a.kick.notify_one();
    }
}

/// Hands the buffered stream to the writer now (or writes it at once, see
/// [`Writer::write_inline`]).
pub fn flush_buffer(srv: &mut Server) {
    let a = &mut srv.aof;
    match &a.writer {
        Some(w) => {
            if !w.write_inline(&mut a.buf) {
                w.hand_over(&mut a.buf);
            }
        }
        None => a.buf.clear(),
    }
}

/// Writes and fsyncs everything fed so far, blocking (SHUTDOWN, DEBUG LOADAOF).
pub fn sync_blocking(srv: &mut Server) {
    flush_buffer(srv);
    if let Some(w) = &srv.aof.writer {
        w.sync_blocking();
    }
}

/// Hands the buffer to the writer once per event-loop turn (Redis does it in `beforeSleep`):
/// the notification is taken when the buffer fills, and the task runs after the tasks already
/// ready, so one hand-over covers the whole turn.
pub async fn flusher(server: SharedServer) {
    let kick = server.borrow().aof.kick.clone();
    loop {
        kick.notified().await;
        let mut srv = server.borrow_mut();
        flush_buffer(&mut srv);
    }
}

/// What a connection must wait for before sending its replies: the stream fed so far written
/// to the file (`write(2)` done, so a crash of the process loses nothing acknowledged or
/// observed), and with `appendfsync always` also on disk. `None` when nothing is pending.
///
/// The buffer is not handed over here: [`flusher`] does it once at the end of the event-loop
/// turn, so the replies of every connection served in the turn wait for one write (and one
/// `fdatasync` with `always`), as Redis's `beforeSleep` writes before its replies go out.
pub fn reply_gate(srv: &Server) -> Option<impl std::future::Future<Output = ()> + use<>> {
    let target = srv.aof.fed;
    let w = srv.aof.writer.as_ref()?;
    if w.acked() >= target {
        return None;
    }
    Some(w.acked_at_least(target))
}

/// DEBUG AOF-FLUSH-SLEEP: the writer sleeps this long before each write.
pub fn set_flush_sleep(srv: &mut Server, us: u64) {
    srv.aof.flush_sleep_us = us;
    if let Some(w) = &srv.aof.writer {
        w.set_flush_sleep(us);
    }
}

/// Starts a writer on `spec` with the current settings.
pub fn start_writer(
    srv: &Server,
    spec: writer::OpenSpec,
) -> Result<(Writer, writer::Opened), String> {
    let (w, opened) = Writer::start(spec, srv.config.appendfsync)?;
    w.set_flush_sleep(srv.aof.flush_sleep_us);
    tokio::task::spawn_local(w.relay());
    Ok((w, opened))
}

/// Reacts to CONFIG SET of AOF directives.
pub fn config_changed(srv: &mut Server, name: &str) -> Result<(), String> {
    match name {
        "appendonly" => {
            if srv.config.appendonly && srv.aof.status == Status::Off {
                rewrite::start_append_only(srv)
                    .map_err(|_| "ERR CONFIG SET failed (possibly related to argument 'appendonly') - Unable to turn on AOF. Check server logs.".to_string())?;
            } else if !srv.config.appendonly && srv.aof.status != Status::Off {
                rewrite::stop_append_only(srv);
            }
        }
        "appendfsync" => {
            if let Some(w) = &srv.aof.writer {
                w.set_policy(srv.config.appendfsync);
            }
        }
        "aof-disable-auto-gc" if !srv.config.aof_disable_auto_gc => {
            rewrite::delete_history(srv);
        }
        _ => {}
    }
    Ok(())
}

/// Housekeeping from the server cron: scheduled and automatic rewrites, and whether fsyncs
/// pause while a background save runs (`no-appendfsync-on-rewrite`).
pub fn cron(srv: &mut Server) {
    if let Some(w) = &srv.aof.writer {
        w.set_skip_fsync(srv.config.no_appendfsync_on_rewrite && srv.rdb.bgsave.is_some());
    }
    rewrite::cron(srv);
}

/// The MISCONF text when AOF errors refuse writes.
pub fn misconf(srv: &Server) -> Option<String> {
    srv.aof
        .error()
        .map(|e| format!("MISCONF Errors writing to the AOF file: {e}"))
}
