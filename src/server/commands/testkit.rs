//! In-process harness for unit tests of command families: a real `Server` and client, requests
//! run through the dispatcher, and keyspace notifications captured without a network.

use std::cell::Cell;
use std::rc::Rc;

use bytes::Bytes;
use tokio::sync::mpsc;

use crate::config::ServerConfig;
use crate::resp::Reply;
use crate::server::client::{Client, ClientShared, Outbound};
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
        let listener = Rc::new(ClientShared {
            id: 1_000_000,
            tx,
            resp: Cell::new(2),
            queued_bytes: Cell::new(0),
            dirty_cas: Cell::new(false),
        });
        srv.pubsub
            .psubscribe(&Bytes::from_static(b"__key*__:*"), &listener);
        let (tx, _rx) = mpsc::unbounded_channel();
        let shared = Rc::new(ClientShared {
            id: 1,
            tx,
            resp: Cell::new(2),
            queued_bytes: Cell::new(0),
            dirty_cas: Cell::new(false),
        });
        let mut client = Client::new(shared, "127.0.0.1:1".into(), "127.0.0.1:2".into(), 1, 0);
        client.authenticated = true;
        Harness {
            srv,
            client,
            events: rx,
        }
    }

    /// Runs one command given as words.
    pub fn run(&mut self, words: &[&str]) -> Reply {
        let args = words
            .iter()
            .map(|w| Bytes::copy_from_slice(w.as_bytes()))
            .collect();
        dispatch::process(&mut self.srv, &mut self.client, args)
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
