//! An ACL selector: which commands, keys and channels one set of rules allows. Every user has a
//! root selector; Redis 7.0 selectors `(...)` add alternatives, any of which may allow a command.

use std::collections::BTreeMap;

use bytes::Bytes;

use super::cmdindex::{self, CommandIndex};
use super::describe::{self, RedisBits};
use super::keyperm;
use crate::server::command::{CommandSpec, acl as cat, flags};
use crate::util::glob::glob_match;

/// Key pattern permission bit: the command reads the key's value.
pub const KEY_READ: u8 = 1;
/// Key pattern permission bit: the command modifies the key.
pub const KEY_WRITE: u8 = 2;
/// Both (`~pattern`, `%RW~pattern`).
pub const KEY_ALL: u8 = KEY_READ | KEY_WRITE;

/// Why a rule was refused; the messages are Redis's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleError {
    /// Unknown operation or a bad pattern.
    Syntax,
    /// Unknown command or category.
    Unknown,
    /// A key pattern after `allkeys`.
    KeysAfterAll,
    /// A channel pattern after `allchannels`.
    ChannelsAfterAll,
    /// `<pass` / `!hash` for a password the user does not have.
    NoSuchPassword,
    /// `#hash` / `!hash` that is not 64 lower-case hex digits.
    BadHash,
    /// `+container|sub|arg`.
    FirstArgOfSubcommand,
    /// The same user twice in the configuration.
    Duplicate,
}

impl RuleError {
    /// Redis's description of the error.
    pub fn message(self) -> &'static str {
        match self {
            RuleError::Syntax => "Syntax error",
            RuleError::Unknown => "Unknown command or category name in ACL",
            RuleError::KeysAfterAll => {
                "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns"
            }
            RuleError::ChannelsAfterAll => {
                "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels"
            }
            RuleError::NoSuchPassword => {
                "The password you are trying to remove from the user does not exist"
            }
            RuleError::BadHash => {
                "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters"
            }
            RuleError::FirstArgOfSubcommand => {
                "Allowing first-arg of a subcommand is not supported"
            }
            RuleError::Duplicate => {
                "Duplicate user found. A user can only be defined once in config files"
            }
        }
    }
}

/// What a permission check refused, ordered as Redis ranks them when choosing which to report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Denied {
    /// The command itself.
    Command,
    /// A key argument (its index in the arguments).
    Key,
    /// A channel argument.
    Channel,
}

/// One key pattern with its permissions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPattern {
    /// [`KEY_READ`] / [`KEY_WRITE`] bits.
    pub flags: u8,
    /// Glob pattern.
    pub pattern: Vec<u8>,
}

impl KeyPattern {
    /// `~p`, `%R~p` or `%W~p`.
    pub fn describe(&self) -> String {
        let prefix = match self.flags {
            KEY_READ => "%R~",
            KEY_WRITE => "%W~",
            _ => "~",
        };
        format!("{prefix}{}", String::from_utf8_lossy(&self.pattern))
    }
}

/// Commands, keys and channels one selector allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    /// The user's root selector (rules given outside parentheses).
    pub root: bool,
    /// `allkeys` / `~*`.
    pub allkeys: bool,
    /// `allchannels` / `&*`.
    pub allchannels: bool,
    /// `allcommands` / `+@all`, with no command removed since.
    pub allcommands: bool,
    /// Set by `+@all`, cleared by `-@all` only: the rules started from everything
    /// (describes as `+@all ...` rather than `-@all ...`).
    future: bool,
    allowed: Vec<u64>,
    firstargs: BTreeMap<usize, Vec<Vec<u8>>>,
    /// The same permissions over Redis's command table, for describing them as Redis does.
    redis: RedisBits,
    /// Key patterns in the order added.
    pub keys: Vec<KeyPattern>,
    /// Channel patterns in the order added.
    pub channels: Vec<Vec<u8>>,
}

fn has_spaces(s: &[u8]) -> bool {
    s.iter()
        .any(|&c| c == 0 || c == b' ' || (b'\t'..=b'\r').contains(&c))
}

