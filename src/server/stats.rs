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
    /// Latency distribution (LATENCY HISTOGRAM, INFO latencystats) while latency-tracking is on.
    pub histogram: LatencyHistogram,
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
    /// Commands per second, sampled by the cron (INFO `instantaneous_ops_per_sec`).
    pub inst_ops: InstantMetric,
    /// Input bytes per second, sampled by the cron.
    pub inst_net_input: InstantMetric,
    /// Output bytes per second, sampled by the cron.
    pub inst_net_output: InstantMetric,
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

    /// Takes one sample of the per-second rates if at least 100 ms passed since the last one,
    /// as Redis's cron does; INFO reports the average of the last samples.
    pub fn sample_instantaneous(&mut self, now_ms: i64) {
        let (ops, input, output) = (
            self.total_commands_processed,
            self.net_input_bytes,
            self.net_output_bytes,
        );
        self.inst_ops.track(now_ms, ops);
        self.inst_net_input.track(now_ms, input);
        self.inst_net_output.track(now_ms, output);
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
            } else {
                // Request arguments point into the socket buffer; do not pin it.
                *a = Bytes::copy_from_slice(a);
            }
        }
        entry.id = self.next_id;
        self.next_id += 1;
        self.entries.push_front(entry);
        self.entries.truncate(max_len);
    }
}

/// Number of rate samples averaged (Redis's STATS_METRIC_SAMPLES).
const METRIC_SAMPLES: usize = 16;
/// Minimum time between two rate samples.
const METRIC_PERIOD_MS: i64 = 100;

/// A per-second rate of a growing counter, averaged over the last samples.
#[derive(Debug, Default, Clone)]
pub struct InstantMetric {
    samples: [u64; METRIC_SAMPLES],
    next: usize,
    last_ms: i64,
    last_value: u64,
}

impl InstantMetric {
    /// Records the counter's current value; ignored if the previous sample is too recent.
    pub fn track(&mut self, now_ms: i64, value: u64) {
        if self.last_ms == 0 {
            self.last_ms = now_ms;
            self.last_value = value;
            return;
        }
        let dt = now_ms - self.last_ms;
        if dt < METRIC_PERIOD_MS {
            return;
        }
        let delta = value.saturating_sub(self.last_value);
        self.samples[self.next] = delta * 1000 / dt as u64;
        self.next = (self.next + 1) % METRIC_SAMPLES;
        self.last_ms = now_ms;
        self.last_value = value;
    }

    /// Average rate per second over the recorded samples.
    pub fn per_second(&self) -> u64 {
        self.samples.iter().sum::<u64>() / METRIC_SAMPLES as u64
    }
}

/// Sub-buckets per power of two (2^3 = 8: about 12% resolution, like a 1-digit HDR histogram).
const HIST_SUB_BITS: u32 = 3;
const HIST_SUB: u64 = 1 << HIST_SUB_BITS;
/// Largest recorded value in nanoseconds (about 18 minutes); longer durations are clamped.
const HIST_MAX_NS: u64 = (1 << 40) - 1;
const HIST_BUCKETS: usize = ((40 - HIST_SUB_BITS as usize) + 1) * HIST_SUB as usize;

/// A log-linear histogram of command durations in nanoseconds, allocated on first use so
/// commands never called cost nothing.
#[derive(Debug, Default, Clone)]
pub struct LatencyHistogram {
    buckets: Option<Box<[u64]>>,
    count: u64,
}

fn hist_index(v: u64) -> usize {
    let v = v.min(HIST_MAX_NS);
    if v < HIST_SUB {
        return v as usize;
    }
    let exp = 63 - v.leading_zeros();
    let shift = exp - HIST_SUB_BITS;
    let mantissa = (v >> shift) - HIST_SUB;
    ((shift as u64 + 1) * HIST_SUB + mantissa) as usize
}

/// Highest value (ns) that falls into bucket `i`.
fn hist_upper(i: usize) -> u64 {
    let i = i as u64;
    if i < HIST_SUB {
        return i;
    }
    let shift = i / HIST_SUB - 1;
    let mantissa = i % HIST_SUB;
    ((HIST_SUB + mantissa + 1) << shift) - 1
}

impl LatencyHistogram {
    /// Records one duration.
    pub fn record(&mut self, ns: u64) {
        let b = self
            .buckets
            .get_or_insert_with(|| vec![0u64; HIST_BUCKETS].into_boxed_slice());
        if let Some(slot) = b.get_mut(hist_index(ns)) {
            *slot += 1;
            self.count += 1;
        }
    }

    /// Number of recorded durations.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The duration (ns) below which `pct` percent of the samples fall (0 when empty).
    pub fn percentile(&self, pct: f64) -> u64 {
        let Some(b) = &self.buckets else { return 0 };
        if self.count == 0 {
            return 0;
        }
        let target = ((pct / 100.0) * self.count as f64).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (i, n) in b.iter().enumerate() {
            seen += n;
            if seen >= target {
                return hist_upper(i);
            }
        }
        hist_upper(b.len() - 1)
    }

    /// Cumulative counts by power-of-two microsecond bucket (1, 2, 4, ... µs), only for
    /// buckets that received samples: the LATENCY HISTOGRAM shape.
    pub fn power_of_two_us(&self) -> Vec<(u64, u64)> {
        let Some(b) = &self.buckets else {
            return Vec::new();
        };
        let mut out: Vec<(u64, u64)> = Vec::new();
        let mut total = 0;
        for (i, n) in b.iter().enumerate() {
            if *n == 0 {
                continue;
            }
            total += n;
            let us = hist_upper(i).div_ceil(1000).max(1).next_power_of_two();
            match out.last_mut() {
                Some(last) if last.0 == us => last.1 = total,
                _ => out.push((us, total)),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_contiguous() {
        for v in [0u64, 1, 7, 8, 9, 15, 16, 17, 1000, 123_456, HIST_MAX_NS] {
            let i = hist_index(v);
            assert!(hist_upper(i) >= v, "{v}");
            if i > 0 {
                assert!(hist_upper(i - 1) < v, "{v}");
            }
        }
        assert!(hist_index(HIST_MAX_NS) < HIST_BUCKETS);
    }

    #[test]
    fn histogram_percentiles() {
        let mut h = LatencyHistogram::default();
        for _ in 0..99 {
            h.record(3_000);
        }
        h.record(2_000_000);
        let p50 = h.percentile(50.0);
        assert!((3_000..3_500).contains(&p50), "{p50}");
        assert!(h.percentile(100.0) >= 2_000_000);
        let buckets = h.power_of_two_us();
        assert_eq!(buckets.first().map(|b| b.1), Some(99));
        assert_eq!(buckets.last().map(|b| b.1), Some(100));
    }

    #[test]
    fn instant_metric_rates() {
        let mut m = InstantMetric::default();
        m.track(1_000, 0);
        for i in 1..=16 {
            m.track(1_000 + i * 100, (i * 10) as u64);
        }
        assert_eq!(m.per_second(), 100);
    }
}
