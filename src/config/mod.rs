//! redis.conf compatible configuration of the data node: the file and
//! command-line grammar, the directive table, typed settings, and the
//! CONFIG GET / SET / REWRITE operations.
//!
//! Values are validated once, when loaded or set, and kept in the form
//! CONFIG GET shows; the directives the server reads often are also kept
//! typed in [`Settings`].

#![warn(missing_docs)]

mod error;
mod file;
mod lexer;
mod notify;
pub mod registry;
mod rewrite;
mod server_config;
mod settings;
mod value;

pub use error::{COMMAND_LINE, ConfigError, ErrorLocation};
pub use file::{
    ConfigLine, MAX_INCLUDE_DEPTH, parse_command_line, parse_config_text, read_config_file,
};
pub use lexer::{LexError, needs_quotes, quote, quote_if_needed, split_args};
pub use notify::*;
pub use registry::{Category, Directive, Kind, Mutability, Special};
pub use rewrite::SIGNATURE;
pub use server_config::{SENTINEL_PORT, SentinelDirectives, ServerConfig};
pub use settings::{
    Allow, AppendFsync, BindAddr, ClientClass, LogLevel, MaxmemoryClients, MaxmemoryPolicy,
    ObufLimit, Settings,
};
pub use value::{parse_int, parse_memory};

#[cfg(test)]
mod tests;
