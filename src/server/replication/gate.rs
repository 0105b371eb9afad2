//! Which commands the replication state refuses before they run: -NOREPLICAS (too few good
//! replicas for `min-replicas-to-write`), -READONLY (read-only replica), -MASTERDOWN (link down
//! and `replica-serve-stale-data no`), and keyspace access from a replica's own connection.
//! EXEC is judged by the commands it queued, as Redis does.

use crate::resp::Reply;
use crate::server::client::{Client, ClientKind};
use crate::server::command::{CommandSpec, flags};
use crate::server::state::Server;

/// `-NOREPLICAS` text.
pub const NOREPLICAS: &str = "NOREPLICAS Not enough good replicas to write.";
/// `-READONLY` text.
pub const READONLY: &str = "READONLY You can't write against a read only replica.";
/// `-MASTERDOWN` text.
pub const MASTERDOWN: &str =
    "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.";

/// Flags of the commands queued in a transaction: (any has `flag`, any lacks `flag`).
fn queued(srv: &Server, c: &Client, flag: u32) -> (bool, bool) {
    let mut any = false;
    let mut lacking = false;
    for q in c.multi.iter().flatten() {
        if let Ok(s) = crate::server::dispatch::resolve(srv, &q.args) {
            if s.has(flag) {
                any = true;
            } else {
                lacking = true;
            }
        }
    }
    (any, lacking)
}

/// The refusal a command gets from the replication state, if any.
pub fn check(srv: &Server, c: &Client, spec: &CommandSpec) -> Option<Reply> {
    let r = &srv.repl;
    let replica = r.is_replica();
    let is_exec = spec.name == "exec" && c.multi.is_some();
    let limited = r.cfg.min_replicas_to_write > 0 && r.cfg.min_replicas_max_lag > 0;
    if !replica && !limited && c.kind != ClientKind::Replica {
        return None;
    }
    let is_write = spec.has(flags::WRITE) || (is_exec && queued(srv, c, flags::WRITE).0);
    if is_write && !super::master::enough_good_replicas(srv) {
        return Some(Reply::err(NOREPLICAS));
    }
    if replica && r.cfg.read_only && is_write {
        return Some(Reply::err(READONLY));
    }
    if replica && !r.link_up() && !r.cfg.serve_stale_data {
        let deny_stale = !spec.has(flags::STALE) || (is_exec && queued(srv, c, flags::STALE).1);
        if deny_stale {
            return Some(Reply::err(MASTERDOWN));
        }
    }
    if c.kind == ClientKind::Replica
        && (is_write || spec.has(flags::READONLY) || spec.has(flags::MAY_REPLICATE))
    {
        return Some(Reply::err("ERR Replica can't interact with the keyspace"));
    }
    None
}
