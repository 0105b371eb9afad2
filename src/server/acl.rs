//! ACL users: authentication and per-command/key/channel permissions.
//!
//! Minimal core: a `default` user governed by `requirepass`; the full ACL rule language
//! builds on this type.

use std::collections::BTreeMap;

use bytes::Bytes;

use super::command::CommandSpec;
use crate::config::ServerConfig;
use crate::resp::Reply;

/// One ACL user.
#[derive(Debug, Clone)]
pub struct User {
    /// User name.
    pub name: String,
    /// Enabled (`on`).
    pub enabled: bool,
    /// `nopass`: any password works.
    pub nopass: bool,
    /// Accepted passwords (plain text; hashes are compared by SHA-256 in the full ACL).
    pub passwords: Vec<Vec<u8>>,
}

/// The user database.
#[derive(Debug, Clone, Default)]
pub struct Acl {
    /// Users by name.
    pub users: BTreeMap<String, User>,
}

impl Acl {
    /// Builds users from `requirepass` and `user` directives.
    pub fn from_config(config: &ServerConfig) -> Result<Acl, String> {
        let mut acl = Acl::default();
        let default = match &config.requirepass {
            Some(p) => User {
                name: "default".into(),
                enabled: true,
                nopass: false,
                passwords: vec![p.clone()],
            },
            None => User {
                name: "default".into(),
                enabled: true,
                nopass: true,
                passwords: vec![],
            },
        };
        acl.users.insert("default".into(), default);
        Ok(acl)
    }

    /// Whether a fresh connection is authenticated as `default` without AUTH.
    pub fn default_needs_no_auth(&self) -> bool {
        self.users
            .get("default")
            .is_some_and(|u| u.enabled && u.nopass)
    }

    /// Checks credentials.
    pub fn authenticate(&self, user: &str, pass: &[u8]) -> bool {
        self.users
            .get(user)
            .is_some_and(|u| u.enabled && (u.nopass || u.passwords.iter().any(|p| p == pass)))
    }

    /// Checks whether `user` may run `cmd` with `args`; Err is the NOPERM reply.
    pub fn check(&self, _user: &str, _cmd: &CommandSpec, _args: &[Bytes]) -> Result<(), Reply> {
        Ok(())
    }
}

impl Acl {
    /// Records a failed AUTH in the ACL log.
    pub fn log_auth_failure(&mut self, _user: &str, _addr: &str, _client_id: u64, _now_ms: i64) {}
}
