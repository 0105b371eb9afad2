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
    /// Largest multibulk element count; Redis 7.0 allows up to `INT_MAX`.
    pub max_multibulk_len: usize,
    /// Largest inline request line; Redis uses 64 KiB (`PROTO_INLINE_MAX_SIZE`).
    pub max_inline_len: usize,
    /// The client still has to authenticate: Redis then refuses more than 10 elements and bulks
    /// over 16 KiB, so an anonymous peer cannot make the server buffer much.
    pub unauthenticated: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bulk_len: 512 * 1024 * 1024,
            max_query_buffer: 1024 * 1024 * 1024,
            max_multibulk_len: i32::MAX as usize,
            max_inline_len: 64 * 1024,
            unauthenticated: false,
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

/// Largest element count an unauthenticated client may declare.
const UNAUTH_MAX_MULTIBULK: i64 = 10;
/// Largest bulk an unauthenticated client may declare.
const UNAUTH_MAX_BULK: i64 = 16 * 1024;

/// Finds `needle` the way Redis's `strchr` on the query buffer does: a NUL byte ends the search,
/// so a line containing one is never complete (and eventually hits the size limit).
fn find_stop_at_nul(buf: &[u8], needle: u8) -> Option<usize> {
    memchr::memchr2(needle, 0, buf).filter(|&i| buf[i] == needle)
}

/// Locates the end of a `*<n>` or `$<n>` header line. Redis looks for the '\r' and, once one more
/// byte has arrived, skips two bytes without checking that the second one is '\n'.
/// Returns the index of the '\r'; `Ok(None)` while incomplete.
fn header_end(
    buf: &[u8],
    limits: &Limits,
    too_big: &'static str,
) -> Result<Option<usize>, ProtocolError> {
    match find_stop_at_nul(buf, b'\r') {
        Some(cr) if cr + 2 <= buf.len() => Ok(Some(cr)),
        Some(_) => Ok(None),
        None if buf.len() > limits.max_inline_len => Err(ProtocolError::new(too_big)),
        None => Ok(None),
    }
}

