//! RDB persistence end to end: files exchanged with Debian's redis-server 7.0.15 in both
//! directions, redis-check-rdb, BGSAVE consistency under concurrent writes, start-up loading,
//! corruption, save points, MISCONF, SHUTDOWN, DEBUG RELOAD, DUMP/RESTORE interop.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::persist::*;
use common::{q, q_err, run};

fn check_rdb(path: &Path) {
    let out = Command::new("redis-check-rdb")
        .arg(path)
        .output()
        .expect("redis-check-rdb");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        text.contains("RDB looks OK"),
        "redis-check-rdb rejected {}: {text}",
        path.display()
    );
}

/// Real Redis dumps (compact encodings with small thresholds, default ones otherwise) load into
/// vigil with the same content; vigil's SAVE of that data passes redis-check-rdb and loads back
/// into redis-server with the same content again.
#[test]
fn redis_dumps_load_in_vigil_and_ours_load_in_redis() {
    if !redis_available() {
        return;
    }
    let small: &[&str] = &[
        "--list-max-listpack-size",
        "3",
        "--hash-max-listpack-entries",
        "4",
        "--set-max-intset-entries",
        "4",
        "--zset-max-listpack-entries",
        "4",
        "--save",
        "",
    ];
    for thresholds in [&["--save", ""][..], small] {
        let rdir = Dir::new("redis-src");
        let r = Node::redis(rdir.path(), thresholds);
        let mut rc = r.conn();
        fill_redis(&mut rc);
        let expected = content(&mut rc, None);
        assert!(expected.len() > 20);
        let _: () = q(&mut rc, &["SAVE"]);
        let vdir = Dir::new("vigil");
        std::fs::copy(rdir.file("dump.rdb"), vdir.file("dump.rdb")).expect("copy");
        let v = Node::vigil(vdir.path(), &["--save", ""]);
        let mut vc = v.conn();
        assert_eq!(
            info_field(&mut vc, "rdb_last_load_keys_loaded"),
            expected.len().to_string()
        );
        let got = content(&mut vc, Some(&mut rc));
        assert_eq!(got, expected, "vigil content after loading a redis dump");
        // Back to Redis.
        let _: () = q(&mut vc, &["SAVE"]);
        check_rdb(&vdir.file("dump.rdb"));
        let r2dir = Dir::new("redis-dst");
        std::fs::copy(vdir.file("dump.rdb"), r2dir.file("dump.rdb")).expect("copy");
        let r2 = Node::redis(r2dir.path(), &["--save", ""]);
        let mut r2c = r2.conn();
        assert_eq!(
            content(&mut r2c, None),
            expected,
            "redis content after loading vigil's dump"
        );
        // Uncompressed and checksum-less files are accepted too.
        let _: () = q(&mut vc, &["CONFIG", "SET", "rdbcompression", "no"]);
        let _: () = q(&mut vc, &["SAVE"]);
        check_rdb(&vdir.file("dump.rdb"));
    }
}

