//! Deterministic state-machine tests with virtual time: scripted data nodes and several
//! sentinel cores wired through a simulated network.

mod node;
mod sim;

mod commands;
mod config;
mod detect;
mod failover;
mod hello;
mod info;
mod links;
mod random;
mod tilt;

use crate::resp::Reply;

/// Text of a bulk/status reply.
pub fn text(r: &Reply) -> String {
    match r {
        Reply::Bulk(b) => String::from_utf8_lossy(b).into_owned(),
        Reply::Status(s) | Reply::Error(s) => s.clone(),
        Reply::Int(i) => i.to_string(),
        Reply::Ok => "OK".to_string(),
        other => format!("{other:?}"),
    }
}

/// A map reply as (key, value) text pairs.
pub fn pairs(r: &Reply) -> Vec<(String, String)> {
    match r {
        Reply::Map(v) => v.iter().map(|(k, v)| (text(k), text(v))).collect(),
        other => panic!("not a map: {other:?}"),
    }
}

/// One field of a map reply.
pub fn field(r: &Reply, name: &str) -> String {
    pairs(r)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("no field {name} in {r:?}"))
}

/// Items of an array reply.
pub fn items(r: &Reply) -> Vec<Reply> {
    match r {
        Reply::Array(v) => v.clone(),
        other => panic!("not an array: {other:?}"),
    }
}

use std::collections::HashMap;

use bytes::Bytes;

use super::{CoreOptions, SentinelCore};
use crate::sentinel::proto::{Action, Addr, Input, LinkKind, Now};

/// Virtual time stamp.
pub fn at(ms: u64) -> Now {
    Now {
        mono_ms: ms,
        wall_ms: 1_700_000_000_000 + ms as i64,
    }
}

/// Config lines written as text ("monitor m 127.0.0.1 6379 2").
pub fn lines(text: &[&str]) -> Vec<(String, Vec<String>)> {
    text.iter()
        .enumerate()
        .map(|(i, l)| {
            (
                format!("sentinel.conf:{}", i + 1),
                l.split_whitespace().map(str::to_string).collect(),
            )
        })
        .collect()
}

/// A command as Bytes args.
pub fn args(a: &[&str]) -> Vec<Bytes> {
    a.iter()
        .map(|s| Bytes::copy_from_slice(s.as_bytes()))
        .collect()
}

/// A connection the core opened.
#[derive(Clone, Debug)]
pub struct SoloConn {
    /// Connection id.
    pub id: u64,
    /// Kind.
    pub kind: LinkKind,
    /// Target.
    pub addr: Addr,
    /// LinkUp reported.
    pub up: bool,
    /// Closed by the core or by us.
    pub closed: bool,
}

/// One core driven by hand: the test plays every peer.
pub struct Solo {
    /// The core.
    pub core: SentinelCore,
    /// Virtual time.
    pub now: u64,
    /// Every action so far.
    pub log: Vec<Action>,
    /// Unanswered commands: (conn, tag, args).
    pub sends: Vec<(u64, u64, Vec<String>)>,
    /// Connections by id.
    pub conns: HashMap<u64, SoloConn>,
}

impl Solo {
    /// A core from config text, at time 0, seeded.
    pub fn new(text: &[&str]) -> Solo {
        let opts = CoreOptions {
            port: 26379,
            requirepass: None,
        };
        let (mut core, actions) = match SentinelCore::from_config(&lines(text), opts, at(0)) {
            Ok(x) => x,
            Err(e) => panic!("config: {e}"),
        };
        core.reseed(42);
        let mut s = Solo {
            core,
            now: 0,
            log: Vec::new(),
            sends: Vec::new(),
            conns: HashMap::new(),
        };
        s.absorb(actions);
        s
    }

    /// Records actions.
    pub fn absorb(&mut self, actions: Vec<Action>) {
        for a in &actions {
            match a {
                Action::Connect { id, kind, addr, .. } => {
                    self.conns.insert(
                        *id,
                        SoloConn {
                            id: *id,
                            kind: *kind,
                            addr: addr.clone(),
                            up: false,
                            closed: false,
                        },
                    );
                }
                Action::Close { id, .. } => {
                    if let Some(c) = self.conns.get_mut(id) {
                        c.closed = true;
                    }
                    self.sends.retain(|s| s.0 != *id);
                }
                Action::Send { id, tag, args } => {
                    let a = args
                        .iter()
                        .map(|b| String::from_utf8_lossy(b).into_owned())
                        .collect();
                    self.sends.push((*id, *tag, a));
                }
                _ => {}
            }
        }
        self.log.extend(actions);
    }

    /// Feeds an input at the current time.
    pub fn input(&mut self, input: Input) {
        let a = self.core.handle(input, at(self.now));
        self.absorb(a);
    }

    /// Advances time to `t` and ticks once.
    pub fn tick_at(&mut self, t: u64) {
        self.now = t;
        self.input(Input::Tick);
    }

