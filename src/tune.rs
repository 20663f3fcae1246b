//! Choosing a model and threshold from data: score a grid of configurations
//! on a trace, then pick the one that best meets the user's targets.
//!
//! Each candidate is a [`Candidate`]: a phi model with a threshold, or a
//! fixed timeout (the baseline phi is meant to beat). [`evaluate`] scores
//! every candidate on every node of a [`Trace`] with the rules of
//! [`crate::qos`] (one pass per node and model for all thresholds) and adds
//! the nodes up. [`recommend`] picks from the results.

use crate::config::{Config, ConfigError};
use crate::model::Model;
use crate::qos::{score_timeout, sweep, Qos};
use crate::trace::Trace;
use std::fmt;
use std::time::Duration;

/// What is being scored: a phi model or a fixed timeout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Detection {
    /// A detector with this model; the threshold is in the model's units
    /// (phi, or a margin: see [`Model::is_accrual`]).
    Phi(Model),
    /// Suspect after a fixed silence; the threshold is the timeout in ms.
    Timeout,
}

impl Detection {
    /// Every model, then the timeout baseline.
    pub const ALL: [Detection; 9] = [
        Detection::Phi(Model::Normal),
        Detection::Phi(Model::Akka),
        Detection::Phi(Model::Exponential),
        Detection::Phi(Model::Chen),
        Detection::Phi(Model::TwoWindow),
        Detection::Phi(Model::Bertier),
        Detection::Phi(Model::Empirical),
        Detection::Phi(Model::Deadline),
        Detection::Timeout,
    ];

    /// The model's name (see [`Model::name`]) or `timeout`.
    pub fn name(&self) -> &'static str {
        match self {
            Detection::Phi(m) => m.name(),
            Detection::Timeout => "timeout",
        }
    }
}

impl fmt::Display for Detection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Detection {
    type Err = ConfigError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.trim().eq_ignore_ascii_case("timeout") {
            Ok(Detection::Timeout)
        } else {
            Ok(Detection::Phi(s.parse::<Model>()?))
        }
    }
}

/// One scored configuration.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Candidate {
    /// The detector kind.
    pub detection: Detection,
    /// The model's threshold (see [`Detection::Phi`]), or the timeout in
    /// milliseconds.
    pub threshold: f64,
    /// Its quality of service, summed over the trace's nodes.
    pub qos: Qos,
}

/// The default phi thresholds: 0.5 to 16, denser where the mistake rate
/// changes fastest.
pub const DEFAULT_PHI_THRESHOLDS: [f64; 19] = [
    0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0,
    16.0,
];

/// Default timeouts for the baseline, as multiples of the trace's median
/// interval.
pub const DEFAULT_TIMEOUT_MULTIPLES: [f64; 12] = [
    1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0, 12.0, 16.0,
];

/// Default safety margins of [`Model::Chen`] and [`Model::TwoWindow`], as
/// multiples of the trace's median interval. The expected arrival is about
/// one interval after the last heartbeat, so these cover suspicion after
/// 1.1 to 16 intervals of silence, like the timeouts.
pub const DEFAULT_MARGIN_MULTIPLES: [f64; 14] = [
    0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 7.0, 9.0, 11.0, 15.0,
];

/// Default thresholds of [`Model::Bertier`]: multiples of its adaptive
/// margin (1 is the published detector).
pub const DEFAULT_BERTIER_THRESHOLDS: [f64; 15] = [
    0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0, 24.0, 32.0, 48.0,
];

/// Default thresholds of [`Model::Deadline`]: multiples of its timeout
/// (heartbeat interval + pause; 1 is Akka's and Hazelcast's detector). With
/// `accrual tune`'s zero pause and the median interval as the estimate they
/// are the timeout baseline's multiples, plus the published 1.
pub const DEFAULT_DEADLINE_THRESHOLDS: [f64; 13] = [
    1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0, 12.0, 16.0,
];

/// The thresholds scored for `detection` when the user gives none, for a
/// trace whose median interval is `interval_ms`: phi values for the accrual
/// models, margins or timeouts in milliseconds (rounded to 0.1 ms, as they
/// are labels users copy) for Chen, 2W-FD and the timeout, multiples of
/// the margin for Bertier and of the timeout for the deadline model.
pub fn default_thresholds(detection: Detection, interval_ms: f64) -> Vec<f64> {
    let millis = |multiples: &[f64]| {
        multiples
            .iter()
            .map(|k| ((k * interval_ms * 10.0).round() / 10.0).max(0.1))
            .collect()
    };
    match detection {
        Detection::Phi(Model::Chen | Model::TwoWindow) => millis(&DEFAULT_MARGIN_MULTIPLES),
        Detection::Phi(Model::Bertier) => DEFAULT_BERTIER_THRESHOLDS.to_vec(),
        Detection::Phi(Model::Deadline) => DEFAULT_DEADLINE_THRESHOLDS.to_vec(),
        Detection::Phi(_) => DEFAULT_PHI_THRESHOLDS.to_vec(),
        Detection::Timeout => millis(&DEFAULT_TIMEOUT_MULTIPLES),
    }
}

