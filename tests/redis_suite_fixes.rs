//! Regression tests for behaviour that Redis 7.0.15's own TCL unit suites
//! (tests/redis-suite/run.sh) check and vigil once got wrong. CI does not run those suites, so
//! each fix made for them keeps a test here.

mod common;

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::resp::{Raw, RespValue as R};
use common::{Server, free_port, q, wait_for};

fn b(s: &str) -> R {
    R::Bulk(s.to_string())
}

/// The start-up log has " PID: <pid>", which Redis's harness waits for before it runs a test.
#[test]
fn startup_log_names_the_pid() {
    let port = free_port();
    let dir = std::env::temp_dir().join(format!("vigil-pidlog-{}-{port}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let mut child = Command::new(common::vigil_bin())
        .args(["server", "--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--dir", dir.to_str().unwrap_or("."), "--save", ""])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn vigil");
    let pid = child.id();
    let mut stdout = child.stdout.take().expect("stdout");
    let up = wait_for(Duration::from_secs(10), || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    let _ = child.kill();
    let _ = child.wait();
    let mut log = String::new();
    let _ = stdout.read_to_string(&mut log);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(up, "server did not start");
    assert!(log.contains(&format!(" PID: {pid}")), "log: {log}");
}

/// Subscription confirmations and messages are pushes: CLIENT REPLY OFF does not silence them.
#[test]
fn pubsub_pushes_ignore_client_reply_off() {
    let s = Server::start(&[]);
    let mut sub = Raw::open(&s);
    sub.hello3();
    sub.send(&["CLIENT", "REPLY", "OFF"]);
    sub.send(&["SUBSCRIBE", "channel"]);
    assert_eq!(
        sub.read_value(),
        R::Push(vec![b("subscribe"), b("channel"), R::Int(1)])
    );
    sub.send(&["PSUBSCRIBE", "ch*"]);
    assert_eq!(
        sub.read_value(),
        R::Push(vec![b("psubscribe"), b("ch*"), R::Int(2)])
    );
    let mut c = s.conn();
    assert_eq!(q::<i64>(&mut c, &["PUBLISH", "channel", "hello"]), 2);
    assert_eq!(
        sub.read_value(),
        R::Push(vec![b("message"), b("channel"), b("hello")])
    );
    assert_eq!(
        sub.read_value(),
        R::Push(vec![b("pmessage"), b("ch*"), b("channel"), b("hello")])
    );
    sub.send(&["UNSUBSCRIBE", "channel"]);
    assert_eq!(
        sub.read_value(),
        R::Push(vec![b("unsubscribe"), b("channel"), R::Int(1)])
    );
    // Ordinary replies stay silenced.
    sub.send(&["PING"]);
    sub.assert_quiet();
}

/// CLIENT REPLY SKIP silences the next reply but not the pushes of a SUBSCRIBE.
#[test]
fn pubsub_pushes_ignore_client_reply_skip() {
    let s = Server::start(&[]);
    let mut sub = Raw::open(&s);
    sub.send(&["CLIENT", "REPLY", "SKIP"]);
    sub.send(&["SUBSCRIBE", "chan"]);
    assert_eq!(
        sub.read_value(),
        R::Arr(vec![b("subscribe"), b("chan"), R::Int(1)])
    );
}

/// A `user default ...` directive starts from a reset user: without `&*` it has no channels.
#[test]
fn user_default_directive_starts_from_reset_user() {
    let s = Server::start(&["--user", "default on nopass ~* +@all"]);
    let mut c = s.conn();
    let err = common::q_err(&mut c, &["SUBSCRIBE", "foo"]);
    assert!(err.contains("NOPERM") && err.contains("channel"), "{err}");
    assert_eq!(q::<String>(&mut c, &["SET", "k", "v"]), "OK");
}

/// A blocked command answered with an error by CLIENT UNBLOCK ... ERROR counts as failed.
#[test]
fn client_unblock_error_counts_failed_call() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let mut blocked = Raw::open(&s);
    let id = match blocked.call(&["CLIENT", "ID"]) {
        R::Int(id) => id,
        other => panic!("CLIENT ID replied {other:?}"),
    };
    blocked.block(&["BLPOP", "list1", "0"]);
    assert_eq!(
        q::<i64>(&mut c, &["CLIENT", "UNBLOCK", &id.to_string(), "ERROR"]),
        1
    );
    match blocked.read_value() {
        R::Err(e) => assert!(e.starts_with("UNBLOCKED"), "{e}"),
        other => panic!("unblocked BLPOP replied {other:?}"),
    }
    let stats: String = q(&mut c, &["INFO", "commandstats"]);
    let line = stats
        .lines()
        .find(|l| l.starts_with("cmdstat_blpop:"))
        .unwrap_or_default();
    assert!(line.contains("calls=1,"), "{line}");
    assert!(line.ends_with("failed_calls=1"), "{line}");
}

/// CLIENT REPLY ON right after CLIENT REPLY SKIP is answered, and replies are back on.
#[test]
fn client_reply_on_after_skip_is_answered() {
    let s = Server::start(&[]);
    let mut c = Raw::open(&s);
    c.send(&["CLIENT", "REPLY", "SKIP"]);
    assert_eq!(c.cmd(&["CLIENT", "REPLY", "ON"]), "+OK\r\n");
    assert_eq!(c.cmd(&["PING"]), "+PONG\r\n");
    // SKIP still silences exactly the next reply.
    c.send(&["CLIENT", "REPLY", "SKIP"]);
    c.send(&["PING", "pong"]);
    assert_eq!(c.cmd(&["PING", "pong2"]), "$5\r\npong2\r\n");
}

/// CLIENT LIST's `qbuf` counts the command being run (26 bytes for CLIENT LIST itself) and an
/// idle client's is 0.
#[test]
fn client_list_qbuf_counts_the_running_command() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let mut other = s.conn();
    assert_eq!(
        q::<String>(&mut other, &["CLIENT", "SETNAME", "idle"]),
        "OK"
    );
    let me: String = q(&mut c, &["CLIENT", "INFO"]);
    assert!(me.contains(" qbuf=26 "), "{me}");
    let list: String = q(&mut c, &["CLIENT", "LIST"]);
    let idle = list
        .lines()
        .find(|l| l.contains("name=idle "))
        .unwrap_or_default();
    assert!(idle.contains(" qbuf=0 "), "{idle}");
}

fn dirty(c: &mut redis::Connection) -> i64 {
    common::info::info_field(c, "persistence", "rdb_changes_since_last_save")
        .and_then(|v| v.parse().ok())
        .expect("rdb_changes_since_last_save")
}

/// BITFIELD SET counts a change (dirty, keyspace event) only when it creates or grows the
/// string or changes the field's value.
#[test]
fn bitfield_counts_only_real_changes() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let d0 = dirty(&mut c);
    let _: Vec<i64> = q(&mut c, &["BITFIELD", "foo", "SET", "i5", "0", "0"]);
    assert_eq!(dirty(&mut c), d0 + 1, "creating the key");
    let _: Vec<i64> = q(&mut c, &["BITFIELD", "foo", "SET", "i5", "0", "0"]);
    assert_eq!(dirty(&mut c), d0 + 1, "same value");
    let _: Vec<i64> = q(&mut c, &["BITFIELD", "foo", "SET", "i5", "0", "1"]);
    assert_eq!(dirty(&mut c), d0 + 2, "new value");
    let _: Vec<i64> = q(&mut c, &["BITFIELD", "foo", "SET", "i5", "90", "0"]);
    assert_eq!(dirty(&mut c), d0 + 3, "grown string");
    let _: Vec<i64> = q(&mut c, &["BITFIELD", "foo", "INCRBY", "i5", "0", "1"]);
    assert_eq!(dirty(&mut c), d0 + 4, "INCRBY");
}

