//! The failover state machine: wait_start → select_slave → send_slaveof_noone →
//! wait_promotion → reconf_slaves → update_config, with its aborts and timeouts, replica
//! selection, and the MULTI/SLAVEOF/CONFIG REWRITE/CLIENT KILL/EXEC transaction.

use crate::sentinel::proto::{Action, Level};

use super::SentinelCore;
use super::commands::SIMFAILURE_CRASH_AFTER_ELECTION;
use super::instance::{
    FAILOVER_IN_PROGRESS, FORCE_FAILOVER, FailoverState, Loc, O_DOWN, PROMOTED, RECONF_DONE,
    RECONF_INPROG, RECONF_SENT, S_DOWN, SAddr,
};
use super::links::CmdKind;

/// Random delay added to failover start times (SENTINEL_MAX_DESYNC).
pub const MAX_DESYNC: i64 = 1000;

/// `ctime`-style date ("Mon Nov 23 13:31:46 2026", UTC) for log lines.
fn ctime_utc(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86400);
    let rem = secs.rem_euclid(86400);
    let (h, mi, s) = (rem / 3600, rem % 3600 / 60, rem % 60);
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let mo = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(mo <= 2);
    const WD: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MO: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{} {} {:2} {:02}:{:02}:{:02} {}",
        WD[days.rem_euclid(7) as usize],
        MO[(mo - 1) as usize],
        d,
        h,
        mi,
        s,
        y
    )
}

impl SentinelCore {
    /// `sentinelSendSlaveOf`: the reconfiguration transaction (replies ignored; the effect is
    /// observed through INFO). `to` None means SLAVEOF NO ONE.
    ///
    /// Deviation (latency): in fast mode an INFO follows the transaction on the same
    /// connection, so the new role is seen right away instead of at the next periodic INFO
    /// (up to one second during a failover).
    pub(crate) fn send_slaveof(&mut self, loc: Loc, to: Option<&SAddr>) -> bool {
        let (host, port) = match to {
            Some(a) => (
                a.announce(self.announce_hostnames).to_string(),
                a.port.to_string(),
            ),
            None => ("NO".to_string(), "ONE".to_string()),
        };
        if !self.send_cmd(loc, CmdKind::Discard, "MULTI", &[]) {
            return false;
        }
        self.send_cmd(loc, CmdKind::Discard, "SLAVEOF", &[&host, &port]);
        self.send_cmd(loc, CmdKind::Discard, "CONFIG", &["REWRITE"]);
        self.send_cmd(loc, CmdKind::Discard, "CLIENT", &["KILL", "TYPE", "normal"]);
        self.send_cmd(loc, CmdKind::Discard, "CLIENT", &["KILL", "TYPE", "pubsub"]);
        self.send_cmd(loc, CmdKind::Discard, "EXEC", &[]);
        if self.fast {
            self.send_info(loc);
        }
        true
    }

    /// `sentinelStartFailover`.
    pub(crate) fn start_failover(&mut self, m: usize) {
        self.current_epoch = self.current_epoch.wrapping_add(1);
        let epoch = self.current_epoch;
        let now = self.now;
        let master = &mut self.masters[m];
        master.failover_state = FailoverState::WaitStart;
        master.inst.flags |= FAILOVER_IN_PROGRESS;
        master.failover_epoch = epoch;
        self.event(
            Level::Warning,
            "+new-epoch",
            Some(Loc::Master(m)),
            epoch.to_string(),
        );
        self.event_at(Level::Warning, "+try-failover", Loc::Master(m), "");
        let jitter = self.rand_below(MAX_DESYNC);
        let master = &mut self.masters[m];
        master.failover_start_time = now + jitter;
        master.failover_state_change_time = now;
        master.failover_info_since = now;
        if self.fast {
            // Deviation (latency): Redis starts polling replicas every second once the
            // failover is in progress and selects one ticks later; we ask them right away so
            // that fresh INFO is at hand when the election completes.
            for r in 0..self.masters[m].replicas.len() {
                self.send_info(Loc::Replica(m, r));
            }
        }
    }

    /// `sentinelStartFailoverIfNeeded`: ODOWN, no failover in progress, and none attempted
    /// (or voted for) in the last 2 × failover-timeout.
    pub(crate) fn start_failover_if_needed(&mut self, m: usize) -> bool {
        let now = self.now;
        let master = &mut self.masters[m];
        if master.inst.flags & O_DOWN == 0 || master.inst.flags & FAILOVER_IN_PROGRESS != 0 {
            return false;
        }
        if now - master.failover_start_time < master.failover_timeout.saturating_mul(2) {
            if master.failover_delay_logged != master.failover_start_time {
                master.failover_delay_logged = master.failover_start_time;
                let at = self.wall.saturating_add(
                    (master.failover_start_time - now)
                        .saturating_add(master.failover_timeout.saturating_mul(2)),
                );
                tracing::warn!(
                    "Next failover delay: I will not start a failover before {}",
                    ctime_utc(at)
                );
            }
            return false;
        }
        self.start_failover(m);
        true
    }

