//! Small helpers shared by the server and the sentinel.
pub mod c_num;
pub mod clock;
pub mod glob;
pub mod ld80;
pub mod num;
pub mod procfs;
pub mod sha1;
