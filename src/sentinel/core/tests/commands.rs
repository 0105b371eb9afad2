//! SENTINEL subcommands: reply shapes, field order and error strings (checked against Debian's
//! redis-sentinel 7.0.15 where noted).

use super::{Solo, field, items, master_info, pairs, pong, replica_info, text};
use crate::resp::Reply;
use crate::sentinel::proto::Action;

const ID: &str = "0123456789abcdef0123456789abcdef01234567";
const R1: &str = "1111111111111111111111111111111111111111";
const R2: &str = "2222222222222222222222222222222222222222";

fn solo() -> Solo {
    Solo::new(&[&format!("myid {ID}"), "monitor mymaster 127.0.0.1 6379 2"])
}

fn err(r: &Reply) -> String {
    match r {
        Reply::Error(e) => e.clone(),
        other => panic!("not an error: {other:?}"),
    }
}

fn flushed(s: &Solo) -> bool {
    s.log.iter().any(|a| matches!(a, Action::FlushConfig))
}

#[test]
fn arity_and_unknown_subcommand() {
    let mut s = solo();
    assert_eq!(
        err(&s.cmd(&["sentinel"])),
        "ERR wrong number of arguments for 'sentinel' command"
    );
    assert_eq!(
        err(&s.cmd(&["sentinel", "foo"])),
        "ERR unknown subcommand 'foo'. Try SENTINEL HELP."
    );
    for (cmd, name) in [
        (vec!["sentinel", "masters", "x"], "masters"),
        (vec!["sentinel", "MASTER"], "master"),
        (vec!["sentinel", "replicas"], "replicas"),
        (vec!["sentinel", "slaves"], "slaves"),
        (vec!["sentinel", "sentinels"], "sentinels"),
        (vec!["sentinel", "myid", "x"], "myid"),
        (vec!["sentinel", "help", "x"], "help"),
        (vec!["sentinel", "simulate-failure"], "simulate-failure"),
        (vec!["sentinel", "info-cache"], "info-cache"),
        (vec!["sentinel", "set", "mymaster", "quorum"], "set"),
        (vec!["sentinel", "monitor", "a", "b", "c"], "monitor"),
        (
            vec!["sentinel", "is-master-down-by-addr", "a"],
            "is-master-down-by-addr",
        ),
        (vec!["sentinel", "config"], "config"),
        (vec!["sentinel", "reset"], "reset"),
        (vec!["sentinel", "remove"], "remove"),
        (vec!["sentinel", "failover"], "failover"),
        (vec!["sentinel", "ckquorum"], "ckquorum"),
        (
            vec!["sentinel", "get-master-addr-by-name"],
            "get-master-addr-by-name",
        ),
        (vec!["sentinel", "flushconfig", "x"], "flushconfig"),
        (vec!["sentinel", "pending-scripts", "x"], "pending-scripts"),
    ] {
        assert_eq!(
            err(&s.cmd(&cmd)),
            format!("ERR wrong number of arguments for 'sentinel|{name}' command"),
            "{cmd:?}"
        );
    }
}

