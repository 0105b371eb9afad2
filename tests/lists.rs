//! List commands end to end, including the blocking family and exact RESP2/RESP3 reply shapes.
//!
//! Expected replies were checked against Debian's redis-server 7.0.15.

mod common;

use std::thread;
use std::time::{Duration, Instant};

use common::info::wait_for_clients;
use common::resp::{Raw, bulk, bulks, encode};
use common::{Server, WRONGTYPE, q, q_err};

/// Lets a command sent on another connection reach the server before the next step.
fn settle() {
    thread::sleep(Duration::from_millis(100));
}

#[test]
fn push_and_length() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    assert_eq!(q::<i64>(&mut c, &["LPUSH", "l", "a", "b"]), 2);
    assert_eq!(q::<i64>(&mut c, &["RPUSH", "l", "c", "d"]), 4);
    assert_eq!(
        q::<Vec<String>>(&mut c, &["LRANGE", "l", "0", "-1"]),
        ["b", "a", "c", "d"]
    );
    assert_eq!(q::<i64>(&mut c, &["LPUSHX", "l", "x", "y"]), 6);
    assert_eq!(q::<i64>(&mut c, &["RPUSHX", "l", "z"]), 7);
    assert_eq!(q::<i64>(&mut c, &["LPUSHX", "none", "x"]), 0);
    assert_eq!(q::<i64>(&mut c, &["RPUSHX", "none", "x"]), 0);
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "none"]), 0);
    assert_eq!(q::<i64>(&mut c, &["LLEN", "l"]), 7);
    assert_eq!(q::<i64>(&mut c, &["LLEN", "none"]), 0);
    assert_eq!(q::<String>(&mut c, &["TYPE", "l"]), "list");
    q::<()>(&mut c, &["SET", "s", "v"]);
    for cmd in [
        &["LPUSH", "s", "a"][..],
        &["RPUSH", "s", "a"],
        &["LPUSHX", "s", "a"],
        &["RPUSHX", "s", "a"],
        &["LLEN", "s"],
        &["LRANGE", "s", "0", "-1"],
        &["LINDEX", "s", "0"],
        &["LPOP", "s"],
        &["RPOP", "s", "0"],
        &["LSET", "s", "0", "x"],
        &["LREM", "s", "0", "x"],
        &["LTRIM", "s", "0", "1"],
        &["LINSERT", "s", "BEFORE", "a", "b"],
        &["LPOS", "s", "a"],
        &["LMOVE", "s", "l", "LEFT", "LEFT"],
        &["RPOPLPUSH", "s", "l"],
        &["LMPOP", "1", "s", "LEFT"],
    ] {
        assert_eq!(q_err(&mut c, cmd), WRONGTYPE, "{cmd:?}");
    }
    assert_eq!(
        q_err(&mut c, &["LPUSH", "l"]),
        "ERR wrong number of arguments for 'lpush' command"
    );
}

#[test]
fn pops_and_counts() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let mut r = Raw::open(&s);
    q::<i64>(&mut c, &["RPUSH", "l", "a", "b", "c", "d", "e"]);
    assert_eq!(q::<String>(&mut c, &["LPOP", "l"]), "a");
    assert_eq!(q::<String>(&mut c, &["RPOP", "l"]), "e");
    assert_eq!(q::<Vec<String>>(&mut c, &["LPOP", "l", "2"]), ["b", "c"]);
    assert_eq!(r.cmd(&["LPOP", "l", "0"]), "*0\r\n");
    assert_eq!(r.cmd(&["RPOP", "l", "5"]), bulks(&["d"]));
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "l"]), 0);
    // Missing key: null bulk without count, null array with any count (even 0).
    assert_eq!(r.cmd(&["LPOP", "l"]), "$-1\r\n");
    assert_eq!(r.cmd(&["LPOP", "l", "2"]), "*-1\r\n");
    assert_eq!(r.cmd(&["RPOP", "l", "0"]), "*-1\r\n");
    for bad in ["-1", "abc"] {
        assert_eq!(
            q_err(&mut c, &["LPOP", "l", bad]),
            "ERR value is out of range, must be positive"
        );
    }
    assert_eq!(
        q_err(&mut c, &["LPOP", "l", "1", "2"]),
        "ERR wrong number of arguments for 'lpop' command"
    );
    assert_eq!(
        q_err(&mut c, &["RPOP", "l", "1", "2"]),
        "ERR wrong number of arguments for 'rpop' command"
    );
    q::<i64>(&mut c, &["RPUSH", "l", "a", "b", "c"]);
    assert_eq!(q::<Vec<String>>(&mut c, &["RPOP", "l", "2"]), ["c", "b"]);
}

