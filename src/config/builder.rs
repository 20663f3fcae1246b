//! [`ConfigBuilder`]: one setter per knob, every check in `build`.

use super::{Bootstrap, Config, ConfigError, ConfigFields, Learning, Period};
use crate::model::Model;
use std::time::Duration;

/// Builds a [`Config`], checking every value in [`ConfigBuilder::build`].
///
/// Setters never fail; the first invalid value is reported by `build`.
#[derive(Clone, Debug)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct ConfigBuilder {
    fields: ConfigFields,
    /// The first invalid value a setter met, reported by `build`; setters
    /// themselves never fail, so they chain.
    error: Option<ConfigError>,
}

impl ConfigBuilder {
    /// A builder starting from `fields`.
    pub(super) fn from_fields(fields: ConfigFields) -> ConfigBuilder {
        ConfigBuilder {
            fields,
            error: None,
        }
    }

    /// The suspicion model (default [`Model::Normal`]).
    pub fn model(mut self, model: Model) -> Self {
        self.fields.model = model;
        self
    }

    /// The phi threshold: finite, above 0 (default 8). Phi 8 stands for a
    /// one-in-10⁸ chance, under the model, that a live peer's heartbeat is
    /// still this late.
    pub fn threshold(mut self, threshold: f64) -> Self {
        self.fields.threshold = threshold;
        self
    }

    /// The window size in intervals, 1 to 2²⁴ (default 1000).
    pub fn max_sample_size(mut self, samples: usize) -> Self {
        self.fields.max_sample_size = samples;
        self
    }

    /// The floor on the standard deviation, above zero (default 100 ms).
    ///
    /// Without it a very regular link would make phi explode at the first
    /// slightly late heartbeat.
    pub fn min_std_deviation(mut self, d: Duration) -> Self {
        self.fields.min_std_deviation = d;
        self
    }

    /// [`min_std_deviation`](Self::min_std_deviation) in fractional milliseconds.
    pub fn min_std_deviation_ms(self, ms: f64) -> Self {
        self.millis("min_std_deviation", ms, |b, d| b.min_std_deviation(d))
    }

    /// The acceptable heartbeat pause, zero or more (default 3 s).
    ///
    /// It is added to the mean interval: the first `pause` of extra silence
    /// raises no suspicion. It absorbs garbage-collection pauses, lost
    /// heartbeats and transient network failures.
    pub fn acceptable_pause(mut self, d: Duration) -> Self {
        self.fields.acceptable_pause = d;
        self
    }

    /// [`acceptable_pause`](Self::acceptable_pause) in fractional milliseconds.
    pub fn acceptable_pause_ms(self, ms: f64) -> Self {
        self.millis("acceptable_pause", ms, |b, d| b.acceptable_pause(d))
    }

    /// The interval assumed before any is observed, above zero (default 1 s).
    ///
    /// With the default [`Bootstrap::Seeds`] the window is seeded with
    /// `estimate − estimate/4` and `estimate + estimate/4` at the first
    /// heartbeat, as Akka does, so a peer that sends only one heartbeat
    /// still becomes suspected; with [`Bootstrap::Growing`] the estimate
    /// stands alone until the first real interval. It is also the sending
    /// period of Chen's, 2W-FD's and Bertier's expected arrivals: the unit
    /// sequence numbers are reconstructed in, and the period itself with
    /// [`Period::Fixed`].
    pub fn first_heartbeat_estimate(mut self, d: Duration) -> Self {
        self.fields.first_heartbeat_estimate = d;
        self
    }

    /// [`first_heartbeat_estimate`](Self::first_heartbeat_estimate) in fractional milliseconds.
    pub fn first_heartbeat_estimate_ms(self, ms: f64) -> Self {
        self.millis("first_heartbeat_estimate", ms, |b, d| {
            b.first_heartbeat_estimate(d)
        })
    }

    /// Recorded intervals of at least `fraction × acceptable pause` are
    /// flagged (default 2/3, Akka's value). Finite and above 0.
    pub fn interval_warning_fraction(mut self, fraction: f64) -> Self {
        self.fields.interval_warning_fraction = fraction;
        self
    }

    /// 2W-FD's short window, in arrivals: 1 (the default, the last arrival
    /// alone) to `max_sample_size`. Used by [`Model::TwoWindow`] only.
    ///
    /// Smaller reacts faster when the link suddenly slows down; larger
    /// smooths single late heartbeats.
    pub fn short_window(mut self, arrivals: usize) -> Self {
        self.fields.short_window = arrivals;
        self
    }

    /// Bertier's constants: the margin is `β·delay + φ·variation`, both
    /// estimates moving by a fraction `γ` of each new prediction error
    /// (defaults β = 1, φ = 4, γ = 0.1, the paper's). β and φ finite and
    /// non-negative, γ in (0, 1]. Used by [`Model::Bertier`] only.
    pub fn bertier(mut self, beta: f64, phi: f64, gamma: f64) -> Self {
        self.fields.bertier = [beta, phi, gamma];
        self
    }

    /// Which intervals the window learns (default: the model's,
    /// [`Learning::default_for`]: [`Learning::All`], the papers' rule, for
    /// Chen's detector, [`Learning::SkipSuspected`], Akka's, for the
    /// others). See [`Learning`] for the trade-off.
    pub fn learning(mut self, learning: Learning) -> Self {
        self.fields.learning = Some(learning);
        self
    }

    /// The sending period Chen's, 2W-FD's and Bertier's expected arrivals
    /// use (default [`Period::Estimated`]; [`Period::Fixed`] is the first
    /// heartbeat estimate, as in Chen's paper). See [`Period`].
    pub fn period(mut self, period: Period) -> Self {
        self.fields.period = period;
        self
    }

    /// How the window starts (default [`Bootstrap::Seeds`], Akka's;
    /// [`Bootstrap::Growing`] is the papers'). See [`Bootstrap`] for what
    /// the detector answers before its first interval.
    pub fn bootstrap(mut self, bootstrap: Bootstrap) -> Self {
        self.fields.bootstrap = bootstrap;
        self
    }

    /// Checks every value and returns the configuration.
    ///
    /// # Errors
    ///
    /// The first invalid value, as a [`ConfigError`] naming its field.
    pub fn build(self) -> Result<Config, ConfigError> {
        match self.error {
            Some(e) => Err(e),
            None => Config::validate(self.fields),
        }
    }

    fn millis(
        mut self,
        field: &'static str,
        ms: f64,
        set: impl FnOnce(Self, Duration) -> Self,
    ) -> Self {
        // Duration::try_from_secs_f64 rejects NaN, negatives and overflow
        // instead of panicking like `from_secs_f64`.
        match Duration::try_from_secs_f64(ms / 1e3) {
            Ok(d) if ms.is_finite() => set(self, d),
            _ => {
                self.error
                    .get_or_insert(ConfigError::InvalidMillis { field, value: ms });
                self
            }
        }
    }
}
