//! Validation and normalisation of directive values, per [`Kind`]. Values
//! are kept in the form CONFIG GET shows, so equality with the default and
//! CONFIG GET output need no further work.

use super::notify;
use super::registry::{Directive, Kind, Special};

/// A directive's current value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Value {
    /// Normalised CONFIG GET form.
    Single(Vec<u8>),
    /// One argument list per occurrence (`user`, `rename-command`...).
    Lines(Vec<Vec<Vec<u8>>>),
}

impl Value {
    /// The default value of a directive.
    pub(crate) fn default_for(def: &Directive) -> Value {
        match def.kind {
            Kind::Repeated { .. } => Value::Lines(Vec::new()),
            _ => Value::Single(def.default.as_bytes().to_vec()),
        }
    }

    /// The single-value bytes (empty for line lists).
    pub(crate) fn bytes(&self) -> &[u8] {
        match self {
            Value::Single(v) => v,
            Value::Lines(_) => &[],
        }
    }
}

/// How a value is being given, which matters to accumulating directives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    /// First occurrence of the directive while loading files/command line.
    FileFirst,
    /// A later occurrence while loading.
    FileAgain,
    /// CONFIG SET (value already split into arguments).
    ConfigSet,
}

pub(crate) const WRONG_ARGS: &str = "wrong number of arguments";
const BAD_DIRECTIVE: &str = "Bad directive or wrong number of arguments";
const NOT_INTEGER: &str = "argument couldn't be parsed into an integer";
const NOT_MEMORY: &str = "argument must be a memory value";
const INVALID_SAVE: &str = "Invalid save parameters";
const OBUF_CLASS: &str = "Invalid client class specified in buffer limit configuration.";
const OBUF_VALUES: &str =
    "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
const SHUTDOWN_WORDS: [&str; 5] = ["default", "save", "nosave", "now", "force"];

/// Parses an integer written the strict way Redis's `string2ll` wants it:
/// optional `-`, no `+`, no spaces, no leading zeros.
pub fn parse_int(v: &[u8]) -> Option<i64> {
    let digits = v.strip_prefix(b"-").unwrap_or(v);
    let well_formed = match digits {
        [] => false,
        [b'0'] => digits.len() == v.len(),
        [first, rest @ ..] => (b'1'..=b'9').contains(first) && rest.iter().all(u8::is_ascii_digit),
    };
    if !well_formed {
        return None;
    }
    std::str::from_utf8(v).ok()?.parse().ok()
}

