//! Sorted set commands end to end: every command with its errors, infinite and exclusive score
//! ranges, lex ranges, RESP2/RESP3 reply shapes, blocking pops, keyspace events, and byte-exact
//! comparisons with Debian's redis-server 7.0.15 when it is installed.

mod common;

use std::time::{Duration, Instant};

use common::real_redis::assert_replies_match_real_redis;
use common::resp::{Raw, arr, bulk, bulks, dbl, int};
use common::{Server, WRONGTYPE, q, q_err};

/// `member, score` pairs: flat bulks in RESP2, `[member, double]` arrays in RESP3.
fn scored(proto: u8, pairs: &[(&str, &str)]) -> String {
    if proto == 2 {
        let flat: Vec<&str> = pairs.iter().flat_map(|(m, s)| [*m, *s]).collect();
        bulks(&flat)
    } else {
        arr(&pairs
            .iter()
            .map(|(m, s)| arr(&[bulk(m), dbl(s)]))
            .collect::<Vec<_>>())
    }
}

/// Both protocols against one server, with a fresh keyspace for each.
fn both(s: &Server, mut f: impl FnMut(u8, &mut Raw)) {
    for proto in [2u8, 3] {
        let mut r = Raw::connect(s.port, proto);
        r.cmd(&["FLUSHALL"]);
        f(proto, &mut r);
    }
}

// ----- ZADD / ZINCRBY / ZSCORE ------------------------------------------------------------------

#[test]
fn zadd_flags() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    assert_eq!(q::<i64>(&mut c, &["ZADD", "z", "1", "a", "2", "b"]), 2);
    // Re-adding counts nothing; CH counts changed scores too.
    assert_eq!(q::<i64>(&mut c, &["ZADD", "z", "1", "a", "3", "b"]), 0);
    assert_eq!(
        q::<i64>(&mut c, &["ZADD", "z", "CH", "1", "a", "4", "b", "5", "c"]),
        2
    );
    // NX only adds, XX only updates.
    assert_eq!(
        q::<i64>(&mut c, &["ZADD", "z", "NX", "CH", "9", "a", "6", "d"]),
        1
    );
    assert_eq!(q::<f64>(&mut c, &["ZSCORE", "z", "a"]), 1.0);
    assert_eq!(
        q::<i64>(&mut c, &["ZADD", "z", "XX", "CH", "9", "a", "7", "e"]),
        1
    );
    assert_eq!(q::<Option<f64>>(&mut c, &["ZSCORE", "z", "e"]), None);
    // GT/LT only move scores one way but still add new members.
    assert_eq!(
        q::<i64>(
            &mut c,
            &["ZADD", "z", "GT", "CH", "1", "a", "10", "b", "1", "f"]
        ),
        2
    );
    assert_eq!(q::<f64>(&mut c, &["ZSCORE", "z", "a"]), 9.0);
    assert_eq!(q::<f64>(&mut c, &["ZSCORE", "z", "b"]), 10.0);
    assert_eq!(
        q::<i64>(&mut c, &["ZADD", "z", "LT", "CH", "2", "a", "20", "b"]),
        1
    );
    assert_eq!(q::<f64>(&mut c, &["ZSCORE", "z", "a"]), 2.0);
    assert_eq!(
        q::<i64>(&mut c, &["ZADD", "z", "XX", "GT", "CH", "3", "a"]),
        1
    );
    // XX on a missing key creates nothing.
    assert_eq!(q::<i64>(&mut c, &["ZADD", "nokey", "XX", "1", "a"]), 0);
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "nokey"]), 0);
    // Options are case-insensitive; scores accept inf and exponents.
    assert_eq!(
        q::<i64>(
            &mut c,
            &["zadd", "y", "nx", "-inf", "lo", "+INF", "hi", "1e3", "k"]
        ),
        3
    );
    assert_eq!(
        q::<Vec<String>>(&mut c, &["ZRANGE", "y", "0", "-1", "WITHSCORES"]),
        ["lo", "-inf", "k", "1000", "hi", "inf"]
    );
}

#[test]
fn zadd_incr_and_zincrby() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    assert_eq!(q::<f64>(&mut c, &["ZADD", "z", "INCR", "2.5", "a"]), 2.5);
    assert_eq!(q::<f64>(&mut c, &["ZINCRBY", "z", "-1", "a"]), 1.5);
    assert_eq!(q::<f64>(&mut c, &["ZINCRBY", "z", "3", "new"]), 3.0);
    // A no-op INCR (NX on an existing member, XX on a missing one, GT/LT refusing) is nil.
    assert_eq!(
        q::<Option<f64>>(&mut c, &["ZADD", "z", "NX", "INCR", "1", "a"]),
        None
    );
    assert_eq!(
        q::<Option<f64>>(&mut c, &["ZADD", "z", "XX", "INCR", "1", "b"]),
        None
    );
    assert_eq!(
        q::<Option<f64>>(&mut c, &["ZADD", "z", "GT", "INCR", "-1", "a"]),
        None
    );
    assert_eq!(
        q::<Option<f64>>(&mut c, &["ZADD", "z", "LT", "INCR", "0", "a"]),
        None
    );
    assert_eq!(
        q::<Option<f64>>(&mut c, &["ZADD", "nokey", "XX", "INCR", "1", "a"]),
        None
    );
    assert_eq!(
        q::<f64>(&mut c, &["ZADD", "z", "GT", "INCR", "1", "a"]),
        2.5
    );
    // Infinity is a valid score; inf + -inf is refused and leaves the score alone.
    assert_eq!(q::<String>(&mut c, &["ZINCRBY", "z", "+inf", "a"]), "inf");
    assert_eq!(
        q_err(&mut c, &["ZINCRBY", "z", "-inf", "a"]),
        "ERR resulting score is not a number (NaN)"
    );
    assert_eq!(
        q_err(&mut c, &["ZADD", "z", "INCR", "-inf", "a"]),
        "ERR resulting score is not a number (NaN)"
    );
    assert_eq!(q::<String>(&mut c, &["ZSCORE", "z", "a"]), "inf");
    // ZINCRBY shares ZADD's parser, option words included (as in Redis).
    assert_eq!(
        q_err(&mut c, &["ZINCRBY", "z", "nx", "a"]),
        "ERR syntax error"
    );
    assert_eq!(
        q_err(&mut c, &["ZINCRBY", "z", "x", "a"]),
        "ERR value is not a valid float"
    );
}

#[test]
fn zadd_errors() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let e = |c: &mut redis::Connection, a: &[&str]| q_err(c, a);
    assert_eq!(
        e(&mut c, &["ZADD", "z", "NX", "XX", "1", "a"]),
        "ERR XX and NX options at the same time are not compatible"
    );
    for combo in [["GT", "LT"], ["GT", "NX"], ["LT", "NX"]] {
        assert_eq!(
            e(&mut c, &["ZADD", "z", combo[0], combo[1], "1", "a"]),
            "ERR GT, LT, and/or NX options at the same time are not compatible"
        );
    }
    assert_eq!(
        e(&mut c, &["ZADD", "z", "INCR", "1", "a", "2", "b"]),
        "ERR INCR option supports a single increment-element pair"
    );
    assert_eq!(e(&mut c, &["ZADD", "z", "1", "a", "2"]), "ERR syntax error");
    assert_eq!(e(&mut c, &["ZADD", "z", "XX", "1"]), "ERR syntax error");
    assert_eq!(
        e(&mut c, &["ZADD", "z", "foo", "1", "a"]),
        "ERR syntax error"
    );
    assert_eq!(
        e(&mut c, &["ZADD", "z", "1"]),
        "ERR wrong number of arguments for 'zadd' command"
    );
    for bad in ["nan", "x", "1 ", "1e400", ""] {
        assert_eq!(
            e(&mut c, &["ZADD", "z", bad, "a"]),
            "ERR value is not a valid float",
            "{bad:?}"
        );
    }
    // A bad score anywhere means nothing is added.
    assert_eq!(
        e(&mut c, &["ZADD", "z", "1", "a", "x", "b"]),
        "ERR value is not a valid float"
    );
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "z"]), 0);
    q::<()>(&mut c, &["SET", "str", "v"]);
    assert_eq!(e(&mut c, &["ZADD", "str", "1", "a"]), WRONGTYPE);
    assert_eq!(e(&mut c, &["ZINCRBY", "str", "1", "a"]), WRONGTYPE);
}

