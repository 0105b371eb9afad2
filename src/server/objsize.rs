//! Memory footprint estimates in Redis's terms (MEMORY USAGE, MEMORY STATS, INFO memory
//! overhead, DEBUG OBJECT serializedlength).
//!
//! The figures model what Redis 7.0 would allocate for the same content and encoding (object
//! headers, sds strings, listpacks, dict entries, jemalloc size classes), so tools tuned on
//! Redis numbers see comparable values. They are estimates, not measurements of vigil's heap.

use super::encoding::{Encoding, EncodingLimits, encoding_of, string_encoding};
use super::value::Value;
use crate::util::num::parse_i64;

/// Size of a Redis object header.
pub const ROBJ: usize = 16;
/// Size of a dict entry (key pointer, value pointer, next pointer).
pub const DICT_ENTRY: usize = 24;
/// Size of a dict header.
const DICT: usize = 56;
/// Size of a quicklist header.
const QUICKLIST: usize = 40;
/// Size of a quicklist node.
const QUICKLIST_NODE: usize = 40;
/// Bytes of listpack per quicklist node with the default `list-max-listpack-size -2`.
const QUICKLIST_NODE_BYTES: usize = 8192;
/// Expected allocation of a skiplist node: 24 bytes plus 16 per level, levels drawn with
/// p = 1/4, rounded to size classes (48, 64, 80, ...) and averaged.
const SKIPLIST_NODE_AVG: usize = 53;
/// Default number of elements MEMORY USAGE samples in aggregates.
pub const DEFAULT_SAMPLES: usize = 5;

/// The jemalloc size class an allocation of `n` bytes lands in.
pub fn malloc_size(n: usize) -> usize {
    if n <= 8 {
        return 8;
    }
    if n <= 128 {
        return n.div_ceil(16) * 16;
    }
    // Four classes per doubling above 128 bytes.
    let k = usize::BITS - (n - 1).leading_zeros() - 1;
    let step = 1usize << (k - 2);
    n.div_ceil(step) * step
}

fn sds_header(len: usize) -> usize {
    match len {
        0..32 => 1,
        32..256 => 3,
        256..65536 => 5,
        _ if len as u64 <= u32::MAX as u64 => 9,
        _ => 17,
    }
}

/// Allocation size of an sds string of `len` bytes.
pub fn sds_size(len: usize) -> usize {
    malloc_size(sds_header(len) + len + 1)
}

/// What a key costs in the keyspace besides its value: its dict entry and name, plus an entry
/// in the expires dict when it has a TTL.
pub fn key_overhead(key_len: usize, volatile: bool) -> usize {
    DICT_ENTRY + sds_size(key_len) + if volatile { DICT_ENTRY } else { 0 }
}

/// Bytes a dict with `n` entries spends on its header and bucket array.
pub fn dict_overhead(n: usize) -> usize {
    if n == 0 {
        return 0;
    }
    DICT + n.next_power_of_two() * 8
}

fn lp_int_size(v: i64) -> usize {
    match v {
        0..=127 => 1,
        -4096..=4095 => 2,
        -32768..=32767 => 3,
        -8_388_608..=8_388_607 => 4,
        -2_147_483_648..=2_147_483_647 => 5,
        _ => 9,
    }
}

fn lp_backlen(n: usize) -> usize {
    match n {
        0..128 => 1,
        128..16384 => 2,
        16384..2_097_152 => 3,
        2_097_152..268_435_456 => 4,
        _ => 5,
    }
}

/// Bytes one element takes inside a listpack.
pub fn lp_entry_size(e: &[u8]) -> usize {
    let body = match parse_i64(e) {
        Some(v) if e.len() <= 20 => lp_int_size(v),
        _ => {
            let hdr = match e.len() {
                0..64 => 1,
                64..4096 => 2,
                _ => 5,
            };
            hdr + e.len()
        }
    };
    body + lp_backlen(body)
}

/// Total size of a listpack holding `entries` bytes of elements.
fn lp_total(entries: usize) -> usize {
    6 + entries + 1
}

/// Sum over the first `samples` items (0 = all) scaled up to `len` items, the way Redis
/// estimates big aggregates without walking them.
fn sampled<I: Iterator<Item = usize>>(items: I, len: usize, samples: usize) -> usize {
    let limit = if samples == 0 { usize::MAX } else { samples };
    let mut n = 0usize;
    let mut sum = 0usize;
    for s in items.take(limit) {
        n += 1;
        sum += s;
    }
    if n == 0 {
        return 0;
    }
    if n == len {
        sum
    } else {
        (sum as f64 / n as f64 * len as f64) as usize
    }
}

