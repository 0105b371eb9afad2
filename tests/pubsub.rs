//! Pub/sub and keyspace notifications against the real binary, on raw sockets so that the exact
//! RESP2 arrays and RESP3 pushes are checked (Redis 7.0's tests/unit/pubsub.tcl).

mod common;

use std::time::Duration;

use common::resp::{Raw, RespValue as R};
use common::{DEBUG, Server, q};

fn b(s: &str) -> R {
    R::Bulk(s.to_string())
}

/// A RESP2 array or RESP3 push of bulk strings and one trailing item.
fn msg(resp3: bool, items: &[&str], last: R) -> R {
    let mut v: Vec<R> = items.iter().map(|s| b(s)).collect();
    v.push(last);
    if resp3 { R::Push(v) } else { R::Arr(v) }
}

fn bulks(resp3: bool, items: &[&str]) -> R {
    let v: Vec<R> = items.iter().map(|s| b(s)).collect();
    if resp3 { R::Push(v) } else { R::Arr(v) }
}

const CONTEXT_ERR: &str =
    "only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context";

fn subscribe_publish_unsubscribe(resp3: bool) {
    let s = Server::start(&[]);
    let mut sub = Raw::open(&s);
    if resp3 {
        sub.hello3();
    }
    let mut c = s.conn();
    sub.send(&["SUBSCRIBE", "chan1", "chan2"]);
    assert_eq!(
        sub.read_value(),
        msg(resp3, &["subscribe", "chan1"], R::Int(1))
    );
    assert_eq!(
        sub.read_value(),
        msg(resp3, &["subscribe", "chan2"], R::Int(2))
    );
    // Subscribing twice does not count twice.
    assert_eq!(
        sub.call(&["SUBSCRIBE", "chan1"]),
        msg(resp3, &["subscribe", "chan1"], R::Int(2))
    );
    assert_eq!(
        sub.call(&["PSUBSCRIBE", "ch*"]),
        msg(resp3, &["psubscribe", "ch*"], R::Int(3))
    );
    assert_eq!(q::<i64>(&mut c, &["PUBLISH", "chan1", "hello"]), 2);
    assert_eq!(
        sub.read_value(),
        bulks(resp3, &["message", "chan1", "hello"])
    );
    assert_eq!(
        sub.read_value(),
        bulks(resp3, &["pmessage", "ch*", "chan1", "hello"])
    );
    assert_eq!(q::<i64>(&mut c, &["PUBLISH", "chanX", "only-pattern"]), 1);
    assert_eq!(
        sub.read_value(),
        bulks(resp3, &["pmessage", "ch*", "chanX", "only-pattern"])
    );
    assert_eq!(q::<i64>(&mut c, &["PUBLISH", "other", "nobody"]), 0);
    // Binary-safe payloads and empty messages.
    assert_eq!(q::<i64>(&mut c, &["PUBLISH", "chan2", ""]), 2);
    assert_eq!(sub.read_value(), bulks(resp3, &["message", "chan2", ""]));
    assert_eq!(
        sub.read_value(),
        bulks(resp3, &["pmessage", "ch*", "chan2", ""])
    );
    // Unsubscribing.
    assert_eq!(
        sub.call(&["UNSUBSCRIBE", "chan1", "notsubscribed"]),
        msg(resp3, &["unsubscribe", "chan1"], R::Int(2))
    );
    assert_eq!(
        sub.read_value(),
        msg(resp3, &["unsubscribe", "notsubscribed"], R::Int(2))
    );
    assert_eq!(q::<i64>(&mut c, &["PUBLISH", "chan1", "hello"]), 1);
    assert_eq!(
        sub.read_value(),
        bulks(resp3, &["pmessage", "ch*", "chan1", "hello"])
    );
    assert_eq!(
        sub.call(&["PUNSUBSCRIBE"]),
        msg(resp3, &["punsubscribe", "ch*"], R::Int(1))
    );
    assert_eq!(
        sub.call(&["UNSUBSCRIBE"]),
        msg(resp3, &["unsubscribe", "chan2"], R::Int(0))
    );
    assert_eq!(q::<i64>(&mut c, &["PUBLISH", "chan2", "hello"]), 0);
    // With nothing subscribed, the confirmation carries a null name.
    let null = |kind: &str| {
        let v = vec![b(kind), R::Nil, R::Int(0)];
        if resp3 { R::Push(v) } else { R::Arr(v) }
    };
    assert_eq!(sub.call(&["UNSUBSCRIBE"]), null("unsubscribe"));
    assert_eq!(sub.call(&["PUNSUBSCRIBE"]), null("punsubscribe"));
    // Out of the subscribed context, normal commands work again.
    assert_eq!(sub.call(&["SET", "k", "v"]), R::Simple("OK".into()));
    sub.assert_quiet();
}

