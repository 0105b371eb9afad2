//! Just enough of the x87 80-bit `long double` to reproduce Redis's INCRBYFLOAT exactly.
//!
//! Redis parses both operands with `strtold`, adds them in `long double` (64-bit mantissa on
//! x86-64) and prints the sum with `%.17Lf`, trimming trailing zeros. Doing the same in `f64`
//! shows binary noise Redis never shows (`1 - 1.1` must be `-0.1`, not
//! `-0.10000000000000009`) and hides the noise Redis does show (`12345 + 0.1` is
//! `12345.09999999999999964`). Every step here is correctly rounded (ties to even) like the
//! hardware and glibc. Inputs outside the supported range (hex floats, infinities, more than
//! 38 significant digits, huge exponents) return `None` so the caller can fall back.

/// A finite long double: `(-1)^neg × mant × 2^exp`, `mant` normalized (top bit set) or zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Ld {
    neg: bool,
    mant: u64,
    exp: i32,
}

/// A 256-bit unsigned integer, little-endian 64-bit limbs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct U256([u64; 4]);

impl U256 {
    fn from_u128(v: u128) -> U256 {
        U256([v as u64, (v >> 64) as u64, 0, 0])
    }

    fn bits(&self) -> u32 {
        for i in (0..4).rev() {
            if self.0[i] != 0 {
                return 64 * i as u32 + (64 - self.0[i].leading_zeros());
            }
        }
        0
    }

    fn bit(&self, i: u32) -> bool {
        i < 256 && (self.0[(i / 64) as usize] >> (i % 64)) & 1 == 1
    }

    fn mul_small(&self, m: u64) -> Option<U256> {
        let mut out = [0u64; 4];
        let mut carry = 0u128;
        for (o, &limb) in out.iter_mut().zip(&self.0) {
            let v = limb as u128 * m as u128 + carry;
            *o = v as u64;
            carry = v >> 64;
        }
        (carry == 0).then_some(U256(out))
    }

    fn shl(&self, s: u32) -> Option<U256> {
        if s == 0 {
            return Some(*self);
        }
        if self.bits() + s > 256 {
            return None;
        }
        let mut out = [0u64; 4];
        for i in 0..256 {
            if self.bit(i) {
                let j = i + s;
                out[(j / 64) as usize] |= 1 << (j % 64);
            }
        }
        Some(U256(out))
    }

    /// Quotient and whether the remainder is non-zero (schoolbook, bit by bit).
    fn div_u128(&self, d: u128) -> (U256, bool) {
        let mut q = [0u64; 4];
        let mut r: u128 = 0;
        for i in (0..self.bits()).rev() {
            let top = r >> 127;
            r = (r << 1) | self.bit(i) as u128;
            if top == 1 || r >= d {
                r = r.wrapping_sub(d);
                q[(i / 64) as usize] |= 1 << (i % 64);
            }
        }
        (U256(q), r != 0)
    }

    /// Rounds to a 64-bit mantissa: (mant, shift) with value ≈ mant × 2^shift; `sticky` tells
    /// whether non-zero bits were already lost below this integer.
    fn round64(&self, sticky: bool) -> (u64, i32) {
        let bits = self.bits();
        if bits == 0 {
            return (0, 0);
        }
        if bits <= 64 {
            // Exact (callers never lose bits below a value this short).
            let s = 64 - bits;
            return (self.0[0] << s, -(s as i32));
        }
        let shift = bits - 64;
        let mut mant: u64 = 0;
        for i in 0..64 {
            if self.bit(shift + i) {
                mant |= 1 << i;
            }
        }
        let half = self.bit(shift - 1);
        let below = sticky || (0..shift - 1).any(|i| self.bit(i));
        let round_up = half && (below || mant & 1 == 1);
        round_mant(mant, shift as i32, round_up)
    }
}

