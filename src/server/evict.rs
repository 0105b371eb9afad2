//! maxmemory enforcement: approximated LRU/LFU by sampling with a candidate pool, as Redis does.

use super::key::Key;
use rand::RngExt;

use super::notify;
use super::state::Server;
use crate::config::{MaxmemoryPolicy, ServerConfig};

/// Mask of the 24-bit LRU clock (seconds resolution, wraps after ~194 days).
const LRU_CLOCK_MAX: u32 = (1 << 24) - 1;
/// Initial LFU counter of a new key, so fresh keys are not evicted at once.
pub const LFU_INIT_VAL: u8 = 5;
/// Size of the eviction candidate pool.
const POOL_SIZE: usize = 16;

/// Eviction bookkeeping kept between calls.
#[derive(Debug, Default)]
pub struct EvictionState {
    /// Best candidates seen so far: (score, db, key); higher score = better to evict.
    pool: Vec<(u64, usize, Key)>,
}

fn lru_clock(now_ms: i64) -> u32 {
    ((now_ms / 1000) as u32) & LRU_CLOCK_MAX
}

fn is_lfu(policy: MaxmemoryPolicy) -> bool {
    matches!(
        policy,
        MaxmemoryPolicy::AllKeysLfu | MaxmemoryPolicy::VolatileLfu
    )
}

fn minutes(now_ms: i64) -> u32 {
    ((now_ms / 60_000) as u32) & 0xFFFF
}

/// Idle time in ms of an LRU-encoded entry.
pub fn idle_ms(lru: u32, now_ms: i64) -> u64 {
    let clock = lru_clock(now_ms);
    let secs = if clock >= lru {
        clock - lru
    } else {
        (LRU_CLOCK_MAX - lru) + clock
    };
    secs as u64 * 1000
}

/// LFU counter after applying decay for the time elapsed since the last access.
pub fn lfu_decayed(lru: u32, now_ms: i64, decay_time: u32) -> u8 {
    let last = lru >> 8;
    let counter = (lru & 0xFF) as u8;
    let now = minutes(now_ms);
    let elapsed = if now >= last {
        now - last
    } else {
        0xFFFF - last + now
    };
    if decay_time == 0 {
        return counter;
    }
    let periods = elapsed / decay_time;
    counter.saturating_sub(periods.min(255) as u8)
}

fn lfu_increment(counter: u8, log_factor: u32) -> u8 {
    if counter == 255 {
        return 255;
    }
    let r: f64 = rand::rng().random();
    let base = counter.saturating_sub(LFU_INIT_VAL) as f64;
    let p = 1.0 / (base * log_factor as f64 + 1.0);
    if r < p { counter + 1 } else { counter }
}

impl EvictionState {
    /// The `lru` field for a freshly written value.
    pub fn new_value_lru(&self, config: &ServerConfig, now_ms: i64) -> u32 {
        if is_lfu(config.maxmemory_policy) {
            (minutes(now_ms) << 8) | LFU_INIT_VAL as u32
        } else {
            lru_clock(now_ms)
        }
    }

    /// The `lru` field after an access.
    pub fn touch_value(&self, config: &ServerConfig, now_ms: i64, lru: u32) -> u32 {
        if is_lfu(config.maxmemory_policy) {
            let c = lfu_decayed(lru, now_ms, config.lfu_decay_time);
            let c = lfu_increment(c, config.lfu_log_factor);
            (minutes(now_ms) << 8) | c as u32
        } else {
            lru_clock(now_ms)
        }
    }
}

/// Outcome of trying to get under maxmemory.
#[derive(Debug, PartialEq, Eq)]
pub enum EvictResult {
    /// Under the limit (or no limit).
    Ok,
    /// Still over the limit: nothing (more) can be evicted.
    Fail,
}

impl Server {
    /// Memory that counts against `maxmemory`: the replication buffers do not, as in Redis.
    fn counted_memory(&self) -> usize {
        self.used_memory().saturating_sub(self.repl.buffer_memory())
    }

