//! `repl-diskless-load`: a replica parsing the master's image straight from the socket.
//! `swapdb` keeps the old dataset until the new one is complete (restoring it when the load
//! fails) and, when the master continues the replica's own history, serves it meanwhile
//! (`async_loading:1`); `on-empty-db` loads from the socket only into an empty dataset. The
//! scenarios follow Redis 7.0's tests/integration/replication.tcl, and run against
//! redis-server 7.0.15 in both directions.

mod common;
mod replication_common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::time::Duration;

use common::{q, q_err};
use replication_common::{Kind, Node, dataset, redis_available, wait_for};

const LOADING: &str = "LOADING Redis is loading the dataset in memory";

fn populate(node: &Node, n: usize, prefix: &str, size: usize) {
    let _: String = q(
        &mut node.conn(),
        &[
            "DEBUG",
            "POPULATE",
            &n.to_string(),
            prefix,
            &size.to_string(),
        ],
    );
}

fn dbsize(node: &Node) -> i64 {
    q(&mut node.conn(), &["DBSIZE"])
}

fn get(node: &Node, key: &str) -> Option<String> {
    q(&mut node.conn(), &["GET", key])
}

fn replicaof(replica: &Node, master: &Node) {
    let _: String = q(
        &mut replica.conn(),
        &["REPLICAOF", "127.0.0.1", &master.port.to_string()],
    );
}

/// A diskless master whose snapshot takes about `keys` × 5 ms, and a swapdb replica holding
/// 200 keys of its own plus `mykey`.
fn slow_master_and_swapdb_replica(kind: Kind, keys: usize) -> (Node, Node) {
    let m = Node::start(
        kind,
        &["--repl-diskless-sync", "yes", "--rdbcompression", "no"],
    );
    populate(&m, keys, "master", 1000);
    let r = Node::vigil(&["--repl-diskless-load", "swapdb"]);
    populate(&r, 200, "replica", 10);
    let _: () = q(&mut r.conn(), &["SET", "mykey", "myvalue"]);
    (m, r)
}

/// Redis's "Diskless load swapdb (different replid): new database is exposed after swapping".
#[test]
fn swapdb_with_a_new_history_swaps_in_the_loaded_dataset() {
    let (m, r) = slow_master_and_swapdb_replica(Kind::Vigil, 1000);
    r.replicate(&m);
    assert_eq!(get(&r, "mykey"), None);
    assert_eq!(dbsize(&r), 1000);
    assert_eq!(dataset(&r), dataset(&m));
    let log = r.log();
    assert!(log.contains("from master with EOF to parser"), "{log}");
    assert!(log.contains("Swapping active DB with loaded DB"), "{log}");
    assert!(!log.contains("Flushing old data"), "{log}");
    // The stream continues after the swap.
    let _: () = q(&mut m.conn(), &["SET", "after", "sync"]);
    r.wait_caught_up(&m);
    assert_eq!(get(&r, "after").as_deref(), Some("sync"));
}

/// Redis's "Diskless load swapdb (different replid)": replica enters loading, and the old
/// database is exposed after replication fails.
#[test]
fn swapdb_with_a_new_history_keeps_the_old_dataset_when_the_load_fails() {
    let (m, r) = slow_master_and_swapdb_replica(Kind::Vigil, 1000);
    let _: () = q(
        &mut m.conn(),
        &["CONFIG", "SET", "rdb-key-save-delay", "5000"],
    );
    replicaof(&r, &m);
    wait_for(Duration::from_secs(10), "replica loading", || {
        r.info_field("loading") == "1"
    });
    assert_eq!(r.info_field("async_loading"), "0");
    assert_eq!(q_err(&mut r.conn(), &["GET", "mykey"]), LOADING);
    // The next sync must not start at once, so the replica is seen between two attempts.
    let _: () = q(
        &mut m.conn(),
        &["CONFIG", "SET", "repl-diskless-sync-delay", "5"],
    );
    let _: i64 = q(&mut m.conn(), &["CLIENT", "KILL", "TYPE", "replica"]);
    wait_for(Duration::from_secs(10), "load given up", || {
        r.info_field("loading") == "0"
    });
    assert_eq!(get(&r, "mykey").as_deref(), Some("myvalue"));
    assert_eq!(dbsize(&r), 201);
    let log = r.log();
    assert!(
        log.contains("Failed trying to load the MASTER synchronization DB from socket"),
        "{log}"
    );
    assert!(
        log.contains("Discarding temporary DB in background"),
        "{log}"
    );
}

