//! INFO: server state in Redis's field names, section by section.

use bytes::Bytes;

use crate::resp::Reply;
use crate::server::command::{CommandSpec, acl, flags::*};
use crate::server::state::Ctx;

/// The INFO command.
pub static COMMANDS: &[CommandSpec] = &[CommandSpec::new("info", -1, info)
    .flags(LOADING | STALE)
    .acl(acl::DANGEROUS)
    .doc(
        "server",
        "1.0.0",
        "Returns information and statistics about the server.",
    )];

fn info(ctx: &mut Ctx, _a: &[Bytes]) -> Reply {
    let srv = &ctx.srv;
    let mut s = String::new();
    s.push_str("# Server\r\n");
    s.push_str(&format!(
        "redis_version:{}\r\n",
        super::connection::REDIS_COMPAT_VERSION
    ));
    s.push_str(&format!("vigil_version:{}\r\n", env!("CARGO_PKG_VERSION")));
    s.push_str("redis_mode:standalone\r\n");
    s.push_str(&format!("process_id:{}\r\n", std::process::id()));
    s.push_str(&format!("run_id:{}\r\n", srv.run_id));
    s.push_str(&format!("tcp_port:{}\r\n", srv.config.port));
    s.push_str(&format!(
        "uptime_in_seconds:{}\r\n",
        (srv.now_ms - srv.start_ms) / 1000
    ));
    s.push_str("\r\n# Clients\r\n");
    s.push_str(&format!("connected_clients:{}\r\n", srv.clients.len()));
    s.push_str("\r\n# Memory\r\n");
    s.push_str(&format!("used_memory:{}\r\n", srv.used_memory()));
    s.push_str("\r\n# Replication\r\nrole:master\r\nconnected_slaves:0\r\n");
    s.push_str("\r\n# Keyspace\r\n");
    for (i, db) in srv.dbs.iter().enumerate() {
        if !db.is_empty() {
            s.push_str(&format!(
                "db{i}:keys={},expires={},avg_ttl={}\r\n",
                db.len(),
                db.volatile.len(),
                db.avg_ttl
            ));
        }
    }
    Reply::Verbatim(s)
}
