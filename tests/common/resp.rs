//! RESP on a raw socket: requests encoded by hand, replies read back either as their exact wire
//! text (to assert shapes such as `*-1` vs `$-1` vs `*0`) or as parsed values, plus builders for
//! the expected wire text.

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use super::Server;

/// A request as a RESP array of bulk strings.
pub fn encode(args: &[&str]) -> Vec<u8> {
    let mut v = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        v.extend_from_slice(format!("${}\r\n{a}\r\n", a.len()).as_bytes());
    }
    v
}

/// Wire text of a bulk string.
pub fn bulk(s: &str) -> String {
    format!("${}\r\n{s}\r\n", s.len())
}

/// Wire text of an integer.
pub fn int(n: i64) -> String {
    format!(":{n}\r\n")
}

/// Wire text of an array of already encoded items.
pub fn arr(items: &[String]) -> String {
    format!("*{}\r\n{}", items.len(), items.concat())
}

/// Wire text of an array of bulk strings.
pub fn bulks(items: &[&str]) -> String {
    arr(&items.iter().map(|s| bulk(s)).collect::<Vec<_>>())
}

/// Wire text of a double as RESP3 sends it.
pub fn dbl(s: &str) -> String {
    format!(",{s}\r\n")
}

/// A RESP value as read from the wire.
#[derive(Debug, Clone, PartialEq)]
pub enum RespValue {
    /// `+...`
    Simple(String),
    /// `-...`
    Err(String),
    /// `:...`
    Int(i64),
    /// `$...`
    Bulk(String),
    /// `$-1`, `*-1` or `_`.
    Nil,
    /// `*...`
    Arr(Vec<RespValue>),
    /// `>...`
    Push(Vec<RespValue>),
    /// `%...`
    Map(Vec<(RespValue, RespValue)>),
}

/// A connection on a raw socket: commands go out as RESP arrays, replies come back whole.
pub struct Raw {
    r: BufReader<TcpStream>,
    w: TcpStream,
    /// Read timeout outside `read_within` / `assert_quiet`.
    timeout: Duration,
}

impl Raw {
    /// A connection to a server under test, with a 5 s read timeout.
    pub fn open(s: &Server) -> Raw {
        Raw::on(s.raw(), Duration::from_secs(5))
    }

    /// A connection to any server on a loopback port (10 s read timeout); for `proto` 3 it
    /// switches with HELLO 3 and discards that reply.
    pub fn connect(port: u16, proto: u8) -> Raw {
        let s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        let mut raw = Raw::on(s, Duration::from_secs(10));
        if proto == 3 {
            raw.cmd(&["HELLO", "3"]);
        }
        raw
    }

    fn on(w: TcpStream, timeout: Duration) -> Raw {
        w.set_read_timeout(Some(timeout)).expect("timeout");
        let r = BufReader::new(w.try_clone().expect("clone"));
        Raw { r, w, timeout }
    }

    /// Sends one command without reading anything.
    pub fn send(&mut self, args: &[&str]) {
        self.write_raw(&encode(args));
    }

    /// Sends bytes as they are.
    pub fn write_raw(&mut self, bytes: &[u8]) {
        self.w.write_all(bytes).expect("write");
    }

    /// Closes both directions of the socket.
    pub fn shutdown(&self) {
        let _ = self.w.shutdown(std::net::Shutdown::Both);
    }

    /// Sends a command that is expected to block, and returns once the server has run it: a
    /// PING travels in the same write, and the server answers it only after executing every
    /// request of that read, so seeing PONG means the blocking command is already queued.
    pub fn block(&mut self, args: &[&str]) {
        let mut batch = encode(&["PING"]);
        batch.extend(encode(args));
        self.write_raw(&batch);
        assert_eq!(self.read(), "+PONG\r\n");
    }

    /// Sends one command and returns its whole reply as wire text.
    pub fn cmd(&mut self, args: &[&str]) -> String {
        self.send(args);
        self.read()
    }

    /// Reads one whole reply as wire text (panics after the read timeout).
    pub fn read(&mut self) -> String {
        let mut out = Vec::new();
        read_reply(&mut self.r, &mut out).expect("reply");
        String::from_utf8_lossy(&out).into_owned()
    }

