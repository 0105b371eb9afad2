//! In-process harness for unit tests of command families: a real `Server` and client, requests
//! run through the dispatcher, and keyspace notifications captured without a network.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use bytes::Bytes;
use tokio::sync::mpsc;

use crate::config::ServerConfig;
use crate::resp::Reply;
use crate::server::client::{Client, ClientId, ClientShared, Outbound};
use crate::server::dispatch;
use crate::server::state::Server;

/// A server, one authenticated client, and the receiving end of a `__key*__:*` subscription.
pub struct Harness {
    /// Server state.
    pub srv: Server,
    /// The client commands run as.
    pub client: Client,
    events: mpsc::UnboundedReceiver<Outbound>,
}

impl Default for Harness {
    fn default() -> Self {
        Self::new()
    }
}

impl Harness {
    /// A server with every keyspace notification enabled (`KEA`).
    pub fn new() -> Harness {
        let mut config = ServerConfig::default();
        let _ = config.set(&[(b"notify-keyspace-events".to_vec(), b"KEA".to_vec())]);
        let mut srv = Server::new(config).expect("server state");
        let (tx, rx) = mpsc::unbounded_channel();
        let listener = client_shared(1_000_000, tx);
        srv.pubsub
            .psubscribe(&Bytes::from_static(b"__key*__:*"), &listener);
        let (tx, _rx) = mpsc::unbounded_channel();
        let shared = client_shared(srv.clients.next_id(), tx);
        let mut client = Client::new(shared, "127.0.0.1:1".into(), "127.0.0.1:2".into(), 1, 0);
        client.authenticated = true;
        Harness {
            srv,
            client,
            events: rx,
        }
    }

    /// Another authenticated client, registered with the server like a network connection
    /// (blocking commands and disconnects need that).
    pub fn connect(&mut self) -> Peer {
        let (tx, rx) = mpsc::unbounded_channel();
        let shared = client_shared(self.srv.clients.next_id(), tx);
        let mut c = Client::new(
            shared.clone(),
            "127.0.0.1:1".into(),
            "127.0.0.1:2".into(),
            -1,
            0,
        );
        c.authenticated = true;
        let client = Rc::new(RefCell::new(c));
        self.srv.clients.add(client.clone(), shared);
        Peer { client, rx }
    }

    /// Runs one command given as words, as `peer`.
    pub fn run_as(&mut self, peer: &Peer, words: &[&str]) -> Reply {
        dispatch::process(&mut self.srv, &mut peer.client.borrow_mut(), request(words))
    }

    /// Runs one command given as words.
    pub fn run(&mut self, words: &[&str]) -> Reply {
        dispatch::process(&mut self.srv, &mut self.client, request(words))
    }

    /// Keyevent notifications since the last call, as `event key` strings.
    pub fn events(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        while let Ok(msg) = self.events.try_recv() {
            let Outbound::Send(Reply::Push(parts)) = msg else {
                continue;
            };
            let [_, _, Reply::Bulk(chan), Reply::Bulk(payload)] = parts.as_slice() else {
                continue;
            };
            let chan = String::from_utf8_lossy(chan);
            if let Some(event) = chan.strip_prefix("__keyevent@0__:") {
                out.push(format!("{event} {}", String::from_utf8_lossy(payload)));
            }
        }
        out
    }
}

/// A client made by `Harness::connect`, with the receiving end of what the server sends it.
pub struct Peer {
    /// The client, as the server's registry holds it.
    pub client: Rc<RefCell<Client>>,
    rx: mpsc::UnboundedReceiver<Outbound>,
}

impl Peer {
    /// The reply to a blocked command, once the server has served or timed it out.
    pub fn unblocked(&mut self) -> Option<Reply> {
        match self.rx.try_recv() {
            Ok(Outbound::Unblocked(r)) => Some(r),
            _ => None,
        }
    }
}

fn client_shared(id: ClientId, tx: mpsc::UnboundedSender<Outbound>) -> Rc<ClientShared> {
    Rc::new(ClientShared {
        id,
        tx,
        resp: Cell::new(2),
        queued_bytes: Cell::new(0),
        dirty_cas: Cell::new(false),
    })
}

fn request(words: &[&str]) -> Vec<Bytes> {
    words
        .iter()
        .map(|w| Bytes::copy_from_slice(w.as_bytes()))
        .collect()
}
