//! Replication interoperability with Debian's redis-server 7.0.15, both ways: full sync,
//! partial resynchronisation after link cuts (sync_partial_ok grows, no second full sync),
//! and promotions where the other nodes continue partially across implementations.

mod common;
mod replication_common;

use std::time::Duration;

use common::q;
use replication_common::{Kind, Node, dataset, redis_available, wait_for};

fn fill(master: &Node, tag: &str) {
    let mut c = master.conn();
    for i in 0..300 {
        let _: () = redis::cmd("SET")
            .arg(format!("{tag}:s{i}"))
            .arg(format!("value-{i}"))
            .query(&mut c)
            .expect("set");
    }
    let _: i64 = q(&mut c, &["RPUSH", &format!("{tag}:list"), "a", "b", "c"]);
    let _: i64 = q(
        &mut c,
        &["HSET", &format!("{tag}:hash"), "f1", "1", "f2", "2"],
    );
    let _: i64 = q(&mut c, &["SADD", &format!("{tag}:set"), "x", "y", "7"]);
    let _: i64 = q(
        &mut c,
        &["ZADD", &format!("{tag}:z"), "1", "a", "2.5", "b", "-3", "c"],
    );
    let _: i64 = q(
        &mut c,
        &["GEOADD", &format!("{tag}:geo"), "13.36", "38.11", "Palermo"],
    );
    let _: i64 = q(&mut c, &["PFADD", &format!("{tag}:hll"), "a", "b", "c"]);
    let _: i64 = q(&mut c, &["SETBIT", &format!("{tag}:bits"), "100", "1"]);
    let _: String = q(&mut c, &["SET", &format!("{tag}:ttl"), "v", "EX", "1000"]);
    let _: String = q(&mut c, &["INCRBYFLOAT", &format!("{tag}:float"), "3.25"]);
    let _: () = redis::cmd("SELECT").arg(3).query(&mut c).expect("select");
    let _: String = q(&mut c, &["SET", &format!("{tag}:db3"), "three"]);
}

fn cut_and_resync(master: &Node, replicas: &[&Node]) {
    let full = master.info_int("sync_full");
    let ok = master.info_int("sync_partial_ok");
    // From the replicas' side.
    for r in replicas {
        let _: i64 = q(&mut r.conn(), &["CLIENT", "KILL", "TYPE", "master"]);
    }
    fill(master, "cut1");
    let n = replicas.len() as i64;
    wait_for(
        Duration::from_secs(10),
        "partial resyncs after replica-side cut",
        || master.info_int("sync_partial_ok") == ok + n,
    );
    // From the master's side.
    let _: i64 = q(&mut master.conn(), &["CLIENT", "KILL", "TYPE", "replica"]);
    fill(master, "cut2");
    wait_for(
        Duration::from_secs(10),
        "partial resyncs after master-side cut",
        || master.info_int("sync_partial_ok") == ok + 2 * n,
    );
    for r in replicas {
        r.wait_link_up();
        r.wait_caught_up(master);
        assert_eq!(dataset(r), dataset(master), "{:?} replica diverged", r.kind);
    }
    assert_eq!(master.info_int("sync_full"), full, "no second full sync");
}

/// A master, then two replicas of the given kinds; cuts; promotion of the first replica; the
/// second replica and the old master continue partially from the promoted one.
fn scenario(master_kind: Kind, r1_kind: Kind, r2_kind: Kind) {
    if !redis_available() {
        eprintln!("redis-server not installed: skipped");
        return;
    }
    let m = Node::start(master_kind, &[]);
    fill(&m, "a");
    let r1 = Node::start(r1_kind, &[]);
    let r2 = Node::start(r2_kind, &[]);
    r1.replicate(&m);
    r2.replicate(&m);
    fill(&m, "b");
    r1.wait_caught_up(&m);
    r2.wait_caught_up(&m);
    assert_eq!(dataset(&r1), dataset(&m));
    assert_eq!(dataset(&r2), dataset(&m));
    assert_eq!(m.info_int("sync_full"), 2);
    cut_and_resync(&m, &[&r1, &r2]);

    // Promotion: r1 takes over, r2 and the old master follow it without a full sync.
    let old_id = m.info_field("master_replid");
    let _: String = q(&mut r1.conn(), &["REPLICAOF", "NO", "ONE"]);
    assert_eq!(r1.info_field("master_replid2"), old_id);
    r2.replicate(&r1);
    wait_for(
        Duration::from_secs(10),
        "r2 partial resync from promoted r1",
        || r1.info_int("sync_partial_ok") == 1,
    );
    fill(&r1, "c");
    r2.wait_caught_up(&r1);
    assert_eq!(dataset(&r2), dataset(&r1));
    m.replicate(&r1);
    wait_for(Duration::from_secs(10), "old master partial resync", || {
        r1.info_int("sync_partial_ok") == 2
    });
    m.wait_caught_up(&r1);
    assert_eq!(dataset(&m), dataset(&r1));
    assert_eq!(r1.info_int("sync_full"), 0, "promotion caused a full sync");
}

#[test]
fn vigil_replicas_of_a_redis_master() {
    scenario(Kind::Redis, Kind::Vigil, Kind::Vigil);
}

#[test]
fn redis_replicas_of_a_vigil_master() {
    scenario(Kind::Vigil, Kind::Redis, Kind::Redis);
}

#[test]
fn promoted_vigil_serves_a_redis_replica() {
    scenario(Kind::Redis, Kind::Vigil, Kind::Redis);
}

#[test]
fn promoted_redis_serves_a_vigil_replica() {
    scenario(Kind::Vigil, Kind::Redis, Kind::Vigil);
}

#[test]
fn redis_replica_of_vigil_disk_based() {
    if !redis_available() {
        return;
    }
    let m = Node::vigil(&["--repl-diskless-sync", "no"]);
    fill(&m, "d");
    let r = Node::redis(&[]);
    r.replicate(&m);
    r.wait_caught_up(&m);
    assert_eq!(dataset(&r), dataset(&m));
}
