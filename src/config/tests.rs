//! Behaviour of the configuration module as a whole: files and includes,
//! startup errors, CONFIG GET/SET/REWRITE, and Debian's stock redis.conf.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use super::*;

/// A scratch directory removed on drop (no tempfile crate in the deps).
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let p = std::env::temp_dir().join(format!(
            "vigil-config-test-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }

    fn write(&self, name: &str, content: &str) -> PathBuf {
        let p = self.0.join(name);
        if let Some(parent) = p.parent() {
            fs::create_dir_all(parent).unwrap();
        }
        fs::write(&p, content).unwrap();
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn pairs(v: &[(&str, &str)]) -> Vec<(Vec<u8>, Vec<u8>)> {
    v.iter()
        .map(|(a, b)| (a.as_bytes().to_vec(), b.as_bytes().to_vec()))
        .collect()
}

fn load_text(text: &str) -> Result<ServerConfig, ConfigError> {
    let t = TempDir::new();
    let p = t.write("redis.conf", text);
    ServerConfig::load(Some(&p), &[])
}

/// Why loading a file holding `text` fails.
fn load_err(text: &str) -> String {
    load_text(text).unwrap_err().reason
}

fn get1(cfg: &ServerConfig, name: &str) -> String {
    cfg.value(name)
        .map(|v| String::from_utf8(v).unwrap())
        .unwrap()
}

#[test]
fn defaults_match_redis_7_0() {
    let c = ServerConfig::default();
    let s = c.settings();
    assert_eq!(s.port, 6379);
    assert_eq!(
        s.bind,
        vec![
            BindAddr {
                addr: "*".into(),
                optional: false
            },
            BindAddr {
                addr: "::*".into(),
                optional: true
            }
        ]
    );
    assert!(s.protected_mode);
    assert_eq!(s.requirepass, None);
    assert_eq!(s.databases, 16);
    assert_eq!(s.hz, 10);
    assert_eq!(s.maxmemory, 0);
    assert_eq!(s.maxmemory_policy, MaxmemoryPolicy::NoEviction);
    assert_eq!(s.maxmemory_samples, 5);
    assert_eq!(s.tcp_keepalive, 300);
    assert_eq!(s.tcp_backlog, 511);
    assert_eq!(s.maxclients, 10000);
    assert_eq!(s.proto_max_bulk_len, 512 << 20);
    assert_eq!(s.client_query_buffer_limit, 1 << 30);
    assert_eq!((s.slowlog_log_slower_than, s.slowlog_max_len), (10000, 128));
    assert_eq!(s.loglevel, LogLevel::Notice);
    assert_eq!(s.logfile, "");
    assert_eq!(s.dbfilename, "dump.rdb");
    assert_eq!(s.notify_keyspace_events, 0);
    assert_eq!(
        s.obuf_limit(ClientClass::Replica),
        ObufLimit {
            hard: 256 << 20,
            soft: 64 << 20,
            soft_seconds: 60
        }
    );
    assert_eq!(s.obuf_limit(ClientClass::Normal), ObufLimit::default());
    assert_eq!(s.enable_debug_command, Allow::No);
    assert!(s.dir.is_absolute());
    assert_eq!(get1(&c, "dir"), s.dir.to_string_lossy());
    assert_eq!(get1(&c, "save"), "3600 1 300 100 60 10000");
    assert_eq!(
        get1(&c, "client-output-buffer-limit"),
        "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
    );
    assert_eq!(c.config_file(), None);
}

#[test]
fn file_then_command_line() {
    let t = TempDir::new();
    let p = t.write(
        "redis.conf",
        "# hi\nport 7000\nbind 127.0.0.1 -::1\nrequirepass \"s3 cret\"\nmaxmemory 100mb\n\
         maxmemory-policy ALLKEYS-LFU\nnotify-keyspace-events Ex\n\
         rename-command FLUSHALL \"\"\nrename-command KEYS mykeys\n\
         user alice on >pw ~* +@all\nuser bob off\n\
         client-output-buffer-limit normal 1mb 2mb 3 pubsub 1 2 3\n\
         client-output-buffer-limit replica 1gb 1gb 0\n\
         loglevel warning\nenable-debug-command local\n",
    );
    let cli = strings(&[
        "--port",
        "7001",
        "--maxmemory",
        "2gb",
        "--save",
        "--hz",
        "1000",
    ]);
    let c = ServerConfig::load(Some(&p), &cli).unwrap();
    let s = c.settings();
    assert_eq!(s.port, 7001);
    assert_eq!(s.bind[1].addr, "::1");
    assert!(s.bind[1].optional);
    assert_eq!(s.requirepass.as_deref(), Some(&b"s3 cret"[..]));
    assert_eq!(s.maxmemory, 2 << 30);
    assert_eq!(s.maxmemory_policy, MaxmemoryPolicy::AllKeysLfu);
    assert_eq!(s.notify_keyspace_events, NOTIFY_KEYEVENT | NOTIFY_EXPIRED);
    assert_eq!(
        s.rename_commands,
        vec![
            ("FLUSHALL".to_string(), Vec::new()),
            ("KEYS".to_string(), b"mykeys".to_vec())
        ]
    );
    assert_eq!(s.users.len(), 2);
    assert_eq!(s.users[1], vec![b"bob".to_vec(), b"off".to_vec()]);
    assert_eq!(
        s.obuf_limit(ClientClass::Normal),
        ObufLimit {
            hard: 1 << 20,
            soft: 2 << 20,
            soft_seconds: 3
        }
    );
    assert_eq!(s.obuf_limit(ClientClass::Replica).hard, 1 << 30);
    assert_eq!(s.obuf_limit(ClientClass::Pubsub).soft_seconds, 3);
    assert_eq!(s.loglevel, LogLevel::Warning);
    assert_eq!(s.enable_debug_command, Allow::Local);
    assert_eq!(s.hz, 500, "hz is clamped like Redis");
    assert_eq!(get1(&c, "hz"), "1000");
    assert_eq!(get1(&c, "save"), "");
    assert!(c.config_file().unwrap().is_absolute());
}

#[test]
fn errors_name_file_and_line() {
    let t = TempDir::new();
    let p = t.write("bad.conf", "port 7000\nport \"abc\"\n");
    let e = ServerConfig::load(Some(&p), &[]).unwrap_err();
    let text = e.to_string();
    assert!(text.contains(&format!(
        "Reading the configuration file '{}', at line 2",
        p.display()
    )));
    assert!(text.contains(">>> 'port \"abc\"'"));
    assert!(text.ends_with("argument couldn't be parsed into an integer"));

    let e = load_text("\n\nfoo bar\n").unwrap_err();
    assert_eq!(e.location.as_ref().map(|l| l.line), Some(3));
    assert_eq!(e.reason, "Bad directive or wrong number of arguments");

    assert_eq!(load_err("port 1 2\n"), "wrong number of arguments");
    assert_eq!(
        load_err("maxmemory 1x\n"),
        "argument must be a memory value"
    );
    assert_eq!(
        load_err("bind \"a\"b\n"),
        "Unbalanced quotes in configuration line"
    );
    assert_eq!(
        load_err("rename-command a\n"),
        "Bad directive or wrong number of arguments"
    );
    assert_eq!(
        load_err("user\n"),
        "Bad directive or wrong number of arguments"
    );
    assert!(load_text("dir /nonexistent/vigil/dir\n").is_err());

    let e = ServerConfig::load(None, &strings(&["--port", "1", "--bogus", "3"])).unwrap_err();
    let loc = e.location.unwrap();
    assert_eq!(loc.file, PathBuf::from(COMMAND_LINE));
    assert_eq!((loc.line, loc.text.as_str()), (2, "bogus \"3\""));

    let e = ServerConfig::load(Some(Path::new("/nonexistent/vigil.conf")), &[]).unwrap_err();
    assert!(e.location.is_none());
    assert!(
        e.reason
            .contains("can't open config file '/nonexistent/vigil.conf'")
    );
}

#[test]
fn deprecated_directives_are_ignored() {
    let c = load_text("list-max-ziplist-entries 512\nlua-replicate-commands yes\n").unwrap();
    assert_eq!(c.settings().port, 6379);
    assert!(load_text("list-max-ziplist-entries 1 2\n").is_err());
}

#[test]
fn daemonize_refused_replicaof_accepted_at_startup() {
    let e = load_text("daemonize yes\n").unwrap_err();
    assert!(e.reason.contains("foreground"), "{e}");
    assert_eq!(e.location.unwrap().line, 1);
    let t = TempDir::new();
    let p = t.write("d.conf", "daemonize yes\n");
    assert!(ServerConfig::load(Some(&p), &strings(&["--daemonize", "no"])).is_ok());

    for text in ["replicaof 10.0.0.1 6379\n", "slaveof 10.0.0.1 6379\n"] {
        let c = load_text(text).unwrap();
        assert_eq!(c.value("replicaof").unwrap(), b"10.0.0.1 6379");
    }
    assert!(load_text("replicaof 10.0.0.1 6379\nreplicaof no one\n").is_ok());
}

#[test]
fn includes() {
    let t = TempDir::new();
    let sub = t.write("sub.conf", "port 7002\nmaxmemory 1mb\n");
    t.write("conf.d/b.conf", "maxmemory 3mb\n");
    t.write("conf.d/a.conf", "maxmemory 2mb\nhz 20\n");
    let main = t.write(
        "main.conf",
        &format!(
            "port 7001\ninclude {}\ninclude {}/conf.d/*.conf\ninclude {}/empty.d/*.conf\ntimeout 5\n",
            sub.display(),
            t.0.display(),
            t.0.display()
        ),
    );
    let lines = read_config_file(&main).unwrap();
    let names: Vec<(&str, usize)> = lines.iter().map(|l| (l.name.as_str(), l.line)).collect();
    assert_eq!(
        names,
        [
            ("port", 1),
            ("port", 1),
            ("maxmemory", 2),
            ("maxmemory", 1),
            ("hz", 2),
            ("maxmemory", 1),
            ("timeout", 5)
        ]
    );
    assert_eq!(lines[1].file, sub);
    let c = ServerConfig::load(Some(&main), &[]).unwrap();
    assert_eq!(c.settings().port, 7002);
    assert_eq!(c.settings().maxmemory, 3 << 20);

    // A missing include is an error at the include line.
    let bad = t.write("bad.conf", "port 1\ninclude /nonexistent/x.conf\n");
    let e = read_config_file(&bad).unwrap_err();
    assert_eq!(e.location.unwrap().line, 2);
    assert!(e.reason.contains("can't open config file"));

    // Errors inside an included file name that file.
    let inner = t.write("inner.conf", "\nfoo 1\n");
    let outer = t.write("outer.conf", &format!("include {}\n", inner.display()));
    let loc = ServerConfig::load(Some(&outer), &[])
        .unwrap_err()
        .location
        .unwrap();
    assert_eq!((loc.file, loc.line), (inner, 2));
}

#[test]
fn include_loops_and_depth() {
    let t = TempDir::new();
    let a = t.0.join("a.conf");
    let b = t.0.join("b.conf");
    fs::write(&a, format!("port 1\ninclude {}\n", b.display())).unwrap();
    fs::write(&b, format!("include {}\n", a.display())).unwrap();
    let e = read_config_file(&a).unwrap_err();
    assert!(e.reason.contains("include loop"), "{e}");
    assert_eq!(e.location.unwrap().file, b);

    for i in 0..=MAX_INCLUDE_DEPTH + 1 {
        let next = t.0.join(format!("n{}.conf", i + 1));
        t.write(
            &format!("n{i}.conf"),
            &format!("include {}\n", next.display()),
        );
    }
    t.write(&format!("n{}.conf", MAX_INCLUDE_DEPTH + 2), "port 1\n");
    let e = read_config_file(&t.0.join("n0.conf")).unwrap_err();
    assert!(e.reason.contains("deeper than 16"), "{e}");
    // Exactly 16 levels of include are fine.
    let e = read_config_file(&t.0.join("n2.conf"));
    assert!(e.is_ok(), "{e:?}");
}

#[test]
fn config_get_globs() {
    let c = ServerConfig::default();
    let names =
        |p: &str| -> Vec<String> { c.get(p.as_bytes()).into_iter().map(|(n, _)| n).collect() };
    assert_eq!(
        c.get(b"maxmemory"),
        vec![("maxmemory".to_string(), "0".to_string())]
    );
    assert_eq!(
        c.get(b"PORT"),
        vec![("PORT".to_string(), "6379".to_string())]
    );
    assert_eq!(
        c.get(b"slaveof"),
        vec![("slaveof".to_string(), String::new())]
    );
    assert!(c.get(b"user").is_empty());
    assert!(c.get(b"nope").is_empty());
    let mm = names("maxmemory*");
    for n in [
        "maxmemory",
        "maxmemory-policy",
        "maxmemory-samples",
        "maxmemory-clients",
    ] {
        assert!(mm.contains(&n.to_string()), "{n}");
    }
    assert!(names("MAXMEMORY-P*").contains(&"maxmemory-policy".to_string()));
    let slave = names("*slave*");
    assert!(slave.contains(&"slaveof".to_string()));
    assert!(slave.contains(&"slave-read-only".to_string()));
    assert!(!slave.contains(&"replica-read-only".to_string()));
    let hash = names("hash-max-*");
    assert_eq!(hash.len(), 4, "{hash:?}");
    assert_eq!(names("p?rt"), ["port"]);
    assert_eq!(names("[p]ort"), ["port"]);
    assert!(
        !names("*")
            .iter()
            .any(|n| n == "user" || n == "rename-command")
    );
    assert_eq!(c.get(b"dir")[0].1, c.settings().dir.to_string_lossy());
}

#[test]
fn config_set_errors_use_redis_texts() {
    let mut c = ServerConfig::default();
    assert_eq!(
        c.set(&pairs(&[("foo", "bar")])),
        Err("ERR Unknown option or number of arguments for CONFIG SET - 'foo'".into())
    );
    assert_eq!(
        c.set(&pairs(&[("maxmemory", "abc")])),
        Err("ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value".into())
    );
    assert_eq!(
        c.set(&pairs(&[("maxmemory", "1gb"), ("maxmemory", "2gb")])),
        Err("ERR CONFIG SET failed (possibly related to argument 'maxmemory') - duplicate parameter".into())
    );
    assert_eq!(
        c.set(&pairs(&[("slave-read-only", "no"), ("replica-read-only", "no")])),
        Err("ERR CONFIG SET failed (possibly related to argument 'replica-read-only') - duplicate parameter".into())
    );
    assert_eq!(
        c.set(&pairs(&[("databases", "3")])),
        Err("ERR CONFIG SET failed (possibly related to argument 'databases') - can't set immutable config".into())
    );
    assert_eq!(
        c.set(&pairs(&[("dir", "/tmp")])),
        Err("ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config".into())
    );
    assert!(
        c.set(&pairs(&[("user", "x on")]))
            .unwrap_err()
            .starts_with("ERR Unknown option")
    );
    assert!(
        c.set(&pairs(&[("rename-command", "a b")]))
            .unwrap_err()
            .starts_with("ERR Unknown option")
    );
}

#[test]
fn config_set_is_atomic() {
    let mut c = ServerConfig::default();
    let before = c.clone();
    let err = c
        .set(&pairs(&[
            ("maxmemory", "1gb"),
            ("hz", "20"),
            ("port", "abc"),
        ]))
        .unwrap_err();
    assert_eq!(
        err,
        "ERR CONFIG SET failed (possibly related to argument 'port') - argument couldn't be parsed into an integer"
    );
    assert_eq!(c.settings(), before.settings());
    assert_eq!(get1(&c, "maxmemory"), "0");
    // A later unknown name also leaves everything untouched.
    assert!(
        c.set(&pairs(&[("maxmemory", "1gb"), ("nope", "1")]))
            .is_err()
    );
    assert_eq!(c.settings().maxmemory, 0);

    let changed = c
        .set(&pairs(&[
            ("maxmemory", "1gb"),
            ("hz", "10"),
            ("slave-read-only", "no"),
            ("client-output-buffer-limit", "pubsub 1 2 3"),
            ("notify-keyspace-events", "KEA"),
        ]))
        .unwrap();
    assert_eq!(
        changed,
        [
            "maxmemory",
            "replica-read-only",
            "client-output-buffer-limit",
            "notify-keyspace-events"
        ]
    );
    assert_eq!(c.settings().maxmemory, 1 << 30);
    assert_eq!(get1(&c, "replica-read-only"), "no");
    assert_eq!(get1(&c, "notify-keyspace-events"), "AKE");
    assert_eq!(
        c.settings().notify_keyspace_events,
        NOTIFY_ALL | NOTIFY_KEYSPACE | NOTIFY_KEYEVENT
    );
    assert_eq!(
        get1(&c, "client-output-buffer-limit"),
        "normal 0 0 0 slave 268435456 67108864 60 pubsub 1 2 3"
    );
}

#[test]
fn protected_configs() {
    let t = TempDir::new();
    let mut c =
        ServerConfig::load(None, &strings(&["--enable-protected-configs", "local"])).unwrap();
    let d = t.0.to_string_lossy().into_owned();
    assert!(c.set(&pairs(&[("dir", &d)])).is_err());
    assert_eq!(
        c.set_for_client(&pairs(&[("dir", &d)]), true),
        Ok(vec!["dir".to_string()])
    );
    assert_eq!(c.settings().dir, fs::canonicalize(&t.0).unwrap());
    assert_eq!(
        get1(&c, "dir"),
        fs::canonicalize(&t.0).unwrap().to_string_lossy()
    );
    assert!(
        c.set_for_client(&pairs(&[("dir", "/nonexistent/vigil")]), true)
            .unwrap_err()
            .contains("No such file or directory")
    );
}

#[test]
fn warnings_for_unsupported_directives() {
    let c = load_text("save \"\"\n").unwrap();
    assert!(c.warnings().is_empty(), "{:?}", c.warnings());
    // AOF is implemented: its directives warn about nothing.
    let c = load_text("save \"\"\nappendonly yes\nappendfsync always\nrepl-timeout 60\n").unwrap();
    assert!(c.warnings().is_empty(), "{:?}", c.warnings());
    let c = load_text("tls-replication yes\n").unwrap();
    let w = c.warnings();
    assert_eq!(w.len(), 1, "{w:?}");
    assert_eq!(
        w[0],
        "directive 'tls-replication' is accepted but not supported yet by vigil: it has no effect"
    );
    // RDB persistence is implemented: the default save points warn about nothing.
    assert!(ServerConfig::default().warnings().is_empty());
}

#[test]
fn aof_file_names_must_be_plain_names() {
    let err = load_text("appendfilename a/b\n").unwrap_err().to_string();
    assert!(
        err.contains("appendfilename can't be a path, just a filename"),
        "{err}"
    );
    let err = load_text("appenddirname \"\"\n").unwrap_err().to_string();
    assert!(err.contains("appenddirname can't be empty"), "{err}");
    let c = load_text("appendfilename x.aof\nappenddirname d\n").unwrap();
    assert_eq!(c.appendfilename, "x.aof");
    assert_eq!(c.appenddirname, "d");
}

const REWRITE_INPUT: &str = "\
# Top comment

port 7000
save 900 1
save 300 10
  # indented comment
hash-max-ziplist-entries 100
hash-max-listpack-entries 200
slave-read-only yes
include /dev/null
maxmemory 100mb
rename-command KEYS mykeys
rename-command FLUSHALL \"\"
client-output-buffer-limit normal 0 0 0
client-output-buffer-limit pubsub 32mb 8mb 60
notify-keyspace-events \"\"
";

#[test]
fn rewrite_in_place() {
    let t = TempDir::new();
    let p = t.write("redis.conf", REWRITE_INPUT);
    let mut c = ServerConfig::load(Some(&p), &[]).unwrap();
    c.set(&pairs(&[
        ("maxmemory", "200mb"),
        ("hash-max-ziplist-entries", "300"),
        ("slave-read-only", "no"),
        ("save", "60 5"),
        ("notify-keyspace-events", "KEA"),
        ("client-output-buffer-limit", "replica 1 2 3"),
        ("hz", "20"),
        ("requirepass", "a \"b\""),
        ("maxmemory-policy", "allkeys-lru"),
    ]))
    .unwrap();
    c.rewrite().unwrap();
    let got = fs::read_to_string(&p).unwrap();
    let expected = "\
# Top comment

port 7000
save 60 5
  # indented comment
hash-max-listpack-entries 300
replica-read-only no
include /dev/null
maxmemory 200mb
rename-command KEYS mykeys
rename-command FLUSHALL \"\"
client-output-buffer-limit normal 0 0 0
client-output-buffer-limit replica 1 2 3
notify-keyspace-events \"AKE\"

# Generated by CONFIG REWRITE
hz 20
requirepass \"a \\\"b\\\"\"
maxmemory-policy allkeys-lru
";
    assert_eq!(got, expected);

    // A second rewrite with the same values changes nothing.
    let again = ServerConfig::load(Some(&p), &[]).unwrap();
    again.rewrite().unwrap();
    assert_eq!(fs::read_to_string(&p).unwrap(), expected);
    assert_eq!(again.settings(), c.settings());

    // Further changes are appended under the existing signature.
    let mut again = again;
    again.set(&pairs(&[("timeout", "30")])).unwrap();
    again.rewrite().unwrap();
    assert_eq!(
        fs::read_to_string(&p).unwrap(),
        format!("{expected}timeout 30\n")
    );
    // No temp files left behind.
    assert_eq!(fs::read_dir(&t.0).unwrap().count(), 1);
}

#[test]
fn rewrite_comments_out_unknown_and_needs_a_file() {
    assert_eq!(
        ServerConfig::default().rewrite(),
        Err("ERR The server is running without a config file".into())
    );
    let t = TempDir::new();
    let p = t.write("r.conf", "port 7000\n");
    let c = ServerConfig::load(Some(&p), &[]).unwrap();
    fs::write(&p, "port 7000\nbogus 1\nbind \"x\n").unwrap();
    c.rewrite().unwrap();
    assert_eq!(
        fs::read_to_string(&p).unwrap(),
        "port 7000\n# ??? bogus 1\n# ??? bind \"x\n\n# Generated by CONFIG REWRITE\n\
         save 3600 1\nsave 300 100\nsave 60 10000\n"
    );
}

#[test]
fn rewrite_round_trip() {
    let t = TempDir::new();
    let p = t.write(
        "rt.conf",
        "# keep me\nport 7005\nuser alice on \">p\\x20w\" ~* +@all\nuser bob off\n\
         rename-command CONFIG \"\"\nbind 127.0.0.1 -::1\nsave \"\"\n",
    );
    let cli = strings(&[
        "--requirepass",
        "p a\"s\\s\n",
        "--maxmemory",
        "1500",
        "--maxmemory-clients",
        "10%",
        "--client-output-buffer-limit",
        "normal",
        "1kb",
        "2k",
        "3",
        "--oom-score-adj-values",
        "-10",
        "0",
        "10",
        "--latency-tracking-info-percentiles",
        "",
        "--shutdown-on-sigterm",
        "nosave",
        "force",
        "--unixsocketperm",
        "0700",
        "--proc-title-template",
        "{title} {port}",
        "--notify-keyspace-events",
        "Kx",
        "--logfile",
        "",
        "--slowlog-log-slower-than",
        "-1",
        "--list-max-listpack-size",
        "-5",
    ]);
    let c = ServerConfig::load(Some(&p), &cli).unwrap();
    c.rewrite().unwrap();
    let back = ServerConfig::load(Some(&p), &[]).unwrap();
    assert_eq!(back.get(b"*"), c.get(b"*"));
    assert_eq!(back.settings(), c.settings());
    assert_eq!(back.lines("user"), c.lines("user"));
    assert_eq!(back.settings().users[0][2], b">p w".to_vec());
    assert!(
        fs::read_to_string(&p)
            .unwrap()
            .starts_with("# keep me\nport 7005\n")
    );
}

/// Debian's stock file (from `apt-get install redis-server`) must load; it
/// says `daemonize yes`, which vigil refuses unless overridden.
#[test]
fn debian_stock_redis_conf() {
    let path = Path::new("/etc/redis/redis.conf");
    if !path.exists() {
        eprintln!("skipping: {} not present", path.display());
        return;
    }
    let lines = read_config_file(path).unwrap();
    assert!(lines.len() > 50);
    let e = ServerConfig::load(Some(path), &[]).unwrap_err();
    assert!(e.reason.contains("daemonize"), "{e}");
    let mut c = match ServerConfig::load(Some(path), &strings(&["--daemonize", "no"])) {
        Ok(c) => c,
        // `dir` must exist; it does once the redis-server package is set up.
        Err(e) if e.reason.contains("No such file") => return,
        Err(e) => panic!("{e}"),
    };
    let s = c.settings();
    assert_eq!(s.port, 6379);
    assert_eq!(s.bind[0].addr, "127.0.0.1");
    assert!(s.bind[1].optional);
    let w = c.warnings();
    assert!(!w.iter().any(|w| w.contains("'save'")), "{w:?}");
    // Every directive the file sets is reported by CONFIG GET as written.
    assert_eq!(get1(&c, "hash-max-listpack-entries"), "512");
    assert_eq!(
        get1(&c, "auto-aof-rewrite-min-size"),
        (64u64 << 20).to_string()
    );
    // Rewriting a copy changes only what it must: the overridden
    // `daemonize` line, plus the save points, which Redis always writes.
    let t = TempDir::new();
    let copy = t.0.join("redis.conf");
    fs::copy(path, &copy).unwrap();
    let original = fs::read_to_string(&copy).unwrap();
    c = ServerConfig::load(Some(&copy), &strings(&["--daemonize", "no"])).unwrap();
    c.rewrite().unwrap();
    let rewritten = fs::read_to_string(&copy).unwrap();
    let before: Vec<&str> = original.lines().collect();
    let after: Vec<&str> = rewritten.lines().collect();
    assert_eq!(
        after[before.len()..],
        [
            "",
            "# Generated by CONFIG REWRITE",
            "save 3600 1",
            "save 300 100",
            "save 60 10000"
        ]
    );
    let diffs: Vec<(&str, &str)> = before
        .iter()
        .zip(&after)
        .filter(|(a, b)| a != b)
        .map(|(a, b)| (*a, *b))
        .collect();
    assert_eq!(diffs, [("daemonize yes", "daemonize no")]);
    let back = ServerConfig::load(Some(&copy), &[]).unwrap();
    assert_eq!(back.get(b"*"), c.get(b"*"));
}

const SENTINEL_INPUT: &str = "\
# Sentinel config with comments
port 27001

# masters
sentinel monitor mymaster 127.0.0.1 6379 2
SENTINEL down-after-milliseconds mymaster 1000
sentinel known-replica mymaster 127.0.0.1 6380
sentinel known-replica mymaster 127.0.0.1 6381
# stale state below
sentinel known-sentinel mymaster 127.0.0.1 27002 aaaa
sentinel
logfile \"\"
";

#[test]
fn sentinel_load_collects_directives_with_locations() {
    let t = TempDir::new();
    let p = t.write("sentinel.conf", SENTINEL_INPUT);
    let cli = strings(&[
        "--sentinel",
        "announce-ip",
        "10.0.0.1",
        "--loglevel",
        "warning",
    ]);
    let (cfg, directives) = ServerConfig::load_sentinel(&p, &cli).unwrap();
    assert_eq!(cfg.port, 27001);
    assert!(!cfg.protected_mode);
    assert_eq!(get1(&cfg, "loglevel"), "warning");
    assert_eq!(cfg.config_file(), Some(p.as_path()));
    let file = p.display().to_string();
    assert_eq!(
        directives,
        vec![
            (
                format!("{file}:5"),
                strings(&["monitor", "mymaster", "127.0.0.1", "6379", "2"])
            ),
            (
                format!("{file}:6"),
                strings(&["down-after-milliseconds", "mymaster", "1000"])
            ),
            (
                format!("{file}:7"),
                strings(&["known-replica", "mymaster", "127.0.0.1", "6380"])
            ),
            (
                format!("{file}:8"),
                strings(&["known-replica", "mymaster", "127.0.0.1", "6381"])
            ),
            (
                format!("{file}:10"),
                strings(&["known-sentinel", "mymaster", "127.0.0.1", "27002", "aaaa"])
            ),
            (
                format!("{COMMAND_LINE}:1"),
                strings(&["announce-ip", "10.0.0.1"])
            ),
        ]
    );
    // Sentinel defaults: port 26379 when not configured; protected mode off even if asked.
    let p2 = t.write("s2.conf", "protected-mode yes\n");
    let (cfg, directives) = ServerConfig::load_sentinel(&p2, &[]).unwrap();
    assert_eq!(cfg.port, 26379);
    assert!(!cfg.protected_mode);
    assert!(directives.is_empty());
    // Generic directives are still validated.
    let p3 = t.write("s3.conf", "port abc\n");
    let e = ServerConfig::load_sentinel(&p3, &[]).unwrap_err();
    assert_eq!(e.location.unwrap().line, 1);
    assert!(ServerConfig::load_sentinel(&t.0.join("missing.conf"), &[]).is_err());
}

#[test]
fn sentinel_rewrite_keeps_comments_and_reuses_lines_by_directive() {
    let t = TempDir::new();
    let p = t.write("sentinel.conf", SENTINEL_INPUT);
    let (cfg, _) = ServerConfig::load_sentinel(&p, &[]).unwrap();
    let lines = vec![
        strings(&["myid", "0123456789012345678901234567890123456789"]),
        strings(&["monitor", "mymaster", "127.0.0.1", "6380", "2"]),
        strings(&["down-after-milliseconds", "mymaster", "1000"]),
        strings(&["config-epoch", "mymaster", "1"]),
        strings(&["known-replica", "mymaster", "127.0.0.1", "6379"]),
        strings(&["known-replica", "mymaster", "127.0.0.1", "6381"]),
        strings(&["known-replica", "mymaster", "127.0.0.1", "6382"]),
        strings(&["current-epoch", "1"]),
        strings(&["announce-ip", "10.0.0.1"]),
        strings(&["auth-pass", "mymaster", "a b"]),
    ];
    cfg.rewrite_sentinel(&lines).unwrap();
    let got = fs::read_to_string(&p).unwrap();
    let expected = "\
# Sentinel config with comments
port 27001

# masters
sentinel monitor mymaster 127.0.0.1 6380 2
sentinel down-after-milliseconds mymaster 1000
sentinel known-replica mymaster 127.0.0.1 6379
sentinel known-replica mymaster 127.0.0.1 6381
# stale state below
sentinel
logfile \"\"

# Generated by CONFIG REWRITE
protected-mode no
sentinel myid 0123456789012345678901234567890123456789
sentinel config-epoch mymaster 1
sentinel known-replica mymaster 127.0.0.1 6382
sentinel current-epoch 1
sentinel announce-ip \"10.0.0.1\"
sentinel auth-pass mymaster \"a b\"
";
    assert_eq!(got, expected);
    // The rewritten file loads back to the same directives, and a second flush is stable.
    let (cfg2, directives) = ServerConfig::load_sentinel(&p, &[]).unwrap();
    let words: Vec<Vec<String>> = directives.into_iter().map(|(_, w)| w).collect();
    let mut sorted_lines = lines.clone();
    let mut sorted_words = words.clone();
    sorted_lines.sort();
    sorted_words.sort();
    assert_eq!(sorted_words, sorted_lines);
    cfg2.rewrite_sentinel(&lines).unwrap();
    assert_eq!(fs::read_to_string(&p).unwrap(), expected);
    // Fewer lines: the stale ones go, the rest stay where they are.
    cfg2.rewrite_sentinel(&lines[..3]).unwrap();
    let got = fs::read_to_string(&p).unwrap();
    assert!(!got.contains("known-replica"), "{got}");
    assert!(got.contains("# stale state below\n"), "{got}");
    assert_eq!(fs::read_dir(&t.0).unwrap().count(), 1);
}

#[test]
fn loading_process_events_interval_bytes_is_accepted() {
    // tests/sentinel 12-master-reboot sets it before slowing a restart's load down.
    let mut c = ServerConfig::default();
    assert_eq!(get1(&c, "loading-process-events-interval-bytes"), "2097152");
    c.set(&pairs(&[("loading-process-events-interval-bytes", "1024")]))
        .unwrap();
    assert_eq!(get1(&c, "loading-process-events-interval-bytes"), "1024");
    assert_eq!(
        c.set(&pairs(&[("loading-process-events-interval-bytes", "1000")])),
        Err("ERR CONFIG SET failed (possibly related to argument 'loading-process-events-interval-bytes') - argument must be between 1024 and 2147483647 inclusive".into())
    );
}
