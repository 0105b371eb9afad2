//! Bitmap commands: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD, BITFIELD_RO.
//!
//! Expected values were captured from Debian's redis-server 7.0.15; `differential_vs_redis`
//! replays random commands against both servers when a real redis-server 7.0 is installed.

mod common;

use std::time::Duration;

use common::real_redis::RealRedis;
use common::rng::Rng;
use common::{Server, q, q_err, run};
use redis::Value;

/// Creates a list under `key`; false while this build has no list commands (the WRONGTYPE
/// checks then wait for them).
fn make_list(c: &mut redis::Connection, key: &str) -> bool {
    run(c, &["RPUSH", key, "x"]).is_ok()
}

fn bytes_of(c: &mut redis::Connection, key: &str) -> Vec<u8> {
    q::<Vec<u8>>(c, &["GET", key])
}

#[test]
fn setbit_getbit() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    assert_eq!(q::<i64>(&mut c, &["SETBIT", "k", "7", "1"]), 0);
    assert_eq!(bytes_of(&mut c, "k"), vec![1]);
    assert_eq!(q::<i64>(&mut c, &["SETBIT", "k", "7", "1"]), 1);
    assert_eq!(q::<i64>(&mut c, &["SETBIT", "k", "7", "0"]), 1);
    assert_eq!(q::<i64>(&mut c, &["SETBIT", "k", "17", "1"]), 0);
    assert_eq!(bytes_of(&mut c, "k"), vec![0, 0, 0x40]);
    assert_eq!(q::<i64>(&mut c, &["GETBIT", "k", "17"]), 1);
    assert_eq!(q::<i64>(&mut c, &["GETBIT", "k", "16"]), 0);
    assert_eq!(q::<i64>(&mut c, &["GETBIT", "k", "1000"]), 0);
    assert_eq!(q::<i64>(&mut c, &["GETBIT", "nokey", "3"]), 0);
    // Integer-looking strings are plain bytes.
    q::<()>(&mut c, &["SET", "n", "1"]);
    assert_eq!(q::<i64>(&mut c, &["GETBIT", "n", "2"]), 1);
    assert_eq!(q::<i64>(&mut c, &["GETBIT", "n", "7"]), 1);
    assert_eq!(q::<i64>(&mut c, &["GETBIT", "n", "6"]), 0);

    let off = "ERR bit offset is not an integer or out of range";
    let bit = "ERR bit is not an integer or out of range";
    assert_eq!(q_err(&mut c, &["SETBIT", "k", "-1", "1"]), off);
    assert_eq!(q_err(&mut c, &["SETBIT", "k", "4294967296", "1"]), off);
    assert_eq!(q_err(&mut c, &["SETBIT", "k", "abc", "1"]), off);
    assert_eq!(q_err(&mut c, &["SETBIT", "k", "1", "2"]), bit);
    assert_eq!(q_err(&mut c, &["SETBIT", "k", "1", "-1"]), bit);
    assert_eq!(q_err(&mut c, &["SETBIT", "k", "1", "x"]), bit);
    // The offset is checked before the value.
    assert_eq!(q_err(&mut c, &["SETBIT", "k", "-1", "x"]), off);
    assert_eq!(q_err(&mut c, &["GETBIT", "k", "4294967296"]), off);
    assert_eq!(q_err(&mut c, &["GETBIT", "k", "-1"]), off);
    if make_list(&mut c, "l") {
        assert!(q_err(&mut c, &["SETBIT", "l", "1", "1"]).starts_with("WRONGTYPE"));
        assert!(q_err(&mut c, &["GETBIT", "l", "1"]).starts_with("WRONGTYPE"));
        assert!(q_err(&mut c, &["BITCOUNT", "l", "a", "b"]).starts_with("WRONGTYPE"));
        assert!(q_err(&mut c, &["BITPOS", "l", "1"]).starts_with("WRONGTYPE"));
        // A bad offset or bit wins over WRONGTYPE.
        assert_eq!(q_err(&mut c, &["GETBIT", "l", "-1"]), off);
        assert_eq!(q_err(&mut c, &["SETBIT", "l", "1", "5"]), bit);
    }
}

#[test]
fn setbit_offset_limit_follows_proto_max_bulk_len() {
    let s = Server::start(&["--proto-max-bulk-len", "1mb"]);
    let mut c = s.conn();
    let max = (1u64 << 20) * 8 - 1;
    assert_eq!(q::<i64>(&mut c, &["SETBIT", "k", &max.to_string(), "1"]), 0);
    assert_eq!(q::<i64>(&mut c, &["STRLEN", "k"]), 1 << 20);
    assert_eq!(
        q_err(&mut c, &["SETBIT", "k", &(max + 1).to_string(), "1"]),
        "ERR bit offset is not an integer or out of range"
    );
}

