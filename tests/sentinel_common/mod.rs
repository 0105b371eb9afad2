//! Process helpers for the sentinel tests: Debian's redis-server / redis-sentinel and the real
//! `vigil` binary on loopback ports, each killed (and its scratch directory removed) on drop.
//! Every wait has a deadline so a broken build fails instead of hanging.
#![allow(dead_code)]

use std::collections::HashSet;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Path of the binary under test.
pub fn vigil_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_vigil"))
}

static USED: Mutex<Option<HashSet<u16>>> = Mutex::new(None);

/// A free loopback port above the kernel's ephemeral range (so outgoing connections never take
/// it meanwhile), spread by process id so parallel test processes rarely probe the same ones.
pub fn free_port() -> u16 {
    let mut used = USED.lock().unwrap_or_else(|e| e.into_inner());
    let used = used.get_or_insert_with(HashSet::new);
    let span = 4400u32;
    let start = (std::process::id().wrapping_mul(97)) % span;
    for i in 0..span {
        let port = 61000 + ((start + i * 7) % span) as u16;
        if used.contains(&port) {
            continue;
        }
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            used.insert(port);
            return port;
        }
    }
    panic!("no free port");
}

/// A fresh scratch directory.
pub fn scratch(tag: &str) -> PathBuf {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("vigil-st-{}-{tag}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// Polls `f` every 50 ms until it returns Some, or panics with `what` after `timeout`.
pub fn wait_for<T>(timeout: Duration, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return v;
        }
        if Instant::now() > deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Sends one command over a fresh connection and returns the raw reply (1 s deadline);
/// None when the port does not answer.
pub fn raw_cmd(port: u16, args: &[&str]) -> Option<String> {
    let mut s = TcpStream::connect_timeout(
        &std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        Duration::from_millis(500),
    )
    .ok()?;
    s.set_read_timeout(Some(Duration::from_millis(1000))).ok()?;
    let mut req = format!("*{}\r\n", args.len());
    for a in args {
        req.push_str(&format!("${}\r\n{a}\r\n", a.len()));
    }
    s.write_all(req.as_bytes()).ok()?;
    let mut out = Vec::new();
    let mut buf = [0u8; 65536];
    let deadline = Instant::now() + Duration::from_millis(1000);
    while Instant::now() < deadline {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                out.extend_from_slice(&buf[..n]);
                if complete(&out) {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    if out.is_empty() {
        None
    } else {
        Some(String::from_utf8_lossy(&out).into_owned())
    }
}

/// Whether `b` holds one complete RESP2 reply (enough for the simple replies tests read).
fn complete(b: &[u8]) -> bool {
    fn skip(b: &[u8], pos: usize) -> Option<usize> {
        let nl = pos + b.get(pos..)?.windows(2).position(|w| w == b"\r\n")?;
        let line = std::str::from_utf8(&b[pos + 1..nl]).ok()?;
        let after = nl + 2;
        match b.get(pos)? {
            b'$' => {
                let n: i64 = line.parse().ok()?;
                if n < 0 {
                    Some(after)
                } else {
                    let end = after + n as usize + 2;
                    (b.len() >= end).then_some(end)
                }
            }
            b'*' => {
                let n: i64 = line.parse().ok()?;
                let mut at = after;
                for _ in 0..n.max(0) {
                    at = skip(b, at)?;
                }
                Some(at)
            }
            _ => Some(after),
        }
    }
    skip(b, 0).is_some()
}

/// Runs redis-cli against a port with a 5 s limit and returns trimmed stdout.
pub fn cli(port: u16, args: &[&str]) -> String {
    let out = Command::new("timeout")
        .args(["5", "redis-cli", "-p", &port.to_string()])
        .args(args)
        .output()
        .expect("redis-cli (install redis-tools)");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Sends a signal by name (`KILL`, `STOP`, `CONT`, `TERM`) to a pid.
pub fn signal(pid: u32, sig: &str) {
    let _ = Command::new("kill")
        .args([&format!("-{sig}"), &pid.to_string()])
        .status();
}

/// Which program a process runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    /// Debian's redis-server / redis-sentinel 7.0.15.
    Redis,
    /// The vigil binary under test.
    Vigil,
}

/// A child process with its port and scratch dir; killed on drop.
pub struct Proc {
    /// Listening port.
    pub port: u16,
    /// Scratch directory (config, logs).
    pub dir: PathBuf,
    /// The running child, if any.
    pub child: Option<Child>,
    /// How to start it again.
    cmd: Vec<String>,
    /// Program name/path.
    program: PathBuf,
    /// Which flavor.
    pub flavor: Flavor,
    /// redis-cli authentication arguments for this process.
    pub auth: Vec<String>,
}

impl Proc {
    fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("stdout.log"))
            .expect("log file");
        let err = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("stderr.log"))
            .expect("log file");
        let child = Command::new(&self.program)
            .args(&self.cmd)
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {:?}: {e}", self.program));
        self.child = Some(child);
        let port = self.port;
        wait_for(
            Duration::from_secs(10),
            &format!("port {port} to answer"),
            || raw_cmd(port, &["PING"]),
        );
    }

    /// Process id of the running child.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(|c| c.id()).unwrap_or(0)
    }

    /// kill -9, reaped.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts it again with the same arguments (and the same config file).
    pub fn restart(&mut self) {
        self.kill9();
        self.spawn();
    }

    /// What the process printed on stdout / stderr so far.
    pub fn logs(&self) -> (String, String) {
        let r = |n: &str| std::fs::read_to_string(self.dir.join(n)).unwrap_or_default();
        (r("stdout.log"), r("stderr.log"))
    }

    /// Runs redis-cli against it (authenticated when it needs a password).
    pub fn cli(&self, args: &[&str]) -> String {
        let mut all: Vec<&str> = self.auth.iter().map(String::as_str).collect();
        all.extend_from_slice(args);
        cli(self.port, &all)
    }

    /// Runs several commands (one per line, words separated by spaces) over one authenticated
    /// redis-cli connection, so that WAIT counts the writes sent before it; returns the
    /// replies, one line each.
    pub fn cli_lines(&self, commands: &[String]) -> String {
        let mut child = Command::new("timeout")
            .args(["10", "redis-cli", "-p", &self.port.to_string()])
            .args(&self.auth)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-cli (install redis-tools)");
        if let Some(mut stdin) = child.stdin.take() {
            let _ = stdin.write_all((commands.join("\n") + "\n").as_bytes());
        }
        let out = child.wait_with_output().expect("redis-cli output");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Some(c) = self.child.as_ref() {
            // A stopped process cannot die from SIGKILL until continued on some kernels' views.
            signal(c.id(), "CONT");
        }
        self.kill9();
        // VIGIL_KEEP_TEST_DIRS=1 keeps configs and logs for a post-mortem.
        if std::env::var_os("VIGIL_KEEP_TEST_DIRS").is_none() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// redis-cli arguments that log in as `user` (when given) with `pass`.
fn login(user: Option<String>, pass: Option<String>) -> Vec<String> {
    let mut out = match (user, pass) {
        (Some(user), Some(pass)) => vec!["--user".into(), user, "--pass".into(), pass],
        (None, Some(pass)) => vec!["-a".into(), pass],
        _ => return Vec::new(),
    };
    out.push("--no-auth-warning".into());
    out
}

/// redis-cli arguments that authenticate like a data node started with `args` expects:
/// `--masteruser`/`--masterauth` (the ACL user replicas use) or `--requirepass`.
fn cli_auth(args: &[&str]) -> Vec<String> {
    let after = |name: &str| {
        args.windows(2)
            .find(|w| w[0] == name)
            .map(|w| w[1].to_string())
    };
    match after("--masteruser") {
        Some(user) => login(Some(user), after("--masterauth")),
        None => login(None, after("--requirepass")),
    }
}

/// redis-cli arguments that authenticate to a sentinel configured with `body`: its
/// `sentinel-user`/`sentinel-pass` (the ACL user sentinels use towards each other) or its
/// `requirepass`.
fn sentinel_cli_auth(body: &str) -> Vec<String> {
    let value = |words: &[&str]| {
        body.lines().find_map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            (w.len() == words.len() + 1 && w[..words.len()] == *words)
                .then(|| w[words.len()].to_string())
        })
    };
    match value(&["sentinel", "sentinel-user"]) {
        Some(user) => login(Some(user), value(&["sentinel", "sentinel-pass"])),
        None => login(None, value(&["requirepass"])),
    }
}

