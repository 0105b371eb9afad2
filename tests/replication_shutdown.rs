//! SHUTDOWN as in Redis 7.0 (tests/integration/shutdown.tcl): a master with replicas pauses
//! writes, sends REPLCONF GETACK and waits (`shutdown-timeout`) until they acknowledged the
//! whole stream before it saves and exits; NOW skips the wait, FORCE ignores a failed save,
//! ABORT cancels, callers blocked in SHUTDOWN get an error when it fails; SIGTERM / SIGINT
//! follow `shutdown-on-sigterm` / `shutdown-on-sigint`. Also with redis-server 7.0.15 on the
//! other side of the link.

mod common;
mod replication_common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::{q, q_err};
use replication_common::{Kind, Node, redis_available, wait_for};

/// A master (with `extra`) and a replica of `replica_kind` in sync, with `k` = 1.
fn pair(master_kind: Kind, replica_kind: Kind, extra: &[&str]) -> (Node, Node) {
    let m = Node::start(master_kind, extra);
    let r = Node::start(replica_kind, &[]);
    r.replicate(&m);
    let _: () = q(&mut m.conn(), &["SET", "k", "1"]);
    r.wait_caught_up(&m);
    (m, r)
}

/// Writes to the master until its replication buffer holds 2 MB the stopped replica did not
/// take: the socket buffers are full, so what follows stays on the master's side.
fn fill_socket_buffers(m: &Node) {
    let mut c = m.conn();
    let value = "x".repeat(1024);
    for i in 0..400 {
        for j in 0..100 {
            let _: () = redis::cmd("SET")
                .arg(format!("junk{i}:{j}"))
                .arg(&value)
                .query(&mut c)
                .expect("set");
        }
        if m.info_int("mem_total_replication_buffers") > 2 * 1024 * 1024 {
            return;
        }
    }
    panic!("the replication buffer did not grow");
}

/// Sends a command on a raw connection without waiting for the reply.
fn send(port: u16, args: &[&str]) -> TcpStream {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    let mut out = format!("*{}\r\n", args.len());
    for a in args {
        out.push_str(&format!("${}\r\n{a}\r\n", a.len()));
    }
    s.write_all(out.as_bytes()).expect("write");
    s
}

/// What arrives on `s` within `wait` (empty: nothing yet; the connection may have closed).
fn read_some(s: &mut TcpStream, wait: Duration) -> String {
    s.set_read_timeout(Some(wait)).expect("timeout");
    let mut buf = [0u8; 512];
    match s.read(&mut buf) {
        Ok(n) => String::from_utf8_lossy(&buf[..n]).into_owned(),
        Err(_) => String::new(),
    }
}

fn count(log: &str, needle: &str) -> usize {
    log.matches(needle).count()
}

/// Redis's "Shutting down master waits for replica to catch up (shutdown|sigterm)": writes are
/// held meanwhile, and once the replica is back the master exits with it in sync.
fn waits_for_replica(master_kind: Kind, replica_kind: Kind, by_signal: bool) {
    let (mut m, r) = pair(
        master_kind,
        replica_kind,
        &["--shutdown-timeout", "60", "--hz", "100"],
    );
    r.signal("STOP");
    fill_socket_buffers(&m);
    let _: i64 = q(&mut m.conn(), &["INCR", "k"]);
    let mut caller = None;
    if by_signal {
        m.signal("TERM");
    } else {
        caller = Some(send(m.port, &["SHUTDOWN"]));
    }
    wait_for(Duration::from_secs(5), "shutdown in progress", || {
        m.info_int("shutdown_in_milliseconds") > 0
    });
    if !by_signal {
        assert_eq!(m.info_field("blocked_clients"), "1");
    }
    // Writes wait for the end of the shutdown; reads are served.
    let mut held = send(m.port, &["SET", "held", "1"]);
    assert_eq!(read_some(&mut held, Duration::from_millis(300)), "");
    let v: String = q(&mut m.conn(), &["GET", "k"]);
    assert_eq!(v, "2");
    r.signal("CONT");
    assert_eq!(m.wait_exit(Duration::from_secs(30)), Some(0));
    if let Some(mut c) = caller {
        assert_eq!(read_some(&mut c, Duration::from_secs(1)), "");
    }
    let v: String = q(&mut r.conn(), &["GET", "k"]);
    assert_eq!(v, "2");
    let held: Option<String> = q(&mut r.conn(), &["GET", "held"]);
    assert_eq!(held, None);
    let log = m.log();
    assert!(log.contains("ready to exit, bye bye"), "{log}");
    assert_eq!(count(&log, "Lagging replica"), 0, "{log}");
    assert!(log.contains("1 of 1 replicas are in sync"), "{log}");
    if master_kind == Kind::Vigil {
        assert!(
            log.contains("Waiting for replicas before shutting down."),
            "{log}"
        );
    }
}

