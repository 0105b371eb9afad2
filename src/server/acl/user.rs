//! An ACL user: on/off, passwords, payload sanitizing flags, and its selectors.

use bytes::Bytes;

use super::selector::{Denied, RuleError, Selector};
use super::sha256::hex_digest;
use crate::server::command::CommandSpec;

/// One ACL user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// User name.
    pub name: String,
    /// `on` (else `off`).
    pub enabled: bool,
    /// `nopass`: any password works.
    pub nopass: bool,
    /// `Some(true)` = `sanitize-payload`, `Some(false)` = `skip-sanitize-payload`.
    pub sanitize: Option<bool>,
    /// SHA-256 hex of each accepted password, in the order added.
    pub passwords: Vec<String>,
    /// Root selector first, then `(...)` selectors.
    pub selectors: Vec<Selector>,
}

fn valid_hash(h: &[u8]) -> bool {
    h.len() == 64 && h.iter().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'))
}

impl User {
    /// A new user as `ACL SETUSER name` creates it: off, no passwords, nothing allowed.
    pub fn new(name: &str, allchannels_default: bool) -> User {
        User {
            name: name.to_string(),
            enabled: false,
            nopass: false,
            sanitize: None,
            passwords: Vec::new(),
            selectors: vec![Selector::new(true, allchannels_default)],
        }
    }

    /// The built-in `default` user: on, nopass, everything allowed.
    pub fn new_default() -> User {
        let mut u = User::new("default", false);
        for op in ["+@all", "~*", "&*", "on", "nopass"] {
            let _ = u.apply(op.as_bytes(), false);
        }
        u
    }

    /// The root selector.
    pub fn root(&self) -> &Selector {
        &self.selectors[0]
    }

    /// Applies one rule; on error the user may be partly changed (callers work on a copy).
    pub fn apply(&mut self, op: &[u8], allchannels_default: bool) -> Result<(), RuleError> {
        if op.is_empty() {
            return Ok(());
        }
        let is = |w: &str| op.eq_ignore_ascii_case(w.as_bytes());
        if is("on") {
            self.enabled = true;
        } else if is("off") {
            self.enabled = false;
        } else if is("skip-sanitize-payload") {
            self.sanitize = Some(false);
        } else if is("sanitize-payload") {
            self.sanitize = Some(true);
        } else if is("nopass") {
            self.nopass = true;
            self.passwords.clear();
        } else if is("resetpass") {
            self.nopass = false;
            self.passwords.clear();
        } else if op[0] == b'>' || op[0] == b'#' {
            let hash = if op[0] == b'>' {
                hex_digest(&op[1..])
            } else if valid_hash(&op[1..]) {
                String::from_utf8_lossy(&op[1..]).into_owned()
            } else {
                return Err(RuleError::BadHash);
            };
            if !self.passwords.contains(&hash) {
                self.passwords.push(hash);
            }
            self.nopass = false;
        } else if op[0] == b'<' || op[0] == b'!' {
            let hash = if op[0] == b'<' {
                hex_digest(&op[1..])
            } else if valid_hash(&op[1..]) {
                String::from_utf8_lossy(&op[1..]).into_owned()
            } else {
                return Err(RuleError::BadHash);
            };
            let Some(pos) = self.passwords.iter().position(|p| *p == hash) else {
                return Err(RuleError::NoSuchPassword);
            };
            self.passwords.remove(pos);
        } else if op[0] == b'(' && op[op.len() - 1] == b')' && op.len() >= 2 {
            let inner = &op[1..op.len() - 1];
            let parts = crate::config::split_args(inner).map_err(|_| RuleError::Syntax)?;
            let mut sel = Selector::new(false, allchannels_default);
            for p in parts {
                sel.apply(&p)?;
            }
            self.selectors.push(sel);
        } else if is("clearselectors") {
            self.selectors.truncate(1);
        } else if is("reset") {
            self.nopass = false;
            self.passwords.clear();
            let root = &mut self.selectors[0];
            root.apply(b"resetkeys")?;
            root.apply(b"resetchannels")?;
            if allchannels_default {
                root.apply(b"allchannels")?;
            }
            self.enabled = false;
            self.sanitize = Some(true);
            self.selectors.truncate(1);
            self.selectors[0].apply(b"-@all")?;
        } else {
            self.selectors[0].apply(op)?;
        }
        Ok(())
    }

