//! Replies as typed values, encoded for the protocol version each client negotiated.
//!
//! Commands build a `Reply`; the connection encodes it as RESP2 or RESP3, so no command needs to
//! know which protocol its caller speaks (maps become flat arrays in RESP2, doubles become bulk
//! strings, and so on, exactly as Redis downgrades them).

use bytes::Bytes;

/// A reply to one command, in protocol-neutral form.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// `+OK`.
    Ok,
    /// A status line such as `+PONG` or `+QUEUED`.
    Status(String),
    /// An error line; the text includes the code, e.g. `ERR syntax error`.
    Error(String),
    /// An integer.
    Int(i64),
    /// A binary-safe string.
    Bulk(Bytes),
    /// A missing value: `$-1` in RESP2, `_` in RESP3.
    Null,
    /// A missing aggregate: `*-1` in RESP2, `_` in RESP3.
    NullArray,
    /// An ordered list of replies.
    Array(Vec<Reply>),
    /// Key/value pairs: `%` in RESP3, a flat array in RESP2.
    Map(Vec<(Reply, Reply)>),
    /// An unordered collection: `~` in RESP3, an array in RESP2.
    Set(Vec<Reply>),
    /// A floating point number: `,` in RESP3, a bulk string in RESP2.
    Double(f64),
    /// A boolean: `#t`/`#f` in RESP3, `:1`/`:0` in RESP2.
    Bool(bool),
    /// Text meant for humans (`=` in RESP3 with a `txt:` prefix, a bulk string in RESP2).
    Verbatim(String),
    /// An out-of-band message (pub/sub): `>` in RESP3, an array in RESP2.
    Push(Vec<Reply>),
    /// Several complete replies sent back to back (SUBSCRIBE to many channels).
    Many(Vec<Reply>),
    /// A floating point number already formatted (Redis's human long double text, as GEOPOS
    /// sends it): `,` in RESP3, a bulk string in RESP2.
    DoubleText(String),
    /// A big number given as its decimal digits: `(` in RESP3, a bulk string in RESP2.
    BigNum(String),
    /// Out-of-band attributes preceding a reply: `|` in RESP3, nothing at all in RESP2.
    Attribute(Vec<(Reply, Reply)>),
    /// Nothing is sent (CLIENT REPLY OFF, commands that answer later).
    None,
}

impl Reply {
    /// True for out-of-band messages (a push, or several): pub/sub messages and subscription
    /// confirmations, which Redis sends even while CLIENT REPLY OFF/SKIP silences replies.
    pub fn is_push(&self) -> bool {
        match self {
            Reply::Push(_) => true,
            Reply::Many(items) => !items.is_empty() && items.iter().all(Reply::is_push),
            _ => false,
        }
    }

    /// A bulk string copied from a byte slice.
    pub fn bulk(data: &[u8]) -> Reply {
        Reply::Bulk(Bytes::copy_from_slice(data))
    }

    /// A bulk string from text.
    pub fn text(s: impl Into<String>) -> Reply {
        Reply::Bulk(Bytes::from(s.into()))
    }

    /// An error from its full text (code first).
    pub fn err(msg: impl Into<String>) -> Reply {
        Reply::Error(msg.into())
    }

    /// True for error replies (counted in errorstats, abort MULTI at queue time).
    pub fn is_error(&self) -> bool {
        matches!(self, Reply::Error(_))
    }

    /// An array of bulk strings.
    pub fn bulks<I, B>(items: I) -> Reply
    where
        I: IntoIterator<Item = B>,
        B: Into<Bytes>,
    {
        Reply::Array(items.into_iter().map(|b| Reply::Bulk(b.into())).collect())
    }
}

pub use crate::util::num::format_double;

fn push_int(out: &mut Vec<u8>, prefix: u8, v: i64) {
    out.push(prefix);
    let (buf, n) = itoa_buf(v);
    out.extend_from_slice(&buf[..n]);
    out.extend_from_slice(b"\r\n");
}

