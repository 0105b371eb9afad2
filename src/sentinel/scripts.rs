//! The user-script queue: notification-script and client-reconfig-script runs, with Redis
//! Sentinel's rules so operators' scripts behave the same.
//!
//! At most [`MAX_QUEUE`] jobs are queued (the oldest waiting one is dropped beyond that) and
//! [`MAX_RUNNING`] run at once. A script that exits with code 1 or dies from a signal is retried
//! up to [`MAX_RETRY`] times, the delay doubling from the retry delay; any other non-zero exit
//! ends it with a `-script-error` event. A script running longer than the maximum runtime is
//! killed with SIGKILL (`-script-timeout`). Scripts inherit the sentinel's environment and
//! standard streams but no other descriptor: every socket and file the process opens is
//! close-on-exec.

use std::collections::VecDeque;
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, Command};

use super::proto::{Event, Level};
use crate::resp::Reply;

/// Most jobs kept in the queue (running ones included).
pub const MAX_QUEUE: usize = 256;
/// Most scripts running at the same time.
pub const MAX_RUNNING: usize = 16;
/// Most executions of one job.
pub const MAX_RETRY: u32 = 10;
/// Default longest run before SIGKILL, ms.
pub const DEFAULT_MAX_RUNTIME_MS: u64 = 60_000;
/// Default delay before the first retry, ms (doubled for each further retry).
pub const DEFAULT_RETRY_DELAY_MS: u64 = 30_000;

/// The two timing knobs (SENTINEL DEBUG script-max-runtime / script-retry-delay).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScriptTimes {
    /// Longest run before SIGKILL, ms.
    pub max_runtime_ms: u64,
    /// Delay before the first retry, ms.
    pub retry_delay_ms: u64,
}

impl Default for ScriptTimes {
    fn default() -> Self {
        ScriptTimes {
            max_runtime_ms: DEFAULT_MAX_RUNTIME_MS,
            retry_delay_ms: DEFAULT_RETRY_DELAY_MS,
        }
    }
}

/// One queued or running script.
#[derive(Debug)]
struct Job {
    argv: Vec<String>,
    retry_num: u32,
    /// Running: when it started. Waiting: not before this time (0 = any time). Monotonic ms.
    start_ms: u64,
    child: Option<Child>,
    pid: u32,
}

/// The queue of script jobs, oldest first.
#[derive(Debug, Default)]
pub struct ScriptQueue {
    jobs: VecDeque<Job>,
    running: usize,
}

fn event(kind: &str, message: String, level: Level) -> Event {
    Event {
        kind: kind.to_string(),
        message,
        level,
        notify_script: None,
    }
}

/// Delay before the next attempt after `retry_num` executions: the base, doubled per retry.
pub fn retry_delay(base_ms: u64, retry_num: u32) -> u64 {
    let mut delay = base_ms;
    for _ in 1..retry_num {
        delay = delay.saturating_mul(2);
    }
    delay
}

impl ScriptQueue {
    /// Queues `argv` (argv[0] is the script path) to run as soon as a slot is free.
    pub fn schedule(&mut self, argv: Vec<String>) {
        if argv.is_empty() {
            return;
        }
        self.jobs.push_back(Job {
            argv,
            retry_num: 0,
            start_ms: 0,
            child: None,
            pid: 0,
        });
        if self.jobs.len() > MAX_QUEUE
            && let Some(i) = self.jobs.iter().position(|j| j.child.is_none())
        {
            self.jobs.remove(i);
        }
    }

    /// Scripts running now (INFO `sentinel_running_scripts`).
    pub fn running(&self) -> usize {
        self.running
    }

    /// Jobs in the queue, running ones included (INFO `sentinel_scripts_queue_length`).
    pub fn queued(&self) -> usize {
        self.jobs.len()
    }

    /// One timer step, in Redis's order: start what may start, reap what ended, kill what ran
    /// too long. Returns the events to publish.
    pub fn tick(&mut self, now_ms: u64, times: ScriptTimes) -> Vec<Event> {
        let mut events = self.run_pending(now_ms);
        events.extend(self.collect_terminated(now_ms, times));
        events.extend(self.kill_timed_out(now_ms, times));
        events
    }