/// A command rule is valid when Redis's table or ours knows the command (commands vigil does
/// not implement only change the Redis-side description); otherwise Redis's error wins.
fn known_somewhere(
    theirs: Result<(), RuleError>,
    ours: Result<(), RuleError>,
) -> Result<(), RuleError> {
    match (theirs, ours) {
        (Ok(()), Ok(()))
        | (Ok(()), Err(RuleError::Unknown))
        | (Err(RuleError::Unknown), Ok(())) => Ok(()),
        (Err(e), _) | (Ok(()), Err(e)) => Err(e),
    }
}

impl Selector {
    /// An empty selector; `allchannels` follows `acl-pubsub-default`.
    pub fn new(root: bool, allchannels: bool) -> Selector {
        let words = cmdindex::get().len().div_ceil(64);
        Selector {
            root,
            allkeys: false,
            allchannels,
            allcommands: false,
            future: false,
            allowed: vec![0; words],
            firstargs: BTreeMap::new(),
            redis: RedisBits::default(),
            keys: Vec::new(),
            channels: Vec::new(),
        }
    }

    fn bit(&self, id: usize) -> bool {
        self.allowed
            .get(id / 64)
            .is_some_and(|w| w & (1u64 << (id % 64)) != 0)
    }

    fn set_bit(&mut self, id: usize, value: bool) {
        if let Some(w) = self.allowed.get_mut(id / 64) {
            if value {
                *w |= 1u64 << (id % 64);
            } else {
                *w &= !(1u64 << (id % 64));
                self.allcommands = false;
            }
        }
    }

    /// Allows or denies a command and, for a container, all its subcommands.
    fn change_perm(&mut self, idx: &CommandIndex, id: usize, allow: bool) {
        self.set_bit(id, allow);
        self.firstargs.remove(&id);
        for &child in &idx.cmds[id].children {
            self.set_bit(child, allow);
        }
    }

    fn set_category(&mut self, idx: &CommandIndex, category: u64, allow: bool) {
        for id in 0..idx.len() {
            if idx.cmds[id].categories & category != 0 {
                self.change_perm(idx, id, allow);
            }
        }
    }

    fn set_all(&mut self, allow: bool) {
        let n = cmdindex::get().len();
        for (i, w) in self.allowed.iter_mut().enumerate() {
            *w = if !allow {
                0
            } else if (i + 1) * 64 <= n {
                u64::MAX
            } else {
                (1u64 << (n - i * 64)) - 1
            };
        }
        self.allcommands = allow;
        self.future = allow;
        self.firstargs.clear();
        self.redis.set_all(allow);
    }

    /// Applies one selector rule (keys, channels, commands).
    pub fn apply(&mut self, op: &[u8]) -> Result<(), RuleError> {
        let idx = cmdindex::get();
        let is = |w: &str| op.eq_ignore_ascii_case(w.as_bytes());
        if is("allkeys") || op == b"~*" {
            self.allkeys = true;
            self.keys.clear();
        } else if is("resetkeys") {
            self.allkeys = false;
            self.keys.clear();
        } else if is("allchannels") || op == b"&*" {
            self.allchannels = true;
            self.channels.clear();
        } else if is("resetchannels") {
            self.allchannels = false;
            self.channels.clear();
        } else if is("allcommands") || is("+@all") {
            self.set_all(true);
        } else if is("nocommands") || is("-@all") {
            self.set_all(false);
        } else if op.first() == Some(&b'~') || op.first() == Some(&b'%') {
            self.add_key_pattern(op)?;
        } else if op.first() == Some(&b'&') {
            if self.allchannels {
                return Err(RuleError::ChannelsAfterAll);
            }
            let pat = &op[1..];
            if has_spaces(pat) {
                return Err(RuleError::Syntax);
            }
            if !self.channels.iter().any(|c| c == pat) {
                self.channels.push(pat.to_vec());
            }
            self.allchannels = false;
        } else if op.len() >= 2 && (op[0] == b'+' || op[0] == b'-') && op[1] == b'@' {
            let name = String::from_utf8_lossy(&op[2..]);
            let category = cat::by_name(&name).ok_or(RuleError::Unknown)?;
            self.set_category(idx, category, op[0] == b'+');
            self.redis.set_category(category, op[0] == b'+');
        } else if op.first() == Some(&b'+') {
            let theirs = self.redis_allow(&op[1..]);
            let ours = self.allow_command(idx, &op[1..]);
            known_somewhere(theirs, ours)?;
        } else if op.first() == Some(&b'-') {
            let theirs = describe::lookup(&op[1..]).ok_or(RuleError::Unknown);
            if let Ok(id) = theirs {
                self.redis.change_perm(id, false);
            }
            let ours = idx.lookup(&op[1..]).ok_or(RuleError::Unknown);
            if let Ok(id) = ours {
                self.change_perm(idx, id, false);
            }
            known_somewhere(theirs.map(|_| ()), ours.map(|_| ()))?;
        } else {
            return Err(RuleError::Syntax);
        }
        Ok(())
    }