/// Starts Debian's redis-server on a fresh port; `extra` are more `--directive value` words.
pub fn redis_server(extra: &[&str]) -> Proc {
    data_node(Flavor::Redis, extra)
}

/// Starts a data node of `flavor` (`redis-server <conf>` or `vigil server <conf>`) on a fresh
/// port with an empty config file (so CONFIG REWRITE from a sentinel has a file to write);
/// `extra` are more `--directive value` words.
pub fn data_node(flavor: Flavor, extra: &[&str]) -> Proc {
    let port = free_port();
    let dir = scratch(&format!("node-{port}"));
    let conf = dir.join("redis.conf");
    std::fs::write(&conf, "").expect("conf");
    let (program, mut cmd) = match flavor {
        Flavor::Redis => (PathBuf::from("redis-server"), Vec::new()),
        Flavor::Vigil => (vigil_bin(), vec!["server".to_string()]),
    };
    cmd.push(conf.display().to_string());
    for a in [
        "--port",
        &port.to_string(),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--daemonize",
        "no",
        "--dir",
        &dir.display().to_string(),
        "--repl-diskless-sync-delay",
        "0",
    ] {
        cmd.push(a.to_string());
    }
    cmd.extend(extra.iter().map(|s| s.to_string()));
    let mut p = Proc {
        port,
        dir,
        child: None,
        cmd,
        program,
        flavor,
        auth: cli_auth(extra),
    };
    p.spawn();
    p
}

