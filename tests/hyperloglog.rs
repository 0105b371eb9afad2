//! HyperLogLog: PFADD/PFCOUNT/PFMERGE/PFDEBUG/PFSELFTEST, with values compared byte for byte
//! against a real Redis 7.0 (same representation, same counts).

mod common;

use common::real_redis::assert_replies_match_real_redis;
use common::{Server, q, q_err};

#[test]
fn pfadd_pfcount_basics() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    assert_eq!(q::<i64>(&mut c, &["PFADD", "h", "a", "b", "c"]), 1);
    assert_eq!(q::<i64>(&mut c, &["PFADD", "h", "a"]), 0);
    assert_eq!(q::<i64>(&mut c, &["PFCOUNT", "h"]), 3);
    assert_eq!(q::<i64>(&mut c, &["PFADD", "empty"]), 1);
    assert_eq!(q::<i64>(&mut c, &["PFADD", "empty"]), 0);
    assert_eq!(q::<i64>(&mut c, &["PFCOUNT", "empty", "nokey"]), 0);
    assert_eq!(q::<String>(&mut c, &["TYPE", "h"]), "string");
    let raw: Vec<u8> = q(&mut c, &["GET", "h"]);
    assert_eq!(&raw[..4], b"HYLL");
    let _: () = q(&mut c, &["SET", "s", "not an hll"]);
    assert_eq!(
        q_err(&mut c, &["PFADD", "s", "x"]),
        "WRONGTYPE Key is not a valid HyperLogLog string value."
    );
    let _: i64 = q(&mut c, &["RPUSH", "l", "x"]);
    assert!(q_err(&mut c, &["PFCOUNT", "l"]).starts_with("WRONGTYPE Operation"));
    assert_eq!(
        q_err(&mut c, &["PFDEBUG", "ENCODING", "nokey"]),
        "ERR The specified key does not exist"
    );
}

#[test]
fn cardinality_is_close_for_many_elements() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    for chunk in 0..20 {
        let mut cmd = vec!["PFADD".to_string(), "big".into()];
        cmd.extend((0..500).map(|i| format!("el:{}", chunk * 500 + i)));
        let args: Vec<&str> = cmd.iter().map(String::as_str).collect();
        let _: i64 = q(&mut c, &args);
    }
    let n: i64 = q(&mut c, &["PFCOUNT", "big"]);
    assert!((9_700..10_300).contains(&n), "{n}");
    assert_eq!(
        q::<String>(&mut c, &["PFDEBUG", "ENCODING", "big"]),
        "dense"
    );
}

#[test]
fn sparse_max_bytes_controls_promotion() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let _: () = q(&mut c, &["CONFIG", "SET", "hll-sparse-max-bytes", "30"]);
    let _: i64 = q(&mut c, &["PFADD", "h", "a", "b", "c"]);
    let _: i64 = q(
        &mut c,
        &["PFADD", "h", "d", "e", "f", "g", "h", "i", "j", "k"],
    );
    assert_eq!(q::<String>(&mut c, &["PFDEBUG", "ENCODING", "h"]), "dense");
    let len: i64 = q(&mut c, &["STRLEN", "h"]);
    assert_eq!(len, 12304);
}

#[test]
fn corrupted_values_are_detected() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    // A sparse header followed by a single ZERO opcode covering 1 register: opcodes do not add
    // up to 16384 registers.
    let _: () = redis::cmd("SET")
        .arg("bad")
        .arg(b"HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x00".as_slice())
        .query(&mut c)
        .unwrap();
    assert_eq!(
        q_err(&mut c, &["PFCOUNT", "bad"]),
        "INVALIDOBJ Corrupted HLL object detected"
    );
    assert_eq!(
        q_err(&mut c, &["PFADD", "bad", "x"]),
        "INVALIDOBJ Corrupted HLL object detected"
    );
}

