//! Replication between vigil nodes: full sync, the write stream and its rewrites, partial
//! resynchronisation after link cuts, promotion (PSYNC2), chained replicas, WAIT,
//! min-replicas, READONLY, MASTERDOWN, expiry on replicas, FAILOVER, REPLICAOF details.

mod common;
mod replication_common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::{q, q_err};
use replication_common::{Kind, Node, dataset, wait_for};

fn fill(master: &Node) {
    let mut c = master.conn();
    for i in 0..200 {
        let _: () = redis::cmd("SET")
            .arg(format!("s{i}"))
            .arg(i)
            .query(&mut c)
            .expect("set");
    }
    let _: i64 = q(&mut c, &["RPUSH", "list", "a", "b", "c"]);
    let _: i64 = q(&mut c, &["HSET", "hash", "f1", "v1", "f2", "v2"]);
    let _: i64 = q(&mut c, &["SADD", "set", "x", "y", "z"]);
    let _: String = q(&mut c, &["SET", "ttl", "v", "EX", "1000"]);
    let _: () = redis::cmd("SELECT").arg(2).query(&mut c).expect("select");
    let _: String = q(&mut c, &["SET", "in2", "two"]);
}

#[test]
fn full_sync_then_stream_with_rewrites() {
    let m = Node::vigil(&[]);
    fill(&m);
    let r = Node::vigil(&[]);
    r.replicate(&m);
    assert_eq!(dataset(&r), dataset(&m));
    assert_eq!(m.info_int("sync_full"), 1);
    // Writes after the sync, including every rewritten command.
    let mut c = m.conn();
    let script: &[&[&str]] = &[
        &["SET", "ex", "v", "EX", "100"],
        &["SET", "px", "v", "PX", "100000", "GET"],
        &["SETEX", "setex", "100", "v"],
        &["PSETEX", "psetex", "100000", "v"],
        &["SET", "n", "1"],
        &["EXPIRE", "n", "500", "NX"],
        &["INCRBYFLOAT", "f", "1.5"],
        &["EXPIRE", "f", "300"],
        &["INCRBYFLOAT", "f", "0.25"],
        &["HINCRBYFLOAT", "h", "x", "2.5"],
        &["SADD", "sp", "a", "b", "c", "d", "e"],
        &["SPOP", "sp"],
        &["SPOP", "sp", "2"],
        &["GETEX", "ex", "PX", "70000"],
        &["GETEX", "psetex", "PERSIST"],
        &["SET", "gone", "v"],
        &["GETDEL", "gone"],
        &["SET", "past", "v"],
        &["EXPIREAT", "past", "1"],
        &["RPUSH", "l", "1", "2", "3", "4"],
        &["BLPOP", "l", "1"],
        &["LMPOP", "1", "l", "RIGHT", "COUNT", "2"],
        &["BLMOVE", "l", "l2", "LEFT", "RIGHT", "1"],
        &["MULTI"],
        &["INCR", "ctr"],
        &["INCR", "ctr"],
        &["EXEC"],
        &["PUBLISH", "ch", "msg"],
        &["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"],
        &["BZPOPMIN", "z", "1"],
        &["ZMPOP", "1", "z", "MAX", "COUNT", "2"],
        &["ZINCRBY", "z", "1.5", "d"],
        &["GEOADD", "geo", "13.36", "38.11", "Palermo"],
        &["PFADD", "hll", "a", "b"],
        &["SETBIT", "bits", "7", "1"],
    ];
    for cmd in script {
        let _ = common::run(&mut c, cmd);
    }
    r.wait_caught_up(&m);
    assert_eq!(dataset(&r), dataset(&m));
    let info = m.info();
    let slave0 = info.get("slave0").cloned().unwrap_or_default();
    assert!(
        slave0.starts_with(&format!(
            "ip=127.0.0.1,port={},state=online,offset=",
            r.port
        )),
        "{slave0}"
    );
    assert_eq!(info.get("connected_slaves").map(String::as_str), Some("1"));
    let ri = r.info();
    assert_eq!(ri.get("role").map(String::as_str), Some("slave"));
    assert_eq!(ri.get("master_replid"), info.get("master_replid"));
    assert_eq!(
        ri.get("slave_read_repl_offset"),
        ri.get("slave_repl_offset")
    );
    assert_eq!(
        ri.get("master_sync_in_progress").map(String::as_str),
        Some("0")
    );
    let role: Vec<redis::Value> = q(&mut r.conn(), &["ROLE"]);
    assert_eq!(role.len(), 5);
}