#[test]
fn scores_format_like_redis_7_0() {
    let s = Server::start(&[]);
    both(&s, |p, r| {
        r.cmd(&[
            "ZADD", "z", "1.1", "a", "0.1", "b", "1e-5", "c", "1e300", "d", "3", "e",
        ]);
        let expect = |resp2: &str| {
            if p == 2 { bulk(resp2) } else { dbl(resp2) }
        };
        assert_eq!(r.cmd(&["ZSCORE", "z", "a"]), expect("1.1000000000000001"));
        assert_eq!(r.cmd(&["ZSCORE", "z", "b"]), expect("0.10000000000000001"));
        assert_eq!(
            r.cmd(&["ZSCORE", "z", "c"]),
            expect("1.0000000000000001e-05")
        );
        assert_eq!(
            r.cmd(&["ZSCORE", "z", "d"]),
            expect("1.0000000000000001e+300")
        );
        assert_eq!(r.cmd(&["ZSCORE", "z", "e"]), expect("3"));
        assert_eq!(r.cmd(&["ZINCRBY", "z", "0.5", "e"]), expect("3.5"));
        assert_eq!(r.cmd(&["ZADD", "z", "INCR", "-inf", "e"]), expect("-inf"));
        let null = if p == 2 { "$-1\r\n" } else { "_\r\n" };
        assert_eq!(r.cmd(&["ZSCORE", "z", "nope"]), null);
        assert_eq!(r.cmd(&["ZSCORE", "nokey", "a"]), null);
        assert_eq!(
            r.cmd(&["ZMSCORE", "z", "e", "nope", "b"]),
            arr(&[
                expect("-inf"),
                null.to_string(),
                expect("0.10000000000000001")
            ])
        );
        assert_eq!(
            r.cmd(&["ZMSCORE", "nokey", "a", "b"]),
            arr(&[null.to_string(), null.to_string()])
        );
        // A -0 written to a small set reads back as 0 (Redis stores it as an integer).
        r.cmd(&["ZADD", "z", "-0", "zero"]);
        assert_eq!(r.cmd(&["ZSCORE", "z", "zero"]), expect("0"));
    });
}

// ----- point reads and removal ------------------------------------------------------------------

#[test]
fn zcard_zrank_zrem() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    q::<i64>(
        &mut c,
        &["ZADD", "z", "1", "a", "2", "b", "2", "c", "3", "d"],
    );
    assert_eq!(q::<i64>(&mut c, &["ZCARD", "z"]), 4);
    assert_eq!(q::<i64>(&mut c, &["ZCARD", "nokey"]), 0);
    assert_eq!(q::<i64>(&mut c, &["ZRANK", "z", "c"]), 2);
    assert_eq!(q::<i64>(&mut c, &["ZREVRANK", "z", "c"]), 1);
    assert_eq!(q::<Option<i64>>(&mut c, &["ZRANK", "z", "nope"]), None);
    assert_eq!(q::<Option<i64>>(&mut c, &["ZREVRANK", "nokey", "a"]), None);
    // 7.0 has no WITHSCORE option.
    assert_eq!(
        q_err(&mut c, &["ZRANK", "z", "a", "WITHSCORE"]),
        "ERR wrong number of arguments for 'zrank' command"
    );
    assert_eq!(q::<i64>(&mut c, &["ZREM", "z", "a", "nope", "a"]), 1);
    assert_eq!(q::<i64>(&mut c, &["ZREM", "nokey", "a"]), 0);
    assert_eq!(q::<i64>(&mut c, &["ZREM", "z", "b", "c", "d"]), 3);
    assert_eq!(
        q::<i64>(&mut c, &["EXISTS", "z"]),
        0,
        "empty zset is deleted"
    );
    q::<()>(&mut c, &["SET", "str", "v"]);
    for a in [
        &["ZCARD", "str"][..],
        &["ZRANK", "str", "a"],
        &["ZREVRANK", "str", "a"],
        &["ZREM", "str", "a"],
        &["ZSCORE", "str", "a"],
        &["ZMSCORE", "str", "a"],
        &["ZCOUNT", "str", "0", "1"],
        &["ZLEXCOUNT", "str", "-", "+"],
    ] {
        assert_eq!(q_err(&mut c, a), WRONGTYPE, "{a:?}");
    }
}

// ----- ranges -------------------------------------------------------------------------------------

fn range_fixture(c: &mut redis::Connection) {
    q::<i64>(
        c,
        &[
            "ZADD", "z", "-inf", "ninf", "1", "a", "2", "b", "2", "c", "3", "d", "+inf", "pinf",
        ],
    );
}

fn strs(c: &mut redis::Connection, a: &[&str]) -> Vec<String> {
    q(c, a)
}

#[test]
fn zrange_by_rank() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    range_fixture(&mut c);
    assert_eq!(
        strs(&mut c, &["ZRANGE", "z", "0", "-1"]),
        ["ninf", "a", "b", "c", "d", "pinf"]
    );
    assert_eq!(strs(&mut c, &["ZRANGE", "z", "-2", "-1"]), ["d", "pinf"]);
    assert_eq!(strs(&mut c, &["ZRANGE", "z", "-100", "1"]), ["ninf", "a"]);
    assert_eq!(strs(&mut c, &["ZRANGE", "z", "4", "100"]), ["d", "pinf"]);
    assert!(strs(&mut c, &["ZRANGE", "z", "3", "1"]).is_empty());
    assert!(strs(&mut c, &["ZRANGE", "z", "6", "10"]).is_empty());
    assert_eq!(
        strs(&mut c, &["ZRANGE", "z", "0", "1", "REV"]),
        ["pinf", "d"]
    );
    assert_eq!(strs(&mut c, &["ZREVRANGE", "z", "0", "1"]), ["pinf", "d"]);
    assert_eq!(
        strs(&mut c, &["ZREVRANGE", "z", "1", "2", "WITHSCORES"]),
        ["d", "3", "c", "2"]
    );
    assert_eq!(
        strs(&mut c, &["ZRANGE", "z", "0", "0", "WITHSCORES"]),
        ["ninf", "-inf"]
    );
    assert!(strs(&mut c, &["ZRANGE", "nokey", "0", "-1"]).is_empty());
    // An explicit LIMIT with count -1 reads as no LIMIT (Redis quirk).
    assert_eq!(
        strs(&mut c, &["ZRANGE", "z", "0", "0", "LIMIT", "5", "-1"]),
        ["ninf"]
    );
    assert_eq!(
        q_err(&mut c, &["ZRANGE", "z", "0", "0", "LIMIT", "0", "1"]),
        "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
    );
    assert_eq!(
        q_err(&mut c, &["ZRANGE", "z", "a", "1"]),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(
        q_err(&mut c, &["ZREVRANGE", "z", "0", "1", "REV"]),
        "ERR syntax error"
    );
    assert_eq!(
        q_err(&mut c, &["ZRANGE", "z", "0", "1", "REV", "REV"]),
        "ERR syntax error"
    );
    assert_eq!(
        q_err(&mut c, &["ZRANGE", "z", "0", "1", "LIMIT", "0"]),
        "ERR syntax error"
    );
}

