//! vigil: a Redis-Sentinel-compatible supervisor and a Redis-compatible data node.

pub mod server;
pub mod util;