fn blocked_clients(c: &mut redis::Connection) -> i64 {
    common::info::info_field(c, "clients", "blocked_clients")
        .and_then(|v| v.parse().ok())
        .expect("blocked_clients")
}

/// Clients held by CLIENT PAUSE WRITE count as blocked; EXEC of a transaction with a write, and
/// PFCOUNT (which may write its cache), are held too; reads and read-only EXEC are not.
#[test]
fn pause_write_holds_exec_of_writes_and_counts_blocked() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let _: i64 = q(&mut c, &["PFADD", "hll", "a"]);
    let mut tx = Raw::open(&s);
    assert_eq!(tx.cmd(&["MULTI"]), "+OK\r\n");
    assert_eq!(tx.cmd(&["SET", "foo", "bar"]), "+QUEUED\r\n");
    let mut ro = Raw::open(&s);
    assert_eq!(ro.cmd(&["MULTI"]), "+OK\r\n");
    assert_eq!(ro.cmd(&["GET", "foo"]), "+QUEUED\r\n");
    assert_eq!(
        q::<String>(&mut c, &["CLIENT", "PAUSE", "60000", "WRITE"]),
        "OK"
    );
    assert_eq!(ro.cmd(&["EXEC"]), "*1\r\n$-1\r\n");
    tx.send(&["EXEC"]);
    let mut pf = Raw::open(&s);
    pf.send(&["PFCOUNT", "hll"]);
    let mut setter = Raw::open(&s);
    setter.send(&["SET", "x", "1"]);
    assert!(
        wait_for(Duration::from_secs(5), || blocked_clients(&mut c) == 3),
        "blocked_clients = {}",
        blocked_clients(&mut c)
    );
    tx.assert_quiet();
    assert_eq!(q::<String>(&mut c, &["CLIENT", "UNPAUSE"]), "OK");
    assert_eq!(tx.read(), "*1\r\n+OK\r\n");
    assert_eq!(pf.read(), ":1\r\n");
    assert_eq!(setter.read(), "+OK\r\n");
    assert_eq!(blocked_clients(&mut c), 0);
}

