//! AOF rewrite the Redis 7.0 way, without fork: when it starts, the writer switches to a new
//! incr file (listed in the manifest at once), so every later write lands there; the new base
//! is the point-in-time snapshot BGSAVE uses, taken at that same instant and written by the
//! snapshot's writer thread to a temporary file; when it is complete, the base is moved into the
//! AOF directory and a new manifest (new base, the incr files it covers turned into history)
//! replaces the old one atomically, after which the history files are deleted.
//!
//! With `appendonly` turned on at runtime the AOF waits for its first rewrite (`WaitRewrite`):
//! writes go to a temporary incr file that becomes the first incr file when the base is done.

use std::path::{Path, PathBuf};

use super::manifest::{self, Manifest};
use super::writer::{ManifestUpdate, OpenSpec, Opened};
use super::{Status, dir, flush_buffer};
use crate::server::persistence::rdb::snapshot::{self, SaveKind, Target};
use crate::server::state::{Server, unix_ms};

/// Consecutive failures after which automatic rewrites back off.
const LIMIT_THRESHOLD: u64 = 3;
/// Longest back-off, minutes.
const LIMIT_MAX_MINUTES: i64 = 60;

/// A rewrite in progress.
#[derive(Debug)]
pub struct Rewrite {
    /// Identifies it among the tasks that report to it.
    pub id: u64,
    /// Unix ms when it started.
    pub start_ms: i64,
    /// The AOF status it started in (`WaitRewrite` means it creates the AOF).
    pub mode: Status,
    /// Temporary base file.
    pub tmp_base: PathBuf,
    /// Base in RDB format.
    pub rdb: bool,
    /// Stream offset where the new incr file begins.
    pub switch_offset: u64,
    /// The new incr file is open (or none was needed).
    pub switched: bool,
    /// The snapshot's outcome once it is written (base size).
    pub base: Option<Result<u64, String>>,
    /// The manifest swap runs (nothing can stop it any more).
    pub installing: bool,
}

/// Back-off state of automatic rewrites after repeated failures (Redis's `aofRewriteLimited`).
#[derive(Debug, Default)]
pub struct Limit {
    next_delay_minutes: i64,
    next_rewrite_time: i64,
}

/// Whether automatic (and scheduled) rewrites must wait because of repeated failures.
fn limited(srv: &mut Server) -> bool {
    let now = unix_ms() / 1000;
    let l = &mut srv.aof.limit;
    if srv.aof.consecutive_failures < LIMIT_THRESHOLD {
        *l = Limit::default();
        return false;
    }
    if l.next_rewrite_time != 0 {
        if now < l.next_rewrite_time {
            return true;
        }
        l.next_rewrite_time = 0;
        return false;
    }
    l.next_delay_minutes = if l.next_delay_minutes == 0 {
        1
    } else {
        (l.next_delay_minutes * 2).min(LIMIT_MAX_MINUTES)
    };
    l.next_rewrite_time = now + l.next_delay_minutes * 60;
    tracing::warn!(
        "Background AOF rewrite has repeatedly failed and triggered the limit, will retry in {} minutes",
        l.next_delay_minutes
    );
    true
}

/// Name of the temporary incr file used while the AOF waits for its first rewrite.
pub fn temp_incr_name(appendfilename: &str) -> String {
    format!("temp-{appendfilename}.incr")
}

