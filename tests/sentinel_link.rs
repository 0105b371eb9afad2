//! Sentinel links against Debian's redis-server 7.0.15: handshake (AUTH, CLIENT SETNAME,
//! SUBSCRIBE, rename-command), tagged replies in order, pub/sub messages, Up/Down reports,
//! connect failures and timeouts.

mod sentinel_common;

use std::time::Duration;

use bytes::Bytes;
use sentinel_common::*;
use tokio::sync::mpsc;
use vigil::resp::Reply;
use vigil::sentinel::link::{self, LinkEvent, LinkEventKind, LinkSpec};
use vigil::sentinel::proto::{Addr, Credentials, LinkKind};

fn spec(port: u16, kind: LinkKind) -> LinkSpec {
    LinkSpec {
        id: 7,
        kind,
        addr: Addr {
            host: "127.0.0.1".into(),
            port,
        },
        auth: None,
        client_name: format!(
            "sentinel-0123abcd-{}",
            if kind == LinkKind::Command {
                "cmd"
            } else {
                "pubsub"
            }
        ),
        renames: Vec::new(),
    }
}

fn args(v: &[&str]) -> Vec<Bytes> {
    v.iter().map(|s| Bytes::from(s.to_string())).collect()
}

/// Runs an async test body on a current-thread runtime with a LocalSet, bounded in time.
fn run_local<F: std::future::Future<Output = ()>>(f: F) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, async {
        tokio::time::timeout(Duration::from_secs(20), f)
            .await
            .expect("test timed out");
    });
}

async fn next(rx: &mut mpsc::UnboundedReceiver<LinkEvent>) -> LinkEventKind {
    tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .expect("link event in time")
        .expect("channel open")
        .event
}

