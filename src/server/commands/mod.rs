//! Command implementations, one file per family, and the list the command table is built from.

use crate::server::command::CommandSpec;

pub mod args;
pub mod command_cmd;
pub mod config;
pub mod connection;
pub mod debug;
pub mod info;
pub mod keys;
pub mod latency;
pub mod memory;
pub mod multi;
pub mod object;
pub mod pubsub;
pub mod server;
pub mod slowlog;
pub mod strings;

/// Every family's static command list.
pub static FAMILIES: &[&[CommandSpec]] = &[
    connection::COMMANDS,
    keys::COMMANDS,
    strings::COMMANDS,
    multi::COMMANDS,
    pubsub::COMMANDS,
    server::COMMANDS,
    config::COMMANDS,
    info::COMMANDS,
    command_cmd::COMMANDS,
    slowlog::COMMANDS,
    latency::COMMANDS,
    memory::COMMANDS,
    object::COMMANDS,
    debug::COMMANDS,
];
