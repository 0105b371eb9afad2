//! Links to instances: connection state, commands in flight, reconnect pacing, periodic
//! PING/INFO/hello, and closing links that look dead.
//!
//! A link holds a command connection and (masters/replicas) a pub/sub connection. Links to
//! the same physical sentinel are shared by its records under every master (`refcount`), so
//! it gets one PING per period, as in Redis's `instanceLink`.
//!
//! Every `Connect` gets a fresh connection id (the `id` of the Connect/Send/Close actions and
//! of the inputs about that connection), so an input about a connection we already dropped
//! can never be mistaken for one about its replacement.

use std::collections::HashMap;

use bytes::Bytes;

use crate::resp::Reply;
use crate::sentinel::proto::{Action, Credentials, InstanceId, LinkKind};

use super::SentinelCore;
use super::instance::{Loc, MASTER, S_DOWN, SCRIPT_KILL_SENT, SENTINEL, SLAVE};

/// Identifies a link inside the core.
pub type LinkId = u64;

/// Redis's SENTINEL_MAX_PENDING_COMMANDS (per link reference).
pub const MAX_PENDING_COMMANDS: i64 = 100;

/// One connection of a link.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Conn {
    /// Not connected (Redis's NULL context).
    Closed,
    /// Connect action issued, waiting for LinkUp.
    Connecting(InstanceId),
    /// Established.
    Up(InstanceId),
}

impl Conn {
    /// The connection id, unless closed.
    pub fn id(self) -> Option<InstanceId> {
        match self {
            Conn::Closed => None,
            Conn::Connecting(id) | Conn::Up(id) => Some(id),
        }
    }

    /// Established.
    pub fn is_up(self) -> bool {
        matches!(self, Conn::Up(_))
    }
}

/// A (possibly shared) link with its failure-detection timestamps.
#[derive(Clone, Debug)]
pub struct Link {
    /// Records using this link.
    pub refcount: i64,
    /// A needed connection is missing (Redis's `disconnected`: a connection being
    /// established counts as present, commands are only sent once it is up).
    pub disconnected: bool,
    /// The link has a pub/sub connection (masters and replicas).
    pub pubsub: bool,
    /// Commands sent and not yet answered on the command connection.
    pub pending_commands: i64,
    /// Command connection.
    pub cc: Conn,
    /// Pub/sub connection (masters and replicas).
    pub pc: Conn,
    /// When the command connection was initiated.
    pub cc_conn_time: i64,
    /// When the pub/sub connection was initiated.
    pub pc_conn_time: i64,
    /// Last message on the pub/sub connection.
    pub pc_last_activity: i64,
    /// Last valid PING reply (PONG/LOADING/MASTERDOWN).
    pub last_avail_time: i64,
    /// Oldest unanswered PING (0 = none pending).
    pub act_ping_time: i64,
    /// Last PING sent.
    pub last_ping_time: i64,
    /// Last PING reply of any kind.
    pub last_pong_time: i64,
    /// Last reconnection attempt.
    pub last_reconn_time: i64,
    /// Our address on the command connection (hello's ip without announce-ip).
    pub local_ip: Option<String>,
    /// A PING was queued at connect time, to be written once the connection is up.
    pub ping_on_connect: bool,
}

impl Link {
    /// Recomputes `disconnected` from the connection states.
    pub fn update_disconnected(&mut self) {
        self.disconnected = self.cc == Conn::Closed || (self.pubsub && self.pc == Conn::Closed);
    }

    /// `createInstanceLink`: disconnected, with a "pending ping" since now so that a never
    /// reachable instance still goes down after down-after-milliseconds.
    pub fn new(now: i64, pubsub: bool) -> Link {
        Link {
            refcount: 1,
            disconnected: true,
            pubsub,
            pending_commands: 0,
            cc: Conn::Closed,
            pc: Conn::Closed,
            cc_conn_time: 0,
            pc_conn_time: 0,
            pc_last_activity: 0,
            last_avail_time: now,
            act_ping_time: now,
            last_ping_time: 0,
            last_pong_time: now,
            last_reconn_time: 0,
            local_ip: None,
            ping_on_connect: false,
        }
    }
}

