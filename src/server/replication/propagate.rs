//! Propagation of writes to replicas (and the AOF) the way Redis 7.0 does it.
//!
//! Every `call` of a command opens a [`Frame`]. When the command changed the dataset (the dirty
//! counter grew) its argument vector — or the rewrite the command asked for with
//! [`Ctx::propagate_as`] — is queued, after anything queued with [`Ctx::also_propagate`]. When
//! the outermost call returns, the queue is fed to the targets: a single operation as is, several
//! wrapped in MULTI ... EXEC (so EXEC, blocked commands served later and multi-op rewrites stay
//! atomic), each preceded by SELECT when the stream's database changes. Deletions of expired
//! and evicted keys are units of their own, fed at once.

use bytes::Bytes;

use crate::server::client::Client;
use crate::server::command::CommandSpec;
use crate::server::state::{Ctx, Server};

/// Propagate to the append-only file.
pub const AOF: u8 = 1;
/// Propagate to replicas and the backlog.
pub const REPL: u8 = 2;
/// Both targets.
pub const ALL: u8 = AOF | REPL;

/// A queued write: the database it ran in and the arguments to send.
#[derive(Debug, Clone)]
pub struct Op {
    /// Database index.
    pub db: usize,
    /// Arguments, command name first.
    pub argv: Vec<Bytes>,
    /// [`AOF`] / [`REPL`] bits.
    pub targets: u8,
}

/// Propagation decisions of one command call.
#[derive(Debug, Default)]
pub struct Frame {
    /// Dirty counter when the call started.
    dirty_before: u64,
    /// Arguments to propagate instead of the command as received.
    rewrite: Option<Vec<Bytes>>,
    /// Propagate nothing for this call (its effects were queued by other means).
    prevent: bool,
    /// Targets to propagate to even if the dataset did not change.
    force: u8,
}

/// Shorthand for a static argument.
pub fn arg(s: &'static str) -> Bytes {
    Bytes::from_static(s.as_bytes())
}

/// An integer argument.
pub fn int_arg(v: i64) -> Bytes {
    Bytes::from(v.to_string())
}

impl Ctx<'_> {
    /// Propagates `argv` instead of the command as received (if the command changed the
    /// dataset). Redis's `rewriteClientCommandVector`.
    pub fn propagate_as(&mut self, argv: Vec<Bytes>) {
        if let Some(f) = self.srv.repl.frames.last_mut() {
            f.rewrite = Some(argv);
        }
    }

    /// Queues an extra operation, in the client's current database, before the command's own.
    /// Redis's `alsoPropagate`.
    pub fn also_propagate(&mut self, argv: Vec<Bytes>) {
        let db = self.client.db;
        if should_record(self.srv) {
            self.srv.repl.pending.push(Op {
                db,
                argv,
                targets: ALL,
            });
        }
    }

    /// Does not propagate this command itself (what it did was queued with
    /// [`Ctx::also_propagate`]). Redis's `preventCommandPropagation`.
    pub fn prevent_propagation(&mut self) {
        if let Some(f) = self.srv.repl.frames.last_mut() {
            f.prevent = true;
        }
    }

    /// Propagates this command to `targets` even when the dataset did not change
    /// (FLUSHALL on an empty dataset, PUBLISH). Redis's `forceCommandPropagation`.
    pub fn force_propagation(&mut self, targets: u8) {
        if let Some(f) = self.srv.repl.frames.last_mut() {
            f.force |= targets;
        }
    }
}

/// Whether anything consumes propagated writes right now: a master with a backlog (replicas
/// imply one), or the AOF. A replica feeds its backlog from its master's stream instead.
pub fn should_record(srv: &Server) -> bool {
    aof_enabled(srv) || (!srv.repl.is_replica() && srv.repl.backlog.is_some())
}

/// Whether the append-only file takes writes.
pub fn aof_enabled(srv: &Server) -> bool {
    crate::server::persistence::aof::accepting(srv)
}

/// Hands one operation to the append-only file.
fn feed_aof(srv: &mut Server, db: i64, argv: &[Bytes]) {
    crate::server::persistence::aof::feed(srv, db, argv);
}

/// Whether the command running is nested in another (inside EXEC): a snapshot started now
/// would include the transaction's earlier writes, which are fed to the AOF only when it ends.
pub fn in_nested_call(srv: &Server) -> bool {
    srv.repl.frames.len() > 1
}

/// Opens the propagation frame of a command call.
pub fn begin_call(srv: &mut Server) {
    let dirty_before = srv.dirty;
    srv.repl.frames.push(Frame {
        dirty_before,
        ..Frame::default()
    });
}

