//! The AOF writer: a thread that owns the open incr file, so the event loop never waits for the
//! disk. The event loop accumulates the write stream and, once per event-loop turn, hands it
//! over; the thread writes whatever piled up with one `write(2)` and then applies
//! `appendfsync`. With `everysec` and `no`, when the thread is idle, the event loop does that
//! one `write(2)` itself instead ([`Writer::write_inline`]): it only copies to the page cache,
//! as Redis's event loop does, and costs less than two thread wake-ups.
//!
//! - `always`: `fdatasync` before publishing the acknowledged offset. Clients whose replies
//!   depend on the stream wait for that offset (see [`Writer::acked_at_least`]), so a reply is
//!   sent only once what it acknowledges is on disk; while the disk syncs, the next batches
//!   pile up and share the following `fdatasync` (group commit). A write or sync error exits
//!   the process, as Redis does.
//! - `everysec`: the acknowledged offset is what `write(2)` handed to the kernel (or tried to:
//!   a failed write does not hold replies back, as in Redis), so a crash of the process loses
//!   no acknowledged write. A second thread runs `fdatasync` once a second; when one is still
//!   running the next is postponed (and counted in `aof_delayed_fsync` after 2 s). Write errors
//!   are retried every second while writes are refused with `-MISCONF`.
//! - `no`: acknowledged once written, as with `everysec`; the kernel decides when to sync.
//!
//! Switching to a new incr file (an AOF rewrite starting) is a message in the same queue as the
//! data, so every byte fed before the switch lands in the old file and every byte after it in
//! the new one.

use std::cell::Cell;
use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, mpsc};
use std::time::{Duration, Instant};

use tokio::sync::{Notify, oneshot, watch};

use super::manifest::{self, Manifest};
use crate::config::AppendFsync;

/// Seconds between two logs of the same write error.
const ERROR_LOG_PERIOD: Duration = Duration::from_secs(30);
/// Buffers bigger than this are freed once empty instead of kept for reuse.
const MAX_KEPT_BUFFER: usize = 4 << 20;
/// How long an everysec fsync may be postponed by a slow one before it counts as delayed.
const MAX_POSTPONE: Duration = Duration::from_secs(2);

/// A manifest to persist once the new file is open (the rewrite's new incr file).
#[derive(Debug, Clone)]
pub struct ManifestUpdate {
    /// The AOF directory.
    pub dir: PathBuf,
    /// `appendfilename`.
    pub appendfilename: String,
    /// The manifest listing the new file.
    pub manifest: Manifest,
}

/// Which file the writer appends to.
#[derive(Debug, Clone)]
pub struct OpenSpec {
    /// The file.
    pub path: PathBuf,
    /// Start it empty (a new incr file) rather than append to what is there.
    pub truncate: bool,
    /// Create this directory first if it is missing.
    pub create_dir: Option<PathBuf>,
    /// Persist this manifest once the file is open; the switch fails if that fails.
    pub manifest: Option<ManifestUpdate>,
}

/// The outcome of opening a file (at start or at a switch).
pub type Opened = oneshot::Receiver<Result<(), String>>;

enum Msg {
    Data(Vec<u8>),
    Switch(OpenSpec, oneshot::Sender<Result<(), String>>),
    Sync(mpsc::SyncSender<()>),
    Close(Option<PathBuf>),
}

#[derive(Default)]
struct Queue {
    msgs: VecDeque<Msg>,
    spare: Vec<Vec<u8>>,
}

struct Shared {
    queue: Mutex<Queue>,
    wake: Condvar,
    /// Stream offset written to the file.
    written: AtomicU64,
    /// Stream offset known to be on disk.
    synced: AtomicU64,
    /// Bytes handed over and not yet taken by the thread.
    queued: AtomicU64,
    /// Bytes taken by the thread and not yet written.
    unwritten: AtomicU64,
    policy: AtomicU8,
    skip_fsync: AtomicBool,
    write_error: Mutex<Option<String>>,
    fsync_error: Mutex<Option<String>>,
    fsync_jobs: AtomicU64,
    delayed_fsync: AtomicU64,
    acked: watch::Sender<u64>,
    flush_sleep_us: AtomicU64,
}

