//! The full-synchronisation payload, through the RDB module: a background snapshot written to
//! `dbfilename` (disk-based sync) or streamed to the replicas' sockets (diskless sync) on the
//! master, and the load of a received RDB on the replica.

use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Instant;

use bytes::Bytes;
use tokio::sync::mpsc;

use crate::server::connection::SharedServer;
use crate::server::persistence::rdb::decode::LoadOptions;
use crate::server::persistence::rdb::stream_load::StreamLoad;
use crate::server::persistence::rdb::{load, snapshot};
use crate::server::persistence::state::Loading;
use crate::server::state::{Server, unix_ms};

/// Chunks a diskless snapshot may queue per replica before the save waits for its socket.
const STREAM_QUEUE: usize = 2;

/// An RDB image on its way to one replica.
#[derive(Debug)]
pub enum Payload {
    /// A saved RDB file, sent as `$<len>\r\n<bytes>`.
    File {
        /// The file, opened when the save completed (positioned reads).
        file: Rc<std::fs::File>,
        /// Its size.
        len: u64,
    },
    /// Chunks of a snapshot streamed as it is produced, sent as `$EOF:<mark>` ... `<mark>`;
    /// an empty chunk marks the end.
    Stream(mpsc::Receiver<Bytes>),
}

/// Whether a background save (of any kind) is running: only one runs at a time.
pub fn save_in_progress(srv: &Server) -> bool {
    srv.rdb.bgsave.is_some()
}

/// Starts a diskless snapshot for `n` replicas; returns one stream per replica.
pub fn start_diskless(srv: &mut Server, n: usize) -> Result<Vec<Payload>, String> {
    let mut senders = Vec::with_capacity(n);
    let mut payloads = Vec::with_capacity(n);
    for _ in 0..n {
        let (tx, rx) = mpsc::channel(STREAM_QUEUE);
        senders.push(tx);
        payloads.push(Payload::Stream(rx));
    }
    snapshot::start_to(srv, snapshot::Target::Replicas(senders))
        .map_err(|_| "a background save is already in progress".to_string())?;
    Ok(payloads)
}

/// A background save to `dbfilename` started for disk-based replicas.
#[derive(Debug, Clone, Copy)]
pub struct DiskSave {
    /// Its generation.
    pub generation: u64,
    /// Stream offset the snapshot corresponds to.
    pub offset: i64,
}

/// Starts a background save to `dbfilename` for disk-based replicas.
pub fn start_disk(srv: &mut Server) -> Result<DiskSave, String> {
    let offset = srv.repl.offset;
    snapshot::start_to(srv, snapshot::Target::FileForReplicas)
        .map_err(|_| "a background save is already in progress".to_string())?;
    if srv.rdb.bgsave.is_none() {
        return Err("the background save could not start".into());
    }
    Ok(DiskSave {
        generation: srv.rdb.generation,
        offset,
    })
}

/// The outcome of a disk save once it is over: the file to send. A save that was aborted
/// (FLUSHALL, SHUTDOWN) or failed is an error: the file on disk is not this snapshot.
pub fn disk_done(
    srv: &Server,
    save: &DiskSave,
) -> Option<Result<(Rc<std::fs::File>, u64), String>> {
    if srv
        .rdb
        .bgsave
        .as_ref()
        .is_some_and(|b| b.generation == save.generation)
    {
        return None;
    }
    if srv.rdb.last_ok_generation != save.generation {
        return Some(Err("the background save failed or was aborted".into()));
    }
    let path = PathBuf::from(&srv.config.dbfilename);
    Some(
        std::fs::File::open(&path)
            .and_then(|f| f.metadata().map(|m| (Rc::new(f), m.len())))
            .map_err(|e| format!("cannot open {}: {e}", path.display())),
    )
}

/// Removes a (big) file without making the event loop pay for dropping its cached pages: the
/// name goes at once, and the last close, which frees them, happens on a thread (Redis's
/// `bg_unlink`).
pub fn unlink_in_background(path: &Path) {
    let open = std::fs::File::open(path);
    let _ = std::fs::remove_file(path);
    if let Ok(file) = open {
        let _ = std::thread::Builder::new()
            .name("lazyfree".into())
            .spawn(move || drop(file));
    }
}

/// Load options for a snapshot received from the master.
fn replica_load_options(srv: &Server) -> LoadOptions {
    let mut opts = load::load_options(srv);
    // No key is "already expired" for a replica: it waits for its master's DEL.
    opts.now_ms = i64::MIN;
    opts
}

