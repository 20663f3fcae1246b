//! The built-in cluster of `accrual tune`: deterministic, with the link
//! kinds it promises, and a short version of it through `tune --per-node`.

use accrual::simulate::{Cluster, PeerChange, RESTART_DOWNTIME};
use accrual::trace::{NodeTrace, Trace};
use std::process::Command;
use std::time::Duration;

const SECOND: Duration = Duration::from_secs(1);

/// Four hours of the cluster: two on each side of the degrading link's
/// change, about 14 400 heartbeats per peer.
fn four_hours(seed: u64) -> (Cluster, Trace) {
    let cluster = Cluster::builtin(Duration::from_secs(4 * 3600), SECOND, seed).expect("valid");
    let trace = cluster.generate();
    (cluster, trace)
}

fn node<'a>(trace: &'a Trace, name: &str) -> &'a NodeTrace {
    trace
        .nodes()
        .iter()
        .find(|n| n.name() == name)
        .unwrap_or_else(|| panic!("no node {name}"))
}

/// Intervals in ms between arrivals in `[from_s, to_s)`.
fn intervals_ms(node: &NodeTrace, from_s: f64, to_s: f64) -> Vec<f64> {
    let times: Vec<f64> = node
        .arrivals()
        .iter()
        .map(|t| t.as_nanos() as f64 / 1e6)
        .filter(|&ms| ms >= from_s * 1e3 && ms < to_s * 1e3)
        .collect();
    times.windows(2).map(|w| w[1] - w[0]).collect()
}

/// The share of intervals more than 5 ms away from the 1 s interval.
fn irregular(intervals: &[f64]) -> f64 {
    let n = intervals
        .iter()
        .filter(|&&x| (x - 1000.0).abs() > 5.0)
        .count();
    n as f64 / intervals.len() as f64
}

#[test]
fn the_same_seed_gives_the_same_trace() {
    let (_, a) = four_hours(2004);
    let (_, b) = four_hours(2004);
    assert_eq!(a, b);
    let (_, c) = four_hours(2005);
    assert_ne!(a, c);
    let mut csv_a = Vec::new();
    let mut csv_b = Vec::new();
    a.write_csv(&mut csv_a).expect("in memory");
    b.write_csv(&mut csv_b).expect("in memory");
    assert_eq!(csv_a, csv_b);
}

#[test]
fn the_cluster_has_every_link_kind() {
    let (cluster, trace) = four_hours(2004);
    let names: Vec<&str> = trace.nodes().iter().map(|n| n.name()).collect();
    assert_eq!(
        names,
        [
            "lan-1",
            "lan-2",
            "lan-3",
            "gc-1",
            "gc-2",
            "gc-3",
            "wan-1",
            "wan-2",
            "flaky-1",
            "flaky-2",
            "degrading",
            "restarts",
            "restarts.2"
        ]
    );
    assert_eq!(cluster.peers().len(), 12);
    // About one arrival a second for four hours on every link that stays
    // up: WAN senders drift to 1.031 s and lose a few; the restarting peer
    // is split in two.
    for n in &trace.nodes()[..11] {
        let len = n.arrivals().len();
        assert!((13_500..=14_401).contains(&len), "{}: {len}", n.name());
    }

    // GC pauses lengthen intervals: 30 stalls an hour (120 in four hours),
    // median 200 ms, log-normal σ 1. A stall of s ms that starts u ms
    // after a send (u uniform in 0–1000) holds the next one back until
    // u + s: over 1300 ms for P(s > 1300 − u), about 0.11 on average over
    // u, so about 13 intervals. A LAN sender's intervals stay within a
    // millisecond but for a loss (0.006 %, under one in four hours).
    let long = |name: &str| {
        intervals_ms(node(&trace, name), 0.0, 4.0 * 3600.0)
            .iter()
            .filter(|&&x| x > 1300.0)
            .count()
    };
    assert!(long("gc-1") >= 5, "{}", long("gc-1"));
    assert!(long("lan-1") <= 3, "{}", long("lan-1"));

    // WAN paths carry their 135 ms floor and 1 % of spikes from 20 ms:
    // over 2 % of intervals are off by more than 5 ms; LAN intervals
    // almost never (spikes over 5 ms: 0.1 % × 5^−1.5 ≈ 0.01 %).
    let wan = irregular(&intervals_ms(node(&trace, "wan-1"), 0.0, 14_400.0));
    let lan = irregular(&intervals_ms(node(&trace, "lan-1"), 0.0, 14_400.0));
    assert!(wan > 0.015, "{wan}");
    assert!(lan < 0.002, "{lan}");
}