fn policy_code(p: AppendFsync) -> u8 {
    match p {
        AppendFsync::Always => 0,
        AppendFsync::Everysec => 1,
        AppendFsync::No => 2,
    }
}

fn policy_of(code: u8) -> AppendFsync {
    match code {
        0 => AppendFsync::Always,
        1 => AppendFsync::Everysec,
        _ => AppendFsync::No,
    }
}

/// `strerror` text of an I/O error, as Redis prints it (without Rust's "(os error N)").
pub fn describe(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// The acknowledged offset as the event loop sees it: one task per writer ([`Writer::relay`])
/// takes the thread's notification (one cross-thread wake per batch) and wakes the waiting
/// connections from within the event loop, where waking is cheap.
#[derive(Default)]
struct LocalAcked {
    offset: Cell<u64>,
    /// The thread ended: nothing more will be acknowledged.
    gone: Cell<bool>,
    changed: Notify,
}

/// Handle to the writer thread.
pub struct Writer {
    shared: Arc<Shared>,
    /// The open file and what goes with it: the thread's while it works, the event loop's for
    /// an inline write ([`Writer::write_inline`]). `None` until the file is open and once closed.
    state: Arc<Mutex<Option<State>>>,
    acked: watch::Receiver<u64>,
    local: Rc<LocalAcked>,
    closed: bool,
}

impl Writer {
    /// Starts the thread, which opens `spec` first; the outcome arrives on the returned
    /// receiver. Data handed over meanwhile is written once the file is open.
    pub fn start(spec: OpenSpec, policy: AppendFsync) -> Result<(Writer, Opened), String> {
        let (acked_tx, acked) = watch::channel(0);
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue::default()),
            wake: Condvar::new(),
            written: AtomicU64::new(0),
            synced: AtomicU64::new(0),
            queued: AtomicU64::new(0),
            unwritten: AtomicU64::new(0),
            policy: AtomicU8::new(policy_code(policy)),
            skip_fsync: AtomicBool::new(false),
            write_error: Mutex::new(None),
            fsync_error: Mutex::new(None),
            fsync_jobs: AtomicU64::new(0),
            delayed_fsync: AtomicU64::new(0),
            acked: acked_tx,
            flush_sleep_us: AtomicU64::new(0),
        });
        let (tx, rx) = oneshot::channel();
        let s = shared.clone();
        let state = Arc::new(Mutex::new(None));
        let st = state.clone();
        std::thread::Builder::new()
            .name("aof-writer".into())
            .spawn(move || run(s, st, spec, tx))
            .map_err(|e| format!("can't start the AOF writer thread: {e}"))?;
        Ok((
            Writer {
                shared,
                state,
                acked,
                local: Rc::default(),
                closed: false,
            },
            rx,
        ))
    }

    fn push(&self, msg: Msg) {
        if let Ok(mut q) = self.shared.queue.lock() {
            q.msgs.push_back(msg);
        }
        self.shared.wake.notify_one();
    }

    /// Moves the event loop's buffer to the thread.
    pub fn hand_over(&self, buf: &mut Vec<u8>) {
        if buf.is_empty() {
            return;
        }
        let n = buf.len() as u64;
        if let Ok(mut q) = self.shared.queue.lock() {
            match q.msgs.back_mut() {
                Some(Msg::Data(v)) => v.extend_from_slice(buf),
                _ => {
                    // The buffer itself goes; the event loop continues with a spare one.
                    let spare = q.spare.pop().unwrap_or_default();
                    let v = std::mem::replace(buf, spare);
                    q.msgs.push_back(Msg::Data(v));
                }
            }
        }
        buf.clear();
        if buf.capacity() > MAX_KEPT_BUFFER {
            *buf = Vec::new();
        }
        self.shared.queued.fetch_add(n, Ordering::Relaxed);
        self.shared.wake.notify_one();
    }

    /// Writes `buf` with one `write(2)` on the calling thread (the event loop, at the end of
    /// its turn, as Redis's `beforeSleep` does) when the thread is idle: nothing queued, no
    /// write to retry, and the policy is not `always` (whose `fdatasync` must stay off the
    /// event loop). A write to the page cache costs microseconds, less than waking the thread
    /// and being woken by it. False, with `buf` untouched, when it must be handed over.
    pub fn write_inline(&self, buf: &mut Vec<u8>) -> bool {
        if buf.is_empty()
            || policy_of(self.shared.policy.load(Ordering::Relaxed)) == AppendFsync::Always
            || self.shared.flush_sleep_us.load(Ordering::Relaxed) > 0
        {
            return false;
        }
        let Ok(mut guard) = self.state.try_lock() else {
            return false;
        };
        let Some(st) = guard.as_mut() else {
            return false;
        };
        if !st.pending.is_empty()
            || self
                .shared
                .queue
                .lock()
                .map_or(true, |q| !q.msgs.is_empty())
        {
            return false;
        }
        std::mem::swap(&mut st.pending, buf);
        st.flush();
        st.apply_policy();
        if buf.capacity() > MAX_KEPT_BUFFER {
            *buf = Vec::new();
        }
        let acked = self.acked();
        drop(guard);
        self.local.offset.set(self.local.offset.get().max(acked));
        self.local.changed.notify_waiters();
        true
    }

    /// Continues in another file after everything handed over so far; the outcome arrives on
    /// the returned receiver (on failure the old file stays in use).
    pub fn switch(&self, spec: OpenSpec) -> Opened {
        let (tx, rx) = oneshot::channel();
        self.push(Msg::Switch(spec, tx));
        rx
    }

    /// `appendfsync` changed.
    pub fn set_policy(&self, p: AppendFsync) {
        self.shared.policy.store(policy_code(p), Ordering::Relaxed);
        self.shared.wake.notify_one();
    }

    /// `no-appendfsync-on-rewrite` while a background save runs: skip fsyncs.
    pub fn set_skip_fsync(&self, skip: bool) {
        self.shared.skip_fsync.store(skip, Ordering::Relaxed);
    }

    /// DEBUG AOF-FLUSH-SLEEP.
    pub fn set_flush_sleep(&self, us: u64) {
        self.shared.flush_sleep_us.store(us, Ordering::Relaxed);
    }

    /// Stream offset written to the file.
    pub fn written(&self) -> u64 {
        self.shared.written.load(Ordering::Relaxed)
    }

    /// Bytes handed over and not written yet.
    pub fn queued(&self) -> u64 {
        self.shared.unwritten.load(Ordering::Relaxed) + self.shared.queued.load(Ordering::Relaxed)
    }

    /// Background fsyncs queued or running (`aof_pending_bio_fsync`).
    pub fn pending_fsyncs(&self) -> u64 {
        self.shared.fsync_jobs.load(Ordering::Relaxed)
    }

    /// Fsyncs postponed for more than 2 s by a slow one (`aof_delayed_fsync`).
    pub fn delayed_fsyncs(&self) -> u64 {
        self.shared.delayed_fsync.load(Ordering::Relaxed)
    }

    /// The last write or background fsync error, while it lasts.
    pub fn error(&self) -> Option<String> {
        let w = self.shared.write_error.lock().ok().and_then(|e| e.clone());
        w.or_else(|| self.shared.fsync_error.lock().ok().and_then(|e| e.clone()))
    }

    /// Stream offset whose replies may go out (on disk with `always`).
    pub fn acked(&self) -> u64 {
        *self.acked.borrow()
    }

    /// Resolves once the acknowledged offset reaches `target` (or the writer is gone). Needs
    /// [`Writer::relay`] running on the same event loop.
    pub fn acked_at_least(&self, target: u64) -> impl std::future::Future<Output = ()> + use<> {
        let local = self.local.clone();
        async move {
            loop {
                // Registered before the check, so a wake between the two is not lost.
                let changed = local.changed.notified();
                if local.gone.get() || local.offset.get() >= target {
                    return;
                }
                changed.await;
            }
        }
    }

    /// Passes the thread's acknowledged offset on to the event loop's waiters; ends with the
    /// thread. Spawn it on the event loop next to the writer.
    pub fn relay(&self) -> impl std::future::Future<Output = ()> + use<> {
        let mut rx = self.acked.clone();
        let local = self.local.clone();
        async move {
            loop {
                let alive = rx.changed().await.is_ok();
                local.offset.set(*rx.borrow_and_update());
                local.gone.set(!alive);
                local.changed.notify_waiters();
                if !alive {
                    return;
                }
            }
        }
    }

    /// Writes and fsyncs everything handed over, waiting for it (SHUTDOWN, DEBUG LOADAOF).
    pub fn sync_blocking(&self) {
        let (tx, rx) = mpsc::sync_channel(1);
        self.push(Msg::Sync(tx));
        let _ = rx.recv_timeout(Duration::from_secs(60));
    }

    /// Writes and fsyncs what is left, closes the file (removing `delete` afterwards) and ends
    /// the thread, without waiting for it.
    pub fn close(mut self, delete: Option<PathBuf>) {
        self.closed = true;
        self.push(Msg::Close(delete));
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        if !self.closed {
            self.push(Msg::Close(None));
        }
    }
}

