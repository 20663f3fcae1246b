//! Which configurations are worth showing, and which one to use.
//!
//! **The frontier.** A configuration is on the Pareto frontier when no other
//! is both at least as fast (mean detection time) and at least as accurate
//! (mistakes), and better in one of the two. The comparison uses the
//! mistake counts: every configuration of one run is scored on the same
//! observed time, and Garwood's upper limit grows strictly with the count,
//! so the frontier by point estimate and the frontier by the interval's
//! upper end are the same set.
//!
//! **The recommendation.** A mistake target is *established* by a
//! configuration when the upper end of its confidence interval is within
//! it; a detection target when its mean detection time is (a mean over
//! thousands of samples, whose error is small next to the grid's steps).
//! Among the configurations establishing every target the rule is: with a
//! mistake target only, the fastest; with a detection target only, the
//! fewest mistakes, then the fastest; with both, the fastest. When none
//! establishes them, the same rule picks among those whose point estimates
//! meet them, labelled unproven; failing that, the configuration closest to
//! the targets.

use super::stats::{hours_to_establish, RateInterval};
use super::Candidate;
use crate::qos::Qos;

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

    /// Whether `qos` meets every stated target by its point estimates.
    pub fn met_by(&self, qos: &Qos) -> bool {
        self.detection_ms
            .is_none_or(|t| qos.mean_detection_ms() <= t)
            && self
                .mistakes_per_hour
                .is_none_or(|t| qos.mistakes_per_hour() <= t)
    }

    /// Whether `qos` establishes every stated target: the mistake rate's
    /// interval at `confidence` lies within the mistake target.
    pub fn established_by(&self, qos: &Qos, confidence: f64) -> bool {
        self.detection_ms
            .is_none_or(|t| qos.mean_detection_ms() <= t)
            && self
                .mistakes_per_hour
                .is_none_or(|t| interval(qos, confidence).high_per_hour <= t)
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

/// The mistake rate's confidence interval of `qos`.
pub fn interval(qos: &Qos, confidence: f64) -> RateInterval {
    RateInterval::garwood(qos.mistakes, qos.observed_ns as f64 / 3.6e12, confidence)
}

/// How sure the recommendation is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Verdict {
    /// It establishes every target at the stated confidence.
    Established,
    /// Its point estimates meet the targets, but no configuration
    /// establishes them on this much data.
    Unproven {
        /// With a mistake target: the least observed time, in hours, on
        /// which any configuration could establish it (with no mistake at
        /// all); more if mistakes occur.
        hours_needed: Option<f64>,
    },
    /// Nothing meets the targets even by point estimates; this is the
    /// closest.
    Missed,
}

/// The recommended configuration and how sure it is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Recommendation<'a> {
    /// The configuration.
    pub candidate: &'a Candidate,
    /// Its index in the list it was chosen from.
    pub index: usize,
    /// How sure the choice is.
    pub verdict: Verdict,
}

/// The candidate that best meets `targets` (see the module documentation),
/// its mistake rates judged at `confidence`. `None` only for an empty
/// list or one without any scored sample.
pub fn recommend<'a>(
    candidates: &'a [Candidate],
    targets: &Targets,
    confidence: f64,
) -> Option<Recommendation<'a>> {
    let scored = || {
        candidates
            .iter()
            .enumerate()
            .filter(|(_, c)| c.qos.samples > 0)
    };
    let by_detection = |a: &Candidate, b: &Candidate| {
        a.qos
            .mean_detection_ms()
            .total_cmp(&b.qos.mean_detection_ms())
            .then(a.qos.mistakes.cmp(&b.qos.mistakes))
    };
    let pick = |meeting: Vec<(usize, &'a Candidate)>| match (
        targets.detection_ms,
        targets.mistakes_per_hour,
    ) {
        (Some(_), None) => meeting.into_iter().min_by(|(_, a), (_, b)| {
            a.qos
                .mistakes_per_hour()
                .total_cmp(&b.qos.mistakes_per_hour())
                .then_with(|| by_detection(a, b))
        }),
        _ => meeting
            .into_iter()
            .min_by(|(_, a), (_, b)| by_detection(a, b)),
    };
    let established: Vec<_> = scored()
        .filter(|(_, c)| targets.established_by(&c.qos, confidence))
        .collect();
    if let Some((index, candidate)) = pick(established) {
        return Some(Recommendation {
            candidate,
            index,
            verdict: Verdict::Established,
        });
    }
    let plausible: Vec<_> = scored().filter(|(_, c)| targets.met_by(&c.qos)).collect();
    if let Some((index, candidate)) = pick(plausible) {
        let hours_needed = targets
            .mistakes_per_hour
            .map(|t| hours_to_establish(t, confidence));
        return Some(Recommendation {
            candidate,
            index,
            verdict: Verdict::Unproven { hours_needed },
        });
    }
    scored()
        .min_by(|(_, a), (_, b)| {
            targets
                .shortfall(&a.qos)
                .total_cmp(&targets.shortfall(&b.qos))
                .then_with(|| by_detection(a, b))
        })
        .map(|(index, candidate)| Recommendation {
            candidate,
            index,
            verdict: Verdict::Missed,
        })
}

