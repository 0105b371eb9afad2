//! MODULE: vigil loads no modules, so LIST is empty and loading is refused as in a Redis whose
//! `enable-module-command` is `no` (its default).

use bytes::Bytes;

use super::args;
use crate::resp::Reply;
use crate::server::command::{CommandSpec, flags::*};
use crate::server::state::Ctx;

const SUBS: &[CommandSpec] = &[
    CommandSpec::new("help", 2, help)
        .flags(LOADING | STALE)
        .doc(
            "server",
            "5.0.0",
            "Returns helpful text about the different subcommands.",
        ),
    CommandSpec::new("list", 2, list)
        .flags(ADMIN | NOSCRIPT)
        .doc("server", "4.0.0", "Returns all loaded modules."),
    CommandSpec::new("load", -3, refuse)
        .flags(ADMIN | NOSCRIPT)
        .doc("server", "4.0.0", "Loads a module."),
    CommandSpec::new("loadex", -3, refuse)
        .flags(ADMIN | NOSCRIPT)
        .doc(
            "server",
            "7.0.0",
            "Loads a module using extended parameters.",
        ),
    CommandSpec::new("unload", 3, refuse)
        .flags(ADMIN | NOSCRIPT)
        .doc("server", "4.0.0", "Unloads a module."),
];

/// The MODULE container.
pub static COMMANDS: &[CommandSpec] = &[CommandSpec::container("module", SUBS).doc(
    "server",
    "4.0.0",
    "A container for module commands.",
)];

fn help(_ctx: &mut Ctx, _a: &[Bytes]) -> Reply {
    args::help(
        "MODULE",
        &[
            "LIST",
            "    Return a list of loaded modules.",
            "LOAD <path> [<arg> ...]",
            "    Load a module library from <path>, passing to it any optional arguments.",
            "LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]",
            "    Load a module library from <path>, while passing it module configurations and optional arguments.",
            "UNLOAD <name>",
            "    Unload a module.",
        ],
    )
}

fn list(_ctx: &mut Ctx, _a: &[Bytes]) -> Reply {
    Reply::Array(Vec::new())
}

fn refuse(_ctx: &mut Ctx, _a: &[Bytes]) -> Reply {
    Reply::err(
        "ERR MODULE command not allowed. If the enable-module-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.",
    )
}
