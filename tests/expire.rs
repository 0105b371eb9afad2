//! Key expiry against the real binary, following Redis 7.0's tests/unit/expire.tcl.

mod common;

use std::time::Duration;

use common::info::info_field;
use common::{DEBUG, Server, q, q_err, sleep_ms, wait_for};

fn unix_now(c: &mut redis::Connection) -> i64 {
    q::<Vec<i64>>(c, &["TIME"])[0]
}

#[test]
fn expire_basics_ttl_pttl_persist() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let _: () = q(&mut c, &["SET", "x", "foobar"]);
    assert_eq!(q::<i64>(&mut c, &["EXPIRE", "x", "5"]), 1);
    assert!((4..=5).contains(&q::<i64>(&mut c, &["TTL", "x"])));
    assert_eq!(q::<i64>(&mut c, &["EXPIRE", "x", "10"]), 1);
    assert_eq!(q::<i64>(&mut c, &["TTL", "x"]), 10);
    assert_eq!(q::<String>(&mut c, &["GET", "x"]), "foobar");
    // Writes keep the TTL.
    let _: () = q(&mut c, &["APPEND", "x", "!"]);
    assert_eq!(q::<i64>(&mut c, &["TTL", "x"]), 10);
    assert_eq!(q::<i64>(&mut c, &["EXPIRE", "nokey", "10"]), 0);
    assert_eq!(q::<i64>(&mut c, &["TTL", "nokey"]), -2);
    assert_eq!(q::<i64>(&mut c, &["PTTL", "nokey"]), -2);
    let _: () = q(&mut c, &["SET", "p", "v"]);
    assert_eq!(q::<i64>(&mut c, &["TTL", "p"]), -1);
    assert_eq!(q::<i64>(&mut c, &["PTTL", "p"]), -1);
    // PTTL is in milliseconds.
    let _: () = q(&mut c, &["SETEX", "s", "1", "v"]);
    let pttl = q::<i64>(&mut c, &["PTTL", "s"]);
    assert!(pttl > 900 && pttl <= 1000, "pttl {pttl}");
    // PERSIST.
    let _: () = q(&mut c, &["SET", "x", "foo"]);
    let _: () = q(&mut c, &["EXPIRE", "x", "50"]);
    assert_eq!(q::<i64>(&mut c, &["TTL", "x"]), 50);
    assert_eq!(q::<i64>(&mut c, &["PERSIST", "x"]), 1);
    assert_eq!(q::<i64>(&mut c, &["TTL", "x"]), -1);
    assert_eq!(q::<String>(&mut c, &["GET", "x"]), "foo");
    assert_eq!(q::<i64>(&mut c, &["PERSIST", "x"]), 0);
    assert_eq!(q::<i64>(&mut c, &["PERSIST", "nokey"]), 0);
    // EXPIREAT / PEXPIREAT and the *TIME readers.
    let now = unix_now(&mut c);
    assert_eq!(
        q::<i64>(&mut c, &["EXPIREAT", "x", &(now + 15).to_string()]),
        1
    );
    assert!((14..=15).contains(&q::<i64>(&mut c, &["TTL", "x"])));
    assert_eq!(q::<i64>(&mut c, &["EXPIRETIME", "x"]), now + 15);
    assert_eq!(q::<i64>(&mut c, &["PEXPIRETIME", "x"]), (now + 15) * 1000);
    let at = (now + 20) * 1000 + 123;
    assert_eq!(q::<i64>(&mut c, &["PEXPIREAT", "x", &at.to_string()]), 1);
    assert_eq!(q::<i64>(&mut c, &["PEXPIRETIME", "x"]), at);
    assert_eq!(q::<i64>(&mut c, &["EXPIRETIME", "x"]), now + 20);
    assert_eq!(q::<i64>(&mut c, &["EXPIRETIME", "p"]), -1);
    assert_eq!(q::<i64>(&mut c, &["PEXPIRETIME", "p"]), -1);
    assert_eq!(q::<i64>(&mut c, &["EXPIRETIME", "nokey"]), -2);
    assert_eq!(q::<i64>(&mut c, &["PEXPIRETIME", "nokey"]), -2);
    // SET drops the TTL; KEEPTTL keeps it.
    let _: () = q(&mut c, &["SET", "foo", "bar", "EX", "100"]);
    let _: () = q(&mut c, &["SET", "foo", "bar"]);
    assert_eq!(q::<i64>(&mut c, &["TTL", "foo"]), -1);
    let _: () = q(&mut c, &["SET", "foo", "bar", "EX", "100"]);
    let _: () = q(&mut c, &["SET", "foo", "bar", "KEEPTTL"]);
    assert!((99..=100).contains(&q::<i64>(&mut c, &["TTL", "foo"])));
    // Five keys in, five keys out.
    let _: () = q(&mut c, &["FLUSHDB"]);
    let _: () = q(&mut c, &["SET", "a", "c"]);
    let _: () = q(&mut c, &["EXPIRE", "a", "5"]);
    for k in ["t", "e", "s", "foo"] {
        let _: () = q(&mut c, &["SET", k, "c"]);
    }
    let mut keys: Vec<String> = q(&mut c, &["KEYS", "*"]);
    keys.sort();
    assert_eq!(keys, vec!["a", "e", "foo", "s", "t"]);
}