#[test]
fn bitcount_ranges() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    q::<()>(&mut c, &["SET", "k", "foobar"]);
    assert_eq!(q::<i64>(&mut c, &["BITCOUNT", "k"]), 26);
    assert_eq!(q::<i64>(&mut c, &["BITCOUNT", "k", "0", "0"]), 4);
    assert_eq!(q::<i64>(&mut c, &["BITCOUNT", "k", "1", "1"]), 6);
    assert_eq!(q::<i64>(&mut c, &["BITCOUNT", "k", "1", "1", "BYTE"]), 6);
    assert_eq!(q::<i64>(&mut c, &["BITCOUNT", "k", "5", "30", "BIT"]), 17);
    assert_eq!(q::<i64>(&mut c, &["BITCOUNT", "k", "-2", "-1"]), 7);
    assert_eq!(q::<i64>(&mut c, &["BITCOUNT", "k", "-1", "-2"]), 0);
    // A negative end before the start of the string clamps to the first byte.
    assert_eq!(q::<i64>(&mut c, &["BITCOUNT", "k", "0", "-100"]), 4);
    assert_eq!(q::<i64>(&mut c, &["BITCOUNT", "k", "10", "100"]), 0);
    assert_eq!(q::<i64>(&mut c, &["BITCOUNT", "nokey"]), 0);
    // Redis 7.0 answers 0 for a missing key before looking at the range.
    assert_eq!(q::<i64>(&mut c, &["BITCOUNT", "nokey", "a", "b"]), 0);
    assert_eq!(q::<i64>(&mut c, &["BITCOUNT", "nokey", "1"]), 0);
    assert_eq!(q_err(&mut c, &["BITCOUNT", "k", "1"]), "ERR syntax error");
    assert_eq!(
        q_err(&mut c, &["BITCOUNT", "k", "0", "1", "bits"]),
        "ERR syntax error"
    );
    assert_eq!(
        q_err(&mut c, &["BITCOUNT", "k", "a", "1"]),
        "ERR value is not an integer or out of range"
    );
    q::<()>(&mut c, &["SET", "e", ""]);
    assert_eq!(q::<i64>(&mut c, &["BITCOUNT", "e", "0", "-1"]), 0);
}

#[test]
fn bitpos_edge_cases() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let set_raw = |c: &mut redis::Connection, k: &str, v: &[u8]| {
        redis::cmd("SET").arg(k).arg(v).query::<()>(c).unwrap();
    };
    set_raw(&mut c, "ones", &[0xff, 0xff, 0xff]);
    set_raw(&mut c, "z", &[0x00, 0x00, 0x00]);
    set_raw(&mut c, "m", &[0xff, 0xf0, 0x00]);
    set_raw(&mut c, "e", b"");
    // Clear bit on an all-ones string: the padding after it without an end, -1 with one.
    assert_eq!(q::<i64>(&mut c, &["BITPOS", "ones", "0"]), 24);
    assert_eq!(q::<i64>(&mut c, &["BITPOS", "ones", "0", "0"]), 24);
    assert_eq!(q::<i64>(&mut c, &["BITPOS", "ones", "0", "1"]), 24);
    assert_eq!(q::<i64>(&mut c, &["BITPOS", "ones", "0", "0", "-1"]), -1);
    assert_eq!(q::<i64>(&mut c, &["BITPOS", "ones", "0", "0", "100"]), -1);
    assert_eq!(
        q::<i64>(&mut c, &["BITPOS", "ones", "0", "3", "20", "BIT"]),
        -1
    );
    assert_eq!(q::<i64>(&mut c, &["BITPOS", "ones", "1"]), 0);
    assert_eq!(
        q::<i64>(&mut c, &["BITPOS", "ones", "1", "5", "20", "BIT"]),
        5
    );
    assert_eq!(q::<i64>(&mut c, &["BITPOS", "z", "1"]), -1);
    assert_eq!(q::<i64>(&mut c, &["BITPOS", "z", "0"]), 0);
    assert_eq!(q::<i64>(&mut c, &["BITPOS", "m", "0"]), 12);
    assert_eq!(q::<i64>(&mut c, &["BITPOS", "m", "1", "2"]), -1);
    assert_eq!(q::<i64>(&mut c, &["BITPOS", "m", "1", "1"]), 8);
    assert_eq!(q::<i64>(&mut c, &["BITPOS", "m", "0", "-2", "-1"]), 12);
    assert_eq!(q::<i64>(&mut c, &["BITPOS", "m", "1", "7", "15", "BIT"]), 7);
    assert_eq!(
        q::<i64>(&mut c, &["BITPOS", "m", "0", "7", "11", "BIT"]),
        -1
    );
    assert_eq!(
        q::<i64>(&mut c, &["BITPOS", "m", "0", "7", "12", "bit"]),
        12
    );
    assert_eq!(q::<i64>(&mut c, &["BITPOS", "m", "1", "2", "1"]), -1);
    // Missing key: endless zeros; empty string: an empty range.
    assert_eq!(q::<i64>(&mut c, &["BITPOS", "nokey", "0"]), 0);
    assert_eq!(q::<i64>(&mut c, &["BITPOS", "nokey", "1"]), -1);
    assert_eq!(
        q::<i64>(&mut c, &["BITPOS", "nokey", "0", "x", "y", "z"]),
        0
    );
    assert_eq!(q::<i64>(&mut c, &["BITPOS", "e", "0"]), -1);
    assert_eq!(q::<i64>(&mut c, &["BITPOS", "e", "1"]), -1);
    assert_eq!(
        q_err(&mut c, &["BITPOS", "m", "2"]),
        "ERR The bit argument must be 1 or 0."
    );
    assert_eq!(
        q_err(&mut c, &["BITPOS", "m", "x"]),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(
        q_err(&mut c, &["BITPOS", "m", "0", "1", "2", "bits"]),
        "ERR syntax error"
    );
    assert_eq!(
        q_err(&mut c, &["BITPOS", "m", "0", "1", "2", "bit", "x"]),
        "ERR syntax error"
    );
    assert_eq!(
        q_err(&mut c, &["BITPOS", "m", "0", "a"]),
        "ERR value is not an integer or out of range"
    );
}

