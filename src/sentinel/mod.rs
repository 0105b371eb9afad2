//! The Sentinel role: a Redis-Sentinel-compatible supervisor.
//!
//! Split as the architecture asks: `proto` is the contract between the sans-IO decision core
//! (`core`, fed inputs and virtual time, returns actions) and the tokio layer that owns sockets,
//! timers, scripts and the config file (`link`, `scripts`, `runtime`, `commands`; sentinel.conf
//! loading and rewriting live in `crate::config`).

pub mod commands;
pub mod core;
pub mod link;
pub mod proto;
pub mod runtime;
pub mod scripts;
