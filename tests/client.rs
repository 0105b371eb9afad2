//! CLIENT end to end: introspection, naming, KILL filters, PAUSE, REPLY, UNBLOCK, NO-EVICT.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::{Server, q, q_err, run, wait_for};
use redis::Value;

/// Field names of a CLIENT LIST line, in order.
fn field_names(line: &str) -> Vec<String> {
    line.split(' ')
        .map(|kv| kv.split('=').next().unwrap_or("").to_string())
        .collect()
}

fn field<'a>(line: &'a str, name: &str) -> &'a str {
    line.split(' ')
        .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} in {line}"))
}

fn lines(text: &str) -> Vec<&str> {
    text.lines().filter(|l| !l.is_empty()).collect()
}

/// Reads from a raw connection until `want` appears or `wait` passes.
fn read_until(s: &mut TcpStream, want: &str, wait: Duration) -> String {
    let deadline = Instant::now() + wait;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    s.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
    while Instant::now() < deadline && !String::from_utf8_lossy(&got).contains(want) {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(_) => {}
        }
    }
    String::from_utf8_lossy(&got).into_owned()
}

/// Whatever arrives within `wait`.
fn read_for(s: &mut TcpStream, wait: Duration) -> String {
    read_until(s, "\u{0}never\u{0}", wait)
}

fn closed(s: &mut TcpStream) -> bool {
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut buf = [0u8; 64];
    matches!(s.read(&mut buf), Ok(0) | Err(_))
}

#[test]
fn id_name_info_and_list_fields() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let id = q::<i64>(&mut c, &["CLIENT", "ID"]);
    assert!(id > 0);
    assert_eq!(q::<Value>(&mut c, &["CLIENT", "GETNAME"]), Value::Nil);
    assert_eq!(
        q_err(&mut c, &["CLIENT", "SETNAME", "a b"]),
        "ERR Client names cannot contain spaces, newlines or special characters."
    );
    assert_eq!(
        q::<String>(&mut c, &["CLIENT", "SETNAME", "worker-1"]),
        "OK"
    );
    assert_eq!(q::<String>(&mut c, &["CLIENT", "GETNAME"]), "worker-1");
    let info = q::<String>(&mut c, &["CLIENT", "INFO"]);
    assert!(info.ends_with('\n'));
    let line = info.trim_end();
    assert_eq!(
        field_names(line),
        [
            "id",
            "addr",
            "laddr",
            "fd",
            "name",
            "age",
            "idle",
            "flags",
            "db",
            "sub",
            "psub",
            "ssub",
            "multi",
            "qbuf",
            "qbuf-free",
            "argv-mem",
            "multi-mem",
            "rbs",
            "rbp",
            "obl",
            "oll",
            "omem",
            "tot-mem",
            "events",
            "cmd",
            "user",
            "redir",
            "resp"
        ]
    );
    assert_eq!(field(line, "id"), id.to_string());
    assert_eq!(field(line, "name"), "worker-1");
    assert_eq!(field(line, "flags"), "N");
    assert_eq!(field(line, "cmd"), "client|info");
    assert_eq!(field(line, "user"), "default");
    assert_eq!(field(line, "laddr"), format!("127.0.0.1:{}", s.port));
    assert_eq!(field(line, "multi"), "-1");
    assert_eq!(field(line, "resp"), "2");
    // An empty name clears it.
    q::<String>(&mut c, &["CLIENT", "SETNAME", ""]);
    assert_eq!(q::<Value>(&mut c, &["CLIENT", "GETNAME"]), Value::Nil);

    let mut other = s.conn();
    q::<String>(&mut other, &["SELECT", "3"]);
    q::<String>(&mut other, &["MULTI"]);
    q::<String>(&mut other, &["PING"]);
    let list = q::<String>(&mut c, &["CLIENT", "LIST"]);
    let all = lines(&list);
    assert_eq!(all.len(), 2, "{list}");
    let o = all
        .iter()
        .find(|l| field(l, "id") != id.to_string())
        .unwrap();
    assert_eq!(field(o, "db"), "3");
    assert_eq!(field(o, "flags"), "x");
    assert_eq!(field(o, "multi"), "1");
    assert_eq!(field(o, "cmd"), "multi");
    let me = all
        .iter()
        .find(|l| field(l, "id") == id.to_string())
        .unwrap();
    assert_eq!(field(me, "cmd"), "client|list");
    // ID filter keeps the requested order.
    let oid = field(o, "id").to_string();
    let by_id = q::<String>(
        &mut c,
        &["CLIENT", "LIST", "ID", &oid, &id.to_string(), "999"],
    );
    let ids: Vec<String> = lines(&by_id)
        .iter()
        .map(|l| field(l, "id").to_string())
        .collect();
    assert_eq!(ids, [oid.clone(), id.to_string()]);
    assert_eq!(
        q_err(&mut c, &["CLIENT", "LIST", "ID", "x"]),
        "ERR Invalid client ID"
    );
    assert_eq!(
        q_err(&mut c, &["CLIENT", "LIST", "TYPE", "foo"]),
        "ERR Unknown client type 'foo'"
    );
    assert_eq!(
        q_err(&mut c, &["CLIENT", "LIST", "foo"]),
        "ERR syntax error"
    );
}

