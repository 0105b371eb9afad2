//! `sentinel ...` configuration directives: loading in Redis's three passes, and the state to
//! persist (`config_lines`, the order `rewriteConfigSentinelOption` writes).

use super::SentinelCore;
use super::instance::{MASTER, SENTINEL, SLAVE};
use crate::util::c_num::{atoi, strtoull};

/// Directives applied before `monitor` (Redis's `preMonitorCfgName`).
const PRE_MONITOR: [&str; 9] = [
    "announce-ip",
    "announce-port",
    "deny-scripts-reconfig",
    "sentinel-user",
    "sentinel-pass",
    "current-epoch",
    "myid",
    "resolve-hostnames",
    "announce-hostnames",
];

/// Redis `yesnotoi`.
pub fn yesno(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("yes") {
        Some(true)
    } else if s.eq_ignore_ascii_case("no") {
        Some(false)
    } else {
        None
    }
}

/// `access(path, X_OK)`: an existing file with an execute bit.
pub fn is_executable(path: &str) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        std::path::Path::new(path).exists()
    }
}

impl SentinelCore {
    /// Applies every directive in Redis's three passes; stops at the first error.
    pub(crate) fn load_directives(
        &mut self,
        directives: &[(String, Vec<String>)],
    ) -> Result<(), String> {
        let pass_of = |args: &Vec<String>| -> u8 {
            match args.first() {
                Some(d) if d.eq_ignore_ascii_case("monitor") => 1,
                Some(d) if PRE_MONITOR.iter().any(|p| d.eq_ignore_ascii_case(p)) => 0,
                _ => 2,
            }
        };
        for pass in 0..3u8 {
            for (location, args) in directives {
                if pass_of(args) != pass {
                    continue;
                }
                if let Err(e) = self.apply_directive(args) {
                    return Err(format!("{location}: {e}"));
                }
            }
        }
        Ok(())
    }

