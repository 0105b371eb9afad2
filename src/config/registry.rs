//! The one table of redis.conf directives vigil's data node understands:
//! names, aliases, value kinds, defaults, CONFIG SET mutability, and whether
//! vigil honours them. Everything else (file loading, CONFIG GET/SET/REWRITE,
//! warnings) is driven from [`DIRECTIVES`].

/// How a directive's value is written and validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `yes` / `no`.
    Bool,
    /// A strictly written decimal integer within inclusive bounds.
    Int(i64, i64),
    /// A byte count with optional unit (`5b`, `1k`, `1kb`, `2mb`, `1gb`...)
    /// within inclusive bounds.
    Memory(u64, u64),
    /// A byte count, or a percentage written `N%` (N <= 100).
    MemoryOrPercent,
    /// An octal number up to the bound (file permissions).
    Octal(u32),
    /// One of a fixed set of words, matched case-insensitively.
    Enum(&'static [&'static str]),
    /// Free text (may be empty).
    Str,
    /// A directive with its own multi-argument grammar.
    Special(Special),
    /// A directive that may repeat, each occurrence kept as one line of
    /// arguments; hidden from CONFIG GET/SET like in Redis.
    Repeated {
        /// Fewest arguments after the name.
        min: usize,
        /// Most arguments after the name.
        max: usize,
    },
}

/// The directives whose grammar does not fit a generic kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Special {
    /// Up to 16 addresses, `-` prefix marks an optional one.
    Bind,
    /// `seconds changes` pairs; `""` disables; accumulates over file lines.
    Save,
    /// `class hard soft seconds` quadruples, merged per class.
    ClientOutputBufferLimit,
    /// Event class letters, normalised to Redis's canonical spelling.
    NotifyKeyspaceEvents,
    /// `host port` or `no one`.
    Replicaof,
    /// Three integers in -2000..=2000.
    OomScoreAdjValues,
    /// Percentiles in 0..=100.
    LatencyPercentiles,
    /// `default` or a combination of `save|nosave`, `now`, `force`.
    ShutdownOnSignal,
}

/// Whether CONFIG SET may change a directive at runtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutability {
    /// CONFIG SET allowed.
    Mutable,
    /// Startup only ("can't set immutable config").
    Immutable,
    /// Allowed only when `enable-protected-configs` permits it.
    Protected,
}

/// What vigil does with a directive, so operators are told the truth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    /// Honoured by the server.
    Effective,
    /// Accepted and reported back (CONFIG GET/REWRITE), but has no effect:
    /// encoding thresholds and other tuning of Redis internals.
    EncodingTuning,
    /// Accepted, has no effect yet (persistence, replication, TLS...); a
    /// non-default value produces a startup warning.
    NotYetSupported,
}

/// One row of the directive table.
#[derive(Debug, Clone, Copy)]
pub struct Directive {
    /// The canonical (Redis 7.0) name, lowercase.
    pub name: &'static str,
    /// Other names accepted for the same directive.
    pub aliases: &'static [&'static str],
    /// Value grammar.
    pub kind: Kind,
    /// Default value in normalised CONFIG GET form.
    pub default: &'static str,
    /// CONFIG SET policy.
    pub mutability: Mutability,
    /// Whether vigil honours it.
    pub category: Category,
}

impl Directive {
    /// True for directives that take several arguments on one line (the
    /// generic kinds take exactly one).
    pub fn multi_arg(&self) -> bool {
        matches!(
            self.kind,
            Kind::Special(
                Special::Bind
                    | Special::Save
                    | Special::ClientOutputBufferLimit
                    | Special::Replicaof
                    | Special::OomScoreAdjValues
                    | Special::LatencyPercentiles
                    | Special::ShutdownOnSignal
            ) | Kind::Repeated { .. }
        )
    }

