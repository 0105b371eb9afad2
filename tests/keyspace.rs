//! Keyspace and string commands against the real binary, following Redis 7.0's
//! tests/unit/keyspace.tcl and tests/unit/type/string.tcl.

mod common;

use std::collections::HashSet;

use common::{DEBUG, Server, q, q_err, scan_all, sorted};

#[test]
fn del_unlink_exists_type() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    for k in ["a", "b", "c", "d"] {
        let _: () = q(&mut c, &["SET", k, "v"]);
    }
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "a", "a", "nokey", "b"]), 3);
    assert_eq!(q::<i64>(&mut c, &["DEL", "a", "nokey", "a"]), 1);
    assert_eq!(q::<i64>(&mut c, &["UNLINK", "b", "c", "nokey"]), 2);
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "a", "b", "c"]), 0);
    assert_eq!(q::<String>(&mut c, &["TYPE", "d"]), "string");
    assert_eq!(q::<String>(&mut c, &["TYPE", "nokey"]), "none");
    assert_eq!(q::<i64>(&mut c, &["DEL", "nokey"]), 0);
    assert_eq!(
        q_err(&mut c, &["DEL"]),
        "ERR wrong number of arguments for 'del' command"
    );
    assert_eq!(
        q_err(&mut c, &["EXISTS"]),
        "ERR wrong number of arguments for 'exists' command"
    );
    assert_eq!(
        q_err(&mut c, &["TYPE", "a", "b"]),
        "ERR wrong number of arguments for 'type' command"
    );
}

#[test]
fn rename_and_renamenx() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    assert_eq!(q_err(&mut c, &["RENAME", "nokey", "x"]), "ERR no such key");
    assert_eq!(
        q_err(&mut c, &["RENAMENX", "nokey", "x"]),
        "ERR no such key"
    );
    let _: () = q(&mut c, &["SET", "a", "1"]);
    // Renaming a key to itself is allowed (and a no-op).
    assert_eq!(q::<String>(&mut c, &["RENAME", "a", "a"]), "OK");
    assert_eq!(q::<i64>(&mut c, &["RENAMENX", "a", "a"]), 0);
    assert_eq!(q::<String>(&mut c, &["GET", "a"]), "1");
    let _: () = q(&mut c, &["SET", "b", "2"]);
    assert_eq!(q::<i64>(&mut c, &["RENAMENX", "a", "b"]), 0);
    assert_eq!(q::<String>(&mut c, &["GET", "b"]), "2");
    // RENAME overwrites the destination, whatever it held, and carries the TTL.
    let _: () = q(&mut c, &["EXPIRE", "a", "100"]);
    let _: () = q(&mut c, &["EXPIRE", "b", "1000"]);
    assert_eq!(q::<String>(&mut c, &["RENAME", "a", "b"]), "OK");
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "a"]), 0);
    assert_eq!(q::<String>(&mut c, &["GET", "b"]), "1");
    let ttl = q::<i64>(&mut c, &["TTL", "b"]);
    assert!((95..=100).contains(&ttl), "ttl {ttl}");
    // RENAME onto a key without TTL from one without TTL leaves no TTL.
    let _: () = q(&mut c, &["SET", "p", "x"]);
    let _: () = q(&mut c, &["RENAME", "p", "q"]);
    assert_eq!(q::<i64>(&mut c, &["TTL", "q"]), -1);
    assert_eq!(q::<i64>(&mut c, &["RENAMENX", "q", "r"]), 1);
    assert_eq!(q::<String>(&mut c, &["GET", "r"]), "x");
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "q"]), 0);
}

