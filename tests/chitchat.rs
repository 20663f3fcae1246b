//! `accrual` beside chitchat (Quickwit's gossip membership): six chitchat
//! nodes on 127.0.0.1 losing 20 % of their datagrams, the heartbeats their
//! gossip delivers to one node fed to `accrual` monitors there, a steady
//! run, then one node killed. The run
//! is `examples/chitchat_cluster/`; this test states what it must show.
//!
//! `cargo test --all-features --test chitchat -- --nocapture` prints the
//! transitions as they happen and the side-by-side figures.

#[path = "../examples/chitchat_cluster/cluster.rs"]
mod cluster;
#[path = "../examples/chitchat_cluster/comparison.rs"]
mod comparison;

use comparison::{run, Report, Settings};
use std::time::Duration;

/// What a loaded 2-core machine may add to any detection: the observer's
/// polls and chitchat's rounds all run on one thread that other processes
/// preempt.
const SCHEDULING_SLACK: Duration = Duration::from_millis(300);

/// The normal model's standardised silence at phi 8: Q(5.612) = 1e-8.
/// Rounded down, so the floor below stays a floor.
const NORMAL_Y_AT_PHI_8: f64 = 5.61;

fn settings() -> Settings {
    Settings {
        nodes: 6,
        gossip_interval: Duration::from_millis(100),
        poll: Duration::from_millis(5),
        // Every node loses a fifth of the datagrams it receives: gossip
        // carries each member's news by several paths, and the detectors
        // must neither suspect the living nor miss the dead through it.
        loss_per_mille: 200,
        // About 0.3 s in practice; the limits keep the whole test under
        // about 11 s however slow the machine is.
        converge_limit: Duration::from_secs(3),
        settle: Duration::from_millis(500),
        steady: Duration::from_secs(4),
        detect_limit: Duration::from_secs(3),
        verbose: true,
    }
}

fn compare(settings: Settings) -> Report {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let report = runtime
        .block_on(run(settings))
        .expect("the cluster ran and converged");
    println!("\n{report}");
    report
}

#[test]
fn both_detect_a_killed_node_and_accrual_suspects_no_live_one() {
    let settings = settings();
    let recommended = settings.recommended();
    let report = compare(settings.clone());
    let gossip = settings.gossip_interval;

    // Not a vacuous steady run: every peer's news reached the observer at
    // least once every two gossip rounds on average.
    let rounds_per_s = 1.0 / gossip.as_secs_f64();
    assert!(
        report.arrivals_per_s >= rounds_per_s / 2.0,
        "{:.1} arrivals per peer per second, fewer than one per two rounds\n{report}",
        report.arrivals_per_s
    );

    // Each detector suspects the dead node no later than its own state at
    // the kill forecast (chitchat: 8 × its smoothed mean interval;
    // accrual: the suspicion deadline), plus how often it looks (chitchat
    // once per gossip round, the monitors at every poll, plus the guard's
    // hold if the observer stalled) and the scheduling slack.
    for (i, outcome) in report.outcomes.iter().enumerate() {
        let name = &outcome.name;
        let detected = outcome.after_last.unwrap_or_else(|| {
            panic!(
                "{name} did not suspect {} within {:?} of the kill\n{report}",
                report.killed, settings.detect_limit
            )
        });
        let predicted = outcome
            .predicted
            .unwrap_or_else(|| panic!("{name} had no forecast for {}\n{report}", report.killed));
        let period = if i == 0 {
            gossip
        } else if report.observer_pauses > 0 {
            settings.poll + recommended.acceptable_pause()
        } else {
            settings.poll
        };
        let bound = predicted + period + SCHEDULING_SLACK;
        assert!(
            detected <= bound,
            "{name}: suspected {} {detected:?} after its last heartbeat, bound {bound:?}\n{report}",
            report.killed
        );
    }

    // The recommended configuration never suspects within its acceptable
    // pause plus 5.61 minimum deviations of the expected arrival: for
    // for_interval(100 ms), 300 ms + 5.61 × 10 ms.
    let recommended_outcome = &report.outcomes[1];
    let floor =
        recommended.acceptable_pause() + recommended.min_std_deviation().mul_f64(NORMAL_Y_AT_PHI_8);
    let detected = recommended_outcome.after_last.unwrap_or_default();
    assert!(
        detected >= floor,
        "suspected {detected:?} after the last heartbeat, before the floor {floor:?}\n{report}"
    );

    // With an acceptable pause of three gossip rounds, a live member is
    // suspected only if no digest brings its news to the observer for more
    // than three rounds while the observer itself keeps running (a stall
    // of this process is a stall of the ticks, which the guard catches).
    // Each round the member gossips to three of the five others and the
    // observer exchanges digests with about six members, each likely to
    // have heard from it the round before: a silence of three rounds on
    // loopback would mean gossip itself had stopped.
    assert_eq!(
        (
            recommended_outcome.steady_false,
            recommended_outcome.survivors_false
        ),
        (0, 0),
        "false suspicions (steady run, survivors after the kill)\n{report}"
    );
}
