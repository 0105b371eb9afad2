//! `SENTINEL <subcommand>`: every subcommand of Redis 7.0 with its arity, reply shape, field
//! names and order, and error strings.

use bytes::Bytes;

use crate::resp::Reply;
use crate::sentinel::proto::Level;
use crate::util::glob::glob_match;
use crate::util::num::parse_i64;

use super::SentinelCore;
use super::config::{is_executable, yesno};
use super::instance::{
    FAILOVER_IN_PROGRESS, FORCE_FAILOVER, Loc, MASTER, MASTER_DOWN, O_DOWN, PROMOTED, RECONF_DONE,
    RECONF_INPROG, RECONF_SENT, S_DOWN, SCRIPT_KILL_SENT, SENTINEL, SLAVE, make_addr,
};

/// SIMULATE-FAILURE flag: crash after being elected leader.
pub const SIMFAILURE_CRASH_AFTER_ELECTION: u32 = 1 << 0;
/// SIMULATE-FAILURE flag: crash after promoting the replica.
pub const SIMFAILURE_CRASH_AFTER_PROMOTION: u32 = 1 << 1;

/// Subcommands and their arity (Redis command table, `sentinel|<sub>`).
const SUBCOMMANDS: [(&str, i32); 21] = [
    ("flushconfig", 2),
    ("config", -3),
    ("myid", 2),
    ("debug", -2),
    ("failover", 3),
    ("is-master-down-by-addr", 6),
    ("help", 2),
    ("remove", 3),
    ("reset", 3),
    ("masters", 2),
    ("ckquorum", 3),
    ("sentinels", 3),
    ("master", 3),
    ("simulate-failure", -3),
    ("replicas", 3),
    ("info-cache", -3),
    ("set", -5),
    ("monitor", 6),
    ("get-master-addr-by-name", 3),
    ("pending-scripts", 2),
    ("slaves", 3),
];

const HELP: &[&str] = &[
    "SENTINEL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CKQUORUM <master-name>",
    "    Check if the current Sentinel configuration is able to reach the quorum",
    "    needed to failover a master and the majority needed to authorize the",
    "    failover.",
    "CONFIG SET <param> <value>",
    "    Set a global Sentinel configuration parameter.",
    "CONFIG GET <param>",
    "    Get global Sentinel configuration parameter.",
    "DEBUG [<param> <value> ...]",
    "    Show a list of configurable time parameters and their values (milliseconds).",
    "    Or update current configurable parameters values (one or more).",
    "GET-MASTER-ADDR-BY-NAME <master-name>",
    "    Return the ip and port number of the master with that name.",
    "FAILOVER <master-name>",
    "    Manually failover a master node without asking for agreement from other",
    "    Sentinels",
    "FLUSHCONFIG",
    "    Force Sentinel to rewrite its configuration on disk, including the current",
    "    Sentinel state.",
    "INFO-CACHE <master-name>",
    "    Return last cached INFO output from masters and all its replicas.",
    "IS-MASTER-DOWN-BY-ADDR <ip> <port> <current-epoch> <runid>",
    "    Check if the master specified by ip:port is down from current Sentinel's",
    "    point of view.",
    "MASTER <master-name>",
    "    Show the state and info of the specified master.",
    "MASTERS",
    "    Show a list of monitored masters and their state.",
    "MONITOR <name> <ip> <port> <quorum>",
    "    Start monitoring a new master with the specified name, ip, port and quorum.",
    "MYID",
    "    Return the ID of the Sentinel instance.",
    "PENDING-SCRIPTS",
    "    Get pending scripts information.",
    "REMOVE <master-name>",
    "    Remove master from Sentinel's monitor list.",
    "REPLICAS <master-name>",
    "    Show a list of replicas for this master and their state.",
    "RESET <pattern>",
    "    Reset masters for specific master name matching this pattern.",
    "SENTINELS <master-name>",
    "    Show a list of Sentinel instances for this master and their state.",
    "SET <master-name> <option> <value> [<option> <value> ...]",
    "    Set configuration parameters for certain masters.",
    "SIMULATE-FAILURE [CRASH-AFTER-ELECTION] [CRASH-AFTER-PROMOTION] [HELP]",
    "    Simulate a Sentinel crash.",
    "HELP",
    "    Prints this help.",
];