/// DUMP payloads cross in both directions, and RESTORE follows Redis's rules and errors.
#[test]
fn dump_and_restore() {
    if !redis_available() {
        return;
    }
    let rdir = Dir::new("dump-redis");
    let r = Node::redis(rdir.path(), &["--save", ""]);
    let mut rc = r.conn();
    fill_redis(&mut rc);
    let vdir = Dir::new("dump-vigil");
    let v = Node::vigil(vdir.path(), &["--save", ""]);
    let mut vc = v.conn();
    let keys: Vec<String> = q(&mut rc, &["KEYS", "*"]);
    // DIGEST-VALUE covers the TTL too; compare keys without one.
    for k in keys.iter().filter(|k| k.as_str() != "str:ttl") {
        let payload: Vec<u8> = redis::cmd("DUMP").arg(k).query(&mut rc).expect("dump");
        let _: () = redis::cmd("RESTORE")
            .arg(k)
            .arg(0)
            .arg(&payload)
            .query(&mut vc)
            .unwrap_or_else(|e| panic!("RESTORE {k}: {e}"));
        let ours: Vec<u8> = redis::cmd("DUMP").arg(k).query(&mut vc).expect("dump");
        let back = format!("back:{k}");
        let _: () = redis::cmd("RESTORE")
            .arg(&back)
            .arg(0)
            .arg(&ours)
            .query(&mut rc)
            .unwrap_or_else(|e| panic!("redis RESTORE of vigil's DUMP {k}: {e}"));
        let d1: Vec<String> = q(&mut rc, &["DEBUG", "DIGEST-VALUE", k]);
        let d2: Vec<String> = q(&mut rc, &["DEBUG", "DIGEST-VALUE", &back]);
        assert_eq!(d1, d2, "{k} changed through vigil");
    }
    // Errors and options.
    let payload: Vec<u8> = redis::cmd("DUMP")
        .arg("str:short")
        .query(&mut vc)
        .expect("dump");
    let busy = redis::cmd("RESTORE")
        .arg("str:short")
        .arg(0)
        .arg(&payload)
        .query::<()>(&mut vc)
        .unwrap_err();
    assert_eq!(busy.code(), Some("BUSYKEY"));
    assert!(busy.to_string().contains("Target key name already exists."));
    let mut bad = payload.clone();
    bad[1] ^= 0x55;
    let e = redis::cmd("RESTORE")
        .arg("x")
        .arg(0)
        .arg(&bad)
        .query::<()>(&mut vc)
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("DUMP payload version or checksum are wrong"),
        "{e}"
    );
    assert_eq!(
        q_err(&mut vc, &["RESTORE", "x", "-1", "abc"]),
        "ERR Invalid TTL value, must be >= 0"
    );
    assert_eq!(
        q_err(&mut vc, &["RESTORE", "x", "0", "abc", "IDLETIME", "-1"]),
        "ERR Invalid IDLETIME value, must be >= 0"
    );
    assert_eq!(
        q_err(&mut vc, &["RESTORE", "x", "0", "abc", "FREQ", "256"]),
        "ERR Invalid FREQ value, must be >= 0 and <= 255"
    );
    assert_eq!(
        q_err(&mut vc, &["RESTORE", "x", "0", "abc", "BOGUS"]),
        "ERR syntax error"
    );
    // REPLACE, relative and absolute TTL.
    let _: () = redis::cmd("RESTORE")
        .arg("str:short")
        .arg(100_000)
        .arg(&payload)
        .arg("REPLACE")
        .query(&mut vc)
        .expect("replace");
    let ttl: i64 = q(&mut vc, &["PTTL", "str:short"]);
    assert!(ttl > 90_000 && ttl <= 100_000, "{ttl}");
    let _: () = redis::cmd("RESTORE")
        .arg("abs")
        .arg(1) // long past: the key is not created
        .arg(&payload)
        .arg("ABSTTL")
        .query(&mut vc)
        .expect("absttl");
    assert_eq!(q::<i64>(&mut vc, &["EXISTS", "abs"]), 0);
    assert!(matches!(
        run(&mut vc, &["DUMP", "nosuchkey"]),
        Ok(redis::Value::Nil)
    ));
}