    /// True when CONFIG GET and CONFIG SET do not see the directive.
    pub fn hidden(&self) -> bool {
        matches!(self.kind, Kind::Repeated { .. })
    }

    /// Directives CONFIG SET refuses with -LOADING while a dataset loads (Redis's
    /// DENY_LOADING_CONFIG).
    pub fn denied_while_loading(&self) -> bool {
        matches!(self.name, "dir" | "appendonly" | "repl-diskless-load")
    }

    /// Debugging knobs that CONFIG GET returns only when asked by their exact name, never for
    /// a pattern (Redis's hidden configs).
    pub fn hidden_from_patterns(&self) -> bool {
        matches!(
            self.name,
            "use-exit-on-panic"
                | "rdb-key-save-delay"
                | "key-load-delay"
                | "watchdog-period"
                | "loading-process-events-interval-bytes"
        )
    }
}

use Category::{Effective as E, EncodingTuning as T, NotYetSupported as N};
use Kind::{Bool, Enum, Int, Memory, MemoryOrPercent, Octal, Repeated, Str};
use Mutability::{Immutable as I, Mutable as M, Protected as P};

const I32: i64 = i32::MAX as i64;
const I64: i64 = i64::MAX;
const U32: i64 = u32::MAX as i64;
const M64: u64 = i64::MAX as u64;
const MB: u64 = 1024 * 1024;

const YESNO_LOCAL: &[&str] = &["no", "yes", "local"];
const MAXMEMORY_POLICIES: &[&str] = &[
    "volatile-lru",
    "volatile-lfu",
    "volatile-random",
    "volatile-ttl",
    "allkeys-lru",
    "allkeys-lfu",
    "allkeys-random",
    "noeviction",
];
const SYSLOG_FACILITIES: &[&str] = &[
    "user", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
];

const fn d(
    name: &'static str,
    aliases: &'static [&'static str],
    kind: Kind,
    default: &'static str,
    mutability: Mutability,
    category: Category,
) -> Directive {
    Directive {
        name,
        aliases,
        kind,
        default,
        mutability,
        category,
    }
}

const fn sp(s: Special) -> Kind {
    Kind::Special(s)
}

