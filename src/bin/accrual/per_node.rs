//! `accrual tune --per-node`: the recommended configuration peer by peer,
//! beside one fixed timeout for every peer with the same mean detection
//! time over the cluster.
//!
//! A timeout's detection time is the timeout itself, so the timeout with
//! the recommended configuration's mean detection time is that mean: the
//! comparison is made at exactly equal mean detection, not at the nearest
//! point of the timeout grid. Both are replayed on each node's sub-trace
//! over the whole trace (the part chosen on and the held-out part
//! together), so that the totals count every peer-hour.

use accrual::qos::Qos;
use accrual::trace::Trace;
use accrual::tune::recommend::interval;
use accrual::tune::{self, Candidate, Detection, Job, Scoring};
use accrual::Config;
use std::fmt::Write as _;
use std::time::Duration;

/// One node's figures: the recommended configuration's and the timeout's.
struct Row<'a> {
    name: &'a str,
    chosen: Qos,
    timeout: Qos,
}

/// `candidate` replayed alone on `trace` (every node added up).
fn replay(trace: &Trace, base: &Config, job: &Job, warmup: usize) -> Result<Qos, String> {
    let scoring = Scoring {
        warmup,
        train_fraction: None,
    };
    let scored = tune::evaluate_grid(trace, base, std::slice::from_ref(job), scoring, &|_| {})
        .map_err(|e| e.to_string())?;
    Ok(scored.first().map(|c| c.qos).unwrap_or_default())
}

/// Each node of `trace` alone.
fn sub_traces(trace: &Trace) -> impl Iterator<Item = (&str, Trace)> {
    trace
        .nodes()
        .iter()
        .map(|n| (n.name(), Trace::new(vec![n.clone()])))
}

/// The breakdown of `best` per node of `trace`, and the same for one
/// timeout at its mean detection time, as text.
pub(crate) fn breakdown(
    trace: &Trace,
    base: &Config,
    best: &Candidate,
    warmup: usize,
    confidence: f64,
) -> Result<String, String> {
    let chosen_job = Job {
        detection: best.detection,
        acceptable_pause: best.acceptable_pause,
        min_std_deviation: best.min_std_deviation,
        learning: best.learning,
        thresholds: vec![best.threshold],
    };
    let mut chosen = Vec::new();
    let mut chosen_total = Qos::default();
    for (name, sub) in sub_traces(trace) {
        let q = replay(&sub, base, &chosen_job, warmup)?;
        chosen_total.merge(&q);
        chosen.push((name, q));
    }
    // Rounded to 0.1 ms, a label users copy like the grid's timeouts.
    let timeout_ms = (chosen_total.mean_detection_ms() * 10.0).round() / 10.0;
    let timeout_job = Job {
        detection: Detection::Timeout,
        acceptable_pause: Duration::ZERO,
        min_std_deviation: Duration::ZERO,
        learning: None,
        thresholds: vec![timeout_ms],
    };
    let mut rows = Vec::new();
    let mut timeout_total = Qos::default();
    for ((name, q), (_, sub)) in chosen.into_iter().zip(sub_traces(trace)) {
        let t = replay(&sub, base, &timeout_job, warmup)?;
        timeout_total.merge(&t);
        rows.push(Row {
            name,
            chosen: q,
            timeout: t,
        });
    }
    let mut text = table(
        best,
        timeout_ms,
        &rows,
        &chosen_total,
        &timeout_total,
        confidence,
    );
    if let Some((ms, q)) = matching_timeout(trace, base, warmup, timeout_ms, &chosen_total)? {
        let _ = writeln!(
            text,
            "one timeout for every peer makes as few mistakes ({}) from {ms:.1} ms on: {:+.1} ms of mean \
             detection",
            q.mistakes,
            ms - chosen_total.mean_detection_ms()
        );
    }
    Ok(text)
}

