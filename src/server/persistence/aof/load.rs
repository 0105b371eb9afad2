//! Loading the AOF at start-up (and for DEBUG LOADAOF): the manifest, then the base file (RDB
//! preamble or commands) and the incr files in order. A thread reads and parses the files; the
//! event loop executes the commands through a fake client, in batches, while other clients get
//! `-LOADING` and INFO shows the progress. An old single `appendonly.aof` in `dir` is moved into
//! the AOF directory with a manifest first, as Redis 7.0 upgrades it.
//!
//! A file that ends inside a command (or inside MULTI) is cut back to its last complete command
//! when it is the last file and `aof-load-truncated` is on; otherwise, and for anything that is
//! not a command, loading stops with an error naming the file and the offset.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use bytes::Bytes;

use super::manifest::{self, AofFile, Manifest};
use super::stream::{CommandReader, Item, StreamError};
use crate::server::client::{Client, ClientShared};
use crate::server::connection::SharedServer;
use crate::server::db::Db;
use crate::server::persistence::rdb::decode::{self, LoadOptions, LoadReport, Reader};
use crate::server::persistence::rdb::load as rdb_load;
use crate::server::persistence::state::Loading;
use crate::server::state::{Server, unix_ms};

/// Commands per batch handed to the event loop.
const BATCH: usize = 1024;
/// Bytes of arguments per batch.
const BATCH_BYTES: usize = 1 << 20;

/// What the reading side needs to know.
#[derive(Debug, Clone)]
pub struct Params {
    /// The AOF directory.
    pub dir: PathBuf,
    /// `appendfilename`.
    pub appendfilename: String,
    /// `aof-load-truncated`.
    pub load_truncated: bool,
    /// Options of the RDB part.
    pub rdb: LoadOptions,
}

impl Params {
    /// From the server's configuration.
    pub fn from_server(srv: &Server) -> Params {
        let mut rdb = rdb_load::load_options(srv);
        // Keys of an AOF base are loaded even when expired (Redis's RDBFLAGS_AOF_PREAMBLE); the
        // DELs that follow in the stream, or the expiry cycle afterwards, remove them.
        rdb.now_ms = i64::MIN;
        Params {
            dir: super::dir(srv),
            appendfilename: srv.config.appendfilename.clone(),
            load_truncated: srv.config.aof_load_truncated,
            rdb,
        }
    }
}

/// Steps of a load, from the reading side to the executing side.
pub enum Msg {
    /// Total size of the files to load.
    Start(u64),
    /// The RDB part of the base file, decoded.
    Base(Vec<Db>, LoadReport),
    /// A file's commands begin (a fresh client, database 0).
    File(String),
    /// Commands to execute, and the load progress once they ran.
    Commands(Vec<Vec<Bytes>>, u64),
    /// The file ended inside MULTI: drop the queued transaction.
    DiscardMulti,
    /// A file is done.
    FileLoaded {
        /// Its name.
        name: String,
        /// Whether it is the base.
        base: bool,
        /// When reading it started.
        started: Instant,
    },
}

/// What a successful load found.
#[derive(Debug, Clone)]
pub struct Summary {
    /// The manifest (after an upgrade from a single file).
    pub manifest: Manifest,
    /// Total size of the files.
    pub total: u64,
    /// Size of the base file.
    pub base_size: u64,
    /// Whether there was anything to load.
    pub loaded: bool,
}

/// Reads the manifest (a missing directory or manifest is an empty AOF).
pub fn read_manifest(p: &Params) -> Result<Manifest, String> {
    Ok(manifest::read(&p.dir, &p.appendfilename)?.unwrap_or_default())
}

/// Moves an old single-file AOF into the AOF directory with a manifest naming it the base.
fn upgrade(p: &Params, m: &mut Manifest) -> Result<(), String> {
    std::fs::create_dir_all(&p.dir).map_err(|e| {
        format!(
            "Can't open or create append-only dir {}: {e}",
            p.dir.display()
        )
    })?;
    *m = Manifest::default();
    m.base = Some(AofFile {
        name: p.appendfilename.clone(),
        seq: 1,
        kind: manifest::FileType::Base,
    });
    m.base_seq = 1;
    manifest::persist(&p.dir, &p.appendfilename, m)?;
    std::fs::rename(&p.appendfilename, p.dir.join(&p.appendfilename)).map_err(|e| {
        format!(
            "Error trying to move the old AOF file {} into dir {}: {e}",
            p.appendfilename,
            p.dir.display()
        )
    })?;
    tracing::info!(
        "Successfully migrated an old-style AOF file ({}) into the AOF directory ({}).",
        p.appendfilename,
        p.dir.display()
    );
    Ok(())
}

