//! What each of the engine's rules costs on whole traces, for
//! `papers/fidelity.md`: the papers' detectors (the independent
//! implementations of `tests/fidelity/papers.rs`), the engine in paper
//! mode, with its default rules, and with each rule switched alone.
//!
//! ```sh
//! cargo run --release --example fidelity -- ../shared/data/planetlab-send/node{0,1,3,5}.csv
//! ```
//!
//! Reads `node,seq,arrival_ms` files (one node each) and prints one CSV row
//! per model, threshold and variant with the mistakes, the mistake time
//! and the mean detection time summed over the files. Common settings: a
//! window of 999 intervals (1,000 arrivals), η and the first interval
//! 100 ms, no acceptable pause, σ floor 1 ns unless a variant says
//! otherwise, 2W-FD's short window 1, Bertier's β 1, φ 4, γ 0.1.
//!
//! With `--micros` first, every arrival is rounded to the whole
//! microsecond before both sides see it: the resolution at which the
//! engine's window keeps intervals, so that the engine in paper mode and
//! the papers' detectors read the same numbers.

#[allow(dead_code)] // Shared with the tests, which use all of it.
#[path = "../tests/fidelity/papers.rs"]
mod papers;

use accrual::{Bootstrap, Config, Detector, Learning, Model, Period, Timestamp};
use papers::{qos, Bertier, Chen, Heartbeat, Phi, Replay, TwoWindow};
use std::time::Duration;

/// One node: `(seq, ns since its first heartbeat)`, exact.
fn read(path: &str) -> Vec<(u64, u64)> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("node,seq,arrival_ms"), "{path}: header");
    let rows: Vec<(u64, u64)> = lines
        .map(|line| {
            let cols: Vec<&str> = line.split(',').collect();
            let (whole, frac) = cols[2].split_once('.').unwrap_or((cols[2], ""));
            let ns = whole.parse::<u64>().expect("ms") * 1_000_000
                + format!("{frac:0<6}").parse::<u64>().expect("fraction");
            (cols[1].parse().expect("seq"), ns)
        })
        .collect();
    let t0 = rows[0].1;
    rows.iter().map(|&(s, ns)| (s, ns - t0)).collect()
}

fn heartbeats(rows: &[(u64, u64)]) -> Vec<Heartbeat> {
    rows.iter()
        .map(|&(seq, ns)| Heartbeat {
            seq,
            at_ms: ns as f64 / 1e6,
        })
        .collect()
}

/// An engine variant: the rules, whether sequence numbers are given, the
/// σ floor.
struct Variant {
    name: &'static str,
    /// `None`: the model's default.
    learning: Option<Learning>,
    period: Period,
    bootstrap: Bootstrap,
    seqs: bool,
    min_std: Duration,
}

const NS: Duration = Duration::from_nanos(1);

const VARIANTS: [Variant; 10] = [
    Variant {
        name: "engine paper mode",
        learning: Some(Learning::All),
        period: Period::Fixed,
        bootstrap: Bootstrap::Growing,
        seqs: true,
        min_std: NS,
    },
    Variant {
        name: "paper mode but skip-suspected",
        learning: Some(Learning::SkipSuspected),
        period: Period::Fixed,
        bootstrap: Bootstrap::Growing,
        seqs: true,
        min_std: NS,
    },
    Variant {
        name: "paper mode but period estimated",
        learning: Some(Learning::All),
        period: Period::Estimated,
        bootstrap: Bootstrap::Growing,
        seqs: true,
        min_std: NS,
    },
    Variant {
        name: "paper mode but seeds",
        learning: Some(Learning::All),
        period: Period::Fixed,
        bootstrap: Bootstrap::Seeds,
        seqs: true,
        min_std: NS,
    },
    Variant {
        name: "paper mode but no seq",
        learning: Some(Learning::All),
        period: Period::Fixed,
        bootstrap: Bootstrap::Growing,
        seqs: false,
        min_std: NS,
    },
    Variant {
        name: "paper mode but estimated; no seq",
        learning: Some(Learning::All),
        period: Period::Estimated,
        bootstrap: Bootstrap::Growing,
        seqs: false,
        min_std: NS,
    },
    Variant {
        name: "default rules; seq",
        learning: None,
        period: Period::Estimated,
        bootstrap: Bootstrap::Seeds,
        seqs: true,
        min_std: NS,
    },
    Variant {
        name: "default rules; no seq",
        learning: None,
        period: Period::Estimated,
        bootstrap: Bootstrap::Seeds,
        seqs: false,
        min_std: NS,
    },
    Variant {
        name: "default rules but skip-suspected; no seq",
        learning: Some(Learning::SkipSuspected),
        period: Period::Estimated,
        bootstrap: Bootstrap::Seeds,
        seqs: false,
        min_std: NS,
    },
    Variant {
        name: "default rules; no seq; min sigma 10 ms",
        learning: None,
        period: Period::Estimated,
        bootstrap: Bootstrap::Seeds,
        seqs: false,
        min_std: Duration::from_millis(10),
    },
];

