//! INFO replies from masters and replicas: what they report (`sentinelRefreshInstanceInfo`
//! parsing half) and what we do about it (acting half: replica discovery, role changes,
//! promotion progress, replicas to convert or fix, reconfiguration progress).

use crate::sentinel::proto::Level;

use super::SentinelCore;
use super::commands::SIMFAILURE_CRASH_AFTER_PROMOTION;
use super::instance::{
    FAILOVER_IN_PROGRESS, FailoverState, Loc, MASTER, MASTER_REBOOT, PROMOTED, RECONF_DONE,
    RECONF_INPROG, RECONF_SENT, Role, SLAVE,
};
use crate::util::c_num::{atoi, strtoll, strtoull};

/// Replica address from a master's `slave<N>:` line (both INFO formats).
fn parse_slave_line(l: &str) -> Option<(String, String)> {
    if !l.contains("ip=") {
        // Old format: slave0:<ip>,<port>,<state>
        let rest = &l[l.find(':')? + 1..];
        let mut parts = rest.splitn(3, ',');
        let ip = parts.next()?;
        let port = parts.next()?;
        parts.next()?;
        Some((ip.to_string(), port.to_string()))
    } else {
        let ip = &l[l.find("ip=")? + 3..];
        let port = &l[l.find("port=")? + 5..];
        let ip = ip.split(',').next().unwrap_or(ip);
        let port = port.split(',').next().unwrap_or(port);
        Some((ip.to_string(), port.to_string()))
    }
}