/// Makes the master drop `r` and lose the history `r` would continue from, so `r` comes back
/// for a full sync of the same history (Redis's test does exactly this).
fn force_full_sync_of_same_history(m: &Node) {
    let mut c = m.conn();
    let _: () = redis::cmd("MULTI").query(&mut c).expect("multi");
    let _: () = redis::cmd("CLIENT")
        .arg(&["KILL", "TYPE", "replica"])
        .query(&mut c)
        .expect("kill");
    let _: () = redis::cmd("CONFIG")
        .arg(&["SET", "repl-backlog-size", "16384"])
        .query(&mut c)
        .expect("config");
    for i in 0..10 {
        let _: () = redis::cmd("SET")
            .arg(format!("{i} string_{i}"))
            .arg("A".repeat(16384))
            .query(&mut c)
            .expect("set");
    }
    let _: redis::Value = redis::cmd("EXEC").query(&mut c).expect("exec");
}

/// A master and a writable swapdb replica that already synchronised once (same history), with
/// different data on both sides afterwards.
fn synced_pair_with_diverged_data() -> (Node, Node) {
    let m = Node::vigil(&["--repl-diskless-sync", "yes", "--rdbcompression", "no"]);
    let r = Node::vigil(&[
        "--repl-diskless-load",
        "swapdb",
        "--replica-read-only",
        "no",
    ]);
    r.replicate(&m);
    populate(&r, 2000, "replica", 10);
    populate(&m, 2000, "master", 1000);
    r.wait_caught_up(&m);
    let _: () = q(&mut r.conn(), &["SET", "mykey", "myvalue"]);
    (m, r)
}

/// Redis's "Diskless load swapdb (async_loading): new database is exposed after swapping".
#[test]
fn swapdb_of_the_same_history_swaps_in_the_loaded_dataset() {
    let (m, r) = synced_pair_with_diverged_data();
    force_full_sync_of_same_history(&m);
    wait_for(Duration::from_secs(15), "second full sync done", || {
        m.info_int("sync_full") == 2 && r.info_field("master_link_status") == "up"
    });
    assert_eq!(get(&r, "mykey"), None);
    assert_eq!(dbsize(&r), 2010);
    r.wait_caught_up(&m);
    assert_eq!(dataset(&r), dataset(&m));
}

/// Redis's "Diskless load swapdb (async_loading)": the replica serves its old dataset while it
/// loads (no -LOADING), refuses what must not run meanwhile, and keeps the old dataset when the
/// load fails.
#[test]
fn swapdb_of_the_same_history_serves_the_old_dataset_while_loading() {
    let (m, r) = synced_pair_with_diverged_data();
    let _: () = q(
        &mut m.conn(),
        &["CONFIG", "SET", "rdb-key-save-delay", "5000"],
    );
    force_full_sync_of_same_history(&m);
    wait_for(Duration::from_secs(10), "replica async loading", || {
        r.info_field("async_loading") == "1"
    });
    assert_eq!(r.info_field("loading"), "0");
    assert_eq!(get(&r, "mykey").as_deref(), Some("myvalue"));
    assert_eq!(dbsize(&r), 2001);
    // Still async loading: the reads above were served by the old dataset.
    assert_eq!(r.info_field("async_loading"), "1");
    let mut c = r.conn();
    assert_eq!(
        q_err(&mut c, &["CONFIG", "SET", "repl-diskless-load", "disabled"]),
        LOADING
    );
    assert_eq!(q_err(&mut c, &["REPLICAOF", "NO", "ONE"]), LOADING);
    assert_eq!(q_err(&mut c, &["BGSAVE"]), LOADING);
    let _: () = q(&mut c, &["SET", "during", "load"]);
    // Serving the old dataset is serving stale data: not with replica-serve-stale-data no.
    let _: () = q(&mut c, &["CONFIG", "SET", "replica-serve-stale-data", "no"]);
    assert!(q_err(&mut c, &["GET", "mykey"]).starts_with("MASTERDOWN"));
    let _: () = q(
        &mut c,
        &["CONFIG", "SET", "replica-serve-stale-data", "yes"],
    );
    let _: () = q(
        &mut m.conn(),
        &["CONFIG", "SET", "repl-diskless-sync-delay", "5"],
    );
    let _: i64 = q(&mut m.conn(), &["CLIENT", "KILL", "TYPE", "replica"]);
    wait_for(Duration::from_secs(10), "async load given up", || {
        r.info_field("async_loading") == "0"
    });
    assert_eq!(get(&r, "mykey").as_deref(), Some("myvalue"));
    assert_eq!(get(&r, "during").as_deref(), Some("load"));
    assert_eq!(dbsize(&r), 2002);
}