    fn add_key_pattern(&mut self, op: &[u8]) -> Result<(), RuleError> {
        if self.allkeys {
            return Err(RuleError::KeysAfterAll);
        }
        let mut perm = 0u8;
        let mut offset = 1;
        if op[0] == b'%' {
            while offset < op.len() {
                match op[offset].to_ascii_uppercase() {
                    b'R' if perm & KEY_READ == 0 => perm |= KEY_READ,
                    b'W' if perm & KEY_WRITE == 0 => perm |= KEY_WRITE,
                    b'~' => {
                        offset += 1;
                        break;
                    }
                    _ => return Err(RuleError::Syntax),
                }
                offset += 1;
            }
            if perm == 0 {
                return Err(RuleError::Syntax);
            }
        } else {
            perm = KEY_ALL;
        }
        let pat = &op[offset.min(op.len())..];
        if has_spaces(pat) {
            return Err(RuleError::Syntax);
        }
        match self.keys.iter_mut().find(|k| k.pattern == pat) {
            Some(k) => k.flags |= perm,
            None => self.keys.push(KeyPattern {
                flags: perm,
                pattern: pat.to_vec(),
            }),
        }
        self.allkeys = false;
        Ok(())
    }

    /// Redis's handling of `+name` on its own table: a command, a subcommand, or a first
    /// argument of a command without subcommands.
    fn redis_allow(&mut self, name: &[u8]) -> Result<(), RuleError> {
        let Some(bar) = name.iter().rposition(|&c| c == b'|') else {
            let id = describe::lookup(name).ok_or(RuleError::Unknown)?;
            self.redis.change_perm(id, true);
            return Ok(());
        };
        let (base, sub) = (&name[..bar], &name[bar + 1..]);
        let id = describe::lookup(base).ok_or(RuleError::Unknown)?;
        if describe::is_subcommand(id) {
            return Err(RuleError::FirstArgOfSubcommand);
        }
        if sub.is_empty() {
            return Err(RuleError::Syntax);
        }
        if describe::is_container(id) {
            let sub_id = describe::lookup(name).ok_or(RuleError::Unknown)?;
            self.redis.change_perm(sub_id, true);
        } else {
            self.redis.add_firstarg(id, sub);
        }
        Ok(())
    }

    fn allow_command(&mut self, idx: &CommandIndex, name: &[u8]) -> Result<(), RuleError> {
        let Some(bar) = name.iter().rposition(|&c| c == b'|') else {
            let id = idx.lookup(name).ok_or(RuleError::Unknown)?;
            self.change_perm(idx, id, true);
            return Ok(());
        };
        let (base, sub) = (&name[..bar], &name[bar + 1..]);
        let id = idx.lookup(base).ok_or(RuleError::Unknown)?;
        if idx.cmds[id].parent.is_some() {
            return Err(RuleError::FirstArgOfSubcommand);
        }
        if sub.is_empty() {
            return Err(RuleError::Syntax);
        }
        if !idx.cmds[id].children.is_empty() {
            let sub_id = idx.lookup(name).ok_or(RuleError::Unknown)?;
            self.change_perm(idx, sub_id, true);
        } else {
            tracing::warn!(
                "Deprecation warning: Allowing a first arg of an otherwise blocked command is a misuse of ACL and may get disabled in the future (offender: +{})",
                String::from_utf8_lossy(name)
            );
            let list = self.firstargs.entry(id).or_default();
            if !list.iter().any(|a| a.eq_ignore_ascii_case(sub)) {
                list.push(sub.to_vec());
            }
        }
        Ok(())
    }

