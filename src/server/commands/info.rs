//! INFO: server state in Redis 7.0's field names, section by section.
//!
//! Fields for subsystems vigil does not have yet (persistence, replication, scripting, cluster)
//! are present with the values an idle Redis without them shows, so parsers find every field.

use std::fmt::Write as _;

use bytes::Bytes;

use crate::resp::Reply;
use crate::server::command::{CommandSpec, acl, flags::*};
use crate::server::objsize;
use crate::server::state::{Ctx, Server, unix_us};
use crate::util::procfs;

/// The INFO command.
pub static COMMANDS: &[CommandSpec] = &[CommandSpec::new("info", -1, info)
    .flags(LOADING | STALE)
    .acl(acl::DANGEROUS)
    .doc(
        "server",
        "1.0.0",
        "Get information and statistics about the server",
    )];

/// Sections in output order.
const SECTIONS: &[&str] = &[
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "modules",
    "commandstats",
    "errorstats",
    "latencystats",
    "cluster",
    "keyspace",
];

/// What plain `INFO` (or `INFO default`) shows.
const DEFAULT_SECTIONS: &[&str] = &[
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "modules",
    "errorstats",
    "cluster",
    "keyspace",
];

/// Which sections a list of INFO arguments asks for, in output order.
pub fn selected_sections(args: &[Bytes]) -> Vec<&'static str> {
    let mut want: Vec<&'static str> = Vec::new();
    if args.is_empty() {
        want.extend(DEFAULT_SECTIONS);
    }
    for a in args {
        let name = String::from_utf8_lossy(a).to_ascii_lowercase();
        match name.as_str() {
            "default" => want.extend(DEFAULT_SECTIONS),
            "all" | "everything" => want.extend(SECTIONS),
            other => {
                if let Some(s) = SECTIONS.iter().find(|s| **s == other) {
                    want.push(s);
                }
            }
        }
    }
    SECTIONS
        .iter()
        .copied()
        .filter(|s| want.contains(s))
        .collect()
}

fn info(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let sections = selected_sections(&a[1..]);
    let mut out = String::new();
    for (i, name) in sections.iter().enumerate() {
        if i > 0 {
            out.push_str("\r\n");
        }
        render_section(ctx, name, &mut out);
    }
    Reply::Verbatim(out)
}

/// Appends one `name:value` line.
fn field(out: &mut String, name: &str, value: impl std::fmt::Display) {
    let _ = write!(out, "{name}:{value}\r\n");
}

/// Bytes in Redis's human form (`967.47K`, `0B`).
pub fn bytes_to_human(n: u64) -> String {
    const UNITS: &[(f64, &str)] = &[
        (1024.0 * 1024.0 * 1024.0 * 1024.0 * 1024.0, "P"),
        (1024.0 * 1024.0 * 1024.0 * 1024.0, "T"),
        (1024.0 * 1024.0 * 1024.0, "G"),
        (1024.0 * 1024.0, "M"),
        (1024.0, "K"),
    ];
    let v = n as f64;
    for (div, unit) in UNITS {
        if v >= *div {
            return format!("{:.2}{unit}", v / div);
        }
    }
    format!("{n}B")
}

/// Appends one section by name (nothing for unknown names); the sentinel's INFO reuses it.
pub fn render_section(ctx: &mut Ctx, name: &str, out: &mut String) {
    match name {
        "server" => server_section(ctx.srv, out),
        "clients" => clients_section(ctx, out),
        "memory" => memory_section(ctx.srv, out),
        "persistence" => persistence_section(ctx.srv, out),
        "stats" => stats_section(ctx.srv, out),
        "replication" => replication_section(ctx.srv, out),
        "cpu" => cpu_section(out),
        "modules" => out.push_str("# Modules\r\n"),
        "commandstats" => commandstats_section(ctx.srv, out),
        "errorstats" => errorstats_section(ctx.srv, out),
        "latencystats" => latencystats_section(ctx.srv, out),
        "cluster" => {
            out.push_str("# Cluster\r\n");
            field(out, "cluster_enabled", 0);
        }
        "keyspace" => keyspace_section(ctx.srv, out),
        _ => {}
    }
}

/// Redis's 24-bit LRU clock in seconds.
fn lru_clock(now_ms: i64) -> i64 {
    (now_ms / 1000) & ((1 << 24) - 1)
}

