//! Detector configuration: the knobs, their defaults, and their validation.
//!
//! A [`Config`] can only be obtained valid: from [`Config::default`],
//! [`Config::for_interval`], or [`ConfigBuilder::build`], which checks every
//! value and names the offending field in a [`ConfigError`], including the
//! durations a detector derives from several values. (With the `serde`
//! feature, deserialising runs the same checks.) A detector built from a
//! `Config` therefore never has to re-check it and never panics on it.
//!
//! With `serde`, the `f64` settings are written so that they read back to
//! the same bits in any format: as themselves in binary formats, and as
//! decimal strings in text formats (`"threshold":"8"`), whose number
//! parsing may round. Plain numbers are read as well.
//!
//! The defaults are those of Akka's cluster failure detector for heartbeats
//! sent every second, so a JVM cluster's settings carry over unchanged:
//!
//! | knob | default | trades off |
//! |---|---|---|
//! | [`threshold`](ConfigBuilder::threshold) | 8 | higher: fewer wrong suspicions, slower detection |
//! | [`max_sample_size`](ConfigBuilder::max_sample_size) | 1000 | larger: steadier estimate, slower to adapt, 4 bytes per sample |
//! | [`min_std_deviation`](ConfigBuilder::min_std_deviation) | 100 ms | larger: tolerates jitter on very regular links, slower detection |
//! | [`acceptable_pause`](ConfigBuilder::acceptable_pause) | 3 s | larger: absorbs GC pauses and lost heartbeats, slower detection |
//! | [`first_heartbeat_estimate`](ConfigBuilder::first_heartbeat_estimate) | 1 s | the interval assumed until real ones are learnt |
//! | [`model`](ConfigBuilder::model) | [`Model::Normal`] | see [`Model`] |
//! | [`interval_warning_fraction`](ConfigBuilder::interval_warning_fraction) | 2/3 | an interval above this fraction of the pause is flagged |
//! | [`learning`](ConfigBuilder::learning) | [`Learning::SkipSuspected`]; [`Learning::All`] for Chen | skip: one outage does not inflate the statistics; all: the papers' rule |
//! | [`period`](ConfigBuilder::period) | [`Period::Estimated`] | Chen, 2W-FD, Bertier: estimated follows the sender; fixed is Chen's paper |
//! | [`bootstrap`](ConfigBuilder::bootstrap) | [`Bootstrap::Seeds`] | seeds: Akka's two seed intervals; growing: the papers' window of real intervals only |
//!
//! [`Config::deadline`], [`Config::cassandra`] and [`Config::chitchat`]
//! reproduce other systems' detectors (see `config::migration`).
//!
//! Two knobs serve one model each, 2W-FD's
//! [`short_window`](ConfigBuilder::short_window) and Bertier's
//! [`bertier`](ConfigBuilder::bertier) constants; their defaults are the
//! model module's (`model::params`), and the configuration hands them to
//! the model as one set of model parameters.

mod builder;
mod error;
#[cfg(feature = "serde")]
pub(crate) mod exact_float;
mod migration;
mod rules;

pub use builder::ConfigBuilder;
pub use error::ConfigError;
pub use rules::{Bootstrap, Learning, Period};

use crate::model::history::History;
use crate::model::params::{ModelParams, DEFAULT_BERTIER, DEFAULT_SHORT_WINDOW};
use crate::model::{FitParams, Model};
use crate::time::duration_nanos;
use crate::window::MAX_SAMPLE_SIZE;
use std::time::Duration;

/// The largest accepted threshold. Phi grows without bound, so larger values
/// are not wrong in principle, but no silence a 64-bit nanosecond clock can
/// express reaches them under any model.
pub const MAX_THRESHOLD: f64 = 1e300;

/// A validated detector configuration.
///
/// ```
/// use accrual::{Config, Model};
/// use std::time::Duration;
///
/// let config = Config::builder()
///     .threshold(10.0)
///     .acceptable_pause(Duration::from_millis(500))
///     .model(Model::Normal)
///     .build()?;
/// assert_eq!(config.threshold(), 10.0);
///
/// // A bad value is named, never a panic.
/// let err = Config::builder().threshold(f64::NAN).build().unwrap_err();
/// assert!(err.to_string().contains("threshold"));
/// # Ok::<(), accrual::ConfigError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "serde",
    serde(try_from = "ConfigFields", into = "ConfigFields")
)]
pub struct Config {
    fields: ConfigFields,
}

