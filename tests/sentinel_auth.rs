//! Failover with authentication: data nodes protected by requirepass (auth-pass) and by an ACL
//! user (auth-user + auth-pass); sentinels that protect their own port with requirepass (and
//! use it towards each other, as Redis's legacy fallback does) or with ACL users
//! (sentinel-user + sentinel-pass), in a quorum that includes Debian's redis-sentinel. Both
//! scenarios run with Debian's redis-server and with `vigil server` as the data nodes.

#[macro_use]
mod sentinel_common;

use std::time::Duration;

use sentinel_common::*;

const LONG: Duration = Duration::from_secs(40);

fn failover_with(nodes: Flavor, node_args: &[&str], sentinels_of: &[Flavor], extra: &str) {
    let Group {
        mut master,
        replicas,
        sentinels,
    } = group(nodes, 2, node_args, sentinels_of, 2, extra);
    let refs: Vec<&Proc> = sentinels.iter().collect();
    let old = master.port;
    for p in &refs {
        let m = p.cli(&["SENTINEL", "MASTER", MASTER]);
        assert_eq!(field(&m, "flags").as_deref(), Some("master"), "{m}");
        // Unauthenticated clients are refused.
        assert!(
            cli(p.port, &["PING"]).starts_with("NOAUTH"),
            "sentinel {}",
            p.port
        );
    }
    write_acked(&master, "before", 20, 2);
    master.kill9();
    let reps: Vec<&Proc> = replicas.iter().collect();
    let new = wait_converged(&refs, &reps, old, LONG);
    assert!(has_keys(node_on(&reps, new), "before", 20));
    write_acked(node_on(&reps, new), "after", 20, 1);
    // Both reconfigurations went through (REPLICAOF and CONFIG REWRITE, renamed or not).
    for r in &reps {
        wait_node_conf(r, (r.port != new).then_some(new));
    }
    for p in &refs {
        wait_sentinel_links_ok(p, refs.len() - 1);
    }
    for p in refs.iter().chain(reps.iter()) {
        assert_quiet_stderr(p);
    }
}

/// Also with CONFIG and SLAVEOF renamed on the data nodes (`sentinel rename-command`).
fn auth_pass_with_requirepass_and_protected_sentinels(nodes: Flavor) {
    failover_with(
        nodes,
        &[
            "--requirepass",
            "pw",
            "--masterauth",
            "pw",
            "--rename-command",
            "CONFIG",
            "xconfig",
            "--rename-command",
            "SLAVEOF",
            "xslaveof",
        ],
        &[Flavor::Vigil; 3],
        &format!(
            "sentinel auth-pass {MASTER} pw\nrequirepass spw\n\
             sentinel rename-command {MASTER} CONFIG xconfig\n\
             sentinel rename-command {MASTER} SLAVEOF xslaveof\n"
        ),
    );
}

fn auth_user_with_acl_and_sentinel_acl_users(nodes: Flavor) {
    // Only the ACL users work, on the data nodes and on the sentinels (default user off).
    failover_with(
        nodes,
        &[
            "--user",
            "default",
            "off",
            "--user",
            "mon",
            "on",
            ">pw",
            "~*",
            "&*",
            "+@all",
            "--masteruser",
            "mon",
            "--masterauth",
            "pw",
        ],
        &[Flavor::Vigil, Flavor::Vigil, Flavor::Redis],
        &format!(
            "sentinel auth-user {MASTER} mon\nsentinel auth-pass {MASTER} pw\n\
             user default off\nuser sent on >spw ~* &* +@all\n\
             sentinel sentinel-user sent\nsentinel sentinel-pass spw\n"
        ),
    );
}

fn master_refusing_the_pubsub_link_shows_disconnected_until_auth_pass_is_set(nodes: Flavor) {
    // The master wants a password the sentinel does not have: its SUBSCRIBE gets -NOAUTH, so
    // the pub/sub connection is closed (and retried), as with Redis (tests/sentinel
    // 03-runtime-reconf).
    let master = data_node(nodes, &["--requirepass", "pw"]);
    // Default down-after (30 s) and a quorum one sentinel cannot reach: no SDOWN/failover
    // side effects.
    let body = format!("sentinel monitor {MASTER} 127.0.0.1 {} 2\n", master.port);
    let s = [sentinel(Flavor::Vigil, free_port(), &body)];
    // No hellos can flow, so a silent pub/sub link would be closed after 3 publish periods
    // anyway: make that too late to matter here.
    assert_eq!(
        s[0].cli(&["SENTINEL", "DEBUG", "publish-period", "600000"]),
        "OK"
    );
    let flags =
        |s: &Proc| field(&s.cli(&["SENTINEL", "MASTER", MASTER]), "flags").unwrap_or_default();
    wait_for(LONG, "master flagged disconnected", || {
        flags(&s[0]).contains("disconnected").then_some(())
    });
    assert_eq!(
        s[0].cli(&["SENTINEL", "SET", MASTER, "auth-pass", "pw"]),
        "OK"
    );
    wait_for(LONG, "master connected with the password", || {
        (flags(&s[0]) == "master").then_some(())
    });
    assert_quiet_stderr(&s[0]);
}

data_node_tests!(
    auth_pass_with_requirepass_and_protected_sentinels,
    auth_user_with_acl_and_sentinel_acl_users,
    master_refusing_the_pubsub_link_shows_disconnected_until_auth_pass_is_set,
);
