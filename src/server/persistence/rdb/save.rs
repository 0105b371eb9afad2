//! Writing the dataset to disk: the RDB file writer (checksum, temp file, fsync, rename), the
//! foreground save (SAVE, SHUTDOWN, DEBUG RELOAD, FLUSHALL), save points and the MISCONF rule.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::crc64::Crc64;
use super::encode::{self, AccessInfo, Encoder, SaveOptions};
use crate::config::MaxmemoryPolicy;
use crate::resp::Reply;
use crate::server::client::Client;
use crate::server::command::{CommandSpec, flags};
use crate::server::encoding::EncodingLimits;
use crate::server::state::{Server, unix_ms};

/// Bytes written between two fsyncs with `rdb-save-incremental-fsync` (as Redis).
const AUTOSYNC_BYTES: u64 = 32 * 1024 * 1024;
/// Seconds to wait before retrying a failed background save from a save point.
const BGSAVE_RETRY_DELAY: i64 = 5;

/// Error text when writes are refused after a failed background save.
pub const MISCONF: &str = "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.";

/// Serialization options from the current configuration.
pub fn save_options(srv: &Server, now_ms: i64) -> SaveOptions {
    let policy = srv.config.maxmemory_policy;
    let access = match policy {
        MaxmemoryPolicy::AllKeysLru | MaxmemoryPolicy::VolatileLru => AccessInfo::Idle,
        MaxmemoryPolicy::AllKeysLfu | MaxmemoryPolicy::VolatileLfu => {
            AccessInfo::Freq(srv.config.lfu_decay_time)
        }
        _ => AccessInfo::None,
    };
    let list_fill = srv
        .config
        .value("list-max-listpack-size")
        .and_then(|v| crate::util::num::parse_i64(&v))
        .unwrap_or(-2);
    SaveOptions {
        compress: srv.config.rdbcompression,
        limits: EncodingLimits::from_config(&srv.config),
        list_fill,
        access,
        now_ms,
    }
}

/// Name of the temporary file a save writes before renaming it (relative to `dir`).
pub fn temp_path() -> PathBuf {
    PathBuf::from(format!("temp-{}.rdb", std::process::id()))
}

fn cwd() -> String {
    std::env::current_dir()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "unknown".into())
}

/// An RDB file being written: checksum of everything written, periodic fsync, and an atomic
/// rename over the target when complete.
pub struct RdbFile {
    file: std::io::BufWriter<File>,
    path: PathBuf,
    crc: Option<Crc64>,
    /// Ends with the 8-byte checksum (false for a command-form AOF base).
    trailer: bool,
    written: u64,
    since_sync: u64,
    incremental_fsync: bool,
    /// Incremental fsync: where the range last handed to writeback starts and ends.
    range: (u64, u64),
}

impl RdbFile {
    /// Creates (truncates) the temporary file.
    pub fn create(path: &Path, checksum: bool, incremental_fsync: bool) -> Result<Self, String> {
        let file = File::create(path).map_err(|e| {
            format!(
                "Failed opening the temp RDB file {} (in server root dir {}) for saving: {e}",
                path.display(),
                cwd()
            )
        })?;
        Ok(RdbFile {
            file: std::io::BufWriter::with_capacity(1 << 16, file),
            path: path.to_path_buf(),
            crc: checksum.then(Crc64::default),
            trailer: true,
            written: 0,
            since_sync: 0,
            incremental_fsync,
            range: (0, 0),
        })
    }

    /// Creates a plain file: no checksum, no trailer (command-form AOF base).
    pub fn create_plain(path: &Path, incremental_fsync: bool) -> Result<Self, String> {
        let mut f = Self::create(path, false, incremental_fsync)?;
        f.trailer = false;
        Ok(f)
    }

