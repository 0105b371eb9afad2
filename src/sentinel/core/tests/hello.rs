//! Hello messages: discovery, config propagation, address switches, invalid addresses.

use super::sim::{World, sid};
use super::{Solo, field, items};
use crate::sentinel::proto::Action;

#[test]
fn sentinels_discover_each_other_and_persist_them() {
    let mut w = World::standard(3, 1, 2, 60000);
    w.run_for(5000);
    for s in 0..3 {
        let sents = items(&w.cmd(s, &["SENTINEL", "SENTINELS", "mymaster"]));
        assert_eq!(sents.len(), 2);
        for x in &sents {
            assert_eq!(field(x, "flags"), "sentinel");
            assert_eq!(field(x, "port"), "26379");
            assert_eq!(field(x, "name"), field(x, "runid"));
        }
        let msgs = w.msgs(s, "+sentinel");
        assert_eq!(msgs.len(), 2);
        let other = (s + 1) % 3;
        assert!(msgs.contains(&format!(
            "sentinel {} 10.0.0.{} 26379 @ mymaster 10.0.1.1 6379",
            sid(other),
            other + 1
        )));
        let known: Vec<Vec<String>> = w.sentinels[s]
            .config
            .iter()
            .filter(|l| l[0] == "known-sentinel")
            .cloned()
            .collect();
        assert_eq!(known.len(), 2);
        assert!(known.contains(&vec![
            "known-sentinel".to_string(),
            "mymaster".into(),
            format!("10.0.0.{}", other + 1),
            "26379".into(),
            sid(other)
        ]));
    }
}

#[test]
fn hello_payload_format() {
    let mut w = World::standard(2, 0, 1, 60000);
    w.run_for(2500);
    let hello = w.nodes[0]
        .log
        .iter()
        .find(|(_, a)| a[0] == "PUBLISH")
        .map(|(_, a)| a.clone())
        .unwrap_or_default();
    assert_eq!(hello[1], "__sentinel__:hello");
    let fields: Vec<&str> = hello[2].split(',').collect();
    assert_eq!(fields.len(), 8);
    assert!(fields[0] == "10.0.0.1" || fields[0] == "10.0.0.2");
    assert_eq!(fields[1], "26379");
    assert_eq!(&fields[3..], ["0", "mymaster", "10.0.1.1", "6379", "0"]);
}

#[test]
fn announce_ip_and_port_in_hello() {
    let mut w = World::standard(1, 0, 1, 60000);
    w.sentinels[0]
        .config
        .push(vec!["announce-ip".into(), "192.0.2.7".into()]);
    w.sentinels[0]
        .config
        .push(vec!["announce-port".into(), "5555".into()]);
    w.kill_sentinel(0);
    w.start_sentinel(0);
    w.run_for(2500);
    let hello = w.nodes[0]
        .log
        .iter()
        .find(|(_, a)| a[0] == "PUBLISH")
        .map(|(_, a)| a[2].clone())
        .unwrap_or_default();
    assert!(
        hello.starts_with(&format!("192.0.2.7,5555,{},", sid(0))),
        "{hello}"
    );
}

#[test]
fn sentinel_down_during_failover_learns_new_config() {
    let mut w = World::standard(3, 2, 2, 60000);
    w.run_for(5000);
    w.kill_sentinel(2);
    w.kill_node(0);
    assert!(w.run_until_cond(10000, |w| w.has(0, "+switch-master")
        && w.has(1, "+switch-master")));
    let new = w.master_addr(0);
    // Sentinel 2 restarts from its (old) config file.
    assert!(
        w.sentinels[2]
            .config
            .iter()
            .any(|l| l[0] == "monitor" && l[2] == "10.0.1.1")
    );
    w.start_sentinel(2);
    assert!(w.run_until_cond(5000, |w| w.has(2, "+switch-master")));
    let from = w.msgs(2, "+config-update-from");
    assert_eq!(from.len(), 1);
    assert!(from[0].starts_with("sentinel "));
    assert!(from[0].ends_with("@ mymaster 10.0.1.1 6379"));
    let ip = new.split(':').next().unwrap_or("");
    assert_eq!(
        w.msgs(2, "+switch-master"),
        [format!("mymaster 10.0.1.1 6379 {ip} 6379")]
    );
    assert_eq!(w.master_addr(2), new);
    // It adopted the epochs too, and persisted the new config.
    assert!(w.core(2).current_epoch() >= 1);
    assert!(
        w.sentinels[2]
            .config
            .iter()
            .any(|l| l[0] == "monitor" && l[2] == ip)
    );
    let m = w.cmd(2, &["SENTINEL", "MASTER", "mymaster"]);
    assert_eq!(
        field(&m, "config-epoch"),
        field(
            &w.cmd(0, &["SENTINEL", "MASTER", "mymaster"]),
            "config-epoch"
        )
    );
}