    /// Flags in Redis's order (ACL LIST and GETUSER).
    pub fn flag_names(&self) -> Vec<&'static str> {
        let mut v = vec![if self.enabled { "on" } else { "off" }];
        if self.nopass {
            v.push("nopass");
        }
        match self.sanitize {
            Some(false) => v.push("skip-sanitize-payload"),
            Some(true) => v.push("sanitize-payload"),
            None => {}
        }
        v
    }

    /// The rules that recreate this user (ACL LIST after `user <name> `).
    pub fn describe(&self) -> String {
        let mut s = String::new();
        for f in self.flag_names() {
            s.push_str(f);
            s.push(' ');
        }
        for p in &self.passwords {
            s.push('#');
            s.push_str(p);
            s.push(' ');
        }
        for sel in &self.selectors {
            if sel.root {
                s.push_str(&sel.describe());
            } else {
                s.push_str(&format!(" ({})", sel.describe()));
            }
        }
        s
    }

    /// Whether `pass` authenticates this user.
    pub fn password_ok(&self, pass: &[u8]) -> bool {
        if !self.enabled {
            return false;
        }
        if self.nopass {
            return true;
        }
        let hash = hex_digest(pass);
        let mut ok = false;
        for p in &self.passwords {
            // Compare every byte, like Redis's time-independent comparison.
            let diff = p
                .bytes()
                .zip(hash.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b));
            ok |= diff == 0 && p.len() == hash.len();
        }
        ok
    }

    /// Checks a command against every selector; the first that allows it wins. On refusal,
    /// the most relevant reason (Redis prefers channel over key over command, then the later
    /// argument) and its argument index.
    pub fn check(
        &self,
        id: usize,
        spec: &CommandSpec,
        args: &[Bytes],
    ) -> Result<(), (Denied, usize)> {
        let mut worst = (Denied::Command, 0usize);
        for sel in &self.selectors {
            match sel.check(id, spec, args) {
                Ok(()) => return Ok(()),
                Err(e) => {
                    if e.0 > worst.0 || (e.0 == worst.0 && e.1 > worst.1) {
                        worst = e;
                    }
                }
            }
        }
        Err(worst)
    }

    /// Whether the user may use this channel (literal: an exact pattern for PSUBSCRIBE).
    pub fn channel_allowed(&self, channel: &[u8], literal: bool) -> bool {
        self.selectors
            .iter()
            .any(|s| s.check_channel(channel, literal))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(ops: &[&str]) -> User {
        let mut u = User::new("u", false);
        for op in ops {
            u.apply(op.as_bytes(), false)
                .unwrap_or_else(|e| panic!("{op}: {e:?}"));
        }
        u
    }

    #[test]
    fn describe_matches_redis() {
        assert_eq!(User::new_default().describe(), "on nopass ~* &* +@all");
        assert_eq!(
            User::new("bob", false).describe(),
            "off resetchannels -@all"
        );
        let u = user(&["reset", "+get|x"]);
        assert_eq!(
            u.describe(),
            "off sanitize-payload resetchannels -@all +get|x"
        );
        let u = user(&["%R~x", "%W~x", "%RW~y", "%R", "+client|list"]);
        assert_eq!(
            u.describe(),
            "off ~x ~y %R~ resetchannels -@all +client|list"
        );
        let u = user(&["+client", "-client|kill"]);
        assert!(
            u.describe().ends_with("+client -client|kill"),
            "{}",
            u.describe()
        );
        let u = user(&["+@all", "-get"]);
        assert_eq!(u.describe(), "off resetchannels +@all -get");
        let u = user(&["(+get ~a)", "&ch"]);
        assert_eq!(
            u.describe(),
            "off resetchannels &ch -@all (~a resetchannels -@all +get)"
        );
    }

    #[test]
    fn describe_round_trips() {
        let cases: &[&[&str]] = &[
            &["+@all", "-@dangerous", "+client|list", "-get"],
            &["+@read", "-@string", "+set", "+select|0", "+select|1"],
            &["+client", "-client|kill", "+@pubsub", "-publish"],
            &[
                "on",
                ">x",
                "~a*",
                "%R~b",
                "&c",
                "(+get ~x)",
                "(+@write %W~y &z)",
            ],
        ];
        for ops in cases {
            let u = user(ops);
            let line = u.describe();
            let mut back = User::new("u", false);
            let words = crate::config::split_args(line.as_bytes()).unwrap();
            for op in crate::server::acl::merge_selector_args(&words).unwrap() {
                back.apply(&op, false).unwrap();
            }
            assert_eq!(back.describe(), line);
            assert_eq!(back.selectors[0], u.selectors[0], "{line}");
        }
    }

    #[test]
    fn rule_errors() {
        let mut u = User::new("u", false);
        assert_eq!(u.apply(b"foo", false), Err(RuleError::Syntax));
        assert_eq!(u.apply(b"+nocmd", false), Err(RuleError::Unknown));
        assert_eq!(u.apply(b"-select|0", false), Err(RuleError::Unknown));
        assert_eq!(u.apply(b"+select|", false), Err(RuleError::Syntax));
        assert_eq!(
            u.apply(b"+client|list|x", false),
            Err(RuleError::FirstArgOfSubcommand)
        );
        assert_eq!(u.apply(b"#abc", false), Err(RuleError::BadHash));
        assert_eq!(u.apply(b"<x", false), Err(RuleError::NoSuchPassword));
        assert_eq!(u.apply(b"%~x", false), Err(RuleError::Syntax));
        assert_eq!(u.apply(b"%RR~x", false), Err(RuleError::Syntax));
        u.apply(b"allkeys", false).unwrap();
        assert_eq!(u.apply(b"~a", false), Err(RuleError::KeysAfterAll));
        u.apply(b"allchannels", false).unwrap();
        assert_eq!(u.apply(b"&a", false), Err(RuleError::ChannelsAfterAll));
    }

    #[test]
    fn passwords() {
        let mut u = user(&["on", ">p1", ">p1", ">p2"]);
        assert_eq!(u.passwords.len(), 2);
        assert!(u.password_ok(b"p1") && u.password_ok(b"p2") && !u.password_ok(b"p3"));
        u.apply(b"<p1", false).unwrap();
        assert!(!u.password_ok(b"p1"));
        u.apply(b"off", false).unwrap();
        assert!(!u.password_ok(b"p2"));
    }
}
