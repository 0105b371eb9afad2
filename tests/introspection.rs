//! Server introspection: INFO, COMMAND, SLOWLOG, LATENCY, MEMORY, OBJECT, DEBUG, MONITOR.

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::time::Duration;

use common::{DEBUG, Server, q, q_err, raw_roundtrip, run};
use redis::Value;

/// Starts a server that allows DEBUG, as Redis's own test suite configures it.
fn start() -> Server {
    Server::start(DEBUG)
}

/// Parses INFO text into (section list, field map).
fn parse_info(text: &str) -> (Vec<String>, HashMap<String, String>) {
    let mut sections = Vec::new();
    let mut fields = HashMap::new();
    for line in text.split("\r\n") {
        if let Some(name) = line.strip_prefix("# ") {
            sections.push(name.to_string());
        } else if !line.is_empty() {
            let (k, v) = line
                .split_once(':')
                .unwrap_or_else(|| panic!("unparseable INFO line {line:?}"));
            fields.insert(k.to_string(), v.to_string());
        }
    }
    (sections, fields)
}

fn info(c: &mut redis::Connection, args: &[&str]) -> (Vec<String>, HashMap<String, String>) {
    let mut cmd = vec!["INFO"];
    cmd.extend_from_slice(args);
    parse_info(&q::<String>(c, &cmd))
}

