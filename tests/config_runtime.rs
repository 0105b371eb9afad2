//! CONFIG SET changes that must take effect at once: listening port, log level.

mod common;

use common::{Server, free_port, q, q_err};

#[test]
fn config_set_port_moves_the_listener() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let new_port = free_port();
    let port_s = new_port.to_string();
    assert_eq!(
        q::<String>(&mut c, &["CONFIG", "SET", "port", &port_s]),
        "OK"
    );
    let mut moved = redis::Client::open(format!("redis://127.0.0.1:{new_port}/"))
        .and_then(|cl| cl.get_connection())
        .expect("connect on the new port");
    assert_eq!(q::<String>(&mut moved, &["PING"]), "PONG");
    // The existing connection survives; the old port stops accepting.
    assert_eq!(
        q::<Vec<String>>(&mut c, &["CONFIG", "GET", "port"])[1],
        port_s
    );
    std::thread::sleep(std::time::Duration::from_millis(100));
    assert!(std::net::TcpStream::connect(("127.0.0.1", s.port)).is_err());
}

#[test]
fn config_set_port_that_cannot_be_bound_is_refused_and_rolled_back() {
    let s = Server::start(&[]);
    let busy = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let busy_port = busy.local_addr().expect("addr").port().to_string();
    let mut c = s.conn();
    let err = q_err(&mut c, &["CONFIG", "SET", "port", &busy_port]);
    assert!(err.contains("Unable to listen on this port"), "{err}");
    assert_eq!(
        q::<Vec<String>>(&mut c, &["CONFIG", "GET", "port"])[1],
        s.port.to_string()
    );
}

#[test]
fn config_set_loglevel_applies() {
    let s = Server::start(&["--loglevel", "warning"]);
    let mut c = s.conn();
    assert_eq!(
        q::<String>(&mut c, &["CONFIG", "SET", "loglevel", "debug"]),
        "OK"
    );
    assert_eq!(
        q::<Vec<String>>(&mut c, &["CONFIG", "GET", "loglevel"])[1],
        "debug"
    );
}