#[test]
fn list_types_pubsub_monitor_and_resp3() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let mut sub = s.raw();
    sub.write_all(b"SUBSCRIBE a b\r\nPSUBSCRIBE p*\r\n")
        .unwrap();
    read_until(&mut sub, "p*", Duration::from_secs(5));
    let mut mon = s.raw();
    mon.write_all(b"MONITOR\r\n").unwrap();
    read_until(&mut mon, "OK", Duration::from_secs(5));
    let pubsub = q::<String>(&mut c, &["CLIENT", "LIST", "TYPE", "pubsub"]);
    let p = lines(&pubsub);
    assert_eq!(p.len(), 1, "{pubsub}");
    assert_eq!(field(p[0], "flags"), "P");
    assert_eq!(field(p[0], "sub"), "2");
    assert_eq!(field(p[0], "psub"), "1");
    // MONITOR clients are of the normal type, flagged O.
    let normal = q::<String>(&mut c, &["CLIENT", "LIST", "TYPE", "normal"]);
    let n = lines(&normal);
    assert_eq!(n.len(), 2, "{normal}");
    assert!(n.iter().any(|l| field(l, "flags") == "O"));
    assert!(lines(&q::<String>(&mut c, &["CLIENT", "LIST", "TYPE", "replica"])).is_empty());
    assert!(lines(&q::<String>(&mut c, &["CLIENT", "LIST", "TYPE", "master"])).is_empty());
    // RESP3 gets a verbatim string.
    let mut raw = s.raw();
    let hello = read_until_after(&mut raw, b"HELLO 3\r\nCLIENT INFO\r\n", "=");
    assert!(hello.contains("txt:id="), "{hello}");
}

fn read_until_after(s: &mut TcpStream, send: &[u8], want: &str) -> String {
    s.write_all(send).unwrap();
    let mut got = read_until(s, want, Duration::from_secs(5));
    got.push_str(&read_for(s, Duration::from_millis(200)));
    got
}

