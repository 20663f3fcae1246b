//! The formats of `accrual tune`'s results: a table for reading (the Pareto
//! frontier and the recommendation), CSV and JSON for programs (every
//! configuration with every column).

use accrual::qos::Qos;
use accrual::tune::recommend::{interval, thin_frontier};
use accrual::tune::settings::paste_lines;
use accrual::tune::{Candidate, Recommendation, Scoring, Targets, Verdict};
use accrual::{Config, Model};
use std::fmt::Write as _;

/// The most frontier rows the table shows; CSV and JSON have them all.
const MAX_TABLE_ROWS: usize = 22;

/// What `tune` found, for every format.
pub(crate) struct Report<'a> {
    /// Arrivals in the trace.
    pub(crate) arrivals: usize,
    /// Nodes in the trace.
    pub(crate) nodes: usize,
    pub(crate) base: &'a Config,
    pub(crate) interval_ms: f64,
    pub(crate) candidates: &'a [Candidate],
    /// Indices of the frontier, fastest first.
    pub(crate) frontier: Vec<usize>,
    pub(crate) best: Option<Recommendation<'a>>,
    pub(crate) targets: Targets,
    pub(crate) confidence: f64,
    pub(crate) scoring: Scoring,
}

impl Report<'_> {
    fn hours(q: &Qos) -> f64 {
        q.observed_ns as f64 / 3.6e12
    }

    fn percent(&self) -> String {
        format!("{} %", self.confidence * 100.0)
    }

    fn verdict_name(&self, index: usize) -> &'static str {
        match self.best {
            Some(b) if b.index == index => match b.verdict {
                Verdict::Established => "established",
                Verdict::Unproven { .. } => "unproven",
                Verdict::Missed => "closest",
            },
            _ => "",
        }
    }
}

const QOS_COLUMNS: [&str; 13] = [
    "samples",
    "observed_h",
    "mean_detection_ms",
    "max_detection_ms",
    "mistakes",
    "mistake_ms",
    "mistakes_per_hour",
    "mistakes_per_hour_low",
    "mistakes_per_hour_high",
    "mean_mistake_ms",
    "query_accuracy",
    "mean_recurrence_s",
    "meets_target",
];

fn qos_values(q: &Qos, report: &Report) -> [String; 13] {
    let ci = interval(q, report.confidence);
    [
        q.samples.to_string(),
        Report::hours(q).to_string(),
        q.mean_detection_ms().to_string(),
        q.max_detection_ms().to_string(),
        q.mistakes.to_string(),
        q.mistake_ms().to_string(),
        q.mistakes_per_hour().to_string(),
        ci.low_per_hour.to_string(),
        ci.high_per_hour.to_string(),
        q.mean_mistake_ms().to_string(),
        q.query_accuracy().to_string(),
        q.mean_recurrence_s().to_string(),
        report
            .targets
            .established_by(q, report.confidence)
            .to_string(),
    ]
}

fn settings_values(c: &Candidate, report: &Report) -> [String; 6] {
    [
        c.detection.to_string(),
        c.threshold.to_string(),
        ms(c.acceptable_pause).to_string(),
        ms(c.min_std_deviation).to_string(),
        report.base.max_sample_size().to_string(),
        learning_name(c, report).to_string(),
    ]
}

/// The learning rule a candidate was scored with, by name; empty for the
/// timeout and the deadline model, which learn nothing.
fn learning_name(c: &Candidate, report: &Report) -> &'static str {
    match c.config(report.base) {
        Some(config) if config.model() != Model::Deadline => config.learning().name(),
        _ => "",
    }
}

