//! The latency monitor: per-event time series of latency spikes above
//! `latency-monitor-threshold` (LATENCY LATEST / HISTORY / RESET / GRAPH / DOCTOR).

use std::collections::{BTreeMap, VecDeque};

/// Samples kept per event (one per second at most), as in Redis.
pub const SAMPLES_PER_EVENT: usize = 160;

/// One spike: when it happened and how long it lasted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LatencySample {
    /// Unix time, seconds.
    pub time: i64,
    /// Duration in milliseconds.
    pub latency_ms: u64,
}

/// The recent spikes of one event class plus its all-time maximum.
#[derive(Debug, Default, Clone)]
pub struct LatencySeries {
    /// Oldest first.
    pub samples: VecDeque<LatencySample>,
    /// Largest latency ever recorded for the event.
    pub max_ms: u64,
}

/// All event classes.
#[derive(Debug, Default)]
pub struct LatencyMonitor {
    /// Event name → series, sorted so replies are stable.
    pub events: BTreeMap<String, LatencySeries>,
}

impl LatencyMonitor {
    /// Records a spike if the monitor is enabled (`threshold_ms > 0`) and `latency_ms` reaches it.
    pub fn add_if_needed(&mut self, threshold_ms: u64, event: &str, now_s: i64, latency_ms: u64) {
        if threshold_ms > 0 && latency_ms >= threshold_ms {
            self.add(event, now_s, latency_ms);
        }
    }

    /// Records a spike; several spikes in the same second keep the largest.
    pub fn add(&mut self, event: &str, now_s: i64, latency_ms: u64) {
        let series = self.events.entry(event.to_string()).or_default();
        series.max_ms = series.max_ms.max(latency_ms);
        if let Some(last) = series.samples.back_mut()
            && last.time == now_s
        {
            last.latency_ms = last.latency_ms.max(latency_ms);
            return;
        }
        series.samples.push_back(LatencySample {
            time: now_s,
            latency_ms,
        });
        while series.samples.len() > SAMPLES_PER_EVENT {
            series.samples.pop_front();
        }
    }

    /// Forgets the named events (all when `names` is empty); returns how many existed.
    pub fn reset(&mut self, names: &[String]) -> usize {
        if names.is_empty() {
            let n = self.events.len();
            self.events.clear();
            return n;
        }
        names
            .iter()
            .filter(|n| self.events.remove(n.as_str()).is_some())
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_second_keeps_max_and_series_is_bounded() {
        let mut m = LatencyMonitor::default();
        m.add_if_needed(0, "command", 1, 500);
        assert!(m.events.is_empty());
        m.add_if_needed(10, "command", 1, 5);
        assert!(m.events.is_empty());
        m.add_if_needed(10, "command", 1, 20);
        m.add("command", 1, 30);
        m.add("command", 1, 25);
        let s = &m.events["command"];
        assert_eq!(s.samples.len(), 1);
        assert_eq!(s.samples[0].latency_ms, 30);
        for t in 2..400 {
            m.add("command", t, 11);
        }
        assert_eq!(m.events["command"].samples.len(), SAMPLES_PER_EVENT);
        assert_eq!(m.events["command"].max_ms, 30);
        assert_eq!(m.reset(&["nope".into(), "command".into()]), 1);
        assert_eq!(m.reset(&[]), 0);
    }
}