/// BGSAVE captures the dataset as of its start while another client keeps writing (every write
/// acknowledged, PINGs answered), including FLUSHDB and SWAPDB of databases being saved.
#[test]
fn bgsave_is_point_in_time_under_concurrent_writes() {
    let dir = Dir::new("pit");
    let v = Node::vigil(dir.path(), &["--save", ""]);
    let mut c = v.conn();
    let _: () = q(&mut c, &["DEBUG", "POPULATE", "3000", "key", "20"]);
    for db in ["1", "2", "3"] {
        let _: () = q(&mut c, &["SELECT", db]);
        let _: () = q(
            &mut c,
            &["DEBUG", "POPULATE", "300", &format!("db{db}"), "5"],
        );
    }
    let _: () = q(&mut c, &["SELECT", "0"]);
    let before = q::<String>(&mut c, &["DEBUG", "DIGEST"]);
    // Slow the save down (one key per millisecond slice) so the writes overlap it.
    let _: () = q(&mut c, &["CONFIG", "SET", "rdb-key-save-delay", "1000"]);
    let reply: String = q(&mut c, &["BGSAVE"]);
    assert_eq!(reply, "Background saving started");
    assert_eq!(info_field(&mut c, "rdb_bgsave_in_progress"), "1");
    assert_eq!(
        q_err(&mut c, &["BGSAVE"]),
        "ERR Background save already in progress"
    );
    assert_eq!(
        q_err(&mut c, &["SAVE"]),
        "ERR Background save already in progress"
    );
    let port = v.port;
    let writer = std::thread::spawn(move || {
        let mut w = redis::Client::open(format!("redis://127.0.0.1:{port}/"))
            .unwrap()
            .get_connection()
            .unwrap();
        let mut acked = 0;
        for i in 0..1500 {
            let _: () = q(&mut w, &["SET", &format!("key:{i}"), "changed"]);
            let _: i64 = q(&mut w, &["DEL", &format!("key:{}", 2999 - i)]);
            let _: () = q(&mut w, &["SET", &format!("new:{i}"), "x"]);
            let _: i64 = q(&mut w, &["APPEND", &format!("key:{}", 1500 + i), "+"]);
            let _: i64 = q(&mut w, &["EXPIRE", &format!("key:{}", i + 700), "1000"]);
            acked += 5;
        }
        let _: () = q(&mut w, &["SELECT", "1"]);
        let _: () = q(&mut w, &["FLUSHDB"]);
        let _: () = q(&mut w, &["SWAPDB", "2", "3"]);
        let _: () = q(&mut w, &["SELECT", "2"]);
        let _: () = q(&mut w, &["SET", "db2:0", "after-swap"]);
        acked
    });
    // The server keeps answering while the save runs.
    let mut max_ping = Duration::ZERO;
    let mut saw_running = false;
    while !writer.is_finished() {
        let t = Instant::now();
        let _: String = q(&mut c, &["PING"]);
        max_ping = max_ping.max(t.elapsed());
        saw_running |= info_field(&mut c, "rdb_bgsave_in_progress") == "1";
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(writer.join().expect("writer"), 7500);
    assert!(saw_running, "the save finished before the writes started");
    assert!(
        max_ping < Duration::from_millis(500),
        "PING took {max_ping:?}"
    );
    let _: () = q(&mut c, &["CONFIG", "SET", "rdb-key-save-delay", "0"]);
    wait_bgsave(&mut c);
    assert_eq!(info_field(&mut c, "rdb_last_bgsave_status"), "ok");
    // Live data has every write.
    assert_eq!(q::<String>(&mut c, &["GET", "key:3"]), "changed");
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "key:1600"]), 0);
    // The file has the state at BGSAVE time: load it in a fresh node.
    check_rdb(&dir.file("dump.rdb"));
    let copy = Dir::new("pit-copy");
    std::fs::copy(dir.file("dump.rdb"), copy.file("dump.rdb")).expect("copy");
    let v2 = Node::vigil(copy.path(), &["--save", ""]);
    let mut c2 = v2.conn();
    assert_eq!(q::<String>(&mut c2, &["DEBUG", "DIGEST"]), before);
    assert_eq!(q::<i64>(&mut c2, &["DBSIZE"]), 3000);
    assert_eq!(q::<i64>(&mut c2, &["EXISTS", "new:1"]), 0);
    assert_eq!(q::<i64>(&mut c2, &["PTTL", "key:800"]), -1);
}

