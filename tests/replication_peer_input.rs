//! What a master sends a replica cannot bring the replica down: a stream database it does not
//! have, or lengths in a diskless image that announce far more than arrives.

mod common;
mod replication_common;

use std::time::Duration;

use common::q;
use replication_common::{Node, aux_only_rdb, fake_master, wait_for};

fn replicaof(r: &Node, port: u16) {
    let _: String = q(
        &mut r.conn(),
        &["REPLICAOF", "127.0.0.1", &port.to_string()],
    );
}

/// An image saying the stream had database 99 selected (of 16) is followed by a SET: as with
/// redis-server, the write lands in database 0 and the replica keeps running.
#[test]
fn stream_database_out_of_range_falls_back_to_db0() {
    let r = Node::vigil(&[]);
    let id = "f".repeat(40);
    let image = aux_only_rdb(&[
        ("repl-stream-db", "99"),
        ("repl-id", &id),
        ("repl-offset", "0"),
    ]);
    let mut out = format!("+FULLRESYNC {id} 0\r\n${}\r\n", image.len()).into_bytes();
    out.extend_from_slice(&image);
    out.extend_from_slice(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n");
    let (port, h) = fake_master(out);
    replicaof(&r, port);
    wait_for(Duration::from_secs(10), "the streamed SET", || {
        r.cmd(&["GET", "k"]).ok() == Some(redis::Value::BulkString(b"v".to_vec()))
    });
    let _ = h.join();
    assert_eq!(r.cmd(&["PING"]).ok(), Some(redis::Value::SimpleString("PONG".into())));
    assert!(!r.log().contains("panicked"), "{}", r.log());
}
