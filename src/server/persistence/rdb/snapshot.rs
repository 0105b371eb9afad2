//! BGSAVE without fork: a point-in-time snapshot serialized incrementally from the event loop.
//!
//! When a background save starts, every non-empty database gets a [`DbSnap`]: a cursor over its
//! entry table (walked from the end towards index 0) plus a set of keys already written.
//! The invariant is that every key that existed when the save started and has not been written
//! yet sits at an index below the cursor and is not in the written set. The driver task advances
//! the cursors in time slices of about a millisecond, yielding to client tasks in between.
//! Every keyspace mutation first calls the database's pre-write hook (see `Db::insert`,
//! `Db::remove`, `Db::set_expire`, `Server::lookup_write`): if the key is still pending, its
//! current (= start-time) value is serialized right then into the database's side buffer.
//! Removal moves the table's last entry into the hole (swap-remove); when that entry was
//! already behind the cursor it is marked as written so it is not saved twice. Keys created
//! after the start are appended past the cursor and never visited. FLUSHDB hands the old table
//! to the save ([`retire_db`]), SWAPDB moves tables together with their snapshot state, and
//! FLUSHALL, DEBUG RELOAD and SHUTDOWN abort the save as Redis kills its child.
//!
//! The serialized stream goes in 1 MB chunks to a writer thread that computes the CRC-64,
//! writes `temp-<pid>.rdb`, fsyncs, and renames it over the target file.

use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::server::key::Key;

use super::encode::{self, Encoder, SaveOptions, Span};
use super::save;
use crate::server::connection::SharedServer;
use crate::server::db::Db;
use crate::server::state::{Server, unix_ms};
use crate::server::value::{Entry, FastMap, FastSet};

/// Shortest serialization slice on the event loop.
const MIN_SLICE: Duration = Duration::from_micros(50);
/// Longest slice: bounds the latency a save adds to a command.
const MAX_SLICE: Duration = Duration::from_micros(500);
/// Below this gap between two slices nothing else was waiting: the loop is idle.
const IDLE_GAP: Duration = Duration::from_micros(50);
/// When clients are busy, the save takes this fraction of the time they took (1/4 = 20% of
/// the loop), so a save adds little latency; idle, it runs in long slices.
const SHARE_DIVISOR: u32 = 4;
/// Stream bytes gathered before handing them to the writer thread.
const CHUNK: usize = 1 << 20;
/// Chunks queued to the writer before the driver waits (bounds the memory in flight).
const QUEUE: usize = 4;

/// Snapshot state of one database during a background save.
pub struct DbSnap {
    /// Database number at the time the save started.
    pub dbid: usize,
    /// Entries at indexes below this have not been visited by the driver yet.
    pub cursor: usize,
    /// Keys already written (or moved below the cursor after being written).
    written: FastSet<Key>,
    /// Records produced by the pre-write hook, not yet moved to the stream.
    out: Vec<u8>,
    enc: Serializer,
    size: usize,
    expires: usize,
    header_written: bool,
}

impl std::fmt::Debug for DbSnap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbSnap")
            .field("dbid", &self.dbid)
            .field("cursor", &self.cursor)
            .field("written", &self.written.len())
            .finish()
    }
}

impl DbSnap {
    fn new(dbid: usize, size: usize, expires: usize, enc: Serializer) -> Self {
        DbSnap {
            dbid,
            cursor: size,
            written: FastSet::default(),
            out: Vec::new(),
            enc,
            size,
            expires,
            header_written: false,
        }
    }

    fn write_entry(&mut self, key: &Key, entry: &Entry) {
        self.enc.key_value(&mut self.out, key, entry);
        self.written.insert(key.clone());
    }

    /// Pre-write hook: the entry at `idx` is about to change; save it first if still pending.
    pub fn before_change(&mut self, entries: &FastMap<Key, Entry>, idx: usize) {
        if idx >= self.cursor {
            return;
        }
        if let Some((k, e)) = entries.get_index(idx)
            && !self.written.contains(k)
        {
            self.write_entry(k, e);
        }
    }

    /// Pre-remove hook: saves the entry at `idx` if pending, and marks the last entry as
    /// written when the swap-removal is about to move it from behind the cursor into the
    /// unvisited region.
    pub fn before_remove(&mut self, entries: &FastMap<Key, Entry>, idx: usize) {
        self.before_change(entries, idx);
        let last = entries.len().saturating_sub(1);
        if idx < self.cursor
            && last >= self.cursor
            && last != idx
            && let Some((k, _)) = entries.get_index(last)
        {
            self.written.insert(k.clone());
        }
    }