/// The backup flow operators use: BGSAVE, copy dump.rdb into a fresh node's dir, start it.
#[test]
fn backup_and_restore_flow() {
    let dir = Dir::new("backup");
    let v = Node::vigil(dir.path(), &["--save", ""]);
    let mut c = v.conn();
    let _: () = q(&mut c, &["DEBUG", "POPULATE", "5000", "k", "64"]);
    let _: i64 = q(&mut c, &["RPUSH", "l", "a", "b", "c"]);
    let _: i64 = q(&mut c, &["HSET", "h", "f", "v"]);
    let _: i64 = q(&mut c, &["SADD", "s", "1", "x"]);
    let _: () = q(&mut c, &["SET", "ttl", "v", "EX", "1000"]);
    let digest: String = q(&mut c, &["DEBUG", "DIGEST"]);
    let before: i64 = q(&mut c, &["LASTSAVE"]);
    std::thread::sleep(Duration::from_millis(1100));
    let _: String = q(&mut c, &["BGSAVE"]);
    wait_bgsave(&mut c);
    assert!(q::<i64>(&mut c, &["LASTSAVE"]) > before);
    assert_eq!(info_field(&mut c, "rdb_changes_since_last_save"), "0");
    assert_eq!(info_field(&mut c, "rdb_saves"), "1");
    let fresh = Dir::new("backup-fresh");
    std::fs::copy(dir.file("dump.rdb"), fresh.file("dump.rdb")).expect("copy");
    let v2 = Node::vigil(fresh.path(), &["--save", ""]);
    let mut c2 = v2.conn();
    assert_eq!(q::<String>(&mut c2, &["DEBUG", "DIGEST"]), digest);
    assert!(q::<i64>(&mut c2, &["TTL", "ttl"]) > 990);
    assert_eq!(info_field(&mut c2, "rdb_last_load_keys_loaded"), "5004");
}

fn corrupt_start(dir: &Path, mangle: impl Fn(&mut Vec<u8>)) -> String {
    let path = dir.join("dump.rdb");
    let mut data = std::fs::read(&path).expect("read dump");
    mangle(&mut data);
    std::fs::write(&path, &data).expect("write");
    let _ = std::fs::remove_file(dir.join("vigil.log"));
    let (port, child) = Node::spawn_vigil(dir, &["--save", ""]);
    let mut n = Node { port, child };
    let code = n.wait_exit(10);
    assert!(matches!(code, Some(c) if c != 0), "exit code {code:?}");
    std::fs::read_to_string(dir.join("vigil.log")).unwrap_or_default()
}

/// A damaged file stops start-up with an error naming the file and the offset.
#[test]
fn corrupt_rdb_is_rejected_at_startup() {
    let dir = Dir::new("corrupt");
    {
        let v = Node::vigil(dir.path(), &["--save", ""]);
        let mut c = v.conn();
        let _: () = q(&mut c, &["DEBUG", "POPULATE", "200", "k", "30"]);
        let _: () = q(&mut c, &["SAVE"]);
    }
    let good = std::fs::read(dir.file("dump.rdb")).expect("dump");
    let log = corrupt_start(dir.path(), |d| {
        let mid = d.len() / 2;
        d[mid] ^= 0x20;
    });
    assert!(log.contains("dump.rdb") && log.contains("offset"), "{log}");
    std::fs::write(dir.file("dump.rdb"), &good).expect("restore");
    let log = corrupt_start(dir.path(), |d| d.truncate(d.len() * 2 / 3));
    assert!(log.contains("dump.rdb") && log.contains("offset"), "{log}");
    assert!(log.contains("Fatal error loading the DB"), "{log}");
    // And the untouched file still loads.
    std::fs::write(dir.file("dump.rdb"), &good).expect("restore");
    let v = Node::vigil(dir.path(), &["--save", ""]);
    assert_eq!(q::<i64>(&mut v.conn(), &["DBSIZE"]), 200);
}

/// A save point fires a background save on its own.
#[test]
fn save_points_trigger_a_background_save() {
    let dir = Dir::new("savepoint");
    let v = Node::vigil(dir.path(), &["--save", "1 2"]);
    let mut c = v.conn();
    let _: () = q(&mut c, &["SET", "a", "1"]);
    let _: () = q(&mut c, &["SET", "b", "2"]);
    assert_eq!(info_field(&mut c, "rdb_changes_since_last_save"), "2");
    wait_until(8, || info_field(&mut c, "rdb_saves") == "1");
    wait_bgsave(&mut c);
    assert_eq!(info_field(&mut c, "rdb_changes_since_last_save"), "0");
    assert!(dir.file("dump.rdb").exists());
}

