//! Quality of service of a detector on a trace, after Chen, Toueg and
//! Aguilera (*On the Quality of Service of Failure Detectors*, IEEE TC 2002).
//!
//! A trace of a live node is replayed through a detector. After each arrival
//! `a_i` (from the warm-up on, and except the last), the detector's
//! suspicion deadline `d_i` is read: the silence after `a_i` at which phi
//! reaches the threshold.
//!
//! * `d_i` is a **detection time** sample: had the node crashed right after
//!   `a_i`, it would have been suspected `d_i` later.
//! * If the next heartbeat came later, `a_{i+1} − a_i > d_i`, the live node
//!   was wrongly suspected: a **mistake**, lasting `a_{i+1} − a_i − d_i`.
//!
//! The detector's own rules apply during the replay (bootstrap from the first
//! arrival, an interval that ends a suspicion is not learnt unless the one
//! before was not either), so the numbers
//! depend on the threshold exactly as they would in production. From these
//! come Chen's metrics: mistake rate (per hour), mean mistake duration
//! (T_M), mean time between mistakes (T_MR) and query accuracy (P_A, the
//! fraction of time the live node was trusted).
//!
//! [`score`] replays one configuration the straightforward way, through a
//! [`Detector`]. [`sweep`] scores many thresholds of one model in a single
//! pass: detectors that differ only by threshold keep identical windows
//! until one of them stops learning an interval that the others learn, so
//! they share one state until then, and join again once the difference has
//! left the window. The two give identical results (tested).
//! [`sweep_split`] is the same pass with each node cut in two at
//! [`split_index`], for choosing on one part and checking on the other.

use crate::config::{Config, ConfigError};
use crate::detector::Detector;
use crate::time::Timestamp;
use std::time::Duration;

mod sweep;

pub(crate) use sweep::{Part, Sweep, SweepNode};

/// Accumulated QoS counts of one configuration over one or more nodes.
///
/// Counts and durations add up over nodes ([`Qos::merge`]); the rates and
/// means are derived from the totals.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Qos {
    /// Number of detection-time samples (scored arrivals).
    pub samples: u64,
    /// Sum of the detection-time samples, in nanoseconds.
    pub detection_ns: u128,
    /// The largest detection-time sample, in nanoseconds.
    pub max_detection_ns: u64,
    /// Number of wrong suspicions.
    pub mistakes: u64,
    /// Total time the live node was wrongly suspected, in nanoseconds.
    pub mistake_ns: u128,
    /// Time covered by the scored part of the trace (`a_n − a_warmup` per
    /// node), in nanoseconds.
    pub observed_ns: u128,
}

impl Qos {
    /// Adds another node's (or chunk's) counts.
    pub fn merge(&mut self, other: &Qos) {
        self.samples += other.samples;
        self.detection_ns += other.detection_ns;
        self.max_detection_ns = self.max_detection_ns.max(other.max_detection_ns);
        self.mistakes += other.mistakes;
        self.mistake_ns += other.mistake_ns;
        self.observed_ns += other.observed_ns;
    }

    /// Mean detection time in milliseconds (0 without samples).
    pub fn mean_detection_ms(&self) -> f64 {
        if self.samples == 0 {
            0.0
        } else {
            self.detection_ns as f64 / self.samples as f64 / 1e6
        }
    }

    /// The largest detection time in milliseconds.
    pub fn max_detection_ms(&self) -> f64 {
        self.max_detection_ns as f64 / 1e6
    }

    /// Total mistake time in milliseconds.
    pub fn mistake_ms(&self) -> f64 {
        self.mistake_ns as f64 / 1e6
    }

    /// Mistakes per hour of observed time (0 if nothing was observed).
    pub fn mistakes_per_hour(&self) -> f64 {
        if self.observed_ns == 0 {
            0.0
        } else {
            self.mistakes as f64 / (self.observed_ns as f64 / 3.6e12)
        }
    }