/// `on-empty-db`: from the socket when the dataset is empty, through a file otherwise.
#[test]
fn on_empty_db_loads_from_the_socket_only_into_an_empty_dataset() {
    let m = Node::vigil(&[]);
    populate(&m, 500, "key", 100);
    let r = Node::vigil(&["--repl-diskless-load", "on-empty-db"]);
    r.replicate(&m);
    assert_eq!(dataset(&r), dataset(&m));
    let log = r.log();
    assert!(log.contains("with EOF to parser"), "{log}");
    assert!(!log.contains("to disk"), "{log}");
    // A replica with data goes through the disk (its new master has a history of its own).
    let m2 = Node::vigil(&[]);
    populate(&m2, 10, "other", 10);
    r.replicate(&m2);
    r.wait_caught_up(&m2);
    assert_eq!(dataset(&r), dataset(&m2));
    let log = r.log();
    assert!(log.contains("with EOF to disk"), "{log}");
}

/// `disabled` (the default) receives the image into a file before loading it.
#[test]
fn disabled_mode_still_goes_through_the_disk() {
    let m = Node::vigil(&[]);
    populate(&m, 50, "key", 10);
    let r = Node::vigil(&["--repl-diskless-load", "disabled"]);
    r.replicate(&m);
    assert_eq!(dataset(&r), dataset(&m));
    assert!(r.log().contains("with EOF to disk"), "{}", r.log());
}

/// A fake master sends the handshake answers and then `payload` as the `$EOF:` image.
fn fake_master(payload: Vec<u8>) -> (u16, std::thread::JoinHandle<()>) {
    let l = TcpListener::bind(("127.0.0.1", 0)).expect("bind");
    let port = l.local_addr().expect("addr").port();
    let h = std::thread::spawn(move || {
        let Ok((s, _)) = l.accept() else { return };
        let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
        let mut w = s.try_clone().expect("clone");
        let mut rd = BufReader::new(s);
        // Answer each command until PSYNC.
        loop {
            let mut line = String::new();
            if rd.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let Some(n) = line
                .trim()
                .strip_prefix('*')
                .and_then(|n| n.parse::<usize>().ok())
            else {
                continue;
            };
            let mut args = Vec::new();
            for _ in 0..n {
                let mut len = String::new();
                let _ = rd.read_line(&mut len);
                let len: usize = len.trim().trim_start_matches('$').parse().unwrap_or(0);
                let mut buf = vec![0u8; len + 2];
                let _ = rd.read_exact(&mut buf);
                buf.truncate(len);
                args.push(String::from_utf8_lossy(&buf).to_uppercase());
            }
            match args.first().map(String::as_str) {
                Some("PING") => {
                    let _ = w.write_all(b"+PONG\r\n");
                }
                Some("PSYNC") => break,
                _ => {
                    let _ = w.write_all(b"+OK\r\n");
                }
            }
        }
        let mark = "x".repeat(40);
        let mut out = format!("+FULLRESYNC {} 0\r\n$EOF:{mark}\r\n", "f".repeat(40)).into_bytes();
        out.extend_from_slice(&payload);
        out.extend_from_slice(mark.as_bytes());
        let _ = w.write_all(&out);
        // Keep the link open a moment, then go away.
        std::thread::sleep(Duration::from_millis(500));
    });
    (port, h)
}