fn server_section(srv: &Server, out: &mut String) {
    out.push_str("# Server\r\n");
    field(
        out,
        "redis_version",
        super::connection::REDIS_COMPAT_VERSION,
    );
    field(out, "vigil_version", env!("CARGO_PKG_VERSION"));
    field(out, "redis_git_sha1", "00000000");
    field(out, "redis_git_dirty", 0);
    field(out, "redis_build_id", build_id());
    let mode = match super::mode() {
        super::Mode::Sentinel => "sentinel",
        super::Mode::Server => "standalone",
    };
    field(out, "redis_mode", mode);
    field(out, "os", procfs::os_description());
    field(out, "arch_bits", usize::BITS);
    field(out, "monotonic_clock", "POSIX clock_gettime");
    field(out, "multiplexing_api", "epoll");
    field(out, "atomicvar_api", "c11-builtin");
    field(out, "gcc_version", "0.0.0");
    field(out, "process_id", std::process::id());
    field(out, "process_supervised", "no");
    field(out, "run_id", &srv.run_id);
    field(out, "tcp_port", srv.config.port);
    field(out, "server_time_usec", unix_us());
    let uptime = (srv.now_ms - srv.start_ms).max(0) / 1000;
    field(out, "uptime_in_seconds", uptime);
    field(out, "uptime_in_days", uptime / 86400);
    field(out, "hz", srv.config.hz);
    field(out, "configured_hz", srv.config.hz);
    field(out, "lru_clock", lru_clock(srv.now_ms));
    let exe = if srv.executable.is_empty() {
        std::env::current_exe()
            .map(|p| p.display().to_string())
            .unwrap_or_default()
    } else {
        srv.executable.clone()
    };
    field(out, "executable", exe);
    let config_file = srv
        .config
        .config_file()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    field(out, "config_file", config_file);
    field(out, "io_threads_active", 0);
    if let Some(ms) = srv.shutdown.remaining_ms(srv.now_ms) {
        field(out, "shutdown_in_milliseconds", ms);
    }
}

/// A stable 16-hex build identifier derived from the version.
fn build_id() -> String {
    let d = crate::util::sha1::sha1(concat!("vigil-", env!("CARGO_PKG_VERSION")).as_bytes());
    crate::util::sha1::hex(&d[..8])
}

fn clients_section(ctx: &Ctx, out: &mut String) {
    let srv = &ctx.srv;
    let mut blocked = 0usize;
    let mut in_timeout = 0usize;
    let mut max_in = ctx.client.qbuf;
    let mut max_out = ctx.client.omem;
    for entry in srv.clients.by_id.values() {
        // The calling client is borrowed by its own connection; it is counted above.
        let Ok(c) = entry.client.try_borrow() else {
            continue;
        };
        if let Some(b) = &c.blocked {
            blocked += 1;
            if b.deadline_ms.is_some() {
                in_timeout += 1;
            }
        } else if c.paused {
            blocked += 1;
        }
        max_in = max_in.max(c.qbuf);
        max_out = max_out.max(c.omem);
    }
    out.push_str("# Clients\r\n");
    // Replica links are not counted, as in Redis (`connected_slaves` has them).
    let replicas = srv.repl.replicas.len();
    field(
        out,
        "connected_clients",
        srv.clients.len().saturating_sub(replicas),
    );
    field(out, "cluster_connections", 0);
    field(out, "maxclients", srv.config.maxclients);
    field(out, "client_recent_max_input_buffer", max_in);
    field(out, "client_recent_max_output_buffer", max_out);
    field(out, "blocked_clients", blocked);
    field(out, "tracking_clients", 0);
    field(out, "clients_in_timeout_table", in_timeout);
}

/// Estimated bookkeeping bytes of the keyspace dicts of one database: (main, expires).
pub fn db_overhead(db: &crate::server::db::Db) -> (usize, usize) {
    let main = db.len() * objsize::DICT_ENTRY + objsize::dict_overhead(db.len());
    let vol = db.volatile.len();
    let expires = vol * objsize::DICT_ENTRY + objsize::dict_overhead(vol);
    (main, expires)
}