#[test]
fn ranges_and_indexes() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    q::<i64>(&mut c, &["RPUSH", "l", "a", "b", "c", "d"]);
    let range = |c: &mut redis::Connection, a: &str, b: &str| -> Vec<String> {
        q(c, &["LRANGE", "l", a, b])
    };
    assert_eq!(range(&mut c, "1", "2"), ["b", "c"]);
    assert_eq!(range(&mut c, "-2", "-1"), ["c", "d"]);
    assert_eq!(range(&mut c, "-100", "100"), ["a", "b", "c", "d"]);
    assert!(range(&mut c, "3", "1").is_empty());
    assert!(range(&mut c, "5", "10").is_empty());
    assert!(q::<Vec<String>>(&mut c, &["LRANGE", "none", "0", "-1"]).is_empty());
    assert_eq!(
        q_err(&mut c, &["LRANGE", "l", "a", "1"]),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(q::<String>(&mut c, &["LINDEX", "l", "0"]), "a");
    assert_eq!(q::<String>(&mut c, &["LINDEX", "l", "-1"]), "d");
    assert_eq!(q::<Option<String>>(&mut c, &["LINDEX", "l", "4"]), None);
    assert_eq!(q::<Option<String>>(&mut c, &["LINDEX", "l", "-5"]), None);
    assert_eq!(
        q_err(&mut c, &["LINDEX", "l", "x"]),
        "ERR value is not an integer or out of range"
    );
    // The key is looked up before the index is parsed.
    assert_eq!(q::<Option<String>>(&mut c, &["LINDEX", "none", "x"]), None);

    assert_eq!(q::<String>(&mut c, &["LSET", "l", "0", "A"]), "OK");
    assert_eq!(q::<String>(&mut c, &["LSET", "l", "-1", "D"]), "OK");
    assert_eq!(range(&mut c, "0", "-1"), ["A", "b", "c", "D"]);
    assert_eq!(
        q_err(&mut c, &["LSET", "l", "4", "x"]),
        "ERR index out of range"
    );
    assert_eq!(
        q_err(&mut c, &["LSET", "l", "-5", "x"]),
        "ERR index out of range"
    );
    assert_eq!(
        q_err(&mut c, &["LSET", "none", "0", "x"]),
        "ERR no such key"
    );
    assert_eq!(
        q_err(&mut c, &["LSET", "none", "x", "x"]),
        "ERR no such key"
    );
    assert_eq!(
        q_err(&mut c, &["LSET", "l", "x", "x"]),
        "ERR value is not an integer or out of range"
    );
}

#[test]
fn lrem_ltrim_linsert() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let all =
        |c: &mut redis::Connection, k: &str| -> Vec<String> { q(c, &["LRANGE", k, "0", "-1"]) };
    q::<i64>(&mut c, &["RPUSH", "l", "a", "x", "a", "x", "a", "x", "a"]);
    assert_eq!(q::<i64>(&mut c, &["LREM", "l", "2", "a"]), 2);
    assert_eq!(all(&mut c, "l"), ["x", "x", "a", "x", "a"]);
    assert_eq!(q::<i64>(&mut c, &["LREM", "l", "-1", "x"]), 1);
    assert_eq!(all(&mut c, "l"), ["x", "x", "a", "a"]);
    assert_eq!(q::<i64>(&mut c, &["LREM", "l", "-5", "a"]), 2);
    assert_eq!(q::<i64>(&mut c, &["LREM", "l", "0", "zz"]), 0);
    assert_eq!(q::<i64>(&mut c, &["LREM", "l", "0", "x"]), 2);
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "l"]), 0);
    assert_eq!(q::<i64>(&mut c, &["LREM", "l", "0", "x"]), 0);
    assert_eq!(
        q_err(&mut c, &["LREM", "l", "x", "a"]),
        "ERR value is not an integer or out of range"
    );

    q::<i64>(&mut c, &["RPUSH", "t", "a", "b", "c", "d", "e"]);
    assert_eq!(q::<String>(&mut c, &["LTRIM", "t", "1", "-2"]), "OK");
    assert_eq!(all(&mut c, "t"), ["b", "c", "d"]);
    assert_eq!(q::<String>(&mut c, &["LTRIM", "t", "-100", "100"]), "OK");
    assert_eq!(all(&mut c, "t"), ["b", "c", "d"]);
    assert_eq!(q::<String>(&mut c, &["LTRIM", "t", "2", "1"]), "OK");
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "t"]), 0);
    assert_eq!(q::<String>(&mut c, &["LTRIM", "none", "0", "1"]), "OK");
    assert_eq!(
        q_err(&mut c, &["LTRIM", "t", "0", "x"]),
        "ERR value is not an integer or out of range"
    );

    q::<i64>(&mut c, &["RPUSH", "i", "a", "c"]);
    assert_eq!(q::<i64>(&mut c, &["LINSERT", "i", "BEFORE", "c", "b"]), 3);
    assert_eq!(q::<i64>(&mut c, &["LINSERT", "i", "after", "c", "d"]), 4);
    assert_eq!(q::<i64>(&mut c, &["LINSERT", "i", "BEFORE", "a", "_"]), 5);
    assert_eq!(all(&mut c, "i"), ["_", "a", "b", "c", "d"]);
    assert_eq!(q::<i64>(&mut c, &["LINSERT", "i", "BEFORE", "zz", "x"]), -1);
    assert_eq!(
        q::<i64>(&mut c, &["LINSERT", "none", "BEFORE", "a", "x"]),
        0
    );
    assert_eq!(
        q_err(&mut c, &["LINSERT", "i", "MIDDLE", "a", "x"]),
        "ERR syntax error"
    );
    assert_eq!(
        q_err(&mut c, &["LINSERT", "none", "MIDDLE", "a", "x"]),
        "ERR syntax error"
    );
}

