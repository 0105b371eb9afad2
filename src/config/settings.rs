//! Typed copies of the directives the server reads on hot paths, rebuilt from
//! the validated values whenever they change so that readers never parse.

use std::path::PathBuf;

use super::notify;
use super::value::{OBUF_CLASSES, Value, parse_int, parse_memory, parse_obuf};
use indexmap::IndexMap;

/// One `bind` address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindAddr {
    /// The address (`*` = every IPv4 address, `::*` = every IPv6 address).
    pub addr: String,
    /// Written with a leading `-`: failing to bind it is not fatal.
    pub optional: bool,
}

/// What to do when `maxmemory` is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaxmemoryPolicy {
    /// Refuse writes that need memory.
    NoEviction,
    /// Evict least recently used among all keys.
    AllKeysLru,
    /// Evict least recently used among keys with a TTL.
    VolatileLru,
    /// Evict least frequently used among all keys.
    AllKeysLfu,
    /// Evict least frequently used among keys with a TTL.
    VolatileLfu,
    /// Evict random keys.
    AllKeysRandom,
    /// Evict random keys with a TTL.
    VolatileRandom,
    /// Evict keys with the nearest expiry.
    VolatileTtl,
}

impl MaxmemoryPolicy {
    fn from_name(s: &[u8]) -> Self {
        match s {
            b"allkeys-lru" => Self::AllKeysLru,
            b"volatile-lru" => Self::VolatileLru,
            b"allkeys-lfu" => Self::AllKeysLfu,
            b"volatile-lfu" => Self::VolatileLfu,
            b"allkeys-random" => Self::AllKeysRandom,
            b"volatile-random" => Self::VolatileRandom,
            b"volatile-ttl" => Self::VolatileTtl,
            _ => Self::NoEviction,
        }
    }

    /// True for the LFU policies, which change what the key's access field
    /// holds.
    pub fn is_lfu(self) -> bool {
        matches!(self, Self::AllKeysLfu | Self::VolatileLfu)
    }
}

/// Log verbosity, most verbose first so `<=` compares sensibly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    /// Everything.
    Debug,
    /// Much, but useful.
    Verbose,
    /// Production default.
    Notice,
    /// Only important messages.
    Warning,
    /// Nothing at all.
    Nothing,
}

/// `no` / `yes` / `local` setting of `enable-*-command` and
/// `enable-protected-configs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Allow {
    /// Never allowed.
    No,
    /// Always allowed.
    Yes,
    /// Allowed for connections from loopback or the unix socket.
    Local,
}

impl Allow {
    fn from_name(s: &[u8]) -> Self {
        match s {
            b"yes" => Allow::Yes,
            b"local" => Allow::Local,
            _ => Allow::No,
        }
    }

    /// Whether a client (local or not) is allowed.
    pub fn permits(self, client_is_local: bool) -> bool {
        match self {
            Allow::No => false,
            Allow::Yes => true,
            Allow::Local => client_is_local,
        }
    }
}

/// Client classes with their own output buffer limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientClass {
    /// Ordinary clients.
    Normal = 0,
    /// Replicas (`slave` in Redis's output).
    Replica = 1,
    /// Clients subscribed to channels or patterns.
    Pubsub = 2,
}

/// Output buffer limits of one client class; 0 means no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ObufLimit {
    /// Disconnect at once above this many bytes.
    pub hard: u64,
    /// Disconnect when above this many bytes for `soft_seconds`.
    pub soft: u64,
    /// How long the soft limit may be exceeded.
    pub soft_seconds: u64,
}

/// `maxmemory-clients`: a byte budget or a share of `maxmemory`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaxmemoryClients {
    /// Bytes; 0 disables client eviction.
    Bytes(u64),
    /// Percent of `maxmemory`.
    Percent(u8),
}

