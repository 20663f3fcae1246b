//! One detector driven by any sequence of heartbeats and queries at any
//! times, against the promises of `Detector`'s documentation:
//!
//! * nothing panics, for any configuration `build` accepts;
//! * phi is finite, never negative (so never NaN), 0 before the last
//!   heartbeat, and never decreases as the silence grows between two
//!   heartbeats;
//! * `is_available(t)` is `phi(t) < threshold`, and the suspicion deadline
//!   (for the configured threshold or another) is where phi reaches the
//!   threshold, to the nanosecond;
//! * a rejected heartbeat (out of order, stale number) changes nothing;
//! * queries change nothing that is learnt: a twin detector fed the same
//!   heartbeats and never queried stays equal (`Detector`'s equality is
//!   that of what it learnt, not of its caches), and answers every
//!   heartbeat alike.

use super::spec::ConfigSpec;
use super::spec::{default_spec, hourly_spec, overflowing_spec, MINUTE, SECOND};
use accrual::{Detector, Timestamp};

/// A query time relative to the current clock.
#[derive(Clone, Copy, Debug)]
pub enum At {
    After(u64),
    Before(u64),
}

impl At {
    fn resolve(self, now: u64) -> u64 {
        match self {
            At::After(d) => now.saturating_add(d),
            At::Before(d) => now.saturating_sub(d),
        }
    }
}

/// One operation on the detector.
#[derive(Clone, Debug)]
pub enum Op {
    /// The clock advances by this many ns, then a heartbeat arrives.
    Heartbeat(u64),
    /// A heartbeat stamped this many ns before the clock (which stays).
    Late(u64),
    /// The clock advances, then a heartbeat numbered `step` above the
    /// previous number (0: a repeated number).
    Numbered {
        after: u64,
        step: u64,
    },
    Phi(At),
    IsAvailable(At),
    Deadline,
    /// The deadline for another threshold.
    DeadlineFor(f64),
    Reset,
}

/// The largest window copied whole before each heartbeat (see
/// `Run::heartbeat`).
const WHOLE_COPY_MAX: usize = 1 << 16;

/// The most queries remembered between two heartbeats for the
/// monotonicity check (each new one is compared with all of them).
const REMEMBERED: usize = 64;

/// Runs `ops` from the clock time `start` and checks every promise above.
pub fn check(spec: &ConfigSpec, start: u64, ops: &[Op]) {
    let Ok(config) = spec.build() else { return };
    let mut run = Run {
        threshold: config.threshold(),
        queried: Detector::new(config.clone()),
        twin: Detector::new(config),
        seen: Vec::new(),
    };
    let mut now = start;
    let mut seq = 0u64;
    for op in ops {
        match *op {
            Op::Heartbeat(after) => {
                now = now.saturating_add(after);
                run.heartbeat(now, None);
            }
            Op::Late(before) => run.heartbeat(now.saturating_sub(before), None),
            Op::Numbered { after, step } => {
                now = now.saturating_add(after);
                seq = seq.saturating_add(step);
                run.heartbeat(now, Some(seq));
            }
            Op::Phi(at) | Op::IsAvailable(at) => {
                run.query(at.resolve(now));
            }
            Op::Deadline => run.deadline(None),
            Op::DeadlineFor(phi) => run.deadline(Some(phi)),
            Op::Reset => {
                run.queried.reset();
                run.twin.reset();
                run.seen.clear();
            }
        }
        assert_eq!(
            run.queried, run.twin,
            "a query changed what the detector learnt (after {op:?})"
        );
    }
    // The last word: both answer alike at the end, too.
    let end = Timestamp::from_nanos(now.saturating_add(1));
    assert_eq!(run.queried.phi(end).to_bits(), run.twin.phi(end).to_bits());
}

struct Run {
    threshold: f64,
    queried: Detector,
    twin: Detector,
    /// (time, phi) of the queries since the last change of state.
    seen: Vec<(u64, f64)>,
}

impl Run {
    fn heartbeat(&mut self, at: u64, seq: Option<u64>) {
        let at = Timestamp::from_nanos(at);
        // A whole copy to compare with, unless the window is so large that
        // copying it at every heartbeat would slow the fuzzer to a crawl;
        // then the statistics and the last arrival stand for it.
        let before = (self.queried.config().max_sample_size() <= WHOLE_COPY_MAX)
            .then(|| self.queried.clone());
        let stats = self.queried.stats();
        let (got, twin) = match seq {
            Some(seq) => (
                self.queried.heartbeat_seq(at, seq),
                self.twin.heartbeat_seq(at, seq),
            ),
            None => (self.queried.heartbeat(at), self.twin.heartbeat(at)),
        };
        assert_eq!(
            got, twin,
            "a queried detector answered a heartbeat differently"
        );
        match (got, before) {
            (Err(e), before) => {
                assert_eq!(
                    self.queried.stats(),
                    stats,
                    "the rejected heartbeat ({e}) changed the state"
                );
                if let Some(before) = before {
                    assert_eq!(
                        self.queried, before,
                        "the rejected heartbeat ({e}) changed the state"
                    );
                }
            }
            (Ok(_), Some(before)) if self.queried == before => {}
            (Ok(_), _) => self.seen.clear(),
        }
    }

