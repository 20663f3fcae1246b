//! The sender: when heartbeats leave, with scheduling jitter, a drifting
//! period and stalls of the sending process.
//!
//! Heartbeat `i` is planned at `phase + i · period`, where the period is the
//! nominal interval stretched by [`Sender::drift`] and the phase is uniform
//! within the first interval (so that several nodes do not send in
//! lockstep). Each send then lands a normal jitter away from its slot,
//! clamped to half a period. Because the jitter is drawn around a fixed
//! schedule, a late send is followed by a normal one: the sender catches up,
//! as the PlanetLab senders did (their send gaps averaged exactly the
//! interval, 100.000 ms over 10⁵ heartbeats, despite a jitter of about a
//! millisecond).
//!
//! A [stall](Stalls) freezes the sender. What happens to the heartbeats due
//! during it is the sender's [`AfterStall`] policy.

use super::episodes::{EpisodeLaw, Episodes};
use super::rng::Rng;

/// Timing of a healthy sender.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct Sender {
    /// How much longer than the nominal interval the mean sending period
    /// is, as a fraction: the period is `interval × (1 + drift)`. Models a
    /// sender whose timer runs late on average, or which sleeps for the
    /// interval after doing some work. From −0.5 to 1.
    pub drift: f64,
    /// Standard deviation of a send's offset from its planned slot, in ms
    /// (clamped to half a period). The gaps between sends then have a
    /// standard deviation of √2 times this. From 0 to one day.
    pub jitter_ms: f64,
}

/// Pauses of the sending process: garbage collection, a descheduled virtual
/// machine, a blocked event loop.
///
/// Durations are log-normal: `median_ms · e^(sigma · z)` with `z` standard
/// normal, capped at `max_ms`.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct Stalls {
    /// Stalls starting per hour while the sender runs (a Poisson process).
    /// Above 0, at most 3600.
    pub per_hour: f64,
    /// Median duration, in ms. From 0 to one day.
    pub median_ms: f64,
    /// Standard deviation of the log of the duration. From 0 to 5.
    pub sigma: f64,
    /// Longest duration, in ms. From `median_ms` to one day.
    pub max_ms: f64,
    /// What the sender does with the heartbeats due during a stall.
    pub after: AfterStall,
}

/// What a sender does with the heartbeats that fell due while it was
/// stalled. The names are those of the policies of periodic timers (for
/// instance Tokio's `MissedTickBehavior`); the three stress a detector
/// differently.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum AfterStall {
    /// Send the first overdue heartbeat when the stall ends and shift the
    /// whole schedule by the delay: one long gap, then the usual rhythm.
    /// This is what the PlanetLab senders did: each of their traces lasted
    /// longer than its 10⁵ intervals by about the sum of its stalls.
    #[default]
    Delay,
    /// Send every overdue heartbeat at once when the stall ends, then keep
    /// to the original schedule: one long gap followed by a burst of
    /// near-zero gaps (a fixed-rate timer catching up).
    Burst,
    /// Drop the overdue heartbeats and keep to the original schedule: one
    /// gap of a whole number of periods, the same silence as a loss burst.
    Skip,
}

impl Sender {
    /// The mean sending period for a nominal interval, in ns (at least 1).
    pub(crate) fn period_ns(&self, interval_ns: u64) -> u64 {
        ((interval_ns as f64 * (1.0 + self.drift)).round() as u64).max(1)
    }
}

impl EpisodeLaw for Stalls {
    type Payload = ();

    fn per_hour(&self) -> f64 {
        self.per_hour
    }

    fn draw(&self, rng: &mut Rng) -> (f64, ()) {
        let ms = rng.log_normal(self.median_ms, self.sigma).min(self.max_ms);
        (ms * 1e6, ())
    }
}

/// The send times of one node, in order.
pub(crate) struct Schedule {
    /// The next slot, before any stall shift, in ns.
    slot: u64,
    period: u64,
    /// Accumulated postponement from stalls under [`AfterStall::Delay`].
    shift: u64,
    jitter_sd_ns: f64,
    /// Half a period: keeps consecutive sends in order.
    jitter_max_ns: i64,
    /// Sends at or after this time do not happen.
    end: u64,
    after: AfterStall,
    rng: Rng,
    stalls: Episodes<Stalls>,
    /// Heartbeats dropped under [`AfterStall::Skip`].
    skipped: u64,
    done: bool,
}

impl Schedule {
    /// The sends of a sender with the given nominal interval, over
    /// `[0, end)` ns. `jitter_rng` draws the phase and the jitter,
    /// `stall_rng` the stalls.
    pub(crate) fn new(
        sender: &Sender,
        stalls: Option<Stalls>,
        interval_ns: u64,
        end: u64,
        mut jitter_rng: Rng,
        stall_rng: Rng,
    ) -> Schedule {
        let period = sender.period_ns(interval_ns);
        let phase = (jitter_rng.uniform() * interval_ns as f64) as u64;
        Schedule {
            slot: phase,
            period,
            shift: 0,
            jitter_sd_ns: sender.jitter_ms * 1e6,
            jitter_max_ns: i64::try_from(period / 2).unwrap_or(i64::MAX),
            end,
            after: stalls.map(|s| s.after).unwrap_or_default(),
            rng: jitter_rng,
            stalls: Episodes::new(stalls, stall_rng, end),
            skipped: 0,
            done: false,
        }
    }

