//! A simulated network with virtual time: several `SentinelCore`s and fake data nodes, the
//! actions of each core turned into inputs for the others (commands, replies, pub/sub hello,
//! is-master-down-by-addr), with process kills, pauses (clock jumps) and partitions.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};

use bytes::Bytes;

use super::node::{FakeNode, NodeRole, NodeView, info_text};
use crate::resp::Reply;
use crate::sentinel::core::{CoreOptions, SentinelCore};
use crate::sentinel::proto::{Action, Input, LinkKind, Now};

/// A network endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Ep {
    /// Sentinel by index.
    S(usize),
    /// Data node by index.
    N(usize),
}

/// One simulated sentinel process.
pub struct SimSentinel {
    /// The core while the process runs.
    pub core: Option<SentinelCore>,
    /// Listening IP.
    pub ip: String,
    /// Listening port.
    pub port: u16,
    /// Process generation (inputs for older generations are dropped).
    pub generation: u32,
    /// Events: (time, kind, message).
    pub events: Vec<(u64, String, String)>,
    /// Last flushed configuration (config_lines), used to restart.
    pub config: Vec<Vec<String>>,
    /// Scripts run (RunScript argv, and notify script [path, kind, msg]).
    pub scripts: Vec<Vec<String>>,
    /// Exit code if the core asked to exit.
    pub exited: Option<i32>,
    /// Process stopped until this time (SIGSTOP).
    pub paused_until: u64,
    /// Number of FlushConfig actions.
    pub flushes: usize,
    /// Seed for the core's RNG.
    pub seed: u64,
}

/// A connection opened by a sentinel.
#[derive(Clone, Debug)]
struct ConnInfo {
    target: Ep,
    kind: LinkKind,
    generation: u32,
}

enum Ev {
    Tick {
        s: usize,
        generation: u32,
    },
    Input {
        s: usize,
        generation: u32,
        input: Input,
    },
    NodeReq {
        node: usize,
        s: usize,
        generation: u32,
        conn: u64,
        tag: u64,
        args: Vec<Bytes>,
    },
    SentReq {
        target: usize,
        s: usize,
        generation: u32,
        conn: u64,
        tag: u64,
        args: Vec<Bytes>,
    },
}

/// The simulated world.
pub struct World {
    /// Virtual time (ms).
    pub now: u64,
    /// Data nodes.
    pub nodes: Vec<FakeNode>,
    /// Sentinels.
    pub sentinels: Vec<SimSentinel>,
    queue: BinaryHeap<Reverse<(u64, u64)>>,
    events: HashMap<u64, Ev>,
    seq: u64,
    conns: HashMap<(usize, u64), ConnInfo>,
    subs: Vec<(usize, usize, u64)>,
    blocked: HashSet<(Ep, Ep)>,
    /// One-way network latency (ms).
    pub latency: u64,
    /// Drop every message with this probability (per mille), for chaos runs.
    pub loss_per_mille: u32,
    rng_state: u64,
    /// When false, cores run with Redis's pacing (no shortcuts).
    pub fast: bool,
}

impl NodeView for World {
    fn node_at(&self, host: &str, port: u16) -> Option<&FakeNode> {
        self.nodes.iter().find(|n| n.ip == host && n.port == port)
    }
    fn nodes(&self) -> &[FakeNode] {
        &self.nodes
    }
}

/// A deterministic sentinel id.
pub fn sid(i: usize) -> String {
    format!("{:040x}", 0x5e00 + i)
}

/// Text args to Bytes.
pub fn bargs(a: &[&str]) -> Vec<Bytes> {
    a.iter()
        .map(|s| Bytes::copy_from_slice(s.as_bytes()))
        .collect()
}

fn lossless(a: &[Bytes]) -> Vec<String> {
    a.iter()
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .collect()
}

