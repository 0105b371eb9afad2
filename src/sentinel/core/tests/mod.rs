//! Deterministic state-machine tests with virtual time: scripted data nodes and several
//! sentinel cores wired through a simulated network.

mod node;
mod sim;

mod commands;
mod config;
mod detect;
mod failover;
mod hello;
mod random;
mod tilt;

use crate::resp::Reply;

/// Text of a bulk/status reply.
pub fn text(r: &Reply) -> String {
    match r {
        Reply::Bulk(b) => String::from_utf8_lossy(b).into_owned(),
        Reply::Status(s) | Reply::Error(s) => s.clone(),
        Reply::Int(i) => i.to_string(),
        Reply::Ok => "OK".to_string(),
        other => format!("{other:?}"),
    }
}

/// A map reply as (key, value) text pairs.
pub fn pairs(r: &Reply) -> Vec<(String, String)> {
    match r {
        Reply::Map(v) => v.iter().map(|(k, v)| (text(k), text(v))).collect(),
        other => panic!("not a map: {other:?}"),
    }
}

/// One field of a map reply.
pub fn field(r: &Reply, name: &str) -> String {
    pairs(r)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("no field {name} in {r:?}"))
}

/// Items of an array reply.
pub fn items(r: &Reply) -> Vec<Reply> {
    match r {
        Reply::Array(v) => v.clone(),
        other => panic!("not an array: {other:?}"),
    }
}