#[test]
fn sentinel_address_switch() {
    let mut w = World::standard(3, 1, 2, 60000);
    w.run_for(5000);
    w.kill_sentinel(2);
    w.sentinels[2].ip = "10.0.0.9".into();
    w.start_sentinel(2);
    w.run_for(5000);
    for s in 0..2 {
        assert_eq!(
            w.msgs(s, "+sentinel-address-switch"),
            [format!(
                "master mymaster 10.0.1.1 6379 ip 10.0.0.9 port 26379 for {}",
                sid(2)
            )]
        );
        let sents = items(&w.cmd(s, &["SENTINEL", "SENTINELS", "mymaster"]));
        assert_eq!(sents.len(), 2);
        let moved: Vec<_> = sents
            .iter()
            .filter(|x| field(x, "runid") == sid(2))
            .collect();
        assert_eq!(moved.len(), 1);
        assert_eq!(field(moved[0], "ip"), "10.0.0.9");
        // No second +sentinel for the same runid.
        assert_eq!(w.msgs(s, "+sentinel").len(), 2);
    }
}

#[test]
fn sentinel_invalid_addr_when_another_runid_takes_the_address() {
    let mut w = World::standard(3, 1, 2, 60000);
    w.run_for(5000);
    w.kill_sentinel(2);
    // A brand new sentinel (new id) on the same address.
    let cfg = vec![
        vec!["myid".to_string(), "f".repeat(40)],
        vec![
            "monitor".into(),
            "mymaster".into(),
            "10.0.1.1".into(),
            "6379".into(),
            "2".into(),
        ],
    ];
    w.sentinels[2].ip = "10.0.0.99".into();
    w.add_sentinel("10.0.0.3", 26379, cfg, 77);
    w.run_for(5000);
    for s in 0..2 {
        assert_eq!(
            w.msgs(s, "+sentinel-invalid-addr"),
            [format!(
                "sentinel {} 10.0.0.3 26379 @ mymaster 10.0.1.1 6379",
                sid(2)
            )]
        );
        let sents = items(&w.cmd(s, &["SENTINEL", "SENTINELS", "mymaster"]));
        let ids: Vec<String> = sents.iter().map(|x| field(x, "runid")).collect();
        assert!(!ids.contains(&sid(2)));
        assert!(ids.contains(&"f".repeat(40)));
        assert_eq!(ids.len(), 2);
    }
}