#[test]
fn shutdown_waits_for_a_lagging_replica() {
    waits_for_replica(Kind::Vigil, Kind::Vigil, false);
}

#[test]
fn sigterm_waits_for_a_lagging_replica() {
    waits_for_replica(Kind::Vigil, Kind::Vigil, true);
}

/// The wait ends with a redis-server replica's ACK (and a vigil replica answers a
/// redis-server master's GETACK).
#[test]
fn shutdown_waits_for_replicas_across_implementations() {
    if !redis_available() {
        eprintln!("redis-server not installed: skipped");
        return;
    }
    waits_for_replica(Kind::Vigil, Kind::Redis, false);
    waits_for_replica(Kind::Redis, Kind::Vigil, true);
}

/// Redis's "Shutting down master waits for replica timeout".
#[test]
fn shutdown_gives_up_waiting_after_shutdown_timeout() {
    let (mut m, r) = pair(Kind::Vigil, Kind::Vigil, &["--shutdown-timeout", "1"]);
    r.signal("STOP");
    fill_socket_buffers(&m);
    let _: i64 = q(&mut m.conn(), &["INCR", "k"]);
    let started = Instant::now();
    m.signal("TERM");
    wait_for(Duration::from_secs(5), "shutdown in progress", || {
        m.info_int("shutdown_in_milliseconds") > 0
    });
    assert_eq!(m.wait_exit(Duration::from_secs(10)), Some(0));
    assert!(started.elapsed() >= Duration::from_millis(900));
    let log = m.log();
    assert!(log.contains("Lagging replica 127.0.0.1:"), "{log}");
    assert!(log.contains("0 of 1 replicas are in sync"), "{log}");
    r.signal("CONT");
    let v: String = q(&mut r.conn(), &["GET", "k"]);
    assert_eq!(v, "1");
}

/// Redis's "Shutting down master waits for replica then fails": both callers get the error,
/// the master keeps running and its held writes run; FORCE exits despite the failed save.
#[test]
fn failed_final_save_cancels_a_waiting_shutdown() {
    let (mut m, r) = pair(Kind::Vigil, Kind::Vigil, &[]);
    r.signal("STOP");
    let _: i64 = q(&mut m.conn(), &["INCR", "k"]);
    let mut rd1 = send(m.port, &["SHUTDOWN", "SAVE"]);
    let mut rd2 = send(m.port, &["SHUTDOWN"]);
    wait_for(Duration::from_secs(5), "two callers blocked", || {
        m.info_field("blocked_clients") == "2"
    });
    let mut held = send(m.port, &["SET", "held", "1"]);
    // The save cannot create its temporary file.
    std::fs::remove_dir_all(&m.dir).expect("rm dir");
    r.signal("CONT");
    let e1 = read_some(&mut rd1, Duration::from_secs(10));
    let e2 = read_some(&mut rd2, Duration::from_secs(10));
    assert_eq!(e1, "-ERR Errors trying to SHUTDOWN. Check logs.\r\n");
    assert_eq!(e2, e1);
    assert_eq!(read_some(&mut held, Duration::from_secs(5)), "+OK\r\n");
    assert!(m.running());
    assert_eq!(m.info_field("shutdown_in_milliseconds"), "");
    // Without save points a plain SHUTDOWN does not save; SAVE FORCE exits despite the error.
    assert_eq!(
        q_err(&mut m.conn(), &["SHUTDOWN", "SAVE", "NOSAVE"]),
        "ERR syntax error"
    );
    let _ = common::run(&mut m.conn(), &["SHUTDOWN", "SAVE", "FORCE"]);
    assert_eq!(m.wait_exit(Duration::from_secs(10)), Some(0));
}

