//! What a sentinel tracks: masters, their replicas and the other sentinels watching them.
//!
//! The shape follows Redis's `sentinelRedisInstance` closely (one record type for the three
//! kinds, plus master-only state) so that every timer and flag of `sentinel.c` has an obvious
//! home, and the `SENTINEL MASTER/REPLICAS/SENTINELS` replies can be produced field by field.

use std::net::IpAddr;

use indexmap::IndexMap;

use crate::sentinel::proto::InstanceId;

use super::links::LinkId;

/// Subjectively down (this sentinel alone thinks so).
pub const S_DOWN: u32 = 1 << 0;
/// Objectively down (quorum of sentinels agree).
pub const O_DOWN: u32 = 1 << 1;
/// The instance is a master.
pub const MASTER: u32 = 1 << 2;
/// The instance is a replica.
pub const SLAVE: u32 = 1 << 3;
/// The instance is another sentinel.
pub const SENTINEL: u32 = 1 << 4;
/// (Sentinels) it replied that our master is down.
pub const MASTER_DOWN: u32 = 1 << 5;
/// (Masters) a failover is in progress.
pub const FAILOVER_IN_PROGRESS: u32 = 1 << 6;
/// (Replicas) selected for promotion.
pub const PROMOTED: u32 = 1 << 7;
/// (Replicas) SLAVEOF <new master> sent.
pub const RECONF_SENT: u32 = 1 << 8;
/// (Replicas) synchronising with the new master.
pub const RECONF_INPROG: u32 = 1 << 9;
/// (Replicas) synchronised with the new master.
pub const RECONF_DONE: u32 = 1 << 10;
/// (Masters) failover forced by SENTINEL FAILOVER.
pub const FORCE_FAILOVER: u32 = 1 << 11;
/// SCRIPT KILL already sent after a -BUSY reply.
pub const SCRIPT_KILL_SENT: u32 = 1 << 12;
/// (Masters) a reboot was detected (run_id changed).
pub const MASTER_REBOOT: u32 = 1 << 13;

/// The role an instance reports in INFO (`role_reported`), or none yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// No `role:` line seen (sentinel instances, or INFO without a role).
    None,
    /// `role:master`.
    Master,
    /// `role:slave`.
    Slave,
}

impl Role {
    /// The role matching an instance's kind flags (what it should report).
    pub fn of_flags(flags: u32) -> Role {
        if flags & MASTER != 0 {
            Role::Master
        } else if flags & SLAVE != 0 {
            Role::Slave
        } else {
            Role::None
        }
    }
}

/// Failover state machine states, named as in `failover-state`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum FailoverState {
    /// No failover.
    None,
    /// Waiting to be elected leader.
    WaitStart,
    /// Choosing the replica to promote.
    SelectSlave,
    /// Sending SLAVEOF NO ONE to the chosen replica.
    SendSlaveofNoone,
    /// Waiting for the replica to report role:master.
    WaitPromotion,
    /// Pointing the other replicas at the new master.
    ReconfSlaves,
    /// Switching our configuration to the new master.
    UpdateConfig,
}

impl FailoverState {
    /// The name shown by SENTINEL MASTER.
    pub fn as_str(self) -> &'static str {
        match self {
            FailoverState::None => "none",
            FailoverState::WaitStart => "wait_start",
            FailoverState::SelectSlave => "select_slave",
            FailoverState::SendSlaveofNoone => "send_slaveof_noone",
            FailoverState::WaitPromotion => "wait_promotion",
            FailoverState::ReconfSlaves => "reconf_slaves",
            FailoverState::UpdateConfig => "update_config",
        }
    }
}

/// An instance address: the host as configured (IP literal or hostname) and the address used
/// for comparisons (`ip`). Without a resolver in the core, `ip` is the canonical form of an IP
/// literal, or the hostname itself when `resolve-hostnames yes` allowed one; what a hostname
/// resolved to is learnt when a link to it connects (`resolved`), and only reported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SAddr {
    /// As given (config, INFO, hello).
    pub hostname: String,
    /// Canonical IP text (or the hostname when unresolved).
    pub ip: String,
    /// TCP port; 0 marks an invalid address that is never connected.
    pub port: u16,
    /// For a hostname: the IP our last link to it connected to (Redis reports the resolved
    /// IP with `announce-hostnames no`; we resolve at every connection, never in the core).
    pub resolved: Option<String>,
}