    /// Starts waiting jobs, oldest first, while fewer than [`MAX_RUNNING`] run.
    fn run_pending(&mut self, now_ms: u64) -> Vec<Event> {
        let mut events = Vec::new();
        for job in self.jobs.iter_mut() {
            if self.running >= MAX_RUNNING {
                break;
            }
            if job.child.is_some() || (job.start_ms != 0 && job.start_ms > now_ms) {
                continue;
            }
            job.start_ms = now_ms;
            job.retry_num += 1;
            match Command::new(&job.argv[0]).args(&job.argv[1..]).spawn() {
                Ok(child) => {
                    job.pid = child.id();
                    job.child = Some(child);
                    self.running += 1;
                    events.push(event("+script-child", job.pid.to_string(), Level::Debug));
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied
                    ) || e.raw_os_error() == Some(8) =>
                {
                    // What a forked child that fails execve reports: exit code 2, no retry.
                    events.push(event(
                        "-script-error",
                        format!("{} 0 2", job.argv[0]),
                        Level::Warning,
                    ));
                    job.retry_num = u32::MAX;
                }
                Err(_) => {
                    // Could not create the process at all (resources): Redis's "signal 99".
                    events.push(event(
                        "-script-error",
                        format!("{} 99 0", job.argv[0]),
                        Level::Warning,
                    ));
                    job.pid = 0;
                }
            }
        }
        self.jobs.retain(|j| j.retry_num != u32::MAX);
        events
    }

    /// Reaps finished scripts: retries on exit 1 or a signal, reports other failures.
    fn collect_terminated(&mut self, now_ms: u64, times: ScriptTimes) -> Vec<Event> {
        let mut events = Vec::new();
        let mut i = 0;
        while i < self.jobs.len() {
            let job = &mut self.jobs[i];
            let status = match job.child.as_mut().map(Child::try_wait) {
                Some(Ok(Some(status))) => status,
                Some(Err(e)) => {
                    tracing::warn!(pid = job.pid, error = %e, "cannot wait for script");
                    i += 1;
                    continue;
                }
                _ => {
                    i += 1;
                    continue;
                }
            };
            let by_signal = status.signal().unwrap_or(0);
            let code = status.code().unwrap_or(0);
            events.push(event(
                "-script-child",
                format!("{} {code} {by_signal}", job.pid),
                Level::Debug,
            ));
            job.child = None;
            self.running = self.running.saturating_sub(1);
            if (by_signal != 0 || code == 1) && job.retry_num != MAX_RETRY {
                job.pid = 0;
                job.start_ms = now_ms + retry_delay(times.retry_delay_ms, job.retry_num);
                i += 1;
            } else {
                if by_signal != 0 || code != 0 {
                    events.push(event(
                        "-script-error",
                        format!("{} {by_signal} {code}", job.argv[0]),
                        Level::Warning,
                    ));
                }
                self.jobs.remove(i);
            }
        }
        events
    }

    /// SIGKILLs scripts that ran longer than the maximum; they are reaped on a later tick.
    fn kill_timed_out(&mut self, now_ms: u64, times: ScriptTimes) -> Vec<Event> {
        let mut events = Vec::new();
        for job in self.jobs.iter_mut() {
            let Some(child) = job.child.as_mut() else {
                continue;
            };
            if now_ms.saturating_sub(job.start_ms) > times.max_runtime_ms {
                events.push(event(
                    "-script-timeout",
                    format!("{} {}", job.argv[0], job.pid),
                    Level::Warning,
                ));
                let _ = child.kill();
            }
        }
        events
    }

