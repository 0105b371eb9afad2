//! The 13 timers `SENTINEL DEBUG` shows and changes (all in milliseconds).
//!
//! They are process-wide in Redis (file-level statics); the upstream test suite shortens
//! several of them to run failovers in seconds, so the names, order and validation match.

use crate::util::num::parse_i64;

/// Sentinel timers, as `SENTINEL DEBUG` lists them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tunables {
    /// INFO period to masters and replicas.
    pub info_period: i64,
    /// PING period (capped by down-after), also the minimum reconnect interval.
    pub ping_period: i64,
    /// is-master-down-by-addr period while a master is SDOWN.
    pub ask_period: i64,
    /// Hello period.
    pub publish_period: i64,
    /// down-after-milliseconds of newly created masters.
    pub default_down_after: i64,
    /// failover-timeout of newly created masters.
    pub default_failover_timeout: i64,
    /// Timer delta that enters TILT.
    pub tilt_trigger: i64,
    /// TILT duration.
    pub tilt_period: i64,
    /// RECONF_SENT considered done after this.
    pub slave_reconf_timeout: i64,
    /// A link must be this old before it is closed for inactivity.
    pub min_link_reconnect_period: i64,
    /// Election timeout (capped by failover-timeout).
    pub election_timeout: i64,
    /// Notification/reconfig scripts are killed after this (IO layer).
    pub script_max_runtime: i64,
    /// First retry delay of a failed script, doubled per retry (IO layer).
    pub script_retry_delay: i64,
}

impl Default for Tunables {
    fn default() -> Tunables {
        Tunables {
            info_period: 10000,
            ping_period: 1000,
            ask_period: 1000,
            publish_period: 2000,
            default_down_after: 30000,
            default_failover_timeout: 180000,
            tilt_trigger: 2000,
            tilt_period: 30000,
            slave_reconf_timeout: 10000,
            min_link_reconnect_period: 15000,
            election_timeout: 10000,
            script_max_runtime: 60000,
            script_retry_delay: 30000,
        }
    }
}

impl Tunables {
    /// (SENTINEL DEBUG name, value) in Redis's reply order.
    pub fn list(&self) -> [(&'static str, i64); 13] {
        [
            ("INFO-PERIOD", self.info_period),
            ("PING-PERIOD", self.ping_period),
            ("ASK-PERIOD", self.ask_period),
            ("PUBLISH-PERIOD", self.publish_period),
            ("DEFAULT-DOWN-AFTER", self.default_down_after),
            ("DEFAULT-FAILOVER-TIMEOUT", self.default_failover_timeout),
            ("TILT-TRIGGER", self.tilt_trigger),
            ("TILT-PERIOD", self.tilt_period),
            ("SLAVE-RECONF-TIMEOUT", self.slave_reconf_timeout),
            ("MIN-LINK-RECONNECT-PERIOD", self.min_link_reconnect_period),
            ("ELECTION-TIMEOUT", self.election_timeout),
            ("SCRIPT-MAX-RUNTIME", self.script_max_runtime),
            ("SCRIPT-RETRY-DELAY", self.script_retry_delay),
        ]
    }

    /// The field named `name` (case-insensitive, SENTINEL DEBUG spelling).
    fn field(&mut self, name: &str) -> Option<&mut i64> {
        let f = match name.to_ascii_lowercase().as_str() {
            "info-period" => &mut self.info_period,
            "ping-period" => &mut self.ping_period,
            "ask-period" => &mut self.ask_period,
            "publish-period" => &mut self.publish_period,
            "default-down-after" => &mut self.default_down_after,
            "default-failover-timeout" => &mut self.default_failover_timeout,
            "tilt-trigger" => &mut self.tilt_trigger,
            "tilt-period" => &mut self.tilt_period,
            "slave-reconf-timeout" => &mut self.slave_reconf_timeout,
            "min-link-reconnect-period" => &mut self.min_link_reconnect_period,
            "election-timeout" => &mut self.election_timeout,
            "script-max-runtime" => &mut self.script_max_runtime,
            "script-retry-delay" => &mut self.script_retry_delay,
            _ => return None,
        };
        Some(f)
    }

    /// `SENTINEL DEBUG <param> <ms> [...]`: applies the pairs in order (earlier ones stay
    /// applied when a later one fails, as in Redis). Returns the error text on failure.
    pub fn apply(&mut self, args: &[String]) -> Result<(), String> {
        let mut j = 0;
        while j < args.len() {
            let option = &args[j];
            let more = args.len() - 1 - j;
            if more == 0 || self.field(option).is_none() {
                return Err(format!(
                    "ERR Unknown option or number of arguments for SENTINEL DEBUG '{option}'"
                ));
            }
            j += 1;
            let value = &args[j];
            match parse_i64(value.as_bytes()) {
                Some(v) if v > 0 => {
                    if let Some(f) = self.field(option) {
                        *f = v;
                    }
                }
                _ => {
                    return Err(format!(
                        "ERR Invalid argument '{value}' for SENTINEL DEBUG '{option}'"
                    ));
                }
            }
            j += 1;
        }
        Ok(())
    }
}
