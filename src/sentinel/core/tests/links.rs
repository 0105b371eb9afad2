//! Link management: reconnect pacing, pending-command cap, idle link closing, handshake
//! parameters, cadence of PING / INFO / hello.

use super::{Solo, field, master_info, pong, replica_info};
use crate::resp::Reply;
use crate::sentinel::proto::{Action, LinkKind};

const ID: &str = "0123456789abcdef0123456789abcdef01234567";

fn connects(s: &Solo) -> Vec<(u16, LinkKind)> {
    s.log
        .iter()
        .filter_map(|a| match a {
            Action::Connect { addr, kind, .. } => Some((addr.port, *kind)),
            _ => None,
        })
        .collect()
}

#[test]
fn reconnect_at_most_once_per_ping_period() {
    let mut s = Solo::new(&[&format!("myid {ID}"), "monitor m 127.0.0.1 6379 2"]);
    assert_eq!(
        connects(&s),
        [(6379, LinkKind::Command), (6379, LinkKind::PubSub)]
    );
    // Connection refused every time.
    s.link_down(6379);
    s.clear();
    s.run(950, 50);
    assert!(connects(&s).is_empty());
    s.run(100, 50);
    assert_eq!(connects(&s).len(), 2);
    s.clear();
    for _ in 0..100 {
        s.link_down(6379);
        s.run(50, 50);
    }
    assert_eq!(
        connects(&s).len(),
        10,
        "one attempt (cmd + pubsub) per second"
    );
}

#[test]
fn handshake_ping_info_and_hello_cadence() {
    let mut s = Solo::new(&[
        &format!("myid {ID}"),
        "monitor m 127.0.0.1 6379 2",
        "rename-command m PING PONGME",
        "rename-command m info nfo",
    ]);
    s.link_up(None);
    // On connect: the queued PING, then INFO right away (renamed).
    let first: Vec<String> = s.pending_to(6379).iter().map(|a| a[0].clone()).collect();
    assert_eq!(first, ["PONGME", "nfo"]);
    s.answer(6379, "PONGME", pong);
    s.answer(6379, "nfo", |_| Reply::Bulk(master_info(ID, &[]).into()));
    // Hello every 2 s (it needs the local address: known once connected).
    s.run(2100, 100);
    let hello: Vec<Vec<String>> = s
        .pending_to(6379)
        .into_iter()
        .filter(|a| a[0] == "PUBLISH")
        .collect();
    assert_eq!(hello.len(), 1);
    assert_eq!(
        hello[0][2],
        format!("127.0.0.1,26379,{ID},0,m,127.0.0.1,6379,0")
    );
    s.answer(6379, "PUBLISH", |_| Reply::Int(1));
    // PING once a second while answered.
    s.clear();
    for _ in 0..50 {
        s.run(100, 100);
        s.answer(6379, "PONGME", pong);
        s.answer(6379, "PUBLISH", |_| Reply::Int(1));
    }
    let pings = s
        .log
        .iter()
        .filter(|a| matches!(a, Action::Send { args, .. } if args[0].as_ref() == b"PONGME"))
        .count();
    assert!((4..=5).contains(&pings), "{pings} pings in 5 s");
    // INFO every 10 s.
    let infos = s
        .log
        .iter()
        .filter(|a| matches!(a, Action::Send { args, .. } if args[0].as_ref() == b"nfo"))
        .count();
    assert_eq!(infos, 0);
    s.run(5000, 100);
    assert!(s.pending_to(6379).iter().any(|a| a[0] == "nfo"));
}

#[test]
fn pending_commands_are_capped() {
    let mut s = Solo::new(&[&format!("myid {ID}"), "monitor m 127.0.0.1 6379 2"]);
    s.cmd(&[
        "SENTINEL",
        "DEBUG",
        "info-period",
        "1",
        "publish-period",
        "1",
    ]);
    s.link_up(None);
    // Nothing is ever answered.
    s.run(5000, 10);
    let m = s.cmd(&["SENTINEL", "MASTER", "m"]);
    let pending: i64 = field(&m, "link-pending-commands").parse().unwrap_or(0);
    assert!((100..=102).contains(&pending), "{pending}");
}