fn score_text(score: f64) -> String {
    crate::util::num::format_double(score)
}

/// How Redis would split a list into quicklist nodes: (node count, listpack entry bytes).
pub fn quicklist_layout<'a>(elems: impl Iterator<Item = &'a [u8]>) -> (usize, usize) {
    let bytes: usize = elems.map(lp_entry_size).sum();
    let per_full = QUICKLIST_NODE_BYTES - lp_total(0);
    (bytes.div_ceil(per_full).max(1), bytes)
}

/// Estimated bytes of a value, sampling at most `samples` elements of aggregates (0 = all).
pub fn value_size(value: &Value, limits: &EncodingLimits, samples: usize) -> usize {
    let enc = encoding_of(value, limits);
    match value {
        Value::Str(s) => match string_encoding(s) {
            Encoding::Int => ROBJ,
            Encoding::Embstr => malloc_size(ROBJ + 3 + s.len() + 1),
            _ => ROBJ + sds_size(s.len()),
        },
        Value::List(l) => {
            // Nodes are filled up to the size limit one after the other.
            let bytes = sampled(l.iter().map(|e| lp_entry_size(e)), l.len(), samples);
            let per_full = QUICKLIST_NODE_BYTES - lp_total(0);
            let nodes = bytes.div_ceil(per_full).max(1);
            let last = bytes - (nodes - 1) * per_full;
            let lists =
                (nodes - 1) * malloc_size(QUICKLIST_NODE_BYTES) + malloc_size(lp_total(last));
            ROBJ + QUICKLIST + nodes * QUICKLIST_NODE + lists
        }
        Value::Hash(h) => {
            if enc == Encoding::Listpack {
                let bytes: usize = h
                    .iter()
                    .map(|(f, v)| lp_entry_size(f) + lp_entry_size(v))
                    .sum();
                ROBJ + malloc_size(lp_total(bytes))
            } else {
                let elems = sampled(
                    h.iter()
                        .map(|(f, v)| DICT_ENTRY + sds_size(f.len()) + sds_size(v.len())),
                    h.len(),
                    samples,
                );
                ROBJ + dict_overhead(h.len()) + elems
            }
        }
        Value::Set(s) => {
            if enc == Encoding::Intset {
                let width = s
                    .iter()
                    .filter_map(|m| parse_i64(m))
                    .map(|v| {
                        if i16::try_from(v).is_ok() {
                            2
                        } else if i32::try_from(v).is_ok() {
                            4
                        } else {
                            8
                        }
                    })
                    .max()
                    .unwrap_or(2);
                ROBJ + malloc_size(8 + s.len() * width)
            } else {
                let elems = sampled(
                    s.iter().map(|m| DICT_ENTRY + sds_size(m.len())),
                    s.len(),
                    samples,
                );
                ROBJ + dict_overhead(s.len()) + elems
            }
        }
        Value::ZSet(z) => {
            if enc == Encoding::Listpack {
                let bytes: usize = z
                    .iter()
                    .map(|(m, sc)| lp_entry_size(m) + lp_entry_size(score_text(sc).as_bytes()))
                    .sum();
                ROBJ + malloc_size(lp_total(bytes))
            } else {
                // zset header, skiplist header with its 32-level head node, then per element
                // a dict entry, the member string and a skiplist node.
                let header = 16 + 32 + malloc_size(32 + 32 * 16);
                let elems = sampled(
                    z.iter()
                        .map(|(m, _)| DICT_ENTRY + sds_size(m.len()) + SKIPLIST_NODE_AVG),
                    z.len(),
                    samples,
                );
                ROBJ + header + dict_overhead(z.len()) + elems
            }
        }
    }
}

fn rdb_len_size(n: usize) -> usize {
    match n {
        0..64 => 1,
        64..16384 => 2,
        _ if n as u64 <= u32::MAX as u64 => 5,
        _ => 9,
    }
}

fn rdb_string_size(s: &[u8]) -> usize {
    if s.len() <= 11
        && let Some(v) = parse_i64(s)
    {
        if i8::try_from(v).is_ok() {
            return 2;
        }
        if i16::try_from(v).is_ok() {
            return 3;
        }
        if i32::try_from(v).is_ok() {
            return 5;
        }
    }
    rdb_len_size(s.len()) + s.len()
}

