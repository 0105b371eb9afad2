//! The command permissions of a selector as Redis 7.0 would hold them (a bitmap over Redis's
//! own command table, see [`super::redis_table`]), and Redis 7.0's `ACLDescribeSelectorCommandRules`
//! over it: `+@all`/`-@all`, the categories that best fit the allowed set, then single commands
//! and first-args to fix the difference. Working on Redis's table, not vigil's, makes ACL LIST,
//! GETUSER and saved ACL files read exactly as Redis writes them and mean the same there.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use super::redis_table::REDIS_COMMANDS;
use crate::server::command::acl as cat;

/// One command of Redis's table.
struct Cmd {
    name: &'static str,
    categories: u64,
    children: Vec<usize>,
}

struct Table {
    cmds: Vec<Cmd>,
    /// Top-level commands in table order.
    top: Vec<usize>,
    by_name: HashMap<&'static str, usize>,
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = Table {
            cmds: Vec::new(),
            top: Vec::new(),
            by_name: HashMap::new(),
        };
        for &(name, cats) in REDIS_COMMANDS {
            let id = t.cmds.len();
            let categories = cats
                .split_whitespace()
                .filter_map(cat::by_name)
                .fold(0, |acc, c| acc | c);
            t.cmds.push(Cmd {
                name,
                categories,
                children: Vec::new(),
            });
            t.by_name.insert(name, id);
            match name.split_once('|') {
                Some((parent, _)) => {
                    if let Some(&p) = t.by_name.get(parent) {
                        t.cmds[p].children.push(id);
                    }
                }
                None => t.top.push(id),
            }
        }
        t
    })
}

/// Redis's `ACLLookupCommand`: `name`, or `container|sub` for a subcommand (case-insensitive).
pub fn lookup(name: &[u8]) -> Option<usize> {
    let lower = String::from_utf8_lossy(name).to_ascii_lowercase();
    let t = table();
    match lower.split_once('|') {
        None => t.by_name.get(lower.as_str()).copied(),
        Some((base, sub)) => {
            if sub.contains('|') {
                return None;
            }
            let &b = t.by_name.get(base)?;
            if t.cmds[b].children.is_empty() {
                return None;
            }
            t.by_name.get(lower.as_str()).copied()
        }
    }
}

/// Whether the command has subcommands in Redis's table.
pub fn is_container(id: usize) -> bool {
    !table().cmds[id].children.is_empty()
}

/// Whether the command is a subcommand in Redis's table.
pub fn is_subcommand(id: usize) -> bool {
    table().cmds[id].name.contains('|')
}

/// A selector's command bits over Redis's table, with the allowed first-args.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisBits {
    bits: Vec<u64>,
    firstargs: BTreeMap<usize, Vec<Vec<u8>>>,
}

impl Default for RedisBits {
    fn default() -> Self {
        RedisBits {
            bits: vec![0; table().cmds.len().div_ceil(64)],
            firstargs: BTreeMap::new(),
        }
    }
}

impl RedisBits {
    fn bit(&self, id: usize) -> bool {
        self.bits[id / 64] & (1 << (id % 64)) != 0
    }

    fn set_bit(&mut self, id: usize, v: bool) {
        if v {
            self.bits[id / 64] |= 1 << (id % 64);
        } else {
            self.bits[id / 64] &= !(1 << (id % 64));
        }
    }

    /// `+@all` / `-@all`.
    pub fn set_all(&mut self, allow: bool) {
        for id in 0..table().cmds.len() {
            self.set_bit(id, allow);
        }
        self.firstargs.clear();
    }

    /// Allows or denies a command and, for a container, all its subcommands.
    pub fn change_perm(&mut self, id: usize, allow: bool) {
        self.set_bit(id, allow);
        self.firstargs.remove(&id);
        for &c in &table().cmds[id].children {
            self.set_bit(c, allow);
        }
    }

    /// `+@category` / `-@category`.
    pub fn set_category(&mut self, category: u64, allow: bool) {
        let t = table();
        for id in 0..t.cmds.len() {
            if t.cmds[id].categories & category != 0 {
                self.change_perm(id, allow);
            }
        }
    }

