//! Set commands end to end: membership, random pops/samples, SMOVE, the algebra and its STORE
//! forms, SINTERCARD, SSCAN guarantees and RESP3 shapes.

mod common;

use std::collections::HashSet;

use common::real_redis::assert_replies_match_real_redis;
use common::{Server, WRONGTYPE, q, q_err, run, scan_all, scan_pages, sorted};
use redis::Value;

fn members(c: &mut redis::Connection, key: &str) -> Vec<String> {
    sorted(q(c, &["SMEMBERS", key]))
}

#[test]
fn membership() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    assert_eq!(q::<i64>(&mut c, &["SADD", "s", "a", "b", "c", "a"]), 3);
    assert_eq!(q::<i64>(&mut c, &["SADD", "s", "a", "d"]), 1);
    assert_eq!(members(&mut c, "s"), ["a", "b", "c", "d"]);
    assert!(q::<Vec<String>>(&mut c, &["SMEMBERS", "nokey"]).is_empty());
    assert_eq!(q::<i64>(&mut c, &["SCARD", "s"]), 4);
    assert_eq!(q::<i64>(&mut c, &["SCARD", "nokey"]), 0);
    assert_eq!(q::<i64>(&mut c, &["SISMEMBER", "s", "a"]), 1);
    assert_eq!(q::<i64>(&mut c, &["SISMEMBER", "s", "z"]), 0);
    assert_eq!(q::<i64>(&mut c, &["SISMEMBER", "nokey", "z"]), 0);
    assert_eq!(
        q::<Vec<i64>>(&mut c, &["SMISMEMBER", "s", "a", "z", "d"]),
        [1, 0, 1]
    );
    assert_eq!(
        q::<Vec<i64>>(&mut c, &["SMISMEMBER", "nokey", "a", "b"]),
        [0, 0]
    );
    assert_eq!(q::<i64>(&mut c, &["SREM", "s", "a", "z", "a"]), 1);
    assert_eq!(q::<i64>(&mut c, &["SREM", "nokey", "a"]), 0);
    assert_eq!(q::<i64>(&mut c, &["SREM", "s", "b", "c", "d"]), 3);
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "s"]), 0);
    assert_eq!(q::<i64>(&mut c, &["SADD", "e", ""]), 1);
    assert_eq!(q::<String>(&mut c, &["TYPE", "e"]), "set");
}

#[test]
fn arity_and_wrongtype() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    q::<String>(&mut c, &["SET", "str", "x"]);
    q::<i64>(&mut c, &["SADD", "s", "a"]);
    for cmd in [
        &["SADD", "s"][..],
        &["SREM", "s"],
        &["SMEMBERS"],
        &["SISMEMBER", "s"],
        &["SMISMEMBER", "s"],
        &["SCARD", "s", "x"],
        &["SPOP"],
        &["SRANDMEMBER"],
        &["SMOVE", "s", "t"],
        &["SINTER"],
        &["SINTERCARD", "1"],
        &["SUNION"],
        &["SDIFF"],
        &["SINTERSTORE", "d"],
        &["SUNIONSTORE", "d"],
        &["SDIFFSTORE", "d"],
        &["SSCAN", "s"],
    ] {
        let name = cmd[0].to_ascii_lowercase();
        assert_eq!(
            q_err(&mut c, cmd),
            format!("ERR wrong number of arguments for '{name}' command"),
            "{cmd:?}"
        );
    }
    for cmd in [
        &["SADD", "str", "a"][..],
        &["SREM", "str", "a"],
        &["SMEMBERS", "str"],
        &["SISMEMBER", "str", "a"],
        &["SMISMEMBER", "str", "a"],
        &["SCARD", "str"],
        &["SPOP", "str"],
        &["SPOP", "str", "0"],
        &["SRANDMEMBER", "str"],
        &["SRANDMEMBER", "str", "0"],
        &["SMOVE", "str", "s", "a"],
        &["SMOVE", "s", "str", "a"],
        &["SINTER", "s", "str"],
        &["SINTER", "nokey", "str"],
        &["SINTERCARD", "2", "nokey", "str"],
        &["SUNION", "str", "s"],
        &["SDIFF", "nokey", "str"],
        &["SINTERSTORE", "d", "nokey", "str"],
        &["SUNIONSTORE", "d", "s", "str"],
        &["SDIFFSTORE", "d", "s", "str"],
        &["SSCAN", "str", "0"],
        &["SSCAN", "str", "0", "BADOPT"],
    ] {
        assert_eq!(q_err(&mut c, cmd), WRONGTYPE, "{cmd:?}");
    }
    // A missing source wins over a wrongly typed destination.
    assert_eq!(q::<i64>(&mut c, &["SMOVE", "nokey", "str", "a"]), 0);
    assert_eq!(q::<String>(&mut c, &["GET", "str"]), "x");
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "d"]), 0);
}