const NO_SUCH_MASTER: &str = "ERR No such master with that name";
const NOT_AN_INTEGER: &str = "ERR value is not an integer or out of range";
const SCRIPTS_DENIED: &str = "ERR Reconfiguration of scripts path is denied for security reasons. \
     Check the deny-scripts-reconfig configuration directive in your Sentinel configuration";

/// A bulk string from text.
fn bulk(s: impl Into<String>) -> Reply {
    Reply::Bulk(Bytes::from(s.into()))
}

/// A bulk string holding a number (`addReplyBulkLongLong`).
fn bulk_num(n: impl ToString) -> Reply {
    bulk(n.to_string())
}

impl SentinelCore {
    /// Dispatches `SENTINEL <sub> ...`.
    pub(crate) fn sentinel_command(&mut self, raw: &[Bytes]) -> Reply {
        let args: Vec<String> = raw
            .iter()
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        if args.len() < 2 {
            return Reply::err("ERR wrong number of arguments for 'sentinel' command");
        }
        let sub = args[1].to_ascii_lowercase();
        let Some(&(name, arity)) = SUBCOMMANDS.iter().find(|(n, _)| *n == sub) else {
            let shown: String = args[1].chars().take(128).collect();
            return Reply::err(format!(
                "ERR unknown subcommand '{shown}'. Try SENTINEL HELP."
            ));
        };
        let argc = args.len() as i32;
        if (arity > 0 && argc != arity) || (arity < 0 && argc < -arity) {
            return Reply::err(format!(
                "ERR wrong number of arguments for 'sentinel|{name}' command"
            ));
        }
        match name {
            "help" => Reply::Array(
                HELP.iter()
                    .map(|l| Reply::Status((*l).to_string()))
                    .collect(),
            ),
            "masters" => {
                let items = (0..self.masters.len())
                    .map(|m| self.instance_reply(Loc::Master(m)))
                    .collect();
                Reply::Array(items)
            }
            "master" => match self.masters.get_index_of(&args[2]) {
                Some(m) => self.instance_reply(Loc::Master(m)),
                None => Reply::err(NO_SUCH_MASTER),
            },
            "slaves" | "replicas" => match self.masters.get_index_of(&args[2]) {
                Some(m) => {
                    let items = self.masters[m]
                        .replicas
                        .values()
                        .enumerate()
                        .filter(|(_, r)| r.replica_announced != 0)
                        .map(|(r, _)| self.instance_reply(Loc::Replica(m, r)))
                        .collect();
                    Reply::Array(items)
                }
                None => Reply::err(NO_SUCH_MASTER),
            },
            "sentinels" => match self.masters.get_index_of(&args[2]) {
                Some(m) => {
                    let items = (0..self.masters[m].sentinels.len())
                        .map(|s| self.instance_reply(Loc::Sentinel(m, s)))
                        .collect();
                    Reply::Array(items)
                }
                None => Reply::err(NO_SUCH_MASTER),
            },
            "myid" => bulk(self.myid.clone()),
            "is-master-down-by-addr" => self.is_master_down_by_addr_command(&args),
            "reset" => {
                let mut count = 0;
                let mut m = 0;
                while m < self.masters.len() {
                    let name = self.masters[m].inst.name.clone();
                    if glob_match(args[2].as_bytes(), name.as_bytes(), false) {
                        self.reset_master(m, true, false);
                        count += 1;
                    }
                    m += 1;
                }
                Reply::Int(count)
            }
            "get-master-addr-by-name" => match self.masters.get(&args[2]) {
                Some(master) => {
                    let a = master.current_addr();
                    Reply::Array(vec![
                        bulk(a.reported(self.announce_hostnames)),
                        bulk_num(a.port),
                    ])
                }
                None => Reply::NullArray,
            },
            "failover" => self.failover_command(&args[2]),
            "pending-scripts" => Reply::Array(Vec::new()),
            "monitor" => self.monitor_command(&args),
            "flushconfig" => {
                self.flush_config();
                Reply::Ok
            }
            "remove" => match self.masters.get_index_of(&args[2]) {
                Some(m) => {
                    self.event_at(Level::Warning, "-monitor", Loc::Master(m), "");
                    self.remove_master(m);
                    self.flush_config();
                    Reply::Ok
                }
                None => Reply::err(NO_SUCH_MASTER),
            },
            "ckquorum" => match self.masters.get_index_of(&args[2]) {
                Some(m) => self.ckquorum(m),
                None => Reply::err(NO_SUCH_MASTER),
            },
            "set" => self.set_command(&args),
            "config" => {
                let verb = args[2].to_ascii_lowercase();
                if verb == "set" && args.len() == 5 {
                    self.config_set(&args[3], &args[4])
                } else if verb == "get" && args.len() == 4 {
                    self.config_get(&args[3])
                } else {
                    Reply::err(
                        "ERR Only SENTINEL CONFIG GET <option> / SET <option> <value> are supported.",
                    )
                }
            }
            "info-cache" => self.info_cache(&args[2..]),
            "simulate-failure" => {
                self.simfailure_flags = 0;
                for a in &args[2..] {
                    if a.eq_ignore_ascii_case("crash-after-election") {
                        self.simfailure_flags |= SIMFAILURE_CRASH_AFTER_ELECTION;
                        tracing::warn!(
                            "Failure simulation: this Sentinel will crash after being successfully elected as failover leader"
                        );
                    } else if a.eq_ignore_ascii_case("crash-after-promotion") {
                        self.simfailure_flags |= SIMFAILURE_CRASH_AFTER_PROMOTION;
                        tracing::warn!(
                            "Failure simulation: this Sentinel will crash after promoting the selected replica to master"
                        );
                    } else if a.eq_ignore_ascii_case("help") {
                        return Reply::Array(vec![
                            bulk("crash-after-election"),
                            bulk("crash-after-promotion"),
                        ]);
                    } else {
                        return Reply::err("ERR Unknown failure simulation specified");
                    }
                }
                Reply::Ok
            }
            "debug" => {
                if args.len() == 2 {
                    Reply::Map(
                        self.tun
                            .list()
                            .iter()
                            .map(|(k, v)| (bulk(*k), bulk_num(v)))
                            .collect(),
                    )
                } else {
                    match self.tun.apply(&args[2..]) {
                        Ok(()) => Reply::Ok,
                        Err(e) => Reply::err(e),
                    }
                }
            }
            _ => Reply::err(format!(
                "ERR unknown subcommand '{}'. Try SENTINEL HELP.",
                args[1]
            )),
        }
    }

