//! The replica's side of a full synchronisation, as `repl-diskless-load` asks:
//!
//! - `disabled`: the image is received into a temporary file, the old dataset is flushed, the
//!   file replaces `dbfilename` and is loaded;
//! - `on-empty-db` (when the dataset is empty) and `swapdb`: the image goes straight from the
//!   socket to the parser, without a file. `swapdb` loads into a separate dataset and swaps it
//!   in at the end; the old one stays in place meanwhile and is kept if the load fails. When
//!   the master continues our own history (same replication id), the old dataset is even served
//!   while loading (`async_loading:1`), as in Redis 7.0.
//!
//! The parser runs on a thread (see [`payload::start_replica_load`]); this task only moves
//! bytes, so the event loop keeps serving clients whatever the mode.

use std::io::Write as _;
use std::path::PathBuf;

use bytes::BytesMut;
use tokio::sync::mpsc;

use super::backlog::Backlog;
use super::handshake::{self, BulkHeader, MasterConn};
use super::payload::{self, LoadSource};
use super::replica::{LinkState, Transfer};
use super::settings::DisklessLoad;
use crate::server::connection::SharedServer;
use crate::server::persistence::aof;
use crate::server::persistence::rdb::ReplInfo;
use crate::server::persistence::rdb::decode::LoadReport;
use crate::server::persistence::rdb::load;
use crate::server::persistence::rdb::snapshot;
use crate::server::state::{Server, unix_ms};

/// Chunks of a diskless load in flight between the socket and the parser.
const PARSER_QUEUE: usize = 16;

/// Receives the image announced after `+FULLRESYNC <replid> <offset>`, replaces the dataset
/// with it and adopts the master's history. Returns the database the master's stream has
/// selected (the image's `repl-stream-db`).
pub async fn run(
    server: &SharedServer,
    conn: &mut MasterConn,
    replid: String,
    offset: i64,
) -> Result<usize, String> {
    {
        let mut srv = server.borrow_mut();
        srv.repl.cached = None;
        let now = unix_ms();
        if let Some(m) = srv.repl.master.as_mut() {
            m.state = LinkState::Transfer;
            m.transfer = Some(Transfer {
                size: -1,
                read: 0,
                last_io_ms: now,
            });
        }
    }
    let header = handshake::read_bulk_header(conn).await?;
    let (diskless, swapdb) = {
        let srv = server.borrow();
        match srv.repl.cfg.diskless_load {
            DisklessLoad::Disabled => (false, false),
            DisklessLoad::OnEmptyDb => (srv.dbs.iter().all(|d| d.is_empty()), false),
            DisklessLoad::Swapdb => (true, true),
        }
    };
    let target = if diskless { "to parser" } else { "to disk" };
    match &header {
        BulkHeader::Len(len) => {
            tracing::info!("MASTER <-> REPLICA sync: receiving {len} bytes from master {target}");
            if let Some(t) = transfer_mut(&mut server.borrow_mut()) {
                t.size = *len as i64;
            }
        }
        BulkHeader::Eof(_) => tracing::info!(
            "MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF {target}"
        ),
    }
    // The AOF restarts from the new dataset (Redis's stopAppendOnly before the load and
    // restartAOFAfterSYNC after it, whatever the outcome).
    stop_aof(&mut server.borrow_mut());
    let report = if diskless {
        load_from_socket(server, conn, &header, &replid, swapdb).await
    } else {
        load_from_disk(server, conn, &header).await
    };
    restart_aof(&mut server.borrow_mut());
    let report = report?;
    let stream_db = ReplInfo::from_aux(&report.aux).map_or(0, |i| i.stream_db);
    let mut srv = server.borrow_mut();
    srv.replid = replid;
    srv.replid2 = "0".repeat(40);
    srv.repl.second_offset = -1;
    srv.repl.offset = offset;
    let size = srv.repl.cfg.backlog_size;
    srv.repl.backlog = Some(Backlog::new(offset, size));
    if let Some(m) = srv.repl.master.as_mut() {
        m.read_reploff = offset;
        m.transfer = None;
    }
    tracing::info!("MASTER <-> REPLICA sync: Finished with success");
    Ok(stream_db)
}

/// Closes the AOF before the dataset is replaced.
fn stop_aof(srv: &mut Server) {
    if srv.aof.status != aof::Status::Off {
        aof::rewrite::stop_append_only(srv);
    }
}

/// Turns the AOF back on (with `appendonly yes`): a rewrite writes the new dataset as its base.
fn restart_aof(srv: &mut Server) {
    if srv.config.appendonly
        && srv.aof.status == aof::Status::Off
        && aof::rewrite::start_append_only(srv).is_err()
    {
        tracing::warn!("Failed enabling the AOF after successful master synchronization!");
    }
}

