//! Crash tests of the append-only file: clients write (one command at a time and pipelined)
//! while the server is killed with SIGKILL at random moments, then it restarts from its AOF.
//! With every `appendfsync` policy every acknowledged write must be there: a reply leaves only
//! once what it acknowledges was written to the file (`write(2)` done; a process crash does not
//! lose the page cache), and with `always` fsynced. Half the rounds slow every AOF write down
//! (DEBUG AOF-FLUSH-SLEEP, a disk under writeback pressure) so that a reply sent before its
//! write would be caught. A kill during a rewrite must leave a loadable AOF with every
//! acknowledged write. Lists written in order also check that nothing in the middle is lost.

mod common;

use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use common::persist::*;
use common::q;
use common::rng::Rng;
use redis::Connection;

/// Acknowledged values of one writer, with the time each was acknowledged.
type Acks = Arc<Mutex<Vec<(Instant, i64)>>>;

/// A client that appends 1, 2, 3... to its list (continuing after what the list holds), one
/// RPUSH at a time or `pipeline` per round trip, until the connection breaks or `stop_at`.
/// Each reply (the new length) must equal the value pushed.
fn writer(
    port: u16,
    name: String,
    pipeline: usize,
    acks: Acks,
    stop_at: Instant,
) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let Ok(client) = redis::Client::open(format!("redis://127.0.0.1:{port}/")) else {
            return;
        };
        let Ok(mut c) = client.get_connection() else {
            return;
        };
        let _ = c.set_read_timeout(Some(Duration::from_secs(5)));
        let list = format!("list:{name}");
        let Ok(mut next) = redis::cmd("LLEN").arg(&list).query::<i64>(&mut c) else {
            return;
        };
        while Instant::now() < stop_at {
            let mut p = redis::pipe();
            for i in 1..=pipeline as i64 {
                p.cmd("RPUSH").arg(&list).arg(next + i);
            }
            let Ok(lens) = p.query::<Vec<i64>>(&mut c) else {
                return;
            };
            for (i, len) in lens.iter().enumerate() {
                assert_eq!(*len, next + 1 + i as i64, "RPUSH reply");
            }
            next += pipeline as i64;
            if let Ok(mut a) = acks.lock() {
                a.push((Instant::now(), next));
            }
        }
    })
}

/// The length of a writer's list after the restart, checking it is exactly 1..=len (in
/// order, no hole, no duplicate).
fn recovered(c: &mut Connection, name: &str) -> i64 {
    let list: Vec<i64> = q(c, &["LRANGE", &format!("list:{name}"), "0", "-1"]);
    for (i, v) in list.iter().enumerate() {
        assert_eq!(
            *v,
            i as i64 + 1,
            "list:{name} has a hole or a duplicate at {i}"
        );
    }
    list.len() as i64
}

/// Runs rounds of write-then-SIGKILL on one directory (every other round with each AOF write
/// slowed down by 1 ms); `check` gets, per writer, the acks, the kill time and the recovered
/// list length.
fn crash_rounds(
    name: &str,
    policy: &str,
    rounds: usize,
    mut check: impl FnMut(&[(Instant, i64)], Instant, i64),
) {
    let dir = Dir::new(name);
    let args = ["--save", "", "--appendonly", "yes", "--appendfsync", policy];
    let mut rng = Rng(0x5eed_0000 + rounds as u64);
    let writers = [("single", 1usize), ("pipelined", 32)];
    for round in 0..rounds {
        let mut n = Node::vigil(dir.path(), &args);
        if round % 2 == 1 {
            let _: () = q(&mut n.conn(), &["DEBUG", "AOF-FLUSH-SLEEP", "1000"]);
        }
        let stop_at = Instant::now() + Duration::from_secs(5);
        let acks: Vec<Acks> = writers.iter().map(|_| Acks::default()).collect();
        let handles: Vec<_> = writers
            .iter()
            .zip(&acks)
            .map(|((w, p), a)| writer(n.port, w.to_string(), *p, a.clone(), stop_at))
            .collect();
        std::thread::sleep(Duration::from_millis(150 + rng.below(400)));
        let killed_at = Instant::now();
        let _ = n.child.kill();
        let _ = n.child.wait();
        for h in handles {
            let _ = h.join();
        }
        let n2 = Node::vigil(dir.path(), &args);
        let mut c = n2.conn();
        for ((w, _), a) in writers.iter().zip(&acks) {
            let len = recovered(&mut c, w);
            let a = a.lock().map(|a| a.clone()).unwrap_or_default();
            assert!(
                !a.is_empty() || round > 0,
                "round {round}: writer {w} got no reply at all"
            );
            check(&a, killed_at, len);
        }
        drop(n2);
    }
}

