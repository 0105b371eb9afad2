//! Larger and mixed quorums: five vigil sentinels, three of Debian's redis-sentinel 7.0.15
//! (the oracle), and vigil sentinels sharing a quorum with redis-sentinel (2+1 and 1+2), each
//! failing over a killed master. Every scenario runs with Debian's redis-server and with
//! `vigil server` as the data nodes.

#[macro_use]
mod sentinel_common;

use std::time::Duration;

use sentinel_common::*;

const LONG: Duration = Duration::from_secs(45);

fn failover(nodes: Flavor, flavors: &[Flavor], quorum: usize) {
    let Group {
        mut master,
        replicas,
        sentinels,
    } = group(nodes, 2, &[], flavors, quorum, "");
    let old = master.port;
    let refs: Vec<&Proc> = sentinels.iter().collect();
    write_acked(&master, "before", 20, 2);
    master.kill9();
    let reps: Vec<&Proc> = replicas.iter().collect();
    let new = wait_converged(&refs, &reps, old, LONG);
    assert!(has_keys(node_on(&reps, new), "before", 20));
    // Everyone agrees on the epoch of the new configuration.
    let epochs: Vec<String> = refs
        .iter()
        .map(|p| field(&p.cli(&["SENTINEL", "MASTER", MASTER]), "config-epoch").unwrap_or_default())
        .collect();
    assert!(
        epochs.iter().all(|e| e == &epochs[0] && e != "0"),
        "{epochs:?}"
    );
    master.restart();
    let mut all = reps;
    all.push(&master);
    let new = wait_converged(&refs, &all, old, LONG);
    write_acked(node_on(&all, new), "after", 20, 2);
    wait_keys(&master, "before", 20, LONG);
    for p in refs.iter().chain(all.iter()) {
        assert_quiet_stderr(p);
    }
}

fn five_vigil_sentinels(nodes: Flavor) {
    failover(nodes, &[Flavor::Vigil; 5], 3);
}

fn three_redis_sentinels(nodes: Flavor) {
    failover(nodes, &[Flavor::Redis; 3], 2);
}

fn two_redis_sentinels_and_one_vigil(nodes: Flavor) {
    failover(nodes, &[Flavor::Redis, Flavor::Redis, Flavor::Vigil], 2);
}

fn one_redis_sentinel_and_two_vigil(nodes: Flavor) {
    failover(nodes, &[Flavor::Redis, Flavor::Vigil, Flavor::Vigil], 2);
}

data_node_tests!(
    five_vigil_sentinels,
    three_redis_sentinels,
    two_redis_sentinels_and_one_vigil,
    one_redis_sentinel_and_two_vigil,
);
