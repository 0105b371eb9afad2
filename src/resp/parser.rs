//! Incremental request parser for client connections.
//!
//! Requests arrive as RESP multibulk arrays (`*2\r\n$3\r\nGET\r\n$1\r\nk\r\n`) or as inline
//! commands typed in telnet (`GET k\r\n`). The parser keeps its position across reads so a large
//! argument that trickles in is never re-scanned, it never allocates memory based on a length a
//! client merely declared, and every malformed input yields the exact `Protocol error` text Redis
//! sends before it closes the connection.

use bytes::{Buf, Bytes, BytesMut};

/// Bounds a client may not exceed; mirrors `proto-max-bulk-len` and `client-query-buffer-limit`.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Largest accepted bulk argument (`proto-max-bulk-len`).
    pub max_bulk_len: usize,
    /// Largest amount of unparsed input we buffer for one client (`client-query-buffer-limit`).
    pub max_query_buffer: usize,
    /// Largest multibulk element count; Redis allows 1024*1024 for clients.
    pub max_multibulk_len: usize,
    /// Largest inline request line; Redis uses 64 KiB (`PROTO_INLINE_MAX_SIZE`).
    pub max_inline_len: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bulk_len: 512 * 1024 * 1024,
            max_query_buffer: 1024 * 1024 * 1024,
            max_multibulk_len: 1024 * 1024,
            max_inline_len: 64 * 1024,
        }
    }
}

/// A request the server cannot make sense of; the connection is closed after the reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolError(pub String);

impl ProtocolError {
    fn new(msg: impl Into<String>) -> Self {
        ProtocolError(msg.into())
    }

    /// The full error line as Redis sends it (without the leading '-').
    pub fn reply_text(&self) -> String {
        format!("ERR Protocol error: {}", self.0)
    }
}

impl std::fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Protocol error: {}", self.0)
    }
}

impl std::error::Error for ProtocolError {}

/// Per-connection parser state: what part of a multibulk request has been consumed so far.
#[derive(Debug, Default)]
pub struct RequestParser {
    /// Arguments of the multibulk request in progress.
    args: Vec<Bytes>,
    /// Elements still expected in the current multibulk request (0 = none in progress).
    pending_elements: usize,
    /// Length of the bulk argument whose header has been read, if any.
    pending_bulk: Option<usize>,
}

fn find_crlf(buf: &[u8], max: usize) -> Option<usize> {
    let window = &buf[..buf.len().min(max.saturating_add(2))];
    memchr::memchr(b'\n', window).map(|nl| {
        if nl > 0 && buf[nl - 1] == b'\r' {
            nl - 1
        } else {
            nl
        }
    })
}

/// Parses an ASCII decimal integer the way Redis's `string2ll` does; None on any junk.
fn parse_len(digits: &[u8]) -> Option<i64> {
    if digits.is_empty() || digits.len() > 20 {
        return None;
    }
    let (neg, body) = match digits[0] {
        b'-' => (true, &digits[1..]),
        _ => (false, digits),
    };
    if body.is_empty() {
        return None;
    }
    let mut v: i64 = 0;
    for &c in body {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((c - b'0') as i64)?;
    }
    Some(if neg { -v } else { v })
}

impl RequestParser {
    /// Creates a parser with no request in progress.
    pub fn new() -> Self {
        Self::default()
    }

    /// True while part of a request has been consumed but not completed.
    pub fn in_progress(&self) -> bool {
        self.pending_elements > 0
    }

