//! COMMAND: the command table as clients see it (INFO, DOCS, LIST, COUNT, GETKEYS).
//!
//! Everything here is derived from the one command table; nothing is listed twice. Properties
//! the table does not record are reported conservatively: key-spec flags are derived from the
//! command's read/write flags, commands with argument-parsed keys get `unknown` key specs and a
//! legacy key range of 0 0 0, and no command tips are reported.

use bytes::Bytes;

use super::args;
use crate::resp::Reply;
use crate::server::command::{CommandSpec, KeySpec, acl, flags, flags::*};
use crate::server::state::{Ctx, Server};
use crate::util::glob::glob_match;

const STATUS: u32 = LOADING | STALE;

/// The COMMAND container; alone it lists every command.
pub static COMMANDS: &[CommandSpec] = &[CommandSpec {
    arity: -1,
    func: command_all,
    ..CommandSpec::container("command", SUBCOMMANDS)
        .flags(STATUS)
        .acl(acl::CONNECTION)
        .doc("server", "2.8.13", "Get array of Redis command details")
}];

static SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new("count", 2, count)
        .flags(STATUS)
        .acl(acl::CONNECTION)
        .doc("server", "2.8.13", "Get total number of Redis commands"),
    CommandSpec::new("docs", -2, docs)
        .flags(STATUS)
        .acl(acl::CONNECTION)
        .doc(
            "server",
            "7.0.0",
            "Get array of specific Redis command documentation",
        ),
    CommandSpec::new("getkeys", -4, getkeys)
        .flags(STATUS)
        .acl(acl::CONNECTION)
        .doc(
            "server",
            "2.8.13",
            "Extract keys given a full Redis command",
        ),
    CommandSpec::new("getkeysandflags", -4, getkeysandflags)
        .flags(STATUS)
        .acl(acl::CONNECTION)
        .doc(
            "server",
            "7.0.0",
            "Extract keys and access flags given a full Redis command",
        ),
    CommandSpec::new("help", 2, help)
        .flags(STATUS)
        .acl(acl::CONNECTION)
        .doc(
            "server",
            "5.0.0",
            "Show helpful text about the different subcommands",
        ),
    CommandSpec::new("info", -2, info)
        .flags(STATUS)
        .acl(acl::CONNECTION)
        .doc(
            "server",
            "2.8.13",
            "Get array of specific Redis command details, or all when no argument is given.",
        ),
    CommandSpec::new("list", -2, list)
        .flags(STATUS)
        .acl(acl::CONNECTION)
        .doc("server", "7.0.0", "Get an array of Redis command names"),
];

/// Every command with its subcommands, as (full name, spec), parents first.
fn all_with_subcommands(srv: &Server) -> Vec<(String, &'static CommandSpec)> {
    let mut out = Vec::new();
    for spec in &srv.commands.all {
        out.push((spec.name.to_string(), *spec));
        for sub in spec.subcommands {
            out.push((format!("{}|{}", spec.name, sub.name), sub));
        }
    }
    out
}

/// Finds a command by its original name, `parent|sub` for subcommands.
fn find(srv: &Server, name: &[u8]) -> Option<(String, &'static CommandSpec)> {
    let mut parts = name.splitn(2, |b| *b == b'|');
    let parent = srv.commands.by_original_name(parts.next()?)?;
    match parts.next() {
        None => Some((parent.name.to_string(), parent)),
        Some(sub) => {
            let s = parent.subcommand(sub)?;
            Some((format!("{}|{}", parent.name, s.name), s))
        }
    }
}

fn status_set<'a>(items: impl IntoIterator<Item = &'a str>) -> Reply {
    Reply::Set(items.into_iter().map(|s| Reply::Status(s.into())).collect())
}

fn kv(k: &str, v: Reply) -> (Reply, Reply) {
    (Reply::text(k), v)
}

/// Key-spec flags derived from the command flags (the table keeps no per-key access flags).
fn key_flags(spec: &CommandSpec) -> &'static [&'static str] {
    if spec.has(flags::WRITE) {
        &["RW", "update"]
    } else if spec.has(flags::READONLY) {
        &["RO", "access"]
    } else {
        &["RO"]
    }
}

