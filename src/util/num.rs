//! Number parsing and formatting that reproduce Redis 7.0's exact rules, so
//! replies and argument errors are byte-for-byte what clients expect.

/// Parses a strict decimal `i64` like Redis `string2ll`, which decides what
/// counts as an integer argument and which strings may be INT-encoded.
///
/// Rejects empty input, a leading `+`, spaces, leading zeros (only `"0"`
/// itself may start with `0`, so `"-0"` is rejected too), overflow, and any
/// input of 21 bytes or more.
pub fn parse_i64(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    if s == b"0" {
        return Some(0);
    }
    let (negative, digits) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, s),
    };
    let (&first, rest) = digits.split_first()?;
    if !(b'1'..=b'9').contains(&first) {
        return None;
    }
    let mut v = u64::from(first - b'0');
    for &c in rest {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
    }
    if negative {
        0i64.checked_sub_unsigned(v)
    } else {
        i64::try_from(v).ok()
    }
}

/// Parses a double argument (ZADD scores, INCRBYFLOAT increments, ...) like
/// Redis `string2d`/`string2ld`, so the same inputs are accepted or refused.
///
/// Accepts decimal and exponent forms (`"1.5"`, `"1e3"`, `".5"`, `"5."`) and
/// infinities (`"inf"`, `"+inf"`, `"-Infinity"`, case-insensitive). Rejects
/// empty input, leading or trailing whitespace, NaN, values that overflow to
/// infinity and non-zero values that underflow to zero. Hexadecimal floats,
/// which C `strtod` would take, are not supported.
pub fn parse_f64(s: &[u8]) -> Option<f64> {
    let v = parse_plain_f64(s)?;
    if v.is_nan() {
        return None;
    }
    if v.is_infinite() && !is_inf_literal(s) {
        return None;
    }
    if v == 0.0 && mantissa_has_nonzero_digit(s) {
        return None;
    }
    Some(v)
}

/// Parses one score bound the way Redis `zslParseRange` reads it with
/// `strtod`: it stops at the first NUL byte, allows leading whitespace,
/// treats an empty string as 0, lets overflow become ±inf, and refuses NaN
/// and trailing garbage. Returns `None` on a syntax error.
pub(crate) fn parse_strtod_full(s: &[u8]) -> Option<f64> {
    let s = match memchr::memchr(0, s) {
        Some(nul) => &s[..nul],
        None => s,
    };
    if s.is_empty() {
        return Some(0.0);
    }
    let start = s.iter().position(|&c| !is_c_space(c))?;
    let v = parse_plain_f64(&s[start..])?;
    (!v.is_nan()).then_some(v)
}

/// Rust's float grammar, which for decimal input matches C `strtod`.
fn parse_plain_f64(s: &[u8]) -> Option<f64> {
    std::str::from_utf8(s).ok()?.parse::<f64>().ok()
}

/// C `isspace` in the "C" locale.
fn is_c_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn is_inf_literal(s: &[u8]) -> bool {
    let body = match s.first() {
        Some(b'+' | b'-') => &s[1..],
        _ => s,
    };
    body.eq_ignore_ascii_case(b"inf") || body.eq_ignore_ascii_case(b"infinity")
}

fn mantissa_has_nonzero_digit(s: &[u8]) -> bool {
    s.iter()
        .take_while(|&&c| c != b'e' && c != b'E')
        .any(|c| (b'1'..=b'9').contains(c))
}

