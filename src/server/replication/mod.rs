//! Redis 7.0 replication: propagation of writes, the backlog, the master side of replica links,
//! the replica side (handshake, full and partial resynchronisation, applying the stream), PSYNC2
//! history, WAIT, FAILOVER and the INFO/ROLE views of all of it.
//!
//! Everything lives on the server's single thread. Replica links (both directions) are tokio
//! tasks that borrow the server only between await points, like client connections do.

pub mod backlog;
pub mod failover_cmd;
pub mod full_sync;
pub mod gate;
pub mod handshake;
pub mod info;
pub mod master;
pub mod payload;
pub mod propagate;
pub mod replica;
pub mod settings;

use std::rc::Rc;

use indexmap::IndexMap;

use super::client::ClientId;
use super::persistence::rdb::ReplInfo;
use super::persistence::rdb::decode::LoadReport;
use super::state::Server;
use backlog::Backlog;
pub use settings::ReplSettings;

/// The replication state of the node, both as a master and as a replica.
pub struct Replication {
    /// Typed copy of the replication directives.
    pub cfg: ReplSettings,
    /// `master_repl_offset`: the offset of the last byte of our replication stream.
    pub offset: i64,
    /// `second_repl_offset`: up to which offset `replid2` is valid (-1 = none).
    pub second_offset: i64,
    /// The backlog (created when the first replica attaches or when we become a replica).
    pub backlog: Option<Backlog>,
    /// Database the replication stream has selected last (-1 = a SELECT must be emitted).
    pub seldb: i64,
    /// Unix seconds since when no replica is connected (backlog time to live).
    pub no_replicas_since: i64,
    /// Writes of the current execution unit not yet fed to the targets.
    pub pending: Vec<propagate::Op>,
    /// Propagation state of each nested `call`.
    pub frames: Vec<propagate::Frame>,
    /// Scratch buffer the stream is encoded into.
    pub scratch: Vec<u8>,
    /// Replicas attached to us, by client id, in attach order.
    pub replicas: IndexMap<ClientId, master::ReplicaLink>,
    /// REPLCONF data of connections that did not PSYNC yet.
    pub replconf: std::collections::HashMap<ClientId, master::ReplicaInfo>,
    /// The disk save started for replicas, while it runs.
    pub disk_sync: Option<payload::DiskSave>,
    /// Replicas online with a lag within `min-replicas-max-lag`.
    pub good_replicas: usize,
    /// Wakes replica writer tasks when the stream grows or a snapshot is ready.
    pub notify: Rc<tokio::sync::Notify>,
    /// Our link to a master, when we are a replica.
    pub master: Option<replica::MasterLink>,
    /// What a future PSYNC may continue from (the last master link, or our own history).
    pub cached: Option<replica::Cached>,
    /// True while commands received from our master are executed.
    pub executing_master: bool,
    /// Coordinated failover (FAILOVER command) state.
    pub failover: failover_cmd::Failover,
    /// Full resynchronisations served (INFO `sync_full`).
    pub sync_full: u64,
    /// Partial resynchronisations accepted (INFO `sync_partial_ok`).
    pub sync_partial_ok: u64,
    /// Partial resynchronisations refused (INFO `sync_partial_err`).
    pub sync_partial_err: u64,
    /// Unix ms of the last once-per-second replication housekeeping.
    pub last_cron_ms: i64,
    /// Seconds counted by the housekeeping (PING period).
    pub cron_seconds: u64,
    /// Bytes of replication stream received from our master (INFO total_net_repl_input_bytes).
    pub net_input_bytes: u64,
    /// Bytes of replication stream sent to replicas (INFO total_net_repl_output_bytes).
    pub net_output_bytes: u64,
}

impl Replication {
    /// Fresh state: a master without history.
    pub fn new(cfg: ReplSettings, now_ms: i64) -> Replication {
        Replication {
            cfg,
            offset: 0,
            second_offset: -1,
            backlog: None,
            seldb: -1,
            no_replicas_since: now_ms / 1000,
            pending: Vec::new(),
            frames: Vec::new(),
            scratch: Vec::new(),
            replicas: IndexMap::new(),
            replconf: Default::default(),
            disk_sync: None,
            good_replicas: 0,
            notify: Rc::new(tokio::sync::Notify::new()),
            master: None,
            cached: None,
            executing_master: false,
            failover: Default::default(),
            sync_full: 0,
            sync_partial_ok: 0,
            sync_partial_err: 0,
            last_cron_ms: now_ms,
            cron_seconds: 0,
            net_input_bytes: 0,
            net_output_bytes: 0,
        }
    }

    /// Whether we replicate from a master (`role:slave`).
    pub fn is_replica(&self) -> bool {
        self.master.is_some()
    }

    /// Whether the link to our master is up (`master_link_status:up`).
    pub fn link_up(&self) -> bool {
        self.master
            .as_ref()
            .is_some_and(|m| m.state == replica::LinkState::Connected)
    }

