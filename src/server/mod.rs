//! The Redis-compatible data node.

pub mod types;