fn transfer_mut(srv: &mut Server) -> Option<&mut Transfer> {
    srv.repl.master.as_mut().and_then(|m| m.transfer.as_mut())
}

/// Our sub-replicas and backlog belonged to the previous history: they must start over with us
/// (Redis's `replicationAttachToNewMaster`).
fn attach_to_new_master(srv: &mut Server) {
    super::master::disconnect_replicas(srv);
    srv.repl.backlog = None;
}

/// Empties every database (freed in the background).
fn flush_old_data(srv: &mut Server) {
    tracing::info!("MASTER <-> REPLICA sync: Flushing old data");
    srv.signal_flushed(None);
    for i in 0..srv.dbs.len() {
        let old = std::mem::take(&mut srv.dbs[i]);
        crate::server::commands::keys::drop_in_background(old);
    }
}

/// A save of ours must not overwrite the synchronised data, nor compete with the load.
fn stop_background_save(srv: &mut Server, diskless: bool) {
    if srv.rdb.bgsave.is_none() {
        return;
    }
    if !diskless {
        tracing::info!(
            "Replica is about to load the RDB file received from the master, but there is a pending RDB child running. Killing process {} and removing its temp file to avoid any race",
            std::process::id()
        );
    }
    snapshot::abort(srv);
}

/// Where received bytes go.
enum Sink {
    /// The temporary file of a disk-based load.
    File(std::io::BufWriter<std::fs::File>),
    /// The parser thread of a diskless load.
    Parser(mpsc::Sender<bytes::Bytes>),
}

/// The parser stopped taking data (it failed, or the image ended early): its outcome tells why.
const PARSER_GONE: &str = "the parser stopped reading";

impl Sink {
    async fn put(&mut self, chunk: BytesMut) -> Result<(), String> {
        match self {
            // Plain buffered writes: they land in the page cache in microseconds, cheaper than
            // a thread hop per chunk; only the final fsync runs off the event loop.
            Sink::File(f) => f.write_all(&chunk).map_err(write_error),
            Sink::Parser(tx) => tx
                .send(chunk.freeze())
                .await
                .map_err(|_| PARSER_GONE.to_string()),
        }
    }
}

fn write_error(e: std::io::Error) -> String {
    format!(
        "Write error writing to the DB dump file needed for MASTER <-> REPLICA synchronization: {e}"
    )
}

/// Moves the image from the socket to `sink`: exactly the announced length, or everything up
/// to the end mark (which is consumed, not forwarded). Bytes after the image stay in `conn`:
/// they are the start of the stream.
async fn receive(
    server: &SharedServer,
    conn: &mut MasterConn,
    header: &BulkHeader,
    sink: &mut Sink,
) -> Result<(), String> {
    let io = |e: String| format!("I/O error trying to sync with MASTER: {e}");
    match header {
        BulkHeader::Len(len) => {
            let mut left = *len as usize;
            while left > 0 {
                if conn.buf.is_empty() {
                    conn.fill().await.map_err(io)?;
                }
                let n = left.min(conn.buf.len());
                let chunk = conn.buf.split_to(n);
                progress(server, n);
                sink.put(chunk).await?;
                left -= n;
            }
        }
        BulkHeader::Eof(mark) => loop {
            if let Some(pos) = memchr::memmem::find(&conn.buf, mark) {
                let chunk = conn.buf.split_to(pos);
                conn.consume(mark.len());
                progress(server, pos + mark.len());
                if !chunk.is_empty() {
                    sink.put(chunk).await?;
                }
                break;
            }
            // Keep a mark's length back: it may be split across reads.
            let keep = mark.len().min(conn.buf.len());
            let n = conn.buf.len() - keep;
            if n > 0 {
                let chunk = conn.buf.split_to(n);
                progress(server, n);
                sink.put(chunk).await?;
            }
            conn.fill().await.map_err(io)?;
        },
    }
    Ok(())
}

fn progress(server: &SharedServer, n: usize) {
    let mut srv = server.borrow_mut();
    srv.repl.net_input_bytes += n as u64;
    srv.stats.net_input_bytes += n as u64;
    if let Some(t) = transfer_mut(&mut srv) {
        t.read += n as i64;
        t.last_io_ms = unix_ms();
    }
}