/// Why an address or instance could not be created (Redis's errno cases).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CreateError {
    /// EINVAL: port out of range.
    BadPort,
    /// ENOENT: not an IP and hostnames are not allowed.
    Unresolvable,
    /// EBUSY: duplicate name / address / runid.
    Duplicate,
}

impl CreateError {
    /// Redis's `sentinelCheckCreateInstanceErrors` text for an instance of `kind`.
    pub fn message(self, kind: u32) -> &'static str {
        match self {
            CreateError::Duplicate => {
                if kind & MASTER != 0 {
                    "Duplicate master name."
                } else if kind & SLAVE != 0 {
                    "Duplicate hostname and port for replica."
                } else {
                    "Duplicate runid for sentinel."
                }
            }
            CreateError::Unresolvable => "Can't resolve instance hostname.",
            CreateError::BadPort => "Invalid port number.",
        }
    }
}

/// Canonical text of an IP literal, or None when `s` is not one.
pub fn canonical_ip(s: &str) -> Option<String> {
    s.parse::<IpAddr>().ok().map(|ip| ip.to_string())
}

/// Whether `s` looks like a DNS name (what we accept when `resolve-hostnames yes`, since the
/// core cannot resolve; the IO layer resolves when connecting).
pub fn plausible_hostname(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_')
}

/// Builds an address like Redis's `createSentinelAddr`.
pub fn make_addr(host: &str, port: i64, resolve_hostnames: bool) -> Result<SAddr, CreateError> {
    if !(0..=65535).contains(&port) {
        return Err(CreateError::BadPort);
    }
    let ip = match canonical_ip(host) {
        Some(ip) => ip,
        None if resolve_hostnames && plausible_hostname(host) => host.to_string(),
        None => return Err(CreateError::Unresolvable),
    };
    Ok(SAddr {
        hostname: host.to_string(),
        ip,
        port: port as u16,
        resolved: None,
    })
}

impl SAddr {
    /// `sentinelAddrIsEqual`: same port and same IP (case-insensitive).
    pub fn same_ip(&self, other: &SAddr) -> bool {
        self.port == other.port && self.ip.eq_ignore_ascii_case(&other.ip)
    }

    /// `sentinelAddrOrHostnameEqual`: same port and same IP or same hostname.
    pub fn same_ip_or_hostname(&self, other: &SAddr) -> bool {
        self.port == other.port
            && (self.ip == other.ip || self.hostname.eq_ignore_ascii_case(&other.hostname))
    }

    /// `sentinelAddrEqualsHostname`: does `host` (resolved) designate this address's IP?
    /// Without a resolver an unresolved hostname matches our hostname or unresolved ip.
    pub fn equals_host(&self, host: &str, resolve_hostnames: bool) -> bool {
        match canonical_ip(host) {
            Some(ip) => self.ip.eq_ignore_ascii_case(&ip),
            None => {
                resolve_hostnames
                    && plausible_hostname(host)
                    && (self.ip.eq_ignore_ascii_case(host)
                        || self.hostname.eq_ignore_ascii_case(host))
            }
        }
    }

    /// The address as announced to other sentinels and data nodes, written in the config and
    /// used to name replicas: hostname with `announce-hostnames yes`, else the IP (a hostname
    /// stays a hostname: it is what identifies the instance, as its IP may change).
    pub fn announce(&self, announce_hostnames: bool) -> &str {
        if announce_hostnames {
            &self.hostname
        } else {
            &self.ip
        }
    }

    /// The address reported to clients (SENTINEL replies, INFO, events, client-reconfig
    /// script): like [`SAddr::announce`], except that with `announce-hostnames no` a hostname
    /// is reported as the IP it resolved to, once a link connected to it, as Redis does.
    pub fn reported(&self, announce_hostnames: bool) -> &str {
        match &self.resolved {
            Some(ip) if !announce_hostnames => ip,
            _ => self.announce(announce_hostnames),
        }
    }

    /// Records the IP a link to this address connected to (hostnames only).
    pub fn set_resolved(&mut self, ip: &str) {
        if canonical_ip(&self.hostname).is_none() {
            self.resolved = canonical_ip(ip);
        }
    }

