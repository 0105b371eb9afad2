//! Failure detection: SDOWN (no valid PING reply within down-after-milliseconds), ODOWN (a
//! quorum of sentinels agree, learned through `SENTINEL is-master-down-by-addr`), and the
//! vote a sentinel casts when asked.

use crate::resp::Reply;
use crate::sentinel::proto::Level;

use super::SentinelCore;
use super::instance::{
    FailoverState, Loc, MASTER, MASTER_DOWN, MASTER_REBOOT, O_DOWN, Role, S_DOWN, SCRIPT_KILL_SENT,
};
use super::links::CmdKind;

impl SentinelCore {
    /// `sentinelCheckSubjectivelyDown` (with its link hygiene).
    pub(crate) fn check_subjectively_down(&mut self, loc: Loc) {
        let now = self.now;
        let elapsed = match self.link_of(loc) {
            Some(l) if l.act_ping_time != 0 => now - l.act_ping_time,
            Some(l) if l.disconnected => now - l.last_avail_time,
            Some(_) => 0,
            None => 0,
        };
        self.close_idle_links(loc);
        let info_period = self.tun.info_period;
        let inst = self.inst(loc);
        let down = elapsed > inst.down_after_period
            || (inst.flags & MASTER != 0
                && inst.role_reported == Role::Slave
                && now - inst.role_reported_time
                    > inst
                        .down_after_period
                        .saturating_add(info_period.saturating_mul(2)))
            || (inst.flags & MASTER_REBOOT != 0
                && now - inst.master_reboot_since_time > inst.master_reboot_down_after_period);
        if down {
            if inst.flags & S_DOWN == 0 {
                self.event_at(Level::Warning, "+sdown", loc, "");
                let inst = self.inst_mut(loc);
                inst.s_down_since_time = now;
                inst.flags |= S_DOWN;
            }
        } else if inst.flags & S_DOWN != 0 {
            self.event_at(Level::Warning, "-sdown", loc, "");
            self.inst_mut(loc).flags &= !(S_DOWN | SCRIPT_KILL_SENT);
        }
    }

    /// `sentinelCheckObjectivelyDown`.
    pub(crate) fn check_objectively_down(&mut self, m: usize) {
        let master = &self.masters[m];
        let mut quorum = 0u32;
        let mut odown = false;
        if master.inst.flags & S_DOWN != 0 {
            quorum = 1 + master
                .sentinels
                .values()
                .filter(|s| s.flags & MASTER_DOWN != 0)
                .count() as u32;
            odown = quorum >= master.quorum;
        }
        let flags = master.inst.flags;
        let q = master.quorum;
        if odown {
            if flags & O_DOWN == 0 {
                self.event_at(
                    Level::Warning,
                    "+odown",
                    Loc::Master(m),
                    &format!(" #quorum {quorum}/{q}"),
                );
                let inst = &mut self.masters[m].inst;
                inst.flags |= O_DOWN;
                inst.o_down_since_time = self.now;
            }
        } else if flags & O_DOWN != 0 {
            self.event_at(Level::Warning, "-odown", Loc::Master(m), "");
            self.masters[m].inst.flags &= !O_DOWN;
        }
    }

