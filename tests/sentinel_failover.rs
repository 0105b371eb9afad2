//! Process-level failovers: three `vigil sentinel`s supervising Debian's redis-server 7.0.15
//! (a master and two replicas) on loopback ports, with down-after 1000 ms.

mod sentinel_common;

use std::time::Duration;

use sentinel_common::*;

const LONG: Duration = Duration::from_secs(40);

fn group(quorum: usize) -> (Proc, Vec<Proc>, Vec<Proc>) {
    let (master, replicas) = data_nodes(2, &[]);
    let body = monitor_lines(master.port, quorum);
    let s = sentinels(&[Flavor::Vigil, Flavor::Vigil, Flavor::Vigil], &body);
    {
        let refs: Vec<&Proc> = s.iter().collect();
        wait_discovery(&refs, 2);
    }
    (master, replicas, s)
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

#[test]
fn kill9_of_master_fails_over_and_old_master_rejoins_as_replica() {
    let (mut master, replicas, s) = group(2);
    let refs: Vec<&Proc> = s.iter().collect();
    let old = master.port;
    master.kill9();
    check_switched(&replicas, &refs, old);
    // The old master comes back as a master; the sentinels turn it into a replica.
    master.restart();
    let mut nodes: Vec<&Proc> = replicas.iter().collect();
    nodes.push(&master);
    wait_converged(&refs, &nodes, old, LONG);
    for p in &refs {
        wait_for(LONG, "old master listed as replica", || {
            let reps = p.cli(&["SENTINEL", "REPLICAS", MASTER]);
            reps.contains(&old.to_string()).then_some(())
        });
        assert_quiet_stderr(p);
    }
}

#[test]
fn sigstop_of_master_fails_over_and_it_rejoins_after_sigcont() {
    let (master, replicas, s) = group(2);
    let refs: Vec<&Proc> = s.iter().collect();
    let old = master.port;
    signal(master.pid(), "STOP");
    check_switched(&replicas, &refs, old);
    signal(master.pid(), "CONT");
    let mut nodes: Vec<&Proc> = replicas.iter().collect();
    nodes.push(&master);
    wait_converged(&refs, &nodes, old, LONG);
}

#[test]
fn manual_failover_promotes_a_replica() {
    let (master, replicas, s) = group(2);
    let refs: Vec<&Proc> = s.iter().collect();
    let old = master.port;
    assert_eq!(s[1].cli(&["SENTINEL", "FAILOVER", MASTER]), "OK");
    check_switched(&replicas, &refs, old);
    // The old master is alive: sentinels convert it into a replica of the new one.
    let mut nodes: Vec<&Proc> = replicas.iter().collect();
    nodes.push(&master);
    wait_converged(&refs, &nodes, old, LONG);
    assert_eq!(
        s[0].cli(&["SENTINEL", "FAILOVER", "nosuch"]),
        "ERR No such master with that name"
    );
}

#[test]
fn no_failover_when_the_majority_of_sentinels_is_down() {
    // Quorum 1: the last sentinel alone sees the master objectively down, but cannot be
    // authorised by a majority of the three sentinels it knows.
    let (mut master, replicas, mut s) = group(1);
    let old = master.port;
    s[1].kill9();
    s[2].kill9();
    master.kill9();
    wait_for(
        Duration::from_secs(30),
        "the failover attempt to be aborted",
        || {
            s[0].logs()
                .0
                .contains("-failover-abort-not-elected")
                .then_some(())
        },
    );
    assert_eq!(master_addr(&s[0]).map(|a| a.1), Some(old));
    for r in &replicas {
        assert_eq!(
            info_field(&r.cli(&["INFO", "replication"]), "role").as_deref(),
            Some("slave")
        );
    }
}

#[test]
fn sentinel_down_during_failover_learns_the_new_config_on_restart() {
    let (mut master, replicas, mut s) = group(2);
    let old = master.port;
    s[2].kill9();
    master.kill9();
    let new = check_switched(&replicas, &[&s[0], &s[1]], old);
    s[2].restart();
    speed_up(&s[2]);
    wait_master_port(&[&s[2]], new, LONG);
    wait_for(LONG, "restarted sentinel to persist the new master", || {
        read(&sentinel_conf(&s[2]))
            .contains(&format!("sentinel monitor {MASTER} 127.0.0.1 {new} "))
            .then_some(())
    });
}
