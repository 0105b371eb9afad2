//! Command implementations, one file per family, and the list the command table is built from.

use crate::server::command::CommandSpec;

pub mod args;
pub mod bitfield;
pub mod bits;
pub mod config;
pub mod connection;
pub mod info;
pub mod keys;
pub mod multi;
pub mod pubsub;
pub mod server;
pub mod strings;

/// Every family's static command list.
pub static FAMILIES: &[&[CommandSpec]] = &[
    connection::COMMANDS,
    keys::COMMANDS,
    strings::COMMANDS,
    bits::COMMANDS,
    bitfield::COMMANDS,
    multi::COMMANDS,
    pubsub::COMMANDS,
    server::COMMANDS,
    config::COMMANDS,
    info::COMMANDS,
];
