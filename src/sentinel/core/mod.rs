//! The sans-IO Sentinel decision core: everything Redis 7.0's `sentinel.c` decides, driven
//! only by [`Input`]s and the [`Now`] they are stamped with.
//!
//! The core owns the monitored-instance records, link state, epochs, votes and failover state
//! machines. It never touches a socket, a clock or a file (except checking that a script path
//! is executable, as Redis does when the path is configured): the IO layer feeds it inputs and
//! carries out the returned [`Action`]s. Randomness (myid, failover jitter, tick period) comes
//! from an RNG owned by the core, which tests can reseed for reproducible runs.
//!
//! Internal times are "Redis milliseconds": `mono_ms` shifted by a large constant, so that the
//! value 0 keeps meaning "never" exactly as it does with Redis's wall-clock `mstime()`.
//!
//! # Contract details for the IO layer
//! * Every `Connect` carries a fresh connection id; `Send`, `Close` and the inputs about that
//!   connection use it. Inputs about a connection the core already dropped are ignored, so a
//!   late `LinkDown` or reply can never hit its replacement.
//! * Commands are only sent once `LinkUp` was reported (no queueing needed in the IO layer).
//!   The PING Redis queues when it initiates a connection is sent at `LinkUp`.
//! * `next_tick_ms` should be called after every `Tick`: it may return a shorter delay when an
//!   SDOWN deadline is near.
//! * At most one `FlushConfig` per call; the state to write is `config_lines()` after the call.
//!   Redis writes `announce-ip` quoted (`sdscatrepr`).
//! * A few log lines that are not events (failover delay, user-requested failover, failure
//!   simulation, votes seen) go through `tracing`; "Sentinel ID is ..." is the IO layer's.
//!
//! # Deviations from Redis 7.0 (all protocol-compatible; each is commented where it lives)
//! Latency shortcuts (on by default, `set_fast(false)` restores Redis's pacing):
//! * ODOWN, failover start and the election are re-evaluated as soon as an
//!   is-master-down-by-addr answer arrives, not on the next tick (`detect.rs`).
//! * Sentinels whose answer is still missing are asked again every ask_period/10 during the
//!   first five ask periods of an SDOWN instead of once per ask period (`detect.rs`).
//! * Election → replica selection → SLAVEOF NO ONE run back to back (`failover.rs`); replicas
//!   are asked for INFO when the failover starts and selection waits (≤ 1 ping period) for
//!   those answers, so it never uses older data than Redis would (`failover.rs`).
//! * INFO is pipelined right after every SLAVEOF transaction, so promotion and reconfiguration
//!   progress are seen at once instead of at the next 1 s INFO (`failover.rs`).
//! * After promotion, hellos and the first SLAVEOFs to the other replicas go out at once
//!   (`info.rs`); a forced failover starts acting immediately (`commands.rs`).
//! * The tick may be shortened to land on an SDOWN deadline (`next_tick_ms`).
//!
//! Robustness fixes (always on):
//! * Resetting a master (switch, RESET) reconnects it at once and forgets the other sentinels'
//!   "master down" answers about the previous address, which in Redis can fail over a
//!   just-promoted master a second time (`instance.rs`).
//! * A hello carrying our own id through PUBLISH on our port is ignored.
//!
//! Not possible without a resolver in the core: hostnames (with `resolve-hostnames yes`) are
//! kept unresolved and compared by name; the IO layer resolves them at every connection and
//! reports the IP it connected to, which is what `announce-hostnames no` reports to clients
//! (Redis resolves when the address is made and reports that IP). Hellos, SLAVEOF, replica
//! names and the config file keep the hostname, where Redis would use the resolved IP.

mod commands;
mod config;
mod detect;
mod election;
mod events;
mod failover;
mod hello;
mod info;
mod instance;
mod links;
mod tilt;
mod tunables;

#[cfg(test)]
mod tests;

use bytes::Bytes;
use indexmap::IndexMap;
use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};

use crate::resp::Reply;
use crate::sentinel::proto::{Action, Input, InstanceId, Now};

use instance::{Instance, Loc, Master};
use links::Links;
pub use tunables::Tunables;

/// Process options the core needs from the generic server configuration.
#[derive(Clone, Debug, Default)]
pub struct CoreOptions {
    /// Our listening port (hello's sentinel_port unless announce-port).
    pub port: u16,
    /// Legacy fallback credentials towards other sentinels.
    pub requirepass: Option<String>,
}

