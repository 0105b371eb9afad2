//! The append-only file end to end: restarts with each fsync policy, BGREWRITEAOF, turning the
//! AOF on at runtime, multi-part directories exchanged with Debian's redis-server 7.0.15 in both
//! directions (and checked by redis-check-aof), truncated and corrupt files, the upgrade of an
//! old single-file AOF, INFO fields, MISCONF on write errors, and a replica's AOF.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::persist::*;
use common::{q, q_err, run};
use redis::Connection;

const NO_RDB: &[&str] = &["--save", ""];

fn aof_dir(dir: &Path) -> PathBuf {
    dir.join("appendonlydir")
}

fn manifest(dir: &Path) -> String {
    std::fs::read_to_string(aof_dir(dir).join("appendonly.aof.manifest")).unwrap_or_default()
}

/// Names of the files in the AOF directory, sorted.
fn aof_files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(aof_dir(dir))
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// redis-check-aof's verdict on the manifest of `dir`.
fn check_aof(dir: &Path) -> String {
    let out = Command::new("redis-check-aof")
        .arg(aof_dir(dir).join("appendonly.aof.manifest"))
        .output()
        .expect("redis-check-aof");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn assert_check_aof_ok(dir: &Path) {
    let text = check_aof(dir);
    assert!(
        text.contains("All AOF files and manifest are valid"),
        "redis-check-aof rejected {}: {text}",
        dir.display()
    );
}

fn wait_rewrite(c: &mut Connection) {
    wait_until(20, || {
        info_field(c, "aof_rewrite_in_progress") == "0"
            && info_field(c, "aof_rewrite_scheduled") == "0"
    });
}

/// Waits until everything acknowledged was handed to the kernel (with `everysec` a SIGKILL
/// right after a reply may otherwise lose it).
fn settle(c: &mut Connection) {
    wait_until(5, || info_field(c, "aof_buffer_length") == "0");
}

/// Once the AOF has taken every write, a restart from it gives back the same content.
fn restart_keeps_content(n: Node, mut c: Connection, dir: &Path, args: &[&str]) {
    let expected = content(&mut c, None);
    settle(&mut c);
    drop(n);
    let n = Node::vigil(dir, args);
    assert_eq!(content(&mut n.conn(), None), expected);
}

fn log(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("vigil.log")).unwrap_or_default()
}

/// Writes that exercise the stream: transactions, database switches, relative TTLs, blocking
/// pops served later, expiry.
fn stream_writes(c: &mut Connection) {
    let _: () = q(c, &["SET", "counter", "10"]);
    for _ in 0..5 {
        let _: i64 = q(c, &["INCR", "counter"]);
    }
    let _: () = q(c, &["SET", "ttl", "x", "EX", "1000"]);
    let _: () = q(c, &["SET", "gone", "x", "PX", "1"]);
    let mut p = redis::pipe();
    p.atomic()
        .cmd("LPUSH")
        .arg("tx-list")
        .arg("a")
        .cmd("SELECT")
        .arg("5")
        .cmd("HSET")
        .arg("tx-hash")
        .arg("f")
        .arg("v");
    let _: redis::Value = p.query(c).expect("transaction");
    let _: () = q(c, &["SELECT", "0"]);
    let _: i64 = q(c, &["ZADD", "z", "1.25", "a", "-3", "b"]);
    let _: i64 = q(c, &["SADD", "s", "x", "y"]);
    let _: i64 = q(c, &["SETBIT", "bits", "100", "1"]);
    let _: i64 = q(c, &["PFADD", "hll", "a", "b", "c"]);
    let _: i64 = q(c, &["DEL", "tx-list"]);
    common::sleep_ms(5);
    let _: Option<String> = q(c, &["GET", "gone"]);
}

