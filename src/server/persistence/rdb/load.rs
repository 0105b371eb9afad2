//! Loading an RDB file into the keyspace: at start-up on a background thread (clients get
//! `-LOADING` meanwhile and INFO shows the progress), and synchronously for DEBUG RELOAD.

use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use super::decode::{self, ExpiredKeys, LoadOptions, LoadReport, LruSetter, Reader};
use crate::config::MaxmemoryPolicy;
use crate::server::db::Db;
use crate::server::persistence::state::Loading;
use crate::server::state::{Server, unix_ms};

/// Error text for commands refused while loading.
pub const LOADING_ERROR: &str = "LOADING Redis is loading the dataset in memory";

/// A finished load: the databases and what was found.
pub type Loaded = (Vec<Db>, LoadReport);

/// Load options from the configuration.
pub fn load_options(srv: &Server) -> LoadOptions {
    let lru = match srv.config.maxmemory_policy {
        MaxmemoryPolicy::AllKeysLfu | MaxmemoryPolicy::VolatileLfu => LruSetter::Lfu,
        _ => LruSetter::Lru,
    };
    // As in Redis, only a master drops keys that are already expired: a replica waits for its
    // master's DEL.
    let expired = if srv.repl.is_replica() {
        ExpiredKeys::Keep
    } else {
        ExpiredKeys::Skip
    };
    LoadOptions {
        databases: srv.dbs.len(),
        now_ms: unix_ms(),
        expired,
        verify_checksum: srv.config.rdbchecksum,
        lru,
        key_delay_us: srv.config.key_load_delay,
    }
}

/// Reads a whole RDB file into fresh databases. `Ok(None)` when the file does not exist.
/// Errors name the file and the offset.
pub fn load_file(
    path: &Path,
    opts: &LoadOptions,
    progress: Option<&AtomicU64>,
) -> Result<Option<Loaded>, String> {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot open {}: {e}", path.display())),
    };
    let size = file
        .metadata()
        .map_err(|e| format!("cannot stat {}: {e}", path.display()))?
        .len();
    let mut reader = Reader::new(BufReader::with_capacity(1 << 20, file), size, true);
    let mut dbs: Vec<Db> = (0..opts.databases.max(1)).map(|_| Db::default()).collect();
    let report = decode::load(&mut reader, opts, &mut dbs, |pos, _| {
        if let Some(p) = progress {
            p.store(pos, Ordering::Relaxed);
        }
    })
    .map_err(|e| {
        let shown = std::env::current_dir()
            .map(|d| d.join(path))
            .unwrap_or_else(|_| path.to_path_buf());
        format!(
            "{} in {} at offset {} of {size} bytes",
            e.msg,
            shown.display(),
            e.offset
        )
    })?;
    Ok(Some((dbs, report)))
}

/// Reads an RDB image arriving in chunks (a replica's diskless load), on the calling thread,
/// blocking on the channel for more data. The image must be exactly what arrives: the sender
/// closes the channel at its end, and data left after the image's checksum is an error.
pub fn load_stream(
    chunks: tokio::sync::mpsc::Receiver<bytes::Bytes>,
    size: Option<u64>,
    opts: &LoadOptions,
    progress: Option<&AtomicU64>,
) -> Result<Loaded, String> {
    let mut source = ChunkReader {
        chunks,
        current: bytes::Bytes::new(),
    };
    let mut reader = match size {
        Some(n) => Reader::new(&mut source, n, true),
        None => Reader::streaming(&mut source, true),
    };
    let mut dbs: Vec<Db> = (0..opts.databases.max(1)).map(|_| Db::default()).collect();
    let report = decode::load(&mut reader, opts, &mut dbs, |pos, _| {
        if let Some(p) = progress {
            p.store(pos, Ordering::Relaxed);
        }
    })
    .map_err(|e| format!("{} at offset {} of the stream", e.msg, e.offset))?;
    match reader.at_end() {
        Ok(true) => Ok((dbs, report)),
        Ok(false) => Err("Replication stream EOF marker is broken".into()),
        Err(e) => Err(format!("read error: {}", e.msg)),
    }
}

/// A buffered reader over the chunks of a channel, each chunk being the buffer (no copy); the
/// end of the channel is the end of the input.
struct ChunkReader {
    chunks: tokio::sync::mpsc::Receiver<bytes::Bytes>,
    current: bytes::Bytes,
}