/// Offset added to `mono_ms` so that internal times are never 0 (0 means "never").
const TIME_BASE: i64 = 1 << 40;

/// Length of a sentinel id.
pub const RUN_ID_SIZE: usize = 40;

/// The Sentinel state machine: all masters, replicas, sentinels, links, epochs and failovers.
pub struct SentinelCore {
    opts: CoreOptions,
    myid: String,
    current_epoch: u64,
    masters: IndexMap<String, Master>,
    tilt: bool,
    tilt_start_time: i64,
    previous_time: i64,
    announce_ip: Option<String>,
    announce_port: i64,
    simfailure_flags: u32,
    deny_scripts_reconfig: bool,
    sentinel_auth_user: Option<String>,
    sentinel_auth_pass: Option<String>,
    resolve_hostnames: bool,
    announce_hostnames: bool,
    tun: Tunables,
    rng: SmallRng,
    next_id: u64,
    links: Links,
    /// Actions produced by the call in progress.
    out: Vec<Action>,
    /// Time of the call in progress (internal ms).
    now: i64,
    /// Wall-clock ms of the call in progress.
    wall: i64,
    /// Act on replies as soon as they make a decision possible instead of waiting for the next
    /// timer tick or the next periodic INFO (see `fast_*` call sites). Tests may turn it off to
    /// compare with Redis's pacing.
    fast: bool,
}

impl SentinelCore {
    /// An empty core (no masters) at time `now`.
    fn empty(opts: CoreOptions, now: Now) -> SentinelCore {
        let t = Self::internal_time(now);
        SentinelCore {
            opts,
            myid: String::new(),
            current_epoch: 0,
            masters: IndexMap::new(),
            tilt: false,
            tilt_start_time: 0,
            previous_time: t,
            announce_ip: None,
            announce_port: 0,
            simfailure_flags: 0,
            deny_scripts_reconfig: true,
            sentinel_auth_user: None,
            sentinel_auth_pass: None,
            resolve_hostnames: false,
            announce_hostnames: false,
            tun: Tunables::default(),
            rng: SmallRng::from_rng(&mut rand::rng()),
            next_id: 0,
            links: Links::default(),
            out: Vec::new(),
            now: t,
            wall: now.wall_ms,
            fast: true,
        }
    }

    fn internal_time(now: Now) -> i64 {
        (now.mono_ms as i64).wrapping_add(TIME_BASE)
    }

    /// Starts a call: records the time.
    fn begin(&mut self, now: Now) {
        self.now = Self::internal_time(now);
        self.wall = now.wall_ms;
    }

    /// Ends a call: hands over the actions.
    fn finish(&mut self) -> Vec<Action> {
        std::mem::take(&mut self.out)
    }

    /// `directives`: every `sentinel ...` line of the config file, as (location "file:line",
    /// args after the word "sentinel" in original case). Applies them in Redis's three passes.
    /// Returns the startup actions (+monitor events, FlushConfig when myid was generated,
    /// initial Connects). The error names the location and the problem.
    pub fn from_config(
        directives: &[(String, Vec<String>)],
        opts: CoreOptions,
        now: Now,
    ) -> Result<(SentinelCore, Vec<Action>), String> {
        let mut core = SentinelCore::empty(opts, now);
        core.load_directives(directives)?;
        core.out.clear();
        if core.myid.is_empty() {
            core.myid = core.random_hex(RUN_ID_SIZE);
            core.out.push(Action::FlushConfig);
        }
        for m in 0..core.masters.len() {
            let q = core.masters[m].quorum;
            core.event_at(
                crate::sentinel::proto::Level::Warning,
                "+monitor",
                Loc::Master(m),
                &format!(" quorum {q}"),
            );
        }
        for loc in core.all_locs() {
            core.reconnect_instance(loc);
        }
        let actions = core.finish();
        Ok((core, actions))
    }

    /// Feeds one input; returns what to do.
    pub fn handle(&mut self, input: Input, now: Now) -> Vec<Action> {
        self.begin(now);
        match input {
            Input::Tick => self.timer(),
            Input::LinkUp {
                id,
                kind,
                local_ip,
                peer_ip,
            } => self.on_link_up(id, kind, local_ip, &peer_ip),
            Input::LinkDown { id, kind } => self.on_link_down(id, kind),
            Input::Reply { id, tag, reply } => self.on_reply(id, tag, reply),
            Input::Message {
                id,
                channel,
                payload,
            } => self.on_message(id, &channel, &payload),
        }
        self.finish()
    }

