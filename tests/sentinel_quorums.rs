//! Larger and mixed quorums: five vigil sentinels, and vigil sentinels sharing a quorum with
//! Debian's redis-sentinel 7.0.15 (2+1 and 1+2), each failing over a killed master.

mod sentinel_common;

use std::time::Duration;

use sentinel_common::*;

const LONG: Duration = Duration::from_secs(45);

fn failover(flavors: &[Flavor], quorum: usize) {
    let (mut master, replicas) = data_nodes(2, &[]);
    let old = master.port;
    let s = sentinels(flavors, &monitor_lines(old, quorum));
    let refs: Vec<&Proc> = s.iter().collect();
    wait_discovery(&refs, 2);
    master.kill9();
    let nodes: Vec<&Proc> = replicas.iter().collect();
    wait_converged(&refs, &nodes, old, LONG);
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
    let mut nodes = nodes;
    nodes.push(&master);
    wait_converged(&refs, &nodes, old, LONG);
    for p in &refs {
        assert_quiet_stderr(p);
    }
}

#[test]
fn five_vigil_sentinels() {
    failover(&[Flavor::Vigil; 5], 3);
}

#[test]
fn two_redis_sentinels_and_one_vigil() {
    failover(&[Flavor::Redis, Flavor::Redis, Flavor::Vigil], 2);
}

#[test]
fn one_redis_sentinel_and_two_vigil() {
    failover(&[Flavor::Redis, Flavor::Vigil, Flavor::Vigil], 2);
}
