//! The formats of `accrual tune`'s results: a table for reading, CSV and
//! JSON for programs.

use accrual::trace::Trace;
use accrual::tune::{Candidate, Targets};
use accrual::Config;
use std::fmt::Write as _;

const CSV_HEADER: &str = "model,threshold,samples,mean_detection_ms,max_detection_ms,mistakes,\
mistake_ms,mistakes_per_hour,mean_mistake_ms,query_accuracy";

fn csv_row(c: &Candidate) -> String {
    let q = &c.qos;
    format!(
        "{},{},{},{},{},{},{},{},{},{}",
        c.detection,
        c.threshold,
        q.samples,
        q.mean_detection_ms(),
        q.max_detection_ms(),
        q.mistakes,
        q.mistake_ms(),
        q.mistakes_per_hour(),
        q.mean_mistake_ms(),
        q.query_accuracy()
    )
}

pub(crate) fn to_csv(candidates: &[Candidate]) -> String {
    let mut s = String::from(CSV_HEADER);
    s.push('\n');
    for c in candidates {
        s.push_str(&csv_row(c));
        s.push('\n');
    }
    s
}

fn json_number(x: f64) -> String {
    if x.is_finite() {
        format!("{x}")
    } else {
        "null".to_string()
    }
}

fn json_candidate(c: &Candidate) -> String {
    let q = &c.qos;
    format!(
        "{{\"model\":\"{}\",\"threshold\":{},\"samples\":{},\"mean_detection_ms\":{},\
         \"max_detection_ms\":{},\"mistakes\":{},\"mistake_ms\":{},\"mistakes_per_hour\":{},\
         \"mean_mistake_ms\":{},\"query_accuracy\":{},\"mean_recurrence_s\":{}}}",
        c.detection,
        json_number(c.threshold),
        q.samples,
        json_number(q.mean_detection_ms()),
        json_number(q.max_detection_ms()),
        q.mistakes,
        json_number(q.mistake_ms()),
        json_number(q.mistakes_per_hour()),
        json_number(q.mean_mistake_ms()),
        json_number(q.query_accuracy()),
        json_number(q.mean_recurrence_s())
    )
}

pub(crate) fn to_json(candidates: &[Candidate], best: Option<&Candidate>) -> String {
    let rows: Vec<String> = candidates.iter().map(json_candidate).collect();
    format!(
        "{{\"results\":[{}],\"recommended\":{}}}\n",
        rows.join(","),
        best.map_or("null".to_string(), json_candidate)
    )
}

pub(crate) fn to_table(
    trace: &Trace,
    base: &Config,
    candidates: &[Candidate],
    best: Option<&Candidate>,
    targets: &Targets,
) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} arrivals from {} node(s); window {}, min σ {:?}, pause {:?}, first interval {:?}\n",
        trace.len(),
        trace.nodes().len(),
        base.max_sample_size(),
        base.min_std_deviation(),
        base.acceptable_pause(),
        base.first_heartbeat_estimate()
    );
    let _ = writeln!(
        s,
        "{:<12} {:>10} {:>9} {:>14} {:>13} {:>9} {:>12} {:>11} {:>13} {:>12} {:>14}",
        "model",
        "threshold",
        "samples",
        "mean_detect_ms",
        "max_detect_ms",
        "mistakes",
        "mistake_ms",
        "mistakes/h",
        "mean_mist_ms",
        "query_acc",
        "recurrence_s"
    );
    for c in candidates {
        let q = &c.qos;
        let mark = if best.is_some_and(|b| std::ptr::eq(b, c)) {
            " <="
        } else {
            ""
        };
        let _ = writeln!(
            s,
            "{:<12} {:>10} {:>9} {:>14.1} {:>13.1} {:>9} {:>12.1} {:>11.3} {:>13.1} {:>12.7} {:>14.1}{}",
            c.detection.name(),
            c.threshold,
            q.samples,
            q.mean_detection_ms(),
            q.max_detection_ms(),
            q.mistakes,
            q.mistake_ms(),
            q.mistakes_per_hour(),
            q.mean_mistake_ms(),
            q.query_accuracy(),
            q.mean_recurrence_s(),
            mark
        );
    }
    let goal = match (targets.detection_ms, targets.mistakes_per_hour) {
        (Some(d), Some(m)) => format!("mean detection ≤ {d} ms and ≤ {m} mistakes/hour"),
        (Some(d), None) => format!("mean detection ≤ {d} ms, then fewest mistakes"),
        (None, Some(m)) => format!("≤ {m} mistakes/hour, then fastest detection"),
        (None, None) => "fastest detection".to_string(),
    };
    match best {
        Some(b) => {
            let met = if targets.met_by(&b.qos) {
                "meets"
            } else {
                "comes closest to"
            };
            let _ = writeln!(
                s,
                "\nrecommended: {} threshold {} ({met} the target: {goal}; mean detection \
                 {:.1} ms, {:.3} mistakes/hour)",
                b.detection,
                b.threshold,
                b.qos.mean_detection_ms(),
                b.qos.mistakes_per_hour()
            );
        }
        None => {
            let _ = writeln!(s, "\nno recommendation: nothing was scored");
        }
    }
    s
}
