//! The server's shared state and the per-command context commands run in.

use std::collections::{HashMap, VecDeque};
use std::rc::Rc;

use bytes::Bytes;

use super::client::{Client, ClientId, ClientRegistry, ClientShared};
use super::command::CommandTable;
use super::db::Db;
use super::notify;
use super::pubsub::PubSub;
use super::stats::{SlowLog, Stats};
use super::value::{Entry, NO_EXPIRE, Value, WRONGTYPE};
use crate::config::ServerConfig;
use crate::resp::Reply;

/// Current Unix time in milliseconds.
pub fn unix_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Current Unix time in microseconds.
pub fn unix_us() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}

/// CLIENT PAUSE state.
#[derive(Debug, Clone, Copy, Default)]
pub struct Pause {
    /// Unix ms until which clients are paused (0 = not paused).
    pub until_ms: i64,
    /// Only write commands are paused (CLIENT PAUSE ... WRITE).
    pub write_only: bool,
}

/// Keys that blocked clients wait on, in arrival order per key.
#[derive(Debug, Default)]
pub struct Blocking {
    /// (db, key) → waiting clients, oldest first (fair wake-up order).
    pub waiters: HashMap<(usize, Bytes), VecDeque<ClientId>>,
    /// Keys touched since the last time blocked clients were served.
    pub ready: Vec<(usize, Bytes)>,
}

/// One client WATCHing one key.
#[derive(Debug)]
pub struct Watcher {
    /// The watching client.
    pub client: Rc<ClientShared>,
    /// The key was present but already expired at WATCH time: its removal is no logical change
    /// and must not fail EXEC (Redis's `watchedKey.expired`).
    pub stale: bool,
}

/// Everything the data node knows. Lives on one thread; commands get `&mut` access to it.
pub struct Server {
    /// Current configuration.
    pub config: ServerConfig,
    /// The numbered databases.
    pub dbs: Vec<Db>,
    /// Connected clients.
    pub clients: ClientRegistry,
    /// The command table.
    pub commands: CommandTable,
    /// Counters.
    pub stats: Stats,
    /// The slow log.
    pub slowlog: SlowLog,
    /// Pub/sub subscriptions.
    pub pubsub: PubSub,
    /// Blocked clients by key.
    pub blocking: Blocking,
    /// WATCHed keys → clients to mark dirty when the key changes.
    pub watched: HashMap<(usize, Bytes), Vec<Watcher>>,
    /// Clients in MONITOR mode.
    pub monitors: Vec<Rc<ClientShared>>,
    /// ACL users and log.
    pub acl: super::acl::Acl,
    /// 40-hex-character id, new on every start.
    pub run_id: String,
    /// Start time, Unix ms.
    pub start_ms: i64,
    /// Time of the command being executed, Unix ms (Redis caches it per command too).
    pub now_ms: i64,
    /// Changes since the last save.
    pub dirty: u64,
    /// CLIENT PAUSE state.
    pub pause: Pause,
    /// SHUTDOWN or a signal in progress; `exit` once the process must stop.
    pub shutdown: super::shutdown::ShutdownState,
    /// DEBUG SET-ACTIVE-EXPIRE.
    pub active_expire_enabled: bool,
    /// The addresses we listen on, for INFO and logs.
    pub listening: Vec<String>,
    /// Peak of used memory (INFO memory).
    pub peak_memory: usize,
    /// Bytes allocated at start, for used_memory_startup.
    pub startup_memory: usize,
    /// The config file path, absolute (INFO server `config_file`).
    pub config_file: String,
    /// Resolved executable path (INFO server `executable`).
    pub executable: String,
    /// Random generator for sampling (eviction, RANDOMKEY, SPOP...).
    pub rng: rand::rngs::SmallRng,
    /// LRU clock resolution handling and eviction pool.
    pub evict: super::evict::EvictionState,
    /// Next index in each database where the active expire cycle resumes.
    pub expire_cursor: usize,
    /// Unix ms of the last successful save.
    pub lastsave: i64,
    /// Accept loops of the current listeners (replaced when port/bind change at runtime).
    pub accept_tasks: Vec<tokio::task::AbortHandle>,
    /// The bound listeners; CONFIG SET bind keeps those whose address stays.
    pub listeners: Vec<std::rc::Rc<tokio::net::TcpListener>>,
    /// The shared handle this state lives in, for tasks started by commands.
    pub self_ref: std::rc::Weak<std::cell::RefCell<Server>>,
    /// Latency spikes by event (LATENCY command).
    pub latency: super::latency::LatencyMonitor,
    /// Replication id (INFO `master_replid`); DEBUG CHANGE-REPL-ID renews it.
    pub replid: String,
    /// Previous replication id (all zeros when there is none).
    pub replid2: String,
    /// The sentinel's state when running as `vigil sentinel` (core, links, scripts).
    pub sentinel: Option<Box<crate::sentinel::runtime::SentinelState>>,
    /// Replication: backlog, replicas, our master, propagation queue.
    pub repl: super::replication::Replication,
    /// RDB persistence: background save, last save status, loading progress.
    pub rdb: super::persistence::state::RdbState,
}

