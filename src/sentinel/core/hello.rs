//! Hello messages on `__sentinel__:hello`: how sentinels discover each other and propagate
//! configurations (`sentinelSendHello`, `sentinelProcessHelloMessage`).
//!
//! Payload: `<ip>,<port>,<runid>,<current_epoch>,<master_name>,<master_ip>,<master_port>,
//! <master_config_epoch>`.

use crate::sentinel::proto::Level;

use super::SentinelCore;
use super::instance::Loc;
use super::links::CmdKind;
use crate::util::c_num::{atoi, strtoull};

/// The hello channel.
pub const HELLO_CHANNEL: &str = "__sentinel__:hello";

impl SentinelCore {
    /// `sentinelSendHello`: PUBLISH our hello for the master of `loc` to that instance.
    pub(crate) fn send_hello(&mut self, loc: Loc) -> bool {
        if self.is_disconnected(loc) {
            return false;
        }
        let ip = match &self.announce_ip {
            Some(ip) => ip.clone(),
            None => match self.link_of(loc).and_then(|l| l.local_ip.clone()) {
                Some(ip) => ip,
                None => return false,
            },
        };
        let port = if self.announce_port != 0 {
            self.announce_port
        } else {
            i64::from(self.opts.port)
        };
        let master = &self.masters[loc.master()];
        let maddr = master.current_addr();
        let payload = format!(
            "{},{},{},{},{},{},{},{}",
            ip,
            port,
            self.myid,
            self.current_epoch,
            master.inst.name,
            maddr.announce(self.announce_hostnames),
            maddr.port,
            master.config_epoch
        );
        self.send_cmd(loc, CmdKind::Publish, "PUBLISH", &[HELLO_CHANNEL, &payload])
    }

    /// `sentinelForceHelloUpdateForMaster`: backdate the last hello so that one goes out to
    /// the master, its replicas and its sentinels on the next tick.
    pub(crate) fn force_hello_update(&mut self, m: usize) {
        let back = self.tun.publish_period.saturating_add(1);
        let master = &mut self.masters[m];
        let all = std::iter::once(&mut master.inst)
            .chain(master.sentinels.values_mut())
            .chain(master.replicas.values_mut());
        for ri in all {
            if ri.last_pub_time >= back {
                ri.last_pub_time -= back;
            }
        }
    }

    /// Sends the hellos that are due for master `m` now rather than on the next tick.
    pub(crate) fn send_hellos_now(&mut self, m: usize) {
        let now = self.now;
        let period = self.tun.publish_period;
        let master = &self.masters[m];
        let mut locs = vec![Loc::Master(m)];
        locs.extend((0..master.replicas.len()).map(|r| Loc::Replica(m, r)));
        locs.extend((0..master.sentinels.len()).map(|s| Loc::Sentinel(m, s)));
        for loc in locs {
            if now - self.inst(loc).last_pub_time > period {
                self.send_hello(loc);
            }
        }
    }

    /// `sentinelProcessHelloMessage`: a hello from another sentinel (via a monitored
    /// instance's pub/sub, or PUBLISH on our own port).
    pub(crate) fn process_hello(&mut self, hello: &str) {
        let token: Vec<&str> = hello.split(',').collect();
        if token.len() != 8 {
            return;
        }
        let Some(mut m) = self.masters.get_index_of(token[4]) else {
            return;
        };
        let port = atoi(token[1]);
        let master_port = atoi(token[6]);
        let current_epoch = strtoull(token[3]);
        let master_config_epoch = strtoull(token[7]);
        let mut si = self.find_sentinel(m, Some((token[0], port)), Some(token[2]));
        if si.is_none() {
            let removed = self.remove_sentinels_with_runid(m, token[2]);
            if removed > 0 {
                self.event_at(
                    Level::Notice,
                    "+sentinel-address-switch",
                    Loc::Master(m),
                    &format!(" ip {} port {} for {}", token[0], port, token[2]),
                );
            } else if let Some(other) = self.find_sentinel(m, Some((token[0], port)), None) {
                self.event_at(
                    Level::Notice,
                    "+sentinel-invalid-addr",
                    Loc::Sentinel(m, other),
                    "",
                );
                if let Some(obsolete) = self.masters[m].sentinels[other].runid.clone() {
                    let name = self.masters[m].inst.name.clone();
                    for om in 0..self.masters.len() {
                        self.remove_sentinels_with_runid(om, &obsolete);
                    }
                    match self.masters.get_index_of(&name) {
                        Some(i) => m = i,
                        None => return,
                    }
                }
            }
            if let Ok(s) = self.create_sentinel(m, token[2], token[0], port) {
                if removed == 0 {
                    self.event_at(Level::Notice, "+sentinel", Loc::Sentinel(m, s), "");
                }
                self.try_connection_sharing(m, s);
                if removed > 0 {
                    self.update_sentinel_address_in_all_masters(m, s);
                }
                self.flush_config();
                si = Some(s);
            }
        }
        if current_epoch > self.current_epoch {
            self.current_epoch = current_epoch;
            self.flush_config();
            self.event(
                Level::Warning,
                "+new-epoch",
                Some(Loc::Master(m)),
                current_epoch.to_string(),
            );
        }
        if let Some(s) = si
            && self.masters[m].config_epoch < master_config_epoch
        {
            self.masters[m].config_epoch = master_config_epoch;
            let addr = &self.masters[m].inst.addr;
            if i64::from(addr.port) != master_port
                || !addr.equals_host(token[5], self.resolve_hostnames)
            {
                self.event_at(
                    Level::Warning,
                    "+config-update-from",
                    Loc::Sentinel(m, s),
                    "",
                );
                let ah = self.announce_hostnames;
                let old = self.masters[m].inst.addr.clone();
                let msg = format!(
                    "{} {} {} {} {}",
                    self.masters[m].inst.name,
                    old.reported(ah),
                    old.port,
                    token[5],
                    master_port
                );
                self.event(Level::Warning, "+switch-master", Some(Loc::Master(m)), msg);
                self.reset_master_and_change_address(m, token[5], master_port);
                let new = self.masters[m].inst.addr.clone();
                self.call_client_reconf_script(m, false, &old, &new);
            }
        }
        let runid = token[2];
        if let Some(s) = self.masters[m]
            .sentinels
            .values()
            .position(|x| x.runid.as_deref() == Some(runid))
        {
            let now = self.now;
            self.masters[m].sentinels[s].last_hello_time = now;
        }
    }
}