    /// Post-remove hook: keeps the cursor within the table.
    pub fn after_remove(&mut self, len: usize) {
        self.cursor = self.cursor.min(len);
    }

    /// Saves every pending entry now (the table is about to be emptied in place).
    pub fn save_all(&mut self, entries: &FastMap<Key, Entry>) {
        while self.cursor > 0 {
            self.cursor -= 1;
            if let Some((k, e)) = entries.get_index(self.cursor)
                && !self.written.contains(k)
            {
                self.enc.key_value(&mut self.out, k, e);
            }
        }
    }
}

/// How a snapshot serializes keys: RDB records (dump files, full syncs, an RDB-preamble AOF
/// base) or the commands of a command-form AOF base.
pub enum Serializer {
    /// RDB records; long strings are compressed later by the writer thread.
    Rdb(Encoder),
    /// SET/RPUSH/SADD/ZADD/HMSET and PEXPIREAT commands.
    Commands,
}

impl Serializer {
    fn key_value(&mut self, out: &mut Vec<u8>, key: &Key, entry: &Entry) {
        match self {
            Serializer::Rdb(enc) => enc.key_value(out, key, entry),
            Serializer::Commands => {
                crate::server::persistence::aof::base::write_key(out, key, entry)
            }
        }
    }

    fn take_spans(&mut self) -> Vec<Span> {
        match self {
            Serializer::Rdb(enc) => enc.take_spans(),
            Serializer::Commands => Vec::new(),
        }
    }
}

/// What a background save produces, for the bookkeeping around it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveKind {
    /// BGSAVE, save points, disk-based replication: `dbfilename`.
    Rdb,
    /// A diskless full synchronisation.
    Diskless,
    /// The base file of an AOF rewrite.
    AofBase,
}

/// Messages to the writer thread.
enum Msg {
    /// Stream bytes, with the strings still to compress.
    Data(Vec<u8>, Vec<Span>),
    Finish,
}

/// A background save in progress.
pub struct BgSave {
    /// Identifies this save.
    pub generation: u64,
    /// Unix ms when it started.
    pub start_ms: i64,
    /// `dirty` when it started (the changes it covers).
    pub dirty_at_start: u64,
    /// Keys in the snapshot.
    pub keys_total: u64,
    /// Keys serialized so far.
    pub keys_done: u64,
    /// Slices run on the event loop so far, and their total duration (the save's cost there).
    pub slices: u64,
    /// Event-loop time spent serializing, microseconds (slices plus write-through hooks are
    /// not separated: hooks run inside the commands that trigger them).
    pub loop_us: u64,
    tx: Option<SyncSender<Msg>>,
    stream: Vec<u8>,
    spans: Vec<Span>,
    pending: Option<(Vec<u8>, Vec<Span>)>,
    cur_db: Option<usize>,
    detached: Vec<Db>,
    writer: Option<JoinHandle<()>>,
    finished: bool,
    /// What the save produces.
    pub kind: SaveKind,
    /// Database headers are SELECT commands (command-form AOF base) rather than RDB opcodes.
    commands: bool,
}

/// Hands a database table taken out of the keyspace (FLUSHDB) to the running save if it is
/// still being saved, or frees it in the background.
pub fn retire_db(srv: &mut Server, db: Db) {
    match (&mut srv.rdb.bgsave, &db.snap) {
        (Some(b), Some(_)) => b.detached.push(db),
        _ => crate::server::commands::keys::drop_in_background(db),
    }
}

fn clear_snapshot_state(srv: &mut Server) {
    for db in &mut srv.dbs {
        db.snap = None;
    }
}

/// Why a background save could not start.
pub enum StartError {
    /// One is running already.
    InProgress,
    /// The server handle is not available (not running inside the event loop).
    NoRuntime,
}

