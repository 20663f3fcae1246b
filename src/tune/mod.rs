//! Choosing detector settings from data: score a grid of configurations
//! on a trace, then pick the one that best meets the user's targets, with
//! the statistics to say how sure that choice is.
//!
//! * [`grid`]: what is searched, thresholds × acceptable pauses (× σ
//!   floors for the normal models), with defaults relative to the trace's
//!   median interval.
//! * [`evaluate_grid`] scores every configuration on every node with the
//!   rules of [`crate::qos`] (one replay per node and [`Job`] for all its
//!   thresholds) and adds the nodes up. With a train fraction, each node is
//!   cut in time: configurations are scored on the first part and checked
//!   on the rest in the same replay.
//! * [`stream`]: the same evaluation on a trace file read as a stream, in
//!   memory that does not grow with the file (for `accrual tune --trace`).
//! * [`stats`]: Garwood's exact Poisson interval for every mistake rate.
//! * [`recommend`](mod@recommend): the Pareto frontier and the
//!   recommendation, which counts a mistake target as met only when the
//!   interval's upper end is within it.
//! * [`settings`]: the recommendation as ready-to-paste settings.

use crate::config::{Config, ConfigBuilder, ConfigError, Learning};
use crate::model::Model;
use crate::qos::{score_timeout_split, split_index, sweep_split_numbered, Qos, SplitQos};
use crate::trace::Trace;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

pub mod grid;
mod median;
pub mod recommend;
pub mod settings;
pub mod stats;
pub mod stream;

pub use grid::{default_thresholds, GridSpec, Job};
pub use recommend::{pareto_frontier, recommend, Recommendation, Targets, Verdict};

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
    /// The acceptable pause (zero for the timeout).
    pub acceptable_pause: Duration,
    /// The σ floor (unused by Chen, 2W-FD and the timeout).
    pub min_std_deviation: Duration,
    /// The learning rule, if the search set one (`None`: the base
    /// configuration's; always for the timeout and the deadline model,
    /// which learn nothing).
    pub learning: Option<Learning>,
    /// Its quality of service on the part of the trace the choice is made
    /// on (the whole trace without a check), summed over the nodes.
    pub qos: Qos,
    /// Its quality of service on the held-out rest of each node, when the
    /// choice is checked out of sample.
    pub held_out: Option<Qos>,
}

impl Candidate {
    /// The detector configuration this candidate stands for: `base` with
    /// the candidate's model, threshold, pause and σ floor. `None` for the
    /// timeout, which no [`Config`] expresses.
    pub fn config(&self, base: &Config) -> Option<Config> {
        let Detection::Phi(model) = self.detection else {
            return None;
        };
        with_learning(base, self.learning)
            .model(model)
            .threshold(self.threshold)
            .acceptable_pause(self.acceptable_pause)
            .min_std_deviation(self.min_std_deviation)
            .build()
            .ok()
    }
}

/// A builder from `base`, with the learning rule `learning` if the search
/// set one (else `base`'s).
fn with_learning(base: &Config, learning: Option<Learning>) -> ConfigBuilder {
    let builder = base.to_builder();
    match learning {
        Some(rule) => builder.learning(rule),
        None => builder,
    }
}

/// The median inter-arrival time over all nodes of `trace`, if it has any
/// interval.
pub fn median_interval(trace: &Trace) -> Option<Duration> {
    let mut gaps: Vec<u64> = trace.intervals_ns().collect();
    if gaps.is_empty() {
        return None;
    }
    let mid = gaps.len() / 2;
    let (_, median, _) = gaps.select_nth_unstable(mid);
    Some(Duration::from_nanos(*median))
}

/// How the trace is scored: warm-up and the out-of-sample cut.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scoring {
    /// The first `warmup` arrivals of each node are replayed but not scored.
    pub warmup: usize,
    /// The fraction of each node's time span the choice is made on; the
    /// rest is held out to check it. `None` (or 1) scores the whole trace
    /// as one part.
    pub train_fraction: Option<f64>,
}

impl Scoring {
    /// Where each node of `trace` is cut.
    fn splits(&self, trace: &Trace) -> Vec<usize> {
        trace
            .nodes()
            .iter()
            .map(|n| match self.train_fraction {
                Some(f) => split_index(n.arrivals(), f),
                None => n.arrivals().len(),
            })
            .collect()
    }