    /// `announceSentinelAddrAndPort`: `host:port`, IPv6 bracketed. Also a replica's name.
    pub fn announce_with_port(&self, announce_hostnames: bool) -> String {
        let a = self.announce(announce_hostnames);
        if a.contains(':') {
            format!("[{a}]:{}", self.port)
        } else {
            format!("{a}:{}", self.port)
        }
    }
}

/// State common to masters, replicas and sentinels (Redis's `sentinelRedisInstance`).
#[derive(Clone, Debug)]
pub struct Instance {
    /// Process-unique id (never reused).
    pub id: InstanceId,
    /// Kind and state flags (`MASTER`, `S_DOWN`, ...).
    pub flags: u32,
    /// Master name, replica `ip:port`, or sentinel runid.
    pub name: String,
    /// Run id from INFO (masters/replicas) or hello (sentinels).
    pub runid: Option<String>,
    /// Address.
    pub addr: SAddr,
    /// The link (shared between sentinel records of the same physical sentinel).
    pub link: LinkId,
    /// Last time our hello was accepted by this instance.
    pub last_pub_time: i64,
    /// (Sentinels) last hello received from it.
    pub last_hello_time: i64,
    /// (Sentinels) last valid is-master-down-by-addr reply.
    pub last_master_down_reply_time: i64,
    /// When S_DOWN was set (0 = never).
    pub s_down_since_time: i64,
    /// When O_DOWN was set (0 = never).
    pub o_down_since_time: i64,
    /// down-after-milliseconds (inherited from the master).
    pub down_after_period: i64,
    /// (Masters) master-reboot-down-after-period; 0 disables.
    pub master_reboot_down_after_period: i64,
    /// (Masters) when the reboot was detected.
    pub master_reboot_since_time: i64,
    /// When INFO was last received (0 = never).
    pub info_refresh: i64,
    /// Role reported by INFO.
    pub role_reported: Role,
    /// When `role_reported` last changed.
    pub role_reported_time: i64,
    /// (Replicas) when its master host/port last changed.
    pub slave_conf_change_time: i64,
    /// (Replicas) `master_link_down_since_seconds` in ms (0 when up).
    pub master_link_down_time: i64,
    /// (Replicas) `slave_priority`.
    pub slave_priority: i64,
    /// (Replicas) `replica_announced`.
    pub replica_announced: i64,
    /// (Replicas) when SLAVEOF <new master> was sent during a failover.
    pub slave_reconf_sent_time: i64,
    /// (Replicas) `master_host`.
    pub slave_master_host: Option<String>,
    /// (Replicas) `master_port`.
    pub slave_master_port: i64,
    /// (Replicas) `master_link_status:up`.
    pub slave_master_link_up: bool,
    /// (Replicas) `slave_repl_offset`.
    pub slave_repl_offset: u64,
    /// (Masters) the runid we voted for; (sentinels) the runid it voted for.
    pub leader: Option<String>,
    /// Epoch of `leader`.
    pub leader_epoch: u64,
    /// Cached INFO text (SENTINEL INFO-CACHE).
    pub info: Option<String>,
    /// (Sentinels) when we last sent it is-master-down-by-addr (paces early re-asks).
    pub last_ask_time: i64,
}

impl Instance {
    /// A fresh record, as `createSentinelRedisInstance` initialises it.
    pub fn new(
        id: InstanceId,
        flags: u32,
        name: String,
        addr: SAddr,
        link: LinkId,
        down_after: i64,
        now: i64,
    ) -> Instance {
        Instance {
            id,
            flags,
            name,
            runid: None,
            addr,
            link,
            last_pub_time: now,
            last_hello_time: now,
            last_master_down_reply_time: now,
            s_down_since_time: 0,
            o_down_since_time: 0,
            down_after_period: down_after,
            master_reboot_down_after_period: 0,
            master_reboot_since_time: 0,
            info_refresh: 0,
            role_reported: Role::of_flags(flags),
            role_reported_time: now,
            slave_conf_change_time: now,
            master_link_down_time: 0,
            slave_priority: 100,
            replica_announced: 1,
            slave_reconf_sent_time: 0,
            slave_master_host: None,
            slave_master_port: 0,
            slave_master_link_up: false,
            slave_repl_offset: 0,
            leader: None,
            leader_epoch: 0,
            info: None,
            last_ask_time: 0,
        }
    }