fn open(spec: &OpenSpec) -> Result<File, String> {
    if let Some(d) = &spec.create_dir {
        std::fs::create_dir_all(d).map_err(|e| {
            format!(
                "Can't open or create append-only dir {}: {}",
                d.display(),
                describe(&e)
            )
        })?;
    }
    use std::os::unix::fs::OpenOptionsExt;
    // O_APPEND, plus O_TRUNC for a new incr file (as Redis opens them).
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .custom_flags(if spec.truncate { libc::O_TRUNC } else { 0 })
        .open(&spec.path)
        .map_err(|e| {
            format!(
                "Can't open the append-only file {}: {}",
                spec.path.display(),
                describe(&e)
            )
        })?;
    if let Some(m) = &spec.manifest {
        manifest::persist(&m.dir, &m.appendfilename, &m.manifest)?;
    }
    Ok(file)
}

/// Runs `fdatasync` jobs for `everysec` (and closes replaced files) off the writer thread.
struct FsyncWorker {
    tx: mpsc::Sender<(File, u64)>,
}

impl FsyncWorker {
    fn start(shared: Arc<Shared>) -> Option<FsyncWorker> {
        let (tx, rx) = mpsc::channel::<(File, u64)>();
        std::thread::Builder::new()
            .name("aof-fsync".into())
            .spawn(move || {
                for (file, offset) in rx {
                    match file.sync_data() {
                        Ok(()) => {
                            shared.synced.fetch_max(offset, Ordering::Relaxed);
                            if let Ok(mut e) = shared.fsync_error.lock()
                                && e.take().is_some()
                            {
                                tracing::warn!(
                                    "AOF fsync error looks solved, Redis can write again."
                                );
                            }
                        }
                        Err(e) => {
                            tracing::warn!("Fail to fsync the AOF file: {}", describe(&e));
                            if let Ok(mut slot) = shared.fsync_error.lock() {
                                *slot = Some(describe(&e));
                            }
                        }
                    }
                    drop(file);
                    shared.fsync_jobs.fetch_sub(1, Ordering::Relaxed);
                }
            })
            .ok()?;
        Some(FsyncWorker { tx })
    }
}