    /// The number of detection samples the part a choice is made on holds
    /// (over all nodes): 0 means a warm-up or cut that leaves nothing to
    /// choose on.
    pub fn fit_samples(&self, trace: &Trace) -> usize {
        trace
            .nodes()
            .iter()
            .zip(self.splits(trace))
            .map(|(n, split)| {
                let scored_end = split.min(n.arrivals().len().saturating_sub(1));
                scored_end.saturating_sub(self.warmup)
            })
            .sum()
    }
}

/// Scores every job on every node of `trace`, on parallel threads (at most
/// one per core). `base` supplies the settings the jobs leave alone (window,
/// first-interval estimate, and Bertier's parameters). `on_progress` gets
/// the number of arrivals replayed as the replays go (for progress bars;
/// the total is `trace.len()` per job). Results come job by job in the
/// order given, thresholds in each job's order.
///
/// # Errors
///
/// [`ConfigError`] for an invalid threshold or setting, or a timeout that
/// is not a finite, non-negative number of milliseconds.
pub fn evaluate_grid(
    trace: &Trace,
    base: &Config,
    jobs: &[Job],
    scoring: Scoring,
    on_progress: &(dyn Fn(u64) + Sync),
) -> Result<Vec<Candidate>, ConfigError> {
    // Every job's configuration is built before any replay, so that a bad
    // setting fails fast.
    let configs = jobs
        .iter()
        .map(|job| job_config(base, job))
        .collect::<Result<Vec<_>, _>>()?;
    let splits = scoring.splits(trace);
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<JobResult>>> = Mutex::new(vec![None; jobs.len()]);
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(jobs.len())
        .max(1);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                let Some(job) = jobs.get(k) else { break };
                let out = score_job(
                    trace,
                    &configs[k],
                    job,
                    scoring.warmup,
                    &splits,
                    on_progress,
                );
                if let Ok(mut slots) = results.lock() {
                    slots[k] = Some(out);
                }
            });
        }
    });
    let slots = results.into_inner().unwrap_or_default();
    let mut totals = Vec::with_capacity(jobs.len());
    for slot in slots {
        // An empty slot means a scoring thread panicked: a bug, reported as
        // such rather than unwound through the caller.
        totals.push(slot.unwrap_or_else(|| {
            Err(ConfigError::UnknownModel {
                name: "internal error: a scoring thread panicked".to_string(),
            })
        })?);
    }
    Ok(candidates(jobs, totals, scoring))
}

/// The candidates of `jobs` from their totals (one per threshold), job by
/// job in the order given, thresholds in each job's order.
fn candidates(jobs: &[Job], totals: Vec<Vec<SplitQos>>, scoring: Scoring) -> Vec<Candidate> {
    let mut out = Vec::new();
    for (job, totals) in jobs.iter().zip(totals) {
        out.extend(
            job.thresholds
                .iter()
                .zip(totals)
                .map(|(&threshold, s)| Candidate {
                    detection: job.detection,
                    threshold,
                    acceptable_pause: job.acceptable_pause,
                    min_std_deviation: job.min_std_deviation,
                    learning: job.learning,
                    qos: s.fit,
                    held_out: scoring.train_fraction.map(|_| s.held_out),
                }),
        );
    }
    out
}

/// One job's totals, one per threshold.
type JobResult = Result<Vec<SplitQos>, ConfigError>;

/// The configuration a phi job replays (`None` for the timeout), after
/// checking every threshold.
fn job_config(base: &Config, job: &Job) -> Result<Option<Config>, ConfigError> {
    match job.detection {
        Detection::Phi(model) => {
            let config = with_learning(base, job.learning)
                .model(model)
                .acceptable_pause(job.acceptable_pause)
                .min_std_deviation(job.min_std_deviation)
                .build()?;
            for &t in &job.thresholds {
                config.to_builder().threshold(t).build()?;
            }
            Ok(Some(config))
        }
        Detection::Timeout => {
            for &ms in &job.thresholds {
                timeout(ms)?;
            }
            Ok(None)
        }
    }
}

fn timeout(ms: f64) -> Result<Duration, ConfigError> {
    Duration::try_from_secs_f64(ms / 1e3).map_err(|_| ConfigError::InvalidMillis {
        field: "timeout",
        value: ms,
    })
}

