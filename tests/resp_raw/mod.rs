//! Raw RESP access for byte-exact reply comparisons, and a throwaway real `redis-server` to
//! compare against (skipped when it is not installed).
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A connection that sends commands and returns each complete reply's exact bytes.
pub struct Raw {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Raw {
    /// Connects and, for `proto` 3, switches with HELLO 3 (its reply is discarded).
    pub fn connect(port: u16, proto: u8) -> Raw {
        let s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        let writer = s.try_clone().expect("clone");
        let mut raw = Raw {
            reader: BufReader::new(s),
            writer,
        };
        if proto == 3 {
            raw.cmd(&["HELLO", "3"]);
        }
        raw
    }

    /// Sends one command and reads one whole reply.
    pub fn cmd(&mut self, args: &[&str]) -> Vec<u8> {
        let mut out = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            out.extend_from_slice(format!("${}\r\n{a}\r\n", a.len()).as_bytes());
        }
        self.writer.write_all(&out).expect("write");
        let mut reply = Vec::new();
        self.read_reply(&mut reply);
        reply
    }

    fn read_reply(&mut self, out: &mut Vec<u8>) {
        let mut line = Vec::new();
        self.reader.read_until(b'\n', &mut line).expect("read");
        assert!(line.ends_with(b"\r\n"), "truncated reply {line:?}");
        out.extend_from_slice(&line);
        let len = || -> i64 {
            std::str::from_utf8(&line[1..line.len() - 2])
                .ok()
                .and_then(|s| s.parse().ok())
                .expect("length")
        };
        match line[0] {
            b'$' | b'=' | b'!' => {
                let n = len();
                if n >= 0 {
                    let mut body = vec![0u8; n as usize + 2];
                    std::io::Read::read_exact(&mut self.reader, &mut body).expect("read");
                    out.extend_from_slice(&body);
                }
            }
            b'*' | b'~' | b'>' => {
                for _ in 0..len().max(0) {
                    self.read_reply(out);
                }
            }
            b'%' | b'|' => {
                for _ in 0..len() * 2 {
                    self.read_reply(out);
                }
            }
            _ => {}
        }
    }
}

/// A real `redis-server` on a free port, killed on drop.
pub struct RealRedis {
    /// Its port.
    pub port: u16,
    child: Child,
}

impl RealRedis {
    /// Starts Debian's redis-server, or None when it is not installed.
    pub fn start() -> Option<RealRedis> {
        let port = super::common::free_port();
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--dir", "/tmp"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let real = RealRedis { port, child };
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Some(real);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for RealRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
