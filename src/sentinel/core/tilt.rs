//! TILT mode: when the timer fires much later than expected (the process was stopped, the
//! machine stalled) or time goes backwards, every timeout would fire at once for no reason.
//! The sentinel then keeps collecting information but stops acting for the tilt period.

use crate::sentinel::proto::Level;

use super::SentinelCore;

impl SentinelCore {
    /// `sentinelCheckTiltCondition`, run at the start of every timer tick.
    pub(crate) fn check_tilt_condition(&mut self) {
        let now = self.now;
        let delta = now - self.previous_time;
        if delta < 0 || delta > self.tun.tilt_trigger {
            self.tilt = true;
            self.tilt_start_time = now;
            self.event(
                Level::Warning,
                "+tilt",
                None,
                "#tilt mode entered".to_string(),
            );
        }
        self.previous_time = now;
    }
}
