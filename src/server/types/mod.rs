//! In-memory value types stored in the keyspace.

pub mod zset;