/// The plain fields, as (de)serialised; validated on the way in.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
struct ConfigFields {
    model: Model,
    /// Every `f64` is written exactly (see `exact_float`), so that a
    /// configuration, and a snapshot carrying one, reads back bit for bit.
    #[cfg_attr(feature = "serde", serde(with = "exact_float"))]
    threshold: f64,
    max_sample_size: usize,
    min_std_deviation: Duration,
    acceptable_pause: Duration,
    first_heartbeat_estimate: Duration,
    #[cfg_attr(feature = "serde", serde(with = "exact_float"))]
    interval_warning_fraction: f64,
    /// 2W-FD's short window, in arrivals.
    #[cfg_attr(feature = "serde", serde(default = "default_short_window"))]
    short_window: usize,
    /// Bertier's β, φ, γ.
    #[cfg_attr(
        feature = "serde",
        serde(default = "default_bertier", with = "exact_float")
    )]
    bertier: [f64; 3],
    /// Which intervals are learnt; `None`: the model's default
    /// ([`Learning::default_for`]). Absent from older snapshots, written
    /// when Akka's rule was every model's default: that rule.
    #[cfg_attr(feature = "serde", serde(default = "legacy_learning"))]
    learning: Option<Learning>,
    /// The margin models' sending period.
    #[cfg_attr(feature = "serde", serde(default))]
    period: Period,
    /// How the window starts.
    #[cfg_attr(feature = "serde", serde(default))]
    bootstrap: Bootstrap,
}

#[cfg(feature = "serde")]
fn default_short_window() -> usize {
    DEFAULT_SHORT_WINDOW
}

#[cfg(feature = "serde")]
fn default_bertier() -> [f64; 3] {
    DEFAULT_BERTIER
}

#[cfg(feature = "serde")]
fn legacy_learning() -> Option<Learning> {
    Some(Learning::SkipSuspected)
}

impl Default for Config {
    /// Akka's cluster defaults: threshold 8, 1000 samples, min σ 100 ms,
    /// acceptable pause 3 s, first estimate 1 s, normal model.
    fn default() -> Self {
        Config::for_interval_unchecked(Duration::from_secs(1))
    }
}

impl Config {
    /// A builder starting from [`Config::default`].
    pub fn builder() -> ConfigBuilder {
        ConfigBuilder::from_fields(Config::default().fields)
    }

    /// A builder starting from this configuration.
    pub fn to_builder(&self) -> ConfigBuilder {
        ConfigBuilder::from_fields(self.fields.clone())
    }

    /// Settings derived from the interval at which the peer sends heartbeats,
    /// scaled from Akka's defaults for a one-second interval:
    ///
    /// * first heartbeat estimate = `interval`;
    /// * minimum standard deviation = `interval / 10`;
    /// * acceptable pause = `3 × interval` (three heartbeats may be lost or
    ///   late before suspicion starts to rise);
    /// * threshold 8, 1000 samples, normal model.
    ///
    /// With these, a peer sending steadily every `interval` is suspected
    /// about `4.5 × interval` after its last heartbeat.
    ///
    /// # Errors
    ///
    /// [`ConfigError::ZeroDuration`] if `interval` is zero.
    pub fn for_interval(interval: Duration) -> Result<Config, ConfigError> {
        if interval.is_zero() {
            return Err(ConfigError::ZeroDuration {
                field: "heartbeat interval",
            });
        }
        Ok(Config::for_interval_unchecked(interval))
    }

    fn for_interval_unchecked(interval: Duration) -> Config {
        Config {
            fields: ConfigFields {
                model: Model::Normal,
                threshold: 8.0,
                max_sample_size: 1000,
                min_std_deviation: (interval / 10).max(Duration::from_nanos(1)),
                acceptable_pause: interval.saturating_mul(3),
                first_heartbeat_estimate: interval,
                interval_warning_fraction: 2.0 / 3.0,
                short_window: DEFAULT_SHORT_WINDOW,
                bertier: DEFAULT_BERTIER,
                learning: None,
                period: Period::Estimated,
                bootstrap: Bootstrap::Seeds,
            },
        }
    }

