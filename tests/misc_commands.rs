//! LOLWUT, MODULE and SCAN cursor parsing, compared with a real Redis 7.0.

mod common;

use common::real_redis::assert_replies_match_real_redis;
use common::{Server, q, q_err};

#[test]
fn lolwut_prints_the_version() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let out: String = q(&mut c, &["LOLWUT"]);
    assert!(out.starts_with("Redis ver. 7.0"), "{out}");
    assert!(q_err(&mut c, &["LOLWUT", "VERSION", "x"]).contains("not an integer"));
}

#[test]
fn lolwut_and_module_match_redis() {
    assert_replies_match_real_redis(&[
        &["LOLWUT"],
        &["LOLWUT", "VERSION", "7"],
        &["LOLWUT", "VERSION", "x"],
        &["LOLWUT", "VERSION"],
        &["LOLWUT", "1", "2", "3"],
        &["MODULE", "LIST"],
        &["MODULE", "HELP"],
        &["MODULE", "LOAD", "/nonexistent.so"],
        &["MODULE", "UNLOAD", "x"],
        &["MODULE", "nope"],
        &["MODULE", "LIST", "extra"],
    ]);
}

#[test]
fn scan_cursor_edge_cases_match_redis() {
    assert_replies_match_real_redis(&[
        &["SCAN", "-1"],
        &["SCAN", "+0"],
        &["SCAN", ""],
        &["SCAN", " 1"],
        &["SCAN", "1 "],
        &["SCAN", "-"],
        &["SCAN", "0x10"],
        &["SCAN", "18446744073709551615"],
        &["SCAN", "18446744073709551616"],
        &["SCAN", "-18446744073709551615"],
        &["SCAN", "-18446744073709551616"],
        &["SCAN", "99999999"],
    ]);
}

#[test]
fn scan_with_huge_cursor_does_not_restart() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    for i in 0..20 {
        let _: () = q(&mut c, &["SET", &format!("k{i}"), "v"]);
    }
    let (cur, keys): (String, Vec<String>) = q(&mut c, &["SCAN", "123456789"]);
    assert_eq!(cur, "0");
    assert!(keys.is_empty());
    let (_, keys): (String, Vec<String>) = q(&mut c, &["SCAN", "-0", "COUNT", "100"]);
    assert_eq!(keys.len(), 20);
}
