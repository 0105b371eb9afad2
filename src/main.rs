//! The `vigil` binary: `vigil server` (data node) and `vigil sentinel` (supervisor).
//!
//! Invoked through a link named `vigil-server` or `redis-server` it behaves as `vigil server`,
//! and through one named `vigil-sentinel` or `redis-sentinel` as `vigil sentinel`, so it can
//! stand in for Redis's binaries in scripts and test harnesses. As with Redis, `--sentinel`
//! anywhere in a server command line selects sentinel mode.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[cfg(feature = "jemalloc")]
#[global_allocator]
static GLOBAL: vigil::alloc::CountingAlloc = vigil::alloc::CountingAlloc;
#[cfg(not(feature = "jemalloc"))]
#[global_allocator]
static GLOBAL: vigil::alloc::CountingAlloc = vigil::alloc::CountingAlloc;

/// Redis-Sentinel-compatible supervisor with a bundled Redis-compatible data node.
#[derive(Parser, Debug)]
#[command(name = "vigil", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a Redis-compatible data node (like redis-server).
    ///
    /// Usage mirrors redis-server: an optional config file, then any directive as
    /// `--name value...` (later ones win), e.g. `vigil server /etc/redis.conf --port 7000`.
    #[command(disable_help_flag = false, allow_hyphen_values = true)]
    Server {
        /// Optional redis.conf file.
        #[arg(value_name = "CONFIG_FILE")]
        config: Option<String>,
        /// Configuration directives as `--name value...`.
        #[arg(
            trailing_var_arg = true,
            allow_hyphen_values = true,
            value_name = "--DIRECTIVE VALUE"
        )]
        directives: Vec<String>,
    },
    /// Run a Redis-Sentinel-compatible supervisor (like redis-sentinel).
    ///
    /// The config file is mandatory and must be writable: the sentinel saves its state there.
    /// Directives may follow as `--name value...`, e.g.
    /// `vigil sentinel /etc/sentinel.conf --port 26380`.
    #[command(disable_help_flag = false, allow_hyphen_values = true)]
    Sentinel {
        /// sentinel.conf file.
        #[arg(value_name = "CONFIG_FILE")]
        config: Option<String>,
        /// Configuration directives as `--name value...`.
        #[arg(
            trailing_var_arg = true,
            allow_hyphen_values = true,
            value_name = "--DIRECTIVE VALUE"
        )]
        directives: Vec<String>,
    },
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().collect();
    let prog = argv
        .first()
        .map(|a| {
            std::path::Path::new(a)
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default()
        })
        .unwrap_or_default();
    if prog.contains("redis-sentinel") || prog.contains("vigil-sentinel") {
        return run_sentinel_args(&argv[1..]);
    }
    let server_alias = matches!(prog.as_str(), "vigil-server" | "redis-server");
    if server_alias {
        return run_server_args(&argv[1..]);
    }
    if argv.get(1).map(String::as_str) == Some("sentinel") {
        let rest = &argv[2..];
        if rest.iter().any(|a| a == "-h" || a == "--help") {
            let _ = Cli::try_parse_from(["vigil", "sentinel", "--help"]).map_err(|e| e.print());
            return ExitCode::SUCCESS;
        }
        return run_sentinel_args(rest);
    }
    // `vigil server ...` is parsed by hand after the subcommand so that directive syntax
    // (`--port 6380 --save ""`) is never mistaken for clap options.
    if argv.get(1).map(String::as_str) == Some("server") {
        let rest = &argv[2..];
        if rest.iter().any(|a| a == "-h" || a == "--help") {
            let _ = Cli::try_parse_from(["vigil", "server", "--help"]).map_err(|e| e.print());
            return ExitCode::SUCCESS;
        }
        return run_server_args(rest);
    }
    match Cli::try_parse_from(&argv) {
        Ok(cli) => match cli.command {
            Command::Server { config, directives } => {
                let mut args = Vec::new();
                args.extend(config);
                args.extend(directives);
                run_server_args(&args)
            }
            Command::Sentinel { config, directives } => {
                let mut args = Vec::new();
                args.extend(config);
                args.extend(directives);
                run_sentinel_args(&args)
            }
        },
        Err(e) => {
            let _ = e.print();
            if e.use_stderr() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
    }
}

/// Splits redis-server style arguments into an optional config file and directive tokens.
fn run_server_args(args: &[String]) -> ExitCode {
    if args.iter().any(|a| a == "-v" || a == "--version") {
        println!("vigil server v={}", env!("CARGO_PKG_VERSION"));
        return ExitCode::SUCCESS;
    }
    if args.iter().any(|a| a == "--sentinel") {
        let rest: Vec<String> = args
            .iter()
            .filter(|a| *a != "--sentinel")
            .cloned()
            .collect();
        return run_sentinel_args(&rest);
    }
    let (file, directives) = match args.first() {
        Some(first) if !first.starts_with("--") => (Some(PathBuf::from(first)), &args[1..]),
        _ => (None, args),
    };
    let config = match vigil::config::ServerConfig::load(file.as_deref(), directives) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(1);
        }
    };
    if let Err(e) = std::env::set_current_dir(&config.dir) {
        eprintln!("Can't chdir to '{}': {e}", config.dir.display());
        return ExitCode::from(1);
    }
    let _guard = match vigil::logging::init(&config) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(1);
        }
    };
    for w in config.warnings() {
        tracing::warn!("{w}");
    }
    ExitCode::from(vigil::server::run(config) as u8)
}

/// Prints a startup message the way Redis logs before its log is set up: on stdout.
fn early_log(msg: &str) {
    println!("{}:X # {msg}", std::process::id());
}

/// Starts a sentinel from `<config> [--directive value ...]`.
fn run_sentinel_args(args: &[String]) -> ExitCode {
    if args.iter().any(|a| a == "-v" || a == "--version") {
        println!("vigil sentinel v={}", env!("CARGO_PKG_VERSION"));
        return ExitCode::SUCCESS;
    }
    let (file, directives) = match args.first() {
        Some(first) if !first.starts_with("--") => (PathBuf::from(first), &args[1..]),
        _ => {
            early_log("Sentinel needs config file on disk to save state. Exiting...");
            return ExitCode::from(1);
        }
    };
    // Rewrites must reach the same file whatever `dir` does to the working directory.
    let file = std::env::current_dir()
        .map(|d| d.join(&file))
        .unwrap_or(file);
    let (config, sentinel_lines) =
        match vigil::config::ServerConfig::load_sentinel(&file, directives) {
            Ok(c) => c,
            Err(e) if e.location.is_none() => {
                early_log(&e.reason);
                return ExitCode::from(1);
            }
            Err(e) => {
                eprintln!("\n{e}");
                return ExitCode::from(1);
            }
        };
    if let Err(e) = std::env::set_current_dir(&config.dir) {
        early_log(&format!("Can't chdir to '{}': {e}", config.dir.display()));
        return ExitCode::from(1);
    }
    vigil::logging::set_role(vigil::logging::Role::Sentinel);
    let _guard = match vigil::logging::init(&config) {
        Ok(g) => g,
        Err(e) => {
            early_log(&e);
            return ExitCode::from(1);
        }
    };
    ExitCode::from(vigil::sentinel::runtime::run(config, sentinel_lines) as u8)
}
