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

/// redis-cli arguments that authenticate like a data node started with `args` expects:
/// `--masteruser`/`--masterauth` (the ACL user replicas use) or `--requirepass`.
fn cli_auth(args: &[&str]) -> Vec<String> {
    let after = |name: &str| {
        args.windows(2)
            .find(|w| w[0] == name)
            .map(|w| w[1].to_string())
    };
    let mut out = Vec::new();
    if let (Some(user), Some(pass)) = (after("--masteruser"), after("--masterauth")) {
        out = vec!["--user".into(), user, "--pass".into(), pass];
    } else if let Some(pass) = after("--requirepass") {
        out = vec!["-a".into(), pass];
    }
    if !out.is_empty() {
        out.push("--no-auth-warning".into());
    }
    out
}

/// Starts Debian's redis-server on a fresh port; `extra` are more `--directive value` words.
pub fn redis_server(extra: &[&str]) -> Proc {
    let port = free_port();
    let dir = scratch(&format!("redis-{port}"));
    let conf = dir.join("redis.conf");
    std::fs::write(&conf, "").expect("conf");
    let mut cmd: Vec<String> = vec![conf.display().to_string()];
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
        program: PathBuf::from("redis-server"),
        flavor: Flavor::Redis,
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
    let words: Vec<&str> = body.split_whitespace().collect();
    let auth = words
        .windows(2)
        .find(|w| w[0] == "requirepass")
        .map(|w| cli_auth(&["--requirepass", w[1]]))
        .unwrap_or_default();
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

/// A master with `replicas` replicas (Debian redis-server), replication links up.
pub fn data_nodes(replicas: usize, extra: &[&str]) -> (Proc, Vec<Proc>) {
    let master = redis_server(extra);
    let mp = master.port.to_string();
    let mut reps = Vec::new();
    for _ in 0..replicas {
        let mut args: Vec<&str> = vec!["--replicaof", "127.0.0.1", &mp];
        args.extend_from_slice(extra);
        reps.push(redis_server(&args));
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

/// Asserts a vigil sentinel wrote nothing on stderr.
pub fn assert_quiet_stderr(p: &Proc) {
    if p.flavor == Flavor::Vigil {
        let (_, err) = p.logs();
        assert!(
            err.trim().is_empty(),
            "stderr of sentinel {}: {err}",
            p.port
        );
    }
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