/// AUTH and HELLO ... AUTH reach MONITOR and the slow log with their secrets redacted.
#[test]
fn monitor_and_slowlog_show_auth_redacted() {
    let s = Server::start(&[]);
    let mut mon = Raw::open(&s);
    assert_eq!(mon.cmd(&["MONITOR"]), "+OK\r\n");
    let mut c = s.conn();
    let _: String = q(&mut c, &["CONFIG", "SET", "slowlog-log-slower-than", "0"]);
    let _ = common::q_err(&mut c, &["AUTH", "user", "secret"]);
    let _ = common::q_err(&mut c, &["HELLO", "2", "AUTH", "user", "secret"]);
    let mut seen = String::new();
    while let Some(line) = mon.read_within(500) {
        seen.push_str(&line);
    }
    assert!(
        seen.contains(r#""AUTH" "(redacted)" "(redacted)""#),
        "{seen}"
    );
    assert!(
        seen.contains(r#""HELLO" "2" "AUTH" "(redacted)" "(redacted)""#),
        "{seen}"
    );
    assert!(!seen.contains("secret"), "{seen}");
    let log = s.cli(&["SLOWLOG", "GET", "10"]);
    assert!(!log.contains("secret"), "{log}");
    assert!(log.contains("AUTH\n(redacted)\n(redacted)"), "{log}");
}

/// COMMAND INFO hides `may_replicate`, as Redis does.
#[test]
fn command_info_hides_may_replicate() {
    let s = Server::start(&[]);
    let mut raw = Raw::open(&s);
    let info = raw.cmd(&["COMMAND", "INFO", "publish", "pfcount"]);
    assert!(info.contains("+pubsub\r\n"), "{info}");
    assert!(!info.contains("may_replicate"), "{info}");
}

fn used_memory(c: &mut redis::Connection) -> i64 {
    common::info::info_field(c, "memory", "used_memory")
        .and_then(|v| v.parse().ok())
        .expect("used_memory")
}

/// Near maxmemory, evicting keys gives back the table memory a table doubling took, so
/// writes keep succeeding under an eviction policy (Redis's "is the memory limit honoured?").
#[test]
fn eviction_frees_table_memory_near_maxmemory() {
    for policy in ["allkeys-random", "volatile-lru"] {
        let s = Server::start(&[]);
        let mut c = s.conn();
        let limit = used_memory(&mut c) + 100 * 1024;
        let _: String = q(&mut c, &["CONFIG", "SET", "maxmemory", &limit.to_string()]);
        let _: String = q(&mut c, &["CONFIG", "SET", "maxmemory-policy", policy]);
        let mut n = 0;
        while used_memory(&mut c) + 4096 <= limit {
            let _: String = q(&mut c, &["SETEX", &format!("a:{n}"), "10000", "x"]);
            n += 1;
            assert!(n < 100_000, "{policy}: the limit was never approached");
        }
        for j in 0..n {
            let r = common::run(&mut c, &["SETEX", &format!("b:{j}"), "10000", "x"]);
            assert!(r.is_ok(), "{policy}: SETEX {j}/{n}: {r:?}");
        }
        assert!(used_memory(&mut c) < limit + 4096, "{policy}");
    }
}

/// CONFIG SET bind keeps the listeners of addresses that stay (rebinding them would fail while
/// they are open) and refuses an address it cannot bind with Redis's message, keeping the old
/// listeners.
#[test]
fn config_set_bind_keeps_staying_listeners() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let err = common::q_err(&mut c, &["CONFIG", "SET", "bind", "999.999.999.999"]);
    assert!(
        err.contains("Failed to bind to specified addresses."),
        "{err}"
    );
    assert_eq!(q::<String>(&mut s.conn(), &["PING"]), "PONG");
    assert_eq!(
        q::<String>(&mut c, &["CONFIG", "SET", "bind", "127.0.0.1 -::1"]),
        "OK"
    );
    assert_eq!(q::<String>(&mut s.conn(), &["PING"]), "PONG");
    assert_eq!(
        q::<String>(&mut c, &["CONFIG", "SET", "bind", "127.0.0.1"]),
        "OK"
    );
    assert_eq!(q::<String>(&mut s.conn(), &["PING"]), "PONG");
}

/// TTL, PTTL, EXPIRETIME, TYPE and EXISTS look at a key without counting as an access.
#[test]
fn ttl_type_exists_do_not_touch_the_key() {
    let s = Server::start(&["--maxmemory-policy", "allkeys-lfu"]);
    let mut c = s.conn();
    let _: String = q(&mut c, &["SET", "foo", "bar"]);
    let freq = |c: &mut redis::Connection| q::<i64>(c, &["OBJECT", "FREQ", "foo"]);
    let before = freq(&mut c);
    for cmd in ["TTL", "PTTL", "EXPIRETIME", "TYPE", "EXISTS"] {
        let _: redis::Value = q(&mut c, &[cmd, "foo"]);
    }
    assert_eq!(freq(&mut c), before);
    // A read does count (a fresh key's counter always grows on its first accesses).
    let _: String = q(&mut c, &["GET", "foo"]);
    assert!(freq(&mut c) > before);
}

/// With `enable-protected-configs local`, a loopback client may CONFIG SET protected configs.
#[test]
fn protected_configs_local_allows_loopback_clients() {
    let s = Server::start(&["--enable-protected-configs", "local"]);
    let mut c = s.conn();
    assert_eq!(
        q::<String>(&mut c, &["CONFIG", "SET", "dbfilename", "somename.rdb"]),
        "OK"
    );
    let s = Server::start(&["--enable-protected-configs", "no"]);
    let err = common::q_err(&mut s.conn(), &["CONFIG", "SET", "dbfilename", "x.rdb"]);
    assert!(err.contains("protected"), "{err}");
}

/// Command-line words after the config file and before the first `--option` are a directive
/// line of their own, as redis-server reads them.
#[test]
fn command_line_words_before_first_option_are_a_directive() {
    let port = free_port();
    let dir = std::env::temp_dir().join(format!("vigil-cliwords-{}-{port}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let conf = dir.join("test.conf");
    std::fs::write(&conf, "save \"\"\n").expect("write config");
    let child = Command::new(common::vigil_bin())
        .arg("server")
        .arg(&conf)
        .args(["loglevel", "verbose", "--maxmemory '700mb'"])
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--dir", dir.to_str().unwrap_or(".")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn vigil");
    // Dropping the guard kills the process and removes the directory.
    let s = Server { port, child, dir };
    assert!(
        wait_for(Duration::from_secs(10), || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        }),
        "server did not start"
    );
    let mut c = s.conn();
    let got: Vec<String> = q(&mut c, &["CONFIG", "GET", "loglevel"]);
    assert_eq!(got, ["loglevel", "verbose"]);
    let got: Vec<String> = q(&mut c, &["CONFIG", "GET", "maxmemory"]);
    assert_eq!(got, ["maxmemory", "734003200"]);
}

/// CONFIG REWRITE writes every save point, even when they are the defaults and the file
/// already had a `save` line.
#[test]
fn config_rewrite_writes_every_save_point() {
    let dir = std::env::temp_dir().join(format!("vigil-rwsave-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let conf = dir.join("r.conf");
    std::fs::write(&conf, "save 900 1\n").expect("write config");
    let s = Server::start_with(Some(&conf), &[]);
    let mut c = s.conn();
    let _: String = q(
        &mut c,
        &["CONFIG", "SET", "save", "3600 1 300 100 60 10000"],
    );
    let _: String = q(&mut c, &["CONFIG", "REWRITE"]);
    let text = std::fs::read_to_string(&conf).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    for line in ["save 3600 1", "save 300 100", "save 60 10000"] {
        assert!(text.lines().any(|l| l == line), "{line} missing:\n{text}");
    }
    assert!(!text.contains("save 900 1"), "{text}");
}

/// Debugging configs such as key-load-delay answer CONFIG GET by name only, not patterns.
#[test]
fn hidden_configs_are_left_out_of_patterns() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let all: Vec<String> = q(&mut c, &["CONFIG", "GET", "*"]);
    assert!(!all.iter().any(|n| n == "key-load-delay"));
    assert!(all.iter().any(|n| n == "maxmemory"));
    let one: Vec<String> = q(&mut c, &["CONFIG", "GET", "key-load-delay"]);
    assert_eq!(one, ["key-load-delay", "0"]);
}

/// Start-up errors show a command-line directive as redis-server does, each separate
/// argument quoted; a bare `--shutdown-on-sigint` is refused.
#[test]
fn command_line_errors_quote_arguments() {
    let run = |args: &[&str]| -> String {
        let out = Command::new(common::vigil_bin())
            .arg("server")
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("run vigil");
        assert!(!out.status.success(), "{args:?} started");
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    };
    let err = run(&["--port", "6379", "6380"]);
    assert!(err.contains(r#"'port "6379" "6380"'"#), "{err}");
    assert!(err.contains("wrong number of arguments"), "{err}");
    let err = run(&["--port", "--bla", "--loglevel", "verbose"]);
    assert!(err.contains(r#"'port "--bla"'"#), "{err}");
    let err = run(&["--shutdown-on-sigint"]);
    assert!(err.contains("'shutdown-on-sigint'"), "{err}");
    assert!(
        err.contains("argument(s) must be one of the following"),
        "{err}"
    );
}

/// A BLPOP that blocks and is then served counts one call, and the slow log records it
/// when it is served.
#[test]
fn served_blocking_command_counts_once_and_is_slowlogged() {
    let s = Server::start(&["--slowlog-log-slower-than", "0"]);
    let mut c = s.conn();
    let mut rd = Raw::open(&s);
    rd.block(&["BLPOP", "l", "0"]);
    let _: String = q(&mut c, &["SLOWLOG", "RESET"]);
    let _: i64 = q(&mut c, &["LPUSH", "l", "foo"]);
    assert_eq!(rd.read(), "*2\r\n$1\r\nl\r\n$3\r\nfoo\r\n");
    let log = s.cli(&["SLOWLOG", "GET"]);
    assert!(log.contains("BLPOP\nl\n0"), "{log}");
    let stats: String = q(&mut c, &["INFO", "commandstats"]);
    assert!(stats.contains("cmdstat_blpop:calls=1,"), "{stats}");
}

/// SORT_RO is marked movablekeys, as in Redis (its BY/GET patterns name more keys).
#[test]
fn sort_ro_is_movablekeys() {
    let s = Server::start(&[]);
    let mut raw = Raw::open(&s);
    let info = raw.cmd(&["COMMAND", "INFO", "sort_ro"]);
    assert!(info.contains("+movablekeys\r\n"), "{info}");
}

/// DEBUG CONFIG-REWRITE-FORCE-ALL writes every directive, and the file loads back to the same
/// configuration (Redis's "CONFIG REWRITE sanity").
#[test]
fn config_rewrite_force_all_loads_back() {
    let dir = std::env::temp_dir().join(format!("vigil-rwall-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let conf = dir.join("r.conf");
    std::fs::write(&conf, "enable-debug-command yes\nmaxmemory 7mb\n").expect("write config");
    let config = |s: &Server| -> std::collections::BTreeMap<String, String> {
        let flat: Vec<String> = q(&mut s.conn(), &["CONFIG", "GET", "*"]);
        flat.chunks(2)
            // The harness gives each server its own port and dir on the command line.
            .filter(|kv| kv[0] != "port" && kv[0] != "dir")
            .map(|kv| (kv[0].clone(), kv[1].clone()))
            .collect()
    };
    let first = Server::start_with(Some(&conf), &[]);
    let before = config(&first);
    assert_eq!(
        q::<String>(&mut first.conn(), &["DEBUG", "CONFIG-REWRITE-FORCE-ALL"]),
        "OK"
    );
    let text = std::fs::read_to_string(&conf).unwrap_or_default();
    assert!(
        text.lines().any(|l| l == "maxmemory-policy noeviction"),
        "{text}"
    );
    // The file names the first server's `dir`, which goes away with it: start the second one
    // while the first still runs.
    let second = Server::start_with(Some(&conf), &[]);
    let after = config(&second);
    drop(second);
    drop(first);
    let _ = std::fs::remove_dir_all(&dir);
    for (k, v) in &before {
        assert_eq!(after.get(k), Some(v), "{k} changed across the rewrite");
    }
}