#[test]
fn expire_sub_second_precision_and_lazy_access() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let _: () = q(&mut c, &["PSETEX", "x", "600", "somevalue"]);
    let _: () = q(&mut c, &["SET", "y", "somevalue"]);
    let _: () = q(&mut c, &["PEXPIRE", "y", "600"]);
    let _: () = q(&mut c, &["SET", "z", "somevalue"]);
    let now: Vec<i64> = q(&mut c, &["TIME"]);
    let at = now[0] * 1000 + now[1] / 1000 + 600;
    let _: () = q(&mut c, &["PEXPIREAT", "z", &at.to_string()]);
    sleep_ms(100);
    for k in ["x", "y", "z"] {
        assert_eq!(
            q::<Option<String>>(&mut c, &["GET", k]),
            Some("somevalue".into())
        );
    }
    sleep_ms(700);
    for k in ["x", "y", "z"] {
        assert_eq!(q::<Option<String>>(&mut c, &["GET", k]), None, "{k}");
        assert_eq!(q::<i64>(&mut c, &["EXISTS", k]), 0);
    }
}

#[test]
fn expire_conditional_options() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    // NX
    let _: () = q(&mut c, &["SET", "foo", "bar", "EX", "100"]);
    assert_eq!(q::<i64>(&mut c, &["EXPIRE", "foo", "200", "NX"]), 0);
    assert!((50..=100).contains(&q::<i64>(&mut c, &["TTL", "foo"])));
    let _: () = q(&mut c, &["SET", "foo", "bar"]);
    assert_eq!(q::<i64>(&mut c, &["EXPIRE", "foo", "200", "NX"]), 1);
    assert!((100..=200).contains(&q::<i64>(&mut c, &["TTL", "foo"])));
    // XX
    let _: () = q(&mut c, &["SET", "foo", "bar", "EX", "100"]);
    assert_eq!(q::<i64>(&mut c, &["EXPIRE", "foo", "200", "XX"]), 1);
    assert!((100..=200).contains(&q::<i64>(&mut c, &["TTL", "foo"])));
    let _: () = q(&mut c, &["SET", "foo", "bar"]);
    assert_eq!(q::<i64>(&mut c, &["EXPIRE", "foo", "200", "XX"]), 0);
    assert_eq!(q::<i64>(&mut c, &["TTL", "foo"]), -1);
    // GT: a key without TTL has an infinite one, so GT never applies to it.
    let _: () = q(&mut c, &["SET", "foo", "bar", "EX", "100"]);
    assert_eq!(q::<i64>(&mut c, &["EXPIRE", "foo", "200", "GT"]), 1);
    assert!((100..=200).contains(&q::<i64>(&mut c, &["TTL", "foo"])));
    assert_eq!(q::<i64>(&mut c, &["EXPIRE", "foo", "50", "GT"]), 0);
    assert_eq!(q::<i64>(&mut c, &["EXPIRE", "foo", "150", "GT"]), 0);
    assert!((100..=200).contains(&q::<i64>(&mut c, &["TTL", "foo"])));
    let _: () = q(&mut c, &["SET", "foo", "bar"]);
    assert_eq!(q::<i64>(&mut c, &["EXPIRE", "foo", "200", "GT"]), 0);
    assert_eq!(q::<i64>(&mut c, &["TTL", "foo"]), -1);
    // LT: always applies to a key without TTL.
    let _: () = q(&mut c, &["SET", "foo", "bar", "EX", "100"]);
    assert_eq!(q::<i64>(&mut c, &["EXPIRE", "foo", "200", "LT"]), 0);
    assert_eq!(q::<i64>(&mut c, &["EXPIRE", "foo", "50", "LT"]), 1);
    assert!((40..=50).contains(&q::<i64>(&mut c, &["TTL", "foo"])));
    let _: () = q(&mut c, &["SET", "foo", "bar"]);
    assert_eq!(q::<i64>(&mut c, &["EXPIRE", "foo", "100", "LT"]), 1);
    assert!((50..=100).contains(&q::<i64>(&mut c, &["TTL", "foo"])));
    // LT + XX.
    let _: () = q(&mut c, &["SET", "foo", "bar", "EX", "200"]);
    assert_eq!(q::<i64>(&mut c, &["EXPIRE", "foo", "100", "LT", "XX"]), 1);
    assert!((50..=100).contains(&q::<i64>(&mut c, &["TTL", "foo"])));
    let _: () = q(&mut c, &["SET", "foo", "bar"]);
    assert_eq!(q::<i64>(&mut c, &["EXPIRE", "foo", "200", "LT", "XX"]), 0);
    assert_eq!(q::<i64>(&mut c, &["TTL", "foo"]), -1);
    // GT + XX, lower case, and the other commands.
    let _: () = q(&mut c, &["SET", "foo", "bar", "EX", "100"]);
    assert_eq!(
        q::<i64>(&mut c, &["PEXPIRE", "foo", "200000", "gt", "xx"]),
        1
    );
    let now = unix_now(&mut c);
    assert_eq!(
        q::<i64>(&mut c, &["EXPIREAT", "foo", &(now + 10).to_string(), "LT"]),
        1
    );
    assert_eq!(
        q::<i64>(&mut c, &["EXPIREAT", "foo", &(now + 20).to_string(), "LT"]),
        0
    );
    let at = ((now + 30) * 1000).to_string();
    assert_eq!(q::<i64>(&mut c, &["PEXPIREAT", "foo", &at, "NX"]), 0);
    assert_eq!(q::<i64>(&mut c, &["PEXPIREAT", "foo", &at, "GT"]), 1);
    assert_eq!(q::<i64>(&mut c, &["EXPIRETIME", "foo"]), now + 30);
    // Missing key.
    for opt in ["NX", "XX", "GT", "LT"] {
        assert_eq!(q::<i64>(&mut c, &["EXPIRE", "none", "100", opt]), 0);
    }
    // Conflicts and unknown options (checked before the key and the time).
    for (args, err) in [
        (
            vec!["EXPIRE", "foo", "200", "GT", "LT"],
            "ERR GT and LT options at the same time are not compatible",
        ),
        (
            vec!["EXPIRE", "foo", "200", "NX", "GT"],
            "ERR NX and XX, GT or LT options at the same time are not compatible",
        ),
        (
            vec!["EXPIRE", "foo", "200", "NX", "XX"],
            "ERR NX and XX, GT or LT options at the same time are not compatible",
        ),
        (
            vec!["EXPIRE", "foo", "200", "LT", "NX"],
            "ERR NX and XX, GT or LT options at the same time are not compatible",
        ),
        (
            vec!["EXPIRE", "foo", "200", "AB"],
            "ERR Unsupported option AB",
        ),
        (
            vec!["EXPIRE", "none", "200", "AB"],
            "ERR Unsupported option AB",
        ),
        (
            vec!["EXPIRE", "foo", "abc", "AB"],
            "ERR Unsupported option AB",
        ),
        (
            vec!["PEXPIRE", "foo", "200", "NX", "NX", "XX"],
            "ERR NX and XX, GT or LT options at the same time are not compatible",
        ),
    ] {
        assert_eq!(q_err(&mut c, &args), err, "{args:?}");
    }
    // Negative times delete the key, even with LT, volatile or not.
    let _: () = q(&mut c, &["SET", "foo", "bar", "EX", "100"]);
    assert_eq!(q::<i64>(&mut c, &["EXPIRE", "foo", "-10", "LT"]), 1);
    assert_eq!(q::<i64>(&mut c, &["TTL", "foo"]), -2);
    let _: () = q(&mut c, &["SET", "foo", "bar"]);
    assert_eq!(q::<i64>(&mut c, &["EXPIRE", "foo", "-10", "LT"]), 1);
    assert_eq!(q::<i64>(&mut c, &["TTL", "foo"]), -2);
}