#[test]
fn bitop_operations() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let set_raw = |c: &mut redis::Connection, k: &str, v: &[u8]| {
        redis::cmd("SET").arg(k).arg(v).query::<()>(c).unwrap();
    };
    set_raw(&mut c, "a", &[0xf0, 0x0f, 0xaa]);
    set_raw(&mut c, "b", &[0xff, 0x01]);
    assert_eq!(q::<i64>(&mut c, &["BITOP", "AND", "d", "a", "b"]), 3);
    assert_eq!(bytes_of(&mut c, "d"), vec![0xf0, 0x01, 0x00]);
    assert_eq!(q::<i64>(&mut c, &["BITOP", "or", "d", "a", "b"]), 3);
    assert_eq!(bytes_of(&mut c, "d"), vec![0xff, 0x0f, 0xaa]);
    assert_eq!(
        q::<i64>(&mut c, &["BITOP", "XOR", "d", "a", "b", "nokey"]),
        3
    );
    assert_eq!(bytes_of(&mut c, "d"), vec![0x0f, 0x0e, 0xaa]);
    assert_eq!(q::<i64>(&mut c, &["BITOP", "NOT", "d", "b"]), 2);
    assert_eq!(bytes_of(&mut c, "d"), vec![0x00, 0xfe]);
    assert_eq!(q::<i64>(&mut c, &["BITOP", "AND", "d", "a", "nokey"]), 3);
    assert_eq!(bytes_of(&mut c, "d"), vec![0, 0, 0]);
    // The destination is overwritten whatever it held, TTL included.
    q::<i64>(&mut c, &["EXPIRE", "d", "100"]);
    assert_eq!(q::<i64>(&mut c, &["BITOP", "OR", "d", "b"]), 2);
    assert_eq!(q::<i64>(&mut c, &["TTL", "d"]), -1);
    if make_list(&mut c, "lst") {
        assert_eq!(q::<i64>(&mut c, &["BITOP", "OR", "lst", "b"]), 2);
        assert_eq!(q::<String>(&mut c, &["TYPE", "lst"]), "string");
    }
    // An empty result deletes the destination.
    assert_eq!(
        q::<i64>(&mut c, &["BITOP", "OR", "d", "nokey", "nokey2"]),
        0
    );
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "d"]), 0);
    assert_eq!(
        q_err(&mut c, &["BITOP", "NOT", "d", "a", "b"]),
        "ERR BITOP NOT must be called with a single source key."
    );
    assert_eq!(
        q_err(&mut c, &["BITOP", "NAND", "d", "a"]),
        "ERR syntax error"
    );
    assert_eq!(
        q_err(&mut c, &["BITOP", "AND", "d"]),
        "ERR wrong number of arguments for 'bitop' command"
    );
    if make_list(&mut c, "l2") {
        assert!(q_err(&mut c, &["BITOP", "AND", "d", "a", "l2"]).starts_with("WRONGTYPE"));
        assert_eq!(q::<i64>(&mut c, &["EXISTS", "d"]), 0);
    }
}