/// Applies a rounding increment, renormalizing on carry out of the top bit.
fn round_mant(mant: u64, exp: i32, round_up: bool) -> (u64, i32) {
    if !round_up {
        return (mant, exp);
    }
    match mant.checked_add(1) {
        Some(m) => (m, exp),
        None => (1 << 63, exp + 1),
    }
}

/// Parses a plain decimal (`[+-]digits[.digits][e[+-]digits]`) correctly rounded to a long double.
fn parse(s: &[u8]) -> Option<Ld> {
    let (neg, body) = match s.first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let mut digits: u128 = 0;
    let mut ndigits = 0u32;
    let mut seen_digit = false;
    let mut exp10: i64 = 0;
    let mut i = 0;
    let mut after_dot = false;
    while i < body.len() {
        match body[i] {
            c @ b'0'..=b'9' => {
                seen_digit = true;
                if digits == 0 && c == b'0' {
                    // Leading zeros are not significant.
                } else if ndigits < 38 {
                    digits = digits * 10 + (c - b'0') as u128;
                    ndigits += 1;
                } else if c != b'0' {
                    return None;
                } else {
                    exp10 += 1;
                }
                if after_dot {
                    exp10 -= 1;
                }
            }
            b'.' if !after_dot => after_dot = true,
            b'e' | b'E' => break,
            _ => return None,
        }
        i += 1;
    }
    if !seen_digit {
        return None;
    }
    if i < body.len() {
        let e = std::str::from_utf8(&body[i + 1..]).ok()?;
        if e.is_empty() || e.starts_with("++") || e.starts_with("--") {
            return None;
        }
        let e: i64 = e.parse().ok()?;
        exp10 = exp10.checked_add(e)?;
    }
    if digits == 0 {
        return Some(Ld {
            neg,
            mant: 0,
            exp: 0,
        });
    }
    let (mant, exp) = if exp10 >= 0 {
        let mut n = U256::from_u128(digits);
        for _ in 0..exp10.min(80) {
            n = n.mul_small(10)?;
        }
        if exp10 > 80 {
            return None;
        }
        n.round64(false)
    } else {
        if exp10 < -38 {
            return None;
        }
        let div = 10u128.pow((-exp10) as u32);
        let d_bits = 128 - div.leading_zeros();
        let n = U256::from_u128(digits);
        let shift = (66 + d_bits + 1).saturating_sub(n.bits());
        let (q, rem) = n.shl(shift)?.div_u128(div);
        let (m, e) = q.round64(rem);
        (m, e - shift as i32)
    };
    Some(Ld { neg, mant, exp })
}

/// Correctly rounded sum.
fn add(a: Ld, b: Ld) -> Ld {
    if a.mant == 0 {
        return b;
    }
    if b.mant == 0 {
        return a;
    }
    // Order by magnitude.
    let (big, small) = if (a.exp, a.mant) >= (b.exp, b.mant) {
        (a, b)
    } else {
        (b, a)
    };
    // 62 guard bits below each mantissa leave a spare bit for the carry.
    const G: i32 = 62;
    let x = (big.mant as u128) << G;
    let d = big.exp - small.exp;
    let (y, sticky) = if d >= 126 {
        (0u128, true)
    } else {
        let full = (small.mant as u128) << G;
        let lost = d > 0 && full & ((1u128 << d) - 1) != 0;
        (full >> d, lost)
    };
    let exp = big.exp - G;
    let (sum, neg) = if big.neg == small.neg {
        (x + y, big.neg)
    } else {
        // Lost bits of the subtrahend make the true difference slightly smaller.
        let y = y + sticky as u128;
        (x - y, big.neg)
    };
    if sum == 0 {
        return Ld {
            neg: false,
            mant: 0,
            exp: 0,
        };
    }
    let (mant, shift) = U256::from_u128(sum).round64(sticky && big.neg == small.neg);
    Ld {
        neg,
        mant,
        exp: exp + shift,
    }
}