    /// One reply if it arrives within `ms`, None if nothing came.
    pub fn read_within(&mut self, ms: u64) -> Option<String> {
        self.set_timeout(Duration::from_millis(ms));
        let mut out = Vec::new();
        let got = match read_reply(&mut self.r, &mut out) {
            Ok(()) => Some(String::from_utf8_lossy(&out).into_owned()),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => None,
            Err(e) => panic!("read failed: {e}"),
        };
        self.set_timeout(self.timeout);
        got
    }

    /// Nothing more is waiting to be read within a short while.
    pub fn assert_quiet(&mut self) {
        self.set_timeout(Duration::from_millis(100));
        let got = self.r.fill_buf().map(|b| b.to_vec());
        if let Ok(bytes) = got {
            assert!(
                bytes.is_empty(),
                "unexpected data: {:?}",
                String::from_utf8_lossy(&bytes)
            );
        }
        self.set_timeout(self.timeout);
    }

    fn set_timeout(&self, t: Duration) {
        self.w.set_read_timeout(Some(t)).expect("timeout");
    }

    /// Sends one command and parses its reply.
    pub fn call(&mut self, args: &[&str]) -> RespValue {
        self.send(args);
        self.read_value()
    }

    /// Switches to RESP3.
    pub fn hello3(&mut self) {
        match self.call(&["HELLO", "3"]) {
            RespValue::Map(_) => {}
            other => panic!("HELLO 3 replied {other:?}"),
        }
    }

    fn line(&mut self) -> String {
        let mut l = String::new();
        self.r.read_line(&mut l).expect("read line");
        assert!(l.ends_with("\r\n"), "truncated line {l:?}");
        l.truncate(l.len() - 2);
        l
    }

    /// Reads and parses one reply.
    pub fn read_value(&mut self) -> RespValue {
        let l = self.line();
        let (t, rest) = l.split_at(1);
        let n = || rest.parse::<i64>().expect("length");
        match t {
            "+" => RespValue::Simple(rest.into()),
            "-" => RespValue::Err(rest.into()),
            ":" => RespValue::Int(n()),
            "_" => RespValue::Nil,
            "$" if n() < 0 => RespValue::Nil,
            "$" => {
                let mut data = vec![0u8; n() as usize + 2];
                self.r.read_exact(&mut data).expect("bulk");
                data.truncate(data.len() - 2);
                RespValue::Bulk(String::from_utf8(data).expect("utf8"))
            }
            "*" if n() < 0 => RespValue::Nil,
            "*" => RespValue::Arr((0..n()).map(|_| self.read_value()).collect()),
            ">" => RespValue::Push((0..n()).map(|_| self.read_value()).collect()),
            "%" => RespValue::Map(
                (0..n())
                    .map(|_| (self.read_value(), self.read_value()))
                    .collect(),
            ),
            _ => panic!("unexpected RESP line {l:?}"),
        }
    }
}

/// Appends one whole reply's bytes to `out`, following lengths into nested replies.
fn read_reply(r: &mut impl BufRead, out: &mut Vec<u8>) -> std::io::Result<()> {
    let start = out.len();
    r.read_until(b'\n', out)?;
    let line = &out[start..];
    if !line.ends_with(b"\r\n") {
        return Err(std::io::Error::new(
            ErrorKind::UnexpectedEof,
            format!("truncated reply {line:?}"),
        ));
    }
    let kind = line[0];
    let n: Option<i64> = line
        .get(1..line.len() - 2)
        .and_then(|b| std::str::from_utf8(b).ok())
        .and_then(|s| s.parse().ok());
    let len = move || n.ok_or_else(|| std::io::Error::new(ErrorKind::InvalidData, "bad length"));
    match kind {
        b'$' | b'=' | b'!' => {
            let n = len()?;
            if n >= 0 {
                let mut body = vec![0u8; n as usize + 2];
                r.read_exact(&mut body)?;
                out.extend_from_slice(&body);
            }
        }
        b'*' | b'~' | b'>' => {
            for _ in 0..len()?.max(0) {
                read_reply(r, out)?;
            }
        }
        b'%' | b'|' => {
            for _ in 0..len()?.max(0) * 2 {
                read_reply(r, out)?;
            }
        }
        _ => {}
    }
    Ok(())
}