    /// The suspicion model.
    pub fn model(&self) -> Model {
        self.fields.model
    }
    /// The phi at or above which the peer is considered unavailable.
    pub fn threshold(&self) -> f64 {
        self.fields.threshold
    }
    /// The number of intervals the sliding window keeps.
    pub fn max_sample_size(&self) -> usize {
        self.fields.max_sample_size
    }
    /// The floor on the standard deviation used by the models.
    pub fn min_std_deviation(&self) -> Duration {
        self.fields.min_std_deviation
    }
    /// The silence added to the expected interval before suspicion rises.
    pub fn acceptable_pause(&self) -> Duration {
        self.fields.acceptable_pause
    }
    /// The interval assumed before any has been observed.
    pub fn first_heartbeat_estimate(&self) -> Duration {
        self.fields.first_heartbeat_estimate
    }
    /// Intervals of at least this fraction of the acceptable pause are flagged.
    pub fn interval_warning_fraction(&self) -> f64 {
        self.fields.interval_warning_fraction
    }

    /// The interval above which a recorded heartbeat carries a warning, or
    /// `None` when the acceptable pause is zero (every interval would qualify).
    pub fn interval_warning_limit(&self) -> Option<Duration> {
        if self.fields.acceptable_pause.is_zero() {
            None
        } else {
            // Validation refuses a product past `Duration::MAX`; saturate
            // rather than panic should that ever be bypassed.
            Some(warning_limit(&self.fields).unwrap_or(Duration::MAX))
        }
    }

    /// 2W-FD's short window, in arrivals (see [`ConfigBuilder::short_window`]).
    pub fn short_window(&self) -> usize {
        self.fields.short_window
    }

    /// Bertier's constants `[β, φ, γ]` (see [`ConfigBuilder::bertier`]).
    pub fn bertier(&self) -> [f64; 3] {
        self.fields.bertier
    }

    /// Which intervals the window learns: the one set, else the model's
    /// default (see [`Learning::default_for`]).
    pub fn learning(&self) -> Learning {
        self.fields
            .learning
            .unwrap_or(Learning::default_for(self.fields.model))
    }

    /// The sending period of the margin models (see [`Period`]).
    pub fn period(&self) -> Period {
        self.fields.period
    }

    /// How the window starts (see [`Bootstrap`]).
    pub fn bootstrap(&self) -> Bootstrap {
        self.fields.bootstrap
    }

    /// The settings only one model reads (see `model::params`).
    pub(crate) fn model_params(&self) -> ModelParams {
        ModelParams {
            short_window: self.fields.short_window,
            bertier: self.fields.bertier,
        }
    }

    pub(crate) fn fit_params(&self) -> FitParams {
        let pause_nanos = duration_nanos(self.fields.acceptable_pause);
        FitParams {
            pause_ns: pause_nanos as f64,
            pause_nanos,
            min_std_ns: duration_nanos(self.fields.min_std_deviation) as f64,
            // Validation keeps the estimate above zero, so T ≥ 1 ns.
            timeout_ns: duration_nanos(self.fields.first_heartbeat_estimate)
                .saturating_add(pause_nanos)
                .max(1) as f64,
        }
    }

    fn validate(fields: ConfigFields) -> Result<Config, ConfigError> {
        positive("threshold", fields.threshold)?;
        if fields.threshold > MAX_THRESHOLD {
            return Err(ConfigError::OutOfRange {
                field: "threshold",
                value: fields.threshold,
                max: MAX_THRESHOLD,
            });
        }
        positive(
            "interval_warning_fraction",
            fields.interval_warning_fraction,
        )?;
        if let Err(max) = warning_limit(&fields) {
            return Err(ConfigError::Overflow {
                field: "interval_warning_fraction",
                value: fields.interval_warning_fraction,
                derived: "acceptable_pause × interval_warning_fraction",
                max,
            });
        }
        if fields.max_sample_size == 0 || fields.max_sample_size > MAX_SAMPLE_SIZE {
            return Err(ConfigError::SampleSize {
                value: fields.max_sample_size,
            });
        }
        if fields.min_std_deviation.is_zero() {
            return Err(ConfigError::ZeroDuration {
                field: "min_std_deviation",
            });
        }
        if fields.first_heartbeat_estimate.is_zero() {
            return Err(ConfigError::ZeroDuration {
                field: "first_heartbeat_estimate",
            });
        }
        if fields.short_window == 0 || fields.short_window > fields.max_sample_size {
            return Err(ConfigError::OutOfRange {
                field: "short_window",
                value: fields.short_window as f64,
                max: fields.max_sample_size as f64,
            });
        }
        let [beta, phi, gamma] = fields.bertier;
        non_negative("bertier_beta", beta)?;
        non_negative("bertier_phi", phi)?;
        positive("bertier_gamma", gamma)?;
        if gamma > 1.0 {
            return Err(ConfigError::OutOfRange {
                field: "bertier_gamma",
                value: gamma,
                max: 1.0,
            });
        }
        Ok(Config { fields })
    }
}

