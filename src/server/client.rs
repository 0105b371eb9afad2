//! Per-connection state and the registry that CLIENT LIST/KILL, pub/sub and blocking use.

use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::rc::Rc;

use bytes::Bytes;
use tokio::sync::mpsc;

use crate::resp::Reply;

/// Unique, monotonically increasing client id (CLIENT ID).
pub type ClientId = u64;

/// Messages a connection task receives from the rest of the server.
#[derive(Debug)]
pub enum Outbound {
    /// A reply or push to write to the socket (pub/sub message, MONITOR line).
    Send(Reply),
    /// The answer to a blocked command, or its cancellation (CLIENT UNBLOCK).
    Unblocked(Reply),
    /// Close the connection (CLIENT KILL, output buffer limit, SHUTDOWN).
    Kill,
}

/// The parts of a client that other clients' commands must reach without borrowing it:
/// message delivery, protocol version and kill requests.
#[derive(Debug)]
pub struct ClientShared {
    /// The client's id.
    pub id: ClientId,
    /// Where pushes for this client go.
    pub tx: mpsc::UnboundedSender<Outbound>,
    /// Negotiated RESP version (2 or 3), read when encoding pushes.
    pub resp: Cell<u8>,
    /// Bytes queued in `tx` not yet written; enforces the pub/sub output limit.
    pub queued_bytes: Cell<usize>,
    /// Set when WATCHed keys were touched; EXEC then fails.
    pub dirty_cas: Cell<bool>,
}

impl ClientShared {
    /// Queues a push for the client; false when the connection is gone.
    pub fn send(&self, reply: Reply) -> bool {
        self.tx.send(Outbound::Send(reply)).is_ok()
    }
}

/// CLIENT REPLY mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyMode {
    /// Normal replies.
    On,
    /// No replies until CLIENT REPLY ON.
    Off,
    /// Skip the reply to the next command only.
    Skip,
    /// The command after CLIENT REPLY SKIP: its reply is dropped.
    SkipNext,
}

/// What kind of connection this is, for CLIENT LIST flags and CLIENT KILL TYPE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientKind {
    /// An application connection.
    Normal,
    /// A replica's replication link.
    Replica,
    /// Our link to a master (on a replica).
    Master,
}

/// A command queued inside MULTI.
#[derive(Debug, Clone)]
pub struct Queued {
    /// Full argument vector.
    pub args: Vec<Bytes>,
}

/// A blocking command waiting for data.
#[derive(Debug, Clone)]
pub struct BlockState {
    /// Database the keys live in.
    pub db: usize,
    /// Keys that may satisfy the command.
    pub keys: Vec<Bytes>,
    /// The command to run again when one of the keys is ready.
    pub args: Vec<Bytes>,
    /// Absolute deadline in Unix ms, or None to wait forever.
    pub deadline_ms: Option<i64>,
    /// What to answer on timeout.
    pub timeout_reply: Reply,
}

