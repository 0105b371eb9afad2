//! LZF compression as Redis uses it for strings in RDB files: an LZ77 variant with literal runs
//! of up to 32 bytes and back references of up to 264 bytes within an 8 KB window.
//!
//! Both directions are bounds-checked: corrupt input yields `None`, never a panic or an
//! allocation larger than the data actually produced.

/// Longest literal run one control byte describes.
const MAX_LIT: usize = 32;
/// Farthest back reference (13-bit offset + 1).
const MAX_OFF: usize = 1 << 13;
/// Longest back reference (3-byte form: 7 + 255 + 2).
const MAX_REF: usize = (1 << 8) + (1 << 3);
/// log2 of the hash table size.
const HLOG: u32 = 14;

/// Biggest expansion one input byte can give (a 3-byte reference yields 264 bytes).
pub const MAX_RATIO: usize = 89;

#[inline]
fn hash(b: &[u8]) -> usize {
    let v = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
    (v.wrapping_mul(2_654_435_761) >> (32 - HLOG)) as usize
}

/// Compresses `input` into `out` (cleared first). Returns false when the result would not be
/// smaller than `max_out` bytes, in which case the caller stores the data uncompressed.
pub fn compress_into(
    input: &[u8],
    max_out: usize,
    out: &mut Vec<u8>,
    table: &mut Vec<u32>,
) -> bool {
    out.clear();
    if input.len() < 4 || max_out == 0 {
        return false;
    }
    // The table is reused across calls without clearing (like liblzf): a stale slot is only a
    // wrong candidate, rejected by the position and byte checks below.
    if table.len() != 1 << HLOG {
        table.clear();
        table.resize(1 << HLOG, 0);
    }
    let n = input.len();
    // Position of the current literal run's control byte, and its length so far.
    let mut ctrl = 0usize;
    out.push(0);
    let mut lit = 0usize;
    let mut ip = 0usize;
    while ip + 2 < n {
        let h = hash(&input[ip..]);
        let cand = table[h] as usize;
        table[h] = ip as u32 + 1;
        if cand > 0 && cand <= ip {
            let r = cand - 1;
            let off = ip - r - 1;
            if off < MAX_OFF && input[r..r + 3] == input[ip..ip + 3] {
                let maxlen = (n - ip).min(MAX_REF);
                let mut len = 3;
                while len < maxlen && input[r + len] == input[ip + len] {
                    len += 1;
                }
                // Close the literal run (drop its control byte when empty).
                if lit == 0 {
                    out.pop();
                } else {
                    out[ctrl] = (lit - 1) as u8;
                }
                let l = len - 2;
                if l < 7 {
                    out.push(((off >> 8) as u8) | ((l as u8) << 5));
                } else {
                    out.push(((off >> 8) as u8) | (7 << 5));
                    out.push((l - 7) as u8);
                }
                out.push((off & 0xff) as u8);
                // Index the positions inside the match so later data can refer to them.
                let end = ip + len;
                let mut p = ip + 1;
                while p < end && p + 2 < n {
                    table[hash(&input[p..])] = p as u32 + 1;
                    p += 1;
                }
                ip = end;
                ctrl = out.len();
                out.push(0);
                lit = 0;
                if out.len() >= max_out {
                    return false;
                }
                continue;
            }
        }
        out.push(input[ip]);
        ip += 1;
        lit += 1;
        if lit == MAX_LIT {
            out[ctrl] = (MAX_LIT - 1) as u8;
            ctrl = out.len();
            out.push(0);
            lit = 0;
        }
        if out.len() >= max_out {
            return false;
        }
    }
    while ip < n {
        out.push(input[ip]);
        ip += 1;
        lit += 1;
        if lit == MAX_LIT {
            out[ctrl] = (MAX_LIT - 1) as u8;
            ctrl = out.len();
            out.push(0);
            lit = 0;
        }
    }
    if lit == 0 {
        out.pop();
    } else {
        out[ctrl] = (lit - 1) as u8;
    }
    out.len() < max_out
}