/// Every acknowledged value is in the recovered list.
fn every_ack_kept(acks: &[(Instant, i64)], _: Instant, len: i64) {
    let last = acks.last().map_or(0, |a| a.1);
    assert!(len >= last, "list length {len} < acknowledged {last}");
}

/// `appendfsync always`: acknowledged means on disk — after any SIGKILL every acknowledged
/// write is there.
#[test]
fn always_keeps_every_acknowledged_write() {
    crash_rounds("crash-always", "always", 6, every_ack_kept);
}

/// `appendfsync everysec`: an OS crash may lose the last second, but a process crash loses
/// nothing acknowledged (replies wait for the `write(2)`, as Redis's do).
#[test]
fn everysec_keeps_every_acknowledged_write() {
    crash_rounds("crash-everysec", "everysec", 6, every_ack_kept);
}

/// `appendfsync no`: the same for a process crash.
#[test]
fn no_keeps_every_acknowledged_write() {
    crash_rounds("crash-no", "no", 6, every_ack_kept);
}

/// SIGKILL while a rewrite runs (early, mid-snapshot, or around the manifest swap): the AOF
/// still loads with every acknowledged write (`always`) and the whole dataset.
#[test]
fn kill_during_rewrite() {
    let dir = Dir::new("crash-rewrite");
    let args = [
        "--save",
        "",
        "--appendonly",
        "yes",
        "--appendfsync",
        "always",
    ];
    let n = Node::vigil(dir.path(), &args);
    let mut c = n.conn();
    // DEBUG POPULATE is not propagated: a rewrite puts the keys in the base.
    let _: () = q(&mut c, &["DEBUG", "POPULATE", "3000", "pop"]);
    let _: String = q(&mut c, &["BGREWRITEAOF"]);
    wait_until(20, || info_field(&mut c, "aof_rewrite_in_progress") == "0");
    drop(c);
    drop(n);
    let mut rng = Rng(0xc0ffee);
    for round in 0..5 {
        let mut n = Node::vigil(dir.path(), &args);
        let mut c = n.conn();
        assert!(q::<i64>(&mut c, &["DBSIZE"]) >= 3000, "round {round}");
        // A slow snapshot (3000 keys at 200 µs = 0.6 s) with writes going on.
        let _: () = q(&mut c, &["CONFIG", "SET", "rdb-key-save-delay", "200"]);
        let stop_at = Instant::now() + Duration::from_secs(5);
        let acks = Acks::default();
        let h = writer(n.port, "rw".into(), 8, acks.clone(), stop_at);
        std::thread::sleep(Duration::from_millis(50));
        let _: String = q(&mut c, &["BGREWRITEAOF"]);
        std::thread::sleep(Duration::from_millis(rng.below(900)));
        let _ = n.child.kill();
        let _ = n.child.wait();
        let _ = h.join();
        let n2 = Node::vigil(dir.path(), &args);
        let mut c2 = n2.conn();
        let len = recovered(&mut c2, "rw");
        let last = acks
            .lock()
            .map(|a| a.last().map_or(0, |x| x.1))
            .unwrap_or(0);
        assert!(len >= last, "round {round}: {len} < {last}");
        let pop: Vec<String> = q(&mut c2, &["KEYS", "pop:*"]);
        assert_eq!(pop.len(), 3000, "round {round}");
    }
}