/// Reads the raw replication stream as a replica would and checks its exact bytes.
#[test]
fn raw_stream_is_what_redis_sends() {
    let m = Node::vigil(&["--repl-diskless-sync", "no"]);
    let mut s = TcpStream::connect(("127.0.0.1", m.port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5))).expect("t");
    s.write_all(b"*3\r\n$8\r\nREPLCONF\r\n$14\r\nlistening-port\r\n$4\r\n9999\r\n")
        .expect("w");
    let mut buf = [0u8; 5];
    s.read_exact(&mut buf).expect("ok");
    assert_eq!(&buf, b"+OK\r\n");
    s.write_all(b"*3\r\n$5\r\nPSYNC\r\n$1\r\n?\r\n$2\r\n-1\r\n")
        .expect("w");
    // +FULLRESYNC <id> <offset>, then $<len> and the RDB.
    let mut got = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    let header_end = loop {
        let mut b = [0u8; 4096];
        let n = s.read(&mut b).expect("read");
        got.extend_from_slice(&b[..n]);
        let text = String::from_utf8_lossy(&got).into_owned();
        if let Some(pos) = text.find("\r\n$")
            && let Some(end) = text[pos + 3..].find("\r\n")
        {
            let len: usize = text[pos + 3..pos + 3 + end].parse().expect("len");
            let start = pos + 3 + end + 2;
            if got.len() >= start + len {
                break start + len;
            }
        }
        assert!(Instant::now() < deadline, "no payload");
    };
    assert!(got.starts_with(b"+FULLRESYNC "));
    let mut stream = got.split_off(header_end);
    let mut c = m.conn();
    let _: () = redis::cmd("SELECT").arg(1).query(&mut c).expect("select");
    let _: String = q(&mut c, &["SET", "k", "v", "PXAT", "99999999999999"]);
    let _: String = q(&mut c, &["SET", "k", "v", "KEEPTTL", "GET"]);
    let _: i64 = q(&mut c, &["DEL", "nokey"]);
    let _: () = redis::pipe()
        .atomic()
        .cmd("SET")
        .arg("a")
        .arg("1")
        .cmd("SET")
        .arg("b")
        .arg("2")
        .query(&mut c)
        .expect("multi");
    let expected: &[u8] = b"*2\r\n$6\r\nSELECT\r\n$1\r\n1\r\n\
*5\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n$4\r\nPXAT\r\n$14\r\n99999999999999\r\n\
*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n$7\r\nKEEPTTL\r\n\
*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n*1\r\n$4\r\nEXEC\r\n";
    while stream.len() < expected.len() {
        let mut b = [0u8; 4096];
        let n = s.read(&mut b).expect("stream");
        stream.extend_from_slice(&b[..n]);
    }
    assert_eq!(
        String::from_utf8_lossy(&stream[..expected.len()]),
        String::from_utf8_lossy(expected)
    );
    assert_eq!(m.info_int("master_repl_offset"), expected.len() as i64);
}

#[test]
fn partial_resync_after_link_cuts() {
    let m = Node::vigil(&[]);
    fill(&m);
    let r = Node::vigil(&[]);
    r.replicate(&m);
    r.wait_caught_up(&m);
    // Cut from the replica's side.
    let _: i64 = q(&mut r.conn(), &["CLIENT", "KILL", "TYPE", "master"]);
    let _: String = q(&mut m.conn(), &["SET", "during-cut-1", "x"]);
    r.wait_link_up();
    wait_for(Duration::from_secs(10), "partial resync 1", || {
        m.info_int("sync_partial_ok") == 1
    });
    // Cut from the master's side.
    let killed: i64 = q(&mut m.conn(), &["CLIENT", "KILL", "TYPE", "replica"]);
    assert_eq!(killed, 1);
    let _: String = q(&mut m.conn(), &["SET", "during-cut-2", "y"]);
    wait_for(Duration::from_secs(10), "partial resync 2", || {
        m.info_int("sync_partial_ok") == 2
    });
    r.wait_caught_up(&m);
    assert_eq!(m.info_int("sync_full"), 1, "no second full sync");
    assert_eq!(dataset(&r), dataset(&m));
}

