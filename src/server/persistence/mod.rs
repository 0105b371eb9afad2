//! Persistence of the dataset: Redis-compatible RDB snapshots (SAVE, BGSAVE, save points,
//! loading at start-up, DUMP/RESTORE payloads).

pub mod rdb;
pub mod state;
