//! Client-side RESP2/RESP3 decoder: turns what a Redis server (or another sentinel) sends back
//! into [`Reply`] values.
//!
//! The sentinel talks to servers it does not control, so the decoder is incremental (a reply that
//! trickles in is not re-scanned until enough bytes have arrived to make progress), bounded
//! (declared lengths, nesting and line lengths are capped, and nothing is allocated on the
//! strength of a declared length alone) and total: every input yields a reply, "need more
//! bytes", or an error, never a panic.

use bytes::{Buf, Bytes, BytesMut};

use super::Reply;

/// Bounds on what a peer may send.
#[derive(Clone, Copy, Debug)]
pub struct DecodeLimits {
    /// Largest bulk string, verbatim string or blob error.
    pub max_bulk_len: usize,
    /// Largest element count of one aggregate.
    pub max_elements: usize,
    /// Deepest nesting of aggregates.
    pub max_depth: usize,
    /// Longest simple line (status, error, number).
    pub max_line_len: usize,
}

impl Default for DecodeLimits {
    fn default() -> Self {
        DecodeLimits {
            max_bulk_len: 512 * 1024 * 1024,
            max_elements: 1024 * 1024,
            max_depth: 64,
            max_line_len: 64 * 1024,
        }
    }
}

/// Why a byte stream is not valid RESP; the connection cannot be resynchronised after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError(pub String);

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RESP decode error: {}", self.0)
    }
}

impl std::error::Error for DecodeError {}

fn err<T>(msg: impl Into<String>) -> Result<T, DecodeError> {
    Err(DecodeError(msg.into()))
}

/// Outcome of parsing at one position of the buffer.
enum Step {
    /// A complete value and the position just after it.
    Done(Reply, usize),
    /// Not enough bytes: nothing can progress before the buffer holds this many bytes.
    Need(usize),
}

/// Per-connection decoder state.
#[derive(Debug, Default)]
pub struct Decoder {
    limits: DecodeLimits,
    /// Buffer length below which a new attempt cannot succeed.
    need: usize,
}

impl Decoder {
    /// A decoder with the given bounds.
    pub fn new(limits: DecodeLimits) -> Self {
        Decoder { limits, need: 0 }
    }

    /// Takes one complete reply off the front of `buf`, `Ok(None)` when more bytes are needed.
    /// RESP3 attributes are consumed and dropped (they are metadata about the reply that follows).
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Reply>, DecodeError> {
        loop {
            if buf.is_empty() || buf.len() < self.need {
                return Ok(None);
            }
            match parse(buf, 0, 0, &self.limits)? {
                Step::Need(n) => {
                    self.need = n;
                    return Ok(None);
                }
                Step::Done(reply, end) => {
                    self.need = 0;
                    buf.advance(end);
                    if matches!(reply, Reply::Attribute(_)) {
                        continue;
                    }
                    return Ok(Some(reply));
                }
            }
        }
    }
}

/// Finds the CRLF ending the line that starts at `start`; `Ok(None)` if not there yet.
fn line_end(buf: &[u8], start: usize, limits: &DecodeLimits) -> Result<Option<usize>, DecodeError> {
    let window_end = buf.len().min(start.saturating_add(limits.max_line_len + 2));
    let Some(rel) = memchr::memchr(b'\n', &buf[start..window_end]) else {
        if window_end - start > limits.max_line_len + 1 {
            return err("line too long");
        }
        return Ok(None);
    };
    let nl = start + rel;
    if nl == start || buf[nl - 1] != b'\r' {
        return err("line not terminated by CRLF");
    }
    Ok(Some(nl - 1))
}

fn parse_i64(s: &[u8]) -> Option<i64> {
    let (neg, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || digits.len() > 19 {
        return None;
    }
    let mut v: i64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?;
        v = if neg {
            v.checked_sub(i64::from(d - b'0'))?
        } else {
            v.checked_add(i64::from(d - b'0'))?
        };
    }
    Some(v)
}

fn parse_double(s: &[u8]) -> Option<f64> {
    let text = std::str::from_utf8(s).ok()?;
    match text {
        "inf" | "+inf" => Some(f64::INFINITY),
        "-inf" => Some(f64::NEG_INFINITY),
        "nan" | "-nan" => Some(f64::NAN),
        t if t.is_empty() || t.contains(|c: char| c.is_ascii_whitespace()) => None,
        t => t.parse().ok(),
    }
}

fn text(s: &[u8]) -> String {
    String::from_utf8_lossy(s).into_owned()
}