#[test]
fn zrange_by_score_with_infinities_and_exclusive_bounds() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    range_fixture(&mut c);
    let all = ["ninf", "a", "b", "c", "d", "pinf"];
    assert_eq!(strs(&mut c, &["ZRANGEBYSCORE", "z", "-inf", "+inf"]), all);
    assert_eq!(
        strs(&mut c, &["ZRANGE", "z", "-inf", "inf", "BYSCORE"]),
        all
    );
    assert_eq!(
        strs(&mut c, &["ZRANGEBYSCORE", "z", "(-inf", "(+inf"]),
        ["a", "b", "c", "d"]
    );
    assert_eq!(
        strs(&mut c, &["ZRANGEBYSCORE", "z", "(1", "(3"]),
        ["b", "c"]
    );
    assert_eq!(strs(&mut c, &["ZRANGEBYSCORE", "z", "1", "(2"]), ["a"]);
    assert_eq!(
        strs(&mut c, &["ZRANGEBYSCORE", "z", "(2", "+inf"]),
        ["d", "pinf"]
    );
    assert!(strs(&mut c, &["ZRANGEBYSCORE", "z", "(2", "2"]).is_empty());
    assert!(strs(&mut c, &["ZRANGEBYSCORE", "z", "3", "1"]).is_empty());
    assert_eq!(
        strs(&mut c, &["ZRANGEBYSCORE", "z", "2", "3", "WITHSCORES"]),
        ["b", "2", "c", "2", "d", "3"]
    );
    // LIMIT: negative count = all the rest, negative offset = nothing.
    assert_eq!(
        strs(
            &mut c,
            &["ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "1", "2"]
        ),
        ["a", "b"]
    );
    assert_eq!(
        strs(
            &mut c,
            &["ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "4", "-5"]
        ),
        ["d", "pinf"]
    );
    assert!(
        strs(
            &mut c,
            &["ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "-1", "2"]
        )
        .is_empty()
    );
    assert!(
        strs(
            &mut c,
            &["ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "0", "0"]
        )
        .is_empty()
    );
    assert!(
        strs(
            &mut c,
            &["ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "9", "1"]
        )
        .is_empty()
    );
    // Reversed: max comes first.
    assert_eq!(
        strs(&mut c, &["ZREVRANGEBYSCORE", "z", "(3", "(1"]),
        ["c", "b"]
    );
    assert_eq!(
        strs(
            &mut c,
            &[
                "ZREVRANGEBYSCORE",
                "z",
                "+inf",
                "-inf",
                "WITHSCORES",
                "LIMIT",
                "0",
                "2"
            ]
        ),
        ["pinf", "inf", "d", "3"]
    );
    assert_eq!(
        strs(
            &mut c,
            &[
                "ZRANGE", "z", "(3", "-inf", "BYSCORE", "REV", "LIMIT", "1", "2"
            ]
        ),
        ["b", "a"]
    );
    assert!(strs(&mut c, &["ZREVRANGEBYSCORE", "z", "1", "3"]).is_empty());
    // Bounds follow strtod: leading spaces, overflow and empty numbers are accepted.
    assert_eq!(
        strs(&mut c, &["ZRANGEBYSCORE", "z", "( 2", "1e400"]),
        ["d", "pinf"]
    );
    for (lo, hi) in [
        ("a", "1"),
        ("1", "x"),
        ("nan", "1"),
        ("(nan", "1"),
        ("1 ", "2"),
        ("[1", "2"),
    ] {
        assert_eq!(
            q_err(&mut c, &["ZRANGEBYSCORE", "z", lo, hi]),
            "ERR min or max is not a float",
            "{lo} {hi}"
        );
    }
    assert_eq!(
        q_err(&mut c, &["ZRANGEBYSCORE", "z", "0", "1", "LIMIT", "x", "1"]),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(
        q_err(&mut c, &["ZRANGEBYSCORE", "z", "0", "1", "BYLEX"]),
        "ERR syntax error"
    );
    assert_eq!(
        q_err(&mut c, &["ZRANGEBYSCORE", "z", "0", "1", "REV"]),
        "ERR syntax error"
    );
    assert_eq!(
        q_err(&mut c, &["ZRANGE", "z", "0", "1", "BYSCORE", "BYLEX"]),
        "ERR syntax error"
    );
}

#[test]
fn zrange_by_lex() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    q::<i64>(
        &mut c,
        &[
            "ZADD", "l", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e", "0", "",
        ],
    );
    assert_eq!(
        strs(&mut c, &["ZRANGEBYLEX", "l", "-", "+"]),
        ["", "a", "b", "c", "d", "e"]
    );
    assert_eq!(strs(&mut c, &["ZRANGEBYLEX", "l", "[b", "(d"]), ["b", "c"]);
    assert_eq!(strs(&mut c, &["ZRANGEBYLEX", "l", "(b", "[d"]), ["c", "d"]);
    assert_eq!(strs(&mut c, &["ZRANGEBYLEX", "l", "(", "[a"]), ["a"]);
    assert_eq!(strs(&mut c, &["ZRANGEBYLEX", "l", "[", "[a"]), ["", "a"]);
    assert!(strs(&mut c, &["ZRANGEBYLEX", "l", "+", "-"]).is_empty());
    assert!(strs(&mut c, &["ZRANGEBYLEX", "l", "[d", "[b"]).is_empty());
    assert_eq!(
        strs(&mut c, &["ZRANGEBYLEX", "l", "-", "+", "LIMIT", "1", "2"]),
        ["a", "b"]
    );
    assert_eq!(
        strs(
            &mut c,
            &["ZREVRANGEBYLEX", "l", "+", "-", "LIMIT", "0", "2"]
        ),
        ["e", "d"]
    );
    assert_eq!(
        strs(&mut c, &["ZREVRANGEBYLEX", "l", "[d", "(b"]),
        ["d", "c"]
    );
    assert_eq!(
        strs(&mut c, &["ZRANGE", "l", "[e", "[c", "BYLEX", "REV"]),
        ["e", "d", "c"]
    );
    assert_eq!(q::<i64>(&mut c, &["ZLEXCOUNT", "l", "-", "+"]), 6);
    assert_eq!(q::<i64>(&mut c, &["ZLEXCOUNT", "l", "(a", "[c"]), 2);
    assert_eq!(q::<i64>(&mut c, &["ZLEXCOUNT", "l", "+", "-"]), 0);
    assert_eq!(q::<i64>(&mut c, &["ZLEXCOUNT", "nokey", "-", "+"]), 0);
    for (lo, hi) in [("a", "+"), ("-", "c"), ("-a", "+"), ("", "+")] {
        assert_eq!(
            q_err(&mut c, &["ZRANGEBYLEX", "l", lo, hi]),
            "ERR min or max not valid string range item"
        );
        assert_eq!(
            q_err(&mut c, &["ZLEXCOUNT", "l", lo, hi]),
            "ERR min or max not valid string range item"
        );
    }
    for a in [
        &["ZRANGEBYLEX", "l", "-", "+", "WITHSCORES"][..],
        &["ZRANGE", "l", "-", "+", "BYLEX", "WITHSCORES"],
        &["ZRANGE", "l", "0", "1", "BYLEX", "WITHSCORES"],
    ] {
        assert_eq!(
            q_err(&mut c, a),
            "ERR syntax error, WITHSCORES not supported in combination with BYLEX"
        );
    }
}

#[test]
fn zcount_ranges() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    range_fixture(&mut c);
    assert_eq!(q::<i64>(&mut c, &["ZCOUNT", "z", "-inf", "+inf"]), 6);
    assert_eq!(q::<i64>(&mut c, &["ZCOUNT", "z", "(-inf", "(+inf"]), 4);
    assert_eq!(q::<i64>(&mut c, &["ZCOUNT", "z", "(1", "3"]), 3);
    assert_eq!(q::<i64>(&mut c, &["ZCOUNT", "z", "2", "2"]), 2);
    assert_eq!(q::<i64>(&mut c, &["ZCOUNT", "z", "(2", "2"]), 0);
    assert_eq!(q::<i64>(&mut c, &["ZCOUNT", "nokey", "0", "1"]), 0);
    assert_eq!(
        q_err(&mut c, &["ZCOUNT", "z", "a", "1"]),
        "ERR min or max is not a float"
    );
    // The range is checked before the key.
    assert_eq!(
        q_err(&mut c, &["ZCOUNT", "nokey", "a", "1"]),
        "ERR min or max is not a float"
    );
}

#[test]
fn zrangestore() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    range_fixture(&mut c);
    assert_eq!(q::<i64>(&mut c, &["ZRANGESTORE", "d", "z", "1", "2"]), 2);
    assert_eq!(
        strs(&mut c, &["ZRANGE", "d", "0", "-1", "WITHSCORES"]),
        ["a", "1", "b", "2"]
    );
    assert_eq!(
        q::<i64>(
            &mut c,
            &[
                "ZRANGESTORE",
                "d",
                "z",
                "+inf",
                "(1",
                "BYSCORE",
                "REV",
                "LIMIT",
                "1",
                "2"
            ]
        ),
        2
    );
    assert_eq!(strs(&mut c, &["ZRANGE", "d", "0", "-1"]), ["c", "d"]);
    q::<i64>(&mut c, &["ZADD", "l", "0", "a", "0", "b", "0", "c"]);
    assert_eq!(
        q::<i64>(
            &mut c,
            &[
                "ZRANGESTORE",
                "d",
                "l",
                "(a",
                "+",
                "BYLEX",
                "LIMIT",
                "0",
                "1"
            ]
        ),
        1
    );
    assert_eq!(strs(&mut c, &["ZRANGE", "d", "0", "-1"]), ["b"]);
    assert_eq!(
        q::<i64>(&mut c, &["ZRANGESTORE", "d", "l", "(c", "+", "BYLEX"]),
        0
    );
    assert_eq!(
        q::<i64>(&mut c, &["EXISTS", "d"]),
        0,
        "empty result deletes dst"
    );
    // The destination is overwritten whatever it held, and loses its TTL.
    q::<()>(&mut c, &["SET", "d", "x", "EX", "100"]);
    assert_eq!(q::<i64>(&mut c, &["ZRANGESTORE", "d", "z", "0", "0"]), 1);
    assert_eq!(q::<String>(&mut c, &["TYPE", "d"]), "zset");
    assert_eq!(q::<i64>(&mut c, &["TTL", "d"]), -1);
    // Source and destination may be the same key.
    assert_eq!(q::<i64>(&mut c, &["ZRANGESTORE", "z", "z", "0", "1"]), 2);
    assert_eq!(strs(&mut c, &["ZRANGE", "z", "0", "-1"]), ["ninf", "a"]);
    assert_eq!(
        q::<i64>(&mut c, &["ZRANGESTORE", "d", "nokey", "0", "-1"]),
        0
    );
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "d"]), 0);
    assert_eq!(
        q_err(&mut c, &["ZRANGESTORE", "d", "z", "0", "-1", "WITHSCORES"]),
        "ERR syntax error"
    );
    q::<()>(&mut c, &["SET", "str", "v"]);
    assert_eq!(
        q_err(&mut c, &["ZRANGESTORE", "d", "str", "0", "-1"]),
        WRONGTYPE
    );
    assert_eq!(q_err(&mut c, &["ZRANGE", "str", "0", "-1"]), WRONGTYPE);
}