/// A random 40-hex-digit id (run id, replication id).
pub fn random_hex40(rng: &mut rand::rngs::SmallRng) -> String {
    use rand::RngExt;
    (0..40)
        .map(|_| char::from_digit(rng.random_range(0..16u32), 16).unwrap_or('0'))
        .collect()
}

/// What a command runs with: the server and the calling client.
pub struct Ctx<'a> {
    /// Server state.
    pub srv: &'a mut Server,
    /// The client issuing the command.
    pub client: &'a mut Client,
}

/// Result of looking a key up with an expected type.
pub type TypedResult<T> = Result<T, Reply>;

impl Server {
    /// Creates the server state from a configuration.
    pub fn new(config: ServerConfig) -> Result<Server, String> {
        use rand::SeedableRng;
        let commands = CommandTable::new(&config.rename_commands)?;
        let mut rng = rand::rngs::SmallRng::from_rng(&mut rand::rng());
        let run_id = random_hex40(&mut rng);
        let replid = random_hex40(&mut rng);
        let acl = super::acl::Acl::from_config(&config)?;
        let mut pubsub = PubSub::default();
        pubsub.obuf_limit = config.obuf_limit(crate::config::ClientClass::Pubsub);
        let now = unix_ms();
        let repl_cfg = super::replication::ReplSettings::from_config(&config);
        let mut server = Server {
            dbs: (0..config.databases.max(1))
                .map(|_| Db::default())
                .collect(),
            config,
            clients: ClientRegistry::default(),
            commands,
            stats: Stats::default(),
            slowlog: SlowLog::default(),
            pubsub,
            blocking: Blocking::default(),
            watched: HashMap::new(),
            monitors: Vec::new(),
            acl,
            run_id,
            start_ms: now,
            now_ms: now,
            dirty: 0,
            pause: Pause::default(),
            shutdown: Default::default(),
            active_expire_enabled: true,
            listening: Vec::new(),
            peak_memory: 0,
            startup_memory: crate::alloc::allocated(),
            config_file: String::new(),
            executable: String::new(),
            rng,
            evict: Default::default(),
            expire_cursor: 0,
            lastsave: now / 1000,
            accept_tasks: Vec::new(),
            listeners: Vec::new(),
            self_ref: std::rc::Weak::new(),
            latency: Default::default(),
            replid,
            replid2: "0".repeat(40),
            sentinel: None,
            repl: super::replication::Replication::new(repl_cfg, now),
            rdb: Default::default(),
        };
        super::replication::replica::link_from_config(&mut server);
        Ok(server)
    }

