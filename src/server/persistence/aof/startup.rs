//! Opening the AOF for writing at start-up, after it was loaded (Redis's
//! `aofOpenIfNeededOnServerStart`): the directory is created, an AOF with no file at all gets
//! an empty base, the last incr file is reopened (or a first one created), the manifest is
//! persisted and history files left by an interrupted clean-up are deleted.

use std::io::Write;
use std::path::PathBuf;

use super::manifest::{self, Manifest};
use super::writer::OpenSpec;
use super::{Status, dir};
use crate::server::connection::SharedServer;
use crate::server::persistence::rdb::{crc64, encode, opcode};
use crate::server::state::unix_ms;

struct Plan {
    dir: PathBuf,
    appendfilename: String,
    manifest: Manifest,
    rdb: bool,
    timestamp: bool,
    gc: bool,
}

struct Prepared {
    manifest: Manifest,
    incr: String,
    created_incr: bool,
    created_base: Option<u64>,
}

/// The content of the base file of an empty dataset.
fn empty_base(rdb: bool, timestamp: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let now = unix_ms() / 1000;
    if rdb {
        encode::write_header(&mut out, now, crate::alloc::allocated() as u64, None, true);
        out.push(opcode::EOF);
        let crc = crc64::checksum(&out);
        out.extend_from_slice(&crc.to_le_bytes());
    } else if timestamp {
        super::stream::timestamp_annotation(&mut out, now);
    }
    out
}

impl Plan {
    fn run(mut self) -> Result<Prepared, String> {
        std::fs::create_dir_all(&self.dir).map_err(|e| {
            format!(
                "Can't open or create append-only dir {}: {e}",
                self.dir.display()
            )
        })?;
        let mut dirty = false;
        let mut created_base = None;
        if self.manifest.is_empty() {
            let name = self.manifest.new_base(&self.appendfilename, self.rdb);
            let tmp = PathBuf::from(format!("temp-rewriteaof-{}.aof", std::process::id()));
            let data = empty_base(self.rdb, self.timestamp);
            let write = || -> std::io::Result<()> {
                let mut f = std::fs::File::create(&tmp)?;
                f.write_all(&data)?;
                f.sync_all()?;
                std::fs::rename(&tmp, self.dir.join(&name))
            };
            if let Err(e) = write() {
                let _ = std::fs::remove_file(&tmp);
                return Err(format!("Write error writing append only file on disk: {e}"));
            }
            tracing::info!("Creating AOF base file {name} on server start");
            created_base = Some(data.len() as u64);
            dirty = true;
        }
        let (incr, created_incr) = match self.manifest.incr.last() {
            Some(f) => (f.name.clone(), false),
            None => {
                dirty = true;
                (self.manifest.add_incr(&self.appendfilename), true)
            }
        };
        // Create the incr file before the manifest names it.
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join(&incr))
            .map_err(|e| format!("Can't open the append-only file {incr}: {e}"))?;
        if dirty {
            manifest::persist(&self.dir, &self.appendfilename, &self.manifest)?;
        }
        if self.gc && !self.manifest.history.is_empty() {
            for h in std::mem::take(&mut self.manifest.history) {
                tracing::info!("Removing the history file {} in the background", h.name);
                let _ = std::fs::remove_file(self.dir.join(&h.name));
            }
            if let Err(e) = manifest::persist(&self.dir, &self.appendfilename, &self.manifest) {
                tracing::warn!("{e}");
            }
        }
        Ok(Prepared {
            manifest: self.manifest,
            incr,
            created_incr,
            created_base,
        })
    }
}

/// Opens the AOF for appending (with `appendonly yes`, after loading). An error means exiting.
pub async fn open(server: &SharedServer) -> Result<(), String> {
    let plan = {
        let srv = server.borrow();
        Plan {
            dir: dir(&srv),
            appendfilename: srv.config.appendfilename.clone(),
            manifest: srv.aof.manifest.clone(),
            rdb: srv.config.aof_use_rdb_preamble,
            timestamp: srv.config.aof_timestamp_enabled,
            gc: !srv.config.aof_disable_auto_gc,
        }
    };
    let aof_dir = plan.dir.clone();
    let prepared = tokio::task::spawn_blocking(move || plan.run())
        .await
        .map_err(|e| e.to_string())??;
    let (writer, opened) = {
        let srv = server.borrow();
        super::start_writer(
            &srv,
            OpenSpec {
                path: aof_dir.join(&prepared.incr),
                truncate: false,
                create_dir: None,
                manifest: None,
            },
        )?
    };
    opened
        .await
        .unwrap_or_else(|_| Err("the AOF writer stopped".into()))?;
    if prepared.created_incr {
        tracing::info!("Creating AOF incr file {} on server start", prepared.incr);
    } else {
        tracing::info!("Opening AOF incr file {} on server start", prepared.incr);
    }
    let mut srv = server.borrow_mut();
    srv.aof.manifest = prepared.manifest;
    if let Some(size) = prepared.created_base {
        srv.aof.size_baseline += size;
        srv.aof.base_size = size;
    }
    srv.aof.writer = Some(writer);
    srv.aof.fed = 0;
    srv.aof.size_mark = 0;
    srv.aof.selected_db = -1;
    srv.aof.status = Status::On;
    Ok(())
}

/// With `appendonly no`, the manifest is still read at start-up (a later BGREWRITEAOF or
/// `appendonly yes` continues its numbering), off the event loop. An error means exiting.
pub async fn read_manifest(server: &SharedServer) -> Result<(), String> {
    let params = super::load::Params::from_server(&server.borrow());
    let m = tokio::task::spawn_blocking(move || super::load::read_manifest(&params))
        .await
        .map_err(|e| e.to_string())??;
    server.borrow_mut().aof.manifest = m;
    Ok(())
}