    /// The command rules as Redis 7.0 describes them (computed over Redis's command table):
    /// `+@all`/`-@all`, the categories that best fit the allowed set, then single commands.
    pub fn describe_commands(&self) -> String {
        self.redis.describe(self.future)
    }

    /// Key patterns as GETUSER shows them.
    pub fn describe_keys(&self) -> String {
        if self.allkeys {
            return "~*".into();
        }
        self.keys
            .iter()
            .map(KeyPattern::describe)
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Channel patterns as GETUSER shows them.
    pub fn describe_channels(&self) -> String {
        if self.allchannels {
            return "&*".into();
        }
        self.channels
            .iter()
            .map(|c| format!("&{}", String::from_utf8_lossy(c)))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The whole selector in ACL LIST form (keys, channels, commands).
    pub fn describe(&self) -> String {
        let mut s = String::new();
        if self.allkeys {
            s.push_str("~* ");
        } else {
            for k in &self.keys {
                s.push_str(&k.describe());
                s.push(' ');
            }
        }
        if self.allchannels {
            s.push_str("&* ");
        } else {
            s.push_str("resetchannels ");
            for c in &self.channels {
                s.push('&');
                s.push_str(&String::from_utf8_lossy(c));
                s.push(' ');
            }
        }
        s.push_str(&self.describe_commands());
        s
    }

    /// Whether the key may be used with the given access.
    pub fn check_key(&self, key: &[u8], access: u8) -> bool {
        self.allkeys
            || self
                .keys
                .iter()
                .any(|p| p.flags & access == access && glob_match(&p.pattern, key, false))
    }

    /// Whether the channel (or, with `literal`, the exact pattern) is allowed.
    pub fn check_channel(&self, channel: &[u8], literal: bool) -> bool {
        self.allchannels
            || self.channels.iter().any(|p| {
                if literal {
                    p == channel
                } else {
                    glob_match(p, channel, false)
                }
            })
    }

    /// Checks a command with its arguments; on refusal, what and at which argument.
    pub fn check(
        &self,
        id: usize,
        spec: &CommandSpec,
        args: &[Bytes],
    ) -> Result<(), (Denied, usize)> {
        let idx = cmdindex::get();
        if !self.allcommands && !spec.has(flags::NO_AUTH) && !self.bit(id) {
            let argpos = if idx.cmds[id].parent.is_some() { 2 } else { 1 };
            let allowed = self.firstargs.get(&id).is_some_and(|list| {
                args.get(argpos)
                    .is_some_and(|a| list.iter().any(|f| f.eq_ignore_ascii_case(a)))
            });
            if !allowed {
                return Err((Denied::Command, 0));
            }
        }
        if !self.allkeys {
            let positions = spec.key_indexes(args);
            let name = &idx.cmds[id].fullname;
            for (nth, &pos) in positions.iter().enumerate() {
                let access = keyperm::access(name, spec, args, nth, positions.len());
                if !self.check_key(&args[pos], access) {
                    return Err((Denied::Key, pos));
                }
            }
        }
        if !self.allchannels {
            let (from, literal) = match idx.cmds[id].fullname.as_str() {
                "publish" | "spublish" => (1, false),
                "subscribe" | "ssubscribe" => (1, false),
                "psubscribe" => (1, true),
                _ => return Ok(()),
            };
            let to = if idx.cmds[id].fullname.ends_with("publish") {
                2.min(args.len())
            } else {
                args.len()
            };
            for (pos, ch) in args.iter().enumerate().take(to).skip(from) {
                if !self.check_channel(ch, literal) {
                    return Err((Denied::Channel, pos));
                }
            }
        }
        Ok(())
    }
}