#[test]
fn bitfield_commands() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let v: Vec<Option<i64>> = q(
        &mut c,
        &[
            "BITFIELD", "bf", "SET", "i8", "0", "100", "INCRBY", "i8", "0", "100", "GET", "u4", "0",
        ],
    );
    assert_eq!(v, vec![Some(0), Some(-56), Some(12)]);
    let v: Vec<Option<i64>> = q(
        &mut c,
        &[
            "BITFIELD", "bf", "OVERFLOW", "SAT", "INCRBY", "u8", "#1", "300", "OVERFLOW", "FAIL",
            "INCRBY", "u8", "#1", "1", "GET", "u8", "8",
        ],
    );
    assert_eq!(v, vec![Some(255), None, Some(255)]);
    let v: Vec<i64> = q(&mut c, &["BITFIELD_RO", "bf", "GET", "i16", "0"]);
    assert_eq!(v, vec![-14081]);
    let v: Vec<i64> = q(&mut c, &["BITFIELD", "nokey", "GET", "u8", "0"]);
    assert_eq!(v, vec![0]);
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "nokey"]), 0);
    assert_eq!(
        q_err(&mut c, &["BITFIELD_RO", "bf", "SET", "u8", "0", "1"]),
        "ERR BITFIELD_RO only supports the GET subcommand"
    );
    assert_eq!(
        q_err(&mut c, &["BITFIELD", "bf", "GET", "u64", "0"]),
        "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."
    );
    assert_eq!(
        q_err(&mut c, &["BITFIELD", "bf", "OVERFLOW", "foo"]),
        "ERR Invalid OVERFLOW type specified"
    );
    assert_eq!(
        q_err(&mut c, &["BITFIELD", "bf", "GET", "u8"]),
        "ERR syntax error"
    );
    assert_eq!(
        q_err(&mut c, &["BITFIELD", "bf", "GET", "u8", "-1"]),
        "ERR bit offset is not an integer or out of range"
    );
    assert_eq!(
        q_err(&mut c, &["BITFIELD", "bf", "SET", "u8", "0", "x"]),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(
        q::<Vec<i64>>(&mut c, &["BITFIELD", "bf"]),
        Vec::<i64>::new()
    );
}