/// Writes `body` as a sentinel config in a fresh dir and starts a sentinel of `flavor` on it
/// (`vigil sentinel <conf>` or `redis-sentinel <conf>`).
pub fn sentinel(flavor: Flavor, port: u16, body: &str) -> Proc {
    let dir = scratch(&format!("sentinel-{port}"));
    let conf = dir.join("sentinel.conf");
    std::fs::write(&conf, format!("port {port}\nbind 127.0.0.1\n{body}")).expect("conf");
    let (program, cmd) = match flavor {
        Flavor::Vigil => (
            vigil_bin(),
            vec!["sentinel".to_string(), conf.display().to_string()],
        ),
        Flavor::Redis => (
            PathBuf::from("redis-sentinel"),
            vec![conf.display().to_string()],
        ),
    };
    let auth = sentinel_cli_auth(body);
    let mut p = Proc {
        port,
        dir,
        child: None,
        cmd,
        program,
        flavor,
        auth,
    };
    p.spawn();
    p
}

/// The config file of a sentinel started by [`sentinel`].
pub fn sentinel_conf(p: &Proc) -> PathBuf {
    p.dir.join("sentinel.conf")
}

/// Reads a file, empty when missing.
pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// The master name every test group uses.
pub const MASTER: &str = "mymaster";

/// Field/value pairs of a RESP2 map printed by redis-cli (one item per line).
pub fn kv(text: &str) -> Vec<(String, String)> {
    let lines: Vec<&str> = text.lines().collect();
    lines
        .chunks(2)
        .filter(|c| c.len() == 2)
        .map(|c| (c[0].to_string(), c[1].to_string()))
        .collect()
}