#[test]
fn keys_with_patterns() {
    let s = Server::start(DEBUG);
    let mut c = s.conn();
    for k in [
        "key_x", "key_y", "key_z", "foo_a", "foo_b", "foo_c", "k*", "k?y", "kxy",
    ] {
        let _: () = q(&mut c, &["SET", k, "hello"]);
    }
    assert_eq!(
        sorted(q(&mut c, &["KEYS", "foo*"])),
        vec!["foo_a", "foo_b", "foo_c"]
    );
    assert_eq!(q::<Vec<String>>(&mut c, &["KEYS", "*"]).len(), 9);
    assert_eq!(sorted(q(&mut c, &["KEYS", "k?y"])), vec!["k?y", "kxy"]);
    assert_eq!(q::<Vec<String>>(&mut c, &["KEYS", "k[?]y"]), vec!["k?y"]);
    assert_eq!(q::<Vec<String>>(&mut c, &["KEYS", "k\\*"]), vec!["k*"]);
    assert_eq!(
        sorted(q(&mut c, &["KEYS", "key_[xy]"])),
        vec!["key_x", "key_y"]
    );
    assert_eq!(
        sorted(q(&mut c, &["KEYS", "key_[^x]"])),
        vec!["key_y", "key_z"]
    );
    assert!(q::<Vec<String>>(&mut c, &["KEYS", "nomatch*"]).is_empty());
    // Expired keys are not listed.
    let _: () = q(&mut c, &["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
    let _: () = q(&mut c, &["SET", "foo_d", "x", "PX", "1"]);
    std::thread::sleep(std::time::Duration::from_millis(10));
    assert_eq!(q::<Vec<String>>(&mut c, &["KEYS", "foo*"]).len(), 3);
}

#[test]
fn scan_basics_match_count_type() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let mut args = vec!["MSET".to_string()];
    for i in 0..1000 {
        args.push(format!("key:{i}"));
        args.push("v".into());
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let _: () = q(&mut c, &refs);
    let all = scan_all(&mut c, &["SCAN"], &[]);
    let uniq: HashSet<_> = all.iter().cloned().collect();
    assert_eq!(uniq.len(), 1000);
    let all = scan_all(&mut c, &["SCAN"], &["COUNT", "100"]);
    let uniq: HashSet<_> = all.iter().cloned().collect();
    assert_eq!(uniq.len(), 1000);
    let matched = scan_all(&mut c, &["SCAN"], &["MATCH", "key:1??", "COUNT", "50"]);
    let uniq: HashSet<_> = matched.iter().cloned().collect();
    assert_eq!(uniq.len(), 100);
    assert!(uniq.iter().all(|k| k.starts_with("key:1") && k.len() == 7));
    let typed = scan_all(&mut c, &["SCAN"], &["TYPE", "string", "COUNT", "200"]);
    assert_eq!(typed.iter().collect::<HashSet<_>>().len(), 1000);
    // An unknown type matches nothing (Redis 7.0 does not reject it).
    assert!(scan_all(&mut c, &["SCAN"], &["TYPE", "list"]).is_empty());
    assert!(scan_all(&mut c, &["SCAN"], &["TYPE", "nosuchtype"]).is_empty());
    // A COUNT much bigger than the keyspace returns everything at once.
    let (next, keys): (String, Vec<String>) = q(&mut c, &["SCAN", "0", "COUNT", "100000"]);
    assert_eq!(next, "0");
    assert_eq!(keys.len(), 1000);
    // Errors.
    assert_eq!(q_err(&mut c, &["SCAN", "abc"]), "ERR invalid cursor");
    assert_eq!(
        q_err(&mut c, &["SCAN", "18446744073709551616"]),
        "ERR invalid cursor"
    );
    assert_eq!(
        q_err(&mut c, &["SCAN", "0", "COUNT", "0"]),
        "ERR syntax error"
    );
    assert_eq!(
        q_err(&mut c, &["SCAN", "0", "COUNT", "abc"]),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(q_err(&mut c, &["SCAN", "0", "MATCH"]), "ERR syntax error");
    assert_eq!(
        q_err(&mut c, &["SCAN", "0", "FOO", "1"]),
        "ERR syntax error"
    );
}

#[test]
fn scan_guarantees_keys_present_for_the_whole_iteration() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let mut args = vec!["MSET".to_string()];
    for i in 0..2000 {
        args.push(format!("k{i}"));
        args.push("v".into());
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let _: () = q(&mut c, &refs);
    // Delete the odd keys (and add new ones) while iterating; every even key exists for the
    // whole scan and must be returned at least once.
    let mut seen = HashSet::new();
    let mut cursor = "0".to_string();
    let mut round = 0;
    loop {
        let (next, keys): (String, Vec<String>) = q(&mut c, &["SCAN", &cursor, "COUNT", "37"]);
        seen.extend(keys);
        for j in 0..20 {
            let victim = format!("k{}", (round * 20 + j) * 2 + 1);
            let _: i64 = q(&mut c, &["DEL", &victim]);
            let _: () = q(&mut c, &["SET", &format!("new{round}_{j}"), "v"]);
        }
        round += 1;
        cursor = next;
        if cursor == "0" {
            break;
        }
        assert!(round < 10_000, "scan does not terminate");
    }
    for i in (0..2000).step_by(2) {
        assert!(seen.contains(&format!("k{i}")), "key k{i} missed by SCAN");
    }
}

#[test]
fn randomkey_dbsize_touch() {
    let s = Server::start(DEBUG);
    let mut c = s.conn();
    assert_eq!(q::<Option<String>>(&mut c, &["RANDOMKEY"]), None);
    assert_eq!(q::<i64>(&mut c, &["DBSIZE"]), 0);
    let _: () = q(&mut c, &["MSET", "a", "1", "b", "2"]);
    let mut seen = HashSet::new();
    for _ in 0..100 {
        seen.insert(q::<String>(&mut c, &["RANDOMKEY"]));
    }
    assert_eq!(seen, HashSet::from(["a".to_string(), "b".to_string()]));
    assert_eq!(q::<i64>(&mut c, &["DBSIZE"]), 2);
    assert_eq!(q::<i64>(&mut c, &["TOUCH", "a", "b", "nokey", "a"]), 3);
    // RANDOMKEY does not return expired keys (Redis retries; with only expired keys: nil).
    let _: () = q(&mut c, &["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
    let _: () = q(&mut c, &["FLUSHDB"]);
    let _: () = q(&mut c, &["SET", "gone", "v", "PX", "1"]);
    let _: () = q(&mut c, &["SET", "live", "v"]);
    std::thread::sleep(std::time::Duration::from_millis(10));
    for _ in 0..20 {
        assert_eq!(q::<String>(&mut c, &["RANDOMKEY"]), "live");
    }
}

#[test]
fn move_between_databases() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let _: () = q(&mut c, &["SET", "a", "1"]);
    let _: () = q(&mut c, &["EXPIRE", "a", "100"]);
    assert_eq!(
        q_err(&mut c, &["MOVE", "a", "0"]),
        "ERR source and destination objects are the same"
    );
    assert_eq!(
        q_err(&mut c, &["MOVE", "a", "100"]),
        "ERR DB index is out of range"
    );
    assert_eq!(
        q_err(&mut c, &["MOVE", "a", "-1"]),
        "ERR DB index is out of range"
    );
    assert_eq!(
        q_err(&mut c, &["MOVE", "a", "abc"]),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(q::<i64>(&mut c, &["MOVE", "nokey", "1"]), 0);
    assert_eq!(q::<i64>(&mut c, &["MOVE", "a", "1"]), 1);
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "a"]), 0);
    let _: () = q(&mut c, &["SELECT", "1"]);
    assert_eq!(q::<String>(&mut c, &["GET", "a"]), "1");
    let ttl = q::<i64>(&mut c, &["TTL", "a"]);
    assert!((95..=100).contains(&ttl), "ttl kept by MOVE: {ttl}");
    // Destination already has the key: nothing moves.
    let _: () = q(&mut c, &["SELECT", "0"]);
    let _: () = q(&mut c, &["SET", "a", "other"]);
    assert_eq!(q::<i64>(&mut c, &["MOVE", "a", "1"]), 0);
    assert_eq!(q::<String>(&mut c, &["GET", "a"]), "other");
}

#[test]
fn copy_with_db_and_replace() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let _: () = q(&mut c, &["SET", "a", "1"]);
    let _: () = q(&mut c, &["EXPIRE", "a", "100"]);
    assert_eq!(
        q_err(&mut c, &["COPY", "a", "a"]),
        "ERR source and destination objects are the same"
    );
    assert_eq!(
        q_err(&mut c, &["COPY", "a", "b", "DB", "100"]),
        "ERR DB index is out of range"
    );
    assert_eq!(
        q_err(&mut c, &["COPY", "a", "b", "DB", "abc"]),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(
        q_err(&mut c, &["COPY", "a", "b", "FOO"]),
        "ERR syntax error"
    );
    assert_eq!(q::<i64>(&mut c, &["COPY", "nokey", "b"]), 0);
    assert_eq!(q::<i64>(&mut c, &["COPY", "a", "b"]), 1);
    assert_eq!(q::<String>(&mut c, &["GET", "b"]), "1");
    let ttl = q::<i64>(&mut c, &["TTL", "b"]);
    assert!((95..=100).contains(&ttl), "ttl copied: {ttl}");
    // The copy is independent of the source.
    let _: () = q(&mut c, &["APPEND", "b", "x"]);
    assert_eq!(q::<String>(&mut c, &["GET", "a"]), "1");
    let _: () = q(&mut c, &["SET", "x", "old"]);
    assert_eq!(q::<i64>(&mut c, &["COPY", "a", "x"]), 0);
    assert_eq!(q::<String>(&mut c, &["GET", "x"]), "old");
    assert_eq!(q::<i64>(&mut c, &["COPY", "a", "x", "REPLACE"]), 1);
    assert_eq!(q::<String>(&mut c, &["GET", "x"]), "1");
    // Same key name into another database is fine.
    assert_eq!(q::<i64>(&mut c, &["COPY", "a", "a", "DB", "2"]), 1);
    assert_eq!(q::<i64>(&mut c, &["COPY", "a", "a", "DB", "2"]), 0);
    assert_eq!(
        q::<i64>(&mut c, &["COPY", "a", "a", "DB", "2", "REPLACE"]),
        1
    );
    let _: () = q(&mut c, &["SELECT", "2"]);
    assert_eq!(q::<String>(&mut c, &["GET", "a"]), "1");
    assert!(q::<i64>(&mut c, &["TTL", "a"]) > 90);
    assert_eq!(q::<i64>(&mut c, &["DBSIZE"]), 1);
}

#[test]
fn flushdb_flushall_swapdb_select() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let _: () = q(&mut c, &["SET", "a", "db0"]);
    let _: () = q(&mut c, &["SELECT", "9"]);
    let _: () = q(&mut c, &["MSET", "a", "db9", "b", "db9"]);
    assert_eq!(q::<i64>(&mut c, &["DBSIZE"]), 2);
    assert_eq!(q::<String>(&mut c, &["SWAPDB", "0", "9"]), "OK");
    assert_eq!(q::<String>(&mut c, &["GET", "a"]), "db0");
    assert_eq!(q::<i64>(&mut c, &["DBSIZE"]), 1);
    let _: () = q(&mut c, &["SELECT", "0"]);
    assert_eq!(q::<String>(&mut c, &["GET", "a"]), "db9");
    assert_eq!(q::<i64>(&mut c, &["DBSIZE"]), 2);
    assert_eq!(q::<String>(&mut c, &["SWAPDB", "3", "3"]), "OK");
    assert_eq!(
        q_err(&mut c, &["SWAPDB", "0", "abc"]),
        "ERR invalid second DB index"
    );
    assert_eq!(
        q_err(&mut c, &["SWAPDB", "abc", "0"]),
        "ERR invalid first DB index"
    );
    assert_eq!(
        q_err(&mut c, &["SWAPDB", "0", "100"]),
        "ERR DB index is out of range"
    );
    assert_eq!(
        q_err(&mut c, &["SELECT", "100"]),
        "ERR DB index is out of range"
    );
    assert_eq!(
        q_err(&mut c, &["SELECT", "-1"]),
        "ERR DB index is out of range"
    );
    assert_eq!(
        q_err(&mut c, &["SELECT", "abc"]),
        "ERR value is not an integer or out of range"
    );
    // FLUSHDB only empties the current database.
    assert_eq!(q::<String>(&mut c, &["FLUSHDB"]), "OK");
    assert_eq!(q::<i64>(&mut c, &["DBSIZE"]), 0);
    let _: () = q(&mut c, &["SELECT", "9"]);
    assert_eq!(q::<i64>(&mut c, &["DBSIZE"]), 1);
    assert_eq!(q_err(&mut c, &["FLUSHDB", "foo"]), "ERR syntax error");
    assert_eq!(q_err(&mut c, &["FLUSHALL", "foo"]), "ERR syntax error");
    assert_eq!(q::<String>(&mut c, &["FLUSHDB", "ASYNC"]), "OK");
    let _: () = q(&mut c, &["SET", "z", "1"]);
    let _: () = q(&mut c, &["SELECT", "0"]);
    let _: () = q(&mut c, &["SET", "z", "1"]);
    assert_eq!(q::<String>(&mut c, &["FLUSHALL", "SYNC"]), "OK");
    assert_eq!(q::<i64>(&mut c, &["DBSIZE"]), 0);
    let _: () = q(&mut c, &["SELECT", "9"]);
    assert_eq!(q::<i64>(&mut c, &["DBSIZE"]), 0);
    // A big flush (handed to a background thread) still empties at once.
    let mut args = vec!["MSET".to_string()];
    for i in 0..5000 {
        args.push(format!("k{i}"));
        args.push("v".into());
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let _: () = q(&mut c, &refs);
    assert_eq!(q::<String>(&mut c, &["FLUSHALL", "ASYNC"]), "OK");
    assert_eq!(q::<i64>(&mut c, &["DBSIZE"]), 0);
}

// ---------------------------------------------------------------------------------------------
// Strings
// ---------------------------------------------------------------------------------------------

#[test]
fn set_options() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    // NX / XX.
    assert_eq!(q::<Option<String>>(&mut c, &["SET", "a", "1", "XX"]), None);
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "a"]), 0);
    assert_eq!(
        q::<Option<String>>(&mut c, &["SET", "a", "1", "NX"]),
        Some("OK".into())
    );
    assert_eq!(q::<Option<String>>(&mut c, &["SET", "a", "2", "NX"]), None);
    assert_eq!(
        q::<Option<String>>(&mut c, &["SET", "a", "3", "XX"]),
        Some("OK".into())
    );
    assert_eq!(q::<String>(&mut c, &["GET", "a"]), "3");
    // GET returns the old value, with and without NX/XX.
    assert_eq!(
        q::<Option<String>>(&mut c, &["SET", "a", "4", "GET"]),
        Some("3".into())
    );
    assert_eq!(
        q::<Option<String>>(&mut c, &["SET", "new", "1", "GET"]),
        None
    );
    assert_eq!(q::<String>(&mut c, &["GET", "new"]), "1");
    assert_eq!(
        q::<Option<String>>(&mut c, &["SET", "a", "5", "NX", "GET"]),
        Some("4".into())
    );
    assert_eq!(q::<String>(&mut c, &["GET", "a"]), "4");
    assert_eq!(
        q::<Option<String>>(&mut c, &["SET", "b", "5", "NX", "GET"]),
        None
    );
    assert_eq!(q::<String>(&mut c, &["GET", "b"]), "5");
    assert_eq!(
        q::<Option<String>>(&mut c, &["SET", "nob", "5", "XX", "GET"]),
        None
    );
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "nob"]), 0);
    assert_eq!(
        q::<Option<String>>(&mut c, &["SET", "b", "6", "XX", "GET"]),
        Some("5".into())
    );
    // Expiry options.
    let _: () = q(&mut c, &["SET", "e", "v", "EX", "100"]);
    assert!((99..=100).contains(&q::<i64>(&mut c, &["TTL", "e"])));
    let _: () = q(&mut c, &["SET", "e", "v", "PX", "100000"]);
    assert!((99_000..=100_000).contains(&q::<i64>(&mut c, &["PTTL", "e"])));
    let now: i64 = q::<Vec<i64>>(&mut c, &["TIME"])[0];
    let _: () = q(&mut c, &["SET", "e", "v", "EXAT", &(now + 200).to_string()]);
    assert!((198..=200).contains(&q::<i64>(&mut c, &["TTL", "e"])));
    assert_eq!(q::<i64>(&mut c, &["EXPIRETIME", "e"]), now + 200);
    let _: () = q(
        &mut c,
        &["SET", "e", "v", "PXAT", &((now + 300) * 1000).to_string()],
    );
    assert_eq!(q::<i64>(&mut c, &["PEXPIRETIME", "e"]), (now + 300) * 1000);
    // A plain SET clears the TTL, KEEPTTL keeps it.
    let _: () = q(&mut c, &["SET", "e", "v2", "KEEPTTL"]);
    assert_eq!(q::<i64>(&mut c, &["PEXPIRETIME", "e"]), (now + 300) * 1000);
    assert_eq!(q::<String>(&mut c, &["GET", "e"]), "v2");
    let _: () = q(&mut c, &["SET", "e", "v3"]);
    assert_eq!(q::<i64>(&mut c, &["TTL", "e"]), -1);
    // A timestamp in the past: the SET succeeds and the key is gone at once.
    assert_eq!(
        q::<String>(&mut c, &["SET", "past", "v", "EXAT", "1"]),
        "OK"
    );
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "past"]), 0);
    // Repeating the same option is accepted; the last value wins (as in Redis 7.0).
    let _: () = q(&mut c, &["SET", "r", "v", "EX", "10", "EX", "20"]);
    assert!((19..=20).contains(&q::<i64>(&mut c, &["TTL", "r"])));
    let _: () = q(&mut c, &["SET", "r", "v", "KEEPTTL", "KEEPTTL"]);
    assert!((19..=20).contains(&q::<i64>(&mut c, &["TTL", "r"])));
    let _: () = q(&mut c, &["SET", "r", "v", "PX", "100", "PX", "5000"]);
    assert!(q::<i64>(&mut c, &["PTTL", "r"]) > 4000);
    assert_eq!(q::<String>(&mut c, &["SET", "r", "v", "GET", "GET"]), "v");
    assert_eq!(
        q::<Option<String>>(&mut c, &["SET", "r", "v", "NX", "NX"]),
        None
    );
    // Case-insensitive options.
    assert_eq!(
        q::<Option<String>>(&mut c, &["SET", "r", "w", "xx", "get", "px", "5000"]),
        Some("v".into())
    );
}

