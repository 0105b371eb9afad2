//! ACL users: authentication and per-command, per-key and per-channel permissions (the Redis 7.0
//! model: users with selectors, rules such as `+@read ~app:* &news.*`), the ACL LOG, and the
//! `user` / `requirepass` / `aclfile` configuration.

pub mod cmdindex;
pub mod describe;
pub mod file;
pub mod keyperm;
pub mod log;
pub mod redis_table;
pub mod selector;
pub mod sha256;
pub mod user;

use std::collections::BTreeMap;

use bytes::Bytes;

use super::client::{Client, Outbound};
use super::command::CommandSpec;
use super::state::Server;
use crate::config::ServerConfig;
use crate::resp::Reply;
pub use log::{AclLog, LogEntry, Reason};
pub use selector::{Denied, RuleError, Selector};
pub use user::User;

/// The user database and the ACL log.
#[derive(Debug, Clone)]
pub struct Acl {
    /// Users by name (sorted, as ACL LIST shows them).
    pub users: BTreeMap<String, User>,
    /// Denied commands and failed logins.
    pub log: AclLog,
    /// `acl-pubsub-default allchannels`: new users may use every channel.
    pub pubsub_default_all: bool,
}

impl Default for Acl {
    fn default() -> Self {
        let mut users = BTreeMap::new();
        users.insert("default".to_string(), User::new_default());
        Acl {
            users,
            log: AclLog::default(),
            pubsub_default_all: false,
        }
    }
}

/// Error text for a rule refused while loading users from the configuration.
fn rule_error(user: &[u8], op: &[u8], e: RuleError) -> String {
    format!(
        "Error in user declaration '{}' at '{}': {}",
        String::from_utf8_lossy(user),
        String::from_utf8_lossy(op),
        e.message()
    )
}

/// Joins `(a`, `b`, `c)` back into one `(a b c)` selector argument, as Redis does for SETUSER
/// and configuration lines; Err carries the index of an unmatched opening.
pub fn merge_selector_args(args: &[Vec<u8>]) -> Result<Vec<Vec<u8>>, usize> {
    let mut out = Vec::new();
    let mut open: Option<(usize, Vec<u8>)> = None;
    for (i, op) in args.iter().enumerate() {
        if let Some((_, sel)) = open.as_mut() {
            sel.push(b' ');
            sel.extend_from_slice(op);
            if op.last() == Some(&b')')
                && let Some((_, sel)) = open.take()
            {
                out.push(sel);
            }
            continue;
        }
        if op.first() == Some(&b'(') && op.last() != Some(&b')') {
            open = Some((i, op.clone()));
            continue;
        }
        out.push(op.clone());
    }
    match open {
        Some((i, _)) => Err(i),
        None => Ok(out),
    }
}

impl Acl {
    /// Builds users from `requirepass`, `user` directives and `aclfile` (not both, as in Redis).
    pub fn from_config(config: &ServerConfig) -> Result<Acl, String> {
        let mut acl = Acl {
            pubsub_default_all: config.acl_pubsub_default_allchannels,
            ..Acl::default()
        };
        acl.set_default_password(config.requirepass.as_deref());
        if config.aclfile.is_some() && !config.users.is_empty() {
            return Err("Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. This setup is very likely to lead to configuration errors and security holes, please define either an ACL file or declare users directly in your redis.conf, but not both.".into());
        }
        let mut seen = std::collections::HashSet::new();
        for line in &config.users {
            let Some(name) = line.first() else {
                continue;
            };
            if !seen.insert(name.clone()) {
                return Err(rule_error(name, name, RuleError::Duplicate));
            }
            if name.as_slice() == b"default" {
                // As in Redis, a `user default` line describes the default user from a reset
                // state, not on top of its built-in everything-allowed rules.
                acl.users.remove("default");
            }
            acl.set_user(name, &line[1..])
                .map_err(|(op, e)| rule_error(name, &op, e))?;
        }
        if let Some(path) = config.aclfile.as_deref().filter(|p| !p.is_empty()) {
            let users = file::load(path, acl.pubsub_default_all)?;
            acl.replace_users(users);
        }
        Ok(acl)
    }

