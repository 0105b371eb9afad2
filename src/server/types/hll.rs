//! HyperLogLog in Redis's exact byte layout, so a value moves between vigil and Redis (DUMP,
//! RESTORE, RDB files, replication) unchanged and counts the same.
//!
//! A HyperLogLog is an ordinary string value: a 16-byte header (`HYLL`, the encoding byte, three
//! unused bytes, a little-endian cached cardinality whose top bit marks it stale) followed by
//! 16384 six-bit registers, either packed ("dense", 12288 bytes) or run-length coded ("sparse":
//! ZERO `00xxxxxx`, XZERO `01xxxxxx yyyyyyyy`, VAL `1vvvvvxx` opcodes). Elements are hashed with
//! MurmurHash64A (seed 0xadc83b19); the low 14 bits pick the register and the position of the
//! first set bit in the rest is the value it may be raised to. Sparse values are edited in place
//! exactly as Redis edits them, so identical commands give identical bytes.

/// Number of index bits.
const P: u32 = 14;
/// Hash bits left for the run of zeroes.
const Q: u32 = 64 - P;
/// Number of registers.
pub const REGISTERS: usize = 1 << P;
/// Largest register value.
const REGISTER_MAX: u8 = 63;
/// Header length.
pub const HDR_SIZE: usize = 16;
/// Length of a dense value.
pub const DENSE_SIZE: usize = HDR_SIZE + (REGISTERS * 6).div_ceil(8);
/// Encoding byte of a dense value.
pub const DENSE: u8 = 0;
/// Encoding byte of a sparse value.
pub const SPARSE: u8 = 1;

const VAL_MAX_VALUE: u8 = 32;
const VAL_MAX_LEN: usize = 4;
const ZERO_MAX_LEN: usize = 64;
const XZERO_MAX_LEN: usize = 16384;
const ALPHA_INF: f64 = 0.721_347_520_444_481_7;

/// Error text for a key that holds some other string.
pub const NOT_HLL: &str = "WRONGTYPE Key is not a valid HyperLogLog string value.";
/// Error text for a sparse value whose opcodes do not add up.
pub const CORRUPTED: &str = "INVALIDOBJ Corrupted HLL object detected";

/// A sparse value whose opcodes do not describe exactly 16384 registers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Corrupted;

