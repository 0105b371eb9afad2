//! Periodic housekeeping (Redis's serverCron): active expiry, idle client timeouts, memory peak.

use std::time::{Duration, Instant};

use rand::RngExt;

use super::client::Outbound;
use super::connection::SharedServer;
use super::state::{Server, unix_ms};

/// Keys sampled per database per loop of the active expiry cycle (Redis's default effort).
const EXPIRE_SAMPLE: usize = 20;
/// Keep sampling a database while more than this percentage of samples were expired.
const EXPIRE_ACCEPTABLE_STALE: usize = 10;
/// Share of each cron period the expiry cycle may use, in percent.
const EXPIRE_CPU_PERCENT: u64 = 25;

/// Runs housekeeping `hz` times per second until the server shuts down.
pub async fn run(server: SharedServer) {
    loop {
        let hz = server.borrow().config.hz.clamp(1, 500);
        tokio::time::sleep(Duration::from_millis(1000 / hz as u64)).await;
        let mut srv = server.borrow_mut();
        if srv.shutdown.exit {
            return;
        }
        srv.now_ms = unix_ms();
        let now = srv.now_ms;
        srv.stats.sample_instantaneous(now);
        // Replicas wait for their master's DELs; a paused master must not grow its stream.
        if srv.active_expire_enabled
            && srv.expire_policy() == super::replication::ExpirePolicy::Delete
        {
            let budget = Duration::from_micros(1_000_000 * EXPIRE_CPU_PERCENT / 100 / hz as u64);
            active_expire_cycle(&mut srv, budget);
        }
        shrink_databases(&mut srv);
        close_idle_clients(&mut srv);
        let used = srv.used_memory();
        if used > srv.peak_memory {
            srv.peak_memory = used;
        }
        if srv.config.maxmemory > 0 {
            srv.perform_evictions();
        }
        super::persistence::rdb::save::cron(&mut srv);
        super::replication::cron(&mut srv);
        super::shutdown::cron(&mut srv);
    }
}

/// Samples keys with a TTL and deletes the expired ones, within a time budget, so memory held
/// by keys nobody reads again is reclaimed.
pub fn active_expire_cycle(srv: &mut Server, budget: Duration) {
    let start = Instant::now();
    let ndb = srv.dbs.len();
    for i in 0..ndb {
        let db = (srv.expire_cursor + i) % ndb;
        loop {
            let len = srv.dbs[db].volatile.len();
            if len == 0 {
                break;
            }
            let now = srv.now_ms;
            let mut expired = Vec::new();
            let samples = EXPIRE_SAMPLE.min(len);
            let mut ttl_sum = 0i64;
            let mut ttl_n = 0i64;
            for _ in 0..samples {
                let idx = srv.rng.random_range(0..len);
                let d = &srv.dbs[db];
                let Some(key) = d.volatile.get_index(idx) else {
                    continue;
                };
                if let Some(e) = d.entries.get(key) {
                    if e.is_expired(now) {
                        expired.push(key.clone());
                    } else {
                        ttl_sum += e.expires_at - now;
                        ttl_n += 1;
                    }
                }
            }
            expired.sort();
            expired.dedup();
            let n = expired.len();
            for key in expired {
                srv.delete_expired(db, &key);
                srv.stats.expired_by_cycle += 1;
            }
            if ttl_n > 0 {
                let avg = ttl_sum / ttl_n;
                let d = &mut srv.dbs[db];
                d.avg_ttl = if d.avg_ttl == 0 {
                    avg
                } else {
                    (d.avg_ttl / 50) * 49 + avg / 50
                };
            }
            if start.elapsed() > budget {
                srv.stats.expired_time_cap_reached_count += 1;
                srv.expire_cursor = db;
                return;
            }
            if n * 100 <= samples * EXPIRE_ACCEPTABLE_STALE {
                break;
            }
        }
    }
    srv.expire_cursor = 0;
}

/// Smallest table worth shrinking (Redis's DICT_HT_INITIAL_SIZE is 4; a little more saves work).
const SHRINK_MIN_CAPACITY: usize = 64;

/// Gives memory back after mass deletion or expiry: like Redis's `tryResizeHashTables`, a table
/// filled below 10% is resized to fit.
fn shrink_databases(srv: &mut Server) {
    fn sparse(len: usize, cap: usize) -> bool {
        cap > SHRINK_MIN_CAPACITY && len * 10 < cap
    }
    for db in srv.dbs.iter_mut() {
        if sparse(db.entries.len(), db.entries.capacity()) {
            db.entries.shrink_to_fit();
        }
        if sparse(db.volatile.len(), db.volatile.capacity()) {
            db.volatile.shrink_to_fit();
        }
    }
}

fn close_idle_clients(srv: &mut Server) {
    let timeout = srv.config.timeout_secs;
    if timeout == 0 {
        return;
    }
    let now = srv.now_ms;
    for entry in srv.clients.by_id.values() {
        let Ok(c) = entry.client.try_borrow() else {
            continue;
        };
        let idle = now - c.last_interaction_ms;
        let exempt = c.subscription_count() > 0
            || c.blocked.is_some()
            || c.monitor
            || c.kind != super::client::ClientKind::Normal;
        if !exempt && idle > timeout as i64 * 1000 {
            tracing::debug!(client = %c.addr, "Closing idle client");
            let _ = entry.shared.tx.send(Outbound::Kill);
        }
    }
}
