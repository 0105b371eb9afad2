//! Logging through `tracing`, honouring `loglevel` and `logfile` like Redis.
//!
//! Lines look like Redis's (`<pid>:<role> <dd Mon yyyy HH:MM:SS.mmm> <level> <message>`), so
//! operators' log parsers and greps keep working; structured fields follow the message as
//! `key=value`. The level can change at runtime (CONFIG SET loglevel), so the filter sits
//! behind a reload handle kept for the life of the process.

use std::fmt;
use std::fs::OpenOptions;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Mutex, OnceLock};

use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
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
        .with_ansi(false)
        .event_format(RedisFormat);
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

/// The role letter Redis puts after the pid: master, replica, sentinel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// `M`
    Master,
    /// `S`
    Replica,
    /// `X`
    Sentinel,
}

static ROLE: AtomicU8 = AtomicU8::new(b'M');

/// Records the process's current role for the log prefix (replication changes it).
pub fn set_role(role: Role) {
    let c = match role {
        Role::Master => b'M',
        Role::Replica => b'S',
        Role::Sentinel => b'X',
    };
    ROLE.store(c, Ordering::Relaxed);
}

/// Redis's level marks: `.` debug, `*` notice (and verbose), `#` warning.
fn level_mark(level: &Level) -> char {
    match *level {
        Level::TRACE | Level::DEBUG => '.',
        Level::INFO => '*',
        _ => '#',
    }
}

/// Local time as Redis prints it: `23 Nov 2026 15:44:08.123`.
fn local_timestamp() -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs() as libc::time_t;
    // SAFETY: localtime_r writes into the zeroed struct we own; it reads only `secs`.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    let ok = unsafe { !libc::localtime_r(&secs, &mut tm).is_null() };
    if !ok {
        return format!("{}.{:03}", now.as_secs(), now.subsec_millis());
    }
    let month = MONTHS.get(tm.tm_mon as usize).copied().unwrap_or("???");
    format!(
        "{:02} {month} {} {:02}:{:02}:{:02}.{:03}",
        tm.tm_mday,
        tm.tm_year + 1900,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec,
        now.subsec_millis()
    )
}

/// Formats events as Redis log lines.
struct RedisFormat;

impl<S, N> FormatEvent<S, N> for RedisFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        write!(
            writer,
            "{}:{} {} {} ",
            std::process::id(),
            ROLE.load(Ordering::Relaxed) as char,
            local_timestamp(),
            level_mark(event.metadata().level())
        )?;
        ctx.field_format().format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamp_has_redis_shape() {
        let t = local_timestamp();
        // "dd Mon yyyy HH:MM:SS.mmm"
        assert_eq!(t.len(), 24, "{t}");
        assert_eq!(&t[2..3], " ");
        assert_eq!(&t[20..21], ".");
    }

    #[test]
    fn marks() {
        assert_eq!(level_mark(&Level::WARN), '#');
        assert_eq!(level_mark(&Level::INFO), '*');
        assert_eq!(level_mark(&Level::DEBUG), '.');
    }
}
