//! Small helpers shared by the server and the sentinel.
pub mod glob;
pub mod ld80;
pub mod num;
