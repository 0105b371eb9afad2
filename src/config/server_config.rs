//! The data node's configuration: every directive's current value, typed
//! views of the hot ones, and the CONFIG GET / SET / REWRITE operations.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use indexmap::IndexMap;

use super::error::ConfigError;
use super::file::{ConfigLine, parse_command_line, read_config_file};
use super::registry::{self, Category, DEPRECATED_IGNORED, DIRECTIVES, Mutability};
use super::rewrite::rewrite_file;
use super::settings::Settings;
use super::value::{Source, Value, parse_value, split_set_value};
use crate::util::glob::glob_match;

/// Port a sentinel listens on unless configured otherwise.
pub const SENTINEL_PORT: &str = "26379";

/// `sentinel ...` configuration lines: (`file:line`, words after `sentinel`).
pub type SentinelDirectives = Vec<(String, Vec<String>)>;

/// The configuration of a data node. Clone it before a CONFIG SET whose
/// side effects (rebinding, resizing) might fail, to restore it.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Current values by canonical name, in table order.
    values: IndexMap<&'static str, Value>,
    /// Typed copies of the hot values.
    settings: Settings,
    /// Absolute path of the file loaded, for CONFIG REWRITE.
    config_file: Option<PathBuf>,
    /// `dir` resolved to an absolute path, as CONFIG GET shows it.
    dir_abs: PathBuf,
}

impl Default for ServerConfig {
    /// Redis 7.0's defaults, as when redis-server starts without a file.
    fn default() -> Self {
        let values: IndexMap<&'static str, Value> = DIRECTIVES
            .iter()
            .map(|d| (d.name, Value::default_for(d)))
            .collect();
        let dir_abs = resolve_dir(&cwd(), Path::new(".")).unwrap_or_else(|_| cwd());
        let mut cfg = ServerConfig {
            settings: Settings::from_values(&values),
            values,
            config_file: None,
            dir_abs,
        };
        cfg.settings.dir = cfg.dir_abs.clone();
        cfg
    }
}

fn cwd() -> PathBuf {
    std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."))
}

