//! CONFIG GET/SET/REWRITE/RESETSTAT: runtime configuration.

use bytes::Bytes;

use crate::resp::Reply;
use crate::server::command::{CommandSpec, flags::*};
use crate::server::state::Ctx;

/// The CONFIG container.
pub static COMMANDS: &[CommandSpec] = &[CommandSpec::container("config", CONFIG_SUBCOMMANDS).doc(
    "server",
    "2.0.0",
    "A container for server configuration commands.",
)];

static CONFIG_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new("get", -3, config_get)
        .flags(ADMIN | NOSCRIPT | LOADING | STALE)
        .doc(
            "server",
            "2.0.0",
            "Returns the effective values of configuration parameters.",
        ),
    CommandSpec::new("set", -4, config_set)
        .flags(ADMIN | NOSCRIPT | LOADING | STALE)
        .doc(
            "server",
            "2.0.0",
            "Sets configuration parameters in-flight.",
        ),
    CommandSpec::new("rewrite", 2, config_rewrite)
        .flags(ADMIN | NOSCRIPT | LOADING | STALE)
        .doc(
            "server",
            "2.8.0",
            "Persists the effective configuration to file.",
        ),
    CommandSpec::new("resetstat", 2, config_resetstat)
        .flags(ADMIN | NOSCRIPT | LOADING | STALE)
        .doc("server", "2.0.0", "Resets the server's statistics."),
    CommandSpec::new("help", 2, config_help)
        .flags(LOADING | STALE)
        .doc(
            "server",
            "5.0.0",
            "Returns helpful text about the different subcommands.",
        ),
];

fn config_get(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for pattern in &a[2..] {
        for (k, v) in ctx.srv.config.get(pattern) {
            if seen.insert(k.clone()) {
                out.push((Reply::text(k), Reply::text(v)));
            }
        }
    }
    Reply::Map(out)
}

fn config_set(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    if !a.len().is_multiple_of(2) {
        return Reply::err("ERR syntax error");
    }
    let pairs: Vec<(Vec<u8>, Vec<u8>)> = a[2..]
        .chunks(2)
        .map(|p| (p[0].to_vec(), p[1].to_vec()))
        .collect();
    if ctx.srv.rdb.loading.is_some()
        && pairs.iter().any(|(name, _)| {
            crate::config::registry::lookup(name).is_some_and(|d| d.denied_while_loading())
        })
    {
        // Precedence over any other error, as in Redis: clients may retry on -LOADING.
        return Reply::err(crate::server::persistence::rdb::load::LOADING_ERROR);
    }
    let before = ctx.srv.config.clone();
    let local = super::debug::is_local_addr(&ctx.client.addr);
    match ctx.srv.config.set_for_client(&pairs, local) {
        Ok(changed) => match ctx.srv.apply_config_changes(&changed) {
            Ok(()) => {
                warn_not_supported(&changed);
                Reply::Ok
            }
            Err(e) => {
                ctx.srv.config = before;
                Reply::err(e)
            }
        },
        Err(e) => Reply::err(e),
    }
}

/// Says in the log, not silently, when CONFIG SET changed a directive we keep but do not act on.
fn warn_not_supported(changed: &[String]) {
    for name in changed {
        if crate::config::registry::lookup(name.as_bytes())
            .is_some_and(|d| d.category == crate::config::Category::NotYetSupported)
        {
            tracing::warn!(
                "CONFIG SET '{name}' is accepted but not supported yet by vigil: it has no effect"
            );
        }
    }
}

fn config_rewrite(ctx: &mut Ctx, _a: &[Bytes]) -> Reply {
    match ctx.srv.config.rewrite() {
        Ok(()) => {
            // Redis logs this at warning level, so it shows whatever the loglevel.
            tracing::warn!("CONFIG REWRITE executed with success.");
            Reply::Ok
        }
        Err(e) => Reply::err(e),
    }
}

fn config_resetstat(ctx: &mut Ctx, _a: &[Bytes]) -> Reply {
    ctx.srv.stats.reset();
    ctx.srv.repl.reset_stats();
    ctx.srv.rdb.saves = 0;
    ctx.srv.slowlog.entries.clear();
    ctx.srv.peak_memory = ctx.srv.used_memory();
    Reply::Ok
}

fn config_help(_ctx: &mut Ctx, _a: &[Bytes]) -> Reply {
    Reply::Array(
        [
            "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "GET <pattern>",
            "    Return parameters matching the glob-like <pattern> and their values.",
            "SET <directive> <value>",
            "    Set the configuration <directive> to <value>.",
            "RESETSTAT",
            "    Reset statistics reported by the INFO command.",
            "REWRITE",
            "    Rewrite the configuration file.",
            "HELP",
            "    Print this help.",
        ]
        .iter()
        .map(|s| Reply::Status(s.to_string()))
        .collect(),
    )
}
