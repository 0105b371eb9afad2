//! CRC-64 as Redis computes it (Jones polynomial, reflected; "CRC-64/REDIS"): the RDB trailer
//! and the DUMP payload footer.
//!
//! Every byte of a full synchronisation is checksummed on both ends, so speed matters: on
//! x86-64 with carry-less multiplication, long inputs are folded 128 bytes at a time
//! (PCLMULQDQ, about ten times the slice-by-16 table); the table does the rest.

use crc::{CRC_64_REDIS, Crc, Table};

/// Slice-by-16 tables (32 KB): short inputs, the ends of long ones, and CPUs without
/// carry-less multiplication.
static CRC64: Crc<u64, Table<16>> = Crc::<u64, Table<16>>::new(&CRC_64_REDIS);

/// Below this many bytes the table is as fast as folding.
const FOLD_MIN: usize = 256;

/// CRC-64 of a whole buffer.
pub fn checksum(data: &[u8]) -> u64 {
    update(0, data)
}

/// Incremental CRC-64 for streams written or read in pieces.
#[derive(Default)]
pub struct Crc64 {
    value: u64,
}

impl Crc64 {
    /// Feeds more bytes.
    pub fn update(&mut self, data: &[u8]) {
        self.value = update(self.value, data);
    }

    /// The checksum of everything fed so far (the digest keeps going).
    pub fn value(&self) -> u64 {
        self.value
    }
}

/// The checksum of the bytes before `data` (`crc`) extended over `data`.
fn update(crc: u64, data: &[u8]) -> u64 {
    #[cfg(target_arch = "x86_64")]
    if data.len() >= FOLD_MIN && std::arch::is_x86_feature_detected!("pclmulqdq") {
        let whole = data.len() / 128 * 128;
        // SAFETY: the CPU supports PCLMULQDQ (checked above); `whole` is a multiple of 128 and
        // at least 256, as `fold` requires.
        let state = unsafe { fold::fold(crc, &data[..whole]) };
        return update_table(update_table(0, &state), &data[whole..]);
    }
    update_table(crc, data)
}

fn update_table(crc: u64, data: &[u8]) -> u64 {
    // The crate keeps the register bit-reversed for reflected algorithms.
    let mut d = CRC64.digest_with_initial(crc.reverse_bits());
    d.update(data);
    d.finalize()
}

/// Folding with carry-less multiplication (the method of Intel's "Fast CRC Computation for
/// Generic Polynomials Using PCLMULQDQ"): eight 16-byte lanes are each multiplied forward by
/// x^1024 and added to the next 128 bytes; at the end the lanes are folded into one 16-byte
/// value congruent to the whole input, whose checksum the table computes.
#[cfg(target_arch = "x86_64")]
mod fold {
    use std::arch::x86_64::{
        __m128i, _mm_clmulepi64_si128, _mm_loadu_si128, _mm_set_epi64x, _mm_storeu_si128,
        _mm_xor_si128,
    };

    /// Multipliers for moving a lane forward by D bits, bit-reflected: (x^(D+63) mod P, for
    /// its first 8 bytes; x^(D-1) mod P, for its last 8). D = 1024 (the next group).
    const NEXT_GROUP: (u64, u64) = (0xcc26fa7c57f8054c, 0x768361524d29ed0b);
    /// Lane i of the last group moved onto lane 7: D = (7 - i) * 128.
    const TO_LAST: [(u64, u64); 7] = [
        (0x6cf09c8f37710b75, 0x5bc94ba8e2087636),
        (0xbccba3936411fb7e, 0x3885fd59e440d95a),
        (0xb715e37b96ed8633, 0xe4dd0d81cbfce585),
        (0xaf86efb16d9ab4fb, 0xf49784a634f014e4),
        (0xa062b2319d66692f, 0x7b3211a760160db8),
        (0x6ba4d760ab38201e, 0xef3d1d18ed889ed2),
        (0xd9d7be7d505da32c, 0x381d0015c96f4444),
    ];

    #[inline]
    #[target_feature(enable = "pclmulqdq")]
    fn multipliers((first, last): (u64, u64)) -> __m128i {
        _mm_set_epi64x(last as i64, first as i64)
    }

    /// A lane times x^D (mod P, up to a multiple of P), for the multipliers of D.
    #[inline]
    #[target_feature(enable = "pclmulqdq")]
    fn forward(lane: __m128i, k: __m128i) -> __m128i {
        _mm_xor_si128(
            _mm_clmulepi64_si128(lane, k, 0x00),
            _mm_clmulepi64_si128(lane, k, 0x11),
        )
    }

    /// The 16 bytes whose checksum (from 0) is the checksum of `data` continued from `crc`.
    ///
    /// # Safety
    /// The CPU must support PCLMULQDQ; `data.len()` must be a multiple of 128, at least 256.
    #[target_feature(enable = "pclmulqdq")]
    pub unsafe fn fold(crc: u64, data: &[u8]) -> [u8; 16] {
        debug_assert!(data.len() >= 256 && data.len().is_multiple_of(128));
        let load = |off: usize| {
            let block = &data[off..off + 16];
            // SAFETY: `block` is 16 readable bytes; unaligned loads are allowed.
            unsafe { _mm_loadu_si128(block.as_ptr().cast::<__m128i>()) }
        };
        let mut lanes: [__m128i; 8] = std::array::from_fn(|i| load(16 * i));
        // Continuing from `crc` is adding it to the first 8 bytes (reflected, init 0).
        lanes[0] = _mm_xor_si128(lanes[0], _mm_set_epi64x(0, crc as i64));
        let next = multipliers(NEXT_GROUP);
        let mut off = 128;
        while off < data.len() {
            for (i, lane) in lanes.iter_mut().enumerate() {
                *lane = _mm_xor_si128(forward(*lane, next), load(off + 16 * i));
            }
            off += 128;
        }
        let mut acc = lanes[7];
        for (lane, k) in lanes.iter().zip(TO_LAST) {
            acc = _mm_xor_si128(acc, forward(*lane, multipliers(k)));
        }
        let mut out = [0u8; 16];
        // SAFETY: `out` is 16 writable bytes; unaligned stores are allowed.
        unsafe { _mm_storeu_si128(out.as_mut_ptr().cast::<__m128i>(), acc) };
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_redis_test_vector() {
        // Redis's crc64 self-test: crc64(0, "123456789") == 0xe9c6d914c4b8d9ca.
        assert_eq!(checksum(b"123456789"), 0xe9c6d914c4b8d9ca);
        let mut c = Crc64::default();
        c.update(b"1234");
        c.update(b"56789");
        assert_eq!(c.value(), 0xe9c6d914c4b8d9ca);
    }

    /// Folding gives the table's result for every length, offset and way of cutting the input.
    #[test]
    fn folding_matches_the_table() {
        let mut x = 0x9E3779B97F4A7C15u64;
        let data: Vec<u8> = (0..20_016)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        for len in (0..1300).chain([4096, 8191, 19_999]) {
            for start in [0, 1, 7] {
                let d = &data[start..start + len];
                assert_eq!(checksum(d), update_table(0, d), "len {len} start {start}");
            }
        }
        for cut in [1, 100, 255, 256, 257, 1000, 5000] {
            let mut c = Crc64::default();
            for piece in data.chunks(cut) {
                c.update(piece);
            }
            assert_eq!(c.value(), update_table(0, &data), "cut {cut}");
        }
    }
}