/// Parses a header number with Redis's `string2ll` rules (no sign '+', no leading zeros).
fn parse_len(digits: &[u8]) -> Option<i64> {
    crate::util::num::parse_i64(digits)
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
            let Some(end) = header_end(buf, limits, "too big mbulk count string")? else {
                return Ok(None);
            };
            let count = parse_len(&buf[1..end])
                .filter(|&n| n <= limits.max_multibulk_len as i64)
                .ok_or_else(|| ProtocolError::new("invalid multibulk length"))?;
            if limits.unauthenticated && count > UNAUTH_MAX_MULTIBULK {
                return Err(ProtocolError::new("unauthenticated multibulk length"));
            }
            buf.advance(end + 2);
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
                    let Some(end) = header_end(buf, limits, "too big bulk count string")? else {
                        return Ok(None);
                    };
                    if buf[0] != b'$' {
                        let got = String::from_utf8_lossy(&buf[..1]).into_owned();
                        return Err(ProtocolError::new(format!("expected '$', got '{got}'")));
                    }
                    let len = parse_len(&buf[1..end])
                        .filter(|&n| n >= 0 && n as u64 <= limits.max_bulk_len as u64)
                        .ok_or_else(|| ProtocolError::new("invalid bulk length"))?;
                    if limits.unauthenticated && len > UNAUTH_MAX_BULK {
                        return Err(ProtocolError::new("unauthenticated bulk length"));
                    }
                    buf.advance(end + 2);
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
        let Some(nl) = find_stop_at_nul(buf, b'\n') else {
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

/// C's `isspace`: unlike `u8::is_ascii_whitespace` it includes the vertical tab.
fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// Splits an inline command line into words, honouring Redis's quoting rules
/// (double quotes with escapes, single quotes). None when quotes are unbalanced.
///
/// As in Redis's `sdssplitargs`, words are separated by any `isspace` run and a closing quote
/// must be followed by `isspace`, but an unquoted word only ends at space, tab, CR or LF.
pub fn split_inline(line: &[u8]) -> Option<Vec<Bytes>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < line.len() {
        while i < line.len() && is_space(line[i]) {
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
                    if i + 1 < line.len() && !is_space(line[i + 1]) {
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
                    if i + 1 < line.len() && !is_space(line[i + 1]) {
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
                    Some(b' ' | b'\t' | b'\n' | b'\r') => break,
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

    /// The protocol error `input` ends with under the default limits.
    fn parse_err(input: &[u8]) -> String {
        parse_all(input).unwrap_err().0
    }

    /// One parse step of `input` on a fresh parser: whether a whole request came out.
    fn parse_once(input: &[u8], limits: &Limits) -> Result<bool, ProtocolError> {
        let mut p = RequestParser::new();
        let mut buf = BytesMut::from(input);
        p.parse(&mut buf, limits).map(|r| r.is_some())
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
        assert_eq!(parse_err(b"*abc\r\n"), "invalid multibulk length");
        assert_eq!(parse_err(b"*1\r\nfoo\r\n"), "expected '$', got 'f'");
        assert_eq!(parse_err(b"*1\r\n$-3\r\n"), "invalid bulk length");
        assert_eq!(parse_err(b"SET \"abc\r\n"), "unbalanced quotes in request");
        let big = b"*1\r\n$1073741824\r\n";
        let limits = Limits {
            max_bulk_len: 512 * 1024 * 1024,
            ..Limits::default()
        };
        assert_eq!(
            parse_once(big, &limits).unwrap_err().0,
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

    #[test]
    fn redis_quirks() {
        // Header numbers follow string2ll: no '+', no leading zeros.
        assert_eq!(
            parse_err(b"*01\r\n$4\r\nPING\r\n"),
            "invalid multibulk length"
        );
        assert_eq!(parse_err(b"*1\r\n$+4\r\nPING\r\n"), "invalid bulk length");
        // Up to INT_MAX elements may be declared (nothing is reserved for them).
        assert_eq!(
            parse_all(b"*2147483647\r\n").unwrap(),
            Vec::<Vec<Bytes>>::new()
        );
        assert_eq!(parse_err(b"*2147483648\r\n"), "invalid multibulk length");
        // Headers end at '\r'; the byte after it is skipped unchecked, as is the bulk's CRLF.
        assert_eq!(
            parse_all(b"*1\rX$4\rXPINGxxPING\r\n").unwrap(),
            vec![vec![Bytes::from("PING")], vec![Bytes::from("PING")]]
        );
        // A bare '\n' does not end a header, and a NUL hides everything after it.
        assert!(parse_all(b"*1\n$4\nPING\n").unwrap().is_empty());
        assert!(parse_all(b"*1\x00\r\n").unwrap().is_empty());
        assert!(parse_all(b"PI\x00NG\r\n").unwrap().is_empty());
        // Inline: blank lines are empty requests; form feed and vertical tab separate only
        // between words.
        assert_eq!(
            parse_all(b"\r\n\n  \r\n").unwrap(),
            vec![Vec::<Bytes>::new(); 3]
        );
        assert_eq!(
            parse_all(b"\x0bECHO a\x0cb\r\n").unwrap(),
            vec![vec![Bytes::from("ECHO"), Bytes::from("a\x0cb")]]
        );
        assert_eq!(
            parse_all(b"ECHO \"a\"\x0b\r\n").unwrap(),
            vec![vec![Bytes::from("ECHO"), Bytes::from("a")]]
        );
        assert_eq!(
            parse_all(b"ECHO \"\\x41\\x4g\\q\" 'a\\'b'\r\n").unwrap(),
            vec![vec![
                Bytes::from("ECHO"),
                Bytes::from("Ax4gq"),
                Bytes::from("a'b")
            ]]
        );
        for bad in [
            &b"ECHO \"a\"\"b\"\r\n"[..],
            b"ECHO a\"b\r\n",
            b"SET 'a'b\r\n",
        ] {
            assert_eq!(parse_err(bad), "unbalanced quotes in request");
        }
    }

    #[test]
    fn unauthenticated_limits() {
        let limits = Limits {
            unauthenticated: true,
            ..Limits::default()
        };
        let run = |input: &[u8]| parse_once(input, &limits);
        assert_eq!(
            run(b"*11\r\n").unwrap_err().0,
            "unauthenticated multibulk length"
        );
        assert_eq!(
            run(b"*10\r\n$16385\r\n").unwrap_err().0,
            "unauthenticated bulk length"
        );
        assert_eq!(run(b"*2\r\n$16384\r\n"), Ok(false));
    }

    #[test]
    fn size_limits() {
        let limits = Limits {
            max_inline_len: 64,
            max_bulk_len: 10,
            ..Limits::default()
        };
        let run = |input: &[u8]| parse_once(input, &limits);
        let long = [b'a'; 65];
        assert_eq!(run(&long).unwrap_err().0, "too big inline request");
        assert_eq!(run(&long[..64]), Ok(false));
        let mut mb = b"*".to_vec();
        mb.extend_from_slice(&long);
        assert_eq!(run(&mb).unwrap_err().0, "too big mbulk count string");
        let mut bb = b"*1\r\n$".to_vec();
        bb.extend_from_slice(&long);
        assert_eq!(run(&bb).unwrap_err().0, "too big bulk count string");
        assert_eq!(run(b"*1\r\n$11\r\n").unwrap_err().0, "invalid bulk length");
        assert_eq!(run(b"*1\r\n$10\r\n"), Ok(false));
    }

    /// Feeds `input` in chunks of the given sizes (cycled), parsing after each chunk the way the
    /// connection does, and checks that the parser only ever consumes a prefix of the stream.
    fn feed_chunked(
        input: &[u8],
        chunks: &[usize],
        limits: &Limits,
    ) -> (Vec<Vec<Bytes>>, Option<ProtocolError>) {
        let mut p = RequestParser::new();
        let mut buf = BytesMut::new();
        let mut out = Vec::new();
        let (mut fed, mut consumed) = (0usize, 0usize);
        let mut sizes = chunks.iter().cycle();
        while fed < input.len() {
            let n = (*sizes.next().unwrap_or(&1)).clamp(1, input.len() - fed);
            buf.extend_from_slice(&input[fed..fed + n]);
            fed += n;
            loop {
                let before = buf.len();
                let r = p.parse(&mut buf, limits);
                assert!(buf.len() <= before, "parser grew the buffer");
                consumed += before - buf.len();
                assert_eq!(consumed + buf.len(), fed);
                assert_eq!(
                    &buf[..],
                    &input[consumed..fed],
                    "parser altered unconsumed input"
                );
                match r {
                    Ok(Some(req)) => {
                        assert!(before > buf.len(), "a request must consume input");
                        out.push(req);
                    }
                    Ok(None) => break,
                    Err(e) => return (out, Some(e)),
                }
            }
        }
        (out, None)
    }

    /// Bytes that look like protocol fragments, so random inputs reach deep parser states.
    fn protocolish() -> impl Strategy<Value = Vec<u8>> {
        let token = prop_oneof![
            Just(b"*".to_vec()),
            Just(b"$".to_vec()),
            Just(b"\r\n".to_vec()),
            Just(b"\r".to_vec()),
            Just(b"\n".to_vec()),
            Just(b"\"".to_vec()),
            Just(b"'".to_vec()),
            Just(b"\\x".to_vec()),
            Just(b" ".to_vec()),
            Just(vec![0u8]),
            (0i64..40).prop_map(|n| n.to_string().into_bytes()),
            (-3i64..3).prop_map(|n| n.to_string().into_bytes()),
            Just(b"PING".to_vec()),
            proptest::collection::vec(any::<u8>(), 0..8),
        ];
        proptest::collection::vec(token, 0..40).prop_map(|t| t.concat())
    }

    fn small_limits() -> Limits {
        Limits {
            max_bulk_len: 32,
            max_query_buffer: 256,
            max_multibulk_len: 8,
            max_inline_len: 24,
            unauthenticated: false,
        }
    }

    fn encode_multibulk(reqs: &[Vec<Vec<u8>>]) -> Vec<u8> {
        let mut out = Vec::new();
        for args in reqs {
            out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
            for a in args {
                out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
                out.extend_from_slice(a);
                out.extend_from_slice(b"\r\n");
            }
        }
        out
    }

    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        /// Stable-toolchain fuzzing: arbitrary and protocol-like bytes in arbitrary chunkings
        /// with tight limits never panic and never corrupt the unconsumed input.
        #[test]
        fn fuzz_never_panics(
            input in prop_oneof![protocolish(), proptest::collection::vec(any::<u8>(), 0..300)],
            chunks in proptest::collection::vec(1usize..40, 1..8),
            unauth in any::<bool>(),
        ) {
            let limits = Limits { unauthenticated: unauth, ..small_limits() };
            let _ = feed_chunked(&input, &chunks, &limits);
        }

    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        /// With limits the input cannot reach, how the bytes are split across reads does not
        /// change what is parsed, nor which error ends the connection.
        #[test]
        fn chunking_does_not_matter(
            input in protocolish(),
            chunks in proptest::collection::vec(1usize..16, 1..8),
        ) {
            let limits = Limits::default();
            let whole = feed_chunked(&input, &[input.len().max(1)], &limits);
            let split = feed_chunked(&input, &chunks, &limits);
            prop_assert_eq!(whole, split);
        }

        /// Binary-safe arguments encoded as multibulk come back unchanged however they arrive.
        #[test]
        fn multibulk_roundtrip(
            reqs in proptest::collection::vec(
                proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..40), 1..6),
                1..6,
            ),
            chunks in proptest::collection::vec(1usize..64, 1..6),
        ) {
            let wire = encode_multibulk(&reqs);
            let (got, err) = feed_chunked(&wire, &chunks, &Limits::default());
            prop_assert!(err.is_none());
            let got: Vec<Vec<Vec<u8>>> =
                got.iter().map(|r| r.iter().map(|a| a.to_vec()).collect()).collect();
            prop_assert_eq!(got, reqs);
        }

        /// Words quoted the way redis-cli would type them split back into the same words.
        #[test]
        fn inline_roundtrip(words in proptest::collection::vec(
            proptest::collection::vec(any::<u8>(), 0..12), 1..6)
        ) {
            let mut line = Vec::new();
            for w in &words {
                line.push(b'"');
                for &c in w {
                    line.extend_from_slice(format!("\\x{c:02x}").as_bytes());
                }
                line.extend_from_slice(b"\" ");
            }
            line.extend_from_slice(b"\r\n");
            let got = parse_all(&line).unwrap();
            let got: Vec<Vec<u8>> = got[0].iter().map(|a| a.to_vec()).collect();
            prop_assert_eq!(got, words);
        }
    }
}