/// Fills `key` with the members m0..m9 and returns them.
fn ten_members(c: &mut redis::Connection, key: &str) -> Vec<String> {
    let all: Vec<String> = (0..10).map(|i| format!("m{i}")).collect();
    let mut cmd = vec!["SADD", key];
    cmd.extend(all.iter().map(String::as_str));
    q::<i64>(c, &cmd);
    all
}

#[test]
fn spop() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let all = ten_members(&mut c, "s");

    let one: String = q(&mut c, &["SPOP", "s"]);
    assert!(all.contains(&one));
    assert_eq!(q::<i64>(&mut c, &["SISMEMBER", "s", &one]), 0);
    assert!(q::<Vec<String>>(&mut c, &["SPOP", "s", "0"]).is_empty());
    assert_eq!(q::<i64>(&mut c, &["SCARD", "s"]), 9);
    let three: Vec<String> = q(&mut c, &["SPOP", "s", "3"]);
    assert_eq!(three.iter().collect::<HashSet<_>>().len(), 3);
    assert!(!three.contains(&one));
    assert_eq!(q::<i64>(&mut c, &["SCARD", "s"]), 6);
    let rest: Vec<String> = q(&mut c, &["SPOP", "s", "100"]);
    assert_eq!(rest.len(), 6);
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "s"]), 0);
    let mut popped: Vec<String> = rest.into_iter().chain(three).collect();
    popped.push(one);
    assert_eq!(sorted(popped), sorted(all));

    assert_eq!(q::<Option<String>>(&mut c, &["SPOP", "nokey"]), None);
    assert!(q::<Vec<String>>(&mut c, &["SPOP", "nokey", "3"]).is_empty());
    q::<i64>(&mut c, &["SADD", "one", "x"]);
    assert_eq!(q::<String>(&mut c, &["SPOP", "one"]), "x");
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "one"]), 0);

    let positive = "ERR value is out of range, must be positive";
    assert_eq!(q_err(&mut c, &["SPOP", "s", "-1"]), positive);
    assert_eq!(q_err(&mut c, &["SPOP", "s", "x"]), positive);
    assert_eq!(q_err(&mut c, &["SPOP", "s", "1", "2"]), "ERR syntax error");
}

#[test]
fn srandmember() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let all = ten_members(&mut c, "s");

    let one: String = q(&mut c, &["SRANDMEMBER", "s"]);
    assert!(all.contains(&one));
    assert_eq!(q::<Option<String>>(&mut c, &["SRANDMEMBER", "nokey"]), None);
    assert!(q::<Vec<String>>(&mut c, &["SRANDMEMBER", "nokey", "5"]).is_empty());
    assert!(q::<Vec<String>>(&mut c, &["SRANDMEMBER", "nokey", "-5"]).is_empty());
    assert!(q::<Vec<String>>(&mut c, &["SRANDMEMBER", "s", "0"]).is_empty());
    for _ in 0..20 {
        let some: Vec<String> = q(&mut c, &["SRANDMEMBER", "s", "4"]);
        assert_eq!(some.iter().collect::<HashSet<_>>().len(), 4);
        assert!(some.iter().all(|m| all.contains(m)));
    }
    let whole: Vec<String> = q(&mut c, &["SRANDMEMBER", "s", "50"]);
    assert_eq!(sorted(whole), sorted(all.clone()));
    let rep: Vec<String> = q(&mut c, &["SRANDMEMBER", "s", "-50"]);
    assert_eq!(rep.len(), 50);
    assert!(rep.iter().all(|m| all.contains(m)));
    // Sampling never modifies the set.
    assert_eq!(q::<i64>(&mut c, &["SCARD", "s"]), 10);

    assert_eq!(
        q_err(&mut c, &["SRANDMEMBER", "s", "-9223372036854775808"]),
        "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
    );
    assert_eq!(
        q_err(&mut c, &["SRANDMEMBER", "s", "x"]),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(
        q_err(&mut c, &["SRANDMEMBER", "s", "1", "2"]),
        "ERR syntax error"
    );
}