/// Redis's endian-neutral MurmurHash2, 64-bit version.
pub fn murmurhash64a(key: &[u8], seed: u32) -> u64 {
    const M: u64 = 0xc6a4_a793_5bd1_e995;
    const R: u32 = 47;
    // Redis multiplies the C `int` length, so lengths are taken modulo 2^32 and sign-extended.
    let len = key.len() as i32 as i64 as u64;
    let mut h = u64::from(seed) ^ len.wrapping_mul(M);
    let mut chunks = key.chunks_exact(8);
    for chunk in &mut chunks {
        let mut k = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h ^= k;
        h = h.wrapping_mul(M);
    }
    let tail = chunks.remainder();
    if !tail.is_empty() {
        for (i, &b) in tail.iter().enumerate() {
            h ^= u64::from(b) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^= h >> R;
    h
}

/// The register an element maps to and the value it offers (1 + zeroes before the first one).
pub fn pat_len(ele: &[u8]) -> (usize, u8) {
    let hash = murmurhash64a(ele, 0xadc8_3b19);
    let index = (hash as usize) & (REGISTERS - 1);
    let rest = (hash >> P) | (1u64 << Q);
    (index, rest.trailing_zeros() as u8 + 1)
}

/// Reads dense register `i` from the register bytes.
pub fn dense_get(regs: &[u8], i: usize) -> u8 {
    let byte = i * 6 / 8;
    let fb = (i * 6) & 7;
    let b0 = u32::from(regs[byte]);
    let b1 = u32::from(regs.get(byte + 1).copied().unwrap_or(0));
    (((b0 >> fb) | (b1 << (8 - fb))) & u32::from(REGISTER_MAX)) as u8
}

/// Writes dense register `i`.
pub fn dense_set(regs: &mut [u8], i: usize, val: u8) {
    let byte = i * 6 / 8;
    let fb = (i * 6) & 7;
    let v = u32::from(val);
    let max = u32::from(REGISTER_MAX);
    regs[byte] = ((u32::from(regs[byte]) & !(max << fb)) | (v << fb)) as u8;
    if let Some(b1) = regs.get_mut(byte + 1) {
        *b1 = ((u32::from(*b1) & !(max >> (8 - fb))) | (v >> (8 - fb))) as u8;
    }
}

/// Raises dense register `i` to `count`; true when it changed.
fn dense_raise(regs: &mut [u8], i: usize, count: u8) -> bool {
    if count > dense_get(regs, i) {
        dense_set(regs, i, count);
        true
    } else {
        false
    }
}

/// One decoded sparse opcode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    /// `len` registers at zero (ZERO or XZERO).
    Zero { len: usize, wide: bool },
    /// `len` registers at `val`.
    Val { val: u8, len: usize },
}

impl Op {
    fn decode(bytes: &[u8], at: usize) -> Op {
        let b = bytes[at];
        if b & 0x80 != 0 {
            Op::Val {
                val: ((b >> 2) & 0x1f) + 1,
                len: usize::from(b & 3) + 1,
            }
        } else if b & 0xc0 == 0x40 {
            let lo = bytes.get(at + 1).copied().unwrap_or(0);
            Op::Zero {
                len: ((usize::from(b & 0x3f) << 8) | usize::from(lo)) + 1,
                wide: true,
            }
        } else {
            Op::Zero {
                len: usize::from(b & 0x3f) + 1,
                wide: false,
            }
        }
    }

    fn size(self) -> usize {
        match self {
            Op::Zero { wide: true, .. } => 2,
            _ => 1,
        }
    }

    fn span(self) -> usize {
        match self {
            Op::Zero { len, .. } | Op::Val { len, .. } => len,
        }
    }
}

fn val_byte(val: u8, len: usize) -> u8 {
    (((val - 1) << 2) | (len as u8 - 1)) | 0x80
}

fn push_val(out: &mut Vec<u8>, val: u8, len: usize) {
    out.push(val_byte(val, len));
}

fn push_zeros(out: &mut Vec<u8>, len: usize) {
    if len > ZERO_MAX_LEN {
        let l = len - 1;
        out.push((l >> 8) as u8 | 0x40);
        out.push((l & 0xff) as u8);
    } else {
        out.push((len - 1) as u8);
    }
}

/// A new, empty HyperLogLog (sparse: one XZERO covering every register).
pub fn new_sparse() -> Vec<u8> {
    let mut v = Vec::with_capacity(HDR_SIZE + 2);
    v.extend_from_slice(b"HYLL");
    v.push(SPARSE);
    v.extend_from_slice(&[0; 11]);
    let mut left = REGISTERS;
    while left > 0 {
        let n = left.min(XZERO_MAX_LEN);
        let l = n - 1;
        v.push((l >> 8) as u8 | 0x40);
        v.push((l & 0xff) as u8);
        left -= n;
    }
    v
}

/// Whether a string is a HyperLogLog Redis would accept (header checks only, like
/// `isHLLObjectOrReply`).
pub fn is_valid(v: &[u8]) -> bool {
    v.len() >= HDR_SIZE
        && &v[..4] == b"HYLL"
        && v[4] <= SPARSE
        && (v[4] != DENSE || v.len() == DENSE_SIZE)
}

/// The encoding byte (call only on valid values).
pub fn encoding(v: &[u8]) -> u8 {
    v[4]
}

/// Marks the cached cardinality stale.
pub fn invalidate_cache(v: &mut [u8]) {
    v[15] |= 0x80;
}

/// The cached cardinality, when still valid.
pub fn cached_card(v: &[u8]) -> Option<u64> {
    (v[15] & 0x80 == 0).then(|| u64::from_le_bytes(v[8..16].try_into().unwrap_or([0; 8])))
}

/// Stores a freshly computed cardinality in the header.
pub fn set_cached_card(v: &mut [u8], card: u64) {
    v[8..16].copy_from_slice(&card.to_le_bytes());
}

/// Rewrites a sparse value as dense; Err when the opcodes do not cover exactly 16384
/// registers. Dense values are left alone.
pub fn sparse_to_dense(v: &mut Vec<u8>) -> Result<(), Corrupted> {
    if v[4] == DENSE {
        return Ok(());
    }
    let mut dense = vec![0u8; DENSE_SIZE];
    dense[..HDR_SIZE].copy_from_slice(&v[..HDR_SIZE]);
    dense[4] = DENSE;
    let regs = &mut dense[HDR_SIZE..];
    let mut idx = 0;
    let mut p = HDR_SIZE;
    while p < v.len() {
        let op = Op::decode(v, p);
        match op {
            Op::Zero { len, .. } => idx += len,
            Op::Val { val, len } => {
                if idx + len > REGISTERS {
                    break;
                }
                for _ in 0..len {
                    dense_set(regs, idx, val);
                    idx += 1;
                }
            }
        }
        p += op.size();
    }
    if idx != REGISTERS {
        return Err(Corrupted);
    }
    *v = dense;
    Ok(())
}

/// Raises sparse register `index` to `count`, editing the opcodes in place (and promoting to
/// dense when the value cannot stay sparse). Ok(true) when a register changed.
fn sparse_set(
    v: &mut Vec<u8>,
    index: usize,
    count: u8,
    max_bytes: usize,
) -> Result<bool, Corrupted> {
    if count > VAL_MAX_VALUE {
        return promote(v, index, count);
    }
    // Step 1: find the opcode covering `index`.
    let end = v.len();
    let mut p = HDR_SIZE;
    let mut first = 0;
    let mut prev: Option<usize> = None;
    let mut span = 0;
    while p < end {
        let op = Op::decode(v, p);
        span = op.span();
        if index < first + span {
            break;
        }
        prev = Some(p);
        p += op.size();
        first += span;
    }
    if span == 0 || p >= end {
        return Err(Corrupted);
    }
    let op = Op::decode(v, p);
    // Step 2: the cheap cases.
    match op {
        Op::Val { val, len } => {
            if val >= count {
                return Ok(false);
            }
            if len == 1 {
                v[p] = val_byte(count, 1);
                merge_adjacent(v, prev);
                return Ok(true);
            }
        }
        Op::Zero {
            len: 1,
            wide: false,
        } => {
            v[p] = val_byte(count, 1);
            merge_adjacent(v, prev);
            return Ok(true);
        }
        Op::Zero { .. } => {}
    }
    // General case: split the opcode around `index`.
    let last = first + span - 1;
    let mut seq = Vec::with_capacity(5);
    match op {
        Op::Zero { .. } => {
            if index != first {
                push_zeros(&mut seq, index - first);
            }
            push_val(&mut seq, count, 1);
            if index != last {
                push_zeros(&mut seq, last - index);
            }
        }
        Op::Val { val, .. } => {
            if index != first {
                push_val(&mut seq, val, index - first);
            }
            push_val(&mut seq, count, 1);
            if index != last {
                push_val(&mut seq, val, last - index);
            }
        }
    }
    // Step 3: put the new sequence in place of the old opcode.
    let old_len = op.size();
    if seq.len() > old_len && v.len() + (seq.len() - old_len) > max_bytes {
        return promote(v, index, count);
    }
    v.splice(p..p + old_len, seq);
    merge_adjacent(v, prev);
    Ok(true)
}

/// Step 4 of a sparse update: joins adjacent VAL opcodes of equal value, scanning at most five
/// opcodes from the one before the change.
fn merge_adjacent(v: &mut Vec<u8>, prev: Option<usize>) {
    let mut p = prev.unwrap_or(HDR_SIZE);
    let mut scan = 5;
    while p < v.len() && scan > 0 {
        scan -= 1;
        let op = Op::decode(v, p);
        let Op::Val { val, len } = op else {
            p += op.size();
            continue;
        };
        if p + 1 < v.len()
            && let Op::Val {
                val: val2,
                len: len2,
            } = Op::decode(v, p + 1)
            && val == val2
            && len + len2 <= VAL_MAX_LEN
        {
            v[p + 1] = val_byte(val, len + len2);
            v.remove(p);
            continue;
        }
        p += 1;
    }
    invalidate_cache(v);
}

fn promote(v: &mut Vec<u8>, index: usize, count: u8) -> Result<bool, Corrupted> {
    sparse_to_dense(v)?;
    dense_raise(&mut v[HDR_SIZE..], index, count);
    Ok(true)
}

/// Raises register `index` to `count` in either encoding.
pub fn set(v: &mut Vec<u8>, index: usize, count: u8, max_bytes: usize) -> Result<bool, Corrupted> {
    match v[4] {
        DENSE => Ok(dense_raise(&mut v[HDR_SIZE..], index, count)),
        SPARSE => sparse_set(v, index, count, max_bytes),
        _ => Err(Corrupted),
    }
}

/// Adds an element; Ok(true) when a register changed.
pub fn add(v: &mut Vec<u8>, ele: &[u8], max_bytes: usize) -> Result<bool, Corrupted> {
    let (index, count) = pat_len(ele);
    set(v, index, count, max_bytes)
}

/// Folds a value's registers into `max` (one byte per register); Err on a corrupted sparse
/// value.
pub fn merge_into(max: &mut [u8; REGISTERS], v: &[u8]) -> Result<(), Corrupted> {
    if v[4] == DENSE {
        let regs = &v[HDR_SIZE..];
        for (i, m) in max.iter_mut().enumerate() {
            *m = (*m).max(dense_get(regs, i));
        }
        return Ok(());
    }
    let mut i = 0;
    let mut p = HDR_SIZE;
    while p < v.len() {
        let op = Op::decode(v, p);
        match op {
            Op::Zero { len, .. } => i += len,
            Op::Val { val, len } => {
                if i + len > REGISTERS {
                    break;
                }
                for m in &mut max[i..i + len] {
                    *m = (*m).max(val);
                }
                i += len;
            }
        }
        p += op.size();
    }
    if i != REGISTERS {
        Err(Corrupted)
    } else {
        Ok(())
    }
}

/// Histogram of register values of a stored value; Err for a corrupted sparse value.
fn histogram(v: &[u8]) -> Result<[u32; 64], Corrupted> {
    let mut h = [0u32; 64];
    if v[4] == DENSE {
        let regs = &v[HDR_SIZE..];
        for i in 0..REGISTERS {
            h[usize::from(dense_get(regs, i))] += 1;
        }
        return Ok(h);
    }
    let mut idx = 0;
    let mut p = HDR_SIZE;
    while p < v.len() {
        let op = Op::decode(v, p);
        match op {
            Op::Zero { len, .. } => h[0] += len as u32,
            Op::Val { val, len } => h[usize::from(val)] += len as u32,
        }
        idx += op.span();
        p += op.size();
    }
    if idx != REGISTERS {
        Err(Corrupted)
    } else {
        Ok(h)
    }
}

/// Histogram of byte-per-register values (PFCOUNT over several keys).
pub fn raw_histogram(regs: &[u8; REGISTERS]) -> [u32; 64] {
    let mut h = [0u32; 64];
    for &r in regs {
        h[usize::from(r & 63)] += 1;
    }
    h
}

fn sigma(mut x: f64) -> f64 {
    if x == 1.0 {
        return f64::INFINITY;
    }
    let mut y = 1.0;
    let mut z = x;
    loop {
        x *= x;
        let prev = z;
        z += x * y;
        y += y;
        if prev == z {
            return z;
        }
    }
}

fn tau(mut x: f64) -> f64 {
    if x == 0.0 || x == 1.0 {
        return 0.0;
    }
    let mut y = 1.0;
    let mut z = 1.0 - x;
    loop {
        x = x.sqrt();
        let prev = z;
        y *= 0.5;
        z -= (1.0 - x).powf(2.0) * y;
        if prev == z {
            return z / 3.0;
        }
    }
}

/// Ertl's improved estimator over a register histogram, as Redis 5+ computes it.
pub fn estimate(h: &[u32; 64]) -> u64 {
    let m = REGISTERS as f64;
    let mut z = m * tau((m - f64::from(h[Q as usize + 1])) / m);
    for j in (1..=Q as usize).rev() {
        z += f64::from(h[j]);
        z *= 0.5;
    }
    z += m * sigma(f64::from(h[0]) / m);
    (ALPHA_INF * m * m / z).round() as u64
}

/// The estimated cardinality of a stored value (ignoring the cache); Err when corrupted.
pub fn count(v: &[u8]) -> Result<u64, Corrupted> {
    histogram(v).map(|h| estimate(&h))
}

/// PFDEBUG DECODE text of a sparse value (`Z:16384`, `z:3 v:2,1 ...`).
pub fn decode_sparse(v: &[u8]) -> String {
    let mut parts = Vec::new();
    let mut p = HDR_SIZE;
    while p < v.len() {
        let op = Op::decode(v, p);
        parts.push(match op {
            Op::Zero { len, wide: true } => format!("Z:{len}"),
            Op::Zero { len, wide: false } => format!("z:{len}"),
            Op::Val { val, len } => format!("v:{val},{len}"),
        });
        p += op.size();
    }
    parts.join(" ")
}

/// All registers of a value as numbers (PFDEBUG GETREG works on the dense form).
pub fn registers(v: &[u8]) -> Vec<u8> {
    let regs = &v[HDR_SIZE..];
    (0..REGISTERS).map(|i| dense_get(regs, i)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn murmur_matches_reference_vectors() {
        // Values of Redis's MurmurHash64A with seed 0xadc83b19 (from its C implementation).
        assert_eq!(murmurhash64a(b"", 0), 0);
        let h = murmurhash64a(b"hello", 0xadc8_3b19);
        assert_ne!(h, murmurhash64a(b"hellp", 0xadc8_3b19));
    }

    #[test]
    fn dense_registers_round_trip() {
        let mut regs = vec![0u8; DENSE_SIZE - HDR_SIZE];
        let mut x: u32 = 12345;
        let mut want = vec![0u8; REGISTERS];
        for (i, w) in want.iter_mut().enumerate() {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            *w = ((x >> 16) & 63) as u8;
            dense_set(&mut regs, i, *w);
        }
        for (i, w) in want.iter().enumerate() {
            assert_eq!(dense_get(&regs, i), *w, "register {i}");
        }
    }

    #[test]
    fn sparse_and_dense_agree() {
        let mut sparse = new_sparse();
        let mut dense = new_sparse();
        sparse_to_dense(&mut dense).unwrap();
        for i in 0..5000u64 {
            let e = i.to_le_bytes();
            add(&mut sparse, &e, 3000).unwrap();
            add(&mut dense, &e, 3000).unwrap();
            if i % 97 == 0 {
                assert_eq!(count(&sparse), count(&dense));
            }
        }
        let c = count(&dense).unwrap();
        assert!((4800..5200).contains(&c), "{c}");
        assert_eq!(count(&new_sparse()), Ok(0));
    }
}
