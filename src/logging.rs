//! Logging through `tracing`, honouring `loglevel` and `logfile` like Redis.
//!
//! The level can change at runtime (CONFIG SET loglevel), so the filter sits behind a reload
//! handle kept for the life of the process.

use std::fs::OpenOptions;
use std::sync::{Mutex, OnceLock};

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Registry, reload};

use crate::config::{LogLevel, ServerConfig};

/// Keeps the logging setup alive for the life of the process.
pub struct LogGuard;

static RELOAD: OnceLock<reload::Handle<EnvFilter, Registry>> = OnceLock::new();

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
    let (filter, handle) = reload::Layer::new(filter);
    let fmt = tracing_subscriber::fmt::layer()
        .with_target(false)
        .with_ansi(false);
    let registry = tracing_subscriber::registry().with(filter);
    if config.logfile.is_empty() {
        registry
            .with(fmt.with_writer(std::io::stdout))
            .try_init()
            .map_err(|e| e.to_string())?;
    } else {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&config.logfile)
            .map_err(|e| format!("Can't open the log file: {e}"))?;
        registry
            .with(fmt.with_writer(Mutex::new(file)))
            .try_init()
            .map_err(|e| e.to_string())?;
    }
    let _ = RELOAD.set(handle);
    Ok(LogGuard)
}

/// Applies a new `loglevel` (CONFIG SET loglevel).
pub fn set_level(loglevel: LogLevel) {
    if let Some(handle) = RELOAD.get() {
        let _ = handle.reload(EnvFilter::new(level_filter(loglevel)));
    }
}
