//! Full failovers, aborts, parallel-syncs, replica selection, the old master's return.

use super::sim::{World, sid};

#[test]
fn failover_three_sentinels_debug_trace() {
    let mut w = World::standard(3, 2, 2, 60000);
    w.run_for(5000);
    for s in 0..3 {
        eprintln!("s{s}: {:?}", w.sentinels[s].events);
    }
    let t0 = w.now;
    w.kill_node(0);
    let ok = w.run_until_cond(20000, |w| (0..3).all(|s| w.has(s, "+switch-master")));
    for s in 0..3 {
        eprintln!("--- s{s}");
        for e in &w.sentinels[s].events {
            if e.0 >= t0 {
                eprintln!("{:6} {} {}", e.0 - t0, e.1, e.2);
            }
        }
    }
    assert!(ok);
    let _ = sid(0);
}
