//! Tuning on a trace file without holding it in memory.
//!
//! [`summarize`] reads the file once for what the grid and the
//! out-of-sample cut need: each node's first and last arrival and its
//! count, and the exact median interval (see `median`: a bounded histogram,
//! then usually one more pass over the file that counts only the intervals
//! near the median). [`evaluate_grid_file`] then reads it once more and
//! replays every job of the grid at once, one replay state per (node, job),
//! through the same per-arrival core as the in-memory [`evaluate_grid`](super::evaluate_grid)
//! (`qos::SweepNode`), so the two give identical results (tested).
//!
//! Memory grows with nodes × jobs × window, never with the file: a row is
//! parsed, handed to the replays and dropped. The replays run on parallel
//! threads (jobs dealt out, at most one thread per core) fed in batches by
//! the reading thread.

use super::median::Histogram;
use super::{candidates, job_config, timeout, Candidate, Job, Scoring};
use crate::config::{Config, ConfigError};
use crate::qos::{split_cut, Part, SplitQos, Sweep, SweepNode};
use crate::trace::{ReadOptions, Reader, TraceError};
use std::fmt;
use std::fs::File;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// Why a file could not be tuned on.
#[derive(Debug)]
#[non_exhaustive]
pub enum FileError {
    /// The file could not be opened or read, or a row is invalid.
    Trace(TraceError),
    /// A setting of the grid is invalid.
    Config(ConfigError),
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileError::Trace(e) => e.fmt(f),
            FileError::Config(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for FileError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            FileError::Trace(e) => Some(e),
            FileError::Config(e) => Some(e),
        }
    }
}

impl From<TraceError> for FileError {
    fn from(e: TraceError) -> Self {
        FileError::Trace(e)
    }
}

impl From<ConfigError> for FileError {
    fn from(e: ConfigError) -> Self {
        FileError::Config(e)
    }
}

/// One node's span, from the first pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Span {
    first: u64,
    last: u64,
    arrivals: u64,
}

/// What the first pass over a trace file found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileSummary {
    /// The file's size in bytes when it was summarized.
    pub bytes: u64,
    /// Arrivals in the file.
    pub arrivals: u64,
    /// The median inter-arrival time over all nodes, as
    /// [`median_interval`](super::median_interval) gives it on the same
    /// trace in memory; `None` without any interval.
    pub median_interval: Option<Duration>,
    /// The names of the nodes, in order of first appearance.
    pub nodes: Vec<String>,
    spans: Vec<Span>,
}

impl FileSummary {
    /// The most arrivals of any one node.
    pub fn longest(&self) -> u64 {
        self.spans.iter().map(|s| s.arrivals).max().unwrap_or(0)
    }
}

fn open(path: &Path, options: &ReadOptions) -> Result<Reader<File>, TraceError> {
    let file = File::open(path).map_err(|e| TraceError::Io {
        line: 0,
        message: format!("cannot open {}: {e}", path.display()),
    })?;
    Reader::new(file, options)
}

/// Calls `each(node, arrival_ns)` for every row of the file, and
/// `on_progress` with the bytes read since its last call.
fn for_each_row(
    path: &Path,
    options: &ReadOptions,
    on_progress: &dyn Fn(u64),
    mut each: impl FnMut(usize, u64),
) -> Result<Reader<File>, TraceError> {
    let mut reader = open(path, options)?;
    let mut reported = 0;
    let mut rows = 0u32;
    while let Some(record) = reader.next() {
        let record = record?;
        each(record.node, record.at.as_nanos());
        rows = rows.wrapping_add(1);
        if rows % 65_536 == 0 {
            let now = reader.bytes_read();
            on_progress(now - reported);
            reported = now;
        }
    }
    on_progress(reader.bytes_read().saturating_sub(reported));
    Ok(reader)
}