/// The indices of the candidates on the Pareto frontier of mean detection
/// time and mistakes (see the module documentation), fastest first. Of
/// configurations with identical figures only the first is listed.
/// Candidates without a scored sample are left out.
pub fn pareto_frontier(candidates: &[Candidate]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..candidates.len())
        .filter(|&i| candidates[i].qos.samples > 0)
        .collect();
    // Fastest first; among equally fast, fewest mistakes first; then the
    // order given, so that the first of identical rows is kept.
    order.sort_by(|&a, &b| {
        let (qa, qb) = (&candidates[a].qos, &candidates[b].qos);
        qa.mean_detection_ms()
            .total_cmp(&qb.mean_detection_ms())
            .then(qa.mistakes.cmp(&qb.mistakes))
            .then(a.cmp(&b))
    });
    let mut frontier = Vec::new();
    let mut fewest = u64::MAX;
    for i in order {
        if candidates[i].qos.mistakes < fewest {
            fewest = candidates[i].qos.mistakes;
            frontier.push(i);
        }
    }
    frontier
}

/// At most `max` rows of `frontier`, spread evenly along it, always with
/// its two ends and `keep` (the recommendation) if it is on it.
pub fn thin_frontier(frontier: &[usize], max: usize, keep: Option<usize>) -> Vec<usize> {
    if frontier.len() <= max || max < 3 {
        return frontier.iter().copied().take(max).collect();
    }
    let last = frontier.len() - 1;
    let mut picked: Vec<usize> = (0..max)
        .map(|k| (k * last + (max - 1) / 2) / (max - 1))
        .collect();
    if let Some(pos) = keep.and_then(|k| frontier.iter().position(|&i| i == k)) {
        if !picked.contains(&pos) {
            // Replace the nearest interior pick, so both ends stay.
            let nearest = (1..max - 1)
                .min_by_key(|&j| picked[j].abs_diff(pos))
                .unwrap_or(1);
            picked[nearest] = pos;
        }
    }
    picked.sort_unstable();
    picked.dedup();
    picked.into_iter().map(|p| frontier[p]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Model;
    use crate::tune::Detection;
    use std::time::Duration;

    fn qos(detection_ms: u64, mistakes: u64) -> Qos {
        Qos {
            samples: 1,
            detection_ns: u128::from(detection_ms) * 1_000_000,
            max_detection_ns: detection_ms * 1_000_000,
            mistakes,
            mistake_ns: 0,
            observed_ns: 100 * 3_600_000_000_000, // a hundred hours
        }
    }

    fn cand(threshold: f64, detection_ms: u64, mistakes_per_100h: u64) -> Candidate {
        Candidate {
            detection: Detection::Phi(Model::Normal),
            threshold,
            acceptable_pause: Duration::ZERO,
            min_std_deviation: Duration::from_millis(10),
            learning: None,
            qos: qos(detection_ms, mistakes_per_100h),
            held_out: None,
        }
    }

    #[test]
    fn recommendation_follows_the_stated_targets() {
        // 5000, 300 and 0 mistakes in 100 h: 50, 3 and 0 per hour.
        let c = [cand(1.0, 100, 5000), cand(4.0, 300, 300), cand(8.0, 500, 0)];
        // At most 1 mistake per hour: only threshold 8.
        let r = recommend(&c, &Targets::DEFAULT, 0.95).unwrap();
        assert_eq!(r.candidate.threshold, 8.0);
        assert_eq!(r.verdict, Verdict::Established);
        // Detection within 400 ms: the fewest mistakes among 1 and 4.
        let t = Targets {
            detection_ms: Some(400.0),
            mistakes_per_hour: None,
        };
        assert_eq!(recommend(&c, &t, 0.95).unwrap().candidate.threshold, 4.0);
        // Both, and nothing meets both: the closest (4: ratios 0.75 and 1.5;
        // 1: 0.25 and 25; 8: 1.25 and 0).
        let t = Targets {
            detection_ms: Some(400.0),
            mistakes_per_hour: Some(2.0),
        };
        let r = recommend(&c, &t, 0.95).unwrap();
        assert_eq!((r.candidate.threshold, r.verdict), (8.0, Verdict::Missed));
        // 3 per hour meets "≤ 3.4 per hour" by point estimate, but 300 in
        // 100 h has a 95 % upper limit of about 3.36 per hour (Garwood):
        // established at 3.4, unproven at 3.01.
        let t = Targets {
            detection_ms: Some(400.0),
            mistakes_per_hour: Some(3.4),
        };
        let r = recommend(&c, &t, 0.95).unwrap();
        assert_eq!(
            (r.candidate.threshold, r.verdict),
            (4.0, Verdict::Established)
        );
        let t = Targets {
            detection_ms: Some(400.0),
            mistakes_per_hour: Some(3.01),
        };
        let r = recommend(&c, &t, 0.95).unwrap();
        assert_eq!(r.candidate.threshold, 4.0);
        assert!(matches!(r.verdict, Verdict::Unproven { .. }));
        assert!(recommend(&[], &Targets::DEFAULT, 0.95).is_none());
    }

    #[test]
    fn frontier_keeps_only_undominated_rows() {
        let c = [
            cand(1.0, 100, 50),
            cand(2.0, 200, 50), // dominated by the first
            cand(3.0, 200, 10),
            cand(4.0, 200, 10), // identical to the third
            cand(5.0, 400, 0),
            cand(6.0, 500, 0), // dominated by the fifth
        ];
        assert_eq!(pareto_frontier(&c), [0, 2, 4]);
    }

    #[test]
    fn thinning_keeps_the_ends_and_the_recommendation() {
        let frontier: Vec<usize> = (100..160).collect();
        let thin = thin_frontier(&frontier, 10, Some(117));
        assert_eq!(thin.len(), 10);
        assert_eq!((thin[0], thin[9]), (100, 159));
        assert!(thin.contains(&117));
        assert_eq!(thin_frontier(&frontier[..5], 10, None), &frontier[..5]);
    }
}