/// Parses a memory amount like Redis's `memtoull`: digits then an optional
/// unit `b`, `k` (1000), `kb` (1024), `m`, `mb`, `g`, `gb`, any case. An
/// empty string is 0, as in Redis.
pub fn parse_memory(v: &[u8]) -> Option<u64> {
    if v.is_empty() {
        return Some(0);
    }
    let n_digits = v.iter().take_while(|b| b.is_ascii_digit()).count();
    if n_digits == 0 {
        return None;
    }
    let (digits, unit) = v.split_at(n_digits);
    let n: u64 = std::str::from_utf8(digits).ok()?.parse().ok()?;
    let mul: u64 = match unit.to_ascii_lowercase().as_slice() {
        b"" | b"b" => 1,
        b"k" => 1000,
        b"kb" => 1024,
        b"m" => 1000 * 1000,
        b"mb" => 1024 * 1024,
        b"g" => 1000 * 1000 * 1000,
        b"gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    n.checked_mul(mul)
}

/// Formats bytes with the largest exact unit, as CONFIG REWRITE does.
pub(crate) fn format_memory(bytes: u64) -> String {
    const KB: u64 = 1024;
    if bytes != 0 && bytes.is_multiple_of(KB * KB * KB) {
        format!("{}gb", bytes / (KB * KB * KB))
    } else if bytes != 0 && bytes.is_multiple_of(KB * KB) {
        format!("{}mb", bytes / (KB * KB))
    } else if bytes != 0 && bytes.is_multiple_of(KB) {
        format!("{}kb", bytes / KB)
    } else {
        bytes.to_string()
    }
}

fn between<T: std::fmt::Display>(lo: T, hi: T) -> String {
    format!("argument must be between {lo} and {hi} inclusive")
}

fn join(parts: &[Vec<u8>]) -> Vec<u8> {
    parts.join(&b' ')
}

/// Output buffer limits of one client class: hard bytes, soft bytes, soft
/// seconds.
pub(crate) type Obuf = (u64, u64, u64);

/// Class names in the order Redis prints them; index 1 is `slave`/`replica`.
pub(crate) const OBUF_CLASSES: [&str; 3] = ["normal", "slave", "pubsub"];

/// Reads the normalised `client-output-buffer-limit` string back.
pub(crate) fn parse_obuf(v: &[u8]) -> [Obuf; 3] {
    let mut out = [
        (0, 0, 0),
        (268435456, 67108864, 60),
        (33554432, 8388608, 60),
    ];
    let words: Vec<&[u8]> = v.split(|&b| b == b' ').collect();
    for q in words.chunks_exact(4) {
        if let Some(class) = obuf_class(q[0]) {
            let num = |w: &[u8]| std::str::from_utf8(w).ok().and_then(|s| s.parse().ok());
            if let (Some(h), Some(s), Some(t)) = (num(q[1]), num(q[2]), num(q[3])) {
                out[class] = (h, s, t);
            }
        }
    }
    out
}

fn obuf_class(name: &[u8]) -> Option<usize> {
    match name.to_ascii_lowercase().as_slice() {
        b"normal" => Some(0),
        b"slave" | b"replica" => Some(1),
        b"pubsub" => Some(2),
        _ => None,
    }
}

fn render_obuf(limits: &[Obuf; 3]) -> Vec<u8> {
    let parts: Vec<String> = OBUF_CLASSES
        .iter()
        .zip(limits)
        .map(|(c, (h, s, t))| format!("{c} {h} {s} {t}"))
        .collect();
    parts.join(" ").into_bytes()
}

/// Validates `args` (the words after the directive name) and returns the
/// new value, merged with `current` for directives that accumulate.
pub(crate) fn parse_value(
    def: &Directive,
    args: &[Vec<u8>],
    current: &Value,
    source: Source,
) -> Result<Value, String> {
    if !def.multi_arg() && args.len() != 1 {
        return Err(WRONG_ARGS.into());
    }
    let one = args.first().map(Vec::as_slice).unwrap_or_default();
    let single = |v: Vec<u8>| Ok(Value::Single(v));
    match def.kind {
        Kind::Bool => {
            if one.eq_ignore_ascii_case(b"yes") {
                single(b"yes".to_vec())
            } else if one.eq_ignore_ascii_case(b"no") {
                single(b"no".to_vec())
            } else {
                Err("argument must be 'yes' or 'no'".into())
            }
        }
        Kind::Int(lo, hi) => {
            let n = parse_int(one).ok_or(NOT_INTEGER)?;
            if n < lo || n > hi {
                return Err(between(lo, hi));
            }
            single(n.to_string().into_bytes())
        }
        Kind::Memory(lo, hi) => {
            let n = parse_memory(one).ok_or(NOT_MEMORY)?;
            if n < lo || n > hi {
                return Err(between(lo, hi));
            }
            single(n.to_string().into_bytes())
        }
        Kind::MemoryOrPercent => {
            if let Some(p) = one.strip_suffix(b"%") {
                let n = parse_int(p).filter(|n| *n >= 0);
                match n {
                    Some(n) if n <= 100 => single(format!("{n}%").into_bytes()),
                    Some(_) => Err("percentage argument must be less or equal to 100".into()),
                    None => Err("argument must be a memory or percent value".into()),
                }
            } else {
                let n = parse_memory(one).ok_or("argument must be a memory or percent value")?;
                single(n.to_string().into_bytes())
            }
        }
        Kind::Octal(max) => {
            let text = std::str::from_utf8(one).map_err(|_| NOT_INTEGER)?;
            let n = u32::from_str_radix(text, 8).map_err(|_| NOT_INTEGER)?;
            if text.starts_with('+') {
                return Err(NOT_INTEGER.into());
            }
            if n > max {
                return Err(between(0, max));
            }
            single(format!("{n:o}").into_bytes())
        }
        Kind::Enum(words) => match words
            .iter()
            .find(|w| w.as_bytes().eq_ignore_ascii_case(one))
        {
            Some(w) => single(w.as_bytes().to_vec()),
            None => Err(format!(
                "argument(s) must be one of the following: {}",
                words.join(", ")
            )),
        },
        Kind::Str => single(one.to_vec()),
        Kind::Repeated { min, max } => {
            if args.len() < min || args.len() > max {
                return Err(BAD_DIRECTIVE.into());
            }
            let mut lines = match current {
                Value::Lines(l) => l.clone(),
                Value::Single(_) => Vec::new(),
            };
            lines.push(args.to_vec());
            Ok(Value::Lines(lines))
        }
        Kind::Special(s) => parse_special(s, args, current, source).map(Value::Single),
    }
}

fn parse_special(
    s: Special,
    args: &[Vec<u8>],
    current: &Value,
    source: Source,
) -> Result<Vec<u8>, String> {
    match s {
        Special::Bind => {
            let args: &[Vec<u8>] = if args.len() == 1 && args[0].is_empty() {
                &[]
            } else {
                args
            };
            if args.len() > 16 {
                return Err("Too many bind addresses specified.".into());
            }
            if args.iter().any(|a| a.is_empty() || a == b"-") {
                return Err("Invalid bind address.".into());
            }
            Ok(join(args))
        }
        Special::Save => {
            let args: &[Vec<u8>] = if args.len() == 1 && args[0].is_empty() {
                &[]
            } else {
                args
            };
            if !args.len().is_multiple_of(2) {
                return Err(INVALID_SAVE.into());
            }
            for pair in args.chunks_exact(2) {
                let secs = parse_int(&pair[0]).filter(|n| *n >= 1);
                let changes = parse_int(&pair[1]).filter(|n| *n >= 0);
                if secs.is_none() || changes.is_none() {
                    return Err(INVALID_SAVE.into());
                }
            }
            let cur = current.bytes();
            if source == Source::FileAgain && !cur.is_empty() && !args.is_empty() {
                let mut v = cur.to_vec();
                v.push(b' ');
                v.extend_from_slice(&join(args));
                Ok(v)
            } else {
                Ok(join(args))
            }
        }
        Special::ClientOutputBufferLimit => {
            if !args.len().is_multiple_of(4) {
                return Err("Wrong number of arguments in buffer limit configuration.".into());
            }
            let mut limits = parse_obuf(current.bytes());
            let mut updates = Vec::new();
            for q in args.chunks_exact(4) {
                let class = obuf_class(&q[0]).ok_or(OBUF_CLASS)?;
                let hard = parse_memory(&q[1]).ok_or(OBUF_VALUES)?;
                let soft = parse_memory(&q[2]).ok_or(OBUF_VALUES)?;
                let secs = parse_int(&q[3]).filter(|n| *n >= 0).ok_or(OBUF_VALUES)?;
                updates.push((class, (hard, soft, secs.unsigned_abs())));
            }
            for (class, l) in updates {
                limits[class] = l;
            }
            Ok(render_obuf(&limits))
        }
        Special::NotifyKeyspaceEvents => {
            if args.len() != 1 {
                return Err(WRONG_ARGS.into());
            }
            let flags = notify::parse_flags(&args[0]).ok_or(notify::INVALID_CLASS)?;
            Ok(notify::flags_to_string(flags).into_bytes())
        }
        Special::Replicaof => {
            if args.len() != 2 {
                return Err(WRONG_ARGS.into());
            }
            if args[0].eq_ignore_ascii_case(b"no") && args[1].eq_ignore_ascii_case(b"one") {
                return Ok(Vec::new());
            }
            match parse_int(&args[1]) {
                Some(p) if (0..=65535).contains(&p) => Ok(join(args)),
                _ => Err("Invalid master port".into()),
            }
        }
        Special::OomScoreAdjValues => {
            if args.len() != 3 {
                return Err(WRONG_ARGS.into());
            }
            let mut vals = Vec::new();
            for a in args {
                match parse_int(a) {
                    Some(n) if (-2000..=2000).contains(&n) => vals.push(n.to_string()),
                    _ => {
                        return Err("Invalid oom-score-adj-values, elements must be between -2000 and 2000.".into());
                    }
                }
            }
            Ok(vals.join(" ").into_bytes())
        }
        Special::LatencyPercentiles => {
            let args: &[Vec<u8>] = if args.len() == 1 && args[0].is_empty() {
                &[]
            } else {
                args
            };
            let mut vals = Vec::new();
            for a in args {
                let f: f64 = std::str::from_utf8(a)
                    .ok()
                    .and_then(|s| s.parse().ok())
                    .filter(|f: &f64| f.is_finite())
                    .ok_or("Invalid latency-tracking-info-percentiles parameters")?;
                if !(0.0..=100.0).contains(&f) {
                    return Err("latency-tracking-info-percentiles parameters should sit between [0.0,100.0]".into());
                }
                vals.push(f.to_string());
            }
            Ok(vals.join(" ").into_bytes())
        }
        Special::ShutdownOnSignal => {
            let invalid = || {
                format!(
                    "argument(s) must be one of the following: {}",
                    SHUTDOWN_WORDS.join(", ")
                )
            };
            // As in Redis, no word at all is no valid choice either.
            if args.iter().all(|a| a.is_empty()) {
                return Err(invalid());
            }
            let mut seen = [false; 5];
            for a in args {
                let i = SHUTDOWN_WORDS
                    .iter()
                    .position(|w| w.as_bytes().eq_ignore_ascii_case(a))
                    .ok_or_else(invalid)?;
                seen[i] = true;
            }
            if seen[1] && seen[2] {
                return Err("shutdown options SAVE and NOSAVE can't be used simultaneously".into());
            }
            let words: Vec<&str> = (1..5)
                .filter(|&i| seen[i])
                .map(|i| SHUTDOWN_WORDS[i])
                .collect();
            Ok(if words.is_empty() {
                b"default".to_vec()
            } else {
                words.join(" ").into_bytes()
            })
        }
    }
}

/// Splits a CONFIG SET value into arguments like Redis does for
/// multi-argument directives: on single spaces, `""` giving no argument.
pub(crate) fn split_set_value(def: &Directive, v: &[u8]) -> Vec<Vec<u8>> {
    if !def.multi_arg() {
        vec![v.to_vec()]
    } else if v.is_empty() {
        Vec::new()
    } else {
        v.split(|&b| b == b' ').map(<[u8]>::to_vec).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::registry::lookup;

    fn set(name: &str, v: &str) -> Result<String, String> {
        let def = lookup(name.as_bytes()).unwrap();
        let args = split_set_value(def, v.as_bytes());
        let cur = Value::default_for(def);
        parse_value(def, &args, &cur, Source::ConfigSet)
            .map(|v| String::from_utf8(v.bytes().to_vec()).unwrap())
    }

    #[test]
    fn integers_are_strict() {
        assert_eq!(parse_int(b"0"), Some(0));
        assert_eq!(parse_int(b"-12"), Some(-12));
        for bad in [
            "",
            "-",
            "-0",
            "+5",
            "05",
            " 5",
            "5 ",
            "1e3",
            "99999999999999999999",
        ] {
            assert_eq!(parse_int(bad.as_bytes()), None, "{bad}");
        }
    }

    #[test]
    fn memory_units() {
        let m = |s: &str| parse_memory(s.as_bytes());
        assert_eq!(m("5b"), Some(5));
        assert_eq!(m("5"), Some(5));
        assert_eq!(m("1k"), Some(1000));
        assert_eq!(m("1kb"), Some(1024));
        assert_eq!(m("1K"), Some(1000));
        assert_eq!(m("100mb"), Some(100 << 20));
        assert_eq!(m("2m"), Some(2_000_000));
        assert_eq!(m("1gb"), Some(1 << 30));
        assert_eq!(m("5GB"), Some(5 << 30));
        assert_eq!(m("3g"), Some(3_000_000_000));
        assert_eq!(m(""), Some(0));
        for bad in ["-1", "1.5gb", "1x", "gb", " 5", "+5", "5 ", "99999999999gb"] {
            assert_eq!(m(bad), None, "{bad}");
        }
        assert_eq!(format_memory(0), "0");
        assert_eq!(format_memory(1 << 30), "1gb");
        assert_eq!(format_memory(64 << 20), "64mb");
        assert_eq!(format_memory(2048), "2kb");
        assert_eq!(format_memory(1000), "1000");
    }

    #[test]
    fn kinds_validate_with_redis_texts() {
        assert_eq!(set("port", "7000"), Ok("7000".into()));
        assert_eq!(set("port", "abc"), Err(NOT_INTEGER.into()));
        assert_eq!(
            set("port", "70000"),
            Err("argument must be between 0 and 65535 inclusive".into())
        );
        assert_eq!(set("maxmemory", "1gb"), Ok("1073741824".into()));
        assert_eq!(set("maxmemory", "abc"), Err(NOT_MEMORY.into()));
        assert_eq!(
            set("proto-max-bulk-len", "100"),
            Err("argument must be between 1048576 and 9223372036854775807 inclusive".into())
        );
        assert_eq!(set("protected-mode", "YES"), Ok("yes".into()));
        assert_eq!(
            set("appendonly", "maybe"),
            Err("argument must be 'yes' or 'no'".into())
        );
        assert_eq!(
            set("maxmemory-policy", "ALLKEYS-LRU"),
            Ok("allkeys-lru".into())
        );
        assert!(
            set("maxmemory-policy", "x").unwrap_err().starts_with(
                "argument(s) must be one of the following: volatile-lru, volatile-lfu"
            )
        );
        assert_eq!(set("maxmemory-clients", "10%"), Ok("10%".into()));
        assert_eq!(set("maxmemory-clients", "1mb"), Ok("1048576".into()));
        assert_eq!(
            set("maxmemory-clients", "101%"),
            Err("percentage argument must be less or equal to 100".into())
        );
        assert_eq!(set("unixsocketperm", "700"), Ok("700".into()));
        assert_eq!(set("unixsocketperm", "0770"), Ok("770".into()));
        assert!(set("unixsocketperm", "9").is_err());
        assert_eq!(set("requirepass", "a b"), Ok("a b".into()));
    }

    #[test]
    fn specials() {
        assert_eq!(set("save", "100 10 200 20"), Ok("100 10 200 20".into()));
        assert_eq!(set("save", ""), Ok("".into()));
        assert_eq!(set("save", "100 10 200"), Err(INVALID_SAVE.into()));
        assert_eq!(set("save", "  "), Err(INVALID_SAVE.into()));
        assert_eq!(set("save", "0 1"), Err(INVALID_SAVE.into()));
        assert_eq!(set("bind", "127.0.0.1 -::1"), Ok("127.0.0.1 -::1".into()));
        assert_eq!(set("bind", ""), Ok("".into()));
        assert!(set("bind", &["a"; 17].join(" ")).is_err());
        assert_eq!(
            set("client-output-buffer-limit", "normal 1k 1 1"),
            Ok("normal 1000 1 1 slave 268435456 67108864 60 pubsub 33554432 8388608 60".into())
        );
        assert_eq!(
            set("client-output-buffer-limit", "replica 1mb 2 3 pubsub 0 0 0"),
            Ok("normal 0 0 0 slave 1048576 2 3 pubsub 0 0 0".into())
        );
        assert_eq!(
            set("client-output-buffer-limit", "master 1 1 1"),
            Err(OBUF_CLASS.into())
        );
        assert_eq!(
            set("client-output-buffer-limit", "normal 1 1 -1"),
            Err(OBUF_VALUES.into())
        );
        assert!(set("client-output-buffer-limit", "normal 1 2").is_err());
        assert_eq!(set("notify-keyspace-events", "KEA"), Ok("AKE".into()));
        assert_eq!(
            set("notify-keyspace-events", "Q"),
            Err(notify::INVALID_CLASS.into())
        );
        assert_eq!(
            set("oom-score-adj-values", "0 200 800"),
            Ok("0 200 800".into())
        );
        assert_eq!(set("oom-score-adj-values", "1 2"), Err(WRONG_ARGS.into()));
        assert!(set("oom-score-adj-values", "1 2 3000").is_err());
        assert_eq!(
            set("latency-tracking-info-percentiles", "50.5 99.999"),
            Ok("50.5 99.999".into())
        );
        assert_eq!(set("latency-tracking-info-percentiles", ""), Ok("".into()));
        assert!(set("latency-tracking-info-percentiles", "50 101").is_err());
        assert!(set("latency-tracking-info-percentiles", "x").is_err());
        assert_eq!(
            set("shutdown-on-sigint", "now force save"),
            Ok("save now force".into())
        );
        assert_eq!(set("shutdown-on-sigint", "default now"), Ok("now".into()));
        assert!(set("shutdown-on-sigint", "save nosave").is_err());
        assert!(set("shutdown-on-sigint", "foo").is_err());
        assert_eq!(set("replicaof", "no one"), Ok("".into()));
        assert_eq!(
            set("replicaof", "10.0.0.1 6379"),
            Ok("10.0.0.1 6379".into())
        );
        assert!(set("replicaof", "10.0.0.1 x").is_err());
    }

    #[test]
    fn save_accumulates_in_files_only() {
        let def = lookup(b"save").unwrap();
        let a = |s: &str| -> Vec<Vec<u8>> { s.split(' ').map(|w| w.as_bytes().to_vec()).collect() };
        let first = parse_value(
            def,
            &a("900 1"),
            &Value::default_for(def),
            Source::FileFirst,
        )
        .unwrap();
        assert_eq!(first.bytes(), b"900 1");
        let second = parse_value(def, &a("300 10"), &first, Source::FileAgain).unwrap();
        assert_eq!(second.bytes(), b"900 1 300 10");
        let off = parse_value(def, &[Vec::new()], &second, Source::FileAgain).unwrap();
        assert_eq!(off.bytes(), b"");
    }
}