#[test]
fn promotion_keeps_history_for_other_replicas() {
    let m = Node::vigil(&[]);
    fill(&m);
    let r1 = Node::vigil(&[]);
    let r2 = Node::vigil(&[]);
    r1.replicate(&m);
    r2.replicate(&m);
    let _: String = q(&mut m.conn(), &["SET", "before", "promotion"]);
    r1.wait_caught_up(&m);
    r2.wait_caught_up(&m);
    let old_id = m.info_field("master_replid");
    let offset = m.info_int("master_repl_offset");
    let _: String = q(&mut r1.conn(), &["REPLICAOF", "NO", "ONE"]);
    let i1 = r1.info();
    assert_eq!(i1.get("role").map(String::as_str), Some("master"));
    assert_eq!(i1.get("master_replid2"), Some(&old_id));
    assert_eq!(
        i1.get("second_repl_offset"),
        Some(&(offset + 1).to_string())
    );
    assert_ne!(i1.get("master_replid"), Some(&old_id));
    r2.replicate(&r1);
    wait_for(
        Duration::from_secs(10),
        "partial resync with new master",
        || r1.info_int("sync_partial_ok") == 1,
    );
    assert_eq!(r1.info_int("sync_full"), 0);
    let _: String = q(&mut r1.conn(), &["SET", "after", "promotion"]);
    r2.wait_caught_up(&r1);
    assert_eq!(dataset(&r2), dataset(&r1));
    // The old master joins as a replica and continues too.
    m.replicate(&r1);
    wait_for(Duration::from_secs(10), "old master continues", || {
        r1.info_int("sync_partial_ok") == 2
    });
    m.wait_caught_up(&r1);
    assert_eq!(dataset(&m), dataset(&r1));
    assert_eq!(r1.info_int("sync_full"), 0);
}

#[test]
fn chained_replica_gets_the_same_stream() {
    let m = Node::vigil(&[]);
    let r1 = Node::vigil(&[]);
    let r2 = Node::vigil(&[]);
    r1.replicate(&m);
    r2.replicate(&r1);
    fill(&m);
    r2.wait_caught_up(&m);
    assert_eq!(dataset(&r2), dataset(&m));
    assert_eq!(
        r2.info_field("master_replid"),
        m.info_field("master_replid")
    );
    assert_eq!(r1.info_int("connected_slaves"), 1);
}

#[test]
fn wait_and_min_replicas() {
    let m = Node::vigil(&[]);
    let r = Node::vigil(&[]);
    r.replicate(&m);
    let mut c = m.conn();
    let _: String = q(&mut c, &["SET", "k", "v"]);
    let n: i64 = q(&mut c, &["WAIT", "1", "2000"]);
    assert_eq!(n, 1);
    let start = Instant::now();
    let n: i64 = q(&mut c, &["WAIT", "2", "300"]);
    assert_eq!(n, 1);
    assert!(start.elapsed() >= Duration::from_millis(290));
    assert!(
        q_err(&mut r.conn(), &["WAIT", "1", "0"])
            .starts_with("ERR WAIT cannot be used with replica")
    );
    assert_eq!(
        q_err(&mut c, &["WAIT", "1", "-1"]),
        "ERR timeout is negative"
    );
    let _: String = q(&mut c, &["CONFIG", "SET", "min-replicas-to-write", "2"]);
    wait_for(Duration::from_secs(3), "good replicas count", || {
        m.info_int("min_slaves_good_slaves") == 1
    });
    assert_eq!(
        q_err(&mut c, &["SET", "k", "v"]),
        "NOREPLICAS Not enough good replicas to write."
    );
    let _: String = q(&mut c, &["GET", "k"]);
    let _: String = q(&mut c, &["CONFIG", "SET", "min-replicas-to-write", "1"]);
    let _: String = q(&mut c, &["SET", "k", "v2"]);
}

