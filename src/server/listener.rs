//! Startup: bind the configured addresses, accept clients, run housekeeping, stop cleanly.

use std::cell::RefCell;
use std::net::SocketAddr;
use std::rc::Rc;

use tokio::net::{TcpListener, TcpSocket};

use super::connection::{self, SharedServer};
use super::persistence::rdb;
use super::shutdown::{self, Signal};
use super::state::Server;
use crate::config::ServerConfig;

/// Text Redis sends to non-loopback clients in protected mode.
pub const PROTECTED_MODE_ERROR: &str = "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n";

/// Resolves `bind` entries into socket addresses; a leading `-` marks an optional address,
/// which is left out when it is not an address, as it would be when it cannot be bound.
fn bind_addrs(config: &ServerConfig) -> Result<Vec<(SocketAddr, bool)>, String> {
    let mut out = Vec::new();
    let binds: Vec<(bool, String)> = if config.bind.is_empty() {
        vec![(false, "*".into()), (true, "::*".into())]
    } else {
        config
            .bind
            .iter()
            .map(|b| (b.optional, b.addr.clone()))
            .collect()
    };
    for (optional, host) in binds {
        let b = host.clone();
        let ip = match host.as_str() {
            "*" => "0.0.0.0".to_string(),
            "::*" => "::".to_string(),
            h => h.to_string(),
        };
        match ip.parse::<std::net::IpAddr>() {
            Ok(ip) => out.push((SocketAddr::new(ip, config.port), optional)),
            Err(_) if optional => tracing::debug!(address = %b, "optional bind address unusable"),
            Err(_) => {
                return Err(format!(
                    "Could not create server TCP listening socket {b}:{}: not an IP address",
                    config.port
                ));
            }
        }
    }
    Ok(out)
}

fn listen(addr: SocketAddr, backlog: u32) -> std::io::Result<TcpListener> {
    let sock = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    sock.set_reuseaddr(true)?;
    if addr.is_ipv6() {
        // Keep v4 and v6 listeners independent, as Redis does with IPV6_V6ONLY.
        socket2::SockRef::from(&sock).set_only_v6(true)?;
    }
    sock.bind(addr)?;
    sock.listen(backlog)
}