/// Memory figures shared by INFO memory and MEMORY STATS.
pub struct MemoryFigures {
    /// Bytes allocated now.
    pub used: u64,
    /// Highest value seen.
    pub peak: u64,
    /// Allocated at startup.
    pub startup: u64,
    /// Client buffers.
    pub clients_normal: u64,
    /// Keyspace dict overhead, all databases.
    pub dbs_overhead: u64,
    /// Non-data bytes: startup, clients, dicts.
    pub overhead: u64,
    /// used - overhead.
    pub dataset: u64,
    /// Resident set size.
    pub rss: u64,
    /// Allocator counters: (allocated, active, resident).
    pub allocator: (u64, u64, u64),
}

/// Samples the memory figures, updating the recorded peak.
pub fn memory_figures(srv: &mut Server, clients_extra: u64) -> MemoryFigures {
    let used = srv.used_memory() as u64;
    if used as usize > srv.peak_memory {
        srv.peak_memory = used as usize;
    }
    let mut clients_normal = clients_extra;
    for entry in srv.clients.by_id.values() {
        if let Ok(c) = entry.client.try_borrow() {
            clients_normal += (c.qbuf + c.omem) as u64;
        }
    }
    let dbs_overhead: u64 = srv
        .dbs
        .iter()
        .map(|d| {
            let (m, e) = db_overhead(d);
            (m + e) as u64
        })
        .sum();
    let startup = srv.startup_memory as u64;
    let overhead = startup + clients_normal + dbs_overhead;
    let rss = procfs::rss_bytes();
    MemoryFigures {
        used,
        peak: srv.peak_memory as u64,
        startup,
        clients_normal,
        dbs_overhead,
        overhead,
        dataset: used.saturating_sub(overhead),
        rss,
        allocator: allocator_stats(used, rss),
    }
}

#[cfg(feature = "jemalloc")]
fn allocator_stats(used: u64, rss: u64) -> (u64, u64, u64) {
    use tikv_jemalloc_ctl::{epoch, stats};
    let _ = epoch::advance();
    let allocated = stats::allocated::read().map(|v| v as u64).unwrap_or(used);
    let active = stats::active::read().map(|v| v as u64).unwrap_or(used);
    let resident = stats::resident::read().map(|v| v as u64).unwrap_or(rss);
    (allocated, active, resident)
}

