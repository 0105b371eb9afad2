//! The internal encoding Redis 7.0 would use for a value (OBJECT ENCODING, DEBUG OBJECT).
//!
//! vigil stores every value in one representation per type, so these names are computed from
//! the content and the `*-max-*` thresholds, not read from a physical layout. The difference
//! from Redis: Redis never converts a big encoding back to a compact one when a value shrinks
//! (until a reload), and APPEND/SETRANGE make a string `raw` even when short; here the answer
//! always reflects the current content, as if freshly loaded.

use super::value::Value;
use crate::config::ServerConfig;
use crate::util::num::parse_i64;

/// Longest string stored as `embstr` by Redis (an object header plus the string fit 64 bytes).
pub const EMBSTR_MAX: usize = 44;

/// Encoding names as Redis 7.0 reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// String holding a 64-bit integer.
    Int,
    /// Short string allocated with its header.
    Embstr,
    /// Other strings.
    Raw,
    /// Every list in Redis 7.0.
    Quicklist,
    /// Small hashes and sorted sets.
    Listpack,
    /// Large hashes and sets.
    Hashtable,
    /// Small sets of integers.
    Intset,
    /// Large sorted sets.
    Skiplist,
}

impl Encoding {
    /// The name OBJECT ENCODING replies with.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Int => "int",
            Encoding::Embstr => "embstr",
            Encoding::Raw => "raw",
            Encoding::Quicklist => "quicklist",
            Encoding::Listpack => "listpack",
            Encoding::Hashtable => "hashtable",
            Encoding::Intset => "intset",
            Encoding::Skiplist => "skiplist",
        }
    }
}

/// The thresholds that decide between compact and big encodings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncodingLimits {
    /// hash-max-listpack-entries
    pub hash_entries: u64,
    /// hash-max-listpack-value
    pub hash_value: u64,
    /// set-max-intset-entries
    pub set_intset_entries: u64,
    /// zset-max-listpack-entries
    pub zset_entries: u64,
    /// zset-max-listpack-value
    pub zset_value: u64,
}

impl Default for EncodingLimits {
    /// Redis 7.0's defaults.
    fn default() -> Self {
        EncodingLimits {
            hash_entries: 512,
            hash_value: 64,
            set_intset_entries: 512,
            zset_entries: 128,
            zset_value: 64,
        }
    }
}

impl EncodingLimits {
    /// Current thresholds from the configuration.
    pub fn from_config(cfg: &ServerConfig) -> Self {
        let d = EncodingLimits::default();
        let get = |name: &str, default: u64| {
            cfg.value(name)
                .and_then(|v| crate::config::parse_memory(&v))
                .unwrap_or(default)
        };
        EncodingLimits {
            hash_entries: get("hash-max-listpack-entries", d.hash_entries),
            hash_value: get("hash-max-listpack-value", d.hash_value),
            set_intset_entries: get("set-max-intset-entries", d.set_intset_entries),
            zset_entries: get("zset-max-listpack-entries", d.zset_entries),
            zset_value: get("zset-max-listpack-value", d.zset_value),
        }
    }
}

/// Encoding of a string value.
pub fn string_encoding(s: &[u8]) -> Encoding {
    if s.len() <= 20 && parse_i64(s).is_some() {
        Encoding::Int
    } else if s.len() <= EMBSTR_MAX {
        Encoding::Embstr
    } else {
        Encoding::Raw
    }
}

/// Encoding Redis 7.0 would report for `value`.
pub fn encoding_of(value: &Value, limits: &EncodingLimits) -> Encoding {
    match value {
        Value::Str(s) => string_encoding(s),
        Value::List(_) => Encoding::Quicklist,
        Value::Hash(h) => {
            let small = h.len() as u64 <= limits.hash_entries
                && h.iter().all(|(f, v)| {
                    f.len() as u64 <= limits.hash_value && v.len() as u64 <= limits.hash_value
                });
            if small {
                Encoding::Listpack
            } else {
                Encoding::Hashtable
            }
        }
        Value::Set(s) => {
            let ints = s.len() as u64 <= limits.set_intset_entries
                && s.iter().all(|m| parse_i64(m).is_some());
            if ints {
                Encoding::Intset
            } else {
                Encoding::Hashtable
            }
        }
        Value::ZSet(z) => {
            let small = z.len() as u64 <= limits.zset_entries
                && z.iter().all(|(m, _)| m.len() as u64 <= limits.zset_value);
            if small {
                Encoding::Listpack
            } else {
                Encoding::Skiplist
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    #[test]
    fn strings() {
        assert_eq!(string_encoding(b"123"), Encoding::Int);
        assert_eq!(string_encoding(b"-9223372036854775808"), Encoding::Int);
        assert_eq!(string_encoding(b"0123"), Encoding::Embstr);
        assert_eq!(
            string_encoding(b"12345678901234567890123"),
            Encoding::Embstr
        );
        assert_eq!(string_encoding(&[b'a'; 44]), Encoding::Embstr);
        assert_eq!(string_encoding(&[b'a'; 45]), Encoding::Raw);
    }

    #[test]
    fn aggregates_follow_limits() {
        let limits = EncodingLimits {
            set_intset_entries: 2,
            ..EncodingLimits::default()
        };
        let mut set = super::super::value::FastSet::default();
        set.insert(Bytes::from("1"));
        set.insert(Bytes::from("2"));
        let v = Value::Set(Box::new(set.clone()));
        assert_eq!(encoding_of(&v, &limits), Encoding::Intset);
        set.insert(Bytes::from("3"));
        let v = Value::Set(Box::new(set.clone()));
        assert_eq!(encoding_of(&v, &limits), Encoding::Hashtable);
        let mut h = super::super::value::FastMap::default();
        h.insert(Bytes::from("f"), Bytes::from(vec![b'x'; 64]));
        let v = Value::Hash(Box::new(h.clone()));
        assert_eq!(encoding_of(&v, &limits), Encoding::Listpack);
        h.insert(Bytes::from("g"), Bytes::from(vec![b'x'; 65]));
        let v = Value::Hash(Box::new(h));
        assert_eq!(encoding_of(&v, &limits), Encoding::Hashtable);
    }
}
