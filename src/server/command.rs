//! The one command table: arity, flags, ACL categories and key positions for every command.
//!
//! Dispatch, ACL checks, MULTI queueing, COMMAND replies, WATCH/ACL key extraction and (later)
//! replication all read this table, so no command property is kept in two places.

use std::collections::HashMap;

use bytes::Bytes;

use super::state::Ctx;
use crate::resp::Reply;

/// A command implementation: gets the full argument vector (name first).
pub type CommandFn = fn(&mut Ctx, &[Bytes]) -> Reply;

/// Command flags, named as in Redis's COMMAND output.
pub mod flags {
    /// May modify the keyspace.
    pub const WRITE: u32 = 1 << 0;
    /// Only reads.
    pub const READONLY: u32 = 1 << 1;
    /// May grow memory: refused when over maxmemory with noeviction.
    pub const DENYOOM: u32 = 1 << 2;
    /// Administrative.
    pub const ADMIN: u32 = 1 << 3;
    /// Pub/sub related.
    pub const PUBSUB: u32 = 1 << 4;
    /// Not allowed from scripts.
    pub const NOSCRIPT: u32 = 1 << 5;
    /// May block the client.
    pub const BLOCKING: u32 = 1 << 6;
    /// Allowed while loading.
    pub const LOADING: u32 = 1 << 7;
    /// Allowed on a stale replica.
    pub const STALE: u32 = 1 << 8;
    /// Not shown to MONITOR.
    pub const SKIP_MONITOR: u32 = 1 << 9;
    /// Not recorded in the slow log.
    pub const SKIP_SLOWLOG: u32 = 1 << 10;
    /// O(1) or O(log N).
    pub const FAST: u32 = 1 << 11;
    /// Allowed before authentication.
    pub const NO_AUTH: u32 = 1 << 12;
    /// May replicate even though not a write (PUBLISH).
    pub const MAY_REPLICATE: u32 = 1 << 13;
    /// Not allowed inside MULTI.
    pub const NO_MULTI: u32 = 1 << 14;
    /// Key positions need parsing of the arguments.
    pub const MOVABLE_KEYS: u32 = 1 << 15;
    /// Allowed in the RESP2 subscribed context.
    pub const PUBSUB_CONTEXT: u32 = 1 << 16;
    /// Runs even when the command table says keys are absent.
    pub const NO_MANDATORY_KEYS: u32 = 1 << 17;
    /// Handled by MULTI/EXEC machinery itself instead of being queued.
    pub const MULTI_CONTROL: u32 = 1 << 18;
    /// Allowed during CLIENT PAUSE WRITE even if flagged write-like.
    pub const ALLOW_BUSY: u32 = 1 << 19;
    /// Refused while a replica loads a new dataset and keeps serving the old one
    /// (`async_loading`), although allowed otherwise.
    pub const NO_ASYNC_LOADING: u32 = 1 << 20;

    /// Names for COMMAND INFO, in Redis's order.
    pub const NAMES: &[(u32, &str)] = &[
        (WRITE, "write"),
        (READONLY, "readonly"),
        (DENYOOM, "denyoom"),
        (ADMIN, "admin"),
        (PUBSUB, "pubsub"),
        (NOSCRIPT, "noscript"),
        (BLOCKING, "blocking"),
        (LOADING, "loading"),
        (STALE, "stale"),
        (SKIP_MONITOR, "skip_monitor"),
        (SKIP_SLOWLOG, "skip_slowlog"),
        (FAST, "fast"),
        (NO_AUTH, "no_auth"),
        (NO_ASYNC_LOADING, "no_async_loading"),
        // MAY_REPLICATE is not listed: Redis hides it from COMMAND on purpose.
        (NO_MULTI, "no_multi"),
        (MOVABLE_KEYS, "movablekeys"),
        (NO_MANDATORY_KEYS, "no_mandatory_keys"),
        (ALLOW_BUSY, "allow_busy"),
    ];
}

/// ACL categories (`@read`, `@string`, ...).
pub mod acl {
    /// @keyspace
    pub const KEYSPACE: u64 = 1 << 0;
    /// @read
    pub const READ: u64 = 1 << 1;
    /// @write
    pub const WRITE: u64 = 1 << 2;
    /// @set
    pub const SET: u64 = 1 << 3;
    /// @sortedset
    pub const SORTEDSET: u64 = 1 << 4;
    /// @list
    pub const LIST: u64 = 1 << 5;
    /// @hash
    pub const HASH: u64 = 1 << 6;
    /// @string
    pub const STRING: u64 = 1 << 7;
    /// @bitmap
    pub const BITMAP: u64 = 1 << 8;
    /// @hyperloglog
    pub const HYPERLOGLOG: u64 = 1 << 9;
    /// @geo
    pub const GEO: u64 = 1 << 10;
    /// @stream
    pub const STREAM: u64 = 1 << 11;
    /// @pubsub
    pub const PUBSUB: u64 = 1 << 12;
    /// @admin
    pub const ADMIN: u64 = 1 << 13;
    /// @fast
    pub const FAST: u64 = 1 << 14;
    /// @slow
    pub const SLOW: u64 = 1 << 15;
    /// @blocking
    pub const BLOCKING: u64 = 1 << 16;
    /// @dangerous
    pub const DANGEROUS: u64 = 1 << 17;
    /// @connection
    pub const CONNECTION: u64 = 1 << 18;
    /// @transaction
    pub const TRANSACTION: u64 = 1 << 19;
    /// @scripting
    pub const SCRIPTING: u64 = 1 << 20;