/// Parses one value starting at `pos`.
fn parse(buf: &[u8], pos: usize, depth: usize, limits: &DecodeLimits) -> Result<Step, DecodeError> {
    if pos >= buf.len() {
        return Ok(Step::Need(pos + 1));
    }
    let kind = buf[pos];
    let Some(end) = line_end(buf, pos + 1, limits)? else {
        return Ok(Step::Need(buf.len() + 1));
    };
    let line = &buf[pos + 1..end];
    let after = end + 2;
    match kind {
        b'+' => Ok(Step::Done(Reply::Status(text(line)), after)),
        b'-' => Ok(Step::Done(Reply::Error(text(line)), after)),
        b':' => match parse_i64(line) {
            Some(v) => Ok(Step::Done(Reply::Int(v), after)),
            None => err("invalid integer"),
        },
        b'_' if line.is_empty() => Ok(Step::Done(Reply::Null, after)),
        b'_' => err("invalid null"),
        b'#' => match line {
            b"t" => Ok(Step::Done(Reply::Bool(true), after)),
            b"f" => Ok(Step::Done(Reply::Bool(false), after)),
            _ => err("invalid boolean"),
        },
        b',' => match parse_double(line) {
            Some(d) => Ok(Step::Done(Reply::Double(d), after)),
            None => err("invalid double"),
        },
        b'(' => {
            let digits = line.strip_prefix(b"-").unwrap_or(line);
            if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
                return err("invalid big number");
            }
            Ok(Step::Done(Reply::BigNum(text(line)), after))
        }
        b'$' | b'=' | b'!' => {
            let Some(len) = parse_i64(line) else {
                return err("invalid bulk length");
            };
            if len == -1 && kind == b'$' {
                return Ok(Step::Done(Reply::Null, after));
            }
            if len < 0 || len as u64 > limits.max_bulk_len as u64 {
                return err("invalid or too large bulk length");
            }
            let len = len as usize;
            let total = after + len + 2;
            if buf.len() < total {
                return Ok(Step::Need(total));
            }
            if &buf[after + len..total] != b"\r\n" {
                return err("bulk string not terminated by CRLF");
            }
            let data = &buf[after..after + len];
            let reply = match kind {
                b'$' => Reply::Bulk(Bytes::copy_from_slice(data)),
                b'!' => Reply::Error(text(data)),
                _ => {
                    if data.len() < 4 || data[3] != b':' {
                        return err("invalid verbatim string");
                    }
                    Reply::Verbatim(text(&data[4..]))
                }
            };
            Ok(Step::Done(reply, total))
        }
        b'*' | b'~' | b'>' | b'%' | b'|' => {
            let Some(count) = parse_i64(line) else {
                return err("invalid aggregate length");
            };
            if count == -1 && kind == b'*' {
                return Ok(Step::Done(Reply::NullArray, after));
            }
            if count < 0 || count as u64 > limits.max_elements as u64 {
                return err("invalid or too large aggregate length");
            }
            if depth >= limits.max_depth {
                return err("aggregates nested too deeply");
            }
            let count = count as usize;
            let pairs = matches!(kind, b'%' | b'|');
            let items = if pairs {
                count.saturating_mul(2)
            } else {
                count
            };
            let mut out: Vec<Reply> = Vec::with_capacity(items.min(1024));
            let mut at = after;
            for _ in 0..items {
                match parse(buf, at, depth + 1, limits)? {
                    Step::Need(n) => return Ok(Step::Need(n)),
                    Step::Done(r, next) => {
                        // An attribute inside an aggregate annotates the next element.
                        if !matches!(r, Reply::Attribute(_)) {
                            out.push(r);
                        } else {
                            match parse(buf, next, depth + 1, limits)? {
                                Step::Need(n) => return Ok(Step::Need(n)),
                                Step::Done(r2, next2) => {
                                    out.push(r2);
                                    at = next2;
                                    continue;
                                }
                            }
                        }
                        at = next;
                    }
                }
            }
            let reply = match kind {
                b'*' => Reply::Array(out),
                b'~' => Reply::Set(out),
                b'>' => Reply::Push(out),
                _ => {
                    let mut pairs_out = Vec::with_capacity(out.len() / 2);
                    let mut it = out.into_iter();
                    while let (Some(k), Some(v)) = (it.next(), it.next()) {
                        pairs_out.push((k, v));
                    }
                    if kind == b'%' {
                        Reply::Map(pairs_out)
                    } else {
                        Reply::Attribute(pairs_out)
                    }
                }
            };
            Ok(Step::Done(reply, at))
        }
        _ => err(format!("unexpected type byte 0x{kind:02x}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resp::encode;
    use proptest::prelude::*;

    fn all(input: &[u8]) -> Result<Vec<Reply>, DecodeError> {
        let mut d = Decoder::default();
        let mut buf = BytesMut::from(input);
        let mut out = Vec::new();
        while let Some(r) = d.decode(&mut buf)? {
            out.push(r);
        }
        Ok(out)
    }

    fn one(input: &[u8]) -> Reply {
        let v = all(input).unwrap();
        assert_eq!(v.len(), 1, "{v:?}");
        v.into_iter().next().unwrap()
    }

    #[test]
    fn resp2_types() {
        assert_eq!(one(b"+OK\r\n"), Reply::Status("OK".into()));
        assert_eq!(one(b"-ERR unknown\r\n"), Reply::Error("ERR unknown".into()));
        assert_eq!(one(b":-12\r\n"), Reply::Int(-12));
        assert_eq!(one(b"$3\r\nabc\r\n"), Reply::bulk(b"abc"));
        assert_eq!(one(b"$0\r\n\r\n"), Reply::bulk(b""));
        assert_eq!(one(b"$-1\r\n"), Reply::Null);
        assert_eq!(one(b"*-1\r\n"), Reply::NullArray);
        assert_eq!(one(b"*0\r\n"), Reply::Array(vec![]));
        assert_eq!(
            one(b"*3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$2\r\nhi\r\n"),
            Reply::Array(vec![
                Reply::bulk(b"message"),
                Reply::bulk(b"c"),
                Reply::bulk(b"hi")
            ])
        );
        assert_eq!(one(b":9223372036854775807\r\n"), Reply::Int(i64::MAX));
        assert_eq!(one(b":-9223372036854775808\r\n"), Reply::Int(i64::MIN));
    }

    #[test]
    fn resp3_types() {
        assert_eq!(one(b"_\r\n"), Reply::Null);
        assert_eq!(one(b"#t\r\n"), Reply::Bool(true));
        assert_eq!(one(b",1.5\r\n"), Reply::Double(1.5));
        assert_eq!(one(b",-inf\r\n"), Reply::Double(f64::NEG_INFINITY));
        assert_eq!(one(b"(123\r\n"), Reply::BigNum("123".into()));
        assert_eq!(one(b"=8\r\ntxt:abcd\r\n"), Reply::Verbatim("abcd".into()));
        assert_eq!(one(b"!3\r\nERR\r\n"), Reply::Error("ERR".into()));
        assert_eq!(
            one(b"%1\r\n+a\r\n:1\r\n"),
            Reply::Map(vec![(Reply::Status("a".into()), Reply::Int(1))])
        );
        assert_eq!(one(b"~1\r\n:1\r\n"), Reply::Set(vec![Reply::Int(1)]));
        assert_eq!(one(b">1\r\n:1\r\n"), Reply::Push(vec![Reply::Int(1)]));
        // Attributes are dropped, at top level and inside aggregates.
        assert_eq!(one(b"|1\r\n+k\r\n+v\r\n:7\r\n"), Reply::Int(7));
        assert_eq!(
            one(b"*2\r\n|1\r\n+k\r\n+v\r\n:7\r\n:8\r\n"),
            Reply::Array(vec![Reply::Int(7), Reply::Int(8)])
        );
    }

    #[test]
    fn errors() {
        for bad in [
            &b"?x\r\n"[..],
            b":12a\r\n",
            b":99999999999999999999\r\n",
            b"$3\r\nabcd\r\n",
            b"$-2\r\n",
            b"*-2\r\n",
            b"+OK\n",
            b"#x\r\n",
            b",abc\r\n",
            b"=2\r\nab\r\n",
            b"(1a\r\n",
            b"_x\r\n",
        ] {
            assert!(all(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn limits_hold() {
        let limits = DecodeLimits {
            max_bulk_len: 10,
            max_elements: 4,
            max_depth: 3,
            max_line_len: 16,
        };
        let dec = |b: &[u8]| Decoder::new(limits).decode(&mut BytesMut::from(b));
        assert!(dec(b"$11\r\n").is_err());
        assert!(dec(b"*5\r\n").is_err());
        assert!(dec(b"*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n").is_err());
        assert_eq!(
            dec(b"*1\r\n*1\r\n*1\r\n:1\r\n").unwrap(),
            Some(Reply::Array(vec![Reply::Array(vec![Reply::Array(vec![
                Reply::Int(1)
            ])])]))
        );
        assert!(dec(b"+aaaaaaaaaaaaaaaaaaaaaaaaaaaa").is_err());
        assert_eq!(dec(b"+aaaaaaaaaa").unwrap(), None);
        // A huge declared aggregate is not pre-allocated: it just waits for data.
        let big = Decoder::default().decode(&mut BytesMut::from(&b"*1000000\r\n:1\r\n"[..]));
        assert_eq!(big.unwrap(), None);
    }

    #[test]
    fn incremental_and_pipelined() {
        let wire = b"+OK\r\n$5\r\nhello\r\n*2\r\n:1\r\n$3\r\nabc\r\n-ERR x\r\n";
        let expected = all(wire).unwrap();
        assert_eq!(expected.len(), 4);
        let mut d = Decoder::default();
        let mut buf = BytesMut::new();
        let mut got = Vec::new();
        for &b in wire.iter() {
            buf.extend_from_slice(&[b]);
            while let Some(r) = d.decode(&mut buf).unwrap() {
                got.push(r);
            }
        }
        assert_eq!(got, expected);
        assert!(buf.is_empty());
    }

    #[test]
    fn need_hint_skips_rescans() {
        let mut d = Decoder::default();
        let mut buf = BytesMut::from(&b"$10\r\nab"[..]);
        assert_eq!(d.decode(&mut buf).unwrap(), None);
        assert_eq!(d.need, 17);
        buf.extend_from_slice(b"cdefghij\r\n");
        assert_eq!(
            d.decode(&mut buf).unwrap(),
            Some(Reply::bulk(b"abcdefghij"))
        );
    }

    fn arb_reply() -> impl Strategy<Value = Reply> {
        let leaf = prop_oneof![
            "[a-zA-Z0-9 ]{0,12}".prop_map(Reply::Status),
            "[a-zA-Z0-9 ]{0,12}".prop_map(|s| Reply::Error(format!("ERR{s}"))),
            any::<i64>().prop_map(Reply::Int),
            proptest::collection::vec(any::<u8>(), 0..40).prop_map(|v| Reply::Bulk(v.into())),
            Just(Reply::Null),
            any::<bool>().prop_map(Reply::Bool),
            (-1e9f64..1e9).prop_map(Reply::Double),
            "[a-z]{0,10}".prop_map(Reply::Verbatim),
        ];
        leaf.prop_recursive(3, 24, 5, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..5).prop_map(Reply::Array),
                proptest::collection::vec(inner.clone(), 0..5).prop_map(Reply::Set),
                proptest::collection::vec(inner.clone(), 0..5).prop_map(Reply::Push),
                proptest::collection::vec((inner.clone(), inner), 0..3).prop_map(Reply::Map),
            ]
        })
    }

    proptest! {
        #[test]
        fn never_panics_on_garbage(data in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = all(&data);
        }

        #[test]
        fn never_panics_on_mutated_frames(r in arb_reply(), idx in any::<usize>(), byte in any::<u8>()) {
            let mut wire = Vec::new();
            encode(&r, 3, &mut wire);
            if !wire.is_empty() {
                let i = idx % wire.len();
                wire[i] = byte;
            }
            let _ = all(&wire);
        }

        #[test]
        fn round_trips_resp3(r in arb_reply(), split in any::<usize>()) {
            let mut wire = Vec::new();
            encode(&r, 3, &mut wire);
            let mut d = Decoder::default();
            let cut = split % (wire.len() + 1);
            let mut buf = BytesMut::from(&wire[..cut]);
            let mut got = d.decode(&mut buf).unwrap();
            if got.is_none() {
                buf.extend_from_slice(&wire[cut..]);
                got = d.decode(&mut buf).unwrap();
            }
            let got = got.unwrap();
            // Doubles go through text; compare their encodings instead of bit patterns.
            let mut again = Vec::new();
            encode(&got, 3, &mut again);
            prop_assert_eq!(again, wire);
            prop_assert!(buf.is_empty());
        }

        #[test]
        fn round_trips_resp2_shape(r in arb_reply()) {
            let mut wire = Vec::new();
            encode(&r, 2, &mut wire);
            let got = all(&wire).unwrap();
            prop_assert_eq!(got.len(), 1);
            let mut again = Vec::new();
            encode(&got[0], 2, &mut again);
            prop_assert_eq!(again, wire);
        }
    }
}
