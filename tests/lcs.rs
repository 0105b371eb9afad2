//! LCS, checked against Redis 7.0's documented examples and a real redis-server.

mod common;

use common::real_redis::assert_replies_match_real_redis;
use common::{Server, q, q_err};

#[test]
fn lcs_basic_len_and_errors() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let _: () = q(&mut c, &["MSET", "key1", "ohmytext", "key2", "mynewtext"]);
    assert_eq!(q::<String>(&mut c, &["LCS", "key1", "key2"]), "mytext");
    assert_eq!(q::<i64>(&mut c, &["LCS", "key1", "key2", "LEN"]), 6);
    assert_eq!(q::<String>(&mut c, &["LCS", "key1", "nokey"]), "");
    let _: i64 = q(&mut c, &["RPUSH", "list", "a"]);
    assert_eq!(
        q_err(&mut c, &["LCS", "key1", "list"]),
        "ERR The specified keys must contain string values"
    );
    assert_eq!(
        q_err(&mut c, &["LCS", "key1", "key2", "LEN", "IDX"]),
        "ERR If you want both the length and indexes, please just use IDX."
    );
    assert_eq!(
        q_err(&mut c, &["LCS", "key1", "key2", "FOO"]),
        "ERR syntax error"
    );
}

#[test]
fn lcs_matches_redis() {
    assert_replies_match_real_redis(&[
        &["MSET", "key1", "ohmytext", "key2", "mynewtext"],
        &["LCS", "key1", "key2"],
        &["LCS", "key1", "key2", "LEN"],
        &["LCS", "key1", "key2", "IDX"],
        &["LCS", "key1", "key2", "IDX", "MINMATCHLEN", "4"],
        &[
            "LCS",
            "key1",
            "key2",
            "IDX",
            "MINMATCHLEN",
            "4",
            "WITHMATCHLEN",
        ],
        &[
            "LCS",
            "key1",
            "key2",
            "IDX",
            "WITHMATCHLEN",
            "MINMATCHLEN",
            "-5",
        ],
        &["LCS", "key1", "key2", "IDX", "MINMATCHLEN", "x"],
        &["LCS", "key1", "key2", "IDX", "MINMATCHLEN"],
        &["LCS", "key1", "key2", "WITHMATCHLEN"],
        &[
            "MSET",
            "a",
            "GTCGTTCGGAATGCCGTTGCTCTGTAAA",
            "b",
            "ACCGGTCGAGTGCGCGGAAGCCGGCCGAA",
        ],
        &["LCS", "a", "b"],
        &["LCS", "a", "b", "IDX", "WITHMATCHLEN"],
        &["LCS", "b", "a", "IDX"],
        &["LCS", "a", "missing", "IDX"],
        &["LCS", "missing", "missing2", "LEN"],
        &["RPUSH", "l", "x"],
        &["LCS", "l", "a"],
        &["LCS", "l", "a", "BADOPT"],
        &["SET", "n", "12345"],
        &["SET", "m", "2x4y5"],
        &["LCS", "n", "m", "IDX", "WITHMATCHLEN"],
    ]);
}