    /// `SENTINEL <subcommand> ...` (`args[0]` is "sentinel" in any case). Every subcommand;
    /// FLUSHCONFIG and PENDING-SCRIPTS are normally answered by the IO layer. When the actions
    /// contain FlushConfig, the IO layer flushes before replying.
    pub fn command(&mut self, args: &[Bytes], now: Now) -> (Reply, Vec<Action>) {
        self.begin(now);
        let reply = self.sentinel_command(args);
        (reply, self.finish())
    }

    /// A hello received through PUBLISH __sentinel__:hello on our own port.
    pub fn hello_from_client(&mut self, payload: &[u8], now: Now) -> Vec<Action> {
        self.begin(now);
        if let Ok(text) = std::str::from_utf8(payload)
            && !text.contains(self.myid.as_str())
        {
            self.process_hello(text);
        }
        self.finish()
    }

    /// The "# Sentinel" INFO section, complete, with CRLF line ends.
    pub fn info_section(&self, running_scripts: usize, queued_scripts: usize, now: Now) -> String {
        let t = Self::internal_time(now);
        let tilt_since = if self.tilt {
            (t - self.tilt_start_time) / 1000
        } else {
            -1
        };
        let mut s = format!(
            "# Sentinel\r\nsentinel_masters:{}\r\nsentinel_tilt:{}\r\nsentinel_tilt_since_seconds:{}\r\n\
             sentinel_running_scripts:{}\r\nsentinel_scripts_queue_length:{}\r\n\
             sentinel_simulate_failure_flags:{}\r\n",
            self.masters.len(),
            u8::from(self.tilt),
            tilt_since,
            running_scripts,
            queued_scripts,
            self.simfailure_flags
        );
        for (i, m) in self.masters.values().enumerate() {
            let status = if m.inst.flags & instance::O_DOWN != 0 {
                "odown"
            } else if m.inst.flags & instance::S_DOWN != 0 {
                "sdown"
            } else {
                "ok"
            };
            s.push_str(&format!(
                "master{}:name={},status={},address={}:{},slaves={},sentinels={}\r\n",
                i,
                m.inst.name,
                status,
                m.inst.addr.reported(self.announce_hostnames),
                m.inst.addr.port,
                m.replicas.len(),
                m.sentinels.len() + 1
            ));
        }
        s
    }

    /// Master names in configuration order (ROLE).
    pub fn master_names(&self) -> Vec<String> {
        self.masters.keys().cloned().collect()
    }

    /// Our 40-hex id.
    pub fn myid(&self) -> &str {
        &self.myid
    }

    /// Delay until the next Tick: 1000/(10 + rand(0..10)) ms, re-drawn each call.
    ///
    /// Deviation (latency): in fast mode the delay is shortened so that the tick lands just
    /// after the moment an instance would cross its down-after-milliseconds (the SDOWN
    /// deadline of an unanswered PING or a disconnected link), instead of up to 100 ms
    /// later. Only the timing of the evaluation changes, not its outcome.
    pub fn next_tick_ms(&mut self) -> u64 {
        let period = 1000 / (10 + self.rng.random_range(0..10u64));
        if !self.fast || self.tilt {
            return period;
        }
        match self.next_sdown_deadline() {
            Some(d) if d > self.now && ((d - self.now) as u64) < period => (d - self.now) as u64,
            _ => period,
        }
    }

    /// Earliest future time at which a not-yet-SDOWN instance would exceed its down-after
    /// period if nothing changes.
    fn next_sdown_deadline(&self) -> Option<i64> {
        let mut best: Option<i64> = None;
        for loc in self.all_locs() {
            let inst = self.inst(loc);
            if inst.flags & instance::S_DOWN != 0 {
                continue;
            }
            let Some(link) = self.link_of(loc) else {
                continue;
            };
            let since = if link.act_ping_time != 0 {
                link.act_ping_time
            } else if link.disconnected {
                link.last_avail_time
            } else {
                continue;
            };
            let d = since
                .saturating_add(inst.down_after_period)
                .saturating_add(1);
            best = Some(best.map_or(d, |b| b.min(d)));
        }
        best
    }

    /// Current epoch.
    pub fn current_epoch(&self) -> u64 {
        self.current_epoch
    }

    /// The SENTINEL DEBUG timers (the IO layer uses the script ones).
    pub fn tunables(&self) -> &Tunables {
        &self.tun
    }

