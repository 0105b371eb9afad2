//! RESP, the Redis serialization protocol: the server-side request parser, the reply encoder, and
//! the client-side reply decoder the sentinel uses on its links.
//!
//! Both live here so that every byte crossing a client socket goes through one audited place.

pub mod decode;
pub mod parser;
pub mod reply;

pub use decode::{DecodeError, DecodeLimits, Decoder};
pub use parser::{Limits, ProtocolError, RequestParser};
pub use reply::{Reply, encode};
