//! Bitmap commands on string values: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP.
//!
//! Bits are numbered from the most significant bit of the first byte, as in Redis. Ranges follow
//! Redis 7.0 exactly, including its quirks (a negative end below the start of the string clamps
//! to 0, and a missing key answers before the range arguments are even parsed).

use bytes::Bytes;

use super::args;
use crate::resp::Reply;
use crate::server::command::{CommandSpec, acl, flags::*};
use crate::server::notify;
use crate::server::state::Ctx;
use crate::server::value::Value;

/// The bitmap command family (BITFIELD lives in `bitfield.rs`).
#[rustfmt::skip]
pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("setbit", 4, setbit).flags(WRITE | DENYOOM).acl(acl::BITMAP).keys(1, 1, 1)
        .doc("bitmap", "2.2.0", "Sets or clears the bit at offset in the string value stored at key"),
    CommandSpec::new("getbit", 3, getbit).flags(READONLY | FAST).acl(acl::BITMAP).keys(1, 1, 1)
        .doc("bitmap", "2.2.0", "Returns the bit value at offset in the string value stored at key"),
    CommandSpec::new("bitcount", -2, bitcount).flags(READONLY).acl(acl::BITMAP).keys(1, 1, 1)
        .doc("bitmap", "2.6.0", "Count set bits in a string"),
    CommandSpec::new("bitpos", -3, bitpos).flags(READONLY).acl(acl::BITMAP).keys(1, 1, 1)
        .doc("bitmap", "2.8.7", "Find first bit set or clear in a string"),
    CommandSpec::new("bitop", -4, bitop).flags(WRITE | DENYOOM).acl(acl::BITMAP).keys(2, -1, 1)
        .doc("bitmap", "2.6.0", "Perform bitwise operations between strings"),
];

/// Error for a bad or too large bit offset (shared with BITFIELD).
pub const OFFSET_ERR: &str = "ERR bit offset is not an integer or out of range";

/// Checks a parsed bit offset against `proto-max-bulk-len`, as Redis bounds the string it implies.
pub fn check_offset(ctx: &Ctx, offset: Option<i64>) -> Result<u64, Reply> {
    match offset {
        Some(o) if o >= 0 && ((o as u64) >> 3) < ctx.srv.config.proto_max_bulk_len => Ok(o as u64),
        _ => Err(Reply::err(OFFSET_ERR)),
    }
}

/// Bit `offset` of `s` (zero past the end).
pub fn bit_at(s: &[u8], offset: u64) -> bool {
    let byte = (offset >> 3) as usize;
    s.get(byte).is_some_and(|b| b & (0x80 >> (offset & 7)) != 0)
}

fn setbit(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let offset = match check_offset(ctx, crate::util::num::parse_i64(&a[2])) {
        Ok(o) => o,
        Err(e) => return e,
    };
    let on = match crate::util::num::parse_i64(&a[3]) {
        Some(v @ (0 | 1)) => v == 1,
        _ => return Reply::err("ERR bit is not an integer or out of range"),
    };
    let byte = (offset >> 3) as usize;
    let mask = 0x80u8 >> (offset & 7);
    let (old, changed) = match ctx.write_str(&a[1]) {
        Ok(Some(v)) => {
            let grew = v.len() <= byte;
            if grew {
                v.resize(byte + 1, 0);
            }
            let old = v[byte] & mask != 0;
            if on {
                v[byte] |= mask;
            } else {
                v[byte] &= !mask;
            }
            (old, grew || old != on)
        }
        Ok(None) => {
            let mut v = vec![0u8; byte + 1];
            if on {
                v[byte] |= mask;
            }
            ctx.store(&a[1], Value::Str(v));
            (false, true)
        }
        Err(e) => return e,
    };
    if changed {
        ctx.modified(&a[1], notify::STRING, "setbit");
    }
    Reply::Int(old as i64)
}

fn getbit(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let offset = match check_offset(ctx, crate::util::num::parse_i64(&a[2])) {
        Ok(o) => o,
        Err(e) => return e,
    };
    match ctx.read_str(&a[1]) {
        Ok(Some(v)) => Reply::Int(bit_at(v, offset) as i64),
        Ok(None) => Reply::Int(0),
        Err(e) => e,
    }
}

/// Parses the optional `BYTE|BIT` unit; true for BIT.
fn parse_unit(arg: Option<&Bytes>) -> Result<bool, Reply> {
    match arg {
        None => Ok(false),
        Some(u) if args::is(u, "bit") => Ok(true),
        Some(u) if args::is(u, "byte") => Ok(false),
        Some(_) => Err(args::syntax_error()),
    }
}

