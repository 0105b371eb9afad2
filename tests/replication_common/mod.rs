//! Harness for the replication tests: vigil and redis-server nodes in scratch directories
//! (killed and removed on drop), INFO parsing, and waiting with deadlines.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Which server a node runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// vigil server.
    Vigil,
    /// Debian's redis-server 7.0.15.
    Redis,
}

/// A server process in its own directory.
pub struct Node {
    /// Which server.
    pub kind: Kind,
    /// Port.
    pub port: u16,
    /// Scratch directory.
    pub dir: PathBuf,
    /// Directives given at start (kept for restarts).
    extra: Vec<String>,
    child: Option<Child>,
}

/// Whether Debian's redis-server is installed.
pub fn redis_available() -> bool {
    Command::new("redis-server")
        .arg("--version")
        .output()
        .is_ok()
}

impl Node {
    /// Starts a vigil node with test-friendly replication settings and `extra` directives.
    pub fn vigil(extra: &[&str]) -> Node {
        Self::start(Kind::Vigil, extra)
    }

    /// Starts a redis-server node.
    pub fn redis(extra: &[&str]) -> Node {
        Self::start(Kind::Redis, extra)
    }

    /// Starts a node of either kind.
    pub fn start(kind: Kind, extra: &[&str]) -> Node {
        let port = super::common::free_port();
        let dir = std::env::temp_dir().join(format!(
            "vigil-repl-{}-{}-{port}",
            std::process::id(),
            match kind {
                Kind::Vigil => "v",
                Kind::Redis => "r",
            }
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("mkdir");
        let mut node = Node {
            kind,
            port,
            dir,
            extra: extra.iter().map(|s| s.to_string()).collect(),
            child: None,
        };
        node.spawn();
        node.wait_ready();
        node
    }

    fn spawn(&mut self) {
        let mut cmd = match self.kind {
            Kind::Vigil => {
                let mut c = Command::new(super::common::vigil_bin());
                c.arg("server");
                c
            }
            Kind::Redis => Command::new("redis-server"),
        };
        cmd.args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--dir", self.dir.to_str().unwrap_or(".")])
            .args(["--logfile", "node.log"])
            .args(["--save", ""])
            .args(["--repl-diskless-sync-delay", "0"])
            .args(["--enable-debug-command", "yes"])
            .args(&self.extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        self.child = Some(cmd.spawn().expect("spawn server"));
    }

    /// Starts the process again after it exited, as `kind` (a redis-server can take over a
    /// vigil node's directory and files, or the other way round), on the same port and in the
    /// same directory, with the original directives followed by `extra`.
    pub fn restart_as(&mut self, kind: Kind, extra: &[&str]) {
        if let Some(mut c) = self.child.take() {
            assert!(
                matches!(c.try_wait(), Ok(Some(_))),
                "restart of a running {:?} node",
                self.kind
            );
        }
        self.kind = kind;
        self.extra.extend(extra.iter().map(|s| s.to_string()));
        self.spawn();
        self.wait_ready();
    }

    /// Waits up to `limit` for the process to exit; its exit code.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<i32> {
        let child = self.child.as_mut()?;
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Ok(Some(st)) = child.try_wait() {
                return st.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("{:?} on port {} did not exit", self.kind, self.port);
    }

    /// Whether the process is still running.
    pub fn running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    /// Sends a signal (`TERM`, `INT`, `STOP`, `CONT`) to the process.
    pub fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([&format!("-{sig}"), &self.pid().to_string()])
            .status()
            .expect("kill");
        assert!(ok.success(), "kill -{sig}");
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(mut c) = TcpStream::connect(("127.0.0.1", self.port)) {
                let _ = c.set_read_timeout(Some(Duration::from_secs(1)));
                let _ = c.write_all(b"PING\r\n");
                let mut buf = [0u8; 64];
                // Up means done loading too: PING answers -LOADING until then, as in Redis.
                if matches!(c.read(&mut buf), Ok(n) if n > 0 && !buf.starts_with(b"-LOADING")) {
                    return;
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("{:?} on port {} did not start", self.kind, self.port);
    }

    /// A connection with 10 s I/O deadlines.
    pub fn conn(&self) -> redis::Connection {
        let client =
            redis::Client::open(format!("redis://127.0.0.1:{}/", self.port)).expect("client");
        let c = client.get_connection().expect("connect");
        c.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        c.set_write_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        c
    }

    /// Runs a command, any reply.
    pub fn cmd(&self, args: &[&str]) -> redis::RedisResult<redis::Value> {
        let mut c = self.conn();
        super::common::run(&mut c, args)
    }

    /// INFO as a map (all sections).
    pub fn info(&self) -> HashMap<String, String> {
        let mut c = self.conn();
        let text: String = super::common::q(&mut c, &["INFO", "everything"]);
        text.lines()
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// One INFO field.
    pub fn info_field(&self, name: &str) -> String {
        self.info().get(name).cloned().unwrap_or_default()
    }

    /// One INFO field as an integer (-1 when absent).
    pub fn info_int(&self, name: &str) -> i64 {
        self.info_field(name).parse().unwrap_or(-1)
    }

    /// Makes this node a replica of `master` and waits for the link to be up.
    pub fn replicate(&self, master: &Node) {
        let mut c = self.conn();
        let _: String = super::common::q(
            &mut c,
            &["REPLICAOF", "127.0.0.1", &master.port.to_string()],
        );
        self.wait_link_up();
    }

    /// Waits for `master_link_status:up`.
    pub fn wait_link_up(&self) {
        wait_for(Duration::from_secs(15), "master link up", || {
            self.info_field("master_link_status") == "up"
        });
    }

    /// Waits until this replica applied everything `master` produced so far (and acknowledged
    /// it, as the master's INFO shows).
    pub fn wait_caught_up(&self, master: &Node) {
        wait_for(Duration::from_secs(15), "replica catching up", || {
            let m = master.info_int("master_repl_offset");
            m >= 0 && self.info_int("master_repl_offset") == m
        });
    }

    /// The node's log, for assertions and failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("node.log")).unwrap_or_default()
    }

    /// Process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, |c| c.id())
    }

    /// Kills the process (SIGKILL) now.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Polls `cond` every 50 ms until it holds, panicking after `limit`.
pub fn wait_for(limit: Duration, what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    loop {
        if cond() {
            return;
        }
        if Instant::now() > deadline {
            panic!("timed out waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The whole dataset of db 0..3 as sorted (db, key, type, value repr, has ttl) rows, read with
/// plain commands so it works on both servers.
pub fn dataset(node: &Node) -> Vec<String> {
    let mut c = node.conn();
    let mut rows = Vec::new();
    for db in 0..4 {
        let _: () = redis::cmd("SELECT").arg(db).query(&mut c).expect("select");
        let mut keys: Vec<String> = super::common::q(&mut c, &["KEYS", "*"]);
        keys.sort();
        for k in keys {
            let t: String = super::common::q(&mut c, &["TYPE", &k]);
            let v: String = match t.as_str() {
                "string" => {
                    let v: Option<Vec<u8>> = super::common::q(&mut c, &["GET", &k]);
                    v.unwrap_or_default().escape_ascii().to_string()
                }
                "list" => {
                    super::common::q::<Vec<String>>(&mut c, &["LRANGE", &k, "0", "-1"]).join(",")
                }
                "hash" => {
                    let mut v: Vec<String> = super::common::q(&mut c, &["HGETALL", &k]);
                    let mut pairs: Vec<String> =
                        v.chunks(2).map(|p| p.join("=")).collect::<Vec<_>>();
                    pairs.sort();
                    v.clear();
                    pairs.join(",")
                }
                "set" => {
                    let mut v: Vec<String> = super::common::q(&mut c, &["SMEMBERS", &k]);
                    v.sort();
                    v.join(",")
                }
                "zset" => super::common::q::<Vec<String>>(
                    &mut c,
                    &["ZRANGE", &k, "0", "-1", "WITHSCORES"],
                )
                .join(","),
                _ => String::new(),
            };
            let pttl: i64 = super::common::q(&mut c, &["PEXPIRETIME", &k]);
            rows.push(format!("{db} {k} {t} {v} {pttl}"));
        }
    }
    rows
}

/// A fake master on a free port: answers the replica's handshake (+PONG, +OK) until PSYNC,
/// then writes `after_psync` (the `+FULLRESYNC` line, the image, any stream) and keeps the link
/// open half a second before going away.
pub fn fake_master(after_psync: Vec<u8>) -> (u16, std::thread::JoinHandle<()>) {
    let l = TcpListener::bind(("127.0.0.1", 0)).expect("bind");
    let port = l.local_addr().expect("addr").port();
    let h = std::thread::spawn(move || {
        let Ok((s, _)) = l.accept() else { return };
        let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
        let mut w = s.try_clone().expect("clone");
        let mut rd = BufReader::new(s);
        loop {
            let mut line = String::new();
            if rd.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let Some(n) = line
                .trim()
                .strip_prefix('*')
                .and_then(|n| n.parse::<usize>().ok())
            else {
                continue;
            };
            let mut args = Vec::new();
            for _ in 0..n {
                let mut len = String::new();
                let _ = rd.read_line(&mut len);
                let len: usize = len.trim().trim_start_matches('$').parse().unwrap_or(0);
                let mut buf = vec![0u8; len + 2];
                let _ = rd.read_exact(&mut buf);
                buf.truncate(len);
                args.push(String::from_utf8_lossy(&buf).to_uppercase());
            }
            match args.first().map(String::as_str) {
                Some("PING") => {
                    let _ = w.write_all(b"+PONG\r\n");
                }
                Some("PSYNC") => break,
                _ => {
                    let _ = w.write_all(b"+OK\r\n");
                }
            }
        }
        let _ = w.write_all(&after_psync);
        std::thread::sleep(Duration::from_millis(500));
    });
    (port, h)
}

/// An RDB image holding only aux fields (`name`, `value` pairs), without a checksum.
pub fn aux_only_rdb(aux: &[(&str, &str)]) -> Vec<u8> {
    let mut out = b"REDIS0010".to_vec();
    for (name, value) in aux {
        out.push(0xfa);
        for s in [name, value] {
            assert!(s.len() < 64, "short strings only");
            out.push(s.len() as u8);
            out.extend_from_slice(s.as_bytes());
        }
    }
    out.push(0xff);
    out.extend_from_slice(&[0; 8]);
    out
}
