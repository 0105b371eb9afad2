//! Counters behind INFO stats, commandstats, errorstats and the slow log.

use std::collections::{BTreeMap, HashMap, VecDeque};

use bytes::Bytes;

/// Per-command counters (INFO commandstats).
#[derive(Debug, Default, Clone)]
pub struct CommandStat {
    /// Successful or failed executions.
    pub calls: u64,
    /// Total microseconds spent.
    pub usec: u64,
    /// Refused before execution (arity, ACL, OOM, ...).
    pub rejected_calls: u64,
    /// Executed but returned an error.
    pub failed_calls: u64,
}

/// Server-wide counters.
#[derive(Debug, Default)]
pub struct Stats {
    /// Connections accepted since start.
    pub total_connections_received: u64,
    /// Commands processed since start.
    pub total_commands_processed: u64,
    /// Connections refused by maxclients.
    pub rejected_connections: u64,
    /// Keys removed because their TTL passed.
    pub expired_keys: u64,
    /// Keys evicted by maxmemory.
    pub evicted_keys: u64,
    /// Clients evicted (maxmemory-clients).
    pub evicted_clients: u64,
    /// Successful key lookups.
    pub keyspace_hits: u64,
    /// Failed key lookups.
    pub keyspace_misses: u64,
    /// Pub/sub channels count is computed; this counts notifications sent.
    pub pubsub_messages: u64,
    /// Bytes read from clients.
    pub net_input_bytes: u64,
    /// Bytes written to clients.
    pub net_output_bytes: u64,
    /// Errors replied, total.
    pub total_error_replies: u64,
    /// Errors by their first word (INFO errorstats).
    pub errors: BTreeMap<String, u64>,
    /// Per command, keyed by full name (`client|list`).
    pub commands: HashMap<&'static str, CommandStat, foldhash::fast::RandomState>,
    /// Time spent in eviction, microseconds.
    pub eviction_exceeded_time_us: u64,
    /// Keys reclaimed by the active expiry cycle (subset of expired_keys).
    pub expired_by_cycle: u64,
    /// Times the active expire cycle stopped because of its time budget.
    pub expired_time_cap_reached_count: u64,
    /// Clients unblocked after a timeout.
    pub blocked_timeouts: u64,
    /// Number of `WATCH`ed keys (maintained by the watch registry).
    pub io_reads_processed: u64,
}

impl Stats {
    /// Counters of one command, created on first use.
    pub fn command_stat(&mut self, name: &'static str) -> &mut CommandStat {
        self.commands.entry(name).or_default()
    }

    /// Counts an error reply under its code (the text up to the first space).
    pub fn count_error(&mut self, text: &str) {
        self.total_error_replies += 1;
        let code = text.split(' ').next().unwrap_or("ERR");
        // Guard against unbounded growth from odd error texts, as Redis caps errorstats at 128.
        if let Some(n) = self.errors.get_mut(code) {
            *n += 1;
        } else if self.errors.len() < 128 {
            self.errors.insert(code.to_string(), 1);
        }
    }

    /// Resets what CONFIG RESETSTAT resets.
    pub fn reset(&mut self) {
        *self = Stats::default();
    }
}

/// One slow log record.
#[derive(Debug, Clone)]
pub struct SlowLogEntry {
    /// Increasing id.
    pub id: u64,
    /// Unix seconds when the command ran.
    pub time: i64,
    /// Duration in microseconds.
    pub duration_us: u64,
    /// Arguments (truncated as Redis does: 32 args, 128 bytes each).
    pub args: Vec<Bytes>,
    /// Client address.
    pub addr: String,
    /// Client name.
    pub name: Bytes,
}

/// The slow log (SLOWLOG GET/LEN/RESET).
#[derive(Debug, Default)]
pub struct SlowLog {
    /// Newest first.
    pub entries: VecDeque<SlowLogEntry>,
    /// Next id.
    pub next_id: u64,
}

impl SlowLog {
    /// Records a command if it was slow enough; `threshold_us < 0` disables the log.
    pub fn record(&mut self, threshold_us: i64, max_len: usize, mut entry: SlowLogEntry) {
        if threshold_us < 0 || (entry.duration_us as i64) < threshold_us {
            return;
        }
        const MAX_ARGS: usize = 32;
        const MAX_ARG_LEN: usize = 128;
        let argc = entry.args.len();
        if argc > MAX_ARGS {
            entry.args.truncate(MAX_ARGS - 1);
            entry.args.push(Bytes::from(format!(
                "... ({} more arguments)",
                argc - MAX_ARGS + 1
            )));
        }
        for a in entry.args.iter_mut() {
            if a.len() > MAX_ARG_LEN {
                let more = a.len() - MAX_ARG_LEN;
                let mut v = a[..MAX_ARG_LEN].to_vec();
                v.extend_from_slice(format!("... ({more} more bytes)").as_bytes());
                *a = Bytes::from(v);
            }
        }
        entry.id = self.next_id;
        self.next_id += 1;
        self.entries.push_front(entry);
        self.entries.truncate(max_len);
    }
}
