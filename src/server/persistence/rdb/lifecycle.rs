//! Server lifecycle events that involve the RDB file: the final save at shutdown and
//! DEBUG RELOAD (save, flush, load back).

use std::path::PathBuf;

use super::{load, save, snapshot};
use crate::server::shutdown::ShutdownFlags;
use crate::server::state::Server;

/// The final save failed: the server must keep running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SaveFailed;

/// The RDB part of completing a shutdown: stops a background save, then saves when asked
/// (SAVE) or when save points are configured (unless NOSAVE). An error means the server must
/// not exit (unless FORCE, which only logs it).
pub fn final_save(srv: &mut Server, flags: ShutdownFlags) -> Result<(), SaveFailed> {
    if srv.rdb.bgsave.is_some() {
        tracing::warn!("There is a child saving an .rdb. Killing it!");
        snapshot::abort(srv);
    }
    let save = flags.save || (!srv.config.save_points.is_empty() && !flags.nosave);
    if save {
        tracing::info!("Saving the final RDB snapshot before exiting.");
        if save::save_sync(srv).is_err() {
            if flags.force {
                tracing::warn!("Error trying to save the DB. Exit anyway.");
            } else {
                tracing::warn!("Error trying to save the DB, can't exit.");
                return Err(SaveFailed);
            }
        }
    }
    Ok(())
}

/// DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: saves (unless NOSAVE), empties the keyspace
/// (unless NOFLUSH) and loads the file back; MERGE lets loaded keys replace existing ones.
pub fn debug_reload(
    srv: &mut Server,
    save_first: bool,
    flush: bool,
    merge: bool,
) -> Result<(), String> {
    snapshot::abort(srv);
    if save_first && save::save_sync(srv).is_err() {
        return Err("ERR".into());
    }
    let opts = load::load_options(srv);
    let path = PathBuf::from(&srv.config.dbfilename);
    let loaded = match load::load_file(&path, &opts, None) {
        Ok(Some(l)) => l,
        Ok(None) => {
            tracing::warn!("Fatal error loading the DB: No such file or directory");
            return Err("ERR Error trying to load the RDB dump, check server logs.".into());
        }
        Err(e) => {
            tracing::warn!("Fatal error loading the DB: {e}");
            return Err("ERR Error trying to load the RDB dump, check server logs.".into());
        }
    };
    let (dbs, report) = loaded;
    srv.signal_flushed(None);
    if flush {
        load::install(srv, dbs);
    } else {
        for (i, db) in dbs.into_iter().enumerate() {
            for (k, e) in db.entries {
                let target = &mut srv.dbs[i];
                if target.entries.contains_key(&k) {
                    if !merge {
                        tracing::warn!(
                            "RDB has duplicated key '{}' in DB {i}",
                            String::from_utf8_lossy(&k)
                        );
                        return Err(
                            "ERR Error trying to load the RDB dump, check server logs.".into()
                        );
                    }
                    target.remove(&k);
                }
                target.insert(k, e.value, e.expires_at, e.lru);
            }
        }
    }
    load::log_loaded(srv, &report);
    tracing::warn!("DB reloaded by DEBUG RELOAD");
    Ok(())
}
