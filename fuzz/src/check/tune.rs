//! The tuning scorer (one pass over many thresholds, `qos::sweep_split`,
//! and `tune::evaluate` above it) on an arbitrary small trace, against
//! a plain replay: one `Detector` per threshold, fed every arrival, whose
//! suspicion deadline after each accepted arrival is compared with the gap
//! to the next (Chen's definitions, in the `qos` module's documentation).
//! Every count must be equal: samples, mistakes, detection and mistake
//! times, in both parts of a node cut for the out-of-sample check.
//!
//! Thresholds are validated alike: the sweep fails exactly when a
//! threshold is one the configuration builder refuses (0, infinite, NaN
//! ...), and never scores nothing instead.

use super::spec::ConfigSpec;
use super::spec::{default_spec, SECOND};
use accrual::qos::{self, Qos};
use accrual::trace::{NodeTrace, Trace};
use accrual::tune::{self, Detection};
use accrual::{Config, Detector, Timestamp};
use std::time::Duration;

/// One node's trace and how it is scored.
#[derive(Clone, Debug)]
pub struct Case {
    pub config: ConfigSpec,
    pub thresholds: Vec<f64>,
    pub warmup: usize,
    /// The fraction of the node's time span scored as the first part.
    pub train_fraction: Option<f64>,
    /// Arrival times in ns, in trace order (not necessarily sorted: the
    /// scorer documents that arrivals a detector refuses are skipped).
    pub arrivals: Vec<u64>,
    /// The senders' numbers, one per arrival, when the trace has them.
    pub seqs: Option<Vec<u64>>,
}

/// Scores `case` both ways and compares.
pub fn check(case: &Case) {
    let Ok(base) = case.config.build() else {
        return;
    };
    let arrivals: Vec<Timestamp> = case
        .arrivals
        .iter()
        .map(|&a| Timestamp::from_nanos(a))
        .collect();
    let seqs = case.seqs.as_deref().filter(|s| s.len() == arrivals.len());
    let split = match case.train_fraction {
        Some(f) => qos::split_index(&arrivals, f),
        None => arrivals.len(),
    };
    let configs: Result<Vec<Config>, _> = case
        .thresholds
        .iter()
        .map(|&t| base.to_builder().threshold(t).build())
        .collect();
    let swept = qos::sweep_split_numbered(
        &arrivals,
        seqs,
        &base,
        &case.thresholds,
        case.warmup,
        split,
        &|_| {},
    );
    let (configs, swept) = match (configs, swept) {
        (Err(_), Err(_)) => return,
        (Ok(c), Ok(s)) => (c, s),
        (c, s) => panic!(
            "thresholds {:?}: the builder says {c:?}, the sweep {s:?}",
            case.thresholds
        ),
    };
    let sorted = arrivals.is_sorted();
    for (k, config) in configs.iter().enumerate() {
        let [fit, held_out] = plain(&arrivals, seqs, config, case.warmup, split);
        let threshold = case.thresholds[k];
        same(&swept[k].fit, &fit, sorted, threshold, "the fitting part");
        same(
            &swept[k].held_out,
            &held_out,
            sorted,
            threshold,
            "the held-out part",
        );
        if split == arrivals.len() {
            let scored = qos::score_numbered(&arrivals, seqs, config, case.warmup);
            same(&scored, &fit, sorted, threshold, "qos::score");
        }
    }
    if !sorted || case.thresholds.is_empty() {
        return;
    }
    let node = match seqs {
        Some(s) => NodeTrace::with_seqs("n", arrivals.clone(), s.to_vec()),
        None => NodeTrace::new("n", arrivals.clone()),
    };
    let trace = Trace::new(vec![node.expect("sorted arrivals make a node")]);
    let candidates = tune::evaluate(
        &trace,
        &base,
        &[Detection::Phi(base.model())],
        &case.thresholds,
        case.warmup,
    )
    .expect("the thresholds were accepted");
    for (k, candidate) in candidates.iter().enumerate() {
        let [fit, _] = plain(&arrivals, seqs, &configs[k], case.warmup, arrivals.len());
        same(
            &candidate.qos,
            &fit,
            true,
            case.thresholds[k],
            "tune::evaluate",
        );
    }
}