#[test]
fn lpos_variants() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let mut r = Raw::open(&s);
    q::<i64>(&mut c, &["RPUSH", "l", "a", "b", "c", "a", "b", "c"]);
    assert_eq!(r.cmd(&["LPOS", "l", "a"]), ":0\r\n");
    assert_eq!(r.cmd(&["LPOS", "l", "c"]), ":2\r\n");
    assert_eq!(r.cmd(&["LPOS", "l", "zz"]), "$-1\r\n");
    assert_eq!(r.cmd(&["LPOS", "l", "a", "RANK", "2"]), ":3\r\n");
    assert_eq!(r.cmd(&["LPOS", "l", "a", "RANK", "3"]), "$-1\r\n");
    assert_eq!(r.cmd(&["LPOS", "l", "a", "RANK", "-1"]), ":3\r\n");
    assert_eq!(r.cmd(&["LPOS", "l", "a", "RANK", "-2"]), ":0\r\n");
    assert_eq!(
        r.cmd(&["LPOS", "l", "a", "RANK", "-9223372036854775808"]),
        ":3\r\n"
    );
    assert_eq!(
        r.cmd(&["LPOS", "l", "a", "COUNT", "0"]),
        "*2\r\n:0\r\n:3\r\n"
    );
    assert_eq!(r.cmd(&["LPOS", "l", "a", "COUNT", "1"]), "*1\r\n:0\r\n");
    assert_eq!(r.cmd(&["LPOS", "l", "zz", "COUNT", "1"]), "*0\r\n");
    assert_eq!(
        r.cmd(&["LPOS", "l", "a", "RANK", "2", "COUNT", "0"]),
        "*1\r\n:3\r\n"
    );
    assert_eq!(
        r.cmd(&["LPOS", "l", "b", "RANK", "-1", "COUNT", "0"]),
        "*2\r\n:4\r\n:1\r\n"
    );
    assert_eq!(r.cmd(&["LPOS", "l", "c", "MAXLEN", "2"]), "$-1\r\n");
    assert_eq!(r.cmd(&["LPOS", "l", "c", "MAXLEN", "3"]), ":2\r\n");
    assert_eq!(
        r.cmd(&["LPOS", "l", "c", "COUNT", "0", "MAXLEN", "5"]),
        "*1\r\n:2\r\n"
    );
    assert_eq!(
        r.cmd(&["LPOS", "l", "a", "RANK", "-1", "MAXLEN", "2"]),
        "$-1\r\n"
    );
    assert_eq!(r.cmd(&["LPOS", "none", "a"]), "$-1\r\n");
    assert_eq!(r.cmd(&["LPOS", "none", "a", "COUNT", "0"]), "*0\r\n");
    assert_eq!(
        q_err(&mut c, &["LPOS", "l", "a", "RANK", "0"]),
        "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list"
    );
    assert_eq!(
        q_err(&mut c, &["LPOS", "l", "a", "RANK", "x"]),
        "ERR value is not an integer or out of range"
    );
    for bad in ["-1", "x", "9223372036854775808"] {
        assert_eq!(
            q_err(&mut c, &["LPOS", "l", "a", "COUNT", bad]),
            "ERR COUNT can't be negative"
        );
        assert_eq!(
            q_err(&mut c, &["LPOS", "l", "a", "MAXLEN", bad]),
            "ERR MAXLEN can't be negative"
        );
    }
    assert_eq!(
        q_err(&mut c, &["LPOS", "l", "a", "RANK"]),
        "ERR syntax error"
    );
    assert_eq!(
        q_err(&mut c, &["LPOS", "l", "a", "FOO", "1"]),
        "ERR syntax error"
    );
    // Option errors come before the key lookup.
    assert_eq!(
        q_err(&mut c, &["LPOS", "none", "a", "COUNT", "-1"]),
        "ERR COUNT can't be negative"
    );
}

