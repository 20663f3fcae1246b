//! The engine against independent implementations of the papers'
//! detectors, on real heartbeat traces.
//!
//! Data: `tests/data/planetlab/*.csv` are slices of the sender logs of the
//! PlanetLab heartbeat experiment (`../shared/data/planetlab-send/`, nodes
//! 0, 1, 3 and 5, 100 001 heartbeats each at 100 ms; see
//! `fidelity/slices.rs` for which rows and why).
//!
//! The papers' detectors (`fidelity/papers.rs`) are written from the papers
//! and `papers/*.md`, not from the engine, and recompute everything from
//! the window at every arrival. The tests below first check them on small
//! hand-computed examples, then hold the engine in paper mode to them.

#[path = "fidelity/engine.rs"]
mod engine;
#[path = "fidelity/papers.rs"]
mod papers;
#[path = "fidelity/slices.rs"]
mod slices;

use accrual::Model;
use papers::{qos, Bertier, Chen, Heartbeat, Phi, TwoWindow};

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

fn assert_close(got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len());
    for (k, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(close(*g, *w), "τ_{k}: got {g}, want {w}");
    }
}

/// Heartbeats `(seq, ms)`.
fn trace(rows: &[(u64, f64)]) -> Vec<Heartbeat> {
    rows.iter()
        .map(|&(seq, at_ms)| Heartbeat { seq, at_ms })
        .collect()
}

#[test]
fn qos_counts_a_mistake_when_the_next_heartbeat_is_after_the_freshness_point() {
    let t = trace(&[(0, 0.0), (1, 100.0), (2, 250.0), (3, 300.0)]);
    let r = qos(&t, &[110.0, 240.0, 330.0, 1e9]);
    // After 0: 100 ≤ 110. After 100: 250 > 240, 10 ms. After 250: 300 ≤ 330.
    // Detection: 110 + 140 + 80. The last arrival is not scored.
    assert_eq!(r.samples, 3);
    assert!(close(r.detection_ms, 330.0));
    assert_eq!(r.mistakes, 1);
    assert!(close(r.mistake_ms, 10.0));
}

#[test]
fn qos_counts_a_freshness_point_already_past_from_the_arrival() {
    // τ_0 = −50 is before the arrival at 0: suspected from 0 to 100, a
    // detection time of 0.
    let t = trace(&[(0, 0.0), (1, 100.0)]);
    let r = qos(&t, &[-50.0, 1e9]);
    assert_eq!((r.samples, r.mistakes), (1, 1));
    assert!(close(r.detection_ms, 0.0));
    assert!(close(r.mistake_ms, 100.0));
}

#[test]
fn chen_expected_arrival_by_hand() {
    let t = trace(&[(0, 0.0), (1, 105.0), (2, 200.0)]);
    let chen = Chen {
        window: 3,
        eta_ms: 100.0,
    };
    // A_i − η·s_i = 0, 5, 0. After heartbeat 0: 0 + 100. After 1: mean(0, 5)
    // + 200. After 2: mean(0, 5, 0) + 300. Plus α = 2.
    assert_close(
        &chen.freshness_points(&t, 2.0),
        &[102.0, 204.5, 300.0 + 5.0 / 3.0 + 2.0],
    );
    // A window of two heartbeats forgets the first: mean(5, 0) + 300.
    let two = Chen { window: 2, ..chen };
    assert_close(&two.freshness_points(&t, 0.0)[2..], &[302.5]);
}

#[test]
fn chen_counts_a_lost_heartbeat_by_its_sequence_number() {
    // Heartbeat 2 lost: A_i − η·s_i = 0, 0, 0, so the next (4) is due at 400.
    let t = trace(&[(0, 0.0), (1, 100.0), (3, 300.0)]);
    let chen = Chen {
        window: 10,
        eta_ms: 100.0,
    };
    assert_close(&chen.freshness_points(&t, 0.0), &[100.0, 200.0, 400.0]);
}