    /// Mean duration of a mistake in milliseconds, Chen's T_M (0 without mistakes).
    pub fn mean_mistake_ms(&self) -> f64 {
        if self.mistakes == 0 {
            0.0
        } else {
            self.mistake_ns as f64 / self.mistakes as f64 / 1e6
        }
    }

    /// Mean time between mistakes in seconds, Chen's T_MR: observed time
    /// over the number of mistakes (infinite without mistakes).
    pub fn mean_recurrence_s(&self) -> f64 {
        if self.mistakes == 0 {
            f64::INFINITY
        } else {
            self.observed_ns as f64 / self.mistakes as f64 / 1e9
        }
    }

    /// Chen's query accuracy P_A: the fraction of observed time during which
    /// the live node was trusted (1 if nothing was observed).
    pub fn query_accuracy(&self) -> f64 {
        if self.observed_ns == 0 {
            1.0
        } else {
            1.0 - self.mistake_ns as f64 / self.observed_ns as f64
        }
    }

    /// Records the outcome of one scored arrival: detection sample `d` and
    /// the gap to the next arrival.
    #[inline]
    fn record(&mut self, d: u64, gap: u64) {
        self.samples += 1;
        self.detection_ns += u128::from(d);
        self.max_detection_ns = self.max_detection_ns.max(d);
        if gap > d {
            self.mistakes += 1;
            self.mistake_ns += u128::from(gap - d);
        }
    }
}

/// Observed time of a node's scored part: `a_n − a_warmup`.
fn observed(arrivals: &[Timestamp], warmup: usize) -> u128 {
    observed_between(arrivals, warmup, arrivals.len().saturating_sub(1))
}

/// The arrivals a replay takes, with their indices: those not earlier than
/// any arrival before them (a detector rejects the others). All of them in
/// a sorted slice.
fn in_order(arrivals: &[Timestamp]) -> impl Iterator<Item = (usize, u64)> + '_ {
    let mut latest = 0;
    arrivals.iter().enumerate().filter_map(move |(i, a)| {
        let a = a.as_nanos();
        (i == 0 || a >= latest).then(|| {
            latest = a;
            (i, a)
        })
    })
}

/// Time covered by the gaps after arrivals `from..to`: `a_to − a_from`
/// (0 when that range is empty). Arrivals earlier than one before them are
/// left out, as the replay skips them: the span runs from the first
/// arrival taken at or after `from` to the last taken up to `to`.
fn observed_between(arrivals: &[Timestamp], from: usize, to: usize) -> u128 {
    let mut start = None;
    let mut end = None;
    for (i, a) in in_order(arrivals).take_while(|&(i, _)| i <= to) {
        if i >= from && start.is_none() {
            start = Some(a);
        }
        end = Some(a);
    }
    match (start, end) {
        (Some(first), Some(last)) if from < to => u128::from(last - first),
        _ => 0,
    }
}

/// The scores of one configuration on a node cut in two for an
/// out-of-sample check: the part a configuration is chosen on, and the
/// rest, on which the choice is then checked.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SplitQos {
    /// The gaps after arrivals `warmup..split`.
    pub fit: Qos,
    /// The gaps after arrivals `split..` (none before the warm-up).
    pub held_out: Qos,
}

impl SplitQos {
    /// Empty scores with the observed time of each part already set.
    fn new(arrivals: &[Timestamp], warmup: usize, split: usize) -> Self {
        let last = arrivals.len().saturating_sub(1);
        let mut s = SplitQos::default();
        s.fit.observed_ns = observed_between(arrivals, warmup, split.min(last));
        s.held_out.observed_ns = observed_between(arrivals, split.max(warmup), last);
        s
    }

    /// Adds another node's scores, part by part.
    pub fn merge(&mut self, other: &SplitQos) {
        self.fit.merge(&other.fit);
        self.held_out.merge(&other.held_out);
    }

