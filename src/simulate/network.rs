//! A network model: everything between a sender's heartbeat timer and the
//! monitor's receive call, as plain parameters.

use super::delay::{Delay, Regimes};
use super::error::ScenarioError;
use super::loss::{GilbertElliott, Outages};
use super::sender::{Sender, Stalls};

/// The longest time any duration parameter may take: one day, in ms.
pub const MAX_PARAMETER_MS: f64 = 86_400_000.0;

/// The highest rate of any episode process (stalls, outages, regimes): one
/// per second.
pub const MAX_PER_HOUR: f64 = 3600.0;

/// A complete network model, from sender to monitor.
///
/// A custom model starts from a built-in one ([`Network::LAN`],
/// [`Network::WAN`], [`Network::GC`], [`Network::FLAKY`]) and changes some of
/// its public fields, down to single parameters:
///
/// ```
/// use accrual::simulate::{Network, Scenario};
///
/// // The WAN profile without its rare outages, and with twice its jitter.
/// let mut network = Network::WAN;
/// network.outages = None;
/// network.sender.jitter_ms *= 2.0;
/// // The LAN with the GC profile's stalls, twice as frequent.
/// let mut stalling = Network::LAN;
/// stalling.stalls = Network::GC.stalls;
/// if let Some(stalls) = &mut stalling.stalls {
///     stalls.per_hour *= 2.0;
/// }
/// let wan = Scenario::builder_for(network).nodes(2).build()?;
/// let lan = Scenario::builder_for(stalling).build()?;
/// # Ok::<(), accrual::simulate::ScenarioError>(())
/// ```
///
/// This type and the parameter types of its fields are `#[non_exhaustive]`:
/// they cannot be written as struct literals outside this crate, so that a
/// refinement of the simulator (a new parameter of a stage, a new stage)
/// adds a field without breaking the programs that use it. Its fields stay
/// public, to read and to set, because they are plain parameters that only
/// mean something together: [`validate`](Network::validate) checks them as
/// a whole when a [`Scenario`](super::Scenario) is built.
///
/// A [`Scenario`](super::Scenario) checks the values when it is built (see
/// each field's type for its range) and names the first bad one in a
/// [`ScenarioError`].
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct Network {
    /// Timing of the healthy sender.
    pub sender: Sender,
    /// Pauses of the sending process, if any.
    pub stalls: Option<Stalls>,
    /// One-way delay.
    pub delay: Delay,
    /// Regimes of degraded delay, if any.
    pub regimes: Option<Regimes>,
    /// Everyday loss.
    pub loss: GilbertElliott,
    /// Rare outages that drop every heartbeat, if any.
    pub outages: Option<Outages>,
}

impl Network {
    /// Checks every parameter against its documented range.
    ///
    /// # Errors
    ///
    /// [`ScenarioError::OutOfRange`] naming the first bad field.
    pub fn validate(&self) -> Result<(), ScenarioError> {
        let s = &self.sender;
        within("network.sender.drift", s.drift, -0.5, 1.0)?;
        within_ms("network.sender.jitter_ms", s.jitter_ms, 0.0)?;
        if let Some(st) = &self.stalls {
            within("network.stalls.per_hour", st.per_hour, 0.0, MAX_PER_HOUR)?;
            within_ms("network.stalls.median_ms", st.median_ms, 0.0)?;
            within("network.stalls.sigma", st.sigma, 0.0, 5.0)?;
            within_ms("network.stalls.max_ms", st.max_ms, st.median_ms)?;
        }
        let d = &self.delay;
        within_ms("network.delay.base_ms", d.base_ms, 0.0)?;
        within_ms("network.delay.median_excess_ms", d.median_excess_ms, 0.0)?;
        within("network.delay.excess_sigma", d.excess_sigma, 0.0, 5.0)?;
        within("network.delay.correlation", d.correlation, 0.0, 1.0)?;
        within(
            "network.delay.spike_probability",
            d.spike_probability,
            0.0,
            1.0,
        )?;
        within_ms("network.delay.spike_min_ms", d.spike_min_ms, 0.0)?;
        within("network.delay.spike_alpha", d.spike_alpha, 0.5, 100.0)?;
        within_ms("network.delay.max_excess_ms", d.max_excess_ms, 0.0)?;
        if let Some(r) = &self.regimes {
            within("network.regimes.per_hour", r.per_hour, 0.0, MAX_PER_HOUR)?;
            within_ms("network.regimes.min_ms", r.min_ms, 0.0)?;
            within_ms("network.regimes.max_ms", r.max_ms, r.min_ms)?;
            within(
                "network.regimes.base_factor_min",
                r.base_factor_min,
                0.0,
                100.0,
            )?;
            within(
                "network.regimes.base_factor_max",
                r.base_factor_max,
                r.base_factor_min,
                100.0,
            )?;
            within(
                "network.regimes.excess_factor_min",
                r.excess_factor_min,
                0.0,
                100.0,
            )?;
            within(
                "network.regimes.excess_factor_max",
                r.excess_factor_max,
                r.excess_factor_min,
                100.0,
            )?;
        }
        let l = &self.loss;
        within("network.loss.loss_good", l.loss_good, 0.0, 1.0)?;
        within("network.loss.loss_bad", l.loss_bad, 0.0, 1.0)?;
        within("network.loss.good_to_bad", l.good_to_bad, 0.0, 1.0)?;
        within("network.loss.bad_to_good", l.bad_to_good, 0.0, 1.0)?;
        if let Some(o) = &self.outages {
            within("network.outages.per_hour", o.per_hour, 0.0, MAX_PER_HOUR)?;
            // Log-uniform durations need a positive lower end: 1 µs.
            within_ms("network.outages.min_ms", o.min_ms, 1e-3)?;
            within_ms("network.outages.max_ms", o.max_ms, o.min_ms)?;
        }
        Ok(())
    }

    /// Expected number of episodes (stalls, outages, regimes) per hour,
    /// an upper bound used to refuse scenarios that would record too many.
    pub(crate) fn episodes_per_hour(&self) -> f64 {
        self.stalls.map_or(0.0, |s| s.per_hour)
            + self.regimes.map_or(0.0, |r| r.per_hour)
            + self.outages.map_or(0.0, |o| o.per_hour)
    }
}

/// `value` in `[min, max]` (NaN never is).
fn within(field: &'static str, value: f64, min: f64, max: f64) -> Result<(), ScenarioError> {
    if value >= min && value <= max {
        Ok(())
    } else {
        Err(ScenarioError::OutOfRange {
            field,
            value,
            min,
            max,
        })
    }
}

/// A duration in ms, from `min` to [`MAX_PARAMETER_MS`].
fn within_ms(field: &'static str, value: f64, min: f64) -> Result<(), ScenarioError> {
    within(field, value, min, MAX_PARAMETER_MS)
}