/// Reads every file of the AOF in order, handing each step to `sink` (which returns false to
/// stop). Runs on a thread at start-up, inline for DEBUG LOADAOF.
pub fn read_all(
    p: &Params,
    progress: &AtomicU64,
    sink: &mut dyn FnMut(Msg) -> bool,
) -> Result<Summary, String> {
    let mut m = read_manifest(p)?;
    let old = Path::new(&p.appendfilename);
    if old.is_file() {
        let single_base = m.incr.is_empty()
            && m.base.as_ref().is_some_and(|b| b.name == p.appendfilename)
            && !p.dir.join(&p.appendfilename).exists();
        if !p.dir.is_dir() || m.is_empty() || single_base {
            upgrade(p, &mut m)?;
        }
    }
    let mut summary = Summary {
        manifest: m.clone(),
        total: 0,
        base_size: 0,
        loaded: false,
    };
    if m.is_empty() {
        return Ok(summary);
    }
    let files: Vec<AofFile> = m.replay_files().cloned().collect();
    let mut sizes = Vec::with_capacity(files.len());
    for f in &files {
        let path = p.dir.join(&f.name);
        let size = std::fs::metadata(&path)
            .map_err(|e| format!("Unable to obtain the AOF file {} length. stat: {e}", f.name))?
            .len();
        sizes.push(size);
    }
    summary.total = sizes.iter().sum();
    summary.base_size = m.base.as_ref().map_or(0, |_| sizes[0]);
    if summary.total == 0 {
        return Ok(summary);
    }
    summary.loaded = true;
    if !sink(Msg::Start(summary.total)) {
        return Err("loading stopped".into());
    }
    let mut done = 0u64;
    for (i, f) in files.iter().enumerate() {
        let last = i + 1 == files.len();
        let started = Instant::now();
        load_file(p, f, last, done, progress, sink)?;
        done += sizes[i];
        progress.store(done, Ordering::Relaxed);
        let base = m.base.as_ref().is_some_and(|b| b.name == f.name) && i == 0;
        if !sink(Msg::FileLoaded {
            name: f.name.clone(),
            base,
            started,
        }) {
            return Err("loading stopped".into());
        }
    }
    Ok(summary)
}