    /// Records the gap after arrival `i` in the part it belongs to.
    #[inline]
    fn record(&mut self, i: usize, warmup: usize, split: usize, d: u64, gap: u64) {
        if i < warmup {
            return;
        }
        if i < split {
            self.fit.record(d, gap);
        } else {
            self.held_out.record(d, gap);
        }
    }
}

/// Where a node's arrivals are cut for an out-of-sample check: the index of
/// the first arrival at or after `fraction` of the node's time span. The
/// gaps after the arrivals before it form the first part.
///
/// `fraction` is clamped to `[0, 1]`; 1 keeps every gap in the first part.
pub fn split_index(arrivals: &[Timestamp], fraction: f64) -> usize {
    // The latest arrival, not the last one: a slice that is not sorted
    // must not make the span negative.
    let (Some(first), Some(last)) = (arrivals.first(), arrivals.iter().max()) else {
        return 0;
    };
    match split_cut(first.as_nanos(), last.as_nanos(), fraction) {
        Some(cut) => arrivals.partition_point(|a| a.as_nanos() < cut),
        None => arrivals.len(),
    }
}

/// The time (ns) at which [`split_index`] cuts a node whose arrivals span
/// `first..=last`: arrivals before it are in the first part. `None` when
/// every arrival is (a fraction of 1 or more). A streaming replay, which
/// knows a node's span from a first pass, cuts by this time.
pub(crate) fn split_cut(first: u64, last: u64, fraction: f64) -> Option<u64> {
    let fraction = fraction.clamp(0.0, 1.0);
    if fraction >= 1.0 {
        return None;
    }
    let span = (last - first) as f64;
    Some(first + (span * fraction) as u64)
}

/// How many arrivals a replay reports at a time to a progress callback.
const PROGRESS_STEP: usize = 4096;

/// Scores one configuration on one node's arrivals (in non-decreasing
/// order) by replaying them through a [`Detector`], the reference
/// implementation of the scoring rules. An arrival earlier than one before
/// it is skipped, as the detector rejects it: the result is that of the
/// slice without it, the warm-up still counting it.
pub fn score(arrivals: &[Timestamp], config: &Config, warmup: usize) -> Qos {
    score_numbered(arrivals, None, config, warmup)
}

/// [`score`] with the senders' sequence numbers, one per arrival (a
/// trace's `seq` column, [`NodeTrace::seqs`](crate::trace::NodeTrace::seqs)),
/// given to [`Detector::heartbeat_seq`]. Arrivals whose number is not
/// above the last accepted one are skipped, as the detector rejects them.
pub fn score_numbered(
    arrivals: &[Timestamp],
    seqs: Option<&[u64]>,
    config: &Config,
    warmup: usize,
) -> Qos {
    let mut detector = Detector::new(config.clone());
    let mut qos = Qos {
        observed_ns: observed(arrivals, warmup),
        ..Qos::default()
    };
    // The arrival taken last and whether its gap is scored: the gap runs
    // to the next arrival that is not earlier (the detector skips those).
    let mut pending: Option<(u64, u64)> = None;
    for (i, &a) in arrivals.iter().enumerate() {
        if let Some((at, d)) = pending {
            if a.as_nanos() < at {
                continue;
            }
            qos.record(d, a.as_nanos() - at);
            pending = None;
        }
        let accepted = match seqs.and_then(|s| s.get(i)) {
            Some(&seq) => detector.heartbeat_seq(a, seq),
            None => detector.heartbeat(a),
        };
        if accepted.is_err() || i < warmup {
            continue;
        }
        let deadline = detector.suspicion_deadline().unwrap_or(Timestamp::MAX);
        pending = Some((a.as_nanos(), deadline.as_nanos() - a.as_nanos()));
    }
    qos
}

/// Scores a fixed timeout (suspect after `timeout` of silence) on one node:
/// the baseline that phi is meant to beat.
pub fn score_timeout(arrivals: &[Timestamp], timeout: Duration, warmup: usize) -> Qos {
    score_timeout_split(arrivals, timeout, warmup, arrivals.len()).fit
}