/// Where a background save goes.
pub enum Target {
    /// `dbfilename` (BGSAVE, save points).
    File,
    /// `dbfilename` for a disk-based full synchronisation: replicas wait for it, so its writer
    /// thread competes for the CPU like Redis's forked child instead of yielding it.
    FileForReplicas,
    /// Replicas of a diskless full synchronisation: every chunk (and the checksum trailer, then
    /// an empty chunk as end marker) is sent to each channel; a full channel slows the save
    /// down, as a slow socket slows Redis's child. Dropping a receiver just stops feeding that
    /// replica.
    Replicas(Vec<tokio::sync::mpsc::Sender<Bytes>>),
    /// The base file of an AOF rewrite, written to `path` (a temporary name; the rewrite moves
    /// it into the AOF directory): RDB with `aof-base 1`, or commands.
    AofBase {
        /// Where to write it.
        path: std::path::PathBuf,
        /// RDB format (`aof-use-rdb-preamble yes`).
        rdb: bool,
        /// A `#TS:` annotation to start the command form with (`aof-timestamp-enabled`).
        timestamp: Option<i64>,
    },
}

/// Starts a background save of the whole dataset to `dbfilename`.
pub fn start(srv: &mut Server) -> Result<(), StartError> {
    start_to(srv, Target::File)
}

/// Starts a background save of the whole dataset to `target`.
pub fn start_to(srv: &mut Server, target: Target) -> Result<(), StartError> {
    if srv.rdb.bgsave.is_some() {
        return Err(StartError::InProgress);
    }
    let Some(server) = srv.self_ref.upgrade() else {
        return Err(StartError::NoRuntime);
    };
    let now = unix_ms();
    srv.rdb.generation += 1;
    srv.rdb.last_bgsave_try = now / 1000;
    // Counted per attempt, as Redis counts `rdb_saves` (a diskless transfer is not a save).
    if !matches!(target, Target::Replicas(_)) {
        srv.rdb.saves += 1;
    }
    let kind = match &target {
        Target::File | Target::FileForReplicas => SaveKind::Rdb,
        Target::Replicas(_) => SaveKind::Diskless,
        Target::AofBase { .. } => SaveKind::AofBase,
    };
    let commands = matches!(target, Target::AofBase { rdb: false, .. });
    let generation = srv.rdb.generation;
    let opts = save::save_options(srv, now);
    let mut keys_total = 0u64;
    for (i, db) in srv.dbs.iter_mut().enumerate() {
        if db.is_empty() {
            continue;
        }
        keys_total += db.len() as u64;
        let enc = if commands {
            Serializer::Commands
        } else {
            Serializer::Rdb(Encoder::deferring(opts.clone()))
        };
        db.snap = Some(Box::new(DbSnap::new(i, db.len(), db.volatile.len(), enc)));
    }
    let mut stream = Vec::with_capacity(CHUNK + CHUNK / 4);
    match &target {
        Target::AofBase {
            rdb: false,
            timestamp,
            ..
        } => {
            if let Some(ts) = timestamp {
                crate::server::persistence::aof::stream::timestamp_annotation(&mut stream, *ts);
            }
        }
        // An AOF base carries no replication fields (Redis passes no rdbSaveInfo there).
        Target::AofBase { .. } => encode::write_header(
            &mut stream,
            now / 1000,
            srv.used_memory() as u64,
            None,
            true,
        ),
        _ => {
            let repl = crate::server::replication::save_info(srv);
            encode::write_header(
                &mut stream,
                now / 1000,
                srv.used_memory() as u64,
                repl.as_ref(),
                false,
            );
        }
    }
    let (tx, rx) = sync_channel::<Msg>(QUEUE);
    let (done_tx, done_rx) = tokio::sync::oneshot::channel();
    // Absolute paths: CONFIG SET dir during the save must not redirect it (a forked child
    // keeps its own working directory too).
    let base = std::env::current_dir().unwrap_or_default();
    let tmp = base.join(save::temp_path());
    let file = base.join(&srv.config.dbfilename);
    let checksum = srv.config.rdbchecksum;
    let fsync_every = srv.config.rdb_save_incremental_fsync;
    let aof_fsync_every = srv.config.aof_rewrite_incremental_fsync;
    let writer_opts = opts.clone();
    let niced = matches!(target, Target::File | Target::AofBase { .. });
    let writer = std::thread::Builder::new()
        .name("rdb-bgsave".into())
        .spawn(move || {
            // A full sync competes like Redis's forked child: only saves no replica waits for
            // yield the CPU.
            if niced {
                lower_priority();
            }
            let r = match target {
                Target::File | Target::FileForReplicas => {
                    let r = write_file(rx, &tmp, &file, writer_opts, checksum, fsync_every);
                    if r.is_err() {
                        let _ = std::fs::remove_file(&tmp);
                    }
                    r
                }
                Target::Replicas(outs) => write_replicas(rx, outs, writer_opts, checksum),
                Target::AofBase { path, rdb, .. } => {
                    let r = if rdb {
                        write_file(rx, &path, &path, writer_opts, checksum, aof_fsync_every)
                    } else {
                        write_plain(rx, &path, aof_fsync_every)
                    };
                    if r.is_err() {
                        let _ = std::fs::remove_file(&path);
                    }
                    r
                }
            };
            let _ = done_tx.send(r);
        });
    let writer = match writer {
        Ok(h) => Some(h),
        Err(e) => {
            clear_snapshot_state(srv);
            tracing::warn!("Can't save in background: {e}");
            srv.rdb.last_bgsave_failed = true;
            return Ok(());
        }
    };
    srv.rdb.bgsave = Some(BgSave {
        generation,
        start_ms: now,
        dirty_at_start: srv.dirty,
        keys_total,
        keys_done: 0,
        slices: 0,
        loop_us: 0,
        tx: Some(tx),
        stream,
        spans: Vec::new(),
        pending: None,
        cur_db: None,
        detached: Vec::new(),
        writer,
        finished: false,
        kind,
        commands,
    });
    if kind == SaveKind::AofBase {
        tracing::info!(
            "Background append only file rewriting started (in-process snapshot, {} keys)",
            keys_total
        );
    } else {
        tracing::info!(
            "Background saving started (in-process snapshot, {} keys)",
            keys_total
        );
    }
    tokio::task::spawn_local(drive(server, generation, done_rx));
    Ok(())
}