/// Chen's scores of one detector replayed over `arrivals`: the gaps after
/// arrivals `warmup..split`, then those after `split..`; each gap after an
/// accepted arrival runs to the next arrival that is not earlier.
fn plain(
    arrivals: &[Timestamp],
    seqs: Option<&[u64]>,
    config: &Config,
    warmup: usize,
    split: usize,
) -> [Qos; 2] {
    let mut detector = Detector::new(config.clone());
    let mut parts = [Qos::default(), Qos::default()];
    let last = arrivals.len().saturating_sub(1);
    if arrivals.is_sorted() {
        let observed = |from: usize, to: usize| match (arrivals.get(from), arrivals.get(to)) {
            (Some(a), Some(b)) if from < to => u128::from(b.as_nanos() - a.as_nanos()),
            _ => 0,
        };
        parts[0].observed_ns = observed(warmup, split.min(last));
        parts[1].observed_ns = observed(split.max(warmup), last);
    }
    for (i, &a) in arrivals.iter().enumerate() {
        let accepted = match seqs.map(|s| s[i]) {
            Some(seq) => detector.heartbeat_seq(a, seq),
            None => detector.heartbeat(a),
        };
        // The gap runs to the next arrival not earlier than this one: an
        // earlier one is no heartbeat to a detector (it refuses it), and
        // the scorer documents that it skips those.
        let next = arrivals[i + 1..].iter().find(|n| **n >= a);
        let (Ok(_), true, Some(&next)) = (accepted, i >= warmup, next) else {
            continue;
        };
        // No deadline: phi does not reach the threshold within the clock's
        // range, and the detection time runs to the clock's end.
        let deadline = detector.suspicion_deadline().unwrap_or(Timestamp::MAX);
        let d = deadline
            .checked_duration_since(a)
            .expect("the deadline is not before the last heartbeat");
        let d = u64::try_from(d.as_nanos()).expect("a deadline fits the clock");
        let gap = next.as_nanos().saturating_sub(a.as_nanos());
        let part = &mut parts[usize::from(i >= split)];
        part.samples += 1;
        part.detection_ns += u128::from(d);
        part.max_detection_ns = part.max_detection_ns.max(d);
        if gap > d {
            part.mistakes += 1;
            part.mistake_ns += u128::from(gap - d);
        }
    }
    parts
}

/// The counts agree (and the observed time, for a sorted trace, where it
/// is defined).
fn same(got: &Qos, want: &Qos, sorted: bool, threshold: f64, what: &str) {
    let counts = |q: &Qos| {
        (
            q.samples,
            q.mistakes,
            q.detection_ns,
            q.max_detection_ns,
            q.mistake_ns,
        )
    };
    assert_eq!(
        counts(got),
        counts(want),
        "{what}, threshold {threshold}: (samples, mistakes, detection, max, mistake time) \
         differ from a plain detector's replay"
    );
    if sorted {
        assert_eq!(
            got.observed_ns, want.observed_ns,
            "{what}, threshold {threshold}: observed time"
        );
    }
}

// The inputs issue 14 reports as breaking the crate, written by hand from
// its descriptions: the main crate's tests run each (ignored, with the
// item's number, while its fix is not merged), and
// `examples/write_seeds.rs` writes them into the fuzz corpus.

/// A scorer case: name, issue-14 item, case.
pub type Regression = (&'static str, u32, Case);

/// The regressions, each named and tagged with its issue-14 item.
pub fn regressions() -> Vec<Regression> {
    let regular: Vec<u64> = (0..40).map(|i| i * 100_000_000).collect();
    vec![
        (
            // Item 3: `--thresholds 0:inf:1`. The sweep must refuse 0 and
            // infinity, not score nothing.
            "thresholds-0-inf-1",
            3,
            Case {
                config: default_spec(),
                thresholds: vec![0.0, f64::INFINITY, 1.0],
                warmup: 0,
                train_fraction: None,
                arrivals: regular.clone(),
                seqs: None,
            },
        ),
        (
            // Item 3: unsorted arrivals, which the docs say are skipped.
            "unsorted-arrivals",
            3,
            Case {
                config: default_spec(),
                thresholds: vec![1.0, 8.0],
                warmup: 0,
                train_fraction: None,
                arrivals: vec![0, SECOND, 5 * SECOND, 2 * SECOND, 3 * SECOND],
                seqs: None,
            },
        ),
        (
            // Item 4: thresholds that part (one suspects a late heartbeat,
            // the other does not) and later join, under the skip rule on
            // a small window: the sweep must follow each detector's own
            // "previous interval skipped" flag.
            "groups-part-and-join",
            4,
            Case {
                config: ConfigSpec {
                    max_sample_size: 2,
                    acceptable_pause: Duration::ZERO,
                    min_std_deviation: Duration::from_millis(10),
                    first_heartbeat_estimate: Duration::from_millis(100),
                    ..default_spec()
                },
                thresholds: vec![0.5, 1.0, 2.0, 4.0, 8.0],
                warmup: 0,
                train_fraction: Some(0.5),
                arrivals: vec![
                    0,
                    100_000_000,
                    200_000_000,
                    450_000_000,
                    550_000_000,
                    900_000_000,
                    1_000_000_000,
                    1_100_000_000,
                    1_500_000_000,
                    1_600_000_000,
                    1_700_000_000,
                ],
                seqs: None,
            },
        ),
    ]
}
