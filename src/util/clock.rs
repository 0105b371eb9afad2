//! A cheap monotonic tick counter for measuring command durations.
//!
//! Every command's run time feeds INFO commandstats and the slow log, so the clock is read twice
//! per command; `clock_gettime` showed up at ~8% of a pipelined benchmark. On x86_64 we read the
//! time-stamp counter (invariant on every CPU this runs on) and convert with a factor calibrated
//! once at start-up; elsewhere we fall back to `Instant`.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

static EPOCH: OnceLock<Instant> = OnceLock::new();

#[cfg(target_arch = "x86_64")]
static TICKS_PER_US: OnceLock<f64> = OnceLock::new();

/// Current tick count (opaque unit; convert differences with [`elapsed_us`]).
#[inline]
pub fn ticks() -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: RDTSC has no preconditions; it only reads a counter.
        unsafe { core::arch::x86_64::_rdtsc() }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        EPOCH.get_or_init(Instant::now).elapsed().as_nanos() as u64
    }
}

/// Nanoseconds between two tick readings.
#[inline]
pub fn elapsed_ns(start: u64, end: u64) -> u64 {
    let delta = end.saturating_sub(start);
    #[cfg(target_arch = "x86_64")]
    {
        (delta as f64 * 1000.0 / ticks_per_us()) as u64
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        delta
    }
}

/// Microseconds between two tick readings.
#[inline]
pub fn elapsed_us(start: u64, end: u64) -> u64 {
    elapsed_ns(start, end) / 1000
}

#[cfg(target_arch = "x86_64")]
fn ticks_per_us() -> f64 {
    *TICKS_PER_US.get_or_init(|| {
        let t0 = Instant::now();
        let c0 = ticks();
        std::thread::sleep(Duration::from_millis(5));
        let c1 = ticks();
        let us = t0.elapsed().as_secs_f64() * 1e6;
        let f = (c1.saturating_sub(c0)) as f64 / us;
        if f.is_finite() && f > 0.0 { f } else { 1000.0 }
    })
}

/// Calibrates the clock (call once at start-up so the first command does not pay for it).
pub fn init() {
    let _ = EPOCH.get_or_init(Instant::now);
    #[cfg(target_arch = "x86_64")]
    let _ = ticks_per_us();
    let _ = Duration::ZERO;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_a_sleep() {
        init();
        let a = ticks();
        std::thread::sleep(Duration::from_millis(20));
        let us = elapsed_us(a, ticks());
        assert!((15_000..200_000).contains(&us), "{us}");
    }
}