#[test]
fn replica_refusals_and_publish() {
    let m = Node::vigil(&[]);
    let mut r = Node::vigil(&["--replica-serve-stale-data", "no"]);
    r.replicate(&m);
    let mut rc = r.conn();
    assert_eq!(
        q_err(&mut rc, &["SET", "k", "v"]),
        "READONLY You can't write against a read only replica."
    );
    let _: String = q(&mut rc, &["MULTI"]);
    assert!(q_err(&mut rc, &["INCR", "k"]).starts_with("READONLY"));
    assert!(q_err(&mut rc, &["EXEC"]).starts_with("EXECABORT"));
    let n: i64 = q(&mut rc, &["PUBLISH", "ch", "hello"]);
    assert_eq!(n, 0);
    // Master gone: stale data is refused, INFO still answers.
    let mut m = m;
    m.kill();
    wait_for(Duration::from_secs(5), "link down", || {
        r.info_field("master_link_status") == "down"
    });
    assert_eq!(
        q_err(&mut r.conn(), &["GET", "k"]),
        "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'."
    );
    assert!(q_err(&mut r.conn(), &["PING"]).starts_with("MASTERDOWN"));
    let info = r.info();
    assert!(info.contains_key("master_link_down_since_seconds"));
    let _: String = q(&mut r.conn(), &["CONFIG", "SET", "replica-read-only", "no"]);
    let _: String = q(
        &mut r.conn(),
        &["CONFIG", "SET", "replica-serve-stale-data", "yes"],
    );
    let _: String = q(&mut r.conn(), &["SET", "local", "write"]);
    r.kill();
}