    /// Appends bytes.
    pub fn write(&mut self, data: &[u8]) -> Result<(), String> {
        if let Some(c) = &mut self.crc {
            c.update(data);
        }
        self.file
            .write_all(data)
            .map_err(|e| format!("Write error saving DB on disk: {e}"))?;
        self.written += data.len() as u64;
        self.since_sync += data.len() as u64;
        if self.incremental_fsync && self.since_sync >= AUTOSYNC_BYTES {
            self.since_sync = 0;
            self.file
                .flush()
                .and_then(|_| self.write_back())
                .map_err(|e| format!("Write error saving DB on disk: {e}"))?;
        }
        Ok(())
    }

    /// Incremental fsync as Redis does it on Linux: starts the writeback of what was written
    /// since the last call and waits for the range before it only, so at most two ranges are
    /// dirty and the writer does not stall on every one.
    #[cfg(target_os = "linux")]
    fn write_back(&mut self) -> std::io::Result<()> {
        use std::os::fd::AsRawFd;
        let fd = self.file.get_ref().as_raw_fd();
        let (prev_start, start) = self.range;
        let end = self.written;
        let range = |from: u64, to: u64, flags: libc::c_uint| {
            // SAFETY: sync_file_range only reads its integer arguments; `fd` is our open file.
            let rc = unsafe { libc::sync_file_range(fd, from as i64, (to - from) as i64, flags) };
            if rc == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        };
        range(start, end, libc::SYNC_FILE_RANGE_WRITE)?;
        if start > prev_start {
            range(
                prev_start,
                start,
                libc::SYNC_FILE_RANGE_WAIT_BEFORE
                    | libc::SYNC_FILE_RANGE_WRITE
                    | libc::SYNC_FILE_RANGE_WAIT_AFTER,
            )?;
        }
        self.range = (start, end);
        Ok(())
    }

    /// Incremental fsync where ranges cannot be synced separately: the whole file.
    #[cfg(not(target_os = "linux"))]
    fn write_back(&mut self) -> std::io::Result<()> {
        self.file.get_ref().sync_data()
    }

    /// Appends the checksum (0 when disabled), syncs, and renames the file to `target`.
    /// Returns the file size.
    pub fn finish(mut self, target: &Path) -> Result<u64, String> {
        if self.trailer {
            let crc = self.crc.as_ref().map_or(0, Crc64::value);
            self.file
                .write_all(&crc.to_le_bytes())
                .map_err(|e| format!("Write error saving DB on disk: {e}"))?;
            self.written += 8;
        }
        let file = self
            .file
            .into_inner()
            .map_err(|e| format!("Write error saving DB on disk: {}", e.error()))?;
        file.sync_all()
            .map_err(|e| format!("Write error saving DB on disk: {e}"))?;
        drop(file);
        std::fs::rename(&self.path, target).map_err(|e| {
            format!(
                "Error moving temp DB file {} on the final destination {} (in server root dir {}): {e}",
                self.path.display(),
                target.display(),
                cwd()
            )
        })?;
        // Make the rename itself durable.
        let dir = target
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(self.written)
    }
}

/// Serializes the whole dataset (header to EOF, without the checksum) into `sink`, in pieces.
pub fn serialize_dataset(
    srv: &Server,
    opts: SaveOptions,
    mut sink: impl FnMut(&[u8]) -> Result<(), String>,
) -> Result<(), String> {
    let now = opts.now_ms;
    let mut enc = Encoder::new(opts);
    let mut buf = Vec::with_capacity(1 << 20);
    let repl = crate::server::replication::save_info(srv);
    encode::write_header(
        &mut buf,
        now / 1000,
        srv.used_memory() as u64,
        repl.as_ref(),
        false,
    );
    let delay = srv.config.rdb_key_save_delay;
    for (i, db) in srv.dbs.iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        encode::write_db_start(&mut buf, i, db.len(), db.volatile.len());
        for (k, e) in db.entries.iter() {
            enc.key_value(&mut buf, k, e);
            if buf.len() >= 1 << 20 {
                sink(&buf)?;
                buf.clear();
            }
            if delay > 0 {
                std::thread::sleep(std::time::Duration::from_micros(delay as u64));
            }
        }
    }
    buf.push(super::opcode::EOF);
    sink(&buf)
}