#[test]
fn lmove_and_rpoplpush() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let mut r = Raw::open(&s);
    let all =
        |c: &mut redis::Connection, k: &str| -> Vec<String> { q(c, &["LRANGE", k, "0", "-1"]) };
    q::<i64>(&mut c, &["RPUSH", "src", "1", "2", "3", "4"]);
    assert_eq!(
        q::<String>(&mut c, &["LMOVE", "src", "dst", "LEFT", "LEFT"]),
        "1"
    );
    assert_eq!(
        q::<String>(&mut c, &["LMOVE", "src", "dst", "RIGHT", "RIGHT"]),
        "4"
    );
    assert_eq!(
        q::<String>(&mut c, &["LMOVE", "src", "dst", "left", "right"]),
        "2"
    );
    assert_eq!(all(&mut c, "dst"), ["1", "4", "2"]);
    assert_eq!(q::<String>(&mut c, &["RPOPLPUSH", "src", "dst"]), "3");
    assert_eq!(all(&mut c, "dst"), ["3", "1", "4", "2"]);
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "src"]), 0);
    assert_eq!(r.cmd(&["LMOVE", "src", "dst", "LEFT", "LEFT"]), "$-1\r\n");
    assert_eq!(r.cmd(&["RPOPLPUSH", "src", "dst"]), "$-1\r\n");
    // Rotation on one key, including a single-element list.
    assert_eq!(q::<String>(&mut c, &["RPOPLPUSH", "dst", "dst"]), "2");
    assert_eq!(all(&mut c, "dst"), ["2", "3", "1", "4"]);
    assert_eq!(
        q::<String>(&mut c, &["LMOVE", "dst", "dst", "LEFT", "RIGHT"]),
        "2"
    );
    assert_eq!(all(&mut c, "dst"), ["3", "1", "4", "2"]);
    q::<i64>(&mut c, &["RPUSH", "one", "x"]);
    assert_eq!(
        q::<String>(&mut c, &["LMOVE", "one", "one", "LEFT", "RIGHT"]),
        "x"
    );
    assert_eq!(all(&mut c, "one"), ["x"]);
    // Type checks: source first; a wrong destination leaves the source untouched.
    q::<()>(&mut c, &["SET", "str", "v"]);
    assert_eq!(r.cmd(&["LMOVE", "none", "str", "LEFT", "LEFT"]), "$-1\r\n");
    assert_eq!(
        q_err(&mut c, &["LMOVE", "dst", "str", "LEFT", "LEFT"]),
        WRONGTYPE
    );
    assert_eq!(q_err(&mut c, &["RPOPLPUSH", "dst", "str"]), WRONGTYPE);
    assert_eq!(all(&mut c, "dst"), ["3", "1", "4", "2"]);
    assert_eq!(
        q_err(&mut c, &["LMOVE", "dst", "x", "UP", "LEFT"]),
        "ERR syntax error"
    );
    assert_eq!(
        q_err(&mut c, &["LMOVE", "dst", "x", "LEFT", "DOWN"]),
        "ERR syntax error"
    );
}

