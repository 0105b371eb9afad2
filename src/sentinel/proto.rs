//! The contract between the Sentinel decision core and the IO layer.
//!
//! The core never touches a socket, a clock or a file: the IO layer feeds it [`Input`]s stamped
//! with a [`Now`], and carries out the [`Action`]s it returns. Every timer and failure path can
//! therefore be driven deterministically in tests with virtual time and scripted peers.

use bytes::Bytes;

use crate::resp::Reply;

/// Identifies one monitored instance (master, replica or peer sentinel) for the life of the
/// process. Ids are never reused, so a late reply for a removed instance is simply ignored.
pub type InstanceId = u64;

/// The two links a sentinel keeps to masters and replicas (peer sentinels get a command link only).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LinkKind {
    /// Commands: PING, INFO, PUBLISH hello, SLAVEOF transactions, SENTINEL is-master-down-by-addr.
    Command,
    /// Subscribed to `__sentinel__:hello` on masters and replicas.
    PubSub,
}

/// A host (IP literal, or hostname when `resolve-hostnames yes`) and port.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Addr {
    /// IP literal or hostname.
    pub host: String,
    /// TCP port.
    pub port: u16,
}

impl std::fmt::Display for Addr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// Credentials a link authenticates with (`AUTH pass` or `AUTH user pass`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credentials {
    /// ACL user, if any (`auth-user` / `sentinel-user`).
    pub user: Option<String>,
    /// Password (`auth-pass` / `sentinel-pass`).
    pub pass: String,
}

/// The time an input happens at. `mono_ms` drives every timer (virtual in tests, a monotonic
/// clock in production); `wall_ms` (Unix ms) is only used for values shown to humans.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Now {
    /// Monotonic milliseconds.
    pub mono_ms: u64,
    /// Unix milliseconds.
    pub wall_ms: i64,
}

/// Log and publish level of an event, as Redis's sentinelEvent levels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Logged at debug level only and never published.
    Debug,
    /// Published; logged at verbose.
    Verbose,
    /// Published; logged at notice.
    Notice,
    /// Published; logged at warning; runs the notification script when tied to an instance.
    Warning,
}

/// A Sentinel event (`+sdown`, `+switch-master`, ...).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// Event type, also the pub/sub channel name (e.g. `+switch-master`).
    pub kind: String,
    /// Payload exactly as published (e.g. `master mymaster 127.0.0.1 6379 #quorum 2/2`).
    pub message: String,
    /// Level.
    pub level: Level,
    /// The master whose notification-script must run for this event (warning level events tied
    /// to an instance), with the script path.
    pub notify_script: Option<String>,
}

/// What the IO layer must do.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Open a link. The IO layer connects, then sends — with command names passed through
    /// `renames` — `AUTH` (if `auth`), `CLIENT SETNAME <client_name>`, and for PubSub links
    /// `SUBSCRIBE __sentinel__:hello`; replies to these handshake commands are not reported
    /// (errors are logged). When the TCP connection is established it reports
    /// [`Input::LinkUp`]; on any failure or close, [`Input::LinkDown`].
    Connect {
        /// Instance.
        id: InstanceId,
        /// Which link.
        kind: LinkKind,
        /// Where.
        addr: Addr,
        /// Credentials, if configured.
        auth: Option<Credentials>,
        /// `sentinel-<first 8 chars of myid>-cmd` / `-pubsub`.
        client_name: String,
        /// `rename-command` map of the master (original upper-case name → new name).
        renames: Vec<(String, String)>,
    },
    /// Close a link (the IO layer then reports [`Input::LinkDown`]).
    Close {
        /// Instance.
        id: InstanceId,
        /// Which link.
        kind: LinkKind,
    },
    /// Send a command on an instance's command link. Its reply comes back as [`Input::Reply`]
    /// with the same `tag` (replies arrive in order; a link that goes down fails its pending
    /// commands silently — the core tracks pending counts itself). The core applies
    /// rename-command before emitting.
    Send {
        /// Instance.
        id: InstanceId,
        /// Caller-chosen tag echoed in the reply.
        tag: u64,
        /// Full command.
        args: Vec<Bytes>,
    },
    /// Publish (on the sentinel's own pub/sub, channel = kind) and log an event.
    Event(Event),
    /// Run `client-reconfig-script` (or any script) with these arguments (argv[0] = path).
    RunScript(Vec<String>),
    /// Persist the state (`config_lines`) into the config file now.
    FlushConfig,
    /// Terminate the process with this code (SENTINEL SIMULATE-FAILURE crash points).
    Exit(i32),
}

/// What happened, fed to the core.
#[derive(Clone, Debug, PartialEq)]
pub enum Input {
    /// The periodic timer fired.
    Tick,
    /// A link finished connecting; `local_ip` is our address on that socket (used in hellos
    /// unless `announce-ip` is set).
    LinkUp {
        /// Instance.
        id: InstanceId,
        /// Which link.
        kind: LinkKind,
        /// Local IP of the socket.
        local_ip: String,
        /// The IP connected to (what a hostname resolved to this time).
        peer_ip: String,
    },
    /// A link failed or closed.
    LinkDown {
        /// Instance.
        id: InstanceId,
        /// Which link.
        kind: LinkKind,
    },
    /// The reply to an [`Action::Send`].
    Reply {
        /// Instance.
        id: InstanceId,
        /// The tag given in the Send.
        tag: u64,
        /// The decoded reply.
        reply: Reply,
    },
    /// A pub/sub message on an instance's PubSub link.
    Message {
        /// Instance.
        id: InstanceId,
        /// Channel (normally `__sentinel__:hello`).
        channel: Bytes,
        /// Payload.
        payload: Bytes,
    },
}
