//! Smoke tests: the binary starts, speaks RESP, and strings work end to end.

mod common;

use common::{Server, q, q_err};

#[test]
fn ping_set_get() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    assert_eq!(q::<String>(&mut c, &["PING"]), "PONG");
    assert_eq!(q::<String>(&mut c, &["SET", "k", "v"]), "OK");
    assert_eq!(q::<String>(&mut c, &["GET", "k"]), "v");
    assert_eq!(q::<i64>(&mut c, &["INCR", "n"]), 1);
    assert_eq!(
        q_err(&mut c, &["INCR", "k"]),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(s.cli(&["GET", "k"]).trim(), "v");
}