/// Formats a double the way Redis 7.0 replies with one (`addReplyDouble`:
/// `%.17g`, with `inf`/`-inf`), e.g. ZSCORE and WITHSCORES output.
///
/// Examples: `1.5` → `"1.5"`, `1.1` → `"1.1000000000000001"`,
/// `1e20` → `"1e+20"`, `-0.0` → `"-0"`.
pub fn format_double(f: f64) -> String {
    if f.is_nan() {
        return "nan".to_owned();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf" } else { "-inf" }.to_owned();
    }
    // 17 significant digits, correctly rounded (ties to even, like glibc).
    let sci = format!("{:.16e}", f.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: Vec<u8> = mantissa.bytes().filter(|&b| b != b'.').collect();
    let mut out = String::with_capacity(24);
    if f.is_sign_negative() {
        out.push('-');
    }
    let push_digits = |out: &mut String, d: &[u8]| {
        out.extend(d.iter().map(|&b| char::from(b)));
    };
    if (-4..17).contains(&exp) {
        if exp >= 0 {
            let (int, frac) = digits.split_at(exp as usize + 1);
            push_digits(&mut out, int);
            let frac = trim_zeros(frac);
            if !frac.is_empty() {
                out.push('.');
                push_digits(&mut out, frac);
            }
        } else {
            out.push_str("0.");
            for _ in 0..(-exp - 1) {
                out.push('0');
            }
            push_digits(&mut out, trim_zeros(&digits));
        }
    } else {
        let (first, rest) = digits.split_at(1);
        push_digits(&mut out, first);
        let rest = trim_zeros(rest);
        if !rest.is_empty() {
            out.push('.');
            push_digits(&mut out, rest);
        }
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        let e = exp.unsigned_abs();
        if e < 10 {
            out.push('0');
        }
        out.push_str(&e.to_string());
    }
    out
}

fn trim_zeros(d: &[u8]) -> &[u8] {
    let end = d.iter().rposition(|&b| b != b'0').map_or(0, |i| i + 1);
    &d[..end]
}

/// Formats an INCRBYFLOAT/HINCRBYFLOAT result like Redis 7.0 `ld2string` in
/// human mode: plain fixed notation, at most 17 decimals, no trailing zeros,
/// never `-0`.
///
/// Redis computes in `long double`; with `f64` the shortest round-trip digits
/// are used instead, which gives the same text for values a user typed
/// (`10.5` → `"10.5"`, `3.0e3` → `"3000"`, `5.0e-3` → `"0.005"`) but may show
/// binary rounding noise where long double arithmetic would hide it
/// (`0.1 + 0.2` → `"0.30000000000000004"`, Redis says `"0.3"`).
pub fn format_long_double(f: f64) -> String {
    if f.is_nan() {
        return "nan".to_owned();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf" } else { "-inf" }.to_owned();
    }
    let mut s = f.to_string();
    if s.find('.').is_some_and(|dot| s.len() - dot - 1 > 17) {
        s = format!("{f:.17}");
    }
    if s.contains('.') {
        let keep = s.trim_end_matches('0').trim_end_matches('.').len();
        s.truncate(keep);
    }
    if s == "-0" {
        s.remove(0);
    }
    s
}

/// Two-digit lookup table for fast integer formatting.
const DIGIT_PAIRS: &[u8; 200] = b"\
0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// Appends the decimal form of `v` to `buf` without allocating beyond `buf`
/// itself; used on hot reply paths (integers, bulk lengths).
pub fn write_i64(buf: &mut Vec<u8>, v: i64) {
    if v < 0 {
        buf.push(b'-');
    }
    write_u64(buf, v.unsigned_abs());
}

/// Appends the decimal form of `v` to `buf`; the unsigned companion of
/// [`write_i64`] for lengths and counts.
pub fn write_u64(buf: &mut Vec<u8>, mut v: u64) {
    let mut tmp = [0u8; 20];
    let mut pos = tmp.len();
    while v >= 100 {
        let pair = (v % 100) as usize * 2;
        v /= 100;
        pos -= 2;
        tmp[pos..pos + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    }
    if v >= 10 {
        let pair = v as usize * 2;
        pos -= 2;
        tmp[pos..pos + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    } else {
        pos -= 1;
        tmp[pos] = b'0' + v as u8;
    }
    buf.extend_from_slice(&tmp[pos..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_i64_like_string2ll() {
        assert_eq!(parse_i64(b"0"), Some(0));
        assert_eq!(parse_i64(b"1"), Some(1));
        assert_eq!(parse_i64(b"-1"), Some(-1));
        assert_eq!(parse_i64(b"99"), Some(99));
        assert_eq!(parse_i64(b"-99"), Some(-99));
        assert_eq!(parse_i64(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        for bad in [
            &b""[..],
            b"-",
            b"+1",
            b" 1",
            b"1 ",
            b"01",
            b"-0",
            b"-01",
            b"00",
            b"1a",
            b"1.0",
            b"9223372036854775808",
            b"-9223372036854775809",
            b"18446744073709551616",
            b"99999999999999999999",
            b"000000000000000000001",
        ] {
            assert_eq!(parse_i64(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn parse_f64_like_string2d() {
        assert_eq!(parse_f64(b"1.5"), Some(1.5));
        assert_eq!(parse_f64(b"1e3"), Some(1000.0));
        assert_eq!(parse_f64(b"1E+3"), Some(1000.0));
        assert_eq!(parse_f64(b".5"), Some(0.5));
        assert_eq!(parse_f64(b"5."), Some(5.0));
        assert_eq!(parse_f64(b"-7"), Some(-7.0));
        assert_eq!(parse_f64(b"+7"), Some(7.0));
        assert_eq!(parse_f64(b"0"), Some(0.0));
        assert_eq!(parse_f64(b"0e-400"), Some(0.0));
        assert!(parse_f64(b"-0").is_some_and(|v| v == 0.0 && v.is_sign_negative()));
        assert_eq!(parse_f64(b"1e-310"), Some(1e-310));
        for inf in [&b"inf"[..], b"+inf", b"INF", b"Infinity", b"+infinity"] {
            assert_eq!(parse_f64(inf), Some(f64::INFINITY));
        }
        assert_eq!(parse_f64(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_f64(b"-INFINITY"), Some(f64::NEG_INFINITY));
        for bad in [
            &b""[..],
            b" 1",
            b"1 ",
            b"\t1",
            b"nan",
            b"NaN",
            b"-nan",
            b"1e400",
            b"-1e400",
            b"1e-400",
            b"1e",
            b".",
            b"e1",
            b"abc",
            b"1\x00",
            b"infinit",
            b"++1",
        ] {
            assert_eq!(parse_f64(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn strtod_full_like_zsl_parse_range() {
        assert_eq!(parse_strtod_full(b""), Some(0.0));
        assert_eq!(parse_strtod_full(b" 1"), Some(1.0));
        assert_eq!(parse_strtod_full(b"1\x00junk"), Some(1.0));
        assert_eq!(parse_strtod_full(b"\x00junk"), Some(0.0));
        assert_eq!(parse_strtod_full(b"1e400"), Some(f64::INFINITY));
        assert_eq!(parse_strtod_full(b"1e-400"), Some(0.0));
        assert_eq!(parse_strtod_full(b"  "), None);
        assert_eq!(parse_strtod_full(b"1 "), None);
        assert_eq!(parse_strtod_full(b"nan"), None);
        assert_eq!(parse_strtod_full(b"x"), None);
    }

    #[test]
    fn format_double_matches_redis_7_0() {
        // Expected strings captured from redis-server 7.0.15 (ZSCORE).
        let cases: &[(f64, &str)] = &[
            (1.5, "1.5"),
            (1.1, "1.1000000000000001"),
            (0.1, "0.10000000000000001"),
            (1e20, "1e+20"),
            (1e21, "1e+21"),
            (123456789012345678.0, "1.2345678901234568e+17"),
            (1e-5, "1.0000000000000001e-05"),
            (0.0001, "0.0001"),
            (1e16, "10000000000000000"),
            (1e17, "1e+17"),
            (3000.0, "3000"),
            (2.9802322387695312e-8, "2.9802322387695312e-08"),
            (100.0, "100"),
            (-1.5e-7, "-1.4999999999999999e-07"),
            (1e300, "1.0000000000000001e+300"),
            (1e-310, "9.9999999999999694e-311"),
            (0.0, "0"),
            (-0.0, "-0"),
            (-3.0, "-3"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
        ];
        for &(v, want) in cases {
            assert_eq!(format_double(v), want, "{v:e}");
        }
    }

    #[test]
    fn format_long_double_like_incrbyfloat() {
        // Expected strings captured from redis-server 7.0.15 (INCRBYFLOAT).
        let cases: &[(f64, &str)] = &[
            (10.1, "10.1"),
            (10.5 + 0.1, "10.6"),
            (3.0e3, "3000"),
            (5.0e-3, "0.005"),
            (1e-20, "0"),
            (1.23456789012345e-10, "0.00000000012345679"),
            (0.30000000000000004, "0.30000000000000004"),
            (1e17, "100000000000000000"),
            (-0.0, "0"),
            (17179869184.0 + 1.5, "17179869185.5"),
            (1e-17, "0.00000000000000001"),
            (9007199254740992.0, "9007199254740992"),
            (1.25, "1.25"),
            (-5.6, "-5.6"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
        ];
        for &(v, want) in cases {
            assert_eq!(format_long_double(v), want, "{v:e}");
        }
    }

    #[test]
    fn write_integers() {
        for v in [
            0,
            1,
            -1,
            9,
            10,
            99,
            100,
            -100,
            12345,
            1_000_000_007,
            i64::MAX,
            i64::MIN,
            i64::MIN + 1,
        ] {
            let mut buf = b"x".to_vec();
            write_i64(&mut buf, v);
            assert_eq!(buf, format!("x{v}").into_bytes());
        }
        let mut buf = Vec::new();
        write_u64(&mut buf, u64::MAX);
        assert_eq!(buf, u64::MAX.to_string().into_bytes());
    }

    #[test]
    fn format_double_round_trips() {
        use rand::{RngExt, SeedableRng, rngs::SmallRng};
        let mut rng = SmallRng::seed_from_u64(1);
        for _ in 0..20_000 {
            let v = f64::from_bits(rng.random::<u64>());
            if !v.is_finite() {
                continue;
            }
            let s = format_double(v);
            assert_eq!(
                parse_f64(s.as_bytes()).map(f64::to_bits),
                Some(v.to_bits()),
                "{s}"
            );
            let c = format!("{v:.16e}");
            assert_eq!(s.parse::<f64>().ok(), c.parse::<f64>().ok());
        }
    }
}
