//! The grid of settings `tune` searches: for each detection kind, the
//! thresholds crossed with the acceptable pauses (and, for the normal
//! models, the σ floors) that users set.
//!
//! Defaults are relative to the trace's median interval, so one grid serves
//! 10 ms and 10 s heartbeats alike. Where two settings only ever act through
//! their sum the grid holds one of them: Chen's and 2W-FD's deadline is the
//! expected arrival plus the margin plus the pause, so their margins already
//! cover every pause, and a timeout plus a pause is just a longer timeout.

use super::Detection;
use crate::config::{ConfigError, Learning};
use crate::model::Model;
use std::time::Duration;

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

/// Default thresholds of [`Model::Bertier`]: multiples of the variation
/// term of its margin (1 is the published detector).
pub const DEFAULT_BERTIER_THRESHOLDS: [f64; 15] = [
    0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0, 24.0, 32.0, 48.0,
];

/// Default thresholds of [`Model::Deadline`]: multiples of its timeout
/// (heartbeat interval + pause; 1 is Akka's and Hazelcast's detector). With
/// `accrual tune`'s median interval as the estimate and no pause they are
/// the timeout baseline's multiples, plus the published 1.
pub const DEFAULT_DEADLINE_THRESHOLDS: [f64; 13] = [
    1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0, 12.0, 16.0,
];

/// Default acceptable pauses, as multiples of the trace's median interval:
/// none (the model alone), one lost heartbeat, two, three (Akka's default
/// ratio), five.
pub const DEFAULT_PAUSE_MULTIPLES: [f64; 5] = [0.0, 1.0, 2.0, 3.0, 5.0];

/// Default σ floors of the normal models, as fractions of the median
/// interval: Akka's ratio (100 ms at 1 s) and a wider one. On a steady link
/// the floor, not the measured σ, sets these models' margin.
pub const DEFAULT_MIN_STD_FRACTIONS: [f64; 2] = [0.1, 0.25];

/// The σ floor of the models whose margin it rarely sets, as a fraction
/// of the median interval (Akka's ratio).
pub const MIN_STD_FRACTION: f64 = 0.1;

/// The thresholds scored for `detection` when the user gives none, for a
/// trace whose median interval is `interval_ms`: phi values for the accrual
/// models, margins or timeouts in milliseconds (rounded to 0.1 ms, as they
/// are labels users copy) for Chen, 2W-FD and the timeout, multiples of
/// the margin for Bertier and of the timeout for the deadline model.
pub fn default_thresholds(detection: Detection, interval_ms: f64) -> Vec<f64> {
    match detection {
        Detection::Phi(Model::Chen | Model::TwoWindow) => {
            millis(&DEFAULT_MARGIN_MULTIPLES, interval_ms)
        }
        Detection::Phi(Model::Bertier) => DEFAULT_BERTIER_THRESHOLDS.to_vec(),
        Detection::Phi(Model::Deadline) => DEFAULT_DEADLINE_THRESHOLDS.to_vec(),
        Detection::Phi(_) => DEFAULT_PHI_THRESHOLDS.to_vec(),
        Detection::Timeout => millis(&DEFAULT_TIMEOUT_MULTIPLES, interval_ms),
    }
}

/// Multiples of `interval_ms`, rounded to 0.1 ms and at least 0.1 ms.
fn millis(multiples: &[f64], interval_ms: f64) -> Vec<f64> {
    multiples
        .iter()
        .map(|k| ((k * interval_ms * 10.0).round() / 10.0).max(0.1))
        .collect()
}

/// The acceptable pauses scored for `detection` by default, in ms: none
/// for Chen, 2W-FD and the timeout (their threshold already is a silence to
/// add, see the module documentation), [`DEFAULT_PAUSE_MULTIPLES`]
/// otherwise.
pub fn default_pauses_ms(detection: Detection, interval_ms: f64) -> Vec<f64> {
    if adds_to_pause(detection) {
        vec![0.0]
    } else {
        DEFAULT_PAUSE_MULTIPLES
            .iter()
            .map(|k| (k * interval_ms * 10.0).round() / 10.0)
            .collect()
    }
}