#[test]
fn set_option_errors() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let syntax = [
        vec!["SET", "a", "c", "XX", "NX"],
        vec!["SET", "a", "c", "NX", "XX"],
        vec!["SET", "a", "c", "EX", "10", "PX", "100"],
        vec!["SET", "a", "c", "PX", "10", "EXAT", "100"],
        vec!["SET", "a", "c", "EXAT", "10", "PXAT", "100"],
        vec!["SET", "a", "c", "EX", "10", "KEEPTTL"],
        vec!["SET", "a", "c", "KEEPTTL", "EX", "10"],
        vec!["SET", "a", "c", "KEEPTTL", "PXAT", "10"],
        vec!["SET", "a", "c", "EX"],
        vec!["SET", "a", "c", "PX"],
        vec!["SET", "a", "c", "FOO"],
        vec!["SET", "a", "c", "PERSIST"],
        // Option parsing comes before the expire value is checked.
        vec!["SET", "a", "c", "EX", "0", "XX", "NX"],
    ];
    for args in &syntax {
        assert_eq!(q_err(&mut c, args), "ERR syntax error", "{args:?}");
    }
    for (args, err) in [
        (
            vec!["SET", "a", "c", "EX", "0"],
            "ERR invalid expire time in 'set' command",
        ),
        (
            vec!["SET", "a", "c", "EX", "-1"],
            "ERR invalid expire time in 'set' command",
        ),
        (
            vec!["SET", "a", "c", "PX", "0"],
            "ERR invalid expire time in 'set' command",
        ),
        (
            vec!["SET", "a", "c", "PXAT", "0"],
            "ERR invalid expire time in 'set' command",
        ),
        (
            vec!["SET", "a", "c", "EXAT", "-5"],
            "ERR invalid expire time in 'set' command",
        ),
        (
            vec!["SET", "a", "c", "EX", "10000000000000000"],
            "ERR invalid expire time in 'set' command",
        ),
        (
            vec!["SET", "a", "c", "EX", "-9999999999999999"],
            "ERR invalid expire time in 'set' command",
        ),
        (
            vec!["SET", "a", "c", "PX", "9223372036854770000"],
            "ERR invalid expire time in 'set' command",
        ),
        (
            vec!["SET", "a", "c", "EX", "abc"],
            "ERR value is not an integer or out of range",
        ),
        (
            vec!["SET", "a", "c", "EX", "1.5"],
            "ERR value is not an integer or out of range",
        ),
        (
            vec!["SET", "a"],
            "ERR wrong number of arguments for 'set' command",
        ),
    ] {
        assert_eq!(q_err(&mut c, &args), err, "{args:?}");
    }
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "a"]), 0);
}