/// Every directive, in the order CONFIG REWRITE appends them.
#[rustfmt::skip]
pub static DIRECTIVES: &[Directive] = &[
    // --- networking and process
    d("port", &[], Int(0, 65535), "6379", M, E),
    d("bind", &[], sp(Special::Bind), "* -::*", M, E),
    d("protected-mode", &[], Bool, "yes", M, E),
    d("tcp-backlog", &[], Int(0, I32), "511", I, E),
    d("unixsocket", &[], Str, "", I, E),
    d("unixsocketperm", &[], Octal(0o777), "0", I, E),
    d("timeout", &[], Int(0, I32), "0", M, E),
    d("tcp-keepalive", &[], Int(0, I32), "300", M, E),
    d("maxclients", &[], Int(1, U32), "10000", M, E),
    d("daemonize", &[], Bool, "no", I, E),
    d("supervised", &[], Enum(&["upstart", "systemd", "auto", "no"]), "no", I, E),
    d("pidfile", &[], Str, "", I, E),
    d("loglevel", &[], Enum(&["debug", "verbose", "notice", "warning", "nothing"]), "notice", M, E),
    d("logfile", &[], Str, "", I, E),
    d("syslog-enabled", &[], Bool, "no", I, T),
    d("syslog-ident", &[], Str, "redis", I, T),
    d("syslog-facility", &[], Enum(SYSLOG_FACILITIES), "local0", I, T),
    d("databases", &[], Int(1, I32), "16", I, E),
    d("always-show-logo", &[], Bool, "no", I, E),
    d("set-proc-title", &[], Bool, "yes", I, E),
    d("proc-title-template", &[], Str, "{title} {listen-addr} {server-mode}", M, E),
    d("locale-collate", &[], Str, "", M, E),
    d("dir", &[], Str, ".", P, E),
    d("dbfilename", &[], Str, "dump.rdb", P, E),
    d("hz", &[], Int(0, I32), "10", M, E),
    d("dynamic-hz", &[], Bool, "yes", M, E),
    d("crash-log-enabled", &[], Bool, "yes", M, E),
    d("crash-memcheck-enabled", &[], Bool, "yes", M, E),
    d("shutdown-timeout", &[], Int(0, I32), "10", M, E),
    d("shutdown-on-sigint", &[], sp(Special::ShutdownOnSignal), "default", M, E),
    d("shutdown-on-sigterm", &[], sp(Special::ShutdownOnSignal), "default", M, E),
    d("enable-protected-configs", &[], Enum(YESNO_LOCAL), "no", I, E),
    d("enable-debug-command", &[], Enum(YESNO_LOCAL), "no", I, E),
    d("enable-module-command", &[], Enum(YESNO_LOCAL), "no", I, E),
    // --- security
    d("requirepass", &[], Str, "", M, E),
    d("aclfile", &[], Str, "", I, E),
    d("acllog-max-len", &[], Int(0, I64), "128", M, E),
    d("acl-pubsub-default", &[], Enum(&["allchannels", "resetchannels"]), "resetchannels", M, E),
    d("user", &[], Repeated { min: 1, max: usize::MAX }, "", I, E),
    d("rename-command", &[], Repeated { min: 2, max: 2 }, "", I, E),
    // --- memory and eviction
    d("maxmemory", &[], Memory(0, u64::MAX), "0", M, E),
    d("maxmemory-policy", &[], Enum(MAXMEMORY_POLICIES), "noeviction", M, E),
    d("maxmemory-samples", &[], Int(1, I32), "5", M, E),
    d("maxmemory-eviction-tenacity", &[], Int(0, 100), "10", M, T),
    d("maxmemory-clients", &[], MemoryOrPercent, "0", M, E),
    d("lfu-log-factor", &[], Int(0, I32), "10", M, E),
    d("lfu-decay-time", &[], Int(0, I32), "1", M, E),
    d("active-expire-effort", &[], Int(1, 10), "1", M, T),
    // --- clients and protocol
    d("client-output-buffer-limit", &[], sp(Special::ClientOutputBufferLimit), "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60", M, E),
    d("client-query-buffer-limit", &[], Memory(MB, M64), "1073741824", M, E),
    d("proto-max-bulk-len", &[], Memory(MB, M64), "536870912", M, E),
    d("tracking-table-max-keys", &[], Int(0, I64), "1000000", M, E),
    d("busy-reply-threshold", &["lua-time-limit"], Int(0, I64), "5000", M, E),
    // --- observability
    d("notify-keyspace-events", &[], sp(Special::NotifyKeyspaceEvents), "", M, E),
    d("slowlog-log-slower-than", &[], Int(-1, I64), "10000", M, E),
    d("slowlog-max-len", &[], Int(0, I64), "128", M, E),
    d("latency-monitor-threshold", &[], Int(0, I64), "0", M, E),
    d("latency-tracking", &[], Bool, "yes", M, E),
    d("latency-tracking-info-percentiles", &[], sp(Special::LatencyPercentiles), "50 99 99.9", M, E),
    // --- encodings and internal tuning: accepted, no effect
    d("hash-max-listpack-entries", &["hash-max-ziplist-entries"], Int(0, I64), "512", M, T),
    d("hash-max-listpack-value", &["hash-max-ziplist-value"], Memory(0, M64), "64", M, T),
    d("list-max-listpack-size", &["list-max-ziplist-size"], Int(i32::MIN as i64, I32), "-2", M, T),
    d("list-compress-depth", &[], Int(0, I32), "0", M, T),
    d("set-max-intset-entries", &[], Int(0, I64), "512", M, T),
    d("set-max-listpack-entries", &[], Int(0, I64), "128", M, T),
    d("set-max-listpack-value", &[], Memory(0, M64), "64", M, T),
    d("zset-max-listpack-entries", &["zset-max-ziplist-entries"], Int(0, I64), "128", M, T),
    d("zset-max-listpack-value", &["zset-max-ziplist-value"], Memory(0, M64), "64", M, T),
    d("hll-sparse-max-bytes", &[], Memory(0, M64), "3000", M, T),
    d("stream-node-max-bytes", &[], Memory(0, M64), "4096", M, T),
    d("stream-node-max-entries", &[], Int(0, I64), "100", M, T),
    d("activerehashing", &[], Bool, "yes", M, T),
    d("lazyfree-lazy-eviction", &[], Bool, "no", M, T),
    d("lazyfree-lazy-expire", &[], Bool, "no", M, T),
    d("lazyfree-lazy-server-del", &[], Bool, "no", M, T),
    d("lazyfree-lazy-user-del", &[], Bool, "no", M, T),
    d("lazyfree-lazy-user-flush", &[], Bool, "no", M, T),
    d("io-threads", &[], Int(1, 128), "1", I, T),
    d("io-threads-do-reads", &[], Bool, "no", I, T),
    d("jemalloc-bg-thread", &[], Bool, "yes", M, T),
    d("activedefrag", &[], Bool, "no", M, T),
    d("active-defrag-ignore-bytes", &[], Memory(1, M64), "104857600", M, T),
    d("active-defrag-threshold-lower", &[], Int(0, 1000), "10", M, T),
    d("active-defrag-threshold-upper", &[], Int(0, 1000), "100", M, T),
    d("active-defrag-cycle-min", &[], Int(1, 99), "1", M, T),
    d("active-defrag-cycle-max", &[], Int(1, 99), "25", M, T),
    d("active-defrag-max-scan-fields", &[], Int(1, I64), "1000", M, T),
    d("oom-score-adj", &[], Enum(&["no", "yes", "relative", "absolute"]), "no", M, T),
    d("oom-score-adj-values", &[], sp(Special::OomScoreAdjValues), "0 200 800", M, T),
    d("disable-thp", &[], Bool, "yes", I, T),
    d("server_cpulist", &[], Str, "", I, T),
    d("bio_cpulist", &[], Str, "", I, T),
    d("aof_rewrite_cpulist", &[], Str, "", I, T),
    d("bgsave_cpulist", &[], Str, "", I, T),
    d("socket-mark-id", &[], Int(0, U32), "0", I, T),
    d("sanitize-dump-payload", &[], Enum(&["no", "yes", "clients"]), "no", M, T),
    d("ignore-warnings", &[], Str, "", M, T),
    d("cluster-config-file", &[], Str, "nodes.conf", I, T),
    d("cluster-port", &[], Int(0, 65535), "0", I, T),
    d("cluster-node-timeout", &[], Int(0, I64), "15000", M, T),
    d("cluster-migration-barrier", &[], Int(0, I32), "1", M, T),
    d("cluster-replica-validity-factor", &["cluster-slave-validity-factor"], Int(0, I32), "10", M, T),
    d("cluster-require-full-coverage", &[], Bool, "yes", M, T),
    d("cluster-replica-no-failover", &["cluster-slave-no-failover"], Bool, "no", M, T),
    d("cluster-allow-reads-when-down", &[], Bool, "no", M, T),
    d("cluster-allow-pubsubshard-when-down", &[], Bool, "yes", M, T),
    d("cluster-allow-replica-migration", &[], Bool, "yes", M, T),
    d("cluster-announce-ip", &[], Str, "", M, T),
    d("cluster-announce-hostname", &[], Str, "", M, T),
    d("cluster-announce-port", &[], Int(0, 65535), "0", M, T),
    d("cluster-announce-bus-port", &[], Int(0, 65535), "0", M, T),
    d("cluster-announce-tls-port", &[], Int(0, 65535), "0", M, T),
    d("cluster-preferred-endpoint-type", &[], Enum(&["ip", "hostname", "unknown-endpoint"]), "ip", M, T),
    d("cluster-link-sendbuf-limit", &[], Memory(0, M64), "0", M, T),
    // --- not supported yet: cluster mode itself (silently serving as a
    // standalone node would mislead clients)
    d("cluster-enabled", &[], Bool, "no", I, N),
    // --- not supported yet: persistence
    d("save", &[], sp(Special::Save), "3600 1 300 100 60 10000", M, E),
    d("stop-writes-on-bgsave-error", &[], Bool, "yes", M, E),
    d("rdbcompression", &[], Bool, "yes", M, E),
    d("rdbchecksum", &[], Bool, "yes", I, E),
    d("rdb-del-sync-files", &[], Bool, "no", M, N),
    d("rdb-save-incremental-fsync", &[], Bool, "yes", M, E),
    d("rdb-key-save-delay", &[], Int(i32::MIN as i64, I32), "0", M, E),
    d("key-load-delay", &[], Int(i32::MIN as i64, I32), "0", M, E),
    // Redis answers clients every that many bytes while loading; vigil loads on a thread and
    // answers them all along, so any value is honoured.
    d("loading-process-events-interval-bytes", &[], Int(1024, I32), "2097152", M, E),
    d("appendonly", &[], Bool, "no", M, N),
    d("appendfilename", &[], Str, "appendonly.aof", I, N),
    d("appenddirname", &[], Str, "appendonlydir", I, N),
    d("appendfsync", &[], Enum(&["always", "everysec", "no"]), "everysec", M, N),
    d("no-appendfsync-on-rewrite", &[], Bool, "no", M, N),
    d("auto-aof-rewrite-percentage", &[], Int(0, I32), "100", M, N),
    d("auto-aof-rewrite-min-size", &[], Memory(0, M64), "67108864", M, N),
    d("aof-load-truncated", &[], Bool, "yes", M, N),
    d("aof-use-rdb-preamble", &[], Bool, "yes", M, N),
    d("aof-rewrite-incremental-fsync", &[], Bool, "yes", M, N),
    d("aof-timestamp-enabled", &[], Bool, "no", M, N),
    d("aof-disable-auto-gc", &[], Bool, "no", M, N),
    // --- replication
    d("replicaof", &["slaveof"], sp(Special::Replicaof), "", I, E),
    d("masterauth", &[], Str, "", M, E),
    d("masteruser", &[], Str, "", M, E),
    d("replica-serve-stale-data", &["slave-serve-stale-data"], Bool, "yes", M, E),
    d("replica-read-only", &["slave-read-only"], Bool, "yes", M, E),
    d("replica-priority", &["slave-priority"], Int(0, I32), "100", M, E),
    d("replica-announce-ip", &["slave-announce-ip"], Str, "", M, E),
    d("replica-announce-port", &["slave-announce-port"], Int(0, 65535), "0", M, E),
    d("replica-announced", &[], Bool, "yes", M, E),
    d("replica-lazy-flush", &["slave-lazy-flush"], Bool, "no", M, E),
    d("replica-ignore-maxmemory", &["slave-ignore-maxmemory"], Bool, "yes", M, E),
    d("replica-ignore-disk-write-errors", &[], Bool, "no", M, N),
    d("repl-ping-replica-period", &["repl-ping-slave-period"], Int(1, I32), "10", M, E),
    d("repl-timeout", &[], Int(1, I32), "60", M, E),
    d("repl-backlog-size", &[], Memory(1, M64), "1048576", M, E),
    d("repl-backlog-ttl", &[], Int(0, I64), "3600", M, E),
    d("repl-disable-tcp-nodelay", &[], Bool, "no", M, E),
    d("repl-diskless-sync", &[], Bool, "yes", M, E),
    d("repl-diskless-sync-delay", &[], Int(0, I32), "5", M, E),
    d("repl-diskless-sync-max-replicas", &[], Int(0, I32), "0", M, E),
    d("repl-diskless-load", &[], Enum(&["disabled", "on-empty-db", "swapdb"]), "disabled", M, E),
    d("min-replicas-to-write", &["min-slaves-to-write"], Int(0, I32), "0", M, E),
    d("min-replicas-max-lag", &["min-slaves-max-lag"], Int(0, I32), "10", M, E),
    d("propagation-error-behavior", &[], Enum(&["ignore", "panic", "panic-on-replicas"]), "ignore", M, N),
    d("bind-source-addr", &[], Str, "", M, N),
    // --- not supported yet: TLS and modules
    d("tls-port", &[], Int(0, 65535), "0", M, N),
    d("tls-cert-file", &[], Str, "", M, N),
    d("tls-key-file", &[], Str, "", M, N),
    d("tls-key-file-pass", &[], Str, "", M, N),
    d("tls-client-cert-file", &[], Str, "", M, N),
    d("tls-client-key-file", &[], Str, "", M, N),
    d("tls-client-key-file-pass", &[], Str, "", M, N),
    d("tls-dh-params-file", &[], Str, "", M, N),
    d("tls-ca-cert-file", &[], Str, "", M, N),
    d("tls-ca-cert-dir", &[], Str, "", M, N),
    d("tls-protocols", &[], Str, "", M, N),
    d("tls-ciphers", &[], Str, "", M, N),
    d("tls-ciphersuites", &[], Str, "", M, N),
    d("tls-auth-clients", &[], Enum(&["no", "yes", "optional"]), "yes", M, N),
    d("tls-replication", &[], Bool, "no", M, N),
    d("tls-cluster", &[], Bool, "no", M, N),
    d("tls-prefer-server-ciphers", &[], Bool, "no", M, N),
    d("tls-session-caching", &[], Bool, "yes", M, N),
    d("tls-session-cache-size", &[], Int(0, I32), "20480", M, N),
    d("tls-session-cache-timeout", &[], Int(0, I32), "300", M, N),
    d("loadmodule", &[], Repeated { min: 1, max: usize::MAX }, "", I, N),
];

