//! Data structures behind the value types.
pub mod zset;