#[test]
fn zremrange_family() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    range_fixture(&mut c);
    assert_eq!(q::<i64>(&mut c, &["ZREMRANGEBYRANK", "z", "0", "0"]), 1);
    assert_eq!(q::<i64>(&mut c, &["ZREMRANGEBYRANK", "z", "-1", "-1"]), 1);
    assert_eq!(q::<i64>(&mut c, &["ZREMRANGEBYRANK", "z", "10", "20"]), 0);
    assert_eq!(q::<i64>(&mut c, &["ZREMRANGEBYSCORE", "z", "(1", "(3"]), 2);
    assert_eq!(strs(&mut c, &["ZRANGE", "z", "0", "-1"]), ["a", "d"]);
    assert_eq!(
        q::<i64>(&mut c, &["ZREMRANGEBYSCORE", "z", "-inf", "+inf"]),
        2
    );
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "z"]), 0);
    q::<i64>(
        &mut c,
        &["ZADD", "l", "0", "a", "0", "b", "0", "c", "0", "d"],
    );
    assert_eq!(q::<i64>(&mut c, &["ZREMRANGEBYLEX", "l", "(a", "[c"]), 2);
    assert_eq!(strs(&mut c, &["ZRANGE", "l", "0", "-1"]), ["a", "d"]);
    assert_eq!(q::<i64>(&mut c, &["ZREMRANGEBYLEX", "l", "-", "+"]), 2);
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "l"]), 0);
    assert_eq!(
        q::<i64>(&mut c, &["ZREMRANGEBYRANK", "nokey", "0", "-1"]),
        0
    );
    assert_eq!(
        q_err(&mut c, &["ZREMRANGEBYRANK", "z", "a", "1"]),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(
        q_err(&mut c, &["ZREMRANGEBYSCORE", "z", "a", "1"]),
        "ERR min or max is not a float"
    );
    assert_eq!(
        q_err(&mut c, &["ZREMRANGEBYLEX", "z", "a", "+"]),
        "ERR min or max not valid string range item"
    );
    q::<()>(&mut c, &["SET", "str", "v"]);
    assert_eq!(
        q_err(&mut c, &["ZREMRANGEBYRANK", "str", "0", "1"]),
        WRONGTYPE
    );
}

// ----- pops ----------------------------------------------------------------------------------------

#[test]
fn zpop_shapes() {
    let s = Server::start(&[]);
    both(&s, |p, r| {
        r.cmd(&["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"]);
        // Without a count: a flat pair in both protocols.
        let one = if p == 2 {
            bulks(&["a", "1"])
        } else {
            arr(&[bulk("a"), dbl("1")])
        };
        assert_eq!(r.cmd(&["ZPOPMIN", "z"]), one);
        // With a count: flat in RESP2, pairs in RESP3.
        assert_eq!(
            r.cmd(&["ZPOPMAX", "z", "2"]),
            scored(p, &[("d", "4"), ("c", "3")])
        );
        assert_eq!(r.cmd(&["ZPOPMIN", "z", "0"]), "*0\r\n");
        assert_eq!(r.cmd(&["ZPOPMIN", "nokey"]), "*0\r\n");
        assert_eq!(r.cmd(&["ZPOPMIN", "nokey", "5"]), "*0\r\n");
        assert_eq!(r.cmd(&["ZPOPMIN", "z", "10"]), scored(p, &[("b", "2")]));
        assert_eq!(r.cmd(&["EXISTS", "z"]), int(0));
        assert_eq!(
            r.cmd(&["ZPOPMIN", "z", "-1"]),
            "-ERR value is out of range, must be positive\r\n"
        );
        assert_eq!(
            r.cmd(&["ZPOPMIN", "z", "x"]),
            "-ERR value is out of range, must be positive\r\n"
        );
        assert_eq!(r.cmd(&["ZPOPMIN", "z", "1", "2"]), "-ERR syntax error\r\n");
        r.cmd(&["SET", "str", "v"]);
        assert_eq!(r.cmd(&["ZPOPMAX", "str"]), format!("-{WRONGTYPE}\r\n"));
    });
}

#[test]
fn zmpop_shapes_and_errors() {
    let s = Server::start(&[]);
    both(&s, |p, r| {
        r.cmd(&["ZADD", "a", "1", "x", "2", "y", "3", "z"]);
        let nested = |key: &str, pairs: &[(&str, &str)]| {
            let items: Vec<String> = pairs
                .iter()
                .map(|(m, s)| {
                    let score = if p == 2 { bulk(s) } else { dbl(s) };
                    arr(&[bulk(m), score])
                })
                .collect();
            arr(&[bulk(key), arr(&items)])
        };
        assert_eq!(
            r.cmd(&["ZMPOP", "2", "nokey", "a", "MIN"]),
            nested("a", &[("x", "1")])
        );
        assert_eq!(
            r.cmd(&["ZMPOP", "1", "a", "max", "COUNT", "5"]),
            nested("a", &[("z", "3"), ("y", "2")])
        );
        assert_eq!(r.cmd(&["EXISTS", "a"]), int(0));
        let null = if p == 2 { "*-1\r\n" } else { "_\r\n" };
        assert_eq!(r.cmd(&["ZMPOP", "1", "a", "MIN"]), null);
        for (args, err) in [
            (
                &["ZMPOP", "0", "a", "MIN"][..],
                "numkeys should be greater than 0",
            ),
            (
                &["ZMPOP", "x", "a", "MIN"],
                "numkeys should be greater than 0",
            ),
            (&["ZMPOP", "2", "a", "MIN"], "syntax error"),
            (&["ZMPOP", "1", "a", "FOO"], "syntax error"),
            (&["ZMPOP", "1", "a", "MIN", "COUNT"], "syntax error"),
            (
                &["ZMPOP", "1", "a", "MIN", "COUNT", "0"],
                "count should be greater than 0",
            ),
            (
                &["ZMPOP", "1", "a", "MIN", "COUNT", "1", "COUNT", "1"],
                "syntax error",
            ),
            (
                &["BZMPOP", "x", "0", "a", "MIN"],
                "numkeys should be greater than 0",
            ),
            (&["BZMPOP", "x", "1", "a", "FOO"], "syntax error"),
            (
                &["BZMPOP", "x", "1", "a", "MIN"],
                "timeout is not a float or out of range",
            ),
            (&["BZMPOP", "-1", "1", "a", "MIN"], "timeout is negative"),
            (
                &["BZPOPMIN", "a", "x"],
                "timeout is not a float or out of range",
            ),
            (&["BZPOPMIN", "a", "-1"], "timeout is negative"),
        ] {
            assert_eq!(r.cmd(args), format!("-ERR {err}\r\n"), "{args:?}");
        }
    });
}