/// What a reply is for (the reply callback Redis registers).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmdKind {
    /// PING → availability.
    Ping,
    /// INFO → `refresh_instance_info`.
    Info,
    /// PUBLISH hello → `last_pub_time`.
    Publish,
    /// SENTINEL is-master-down-by-addr → down state and votes.
    IsMasterDown,
    /// Reply ignored (transactions, SCRIPT KILL).
    Discard,
}

/// A command awaiting its reply.
#[derive(Clone, Copy, Debug)]
pub struct PendingCmd {
    /// Connection it was sent on.
    pub conn: InstanceId,
    /// Link of that connection.
    pub link: LinkId,
    /// Record that sent it.
    pub inst: InstanceId,
    /// Reply handling.
    pub kind: CmdKind,
}

/// Link bookkeeping kept by the core.
#[derive(Clone, Debug, Default)]
pub struct Links {
    /// Links by id.
    pub map: HashMap<LinkId, Link>,
    /// Live connection ids → (link, kind).
    pub conns: HashMap<InstanceId, (LinkId, LinkKind)>,
    /// Commands in flight by tag.
    pub pending: HashMap<u64, PendingCmd>,
    /// Next tag.
    pub next_tag: u64,
}

impl SentinelCore {
    /// Allocates a process-unique id (instances, links and connections share the space).
    pub(crate) fn alloc_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// Creates a new link (with a pub/sub connection for masters and replicas).
    pub(crate) fn new_link(&mut self, pubsub: bool) -> LinkId {
        let id = self.alloc_id();
        self.links.map.insert(id, Link::new(self.now, pubsub));
        id
    }

    /// The link of the instance at `loc`.
    pub(crate) fn link_of(&self, loc: Loc) -> Option<&Link> {
        self.links.map.get(&self.inst(loc).link)
    }

    /// Mutable link of the instance at `loc`.
    pub(crate) fn link_of_mut(&mut self, loc: Loc) -> Option<&mut Link> {
        let id = self.inst(loc).link;
        self.links.map.get_mut(&id)
    }

    /// Whether the instance's link is disconnected (missing links count as disconnected).
    pub(crate) fn is_disconnected(&self, loc: Loc) -> bool {
        self.link_of(loc).is_none_or(|l| l.disconnected)
    }

    /// `instanceLinkCloseConnection`: drops one connection of a link (emitting Close).
    pub(crate) fn close_conn(&mut self, link_id: LinkId, kind: LinkKind) {
        let Some(link) = self.links.map.get_mut(&link_id) else {
            return;
        };
        let conn = match kind {
            LinkKind::Command => std::mem::replace(&mut link.cc, Conn::Closed),
            LinkKind::PubSub => std::mem::replace(&mut link.pc, Conn::Closed),
        };
        let Some(conn_id) = conn.id() else {
            return;
        };
        if kind == LinkKind::Command {
            link.pending_commands = 0;
            link.ping_on_connect = false;
        }
        link.update_disconnected();
        self.forget_conn(conn_id);
        self.out.push(Action::Close { id: conn_id, kind });
    }

    /// Forgets a connection id and the commands in flight on it.
    fn forget_conn(&mut self, conn_id: InstanceId) {
        self.links.conns.remove(&conn_id);
        self.links.pending.retain(|_, p| p.conn != conn_id);
    }

    /// Closes both connections of a link (keeps the link).
    pub(crate) fn close_link(&mut self, link_id: LinkId) {
        self.close_conn(link_id, LinkKind::Command);
        self.close_conn(link_id, LinkKind::PubSub);
    }

