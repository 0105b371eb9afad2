//! One TCP link from the sentinel to a monitored instance or a peer sentinel.
//!
//! A link is a local task that connects (resolving hostnames at connect time, within a timeout),
//! performs the handshake the core asked for (AUTH, CLIENT SETNAME, and SUBSCRIBE on pub/sub
//! links, with rename-command applied), then writes commands in the order they are given and
//! hands every reply back, in order, with the tag of the command it answers. Everything it
//! observes is reported as a [`LinkEvent`] on a channel; the runtime turns those into core
//! inputs. Dropping the [`LinkHandle`] closes the connection.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

use super::proto::{Addr, Credentials, InstanceId, LinkKind};
use crate::resp::{DecodeLimits, Decoder, Reply};

/// The channel hello messages travel on.
pub const HELLO_CHANNEL: &str = "__sentinel__:hello";

/// Largest reply accepted from a peer (INFO of a big master is a few KB; this is generous).
const MAX_REPLY_BULK: usize = 64 * 1024 * 1024;

/// What a link needs to know to connect and introduce itself (the fields of `Action::Connect`).
#[derive(Clone, Debug)]
pub struct LinkSpec {
    /// Instance the link belongs to.
    pub id: InstanceId,
    /// Command or pub/sub link.
    pub kind: LinkKind,
    /// Where to connect.
    pub addr: Addr,
    /// AUTH credentials, if any.
    pub auth: Option<Credentials>,
    /// CLIENT SETNAME argument.
    pub client_name: String,
    /// rename-command map (original upper-case name → name to send).
    pub renames: Vec<(String, String)>,
}

/// What a link reports.
#[derive(Clone, Debug, PartialEq)]
pub enum LinkEventKind {
    /// TCP connection established; our local IP on it and the peer's.
    Up {
        /// Local address of the socket, as text.
        local_ip: String,
        /// Address connected to, as text.
        peer_ip: String,
    },
    /// The link failed or was closed by the peer (never sent after [`LinkHandle`] is dropped).
    Down,
    /// The reply to the command sent with this tag.
    Reply {
        /// Tag given to [`LinkHandle::send`].
        tag: u64,
        /// Decoded reply.
        reply: Reply,
    },
    /// A pub/sub message on a subscribed channel.
    Message {
        /// Channel.
        channel: Bytes,
        /// Payload.
        payload: Bytes,
    },
}

/// A report from one link, stamped with the link's generation so the runtime can ignore
/// stragglers from a link it already replaced.
#[derive(Clone, Debug, PartialEq)]
pub struct LinkEvent {
    /// Instance.
    pub id: InstanceId,
    /// Which link of the instance.
    pub kind: LinkKind,
    /// Generation given at spawn.
    pub generation: u64,
    /// What happened.
    pub event: LinkEventKind,
}

/// Owner's end of a link task; dropping it closes the connection without a `Down` report.
#[derive(Debug)]
pub struct LinkHandle {
    tx: mpsc::UnboundedSender<(u64, Vec<Bytes>)>,
    task: tokio::task::AbortHandle,
    /// Generation the link was spawned with.
    pub generation: u64,
}

impl LinkHandle {
    /// Queues a command; its reply comes back as [`LinkEventKind::Reply`] with `tag`. Returns
    /// false when the link task is already gone (the command is dropped, like on a dead link).
    pub fn send(&self, tag: u64, args: Vec<Bytes>) -> bool {
        self.tx.send((tag, args)).is_ok()
    }
}

impl Drop for LinkHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Applies the master's rename-command map to a command name.
pub fn renamed(renames: &[(String, String)], name: &str) -> String {
    renames
        .iter()
        .find(|(from, _)| from.eq_ignore_ascii_case(name))
        .map(|(_, to)| to.clone())
        .unwrap_or_else(|| name.to_string())
}