/// Typed values of the directives the server consults often.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// TCP port; 0 disables TCP.
    pub port: u16,
    /// Addresses to listen on.
    pub bind: Vec<BindAddr>,
    /// Refuse non-loopback clients when no password/bind is configured.
    pub protected_mode: bool,
    /// Password of the default user; `None` when empty.
    pub requirepass: Option<Vec<u8>>,
    /// Memory limit in bytes; 0 = unlimited.
    pub maxmemory: u64,
    /// Eviction policy.
    pub maxmemory_policy: MaxmemoryPolicy,
    /// Keys sampled per eviction.
    pub maxmemory_samples: u32,
    /// Budget for client buffers before clients get evicted.
    pub maxmemory_clients: MaxmemoryClients,
    /// Number of databases.
    pub databases: usize,
    /// Idle client timeout in seconds; 0 = never.
    pub timeout_secs: u64,
    /// TCP keepalive interval in seconds; 0 = off.
    pub tcp_keepalive: u32,
    /// listen(2) backlog.
    pub tcp_backlog: u32,
    /// Maximum simultaneous clients.
    pub maxclients: u32,
    /// Background task frequency, clamped to 1..=500 like Redis does.
    pub hz: u32,
    /// Raise hz with many clients.
    pub dynamic_hz: bool,
    /// Log verbosity.
    pub loglevel: LogLevel,
    /// Log file; empty = standard output.
    pub logfile: String,
    /// PID file to write, if any.
    pub pidfile: Option<String>,
    /// Unix socket to listen on, if any.
    pub unixsocket: Option<String>,
    /// Permissions of the unix socket (0 = leave as created).
    pub unixsocketperm: u32,
    /// Working directory for data files, as configured.
    pub dir: PathBuf,
    /// RDB file name inside `dir`.
    pub dbfilename: String,
    /// `rename-command old new` pairs in order; an empty new name removes
    /// the command.
    pub rename_commands: Vec<(String, Vec<u8>)>,
    /// Keyspace notification mask; bits are the `NOTIFY_*` constants.
    pub notify_keyspace_events: u32,
    /// Microseconds above which a command is logged; -1 disables, 0 logs all.
    pub slowlog_log_slower_than: i64,
    /// Entries kept in the slow log.
    pub slowlog_max_len: u64,
    /// Milliseconds above which latency events are recorded; 0 disables.
    pub latency_monitor_threshold: u64,
    /// Output buffer limits, indexed by [`ClientClass`].
    pub client_output_buffer_limit: [ObufLimit; 3],
    /// Maximum query buffer per client.
    pub client_query_buffer_limit: u64,
    /// Maximum length of one bulk string in a request.
    pub proto_max_bulk_len: u64,
    /// `user` lines, each the words after `user`.
    pub users: Vec<Vec<Vec<u8>>>,
    /// External ACL file, if any.
    pub aclfile: Option<String>,
    /// ACL LOG length.
    pub acllog_max_len: u64,
    /// New users get `allchannels` instead of `resetchannels`.
    pub acl_pubsub_default_allchannels: bool,
    /// LFU counter logarithm factor.
    pub lfu_log_factor: u32,
    /// Minutes per LFU counter decay step.
    pub lfu_decay_time: u32,
    /// Who may run DEBUG.
    pub enable_debug_command: Allow,
    /// Who may run MODULE.
    pub enable_module_command: Allow,
    /// Who may CONFIG SET protected directives (`dir`, `dbfilename`).
    pub enable_protected_configs: Allow,
    /// Milliseconds before a busy script/function lets BUSY replies through.
    pub busy_reply_threshold: u64,
    /// Maximum keys tracked for client-side caching.
    pub tracking_table_max_keys: u64,
    /// Seconds SHUTDOWN waits for replicas.
    pub shutdown_timeout: u64,
    /// Record per-command latency histograms.
    pub latency_tracking: bool,
    /// `save` points as (seconds, changes) pairs; empty = no automatic snapshots.
    pub save_points: Vec<(u64, u64)>,
    /// LZF-compress strings in RDB files.
    pub rdbcompression: bool,
    /// Write and verify the CRC-64 trailer of RDB files.
    pub rdbchecksum: bool,
    /// Refuse writes while the last background save failed (with save points set).
    pub stop_writes_on_bgsave_error: bool,
    /// fsync RDB files every 32 MB while writing.
    pub rdb_save_incremental_fsync: bool,
    /// Testing aid: microseconds slept per key while saving.
    pub rdb_key_save_delay: i64,
    /// Testing aid: microseconds slept per key while loading.
    pub key_load_delay: i64,
    /// `appendonly`: keep the append-only file.
    pub appendonly: bool,
    /// Base name of the AOF files (`appendfilename`).
    pub appendfilename: String,
    /// Directory of the multi-part AOF inside `dir` (`appenddirname`).
    pub appenddirname: String,
    /// `appendfsync`.
    pub appendfsync: AppendFsync,
    /// `no-appendfsync-on-rewrite`: skip fsyncs while a rewrite runs.
    pub no_appendfsync_on_rewrite: bool,
    /// `auto-aof-rewrite-percentage` (0 disables automatic rewrites).
    pub auto_aof_rewrite_percentage: u64,
    /// `auto-aof-rewrite-min-size` in bytes.
    pub auto_aof_rewrite_min_size: u64,
    /// `aof-load-truncated`: load a truncated last file, cutting the incomplete tail.
    pub aof_load_truncated: bool,
    /// `aof-use-rdb-preamble`: write the base file in RDB format.
    pub aof_use_rdb_preamble: bool,
    /// `aof-rewrite-incremental-fsync`: fsync the new base every 32 MB while writing it.
    pub aof_rewrite_incremental_fsync: bool,
    /// `aof-timestamp-enabled`: `#TS:` annotations in the AOF.
    pub aof_timestamp_enabled: bool,
    /// `aof-disable-auto-gc`: keep history files after a rewrite.
    pub aof_disable_auto_gc: bool,
}

