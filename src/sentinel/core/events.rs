//! Sentinel events (`sentinelEvent`): the exact payload formats published on the event's
//! channel and logged, and the notification-script hook.
//!
//! The instance descriptor Redis writes for `%@` is `<type> <name> <ip> <port>`, followed for
//! replicas and sentinels by ` @ <master-name> <master-ip> <master-port>`.

use crate::sentinel::proto::{Action, Event, Level};

use super::SentinelCore;
use super::instance::Loc;

impl SentinelCore {
    /// The `%@` descriptor of the record at `loc`.
    pub(crate) fn describe(&self, loc: Loc) -> String {
        let ah = self.announce_hostnames;
        let inst = self.inst(loc);
        let head = format!(
            "{} {} {} {}",
            inst.type_str(),
            inst.name,
            inst.addr.reported(ah),
            inst.addr.port
        );
        match loc {
            Loc::Master(_) => head,
            Loc::Replica(m, _) | Loc::Sentinel(m, _) => {
                let master = &self.masters[m].inst;
                format!(
                    "{head} @ {} {} {}",
                    master.name,
                    master.addr.reported(ah),
                    master.addr.port
                )
            }
        }
    }

    /// Emits an event with a complete message. `loc` ties it to an instance, whose master's
    /// notification-script then runs for warning-level events.
    pub(crate) fn event(&mut self, level: Level, kind: &str, loc: Option<Loc>, message: String) {
        let notify_script = match (level, loc) {
            (Level::Warning, Some(loc)) => self.masters[loc.master()].notification_script.clone(),
            _ => None,
        };
        self.out.push(Action::Event(Event {
            kind: kind.to_string(),
            message,
            level,
            notify_script,
        }));
    }

    /// Emits an event whose message is the `%@` descriptor followed by `suffix`.
    pub(crate) fn event_at(&mut self, level: Level, kind: &str, loc: Loc, suffix: &str) {
        let msg = format!("{}{}", self.describe(loc), suffix);
        self.event(level, kind, Some(loc), msg);
    }

    /// Requests a config flush (once per call: the IO layer writes the final state).
    pub(crate) fn flush_config(&mut self) {
        if !self.out.iter().any(|a| matches!(a, Action::FlushConfig)) {
            self.out.push(Action::FlushConfig);
        }
    }

    /// `sentinelCallClientReconfScript`: `<master> <leader|observer> start <from-ip>
    /// <from-port> <to-ip> <to-port>`.
    pub(crate) fn call_client_reconf_script(
        &mut self,
        m: usize,
        leader: bool,
        from: &super::instance::SAddr,
        to: &super::instance::SAddr,
    ) {
        let master = &self.masters[m];
        let Some(path) = master.client_reconfig_script.clone() else {
            return;
        };
        let ah = self.announce_hostnames;
        let argv = vec![
            path,
            master.inst.name.clone(),
            if leader { "leader" } else { "observer" }.to_string(),
            "start".to_string(),
            from.reported(ah).to_string(),
            from.port.to_string(),
            to.reported(ah).to_string(),
            to.port.to_string(),
        ];
        self.out.push(Action::RunScript(argv));
    }
}
