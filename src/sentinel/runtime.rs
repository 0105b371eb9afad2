//! `vigil sentinel`: one current-thread tokio runtime, like the data node, running the
//! sentinel's own server (the data node's listener, connections, dispatch, ACL and pub/sub with
//! the sentinel command table), the decision core, its links, the timer and the script queue.
//!
//! The core lives inside the server state, so commands, link reports and timer ticks all reach
//! it synchronously on the one thread; every [`Action`] it returns is carried out here.

use std::collections::HashMap;
use std::rc::Rc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use super::core::{CoreOptions, SentinelCore};
use super::link::{self, LinkEvent, LinkEventKind, LinkHandle, LinkSpec};
use super::proto::{Action, Event, Input, InstanceId, Level, LinkKind, Now};
use super::scripts::{ScriptQueue, ScriptTimes};
use crate::config::{SentinelDirectives, ServerConfig};
use crate::server::connection::SharedServer;
use crate::server::state::{Server, unix_ms};

/// How long a link may take to connect (resolution included) before it is reported down and
/// retried at the core's next reconnection attempt.
pub const CONNECT_TIMEOUT: Duration = Duration::from_millis(1000);

/// The sentinel part of the server state.
pub struct SentinelState {
    /// The decision core.
    pub core: SentinelCore,
    /// Notification and client-reconfig scripts.
    pub scripts: ScriptQueue,
    links: HashMap<(InstanceId, LinkKind), LinkHandle>,
    next_generation: u64,
    events: mpsc::UnboundedSender<LinkEvent>,
    started: Instant,
}

impl SentinelState {
    /// The time to stamp inputs with: monotonic since start, plus the wall clock.
    pub fn now(&self) -> Now {
        Now {
            mono_ms: self.started.elapsed().as_millis() as u64,
            wall_ms: unix_ms(),
        }
    }

    /// Timing knobs of the script queue, from SENTINEL DEBUG.
    fn script_times(&self) -> ScriptTimes {
        let t = self.core.tunables();
        ScriptTimes {
            max_runtime_ms: t.script_max_runtime.max(0) as u64,
            retry_delay_ms: t.script_retry_delay.max(0) as u64,
        }
    }
}

/// Runs `f` with the sentinel state taken out of the server, so both can be borrowed mutably;
/// `None` when the server is not a sentinel.
pub fn with_sentinel<R>(
    srv: &mut Server,
    f: impl FnOnce(&mut Server, &mut SentinelState) -> R,
) -> Option<R> {
    let mut st = srv.sentinel.take()?;
    let r = f(srv, &mut st);
    srv.sentinel = Some(st);
    Some(r)
}

/// Publishes an event on the sentinel's own pub/sub (channel = event type), logs it, and
/// queues the notification script it calls for.
pub fn publish_event(srv: &mut Server, st: &mut SentinelState, e: Event) {
    match e.level {
        Level::Debug | Level::Verbose => tracing::debug!("{} {}", e.kind, e.message),
        Level::Notice => tracing::info!("{} {}", e.kind, e.message),
        Level::Warning => tracing::warn!("{} {}", e.kind, e.message),
    }
    if e.level != Level::Debug {
        srv.pubsub.publish(
            &bytes::Bytes::from(e.kind.clone()),
            &bytes::Bytes::from(e.message.clone()),
        );
    }
    if let Some(path) = e.notify_script {
        st.scripts.schedule(vec![path, e.kind, e.message]);
    }
}

/// Writes the core's state into the config file (fsync + atomic rename).
pub fn flush_config(srv: &mut Server, st: &mut SentinelState) -> Result<(), String> {
    match srv.config.rewrite_sentinel(&st.core.config_lines()) {
        Ok(()) => {
            tracing::info!("Sentinel new configuration saved on disk");
            Ok(())
        }
        Err(e) => {
            tracing::warn!(
                "WARNING: Sentinel was not able to save the new configuration on disk!!!: {e}"
            );
            Err(e)
        }
    }
}