/// Stops a running background save (FLUSHALL, DEBUG RELOAD, SHUTDOWN): the temp file is
/// removed and the outcome is not counted as a failure, as when Redis kills its child.
pub fn abort(srv: &mut Server) {
    let Some(mut b) = srv.rdb.bgsave.take() else {
        return;
    };
    let kind = b.kind;
    clear_snapshot_state(srv);
    b.tx = None;
    if let Some(h) = b.writer.take() {
        let _ = h.join();
    }
    for db in b.detached.drain(..) {
        crate::server::commands::keys::drop_in_background(db);
    }
    if kind == SaveKind::AofBase {
        crate::server::persistence::aof::rewrite::killed(srv);
    } else {
        tracing::warn!("Background saving aborted");
    }
}

/// Stops a running background save unless it is an AOF rewrite (FLUSHALL: Redis kills only
/// its RDB child; the rewrite's snapshot stays valid since the incr file records the flush).
pub fn abort_rdb(srv: &mut Server) {
    if srv
        .rdb
        .bgsave
        .as_ref()
        .is_some_and(|b| b.kind != SaveKind::AofBase)
    {
        abort(srv);
    }
}

/// The kind of the background save in progress, if any.
pub fn running_kind(srv: &Server) -> Option<SaveKind> {
    srv.rdb.bgsave.as_ref().map(|b| b.kind)
}

enum Step {
    Again,
    Wait(Duration),
    Done,
}

async fn drive(
    server: SharedServer,
    generation: u64,
    done_rx: tokio::sync::oneshot::Receiver<Result<u64, String>>,
) {
    let mut last_end = Instant::now();
    loop {
        let gap = last_end.elapsed();
        let budget = if gap < IDLE_GAP {
            MAX_SLICE
        } else {
            (gap / SHARE_DIVISOR).clamp(MIN_SLICE, MAX_SLICE)
        };
        let started = Instant::now();
        let step = {
            let mut srv = server.borrow_mut();
            match &srv.rdb.bgsave {
                Some(b) if b.generation == generation => {}
                _ => return,
            }
            let r = step(&mut srv, budget);
            if let Some(b) = srv.rdb.bgsave.as_mut() {
                b.slices += 1;
                b.loop_us += started.elapsed().as_micros() as u64;
            }
            r
        };
        last_end = Instant::now();
        match step {
            Step::Again => tokio::task::yield_now().await,
            Step::Wait(d) => tokio::time::sleep(d).await,
            Step::Done => break,
        }
    }
    let result = done_rx
        .await
        .unwrap_or_else(|_| Err("the writer thread stopped".into()));
    let mut srv = server.borrow_mut();
    finish(&mut srv, generation, result);
}