/// `appendfsync`: when the append-only file is flushed to the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppendFsync {
    /// After every event-loop batch, before its replies go out.
    Always,
    /// Once per second, on a background thread.
    Everysec,
    /// Left to the kernel.
    No,
}

impl Settings {
    /// Output buffer limit of one class.
    pub fn obuf_limit(&self, class: ClientClass) -> ObufLimit {
        self.client_output_buffer_limit[class as usize]
    }

    /// Derives the typed view; the values are already validated, so a
    /// fallback is only a guard against a table inconsistency.
    pub(crate) fn from_values(values: &IndexMap<&'static str, Value>) -> Settings {
        let raw = |name: &str| -> &[u8] { values.get(name).map(Value::bytes).unwrap_or_default() };
        let text = |name: &str| String::from_utf8_lossy(raw(name)).into_owned();
        let opt = |name: &str| Some(text(name)).filter(|s| !s.is_empty());
        let int = |name: &str| parse_int(raw(name)).unwrap_or(0);
        let uint = |name: &str| u64::try_from(int(name)).unwrap_or(0);
        let u32v = |name: &str| u32::try_from(int(name)).unwrap_or(u32::MAX);
        let mem = |name: &str| parse_memory(raw(name)).unwrap_or(0);
        let yes = |name: &str| raw(name) == b"yes";
        let lines = |name: &str| match values.get(name) {
            Some(Value::Lines(l)) => l.clone(),
            _ => Vec::new(),
        };
        let obuf = parse_obuf(raw("client-output-buffer-limit"));
        let limits = obuf.map(|(hard, soft, soft_seconds)| ObufLimit {
            hard,
            soft,
            soft_seconds,
        });
        debug_assert_eq!(OBUF_CLASSES.len(), limits.len());
        let mm_clients = raw("maxmemory-clients");
        let maxmemory_clients = match mm_clients.strip_suffix(b"%") {
            Some(p) => MaxmemoryClients::Percent(
                parse_int(p).and_then(|n| u8::try_from(n).ok()).unwrap_or(0),
            ),
            None => MaxmemoryClients::Bytes(parse_memory(mm_clients).unwrap_or(0)),
        };
        Settings {
            port: u16::try_from(int("port")).unwrap_or(6379),
            bind: raw("bind")
                .split(|&b| b == b' ')
                .filter(|a| !a.is_empty())
                .map(|a| {
                    let a = String::from_utf8_lossy(a);
                    match a.strip_prefix('-') {
                        Some(rest) => BindAddr {
                            addr: rest.to_string(),
                            optional: true,
                        },
                        None => BindAddr {
                            addr: a.into_owned(),
                            optional: false,
                        },
                    }
                })
                .collect(),
            protected_mode: yes("protected-mode"),
            requirepass: Some(raw("requirepass").to_vec()).filter(|p| !p.is_empty()),
            maxmemory: mem("maxmemory"),
            maxmemory_policy: MaxmemoryPolicy::from_name(raw("maxmemory-policy")),
            maxmemory_samples: u32v("maxmemory-samples"),
            maxmemory_clients,
            databases: usize::try_from(int("databases")).unwrap_or(16),
            timeout_secs: uint("timeout"),
            tcp_keepalive: u32v("tcp-keepalive"),
            tcp_backlog: u32v("tcp-backlog"),
            maxclients: u32v("maxclients"),
            hz: u32v("hz").clamp(1, 500),
            dynamic_hz: yes("dynamic-hz"),
            loglevel: match raw("loglevel") {
                b"debug" => LogLevel::Debug,
                b"verbose" => LogLevel::Verbose,
                b"warning" => LogLevel::Warning,
                b"nothing" => LogLevel::Nothing,
                _ => LogLevel::Notice,
            },
            logfile: text("logfile"),
            pidfile: opt("pidfile"),
            unixsocket: opt("unixsocket"),
            unixsocketperm: std::str::from_utf8(raw("unixsocketperm"))
                .ok()
                .and_then(|s| u32::from_str_radix(s, 8).ok())
                .unwrap_or(0),
            dir: PathBuf::from(text("dir")),
            dbfilename: text("dbfilename"),
            rename_commands: lines("rename-command")
                .into_iter()
                .filter_map(|l| match <[Vec<u8>; 2]>::try_from(l) {
                    Ok([from, to]) => Some((String::from_utf8_lossy(&from).into_owned(), to)),
                    Err(_) => None,
                })
                .collect(),
            notify_keyspace_events: notify::parse_flags(raw("notify-keyspace-events")).unwrap_or(0),
            slowlog_log_slower_than: int("slowlog-log-slower-than"),
            slowlog_max_len: uint("slowlog-max-len"),
            latency_monitor_threshold: uint("latency-monitor-threshold"),
            client_output_buffer_limit: limits,
            client_query_buffer_limit: mem("client-query-buffer-limit"),
            proto_max_bulk_len: mem("proto-max-bulk-len"),
            users: lines("user"),
            aclfile: opt("aclfile"),
            acllog_max_len: uint("acllog-max-len"),
            acl_pubsub_default_allchannels: raw("acl-pubsub-default") == b"allchannels",
            lfu_log_factor: u32v("lfu-log-factor"),
            lfu_decay_time: u32v("lfu-decay-time"),
            enable_debug_command: Allow::from_name(raw("enable-debug-command")),
            enable_module_command: Allow::from_name(raw("enable-module-command")),
            enable_protected_configs: Allow::from_name(raw("enable-protected-configs")),
            busy_reply_threshold: uint("busy-reply-threshold"),
            tracking_table_max_keys: uint("tracking-table-max-keys"),
            shutdown_timeout: uint("shutdown-timeout"),
            latency_tracking: yes("latency-tracking"),
            save_points: {
                let nums: Vec<u64> = raw("save")
                    .split(|&b| b == b' ')
                    .filter(|w| !w.is_empty())
                    .filter_map(|w| parse_int(w).and_then(|n| u64::try_from(n).ok()))
                    .collect();
                nums.chunks_exact(2).map(|p| (p[0], p[1])).collect()
            },
            rdbcompression: yes("rdbcompression"),
            rdbchecksum: yes("rdbchecksum"),
            stop_writes_on_bgsave_error: yes("stop-writes-on-bgsave-error"),
            rdb_save_incremental_fsync: yes("rdb-save-incremental-fsync"),
            rdb_key_save_delay: int("rdb-key-save-delay"),
            key_load_delay: int("key-load-delay"),
            appendonly: yes("appendonly"),
            appendfilename: text("appendfilename"),
            appenddirname: text("appenddirname"),
            appendfsync: match raw("appendfsync") {
                b"always" => AppendFsync::Always,
                b"no" => AppendFsync::No,
                _ => AppendFsync::Everysec,
            },
            no_appendfsync_on_rewrite: yes("no-appendfsync-on-rewrite"),
            auto_aof_rewrite_percentage: uint("auto-aof-rewrite-percentage"),
            auto_aof_rewrite_min_size: mem("auto-aof-rewrite-min-size"),
            aof_load_truncated: yes("aof-load-truncated"),
            aof_use_rdb_preamble: yes("aof-use-rdb-preamble"),
            aof_rewrite_incremental_fsync: yes("aof-rewrite-incremental-fsync"),
            aof_timestamp_enabled: yes("aof-timestamp-enabled"),
            aof_disable_auto_gc: yes("aof-disable-auto-gc"),
        }
    }
}