/// The median inter-arrival time over all nodes of `trace`, if it has any
/// interval.
pub fn median_interval(trace: &Trace) -> Option<Duration> {
    let mut gaps: Vec<u64> = trace
        .nodes()
        .iter()
        .flat_map(|n| {
            n.arrivals()
                .windows(2)
                .map(|w| w[1].as_nanos() - w[0].as_nanos())
        })
        .collect();
    if gaps.is_empty() {
        return None;
    }
    let mid = gaps.len() / 2;
    let (_, median, _) = gaps.select_nth_unstable(mid);
    Some(Duration::from_nanos(*median))
}

/// Scores `thresholds` for each of `detections` on every node of `trace`.
///
/// `base` supplies the detector settings other than model and threshold.
/// For [`Detection::Timeout`] the thresholds are timeouts in milliseconds.
/// The first `warmup` arrivals of each node are replayed but not scored.
/// Results come per detection, thresholds in the order given.
///
/// # Errors
///
/// [`ConfigError`] for an invalid threshold, or a timeout that is not a
/// finite, non-negative number of milliseconds.
pub fn evaluate(
    trace: &Trace,
    base: &Config,
    detections: &[Detection],
    thresholds: &[f64],
    warmup: usize,
) -> Result<Vec<Candidate>, ConfigError> {
    let mut out = Vec::with_capacity(detections.len() * thresholds.len());
    for &detection in detections {
        let mut totals = vec![Qos::default(); thresholds.len()];
        match detection {
            Detection::Phi(model) => {
                let config = base.to_builder().model(model).build()?;
                for node in trace.nodes() {
                    let per = sweep(node.arrivals(), &config, thresholds, warmup)?;
                    for (total, q) in totals.iter_mut().zip(&per) {
                        total.merge(q);
                    }
                }
            }
            Detection::Timeout => {
                let timeouts = thresholds
                    .iter()
                    .map(|&ms| {
                        Duration::try_from_secs_f64(ms / 1e3).map_err(|_| {
                            ConfigError::InvalidMillis {
                                field: "timeout",
                                value: ms,
                            }
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                for node in trace.nodes() {
                    for (total, &t) in totals.iter_mut().zip(&timeouts) {
                        total.merge(&score_timeout(node.arrivals(), t, warmup));
                    }
                }
            }
        }
        out.extend(
            thresholds
                .iter()
                .zip(totals)
                .map(|(&threshold, qos)| Candidate {
                    detection,
                    threshold,
                    qos,
                }),
        );
    }
    Ok(out)
}

/// Like [`evaluate`] for several detections, each with its own thresholds,
/// scored on parallel threads (one per detection). `on_done` is called from
/// the scoring thread as each detection finishes (for progress reports).
/// Results come in the order of `plan`.
///
/// # Errors
///
/// The first error of any detection, as [`evaluate`].
pub fn evaluate_plan(
    trace: &Trace,
    base: &Config,
    plan: &[(Detection, Vec<f64>)],
    warmup: usize,
    on_done: &(dyn Fn(Detection) + Sync),
) -> Result<Vec<Candidate>, ConfigError> {
    let results: Vec<Result<Vec<Candidate>, ConfigError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = plan
            .iter()
            .map(|(detection, thresholds)| {
                scope.spawn(move || {
                    let out = evaluate(trace, base, &[*detection], thresholds, warmup);
                    on_done(*detection);
                    out
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                // A scoring thread only panics on a bug; report it as such
                // rather than unwinding through the caller.
                h.join().unwrap_or_else(|_| {
                    Err(ConfigError::UnknownModel {
                        name: "internal error: a scoring thread panicked".to_string(),
                    })
                })
            })
            .collect()
    });
    let mut out = Vec::new();
    for r in results {
        out.extend(r?);
    }
    Ok(out)
}

/// What the user wants from a detector.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Targets {
    /// Mean detection time at most this many milliseconds.
    pub detection_ms: Option<f64>,
    /// At most this many wrong suspicions per hour.
    pub mistakes_per_hour: Option<f64>,
}

impl Targets {
    /// The targets used when the user states none: at most one mistake per
    /// hour, then the fastest detection.
    pub const DEFAULT: Targets = Targets {
        detection_ms: None,
        mistakes_per_hour: Some(1.0),
    };

    /// Whether `qos` meets every stated target.
    pub fn met_by(&self, qos: &Qos) -> bool {
        self.detection_ms
            .is_none_or(|t| qos.mean_detection_ms() <= t)
            && self
                .mistakes_per_hour
                .is_none_or(|t| qos.mistakes_per_hour() <= t)
    }

    /// How far `qos` is from the targets: the worst ratio of achieved to
    /// wanted (1 or less when met).
    fn shortfall(&self, qos: &Qos) -> f64 {
        let ratio = |got: f64, want: f64| {
            if want > 0.0 {
                got / want
            } else if got > 0.0 {
                f64::INFINITY
            } else {
                0.0
            }
        };
        let d = self
            .detection_ms
            .map_or(0.0, |t| ratio(qos.mean_detection_ms(), t));
        let m = self
            .mistakes_per_hour
            .map_or(0.0, |t| ratio(qos.mistakes_per_hour(), t));
        d.max(m)
    }
}

/// The candidate that best meets `targets`.
///
/// Among the candidates meeting every target: with a mistake target only,
/// the fastest mean detection; with a detection target only, the fewest
/// mistakes per hour (then the fastest); with both, the fastest detection.
/// If none meets them, the one closest to them (smallest worst ratio of
/// achieved to wanted). `None` only for an empty list or one without any
/// scored sample.
pub fn recommend<'a>(candidates: &'a [Candidate], targets: &Targets) -> Option<&'a Candidate> {
    let scored = candidates.iter().filter(|c| c.qos.samples > 0);
    let meeting: Vec<&Candidate> = scored.clone().filter(|c| targets.met_by(&c.qos)).collect();
    let by_detection = |a: &&Candidate, b: &&Candidate| {
        a.qos
            .mean_detection_ms()
            .total_cmp(&b.qos.mean_detection_ms())
            .then(a.qos.mistakes.cmp(&b.qos.mistakes))
    };
    if !meeting.is_empty() {
        return match (targets.detection_ms, targets.mistakes_per_hour) {
            (Some(_), None) => meeting.into_iter().min_by(|a, b| {
                a.qos
                    .mistakes_per_hour()
                    .total_cmp(&b.qos.mistakes_per_hour())
                    .then_with(|| by_detection(a, b))
            }),
            _ => meeting.into_iter().min_by(by_detection),
        };
    }
    scored.min_by(|a, b| {
        targets
            .shortfall(&a.qos)
            .total_cmp(&targets.shortfall(&b.qos))
            .then_with(|| by_detection(a, b))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Timestamp;
    use crate::trace::NodeTrace;

    fn qos(detection_ms: u64, mistakes: u64) -> Qos {
        Qos {
            samples: 1,
            detection_ns: u128::from(detection_ms) * 1_000_000,
            max_detection_ns: detection_ms * 1_000_000,
            mistakes,
            mistake_ns: 0,
            observed_ns: 3_600_000_000_000, // one hour
        }
    }

    fn cand(threshold: f64, detection_ms: u64, mistakes: u64) -> Candidate {
        Candidate {
            detection: Detection::Phi(Model::Normal),
            threshold,
            qos: qos(detection_ms, mistakes),
        }
    }

    #[test]
    fn recommendation_follows_the_stated_targets() {
        let c = [cand(1.0, 100, 50), cand(4.0, 300, 3), cand(8.0, 500, 0)];
        // At most 1 mistake per hour: only threshold 8.
        let r = recommend(&c, &Targets::DEFAULT).unwrap();
        assert_eq!(r.threshold, 8.0);
        // Detection within 400 ms: the fewest mistakes among 1 and 4.
        let t = Targets {
            detection_ms: Some(400.0),
            mistakes_per_hour: None,
        };
        assert_eq!(recommend(&c, &t).unwrap().threshold, 4.0);
        // Both, and nothing meets both: the closest (4: ratios 0.75 and 1.5;
        // 1: 0.25 and 25; 8: 1.25 and 0).
        let t = Targets {
            detection_ms: Some(400.0),
            mistakes_per_hour: Some(2.0),
        };
        assert_eq!(recommend(&c, &t).unwrap().threshold, 8.0);
        let t = Targets {
            detection_ms: Some(400.0),
            mistakes_per_hour: Some(3.0),
        };
        assert_eq!(recommend(&c, &t).unwrap().threshold, 4.0);
        assert!(recommend(&[], &Targets::DEFAULT).is_none());
    }

    #[test]
    fn detections_parse_by_name() {
        for d in Detection::ALL {
            assert_eq!(d.name().parse::<Detection>().unwrap(), d);
        }
        assert!("weibull".parse::<Detection>().is_err());
    }

    #[test]
    fn evaluate_adds_nodes_up_and_scores_the_timeout_baseline() {
        let ms = Timestamp::from_millis;
        let a = NodeTrace::new("a", vec![ms(0), ms(100), ms(200), ms(700)]).unwrap();
        let b = NodeTrace::new("b", vec![ms(0), ms(100)]).unwrap();
        let trace = Trace::new(vec![a, b]);
        assert_eq!(median_interval(&trace), Some(Duration::from_millis(100)));
        let out = evaluate(
            &trace,
            &Config::default(),
            &[Detection::Timeout],
            &[300.0],
            0,
        )
        .unwrap();
        // Node a: gaps 100, 100, 500 (one mistake of 200 ms); node b: gap 100.
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].qos.samples, 4);
        assert_eq!(out[0].qos.mistakes, 1);
        assert_eq!(out[0].qos.mistake_ms(), 200.0);
        assert_eq!(out[0].qos.observed_ns, 800_000_000);
        assert!(evaluate(
            &trace,
            &Config::default(),
            &[Detection::Timeout],
            &[-1.0],
            0
        )
        .is_err());
    }
}
