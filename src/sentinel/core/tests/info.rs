//! What INFO drives: replica discovery, reboots, role changes, replicas fixed or converted,
//! reconfiguration progress and its timeouts.

use super::node::NodeRole;
use super::sim::World;
use super::{Solo, field, items, pong};
use crate::resp::Reply;

#[test]
fn reboot_detected_and_master_reboot_down_after_period() {
    for period in [0u64, 2000] {
        let mut w = World::standard(3, 1, 2, 60000);
        for s in 0..3 {
            w.cmd(
                s,
                &[
                    "SENTINEL",
                    "SET",
                    "mymaster",
                    "master-reboot-down-after-period",
                    &period.to_string(),
                ],
            );
        }
        w.run_for(5000);
        // A quick restart: the new process answers -LOADING for a long time.
        w.kill_node(0);
        w.restart_node(0);
        w.nodes[0].ping_reply = Some(Reply::Error("LOADING Redis is loading".into()));
        w.run_for(8000);
        for s in 0..3 {
            assert_eq!(
                w.msgs(s, "+reboot"),
                ["master mymaster 10.0.1.1 6379".to_string()]
            );
        }
        if period == 0 {
            assert!(
                (0..3).all(|s| !w.has(s, "+sdown")),
                "LOADING counts as alive"
            );
        } else {
            let reboot = w.first_time(0, "+reboot").unwrap_or(0);
            let sdown = w.first_time(0, "+sdown").unwrap_or(0);
            assert!(
                sdown > reboot + 2000 && sdown <= reboot + 2110,
                "{reboot} {sdown}"
            );
            assert!(w.run_until_cond(5000, |w| (0..3).all(|s| w.has(s, "+switch-master"))));
        }
    }
}

#[test]
fn reboot_flag_cleared_by_pong() {
    let mut w = World::standard(1, 1, 1, 60000);
    w.cmd(
        0,
        &[
            "SENTINEL",
            "SET",
            "mymaster",
            "master-reboot-down-after-period",
            "3000",
        ],
    );
    w.run_for(3000);
    w.kill_node(0);
    w.restart_node(0);
    // INFO keeps its 10 s period across the reconnection.
    w.run_for(9000);
    assert!(w.has(0, "+reboot"));
    assert!(!w.has(0, "+sdown"), "PONG clears the reboot flag");
}

#[test]
fn misconfigured_replica_is_fixed_after_failover_timeout() {
    let mut w = World::standard(3, 2, 2, 3000);
    w.run_for(5000);
    w.nodes[2].role = NodeRole::Replica {
        host: "10.0.1.9".into(),
        port: 6379,
    };
    assert!(w.run_until_cond(30000, |w| (0..3).any(|s| w.has(s, "+fix-slave-config"))));
    w.run_for(100);
    let s = (0..3).find(|&s| w.has(s, "+fix-slave-config")).unwrap_or(0);
    assert_eq!(
        w.msgs(s, "+fix-slave-config")[0],
        "slave 10.0.1.3:6379 10.0.1.3 6379 @ mymaster 10.0.1.1 6379"
    );
    assert_eq!(
        w.nodes[2].role,
        NodeRole::Replica {
            host: "10.0.1.1".into(),
            port: 6379
        }
    );
    let reps = items(&w.cmd(s, &["SENTINEL", "REPLICAS", "mymaster"]));
    let r = reps
        .iter()
        .find(|r| field(r, "name") == "10.0.1.3:6379")
        .cloned()
        .unwrap_or(Reply::Null);
    assert_eq!(field(&r, "master-host"), "10.0.1.1");
}

#[test]
fn slave_reconf_sent_timeout() {
    let mut w = World::standard(3, 2, 2, 60000);
    w.nodes[1].priority = 10;
    w.nodes[2].ignore_slaveof = true;
    // As in Redis, the RECONF_SENT timeout is only checked while fewer than parallel-syncs
    // replicas are in progress: with parallel-syncs 1 a stuck replica would block the
    // failover until failover-timeout instead.
    for s in 0..3 {
        w.cmd(s, &["SENTINEL", "SET", "mymaster", "parallel-syncs", "2"]);
    }
    w.run_for(5000);
    w.kill_node(0);
    assert!(w.run_until_cond(20000, |w| (0..3).any(|s| w.has(s, "+failover-end"))));
    let l = (0..3).find(|&s| w.has(s, "+elected-leader")).unwrap_or(0);
    let sent = w.first_time(l, "+slave-reconf-sent").unwrap_or(0);
    let to = w.first_time(l, "-slave-reconf-sent-timeout").unwrap_or(0);
    assert!(to > sent + 10000 && to <= sent + 10110, "{sent} {to}");
    assert_eq!(
        w.msgs(l, "-slave-reconf-sent-timeout"),
        ["slave 10.0.1.3:6379 10.0.1.3 6379 @ mymaster 10.0.1.1 6379".to_string()]
    );
    assert!(!w.has(l, "+failover-end-for-timeout"));
}