/// Every name [`Settings::from_values`] reads must exist in the table; the
/// test below keeps the two in step.
#[cfg(test)]
const READ_NAMES: &[&str] = &[
    "port",
    "bind",
    "protected-mode",
    "requirepass",
    "maxmemory",
    "maxmemory-policy",
    "maxmemory-samples",
    "maxmemory-clients",
    "databases",
    "timeout",
    "tcp-keepalive",
    "tcp-backlog",
    "maxclients",
    "hz",
    "dynamic-hz",
    "loglevel",
    "logfile",
    "pidfile",
    "unixsocket",
    "unixsocketperm",
    "dir",
    "dbfilename",
    "rename-command",
    "notify-keyspace-events",
    "slowlog-log-slower-than",
    "slowlog-max-len",
    "latency-monitor-threshold",
    "client-output-buffer-limit",
    "client-query-buffer-limit",
    "proto-max-bulk-len",
    "user",
    "aclfile",
    "acllog-max-len",
    "acl-pubsub-default",
    "lfu-log-factor",
    "lfu-decay-time",
    "enable-debug-command",
    "enable-module-command",
    "enable-protected-configs",
    "busy-reply-threshold",
    "tracking-table-max-keys",
    "shutdown-timeout",
    "latency-tracking",
    "save",
    "rdbcompression",
    "rdbchecksum",
    "stop-writes-on-bgsave-error",
    "rdb-save-incremental-fsync",
    "rdb-key-save-delay",
    "key-load-delay",
    "appendonly",
    "appendfilename",
    "appenddirname",
    "appendfsync",
    "no-appendfsync-on-rewrite",
    "auto-aof-rewrite-percentage",
    "auto-aof-rewrite-min-size",
    "aof-load-truncated",
    "aof-use-rdb-preamble",
    "aof-rewrite-incremental-fsync",
    "aof-timestamp-enabled",
    "aof-disable-auto-gc",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::registry;

    #[test]
    fn every_read_name_is_canonical() {
        for n in READ_NAMES {
            assert_eq!(registry::lookup(n.as_bytes()).map(|d| d.name), Some(*n));
        }
    }
}
