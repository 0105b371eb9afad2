//! Data structures behind the value types.
pub mod hll;
pub mod zset;