#[test]
fn replicas_wait_for_the_masters_del() {
    let m = Node::vigil(&[]);
    let r = Node::vigil(&[]);
    r.replicate(&m);
    let mut mc = m.conn();
    let _: String = q(&mut mc, &["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
    let _: String = q(&mut mc, &["SET", "short", "v", "PX", "200"]);
    r.wait_caught_up(&m);
    std::thread::sleep(Duration::from_millis(300));
    let mut rc = r.conn();
    // Expired: reported missing, but kept until the master says so.
    let v: Option<String> = q(&mut rc, &["GET", "short"]);
    assert_eq!(v, None);
    let n: i64 = q(&mut rc, &["DBSIZE"]);
    assert_eq!(n, 1);
    // The master notices the expiry and propagates a DEL.
    let v: Option<String> = q(&mut mc, &["GET", "short"]);
    assert_eq!(v, None);
    r.wait_caught_up(&m);
    let n: i64 = q(&mut rc, &["DBSIZE"]);
    assert_eq!(n, 0);
}

#[test]
fn failover_command() {
    let m = Node::vigil(&[]);
    let r = Node::vigil(&[]);
    let mut mc = m.conn();
    assert_eq!(
        q_err(&mut mc, &["FAILOVER"]),
        "ERR FAILOVER requires connected replicas."
    );
    assert_eq!(
        q_err(&mut mc, &["FAILOVER", "ABORT"]),
        "ERR No failover in progress."
    );
    r.replicate(&m);
    assert_eq!(
        q_err(
            &mut mc,
            &["FAILOVER", "TO", "127.0.0.1", "1", "TIMEOUT", "100"]
        ),
        "ERR FAILOVER target HOST and PORT is not a replica."
    );
    assert_eq!(
        q_err(&mut mc, &["FAILOVER", "FORCE"]),
        "ERR FAILOVER with force option requires both a timeout and target HOST and IP."
    );
    let _: String = q(&mut mc, &["SET", "before", "failover"]);
    let _: String = q(
        &mut mc,
        &[
            "FAILOVER",
            "TO",
            "127.0.0.1",
            &r.port.to_string(),
            "TIMEOUT",
            "5000",
        ],
    );
    wait_for(Duration::from_secs(8), "roles swapped", || {
        r.info_field("role") == "master"
            && m.info_field("role") == "slave"
            && m.info_field("master_link_status") == "up"
    });
    assert_eq!(m.info_field("master_failover_state"), "no-failover");
    assert_eq!(r.info_int("sync_partial_ok"), 1);
    let _: String = q(&mut r.conn(), &["SET", "after", "failover"]);
    m.wait_caught_up(&r);
    assert_eq!(dataset(&m), dataset(&r));
}

#[test]
fn replicaof_details() {
    let m = Node::vigil(&[]);
    let r = Node::vigil(&[]);
    let mut rc = r.conn();
    assert_eq!(
        q_err(&mut rc, &["REPLICAOF", "127.0.0.1", "70000"]),
        "ERR Invalid master port"
    );
    // Inside MULTI, as sentinels send it.
    let port = m.port.to_string();
    let replies: Vec<redis::Value> = redis::pipe()
        .atomic()
        .cmd("SLAVEOF")
        .arg("127.0.0.1")
        .arg(&port)
        .cmd("CLIENT")
        .arg("KILL")
        .arg("TYPE")
        .arg("pubsub")
        .query(&mut rc)
        .expect("multi");
    assert_eq!(replies.len(), 2);
    r.wait_link_up();
    let again: String = q(&mut rc, &["REPLICAOF", "127.0.0.1", &port]);
    assert_eq!(again, "OK Already connected to specified master");
    let _: String = q(&mut rc, &["REPLICAOF", "NO", "ONE"]);
}

#[test]
fn config_rewrite_persists_replicaof() {
    let m = Node::vigil(&[]);
    let dir = std::env::temp_dir().join(format!("vigil-repl-rw-{}", common::free_port()));
    std::fs::create_dir_all(&dir).expect("mkdir");
    let conf = dir.join("node.conf");
    std::fs::write(&conf, "# replica\n").expect("conf");
    let s = common::Server::start_with(Some(&conf), &["--save", ""]);
    let mut c = s.conn();
    let _: String = q(&mut c, &["REPLICAOF", "127.0.0.1", &m.port.to_string()]);
    let _: String = q(&mut c, &["CONFIG", "REWRITE"]);
    let text = std::fs::read_to_string(&conf).expect("read");
    assert!(
        text.contains(&format!("replicaof 127.0.0.1 {}", m.port)),
        "{text}"
    );
    let _: String = q(&mut c, &["REPLICAOF", "NO", "ONE"]);
    let _: String = q(&mut c, &["CONFIG", "REWRITE"]);
    let text = std::fs::read_to_string(&conf).expect("read");
    assert!(!text.contains("replicaof 127"), "{text}");
    drop(s);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn replicaof_in_config_file_at_startup() {
    let m = Node::vigil(&[]);
    let _: String = q(&mut m.conn(), &["SET", "from", "config"]);
    let r = Node::vigil(&["--replicaof", "127.0.0.1", &m.port.to_string()]);
    r.wait_link_up();
    let v: String = q(&mut r.conn(), &["GET", "from"]);
    assert_eq!(v, "config");
}

#[test]
fn disk_based_sync_and_legacy_sync() {
    let m = Node::vigil(&["--repl-diskless-sync", "no"]);
    fill(&m);
    let r = Node::vigil(&[]);
    r.replicate(&m);
    assert_eq!(dataset(&r), dataset(&m));
    assert!(m.log().contains("target: disk"), "{}", m.log());
    // SYNC (no PSYNC): payload without +FULLRESYNC.
    let mut s = TcpStream::connect(("127.0.0.1", m.port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5))).expect("t");
    s.write_all(b"SYNC\r\n").expect("w");
    let mut got = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    while !got.windows(5).any(|w| w == b"REDIS") {
        let mut b = [0u8; 4096];
        let n = s.read(&mut b).expect("read");
        got.extend_from_slice(&b[..n]);
        assert!(Instant::now() < deadline);
    }
    let start = got.iter().position(|&b| b == b'$').expect("bulk");
    assert!(got[..start].iter().all(|&b| b == b'\n'));
}

/// A snapshot of many chunks reaches an empty replica (decoded while it arrives) and one with
/// data to replace (decoded after the transfer), in both payload formats, and serves exactly
/// the master's dataset.
#[test]
fn large_full_sync_to_empty_and_non_empty_replicas() {
    let digest = |n: &Node| -> String { q(&mut n.conn(), &["DEBUG", "DIGEST"]) };
    for diskless in ["yes", "no"] {
        let m = Node::vigil(&["--repl-diskless-sync", diskless, "--rdbcompression", "no"]);
        fill(&m);
        let _: String = q(&mut m.conn(), &["DEBUG", "POPULATE", "30000", "pop", "300"]);
        let _: String = q(&mut m.conn(), &["SET", "pop:7", "changed", "EX", "1000"]);
        let empty = Node::vigil(&[]);
        let busy = Node::vigil(&[]);
        let mut c = busy.conn();
        for i in 0..100 {
            let _: String = q(&mut c, &["SET", &format!("old{i}"), "x"]);
        }
        let _: String = q(&mut c, &["SET", "pop:1", "stale"]);
        for r in [&empty, &busy] {
            r.replicate(&m);
            assert_eq!(digest(r), digest(&m), "diskless {diskless}");
            let ttl: i64 = q(&mut r.conn(), &["TTL", "pop:7"]);
            assert!(ttl > 900, "ttl {ttl}");
        }
    }
}

#[test]
fn loading_replica_answers_loading() {
    let m = Node::vigil(&[]);
    fill(&m);
    // 10 ms per key: the load of ~200 keys takes about 2 s.
    let r = Node::vigil(&["--key-load-delay", "10000"]);
    let _: String = q(
        &mut r.conn(),
        &["REPLICAOF", "127.0.0.1", &m.port.to_string()],
    );
    wait_for(Duration::from_secs(5), "loading", || {
        r.info_field("loading") == "1"
    });
    assert_eq!(
        q_err(&mut r.conn(), &["GET", "s1"]),
        "LOADING Redis is loading the dataset in memory"
    );
    // PING is refused too, as in Redis (a sentinel takes -LOADING as a sign of life).
    assert_eq!(
        q_err(&mut r.conn(), &["PING"]),
        "LOADING Redis is loading the dataset in memory"
    );
    r.wait_link_up();
    let v: String = q(&mut r.conn(), &["GET", "s1"]);
    assert_eq!(v, "1");
}

#[test]
fn announced_address_and_client_flags() {
    let m = Node::vigil(&[]);
    let r = Node::vigil(&[
        "--replica-announce-ip",
        "10.1.2.3",
        "--replica-announce-port",
        "4242",
        "--replica-priority",
        "7",
    ]);
    r.replicate(&m);
    let slave0 = m.info_field("slave0");
    assert!(
        slave0.starts_with("ip=10.1.2.3,port=4242,state=online"),
        "{slave0}"
    );
    assert_eq!(r.info_field("slave_priority"), "7");
    let list: String = q(&mut m.conn(), &["CLIENT", "LIST", "TYPE", "replica"]);
    assert!(list.contains("flags=S"), "{list}");
    let list: String = q(&mut r.conn(), &["CLIENT", "LIST", "TYPE", "master"]);
    assert!(list.contains("flags=M"), "{list}");
    let role: Vec<redis::Value> = q(&mut m.conn(), &["ROLE"]);
    let redis::Value::Array(replicas) = &role[2] else {
        panic!("{role:?}")
    };
    assert_eq!(replicas.len(), 1);
}

#[test]
fn replica_drops_a_silent_master_after_repl_timeout() {
    let m = Node::vigil(&[]);
    let r = Node::vigil(&["--repl-timeout", "1"]);
    r.replicate(&m);
    let pid = m.pid().to_string();
    let _ = std::process::Command::new("kill")
        .args(["-STOP", &pid])
        .status();
    let down = std::panic::catch_unwind(|| {
        wait_for(Duration::from_secs(6), "link down after timeout", || {
            r.info_field("master_link_status") == "down"
        })
    });
    let _ = std::process::Command::new("kill")
        .args(["-CONT", &pid])
        .status();
    assert!(down.is_ok());
    assert!(r.log().contains("MASTER timeout"), "{}", r.log());
    r.wait_link_up();
}

#[test]
fn master_drops_stuck_replicas() {
    let m = Node::vigil(&[
        "--client-output-buffer-limit",
        "replica 256kb 0 0",
        "--repl-timeout",
        "2",
    ]);
    let r = Node::vigil(&[]);
    r.replicate(&m);
    let pid = r.pid().to_string();
    let _ = std::process::Command::new("kill")
        .args(["-STOP", &pid])
        .status();
    let value = "x".repeat(100_000);
    let mut c = m.conn();
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        for i in 0..300 {
            let _: () = redis::cmd("SET")
                .arg(format!("big{i}"))
                .arg(&value)
                .query(&mut c)
                .expect("set");
        }
        wait_for(Duration::from_secs(5), "replica dropped", || {
            m.info_int("connected_slaves") == 0
        });
    }));
    let _ = std::process::Command::new("kill")
        .args(["-CONT", &pid])
        .status();
    assert!(outcome.is_ok(), "{}", m.log());
    assert!(
        m.log().contains("output buffer limits") || m.log().contains("timedout replica"),
        "{}",
        m.log()
    );
    // It comes back (the backlog is too small for 30 MB: a full resync).
    r.wait_link_up();
    r.wait_caught_up(&m);
    let n: i64 = q(&mut r.conn(), &["DBSIZE"]);
    assert_eq!(n, 300);
}

