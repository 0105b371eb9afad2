//! BITFIELD and BITFIELD_RO: integers of 1 to 64 bits at arbitrary bit offsets of a string.
//!
//! All operations are parsed and validated before any is executed, so a bad argument leaves the
//! key untouched; overflow handling (WRAP, SAT, FAIL) follows Redis 7.0 bit for bit.

use bytes::Bytes;

use super::args;
use super::bits::check_offset;
use crate::resp::Reply;
use crate::server::command::{CommandSpec, acl, flags::*};
use crate::server::notify;
use crate::server::state::Ctx;
use crate::server::value::Value;
use crate::util::num::parse_i64;

/// The BITFIELD commands.
#[rustfmt::skip]
pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("bitfield", -2, bitfield).flags(WRITE | DENYOOM).acl(acl::BITMAP).keys(1, 1, 1)
        .doc("bitmap", "3.2.0", "Perform arbitrary bitfield integer operations on strings"),
    CommandSpec::new("bitfield_ro", -2, bitfield_ro).flags(READONLY | FAST).acl(acl::BITMAP).keys(1, 1, 1)
        .doc("bitmap", "6.0.0", "Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD"),
];

const TYPE_ERR: &str = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";

/// What to do when a SET or INCRBY does not fit the field.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Overflow {
    Wrap,
    Sat,
    Fail,
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Kind {
    Get,
    Set,
    IncrBy,
}

/// One parsed operation.
#[derive(Debug)]
struct FieldOp {
    kind: Kind,
    signed: bool,
    bits: u32,
    offset: u64,
    value: i64,
    overflow: Overflow,
}

/// Parses `i<1..64>` or `u<1..63>`.
fn parse_type(arg: &[u8]) -> Result<(bool, u32), Reply> {
    let signed = match arg.first() {
        Some(b'i') => true,
        Some(b'u') => false,
        _ => return Err(Reply::err(TYPE_ERR)),
    };
    match parse_i64(&arg[1..]) {
        Some(b) if b >= 1 && b <= if signed { 64 } else { 63 } => Ok((signed, b as u32)),
        _ => Err(Reply::err(TYPE_ERR)),
    }
}

/// Parses a field offset; `#n` means the n-th field of this width.
fn parse_offset(ctx: &Ctx, arg: &[u8], bits: u32) -> Result<u64, Reply> {
    let off = match arg.strip_prefix(b"#") {
        Some(rest) => parse_i64(rest).and_then(|n| n.checked_mul(bits as i64)),
        None => parse_i64(arg),
    };
    check_offset(ctx, off)
}

fn parse_ops(ctx: &Ctx, a: &[Bytes]) -> Result<Vec<FieldOp>, Reply> {
    let mut ops = Vec::new();
    let mut overflow = Overflow::Wrap;
    let mut j = 2;
    while j < a.len() {
        let remaining = a.len() - j - 1;
        let kind = match args::lower(&a[j]).as_str() {
            "get" if remaining >= 2 => Kind::Get,
            "set" if remaining >= 3 => Kind::Set,
            "incrby" if remaining >= 3 => Kind::IncrBy,
            "overflow" if remaining >= 1 => {
                overflow = match args::lower(&a[j + 1]).as_str() {
                    "wrap" => Overflow::Wrap,
                    "sat" => Overflow::Sat,
                    "fail" => Overflow::Fail,
                    _ => return Err(Reply::err("ERR Invalid OVERFLOW type specified")),
                };
                j += 2;
                continue;
            }
            _ => return Err(args::syntax_error()),
        };
        let (signed, bits) = parse_type(&a[j + 1])?;
        let offset = parse_offset(ctx, &a[j + 2], bits)?;
        let value = if kind == Kind::Get {
            0
        } else {
            args::int(&a[j + 3])?
        };
        ops.push(FieldOp {
            kind,
            signed,
            bits,
            offset,
            value,
            overflow,
        });
        j += if kind == Kind::Get { 3 } else { 4 };
    }
    Ok(ops)
}

/// Reads an unsigned field (bits past the end of `s` read as zero).
fn get_unsigned(s: &[u8], offset: u64, bits: u32) -> u64 {
    (0..bits as u64).fold(0u64, |v, i| {
        (v << 1) | super::bits::bit_at(s, offset + i) as u64
    })
}

