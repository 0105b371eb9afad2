//! Number parsing with C library semantics (`atoi`, `strtoll`, `strtoull`): Redis reads many
//! fields of INFO, hello messages and sentinel.conf that way, accepting junk after the digits,
//! and compatibility means reading them exactly as it does.

/// Whitespace C's `isspace` skips before a number.
const C_SPACE: [char; 6] = [' ', '\t', '\n', '\r', '\x0b', '\x0c'];

/// Splits an optional leading sign off: (negative, rest).
pub fn split_sign(s: &[u8]) -> (bool, &[u8]) {
    match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, s),
    }
}

/// Skips leading C whitespace, splits the sign, and returns the run of digits after it.
fn sign_and_digits(s: &str) -> (bool, impl Iterator<Item = u8> + '_) {
    let (neg, rest) = split_sign(s.trim_start_matches(C_SPACE).as_bytes());
    let digits = rest
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .map(|b| b - b'0');
    (neg, digits)
}

/// C `atoi`: optional spaces and sign, leading digits, anything else ignored; int-sized.
pub fn atoi(s: &str) -> i64 {
    let (neg, digits) = sign_and_digits(s);
    let v = digits.fold(0i64, |v, d| v.wrapping_mul(10).wrapping_add(i64::from(d)));
    let v = if neg { v.wrapping_neg() } else { v };
    i64::from(v as i32)
}

/// C `strtoull(s, NULL, 10)`: leading digits, saturating; a minus sign negates modulo 2^64.
pub fn strtoull(s: &str) -> u64 {
    let (neg, digits) = sign_and_digits(s);
    let mut v: u64 = 0;
    for d in digits {
        match v.checked_mul(10).and_then(|x| x.checked_add(u64::from(d))) {
            Some(x) => v = x,
            None => return u64::MAX,
        }
    }
    if neg { v.wrapping_neg() } else { v }
}

/// C `strtoll(s, NULL, 10)`: leading digits, saturating.
pub fn strtoll(s: &str) -> i64 {
    let (neg, digits) = sign_and_digits(s);
    let mut v: i64 = 0;
    for d in digits {
        let d = i64::from(d);
        let next = v.checked_mul(10).and_then(|x| {
            if neg {
                x.checked_sub(d)
            } else {
                x.checked_add(d)
            }
        });
        match next {
            Some(x) => v = x,
            None => return if neg { i64::MIN } else { i64::MAX },
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c_semantics() {
        assert_eq!(atoi("  42abc"), 42);
        assert_eq!(atoi("-7"), -7);
        assert_eq!(atoi("x"), 0);
        assert_eq!(atoi("4294967297"), 1);
        assert_eq!(strtoull("18446744073709551616"), u64::MAX);
        assert_eq!(strtoull("-1"), u64::MAX);
        assert_eq!(strtoull("12:3"), 12);
        assert_eq!(strtoll("-9223372036854775809"), i64::MIN);
        assert_eq!(strtoll("9223372036854775808"), i64::MAX);
        assert_eq!(strtoll("+15 "), 15);
    }
}
