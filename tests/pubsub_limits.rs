//! A subscriber that stops reading is disconnected once its backlog passes the pub/sub output
//! buffer limit, instead of growing the server's memory without bound.

mod common;

use std::io::Write;
use std::time::{Duration, Instant};

use common::info::info_field;
use common::{Server, q};

#[test]
fn slow_subscriber_is_disconnected_at_the_hard_limit() {
    let s = Server::start(&["--client-output-buffer-limit", "pubsub 2mb 1mb 60"]);
    let mut sub = s.raw();
    sub.write_all(b"SUBSCRIBE news\r\n").expect("subscribe");
    let mut c = s.conn();
    let deadline = Instant::now() + Duration::from_secs(10);
    while q::<(String, i64)>(&mut c, &["PUBSUB", "NUMSUB", "news"]).1 == 0 {
        assert!(Instant::now() < deadline, "subscription never registered");
        std::thread::sleep(Duration::from_millis(10));
    }
    let payload = "x".repeat(100_000);
    let mut disconnected = false;
    for _ in 0..2000 {
        let receivers: i64 = q(&mut c, &["PUBLISH", "news", &payload]);
        if receivers == 0 {
            disconnected = true;
            break;
        }
        assert!(
            Instant::now() < deadline,
            "subscriber was never disconnected"
        );
    }
    assert!(
        disconnected,
        "subscriber still attached after 200 MB of backlog"
    );
    let used_memory: u64 = info_field(&mut c, "memory", "used_memory")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    assert!(
        used_memory < 100 * 1024 * 1024,
        "server holds {used_memory} bytes"
    );
}
