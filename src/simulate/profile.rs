//! The built-in networks and their default intervals. Where each number
//! comes from is documented on the constants (see also the `simulate`
//! module's sources).

use super::delay::{Delay, Regimes};
use super::error::ScenarioError;
use super::loss::{GilbertElliott, Outages};
use super::network::Network;
use super::sender::{AfterStall, Sender, Stalls};
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// A built-in network model, by name: its [`network`](Profile::network)
/// and its [`default_interval`](Profile::default_interval). The
/// [module documentation](crate::simulate#sources) summarises them and
/// their sources.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum Profile {
    /// A switched local network: [`Network::LAN`].
    Lan,
    /// The JAIST→EPFL intercontinental path: [`Network::WAN`].
    Wan,
    /// A local network whose sender pauses for garbage collection:
    /// [`Network::GC`].
    Gc,
    /// An unstable intercontinental path: [`Network::FLAKY`].
    Flaky,
}

impl Profile {
    /// Every profile, in a stable order.
    pub const ALL: [Profile; 4] = [Profile::Lan, Profile::Wan, Profile::Gc, Profile::Flaky];

    /// The names of [`Profile::ALL`], in the same order.
    pub const NAMES: [&'static str; 4] = [
        Profile::ALL[0].name(),
        Profile::ALL[1].name(),
        Profile::ALL[2].name(),
        Profile::ALL[3].name(),
    ];

    /// The profile's name as accepted by [`FromStr`]: `lan`, `wan`, `gc` or `flaky`.
    pub const fn name(self) -> &'static str {
        match self {
            Profile::Lan => "lan",
            Profile::Wan => "wan",
            Profile::Gc => "gc",
            Profile::Flaky => "flaky",
        }
    }

    /// The profile's network model.
    pub const fn network(self) -> Network {
        match self {
            Profile::Lan => Network::LAN,
            Profile::Wan => Network::WAN,
            Profile::Gc => Network::GC,
            Profile::Flaky => Network::FLAKY,
        }
    }

    /// The heartbeat interval used when none is given: 100 ms for `lan`,
    /// `wan` and `flaky` (the JAIST→EPFL and PlanetLab senders' interval),
    /// 1 s for `gc` (the default heartbeat interval of Akka clusters, the
    /// JVM setting that such pauses hit).
    pub const fn default_interval(self) -> Duration {
        match self {
            Profile::Gc => Duration::from_secs(1),
            Profile::Lan | Profile::Wan | Profile::Flaky => Duration::from_millis(100),
        }
    }

    /// A one-line description, for command-line help.
    pub const fn description(self) -> &'static str {
        match self {
            Profile::Lan => "switched LAN: sub-millisecond delay, very rare loss",
            Profile::Wan => {
                "Japan-Switzerland WAN as in the phi paper: 135 ms delay with a heavy tail, \
                 0.4% bursty loss, rare outages, PlanetLab-rate sender stalls"
            }
            Profile::Gc => "LAN with a sender pausing for garbage collection about every 2 min",
            Profile::Flaky => "unstable WAN: doubled loss and outages, delay regime changes",
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Profile {
    type Err = ScenarioError;

    /// A profile by name, ignoring case and surrounding spaces.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Profile::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| ScenarioError::UnknownProfile {
                name: s.to_string(),
                expected: &Profile::NAMES,
            })
    }
}

/// The LAN sender: no drift, offsets of 0.13 ms, from the quietest
/// PlanetLab sender (send gaps with a standard deviation of 0.185 ms, which
/// is √2 × 0.13 ms for independent offsets).
const STEADY_SENDER: Sender = Sender {
    drift: 0.0,
    jitter_ms: 0.13,
};

/// LAN delay. Assumption (no trace measured here): a switched network with
/// a 0.2 ms one-way floor, a queueing excess of median 40 µs, and one
/// heartbeat in 1,000 delayed by an incast or queue spike of 1 ms or more
/// (Pareto, α 1.5), capped at 20 ms.
const LAN_DELAY: Delay = Delay {
    base_ms: 0.2,
    median_excess_ms: 0.04,
    excess_sigma: 0.5,
    correlation: 0.9,
    spike_probability: 0.001,
    spike_min_ms: 1.0,
    spike_alpha: 1.5,
    max_excess_ms: 20.0,
};

/// LAN loss. Assumption: isolated losses at 5 × 10⁻⁵ per heartbeat, and a
/// bad state entered once per 10⁵ heartbeats that loses half of its
/// heartbeats for two heartbeats on average: 0.006 % in all.
const LAN_LOSS: GilbertElliott = GilbertElliott {
    loss_good: 5e-5,
    loss_bad: 0.5,
    good_to_bad: 1e-5,
    bad_to_good: 0.5,
};