#[test]
fn failover_end_for_timeout_with_best_effort_reconf() {
    let mut w = World::standard(3, 3, 2, 5000);
    // Replicas take forever to sync: the first reconfigured one never gets done.
    w.nodes[1].priority = 10;
    for j in 2..4 {
        w.nodes[j].sync_delay = 1_000_000;
    }
    for s in 0..3 {
        w.cmd(s, &["SENTINEL", "DEBUG", "slave-reconf-timeout", "60000"]);
    }
    w.run_for(5000);
    w.kill_node(0);
    assert!(w.run_until_cond(20000, |w| (0..3).any(|s| w.has(s, "+failover-end"))));
    let l = (0..3).find(|&s| w.has(s, "+elected-leader")).unwrap_or(0);
    let kinds = w.kinds(l);
    let i = kinds
        .iter()
        .position(|k| k == "+failover-end-for-timeout")
        .unwrap_or(usize::MAX);
    assert_eq!(kinds[i + 1], "+failover-end");
    assert_eq!(w.msgs(l, "+slave-reconf-sent").len(), 1, "parallel-syncs 1");
    // Best effort to every replica not promoted, done or in RECONF_SENT: Redis includes
    // the one stuck in RECONF_INPROG.
    assert_eq!(w.msgs(l, "+slave-reconf-sent-be").len(), 2);
    let reconf = w
        .first_time(l, "+failover-state-reconf-slaves")
        .unwrap_or(0);
    let end = w.first_time(l, "+failover-end").unwrap_or(0);
    assert!(end > reconf + 5000 && end <= reconf + 5110);
    assert!(w.run_until_cond(1000, |w| w.has(l, "+switch-master")));
}

#[test]
fn role_change_events() {
    let mut w = World::standard(3, 2, 2, 60000);
    w.run_for(5000);
    w.kill_node(0);
    assert!(w.run_until_cond(20000, |w| (0..3).all(|s| w.has(s, "+switch-master"))));
    let l = (0..3).find(|&s| w.has(s, "+elected-leader")).unwrap_or(0);
    let m = w.msgs(l, "-role-change");
    assert!(
        m[0].ends_with("@ mymaster 10.0.1.1 6379 new reported role is master")
            && m[0].starts_with("slave ")
    );
}

#[test]
fn replicas_discovered_from_both_info_formats() {
    let mut s = Solo::new(&[
        "myid 0123456789abcdef0123456789abcdef01234567",
        "monitor m 127.0.0.1 6379 2",
    ]);
    s.link_up(None);
    s.answer(6379, "PING", pong);
    s.answer(6379, "INFO", |_| {
        Reply::Bulk(
            format!(
                "run_id:{}\r\nrole:master\r\nslave0:127.0.0.1,6380,online\r\n\
                 slave1:ip=127.0.0.1,port=6381,state=online,offset=1,lag=0\r\n\
                 slave2:ip=::1,port=6382,state=online\r\nslave3:garbage\r\n",
                "1".repeat(40)
            )
            .into(),
        )
    });
    let names: Vec<String> = items(&s.cmd(&["SENTINEL", "REPLICAS", "m"]))
        .iter()
        .map(|r| field(r, "name"))
        .collect();
    assert_eq!(names, ["127.0.0.1:6380", "127.0.0.1:6381", "[::1]:6382"]);
    let slaves: Vec<String> = s
        .events()
        .into_iter()
        .filter(|e| e.0 == "+slave")
        .map(|e| e.1)
        .collect();
    assert_eq!(slaves[2], "slave [::1]:6382 ::1 6382 @ m 127.0.0.1 6379");
    let m = s.cmd(&["SENTINEL", "MASTER", "m"]);
    assert_eq!(field(&m, "runid"), "1".repeat(40));
    assert_eq!(field(&m, "num-slaves"), "3");
}

#[test]
fn master_reporting_slave_goes_down_after_down_after_plus_two_info_periods() {
    let mut s = Solo::new(&[
        "myid 0123456789abcdef0123456789abcdef01234567",
        "monitor m 127.0.0.1 6379 2",
        "down-after-milliseconds m 1000",
    ]);
    s.cmd(&["SENTINEL", "DEBUG", "info-period", "500"]);
    s.link_up(None);
    let info = |_: &[String]| {
        Reply::Bulk(
            format!(
                "run_id:{}\r\nrole:slave\r\nmaster_host:127.0.0.1\r\nmaster_port:7000\r\n",
                "1".repeat(40)
            )
            .into(),
        )
    };
    s.answer(6379, "INFO", info);
    assert!(s.has("-role-change"));
    for _ in 0..19 {
        s.run(100, 100);
        s.answer(6379, "PING", pong);
        s.answer(6379, "INFO", info);
    }
    assert!(!s.has("+sdown"));
    for _ in 0..3 {
        s.run(100, 100);
        s.answer(6379, "PING", pong);
        s.answer(6379, "INFO", info);
    }
    assert!(s.has("+sdown"));
}