    /// `sentinelSelectSlave`: the best replica to promote, if any.
    pub(crate) fn select_slave(&self, m: usize) -> Option<usize> {
        let now = self.now;
        let master = &self.masters[m];
        let mut max_master_down_time = 0;
        if master.inst.flags & S_DOWN != 0 {
            max_master_down_time += now - master.inst.s_down_since_time;
        }
        max_master_down_time =
            max_master_down_time.saturating_add(master.inst.down_after_period.saturating_mul(10));
        let info_validity = if master.inst.flags & S_DOWN != 0 {
            self.tun.ping_period.saturating_mul(5)
        } else {
            self.tun.info_period.saturating_mul(3)
        };
        let mut candidates: Vec<usize> = Vec::new();
        for (r, slave) in master.replicas.values().enumerate() {
            if slave.flags & (S_DOWN | O_DOWN) != 0 {
                continue;
            }
            let Some(link) = self.links.map.get(&slave.link) else {
                continue;
            };
            if link.disconnected
                || now - link.last_avail_time > self.tun.ping_period.saturating_mul(5)
            {
                continue;
            }
            if slave.slave_priority == 0
                || now - slave.info_refresh > info_validity
                || slave.master_link_down_time > max_master_down_time
            {
                continue;
            }
            candidates.push(r);
        }
        candidates.sort_by(|&a, &b| {
            let (sa, sb) = (&master.replicas[a], &master.replicas[b]);
            sa.slave_priority
                .cmp(&sb.slave_priority)
                .then(sb.slave_repl_offset.cmp(&sa.slave_repl_offset))
                .then_with(|| match (&sa.runid, &sb.runid) {
                    (None, None) => std::cmp::Ordering::Equal,
                    (None, Some(_)) => std::cmp::Ordering::Greater,
                    (Some(_), None) => std::cmp::Ordering::Less,
                    (Some(x), Some(y)) => x.to_ascii_lowercase().cmp(&y.to_ascii_lowercase()),
                })
        });
        candidates.first().copied()
    }

    /// `sentinelFailoverStateMachine`.
    ///
    /// Deviation (latency): in fast mode the steps that need no outside event (elected →
    /// select_slave → send_slaveof_noone) run back to back instead of one per timer tick.
    pub(crate) fn failover_state_machine(&mut self, m: usize) {
        loop {
            let master = &self.masters[m];
            if master.inst.flags & FAILOVER_IN_PROGRESS == 0 {
                return;
            }
            let before = master.failover_state;
            match before {
                FailoverState::WaitStart => self.failover_wait_start(m),
                FailoverState::SelectSlave => self.failover_select_slave(m),
                FailoverState::SendSlaveofNoone => self.failover_send_slaveof_noone(m),
                FailoverState::WaitPromotion => self.failover_wait_promotion(m),
                FailoverState::ReconfSlaves => self.failover_reconf_next_slave(m),
                FailoverState::None | FailoverState::UpdateConfig => {}
            }
            if m >= self.masters.len() || self.out.iter().any(|a| matches!(a, Action::Exit(_))) {
                return;
            }
            let after = self.masters[m].failover_state;
            let chain = self.fast
                && after != before
                && matches!(
                    after,
                    FailoverState::SelectSlave | FailoverState::SendSlaveofNoone
                );
            if !chain {
                return;
            }
        }
    }

    /// wait_start: become leader (or be forced) within the election timeout.
    fn failover_wait_start(&mut self, m: usize) {
        let epoch = self.masters[m].failover_epoch;
        let leader = self.get_leader(m, epoch);
        let isleader = leader.is_some_and(|l| l.eq_ignore_ascii_case(&self.myid));
        let master = &self.masters[m];
        if !isleader && master.inst.flags & FORCE_FAILOVER == 0 {
            let election_timeout = self.tun.election_timeout.min(master.failover_timeout);
            if self.now - master.failover_start_time > election_timeout {
                self.event_at(
                    Level::Warning,
                    "-failover-abort-not-elected",
                    Loc::Master(m),
                    "",
                );
                self.abort_failover(m);
            }
            return;
        }
        self.event_at(Level::Warning, "+elected-leader", Loc::Master(m), "");
        if self.simfailure_flags & SIMFAILURE_CRASH_AFTER_ELECTION != 0 {
            tracing::warn!("Sentinel CRASH because of SENTINEL simulate-failure");
            self.out.push(Action::Exit(99));
            return;
        }
        let master = &mut self.masters[m];
        master.failover_state = FailoverState::SelectSlave;
        master.failover_state_change_time = self.now;
        self.event_at(
            Level::Warning,
            "+failover-state-select-slave",
            Loc::Master(m),
            "",
        );
    }