#[test]
fn subscribe_publish_unsubscribe_resp2() {
    subscribe_publish_unsubscribe(false);
}

#[test]
fn subscribe_publish_unsubscribe_resp3() {
    subscribe_publish_unsubscribe(true);
}

#[test]
fn resp2_subscribed_context_restricts_commands() {
    let s = Server::start(&[]);
    let mut sub = Raw::open(&s);
    assert_eq!(
        sub.call(&["SUBSCRIBE", "ch"]),
        msg(false, &["subscribe", "ch"], R::Int(1))
    );
    assert_eq!(
        sub.call(&["GET", "x"]),
        R::Err(format!("ERR Can't execute 'get': {CONTEXT_ERR}"))
    );
    assert_eq!(
        sub.call(&["CONFIG", "GET", "port"]),
        R::Err(format!("ERR Can't execute 'config|get': {CONTEXT_ERR}"))
    );
    assert_eq!(sub.call(&["PING"]), R::Arr(vec![b("pong"), b("")]));
    assert_eq!(sub.call(&["PING", "hi"]), R::Arr(vec![b("pong"), b("hi")]));
    assert_eq!(
        sub.call(&["PSUBSCRIBE", "p*"]),
        msg(false, &["psubscribe", "p*"], R::Int(2))
    );
    assert_eq!(
        sub.call(&["UNSUBSCRIBE", "ch"]),
        msg(false, &["unsubscribe", "ch"], R::Int(1))
    );
    // Still subscribed to a pattern: still restricted.
    assert!(matches!(sub.call(&["ECHO", "x"]), R::Err(e) if e.contains("in this context")));
    // RESET leaves the context.
    assert_eq!(sub.call(&["RESET"]), R::Simple("RESET".into()));
    assert_eq!(sub.call(&["PING"]), R::Simple("PONG".into()));
    assert_eq!(sub.call(&["ECHO", "x"]), b("x"));
    // QUIT is allowed in the context.
    assert_eq!(
        sub.call(&["SUBSCRIBE", "ch"]),
        msg(false, &["subscribe", "ch"], R::Int(1))
    );
    assert_eq!(sub.call(&["QUIT"]), R::Simple("OK".into()));
}

/// A RESP3 client subscribed to `channel`.
fn resp3_subscriber(s: &Server, channel: &str) -> Raw {
    let mut sub = Raw::open(s);
    sub.hello3();
    assert_eq!(
        sub.call(&["SUBSCRIBE", channel]),
        msg(true, &["subscribe", channel], R::Int(1))
    );
    sub
}

