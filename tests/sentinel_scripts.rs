//! notification-script and client-reconfig-script, run by a `vigil sentinel` with the
//! arguments Redis passes, and without inheriting the sentinel's sockets; with Debian's
//! redis-server and with `vigil server` as the data nodes.

#[macro_use]
mod sentinel_common;

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use sentinel_common::*;

fn script(dir: &std::path::Path, name: &str, out: &std::path::Path) -> String {
    let p = dir.join(name);
    let body = format!(
        "#!/bin/sh\necho \"$@\" >> {out}\nfor fd in /proc/$$/fd/*; do readlink \"$fd\"; done >> {out}.fds\nexit 0\n",
        out = out.display()
    );
    std::fs::write(&p, body).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p.display().to_string()
}

fn scripts_get_redis_arguments_and_no_sockets(nodes: Flavor) {
    let (mut master, replicas) = data_nodes(nodes, 1, &[]);
    let dir = scratch("scripts");
    let notify_out = dir.join("notify.out");
    let reconf_out = dir.join("reconf.out");
    let notify = script(&dir, "notify.sh", &notify_out);
    let reconf = script(&dir, "reconf.sh", &reconf_out);
    let old = master.port;
    let body = format!(
        "{}sentinel notification-script {MASTER} {notify}\nsentinel client-reconfig-script {MASTER} {reconf}\n",
        monitor_lines(old, 1)
    );
    let s = sentinels(&[Flavor::Vigil], &body);
    // +monitor is a warning-level event tied to the master: it runs the notification script.
    wait_for(Duration::from_secs(10), "+monitor notification", || {
        read(&notify_out)
            .contains(&format!(
                "+monitor master {MASTER} 127.0.0.1 {old} quorum 1"
            ))
            .then_some(())
    });
    wait_discovery(&[&s[0]], 1);
    master.kill9();
    let new = wait_new_master(&[&s[0]], old, Duration::from_secs(40));
    assert_eq!(new, replicas[0].port);
    wait_for(
        Duration::from_secs(20),
        "+sdown and +switch-master notifications",
        || {
            let text = read(&notify_out);
            (text.contains(&format!("+sdown master {MASTER} 127.0.0.1 {old}"))
                && text.contains(&format!(
                    "+switch-master {MASTER} 127.0.0.1 {old} 127.0.0.1 {new}"
                )))
            .then_some(())
        },
    );
    wait_for(Duration::from_secs(20), "client-reconfig-script", || {
        read(&reconf_out)
            .contains(&format!(
                "{MASTER} leader start 127.0.0.1 {old} 127.0.0.1 {new}"
            ))
            .then_some(())
    });
    let fds = read(&dir.join("notify.out.fds")) + &read(&dir.join("reconf.out.fds"));
    assert!(
        !fds.contains("socket:"),
        "scripts inherited sockets:\n{fds}"
    );
    wait_for(Duration::from_secs(20), "the script queue to drain", || {
        s[0].cli(&["SENTINEL", "PENDING-SCRIPTS"])
            .is_empty()
            .then_some(())
    });
    assert_quiet_stderr(&s[0]);
    let _ = std::fs::remove_dir_all(dir);
}

data_node_tests!(scripts_get_redis_arguments_and_no_sockets);
