//! The Sentinel role: a Redis-Sentinel-compatible supervisor.
//!
//! Split as the architecture asks: `proto` is the contract between the sans-IO decision core
//! (`core`, fed inputs and virtual time, returns actions) and the tokio layer that owns sockets,
//! timers, scripts and the config file.

pub mod core;
pub mod proto;