#[test]
fn resp3_subscriber_can_run_commands_and_publish_to_itself() {
    let s = Server::start(&[]);
    let mut sub = resp3_subscriber(&s, "foo");
    assert_eq!(sub.call(&["SET", "k", "v"]), R::Simple("OK".into()));
    assert_eq!(sub.call(&["GET", "k"]), b("v"));
    assert_eq!(sub.call(&["PING"]), R::Simple("PONG".into()));
    assert_eq!(sub.call(&["PING", "abc"]), b("abc"));
    // The message to itself is pushed before the PUBLISH reply, as Redis does.
    sub.send(&["PUBLISH", "foo", "bar"]);
    assert_eq!(sub.read_value(), bulks(true, &["message", "foo", "bar"]));
    assert_eq!(sub.read_value(), R::Int(1));
    // Pipelined: every push comes before the reply of the command that caused it.
    sub.send(&["PUBLISH", "foo", "one"]);
    sub.send(&["PING", "x"]);
    sub.send(&["PUBLISH", "foo", "two"]);
    assert_eq!(sub.read_value(), bulks(true, &["message", "foo", "one"]));
    assert_eq!(sub.read_value(), R::Int(1));
    assert_eq!(sub.read_value(), b("x"));
    assert_eq!(sub.read_value(), bulks(true, &["message", "foo", "two"]));
    assert_eq!(sub.read_value(), R::Int(1));
    sub.assert_quiet();
}

#[test]
fn resp3_publish_to_self_inside_multi() {
    let s = Server::start(&[]);
    let mut sub = resp3_subscriber(&s, "foo");
    assert_eq!(sub.call(&["MULTI"]), R::Simple("OK".into()));
    for cmd in [
        &["PING", "abc"][..],
        &["PUBLISH", "foo", "bar"],
        &["PUBLISH", "foo", "vaz"],
    ] {
        assert_eq!(sub.call(cmd), R::Simple("QUEUED".into()));
    }
    sub.send(&["EXEC"]);
    // Redis 7.0.15 interleaves the pushes inside the EXEC array (fixed in 7.2: they follow it);
    // read leniently: collect the pushes wherever they are.
    let mut pushes = Vec::new();
    let mut first = sub.read_value();
    while let R::Push(p) = first {
        pushes.push(R::Push(p));
        first = sub.read_value();
    }
    let R::Arr(items) = first else {
        panic!("EXEC replied {first:?}");
    };
    let mut replies: Vec<R> = Vec::new();
    for it in items {
        if let R::Push(_) = it {
            pushes.push(it);
        } else {
            replies.push(it);
        }
    }
    while replies.len() < 3 {
        match sub.read_value() {
            p @ R::Push(_) => pushes.push(p),
            other => replies.push(other),
        }
    }
    assert_eq!(replies, vec![b("abc"), R::Int(1), R::Int(1)]);
    while pushes.len() < 2 {
        pushes.push(sub.read_value());
    }
    assert_eq!(
        pushes,
        vec![
            bulks(true, &["message", "foo", "bar"]),
            bulks(true, &["message", "foo", "vaz"])
        ]
    );
    sub.assert_quiet();
}

