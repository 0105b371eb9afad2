//! The RDB file format (version 10, as Redis 7.0 writes it): constants shared by the encoder and
//! the decoder, and the readers for Redis's compact in-memory encodings that appear inside it.

pub mod crc64;
pub mod decode;
pub mod encode;
pub mod intset;
pub mod lifecycle;
pub mod listpack;
pub mod load;
pub mod lzf;
pub mod save;
pub mod snapshot;
pub mod stream_load;
pub mod ziplist;
pub mod zipmap;

/// The RDB version we write (Redis 7.0).
pub const RDB_VERSION: u16 = 10;
/// Newest version we read: 11 (Redis 7.2) only adds the listpack set encoding, which we load.
pub const RDB_MAX_READ_VERSION: u16 = 11;
/// The Redis version recorded in the `redis-ver` aux field.
pub const REDIS_VER: &str = "7.0.15";

/// Value types (the byte before each key).
pub mod types {
    /// Plain string.
    pub const STRING: u8 = 0;
    /// Linked list of strings (pre-3.2).
    pub const LIST: u8 = 1;
    /// Set as a plain member list.
    pub const SET: u8 = 2;
    /// Sorted set with scores as decimal text.
    pub const ZSET: u8 = 3;
    /// Hash as field/value pairs.
    pub const HASH: u8 = 4;
    /// Sorted set with binary double scores.
    pub const ZSET_2: u8 = 5;
    /// Module value from 4.0 release candidates.
    pub const MODULE_PRE_GA: u8 = 6;
    /// Module value.
    pub const MODULE_2: u8 = 7;
    /// Hash in a zipmap blob (pre-2.6).
    pub const HASH_ZIPMAP: u8 = 9;
    /// List in a ziplist blob (pre-3.2).
    pub const LIST_ZIPLIST: u8 = 10;
    /// Set of integers in an intset blob.
    pub const SET_INTSET: u8 = 11;
    /// Sorted set in a ziplist blob (pre-7.0).
    pub const ZSET_ZIPLIST: u8 = 12;
    /// Hash in a ziplist blob (pre-7.0).
    pub const HASH_ZIPLIST: u8 = 13;
    /// List as a quicklist of ziplists (3.2 - 6.2).
    pub const LIST_QUICKLIST: u8 = 14;
    /// Stream (5.0+).
    pub const STREAM_LISTPACKS: u8 = 15;
    /// Hash in a listpack blob (7.0).
    pub const HASH_LISTPACK: u8 = 16;
    /// Sorted set in a listpack blob (7.0).
    pub const ZSET_LISTPACK: u8 = 17;
    /// List as a quicklist of listpack (or plain) nodes (7.0).
    pub const LIST_QUICKLIST_2: u8 = 18;
    /// Stream with 7.0 metadata.
    pub const STREAM_LISTPACKS_2: u8 = 19;
    /// Set in a listpack blob (7.2).
    pub const SET_LISTPACK: u8 = 20;
    /// Stream with 7.2 metadata.
    pub const STREAM_LISTPACKS_3: u8 = 21;

    /// Human name of a type byte for error messages.
    pub fn name(t: u8) -> &'static str {
        match t {
            STRING => "string",
            LIST | LIST_ZIPLIST | LIST_QUICKLIST | LIST_QUICKLIST_2 => "list",
            SET | SET_INTSET | SET_LISTPACK => "set",
            ZSET | ZSET_2 | ZSET_ZIPLIST | ZSET_LISTPACK => "zset",
            HASH | HASH_ZIPMAP | HASH_ZIPLIST | HASH_LISTPACK => "hash",
            MODULE_PRE_GA | MODULE_2 => "module",
            STREAM_LISTPACKS | STREAM_LISTPACKS_2 | STREAM_LISTPACKS_3 => "stream",
            _ => "unknown",
        }
    }
}

/// Opcodes that may appear where a value type is expected.
pub mod opcode {
    /// Cluster slot information (7.4+).
    pub const SLOT_INFO: u8 = 244;
    /// Function library.
    pub const FUNCTION2: u8 = 245;
    /// Function library (7.0 release candidates).
    pub const FUNCTION_PRE_GA: u8 = 246;
    /// Module auxiliary data.
    pub const MODULE_AUX: u8 = 247;
    /// LRU idle time of the next key, seconds.
    pub const IDLE: u8 = 248;
    /// LFU counter of the next key.
    pub const FREQ: u8 = 249;
    /// Auxiliary field (name, value).
    pub const AUX: u8 = 250;
    /// Hash table size hints for the current database.
    pub const RESIZEDB: u8 = 251;
    /// Expiry of the next key, Unix ms, 8 bytes little-endian.
    pub const EXPIRETIME_MS: u8 = 252;
    /// Expiry of the next key, Unix seconds, 4 bytes little-endian.
    pub const EXPIRETIME: u8 = 253;
    /// Switch database.
    pub const SELECTDB: u8 = 254;
    /// End of the file (the checksum follows).
    pub const EOF: u8 = 255;
}

/// Quicklist 2 node containers.
pub mod container {
    /// A node holding one element as a plain string.
    pub const PLAIN: u64 = 1;
    /// A node holding a listpack.
    pub const PACKED: u64 = 2;
}

/// Why an RDB stream or DUMP payload could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RdbError {
    /// What is wrong.
    pub msg: String,
    /// Byte offset in the input where it was noticed.
    pub offset: u64,
}

impl RdbError {
    /// An error at `offset`.
    pub fn new(msg: impl Into<String>, offset: u64) -> Self {
        RdbError {
            msg: msg.into(),
            offset,
        }
    }
}

impl std::fmt::Display for RdbError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (at offset {})", self.msg, self.offset)
    }
}

impl std::error::Error for RdbError {}

/// Error type of the blob readers (listpack, ziplist, intset, zipmap): just a description; the
/// caller adds the file offset.
pub type BlobResult<T> = Result<T, String>;

#[cfg(test)]
mod tests;