#[test]
fn bzpop_served_at_once_and_timeouts() {
    let s = Server::start(&[]);
    both(&s, |p, r| {
        r.cmd(&["ZADD", "b", "1", "x", "2", "y"]);
        let score = |v: &str| if p == 2 { bulk(v) } else { dbl(v) };
        assert_eq!(
            r.cmd(&["BZPOPMIN", "nokey", "b", "0"]),
            arr(&[bulk("b"), bulk("x"), score("1")])
        );
        assert_eq!(
            r.cmd(&["BZPOPMAX", "b", "1"]),
            arr(&[bulk("b"), bulk("y"), score("2")])
        );
        let null = if p == 2 { "*-1\r\n" } else { "_\r\n" };
        let start = Instant::now();
        assert_eq!(r.cmd(&["BZPOPMIN", "b", "0.1"]), null);
        assert_eq!(r.cmd(&["BZMPOP", "0.1", "1", "b", "MIN"]), null);
        let took = start.elapsed();
        assert!(
            took >= Duration::from_millis(180) && took < Duration::from_secs(3),
            "{took:?}"
        );
        // Inside MULTI a blocking pop on empty keys answers the timeout reply at once.
        r.cmd(&["MULTI"]);
        r.cmd(&["BZPOPMIN", "b", "0"]);
        r.cmd(&["BZMPOP", "0", "1", "b", "MAX"]);
        assert_eq!(r.cmd(&["EXEC"]), arr(&[null.to_string(), null.to_string()]));
        r.cmd(&["SET", "str", "v"]);
        assert_eq!(
            r.cmd(&["BZPOPMIN", "str", "0"]),
            format!("-{WRONGTYPE}\r\n")
        );
        assert_eq!(
            r.cmd(&["BZMPOP", "0", "1", "str", "MIN"]),
            format!("-{WRONGTYPE}\r\n")
        );
    });
}

#[test]
fn bzpopmin_woken_by_zadd_from_another_client() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let mut w = Raw::open(&s);
    w.block(&["BZPOPMIN", "other", "k", "5"]);
    assert_eq!(w.read_within(100), None, "must block");
    assert_eq!(q::<i64>(&mut c, &["ZADD", "k", "2", "b", "1", "a"]), 2);
    assert_eq!(w.read(), bulks(&["k", "a", "1"]));
    assert_eq!(strs(&mut c, &["ZRANGE", "k", "0", "-1"]), ["b"]);
    // BZPOPMAX on a key that gets a single member: the key is then deleted.
    w.block(&["BZPOPMAX", "q", "0"]);
    q::<i64>(&mut c, &["ZADD", "q", "7", "only"]);
    assert_eq!(w.read(), bulks(&["q", "only", "7"]));
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "q"]), 0);
    // BZMPOP woken with COUNT.
    w.block(&["BZMPOP", "5", "2", "m1", "m2", "MAX", "COUNT", "2"]);
    q::<i64>(&mut c, &["ZADD", "m2", "1", "a", "2", "b", "3", "c"]);
    assert_eq!(
        w.read(),
        arr(&[bulk("m2"), arr(&[bulks(&["c", "3"]), bulks(&["b", "2"])])])
    );
    // The connection works normally afterwards.
    assert_eq!(w.cmd(&["ZCARD", "m2"]), int(1));
}

#[test]
fn bzpopmin_times_out_while_waiting() {
    let s = Server::start(&[]);
    let mut w = Raw::open(&s);
    let start = Instant::now();
    w.block(&["BZPOPMIN", "k", "0.2"]);
    assert_eq!(w.read(), "*-1\r\n");
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(190) && took < Duration::from_secs(3),
        "{took:?}"
    );
    assert_eq!(w.cmd(&["PING"]), "+PONG\r\n");
}

#[test]
fn blocked_zpop_clients_are_served_in_order_and_ignore_other_types() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let mut a = Raw::open(&s);
    let mut b = Raw::open(&s);
    a.block(&["BZPOPMIN", "k", "0"]);
    b.block(&["BZPOPMIN", "k", "0"]);
    // A value of another type under the key neither serves nor fails the waiters.
    q::<()>(&mut c, &["SET", "k", "str"]);
    assert_eq!(a.read_within(150), None);
    q::<i64>(&mut c, &["DEL", "k"]);
    q::<i64>(&mut c, &["ZADD", "k", "1", "x"]);
    assert_eq!(a.read(), bulks(&["k", "x", "1"]));
    assert_eq!(b.read_within(150), None, "second waiter keeps waiting");
    q::<i64>(&mut c, &["ZADD", "k", "2", "y", "3", "z"]);
    assert_eq!(b.read(), bulks(&["k", "y", "2"]));
    assert_eq!(strs(&mut c, &["ZRANGE", "k", "0", "-1"]), ["z"]);
}

// ----- set algebra ---------------------------------------------------------------------------------

fn algebra_fixture(c: &mut redis::Connection) {
    q::<i64>(c, &["ZADD", "u1", "1", "a", "2", "b", "3", "c"]);
    q::<i64>(c, &["ZADD", "u2", "10", "b", "20", "c", "30", "d"]);
    q::<i64>(c, &["SADD", "s1", "a", "d", "x"]);
}

#[test]
fn zunion_zinter_zdiff() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    algebra_fixture(&mut c);
    let ws = |c: &mut redis::Connection, a: &[&str]| strs(c, a);
    assert_eq!(
        ws(&mut c, &["ZUNION", "2", "u1", "u2"]),
        ["a", "b", "c", "d"]
    );
    assert_eq!(
        ws(&mut c, &["ZUNION", "2", "u1", "u2", "WITHSCORES"]),
        ["a", "1", "b", "12", "c", "23", "d", "30"]
    );
    assert_eq!(
        ws(
            &mut c,
            &[
                "ZUNION",
                "2",
                "u1",
                "u2",
                "WEIGHTS",
                "2",
                "0.5",
                "WITHSCORES"
            ]
        ),
        ["a", "2", "b", "9", "d", "15", "c", "16"]
    );
    assert_eq!(
        ws(
            &mut c,
            &["ZUNION", "2", "u1", "u2", "AGGREGATE", "MIN", "WITHSCORES"]
        ),
        ["a", "1", "b", "2", "c", "3", "d", "30"]
    );
    assert_eq!(
        ws(
            &mut c,
            &["ZINTER", "2", "u1", "u2", "AGGREGATE", "max", "WITHSCORES"]
        ),
        ["b", "10", "c", "20"]
    );
    assert_eq!(
        ws(&mut c, &["ZINTER", "2", "u1", "nokey"]),
        Vec::<String>::new()
    );
    assert_eq!(
        ws(&mut c, &["ZDIFF", "2", "u2", "u1", "WITHSCORES"]),
        ["d", "30"]
    );
    assert_eq!(
        ws(&mut c, &["ZDIFF", "2", "nokey", "u1"]),
        Vec::<String>::new()
    );
    // Plain sets take part with score 1 (times their weight).
    assert_eq!(
        ws(&mut c, &["ZUNION", "3", "u1", "u2", "s1", "WITHSCORES"]),
        ["x", "1", "a", "2", "b", "12", "c", "23", "d", "31"]
    );
    assert_eq!(
        ws(
            &mut c,
            &["ZINTER", "2", "u1", "s1", "WEIGHTS", "1", "5", "WITHSCORES"]
        ),
        ["a", "6"]
    );
    assert_eq!(
        ws(&mut c, &["ZDIFF", "2", "s1", "u1", "WITHSCORES"]),
        ["d", "1", "x", "1"]
    );
    // inf + -inf sums to 0; inf * 0 weighs 0.
    q::<i64>(&mut c, &["ZADD", "i1", "+inf", "a", "-inf", "b"]);
    q::<i64>(&mut c, &["ZADD", "i2", "-inf", "a", "+inf", "b"]);
    assert_eq!(
        ws(&mut c, &["ZUNION", "2", "i1", "i2", "WITHSCORES"]),
        ["a", "0", "b", "0"]
    );
    assert_eq!(
        ws(&mut c, &["ZUNION", "1", "i1", "WEIGHTS", "0", "WITHSCORES"]),
        ["a", "0", "b", "0"]
    );
    assert_eq!(
        ws(
            &mut c,
            &["ZINTER", "2", "i1", "i2", "AGGREGATE", "MAX", "WITHSCORES"]
        ),
        ["a", "inf", "b", "inf"]
    );
}