    /// Extracts the next complete request from `buf`, consuming its bytes.
    ///
    /// Returns `Ok(None)` when more input is needed, `Ok(Some(args))` for a request (an empty
    /// inline line yields an empty vector, which callers skip), or a protocol error.
    pub fn parse(
        &mut self,
        buf: &mut BytesMut,
        limits: &Limits,
    ) -> Result<Option<Vec<Bytes>>, ProtocolError> {
        if self.pending_elements == 0 {
            if buf.is_empty() {
                return Ok(None);
            }
            if buf[0] != b'*' {
                return self.parse_inline(buf, limits);
            }
            let Some(end) = find_crlf(buf, limits.max_inline_len) else {
                if buf.len() > limits.max_inline_len {
                    return Err(ProtocolError::new("too big mbulk count string"));
                }
                return Ok(None);
            };
            let count = parse_len(&buf[1..end])
                .filter(|&n| n <= limits.max_multibulk_len as i64)
                .ok_or_else(|| ProtocolError::new("invalid multibulk length"))?;
            advance_line(buf, end);
            if count <= 0 {
                return Ok(Some(Vec::new()));
            }
            self.pending_elements = count as usize;
            // Reserve modestly: a client declaring a million elements must send them first.
            self.args = Vec::with_capacity(self.pending_elements.min(16));
        }
        while self.pending_elements > 0 {
            let len = match self.pending_bulk {
                Some(len) => len,
                None => {
                    if buf.is_empty() {
                        return Ok(None);
                    }
                    let Some(end) = find_crlf(buf, limits.max_inline_len) else {
                        if buf.len() > limits.max_inline_len {
                            return Err(ProtocolError::new("too big bulk count string"));
                        }
                        return Ok(None);
                    };
                    if buf[0] != b'$' {
                        let got = String::from_utf8_lossy(&buf[..1]).into_owned();
                        return Err(ProtocolError::new(format!("expected '$', got '{got}'")));
                    }
                    let len = parse_len(&buf[1..end])
                        .filter(|&n| n >= 0 && n as u64 <= limits.max_bulk_len as u64)
                        .ok_or_else(|| ProtocolError::new("invalid bulk length"))?;
                    advance_line(buf, end);
                    self.pending_bulk = Some(len as usize);
                    len as usize
                }
            };
            if buf.len() < len + 2 {
                return Ok(None);
            }
            let arg = buf.split_to(len).freeze();
            buf.advance(2);
            self.args.push(arg);
            self.pending_bulk = None;
            self.pending_elements -= 1;
        }
        Ok(Some(std::mem::take(&mut self.args)))
    }

    fn parse_inline(
        &mut self,
        buf: &mut BytesMut,
        limits: &Limits,
    ) -> Result<Option<Vec<Bytes>>, ProtocolError> {
        let Some(nl) = memchr::memchr(b'\n', buf) else {
            if buf.len() > limits.max_inline_len {
                return Err(ProtocolError::new("too big inline request"));
            }
            return Ok(None);
        };
        let line = buf.split_to(nl + 1).freeze();
        let mut text = &line[..nl];
        if text.last() == Some(&b'\r') {
            text = &text[..text.len() - 1];
        }
        match split_inline(text) {
            Some(words) => Ok(Some(words)),
            None => Err(ProtocolError::new("unbalanced quotes in request")),
        }
    }
}

fn advance_line(buf: &mut BytesMut, end: usize) {
    let skip = if buf.get(end) == Some(&b'\r') {
        end + 2
    } else {
        end + 1
    };
    buf.advance(skip.min(buf.len()));
}