fn engine(model: Model, threshold: f64, v: &Variant, rows: &[(u64, u64)]) -> Vec<f64> {
    let builder = match v.learning {
        Some(learning) => Config::builder().learning(learning),
        None => Config::builder(),
    };
    let config = builder
        .model(model)
        .threshold(threshold)
        .max_sample_size(999)
        .first_heartbeat_estimate(Duration::from_millis(100))
        .acceptable_pause(Duration::ZERO)
        .min_std_deviation(v.min_std)
        .short_window(1)
        .bertier(1.0, 4.0, 0.1)
        .period(v.period)
        .bootstrap(v.bootstrap)
        .build()
        .expect("valid");
    let mut d = Detector::new(config);
    rows.iter()
        .map(|&(seq, ns)| {
            let at = Timestamp::from_nanos(ns);
            if v.seqs {
                d.heartbeat_seq(at, seq).expect("in order");
            } else {
                d.heartbeat(at).expect("in order");
            }
            d.suspicion_deadline().expect("monitoring").as_nanos() as f64 / 1e6
        })
        .collect()
}

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let micros = args.first().is_some_and(|a| a == "--micros");
    if micros {
        args.remove(0);
    }
    let nodes: Vec<Vec<(u64, u64)>> = args
        .iter()
        .map(|p| {
            let rows = read(p);
            if micros {
                rows.iter()
                    .map(|&(s, ns)| (s, (ns + 500) / 1_000 * 1_000))
                    .collect()
            } else {
                rows
            }
        })
        .collect();
    let traces: Vec<Vec<Heartbeat>> = nodes.iter().map(|r| heartbeats(r)).collect();
    let (window, eta_ms) = (1000, 100.0);
    let phi = Phi {
        window: window - 1,
        first_interval_ms: eta_ms,
        min_std_ms: 1e-6,
    };
    let chen = Chen { window, eta_ms };
    let two = TwoWindow {
        short: 1,
        long: window,
        eta_ms,
    };
    let bertier = Bertier::paper(window, eta_ms);
    println!("model,threshold,variant,mistakes,mistake_ms,mean_detection_ms");
    let print = |model: &str, threshold: f64, variant: &str, taus: &dyn Fn(usize) -> Vec<f64>| {
        let mut total = Replay::default();
        for (i, t) in traces.iter().enumerate() {
            let r = qos(t, &taus(i));
            total.samples += r.samples;
            total.detection_ms += r.detection_ms;
            total.mistakes += r.mistakes;
            total.mistake_ms += r.mistake_ms;
        }
        println!(
            "{model},{threshold},{variant},{},{:.3},{:.3}",
            total.mistakes,
            total.mistake_ms,
            total.detection_ms / total.samples as f64
        );
    };
    let rows = |model: &str, m: Model, threshold: f64, paper: &dyn Fn(&[Heartbeat]) -> Vec<f64>| {
        print(model, threshold, "paper (independent)", &|i| {
            paper(&traces[i])
        });
        for v in &VARIANTS {
            print(model, threshold, v.name, &|i| {
                engine(m, threshold, v, &nodes[i])
            });
        }
    };
    for threshold in [1.0, 2.0, 4.0, 8.0, 10.0] {
        rows("normal", Model::Normal, threshold, &|t| {
            phi.freshness_points(t, threshold)
        });
    }
    for alpha in [0.1, 1.0, 5.0, 10.0, 20.0, 50.0, 100.0] {
        rows("chen", Model::Chen, alpha, &|t| {
            chen.freshness_points(t, alpha)
        });
        rows("2w-fd", Model::TwoWindow, alpha, &|t| {
            two.freshness_points(t, alpha)
        });
    }
    for scale in [0.5, 1.0, 2.0, 4.0] {
        rows("bertier", Model::Bertier, scale, &|t| {
            bertier.freshness_points(t, scale)
        });
    }
}