/// Appends a command as a RESP array of bulk strings.
pub fn encode_command(args: &[Bytes], out: &mut Vec<u8>) {
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

/// Log label of the handshake's SUBSCRIBE (its failure closes the link).
const SUBSCRIBE_LABEL: &str = "SUBSCRIBE";

/// Who a reply belongs to.
#[derive(Debug)]
enum Pending {
    /// A handshake command: the reply is only logged when it is an error.
    Handshake(&'static str),
    /// A command from the core.
    Tagged(u64),
}

/// The handshake commands for a spec, each with a label for logs.
fn handshake(spec: &LinkSpec) -> Vec<(&'static str, Vec<Bytes>)> {
    let word = |s: &str| Bytes::from(s.to_string());
    let mut cmds = Vec::new();
    if let Some(auth) = &spec.auth {
        let mut args = vec![word(&renamed(&spec.renames, "AUTH"))];
        if let Some(user) = &auth.user {
            args.push(word(user));
        }
        args.push(word(&auth.pass));
        cmds.push(("AUTH", args));
    }
    cmds.push((
        "CLIENT SETNAME",
        vec![
            word(&renamed(&spec.renames, "CLIENT")),
            word("SETNAME"),
            word(&spec.client_name),
        ],
    ));
    if spec.kind == LinkKind::PubSub {
        cmds.push((
            SUBSCRIBE_LABEL,
            vec![
                word(&renamed(&spec.renames, "SUBSCRIBE")),
                word(HELLO_CHANNEL),
            ],
        ));
    }
    cmds
}

/// Starts a link task on the current `LocalSet`.
pub fn spawn(
    spec: LinkSpec,
    generation: u64,
    events: mpsc::UnboundedSender<LinkEvent>,
    connect_timeout: Duration,
) -> LinkHandle {
    let (tx, rx) = mpsc::unbounded_channel();
    let task = tokio::task::spawn_local(run(spec, generation, rx, events, connect_timeout));
    LinkHandle {
        tx,
        task: task.abort_handle(),
        generation,
    }
}

/// Connects to the first address `host` resolves to that accepts, within `timeout` overall.
pub async fn connect(addr: &Addr, timeout: Duration) -> std::io::Result<TcpStream> {
    let attempt = async {
        let mut last = std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("cannot resolve {}", addr.host),
        );
        for sa in tokio::net::lookup_host((addr.host.as_str(), addr.port)).await? {
            match TcpStream::connect(sa).await {
                Ok(s) => return Ok(s),
                Err(e) => last = e,
            }
        }
        Err(last)
    };
    match tokio::time::timeout(timeout, attempt).await {
        Ok(r) => r,
        Err(_) => Err(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "connect timeout",
        )),
    }
}