/// Directives Redis 7.0 still reads and silently ignores, with the exact
/// argument count (after the name) it accepts for them.
pub static DEPRECATED_IGNORED: &[(&str, usize)] = &[
    ("list-max-ziplist-entries", 1),
    ("list-max-ziplist-value", 1),
    ("lua-replicate-commands", 1),
];

/// Finds a directive by canonical name or alias, case-insensitively.
pub fn lookup(name: &[u8]) -> Option<&'static Directive> {
    lookup_index(name).map(|i| &DIRECTIVES[i])
}

/// Like [`lookup`], returning the row's position in [`DIRECTIVES`].
pub fn lookup_index(name: &[u8]) -> Option<usize> {
    DIRECTIVES.iter().position(|d| {
        d.name.as_bytes().eq_ignore_ascii_case(name)
            || d.aliases
                .iter()
                .any(|a| a.as_bytes().eq_ignore_ascii_case(name))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_are_unique_and_lowercase() {
        let mut seen = HashSet::new();
        for d in DIRECTIVES {
            for n in std::iter::once(&d.name).chain(d.aliases) {
                assert_eq!(*n, n.to_ascii_lowercase());
                assert!(seen.insert(*n), "duplicate {n}");
            }
        }
    }

    #[test]
    fn lookup_by_alias() {
        assert_eq!(lookup(b"SLAVEOF").map(|d| d.name), Some("replicaof"));
        assert_eq!(
            lookup(b"hash-max-ziplist-entries").map(|d| d.name),
            Some("hash-max-listpack-entries")
        );
        assert!(lookup(b"nope").is_none());
    }
}