    /// `addReplySentinelRedisInstance`: the field map of one record.
    pub(crate) fn instance_reply(&self, loc: Loc) -> Reply {
        let now = self.now;
        let inst = self.inst(loc);
        let link = self.link_of(loc);
        let mut f: Vec<(Reply, Reply)> = Vec::with_capacity(40);
        let mut put = |k: &str, v: Reply| f.push((bulk(k), v));
        put("name", bulk(inst.name.clone()));
        put("ip", bulk(inst.addr.reported(self.announce_hostnames)));
        put("port", bulk_num(inst.addr.port));
        put("runid", bulk(inst.runid.clone().unwrap_or_default()));
        let disconnected = link.is_none_or(|l| l.disconnected);
        let names: [(bool, &str); 14] = [
            (inst.flags & S_DOWN != 0, "s_down"),
            (inst.flags & O_DOWN != 0, "o_down"),
            (inst.flags & MASTER != 0, "master"),
            (inst.flags & SLAVE != 0, "slave"),
            (inst.flags & SENTINEL != 0, "sentinel"),
            (disconnected, "disconnected"),
            (inst.flags & MASTER_DOWN != 0, "master_down"),
            (
                inst.flags & FAILOVER_IN_PROGRESS != 0,
                "failover_in_progress",
            ),
            (inst.flags & PROMOTED != 0, "promoted"),
            (inst.flags & RECONF_SENT != 0, "reconf_sent"),
            (inst.flags & RECONF_INPROG != 0, "reconf_inprog"),
            (inst.flags & RECONF_DONE != 0, "reconf_done"),
            (inst.flags & FORCE_FAILOVER != 0, "force_failover"),
            (inst.flags & SCRIPT_KILL_SENT != 0, "script_kill_sent"),
        ];
        let flags: Vec<&str> = names
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, n)| *n)
            .collect();
        put("flags", bulk(flags.join(",")));
        put(
            "link-pending-commands",
            bulk_num(link.map_or(0, |l| l.pending_commands)),
        );
        put("link-refcount", bulk_num(link.map_or(1, |l| l.refcount)));
        if let Loc::Master(m) = loc
            && inst.flags & FAILOVER_IN_PROGRESS != 0
        {
            put(
                "failover-state",
                bulk(self.masters[m].failover_state.as_str()),
            );
        }
        let (act, avail, pong) = link.map_or((0, now, now), |l| {
            (l.act_ping_time, l.last_avail_time, l.last_pong_time)
        });
        put(
            "last-ping-sent",
            bulk_num(if act != 0 { now - act } else { 0 }),
        );
        put("last-ok-ping-reply", bulk_num(now - avail));
        put("last-ping-reply", bulk_num(now - pong));
        if inst.flags & S_DOWN != 0 {
            put("s-down-time", bulk_num(now - inst.s_down_since_time));
        }
        if inst.flags & O_DOWN != 0 {
            put("o-down-time", bulk_num(now - inst.o_down_since_time));
        }
        put("down-after-milliseconds", bulk_num(inst.down_after_period));
        if inst.flags & (MASTER | SLAVE) != 0 {
            put(
                "info-refresh",
                bulk_num(if inst.info_refresh != 0 {
                    now - inst.info_refresh
                } else {
                    0
                }),
            );
            put(
                "role-reported",
                bulk(if inst.role_reported == super::instance::Role::Master {
                    "master"
                } else {
                    "slave"
                }),
            );
            put(
                "role-reported-time",
                bulk_num(now - inst.role_reported_time),
            );
        }
        if let Loc::Master(m) = loc {
            let master = &self.masters[m];
            put("config-epoch", bulk_num(master.config_epoch));
            put("num-slaves", bulk_num(master.replicas.len()));
            put("num-other-sentinels", bulk_num(master.sentinels.len()));
            put("quorum", bulk_num(master.quorum));
            put("failover-timeout", bulk_num(master.failover_timeout));
            put("parallel-syncs", bulk_num(master.parallel_syncs));
            if let Some(s) = &master.notification_script {
                put("notification-script", bulk(s.clone()));
            }
            if let Some(s) = &master.client_reconfig_script {
                put("client-reconfig-script", bulk(s.clone()));
            }
        }
        if inst.flags & SLAVE != 0 {
            put(
                "master-link-down-time",
                bulk_num(inst.master_link_down_time),
            );
            put(
                "master-link-status",
                bulk(if inst.slave_master_link_up {
                    "ok"
                } else {
                    "err"
                }),
            );
            put(
                "master-host",
                bulk(
                    inst.slave_master_host
                        .clone()
                        .unwrap_or_else(|| "?".to_string()),
                ),
            );
            put("master-port", bulk_num(inst.slave_master_port));
            put("slave-priority", bulk_num(inst.slave_priority));
            put("slave-repl-offset", bulk_num(inst.slave_repl_offset));
            put("replica-announced", bulk_num(inst.replica_announced));
        }
        if inst.flags & SENTINEL != 0 {
            put("last-hello-message", bulk_num(now - inst.last_hello_time));
            put(
                "voted-leader",
                bulk(inst.leader.clone().unwrap_or_else(|| "?".to_string())),
            );
            put("voted-leader-epoch", bulk_num(inst.leader_epoch));
        }
        Reply::Map(f)
    }

    /// SENTINEL IS-MASTER-DOWN-BY-ADDR <ip> <port> <current-epoch> <runid>.
    fn is_master_down_by_addr_command(&mut self, args: &[String]) -> Reply {
        let Some(port) = parse_i64(args[3].as_bytes()) else {
            return Reply::err(NOT_AN_INTEGER);
        };
        let Some(req_epoch) = parse_i64(args[4].as_bytes()) else {
            return Reply::err(NOT_AN_INTEGER);
        };
        let m = self.find_master_by_addr(&args[2], port);
        let isdown = !self.tilt
            && m.is_some_and(|m| {
                let f = self.masters[m].inst.flags;
                f & S_DOWN != 0 && f & MASTER != 0
            });
        let mut leader: Option<String> = None;
        let mut leader_epoch = 0u64;
        if let Some(m) = m
            && args[5] != "*"
        {
            let (l, e) = self.vote_leader(m, req_epoch as u64, &args[5]);
            leader = l;
            leader_epoch = e;
        }
        Reply::Array(vec![
            Reply::Int(i64::from(isdown)),
            bulk(leader.unwrap_or_else(|| "*".to_string())),
            Reply::Int(leader_epoch as i64),
        ])
    }

    /// SENTINEL FAILOVER <name>.
    fn failover_command(&mut self, name: &str) -> Reply {
        let Some(m) = self.masters.get_index_of(name) else {
            return Reply::err(NO_SUCH_MASTER);
        };
        if self.masters[m].inst.flags & FAILOVER_IN_PROGRESS != 0 {
            return Reply::err("INPROG Failover already in progress");
        }
        if self.select_slave(m).is_none() {
            return Reply::err("NOGOODSLAVE No suitable replica to promote");
        }
        tracing::warn!("Executing user requested FAILOVER of '{name}'");
        self.start_failover(m);
        self.masters[m].inst.flags |= FORCE_FAILOVER;
        if self.fast && !self.tilt {
            // Redis starts acting on the next timer tick; a forced failover needs no votes,
            // so run the state machine now.
            self.failover_state_machine(m);
        }
        Reply::Ok
    }

    /// SENTINEL MONITOR <name> <ip> <port> <quorum>.
    fn monitor_command(&mut self, args: &[String]) -> Reply {
        let Some(quorum) = parse_i64(args[5].as_bytes()) else {
            return Reply::err("ERR Invalid quorum");
        };
        let Some(port) = parse_i64(args[4].as_bytes()) else {
            return Reply::err("ERR Invalid port");
        };
        if quorum <= 0 {
            return Reply::err("ERR Quorum must be 1 or greater.");
        }
        if make_addr(&args[3], 0, self.resolve_hostnames).is_err() {
            return Reply::err("ERR Invalid IP address or hostname specified");
        }
        match self.create_master(&args[2], &args[3], port, quorum as u32) {
            Ok(m) => {
                self.flush_config();
                self.event_at(
                    Level::Warning,
                    "+monitor",
                    Loc::Master(m),
                    &format!(" quorum {}", self.masters[m].quorum),
                );
                Reply::Ok
            }
            Err(e) => Reply::err(format!("ERR {}", e.message(MASTER))),
        }
    }

    /// `sentinelIsQuorumReachable` → SENTINEL CKQUORUM reply.
    fn ckquorum(&self, m: usize) -> Reply {
        let master = &self.masters[m];
        let usable = 1 + master
            .sentinels
            .values()
            .filter(|s| s.flags & (S_DOWN | O_DOWN) == 0)
            .count();
        let voters = master.sentinels.len() + 1;
        let noquorum = usable < master.quorum as usize;
        let noauth = usable < voters / 2 + 1;
        if !noquorum && !noauth {
            return Reply::Status(format!(
                "OK {usable} usable Sentinels. Quorum and failover authorization can be reached"
            ));
        }
        let mut e = format!("NOQUORUM {usable} usable Sentinels. ");
        if noquorum {
            e.push_str(
                "Not enough available Sentinels to reach the specified quorum for this master",
            );
        }
        if noauth {
            if noquorum {
                e.push_str(". ");
            }
            e.push_str(
                "Not enough available Sentinels to reach the majority and authorize a failover",
            );
        }
        Reply::Error(e)
    }

    /// SENTINEL SET <master> <option> <value> [...].
    fn set_command(&mut self, args: &[String]) -> Reply {
        let Some(m) = self.masters.get_index_of(&args[2]) else {
            return Reply::err(NO_SUCH_MASTER);
        };
        let mut changes = 0;
        let mut j = 3;
        let mut error: Option<Reply> = None;
        while j < args.len() {
            let more = args.len() - 1 - j;
            let option = args[j].clone();
            let opt = option.to_ascii_lowercase();
            let old_j = j;
            let mut redacted = false;
            let badfmt = |v: &str| {
                Reply::err(format!(
                    "ERR Invalid argument '{v}' for SENTINEL SET '{option}'"
                ))
            };
            let positive = |v: &str| parse_i64(v.as_bytes()).filter(|&n| n > 0);
            match opt.as_str() {
                "down-after-milliseconds" if more > 0 => {
                    j += 1;
                    let Some(v) = positive(&args[j]) else {
                        error = Some(badfmt(&args[j]));
                        break;
                    };
                    self.masters[m].inst.down_after_period = v;
                    self.propagate_down_after(m);
                }
                "failover-timeout" if more > 0 => {
                    j += 1;
                    let Some(v) = positive(&args[j]) else {
                        error = Some(badfmt(&args[j]));
                        break;
                    };
                    self.masters[m].failover_timeout = v;
                }
                "parallel-syncs" if more > 0 => {
                    j += 1;
                    let Some(v) = positive(&args[j]) else {
                        error = Some(badfmt(&args[j]));
                        break;
                    };
                    self.masters[m].parallel_syncs = v;
                }
                "notification-script" | "client-reconfig-script" if more > 0 => {
                    j += 1;
                    let value = &args[j];
                    if self.deny_scripts_reconfig {
                        error = Some(Reply::err(SCRIPTS_DENIED));
                        break;
                    }
                    if !value.is_empty() && !is_executable(value) {
                        error = Some(Reply::err(if opt == "notification-script" {
                            "ERR Notification script seems non existing or non executable"
                        } else {
                            "ERR Client reconfiguration script seems non existing or non executable"
                        }));
                        break;
                    }
                    let v = (!value.is_empty()).then(|| value.clone());
                    if opt == "notification-script" {
                        self.masters[m].notification_script = v;
                    } else {
                        self.masters[m].client_reconfig_script = v;
                    }
                }
                "auth-pass" if more > 0 => {
                    j += 1;
                    let value = &args[j];
                    self.masters[m].auth_pass = (!value.is_empty()).then(|| value.clone());
                    self.drop_instance_connections(m);
                    redacted = true;
                }
                "auth-user" if more > 0 => {
                    j += 1;
                    let value = &args[j];
                    self.masters[m].auth_user = (!value.is_empty()).then(|| value.clone());
                    self.drop_instance_connections(m);
                }
                "quorum" if more > 0 => {
                    j += 1;
                    let Some(v) = positive(&args[j]) else {
                        error = Some(badfmt(&args[j]));
                        break;
                    };
                    self.masters[m].quorum = v as u32;
                }
                "rename-command" if more > 1 => {
                    let oldname = args[j + 1].clone();
                    let newname = args[j + 2].clone();
                    j += 2;
                    if oldname.is_empty() || newname.is_empty() {
                        let bad = if newname.is_empty() {
                            &newname
                        } else {
                            &oldname
                        };
                        error = Some(badfmt(bad));
                        break;
                    }
                    let renamed = &mut self.masters[m].renamed;
                    renamed.retain(|(f, _)| !f.eq_ignore_ascii_case(&oldname));
                    if !oldname.eq_ignore_ascii_case(&newname) {
                        renamed.push((oldname, newname));
                    }
                }
                "master-reboot-down-after-period" if more > 0 => {
                    j += 1;
                    let Some(v) = parse_i64(args[j].as_bytes()).filter(|&n| n >= 0) else {
                        error = Some(badfmt(&args[j]));
                        break;
                    };
                    self.masters[m].inst.master_reboot_down_after_period = v;
                }
                _ => {
                    error = Some(Reply::err(format!(
                        "ERR Unknown option or number of arguments for SENTINEL SET '{option}'"
                    )));
                    break;
                }
            }
            changes += 1;
            let suffix = match j - old_j + 1 {
                2 => format!(
                    " {} {}",
                    args[old_j],
                    if redacted { "******" } else { &args[old_j + 1] }
                ),
                3 => format!(" {} {} {}", args[old_j], args[old_j + 1], args[old_j + 2]),
                _ => format!(" {}", args[old_j]),
            };
            self.event_at(Level::Warning, "+set", Loc::Master(m), &suffix);
            j += 1;
        }
        if changes > 0 {
            self.flush_config();
        }
        error.unwrap_or(Reply::Ok)
    }

    /// SENTINEL CONFIG SET <param> <value>.
    fn config_set(&mut self, option: &str, value: &str) -> Reply {
        let badfmt = || {
            Reply::err(format!(
                "ERR Invalid value '{value}' to SENTINEL CONFIG SET '{option}'"
            ))
        };
        let mut drop_conns = false;
        match option.to_ascii_lowercase().as_str() {
            "resolve-hostnames" => match yesno(value) {
                Some(b) => self.resolve_hostnames = b,
                None => return badfmt(),
            },
            "announce-hostnames" => match yesno(value) {
                Some(b) => self.announce_hostnames = b,
                None => return badfmt(),
            },
            "announce-ip" => {
                self.announce_ip = (!value.is_empty()).then(|| value.to_string());
            }
            "announce-port" => match parse_i64(value.as_bytes()) {
                Some(p) if (0..=65535).contains(&p) => self.announce_port = p,
                _ => return badfmt(),
            },
            "sentinel-user" => {
                self.sentinel_auth_user = (!value.is_empty()).then(|| value.to_string());
                drop_conns = true;
            }
            "sentinel-pass" => {
                self.sentinel_auth_pass = (!value.is_empty()).then(|| value.to_string());
                drop_conns = true;
            }
            _ => {
                return Reply::err(format!(
                    "ERR Invalid argument '{option}' to SENTINEL CONFIG SET"
                ));
            }
        }
        self.flush_config();
        if drop_conns {
            self.drop_sentinel_connections();
        }
        Reply::Ok
    }

    /// SENTINEL CONFIG GET <pattern>.
    fn config_get(&self, pattern: &str) -> Reply {
        let yn = |b: bool| if b { "yes" } else { "no" };
        let all: [(&str, String); 6] = [
            ("resolve-hostnames", yn(self.resolve_hostnames).to_string()),
            (
                "announce-hostnames",
                yn(self.announce_hostnames).to_string(),
            ),
            ("announce-ip", self.announce_ip.clone().unwrap_or_default()),
            ("announce-port", self.announce_port.to_string()),
            (
                "sentinel-user",
                self.sentinel_auth_user.clone().unwrap_or_default(),
            ),
            (
                "sentinel-pass",
                self.sentinel_auth_pass.clone().unwrap_or_default(),
            ),
        ];
        Reply::Map(
            all.into_iter()
                .filter(|(k, _)| glob_match(pattern.as_bytes(), k.as_bytes(), true))
                .map(|(k, v)| (bulk(k), bulk(v)))
                .collect(),
        )
    }

    /// SENTINEL INFO-CACHE <name> [<name> ...].
    fn info_cache(&self, names: &[String]) -> Reply {
        let now = self.now;
        let mut wanted: Vec<usize> = Vec::new();
        for n in names {
            if let Some(m) = self.masters.get_index_of(n)
                && !wanted.contains(&m)
            {
                wanted.push(m);
            }
        }
        let entry = |refresh: i64, info: &Option<String>| {
            Reply::Array(vec![
                Reply::Int(if refresh != 0 { now - refresh } else { 0 }),
                match info {
                    Some(s) => bulk(s.clone()),
                    None => Reply::Null,
                },
            ])
        };
        let mut out = Vec::with_capacity(wanted.len() * 2);
        for m in wanted {
            let master = &self.masters[m];
            out.push(bulk(master.inst.name.clone()));
            let mut items = vec![entry(master.inst.info_refresh, &master.inst.info)];
            items.extend(
                master
                    .replicas
                    .values()
                    .map(|r| entry(r.info_refresh, &r.info)),
            );
            out.push(Reply::Array(items));
        }
        Reply::Array(out)
    }
}
