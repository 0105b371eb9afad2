//! Helpers of the persistence tests (RDB and AOF): scratch directories, vigil and
//! redis-server processes in a given `dir`, a dataset of every type written with Redis's own
//! commands, and the content of a whole keyspace as comparable text.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{free_port, q, run, vigil_bin};
use redis::Connection;

/// A scratch directory removed on drop.
pub struct Dir(pub PathBuf);

impl Dir {
    pub fn new(name: &str) -> Dir {
        let p = std::env::temp_dir().join(format!(
            "vigil-rdb-{}-{name}-{}",
            std::process::id(),
            free_port()
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("mkdir");
        Dir(p)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A server process (vigil or redis-server), killed on drop.
pub struct Node {
    /// Its port.
    pub port: u16,
    /// The process.
    pub child: Child,
}

pub fn redis_available() -> bool {
    Command::new("redis-server")
        .arg("--version")
        .output()
        .is_ok()
}

impl Node {
    pub fn spawn_vigil(dir: &Path, extra: &[&str]) -> (u16, Child) {
        let port = free_port();
        let log = dir.join("vigil.log");
        let child = Command::new(vigil_bin())
            .arg("server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--dir", dir.to_str().unwrap_or(".")])
            .args(["--logfile", log.to_str().unwrap_or("")])
            .args(["--enable-debug-command", "yes"])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn vigil");
        (port, child)
    }

    /// Starts vigil in `dir` and waits until it has loaded its data.
    pub fn vigil(dir: &Path, extra: &[&str]) -> Node {
        let (port, child) = Self::spawn_vigil(dir, extra);
        let n = Node { port, child };
        n.wait_ready();
        n.wait_loaded();
        n
    }

    /// Starts Debian's redis-server in `dir`.
    pub fn redis(dir: &Path, extra: &[&str]) -> Node {
        let port = free_port();
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--dir", dir.to_str().unwrap_or(".")])
            .args(["--enable-debug-command", "yes"])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn redis-server");
        let n = Node { port, child };
        n.wait_ready();
        n.wait_loaded();
        n
    }

    pub fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(mut c) = TcpStream::connect(("127.0.0.1", self.port)) {
                let _ = c.set_read_timeout(Some(Duration::from_secs(1)));
                let _ = c.write_all(b"PING\r\n");
                let mut buf = [0u8; 64];
                if matches!(c.read(&mut buf), Ok(n) if n > 0) {
                    return;
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("server on port {} did not start", self.port);
    }

    pub fn wait_loaded(&self) {
        let mut c = self.conn();
        wait_until(10, || info_field(&mut c, "loading") == "0");
    }

    pub fn conn(&self) -> Connection {
        let c = redis::Client::open(format!("redis://127.0.0.1:{}/", self.port))
            .expect("client")
            .get_connection()
            .expect("connect");
        c.set_read_timeout(Some(Duration::from_secs(10))).ok();
        c.set_write_timeout(Some(Duration::from_secs(10))).ok();
        c
    }

    /// Waits for the process to exit and returns its status code.
    pub fn wait_exit(&mut self, secs: u64) -> Option<i32> {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while Instant::now() < deadline {
            if let Ok(Some(st)) = self.child.try_wait() {
                return st.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("process on port {} did not exit", self.port);
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn wait_until(secs: u64, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("condition not met within {secs} s");
}

pub fn info_field(c: &mut Connection, name: &str) -> String {
    let info: String = match run(c, &["INFO", "persistence"]) {
        Ok(redis::Value::BulkString(b)) => String::from_utf8_lossy(&b).into_owned(),
        Ok(redis::Value::VerbatimString { text, .. }) => text,
        _ => return String::new(),
    };
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .unwrap_or("")
        .trim()
        .to_string()
}

pub fn wait_bgsave(c: &mut Connection) {
    wait_until(10, || info_field(c, "rdb_bgsave_in_progress") == "0");
}

/// Fills a server with every type in small and big sizes (Redis's own commands, so only for
/// redis-server) across three databases.
pub fn fill_redis(c: &mut Connection) {
    let cmds: Vec<Vec<String>> = {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let mut v = vec![
            s(&["SET", "str:short", "hello"]),
            s(&["SET", "str:int8", "-12"]),
            s(&["SET", "str:int32", "1234567"]),
            s(&["SET", "str:int64", "123456789012345"]),
            s(&["SET", "str:empty", ""]),
            s(&["SET", "str:zero-lead", "007"]),
            vec!["SET".into(), "str:long".into(), "abc".repeat(400)],
            s(&["SET", "str:ttl", "soon"]),
            s(&["PEXPIRE", "str:ttl", "5000000"]),
            s(&[
                "RPUSH",
                "list:small",
                "a",
                "b",
                "1",
                "-2",
                "300",
                "70000",
                "",
            ]),
            vec![
                "RPUSH".into(),
                "list:bigelem".into(),
                "x".repeat(10_000),
                "y".into(),
            ],
            s(&["HSET", "hash:small", "f1", "v1", "f2", "22", "f3", ""]),
            vec![
                "HSET".into(),
                "hash:longval".into(),
                "f".into(),
                "v".repeat(100),
            ],
            s(&[
                "SADD",
                "set:ints",
                "1",
                "2",
                "3",
                "-9",
                "100000",
                "5000000000",
            ]),
            s(&["SADD", "set:strs", "a", "b", "c"]),
            s(&[
                "ZADD",
                "zset:small",
                "1",
                "a",
                "2.5",
                "b",
                "-inf",
                "c",
                "inf",
                "d",
            ]),
            vec![
                "ZADD".into(),
                "zset:longmember".into(),
                "3".into(),
                "m".repeat(100),
            ],
            s(&["SELECT", "2"]),
            s(&["SET", "db2:key", "in-db-2"]),
            s(&["HSET", "db2:hash", "a", "1"]),
            s(&["SELECT", "9"]),
            s(&["RPUSH", "db9:list", "z"]),
            s(&["SELECT", "0"]),
        ];
        for i in 0..700 {
            v.push(vec!["RPUSH".into(), "list:big".into(), format!("item-{i}")]);
            v.push(vec![
                "HSET".into(),
                "hash:big".into(),
                format!("f{i}"),
                format!("v{i}"),
            ]);
            v.push(vec![
                "SADD".into(),
                "set:bigints".into(),
                (i * 7).to_string(),
            ]);
            v.push(vec!["SADD".into(), "set:bigstrs".into(), format!("m{i}")]);
            v.push(vec![
                "ZADD".into(),
                "zset:big".into(),
                format!("{}", i as f64 / 3.0),
                format!("e{i}"),
            ]);
        }
        v
    };
    let mut p = redis::pipe();
    for c in &cmds {
        let mut cmd = redis::cmd(&c[0]);
        for a in &c[1..] {
            cmd.arg(a);
        }
        p.add_command(cmd).ignore();
    }
    p.query::<()>(c).expect("fill");
}

/// Content of every key of every database as comparable text. Sorted sets are read on
/// `zreader` (a redis-server connection): directly when `c` is that server, else via
/// DUMP here and RESTORE there, since vigil has no sorted-set commands yet.
pub fn content(c: &mut Connection, zreader: Option<&mut Connection>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut zreader = zreader;
    for db in 0..16 {
        let _: () = q(c, &["SELECT", &db.to_string()]);
        let mut keys: Vec<String> = q(c, &["KEYS", "*"]);
        keys.sort();
        for k in keys {
            let t: String = q(c, &["TYPE", &k]);
            let ttl: i64 = q(c, &["PTTL", &k]);
            let body = match t.as_str() {
                "string" => format!("{:?}", q::<Vec<u8>>(c, &["GET", &k])),
                "list" => format!("{:?}", q::<Vec<Vec<u8>>>(c, &["LRANGE", &k, "0", "-1"])),
                "hash" => {
                    let mut v: Vec<(Vec<u8>, Vec<u8>)> = q(c, &["HGETALL", &k]);
                    v.sort();
                    format!("{v:?}")
                }
                "set" => {
                    let mut v: Vec<Vec<u8>> = q(c, &["SMEMBERS", &k]);
                    v.sort();
                    format!("{v:?}")
                }
                "zset" => match zreader.as_deref_mut() {
                    Some(z) => {
                        let payload: Vec<u8> = redis::cmd("DUMP").arg(&k).query(c).expect("dump");
                        let _: () = q(z, &["SELECT", "15"]);
                        let _: () = redis::cmd("RESTORE")
                            .arg("__zread__")
                            .arg(0)
                            .arg(payload)
                            .arg("REPLACE")
                            .query(z)
                            .expect("restore");
                        let v: Vec<(Vec<u8>, String)> =
                            q(z, &["ZRANGE", "__zread__", "0", "-1", "WITHSCORES"]);
                        let _: () = q(z, &["DEL", "__zread__"]);
                        let _: () = q(z, &["SELECT", "0"]);
                        format!("{v:?}")
                    }
                    None => format!(
                        "{:?}",
                        q::<Vec<(Vec<u8>, String)>>(c, &["ZRANGE", &k, "0", "-1", "WITHSCORES"])
                    ),
                },
                other => panic!("unexpected type {other}"),
            };
            out.insert(format!("{db}/{k}"), format!("{t} ttl:{} {body}", ttl > 0));
        }
    }
    let _: () = q(c, &["SELECT", "0"]);
    out
}