#[test]
fn expire_negative_and_overflow() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let _: () = q(&mut c, &["SET", "foo", "bar"]);
    assert_eq!(q::<i64>(&mut c, &["EXPIRE", "foo", "-1"]), 1);
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "foo"]), 0);
    let _: () = q(&mut c, &["SET", "foo", "bar"]);
    assert_eq!(q::<i64>(&mut c, &["PEXPIRE", "foo", "0"]), 1);
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "foo"]), 0);
    let _: () = q(&mut c, &["SET", "foo", "bar"]);
    assert_eq!(q::<i64>(&mut c, &["EXPIREAT", "foo", "100"]), 1);
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "foo"]), 0);
    let _: () = q(&mut c, &["SET", "foo", "bar"]);
    for (args, err) in [
        (
            vec!["EXPIRE", "foo", "10000000000000000"],
            "ERR invalid expire time in 'expire' command",
        ),
        (
            vec!["EXPIRE", "foo", "9223372036854776"],
            "ERR invalid expire time in 'expire' command",
        ),
        (
            vec!["EXPIRE", "foo", "9223370399119966"],
            "ERR invalid expire time in 'expire' command",
        ),
        (
            vec!["EXPIRE", "foo", "-9223372036854776"],
            "ERR invalid expire time in 'expire' command",
        ),
        (
            vec!["EXPIRE", "foo", "-9999999999999999"],
            "ERR invalid expire time in 'expire' command",
        ),
        (
            vec!["PEXPIRE", "foo", "9223372036854770000"],
            "ERR invalid expire time in 'pexpire' command",
        ),
        (
            vec!["EXPIREAT", "foo", "9223372036854776"],
            "ERR invalid expire time in 'expireat' command",
        ),
        (
            vec!["EXPIRE", "foo", ""],
            "ERR value is not an integer or out of range",
        ),
        (
            vec!["EXPIRE", "foo", "1.5"],
            "ERR value is not an integer or out of range",
        ),
        (
            vec!["EXPIRE", "foo", "9223372036854775808"],
            "ERR value is not an integer or out of range",
        ),
    ] {
        assert_eq!(q_err(&mut c, &args), err, "{args:?}");
    }
    // None of the failures touched the key.
    assert_eq!(q::<i64>(&mut c, &["TTL", "foo"]), -1);
    // Absolute times are not offset, so big ones are fine and negative ones delete.
    assert_eq!(
        q::<i64>(&mut c, &["PEXPIREAT", "foo", "9223372036854770000"]),
        1
    );
    assert!(q::<i64>(&mut c, &["TTL", "foo"]) > 1_000_000_000);
    assert_eq!(
        q::<i64>(&mut c, &["PEXPIREAT", "foo", "-9223372036854770000"]),
        1
    );
    assert_eq!(q::<i64>(&mut c, &["TTL", "foo"]), -2);
    assert_eq!(
        q_err(&mut c, &["EXPIRE", "foo"]),
        "ERR wrong number of arguments for 'expire' command"
    );
}