    /// Applies rules to a user (created if missing) atomically: on error nothing changes and the
    /// failing rule is returned with its error.
    pub fn set_user(&mut self, name: &[u8], ops: &[Vec<u8>]) -> Result<(), (Vec<u8>, RuleError)> {
        let name = String::from_utf8_lossy(name).into_owned();
        let merged = merge_selector_args(ops)
            .map_err(|i| (ops.get(i).cloned().unwrap_or_default(), RuleError::Syntax))?;
        let mut u = self
            .users
            .get(&name)
            .cloned()
            .unwrap_or_else(|| User::new(&name, self.pubsub_default_all));
        for op in &merged {
            u.apply(op, self.pubsub_default_all)
                .map_err(|e| (op.clone(), e))?;
        }
        self.users.insert(name, u);
        Ok(())
    }

    /// Replaces every user with `users`, keeping a `default` user (ACL LOAD).
    pub fn replace_users(&mut self, users: BTreeMap<String, User>) {
        self.users = users;
        self.users
            .entry("default".into())
            .or_insert_with(User::new_default);
    }

    /// `requirepass`: sets the default user's only password, or makes it `nopass`.
    pub fn set_default_password(&mut self, pass: Option<&[u8]>) {
        let u = self
            .users
            .entry("default".into())
            .or_insert_with(User::new_default);
        let _ = u.apply(b"resetpass", false);
        match pass {
            Some(p) => {
                let mut op = b">".to_vec();
                op.extend_from_slice(p);
                let _ = u.apply(&op, false);
            }
            None => {
                let _ = u.apply(b"nopass", false);
            }
        }
    }

    /// Whether the default user is `nopass` (protected mode and `AUTH <password>` look at this).
    pub fn default_nopass(&self) -> bool {
        self.users.get("default").is_some_and(|u| u.nopass)
    }

    /// Whether clients act as `default` without AUTH: it is `nopass` and `on`.
    pub fn default_needs_no_auth(&self) -> bool {
        self.users
            .get("default")
            .is_some_and(|u| u.enabled && u.nopass)
    }

    /// Whether a client in this state must authenticate before running normal commands.
    pub fn auth_required(&self, client_authenticated: bool) -> bool {
        !client_authenticated && !self.default_needs_no_auth()
    }

    /// Checks credentials.
    pub fn authenticate(&self, user: &str, pass: &[u8]) -> bool {
        self.users.get(user).is_some_and(|u| u.password_ok(pass))
    }

    /// Checks whether `user` may run `spec` with `args`; Err is what was refused and the
    /// argument index of the key or channel.
    pub fn check_detail(
        &self,
        user: &str,
        spec: &CommandSpec,
        args: &[Bytes],
    ) -> Result<(), (Denied, usize)> {
        let Some(u) = self.users.get(user) else {
            return Err((Denied::Command, 0));
        };
        let root = u.root();
        if u.selectors.len() == 1 && root.allcommands && root.allkeys && root.allchannels {
            return Ok(());
        }
        let Some(id) = cmdindex::get().id_of(spec) else {
            return Ok(());
        };
        u.check(id, spec, args)
    }

    /// Checks whether `user` may run `spec` with `args`; Err is the NOPERM reply.
    pub fn check(&self, user: &str, spec: &CommandSpec, args: &[Bytes]) -> Result<(), Reply> {
        self.check_detail(user, spec, args)
            .map_err(|(d, _)| noperm(d, spec))
    }

    /// Records a failed AUTH/HELLO in the ACL log (`object` is the command as typed).
    pub fn log_auth_failure(
        &mut self,
        user: &str,
        object: &str,
        in_multi: bool,
        client_info: String,
        now_ms: i64,
        max_len: usize,
    ) {
        self.log.add(
            LogEntry {
                count: 1,
                reason: Reason::Auth,
                context: if in_multi { "multi" } else { "toplevel" },
                object: object.to_string(),
                username: user.to_string(),
                ctime_ms: now_ms,
                client_info,
            },
            max_len,
        );
    }
}

/// Full name of a command (`client|list`) for ACL messages.
pub fn fullname(spec: &CommandSpec) -> String {
    let idx = cmdindex::get();
    match idx.id_of(spec) {
        Some(id) => idx.cmds[id].fullname.clone(),
        None => spec.name.to_string(),
    }
}

/// The NOPERM error Redis sends when a command is refused.
pub fn noperm(denied: Denied, spec: &CommandSpec) -> Reply {
    match denied {
        Denied::Command => Reply::err(format!(
            "NOPERM this user has no permissions to run the '{}' command",
            fullname(spec)
        )),
        Denied::Key => Reply::err(
            "NOPERM this user has no permissions to access one of the keys used as arguments",
        ),
        Denied::Channel => Reply::err(
            "NOPERM this user has no permissions to access one of the channels used as arguments",
        ),
    }
}

