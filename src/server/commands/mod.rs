//! Command implementations, one file per family, and the list the command table is built from.

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
pub mod pubsub;
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
];
