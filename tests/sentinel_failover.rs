//! Process-level failovers: three `vigil sentinel`s supervising a master and two replicas on
//! loopback ports, with down-after 1000 ms. Every scenario runs twice, once with Debian's
//! redis-server 7.0.15 as the data nodes and once with `vigil server`.

#[macro_use]
mod sentinel_common;

use std::time::Duration;

use sentinel_common::*;

const LONG: Duration = Duration::from_secs(40);

fn vigil_group(nodes: Flavor, quorum: usize) -> Group {
    group(nodes, 2, &[], &[Flavor::Vigil; 3], quorum, "")
}

/// After a failover: the sentinels agree on a promoted replica, the other replica follows it,
/// and every sentinel's config file names it. Returns its port.
fn check_switched(replicas: &[Proc], sentinels: &[&Proc], old: u16) -> u16 {
    let nodes: Vec<&Proc> = replicas.iter().collect();
    let new = wait_converged(sentinels, &nodes, old, LONG);
    for s in sentinels {
        wait_for(LONG, "config file to name the new master", || {
            read(&sentinel_conf(s))
                .contains(&format!("sentinel monitor {MASTER} 127.0.0.1 {new} "))
                .then_some(())
        });
    }
    new
}

/// kill -9 of the master: a replica is promoted with every write the master had replicated
/// (confirmed by WAIT), the other replica is re-pointed and receives the new master's writes,
/// both rewrite their config files, and the old master, restarted empty, rejoins as a replica
/// and gets the whole dataset.
fn kill9_of_master_fails_over_and_old_master_rejoins_as_replica(nodes: Flavor) {
    let Group {
        mut master,
        replicas,
        sentinels,
    } = vigil_group(nodes, 2);
    write_acked(&master, "before", 100, 2);
    let old = master.port;
    master.kill9();
    let refs: Vec<&Proc> = sentinels.iter().collect();
    let new = check_switched(&replicas, &refs, old);
    let reps: Vec<&Proc> = replicas.iter().collect();
    let promoted = node_on(&reps, new);
    assert!(has_keys(promoted, "before", 100), "writes lost by failover");
    wait_node_conf(promoted, None);
    let other = reps.iter().find(|r| r.port != new).expect("other replica");
    wait_node_conf(other, Some(new));
    write_acked(promoted, "after", 100, 1);
    assert!(has_keys(other, "after", 100), "acknowledged writes missing");
    // The old master comes back as an empty master; the sentinels turn it into a replica.
    master.restart();
    let mut all = reps.clone();
    all.push(&master);
    assert_eq!(wait_converged(&refs, &all, old, LONG), new);
    for k in ["before", "after"] {
        wait_keys(&master, k, 100, LONG);
    }
    wait_node_conf(&master, Some(new));
    for p in &refs {
        wait_for(LONG, "old master listed as replica", || {
            replica_entry(p, old).map(|_| ())
        });
    }
    for p in refs.iter().chain(all.iter()) {
        assert_quiet_stderr(p);
    }
}

/// SIGSTOP of the master: failover; after SIGCONT the old master is demoted and follows the
/// new one, receiving its writes and dropping what it took meanwhile.
fn sigstop_of_master_fails_over_and_it_rejoins_after_sigcont(nodes: Flavor) {
    let g = vigil_group(nodes, 2);
    let refs = g.sentinel_refs();
    let old = g.master.port;
    signal(g.master.pid(), "STOP");
    let new = check_switched(&g.replicas, &refs, old);
    signal(g.master.pid(), "CONT");
    // Until the sentinels demote it, the old master still takes writes; those are lost when it
    // resynchronises with the new master.
    let split = g.master.cli(&["SET", "split-brain", "1"]);
    let all = g.node_refs();
    assert_eq!(wait_converged(&refs, &all, old, LONG), new);
    write_acked(node_on(&all, new), "after", 50, 2);
    assert!(has_keys(&g.master, "after", 50), "old master missed writes");
    if split == "OK" {
        assert_eq!(g.master.cli(&["EXISTS", "split-brain"]), "0");
    } else {
        assert!(split.starts_with("READONLY"), "{split}");
    }
    // The re-pointed replica continued the promoted replica's replication history (PSYNC2)
    // instead of loading a full copy. (The demoted master may not: its offset can include
    // pings the replicas never received.)
    let stats = node_on(&all, new).cli(&["INFO", "stats"]);
    let partial: u64 = info_field(&stats, "sync_partial_ok")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    assert!(partial >= 1, "{stats}");
}

