//! Persistence bookkeeping kept in the server state: the running background save, the outcome
//! of the last one, load progress, and the figures INFO persistence reports.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::rdb::snapshot::BgSave;

/// Progress of a load in progress (INFO `loading_*`).
#[derive(Debug, Clone)]
pub struct Loading {
    /// Unix seconds the load started.
    pub start_secs: i64,
    /// Size of the file.
    pub total_bytes: u64,
    /// Bytes consumed so far (updated by the loading thread).
    pub loaded_bytes: Arc<AtomicU64>,
    /// A replica's `repl-diskless-load swapdb` load into a separate dataset while the current
    /// one keeps being served (INFO `async_loading:1` instead of `loading:1`).
    pub async_loading: bool,
}

impl Loading {
    /// Bytes consumed so far.
    pub fn loaded(&self) -> u64 {
        self.loaded_bytes.load(Ordering::Relaxed)
    }
}

/// RDB state of the server.
#[derive(Default)]
pub struct RdbState {
    /// The background save in progress, if any.
    pub bgsave: Option<BgSave>,
    /// BGSAVE SCHEDULE (or BGSAVE inside MULTI) asked for a save that has not started yet.
    pub bgsave_scheduled: bool,
    /// Whether the last background save failed (`rdb_last_bgsave_status:err`, MISCONF).
    pub last_bgsave_failed: bool,
    /// Duration of the last background save, seconds (-1 = none yet).
    pub last_bgsave_secs: Option<i64>,
    /// Unix seconds of the last background save attempt (retry delay after a failure).
    pub last_bgsave_try: i64,
    /// Save attempts, foreground and background (`rdb_saves`).
    pub saves: u64,
    /// Load in progress (start-up, or a replica's full synchronisation).
    pub loading: Option<Loading>,
    /// Keys loaded by the last load.
    pub last_load_keys_loaded: u64,
    /// Keys skipped as expired by the last load.
    pub last_load_keys_expired: u64,
    /// Generation of the last background save to disk that completed successfully (a full
    /// sync hands that file to its replicas only if it is the save it started).
    pub last_ok_generation: u64,
    /// Generation counter of background saves, so a finished writer cannot be mistaken for a
    /// newer save.
    pub generation: u64,
}