    /// `sentinelRedisInstanceTypeStr`.
    pub fn type_str(&self) -> &'static str {
        if self.flags & MASTER != 0 {
            "master"
        } else if self.flags & SLAVE != 0 {
            "slave"
        } else if self.flags & SENTINEL != 0 {
            "sentinel"
        } else {
            "unknown"
        }
    }

    /// `sentinelRedisInstanceNoDownFor`: no S/ODOWN in the last `ms` milliseconds.
    pub fn no_down_for(&self, ms: i64, now: i64) -> bool {
        let most_recent = self.s_down_since_time.max(self.o_down_since_time);
        most_recent == 0 || now - most_recent > ms
    }
}

/// A monitored master with its replicas, the sentinels watching it, and failover state.
#[derive(Clone, Debug)]
pub struct Master {
    /// The master's own record.
    pub inst: Instance,
    /// Replicas by name (`ip:port`), in discovery order.
    pub replicas: IndexMap<String, Instance>,
    /// Other sentinels by runid, in discovery order.
    pub sentinels: IndexMap<String, Instance>,
    /// Sentinels needed to agree on ODOWN.
    pub quorum: u32,
    /// Replicas reconfigured at once after a failover.
    pub parallel_syncs: i64,
    /// Password for the master and its replicas.
    pub auth_pass: Option<String>,
    /// ACL user for the master and its replicas.
    pub auth_user: Option<String>,
    /// rename-command map (original → new), case-insensitive on the original.
    pub renamed: Vec<(String, String)>,
    /// Configuration epoch of this master's current address.
    pub config_epoch: u64,
    /// Epoch of the failover in progress.
    pub failover_epoch: u64,
    /// Failover state machine state.
    pub failover_state: FailoverState,
    /// When `failover_state` last changed.
    pub failover_state_change_time: i64,
    /// Last failover attempt (or vote for another sentinel), plus jitter; 0 = never.
    pub failover_start_time: i64,
    /// failover-timeout.
    pub failover_timeout: i64,
    /// When the current failover attempt began (INFO from replicas newer than this is fresh).
    pub failover_info_since: i64,
    /// `failover_start_time` value for which "Next failover delay" was logged.
    pub failover_delay_logged: i64,
    /// Name (key in `replicas`) of the replica being promoted.
    pub promoted: Option<String>,
    /// notification-script path.
    pub notification_script: Option<String>,
    /// client-reconfig-script path.
    pub client_reconfig_script: Option<String>,
}

impl Master {
    /// A new master with default options.
    pub fn new(inst: Instance, quorum: u32, failover_timeout: i64) -> Master {
        Master {
            inst,
            replicas: IndexMap::new(),
            sentinels: IndexMap::new(),
            quorum,
            parallel_syncs: 1,
            auth_pass: None,
            auth_user: None,
            renamed: Vec::new(),
            config_epoch: 0,
            failover_epoch: 0,
            failover_state: FailoverState::None,
            failover_state_change_time: 0,
            failover_start_time: 0,
            failover_timeout,
            failover_info_since: 0,
            failover_delay_logged: 0,
            promoted: None,
            notification_script: None,
            client_reconfig_script: None,
        }
    }

    /// `sentinelGetCurrentMasterAddress`: the promoted replica's address once the failover
    /// reached reconf_slaves, else ours.
    pub fn current_addr(&self) -> &SAddr {
        if self.inst.flags & FAILOVER_IN_PROGRESS != 0
            && self.failover_state >= FailoverState::ReconfSlaves
            && let Some(p) = self.promoted.as_ref().and_then(|k| self.replicas.get(k))
        {
            return &p.addr;
        }
        &self.inst.addr
    }

    /// The renamed form of `cmd` (`sentinelInstanceMapCommand`).
    pub fn map_command(&self, cmd: &str) -> String {
        self.renamed
            .iter()
            .find(|(from, _)| from.eq_ignore_ascii_case(cmd))
            .map(|(_, to)| to.clone())
            .unwrap_or_else(|| cmd.to_string())
    }