    /// Writes held back by the server itself until an operation ends (a coordinated FAILOVER,
    /// a SHUTDOWN waiting for its replicas), unlike CLIENT PAUSE which has a deadline.
    pub fn writes_paused_until_done(&self) -> bool {
        self.repl.failover.pauses_writes() || self.shutdown.pauses_writes()
    }

    /// Wakes every client so that one held by a pause that just ended runs its command.
    pub fn wake_held_clients(&self) {
        for entry in self.clients.by_id.values() {
            let _ = entry
                .shared
                .tx
                .send(super::client::Outbound::Send(Reply::None));
        }
    }

    /// Publishes a keyspace notification if the configured classes include `class`.
    pub fn notify(&mut self, class: u32, event: &str, key: &[u8], db: usize) {
        let flags = self.config.notify_keyspace_events;
        if flags & class == 0 {
            return;
        }
        if flags & notify::KEYSPACE != 0 {
            let mut chan = format!("__keyspace@{db}__:").into_bytes();
            chan.extend_from_slice(key);
            self.pubsub.publish(
                &Bytes::from(chan),
                &Bytes::copy_from_slice(event.as_bytes()),
            );
        }
        if flags & notify::KEYEVENT != 0 {
            let chan = Bytes::from(format!("__keyevent@{db}__:{event}"));
            self.pubsub.publish(&chan, &Bytes::copy_from_slice(key));
        }
    }

    /// Marks a key as changed: WATCHers fail their EXEC and blocked clients get a chance to run.
    pub fn signal_modified(&mut self, db: usize, key: &[u8]) {
        if !self.watched.is_empty()
            && let Some(list) = self.watched.get_mut(&(db, Bytes::copy_from_slice(key)))
        {
            let present = self.dbs[db].entries.contains_key(key);
            for w in list {
                if w.stale && !present {
                    // The stale key is gone now: logically nothing changed.
                    w.stale = false;
                    continue;
                }
                w.stale = false;
                w.client.dirty_cas.set(true);
            }
        }
        if !self.blocking.waiters.is_empty() {
            let k = (db, Bytes::copy_from_slice(key));
            if self.blocking.waiters.contains_key(&k) && !self.blocking.ready.contains(&k) {
                self.blocking.ready.push(k);
            }
        }
    }

    /// Touches the WATCHed keys of a database that exist (FLUSHDB/FLUSHALL); `None` = all.
    /// Call it before the databases are emptied.
    pub fn signal_flushed(&mut self, db: Option<usize>) {
        for i in 0..self.dbs.len() {
            if db.is_none_or(|d| d == i) {
                self.touch_watched_in_db(i, None);
            }
        }
    }

    /// Touches the WATCHed keys of two databases about to be swapped (SWAPDB).
    pub fn signal_swapped(&mut self, x: usize, y: usize) {
        self.touch_watched_in_db(x, Some(y));
        self.touch_watched_in_db(y, Some(x));
    }

    /// Redis's `touchAllWatchedKeysInDb`: database `emptied` loses its keys and, for SWAPDB, gets
    /// those of `replaced_with`. Keys that are expired on both sides are no logical change.
    fn touch_watched_in_db(&mut self, emptied: usize, replaced_with: Option<usize>) {
        let now = self.now_ms;
        let dbs = &self.dbs;
        for ((wdb, key), list) in self.watched.iter_mut() {
            if *wdb != emptied {
                continue;
            }
            let in_emptied = dbs[emptied].entries.contains_key(&key[..]);
            let replacement = replaced_with.and_then(|r| dbs[r].entries.get(&key[..]));
            if !in_emptied && replacement.is_none() {
                continue;
            }
            let replacement_expired = replacement.is_some_and(|e| e.is_expired(now));
            for w in list.iter_mut() {
                if w.stale {
                    if replacement.is_none() {
                        w.stale = false;
                        continue;
                    }
                    if replacement_expired {
                        continue;
                    }
                } else if !in_emptied && replacement_expired {
                    w.stale = true;
                    continue;
                }
                w.client.dirty_cas.set(true);
            }
        }
    }