fn log_denial(
    srv: &mut Server,
    client: &Client,
    spec: &CommandSpec,
    args: &[Bytes],
    denied: Denied,
    pos: usize,
    in_multi: bool,
) {
    let object = match denied {
        Denied::Command => fullname(spec),
        Denied::Key | Denied::Channel => args
            .get(pos)
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .unwrap_or_default(),
    };
    let reason = match denied {
        Denied::Command => Reason::Command,
        Denied::Key => Reason::Key,
        Denied::Channel => Reason::Channel,
    };
    let info = crate::server::commands::client::info_line(srv, client, Some(&fullname(spec)), args);
    let max = srv.config.acllog_max_len as usize;
    srv.acl.log.add(
        LogEntry {
            count: 1,
            reason,
            context: if in_multi { "multi" } else { "toplevel" },
            object,
            username: client.user.clone(),
            ctime_ms: srv.now_ms,
            client_info: info,
        },
        max,
    );
}

/// The dispatcher's ACL gate: checks the command and logs a refusal to the ACL LOG.
pub fn enforce(
    srv: &mut Server,
    client: &Client,
    spec: &CommandSpec,
    args: &[Bytes],
) -> Result<(), Reply> {
    match srv.acl.check_detail(&client.user, spec, args) {
        Ok(()) => Ok(()),
        Err((denied, pos)) => {
            let in_multi = client.multi.is_some();
            log_denial(srv, client, spec, args, denied, pos, in_multi);
            Err(noperm(denied, spec))
        }
    }
}

/// EXEC's re-check of a queued command: the rules may have changed since it was queued.
pub fn enforce_exec(
    srv: &mut Server,
    client: &Client,
    spec: &CommandSpec,
    args: &[Bytes],
) -> Result<(), Reply> {
    match srv.acl.check_detail(&client.user, spec, args) {
        Ok(()) => Ok(()),
        Err((denied, pos)) => {
            log_denial(srv, client, spec, args, denied, pos, true);
            let reason = match denied {
                Denied::Command => "no permission to execute the command or subcommand",
                Denied::Key => "no permission to touch the specified keys",
                Denied::Channel => "no permission to access one of the channels used as arguments",
            };
            Err(Reply::err(format!(
                "NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: {reason}"
            )))
        }
    }
}

/// Disconnects the clients authenticated as `user` (ACL DELUSER, ACL LOAD), the calling client
/// after its reply; they fall back to an unauthenticated `default` meanwhile, as in Redis.
pub fn kill_user_clients(srv: &mut Server, current: &mut Client, user: &str) {
    if current.user == user {
        current.user = "default".into();
        current.authenticated = false;
        current.close_after_reply = true;
    }
    for entry in srv.clients.by_id.values() {
        if entry.shared.id == current.id() {
            continue;
        }
        let Ok(mut c) = entry.client.try_borrow_mut() else {
            continue;
        };
        if c.user == user {
            c.user = "default".into();
            c.authenticated = false;
            let _ = entry.shared.tx.send(Outbound::Kill);
        }
    }
}

/// After ACL SETUSER narrowed a user's channels: disconnects its subscribers whose channels or
/// patterns are no longer allowed (Redis 7.0 does this; other clients of the user stay).
pub fn kill_pubsub_clients_if_needed(
    srv: &mut Server,
    current: &mut Client,
    old: &User,
    new: &User,
) {
    if new.selectors.iter().any(|s| s.allchannels) {
        return;
    }
    let upcoming: Vec<&Vec<u8>> = new
        .selectors
        .iter()
        .flat_map(|s| s.channels.iter())
        .collect();
    let superset = old
        .selectors
        .iter()
        .flat_map(|s| s.channels.iter())
        .all(|c| upcoming.contains(&c));
    // A user that had every channel loses some whenever it gets a list (Redis 7.0.15 kills then).
    if superset && !old.selectors.iter().any(|s| s.allchannels) {
        return;
    }
    let violates = |c: &Client| {
        c.user == new.name
            && c.subscription_count() > 0
            && (c.patterns.iter().any(|p| !upcoming.iter().any(|u| *u == p))
                || c.channels.iter().any(|ch| {
                    !upcoming
                        .iter()
                        .any(|u| crate::util::glob::glob_match(u, ch, false))
                }))
    };
    if violates(current) {
        current.close_after_reply = true;
    }
    for entry in srv.clients.by_id.values() {
        if entry.shared.id == current.id() {
            continue;
        }
        let Ok(c) = entry.client.try_borrow() else {
            continue;
        };
        if violates(&c) {
            let _ = entry.shared.tx.send(Outbound::Kill);
        }
    }
}