/// Deletes the transfer file when the transfer is abandoned.
struct TempFile(PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// `repl-diskless-load disabled`: receive into a temporary file, flush, rename it over
/// `dbfilename` and load it.
async fn load_from_disk(
    server: &SharedServer,
    conn: &mut MasterConn,
    header: &BulkHeader,
) -> Result<LoadReport, String> {
    let tmp = TempFile(PathBuf::from(format!(
        "temp-{}.{}.rdb",
        unix_ms() / 1000,
        std::process::id()
    )));
    let file = std::fs::File::create(&tmp.0).map_err(|e| {
        format!("Opening the temp file needed for MASTER <-> REPLICA synchronization: {e}")
    })?;
    let mut sink = Sink::File(std::io::BufWriter::with_capacity(1 << 20, file));
    receive(server, conn, header, &mut sink).await?;
    let Sink::File(file) = sink else {
        return Err("unexpected sink".into());
    };
    let file = file.into_inner().map_err(|e| write_error(e.into_error()))?;
    tokio::task::spawn_blocking(move || file.sync_all())
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| {
            format!(
                "Failed trying to sync the temp DB to disk in MASTER <-> REPLICA synchronization: {e}"
            )
        })?;
    let target = {
        let mut srv = server.borrow_mut();
        stop_background_save(&mut srv, false);
        attach_to_new_master(&mut srv);
        flush_old_data(&mut srv);
        PathBuf::from(&srv.config.dbfilename)
    };
    std::fs::rename(&tmp.0, &target).map_err(|e| {
        format!(
            "Failed trying to rename the temp DB into {} in MASTER <-> REPLICA synchronization: {e}",
            target.display()
        )
    })?;
    tracing::info!("MASTER <-> REPLICA sync: Loading DB in memory");
    let loading = payload::start_replica_load(server, LoadSource::File(target.clone()), false)?;
    let outcome = loading.finish().await;
    let mut srv = server.borrow_mut();
    // Redis keeps the received file unless told to drop it when nothing else persists.
    let del_sync_files = srv.config.value("rdb-del-sync-files").as_deref() == Some(b"yes");
    if del_sync_files && srv.config.save_points.is_empty() && !srv.config.appendonly {
        let path = target.clone();
        let _ = std::thread::Builder::new()
            .name("lazyfree".into())
            .spawn(move || std::fs::remove_file(path));
    }
    match outcome {
        Ok((dbs, report)) => {
            load::install(&mut srv, dbs);
            Ok(report)
        }
        Err(e) => Err(format!(
            "Failed trying to load the MASTER synchronization DB from disk: {e}"
        )),
    }
}

/// `on-empty-db` / `swapdb`: parse the image as it arrives.
async fn load_from_socket(
    server: &SharedServer,
    conn: &mut MasterConn,
    header: &BulkHeader,
    master_replid: &str,
    swapdb: bool,
) -> Result<LoadReport, String> {
    let async_loading = {
        let mut srv = server.borrow_mut();
        stop_background_save(&mut srv, true);
        if !swapdb {
            attach_to_new_master(&mut srv);
            flush_old_data(&mut srv);
        }
        tracing::info!("MASTER <-> REPLICA sync: Loading DB in memory");
        // The old dataset is an earlier point of the very history being received: it may be
        // served while the new one loads.
        swapdb && srv.replid == master_replid
    };
    let (tx, rx) = mpsc::channel(PARSER_QUEUE);
    let size = match header {
        BulkHeader::Len(len) => Some(*len),
        BulkHeader::Eof(_) => None,
    };
    let loading = payload::start_replica_load(
        server,
        LoadSource::Stream { chunks: rx, size },
        async_loading,
    )?;
    let mut sink = Sink::Parser(tx);
    let received = receive(server, conn, header, &mut sink).await;
    // The end of the channel is the end of the image for the parser.
    drop(sink);
    let outcome = loading.finish().await;
    let mut srv = server.borrow_mut();
    let failure = match (received, outcome) {
        (Ok(()), Ok(loaded)) => {
            if swapdb {
                attach_to_new_master(&mut srv);
                tracing::info!("MASTER <-> REPLICA sync: Swapping active DB with loaded DB");
            }
            srv.signal_flushed(None);
            let (dbs, report) = loaded;
            load::install(&mut srv, dbs);
            if swapdb {
                tracing::info!("MASTER <-> REPLICA sync: Discarding old DB in background");
            }
            // Nothing was saved: the dataset differs from any file on disk.
            srv.dirty += 1;
            return Ok(report);
        }
        // A socket error explains a parser that ran out of data; a parser error explains a
        // socket side that found nobody to hand data to.
        (Err(e), _) if e != PARSER_GONE => e,
        (_, Err(e)) => e,
        (Err(e), Ok(_)) => e,
    };
    if swapdb {
        tracing::info!("MASTER <-> REPLICA sync: Discarding temporary DB in background");
    }
    // The link task logs it.
    Err(format!(
        "Failed trying to load the MASTER synchronization DB from socket: {failure}"
    ))
}