/// Restart after SHUTDOWN NOSAVE (everything written and fsynced) and after kill -9 (the
/// writer thread writes at once: the kernel keeps it), for each fsync policy.
#[test]
fn restart_keeps_data_with_each_fsync_policy() {
    for policy in ["always", "everysec", "no"] {
        for kill in [false, true] {
            let dir = Dir::new(&format!("restart-{policy}"));
            let args = [NO_RDB, &["--appendonly", "yes", "--appendfsync", policy]].concat();
            let mut n = Node::vigil(dir.path(), &args);
            let mut c = n.conn();
            fill_redis(&mut c);
            stream_writes(&mut c);
            let expected = content(&mut c, None);
            assert!(expected.len() > 20);
            if kill {
                // Let the writer thread catch up with the replies already received.
                settle(&mut c);
                let _ = n.child.kill();
                let _ = n.child.wait();
            } else {
                let _ = run(&mut c, &["SHUTDOWN", "NOSAVE"]);
                n.wait_exit(10);
            }
            assert!(!dir.file("dump.rdb").exists(), "no RDB involved");
            let n2 = Node::vigil(dir.path(), &args);
            let mut c2 = n2.conn();
            // Compared key by key: a whole-map diff would be unreadable.
            let got = content(&mut c2, None);
            assert_eq!(
                got.keys().collect::<Vec<_>>(),
                expected.keys().collect::<Vec<_>>(),
                "{policy} kill={kill}"
            );
            assert!(got == expected, "{policy} kill={kill}: values differ");
            assert_eq!(info_field(&mut c2, "aof_enabled"), "1");
            assert_check_aof_ok(dir.path());
        }
    }
}

/// BGREWRITEAOF: a new incr file at once, a new base, history deleted, the manifest swapped;
/// restart loads base + incr. Both base formats.
#[test]
fn bgrewriteaof_then_restart() {
    for preamble in ["yes", "no"] {
        let dir = Dir::new(&format!("rewrite-{preamble}"));
        let args = [
            NO_RDB,
            &["--appendonly", "yes", "--aof-use-rdb-preamble", preamble],
        ]
        .concat();
        let n = Node::vigil(dir.path(), &args);
        let mut c = n.conn();
        fill_redis(&mut c);
        let ext = if preamble == "yes" { "rdb" } else { "aof" };
        assert_eq!(
            manifest(dir.path()),
            format!(
                "file appendonly.aof.1.base.{ext} seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
            )
        );
        let reply: String = q(&mut c, &["BGREWRITEAOF"]);
        assert_eq!(reply, "Background append only file rewriting started");
        wait_rewrite(&mut c);
        assert_eq!(
            manifest(dir.path()),
            format!(
                "file appendonly.aof.2.base.{ext} seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n"
            )
        );
        assert_eq!(
            aof_files(dir.path()),
            vec![
                format!("appendonly.aof.2.base.{ext}"),
                "appendonly.aof.2.incr.aof".to_string(),
                "appendonly.aof.manifest".to_string()
            ],
            "history files are deleted"
        );
        assert_eq!(info_field(&mut c, "aof_rewrites"), "1");
        assert_eq!(info_field(&mut c, "aof_last_bgrewrite_status"), "ok");
        let base: u64 = info_field(&mut c, "aof_base_size").parse().unwrap_or(0);
        assert!(base > 1000, "aof_base_size {base}");
        stream_writes(&mut c);
        let expected = content(&mut c, None);
        let _ = run(&mut c, &["SHUTDOWN", "NOSAVE"]);
        drop(n);
        assert_check_aof_ok(dir.path());
        let n2 = Node::vigil(dir.path(), &args);
        let mut c2 = n2.conn();
        assert_eq!(content(&mut c2, None), expected, "preamble {preamble}");
    }
}