#[test]
fn setnx_setex_psetex_getset_getdel() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    assert_eq!(q::<i64>(&mut c, &["SETNX", "a", "1"]), 1);
    assert_eq!(q::<i64>(&mut c, &["SETNX", "a", "2"]), 0);
    assert_eq!(q::<String>(&mut c, &["GET", "a"]), "1");
    assert_eq!(q::<String>(&mut c, &["SETEX", "x", "12", "test"]), "OK");
    assert!((11..=12).contains(&q::<i64>(&mut c, &["TTL", "x"])));
    assert_eq!(q::<String>(&mut c, &["GET", "x"]), "test");
    assert_eq!(q::<String>(&mut c, &["PSETEX", "y", "5000", "v"]), "OK");
    assert!((4000..=5000).contains(&q::<i64>(&mut c, &["PTTL", "y"])));
    for (args, err) in [
        (
            vec!["SETEX", "z", "0", "v"],
            "ERR invalid expire time in 'setex' command",
        ),
        (
            vec!["SETEX", "z", "-10", "v"],
            "ERR invalid expire time in 'setex' command",
        ),
        (
            vec!["PSETEX", "z", "-1", "v"],
            "ERR invalid expire time in 'psetex' command",
        ),
        (
            vec!["SETEX", "z", "10000000000000000", "v"],
            "ERR invalid expire time in 'setex' command",
        ),
        (
            vec!["SETEX", "z", "abc", "v"],
            "ERR value is not an integer or out of range",
        ),
        (
            vec!["SETEX", "z", "10"],
            "ERR wrong number of arguments for 'setex' command",
        ),
    ] {
        assert_eq!(q_err(&mut c, &args), err, "{args:?}");
    }
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "z"]), 0);
    // GETSET returns the old value and drops the TTL.
    assert_eq!(q::<Option<String>>(&mut c, &["GETSET", "new", "v"]), None);
    assert_eq!(q::<String>(&mut c, &["GET", "new"]), "v");
    assert_eq!(
        q::<Option<String>>(&mut c, &["GETSET", "x", "v2"]),
        Some("test".into())
    );
    assert_eq!(q::<i64>(&mut c, &["TTL", "x"]), -1);
    // GETDEL.
    assert_eq!(
        q::<Option<String>>(&mut c, &["GETDEL", "x"]),
        Some("v2".into())
    );
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "x"]), 0);
    assert_eq!(q::<Option<String>>(&mut c, &["GETDEL", "x"]), None);
}

