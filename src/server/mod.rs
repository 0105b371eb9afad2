//! The data node: a Redis-compatible server.

pub mod acl;
pub mod client;
pub mod command;
pub mod commands;
pub mod connection;
pub mod cron;
pub mod db;
pub mod dispatch;
pub mod encoding;
pub mod evict;
pub mod key;
pub mod latency;
pub mod listener;
pub mod notify;
pub mod objsize;
pub mod persistence;
pub mod pubsub;
pub mod replication;
pub mod shutdown;
pub mod state;
pub mod stats;
pub mod types;
pub mod value;

pub use listener::run;
