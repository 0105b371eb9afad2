//! Replication commands: REPLICAOF/SLAVEOF, REPLCONF, PSYNC, SYNC, WAIT, FAILOVER, ROLE.
//! The implementations live in `server::replication`.

use crate::server::command::{CommandSpec, acl, flags::*};
use crate::server::replication::{failover_cmd, info, master, replica};

/// The replication command family.
pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("replicaof", 3, replica::replicaof)
        .flags(ADMIN | NOSCRIPT | STALE | NO_ASYNC_LOADING)
        .acl(acl::DANGEROUS)
        .doc("server", "5.0.0", "Configures a server as replica of another, or promotes it to a master."),
    CommandSpec::new("slaveof", 3, replica::replicaof)
        .flags(ADMIN | NOSCRIPT | STALE | NO_ASYNC_LOADING)
        .acl(acl::DANGEROUS)
        .doc("server", "1.0.0", "Sets a Redis server as a replica of another, or promotes it to being a master."),
    CommandSpec::new("replconf", -1, master::replconf)
        .flags(ADMIN | NOSCRIPT | LOADING | STALE | ALLOW_BUSY)
        .acl(acl::DANGEROUS)
        .doc("server", "3.0.0", "An internal command for configuring the replication stream."),
    CommandSpec::new("psync", -3, master::psync)
        .flags(ADMIN | NOSCRIPT | NO_MULTI | NO_ASYNC_LOADING)
        .acl(acl::DANGEROUS)
        .doc("server", "2.8.0", "An internal command used in replication."),
    CommandSpec::new("sync", 1, master::sync)
        .flags(ADMIN | NOSCRIPT | NO_MULTI | NO_ASYNC_LOADING)
        .acl(acl::DANGEROUS)
        .doc("server", "1.0.0", "An internal command used in replication."),
    CommandSpec::new("wait", 3, master::wait)
        .flags(NOSCRIPT)
        .acl(acl::CONNECTION)
        .doc("generic", "3.0.0", "Blocks until the asynchronous replication of all preceding write commands sent by the connection is completed."),
    CommandSpec::new("failover", -1, failover_cmd::failover)
        .flags(ADMIN | NOSCRIPT | STALE)
        .acl(acl::DANGEROUS)
        .doc("server", "6.2.0", "Starts a coordinated failover from a server to one of its replicas."),
    CommandSpec::new("role", 1, info::role)
        .flags(NOSCRIPT | LOADING | STALE | FAST)
        .acl(acl::ADMIN | acl::DANGEROUS)
        .doc("server", "2.8.12", "Returns the replication role."),
];