    /// The replica being promoted, if any.
    pub fn promoted_replica(&self) -> Option<&Instance> {
        self.promoted.as_ref().and_then(|k| self.replicas.get(k))
    }

    /// `sentinelMasterLooksSane`.
    pub fn looks_sane(&self, now: i64, info_period: i64) -> bool {
        self.inst.flags & MASTER != 0
            && self.inst.role_reported == Role::Master
            && self.inst.flags & (S_DOWN | O_DOWN) == 0
            && now - self.inst.info_refresh < info_period.saturating_mul(2)
    }
}

/// Where an instance lives: master index, and replica/sentinel index within it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Loc {
    /// `masters[m]`.
    Master(usize),
    /// `masters[m].replicas[r]`.
    Replica(usize, usize),
    /// `masters[m].sentinels[s]`.
    Sentinel(usize, usize),
}

impl Loc {
    /// Index of the owning master.
    pub fn master(self) -> usize {
        match self {
            Loc::Master(m) | Loc::Replica(m, _) | Loc::Sentinel(m, _) => m,
        }
    }
}

/// Creating, finding, resetting and removing records.
impl super::SentinelCore {
    /// `createSentinelRedisInstance` for a master. Returns its index.
    pub(crate) fn create_master(
        &mut self,
        name: &str,
        host: &str,
        port: i64,
        quorum: u32,
    ) -> Result<usize, CreateError> {
        let addr = make_addr(host, port, self.resolve_hostnames)?;
        if self.masters.contains_key(name) {
            return Err(CreateError::Duplicate);
        }
        let id = self.alloc_id();
        let link = self.new_link(true);
        let inst = Instance::new(
            id,
            MASTER,
            name.to_string(),
            addr,
            link,
            self.tun.default_down_after,
            self.now,
        );
        let master = Master::new(inst, quorum, self.tun.default_failover_timeout);
        let (idx, _) = self.masters.insert_full(name.to_string(), master);
        Ok(idx)
    }

    /// `createSentinelRedisInstance` for a replica of master `m`. Returns its index.
    pub(crate) fn create_replica(
        &mut self,
        m: usize,
        host: &str,
        port: i64,
    ) -> Result<usize, CreateError> {
        let addr = make_addr(host, port, self.resolve_hostnames)?;
        let name = addr.announce_with_port(self.announce_hostnames);
        if self.masters[m].replicas.contains_key(&name) {
            return Err(CreateError::Duplicate);
        }
        let id = self.alloc_id();
        let link = self.new_link(true);
        let down_after = self.masters[m].inst.down_after_period;
        let inst = Instance::new(id, SLAVE, name.clone(), addr, link, down_after, self.now);
        let (idx, _) = self.masters[m].replicas.insert_full(name, inst);
        Ok(idx)
    }

    /// `createSentinelRedisInstance` for another sentinel (named by its runid) of master `m`,
    /// with its runid set. Returns its index.
    pub(crate) fn create_sentinel(
        &mut self,
        m: usize,
        runid: &str,
        host: &str,
        port: i64,
    ) -> Result<usize, CreateError> {
        let addr = make_addr(host, port, self.resolve_hostnames)?;
        if self.masters[m].sentinels.contains_key(runid) {
            return Err(CreateError::Duplicate);
        }
        let id = self.alloc_id();
        let link = self.new_link(false);
        let down_after = self.masters[m].inst.down_after_period;
        let mut inst = Instance::new(
            id,
            SENTINEL,
            runid.to_string(),
            addr,
            link,
            down_after,
            self.now,
        );
        inst.runid = Some(runid.to_string());
        let (idx, _) = self.masters[m]
            .sentinels
            .insert_full(runid.to_string(), inst);
        Ok(idx)
    }

    /// `sentinelRedisInstanceLookupSlave`: the replica of `m` at host:port.
    pub(crate) fn lookup_replica(&self, m: usize, host: &str, port: i64) -> Option<usize> {
        let addr = make_addr(host, port, self.resolve_hostnames).ok()?;
        let key = addr.announce_with_port(self.announce_hostnames);
        self.masters[m].replicas.get_index_of(&key)
    }

