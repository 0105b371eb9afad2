//! vigil: a Redis-Sentinel-compatible supervisor and a Redis-compatible data node.

pub mod alloc;
pub mod config;
pub mod logging;
pub mod resp;
pub mod sentinel;
pub mod server;
pub mod util;
