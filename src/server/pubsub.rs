//! Channel and pattern subscriptions, and message fan-out.

use std::collections::HashMap;
use std::rc::Rc;

use bytes::Bytes;
use indexmap::IndexMap;

use super::client::{ClientId, ClientShared};
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
                if shared.send(msg) {
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
                if shared.send(msg) {
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