#[test]
fn two_windows_take_the_later_expected_arrival() {
    let w = TwoWindow {
        short: 1,
        long: 3,
        eta_ms: 100.0,
    };
    // A_i − η·s_i = 0, 5, 0: the long window expects 301.67, the short one
    // (the last arrival alone) 300.
    let t = trace(&[(0, 0.0), (1, 105.0), (2, 200.0)]);
    assert_close(
        &w.freshness_points(&t, 1.0)[2..],
        &[300.0 + 5.0 / 3.0 + 1.0],
    );
    // A_i − η·s_i = 0, −5, 10: the long window expects 301.67, the short
    // one 310.
    let t = trace(&[(0, 0.0), (1, 95.0), (2, 210.0)]);
    assert_close(&w.freshness_points(&t, 1.0)[2..], &[311.0]);
}

#[test]
fn phi_quantiles_are_the_normal_tables() {
    // Upper 10 %, 1 % and 0.1 % points of the standard normal (tables).
    for (phi, y) in [
        (1.0, 1.2815515655446004),
        (2.0, 2.3263478740408408),
        (3.0, 3.090232306167813),
    ] {
        assert!(close(papers::normal_quantile_for_phi(phi), y), "{phi}");
        assert!(close(papers::phi_of(y), phi), "{phi}");
    }
}

#[test]
fn phi_freshness_point_by_hand() {
    let t = trace(&[(0, 0.0), (1, 100.0), (2, 210.0), (3, 300.0)]);
    let phi = Phi {
        window: 3,
        first_interval_ms: 100.0,
        min_std_ms: 1.0,
    };
    let y = 1.2815515655446004;
    let taus = phi.freshness_points(&t, 1.0);
    // No interval yet: the first interval, σ at its floor.
    assert!(close(taus[0], 100.0 + y));
    // Intervals 100, 110, 90: mean 100, σ = √(200/3) = 8.16496580927726.
    assert!(close(taus[3], 410.4638247154974));
    // A window of two: 110 and 90, mean 100, σ 10.
    let two = Phi { window: 2, ..phi };
    assert!(close(
        two.freshness_points(&t, 1.0)[3],
        300.0 + 100.0 + 10.0 * y
    ));
}

#[test]
fn bertier_margin_by_hand() {
    let b = Bertier::paper(1000, 100.0);
    let t = trace(&[(0, 0.0), (1, 110.0), (2, 200.0)]);
    // Heartbeat 1, expected at 100: error 10, delay 1, var 1, α = 1 + 4.
    // Heartbeat 2, expected at mean(0, 10) + 200 = 205: error 200 − 205 − 1
    // = −6, delay 0.4, var 1 + 0.1·(6 − 1) = 1.5, α = 0.4 + 6 = 6.4.
    assert_close(&b.margins(&t), &[0.0, 5.0, 6.4]);
    // Freshness points: EA + α, with EA after 2 = mean(0, 10, 0) + 300.
    let ea = 300.0 + 10.0 / 3.0;
    assert_close(&b.freshness_points(&t, 1.0), &[100.0, 210.0, ea + 6.4]);
    // Scale 2 doubles the variation term only: EA + 0.4 + 2·6.
    assert_close(&b.freshness_points(&t, 2.0)[2..], &[ea + 12.4]);
}

#[test]
fn slices_are_whole_runs_of_the_sender_logs() {
    for name in slices::FILES {
        let s = slices::load(name);
        assert!(s.rows.len() >= 2_500, "{name}");
        let first = s.rows[0].0;
        for (i, &(seq, _)) in s.rows.iter().enumerate() {
            assert_eq!(
                seq,
                first + i as u64,
                "{name}: consecutive sequence numbers"
            );
        }
        assert!(
            s.rows.windows(2).all(|w| w[0].1 < w[1].1),
            "{name}: in order"
        );
    }
}