impl History {
    /// The history the model of `config` needs, if any. Defined here rather
    /// than in `model::history` so that the model module never depends on
    /// `Config`.
    pub(crate) fn for_config(config: &Config) -> Option<History> {
        History::for_config_with_room(config, config.max_sample_size())
    }

    /// [`History::for_config`] with room allocated for `room` samples
    /// only, growing with its window (a restored one, see
    /// `Window::with_room`).
    pub(crate) fn for_config_with_room(config: &Config, room: usize) -> Option<History> {
        // The sending period that sequence numbers are reconstructed from.
        let period_us = u64::try_from(config.first_heartbeat_estimate().as_micros())
            .unwrap_or(u64::MAX)
            .max(1);
        History::new(
            config.model(),
            config.max_sample_size(),
            room,
            period_us,
            config.period() == Period::Fixed,
            &config.model_params(),
        )
    }
}

/// The interval warning limit, `acceptable_pause × interval_warning_fraction`
/// (the fraction capped at 10⁹, so that an ordinary pause with an absurd
/// fraction means "no warning" rather than an error), or, if it does not
/// fit in a `Duration`, the bound the fraction must stay below. Every
/// detector and monitor derives the limit, so validation checks it once.
fn warning_limit(fields: &ConfigFields) -> Result<Duration, f64> {
    let pause = fields.acceptable_pause.as_secs_f64();
    let fraction = fields.interval_warning_fraction.min(1e9);
    // The same product as `Duration::mul_f64`, which panics where this
    // returns the error: from 2⁶⁴ s on.
    Duration::try_from_secs_f64(pause * fraction).map_err(|_| 2f64.powi(64) / pause)
}

fn non_negative(field: &'static str, value: f64) -> Result<(), ConfigError> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(ConfigError::Negative { field, value })
    }
}

fn positive(field: &'static str, value: f64) -> Result<(), ConfigError> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(ConfigError::NotPositive { field, value })
    }
}

#[cfg(feature = "serde")]
impl TryFrom<ConfigFields> for Config {
    type Error = ConfigError;
    fn try_from(fields: ConfigFields) -> Result<Self, Self::Error> {
        Config::validate(fields)
    }
}