/// WAN loss: 0.383 % on average, mostly isolated losses (0.3 % in the good
/// state), with a bad state entered once per 2,000 heartbeats for 3.3
/// heartbeats on average, losing half of them: loss bursts of 1.08
/// heartbeats on average. Calibrated to the JAIST→EPFL trace's loss of about
/// 0.4 %, mostly single heartbeats.
const WAN_LOSS: GilbertElliott = GilbertElliott {
    loss_good: 0.003,
    loss_bad: 0.5,
    good_to_bad: 0.0005,
    bad_to_good: 0.3,
};

/// PlanetLab-rate sender stalls: 4 per 10⁴ s (1.44 per hour), the middle of
/// the 2 to 7 per 10⁴ s of the three PlanetLab senders that stalled. Log-
/// normal durations of median 400 ms and σ 0.7 (95th percentile 1.26 s),
/// capped at 1.5 s: the longest of a few is about a second, as observed
/// (1.0 to 1.3 s), and the sum of their squares reproduces those senders'
/// gap standard deviations (3.0 to 4.4 ms over 10⁵ gaps; the model gives
/// about 4 ms). [`AfterStall::Delay`], as those senders behaved.
const PLANETLAB_STALLS: Stalls = Stalls {
    per_hour: 1.44,
    median_ms: 400.0,
    sigma: 0.7,
    max_ms: 1500.0,
    after: AfterStall::Delay,
};

impl Network {
    /// A switched LAN: a steady sender, 0.2 ms delay with a small
    /// autocorrelated excess and rare spikes, loss of 6 in 10⁵. No stalls,
    /// regimes or outages. Everything but the sender's jitter is an
    /// assumption, not a measurement.
    pub const LAN: Network = Network {
        sender: STEADY_SENDER,
        stalls: None,
        delay: LAN_DELAY,
        regimes: None,
        loss: LAN_LOSS,
        outages: None,
    };

    /// The JAIST→EPFL path of Hayashibara et al. (2004).
    ///
    /// * Sender: mean period 3.1 % above the interval (103.1 ms at 100 ms),
    ///   so that with the 0.38 % loss below the mean inter-arrival is
    ///   103.1 / (1 − 0.0038) = 103.5 ms, the paper's figure; offsets of
    ///   0.4 ms (the quiet PlanetLab senders' median gap deviation of
    ///   0.6 ms, over √2); PlanetLab-rate stalls (see [`Stalls`]: 1.44 per
    ///   hour, median 400 ms, up to 1.5 s).
    /// * Delay: 135 ms floor, half the minimum round trip of 270 ms. An
    ///   excess of median 4.5 ms (σ 0.8, mean 6.2 ms), correlated over about
    ///   20 heartbeats (ρ 0.95), plus a 1 % chance of a Pareto spike of
    ///   20 ms or more (α 1.8; mean 0.43 ms per heartbeat once capped): a
    ///   mean excess of 6.6 ms each way, so a mean round trip of about
    ///   270 + 2 × 6.6 = 283 ms, the paper's. The excess is capped at
    ///   718 − 270 = 448 ms, so no round trip exceeds the paper's maximum.
    ///   The spike law, correlation and log-spread are assumptions.
    /// * Loss: Gilbert–Elliott averaging 0.383 %, bursts of 1.08 heartbeats
    ///   on average, plus outages: one per two days on average, lasting 10 s
    ///   to 3 min (log-uniform), like the paper's longest burst of about
    ///   1,000 heartbeats. The outage rate is an assumption (a few per week,
    ///   the length of the paper's run).
    pub const WAN: Network = Network {
        sender: Sender {
            drift: 0.031,
            jitter_ms: 0.4,
        },
        stalls: Some(PLANETLAB_STALLS),
        delay: Delay {
            base_ms: 135.0,
            median_excess_ms: 4.5,
            excess_sigma: 0.8,
            correlation: 0.95,
            spike_probability: 0.01,
            spike_min_ms: 20.0,
            spike_alpha: 1.8,
            max_excess_ms: 448.0,
        },
        regimes: None,
        loss: WAN_LOSS,
        outages: Some(Outages {
            per_hour: 1.0 / 48.0,
            min_ms: 10_000.0,
            max_ms: 180_000.0,
        }),
    };