fn key_specs(spec: &CommandSpec) -> Reply {
    let flags = kv("flags", status_set(key_flags(spec).iter().copied()));
    match spec.keys {
        KeySpec::None => Reply::Set(vec![]),
        KeySpec::Range { first, last, step } => {
            let lastkey = if last < 0 { last } else { last - first };
            Reply::Set(vec![Reply::Map(vec![
                flags,
                kv(
                    "begin_search",
                    Reply::Map(vec![
                        kv("type", Reply::text("index")),
                        kv(
                            "spec",
                            Reply::Map(vec![kv("index", Reply::Int(first as i64))]),
                        ),
                    ]),
                ),
                kv(
                    "find_keys",
                    Reply::Map(vec![
                        kv("type", Reply::text("range")),
                        kv(
                            "spec",
                            Reply::Map(vec![
                                kv("lastkey", Reply::Int(lastkey as i64)),
                                kv("keystep", Reply::Int(step as i64)),
                                kv("limit", Reply::Int(0)),
                            ]),
                        ),
                    ]),
                ),
            ])])
        }
        KeySpec::Custom(_) => {
            let unknown = || {
                Reply::Map(vec![
                    kv("type", Reply::text("unknown")),
                    kv("spec", Reply::Map(vec![])),
                ])
            };
            Reply::Set(vec![Reply::Map(vec![
                flags,
                kv("begin_search", unknown()),
                kv("find_keys", unknown()),
            ])])
        }
    }
}

/// The 10-element COMMAND INFO entry of one command (subcommands nested).
pub fn command_info(full_name: &str, spec: &'static CommandSpec) -> Reply {
    let flag_names = flags::NAMES
        .iter()
        .filter(|(bit, _)| spec.flags & bit != 0)
        .map(|(_, n)| *n);
    let cats = spec.categories();
    let categories: Vec<String> = acl::NAMES
        .iter()
        .filter(|(bit, _)| cats & bit != 0)
        .map(|(_, n)| format!("@{n}"))
        .collect();
    let (first, last, step) = match spec.keys {
        KeySpec::Range { first, last, step } => (first, last, step),
        _ => (0, 0, 0),
    };
    let subs: Vec<Reply> = spec
        .subcommands
        .iter()
        .map(|s| command_info(&format!("{full_name}|{}", s.name), s))
        .collect();
    // Redis 7.0 sends key specs as a set, and subcommands as an array, or an empty set.
    let subs = if subs.is_empty() {
        Reply::Set(subs)
    } else {
        Reply::Array(subs)
    };
    Reply::Array(vec![
        Reply::text(full_name),
        Reply::Int(spec.arity as i64),
        status_set(flag_names),
        Reply::Int(first as i64),
        Reply::Int(last as i64),
        Reply::Int(step as i64),
        status_set(categories.iter().map(String::as_str)),
        Reply::Set(vec![]),
        key_specs(spec),
        subs,
    ])
}

fn command_docs(full_name: &str, spec: &'static CommandSpec) -> Reply {
    let mut doc = vec![
        kv("summary", Reply::text(spec.summary)),
        kv("since", Reply::text(spec.since)),
        kv("group", Reply::text(spec.group)),
    ];
    if !spec.subcommands.is_empty() {
        let subs = spec
            .subcommands
            .iter()
            .map(|s| {
                let name = format!("{full_name}|{}", s.name);
                (Reply::text(name.clone()), command_docs(&name, s))
            })
            .collect();
        doc.push(kv("subcommands", Reply::Map(subs)));
    }
    Reply::Map(doc)
}

fn command_all(ctx: &mut Ctx, _a: &[Bytes]) -> Reply {
    Reply::Array(
        ctx.srv
            .commands
            .all
            .iter()
            .map(|s| command_info(s.name, s))
            .collect(),
    )
}

fn count(ctx: &mut Ctx, _a: &[Bytes]) -> Reply {
    Reply::Int(ctx.srv.commands.all.len() as i64)
}

fn info(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    if a.len() == 2 {
        return command_all(ctx, a);
    }
    Reply::Array(
        a[2..]
            .iter()
            .map(|name| match find(ctx.srv, name) {
                Some((full, spec)) => command_info(&full, spec),
                None => Reply::Null,
            })
            .collect(),
    )
}

