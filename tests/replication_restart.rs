//! Replication history kept in the RDB file (`repl-stream-db`, `repl-id`, `repl-offset`, as
//! Redis 7.0 writes them on SHUTDOWN, SAVE and BGSAVE): a replica restarted from its file
//! continues with a partial resynchronisation, and a master restarted from its SHUTDOWN file
//! keeps the recorded history as `replid2`, so its replicas continue partially too (after the
//! DELs of keys that expired while it was down). Checked between vigil nodes, against
//! redis-server 7.0.15 in both roles, and with the file of one implementation loaded by the
//! other.

mod common;
mod replication_common;

use std::time::Duration;

use common::q;
use replication_common::{Kind, Node, dataset, redis_available, wait_for};

fn fill(node: &Node, tag: &str) {
    let mut c = node.conn();
    for i in 0..100 {
        let _: () = redis::cmd("SET")
            .arg(format!("{tag}:s{i}"))
            .arg(i)
            .query(&mut c)
            .expect("set");
    }
    let _: i64 = q(&mut c, &["RPUSH", &format!("{tag}:list"), "a", "b"]);
    let _: i64 = q(&mut c, &["HSET", &format!("{tag}:hash"), "f", "v"]);
    let _: String = q(&mut c, &["SET", &format!("{tag}:ttl"), "v", "EX", "1000"]);
}

/// Writes in database 3, leaving the master's stream with database 3 selected: a replica
/// continuing the stream must know that (its file's `repl-stream-db`).
fn write_db3(node: &Node, tag: &str) {
    let mut c = node.conn();
    let _: () = redis::cmd("SELECT").arg(3).query(&mut c).expect("select");
    for i in 0..20 {
        let _: () = redis::cmd("SET")
            .arg(format!("{tag}:db3:{i}"))
            .arg(i)
            .query(&mut c)
            .expect("set");
    }
}

/// SHUTDOWN SAVE; the node exits with 0.
fn shutdown_save(node: &mut Node) {
    let _ = common::run(&mut node.conn(), &["SHUTDOWN", "SAVE"]);
    assert_eq!(node.wait_exit(Duration::from_secs(15)), Some(0));
}

fn skip_without_redis(kinds: &[Kind]) -> bool {
    if kinds.contains(&Kind::Redis) && !redis_available() {
        eprintln!("redis-server not installed: skipped");
        return true;
    }
    false
}

/// A replica of `master_kind` saves on SHUTDOWN, the master goes on writing, and the replica
/// is started again from its file (as `restart_kind`, which may differ from the kind that
/// wrote it) with `replicaof` configured: it continues with PSYNC, no second full sync.
fn replica_restart(master_kind: Kind, replica_kind: Kind, restart_kind: Kind) {
    if skip_without_redis(&[master_kind, replica_kind, restart_kind]) {
        return;
    }
    let m = Node::start(master_kind, &[]);
    fill(&m, "a");
    let mut r = Node::start(replica_kind, &[]);
    r.replicate(&m);
    write_db3(&m, "b");
    r.wait_caught_up(&m);
    let offset = r.info_int("master_repl_offset");
    shutdown_save(&mut r);
    write_db3(&m, "c");
    fill(&m, "d");
    write_db3(&m, "e");
    let port = m.port.to_string();
    r.restart_as(restart_kind, &["--replicaof", "127.0.0.1", &port]);
    r.wait_link_up();
    r.wait_caught_up(&m);
    assert_eq!(m.info_int("sync_full"), 1, "the restart caused a full sync");
    assert_eq!(m.info_int("sync_partial_ok"), 1);
    assert_eq!(dataset(&r), dataset(&m));
    let log = m.log();
    let asked = format!("starting from offset {}", offset + 1);
    assert!(log.contains(&asked), "master log lacks '{asked}': {log}");
}

#[test]
fn vigil_replica_restarted_from_its_rdb_continues_partially() {
    replica_restart(Kind::Vigil, Kind::Vigil, Kind::Vigil);
}

#[test]
fn vigil_replica_of_redis_restarted_from_its_rdb_continues_partially() {
    replica_restart(Kind::Redis, Kind::Vigil, Kind::Vigil);
}

#[test]
fn redis_replica_of_vigil_restarted_from_its_rdb_continues_partially() {
    replica_restart(Kind::Vigil, Kind::Redis, Kind::Redis);
}

/// The file a vigil replica saved, loaded by redis-server: Redis reads our replication fields.
#[test]
fn redis_takes_over_a_vigil_replica_rdb_and_continues_partially() {
    replica_restart(Kind::Vigil, Kind::Vigil, Kind::Redis);
}

/// The file a Redis replica saved, loaded by vigil.
#[test]
fn vigil_takes_over_a_redis_replica_rdb_and_continues_partially() {
    replica_restart(Kind::Redis, Kind::Redis, Kind::Vigil);
}

