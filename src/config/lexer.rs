//! Splitting one configuration line into arguments, with the quoting rules of
//! Redis's `sdssplitargs`, and the inverse: quoting an argument so that the
//! splitter reads it back unchanged (used by CONFIG REWRITE).

use std::fmt;

/// Why a line could not be split; Redis reports every such case the same way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LexError;

impl fmt::Display for LexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Unbalanced quotes in configuration line")
    }
}

impl std::error::Error for LexError {}

/// The bytes C's `isspace` accepts, which is what separates arguments.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Bare,
    Double,
    Single,
}

/// Splits a line into arguments the way redis.conf and redis-cli do, so that
/// files written for Redis are read identically.
///
/// Whitespace separates arguments; `"..."` understands `\n \r \t \b \a \\ \"`
/// and `\xHH`, `'...'` understands only `\'`. A closing quote must be followed
/// by whitespace or the end of the line. A quote may start in the middle of
/// a bare word (`ab"cd"` is `abcd`), as in Redis.
pub fn split_args(line: impl AsRef<[u8]>) -> Result<Vec<Vec<u8>>, LexError> {
    let s = line.as_ref();
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        while i < s.len() && is_space(s[i]) {
            i += 1;
        }
        if i >= s.len() {
            return Ok(out);
        }
        let mut cur = Vec::new();
        let mut mode = Mode::Bare;
        loop {
            match mode {
                Mode::Double => {
                    let Some(&c) = s.get(i) else {
                        return Err(LexError);
                    };
                    if c == b'\\'
                        && s.get(i + 1) == Some(&b'x')
                        && let (Some(h), Some(l)) = (
                            s.get(i + 2).copied().and_then(hex_value),
                            s.get(i + 3).copied().and_then(hex_value),
                        )
                    {
                        cur.push(h * 16 + l);
                        i += 4;
                        continue;
                    }
                    if c == b'\\' && i + 1 < s.len() {
                        cur.push(match s[i + 1] {
                            b'n' => b'\n',
                            b'r' => b'\r',
                            b't' => b'\t',
                            b'b' => 0x08,
                            b'a' => 0x07,
                            other => other,
                        });
                        i += 2;
                    } else if c == b'"' {
                        if s.get(i + 1).is_some_and(|&n| !is_space(n)) {
                            return Err(LexError);
                        }
                        i += 1;
                        break;
                    } else {
                        cur.push(c);
                        i += 1;
                    }
                }
                Mode::Single => {
                    let Some(&c) = s.get(i) else {
                        return Err(LexError);
                    };
                    if c == b'\\' && s.get(i + 1) == Some(&b'\'') {
                        cur.push(b'\'');
                        i += 2;
                    } else if c == b'\'' {
                        if s.get(i + 1).is_some_and(|&n| !is_space(n)) {
                            return Err(LexError);
                        }
                        i += 1;
                        break;
                    } else {
                        cur.push(c);
                        i += 1;
                    }
                }
                Mode::Bare => match s.get(i) {
                    None => break,
                    Some(&c) if is_space(c) => break,
                    Some(b'"') => {
                        mode = Mode::Double;
                        i += 1;
                    }
                    Some(b'\'') => {
                        mode = Mode::Single;
                        i += 1;
                    }
                    Some(&c) => {
                        cur.push(c);
                        i += 1;
                    }
                },
            }
        }
        out.push(cur);
    }
}

/// True when `arg` cannot be written bare and still be read back by
/// [`split_args`] as the same single argument.
pub fn needs_quotes(arg: &[u8]) -> bool {
    arg.is_empty()
        || arg.iter().any(|&b| {
            is_space(b) || matches!(b, b'"' | b'\'' | b'\\') || !(0x21..0x7f).contains(&b)
        })
}

/// Writes `arg` in double quotes with the escapes [`split_args`] reads back;
/// the same form as Redis's `sdscatrepr`, which CONFIG REWRITE uses for
/// string values.
pub fn quote(arg: &[u8]) -> String {
    let mut out = String::with_capacity(arg.len() + 2);
    out.push('"');
    for &b in arg {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x07 => out.push_str("\\a"),
            0x08 => out.push_str("\\b"),
            0x20..=0x7e => out.push(char::from(b)),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('"');
    out
}

/// Writes `arg` bare when that is unambiguous, quoted otherwise; keeps
/// rewritten files readable while staying exact.
pub fn quote_if_needed(arg: &[u8]) -> String {
    if needs_quotes(arg) {
        quote(arg)
    } else {
        String::from_utf8_lossy(arg).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(line: &str) -> Vec<String> {
        split_args(line)
            .unwrap()
            .into_iter()
            .map(|a| String::from_utf8(a).unwrap())
            .collect()
    }

    #[test]
    fn bare_words_and_whitespace() {
        assert_eq!(ok("  set  a\tb \r\n"), ["set", "a", "b"]);
        assert!(ok("").is_empty());
        assert!(ok("   \t ").is_empty());
    }

    #[test]
    fn double_quotes_and_escapes() {
        assert_eq!(ok(r#"a "b c" d"#), ["a", "b c", "d"]);
        assert_eq!(ok(r#""\n\r\t\a\b\\\"\q""#), ["\n\r\t\x07\x08\\\"q"]);
        assert_eq!(
            split_args(r#""\x41\xff\x4""#).unwrap(),
            [b"A\xffx4".to_vec()]
        );
        assert_eq!(ok(r#"x "" y"#), ["x", "", "y"]);
        assert_eq!(ok(r#""""#), [""]);
    }

    #[test]
    fn single_quotes() {
        assert_eq!(ok(r#"'a\'b' 'c\nd'"#), ["a'b", r"c\nd"]);
        assert_eq!(ok("''"), [""]);
    }

    #[test]
    fn quote_inside_bare_word() {
        assert_eq!(ok(r#"ab"c d"  e"#), ["abc d", "e"]);
    }

    #[test]
    fn errors() {
        assert_eq!(split_args(r#""abc"#), Err(LexError));
        assert_eq!(split_args("'abc"), Err(LexError));
        assert_eq!(split_args(r#""a"b"#), Err(LexError));
        assert_eq!(split_args("'a'b"), Err(LexError));
        assert_eq!(split_args(r#"a "\"#), Err(LexError));
        assert_eq!(
            LexError.to_string(),
            "Unbalanced quotes in configuration line"
        );
    }

    #[test]
    fn quoting_round_trips() {
        let cases: [&[u8]; 8] = [
            b"",
            b"plain",
            b"a b",
            b"\"q'\\",
            b"\x00\x01\xff\n",
            b"{title} {listen-addr}",
            b"#x",
            b"caf\xc3\xa9",
        ];
        for c in cases {
            let line = format!("name {}", quote_if_needed(c));
            assert_eq!(split_args(&line).unwrap(), [b"name".to_vec(), c.to_vec()]);
            let line = format!("name {}", quote(c));
            assert_eq!(split_args(&line).unwrap(), [b"name".to_vec(), c.to_vec()]);
        }
        assert_eq!(quote_if_needed(b"plain"), "plain");
        assert_eq!(quote_if_needed(b""), "\"\"");
    }
}