    /// `getSentinelRedisInstanceByAddrAndRunID` over the sentinels of master `m`.
    pub(crate) fn find_sentinel(
        &self,
        m: usize,
        addr: Option<(&str, i64)>,
        runid: Option<&str>,
    ) -> Option<usize> {
        let want = match addr {
            Some((host, port)) => Some(make_addr(host, port, self.resolve_hostnames).ok()?),
            None => None,
        };
        self.masters[m].sentinels.values().position(|ri| {
            if runid.is_some() && ri.runid.is_none() {
                return false;
            }
            runid.is_none_or(|r| ri.runid.as_deref() == Some(r))
                && want.as_ref().is_none_or(|a| ri.addr.same_ip_or_hostname(a))
        })
    }

    /// Masters lookup by address (IS-MASTER-DOWN-BY-ADDR).
    pub(crate) fn find_master_by_addr(&self, host: &str, port: i64) -> Option<usize> {
        let want = make_addr(host, port, self.resolve_hostnames).ok()?;
        self.masters
            .values()
            .position(|m| m.inst.addr.same_ip_or_hostname(&want))
    }

    /// `removeMatchingSentinelFromMaster`: drops the sentinels of `m` with this runid.
    pub(crate) fn remove_sentinels_with_runid(&mut self, m: usize, runid: &str) -> usize {
        let doomed: Vec<String> = self.masters[m]
            .sentinels
            .iter()
            .filter(|(_, s)| s.runid.as_deref() == Some(runid))
            .map(|(k, _)| k.clone())
            .collect();
        for key in &doomed {
            if let Some(s) = self.masters[m].sentinels.shift_remove(key) {
                self.release_link(s.link);
            }
        }
        doomed.len()
    }

    /// Removes a master with all its records (SENTINEL REMOVE).
    pub(crate) fn remove_master(&mut self, m: usize) {
        let Some((_, master)) = self.masters.shift_remove_index(m) else {
            return;
        };
        for r in master.replicas.values() {
            self.release_link(r.link);
        }
        for s in master.sentinels.values() {
            self.release_link(s.link);
        }
        self.release_link(master.inst.link);
    }

    /// `sentinelPropagateDownAfterPeriod`.
    pub(crate) fn propagate_down_after(&mut self, m: usize) {
        let master = &mut self.masters[m];
        let d = master.inst.down_after_period;
        for r in master.replicas.values_mut() {
            r.down_after_period = d;
        }
        for s in master.sentinels.values_mut() {
            s.down_after_period = d;
        }
    }

    /// `sentinelResetMaster`: drops replicas (and sentinels unless `keep_sentinels`), runtime
    /// flags and failover state, and reconnects the master.
    pub(crate) fn reset_master(&mut self, m: usize, generate_event: bool, keep_sentinels: bool) {
        let replicas = std::mem::take(&mut self.masters[m].replicas);
        for r in replicas.values() {
            self.release_link(r.link);
        }
        if !keep_sentinels {
            let sentinels = std::mem::take(&mut self.masters[m].sentinels);
            for s in sentinels.values() {
                self.release_link(s.link);
            }
        }
        let link_id = self.masters[m].inst.link;
        self.close_link(link_id);
        let now = self.now;
        let master = &mut self.masters[m];
        master.inst.flags &= MASTER;
        master.inst.leader = None;
        master.failover_state = FailoverState::None;
        master.failover_state_change_time = 0;
        master.failover_start_time = 0;
        master.promoted = None;
        master.inst.runid = None;
        master.inst.slave_master_host = None;
        master.inst.role_reported_time = now;
        master.inst.role_reported = Role::Master;
        if let Some(link) = self.links.map.get_mut(&link_id) {
            link.act_ping_time = now;
            link.last_ping_time = 0;
            link.last_avail_time = now;
            link.last_pong_time = now;
            // Deviation: Redis keeps the reconnect pacing of the old connection, so the
            // (possibly new) master may only be reconnected up to a ping period later and,
            // with down-after-milliseconds close to the ping period, be found SDOWN before
            // its first PONG. Reconnect at once instead.
            link.last_reconn_time = 0;
        }
        // Deviation: the other sentinels' "master is down" answers were about the address
        // we had before the reset; Redis keeps them for up to 5 ask periods, which can turn
        // a transient SDOWN of a just-promoted master into ODOWN and a needless second
        // failover. Forget them (votes stay: they are per epoch, not per address).
        for s in self.masters[m].sentinels.values_mut() {
            s.flags &= !MASTER_DOWN;
        }
        if generate_event {
            self.event_at(
                crate::sentinel::proto::Level::Warning,
                "+reset-master",
                Loc::Master(m),
                "",
            );
        }
    }