/// A failed background save with save points configured turns writes (and PING) into MISCONF
/// until a save succeeds or stop-writes-on-bgsave-error is turned off.
#[test]
fn misconf_after_a_failed_background_save() {
    let dir = Dir::new("misconf");
    let v = Node::vigil(
        dir.path(),
        &["--save", "3600 1", "--enable-protected-configs", "yes"],
    );
    let mut c = v.conn();
    let _: () = q(&mut c, &["SET", "k", "v"]);
    // The directory disappears: the temp file cannot be created.
    std::fs::remove_dir_all(dir.path()).expect("rm dir");
    let _: String = q(&mut c, &["BGSAVE"]);
    wait_bgsave(&mut c);
    assert_eq!(info_field(&mut c, "rdb_last_bgsave_status"), "err");
    let misconf = "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.";
    assert_eq!(q_err(&mut c, &["SET", "k", "w"]), misconf);
    assert_eq!(q_err(&mut c, &["PING"]), misconf);
    assert_eq!(q::<String>(&mut c, &["GET", "k"]), "v");
    assert_eq!(q_err(&mut c, &["SAVE"]).trim(), "ERR");
    let _: () = q(
        &mut c,
        &["CONFIG", "SET", "stop-writes-on-bgsave-error", "no"],
    );
    let _: () = q(&mut c, &["SET", "k", "w"]);
    let _: () = q(
        &mut c,
        &["CONFIG", "SET", "stop-writes-on-bgsave-error", "yes"],
    );
    // Once the directory is back, a successful save clears the condition.
    let again = dir.file("again");
    std::fs::create_dir_all(&again).expect("mkdir");
    let d = again.to_str().unwrap_or(".").to_string();
    let _: () = q(&mut c, &["CONFIG", "SET", "dir", &d]);
    let _: String = q(&mut c, &["BGSAVE"]);
    wait_bgsave(&mut c);
    assert_eq!(info_field(&mut c, "rdb_last_bgsave_status"), "ok");
    let _: () = q(&mut c, &["SET", "k", "x"]);
}

/// SHUTDOWN saves when save points exist or SAVE is given, NOSAVE skips it, SIGTERM saves.
#[test]
fn shutdown_saves_and_nosave_does_not() {
    let dir = Dir::new("shutdown");
    let mut v = Node::vigil(dir.path(), &["--save", "3600 1"]);
    let mut c = v.conn();
    let _: () = q(&mut c, &["SET", "k", "one"]);
    let _ = run(&mut c, &["SHUTDOWN"]);
    assert_eq!(v.wait_exit(10), Some(0));
    let mut v = Node::vigil(dir.path(), &["--save", "3600 1"]);
    let mut c = v.conn();
    assert_eq!(q::<String>(&mut c, &["GET", "k"]), "one");
    let _: () = q(&mut c, &["SET", "k", "two"]);
    let _ = run(&mut c, &["SHUTDOWN", "NOSAVE"]);
    assert_eq!(v.wait_exit(10), Some(0));
    let mut v = Node::vigil(dir.path(), &["--save", ""]);
    let mut c = v.conn();
    assert_eq!(q::<String>(&mut c, &["GET", "k"]), "one");
    let _: () = q(&mut c, &["SET", "k", "three"]);
    // Without save points, plain SHUTDOWN does not save, SHUTDOWN SAVE does.
    assert_eq!(
        q_err(&mut c, &["SHUTDOWN", "SAVE", "NOSAVE"]),
        "ERR syntax error"
    );
    let _ = run(&mut c, &["SHUTDOWN", "SAVE"]);
    assert_eq!(v.wait_exit(10), Some(0));
    let v = Node::vigil(dir.path(), &["--save", "3600 1"]);
    let mut c = v.conn();
    assert_eq!(q::<String>(&mut c, &["GET", "k"]), "three");
    let _: () = q(&mut c, &["SET", "k", "four"]);
    let pid = v.child.id().to_string();
    let _ = Command::new("kill").args(["-TERM", &pid]).status();
    let mut v = v;
    assert_eq!(v.wait_exit(10), Some(0));
    let v = Node::vigil(dir.path(), &["--save", ""]);
    assert_eq!(q::<String>(&mut v.conn(), &["GET", "k"]), "four");
}