#[test]
fn set_algebra_errors() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    algebra_fixture(&mut c);
    q::<()>(&mut c, &["SET", "str", "v"]);
    for (args, err) in [
        (
            &["ZUNION", "0", "u1"][..],
            "ERR at least 1 input key is needed for 'zunion' command",
        ),
        (
            &["ZINTER", "0", "u1"],
            "ERR at least 1 input key is needed for 'zinter' command",
        ),
        (
            &["ZDIFF", "-1", "u1"],
            "ERR at least 1 input key is needed for 'zdiff' command",
        ),
        (
            &["ZUNIONSTORE", "d", "0", "u1"],
            "ERR at least 1 input key is needed for 'zunionstore' command",
        ),
        (
            &["ZINTERCARD", "0", "u1"],
            "ERR at least 1 input key is needed for 'zintercard' command",
        ),
        (
            &["ZUNION", "x", "u1"],
            "ERR value is not an integer or out of range",
        ),
        (&["ZUNION", "3", "u1", "u2"], "ERR syntax error"),
        (
            &["ZUNION", "1", "u1", "WEIGHTS", "x"],
            "ERR weight value is not a float",
        ),
        (
            &["ZUNION", "1", "u1", "WEIGHTS", "1", "2"],
            "ERR syntax error",
        ),
        (
            &["ZUNION", "1", "u1", "AGGREGATE", "AVG"],
            "ERR syntax error",
        ),
        (&["ZUNION", "1", "u1", "AGGREGATE"], "ERR syntax error"),
        (&["ZDIFF", "1", "u1", "WEIGHTS", "1"], "ERR syntax error"),
        (
            &["ZDIFF", "1", "u1", "AGGREGATE", "SUM"],
            "ERR syntax error",
        ),
        (
            &["ZUNIONSTORE", "d", "1", "u1", "WITHSCORES"],
            "ERR syntax error",
        ),
        (
            &["ZINTERCARD", "1", "u1", "LIMIT", "-1"],
            "ERR LIMIT can't be negative",
        ),
        (
            &["ZINTERCARD", "1", "u1", "LIMIT", "x"],
            "ERR LIMIT can't be negative",
        ),
        (
            &["ZINTERCARD", "1", "u1", "WEIGHTS", "1"],
            "ERR syntax error",
        ),
        (&["ZINTERCARD", "1", "u1", "WITHSCORES"], "ERR syntax error"),
        (&["ZUNION", "2", "u1", "str"], WRONGTYPE),
        // Types are checked before the options.
        (&["ZUNION", "2", "str", "u1", "BOGUS"], WRONGTYPE),
        (&["ZINTERCARD", "1", "str"], WRONGTYPE),
    ] {
        assert_eq!(q_err(&mut c, args), err, "{args:?}");
    }
    assert_eq!(
        strs(&mut c, &["ZUNION", "1", "u1", "WITHSCORES", "WITHSCORES"]),
        ["a", "1", "b", "2", "c", "3"]
    );
}

#[test]
fn store_variants_and_zintercard() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    algebra_fixture(&mut c);
    assert_eq!(q::<i64>(&mut c, &["ZUNIONSTORE", "d", "2", "u1", "u2"]), 4);
    assert_eq!(
        strs(&mut c, &["ZRANGE", "d", "0", "-1", "WITHSCORES"]),
        ["a", "1", "b", "12", "c", "23", "d", "30"]
    );
    assert_eq!(
        q::<i64>(
            &mut c,
            &[
                "ZINTERSTORE",
                "d",
                "2",
                "u1",
                "u2",
                "WEIGHTS",
                "1",
                "0",
                "AGGREGATE",
                "MAX"
            ]
        ),
        2
    );
    assert_eq!(
        strs(&mut c, &["ZRANGE", "d", "0", "-1", "WITHSCORES"]),
        ["b", "2", "c", "3"]
    );
    assert_eq!(q::<i64>(&mut c, &["ZDIFFSTORE", "d", "2", "u1", "s1"]), 2);
    assert_eq!(strs(&mut c, &["ZRANGE", "d", "0", "-1"]), ["b", "c"]);
    // An empty result deletes the destination.
    assert_eq!(
        q::<i64>(&mut c, &["ZINTERSTORE", "d", "2", "u1", "nokey"]),
        0
    );
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "d"]), 0);
    // The destination may be an input, and may hold another type.
    assert_eq!(q::<i64>(&mut c, &["ZUNIONSTORE", "u1", "2", "u1", "u1"]), 3);
    assert_eq!(
        strs(&mut c, &["ZRANGE", "u1", "0", "-1", "WITHSCORES"]),
        ["a", "2", "b", "4", "c", "6"]
    );
    q::<()>(&mut c, &["SET", "str", "v"]);
    assert_eq!(q::<i64>(&mut c, &["ZDIFFSTORE", "str", "1", "u2"]), 3);
    assert_eq!(q::<String>(&mut c, &["TYPE", "str"]), "zset");

    assert_eq!(q::<i64>(&mut c, &["ZINTERCARD", "2", "u1", "u2"]), 2);
    assert_eq!(
        q::<i64>(&mut c, &["ZINTERCARD", "2", "u1", "u2", "LIMIT", "1"]),
        1
    );
    assert_eq!(
        q::<i64>(&mut c, &["ZINTERCARD", "2", "u1", "u2", "LIMIT", "0"]),
        2
    );
    assert_eq!(q::<i64>(&mut c, &["ZINTERCARD", "2", "u2", "s1"]), 1);
    assert_eq!(q::<i64>(&mut c, &["ZINTERCARD", "2", "u1", "nokey"]), 0);

    // Key positions follow numkeys.
    assert_eq!(
        strs(
            &mut c,
            &[
                "COMMAND",
                "GETKEYS",
                "ZUNIONSTORE",
                "d",
                "2",
                "a",
                "b",
                "WEIGHTS",
                "1",
                "2"
            ]
        ),
        ["d", "a", "b"]
    );
    assert_eq!(
        strs(
            &mut c,
            &["COMMAND", "GETKEYS", "ZINTER", "2", "a", "b", "WITHSCORES"]
        ),
        ["a", "b"]
    );
    assert_eq!(
        strs(
            &mut c,
            &["COMMAND", "GETKEYS", "BZMPOP", "0", "2", "a", "b", "MIN"]
        ),
        ["a", "b"]
    );
    assert_eq!(
        strs(&mut c, &["COMMAND", "GETKEYS", "BZPOPMIN", "a", "b", "0"]),
        ["a", "b"]
    );
}

// ----- ZRANDMEMBER / ZSCAN -------------------------------------------------------------------------

