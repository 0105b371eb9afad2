//! SDOWN, ODOWN, is-master-down-by-addr, votes and leader election.

use super::sim::{Ep, World};
use super::{Solo, field, master_info, pong};
use crate::resp::Reply;

/// The first PING the node received at or after `t`.
fn first_ping_after(w: &World, node: usize, t: u64) -> u64 {
    w.nodes[node]
        .log
        .iter()
        .find(|(ts, a)| *ts >= t && a[0] == "PING")
        .map(|(ts, _)| *ts)
        .unwrap_or(u64::MAX)
}

#[test]
fn sdown_after_down_after_and_not_before() {
    let mut w = World::standard(1, 1, 2, 60000);
    w.run_for(3000);
    let t0 = w.now;
    w.nodes[0].ping_hangs = true;
    w.run_for(5000);
    // The PING is stamped on arrival (one ms after it was sent).
    let sent = first_ping_after(&w, 0, t0) - w.latency;
    let sdown = w.first_time(0, "+sdown").unwrap_or(0);
    assert!(
        sdown > sent + 1000,
        "sdown at {sdown}, first unanswered ping at {sent}"
    );
    assert!(
        sdown <= sent + 1000 + 101,
        "sdown at {sdown}, ping at {sent}"
    );
    assert_eq!(
        w.msgs(0, "+sdown"),
        ["master mymaster 10.0.1.1 6379".to_string()]
    );
    // Answering again clears it.
    w.nodes[0].ping_hangs = false;
    w.run_for(1500);
    assert_eq!(
        w.msgs(0, "-sdown"),
        ["master mymaster 10.0.1.1 6379".to_string()]
    );
}

#[test]
fn never_reachable_instance_goes_sdown() {
    let mut s = Solo::new(&[
        "myid 0123456789abcdef0123456789abcdef01234567",
        "monitor m 127.0.0.1 6379 1",
        "down-after-milliseconds m 2000",
    ]);
    s.run(2000, 100);
    assert!(!s.has("+sdown"));
    s.run(200, 100);
    assert!(s.has("+sdown"));
}

#[test]
fn only_pong_loading_masterdown_count_as_alive() {
    let alive = [
        Reply::Status("PONG".into()),
        Reply::Error("LOADING Redis is loading the dataset in memory".into()),
        Reply::Error(
            "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'."
                .into(),
        ),
    ];
    for r in alive {
        let mut w = World::standard(1, 1, 1, 60000);
        w.run_for(2000);
        w.nodes[0].ping_reply = Some(r.clone());
        w.run_for(5000);
        assert!(!w.has(0, "+sdown"), "{r:?} must count as alive");
    }
    let dead = [
        Reply::Error("MISCONF Errors writing to the AOF file".into()),
        Reply::Error("NOAUTH Authentication required.".into()),
        Reply::Error("ERR unknown command 'PING'".into()),
        Reply::Status("OK".into()),
    ];
    for r in dead {
        let mut w = World::standard(1, 1, 1, 60000);
        w.run_for(2000);
        w.nodes[0].ping_reply = Some(r.clone());
        w.run_for(3000);
        assert!(w.has(0, "+sdown"), "{r:?} must not count as alive");
        // Error replies still count as activity: the link is not closed for idleness.
        assert!(!w.has(0, "-sdown"));
    }
}

#[test]
fn busy_sends_one_script_kill() {
    let mut w = World::standard(1, 1, 2, 60000);
    w.run_for(2000);
    w.nodes[0].ping_reply = Some(Reply::Error(
        "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSCRIPT."
            .into(),
    ));
    w.run_until_cond(3000, |w| w.has(0, "+sdown"));
    let kills_before = w.nodes[0]
        .log
        .iter()
        .filter(|(_, a)| a[0] == "SCRIPT")
        .count();
    assert_eq!(kills_before, 0, "SCRIPT KILL only once SDOWN");
    w.run_for(300);
    let kills: Vec<_> = w.nodes[0]
        .log
        .iter()
        .filter(|(_, a)| a[0] == "SCRIPT")
        .collect();
    assert_eq!(kills.len(), 1);
    assert_eq!(kills[0].1, ["SCRIPT", "KILL"]);
    // The fake node's SCRIPT KILL ended the script: PONG again, SDOWN and flag cleared.
    w.run_for(2000);
    assert!(w.has(0, "-sdown"));
    let m = w.cmd(0, &["SENTINEL", "MASTER", "mymaster"]);
    assert_eq!(field(&m, "flags"), "master");
}