/// CONFIG SET appendonly yes on a running server starts a rewrite that creates the base (the
/// temporary incr file becomes the first incr file); `no` stops the AOF.
#[test]
fn config_set_appendonly_at_runtime() {
    let dir = Dir::new("runtime");
    let n = Node::vigil(dir.path(), NO_RDB);
    let mut c = n.conn();
    fill_redis(&mut c);
    assert_eq!(info_field(&mut c, "aof_enabled"), "0");
    assert!(!aof_dir(dir.path()).exists());
    let _: () = q(&mut c, &["CONFIG", "SET", "appendonly", "yes"]);
    assert_eq!(info_field(&mut c, "aof_enabled"), "1");
    stream_writes(&mut c);
    wait_rewrite(&mut c);
    assert_eq!(
        manifest(dir.path()),
        "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
    );
    stream_writes(&mut c);
    let expected = content(&mut c, None);
    let _ = run(&mut c, &["SHUTDOWN", "NOSAVE"]);
    drop(n);
    let n2 = Node::vigil(dir.path(), &[NO_RDB, &["--appendonly", "yes"]].concat());
    let mut c2 = n2.conn();
    assert_eq!(content(&mut c2, None), expected);
    // Off again: nothing more is appended.
    let _: () = q(&mut c2, &["CONFIG", "SET", "appendonly", "no"]);
    assert_eq!(info_field(&mut c2, "aof_enabled"), "0");
    let size = std::fs::metadata(aof_dir(dir.path()).join("appendonly.aof.1.incr.aof"))
        .map(|m| m.len())
        .unwrap_or(0);
    let _: () = q(&mut c2, &["SET", "after-off", "1"]);
    common::sleep_ms(200);
    let size2 = std::fs::metadata(aof_dir(dir.path()).join("appendonly.aof.1.incr.aof"))
        .map(|m| m.len())
        .unwrap_or(0);
    assert_eq!(size, size2);
    // BGREWRITEAOF with the AOF off still writes a base, every incr file becomes history.
    let _: String = q(&mut c2, &["BGREWRITEAOF"]);
    wait_rewrite(&mut c2);
    assert_eq!(
        manifest(dir.path()),
        "file appendonly.aof.2.base.rdb seq 2 type b\n"
    );
}

/// A Redis 7.0 appendonlydir (RDB-preamble base or command base, plus an incr file) loads in
/// vigil with the same content; ours passes redis-check-aof and loads in redis-server.
#[test]
fn appendonlydir_exchanged_with_redis() {
    if !redis_available() {
        return;
    }
    for preamble in ["yes", "no"] {
        let args = [
            NO_RDB,
            &["--appendonly", "yes", "--aof-use-rdb-preamble", preamble],
        ]
        .concat();
        let rdir = Dir::new("from-redis");
        let r = Node::redis(rdir.path(), &args);
        let mut rc = r.conn();
        fill_redis(&mut rc);
        let _: String = q(&mut rc, &["BGREWRITEAOF"]);
        wait_rewrite(&mut rc);
        stream_writes(&mut rc);
        let expected = content(&mut rc, None);
        let _ = run(&mut rc, &["SHUTDOWN", "NOSAVE"]);
        drop(r);
        let vdir = Dir::new("to-vigil");
        copy_dir(&aof_dir(rdir.path()), &aof_dir(vdir.path()));
        let v = Node::vigil(vdir.path(), &args);
        let mut vc = v.conn();
        assert_eq!(
            content(&mut vc, None),
            expected,
            "vigil loading redis's AOF"
        );
        // Ours, after more writes and a rewrite, back to Redis.
        let _: String = q(&mut vc, &["BGREWRITEAOF"]);
        wait_rewrite(&mut vc);
        let _: () = q(&mut vc, &["SET", "written-by", "vigil"]);
        let _: i64 = q(&mut vc, &["RPUSH", "list:small", "more"]);
        let expected = content(&mut vc, None);
        let _ = run(&mut vc, &["SHUTDOWN", "NOSAVE"]);
        drop(v);
        assert_check_aof_ok(vdir.path());
        let r2dir = Dir::new("back-to-redis");
        copy_dir(&aof_dir(vdir.path()), &aof_dir(r2dir.path()));
        let r2 = Node::redis(r2dir.path(), &args);
        let mut r2c = r2.conn();
        assert_eq!(
            content(&mut r2c, None),
            expected,
            "redis loading vigil's AOF"
        );
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read dir").flatten() {
        std::fs::copy(e.path(), to.join(e.file_name())).expect("copy");
    }
}

