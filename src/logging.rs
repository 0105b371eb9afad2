//! Logging through `tracing`, honouring `loglevel` and `logfile` like Redis.

use std::fs::OpenOptions;
use std::sync::Mutex;

use tracing_subscriber::EnvFilter;

use crate::config::{LogLevel, ServerConfig};

/// Keeps the logging setup alive for the life of the process.
pub struct LogGuard;

/// Maps Redis log levels to tracing filters.
pub fn level_filter(loglevel: LogLevel) -> &'static str {
    match loglevel {
        LogLevel::Debug => "debug",
        LogLevel::Verbose => "info",
        LogLevel::Notice => "info",
        LogLevel::Warning => "warn",
        LogLevel::Nothing => "off",
    }
}

/// Installs the global subscriber: stdout when `logfile` is empty, else appends to the file.
pub fn init(config: &ServerConfig) -> Result<LogGuard, String> {
    let filter = EnvFilter::try_from_env("VIGIL_LOG")
        .unwrap_or_else(|_| EnvFilter::new(level_filter(config.loglevel)));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(false);
    if config.logfile.is_empty() {
        builder
            .with_writer(std::io::stdout)
            .try_init()
            .map_err(|e| e.to_string())?;
    } else {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&config.logfile)
            .map_err(|e| format!("Can't open the log file: {e}"))?;
        builder
            .with_writer(Mutex::new(file))
            .try_init()
            .map_err(|e| e.to_string())?;
    }
    Ok(LogGuard)
}