#[test]
fn pfselftest_passes() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    // The self test is CPU-heavy (seconds in a debug build, more on a loaded CI machine).
    c.set_read_timeout(Some(std::time::Duration::from_secs(120)))
        .expect("timeout");
    let _: () = q(&mut c, &["PFSELFTEST"]);
}

#[test]
fn values_and_counts_match_redis() {
    let mut script: Vec<Vec<String>> = Vec::new();
    fn push_to(script: &mut Vec<Vec<String>>, v: &[&str]) {
        script.push(v.iter().map(|s| s.to_string()).collect());
    }
    macro_rules! push {
        ($v:expr) => {
            push_to(&mut script, $v)
        };
    }
    for (key, n) in [
        ("h1", 1),
        ("h5", 5),
        ("h300", 300),
        ("h3000", 3000),
        ("h9000", 9000),
    ] {
        let mut i = 0;
        while i < n {
            let mut cmd = vec!["PFADD".to_string(), key.to_string()];
            cmd.extend((i..(i + 250).min(n)).map(|j| format!("e{j}")));
            script.push(cmd);
            i += 250;
        }
        push!(&["GET", key]);
        push!(&["PFCOUNT", key]);
        push!(&["GET", key]);
        push!(&["PFDEBUG", "ENCODING", key]);
        push!(&["PFDEBUG", "DECODE", key]);
    }
    push!(&["PFCOUNT", "h5", "h300", "nokey", "h9000"]);
    push!(&["PFMERGE", "m", "h5", "h300"]);
    push!(&["GET", "m"]);
    push!(&["PFCOUNT", "m"]);
    push!(&["PFMERGE", "h300", "h3000"]);
    push!(&["GET", "h300"]);
    push!(&["PFMERGE", "m2", "h9000", "h1"]);
    push!(&["GET", "m2"]);
    push!(&["PFMERGE", "fresh"]);
    push!(&["GET", "fresh"]);
    push!(&["PFDEBUG", "GETREG", "h5"]);
    push!(&["GET", "h5"]);
    push!(&["PFDEBUG", "TODENSE", "h1"]);
    push!(&["PFDEBUG", "TODENSE", "h1"]);
    push!(&["PFDEBUG", "NOPE", "h1"]);
    push!(&["PFDEBUG", "NOPE", "nokey"]);
    push!(&["SET", "str", "hello"]);
    push!(&["PFADD", "str", "x"]);
    push!(&["PFCOUNT", "str", "h1"]);
    push!(&["PFMERGE", "str", "h1"]);
    push!(&["PFMERGE", "m3", "str"]);
    push!(&["CONFIG", "SET", "hll-sparse-max-bytes", "100"]);
    push!(&[
        "PFADD", "small", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"
    ]);
    push!(&[
        "PFADD", "small", "m", "n", "o", "p", "q", "r", "s", "t", "u", "v", "w", "x"
    ]);
    push!(&["GET", "small"]);
    push!(&["CONFIG", "SET", "hll-sparse-max-bytes", "3000"]);
    let refs: Vec<Vec<&str>> = script
        .iter()
        .map(|c| c.iter().map(String::as_str).collect())
        .collect();
    let cmds: Vec<&[&str]> = refs.iter().map(Vec::as_slice).collect();
    assert_replies_match_real_redis(&cmds);
}

#[test]
fn read_only_key_access_is_enough_for_pfcount_and_pfdebug() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let _: () = q(
        &mut c,
        &["ACL", "SETUSER", "ro", "on", "nopass", "+@all", "%R~*"],
    );
    let _: i64 = q(&mut c, &["PFADD", "h", "a"]);
    let mut r = s.conn();
    let _: () = q(&mut r, &["AUTH", "ro", "x"]);
    assert_eq!(q::<i64>(&mut r, &["PFCOUNT", "h"]), 1);
    assert_eq!(q::<String>(&mut r, &["PFDEBUG", "ENCODING", "h"]), "sparse");
    assert!(q_err(&mut r, &["PFADD", "h", "b"]).starts_with("NOPERM"));
}