fn is_hex40(s: &str) -> bool {
    s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Whether the server knows a command (families land in separate branches).
fn has_command(c: &mut redis::Connection, name: &str) -> bool {
    !matches!(
        run(c, &["COMMAND", "INFO", name]),
        Ok(Value::Array(ref v)) if v.first() == Some(&Value::Nil)
    )
}

#[test]
fn info_default_sections_and_fields() {
    let s = start();
    let mut c = s.conn();
    let text = q::<String>(&mut c, &["INFO"]);
    assert!(text.ends_with("\r\n") && !text.ends_with("\r\n\r\n"));
    let (sections, f) = parse_info(&text);
    assert_eq!(
        sections,
        [
            "Server",
            "Clients",
            "Memory",
            "Persistence",
            "Stats",
            "Replication",
            "CPU",
            "Modules",
            "Errorstats",
            "Cluster",
            "Keyspace"
        ]
    );
    assert_eq!(f["redis_version"], "7.0.15");
    assert!(f.contains_key("vigil_version"));
    assert!(is_hex40(&f["run_id"]));
    assert_eq!(f["tcp_port"], s.port.to_string());
    assert_eq!(f["process_id"], s.child.id().to_string());
    for num in [
        "uptime_in_seconds",
        "uptime_in_days",
        "hz",
        "configured_hz",
        "lru_clock",
        "connected_clients",
        "blocked_clients",
        "maxclients",
        "used_memory",
        "used_memory_rss",
        "used_memory_peak",
        "maxmemory",
        "total_connections_received",
        "total_commands_processed",
        "instantaneous_ops_per_sec",
        "total_net_input_bytes",
        "expired_keys",
        "evicted_keys",
        "keyspace_hits",
        "keyspace_misses",
        "pubsub_channels",
        "pubsub_patterns",
        "total_error_replies",
        "master_repl_offset",
    ] {
        assert!(f[num].parse::<u64>().is_ok(), "{num} = {}", f[num]);
    }
    assert!(f["used_memory_rss"].parse::<u64>().unwrap_or(0) > 0);
    assert!(f["used_memory_human"].ends_with(['B', 'K', 'M', 'G']));
    assert_eq!(f["maxmemory_policy"], "noeviction");
    assert_eq!(f["loading"], "0");
    assert_eq!(f["rdb_bgsave_in_progress"], "0");
    assert_eq!(f["aof_enabled"], "0");
    assert_eq!(f["aof_rewrite_in_progress"], "0");
    assert_eq!(f["role"], "master");
    assert_eq!(f["connected_slaves"], "0");
    assert_eq!(f["master_failover_state"], "no-failover");
    assert!(is_hex40(&f["master_replid"]));
    assert_eq!(f["master_replid2"], "0".repeat(40));
    assert_eq!(f["second_repl_offset"], "-1");
    assert_eq!(f["repl_backlog_active"], "0");
    for cpu in ["used_cpu_sys", "used_cpu_user", "used_cpu_user_main_thread"] {
        assert!(f[cpu].parse::<f64>().is_ok(), "{cpu}");
    }
    assert_eq!(f["cluster_enabled"], "0");
    assert!(f["mem_allocator"].starts_with("jemalloc") || f["mem_allocator"] == "libc");
}

#[test]
fn info_section_selection() {
    let s = start();
    let mut c = s.conn();
    q::<String>(&mut c, &["SET", "k", "v"]);
    let (sections, f) = info(&mut c, &["cpu", "KEYSPACE", "nosuch"]);
    assert_eq!(sections, ["CPU", "Keyspace"]);
    assert_eq!(f["db0"], "keys=1,expires=0,avg_ttl=0");
    let (sections, _) = info(&mut c, &["keyspace", "server"]);
    assert_eq!(sections, ["Server", "Keyspace"], "fixed output order");
    let (all, _) = info(&mut c, &["all"]);
    assert!(all.contains(&"Commandstats".to_string()));
    assert!(all.contains(&"Latencystats".to_string()));
    let (everything, _) = info(&mut c, &["everything"]);
    assert_eq!(all, everything);
    let (sections, _) = info(&mut c, &["default", "commandstats"]);
    assert!(sections.contains(&"Server".to_string()));
    assert!(sections.contains(&"Commandstats".to_string()));
    assert_eq!(q::<String>(&mut c, &["INFO", "nosuch"]), "");
}

fn cmdstat(c: &mut redis::Connection, name: &str) -> HashMap<String, String> {
    let (_, f) = info(c, &["commandstats"]);
    let v = f
        .get(&format!("cmdstat_{name}"))
        .unwrap_or_else(|| panic!("no cmdstat_{name}"));
    v.split(',')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn commandstats_count_calls_failures_and_rejections() {
    let s = start();
    let mut c = s.conn();
    q::<String>(&mut c, &["CONFIG", "RESETSTAT"]);
    for i in 0..3 {
        q::<String>(&mut c, &["SET", "k", &i.to_string()]);
    }
    q::<String>(&mut c, &["SET", "s", "text"]);
    q_err(&mut c, &["INCR", "s"]);
    q_err(&mut c, &["SET", "onlykey"]);
    let set = cmdstat(&mut c, "set");
    assert_eq!(set["calls"], "4");
    assert_eq!(set["rejected_calls"], "1");
    assert_eq!(set["failed_calls"], "0");
    assert!(set["usec"].parse::<u64>().is_ok());
    assert!(set["usec_per_call"].contains('.'));
    let incr = cmdstat(&mut c, "incr");
    assert_eq!(incr["calls"], "1");
    assert_eq!(incr["failed_calls"], "1");
    // Subcommands are reported as parent|sub.
    q::<Value>(&mut c, &["CONFIG", "GET", "maxmemory"]);
    assert_eq!(cmdstat(&mut c, "config|get")["calls"], "1");
    let (_, f) = info(&mut c, &["latencystats"]);
    let p = &f["latency_percentiles_usec_set"];
    assert!(p.starts_with("p50=") && p.contains(",p99=") && p.contains(",p99.9="));
}

#[test]
fn errorstats_by_code() {
    let s = start();
    let mut c = s.conn();
    q::<String>(&mut c, &["CONFIG", "RESETSTAT"]);
    q::<String>(&mut c, &["SET", "s", "text"]);
    q_err(&mut c, &["INCR", "s"]);
    q_err(&mut c, &["NOSUCHCOMMAND"]);
    q_err(&mut c, &["DEBUG", "ERROR", "MYCODE custom failure"]);
    let (_, f) = info(&mut c, &["errorstats"]);
    assert_eq!(f["errorstat_ERR"], "count=2");
    assert_eq!(f["errorstat_MYCODE"], "count=1");
    let (_, stats) = info(&mut c, &["stats"]);
    assert_eq!(stats["total_error_replies"], "3");
}

#[test]
fn command_count_matches_listing() {
    let s = start();
    let mut c = s.conn();
    let count = q::<i64>(&mut c, &["COMMAND", "COUNT"]);
    let all = match run(&mut c, &["COMMAND"]) {
        Ok(Value::Array(v)) => v,
        other => panic!("{other:?}"),
    };
    assert_eq!(all.len() as i64, count);
    let list = q::<Vec<String>>(&mut c, &["COMMAND", "LIST"]);
    assert_eq!(
        list.iter().filter(|n| !n.contains('|')).count() as i64,
        count
    );
    assert!(list.iter().any(|n| n == "config|get"));
    let slow = q::<Vec<String>>(&mut c, &["COMMAND", "LIST", "FILTERBY", "PATTERN", "SLOW*"]);
    assert!(slow.contains(&"slowlog".to_string()) && slow.contains(&"slowlog|get".to_string()));
    let strings = q::<Vec<String>>(&mut c, &["COMMAND", "LIST", "FILTERBY", "ACLCAT", "string"]);
    assert!(strings.contains(&"get".to_string()) && !strings.contains(&"info".to_string()));
    assert!(q::<Vec<String>>(&mut c, &["COMMAND", "LIST", "FILTERBY", "MODULE", "x"]).is_empty());
    assert_eq!(
        q_err(&mut c, &["COMMAND", "LIST", "bar"]),
        "ERR syntax error"
    );
    assert_eq!(
        q_err(&mut c, &["COMMAND", "LIST", "FILTERBY", "foo", "x"]),
        "ERR syntax error"
    );
}

#[test]
fn command_info_shape() {
    let s = start();
    let mut c = s.conn();
    let reply = match run(&mut c, &["COMMAND", "INFO", "get", "nosuch", "CONFIG"]) {
        Ok(Value::Array(v)) => v,
        other => panic!("{other:?}"),
    };
    assert_eq!(reply.len(), 3);
    let Value::Array(get) = &reply[0] else {
        panic!("{:?}", reply[0])
    };
    assert_eq!(get.len(), 10);
    assert_eq!(get[0], Value::BulkString(b"get".to_vec()));
    assert_eq!(get[1], Value::Int(2));
    let names = |v: &Value| -> Vec<String> {
        match v {
            Value::Array(items) | Value::Set(items) => items
                .iter()
                .map(|i| match i {
                    Value::SimpleString(s) => s.clone(),
                    Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
                    other => panic!("{other:?}"),
                })
                .collect(),
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(names(&get[2]), ["readonly", "fast"]);
    assert_eq!(&get[3..6], &[Value::Int(1), Value::Int(1), Value::Int(1)]);
    assert_eq!(names(&get[6]), ["@read", "@string", "@fast"]);
    assert!(names(&get[7]).is_empty());
    let Value::Array(specs) = &get[8] else {
        panic!("{:?}", get[8])
    };
    assert_eq!(specs.len(), 1);
    assert!(matches!(&get[9], Value::Array(v) if v.is_empty()));
    assert_eq!(reply[1], Value::Nil);
    let Value::Array(config) = &reply[2] else {
        panic!("{:?}", reply[2])
    };
    assert_eq!(config[0], Value::BulkString(b"config".to_vec()));
    let Value::Array(subs) = &config[9] else {
        panic!("{:?}", config[9])
    };
    assert!(subs.iter().any(|s| matches!(s,
        Value::Array(e) if e[0] == Value::BulkString(b"config|get".to_vec()))));
    // The same shape as real Redis 7.0 prints through redis-cli.
    let cli = s.cli(&["COMMAND", "INFO", "get"]);
    assert!(cli.starts_with("get\n2\nreadonly\nfast\n1\n1\n1\n@read\n@string\n@fast\n"));
    // COMMAND DOCS: a map keyed by name, unknown names skipped.
    let docs =
        q::<HashMap<String, HashMap<String, Value>>>(&mut c, &["COMMAND", "DOCS", "get", "nosuch"]);
    assert_eq!(docs.len(), 1);
    assert_eq!(docs["get"]["group"], Value::BulkString(b"string".to_vec()));
    assert!(docs["get"].contains_key("summary") && docs["get"].contains_key("since"));
}

#[test]
fn command_getkeys() {
    let s = start();
    let mut c = s.conn();
    assert_eq!(
        q::<Vec<String>>(&mut c, &["COMMAND", "GETKEYS", "SET", "k", "v"]),
        ["k"]
    );
    assert_eq!(
        q::<Vec<String>>(&mut c, &["COMMAND", "GETKEYS", "mset", "a", "1", "b", "2"]),
        ["a", "b"]
    );
    assert_eq!(
        q::<Vec<String>>(&mut c, &["COMMAND", "GETKEYS", "memory", "usage", "k"]),
        ["k"]
    );
    let flags = match run(&mut c, &["COMMAND", "GETKEYSANDFLAGS", "mset", "a", "1"]) {
        Ok(Value::Array(v)) => v,
        other => panic!("{other:?}"),
    };
    assert!(matches!(&flags[0], Value::Array(kf) if kf[0] == Value::BulkString(b"a".to_vec())));
    assert_eq!(
        q_err(&mut c, &["COMMAND", "GETKEYS", "nosuch", "a"]),
        "ERR Invalid command specified"
    );
    assert_eq!(
        q_err(&mut c, &["COMMAND", "GETKEYS", "get", "a", "b"]),
        "ERR Invalid number of arguments specified for command"
    );
    assert_eq!(
        q_err(&mut c, &["COMMAND", "GETKEYS", "config", "get", "x"]),
        "ERR The command has no key arguments"
    );
    assert_eq!(
        q_err(&mut c, &["COMMAND", "GETKEYS", "get"]),
        "ERR wrong number of arguments for 'command|getkeys' command"
    );
    if has_command(&mut c, "zunionstore") {
        assert_eq!(
            q::<Vec<String>>(
                &mut c,
                &[
                    "COMMAND",
                    "GETKEYS",
                    "zunionstore",
                    "d",
                    "2",
                    "a",
                    "b",
                    "WEIGHTS",
                    "1",
                    "2"
                ]
            ),
            ["d", "a", "b"]
        );
    }
}

#[test]
fn slowlog_records_every_command_at_zero_threshold() {
    let s = start();
    let mut c = s.conn();
    q::<String>(&mut c, &["CONFIG", "SET", "slowlog-log-slower-than", "0"]);
    q::<String>(&mut c, &["SLOWLOG", "RESET"]);
    q::<String>(&mut c, &["SET", "slowkey", "slowvalue"]);
    let entries = match run(&mut c, &["SLOWLOG", "GET", "1"]) {
        Ok(Value::Array(v)) => v,
        other => panic!("{other:?}"),
    };
    assert_eq!(entries.len(), 1);
    let Value::Array(e) = &entries[0] else {
        panic!("{:?}", entries[0])
    };
    assert_eq!(e.len(), 6);
    assert!(matches!(e[0], Value::Int(_)));
    assert!(matches!(e[1], Value::Int(t) if t > 1_600_000_000));
    assert!(matches!(e[2], Value::Int(d) if d >= 0));
    assert_eq!(
        e[3],
        Value::Array(vec![
            Value::BulkString(b"SET".to_vec()),
            Value::BulkString(b"slowkey".to_vec()),
            Value::BulkString(b"slowvalue".to_vec()),
        ])
    );
    assert!(matches!(&e[4], Value::BulkString(a) if a.starts_with(b"127.0.0.1:")));
    assert_eq!(e[5], Value::BulkString(vec![]));
    assert!(q::<i64>(&mut c, &["SLOWLOG", "LEN"]) >= 2);
    assert_eq!(
        q_err(&mut c, &["SLOWLOG", "GET", "-2"]),
        "ERR count should be greater than or equal to -1"
    );
    q::<String>(&mut c, &["CONFIG", "SET", "slowlog-log-slower-than", "-1"]);
    q::<String>(&mut c, &["SLOWLOG", "RESET"]);
    q::<String>(&mut c, &["SET", "x", "y"]);
    assert_eq!(q::<i64>(&mut c, &["SLOWLOG", "LEN"]), 0);
    let help = q::<Vec<String>>(&mut c, &["SLOWLOG", "HELP"]);
    assert!(help[0].starts_with("SLOWLOG <subcommand>"));
}

#[test]
fn latency_monitor_records_slow_commands() {
    let s = start();
    let mut c = s.conn();
    q::<String>(&mut c, &["DEBUG", "SLEEP", "0.02"]);
    assert!(q::<Vec<Value>>(&mut c, &["LATENCY", "LATEST"]).is_empty());
    q::<String>(&mut c, &["CONFIG", "SET", "latency-monitor-threshold", "5"]);
    q::<String>(&mut c, &["DEBUG", "SLEEP", "0.02"]);
    let latest = q::<Vec<(String, i64, i64, i64)>>(&mut c, &["LATENCY", "LATEST"]);
    assert_eq!(latest.len(), 1);
    assert_eq!(latest[0].0, "command");
    assert!(latest[0].2 >= 20 && latest[0].3 >= latest[0].2);
    let history = q::<Vec<(i64, i64)>>(&mut c, &["LATENCY", "HISTORY", "command"]);
    assert_eq!(history.len(), 1);
    assert!(q::<String>(&mut c, &["LATENCY", "DOCTOR"]).contains("command"));
    assert!(q::<String>(&mut c, &["LATENCY", "GRAPH", "command"]).starts_with("command - high"));
    assert_eq!(
        q_err(&mut c, &["LATENCY", "GRAPH", "nosuch"]),
        "ERR No samples available for event 'nosuch'"
    );
    assert_eq!(
        q::<i64>(&mut c, &["LATENCY", "RESET", "command", "nosuch"]),
        1
    );
    assert!(q::<Vec<Value>>(&mut c, &["LATENCY", "LATEST"]).is_empty());
    let h = q::<HashMap<String, HashMap<String, Value>>>(
        &mut c,
        &["LATENCY", "HISTOGRAM", "debug", "nosuch"],
    );
    assert_eq!(h["debug"]["calls"], Value::Int(2));
}

#[test]
fn object_encoding_reflects_content() {
    let s = start();
    let mut c = s.conn();
    let long = "x".repeat(45);
    for (value, enc) in [
        ("12345", "int"),
        ("-9223372036854775808", "int"),
        ("012", "embstr"),
        ("hello", "embstr"),
        (&"y".repeat(44)[..], "embstr"),
        (&long[..], "raw"),
    ] {
        q::<String>(&mut c, &["SET", "k", value]);
        assert_eq!(
            q::<String>(&mut c, &["OBJECT", "ENCODING", "k"]),
            enc,
            "{value}"
        );
    }
    assert_eq!(
        run(&mut c, &["OBJECT", "ENCODING", "nokey"]),
        Ok(Value::Nil)
    );
    q::<String>(&mut c, &["SET", "n", "100"]);
    assert_eq!(
        q::<i64>(&mut c, &["OBJECT", "REFCOUNT", "n"]),
        i32::MAX as i64
    );
    assert_eq!(q::<i64>(&mut c, &["OBJECT", "REFCOUNT", "k"]), 1);
    assert!(q::<i64>(&mut c, &["OBJECT", "IDLETIME", "k"]) >= 0);
    assert_eq!(
        q_err(&mut c, &["OBJECT", "FREQ", "k"]),
        "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."
    );
    q::<String>(
        &mut c,
        &["CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"],
    );
    assert!(q::<i64>(&mut c, &["OBJECT", "FREQ", "k"]) >= 0);
    assert_eq!(
        q_err(&mut c, &["OBJECT", "IDLETIME", "k"]),
        "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."
    );
    if has_command(&mut c, "rpush") {
        q::<i64>(&mut c, &["RPUSH", "l", "a"]);
        assert_eq!(
            q::<String>(&mut c, &["OBJECT", "ENCODING", "l"]),
            "quicklist"
        );
    }
    if has_command(&mut c, "hset") {
        q::<i64>(&mut c, &["HSET", "h", "f", "v"]);
        assert_eq!(
            q::<String>(&mut c, &["OBJECT", "ENCODING", "h"]),
            "listpack"
        );
        q::<i64>(&mut c, &["HSET", "h", "big", &"v".repeat(65)]);
        assert_eq!(
            q::<String>(&mut c, &["OBJECT", "ENCODING", "h"]),
            "hashtable"
        );
    }
    if has_command(&mut c, "sadd") {
        q::<i64>(&mut c, &["SADD", "s", "1", "2"]);
        assert_eq!(q::<String>(&mut c, &["OBJECT", "ENCODING", "s"]), "intset");
        q::<i64>(&mut c, &["SADD", "s", "a"]);
        assert_eq!(
            q::<String>(&mut c, &["OBJECT", "ENCODING", "s"]),
            "hashtable"
        );
    }
    if has_command(&mut c, "zadd") {
        q::<i64>(&mut c, &["ZADD", "z", "1", "a"]);
        assert_eq!(
            q::<String>(&mut c, &["OBJECT", "ENCODING", "z"]),
            "listpack"
        );
        q::<i64>(&mut c, &["ZADD", "z", "2", &"m".repeat(65)]);
        assert_eq!(
            q::<String>(&mut c, &["OBJECT", "ENCODING", "z"]),
            "skiplist"
        );
    }
}

#[test]
fn memory_usage_and_stats() {
    let s = start();
    let mut c = s.conn();
    // Same figures as Redis 7.0 with jemalloc for these strings.
    q::<String>(&mut c, &["SET", "n", "123"]);
    q::<String>(&mut c, &["SET", "foo", "bar"]);
    q::<String>(&mut c, &["SET", "big", &"a".repeat(200)]);
    assert_eq!(q::<i64>(&mut c, &["MEMORY", "USAGE", "n"]), 48);
    assert_eq!(q::<i64>(&mut c, &["MEMORY", "USAGE", "foo"]), 64);
    assert_eq!(
        q::<i64>(&mut c, &["MEMORY", "USAGE", "big", "SAMPLES", "0"]),
        272
    );
    assert_eq!(run(&mut c, &["MEMORY", "USAGE", "nokey"]), Ok(Value::Nil));
    assert_eq!(
        q_err(&mut c, &["MEMORY", "USAGE", "foo", "bar"]),
        "ERR syntax error"
    );
    assert_eq!(
        q_err(&mut c, &["MEMORY", "USAGE", "foo", "SAMPLES", "x"]),
        "ERR value is not an integer or out of range"
    );
    let stats = q::<HashMap<String, Value>>(&mut c, &["MEMORY", "STATS"]);
    assert_eq!(stats["keys.count"], Value::Int(3));
    assert!(matches!(stats["total.allocated"], Value::Int(n) if n > 0));
    assert!(stats.contains_key("db.0") && stats.contains_key("fragmentation"));
    assert!(!q::<String>(&mut c, &["MEMORY", "DOCTOR"]).is_empty());
}

#[test]
fn debug_populate_and_digest() {
    let s = start();
    let mut c = s.conn();
    let zeros = "0".repeat(40);
    assert_eq!(q::<String>(&mut c, &["DEBUG", "DIGEST"]), zeros);
    q::<String>(&mut c, &["DEBUG", "POPULATE", "100"]);
    assert_eq!(q::<i64>(&mut c, &["DBSIZE"]), 100);
    assert_eq!(q::<String>(&mut c, &["GET", "key:42"]), "value:42");
    q::<String>(&mut c, &["SET", "key:7", "mine"]);
    q::<String>(&mut c, &["DEBUG", "POPULATE", "110"]);
    assert_eq!(q::<i64>(&mut c, &["DBSIZE"]), 110);
    assert_eq!(
        q::<String>(&mut c, &["GET", "key:7"]),
        "mine",
        "existing keys are kept"
    );
    q::<String>(&mut c, &["DEBUG", "POPULATE", "2", "p", "10"]);
    assert_eq!(q::<Vec<u8>>(&mut c, &["GET", "p:1"]), b"value:1\0\0\0");
    assert_eq!(
        q_err(&mut c, &["DEBUG", "POPULATE", "-1"]),
        "ERR value is out of range, must be positive"
    );

    // Equal datasets built in a different order digest equally; any change shows.
    let other = start();
    let mut d = other.conn();
    q::<String>(&mut c, &["FLUSHALL"]);
    assert_eq!(q::<String>(&mut c, &["DEBUG", "DIGEST"]), zeros);
    for (conn, order) in [(&mut c, ["a", "b", "c"]), (&mut d, ["c", "a", "b"])] {
        for k in order {
            q::<String>(conn, &["SET", k, &format!("v{k}")]);
        }
    }
    let dc = q::<String>(&mut c, &["DEBUG", "DIGEST"]);
    assert!(is_hex40(&dc) && dc != zeros);
    assert_eq!(dc, q::<String>(&mut d, &["DEBUG", "DIGEST"]));
    q::<String>(&mut d, &["SET", "a", "changed"]);
    assert_ne!(dc, q::<String>(&mut d, &["DEBUG", "DIGEST"]));
    let values = q::<Vec<String>>(&mut c, &["DEBUG", "DIGEST-VALUE", "b", "nokey"]);
    assert!(is_hex40(&values[0]) && values[0] != zeros);
    assert_eq!(values[1], zeros);
}

#[test]
fn debug_misc_subcommands() {
    let s = start();
    let mut c = s.conn();
    q::<String>(&mut c, &["SET", "foo", "bar"]);
    let obj = q::<String>(&mut c, &["DEBUG", "OBJECT", "foo"]);
    assert!(
        obj.starts_with("Value at:0x")
            && obj.contains(" refcount:1 encoding:embstr serializedlength:4 lru:"),
        "{obj}"
    );
    assert!(obj.contains(" lru_seconds_idle:"));
    assert_eq!(
        q_err(&mut c, &["DEBUG", "OBJECT", "nokey"]),
        "ERR no such key"
    );
    let (_, before) = info(&mut c, &["replication"]);
    q::<String>(&mut c, &["DEBUG", "CHANGE-REPL-ID"]);
    let (_, after) = info(&mut c, &["replication"]);
    assert_ne!(before["master_replid"], after["master_replid"]);
    q::<String>(&mut c, &["DEBUG", "RELOAD"]);
    assert_eq!(q::<String>(&mut c, &["GET", "foo"]), "bar");
    assert_eq!(
        q_err(&mut c, &["DEBUG", "RELOAD", "bogus"]),
        "ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options."
    );
    q::<String>(&mut c, &["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
    q::<String>(&mut c, &["DEBUG", "SET-ACTIVE-EXPIRE", "1"]);
    q::<String>(&mut c, &["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "100"]);
    assert_eq!(
        q::<String>(&mut c, &["DEBUG", "STRINGMATCH-TEST"]),
        "Apparently Redis did not crash: test passed"
    );
    assert_eq!(
        q_err(&mut c, &["DEBUG", "NOSUCH"]),
        "ERR unknown subcommand or wrong number of arguments for 'NOSUCH'. Try DEBUG HELP."
    );
    assert!(q::<Vec<String>>(&mut c, &["DEBUG", "HELP"])[0].starts_with("DEBUG <subcommand>"));
}

#[test]
fn debug_protocol_types_in_resp3() {
    let s = start();
    let mut sock = s.raw();
    let out = raw_roundtrip(
        &mut sock,
        b"DEBUG PROTOCOL bignum\r\nHELLO 3\r\nDEBUG PROTOCOL bignum\r\nDEBUG PROTOCOL attrib\r\nDEBUG PROTOCOL double\r\n",
        Duration::from_millis(300),
    );
    let text = String::from_utf8_lossy(&out);
    assert!(text.starts_with("$37\r\n1234567999999999999999999999999999999\r\n"));
    assert!(text.contains("(1234567999999999999999999999999999999\r\n"));
    assert!(text.contains(
        "|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n$39\r\nSome real reply following the attribute\r\n"
    ));
    assert!(text.ends_with(",3.141\r\n"));
}

#[test]
fn debug_is_refused_unless_enabled() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    assert_eq!(
        q_err(&mut c, &["DEBUG", "SLEEP", "0"]),
        "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server."
    );
    let local = Server::start(&["--enable-debug-command", "local"]);
    let mut c = local.conn();
    assert_eq!(q::<String>(&mut c, &["DEBUG", "SLEEP", "0"]), "OK");
}

#[test]
fn monitor_sees_other_clients_commands() {
    let s = start();
    let mut mon = s.raw();
    mon.write_all(b"MONITOR\r\n").expect("write");
    let mut reader = BufReader::new(mon.try_clone().expect("clone"));
    let mut line = String::new();
    reader.read_line(&mut line).expect("read");
    assert_eq!(line, "+OK\r\n");
    let mut c = s.conn();
    q::<String>(&mut c, &["SET", "k y", "say \"hi\"\n"]);
    // Admin commands are not shown.
    q::<Value>(&mut c, &["CONFIG", "GET", "maxmemory"]);
    q::<String>(&mut c, &["GET", "k y"]);
    // redis-rs announces itself with CLIENT SETINFO on connect; that is shown too, as in Redis.
    let mut lines = Vec::new();
    while lines.len() < 2 {
        line.clear();
        reader.read_line(&mut line).expect("read");
        if !line.contains("\"CLIENT\" \"SETINFO\"") {
            lines.push(line.clone());
        }
    }
    let first = &lines[0];
    assert!(first.starts_with('+'), "{first}");
    let (ts, rest) = first[1..].split_once(' ').unwrap_or(("", ""));
    let (secs, micros) = ts.split_once('.').unwrap_or(("", ""));
    assert!(secs.parse::<u64>().is_ok() && micros.len() == 6, "{first}");
    assert!(rest.starts_with("[0 127.0.0.1:"), "{first}");
    assert!(
        rest.ends_with("] \"SET\" \"k y\" \"say \\\"hi\\\"\\n\"\r\n"),
        "{first}"
    );
    assert!(lines[1].ends_with("] \"GET\" \"k y\"\r\n"), "{}", lines[1]);
}
