//! maxmemory and the eviction policies against the real binary, following Redis 7.0's
//! tests/unit/maxmemory.tcl (memory limit honoured, only allkeys-* evict persistent keys) plus
//! statistical checks that LRU, LFU and TTL ordering are respected.

mod common;

use std::time::Duration;

use common::info::{info_field, used_memory};
use common::{Server, q, run};

const OOM: &str = "OOM command not allowed when used memory > 'maxmemory'.";
/// Room above the limit a single write may take (the value, its key, reply buffers).
const SLACK: u64 = 64 * 1024;
/// How much above the starting memory the limit is set.
const BUDGET: u64 = 2 * 1024 * 1024;

/// Sets maxmemory to the current usage plus `budget` with `policy`; returns the limit.
fn limit_memory(c: &mut redis::Connection, policy: &str, budget: u64) -> u64 {
    let limit = used_memory(c) + budget;
    let _: () = q(c, &["CONFIG", "SET", "maxmemory-policy", policy]);
    let _: () = q(c, &["CONFIG", "SET", "maxmemory", &limit.to_string()]);
    limit
}

fn value() -> String {
    "x".repeat(1000)
}

fn set(c: &mut redis::Connection, key: &str, ttl: Option<u64>) -> Result<(), String> {
    let v = value();
    let ttl = ttl.map(|t| t.to_string());
    let mut args = vec!["SET", key, v.as_str()];
    if let Some(t) = &ttl {
        args.extend(["EX", t.as_str()]);
    }
    match run(c, &args) {
        Ok(_) => Ok(()),
        Err(e) => Err(format!(
            "{} {}",
            e.code().unwrap_or(""),
            e.detail().unwrap_or("")
        )),
    }
}

/// Writes `prefix:N` keys until memory is within `margin` of the limit; returns how many.
fn fill_to(
    c: &mut redis::Connection,
    prefix: &str,
    limit: u64,
    margin: u64,
    ttl: impl Fn(usize) -> Option<u64>,
) -> usize {
    let mut n = 0;
    loop {
        for _ in 0..10 {
            set(c, &format!("{prefix}:{n}"), ttl(n)).expect("write below the limit");
            n += 1;
        }
        if used_memory(c) + margin > limit {
            return n;
        }
        assert!(n < 1_000_000, "memory does not grow");
    }
}

fn evicted_keys(c: &mut redis::Connection) -> Option<u64> {
    info_field(c, "stats", "evicted_keys").and_then(|v| v.parse().ok())
}

fn exists(c: &mut redis::Connection, keys: &[String]) -> usize {
    keys.iter()
        .filter(|k| q::<i64>(c, &["EXISTS", k.as_str()]) == 1)
        .count()
}

#[test]
fn noeviction_refuses_writes_but_serves_reads() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let limit = limit_memory(&mut c, "noeviction", BUDGET);
    let mut n = 0;
    let err = loop {
        match set(&mut c, &format!("k:{n}"), None) {
            Ok(()) => n += 1,
            Err(e) => break e,
        }
        assert!(n < 100_000, "never refused");
    };
    assert_eq!(err, OOM);
    assert!(n > 100, "only {n} keys fit in {BUDGET} bytes");
    // The write that crosses the limit may also grow the key table (vigil's grows by doubling
    // whatever the limit; Redis 7.0 skips a main-table expansion that would pass maxmemory).
    let used = used_memory(&mut c);
    assert!(
        used < limit + BUDGET / 8,
        "used {used} limit {limit} after {n} keys"
    );
    // Reads and deletions still work; denied writes of every kind are refused.
    assert_eq!(q::<String>(&mut c, &["GET", "k:0"]).len(), 1000);
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "k:1"]), 1);
    for args in [
        vec!["SET", "other", "v"],
        vec!["APPEND", "k:0", "x"],
        vec!["INCR", "counter"],
        vec!["MSET", "a", "1"],
    ] {
        let e = run(&mut c, &args).expect_err("denied while over the limit");
        assert_eq!(e.code(), Some("OOM"), "{args:?}");
    }
    assert_eq!(q::<i64>(&mut c, &["DBSIZE"]), n as i64);
    if let Some(ev) = evicted_keys(&mut c) {
        assert_eq!(ev, 0);
    }
    // Freeing memory lets writes through again.
    let _: () = q(&mut c, &["FLUSHALL"]);
    assert_eq!(q::<String>(&mut c, &["SET", "other", "v"]), "OK");
}