    /// Removes a key whose TTL passed, with the side effects Redis performs, including the
    /// DEL sent to replicas. A replica (or a master whose writes are paused) keeps the key:
    /// it is only reported missing.
    pub fn delete_expired(&mut self, db: usize, key: &[u8]) {
        if self.expire_policy() != super::replication::ExpirePolicy::Delete {
            return;
        }
        if self.dbs[db].remove(key).is_some() {
            self.stats.expired_keys += 1;
            self.notify(notify::EXPIRED, "expired", key, db);
            self.signal_modified(db, key);
            let lazy = self.repl.cfg.lazy_expire;
            super::replication::propagate::deletion(self, db, key, lazy);
        }
    }

    /// Whether an expired entry must be treated as alive: commands from our master see the
    /// dataset exactly as the master did (it sends the DEL itself).
    fn expired_but_kept(&self) -> bool {
        self.expire_policy() == super::replication::ExpirePolicy::Keep
    }

    /// Looks a key up for writing: expired keys are removed first.
    pub fn lookup_write(&mut self, db: usize, key: &[u8]) -> Option<&mut Entry> {
        let idx = self.dbs[db].entries.get_index_of(key)?;
        let expired = self.dbs[db].entries[idx].is_expired(self.now_ms);
        if expired && !self.expired_but_kept() {
            self.delete_expired(db, key);
            return None;
        }
        self.dbs[db].before_change_at(idx);
        Some(&mut self.dbs[db].entries[idx])
    }

    /// Looks a key up for reading: expiry, hit/miss statistics, LRU/LFU update.
    pub fn lookup_read(&mut self, db: usize, key: &[u8]) -> Option<&mut Entry> {
        self.lookup_read_touching(db, key, true)
    }

    /// Like [`Server::lookup_read`] without the LRU/LFU update: TTL and friends inspect a key
    /// without counting as an access (Redis's LOOKUP_NOTOUCH).
    pub fn lookup_read_notouch(&mut self, db: usize, key: &[u8]) -> Option<&mut Entry> {
        self.lookup_read_touching(db, key, false)
    }

    fn lookup_read_touching(&mut self, db: usize, key: &[u8], touch: bool) -> Option<&mut Entry> {
        let Some(idx) = self.dbs[db].entries.get_index_of(key) else {
            self.stats.keyspace_misses += 1;
            self.notify(notify::KEY_MISS, "keymiss", key, db);
            return None;
        };
        if self.dbs[db].entries[idx].is_expired(self.now_ms) && !self.expired_but_kept() {
            self.delete_expired(db, key);
            self.stats.keyspace_misses += 1;
            self.notify(notify::KEY_MISS, "keymiss", key, db);
            return None;
        }
        self.stats.keyspace_hits += 1;
        if touch {
            let lru =
                self.evict
                    .touch_value(&self.config, self.now_ms, self.dbs[db].entries[idx].lru);
            self.dbs[db].entries[idx].lru = lru;
        }
        Some(&mut self.dbs[db].entries[idx])
    }

    /// Whether a key exists (and is not expired) without touching statistics or LRU.
    pub fn exists(&mut self, db: usize, key: &[u8]) -> bool {
        self.lookup_write(db, key).is_some()
    }

    /// Stores a value under a key (copied out of the request buffer), replacing any old value.
    pub fn store(&mut self, db: usize, key: &[u8], value: Value, expires_at: i64) {
        let lru = self.evict.new_value_lru(&self.config, self.now_ms);
        if self.config.notify_keyspace_events & notify::NEW != 0
            && !self.dbs[db].entries.contains_key(key)
        {
            self.notify(notify::NEW, "new", key, db);
        }
        self.dbs[db].insert(super::key::Key::from(key), value, expires_at, lru);
    }