/// One field of a `SENTINEL MASTER`-style reply.
pub fn field(text: &str, name: &str) -> Option<String> {
    kv(text)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// One `name:value` line of an INFO reply.
pub fn info_field(info: &str, name: &str) -> Option<String> {
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .map(|v| v.trim().to_string())
}

/// A master with `replicas` replicas, all data nodes of `flavor`, replication links up.
pub fn data_nodes(flavor: Flavor, replicas: usize, extra: &[&str]) -> (Proc, Vec<Proc>) {
    let master = data_node(flavor, extra);
    let mp = master.port.to_string();
    let mut reps = Vec::new();
    for _ in 0..replicas {
        let mut args: Vec<&str> = vec!["--replicaof", "127.0.0.1", &mp];
        args.extend_from_slice(extra);
        reps.push(data_node(flavor, &args));
    }
    for r in &reps {
        wait_for(Duration::from_secs(15), "replication link up", || {
            (info_field(&r.cli(&["INFO", "replication"]), "master_link_status").as_deref()
                == Some("up"))
            .then_some(())
        });
    }
    (master, reps)
}

/// Per-master lines of a test group: fast failure detection and a short failover timeout.
pub fn monitor_lines(master_port: u16, quorum: usize) -> String {
    format!(
        "sentinel monitor {MASTER} 127.0.0.1 {master_port} {quorum}\n\
         sentinel down-after-milliseconds {MASTER} 1000\n\
         sentinel failover-timeout {MASTER} 4000\n"
    )
}

/// Shortens the sentinel timers a test waits on (both implementations take SENTINEL DEBUG).
pub fn speed_up(p: &Proc) {
    let out = p.cli(&[
        "SENTINEL",
        "DEBUG",
        "info-period",
        "1000",
        "publish-period",
        "500",
    ]);
    assert_eq!(out, "OK", "SENTINEL DEBUG on port {}", p.port);
}

/// Starts one sentinel per flavor on fresh ports with the same body, sped up.
pub fn sentinels(flavors: &[Flavor], body: &str) -> Vec<Proc> {
    flavors
        .iter()
        .map(|&f| {
            let s = sentinel(f, free_port(), body);
            speed_up(&s);
            s
        })
        .collect()
}

/// `SENTINEL GET-MASTER-ADDR-BY-NAME` as (ip, port).
pub fn master_addr(s: &Proc) -> Option<(String, u16)> {
    let out = s.cli(&["SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER]);
    let mut it = out.lines();
    let ip = it.next()?.to_string();
    let p = it.next()?.parse().ok()?;
    Some((ip, p))
}

/// Waits until every live sentinel knows `replicas` replicas and all the other sentinels.
pub fn wait_discovery(sentinels: &[&Proc], replicas: usize) {
    let others = sentinels.len() - 1;
    for s in sentinels {
        wait_for(
            Duration::from_secs(30),
            &format!("sentinel {} to discover the group", s.port),
            || {
                let m = s.cli(&["SENTINEL", "MASTER", MASTER]);
                let slaves: usize = field(&m, "num-slaves")?.parse().ok()?;
                let sents: usize = field(&m, "num-other-sentinels")?.parse().ok()?;
                (slaves == replicas && sents == others).then_some(())
            },
        );
    }
}

/// Waits until every given sentinel reports `port` as the master's port.
pub fn wait_master_port(sentinels: &[&Proc], port: u16, timeout: Duration) {
    for s in sentinels {
        wait_for(
            timeout,
            &format!("sentinel {} to report master port {port}", s.port),
            || (master_addr(s).map(|a| a.1) == Some(port)).then_some(()),
        );
    }
}

/// Waits until all sentinels agree on a master different from `old`; returns its port.
pub fn wait_new_master(sentinels: &[&Proc], old: u16, timeout: Duration) -> u16 {
    let first = wait_for(timeout, "a new master", || {
        master_addr(sentinels[0]).map(|a| a.1).filter(|p| *p != old)
    });
    wait_master_port(sentinels, first, timeout);
    first
}

/// Waits until a data node replicates from `master_port` with its link up.
pub fn wait_replica_of(node: &Proc, master_port: u16, timeout: Duration) {
    wait_for(
        timeout,
        &format!("{} to replicate from {master_port}", node.port),
        || {
            let info = node.cli(&["INFO", "replication"]);
            let ok = info_field(&info, "role").as_deref() == Some("slave")
                && info_field(&info, "master_port").as_deref() == Some(&master_port.to_string())
                && info_field(&info, "master_link_status").as_deref() == Some("up");
            ok.then_some(())
        },
    );
}

/// Waits until a data node says it is a master.
pub fn wait_role_master(node: &Proc, timeout: Duration) {
    wait_for(timeout, &format!("{} to be master", node.port), || {
        (info_field(&node.cli(&["INFO", "replication"]), "role").as_deref() == Some("master"))
            .then_some(())
    });
}

/// Asserts a vigil process (sentinel or data node) wrote nothing on stderr.
pub fn assert_quiet_stderr(p: &Proc) {
    if p.flavor == Flavor::Vigil {
        let (_, err) = p.logs();
        assert!(
            err.trim().is_empty(),
            "stderr of vigil on {}: {err}",
            p.port
        );
    }
}

/// The entries of a `SENTINEL REPLICAS` / `SENTINEL SENTINELS` reply, each as field/value pairs.
pub fn entries(text: &str) -> Vec<Vec<(String, String)>> {
    let mut out: Vec<Vec<(String, String)>> = Vec::new();
    for (k, v) in kv(text) {
        if k == "name" {
            out.push(Vec::new());
        }
        if let Some(e) = out.last_mut() {
            e.push((k, v));
        }
    }
    out
}

/// The fields of the `SENTINEL REPLICAS` entry for the replica on `port`, if listed.
pub fn replica_entry(s: &Proc, port: u16) -> Option<Vec<(String, String)>> {
    entries(&s.cli(&["SENTINEL", "REPLICAS", MASTER]))
        .into_iter()
        .find(|e| entry_field(e, "port") == Some(port.to_string()))
}

/// Waits until `s` has a healthy link to each of the other `others` sentinels: listed, not
/// flagged down or disconnected, and answering its PINGs (which an unauthenticated link would
/// not).
pub fn wait_sentinel_links_ok(s: &Proc, others: usize) {
    wait_for(
        Duration::from_secs(20),
        &format!("sentinel {} to ping its peers", s.port),
        || {
            let peers = entries(&s.cli(&["SENTINEL", "SENTINELS", MASTER]));
            let ok = peers.len() == others
                && peers.iter().all(|e| {
                    entry_field(e, "flags").as_deref() == Some("sentinel")
                        && entry_field(e, "last-ok-ping-reply")
                            .and_then(|v| v.parse::<u64>().ok())
                            .is_some_and(|ms| ms < 2000)
                });
            ok.then_some(())
        },
    );
}

/// One field of a [`replica_entry`].
pub fn entry_field(entry: &[(String, String)], name: &str) -> Option<String> {
    entry
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
}

/// Waits until the group has converged away from `old`: every sentinel names the same master,
/// that node says it is a master, and every other node in `nodes` replicates from it with its
/// link up. Tolerates a second failover on the way (it only checks where things end up).
/// Returns the master's port.
pub fn wait_converged(sentinels: &[&Proc], nodes: &[&Proc], old: u16, timeout: Duration) -> u16 {
    wait_for(timeout, "the group to converge on a new master", || {
        let m = master_addr(sentinels[0])?.1;
        if m == old {
            return None;
        }
        for s in &sentinels[1..] {
            if master_addr(s)?.1 != m {
                return None;
            }
        }
        for n in nodes {
            let info = n.cli(&["INFO", "replication"]);
            let role = info_field(&info, "role")?;
            if n.port == m {
                if role != "master" {
                    return None;
                }
            } else if role != "slave"
                || info_field(&info, "master_port")? != m.to_string()
                || info_field(&info, "master_link_status")? != "up"
            {
                return None;
            }
        }
        Some(m)
    })
}

/// Waits until the data node's own config file says whom it replicates: the sentinels send
/// CONFIG REWRITE with every REPLICAOF (`None`: a master, no `replicaof` line).
pub fn wait_node_conf(node: &Proc, master: Option<u16>) {
    let conf = node.dir.join("redis.conf");
    wait_for(
        Duration::from_secs(40),
        &format!("config file of {} to name master {master:?}", node.port),
        || {
            let text = read(&conf);
            let line = text.lines().find(|l| l.starts_with("replicaof "));
            let ok = match master {
                Some(p) => line == Some(&format!("replicaof 127.0.0.1 {p}")),
                None => line.is_none() && text.contains("CONFIG REWRITE"),
            };
            ok.then_some(())
        },
    );
}

/// A monitored group: the data nodes and the sentinels watching them.
pub struct Group {
    /// The master the sentinels were told to monitor.
    pub master: Proc,
    /// Its replicas.
    pub replicas: Vec<Proc>,
    /// The sentinels, sped up, each knowing all replicas and all other sentinels.
    pub sentinels: Vec<Proc>,
}

impl Group {
    /// References to the sentinels, as the wait helpers take them.
    pub fn sentinel_refs(&self) -> Vec<&Proc> {
        self.sentinels.iter().collect()
    }

    /// References to the replicas.
    pub fn replica_refs(&self) -> Vec<&Proc> {
        self.replicas.iter().collect()
    }

    /// References to every data node, the original master last.
    pub fn node_refs(&self) -> Vec<&Proc> {
        let mut v = self.replica_refs();
        v.push(&self.master);
        v
    }
}

/// Starts a master with `replicas` replicas of `nodes` flavor (with `node_args`), then one
/// sentinel per entry of `sentinels` monitoring it with `quorum` and the extra config
/// `sentinel_extra`, and waits until every sentinel discovered the whole group.
pub fn group(
    nodes: Flavor,
    replicas: usize,
    node_args: &[&str],
    sentinels_of: &[Flavor],
    quorum: usize,
    sentinel_extra: &str,
) -> Group {
    let (master, replicas_v) = data_nodes(nodes, replicas, node_args);
    let body = format!("{}{sentinel_extra}", monitor_lines(master.port, quorum));
    let s = sentinels(sentinels_of, &body);
    {
        let refs: Vec<&Proc> = s.iter().collect();
        wait_discovery(&refs, replicas);
    }
    Group {
        master,
        replicas: replicas_v,
        sentinels: s,
    }
}

/// Writes `count` keys `<prefix>:<i>` = `<prefix>-<i>` on `master` and, on the same connection,
/// confirms with WAIT that at least `replicas` replicas acknowledged them.
pub fn write_acked(master: &Proc, prefix: &str, count: usize, replicas: usize) {
    let mut cmds: Vec<String> = (0..count)
        .map(|i| format!("SET {prefix}:{i} {prefix}-{i}"))
        .collect();
    cmds.push(format!("WAIT {replicas} 5000"));
    let out = master.cli_lines(&cmds);
    let acked: usize = out
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or(0);
    assert!(
        out.lines().filter(|l| *l == "OK").count() == count && acked >= replicas,
        "writes on {} not acknowledged by {replicas} replicas: {out}",
        master.port
    );
}

/// Whether `node` holds every key [`write_acked`] wrote with `prefix`.
pub fn has_keys(node: &Proc, prefix: &str, count: usize) -> bool {
    let mut args = vec!["MGET".to_string()];
    args.extend((0..count).map(|i| format!("{prefix}:{i}")));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let got = node.cli(&args);
    let want: Vec<String> = (0..count).map(|i| format!("{prefix}-{i}")).collect();
    got.lines().eq(want.iter().map(String::as_str))
}

/// Waits until `node` holds every key [`write_acked`] wrote with `prefix`.
pub fn wait_keys(node: &Proc, prefix: &str, count: usize, timeout: Duration) {
    wait_for(
        timeout,
        &format!("{} to hold the {prefix}:* keys", node.port),
        || has_keys(node, prefix, count).then_some(()),
    );
}

/// The node among `nodes` listening on `port`.
pub fn node_on<'a>(nodes: &[&'a Proc], port: u16) -> &'a Proc {
    nodes
        .iter()
        .find(|n| n.port == port)
        .copied()
        .unwrap_or_else(|| panic!("no data node on port {port}"))
}

/// Defines, for each scenario `name` (a `fn name(nodes: Flavor)` in the same file), a module
/// `name` with one test per data-node flavor: `name::redis_nodes` (Debian's redis-server) and
/// `name::vigil_nodes` (`vigil server`).
#[allow(unused_macros)]
macro_rules! data_node_tests {
    ($($name:ident),+ $(,)?) => {
        $(
            mod $name {
                #[test]
                fn redis_nodes() {
                    super::$name(crate::sentinel_common::Flavor::Redis)
                }

                #[test]
                fn vigil_nodes() {
                    super::$name(crate::sentinel_common::Flavor::Vigil)
                }
            }
        )+
    };
}