/// allkeys-* keep writing by evicting anything, and stay under the limit.
fn allkeys_policy_honours_limit(policy: &str) {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let limit = limit_memory(&mut c, policy, BUDGET);
    let n = fill_to(&mut c, "k", limit, 4096, |_| None);
    assert!(n > 100, "{policy}: only {n} keys fit");
    // Write the same amount again, three times over: every write succeeds.
    for i in 0..3 * n {
        set(&mut c, &format!("more:{i}"), None).unwrap_or_else(|e| panic!("{policy}: {e}"));
        if i % 100 == 0 {
            let used = used_memory(&mut c);
            assert!(
                used < limit + SLACK,
                "{policy}: used {used} > limit {limit}"
            );
        }
    }
    let used = used_memory(&mut c);
    assert!(
        used < limit + SLACK,
        "{policy}: used {used} > limit {limit}"
    );
    let dbsize: i64 = q(&mut c, &["DBSIZE"]);
    assert!(
        (dbsize as usize) < 2 * n,
        "{policy}: dbsize {dbsize}, wrote {}",
        4 * n
    );
    if let Some(ev) = evicted_keys(&mut c) {
        assert!(
            ev as usize >= 4 * n - dbsize as usize,
            "{policy}: evicted {ev}"
        );
    }
}

#[test]
fn allkeys_lru_honours_limit() {
    allkeys_policy_honours_limit("allkeys-lru");
}

#[test]
fn allkeys_lfu_honours_limit() {
    allkeys_policy_honours_limit("allkeys-lfu");
}

#[test]
fn allkeys_random_honours_limit() {
    allkeys_policy_honours_limit("allkeys-random");
}

/// volatile-* evict only keys with a TTL; when none is left, writes are refused.
fn volatile_policy_spares_persistent_keys(policy: &str) {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let limit = limit_memory(&mut c, policy, BUDGET);
    let persistent: Vec<String> = (0..200).map(|i| format!("p:{i}")).collect();
    for k in &persistent {
        set(&mut c, k, None).expect("persistent key");
    }
    let n = fill_to(&mut c, "v", limit, 4096, |i| Some(10_000 + i as u64));
    // Keep writing volatile keys: older volatile keys make room.
    for i in 0..2 * n {
        set(&mut c, &format!("v2:{i}"), Some(20_000 + i as u64))
            .unwrap_or_else(|e| panic!("{policy}: {e}"));
    }
    let used = used_memory(&mut c);
    assert!(
        used < limit + SLACK,
        "{policy}: used {used} > limit {limit}"
    );
    assert_eq!(
        exists(&mut c, &persistent),
        persistent.len(),
        "{policy}: persistent key evicted"
    );
    // Now only persistent writes: volatile keys go first, then writes are refused.
    let mut written = 0;
    let err = loop {
        match set(&mut c, &format!("p2:{written}"), None) {
            Ok(()) => written += 1,
            Err(e) => break e,
        }
        assert!(written < 100_000, "{policy}: never refused");
    };
    assert!(err.starts_with("OOM "), "{policy}: {err}");
    assert!(written > 0);
    assert_eq!(
        exists(&mut c, &persistent),
        persistent.len(),
        "{policy}: persistent key evicted"
    );
    let ks = info_field(&mut c, "keyspace", "db0").unwrap_or_default();
    assert!(
        ks.contains("expires=0"),
        "{policy}: volatile keys left behind while refusing writes: {ks}"
    );
    assert_eq!(
        q::<i64>(&mut c, &["DBSIZE"]),
        (persistent.len() + written) as i64,
        "{policy}"
    );
    // Reads still work.
    assert_eq!(q::<String>(&mut c, &["GET", "p:0"]).len(), 1000);
}

#[test]
fn volatile_lru_spares_persistent_keys() {
    volatile_policy_spares_persistent_keys("volatile-lru");
}

#[test]
fn volatile_lfu_spares_persistent_keys() {
    volatile_policy_spares_persistent_keys("volatile-lfu");
}

#[test]
fn volatile_random_spares_persistent_keys() {
    volatile_policy_spares_persistent_keys("volatile-random");
}

#[test]
fn volatile_ttl_spares_persistent_keys() {
    volatile_policy_spares_persistent_keys("volatile-ttl");
}

/// Fraction of `keys` that still exist.
fn survival(c: &mut redis::Connection, keys: &[String]) -> f64 {
    exists(c, keys) as f64 / keys.len() as f64
}