    /// Deletes a key; true if it existed (expired keys count as absent).
    pub fn delete(&mut self, db: usize, key: &[u8]) -> bool {
        if self.lookup_write(db, key).is_none() {
            return false;
        }
        self.dbs[db].remove(key).is_some()
    }

    /// A random sample of clients' shared handles, for tests and housekeeping.
    pub fn client_shared(&self, id: ClientId) -> Option<Rc<ClientShared>> {
        self.clients.shared(id)
    }

    /// Memory in use, in bytes (INFO `used_memory`, what maxmemory limits): what the allocator
    /// handed out, less the spare capacity of the key tables. Redis's keyspace memory grows
    /// and shrinks key by key, while a table here doubles in one step and keeps its capacity
    /// when keys go; counting the spare half would make eviction near maxmemory free nothing
    /// it can see, and refuse writes after evicting every key.
    pub fn used_memory(&self) -> usize {
        let slack: usize = self.dbs.iter().map(super::db::Db::table_slack).sum();
        crate::alloc::allocated().saturating_sub(slack)
    }
}

impl Ctx<'_> {
    /// Selected database index.
    pub fn db(&self) -> usize {
        self.client.db
    }

    /// Time the current command started, Unix ms.
    pub fn now(&self) -> i64 {
        self.srv.now_ms
    }

    /// Records a write: WATCH/blocking signal, keyspace notification, dirty counter.
    pub fn modified(&mut self, key: &[u8], class: u32, event: &str) {
        let db = self.client.db;
        self.srv.signal_modified(db, key);
        self.srv.notify(class, event, key, db);
        self.srv.dirty += 1;
    }

    /// Reads a key of any type.
    pub fn read(&mut self, key: &[u8]) -> Option<&mut Entry> {
        let db = self.client.db;
        self.srv.lookup_read(db, key)
    }

    /// Reads a key for modification.
    pub fn write(&mut self, key: &[u8]) -> Option<&mut Entry> {
        let db = self.client.db;
        self.srv.lookup_write(db, key)
    }

    /// Stores a value with no TTL.
    pub fn store(&mut self, key: &[u8], value: Value) {
        let db = self.client.db;
        self.srv.store(db, key, value, NO_EXPIRE);
    }

    /// Deletes a key.
    pub fn delete(&mut self, key: &[u8]) -> bool {
        let db = self.client.db;
        self.srv.delete(db, key)
    }

    /// Blocks the client on `keys` until one is ready or `timeout_ms` passes (0 = forever).
    /// Inside MULTI/EXEC a blocking command answers `timeout_reply` at once, as in Redis.
    pub fn block(
        &mut self,
        keys: &[Bytes],
        args: &[Bytes],
        timeout_ms: i64,
        timeout_reply: Reply,
    ) -> Reply {
        if self.client.in_exec {
            return timeout_reply;
        }
        self.client.block_request = Some(super::client::BlockState {
            db: self.client.db,
            keys: keys.to_vec(),
            args: args.to_vec(),
            deadline_ms: if timeout_ms > 0 {
                Some(self.srv.now_ms + timeout_ms)
            } else {
                None
            },
            timeout_reply,
        });
        Reply::None
    }
}

/// Builds the WRONGTYPE error reply.
pub fn wrongtype() -> Reply {
    Reply::err(WRONGTYPE)
}

macro_rules! typed_accessors {
    ($read:ident, $write:ident, $variant:ident, $ty:ty) => {
        impl Ctx<'_> {
            /// Reads a key that must hold this type; Ok(None) when absent, WRONGTYPE otherwise.
            pub fn $read(&mut self, key: &[u8]) -> TypedResult<Option<&mut $ty>> {
                match self.read(key) {
                    None => Ok(None),
                    Some(Entry {
                        value: Value::$variant(v),
                        ..
                    }) => Ok(Some(&mut **v)),
                    Some(_) => Err(wrongtype()),
                }
            }

            /// Like the read accessor but without hit statistics (for writes).
            pub fn $write(&mut self, key: &[u8]) -> TypedResult<Option<&mut $ty>> {
                match self.write(key) {
                    None => Ok(None),
                    Some(Entry {
                        value: Value::$variant(v),
                        ..
                    }) => Ok(Some(&mut **v)),
                    Some(_) => Err(wrongtype()),
                }
            }
        }
    };
}

