//! TILT mode: entered on a timer gap or a clock going backwards, exited after the tilt
//! period; no acting while in it.

use super::sim::World;
use super::{Solo, at, items};
use crate::resp::Reply;
use crate::sentinel::proto::Input;

#[test]
fn tilt_on_timer_gap_and_exit_after_period() {
    let mut w = World::standard(3, 1, 2, 60000);
    w.run_for(5000);
    // Sentinel 0 is stopped for 3 s (> tilt-trigger 2 s).
    w.pause_sentinel(0, 3000);
    w.run_for(3200);
    assert_eq!(w.msgs(0, "+tilt"), ["#tilt mode entered".to_string()]);
    let entered = w.first_time(0, "+tilt").unwrap_or(0);
    assert!(entered >= 8000);
    let info = w.core(0).info_section(0, 0, super::at(w.now));
    assert!(info.contains("sentinel_tilt:1\r\n"), "{info}");
    // The master dies while sentinel 0 is in TILT: it keeps observing but does not act.
    w.kill_node(0);
    w.run_for(5000);
    assert!(!w.has(0, "+sdown"));
    assert!(!w.has(0, "+odown"));
    let info = w.core(0).info_section(0, 0, super::at(w.now));
    assert!(info.contains("sentinel_tilt_since_seconds:"), "{info}");
    assert!(!info.contains("sentinel_tilt_since_seconds:-1"));
    // The other two fail over; sentinel 0 still learns the new config from hellos (hello
    // processing is not an action that TILT blocks).
    assert!(w.has(1, "+switch-master") || w.has(2, "+switch-master"));
    assert!(w.has(0, "+switch-master"));
    // After 30 s TILT ends.
    w.run_until_cond(30000, |w| w.has(0, "-tilt"));
    let exited = w.first_time(0, "-tilt").unwrap_or(0);
    assert!(exited >= entered + 30000 && exited <= entered + 30000 + 110);
    assert_eq!(w.msgs(0, "-tilt"), ["#tilt mode exited".to_string()]);
    let info = w.core(0).info_section(0, 0, super::at(w.now));
    assert!(info.contains("sentinel_tilt:0\r\nsentinel_tilt_since_seconds:-1\r\n"));
}

#[test]
fn tilt_when_clock_goes_backwards_and_no_down_answers() {
    let mut s = Solo::new(&[
        "myid 0123456789abcdef0123456789abcdef01234567",
        "monitor m 127.0.0.1 6379 2",
        "down-after-milliseconds m 1000",
    ]);
    s.run(1500, 100);
    assert!(s.has("+sdown"));
    let down = |s: &mut Solo| {
        items(&s.cmd(&[
            "SENTINEL",
            "is-master-down-by-addr",
            "127.0.0.1",
            "6379",
            "0",
            "*",
        ]))[0]
            .clone()
    };
    assert_eq!(down(&mut s), Reply::Int(1));
    // The clock jumps back one second.
    s.now -= 1000;
    s.input(Input::Tick);
    assert!(s.has("+tilt"));
    // In TILT the sentinel always answers "not down".
    assert_eq!(down(&mut s), Reply::Int(0));
    // A second trigger while tilted restarts the period.
    s.run(20000, 100);
    s.now += 2500;
    s.input(Input::Tick);
    let tilts = s.events().iter().filter(|e| e.0 == "+tilt").count();
    assert_eq!(tilts, 2);
    s.run(29000, 100);
    assert!(!s.has("-tilt"));
    s.run(1200, 100);
    assert!(s.has("-tilt"));
    assert_eq!(down(&mut s), Reply::Int(1));
}

#[test]
fn tilt_trigger_is_tunable() {
    let mut s = Solo::new(&[
        "myid 0123456789abcdef0123456789abcdef01234567",
        "monitor m 127.0.0.1 6379 2",
    ]);
    s.cmd(&[
        "SENTINEL",
        "DEBUG",
        "tilt-trigger",
        "500",
        "tilt-period",
        "1000",
    ]);
    s.run(1000, 100);
    s.now += 600;
    let a = s.core.handle(Input::Tick, at(s.now));
    s.absorb(a);
    assert!(s.has("+tilt"));
    s.run(1100, 100);
    assert!(s.has("-tilt"));
}