    /// Fast mode: whether selection should wait for INFO still expected from a reachable
    /// replica (at most one ping period after entering select_slave). Redis selects a few
    /// ticks after the failover started, by which time its one-second INFO polling has
    /// refreshed the replicas; selecting earlier must not use older data.
    fn waiting_for_fresh_info(&mut self, m: usize) -> bool {
        let now = self.now;
        let master = &self.masters[m];
        if now - master.failover_state_change_time >= self.tun.ping_period {
            return false;
        }
        let since = master.failover_info_since;
        let mut waiting = false;
        for r in 0..self.masters[m].replicas.len() {
            let ri = &self.masters[m].replicas[r];
            if ri.flags & (S_DOWN | O_DOWN) != 0 || ri.info_refresh >= since {
                continue;
            }
            let loc = Loc::Replica(m, r);
            if self.is_disconnected(loc) {
                continue;
            }
            waiting = true;
            if self.link_of(loc).is_some_and(|l| l.pending_commands == 0) {
                self.send_info(loc);
            }
        }
        waiting
    }

    /// select_slave: pick the replica or abort.
    fn failover_select_slave(&mut self, m: usize) {
        if self.fast && self.waiting_for_fresh_info(m) {
            return;
        }
        match self.select_slave(m) {
            None => {
                self.event_at(
                    Level::Warning,
                    "-failover-abort-no-good-slave",
                    Loc::Master(m),
                    "",
                );
                self.abort_failover(m);
            }
            Some(r) => {
                self.event_at(Level::Warning, "+selected-slave", Loc::Replica(m, r), "");
                let now = self.now;
                let master = &mut self.masters[m];
                master.replicas[r].flags |= PROMOTED;
                master.promoted = Some(master.replicas[r].name.clone());
                master.failover_state = FailoverState::SendSlaveofNoone;
                master.failover_state_change_time = now;
                self.event_at(
                    Level::Notice,
                    "+failover-state-send-slaveof-noone",
                    Loc::Replica(m, r),
                    "",
                );
            }
        }
    }

    /// Index of the promoted replica.
    fn promoted_index(&self, m: usize) -> Option<usize> {
        let master = &self.masters[m];
        master
            .promoted
            .as_ref()
            .and_then(|k| master.replicas.get_index_of(k))
    }

    /// send_slaveof_noone: promote the chosen replica once it is reachable.
    fn failover_send_slaveof_noone(&mut self, m: usize) {
        let Some(r) = self.promoted_index(m) else {
            self.event_at(
                Level::Warning,
                "-failover-abort-slave-timeout",
                Loc::Master(m),
                "",
            );
            self.abort_failover(m);
            return;
        };
        // A connection still being established cannot carry the transaction yet (Redis
        // would queue it): wait as for a disconnected replica.
        let reachable = self
            .link_of(Loc::Replica(m, r))
            .is_some_and(|l| !l.disconnected && l.cc.is_up());
        if !reachable {
            let master = &self.masters[m];
            if self.now - master.failover_state_change_time > master.failover_timeout {
                self.event_at(
                    Level::Warning,
                    "-failover-abort-slave-timeout",
                    Loc::Master(m),
                    "",
                );
                self.abort_failover(m);
            }
            return;
        }
        if !self.send_slaveof(Loc::Replica(m, r), None) {
            return;
        }
        self.event_at(
            Level::Notice,
            "+failover-state-wait-promotion",
            Loc::Replica(m, r),
            "",
        );
        let master = &mut self.masters[m];
        master.failover_state = FailoverState::WaitPromotion;
        master.failover_state_change_time = self.now;
    }

    /// wait_promotion: only the timeout; INFO from the replica moves the state on.
    fn failover_wait_promotion(&mut self, m: usize) {
        let master = &self.masters[m];
        if self.now - master.failover_state_change_time > master.failover_timeout {
            self.event_at(
                Level::Warning,
                "-failover-abort-slave-timeout",
                Loc::Master(m),
                "",
            );
            self.abort_failover(m);
        }
    }