/// Makes an AOF with vigil and returns the path of its incr file.
fn make_aof(dir: &Path) -> PathBuf {
    let args = [NO_RDB, &["--appendonly", "yes"]].concat();
    let n = Node::vigil(dir, &args);
    let mut c = n.conn();
    for i in 0..5 {
        let _: i64 = q(&mut c, &["INCR", "foo"]);
        let _: () = q(&mut c, &["SET", &format!("k{i}"), "v"]);
    }
    let _ = run(&mut c, &["SHUTDOWN", "NOSAVE"]);
    drop(n);
    aof_dir(dir).join("appendonly.aof.1.incr.aof")
}

/// A crash in the middle of a write leaves half a command: cut off and logged with
/// `aof-load-truncated yes`, refused (naming the file and offset) with `no`.
#[test]
fn truncated_tail() {
    let dir = Dir::new("truncated");
    let incr = make_aof(dir.path());
    let good = std::fs::metadata(&incr).expect("incr").len();
    let mut data = std::fs::read(&incr).expect("read");
    data.extend_from_slice(b"*2\r\n$4\r\nINCR\r\n$3\r\nfo");
    std::fs::write(&incr, &data).expect("write");
    // Refused.
    let (_, child) = Node::spawn_vigil(
        dir.path(),
        &[
            NO_RDB,
            &["--appendonly", "yes", "--aof-load-truncated", "no"],
        ]
        .concat(),
    );
    let mut n = Node { port: 0, child };
    assert_eq!(n.wait_exit(10), Some(1));
    let text = log(dir.path());
    assert!(
        text.contains(
            "Unexpected end of file reading the append only file appendonly.aof.1.incr.aof"
        ) && text.contains(&format!("offset {good}")),
        "{text}"
    );
    // Truncated and loaded.
    let args = [
        NO_RDB,
        &["--appendonly", "yes", "--aof-load-truncated", "yes"],
    ]
    .concat();
    let n = Node::vigil(dir.path(), &args);
    let mut c = n.conn();
    assert_eq!(q::<String>(&mut c, &["GET", "foo"]), "5");
    assert!(log(dir.path()).contains(&format!(
        "Truncating the AOF appendonly.aof.1.incr.aof at offset {good}"
    )));
    assert_eq!(std::fs::metadata(&incr).expect("incr").len(), good);
    let _: i64 = q(&mut c, &["INCR", "foo"]);
    settle(&mut c);
    drop(n);
    let n = Node::vigil(dir.path(), &args);
    assert_eq!(q::<String>(&mut n.conn(), &["GET", "foo"]), "6");
}

