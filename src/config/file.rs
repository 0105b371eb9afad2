//! Turning redis.conf files (with `include`) and `--name value` command-line
//! options into one ordered list of directive lines; later lines win.

use std::fs;
use std::path::{Path, PathBuf};

use super::error::{COMMAND_LINE, ConfigError};
use super::lexer::{quote, split_args};
use crate::util::glob::glob_match;

/// How deep `include` may nest before we assume a mistake.
pub const MAX_INCLUDE_DEPTH: usize = 16;

/// One directive as read, with where it came from for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigLine {
    /// The file it was read from, or `(command line)`.
    pub file: PathBuf,
    /// 1-based line number (for the command line: the directive's index).
    pub line: usize,
    /// Directive name, lowercased.
    pub name: String,
    /// Arguments after the name, unquoted.
    pub args: Vec<Vec<u8>>,
    /// The line as written (trimmed), for error messages.
    pub raw: String,
}

impl ConfigLine {
    /// An error about this line.
    pub fn error(&self, reason: impl Into<String>) -> ConfigError {
        ConfigError::at(&self.file, self.line, &self.raw, reason)
    }
}

/// Strips the " (os error N)" suffix so I/O errors read like strerror(3).
fn io_reason(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// Trims the bytes Redis trims around a configuration line.
pub(crate) fn trim_line(line: &[u8]) -> &[u8] {
    let is_trim = |b: &u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
    let start = line.iter().position(|b| !is_trim(b)).unwrap_or(line.len());
    let end = line
        .iter()
        .rposition(|b| !is_trim(b))
        .map_or(start, |e| e + 1);
    &line[start..end]
}

/// Reads a configuration file and everything it includes, in order.
/// Relative `include` paths resolve against the process working directory,
/// as in Redis.
pub fn read_config_file(path: &Path) -> Result<Vec<ConfigLine>, ConfigError> {
    let mut out = Vec::new();
    let mut stack = Vec::new();
    read_into(path, &mut stack, &mut out, None)?;
    Ok(out)
}

/// Splits configuration text (no `include` processing) into lines; `file`
/// only labels errors.
pub fn parse_config_text(text: &[u8], file: &Path) -> Result<Vec<ConfigLine>, ConfigError> {
    let mut out = Vec::new();
    for (idx, line) in text.split(|&b| b == b'\n').enumerate() {
        if let Some(l) = parse_line(line, file, idx + 1)? {
            out.push(l);
        }
    }
    Ok(out)
}

/// Parses one physical line; `None` for blanks and comments.
fn parse_line(line: &[u8], file: &Path, number: usize) -> Result<Option<ConfigLine>, ConfigError> {
    let line = trim_line(line);
    if line.is_empty() || line[0] == b'#' {
        return Ok(None);
    }
    let raw = String::from_utf8_lossy(line).into_owned();
    let mut words =
        split_args(line).map_err(|e| ConfigError::at(file, number, &raw, e.to_string()))?;
    if words.is_empty() {
        return Ok(None);
    }
    let name = String::from_utf8_lossy(&words.remove(0)).to_ascii_lowercase();
    Ok(Some(ConfigLine {
        file: file.to_path_buf(),
        line: number,
        name,
        args: words,
        raw,
    }))
}

fn has_wildcard(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

fn read_into(
    path: &Path,
    stack: &mut Vec<PathBuf>,
    out: &mut Vec<ConfigLine>,
    from: Option<&ConfigLine>,
) -> Result<(), ConfigError> {
    let fail = |reason: String| match from {
        Some(l) => l.error(reason),
        None => ConfigError::new(reason),
    };
    let text = fs::read(path).map_err(|e| {
        fail(format!(
            "Fatal error, can't open config file '{}': {}",
            path.display(),
            io_reason(&e)
        ))
    })?;
    let identity = fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    if stack.contains(&identity) {
        return Err(fail(format!(
            "include loop: '{}' is already being read",
            path.display()
        )));
    }
    if stack.len() > MAX_INCLUDE_DEPTH {
        return Err(fail(format!(
            "include nesting deeper than {MAX_INCLUDE_DEPTH} levels"
        )));
    }
    stack.push(identity);
    for line in parse_config_text(&text, path)? {
        if line.name != "include" {
            out.push(line);
            continue;
        }
        let [target] = line.args.as_slice() else {
            return Err(line.error("Bad directive or wrong number of arguments"));
        };
        let target = PathBuf::from(String::from_utf8_lossy(target).into_owned());
        for file in expand_include(&target, &line)? {
            read_into(&file, stack, out, Some(&line))?;
        }
    }
    stack.pop();
    Ok(())
}

/// Resolves an include target; a wildcard in the file name matches files
/// in alphabetical order and may match none (like Redis, for empty
/// `conf.d` directories).
fn expand_include(target: &Path, line: &ConfigLine) -> Result<Vec<PathBuf>, ConfigError> {
    let Some(name) = target.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return Ok(vec![target.to_path_buf()]);
    };
    if !has_wildcard(&name) {
        return Ok(vec![target.to_path_buf()]);
    }
    let dir = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if has_wildcard(&dir.to_string_lossy()) {
        return Err(line.error("wildcards in include are only supported in the file name"));
    }
    let Ok(entries) = fs::read_dir(&dir) else {
        return Ok(Vec::new());
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| !t.is_dir()))
        .filter(|e| {
            let n = e.file_name();
            let n = n.to_string_lossy();
            !n.starts_with('.') && glob_match(name.as_bytes(), n.as_bytes(), false)
        })
        .map(|e| dir.join(e.file_name()))
        .collect();
    files.sort();
    Ok(files)
}