/// Splits an inline command line into words, honouring Redis's quoting rules
/// (double quotes with escapes, single quotes). None when quotes are unbalanced.
pub fn split_inline(line: &[u8]) -> Option<Vec<Bytes>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < line.len() {
        while i < line.len() && line[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= line.len() {
            break;
        }
        let mut word = Vec::new();
        let mut in_dq = false;
        let mut in_sq = false;
        loop {
            if in_dq {
                let c = *line.get(i)?;
                if c == b'\\' && i + 3 < line.len() && line[i + 1] == b'x' {
                    let hex = |b: u8| (b as char).to_digit(16);
                    if let (Some(h), Some(l)) = (hex(line[i + 2]), hex(line[i + 3])) {
                        word.push((h * 16 + l) as u8);
                        i += 4;
                        continue;
                    }
                }
                if c == b'\\' && i + 1 < line.len() {
                    let e = line[i + 1];
                    word.push(match e {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 8,
                        b'a' => 7,
                        other => other,
                    });
                    i += 2;
                } else if c == b'"' {
                    if i + 1 < line.len() && !line[i + 1].is_ascii_whitespace() {
                        return None;
                    }
                    i += 1;
                    break;
                } else {
                    word.push(c);
                    i += 1;
                }
            } else if in_sq {
                let c = *line.get(i)?;
                if c == b'\\' && line.get(i + 1) == Some(&b'\'') {
                    word.push(b'\'');
                    i += 2;
                } else if c == b'\'' {
                    if i + 1 < line.len() && !line[i + 1].is_ascii_whitespace() {
                        return None;
                    }
                    i += 1;
                    break;
                } else {
                    word.push(c);
                    i += 1;
                }
            } else {
                match line.get(i) {
                    None => break,
                    Some(c) if c.is_ascii_whitespace() => break,
                    Some(b'"') => {
                        in_dq = true;
                        i += 1;
                    }
                    Some(b'\'') => {
                        in_sq = true;
                        i += 1;
                    }
                    Some(&c) => {
                        word.push(c);
                        i += 1;
                    }
                }
            }
        }
        out.push(Bytes::from(word));
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(input: &[u8]) -> Result<Vec<Vec<Bytes>>, ProtocolError> {
        let mut p = RequestParser::new();
        let mut buf = BytesMut::from(input);
        let mut out = Vec::new();
        while let Some(req) = p.parse(&mut buf, &Limits::default())? {
            out.push(req);
        }
        Ok(out)
    }

    #[test]
    fn multibulk_and_pipeline() {
        let reqs = parse_all(b"*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n").unwrap();
        assert_eq!(reqs.len(), 2);
        assert_eq!(reqs[1][1], Bytes::from_static(b"k"));
    }

    #[test]
    fn inline_with_quotes() {
        let reqs = parse_all(b"SET k \"a b\\n\" 'c'\r\n").unwrap();
        assert_eq!(
            reqs[0],
            vec![
                Bytes::from("SET"),
                Bytes::from("k"),
                Bytes::from("a b\n"),
                Bytes::from("c")
            ]
        );
    }

    #[test]
    fn incremental_feed_byte_by_byte() {
        let input = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n";
        let mut p = RequestParser::new();
        let mut buf = BytesMut::new();
        let mut got = None;
        for &b in input.iter() {
            buf.extend_from_slice(&[b]);
            if let Some(r) = p.parse(&mut buf, &Limits::default()).unwrap() {
                got = Some(r);
            }
        }
        assert_eq!(got.unwrap()[2], Bytes::from("hello"));
    }

    #[test]
    fn errors_match_redis() {
        assert_eq!(
            parse_all(b"*abc\r\n").unwrap_err().0,
            "invalid multibulk length"
        );
        assert_eq!(
            parse_all(b"*1\r\nfoo\r\n").unwrap_err().0,
            "expected '$', got 'f'"
        );
        assert_eq!(
            parse_all(b"*1\r\n$-3\r\n").unwrap_err().0,
            "invalid bulk length"
        );
        assert_eq!(
            parse_all(b"SET \"abc\r\n").unwrap_err().0,
            "unbalanced quotes in request"
        );
        let big = b"*1\r\n$1073741824\r\n";
        let limits = Limits {
            max_bulk_len: 512 * 1024 * 1024,
            ..Limits::default()
        };
        let mut p = RequestParser::new();
        let mut buf = BytesMut::from(&big[..]);
        assert_eq!(
            p.parse(&mut buf, &limits).unwrap_err().0,
            "invalid bulk length"
        );
    }

    #[test]
    fn declared_bulk_is_not_preallocated() {
        let mut p = RequestParser::new();
        let mut buf = BytesMut::from(&b"*1\r\n$500000000\r\nabc"[..]);
        assert!(p.parse(&mut buf, &Limits::default()).unwrap().is_none());
        assert!(buf.capacity() < 1024 * 1024);
    }
}
