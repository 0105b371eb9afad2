//! Configuration end to end: a real config file (comments, include, quoting, rename-command),
//! CONFIG GET/SET/REWRITE, startup errors, command-line overrides, logging, and shutdown.

mod common;

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use common::{Server, against_redis, q, q_err, vigil_bin};

/// A scratch directory removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!(
            "vigil-config-test-{}-{tag}-{}",
            std::process::id(),
            Instant::now().elapsed().as_nanos()
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("mkdir");
        TempDir(p)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, text).expect("write config");
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The server command: `vigil server` (or the real redis-server when testing against it).
fn server_command() -> Command {
    match against_redis() {
        Some(bin) => Command::new(bin),
        None => {
            let mut c = Command::new(vigil_bin());
            c.arg("server");
            c
        }
    }
}

/// Waits for a process to exit, killing it after `timeout`.
fn wait_exit(child: &mut std::process::Child, timeout: Duration) -> ExitStatus {
    let deadline = Instant::now() + timeout;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("process did not exit within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Runs the server with `args`, expecting it to refuse to start; returns (status, stderr+stdout).
fn start_failure(args: &[&str]) -> (ExitStatus, String) {
    let mut child = server_command()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let status = wait_exit(&mut child, Duration::from_secs(5));
    let mut out = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut out);
    }
    if let Some(mut o) = child.stdout.take() {
        let _ = o.read_to_string(&mut out);
    }
    (status, out)
}

fn config_map(c: &mut redis::Connection, patterns: &[&str]) -> HashMap<String, String> {
    let mut args = vec!["CONFIG", "GET"];
    args.extend_from_slice(patterns);
    q(c, &args)
}

fn get1(c: &mut redis::Connection, name: &str) -> String {
    config_map(c, &[name])
        .remove(name)
        .unwrap_or_else(|| panic!("no {name}"))
}

fn main_file(dir: &TempDir) -> (PathBuf, PathBuf) {
    let extra = dir.write(
        "extra.conf",
        "# included file\nmaxmemory-samples 7\nhz 15\n",
    );
    let main = dir.write(
        "main.conf",
        &format!(
            "# vigil test configuration\n\
             \n\
             # memory\n\
             maxmemory 3mb\n\
             maxmemory-policy allkeys-lru   # trailing text is not a comment in Redis\n\
             \n\
             include {}\n\
             \n\
             # quoting\n\
             notify-keyspace-events \"Ex\"\n\
             dbfilename 'my dump.rdb'\n\
             \n\
             # commands\n\
             rename-command KEYS \"\"\n\
             rename-command GET fetch\n\
             databases 4\n\
             port 1\n",
            extra.display()
        ),
    );
    (main, extra)
}

#[test]
fn config_file_with_include_quoting_and_rename_command() {
    let dir = TempDir::new("file");
    let (main, _) = main_file(&dir);
    // A trailing comment is not allowed by Redis either: check the file is refused.
    let (status, out) = start_failure(&[main.to_str().unwrap_or_default()]);
    assert!(!status.success());
    assert!(out.contains("maxmemory-policy allkeys-lru"), "{out}");
    // Without it, the file loads.
    let text = std::fs::read_to_string(&main).expect("read");
    let text = text.replace("   # trailing text is not a comment in Redis", "");
    std::fs::write(&main, text).expect("write");
    // `port 1` in the file is overridden by --port on the command line (later wins).
    let s = Server::start_with(Some(&main), &[]);
    let mut c = s.conn();
    assert_eq!(get1(&mut c, "port"), s.port.to_string());
    assert_eq!(get1(&mut c, "maxmemory"), "3145728");
    assert_eq!(get1(&mut c, "maxmemory-policy"), "allkeys-lru");
    assert_eq!(get1(&mut c, "maxmemory-samples"), "7");
    assert_eq!(get1(&mut c, "hz"), "15");
    assert_eq!(get1(&mut c, "notify-keyspace-events"), "xE");
    assert_eq!(get1(&mut c, "dbfilename"), "my dump.rdb");
    assert_eq!(get1(&mut c, "databases"), "4");
    assert_eq!(
        q_err(&mut c, &["SELECT", "4"]),
        "ERR DB index is out of range"
    );
    // Renamed and disabled commands.
    let _: () = q(&mut c, &["SET", "k", "v"]);
    assert_eq!(q::<String>(&mut c, &["FETCH", "k"]), "v");
    assert!(q_err(&mut c, &["GET", "k"]).starts_with("ERR unknown command 'GET'"));
    assert_eq!(
        q_err(&mut c, &["KEYS", "*"]),
        "ERR unknown command 'KEYS', with args beginning with: '*' "
    );
}