/// A master of `master_kind` saves on SHUTDOWN with a key about to expire; started again from
/// its file it offers the old history as `replid2`: the replica continues partially and gets
/// the DEL of the key that expired meanwhile.
fn master_restart(master_kind: Kind, replica_kind: Kind) {
    if skip_without_redis(&[master_kind, replica_kind]) {
        return;
    }
    let mut m = Node::start(master_kind, &[]);
    let r = Node::start(replica_kind, &[]);
    r.replicate(&m);
    fill(&m, "a");
    write_db3(&m, "b");
    let _: String = q(&mut m.conn(), &["SET", "short", "v", "PX", "800"]);
    r.wait_caught_up(&m);
    let old_id = m.info_field("master_replid");
    let old_offset = m.info_int("master_repl_offset");
    let keys_before: i64 = q(&mut r.conn(), &["DBSIZE"]);
    shutdown_save(&mut m);
    std::thread::sleep(Duration::from_millis(1000));
    m.restart_as(master_kind, &[]);
    assert_eq!(m.info_field("master_replid2"), old_id);
    // SHUTDOWN may have sent REPLCONF GETACK to the replica after the offset was read.
    let second = m.info_int("second_repl_offset");
    assert!(
        (old_offset + 1..=old_offset + 1 + 37).contains(&second),
        "{second} {old_offset}"
    );
    assert_ne!(m.info_field("master_replid"), old_id);
    wait_for(
        Duration::from_secs(15),
        "partial resync after restart",
        || m.info_int("sync_partial_ok") == 1,
    );
    assert_eq!(m.info_int("sync_full"), 0, "the restart caused a full sync");
    // The replica kept the expired key until the master's DEL arrived with the backlog.
    wait_for(Duration::from_secs(10), "DEL of the expired key", || {
        q::<i64>(&mut r.conn(), &["DBSIZE"]) == keys_before - 1
    });
    write_db3(&m, "c");
    r.wait_caught_up(&m);
    assert_eq!(dataset(&r), dataset(&m));
    assert_eq!(r.info_field("master_replid"), m.info_field("master_replid"));
    assert_eq!(r.info_field("master_replid2"), old_id);
}

#[test]
fn vigil_master_restarted_from_its_rdb_keeps_its_replicas() {
    master_restart(Kind::Vigil, Kind::Vigil);
}

#[test]
fn vigil_master_restarted_from_its_rdb_keeps_a_redis_replica() {
    master_restart(Kind::Vigil, Kind::Redis);
}

#[test]
fn redis_master_restarted_from_its_rdb_keeps_a_vigil_replica() {
    master_restart(Kind::Redis, Kind::Vigil);
}

/// What each kind of save records: a master with a backlog and a replica record their history,
/// a master that never had replicas does not (Redis's `rdbPopulateSaveInfo`); redis-check-rdb
/// reads the fields.
#[test]
fn rdb_files_record_the_replication_fields_like_redis() {
    let m = Node::vigil(&[]);
    let _: String = q(&mut m.conn(), &["SET", "k", "v"]);
    let _: String = q(&mut m.conn(), &["SAVE"]);
    let aux = aux_fields(&std::fs::read(m.dir.join("dump.rdb")).expect("rdb"));
    assert!(!aux.iter().any(|(k, _)| k.starts_with("repl-")), "{aux:?}");
    let r = Node::vigil(&[]);
    r.replicate(&m);
    write_db3(&m, "x");
    r.wait_caught_up(&m);
    for node in [&m, &r] {
        // A PING of the master may move the offset during the save: bracket it.
        let before = node.info_int("master_repl_offset");
        let _: String = q(&mut node.conn(), &["BGSAVE"]);
        wait_for(Duration::from_secs(10), "bgsave", || {
            node.info_field("rdb_bgsave_in_progress") == "0"
                && node.info_field("rdb_last_bgsave_status") == "ok"
        });
        let file = std::fs::read(node.dir.join("dump.rdb")).expect("rdb");
        let aux = aux_fields(&file);
        let names: Vec<&str> = aux.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            names,
            [
                "redis-ver",
                "redis-bits",
                "ctime",
                "used-mem",
                "repl-stream-db",
                "repl-id",
                "repl-offset",
                "aof-base"
            ]
        );
        let get = |n: &str| aux.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
        assert_eq!(get("repl-stream-db").as_deref(), Some("3"));
        assert_eq!(get("repl-id"), Some(m.info_field("master_replid")));
        let offset: i64 = get("repl-offset")
            .and_then(|v| v.parse().ok())
            .unwrap_or(-1);
        assert!(
            (before..=node.info_int("master_repl_offset")).contains(&offset),
            "{offset} {before}"
        );
        if redis_available() {
            let out = std::process::Command::new("redis-check-rdb")
                .arg(node.dir.join("dump.rdb"))
                .output()
                .expect("redis-check-rdb");
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(text.contains("RDB looks OK"), "{text}");
            assert!(text.contains("repl-id"), "{text}");
        }
    }
}

/// The aux fields at the start of an RDB file (plain or integer-encoded strings).
fn aux_fields(file: &[u8]) -> Vec<(String, String)> {
    fn string(b: &[u8], pos: &mut usize) -> String {
        let first = b[*pos];
        *pos += 1;
        match first >> 6 {
            0 => {
                let n = (first & 0x3f) as usize;
                let s = String::from_utf8_lossy(&b[*pos..*pos + n]).into_owned();
                *pos += n;
                s
            }
            1 => {
                let n = (((first & 0x3f) as usize) << 8) | b[*pos] as usize;
                *pos += 1;
                let s = String::from_utf8_lossy(&b[*pos..*pos + n]).into_owned();
                *pos += n;
                s
            }
            3 => match first & 0x3f {
                0 => {
                    *pos += 1;
                    (b[*pos - 1] as i8).to_string()
                }
                1 => {
                    *pos += 2;
                    i16::from_le_bytes([b[*pos - 2], b[*pos - 1]]).to_string()
                }
                2 => {
                    *pos += 4;
                    i32::from_le_bytes([b[*pos - 4], b[*pos - 3], b[*pos - 2], b[*pos - 1]])
                        .to_string()
                }
                e => panic!("encoding {e} in an aux field"),
            },
            _ => panic!("long string in an aux field"),
        }
    }
    let mut pos = 9;
    let mut out = Vec::new();
    while file[pos] == 0xfa {
        pos += 1;
        let k = string(file, &mut pos);
        let v = string(file, &mut pos);
        out.push((k, v));
    }
    out
}
