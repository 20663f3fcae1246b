//! Episodes: rare events that start at random and last a while, such as
//! sender stalls, network outages and delay regimes.
//!
//! All three share one law of occurrence. Between episodes, the time to the
//! next start is exponential (a Poisson process of the given rate); an
//! episode then lasts a random duration, and the next gap is counted from its
//! end, so episodes never overlap. At the rates the profiles use (one per
//! minutes to days, each lasting seconds) this differs from a plain Poisson
//! process by the fraction of time spent inside episodes, well under 1 %.
//!
//! Episodes are drawn lazily as the simulation's clock advances, and the
//! ones starting before the simulation's end are recorded as ground truth.

use super::rng::Rng;

/// What an episode is: how long it lasts and what it carries (such as the
/// delay factors of a regime), drawn from a generator.
pub(crate) trait EpisodeLaw {
    /// What an episode carries besides its span.
    type Payload: Copy + Default;
    /// Episodes started per hour while none is in progress (finite; 0 for none).
    fn per_hour(&self) -> f64;
    /// A random duration in nanoseconds, and the payload.
    fn draw(&self, rng: &mut Rng) -> (f64, Self::Payload);
}

/// The episodes of one law, in time order.
pub(crate) struct Episodes<L: EpisodeLaw> {
    law: Option<L>,
    rng: Rng,
    /// Mean gap between the end of one episode and the start of the next.
    mean_gap_ns: f64,
    /// Episodes starting at or after this are not drawn.
    horizon: u64,
    /// The current or next episode: `[start, end)`; `u64::MAX` when none is left.
    start: u64,
    end: u64,
    payload: L::Payload,
    /// Every episode drawn so far, as `(start, end)` in nanoseconds.
    spans: Vec<(u64, u64)>,
}

impl<L: EpisodeLaw> Episodes<L> {
    /// Episodes of `law` (none if `None` or of rate 0) starting before
    /// `horizon` ns.
    pub(crate) fn new(law: Option<L>, rng: Rng, horizon: u64) -> Self {
        let law = law.filter(|l| l.per_hour() > 0.0);
        let mean_gap_ns = law
            .as_ref()
            .map_or(f64::INFINITY, |l| 3.6e12 / l.per_hour());
        let mut episodes = Episodes {
            law,
            rng,
            mean_gap_ns,
            horizon,
            start: u64::MAX,
            end: u64::MAX,
            payload: L::Payload::default(),
            spans: Vec::new(),
        };
        episodes.draw_after(0);
        episodes
    }

    /// The episode in progress at time `t` (its end and payload), if any.
    ///
    /// Calls must come with non-decreasing `t`: episodes that ended before
    /// `t` are passed over for good.
    #[inline]
    pub(crate) fn at(&mut self, t: u64) -> Option<(u64, L::Payload)> {
        loop {
            if t < self.start {
                return None;
            }
            if t < self.end {
                return Some((self.end, self.payload));
            }
            self.draw_after(self.end);
        }
    }

    /// Draws the rest of the episodes up to the horizon and returns them all.
    pub(crate) fn finish(mut self) -> Vec<(u64, u64)> {
        while self.start != u64::MAX {
            self.draw_after(self.end);
        }
        self.spans
    }

    /// Draws the episode following a gap that starts at `from`.
    fn draw_after(&mut self, from: u64) {
        let Some(law) = &self.law else {
            self.start = u64::MAX;
            self.end = u64::MAX;
            return;
        };
        // `as` saturates: a gap beyond the u64 range lands past the horizon.
        let gap = self.rng.exponential(self.mean_gap_ns).round() as u64;
        let start = from.saturating_add(gap);
        if start >= self.horizon {
            self.start = u64::MAX;
            self.end = u64::MAX;
            return;
        }
        let (duration, payload) = law.draw(&mut self.rng);
        // A zero-length episode would let the next gap start where it began;
        // one nanosecond keeps time moving forward.
        let end = start.saturating_add((duration.round() as u64).max(1));
        self.start = start;
        self.end = end;
        self.payload = payload;
        self.spans.push((start, end));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One per second, each lasting 100 ms.
    struct Fixed;
    impl EpisodeLaw for Fixed {
        type Payload = u8;
        fn per_hour(&self) -> f64 {
            3600.0
        }
        fn draw(&self, _: &mut Rng) -> (f64, u8) {
            (1e8, 7)
        }
    }

    #[test]
    fn episodes_do_not_overlap_and_answer_at() {
        let mut e = Episodes::new(Some(Fixed), Rng::stream(1, 0), 100_000_000_000);
        let mut inside = 0u64;
        let mut t = 0;
        while t < 101_000_000_000 {
            if let Some((end, payload)) = e.at(t) {
                assert!(end > t && payload == 7);
                inside += 1;
            }
            t += 1_000_000;
        }
        let spans = e.finish();
        for w in spans.windows(2) {
            assert!(w[0].1 <= w[1].0);
        }
        assert!(spans
            .iter()
            .all(|&(s, e)| e - s == 100_000_000 && s < 100_000_000_000));
        // 100 s at a start rate of 1/s between 0.1 s episodes: one start per
        // 1.1 s on average, so about 91 (Poisson sd about 9.5).
        let n = spans.len() as f64;
        assert!((n - 100.0 / 1.1).abs() < 5.0 * 9.5, "{n}");
        // The 1 ms probe grid sees each episode 100 times.
        assert_eq!(inside, 100 * spans.len() as u64);
    }

    #[test]
    fn no_law_means_no_episode() {
        let mut e: Episodes<Fixed> = Episodes::new(None, Rng::stream(1, 0), u64::MAX);
        assert_eq!(e.at(0), None);
        assert_eq!(e.at(u64::MAX - 1), None);
        assert!(e.finish().is_empty());
    }
}
