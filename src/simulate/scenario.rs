//! A scenario: a network model, a heartbeat interval, a length, a number of
//! nodes and a seed. Only valid scenarios exist: the builder checks every
//! value and names the first bad one.

use super::error::ScenarioError;
use super::network::Network;
use super::profile::Profile;
use std::time::Duration;

/// The longest scenario (and heartbeat interval): ten years of 365 days.
pub const MAX_DURATION: Duration = Duration::from_secs(10 * 365 * 86_400);

/// The most nodes in one scenario.
pub const MAX_NODES: usize = 100_000;

/// The most heartbeats one scenario may send, over all nodes: 10⁸, which is
/// 800 MB of arrival times and about 2.5 GB of CSV.
pub const MAX_HEARTBEATS: u64 = 100_000_000;

/// The most episodes (stalls, outages, regimes) one scenario may expect to
/// record, over all nodes.
pub const MAX_EPISODES: f64 = 10_000_000.0;

/// What to simulate. Build one with [`Scenario::builder`] or
/// [`Scenario::builder_for`].
///
/// ```
/// use accrual::simulate::{Profile, Scenario};
/// use std::time::Duration;
///
/// let scenario = Scenario::builder(Profile::Wan)
///     .duration(Duration::from_secs(60))
///     .nodes(3)
///     .seed(7)
///     .build()?;
/// assert_eq!(scenario.interval(), Duration::from_millis(100));
///
/// // A bad value is named, never a panic.
/// let err = Scenario::builder(Profile::Lan).nodes(0).build().unwrap_err();
/// assert!(err.to_string().contains("nodes"));
/// # Ok::<(), accrual::simulate::ScenarioError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    network: Network,
    interval: Duration,
    duration: Duration,
    nodes: usize,
    seed: u64,
}

impl Scenario {
    /// A builder for a built-in profile, with the profile's default
    /// interval, a duration of one hour, one node and seed 0.
    pub fn builder(profile: Profile) -> ScenarioBuilder {
        ScenarioBuilder::new(profile.network(), profile.default_interval())
    }

    /// A builder for a custom network, with a 100 ms interval, a duration of
    /// one hour, one node and seed 0.
    pub fn builder_for(network: Network) -> ScenarioBuilder {
        ScenarioBuilder::new(network, Duration::from_millis(100))
    }

    /// The network model.
    pub fn network(&self) -> &Network {
        &self.network
    }

    /// The nominal heartbeat interval.
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// The length of the trace: arrivals fall in `[0, duration)`.
    pub fn duration(&self) -> Duration {
        self.duration
    }

    /// The number of sending nodes.
    pub fn nodes(&self) -> usize {
        self.nodes
    }

    /// The seed: equal scenarios give identical traces.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Nanoseconds, for the generator. Both are at most [`MAX_DURATION`].
    pub(crate) fn interval_ns(&self) -> u64 {
        nanos(self.interval)
    }

    pub(crate) fn duration_ns(&self) -> u64 {
        nanos(self.duration)
    }

    /// Slots per node: an upper bound on the heartbeats one node sends.
    pub(crate) fn slots_per_node(&self) -> u64 {
        // The first slot lies within the first interval, then one per period.
        self.duration_ns() / self.network.sender.period_ns(self.interval_ns()) + 1
    }
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// Builds a [`Scenario`], checking every value in [`ScenarioBuilder::build`].
///
/// Setters never fail; the first invalid value is reported by `build`.
#[derive(Clone, Debug)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct ScenarioBuilder {
    scenario: Scenario,
    error: Option<ScenarioError>,
}

impl ScenarioBuilder {
    fn new(network: Network, interval: Duration) -> Self {
        ScenarioBuilder {
            scenario: Scenario {
                network,
                interval,
                duration: Duration::from_secs(3600),
                nodes: 1,
                seed: 0,
            },
            error: None,
        }
    }