/// Carries out the core's actions in order. Closing a link feeds its `LinkDown` back to the
/// core at once (and runs what that returns). Config flushes requested by the batch are done
/// once, at the end; the result tells whether one was requested and whether it worked.
pub fn execute(
    srv: &mut Server,
    st: &mut SentinelState,
    actions: Vec<Action>,
) -> Option<Result<(), String>> {
    let mut queue: std::collections::VecDeque<Action> = actions.into();
    let mut flush = false;
    while let Some(action) = queue.pop_front() {
        match action {
            Action::Connect {
                id,
                kind,
                addr,
                auth,
                client_name,
                renames,
            } => {
                st.next_generation += 1;
                let spec = LinkSpec {
                    id,
                    kind,
                    addr,
                    auth,
                    client_name,
                    renames,
                };
                let handle =
                    link::spawn(spec, st.next_generation, st.events.clone(), CONNECT_TIMEOUT);
                // Replacing a link drops (closes) the old one.
                st.links.insert((id, kind), handle);
            }
            Action::Close { id, kind } => {
                if st.links.remove(&(id, kind)).is_some() {
                    let now = st.now();
                    queue.extend(st.core.handle(Input::LinkDown { id, kind }, now));
                }
            }
            Action::Send { id, tag, args } => {
                if let Some(h) = st.links.get(&(id, LinkKind::Command)) {
                    h.send(tag, args);
                }
            }
            Action::Event(e) => publish_event(srv, st, e),
            Action::RunScript(argv) => st.scripts.schedule(argv),
            Action::FlushConfig => flush = true,
            Action::Exit(code) => {
                tracing::warn!("Sentinel exiting with code {code} (simulated failure)");
                std::process::exit(code);
            }
        }
    }
    flush.then(|| flush_config(srv, st))
}

/// Feeds one link report to the core, ignoring reports from links already replaced or closed.
fn on_link_event(srv: &mut Server, st: &mut SentinelState, ev: LinkEvent) {
    let key = (ev.id, ev.kind);
    if st.links.get(&key).map(|h| h.generation) != Some(ev.generation) {
        return;
    }
    let input = match ev.event {
        LinkEventKind::Up { local_ip, peer_ip } => Input::LinkUp {
            id: ev.id,
            kind: ev.kind,
            local_ip,
            peer_ip,
        },
        LinkEventKind::Down => {
            st.links.remove(&key);
            Input::LinkDown {
                id: ev.id,
                kind: ev.kind,
            }
        }
        LinkEventKind::Reply { tag, reply } => Input::Reply {
            id: ev.id,
            tag,
            reply,
        },
        LinkEventKind::Message { channel, payload } => Input::Message {
            id: ev.id,
            channel,
            payload,
        },
    };
    let now = st.now();
    let actions = st.core.handle(input, now);
    execute(srv, st, actions);
}

async fn pump_links(server: SharedServer, mut rx: mpsc::UnboundedReceiver<LinkEvent>) {
    while let Some(ev) = rx.recv().await {
        let mut srv = server.borrow_mut();
        with_sentinel(&mut srv, |srv, st| {
            on_link_event(srv, st, ev);
            // Take whatever else already arrived under the same borrow.
            while let Ok(ev) = rx.try_recv() {
                on_link_event(srv, st, ev);
            }
        });
    }
}

/// The sentinel timer: a Tick every `next_tick_ms` (10 to 19 times a second), then the script
/// queue's step.
async fn timer(server: SharedServer) {
    loop {
        let delay = {
            let mut srv = server.borrow_mut();
            if srv.shutdown.exit {
                return;
            }
            with_sentinel(&mut srv, |_, st| st.core.next_tick_ms()).unwrap_or(100)
        };
        tokio::time::sleep(Duration::from_millis(delay)).await;
        let mut srv = server.borrow_mut();
        with_sentinel(&mut srv, |srv, st| {
            let now = st.now();
            let actions = st.core.handle(Input::Tick, now);
            execute(srv, st, actions);
            let times = st.script_times();
            for e in st.scripts.tick(now.mono_ms, times) {
                publish_event(srv, st, e);
            }
        });
    }
}