#[test]
fn kill_filters() {
    let s = Server::start(&[]);
    let mut admin = s.conn();
    let mut a = s.raw();
    a.write_all(b"CLIENT ID\r\n").unwrap();
    let a_id = read_until(&mut a, "\r\n", Duration::from_secs(5))
        .trim()
        .trim_start_matches(':')
        .to_string();
    let mut b = s.raw();
    b.write_all(b"PING\r\n").unwrap();
    read_until(&mut b, "PONG", Duration::from_secs(5));
    let b_addr = b.local_addr().unwrap().to_string();

    assert_eq!(
        q_err(&mut admin, &["CLIENT", "KILL", "1.2.3.4:5"]),
        "ERR No such client"
    );
    assert_eq!(q::<i64>(&mut admin, &["CLIENT", "KILL", "ID", "999999"]), 0);
    assert_eq!(
        q_err(&mut admin, &["CLIENT", "KILL", "ID", "x"]),
        "ERR client-id should be greater than 0"
    );
    assert_eq!(
        q_err(&mut admin, &["CLIENT", "KILL", "TYPE", "foo"]),
        "ERR Unknown client type 'foo'"
    );
    assert_eq!(
        q_err(&mut admin, &["CLIENT", "KILL", "SKIPME", "x"]),
        "ERR syntax error"
    );
    assert_eq!(
        q_err(&mut admin, &["CLIENT", "KILL", "USER", "nouser"]),
        "ERR No such user 'nouser'"
    );
    assert_eq!(
        q_err(&mut admin, &["CLIENT", "KILL", "ID", "1", "TYPE"]),
        "ERR syntax error"
    );

    assert_eq!(q::<i64>(&mut admin, &["CLIENT", "KILL", "ID", &a_id]), 1);
    assert!(closed(&mut a));
    assert_eq!(q::<String>(&mut admin, &["CLIENT", "KILL", &b_addr]), "OK");
    assert!(closed(&mut b));

    // TYPE normal with SKIPME yes (the default) spares the caller.
    let mut c1 = s.raw();
    c1.write_all(b"PING\r\n").unwrap();
    read_until(&mut c1, "PONG", Duration::from_secs(5));
    let mut sub = s.raw();
    sub.write_all(b"SUBSCRIBE ch\r\n").unwrap();
    read_until(&mut sub, "ch", Duration::from_secs(5));
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(
        q::<i64>(&mut admin, &["CLIENT", "KILL", "TYPE", "normal"]),
        1
    );
    assert!(closed(&mut c1));
    assert_eq!(q::<String>(&mut admin, &["PING"]), "PONG");
    assert_eq!(
        q::<i64>(&mut admin, &["CLIENT", "KILL", "TYPE", "pubsub"]),
        1
    );
    assert!(closed(&mut sub));

    // USER and LADDR filters; SKIPME no closes the caller after its reply.
    q::<String>(
        &mut admin,
        &["ACL", "SETUSER", "k", "on", ">pw", "+@all", "~*"],
    );
    let mut u = s.raw();
    u.write_all(b"AUTH k pw\r\n").unwrap();
    read_until(&mut u, "OK", Duration::from_secs(5));
    assert_eq!(q::<i64>(&mut admin, &["CLIENT", "KILL", "USER", "k"]), 1);
    assert!(closed(&mut u));
    let laddr = format!("127.0.0.1:{}", s.port);
    let n = q::<i64>(
        &mut admin,
        &["CLIENT", "KILL", "LADDR", &laddr, "SKIPME", "no"],
    );
    assert!(n >= 1);
    assert!(run(&mut admin, &["PING"]).is_err());
}

#[test]
fn pause_holds_writes_or_everything() {
    let s = Server::start(&[]);
    let mut admin = s.conn();
    assert_eq!(
        q_err(&mut admin, &["CLIENT", "PAUSE", "x"]),
        "ERR timeout is not an integer or out of range"
    );
    assert_eq!(
        q_err(&mut admin, &["CLIENT", "PAUSE", "-1"]),
        "ERR timeout is negative"
    );
    assert_eq!(
        q_err(&mut admin, &["CLIENT", "PAUSE", "10", "foo"]),
        "ERR CLIENT PAUSE mode must be WRITE or ALL"
    );
    assert_eq!(
        q::<String>(&mut admin, &["CLIENT", "PAUSE", "10000", "WRITE"]),
        "OK"
    );
    let mut w = s.raw();
    w.write_all(b"SET k v\r\n").unwrap();
    assert_eq!(read_for(&mut w, Duration::from_millis(300)), "");
    let mut r = s.conn();
    assert_eq!(q::<Value>(&mut r, &["GET", "k"]), Value::Nil);
    let start = Instant::now();
    assert_eq!(q::<String>(&mut admin, &["CLIENT", "UNPAUSE"]), "OK");
    assert_eq!(read_until(&mut w, "+OK", Duration::from_secs(5)), "+OK\r\n");
    assert!(start.elapsed() < Duration::from_secs(3));

    // PAUSE ALL holds reads too, until the timeout passes.
    assert_eq!(q::<String>(&mut admin, &["CLIENT", "PAUSE", "400"]), "OK");
    let mut g = s.raw();
    let start = Instant::now();
    g.write_all(b"GET k\r\n").unwrap();
    assert_eq!(
        read_until(&mut g, "v\r\n", Duration::from_secs(5)),
        "$1\r\nv\r\n"
    );
    assert!(start.elapsed() >= Duration::from_millis(300));
}