/// Reads a two's complement field.
fn get_signed(s: &[u8], offset: u64, bits: u32) -> i64 {
    let v = get_unsigned(s, offset, bits);
    if bits < 64 && v & (1 << (bits - 1)) != 0 {
        (v | (u64::MAX << bits)) as i64
    } else {
        v as i64
    }
}

/// Writes the low `bits` bits of `v`; `s` is already long enough.
fn set_field(s: &mut [u8], offset: u64, bits: u32, v: u64) {
    for i in 0..bits as u64 {
        let bit = (v >> (bits as u64 - 1 - i)) & 1 != 0;
        let pos = offset + i;
        let mask = 0x80u8 >> (pos & 7);
        let byte = &mut s[(pos >> 3) as usize];
        if bit {
            *byte |= mask;
        } else {
            *byte &= !mask;
        }
    }
}

/// Result of adding `incr` to an unsigned field value: the value to store, and whether it
/// overflowed (for FAIL).
fn unsigned_add(value: u64, incr: i64, bits: u32, ow: Overflow) -> (u64, bool) {
    let max = (1u64 << bits) - 1;
    let max_incr = max.wrapping_sub(value) as i64;
    let min_incr = value.wrapping_neg() as i64;
    let wrap = || value.wrapping_add(incr as u64) & max;
    if value > max || (incr > 0 && incr > max_incr) {
        match ow {
            Overflow::Sat => (max, true),
            _ => (wrap(), true),
        }
    } else if incr < 0 && incr < min_incr {
        match ow {
            Overflow::Sat => (0, true),
            _ => (wrap(), true),
        }
    } else {
        (value.wrapping_add(incr as u64), false)
    }
}

/// Signed counterpart of [`unsigned_add`].
fn signed_add(value: i64, incr: i64, bits: u32, ow: Overflow) -> (i64, bool) {
    let max = if bits == 64 {
        i64::MAX
    } else {
        (1i64 << (bits - 1)) - 1
    };
    let min = -max - 1;
    let max_incr = (max as u64).wrapping_sub(value as u64) as i64;
    let min_incr = min.wrapping_sub(value);
    let wrap = || {
        let mut c = (value as u64).wrapping_add(incr as u64);
        if bits < 64 {
            let mask = u64::MAX << bits;
            if c & (1 << (bits - 1)) != 0 {
                c |= mask;
            } else {
                c &= !mask;
            }
        }
        c as i64
    };
    if value > max || (bits != 64 && incr > max_incr) || (value >= 0 && incr > 0 && incr > max_incr)
    {
        match ow {
            Overflow::Sat => (max, true),
            _ => (wrap(), true),
        }
    } else if value < min
        || (bits != 64 && incr < min_incr)
        || (value < 0 && incr < 0 && incr < min_incr)
    {
        match ow {
            Overflow::Sat => (min, true),
            _ => (wrap(), true),
        }
    } else {
        (value.wrapping_add(incr), false)
    }
}

/// Runs one SET or INCRBY on the string; None when FAIL refused it.
fn apply(s: &mut [u8], op: &FieldOp) -> Option<(i64, bool)> {
    if op.signed {
        let old = get_signed(s, op.offset, op.bits);
        let (new, overflow, ret) = match op.kind {
            Kind::IncrBy => {
                let (n, o) = signed_add(old, op.value, op.bits, op.overflow);
                (n, o, n)
            }
            _ => {
                let (n, o) = signed_add(op.value, 0, op.bits, op.overflow);
                (n, o, old)
            }
        };
        if overflow && op.overflow == Overflow::Fail {
            return None;
        }
        set_field(s, op.offset, op.bits, new as u64);
        Some((ret, new != old))
    } else {
        let old = get_unsigned(s, op.offset, op.bits);
        let (new, overflow, ret) = match op.kind {
            Kind::IncrBy => {
                let (n, o) = unsigned_add(old, op.value, op.bits, op.overflow);
                (n, o, n)
            }
            _ => {
                let (n, o) = unsigned_add(op.value as u64, 0, op.bits, op.overflow);
                (n, o, old)
            }
        };
        if overflow && op.overflow == Overflow::Fail {
            return None;
        }
        set_field(s, op.offset, op.bits, new);
        Some((ret as i64, new != old))
    }
}