/// Checks the config file can be written, as Redis does before starting a sentinel.
pub fn check_config_writable(config: &ServerConfig) -> Result<(), String> {
    let Some(path) = config.config_file() else {
        return Err("Sentinel needs config file on disk to save state. Exiting...".into());
    };
    std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .map(|_| ())
        .map_err(|e| {
            let text = e.to_string();
            let reason = text.split(" (os error").next().unwrap_or_default();
            format!(
                "Sentinel config file {} is not writable: {reason}. Exiting...",
                path.display()
            )
        })
}

/// Runs a sentinel until SHUTDOWN or a signal; returns the process exit code.
pub fn run(config: ServerConfig, directives: SentinelDirectives) -> i32 {
    crate::server::commands::set_mode(crate::server::commands::Mode::Sentinel);
    crate::util::clock::init();
    if let Err(e) = check_config_writable(&config) {
        tracing::warn!("{e}");
        return 1;
    }
    let started = Instant::now();
    let opts = CoreOptions {
        port: config.port,
        requirepass: config
            .requirepass
            .as_ref()
            .map(|p| String::from_utf8_lossy(p).into_owned()),
    };
    let now = Now {
        mono_ms: 0,
        wall_ms: unix_ms(),
    };
    let (core, startup) = match SentinelCore::from_config(&directives, opts, now) {
        Ok(x) => x,
        Err(e) => {
            eprintln!(
                "\n*** FATAL CONFIG FILE ERROR (vigil {}) ***\n{e}",
                env!("CARGO_PKG_VERSION")
            );
            return 1;
        }
    };
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!(error = %e, "cannot start the runtime");
            return 1;
        }
    };
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, serve(config, core, startup, started))
}

async fn serve(
    config: ServerConfig,
    core: SentinelCore,
    startup: Vec<Action>,
    started: Instant,
) -> i32 {
    let Some((listeners, mut server)) = crate::server::listener::bind_and_build(config) else {
        return 1;
    };
    let port = server.config.port;
    let (tx, rx) = mpsc::unbounded_channel();
    tracing::info!("Running mode=sentinel, port={port}.");
    let myid = core.myid().to_string();
    let mut st = SentinelState {
        core,
        scripts: ScriptQueue::default(),
        links: HashMap::new(),
        next_generation: 0,
        events: tx,
        started,
    };
    // Redis saves a freshly generated id before announcing it.
    let (first_flush, rest): (Vec<Action>, Vec<Action>) = startup
        .into_iter()
        .partition(|a| matches!(a, Action::FlushConfig));
    if !first_flush.is_empty() && flush_config(&mut server, &mut st).is_err() {
        return 1;
    }
    tracing::warn!("Sentinel ID is {myid}");
    execute(&mut server, &mut st, rest);
    server.sentinel = Some(Box::new(st));

    let server: SharedServer = Rc::new(std::cell::RefCell::new(server));
    server.borrow_mut().self_ref = Rc::downgrade(&server);
    crate::server::listener::start_accepting(&server, listeners);
    tokio::task::spawn_local(crate::server::cron::run(server.clone()));
    tokio::task::spawn_local(timer(server.clone()));
    tokio::task::spawn_local(pump_links(server.clone(), rx));

    let code = crate::server::listener::wait_for_shutdown(&server).await;
    let mut srv = server.borrow_mut();
    if let Some(mut st) = srv.sentinel.take() {
        st.scripts.kill_all();
        st.links.clear();
    }
    for entry in srv.clients.by_id.values() {
        let _ = entry.shared.tx.send(crate::server::client::Outbound::Kill);
    }
    code
}