#[test]
fn pubsub_introspection() {
    let s = Server::start(&[]);
    let mut a = Raw::open(&s);
    let mut b2 = Raw::open(&s);
    let mut c = s.conn();
    assert!(q::<Vec<String>>(&mut c, &["PUBSUB", "CHANNELS"]).is_empty());
    assert_eq!(q::<i64>(&mut c, &["PUBSUB", "NUMPAT"]), 0);
    a.send(&["SUBSCRIBE", "news.tech", "news.art", "sport"]);
    for _ in 0..3 {
        a.read_value();
    }
    b2.send(&["SUBSCRIBE", "news.tech"]);
    b2.read_value();
    a.send(&["PSUBSCRIBE", "news.*", "sp*"]);
    a.read_value();
    a.read_value();
    b2.send(&["PSUBSCRIBE", "news.*"]);
    b2.read_value();
    let mut chans: Vec<String> = q(&mut c, &["PUBSUB", "CHANNELS"]);
    chans.sort();
    assert_eq!(chans, vec!["news.art", "news.tech", "sport"]);
    let mut chans: Vec<String> = q(&mut c, &["PUBSUB", "CHANNELS", "news.*"]);
    chans.sort();
    assert_eq!(chans, vec!["news.art", "news.tech"]);
    assert!(q::<Vec<String>>(&mut c, &["PUBSUB", "CHANNELS", "nomatch*"]).is_empty());
    assert_eq!(
        q::<Vec<redis::Value>>(&mut c, &["PUBSUB", "NUMSUB", "news.tech", "sport", "none"]),
        vec![
            redis::Value::BulkString(b"news.tech".to_vec()),
            redis::Value::Int(2),
            redis::Value::BulkString(b"sport".to_vec()),
            redis::Value::Int(1),
            redis::Value::BulkString(b"none".to_vec()),
            redis::Value::Int(0),
        ]
    );
    assert!(q::<Vec<String>>(&mut c, &["PUBSUB", "NUMSUB"]).is_empty());
    // NUMPAT counts distinct patterns.
    assert_eq!(q::<i64>(&mut c, &["PUBSUB", "NUMPAT"]), 2);
    // A disconnecting client drops its subscriptions.
    drop(b2);
    assert!(common::wait_for(Duration::from_secs(3), || {
        q::<Vec<redis::Value>>(&mut c, &["PUBSUB", "NUMSUB", "news.tech"])
            == vec![
                redis::Value::BulkString(b"news.tech".to_vec()),
                redis::Value::Int(1),
            ]
    }));
    a.send(&["UNSUBSCRIBE", "sport"]);
    a.read_value();
    let mut chans: Vec<String> = q(&mut c, &["PUBSUB", "CHANNELS"]);
    chans.sort();
    assert_eq!(chans, vec!["news.art", "news.tech"]);
    assert_eq!(q::<i64>(&mut c, &["PUBSUB", "NUMPAT"]), 2);
    a.send(&["PUNSUBSCRIBE", "sp*"]);
    a.read_value();
    assert_eq!(q::<i64>(&mut c, &["PUBSUB", "NUMPAT"]), 1);
    // Errors.
    let mut e = Raw::open(&s);
    assert_eq!(
        e.call(&["PUBSUB", "CHANNELS", "a", "b"]),
        R::Err(
            "ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. Try PUBSUB HELP."
                .into()
        )
    );
    assert_eq!(
        e.call(&["PUBSUB", "FOO"]),
        R::Err("ERR unknown subcommand 'FOO'. Try PUBSUB HELP.".into())
    );
    assert_eq!(
        e.call(&["SUBSCRIBE"]),
        R::Err("ERR wrong number of arguments for 'subscribe' command".into())
    );
    assert_eq!(
        e.call(&["PUBLISH", "a"]),
        R::Err("ERR wrong number of arguments for 'publish' command".into())
    );
}

/// Subscribes a raw RESP2 client to every keyspace/keyevent channel.
fn watch_events(s: &Server) -> Raw {
    let mut sub = Raw::open(s);
    assert_eq!(
        sub.call(&["PSUBSCRIBE", "__key*__:*"]),
        msg(false, &["psubscribe", "__key*__:*"], R::Int(1))
    );
    sub
}

/// Reads the next notification as (channel, payload).
fn event(sub: &mut Raw) -> (String, String) {
    match sub.read_value() {
        R::Arr(v) if v.len() == 4 && v[0] == b("pmessage") => match (&v[2], &v[3]) {
            (R::Bulk(ch), R::Bulk(p)) => (ch.clone(), p.clone()),
            _ => panic!("bad pmessage {v:?}"),
        },
        other => panic!("expected a pmessage, got {other:?}"),
    }
}

fn ev(ch: &str, payload: &str) -> (String, String) {
    (ch.to_string(), payload.to_string())
}

