//! TEMPORARY stub until the config module lands.
#![allow(missing_docs, clippy::all)]
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MaxmemoryPolicy {
    NoEviction,
    AllKeysLru,
    VolatileLru,
    AllKeysLfu,
    VolatileLfu,
    AllKeysRandom,
    VolatileRandom,
    VolatileTtl,
}

#[derive(Clone, Debug)]
pub struct ServerConfig {
    pub port: u16,
    pub bind: Vec<String>,
    pub protected_mode: bool,
    pub requirepass: Option<Vec<u8>>,
    pub maxmemory: u64,
    pub maxmemory_policy: MaxmemoryPolicy,
    pub maxmemory_samples: usize,
    pub databases: usize,
    pub timeout: u64,
    pub tcp_keepalive: u64,
    pub tcp_backlog: u32,
    pub maxclients: usize,
    pub hz: u32,
    pub logfile: String,
    pub dir: PathBuf,
    pub dbfilename: String,
    pub rename_commands: Vec<(String, Vec<u8>)>,
    pub notify_keyspace_events: u32,
    pub slowlog_log_slower_than: i64,
    pub slowlog_max_len: u64,
    pub client_query_buffer_limit: u64,
    pub proto_max_bulk_len: u64,
    pub users: Vec<Vec<Vec<u8>>>,
    pub acllog_max_len: u64,
    pub lfu_log_factor: u32,
    pub lfu_decay_time: u32,
    pub config_file: Option<PathBuf>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            port: 6379,
            bind: vec!["*".into(), "-::*".into()],
            protected_mode: true,
            requirepass: None,
            maxmemory: 0,
            maxmemory_policy: MaxmemoryPolicy::NoEviction,
            maxmemory_samples: 5,
            databases: 16,
            timeout: 0,
            tcp_keepalive: 300,
            tcp_backlog: 511,
            maxclients: 10000,
            hz: 10,
            logfile: String::new(),
            dir: PathBuf::from("."),
            dbfilename: "dump.rdb".into(),
            rename_commands: vec![],
            notify_keyspace_events: 0,
            slowlog_log_slower_than: 10000,
            slowlog_max_len: 128,
            client_query_buffer_limit: 1 << 30,
            proto_max_bulk_len: 512 << 20,
            users: vec![],
            acllog_max_len: 128,
            lfu_log_factor: 10,
            lfu_decay_time: 1,
            config_file: None,
        }
    }
}

impl ServerConfig {
    pub fn load(file: Option<&Path>, cli: &[String]) -> Result<ServerConfig, String> {
        let mut c = ServerConfig::default();
        c.config_file = file.map(|p| p.to_path_buf());
        let mut i = 0;
        while i < cli.len() {
            let name = cli[i].trim_start_matches("--").to_string();
            let val = cli.get(i + 1).cloned().unwrap_or_default();
            match name.as_str() {
                "port" => c.port = val.parse().map_err(|_| "bad port".to_string())?,
                "bind" => c.bind = vec![val],
                "protected-mode" => c.protected_mode = val == "yes",
                "requirepass" => {
                    c.requirepass = if val.is_empty() {
                        None
                    } else {
                        Some(val.into_bytes())
                    }
                }
                "maxmemory" => c.maxmemory = val.parse().unwrap_or(0),
                _ => {}
            }
            i += 2;
        }
        Ok(c)
    }
    pub fn warnings(&self) -> Vec<String> {
        vec![]
    }
    pub fn get(&self, _pattern: &[u8]) -> Vec<(String, String)> {
        vec![]
    }
    pub fn set(&mut self, _pairs: &[(Vec<u8>, Vec<u8>)]) -> Result<Vec<String>, String> {
        Err("ERR not yet".into())
    }
    pub fn rewrite(&self) -> Result<(), String> {
        Err("ERR not yet".into())
    }
}
impl ServerConfig {
    pub fn loglevel_name(&self) -> String {
        "notice".into()
    }
}
