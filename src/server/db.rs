//! One numbered database: the key → entry map plus the index of keys that carry a TTL.
//!
//! This layer has no side effects (notifications, WATCH, statistics); `keyspace.rs` wraps it with
//! them so every command gets Redis's semantics for free.

use super::key::Key;

use super::persistence::rdb::snapshot::DbSnap;
use super::value::{Entry, FastMap, FastSet, NO_EXPIRE, Value};

/// A database. Both maps are insertion-ordered so keys can be sampled at random by index and
/// scanned with a stable cursor.
#[derive(Debug, Default)]
pub struct Db {
    /// Every key, expired or not (lazy expiry removes them on access).
    pub entries: FastMap<Key, Entry>,
    /// Keys that have a TTL; shares the key allocation with `entries`.
    pub volatile: FastSet<Key>,
    /// Running estimate of the average TTL of sampled keys (INFO keyspace `avg_ttl`).
    pub avg_ttl: i64,
    /// State of a background save in progress over this table: every mutation first lets it
    /// serialize the old value of a key it has not saved yet (see `rdb::snapshot`).
    pub snap: Option<Box<DbSnap>>,
}

impl Db {
    /// Number of keys including not-yet-reclaimed expired ones (what DBSIZE reports, as in Redis).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the database holds no keys.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Pre-write hook for in-place changes of the entry at `idx` (the snapshot keeps the old
    /// value). Free when no background save is running.
    #[inline]
    pub fn before_change_at(&mut self, idx: usize) {
        if let Some(s) = self.snap.as_deref_mut() {
            s.before_change(&self.entries, idx);
        }
    }

    /// Inserts or replaces a key, keeping the TTL index consistent.
    pub fn insert(&mut self, key: Key, value: Value, expires_at: i64, lru: u32) {
        if let Some(s) = self.snap.as_deref_mut()
            && let Some(idx) = self.entries.get_index_of(&key[..])
        {
            s.before_change(&self.entries, idx);
        }
        if expires_at != NO_EXPIRE {
            self.volatile.insert(key.clone());
        } else if !self.volatile.is_empty() {
            self.volatile.swap_remove(&key[..]);
        }
        self.entries.insert(
            key,
            Entry {
                value,
                expires_at,
                lru,
            },
        );
    }

    /// Adds a key that must not exist yet (loading). When it does, the existing key is
    /// returned and the table must be discarded (its entry for that key was replaced): a
    /// duplicate makes the whole load fail. One probe of the hash table per key.
    pub fn insert_new(
        &mut self,
        key: Key,
        value: Value,
        expires_at: i64,
        lru: u32,
    ) -> Result<(), Key> {
        let volatile = (expires_at != NO_EXPIRE).then(|| key.clone());
        let (idx, old) = self.entries.insert_full(
            key,
            Entry {
                value,
                expires_at,
                lru,
            },
        );
        if old.is_some() {
            return Err(self
                .entries
                .get_index(idx)
                .map(|(k, _)| k.clone())
                .unwrap_or_else(|| Key::from(&b""[..])));
        }
        if let Some(k) = volatile {
            self.volatile.insert(k);
        }
        Ok(())
    }

    /// Removes a key and its TTL.
    pub fn remove(&mut self, key: &[u8]) -> Option<Entry> {
        if let Some(s) = self.snap.as_deref_mut() {
            let idx = self.entries.get_index_of(key)?;
            s.before_remove(&self.entries, idx);
            let e = self.entries.swap_remove_index(idx)?;
            s.after_remove(self.entries.len());
            if e.1.has_expire() {
                self.volatile.swap_remove(key);
            }
            return Some(e.1);
        }
        let e = self.entries.swap_remove(key)?;
        if e.has_expire() {
            self.volatile.swap_remove(key);
        }
        Some(e)
    }

    /// Bytes of table capacity holding no key: a table doubles in one step, ahead of need.
    /// `Server::used_memory` does not count them.
    pub fn table_slack(&self) -> usize {
        use std::mem::size_of;
        // A slot holds the hash and the key (and entry); the index adds a position and a
        // control byte.
        const INDEX_SLOT: usize = size_of::<usize>() + 1;
        let entry_slot = size_of::<u64>() + size_of::<Key>() + size_of::<Entry>() + INDEX_SLOT;
        let set_slot = size_of::<u64>() + size_of::<Key>() + INDEX_SLOT;
        let free_entries = self.entries.capacity().saturating_sub(self.entries.len());
        let free_volatile = self.volatile.capacity().saturating_sub(self.volatile.len());
        free_entries * entry_slot + free_volatile * set_slot
    }