/// `%.17Lf` with trailing zeros (and a bare point) removed, and `-0` shown as `0`.
fn format(v: Ld) -> Option<String> {
    const SCALE: u128 = 100_000_000_000_000_000; // 10^17
    let digits = if v.mant == 0 {
        0u128
    } else if v.exp >= 0 {
        if v.exp > 63 {
            return None;
        }
        ((v.mant as u128) << v.exp).checked_mul(SCALE)?
    } else {
        let scaled = v.mant as u128 * SCALE;
        let s = (-v.exp) as u32;
        if s >= 128 {
            0
        } else {
            let q = scaled >> s;
            let rem = scaled & ((1u128 << s) - 1);
            let half = 1u128 << (s - 1);
            if rem > half || (rem == half && q & 1 == 1) {
                q + 1
            } else {
                q
            }
        }
    };
    let int = digits / SCALE;
    let frac = digits % SCALE;
    let mut out = String::new();
    if v.neg && digits != 0 {
        out.push('-');
    }
    out.push_str(&int.to_string());
    if frac != 0 {
        let f = format!("{frac:017}");
        out.push('.');
        out.push_str(f.trim_end_matches('0'));
    }
    Some(out)
}

/// INCRBYFLOAT's result text as Redis on x86-64 computes it, or `None` when an operand is
/// outside what this emulation supports (the caller then falls back to `f64`).
pub fn incr_by_float(current: &[u8], incr: &[u8]) -> Option<String> {
    format(add(parse(current)?, parse(incr)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sum(a: &str, b: &str) -> String {
        incr_by_float(a.as_bytes(), b.as_bytes()).expect("supported")
    }

    #[test]
    fn matches_redis_7_0_on_x86_64() {
        // Observed from redis-server 7.0.15 on x86-64.
        assert_eq!(sum("1", "-1.1"), "-0.1");
        assert_eq!(sum("0.1", "0.2"), "0.3");
        assert_eq!(sum("1", "0.2"), "1.2");
        assert_eq!(sum("1.2", "0.3"), "1.5");
        assert_eq!(sum("100", "0.1"), "100.1");
        assert_eq!(sum("10.5", "0.1"), "10.6");
        assert_eq!(sum("12345", "0.1"), "12345.09999999999999964");
        assert_eq!(sum("1000000", "0.1"), "1000000.10000000000002274");
        assert_eq!(sum("5.5", "1e-20"), "5.5");
        assert_eq!(sum("123456789012345678", "1"), "123456789012345679");
        assert_eq!(sum("0", "3e3"), "3000");
        assert_eq!(sum("3000", "5.0e3"), "8000");
        assert_eq!(sum("1.5e10", "1"), "15000000001");
        assert_eq!(sum("17179869184", "1.5"), "17179869185.5");
        assert_eq!(sum("0", "1"), "1");
        assert_eq!(sum("1", "0.25"), "1.25");
        assert_eq!(sum("5", "-5"), "0");
        assert_eq!(sum("-0", "0"), "0");
        assert_eq!(sum(".5", "5."), "5.5");
        assert_eq!(sum("+1", "-0.00000000000000001"), "0.99999999999999999");
    }

    #[test]
    fn chained_results_parse_back() {
        // A result with 22 significant digits is the next operand.
        assert_eq!(
            sum("12345.09999999999999964", "0"),
            "12345.09999999999999964"
        );
        assert_eq!(sum("-0.1", "0.1"), "0");
    }

    #[test]
    fn unsupported_inputs_fall_back() {
        assert_eq!(incr_by_float(b"inf", b"1"), None);
        assert_eq!(incr_by_float(b"0x10", b"1"), None);
        assert_eq!(incr_by_float(b"1e400", b"1"), None);
        assert_eq!(incr_by_float(b"1e-400", b"1"), None);
        assert_eq!(incr_by_float(b"1", b"abc"), None);
        assert_eq!(incr_by_float(b"", b"1"), None);
        assert_eq!(incr_by_float(b"1e", b"1"), None);
    }
}