    /// `sentinelAskMasterStateToOtherSentinels`. `forced` asks every connected sentinel now
    /// (failover just started).
    ///
    /// Deviation (latency): Redis asks each sentinel at most once per ask period. In fast
    /// mode, during the first five ask periods of an SDOWN, a sentinel whose answer we still
    /// miss (it did not report the master down yet while we lack ODOWN, or it has not voted
    /// in the current epoch while we wait to be elected) is asked again as soon as its
    /// previous answer arrived, at most every ask_period/10. Answers are idempotent (one vote
    /// per epoch), so other sentinels see nothing but a few more requests.
    pub(crate) fn ask_master_state_to_other_sentinels(&mut self, m: usize, forced: bool) {
        let now = self.now;
        let ask_period = self.tun.ask_period;
        for s in 0..self.masters[m].sentinels.len() {
            let ri = &mut self.masters[m].sentinels[s];
            let elapsed = now - ri.last_master_down_reply_time;
            if elapsed > ask_period.saturating_mul(5) {
                ri.flags &= !MASTER_DOWN;
                ri.leader = None;
            }
            let master = &self.masters[m];
            if master.inst.flags & S_DOWN == 0 {
                continue;
            }
            if self.is_disconnected(Loc::Sentinel(m, s)) {
                continue;
            }
            let ri = &master.sentinels[s];
            let due = forced || now - ri.last_master_down_reply_time >= ask_period;
            let early = self.fast
                && !due
                && ri.last_master_down_reply_time >= ri.last_ask_time
                && now - ri.last_ask_time >= ask_period / 10
                && now - master.inst.s_down_since_time <= ask_period.saturating_mul(5)
                && if master.failover_state == FailoverState::WaitStart {
                    ri.leader.is_none() || ri.leader_epoch != self.current_epoch
                } else {
                    master.inst.flags & O_DOWN == 0 && ri.flags & MASTER_DOWN == 0
                };
            if !due && !early {
                continue;
            }
            let ah = self.announce_hostnames;
            let addr = master.inst.addr.announce(ah).to_string();
            let port = master.inst.addr.port.to_string();
            let epoch = self.current_epoch.to_string();
            let runid = if master.failover_state > FailoverState::None {
                self.myid.clone()
            } else {
                "*".to_string()
            };
            let loc = Loc::Sentinel(m, s);
            if self.send_cmd(
                loc,
                CmdKind::IsMasterDown,
                "SENTINEL",
                &["is-master-down-by-addr", &addr, &port, &epoch, &runid],
            ) {
                self.masters[m].sentinels[s].last_ask_time = now;
            }
        }
    }

    /// `sentinelReceiveIsMasterDownReply`.
    pub(crate) fn on_is_master_down_reply(&mut self, loc: Loc, reply: &Reply) {
        let Reply::Array(items) = reply else {
            return;
        };
        let [Reply::Int(down), Reply::Bulk(leader), Reply::Int(epoch)] = items.as_slice() else {
            return;
        };
        let now = self.now;
        let leader = String::from_utf8_lossy(leader).into_owned();
        let ri = self.inst_mut(loc);
        ri.last_master_down_reply_time = now;
        if *down == 1 {
            ri.flags |= MASTER_DOWN;
        } else {
            ri.flags &= !MASTER_DOWN;
        }
        if leader != "*" {
            if ri.leader_epoch as i64 != *epoch {
                tracing::warn!("{} voted for {} {}", ri.name, leader, *epoch as u64);
            }
            ri.leader = Some(leader);
            ri.leader_epoch = *epoch as u64;
        }
        if self.fast && !self.tilt {
            // Deviation (latency): Redis re-evaluates ODOWN and the election on its next
            // timer tick; we do it as soon as the answer that may complete them arrives.
            self.act_on_master(loc.master());
        }
    }

    /// `sentinelVoteLeader`: vote for `req_runid` in `req_epoch` unless we already voted in
    /// that epoch or a later one. Returns our (possibly older) vote and its epoch.
    pub(crate) fn vote_leader(
        &mut self,
        m: usize,
        req_epoch: u64,
        req_runid: &str,
    ) -> (Option<String>, u64) {
        if req_epoch > self.current_epoch {
            self.current_epoch = req_epoch;
            self.flush_config();
            self.event(
                Level::Warning,
                "+new-epoch",
                Some(Loc::Master(m)),
                self.current_epoch.to_string(),
            );
        }
        if self.masters[m].inst.leader_epoch < req_epoch && self.current_epoch <= req_epoch {
            let epoch = self.current_epoch;
            let master = &mut self.masters[m];
            master.inst.leader = Some(req_runid.to_string());
            master.inst.leader_epoch = epoch;
            self.flush_config();
            self.event(
                Level::Warning,
                "+vote-for-leader",
                Some(Loc::Master(m)),
                format!("{req_runid} {epoch}"),
            );
            if !req_runid.eq_ignore_ascii_case(&self.myid) {
                let jitter = self.rand_below(super::failover::MAX_DESYNC);
                self.masters[m].failover_start_time = self.now + jitter;
            }
        }
        let master = &self.masters[m];
        (master.inst.leader.clone(), master.inst.leader_epoch)
    }
}
