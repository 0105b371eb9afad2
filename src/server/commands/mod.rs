//! Command implementations, one file per family, and the list the command table is built from.

use crate::server::command::CommandSpec;

pub mod acl;
pub mod args;
pub mod client;
pub mod command_cmd;
pub mod config;
pub mod connection;
pub mod debug;
pub mod hashes;
pub mod info;
pub mod keys;
pub mod latency;
pub mod lists;
pub mod memory;
pub mod multi;
pub mod object;
pub mod persistence;
pub mod pubsub;
pub mod replication;
pub mod sampling;
pub mod server;
pub mod sets;
pub mod slowlog;
pub mod strings;
#[cfg(test)]
pub mod testkit;

/// Every family's static command list.
pub static FAMILIES: &[&[CommandSpec]] = &[
    connection::COMMANDS,
    keys::COMMANDS,
    strings::COMMANDS,
    lists::COMMANDS,
    hashes::COMMANDS,
    sets::COMMANDS,
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
    persistence::COMMANDS,
];