#[test]
fn smove() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    q::<i64>(&mut c, &["SADD", "src", "a", "b"]);
    q::<i64>(&mut c, &["SADD", "dst", "b"]);
    assert_eq!(q::<i64>(&mut c, &["SMOVE", "src", "dst", "b"]), 1);
    assert_eq!(members(&mut c, "src"), ["a"]);
    assert_eq!(members(&mut c, "dst"), ["b"]);
    assert_eq!(q::<i64>(&mut c, &["SMOVE", "src", "dst", "zz"]), 0);
    assert_eq!(q::<i64>(&mut c, &["SMOVE", "src", "src", "a"]), 1);
    assert_eq!(q::<i64>(&mut c, &["SMOVE", "src", "src", "zz"]), 0);
    assert_eq!(q::<i64>(&mut c, &["SMOVE", "src", "new", "a"]), 1);
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "src"]), 0);
    assert_eq!(members(&mut c, "new"), ["a"]);
    assert_eq!(q::<i64>(&mut c, &["SMOVE", "nokey", "dst", "a"]), 0);
}

#[test]
fn algebra() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    q::<i64>(&mut c, &["SADD", "a", "1", "2", "3", "4"]);
    q::<i64>(&mut c, &["SADD", "b", "3", "4", "5"]);
    q::<i64>(&mut c, &["SADD", "c", "4", "5", "6"]);
    assert_eq!(sorted(q(&mut c, &["SINTER", "a", "b"])), ["3", "4"]);
    assert_eq!(sorted(q(&mut c, &["SINTER", "a", "b", "c"])), ["4"]);
    assert_eq!(sorted(q(&mut c, &["SINTER", "a"])), ["1", "2", "3", "4"]);
    assert!(q::<Vec<String>>(&mut c, &["SINTER", "a", "nokey"]).is_empty());
    assert_eq!(
        sorted(q(&mut c, &["SUNION", "a", "nokey", "c"])),
        ["1", "2", "3", "4", "5", "6"]
    );
    assert!(q::<Vec<String>>(&mut c, &["SUNION", "nokey"]).is_empty());
    assert_eq!(sorted(q(&mut c, &["SDIFF", "a", "b"])), ["1", "2"]);
    assert_eq!(
        sorted(q(&mut c, &["SDIFF", "a", "nokey", "c"])),
        ["1", "2", "3"]
    );
    assert!(q::<Vec<String>>(&mut c, &["SDIFF", "nokey", "a"]).is_empty());
    assert!(q::<Vec<String>>(&mut c, &["SDIFF", "a", "a"]).is_empty());

    assert_eq!(q::<i64>(&mut c, &["SINTERSTORE", "d", "a", "b"]), 2);
    assert_eq!(members(&mut c, "d"), ["3", "4"]);
    assert_eq!(q::<i64>(&mut c, &["SUNIONSTORE", "d", "b", "c"]), 4);
    assert_eq!(members(&mut c, "d"), ["3", "4", "5", "6"]);
    assert_eq!(q::<i64>(&mut c, &["SDIFFSTORE", "d", "a", "b"]), 2);
    assert_eq!(members(&mut c, "d"), ["1", "2"]);

    // Empty results delete the destination, whatever it held.
    assert_eq!(q::<i64>(&mut c, &["SINTERSTORE", "d", "a", "nokey"]), 0);
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "d"]), 0);
    q::<String>(&mut c, &["SET", "d", "x"]);
    assert_eq!(q::<i64>(&mut c, &["SDIFFSTORE", "d", "a", "a"]), 0);
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "d"]), 0);
    q::<i64>(&mut c, &["HSET", "d", "f", "v"]);
    assert_eq!(q::<i64>(&mut c, &["SUNIONSTORE", "d", "nokey"]), 0);
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "d"]), 0);

    // Non-empty results overwrite any type and drop its TTL.
    q::<String>(&mut c, &["SET", "d", "x", "EX", "100"]);
    assert_eq!(q::<i64>(&mut c, &["SUNIONSTORE", "d", "a"]), 4);
    assert_eq!(q::<String>(&mut c, &["TYPE", "d"]), "set");
    assert_eq!(q::<i64>(&mut c, &["TTL", "d"]), -1);

    // The destination may be one of the sources.
    assert_eq!(q::<i64>(&mut c, &["SINTERSTORE", "a", "a", "b"]), 2);
    assert_eq!(members(&mut c, "a"), ["3", "4"]);
    assert_eq!(q::<i64>(&mut c, &["SUNIONSTORE", "a", "a", "c"]), 4);
    assert_eq!(members(&mut c, "a"), ["3", "4", "5", "6"]);
    assert_eq!(q::<i64>(&mut c, &["SDIFFSTORE", "a", "a", "b"]), 1);
    assert_eq!(members(&mut c, "a"), ["6"]);
    assert_eq!(q::<i64>(&mut c, &["SDIFFSTORE", "a", "a", "c"]), 0);
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "a"]), 0);
}