    /// CONFIG RESETSTAT: the replication counters INFO reports start over.
    pub fn reset_stats(&mut self) {
        self.sync_full = 0;
        self.sync_partial_ok = 0;
        self.sync_partial_err = 0;
        self.net_input_bytes = 0;
        self.net_output_bytes = 0;
    }

    /// Memory held by the backlog and replicas' pending output, which eviction does not count.
    pub fn buffer_memory(&self) -> usize {
        self.backlog.as_ref().map_or(0, |b| b.memory())
    }
}

/// How a key whose TTL passed is treated right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpirePolicy {
    /// Delete it and propagate a DEL (masters).
    Delete,
    /// Report it missing but keep it: a replica waits for its master's DEL; a paused master must
    /// not grow its replication stream.
    Hide,
    /// Treat it as alive: commands from our master see the dataset exactly as the master did.
    Keep,
}

impl Server {
    /// What lookups do with logically expired keys in the current context.
    pub fn expire_policy(&self) -> ExpirePolicy {
        if self.repl.is_replica() {
            if self.repl.executing_master {
                ExpirePolicy::Keep
            } else {
                ExpirePolicy::Hide
            }
        } else if self.pause.until_ms > self.now_ms || self.writes_paused_until_done() {
            ExpirePolicy::Hide
        } else {
            ExpirePolicy::Delete
        }
    }

    /// Called when a client goes away: forget it as a replica.
    pub fn replication_client_gone(&mut self, id: ClientId) {
        master::replica_gone(self, id);
    }

    /// Re-reads the replication directives after CONFIG SET.
    pub fn replication_config_changed(&mut self) {
        self.repl.cfg = ReplSettings::from_config(&self.config);
        let size = self.repl.cfg.backlog_size;
        if let Some(b) = self.repl.backlog.as_mut() {
            b.set_limit(size);
        }
        master::trim_backlog(self);
    }
}

/// The replication state to record in an RDB file being saved now (Redis's
/// `rdbPopulateSaveInfo`): a master that has a backlog, or a replica that has (or had) a link
/// to its master, records its id, offset and the stream's selected database.
pub fn save_info(srv: &Server) -> Option<ReplInfo> {
    let r = &srv.repl;
    let stream_db = if !r.is_replica() {
        r.backlog.as_ref()?;
        // Nothing was written since a full sync: the next write selects its database anyway.
        usize::try_from(r.seldb).unwrap_or(0)
    } else if let Some(m) = r.master.as_ref().filter(|m| m.client.is_some()) {
        m.stream_db
    } else {
        r.cached.as_ref()?.db
    };
    Some(ReplInfo {
        stream_db,
        replid: srv.replid.clone(),
        offset: r.offset,
    })
}

/// Continues the replication history recorded in the RDB file loaded at start-up (Redis's
/// `loadDataFromDisk`). A replica takes the id and offset as those of a cached master, so its
/// first PSYNC asks to continue; a master keeps its new id and offers the recorded history as
/// `replid2`, so its former replicas continue too, after the DELs of the keys that expired
/// while it was down (which it puts in the backlog as Redis does).
pub fn restore_from_rdb(srv: &mut Server, report: &LoadReport) {
    let Some(info) = ReplInfo::from_aux(&report.aux) else {
        return;
    };
    if srv.repl.is_replica() {
        srv.replid = info.replid.clone();
        srv.repl.offset = info.offset;
        srv.repl.cached = Some(replica::Cached {
            replid: info.replid,
            offset: info.offset,
            db: info.stream_db,
        });
        return;
    }
    srv.replid2 = info.replid;
    srv.repl.second_offset = info.offset + 1;
    srv.repl.offset = info.offset;
    let size = srv.repl.cfg.backlog_size;
    srv.repl.backlog = Some(Backlog::new(info.offset, size));
    srv.repl.seldb = -1;
    srv.repl.no_replicas_since = srv.now_ms / 1000;
    // As Redis does, they go to the replication stream only.
    let del = if srv.repl.cfg.lazy_expire {
        propagate::arg("UNLINK")
    } else {
        propagate::arg("DEL")
    };
    for (db, key) in &report.expired_keys {
        let argv = [del.clone(), bytes::Bytes::copy_from_slice(key)];
        propagate::feed(srv, *db as i64, &argv, propagate::REPL);
    }
}

/// Periodic replication work, called from the server cron (every tick).
pub fn cron(srv: &mut Server) {
    failover_cmd::update_status(srv);
    master::start_pending_syncs(srv);
    if srv.now_ms - srv.repl.last_cron_ms >= 1000 {
        srv.repl.last_cron_ms = srv.now_ms;
        srv.repl.cron_seconds += 1;
        master::cron_second(srv);
        replica::cron_second(srv);
    }
}