#[test]
fn getex_options() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let _: () = q(&mut c, &["SET", "a", "v"]);
    assert_eq!(q::<String>(&mut c, &["GETEX", "a"]), "v");
    assert_eq!(q::<i64>(&mut c, &["TTL", "a"]), -1);
    assert_eq!(q::<String>(&mut c, &["GETEX", "a", "EX", "100"]), "v");
    assert!((99..=100).contains(&q::<i64>(&mut c, &["TTL", "a"])));
    assert_eq!(q::<String>(&mut c, &["GETEX", "a", "PX", "50000"]), "v");
    assert!((49_000..=50_000).contains(&q::<i64>(&mut c, &["PTTL", "a"])));
    let now: i64 = q::<Vec<i64>>(&mut c, &["TIME"])[0];
    assert_eq!(
        q::<String>(&mut c, &["GETEX", "a", "EXAT", &(now + 500).to_string()]),
        "v"
    );
    assert_eq!(q::<i64>(&mut c, &["EXPIRETIME", "a"]), now + 500);
    let pxat = ((now + 600) * 1000).to_string();
    assert_eq!(q::<String>(&mut c, &["GETEX", "a", "PXAT", &pxat]), "v");
    assert_eq!(q::<i64>(&mut c, &["PEXPIRETIME", "a"]), (now + 600) * 1000);
    assert_eq!(q::<String>(&mut c, &["GETEX", "a", "PERSIST"]), "v");
    assert_eq!(q::<i64>(&mut c, &["TTL", "a"]), -1);
    // Repeated options are accepted (last wins), like SET.
    assert_eq!(
        q::<String>(&mut c, &["GETEX", "a", "EX", "10", "EX", "20"]),
        "v"
    );
    assert!((19..=20).contains(&q::<i64>(&mut c, &["TTL", "a"])));
    assert_eq!(
        q::<String>(&mut c, &["GETEX", "a", "PERSIST", "PERSIST"]),
        "v"
    );
    assert_eq!(q::<i64>(&mut c, &["TTL", "a"]), -1);
    for args in [
        vec!["GETEX", "a", "PERSIST", "EX", "10"],
        vec!["GETEX", "a", "EX", "10", "PERSIST"],
        vec!["GETEX", "a", "EX", "10", "PX", "10"],
        vec!["GETEX", "a", "KEEPTTL"],
        vec!["GETEX", "a", "EX"],
        vec!["GETEX", "a", "FOO"],
        vec!["GETEX", "a", "NX"],
    ] {
        assert_eq!(q_err(&mut c, &args), "ERR syntax error", "{args:?}");
    }
    for args in [
        vec!["GETEX", "a", "EX", "0"],
        vec!["GETEX", "a", "EX", "-1"],
        vec!["GETEX", "a", "EX", "10000000000000000"],
        vec!["GETEX", "a", "EX", "-9999999999999999"],
        vec!["GETEX", "a", "PXAT", "0"],
    ] {
        assert_eq!(
            q_err(&mut c, &args),
            "ERR invalid expire time in 'getex' command",
            "{args:?}"
        );
    }
    assert_eq!(
        q_err(&mut c, &["GETEX", "a", "EX", "abc"]),
        "ERR value is not an integer or out of range"
    );
    // On a missing key the reply is nil before the expire value is looked at.
    assert_eq!(q::<Option<String>>(&mut c, &["GETEX", "nokey"]), None);
    assert_eq!(
        q::<Option<String>>(&mut c, &["GETEX", "nokey", "EX", "0"]),
        None
    );
    // An absolute time in the past deletes the key and still returns the value.
    assert_eq!(q::<String>(&mut c, &["GETEX", "a", "EXAT", "1"]), "v");
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "a"]), 0);
}

