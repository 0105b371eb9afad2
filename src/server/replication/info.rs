//! INFO replication and ROLE, field for field as Redis 7.0 prints them (sentinels and clients
//! parse these).

use std::fmt::Write as _;

use bytes::Bytes;

use super::master::ReplicaState;
use crate::resp::Reply;
use crate::server::state::{Ctx, Server};

/// The `# Replication` section body (without the header line).
pub fn section(srv: &Server, out: &mut String) {
    let r = &srv.repl;
    let now_s = srv.now_ms / 1000;
    let mut f = |name: &str, value: &dyn std::fmt::Display| {
        let _ = write!(out, "{name}:{value}\r\n");
    };
    match &r.master {
        None => f("role", &"master"),
        Some(m) => {
            f("role", &"slave");
            let (read_off, off) = if m.client.is_some() {
                (m.read_reploff, r.offset)
            } else if let Some(c) = &r.cached {
                (c.offset, c.offset)
            } else {
                (1, 1)
            };
            f("master_host", &m.host);
            f("master_port", &m.port);
            let up = m.state == super::replica::LinkState::Connected;
            f("master_link_status", &if up { "up" } else { "down" });
            let last_io = if m.client.is_some() {
                (srv.now_ms - m.last_io_ms) / 1000
            } else {
                -1
            };
            f("master_last_io_seconds_ago", &last_io);
            let transfer = m.state == super::replica::LinkState::Transfer;
            f("master_sync_in_progress", &(transfer as i32));
            f("slave_read_repl_offset", &read_off);
            f("slave_repl_offset", &off);
            if let (true, Some(t)) = (transfer, m.transfer) {
                // Redis divides by the announced size as is (-1 for a diskless transfer).
                let perc = if t.size != 0 {
                    t.read as f64 / t.size as f64 * 100.0
                } else {
                    0.0
                };
                f("master_sync_total_bytes", &t.size);
                f("master_sync_read_bytes", &t.read);
                f("master_sync_left_bytes", &(t.size - t.read));
                f("master_sync_perc", &format!("{perc:.2}"));
                f(
                    "master_sync_last_io_seconds_ago",
                    &((srv.now_ms - t.last_io_ms) / 1000),
                );
            }
            if !up {
                let down = if m.down_since > 0 {
                    now_s - m.down_since
                } else {
                    -1
                };
                f("master_link_down_since_seconds", &down);
            }
            f("slave_priority", &r.cfg.priority);
            f("slave_read_only", &(r.cfg.read_only as i32));
            f("replica_announced", &(r.cfg.announced as i32));
        }
    }
    f("connected_slaves", &r.replicas.len());
    if r.cfg.min_replicas_to_write > 0 && r.cfg.min_replicas_max_lag > 0 {
        f("min_slaves_good_slaves", &r.good_replicas);
    }
    for (i, l) in r.replicas.values().enumerate() {
        let lag = if l.state == ReplicaState::Online {
            now_s - l.ack_time
        } else {
            0
        };
        f(
            &format!("slave{i}"),
            &format_args!(
                "ip={},port={},state={},offset={},lag={}",
                l.ip(),
                l.info.listening_port,
                l.state.name(),
                l.ack_off,
                lag
            ),
        );
    }
    f("master_failover_state", &r.failover.state_name());
    f("master_replid", &srv.replid);
    f("master_replid2", &srv.replid2);
    f("master_repl_offset", &r.offset);
    f("second_repl_offset", &r.second_offset);
    f("repl_backlog_active", &(r.backlog.is_some() as i32));
    f("repl_backlog_size", &r.cfg.backlog_size);
    f(
        "repl_backlog_first_byte_offset",
        &r.backlog.as_ref().map_or(0, |b| b.first()),
    );
    f(
        "repl_backlog_histlen",
        &r.backlog.as_ref().map_or(0, |b| b.histlen()),
    );
}

/// ROLE.
pub fn role(ctx: &mut Ctx, _a: &[Bytes]) -> Reply {
    let srv = &*ctx.srv;
    let r = &srv.repl;
    match &r.master {
        None => {
            let replicas = r
                .replicas
                .values()
                .filter(|l| l.state == ReplicaState::Online)
                .map(|l| {
                    Reply::Array(vec![
                        Reply::bulk(l.ip().as_bytes()),
                        Reply::bulk(l.info.listening_port.to_string().as_bytes()),
                        Reply::bulk(l.ack_off.to_string().as_bytes()),
                    ])
                })
                .collect();
            Reply::Array(vec![
                Reply::bulk(b"master"),
                Reply::Int(r.offset),
                Reply::Array(replicas),
            ])
        }
        Some(m) => Reply::Array(vec![
            Reply::bulk(b"slave"),
            Reply::bulk(m.host.as_bytes()),
            Reply::Int(m.port as i64),
            Reply::bulk(m.state.name().as_bytes()),
            Reply::Int(if m.client.is_some() { r.offset } else { -1 }),
        ]),
    }
}
