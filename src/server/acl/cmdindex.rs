//! Numbering of every command and subcommand of the command table, so ACL selectors can keep
//! their allowed commands as a bitmap. Built from the original names (rename-command does not
//! change what an ACL rule refers to, as in Redis).

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::server::command::CommandSpec;

/// One command as ACL sees it.
pub struct CmdInfo {
    /// The table entry.
    pub spec: &'static CommandSpec,
    /// `get`, or `client|list` for a subcommand.
    pub fullname: String,
    /// Index of the container, for subcommands.
    pub parent: Option<usize>,
    /// Indexes of the subcommands, for containers.
    pub children: Vec<usize>,
    /// All ACL categories (explicit and flag-derived).
    pub categories: u64,
}

/// Every command with a dense id.
pub struct CommandIndex {
    /// By id; top-level commands are followed by their subcommands.
    pub cmds: Vec<CmdInfo>,
    by_ptr: HashMap<usize, usize>,
    by_name: HashMap<String, usize>,
}

impl CommandIndex {
    fn build() -> CommandIndex {
        let mut idx = CommandIndex {
            cmds: Vec::new(),
            by_ptr: HashMap::new(),
            by_name: HashMap::new(),
        };
        let mode = crate::server::commands::mode();
        for spec in crate::server::commands::specs(mode) {
            let id = idx.push(spec, spec.name.to_string(), None);
            for sub in spec.subcommands {
                let child = idx.push(sub, format!("{}|{}", spec.name, sub.name), Some(id));
                idx.cmds[id].children.push(child);
            }
        }
        idx
    }

    fn push(
        &mut self,
        spec: &'static CommandSpec,
        fullname: String,
        parent: Option<usize>,
    ) -> usize {
        let id = self.cmds.len();
        self.by_ptr.insert(spec as *const CommandSpec as usize, id);
        self.by_name.insert(fullname.to_ascii_lowercase(), id);
        self.cmds.push(CmdInfo {
            spec,
            fullname,
            parent,
            children: Vec::new(),
            categories: spec.categories(),
        });
        id
    }

    /// Number of ids in use.
    pub fn len(&self) -> usize {
        self.cmds.len()
    }

    /// Whether the table is empty (never, in a real build).
    pub fn is_empty(&self) -> bool {
        self.cmds.is_empty()
    }

    /// The id of a table entry.
    pub fn id_of(&self, spec: &CommandSpec) -> Option<usize> {
        self.by_ptr
            .get(&(spec as *const CommandSpec as usize))
            .copied()
    }

    /// Finds `name` or `container|sub` (case-insensitive) as Redis's ACL lookup does: a `|`
    /// form only names a subcommand of a container.
    pub fn lookup(&self, name: &[u8]) -> Option<usize> {
        let lower = String::from_utf8_lossy(name).to_ascii_lowercase();
        let mut parts = lower.split('|');
        let base = parts.next()?;
        let sub = parts.next();
        if parts.next().is_some() {
            return None;
        }
        let id = *self.by_name.get(base)?;
        match sub {
            None => Some(id),
            Some(_) if self.cmds[id].children.is_empty() => None,
            Some(_) => self.by_name.get(lower.as_str()).copied(),
        }
    }
}

static INDEX: OnceLock<CommandIndex> = OnceLock::new();

/// The process-wide index (the command table is static).
pub fn get() -> &'static CommandIndex {
    INDEX.get_or_init(CommandIndex::build)
}