/// Writes SELECTDB (with the RESIZEDB hint the first time) unless the stream is in this
/// database already.
fn select_db(b: &mut BgSave, s: &mut DbSnap) {
    if b.cur_db == Some(s.dbid) {
        return;
    }
    if b.commands {
        crate::server::persistence::aof::base::write_select(&mut b.stream, s.dbid);
    } else if s.header_written {
        encode::write_select(&mut b.stream, s.dbid);
    } else {
        encode::write_db_start(&mut b.stream, s.dbid, s.size, s.expires);
        s.header_written = true;
    }
    b.cur_db = Some(s.dbid);
}

/// Moves a database's pending records (from the pre-write hook) into the stream, selecting
/// the database first.
fn flush_out(b: &mut BgSave, s: &mut DbSnap) {
    if s.out.is_empty() {
        return;
    }
    select_db(b, s);
    let shift = b.stream.len();
    b.stream.append(&mut s.out);
    b.spans
        .extend(s.enc.take_spans().into_iter().map(|(o, l)| (o + shift, l)));
}

/// Serializes up to the slice budget from one database. Returns true when it is complete.
///
/// Records go straight into the stream (the pre-write hook's side buffer is moved in first,
/// so the compression spans the encoder records here are offsets in the stream): no record is
/// copied twice on the event loop.
fn advance_db(db: &mut Db, b: &mut BgSave, deadline: Instant, max_keys: &mut usize) -> bool {
    let Db { entries, snap, .. } = db;
    let Some(s) = snap.as_deref_mut() else {
        return true;
    };
    flush_out(b, s);
    let mut n = 0usize;
    let mut complete = true;
    while s.cursor > 0 {
        n += 1;
        if *max_keys == 0
            || b.stream.len() >= CHUNK
            || (n.is_multiple_of(16) && Instant::now() >= deadline)
        {
            complete = false;
            break;
        }
        s.cursor -= 1;
        let Some((k, e)) = entries.get_index(s.cursor) else {
            continue;
        };
        if !s.written.is_empty() && s.written.contains(k) {
            continue;
        }
        select_db(b, s);
        s.enc.key_value(&mut b.stream, k, e);
        b.keys_done += 1;
        *max_keys -= 1;
    }
    b.spans.extend(s.enc.take_spans());
    if complete {
        *snap = None;
    }
    complete
}

/// A chunk of stream and its compression spans.
type Chunk = (Vec<u8>, Vec<Span>);

fn send(b: &mut BgSave, chunk: Chunk) -> Result<(), Option<Chunk>> {
    let Some(tx) = &b.tx else {
        return Err(None);
    };
    match tx.try_send(Msg::Data(chunk.0, chunk.1)) {
        Ok(()) => Ok(()),
        Err(TrySendError::Full(Msg::Data(d, sp))) => Err(Some((d, sp))),
        Err(_) => Err(None),
    }
}

fn step(srv: &mut Server, budget: Duration) -> Step {
    let key_delay = srv.config.rdb_key_save_delay;
    let Server { rdb, dbs, .. } = srv;
    let Some(b) = rdb.bgsave.as_mut() else {
        return Step::Done;
    };
    // Hand over what is ready; wait while the writer is behind.
    if let Some(d) = b.pending.take() {
        match send(b, d) {
            Ok(()) => {}
            Err(Some(d)) => {
                b.pending = Some(d);
                return Step::Wait(Duration::from_millis(1));
            }
            Err(None) => return writer_gone(b),
        }
    }
    if b.finished {
        return finish_writer(b);
    }
    let deadline = Instant::now() + budget;
    let mut max_keys = if key_delay > 0 { 1 } else { usize::MAX };
    let mut complete = true;
    for db in dbs.iter_mut() {
        if !advance_db(db, b, deadline, &mut max_keys) {
            complete = false;
            break;
        }
    }
    if complete {
        let mut detached = std::mem::take(&mut b.detached);
        for db in detached.iter_mut() {
            if !advance_db(db, b, deadline, &mut max_keys) {
                complete = false;
                break;
            }
        }
        if complete {
            for db in detached {
                crate::server::commands::keys::drop_in_background(db);
            }
        } else {
            b.detached = detached;
        }
    }
    if complete && !b.commands {
        b.stream.push(super::opcode::EOF);
    }
    if complete || b.stream.len() >= CHUNK {
        let data = std::mem::replace(&mut b.stream, Vec::with_capacity(CHUNK + CHUNK / 4));
        let spans = std::mem::take(&mut b.spans);
        if let Err(e) = send(b, (data, spans)) {
            match e {
                Some(d) => b.pending = Some(d),
                None => return writer_gone(b),
            }
        }
    }
    if complete {
        b.finished = true;
        if b.pending.is_none() {
            return finish_writer(b);
        }
        return Step::Wait(Duration::from_millis(1));
    }
    if key_delay > 0 {
        return Step::Wait(Duration::from_micros(key_delay as u64));
    }
    if b.pending.is_some() {
        return Step::Wait(Duration::from_millis(1));
    }
    Step::Again
}