/// The σ floors scored for `detection` by default, in ms.
pub fn default_min_std_ms(detection: Detection, interval_ms: f64) -> Vec<f64> {
    let fractions: &[f64] = match detection {
        Detection::Phi(Model::Normal | Model::Akka) => &DEFAULT_MIN_STD_FRACTIONS,
        _ => &[MIN_STD_FRACTION],
    };
    millis(fractions, interval_ms)
}

/// Whether the threshold of `detection` already sets the whole silence
/// before suspicion, so that a pause grid would only repeat it: a margin
/// added to the pause (Chen, 2W-FD), a timeout, or a multiple of the
/// deadline model's interval + pause.
fn adds_to_pause(detection: Detection) -> bool {
    matches!(
        detection,
        Detection::Timeout | Detection::Phi(Model::Chen | Model::TwoWindow | Model::Deadline)
    )
}

/// Whether `detection` reads the σ floor at all.
fn uses_min_std(detection: Detection) -> bool {
    !adds_to_pause(detection)
}

/// Whether the learning rule changes what `detection` does: every model
/// but the deadline model, which reads no window.
fn learns(detection: Detection) -> bool {
    matches!(detection, Detection::Phi(m) if m != Model::Deadline)
}

/// One replay's worth of the grid: a detection kind with one pause and one
/// σ floor, and the thresholds scored for them in a single pass.
#[derive(Clone, Debug, PartialEq)]
pub struct Job {
    /// The detector kind.
    pub detection: Detection,
    /// The acceptable pause (zero for the timeout).
    pub acceptable_pause: Duration,
    /// The σ floor (the configuration's, unused by Chen, 2W-FD and the
    /// timeout).
    pub min_std_deviation: Duration,
    /// The learning rule, replacing the base configuration's; `None` for
    /// the timeout and the deadline model, which learn nothing, and to keep
    /// the base's.
    pub learning: Option<Learning>,
    /// The thresholds, in the detection kind's units.
    pub thresholds: Vec<f64>,
}

/// What to search; `None` means the default grid for each detection kind.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GridSpec {
    /// The detection kinds, in the order results should come.
    pub detections: Vec<Detection>,
    /// The thresholds for every kind.
    pub thresholds: Option<Vec<f64>>,
    /// The acceptable pauses in ms, for every kind but the timeout.
    pub pauses_ms: Option<Vec<f64>>,
    /// The σ floors in ms, for every kind that reads one.
    pub min_std_ms: Option<Vec<f64>>,
    /// The learning rules, for every kind that learns (all but the timeout
    /// and the deadline model). By default both: which intervals to learn
    /// is a trade of the link, not a constant (`papers/fidelity.md`: on
    /// real traces with sender stalls, Akka's rule makes Chen's detector
    /// 100 times more accurate at wide margins and 10 times less at narrow
    /// ones).
    pub learnings: Option<Vec<Learning>>,
}

impl GridSpec {
    /// The default grid over `detections`.
    pub fn defaults(detections: &[Detection]) -> GridSpec {
        GridSpec {
            detections: detections.to_vec(),
            ..GridSpec::default()
        }
    }