/// Closes a command call: queues what it must propagate and, for the outermost call, feeds the
/// queue to the targets. Remembers the stream offset the client's writes reached (WAIT).
pub fn end_call(srv: &mut Server, client: &mut Client, spec: &CommandSpec, args: &[Bytes]) {
    let Some(frame) = srv.repl.frames.pop() else {
        return;
    };
    if spec.name != "exec" && !frame.prevent {
        let targets = if srv.dirty > frame.dirty_before {
            ALL
        } else {
            frame.force
        };
        if targets != 0 && should_record(srv) {
            let argv = frame.rewrite.unwrap_or_else(|| args.to_vec());
            srv.repl.pending.push(Op {
                db: client.db,
                argv,
                targets,
            });
        }
    }
    if srv.repl.frames.is_empty() && !srv.repl.pending.is_empty() {
        let before = srv.repl.offset;
        flush(srv);
        if srv.repl.offset != before {
            client.woff = srv.repl.offset;
        }
    }
}

/// Feeds the queued operations, wrapped in MULTI/EXEC when there are several.
pub fn flush(srv: &mut Server) {
    let ops = std::mem::take(&mut srv.repl.pending);
    let Some(first) = ops.first() else {
        return;
    };
    let wrap = ops.len() > 1;
    if wrap {
        feed(srv, first.db as i64, &[arg("MULTI")], ALL);
    }
    let last_db = ops.last().map_or(0, |o| o.db);
    for op in &ops {
        feed(srv, op.db as i64, &op.argv, op.targets);
    }
    if wrap {
        feed(srv, last_db as i64, &[arg("EXEC")], ALL);
    }
}

/// Propagates the deletion of an expired or evicted key (DEL, or UNLINK when the matching
/// lazyfree option is on) at once, as a unit of its own ahead of whatever command noticed the
/// expiry. (Redis 7.0.15 mostly does this; now and then it wraps a lazy expiry into the
/// noticing command's MULTI/EXEC instead — equivalent for replicas.)
pub fn deletion(srv: &mut Server, db: usize, key: &[u8], lazy: bool) {
    if !should_record(srv) {
        return;
    }
    let name = if lazy { arg("UNLINK") } else { arg("DEL") };
    feed(srv, db as i64, &[name, Bytes::copy_from_slice(key)], ALL);
}

/// Feeds one operation to the targets. `db` < 0 means "whatever database is selected" (PING,
/// REPLCONF GETACK).
pub fn feed(srv: &mut Server, db: i64, argv: &[Bytes], targets: u8) {
    if targets & AOF != 0 && aof_enabled(srv) {
        feed_aof(srv, db, argv);
    }
    if targets & REPL != 0 && !srv.repl.is_replica() {
        feed_replicas(srv, db, argv);
    }
}

/// Appends an operation to our replication stream (masters only).
fn feed_replicas(srv: &mut Server, db: i64, argv: &[Bytes]) {
    let r = &mut srv.repl;
    let Some(backlog) = r.backlog.as_mut() else {
        return;
    };
    let mut buf = std::mem::take(&mut r.scratch);
    buf.clear();
    if db >= 0 && r.seldb != db {
        let dbs = db.to_string();
        encode_command(&mut buf, &[b"SELECT", dbs.as_bytes()]);
        r.seldb = db;
    }
    encode_command(&mut buf, argv);
    backlog.append(&buf);
    r.offset += buf.len() as i64;
    r.scratch = buf;
    stream_grew(srv);
}

/// Appends bytes received from our master to our own stream (backlog and sub-replicas), so the
/// whole chain shares one replication id and offset space.
pub fn feed_raw(srv: &mut Server, data: &[u8]) {
    if data.is_empty() {
        return;
    }
    let Some(backlog) = srv.repl.backlog.as_mut() else {
        return;
    };
    backlog.append(data);
    srv.repl.offset += data.len() as i64;
    stream_grew(srv);
}

/// After the stream grew: wake the replica writers and release blocks nobody needs.
fn stream_grew(srv: &mut Server) {
    if !srv.repl.replicas.is_empty() {
        srv.repl.notify.notify_waiters();
    }
    super::master::trim_backlog(srv);
}

/// RESP multibulk encoding of a command.
pub fn encode_command<A: AsRef<[u8]>>(out: &mut Vec<u8>, argv: &[A]) {
    out.push(b'*');
    push_int(out, argv.len() as u64);
    out.extend_from_slice(b"\r\n");
    for a in argv {
        let a = a.as_ref();
        out.push(b'$');
        push_int(out, a.len() as u64);
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

fn push_int(out: &mut Vec<u8>, mut v: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding() {
        let mut out = Vec::new();
        encode_command(&mut out, &[&b"SET"[..], b"k", b""]);
        assert_eq!(out, b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n");
        out.clear();
        push_int(&mut out, 0);
        push_int(&mut out, 1234567890123);
        assert_eq!(out, b"01234567890123");
    }
}