static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// Starts a background rewrite. Fails when a background save runs or the writer cannot start.
pub fn start(srv: &mut Server) -> Result<(), String> {
    if srv.rdb.bgsave.is_some() || srv.aof.rewrite.is_some() {
        return Err("a background save or rewrite is in progress".into());
    }
    let Some(server) = srv.self_ref.upgrade() else {
        return Err("not running".into());
    };
    let id = NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let aof_dir = dir(srv);
    let name = srv.config.appendfilename.clone();
    srv.aof.selected_db = -1;
    flush_buffer(srv);
    let mode = srv.aof.status;
    let mut adopted: Option<Manifest> = None;
    let opened: Option<Opened> = match mode {
        Status::On => match &srv.aof.writer {
            Some(w) => {
                let mut m = srv.aof.manifest.clone();
                let incr = m.add_incr(&name);
                tracing::info!("Creating AOF incr file {incr} on background rewrite");
                let rx = w.switch(OpenSpec {
                    path: aof_dir.join(&incr),
                    truncate: true,
                    create_dir: Some(aof_dir.clone()),
                    manifest: Some(ManifestUpdate {
                        dir: aof_dir.clone(),
                        appendfilename: name.clone(),
                        manifest: m.clone(),
                    }),
                });
                adopted = Some(m);
                Some(rx)
            }
            None => None,
        },
        Status::WaitRewrite => {
            let spec = OpenSpec {
                path: aof_dir.join(temp_incr_name(&name)),
                truncate: true,
                create_dir: Some(aof_dir.clone()),
                manifest: None,
            };
            let (w, rx) = super::start_writer(srv, spec)?;
            srv.aof.writer = Some(w);
            srv.aof.fed = 0;
            srv.aof.size_mark = 0;
            srv.aof.size_baseline = 0;
            Some(rx)
        }
        Status::Off => None,
    };
    let tmp_base = std::env::current_dir()
        .unwrap_or_default()
        .join(format!("temp-rewriteaof-bg-{}.aof", std::process::id()));
    let rdb = srv.config.aof_use_rdb_preamble;
    let timestamp = srv.config.aof_timestamp_enabled.then(|| unix_ms() / 1000);
    let started = snapshot::start_to(
        srv,
        Target::AofBase {
            path: tmp_base.clone(),
            rdb,
            timestamp,
        },
    );
    if started.is_err() {
        return Err("the snapshot could not start".into());
    }
    srv.aof.rewrite = Some(Rewrite {
        id,
        start_ms: unix_ms(),
        mode,
        tmp_base,
        rdb,
        switch_offset: srv.aof.fed,
        switched: opened.is_none(),
        base: None,
        installing: false,
    });
    srv.aof.rewrites += 1;
    srv.aof.rewrite_scheduled = false;
    if let Some(rx) = opened {
        tokio::task::spawn_local(async move {
            let r = rx
                .await
                .unwrap_or_else(|_| Err("the AOF writer stopped".into()));
            let mut srv = server.borrow_mut();
            switched(&mut srv, id, r, adopted);
        });
    }
    Ok(())
}

/// The writer opened the new incr file (or failed to).
fn switched(srv: &mut Server, id: u64, r: Result<(), String>, adopted: Option<Manifest>) {
    match r {
        Ok(()) => {
            // The manifest on disk lists the new file now, whatever happens to the rewrite.
            if let Some(m) = adopted {
                srv.aof.manifest = m;
            }
            match srv.aof.rewrite.as_mut() {
                Some(rw) if rw.id == id => rw.switched = true,
                _ => return,
            }
            try_complete(srv);
        }
        Err(e) => {
            tracing::warn!("{e}");
            if srv.aof.rewrite.as_ref().is_some_and(|rw| rw.id == id) {
                fail(srv, &e);
            }
        }
    }
}

/// The snapshot finished writing the base file (called by the snapshot code).
pub fn base_done(srv: &mut Server, result: Result<u64, String>) {
    let Some(rw) = srv.aof.rewrite.as_mut() else {
        return;
    };
    match &result {
        Ok(_) => tracing::info!(
            "Successfully created the temporary AOF base file {}",
            rw.tmp_base.display()
        ),
        Err(e) => tracing::warn!("Background AOF rewrite terminated with error: {e}"),
    }
    rw.base = Some(result);
    try_complete(srv);
}