    /// Sets or clears (with [`NO_EXPIRE`]) the TTL of an existing key; false when absent.
    pub fn set_expire(&mut self, key: &[u8], expires_at: i64) -> bool {
        if let Some(s) = self.snap.as_deref_mut()
            && let Some(idx) = self.entries.get_index_of(key)
        {
            s.before_change(&self.entries, idx);
        }
        let Some((_, k, e)) = self.entries.get_full_mut(key) else {
            return false;
        };
        if expires_at == NO_EXPIRE {
            if e.has_expire() {
                self.volatile.swap_remove(key);
            }
        } else if !e.has_expire() {
            self.volatile.insert(k.clone());
        }
        e.expires_at = expires_at;
        true
    }

    /// Drops every key.
    pub fn clear(&mut self) {
        if let Some(s) = self.snap.as_deref_mut() {
            s.save_all(&self.entries);
        }
        self.entries = FastMap::default();
        self.volatile = FastSet::default();
        self.avg_ttl = 0;
    }

    /// Key at a map index, for random sampling.
    pub fn key_at(&self, index: usize) -> Option<&Key> {
        self.entries.get_index(index).map(|(k, _)| k)
    }

    /// Visits up to `count` entries for SCAN. The cursor counts down from the end of the map so
    /// that swap-removal (which moves the last entry into the hole) can only duplicate, never
    /// hide, a key that exists for the whole scan. Returns the next cursor (0 when done).
    ///
    /// A cursor beyond the table's allocated size cannot come from an earlier call (the table
    /// never shrinks while keys are deleted): the scan is over, with nothing returned.
    pub fn scan(&self, cursor: u64, count: usize, mut visit: impl FnMut(&Key, &Entry)) -> u64 {
        if cursor > self.entries.capacity() as u64 {
            return 0;
        }
        scan_indexed(self.entries.len(), cursor, count, |i| {
            if let Some((k, e)) = self.entries.get_index(i) {
                visit(k, e);
            }
        })
    }
}

/// Shared cursor arithmetic for SCAN/HSCAN/SSCAN/ZSCAN over index-addressable collections.
///
/// Cursor 0 starts at the end of the collection; a cursor `c` means indexes `< c` remain.
pub fn scan_indexed(len: usize, cursor: u64, count: usize, mut visit: impl FnMut(usize)) -> u64 {
    let mut next = if cursor == 0 {
        len as u64
    } else {
        cursor.min(len as u64)
    };
    let mut visited = 0;
    while next > 0 && visited < count.max(1) {
        next -= 1;
        visit(next as usize);
        visited += 1;
    }
    next
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scan_survives_deletions() {
        let mut db = Db::default();
        for i in 0..100 {
            db.insert(
                Key::from(format!("k{i}").as_bytes()),
                Value::Str(vec![]),
                NO_EXPIRE,
                0,
            );
        }
        let mut seen = std::collections::HashSet::new();
        let mut cursor = 0;
        let mut round = 0;
        loop {
            let mut batch = vec![];
            cursor = db.scan(cursor, 7, |k, _| batch.push(k.clone()));
            seen.extend(batch);
            // delete a key that was already returned, which moves the tail element.
            if round % 2 == 0 {
                let victim = Key::from(format!("k{round}").as_bytes());
                if seen.contains(&victim) {
                    db.remove(&victim);
                }
            }
            round += 1;
            if cursor == 0 {
                break;
            }
        }
        for i in 0..100 {
            let k = Key::from(format!("k{i}").as_bytes());
            if db.entries.contains_key(&k[..]) {
                assert!(seen.contains(&k), "missed {i}");
            }
        }
    }

    #[test]
    fn ttl_index_follows_entries() {
        let mut db = Db::default();
        db.insert(Key::from(&b"a"[..]), Value::Str(vec![]), 100, 0);
        assert_eq!(db.volatile.len(), 1);
        db.set_expire(b"a", NO_EXPIRE);
        assert!(db.volatile.is_empty());
        db.set_expire(b"a", 5);
        db.remove(b"a");
        assert!(db.volatile.is_empty());
    }
}