#[test]
fn sintercard() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    q::<i64>(&mut c, &["SADD", "a", "1", "2", "3", "4"]);
    q::<i64>(&mut c, &["SADD", "b", "2", "3", "4", "5"]);
    assert_eq!(q::<i64>(&mut c, &["SINTERCARD", "2", "a", "b"]), 3);
    assert_eq!(q::<i64>(&mut c, &["SINTERCARD", "1", "a"]), 4);
    assert_eq!(q::<i64>(&mut c, &["SINTERCARD", "2", "a", "nokey"]), 0);
    assert_eq!(
        q::<i64>(&mut c, &["SINTERCARD", "2", "a", "b", "LIMIT", "0"]),
        3
    );
    assert_eq!(
        q::<i64>(&mut c, &["SINTERCARD", "2", "a", "b", "LIMIT", "2"]),
        2
    );
    assert_eq!(
        q::<i64>(&mut c, &["SINTERCARD", "2", "a", "b", "limit", "1"]),
        1
    );
    assert_eq!(
        q::<i64>(&mut c, &["SINTERCARD", "2", "a", "b", "LIMIT", "10"]),
        3
    );
    assert_eq!(
        q::<i64>(
            &mut c,
            &["SINTERCARD", "1", "a", "LIMIT", "1", "LIMIT", "3"]
        ),
        3
    );
    // LIMIT after fewer keys than numkeys would need is read as a key.
    assert_eq!(q::<i64>(&mut c, &["SINTERCARD", "2", "a", "LIMIT"]), 0);

    let numkeys = "ERR numkeys should be greater than 0";
    assert_eq!(q_err(&mut c, &["SINTERCARD", "0", "a"]), numkeys);
    assert_eq!(q_err(&mut c, &["SINTERCARD", "-1", "a"]), numkeys);
    assert_eq!(q_err(&mut c, &["SINTERCARD", "x", "a"]), numkeys);
    assert_eq!(
        q_err(&mut c, &["SINTERCARD", "3", "a", "b"]),
        "ERR Number of keys can't be greater than number of args"
    );
    let limit = "ERR LIMIT can't be negative";
    assert_eq!(
        q_err(&mut c, &["SINTERCARD", "1", "a", "LIMIT", "-1"]),
        limit
    );
    assert_eq!(
        q_err(&mut c, &["SINTERCARD", "1", "a", "LIMIT", "x"]),
        limit
    );
    assert_eq!(
        q_err(&mut c, &["SINTERCARD", "1", "a", "LIMIT"]),
        "ERR syntax error"
    );
    assert_eq!(
        q_err(&mut c, &["SINTERCARD", "1", "a", "FOO"]),
        "ERR syntax error"
    );
}

#[test]
fn resp3_shapes() {
    let s = Server::start(&[]);
    let mut c = s.conn3();
    q::<i64>(&mut c, &["SADD", "s", "a", "b", "c"]);
    q::<i64>(&mut c, &["SADD", "t", "b", "c", "d"]);
    for cmd in [
        &["SMEMBERS", "s"][..],
        &["SMEMBERS", "nokey"],
        &["SINTER", "s", "t"],
        &["SINTER", "s", "nokey"],
        &["SUNION", "s", "t"],
        &["SDIFF", "s", "t"],
        &["SPOP", "nokey", "1"],
        &["SPOP", "s", "0"],
        &["SPOP", "s", "1"],
    ] {
        assert!(
            matches!(run(&mut c, cmd), Ok(Value::Set(_))),
            "{cmd:?} should reply with a set"
        );
    }
    for cmd in [
        &["SRANDMEMBER", "t", "2"][..],
        &["SRANDMEMBER", "t", "-5"],
        &["SRANDMEMBER", "t", "50"],
        &["SRANDMEMBER", "nokey", "2"],
        &["SMISMEMBER", "t", "b"],
    ] {
        assert!(
            matches!(run(&mut c, cmd), Ok(Value::Array(_))),
            "{cmd:?} should reply with an array"
        );
    }
    assert_eq!(
        run(&mut c, &["SISMEMBER", "t", "b"]).ok(),
        Some(Value::Int(1))
    );
    assert_eq!(run(&mut c, &["SPOP", "nokey"]).ok(), Some(Value::Nil));
    assert_eq!(
        run(&mut c, &["SRANDMEMBER", "nokey"]).ok(),
        Some(Value::Nil)
    );
    assert!(matches!(
        run(&mut c, &["SSCAN", "t", "0"]),
        Ok(Value::Array(v)) if matches!(&v[1], Value::Array(_))
    ));
}