impl std::io::Read for ChunkReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let avail = std::io::BufRead::fill_buf(self)?;
        let n = buf.len().min(avail.len());
        buf[..n].copy_from_slice(&avail[..n]);
        std::io::BufRead::consume(self, n);
        Ok(n)
    }
}

impl std::io::BufRead for ChunkReader {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        while self.current.is_empty() {
            match self.chunks.blocking_recv() {
                Some(chunk) => self.current = chunk,
                None => break,
            }
        }
        Ok(&self.current)
    }

    fn consume(&mut self, n: usize) {
        let n = n.min(self.current.len());
        bytes::Buf::advance(&mut self.current, n);
    }
}

/// Logs what Redis logs after a load, and records the counts for INFO.
pub fn log_loaded(srv: &mut Server, report: &LoadReport) {
    let aux = |name: &str| {
        report
            .aux
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
    };
    if let Some(v) = aux("redis-ver") {
        tracing::info!("Loading RDB produced by version {v}");
    }
    if let Some(t) = aux("ctime").and_then(|t| t.parse::<i64>().ok()) {
        tracing::info!("RDB age {} seconds", (unix_ms() / 1000 - t).max(0));
    }
    if let Some(m) = aux("used-mem").and_then(|m| m.parse::<f64>().ok()) {
        tracing::info!(
            "RDB memory usage when created {:.2} Mb",
            m / 1024.0 / 1024.0
        );
    }
    tracing::info!(
        "Done loading RDB, keys loaded: {}, keys expired: {}.",
        report.keys_loaded,
        report.keys_expired
    );
    srv.rdb.last_load_keys_loaded = report.keys_loaded;
    srv.rdb.last_load_keys_expired = report.keys_expired;
}

/// A load running on a background thread at start-up.
pub struct PendingLoad {
    /// The outcome, once the thread is done.
    pub result: tokio::sync::oneshot::Receiver<Result<Option<Loaded>, String>>,
    /// When it started.
    pub started: Instant,
}

/// Starts loading `dbfilename` in the background if it exists; INFO reports `loading:1` and
/// commands without the `loading` flag are refused until [`finish_startup_load`] runs.
pub fn start_startup_load(srv: &mut Server) -> Option<PendingLoad> {
    let path = PathBuf::from(&srv.config.dbfilename);
    let size = std::fs::metadata(&path).ok()?.len();
    let mut opts = load_options(srv);
    if opts.expired == ExpiredKeys::Skip {
        // A restarted master feeds their DELs to its backlog if it continues a history.
        opts.expired = ExpiredKeys::SkipAndReport;
    }
    let progress = Arc::new(AtomicU64::new(0));
    srv.rdb.loading = Some(Loading {
        start_secs: unix_ms() / 1000,
        total_bytes: size,
        loaded_bytes: progress.clone(),
        async_loading: false,
    });
    let (tx, rx) = tokio::sync::oneshot::channel();
    let spawned = std::thread::Builder::new()
        .name("rdb-load".into())
        .spawn(move || {
            let _ = tx.send(load_file(&path, &opts, Some(&progress)));
        });
    if let Err(e) = spawned {
        srv.rdb.loading = None;
        tracing::warn!("cannot start the loading thread: {e}");
        return None;
    }
    Some(PendingLoad {
        result: rx,
        started: Instant::now(),
    })
}

/// Installs the databases of a finished start-up load and continues the replication history
/// the file recorded. An error means the server must exit.
pub fn finish_startup_load(
    srv: &mut Server,
    outcome: Result<Option<Loaded>, String>,
    started: Instant,
) -> Result<(), String> {
    srv.rdb.loading = None;
    match outcome {
        Ok(Some((dbs, report))) => {
            install(srv, dbs);
            log_loaded(srv, &report);
            tracing::info!(
                "DB loaded from disk: {:.3} seconds",
                started.elapsed().as_secs_f64()
            );
            crate::server::replication::restore_from_rdb(srv, &report);
            Ok(())
        }
        Ok(None) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Replaces the keyspace with loaded databases.
pub fn install(srv: &mut Server, dbs: Vec<Db>) {
    for (slot, db) in srv.dbs.iter_mut().zip(dbs) {
        let old = std::mem::replace(slot, db);
        crate::server::commands::keys::drop_in_background(old);
    }
}