    /// Evicts keys until memory is under `maxmemory`, following the policy.
    pub fn perform_evictions(&mut self) -> EvictResult {
        let max = self.config.maxmemory as usize;
        // Replicas follow their master's evictions (replica-ignore-maxmemory).
        if max == 0 || (self.repl.is_replica() && self.repl.cfg.ignore_maxmemory) {
            return EvictResult::Ok;
        }
        if self.counted_memory() <= max {
            return EvictResult::Ok;
        }
        let policy = self.config.maxmemory_policy;
        if policy == MaxmemoryPolicy::NoEviction {
            return EvictResult::Fail;
        }
        let start = std::time::Instant::now();
        // Evict in a bounded burst so one command cannot stall the server indefinitely.
        while self.counted_memory() > max {
            let Some((db, key)) = self.pick_victim(policy) else {
                return EvictResult::Fail;
            };
            if self.dbs[db].remove(&key).is_some() {
                self.stats.evicted_keys += 1;
                self.notify(notify::EVICTED, "evicted", &key, db);
                self.signal_modified(db, &key);
                let lazy = self.repl.cfg.lazy_eviction;
                super::replication::propagate::deletion(self, db, &key, lazy);
            }
            if start.elapsed().as_millis() > 50 {
                break;
            }
        }
        self.stats.eviction_exceeded_time_us += start.elapsed().as_micros() as u64;
        if self.counted_memory() > max {
            EvictResult::Fail
        } else {
            EvictResult::Ok
        }
    }

    fn pick_victim(&mut self, policy: MaxmemoryPolicy) -> Option<(usize, Key)> {
        use MaxmemoryPolicy::*;
        let volatile = matches!(
            policy,
            VolatileLru | VolatileLfu | VolatileRandom | VolatileTtl
        );
        if matches!(policy, AllKeysRandom | VolatileRandom) {
            let n = self.dbs.len();
            // Visit every database once, from a random one, so a lone non-empty db is found.
            let first = self.rng.random_range(0..n);
            for i in 0..n {
                let db = (first + i) % n;
                let d = &self.dbs[db];
                let len = if volatile {
                    d.volatile.len()
                } else {
                    d.entries.len()
                };
                if len == 0 {
                    continue;
                }
                let idx = self.rng.random_range(0..len);
                let key = if volatile {
                    d.volatile.get_index(idx).cloned()
                } else {
                    d.key_at(idx).cloned()
                };
                return key.map(|k| (db, k));
            }
            return None;
        }
        let samples = self.config.maxmemory_samples.max(1) as usize;
        let now = self.now_ms;
        for db in 0..self.dbs.len() {
            let d = &self.dbs[db];
            let len = if volatile {
                d.volatile.len()
            } else {
                d.entries.len()
            };
            if len == 0 {
                continue;
            }
            for _ in 0..samples.min(len) {
                let idx = self.rng.random_range(0..len);
                let key = if volatile {
                    d.volatile.get_index(idx)
                } else {
                    d.key_at(idx)
                };
                let Some(key) = key else { continue };
                let Some(entry) = d.entries.get(key) else {
                    continue;
                };
                let score = match policy {
                    AllKeysLfu | VolatileLfu => {
                        255 - lfu_decayed(entry.lru, now, self.config.lfu_decay_time) as u64
                    }
                    VolatileTtl => u64::MAX - entry.expires_at.max(0) as u64,
                    _ => idle_ms(entry.lru, now),
                };
                let pool = &mut self.evict.pool;
                if pool.iter().any(|(_, pdb, pk)| *pdb == db && pk == key) {
                    continue;
                }
                if pool.len() < POOL_SIZE {
                    pool.push((score, db, key.clone()));
                } else if let Some(min) = pool.iter_mut().min_by_key(|(s, _, _)| *s)
                    && min.0 < score
                {
                    *min = (score, db, key.clone());
                }
            }
        }
        // Take the best candidate that still exists (pool entries may be stale).
        while !self.evict.pool.is_empty() {
            let best = self
                .evict
                .pool
                .iter()
                .enumerate()
                .max_by_key(|(_, (s, _, _))| *s)
                .map(|(i, _)| i)?;
            let (_, db, key) = self.evict.pool.swap_remove(best);
            if let Some(e) = self.dbs.get(db).and_then(|d| d.entries.get(&key[..]))
                && (!volatile || e.has_expire())
            {
                return Some((db, key));
            }
        }
        None
    }
}