/// DEBUG RELOAD saves and loads back (expired keys are dropped); FLUSHALL with save points
/// saves the empty dataset but keeps counting the change.
#[test]
fn debug_reload_and_flushall() {
    let dir = Dir::new("reload");
    let v = Node::vigil(dir.path(), &["--save", "3600 1000"]);
    let mut c = v.conn();
    let _: () = q(&mut c, &["SET", "keep", "v"]);
    let _: i64 = q(&mut c, &["RPUSH", "l", "1", "2"]);
    let _: () = q(&mut c, &["SET", "gone", "v", "PX", "30"]);
    std::thread::sleep(Duration::from_millis(60));
    let digest: Vec<String> = q(&mut c, &["DEBUG", "DIGEST-VALUE", "l"]);
    let _: () = q(&mut c, &["DEBUG", "RELOAD"]);
    assert_eq!(q::<i64>(&mut c, &["DBSIZE"]), 2);
    assert_eq!(
        q::<Vec<String>>(&mut c, &["DEBUG", "DIGEST-VALUE", "l"]),
        digest
    );
    assert_eq!(info_field(&mut c, "rdb_changes_since_last_save"), "0");
    assert_eq!(
        q_err(&mut c, &["DEBUG", "RELOAD", "BOGUS"]),
        "ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options."
    );
    let _: () = q(&mut c, &["FLUSHALL"]);
    assert_eq!(info_field(&mut c, "rdb_changes_since_last_save"), "3");
    drop(c);
    drop(v);
    let v = Node::vigil(dir.path(), &["--save", ""]);
    assert_eq!(q::<i64>(&mut v.conn(), &["DBSIZE"]), 0);
}

/// While the file loads, INFO shows the progress and other commands get -LOADING.
#[test]
fn loading_progress_and_loading_error() {
    let dir = Dir::new("loading");
    {
        let v = Node::vigil(dir.path(), &["--save", ""]);
        let mut c = v.conn();
        let _: () = q(&mut c, &["DEBUG", "POPULATE", "2500", "k", "10"]);
        let _: () = q(&mut c, &["SAVE"]);
    }
    let (port, child) = Node::spawn_vigil(dir.path(), &["--save", "", "--key-load-delay", "1000"]);
    let n = Node { port, child };
    n.wait_ready();
    let mut c = n.conn();
    assert_eq!(info_field(&mut c, "loading"), "1");
    assert!(
        info_field(&mut c, "loading_total_bytes")
            .parse::<u64>()
            .unwrap_or(0)
            > 0
    );
    assert!(!info_field(&mut c, "loading_eta_seconds").is_empty());
    assert_eq!(
        q_err(&mut c, &["GET", "k"]),
        "LOADING Redis is loading the dataset in memory"
    );
    // PING too: a sentinel sees a rebooting master as loading, not as available.
    assert_eq!(
        q_err(&mut c, &["PING"]),
        "LOADING Redis is loading the dataset in memory"
    );
    // Some configs may change while loading, `dir` may not (Redis's DENY_LOADING_CONFIG).
    let _: () = q(&mut c, &["CONFIG", "SET", "loglevel", "debug"]);
    assert_eq!(
        q_err(&mut c, &["CONFIG", "SET", "dir", "elsewhere"]),
        "LOADING Redis is loading the dataset in memory"
    );
    n.wait_loaded();
    assert_eq!(q::<i64>(&mut c, &["DBSIZE"]), 2500);
    assert_eq!(info_field(&mut c, "loading_total_bytes"), "");
}

/// Types vigil does not hold stop the load with an error naming the key and the type.
#[test]
fn streams_in_a_redis_dump_are_refused_by_name() {
    if !redis_available() {
        return;
    }
    let rdir = Dir::new("stream-src");
    let r = Node::redis(rdir.path(), &["--save", ""]);
    let mut rc = r.conn();
    let _: String = q(&mut rc, &["XADD", "events", "*", "f", "v"]);
    let _: () = q(&mut rc, &["SAVE"]);
    let vdir = Dir::new("stream-dst");
    std::fs::copy(rdir.file("dump.rdb"), vdir.file("dump.rdb")).expect("copy");
    let (port, child) = Node::spawn_vigil(vdir.path(), &["--save", ""]);
    let mut n = Node { port, child };
    assert!(matches!(n.wait_exit(10), Some(c) if c != 0));
    let log = std::fs::read_to_string(vdir.file("vigil.log")).unwrap_or_default();
    assert!(log.contains("'events'") && log.contains("stream"), "{log}");
}
