//! The engine's side of the comparison: a [`Detector`] in paper mode, fed
//! the slices with their sequence numbers, and its suspicion deadline read
//! after each arrival.

use accrual::{Bootstrap, Config, Detector, Learning, Model, Period, Timestamp};
use std::time::Duration;

/// The window of the comparison, in intervals: 1,000 arrivals, the papers'
/// usual window.
pub const WINDOW_INTERVALS: usize = 999;
/// The sending period of the traces, η, and the engine's first interval.
pub const PERIOD_MS: f64 = 100.0;
/// The σ floor the engine needs (it must be positive): one nanosecond, so
/// small that it only matters while the window holds no real spread.
pub const MIN_STD: Duration = Duration::from_nanos(1);

/// Paper mode: every interval learnt, the fixed period, a window that
/// grows from the first interval, no acceptable pause.
pub fn paper_mode(model: Model, threshold: f64) -> Config {
    Config::builder()
        .model(model)
        .threshold(threshold)
        .max_sample_size(WINDOW_INTERVALS)
        .first_heartbeat_estimate(Duration::from_millis(PERIOD_MS as u64))
        .acceptable_pause(Duration::ZERO)
        .min_std_deviation(MIN_STD)
        .short_window(1)
        .bertier(1.0, 4.0, 0.1)
        .learning(Learning::All)
        .period(Period::Fixed)
        .bootstrap(Bootstrap::Growing)
        .build()
        .expect("a valid paper-mode configuration")
}

/// The engine's suspicion deadline after each arrival, in milliseconds on
/// the slice's clock (`rows` are `(seq, ns)`).
pub fn freshness_points(config: Config, rows: &[(u64, u64)]) -> Vec<f64> {
    let mut detector = Detector::new(config);
    rows.iter()
        .map(|&(seq, ns)| {
            detector
                .heartbeat_seq(Timestamp::from_nanos(ns), seq)
                .expect("the slices are in order");
            let deadline = detector.suspicion_deadline().expect("monitoring");
            deadline.as_nanos() as f64 / 1e6
        })
        .collect()
}