/// An unterminated MULTI at the end is dropped; a truncated file that is not the last one and
/// garbage in the middle are start-up errors naming the file and offset.
#[test]
fn corrupt_files_are_startup_errors() {
    let dir = Dir::new("corrupt");
    let incr = make_aof(dir.path());
    let clean = std::fs::read(&incr).expect("read");
    let args = [NO_RDB, &["--appendonly", "yes"]].concat();
    // Unfinished transaction.
    let mut data = clean.clone();
    data.extend_from_slice(b"*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$3\r\nbar\r\n$1\r\nx\r\n");
    std::fs::write(&incr, &data).expect("write");
    let n = Node::vigil(dir.path(), &args);
    let mut c = n.conn();
    assert_eq!(q::<Option<String>>(&mut c, &["GET", "bar"]), None);
    assert!(log(dir.path()).contains("Revert incomplete MULTI/EXEC transaction"));
    drop(n);
    assert_eq!(std::fs::read(&incr).expect("read"), clean);
    // Garbage in the middle.
    let cut = clean.len() / 2;
    let at = clean[cut..]
        .windows(3)
        .position(|w| w == b"\r\n*")
        .map(|p| cut + p + 2)
        .expect("a command boundary");
    let mut data = clean[..at].to_vec();
    data.extend_from_slice(b"!!!\r\n");
    data.extend_from_slice(&clean[at..]);
    std::fs::write(&incr, &data).expect("write");
    let _ = std::fs::remove_file(dir.file("vigil.log"));
    let (_, child) = Node::spawn_vigil(dir.path(), &args);
    let mut n = Node { port: 0, child };
    assert_eq!(n.wait_exit(10), Some(1));
    let text = log(dir.path());
    assert!(
        text.contains(&format!(
            "Bad file format reading the append only file appendonly.aof.1.incr.aof at offset {at}"
        )),
        "{text}"
    );
    // A manifest naming a missing file.
    std::fs::write(&incr, &clean).expect("write");
    std::fs::write(
        aof_dir(dir.path()).join("appendonly.aof.manifest"),
        "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\nfile appendonly.aof.2.incr.aof seq 2 type i\n",
    )
    .expect("write");
    let (_, child) = Node::spawn_vigil(dir.path(), &args);
    let mut n = Node { port: 0, child };
    assert_eq!(n.wait_exit(10), Some(1));
    assert!(log(dir.path()).contains("appendonly.aof.2.incr.aof"));
    // A damaged manifest.
    std::fs::write(
        aof_dir(dir.path()).join("appendonly.aof.manifest"),
        "file appendonly.aof.1.incr.aof seq 1\n",
    )
    .expect("write");
    let (_, child) = Node::spawn_vigil(dir.path(), &args);
    let mut n = Node { port: 0, child };
    assert_eq!(n.wait_exit(10), Some(1));
    assert!(log(dir.path()).contains("Invalid AOF manifest file format"));
}

/// An old single `appendonly.aof` in `dir` is moved into the AOF directory and loaded.
#[test]
fn old_single_file_is_upgraded() {
    let dir = Dir::new("upgrade");
    let mut old = Vec::new();
    for (k, v) in [("a", "1"), ("b", "2")] {
        old.extend_from_slice(
            format!(
                "*3\r\n$3\r\nSET\r\n${}\r\n{k}\r\n${}\r\n{v}\r\n",
                k.len(),
                v.len()
            )
            .as_bytes(),
        );
    }
    std::fs::write(dir.file("appendonly.aof"), &old).expect("write");
    let n = Node::vigil(dir.path(), &[NO_RDB, &["--appendonly", "yes"]].concat());
    let mut c = n.conn();
    assert_eq!(
        q::<Vec<String>>(&mut c, &["MGET", "a", "b"]),
        vec!["1", "2"]
    );
    assert!(!dir.file("appendonly.aof").exists());
    assert_eq!(
        manifest(dir.path()),
        "file appendonly.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
    );
    assert!(log(dir.path()).contains("Successfully migrated an old-style AOF file"));
}