    /// Category names in Redis's order (ACL CAT).
    pub const NAMES: &[(u64, &str)] = &[
        (KEYSPACE, "keyspace"),
        (READ, "read"),
        (WRITE, "write"),
        (SET, "set"),
        (SORTEDSET, "sortedset"),
        (LIST, "list"),
        (HASH, "hash"),
        (STRING, "string"),
        (BITMAP, "bitmap"),
        (HYPERLOGLOG, "hyperloglog"),
        (GEO, "geo"),
        (STREAM, "stream"),
        (PUBSUB, "pubsub"),
        (ADMIN, "admin"),
        (FAST, "fast"),
        (SLOW, "slow"),
        (BLOCKING, "blocking"),
        (DANGEROUS, "dangerous"),
        (CONNECTION, "connection"),
        (TRANSACTION, "transaction"),
        (SCRIPTING, "scripting"),
    ];

    /// Looks a category up by name (case-insensitive).
    pub fn by_name(name: &str) -> Option<u64> {
        NAMES
            .iter()
            .find(|(_, n)| n.eq_ignore_ascii_case(name))
            .map(|(b, _)| *b)
    }
}

/// Where a command's keys are.
#[derive(Clone, Copy)]
pub enum KeySpec {
    /// No keys.
    None,
    /// Keys at `first..=last` (negative last counts from the end) every `step` arguments.
    Range {
        /// First key index.
        first: i32,
        /// Last key index; -1 = last argument.
        last: i32,
        /// Step between keys.
        step: i32,
    },
    /// Keys found by parsing the arguments (ZUNIONSTORE numkeys, LMPOP, ...).
    Custom(fn(&[Bytes]) -> Vec<usize>),
}

/// One command or subcommand.
pub struct CommandSpec {
    /// Lower-case name (the subcommand name alone for subcommands).
    pub name: &'static str,
    /// Redis arity: exact when positive, minimum when negative; counts the name.
    pub arity: i32,
    /// [`flags`] bits.
    pub flags: u32,
    /// Explicit [`acl`] categories; flag-derived ones are added automatically.
    pub acl: u64,
    /// Key positions.
    pub keys: KeySpec,
    /// Implementation (unused for containers).
    pub func: CommandFn,
    /// Subcommands for containers such as CLIENT or CONFIG.
    pub subcommands: &'static [CommandSpec],
    /// Command group for COMMAND DOCS (string, list, server, ...).
    pub group: &'static str,
    /// One-line summary for COMMAND DOCS.
    pub summary: &'static str,
    /// Redis version that introduced it.
    pub since: &'static str,
}

fn unreachable_container(_: &mut Ctx, _: &[Bytes]) -> Reply {
    Reply::err("ERR container command called without subcommand")
}

impl CommandSpec {
    /// A command with no keys and no flags; refine with the builder methods.
    pub const fn new(name: &'static str, arity: i32, func: CommandFn) -> Self {
        CommandSpec {
            name,
            arity,
            flags: 0,
            acl: 0,
            keys: KeySpec::None,
            func,
            subcommands: &[],
            group: "generic",
            summary: "",
            since: "1.0.0",
        }
    }

    /// A container whose subcommands do the work.
    pub const fn container(name: &'static str, subcommands: &'static [CommandSpec]) -> Self {
        let mut c = Self::new(name, -2, unreachable_container);
        c.subcommands = subcommands;
        c
    }

    /// Sets flags.
    pub const fn flags(mut self, f: u32) -> Self {
        self.flags = f;
        self
    }

    /// Sets explicit ACL categories.
    pub const fn acl(mut self, a: u64) -> Self {
        self.acl = a;
        self
    }

    /// Keys at fixed positions.
    pub const fn keys(mut self, first: i32, last: i32, step: i32) -> Self {
        self.keys = KeySpec::Range { first, last, step };
        self
    }

    /// Keys found by a parser.
    pub const fn keys_fn(mut self, f: fn(&[Bytes]) -> Vec<usize>) -> Self {
        self.keys = KeySpec::Custom(f);
        self.flags |= flags::MOVABLE_KEYS;
        self
    }

    /// Documentation fields.
    pub const fn doc(
        mut self,
        group: &'static str,
        since: &'static str,
        summary: &'static str,
    ) -> Self {
        self.group = group;
        self.since = since;
        self.summary = summary;
        self
    }

    /// Whether the flag is set.
    pub fn has(&self, f: u32) -> bool {
        self.flags & f != 0
    }