async fn run(
    spec: LinkSpec,
    generation: u64,
    mut rx: mpsc::UnboundedReceiver<(u64, Vec<Bytes>)>,
    events: mpsc::UnboundedSender<LinkEvent>,
    connect_timeout: Duration,
) {
    let report = |event: LinkEventKind| {
        let _ = events.send(LinkEvent {
            id: spec.id,
            kind: spec.kind,
            generation,
            event,
        });
    };
    let stream = match connect(&spec.addr, connect_timeout).await {
        Ok(s) => s,
        Err(e) => {
            tracing::debug!(addr = %spec.addr, kind = ?spec.kind, error = %e, "link connect failed");
            report(LinkEventKind::Down);
            return;
        }
    };
    let _ = stream.set_nodelay(true);
    let local_ip = stream
        .local_addr()
        .map(|a| ip_text(a.ip()))
        .unwrap_or_default();
    let peer_ip = stream
        .peer_addr()
        .map(|a| ip_text(a.ip()))
        .unwrap_or_default();
    let (mut rd, mut wr) = stream.into_split();
    let pending: RefCell<VecDeque<Pending>> = RefCell::new(VecDeque::new());
    let mut out = Vec::new();
    for (label, args) in handshake(&spec) {
        pending.borrow_mut().push_back(Pending::Handshake(label));
        encode_command(&args, &mut out);
    }
    if wr.write_all(&out).await.is_err() {
        report(LinkEventKind::Down);
        return;
    }
    report(LinkEventKind::Up { local_ip, peer_ip });

    let writer = async {
        let mut out = Vec::new();
        while let Some((tag, args)) = rx.recv().await {
            out.clear();
            pending.borrow_mut().push_back(Pending::Tagged(tag));
            encode_command(&args, &mut out);
            // Batch whatever else is queued into the same write.
            while let Ok((tag, args)) = rx.try_recv() {
                pending.borrow_mut().push_back(Pending::Tagged(tag));
                encode_command(&args, &mut out);
            }
            if wr.write_all(&out).await.is_err() {
                return;
            }
        }
        // The handle was dropped: the task is being closed on purpose.
        std::future::pending::<()>().await;
    };
    let reader = async {
        let mut decoder = Decoder::new(DecodeLimits {
            max_bulk_len: MAX_REPLY_BULK,
            ..DecodeLimits::default()
        });
        let mut buf = BytesMut::with_capacity(16 * 1024);
        loop {
            match rd.read_buf(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            loop {
                let reply = match decoder.decode(&mut buf) {
                    Ok(Some(r)) => r,
                    Ok(None) => break,
                    Err(e) => {
                        tracing::warn!(addr = %spec.addr, error = %e, "closing link after a protocol error");
                        return;
                    }
                };
                if spec.kind == LinkKind::PubSub
                    && let Some((channel, payload)) = as_message(&reply)
                {
                    report(LinkEventKind::Message { channel, payload });
                    continue;
                }
                let owner = pending.borrow_mut().pop_front();
                match owner {
                    Some(Pending::Tagged(tag)) => report(LinkEventKind::Reply { tag, reply }),
                    Some(Pending::Handshake(label)) => {
                        if let Reply::Error(e) = &reply {
                            tracing::warn!(addr = %spec.addr, "{label} failed on link: {e}");
                            // A pub/sub connection that could not subscribe (-NOAUTH with a
                            // missing or wrong password, -NOPERM) is useless: close it, as
                            // Redis's client library does, so the link shows disconnected and
                            // is retried with the credentials current at that time.
                            if label == SUBSCRIBE_LABEL {
                                return;
                            }
                        }
                    }
                    None => tracing::debug!(addr = %spec.addr, ?reply, "unexpected reply on link"),
                }
            }
        }
    };
    tokio::select! {
        _ = writer => {}
        _ = reader => {}
    }
    report(LinkEventKind::Down);
}

/// An IP as text, IPv4-mapped IPv6 addresses as plain IPv4.
fn ip_text(ip: std::net::IpAddr) -> String {
    match ip {
        std::net::IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(|v4| v4.to_string())
            .unwrap_or_else(|| v6.to_string()),
        ip => ip.to_string(),
    }
}

/// A pub/sub `message` (RESP2 array or RESP3 push) as (channel, payload).
fn as_message(reply: &Reply) -> Option<(Bytes, Bytes)> {
    let (Reply::Array(items) | Reply::Push(items)) = reply else {
        return None;
    };
    match items.as_slice() {
        [
            Reply::Bulk(kind),
            Reply::Bulk(channel),
            Reply::Bulk(payload),
        ] if kind.eq_ignore_ascii_case(b"message") => Some((channel.clone(), payload.clone())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handshake_applies_renames_and_auth() {
        let spec = LinkSpec {
            id: 1,
            kind: LinkKind::PubSub,
            addr: Addr {
                host: "127.0.0.1".into(),
                port: 1,
            },
            auth: Some(Credentials {
                user: Some("u".into()),
                pass: "p".into(),
            }),
            client_name: "sentinel-abcdef12-pubsub".into(),
            renames: vec![("CLIENT".into(), "CLIENTX".into())],
        };
        let cmds: Vec<Vec<Bytes>> = handshake(&spec).into_iter().map(|(_, a)| a).collect();
        let s = |v: &[&str]| {
            v.iter()
                .map(|x| Bytes::from(x.to_string()))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            cmds,
            vec![
                s(&["AUTH", "u", "p"]),
                s(&["CLIENTX", "SETNAME", "sentinel-abcdef12-pubsub"]),
                s(&["SUBSCRIBE", HELLO_CHANNEL]),
            ]
        );
        let mut out = Vec::new();
        encode_command(&s(&["PING"]), &mut out);
        assert_eq!(out, b"*1\r\n$4\r\nPING\r\n");
    }

    /// Runs a link to a scripted peer that answers the handshake with `answer` and then
    /// publishes one hello; returns the link's reports up to `Down` or the hello.
    fn reports_with_peer_answer(answer: &'static [u8]) -> Vec<LinkEventKind> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let local = tokio::task::LocalSet::new();
        local.block_on(&rt, async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let port = listener.local_addr().unwrap().port();
            let peer = tokio::task::spawn_local(async move {
                let (mut sock, _) = listener.accept().await.unwrap();
                let mut buf = [0u8; 1024];
                let mut seen = Vec::new();
                // CLIENT SETNAME and SUBSCRIBE arrive in one write, possibly split.
                while !seen
                    .windows(HELLO_CHANNEL.len())
                    .any(|w| w == HELLO_CHANNEL.as_bytes())
                {
                    let n = sock.read(&mut buf).await.unwrap();
                    assert!(n > 0, "link closed before its handshake");
                    seen.extend_from_slice(&buf[..n]);
                }
                sock.write_all(answer).await.unwrap();
                sock.write_all(
                    b"*3\r\n$7\r\nmessage\r\n$18\r\n__sentinel__:hello\r\n$5\r\nhello\r\n",
                )
                .await
                .unwrap();
                // Keep the connection open: only the link may close it.
                std::future::pending::<()>().await;
            });
            let (tx, mut rx) = mpsc::unbounded_channel();
            let spec = LinkSpec {
                id: 7,
                kind: LinkKind::PubSub,
                addr: Addr {
                    host: "127.0.0.1".into(),
                    port,
                },
                auth: None,
                client_name: "sentinel-abcdef12-pubsub".into(),
                renames: Vec::new(),
            };
            let _handle = spawn(spec, 1, tx, Duration::from_secs(5));
            let mut seen = Vec::new();
            let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
            while let Ok(Some(ev)) = tokio::time::timeout_at(deadline, rx.recv()).await {
                let done = matches!(
                    ev.event,
                    LinkEventKind::Down | LinkEventKind::Message { .. }
                );
                seen.push(ev.event);
                if done {
                    break;
                }
            }
            peer.abort();
            seen
        })
    }

    #[test]
    fn pubsub_link_closes_when_subscribe_is_refused() {
        let noauth = b"-NOAUTH Authentication required.\r\n-NOAUTH Authentication required.\r\n";
        let seen = reports_with_peer_answer(noauth);
        assert!(
            matches!(seen.first(), Some(LinkEventKind::Up { .. })),
            "{seen:?}"
        );
        assert_eq!(seen.last(), Some(&LinkEventKind::Down), "{seen:?}");
        // A refused CLIENT SETNAME alone does not close it; a good SUBSCRIBE keeps it open.
        let ok =
            b"-ERR unknown command\r\n*3\r\n$9\r\nsubscribe\r\n$18\r\n__sentinel__:hello\r\n:1\r\n";
        let seen = reports_with_peer_answer(ok);
        assert_eq!(
            seen.last(),
            Some(&LinkEventKind::Message {
                channel: Bytes::from_static(HELLO_CHANNEL.as_bytes()),
                payload: Bytes::from_static(b"hello"),
            }),
            "{seen:?}"
        );
    }

    #[test]
    fn messages_are_recognised() {
        let m = Reply::Array(vec![
            Reply::bulk(b"message"),
            Reply::bulk(b"__sentinel__:hello"),
            Reply::bulk(b"x"),
        ]);
        assert_eq!(
            as_message(&m),
            Some((
                Bytes::from_static(b"__sentinel__:hello"),
                Bytes::from_static(b"x")
            ))
        );
        let sub = Reply::Array(vec![
            Reply::bulk(b"subscribe"),
            Reply::bulk(b"__sentinel__:hello"),
            Reply::Int(1),
        ]);
        assert_eq!(as_message(&sub), None);
    }
}
