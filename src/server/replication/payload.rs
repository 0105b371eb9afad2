//! The full-synchronisation payload, through the RDB module: a background snapshot written to
//! `dbfilename` (disk-based sync) or streamed to the replicas' sockets (diskless sync) on the
//! master, and the load of a received RDB on the replica.

use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use bytes::Bytes;
use tokio::sync::mpsc;

use crate::server::connection::SharedServer;
use crate::server::persistence::rdb::load::{self, Loaded};
use crate::server::persistence::rdb::snapshot;
use crate::server::persistence::state::Loading;
use crate::server::state::{Server, unix_ms};

/// Chunks a diskless snapshot may queue per replica before the save waits for its socket.
const STREAM_QUEUE: usize = 8;

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
    snapshot::start(srv).map_err(|_| "a background save is already in progress".to_string())?;
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

/// Where a replica reads the RDB image of a full synchronisation from.
pub enum LoadSource {
    /// The file the transfer was written to (`repl-diskless-load disabled`).
    File(PathBuf),
    /// The image's chunks as they arrive from the master's socket (diskless load); `size` when
    /// the master announced it (`$<len>`), `None` for the `$EOF:` format.
    Stream {
        /// Chunks in order; the channel closes at the end of the image.
        chunks: mpsc::Receiver<Bytes>,
        /// Announced length.
        size: Option<u64>,
    },
}

/// A replica's load of a full-synchronisation image running on its own thread. Meanwhile INFO
/// shows `loading:1` (clients get `-LOADING`), or `async_loading:1` while the current dataset
/// keeps being served. Dropping it (the link task was stopped) ends the loading state; the
/// thread then stops at the end of its input and discards what it read.
pub struct ReplicaLoad {
    result: tokio::sync::oneshot::Receiver<Result<Loaded, String>>,
    server: SharedServer,
    finished: bool,
}

/// Starts loading `source` into fresh databases on a thread. Keys whose TTL passed are kept:
/// a replica waits for its master's DEL.
pub fn start_replica_load(
    server: &SharedServer,
    source: LoadSource,
    async_loading: bool,
) -> Result<ReplicaLoad, String> {
    let (opts, progress) = {
        let mut srv = server.borrow_mut();
        let opts = load::load_options(&srv);
        let total_bytes = match &source {
            LoadSource::File(path) => std::fs::metadata(path).map(|m| m.len()).unwrap_or(0),
            LoadSource::Stream { size, .. } => size.unwrap_or(0),
        };
        let progress = Arc::new(AtomicU64::new(0));
        srv.rdb.loading = Some(Loading {
            start_secs: unix_ms() / 1000,
            total_bytes,
            loaded_bytes: progress.clone(),
            async_loading,
        });
        (opts, progress)
    };
    let (tx, rx) = tokio::sync::oneshot::channel();
    let spawned = std::thread::Builder::new()
        .name("rdb-load".into())
        .spawn(move || {
            let outcome = match source {
                LoadSource::File(path) => {
                    load::load_file(&path, &opts, Some(&progress)).and_then(|l| {
                        l.ok_or_else(|| format!("{} vanished before loading", path.display()))
                    })
                }
                LoadSource::Stream { chunks, size } => {
                    load::load_stream(chunks, size, &opts, Some(&progress))
                }
            };
            let _ = tx.send(outcome);
        });
    if let Err(e) = spawned {
        server.borrow_mut().rdb.loading = None;
        return Err(format!("cannot start the loading thread: {e}"));
    }
    Ok(ReplicaLoad {
        result: rx,
        server: server.clone(),
        finished: false,
    })
}

impl ReplicaLoad {
    /// Waits for the load; ends the loading state and logs what Redis logs after a load. The
    /// caller installs the databases (no await in between, so nobody sees the gap).
    pub async fn finish(mut self) -> Result<Loaded, String> {
        let outcome = (&mut self.result)
            .await
            .unwrap_or_else(|_| Err("the loading thread stopped".into()));
        self.finished = true;
        let mut srv = self.server.borrow_mut();
        srv.rdb.loading = None;
        if let Ok((_, report)) = &outcome {
            load::log_loaded(&mut srv, report);
        }
        outcome
    }
}

impl Drop for ReplicaLoad {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        match self.server.try_borrow_mut() {
            Ok(mut srv) => srv.rdb.loading = None,
            Err(_) => {
                let server = self.server.clone();
                tokio::task::spawn_local(async move {
                    server.borrow_mut().rdb.loading = None;
                });
            }
        }
    }
}