#[test]
fn lazy_expiry_with_active_expiry_disabled() {
    let s = Server::start(DEBUG);
    let mut c = s.conn();
    let _: () = q(&mut c, &["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
    for k in ["key1", "key2", "key3"] {
        let _: () = q(&mut c, &["PSETEX", k, "100", "a"]);
    }
    assert_eq!(q::<i64>(&mut c, &["DBSIZE"]), 3);
    sleep_ms(400);
    // Nobody touched them and the cycle is off: still counted.
    assert_eq!(q::<i64>(&mut c, &["DBSIZE"]), 3);
    let keyspace = info_field(&mut c, "keyspace", "db0").unwrap_or_default();
    assert!(keyspace.starts_with("keys=3,expires=3"), "{keyspace}");
    let _: () = q(&mut c, &["MGET", "key1", "key2", "key3"]);
    assert_eq!(q::<i64>(&mut c, &["DBSIZE"]), 0);
    if let Some(n) = info_field(&mut c, "stats", "expired_keys") {
        assert_eq!(n, "3");
    }
    // EXPIRE must not resurrect an expired key (issue #1026).
    let _: () = q(&mut c, &["SET", "foo", "bar"]);
    let _: () = q(&mut c, &["PEXPIRE", "foo", "100"]);
    sleep_ms(200);
    assert_eq!(q::<i64>(&mut c, &["EXPIRE", "foo", "10"]), 0);
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "foo"]), 0);
    // Other readers see the key as gone too.
    for (cmd, want) in [
        ("TTL", -2i64),
        ("PTTL", -2),
        ("EXPIRETIME", -2),
        ("STRLEN", 0),
        ("PERSIST", 0),
    ] {
        let _: () = q(&mut c, &["PSETEX", "k", "1", "v"]);
        sleep_ms(5);
        assert_eq!(q::<i64>(&mut c, &[cmd, "k"]), want, "{cmd}");
        assert_eq!(q::<i64>(&mut c, &["DBSIZE"]), 0, "{cmd} reclaims the key");
    }
    let _: () = q(&mut c, &["PSETEX", "k", "1", "v"]);
    sleep_ms(5);
    assert_eq!(q::<String>(&mut c, &["TYPE", "k"]), "none");
    let _: () = q(&mut c, &["PSETEX", "k", "1", "v"]);
    sleep_ms(5);
    assert_eq!(q_err(&mut c, &["RENAME", "k", "k2"]), "ERR no such key");
    let _: () = q(&mut c, &["PSETEX", "k", "1", "v"]);
    sleep_ms(5);
    assert_eq!(
        q::<Option<String>>(&mut c, &["SET", "k", "new", "NX", "GET"]),
        None
    );
    assert_eq!(q::<i64>(&mut c, &["TTL", "k"]), -1);
    assert_eq!(q::<i64>(&mut c, &["INCR", "gone"]), 1);
    let _: () = q(&mut c, &["PSETEX", "n", "1", "100"]);
    sleep_ms(5);
    assert_eq!(
        q::<i64>(&mut c, &["INCR", "n"]),
        1,
        "INCR starts over after expiry"
    );
    // Re-enabling the cycle reclaims untouched keys.
    let persistent: i64 = q(&mut c, &["DBSIZE"]);
    assert_eq!(persistent, 3);
    for i in 0..50 {
        let _: () = q(&mut c, &["PSETEX", &format!("t{i}"), "50", "v"]);
    }
    let _: () = q(&mut c, &["DEBUG", "SET-ACTIVE-EXPIRE", "1"]);
    assert!(
        wait_for(Duration::from_secs(3), || q::<i64>(&mut c, &["DBSIZE"])
            == persistent),
        "active expiry after re-enabling"
    );
}

