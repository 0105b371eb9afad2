//! The ACL command: users (SETUSER, GETUSER, DELUSER, USERS, LIST, WHOAMI), CAT, LOG, GENPASS,
//! DRYRUN, LOAD/SAVE of the ACL file, HELP.

use bytes::Bytes;

use super::args;
use crate::resp::Reply;
use crate::server::acl::{self, Denied, cmdindex, selector::Selector};
use crate::server::command::{CommandSpec, acl as cat, flags::*};
use crate::server::dispatch;
use crate::server::state::Ctx;

/// The ACL container.
pub static COMMANDS: &[CommandSpec] = &[CommandSpec::container("acl", SUBCOMMANDS).doc(
    "server",
    "6.0.0",
    "A container for Access List Control commands.",
)];

const ADM: u32 = ADMIN | NOSCRIPT | LOADING | STALE;

static SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new("cat", -2, cat_cmd)
        .flags(NOSCRIPT | LOADING | STALE)
        .doc(
            "server",
            "6.0.0",
            "Lists the ACL categories, or the commands inside a category.",
        ),
    CommandSpec::new("deluser", -3, deluser).flags(ADM).doc(
        "server",
        "6.0.0",
        "Deletes ACL users, and terminates their connections.",
    ),
    CommandSpec::new("dryrun", -4, dryrun).flags(ADM).doc(
        "server",
        "7.0.0",
        "Simulates the execution of a command by a user, without executing the command.",
    ),
    CommandSpec::new("genpass", -2, genpass)
        .flags(NOSCRIPT | LOADING | STALE)
        .doc(
            "server",
            "6.0.0",
            "Generates a pseudorandom, secure password that can be used to identify ACL users.",
        ),
    CommandSpec::new("getuser", 3, getuser).flags(ADM).doc(
        "server",
        "6.0.0",
        "Lists the ACL rules of a user.",
    ),
    CommandSpec::new("list", 2, list).flags(ADM).doc(
        "server",
        "6.0.0",
        "Dumps the effective rules in ACL file format.",
    ),
    CommandSpec::new("load", 2, load).flags(ADM).doc(
        "server",
        "6.0.0",
        "Reloads the rules from the configured ACL file.",
    ),
    CommandSpec::new("log", -2, log).flags(ADM).doc(
        "server",
        "6.0.0",
        "Lists recent security events generated due to ACL rules.",
    ),
    CommandSpec::new("save", 2, save).flags(ADM).doc(
        "server",
        "6.0.0",
        "Saves the effective ACL rules in the configured ACL file.",
    ),
    CommandSpec::new("setuser", -3, setuser).flags(ADM).doc(
        "server",
        "6.0.0",
        "Creates and modifies an ACL user and its rules.",
    ),
    CommandSpec::new("users", 2, users)
        .flags(ADM)
        .doc("server", "6.0.0", "Lists all ACL users."),
    CommandSpec::new("whoami", 2, whoami)
        .flags(NOSCRIPT | LOADING | STALE)
        .doc(
            "server",
            "6.0.0",
            "Returns the authenticated username of the current connection.",
        ),
    CommandSpec::new("help", 2, help)
        .flags(LOADING | STALE)
        .doc(
            "server",
            "6.0.0",
            "Returns helpful text about the different subcommands.",
        ),
];

