//! Test harness: starts the real `vigil` binary on a free loopback port and cleans it up.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::{Duration, Instant};

/// Path of the binary under test.
pub fn vigil_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_vigil"))
}

/// `VIGIL_TEST_AGAINST=redis-server` runs the integration tests against the real Redis
/// (to check that a test's expectations are Redis's); vigil-only tests check this and skip.
pub fn against_redis() -> Option<String> {
    std::env::var("VIGIL_TEST_AGAINST")
        .ok()
        .filter(|v| !v.is_empty())
}

static NEXT_PORT: AtomicU16 = AtomicU16::new(0);

/// A loopback port nobody listens on. Ports are spread by process id so parallel test
/// binaries (nextest runs each test in its own process) rarely collide, and probed anyway.
pub fn free_port() -> u16 {
    let base = 20000 + (std::process::id() % 2000) as u16 * 20;
    loop {
        let off = NEXT_PORT.fetch_add(1, Ordering::Relaxed) % 20;
        let port = base + off;
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
        if off == 19 {
            // Fall back to an OS-assigned port.
            if let Ok(l) = TcpListener::bind(("127.0.0.1", 0))
                && let Ok(a) = l.local_addr()
            {
                return a.port();
            }
        }
    }
}

/// A running `vigil server` process, killed on drop.
pub struct Server {
    /// Port it listens on.
    pub port: u16,
    /// The child process.
    pub child: Child,
    /// Scratch directory (dir, logs).
    pub dir: PathBuf,
}

impl Server {
    /// Starts `vigil server` with extra directives (e.g. `["--maxmemory", "1mb"]`).
    pub fn start(extra: &[&str]) -> Server {
        Self::start_with(None, extra)
    }

    /// Starts with an optional config file path first.
    pub fn start_with(config: Option<&std::path::Path>, extra: &[&str]) -> Server {
        let port = free_port();
        let dir = std::env::temp_dir().join(format!("vigil-test-{}-{}", std::process::id(), port));
        let _ = std::fs::create_dir_all(&dir);
        let mut cmd = match against_redis() {
            Some(bin) => Command::new(bin),
            None => {
                let mut c = Command::new(vigil_bin());
                c.arg("server");
                c
            }
        };
        if let Some(c) = config {
            cmd.arg(c);
        }
        cmd.args(["--port", &port.to_string(), "--bind", "127.0.0.1"]);
        cmd.args(["--dir", dir.to_str().unwrap_or(".")]);
        if against_redis().is_some() {
            cmd.args(["--save", ""]);
        }
        cmd.args(extra);
        cmd.stdout(Stdio::null()).stderr(Stdio::null());
        let child = cmd.spawn().expect("spawn vigil");
        let s = Server { port, child, dir };
        s.wait_ready();
        s
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(mut c) = TcpStream::connect(("127.0.0.1", self.port)) {
                let _ = c.write_all(b"PING\r\n");
                let mut buf = [0u8; 64];
                let _ = c.set_read_timeout(Some(Duration::from_secs(1)));
                if let Ok(n) = c.read(&mut buf)
                    && n > 0
                {
                    return;
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("vigil server on port {} did not start", self.port);
    }

    /// A redis-rs client.
    pub fn client(&self) -> redis::Client {
        redis::Client::open(format!("redis://127.0.0.1:{}/", self.port)).expect("client")
    }

    /// A synchronous connection with a 10 s I/O deadline.
    pub fn conn(&self) -> redis::Connection {
        let c = self.client().get_connection().expect("connect");
        c.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        c.set_write_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        c
    }

    /// A raw TCP stream, for protocol-level tests.
    pub fn raw(&self) -> TcpStream {
        let s = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        s
    }

    /// Runs Debian's redis-cli against the server and returns stdout.
    pub fn cli(&self, args: &[&str]) -> String {
        let out = Command::new("redis-cli")
            .args(["-p", &self.port.to_string()])
            .args(args)
            .output()
            .expect("redis-cli (install redis-tools)");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Sends raw bytes and reads whatever arrives until `expect_len` bytes or a short timeout.
pub fn raw_roundtrip(s: &mut TcpStream, data: &[u8], wait: Duration) -> Vec<u8> {
    s.write_all(data).expect("write");
    let _ = s.set_read_timeout(Some(wait));
    let mut out = Vec::new();
    let mut buf = [0u8; 65536];
    loop {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(_) => break,
        }
    }
    out
}

/// Runs a command given as strings; returns the raw redis-rs value (errors become `Err`).
pub fn run(conn: &mut redis::Connection, args: &[&str]) -> redis::RedisResult<redis::Value> {
    let mut c = redis::cmd(args[0]);
    for a in &args[1..] {
        c.arg(*a);
    }
    c.query(conn)
}

/// Runs a command and converts the reply into `T`, panicking with the command on failure.
pub fn q<T: redis::FromRedisValue>(conn: &mut redis::Connection, args: &[&str]) -> T {
    let mut c = redis::cmd(args[0]);
    for a in &args[1..] {
        c.arg(*a);
    }
    match c.query(conn) {
        Ok(v) => v,
        Err(e) => panic!("{args:?} failed: {e}"),
    }
}

/// Runs a command that must fail and returns the error text as Redis sent it (`ERR ...`).
pub fn q_err(conn: &mut redis::Connection, args: &[&str]) -> String {
    match run(conn, args) {
        Ok(v) => panic!("{args:?} should fail but returned {v:?}"),
        Err(e) => {
            let code = e.code().unwrap_or("").to_string();
            let detail = e.detail().unwrap_or("").to_string();
            if code.is_empty() {
                e.to_string()
            } else {
                format!("{code} {detail}")
            }
        }
    }
}

/// One `field:value` of `INFO <section>`, or None when the server does not report it.
pub fn info_field(conn: &mut redis::Connection, section: &str, field: &str) -> Option<String> {
    let text: String = redis::cmd("INFO").arg(section).query(conn).ok()?;
    text.lines().find_map(|l| {
        l.strip_prefix(field)
            .and_then(|rest| rest.strip_prefix(':'))
            .map(|v| v.trim().to_string())
    })
}

/// Polls `cond` every 20 ms until it holds or `timeout` passes; returns whether it held.
pub fn wait_for(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
