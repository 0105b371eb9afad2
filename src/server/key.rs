//! Key names as the keyspace stores them.
//!
//! Most keys are short (`user:1234:session`). Keeping those inline in the map entry, instead of
//! behind a pointer, saves an allocation per key and — more important for throughput — a cache
//! miss on every lookup: the bytes compared are already in the cache line the hash probe loaded.

use std::borrow::Borrow;
use std::hash::{Hash, Hasher};

use bytes::Bytes;

/// Longest key kept inline.
const INLINE: usize = 22;

/// A key name: inline when short, boxed otherwise. Hashes and compares like `[u8]`.
#[derive(Clone)]
pub enum Key {
    /// Up to [`INLINE`] bytes stored in place.
    Inline {
        /// Used length.
        len: u8,
        /// Bytes; only `..len` are meaningful.
        data: [u8; INLINE],
    },
    /// Longer keys.
    Heap(Box<[u8]>),
}

impl Key {
    /// The key's bytes.
    #[inline]
    pub fn as_slice(&self) -> &[u8] {
        match self {
            Key::Inline { len, data } => &data[..*len as usize],
            Key::Heap(b) => b,
        }
    }

    /// A `Bytes` copy for replies.
    pub fn to_bytes(&self) -> Bytes {
        Bytes::copy_from_slice(self.as_slice())
    }
}

impl From<&[u8]> for Key {
    #[inline]
    fn from(s: &[u8]) -> Key {
        if s.len() <= INLINE {
            let mut data = [0u8; INLINE];
            data[..s.len()].copy_from_slice(s);
            Key::Inline {
                len: s.len() as u8,
                data,
            }
        } else {
            Key::Heap(s.into())
        }
    }
}

impl From<&Bytes> for Key {
    fn from(s: &Bytes) -> Key {
        Key::from(&s[..])
    }
}

impl std::ops::Deref for Key {
    type Target = [u8];

    #[inline]
    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl AsRef<[u8]> for Key {
    fn as_ref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl Borrow<[u8]> for Key {
    #[inline]
    fn borrow(&self) -> &[u8] {
        self.as_slice()
    }
}

impl PartialEq for Key {
    #[inline]
    fn eq(&self, other: &Key) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for Key {}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Key) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Key {
    fn cmp(&self, other: &Key) -> std::cmp::Ordering {
        self.as_slice().cmp(other.as_slice())
    }
}

impl Hash for Key {
    #[inline]
    fn hash<H: Hasher>(&self, state: &mut H) {
        // Must equal `<[u8] as Hash>::hash` so lookups by `&[u8]` find the entry.
        self.as_slice().hash(state)
    }
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_slice()))
    }
}

impl PartialEq<[u8]> for Key {
    fn eq(&self, other: &[u8]) -> bool {
        self.as_slice() == other
    }
}

impl PartialEq<Bytes> for Key {
    fn eq(&self, other: &Bytes) -> bool {
        self.as_slice() == &other[..]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;

    #[test]
    fn hashes_like_a_slice_and_stays_small() {
        let s = foldhash::fast::FixedState::with_seed(7);
        for k in [
            &b""[..],
            b"a",
            b"exactly-22-bytes-long!",
            b"a key longer than twenty-two bytes",
        ] {
            let key = Key::from(k);
            assert_eq!(key.as_slice(), k);
            assert_eq!(s.hash_one(&key), s.hash_one(k));
        }
        assert_eq!(std::mem::size_of::<Key>(), 24);
    }
}