#[test]
fn the_papers_detectors_agree_where_their_definitions_meet() {
    // On the real slices: 2W-FD with two equal windows is Chen's detector,
    // and with a short window it never expects a heartbeat earlier; Bertier's
    // detector with β = φ = 0 has no margin, so it is Chen's at α = 0.
    for name in slices::FILES {
        let s = slices::load(name);
        let t = slices::Slice::heartbeats(&s.micros());
        let chen = Chen {
            window: 1000,
            eta_ms: 100.0,
        };
        let same = TwoWindow {
            short: 1000,
            long: 1000,
            eta_ms: 100.0,
        };
        let two = TwoWindow { short: 1, ..same };
        let flat = Bertier {
            beta: 0.0,
            phi: 0.0,
            ..Bertier::paper(1000, 100.0)
        };
        let c = chen.freshness_points(&t, 5.0);
        assert_close(&same.freshness_points(&t, 5.0), &c);
        let w = two.freshness_points(&t, 5.0);
        assert!(w.iter().zip(&c).all(|(w, c)| w >= c), "{}", s.name);
        assert_close(
            &flat.freshness_points(&t, 1.0),
            &chen.freshness_points(&t, 0.0),
        );
    }
}

/// Mistake counts equal, mistake and detection times within 1e-6 relative;
/// on failure, the first arrival whose freshness points differ.
fn assert_engine_matches(
    name: &str,
    model: Model,
    threshold: f64,
    rows: &[(u64, u64)],
    paper: &[f64],
) {
    let t = slices::Slice::heartbeats(rows);
    let engine = engine::freshness_points(engine::paper_mode(model, threshold), rows);
    let (want, got) = (qos(&t, paper), qos(&t, &engine));
    // The engine's deadlines are whole nanoseconds (the first nanosecond
    // at which the level reaches the threshold), so each can be up to 1 ns
    // later than the real-valued freshness point: a sum over m deadlines
    // agrees to 1e-6 relative or to m nanoseconds, whichever is looser.
    let within = |a: f64, b: f64, m: u64| {
        (a - b).abs() <= (1e-6 * a.abs().max(b.abs())).max(m as f64 * 1e-6)
    };
    let ok = got.mistakes == want.mistakes
        && within(got.mistake_ms, want.mistake_ms, got.mistakes)
        && within(got.detection_ms, want.detection_ms, got.samples);
    if !ok {
        let first = (0..t.len())
            .find(|&k| (engine[k] - paper[k]).abs() > 1e-6)
            .map(|k| {
                format!(
                    "first difference after arrival {k} (seq {}): engine τ − A = {:.6} ms, paper {:.6} ms",
                    t[k].seq,
                    engine[k] - t[k].at_ms,
                    paper[k] - t[k].at_ms
                )
            })
            .unwrap_or_else(|| "freshness points all within 1 ns".into());
        panic!("{name}, {model:?} at {threshold}: engine {got:?}, paper {want:?}; {first}");
    }
}

#[test]
fn engine_in_paper_mode_is_hayashibara_phi_on_real_traces() {
    let phi = Phi {
        window: engine::WINDOW_INTERVALS,
        first_interval_ms: engine::PERIOD_MS,
        min_std_ms: engine::MIN_STD.as_secs_f64() * 1e3,
    };
    for name in slices::FILES {
        let rows = slices::load(name).micros();
        let t = slices::Slice::heartbeats(&rows);
        for threshold in [0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 16.0] {
            let paper = phi.freshness_points(&t, threshold);
            assert_engine_matches(name, Model::Normal, threshold, &rows, &paper);
        }
    }
}

#[test]
fn engine_in_paper_mode_is_chen_on_real_traces() {
    let chen = Chen {
        window: engine::WINDOW_INTERVALS + 1,
        eta_ms: engine::PERIOD_MS,
    };
    for name in slices::FILES {
        let rows = slices::load(name).micros();
        let t = slices::Slice::heartbeats(&rows);
        for alpha in [0.1, 1.0, 2.0, 5.0, 10.0, 100.0] {
            let paper = chen.freshness_points(&t, alpha);
            assert_engine_matches(name, Model::Chen, alpha, &rows, &paper);
        }
    }
}