    /// Advances `ms`, ticking every `step` ms.
    pub fn run(&mut self, ms: u64, step: u64) {
        let end = self.now + ms;
        while self.now + step <= end {
            let t = self.now + step;
            self.tick_at(t);
        }
        self.now = end;
    }

    /// Reports LinkUp for every pending connection (optionally only to `port`).
    pub fn link_up(&mut self, port: Option<u16>) {
        let pending: Vec<SoloConn> = self
            .conns
            .values()
            .filter(|c| !c.up && !c.closed && port.is_none_or(|p| c.addr.port == p))
            .cloned()
            .collect();
        for c in pending {
            if let Some(x) = self.conns.get_mut(&c.id) {
                x.up = true;
            }
            // The test's DNS: every hostname is 127.0.0.1.
            let peer_ip = match c.addr.host.parse::<std::net::IpAddr>() {
                Ok(_) => c.addr.host.clone(),
                Err(_) => "127.0.0.1".into(),
            };
            self.input(Input::LinkUp {
                id: c.id,
                kind: c.kind,
                local_ip: "127.0.0.1".into(),
                peer_ip,
            });
        }
    }

    /// Reports LinkDown for every open connection to `port`.
    pub fn link_down(&mut self, port: u16) {
        let open: Vec<SoloConn> = self
            .conns
            .values()
            .filter(|c| !c.closed && c.addr.port == port)
            .cloned()
            .collect();
        for c in open {
            if let Some(x) = self.conns.get_mut(&c.id) {
                x.closed = true;
            }
            self.sends.retain(|s| s.0 != c.id);
            self.input(Input::LinkDown {
                id: c.id,
                kind: c.kind,
            });
        }
    }

    /// Port of a connection.
    pub fn port_of(&self, conn: u64) -> u16 {
        self.conns.get(&conn).map_or(0, |c| c.addr.port)
    }

    /// Answers every unanswered command to `port` whose name is `cmd` (case-insensitive)
    /// with `reply(args)`; returns how many.
    pub fn answer(&mut self, port: u16, cmd: &str, reply: impl Fn(&[String]) -> Reply) -> usize {
        // Only the commands pending now: answering may make the core send more.
        let mine: Vec<(u64, u64, Vec<String>)> = self
            .sends
            .iter()
            .filter(|(conn, _, a)| self.port_of(*conn) == port && a[0].eq_ignore_ascii_case(cmd))
            .cloned()
            .collect();
        for (conn, tag, a) in &mine {
            self.sends.retain(|s| !(s.0 == *conn && s.1 == *tag));
            let r = reply(a);
            self.input(Input::Reply {
                id: *conn,
                tag: *tag,
                reply: r,
            });
        }
        mine.len()
    }

    /// Drops unanswered commands to `port` (they will never be answered).
    pub fn forget(&mut self, port: u16) {
        let conns: Vec<u64> = self
            .conns
            .values()
            .filter(|c| c.addr.port == port)
            .map(|c| c.id)
            .collect();
        self.sends.retain(|s| !conns.contains(&s.0));
    }

    /// Unanswered commands to `port`.
    pub fn pending_to(&self, port: u16) -> Vec<Vec<String>> {
        self.sends
            .iter()
            .filter(|s| self.port_of(s.0) == port)
            .map(|s| s.2.clone())
            .collect()
    }

    /// A SENTINEL command.
    pub fn cmd(&mut self, a: &[&str]) -> Reply {
        let (r, actions) = self.core.command(&args(a), at(self.now));
        self.absorb(actions);
        r
    }

    /// Events emitted so far: (kind, message).
    pub fn events(&self) -> Vec<(String, String)> {
        self.log
            .iter()
            .filter_map(|a| match a {
                Action::Event(e) => Some((e.kind.clone(), e.message.clone())),
                _ => None,
            })
            .collect()
    }

    /// Whether an event of `kind` was emitted.
    pub fn has(&self, kind: &str) -> bool {
        self.events().iter().any(|e| e.0 == kind)
    }

    /// Clears the action log.
    pub fn clear(&mut self) {
        self.log.clear();
    }
}

/// INFO text of a master with these replicas (ip, port).
pub fn master_info(runid: &str, replicas: &[(&str, u16)]) -> String {
    let mut s = format!("# Server\r\nrun_id:{runid}\r\n# Replication\r\nrole:master\r\n");
    for (i, (ip, port)) in replicas.iter().enumerate() {
        s.push_str(&format!(
            "slave{i}:ip={ip},port={port},state=online,offset=100,lag=0\r\n"
        ));
    }
    s
}

/// INFO text of a replica.
pub fn replica_info(runid: &str, host: &str, port: u16, prio: i64, offset: u64) -> String {
    format!(
        "# Server\r\nrun_id:{runid}\r\n# Replication\r\nrole:slave\r\nmaster_host:{host}\r\n\
         master_port:{port}\r\nmaster_link_status:up\r\nslave_repl_offset:{offset}\r\n\
         slave_priority:{prio}\r\nreplica_announced:1\r\n"
    )
}

/// PONG.
pub fn pong(_: &[String]) -> Reply {
    Reply::Status("PONG".into())
}