/// INFO persistence aof_* fields, BGREWRITEAOF/BGSAVE interplay and their replies.
#[test]
fn rewrite_and_bgsave_interplay() {
    let dir = Dir::new("interplay");
    let args = [NO_RDB, &["--appendonly", "yes"]].concat();
    let n = Node::vigil(dir.path(), &args);
    let mut c = n.conn();
    let info: String = q(&mut c, &["INFO", "persistence"]);
    for f in [
        "aof_enabled:1",
        "aof_rewrite_in_progress:0",
        "aof_rewrite_scheduled:0",
        "aof_last_rewrite_time_sec:-1",
        "aof_current_rewrite_time_sec:-1",
        "aof_last_bgrewrite_status:ok",
        "aof_rewrites:0",
        "aof_rewrites_consecutive_failures:0",
        "aof_last_write_status:ok",
        "aof_last_cow_size:0",
        "module_fork_in_progress:0",
        "module_fork_last_cow_size:0",
        "aof_current_size:",
        "aof_base_size:",
        "aof_pending_rewrite:0",
        "aof_buffer_length:0",
        "aof_pending_bio_fsync:",
        "aof_delayed_fsync:0",
    ] {
        assert!(info.contains(f), "missing {f} in {info}");
    }
    let _: () = q(&mut c, &["DEBUG", "POPULATE", "2000"]);
    // Slow snapshots: 2000 keys at 1 ms.
    let _: () = q(&mut c, &["CONFIG", "SET", "rdb-key-save-delay", "1000"]);
    let _: String = q(&mut c, &["BGREWRITEAOF"]);
    assert_eq!(info_field(&mut c, "aof_rewrite_in_progress"), "1");
    assert_eq!(info_field(&mut c, "rdb_bgsave_in_progress"), "0");
    assert_eq!(
        q_err(&mut c, &["BGREWRITEAOF"]),
        "ERR Background append only file rewriting already in progress"
    );
    assert_eq!(
        q_err(&mut c, &["BGSAVE"]),
        "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible."
    );
    assert_eq!(
        q::<String>(&mut c, &["BGSAVE", "SCHEDULE"]),
        "Background saving scheduled"
    );
    // Writes during the rewrite land in the new incr file.
    let _: () = q(&mut c, &["SET", "during", "rewrite"]);
    let _: () = q(&mut c, &["CONFIG", "SET", "rdb-key-save-delay", "0"]);
    wait_rewrite(&mut c);
    wait_until(20, || {
        info_field(&mut c, "rdb_bgsave_in_progress") == "0" && dir.file("dump.rdb").exists()
    });
    // BGREWRITEAOF during a BGSAVE is scheduled, and runs after it.
    let _: () = q(&mut c, &["CONFIG", "SET", "rdb-key-save-delay", "1000"]);
    let _: String = q(&mut c, &["BGSAVE"]);
    assert_eq!(
        q::<String>(&mut c, &["BGREWRITEAOF"]),
        "Background append only file rewriting scheduled"
    );
    assert_eq!(info_field(&mut c, "aof_rewrite_scheduled"), "1");
    let _: () = q(&mut c, &["CONFIG", "SET", "rdb-key-save-delay", "0"]);
    wait_until(20, || info_field(&mut c, "aof_rewrites") == "2");
    wait_rewrite(&mut c);
    restart_keeps_content(n, c, dir.path(), &args);
}

/// `aof-timestamp-enabled` writes `#TS:` annotations, which loading skips.
#[test]
fn timestamp_annotations() {
    let dir = Dir::new("timestamps");
    let args = [
        NO_RDB,
        &["--appendonly", "yes", "--aof-timestamp-enabled", "yes"],
    ]
    .concat();
    let n = Node::vigil(dir.path(), &args);
    let mut c = n.conn();
    let _: () = q(&mut c, &["SET", "a", "1"]);
    let _ = run(&mut c, &["SHUTDOWN", "NOSAVE"]);
    drop(n);
    let incr = std::fs::read_to_string(aof_dir(dir.path()).join("appendonly.aof.1.incr.aof"))
        .expect("incr");
    assert!(incr.starts_with("#TS:"), "{incr:?}");
    assert_check_aof_ok(dir.path());
    let n = Node::vigil(dir.path(), &args);
    assert_eq!(q::<String>(&mut n.conn(), &["GET", "a"]), "1");
}