    /// The jobs for a trace whose median interval is `interval_ms`, grouped
    /// by detection kind in the spec's order.
    ///
    /// # Errors
    ///
    /// [`ConfigError::InvalidMillis`] for a pause or σ floor that is not a
    /// finite, non-negative number of milliseconds.
    pub fn jobs(&self, interval_ms: f64) -> Result<Vec<Job>, ConfigError> {
        let duration = |field: &'static str, ms: f64| {
            Duration::try_from_secs_f64(ms / 1e3)
                .map_err(|_| ConfigError::InvalidMillis { field, value: ms })
        };
        let mut jobs = Vec::new();
        for &detection in &self.detections {
            let thresholds = self
                .thresholds
                .clone()
                .unwrap_or_else(|| default_thresholds(detection, interval_ms));
            let pauses = match (&self.pauses_ms, detection) {
                (_, Detection::Timeout) | (None, _) => default_pauses_ms(detection, interval_ms),
                (Some(p), _) => p.clone(),
            };
            let floors = match &self.min_std_ms {
                Some(f) if uses_min_std(detection) => f.clone(),
                _ => default_min_std_ms(detection, interval_ms),
            };
            let rules: Vec<Option<Learning>> = match &self.learnings {
                _ if !learns(detection) => vec![None],
                Some(rules) => rules.iter().copied().map(Some).collect(),
                None => Learning::ALL.iter().copied().map(Some).collect(),
            };
            for &learning in &rules {
                for &pause in &pauses {
                    for &floor in &floors {
                        jobs.push(Job {
                            detection,
                            acceptable_pause: duration("acceptable_pause", pause)?,
                            min_std_deviation: duration("min_std_deviation", floor)?,
                            learning,
                            thresholds: thresholds.clone(),
                        });
                    }
                }
            }
        }
        Ok(jobs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_grid_searches_pauses_where_they_are_a_setting_of_their_own() {
        let spec = GridSpec::defaults(&Detection::ALL);
        let jobs = spec.jobs(100.0).unwrap();
        let count = |d: Detection| jobs.iter().filter(|j| j.detection == d).count();
        // Learning rules × pauses × σ floors: 2 × 5 × 2 for the normal
        // models, 2 × 5 × 1 for the other accrual and Bertier, 2 for the
        // margins, one for the deadline model and the timeout (they learn
        // nothing).
        assert_eq!(count(Detection::Phi(Model::Normal)), 20);
        assert_eq!(count(Detection::Phi(Model::Akka)), 20);
        assert_eq!(count(Detection::Phi(Model::Exponential)), 10);
        assert_eq!(count(Detection::Phi(Model::Bertier)), 10);
        assert_eq!(count(Detection::Phi(Model::Chen)), 2);
        assert_eq!(count(Detection::Phi(Model::Deadline)), 1);
        assert_eq!(count(Detection::Timeout), 1);
        let exponential = |rule| {
            jobs.iter()
                .filter(|j| j.detection == Detection::Phi(Model::Exponential))
                .filter(|j| j.learning == rule)
                .map(|j| j.acceptable_pause.as_millis())
                .collect::<Vec<u128>>()
        };
        for rule in Learning::ALL {
            assert_eq!(exponential(Some(*rule)), [0, 100, 200, 300, 500]);
        }
        assert!(jobs
            .iter()
            .filter(|j| matches!(
                j.detection,
                Detection::Timeout | Detection::Phi(Model::Deadline)
            ))
            .all(|j| j.learning.is_none()));
    }

    #[test]
    fn stated_settings_replace_the_default_grid() {
        let spec = GridSpec {
            detections: vec![Detection::Phi(Model::Normal), Detection::Timeout],
            thresholds: Some(vec![8.0]),
            pauses_ms: Some(vec![250.0]),
            min_std_ms: Some(vec![20.0]),
            learnings: Some(vec![Learning::All]),
        };
        let jobs = spec.jobs(100.0).unwrap();
        assert_eq!(jobs.len(), 2);
        assert_eq!(jobs[0].learning, Some(Learning::All));
        assert_eq!(jobs[0].acceptable_pause, Duration::from_millis(250));
        assert_eq!(jobs[0].min_std_deviation, Duration::from_millis(20));
        assert_eq!(
            jobs[1].acceptable_pause,
            Duration::ZERO,
            "a timeout has none"
        );
        let bad = GridSpec {
            pauses_ms: Some(vec![-1.0]),
            ..spec
        };
        assert!(bad.jobs(100.0).is_err());
    }
}