/// Loads one file: an RDB part when it starts with `REDIS`, then commands.
fn load_file(
    p: &Params,
    f: &AofFile,
    last: bool,
    offset: u64,
    progress: &AtomicU64,
    sink: &mut dyn FnMut(Msg) -> bool,
) -> Result<(), String> {
    let path = p.dir.join(&f.name);
    let stopped = || "loading stopped".to_string();
    let mut file = File::open(&path).map_err(|e| {
        format!(
            "Fatal error: can't open the append log file {} for reading: {e}",
            f.name
        )
    })?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    if size == 0 {
        return Ok(());
    }
    let mut sig = [0u8; 5];
    let is_rdb = file.read_exact(&mut sig).is_ok() && &sig == b"REDIS";
    let mut start = 0u64;
    if is_rdb {
        let old_style = f.name == p.appendfilename;
        if old_style {
            tracing::info!("Reading RDB preamble from AOF file...");
        } else {
            tracing::info!("Reading RDB base file on AOF loading...");
        }
        file.seek(SeekFrom::Start(0)).map_err(|e| {
            format!(
                "Unrecoverable error reading the append only file {}: {e}",
                f.name
            )
        })?;
        let mut reader = Reader::new(
            BufReader::with_capacity(1 << 20, &mut file),
            size,
            p.rdb.verify_checksum,
        );
        let mut dbs: Vec<Db> = (0..p.rdb.databases.max(1)).map(|_| Db::default()).collect();
        let report = decode::load(&mut reader, &p.rdb, &mut dbs, |pos, _| {
            progress.store(offset + pos, Ordering::Relaxed);
        })
        .map_err(|e| {
            format!(
                "Error reading the RDB base file {} at offset {}: {}, AOF loading aborted",
                f.name, e.offset, e.msg
            )
        })?;
        start = reader.pos();
        drop(reader);
        if !sink(Msg::Base(dbs, report)) {
            return Err(stopped());
        }
        if old_style && start < size {
            tracing::info!("Reading the remaining AOF tail...");
        }
    }
    file.seek(SeekFrom::Start(start)).map_err(|e| {
        format!(
            "Unrecoverable error reading the append only file {}: {e}",
            f.name
        )
    })?;
    if start >= size {
        return Ok(());
    }
    if !sink(Msg::File(f.name.clone())) {
        return Err(stopped());
    }
    let mut r = CommandReader::new(BufReader::with_capacity(1 << 20, file), start);
    let mut batch: Vec<Vec<Bytes>> = Vec::with_capacity(BATCH);
    let mut batch_bytes = 0usize;
    let mut valid_up_to = start;
    let mut before_multi = start;
    let mut in_multi = false;
    let outcome = loop {
        match r.next_item() {
            Ok(Item::Command(args)) => {
                if args[0].eq_ignore_ascii_case(b"multi") {
                    before_multi = valid_up_to;
                    in_multi = true;
                } else if args[0].eq_ignore_ascii_case(b"exec") {
                    in_multi = false;
                }
                batch_bytes += args.iter().map(Bytes::len).sum::<usize>();
                batch.push(args);
                valid_up_to = r.pos();
                if batch.len() >= BATCH || batch_bytes >= BATCH_BYTES {
                    batch_bytes = 0;
                    let cmds = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                    if !sink(Msg::Commands(cmds, offset + valid_up_to)) {
                        return Err(stopped());
                    }
                }
            }
            Ok(Item::End) => {
                if in_multi {
                    tracing::warn!(
                        "Revert incomplete MULTI/EXEC transaction in AOF file {}",
                        f.name
                    );
                    valid_up_to = before_multi;
                    break Err(StreamError::Truncated);
                }
                break Ok(());
            }
            Err(e) => break Err(e),
        }
    };
    if !batch.is_empty() && !sink(Msg::Commands(batch, offset + valid_up_to)) {
        return Err(stopped());
    }
    match outcome {
        Ok(()) => Ok(()),
        Err(StreamError::Truncated) => {
            if !p.load_truncated {
                return Err(format!(
                    "Unexpected end of file reading the append only file {} (last complete command ends at offset {valid_up_to} of {size} bytes). You can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server.",
                    f.name
                ));
            }
            if !last {
                return Err(format!(
                    "Fatal error: the truncated file {} is not the last file",
                    f.name
                ));
            }
            tracing::warn!(
                "!!! Warning: short read while loading the AOF file {}!!!",
                f.name
            );
            tracing::warn!(
                "!!! Truncating the AOF {} at offset {valid_up_to} !!!",
                f.name
            );
            let t = std::fs::OpenOptions::new()
                .write(true)
                .open(&path)
                .and_then(|file| file.set_len(valid_up_to).and_then(|_| file.sync_all()));
            if let Err(e) = t {
                return Err(format!("Error truncating the AOF file {}: {e}", f.name));
            }
            tracing::warn!(
                "AOF {} loaded anyway because aof-load-truncated is enabled",
                f.name
            );
            if !sink(Msg::DiscardMulti) {
                return Err(stopped());
            }
            Ok(())
        }
        Err(StreamError::Format(at)) => Err(format!(
            "Bad file format reading the append only file {} at offset {at}: make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>",
            f.name
        )),
        Err(StreamError::Io(e)) => Err(format!(
            "Unrecoverable error reading the append only file {}: {e}",
            f.name
        )),
    }
}

/// Executes the steps of a load on the event loop side.
pub struct Replayer {
    client: Option<Client>,
    file: String,
}

impl Replayer {
    /// Nothing applied yet.
    pub fn new() -> Replayer {
        Replayer {
            client: None,
            file: String::new(),
        }
    }

    /// Applies one step. An unknown command is an error (naming the file).
    pub fn apply(&mut self, srv: &mut Server, msg: Msg) -> Result<(), String> {
        match msg {
            Msg::Start(total) => {
                if let Some(l) = srv.rdb.loading.as_mut() {
                    l.total_bytes = total;
                }
            }
            Msg::Base(dbs, report) => {
                rdb_load::install(srv, dbs);
                srv.rdb.last_load_keys_loaded = report.keys_loaded;
                srv.rdb.last_load_keys_expired = report.keys_expired;
                tracing::info!(
                    "Done loading RDB, keys loaded: {}, keys expired: {}.",
                    report.keys_loaded,
                    report.keys_expired
                );
            }
            Msg::File(name) => {
                self.client = Some(fake_client(srv));
                self.file = name;
            }
            Msg::Commands(cmds, progress) => {
                let Some(c) = self.client.as_mut() else {
                    return Err("commands before a file".into());
                };
                srv.now_ms = unix_ms();
                // Testing aid, as in Redis: `key-load-delay` microseconds after each command.
                let delay = u64::try_from(srv.config.key_load_delay).unwrap_or(0);
                for args in cmds {
                    let name = String::from_utf8_lossy(&args[0]).into_owned();
                    if crate::server::dispatch::execute_trusted(srv, c, args).is_err() {
                        return Err(format!(
                            "Unknown command '{name}' reading the append only file {}",
                            self.file
                        ));
                    }
                    if delay > 0 {
                        std::thread::sleep(std::time::Duration::from_micros(delay));
                    }
                }
                if let Some(l) = srv.rdb.loading.as_ref() {
                    l.loaded_bytes.store(progress, Ordering::Relaxed);
                }
            }
            Msg::DiscardMulti => {
                if let Some(c) = self.client.as_mut() {
                    c.multi = None;
                }
            }
            Msg::FileLoaded {
                name,
                base,
                started,
            } => {
                let kind = if base { "base" } else { "incr" };
                tracing::info!(
                    "DB loaded from {kind} file {name}: {:.3} seconds",
                    started.elapsed().as_secs_f64()
                );
                self.client = None;
            }
        }
        Ok(())
    }
}