/// Compresses `input`; `None` when the output would be `max_out` bytes or more.
pub fn compress(input: &[u8], max_out: usize) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(input.len().min(max_out));
    let mut table = Vec::new();
    compress_into(input, max_out, &mut out, &mut table).then_some(out)
}

/// Decompresses `input` that must expand to exactly `expected` bytes.
pub fn decompress(input: &[u8], expected: usize) -> Option<Vec<u8>> {
    if expected > input.len().saturating_mul(MAX_RATIO) {
        return None;
    }
    let mut out: Vec<u8> = Vec::with_capacity(expected);
    let mut ip = 0usize;
    while ip < input.len() {
        let c = input[ip] as usize;
        ip += 1;
        if c < 32 {
            let run = c + 1;
            if ip + run > input.len() || out.len() + run > expected {
                return None;
            }
            out.extend_from_slice(&input[ip..ip + run]);
            ip += run;
        } else {
            let mut len = c >> 5;
            if len == 7 {
                len += *input.get(ip)? as usize;
                ip += 1;
            }
            len += 2;
            let back = ((c & 0x1f) << 8) + *input.get(ip)? as usize + 1;
            ip += 1;
            if back > out.len() || out.len() + len > expected {
                return None;
            }
            let start = out.len() - back;
            // An overlapping copy repeats the last `back` bytes: copy what is available, which
            // doubles each round.
            let mut left = len;
            while left > 0 {
                let n = left.min(out.len() - start);
                out.extend_from_within(start..start + n);
                left -= n;
            }
        }
    }
    (out.len() == expected).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(data: &[u8]) {
        if let Some(c) = compress(data, data.len()) {
            assert!(c.len() < data.len());
            assert_eq!(decompress(&c, data.len()).as_deref(), Some(data));
        }
    }

    #[test]
    fn round_trips() {
        roundtrip(b"");
        roundtrip(b"abcd");
        roundtrip(&[b'a'; 1000]);
        roundtrip(&b"hello world hello world hello world hello".repeat(50));
        let mut x = 12345u64;
        let noisy: Vec<u8> = (0..20000)
            .map(|i| {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
                if i % 3 == 0 { (x >> 60) as u8 } else { b'z' }
            })
            .collect();
        roundtrip(&noisy);
        let c = compress(&[0u8; 100_000], 100_000).unwrap();
        assert_eq!(decompress(&c, 100_000).unwrap(), vec![0u8; 100_000]);
    }

    #[test]
    fn reused_table_stays_correct() {
        let mut table = Vec::new();
        let mut out = Vec::new();
        let mut x = 99u64;
        for round in 0..500 {
            let len = 21 + (round * 37) % 3000;
            let data: Vec<u8> = (0..len)
                .map(|_| {
                    x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
                    b'a' + ((x >> 60) % 4) as u8
                })
                .collect();
            if compress_into(&data, data.len(), &mut out, &mut table) {
                assert_eq!(decompress(&out, data.len()).as_deref(), Some(&data[..]));
            }
        }
    }

    #[test]
    fn incompressible_is_refused() {
        let mut x = 1u64;
        let rnd: Vec<u8> = (0..256)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        assert!(compress(&rnd, rnd.len() - 4).is_none());
    }

    #[test]
    fn corrupt_input_is_rejected() {
        // Back reference before the start of the output.
        assert_eq!(decompress(&[0x20, 0x05], 3), None);
        // Literal run past the end of the input.
        assert_eq!(decompress(&[0x05, b'a'], 6), None);
        // Wrong expected length.
        assert_eq!(decompress(&[0x00, b'a'], 2), None);
        // Absurd expected length is refused before allocating.
        assert_eq!(decompress(&[0x00, b'a'], usize::MAX / 2), None);
        // Random garbage never panics.
        let mut x = 7u64;
        for _ in 0..2000 {
            let len = (x % 40) as usize;
            let data: Vec<u8> = (0..len)
                .map(|_| {
                    x = x
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    (x >> 56) as u8
                })
                .collect();
            let _ = decompress(&data, (x % 300) as usize);
        }
    }
}