    /// Whether argument count `n` (including the name) satisfies the arity.
    pub fn arity_ok(&self, n: usize) -> bool {
        let n = n as i32;
        if self.arity >= 0 {
            n == self.arity
        } else {
            n >= -self.arity
        }
    }

    /// All ACL categories: explicit plus those implied by flags, as Redis derives them.
    pub fn categories(&self) -> u64 {
        let mut c = self.acl;
        if self.has(flags::WRITE) {
            c |= acl::WRITE;
        }
        if self.has(flags::READONLY) && c & acl::SCRIPTING == 0 {
            c |= acl::READ;
        }
        if self.has(flags::ADMIN) {
            c |= acl::ADMIN | acl::DANGEROUS;
        }
        if self.has(flags::PUBSUB) {
            c |= acl::PUBSUB;
        }
        if self.has(flags::FAST) {
            c |= acl::FAST;
        }
        if self.has(flags::BLOCKING) {
            c |= acl::BLOCKING;
        }
        if c & acl::FAST == 0 {
            c |= acl::SLOW;
        }
        c
    }

    /// Indexes of the key arguments in `args`.
    pub fn key_indexes(&self, args: &[Bytes]) -> Vec<usize> {
        match self.keys {
            KeySpec::None => Vec::new(),
            KeySpec::Custom(f) => f(args),
            KeySpec::Range { first, last, step } => {
                let n = args.len() as i32;
                let last = if last < 0 { n + last } else { last.min(n - 1) };
                let mut out = Vec::new();
                let mut i = first;
                while i <= last && i < n && step > 0 {
                    out.push(i as usize);
                    i += step;
                }
                out
            }
        }
    }

    /// Looks up a subcommand by name (case-insensitive).
    pub fn subcommand(&self, name: &[u8]) -> Option<&'static CommandSpec> {
        self.subcommands
            .iter()
            .find(|s| s.name.as_bytes().eq_ignore_ascii_case(name))
    }
}

/// The lookup table, built once from every family's static list, with rename-command applied.
pub struct CommandTable {
    by_name: HashMap<Vec<u8>, &'static CommandSpec, foldhash::fast::RandomState>,
    /// Full names (`client|list`) by spec address, so statistics never build strings.
    full_names: HashMap<usize, &'static str, foldhash::fast::RandomState>,
    /// Every command under its original name (COMMAND LIST/COUNT show the real table).
    pub all: Vec<&'static CommandSpec>,
}

impl CommandTable {
    /// Builds the table of the process's mode; `renames` maps original names to new ones
    /// ("" = disabled).
    pub fn new(renames: &[(String, Vec<u8>)]) -> Result<Self, String> {
        let mode = super::commands::mode();
        Self::with_specs(&super::commands::specs(mode), renames)
    }

    /// Builds a table from a list of specs (see [`super::commands::specs`]).
    pub fn with_specs(
        specs: &[&'static CommandSpec],
        renames: &[(String, Vec<u8>)],
    ) -> Result<Self, String> {
        let mut by_name: HashMap<Vec<u8>, &'static CommandSpec, _> = HashMap::default();
        let mut all = Vec::new();
        for &spec in specs {
            by_name.insert(spec.name.as_bytes().to_vec(), spec);
            all.push(spec);
        }
        for (from, to) in renames {
            let key = from.to_ascii_lowercase().into_bytes();
            let Some(spec) = by_name.remove(&key) else {
                return Err(format!("No such command in rename-command: {from}"));
            };
            if !to.is_empty() {
                by_name.insert(to.to_ascii_lowercase(), spec);
            }
        }
        let mut full_names: HashMap<usize, &'static str, _> = HashMap::default();
        for spec in &all {
            full_names.insert(*spec as *const CommandSpec as usize, spec.name);
            for sub in spec.subcommands {
                let name: &'static str =
                    Box::leak(format!("{}|{}", spec.name, sub.name).into_boxed_str());
                full_names.insert(sub as *const CommandSpec as usize, name);
            }
        }
        Ok(CommandTable {
            by_name,
            full_names,
            all,
        })
    }

    /// Name used in statistics, errors and CLIENT LIST (`get`, `client|list`).
    pub fn full_name(&self, spec: &'static CommandSpec) -> &'static str {
        self.full_names
            .get(&(spec as *const CommandSpec as usize))
            .copied()
            .unwrap_or(spec.name)
    }

    /// Finds a command by the name a client typed.
    pub fn lookup(&self, name: &[u8]) -> Option<&'static CommandSpec> {
        if name.len() <= 32 {
            let mut buf = [0u8; 32];
            let lower = &mut buf[..name.len()];
            lower.copy_from_slice(name);
            lower.make_ascii_lowercase();
            self.by_name.get(&lower[..]).copied()
        } else {
            self.by_name.get(&name.to_ascii_lowercase()).copied()
        }
    }

    /// Finds a command by its original name (COMMAND INFO works on real names).
    pub fn by_original_name(&self, name: &[u8]) -> Option<&'static CommandSpec> {
        self.all
            .iter()
            .find(|s| s.name.as_bytes().eq_ignore_ascii_case(name))
            .copied()
    }
}