    /// [`Network::LAN`] with a sender that pauses for garbage collection:
    /// one pause per 2 minutes on average, log-normal with a median of
    /// 200 ms and σ 1.0 (1 % of pauses above 2 s), capped at 10 s, the
    /// overdue heartbeat sent when the pause ends ([`AfterStall::Delay`]).
    /// Assumption: typical of a JVM with a few-gigabyte heap under a
    /// throughput collector, the case Akka's default acceptable heartbeat
    /// pause of 3 s is sized for; not from a measured trace.
    pub const GC: Network = Network {
        stalls: Some(Stalls {
            per_hour: 30.0,
            median_ms: 200.0,
            sigma: 1.0,
            max_ms: 10_000.0,
            after: AfterStall::Delay,
        }),
        ..Network::LAN
    };

    /// [`Network::WAN`] made unstable: the good-state loss and the rate of
    /// entering the bad state doubled (0.76 % loss on average), outages
    /// twice as frequent (one a day), and delay regimes, three per hour on
    /// average, lasting 10 s to 5 min (uniform), that multiply the delay
    /// floor by 1.5 to 3 and the excess by 2 to 5, as a route change or a
    /// congested link would. The regime values are assumptions, chosen to
    /// exercise the sudden changes that motivated two-window detectors
    /// (Tomsic et al., *2W-FD*, IPDPS 2015).
    pub const FLAKY: Network = Network {
        regimes: Some(Regimes {
            per_hour: 3.0,
            min_ms: 10_000.0,
            max_ms: 300_000.0,
            base_factor_min: 1.5,
            base_factor_max: 3.0,
            excess_factor_min: 2.0,
            excess_factor_max: 5.0,
        }),
        loss: GilbertElliott {
            loss_good: 2.0 * WAN_LOSS.loss_good,
            good_to_bad: 2.0 * WAN_LOSS.good_to_bad,
            ..WAN_LOSS
        },
        outages: Some(Outages {
            per_hour: 1.0 / 24.0,
            min_ms: 10_000.0,
            max_ms: 180_000.0,
        }),
        ..Network::WAN
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulate::delay::DelayProcess;
    use crate::simulate::rng::Rng;

    #[test]
    fn names_round_trip() {
        for p in Profile::ALL {
            assert_eq!(p.name().parse::<Profile>().unwrap(), p);
            assert_eq!(p.to_string(), p.name());
            assert_eq!(p.network().validate(), Ok(()));
        }
        assert_eq!(" WAN ".parse::<Profile>().unwrap(), Profile::Wan);
        let err = "dsl".parse::<Profile>().unwrap_err();
        assert!(err.to_string().contains("lan, wan, gc, flaky"), "{err}");
    }

    #[test]
    fn documented_loss_rates() {
        // Hand calculations in the constants' documentation.
        assert!((Network::WAN.loss.mean_loss() - 0.003_827).abs() < 1e-6);
        // Flaky: π_bad = 0.001 / 0.301 = 0.003322;
        // 0.996678 × 0.006 + 0.003322 × 0.5 = 0.007641.
        assert!((Network::FLAKY.loss.mean_loss() - 0.007_641).abs() < 1e-6);
        // LAN: π_bad = 1e-5 / 0.50001 ≈ 2e-5; 5e-5 + 2e-5 × 0.5 = 6e-5.
        assert!((Network::LAN.loss.mean_loss() - 6e-5).abs() < 1e-7);
        // WAN: 103.1 ms / (1 − 0.003827) = 103.50 ms.
        let period = 100.0 * (1.0 + Network::WAN.sender.drift);
        assert!((period / (1.0 - Network::WAN.loss.mean_loss()) - 103.5).abs() < 0.01);
    }

    #[test]
    fn wan_delay_gives_the_papers_round_trip() {
        // Mean one-way delay by hand: 135 + 4.5 e^(0.8²/2) = 6.20, plus
        // 1 % of a Pareto(20 ms, 1.8) capped at 448 ms (mean 42.9 ms): 0.43.
        // 141.63 ms, so a round trip of 283.3 ms, the paper's 283.
        let n = 200_000u64;
        let mut p = DelayProcess::new(
            &Network::WAN.delay,
            None,
            u64::MAX,
            Rng::stream(1, 0),
            Rng::stream(1, 1),
        );
        let d: Vec<f64> = (0..n).map(|i| p.next(i) as f64 / 1e6).collect();
        let mean = d.iter().sum::<f64>() / n as f64;
        // sd of the mean: spikes 0.01 × 3857 ms² over n, plus the log-normal
        // part's 34.4 ms² inflated 39-fold by the correlation (ρ 0.95):
        // 0.083 ms; 5 sd = 0.42 ms.
        assert!((mean - 141.63).abs() < 0.42, "{mean}");
        // No round trip above the paper's 718 ms: no one-way delay above 583 ms.
        assert!(d.iter().all(|&x| (135.0..=583.0).contains(&x)));
    }
}