    /// SENTINEL PENDING-SCRIPTS: one map per job with numbers as bulk strings, like Redis.
    pub fn pending_reply(&self, now_ms: u64) -> Reply {
        let num = |n: u64| Reply::text(n.to_string());
        Reply::Array(
            self.jobs
                .iter()
                .map(|j| {
                    let running = j.child.is_some();
                    let timing = if running {
                        (
                            Reply::text("run-time"),
                            num(now_ms.saturating_sub(j.start_ms)),
                        )
                    } else {
                        let delay = if j.start_ms == 0 {
                            0
                        } else {
                            j.start_ms.saturating_sub(now_ms)
                        };
                        (Reply::text("run-delay"), num(delay))
                    };
                    Reply::Map(vec![
                        (
                            Reply::text("argv"),
                            Reply::Array(j.argv.iter().map(|a| Reply::text(a.clone())).collect()),
                        ),
                        (
                            Reply::text("flags"),
                            Reply::text(if running { "running" } else { "scheduled" }),
                        ),
                        (Reply::text("pid"), num(u64::from(j.pid))),
                        timing,
                        (Reply::text("retry-num"), num(u64::from(j.retry_num))),
                    ])
                })
                .collect(),
        )
    }

    /// Kills every running script (shutdown), so none outlives the sentinel unsupervised.
    pub fn kill_all(&mut self) {
        for job in self.jobs.iter_mut() {
            if let Some(child) = job.child.as_mut() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;
    use std::path::PathBuf;
    use std::time::{Duration, Instant};

    fn script(dir: &std::path::Path, name: &str, body: &str) -> String {
        let p = dir.join(name);
        std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        p.display().to_string()
    }

    fn tmpdir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("vigil-scripts-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    /// Ticks with a virtual clock advancing by `step` until `done` or 10 real seconds.
    fn drive(
        q: &mut ScriptQueue,
        now: &mut u64,
        step: u64,
        times: ScriptTimes,
        mut done: impl FnMut(&ScriptQueue, &[Event]) -> bool,
    ) -> Vec<Event> {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut all = Vec::new();
        loop {
            let ev = q.tick(*now, times);
            all.extend(ev);
            if done(q, &all) {
                return all;
            }
            assert!(
                Instant::now() < deadline,
                "script queue did not settle: {all:?}"
            );
            *now += step;
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn kinds(ev: &[Event]) -> Vec<String> {
        ev.iter()
            .filter(|e| e.level != Level::Debug)
            .map(|e| format!("{} {}", e.kind, e.message))
            .collect()
    }

    #[test]
    fn success_passes_arguments_and_leaves_the_queue() {
        let d = tmpdir("ok");
        let out = d.join("out");
        let s = script(&d, "ok.sh", &format!("echo \"$@\" > {}", out.display()));
        let mut q = ScriptQueue::default();
        q.schedule(vec![s, "+sdown".into(), "master m 127.0.0.1 1".into()]);
        let mut now = 1;
        let ev = drive(&mut q, &mut now, 10, ScriptTimes::default(), |q, _| {
            q.queued() == 0
        });
        assert!(kinds(&ev).is_empty(), "{ev:?}");
        assert_eq!(
            std::fs::read_to_string(&out).unwrap(),
            "+sdown master m 127.0.0.1 1\n"
        );
        let _ = std::fs::remove_dir_all(d);
    }

    #[test]
    fn exit_one_is_retried_with_doubling_delay_then_errors() {
        let d = tmpdir("retry");
        let count = d.join("count");
        let s = script(
            &d,
            "fail.sh",
            &format!("echo x >> {}\nexit 1", count.display()),
        );
        let mut q = ScriptQueue::default();
        q.schedule(vec![s.clone()]);
        let times = ScriptTimes {
            max_runtime_ms: 60_000,
            retry_delay_ms: 100,
        };
        let mut now = 1;
        // After the first failure the job waits 100 ms, then 200, 400...
        drive(&mut q, &mut now, 1, times, |q, _| {
            q.queued() == 1 && q.running() == 0 && q.jobs[0].retry_num == 1
        });
        let wait = q.jobs[0].start_ms - now;
        assert!((90..=100).contains(&wait), "{wait}");
        match &q.pending_reply(now) {
            Reply::Array(items) => match &items[0] {
                Reply::Map(m) => {
                    assert_eq!(m[1].1, Reply::text("scheduled"));
                    assert_eq!(m[3].0, Reply::text("run-delay"));
                    assert_eq!(m[4].1, Reply::text("1"));
                }
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        }
        let ev = drive(&mut q, &mut now, 1000, times, |q, _| q.queued() == 0);
        assert_eq!(kinds(&ev), vec![format!("-script-error {s} 0 1")]);
        let runs = std::fs::read_to_string(&count).unwrap().lines().count();
        assert_eq!(runs, MAX_RETRY as usize);
        assert_eq!(retry_delay(30_000, 1), 30_000);
        assert_eq!(retry_delay(30_000, 3), 120_000);
        let _ = std::fs::remove_dir_all(d);
    }

    #[test]
    fn other_exit_codes_error_at_once_and_missing_scripts_report_exit_2() {
        let d = tmpdir("err");
        let s = script(&d, "three.sh", "exit 3");
        let missing = d.join("missing.sh").display().to_string();
        let mut q = ScriptQueue::default();
        q.schedule(vec![s.clone()]);
        q.schedule(vec![missing.clone()]);
        let mut now = 1;
        let ev = drive(&mut q, &mut now, 10, ScriptTimes::default(), |q, _| {
            q.queued() == 0
        });
        let k = kinds(&ev);
        assert!(k.contains(&format!("-script-error {s} 0 3")), "{k:?}");
        assert!(k.contains(&format!("-script-error {missing} 0 2")), "{k:?}");
        let _ = std::fs::remove_dir_all(d);
    }

    #[test]
    fn long_scripts_are_killed_and_retried() {
        let d = tmpdir("timeout");
        let s = script(&d, "sleep.sh", "exec sleep 30");
        let mut q = ScriptQueue::default();
        q.schedule(vec![s.clone()]);
        let times = ScriptTimes {
            max_runtime_ms: 200,
            retry_delay_ms: 1_000_000,
        };
        let mut now = 1;
        let ev = drive(&mut q, &mut now, 50, times, |q, ev| {
            q.running() == 0 && ev.iter().any(|e| e.kind == "-script-timeout")
        });
        let k = kinds(&ev);
        assert!(k[0].starts_with(&format!("-script-timeout {s} ")), "{k:?}");
        // Killed by a signal: kept for a retry, not reported as an error.
        assert_eq!(q.queued(), 1);
        assert!(!k.iter().any(|e| e.starts_with("-script-error")));
        let _ = std::fs::remove_dir_all(d);
    }

    #[test]
    fn queue_and_concurrency_are_bounded() {
        let d = tmpdir("bound");
        let s = script(&d, "sleep.sh", "exec sleep 5");
        let mut q = ScriptQueue::default();
        for i in 0..MAX_QUEUE + 10 {
            q.schedule(vec![s.clone(), i.to_string()]);
        }
        assert_eq!(q.queued(), MAX_QUEUE);
        // The oldest waiting jobs were dropped.
        assert_eq!(q.jobs[0].argv[1], "10");
        q.tick(1, ScriptTimes::default());
        assert_eq!(q.running(), MAX_RUNNING);
        match q.pending_reply(5) {
            Reply::Array(items) => {
                assert_eq!(items.len(), MAX_QUEUE);
                let Reply::Map(first) = &items[0] else {
                    panic!()
                };
                let keys: Vec<_> = first.iter().map(|(k, _)| k.clone()).collect();
                assert_eq!(
                    keys,
                    ["argv", "flags", "pid", "run-time", "retry-num"]
                        .map(Reply::text)
                        .to_vec()
                );
                assert_eq!(first[1].1, Reply::text("running"));
                assert_eq!(first[3].1, Reply::text("4"));
            }
            other => panic!("{other:?}"),
        }
        // A full queue of running jobs still accepts a new one beyond the limit only by
        // dropping a waiting one.
        q.kill_all();
        let _ = std::fs::remove_dir_all(d);
    }
}