#[test]
fn config_get_globs_and_case() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let mm = config_map(&mut c, &["maxmemory*"]);
    for k in [
        "maxmemory",
        "maxmemory-policy",
        "maxmemory-samples",
        "maxmemory-eviction-tenacity",
        "maxmemory-clients",
    ] {
        assert!(mm.contains_key(k), "missing {k} in {mm:?}");
    }
    assert!(mm.keys().all(|k| k.starts_with("maxmemory")));
    let two = config_map(&mut c, &["port", "databases"]);
    assert_eq!(two.len(), 2);
    assert_eq!(two["databases"], "16");
    assert_eq!(two["port"], s.port.to_string());
    // Names are case-insensitive and echoed as given.
    assert_eq!(
        config_map(&mut c, &["MaxMemory"])
            .get("MaxMemory")
            .map(String::as_str),
        Some("0")
    );
    assert!(config_map(&mut c, &["nosuch"]).is_empty());
    assert!(config_map(&mut c, &["nosuch*"]).is_empty());
    let all = config_map(&mut c, &["*"]);
    assert!(all.len() > 100, "only {} parameters", all.len());
    let one_char = config_map(&mut c, &["h?"]);
    assert_eq!(one_char.keys().collect::<Vec<_>>(), vec!["hz"]);
    let class = config_map(&mut c, &["[pd]ort"]);
    assert_eq!(class.len(), 1);
    // Overlapping patterns do not repeat a parameter.
    let v: Vec<String> = q(&mut c, &["CONFIG", "GET", "port", "por*"]);
    assert_eq!(v, vec!["port".to_string(), s.port.to_string()]);
    assert_eq!(
        q_err(&mut c, &["CONFIG", "GET"]),
        "ERR wrong number of arguments for 'config|get' command"
    );
}

#[test]
fn config_set_is_atomic() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    assert_eq!(
        q_err(
            &mut c,
            &[
                "CONFIG",
                "SET",
                "maxmemory",
                "10mb",
                "maxmemory-policy",
                "bogus"
            ]
        ),
        "ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy') - argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction"
    );
    assert_eq!(get1(&mut c, "maxmemory"), "0");
    assert_eq!(
        q_err(&mut c, &["CONFIG", "SET", "maxmemory", "10mb", "hz", "abc"]),
        "ERR CONFIG SET failed (possibly related to argument 'hz') - argument couldn't be parsed into an integer"
    );
    assert_eq!(get1(&mut c, "maxmemory"), "0");
    assert_eq!(
        q_err(
            &mut c,
            &["CONFIG", "SET", "maxmemory", "10mb", "maxmemory", "20mb"]
        ),
        "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - duplicate parameter"
    );
    assert_eq!(
        q_err(&mut c, &["CONFIG", "SET", "hz", "20", "nosuch", "1"]),
        "ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'"
    );
    assert_eq!(get1(&mut c, "hz"), "10");
    assert_eq!(
        q_err(&mut c, &["CONFIG", "SET", "daemonize", "yes"]),
        "ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config"
    );
    assert_eq!(
        q_err(&mut c, &["CONFIG", "SET", "maxmemory"]),
        "ERR wrong number of arguments for 'config|set' command"
    );
    assert_eq!(
        q_err(&mut c, &["CONFIG", "SET", "maxmemory", "1mb", "hz"]),
        "ERR syntax error"
    );
    // All good: everything applies, in effect at once.
    assert_eq!(
        q::<String>(
            &mut c,
            &[
                "CONFIG",
                "SET",
                "maxmemory",
                "10mb",
                "hz",
                "20",
                "maxmemory-policy",
                "allkeys-lru"
            ]
        ),
        "OK"
    );
    assert_eq!(get1(&mut c, "maxmemory"), "10485760");
    assert_eq!(get1(&mut c, "hz"), "20");
    assert_eq!(get1(&mut c, "maxmemory-policy"), "allkeys-lru");
    // A runtime effect: databases stays immutable but notify-keyspace-events applies at once.
    let _: () = q(&mut c, &["CONFIG", "SET", "notify-keyspace-events", "KEA"]);
    assert_eq!(get1(&mut c, "notify-keyspace-events"), "AKE");
    assert_eq!(
        q_err(&mut c, &["CONFIG", "REWRITE"]),
        "ERR The server is running without a config file"
    );
}

