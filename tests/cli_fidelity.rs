//! `accrual tune` in paper mode against the independent implementations
//! of the papers' detectors (`fidelity/papers.rs`), on the real heartbeat
//! slices of `tests/data/planetlab/`: the command line must carry the rule
//! options (`--learning`, `--period`, `--bootstrap`) and the trace's
//! sequence numbers all the way to the detectors it scores.

// The shared modules also serve `tests/fidelity.rs`; this file uses part of them.
#![allow(dead_code)]

#[path = "support/cli.rs"]
mod cli;
#[path = "fidelity/papers.rs"]
mod papers;
#[path = "fidelity/slices.rs"]
mod slices;

use cli::{accrual, text, write_temp};
use papers::{qos, Bertier, Chen, Phi, Replay, TwoWindow};

/// The slice as a trace file, times rounded to whole microseconds (the
/// engine's window keeps whole microseconds; see `tests/fidelity.rs`).
fn trace_file(name: &'static str) -> (std::path::PathBuf, Vec<(u64, u64)>) {
    let rows = slices::load(name).micros();
    let mut csv = String::from("node,seq,arrival_ms\n");
    for &(seq, ns) in &rows {
        csv += &format!("n,{seq},{}.{:03}\n", ns / 1_000_000, ns / 1_000 % 1_000);
    }
    (write_temp(name, &csv), rows)
}

/// `tune --format csv` rows: `(threshold, mistakes, mistake_ms, mean_detection_ms)`.
fn tune(path: &std::path::Path, model: &str, thresholds: &str, rules: &[&str]) -> Vec<[f64; 4]> {
    let path = path.to_str().expect("utf-8 path");
    let mut args = vec![
        "tune",
        "--trace",
        path,
        "--models",
        model,
        "--thresholds",
        thresholds,
        "--window",
        "999",
        "--first-interval-ms",
        "100",
        "--pause-ms",
        "0",
        "--min-std-ms",
        "0.000001",
        "--no-validate",
        "--format",
        "csv",
    ];
    args.extend_from_slice(rules);
    let out = accrual(&args, "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let mut lines = stdout.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).expect(name);
    let cols = [
        col("threshold"),
        col("mistakes"),
        col("mistake_ms"),
        col("mean_detection_ms"),
    ];
    lines
        .map(|line| {
            let cells: Vec<&str> = line.split(',').collect();
            cols.map(|c| cells[c].parse::<f64>().expect("a number"))
        })
        .collect()
}

fn assert_agrees(what: &str, got: [f64; 4], want: Replay) {
    let rel = |a: f64, b: f64| (a - b).abs() <= 1e-6 * a.abs().max(b.abs()).max(1.0);
    let mean = want.detection_ms / want.samples as f64;
    assert_eq!(got[1], want.mistakes as f64, "{what}: mistakes");
    assert!(
        rel(got[2], want.mistake_ms),
        "{what}: mistake time {} against {}",
        got[2],
        want.mistake_ms
    );
    assert!(
        rel(got[3], mean),
        "{what}: mean detection {} against {mean}",
        got[3]
    );
}

const PAPER: [&str; 6] = [
    "--learning",
    "all",
    "--period",
    "fixed",
    "--bootstrap",
    "growing",
];

#[test]
fn tune_in_paper_mode_scores_the_margin_models_as_the_papers_do() {
    // The stall slice: the sequence numbers decide where the margin models
    // expect the heartbeats after it.
    let chen = Chen {
        window: 1000,
        eta_ms: 100.0,
    };
    let two = TwoWindow {
        short: 1,
        long: 1000,
        eta_ms: 100.0,
    };
    // The 1 ns σ floor under Bertier's variation term, as in
    // `tests/fidelity.rs`.
    let bertier = Bertier {
        min_variation_ms: 1e-6,
        ..Bertier::paper(1000, 100.0)
    };
    for name in ["node5-60000.csv", "node1-52000.csv"] {
        let (path, rows) = trace_file(name);
        let t = slices::Slice::heartbeats(&rows);
        for got in tune(&path, "chen", "1,10,100", &PAPER) {
            let want = qos(&t, &chen.freshness_points(&t, got[0]));
            assert_agrees(&format!("{name} chen α {}", got[0]), got, want);
        }
        for got in tune(&path, "2w-fd", "1,10", &PAPER) {
            let want = qos(&t, &two.freshness_points(&t, got[0]));
            assert_agrees(&format!("{name} 2w-fd α {}", got[0]), got, want);
        }
        for got in tune(&path, "bertier", "0.5,1,4", &PAPER) {
            let want = qos(&t, &bertier.freshness_points(&t, got[0]));
            assert_agrees(&format!("{name} bertier × {}", got[0]), got, want);
        }
    }
}

#[test]
fn tune_in_paper_mode_scores_phi_as_the_paper_does() {
    let (path, rows) = trace_file("node5-89000.csv");
    let t = slices::Slice::heartbeats(&rows);
    let phi = Phi {
        window: 999,
        first_interval_ms: 100.0,
        min_std_ms: 1e-6,
    };
    for got in tune(&path, "normal", "1,8", &PAPER) {
        let want = qos(&t, &phi.freshness_points(&t, got[0]));
        assert_agrees(&format!("normal Φ {}", got[0]), got, want);
    }
}

#[test]
fn the_rule_options_change_what_tune_scores() {
    // On the stall slice the learning rule and the period each change
    // Chen's mistakes (papers/fidelity.md); a tune that dropped the
    // options would print the same row three times.
    let (path, _) = trace_file("node5-60000.csv");
    let paper = tune(&path, "chen", "1", &PAPER)[0];
    let skip = tune(
        &path,
        "chen",
        "1",
        &[
            "--learning",
            "skip-suspected",
            "--period",
            "fixed",
            "--bootstrap",
            "growing",
        ],
    )[0];
    let estimated = tune(
        &path,
        "chen",
        "1",
        &[
            "--learning",
            "all",
            "--period",
            "estimated",
            "--bootstrap",
            "growing",
        ],
    )[0];
    assert_ne!(paper[1], skip[1], "--learning");
    assert_ne!(paper[1], estimated[1], "--period");
}