#[test]
fn zrandmember() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    q::<i64>(
        &mut c,
        &[
            "ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e",
        ],
    );
    let all = ["a", "b", "c", "d", "e"];
    for _ in 0..20 {
        let m: String = q(&mut c, &["ZRANDMEMBER", "z"]);
        assert!(all.contains(&m.as_str()));
        let three = strs(&mut c, &["ZRANDMEMBER", "z", "3"]);
        let mut uniq = three.clone();
        uniq.sort();
        uniq.dedup();
        assert_eq!(uniq.len(), 3, "positive count gives distinct members");
        let many = strs(&mut c, &["ZRANDMEMBER", "z", "-20"]);
        assert_eq!(many.len(), 20, "negative count repeats");
        assert!(many.iter().all(|m| all.contains(&m.as_str())));
    }
    // Asking for more than the set holds returns it all, highest first (Redis's walk order).
    assert_eq!(
        strs(&mut c, &["ZRANDMEMBER", "z", "10"]),
        ["e", "d", "c", "b", "a"]
    );
    let with = strs(&mut c, &["ZRANDMEMBER", "z", "-4", "WITHSCORES"]);
    assert_eq!(with.len(), 8);
    for pair in with.chunks(2) {
        let expected = (pair[0].as_bytes()[0] - b'a' + 1).to_string();
        assert_eq!(pair[1], expected);
    }
    assert!(strs(&mut c, &["ZRANDMEMBER", "z", "0"]).is_empty());
    assert_eq!(q::<Option<String>>(&mut c, &["ZRANDMEMBER", "nokey"]), None);
    assert!(strs(&mut c, &["ZRANDMEMBER", "nokey", "5"]).is_empty());
    assert_eq!(
        q_err(&mut c, &["ZRANDMEMBER", "z", "-9223372036854775808"]),
        "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
    );
    assert_eq!(
        q_err(
            &mut c,
            &["ZRANDMEMBER", "z", "9223372036854775807", "WITHSCORES"]
        ),
        "ERR value is out of range"
    );
    assert_eq!(
        q_err(&mut c, &["ZRANDMEMBER", "z", "x"]),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(
        q_err(&mut c, &["ZRANDMEMBER", "z", "1", "foo"]),
        "ERR syntax error"
    );
    assert_eq!(
        q_err(&mut c, &["ZRANDMEMBER", "z", "1", "WITHSCORES", "x"]),
        "ERR syntax error"
    );
    q::<()>(&mut c, &["SET", "str", "v"]);
    assert_eq!(q_err(&mut c, &["ZRANDMEMBER", "str"]), WRONGTYPE);
}

#[test]
fn zrandmember_resp3_pairs() {
    let s = Server::start(&[]);
    let mut r = Raw::connect(s.port, 3);
    r.cmd(&["ZADD", "z", "1.5", "a"]);
    assert_eq!(
        r.cmd(&["ZRANDMEMBER", "z", "-2", "WITHSCORES"]),
        arr(&[arr(&[bulk("a"), dbl("1.5")]), arr(&[bulk("a"), dbl("1.5")])])
    );
    assert_eq!(r.cmd(&["ZRANDMEMBER", "nokey"]), "_\r\n");
    assert_eq!(r.cmd(&["ZRANDMEMBER", "nokey", "2"]), "*0\r\n");
}

#[test]
fn zscan_small_and_large() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    q::<i64>(&mut c, &["ZADD", "z", "1.5", "a", "2", "b", "-0", "c"]);
    // A small set comes back whole, in rank order, scores as stored text.
    let (cursor, items): (String, Vec<String>) = q(&mut c, &["ZSCAN", "z", "0"]);
    assert_eq!(cursor, "0");
    assert_eq!(items, ["c", "0", "a", "1.5", "b", "2"]);
    let (_, items): (String, Vec<String>) = q(&mut c, &["ZSCAN", "z", "0", "MATCH", "[ab]"]);
    assert_eq!(items, ["a", "1.5", "b", "2"]);
    let (cursor, items): (String, Vec<String>) = q(&mut c, &["ZSCAN", "nokey", "0"]);
    assert_eq!((cursor.as_str(), items.len()), ("0", 0));
    // A large one is walked with a cursor and every member shows up.
    let mut args = vec!["ZADD".to_string(), "big".to_string()];
    for i in 0..300 {
        args.push(i.to_string());
        args.push(format!("m{i}"));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    assert_eq!(q::<i64>(&mut c, &args), 300);
    let mut seen = std::collections::HashMap::new();
    let mut cursor = "0".to_string();
    let mut rounds = 0;
    loop {
        let (next, items): (String, Vec<String>) =
            q(&mut c, &["ZSCAN", "big", &cursor, "COUNT", "25"]);
        for pair in items.chunks(2) {
            seen.insert(pair[0].clone(), pair[1].clone());
        }
        rounds += 1;
        cursor = next;
        if cursor == "0" {
            break;
        }
        assert!(rounds < 100);
    }
    assert!(rounds > 1);
    assert_eq!(seen.len(), 300);
    assert_eq!(seen["m42"], "42");
    assert_eq!(q_err(&mut c, &["ZSCAN", "z", "x"]), "ERR invalid cursor");
    assert_eq!(
        q_err(&mut c, &["ZSCAN", "z", "0", "COUNT", "0"]),
        "ERR syntax error"
    );
    assert_eq!(
        q_err(&mut c, &["ZSCAN", "z", "0", "FOO"]),
        "ERR syntax error"
    );
    q::<()>(&mut c, &["SET", "str", "v"]);
    assert_eq!(q_err(&mut c, &["ZSCAN", "str", "0"]), WRONGTYPE);
}

// ----- RESP3 shapes through redis-rs -----------------------------------------------------------------

#[test]
fn resp3_withscores_pairs_via_redis_rs() {
    let s = Server::start(&[]);
    let mut c = s.conn3();
    q::<i64>(&mut c, &["ZADD", "z", "1", "a", "2.5", "b"]);
    let v: redis::Value = q(&mut c, &["ZRANGE", "z", "0", "-1", "WITHSCORES"]);
    let redis::Value::Array(items) = v else {
        panic!("expected array, got {v:?}");
    };
    assert_eq!(items.len(), 2);
    assert_eq!(
        items[1],
        redis::Value::Array(vec![
            redis::Value::BulkString(b"b".to_vec()),
            redis::Value::Double(2.5)
        ])
    );
    let v: redis::Value = q(&mut c, &["ZSCORE", "z", "b"]);
    assert_eq!(v, redis::Value::Double(2.5));
    let v: redis::Value = q(&mut c, &["ZSCORE", "z", "nope"]);
    assert_eq!(v, redis::Value::Nil);
}

#[test]
fn resp3_shapes_raw() {
    let s = Server::start(&[]);
    both(&s, |p, r| {
        r.cmd(&["ZADD", "a", "1", "x", "2", "y"]);
        r.cmd(&["ZADD", "b", "3", "y", "4", "z"]);
        assert_eq!(
            r.cmd(&["ZRANGE", "a", "0", "-1", "WITHSCORES"]),
            scored(p, &[("x", "1"), ("y", "2")])
        );
        assert_eq!(
            r.cmd(&["ZRANGEBYSCORE", "a", "(1", "+inf", "WITHSCORES"]),
            scored(p, &[("y", "2")])
        );
        assert_eq!(
            r.cmd(&["ZUNION", "2", "a", "b", "WITHSCORES"]),
            scored(p, &[("x", "1"), ("z", "4"), ("y", "5")])
        );
        assert_eq!(r.cmd(&["ZINTER", "2", "a", "b"]), bulks(&["y"]));
        assert_eq!(
            r.cmd(&["ZDIFF", "2", "a", "b", "WITHSCORES"]),
            scored(p, &[("x", "1")])
        );
        // Empty results and missing keys are plain empty arrays in both protocols.
        assert_eq!(
            r.cmd(&["ZRANGE", "nokey", "0", "-1", "WITHSCORES"]),
            "*0\r\n"
        );
        assert_eq!(r.cmd(&["ZRANGE", "a", "5", "6"]), "*0\r\n");
        // ZSCAN scores stay bulk strings even in RESP3.
        assert_eq!(
            r.cmd(&["ZSCAN", "a", "0"]),
            arr(&[bulk("0"), bulks(&["x", "1", "y", "2"])])
        );
    });
}

// ----- keyspace events -------------------------------------------------------------------------------