fn read_field(s: &[u8], op: &FieldOp) -> Reply {
    if op.signed {
        Reply::Int(get_signed(s, op.offset, op.bits))
    } else {
        Reply::Int(get_unsigned(s, op.offset, op.bits) as i64)
    }
}

fn bitfield_generic(ctx: &mut Ctx, a: &[Bytes], readonly_cmd: bool) -> Reply {
    let ops = match parse_ops(ctx, a) {
        Ok(o) => o,
        Err(e) => return e,
    };
    let highest = ops
        .iter()
        .filter(|o| o.kind != Kind::Get)
        .map(|o| o.offset + o.bits as u64 - 1)
        .max();
    let Some(highest) = highest else {
        // Only GETs: a missing key reads as zeros.
        return match ctx.read_str(&a[1]) {
            Ok(v) => {
                let s: &[u8] = v.map_or(&[], |v| &v[..]);
                Reply::Array(ops.iter().map(|op| read_field(s, op)).collect())
            }
            Err(e) => e,
        };
    };
    if readonly_cmd {
        return Reply::err("ERR BITFIELD_RO only supports the GET subcommand");
    }
    let need = (highest >> 3) as usize + 1;
    // As in Redis, a write counts as a change when it creates or grows the string, or
    // changes the field's value.
    let mut grew = false;
    let s = match ctx.write_str(&a[1]) {
        Ok(Some(v)) => {
            if v.len() < need {
                v.resize(need, 0);
                grew = true;
            }
            v
        }
        Ok(None) => {
            grew = true;
            ctx.store(&a[1], Value::Str(vec![0u8; need]));
            match ctx.write_str(&a[1]) {
                Ok(Some(v)) => v,
                _ => return Reply::err("ERR internal error"),
            }
        }
        Err(e) => return e,
    };
    let mut changes = 0;
    let mut out = Vec::with_capacity(ops.len());
    for op in &ops {
        if op.kind == Kind::Get {
            out.push(read_field(s, op));
            continue;
        }
        match apply(s, op) {
            Some((v, changed)) => {
                if grew || changed {
                    changes += 1;
                }
                out.push(Reply::Int(v));
            }
            None => out.push(Reply::Null),
        }
    }
    if changes > 0 {
        ctx.modified(&a[1], notify::STRING, "setbit");
        ctx.srv.dirty += changes - 1;
    }
    Reply::Array(out)
}

fn bitfield(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    bitfield_generic(ctx, a, false)
}

fn bitfield_ro(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    bitfield_generic(ctx, a, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_roundtrip() {
        let mut s = vec![0u8; 4];
        set_field(&mut s, 3, 5, 0b10110);
        assert_eq!(get_unsigned(&s, 3, 5), 0b10110);
        assert_eq!(get_signed(&s, 3, 5), -10);
        assert_eq!(s[0], 0b0001_0110);
        set_field(&mut s, 0, 32, 0xdead_beef);
        assert_eq!(get_unsigned(&s, 0, 32), 0xdead_beef);
    }

    #[test]
    fn overflow_rules() {
        assert_eq!(unsigned_add(250, 10, 8, Overflow::Wrap), (4, true));
        assert_eq!(unsigned_add(250, 10, 8, Overflow::Sat), (255, true));
        assert_eq!(unsigned_add(5, -10, 8, Overflow::Sat), (0, true));
        assert_eq!(unsigned_add(5, -10, 8, Overflow::Wrap), (251, true));
        assert_eq!(signed_add(120, 10, 8, Overflow::Wrap), (-126, true));
        assert_eq!(signed_add(120, 10, 8, Overflow::Sat), (127, true));
        assert_eq!(signed_add(-120, -10, 8, Overflow::Sat), (-128, true));
        assert_eq!(
            signed_add(i64::MAX, 1, 64, Overflow::Wrap),
            (i64::MIN, true)
        );
        assert_eq!(signed_add(3, 4, 8, Overflow::Fail), (7, false));
    }
}