impl SentinelCore {
    /// Processes one INFO reply from the master or replica at `loc`.
    pub(crate) fn refresh_instance_info(&mut self, loc: Loc, info: &str) {
        let now = self.now;
        let m = loc.master();
        // Redis works on the C string: stop at a NUL.
        let info = info.split('\0').next().unwrap_or("");
        {
            let ri = self.inst_mut(loc);
            ri.info = Some(info.to_string());
            ri.master_link_down_time = 0;
        }
        let is_master = self.inst(loc).flags & MASTER != 0;
        let mut role = Role::None;
        for l in info.split("\r\n") {
            if l.len() >= 47 && l.starts_with("run_id:") {
                let new_id = l.get(7..47).unwrap_or("").to_string();
                let ri = self.inst(loc);
                match &ri.runid {
                    None => self.inst_mut(loc).runid = Some(new_id),
                    Some(old) if *old != new_id => {
                        self.event_at(Level::Notice, "+reboot", loc, "");
                        let ri = self.inst_mut(loc);
                        if ri.flags & MASTER != 0 && ri.master_reboot_down_after_period != 0 {
                            ri.flags |= MASTER_REBOOT;
                            ri.master_reboot_since_time = now;
                        }
                        ri.runid = Some(new_id);
                    }
                    Some(_) => {}
                }
            }
            if is_master
                && l.len() >= 7
                && l.starts_with("slave")
                && l.as_bytes()[5].is_ascii_digit()
                && let Some((ip, port)) = parse_slave_line(l)
            {
                let port = atoi(&port);
                if self.lookup_replica(m, &ip, port).is_none()
                    && let Ok(r) = self.create_replica(m, &ip, port)
                {
                    self.event_at(Level::Notice, "+slave", Loc::Replica(m, r), "");
                    self.flush_config();
                }
            }
            if l.len() >= 32 && l.starts_with("master_link_down_since_seconds") {
                let v = strtoll(l.get(31..).unwrap_or(""));
                self.inst_mut(loc).master_link_down_time = v.saturating_mul(1000);
            }
            if l.starts_with("role:master") {
                role = Role::Master;
            } else if l.starts_with("role:slave") {
                role = Role::Slave;
            }
            if role == Role::Slave {
                let ri = self.inst_mut(loc);
                if let Some(host) = l.strip_prefix("master_host:")
                    && ri
                        .slave_master_host
                        .as_deref()
                        .is_none_or(|h| !h.eq_ignore_ascii_case(host))
                {
                    ri.slave_master_host = Some(host.to_string());
                    ri.slave_conf_change_time = now;
                }
                if let Some(p) = l.strip_prefix("master_port:") {
                    let p = atoi(p);
                    if ri.slave_master_port != p {
                        ri.slave_master_port = p;
                        ri.slave_conf_change_time = now;
                    }
                }
                if let Some(s) = l.strip_prefix("master_link_status:") {
                    ri.slave_master_link_up = s.eq_ignore_ascii_case("up");
                }
                if let Some(p) = l.strip_prefix("slave_priority:") {
                    ri.slave_priority = atoi(p);
                }
                if let Some(o) = l.strip_prefix("slave_repl_offset:") {
                    ri.slave_repl_offset = strtoull(o);
                }
                if let Some(a) = l.strip_prefix("replica_announced:") {
                    ri.replica_announced = atoi(a);
                }
            }
        }
        self.inst_mut(loc).info_refresh = now;

        // Acting half.
        let ri = self.inst(loc);
        if role != ri.role_reported {
            let coherent = Role::of_flags(ri.flags) == role;
            let ri = self.inst_mut(loc);
            ri.role_reported_time = now;
            ri.role_reported = role;
            if role == Role::Slave {
                ri.slave_conf_change_time = now;
            }
            self.event_at(
                Level::Verbose,
                if coherent {
                    "+role-change"
                } else {
                    "-role-change"
                },
                loc,
                if role == Role::Master {
                    " new reported role is master"
                } else {
                    " new reported role is slave"
                },
            );
        }
        if self.tilt {
            return;
        }
        let Loc::Replica(_, r) = loc else {
            return;
        };
        let name = self.inst(loc).name.clone();
        let flags = self.inst(loc).flags;
        if flags & SLAVE != 0 && role == Role::Master {
            let master = &self.masters[m];
            if flags & PROMOTED != 0
                && master.inst.flags & FAILOVER_IN_PROGRESS != 0
                && master.failover_state == FailoverState::WaitPromotion
            {
                self.promotion_confirmed(m, r);
            } else {
                let wait_time = self.tun.publish_period.saturating_mul(4);
                let ri = self.inst(loc);
                if flags & PROMOTED == 0
                    && master.looks_sane(now, self.tun.info_period)
                    && ri.no_down_for(wait_time, now)
                    && now - ri.role_reported_time > wait_time
                {
                    let to = master.inst.addr.clone();
                    if self.send_slaveof(loc, Some(&to)) {
                        self.event_at(Level::Notice, "+convert-to-slave", loc, "");
                    }
                }
            }
        }
        let ri = self.inst(loc);
        let master = &self.masters[m];
        if flags & SLAVE != 0
            && role == Role::Slave
            && (ri.slave_master_port != i64::from(master.inst.addr.port)
                || !ri
                    .slave_master_host
                    .as_deref()
                    .is_some_and(|h| master.inst.addr.equals_host(h, self.resolve_hostnames)))
        {
            let wait_time = master.failover_timeout;
            if master.looks_sane(now, self.tun.info_period)
                && ri.no_down_for(wait_time, now)
                && now - ri.slave_conf_change_time > wait_time
            {
                let to = master.inst.addr.clone();
                if self.send_slaveof(loc, Some(&to)) {
                    self.event_at(Level::Notice, "+fix-slave-config", loc, "");
                }
            }
        }
        if self.fast
            && self.masters[m].inst.flags & FAILOVER_IN_PROGRESS != 0
            && self.masters[m].failover_state == FailoverState::SelectSlave
        {
            // Fast mode: selection was waiting for this INFO.
            self.failover_state_machine(m);
        }
        let Some(r) = self.masters[m].replicas.get_index_of(&name) else {
            return;
        };
        let loc = Loc::Replica(m, r);
        let flags = self.inst(loc).flags;
        if flags & SLAVE != 0 && role == Role::Slave && flags & (RECONF_SENT | RECONF_INPROG) != 0 {
            let promoted = self.masters[m].promoted_replica().map(|p| p.addr.clone());
            let ri = self.inst(loc);
            if flags & RECONF_SENT != 0
                && let (Some(host), Some(p)) = (&ri.slave_master_host, &promoted)
                && p.equals_host(host, self.resolve_hostnames)
                && ri.slave_master_port == i64::from(p.port)
            {
                let ri = self.inst_mut(loc);
                ri.flags &= !RECONF_SENT;
                ri.flags |= RECONF_INPROG;
                self.event_at(Level::Notice, "+slave-reconf-inprog", loc, "");
            }
            let ri = self.inst(loc);
            if ri.flags & RECONF_INPROG != 0 && ri.slave_master_link_up {
                let ri = self.inst_mut(loc);
                ri.flags &= !RECONF_INPROG;
                ri.flags |= RECONF_DONE;
                self.event_at(Level::Notice, "+slave-reconf-done", loc, "");
            }
        }
    }

    /// The promoted replica reports role:master: the failover is now irreversible.
    fn promotion_confirmed(&mut self, m: usize, r: usize) {
        let now = self.now;
        let master = &mut self.masters[m];
        master.config_epoch = master.failover_epoch;
        master.failover_state = FailoverState::ReconfSlaves;
        master.failover_state_change_time = now;
        self.flush_config();
        self.event_at(Level::Warning, "+promoted-slave", Loc::Replica(m, r), "");
        if self.simfailure_flags & SIMFAILURE_CRASH_AFTER_PROMOTION != 0 {
            tracing::warn!("Sentinel CRASH because of SENTINEL simulate-failure");
            self.out.push(crate::sentinel::proto::Action::Exit(99));
            return;
        }
        self.event_at(
            Level::Warning,
            "+failover-state-reconf-slaves",
            Loc::Master(m),
            "",
        );
        let from = self.masters[m].inst.addr.clone();
        let to = self.masters[m].replicas[r].addr.clone();
        self.call_client_reconf_script(m, true, &from, &to);
        self.force_hello_update(m);
        if self.fast {
            // Deviation (latency): Redis sends the forced hellos and the first SLAVEOF to the
            // other replicas on its next timer tick; we do both now.
            self.send_hellos_now(m);
            self.failover_reconf_next_slave(m);
        }
    }
}