fn is_loopback(addr: &SocketAddr) -> bool {
    match addr {
        SocketAddr::V4(a) => a.ip().is_loopback(),
        SocketAddr::V6(a) => {
            a.ip().is_loopback() || a.ip().to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

/// Runs the data node until SHUTDOWN or a signal. Returns the process exit code.
pub fn run(config: ServerConfig) -> i32 {
    crate::util::clock::init();
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
    local.block_on(&rt, serve(config))
}

/// Binds every configured address; optional (`-addr`) ones may fail. Errors name the address.
/// Listeners in `current` already bound to a wanted address are kept (a socket cannot be bound
/// twice), so CONFIG SET bind can keep an address while adding or dropping others.
pub fn bind_all(
    config: &ServerConfig,
    current: &[Rc<TcpListener>],
) -> Result<Vec<Rc<TcpListener>>, String> {
    let mut listeners = Vec::new();
    for (addr, optional) in bind_addrs(config)? {
        if let Some(l) = current.iter().find(|l| l.local_addr().ok() == Some(addr)) {
            listeners.push(l.clone());
            continue;
        }
        match listen(addr, config.tcp_backlog) {
            Ok(l) => listeners.push(Rc::new(l)),
            Err(e) if optional => {
                tracing::debug!(%addr, error = %e, "optional bind address unavailable")
            }
            Err(e) => {
                return Err(format!(
                    "Could not create server TCP listening socket {addr}: {e}"
                ));
            }
        }
    }
    if listeners.is_empty() {
        return Err(format!("no address to listen on for port {}", config.port));
    }
    Ok(listeners)
}

/// Starts accepting on `listeners`, replacing the previous accept loops (CONFIG SET port/bind);
/// previous listeners not among them are closed.
pub fn start_accepting(server: &SharedServer, listeners: Vec<Rc<TcpListener>>) {
    let mut srv = server.borrow_mut();
    for task in srv.accept_tasks.drain(..) {
        task.abort();
    }
    srv.listening = listeners
        .iter()
        .filter_map(|l| l.local_addr().ok())
        .map(|a| a.to_string())
        .collect();
    for l in &listeners {
        let task = tokio::task::spawn_local(accept_loop(server.clone(), l.clone()));
        srv.accept_tasks.push(task.abort_handle());
    }
    srv.listeners = listeners;
}

/// Start-up shared by the data node and the sentinel: bind the listeners, build the state,
/// write the pidfile. Errors are logged; the caller exits with status 1.
pub fn bind_and_build(config: ServerConfig) -> Option<(Vec<Rc<TcpListener>>, Server)> {
    let listeners = match bind_all(&config, &[]) {
        Ok(l) => l,
        Err(e) => {
            tracing::warn!("Warning: {e}");
            tracing::error!("Failed listening on port {} (tcp), aborting.", config.port);
            return None;
        }
    };
    let mut server = match Server::new(config) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!("{e}");
            return None;
        }
    };
    server.executable = std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    if let Some(pidfile) = &server.config.pidfile {
        // Like Redis, a pidfile is written even in the foreground; failure is only a warning.
        if let Err(e) = std::fs::write(pidfile, format!("{}\n", std::process::id())) {
            tracing::warn!("Failed to write PID file '{pidfile}': {e}");
        }
    }
    Some((listeners, server))
}

async fn serve(config: ServerConfig) -> i32 {
    let Some((listeners, server)) = bind_and_build(config) else {
        return 1;
    };
    let port = server.config.port;
    let server: SharedServer = Rc::new(RefCell::new(server));
    server.borrow_mut().self_ref = Rc::downgrade(&server);
    // Redis's test harness waits for " PID: <pid>" (from Redis's start-up banner) in the log.
    let pid = std::process::id();
    tracing::info!(
        port,
        version = env!("CARGO_PKG_VERSION"),
        "Server initialized, PID: {pid}"
    );
    start_accepting(&server, listeners);
    tokio::task::spawn_local(super::cron::run(server.clone()));

    // Load the RDB file on a thread while clients get -LOADING (as Redis does while loading).
    let pending = rdb::load::start_startup_load(&mut server.borrow_mut());
    if let Some(p) = pending {
        let started = p.started;
        tokio::select! {
            outcome = p.result => {
                let outcome = outcome.unwrap_or_else(|_| Err("the loading thread stopped".into()));
                let mut srv = server.borrow_mut();
                if let Err(e) = rdb::load::finish_startup_load(&mut srv, outcome, started) {
                    tracing::error!("Fatal error loading the DB: {e}. Exiting.");
                    return 1;
                }
            }
            code = wait_for_shutdown(&server) => {
                close_clients(&server);
                return code;
            }
        }
    }
    tracing::info!("Ready to accept connections tcp");
    super::replication::replica::start_from_config(&mut server.borrow_mut());

    let code = wait_for_shutdown(&server).await;
    close_clients(&server);
    code
}

async fn accept_loop(server: SharedServer, listener: Rc<TcpListener>) {
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(x) => x,
            Err(e) => {
                tracing::warn!(error = %e, "Accepting client connection failed");
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            }
        };
        {
            let mut srv = server.borrow_mut();
            if srv.clients.len() >= srv.config.maxclients as usize {
                srv.stats.rejected_connections += 1;
                drop(srv);
                let _ = stream.try_write(b"-ERR max number of clients reached\r\n");
                continue;
            }
            if srv.config.protected_mode && srv.acl.default_nopass() && !is_loopback(&peer) {
                drop(srv);
                let _ = stream.try_write(PROTECTED_MODE_ERROR.as_bytes());
                continue;
            }
        }
        tokio::task::spawn_local(connection::serve(server.clone(), stream));
    }
}

/// Waits until the process must exit: SHUTDOWN or a signal (handed to the cron, which runs the
/// shutdown) completed. The sentinel runtime shares it. Returns the exit status: 1 when a
/// second SIGINT asked to exit at once.
pub async fn wait_for_shutdown(server: &SharedServer) -> i32 {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).ok();
    let mut int = signal(SignalKind::interrupt()).ok();
    loop {
        let tick = tokio::time::sleep(std::time::Duration::from_millis(20));
        let sig = tokio::select! {
            _ = async { match term.as_mut() { Some(s) => { s.recv().await; } None => std::future::pending::<()>().await } } => Some(Signal::Term),
            _ = async { match int.as_mut() { Some(s) => { s.recv().await; } None => std::future::pending::<()>().await } } => Some(Signal::Int),
            _ = tick => None,
        };
        let mut srv = server.borrow_mut();
        if let Some(sig) = sig
            && !shutdown::on_signal(&mut srv, sig)
        {
            return 1;
        }
        if srv.shutdown.exit {
            return 0;
        }
    }
}

/// Closes every client connection before the process exits.
fn close_clients(server: &SharedServer) {
    let srv = server.borrow();
    for entry in srv.clients.by_id.values() {
        let _ = entry.shared.tx.send(super::client::Outbound::Kill);
    }
}