#[test]
fn idle_command_link_is_closed_and_reopened() {
    let mut s = Solo::new(&[
        &format!("myid {ID}"),
        "monitor m 127.0.0.1 6379 2",
        "down-after-milliseconds m 4000",
    ]);
    s.link_up(None);
    s.answer(6379, "PING", pong);
    s.answer(6379, "INFO", |_| Reply::Bulk(master_info(ID, &[]).into()));
    // Answered for 16 s (the link must be 15 s old), then PINGs hang.
    for _ in 0..160 {
        s.run(100, 100);
        s.answer(6379, "PING", pong);
        s.answer(6379, "PUBLISH", |_| Reply::Int(1));
    }
    s.clear();
    s.forget(6379);
    // Pending PING older than down-after/2 and no reply of any kind: closed.
    s.run(1900, 100);
    assert!(!s.log.iter().any(|a| matches!(a, Action::Close { .. })));
    s.run(1300, 100);
    let closed: Vec<LinkKind> = s
        .log
        .iter()
        .filter_map(|a| match a {
            Action::Close { kind, .. } => Some(*kind),
            _ => None,
        })
        .collect();
    assert!(closed.contains(&LinkKind::Command));
    assert!(!s.has("+sdown"), "closing the link is not SDOWN yet");
}

#[test]
fn silent_pubsub_link_is_closed() {
    let mut s = Solo::new(&[&format!("myid {ID}"), "monitor m 127.0.0.1 6379 2"]);
    s.link_up(None);
    // Command link healthy, but no hello ever comes back on pub/sub.
    for _ in 0..200 {
        s.run(100, 100);
        s.answer(6379, "PING", pong);
        s.answer(6379, "INFO", |_| Reply::Bulk(master_info(ID, &[]).into()));
        s.answer(6379, "PUBLISH", |_| Reply::Int(1));
    }
    let closed: Vec<LinkKind> = s
        .log
        .iter()
        .filter_map(|a| match a {
            Action::Close { kind, .. } => Some(*kind),
            _ => None,
        })
        .collect();
    assert_eq!(closed.first(), Some(&LinkKind::PubSub));
    assert!(!closed.contains(&LinkKind::Command));
}

#[test]
fn replicas_polled_every_second_when_master_link_down() {
    let mut s = Solo::new(&[
        &format!("myid {ID}"),
        "monitor m 127.0.0.1 6379 2",
        "known-replica m 127.0.0.1 6380",
    ]);
    s.link_up(None);
    s.answer(6380, "INFO", |_| {
        let i = replica_info(&"2".repeat(40), "127.0.0.1", 6379, 100, 1).replace(
            "master_link_status:up",
            "master_link_status:down\r\nmaster_link_down_since_seconds:3",
        );
        Reply::Bulk(i.into())
    });
    let m = super::items(&s.cmd(&["SENTINEL", "REPLICAS", "m"]));
    assert_eq!(field(&m[0], "master-link-down-time"), "3000");
    assert_eq!(field(&m[0], "master-link-status"), "err");
    s.clear();
    s.run(1100, 100);
    assert!(s.pending_to(6380).iter().any(|a| a[0] == "INFO"));
}

#[test]
fn sentinel_links_get_no_info_and_no_pubsub() {
    let mut s = Solo::new(&[
        &format!("myid {ID}"),
        "monitor m 127.0.0.1 6379 2",
        "known-sentinel m 127.0.0.1 26380 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    ]);
    assert_eq!(
        connects(&s)
            .iter()
            .filter(|c| c.0 == 26380)
            .collect::<Vec<_>>(),
        [&(26380, LinkKind::Command)]
    );
    s.link_up(None);
    s.run(2500, 100);
    let cmds: Vec<String> = s.pending_to(26380).iter().map(|a| a[0].clone()).collect();
    assert!(cmds.contains(&"PING".to_string()));
    assert!(cmds.contains(&"PUBLISH".to_string()));
    assert!(!cmds.contains(&"INFO".to_string()));
}