/// [`score_timeout`] with the gaps after arrivals `split..` scored apart
/// (see [`SplitQos`] and [`split_index`]).
pub fn score_timeout_split(
    arrivals: &[Timestamp],
    timeout: Duration,
    warmup: usize,
    split: usize,
) -> SplitQos {
    let d = u64::try_from(timeout.as_nanos()).unwrap_or(u64::MAX);
    let mut qos = SplitQos::new(arrivals, warmup, split);
    for (i, pair) in arrivals.windows(2).enumerate() {
        qos.record(
            i,
            warmup,
            split,
            d,
            pair[1].as_nanos().saturating_sub(pair[0].as_nanos()),
        );
    }
    qos
}

/// Scores every threshold of `thresholds` for the model and other settings
/// of `base` (its own threshold is ignored) on one node, in one pass.
///
/// Returns one [`Qos`] per threshold, in the order given. Equal to calling
/// [`score`] once per threshold, at a fraction of the cost.
///
/// # Errors
///
/// [`ConfigError`] if a threshold is not valid (finite, above 0).
pub fn sweep(
    arrivals: &[Timestamp],
    base: &Config,
    thresholds: &[f64],
    warmup: usize,
) -> Result<Vec<Qos>, ConfigError> {
    let split = arrivals.len();
    let swept = sweep_split(arrivals, base, thresholds, warmup, split, &|_| {})?;
    Ok(swept.into_iter().map(|s| s.fit).collect())
}

/// [`sweep`] with the gaps after arrivals `split..` scored apart (see
/// [`SplitQos`] and [`split_index`]): one replay gives both the figures a
/// configuration is chosen on and its out-of-sample check, the detector
/// carrying its learnt state across the cut as it would in production.
///
/// `on_progress` is called with the number of arrivals replayed since its
/// last call, every few thousand arrivals and at the end.
///
/// # Errors
///
/// [`ConfigError`] if a threshold is not valid (finite, above 0).
pub fn sweep_split(
    arrivals: &[Timestamp],
    base: &Config,
    thresholds: &[f64],
    warmup: usize,
    split: usize,
    on_progress: &dyn Fn(u64),
) -> Result<Vec<SplitQos>, ConfigError> {
    sweep_split_numbered(arrivals, None, base, thresholds, warmup, split, on_progress)
}

