//! The ACL LOG: recent denied commands and failed authentications, with similar events
//! within a minute folded into one entry with a count, as Redis does.

use std::collections::VecDeque;

use crate::resp::Reply;

/// Events closer than this (ms) with the same reason, context, object and user are grouped.
const GROUPING_MAX_DELTA_MS: i64 = 60_000;

/// Why an entry was logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// The command was not allowed.
    Command,
    /// A key was not allowed.
    Key,
    /// A channel was not allowed.
    Channel,
    /// AUTH/HELLO failed.
    Auth,
}

impl Reason {
    fn name(self) -> &'static str {
        match self {
            Reason::Command => "command",
            Reason::Key => "key",
            Reason::Channel => "channel",
            Reason::Auth => "auth",
        }
    }
}

/// One log entry.
#[derive(Debug, Clone)]
pub struct LogEntry {
    /// How many times this happened.
    pub count: u64,
    /// What was refused.
    pub reason: Reason,
    /// `toplevel` or `multi`.
    pub context: &'static str,
    /// Command name, key, channel, or `AUTH`.
    pub object: String,
    /// User the client acted as.
    pub username: String,
    /// Last update, Unix ms.
    pub ctime_ms: i64,
    /// CLIENT LIST line of the last client that triggered it.
    pub client_info: String,
}

/// The log, newest first.
#[derive(Debug, Clone, Default)]
pub struct AclLog {
    entries: VecDeque<LogEntry>,
}

impl AclLog {
    /// Adds an event, folding it into a recent similar one if any of the 10 newest matches.
    pub fn add(&mut self, entry: LogEntry, max_len: usize) {
        let found = self.entries.iter().take(10).position(|e| {
            e.reason == entry.reason
                && e.context == entry.context
                && (e.ctime_ms - entry.ctime_ms).abs() <= GROUPING_MAX_DELTA_MS
                && e.object == entry.object
                && e.username == entry.username
        });
        if let Some(i) = found
            && let Some(mut e) = self.entries.remove(i)
        {
            e.count += 1;
            e.ctime_ms = entry.ctime_ms;
            e.client_info = entry.client_info;
            self.entries.push_front(e);
            return;
        }
        self.entries.push_front(entry);
        self.entries.truncate(max_len);
    }

    /// ACL LOG RESET.
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The newest `count` entries as ACL LOG replies them.
    pub fn reply(&self, count: usize, now_ms: i64) -> Reply {
        Reply::Array(
            self.entries
                .iter()
                .take(count)
                .map(|e| {
                    Reply::Map(vec![
                        (Reply::text("count"), Reply::Int(e.count as i64)),
                        (Reply::text("reason"), Reply::text(e.reason.name())),
                        (Reply::text("context"), Reply::text(e.context)),
                        (Reply::text("object"), Reply::text(e.object.clone())),
                        (Reply::text("username"), Reply::text(e.username.clone())),
                        (
                            Reply::text("age-seconds"),
                            Reply::Double((now_ms - e.ctime_ms) as f64 / 1000.0),
                        ),
                        (
                            Reply::text("client-info"),
                            Reply::text(e.client_info.clone()),
                        ),
                    ])
                })
                .collect(),
        )
    }
}