fn itoa_buf(v: i64) -> ([u8; 20], usize) {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    let neg = v < 0;
    let mut n = v.unsigned_abs();
    loop {
        i -= 1;
        tmp[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if neg {
        i -= 1;
        tmp[i] = b'-';
    }
    let len = tmp.len() - i;
    let mut out = [0u8; 20];
    out[..len].copy_from_slice(&tmp[i..]);
    (out, len)
}

fn push_len(out: &mut Vec<u8>, prefix: u8, len: usize) {
    out.push(prefix);
    let (buf, n) = itoa_buf(len as i64);
    out.extend_from_slice(&buf[..n]);
    out.extend_from_slice(b"\r\n");
}

fn push_bulk(out: &mut Vec<u8>, data: &[u8]) {
    push_len(out, b'$', data.len());
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
}

fn push_line(out: &mut Vec<u8>, prefix: u8, text: &str) {
    out.push(prefix);
    // A status or error line must not contain CR or LF; Redis replaces them with spaces.
    out.extend(
        text.bytes()
            .map(|b| if b == b'\r' || b == b'\n' { b' ' } else { b }),
    );
    out.extend_from_slice(b"\r\n");
}

/// Appends the wire form of `reply` for protocol version `resp` (2 or 3) to `out`.
pub fn encode(reply: &Reply, resp: u8, out: &mut Vec<u8>) {
    let v3 = resp >= 3;
    match reply {
        Reply::Ok => out.extend_from_slice(b"+OK\r\n"),
        Reply::Status(s) => push_line(out, b'+', s),
        Reply::Error(e) => push_line(out, b'-', e),
        Reply::Int(i) => push_int(out, b':', *i),
        Reply::Bulk(b) => push_bulk(out, b),
        Reply::Null => out.extend_from_slice(if v3 { b"_\r\n" } else { b"$-1\r\n" }),
        Reply::NullArray => out.extend_from_slice(if v3 { b"_\r\n" } else { b"*-1\r\n" }),
        Reply::Array(items) => {
            push_len(out, b'*', items.len());
            for item in items {
                encode(item, resp, out);
            }
        }
        Reply::Map(pairs) => {
            if v3 {
                push_len(out, b'%', pairs.len());
            } else {
                push_len(out, b'*', pairs.len() * 2);
            }
            for (k, v) in pairs {
                encode(k, resp, out);
                encode(v, resp, out);
            }
        }
        Reply::Set(items) => {
            push_len(out, if v3 { b'~' } else { b'*' }, items.len());
            for item in items {
                encode(item, resp, out);
            }
        }
        Reply::Double(d) => {
            let text = format_double(*d);
            if v3 {
                push_line(out, b',', &text);
            } else {
                push_bulk(out, text.as_bytes());
            }
        }
        Reply::Bool(b) => {
            if v3 {
                out.extend_from_slice(if *b { b"#t\r\n" } else { b"#f\r\n" });
            } else {
                out.extend_from_slice(if *b { b":1\r\n" } else { b":0\r\n" });
            }
        }
        Reply::Verbatim(text) => {
            if v3 {
                push_len(out, b'=', text.len() + 4);
                out.extend_from_slice(b"txt:");
                out.extend_from_slice(text.as_bytes());
                out.extend_from_slice(b"\r\n");
            } else {
                push_bulk(out, text.as_bytes());
            }
        }
        Reply::Push(items) => {
            push_len(out, if v3 { b'>' } else { b'*' }, items.len());
            for item in items {
                encode(item, resp, out);
            }
        }
        Reply::Many(replies) => {
            for r in replies {
                encode(r, resp, out);
            }
        }
        Reply::DoubleText(text) => {
            if v3 {
                push_line(out, b',', text);
            } else {
                push_bulk(out, text.as_bytes());
            }
        }
        Reply::BigNum(digits) => {
            if v3 {
                push_line(out, b'(', digits);
            } else {
                push_bulk(out, digits.as_bytes());
            }
        }
        Reply::Attribute(pairs) => {
            if v3 {
                push_len(out, b'|', pairs.len());
                for (k, v) in pairs {
                    encode(k, resp, out);
                    encode(v, resp, out);
                }
            }
        }
        Reply::None => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(r: &Reply, v: u8) -> String {
        let mut out = Vec::new();
        encode(r, v, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn resp2_and_resp3_forms() {
        let m = Reply::Map(vec![(Reply::text("a"), Reply::Int(1))]);
        assert_eq!(enc(&m, 2), "*2\r\n$1\r\na\r\n:1\r\n");
        assert_eq!(enc(&m, 3), "%1\r\n$1\r\na\r\n:1\r\n");
        assert_eq!(enc(&Reply::Null, 2), "$-1\r\n");
        assert_eq!(enc(&Reply::Null, 3), "_\r\n");
        assert_eq!(enc(&Reply::Double(1.5), 2), "$3\r\n1.5\r\n");
        assert_eq!(enc(&Reply::Double(1.5), 3), ",1.5\r\n");
        assert_eq!(enc(&Reply::Int(-42), 2), ":-42\r\n");
        assert_eq!(enc(&Reply::Int(i64::MIN), 2), ":-9223372036854775808\r\n");
        assert_eq!(enc(&Reply::BigNum("12".into()), 2), "$2\r\n12\r\n");
        assert_eq!(enc(&Reply::BigNum("12".into()), 3), "(12\r\n");
        let attr = Reply::Attribute(vec![(Reply::text("k"), Reply::Int(1))]);
        assert_eq!(enc(&attr, 2), "");
        assert_eq!(enc(&attr, 3), "|1\r\n$1\r\nk\r\n:1\r\n");
    }

    #[test]
    fn doubles_like_redis() {
        assert_eq!(format_double(1.1), "1.1000000000000001");
        assert_eq!(format_double(3.0), "3");
        assert_eq!(format_double(f64::INFINITY), "inf");
        assert_eq!(format_double(0.5), "0.5");
        assert_eq!(format_double(1e20), "1e+20");
    }
}