#[test]
fn mget_mset_msetnx() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    assert_eq!(
        q::<String>(&mut c, &["MSET", "a", "1", "b", "2", "a", "3"]),
        "OK"
    );
    assert_eq!(
        q::<Vec<Option<String>>>(&mut c, &["MGET", "a", "nokey", "b"]),
        vec![Some("3".into()), None, Some("2".into())]
    );
    assert_eq!(
        q_err(&mut c, &["MSET", "a"]),
        "ERR wrong number of arguments for 'mset' command"
    );
    assert_eq!(
        q_err(&mut c, &["MSET", "a", "b", "c"]),
        "ERR wrong number of arguments for 'mset' command"
    );
    assert_eq!(
        q_err(&mut c, &["MSETNX", "a", "b", "c"]),
        "ERR wrong number of arguments for 'msetnx' command"
    );
    assert_eq!(q::<i64>(&mut c, &["MSETNX", "x", "1", "a", "2"]), 0);
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "x"]), 0);
    assert_eq!(q::<i64>(&mut c, &["MSETNX", "x", "1", "y", "2"]), 1);
    assert_eq!(
        q::<Vec<String>>(&mut c, &["MGET", "x", "y"]),
        vec!["1".to_string(), "2".to_string()]
    );
    // MSET clears TTLs.
    let _: () = q(&mut c, &["EXPIRE", "x", "100"]);
    let _: () = q(&mut c, &["MSET", "x", "5"]);
    assert_eq!(q::<i64>(&mut c, &["TTL", "x"]), -1);
}