fn write_error(e: std::io::Error) -> String {
    format!(
        "Write error writing to the DB dump file needed for MASTER <-> REPLICA synchronization: {e}"
    )
}

/// A snapshot arriving from the master: written to the transfer file and, when our keyspace is
/// empty, decoded at the same time on a thread, so that loading overlaps the transfer. (With
/// data to replace, the decoding waits for the transfer as in Redis: the old and the new
/// dataset are never in memory together.)
pub struct Incoming {
    file: std::fs::File,
    loader: Option<StreamLoad>,
}

impl Incoming {
    /// Creates (truncates) the transfer file.
    pub fn create(srv: &Server, path: &Path) -> Result<Incoming, String> {
        let file = std::fs::File::create(path).map_err(|e| {
            format!("Opening the temp file needed for MASTER <-> REPLICA synchronization: {e}")
        })?;
        // `key-load-delay` is there to watch the loading phase: keep it after the transfer.
        let overlap = srv.dbs.iter().all(|d| d.is_empty()) && srv.config.key_load_delay == 0;
        let loader = if overlap {
            let target = PathBuf::from(&srv.config.dbfilename);
            match StreamLoad::start(replica_load_options(srv), &target) {
                Ok(l) => Some(l),
                Err(e) => {
                    tracing::warn!("{e}: the snapshot will be loaded after the transfer");
                    None
                }
            }
        } else {
            None
        };
        Ok(Incoming { file, loader })
    }

    /// Appends a chunk of the snapshot. Plain writes: they land in the page cache in
    /// microseconds, cheaper than a thread hop per chunk.
    pub async fn write(&mut self, chunk: Bytes) -> Result<(), String> {
        use std::io::Write;
        self.file.write_all(&chunk).map_err(write_error)?;
        if let Some(l) = &mut self.loader {
            l.feed(chunk).await;
        }
        Ok(())
    }

    /// The transfer is complete: syncs the file (off the event loop) and returns the decoder
    /// still finishing, if the snapshot was decoded on the way.
    pub async fn finish(self) -> Result<Option<StreamLoad>, String> {
        let file = self.file;
        tokio::task::spawn_blocking(move || file.sync_all())
            .await
            .map_err(|e| e.to_string())?
            .map_err(write_error)?;
        Ok(self.loader)
    }
}

/// Loads a received RDB file into the (already emptied) keyspace on a thread, answering
/// `-LOADING` meanwhile, or waits for the decoder that read it on the way ([`Incoming`]).
/// Keys whose TTL passed are kept: a replica waits for its master's DEL.
pub async fn load_received(
    server: &SharedServer,
    path: &Path,
    decoded: Option<StreamLoad>,
) -> Result<u64, String> {
    let (opts, progress) = {
        let mut srv = server.borrow_mut();
        let opts = replica_load_options(&srv);
        let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        let progress = decoded
            .as_ref()
            .map_or_else(|| Arc::new(AtomicU64::new(0)), StreamLoad::progress);
        srv.rdb.loading = Some(Loading {
            start_secs: unix_ms() / 1000,
            total_bytes: size,
            loaded_bytes: progress.clone(),
        });
        (opts, progress)
    };
    let started = Instant::now();
    let outcome = match decoded {
        Some(l) => l.finish().await.map(Some),
        None => {
            let (tx, rx) = tokio::sync::oneshot::channel();
            let file = path.to_path_buf();
            let spawned = std::thread::Builder::new()
                .name("rdb-load".into())
                .spawn(move || {
                    let _ = tx.send(load::load_file(&file, &opts, Some(&progress)));
                });
            if let Err(e) = spawned {
                server.borrow_mut().rdb.loading = None;
                return Err(format!("cannot start the loading thread: {e}"));
            }
            rx.await
                .unwrap_or_else(|_| Err("the loading thread stopped".into()))
        }
    };
    let mut srv = server.borrow_mut();
    srv.rdb.loading = None;
    match outcome {
        Ok(Some((mut dbs, report))) => {
            // The loader was told the time is the beginning of time; give keys a fresh clock.
            let now = unix_ms();
            let lru = srv.evict.new_value_lru(&srv.config, now);
            for db in &mut dbs {
                for e in db.entries.values_mut() {
                    e.lru = lru;
                }
            }
            load::install(&mut srv, dbs);
            load::log_loaded(&mut srv, &report, started);
            Ok(report.keys_loaded)
        }
        Ok(None) => Err(format!("{} vanished before loading", path.display())),
        Err(e) => Err(e),
    }
}