struct State {
    shared: Arc<Shared>,
    file: File,
    /// Bytes to write (from the queue, or left over by a failed write).
    pending: Vec<u8>,
    /// Current length of the file.
    len: u64,
    /// Stream offset written.
    written: u64,
    last_fsync: Instant,
    postponed_since: Option<Instant>,
    last_error_log: Option<Instant>,
    worker: Option<FsyncWorker>,
}

impl State {
    fn policy(&self) -> AppendFsync {
        policy_of(self.shared.policy.load(Ordering::Relaxed))
    }

    /// Writes `pending`. A failed write keeps the data for a retry and records the error;
    /// with `always` it ends the process.
    fn flush(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let sleep = self.shared.flush_sleep_us.load(Ordering::Relaxed);
        if sleep > 0 {
            std::thread::sleep(Duration::from_micros(sleep));
        }
        let before = self.len;
        let mut off = 0;
        let mut err = None;
        while off < self.pending.len() {
            match self.file.write(&self.pending[off..]) {
                Ok(0) => {
                    err = Some(std::io::Error::from(std::io::ErrorKind::WriteZero));
                    break;
                }
                Ok(n) => off += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    err = Some(e);
                    break;
                }
            }
        }
        if let Some(e) = err {
            let can_log = self
                .last_error_log
                .is_none_or(|t| t.elapsed() >= ERROR_LOG_PERIOD);
            if off > 0 {
                if can_log {
                    tracing::warn!(
                        "Short write while writing to the AOF file: (nwritten={off}, expected={})",
                        self.pending.len()
                    );
                }
                // Take the partial write back so the file never holds half a command.
                if self.file.set_len(before).is_ok() {
                    off = 0;
                }
            } else if can_log {
                tracing::warn!("Error writing to the AOF file: {}", describe(&e));
            }
            if can_log {
                self.last_error_log = Some(Instant::now());
            }
            if self.policy() == AppendFsync::Always {
                tracing::warn!(
                    "Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting..."
                );
                std::process::exit(1);
            }
            let text = if off > 0 || e.kind() == std::io::ErrorKind::WriteZero {
                "No space left on device".to_string()
            } else {
                describe(&e)
            };
            if let Ok(mut slot) = self.shared.write_error.lock() {
                *slot = Some(text);
            }
        } else if let Ok(mut slot) = self.shared.write_error.lock()
            && slot.take().is_some()
        {
            tracing::warn!("AOF write error looks solved, Redis can write again.");
        }
        self.pending.drain(..off);
        if self.pending.is_empty() && self.pending.capacity() > MAX_KEPT_BUFFER {
            self.pending = Vec::new();
        }
        self.shared
            .unwritten
            .store(self.pending.len() as u64, Ordering::Relaxed);
        self.len += off as u64;
        self.written += off as u64;
        self.shared.written.store(self.written, Ordering::Relaxed);
    }

    fn fsync_now(&mut self) -> std::io::Result<()> {
        self.file.sync_data()?;
        self.shared
            .synced
            .fetch_max(self.written, Ordering::Relaxed);
        self.last_fsync = Instant::now();
        Ok(())
    }

    /// After a batch: the fsync the policy asks for, and the acknowledged offset.
    fn apply_policy(&mut self) {
        let skip = self.shared.skip_fsync.load(Ordering::Relaxed);
        let synced = self.shared.synced.load(Ordering::Relaxed);
        match self.policy() {
            AppendFsync::Always => {
                if self.written > synced
                    && self.pending.is_empty()
                    && !skip
                    && let Err(e) = self.fsync_now()
                {
                    tracing::warn!(
                        "Can't persist AOF for fsync error when the AOF fsync policy is 'always': {}. Exiting...",
                        describe(&e)
                    );
                    std::process::exit(1);
                }
            }
            AppendFsync::Everysec => {
                if self.written > synced
                    && !skip
                    && self.last_fsync.elapsed() >= Duration::from_secs(1)
                {
                    self.background_fsync();
                }
            }
            AppendFsync::No => {}
        }
        // With `always` a failed write ends the process; otherwise what could not be written
        // is kept for a retry and counts as acknowledged, as Redis replies after a failed
        // write (refusing further writes with -MISCONF).
        let acked = match self.policy() {
            AppendFsync::Always => self.written,
            _ => self.written + self.pending.len() as u64,
        };
        self.shared.acked.send_if_modified(|v| {
            if *v != acked {
                *v = acked;
                true
            } else {
                false
            }
        });
    }

    fn background_fsync(&mut self) {
        if self.shared.fsync_jobs.load(Ordering::Relaxed) > 0 {
            let since = *self.postponed_since.get_or_insert_with(Instant::now);
            if since.elapsed() >= MAX_POSTPONE {
                self.shared.delayed_fsync.fetch_add(1, Ordering::Relaxed);
                self.postponed_since = Some(Instant::now());
                tracing::info!(
                    "Asynchronous AOF fsync is taking too long (disk is busy?). Writing the AOF buffer without waiting for fsync to complete, this may slow down Redis."
                );
            }
            return;
        }
        self.postponed_since = None;
        self.last_fsync = Instant::now();
        let (Some(w), Ok(f)) = (&self.worker, self.file.try_clone()) else {
            let _ = self.fsync_now();
            return;
        };
        self.shared.fsync_jobs.fetch_add(1, Ordering::Relaxed);
        if w.tx.send((f, self.written)).is_err() {
            self.shared.fsync_jobs.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// How long the thread may sleep with nothing queued.
    fn idle_timeout(&self) -> Duration {
        if !self.pending.is_empty() {
            return Duration::from_secs(1);
        }
        let unsynced = self.written > self.shared.synced.load(Ordering::Relaxed);
        if unsynced && self.policy() == AppendFsync::Everysec {
            return Duration::from_secs(1)
                .saturating_sub(self.last_fsync.elapsed())
                .max(Duration::from_millis(10));
        }
        Duration::from_secs(1)
    }

    /// Continues in another file; the current one is fsynced (at once with `always`, else in
    /// the background) and closed.
    fn switch(&mut self, spec: OpenSpec) -> Result<(), String> {
        self.flush();
        let file = open(&spec)?;
        let len = file.metadata().map(|m| m.len()).unwrap_or(0);
        let old = std::mem::replace(&mut self.file, file);
        self.len = len;
        let always = self.policy() == AppendFsync::Always;
        if always || self.worker.is_none() {
            let _ = old.sync_data();
            self.shared
                .synced
                .fetch_max(self.written, Ordering::Relaxed);
        } else if let Some(w) = &self.worker {
            self.shared.fsync_jobs.fetch_add(1, Ordering::Relaxed);
            if w.tx.send((old, self.written)).is_err() {
                self.shared.fsync_jobs.fetch_sub(1, Ordering::Relaxed);
            }
        }
        Ok(())
    }
}

fn run(
    shared: Arc<Shared>,
    state: Arc<Mutex<Option<State>>>,
    spec: OpenSpec,
    opened: oneshot::Sender<Result<(), String>>,
) {
    let file = match open(&spec) {
        Ok(f) => f,
        Err(e) => {
            let _ = opened.send(Err(e));
            return;
        }
    };
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let worker = FsyncWorker::start(shared.clone());
    if let Ok(mut slot) = state.lock() {
        *slot = Some(State {
            shared: shared.clone(),
            file,
            pending: Vec::new(),
            len,
            written: 0,
            last_fsync: Instant::now(),
            postponed_since: None,
            last_error_log: None,
            worker,
        });
    }
    let _ = opened.send(Ok(()));
    let mut timeout = Duration::from_secs(1);
    loop {
        if let Ok(q) = shared.queue.lock()
            && q.msgs.is_empty()
        {
            // The event loop's inline writes need no wake: this wait is at most a second,
            // and an everysec fsync that is due runs after the next wait at the latest.
            let _ = shared.wake.wait_timeout(q, timeout);
        }
        // The messages are taken with the state locked, so an inline write (which needs the
        // state and an empty queue) never overtakes data handed over before it.
        let Ok(mut guard) = state.lock() else {
            return;
        };
        let Some(st) = guard.as_mut() else {
            return;
        };
        let msgs = match shared.queue.lock() {
            Ok(mut q) => std::mem::take(&mut q.msgs),
            Err(_) => return,
        };
        let mut spare = Vec::new();
        for msg in msgs {
            match msg {
                Msg::Data(mut v) => {
                    let n = v.len() as u64;
                    if st.pending.is_empty() {
                        std::mem::swap(&mut st.pending, &mut v);
                    } else {
                        st.pending.extend_from_slice(&v);
                    }
                    // Counted as unwritten before it stops counting as queued.
                    shared
                        .unwritten
                        .store(st.pending.len() as u64, Ordering::Relaxed);
                    shared.queued.fetch_sub(n, Ordering::Relaxed);
                    v.clear();
                    if v.capacity() <= MAX_KEPT_BUFFER {
                        spare.push(v);
                    }
                }
                Msg::Switch(spec, reply) => {
                    let r = st.switch(spec);
                    let _ = reply.send(r);
                }
                Msg::Sync(reply) => {
                    st.flush();
                    let _ = st.fsync_now();
                    let _ = reply.send(());
                }
                Msg::Close(delete) => {
                    st.flush();
                    if let Err(e) = st.fsync_now() {
                        tracing::warn!("Fail to fsync the AOF file: {}", describe(&e));
                    }
                    st.apply_policy();
                    // The file is closed before it is deleted.
                    drop(guard.take());
                    if let Some(p) = delete {
                        let _ = std::fs::remove_file(p);
                    }
                    return;
                }
            }
        }
        if !spare.is_empty()
            && let Ok(mut q) = shared.queue.lock()
        {
            q.spare.append(&mut spare);
        }
        st.flush();
        st.apply_policy();
        timeout = st.idle_timeout();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let d =
            std::env::temp_dir().join(format!("vigil-aof-writer-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    fn wait_opened(rx: Opened) -> Result<(), String> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .map_err(|e| e.to_string())?;
        rt.block_on(rx).unwrap_or_else(|_| Err("dropped".into()))
    }

    #[test]
    fn writes_in_order_across_a_switch() {
        let dir = scratch("switch");
        let spec = |name: &str, manifest: Option<ManifestUpdate>| OpenSpec {
            path: dir.join(name),
            truncate: true,
            create_dir: Some(dir.clone()),
            manifest,
        };
        let (w, opened) = Writer::start(spec("a", None), AppendFsync::Always).unwrap();
        assert_eq!(wait_opened(opened), Ok(()));
        let mut buf = b"one ".to_vec();
        w.hand_over(&mut buf);
        assert!(buf.is_empty());
        let mut m = Manifest::default();
        m.add_incr("x");
        let switched = w.switch(spec(
            "b",
            Some(ManifestUpdate {
                dir: dir.clone(),
                appendfilename: "x".into(),
                manifest: m,
            }),
        ));
        w.hand_over(&mut b"two".to_vec());
        w.sync_blocking();
        assert_eq!(wait_opened(switched), Ok(()));
        assert_eq!(std::fs::read(dir.join("a")).unwrap(), b"one ");
        assert_eq!(std::fs::read(dir.join("b")).unwrap(), b"two");
        assert_eq!(
            std::fs::read_to_string(dir.join("x.manifest")).unwrap(),
            "file x.1.incr.aof seq 1 type i\n"
        );
        assert_eq!(w.written(), 7);
        assert_eq!(w.acked(), 7);
        assert_eq!(w.queued(), 0);
        assert!(w.error().is_none());
        // A switch that cannot open its file keeps the current one.
        let bad = w.switch(OpenSpec {
            path: dir.join("missing-dir").join("c"),
            truncate: true,
            create_dir: None,
            manifest: None,
        });
        w.hand_over(&mut b"!".to_vec());
        w.sync_blocking();
        assert!(wait_opened(bad).is_err());
        assert_eq!(std::fs::read(dir.join("b")).unwrap(), b"two!");
        w.close(None);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn inline_writes_only_when_idle_and_not_always() {
        let dir = scratch("inline");
        let path = dir.join("f");
        let spec = OpenSpec {
            path: path.clone(),
            truncate: true,
            create_dir: Some(dir.clone()),
            manifest: None,
        };
        let (w, opened) = Writer::start(spec, AppendFsync::Everysec).unwrap();
        assert_eq!(wait_opened(opened), Ok(()));
        let mut buf = b"abc".to_vec();
        assert!(w.write_inline(&mut buf));
        assert!(buf.is_empty());
        // Written (and acknowledged) before the call returned.
        assert_eq!(std::fs::read(&path).unwrap(), b"abc");
        assert_eq!((w.written(), w.acked()), (3, 3));
        w.set_policy(AppendFsync::Always);
        let mut buf = b"de".to_vec();
        assert!(!w.write_inline(&mut buf));
        assert_eq!(buf, b"de");
        w.hand_over(&mut buf);
        w.set_policy(AppendFsync::No);
        w.set_flush_sleep(1);
        assert!(!w.write_inline(&mut b"f".to_vec()));
        w.sync_blocking();
        assert_eq!(std::fs::read(&path).unwrap(), b"abcde");
        w.close(None);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
