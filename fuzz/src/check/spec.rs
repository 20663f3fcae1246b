//! A detector configuration as raw knobs, so that a fuzzer or a property
//! test can produce any value, valid or not; [`ConfigSpec::build`] then
//! keeps only what `ConfigBuilder::build` accepts. The checks run on every
//! configuration the crate accepts, so whatever `build` lets through must
//! hold the invariants.

use accrual::{Bootstrap, Config, ConfigError, Learning, Model, Period};
use std::time::Duration;

/// Every knob of a configuration, unchecked.
#[derive(Clone, Debug)]
pub struct ConfigSpec {
    /// Index into `Model::ALL` (taken modulo its length).
    pub model: usize,
    pub threshold: f64,
    pub max_sample_size: usize,
    pub min_std_deviation: Duration,
    pub acceptable_pause: Duration,
    pub first_heartbeat_estimate: Duration,
    pub interval_warning_fraction: f64,
    pub short_window: usize,
    pub bertier: [f64; 3],
    /// Indices into `Learning::ALL`, `Period::ALL`, `Bootstrap::ALL`.
    pub learning: usize,
    pub period: usize,
    pub bootstrap: usize,
}

impl ConfigSpec {
    /// The configuration, if the builder accepts these knobs.
    pub fn build(&self) -> Result<Config, ConfigError> {
        Config::builder()
            .model(pick(&Model::ALL, self.model))
            .threshold(self.threshold)
            .max_sample_size(self.max_sample_size)
            .min_std_deviation(self.min_std_deviation)
            .acceptable_pause(self.acceptable_pause)
            .first_heartbeat_estimate(self.first_heartbeat_estimate)
            .interval_warning_fraction(self.interval_warning_fraction)
            .short_window(self.short_window)
            .bertier(self.bertier[0], self.bertier[1], self.bertier[2])
            .learning(pick(Learning::ALL, self.learning))
            .period(pick(Period::ALL, self.period))
            .bootstrap(pick(Bootstrap::ALL, self.bootstrap))
            .build()
    }
}

/// Nanoseconds in a second and a minute, for the cases below and beside.
pub const SECOND: u64 = 1_000_000_000;
pub const MINUTE: u64 = 60 * SECOND;

/// Akka's defaults (`Config::default()`) as knobs.
pub fn default_spec() -> ConfigSpec {
    ConfigSpec {
        model: 0,
        threshold: 8.0,
        max_sample_size: 1000,
        min_std_deviation: Duration::from_millis(100),
        acceptable_pause: Duration::from_secs(3),
        first_heartbeat_estimate: Duration::from_secs(1),
        interval_warning_fraction: 2.0 / 3.0,
        short_window: 1,
        bertier: [1.0, 4.0, 0.1],
        learning: 0,
        period: 0,
        bootstrap: 0,
    }
}

/// Item 1: an acceptable pause of 2⁴⁰ s (35 000 years) and a warning
/// fraction of 10⁹: `build` accepts both, and their product overflows a
/// `Duration`.
pub fn overflowing_spec() -> ConfigSpec {
    ConfigSpec {
        acceptable_pause: Duration::from_secs(1 << 40),
        interval_warning_fraction: 1e9,
        ..default_spec()
    }
}

/// `Config::for_interval(60 min)` as knobs.
pub fn hourly_spec() -> ConfigSpec {
    ConfigSpec {
        min_std_deviation: Duration::from_secs(6 * 60),
        acceptable_pause: Duration::from_secs(3 * 3600),
        first_heartbeat_estimate: Duration::from_secs(3600),
        ..default_spec()
    }
}

fn pick<T: Copy>(all: &[T], index: usize) -> T {
    all[index % all.len()]
}