/// An RDB image of a real redis-server holding `n` keys.
fn redis_rdb_image(n: usize) -> Option<Vec<u8>> {
    if !redis_available() {
        return None;
    }
    let src = Node::redis(&[]);
    populate(&src, n, "fake", 10);
    let _: String = q(&mut src.conn(), &["SAVE"]);
    std::fs::read(src.dir.join("dump.rdb")).ok()
}

/// A corrupt image, or one followed by junk before the end mark, fails the load: swapdb keeps
/// the old dataset.
#[test]
fn swapdb_rejects_a_corrupt_or_overlong_image() {
    let Some(image) = redis_rdb_image(20) else {
        eprintln!("redis-server not installed: skipped");
        return;
    };
    let mut corrupt = image.clone();
    let mid = corrupt.len() / 2;
    corrupt.truncate(mid);
    corrupt.extend_from_slice(&[0xfe; 16]);
    let mut overlong = image;
    overlong.extend_from_slice(b"junk");
    for (payload, expected) in [
        (
            corrupt,
            "Failed trying to load the MASTER synchronization DB from socket",
        ),
        (overlong, "Replication stream EOF marker is broken"),
    ] {
        let r = Node::vigil(&["--repl-diskless-load", "swapdb"]);
        let _: () = q(&mut r.conn(), &["SET", "mykey", "myvalue"]);
        let (port, h) = fake_master(payload);
        let _: String = q(
            &mut r.conn(),
            &["REPLICAOF", "127.0.0.1", &port.to_string()],
        );
        wait_for(Duration::from_secs(10), "load failure logged", || {
            r.log().contains(expected)
        });
        let _ = h.join();
        let _: String = q(&mut r.conn(), &["REPLICAOF", "NO", "ONE"]);
        assert_eq!(get(&r, "mykey").as_deref(), Some("myvalue"), "{expected}");
        assert_eq!(dbsize(&r), 1);
        assert_eq!(r.info_field("loading"), "0");
    }
}

/// A vigil swapdb replica of redis-server 7.0.15, with the master's image in both formats
/// (diskless `$EOF:` and disk-based `$<len>`).
#[test]
fn vigil_swapdb_replica_of_a_redis_master() {
    if !redis_available() {
        eprintln!("redis-server not installed: skipped");
        return;
    }
    for diskless in ["yes", "no"] {
        let m = Node::redis(&["--repl-diskless-sync", diskless]);
        populate(&m, 3000, "key", 100);
        let _: i64 = q(&mut m.conn(), &["RPUSH", "list", "a", "b"]);
        let r = Node::vigil(&["--repl-diskless-load", "swapdb"]);
        let _: () = q(&mut r.conn(), &["SET", "mykey", "myvalue"]);
        r.replicate(&m);
        assert_eq!(dataset(&r), dataset(&m), "diskless={diskless}");
        let log = r.log();
        let format = if diskless == "yes" {
            "with EOF to parser"
        } else {
            "bytes from master to parser"
        };
        assert!(log.contains(format), "{log}");
        let _: () = q(&mut m.conn(), &["SET", "after", "sync"]);
        r.wait_caught_up(&m);
        assert_eq!(get(&r, "after").as_deref(), Some("sync"));
    }
}

/// redis-server 7.0.15 as a swapdb replica parses vigil's diskless image from the socket.
#[test]
fn redis_swapdb_replica_of_a_vigil_master() {
    if !redis_available() {
        eprintln!("redis-server not installed: skipped");
        return;
    }
    let m = Node::vigil(&["--repl-diskless-sync", "yes"]);
    populate(&m, 3000, "key", 100);
    let _: i64 = q(&mut m.conn(), &["SADD", "set", "a", "b", "7"]);
    let r = Node::redis(&["--repl-diskless-load", "swapdb"]);
    let _: () = q(&mut r.conn(), &["SET", "mykey", "myvalue"]);
    r.replicate(&m);
    assert_eq!(dataset(&r), dataset(&m));
    assert!(r.log().contains("Swapping active DB"), "{}", r.log());
}
