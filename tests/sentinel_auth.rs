//! Failover with authentication: data nodes protected by requirepass (auth-pass) and by an ACL
//! user (auth-user + auth-pass), and sentinels that protect their own port with requirepass
//! (and use it towards each other, as Redis's legacy fallback does).

mod sentinel_common;

use std::time::Duration;

use sentinel_common::*;

const LONG: Duration = Duration::from_secs(40);

fn failover_with(node_args: &[&str], sentinel_extra: &str) {
    let (mut master, replicas) = data_nodes(2, node_args);
    let old = master.port;
    let body = format!("{}{sentinel_extra}", monitor_lines(old, 2));
    let s = sentinels(&[Flavor::Vigil, Flavor::Vigil, Flavor::Vigil], &body);
    let refs: Vec<&Proc> = s.iter().collect();
    wait_discovery(&refs, 2);
    for p in &refs {
        let m = p.cli(&["SENTINEL", "MASTER", MASTER]);
        assert_eq!(field(&m, "flags").as_deref(), Some("master"), "{m}");
    }
    master.kill9();
    let new = wait_new_master(&refs, old, LONG);
    for r in replicas.iter().filter(|r| r.port != new) {
        wait_replica_of(r, new, LONG);
    }
    for p in &refs {
        assert_quiet_stderr(p);
    }
}

#[test]
fn auth_pass_with_requirepass() {
    failover_with(
        &["--requirepass", "pw", "--masterauth", "pw"],
        &format!("sentinel auth-pass {MASTER} pw\n"),
    );
}

#[test]
fn auth_user_with_acl_and_protected_sentinels() {
    // Only the ACL user works on the data nodes (the default user is off).
    failover_with(
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
        &format!(
            "sentinel auth-user {MASTER} mon\nsentinel auth-pass {MASTER} pw\nrequirepass spw\n"
        ),
    );
}

#[test]
fn master_refusing_the_pubsub_link_shows_disconnected_until_auth_pass_is_set() {
    // The master wants a password the sentinel does not have: its SUBSCRIBE gets -NOAUTH, so
    // the pub/sub connection is closed (and retried), as with Redis (tests/sentinel
    // 03-runtime-reconf).
    let (master, _) = data_nodes(0, &["--requirepass", "pw"]);
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