#[test]
fn active_expiry_reclaims_untouched_keys() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    for k in ["key1", "key2", "key3"] {
        let _: () = q(&mut c, &["PSETEX", k, "500", "a"]);
    }
    assert_eq!(q::<i64>(&mut c, &["DBSIZE"]), 3);
    assert!(
        wait_for(Duration::from_secs(3), || q::<i64>(&mut c, &["DBSIZE"])
            == 0),
        "three keys with a 500 ms TTL were not actively expired"
    );
    assert_eq!(info_field(&mut c, "keyspace", "db0"), None);
    if let Some(n) = info_field(&mut c, "stats", "expired_keys") {
        assert_eq!(n, "3");
    }

    // Many keys with short TTLs mixed with persistent ones, spread over two databases.
    let base: Option<u64> =
        info_field(&mut c, "memory", "used_memory").and_then(|v| v.parse().ok());
    let value = "x".repeat(200);
    for db in ["0", "3"] {
        let _: () = q(&mut c, &["SELECT", db]);
        let mut pipe = redis::pipe();
        for i in 0..10_000 {
            pipe.cmd("SET")
                .arg(format!("v{i}"))
                .arg(&value)
                .arg("PX")
                .arg(3000)
                .ignore();
        }
        for i in 0..100 {
            pipe.cmd("SET").arg(format!("p{i}")).arg("v").ignore();
        }
        let _: () = pipe.query(&mut c).expect("pipeline");
        assert_eq!(q::<i64>(&mut c, &["DBSIZE"]), 10_100);
    }
    let full: Option<u64> =
        info_field(&mut c, "memory", "used_memory").and_then(|v| v.parse().ok());
    for db in ["0", "3"] {
        let _: () = q(&mut c, &["SELECT", db]);
        assert!(
            wait_for(Duration::from_secs(15), || q::<i64>(&mut c, &["DBSIZE"])
                == 100),
            "db{db}: volatile keys not reclaimed, dbsize {}",
            q::<i64>(&mut c, &["DBSIZE"])
        );
    }
    let ks = info_field(&mut c, "keyspace", "db3").unwrap_or_default();
    assert!(ks.starts_with("keys=100,expires=0"), "{ks}");
    if let (Some(base), Some(full)) = (base, full) {
        let after: u64 = info_field(&mut c, "memory", "used_memory")
            .and_then(|v| v.parse().ok())
            .unwrap_or(u64::MAX);
        assert!(
            full > base + 4_000_000,
            "20000 keys of 200 bytes: {base} -> {full}"
        );
        assert!(
            after < base + (full - base) / 4,
            "memory not released: base {base}, full {full}, after {after}"
        );
    }
    if let Some(n) = info_field(&mut c, "stats", "expired_keys") {
        assert_eq!(n, "20003");
    }
}

