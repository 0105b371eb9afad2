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

    /// Runs redis-cli against it.
    pub fn cli(&self, args: &[&str]) -> String {
        cli(self.port, args)
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Some(c) = self.child.as_ref() {
            // A stopped process cannot die from SIGKILL until continued on some kernels' views.
            signal(c.id(), "CONT");
        }
        self.kill9();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
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
    let mut p = Proc {
        port,
        dir,
        child: None,
        cmd,
        program,
        flavor,
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