/// Once both the switch and the base are done: the manifest swap, off the event loop.
fn try_complete(srv: &mut Server) {
    let Some(rw) = srv.aof.rewrite.as_mut() else {
        return;
    };
    if !rw.switched || rw.installing {
        return;
    }
    match rw.base.take() {
        None => {}
        Some(Err(e)) => fail(srv, &e),
        Some(Ok(_)) => {
            rw.installing = true;
            let (id, tmp_base, rdb, mode) = (rw.id, rw.tmp_base.clone(), rw.rdb, rw.mode);
            let name = srv.config.appendfilename.clone();
            let aof_dir = dir(srv);
            let mut m = srv.aof.manifest.clone();
            let base_name = m.new_base(&name, rdb);
            let incr_rename = (mode == Status::WaitRewrite).then(|| {
                let incr = m.add_incr(&name);
                (aof_dir.join(temp_incr_name(&name)), incr)
            });
            let keep = usize::from(srv.aof.writer.is_some() && mode != Status::Off);
            m.retire_incr(keep);
            let job = Install {
                dir: aof_dir,
                appendfilename: name,
                tmp_base,
                base_name,
                incr_rename,
                manifest: m,
                gc: !srv.config.aof_disable_auto_gc,
            };
            let Some(server) = srv.self_ref.upgrade() else {
                return;
            };
            tokio::task::spawn_local(async move {
                let r = tokio::task::spawn_blocking(move || job.run())
                    .await
                    .unwrap_or_else(|e| Err(e.to_string()));
                let mut srv = server.borrow_mut();
                installed(&mut srv, id, r);
            });
        }
    }
}

/// The manifest swap of a finished rewrite.
struct Install {
    dir: PathBuf,
    appendfilename: String,
    tmp_base: PathBuf,
    base_name: String,
    /// Temporary incr file to rename into the first incr file (AOF turned on at runtime).
    incr_rename: Option<(PathBuf, String)>,
    manifest: Manifest,
    gc: bool,
}

impl Install {
    fn run(mut self) -> Result<(Manifest, u64), String> {
        std::fs::create_dir_all(&self.dir).map_err(|e| {
            format!(
                "Can't open or create append-only dir {}: {e}",
                self.dir.display()
            )
        })?;
        let base = self.dir.join(&self.base_name);
        if let Err(e) = std::fs::rename(&self.tmp_base, &base) {
            let _ = std::fs::remove_file(&self.tmp_base);
            return Err(format!(
                "Error trying to rename the temporary AOF base file {} into {}: {e}",
                self.tmp_base.display(),
                base.display()
            ));
        }
        tracing::info!(
            "Successfully renamed the temporary AOF base file {} into {}",
            self.tmp_base.display(),
            self.base_name
        );
        let mut renamed_incr = None;
        if let Some((from, to)) = &self.incr_rename {
            let target = self.dir.join(to);
            if let Err(e) = std::fs::rename(from, &target) {
                let _ = std::fs::remove_file(&base);
                return Err(format!(
                    "Error trying to rename the temporary AOF incr file {} into {}: {e}",
                    from.display(),
                    target.display()
                ));
            }
            tracing::info!(
                "Successfully renamed the temporary AOF incr file {} into {to}",
                from.display()
            );
            renamed_incr = Some(target);
        }
        if let Err(e) = manifest::persist(&self.dir, &self.appendfilename, &self.manifest) {
            let _ = std::fs::remove_file(&base);
            if let (Some(t), Some((from, _))) = (renamed_incr, &self.incr_rename) {
                let _ = std::fs::rename(t, from);
            }
            return Err(e);
        }
        let size = std::fs::metadata(&base).map(|m| m.len()).unwrap_or(0);
        if self.gc {
            remove_history(&self.dir, &self.appendfilename, &mut self.manifest);
        }
        Ok((self.manifest, size))
    }
}

/// Deletes the history files and persists the manifest without them (errors only logged:
/// leftover history does no harm).
fn remove_history(dir: &Path, appendfilename: &str, m: &mut Manifest) {
    if m.history.is_empty() {
        return;
    }
    for h in std::mem::take(&mut m.history) {
        tracing::info!("Removing the history file {} in the background", h.name);
        let _ = std::fs::remove_file(dir.join(&h.name));
    }
    if let Err(e) = manifest::persist(dir, appendfilename, m) {
        tracing::warn!("{e}");
    }
}

/// Deletes the history files now (`aof-disable-auto-gc` turned off), off the event loop.
pub fn delete_history(srv: &mut Server) {
    if srv.aof.manifest.history.is_empty() || srv.aof.rewrite.is_some() {
        return;
    }
    let mut m = srv.aof.manifest.clone();
    m.history.clear();
    let mut with = srv.aof.manifest.clone();
    srv.aof.manifest = m;
    let aof_dir = dir(srv);
    let name = srv.config.appendfilename.clone();
    tokio::task::spawn_blocking(move || remove_history(&aof_dir, &name, &mut with));
}