/// A write error (the incr file is /dev/full) refuses writes with MISCONF as Redis does, and
/// the next incr file clears it.
#[test]
fn write_errors_refuse_writes() {
    if !Path::new("/dev/full").exists() {
        return;
    }
    let dir = Dir::new("enospc");
    let args = [NO_RDB, &["--appendonly", "yes"]].concat();
    let n = Node::vigil(dir.path(), &args);
    let mut c = n.conn();
    let _: () = q(&mut c, &["SET", "before", "1"]);
    // The rewrite's new incr file will be seq 2.
    std::os::unix::fs::symlink(
        "/dev/full",
        aof_dir(dir.path()).join("appendonly.aof.2.incr.aof"),
    )
    .expect("symlink");
    let _: String = q(&mut c, &["BGREWRITEAOF"]);
    wait_rewrite(&mut c);
    let _: () = q(&mut c, &["SET", "k", "v"]);
    wait_until(5, || info_field(&mut c, "aof_last_write_status") == "err");
    assert_eq!(
        q_err(&mut c, &["SET", "k2", "v"]),
        "MISCONF Errors writing to the AOF file: No space left on device"
    );
    assert!(q_err(&mut c, &["PING"]).starts_with("MISCONF"));
    let _: String = q(&mut c, &["GET", "k"]);
    // A new incr file (seq 3, a regular file) takes the pending data: writes work again.
    let _: String = q(&mut c, &["BGREWRITEAOF"]);
    wait_rewrite(&mut c);
    wait_until(5, || info_field(&mut c, "aof_last_write_status") == "ok");
    let _: () = q(&mut c, &["SET", "k2", "v"]);
    restart_keeps_content(n, c, dir.path(), &args);
}

/// A replica appends what it applies from its master; after a full sync its AOF is rebuilt
/// from the received dataset.
#[test]
fn replica_appends_the_master_stream() {
    let mdir = Dir::new("master");
    let m = Node::vigil(mdir.path(), NO_RDB);
    let mut mc = m.conn();
    let _: () = q(&mut mc, &["SET", "before-sync", "1"]);
    let rdir = Dir::new("replica");
    let port = m.port.to_string();
    let args = [
        NO_RDB,
        &["--appendonly", "yes", "--replicaof", "127.0.0.1", &port],
    ]
    .concat();
    let r = Node::vigil(rdir.path(), &args);
    let mut rc = r.conn();
    wait_until(20, || {
        common::info::info_field(&mut rc, "replication", "master_link_status").as_deref()
            == Some("up")
    });
    wait_rewrite(&mut rc);
    let _: () = q(&mut mc, &["SET", "after-sync", "2"]);
    let _: i64 = q(&mut mc, &["RPUSH", "l", "a", "b"]);
    let _: () = q(&mut mc, &["SELECT", "3"]);
    let _: () = q(&mut mc, &["SET", "in-db3", "x"]);
    wait_until(10, || {
        let _: () = q(&mut rc, &["SELECT", "3"]);
        let v: Option<String> = q(&mut rc, &["GET", "in-db3"]);
        v.is_some()
    });
    let _: () = q(&mut rc, &["SELECT", "0"]);
    let expected = content(&mut rc, None);
    assert!(expected.contains_key("0/after-sync") && expected.contains_key("0/before-sync"));
    drop(m);
    let _ = run(&mut rc, &["SHUTDOWN", "NOSAVE"]);
    drop(r);
    assert_check_aof_ok(rdir.path());
    // Loaded as a standalone node: the AOF alone holds the data.
    let r2 = Node::vigil(rdir.path(), &[NO_RDB, &["--appendonly", "yes"]].concat());
    assert_eq!(content(&mut r2.conn(), None), expected);
}

/// FLUSHALL during a rewrite keeps the rewrite going (its base is the snapshot from before the
/// flush, the flush is in the new incr file); DEBUG LOADAOF reloads what the AOF holds.
#[test]
fn flushall_during_rewrite_and_debug_loadaof() {
    let dir = Dir::new("flushall");
    let args = [NO_RDB, &["--appendonly", "yes"]].concat();
    let n = Node::vigil(dir.path(), &args);
    let mut c = n.conn();
    fill_redis(&mut c);
    let _: () = q(&mut c, &["CONFIG", "SET", "rdb-key-save-delay", "500"]);
    let _: String = q(&mut c, &["BGREWRITEAOF"]);
    let _: () = q(&mut c, &["FLUSHALL"]);
    assert_eq!(info_field(&mut c, "aof_rewrite_in_progress"), "1");
    let _: () = q(&mut c, &["SET", "after-flush", "1"]);
    let _: () = q(&mut c, &["CONFIG", "SET", "rdb-key-save-delay", "0"]);
    wait_rewrite(&mut c);
    assert_eq!(info_field(&mut c, "aof_last_bgrewrite_status"), "ok");
    let expected = content(&mut c, None);
    assert_eq!(expected.len(), 1);
    // The keyspace as the AOF has it, loaded in place.
    let _: () = q(&mut c, &["DEBUG", "LOADAOF"]);
    assert_eq!(content(&mut c, None), expected);
    drop(n);
    let n = Node::vigil(dir.path(), &args);
    assert_eq!(content(&mut n.conn(), None), expected);
}

