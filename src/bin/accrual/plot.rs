//! `accrual plot`: a node's phi over time, and optionally the trade-off
//! chart, as SVG files.

use crate::args::PlotArgs;
use crate::input::{config_error, shown, time_ms_value, DETECTOR_OPTIONS, NO_USABLE_INTERVAL};
use crate::read_trace;
use crate::tune::evaluate_with_progress;
use accrual::tune::{self, Detection, GridSpec, Scoring, Targets};

pub(crate) fn run(args: &PlotArgs) -> Result<(), String> {
    let trace = read_trace(&args.trace, &args.input)?;
    let node = match &args.node {
        Some(name) => trace
            .nodes()
            .iter()
            .find(|n| n.name() == name)
            .ok_or_else(|| format!("node {} is not in the trace", shown(name)))?,
        None => trace.nodes().first().ok_or("the trace is empty")?,
    };
    let interval_ms = tune::median_interval(&trace)
        .map(|d| d.as_secs_f64() * 1e3)
        .ok_or("the trace has no interval (each node needs two arrivals)")?;
    if interval_ms <= 0.0 {
        // Every default is a multiple of this interval: name the trace,
        // not the setting a zero would break first.
        return Err(NO_USABLE_INTERVAL.into());
    }
    let config = args.detector.config(interval_ms, 0.0)?;
    let arrivals = node.arrivals();
    // Default range: 20 s around the middle of the longest gap.
    let middle = arrivals
        .windows(2)
        .max_by_key(|w| w[1].as_nanos() - w[0].as_nanos())
        .map_or(0.0, |w| (w[0].as_millis_f64() + w[1].as_millis_f64()) / 2.0);
    let from_ms = args.from_ms.unwrap_or((middle - 10_000.0).max(0.0));
    let to_ms = args.to_ms.unwrap_or(from_ms + 20_000.0);
    let (from, to) = (
        time_ms_value("--from-ms", from_ms)?,
        time_ms_value("--to-ms", to_ms)?,
    );
    if to <= from {
        return Err("--to-ms must be after --from-ms".to_string());
    }
    let title = format!(
        "phi of {} ({} model, threshold {})",
        node.name(),
        config.model(),
        config.threshold()
    );
    let svg = accrual::plot::phi_timeline_svg(arrivals, &config, from, to, &title);
    std::fs::write(&args.out, svg)
        .map_err(|e| format!("cannot write {}: {e}", args.out.display()))?;
    eprintln!("wrote {}", args.out.display());
    if let Some(path) = &args.tradeoff {
        // The default grid of `tune` on the whole trace; --pause-ms,
        // --min-std-ms and --learning, if given, restrict it as they do
        // there.
        let spec = GridSpec {
            pauses_ms: args.detector.pause_ms.map(|p| vec![p]),
            min_std_ms: args.detector.min_std_ms.map(|m| vec![m]),
            learnings: args.detector.rules.learning.clone(),
            ..GridSpec::defaults(&Detection::ALL)
        };
        let jobs = spec
            .jobs(interval_ms)
            .map_err(|e| config_error(&e, DETECTOR_OPTIONS))?;
        let scoring = Scoring {
            warmup: 0,
            train_fraction: None,
        };
        let candidates = evaluate_with_progress(&trace, &config, &jobs, scoring, DETECTOR_OPTIONS)?;
        let frontier = tune::pareto_frontier(&candidates);
        let best = tune::recommend(&candidates, &Targets::DEFAULT, 0.95).map(|b| b.index);
        let title = format!("QoS trade-off on {}", args.trace.display());
        let svg = accrual::plot::tradeoff_svg(&candidates, &frontier, best, &title);
        std::fs::write(path, svg).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}
