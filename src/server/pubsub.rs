//! Channel and pattern subscriptions, and message fan-out.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use bytes::Bytes;
use indexmap::IndexMap;

use super::client::{ClientId, ClientShared, Outbound};
use crate::config::ObufLimit;
use crate::resp::Reply;
use crate::util::glob::glob_match;

/// Subscribers of one channel or pattern, in subscription order.
pub type Subscribers = IndexMap<ClientId, Rc<ClientShared>>;

/// Every subscription in the server.
#[derive(Debug, Default)]
pub struct PubSub {
    /// Exact channels.
    pub channels: HashMap<Bytes, Subscribers>,
    /// Patterns, in first-subscription order (delivery order follows it).
    pub patterns: IndexMap<Bytes, Subscribers>,
    /// `client-output-buffer-limit pubsub ...`: a subscriber that cannot keep up is disconnected
    /// instead of letting its backlog grow without bound.
    pub obuf_limit: ObufLimit,
    /// Since when (Unix ms) each subscriber has been over the soft limit.
    soft_over_since: RefCell<HashMap<ClientId, i64>>,
}

impl PubSub {
    /// Drops per-client bookkeeping when a client goes away.
    pub fn forget_client(&self, id: ClientId) {
        self.soft_over_since.borrow_mut().remove(&id);
    }

    /// Queues a message for a subscriber unless its backlog broke the output buffer limits,
    /// in which case the subscriber is disconnected (as Redis does). Returns whether it was queued.
    fn deliver(&self, shared: &ClientShared, msg: Reply, size: usize) -> bool {
        let queued = shared.queued_bytes.get() + size;
        let limit = self.obuf_limit;
        let mut over = false;
        if limit.hard > 0 && queued as u64 > limit.hard {
            over = true;
        } else if limit.soft > 0 && queued as u64 > limit.soft {
            let now = crate::server::state::unix_ms();
            let since = *self
                .soft_over_since
                .borrow_mut()
                .entry(shared.id)
                .or_insert(now);
            over = now - since >= (limit.soft_seconds * 1000) as i64;
        } else if limit.soft > 0 {
            self.soft_over_since.borrow_mut().remove(&shared.id);
        }
        if over {
            tracing::warn!(
                client = shared.id,
                queued,
                "Client scheduled to be closed ASAP for overcoming of output buffer limits."
            );
            let _ = shared.tx.send(Outbound::Kill);
            return false;
        }
        shared.queued_bytes.set(queued);
        shared.send(msg)
    }
}

impl PubSub {
    /// Adds a channel subscription; false if it already existed.
    pub fn subscribe(&mut self, channel: &Bytes, who: &Rc<ClientShared>) -> bool {
        self.channels
            .entry(channel.clone())
            .or_default()
            .insert(who.id, who.clone())
            .is_none()
    }

    /// Removes a channel subscription.
    pub fn unsubscribe(&mut self, channel: &[u8], id: ClientId) -> bool {
        let Some(subs) = self.channels.get_mut(channel) else {
            return false;
        };
        let removed = subs.shift_remove(&id).is_some();
        if subs.is_empty() {
            self.channels.remove(channel);
        }
        removed
    }

    /// Adds a pattern subscription.
    pub fn psubscribe(&mut self, pattern: &Bytes, who: &Rc<ClientShared>) -> bool {
        self.patterns
            .entry(pattern.clone())
            .or_default()
            .insert(who.id, who.clone())
            .is_none()
    }

    /// Removes a pattern subscription.
    pub fn punsubscribe(&mut self, pattern: &[u8], id: ClientId) -> bool {
        let Some(subs) = self.patterns.get_mut(pattern) else {
            return false;
        };
        let removed = subs.shift_remove(&id).is_some();
        if subs.is_empty() {
            self.patterns.shift_remove(pattern);
        }
        removed
    }

    /// Delivers a message; returns how many clients received it (PUBLISH's reply).
    pub fn publish(&self, channel: &Bytes, message: &Bytes) -> usize {
        let mut receivers = 0;
        if let Some(subs) = self.channels.get(channel) {
            for shared in subs.values() {
                let msg = Reply::Push(vec![
                    Reply::Bulk(Bytes::from_static(b"message")),
                    Reply::Bulk(channel.clone()),
                    Reply::Bulk(message.clone()),
                ]);
                if self.deliver(shared, msg, 32 + channel.len() + message.len()) {
                    receivers += 1;
                }
            }
        }
        for (pattern, subs) in &self.patterns {
            if !glob_match(pattern, channel, false) {
                continue;
            }
            for shared in subs.values() {
                let msg = Reply::Push(vec![
                    Reply::Bulk(Bytes::from_static(b"pmessage")),
                    Reply::Bulk(pattern.clone()),
                    Reply::Bulk(channel.clone()),
                    Reply::Bulk(message.clone()),
                ]);
                if self.deliver(
                    shared,
                    msg,
                    40 + pattern.len() + channel.len() + message.len(),
                ) {
                    receivers += 1;
                }
            }
        }
        receivers
    }

    /// Number of pattern subscriptions across all clients (PUBSUB NUMPAT counts patterns).
    pub fn pattern_count(&self) -> usize {
        self.patterns.len()
    }
}