impl World {
    /// An empty world at time 0.
    pub fn new() -> World {
        World {
            now: 0,
            nodes: Vec::new(),
            sentinels: Vec::new(),
            queue: BinaryHeap::new(),
            events: HashMap::new(),
            seq: 0,
            conns: HashMap::new(),
            subs: Vec::new(),
            blocked: HashSet::new(),
            latency: 1,
            loss_per_mille: 0,
            rng_state: 0x1234_5678,
            fast: true,
        }
    }

    /// A master at 10.0.1.1:6379 with `replicas` synced replicas at 10.0.1.2.. and `n`
    /// sentinels at 10.0.0.1..:26379 monitoring it as `mymaster` with the given quorum,
    /// down-after 1000 ms and failover-timeout `ft`.
    pub fn standard(n: usize, replicas: usize, quorum: u32, ft: u64) -> World {
        let mut w = World::new();
        w.nodes.push(FakeNode::master("10.0.1.1", 6379));
        for r in 0..replicas {
            w.nodes.push(FakeNode::replica(
                &format!("10.0.1.{}", r + 2),
                6379,
                "10.0.1.1",
                6379,
            ));
        }
        for i in 0..n {
            let cfg = vec![
                vec!["myid".to_string(), sid(i)],
                vec![
                    "monitor".into(),
                    "mymaster".into(),
                    "10.0.1.1".into(),
                    "6379".into(),
                    quorum.to_string(),
                ],
                vec![
                    "down-after-milliseconds".into(),
                    "mymaster".into(),
                    "1000".into(),
                ],
                vec!["failover-timeout".into(), "mymaster".into(), ft.to_string()],
            ];
            w.add_sentinel(&format!("10.0.0.{}", i + 1), 26379, cfg, 1000 + i as u64);
        }
        w
    }

    /// Adds (and starts) a sentinel with the given `sentinel ...` lines.
    pub fn add_sentinel(
        &mut self,
        ip: &str,
        port: u16,
        config: Vec<Vec<String>>,
        seed: u64,
    ) -> usize {
        self.sentinels.push(SimSentinel {
            core: None,
            ip: ip.to_string(),
            port,
            generation: 0,
            events: Vec::new(),
            config,
            scripts: Vec::new(),
            exited: None,
            paused_until: 0,
            flushes: 0,
            seed,
        });
        let s = self.sentinels.len() - 1;
        self.start_sentinel(s);
        s
    }

    fn time(&self) -> Now {
        Now {
            mono_ms: self.now,
            wall_ms: 1_700_000_000_000 + self.now as i64,
        }
    }