#[test]
fn odown_with_quorum() {
    let mut w = World::standard(3, 1, 2, 60000);
    w.run_for(5000);
    w.kill_node(0);
    assert!(w.run_until_cond(3000, |w| (0..3).any(|s| w.has(s, "+odown"))));
    let s = (0..3).find(|&s| w.has(s, "+odown")).unwrap_or(0);
    let msg = &w.msgs(s, "+odown")[0];
    assert!(
        msg == "master mymaster 10.0.1.1 6379 #quorum 2/2"
            || msg == "master mymaster 10.0.1.1 6379 #quorum 3/2",
        "{msg}"
    );
}

#[test]
fn no_odown_without_quorum() {
    let mut w = World::standard(3, 1, 2, 60000);
    w.run_for(5000);
    // Only sentinel 0 loses the master.
    w.partition(&[Ep::S(0)], &[Ep::N(0)]);
    w.run_for(20000);
    assert!(w.has(0, "+sdown"));
    for s in 0..3 {
        assert!(!w.has(s, "+odown"), "sentinel {s}");
        assert!(!w.has(s, "+try-failover"), "sentinel {s}");
    }
    assert!(!w.has(1, "+sdown") && !w.has(2, "+sdown"));
    let m = w.cmd(0, &["SENTINEL", "MASTER", "mymaster"]);
    assert!(field(&m, "flags").starts_with("s_down,master"));
    // The others answered "not down".
    let sentinels = super::items(&w.cmd(0, &["SENTINEL", "SENTINELS", "mymaster"]));
    for s in sentinels {
        assert!(!field(&s, "flags").contains("master_down"));
    }
}

const ME: &str = "0123456789abcdef0123456789abcdef01234567";
const PEERS: [&str; 4] = [
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
    "cccccccccccccccccccccccccccccccccccccccc",
    "dddddddddddddddddddddddddddddddddddddddd",
];

/// A core with 4 known peers (5 voters) on ports 26380..26383, all links up.
fn five_voters_alive(quorum: u32) -> Solo {
    let mut cfg = vec![
        format!("myid {ME}"),
        format!("monitor m 127.0.0.1 6379 {quorum}"),
        "down-after-milliseconds m 1000".to_string(),
    ];
    for (i, p) in PEERS.iter().enumerate() {
        cfg.push(format!("known-sentinel m 127.0.0.1 {} {p}", 26380 + i));
    }
    let refs: Vec<&str> = cfg.iter().map(String::as_str).collect();
    let mut s = Solo::new(&refs);
    s.link_up(None);
    for port in [6379, 26380, 26381, 26382, 26383] {
        s.answer(port, "PING", pong);
    }
    s.answer(6379, "INFO", |_| Reply::Bulk(master_info(ME, &[]).into()));
    s.run(500, 100);
    answer_peers(&mut s);
    s
}

/// The master dies (connection reset, reconnects refused) until SDOWN; peers keep answering.
fn kill_master(s: &mut Solo) {
    s.link_down(6379);
    for _ in 0..17 {
        s.run(100, 100);
        answer_peers(s);
    }
    assert!(s.has("+sdown"));
}

/// `five_voters_alive` after the master died.
fn five_voters(quorum: u32) -> Solo {
    let mut s = five_voters_alive(quorum);
    kill_master(&mut s);
    s
}

/// Peers answer PING and hello.
fn answer_peers(s: &mut Solo) {
    for port in [26380, 26381, 26382, 26383] {
        s.answer(port, "PING", pong);
        s.answer(port, "PUBLISH", |_| Reply::Int(1));
    }
}

fn down_reply(leader: &str, epoch: i64) -> Reply {
    Reply::Array(vec![
        Reply::Int(1),
        Reply::Bulk(leader.to_string().into()),
        Reply::Int(epoch),
    ])
}

#[test]
fn is_master_down_requests_and_odown() {
    let mut s = five_voters(3);
    let asks = s.pending_to(26380);
    let ask = asks
        .iter()
        .find(|a| a[0] == "SENTINEL")
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        ask,
        [
            "SENTINEL",
            "is-master-down-by-addr",
            "127.0.0.1",
            "6379",
            "0",
            "*"
        ]
    );
    s.answer(26380, "SENTINEL", |_| down_reply("*", 0));
    assert!(!s.has("+odown"), "2 < quorum 3");
    s.answer(26381, "SENTINEL", |_| down_reply("*", 0));
    assert!(s.has("+odown"));
    let ev = s.events();
    let i = ev.iter().position(|e| e.0 == "+odown").unwrap_or(0);
    assert_eq!(ev[i].1, "master m 127.0.0.1 6379 #quorum 3/3");
    // Failover starts right away: new epoch, vote requests carrying our id.
    assert_eq!(ev[i + 1], ("+new-epoch".into(), "1".into()));
    assert_eq!(
        ev[i + 2],
        ("+try-failover".into(), "master m 127.0.0.1 6379".into())
    );
    assert_eq!(ev[i + 3], ("+vote-for-leader".into(), format!("{ME} 1")));
    let req = s.pending_to(26382);
    assert!(req.contains(&vec![
        "SENTINEL".to_string(),
        "is-master-down-by-addr".into(),
        "127.0.0.1".into(),
        "6379".into(),
        "1".into(),
        ME.into()
    ]));
}