/// Approximate size of the value in an RDB file without compression (DEBUG OBJECT
/// `serializedlength`): compact encodings are saved as one blob, big ones element by element.
pub fn serialized_length(value: &Value, limits: &EncodingLimits) -> usize {
    let blob = |bytes: usize| rdb_len_size(bytes) + bytes;
    match value {
        Value::Str(s) => rdb_string_size(s),
        Value::List(l) => {
            let bytes: usize = l.iter().map(|e| lp_entry_size(e)).sum();
            let nodes = bytes.div_ceil(QUICKLIST_NODE_BYTES).max(1);
            rdb_len_size(nodes) + nodes * (2 + blob(lp_total(bytes / nodes)) - 1)
        }
        Value::Hash(h) => match encoding_of(value, limits) {
            Encoding::Listpack => blob(lp_total(
                h.iter()
                    .map(|(f, v)| lp_entry_size(f) + lp_entry_size(v))
                    .sum(),
            )),
            _ => {
                rdb_len_size(h.len())
                    + h.iter()
                        .map(|(f, v)| rdb_string_size(f) + rdb_string_size(v))
                        .sum::<usize>()
            }
        },
        Value::Set(s) => match encoding_of(value, limits) {
            Encoding::Intset => blob(8 + s.len() * 8),
            _ => rdb_len_size(s.len()) + s.iter().map(|m| rdb_string_size(m)).sum::<usize>(),
        },
        Value::ZSet(z) => match encoding_of(value, limits) {
            Encoding::Listpack => blob(lp_total(
                z.iter()
                    .map(|(m, sc)| lp_entry_size(m) + lp_entry_size(score_text(sc).as_bytes()))
                    .sum(),
            )),
            _ => {
                rdb_len_size(z.len()) + z.iter().map(|(m, _)| rdb_string_size(m) + 8).sum::<usize>()
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_classes() {
        assert_eq!(malloc_size(1), 8);
        assert_eq!(malloc_size(9), 16);
        assert_eq!(malloc_size(43), 48);
        assert_eq!(malloc_size(129), 160);
        assert_eq!(malloc_size(256), 256);
        assert_eq!(malloc_size(257), 320);
        assert_eq!(malloc_size(4097), 5120);
    }

    #[test]
    fn strings_like_redis() {
        let l = EncodingLimits::default();
        // Redis 7.0: MEMORY USAGE of key "n" holding "123" is 48, of "big" holding 23 digits 80.
        let n = Value::Str(b"123".to_vec());
        assert_eq!(key_overhead(1, false) + value_size(&n, &l, 5), 48);
        let big = Value::Str(b"12345678901234567890123".to_vec());
        assert_eq!(key_overhead(3, false) + value_size(&big, &l, 5), 80);
        assert_eq!(serialized_length(&n, &l), 2);
        assert_eq!(serialized_length(&Value::Str(b"bar".to_vec()), &l), 4);
    }

    /// Figures measured on Redis 7.0.15 (MEMORY USAGE key SAMPLES 0, DEBUG OBJECT) for the same
    /// contents; estimates must stay within a few percent.
    #[test]
    fn aggregates_close_to_redis() {
        use crate::server::value::{FastMap, FastSet};
        use bytes::Bytes;
        let l = EncodingLimits::default();
        let close = |ours: usize, redis: usize| {
            let diff = ours.abs_diff(redis) as f64 / redis as f64;
            assert!(diff < 0.13, "ours {ours} vs redis {redis}");
        };
        let total = |v: &Value| key_overhead(2, false) + value_size(v, &l, 0);
        let mut h = FastMap::default();
        for i in 0..600 {
            h.insert(
                Bytes::from(format!("field:{i}")),
                Bytes::from(format!("value:{i}")),
            );
        }
        let h = Value::Hash(Box::new(h));
        close(total(&h), 41896);
        assert_eq!(serialized_length(&h, &l), 11782);
        let mut s = FastSet::default();
        for i in 0..600 {
            s.insert(Bytes::from(format!("member:{i}")));
        }
        let s = Value::Set(Box::new(s));
        close(total(&s), 36392);
        assert_eq!(serialized_length(&s, &l), 6492);
        let mut z = crate::server::types::zset::ZSet::new();
        for i in 0..200 {
            z.insert(format!("m:{i}").as_bytes(), i as f64 * 1.5);
        }
        let z = Value::ZSet(Box::new(z));
        close(total(&z), 19832);
        assert_eq!(serialized_length(&z, &l), 2692);
        let list: std::collections::VecDeque<Bytes> = (0..1000)
            .map(|i| Bytes::from(format!("element-{i}")))
            .collect();
        let list = Value::List(Box::new(list));
        close(total(&list), 13480);
        let small: std::collections::VecDeque<Bytes> =
            ["a", "b", "c"].into_iter().map(Bytes::from).collect();
        assert_eq!(
            key_overhead(1, false) + value_size(&Value::List(Box::new(small)), &l, 0),
            144
        );
    }
}
