//! Small helpers shared across the crate, with exact Redis semantics.

pub mod glob;
pub mod num;