#[test]
fn sscan_options_and_errors() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    for i in 0..30 {
        q::<i64>(&mut c, &["SADD", "s", &format!("m{i}")]);
    }
    assert_eq!(q_err(&mut c, &["SSCAN", "s", "x"]), "ERR invalid cursor");
    assert_eq!(
        q_err(&mut c, &["SSCAN", "nokey", "x"]),
        "ERR invalid cursor"
    );
    assert_eq!(
        q_err(&mut c, &["SSCAN", "s", "0", "COUNT", "-1"]),
        "ERR syntax error"
    );
    assert_eq!(
        q_err(&mut c, &["SSCAN", "s", "0", "BADOPT"]),
        "ERR syntax error"
    );
    let (cur, items): (String, Vec<String>) = q(&mut c, &["SSCAN", "nokey", "0", "BADOPT"]);
    assert_eq!((cur.as_str(), items.len()), ("0", 0));

    let mut seen = HashSet::new();
    seen.extend(scan_all(
        &mut c,
        &["SSCAN", "s"],
        &["MATCH", "m2?", "COUNT", "3"],
    ));
    let want: HashSet<String> = (20..30).map(|i| format!("m{i}")).collect();
    assert_eq!(seen, want);
}

#[test]
fn sscan_survives_deletions() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let n = 600;
    for chunk in (0..n).collect::<Vec<_>>().chunks(100) {
        let mut cmd = vec!["SADD".to_string(), "s".into()];
        cmd.extend(chunk.iter().map(|i| format!("m{i}")));
        let refs: Vec<&str> = cmd.iter().map(String::as_str).collect();
        q::<i64>(&mut c, &refs);
    }
    let doomed: Vec<String> = (0..n).step_by(2).map(|i| format!("m{i}")).collect();
    let mut doomed_iter = doomed.iter();
    let mut seen = HashSet::new();
    let mut calls = 0;
    scan_pages(&mut c, &["SSCAN", "s"], &["COUNT", "10"], |c, items| {
        seen.extend(items);
        // Delete a mix of returned and not yet returned members, and pop some at random.
        for _ in 0..4 {
            if let Some(m) = doomed_iter.next() {
                q::<i64>(c, &["SREM", "s", m]);
            }
        }
        calls += 1;
        assert!(calls < 10_000, "scan does not terminate");
    });
    let doomed: HashSet<String> = doomed.into_iter().collect();
    for i in 0..n {
        let m = format!("m{i}");
        if !doomed.contains(&m) {
            assert!(seen.contains(&m), "{m} never returned");
        }
    }
}

#[test]
fn replies_match_real_redis() {
    let script: &[&[&str]] = &[
        &["SET", "str", "x"],
        &["SADD", "s", "a"],
        &["SADD", "t", "a", "b"],
        &["SMEMBERS", "s"],
        &["SMEMBERS", "nokey"],
        &["SINTER", "s", "t"],
        &["SINTER", "nokey", "str"],
        &["SUNION", "nokey"],
        &["SDIFF", "t", "s"],
        &["SINTERCARD", "2", "s", "t", "LIMIT", "5"],
        &["SINTERCARD", "0", "s"],
        &["SINTERCARD", "1", "s", "LIMIT", "-1"],
        &["SINTERCARD", "5", "s"],
        &["SMISMEMBER", "t", "a", "z"],
        &["SISMEMBER", "t", "a"],
        &["SPOP", "nokey"],
        &["SPOP", "nokey", "2"],
        &["SPOP", "t", "0"],
        &["SPOP", "t", "-1"],
        &["SRANDMEMBER", "nokey"],
        &["SRANDMEMBER", "nokey", "-2"],
        &["SRANDMEMBER", "s", "-3"],
        &["SRANDMEMBER", "s", "3"],
        &["SRANDMEMBER", "s", "-9223372036854775808"],
        &["SMOVE", "nokey", "str", "a"],
        &["SMOVE", "s", "str", "a"],
        &["SSCAN", "s", "0"],
        &["SSCAN", "s", "x"],
        &["SINTERSTORE", "d", "s", "t"],
        &["SDIFFSTORE", "d", "s", "t"],
        &["EXISTS", "d"],
        &["SPOP", "s", "5"],
        &["EXISTS", "s"],
    ];
    assert_replies_match_real_redis(script);
}