#[test]
fn incr_family() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    assert_eq!(q::<i64>(&mut c, &["INCR", "n"]), 1);
    assert_eq!(q::<i64>(&mut c, &["INCR", "n"]), 2);
    assert_eq!(q::<i64>(&mut c, &["INCRBY", "n", "25"]), 27);
    assert_eq!(q::<i64>(&mut c, &["DECR", "n"]), 26);
    assert_eq!(q::<i64>(&mut c, &["DECRBY", "n", "30"]), -4);
    assert_eq!(q::<i64>(&mut c, &["INCRBY", "n", "-6"]), -10);
    let _: () = q(&mut c, &["SET", "n", "17179869184"]);
    assert_eq!(q::<i64>(&mut c, &["INCR", "n"]), 17179869185);
    assert_eq!(
        q::<i64>(&mut c, &["INCRBY", "n", "17179869184"]),
        34359738369
    );
    // TTL is kept by INCR.
    let _: () = q(&mut c, &["SET", "t", "5", "EX", "100"]);
    assert_eq!(q::<i64>(&mut c, &["INCR", "t"]), 6);
    assert!(q::<i64>(&mut c, &["TTL", "t"]) > 90);
    for v in [
        "foo",
        " 11",
        "11 ",
        "01",
        "1.5",
        "",
        "9223372036854775808",
        "+1",
    ] {
        let _: () = q(&mut c, &["SET", "bad", v]);
        assert_eq!(
            q_err(&mut c, &["INCR", "bad"]),
            "ERR value is not an integer or out of range",
            "value {v:?}"
        );
    }
    let _: () = q(&mut c, &["SET", "neg", "-1"]);
    assert_eq!(q::<i64>(&mut c, &["INCR", "neg"]), 0);
    assert_eq!(
        q_err(&mut c, &["INCRBY", "n", "abc"]),
        "ERR value is not an integer or out of range"
    );
    let _: () = q(&mut c, &["SET", "big", "9223372036854775807"]);
    assert_eq!(
        q_err(&mut c, &["INCR", "big"]),
        "ERR increment or decrement would overflow"
    );
    let _: () = q(&mut c, &["SET", "small", "-9223372036854775808"]);
    assert_eq!(
        q_err(&mut c, &["DECR", "small"]),
        "ERR increment or decrement would overflow"
    );
    let _: () = q(&mut c, &["SET", "z", "0"]);
    assert_eq!(
        q_err(&mut c, &["DECRBY", "z", "-9223372036854775808"]),
        "ERR decrement would overflow"
    );
    assert_eq!(
        q::<i64>(&mut c, &["INCRBY", "z", "-9223372036854775808"]),
        i64::MIN
    );
    assert_eq!(
        q_err(&mut c, &["INCR", "n", "x"]),
        "ERR wrong number of arguments for 'incr' command"
    );
}

#[test]
fn incrbyfloat_formatting() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    assert_eq!(q::<String>(&mut c, &["INCRBYFLOAT", "f", "1"]), "1");
    assert_eq!(q::<String>(&mut c, &["INCRBYFLOAT", "f", "0.25"]), "1.25");
    assert_eq!(q::<String>(&mut c, &["GET", "f"]), "1.25");
    let _: () = q(&mut c, &["SET", "f", "10.5"]);
    assert_eq!(q::<String>(&mut c, &["INCRBYFLOAT", "f", "0.1"]), "10.6");
    assert_eq!(q::<String>(&mut c, &["INCRBYFLOAT", "g", "3e3"]), "3000");
    assert_eq!(q::<String>(&mut c, &["INCRBYFLOAT", "g", "5.0e3"]), "8000");
    let _: () = q(&mut c, &["SET", "f", "1.5e10"]);
    assert_eq!(
        q::<String>(&mut c, &["INCRBYFLOAT", "f", "1"]),
        "15000000001"
    );
    let _: () = q(&mut c, &["SET", "f", "17179869184"]);
    assert_eq!(
        q::<String>(&mut c, &["INCRBYFLOAT", "f", "1.5"]),
        "17179869185.5"
    );
    let _: () = q(&mut c, &["SET", "f", "5"]);
    assert_eq!(q::<String>(&mut c, &["INCRBYFLOAT", "f", "-5"]), "0");
    // An integer value keeps working with INCR afterwards.
    assert_eq!(q::<i64>(&mut c, &["INCR", "f"]), 1);
    for v in ["foo", " 11", "11 ", "1.0e", ""] {
        let _: () = q(&mut c, &["SET", "bad", v]);
        assert_eq!(
            q_err(&mut c, &["INCRBYFLOAT", "bad", "1"]),
            "ERR value is not a valid float",
            "value {v:?}"
        );
    }
    assert_eq!(
        q_err(&mut c, &["INCRBYFLOAT", "f", "abc"]),
        "ERR value is not a valid float"
    );
    assert_eq!(
        q_err(&mut c, &["INCRBYFLOAT", "f", "+inf"]),
        "ERR increment would produce NaN or Infinity"
    );
    // The TTL survives.
    let _: () = q(&mut c, &["SET", "t", "1", "EX", "100"]);
    let _: () = q(&mut c, &["INCRBYFLOAT", "t", "1.5"]);
    assert!(q::<i64>(&mut c, &["TTL", "t"]) > 90);
}