fn has_spaces(s: &[u8]) -> bool {
    s.iter()
        .any(|&c| c == 0 || c == b' ' || (b'\t'..=b'\r').contains(&c))
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn setuser(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let name = &a[2];
    if has_spaces(name) {
        return Reply::err("ERR Usernames can't contain spaces or null characters");
    }
    let ops: Vec<Vec<u8>> = a[3..].iter().map(|b| b.to_vec()).collect();
    if let Err(i) = acl::merge_selector_args(&ops) {
        return Reply::err(format!(
            "ERR Unmatched parenthesis in acl selector starting at '{}'.",
            text(&ops[i])
        ));
    }
    let old = ctx.srv.acl.users.get(&text(name)).cloned();
    if let Err((op, e)) = ctx.srv.acl.set_user(name, &ops) {
        return Reply::err(format!(
            "ERR Error in ACL SETUSER modifier '{}': {}",
            text(&op),
            e.message()
        ));
    }
    if let (Some(old), Some(new)) = (old, ctx.srv.acl.users.get(&text(name)).cloned()) {
        acl::kill_pubsub_clients_if_needed(ctx.srv, ctx.client, &old, &new);
    }
    Reply::Ok
}

fn selector_fields(s: &Selector) -> Vec<(Reply, Reply)> {
    vec![
        (Reply::text("commands"), Reply::text(s.describe_commands())),
        (Reply::text("keys"), Reply::text(s.describe_keys())),
        (Reply::text("channels"), Reply::text(s.describe_channels())),
    ]
}

fn getuser(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let Some(u) = ctx.srv.acl.users.get(&text(&a[2])) else {
        return Reply::Null;
    };
    let mut fields = vec![
        (
            Reply::text("flags"),
            Reply::Set(u.flag_names().into_iter().map(Reply::text).collect()),
        ),
        (
            Reply::text("passwords"),
            Reply::Array(u.passwords.iter().map(|p| Reply::text(p.clone())).collect()),
        ),
    ];
    fields.extend(selector_fields(u.root()));
    fields.push((
        Reply::text("selectors"),
        Reply::Array(
            u.selectors[1..]
                .iter()
                .map(|s| Reply::Map(selector_fields(s)))
                .collect(),
        ),
    ));
    Reply::Map(fields)
}

fn deluser(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    if a[2..].iter().any(|n| n.as_ref() == b"default") {
        return Reply::err("ERR The 'default' user cannot be removed");
    }
    let mut deleted = 0;
    for n in &a[2..] {
        let name = text(n);
        if ctx.srv.acl.users.remove(&name).is_some() {
            deleted += 1;
            acl::kill_user_clients(ctx.srv, ctx.client, &name);
        }
    }
    Reply::Int(deleted)
}

fn users(ctx: &mut Ctx, _a: &[Bytes]) -> Reply {
    Reply::Array(
        ctx.srv
            .acl
            .users
            .keys()
            .map(|n| Reply::text(n.clone()))
            .collect(),
    )
}

fn list(ctx: &mut Ctx, _a: &[Bytes]) -> Reply {
    Reply::Array(
        ctx.srv
            .acl
            .users
            .values()
            .map(|u| Reply::text(format!("user {} {}", u.name, u.describe())))
            .collect(),
    )
}

fn whoami(ctx: &mut Ctx, _a: &[Bytes]) -> Reply {
    Reply::text(ctx.client.user.clone())
}

fn cat_cmd(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let _ = ctx;
    match a.len() {
        2 => Reply::Array(cat::NAMES.iter().map(|(_, n)| Reply::text(*n)).collect()),
        3 => {
            let name = text(&a[2]);
            let Some(flag) = cat::by_name(&name) else {
                return Reply::err(format!(
                    "ERR Unknown category '{}'",
                    dispatch::sanitize(&a[2], 128)
                ));
            };
            Reply::Array(
                cmdindex::get()
                    .cmds
                    .iter()
                    .filter(|c| c.categories & flag != 0)
                    .map(|c| Reply::text(c.fullname.clone()))
                    .collect(),
            )
        }
        _ => subcommand_syntax_error(a),
    }
}

/// Redis's reply for a known subcommand given the wrong arguments.
pub fn subcommand_syntax_error(a: &[Bytes]) -> Reply {
    Reply::err(format!(
        "ERR unknown subcommand or wrong number of arguments for '{}'. Try {} HELP.",
        dispatch::sanitize(&a[1], 128),
        text(&a[0]).to_ascii_uppercase()
    ))
}

fn genpass(_ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    use rand::RngExt;
    if a.len() > 3 {
        return subcommand_syntax_error(a);
    }
    let bits = match a.get(2) {
        Some(b) => match args::int(b) {
            Ok(v) => v,
            Err(e) => return e,
        },
        None => 256,
    };
    if bits <= 0 || bits > 4096 {
        return Reply::err(
            "ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096",
        );
    }
    let chars = ((bits + 3) / 4) as usize;
    let mut rng = rand::rng();
    let s: String = (0..chars)
        .map(|_| char::from_digit(rng.random_range(0..16u32), 16).unwrap_or('0'))
        .collect();
    Reply::text(s)
}

fn log(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    if a.len() > 3 {
        return subcommand_syntax_error(a);
    }
    let mut count = 10i64;
    if let Some(arg) = a.get(2) {
        if args::is(arg, "reset") {
            ctx.srv.acl.log.clear();
            return Reply::Ok;
        }
        count = match args::int(arg) {
            Ok(v) => v.max(0),
            Err(e) => return e,
        };
    }
    ctx.srv
        .acl
        .log
        .reply(count as usize, crate::server::state::unix_ms())
}

fn dryrun(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let user = text(&a[2]);
    if !ctx.srv.acl.users.contains_key(&user) {
        return Reply::err(format!("ERR User '{user}' not found"));
    }
    let cmd_args = &a[3..];
    let not_found = || Reply::err(format!("ERR Command '{}' not found", text(&cmd_args[0])));
    let Some(base) = ctx.srv.commands.lookup(&cmd_args[0]) else {
        return not_found();
    };
    let spec = if base.subcommands.is_empty() || cmd_args.len() < 2 {
        base
    } else {
        match base.subcommand(&cmd_args[1]) {
            Some(s) => s,
            None => return not_found(),
        }
    };
    if !spec.arity_ok(cmd_args.len()) {
        return Reply::err(format!(
            "ERR wrong number of arguments for '{}' command",
            acl::fullname(spec)
        ));
    }
    match ctx.srv.acl.check_detail(&user, spec, cmd_args) {
        Ok(()) => Reply::Ok,
        Err((Denied::Command, _)) => Reply::text(format!(
            "This user has no permissions to run the '{}' command",
            acl::fullname(spec)
        )),
        Err((Denied::Key, pos)) => Reply::text(format!(
            "This user has no permissions to access the '{}' key",
            text(&cmd_args[pos])
        )),
        Err((Denied::Channel, pos)) => Reply::text(format!(
            "This user has no permissions to access the '{}' channel",
            text(&cmd_args[pos])
        )),
    }
}

const NO_ACL_FILE: &str = "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.";

fn acl_file(ctx: &Ctx) -> Option<String> {
    ctx.srv.config.aclfile.clone().filter(|f| !f.is_empty())
}

fn load(ctx: &mut Ctx, _a: &[Bytes]) -> Reply {
    let Some(path) = acl_file(ctx) else {
        return Reply::err(NO_ACL_FILE);
    };
    match acl::file::load(&path, ctx.srv.acl.pubsub_default_all) {
        Ok(users) => {
            let old: Vec<String> = ctx.srv.acl.users.keys().cloned().collect();
            ctx.srv.acl.replace_users(users);
            for name in old.iter().filter(|n| n.as_str() != "default") {
                acl::kill_user_clients(ctx.srv, ctx.client, name);
            }
            Reply::Ok
        }
        Err(e) => Reply::err(format!("ERR {e}")),
    }
}

fn save(ctx: &mut Ctx, _a: &[Bytes]) -> Reply {
    let Some(path) = acl_file(ctx) else {
        return Reply::err(NO_ACL_FILE);
    };
    match acl::file::save(&path, &ctx.srv.acl.users) {
        Ok(()) => Reply::Ok,
        Err(e) => {
            tracing::warn!("Writing ACL file for ACL SAVE: {e}");
            Reply::err(
                "ERR There was an error trying to save the ACLs. Please check the server logs for more information",
            )
        }
    }
}

fn help(_ctx: &mut Ctx, _a: &[Bytes]) -> Reply {
    help_reply(
        "ACL",
        &[
            "CAT [<category>]",
            "    List all commands that belong to <category>, or all command categories",
            "    when no category is specified.",
            "DELUSER <username> [<username> ...]",
            "    Delete a list of users.",
            "DRYRUN <username> <command> [<arg> ...]",
            "    Returns whether the user can execute the given command without executing the command.",
            "GETUSER <username>",
            "    Get the user's details.",
            "GENPASS [<bits>]",
            "    Generate a secure 256-bit user password. The optional `bits` argument can",
            "    be used to specify a different size.",
            "LIST",
            "    Show users details in config file format.",
            "LOAD",
            "    Reload users from the ACL file.",
            "LOG [<count> | RESET]",
            "    Show the ACL log entries.",
            "SAVE",
            "    Save the current config to the ACL file.",
            "SETUSER <username> <attribute> [<attribute> ...]",
            "    Create or modify a user with the specified attributes.",
            "USERS",
            "    List all the registered usernames.",
            "WHOAMI",
            "    Return the current connection username.",
        ],
    )
}

/// A HELP reply in Redis's layout: usage line, the entries, then HELP itself.
pub fn help_reply(command: &str, lines: &[&str]) -> Reply {
    let mut out = vec![Reply::Status(format!(
        "{command} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    ))];
    out.extend(lines.iter().map(|l| Reply::Status(l.to_string())));
    out.push(Reply::Status("HELP".into()));
    out.push(Reply::Status("    Prints this help.".into()));
    Reply::Array(out)
}
