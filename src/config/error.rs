//! The startup configuration error, printed in the shape operators know from
//! Redis so that they find the offending line at once.

use std::fmt;
use std::path::PathBuf;

/// The name used in place of a file for directives given as `--name value`.
pub const COMMAND_LINE: &str = "(command line)";

/// Where a configuration error was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorLocation {
    /// The file read, or [`COMMAND_LINE`].
    pub file: PathBuf,
    /// 1-based line number (for the command line: the directive's index).
    pub line: usize,
    /// The offending line as written.
    pub text: String,
}

/// A fatal configuration problem; the server refuses to start with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The line at fault, when the problem belongs to one.
    pub location: Option<ErrorLocation>,
    /// Why it was refused, in Redis's words where Redis has some.
    pub reason: String,
}

impl ConfigError {
    /// An error not tied to a line (e.g. the main file cannot be opened).
    pub fn new(reason: impl Into<String>) -> Self {
        ConfigError {
            location: None,
            reason: reason.into(),
        }
    }

    /// An error about one line of one file.
    pub fn at(
        file: impl Into<PathBuf>,
        line: usize,
        text: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        ConfigError {
            location: Some(ErrorLocation {
                file: file.into(),
                line,
                text: text.into(),
            }),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "*** FATAL CONFIG FILE ERROR (vigil {}) ***",
            env!("CARGO_PKG_VERSION")
        )?;
        if let Some(loc) = &self.location {
            writeln!(
                f,
                "Reading the configuration file '{}', at line {}",
                loc.file.display(),
                loc.line
            )?;
            writeln!(f, ">>> '{}'", loc.text)?;
        }
        f.write_str(&self.reason)
    }
}

impl std::error::Error for ConfigError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_redis_shaped() {
        let e = ConfigError::at(
            "/etc/redis.conf",
            2,
            "port \"abc\"",
            "argument couldn't be parsed into an integer",
        );
        assert_eq!(
            e.to_string(),
            format!(
                "*** FATAL CONFIG FILE ERROR (vigil {}) ***\n\
                 Reading the configuration file '/etc/redis.conf', at line 2\n\
                 >>> 'port \"abc\"'\n\
                 argument couldn't be parsed into an integer",
                env!("CARGO_PKG_VERSION")
            )
        );
        let e = ConfigError::new("boom");
        assert!(e.to_string().ends_with("***\nboom"));
    }
}
