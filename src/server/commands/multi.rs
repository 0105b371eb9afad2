//! Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH.

use bytes::Bytes;

use crate::resp::Reply;
use crate::server::client::Client;
use crate::server::command::{CommandSpec, acl, flags::*};
use crate::server::dispatch;
use crate::server::state::{Ctx, Server, Watcher};

/// The transaction command family.
pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("multi", 1, multi)
        .flags(NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY | MULTI_CONTROL)
        .acl(acl::TRANSACTION)
        .doc("transactions", "1.2.0", "Starts a transaction."),
    CommandSpec::new("exec", 1, exec)
        .flags(NOSCRIPT | LOADING | STALE | SKIP_SLOWLOG | MULTI_CONTROL)
        .acl(acl::TRANSACTION)
        .doc(
            "transactions",
            "1.2.0",
            "Executes all commands in a transaction.",
        ),
    CommandSpec::new("discard", 1, discard)
        .flags(NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY | MULTI_CONTROL)
        .acl(acl::TRANSACTION)
        .doc("transactions", "2.0.0", "Discards a transaction."),
    CommandSpec::new("watch", -2, watch)
        .flags(NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY | MULTI_CONTROL)
        .acl(acl::TRANSACTION)
        .keys(1, -1, 1)
        .doc(
            "transactions",
            "2.2.0",
            "Monitors changes to keys to determine the execution of a transaction.",
        ),
    CommandSpec::new("unwatch", 1, unwatch)
        .flags(NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY)
        .acl(acl::TRANSACTION)
        .doc(
            "transactions",
            "2.2.0",
            "Forgets about watched keys of a transaction.",
        ),
];

fn multi(ctx: &mut Ctx, _a: &[Bytes]) -> Reply {
    if ctx.client.multi.is_some() {
        return Reply::err("ERR MULTI calls can not be nested");
    }
    ctx.client.multi = Some(Vec::new());
    ctx.client.multi_error = false;
    Reply::Ok
}

fn discard(ctx: &mut Ctx, _a: &[Bytes]) -> Reply {
    if ctx.client.multi.is_none() {
        return Reply::err("ERR DISCARD without MULTI");
    }
    ctx.client.multi = None;
    ctx.client.multi_error = false;
    unwatch_all(ctx.srv, ctx.client);
    Reply::Ok
}

/// Whether a WATCHed key that existed at WATCH time has since expired (Redis 7 aborts then).
fn watched_key_expired(srv: &Server, c: &Client) -> bool {
    c.watched.iter().any(|(db, key, existed)| {
        *existed
            && srv.dbs[*db]
                .entries
                .get(&key[..])
                .is_some_and(|e| e.is_expired(srv.now_ms))
    })
}

fn exec(ctx: &mut Ctx, _a: &[Bytes]) -> Reply {
    let Some(queue) = ctx.client.multi.take() else {
        return Reply::err("ERR EXEC without MULTI");
    };
    if ctx.client.multi_error {
        ctx.client.multi_error = false;
        unwatch_all(ctx.srv, ctx.client);
        return Reply::err("EXECABORT Transaction discarded because of previous errors.");
    }
    if ctx.client.shared.dirty_cas.get() || watched_key_expired(ctx.srv, ctx.client) {
        unwatch_all(ctx.srv, ctx.client);
        return Reply::NullArray;
    }
    unwatch_all(ctx.srv, ctx.client);
    ctx.client.in_exec = true;
    let mut replies = Vec::with_capacity(queue.len());
    for q in queue {
        let reply = match dispatch::resolve(ctx.srv, &q.args) {
            Ok(spec) => {
                match crate::server::acl::enforce_exec(ctx.srv, ctx.client, spec, &q.args) {
                    Ok(()) => dispatch::call(ctx.srv, ctx.client, spec, &q.args),
                    Err(e) => e,
                }
            }
            Err(e) => e,
        };
        replies.push(reply);
    }
    ctx.client.in_exec = false;
    Reply::Array(replies)
}

fn watch(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    if ctx.client.multi.is_some() {
        return Reply::err("ERR WATCH inside MULTI is not allowed");
    }
    let db = ctx.db();
    for key in &a[1..] {
        if ctx
            .client
            .watched
            .iter()
            .any(|(d, k, _)| *d == db && k == key)
        {
            continue;
        }
        let entry = ctx.srv.dbs[db].entries.get(&key[..]);
        let existed = entry.is_some_and(|e| !e.is_expired(ctx.srv.now_ms));
        let stale = entry.is_some() && !existed;
        let key = Bytes::copy_from_slice(key);
        ctx.srv
            .watched
            .entry((db, key.clone()))
            .or_default()
            .push(Watcher {
                client: ctx.client.shared.clone(),
                stale,
            });
        ctx.client.watched.push((db, key, existed));
    }
    Reply::Ok
}

fn unwatch(ctx: &mut Ctx, _a: &[Bytes]) -> Reply {
    unwatch_all(ctx.srv, ctx.client);
    Reply::Ok
}

/// Forgets every key the client watches and clears its dirty flag.
pub fn unwatch_all(srv: &mut Server, c: &mut Client) {
    let id = c.id();
    for (db, key, _) in c.watched.drain(..) {
        let k = (db, key);
        if let Some(list) = srv.watched.get_mut(&k) {
            list.retain(|w| w.client.id != id);
            if list.is_empty() {
                srv.watched.remove(&k);
            }
        }
    }
    c.shared.dirty_cas.set(false);
}