    /// `sentinelResetMasterAndChangeAddress` (+switch-master): the master moves to host:port,
    /// keeping its sentinels; replicas are re-created (minus the new master, plus the old one).
    pub(crate) fn reset_master_and_change_address(
        &mut self,
        m: usize,
        host: &str,
        port: i64,
    ) -> bool {
        let Ok(mut newaddr) = make_addr(host, port, self.resolve_hostnames) else {
            return false;
        };
        let master = &self.masters[m];
        // What the promoted replica's hostname resolved to stays reported until the new
        // master link connects.
        newaddr.resolved = master
            .replicas
            .values()
            .find(|r| r.addr.same_ip(&newaddr))
            .and_then(|r| r.addr.resolved.clone());
        let mut keep: Vec<(String, u16)> = master
            .replicas
            .values()
            .filter(|r| !r.addr.same_ip(&newaddr))
            .map(|r| (r.addr.hostname.clone(), r.addr.port))
            .collect();
        if !newaddr.same_ip(&master.inst.addr) {
            keep.push((master.inst.addr.hostname.clone(), master.inst.addr.port));
        }
        self.reset_master(m, false, true);
        let master = &mut self.masters[m];
        master.inst.addr = newaddr;
        master.inst.o_down_since_time = 0;
        master.inst.s_down_since_time = 0;
        for (host, port) in keep {
            if let Ok(r) = self.create_replica(m, &host, i64::from(port)) {
                self.event_at(
                    crate::sentinel::proto::Level::Notice,
                    "+slave",
                    Loc::Replica(m, r),
                    "",
                );
            }
        }
        self.flush_config();
        true
    }

    /// `sentinelTryConnectionSharing`: reuse the link of the same physical sentinel (same
    /// runid) known under another master.
    pub(crate) fn try_connection_sharing(&mut self, m: usize, s: usize) -> bool {
        let ri = &self.masters[m].sentinels[s];
        let Some(runid) = ri.runid.clone() else {
            return false;
        };
        let own = ri.link;
        if self.links.map.get(&own).is_some_and(|l| l.refcount > 1) {
            return false;
        }
        for (om, master) in self.masters.values().enumerate() {
            if om == m {
                continue;
            }
            let Some(other) = master
                .sentinels
                .values()
                .find(|x| x.runid.as_deref() == Some(runid.as_str()))
            else {
                continue;
            };
            let shared = other.link;
            if shared == own {
                continue;
            }
            self.release_link(own);
            self.masters[m].sentinels[s].link = shared;
            if let Some(l) = self.links.map.get_mut(&shared) {
                l.refcount += 1;
            }
            return true;
        }
        false
    }

    /// `sentinelUpdateSentinelAddressInAllMasters`: after an address switch, copy the new
    /// address to the same sentinel under every master and drop the old connections.
    pub(crate) fn update_sentinel_address_in_all_masters(&mut self, m: usize, s: usize) -> usize {
        let ri = &self.masters[m].sentinels[s];
        let Some(runid) = ri.runid.clone() else {
            return 0;
        };
        let (addr, id) = (ri.addr.clone(), ri.id);
        let mut reconfigured = 0;
        for om in 0..self.masters.len() {
            let Some(os) = self.masters[om]
                .sentinels
                .values()
                .position(|x| x.runid.as_deref() == Some(runid.as_str()))
            else {
                continue;
            };
            let link = self.masters[om].sentinels[os].link;
            self.close_link(link);
            if self.masters[om].sentinels[os].id == id {
                continue;
            }
            self.masters[om].sentinels[os].addr = addr.clone();
            reconfigured += 1;
        }
        if reconfigured > 0 {
            self.event_at(
                crate::sentinel::proto::Level::Notice,
                "+sentinel-address-update",
                Loc::Sentinel(m, s),
                &format!(" {reconfigured} additional matching instances"),
            );
        }
        reconfigured
    }
}