#[cfg(feature = "serde")]
impl From<Config> for ConfigFields {
    fn from(config: Config) -> Self {
        config.fields
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_akkas_cluster_defaults() {
        // Akka reference.conf, akka.cluster.failure-detector: threshold 8.0,
        // max-sample-size 1000, min-std-deviation 100 ms,
        // acceptable-heartbeat-pause 3 s, heartbeat-interval 1 s.
        let c = Config::default();
        assert_eq!(c.threshold(), 8.0);
        assert_eq!(c.max_sample_size(), 1000);
        assert_eq!(c.min_std_deviation(), Duration::from_millis(100));
        assert_eq!(c.acceptable_pause(), Duration::from_secs(3));
        assert_eq!(c.first_heartbeat_estimate(), Duration::from_secs(1));
        assert_eq!(c.model(), Model::Normal);
        assert_eq!(c.interval_warning_limit(), Some(Duration::from_secs(2)));
    }

    #[test]
    fn for_interval_scales_the_defaults() {
        let c = Config::for_interval(Duration::from_millis(50)).unwrap();
        assert_eq!(c.first_heartbeat_estimate(), Duration::from_millis(50));
        assert_eq!(c.min_std_deviation(), Duration::from_millis(5));
        assert_eq!(c.acceptable_pause(), Duration::from_millis(150));
        assert_eq!(
            Config::for_interval(Duration::from_secs(1)).unwrap(),
            Config::default()
        );
        assert_eq!(
            Config::for_interval(Duration::ZERO).unwrap_err(),
            ConfigError::ZeroDuration {
                field: "heartbeat interval"
            }
        );
        // Even a one-nanosecond interval gives a usable (non-zero) floor.
        let tiny = Config::for_interval(Duration::from_nanos(1)).unwrap();
        assert_eq!(tiny.min_std_deviation(), Duration::from_nanos(1));
    }

    #[test]
    fn every_bad_number_is_named_with_its_value() {
        let cases: Vec<(ConfigBuilder, &str)> = vec![
            (Config::builder().threshold(0.0), "threshold"),
            (Config::builder().threshold(-1.0), "threshold"),
            (Config::builder().threshold(f64::NAN), "threshold"),
            (Config::builder().threshold(f64::INFINITY), "threshold"),
            (Config::builder().threshold(1e301), "threshold"),
            (Config::builder().max_sample_size(0), "max_sample_size"),
            (
                Config::builder().max_sample_size(MAX_SAMPLE_SIZE + 1),
                "max_sample_size",
            ),
            (
                Config::builder().min_std_deviation(Duration::ZERO),
                "min_std_deviation",
            ),
            (
                Config::builder().min_std_deviation_ms(-5.0),
                "min_std_deviation",
            ),
            (
                Config::builder().min_std_deviation_ms(f64::NAN),
                "min_std_deviation",
            ),
            (
                Config::builder().acceptable_pause_ms(f64::INFINITY),
                "acceptable_pause",
            ),
            (
                Config::builder().first_heartbeat_estimate(Duration::ZERO),
                "first_heartbeat_estimate",
            ),
            (
                Config::builder().first_heartbeat_estimate_ms(-0.1),
                "first_heartbeat_estimate",
            ),
            (
                Config::builder().interval_warning_fraction(-1.0),
                "interval_warning_fraction",
            ),
        ];
        for (builder, field) in cases {
            let err = builder.build().unwrap_err();
            let msg = err.to_string();
            assert!(msg.contains(field), "{msg:?} should name {field}");
        }
        let err = Config::builder().threshold(-2.5).build().unwrap_err();
        assert_eq!(
            err,
            ConfigError::NotPositive {
                field: "threshold",
                value: -2.5
            }
        );
        assert!(err.to_string().contains("-2.5"));
    }

    #[test]
    fn millisecond_setters_accept_fractions_and_zero_pause() {
        let c = Config::builder()
            .acceptable_pause_ms(0.0)
            .min_std_deviation_ms(0.5)
            .first_heartbeat_estimate_ms(100.25)
            .build()
            .unwrap();
        assert_eq!(c.acceptable_pause(), Duration::ZERO);
        assert_eq!(c.min_std_deviation(), Duration::from_micros(500));
        assert_eq!(c.first_heartbeat_estimate(), Duration::from_micros(100_250));
        assert_eq!(c.interval_warning_limit(), None);
    }

    #[test]
    fn the_first_error_wins() {
        let err = Config::builder()
            .acceptable_pause_ms(-1.0)
            .min_std_deviation_ms(-2.0)
            .build()
            .unwrap_err();
        assert_eq!(
            err,
            ConfigError::InvalidMillis {
                field: "acceptable_pause",
                value: -1.0
            }
        );
    }

    #[test]
    fn an_unknown_model_name_converts_into_a_config_error() {
        let parse = |name: &str| -> Result<Model, ConfigError> { Ok(name.parse::<Model>()?) };
        let err = parse("weibull").unwrap_err();
        assert_eq!(
            err,
            ConfigError::UnknownModel {
                name: "weibull".to_string()
            }
        );
        // The same message as the model's own error, naming every model.
        let parse_err = "weibull".parse::<Model>().unwrap_err();
        assert_eq!(err.to_string(), parse_err.to_string());
        for m in Model::ALL {
            assert!(err.to_string().contains(m.name()), "{err}");
        }
    }

    #[test]
    fn model_params_carry_the_model_specific_settings() {
        let c = Config::default();
        assert_eq!(c.model_params().short_window, 1);
        assert_eq!(c.model_params().bertier, [1.0, 4.0, 0.1]);
        let c = Config::builder()
            .short_window(5)
            .bertier(2.0, 3.0, 0.5)
            .build()
            .unwrap();
        assert_eq!(c.model_params().short_window, c.short_window());
        assert_eq!(c.model_params().bertier, [2.0, 3.0, 0.5]);
    }

    #[cfg(feature = "serde")]
    #[test]
    fn deserialising_validates() {
        let good = serde_json::to_string(&Config::default()).unwrap();
        let back: Config = serde_json::from_str(&good).unwrap();
        assert_eq!(back, Config::default());
        // Floats are written as exact decimal strings (see `exact_float`).
        let bad = good.replace("\"threshold\":\"8\"", "\"threshold\":\"-1\"");
        assert_ne!(bad, good);
        let err = serde_json::from_str::<Config>(&bad).unwrap_err();
        assert!(err.to_string().contains("threshold"), "{err}");
    }
}
