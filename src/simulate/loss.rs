//! Message loss: a two-state Gilbert–Elliott channel for everyday loss, and
//! rare outages that drop everything for seconds to minutes.
//!
//! The Gilbert–Elliott model (E. N. Gilbert, *Capacity of a Burst-Noise
//! Channel*, Bell System Technical Journal 39, 1960; E. O. Elliott,
//! *Estimates of Error Rates for Codes on Burst-Noise Channels*, BSTJ 42,
//! 1963) is a Markov chain over a good and a bad state, stepped once per
//! heartbeat, each state with its own loss probability. It gives isolated
//! losses in the good state and short bursts in the bad one, as seen on
//! Internet paths, where an independent loss per message gives almost no
//! bursts.

use super::episodes::{EpisodeLaw, Episodes};
use super::rng::{Chance, Rng};

/// A two-state Gilbert–Elliott loss channel, stepped once per heartbeat.
///
/// All four fields are probabilities, from 0 to 1.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct GilbertElliott {
    /// Loss probability in the good state.
    pub loss_good: f64,
    /// Loss probability in the bad state.
    pub loss_bad: f64,
    /// Probability of moving from the good to the bad state at a heartbeat.
    pub good_to_bad: f64,
    /// Probability of moving from the bad to the good state at a heartbeat.
    pub bad_to_good: f64,
}

impl GilbertElliott {
    /// No loss at all.
    pub const NONE: GilbertElliott = GilbertElliott {
        loss_good: 0.0,
        loss_bad: 0.0,
        good_to_bad: 0.0,
        bad_to_good: 1.0,
    };

    /// The long-run fraction of heartbeats in the bad state:
    /// `good_to_bad / (good_to_bad + bad_to_good)`, or 0 for a chain that
    /// never moves (it starts in the good state then).
    pub fn bad_fraction(&self) -> f64 {
        let moves = self.good_to_bad + self.bad_to_good;
        if moves > 0.0 {
            self.good_to_bad / moves
        } else {
            0.0
        }
    }

    /// The long-run loss rate: the two states' loss probabilities weighted
    /// by the time spent in each.
    pub fn mean_loss(&self) -> f64 {
        let bad = self.bad_fraction();
        (1.0 - bad) * self.loss_good + bad * self.loss_bad
    }
}

/// Outages of the path: every heartbeat sent during one is lost.
///
/// Durations are log-uniform in `[min_ms, max_ms]` (their logarithm is
/// uniform), so short and long outages are equally common per decade.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct Outages {
    /// Outages starting per hour outside outages. Above 0, at most 3600.
    pub per_hour: f64,
    /// Shortest outage, in ms. Above 0, at most one day.
    pub min_ms: f64,
    /// Longest outage, in ms. From `min_ms` to one day.
    pub max_ms: f64,
}

impl EpisodeLaw for Outages {
    type Payload = ();

    fn per_hour(&self) -> f64 {
        self.per_hour
    }

    fn draw(&self, rng: &mut Rng) -> (f64, ()) {
        (rng.log_uniform(self.min_ms, self.max_ms) * 1e6, ())
    }
}

/// Which of one node's heartbeats are lost, in send order.
pub(crate) struct LossProcess {
    bad: bool,
    loss_good: Chance,
    loss_bad: Chance,
    good_to_bad: Chance,
    bad_to_good: Chance,
    rng: Rng,
    outages: Episodes<Outages>,
}

impl LossProcess {
    /// Losses of `channel`, with `outages` starting before `end` ns.
    pub(crate) fn new(
        channel: &GilbertElliott,
        outages: Option<Outages>,
        end: u64,
        mut rng: Rng,
        outage_rng: Rng,
    ) -> LossProcess {
        // Start in the stationary law, so the loss rate holds from the start.
        let bad = rng.happens(Chance::new(channel.bad_fraction()));
        LossProcess {
            bad,
            loss_good: Chance::new(channel.loss_good),
            loss_bad: Chance::new(channel.loss_bad),
            good_to_bad: Chance::new(channel.good_to_bad),
            bad_to_good: Chance::new(channel.bad_to_good),
            rng,
            outages: Episodes::new(outages, outage_rng, end),
        }
    }

