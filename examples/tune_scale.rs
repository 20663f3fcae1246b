//! The streaming `tune` at scale: a 10 M-arrival trace file × the default
//! grid of three models (normal, exponential, Chen), with wall time per
//! phase and the peak resident memory (`VmHWM` of /proc/self/status).
//!
//! ```text
//! cargo run --release --features tools --example tune_scale             # writes and tunes a 10 M-arrival file
//! cargo run --release --features tools --example tune_scale -- FILE     # tunes FILE (kept)
//! cargo run --release --features tools --example tune_scale -- --write FILE [ARRIVALS]
//! ```
//!
//! Without a file it writes one to the temporary directory (about 190 MB,
//! removed at the end): 20 nodes sending every 100 ms with jitter, a lost
//! heartbeat now and then, rows interleaved in time as a collector writes
//! them. The trace is written as it is generated, so the peak memory is
//! the tuning's, not the generator's. Figures are in BENCHMARKS.md
//! ("Tuning replay").

use accrual::trace::ReadOptions;
use accrual::tune::stream::{evaluate_grid_file, summarize};
use accrual::tune::{Detection, GridSpec, Scoring};
use accrual::{Config, Model};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

const NODES: u64 = 20;

/// Writes `arrivals` rows of `NODES` nodes, interleaved in time.
fn write_trace(path: &Path, arrivals: u64) -> std::io::Result<()> {
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    writeln!(out, "node,arrival_ms")?;
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    // Round k: every node sends at k × 100 ms plus its own offset; the
    // delay is 20 ms plus up to 30 ms of jitter (plus up to 500 ms one time
    // in 500, holding back the heartbeats behind it), and one heartbeat in
    // 200 is lost.
    let mut written = 0;
    let mut round = 0u64;
    let mut last = [0u64; NODES as usize];
    while written < arrivals {
        for node in 0..NODES {
            if written == arrivals {
                break;
            }
            let r = next();
            if r % 200 == 0 {
                continue;
            }
            let mut delay_us = 20_000 + (r >> 8) % 30_000;
            if (r >> 40) % 500 == 0 {
                delay_us += (r >> 20) % 500_000;
            }
            // A late heartbeat holds back the ones behind it (one ordered
            // connection per node), so each node's arrivals stay in order.
            let at_us = (round * 100_000 + node * 4_000 + delay_us).max(last[node as usize]);
            last[node as usize] = at_us;
            writeln!(out, "n{node:02},{}.{:03}", at_us / 1000, at_us % 1000)?;
            written += 1;
        }
        round += 1;
    }
    out.flush()
}

/// Peak resident memory so far, from /proc/self/status.
fn peak_rss() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l["VmHWM:".len()..].trim().to_string())
        })
        .unwrap_or_else(|| "unknown".to_string())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--write") {
        let path = args.get(1).ok_or("--write FILE [ARRIVALS]")?;
        let n: u64 = args.get(2).map_or(Ok(10_000_000), |s| s.parse())?;
        write_trace(Path::new(path), n)?;
        return Ok(());
    }
    let (path, temporary) = match args.first() {
        Some(p) => (PathBuf::from(p), false),
        None => {
            let path =
                std::env::temp_dir().join(format!("accrual-tune-scale-{}.csv", std::process::id()));
            let started = Instant::now();
            write_trace(&path, 10_000_000)?;
            println!(
                "wrote {} in {:.1} s",
                path.display(),
                started.elapsed().as_secs_f64()
            );
            (path, true)
        }
    };
    let result = run(&path);
    if temporary {
        let _ = std::fs::remove_file(&path);
    }
    result
}

fn run(path: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let options = ReadOptions::new();
    let total = Instant::now();
    let started = Instant::now();
    let summary = summarize(path, &options, &|_| {})?;
    let summary_s = started.elapsed().as_secs_f64();
    let interval = summary.median_interval.ok_or("no interval")?;
    let interval_ms = interval.as_secs_f64() * 1e3;
    println!(
        "{} bytes, {} arrivals, {} nodes, median interval {interval_ms:.3} ms: summary {summary_s:.2} s",
        summary.bytes,
        summary.arrivals,
        summary.nodes.len()
    );
    // As `accrual tune` sets the base configuration.
    let base = Config::builder()
        .max_sample_size(1000)
        .first_heartbeat_estimate_ms(interval_ms)
        .min_std_deviation_ms(interval_ms / 10.0)
        .acceptable_pause_ms(0.0)
        .build()?;
    let models = [
        Detection::Phi(Model::Normal),
        Detection::Phi(Model::Exponential),
        Detection::Phi(Model::Chen),
    ];
    let jobs = GridSpec::defaults(&models).jobs(interval_ms)?;
    let configurations: usize = jobs.iter().map(|j| j.thresholds.len()).sum();
    let scoring = Scoring {
        warmup: 0,
        train_fraction: Some(2.0 / 3.0),
    };
    let started = Instant::now();
    let candidates = evaluate_grid_file(path, &options, &summary, &base, &jobs, scoring, &|_| {})?;
    let replay_s = started.elapsed().as_secs_f64();
    println!(
        "replay: {configurations} configurations in {} jobs × {} nodes: {replay_s:.2} s",
        jobs.len(),
        summary.nodes.len()
    );
    println!(
        "total {:.2} s, peak RSS {} ({} candidates)",
        total.elapsed().as_secs_f64(),
        peak_rss(),
        candidates.len()
    );
    Ok(())
}