impl Default for Replayer {
    fn default() -> Self {
        Replayer::new()
    }
}

/// The client AOF commands run as: never registered, never blocked, replies dropped.
fn fake_client(srv: &mut Server) -> Client {
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let shared = Rc::new(ClientShared {
        id: srv.clients.next_id(),
        tx,
        resp: std::cell::Cell::new(2),
        queued_bytes: std::cell::Cell::new(0),
        dirty_cas: std::cell::Cell::new(false),
    });
    let mut c = Client::new(shared, "aof".into(), String::new(), -1, unix_ms());
    c.authenticated = true;
    c
}

fn start_loading(srv: &mut Server) -> Arc<AtomicU64> {
    let progress = Arc::new(AtomicU64::new(0));
    srv.rdb.loading = Some(Loading {
        start_secs: unix_ms() / 1000,
        total_bytes: 0,
        loaded_bytes: progress.clone(),
        async_loading: false,
    });
    progress
}

/// Adopts what a finished load found.
fn finish(srv: &mut Server, s: &Summary) {
    srv.aof.manifest = s.manifest.clone();
    srv.aof.size_baseline = s.total;
    srv.aof.size_mark = 0;
    srv.aof.base_size = s.base_size;
}

/// Loads the AOF at start-up: files read on a thread, commands executed here between other
/// clients' requests. Returns whether anything was loaded; an error means exiting. The server
/// stays in the loading state (clients get `-LOADING`) until the caller has opened the AOF for
/// appending: a write accepted before that would be missing from it.
pub async fn startup(server: &SharedServer) -> Result<bool, String> {
    let started = Instant::now();
    let (params, progress) = {
        let mut srv = server.borrow_mut();
        let p = Params::from_server(&srv);
        (p, start_loading(&mut srv))
    };
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Msg>(8);
    let (done_tx, done_rx) = tokio::sync::oneshot::channel();
    let spawned = std::thread::Builder::new()
        .name("aof-load".into())
        .spawn(move || {
            let r = read_all(&params, &progress, &mut |m| tx.blocking_send(m).is_ok());
            let _ = done_tx.send(r);
        });
    if let Err(e) = spawned {
        server.borrow_mut().rdb.loading = None;
        return Err(format!("cannot start the AOF loading thread: {e}"));
    }
    let mut replayer = Replayer::new();
    let mut failed = None;
    while let Some(msg) = rx.recv().await {
        let r = replayer.apply(&mut server.borrow_mut(), msg);
        if let Err(e) = r {
            failed = Some(e);
            break;
        }
        // Let the other clients in between batches (INFO, -LOADING replies).
        tokio::task::yield_now().await;
    }
    // Dropping the receiver stops the reading thread at its next step.
    drop(rx);
    let outcome = done_rx
        .await
        .unwrap_or_else(|_| Err("the AOF loading thread stopped".into()));
    let mut srv = server.borrow_mut();
    if let Some(e) = failed {
        return Err(e);
    }
    let summary = outcome?;
    finish(&mut srv, &summary);
    if summary.loaded {
        tracing::info!(
            "DB loaded from append only file: {:.3} seconds",
            started.elapsed().as_secs_f64()
        );
    }
    Ok(summary.loaded)
}

/// DEBUG LOADAOF: empties the dataset and loads the AOF again, inline.
pub fn reload_inline(srv: &mut Server) -> Result<(), String> {
    let params = Params::from_server(srv);
    srv.signal_flushed(None);
    for i in 0..srv.dbs.len() {
        let old = std::mem::take(&mut srv.dbs[i]);
        crate::server::commands::keys::drop_in_background(old);
    }
    let progress = start_loading(srv);
    let mut replayer = Replayer::new();
    let mut failed = None;
    let r = {
        let mut sink = |m: Msg| match replayer.apply(srv, m) {
            Ok(()) => true,
            Err(e) => {
                failed = Some(e);
                false
            }
        };
        read_all(&params, &progress, &mut sink)
    };
    srv.rdb.loading = None;
    if let Some(e) = failed {
        return Err(e);
    }
    let s = r?;
    finish(srv, &s);
    Ok(())
}

/// The AOF is open: clients may write.
pub fn done_loading(srv: &mut Server) {
    srv.rdb.loading = None;
}
