//! The values a key can hold.

use std::collections::VecDeque;

use bytes::Bytes;

/// Hash map type used throughout the keyspace: insertion-ordered (for cursor scans and random
/// sampling by index) with a fast non-cryptographic hasher seeded per process.
pub type FastMap<K, V> = indexmap::IndexMap<K, V, foldhash::fast::RandomState>;
/// Set counterpart of [`FastMap`].
pub type FastSet<K> = indexmap::IndexSet<K, foldhash::fast::RandomState>;

/// A Redis value. Aggregates are boxed so an entry stays small for the common string case.
#[derive(Debug, Clone)]
pub enum Value {
    /// A string (also integers and bitmaps); mutable in place for APPEND/SETRANGE/SETBIT.
    Str(Vec<u8>),
    /// A list, double-ended for O(1) pushes and pops at both ends.
    List(Box<VecDeque<Bytes>>),
    /// A hash of field to value.
    Hash(Box<FastMap<Bytes, Bytes>>),
    /// A set of members.
    Set(Box<FastSet<Bytes>>),
    /// A sorted set.
    ZSet(Box<crate::server::types::zset::ZSet>),
}

/// Error text for an operation against a key holding the wrong kind of value.
pub const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

impl Value {
    /// The name TYPE reports.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
            Value::List(_) => "list",
            Value::Hash(_) => "hash",
            Value::Set(_) => "set",
            Value::ZSet(_) => "zset",
        }
    }

    /// Whether an aggregate has become empty and its key must be removed, as Redis does.
    pub fn is_empty_aggregate(&self) -> bool {
        match self {
            Value::Str(_) => false,
            Value::List(l) => l.is_empty(),
            Value::Hash(h) => h.is_empty(),
            Value::Set(s) => s.is_empty(),
            Value::ZSet(z) => z.is_empty(),
        }
    }

    /// Rough heap footprint in bytes, for MEMORY USAGE and DEBUG OBJECT.
    pub fn approx_size(&self) -> usize {
        const ELEM: usize = 48;
        match self {
            Value::Str(s) => s.capacity(),
            Value::List(l) => l.iter().map(|e| e.len() + ELEM).sum(),
            Value::Hash(h) => h.iter().map(|(k, v)| k.len() + v.len() + 2 * ELEM).sum(),
            Value::Set(s) => s.iter().map(|m| m.len() + ELEM).sum(),
            Value::ZSet(z) => z.iter().map(|(m, _)| m.len() + 2 * ELEM).sum(),
        }
    }
}

/// One key's slot in a database.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The value.
    pub value: Value,
    /// Absolute expiry in Unix milliseconds, or [`NO_EXPIRE`].
    pub expires_at: i64,
    /// LRU clock (seconds) or LFU data (16-bit minutes + 8-bit counter), as the policy needs.
    pub lru: u32,
}

/// Marker for "no expiry" in [`Entry::expires_at`].
pub const NO_EXPIRE: i64 = -1;

impl Entry {
    /// Whether the key carries a TTL.
    pub fn has_expire(&self) -> bool {
        self.expires_at != NO_EXPIRE
    }

    /// Whether the key is logically gone at `now_ms`.
    pub fn is_expired(&self, now_ms: i64) -> bool {
        self.expires_at != NO_EXPIRE && self.expires_at <= now_ms
    }
}