    /// `sentinelHandleConfiguration`: one directive (args after "sentinel").
    pub(crate) fn apply_directive(&mut self, argv: &[String]) -> Result<(), &'static str> {
        const NO_MASTER: &str = "No such master with specified name.";
        let Some(d) = argv.first() else {
            return Err("Unrecognized sentinel configuration statement.");
        };
        let d = d.to_ascii_lowercase();
        let argc = argv.len();
        let master = |core: &SentinelCore| -> Result<usize, &'static str> {
            core.masters.get_index_of(&argv[1]).ok_or(NO_MASTER)
        };
        match (d.as_str(), argc) {
            ("monitor", 5) => {
                let quorum = atoi(&argv[4]);
                if quorum <= 0 {
                    return Err("Quorum must be 1 or greater.");
                }
                self.create_master(&argv[1], &argv[2], atoi(&argv[3]), quorum as u32)
                    .map_err(|e| e.message(MASTER))?;
            }
            ("down-after-milliseconds", 3) => {
                let m = master(self)?;
                let v = atoi(&argv[2]);
                self.masters[m].inst.down_after_period = v;
                if v <= 0 {
                    return Err("negative or zero time parameter.");
                }
                self.propagate_down_after(m);
            }
            ("failover-timeout", 3) => {
                let m = master(self)?;
                let v = atoi(&argv[2]);
                self.masters[m].failover_timeout = v;
                if v <= 0 {
                    return Err("negative or zero time parameter.");
                }
            }
            ("parallel-syncs", 3) => {
                let m = master(self)?;
                self.masters[m].parallel_syncs = atoi(&argv[2]);
            }
            ("notification-script", 3) => {
                let m = master(self)?;
                if !is_executable(&argv[2]) {
                    return Err("Notification script seems non existing or non executable.");
                }
                self.masters[m].notification_script = Some(argv[2].clone());
            }
            ("client-reconfig-script", 3) => {
                let m = master(self)?;
                if !is_executable(&argv[2]) {
                    return Err(
                        "Client reconfiguration script seems non existing or non executable.",
                    );
                }
                self.masters[m].client_reconfig_script = Some(argv[2].clone());
            }
            ("auth-pass", 3) => {
                let m = master(self)?;
                self.masters[m].auth_pass = Some(argv[2].clone());
            }
            ("auth-user", 3) => {
                let m = master(self)?;
                self.masters[m].auth_user = Some(argv[2].clone());
            }
            ("current-epoch", 2) => {
                let e = strtoull(&argv[1]);
                if e > self.current_epoch {
                    self.current_epoch = e;
                }
            }
            ("myid", 2) => {
                if argv[1].len() != super::RUN_ID_SIZE {
                    return Err("Malformed Sentinel id in myid option.");
                }
                self.myid = argv[1].clone();
            }
            ("config-epoch", 3) => {
                let m = master(self)?;
                let e = strtoull(&argv[2]);
                self.masters[m].config_epoch = e;
                if e > self.current_epoch {
                    self.current_epoch = e;
                }
            }
            ("leader-epoch", 3) => {
                let m = master(self)?;
                self.masters[m].inst.leader_epoch = strtoull(&argv[2]);
            }
            ("known-slave" | "known-replica", 4) => {
                let m = master(self)?;
                self.create_replica(m, &argv[2], atoi(&argv[3]))
                    .map_err(|e| e.message(SLAVE))?;
            }
            ("known-sentinel", 4) => {
                // The old form without runid is ignored.
            }
            ("known-sentinel", 5) => {
                let m = master(self)?;
                let s = self
                    .create_sentinel(m, &argv[4], &argv[2], atoi(&argv[3]))
                    .map_err(|e| e.message(SENTINEL))?;
                self.try_connection_sharing(m, s);
            }
            ("rename-command", 4) => {
                let m = master(self)?;
                let renamed = &mut self.masters[m].renamed;
                if renamed
                    .iter()
                    .any(|(f, _)| f.eq_ignore_ascii_case(&argv[2]))
                {
                    return Err("Same command renamed multiple times with rename-command.");
                }
                renamed.push((argv[2].clone(), argv[3].clone()));
            }
            ("announce-ip", 2) => {
                if !argv[1].is_empty() {
                    self.announce_ip = Some(argv[1].clone());
                }
            }
            ("announce-port", 2) => self.announce_port = atoi(&argv[1]),
            ("deny-scripts-reconfig", 2) => {
                self.deny_scripts_reconfig = yesno(&argv[1])
                    .ok_or("Please specify yes or no for the deny-scripts-reconfig options.")?;
            }
            ("sentinel-user", 2) => {
                if !argv[1].is_empty() {
                    self.sentinel_auth_user = Some(argv[1].clone());
                }
            }
            ("sentinel-pass", 2) => {
                if !argv[1].is_empty() {
                    self.sentinel_auth_pass = Some(argv[1].clone());
                }
            }
            ("resolve-hostnames", 2) => {
                self.resolve_hostnames = yesno(&argv[1])
                    .ok_or("Please specify yes or no for the resolve-hostnames option.")?;
            }
            ("announce-hostnames", 2) => {
                self.announce_hostnames = yesno(&argv[1])
                    .ok_or("Please specify yes or no for the announce-hostnames option.")?;
            }
            ("master-reboot-down-after-period", 3) => {
                let m = master(self)?;
                let v = atoi(&argv[2]);
                self.masters[m].inst.master_reboot_down_after_period = v;
                if v < 0 {
                    return Err("negative time parameter.");
                }
            }
            _ => return Err("Unrecognized sentinel configuration statement."),
        }
        Ok(())
    }

    /// State to persist: every `sentinel ...` line, as the args after "sentinel", in Redis's
    /// rewrite order.
    pub fn config_lines(&self) -> Vec<Vec<String>> {
        let ah = self.announce_hostnames;
        let mut out: Vec<Vec<String>> = Vec::new();
        let line = |parts: &[&str]| parts.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let yn = |b: bool| if b { "yes" } else { "no" };
        out.push(line(&["myid", &self.myid]));
        if !self.deny_scripts_reconfig {
            out.push(line(&[
                "deny-scripts-reconfig",
                yn(self.deny_scripts_reconfig),
            ]));
        }
        if self.resolve_hostnames {
            out.push(line(&["resolve-hostnames", yn(self.resolve_hostnames)]));
        }
        if self.announce_hostnames {
            out.push(line(&["announce-hostnames", yn(self.announce_hostnames)]));
        }
        for master in self.masters.values() {
            let name = master.inst.name.as_str();
            let addr = master.current_addr();
            out.push(line(&[
                "monitor",
                name,
                addr.announce(ah),
                &addr.port.to_string(),
                &master.quorum.to_string(),
            ]));
            if master.inst.down_after_period != self.tun.default_down_after {
                out.push(line(&[
                    "down-after-milliseconds",
                    name,
                    &master.inst.down_after_period.to_string(),
                ]));
            }
            if master.failover_timeout != self.tun.default_failover_timeout {
                out.push(line(&[
                    "failover-timeout",
                    name,
                    &master.failover_timeout.to_string(),
                ]));
            }
            if master.parallel_syncs != 1 {
                out.push(line(&[
                    "parallel-syncs",
                    name,
                    &master.parallel_syncs.to_string(),
                ]));
            }
            if let Some(s) = &master.notification_script {
                out.push(line(&["notification-script", name, s]));
            }
            if let Some(s) = &master.client_reconfig_script {
                out.push(line(&["client-reconfig-script", name, s]));
            }
            if let Some(s) = &master.auth_pass {
                out.push(line(&["auth-pass", name, s]));
            }
            if let Some(s) = &master.auth_user {
                out.push(line(&["auth-user", name, s]));
            }
            if master.inst.master_reboot_down_after_period != 0 {
                out.push(line(&[
                    "master-reboot-down-after-period",
                    name,
                    &master.inst.master_reboot_down_after_period.to_string(),
                ]));
            }
            out.push(line(&[
                "config-epoch",
                name,
                &master.config_epoch.to_string(),
            ]));
            out.push(line(&[
                "leader-epoch",
                name,
                &master.inst.leader_epoch.to_string(),
            ]));
            for r in master.replicas.values() {
                // A replica already promoted (failover past wait_promotion) is written with
                // the old master's address: that is where a replica now lives.
                let a = if r.addr.same_ip(addr) {
                    &master.inst.addr
                } else {
                    &r.addr
                };
                out.push(line(&[
                    "known-replica",
                    name,
                    a.announce(ah),
                    &a.port.to_string(),
                ]));
            }
            for s in master.sentinels.values() {
                let Some(runid) = &s.runid else { continue };
                out.push(line(&[
                    "known-sentinel",
                    name,
                    s.addr.announce(ah),
                    &s.addr.port.to_string(),
                    runid,
                ]));
            }
            for (from, to) in &master.renamed {
                out.push(line(&["rename-command", name, from, to]));
            }
        }
        out.push(line(&["current-epoch", &self.current_epoch.to_string()]));
        if let Some(ip) = &self.announce_ip {
            out.push(line(&["announce-ip", ip]));
        }
        if self.announce_port != 0 {
            out.push(line(&["announce-port", &self.announce_port.to_string()]));
        }
        if let Some(u) = &self.sentinel_auth_user {
            out.push(line(&["sentinel-user", u]));
        }
        if let Some(p) = &self.sentinel_auth_pass {
            out.push(line(&["sentinel-pass", p]));
        }
        out
    }
}