#[test]
fn reply_on_off_skip() {
    let s = Server::start(&[]);
    let mut c = s.raw();
    c.write_all(b"CLIENT REPLY OFF\r\nPING\r\nSET a 1\r\nCLIENT REPLY ON\r\nGET a\r\n")
        .unwrap();
    assert_eq!(
        read_until(&mut c, "$1\r\n1\r\n", Duration::from_secs(5)),
        "+OK\r\n$1\r\n1\r\n"
    );
    c.write_all(b"CLIENT REPLY SKIP\r\nPING skipped\r\nPING shown\r\n")
        .unwrap();
    assert_eq!(
        read_until(&mut c, "shown\r\n", Duration::from_secs(5)),
        "$5\r\nshown\r\n"
    );
    c.write_all(b"CLIENT REPLY maybe\r\n").unwrap();
    assert_eq!(
        read_until(&mut c, "\r\n", Duration::from_secs(5)),
        "-ERR syntax error\r\n"
    );
}

#[test]
fn no_evict_setinfo_tracking_and_help() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    assert_eq!(q::<String>(&mut c, &["CLIENT", "NO-EVICT", "on"]), "OK");
    let info = q::<String>(&mut c, &["CLIENT", "INFO"]);
    assert_eq!(field(info.trim_end(), "flags"), "e");
    assert_eq!(
        q_err(&mut c, &["CLIENT", "NO-EVICT", "maybe"]),
        "ERR syntax error"
    );
    assert_eq!(
        q::<String>(&mut c, &["CLIENT", "SETINFO", "LIB-NAME", "redis-rs"]),
        "OK"
    );
    assert_eq!(
        q::<String>(&mut c, &["CLIENT", "SETINFO", "lib-ver", "1.0"]),
        "OK"
    );
    assert_eq!(
        q_err(&mut c, &["CLIENT", "SETINFO", "foo", "bar"]),
        "ERR Unrecognized option 'foo'"
    );
    assert!(q_err(&mut c, &["CLIENT", "TRACKING", "on"]).contains("not supported"));
    assert_eq!(q::<i64>(&mut c, &["CLIENT", "GETREDIR"]), -1);
    assert_eq!(
        q_err(&mut c, &["CLIENT", "CACHING", "yes"]),
        "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled"
    );
    let help = q::<Vec<String>>(&mut c, &["CLIENT", "HELP"]);
    assert_eq!(
        help[0],
        "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    );
    assert_eq!(help.last().unwrap(), "    Prints this help.");
    assert_eq!(
        q_err(&mut c, &["CLIENT", "NOSUCH"]),
        "ERR unknown subcommand 'NOSUCH'. Try CLIENT HELP."
    );
    assert_eq!(
        q_err(&mut c, &["CLIENT", "PAUSE", "1", "ALL", "x"]),
        "ERR unknown subcommand or wrong number of arguments for 'PAUSE'. Try CLIENT HELP."
    );
}

#[test]
fn unblock() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    assert_eq!(q::<i64>(&mut c, &["CLIENT", "UNBLOCK", "999"]), 0);
    let me = q::<i64>(&mut c, &["CLIENT", "ID"]).to_string();
    assert_eq!(q::<i64>(&mut c, &["CLIENT", "UNBLOCK", &me]), 0);
    assert_eq!(
        q_err(&mut c, &["CLIENT", "UNBLOCK", "1", "foo"]),
        "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"
    );
    assert_eq!(
        q_err(&mut c, &["CLIENT", "UNBLOCK", "x"]),
        "ERR value is not an integer or out of range"
    );
    // With a blocking list command in the table, unblock a real waiter both ways.
    if run(&mut c, &["BLPOP", "nolist", "0.01"]).is_err() {
        eprintln!("BLPOP not available in this build: skipping the blocked-client part");
        return;
    }
    for (reason, want) in [
        ("TIMEOUT", "*-1\r\n"),
        (
            "ERROR",
            "-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n",
        ),
    ] {
        let mut b = s.raw();
        b.write_all(b"CLIENT ID\r\n").unwrap();
        let id = read_until(&mut b, "\r\n", Duration::from_secs(5))
            .trim()
            .trim_start_matches(':')
            .to_string();
        b.write_all(b"BLPOP somelist 0\r\n").unwrap();
        assert!(
            wait_for(Duration::from_secs(5), || q::<i64>(
                &mut c,
                &["CLIENT", "UNBLOCK", &id, reason]
            ) != 0),
            "client never blocked"
        );
        assert_eq!(read_until(&mut b, "\r\n", Duration::from_secs(5)), want);
    }
}