#[cfg(not(feature = "jemalloc"))]
fn allocator_stats(used: u64, rss: u64) -> (u64, u64, u64) {
    (used, used, rss)
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

fn memory_section(srv: &mut Server, out: &mut String) {
    let m = memory_figures(srv, 0);
    let (alloc, active, resident) = m.allocator;
    let total_system = procfs::total_system_memory();
    out.push_str("# Memory\r\n");
    field(out, "used_memory", m.used);
    field(out, "used_memory_human", bytes_to_human(m.used));
    field(out, "used_memory_rss", m.rss);
    field(out, "used_memory_rss_human", bytes_to_human(m.rss));
    field(out, "used_memory_peak", m.peak);
    field(out, "used_memory_peak_human", bytes_to_human(m.peak));
    field(
        out,
        "used_memory_peak_perc",
        format!("{:.2}%", ratio(m.used, m.peak) * 100.0),
    );
    field(out, "used_memory_overhead", m.overhead);
    field(out, "used_memory_startup", m.startup);
    field(out, "used_memory_dataset", m.dataset);
    let net = m.used.saturating_sub(m.startup);
    field(
        out,
        "used_memory_dataset_perc",
        format!("{:.2}%", ratio(m.dataset, net) * 100.0),
    );
    field(out, "allocator_allocated", alloc);
    field(out, "allocator_active", active);
    field(out, "allocator_resident", resident);
    field(out, "total_system_memory", total_system);
    field(
        out,
        "total_system_memory_human",
        bytes_to_human(total_system),
    );
    // No scripting engine yet: its memory is zero.
    field(out, "used_memory_lua", 0);
    field(out, "used_memory_vm_eval", 0);
    field(out, "used_memory_lua_human", "0B");
    field(out, "used_memory_scripts_eval", 0);
    field(out, "number_of_cached_scripts", 0);
    field(out, "number_of_functions", 0);
    field(out, "number_of_libraries", 0);
    field(out, "used_memory_vm_functions", 0);
    field(out, "used_memory_vm_total", 0);
    field(out, "used_memory_vm_total_human", "0B");
    field(out, "used_memory_functions", 0);
    field(out, "used_memory_scripts", 0);
    field(out, "used_memory_scripts_human", "0B");
    field(out, "maxmemory", srv.config.maxmemory);
    field(out, "maxmemory_human", bytes_to_human(srv.config.maxmemory));
    field(
        out,
        "maxmemory_policy",
        String::from_utf8_lossy(
            &srv.config
                .value("maxmemory-policy")
                .unwrap_or_else(|| b"noeviction".to_vec()),
        ),
    );
    field(
        out,
        "allocator_frag_ratio",
        format!("{:.2}", ratio(active, alloc)),
    );
    field(out, "allocator_frag_bytes", active.saturating_sub(alloc));
    field(
        out,
        "allocator_rss_ratio",
        format!("{:.2}", ratio(resident, active)),
    );
    field(out, "allocator_rss_bytes", resident.saturating_sub(active));
    field(
        out,
        "rss_overhead_ratio",
        format!("{:.2}", ratio(m.rss, resident)),
    );
    field(out, "rss_overhead_bytes", m.rss as i64 - resident as i64);
    field(
        out,
        "mem_fragmentation_ratio",
        format!("{:.2}", ratio(m.rss, m.used)),
    );
    field(out, "mem_fragmentation_bytes", m.rss as i64 - m.used as i64);
    field(out, "mem_not_counted_for_evict", 0);
    field(out, "mem_replication_backlog", srv.repl.buffer_memory());
    field(
        out,
        "mem_total_replication_buffers",
        srv.repl.buffer_memory(),
    );
    field(out, "mem_clients_slaves", 0);
    field(out, "mem_clients_normal", m.clients_normal);
    field(out, "mem_cluster_links", 0);
    field(out, "mem_aof_buffer", 0);
    field(out, "mem_allocator", crate::alloc::allocator_name());
    field(out, "active_defrag_running", 0);
    field(out, "lazyfree_pending_objects", 0);
    field(out, "lazyfreed_objects", 0);
}

fn persistence_section(srv: &Server, out: &mut String) {
    let rdb = &srv.rdb;
    let now_secs = srv.now_ms / 1000;
    let loading = rdb.loading.as_ref();
    out.push_str("# Persistence\r\n");
    let async_loading = loading.is_some_and(|l| l.async_loading);
    field(
        out,
        "loading",
        u8::from(loading.is_some() && !async_loading),
    );
    field(out, "async_loading", u8::from(async_loading));
    for (name, value) in [
        ("current_cow_peak", "0"),
        ("current_cow_size", "0"),
        ("current_cow_size_age", "0"),
        ("current_fork_perc", "0.00"),
    ] {
        field(out, name, value);
    }
    let (done, total) = rdb
        .bgsave
        .as_ref()
        .map_or((0, 0), |b| (b.keys_done, b.keys_total));
    field(out, "current_save_keys_processed", done);
    field(out, "current_save_keys_total", total);
    field(out, "rdb_changes_since_last_save", srv.dirty);
    field(
        out,
        "rdb_bgsave_in_progress",
        u8::from(rdb.bgsave.is_some()),
    );
    field(out, "rdb_last_save_time", srv.lastsave);
    field(
        out,
        "rdb_last_bgsave_status",
        if rdb.last_bgsave_failed { "err" } else { "ok" },
    );
    field(
        out,
        "rdb_last_bgsave_time_sec",
        rdb.last_bgsave_secs.unwrap_or(-1),
    );
    field(
        out,
        "rdb_current_bgsave_time_sec",
        rdb.bgsave
            .as_ref()
            .map_or(-1, |b| now_secs - b.start_ms / 1000),
    );
    field(out, "rdb_saves", rdb.saves);
    field(out, "rdb_last_cow_size", 0);
    field(
        out,
        "rdb_last_load_keys_expired",
        rdb.last_load_keys_expired,
    );
    field(out, "rdb_last_load_keys_loaded", rdb.last_load_keys_loaded);
    for (name, value) in [
        ("aof_enabled", "0"),
        ("aof_rewrite_in_progress", "0"),
        ("aof_rewrite_scheduled", "0"),
        ("aof_last_rewrite_time_sec", "-1"),
        ("aof_current_rewrite_time_sec", "-1"),
        ("aof_last_bgrewrite_status", "ok"),
        ("aof_rewrites", "0"),
        ("aof_rewrites_consecutive_failures", "0"),
        ("aof_last_write_status", "ok"),
        ("aof_last_cow_size", "0"),
        ("module_fork_in_progress", "0"),
        ("module_fork_last_cow_size", "0"),
    ] {
        field(out, name, value);
    }
    if let Some(l) = loading {
        let loaded = l.loaded();
        let perc = if l.total_bytes > 0 {
            loaded as f64 / l.total_bytes as f64 * 100.0
        } else {
            0.0
        };
        let elapsed = now_secs - l.start_secs;
        let remaining = l.total_bytes.saturating_sub(loaded).max(1) as i64;
        let eta = if elapsed <= 0 {
            1
        } else {
            elapsed * remaining / (loaded as i64 + 1)
        };
        field(out, "loading_start_time", l.start_secs);
        field(out, "loading_total_bytes", l.total_bytes);
        field(out, "loading_rss_bytes", crate::util::procfs::rss_bytes());
        field(out, "loading_loaded_bytes", loaded);
        field(out, "loading_loaded_perc", format!("{perc:.2}"));
        field(out, "loading_eta_seconds", eta);
    }
}

fn stats_section(srv: &Server, out: &mut String) {
    let st = &srv.stats;
    out.push_str("# Stats\r\n");
    field(
        out,
        "total_connections_received",
        st.total_connections_received,
    );
    field(out, "total_commands_processed", st.total_commands_processed);
    field(out, "instantaneous_ops_per_sec", st.inst_ops.per_second());
    field(out, "total_net_input_bytes", st.net_input_bytes);
    field(out, "total_net_output_bytes", st.net_output_bytes);
    field(out, "total_net_repl_input_bytes", srv.repl.net_input_bytes);
    field(
        out,
        "total_net_repl_output_bytes",
        srv.repl.net_output_bytes,
    );
    field(
        out,
        "instantaneous_input_kbps",
        format!("{:.2}", st.inst_net_input.per_second() as f64 / 1024.0),
    );
    field(
        out,
        "instantaneous_output_kbps",
        format!("{:.2}", st.inst_net_output.per_second() as f64 / 1024.0),
    );
    field(out, "instantaneous_input_repl_kbps", "0.00");
    field(out, "instantaneous_output_repl_kbps", "0.00");
    field(out, "rejected_connections", st.rejected_connections);
    field(out, "sync_full", srv.repl.sync_full);
    field(out, "sync_partial_ok", srv.repl.sync_partial_ok);
    field(out, "sync_partial_err", srv.repl.sync_partial_err);
    field(out, "expired_keys", st.expired_keys);
    field(out, "expired_stale_perc", "0.00");
    field(
        out,
        "expired_time_cap_reached_count",
        st.expired_time_cap_reached_count,
    );
    field(out, "expire_cycle_cpu_milliseconds", 0);
    field(out, "evicted_keys", st.evicted_keys);
    field(out, "evicted_clients", st.evicted_clients);
    field(
        out,
        "total_eviction_exceeded_time",
        st.eviction_exceeded_time_us / 1000,
    );
    field(out, "current_eviction_exceeded_time", 0);
    field(out, "keyspace_hits", st.keyspace_hits);
    field(out, "keyspace_misses", st.keyspace_misses);
    field(out, "pubsub_channels", srv.pubsub.channels.len());
    field(out, "pubsub_patterns", srv.pubsub.pattern_count());
    for name in [
        "pubsubshard_channels",
        "latest_fork_usec",
        "total_forks",
        "migrate_cached_sockets",
        "slave_expires_tracked_keys",
        "active_defrag_hits",
        "active_defrag_misses",
        "active_defrag_key_hits",
        "active_defrag_key_misses",
        "total_active_defrag_time",
        "current_active_defrag_time",
        "tracking_total_keys",
        "tracking_total_items",
        "tracking_total_prefixes",
        "unexpected_error_replies",
    ] {
        field(out, name, 0);
    }
    field(out, "total_error_replies", st.total_error_replies);
    field(out, "dump_payload_sanitizations", 0);
    field(out, "total_reads_processed", st.io_reads_processed);
    field(out, "total_writes_processed", 0);
    field(out, "io_threaded_reads_processed", 0);
    field(out, "io_threaded_writes_processed", 0);
    field(out, "reply_buffer_shrinks", 0);
    field(out, "reply_buffer_expands", 0);
}

fn replication_section(srv: &Server, out: &mut String) {
    out.push_str("# Replication\r\n");
    crate::server::replication::info::section(srv, out);
}

fn cpu_section(out: &mut String) {
    let p = procfs::process_cpu();
    let m = procfs::main_thread_cpu();
    out.push_str("# CPU\r\n");
    field(out, "used_cpu_sys", format!("{:.6}", p.sys));
    field(out, "used_cpu_user", format!("{:.6}", p.user));
    field(
        out,
        "used_cpu_sys_children",
        format!("{:.6}", p.children_sys),
    );
    field(
        out,
        "used_cpu_user_children",
        format!("{:.6}", p.children_user),
    );
    field(out, "used_cpu_sys_main_thread", format!("{:.6}", m.sys));
    field(out, "used_cpu_user_main_thread", format!("{:.6}", m.user));
}

fn commandstats_section(srv: &Server, out: &mut String) {
    out.push_str("# Commandstats\r\n");
    let mut names: Vec<&&str> = srv.stats.commands.keys().collect();
    names.sort();
    for name in names {
        let s = &srv.stats.commands[name];
        if s.calls == 0 && s.failed_calls == 0 && s.rejected_calls == 0 {
            continue;
        }
        let per_call = if s.calls == 0 {
            0.0
        } else {
            s.usec as f64 / s.calls as f64
        };
        let _ = write!(
            out,
            "cmdstat_{name}:calls={},usec={},usec_per_call={per_call:.2},rejected_calls={},failed_calls={}\r\n",
            s.calls, s.usec, s.rejected_calls, s.failed_calls
        );
    }
}

fn errorstats_section(srv: &Server, out: &mut String) {
    out.push_str("# Errorstats\r\n");
    for (code, count) in &srv.stats.errors {
        let _ = write!(out, "errorstat_{code}:count={count}\r\n");
    }
}

/// The percentiles INFO latencystats reports (`latency-tracking-info-percentiles`).
fn info_percentiles(srv: &Server) -> Vec<f64> {
    let raw = srv
        .config
        .value("latency-tracking-info-percentiles")
        .unwrap_or_default();
    String::from_utf8_lossy(&raw)
        .split_whitespace()
        .filter_map(|p| p.parse::<f64>().ok())
        .collect()
}

fn latencystats_section(srv: &Server, out: &mut String) {
    out.push_str("# Latencystats\r\n");
    if !srv.config.latency_tracking {
        return;
    }
    let percentiles = info_percentiles(srv);
    let mut names: Vec<&&str> = srv.stats.commands.keys().collect();
    names.sort();
    for name in names {
        let h = &srv.stats.commands[name].histogram;
        if h.count() == 0 {
            continue;
        }
        let _ = write!(out, "latency_percentiles_usec_{name}:");
        for (i, p) in percentiles.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(out, "p{p}={:.3}", h.percentile(*p) as f64 / 1000.0);
        }
        out.push_str("\r\n");
    }
}