/// Reads the trace file at `path` for what [`evaluate_grid_file`] needs
/// first: the nodes' spans and the exact median interval. Usually two
/// passes over the file (see the module documentation); `on_progress` gets
/// the bytes read as they go.
///
/// # Errors
///
/// [`TraceError`] for a file that cannot be read or a row that is invalid,
/// as [`Trace::read_csv_with`](crate::trace::Trace::read_csv_with) reports
/// it.
pub fn summarize(
    path: &Path,
    options: &ReadOptions,
    on_progress: &dyn Fn(u64),
) -> Result<FileSummary, TraceError> {
    let mut spans: Vec<Span> = Vec::new();
    let mut histogram = Histogram::new();
    let reader = for_each_row(path, options, on_progress, |node, at| {
        if node == spans.len() {
            spans.push(Span {
                first: at,
                last: at,
                arrivals: 1,
            });
        } else {
            let span = &mut spans[node];
            histogram.add(at - span.last);
            span.last = at;
            span.arrivals += 1;
        }
    })?;
    let bytes = reader.bytes_read();
    let nodes = reader.nodes().to_vec();
    let mut median = histogram.median_bucket();
    while let Some(narrowing) = median.filter(|n| n.value().is_none()) {
        let mut counter = narrowing.counter();
        let mut last: Vec<Option<u64>> = vec![None; spans.len()];
        for_each_row(path, options, &|_| {}, |node, at| {
            if let Some(Some(previous)) = last.get(node) {
                counter.add(at - previous);
            }
            if let Some(slot) = last.get_mut(node) {
                *slot = Some(at);
            }
        })?;
        median = Some(counter.finish());
    }
    Ok(FileSummary {
        bytes,
        arrivals: spans.iter().map(|s| s.arrivals).sum(),
        median_interval: median.and_then(|n| n.value()).map(Duration::from_nanos),
        nodes,
        spans,
    })
}

/// How one job replays.
enum JobReplay {
    // Boxed: a handful of jobs, and the enum stays small for the timeout.
    Phi(Box<Sweep>),
    /// The timeouts in ns.
    Timeout(Vec<u64>),
}

/// One job's state on one node.
enum NodeReplay {
    Phi(SweepNode),
    Timeout {
        pending: Option<(u64, Part)>,
        scores: Vec<SplitQos>,
    },
}

impl JobReplay {
    fn node(&self) -> NodeReplay {
        match self {
            JobReplay::Phi(sweep) => NodeReplay::Phi(sweep.node()),
            JobReplay::Timeout(d) => NodeReplay::Timeout {
                pending: None,
                scores: vec![SplitQos::default(); d.len()],
            },
        }
    }

    #[inline]
    fn push(&self, node: &mut NodeReplay, a: u64, seq: Option<u64>, part: Part) {
        match (self, node) {
            (JobReplay::Phi(sweep), NodeReplay::Phi(n)) => n.push(sweep, a, seq, part),
            (JobReplay::Timeout(ds), NodeReplay::Timeout { pending, scores }) => {
                // As `qos::score_timeout_split`: every gap, in order.
                if let Some((p, part)) = pending.replace((a, part)) {
                    for (q, &d) in scores.iter_mut().zip(ds) {
                        q.record_part(part, d, a.saturating_sub(p));
                    }
                }
            }
            _ => unreachable!("a node's replay is built by its job"),
        }
    }

    fn add_to(&self, node: &NodeReplay, totals: &mut [SplitQos]) {
        match (self, node) {
            (JobReplay::Phi(sweep), NodeReplay::Phi(n)) => sweep.add_to(n, totals),
            (JobReplay::Timeout(_), NodeReplay::Timeout { scores, .. }) => {
                for (t, q) in totals.iter_mut().zip(scores) {
                    t.merge(q);
                }
            }
            _ => unreachable!("a node's replay is built by its job"),
        }
    }
}

/// Arrivals handed to the replay threads at a time.
const BATCH: usize = 16_384;

/// A batch of rows: node, arrival (ns) and the part its following gap is
/// scored in.
/// Rows for the workers: node, arrival (ns), the sender's number if the
/// trace has one, and the part its following gap is scored in.
type Batch = Arc<Vec<(u32, u64, Option<u64>, Part)>>;