/// Resolves `dir` against `base` and checks it is a directory, the way
/// Redis's `chdir` would succeed or fail.
fn resolve_dir(base: &Path, dir: &Path) -> Result<PathBuf, String> {
    let joined = base.join(dir);
    let abs = std::fs::canonicalize(&joined).map_err(|e| {
        let s = e.to_string();
        s.split(" (os error").next().unwrap_or_default().to_string()
    })?;
    if !abs.is_dir() {
        return Err("Not a directory".into());
    }
    Ok(abs)
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn set_error(name: &str, reason: &str) -> String {
    format!("ERR CONFIG SET failed (possibly related to argument '{name}') - {reason}")
}

impl ServerConfig {
    /// Loads the optional configuration file then the command-line options
    /// (`--name value...`), later lines winning, and refuses settings vigil
    /// cannot honour safely (`daemonize yes`).
    pub fn load(config_file: Option<&Path>, cli: &[String]) -> Result<ServerConfig, ConfigError> {
        let mut lines = match config_file {
            Some(p) => read_config_file(p)?,
            None => Vec::new(),
        };
        lines.extend(parse_command_line(cli)?);
        let mut cfg = ServerConfig::from_lines(&lines)?;
        cfg.config_file = config_file.map(|p| cwd().join(p));
        Ok(cfg)
    }

    /// Applies directive lines over the defaults; the core of [`load`],
    /// public for `check-config` style tools.
    ///
    /// [`load`]: ServerConfig::load
    pub fn from_lines(lines: &[ConfigLine]) -> Result<ServerConfig, ConfigError> {
        let mut cfg = ServerConfig::default();
        let mut seen = HashSet::new();
        let mut last: HashMap<&'static str, &ConfigLine> = HashMap::new();
        for line in lines {
            let Some(def) = registry::lookup(line.name.as_bytes()) else {
                if DEPRECATED_IGNORED
                    .iter()
                    .any(|(n, argc)| *n == line.name && *argc == line.args.len())
                {
                    continue;
                }
                return Err(line.error("Bad directive or wrong number of arguments"));
            };
            let source = if seen.insert(def.name) {
                Source::FileFirst
            } else {
                Source::FileAgain
            };
            let current = cfg
                .values
                .get(def.name)
                .cloned()
                .unwrap_or(Value::default_for(def));
            // redis-server accepts a multi-argument directive as one quoted command-line word
            // (`--client-output-buffer-limit "pubsub 2mb 1mb 60"`), split like CONFIG SET splits.
            let split;
            let args = if def.multi_arg()
                && line.args.len() == 1
                && line.file.as_path() == Path::new(super::error::COMMAND_LINE)
                && line.args[0].contains(&b' ')
            {
                split = super::value::split_set_value(def, &line.args[0]);
                &split
            } else {
                &line.args
            };
            let new = parse_value(def, args, &current, source).map_err(|r| line.error(r))?;
            if def.name == "dir" {
                let dir = PathBuf::from(lossy(new.bytes()));
                cfg.dir_abs = resolve_dir(&cwd(), &dir).map_err(|r| line.error(r))?;
            }
            cfg.values.insert(def.name, new);
            last.insert(def.name, line);
        }
        if let Some(line) = last
            .get("daemonize")
            .filter(|_| cfg.raw("daemonize") == b"yes")
        {
            return Err(line.error(
                "daemonize yes is not supported: vigil stays in the foreground \
                 (run it under a supervisor such as systemd and set 'daemonize no')",
            ));
        }
        cfg.rebuild();
        Ok(cfg)
    }

    fn rebuild(&mut self) {
        self.settings = Settings::from_values(&self.values);
        self.settings.dir = self.dir_abs.clone();
    }

    fn raw(&self, name: &str) -> &[u8] {
        self.values.get(name).map(Value::bytes).unwrap_or_default()
    }

    /// Typed values of the hot directives.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The file CONFIG REWRITE writes to, absolute; `None` without one.
    pub fn config_file(&self) -> Option<&Path> {
        self.config_file.as_deref()
    }

    /// The current value of one directive (by name or alias) in CONFIG GET
    /// form; `None` for unknown or multi-line directives.
    pub fn value(&self, name: &str) -> Option<Vec<u8>> {
        let def = registry::lookup(name.as_bytes()).filter(|d| !d.hidden())?;
        Some(self.display(def.name))
    }

    /// Every occurrence of a repeatable directive (`user`, `rename-command`,
    /// `loadmodule`), each as its argument list.
    pub fn lines(&self, name: &str) -> &[Vec<Vec<u8>>] {
        match registry::lookup(name.as_bytes()).and_then(|d| self.values.get(d.name)) {
            Some(Value::Lines(l)) => l,
            _ => &[],
        }
    }

    fn display(&self, canonical: &str) -> Vec<u8> {
        if canonical == "dir" {
            self.dir_abs.to_string_lossy().into_owned().into_bytes()
        } else {
            self.raw(canonical).to_vec()
        }
    }

    /// CONFIG GET for one pattern: Redis glob, case-insensitive; aliases
    /// match too and are reported under the alias, as Redis 7.0 does. A
    /// pattern without wildcards is an exact lookup answered under the name
    /// as given.
    pub fn get(&self, pattern: &[u8]) -> Vec<(String, String)> {
        if !pattern.iter().any(|b| matches!(b, b'*' | b'?' | b'[')) {
            return match registry::lookup(pattern).filter(|d| !d.hidden()) {
                Some(def) => vec![(lossy(pattern), lossy(&self.display(def.name)))],
                None => Vec::new(),
            };
        }
        let mut out = Vec::new();
        for def in DIRECTIVES
            .iter()
            .filter(|d| !d.hidden() && !d.hidden_from_patterns())
        {
            for name in std::iter::once(&def.name).chain(def.aliases) {
                if glob_match(pattern, name.as_bytes(), true) {
                    out.push((name.to_string(), lossy(&self.display(def.name))));
                }
            }
        }
        out
    }

    /// CONFIG SET from a client that is not local (see
    /// [`set_for_client`](ServerConfig::set_for_client)).
    pub fn set(&mut self, pairs: &[(Vec<u8>, Vec<u8>)]) -> Result<Vec<String>, String> {
        self.set_for_client(pairs, false)
    }

    /// CONFIG SET of several name/value pairs, all or nothing: every name
    /// and value is validated before anything changes. Returns the
    /// canonical names whose value changed; errors carry Redis 7.0's texts
    /// (without the leading `-`). `client_is_local` matters only when
    /// `enable-protected-configs` is `local`.
    pub fn set_for_client(
        &mut self,
        pairs: &[(Vec<u8>, Vec<u8>)],
        client_is_local: bool,
    ) -> Result<Vec<String>, String> {
        let mut indexes: Vec<usize> = Vec::with_capacity(pairs.len());
        for (name, _) in pairs {
            let Some(idx) = registry::lookup_index(name).filter(|&i| !DIRECTIVES[i].hidden())
            else {
                return Err(format!(
                    "ERR Unknown option or number of arguments for CONFIG SET - '{}'",
                    lossy(name)
                ));
            };
            let def = &DIRECTIVES[idx];
            let refused = match def.mutability {
                Mutability::Immutable => Some("can't set immutable config"),
                Mutability::Protected
                    if !self
                        .settings
                        .enable_protected_configs
                        .permits(client_is_local) =>
                {
                    Some("can't set protected config")
                }
                _ if indexes.contains(&idx) => Some("duplicate parameter"),
                _ => None,
            };
            if let Some(reason) = refused {
                return Err(set_error(&lossy(name), reason));
            }
            indexes.push(idx);
        }
        let mut values = self.values.clone();
        let mut dir_abs = self.dir_abs.clone();
        for ((_, raw), &idx) in pairs.iter().zip(&indexes) {
            let def = &DIRECTIVES[idx];
            let current = values
                .get(def.name)
                .cloned()
                .unwrap_or(Value::default_for(def));
            let args = split_set_value(def, raw);
            let mut new = parse_value(def, &args, &current, Source::ConfigSet)
                .map_err(|e| set_error(def.name, &e))?;
            if def.name == "dir" {
                let dir = PathBuf::from(lossy(new.bytes()));
                dir_abs = resolve_dir(&dir_abs, &dir).map_err(|e| set_error(def.name, &e))?;
                new = Value::Single(dir_abs.to_string_lossy().into_owned().into_bytes());
            }
            values.insert(def.name, new);
        }
        let mut changed: Vec<String> = Vec::new();
        for &idx in &indexes {
            let name = DIRECTIVES[idx].name;
            if values.get(name) != self.values.get(name) && !changed.iter().any(|c| c == name) {
                changed.push(name.to_string());
            }
        }
        self.values = values;
        self.dir_abs = dir_abs;
        self.rebuild();
        Ok(changed)
    }

    /// Startup warnings for directives vigil accepts but does not act on
    /// yet, given a value that asks for behaviour (non-default).
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        for def in DIRECTIVES
            .iter()
            .filter(|d| d.category == Category::NotYetSupported)
        {
            let Some(v) = self.values.get(def.name) else {
                continue;
            };
            if *v != Value::default_for(def) {
                out.push(format!(
                    "directive '{}' is accepted but not supported yet by vigil: it has no effect",
                    def.name
                ));
            }
        }
        out
    }

    /// Records the master REPLICAOF (or a promotion, `None`) chose, so that CONFIG GET and
    /// CONFIG REWRITE persist the node's role like Redis does.
    pub fn set_replicaof(&mut self, master: Option<(&str, u16)>) {
        let v = match master {
            Some((host, port)) => format!("{host} {port}").into_bytes(),
            None => Vec::new(),
        };
        self.values.insert("replicaof", Value::Single(v));
        self.rebuild();
    }

    /// CONFIG REWRITE: write the current values into the loaded file,
    /// keeping its comments and order; atomic.
    pub fn rewrite(&self) -> Result<(), String> {
        self.rewrite_with(false)
    }

    /// CONFIG REWRITE that writes every directive, defaults included (DEBUG
    /// CONFIG-REWRITE-FORCE-ALL, which Redis's tests use to check that a full file loads back).
    pub fn rewrite_force_all(&self) -> Result<(), String> {
        self.rewrite_with(true)
    }

    fn rewrite_with(&self, force_all: bool) -> Result<(), String> {
        let path = self
            .config_file
            .as_deref()
            .ok_or_else(|| "ERR The server is running without a config file".to_string())?;
        rewrite_file(path, &self.values, None, force_all)
    }

    /// Sentinel flavour of [`rewrite`](ServerConfig::rewrite): also writes the sentinel state
    /// lines (each given as the words after `sentinel`), replacing the file's `sentinel` lines
    /// in place by directive and dropping those no longer wanted.
    pub fn rewrite_sentinel(&self, sentinel_lines: &[Vec<String>]) -> Result<(), String> {
        let path = self
            .config_file
            .as_deref()
            .ok_or_else(|| "ERR The server is running without a config file".to_string())?;
        rewrite_file(path, &self.values, Some(sentinel_lines), false)
    }

    /// Loads a sentinel's configuration: the file (mandatory) then command-line options. The
    /// `sentinel ...` lines are returned apart, in order, each as (`file:line`, words after
    /// `sentinel`); the others configure the server part with sentinel defaults (port 26379)
    /// and protected mode forced off, as Redis does in sentinel mode.
    pub fn load_sentinel(
        config_file: &Path,
        cli: &[String],
    ) -> Result<(ServerConfig, SentinelDirectives), ConfigError> {
        let mut lines = read_config_file(config_file)?;
        lines.extend(parse_command_line(cli)?);
        let synthetic = |name: &str, value: &str| ConfigLine {
            file: PathBuf::from("(sentinel defaults)"),
            line: 0,
            name: name.to_string(),
            args: vec![value.as_bytes().to_vec()],
            raw: format!("{name} {value}"),
        };
        let mut regular = vec![synthetic("port", SENTINEL_PORT)];
        let mut sentinel = Vec::new();
        for line in lines {
            if line.name != "sentinel" {
                regular.push(line);
                continue;
            }
            // A bare `sentinel` line only selects the mode in Redis; it carries nothing.
            if line.args.is_empty() {
                continue;
            }
            let location = format!("{}:{}", line.file.display(), line.line);
            let words = line.args.iter().map(|a| lossy(a)).collect();
            sentinel.push((location, words));
        }
        regular.push(synthetic("protected-mode", "no"));
        let mut cfg = ServerConfig::from_lines(&regular)?;
        cfg.config_file = Some(cwd().join(config_file));
        Ok((cfg, sentinel))
    }
}

impl std::ops::Deref for ServerConfig {
    type Target = Settings;

    /// Lets the server read hot settings as `config.port` while mutation stays behind `set`.
    fn deref(&self) -> &Settings {
        self.settings()
    }
}