fn keyspace_section(srv: &Server, out: &mut String) {
    out.push_str("# Keyspace\r\n");
    for (i, db) in srv.dbs.iter().enumerate() {
        if !db.is_empty() {
            let _ = write!(
                out,
                "db{i}:keys={},expires={},avg_ttl={}\r\n",
                db.len(),
                db.volatile.len(),
                db.avg_ttl
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<Bytes> {
        list.iter().map(|s| Bytes::from(s.to_string())).collect()
    }

    #[test]
    fn section_selection() {
        assert_eq!(selected_sections(&[]), DEFAULT_SECTIONS);
        assert_eq!(selected_sections(&args(&["ALL"])), SECTIONS);
        assert_eq!(selected_sections(&args(&["everything"])), SECTIONS);
        assert_eq!(
            selected_sections(&args(&["keyspace", "CPU", "nosuch", "cpu"])),
            vec!["cpu", "keyspace"]
        );
        assert!(selected_sections(&args(&["nosuch"])).is_empty());
        let d = selected_sections(&args(&["default", "commandstats"]));
        assert!(d.contains(&"commandstats") && d.contains(&"server"));
    }

    #[test]
    fn human_bytes() {
        assert_eq!(bytes_to_human(0), "0B");
        assert_eq!(bytes_to_human(1023), "1023B");
        assert_eq!(bytes_to_human(990_688), "967.47K");
        assert_eq!(bytes_to_human(6_881_280), "6.56M");
    }
}
