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
    assert_eq!(
        r.cmd(&["PING"]).ok(),
        Some(redis::Value::SimpleString("PONG".into()))
    );
    assert!(!r.log().contains("panicked"), "{}", r.log());
}

/// A `$<len>` image announcing 2^63-1 bytes whose first string claims 2^62 bytes: a diskless
/// load reserves nothing for it, and fails when the master goes away.
#[test]
fn diskless_load_does_not_trust_announced_lengths() {
    let r = Node::vigil(&["--repl-diskless-load", "swapdb"]);
    let _: () = q(&mut r.conn(), &["SET", "mykey", "myvalue"]);
    let mut image = b"REDIS0010".to_vec();
    // A string key "k" whose value is 2^62 bytes long (64-bit length encoding), then a few.
    image.extend_from_slice(&[0x00, 0x01, b'k', 0x81]);
    image.extend_from_slice(&(1u64 << 62).to_be_bytes());
    image.extend_from_slice(b"abc");
    let mut out = format!("+FULLRESYNC {} 0\r\n${}\r\n", "f".repeat(40), i64::MAX).into_bytes();
    out.extend_from_slice(&image);
    let (port, h) = fake_master(out);
    replicaof(&r, port);
    wait_for(Duration::from_secs(10), "load failure logged", || {
        r.log()
            .contains("Failed trying to load the MASTER synchronization DB from socket")
    });
    let _ = h.join();
    let _: String = q(&mut r.conn(), &["REPLICAOF", "NO", "ONE"]);
    let v: Option<String> = q(&mut r.conn(), &["GET", "mykey"]);
    assert_eq!(v.as_deref(), Some("myvalue"));
}