/// A coordinated failover under a steady writer loses no acknowledged write: writes are held
/// while the replica catches up, then refused (READONLY) once the old master is a replica.
#[test]
fn failover_under_writes_loses_nothing() {
    let m = Node::vigil(&[]);
    let r = Node::vigil(&[]);
    r.replicate(&m);
    let port = m.port;
    let writer = std::thread::spawn(move || {
        let client = redis::Client::open(format!("redis://127.0.0.1:{port}/")).expect("c");
        let mut c = client.get_connection().expect("connect");
        c.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("t");
        let mut acked = 0i64;
        let deadline = Instant::now() + Duration::from_secs(8);
        while Instant::now() < deadline {
            match redis::cmd("INCR").arg("counter").query::<i64>(&mut c) {
                Ok(v) => acked = v,
                Err(_) => break,
            }
        }
        acked
    });
    std::thread::sleep(Duration::from_millis(300));
    let _: String = q(&mut m.conn(), &["FAILOVER", "TIMEOUT", "5000"]);
    let acked = writer.join().expect("writer");
    wait_for(Duration::from_secs(8), "new master", || {
        r.info_field("role") == "master"
    });
    let v: i64 = q(&mut r.conn(), &["GET", "counter"]);
    assert!(acked > 0);
    assert_eq!(v, acked, "acknowledged writes lost");
}