/// One job on every node, nodes added up.
fn score_job(
    trace: &Trace,
    config: &Option<Config>,
    job: &Job,
    warmup: usize,
    splits: &[usize],
    on_progress: &(dyn Fn(u64) + Sync),
) -> JobResult {
    let mut totals = vec![SplitQos::default(); job.thresholds.len()];
    for (node, &split) in trace.nodes().iter().zip(splits) {
        let arrivals = node.arrivals();
        let per = match config {
            Some(config) => sweep_split_numbered(
                arrivals,
                node.seqs(),
                config,
                &job.thresholds,
                warmup,
                split,
                on_progress,
            )?,
            None => {
                let per = job
                    .thresholds
                    .iter()
                    .map(|&ms| Ok(score_timeout_split(arrivals, timeout(ms)?, warmup, split)))
                    .collect::<Result<Vec<_>, ConfigError>>()?;
                on_progress(arrivals.len() as u64);
                per
            }
        };
        for (total, q) in totals.iter_mut().zip(&per) {
            total.merge(q);
        }
    }
    Ok(totals)
}

/// Scores `thresholds` for each of `detections` on every node of `trace`,
/// with the pause and σ floor of `base`, on the whole trace (no held-out
/// part). The first `warmup` arrivals of each node are replayed but not
/// scored. Results come per detection, thresholds in the order given.
///
/// # Errors
///
/// As [`evaluate_grid`].
pub fn evaluate(
    trace: &Trace,
    base: &Config,
    detections: &[Detection],
    thresholds: &[f64],
    warmup: usize,
) -> Result<Vec<Candidate>, ConfigError> {
    let jobs: Vec<Job> = detections
        .iter()
        .map(|&detection| Job {
            detection,
            acceptable_pause: match detection {
                Detection::Timeout => Duration::ZERO,
                Detection::Phi(_) => base.acceptable_pause(),
            },
            min_std_deviation: base.min_std_deviation(),
            learning: None,
            thresholds: thresholds.to_vec(),
        })
        .collect();
    let scoring = Scoring {
        warmup,
        train_fraction: None,
    };
    evaluate_grid(trace, base, &jobs, scoring, &|_| {})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Timestamp;
    use crate::trace::NodeTrace;

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

    #[test]
    fn a_cut_trace_scores_each_gap_in_one_part() {
        // Node a spans 0..700 ms; at 2/3 the cut falls at 466.7 ms, so the
        // gaps after 0, 100 and 200 ms are the fitting part (observed up to
        // the first arrival after the cut: 0..700 ms) and none is left to
        // check. Node b: 0..900 ms, cut at 600: the gaps after 0 and 300 ms
        // fit (0..600), the gap after 600 ms is held out (600..900). A
        // 250 ms timeout misses the 500 ms gap and every 300 ms gap.
        let ms = Timestamp::from_millis;
        let a = NodeTrace::new("a", vec![ms(0), ms(100), ms(200), ms(700)]).unwrap();
        let b = NodeTrace::new("b", vec![ms(0), ms(300), ms(600), ms(900)]).unwrap();
        let trace = Trace::new(vec![a, b]);
        let scoring = Scoring {
            warmup: 0,
            train_fraction: Some(2.0 / 3.0),
        };
        assert_eq!(scoring.fit_samples(&trace), 5);
        let jobs = GridSpec {
            detections: vec![Detection::Timeout],
            thresholds: Some(vec![250.0]),
            ..GridSpec::default()
        }
        .jobs(100.0)
        .unwrap();
        let out = evaluate_grid(&trace, &Config::default(), &jobs, scoring, &|_| {}).unwrap();
        let held = out[0].held_out.unwrap();
        assert_eq!((out[0].qos.samples, out[0].qos.mistakes), (5, 3));
        assert_eq!(out[0].qos.observed_ns, 1_300_000_000);
        assert_eq!((held.samples, held.mistakes), (1, 1));
        assert_eq!(held.observed_ns, 300_000_000);
        let none = Scoring {
            warmup: 3,
            train_fraction: Some(2.0 / 3.0),
        };
        assert_eq!(none.fit_samples(&trace), 0);
    }
}
