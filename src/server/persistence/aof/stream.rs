//! The command part of an AOF file: RESP multibulk commands, with `#` annotation lines (such as
//! `#TS:<unix time>`) between them. Read the way Redis's loader reads it, so the same files are
//! accepted, truncated or refused.

use std::io::{BufRead, Read};

use bytes::Bytes;

/// Longest annotation or header line read at once (Redis's `AOF_ANNOTATION_LINE_MAX_LEN`).
const LINE_MAX: u64 = 1024;

/// What the reader found next.
#[derive(Debug, PartialEq, Eq)]
pub enum Item {
    /// A complete command.
    Command(Vec<Bytes>),
    /// The end of the file, after a complete command.
    End,
}

/// Why reading stopped early.
#[derive(Debug, PartialEq, Eq)]
pub enum StreamError {
    /// The file ends inside a command (a write cut short by a crash).
    Truncated,
    /// Bytes that are not a command, at this offset.
    Format(u64),
    /// The file could not be read.
    Io(String),
}

/// Reads commands from an AOF file, tracking the byte offset.
pub struct CommandReader<R> {
    inner: R,
    pos: u64,
    line: Vec<u8>,
}

impl<R: BufRead> CommandReader<R> {
    /// A reader whose first byte is at offset `pos` of the file.
    pub fn new(inner: R, pos: u64) -> Self {
        CommandReader {
            inner,
            pos,
            line: Vec::with_capacity(64),
        }
    }

    /// Offset of the next unread byte.
    pub fn pos(&self) -> u64 {
        self.pos
    }

    /// Reads one line (up to `LINE_MAX` bytes, newline included); false at the end of the file.
    fn read_line(&mut self) -> Result<bool, StreamError> {
        self.line.clear();
        let n = (&mut self.inner)
            .take(LINE_MAX)
            .read_until(b'\n', &mut self.line)
            .map_err(|e| StreamError::Io(e.to_string()))?;
        self.pos += n as u64;
        Ok(n > 0)
    }

    /// The next command, skipping annotations.
    pub fn next_item(&mut self) -> Result<Item, StreamError> {
        let argc = loop {
            let start = self.pos;
            if !self.read_line()? {
                return Ok(Item::End);
            }
            match self.line.first() {
                Some(b'#') => continue,
                Some(b'*') => {}
                _ => return Err(StreamError::Format(start)),
            }
            if self.line.len() == 1 {
                // "*" alone at the end of the file.
                return Err(StreamError::Truncated);
            }
            let n = leading_int(&self.line[1..]);
            if n < 1 {
                return Err(StreamError::Format(start));
            }
            break n as usize;
        };
        let mut args = Vec::with_capacity(argc.min(1024));
        for _ in 0..argc {
            let start = self.pos;
            if !self.read_line()? {
                return Err(StreamError::Truncated);
            }
            if self.line.first() != Some(&b'$') {
                return Err(StreamError::Format(start));
            }
            let len = leading_int(&self.line[1..]).max(0) as u64;
            // Grows with what is really there: a damaged length cannot allocate more than
            // the file holds.
            let mut data = Vec::with_capacity(len.min(1 << 20) as usize);
            let got = (&mut self.inner)
                .take(len)
                .read_to_end(&mut data)
                .map_err(|e| StreamError::Io(e.to_string()))?;
            self.pos += got as u64;
            if (got as u64) < len {
                return Err(StreamError::Truncated);
            }
            let mut crlf = [0u8; 2];
            let got = read_full(&mut self.inner, &mut crlf)?;
            self.pos += got as u64;
            if got < 2 {
                return Err(StreamError::Truncated);
            }
            args.push(Bytes::from(data));
        }
        Ok(Item::Command(args))
    }
}

fn read_full<R: Read>(r: &mut R, buf: &mut [u8]) -> Result<usize, StreamError> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(StreamError::Io(e.to_string())),
        }
    }
    Ok(n)
}

/// C's `atoi`/`strtol`: optional sign and leading digits, 0 when there are none.
fn leading_int(b: &[u8]) -> i64 {
    let (neg, digits) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        Some(b'+') => (false, &b[1..]),
        _ => (false, b),
    };
    let n = digits
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .fold(0i64, |acc, d| {
            acc.saturating_mul(10).saturating_add((d - b'0') as i64)
        });
    if neg { -n } else { n }
}

/// The `#TS:<unix seconds>` annotation Redis writes with `aof-timestamp-enabled`.
pub fn timestamp_annotation(out: &mut Vec<u8>, unix_secs: i64) {
    out.extend_from_slice(b"#TS:");
    out.extend_from_slice(unix_secs.to_string().as_bytes());
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(data: &[u8]) -> (Vec<Vec<String>>, Result<u64, StreamError>) {
        let mut r = CommandReader::new(data, 0);
        let mut out = Vec::new();
        loop {
            match r.next_item() {
                Ok(Item::Command(a)) => out.push(
                    a.iter()
                        .map(|x| String::from_utf8_lossy(x).into_owned())
                        .collect(),
                ),
                Ok(Item::End) => return (out, Ok(r.pos())),
                Err(e) => return (out, Err(e)),
            }
        }
    }

    #[test]
    fn commands_and_annotations() {
        let data = b"#TS:1700000000\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n";
        let (cmds, end) = all(data);
        assert_eq!(cmds, vec![vec!["SELECT", "0"], vec!["SET", "k", ""]]);
        assert_eq!(end, Ok(data.len() as u64));
    }

    #[test]
    fn truncation_anywhere_is_detected() {
        let full = b"*3\r\n$3\r\nSET\r\n$3\r\nfoo\r\n$5\r\nhello\r\n";
        for cut in 1..full.len() {
            let (cmds, end) = all(&full[..cut]);
            assert!(cmds.is_empty(), "cut {cut}");
            assert_eq!(end, Err(StreamError::Truncated), "cut {cut}");
        }
        let (cmds, end) = all(full);
        assert_eq!(cmds.len(), 1);
        assert!(end.is_ok());
    }

    #[test]
    fn format_errors_carry_the_offset() {
        let data = b"*1\r\n$4\r\nPING\r\n!!!\r\n";
        let (cmds, end) = all(data);
        assert_eq!(cmds.len(), 1);
        assert_eq!(end, Err(StreamError::Format(14)));
        assert_eq!(all(b"*0\r\n").1, Err(StreamError::Format(0)));
        assert_eq!(all(b"*1\r\nPING\r\n").1, Err(StreamError::Format(4)));
    }

    #[test]
    fn damaged_length_does_not_allocate_it() {
        let (_, end) = all(b"*1\r\n$999999999999\r\nab");
        assert_eq!(end, Err(StreamError::Truncated));
    }
}