    /// Replaces the network model (the interval is kept).
    pub fn network(mut self, network: Network) -> Self {
        self.scenario.network = network;
        self
    }

    /// The nominal heartbeat interval: above zero, at most [`MAX_DURATION`].
    pub fn interval(mut self, interval: Duration) -> Self {
        self.scenario.interval = interval;
        self
    }

    /// [`interval`](Self::interval) in fractional milliseconds.
    pub fn interval_ms(self, ms: f64) -> Self {
        self.seconds("interval_ms", ms / 1e3, ms, |b, d| b.interval(d))
    }

    /// The length of the trace: above zero, at most [`MAX_DURATION`]
    /// (default one hour).
    pub fn duration(mut self, duration: Duration) -> Self {
        self.scenario.duration = duration;
        self
    }

    /// [`duration`](Self::duration) in fractional seconds.
    pub fn duration_s(self, s: f64) -> Self {
        self.seconds("duration_s", s, s, |b, d| b.duration(d))
    }

    /// The number of sending nodes, named `node0`, `node1`, …: 1 to
    /// [`MAX_NODES`] (default 1).
    pub fn nodes(mut self, nodes: usize) -> Self {
        self.scenario.nodes = nodes;
        self
    }

    /// The seed (default 0).
    pub fn seed(mut self, seed: u64) -> Self {
        self.scenario.seed = seed;
        self
    }

    /// Checks every value and returns the scenario.
    ///
    /// # Errors
    ///
    /// The first invalid value, as a [`ScenarioError`] naming its field:
    /// a zero interval, duration or node count; an interval or duration
    /// above [`MAX_DURATION`]; more than [`MAX_NODES`] nodes, more than
    /// [`MAX_HEARTBEATS`] heartbeats or [`MAX_EPISODES`] expected episodes
    /// in all; a network parameter outside its range
    /// ([`Network::validate`]).
    pub fn build(self) -> Result<Scenario, ScenarioError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let s = self.scenario;
        for (field, value) in [("interval", s.interval), ("duration", s.duration)] {
            if value.is_zero() {
                return Err(ScenarioError::Zero { field });
            }
            if value > MAX_DURATION {
                return Err(ScenarioError::TooLong {
                    field,
                    value,
                    max: MAX_DURATION,
                });
            }
        }
        if s.nodes == 0 {
            return Err(ScenarioError::Zero { field: "nodes" });
        }
        if s.nodes > MAX_NODES {
            return Err(ScenarioError::TooMany {
                field: "nodes",
                value: s.nodes as f64,
                max: MAX_NODES as f64,
            });
        }
        s.network.validate()?;
        let heartbeats = s.slots_per_node().saturating_mul(s.nodes as u64);
        if heartbeats > MAX_HEARTBEATS {
            return Err(ScenarioError::TooMany {
                field: "heartbeats (nodes × duration / interval)",
                value: heartbeats as f64,
                max: MAX_HEARTBEATS as f64,
            });
        }
        let hours = s.duration.as_secs_f64() / 3600.0;
        let episodes = s.network.episodes_per_hour() * hours * s.nodes as f64;
        if episodes > MAX_EPISODES {
            return Err(ScenarioError::TooMany {
                field: "episodes (nodes × duration × stall, outage and regime rates)",
                value: episodes,
                max: MAX_EPISODES,
            });
        }
        Ok(s)
    }

    fn seconds(
        mut self,
        field: &'static str,
        seconds: f64,
        given: f64,
        set: impl FnOnce(Self, Duration) -> Self,
    ) -> Self {
        // `try_from_secs_f64` rejects NaN, negatives and overflow instead of
        // panicking like `from_secs_f64`.
        match Duration::try_from_secs_f64(seconds) {
            Ok(d) if seconds.is_finite() => set(self, d),
            _ => {
                self.error.get_or_insert(ScenarioError::InvalidNumber {
                    field,
                    value: given,
                });
                self
            }
        }
    }
}