/// [`evaluate_grid`](super::evaluate_grid) on the trace file at `path`,
/// streamed: `summary` is [`summarize`]'s of the same file. `on_progress`
/// gets the bytes read as the replay goes (the total is
/// [`FileSummary::bytes`]). Results are those of `evaluate_grid` on the
/// trace read into memory, bit for bit.
///
/// # Errors
///
/// [`FileError::Config`] as `evaluate_grid`, before anything is read;
/// [`FileError::Trace`] for a file that cannot be read or an invalid row.
pub fn evaluate_grid_file(
    path: &Path,
    options: &ReadOptions,
    summary: &FileSummary,
    base: &Config,
    jobs: &[Job],
    scoring: Scoring,
    on_progress: &(dyn Fn(u64) + Sync),
) -> Result<Vec<Candidate>, FileError> {
    let mut replays = Vec::with_capacity(jobs.len());
    for job in jobs {
        replays.push(match job_config(base, job)? {
            Some(config) => JobReplay::Phi(Box::new(Sweep::new(&config, &job.thresholds)?)),
            None => JobReplay::Timeout(
                job.thresholds
                    .iter()
                    .map(|&ms| Ok(u64::try_from(timeout(ms)?.as_nanos()).unwrap_or(u64::MAX)))
                    .collect::<Result<_, ConfigError>>()?,
            ),
        });
    }
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(jobs.len())
        .max(1);
    let cuts: Vec<Option<u64>> = summary
        .spans
        .iter()
        .map(|s| {
            scoring
                .train_fraction
                .and_then(|f| split_cut(s.first, s.last, f))
        })
        .collect();
    // Per node: arrivals seen, the previous one and its part, and the
    // observed time of each part (the same for every configuration).
    let mut seen = vec![0usize; cuts.len()];
    let mut previous: Vec<Option<(u64, Part)>> = vec![None; cuts.len()];
    let mut observed = SplitQos::default();
    let (per_job, read) = std::thread::scope(|scope| {
        let mut senders = Vec::with_capacity(workers);
        let mut handles = Vec::with_capacity(workers);
        for w in 0..workers {
            let (tx, rx) = crossbeam_channel::bounded::<Batch>(4);
            senders.push(tx);
            let mine: Vec<usize> = (w..jobs.len()).step_by(workers).collect();
            let replays = &replays;
            let nodes = cuts.len();
            handles.push(scope.spawn(move || {
                let mut states: Vec<Vec<NodeReplay>> = mine
                    .iter()
                    .map(|&k| (0..nodes).map(|_| replays[k].node()).collect())
                    .collect();
                for batch in rx {
                    for (j, &k) in mine.iter().enumerate() {
                        let job = &replays[k];
                        let states = &mut states[j];
                        for &(node, a, seq, part) in batch.iter() {
                            job.push(&mut states[node as usize], a, seq, part);
                        }
                    }
                }
                mine.into_iter().zip(states).collect::<Vec<_>>()
            }));
        }
        let mut batch = Vec::with_capacity(BATCH);
        let send = |batch: &mut Vec<(u32, u64, Option<u64>, Part)>| {
            let full: Batch = Arc::new(std::mem::replace(batch, Vec::with_capacity(BATCH)));
            for tx in &senders {
                // A worker only stops early by panicking, reported below.
                let _ = tx.send(Arc::clone(&full));
            }
        };
        let mut reported = 0;
        let read = (|| -> Result<(), TraceError> {
            let mut reader = open(path, options)?;
            while let Some(record) = reader.next() {
                let record = record?;
                let (node, a) = (record.node, record.at.as_nanos());
                let Some(&cut) = cuts.get(node) else {
                    return Err(TraceError::Io {
                        line: record.line,
                        message: "the file changed since it was summarized".to_string(),
                    });
                };
                let part = if seen[node] < scoring.warmup {
                    Part::Warmup
                } else if cut.is_none_or(|c| a < c) {
                    Part::Fit
                } else {
                    Part::HeldOut
                };
                seen[node] += 1;
                match previous[node].replace((a, part)) {
                    Some((p, Part::Fit)) => observed.fit.observed_ns += u128::from(a - p),
                    Some((p, Part::HeldOut)) => {
                        observed.held_out.observed_ns += u128::from(a - p);
                    }
                    _ => {}
                }
                batch.push((node as u32, a, record.seq, part));
                if batch.len() == BATCH {
                    send(&mut batch);
                    let now = reader.bytes_read();
                    on_progress(now - reported);
                    reported = now;
                }
            }
            send(&mut batch);
            on_progress(reader.bytes_read().saturating_sub(reported));
            Ok(())
        })();
        drop(senders);
        let per_job: Vec<_> = handles.into_iter().map(|h| h.join()).collect();
        (per_job, read)
    });
    read?;
    let mut totals: Vec<Option<Vec<SplitQos>>> = vec![None; jobs.len()];
    for result in per_job {
        let Ok(done) = result else {
            return Err(FileError::Config(ConfigError::UnknownModel {
                name: "internal error: a scoring thread panicked".to_string(),
            }));
        };
        for (k, states) in done {
            let mut t = vec![observed; jobs[k].thresholds.len()];
            for state in &states {
                replays[k].add_to(state, &mut t);
            }
            totals[k] = Some(t);
        }
    }
    let totals = totals.into_iter().map(Option::unwrap_or_default).collect();
    Ok(candidates(jobs, totals, scoring))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulate::{self, Profile, Scenario};
    use crate::trace::Trace;
    use crate::tune::{evaluate_grid, median_interval, Detection, GridSpec};

    /// A trace file in the temporary directory, removed when dropped.
    struct TempFile(std::path::PathBuf);

    impl Drop for TempFile {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    fn write(trace: &Trace, name: &str) -> TempFile {
        let path = std::env::temp_dir().join(format!(
            "accrual-stream-test-{}-{name}.csv",
            std::process::id()
        ));
        let mut out = Vec::new();
        trace.write_csv(&mut out).unwrap();
        std::fs::write(&path, out).unwrap();
        TempFile(path)
    }

    #[test]
    fn the_streamed_replay_equals_the_replay_in_memory() {
        // Interleaved nodes with losses and pauses (the `flaky` profile) so
        // that groups of thresholds split and join; every detection kind.
        let scenario = Scenario::builder(Profile::Flaky)
            .duration_s(240.0)
            .nodes(3)
            .seed(16)
            .build()
            .unwrap();
        let file = write(&simulate::generate(&scenario), "flaky");
        let options = ReadOptions::new();
        let trace = Trace::read_csv(File::open(&file.0).unwrap()).unwrap();
        let bytes = std::sync::atomic::AtomicU64::new(0);
        let count = |n: u64| {
            bytes.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
        };
        let summary = summarize(&file.0, &options, &count).unwrap();
        assert_eq!(summary.median_interval, median_interval(&trace));
        assert_eq!(summary.arrivals, trace.len() as u64);
        assert_eq!(summary.nodes.len(), trace.nodes().len());
        let interval_ms = summary.median_interval.unwrap().as_secs_f64() * 1e3;
        let jobs = GridSpec::defaults(&Detection::ALL)
            .jobs(interval_ms)
            .unwrap();
        let base = Config::default();
        for (warmup, train_fraction) in [(0, None), (25, Some(2.0 / 3.0)), (5, Some(0.3))] {
            let scoring = Scoring {
                warmup,
                train_fraction,
            };
            bytes.store(0, std::sync::atomic::Ordering::Relaxed);
            let streamed =
                evaluate_grid_file(&file.0, &options, &summary, &base, &jobs, scoring, &count)
                    .unwrap();
            let in_memory = evaluate_grid(&trace, &base, &jobs, scoring, &|_| {}).unwrap();
            assert_eq!(streamed, in_memory, "{scoring:?}");
            assert_eq!(
                bytes.load(std::sync::atomic::Ordering::Relaxed),
                summary.bytes
            );
        }
    }

    #[test]
    fn a_bad_setting_fails_before_reading_and_a_bad_row_names_its_line() {
        let file = TempFile(std::env::temp_dir().join(format!(
            "accrual-stream-test-{}-bad.csv",
            std::process::id()
        )));
        std::fs::write(&file.0, "node,arrival_ms\na,0\na,100\na,50\n").unwrap();
        let options = ReadOptions::new();
        let err = summarize(&file.0, &options, &|_| {}).unwrap_err();
        assert!(
            matches!(err, TraceError::OutOfOrder { line: 4, .. }),
            "{err}"
        );
        let jobs = GridSpec {
            detections: vec![Detection::Timeout],
            thresholds: Some(vec![-1.0]),
            ..GridSpec::default()
        }
        .jobs(100.0)
        .unwrap();
        let summary = FileSummary {
            bytes: 0,
            arrivals: 0,
            median_interval: None,
            nodes: vec![],
            spans: vec![],
        };
        let scoring = Scoring {
            warmup: 0,
            train_fraction: None,
        };
        let err = evaluate_grid_file(
            &file.0,
            &options,
            &summary,
            &Config::default(),
            &jobs,
            scoring,
            &|_| {},
        )
        .unwrap_err();
        assert!(matches!(err, FileError::Config(_)), "{err}");
    }
}