/// Turns Redis start/end indexes (bytes or bits, negative from the end) into an inclusive bit
/// range within a string of `len` bytes; None when the range is empty.
fn bit_range(start: i64, end: i64, len: usize, in_bits: bool) -> Option<(u64, u64)> {
    let total = if in_bits { len as i64 * 8 } else { len as i64 };
    let mut s = if start < 0 { total + start } else { start };
    let mut e = if end < 0 { total + end } else { end };
    s = s.max(0);
    e = e.max(0);
    if e >= total {
        e = total - 1;
    }
    if s > e {
        return None;
    }
    if in_bits {
        Some((s as u64, e as u64))
    } else {
        Some((s as u64 * 8, e as u64 * 8 + 7))
    }
}

/// Mask of the bits of byte `i` that fall inside the inclusive bit range.
fn edge_mask(i: usize, first: u64, last: u64) -> u8 {
    let mut m = 0xffu8;
    if i as u64 == first >> 3 {
        m &= 0xff >> (first & 7);
    }
    if i as u64 == last >> 3 {
        m &= 0xff << (7 - (last & 7));
    }
    m
}

/// Number of set bits in the inclusive bit range (which lies within `s`).
pub fn count_ones(s: &[u8], first: u64, last: u64) -> u64 {
    let (fb, lb) = ((first >> 3) as usize, (last >> 3) as usize);
    if fb == lb {
        return (s[fb] & edge_mask(fb, first, last)).count_ones() as u64;
    }
    let mut n = (s[fb] & edge_mask(fb, first, last)).count_ones() as u64
        + (s[lb] & edge_mask(lb, first, last)).count_ones() as u64;
    let middle = &s[fb + 1..lb];
    let mut chunks = middle.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        n += u64::from_ne_bytes(w).count_ones() as u64;
    }
    n + chunks
        .remainder()
        .iter()
        .map(|b| b.count_ones() as u64)
        .sum::<u64>()
}

/// Position of the first bit equal to `bit` in the inclusive bit range, if any.
pub fn find_bit(s: &[u8], first: u64, last: u64, bit: bool) -> Option<u64> {
    let (fb, lb) = ((first >> 3) as usize, (last >> 3) as usize);
    // Searching for 0 is searching for 1 in the inverted byte.
    let flip = if bit { 0 } else { 0xff };
    let mut i = fb;
    while i <= lb {
        if i > fb && i + 8 < lb {
            // Skip whole words that cannot contain the bit.
            let mut w = [0u8; 8];
            w.copy_from_slice(&s[i..i + 8]);
            if w.iter().all(|&b| b ^ flip == 0) {
                i += 8;
                continue;
            }
        }
        let b = (s[i] ^ flip) & edge_mask(i, first, last);
        if b != 0 {
            return Some(i as u64 * 8 + b.leading_zeros() as u64);
        }
        i += 1;
    }
    None
}

fn bitcount(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let v = match ctx.read_str(&a[1]) {
        Ok(Some(v)) => v,
        Ok(None) => return Reply::Int(0),
        Err(e) => return e,
    };
    let range = match a.len() {
        2 => bit_range(0, -1, v.len(), false),
        4 | 5 => {
            let (start, end) = match (args::int(&a[2]), args::int(&a[3])) {
                (Ok(s), Ok(e)) => (s, e),
                (Err(e), _) | (_, Err(e)) => return e,
            };
            // Redis 7.0 answers this case before it looks at the unit argument.
            if start < 0 && end < 0 && start > end {
                return Reply::Int(0);
            }
            let in_bits = match parse_unit(a.get(4)) {
                Ok(b) => b,
                Err(e) => return e,
            };
            bit_range(start, end, v.len(), in_bits)
        }
        _ => return args::syntax_error(),
    };
    match range {
        Some((first, last)) => Reply::Int(count_ones(v, first, last) as i64),
        None => Reply::Int(0),
    }
}