/// Redis's "Shutting down master waits for replica then aborted".
#[test]
fn shutdown_abort_cancels_a_waiting_shutdown() {
    let (m, r) = pair(Kind::Vigil, Kind::Vigil, &[]);
    r.signal("STOP");
    let _: i64 = q(&mut m.conn(), &["INCR", "k"]);
    let mut rd1 = send(m.port, &["SHUTDOWN"]);
    let mut rd2 = send(m.port, &["SHUTDOWN"]);
    wait_for(Duration::from_secs(5), "two callers blocked", || {
        m.info_field("blocked_clients") == "2"
    });
    let mut held = send(m.port, &["SET", "held", "1"]);
    let ok: String = q(&mut m.conn(), &["SHUTDOWN", "ABORT"]);
    assert_eq!(ok, "OK");
    r.signal("CONT");
    let e1 = read_some(&mut rd1, Duration::from_secs(5));
    assert_eq!(e1, "-ERR Errors trying to SHUTDOWN. Check logs.\r\n");
    assert_eq!(read_some(&mut rd2, Duration::from_secs(5)), e1);
    assert_eq!(read_some(&mut held, Duration::from_secs(5)), "+OK\r\n");
    assert_eq!(
        q_err(&mut m.conn(), &["SHUTDOWN", "ABORT"]),
        "ERR No shutdown in progress."
    );
    assert_eq!(
        q_err(&mut m.conn(), &["SHUTDOWN", "ABORT", "NOW"]),
        "ERR syntax error"
    );
    assert!(
        m.log().contains("Shutdown manually aborted."),
        "{}",
        m.log()
    );
    // The replica gets the held write: the master is a master again.
    r.wait_caught_up(&m);
    let v: String = q(&mut r.conn(), &["GET", "held"]);
    assert_eq!(v, "1");
}

/// SHUTDOWN NOW does not wait; `shutdown-on-sigterm` gives a signal SHUTDOWN's options.
#[test]
fn now_skips_the_wait_for_commands_and_signals() {
    let (mut m, r) = pair(Kind::Vigil, Kind::Vigil, &[]);
    r.signal("STOP");
    let _: i64 = q(&mut m.conn(), &["INCR", "k"]);
    let _ = common::run(&mut m.conn(), &["SHUTDOWN", "NOW"]);
    assert_eq!(m.wait_exit(Duration::from_secs(5)), Some(0));
    assert!(
        m.log().contains("0 of 1 replicas are in sync"),
        "{}",
        m.log()
    );
    r.signal("CONT");

    // SIGTERM with "nosave now": no wait, and no save despite the save points.
    let (mut m, r) = pair(
        Kind::Vigil,
        Kind::Vigil,
        &["--shutdown-on-sigterm", "nosave now", "--save", "3600 1"],
    );
    r.signal("STOP");
    let _: i64 = q(&mut m.conn(), &["INCR", "k"]);
    m.signal("TERM");
    assert_eq!(m.wait_exit(Duration::from_secs(5)), Some(0));
    assert!(!m.dir.join("dump.rdb").exists());
    assert!(!m.log().contains("Waiting for replicas"), "{}", m.log());
    r.signal("CONT");
}

/// A second SIGINT while the first one's shutdown waits exits at once, with status 1.
#[test]
fn second_sigint_exits_at_once() {
    let (mut m, r) = pair(Kind::Vigil, Kind::Vigil, &[]);
    r.signal("STOP");
    let _: i64 = q(&mut m.conn(), &["INCR", "k"]);
    m.signal("INT");
    wait_for(Duration::from_secs(5), "shutdown in progress", || {
        m.info_int("shutdown_in_milliseconds") > 0
    });
    m.signal("INT");
    assert_eq!(m.wait_exit(Duration::from_secs(5)), Some(1));
    let log = m.log();
    assert!(
        log.contains("Received SIGINT scheduling shutdown..."),
        "{log}"
    );
    assert!(log.contains("You insist... exiting now."), "{log}");
    r.signal("CONT");
}

/// SHUTDOWN ABORT also cancels a shutdown a signal asked for before it started waiting, and a
/// master without replicas (or whose replicas are in sync) exits at once.
#[test]
fn in_sync_replicas_do_not_delay_shutdown() {
    let (mut m, r) = pair(Kind::Vigil, Kind::Vigil, &["--shutdown-timeout", "60"]);
    // Wait for the replica's periodic ACK of the last write.
    wait_for(Duration::from_secs(5), "replica acked", || {
        m.info_field("slave0")
            .contains(&format!("offset={},", m.info_int("master_repl_offset")))
    });
    let started = Instant::now();
    let _ = common::run(&mut m.conn(), &["SHUTDOWN"]);
    assert_eq!(m.wait_exit(Duration::from_secs(5)), Some(0));
    assert!(started.elapsed() < Duration::from_secs(5));
    let log = m.log();
    assert!(log.contains("1 of 1 replicas are in sync"), "{log}");
    assert!(!log.contains("Waiting for replicas"), "{log}");
    drop(r);
}