#[test]
fn keyspace_events() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    q::<()>(&mut c, &["CONFIG", "SET", "notify-keyspace-events", "KEA"]);
    let mut sub = Raw::open(&s);
    sub.cmd(&["PSUBSCRIBE", "__keyevent@0__:*"]);
    let script: &[&[&str]] = &[
        &["ZADD", "z", "1", "a", "2", "b"],
        &["ZADD", "z", "1", "a"],
        &["ZADD", "z", "INCR", "1", "a"],
        &["ZINCRBY", "z", "1", "c"],
        &["ZREM", "z", "nope"],
        &["ZREM", "z", "c"],
        &["ZREMRANGEBYRANK", "z", "0", "0"],
        &["ZREMRANGEBYSCORE", "z", "-inf", "+inf"],
        &["ZADD", "z", "1", "a", "2", "b", "3", "c"],
        &["ZREMRANGEBYLEX", "z", "-", "(b"],
        &["ZPOPMIN", "z"],
        &["ZPOPMAX", "z", "5"],
        &["ZADD", "z", "1", "a", "2", "b"],
        &["ZMPOP", "1", "z", "MIN"],
        &["BZPOPMAX", "z", "0"],
        &["ZADD", "z", "1", "a", "2", "b", "3", "c"],
        &["ZADD", "y", "2", "b"],
        &["ZUNIONSTORE", "d", "2", "z", "y"],
        &["ZINTERSTORE", "d", "2", "z", "y"],
        &["ZDIFFSTORE", "d", "2", "z", "y"],
        &["ZINTERSTORE", "d", "2", "z", "nokey"],
        &["ZRANGESTORE", "r", "z", "0", "0"],
        &["ZRANGESTORE", "r", "z", "5", "6"],
        &["ZADD", "z", "INCR", "+inf", "a"],
        &["ZADD", "z", "INCR", "-inf", "a"],
    ];
    for a in script {
        let _: redis::Value = common::run(&mut c, a).unwrap_or(redis::Value::Nil);
    }
    let expected = [
        "zadd z",
        "zincr z",
        "zincr z",
        "zrem z",
        "zremrangebyrank z",
        "zremrangebyscore z",
        "del z",
        "zadd z",
        "zremrangebylex z",
        "zpopmin z",
        "zpopmax z",
        "del z",
        "zadd z",
        "zpopmin z",
        "zpopmax z",
        "del z",
        "zadd z",
        "zadd y",
        "zunionstore d",
        "zinterstore d",
        "zdiffstore d",
        "del d",
        "zrangestore r",
        "del r",
        "zincr z",
    ];
    for want in expected {
        let msg = sub.read();
        let (event, key) = want.split_once(' ').unwrap_or_default();
        assert_eq!(
            msg,
            arr(&[
                bulk("pmessage"),
                bulk("__keyevent@0__:*"),
                bulk(&format!("__keyevent@0__:{event}")),
                bulk(key)
            ]),
            "expected {want}"
        );
    }
    assert_eq!(sub.read_within(100), None, "no further events");
}

// ----- byte-exact comparison with redis-server 7.0.15 -------------------------------------------------

#[test]
fn replies_match_real_redis() {
    let script: &[&[&str]] = &[
        &[
            "ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e",
        ],
        &["ZADD", "z", "NX", "10", "a", "6", "f"],
        &["ZADD", "z", "XX", "CH", "10", "a", "7", "g"],
        &["ZADD", "z", "GT", "CH", "5", "a", "20", "b"],
        &["ZADD", "z", "LT", "CH", "5", "a", "30", "c"],
        &["ZADD", "z", "INCR", "1.1", "a"],
        &["ZADD", "z", "NX", "INCR", "1", "a"],
        &[
            "ZADD", "z", "-inf", "ninf", "+inf", "pinf", "1e-5", "tiny", "1e300", "huge",
        ],
        &["ZADD", "z", "INCR", "-inf", "pinf"],
        &["ZINCRBY", "z", "0.1", "b"],
        &["ZRANGE", "z", "0", "-1", "WITHSCORES"],
        &["ZRANGE", "z", "0", "-1", "WITHSCORES", "REV"],
        &["ZRANGE", "z", "(1", "(5", "BYSCORE", "WITHSCORES"],
        &[
            "ZRANGE",
            "z",
            "+inf",
            "-inf",
            "BYSCORE",
            "REV",
            "LIMIT",
            "1",
            "3",
            "WITHSCORES",
        ],
        &["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "-1", "2"],
        &["ZRANGE", "z", "0", "-1", "LIMIT", "0", "1"],
        &["ZRANGE", "z", "[a", "[z", "BYLEX", "WITHSCORES"],
        &["ZRANGE", "z", "(1", "(x", "BYSCORE"],
        &[
            "ZRANGEBYSCORE",
            "z",
            "-inf",
            "+inf",
            "WITHSCORES",
            "LIMIT",
            "1",
            "2",
        ],
        &["ZREVRANGEBYSCORE", "z", "4", "(2", "WITHSCORES"],
        &["ZREVRANGE", "z", "0", "2", "WITHSCORES"],
        &["ZCOUNT", "z", "(1", "5"],
        &["ZSCORE", "z", "a"],
        &["ZMSCORE", "z", "a", "nope", "tiny"],
        &["ZRANK", "z", "a"],
        &["ZREVRANK", "z", "nope"],
        &["ZADD", "l", "0", "a", "0", "b", "0", "c", "0", "d"],
        &["ZRANGEBYLEX", "l", "(a", "[c", "LIMIT", "0", "5"],
        &["ZREVRANGEBYLEX", "l", "+", "-", "LIMIT", "1", "2"],
        &["ZLEXCOUNT", "l", "[b", "+"],
        &["ZREMRANGEBYLEX", "l", "-", "[b"],
        &["ZREMRANGEBYRANK", "l", "0", "-1"],
        &["EXISTS", "l"],
        &["ZPOPMIN", "z"],
        &["ZPOPMAX", "z", "2"],
        &["ZPOPMIN", "nokey"],
        &["ZMPOP", "2", "nokey", "z", "MAX", "COUNT", "2"],
        &["ZMPOP", "1", "nokey", "MIN"],
        &["BZPOPMIN", "nokey", "z", "0"],
        &["BZPOPMIN", "nokey", "0.01"],
        &["BZMPOP", "0", "1", "z", "MIN", "COUNT", "2"],
        &["ZADD", "u1", "1", "a", "2", "b", "3", "c"],
        &["ZADD", "u2", "10", "b", "20", "c", "30", "d"],
        &["SADD", "s1", "a", "d", "x"],
        &[
            "ZUNION",
            "3",
            "u1",
            "u2",
            "s1",
            "WEIGHTS",
            "1",
            "2",
            "3",
            "WITHSCORES",
        ],
        &["ZINTER", "2", "u1", "u2", "AGGREGATE", "MIN", "WITHSCORES"],
        &["ZDIFF", "2", "u2", "s1", "WITHSCORES"],
        &["ZUNIONSTORE", "d", "2", "u1", "u2", "AGGREGATE", "MAX"],
        &["ZRANGE", "d", "0", "-1", "WITHSCORES"],
        &["ZINTERCARD", "3", "u1", "u2", "s1"],
        &["ZINTERCARD", "2", "u1", "u2", "LIMIT", "1"],
        &["ZRANGESTORE", "d", "u2", "(10", "+inf", "BYSCORE"],
        &["ZRANDMEMBER", "d", "5", "WITHSCORES"],
        &["ZSCAN", "d", "0"],
        &["ZADD", "n", "-0", "a"],
        &["ZSCORE", "n", "a"],
        &["ZINCRBY", "n", "-0", "b"],
        &["ZUNION", "1", "n", "WEIGHTS", "-1", "WITHSCORES"],
        &["ZUNIONSTORE", "n2", "1", "n", "WEIGHTS", "-1"],
        &["ZSCORE", "n2", "a"],
        &["ZADD", "z", "NX", "XX", "1", "a"],
        &["ZADD", "z", "GT", "LT", "1", "a"],
        &["ZADD", "z", "INCR", "1", "a", "2", "b"],
        &["ZADD", "z", "nan", "a"],
        &["ZRANGEBYLEX", "z", "-", "+", "WITHSCORES"],
        &["ZRANGEBYSCORE", "z", "x", "1"],
        &["ZLEXCOUNT", "z", "a", "b"],
        &["ZUNION", "0", "z"],
        &["ZINTERCARD", "1", "z", "LIMIT", "-1"],
        &["ZMPOP", "0", "z", "MIN"],
        &["ZRANDMEMBER", "z", "-9223372036854775808"],
        &["ZSCAN", "z", "x"],
        &["SET", "str", "v"],
        &["ZRANGE", "str", "0", "-1"],
        &["ZUNION", "2", "u1", "str"],
    ];
    assert_replies_match_real_redis(script);
}