#[test]
fn lmpop_shapes_and_errors() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let mut r = Raw::open(&s);
    q::<i64>(&mut c, &["RPUSH", "b", "1", "2", "3"]);
    assert_eq!(
        r.cmd(&["LMPOP", "2", "a", "b", "LEFT"]),
        "*2\r\n$1\r\nb\r\n*1\r\n$1\r\n1\r\n"
    );
    assert_eq!(
        r.cmd(&["LMPOP", "2", "a", "b", "RIGHT", "COUNT", "10"]),
        "*2\r\n$1\r\nb\r\n*2\r\n$1\r\n3\r\n$1\r\n2\r\n"
    );
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "b"]), 0);
    assert_eq!(r.cmd(&["LMPOP", "2", "a", "b", "LEFT"]), "*-1\r\n");
    for (args, err) in [
        (
            &["LMPOP", "0", "a", "LEFT"][..],
            "ERR numkeys should be greater than 0",
        ),
        (
            &["LMPOP", "x", "a", "LEFT"],
            "ERR numkeys should be greater than 0",
        ),
        (
            &["LMPOP", "-1", "a", "LEFT"],
            "ERR numkeys should be greater than 0",
        ),
        (&["LMPOP", "5", "a", "LEFT"], "ERR syntax error"),
        (&["LMPOP", "1", "a", "UP"], "ERR syntax error"),
        (&["LMPOP", "1", "a", "LEFT", "COUNT"], "ERR syntax error"),
        (
            &["LMPOP", "1", "a", "LEFT", "COUNT", "0"],
            "ERR count should be greater than 0",
        ),
        (
            &["LMPOP", "1", "a", "LEFT", "COUNT", "x"],
            "ERR count should be greater than 0",
        ),
        (
            &["LMPOP", "1", "a", "LEFT", "COUNT", "1", "COUNT", "1"],
            "ERR syntax error",
        ),
        (&["LMPOP", "1", "a", "LEFT", "EXTRA"], "ERR syntax error"),
        (
            &["LMPOP", "1", "a"],
            "ERR wrong number of arguments for 'lmpop' command",
        ),
    ] {
        assert_eq!(q_err(&mut c, args), err, "{args:?}");
    }
    // The first non-empty list wins; a wrong type before it is an error.
    q::<i64>(&mut c, &["RPUSH", "l2", "x"]);
    q::<()>(&mut c, &["SET", "str", "v"]);
    assert_eq!(
        q_err(&mut c, &["LMPOP", "2", "str", "l2", "LEFT"]),
        WRONGTYPE
    );
    assert_eq!(
        r.cmd(&["LMPOP", "3", "none", "l2", "str", "LEFT"]),
        "*2\r\n$2\r\nl2\r\n*1\r\n$1\r\nx\r\n"
    );
}

#[test]
fn resp3_null_shapes() {
    let s = Server::start(&[]);
    let mut r = Raw::open(&s);
    r.send(&["HELLO", "3"]);
    let _ = r.read();
    assert_eq!(r.cmd(&["LPOP", "none", "2"]), "_\r\n");
    assert_eq!(r.cmd(&["LPOP", "none"]), "_\r\n");
    assert_eq!(r.cmd(&["LMPOP", "1", "none", "LEFT"]), "_\r\n");
    assert_eq!(r.cmd(&["LPOS", "none", "a"]), "_\r\n");
    assert_eq!(r.cmd(&["BLPOP", "none", "0.01"]), "_\r\n");
    assert_eq!(
        r.cmd(&["BLMOVE", "none", "d", "LEFT", "LEFT", "0.01"]),
        "_\r\n"
    );
    assert_eq!(r.cmd(&["BLMPOP", "0.01", "1", "none", "LEFT"]), "_\r\n");
    assert_eq!(r.cmd(&["RPUSH", "l", "a", "b"]), ":2\r\n");
    assert_eq!(r.cmd(&["BLPOP", "l", "0"]), bulks(&["l", "a"]));
    assert_eq!(r.cmd(&["LPOP", "l", "5"]), bulks(&["b"]));
}