#[test]
fn config_rewrite_keeps_comments_and_survives_restart() {
    let dir = TempDir::new("rewrite");
    let main = dir.write(
        "redis.conf",
        "# Top comment\n\
         \n\
         # Memory section\n\
         maxmemory 3mb\n\
         # keep me\n\
         hz 15\n\
         \n\
         # Last comment\n",
    );
    // `dir` is rewritten into the file too, so it must outlive the first server.
    let work = dir.0.to_str().unwrap_or_default().to_string();
    {
        let s = Server::start_with(Some(&main), &["--dir", &work]);
        let mut c = s.conn();
        let _: () = q(
            &mut c,
            &[
                "CONFIG",
                "SET",
                "maxmemory",
                "5mb",
                "maxmemory-policy",
                "volatile-ttl",
                "hz",
                "20",
            ],
        );
        assert_eq!(q::<String>(&mut c, &["CONFIG", "REWRITE"]), "OK");
        let text = std::fs::read_to_string(&main).expect("read rewritten");
        let lines: Vec<&str> = text.lines().collect();
        let pos = |needle: &str| {
            lines
                .iter()
                .position(|l| *l == needle)
                .unwrap_or_else(|| panic!("{needle:?} missing from rewritten file:\n{text}"))
        };
        // Comments stay, in order; changed values are rewritten in place.
        assert!(pos("# Top comment") < pos("# Memory section"));
        assert!(pos("# Memory section") < pos("maxmemory 5mb"));
        assert!(pos("maxmemory 5mb") < pos("# keep me"));
        assert!(pos("# keep me") < pos("hz 20"));
        assert!(pos("hz 20") < pos("# Last comment"));
        assert!(!text.contains("maxmemory 3mb"));
        assert!(lines.contains(&"maxmemory-policy volatile-ttl"), "{text}");
        // The port and dir given on the command line are part of the running config and get
        // written too, as Redis does.
        assert!(lines.iter().any(|l| l.starts_with("port ")), "{text}");
        // A second rewrite with no change is stable.
        assert_eq!(q::<String>(&mut c, &["CONFIG", "REWRITE"]), "OK");
        assert_eq!(
            std::fs::read_to_string(&main).expect("read").trim_end(),
            text.trim_end()
        );
    }
    let s = Server::start_with(Some(&main), &["--dir", &work]);
    let mut c = s.conn();
    assert_eq!(get1(&mut c, "maxmemory"), "5242880");
    assert_eq!(get1(&mut c, "maxmemory-policy"), "volatile-ttl");
    assert_eq!(get1(&mut c, "hz"), "20");
}

#[test]
fn startup_errors_name_file_line_and_directive() {
    let dir = TempDir::new("errors");
    let bad = dir.write(
        "bad.conf",
        "# comment\nport 7000\nbogus-directive 1 2\nhz 10\n",
    );
    let (status, out) = start_failure(&[bad.to_str().unwrap_or_default()]);
    assert!(!status.success(), "{out}");
    assert!(out.contains("FATAL CONFIG FILE ERROR"), "{out}");
    assert!(out.contains("at line 3"), "{out}");
    assert!(out.contains(">>> 'bogus-directive 1 2'"), "{out}");
    assert!(
        out.contains("Bad directive or wrong number of arguments"),
        "{out}"
    );
    if against_redis().is_none() {
        assert!(
            out.contains(&bad.display().to_string()),
            "file not named: {out}"
        );
    }

    let bad_value = dir.write("value.conf", "\n\nmaxmemory-policy sometimes\n");
    let (status, out) = start_failure(&[bad_value.to_str().unwrap_or_default()]);
    assert!(!status.success(), "{out}");
    assert!(out.contains("at line 3"), "{out}");
    assert!(out.contains(">>> 'maxmemory-policy sometimes'"), "{out}");
    assert!(
        out.contains("argument(s) must be one of the following"),
        "{out}"
    );

    let bad_int = dir.write("int.conf", "port \"abc\"\n");
    let (status, out) = start_failure(&[bad_int.to_str().unwrap_or_default()]);
    assert!(!status.success(), "{out}");
    assert!(out.contains("at line 1"), "{out}");
    assert!(
        out.contains("argument couldn't be parsed into an integer"),
        "{out}"
    );

    // An error inside an included file names that line.
    let inner = dir.write("inner.conf", "hz 10\nhz many\n");
    let outer = dir.write("outer.conf", &format!("include {}\n", inner.display()));
    let (status, out) = start_failure(&[outer.to_str().unwrap_or_default()]);
    assert!(!status.success(), "{out}");
    assert!(out.contains("at line 2"), "{out}");
    assert!(out.contains(">>> 'hz many'"), "{out}");

    // On the command line.
    let (status, out) = start_failure(&["--port", "0", "--bogus", "1"]);
    assert!(!status.success(), "{out}");
    assert!(out.contains("bogus"), "{out}");
    // A missing file.
    let (status, out) = start_failure(&[dir.path("missing.conf").to_str().unwrap_or_default()]);
    assert!(!status.success(), "{out}");
    assert!(out.contains("missing.conf"), "{out}");
}