/// The shortest timeout (to 0.1 ms) that makes no more mistakes on the
/// whole trace than `chosen`, searched from `from_ms` up, with its figures;
/// `None` if even the longest silence's timeout makes more. A timeout
/// suspects exactly the silences longer than itself, so its mistakes never
/// grow with it and a bisection finds the edge.
fn matching_timeout(
    trace: &Trace,
    base: &Config,
    warmup: usize,
    from_ms: f64,
    chosen: &Qos,
) -> Result<Option<(f64, Qos)>, String> {
    let score = |ms: f64| {
        let job = Job {
            detection: Detection::Timeout,
            acceptable_pause: Duration::ZERO,
            min_std_deviation: Duration::ZERO,
            learning: None,
            thresholds: vec![ms],
        };
        replay(trace, base, &job, warmup)
    };
    let longest_ms = trace.intervals_ns().max().map_or(0.0, |ns| ns as f64 / 1e6);
    // In tenths of a millisecond: `low` makes too many mistakes, `high`
    // few enough.
    let mut low = (from_ms * 10.0).floor() as u64;
    let mut high = (longest_ms * 10.0).ceil() as u64 + 1;
    let mut best = score(high as f64 / 10.0)?;
    if best.mistakes > chosen.mistakes {
        return Ok(None);
    }
    let at_low = score(low as f64 / 10.0)?;
    if at_low.mistakes <= chosen.mistakes {
        return Ok(Some((low as f64 / 10.0, at_low)));
    }
    while high - low > 1 {
        let mid = low + (high - low) / 2;
        let q = score(mid as f64 / 10.0)?;
        if q.mistakes <= chosen.mistakes {
            high = mid;
            best = q;
        } else {
            low = mid;
        }
    }
    Ok(Some((high as f64 / 10.0, best)))
}

fn hours(q: &Qos) -> f64 {
    q.observed_ns as f64 / 3.6e12
}

fn range(q: &Qos, confidence: f64) -> String {
    let ci = interval(q, confidence);
    format!("{:.3}–{:.3}", ci.low_per_hour, ci.high_per_hour)
}

/// Milliseconds rounded to the microsecond, for labels.
fn ms(d: Duration) -> f64 {
    (d.as_nanos() as f64 / 1e3).round() / 1e3
}

fn table(
    best: &Candidate,
    timeout_ms: f64,
    rows: &[Row],
    chosen: &Qos,
    timeout: &Qos,
    confidence: f64,
) -> String {
    let mut s = String::new();
    let pc = format!("{} %", confidence * 100.0);
    let _ = writeln!(
        s,
        "\nper node, whole trace: {} threshold {} pause {} ms for every peer, against one \
         timeout of {timeout_ms} ms (the same mean detection)",
        best.detection,
        best.threshold,
        ms(best.acceptable_pause)
    );
    let _ = writeln!(
        s,
        "{:<16} {:>7} {:>11} {:>10} {:>8} {:>10} {:>10} {:>10}",
        "node",
        "hours",
        "mean_det_ms",
        "max_det_ms",
        "mistakes",
        "mistakes/h",
        "timeout:",
        "mistakes/h"
    );
    let line = |s: &mut String, name: &str, c: &Qos, t: &Qos| {
        let _ = writeln!(
            s,
            "{:<16} {:>7.2} {:>11.1} {:>10.1} {:>8} {:>10.3} {:>10} {:>10.3}",
            name,
            hours(c),
            c.mean_detection_ms(),
            c.max_detection_ms(),
            c.mistakes,
            c.mistakes_per_hour(),
            t.mistakes,
            t.mistakes_per_hour()
        );
    };
    for r in rows {
        line(&mut s, r.name, &r.chosen, &r.timeout);
    }
    line(&mut s, "all", chosen, timeout);
    let fewer = if chosen.mistakes == 0 {
        "no mistake against the timeout's".to_string()
    } else {
        format!(
            "{:.1} times fewer mistakes",
            timeout.mistakes as f64 / chosen.mistakes as f64
        )
    };
    let _ = writeln!(
        s,
        "at equal mean detection ({:.1} ms): {fewer} than one timeout for every peer: \
         {:.3}/h ({pc}: {}/h) against {:.3}/h ({}/h)",
        chosen.mean_detection_ms(),
        chosen.mistakes_per_hour(),
        range(chosen, confidence),
        timeout.mistakes_per_hour(),
        range(timeout, confidence)
    );
    s
}