#[test]
fn keyspace_and_keyevent_notifications() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let mut sub = watch_events(&s);
    // Off by default.
    let _: () = q(&mut c, &["SET", "foo", "bar"]);
    let _: () = q(&mut c, &["CONFIG", "SET", "notify-keyspace-events", "KEA"]);
    assert_eq!(
        q::<Vec<String>>(&mut c, &["CONFIG", "GET", "notify-keyspace-events"]),
        vec!["notify-keyspace-events", "AKE"]
    );
    let _: () = q(&mut c, &["SET", "foo", "bar"]);
    assert_eq!(event(&mut sub), ev("__keyspace@0__:foo", "set"));
    assert_eq!(event(&mut sub), ev("__keyevent@0__:set", "foo"));
    // Keyspace only.
    let _: () = q(&mut c, &["CONFIG", "SET", "notify-keyspace-events", "KA"]);
    let _: () = q(&mut c, &["SET", "foo", "bar"]);
    let _: i64 = q(&mut c, &["DEL", "foo"]);
    assert_eq!(event(&mut sub), ev("__keyspace@0__:foo", "set"));
    assert_eq!(event(&mut sub), ev("__keyspace@0__:foo", "del"));
    // Keyevent only, in another database.
    let _: () = q(&mut c, &["CONFIG", "SET", "notify-keyspace-events", "EA"]);
    let _: () = q(&mut c, &["SELECT", "3"]);
    let _: () = q(&mut c, &["SET", "foo", "bar"]);
    assert_eq!(event(&mut sub), ev("__keyevent@3__:set", "foo"));
    let _: () = q(&mut c, &["SELECT", "0"]);
    // Masking: only generic events.
    let _: () = q(&mut c, &["CONFIG", "SET", "notify-keyspace-events", "Eg"]);
    let _: () = q(&mut c, &["SET", "foo", "bar"]);
    let _: () = q(&mut c, &["APPEND", "foo", "x"]);
    let _: () = q(&mut c, &["EXPIRE", "foo", "100"]);
    let _: () = q(&mut c, &["PERSIST", "foo"]);
    let _: () = q(&mut c, &["RENAME", "foo", "bar"]);
    let _: i64 = q(&mut c, &["DEL", "bar", "nokey"]);
    assert_eq!(event(&mut sub), ev("__keyevent@0__:expire", "foo"));
    assert_eq!(event(&mut sub), ev("__keyevent@0__:persist", "foo"));
    assert_eq!(event(&mut sub), ev("__keyevent@0__:rename_from", "foo"));
    assert_eq!(event(&mut sub), ev("__keyevent@0__:rename_to", "bar"));
    assert_eq!(event(&mut sub), ev("__keyevent@0__:del", "bar"));
    // String events.
    let _: () = q(&mut c, &["CONFIG", "SET", "notify-keyspace-events", "E$"]);
    let _: () = q(&mut c, &["SET", "n", "1"]);
    let _: i64 = q(&mut c, &["INCR", "n"]);
    let _: i64 = q(&mut c, &["INCRBY", "n", "5"]);
    let _: i64 = q(&mut c, &["DECR", "n"]);
    let _: String = q(&mut c, &["INCRBYFLOAT", "n", "1.5"]);
    let _: i64 = q(&mut c, &["APPEND", "n", "0"]);
    let _: i64 = q(&mut c, &["SETRANGE", "n", "0", "9"]);
    let _: () = q(&mut c, &["MSET", "a", "1", "b", "2"]);
    for (e, k) in [
        ("set", "n"),
        ("incrby", "n"),
        ("incrby", "n"),
        ("incrby", "n"), // DECR too: Redis always says incrby
        ("incrbyfloat", "n"),
        ("append", "n"),
        ("setrange", "n"),
        ("set", "a"),
        ("set", "b"),
    ] {
        assert_eq!(event(&mut sub), ev(&format!("__keyevent@0__:{e}"), k));
    }
    // SET with a TTL also fires a generic expire event; GETDEL a del.
    let _: () = q(&mut c, &["CONFIG", "SET", "notify-keyspace-events", "KEA"]);
    let _: () = q(&mut c, &["SET", "t", "v", "EX", "100"]);
    assert_eq!(event(&mut sub), ev("__keyspace@0__:t", "set"));
    assert_eq!(event(&mut sub), ev("__keyevent@0__:set", "t"));
    assert_eq!(event(&mut sub), ev("__keyspace@0__:t", "expire"));
    assert_eq!(event(&mut sub), ev("__keyevent@0__:expire", "t"));
    let _: String = q(&mut c, &["GETDEL", "t"]);
    assert_eq!(event(&mut sub), ev("__keyspace@0__:t", "del"));
    assert_eq!(event(&mut sub), ev("__keyevent@0__:del", "t"));
    // EXPIRE in the past is a del.
    let _: () = q(&mut c, &["CONFIG", "SET", "notify-keyspace-events", "Eg"]);
    let _: () = q(&mut c, &["SET", "p", "v"]);
    let _: i64 = q(&mut c, &["EXPIRE", "p", "-1"]);
    assert_eq!(event(&mut sub), ev("__keyevent@0__:del", "p"));
    // Disabled again: nothing more arrives.
    let _: () = q(&mut c, &["CONFIG", "SET", "notify-keyspace-events", ""]);
    let _: () = q(&mut c, &["SET", "foo", "bar"]);
    sub.assert_quiet();
    // A bad class character is refused.
    let e = common::q_err(&mut c, &["CONFIG", "SET", "notify-keyspace-events", "Z"]);
    assert!(
        e.starts_with(
            "ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events')"
        ),
        "{e}"
    );
}

