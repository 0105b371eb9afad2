//! Argument parsing shared by command implementations, with Redis's exact error texts.

use bytes::Bytes;

use crate::resp::Reply;
use crate::util::num::{parse_f64, parse_i64};

/// `ERR syntax error`.
pub fn syntax_error() -> Reply {
    Reply::err("ERR syntax error")
}

/// `ERR value is not an integer or out of range`.
pub fn not_integer() -> Reply {
    Reply::err("ERR value is not an integer or out of range")
}

/// Parses an integer argument.
pub fn int(arg: &[u8]) -> Result<i64, Reply> {
    parse_i64(arg).ok_or_else(not_integer)
}

/// Parses a non-negative integer argument with a custom error.
pub fn positive(arg: &[u8], what: &str) -> Result<i64, Reply> {
    match parse_i64(arg) {
        Some(v) if v >= 0 => Ok(v),
        _ => Err(Reply::err(format!("ERR {what} must be positive"))),
    }
}

/// Parses a float argument (`ERR value is not a valid float`).
pub fn float(arg: &[u8]) -> Result<f64, Reply> {
    parse_f64(arg).ok_or_else(|| Reply::err("ERR value is not a valid float"))
}

/// Parses a blocking-command timeout in seconds (may be fractional) into milliseconds, rounded
/// up; 0 means "forever". Like Redis 7.0, a value whose millisecond count does not fit a 64-bit
/// integer (including `inf`) is reported as negative, and one too large to add to the clock
/// waits forever.
pub fn timeout_ms(arg: &[u8]) -> Result<i64, Reply> {
    let secs =
        parse_f64(arg).ok_or_else(|| Reply::err("ERR timeout is not a float or out of range"))?;
    let ms = (secs * 1000.0).ceil();
    // 2^63 as f64: anything at or beyond it (either sign) does not convert.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if !(0.0..LIMIT).contains(&ms) {
        return Err(Reply::err("ERR timeout is negative"));
    }
    let ms = ms as i64;
    if ms > i64::MAX / 2 {
        return Ok(0);
    }
    Ok(ms)
}

/// Case-insensitive comparison of an argument with an option name.
pub fn is(arg: &[u8], name: &str) -> bool {
    arg.eq_ignore_ascii_case(name.as_bytes())
}

/// Lower-cased argument as text, for matching option names.
pub fn lower(arg: &[u8]) -> String {
    String::from_utf8_lossy(arg).to_ascii_lowercase()
}

/// Copies an argument out of the request buffer so the stored value does not pin it.
pub fn own(arg: &Bytes) -> Bytes {
    Bytes::copy_from_slice(arg)
}

/// Normalizes Redis-style inclusive start/end indexes (negative from the end) for a length;
/// None when the range is empty.
pub fn range(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let mut s = if start < 0 { len + start } else { start };
    let mut e = if end < 0 { len + end } else { end };
    if s < 0 {
        s = 0;
    }
    if e >= len {
        e = len - 1;
    }
    if s > e || s >= len || len == 0 {
        return None;
    }
    Some((s as usize, e as usize))
}

/// A `<CMD> HELP` reply in Redis's layout: a header line, the given lines, then HELP itself.
pub fn help(command: &str, lines: &[&str]) -> Reply {
    let mut out = Vec::with_capacity(lines.len() + 3);
    out.push(Reply::Status(format!(
        "{command} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    )));
    out.extend(lines.iter().map(|l| Reply::Status(l.to_string())));
    out.push(Reply::Status("HELP".into()));
    out.push(Reply::Status("    Prints this help.".into()));
    Reply::Array(out)
}

/// Redis's reply to a subcommand it does not know or that got the wrong number of arguments
/// (`ERR unknown subcommand or wrong number of arguments for 'x'. Try CMD HELP.`).
pub fn subcommand_error(sub: &[u8], command: &str) -> Reply {
    Reply::err(format!(
        "ERR unknown subcommand or wrong number of arguments for '{}'. Try {command} HELP.",
        crate::server::dispatch::sanitize(sub, 128)
    ))
}