/// Turns redis-server style options (`--port 7000 --save "" --bind a b`)
/// into directive lines. Each `--name` starts a directive once the previous
/// one has an argument; other words are its arguments, so a value may
/// itself start with `--` (`--requirepass --x`). `--name value` given as
/// one word is split like a file line. A bare `--save` means `save ""`. Words before the
/// first `--name` are a directive line themselves.
pub fn parse_command_line(args: &[String]) -> Result<Vec<ConfigLine>, ConfigError> {
    let mut out: Vec<ConfigLine> = Vec::new();
    // Each line as redis-server shows it in errors: the option word as typed, then every
    // separate argument quoted.
    let mut raws: Vec<String> = Vec::new();
    let mut want_arg = false;
    let file = PathBuf::from(COMMAND_LINE);
    for (i, token) in args.iter().enumerate() {
        let option = token.strip_prefix("--").filter(|_| !want_arg);
        if let Some(option) = option {
            let number = out.len() + 1;
            let mut words = split_args(option)
                .map_err(|e| ConfigError::at(&file, number, token, e.to_string()))?;
            if words.is_empty() {
                return Err(ConfigError::at(
                    &file,
                    number,
                    token,
                    "Bad directive or wrong number of arguments",
                ));
            }
            let name = String::from_utf8_lossy(&words.remove(0)).to_ascii_lowercase();
            let mut raw = option.trim().to_string();
            want_arg = words.is_empty();
            if want_arg && name == "save" {
                let next_is_option = args.get(i + 1).is_none_or(|n| n.starts_with("--"));
                if next_is_option {
                    words.push(Vec::new());
                    raw.push_str(" \"\"");
                    want_arg = false;
                }
            }
            raws.push(raw);
            out.push(ConfigLine {
                file: file.clone(),
                line: number,
                name,
                args: words,
                raw: String::new(),
            });
        } else if let (Some(last), Some(raw)) = (out.last_mut(), raws.last_mut()) {
            last.args.push(token.as_bytes().to_vec());
            raw.push(' ');
            raw.push_str(&quote(token.as_bytes()));
            want_arg = false;
        } else {
            // Words before the first `--option` form a directive line of their own, as
            // redis-server reads them (`loglevel verbose --port 1`).
            out.push(ConfigLine {
                file: file.clone(),
                line: 1,
                name: token.to_ascii_lowercase(),
                args: Vec::new(),
                raw: String::new(),
            });
            raws.push(quote(token.as_bytes()));
            want_arg = false;
        }
    }
    for (l, raw) in out.iter_mut().zip(raws) {
        l.raw = raw;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cli(args: &[&str]) -> Vec<(String, Vec<String>)> {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        parse_command_line(&args)
            .unwrap()
            .into_iter()
            .map(|l| {
                (
                    l.name,
                    l.args
                        .into_iter()
                        .map(|a| String::from_utf8(a).unwrap())
                        .collect(),
                )
            })
            .collect()
    }

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn command_line_grammar() {
        assert_eq!(
            cli(&["--port", "7000", "--save", "", "--bind", "127.0.0.1", "::1"]),
            vec![
                ("port".into(), s(&["7000"])),
                ("save".into(), s(&[""])),
                ("bind".into(), s(&["127.0.0.1", "::1"])),
            ]
        );
        assert_eq!(
            cli(&["--save", "--port", "1"]),
            vec![("save".into(), s(&[""])), ("port".into(), s(&["1"]))]
        );
        assert_eq!(cli(&["--save"]), vec![("save".into(), s(&[""]))]);
        assert_eq!(
            cli(&["--requirepass", "--secret", "--Port", "1"]),
            vec![
                ("requirepass".into(), s(&["--secret"])),
                ("port".into(), s(&["1"]))
            ]
        );
        assert_eq!(
            cli(&["--port 6380", "--maxmemory", "1gb"]),
            vec![
                ("port".into(), s(&["6380"])),
                ("maxmemory".into(), s(&["1gb"]))
            ]
        );
        let lines = parse_command_line(&s(&["--port", "7000", "--requirepass", "a b"])).unwrap();
        assert_eq!(lines[1].file, PathBuf::from(COMMAND_LINE));
        assert_eq!(lines[1].line, 2);
        assert_eq!(lines[1].raw, "requirepass \"a b\"");
        assert_eq!(lines[0].raw, "port \"7000\"");
        assert_eq!(
            cli(&["loglevel", "verbose", "--port", "1"]),
            vec![
                ("loglevel".into(), s(&["verbose"])),
                ("port".into(), s(&["1"]))
            ]
        );
    }

    #[test]
    fn text_lines() {
        let text = b"# comment\n\n  port 7000  \r\n   # indented comment\nBIND \"a b\" c\n";
        let lines = parse_config_text(text, Path::new("x.conf")).unwrap();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].line, 3);
        assert_eq!(lines[0].raw, "port 7000");
        assert_eq!(lines[1].name, "bind");
        assert_eq!(lines[1].args, vec![b"a b".to_vec(), b"c".to_vec()]);
        let err = parse_config_text(b"port 1\nbind \"a\"b\n", Path::new("y.conf")).unwrap_err();
        let loc = err.location.unwrap();
        assert_eq!((loc.line, loc.text.as_str()), (2, "bind \"a\"b"));
        assert_eq!(err.reason, "Unbalanced quotes in configuration line");
    }
}