#[test]
fn command_link_handshake_and_ordered_replies() {
    let r = redis_server(&[
        "--requirepass",
        "secret",
        "--rename-command",
        "CLIENT",
        "CLIENTX",
    ]);
    let port = r.port;
    run_local(async move {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let mut s = spec(port, LinkKind::Command);
        s.auth = Some(Credentials {
            user: None,
            pass: "secret".into(),
        });
        s.renames = vec![("CLIENT".into(), "CLIENTX".into())];
        let h = link::spawn(s, 3, tx, Duration::from_secs(1));
        match next(&mut rx).await {
            LinkEventKind::Up { local_ip, peer_ip } => {
                assert_eq!(local_ip, "127.0.0.1");
                assert_eq!(peer_ip, "127.0.0.1");
            }
            other => panic!("expected Up, got {other:?}"),
        }
        assert!(h.send(1, args(&["PING"])));
        assert!(h.send(2, args(&["ECHO", "hi"])));
        assert!(h.send(3, args(&["CLIENTX", "GETNAME"])));
        assert!(h.send(4, args(&["NOSUCHCMD"])));
        assert!(h.send(5, args(&["INFO"])));
        let mut got = Vec::new();
        for _ in 0..5 {
            match next(&mut rx).await {
                LinkEventKind::Reply { tag, reply } => got.push((tag, reply)),
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(got[0], (1, Reply::Status("PONG".into())));
        assert_eq!(got[1], (2, Reply::bulk(b"hi")));
        assert_eq!(got[2], (3, Reply::bulk(b"sentinel-0123abcd-cmd")));
        assert!(matches!(&got[3], (4, Reply::Error(e)) if e.starts_with("ERR unknown command")));
        assert!(matches!(&got[4], (5, Reply::Bulk(b)) if b.starts_with(b"# Server")));
        drop(h);
    });
}

#[test]
fn acl_user_auth_and_link_down_on_kill() {
    let mut r = redis_server(&["--user", "mon", "on", ">pw", "~*", "&*", "+@all"]);
    let port = r.port;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let local = tokio::task::LocalSet::new();
    let mut s = spec(port, LinkKind::Command);
    s.auth = Some(Credentials {
        user: Some("mon".into()),
        pass: "pw".into(),
    });
    let h = local.block_on(&rt, async {
        let h = link::spawn(s, 1, tx, Duration::from_secs(1));
        assert!(matches!(next(&mut rx).await, LinkEventKind::Up { .. }));
        h.send(9, args(&["ACL", "WHOAMI"]));
        assert_eq!(
            next(&mut rx).await,
            LinkEventKind::Reply {
                tag: 9,
                reply: Reply::bulk(b"mon")
            }
        );
        h
    });
    r.kill9();
    local.block_on(&rt, async {
        assert_eq!(next(&mut rx).await, LinkEventKind::Down);
        // Sending on a dead link fails quietly.
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!h.send(10, args(&["PING"])));
    });
}

#[test]
fn pubsub_link_receives_hello_messages() {
    let r = redis_server(&[]);
    let port = r.port;
    run_local(async move {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let _h = link::spawn(spec(port, LinkKind::PubSub), 1, tx, Duration::from_secs(1));
        assert!(matches!(next(&mut rx).await, LinkEventKind::Up { .. }));
        // Wait until the subscription is in place, then publish from another client.
        wait_for_subscribers(port).await;
        let n = cli(
            port,
            &[
                "PUBLISH",
                link::HELLO_CHANNEL,
                "127.0.0.1,26379,abc,0,m,127.0.0.1,6379,0",
            ],
        );
        assert_eq!(n, "1");
        match next(&mut rx).await {
            LinkEventKind::Message { channel, payload } => {
                assert_eq!(&channel[..], link::HELLO_CHANNEL.as_bytes());
                assert_eq!(&payload[..], b"127.0.0.1,26379,abc,0,m,127.0.0.1,6379,0");
            }
            other => panic!("expected a message, got {other:?}"),
        }
        let list = cli(port, &["CLIENT", "LIST"]);
        assert!(list.contains("name=sentinel-0123abcd-pubsub"), "{list}");
    });
}

async fn wait_for_subscribers(port: u16) {
    for _ in 0..100 {
        let n = cli(port, &["PUBSUB", "NUMSUB", link::HELLO_CHANNEL]);
        if n.lines().nth(1) == Some("1") {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("subscription never appeared");
}

#[test]
fn refused_unresolvable_and_timed_out_connects_report_down() {
    let closed = free_port();
    run_local(async move {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let _a = link::spawn(
            spec(closed, LinkKind::Command),
            1,
            tx.clone(),
            Duration::from_secs(1),
        );
        assert_eq!(next(&mut rx).await, LinkEventKind::Down);
        let mut s = spec(1, LinkKind::Command);
        s.addr.host = "no-such-host.invalid".into();
        let _b = link::spawn(s, 2, tx.clone(), Duration::from_secs(1));
        assert_eq!(next(&mut rx).await, LinkEventKind::Down);
        // A blackholed address (TEST-NET-1) must not hang longer than the connect timeout.
        let mut s = spec(6379, LinkKind::Command);
        s.addr.host = "192.0.2.1".into();
        let started = std::time::Instant::now();
        let _c = link::spawn(s, 3, tx, Duration::from_millis(300));
        assert_eq!(next(&mut rx).await, LinkEventKind::Down);
        assert!(started.elapsed() < Duration::from_secs(3));
    });
}

#[test]
fn hostnames_and_ipv6_resolve_at_connect() {
    let r = redis_server(&["--bind", "127.0.0.1 -::1"]);
    let port = r.port;
    let v6 = std::net::TcpStream::connect(("::1", port)).is_ok();
    run_local(async move {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let mut s = spec(port, LinkKind::Command);
        s.addr.host = "localhost".into();
        let h = link::spawn(s, 1, tx.clone(), Duration::from_secs(1));
        // The IP the hostname resolved to is reported (what announce-hostnames no shows).
        match next(&mut rx).await {
            LinkEventKind::Up { peer_ip, .. } => {
                assert!(peer_ip == "127.0.0.1" || peer_ip == "::1", "{peer_ip}")
            }
            other => panic!("expected Up, got {other:?}"),
        }
        h.send(1, args(&["PING"]));
        assert!(matches!(
            next(&mut rx).await,
            LinkEventKind::Reply { tag: 1, .. }
        ));
        if v6 {
            let mut s = spec(port, LinkKind::Command);
            s.addr.host = "::1".into();
            let h6 = link::spawn(s, 2, tx, Duration::from_secs(1));
            match next(&mut rx).await {
                LinkEventKind::Up { local_ip, peer_ip } => {
                    assert_eq!(local_ip, "::1");
                    assert_eq!(peer_ip, "::1");
                }
                other => panic!("expected Up, got {other:?}"),
            }
            h6.send(2, args(&["PING"]));
            assert!(matches!(
                next(&mut rx).await,
                LinkEventKind::Reply { tag: 2, .. }
            ));
        }
    });
}

#[test]
fn link_sockets_are_close_on_exec() {
    // tokio creates sockets with SOCK_CLOEXEC; check the flag on a live link's descriptor.
    let r = redis_server(&[]);
    let port = r.port;
    run_local(async move {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let _h = link::spawn(spec(port, LinkKind::Command), 1, tx, Duration::from_secs(1));
        assert!(matches!(next(&mut rx).await, LinkEventKind::Up { .. }));
        let mut found = 0;
        for entry in std::fs::read_dir("/proc/self/fd").unwrap().flatten() {
            let target = std::fs::read_link(entry.path()).unwrap_or_default();
            if !target.to_string_lossy().starts_with("socket:") {
                continue;
            }
            let fd = entry.file_name().to_string_lossy().to_string();
            let info =
                std::fs::read_to_string(format!("/proc/self/fdinfo/{fd}")).unwrap_or_default();
            let flags = info
                .lines()
                .find_map(|l| l.strip_prefix("flags:"))
                .map(|f| u32::from_str_radix(f.trim(), 8).unwrap_or(0))
                .unwrap_or(0);
            assert_ne!(flags & 0o2000000, 0, "socket fd {fd} lacks O_CLOEXEC");
            found += 1;
        }
        assert!(found > 0);
    });
}
