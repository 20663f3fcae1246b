//! `accrual plot`: a node's phi over time, and optionally the trade-off
//! chart, as SVG files.

use crate::args::PlotArgs;
use crate::read_trace;
use crate::tune::evaluate_with_progress;
use accrual::tune::{self, Detection, Targets};
use accrual::Timestamp;

pub(crate) fn run(args: &PlotArgs) -> Result<(), String> {
    let trace = read_trace(&args.trace, &args.input)?;
    let node = match &args.node {
        Some(name) => trace
            .nodes()
            .iter()
            .find(|n| n.name() == name)
            .ok_or_else(|| format!("node {name:?} is not in the trace"))?,
        None => trace.nodes().first().ok_or("the trace is empty")?,
    };
    let interval_ms = tune::median_interval(&trace)
        .map(|d| d.as_secs_f64() * 1e3)
        .ok_or("the trace has no interval (each node needs two arrivals)")?;
    let config = args.detector.config(interval_ms, 0.0)?;
    let arrivals = node.arrivals();
    // Default range: 20 s around the middle of the longest gap.
    let middle = arrivals
        .windows(2)
        .max_by_key(|w| w[1].as_nanos() - w[0].as_nanos())
        .map_or(0.0, |w| (w[0].as_millis_f64() + w[1].as_millis_f64()) / 2.0);
    let from_ms = args.from_ms.unwrap_or((middle - 10_000.0).max(0.0));
    let to_ms = args.to_ms.unwrap_or(from_ms + 20_000.0);
    let stamp = |ms: f64, flag: &str| {
        Timestamp::try_from_millis_f64(ms).map_err(|e| format!("{flag}: {e}"))
    };
    let (from, to) = (stamp(from_ms, "--from-ms")?, stamp(to_ms, "--to-ms")?);
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
        let plan: Vec<(Detection, Vec<f64>)> = Detection::ALL
            .iter()
            .map(|&d| (d, tune::default_thresholds(d, interval_ms)))
            .collect();
        let candidates = evaluate_with_progress(&trace, &config, &plan, 0)?;
        let best = tune::recommend(&candidates, &Targets::DEFAULT);
        let title = format!("QoS trade-off on {}", args.trace.display());
        std::fs::write(path, accrual::plot::tradeoff_svg(&candidates, best, &title))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}
