//! Command implementations, one file per family, and the list the command table is built from.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::server::command::CommandSpec;

pub mod acl;
pub mod args;
pub mod bitfield;
pub mod bits;
pub mod client;
pub mod command_cmd;
pub mod config;
pub mod connection;
pub mod debug;
pub mod geo;
pub mod hashes;
pub mod hyperloglog;
pub mod info;
pub mod keys;
pub mod latency;
pub mod lcs;
pub mod lists;
pub mod lolwut;
pub mod memory;
pub mod module;
pub mod multi;
pub mod object;
pub mod persistence;
pub mod pubsub;
pub mod replication;
pub mod sampling;
pub mod server;
pub mod sets;
pub mod slowlog;
pub mod sort;
pub mod strings;
#[cfg(test)]
pub mod testkit;
pub mod zsets;

/// Every family's static command list.
pub static FAMILIES: &[&[CommandSpec]] = &[
    connection::COMMANDS,
    keys::COMMANDS,
    strings::COMMANDS,
    lists::COMMANDS,
    hashes::COMMANDS,
    sets::COMMANDS,
    bits::COMMANDS,
    bitfield::COMMANDS,
    multi::COMMANDS,
    pubsub::COMMANDS,
    server::COMMANDS,
    replication::COMMANDS,
    config::COMMANDS,
    info::COMMANDS,
    acl::COMMANDS,
    client::COMMANDS,
    command_cmd::COMMANDS,
    slowlog::COMMANDS,
    latency::COMMANDS,
    memory::COMMANDS,
    object::COMMANDS,
    debug::COMMANDS,
    zsets::COMMANDS,
    lolwut::COMMANDS,
    lcs::COMMANDS,
    hyperloglog::COMMANDS,
    sort::COMMANDS,
    geo::COMMANDS,
    module::COMMANDS,
    persistence::COMMANDS,
];

/// Which command table the process serves. Like Redis, a sentinel's table is built from the same
/// command definitions as the data node's, keeping the few a sentinel serves, plus the
/// sentinel's own (SENTINEL, and its INFO, ROLE and PUBLISH).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `vigil server`.
    Server,
    /// `vigil sentinel`.
    Sentinel,
}

static SENTINEL_MODE: AtomicBool = AtomicBool::new(false);

/// Selects the process's mode; must happen before the first command table or ACL use.
pub fn set_mode(mode: Mode) {
    SENTINEL_MODE.store(mode == Mode::Sentinel, Ordering::Relaxed);
}

/// The process's mode (HELLO's `mode`, INFO's `redis_mode`, which table to build).
pub fn mode() -> Mode {
    if SENTINEL_MODE.load(Ordering::Relaxed) {
        Mode::Sentinel
    } else {
        Mode::Server
    }
}

/// Data-node commands a sentinel serves as they are (CLIENT too, minus SETINFO: see
/// `client::SENTINEL_COMMANDS`).
pub const SENTINEL_SHARED: &[&str] = &[
    "ping",
    "subscribe",
    "unsubscribe",
    "psubscribe",
    "punsubscribe",
    "auth",
    "hello",
    "acl",
    "command",
    "shutdown",
];

/// The specs of a mode's command table, each defined once.
pub fn specs(mode: Mode) -> Vec<&'static CommandSpec> {
    let all = FAMILIES.iter().flat_map(|f| f.iter());
    match mode {
        Mode::Server => all.collect(),
        Mode::Sentinel => all
            .filter(|s| SENTINEL_SHARED.contains(&s.name))
            .chain(client::SENTINEL_COMMANDS.iter())
            .chain(crate::sentinel::commands::COMMANDS.iter())
            .collect(),
    }
}
