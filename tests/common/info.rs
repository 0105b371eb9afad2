//! Fields of the server's INFO text.

use std::time::Duration;

use super::wait_for;

/// One `field:value` of `INFO <section>`, or None when the server does not report it.
pub fn info_field(conn: &mut redis::Connection, section: &str, field: &str) -> Option<String> {
    let text: String = redis::cmd("INFO").arg(section).query(conn).ok()?;
    text.lines().find_map(|l| {
        l.strip_prefix(field)
            .and_then(|rest| rest.strip_prefix(':'))
            .map(|v| v.trim().to_string())
    })
}

/// `used_memory` from INFO memory.
pub fn used_memory(c: &mut redis::Connection) -> u64 {
    info_field(c, "memory", "used_memory")
        .and_then(|v| v.parse().ok())
        .expect("INFO memory has used_memory")
}

/// Waits until the server counts `n` connected clients (a disconnect has been processed).
pub fn wait_for_clients(c: &mut redis::Connection, n: usize) {
    let want = n.to_string();
    assert!(
        wait_for(Duration::from_secs(5), || {
            info_field(c, "clients", "connected_clients").as_deref() == Some(want.as_str())
        }),
        "server never reached {n} connected clients"
    );
}