/// Redis computes INCRBYFLOAT in 80-bit long double and prints it with `%.17Lf`, so binary
/// noise of a double never shows (1 - 1.1 is "-0.1") while long double noise does.
#[test]
fn incrbyfloat_long_double_precision() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    for (start, incr, want) in [
        ("1", "-1.1", "-0.1"),
        ("0.1", "0.2", "0.3"),
        ("1", "0.2", "1.2"),
        ("100", "0.1", "100.1"),
        ("12345", "0.1", "12345.09999999999999964"),
        ("1000000", "0.1", "1000000.10000000000002274"),
        ("5.5", "1e-20", "5.5"),
        ("123456789012345678", "1", "123456789012345679"),
    ] {
        let _: () = q(&mut c, &["SET", "f", start]);
        assert_eq!(
            q::<String>(&mut c, &["INCRBYFLOAT", "f", incr]),
            want,
            "{start} + {incr}"
        );
    }
}

#[test]
fn append_strlen_getrange() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    assert_eq!(q::<i64>(&mut c, &["STRLEN", "nokey"]), 0);
    assert_eq!(q::<i64>(&mut c, &["APPEND", "a", "foo"]), 3);
    assert_eq!(q::<i64>(&mut c, &["APPEND", "a", "bar"]), 6);
    assert_eq!(q::<String>(&mut c, &["GET", "a"]), "foobar");
    assert_eq!(q::<i64>(&mut c, &["STRLEN", "a"]), 6);
    let _: () = q(&mut c, &["SET", "a", "x", "EX", "100"]);
    let _: () = q(&mut c, &["APPEND", "a", "y"]);
    assert!(q::<i64>(&mut c, &["TTL", "a"]) > 90, "APPEND keeps the TTL");
    let _: () = q(&mut c, &["SET", "n", "123"]);
    assert_eq!(q::<i64>(&mut c, &["APPEND", "n", "4"]), 4);
    assert_eq!(q::<i64>(&mut c, &["INCR", "n"]), 1235);

    let _: () = q(&mut c, &["SET", "s", "Hello World"]);
    for (start, end, want) in [
        ("0", "3", "Hell"),
        ("0", "-1", "Hello World"),
        ("-3", "-1", "rld"),
        ("5", "3", ""),
        ("5", "5000", " World"),
        ("-5000", "10000", "Hello World"),
        ("0", "-100", "H"),
        ("-100", "-99", "H"),
        ("-1", "-5", ""),
        ("20", "30", ""),
        ("0", "9223372036854775807", "Hello World"),
        ("-9223372036854775808", "0", "H"),
    ] {
        assert_eq!(
            q::<String>(&mut c, &["GETRANGE", "s", start, end]),
            want,
            "GETRANGE {start} {end}"
        );
        assert_eq!(
            q::<String>(&mut c, &["SUBSTR", "s", start, end]),
            want,
            "SUBSTR {start} {end}"
        );
    }
    assert_eq!(q::<String>(&mut c, &["GETRANGE", "nokey", "0", "-1"]), "");
    let _: () = q(&mut c, &["SET", "empty", ""]);
    assert_eq!(q::<String>(&mut c, &["GETRANGE", "empty", "0", "-1"]), "");
    assert_eq!(q::<String>(&mut c, &["GETRANGE", "empty", "0", "0"]), "");
    assert_eq!(
        q_err(&mut c, &["GETRANGE", "s", "a", "1"]),
        "ERR value is not an integer or out of range"
    );
}

#[test]
fn setrange_padding_and_limits() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    // Missing key: zero padding up to the offset.
    assert_eq!(q::<i64>(&mut c, &["SETRANGE", "s", "3", "ab"]), 5);
    assert_eq!(q::<Vec<u8>>(&mut c, &["GET", "s"]), b"\0\0\0ab".to_vec());
    // Empty value on a missing key creates nothing.
    assert_eq!(q::<i64>(&mut c, &["SETRANGE", "m", "10", ""]), 0);
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "m"]), 0);
    assert_eq!(q::<i64>(&mut c, &["SETRANGE", "m", "0", "foo"]), 3);
    assert_eq!(q::<i64>(&mut c, &["SETRANGE", "m", "10", ""]), 3);
    let _: () = q(&mut c, &["SET", "k", "Hello World"]);
    assert_eq!(q::<i64>(&mut c, &["SETRANGE", "k", "6", "Redis"]), 11);
    assert_eq!(q::<String>(&mut c, &["GET", "k"]), "Hello Redis");
    assert_eq!(q::<i64>(&mut c, &["SETRANGE", "k", "11", "!!"]), 13);
    assert_eq!(q::<String>(&mut c, &["GET", "k"]), "Hello Redis!!");
    assert_eq!(q::<i64>(&mut c, &["SETRANGE", "k", "15", "x"]), 16);
    assert_eq!(
        q::<Vec<u8>>(&mut c, &["GET", "k"]),
        b"Hello Redis!!\0\0x".to_vec()
    );
    // An integer-looking value is rewritten in place.
    let _: () = q(&mut c, &["SET", "n", "1234"]);
    assert_eq!(q::<i64>(&mut c, &["SETRANGE", "n", "1", "9"]), 4);
    assert_eq!(q::<i64>(&mut c, &["INCR", "n"]), 1935);
    assert_eq!(
        q_err(&mut c, &["SETRANGE", "k", "-1", "x"]),
        "ERR offset is out of range"
    );
    assert_eq!(
        q_err(&mut c, &["SETRANGE", "k", "abc", "x"]),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(
        q_err(&mut c, &["SETRANGE", "big", "536870911", "ab"]),
        "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
    );
    assert_eq!(
        q_err(&mut c, &["SETRANGE", "k", "9223372036854775807", "ab"]),
        "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
    );
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "big"]), 0);
}
