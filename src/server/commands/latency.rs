//! LATENCY: the latency monitor (LATEST, HISTORY, RESET, GRAPH, DOCTOR) and the per-command
//! latency histograms (HISTOGRAM).

use std::fmt::Write as _;

use bytes::Bytes;

use super::args;
use crate::resp::Reply;
use crate::server::command::{CommandSpec, flags::*};
use crate::server::latency::LatencySeries;
use crate::server::state::Ctx;

const ADMIN_FLAGS: u32 = ADMIN | NOSCRIPT | LOADING | STALE;

/// The LATENCY container.
pub static COMMANDS: &[CommandSpec] = &[CommandSpec::container("latency", SUBCOMMANDS).doc(
    "server",
    "2.8.13",
    "A container for latency diagnostics commands",
)];

static SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new("doctor", 2, doctor)
        .flags(ADMIN_FLAGS)
        .doc(
            "server",
            "2.8.13",
            "Return a human readable latency analysis report.",
        ),
    CommandSpec::new("graph", 3, graph).flags(ADMIN_FLAGS).doc(
        "server",
        "2.8.13",
        "Return a latency graph for the event.",
    ),
    CommandSpec::new("help", 2, help)
        .flags(LOADING | STALE)
        .doc(
            "server",
            "2.8.13",
            "Show helpful text about the different subcommands.",
        ),
    CommandSpec::new("histogram", -2, histogram)
        .flags(ADMIN_FLAGS)
        .doc(
            "server",
            "7.0.0",
            "Return the cumulative distribution of latencies of a subset of commands or all.",
        ),
    CommandSpec::new("history", 3, history)
        .flags(ADMIN_FLAGS)
        .doc(
            "server",
            "2.8.13",
            "Return timestamp-latency samples for the event.",
        ),
    CommandSpec::new("latest", 2, latest)
        .flags(ADMIN_FLAGS)
        .doc(
            "server",
            "2.8.13",
            "Return the latest latency samples for all events.",
        ),
    CommandSpec::new("reset", -2, reset).flags(ADMIN_FLAGS).doc(
        "server",
        "2.8.13",
        "Reset latency data for one or more events.",
    ),
];

fn latest(ctx: &mut Ctx, _a: &[Bytes]) -> Reply {
    Reply::Array(
        ctx.srv
            .latency
            .events
            .iter()
            .filter_map(|(name, s)| {
                let last = s.samples.back()?;
                Some(Reply::Array(vec![
                    Reply::text(name.clone()),
                    Reply::Int(last.time),
                    Reply::Int(last.latency_ms as i64),
                    Reply::Int(s.max_ms as i64),
                ]))
            })
            .collect(),
    )
}

fn history(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let name = String::from_utf8_lossy(&a[2]);
    let Some(series) = ctx.srv.latency.events.get(name.as_ref()) else {
        return Reply::Array(vec![]);
    };
    Reply::Array(
        series
            .samples
            .iter()
            .map(|s| Reply::Array(vec![Reply::Int(s.time), Reply::Int(s.latency_ms as i64)]))
            .collect(),
    )
}

fn reset(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let names: Vec<String> = a[2..]
        .iter()
        .map(|n| String::from_utf8_lossy(n).into_owned())
        .collect();
    Reply::Int(ctx.srv.latency.reset(&names) as i64)
}

/// Rows of the ASCII graph.
const GRAPH_ROWS: u64 = 4;

/// A small bar chart of the event's samples, oldest on the left, one column per sample, with
/// the age of each sample (seconds, then `m`/`h` suffixed) printed vertically below.
fn render_graph(name: &str, series: &LatencySeries, now_s: i64) -> String {
    let high = series
        .samples
        .iter()
        .map(|s| s.latency_ms)
        .max()
        .unwrap_or(0);
    let low = series
        .samples
        .iter()
        .map(|s| s.latency_ms)
        .min()
        .unwrap_or(0);
    let mut out = format!(
        "{name} - high {high} ms, low {low} ms (all time high {} ms)\n",
        series.max_ms
    );
    out.push_str(&"-".repeat(80));
    out.push('\n');
    for row in (1..=GRAPH_ROWS).rev() {
        for s in &series.samples {
            let level = if high == 0 {
                0
            } else {
                (s.latency_ms * GRAPH_ROWS).div_ceil(high)
            };
            out.push(if level >= row { '#' } else { ' ' });
        }
        out.push('\n');
    }
    let ages: Vec<String> = series
        .samples
        .iter()
        .map(|s| {
            let age = (now_s - s.time).max(0);
            if age < 60 {
                format!("{age}s")
            } else if age < 3600 {
                format!("{}m", age / 60)
            } else {
                format!("{}h", age / 3600)
            }
        })
        .collect();
    let depth = ages.iter().map(String::len).max().unwrap_or(0);
    for i in 0..depth {
        for age in &ages {
            out.push(age.as_bytes().get(i).map_or(' ', |b| *b as char));
        }
        out.push('\n');
    }
    out
}