    /// `+command|first-arg` for a command without subcommands.
    pub fn add_firstarg(&mut self, id: usize, arg: &[u8]) {
        let list = self.firstargs.entry(id).or_default();
        if !list.iter().any(|a| a.eq_ignore_ascii_case(arg)) {
            list.push(arg.to_vec());
        }
    }

    fn count(&self, category: u64) -> (usize, usize) {
        let (mut on, mut off) = (0, 0);
        for (id, c) in table().cmds.iter().enumerate() {
            if c.categories & category != 0 {
                if self.bit(id) {
                    on += 1;
                } else {
                    off += 1;
                }
            }
        }
        (on, off)
    }

    fn single_commands(&self, fake: &mut RedisBits, ids: &[usize], rules: &mut String) {
        let t = table();
        for &id in ids {
            let userbit = self.bit(id);
            if userbit != fake.bit(id) {
                rules.push(if userbit { '+' } else { '-' });
                rules.push_str(t.cmds[id].name);
                rules.push(' ');
                fake.change_perm(id, userbit);
            }
            if !t.cmds[id].children.is_empty() {
                self.single_commands(fake, &t.cmds[id].children, rules);
            }
            if !userbit && let Some(args) = self.firstargs.get(&id) {
                for a in args {
                    rules.push('+');
                    rules.push_str(t.cmds[id].name);
                    rules.push('|');
                    rules.push_str(&String::from_utf8_lossy(a));
                    rules.push(' ');
                }
            }
        }
    }

    /// Redis 7.0's description of these permissions; `future` is whether the rules started
    /// from `+@all` (commands added later would be allowed).
    pub fn describe(&self, future: bool) -> String {
        let additive = !future;
        let mut rules = String::from(if additive { "-@all " } else { "+@all " });
        let mut fake = RedisBits::default();
        fake.set_all(!additive);
        let mut temp = RedisBits {
            bits: self.bits.clone(),
            firstargs: BTreeMap::new(),
        };
        let mut applied = [false; 64];
        loop {
            let mut best: Option<usize> = None;
            let (mut mindiff, mut maxsame) = (usize::MAX, 0usize);
            for (j, &(flag, _)) in cat::NAMES.iter().enumerate() {
                if applied[j] {
                    continue;
                }
                let (on, off) = temp.count(flag);
                let (diff, same) = if additive { (off, on) } else { (on, off) };
                if same > diff && (diff < mindiff || (diff == mindiff && same > maxsame)) {
                    best = Some(j);
                    mindiff = diff;
                    maxsame = same;
                }
            }
            let Some(j) = best else {
                break;
            };
            let (flag, name) = cat::NAMES[j];
            fake.set_category(flag, additive);
            temp.set_category(flag, !additive);
            rules.push_str(if additive { "+@" } else { "-@" });
            rules.push_str(name);
            rules.push(' ');
            applied[j] = true;
        }
        self.single_commands(&mut fake, &table().top, &mut rules);
        rules.pop();
        rules
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bits(ops: &[(&str, bool)]) -> RedisBits {
        let mut b = RedisBits::default();
        for &(op, allow) in ops {
            match op.strip_prefix('@') {
                Some(c) => b.set_category(cat::by_name(c).unwrap(), allow),
                None => b.change_perm(lookup(op.as_bytes()).unwrap(), allow),
            }
        }
        b
    }

    #[test]
    fn describes_like_redis_7_0() {
        assert_eq!(
            bits(&[("@write", true), ("del", false)]).describe(false),
            "-@all +@write -del"
        );
        let mut all = RedisBits::default();
        all.set_all(true);
        assert_eq!(all.describe(true), "+@all");
        all.set_category(cat::DANGEROUS, false);
        all.change_perm(lookup(b"client|list").unwrap(), true);
        assert_eq!(all.describe(true), "+@all -@dangerous +client|list");
        assert_eq!(RedisBits::default().describe(false), "-@all");
    }

    #[test]
    fn lookup_follows_redis() {
        assert!(lookup(b"XADD").is_some());
        assert!(lookup(b"client|list").is_some());
        assert!(lookup(b"select|0").is_none());
        assert!(lookup(b"client|list|x").is_none());
    }
}