#[test]
fn active_expiry_can_be_disabled() {
    let s = Server::start(DEBUG);
    let mut c = s.conn();
    let _: () = q(&mut c, &["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
    let mut pipe = redis::pipe();
    for i in 0..1000 {
        pipe.cmd("PSETEX")
            .arg(format!("k{i}"))
            .arg(50)
            .arg("v")
            .ignore();
    }
    let _: () = pipe.query(&mut c).expect("pipeline");
    sleep_ms(600);
    assert_eq!(q::<i64>(&mut c, &["DBSIZE"]), 1000);
    // SCAN skips (and reclaims) the expired keys it meets.
    let (_, keys): (String, Vec<String>) = q(&mut c, &["SCAN", "0", "COUNT", "5000"]);
    assert!(keys.is_empty());
    assert_eq!(q::<i64>(&mut c, &["DBSIZE"]), 0);
}

#[test]
fn expired_keys_are_counted_in_info_stats() {
    let s = Server::start(DEBUG);
    let mut c = s.conn();
    let Some(before) = info_field(&mut c, "stats", "expired_keys") else {
        eprintln!("INFO stats has no expired_keys field yet: assertion skipped");
        return;
    };
    assert_eq!(before, "0");
    let _: () = q(&mut c, &["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
    let _: () = q(&mut c, &["PSETEX", "a", "1", "v"]);
    let _: () = q(&mut c, &["SET", "b", "v"]);
    sleep_ms(5);
    let _: Option<String> = q(&mut c, &["GET", "a"]);
    // Explicit deletions by EXPIRE with a past time are not "expired" keys.
    let _: () = q(&mut c, &["EXPIRE", "b", "-1"]);
    assert_eq!(
        info_field(&mut c, "stats", "expired_keys").as_deref(),
        Some("1")
    );
}
