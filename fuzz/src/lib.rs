//! The checks behind the fuzz targets, shared by the libFuzzer entry points and the plain
//! stable-toolchain harness.

use bytes::{Bytes, BytesMut};
use vigil::resp::parser::split_inline;
use vigil::resp::{Limits, ProtocolError, RequestParser};

/// Limit presets the first input byte chooses from: tight ones reach every size error quickly,
/// the default ones let the chunking-invariance check run.
fn limits(selector: u8) -> Limits {
    let unauthenticated = selector & 1 != 0;
    match (selector >> 1) % 3 {
        0 => Limits {
            max_bulk_len: 32,
            max_query_buffer: 256,
            max_multibulk_len: 8,
            max_inline_len: 24,
            unauthenticated,
        },
        1 => Limits {
            max_bulk_len: 1,
            max_query_buffer: 16,
            max_multibulk_len: 1,
            max_inline_len: 2,
            unauthenticated,
        },
        _ => Limits {
            unauthenticated,
            ..Limits::default()
        },
    }
}

/// Everything one feeding of the input produced: requests, then the error that ended it.
type Outcome = (Vec<Vec<Bytes>>, Option<ProtocolError>);

/// Feeds `input` in chunks of the given sizes (cycled), parsing after each chunk as a connection
/// does, and asserts the parser only ever consumes a prefix of the stream.
fn feed(input: &[u8], chunks: &[usize], limits: &Limits) -> Outcome {
    let mut parser = RequestParser::new();
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    let (mut fed, mut consumed) = (0usize, 0usize);
    let mut sizes = chunks.iter().copied().cycle();
    while fed < input.len() {
        let n = sizes.next().unwrap_or(1).clamp(1, input.len() - fed);
        buf.extend_from_slice(&input[fed..fed + n]);
        fed += n;
        loop {
            let before = buf.len();
            let result = parser.parse(&mut buf, limits);
            assert!(buf.len() <= before, "parser grew the buffer");
            consumed += before - buf.len();
            assert_eq!(consumed + buf.len(), fed, "consumed + remaining != fed");
            assert_eq!(
                &buf[..],
                &input[consumed..fed],
                "unconsumed input was altered"
            );
            match result {
                Ok(Some(req)) => {
                    assert!(before > buf.len(), "a request consumed nothing");
                    let payload: usize = req.iter().map(|a| a.len()).sum();
                    assert!(payload <= consumed, "arguments larger than the input");
                    out.push(req);
                }
                Ok(None) => break,
                Err(e) => {
                    assert!(e.reply_text().starts_with("ERR Protocol error: "));
                    return (out, Some(e));
                }
            }
        }
    }
    (out, None)
}

/// Target `request_parser`: byte 0 picks the limits, bytes 1..4 the chunk sizes, the rest is
/// the client's byte stream.
pub fn check_request_parser(data: &[u8]) {
    if data.len() < 4 {
        return;
    }
    let limits = limits(data[0]);
    let chunks: Vec<usize> = data[1..4].iter().map(|&b| 1 + b as usize % 64).collect();
    let input = &data[4..];
    let split = feed(input, &chunks, &limits);
    if limits.max_inline_len > input.len() && limits.max_bulk_len > input.len() {
        // Limits out of reach: how the stream is split must not change anything.
        let whole = feed(input, &[input.len().max(1)], &limits);
        assert_eq!(whole, split, "chunking changed the outcome");
    }
}

/// Target `inline_split`: splitting never panics, and words re-quoted with `\xNN` escapes split
/// back into the same words.
pub fn check_inline_split(data: &[u8]) {
    let Some(words) = split_inline(data) else {
        return;
    };
    let mut line = Vec::new();
    for w in &words {
        line.push(b'"');
        for &c in w.iter() {
            line.extend_from_slice(format!("\\x{c:02x}").as_bytes());
        }
        line.extend_from_slice(b"\" ");
    }
    let again = split_inline(&line).expect("re-quoted line must split");
    assert_eq!(again, words, "re-quoted words differ");
}

/// Replays files given as arguments (files or directories, e.g. a libFuzzer corpus), or, with
/// none, runs `iterations` generated inputs: the stable stand-in for the real fuzzer.
pub fn plain_main(check: fn(&[u8])) {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if !args.is_empty() && !args[0].starts_with("--") {
        let mut n = 0;
        for a in &args {
            let path = std::path::Path::new(a);
            let files: Vec<std::path::PathBuf> = if path.is_dir() {
                std::fs::read_dir(path)
                    .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
                    .unwrap_or_default()
            } else {
                vec![path.to_path_buf()]
            };
            for f in files {
                if let Ok(data) = std::fs::read(&f) {
                    check(&data);
                    n += 1;
                }
            }
        }
        println!("replayed {n} inputs");
        return;
    }
    let secs: u64 = args
        .iter()
        .position(|a| a == "--seconds")
        .and_then(|i| args.get(i + 1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    let mut rng = Rng(0x2545_f491_4f6c_dd1d ^ std::process::id() as u64);
    let mut n = 0u64;
    while std::time::Instant::now() < deadline {
        for _ in 0..1000 {
            let data = rng.input();
            check(&data);
            n += 1;
        }
    }
    println!("ran {n} generated inputs in {secs} s, no failure");
}

/// Small xorshift generator producing protocol-like byte strings.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn input(&mut self) -> Vec<u8> {
        const TOKENS: &[&[u8]] = &[
            b"*",
            b"$",
            b"\r\n",
            b"\r",
            b"\n",
            b"\"",
            b"'",
            b"\\x",
            b"\\",
            b" ",
            b"\t",
            b"\0",
            b"0",
            b"1",
            b"3",
            b"-1",
            b"16",
            b"2147483648",
            b"PING",
            b"$4\r\nPING\r\n",
            b"*1\r\n",
        ];
        let mut v = Vec::new();
        for _ in 0..4 {
            v.push(self.next() as u8);
        }
        for _ in 0..self.next() % 48 {
            if self.next().is_multiple_of(4) {
                v.push(self.next() as u8);
            } else {
                v.extend_from_slice(TOKENS[(self.next() % TOKENS.len() as u64) as usize]);
            }
        }
        v
    }
}