    /// Whether the next heartbeat, sent at `send` ns (non-decreasing from
    /// call to call), is lost.
    ///
    /// The channel steps for every heartbeat, even one sent during an
    /// outage, so that outages do not shift the channel's random draws.
    #[inline]
    pub(crate) fn next(&mut self, send: u64) -> bool {
        let switch = if self.bad {
            self.bad_to_good
        } else {
            self.good_to_bad
        };
        if self.rng.happens(switch) {
            self.bad = !self.bad;
        }
        let loss = if self.bad {
            self.loss_bad
        } else {
            self.loss_good
        };
        let dropped = self.rng.happens(loss);
        dropped || self.outages.at(send).is_some()
    }

    /// Every outage that started before the end, as `(start, end)` ns.
    pub(crate) fn finish(self) -> Vec<(u64, u64)> {
        self.outages.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WAN_LIKE: GilbertElliott = GilbertElliott {
        loss_good: 0.003,
        loss_bad: 0.5,
        good_to_bad: 0.0005,
        bad_to_good: 0.3,
    };

    #[test]
    fn stationary_loss_by_hand() {
        // π_bad = 0.0005 / 0.3005 = 0.001664;
        // loss = 0.998336 × 0.003 + 0.001664 × 0.5 = 0.003827.
        assert!((WAN_LIKE.bad_fraction() - 0.001_664).abs() < 1e-6);
        assert!((WAN_LIKE.mean_loss() - 0.003_827).abs() < 1e-6);
        assert_eq!(GilbertElliott::NONE.mean_loss(), 0.0);
        let stuck = GilbertElliott {
            good_to_bad: 0.0,
            bad_to_good: 0.0,
            ..WAN_LIKE
        };
        assert_eq!(stuck.mean_loss(), 0.003);
    }

    #[test]
    fn losses_match_the_channel_and_come_in_bursts() {
        let n = 1_000_000u64;
        let mut p = LossProcess::new(
            &WAN_LIKE,
            None,
            u64::MAX,
            Rng::stream(5, 0),
            Rng::stream(5, 1),
        );
        let (mut lost, mut bursts, mut previous) = (0u64, 0u64, false);
        for i in 0..n {
            let l = p.next(i);
            lost += u64::from(l);
            bursts += u64::from(l && !previous);
            previous = l;
        }
        // Variance of the loss count, by hand: isolated good-state losses
        // (n × 0.003) plus bad-state episodes, n × 0.0005 of them, each
        // losing X ~ Binomial(L, 0.5) with L geometric of mean 1/0.3:
        // E[X²] = 5.56, so n × 0.00278. Total var = 5.78e3, sd 76.
        let expected = WAN_LIKE.mean_loss() * n as f64;
        assert!((lost as f64 - expected).abs() < 5.0 * 76.0, "{lost}");
        // Mean burst length by hand: 1.08 (runs per bad episode 0.25 E[L] +
        // 0.25 = 1.08; runs per heartbeat 0.002995 + 0.0005 × 1.08).
        let mean_burst = lost as f64 / bursts as f64;
        assert!((mean_burst - 1.08).abs() < 0.05, "{mean_burst}");
    }

    #[test]
    fn outages_drop_everything() {
        let outages = Outages {
            per_hour: 3600.0,
            min_ms: 1000.0,
            max_ms: 1000.0,
        };
        let mut p = LossProcess::new(
            &GilbertElliott::NONE,
            Some(outages),
            100_000_000_000,
            Rng::stream(6, 0),
            Rng::stream(6, 1),
        );
        // 100 s probed each ms: starts at rate 1/s between 1 s outages, so
        // half the time is outage.
        let lost = (0..100_000u64).filter(|&i| p.next(i * 1_000_000)).count();
        assert!((35_000..=65_000).contains(&lost), "{lost}");
        let spans = p.finish();
        assert!(spans.iter().all(|&(s, e)| e - s == 1_000_000_000));
        // Exactly the probes inside an outage are lost.
        let probes_before = |t: u64| t.min(100_000_000_000).div_ceil(1_000_000);
        let covered: u64 = spans
            .iter()
            .map(|&(s, e)| probes_before(e) - probes_before(s))
            .sum();
        assert_eq!(lost as u64, covered);
    }
}