/// A connected client.
#[derive(Debug)]
pub struct Client {
    /// Shared handle (also in the registry).
    pub shared: Rc<ClientShared>,
    /// Peer address `ip:port`.
    pub addr: String,
    /// Local address `ip:port`.
    pub laddr: String,
    /// OS file descriptor, for CLIENT LIST.
    pub fd: i64,
    /// CLIENT SETNAME.
    pub name: Option<Bytes>,
    /// CLIENT SETINFO LIB-NAME.
    pub lib_name: Option<Bytes>,
    /// CLIENT SETINFO LIB-VER.
    pub lib_ver: Option<Bytes>,
    /// Selected database.
    pub db: usize,
    /// ACL user name the client acts as.
    pub user: String,
    /// Whether the client has authenticated (or needs no auth).
    pub authenticated: bool,
    /// Queued commands while in MULTI.
    pub multi: Option<Vec<Queued>>,
    /// A queue-time error happened inside MULTI (EXEC answers EXECABORT).
    pub multi_error: bool,
    /// Keys WATCHed: (db, key, whether it existed unexpired at WATCH time).
    pub watched: Vec<(usize, Bytes, bool)>,
    /// Subscribed channels.
    pub channels: HashSet<Bytes>,
    /// Subscribed patterns.
    pub patterns: HashSet<Bytes>,
    /// In MONITOR mode.
    pub monitor: bool,
    /// Connection kind.
    pub kind: ClientKind,
    /// Blocked on keys, if any.
    pub blocked: Option<BlockState>,
    /// A command is held back by CLIENT PAUSE (Redis counts such clients as blocked).
    pub paused: bool,
    /// A command asked to block; the dispatcher turns this into `blocked`.
    pub block_request: Option<BlockState>,
    /// Reply suppression state.
    pub reply_mode: ReplyMode,
    /// CLIENT NO-EVICT.
    pub no_evict: bool,
    /// Close after the current reply (QUIT, protocol error, CLIENT KILL of self).
    pub close_after_reply: bool,
    /// Creation time, Unix ms.
    pub created_ms: i64,
    /// Last command time, Unix ms (idle time, `timeout`).
    pub last_interaction_ms: i64,
    /// Name of the last command run (CLIENT LIST `cmd=`).
    pub last_cmd: String,
    /// Unparsed input held, for CLIENT LIST `qbuf=`.
    pub qbuf: usize,
    /// Output bytes pending, for CLIENT LIST `omem=`.
    pub omem: usize,
    /// Total commands run, for tests and INFO.
    pub commands_run: u64,
    /// Whether we are inside EXEC (blocking commands must not block).
    pub in_exec: bool,
    /// Replication offset reached by this client's last propagated write (WAIT).
    pub woff: i64,
}

impl Client {
    /// A fresh client record.
    pub fn new(
        shared: Rc<ClientShared>,
        addr: String,
        laddr: String,
        fd: i64,
        now_ms: i64,
    ) -> Self {
        Client {
            shared,
            addr,
            laddr,
            fd,
            name: None,
            lib_name: None,
            lib_ver: None,
            db: 0,
            user: "default".into(),
            authenticated: false,
            multi: None,
            multi_error: false,
            watched: Vec::new(),
            channels: HashSet::new(),
            patterns: HashSet::new(),
            monitor: false,
            kind: ClientKind::Normal,
            blocked: None,
            paused: false,
            block_request: None,
            reply_mode: ReplyMode::On,
            no_evict: false,
            close_after_reply: false,
            created_ms: now_ms,
            last_interaction_ms: now_ms,
            last_cmd: "NULL".into(),
            qbuf: 0,
            omem: 0,
            commands_run: 0,
            in_exec: false,
            woff: 0,
        }
    }

    /// Client id.
    pub fn id(&self) -> ClientId {
        self.shared.id
    }

    /// RESP version.
    pub fn resp(&self) -> u8 {
        self.shared.resp.get()
    }

    /// Number of pub/sub subscriptions (the count replies carry).
    pub fn subscription_count(&self) -> usize {
        self.channels.len() + self.patterns.len()
    }

    /// In RESP2 a subscribed client may only run pub/sub commands.
    pub fn in_pubsub_context(&self) -> bool {
        self.resp() < 3 && self.subscription_count() > 0
    }
}

/// Everything a registry entry holds.
#[derive(Debug, Clone)]
pub struct ClientEntry {
    /// The full client record (borrowed by its own connection while it runs a command).
    pub client: Rc<RefCell<Client>>,
    /// Shared handle for messaging.
    pub shared: Rc<ClientShared>,
}

/// All connected clients, in connection order.
#[derive(Debug, Default)]
pub struct ClientRegistry {
    /// By id; `IndexMap` keeps CLIENT LIST in connection order.
    pub by_id: indexmap::IndexMap<ClientId, ClientEntry>,
    next_id: ClientId,
}

impl ClientRegistry {
    /// Reserves the next client id.
    pub fn next_id(&mut self) -> ClientId {
        self.next_id += 1;
        self.next_id
    }

    /// Adds a client.
    pub fn add(&mut self, client: Rc<RefCell<Client>>, shared: Rc<ClientShared>) {
        self.by_id.insert(shared.id, ClientEntry { client, shared });
    }

    /// Removes a client.
    pub fn remove(&mut self, id: ClientId) {
        self.by_id.shift_remove(&id);
    }

    /// Number of connected clients.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// True when no client is connected.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// Shared handle of a client.
    pub fn shared(&self, id: ClientId) -> Option<Rc<ClientShared>> {
        self.by_id.get(&id).map(|e| e.shared.clone())
    }
}