#[test]
fn leader_needs_majority_of_known_sentinels() {
    let mut s = five_voters(2);
    s.answer(26380, "SENTINEL", |_| down_reply("*", 0));
    assert!(s.has("+try-failover"));
    // One vote for us, one for someone else: 2 of 5 (us included) is no majority.
    s.answer(26380, "SENTINEL", |_| down_reply(ME, 1));
    s.answer(26381, "SENTINEL", |_| down_reply(PEERS[3], 1));
    s.run(300, 100);
    assert!(!s.has("+elected-leader"));
    // Third vote: 3 of 5.
    s.answer(26382, "SENTINEL", |_| down_reply(ME, 1));
    assert!(s.has("+elected-leader"));
    let m = s.cmd(&["SENTINEL", "SENTINELS", "m"]);
    let votes: Vec<String> = super::items(&m)
        .iter()
        .map(|x| field(x, "voted-leader"))
        .collect();
    assert_eq!(votes[0], ME);
    assert_eq!(votes[1], PEERS[3]);
}

#[test]
fn leader_needs_at_least_quorum_votes() {
    let mut s = five_voters(4);
    for port in [26380, 26381, 26382] {
        s.answer(port, "SENTINEL", |_| down_reply("*", 0));
    }
    assert!(s.has("+try-failover"));
    // 3 of 5 is a majority, but quorum is 4.
    for port in [26380, 26381] {
        s.answer(port, "SENTINEL", |_| down_reply(ME, 1));
    }
    s.run(300, 100);
    assert!(!s.has("+elected-leader"));
    s.answer(26382, "SENTINEL", |_| down_reply(ME, 1));
    assert!(s.has("+elected-leader"));
}

#[test]
fn election_timeout_aborts() {
    let mut s = five_voters(2);
    s.answer(26380, "SENTINEL", |_| down_reply("*", 0));
    assert!(s.has("+try-failover"));
    s.forget(26380);
    s.forget(26381);
    s.forget(26382);
    s.forget(26383);
    s.run(9000, 100);
    assert!(!s.has("-failover-abort-not-elected"));
    s.run(2100, 100);
    assert!(s.has("-failover-abort-not-elected"));
    assert!(!s.has("+elected-leader"));
    let m = s.cmd(&["SENTINEL", "MASTER", "m"]);
    assert!(!field(&m, "flags").contains("failover_in_progress"));
    // No new attempt before 2 × failover-timeout.
    s.run(10000, 100);
    let tries = s.events().iter().filter(|e| e.0 == "+try-failover").count();
    assert_eq!(tries, 1);
}

#[test]
fn voting_for_another_delays_own_failover() {
    let mut s = five_voters_alive(1);
    // Someone else asks for our vote in epoch 7 first.
    let r = s.cmd(&[
        "SENTINEL",
        "is-master-down-by-addr",
        "127.0.0.1",
        "6379",
        "7",
        PEERS[0],
    ]);
    assert_eq!(
        r,
        Reply::Array(vec![
            Reply::Int(0),
            Reply::Bulk(PEERS[0].into()),
            Reply::Int(7)
        ])
    );
    // ODOWN (quorum 1) but we voted for another sentinel: no attempt of our own.
    kill_master(&mut s);
    s.run(5000, 100);
    assert!(s.has("+odown"));
    assert!(!s.has("+try-failover"));
}

#[test]
fn no_failover_when_majority_unreachable() {
    let mut w = World::standard(5, 1, 2, 30000);
    w.run_for(5000);
    for s in 2..5 {
        w.kill_sentinel(s);
    }
    w.kill_node(0);
    w.run_for(40000);
    assert!(w.has(0, "+odown") || w.has(1, "+odown"));
    assert!(w.has(0, "-failover-abort-not-elected") || w.has(1, "-failover-abort-not-elected"));
    for s in 0..2 {
        assert!(!w.has(s, "+elected-leader"));
        assert!(!w.has(s, "+switch-master"));
    }
    assert!(w.live_masters().is_empty(), "the replica stays a replica");
}