/// Writes the dataset to `path` through a temp file, blocking the caller.
pub fn save_to(srv: &Server, target: &Path) -> Result<u64, String> {
    let tmp = temp_path();
    let mut file = RdbFile::create(
        &tmp,
        srv.config.rdbchecksum,
        srv.config.rdb_save_incremental_fsync,
    )?;
    let r = serialize_dataset(srv, save_options(srv, unix_ms()), |d| file.write(d))
        .and_then(|_| file.finish(target));
    if r.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    r
}

/// Foreground save (SAVE, SHUTDOWN, DEBUG RELOAD, FLUSHALL with save points): blocks the
/// server like Redis's `rdbSave`. On success resets the change counter.
pub fn save_sync(srv: &mut Server) -> Result<(), String> {
    srv.rdb.saves += 1;
    let target = PathBuf::from(&srv.config.dbfilename);
    match save_to(srv, &target) {
        Ok(_) => {
            tracing::info!("DB saved on disk");
            srv.dirty = 0;
            srv.lastsave = unix_ms() / 1000;
            srv.rdb.last_bgsave_failed = false;
            Ok(())
        }
        Err(e) => {
            tracing::warn!("{e}");
            Err(e)
        }
    }
}

/// Whether writes (and PING) must be refused with MISCONF: the last background save failed,
/// save points are configured and `stop-writes-on-bgsave-error` is on.
pub fn writes_denied(srv: &Server) -> bool {
    srv.rdb.last_bgsave_failed
        && srv.config.stop_writes_on_bgsave_error
        && !srv.config.save_points.is_empty()
}

/// The error a command gets from the persistence layer before running: `-LOADING` while the
/// dataset loads (commands without the `loading` flag; during an async load, those with
/// `no_async_loading`), `-MISCONF` for writes and PING after a failed background save or while
/// the AOF cannot be written.
pub fn refusal(srv: &Server, client: &Client, spec: &CommandSpec) -> Option<Reply> {
    if let Some(l) = &srv.rdb.loading {
        let refused = if l.async_loading {
            spec.has(flags::NO_ASYNC_LOADING)
        } else {
            !spec.has(flags::LOADING)
        };
        if refused {
            return Some(Reply::err(super::load::LOADING_ERROR));
        }
    }
    // An RDB error wins over an AOF one, as in Redis.
    let misconf = if writes_denied(srv) {
        MISCONF.to_string()
    } else {
        crate::server::persistence::aof::misconf(srv)?
    };
    let queued_write = spec.name == "exec"
        && client.multi.as_ref().is_some_and(|q| {
            q.iter().any(|c| {
                crate::server::dispatch::resolve(srv, &c.args).is_ok_and(|s| s.has(flags::WRITE))
            })
        });
    (spec.has(flags::WRITE) || spec.name == "ping" || queued_write).then(|| Reply::err(misconf))
}

/// Housekeeping run by the cron: scheduled background saves and save points.
pub fn cron(srv: &mut Server) {
    if srv.rdb.bgsave.is_some() || srv.rdb.loading.is_some() {
        return;
    }
    let now = unix_ms() / 1000;
    let may_retry =
        !srv.rdb.last_bgsave_failed || now - srv.rdb.last_bgsave_try > BGSAVE_RETRY_DELAY;
    if srv.rdb.bgsave_scheduled && may_retry {
        if super::snapshot::start(srv).is_ok() {
            srv.rdb.bgsave_scheduled = false;
        }
        return;
    }
    if !may_retry {
        return;
    }
    let hit = srv
        .config
        .save_points
        .iter()
        .find(|(secs, changes)| srv.dirty >= *changes && now - srv.lastsave > *secs as i64)
        .copied();
    if let Some((secs, changes)) = hit {
        tracing::info!("{changes} changes in {secs} seconds. Saving...");
        let _ = super::snapshot::start(srv);
    }
}