#[test]
fn blocking_timeouts_and_errors() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let mut r = Raw::open(&s);
    for (cmd, reply) in [
        (&["BLPOP", "none", "0.2"][..], "*-1\r\n"),
        (&["BRPOP", "none", "other", "0.2"], "*-1\r\n"),
        (&["BLMOVE", "none", "d", "LEFT", "RIGHT", "0.2"], "*-1\r\n"),
        (&["BRPOPLPUSH", "none", "d", "0.2"], "*-1\r\n"),
        (&["BLMPOP", "0.2", "2", "none", "other", "LEFT"], "*-1\r\n"),
    ] {
        let start = Instant::now();
        assert_eq!(r.cmd(cmd), reply, "{cmd:?}");
        assert!(
            start.elapsed() >= Duration::from_millis(150),
            "{cmd:?} returned early"
        );
    }
    assert_eq!(r.cmd(&["PING"]), "+PONG\r\n");
    for (cmd, err) in [
        (
            &["BLPOP", "k", "abc"][..],
            "ERR timeout is not a float or out of range",
        ),
        (&["BLPOP", "k", "-1"], "ERR timeout is negative"),
        (&["BLPOP", "k", "inf"], "ERR timeout is negative"),
        (&["BLPOP", "k", "1e100"], "ERR timeout is negative"),
        (
            &["BRPOP", "k", "nan"],
            "ERR timeout is not a float or out of range",
        ),
        (
            &["BLMOVE", "k", "d", "UP", "LEFT", "abc"],
            "ERR syntax error",
        ),
        (
            &["BLMOVE", "k", "d", "LEFT", "LEFT", "abc"],
            "ERR timeout is not a float or out of range",
        ),
        (&["BRPOPLPUSH", "k", "d", "-0.5"], "ERR timeout is negative"),
        (
            &["BLMPOP", "0", "0", "k", "LEFT"],
            "ERR numkeys should be greater than 0",
        ),
        (
            &["BLMPOP", "-1", "0", "k", "LEFT"],
            "ERR numkeys should be greater than 0",
        ),
        (
            &["BLMPOP", "-1", "1", "k", "LEFT"],
            "ERR timeout is negative",
        ),
        (
            &["BLMPOP", "0", "1", "k", "LEFT", "COUNT"],
            "ERR syntax error",
        ),
        (
            &["BLPOP", "k"],
            "ERR wrong number of arguments for 'blpop' command",
        ),
    ] {
        assert_eq!(q_err(&mut c, cmd), err, "{cmd:?}");
    }
    // Wrong types answer at once instead of blocking.
    q::<()>(&mut c, &["SET", "str", "v"]);
    assert_eq!(q_err(&mut c, &["BLPOP", "str", "0"]), WRONGTYPE);
    assert_eq!(q_err(&mut c, &["BRPOP", "none", "str", "0"]), WRONGTYPE);
    assert_eq!(
        q_err(&mut c, &["BLMOVE", "str", "d", "LEFT", "LEFT", "0"]),
        WRONGTYPE
    );
    assert_eq!(q_err(&mut c, &["BRPOPLPUSH", "str", "d", "0"]), WRONGTYPE);
    assert_eq!(
        q_err(&mut c, &["BLMPOP", "0", "1", "str", "LEFT"]),
        WRONGTYPE
    );
    q::<i64>(&mut c, &["RPUSH", "src", "a"]);
    assert_eq!(
        q_err(&mut c, &["BLMOVE", "src", "str", "LEFT", "LEFT", "0"]),
        WRONGTYPE
    );
    assert_eq!(q::<i64>(&mut c, &["LLEN", "src"]), 1);
    // A non-empty list named before the wrong-type key is served.
    assert_eq!(
        q::<Vec<String>>(&mut c, &["BLPOP", "src", "str", "0"]),
        ["src", "a"]
    );
}

#[test]
fn blocking_served_immediately_when_data_exists() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let mut r = Raw::open(&s);
    q::<i64>(&mut c, &["RPUSH", "k2", "x", "y"]);
    q::<i64>(&mut c, &["RPUSH", "k3", "z"]);
    assert_eq!(
        r.cmd(&["BLPOP", "k1", "k2", "k3", "0"]),
        bulks(&["k2", "x"])
    );
    assert_eq!(
        r.cmd(&["BRPOP", "k1", "k3", "k2", "0"]),
        bulks(&["k3", "z"])
    );
    assert_eq!(r.cmd(&["BRPOPLPUSH", "k2", "k2", "0"]), bulk("y"));
    assert_eq!(
        r.cmd(&["BLMOVE", "k2", "d", "LEFT", "RIGHT", "0"]),
        bulk("y")
    );
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "k2", "k3"]), 0);
    q::<i64>(&mut c, &["RPUSH", "m", "1", "2", "3"]);
    assert_eq!(
        r.cmd(&["BLMPOP", "0", "2", "none", "m", "RIGHT", "COUNT", "2"]),
        "*2\r\n$1\r\nm\r\n*2\r\n$1\r\n3\r\n$1\r\n2\r\n"
    );
}

#[test]
fn blocking_inside_multi_exact_reply() {
    let s = Server::start(&[]);
    let mut r = Raw::open(&s);
    r.cmd(&["MULTI"]);
    r.cmd(&["BLPOP", "none", "0"]);
    r.cmd(&["BLMOVE", "none", "d", "LEFT", "LEFT", "0"]);
    r.cmd(&["BRPOPLPUSH", "none", "d", "0"]);
    r.cmd(&["BLMPOP", "0", "1", "none", "LEFT"]);
    r.cmd(&["RPUSH", "l", "a"]);
    r.cmd(&["BLPOP", "l", "0"]);
    let start = Instant::now();
    assert_eq!(
        r.cmd(&["EXEC"]),
        format!(
            "*6\r\n*-1\r\n$-1\r\n$-1\r\n*-1\r\n:1\r\n{}",
            bulks(&["l", "a"])
        )
    );
    assert!(start.elapsed() < Duration::from_secs(2));
}