#[test]
fn the_degrading_link_changes_for_good_halfway() {
    let (cluster, trace) = four_hours(2004);
    let peer = cluster
        .peers()
        .iter()
        .find(|p| p.name == "degrading")
        .expect("a degrading peer");
    let Some(PeerChange::Degrade { at, .. }) = peer.change else {
        panic!("degrading does not degrade: {:?}", peer.change)
    };
    assert_eq!(at, Duration::from_secs(2 * 3600));
    let degrading = node(&trace, "degrading");
    // Before the change a LAN (as lan-1 above), after it the flaky path
    // (spikes as the WAN's, and its regimes): the share of irregular
    // intervals jumps and stays up in both quarters after the change.
    let before = irregular(&intervals_ms(degrading, 0.0, 7200.0));
    let third = irregular(&intervals_ms(degrading, 7200.0, 10_800.0));
    let fourth = irregular(&intervals_ms(degrading, 10_800.0, 14_400.0));
    assert!(before < 0.002, "{before}");
    assert!(third > 0.015 && fourth > 0.015, "{third} {fourth}");
    // The sender is the same on both sides: the mean interval stays at the
    // LAN sender's 1 s (a WAN sender would drift to 1.031 s).
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let after = median(intervals_ms(degrading, 7200.0, 14_400.0));
    assert!((after - 1000.0).abs() < 2.0, "{after}");
}

#[test]
fn the_crashed_peer_restarts_after_a_gap() {
    let (_, trace) = four_hours(2004);
    let first = node(&trace, "restarts").arrivals();
    let second = node(&trace, "restarts.2").arrivals();
    let crash = 3.0 * 3600.0;
    let last = first[first.len() - 1].as_nanos() as f64 / 1e9;
    let restart = second[0].as_nanos() as f64 / 1e9;
    // The last heartbeat arrives within a (GC-paused) interval of the crash,
    // the first of the new incarnation within one after the downtime.
    let down = RESTART_DOWNTIME.as_secs_f64();
    assert!(last < crash && last > crash - 15.0, "{last}");
    assert!(
        restart >= crash + down && restart < crash + down + 15.0,
        "{restart}"
    );
    assert!(restart - last >= down);
    // Both incarnations heartbeat regularly otherwise.
    assert!(first.len() > 10_000 && second.len() > 3_000);
}

#[test]
fn a_short_cluster_runs_through_tune_with_a_per_node_breakdown() {
    // Three hours: enough for every peer's change, small enough for a
    // debug build.
    let cluster = Cluster::builtin(Duration::from_secs(3 * 3600), SECOND, 2004).expect("valid");
    let trace = cluster.generate();
    let dir = std::env::temp_dir().join(format!("accrual-cluster-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("cluster.csv");
    let mut csv = Vec::new();
    trace.write_csv(&mut csv).expect("in memory");
    std::fs::write(&path, csv).expect("temp file");
    let out = Command::new(env!("CARGO_BIN_EXE_accrual"))
        .args([
            "tune",
            "--trace",
            path.to_str().expect("utf-8 path"),
            "--models",
            "akka,timeout",
            "--per-node",
        ])
        .output()
        .expect("the binary runs");
    let _ = std::fs::remove_dir_all(&dir);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("recommended: akka") || stdout.contains("UNPROVEN: akka"));
    let breakdown = stdout
        .split_once("\nper node, whole trace: akka")
        .map(|(_, b)| b)
        .unwrap_or_else(|| panic!("no breakdown:\n{stdout}"));
    // One row per node of the trace (the restarted peer's two incarnations
    // included), then the total and the comparison.
    for n in trace.nodes() {
        assert!(
            breakdown
                .lines()
                .any(|l| l.starts_with(&format!("{} ", n.name()))),
            "no row for {}:\n{breakdown}",
            n.name()
        );
    }
    let all = breakdown
        .lines()
        .find(|l| l.starts_with("all "))
        .expect("a total row");
    // 12 peers over three hours, less the restart's two minutes of
    // downtime and each node's time before its first arrival (at most a
    // second, or a stall): just under 36 node-hours.
    let hours: f64 = all
        .split_whitespace()
        .nth(1)
        .expect("hours")
        .parse()
        .expect("a number");
    assert!((35.9..36.0).contains(&hours), "{all}");
    assert!(breakdown.contains("at equal mean detection"), "{breakdown}");

    // The breakdown is a table: refused, not ignored, with CSV.
    let csv_out = Command::new(env!("CARGO_BIN_EXE_accrual"))
        .args([
            "tune",
            "--per-node",
            "--format",
            "csv",
            "--trace",
            "/nonexistent.csv",
        ])
        .output()
        .expect("the binary runs");
    assert!(!csv_out.status.success());
    assert!(String::from_utf8_lossy(&csv_out.stderr).contains("--per-node"));
}