/// [`sweep_split`] with the senders' sequence numbers, one per arrival:
/// equal to [`score_numbered`] once per threshold.
///
/// # Errors
///
/// [`ConfigError`] if a threshold is not valid (finite, above 0).
pub fn sweep_split_numbered(
    arrivals: &[Timestamp],
    seqs: Option<&[u64]>,
    base: &Config,
    thresholds: &[f64],
    warmup: usize,
    split: usize,
    on_progress: &dyn Fn(u64),
) -> Result<Vec<SplitQos>, ConfigError> {
    let sweep = Sweep::new(base, thresholds)?;
    let mut results = vec![SplitQos::new(arrivals, warmup, split); thresholds.len()];
    if thresholds.is_empty() {
        on_progress(arrivals.len() as u64);
        return Ok(results);
    }
    let mut node = sweep.node();
    for (i, &arrival) in arrivals.iter().enumerate() {
        if i % PROGRESS_STEP == PROGRESS_STEP - 1 {
            on_progress(PROGRESS_STEP as u64);
        }
        let part = if i < warmup {
            Part::Warmup
        } else if i < split {
            Part::Fit
        } else {
            Part::HeldOut
        };
        let seq = seqs.and_then(|s| s.get(i).copied());
        node.push(&sweep, arrival.as_nanos(), seq, part);
    }
    on_progress((arrivals.len() % PROGRESS_STEP) as u64);
    sweep.add_to(&node, &mut results);
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Model;

    fn ms(t: u64) -> Timestamp {
        Timestamp::from_millis(t)
    }

    #[test]
    fn timeout_scoring_by_hand() {
        // Arrivals at 0, 100, 200, 700, 800 ms; timeout 300 ms; no warm-up.
        // Gaps 100, 100, 500, 100: one mistake of 500 − 300 = 200 ms.
        // Four samples of 300 ms. Observed 800 ms.
        let arrivals = [ms(0), ms(100), ms(200), ms(700), ms(800)];
        let q = score_timeout(&arrivals, Duration::from_millis(300), 0);
        assert_eq!(q.samples, 4);
        assert_eq!(q.mean_detection_ms(), 300.0);
        assert_eq!(q.mistakes, 1);
        assert_eq!(q.mistake_ms(), 200.0);
        assert_eq!(q.observed_ns, 800_000_000);
        assert_eq!(q.query_accuracy(), 0.75);
        assert_eq!(q.mean_mistake_ms(), 200.0);
        assert_eq!(q.mean_recurrence_s(), 0.8);
        // 1 mistake in 800 ms = 4500 per hour.
        assert!((q.mistakes_per_hour() - 4500.0).abs() < 1e-9);
        // Warm-up 2: only the gaps after arrivals 2 and 3 count; observed
        // from 200 ms to 800 ms.
        let q = score_timeout(&arrivals, Duration::from_millis(300), 2);
        assert_eq!((q.samples, q.mistakes, q.observed_ns), (2, 1, 600_000_000));
    }

    #[test]
    fn exponential_scoring_by_hand() {
        // Exponential model, no pause, window 2, estimate 100 ms: the seeds
        // are 75 and 125 ms (mean 100). Threshold 1: deadline = ln 10 ·
        // mean = 230.2585 ms. Arrivals 0, 100, 400 ms.
        // After 0: window {75, 125}, d = 230.26 ms, gap 100: no mistake.
        // After 100: window {125, 100}, mean 112.5, d = 259.04 ms, gap 300:
        // a mistake of 40.96 ms.
        let config = Config::builder()
            .model(Model::Exponential)
            .threshold(1.0)
            .max_sample_size(2)
            .acceptable_pause(Duration::ZERO)
            .min_std_deviation(Duration::from_millis(1))
            .first_heartbeat_estimate(Duration::from_millis(100))
            .build()
            .unwrap();
        let q = score(&[ms(0), ms(100), ms(400)], &config, 0);
        let ln10 = std::f64::consts::LN_10;
        assert_eq!(q.samples, 2);
        assert_eq!(q.mistakes, 1);
        let expected_mistake = 300.0 - 112.5 * ln10;
        assert!(
            (q.mistake_ms() - expected_mistake).abs() < 1e-5,
            "{}",
            q.mistake_ms()
        );
        let expected_mean = (100.0 * ln10 + 112.5 * ln10) / 2.0;
        assert!((q.mean_detection_ms() - expected_mean).abs() < 1e-5);
    }

    #[test]
    fn merged_totals_add_up() {
        let mut a = Qos {
            samples: 2,
            detection_ns: 10,
            max_detection_ns: 7,
            mistakes: 1,
            mistake_ns: 3,
            observed_ns: 100,
        };
        let b = Qos {
            samples: 1,
            detection_ns: 9,
            max_detection_ns: 9,
            mistakes: 0,
            mistake_ns: 0,
            observed_ns: 50,
        };
        a.merge(&b);
        assert_eq!(
            a,
            Qos {
                samples: 3,
                detection_ns: 19,
                max_detection_ns: 9,
                mistakes: 1,
                mistake_ns: 3,
                observed_ns: 150
            }
        );
    }

    #[test]
    fn empty_and_tiny_traces_score_nothing() {
        let config = Config::default();
        assert_eq!(score(&[], &config, 0), Qos::default());
        let one = score(&[ms(5)], &config, 0);
        assert_eq!((one.samples, one.observed_ns), (0, 0));
        let swept = sweep(&[ms(5)], &config, &[1.0, 2.0], 0).unwrap();
        assert!(swept.iter().all(|q| q.samples == 0));
        assert!(sweep(&[ms(5)], &config, &[0.0], 0).is_err());
    }
}