    /// `sentinelFailoverReconfNextSlave`: point up to parallel-syncs replicas at a time at
    /// the promoted replica, then check for the end of the failover.
    pub(crate) fn failover_reconf_next_slave(&mut self, m: usize) {
        let Some(p) = self.promoted_index(m) else {
            self.failover_detect_end(m);
            return;
        };
        let new_addr = self.masters[m].replicas[p].addr.clone();
        let mut in_progress = self.masters[m]
            .replicas
            .values()
            .filter(|r| r.flags & (RECONF_SENT | RECONF_INPROG) != 0)
            .count() as i64;
        let now = self.now;
        let mut r = 0;
        while in_progress < self.masters[m].parallel_syncs && r < self.masters[m].replicas.len() {
            let slave = &self.masters[m].replicas[r];
            if slave.flags & (PROMOTED | RECONF_DONE) != 0 {
                r += 1;
                continue;
            }
            if slave.flags & RECONF_SENT != 0
                && now - slave.slave_reconf_sent_time > self.tun.slave_reconf_timeout
            {
                self.event_at(
                    Level::Notice,
                    "-slave-reconf-sent-timeout",
                    Loc::Replica(m, r),
                    "",
                );
                let slave = &mut self.masters[m].replicas[r];
                slave.flags &= !RECONF_SENT;
                slave.flags |= RECONF_DONE;
            }
            let flags = self.masters[m].replicas[r].flags;
            if flags & (RECONF_SENT | RECONF_INPROG) != 0
                || self.is_disconnected(Loc::Replica(m, r))
            {
                r += 1;
                continue;
            }
            if self.send_slaveof(Loc::Replica(m, r), Some(&new_addr)) {
                let slave = &mut self.masters[m].replicas[r];
                slave.flags |= RECONF_SENT;
                slave.slave_reconf_sent_time = now;
                self.event_at(Level::Notice, "+slave-reconf-sent", Loc::Replica(m, r), "");
                in_progress += 1;
            }
            r += 1;
        }
        self.failover_detect_end(m);
    }

    /// `sentinelFailoverDetectEnd`.
    fn failover_detect_end(&mut self, m: usize) {
        let now = self.now;
        let Some(p) = self.promoted_index(m) else {
            return;
        };
        let master = &self.masters[m];
        if master.replicas[p].flags & S_DOWN != 0 {
            return;
        }
        let mut not_reconfigured = master
            .replicas
            .values()
            .filter(|r| r.flags & (PROMOTED | RECONF_DONE) == 0 && r.flags & S_DOWN == 0)
            .count();
        let elapsed = now - master.failover_state_change_time;
        let mut timeout = false;
        if elapsed > master.failover_timeout {
            not_reconfigured = 0;
            timeout = true;
            self.event_at(
                Level::Warning,
                "+failover-end-for-timeout",
                Loc::Master(m),
                "",
            );
        }
        if not_reconfigured == 0 {
            self.event_at(Level::Warning, "+failover-end", Loc::Master(m), "");
            let master = &mut self.masters[m];
            master.failover_state = FailoverState::UpdateConfig;
            master.failover_state_change_time = now;
        }
        if timeout {
            let new_addr = self.masters[m].replicas[p].addr.clone();
            for r in 0..self.masters[m].replicas.len() {
                let flags = self.masters[m].replicas[r].flags;
                if flags & (PROMOTED | RECONF_DONE | RECONF_SENT) != 0
                    || self.is_disconnected(Loc::Replica(m, r))
                {
                    continue;
                }
                if self.send_slaveof(Loc::Replica(m, r), Some(&new_addr)) {
                    self.event_at(
                        Level::Notice,
                        "+slave-reconf-sent-be",
                        Loc::Replica(m, r),
                        "",
                    );
                    self.masters[m].replicas[r].flags |= RECONF_SENT;
                }
            }
        }
    }

    /// update_config: `+switch-master`, and the master record moves to the promoted replica.
    pub(crate) fn switch_to_promoted(&mut self, m: usize) {
        let ah = self.announce_hostnames;
        let master = &self.masters[m];
        let target = master
            .promoted_replica()
            .unwrap_or(&master.inst)
            .addr
            .clone();
        let old = &master.inst.addr;
        let msg = format!(
            "{} {} {} {} {}",
            master.inst.name,
            old.reported(ah),
            old.port,
            target.reported(ah),
            target.port
        );
        self.event(Level::Warning, "+switch-master", Some(Loc::Master(m)), msg);
        self.reset_master_and_change_address(m, &target.hostname, i64::from(target.port));
    }

    /// `sentinelAbortFailover` (only possible up to wait_promotion).
    pub(crate) fn abort_failover(&mut self, m: usize) {
        let now = self.now;
        let master = &mut self.masters[m];
        master.inst.flags &= !(FAILOVER_IN_PROGRESS | FORCE_FAILOVER);
        master.failover_state = FailoverState::None;
        master.failover_state_change_time = now;
        if let Some(k) = master.promoted.take()
            && let Some(r) = master.replicas.get_mut(&k)
        {
            r.flags &= !PROMOTED;
        }
    }
}

#[cfg(test)]
mod date_tests {
    #[test]
    fn ctime_format() {
        assert_eq!(super::ctime_utc(0), "Thu Jan  1 00:00:00 1970");
        assert_eq!(
            super::ctime_utc(1_795_441_906_000),
            "Mon Nov 23 13:51:46 2026"
        );
    }
}