fn installed(srv: &mut Server, id: u64, r: Result<(Manifest, u64), String>) {
    if srv.aof.rewrite.as_ref().map(|rw| rw.id) != Some(id) {
        return;
    }
    let (m, base_size) = match r {
        Ok(x) => x,
        Err(e) => {
            tracing::warn!("{e}");
            fail(srv, &e);
            return;
        }
    };
    let Some(rw) = srv.aof.rewrite.take() else {
        return;
    };
    srv.aof.manifest = m;
    if srv.aof.status != Status::Off && srv.aof.writer.is_some() {
        srv.aof.size_baseline = base_size;
        srv.aof.size_mark = rw.switch_offset;
        srv.aof.base_size = srv.aof.current_size();
    }
    srv.aof.last_rewrite_ok = true;
    srv.aof.consecutive_failures = 0;
    srv.aof.last_rewrite_secs = (unix_ms() - rw.start_ms) / 1000;
    if rw.mode == Status::WaitRewrite && srv.aof.status == Status::WaitRewrite {
        srv.aof.status = Status::On;
    }
    tracing::info!("Background AOF rewrite finished successfully");
}

/// A rewrite failed: counted, the temporary files go, and an AOF being created tries again.
fn fail(srv: &mut Server, why: &str) {
    let Some(rw) = srv.aof.rewrite.take() else {
        return;
    };
    tracing::warn!("Background AOF rewrite failed: {why}");
    if snapshot::running_kind(srv) == Some(SaveKind::AofBase) {
        // Stop the snapshot; `killed` finds no rewrite any more.
        snapshot::abort(srv);
    }
    let tmp = rw.tmp_base.clone();
    tokio::task::spawn_blocking(move || std::fs::remove_file(tmp));
    srv.aof.last_rewrite_ok = false;
    srv.aof.consecutive_failures += 1;
    ended(srv, &rw);
}

/// The snapshot of the rewrite was stopped (appendonly no, SHUTDOWN, DEBUG RELOAD, a full
/// sync): like Redis killing its child, this is not counted as a failure.
pub fn killed(srv: &mut Server) {
    let Some(rw) = srv.aof.rewrite.take() else {
        return;
    };
    tracing::warn!("Background AOF rewrite stopped");
    ended(srv, &rw);
}

/// Common end of a rewrite that did not complete.
fn ended(srv: &mut Server, rw: &Rewrite) {
    srv.aof.last_rewrite_secs = (unix_ms() - rw.start_ms) / 1000;
    if rw.mode == Status::WaitRewrite && srv.aof.status == Status::WaitRewrite {
        // Forget what the temporary incr file collected; the next attempt starts over.
        srv.aof.buf.clear();
        if let Some(w) = srv.aof.writer.take() {
            let name = temp_incr_name(&srv.config.appendfilename);
            w.close(Some(dir(srv).join(name)));
        }
        srv.aof.rewrite_scheduled = true;
    }
}

/// BGREWRITEAOF's reply.
pub fn command(srv: &mut Server, in_exec: bool) -> crate::resp::Reply {
    use crate::resp::Reply;
    if srv.aof.rewrite.is_some() {
        return Reply::err("ERR Background append only file rewriting already in progress");
    }
    if srv.rdb.bgsave.is_some() || in_exec {
        srv.aof.rewrite_scheduled = true;
        srv.aof.consecutive_failures = 0;
        return Reply::Status("Background append only file rewriting scheduled".into());
    }
    match start(srv) {
        Ok(()) => Reply::Status("Background append only file rewriting started".into()),
        Err(e) => {
            tracing::warn!("Can't rewrite append only file in background: {e}");
            srv.aof.last_rewrite_ok = false;
            Reply::err(
                "ERR Can't execute an AOF background rewriting. Please check the server logs for more information.",
            )
        }
    }
}

