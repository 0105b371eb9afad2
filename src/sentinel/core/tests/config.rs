//! Configuration: Redis's three loading passes, errors, startup actions and the
//! config_lines → from_config round trip.

use super::{Solo, at, field, lines, master_info, pong, replica_info};
use crate::resp::Reply;
use crate::sentinel::core::{CoreOptions, SentinelCore};
use crate::sentinel::proto::{Action, Credentials, LinkKind};

const ID: &str = "0123456789abcdef0123456789abcdef01234567";

fn load(text: &[&str]) -> Result<(SentinelCore, Vec<Action>), String> {
    SentinelCore::from_config(
        &lines(text),
        CoreOptions {
            port: 26379,
            requirepass: Some("legacy".into()),
        },
        at(0),
    )
}

fn load_ok(text: &[&str]) -> (SentinelCore, Vec<Action>) {
    match load(text) {
        Ok(x) => x,
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn three_passes_regardless_of_file_order() {
    let (core, _) = load_ok(&[
        "known-replica m 127.0.0.1 6380",
        "down-after-milliseconds m 5000",
        "config-epoch m 3",
        "MONITOR m 127.0.0.1 6379 2",
        "current-epoch 7",
        &format!("myid {ID}"),
    ]);
    assert_eq!(core.myid(), ID);
    assert_eq!(core.current_epoch(), 7);
    assert_eq!(core.master_names(), ["m"]);
    let l = core.config_lines();
    assert!(l.contains(&vec![
        "down-after-milliseconds".into(),
        "m".into(),
        "5000".into()
    ]));
    assert!(l.contains(&vec![
        "known-replica".into(),
        "m".into(),
        "127.0.0.1".into(),
        "6380".into()
    ]));
    assert!(l.contains(&vec!["config-epoch".into(), "m".into(), "3".into()]));
}

#[test]
fn config_errors_name_location_and_problem() {
    let cases: [(&[&str], &str); 16] = [
        (
            &["monitor m 127.0.0.1 6379 0"],
            "sentinel.conf:1: Quorum must be 1 or greater.",
        ),
        (
            &["monitor m 127.0.0.1 6379 1", "monitor m 127.0.0.1 6380 1"],
            "sentinel.conf:2: Duplicate master name.",
        ),
        (
            &["monitor m db.example 6379 1"],
            "sentinel.conf:1: Can't resolve instance hostname.",
        ),
        (
            &["monitor m 127.0.0.1 70000 1"],
            "sentinel.conf:1: Invalid port number.",
        ),
        (
            &["down-after-milliseconds m 100"],
            "sentinel.conf:1: No such master with specified name.",
        ),
        (
            &["monitor m 127.0.0.1 6379 1", "down-after-milliseconds m 0"],
            "sentinel.conf:2: negative or zero time parameter.",
        ),
        (
            &["monitor m 127.0.0.1 6379 1", "failover-timeout m -5"],
            "sentinel.conf:2: negative or zero time parameter.",
        ),
        (
            &[
                "monitor m 127.0.0.1 6379 1",
                "master-reboot-down-after-period m -1",
            ],
            "sentinel.conf:2: negative time parameter.",
        ),
        (
            &["myid abc"],
            "sentinel.conf:1: Malformed Sentinel id in myid option.",
        ),
        (
            &["deny-scripts-reconfig maybe"],
            "sentinel.conf:1: Please specify yes or no for the deny-scripts-reconfig options.",
        ),
        (
            &["resolve-hostnames 1"],
            "sentinel.conf:1: Please specify yes or no for the resolve-hostnames option.",
        ),
        (
            &["announce-hostnames x"],
            "sentinel.conf:1: Please specify yes or no for the announce-hostnames option.",
        ),
        (
            &["frobnicate"],
            "sentinel.conf:1: Unrecognized sentinel configuration statement.",
        ),
        (
            &["monitor m 127.0.0.1 6379"],
            "sentinel.conf:1: Unrecognized sentinel configuration statement.",
        ),
        (
            &[
                "monitor m 127.0.0.1 6379 1",
                "rename-command m CONFIG X",
                "rename-command m config Y",
            ],
            "sentinel.conf:3: Same command renamed multiple times with rename-command.",
        ),
        (
            &[
                "monitor m 127.0.0.1 6379 1",
                "notification-script m /nonexistent/script.sh",
            ],
            "sentinel.conf:2: Notification script seems non existing or non executable.",
        ),
    ];
    for (text, want) in cases {
        match load(text) {
            Err(e) => assert_eq!(e, want),
            Ok(_) => panic!("{text:?} should fail"),
        }
    }
    // Duplicates of replicas and sentinels.
    let e = load(&[
        "monitor m 127.0.0.1 6379 1",
        "known-replica m 127.0.0.1 6380",
        "known-slave m 127.0.0.1 6380",
    ]);
    assert_eq!(
        e.err().as_deref(),
        Some("sentinel.conf:3: Duplicate hostname and port for replica.")
    );
    let e = load(&[
        "monitor m 127.0.0.1 6379 1",
        "known-sentinel m 127.0.0.1 26380 aaaa",
        "known-sentinel m 127.0.0.2 26380 aaaa",
    ]);
    assert_eq!(
        e.err().as_deref(),
        Some("sentinel.conf:3: Duplicate runid for sentinel.")
    );
    // The old 4-argument known-sentinel form is ignored.
    assert!(
        load(&[
            "monitor m 127.0.0.1 6379 1",
            "known-sentinel m 127.0.0.1 26380"
        ])
        .is_ok()
    );
    // Hostnames accepted with resolve-hostnames (applied in the first pass).
    assert!(load(&["monitor m db.example 6379 1", "resolve-hostnames yes"]).is_ok());
}

#[test]
fn generated_myid_is_flushed() {
    let (core, actions) = load_ok(&["monitor m 127.0.0.1 6379 1"]);
    assert_eq!(core.myid().len(), 40);
    assert!(core.myid().bytes().all(|b| b.is_ascii_hexdigit()));
    assert!(actions.iter().any(|a| matches!(a, Action::FlushConfig)));
    let (_, actions) = load_ok(&[&format!("myid {ID}"), "monitor m 127.0.0.1 6379 1"]);
    assert!(!actions.iter().any(|a| matches!(a, Action::FlushConfig)));
}

#[test]
fn startup_actions() {
    let (_, actions) = load_ok(&[
        &format!("myid {ID}"),
        "monitor m 127.0.0.1 6379 2",
        "auth-pass m secret",
        "auth-user m bob",
        "rename-command m CONFIG GUESSME",
        "known-replica m 127.0.0.1 6380",
        "known-sentinel m 127.0.0.1 26380 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "monitor n 127.0.0.1 7379 1",
    ]);
    let events: Vec<(String, String)> = actions
        .iter()
        .filter_map(|a| match a {
            Action::Event(e) => Some((e.kind.clone(), e.message.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        events,
        [
            (
                "+monitor".to_string(),
                "master m 127.0.0.1 6379 quorum 2".to_string()
            ),
            ("+monitor".into(), "master n 127.0.0.1 7379 quorum 1".into())
        ]
    );
    let connects: Vec<(u16, LinkKind, Option<Credentials>, String, usize)> = actions
        .iter()
        .filter_map(|a| match a {
            Action::Connect {
                kind,
                addr,
                auth,
                client_name,
                renames,
                ..
            } => Some((
                addr.port,
                *kind,
                auth.clone(),
                client_name.clone(),
                renames.len(),
            )),
            _ => None,
        })
        .collect();
    let bob = Some(Credentials {
        user: Some("bob".into()),
        pass: "secret".into(),
    });
    let legacy = Some(Credentials {
        user: None,
        pass: "legacy".into(),
    });
    assert_eq!(
        connects,
        [
            (
                6379,
                LinkKind::Command,
                bob.clone(),
                "sentinel-01234567-cmd".into(),
                1
            ),
            (
                6379,
                LinkKind::PubSub,
                bob.clone(),
                "sentinel-01234567-pubsub".into(),
                1
            ),
            (
                6380,
                LinkKind::Command,
                bob.clone(),
                "sentinel-01234567-cmd".into(),
                1
            ),
            (
                6380,
                LinkKind::PubSub,
                bob,
                "sentinel-01234567-pubsub".into(),
                1
            ),
            (
                26380,
                LinkKind::Command,
                legacy,
                "sentinel-01234567-cmd".into(),
                1
            ),
            (
                7379,
                LinkKind::Command,
                None,
                "sentinel-01234567-cmd".into(),
                0
            ),
            (
                7379,
                LinkKind::PubSub,
                None,
                "sentinel-01234567-pubsub".into(),
                0
            ),
        ]
    );
    // sentinel-user / sentinel-pass take precedence over requirepass.
    let (_, actions) = load_ok(&[
        &format!("myid {ID}"),
        "monitor m 127.0.0.1 6379 2",
        "known-sentinel m 127.0.0.1 26380 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "sentinel-user su",
        "sentinel-pass sp",
    ]);
    let auth = actions.iter().find_map(|a| match a {
        Action::Connect { addr, auth, .. } if addr.port == 26380 => auth.clone(),
        _ => None,
    });
    assert_eq!(
        auth,
        Some(Credentials {
            user: Some("su".into()),
            pass: "sp".into()
        })
    );
}

#[test]
fn config_lines_order_and_round_trip() {
    let text = [
        format!("myid {ID}"),
        "deny-scripts-reconfig no".into(),
        "resolve-hostnames yes".into(),
        "announce-hostnames yes".into(),
        "monitor m db.example 6379 2".into(),
        "down-after-milliseconds m 5000".into(),
        "failover-timeout m 9000".into(),
        "parallel-syncs m 3".into(),
        "notification-script m /bin/sh".into(),
        "client-reconfig-script m /bin/true".into(),
        "auth-pass m pw".into(),
        "auth-user m us".into(),
        "master-reboot-down-after-period m 777".into(),
        "config-epoch m 4".into(),
        "leader-epoch m 5".into(),
        "known-replica m 127.0.0.1 6380".into(),
        "known-replica m replica.example 6381".into(),
        "known-sentinel m 127.0.0.1 26380 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".into(),
        "rename-command m CONFIG GUESS".into(),
        "rename-command m SLAVEOF NOSLAVE".into(),
        "monitor n ::1 7000 1".into(),
        "current-epoch 9".into(),
        "announce-ip 10.1.1.1".into(),
        "announce-port 1111".into(),
        "sentinel-user su".into(),
        "sentinel-pass sp".into(),
    ];
    let refs: Vec<&str> = text.iter().map(String::as_str).collect();
    let (core, _) = load_ok(&refs);
    let got: Vec<String> = core.config_lines().iter().map(|l| l.join(" ")).collect();
    let want: Vec<String> = [
        &format!("myid {ID}"),
        "deny-scripts-reconfig no",
        "resolve-hostnames yes",
        "announce-hostnames yes",
        "monitor m db.example 6379 2",
        "down-after-milliseconds m 5000",
        "failover-timeout m 9000",
        "parallel-syncs m 3",
        "notification-script m /bin/sh",
        "client-reconfig-script m /bin/true",
        "auth-pass m pw",
        "auth-user m us",
        "master-reboot-down-after-period m 777",
        "config-epoch m 4",
        "leader-epoch m 5",
        "known-replica m 127.0.0.1 6380",
        "known-replica m replica.example 6381",
        "known-sentinel m 127.0.0.1 26380 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "rename-command m CONFIG GUESS",
        "rename-command m SLAVEOF NOSLAVE",
        "monitor n ::1 7000 1",
        "config-epoch n 0",
        "leader-epoch n 0",
        "current-epoch 9",
        "announce-ip 10.1.1.1",
        "announce-port 1111",
        "sentinel-user su",
        "sentinel-pass sp",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(got, want);
    // Round trip.
    let again: Vec<(String, Vec<String>)> = core
        .config_lines()
        .into_iter()
        .enumerate()
        .map(|(i, l)| (format!("f:{i}"), l))
        .collect();
    let (core2, _) = match SentinelCore::from_config(&again, CoreOptions::default(), at(0)) {
        Ok(x) => x,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(core2.config_lines(), core.config_lines());
    // Defaults are not written.
    let (core, _) = load_ok(&[&format!("myid {ID}"), "monitor m 127.0.0.1 6379 2"]);
    let got: Vec<String> = core.config_lines().iter().map(|l| l.join(" ")).collect();
    assert_eq!(
        got,
        [
            format!("myid {ID}"),
            "monitor m 127.0.0.1 6379 2".into(),
            "config-epoch m 0".into(),
            "leader-epoch m 0".into(),
            "current-epoch 0".into()
        ]
    );
}

#[test]
fn config_lines_during_failover_report_the_promoted_replica() {
    let mut s = Solo::new(&[
        &format!("myid {ID}"),
        "monitor m 127.0.0.1 6379 1",
        "known-replica m 127.0.0.1 6380",
    ]);
    s.link_up(None);
    s.answer(6379, "PING", pong);
    s.answer(6380, "PING", pong);
    s.answer(6379, "INFO", |_| {
        Reply::Bulk(master_info(&"1".repeat(40), &[("127.0.0.1", 6380)]).into())
    });
    s.answer(6380, "INFO", |_| {
        Reply::Bulk(replica_info(&"2".repeat(40), "127.0.0.1", 6379, 100, 1).into())
    });
    s.now = 100;
    assert_eq!(s.cmd(&["SENTINEL", "FAILOVER", "m"]), Reply::Ok);
    // Elected at once (forced), selection waits for fresh INFO from the replica.
    assert!(s.has("+elected-leader"));
    assert!(!s.has("+selected-slave"));
    assert_eq!(s.pending_to(6380), [vec!["INFO".to_string()]]);
    s.answer(6380, "INFO", |_| {
        Reply::Bulk(replica_info(&"2".repeat(40), "127.0.0.1", 6379, 100, 1).into())
    });
    assert!(s.has("+selected-slave"));
    // The promotion transaction, then INFO right behind it.
    let sent = s.pending_to(6380);
    let tail: Vec<&str> = sent.iter().map(|a| a[0].as_str()).collect();
    assert_eq!(
        tail,
        [
            "MULTI", "SLAVEOF", "CONFIG", "CLIENT", "CLIENT", "EXEC", "INFO"
        ]
    );
    s.answer(6380, "MULTI", |_| Reply::Ok);
    s.answer(6380, "SLAVEOF", |_| Reply::Status("QUEUED".into()));
    s.answer(6380, "CONFIG", |_| Reply::Status("QUEUED".into()));
    s.answer(6380, "CLIENT", |_| Reply::Status("QUEUED".into()));
    s.answer(6380, "EXEC", |_| Reply::Array(vec![]));
    s.answer(6380, "INFO", |_| {
        Reply::Bulk(master_info(&"2".repeat(40), &[]).into())
    });
    assert!(s.has("+promoted-slave"));
    let m = s.cmd(&["SENTINEL", "MASTER", "m"]);
    // No other replica to reconfigure: the failover already ended, the switch is next.
    assert_eq!(field(&m, "failover-state"), "update_config");
    let got: Vec<String> = s.core.config_lines().iter().map(|l| l.join(" ")).collect();
    assert!(got.contains(&"monitor m 127.0.0.1 6380 1".to_string()));
    assert!(got.contains(&"known-replica m 127.0.0.1 6379 ".trim_end().to_string()));
    assert!(got.contains(&"config-epoch m 1".to_string()));
    assert_eq!(
        s.cmd(&["SENTINEL", "GET-MASTER-ADDR-BY-NAME", "m"]),
        Reply::Array(vec![
            Reply::Bulk("127.0.0.1".into()),
            Reply::Bulk("6380".into())
        ])
    );
}