    /// `releaseInstanceLink`: one fewer user; the last one closes and frees it.
    pub(crate) fn release_link(&mut self, link_id: LinkId) {
        let Some(link) = self.links.map.get_mut(&link_id) else {
            return;
        };
        link.refcount -= 1;
        if link.refcount > 0 {
            // Replies to commands the departing record sent are discarded when they arrive
            // (their record is gone), still counting down pending_commands like Redis.
            return;
        }
        self.close_link(link_id);
        self.links.map.remove(&link_id);
    }

    /// Credentials for the instance's links (`sentinelSendAuthIfNeeded`).
    fn credentials(&self, loc: Loc) -> Option<Credentials> {
        let (user, pass) = match loc {
            Loc::Master(m) | Loc::Replica(m, _) => {
                let master = &self.masters[m];
                (master.auth_user.clone(), master.auth_pass.clone())
            }
            Loc::Sentinel(..) => {
                if self.sentinel_auth_pass.is_some() {
                    (
                        self.sentinel_auth_user.clone(),
                        self.sentinel_auth_pass.clone(),
                    )
                } else {
                    (None, self.opts.requirepass.clone())
                }
            }
        };
        pass.map(|pass| Credentials { user, pass })
    }

    /// The `CLIENT SETNAME` name for a connection kind.
    fn client_name(&self, kind: LinkKind) -> String {
        let id8: String = self.myid.chars().take(8).collect();
        match kind {
            LinkKind::Command => format!("sentinel-{id8}-cmd"),
            LinkKind::PubSub => format!("sentinel-{id8}-pubsub"),
        }
    }

    /// Emits a Connect for one connection of the instance's link.
    fn connect(&mut self, loc: Loc, kind: LinkKind) {
        let conn_id = self.alloc_id();
        let inst = self.inst(loc);
        let link_id = inst.link;
        let addr = crate::sentinel::proto::Addr {
            host: inst.addr.ip.clone(),
            port: inst.addr.port,
        };
        let renames = self.masters[loc.master()].renamed.clone();
        let auth = self.credentials(loc);
        let client_name = self.client_name(kind);
        let now = self.now;
        let Some(link) = self.links.map.get_mut(&link_id) else {
            return;
        };
        match kind {
            LinkKind::Command => {
                link.cc = Conn::Connecting(conn_id);
                link.pending_commands = 0;
                link.cc_conn_time = now;
                link.local_ip = None;
                // Redis queues a PING right away ("Send a PING ASAP when reconnecting"), so
                // the unanswered-ping clock starts now; the PING itself is written on LinkUp.
                link.ping_on_connect = true;
                link.last_ping_time = now;
                if link.act_ping_time == 0 {
                    link.act_ping_time = now;
                }
            }
            LinkKind::PubSub => {
                link.pc = Conn::Connecting(conn_id);
                link.pc_conn_time = now;
            }
        }
        link.update_disconnected();
        self.links.conns.insert(conn_id, (link_id, kind));
        self.out.push(Action::Connect {
            id: conn_id,
            kind,
            addr,
            auth,
            client_name,
            renames,
        });
    }

    /// `sentinelReconnectInstance`: (re)open missing connections, at most once per ping period.
    pub(crate) fn reconnect_instance(&mut self, loc: Loc) {
        let (flags, port) = {
            let inst = self.inst(loc);
            (inst.flags, inst.addr.port)
        };
        let ping_period = self.tun.ping_period;
        let now = self.now;
        let Some(link) = self.link_of_mut(loc) else {
            return;
        };
        if !link.disconnected || port == 0 {
            return;
        }
        if now - link.last_reconn_time < ping_period {
            return;
        }
        link.last_reconn_time = now;
        let need_cc = link.cc == Conn::Closed;
        let need_pc = flags & (MASTER | SLAVE) != 0 && link.pc == Conn::Closed;
        if need_cc {
            self.connect(loc, LinkKind::Command);
        }
        if need_pc {
            self.connect(loc, LinkKind::PubSub);
        }
    }