/// Tells the writer thread the stream is complete. Never blocks: the writer may itself be
/// waiting for the event loop (a replica's socket drained by a task of this loop), so a full
/// queue is retried on the next step.
fn finish_writer(b: &mut BgSave) -> Step {
    let Some(tx) = &b.tx else {
        return Step::Done;
    };
    match tx.try_send(Msg::Finish) {
        Err(TrySendError::Full(_)) => Step::Wait(Duration::from_millis(1)),
        _ => {
            b.tx = None;
            Step::Done
        }
    }
}

/// The writer thread failed: stop producing; its error arrives through the result channel.
fn writer_gone(b: &mut BgSave) -> Step {
    b.tx = None;
    b.finished = true;
    Step::Done
}

fn finish(srv: &mut Server, generation: u64, result: Result<u64, String>) {
    if srv.rdb.bgsave.as_ref().map(|b| b.generation) != Some(generation) {
        return;
    }
    let Some(mut b) = srv.rdb.bgsave.take() else {
        return;
    };
    clear_snapshot_state(srv);
    if let Some(h) = b.writer.take() {
        let _ = h.join();
    }
    for db in b.detached.drain(..) {
        crate::server::commands::keys::drop_in_background(db);
    }
    let now = unix_ms();
    if b.kind == SaveKind::AofBase {
        crate::server::persistence::aof::rewrite::base_done(srv, result);
        return;
    }
    if b.kind == SaveKind::Diskless {
        // A diskless transfer is not a save: no change to dirty, lastsave or the save status.
        match result {
            Ok(bytes) => tracing::info!(bytes, "Diskless RDB transfer to replicas done"),
            Err(e) => tracing::warn!("Diskless RDB transfer to replicas failed: {e}"),
        }
        return;
    }
    srv.rdb.last_bgsave_secs = Some((now - b.start_ms) / 1000);
    match result {
        Ok(bytes) => {
            srv.dirty = srv.dirty.saturating_sub(b.dirty_at_start);
            srv.lastsave = now / 1000;
            srv.rdb.last_bgsave_failed = false;
            srv.rdb.last_ok_generation = generation;
            tracing::info!(
                bytes,
                ms = now - b.start_ms,
                slices = b.slices,
                loop_ms = b.loop_us / 1000,
                "Background saving terminated with success"
            );
        }
        Err(e) => {
            srv.rdb.last_bgsave_failed = true;
            tracing::warn!("Background saving error: {e}");
        }
    }
}

/// Writer thread body for a command-form AOF base: the stream as is (nothing to compress, no
/// checksum), fsynced.
fn write_plain(
    rx: Receiver<Msg>,
    path: &std::path::Path,
    incremental_fsync: bool,
) -> Result<u64, String> {
    let mut file = save::RdbFile::create_plain(path, incremental_fsync)?;
    loop {
        match rx.recv() {
            Ok(Msg::Data(d, _)) => file.write(&d)?,
            Ok(Msg::Finish) => break,
            Err(_) => return Err("background save aborted".into()),
        }
    }
    file.finish(path)
}