fn docs(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let entries: Vec<(String, &'static CommandSpec)> = if a.len() == 2 {
        ctx.srv
            .commands
            .all
            .iter()
            .map(|s| (s.name.to_string(), *s))
            .collect()
    } else {
        a[2..].iter().filter_map(|n| find(ctx.srv, n)).collect()
    };
    Reply::Map(
        entries
            .into_iter()
            .map(|(name, spec)| (Reply::text(name.clone()), command_docs(&name, spec)))
            .collect(),
    )
}

fn list(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let all = all_with_subcommands(ctx.srv);
    let names: Vec<String> = match a.len() {
        2 => all.into_iter().map(|(n, _)| n).collect(),
        5 if args::is(&a[2], "filterby") => {
            let arg = &a[4];
            match args::lower(&a[3]).as_str() {
                "module" => Vec::new(),
                "aclcat" => match acl::by_name(&String::from_utf8_lossy(arg)) {
                    Some(cat) => all
                        .into_iter()
                        .filter(|(_, s)| s.categories() & cat != 0)
                        .map(|(n, _)| n)
                        .collect(),
                    None => Vec::new(),
                },
                "pattern" => all
                    .into_iter()
                    .filter(|(n, _)| glob_match(arg, n.as_bytes(), true))
                    .map(|(n, _)| n)
                    .collect(),
                _ => return args::syntax_error(),
            }
        }
        _ => return args::syntax_error(),
    };
    Reply::Array(names.into_iter().map(Reply::text).collect())
}

/// Resolves the command inside COMMAND GETKEYS and finds its key positions, with Redis's errors.
fn keys_of(srv: &Server, target: &[Bytes]) -> Result<(&'static CommandSpec, Vec<usize>), Reply> {
    let invalid = || Reply::err("ERR Invalid command specified");
    let parent = srv.commands.lookup(&target[0]).ok_or_else(invalid)?;
    let spec = if parent.subcommands.is_empty() || target.len() < 2 {
        parent
    } else {
        parent.subcommand(&target[1]).ok_or_else(invalid)?
    };
    if matches!(spec.keys, KeySpec::None) {
        return Err(Reply::err("ERR The command has no key arguments"));
    }
    if !spec.arity_ok(target.len()) {
        return Err(Reply::err(
            "ERR Invalid number of arguments specified for command",
        ));
    }
    let keys: Vec<usize> = spec
        .key_indexes(target)
        .into_iter()
        .filter(|&i| i < target.len())
        .collect();
    if keys.is_empty() && !spec.has(flags::NO_MANDATORY_KEYS) {
        return Err(Reply::err("ERR Invalid arguments specified for command"));
    }
    Ok((spec, keys))
}

fn getkeys(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    match keys_of(ctx.srv, &a[2..]) {
        Ok((_, keys)) => Reply::Array(
            keys.into_iter()
                .map(|i| Reply::Bulk(a[2 + i].clone()))
                .collect(),
        ),
        Err(e) => e,
    }
}

fn getkeysandflags(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    match keys_of(ctx.srv, &a[2..]) {
        Ok((spec, keys)) => Reply::Array(
            keys.into_iter()
                .map(|i| {
                    Reply::Array(vec![
                        Reply::Bulk(a[2 + i].clone()),
                        status_set(key_flags(spec).iter().copied()),
                    ])
                })
                .collect(),
        ),
        Err(e) => e,
    }
}

fn help(_ctx: &mut Ctx, _a: &[Bytes]) -> Reply {
    args::help(
        "COMMAND",
        &[
            "(no subcommand)",
            "    Return details about all commands.",
            "COUNT",
            "    Return the total number of commands in this server.",
            "LIST",
            "    Return a list of all commands in this server.",
            "INFO [<command-name> ...]",
            "    Return details about the given commands, or about all commands when",
            "    no name is given.",
            "DOCS [<command-name> ...]",
            "    Return documentation about the given commands, or about all commands",
            "    when no name is given.",
            "GETKEYS <full-command>",
            "    Return the keys of a full command.",
            "GETKEYSANDFLAGS <full-command>",
            "    Return the keys of a full command and how it accesses them.",
        ],
    )
}