    /// Sends a command on the instance's command connection, applying rename-command to the
    /// command name. Returns false (nothing sent) when the connection is not up.
    pub(crate) fn send_cmd(&mut self, loc: Loc, kind: CmdKind, name: &str, rest: &[&str]) -> bool {
        let mapped = self.masters[loc.master()].map_command(name);
        let inst_id = self.inst(loc).id;
        let link_id = self.inst(loc).link;
        let Some(link) = self.links.map.get_mut(&link_id) else {
            return false;
        };
        let Conn::Up(conn_id) = link.cc else {
            return false;
        };
        link.pending_commands += 1;
        self.links.next_tag += 1;
        let tag = self.links.next_tag;
        self.links.pending.insert(
            tag,
            PendingCmd {
                conn: conn_id,
                link: link_id,
                inst: inst_id,
                kind,
            },
        );
        let mut args = Vec::with_capacity(rest.len() + 1);
        args.push(Bytes::from(mapped));
        args.extend(rest.iter().map(|s| Bytes::copy_from_slice(s.as_bytes())));
        self.out.push(Action::Send {
            id: conn_id,
            tag,
            args,
        });
        true
    }

    /// `sentinelSendPing`.
    pub(crate) fn send_ping(&mut self, loc: Loc) -> bool {
        if !self.send_cmd(loc, CmdKind::Ping, "PING", &[]) {
            return false;
        }
        let now = self.now;
        if let Some(link) = self.link_of_mut(loc) {
            link.last_ping_time = now;
            if link.act_ping_time == 0 {
                link.act_ping_time = now;
            }
        }
        true
    }

    /// Sends INFO to a master or replica.
    pub(crate) fn send_info(&mut self, loc: Loc) -> bool {
        self.send_cmd(loc, CmdKind::Info, "INFO", &[])
    }

    /// `sentinelSendPeriodicCommands`: INFO, PING and hello when due.
    pub(crate) fn send_periodic_commands(&mut self, loc: Loc) {
        let now = self.now;
        let Some(link) = self.link_of(loc) else {
            return;
        };
        if link.disconnected
            || link.pending_commands >= MAX_PENDING_COMMANDS.saturating_mul(link.refcount)
        {
            return;
        }
        let (last_pong, last_ping) = (link.last_pong_time, link.last_ping_time);
        let inst = self.inst(loc);
        let master = &self.masters[loc.master()];
        // Replicas of a master in ODOWN / failover, or with their master link down, are
        // polled every second to catch role changes and fresh link-down times.
        let info_period = if inst.flags & SLAVE != 0
            && (master.inst.flags
                & (super::instance::O_DOWN | super::instance::FAILOVER_IN_PROGRESS)
                != 0
                || inst.master_link_down_time != 0)
        {
            1000
        } else {
            self.tun.info_period
        };
        let ping_period = inst.down_after_period.min(self.tun.ping_period);
        let want_info = inst.flags & SENTINEL == 0
            && (inst.info_refresh == 0 || now - inst.info_refresh > info_period);
        let want_ping = now - last_pong > ping_period && now - last_ping > ping_period / 2;
        let want_hello = now - inst.last_pub_time > self.tun.publish_period;
        if want_info {
            self.send_info(loc);
        }
        if want_ping {
            self.send_ping(loc);
        }
        if want_hello {
            self.send_hello(loc);
        }
    }

    /// Link hygiene (start of `sentinelCheckSubjectivelyDown`): close a command connection
    /// with a long-unanswered PING and no replies at all, and a silent pub/sub connection.
    pub(crate) fn close_idle_links(&mut self, loc: Loc) {
        let now = self.now;
        let down_after = self.inst(loc).down_after_period;
        let (min_reconnect, publish_period) =
            (self.tun.min_link_reconnect_period, self.tun.publish_period);
        let link_id = self.inst(loc).link;
        let Some(link) = self.links.map.get(&link_id) else {
            return;
        };
        let close_cc = link.cc != Conn::Closed
            && now - link.cc_conn_time > min_reconnect
            && link.act_ping_time != 0
            && now - link.act_ping_time > down_after / 2
            && now - link.last_pong_time > down_after / 2;
        let close_pc = link.pc != Conn::Closed
            && now - link.pc_conn_time > min_reconnect
            && now - link.pc_last_activity > publish_period.saturating_mul(3);
        if close_cc {
            self.close_conn(link_id, LinkKind::Command);
        }
        if close_pc {
            self.close_conn(link_id, LinkKind::PubSub);
        }
    }

