//! Test harness: starts the real `vigil` binary on a free loopback port and cleans it up, and
//! the helpers integration tests share (queries, waits, INFO fields, raw RESP, real Redis).
#![allow(dead_code)]

pub mod info;
pub mod persist;
pub mod real_redis;
pub mod resp;
pub mod rng;

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
        // A port that was free when picked can be taken by a parallel test before the server
        // binds it; the server then exits, and we try again on another port.
        for _ in 0..5 {
            let port = free_port();
            let dir =
                std::env::temp_dir().join(format!("vigil-test-{}-{}", std::process::id(), port));
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
            let mut s = Server { port, child, dir };
            if s.wait_ready() {
                return s;
            }
        }
        panic!("vigil server did not start after 5 attempts");
    }

    /// Waits until the server answers; false if our child exited first (port taken).
    fn wait_ready(&mut self) -> bool {
        let port = self.port;
        let answers_ping = || {
            let Ok(mut c) = TcpStream::connect(("127.0.0.1", port)) else {
                return false;
            };
            let _ = c.write_all(b"PING\r\n");
            let mut buf = [0u8; 64];
            let _ = c.set_read_timeout(Some(Duration::from_secs(1)));
            matches!(c.read(&mut buf), Ok(n) if n > 0)
        };
        let child = &mut self.child;
        let mut exited = false;
        let up = wait_for(Duration::from_secs(10), || {
            if matches!(child.try_wait(), Ok(Some(_))) {
                exited = true;
                return true;
            }
            answers_ping()
        });
        if !up {
            panic!("vigil server on port {port} did not start");
        }
        // Answering is not enough: another test's server may own the port.
        !exited && matches!(self.child.try_wait(), Ok(None))
    }

    /// A redis-rs client.
    pub fn client(&self) -> redis::Client {
        redis::Client::open(format!("redis://127.0.0.1:{}/", self.port)).expect("client")
    }

    /// A synchronous connection with a 10 s I/O deadline.
    pub fn conn(&self) -> redis::Connection {
        connect(&format!("redis://127.0.0.1:{}/", self.port))
    }

    /// A synchronous RESP3 connection with a 10 s I/O deadline.
    pub fn conn3(&self) -> redis::Connection {
        connect(&format!("redis://127.0.0.1:{}/?protocol=resp3", self.port))
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

/// A synchronous redis-rs connection to `url` with a 10 s I/O deadline.
pub fn connect(url: &str) -> redis::Connection {
    let c = redis::Client::open(url)
        .expect("client")
        .get_connection()
        .expect("connect");
    c.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    c.set_write_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    c
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Sends raw bytes and reads whatever arrives until the connection closes or `wait` passes
/// without data.
pub fn raw_roundtrip(s: &mut TcpStream, data: &[u8], wait: Duration) -> Vec<u8> {
    s.write_all(data).expect("write");
    read_all(s, wait).0
}

/// Reads until the server closes the connection (or resets it) or `wait` passes without data.
/// Returns the bytes and whether the connection was closed.
pub fn read_all(s: &mut TcpStream, wait: Duration) -> (Vec<u8>, bool) {
    let _ = s.set_read_timeout(Some(wait));
    let mut out = Vec::new();
    let mut buf = vec![0u8; 65536];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return (out, true),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return (out, false);
            }
            Err(_) => return (out, true),
        }
    }
}

/// Runs a command given as strings; returns the raw redis-rs value (errors become `Err`).
pub fn run(conn: &mut redis::Connection, args: &[&str]) -> redis::RedisResult<redis::Value> {
    command(args).query(conn)
}

fn command(args: &[&str]) -> redis::Cmd {
    let mut c = redis::cmd(args[0]);
    for a in &args[1..] {
        c.arg(*a);
    }
    c
}

/// Runs a command and converts the reply into `T`, panicking with the command on failure.
pub fn q<T: redis::FromRedisValue>(conn: &mut redis::Connection, args: &[&str]) -> T {
    match command(args).query(conn) {
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

/// Walks a SCAN-family cursor from 0 to the end, handing each page's items to `page` with the
/// connection (which it may use between pages): `cmd` are the words before the cursor
/// (`["HSCAN", "h"]`), `opts` those after it.
pub fn scan_pages(
    c: &mut redis::Connection,
    cmd: &[&str],
    opts: &[&str],
    mut page: impl FnMut(&mut redis::Connection, Vec<String>),
) {
    let mut cursor = "0".to_string();
    loop {
        let mut args = cmd.to_vec();
        args.push(&cursor);
        args.extend_from_slice(opts);
        let (next, items): (String, Vec<String>) = q(c, &args);
        page(c, items);
        cursor = next;
        if cursor == "0" {
            return;
        }
    }
}

/// Every item of a whole SCAN-family iteration, in order (see `scan_pages`).
pub fn scan_all(c: &mut redis::Connection, cmd: &[&str], opts: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    scan_pages(c, cmd, opts, |_, items| out.extend(items));
    out
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

/// Sleeps for `ms` milliseconds (lets time-based state such as expiry move on).
pub fn sleep_ms(ms: u64) {
    std::thread::sleep(Duration::from_millis(ms));
}

/// The strings in sorted order, for comparing replies whose order is unspecified.
pub fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// Directives that allow DEBUG, which is refused unless enabled, as in Redis.
pub const DEBUG: &[&str] = &["--enable-debug-command", "yes"];

/// Redis's error for a command run against a key of another type.
pub const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