/// SENTINEL FAILOVER while the master is healthy; the replica with replica-priority 0 (set at
/// run time, seen by the sentinels through INFO) is never chosen.
fn manual_failover_promotes_a_replica(nodes: Flavor) {
    let g = vigil_group(nodes, 2);
    let refs = g.sentinel_refs();
    let old = g.master.port;
    assert_eq!(
        g.replicas[0].cli(&["CONFIG", "SET", "replica-priority", "0"]),
        "OK"
    );
    for p in &refs {
        for (r, priority) in [(&g.replicas[0], "0"), (&g.replicas[1], "100")] {
            wait_for(LONG, "the sentinels' view of the replicas", || {
                let e = replica_entry(p, r.port)?;
                let offset: u64 = entry_field(&e, "slave-repl-offset")?.parse().ok()?;
                let ok = entry_field(&e, "flags")? == "slave"
                    && entry_field(&e, "role-reported")? == "slave"
                    && entry_field(&e, "master-link-status")? == "ok"
                    && entry_field(&e, "master-host")? == "127.0.0.1"
                    && entry_field(&e, "master-port")? == old.to_string()
                    && entry_field(&e, "slave-priority")? == priority
                    && entry_field(&e, "runid")?.len() == 40
                    && offset > 0;
                ok.then_some(())
            });
        }
    }
    assert_eq!(s_cli(&g, 1, &["SENTINEL", "FAILOVER", MASTER]), "OK");
    let new = check_switched(&g.replicas, &refs, old);
    assert_eq!(new, g.replicas[1].port, "a priority-0 replica was promoted");
    // The old master is alive: sentinels convert it into a replica of the new one.
    let all = g.node_refs();
    assert_eq!(wait_converged(&refs, &all, old, LONG), new);
    assert_eq!(
        s_cli(&g, 0, &["SENTINEL", "FAILOVER", "nosuch"]),
        "ERR No such master with that name"
    );
}

fn s_cli(g: &Group, i: usize, args: &[&str]) -> String {
    g.sentinels[i].cli(args)
}

/// No failover without a quorum: first quorum 3 with one of the three sentinels down (the
/// master is only subjectively down), then quorum 1 with two of them down (the last one sees
/// it objectively down but no majority elects it).
fn no_failover_without_quorum_or_majority(nodes: Flavor) {
    let mut g = vigil_group(nodes, 3);
    let old = g.master.port;
    g.sentinels[2].kill9();
    g.master.kill9();
    for i in 0..2 {
        wait_for(LONG, "the master to be subjectively down", || {
            field(&s_cli(&g, i, &["SENTINEL", "MASTER", MASTER]), "flags")?
                .contains("s_down")
                .then_some(())
        });
    }
    // Two sentinels ask each other every second: give them several rounds.
    std::thread::sleep(Duration::from_secs(2));
    for i in 0..2 {
        let m = s_cli(&g, i, &["SENTINEL", "MASTER", MASTER]);
        let flags = field(&m, "flags").unwrap_or_default();
        assert!(flags.contains("s_down") && !flags.contains("o_down"), "{m}");
        assert!(!g.sentinels[i].logs().0.contains("+odown"));
    }
    g.sentinels[1].kill9();
    // The election gives up after min(10 s, failover-timeout): shorten it.
    let set = [
        "SENTINEL",
        "SET",
        MASTER,
        "failover-timeout",
        "2000",
        "quorum",
        "1",
    ];
    assert_eq!(s_cli(&g, 0, &set), "OK");
    wait_for(
        Duration::from_secs(30),
        "the failover attempt to be aborted",
        || {
            g.sentinels[0]
                .logs()
                .0
                .contains("-failover-abort-not-elected")
                .then_some(())
        },
    );
    assert_eq!(master_addr(&g.sentinels[0]).map(|a| a.1), Some(old));
    for r in &g.replicas {
        let info = r.cli(&["INFO", "replication"]);
        assert_eq!(info_field(&info, "role").as_deref(), Some("slave"));
        assert_eq!(info_field(&info, "master_port"), Some(old.to_string()));
    }
}

/// A sentinel that was down while the others failed over learns the new master from them and
/// persists it.
fn sentinel_down_during_failover_learns_the_new_config_on_restart(nodes: Flavor) {
    let mut g = vigil_group(nodes, 2);
    let old = g.master.port;
    g.sentinels[2].kill9();
    g.master.kill9();
    let new = check_switched(&g.replicas, &[&g.sentinels[0], &g.sentinels[1]], old);
    let s2 = &mut g.sentinels[2];
    s2.restart();
    speed_up(s2);
    wait_master_port(&[s2], new, LONG);
    wait_for(LONG, "restarted sentinel to persist the new master", || {
        read(&sentinel_conf(s2))
            .contains(&format!("sentinel monitor {MASTER} 127.0.0.1 {new} "))
            .then_some(())
    });
}

data_node_tests!(
    kill9_of_master_fails_over_and_old_master_rejoins_as_replica,
    sigstop_of_master_fails_over_and_it_rejoins_after_sigcont,
    manual_failover_promotes_a_replica,
    no_failover_without_quorum_or_majority,
    sentinel_down_during_failover_learns_the_new_config_on_restart,
);