    /// Reseeds the core's RNG (tests: reproducible jitter and tick periods).
    pub fn reseed(&mut self, seed: u64) {
        self.rng = SmallRng::seed_from_u64(seed);
    }

    /// Turns the latency shortcuts off (pure Redis pacing) or on (default).
    pub fn set_fast(&mut self, fast: bool) {
        self.fast = fast;
    }

    /// Random lowercase hex string (`getRandomHexChars`).
    fn random_hex(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| {
                let d = self.rng.random_range(0..16u32);
                char::from_digit(d, 16).unwrap_or('0')
            })
            .collect()
    }

    /// `rand() % n`.
    fn rand_below(&mut self, n: i64) -> i64 {
        if n <= 0 {
            0
        } else {
            self.rng.random_range(0..n)
        }
    }

    /// The record at `loc`.
    fn inst(&self, loc: Loc) -> &Instance {
        match loc {
            Loc::Master(m) => &self.masters[m].inst,
            Loc::Replica(m, r) => &self.masters[m].replicas[r],
            Loc::Sentinel(m, s) => &self.masters[m].sentinels[s],
        }
    }

    /// Mutable record at `loc`.
    fn inst_mut(&mut self, loc: Loc) -> &mut Instance {
        match loc {
            Loc::Master(m) => &mut self.masters[m].inst,
            Loc::Replica(m, r) => &mut self.masters[m].replicas[r],
            Loc::Sentinel(m, s) => &mut self.masters[m].sentinels[s],
        }
    }

    /// Finds a record by id.
    fn locate(&self, id: InstanceId) -> Option<Loc> {
        for (m, master) in self.masters.values().enumerate() {
            if master.inst.id == id {
                return Some(Loc::Master(m));
            }
            if let Some(r) = master.replicas.values().position(|i| i.id == id) {
                return Some(Loc::Replica(m, r));
            }
            if let Some(s) = master.sentinels.values().position(|i| i.id == id) {
                return Some(Loc::Sentinel(m, s));
            }
        }
        None
    }

    /// Every record, masters first, each followed by its replicas and sentinels.
    fn all_locs(&self) -> Vec<Loc> {
        let mut v = Vec::new();
        for (m, master) in self.masters.values().enumerate() {
            v.push(Loc::Master(m));
            v.extend((0..master.replicas.len()).map(|r| Loc::Replica(m, r)));
            v.extend((0..master.sentinels.len()).map(|s| Loc::Sentinel(m, s)));
        }
        v
    }

    /// `sentinelTimer` (minus scripts, which the IO layer runs).
    fn timer(&mut self) {
        self.check_tilt_condition();
        let mut switch = Vec::new();
        let mut m = 0;
        while m < self.masters.len() {
            self.handle_instance(Loc::Master(m));
            let mut r = 0;
            while m < self.masters.len() && r < self.masters[m].replicas.len() {
                self.handle_instance(Loc::Replica(m, r));
                r += 1;
            }
            let mut s = 0;
            while m < self.masters.len() && s < self.masters[m].sentinels.len() {
                self.handle_instance(Loc::Sentinel(m, s));
                s += 1;
            }
            if m < self.masters.len()
                && self.masters[m].failover_state == instance::FailoverState::UpdateConfig
            {
                switch.push(self.masters[m].inst.name.clone());
            }
            m += 1;
        }
        for name in switch {
            if let Some(m) = self.masters.get_index_of(&name) {
                self.switch_to_promoted(m);
            }
        }
    }

    /// `sentinelHandleRedisInstance`.
    fn handle_instance(&mut self, loc: Loc) {
        self.reconnect_instance(loc);
        self.send_periodic_commands(loc);
        if self.tilt {
            if self.now - self.tilt_start_time < self.tun.tilt_period {
                return;
            }
            self.tilt = false;
            self.event(
                crate::sentinel::proto::Level::Warning,
                "-tilt",
                None,
                "#tilt mode exited".to_string(),
            );
        }
        self.check_subjectively_down(loc);
        if let Loc::Master(m) = loc {
            self.act_on_master(m);
        }
    }

    /// The master-only acting half: ODOWN, failover start, state machine, asking others.
    fn act_on_master(&mut self, m: usize) {
        self.check_objectively_down(m);
        if self.start_failover_if_needed(m) {
            self.ask_master_state_to_other_sentinels(m, true);
        }
        self.failover_state_machine(m);
        self.ask_master_state_to_other_sentinels(m, false);
    }
}