#[test]
fn engine_in_paper_mode_is_2w_fd_on_real_traces() {
    let two = TwoWindow {
        short: 1,
        long: engine::WINDOW_INTERVALS + 1,
        eta_ms: engine::PERIOD_MS,
    };
    for name in slices::FILES {
        let rows = slices::load(name).micros();
        let t = slices::Slice::heartbeats(&rows);
        for alpha in [0.1, 1.0, 2.0, 5.0, 10.0, 100.0] {
            let paper = two.freshness_points(&t, alpha);
            assert_engine_matches(name, Model::TwoWindow, alpha, &rows, &paper);
        }
    }
}

/// The published detector, with the engine's 1 ns σ floor under its
/// variation term (it acts only before the first error is learnt).
fn bertier() -> Bertier {
    Bertier {
        min_variation_ms: engine::MIN_STD.as_secs_f64() * 1e3,
        ..Bertier::paper(engine::WINDOW_INTERVALS + 1, engine::PERIOD_MS)
    }
}

#[test]
fn engine_in_paper_mode_is_bertier_on_real_traces() {
    for name in slices::FILES {
        let rows = slices::load(name).micros();
        let t = slices::Slice::heartbeats(&rows);
        for scale in [0.5, 1.0, 2.0, 4.0] {
            let paper = bertier().freshness_points(&t, scale);
            assert_engine_matches(name, Model::Bertier, scale, &rows, &paper);
        }
    }
}

#[test]
fn bertier_s_margin_goes_negative_on_a_regular_link() {
    // On the most regular slice the heartbeats sometimes come earlier than
    // Chen's EA (the window's mean phase lags the sender's) by more than
    // four times their spread, so the paper's α = β·delay + φ·var goes
    // negative: the engine, held to the paper above on this slice, then
    // expects the next heartbeat before EA too (a floored margin did not).
    let rows = slices::load("node0-64500.csv").micros();
    let t = slices::Slice::heartbeats(&rows);
    let margins = bertier().margins(&t);
    assert!(margins[1] > 0.0, "the paper learns heartbeat 1's error");
    let negative = margins.iter().filter(|&&a| a < 0.0).count();
    assert!(negative > 0, "no negative margin on node 0");
}

#[test]
fn engine_in_paper_mode_counts_lost_heartbeats_by_sequence_number() {
    // The slices lost no heartbeat, so the sequence numbers only ever step
    // by one. Dropping rows from a real slice (every 37th, and a burst of
    // 20 after its stall) makes them jump, as losses would: every model
    // must still agree with its paper.
    let s = slices::load("node5-60000.csv");
    let rows: Vec<(u64, u64)> = s
        .micros()
        .into_iter()
        .enumerate()
        .filter(|&(i, _)| i % 37 != 36 && !(1_400..1_420).contains(&i))
        .map(|(_, row)| row)
        .collect();
    let t = slices::Slice::heartbeats(&rows);
    let n = engine::WINDOW_INTERVALS;
    let name = "node5-60000.csv with losses";
    let phi = Phi {
        window: n,
        first_interval_ms: engine::PERIOD_MS,
        min_std_ms: engine::MIN_STD.as_secs_f64() * 1e3,
    };
    let chen = Chen {
        window: n + 1,
        eta_ms: engine::PERIOD_MS,
    };
    let two = TwoWindow {
        short: 1,
        long: n + 1,
        eta_ms: engine::PERIOD_MS,
    };
    let bertier = bertier();
    for threshold in [1.0, 4.0, 10.0] {
        let paper = phi.freshness_points(&t, threshold);
        assert_engine_matches(name, Model::Normal, threshold, &rows, &paper);
    }
    for alpha in [1.0, 10.0, 100.0] {
        let paper = chen.freshness_points(&t, alpha);
        assert_engine_matches(name, Model::Chen, alpha, &rows, &paper);
        let paper = two.freshness_points(&t, alpha);
        assert_engine_matches(name, Model::TwoWindow, alpha, &rows, &paper);
    }
    for scale in [1.0, 4.0] {
        let paper = bertier.freshness_points(&t, scale);
        assert_engine_matches(name, Model::Bertier, scale, &rows, &paper);
    }
}