#[test]
fn keyspace_events() {
    let s = Server::start(&["--notify-keyspace-events", "KEA"]);
    let mut sub = s.conn();
    let mut ps = sub.as_pubsub();
    ps.psubscribe("__keyevent@0__:*").unwrap();
    ps.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut c = s.conn();
    q::<i64>(&mut c, &["SETBIT", "k", "3", "1"]);
    q::<i64>(&mut c, &["SETBIT", "k", "3", "1"]); // unchanged: no event
    q::<i64>(&mut c, &["SETBIT", "k", "3", "0"]);
    q::<i64>(&mut c, &["BITOP", "NOT", "d", "k"]);
    q::<i64>(&mut c, &["BITOP", "AND", "d", "nokey"]);
    q::<Vec<Option<i64>>>(&mut c, &["BITFIELD", "k", "SET", "u2", "0", "1"]);
    let mut got = Vec::new();
    for _ in 0..5 {
        let m = ps.get_message().unwrap();
        got.push(format!(
            "{}:{}",
            m.get_channel_name(),
            m.get_payload::<String>().unwrap()
        ));
    }
    assert_eq!(
        got,
        vec![
            "__keyevent@0__:setbit:k",
            "__keyevent@0__:setbit:k",
            "__keyevent@0__:set:d",
            "__keyevent@0__:del:d",
            "__keyevent@0__:setbit:k",
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// Differential testing against the real thing.

impl Rng {
    fn index(&mut self) -> String {
        let v = self.below(60) as i64 - 30;
        match self.below(10) {
            0 => "x".into(),
            1 => (v * 1000).to_string(),
            _ => v.to_string(),
        }
    }
}

fn random_command(r: &mut Rng) -> Vec<Vec<u8>> {
    let keys = ["a", "b", "c", "nokey", "lst"];
    let key = r.pick(&keys).to_string();
    let s = |x: &str| x.as_bytes().to_vec();
    let mut cmd: Vec<Vec<u8>>;
    match r.below(9) {
        0 => {
            let mut v = Vec::new();
            for _ in 0..r.below(12) {
                v.push(match r.below(4) {
                    0 => 0xff,
                    1 => 0,
                    _ => r.next() as u8,
                });
            }
            cmd = vec![s("SET"), s(&key), v];
        }
        1 => {
            cmd = vec![s("SETBIT"), s(&key), s(&r.below(100).to_string())];
            cmd.push(s(r.pick(&["0", "1", "1", "2"])));
        }
        2 => cmd = vec![s("GETBIT"), s(&key), s(&r.below(100).to_string())],
        3 | 4 => {
            cmd = vec![s("BITCOUNT"), s(&key)];
            for _ in 0..r.below(5) {
                cmd.push(s(&r.index()));
            }
            if cmd.len() == 5 && r.below(2) == 0 {
                cmd[4] = s(r.pick(&["BIT", "byte", "bits"]));
            }
        }
        5 | 6 => {
            cmd = vec![s("BITPOS"), s(&key), s(r.pick(&["0", "1", "0", "1", "2"]))];
            for _ in 0..r.below(4) {
                cmd.push(s(&r.index()));
            }
            if cmd.len() == 6 && r.below(3) > 0 {
                cmd[5] = s(r.pick(&["BIT", "byte", "bits"]));
            }
        }
        7 => {
            cmd = vec![
                s("BITOP"),
                s(r.pick(&["AND", "or", "XOR", "NOT", "nope"])),
                s(&key),
            ];
            for _ in 0..1 + r.below(3) {
                cmd.push(s(r.pick(&keys)));
            }
        }
        _ => {
            cmd = vec![s(r.pick(&["BITFIELD", "BITFIELD", "BITFIELD_RO"])), s(&key)];
            for _ in 0..1 + r.below(4) {
                let ty = format!("{}{}", r.pick(&["i", "u"]), 1 + r.below(64));
                let off = if r.below(4) == 0 {
                    format!("#{}", r.below(5))
                } else {
                    r.below(80).to_string()
                };
                match r.below(4) {
                    0 => cmd.extend([s("GET"), s(&ty), s(&off)]),
                    1 => {
                        let v = (r.next() as i64 >> r.below(64)).to_string();
                        cmd.extend([s("SET"), s(&ty), s(&off), s(&v)])
                    }
                    2 => {
                        let v = (r.next() as i64 >> r.below(64)).to_string();
                        cmd.extend([s("INCRBY"), s(&ty), s(&off), s(&v)])
                    }
                    _ => cmd.extend([s("OVERFLOW"), s(r.pick(&["WRAP", "SAT", "FAIL"]))]),
                }
            }
        }
    }
    cmd
}

fn send(c: &mut redis::Connection, cmd: &[Vec<u8>]) -> String {
    let mut rc = redis::cmd(std::str::from_utf8(&cmd[0]).unwrap());
    for a in &cmd[1..] {
        rc.arg(&a[..]);
    }
    match rc.query::<Value>(c) {
        Ok(v) => format!("{v:?}"),
        Err(e) => format!("error {:?} {:?}", e.code(), e.detail()),
    }
}

#[test]
fn differential_vs_redis() {
    let Some(real) = RealRedis::start_7_0() else {
        eprintln!("redis-server 7.0 not installed: skipping differential test");
        return;
    };
    let s = Server::start(&[]);
    let mut ours = s.conn();
    let mut theirs = real.conn();
    // "lst" holds a list on both sides once this build has list commands.
    if make_list(&mut ours, "lst") {
        make_list(&mut theirs, "lst");
    }
    // BITS_DIFF_SEED / BITS_DIFF_ITERS allow longer local runs with other seeds.
    let env = |k: &str, d: u64| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    let mut r = Rng(env("BITS_DIFF_SEED", 0x9e37_79b9_7f4a_7c15) | 1);
    for i in 0..env("BITS_DIFF_ITERS", 4000) {
        let cmd = random_command(&mut r);
        let a = send(&mut ours, &cmd);
        let b = send(&mut theirs, &cmd);
        let shown: Vec<String> = cmd
            .iter()
            .map(|x| String::from_utf8_lossy(x).into_owned())
            .collect();
        assert_eq!(a, b, "command #{i} {shown:?} differs (ours left)");
        if i % 50 == 0 {
            for k in ["a", "b", "c"] {
                let get = vec![b"GET".to_vec(), k.as_bytes().to_vec()];
                assert_eq!(
                    send(&mut ours, &get),
                    send(&mut theirs, &get),
                    "value of {k}"
                );
            }
        }
    }
}