#[test]
fn blpop_woken_by_push_from_another_client() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let mut a = Raw::open(&s);
    a.block(&["BLPOP", "k", "5"]);
    assert_eq!(a.read_within(100), None, "must block");
    assert_eq!(q::<i64>(&mut c, &["LPUSH", "k", "v"]), 1);
    assert_eq!(a.read(), bulks(&["k", "v"]));
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "k"]), 0);
    // BRPOP takes from the tail; LPUSH of several elements serves one and keeps the rest.
    a.block(&["BRPOP", "k", "0"]);
    assert_eq!(q::<i64>(&mut c, &["RPUSH", "k", "1", "2", "3"]), 3);
    assert_eq!(a.read(), bulks(&["k", "3"]));
    assert_eq!(
        q::<Vec<String>>(&mut c, &["LRANGE", "k", "0", "-1"]),
        ["1", "2"]
    );
}

#[test]
fn fifo_order_among_blocked_clients() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let mut a = Raw::open(&s);
    let mut b = Raw::open(&s);
    let mut d = Raw::open(&s);
    a.block(&["BLPOP", "k", "0"]);
    b.block(&["BLPOP", "other", "k", "0"]);
    d.block(&["BRPOP", "k", "0"]);
    // One push of three elements serves the three waiters in the order they blocked.
    q::<i64>(&mut c, &["RPUSH", "k", "x", "y", "z"]);
    assert_eq!(a.read(), bulks(&["k", "x"]));
    assert_eq!(b.read(), bulks(&["k", "y"]));
    assert_eq!(d.read(), bulks(&["k", "z"]));

    // One element at a time: the first waiter gets it, the second keeps waiting.
    a.block(&["BLPOP", "k", "0"]);
    b.block(&["BLPOP", "k", "0"]);
    q::<i64>(&mut c, &["RPUSH", "k", "1"]);
    assert_eq!(a.read(), bulks(&["k", "1"]));
    assert_eq!(b.read_within(200), None);
    q::<i64>(&mut c, &["RPUSH", "k", "2"]);
    assert_eq!(b.read(), bulks(&["k", "2"]));
}

#[test]
fn blpop_threads_receive_in_block_order() {
    let s = Server::start(&[]);
    let port = s.port;
    let mut handles = Vec::new();
    for i in 0..3 {
        let mut r = Raw::open(&s);
        r.block(&["BLPOP", "q", "5"]);
        handles.push(thread::spawn(move || (i, r.read())));
    }
    let mut c = s.conn();
    q::<i64>(&mut c, &["RPUSH", "q", "e0", "e1", "e2"]);
    for h in handles {
        let (i, reply) = h.join().expect("thread");
        assert_eq!(reply, bulks(&["q", &format!("e{i}")]), "port {port}");
    }
}

#[test]
fn blmove_and_brpoplpush_wake() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let mut a = Raw::open(&s);
    a.block(&["BLMOVE", "src", "dst", "LEFT", "RIGHT", "0"]);
    q::<i64>(&mut c, &["RPUSH", "src", "a", "b"]);
    assert_eq!(a.read(), bulk("a"));
    assert_eq!(
        q::<Vec<String>>(&mut c, &["LRANGE", "dst", "0", "-1"]),
        ["a"]
    );
    assert_eq!(
        q::<Vec<String>>(&mut c, &["LRANGE", "src", "0", "-1"]),
        ["b"]
    );
    q::<i64>(&mut c, &["DEL", "src"]);

    a.block(&["BRPOPLPUSH", "src", "dst", "0"]);
    q::<i64>(&mut c, &["RPUSH", "src", "x", "y"]);
    assert_eq!(a.read(), bulk("y"));
    assert_eq!(
        q::<Vec<String>>(&mut c, &["LRANGE", "dst", "0", "-1"]),
        ["y", "a"]
    );

    // Source == destination: the blocked client rotates the list.
    q::<i64>(&mut c, &["DEL", "rot"]);
    a.block(&["BLMOVE", "rot", "rot", "RIGHT", "LEFT", "0"]);
    q::<i64>(&mut c, &["RPUSH", "rot", "1", "2", "3"]);
    assert_eq!(a.read(), bulk("3"));
    assert_eq!(
        q::<Vec<String>>(&mut c, &["LRANGE", "rot", "0", "-1"]),
        ["3", "1", "2"]
    );
    q::<i64>(&mut c, &["DEL", "rot"]);
    a.block(&["BRPOPLPUSH", "rot", "rot", "0"]);
    q::<i64>(&mut c, &["RPUSH", "rot", "only"]);
    assert_eq!(a.read(), bulk("only"));
    assert_eq!(
        q::<Vec<String>>(&mut c, &["LRANGE", "rot", "0", "-1"]),
        ["only"]
    );
}

