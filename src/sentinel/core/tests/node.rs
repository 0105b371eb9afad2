//! A scripted Redis data node: answers PING/INFO/PUBLISH/MULTI/SLAVEOF/EXEC/... from its own
//! state, the way a real master or replica would for a sentinel.

use bytes::Bytes;

use crate::resp::Reply;

/// A number derived from an address (distinct run ids per node).
fn ip_seed(ip: &str, port: u16) -> u128 {
    ip.bytes().fold(u128::from(port), |h, b| {
        h.wrapping_mul(131).wrapping_add(u128::from(b))
    }) % (1u128 << 100)
}

/// Commands queued by MULTI on one connection (sentinel, connection id).
pub type MultiQueue = ((usize, u64), Vec<Vec<Bytes>>);

/// Replication role of a fake node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NodeRole {
    /// A master.
    Master,
    /// Replicating from host:port.
    Replica {
        /// Master host.
        host: String,
        /// Master port.
        port: u16,
    },
}

/// A fake data node.
#[derive(Clone, Debug)]
pub struct FakeNode {
    /// Listening IP.
    pub ip: String,
    /// Listening port.
    pub port: u16,
    /// Process alive.
    pub alive: bool,
    /// run_id (changes at every restart).
    pub run_id: String,
    /// Role.
    pub role: NodeRole,
    /// `slave_priority`.
    pub priority: i64,
    /// `slave_repl_offset` / master offset.
    pub offset: u64,
    /// `replica_announced`.
    pub announced: bool,
    /// PING answers this instead of PONG when set (LOADING, BUSY, ...).
    pub ping_reply: Option<Reply>,
    /// INFO does not answer (hangs) when set.
    pub info_hangs: bool,
    /// When the current replication link became usable (virtual ms); None = not synced.
    pub synced_at: Option<u64>,
    /// Delay between SLAVEOF and a synced link.
    pub sync_delay: u64,
    /// When the replication link went down (for master_link_down_since_seconds).
    pub link_down_since: Option<u64>,
    /// Every command received, for assertions: (time, args).
    pub log: Vec<(u64, Vec<String>)>,
    /// SLAVEOF is accepted but has no effect.
    pub ignore_slaveof: bool,
    /// PING gets no answer at all.
    pub ping_hangs: bool,
    /// Commands queued by MULTI per connection key.
    pub multi: Vec<MultiQueue>,
    /// Restart counter (fresh run ids).
    pub restarts: u32,
}

impl FakeNode {
    /// A live master.
    pub fn master(ip: &str, port: u16) -> FakeNode {
        FakeNode {
            ip: ip.to_string(),
            port,
            alive: true,
            run_id: format!("{:040x}", ip_seed(ip, port)),
            role: NodeRole::Master,
            priority: 100,
            offset: 1000,
            announced: true,
            ping_reply: None,
            info_hangs: false,
            synced_at: Some(0),
            sync_delay: 300,
            link_down_since: None,
            log: Vec::new(),
            ignore_slaveof: false,
            ping_hangs: false,
            multi: Vec::new(),
            restarts: 0,
        }
    }

    /// A live replica of `host:port`, already synced.
    pub fn replica(ip: &str, port: u16, host: &str, mport: u16) -> FakeNode {
        let mut n = FakeNode::master(ip, port);
        n.role = NodeRole::Replica {
            host: host.to_string(),
            port: mport,
        };
        n
    }

    /// Restart: new run id, same role.
    pub fn restart(&mut self) {
        self.alive = true;
        self.restarts += 1;
        self.run_id = format!(
            "{:040x}",
            ip_seed(&self.ip, self.port) + u128::from(self.restarts) * 104_729
        );
    }
}

/// What the world needs to know to answer INFO and run SLAVEOF.
pub trait NodeView {
    /// The node listening at host:port, if any.
    fn node_at(&self, host: &str, port: u16) -> Option<&FakeNode>;
    /// Every node.
    fn nodes(&self) -> &[FakeNode];
}

/// Whether `n` (a replica) currently has an up replication link.
pub fn link_up(n: &FakeNode, world: &dyn NodeView, now: u64) -> bool {
    match &n.role {
        NodeRole::Master => false,
        NodeRole::Replica { host, port } => {
            let master_ok = world
                .node_at(host, *port)
                .is_some_and(|m| m.alive && m.role == NodeRole::Master);
            master_ok && n.synced_at.is_some_and(|t| t <= now)
        }
    }
}

/// The INFO text of node `idx`.
pub fn info_text(idx: usize, world: &dyn NodeView, now: u64) -> String {
    let n = &world.nodes()[idx];
    let mut s = format!(
        "# Server\r\nredis_version:7.0.15\r\nrun_id:{}\r\ntcp_port:{}\r\n\r\n# Replication\r\n",
        n.run_id, n.port
    );
    match &n.role {
        NodeRole::Master => {
            s.push_str("role:master\r\n");
            let replicas: Vec<&FakeNode> = world
                .nodes()
                .iter()
                .filter(|r| {
                    r.alive
                        && matches!(&r.role, NodeRole::Replica{host, port} if *host == n.ip && *port == n.port)
                        && link_up(r, world, now)
                })
                .collect();
            s.push_str(&format!("connected_slaves:{}\r\n", replicas.len()));
            for (i, r) in replicas.iter().enumerate() {
                s.push_str(&format!(
                    "slave{}:ip={},port={},state=online,offset={},lag=0\r\n",
                    i, r.ip, r.port, r.offset
                ));
            }
            s.push_str(&format!("master_repl_offset:{}\r\n", n.offset));
        }
        NodeRole::Replica { host, port } => {
            let up = link_up(n, world, now);
            s.push_str(&format!(
                "role:slave\r\nmaster_host:{host}\r\nmaster_port:{port}\r\nmaster_link_status:{}\r\n",
                if up { "up" } else { "down" }
            ));
            if !up {
                let since = n.link_down_since.unwrap_or(now);
                s.push_str(&format!(
                    "master_link_down_since_seconds:{}\r\n",
                    now.saturating_sub(since) / 1000
                ));
            }
            s.push_str(&format!(
                "slave_repl_offset:{}\r\nslave_priority:{}\r\nslave_read_only:1\r\nreplica_announced:{}\r\n",
                n.offset,
                n.priority,
                u8::from(n.announced)
            ));
        }
    }
    s
}