#[test]
fn replicas_share_a_running_disk_save() {
    let m = Node::vigil(&["--repl-diskless-sync", "no", "--rdb-key-save-delay", "5000"]);
    fill(&m);
    let r1 = Node::vigil(&[]);
    let r2 = Node::vigil(&[]);
    let port = m.port.to_string();
    let _: String = q(&mut r1.conn(), &["REPLICAOF", "127.0.0.1", &port]);
    wait_for(Duration::from_secs(5), "save running", || {
        m.info_field("rdb_bgsave_in_progress") == "1"
    });
    let _: String = q(&mut m.conn(), &["SET", "during", "save"]);
    let _: String = q(&mut r2.conn(), &["REPLICAOF", "127.0.0.1", &port]);
    r1.wait_link_up();
    r2.wait_link_up();
    r1.wait_caught_up(&m);
    r2.wait_caught_up(&m);
    assert_eq!(dataset(&r1), dataset(&m));
    assert_eq!(dataset(&r2), dataset(&m));
    let log = m.log();
    assert_eq!(log.matches("Starting BGSAVE for SYNC").count(), 1, "{log}");
    assert!(log.contains("Waiting for end of BGSAVE for SYNC"), "{log}");
}

#[test]
fn active_expiry_and_evictions_reach_replicas() {
    let m = Node::vigil(&[]);
    let r = Node::vigil(&[]);
    r.replicate(&m);
    let mut c = m.conn();
    for i in 0..50 {
        let _: String = q(&mut c, &["SET", &format!("t{i}"), "v", "PX", "100"]);
    }
    // Nobody reads them: the master's active cycle expires them and sends DELs.
    wait_for(
        Duration::from_secs(5),
        "expired keys deleted on the replica",
        || q::<i64>(&mut r.conn(), &["DBSIZE"]) == 0,
    );
    let value = "v".repeat(1000);
    for i in 0..2000 {
        let _: () = redis::cmd("SET")
            .arg(format!("e{i}"))
            .arg(&value)
            .query(&mut c)
            .expect("set");
    }
    r.wait_caught_up(&m);
    // The replication buffers do not count against maxmemory.
    let used = m.info_int("used_memory") - m.info_int("mem_replication_backlog");
    let _: String = q(
        &mut c,
        &["CONFIG", "SET", "maxmemory-policy", "allkeys-random"],
    );
    let _: String = q(
        &mut c,
        &["CONFIG", "SET", "maxmemory", &(used - 200_000).to_string()],
    );
    // Evictions run in bounded bursts: a write may be refused until enough is freed.
    wait_for(Duration::from_secs(5), "eviction", || {
        common::run(&mut c, &["SET", "trigger", "eviction"]).is_ok()
    });
    assert!(m.info_int("evicted_keys") > 0);
    r.wait_caught_up(&m);
    let (mn, rn): (i64, i64) = (q(&mut c, &["DBSIZE"]), q(&mut r.conn(), &["DBSIZE"]));
    assert_eq!(mn, rn);
    assert!(mn < 2001);
}