/// Writer thread body for a diskless full sync: every chunk to every replica still listening,
/// then the checksum trailer. Fails when no replica is left.
fn write_replicas(
    rx: Receiver<Msg>,
    mut outs: Vec<tokio::sync::mpsc::Sender<Bytes>>,
    opts: SaveOptions,
    checksum: bool,
) -> Result<u64, String> {
    let mut crc = checksum.then(super::crc64::Crc64::default);
    let mut total = 0u64;
    let mut enc = Encoder::new(opts);
    let mut scratch = Vec::new();
    let forward = |outs: &mut Vec<tokio::sync::mpsc::Sender<Bytes>>, data: Bytes| {
        outs.retain(|tx| tx.blocking_send(data.clone()).is_ok());
        if outs.is_empty() {
            Err("every replica went away".to_string())
        } else {
            Ok(())
        }
    };
    loop {
        match rx.recv() {
            Ok(Msg::Data(d, spans)) => {
                let chunk = encode::materialize_owned(d, &spans, &mut enc, &mut scratch)?;
                if let Some(c) = &mut crc {
                    c.update(&chunk);
                }
                total += chunk.len() as u64;
                forward(&mut outs, Bytes::from(chunk))?;
            }
            Ok(Msg::Finish) => break,
            Err(_) => return Err("background save aborted".into()),
        }
    }
    let trailer = crc.as_ref().map_or(0, |c| c.value()).to_le_bytes();
    forward(&mut outs, Bytes::copy_from_slice(&trailer))?;
    // An empty chunk marks the end: a channel closed without it means the save was aborted.
    forward(&mut outs, Bytes::new())?;
    Ok(total + 8)
}

/// Lets the event loop win the CPU over the writer thread (compression, checksum, I/O) on a
/// busy machine: on Linux the nice value is per thread.
fn lower_priority() {
    // SAFETY: setpriority only reads its integer arguments; `who` 0 is the calling thread.
    let rc = unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, 10) };
    if rc != 0 {
        tracing::debug!("cannot lower the priority of the background save thread");
    }
}