    /// Ends the schedule: the heartbeats skipped, and every stall that
    /// started before the end, as `(start, end)` ns.
    pub(crate) fn finish(self) -> (u64, Vec<(u64, u64)>) {
        (self.skipped, self.stalls.finish())
    }

    /// The offset of the next send from its slot, in ns.
    #[inline]
    fn jitter(&mut self) -> i64 {
        if self.jitter_sd_ns == 0.0 {
            return 0;
        }
        let j = (self.jitter_sd_ns * self.rng.normal()).round() as i64;
        j.clamp(-self.jitter_max_ns, self.jitter_max_ns)
    }
}

impl Iterator for Schedule {
    type Item = u64;

    /// The next send time, in ns. Non-decreasing: consecutive slots are a
    /// period apart and each send moves at most half a period from its slot;
    /// a stall only postpones sends.
    fn next(&mut self) -> Option<u64> {
        while !self.done {
            let slot = self.slot.saturating_add(self.shift);
            self.slot = self.slot.saturating_add(self.period);
            let j = self.jitter();
            let planned = slot.saturating_add_signed(j);
            if planned >= self.end {
                break;
            }
            let send = match self.stalls.at(planned) {
                None => planned,
                Some((stall_end, ())) => match self.after {
                    AfterStall::Delay => {
                        self.shift = self.shift.saturating_add(stall_end - planned);
                        stall_end
                    }
                    AfterStall::Burst => stall_end,
                    AfterStall::Skip => {
                        self.skipped += 1;
                        continue;
                    }
                },
            };
            if send >= self.end {
                break;
            }
            return Some(send);
        }
        self.done = true;
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;

    fn sends(sender: Sender, stalls: Option<Stalls>, end_ms: u64) -> (Vec<u64>, u64, usize) {
        let mut schedule = Schedule::new(
            &sender,
            stalls,
            100 * MS,
            end_ms * MS,
            Rng::stream(9, 0),
            Rng::stream(9, 1),
        );
        let times: Vec<u64> = schedule.by_ref().collect();
        let (skipped, spans) = schedule.finish();
        (times, skipped, spans.len())
    }

    const STEADY: Sender = Sender {
        drift: 0.0,
        jitter_ms: 0.5,
    };

    #[test]
    fn sends_keep_to_the_schedule_and_catch_up() {
        let (t, skipped, stalls) = sends(STEADY, None, 1_000_000);
        assert_eq!((skipped, stalls), (0, 0));
        assert!(t.windows(2).all(|w| w[0] <= w[1]));
        assert!(t[0] < 100 * MS + 5 * MS);
        // 10⁴ slots within 10⁶ ms.
        assert!((9_999..=10_000).contains(&t.len()), "{}", t.len());
        // Catch-up: the span is the schedule's to within two jitters
        // (|jitter| ≤ 8.57 σ = 4.3 ms, the Box–Muller bound).
        let span = (t[t.len() - 1] - t[0]) as f64 / MS as f64;
        assert!((span - 100.0 * (t.len() - 1) as f64).abs() <= 8.6, "{span}");
    }

    #[test]
    fn drift_stretches_the_period() {
        let sender = Sender {
            drift: 0.035,
            ..STEADY
        };
        let (t, _, _) = sends(sender, None, 1_035_000);
        assert!((9_999..=10_000).contains(&t.len()), "{}", t.len());
    }

    fn stalls(after: AfterStall) -> Stalls {
        // One a minute, 0.3 to 3 s: most cover several slots.
        Stalls {
            per_hour: 60.0,
            median_ms: 1000.0,
            sigma: 0.5,
            max_ms: 3000.0,
            after,
        }
    }

    #[test]
    fn after_stall_policies() {
        let hour = 3_600_000;
        let (plain, ..) = sends(STEADY, None, hour);
        let (delay, skipped, n) = sends(STEADY, Some(stalls(AfterStall::Delay)), hour);
        assert_eq!(skipped, 0);
        assert!((30..=100).contains(&n), "{n}");
        // Each stall postpones the rest of the schedule: fewer sends fit.
        assert!(delay.len() < plain.len());
        let (burst, skipped, _) = sends(STEADY, Some(stalls(AfterStall::Burst)), hour);
        assert_eq!(skipped, 0);
        // Catch-up keeps the count (up to the last slot) and sends equal times.
        assert!(burst.len().abs_diff(plain.len()) <= 1);
        assert!(burst.windows(2).filter(|w| w[0] == w[1]).count() > 100);
        let (skip, skipped, _) = sends(STEADY, Some(stalls(AfterStall::Skip)), hour);
        assert!(skipped > 100);
        assert!((skip.len() as u64 + skipped).abs_diff(plain.len() as u64) <= 1);
        for t in [delay, burst, skip] {
            assert!(t.windows(2).all(|w| w[0] <= w[1]));
            assert!(t.iter().all(|&x| x < hour * MS));
        }
    }
}