#[test]
fn expired_notifications_lazy_and_active() {
    let s = Server::start(DEBUG);
    let mut c = s.conn();
    let mut sub = watch_events(&s);
    let _: () = q(&mut c, &["CONFIG", "SET", "notify-keyspace-events", "Ex"]);
    // Triggered by an access.
    let _: () = q(&mut c, &["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
    let _: () = q(&mut c, &["PSETEX", "foo", "50", "1"]);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(q::<Option<String>>(&mut c, &["GET", "foo"]), None);
    assert_eq!(event(&mut sub), ev("__keyevent@0__:expired", "foo"));
    // By the background cycle.
    let _: () = q(&mut c, &["DEBUG", "SET-ACTIVE-EXPIRE", "1"]);
    let _: () = q(&mut c, &["PSETEX", "bar", "50", "1"]);
    assert_eq!(event(&mut sub), ev("__keyevent@0__:expired", "bar"));
}

#[test]
fn evicted_and_keymiss_notifications() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let mut sub = watch_events(&s);
    let _: () = q(&mut c, &["CONFIG", "SET", "notify-keyspace-events", "Ee"]);
    let _: () = q(
        &mut c,
        &["CONFIG", "SET", "maxmemory-policy", "allkeys-lru"],
    );
    let _: () = q(&mut c, &["SET", "foo", "bar"]);
    let _: () = q(&mut c, &["CONFIG", "SET", "maxmemory", "1"]);
    assert_eq!(event(&mut sub), ev("__keyevent@0__:evicted", "foo"));
    let _: () = q(&mut c, &["CONFIG", "SET", "maxmemory", "0"]);
    // Key misses ('m' is not part of 'A').
    let _: () = q(&mut c, &["CONFIG", "SET", "notify-keyspace-events", "KEA"]);
    let _: Option<String> = q(&mut c, &["GET", "nokey"]);
    let _: () = q(&mut c, &["CONFIG", "SET", "notify-keyspace-events", "KEm"]);
    let _: Option<String> = q(&mut c, &["GET", "nokey"]);
    assert_eq!(event(&mut sub), ev("__keyspace@0__:nokey", "keymiss"));
    assert_eq!(event(&mut sub), ev("__keyevent@0__:keymiss", "nokey"));
    sub.assert_quiet();
}

#[test]
fn new_key_notifications() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let mut sub = watch_events(&s);
    let _: () = q(&mut c, &["CONFIG", "SET", "notify-keyspace-events", "KEn"]);
    let _: () = q(&mut c, &["SET", "foo", "bar"]);
    let _: () = q(&mut c, &["SET", "foo", "baz"]);
    let _: i64 = q(&mut c, &["INCR", "counter"]);
    assert_eq!(event(&mut sub), ev("__keyspace@0__:foo", "new"));
    assert_eq!(event(&mut sub), ev("__keyevent@0__:new", "foo"));
    assert_eq!(event(&mut sub), ev("__keyspace@0__:counter", "new"));
    assert_eq!(event(&mut sub), ev("__keyevent@0__:new", "counter"));
    sub.assert_quiet();
}