/// Writer thread body: compress the deferred strings, stream to the temp file with the
/// checksum, then fsync and rename.
fn write_file(
    rx: Receiver<Msg>,
    tmp: &std::path::Path,
    target: &std::path::Path,
    opts: SaveOptions,
    checksum: bool,
    incremental_fsync: bool,
) -> Result<u64, String> {
    let mut file = save::RdbFile::create(tmp, checksum, incremental_fsync)?;
    let mut enc = Encoder::new(opts);
    let mut scratch = Vec::new();
    loop {
        match rx.recv() {
            Ok(Msg::Data(d, spans)) => {
                encode::materialize(&d, &spans, &mut enc, &mut scratch, |p| file.write(p))?
            }
            Ok(Msg::Finish) => break,
            Err(_) => return Err("background save aborted".into()),
        }
    }
    file.finish(target)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::server::commands::debug::value_digest;
    use crate::server::persistence::rdb::decode::{self, LoadOptions, LruSetter, Reader};
    use crate::server::value::{NO_EXPIRE, Value};

    fn bgsave() -> BgSave {
        BgSave {
            generation: 1,
            start_ms: 0,
            dirty_at_start: 0,
            keys_total: 0,
            keys_done: 0,
            slices: 0,
            loop_us: 0,
            tx: None,
            stream: Vec::new(),
            spans: Vec::new(),
            pending: None,
            cur_db: None,
            detached: Vec::new(),
            writer: None,
            finished: false,
            kind: SaveKind::Rdb,
            commands: false,
        }
    }

    struct Rng(u64);
    impl Rng {
        fn next(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n.max(1) as u64) as usize
        }
    }

    /// Ending the stream never blocks the event loop on a full writer queue (the writer may be
    /// waiting for this very loop to drain a replica's socket): it is retried.
    #[test]
    fn finishing_with_a_full_queue_waits_instead_of_blocking() {
        let (tx, rx) = sync_channel(1);
        assert!(tx.try_send(Msg::Data(Vec::new(), Vec::new())).is_ok());
        let mut b = bgsave();
        b.tx = Some(tx);
        assert!(matches!(finish_writer(&mut b), Step::Wait(_)));
        assert!(b.tx.is_some());
        assert!(matches!(rx.recv(), Ok(Msg::Data(..))));
        assert!(matches!(finish_writer(&mut b), Step::Done));
        assert!(b.tx.is_none());
        assert!(matches!(rx.recv(), Ok(Msg::Finish)));
    }

    /// Random mutations through every hooked path while the cursor advances: the serialized
    /// stream must hold exactly the dataset as it was when the snapshot started.
    #[test]
    fn snapshot_is_point_in_time_under_random_mutations() {
        let far = 4_000_000_000_000i64;
        for seed in 1..60u64 {
            let mut rng = Rng(seed.wrapping_mul(0x9E3779B97F4A7C15));
            let mut db = Db::default();
            let n = 1 + rng.next(300);
            for i in 0..n {
                let exp = if i % 4 == 0 {
                    far + i as i64
                } else {
                    NO_EXPIRE
                };
                let v = if i % 3 == 0 {
                    Value::List(Box::new([bytes::Bytes::from(format!("e{i}"))].into()))
                } else if i % 3 == 1 {
                    // Long enough to be compressed (deferred to the writer).
                    Value::Str(format!("{}{i}", "long-value-".repeat(4)).into_bytes())
                } else {
                    Value::Str(format!("v{i}").into_bytes())
                };
                db.insert(Key::from(format!("k{i}").as_bytes()), v, exp, 0);
            }
            let expected: HashMap<Key, ([u8; 20], i64)> = db
                .entries
                .iter()
                .map(|(k, e)| (k.clone(), (value_digest(&e.value), e.expires_at)))
                .collect();
            db.snap = Some(Box::new(DbSnap::new(
                0,
                db.len(),
                db.volatile.len(),
                Serializer::Rdb(Encoder::deferring(SaveOptions::default())),
            )));
            let mut b = bgsave();
            let deadline = Instant::now() + Duration::from_secs(3600);
            let mut fresh = 0;
            loop {
                for _ in 0..rng.next(4) {
                    let len = db.len();
                    match rng.next(6) {
                        0 if len > 0 => {
                            // In-place change through the write lookup path.
                            let idx = rng.next(len);
                            db.before_change_at(idx);
                            if let Value::Str(s) = &mut db.entries[idx].value {
                                s.push(b'!');
                            } else if let Value::List(l) = &mut db.entries[idx].value {
                                l.push_back(bytes::Bytes::from_static(b"pushed"));
                            }
                        }
                        1 if len > 0 => {
                            let k = db
                                .key_at(rng.next(len))
                                .cloned()
                                .unwrap_or_else(|| Key::from(&b""[..]));
                            db.remove(&k);
                        }
                        2 if len > 0 => {
                            let k = db
                                .key_at(rng.next(len))
                                .cloned()
                                .unwrap_or_else(|| Key::from(&b""[..]));
                            db.insert(k, Value::Str(b"replaced".to_vec()), NO_EXPIRE, 0);
                        }
                        3 if len > 0 => {
                            let k = db
                                .key_at(rng.next(len))
                                .cloned()
                                .unwrap_or_else(|| Key::from(&b""[..]));
                            db.set_expire(&k, far * 2);
                        }
                        _ => {
                            fresh += 1;
                            let k = if rng.next(2) == 0 {
                                // Re-create a key that may have been deleted.
                                Key::from(format!("k{}", rng.next(n)).as_bytes())
                            } else {
                                Key::from(format!("new{fresh}").as_bytes())
                            };
                            db.insert(k, Value::Str(b"new".to_vec()), NO_EXPIRE, 0);
                        }
                    }
                }
                let mut max = 1 + rng.next(5);
                if advance_db(&mut db, &mut b, deadline, &mut max) {
                    break;
                }
            }
            let mut file = Vec::new();
            encode::write_header(&mut file, 0, 0, None, false);
            let mut enc = Encoder::new(SaveOptions::default());
            let mut tmp = Vec::new();
            encode::materialize(&b.stream, &b.spans, &mut enc, &mut tmp, |p| {
                file.extend_from_slice(p);
                Ok(())
            })
            .unwrap();
            file.push(super::super::opcode::EOF);
            file.extend_from_slice(&[0; 8]);
            let mut dbs = vec![Db::default()];
            let mut r = Reader::new(&file[..], file.len() as u64, true);
            let opts = LoadOptions {
                databases: 1,
                now_ms: 0,
                expired: decode::ExpiredKeys::Skip,
                verify_checksum: true,
                lru: LruSetter::Lru,
                key_delay_us: 0,
            };
            decode::load(&mut r, &opts, &mut dbs, |_, _| {}).unwrap();
            let got: HashMap<Key, ([u8; 20], i64)> = dbs[0]
                .entries
                .iter()
                .map(|(k, e)| (k.clone(), (value_digest(&e.value), e.expires_at)))
                .collect();
            assert_eq!(got.len(), expected.len(), "seed {seed}");
            assert!(got == expected, "seed {seed}: snapshot differs");
            assert!(db.snap.is_none());
        }
    }
}