#[test]
fn chained_wakeups_through_blmove() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let mut mover = Raw::open(&s);
    let mut popper = Raw::open(&s);
    mover.block(&["BLMOVE", "in", "out", "LEFT", "LEFT", "0"]);
    popper.block(&["BLPOP", "out", "0"]);
    q::<i64>(&mut c, &["RPUSH", "in", "job"]);
    assert_eq!(mover.read(), bulk("job"));
    assert_eq!(popper.read(), bulks(&["out", "job"]));
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "in", "out"]), 0);
}

#[test]
fn blmpop_wakes_with_count() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let mut a = Raw::open(&s);
    a.block(&["BLMPOP", "0", "2", "a", "b", "RIGHT", "COUNT", "2"]);
    q::<i64>(&mut c, &["RPUSH", "b", "1", "2", "3"]);
    assert_eq!(a.read(), "*2\r\n$1\r\nb\r\n*2\r\n$1\r\n3\r\n$1\r\n2\r\n");
    assert_eq!(q::<Vec<String>>(&mut c, &["LRANGE", "b", "0", "-1"]), ["1"]);
}

#[test]
fn blocked_client_ignores_non_list_values() {
    // Redis 7.0 only serves blocked list clients from keys holding lists: a key overwritten with
    // a string keeps the client waiting instead of answering WRONGTYPE.
    let s = Server::start(&[]);
    let mut c = s.conn();
    let mut a = Raw::open(&s);
    a.block(&["BLPOP", "k", "0"]);
    q::<()>(&mut c, &["SET", "k", "str"]);
    assert_eq!(a.read_within(200), None);
    q::<i64>(&mut c, &["DEL", "k"]);
    q::<i64>(&mut c, &["RPUSH", "k", "v"]);
    assert_eq!(a.read(), bulks(&["k", "v"]));

    a.block(&["BLPOP", "k1", "k2", "0"]);
    q::<()>(&mut c, &["SET", "k1", "str"]);
    q::<i64>(&mut c, &["RPUSH", "k2", "v"]);
    assert_eq!(a.read(), bulks(&["k2", "v"]));

    // BLMOVE whose destination became a string answers WRONGTYPE and leaves the source alone.
    q::<()>(&mut c, &["SET", "dst", "str"]);
    a.block(&["BLMOVE", "src", "dst", "LEFT", "LEFT", "0"]);
    q::<i64>(&mut c, &["RPUSH", "src", "v"]);
    assert_eq!(a.read(), format!("-{WRONGTYPE}\r\n"));
    assert_eq!(q::<i64>(&mut c, &["LLEN", "src"]), 1);
}

#[test]
fn pipelined_command_after_blocked_blpop_waits() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let mut a = Raw::open(&s);
    let mut batch = encode(&["PING"]);
    batch.extend(encode(&["BLPOP", "k", "0"]));
    batch.extend(encode(&["RPUSH", "after", "1"]));
    batch.extend(encode(&["PING"]));
    a.write_raw(&batch);
    assert_eq!(a.read(), "+PONG\r\n");
    settle();
    assert_eq!(a.read_within(200), None);
    assert_eq!(
        q::<i64>(&mut c, &["EXISTS", "after"]),
        0,
        "ran before BLPOP was served"
    );
    q::<i64>(&mut c, &["RPUSH", "k", "v"]);
    assert_eq!(a.read(), bulks(&["k", "v"]));
    assert_eq!(a.read(), ":1\r\n");
    assert_eq!(a.read(), "+PONG\r\n");
}

#[test]
fn disconnected_waiter_is_forgotten() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    {
        let mut gone = Raw::open(&s);
        gone.block(&["BLPOP", "k", "0"]);
        gone.shutdown();
    }
    wait_for_clients(&mut c, 1);
    let mut b = Raw::open(&s);
    b.block(&["BLPOP", "k", "0"]);
    q::<i64>(&mut c, &["RPUSH", "k", "v1", "v2"]);
    assert_eq!(b.read(), bulks(&["k", "v1"]));
    // Nobody else consumed anything.
    assert_eq!(
        q::<Vec<String>>(&mut c, &["LRANGE", "k", "0", "-1"]),
        ["v2"]
    );
    assert_eq!(b.cmd(&["PING"]), "+PONG\r\n");
}

#[test]
fn blpop_times_out_then_connection_is_usable() {
    let s = Server::start(&[]);
    let mut a = Raw::open(&s);
    let mut c = s.conn();
    a.block(&["BLPOP", "k", "0.3"]);
    assert_eq!(a.read_within(3000).as_deref(), Some("*-1\r\n"));
    // A push after the timeout stays in the list.
    q::<i64>(&mut c, &["RPUSH", "k", "v"]);
    assert_eq!(a.cmd(&["LLEN", "k"]), ":1\r\n");
}