/// `appendonly yes` at runtime: the AOF waits for a rewrite to create its base.
pub fn start_append_only(srv: &mut Server) -> Result<(), String> {
    srv.aof.status = Status::WaitRewrite;
    let in_exec = crate::server::replication::propagate::in_nested_call(srv);
    if srv.rdb.bgsave.is_some() || srv.aof.rewrite.is_some() {
        srv.aof.rewrite_scheduled = true;
        tracing::warn!(
            "AOF was enabled but there is already another background operation. An AOF background was scheduled to start when possible."
        );
    } else if in_exec {
        srv.aof.rewrite_scheduled = true;
        tracing::warn!(
            "AOF was enabled during a transaction. An AOF background was scheduled to start when possible."
        );
    } else if let Err(e) = start(srv) {
        srv.aof.status = Status::Off;
        tracing::warn!(
            "Redis needs to enable the AOF but can't trigger a background AOF rewrite operation. Check the above logs for more info about the error: {e}"
        );
        return Err(e);
    }
    Ok(())
}

/// `appendonly no` at runtime: the file is fsynced and closed, a rewrite is stopped.
pub fn stop_append_only(srv: &mut Server) {
    let was = srv.aof.status;
    flush_buffer(srv);
    if let Some(w) = srv.aof.writer.take() {
        let temp = (was == Status::WaitRewrite)
            .then(|| dir(srv).join(temp_incr_name(&srv.config.appendfilename)));
        w.close(temp);
    }
    srv.aof.status = Status::Off;
    srv.aof.rewrite_scheduled = false;
    srv.aof.selected_db = -1;
    srv.aof.size_baseline = srv.aof.current_size();
    srv.aof.fed = 0;
    srv.aof.size_mark = 0;
    if snapshot::running_kind(srv) == Some(SaveKind::AofBase) {
        tracing::info!("Killing running AOF rewrite child (the in-process snapshot)");
        snapshot::abort(srv);
    }
}

/// Scheduled rewrites (after a BGSAVE, or a failed first rewrite) and automatic ones
/// (`auto-aof-rewrite-percentage` / `-min-size`).
pub fn cron(srv: &mut Server) {
    if srv.rdb.bgsave.is_some() || srv.aof.rewrite.is_some() || srv.rdb.loading.is_some() {
        return;
    }
    if srv.aof.rewrite_scheduled {
        if !limited(srv)
            && let Err(e) = start(srv)
        {
            tracing::warn!("Can't rewrite append only file in background: {e}");
        }
        return;
    }
    let perc = srv.config.auto_aof_rewrite_percentage;
    let size = srv.aof.current_size();
    if srv.aof.status == Status::On
        && srv.aof.writer.is_some()
        && perc > 0
        && size > srv.config.auto_aof_rewrite_min_size
    {
        let base = srv.aof.base_size.max(1);
        let growth = (size * 100 / base) as i64 - 100;
        if growth >= perc as i64 && !limited(srv) {
            tracing::info!("Starting automatic rewriting of AOF on {growth}% growth");
            if let Err(e) = start(srv) {
                tracing::warn!("Can't rewrite append only file in background: {e}");
            }
        }
    }
}

/// SHUTDOWN: a rewrite creating the AOF must finish first (unless FORCE); any other is stopped.
/// Then what is buffered is written and fsynced. Err when the server must keep running.
pub fn prepare_shutdown(srv: &mut Server, force: bool) -> Result<(), String> {
    if srv.aof.rewrite.is_some() {
        if srv.aof.status == Status::WaitRewrite {
            if force {
                tracing::warn!("Writing initial AOF. Exit anyway.");
            } else {
                tracing::warn!("Writing initial AOF, can't exit.");
                return Err("Writing initial AOF".into());
            }
        }
        tracing::warn!("There is a child rewriting the AOF. Killing it!");
        if snapshot::running_kind(srv) == Some(SaveKind::AofBase) {
            snapshot::abort(srv);
        }
        srv.aof.rewrite = None;
    }
    if srv.aof.status != Status::Off {
        tracing::info!("Calling fsync() on the AOF file.");
        super::sync_blocking(srv);
    }
    Ok(())
}
