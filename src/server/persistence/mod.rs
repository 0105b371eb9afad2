//! Persistence of the dataset: Redis-compatible RDB snapshots (SAVE, BGSAVE, save points,
//! loading at start-up, DUMP/RESTORE payloads) and the multi-part append-only file.

pub mod aof;
pub mod rdb;
pub mod state;
