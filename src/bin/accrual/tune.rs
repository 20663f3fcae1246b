//! `accrual tune`: score models and thresholds on a trace and recommend one.

use crate::args::{Format, TuneArgs};
use crate::format::{to_csv, to_json, to_table};
use crate::read_trace;
use accrual::simulate::{self, Profile, Scenario};
use accrual::trace::Trace;
use accrual::tune::{self, Candidate, Detection, Targets};
use accrual::Config;
use std::io::{self, Write};
use std::path::PathBuf;

/// Parses `a,b,c` or `start:end:step` (inclusive of `end` up to rounding).
fn parse_thresholds(text: &str) -> Result<Vec<f64>, String> {
    let bad = || format!("--thresholds {text:?}: expected a comma list or start:end:step");
    if text.contains(':') {
        let parts: Vec<f64> = text
            .split(':')
            .map(|p| p.trim().parse::<f64>().map_err(|_| bad()))
            .collect::<Result<_, _>>()?;
        let [start, end, step] = parts.as_slice() else {
            return Err(bad());
        };
        if !(step.is_finite() && *step > 0.0 && start.is_finite() && end >= start) {
            return Err(bad());
        }
        let count = ((end - start) / step + 1e-9).floor() as usize + 1;
        if count > 100_000 {
            return Err(format!("--thresholds {text:?}: more than 100000 values"));
        }
        Ok((0..count).map(|k| start + k as f64 * step).collect())
    } else {
        text.split(',')
            .map(|p| p.trim().parse::<f64>().map_err(|_| bad()))
            .collect()
    }
}

fn load_trace(args: &TuneArgs) -> Result<Trace, String> {
    match &args.trace {
        Some(path) => read_trace(path, &args.input),
        None => default_trace(),
    }
}

pub(crate) fn run(args: &TuneArgs) -> Result<(), String> {
    let trace = load_trace(args)?;
    let interval_ms = tune::median_interval(&trace)
        .map(|d| d.as_secs_f64() * 1e3)
        .ok_or("the trace has no interval to score (each node needs two arrivals)")?;
    let base = args.detector.config(interval_ms, 0.0)?;
    let detections: Vec<Detection> = args
        .models
        .iter()
        .map(|m| m.parse::<Detection>().map_err(|e| e.to_string()))
        .collect::<Result<_, _>>()?;
    let explicit = args
        .thresholds
        .as_deref()
        .map(parse_thresholds)
        .transpose()?;
    let plan: Vec<(Detection, Vec<f64>)> = detections
        .iter()
        .map(|&detection| {
            let thresholds = match &explicit {
                Some(t) => t.clone(),
                None => tune::default_thresholds(detection, interval_ms),
            };
            (detection, thresholds)
        })
        .collect();
    let candidates = evaluate_with_progress(&trace, &base, &plan, args.warmup)?;
    let stated = Targets {
        detection_ms: args.target_detection_ms,
        mistakes_per_hour: args.target_mistakes_per_hour,
    };
    let targets = if stated == Targets::default() {
        Targets::DEFAULT
    } else {
        stated
    };
    let best = tune::recommend(&candidates, &targets);
    let text = match args.format {
        Format::Csv => to_csv(&candidates),
        Format::Json => to_json(&candidates, best),
        Format::Table => to_table(&trace, &base, &candidates, best, &targets),
    };
    let stdout = io::stdout();
    let mut out = stdout.lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| format!("writing output: {e}"))?;
    let plot = match (&args.plot, &args.trace) {
        (Some(path), _) => Some(path.clone()),
        (None, None) => Some(PathBuf::from("accrual-tune.svg")),
        (None, Some(_)) => None,
    };
    if let Some(path) = plot {
        let title = match &args.trace {
            Some(t) => format!("QoS trade-off on {}", t.display()),
            None => "QoS trade-off on the built-in simulated WAN trace".to_string(),
        };
        std::fs::write(
            &path,
            accrual::plot::tradeoff_svg(&candidates, best, &title),
        )
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

/// [`tune::evaluate_plan`] with a progress bar on standard error (hidden
/// when it is not a terminal).
pub(crate) fn evaluate_with_progress(
    trace: &Trace,
    base: &Config,
    plan: &[(Detection, Vec<f64>)],
    warmup: usize,
) -> Result<Vec<Candidate>, String> {
    let configurations: usize = plan.iter().map(|(_, t)| t.len()).sum();
    let bar = indicatif::ProgressBar::new(plan.len() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} {elapsed_precise} [{bar:30}] {pos}/{len} models {msg}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.set_message(format!(
        "({configurations} configurations on {} arrivals)",
        trace.len()
    ));
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    let result = tune::evaluate_plan(trace, base, plan, warmup, &|_| bar.inc(1));
    bar.finish_and_clear();
    result.map_err(|e| e.to_string())
}

/// The built-in input of `tune`: one hour of the `wan` profile (one node,
/// seed 2004), a trace shaped like the phi paper's Japan–Switzerland link.
fn default_trace() -> Result<Trace, String> {
    let scenario = Scenario::builder(Profile::Wan)
        .duration_s(3600.0)
        .nodes(1)
        .seed(2004)
        .build()
        .map_err(|e| e.to_string())?;
    Ok(simulate::generate(&scenario))
}