/// Every configuration, one row each: settings, the figures it was chosen
/// on, the held-out figures (empty without a check), whether it is on the
/// frontier, and the recommendation's verdict on its row.
pub(crate) fn to_csv(report: &Report) -> String {
    let mut header = vec![
        "model".to_string(),
        "threshold".into(),
        "pause_ms".into(),
        "min_std_ms".into(),
        "window".into(),
        "learning".into(),
    ];
    header.extend(QOS_COLUMNS.iter().map(|c| c.to_string()));
    header.extend(QOS_COLUMNS.iter().map(|c| format!("held_out_{c}")));
    header.extend(["frontier".to_string(), "recommended".into()]);
    let mut s = header.join(",");
    s.push('\n');
    for (i, c) in report.candidates.iter().enumerate() {
        let mut row: Vec<String> = settings_values(c, report).to_vec();
        row.extend(qos_values(&c.qos, report));
        match &c.held_out {
            Some(h) => row.extend(qos_values(h, report)),
            None => row.extend(std::iter::repeat_n(String::new(), QOS_COLUMNS.len())),
        }
        row.push(report.frontier.contains(&i).to_string());
        row.push(report.verdict_name(i).to_string());
        s.push_str(&row.join(","));
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

fn json_string(text: &str) -> String {
    let mut s = String::from("\"");
    for ch in text.chars() {
        match ch {
            '"' => s.push_str("\\\""),
            '\\' => s.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(s, "\\u{:04x}", c as u32);
            }
            c => s.push(c),
        }
    }
    s.push('"');
    s
}

fn json_qos(q: &Qos, report: &Report) -> String {
    let ci = interval(q, report.confidence);
    format!(
        "\"samples\":{},\"observed_h\":{},\"mean_detection_ms\":{},\"max_detection_ms\":{},\
         \"mistakes\":{},\"mistake_ms\":{},\"mistakes_per_hour\":{},\
         \"mistakes_per_hour_low\":{},\"mistakes_per_hour_high\":{},\"mean_mistake_ms\":{},\
         \"query_accuracy\":{},\"mean_recurrence_s\":{},\"meets_target\":{}",
        q.samples,
        json_number(Report::hours(q)),
        json_number(q.mean_detection_ms()),
        json_number(q.max_detection_ms()),
        q.mistakes,
        json_number(q.mistake_ms()),
        json_number(q.mistakes_per_hour()),
        json_number(ci.low_per_hour),
        json_number(ci.high_per_hour),
        json_number(q.mean_mistake_ms()),
        json_number(q.query_accuracy()),
        json_number(q.mean_recurrence_s()),
        report.targets.established_by(q, report.confidence)
    )
}

fn json_candidate(c: &Candidate, index: usize, report: &Report) -> String {
    let held = c.held_out.as_ref().map_or("null".to_string(), |h| {
        format!("{{{}}}", json_qos(h, report))
    });
    format!(
        "{{\"model\":\"{}\",\"threshold\":{},\"pause_ms\":{},\"min_std_ms\":{},\"window\":{},\
         \"learning\":{},{},\"held_out\":{held},\"frontier\":{}}}",
        c.detection,
        json_number(c.threshold),
        json_number(ms(c.acceptable_pause)),
        json_number(ms(c.min_std_deviation)),
        report.base.max_sample_size(),
        match learning_name(c, report) {
            "" => "null".to_string(),
            name => format!("\"{name}\""),
        },
        json_qos(&c.qos, report),
        report.frontier.contains(&index)
    )
}

/// Every configuration, the frontier (indices into `results`) and the
/// recommendation with its verdict and paste-ready settings.
pub(crate) fn to_json(report: &Report) -> String {
    let rows: Vec<String> = report
        .candidates
        .iter()
        .enumerate()
        .map(|(i, c)| json_candidate(c, i, report))
        .collect();
    let recommended = report.best.map_or("null".to_string(), |b| {
        let mut s = json_candidate(b.candidate, b.index, report);
        s.pop();
        let hours = match b.verdict {
            Verdict::Unproven {
                hours_needed: Some(h),
            } => json_number(h),
            _ => "null".to_string(),
        };
        let lines: Vec<String> = paste_lines(b.candidate, report.base)
            .iter()
            .map(|l| json_string(l))
            .collect();
        let _ = write!(
            s,
            ",\"index\":{},\"verdict\":\"{}\",\"hours_needed\":{hours},\"settings\":[{}]}}",
            b.index,
            report.verdict_name(b.index),
            lines.join(",")
        );
        s
    });
    let frontier: Vec<String> = report.frontier.iter().map(|i| i.to_string()).collect();
    format!(
        "{{\"confidence\":{},\"train_fraction\":{},\"target_detection_ms\":{},\
         \"target_mistakes_per_hour\":{},\"results\":[{}],\"frontier\":[{}],\"recommended\":{}}}\n",
        json_number(report.confidence),
        report
            .scoring
            .train_fraction
            .map_or("null".to_string(), json_number),
        report
            .targets
            .detection_ms
            .map_or("null".to_string(), json_number),
        report
            .targets
            .mistakes_per_hour
            .map_or("null".to_string(), json_number),
        rows.join(","),
        frontier.join(","),
        recommended
    )
}

/// A duration in milliseconds rounded to the microsecond, for labels: the
/// grid's pauses are whole tenths of a millisecond, which binary fractions
/// of a second would print as `2000.3000000000002`.
fn ms(d: std::time::Duration) -> f64 {
    (d.as_nanos() as f64 / 1e3).round() / 1e3
}

/// A rate interval as `low–high`.
fn range(q: &Qos, confidence: f64) -> String {
    let ci = interval(q, confidence);
    format!("{:.3}–{:.3}", ci.low_per_hour, ci.high_per_hour)
}

/// The frontier and the recommendation, for reading.
pub(crate) fn to_table(report: &Report) -> String {
    let mut s = String::new();
    let base = report.base;
    let first = report.candidates.first().map(|c| c.qos).unwrap_or_default();
    let _ = writeln!(
        s,
        "{} arrivals from {} node(s), median interval {:.1} ms; window {}, first interval {:.1} ms",
        report.arrivals,
        report.nodes,
        report.interval_ms,
        base.max_sample_size(),
        base.first_heartbeat_estimate().as_secs_f64() * 1e3
    );
    match (report.scoring.train_fraction, first.samples) {
        (Some(f), _) => {
            let _ = writeln!(
                s,
                "chosen on the first {:.0} % of each node's time ({:.2} h), checked on the rest \
                 ({:.2} h); warm-up {} arrivals",
                f * 100.0,
                Report::hours(&first),
                report.candidates[0]
                    .held_out
                    .as_ref()
                    .map_or(0.0, Report::hours),
                report.scoring.warmup
            );
        }
        (None, _) => {
            let _ = writeln!(
                s,
                "chosen on the whole trace ({:.2} h, no held-out check); warm-up {} arrivals",
                Report::hours(&first),
                report.scoring.warmup
            );
        }
    }
    let _ = writeln!(
        s,
        "det_ms: silence from a heartbeat's arrival until suspicion (includes the pause; not \
         the heartbeat's network delay)"
    );
    let shown = thin_frontier(
        &report.frontier,
        MAX_TABLE_ROWS,
        report.best.map(|b| b.index),
    );
    let _ = writeln!(
        s,
        "Pareto frontier: {} of its {} rows, of {} configurations (all: --format csv); \
         mistakes/h with {} Garwood interval\n",
        shown.len(),
        report.frontier.len(),
        report.candidates.len(),
        report.percent()
    );
    let _ = writeln!(
        s,
        "{:<12} {:<14} {:>9} {:>8} {:>8} {:>11} {:>10} {:>8} {:>10}  {:<17}",
        "model",
        "learning",
        "threshold",
        "pause_ms",
        "min_σ_ms",
        "mean_det_ms",
        "max_det_ms",
        "mistakes",
        "mistakes/h",
        "interval/h"
    );
    for &i in &shown {
        let c = &report.candidates[i];
        let q = &c.qos;
        let mark = if report.best.is_some_and(|b| b.index == i) {
            " <="
        } else {
            ""
        };
        // Chen, 2W-FD and the timeout read no σ floor.
        let floor = match c.config(base) {
            Some(config) if !matches!(config.model(), Model::Chen | Model::TwoWindow) => {
                format!("{}", ms(c.min_std_deviation))
            }
            _ => "-".to_string(),
        };
        let _ = writeln!(
            s,
            "{:<12} {:<14} {:>9} {:>8} {:>8} {:>11.1} {:>10.1} {:>8} {:>10.3}  {:<17}{mark}",
            c.detection.name(),
            match learning_name(c, report) {
                "" => "-",
                name => name,
            },
            c.threshold,
            ms(c.acceptable_pause),
            floor,
            q.mean_detection_ms(),
            q.max_detection_ms(),
            q.mistakes,
            q.mistakes_per_hour(),
            range(q, report.confidence)
        );
    }
    s.push('\n');
    recommendation(&mut s, report);
    s
}

fn goal(targets: &Targets) -> String {
    match (targets.detection_ms, targets.mistakes_per_hour) {
        (Some(d), Some(m)) => format!("mean detection ≤ {d} ms and ≤ {m} mistakes/hour"),
        (Some(d), None) => format!("mean detection ≤ {d} ms, then fewest mistakes"),
        (None, Some(m)) => format!("≤ {m} mistakes/hour, then fastest detection"),
        (None, None) => "fastest detection".to_string(),
    }
}

fn recommendation(s: &mut String, report: &Report) {
    let Some(best) = report.best else {
        let _ = writeln!(s, "no recommendation: nothing was scored");
        return;
    };
    let c = best.candidate;
    let q = &c.qos;
    let pc = report.percent();
    let goal = goal(&report.targets);
    let hours = Report::hours(q);
    let rule = match learning_name(c, report) {
        "" => String::new(),
        name => format!(", learning {name}"),
    };
    let what = format!(
        "{} threshold {}, acceptable pause {} ms{rule}",
        c.detection,
        c.threshold,
        ms(c.acceptable_pause)
    );
    let figures = format!(
        "mean detection {:.1} ms, {} mistake(s) in {:.2} h = {:.3}/h ({pc}: {}/h)",
        q.mean_detection_ms(),
        q.mistakes,
        hours,
        q.mistakes_per_hour(),
        range(q, report.confidence)
    );
    match best.verdict {
        Verdict::Established => {
            let _ = writeln!(s, "target: {goal}: established at {pc}");
            let _ = writeln!(s, "recommended: {what}\n  {figures}");
        }
        Verdict::Unproven { hours_needed } => {
            let _ = writeln!(
                s,
                "target: {goal}: NOT established at {pc} by any configuration on {hours:.2} h"
            );
            if let (Some(needed), Some(t)) = (hours_needed, report.targets.mistakes_per_hour) {
                // Observed time adds up over nodes.
                let unit = if report.nodes > 1 { "node-hours" } else { "h" };
                let per_trace = report.scoring.train_fraction.map_or(String::new(), |f| {
                    format!(" (a trace of ≥ {:.2} {unit} at this split)", needed / f)
                });
                let _ = writeln!(
                    s,
                    "  even 0 mistakes bound the rate only below {:.2}/h here; ≤ {t}/h needs \
                     ≥ {needed:.2} {unit} to choose on{per_trace}",
                    interval(&Qos { mistakes: 0, ..*q }, report.confidence).high_per_hour
                );
            }
            let _ = writeln!(s, "best point estimate, UNPROVEN: {what}\n  {figures}");
        }
        Verdict::Missed => {
            let _ = writeln!(
                s,
                "target: {goal}: missed by every configuration, even by point estimate"
            );
            let _ = writeln!(s, "closest: {what}\n  {figures}");
        }
    }
    if let Some(h) = &c.held_out {
        let verdict = if h.samples == 0 {
            "nothing held out"
        } else if report.targets.established_by(h, report.confidence) {
            "target established there too"
        } else if report.targets.met_by(h) {
            "meets the target by point estimate only"
        } else {
            "MISSES the target there"
        };
        let _ = writeln!(
            s,
            "held-out check ({:.2} h): mean detection {:.1} ms, {} mistake(s) = {:.3}/h \
             ({pc}: {}/h): {verdict}",
            Report::hours(h),
            h.mean_detection_ms(),
            h.mistakes,
            h.mistakes_per_hour(),
            range(h, report.confidence)
        );
    }
    let _ = writeln!(
        s,
        "settings (acceptable pause {} ms assumed):",
        ms(c.acceptable_pause)
    );
    for line in paste_lines(c, report.base) {
        let _ = writeln!(s, "  {line}");
    }
}