#[test]
fn help_lists_every_subcommand() {
    let mut s = solo();
    let r = items(&s.cmd(&["sentinel", "help"]));
    assert_eq!(
        text(&r[0]),
        "SENTINEL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    );
    assert_eq!(text(&r[1]), "CKQUORUM <master-name>");
    assert_eq!(
        text(r.last().unwrap_or(&Reply::Null)),
        "    Prints this help."
    );
    assert_eq!(r.len(), 49);
    assert!(r.iter().all(|x| matches!(x, Reply::Status(_))));
}

#[test]
fn master_reply_fields_in_order() {
    let mut s = solo();
    // Connection refused, as with nothing listening.
    s.link_down(6379);
    s.now = 500;
    let r = s.cmd(&["sentinel", "master", "mymaster"]);
    let keys: Vec<String> = pairs(&r).into_iter().map(|(k, _)| k).collect();
    // Same order as redis-sentinel 7.0.15 (a disconnected, never-INFOed master).
    assert_eq!(
        keys,
        [
            "name",
            "ip",
            "port",
            "runid",
            "flags",
            "link-pending-commands",
            "link-refcount",
            "last-ping-sent",
            "last-ok-ping-reply",
            "last-ping-reply",
            "down-after-milliseconds",
            "info-refresh",
            "role-reported",
            "role-reported-time",
            "config-epoch",
            "num-slaves",
            "num-other-sentinels",
            "quorum",
            "failover-timeout",
            "parallel-syncs"
        ]
    );
    // The upstream 11-port-0 test reads num-other-sentinels at index 33 of the flat array.
    assert_eq!(
        keys.iter().position(|k| k == "num-other-sentinels"),
        Some(16)
    );
    assert_eq!(field(&r, "name"), "mymaster");
    assert_eq!(field(&r, "ip"), "127.0.0.1");
    assert_eq!(field(&r, "port"), "6379");
    assert_eq!(field(&r, "runid"), "");
    assert_eq!(field(&r, "flags"), "master,disconnected");
    assert_eq!(field(&r, "link-refcount"), "1");
    assert_eq!(field(&r, "last-ping-sent"), "500");
    assert_eq!(field(&r, "info-refresh"), "0");
    assert_eq!(field(&r, "role-reported"), "master");
    assert_eq!(field(&r, "down-after-milliseconds"), "30000");
    assert_eq!(field(&r, "quorum"), "2");
    assert_eq!(field(&r, "failover-timeout"), "180000");
    assert_eq!(field(&r, "parallel-syncs"), "1");
    // Values are bulk strings, the reply is a map (flat array in RESP2).
    match &r {
        Reply::Map(v) => assert!(
            v.iter()
                .all(|(k, v)| matches!(k, Reply::Bulk(_)) && matches!(v, Reply::Bulk(_)))
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        err(&s.cmd(&["sentinel", "master", "nope"])),
        "ERR No such master with that name"
    );
    let all = items(&s.cmd(&["sentinel", "masters"]));
    assert_eq!(all.len(), 1);
}

#[test]
fn replicas_and_sentinels_replies() {
    let mut s = Solo::new(&[
        &format!("myid {ID}"),
        "monitor mymaster 127.0.0.1 6379 2",
        "known-replica mymaster 127.0.0.1 6380",
        "known-replica mymaster 127.0.0.1 6381",
        "known-sentinel mymaster 127.0.0.1 26380 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    ]);
    s.link_up(None);
    s.answer(6380, "INFO", |_| {
        Reply::Bulk(replica_info(R1, "127.0.0.1", 6379, 10, 77).into())
    });
    s.answer(6381, "INFO", |_| {
        let mut i = replica_info(R2, "127.0.0.1", 6379, 10, 77);
        i = i.replace("replica_announced:1", "replica_announced:0");
        Reply::Bulk(i.into())
    });
    let reps = items(&s.cmd(&["sentinel", "replicas", "mymaster"]));
    // replica_announced:0 hides the replica.
    assert_eq!(reps.len(), 1);
    let r = &reps[0];
    let keys: Vec<String> = pairs(r).into_iter().map(|(k, _)| k).collect();
    assert_eq!(
        keys,
        [
            "name",
            "ip",
            "port",
            "runid",
            "flags",
            "link-pending-commands",
            "link-refcount",
            "last-ping-sent",
            "last-ok-ping-reply",
            "last-ping-reply",
            "down-after-milliseconds",
            "info-refresh",
            "role-reported",
            "role-reported-time",
            "master-link-down-time",
            "master-link-status",
            "master-host",
            "master-port",
            "slave-priority",
            "slave-repl-offset",
            "replica-announced"
        ]
    );
    assert_eq!(field(r, "name"), "127.0.0.1:6380");
    assert_eq!(field(r, "flags"), "slave");
    assert_eq!(field(r, "master-link-status"), "ok");
    assert_eq!(field(r, "master-host"), "127.0.0.1");
    assert_eq!(field(r, "slave-priority"), "10");
    assert_eq!(field(r, "slave-repl-offset"), "77");
    assert_eq!(field(r, "runid"), R1);
    let r = items(&s.cmd(&["sentinel", "slaves", "mymaster"]));
    assert_eq!(r.len(), 1);
    let sents = items(&s.cmd(&["sentinel", "sentinels", "mymaster"]));
    assert_eq!(sents.len(), 1);
    let keys: Vec<String> = pairs(&sents[0]).into_iter().map(|(k, _)| k).collect();
    assert_eq!(
        keys,
        [
            "name",
            "ip",
            "port",
            "runid",
            "flags",
            "link-pending-commands",
            "link-refcount",
            "last-ping-sent",
            "last-ok-ping-reply",
            "last-ping-reply",
            "down-after-milliseconds",
            "last-hello-message",
            "voted-leader",
            "voted-leader-epoch"
        ]
    );
    assert_eq!(field(&sents[0], "flags"), "sentinel");
    assert_eq!(field(&sents[0], "voted-leader"), "?");
    assert_eq!(
        field(&sents[0], "runid"),
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    );
    assert_eq!(
        err(&s.cmd(&["sentinel", "replicas", "x"])),
        "ERR No such master with that name"
    );
    assert_eq!(
        err(&s.cmd(&["sentinel", "sentinels", "x"])),
        "ERR No such master with that name"
    );
}

#[test]
fn get_master_addr_myid_and_failover_errors() {
    let mut s = solo();
    assert_eq!(
        s.cmd(&["sentinel", "get-master-addr-by-name", "mymaster"]),
        Reply::Array(vec![
            Reply::Bulk("127.0.0.1".into()),
            Reply::Bulk("6379".into())
        ])
    );
    assert_eq!(
        s.cmd(&["sentinel", "get-master-addr-by-name", "nope"]),
        Reply::NullArray
    );
    assert_eq!(s.cmd(&["sentinel", "myid"]), Reply::Bulk(ID.into()));
    assert_eq!(
        err(&s.cmd(&["sentinel", "failover", "mymaster"])),
        "NOGOODSLAVE No suitable replica to promote"
    );
    assert_eq!(
        err(&s.cmd(&["sentinel", "failover", "nope"])),
        "ERR No such master with that name"
    );
}

#[test]
fn failover_command_inprog() {
    let mut s = Solo::new(&[
        &format!("myid {ID}"),
        "monitor mymaster 127.0.0.1 6379 2",
        "known-replica mymaster 127.0.0.1 6380",
    ]);
    s.link_up(None);
    s.answer(6379, "PING", pong);
    s.answer(6380, "PING", pong);
    s.answer(6379, "INFO", |_| {
        Reply::Bulk(master_info("m", &[("127.0.0.1", 6380)]).into())
    });
    s.answer(6380, "INFO", |_| {
        Reply::Bulk(replica_info("r", "127.0.0.1", 6379, 100, 5).into())
    });
    assert_eq!(s.cmd(&["sentinel", "failover", "mymaster"]), Reply::Ok);
    assert_eq!(
        err(&s.cmd(&["sentinel", "failover", "mymaster"])),
        "INPROG Failover already in progress"
    );
    let m = s.cmd(&["sentinel", "master", "mymaster"]);
    assert!(field(&m, "flags").contains("failover_in_progress"));
    assert_eq!(field(&m, "config-epoch"), "0");
    let keys: Vec<String> = pairs(&m).into_iter().map(|(k, _)| k).collect();
    assert_eq!(keys[7], "failover-state");
}

#[test]
fn monitor_errors_and_success() {
    let mut s = solo();
    assert_eq!(
        err(&s.cmd(&["sentinel", "monitor", "m2", "127.0.0.1", "x", "2"])),
        "ERR Invalid port"
    );
    assert_eq!(
        err(&s.cmd(&["sentinel", "monitor", "m2", "127.0.0.1", "x", "x"])),
        "ERR Invalid quorum"
    );
    assert_eq!(
        err(&s.cmd(&["sentinel", "monitor", "m2", "127.0.0.1", "7000", "0"])),
        "ERR Quorum must be 1 or greater."
    );
    assert_eq!(
        err(&s.cmd(&["sentinel", "monitor", "m2", "localhost", "7000", "1"])),
        "ERR Invalid IP address or hostname specified"
    );
    assert_eq!(
        err(&s.cmd(&["sentinel", "monitor", "mymaster", "127.0.0.1", "7000", "1"])),
        "ERR Duplicate master name."
    );
    assert_eq!(
        err(&s.cmd(&["sentinel", "monitor", "m2", "127.0.0.1", "70000", "1"])),
        "ERR Invalid port number."
    );
    assert_eq!(
        err(&s.cmd(&["sentinel", "monitor", "m2", "127.0.0.1", "-1", "1"])),
        "ERR Invalid port number."
    );
    assert!(!flushed(&s));
    s.clear();
    assert_eq!(
        s.cmd(&["sentinel", "monitor", "m2", "::1", "7000", "3"]),
        Reply::Ok
    );
    assert!(flushed(&s));
    assert!(
        s.events()
            .contains(&("+monitor".into(), "master m2 ::1 7000 quorum 3".into()))
    );
    assert_eq!(s.core.master_names(), ["mymaster", "m2"]);
    // resolve-hostnames allows names.
    s.cmd(&["sentinel", "config", "set", "resolve-hostnames", "yes"]);
    assert_eq!(
        s.cmd(&["sentinel", "monitor", "m3", "db.example", "7000", "1"]),
        Reply::Ok
    );
}

#[test]
fn remove_and_reset() {
    let mut s = Solo::new(&[
        &format!("myid {ID}"),
        "monitor m1 127.0.0.1 6379 2",
        "monitor m2 127.0.0.1 6479 2",
        "monitor other 127.0.0.1 6579 2",
        "known-replica m1 127.0.0.1 6380",
    ]);
    s.clear();
    assert_eq!(s.cmd(&["sentinel", "reset", "m*"]), Reply::Int(2));
    let ev = s.events();
    assert_eq!(
        ev[0],
        ("+reset-master".into(), "master m1 127.0.0.1 6379".into())
    );
    assert_eq!(
        ev[1],
        ("+reset-master".into(), "master m2 127.0.0.1 6479".into())
    );
    assert_eq!(
        field(&s.cmd(&["sentinel", "master", "m1"]), "num-slaves"),
        "0"
    );
    assert_eq!(s.cmd(&["sentinel", "reset", "zzz"]), Reply::Int(0));
    s.clear();
    assert_eq!(s.cmd(&["sentinel", "remove", "m2"]), Reply::Ok);
    assert!(flushed(&s));
    assert_eq!(
        s.events()[0],
        ("-monitor".into(), "master m2 127.0.0.1 6479".into())
    );
    assert_eq!(
        err(&s.cmd(&["sentinel", "remove", "m2"])),
        "ERR No such master with that name"
    );
    assert_eq!(s.core.master_names(), ["m1", "other"]);
}

#[test]
fn ckquorum_replies() {
    let mut s = solo();
    // Observed on 7.0.15 with no other sentinel and quorum 2.
    assert_eq!(
        err(&s.cmd(&["sentinel", "ckquorum", "mymaster"])),
        "NOQUORUM 1 usable Sentinels. Not enough available Sentinels to reach the specified quorum for this master"
    );
    let mut s = Solo::new(&[
        &format!("myid {ID}"),
        "monitor mymaster 127.0.0.1 6379 2",
        "known-sentinel mymaster 127.0.0.1 26380 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "known-sentinel mymaster 127.0.0.1 26381 bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
    ]);
    assert_eq!(
        s.cmd(&["sentinel", "ckquorum", "mymaster"]),
        Reply::Status(
            "OK 3 usable Sentinels. Quorum and failover authorization can be reached".into()
        )
    );
    // Both sentinels unreachable for long enough: SDOWN → not usable.
    s.run(31000, 100);
    assert_eq!(
        err(&s.cmd(&["sentinel", "ckquorum", "mymaster"])),
        "NOQUORUM 1 usable Sentinels. Not enough available Sentinels to reach the specified quorum for this master. Not enough available Sentinels to reach the majority and authorize a failover"
    );
    let mut s = Solo::new(&[
        &format!("myid {ID}"),
        "monitor mymaster 127.0.0.1 6379 1",
        "known-sentinel mymaster 127.0.0.1 26380 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "known-sentinel mymaster 127.0.0.1 26381 bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
    ]);
    s.run(31000, 100);
    assert_eq!(
        err(&s.cmd(&["sentinel", "ckquorum", "mymaster"])),
        "NOQUORUM 1 usable Sentinels. Not enough available Sentinels to reach the majority and authorize a failover"
    );
}

#[test]
fn set_options_events_and_errors() {
    let mut s = solo();
    s.clear();
    assert_eq!(
        s.cmd(&[
            "sentinel",
            "set",
            "mymaster",
            "auth-pass",
            "secret",
            "down-after-milliseconds",
            "5000"
        ]),
        Reply::Ok
    );
    assert!(flushed(&s));
    let ev = s.events();
    assert_eq!(
        ev[0],
        (
            "+set".into(),
            "master mymaster 127.0.0.1 6379 auth-pass ******".into()
        )
    );
    assert_eq!(
        ev[1],
        (
            "+set".into(),
            "master mymaster 127.0.0.1 6379 down-after-milliseconds 5000".into()
        )
    );
    s.clear();
    assert_eq!(
        s.cmd(&[
            "sentinel",
            "set",
            "mymaster",
            "rename-command",
            "CONFIG",
            "GUESS"
        ]),
        Reply::Ok
    );
    assert_eq!(
        s.events()[0].1,
        "master mymaster 127.0.0.1 6379 rename-command CONFIG GUESS"
    );
    let lines = s.core.config_lines();
    assert!(lines.contains(&vec![
        "rename-command".to_string(),
        "mymaster".into(),
        "CONFIG".into(),
        "GUESS".into()
    ]));
    assert!(lines.contains(&vec![
        "auth-pass".to_string(),
        "mymaster".into(),
        "secret".into()
    ]));
    assert_eq!(
        err(&s.cmd(&["sentinel", "set", "mymaster", "foo", "1"])),
        "ERR Unknown option or number of arguments for SENTINEL SET 'foo'"
    );
    assert_eq!(
        err(&s.cmd(&["sentinel", "set", "mymaster", "quorum", "0"])),
        "ERR Invalid argument '0' for SENTINEL SET 'quorum'"
    );
    assert_eq!(
        err(&s.cmd(&[
            "sentinel",
            "set",
            "mymaster",
            "down-after-milliseconds",
            "-20"
        ])),
        "ERR Invalid argument '-20' for SENTINEL SET 'down-after-milliseconds'"
    );
    assert_eq!(
        err(&s.cmd(&["sentinel", "set", "nope", "quorum", "1"])),
        "ERR No such master with that name"
    );
    assert_eq!(
        err(&s.cmd(&[
            "sentinel",
            "set",
            "mymaster",
            "notification-script",
            "/bin/true"
        ])),
        "ERR Reconfiguration of scripts path is denied for security reasons. Check the deny-scripts-reconfig configuration directive in your Sentinel configuration"
    );
    // Earlier pairs stay applied (and flushed) when a later one fails.
    s.clear();
    assert_eq!(
        err(&s.cmd(&[
            "sentinel",
            "set",
            "mymaster",
            "failover-timeout",
            "1234",
            "quorum",
            "x"
        ])),
        "ERR Invalid argument 'x' for SENTINEL SET 'quorum'"
    );
    assert!(flushed(&s));
    assert_eq!(
        field(
            &s.cmd(&["sentinel", "master", "mymaster"]),
            "failover-timeout"
        ),
        "1234"
    );
    // Scripts once allowed.
    let mut s = Solo::new(&[
        &format!("myid {ID}"),
        "monitor mymaster 127.0.0.1 6379 2",
        "deny-scripts-reconfig no",
    ]);
    assert_eq!(
        err(&s.cmd(&[
            "sentinel",
            "set",
            "mymaster",
            "notification-script",
            "/nonexistent/x"
        ])),
        "ERR Notification script seems non existing or non executable"
    );
    assert_eq!(
        err(&s.cmd(&[
            "sentinel",
            "set",
            "mymaster",
            "client-reconfig-script",
            "/nonexistent/x"
        ])),
        "ERR Client reconfiguration script seems non existing or non executable"
    );
    assert_eq!(
        s.cmd(&[
            "sentinel",
            "set",
            "mymaster",
            "notification-script",
            "/bin/sh"
        ]),
        Reply::Ok
    );
    let m = s.cmd(&["sentinel", "master", "mymaster"]);
    assert_eq!(field(&m, "notification-script"), "/bin/sh");
    assert_eq!(
        s.cmd(&["sentinel", "set", "mymaster", "notification-script", ""]),
        Reply::Ok
    );
    let m = s.cmd(&["sentinel", "master", "mymaster"]);
    assert!(pairs(&m).iter().all(|(k, _)| k != "notification-script"));
    assert_eq!(
        s.cmd(&[
            "sentinel",
            "set",
            "mymaster",
            "master-reboot-down-after-period",
            "0",
            "parallel-syncs",
            "3",
            "quorum",
            "1",
            "auth-user",
            "bob"
        ]),
        Reply::Ok
    );
    assert_eq!(
        err(&s.cmd(&["sentinel", "set", "mymaster", "rename-command", "", "X"])),
        "ERR Invalid argument '' for SENTINEL SET 'rename-command'"
    );
    let m = s.cmd(&["sentinel", "master", "mymaster"]);
    assert_eq!(field(&m, "parallel-syncs"), "3");
    assert_eq!(field(&m, "quorum"), "1");
}

#[test]
fn set_auth_drops_links() {
    let mut s = Solo::new(&[
        &format!("myid {ID}"),
        "monitor mymaster 127.0.0.1 6379 2",
        "known-replica mymaster 127.0.0.1 6380",
    ]);
    s.link_up(None);
    s.clear();
    s.cmd(&[
        "sentinel",
        "set",
        "mymaster",
        "auth-user",
        "u",
        "auth-pass",
        "p",
    ]);
    let closes = s
        .log
        .iter()
        .filter(|a| matches!(a, Action::Close { .. }))
        .count();
    assert_eq!(closes, 4);
    // Reconnection carries the new credentials.
    s.clear();
    s.run(1100, 100);
    let auth: Vec<_> = s
        .log
        .iter()
        .filter_map(|a| match a {
            Action::Connect { auth, .. } => auth.clone(),
            _ => None,
        })
        .collect();
    assert_eq!(auth.len(), 4);
    assert!(
        auth.iter()
            .all(|c| c.user.as_deref() == Some("u") && c.pass == "p")
    );
}

#[test]
fn config_get_set() {
    let mut s = solo();
    // Observed on 7.0.15.
    let all = pairs(&s.cmd(&["sentinel", "config", "get", "*"]));
    assert_eq!(
        all,
        [
            ("resolve-hostnames".to_string(), "no".to_string()),
            ("announce-hostnames".into(), "no".into()),
            ("announce-ip".into(), "".into()),
            ("announce-port".into(), "0".into()),
            ("sentinel-user".into(), "".into()),
            ("sentinel-pass".into(), "".into())
        ]
    );
    assert_eq!(
        pairs(&s.cmd(&["sentinel", "config", "get", "ANNOUNCE-*"])).len(),
        3
    );
    assert_eq!(
        err(&s.cmd(&["sentinel", "config", "set", "foo", "bar"])),
        "ERR Invalid argument 'foo' to SENTINEL CONFIG SET"
    );
    assert_eq!(
        err(&s.cmd(&["sentinel", "config", "set", "announce-port", "99999"])),
        "ERR Invalid value '99999' to SENTINEL CONFIG SET 'announce-port'"
    );
    assert_eq!(
        err(&s.cmd(&["sentinel", "config", "set", "resolve-hostnames", "maybe"])),
        "ERR Invalid value 'maybe' to SENTINEL CONFIG SET 'resolve-hostnames'"
    );
    assert_eq!(
        err(&s.cmd(&["sentinel", "config", "foo"])),
        "ERR Only SENTINEL CONFIG GET <option> / SET <option> <value> are supported."
    );
    assert_eq!(
        err(&s.cmd(&["sentinel", "config", "get", "a", "b"])),
        "ERR Only SENTINEL CONFIG GET <option> / SET <option> <value> are supported."
    );
    s.clear();
    assert_eq!(
        s.cmd(&["sentinel", "config", "set", "announce-ip", "10.9.9.9"]),
        Reply::Ok
    );
    assert!(flushed(&s));
    assert_eq!(
        s.cmd(&["sentinel", "config", "set", "announce-port", "1234"]),
        Reply::Ok
    );
    assert_eq!(
        s.cmd(&["sentinel", "config", "set", "sentinel-pass", "pw"]),
        Reply::Ok
    );
    let all = pairs(&s.cmd(&["sentinel", "config", "get", "*"]));
    assert_eq!(all[2].1, "10.9.9.9");
    assert_eq!(all[3].1, "1234");
    assert_eq!(all[5].1, "pw");
    let lines = s.core.config_lines();
    assert!(lines.contains(&vec!["announce-ip".to_string(), "10.9.9.9".into()]));
    assert!(lines.contains(&vec!["announce-port".to_string(), "1234".into()]));
    assert!(lines.contains(&vec!["sentinel-pass".to_string(), "pw".into()]));
}

#[test]
fn debug_tunables() {
    let mut s = solo();
    // Observed on 7.0.15.
    let all = pairs(&s.cmd(&["sentinel", "debug"]));
    let want = [
        ("INFO-PERIOD", "10000"),
        ("PING-PERIOD", "1000"),
        ("ASK-PERIOD", "1000"),
        ("PUBLISH-PERIOD", "2000"),
        ("DEFAULT-DOWN-AFTER", "30000"),
        ("DEFAULT-FAILOVER-TIMEOUT", "180000"),
        ("TILT-TRIGGER", "2000"),
        ("TILT-PERIOD", "30000"),
        ("SLAVE-RECONF-TIMEOUT", "10000"),
        ("MIN-LINK-RECONNECT-PERIOD", "15000"),
        ("ELECTION-TIMEOUT", "10000"),
        ("SCRIPT-MAX-RUNTIME", "60000"),
        ("SCRIPT-RETRY-DELAY", "30000"),
    ];
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(all, want);
    assert_eq!(
        err(&s.cmd(&["sentinel", "debug", "info-period", "0"])),
        "ERR Invalid argument '0' for SENTINEL DEBUG 'info-period'"
    );
    assert_eq!(
        err(&s.cmd(&["sentinel", "debug", "foo"])),
        "ERR Unknown option or number of arguments for SENTINEL DEBUG 'foo'"
    );
    assert_eq!(
        err(&s.cmd(&["sentinel", "debug", "info-period"])),
        "ERR Unknown option or number of arguments for SENTINEL DEBUG 'info-period'"
    );
    assert_eq!(
        s.cmd(&[
            "sentinel",
            "debug",
            "INFO-PERIOD",
            "100",
            "ping-period",
            "200",
            "script-retry-delay",
            "5"
        ]),
        Reply::Ok
    );
    let t = s.core.tunables();
    assert_eq!(
        (t.info_period, t.ping_period, t.script_retry_delay),
        (100, 200, 5)
    );
    // New masters take the default down-after / failover-timeout knobs.
    s.cmd(&[
        "sentinel",
        "debug",
        "default-down-after",
        "1500",
        "default-failover-timeout",
        "7000",
    ]);
    s.cmd(&["sentinel", "monitor", "m2", "127.0.0.1", "7000", "1"]);
    let m = s.cmd(&["sentinel", "master", "m2"]);
    assert_eq!(field(&m, "down-after-milliseconds"), "1500");
    assert_eq!(field(&m, "failover-timeout"), "7000");
}

#[test]
fn simulate_failure_and_info_cache() {
    let mut s = solo();
    assert_eq!(
        s.cmd(&["sentinel", "simulate-failure", "help"]),
        Reply::Array(vec![
            Reply::Bulk("crash-after-election".into()),
            Reply::Bulk("crash-after-promotion".into())
        ])
    );
    assert_eq!(
        err(&s.cmd(&["sentinel", "simulate-failure", "bogus"])),
        "ERR Unknown failure simulation specified"
    );
    assert_eq!(
        s.cmd(&[
            "sentinel",
            "simulate-failure",
            "crash-after-election",
            "CRASH-AFTER-PROMOTION"
        ]),
        Reply::Ok
    );
    assert!(
        s.core
            .info_section(0, 0, super::at(0))
            .contains("sentinel_simulate_failure_flags:3\r\n")
    );
    // INFO-CACHE: unknown names ignored, duplicates once, null before any INFO.
    // Observed on 7.0.15: ["mymaster", [[0, nil]]].
    assert_eq!(
        s.cmd(&["sentinel", "info-cache", "mymaster", "nope", "mymaster"]),
        Reply::Array(vec![
            Reply::Bulk("mymaster".into()),
            Reply::Array(vec![Reply::Array(vec![Reply::Int(0), Reply::Null])])
        ])
    );
    s.link_up(None);
    s.answer(6379, "INFO", |_| Reply::Bulk(master_info("m", &[]).into()));
    s.now += 250;
    let r = items(&s.cmd(&["sentinel", "info-cache", "mymaster"]));
    let inner = items(&items(&r[1])[0]);
    assert_eq!(inner[0], Reply::Int(250));
    assert!(text(&inner[1]).contains("role:master"));
}

#[test]
fn is_master_down_by_addr_and_votes() {
    let mut s = solo();
    // Observed on 7.0.15.
    assert_eq!(
        err(&s.cmd(&[
            "sentinel",
            "is-master-down-by-addr",
            "127.0.0.1",
            "x",
            "0",
            "*"
        ])),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(
        err(&s.cmd(&[
            "sentinel",
            "is-master-down-by-addr",
            "127.0.0.1",
            "6379",
            "x",
            "*"
        ])),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(
        s.cmd(&[
            "sentinel",
            "is-master-down-by-addr",
            "127.0.0.1",
            "6379",
            "0",
            "*"
        ]),
        Reply::Array(vec![Reply::Int(0), Reply::Bulk("*".into()), Reply::Int(0)])
    );
    s.clear();
    let vote = |s: &mut Solo, epoch: &str, runid: &str| {
        s.cmd(&[
            "sentinel",
            "is-master-down-by-addr",
            "127.0.0.1",
            "6379",
            epoch,
            runid,
        ])
    };
    assert_eq!(
        vote(&mut s, "5", "abcdef"),
        Reply::Array(vec![
            Reply::Int(0),
            Reply::Bulk("abcdef".into()),
            Reply::Int(5)
        ])
    );
    assert!(flushed(&s));
    assert_eq!(
        s.events(),
        [
            ("+new-epoch".to_string(), "5".to_string()),
            ("+vote-for-leader".into(), "abcdef 5".into())
        ]
    );
    // One vote per epoch.
    assert_eq!(
        vote(&mut s, "5", "zzz"),
        Reply::Array(vec![
            Reply::Int(0),
            Reply::Bulk("abcdef".into()),
            Reply::Int(5)
        ])
    );
    assert_eq!(
        vote(&mut s, "3", "zzz"),
        Reply::Array(vec![
            Reply::Int(0),
            Reply::Bulk("abcdef".into()),
            Reply::Int(5)
        ])
    );
    assert_eq!(
        vote(&mut s, "6", "zzz"),
        Reply::Array(vec![
            Reply::Int(0),
            Reply::Bulk("zzz".into()),
            Reply::Int(6)
        ])
    );
    assert_eq!(s.core.current_epoch(), 6);
    // Unknown address: no vote, not down.
    assert_eq!(
        s.cmd(&[
            "sentinel",
            "is-master-down-by-addr",
            "127.0.0.2",
            "6379",
            "9",
            "x"
        ]),
        Reply::Array(vec![Reply::Int(0), Reply::Bulk("*".into()), Reply::Int(0)])
    );
    let lines = s.core.config_lines();
    assert!(lines.contains(&vec![
        "leader-epoch".to_string(),
        "mymaster".into(),
        "6".into()
    ]));
    assert!(lines.contains(&vec!["current-epoch".to_string(), "6".into()]));
    // Down once SDOWN (30 s default down-after, never reachable).
    s.run(30200, 100);
    assert_eq!(items(&vote(&mut s, "6", "*"))[0], Reply::Int(1));
}

#[test]
fn info_section_format() {
    let mut s = Solo::new(&[
        &format!("myid {ID}"),
        "monitor m1 127.0.0.1 6379 2",
        "monitor m2 ::1 6479 2",
        "known-replica m1 127.0.0.1 6380",
        "down-after-milliseconds m2 1000",
    ]);
    s.run(1500, 100);
    let info = s.core.info_section(2, 5, super::at(s.now));
    assert_eq!(
        info,
        "# Sentinel\r\nsentinel_masters:2\r\nsentinel_tilt:0\r\nsentinel_tilt_since_seconds:-1\r\n\
         sentinel_running_scripts:2\r\nsentinel_scripts_queue_length:5\r\n\
         sentinel_simulate_failure_flags:0\r\n\
         master0:name=m1,status=ok,address=127.0.0.1:6379,slaves=1,sentinels=1\r\n\
         master1:name=m2,status=sdown,address=::1:6479,slaves=0,sentinels=1\r\n"
    );
}

#[test]
fn flushconfig_and_pending_scripts_fallbacks() {
    let mut s = solo();
    s.clear();
    assert_eq!(s.cmd(&["sentinel", "flushconfig"]), Reply::Ok);
    assert!(flushed(&s));
    assert_eq!(
        s.cmd(&["sentinel", "pending-scripts"]),
        Reply::Array(vec![])
    );
}

#[test]
fn extreme_values_do_not_panic() {
    let mut s = Solo::new(&[
        &format!("myid {ID}"),
        "monitor mymaster 127.0.0.1 6379 1",
        "known-replica mymaster 127.0.0.1 6380",
    ]);
    let max = i64::MAX.to_string();
    for opt in [
        "down-after-milliseconds",
        "failover-timeout",
        "parallel-syncs",
        "quorum",
        "master-reboot-down-after-period",
    ] {
        assert_eq!(
            s.cmd(&["sentinel", "set", "mymaster", opt, &max]),
            Reply::Ok
        );
    }
    let mut dbg = vec!["sentinel".to_string(), "debug".to_string()];
    for (k, _) in s.core.tunables().list() {
        dbg.push(k.to_ascii_lowercase());
        dbg.push(max.clone());
    }
    let refs: Vec<&str> = dbg.iter().map(String::as_str).collect();
    assert_eq!(s.cmd(&refs), Reply::Ok);
    let hello = format!(
        "127.0.0.1,26380,{},18446744073709551615,mymaster,127.0.0.1,6379,18446744073709551615",
        "a".repeat(40)
    );
    let a = s.core.hello_from_client(hello.as_bytes(), super::at(0));
    s.absorb(a);
    s.link_up(None);
    s.run(5000, 100);
    s.link_down(6379);
    s.run(5000, 100);
    assert_eq!(s.core.current_epoch(), u64::MAX);
    let _ = s.cmd(&["sentinel", "failover", "mymaster"]);
    s.run(1000, 100);
    let _ = s.cmd(&["sentinel", "master", "mymaster"]);
    let _ = s.cmd(&[
        "sentinel",
        "is-master-down-by-addr",
        "127.0.0.1",
        "6379",
        "-1",
        "x",
    ]);
    let _ = s.cmd(&[
        "sentinel",
        "is-master-down-by-addr",
        "127.0.0.1",
        &max,
        &max,
        "x",
    ]);
}

#[test]
fn set_trailing_option_without_value_and_event_case() {
    // Observed on 7.0.15: the first pair is applied (and flushed), then the error.
    let mut s = solo();
    s.clear();
    assert_eq!(
        err(&s.cmd(&[
            "sentinel",
            "set",
            "mymaster",
            "quorum",
            "5",
            "failover-timeout"
        ])),
        "ERR Unknown option or number of arguments for SENTINEL SET 'failover-timeout'"
    );
    assert!(flushed(&s));
    assert_eq!(
        field(&s.cmd(&["sentinel", "master", "mymaster"]), "quorum"),
        "5"
    );
    s.clear();
    assert_eq!(
        s.cmd(&["sentinel", "set", "mymaster", "AUTH-PASS", "x"]),
        Reply::Ok
    );
    assert_eq!(
        s.events()[0].1,
        "master mymaster 127.0.0.1 6379 AUTH-PASS ******"
    );
    assert_eq!(
        err(&s.cmd(&[
            "sentinel",
            "set",
            "mymaster",
            "rename-command",
            "CONFIG",
            ""
        ])),
        "ERR Invalid argument '' for SENTINEL SET 'rename-command'"
    );
    assert_eq!(
        err(&s.cmd(&["sentinel", "debug", "info-period", "100", "foo"])),
        "ERR Unknown option or number of arguments for SENTINEL DEBUG 'foo'"
    );
    assert_eq!(s.core.tunables().info_period, 100);
}

#[test]
fn hostnames_are_reported_as_the_ip_connected_to_without_announce_hostnames() {
    let mut s = Solo::new(&[
        &format!("myid {ID}"),
        "resolve-hostnames yes",
        "announce-hostnames yes",
        "monitor mymaster localhost 6379 2",
    ]);
    let addr = |s: &mut Solo| {
        text(&items(&s.cmd(&["sentinel", "get-master-addr-by-name", "mymaster"]))[0])
    };
    let replica_ip = |s: &mut Solo| {
        field(
            &items(&s.cmd(&["sentinel", "replicas", "mymaster"]))[0],
            "ip",
        )
    };
    s.cmd(&["sentinel", "config", "set", "announce-hostnames", "no"]);
    // Not connected yet: nothing resolved, the hostname is all we have.
    assert_eq!(addr(&mut s), "localhost");
    s.cmd(&["sentinel", "config", "set", "announce-hostnames", "yes"]);
    s.link_up(None);
    s.answer(6379, "INFO", |_| {
        Reply::Bulk(master_info(R1, &[("localhost", 6380)]).into())
    });
    s.run(200, 100);
    s.link_up(None);
    assert_eq!(addr(&mut s), "localhost");
    assert_eq!(replica_ip(&mut s), "localhost");
    s.cmd(&["sentinel", "config", "set", "announce-hostnames", "no"]);
    assert_eq!(addr(&mut s), "127.0.0.1");
    assert_eq!(replica_ip(&mut s), "127.0.0.1");
    let info = s.core.info_section(0, 0, super::at(s.now));
    assert!(info.contains("address=127.0.0.1:6379"), "{info}");
    // The hostname still identifies the instances (config file, replica names).
    let conf: Vec<String> = s.core.config_lines().iter().map(|l| l.join(" ")).collect();
    let conf = conf.join("\n");
    assert!(conf.contains("monitor mymaster localhost 6379"), "{conf}");
    assert!(
        conf.contains("known-replica mymaster localhost 6380"),
        "{conf}"
    );
    assert_eq!(
        field(
            &items(&s.cmd(&["sentinel", "replicas", "mymaster"]))[0],
            "name"
        ),
        "localhost:6380"
    );
}