#[test]
fn hello_edge_cases() {
    let me = "0123456789abcdef0123456789abcdef01234567";
    let other = "abcdefabcdefabcdefabcdefabcdefabcdefabcd";
    let mut s = Solo::new(&[&format!("myid {me}"), "monitor m 127.0.0.1 6379 2"]);
    let hello = |s: &mut Solo, p: &str| {
        let a = s.core.hello_from_client(p.as_bytes(), super::at(s.now));
        s.absorb(a);
    };
    // Wrong number of fields, unknown master, our own id: ignored.
    hello(
        &mut s,
        &format!("127.0.0.1,26380,{other},0,m,127.0.0.1,6379"),
    );
    hello(
        &mut s,
        &format!("127.0.0.1,26380,{other},0,zz,127.0.0.1,6379,0"),
    );
    hello(
        &mut s,
        &format!("127.0.0.1,26380,{me},0,m,127.0.0.1,6379,0"),
    );
    assert!(s.events().iter().all(|e| e.0 == "+monitor"));
    // A new sentinel with a newer epoch and a newer config for the same address.
    s.clear();
    hello(
        &mut s,
        &format!("127.0.0.1,26380,{other},5,m,127.0.0.1,6379,3"),
    );
    assert_eq!(
        s.events(),
        [
            (
                "+sentinel".to_string(),
                format!("sentinel {other} 127.0.0.1 26380 @ m 127.0.0.1 6379")
            ),
            ("+new-epoch".to_string(), "5".to_string())
        ]
    );
    assert!(s.log.iter().any(|a| matches!(a, Action::FlushConfig)));
    assert_eq!(s.core.current_epoch(), 5);
    let m = s.cmd(&["SENTINEL", "MASTER", "m"]);
    assert_eq!(field(&m, "config-epoch"), "3");
    assert_eq!(field(&m, "ip"), "127.0.0.1");
    // A newer config with another address: switch.
    s.clear();
    hello(
        &mut s,
        &format!("127.0.0.1,26380,{other},5,m,127.0.0.2,6390,4"),
    );
    let ev = s.events();
    assert_eq!(
        ev[0],
        (
            "+config-update-from".to_string(),
            format!("sentinel {other} 127.0.0.1 26380 @ m 127.0.0.1 6379")
        )
    );
    assert_eq!(
        ev[1],
        (
            "+switch-master".to_string(),
            "m 127.0.0.1 6379 127.0.0.2 6390".to_string()
        )
    );
    assert_eq!(
        ev[2],
        (
            "+slave".to_string(),
            "slave 127.0.0.1:6379 127.0.0.1 6379 @ m 127.0.0.2 6390".to_string()
        )
    );
    // An older config is ignored.
    s.clear();
    hello(
        &mut s,
        &format!("127.0.0.1,26380,{other},5,m,127.0.0.9,6390,2"),
    );
    assert!(s.events().is_empty());
    assert_eq!(
        s.cmd(&["SENTINEL", "GET-MASTER-ADDR-BY-NAME", "m"]),
        crate::resp::Reply::Array(vec![
            crate::resp::Reply::Bulk("127.0.0.2".into()),
            crate::resp::Reply::Bulk("6390".into())
        ])
    );
    let sent = items(&s.cmd(&["SENTINEL", "SENTINELS", "m"]));
    assert_eq!(sent.len(), 1, "sentinels kept across the switch");
}

#[test]
fn links_to_a_sentinel_are_shared_across_masters() {
    let mut w = World::new();
    w.nodes
        .push(super::node::FakeNode::master("10.0.1.1", 6379));
    w.nodes
        .push(super::node::FakeNode::master("10.0.1.2", 6379));
    for i in 0..2 {
        let cfg = vec![
            vec!["myid".to_string(), sid(i)],
            vec![
                "monitor".into(),
                "a".into(),
                "10.0.1.1".into(),
                "6379".into(),
                "1".into(),
            ],
            vec![
                "monitor".into(),
                "b".into(),
                "10.0.1.2".into(),
                "6379".into(),
                "1".into(),
            ],
        ];
        w.add_sentinel(&format!("10.0.0.{}", i + 1), 26379, cfg, i as u64);
    }
    w.run_for(6000);
    for name in ["a", "b"] {
        let sents = items(&w.cmd(0, &["SENTINEL", "SENTINELS", name]));
        assert_eq!(sents.len(), 1);
        assert_eq!(field(&sents[0], "link-refcount"), "2");
    }
    // A sentinel record restored from the config file shares too.
    w.kill_sentinel(0);
    w.start_sentinel(0);
    let sents = items(&w.cmd(0, &["SENTINEL", "SENTINELS", "b"]));
    assert_eq!(field(&sents[0], "link-refcount"), "2");
}