fn bitpos(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let bit = match args::int(&a[2]) {
        Ok(b @ (0 | 1)) => b == 1,
        Ok(_) => return Reply::err("ERR The bit argument must be 1 or 0."),
        Err(e) => return e,
    };
    let v = match ctx.read_str(&a[1]) {
        Ok(Some(v)) => v,
        // A missing key is an endless run of zeros.
        Ok(None) => return Reply::Int(if bit { -1 } else { 0 }),
        Err(e) => return e,
    };
    if a.len() > 6 {
        return args::syntax_error();
    }
    let start = match a.get(3).map(|s| args::int(s)) {
        None => 0,
        Some(Ok(s)) => s,
        Some(Err(e)) => return e,
    };
    let in_bits = match parse_unit(a.get(5)) {
        Ok(b) => b,
        Err(e) => return e,
    };
    let end = match a.get(4).map(|e| args::int(e)) {
        None => -1,
        Some(Ok(e)) => e,
        Some(Err(e)) => return e,
    };
    let end_given = a.len() >= 5;
    let Some((first, last)) = bit_range(start, end, v.len(), in_bits) else {
        return Reply::Int(-1);
    };
    match find_bit(v, first, last, bit) {
        Some(pos) => Reply::Int(pos as i64),
        // Looking for a clear bit past an open-ended range finds the zero padding after it.
        None if !bit && !end_given => Reply::Int(last as i64 + 1),
        None => Reply::Int(-1),
    }
}

/// The BITOP operations.
#[derive(Clone, Copy, PartialEq)]
enum Op {
    And,
    Or,
    Xor,
    Not,
}

fn bitop(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let op = match args::lower(&a[1]).as_str() {
        "and" => Op::And,
        "or" => Op::Or,
        "xor" => Op::Xor,
        "not" => Op::Not,
        _ => return args::syntax_error(),
    };
    if op == Op::Not && a.len() != 4 {
        return Reply::err("ERR BITOP NOT must be called with a single source key.");
    }
    // Fold the sources into the result one by one; missing keys are empty strings, and
    // shorter strings are padded with zeros.
    let mut res: Vec<u8> = Vec::new();
    for (j, key) in a[3..].iter().enumerate() {
        let src: &[u8] = match ctx.read_str(key) {
            Ok(Some(v)) => v,
            Ok(None) => &[],
            Err(e) => return e,
        };
        if j == 0 {
            res = match op {
                Op::Not => src.iter().map(|b| !b).collect(),
                _ => src.to_vec(),
            };
            continue;
        }
        let common = res.len().min(src.len());
        match op {
            Op::And => {
                res[..common].iter_mut().zip(src).for_each(|(r, s)| *r &= s);
                res[common..].fill(0);
                res.resize(res.len().max(src.len()), 0);
            }
            Op::Or | Op::Xor => {
                for (r, s) in res[..common].iter_mut().zip(src) {
                    if op == Op::Or {
                        *r |= s;
                    } else {
                        *r ^= s;
                    }
                }
                if src.len() > common {
                    res.extend_from_slice(&src[common..]);
                }
            }
            Op::Not => {}
        }
    }
    let dest = &a[2];
    let len = res.len();
    if len > 0 {
        ctx.store(dest, Value::Str(res));
        ctx.modified(dest, notify::STRING, "set");
    } else if ctx.delete(dest) {
        ctx.modified(dest, notify::GENERIC, "del");
    }
    Reply::Int(len as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_follow_redis() {
        assert_eq!(bit_range(0, -1, 3, false), Some((0, 23)));
        assert_eq!(bit_range(1, 1, 3, false), Some((8, 15)));
        assert_eq!(bit_range(0, -100, 3, false), Some((0, 7)));
        assert_eq!(bit_range(5, 100, 3, true), Some((5, 23)));
        assert_eq!(bit_range(0, -1, 0, false), None);
        assert_eq!(bit_range(4, 3, 10, false), None);
    }

    #[test]
    fn count_and_find() {
        let s = [0xffu8, 0xf0, 0x00, 0x01];
        assert_eq!(count_ones(&s, 0, 31), 13);
        assert_eq!(count_ones(&s, 3, 10), 8);
        assert_eq!(count_ones(&s, 12, 12), 0);
        assert_eq!(find_bit(&s, 0, 31, false), Some(12));
        assert_eq!(find_bit(&s, 0, 31, true), Some(0));
        assert_eq!(find_bit(&s, 12, 31, true), Some(31));
        assert_eq!(find_bit(&s, 0, 7, false), None);
        let long: Vec<u8> = std::iter::repeat_n(0u8, 100).chain([0x20]).collect();
        assert_eq!(find_bit(&long, 0, 100 * 8 + 7, true), Some(802));
        assert_eq!(count_ones(&long, 0, 807), 1);
    }
}