    /// Every record location using a link.
    pub(crate) fn owners_of(&self, link_id: LinkId) -> Vec<Loc> {
        let mut v = Vec::new();
        for (m, master) in self.masters.values().enumerate() {
            if master.inst.link == link_id {
                v.push(Loc::Master(m));
            }
            for (r, inst) in master.replicas.values().enumerate() {
                if inst.link == link_id {
                    v.push(Loc::Replica(m, r));
                }
            }
            for (s, inst) in master.sentinels.values().enumerate() {
                if inst.link == link_id {
                    v.push(Loc::Sentinel(m, s));
                }
            }
        }
        v
    }

    /// A connection finished connecting to `peer_ip`.
    pub(crate) fn on_link_up(
        &mut self,
        conn_id: InstanceId,
        kind: LinkKind,
        local_ip: String,
        peer_ip: &str,
    ) {
        let Some(&(link_id, k)) = self.links.conns.get(&conn_id) else {
            return;
        };
        if k != kind {
            return;
        }
        let owners = self.owners_of(link_id);
        for &loc in &owners {
            self.inst_mut(loc).addr.set_resolved(peer_ip);
        }
        let Some(link) = self.links.map.get_mut(&link_id) else {
            return;
        };
        let mut ping_now = false;
        match kind {
            LinkKind::Command => {
                if link.cc != Conn::Connecting(conn_id) {
                    return;
                }
                link.cc = Conn::Up(conn_id);
                link.local_ip = Some(local_ip);
                ping_now = std::mem::take(&mut link.ping_on_connect);
            }
            LinkKind::PubSub => {
                if link.pc != Conn::Connecting(conn_id) {
                    return;
                }
                link.pc = Conn::Up(conn_id);
                // The SUBSCRIBE confirmation counts as pub/sub activity in Redis.
                link.pc_last_activity = self.now;
            }
        }
        let Some(&first) = owners.first() else {
            return;
        };
        if ping_now {
            // The PING Redis queued when it initiated the connection.
            self.send_ping(first);
        }
        if kind == LinkKind::Command {
            // Redis queues INFO and hello on the timer tick after initiating the connection;
            // we send them as soon as the connection is really up.
            for loc in owners {
                self.send_periodic_commands(loc);
            }
        }
    }

    /// A connection failed or closed (`instanceLinkConnectionError`). Like Redis, the
    /// pending count is left as is until the next reconnection resets it.
    pub(crate) fn on_link_down(&mut self, conn_id: InstanceId, kind: LinkKind) {
        let Some((link_id, k)) = self.links.conns.remove(&conn_id) else {
            return;
        };
        if k != kind {
            return;
        }
        self.links.pending.retain(|_, p| p.conn != conn_id);
        let Some(link) = self.links.map.get_mut(&link_id) else {
            return;
        };
        match kind {
            LinkKind::Command if link.cc.id() == Some(conn_id) => {
                link.cc = Conn::Closed;
                link.ping_on_connect = false;
            }
            LinkKind::PubSub if link.pc.id() == Some(conn_id) => link.pc = Conn::Closed,
            _ => return,
        }
        link.update_disconnected();
    }

