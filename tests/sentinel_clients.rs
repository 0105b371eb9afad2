//! Sentinel-aware clients find the master through vigil sentinels before and after a failover:
//! the `redis` crate's sentinel support and redis-py's `redis.sentinel.Sentinel`; and Debian's
//! prometheus-redis-exporter scrapes a vigil sentinel's redis_sentinel_* metrics. Both run with
//! Debian's redis-server and with `vigil server` as the data nodes.

#[macro_use]
mod sentinel_common;

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use redis::sentinel::{Sentinel, SentinelNodeConnectionInfo};
use sentinel_common::*;

const LONG: Duration = Duration::from_secs(40);

fn rust_client_master_port(s: &[Proc]) -> u16 {
    let urls: Vec<String> = s
        .iter()
        .map(|p| format!("redis://127.0.0.1:{}/", p.port))
        .collect();
    let mut sentinel = Sentinel::build(urls).expect("sentinel client");
    let client = sentinel
        .master_for(MASTER, Some(&SentinelNodeConnectionInfo::default()))
        .expect("master_for");
    let mut con = client.get_connection().expect("connect to master");
    let _: () = redis::cmd("SET")
        .arg("k")
        .arg("v")
        .query(&mut con)
        .expect("write to master");
    match client.get_connection_info().addr() {
        redis::ConnectionAddr::Tcp(_, port) => *port,
        other => panic!("unexpected address {other:?}"),
    }
}

const PY: &str = r#"
import sys
from redis.sentinel import Sentinel
ports = [int(p) for p in sys.argv[1:]]
s = Sentinel([('127.0.0.1', p) for p in ports], socket_timeout=2)
host, port = s.discover_master('mymaster')
m = s.master_for('mymaster', socket_timeout=2)
m.set('py', 'ok')
r = s.slave_for('mymaster', socket_timeout=2)
assert r.ping()
print(port)
"#;

fn python_master_port(s: &[Proc]) -> u16 {
    let mut cmd = Command::new("timeout");
    cmd.args(["20", "python3", "-c", PY]);
    for p in s {
        cmd.arg(p.port.to_string());
    }
    let out = cmd.output().expect("python3");
    assert!(
        out.status.success(),
        "redis-py failed (install it with `pip install redis`; scripts/test.sh does): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .expect("port printed")
}

fn clients_follow_the_master_through_a_failover(nodes: Flavor) {
    let Group {
        mut master,
        sentinels: s,
        // Bound (not `..`) so the replicas live until the end of the test.
        replicas: _replicas,
    } = group(nodes, 2, &[], &[Flavor::Vigil; 3], 2, "");
    let old = master.port;
    assert_eq!(rust_client_master_port(&s), old);
    assert_eq!(python_master_port(&s), old);
    master.kill9();
    let refs: Vec<&Proc> = s.iter().collect();
    let new = wait_new_master(&refs, old, LONG);
    // The promoted replica may take a moment to accept writes as master.
    let port = wait_for(LONG, "rust client on the new master", || {
        std::panic::catch_unwind(|| rust_client_master_port(&s)).ok()
    });
    assert_eq!(port, new);
    assert_eq!(python_master_port(&s), new);
}

fn http_get(port: u16, path: &str) -> Option<String> {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut body = String::new();
    s.read_to_string(&mut body).ok()?;
    Some(body)
}

fn prometheus_exporter_reports_sentinel_metrics(nodes: Flavor) {
    let (master, _replicas) = data_nodes(nodes, 1, &[]);
    let s = sentinels(&[Flavor::Vigil], &monitor_lines(master.port, 1));
    wait_discovery(&[&s[0]], 1);
    let web = free_port();
    let mut exporter = Command::new("prometheus-redis-exporter")
        .args([
            "-redis.addr",
            &format!("redis://127.0.0.1:{}", s[0].port),
            "-web.listen-address",
            &format!("127.0.0.1:{web}"),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("prometheus-redis-exporter (apt install prometheus-redis-exporter)");
    let metrics = wait_for(Duration::from_secs(20), "exporter metrics", || {
        http_get(web, "/metrics").filter(|b| b.contains("redis_sentinel_masters"))
    });
    let _ = exporter.kill();
    let _ = exporter.wait();
    let line = |prefix: &str| {
        metrics
            .lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix} in:\n{metrics}"))
            .to_string()
    };
    assert!(line("redis_up ").ends_with(" 1"));
    assert!(line("redis_sentinel_masters ").ends_with(" 1"));
    assert!(line("redis_sentinel_tilt ").ends_with(" 0"));
    let status = line("redis_sentinel_master_status{");
    assert!(status.contains("master_name=\"mymaster\""), "{status}");
    assert!(status.contains(&format!("master_address=\"127.0.0.1:{}\"", master.port)));
    assert!(status.ends_with(" 1"), "{status}");
    assert!(line("redis_sentinel_master_slaves{").ends_with(" 1"));
    assert!(line("redis_sentinel_master_sentinels{").ends_with(" 1"));
}

data_node_tests!(
    clients_follow_the_master_through_a_failover,
    prometheus_exporter_reports_sentinel_metrics,
);
