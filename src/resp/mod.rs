//! RESP, the Redis serialization protocol: the server-side request parser and the reply encoder.
//!
//! Both live here so that every byte crossing a client socket goes through one audited place.

pub mod parser;
pub mod reply;

pub use parser::{Limits, ProtocolError, RequestParser};
pub use reply::{Reply, encode};