/// Under a steady write stream the replica keeps acknowledging every second, so a master with
/// `min-replicas-max-lag 1` never refuses a write.
#[test]
fn acks_flow_under_steady_writes() {
    let m = Node::vigil(&[
        "--min-replicas-to-write",
        "1",
        "--min-replicas-max-lag",
        "2",
    ]);
    let r = Node::vigil(&[]);
    r.replicate(&m);
    wait_for(Duration::from_secs(5), "good replica", || {
        m.info_int("min_slaves_good_slaves") == 1
    });
    let mut c = m.conn();
    let value = "x".repeat(200);
    let deadline = Instant::now() + Duration::from_secs(4);
    let mut n = 0u64;
    let mut pipe = redis::pipe();
    for i in 0..200 {
        pipe.cmd("SET").arg(format!("k{i}")).arg(&value).ignore();
    }
    while Instant::now() < deadline {
        let res: redis::RedisResult<()> = pipe.query(&mut c);
        if let Err(e) = res {
            panic!("write refused after {n} batches: {e}");
        }
        n += 1;
    }
    let lag: i64 = m
        .info_field("slave0")
        .rsplit("lag=")
        .next()
        .and_then(|l| l.parse().ok())
        .unwrap_or(99);
    assert!(lag <= 2, "lag {lag}");
}

#[test]
fn replica_authenticates_with_masterauth_and_masteruser() {
    let m = Node::vigil(&["--requirepass", "s3cret"]);
    let mut mc = {
        let client =
            redis::Client::open(format!("redis://:s3cret@127.0.0.1:{}/", m.port)).expect("client");
        client.get_connection().expect("connect")
    };
    let _: String = q(&mut mc, &["SET", "k", "v"]);
    let _: String = q(
        &mut mc,
        &[
            "ACL",
            "SETUSER",
            "repl",
            "on",
            ">replpw",
            "+psync",
            "+replconf",
            "+ping",
        ],
    );
    let r1 = Node::vigil(&["--masterauth", "s3cret"]);
    r1.replicate(&m);
    let r2 = Node::vigil(&["--masteruser", "repl", "--masterauth", "replpw"]);
    r2.replicate(&m);
    wait_for(Duration::from_secs(5), "data on r2", || {
        q::<Option<String>>(&mut r2.conn(), &["GET", "k"]).as_deref() == Some("v")
    });
    // A wrong password keeps the link down and says why.
    let bad = Node::vigil(&["--masterauth", "nope"]);
    let _: String = q(
        &mut bad.conn(),
        &["REPLICAOF", "127.0.0.1", &m.port.to_string()],
    );
    wait_for(Duration::from_secs(5), "auth error logged", || {
        bad.log().contains("Unable to AUTH to MASTER")
    });
    assert_eq!(bad.info_field("master_link_status"), "down");
    drop(r1);
}

/// A disk-based sync leaves the received dump.rdb in the replica's dir, as in Redis, unless
/// `rdb-del-sync-files yes` and nothing else persists.
#[test]
fn received_sync_file_is_kept_unless_rdb_del_sync_files() {
    let m = Node::start(Kind::Vigil, &["--repl-diskless-sync", "no"]);
    let _: () = redis::cmd("SET")
        .arg("k")
        .arg("v")
        .query(&mut m.conn())
        .expect("set");
    let keep = Node::start(Kind::Vigil, &[]);
    let drop = Node::start(Kind::Vigil, &["--rdb-del-sync-files", "yes"]);
    for r in [&keep, &drop] {
        r.replicate(&m);
        r.wait_caught_up(&m);
    }
    assert!(keep.dir.join("dump.rdb").exists());
    wait_for(Duration::from_secs(5), "sync file removed", || {
        !drop.dir.join("dump.rdb").exists()
    });
}