/// `auto-aof-rewrite-percentage` / `-min-size` start a rewrite when the AOF has grown enough.
#[test]
fn automatic_rewrite_on_growth() {
    let dir = Dir::new("auto");
    let args = [
        NO_RDB,
        &[
            "--appendonly",
            "yes",
            "--auto-aof-rewrite-percentage",
            "100",
            "--auto-aof-rewrite-min-size",
            "64kb",
        ],
    ]
    .concat();
    let n = Node::vigil(dir.path(), &args);
    let mut c = n.conn();
    let value = "x".repeat(1000);
    for i in 0..100 {
        let _: () = q(&mut c, &["SET", &format!("k{}", i % 10), &value]);
    }
    wait_until(10, || info_field(&mut c, "aof_rewrites") == "1");
    wait_rewrite(&mut c);
    assert!(log(dir.path()).contains("Starting automatic rewriting of AOF on"));
    // After the rewrite the base holds 10 keys: far smaller than what was appended.
    let size: u64 = info_field(&mut c, "aof_current_size").parse().unwrap_or(0);
    assert!(size < 64 * 1024, "aof_current_size {size}");
    assert_eq!(info_field(&mut c, "aof_base_size"), size.to_string());
}

/// While the AOF loads, INFO shows `loading:1` with the progress and commands get -LOADING.
#[test]
fn loading_progress() {
    let dir = Dir::new("loading");
    let args = [NO_RDB, &["--appendonly", "yes"]].concat();
    let n = Node::vigil(dir.path(), &args);
    let mut c = n.conn();
    let mut p = redis::pipe();
    for i in 0..10000 {
        p.cmd("SET").arg(format!("k{i}")).arg(i).ignore();
    }
    let _: () = p.query(&mut c).expect("fill");
    let _ = run(&mut c, &["SHUTDOWN", "NOSAVE"]);
    drop(n);
    // 10000 commands at 150 µs: about 1.5 s of loading, in batches of 1024 commands.
    let (port, child) = Node::spawn_vigil(
        dir.path(),
        &[&args[..], &["--key-load-delay", "150"]].concat(),
    );
    let n = Node { port, child };
    n.wait_ready();
    let mut c = n.conn();
    let mut seen = Vec::new();
    let mut refused = Vec::new();
    wait_until(20, || {
        let loading = info_field(&mut c, "loading");
        if loading == "1" {
            if let Err(e) = run(&mut c, &["GET", "k1"]) {
                refused.push(e.code().unwrap_or("").to_string());
            }
            let loaded: u64 = info_field(&mut c, "loading_loaded_bytes")
                .parse()
                .unwrap_or(0);
            let total: u64 = info_field(&mut c, "loading_total_bytes")
                .parse()
                .unwrap_or(0);
            seen.push((loaded, total));
        }
        loading == "0"
    });
    // Each INFO waits for the batch of commands running (about 150 ms here).
    assert!(!seen.is_empty(), "loading:1 was never seen");
    assert!(
        seen.iter()
            .all(|(loaded, total)| *total > 100_000 && loaded <= total),
        "{seen:?}"
    );
    assert!(seen.windows(2).all(|w| w[0].0 <= w[1].0), "{seen:?}");
    assert!(refused.iter().any(|c| c == "LOADING"), "{refused:?}");

    assert_eq!(q::<i64>(&mut c, &["DBSIZE"]), 10000);
}