/// Under `policy` (LRU or LFU, named `kind` in messages), keys that `touch` has just used
/// (`usage` says how) survive a wave of evictions much better than the others.
fn hot_keys_survive(
    policy: &str,
    kind: &str,
    usage: &str,
    touch: impl FnOnce(&mut redis::Connection, &[String]),
) {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let limit = limit_memory(&mut c, policy, BUDGET);
    let n = fill_to(&mut c, "old", limit, 256 * 1024, |_| None);
    let (hot, cold): (Vec<String>, Vec<String>) = (0..n)
        .map(|i| format!("old:{i}"))
        .partition(|k| k.ends_with(['0', '2', '4', '6', '8']));
    touch(&mut c, &hot);
    assert_eq!(
        q::<i64>(&mut c, &["DBSIZE"]),
        n as i64,
        "evictions before the test phase"
    );
    // Push out about as many keys as there are cold ones.
    for i in 0..n / 2 {
        set(&mut c, &format!("new:{i}"), None).expect("write with eviction");
    }
    let (hot_rate, cold_rate) = (survival(&mut c, &hot), survival(&mut c, &cold));
    eprintln!("survival: hot {hot_rate:.2} cold {cold_rate:.2}");
    assert!(
        hot_rate > 0.85,
        "{usage} used keys evicted: hot {hot_rate:.2} cold {cold_rate:.2}"
    );
    assert!(
        hot_rate > cold_rate + 0.3,
        "no {kind} preference: hot {hot_rate:.2} cold {cold_rate:.2}"
    );
}

#[test]
fn allkeys_lru_keeps_recently_used_keys() {
    hot_keys_survive("allkeys-lru", "LRU", "recently", |c, hot| {
        // The LRU clock has a one-second resolution, as in Redis: wait long enough that every
        // old key is at least a full tick older than the ones touched next.
        std::thread::sleep(Duration::from_millis(2100));
        for k in hot {
            let _: Option<String> = q(c, &["GET", k]);
        }
    });
}

#[test]
fn allkeys_lfu_keeps_frequently_used_keys() {
    // Real Redis: hot 1.00, cold ~0.5 (new keys start with the cold keys' counter).
    hot_keys_survive("allkeys-lfu", "LFU", "frequently", |c, hot| {
        // Small pipelines: replies waiting in an output buffer count as used memory and a big
        // one would make the server evict while the hot keys are being touched.
        for _ in 0..5 {
            for chunk in hot.chunks(20) {
                let mut pipe = redis::pipe();
                for k in chunk {
                    pipe.cmd("GET").arg(k).ignore();
                }
                let _: () = pipe.query(c).expect("touch hot keys");
            }
        }
    });
}

#[test]
fn volatile_ttl_evicts_shorter_ttls_first() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let limit = limit_memory(&mut c, "volatile-ttl", BUDGET);
    // TTLs interleaved so that insertion order says nothing about them.
    let ttl = |i: usize| {
        Some(if i.is_multiple_of(2) {
            1000 + i as u64
        } else {
            1_000_000 + i as u64
        })
    };
    let n = fill_to(&mut c, "old", limit, 256 * 1024, ttl);
    let (short, long): (Vec<String>, Vec<String>) = (0..n)
        .map(|i| format!("old:{i}"))
        .partition(|k| k.ends_with(['0', '2', '4', '6', '8']));
    for i in 0..n / 2 {
        set(&mut c, &format!("new:{i}"), Some(5_000_000)).expect("write with eviction");
    }
    let (short_rate, long_rate) = (survival(&mut c, &short), survival(&mut c, &long));
    eprintln!("survival: short TTL {short_rate:.2} long TTL {long_rate:.2}");
    assert!(
        long_rate > 0.85,
        "long TTLs evicted: short {short_rate:.2} long {long_rate:.2}"
    );
    assert!(
        long_rate > short_rate + 0.3,
        "no TTL preference: short {short_rate:.2} long {long_rate:.2}"
    );
}

#[test]
fn raising_the_limit_allows_writes_and_lowering_it_evicts() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let limit = limit_memory(&mut c, "allkeys-random", BUDGET);
    let n = fill_to(&mut c, "k", limit, 4096, |_| None);
    // Lowering the limit evicts right away (CONFIG SET itself performs evictions).
    let lower = limit - BUDGET / 2;
    let _: () = q(&mut c, &["CONFIG", "SET", "maxmemory", &lower.to_string()]);
    let used = used_memory(&mut c);
    assert!(
        used < lower + SLACK,
        "used {used} after lowering to {lower}"
    );
    let dbsize: i64 = q(&mut c, &["DBSIZE"]);
    assert!((dbsize as usize) < n * 3 / 4, "dbsize {dbsize} of {n}");
    // maxmemory 0 means no limit.
    let _: () = q(&mut c, &["CONFIG", "SET", "maxmemory-policy", "noeviction"]);
    let _: () = q(&mut c, &["CONFIG", "SET", "maxmemory", "0"]);
    for i in 0..n {
        set(&mut c, &format!("z:{i}"), None).expect("no limit");
    }
}