    /// A reply to one of our commands.
    pub(crate) fn on_reply(&mut self, conn_id: InstanceId, tag: u64, reply: Reply) {
        let Some(p) = self.links.pending.remove(&tag) else {
            return;
        };
        if p.conn != conn_id {
            return;
        }
        if let Some(link) = self.links.map.get_mut(&p.link) {
            link.pending_commands -= 1;
        }
        let Some(loc) = self.locate(p.inst) else {
            return;
        };
        if self.inst(loc).link != p.link {
            return;
        }
        match p.kind {
            CmdKind::Ping => self.on_ping_reply(loc, &reply),
            CmdKind::Info => match reply {
                Reply::Bulk(b) => {
                    let text = String::from_utf8_lossy(&b).into_owned();
                    self.refresh_instance_info(loc, &text);
                }
                Reply::Verbatim(s) => self.refresh_instance_info(loc, &s),
                _ => {}
            },
            CmdKind::Publish => {
                if !matches!(reply, Reply::Error(_)) {
                    let now = self.now;
                    self.inst_mut(loc).last_pub_time = now;
                }
            }
            CmdKind::IsMasterDown => self.on_is_master_down_reply(loc, &reply),
            CmdKind::Discard => {}
        }
    }

    /// `sentinelPingReplyCallback`.
    fn on_ping_reply(&mut self, loc: Loc, reply: &Reply) {
        let now = self.now;
        let text: Option<&str> = match reply {
            Reply::Status(s) | Reply::Error(s) => Some(s.as_str()),
            Reply::Ok => Some("OK"),
            _ => None,
        };
        if let Some(text) = text {
            if text.starts_with("PONG")
                || text.starts_with("LOADING")
                || text.starts_with("MASTERDOWN")
            {
                if let Some(link) = self.link_of_mut(loc) {
                    link.last_avail_time = now;
                    link.act_ping_time = 0;
                }
                let inst = self.inst_mut(loc);
                if inst.flags & super::instance::MASTER_REBOOT != 0 && text.starts_with("PONG") {
                    inst.flags &= !super::instance::MASTER_REBOOT;
                }
            } else if text.starts_with("BUSY")
                && self.inst(loc).flags & S_DOWN != 0
                && self.inst(loc).flags & SCRIPT_KILL_SENT == 0
            {
                self.send_cmd(loc, CmdKind::Discard, "SCRIPT", &["KILL"]);
                self.inst_mut(loc).flags |= SCRIPT_KILL_SENT;
            }
        }
        if let Some(link) = self.link_of_mut(loc) {
            link.last_pong_time = now;
        }
    }

    /// A pub/sub message on a master's or replica's pub/sub connection.
    pub(crate) fn on_message(&mut self, conn_id: InstanceId, channel: &[u8], payload: &[u8]) {
        let Some(&(link_id, kind)) = self.links.conns.get(&conn_id) else {
            return;
        };
        if kind != LinkKind::PubSub {
            return;
        }
        let now = self.now;
        if let Some(link) = self.links.map.get_mut(&link_id) {
            link.pc_last_activity = now;
        }
        if channel != super::hello::HELLO_CHANNEL.as_bytes() {
            return;
        }
        let Ok(text) = std::str::from_utf8(payload) else {
            return;
        };
        if text.contains(self.myid.as_str()) {
            return;
        }
        self.process_hello(text);
    }

    /// `dropInstanceConnections`: closes the links of a master and its replicas.
    pub(crate) fn drop_instance_connections(&mut self, m: usize) {
        let mut ids = vec![self.masters[m].inst.link];
        ids.extend(self.masters[m].replicas.values().map(|r| r.link));
        for id in ids {
            self.close_link(id);
        }
    }

    /// `sentinelDropConnections`: closes every link to other sentinels; returns how many.
    pub(crate) fn drop_sentinel_connections(&mut self) -> usize {
        let ids: Vec<LinkId> = self
            .masters
            .values()
            .flat_map(|m| m.sentinels.values().map(|s| s.link))
            .collect();
        let mut dropped = 0;
        for id in ids {
            if self.links.map.get(&id).is_some_and(|l| !l.disconnected) {
                dropped += 1;
            }
            self.close_link(id);
        }
        dropped
    }
}