fn graph(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let name = String::from_utf8_lossy(&a[2]).into_owned();
    match ctx.srv.latency.events.get(&name) {
        Some(series) if !series.samples.is_empty() => {
            Reply::Verbatim(render_graph(&name, series, ctx.srv.now_ms / 1000))
        }
        _ => Reply::err(format!(
            "ERR No samples available for event '{}'",
            crate::server::dispatch::sanitize(&a[2], 128)
        )),
    }
}

fn doctor(ctx: &mut Ctx, _a: &[Bytes]) -> Reply {
    let threshold = ctx.srv.config.latency_monitor_threshold;
    if threshold == 0 {
        return Reply::Verbatim(
            "The latency monitor is disabled on this instance, so there is nothing to analyse. \
             Enable it with \"CONFIG SET latency-monitor-threshold <milliseconds>\"; \
             events lasting at least that long are then recorded.\n"
                .into(),
        );
    }
    let events = &ctx.srv.latency.events;
    if events.values().all(|s| s.samples.is_empty()) {
        return Reply::Verbatim(format!(
            "No latency spike of {threshold} ms or more was recorded since the monitor was \
             enabled or last reset. Nothing to worry about.\n"
        ));
    }
    let mut out = String::from("Latency spikes were recorded on this instance:\n\n");
    for (i, (name, s)) in events.iter().enumerate() {
        let n = s.samples.len();
        if n == 0 {
            continue;
        }
        let avg = s.samples.iter().map(|x| x.latency_ms).sum::<u64>() as f64 / n as f64;
        let dev = s
            .samples
            .iter()
            .map(|x| (x.latency_ms as f64 - avg).abs())
            .sum::<f64>()
            / n as f64;
        let period = match (s.samples.front(), s.samples.back()) {
            (Some(first), Some(last)) if n > 1 => (last.time - first.time) as f64 / (n - 1) as f64,
            _ => 0.0,
        };
        let _ = writeln!(
            out,
            "{}. {name}: {n} latency spikes (average {avg:.0}ms, mean deviation {dev:.0}ms, \
             period {period:.2} sec). Worst all time event {}ms.",
            i + 1,
            s.max_ms
        );
    }
    out.push_str("\nSuggestions:\n\n");
    let slowlog = ctx.srv.config.slowlog_log_slower_than;
    if slowlog < 0 || slowlog as u64 > threshold * 1000 {
        let _ = writeln!(
            out,
            "- The slow log does not record commands as slow as these spikes; \
             'CONFIG SET slowlog-log-slower-than {}' makes it do so.",
            threshold * 1000
        );
    }
    out.push_str(
        "- SLOWLOG GET shows which commands were slow.\n\
         - Deleting, expiring or evicting very large values blocks the server; \
         splitting them into smaller values avoids long pauses.\n",
    );
    Reply::Verbatim(out)
}

fn histogram_entry(calls: u64, buckets: Vec<(u64, u64)>) -> Reply {
    Reply::Map(vec![
        (Reply::text("calls"), Reply::Int(calls as i64)),
        (
            Reply::text("histogram_usec"),
            Reply::Map(
                buckets
                    .into_iter()
                    .map(|(us, n)| (Reply::Int(us as i64), Reply::Int(n as i64)))
                    .collect(),
            ),
        ),
    ])
}

fn histogram(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let stats = &ctx.srv.stats.commands;
    let mut names: Vec<String> = Vec::new();
    if a.len() == 2 {
        names.extend(stats.keys().map(|k| k.to_string()));
        names.sort();
    } else {
        for arg in &a[2..] {
            let name = args::lower(arg);
            if let Some(spec) = ctx.srv.commands.by_original_name(name.as_bytes())
                && !spec.subcommands.is_empty()
            {
                for sub in spec.subcommands {
                    names.push(format!("{}|{}", spec.name, sub.name));
                }
            } else {
                names.push(name);
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for name in names {
        if !seen.insert(name.clone()) {
            continue;
        }
        let Some(stat) = stats.get(name.as_str()) else {
            continue;
        };
        let h = &stat.histogram;
        if h.count() == 0 {
            continue;
        }
        out.push((
            Reply::text(name),
            histogram_entry(h.count(), h.power_of_two_us()),
        ));
    }
    Reply::Map(out)
}

fn help(_ctx: &mut Ctx, _a: &[Bytes]) -> Reply {
    args::help(
        "LATENCY",
        &[
            "DOCTOR",
            "    Return a human readable analysis of the recorded latency spikes.",
            "GRAPH <event>",
            "    Return an ASCII graph of the samples of the <event> class.",
            "HISTORY <event>",
            "    Return the timestamp-latency samples of the <event> class.",
            "LATEST",
            "    Return the latest sample of every event class.",
            "RESET [<event> ...]",
            "    Reset the samples of the given event classes (default: all of them).",
            "HISTOGRAM [COMMAND ...]",
            "    Return the cumulative latency distribution of the given commands, or of all",
            "    commands when none is given.",
        ],
    )
}