    /// Phi and availability at `t`, checked against each other and against
    /// the earlier queries since the last change.
    fn query(&mut self, t: u64) -> f64 {
        let d = &self.queried;
        let at = Timestamp::from_nanos(t);
        let phi = d.phi(at);
        assert!(phi.is_finite() && phi >= 0.0, "phi({t}) = {phi}");
        if d.last_heartbeat().is_none_or(|last| at < last) {
            assert_eq!(phi, 0.0, "phi before the last heartbeat");
        }
        assert_eq!(
            d.is_available(at),
            phi < self.threshold,
            "is_available({t}) disagrees with phi = {phi} (threshold {})",
            self.threshold
        );
        for &(s, p) in &self.seen {
            assert!(
                if s <= t { p <= phi } else { phi <= p },
                "phi decreased with the silence: phi({s}) = {p}, phi({t}) = {phi}"
            );
        }
        if self.seen.len() < REMEMBERED {
            self.seen.push((t, phi));
        }
        phi
    }

    /// The deadline for the configured threshold (or `other`): phi reaches
    /// the threshold there and not a nanosecond earlier.
    fn deadline(&mut self, other: Option<f64>) {
        let (deadline, threshold) = match other {
            None => (self.queried.suspicion_deadline(), self.threshold),
            Some(phi) => match self.queried.threshold(phi) {
                Ok(prepared) => (self.queried.deadline_for(&prepared), phi),
                Err(_) => return,
            },
        };
        let Some(last) = self.queried.last_heartbeat() else {
            assert_eq!(deadline, None, "a deadline before the first heartbeat");
            return;
        };
        let Some(deadline) = deadline else {
            // Not reached within the clock's range: phi stays below the
            // threshold up to the last instant included.
            let phi = self.query(Timestamp::MAX.as_nanos());
            assert!(
                phi < threshold,
                "no deadline, but phi at the clock's end is {phi} ≥ {threshold}"
            );
            return;
        };
        let d = deadline.as_nanos();
        if deadline < Timestamp::MAX {
            let phi = self.query(d);
            assert!(
                phi >= threshold,
                "phi at the deadline {d} is {phi} < {threshold}"
            );
        }
        if deadline > last && d > 0 {
            let phi = self.query(d - 1);
            assert!(
                phi < threshold,
                "phi 1 ns before the deadline {d} is {phi} >= {threshold}"
            );
        }
    }
}

// The inputs issue 14 reports as breaking the crate, written by hand from
// its descriptions: the main crate's tests run each (ignored, with the
// item's number, while its fix is not merged), and
// `examples/write_seeds.rs` writes them into the fuzz corpus.

/// A detector case: name, issue-14 item, configuration, start, operations.
pub type Regression = (&'static str, u32, ConfigSpec, u64, Vec<Op>);

/// The regressions, each named and tagged with its issue-14 item.
pub fn regressions() -> Vec<Regression> {
    vec![
        (
            "overflowing-config",
            1,
            overflowing_spec(),
            0,
            vec![
                Op::Heartbeat(0),
                Op::Heartbeat(SECOND),
                Op::Phi(At::After(SECOND)),
            ],
        ),
        (
            // Item 2: a query between two heartbeats caches the deadline;
            // an interval between 2³² µs (71.6 min) and that deadline is
            // then learnt wrapped instead of capped. One heartbeat 80 min
            // late, then phi 100 min later.
            "queried-then-late-heartbeat",
            2,
            hourly_spec(),
            0,
            vec![
                Op::Heartbeat(0),
                Op::IsAvailable(At::After(MINUTE)),
                Op::Heartbeat(80 * MINUTE),
                Op::Phi(At::After(100 * MINUTE)),
            ],
        ),
        (
            // Item 2, debug builds: a near-maximum gap after a query
            // overflowed the microsecond rounding.
            "queried-then-near-maximum-gap",
            2,
            default_spec(),
            0,
            vec![
                Op::Heartbeat(SECOND),
                Op::Deadline,
                Op::Heartbeat(u64::MAX - 2 * SECOND),
                Op::Phi(At::After(1)),
            ],
        ),
        (
            // Item 8: at the end of the clock availability and phi, and
            // the deadline and phi, must still agree.
            "end-of-clock",
            8,
            default_spec(),
            u64::MAX - 10 * SECOND,
            vec![
                Op::Heartbeat(0),
                Op::Heartbeat(SECOND),
                Op::IsAvailable(At::After(u64::MAX)),
                Op::Deadline,
                Op::DeadlineFor(0.5),
            ],
        ),
    ]
}
