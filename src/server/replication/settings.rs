//! Typed copy of the replication directives, rebuilt at start-up and after CONFIG SET, so the
//! replication code never parses configuration text on its paths.

use crate::config::ServerConfig;
use crate::util::num::parse_i64;

/// How a replica loads the dataset of a full resynchronisation (`repl-diskless-load`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisklessLoad {
    /// Receive into a file on disk, then load it.
    Disabled,
    /// Load straight from the socket when the dataset is empty.
    OnEmptyDb,
    /// Load from the socket into a new dataset, swapped in when complete.
    Swapdb,
}

/// Replication directives the data node acts on.
#[derive(Debug, Clone)]
pub struct ReplSettings {
    /// `masterauth`.
    pub masterauth: Option<Vec<u8>>,
    /// `masteruser`.
    pub masteruser: Option<Vec<u8>>,
    /// `replica-serve-stale-data`.
    pub serve_stale_data: bool,
    /// `replica-read-only`.
    pub read_only: bool,
    /// `replica-priority`.
    pub priority: i64,
    /// `replica-announce-ip`.
    pub announce_ip: Option<String>,
    /// `replica-announce-port` (0 = our own port).
    pub announce_port: u16,
    /// `replica-announced`.
    pub announced: bool,
    /// `replica-lazy-flush`.
    pub lazy_flush: bool,
    /// `replica-ignore-maxmemory`.
    pub ignore_maxmemory: bool,
    /// `repl-ping-replica-period`, seconds.
    pub ping_period: i64,
    /// `repl-timeout`, seconds.
    pub timeout: i64,
    /// `repl-backlog-size`, bytes.
    pub backlog_size: usize,
    /// `repl-backlog-ttl`, seconds (0 = never free).
    pub backlog_ttl: i64,
    /// `repl-disable-tcp-nodelay`.
    pub disable_tcp_nodelay: bool,
    /// `repl-diskless-sync`.
    pub diskless_sync: bool,
    /// `repl-diskless-sync-delay`, seconds.
    pub diskless_sync_delay: i64,
    /// `repl-diskless-sync-max-replicas` (0 = no limit).
    pub diskless_sync_max_replicas: i64,
    /// `repl-diskless-load`.
    pub diskless_load: DisklessLoad,
    /// `min-replicas-to-write`.
    pub min_replicas_to_write: i64,
    /// `min-replicas-max-lag`, seconds.
    pub min_replicas_max_lag: i64,
    /// `lazyfree-lazy-expire`: expiries propagate as UNLINK instead of DEL.
    pub lazy_expire: bool,
    /// `lazyfree-lazy-eviction`: evictions propagate as UNLINK instead of DEL.
    pub lazy_eviction: bool,
}

/// Smallest backlog Redis accepts (`CONFIG_REPL_BACKLOG_MIN_SIZE`).
pub const MIN_BACKLOG: usize = 16 * 1024;

impl ReplSettings {
    /// Reads the directives from the configuration.
    pub fn from_config(cfg: &ServerConfig) -> ReplSettings {
        let raw = |n: &str| cfg.value(n).unwrap_or_default();
        let int = |n: &str| parse_i64(&raw(n)).unwrap_or(0);
        let yes = |n: &str| raw(n) == b"yes";
        let opt = |n: &str| Some(raw(n)).filter(|v| !v.is_empty());
        let mem = |n: &str| crate::config::parse_memory(&raw(n)).unwrap_or(1024 * 1024) as usize;
        ReplSettings {
            masterauth: opt("masterauth"),
            masteruser: opt("masteruser"),
            serve_stale_data: yes("replica-serve-stale-data"),
            read_only: yes("replica-read-only"),
            priority: int("replica-priority"),
            announce_ip: opt("replica-announce-ip")
                .map(|v| String::from_utf8_lossy(&v).into_owned()),
            announce_port: u16::try_from(int("replica-announce-port")).unwrap_or(0),
            announced: yes("replica-announced"),
            lazy_flush: yes("replica-lazy-flush"),
            ignore_maxmemory: yes("replica-ignore-maxmemory"),
            ping_period: int("repl-ping-replica-period").max(1),
            timeout: int("repl-timeout").max(1),
            backlog_size: mem("repl-backlog-size").max(MIN_BACKLOG),
            backlog_ttl: int("repl-backlog-ttl"),
            disable_tcp_nodelay: yes("repl-disable-tcp-nodelay"),
            diskless_sync: yes("repl-diskless-sync"),
            diskless_sync_delay: int("repl-diskless-sync-delay"),
            diskless_sync_max_replicas: int("repl-diskless-sync-max-replicas"),
            diskless_load: match raw("repl-diskless-load").as_slice() {
                b"on-empty-db" => DisklessLoad::OnEmptyDb,
                b"swapdb" => DisklessLoad::Swapdb,
                _ => DisklessLoad::Disabled,
            },
            min_replicas_to_write: int("min-replicas-to-write"),
            min_replicas_max_lag: int("min-replicas-max-lag"),
            lazy_expire: yes("lazyfree-lazy-expire"),
            lazy_eviction: yes("lazyfree-lazy-eviction"),
        }
    }

    /// The `replicaof` directive as (host, port), if set.
    pub fn replicaof(cfg: &ServerConfig) -> Option<(String, u16)> {
        let v = cfg.value("replicaof")?;
        let text = String::from_utf8_lossy(&v).into_owned();
        let mut it = text.split_whitespace();
        let host = it.next()?.to_string();
        let port = it.next()?.parse().ok()?;
        Some((host, port))
    }
}
