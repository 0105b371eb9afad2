//! SORT and SORT_RO compared with a real Redis 7.0, plus the ACL rule for BY/GET patterns.

mod common;

use common::real_redis::assert_replies_match_real_redis;
use common::{Server, q, q_err};

#[test]
fn sort_numeric_alpha_limit() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let _: i64 = q(&mut c, &["RPUSH", "l", "3", "1", "2", "10"]);
    assert_eq!(
        q::<Vec<String>>(&mut c, &["SORT", "l"]),
        ["1", "2", "3", "10"]
    );
    assert_eq!(
        q::<Vec<String>>(&mut c, &["SORT", "l", "ALPHA"]),
        ["1", "10", "2", "3"]
    );
    assert_eq!(
        q::<Vec<String>>(&mut c, &["SORT", "l", "DESC", "LIMIT", "1", "2"]),
        ["3", "2"]
    );
    assert_eq!(q::<i64>(&mut c, &["SORT", "l", "STORE", "dst"]), 4);
    assert_eq!(
        q::<Vec<String>>(&mut c, &["LRANGE", "dst", "0", "-1"]),
        ["1", "2", "3", "10"]
    );
    assert_eq!(
        q_err(&mut c, &["SORT_RO", "l", "STORE", "dst"]),
        "ERR syntax error"
    );
    let _: i64 = q(&mut c, &["RPUSH", "bad", "a"]);
    assert_eq!(
        q_err(&mut c, &["SORT", "bad"]),
        "ERR One or more scores can't be converted into double"
    );
}

#[test]
fn sort_by_and_get_need_full_key_access() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let _: () = q(
        &mut c,
        &["ACL", "SETUSER", "u", "on", "nopass", "+@all", "~list*"],
    );
    let _: () = q(
        &mut c,
        &[
            "ACL", "SETUSER", "r", "on", "nopass", "+@all", "%R~*", "~dst",
        ],
    );
    let _: i64 = q(&mut c, &["RPUSH", "list", "2", "1"]);
    let mut u = s.conn();
    let _: () = q(&mut u, &["AUTH", "u", "x"]);
    assert_eq!(q::<Vec<String>>(&mut u, &["SORT", "list"]), ["1", "2"]);
    assert_eq!(
        q::<Vec<String>>(&mut u, &["SORT", "list", "BY", "nosort"]),
        ["2", "1"]
    );
    assert_eq!(
        q_err(&mut u, &["SORT", "list", "BY", "w_*"]),
        "ERR BY option of SORT denied due to insufficient ACL permissions."
    );
    assert_eq!(
        q_err(&mut u, &["SORT", "list", "GET", "#"]),
        "ERR GET option of SORT denied due to insufficient ACL permissions."
    );
    let mut r = s.conn();
    let _: () = q(&mut r, &["AUTH", "r", "x"]);
    assert_eq!(
        q::<i64>(
            &mut r,
            &["SORT", "list", "BY", "w_*", "GET", "#", "STORE", "dst"]
        ),
        2
    );
}

#[test]
fn sort_matches_redis() {
    assert_replies_match_real_redis(&[
        &["RPUSH", "l", "3", "1", "2", "10", "-5", "2.5", "1e2"],
        &["SORT", "l"],
        &["SORT", "l", "DESC"],
        &["SORT", "l", "ALPHA"],
        &["SORT", "l", "ALPHA", "DESC", "LIMIT", "2", "3"],
        &["SORT", "l", "LIMIT", "0", "0"],
        &["SORT", "l", "LIMIT", "-5", "2"],
        &["SORT", "l", "LIMIT", "5", "-1"],
        &["SORT", "l", "LIMIT", "100", "2"],
        &["SORT", "l", "LIMIT", "x", "2"],
        &["SORT", "l", "LIMIT", "1"],
        &["SORT", "l", "BY", "nosort"],
        &["SORT", "l", "BY", "nosort", "DESC", "LIMIT", "1", "3"],
        &["SORT", "l", "BY", "nosort", "LIMIT", "10", "3"],
        &[
            "MSET", "w_3", "30", "w_1", "10", "w_2", "-2", "w_10", "5", "n_3", "three", "n_1",
            "one",
        ],
        &["HSET", "h_3", "f", "c", "g", "9"],
        &["HSET", "h_1", "f", "a", "g", "8"],
        &["HSET", "h_2", "f", "b"],
        &["SORT", "l", "BY", "w_*"],
        &[
            "SORT", "l", "BY", "w_*", "DESC", "GET", "#", "GET", "n_*", "GET", "h_*->f",
        ],
        &["SORT", "l", "BY", "h_*->g", "GET", "h_*->g", "GET", "h_*->"],
        &["SORT", "l", "BY", "w_*", "LIMIT", "1", "2", "GET", "n_*"],
        &["SORT", "l", "BY", "n_*", "ALPHA", "GET", "#"],
        &["SORT", "l", "BY", "n_*"],
        &["SORT", "l", "GET", "nostar"],
        &["SORT", "l", "BY", "w_*", "STORE", "dst"],
        &["LRANGE", "dst", "0", "-1"],
        &["SORT", "l", "BY", "w_*", "GET", "n_*", "STORE", "dst"],
        &["LRANGE", "dst", "0", "-1"],
        &["SORT", "nokey", "STORE", "dst"],
        &["EXISTS", "dst"],
        &["SORT", "nokey"],
        &["SADD", "s", "5", "3", "9", "1"],
        &["SORT", "s"],
        &["SORT", "s", "DESC", "LIMIT", "1", "2"],
        &["SORT", "s", "BY", "nosort", "STORE", "sd"],
        &["LRANGE", "sd", "0", "-1"],
        &["SADD", "sa", "b", "a", "c"],
        &["SORT", "sa", "ALPHA", "STORE", "sd"],
        &["LRANGE", "sd", "0", "-1"],
        &["SORT", "sa"],
        &["ZADD", "z", "3", "a", "1", "b", "2", "c", "2", "d"],
        &["SORT", "z", "ALPHA"],
        &["SORT", "z", "BY", "nosort"],
        &["SORT", "z", "BY", "nosort", "DESC"],
        &["SORT", "z", "BY", "nosort", "LIMIT", "1", "2"],
        &["SORT", "z", "BY", "nosort", "DESC", "LIMIT", "1", "2"],
        &["SORT_RO", "z", "ALPHA", "DESC"],
        &["SORT_RO", "z", "BY", "nosort", "GET", "#", "GET", "h_*->f"],
        &["SET", "str", "x"],
        &["SORT", "str"],
        &["SORT", "str", "FOO"],
        &["SORT", "l", "FOO"],
        &["RPUSH", "weird", "1", " 2", "3 ", ""],
        &["SORT", "weird"],
        &["RPUSH", "infs", "inf", "-inf", "0"],
        &["SORT", "infs"],
        &["RPUSH", "big", "1e400"],
        &["SORT", "big"],
    ]);
}