impl Ctx<'_> {
    /// Reads a string key; Ok(None) when absent, WRONGTYPE otherwise.
    pub fn read_str(&mut self, key: &[u8]) -> TypedResult<Option<&mut Vec<u8>>> {
        match self.read(key) {
            None => Ok(None),
            Some(Entry {
                value: Value::Str(v),
                ..
            }) => Ok(Some(v)),
            Some(_) => Err(wrongtype()),
        }
    }

    /// Like [`Ctx::read_str`] but without hit statistics (for writes).
    pub fn write_str(&mut self, key: &[u8]) -> TypedResult<Option<&mut Vec<u8>>> {
        match self.write(key) {
            None => Ok(None),
            Some(Entry {
                value: Value::Str(v),
                ..
            }) => Ok(Some(v)),
            Some(_) => Err(wrongtype()),
        }
    }
}

typed_accessors!(
    read_list,
    write_list,
    List,
    std::collections::VecDeque<Bytes>
);
typed_accessors!(read_hash, write_hash, Hash, super::value::FastMap<Bytes, Bytes>);
typed_accessors!(read_set, write_set, Set, super::value::FastSet<Bytes>);
typed_accessors!(read_zset, write_zset, ZSet, super::types::zset::ZSet);

impl Server {
    /// Reacts to configuration parameters changed by CONFIG SET; an error means the change could
    /// not take effect and the caller restores the previous configuration.
    pub fn apply_config_changes(&mut self, changed: &[String]) -> Result<(), String> {
        if changed.iter().any(|n| n == "port" || n == "bind") {
            let arg = changed
                .iter()
                .find(|n| *n == "port" || *n == "bind")
                .map(String::as_str)
                .unwrap_or("port");
            // Listeners whose address (and port) stays are kept.
            let listeners =
                super::listener::bind_all(&self.config, &self.listeners).map_err(|e| {
                    tracing::warn!("{e}");
                    let why = if arg == "bind" {
                        "Failed to bind to specified addresses."
                    } else {
                        "Unable to listen on this port. Check server logs."
                    };
                    format!("ERR CONFIG SET failed (possibly related to argument '{arg}') - {why}")
                })?;
            if let Some(me) = self.self_ref.upgrade() {
                // The accept loops are replaced once this command returns (the state is borrowed now).
                tokio::task::spawn_local(async move {
                    super::listener::start_accepting(&me, listeners);
                });
            }
        }
        if changed.iter().any(|n| {
            n.starts_with("repl")
                || n.starts_with("replica")
                || n.starts_with("min-replicas")
                || n.starts_with("master")
                || n.starts_with("lazyfree")
        }) {
            self.replication_config_changed();
        }
        for name in changed {
            match name.as_str() {
                "requirepass" => {
                    let pass = self.config.requirepass.clone();
                    self.acl.set_default_password(pass.as_deref());
                }
                "acl-pubsub-default" => {
                    self.acl.pubsub_default_all = self.config.acl_pubsub_default_allchannels;
                }
                "maxmemory" => {
                    self.perform_evictions();
                }
                "client-output-buffer-limit" => {
                    self.pubsub.obuf_limit =
                        self.config.obuf_limit(crate::config::ClientClass::Pubsub);
                }
                "loglevel" => crate::logging::set_level(self.config.loglevel),
                "dir" => {
                    if let Err(e) = std::env::set_current_dir(&self.config.dir) {
                        tracing::warn!(error = %e, "cannot change working directory");
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }
}
