//! A throwaway real `redis-server` (Debian's 7.0.15 here) to compare vigil's replies with;
//! every comparison is skipped when it is not installed.

use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::resp::Raw;
use super::{Server, connect, free_port, wait_for};

/// A real `redis-server` on a free loopback port, killed on drop.
pub struct RealRedis {
    /// Its port.
    pub port: u16,
    child: Child,
}

impl RealRedis {
    /// Starts redis-server (any version), or None when it is not installed or does not listen
    /// within 5 s.
    pub fn start() -> Option<RealRedis> {
        let port = free_port();
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--dir", "/tmp"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let real = RealRedis { port, child };
        wait_for(Duration::from_secs(5), || {
            TcpStream::connect(("127.0.0.1", port)).is_ok()
        })
        .then_some(real)
    }

    /// Like `start`, but only a 7.0 redis-server: differential tests compare against 7.0's
    /// exact behaviour.
    pub fn start_7_0() -> Option<RealRedis> {
        let v = Command::new("redis-server")
            .arg("--version")
            .output()
            .ok()?;
        if !String::from_utf8_lossy(&v.stdout).contains("v=7.0") {
            return None;
        }
        RealRedis::start()
    }

    /// A redis-rs connection with a 10 s I/O deadline.
    pub fn conn(&self) -> redis::Connection {
        connect(&format!("redis://127.0.0.1:{}/", self.port))
    }
}

impl Drop for RealRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `script` on a fresh vigil and on a real redis-server, in RESP2 then RESP3, each from a
/// flushed keyspace, and asserts byte-identical replies.
pub fn assert_replies_match_real_redis(script: &[&[&str]]) {
    let Some(real) = RealRedis::start() else {
        eprintln!("redis-server not installed; skipping comparison");
        return;
    };
    let s = Server::start(&[]);
    for proto in [2, 3] {
        let mut ours = Raw::connect(s.port, proto);
        let mut theirs = Raw::connect(real.port, proto);
        ours.cmd(&["FLUSHALL"]);
        theirs.cmd(&["FLUSHALL"]);
        for cmd in script {
            assert_eq!(ours.cmd(cmd), theirs.cmd(cmd), "RESP{proto} {cmd:?}");
        }
    }
}