#[test]
fn version_and_help() {
    if against_redis().is_some() {
        return;
    }
    let out = Command::new(vigil_bin())
        .arg("--version")
        .output()
        .expect("run");
    assert!(out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(env!("CARGO_PKG_VERSION")),
        "{out:?}"
    );
    let out = Command::new(vigil_bin())
        .args(["server", "--version"])
        .output()
        .expect("run");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains(env!("CARGO_PKG_VERSION")));
    for args in [&["server", "--help"][..], &["server", "-h"], &["--help"]] {
        let out = Command::new(vigil_bin()).args(args).output().expect("run");
        assert!(out.status.success(), "{args:?}: {out:?}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("Usage"), "{args:?}: {text}");
    }
    let out = Command::new(vigil_bin())
        .args(["server", "--help"])
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("CONFIG_FILE"), "{text}");
    // An unknown subcommand is an error.
    let out = Command::new(vigil_bin())
        .arg("frobnicate")
        .output()
        .expect("run");
    assert!(!out.status.success());
}

fn read_log(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

#[test]
fn logfile_and_loglevel() {
    let dir = TempDir::new("log");
    let log = dir.path("server log.txt");
    {
        let s = Server::start(&[
            "--logfile",
            log.to_str().unwrap_or_default(),
            "--loglevel",
            "notice",
        ]);
        let mut c = s.conn();
        assert_eq!(get1(&mut c, "logfile"), log.display().to_string());
        assert_eq!(get1(&mut c, "loglevel"), "notice");
        assert!(
            common::wait_for(Duration::from_secs(3), || read_log(&log)
                .contains("Ready to accept connections")),
            "log: {}",
            read_log(&log)
        );
        // loglevel can change at runtime.
        let _: () = q(&mut c, &["CONFIG", "SET", "loglevel", "warning"]);
        assert_eq!(get1(&mut c, "loglevel"), "warning");
    }
    // At warning level the notice lines are not written.
    let quiet = dir.path("quiet.txt");
    let s = Server::start(&[
        "--logfile",
        quiet.to_str().unwrap_or_default(),
        "--loglevel",
        "warning",
    ]);
    let mut c = s.conn();
    let _: String = q(&mut c, &["PING"]);
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        !read_log(&quiet).contains("Ready to accept connections"),
        "{}",
        read_log(&quiet)
    );
    // An unwritable log file is a startup error.
    let (status, out) = start_failure(&["--port", "0", "--logfile", "/nonexistent-dir/x.log"]);
    assert!(!status.success(), "{out}");
}

#[test]
fn sigterm_exits_cleanly() {
    let dir = TempDir::new("sigterm");
    let log = dir.path("log.txt");
    let mut s = Server::start(&["--logfile", log.to_str().unwrap_or_default()]);
    let _: String = q(&mut s.conn(), &["PING"]);
    let pid = s.child.id().to_string();
    let ok = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(ok.success());
    let status = wait_exit(&mut s.child, Duration::from_secs(5));
    assert_eq!(status.code(), Some(0), "exit status {status:?}");
    let text = read_log(&log);
    assert!(text.contains("Received SIGTERM"), "{text}");
    assert!(text.contains("ready to exit, bye bye"), "{text}");
}

#[test]
fn shutdown_nosave_exits() {
    let mut s = Server::start(&[]);
    let mut c = s.conn();
    assert_eq!(q_err(&mut c, &["SHUTDOWN", "BOGUS"]), "ERR syntax error");
    let mut raw = s.raw();
    std::io::Write::write_all(&mut raw, b"*2\r\n$8\r\nSHUTDOWN\r\n$6\r\nNOSAVE\r\n")
        .expect("write");
    // The connection is closed without a reply.
    let mut buf = Vec::new();
    let _ = raw.read_to_end(&mut buf);
    assert!(buf.is_empty(), "{:?}", String::from_utf8_lossy(&buf));
    let status = wait_exit(&mut s.child, Duration::from_secs(5));
    assert_eq!(status.code(), Some(0), "exit status {status:?}");
    // Nothing listens any more.
    assert!(std::net::TcpStream::connect(("127.0.0.1", s.port)).is_err());
}