    fn rand(&mut self) -> u64 {
        // xorshift64*
        let mut x = self.rng_state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng_state = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Seeds the network's own randomness (message loss).
    pub fn seed_network(&mut self, seed: u64) {
        self.rng_state = seed | 1;
    }

    fn push(&mut self, at: u64, ev: Ev) {
        self.seq += 1;
        self.queue.push(Reverse((at, self.seq)));
        self.events.insert(self.seq, ev);
    }

    /// (Re)starts sentinel `s` from its last flushed configuration.
    pub fn start_sentinel(&mut self, s: usize) {
        let now = self.time();
        let sim = &mut self.sentinels[s];
        sim.generation += 1;
        sim.exited = None;
        let directives: Vec<(String, Vec<String>)> = sim
            .config
            .iter()
            .enumerate()
            .map(|(i, l)| (format!("sentinel.conf:{}", i + 1), l.clone()))
            .collect();
        let opts = CoreOptions {
            port: sim.port,
            requirepass: None,
        };
        let (mut core, actions) = match SentinelCore::from_config(&directives, opts, now) {
            Ok(x) => x,
            Err(e) => panic!("sentinel {s} config error: {e}"),
        };
        core.reseed(sim.seed.wrapping_add(u64::from(sim.generation) * 7777));
        core.set_fast(self.fast);
        let first = core.next_tick_ms();
        sim.core = Some(core);
        let generation = sim.generation;
        self.process_actions(s, actions);
        self.push(self.now + first, Ev::Tick { s, generation });
    }

    /// Stops sentinel `s` (kill -9): its connections drop.
    pub fn kill_sentinel(&mut self, s: usize) {
        self.sentinels[s].core = None;
        self.sentinels[s].generation += 1;
        let mine: Vec<(usize, u64)> = self.conns.keys().filter(|k| k.0 == s).copied().collect();
        for k in mine {
            self.conns.remove(&k);
        }
        self.subs.retain(|x| x.1 != s);
        self.drop_conns_to(Ep::S(s), None);
    }

    /// SIGSTOP for `ms`: no timer, no input processing until then.
    pub fn pause_sentinel(&mut self, s: usize, ms: u64) {
        self.sentinels[s].paused_until = self.now + ms;
    }

    /// kill -9 of data node `j`.
    pub fn kill_node(&mut self, j: usize) {
        self.nodes[j].alive = false;
        let (ip, port) = (self.nodes[j].ip.clone(), self.nodes[j].port);
        let now = self.now;
        for n in &mut self.nodes {
            if let NodeRole::Replica { host, port: p } = &n.role
                && *host == ip
                && *p == port
                && n.link_down_since.is_none()
            {
                n.link_down_since = Some(now);
            }
        }
        self.subs.retain(|x| x.0 != j);
        self.drop_conns_to(Ep::N(j), None);
    }

    /// Restarts data node `j` with a new run id and the same role.
    pub fn restart_node(&mut self, j: usize) {
        self.nodes[j].restart();
        let (ip, port) = (self.nodes[j].ip.clone(), self.nodes[j].port);
        let now = self.now;
        for n in &mut self.nodes {
            if let NodeRole::Replica { host, port: p } = &n.role
                && *host == ip
                && *p == port
            {
                n.synced_at = Some(now + n.sync_delay);
            }
        }
    }

    /// Blocks traffic between every endpoint of `a` and every endpoint of `b`.
    pub fn partition(&mut self, a: &[Ep], b: &[Ep]) {
        for &x in a {
            for &y in b {
                self.blocked.insert((x, y));
                self.blocked.insert((y, x));
            }
        }
    }

    /// Removes all partitions.
    pub fn heal(&mut self) {
        self.blocked.clear();
    }

    fn is_blocked(&self, a: Ep, b: Ep) -> bool {
        self.blocked.contains(&(a, b))
    }

    fn lost(&mut self) -> bool {
        self.loss_per_mille > 0 && (self.rand() % 1000) < u64::from(self.loss_per_mille)
    }

    /// Closes every connection to `target` (except `except`), reporting LinkDown to owners.
    fn drop_conns_to(&mut self, target: Ep, except: Option<(usize, u64)>) {
        let keys: Vec<((usize, u64), ConnInfo)> = self
            .conns
            .iter()
            .filter(|(k, c)| c.target == target && Some(**k) != except)
            .map(|(k, c)| (*k, c.clone()))
            .collect();
        for ((s, conn), c) in keys {
            self.conns.remove(&(s, conn));
            self.subs.retain(|x| !(x.1 == s && x.2 == conn));
            let at = self.now + self.latency;
            self.push(
                at,
                Ev::Input {
                    s,
                    generation: c.generation,
                    input: Input::LinkDown {
                        id: conn,
                        kind: c.kind,
                    },
                },
            );
        }
    }

    fn resolve(&self, host: &str, port: u16) -> Option<Ep> {
        if let Some(j) = self
            .nodes
            .iter()
            .position(|n| n.ip == host && n.port == port)
        {
            return self.nodes[j].alive.then_some(Ep::N(j));
        }
        if let Some(k) = self
            .sentinels
            .iter()
            .position(|x| x.ip == host && x.port == port)
        {
            return self.sentinels[k].core.is_some().then_some(Ep::S(k));
        }
        None
    }

    fn process_actions(&mut self, s: usize, actions: Vec<Action>) {
        let generation = self.sentinels[s].generation;
        for a in actions {
            match a {
                Action::Connect { id, kind, addr, .. } => {
                    let lat = self.latency;
                    match self.resolve(&addr.host, addr.port) {
                        Some(target) if !self.is_blocked(Ep::S(s), target) => {
                            self.conns.insert(
                                (s, id),
                                ConnInfo {
                                    target,
                                    kind,
                                    generation,
                                },
                            );
                            if let (Ep::N(j), LinkKind::PubSub) = (target, kind) {
                                self.subs.push((j, s, id));
                            }
                            let local_ip = self.sentinels[s].ip.clone();
                            self.push(
                                self.now + lat,
                                Ev::Input {
                                    s,
                                    generation,
                                    input: Input::LinkUp {
                                        id,
                                        kind,
                                        local_ip,
                                        peer_ip: addr.host.clone(),
                                    },
                                },
                            );
                        }
                        Some(_) => self.push(
                            self.now + 1000,
                            Ev::Input {
                                s,
                                generation,
                                input: Input::LinkDown { id, kind },
                            },
                        ),
                        None => self.push(
                            self.now + lat,
                            Ev::Input {
                                s,
                                generation,
                                input: Input::LinkDown { id, kind },
                            },
                        ),
                    }
                }
                Action::Close { id, kind } => {
                    self.conns.remove(&(s, id));
                    self.subs.retain(|x| !(x.1 == s && x.2 == id));
                    self.push(
                        self.now,
                        Ev::Input {
                            s,
                            generation,
                            input: Input::LinkDown { id, kind },
                        },
                    );
                }
                Action::Send { id, tag, args } => {
                    let Some(c) = self.conns.get(&(s, id)).cloned() else {
                        continue;
                    };
                    if self.is_blocked(Ep::S(s), c.target) || self.lost() {
                        continue;
                    }
                    let at = self.now + self.latency;
                    match c.target {
                        Ep::N(node) => self.push(
                            at,
                            Ev::NodeReq {
                                node,
                                s,
                                generation,
                                conn: id,
                                tag,
                                args,
                            },
                        ),
                        Ep::S(target) => self.push(
                            at,
                            Ev::SentReq {
                                target,
                                s,
                                generation,
                                conn: id,
                                tag,
                                args,
                            },
                        ),
                    }
                }
                Action::Event(e) => {
                    if let Some(path) = &e.notify_script {
                        self.sentinels[s].scripts.push(vec![
                            path.clone(),
                            e.kind.clone(),
                            e.message.clone(),
                        ]);
                    }
                    self.sentinels[s].events.push((self.now, e.kind, e.message));
                }
                Action::RunScript(argv) => self.sentinels[s].scripts.push(argv),
                Action::FlushConfig => {
                    if let Some(core) = &self.sentinels[s].core {
                        self.sentinels[s].config = core.config_lines();
                        self.sentinels[s].flushes += 1;
                    }
                }
                Action::Exit(code) => {
                    self.kill_sentinel(s);
                    self.sentinels[s].exited = Some(code);
                    return;
                }
            }
        }
    }

    /// Runs one queued event; false when the queue is empty or the next one is after `until`.
    fn step(&mut self, until: u64) -> bool {
        let Some(&Reverse((at, seq))) = self.queue.peek() else {
            return false;
        };
        if at > until {
            return false;
        }
        self.queue.pop();
        let Some(ev) = self.events.remove(&seq) else {
            return true;
        };
        self.now = self.now.max(at);
        match ev {
            Ev::Tick { s, generation } => {
                if self.sentinels[s].generation != generation || self.sentinels[s].core.is_none() {
                    return true;
                }
                if self.sentinels[s].paused_until > self.now {
                    let t = self.sentinels[s].paused_until;
                    self.push(t, Ev::Tick { s, generation });
                    return true;
                }
                let now = self.time();
                let (actions, next) = {
                    let Some(core) = self.sentinels[s].core.as_mut() else {
                        return true;
                    };
                    let a = core.handle(Input::Tick, now);
                    (a, core.next_tick_ms())
                };
                self.process_actions(s, actions);
                if self.sentinels[s].generation == generation {
                    self.push(self.now + next, Ev::Tick { s, generation });
                }
            }
            Ev::Input {
                s,
                generation,
                input,
            } => {
                if self.sentinels[s].generation != generation {
                    return true;
                }
                if self.sentinels[s].paused_until > self.now {
                    let t = self.sentinels[s].paused_until;
                    self.push(
                        t,
                        Ev::Input {
                            s,
                            generation,
                            input,
                        },
                    );
                    return true;
                }
                // Replies and messages on a connection that was closed meanwhile are lost.
                let conn_ok = match &input {
                    Input::Reply { id, .. } | Input::Message { id, .. } => {
                        self.conns.contains_key(&(s, *id))
                    }
                    _ => true,
                };
                if !conn_ok {
                    return true;
                }
                let now = self.time();
                let Some(core) = self.sentinels[s].core.as_mut() else {
                    return true;
                };
                let actions = core.handle(input, now);
                self.process_actions(s, actions);
            }
            Ev::NodeReq {
                node,
                s,
                generation,
                conn,
                tag,
                args,
            } => {
                if !self.nodes[node].alive || !self.conns.contains_key(&(s, conn)) {
                    return true;
                }
                if let Some(reply) = self.node_command(node, s, conn, &args) {
                    self.reply_to(s, generation, conn, tag, reply, Ep::N(node));
                }
            }
            Ev::SentReq {
                target,
                s,
                generation,
                conn,
                tag,
                args,
            } => {
                if !self.conns.contains_key(&(s, conn)) {
                    return true;
                }
                let reply = self.sentinel_request(target, &args);
                if let Some(reply) = reply {
                    self.reply_to(s, generation, conn, tag, reply, Ep::S(target));
                }
            }
        }
        true
    }

    fn reply_to(&mut self, s: usize, generation: u32, conn: u64, tag: u64, reply: Reply, from: Ep) {
        if self.is_blocked(from, Ep::S(s)) || self.lost() {
            return;
        }
        let at = self.now + self.latency;
        self.push(
            at,
            Ev::Input {
                s,
                generation,
                input: Input::Reply {
                    id: conn,
                    tag,
                    reply,
                },
            },
        );
    }

    fn sentinel_request(&mut self, target: usize, args: &[Bytes]) -> Option<Reply> {
        if self.sentinels[target].paused_until > self.now {
            // A stopped process answers later; the simulation simply drops the request.
            return None;
        }
        let now = self.time();
        let cmd = String::from_utf8_lossy(args.first()?).to_ascii_uppercase();
        let core = self.sentinels[target].core.as_mut()?;
        let (reply, actions) = match cmd.as_str() {
            "SENTINEL" => core.command(args, now),
            "PUBLISH" => {
                if args.len() == 3 && args[1].as_ref() == b"__sentinel__:hello" {
                    (Reply::Int(1), core.hello_from_client(&args[2], now))
                } else {
                    (
                        Reply::err("ERR Only HELLO messages are accepted by Sentinel instances."),
                        Vec::new(),
                    )
                }
            }
            "PING" => (Reply::Status("PONG".into()), Vec::new()),
            _ => (Reply::err("ERR unknown command"), Vec::new()),
        };
        self.process_actions(target, actions);
        Some(reply)
    }

    fn apply_slaveof(&mut self, node: usize, host: &str, port: &str) {
        if self.nodes[node].ignore_slaveof {
            return;
        }
        let now = self.now;
        let n = &mut self.nodes[node];
        if host.eq_ignore_ascii_case("no") && port.eq_ignore_ascii_case("one") {
            n.role = NodeRole::Master;
            n.synced_at = Some(0);
            n.link_down_since = None;
        } else {
            let port: u16 = port.parse().unwrap_or(0);
            let same =
                matches!(&n.role, NodeRole::Replica{host: h, port: p} if h == host && *p == port);
            if !same {
                n.role = NodeRole::Replica {
                    host: host.to_string(),
                    port,
                };
                n.synced_at = Some(now + n.sync_delay);
                n.link_down_since = Some(now);
            }
        }
    }

    /// Executes one command on a data node; None = no reply (hang).
    fn node_command(&mut self, node: usize, s: usize, conn: u64, args: &[Bytes]) -> Option<Reply> {
        let sargs = lossless(args);
        self.nodes[node].log.push((self.now, sargs.clone()));
        let cmd = sargs
            .first()
            .map(|c| c.to_ascii_uppercase())
            .unwrap_or_default();
        let key = (s, conn);
        if let Some(pos) = self.nodes[node].multi.iter().position(|(k, _)| *k == key) {
            if cmd != "EXEC" {
                self.nodes[node].multi[pos].1.push(args.to_vec());
                return Some(Reply::Status("QUEUED".into()));
            }
            let (_, queued) = self.nodes[node].multi.remove(pos);
            let mut results = Vec::new();
            for q in queued {
                results.push(self.exec_one(node, key, &q));
            }
            return Some(Reply::Array(results));
        }
        match cmd.as_str() {
            "MULTI" => {
                self.nodes[node].multi.push((key, Vec::new()));
                Some(Reply::Ok)
            }
            "EXEC" => Some(Reply::err("ERR EXEC without MULTI")),
            _ => {
                if (cmd == "INFO" && self.nodes[node].info_hangs)
                    || (cmd == "PING" && self.nodes[node].ping_hangs)
                {
                    return None;
                }
                Some(self.exec_one(node, key, args))
            }
        }
    }

    fn exec_one(&mut self, node: usize, key: (usize, u64), args: &[Bytes]) -> Reply {
        let sargs = lossless(args);
        let cmd = sargs
            .first()
            .map(|c| c.to_ascii_uppercase())
            .unwrap_or_default();
        match cmd.as_str() {
            "PING" => self.nodes[node]
                .ping_reply
                .clone()
                .unwrap_or(Reply::Status("PONG".into())),
            "INFO" => Reply::Bulk(Bytes::from(info_text(node, self, self.now))),
            "PUBLISH" if sargs.len() == 3 => {
                let targets: Vec<(usize, u64)> = self
                    .subs
                    .iter()
                    .filter(|x| x.0 == node)
                    .map(|x| (x.1, x.2))
                    .collect();
                let mut n = 0;
                for (s, conn) in targets {
                    if self.is_blocked(Ep::N(node), Ep::S(s)) {
                        continue;
                    }
                    let Some(generation) = self.conns.get(&(s, conn)).map(|c| c.generation) else {
                        continue;
                    };
                    n += 1;
                    let at = self.now + self.latency;
                    self.push(
                        at,
                        Ev::Input {
                            s,
                            generation,
                            input: Input::Message {
                                id: conn,
                                channel: args[1].clone(),
                                payload: args[2].clone(),
                            },
                        },
                    );
                }
                Reply::Int(n)
            }
            "SLAVEOF" | "REPLICAOF" if sargs.len() == 3 => {
                self.apply_slaveof(node, &sargs[1], &sargs[2]);
                Reply::Ok
            }
            "CONFIG" => Reply::Ok,
            "CLIENT" if sargs.len() == 4 => {
                let kind = if sargs[3].eq_ignore_ascii_case("pubsub") {
                    LinkKind::PubSub
                } else {
                    LinkKind::Command
                };
                let victims: Vec<(usize, u64)> = self
                    .conns
                    .iter()
                    .filter(|(k, c)| c.target == Ep::N(node) && c.kind == kind && **k != key)
                    .map(|(k, _)| *k)
                    .collect();
                for (s, conn) in victims {
                    if let Some(c) = self.conns.remove(&(s, conn)) {
                        self.subs.retain(|x| !(x.1 == s && x.2 == conn));
                        let at = self.now + self.latency;
                        self.push(
                            at,
                            Ev::Input {
                                s,
                                generation: c.generation,
                                input: Input::LinkDown { id: conn, kind },
                            },
                        );
                    }
                }
                Reply::Int(0)
            }
            "SCRIPT" => {
                if matches!(&self.nodes[node].ping_reply, Some(Reply::Error(e)) if e.starts_with("BUSY"))
                {
                    self.nodes[node].ping_reply = None;
                }
                Reply::Ok
            }
            _ => Reply::err(format!("ERR unknown command '{}'", sargs.join(" "))),
        }
    }

    /// Runs until virtual time `t`.
    pub fn run_until(&mut self, t: u64) {
        while self.step(t) {}
        self.now = self.now.max(t);
    }

    /// Runs for `ms`.
    pub fn run_for(&mut self, ms: u64) {
        let t = self.now + ms;
        self.run_until(t);
    }

    /// Runs until `cond` holds (checked after each event) or `max_ms` passed; true if it held.
    pub fn run_until_cond(&mut self, max_ms: u64, mut cond: impl FnMut(&World) -> bool) -> bool {
        let end = self.now + max_ms;
        loop {
            if cond(self) {
                return true;
            }
            if !self.step(end) {
                self.now = self.now.max(end);
                return cond(self);
            }
        }
    }

    /// A SENTINEL command on sentinel `s`, with its actions processed.
    pub fn cmd(&mut self, s: usize, args: &[&str]) -> Reply {
        let now = self.time();
        let Some(core) = self.sentinels[s].core.as_mut() else {
            panic!("sentinel {s} is down");
        };
        let (reply, actions) = core.command(&bargs(args), now);
        self.process_actions(s, actions);
        reply
    }

    /// The core of sentinel `s`.
    pub fn core(&self, s: usize) -> &SentinelCore {
        match &self.sentinels[s].core {
            Some(c) => c,
            None => panic!("sentinel {s} is down"),
        }
    }

    /// Event kinds of sentinel `s`, in order.
    pub fn kinds(&self, s: usize) -> Vec<String> {
        self.sentinels[s]
            .events
            .iter()
            .map(|e| e.1.clone())
            .collect()
    }

    /// Whether sentinel `s` emitted `kind`.
    pub fn has(&self, s: usize, kind: &str) -> bool {
        self.sentinels[s].events.iter().any(|e| e.1 == kind)
    }

    /// Messages of `kind` emitted by sentinel `s`.
    pub fn msgs(&self, s: usize, kind: &str) -> Vec<String> {
        self.sentinels[s]
            .events
            .iter()
            .filter(|e| e.1 == kind)
            .map(|e| e.2.clone())
            .collect()
    }

    /// Time of the first `kind` event of sentinel `s`.
    pub fn first_time(&self, s: usize, kind: &str) -> Option<u64> {
        self.sentinels[s]
            .events
            .iter()
            .find(|e| e.1 == kind)
            .map(|e| e.0)
    }

    /// GET-MASTER-ADDR-BY-NAME mymaster on sentinel `s` as "ip:port".
    pub fn master_addr(&mut self, s: usize) -> String {
        match self.cmd(s, &["SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"]) {
            Reply::Array(v) => match (&v[0], &v[1]) {
                (Reply::Bulk(a), Reply::Bulk(b)) => format!(
                    "{}:{}",
                    String::from_utf8_lossy(a),
                    String::from_utf8_lossy(b)
                ),
                _ => String::new(),
            },
            _ => String::new(),
        }
    }

    /// The nodes currently in the master role and alive.
    pub fn live_masters(&self) -> Vec<usize> {
        (0..self.nodes.len())
            .filter(|&j| self.nodes[j].alive && self.nodes[j].role == NodeRole::Master)
            .collect()
    }
}
