//! `accrual tune`: score models and thresholds on a trace and recommend one.

use crate::args::{Format, TuneArgs, TuneSearchArgs};
use crate::format::{to_csv, to_json, to_table, Report};
use crate::input::{
    config_error, non_negative, positive_ms, shown, tune_options, NO_USABLE_INTERVAL,
};
use crate::per_node;
use crate::{output_error, Stop};
use accrual::simulate::Cluster;
use accrual::trace::{ReadOptions, Trace};
use accrual::tune::stream::{FileError, FileSummary};
use accrual::tune::{self, Candidate, Detection, GridSpec, Job, Scoring, Targets};
use accrual::{Config, Model};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The most thresholds a `start:end:step` range may give.
const MAX_RANGE_VALUES: f64 = 100_000.0;

/// Parses `a,b,c` or `start:end:step` (inclusive of `end` up to rounding).
fn parse_thresholds(text: &str) -> Result<Vec<f64>, String> {
    let bad = |why: &str| format!("--thresholds {}: {why}", shown(text));
    let number = |p: &str| {
        p.trim()
            .parse::<f64>()
            .map_err(|_| bad("expected a comma list or start:end:step of numbers"))
    };
    if !text.contains(':') {
        let values: Vec<f64> = text.split(',').map(number).collect::<Result<_, _>>()?;
        return match values.iter().find(|v| !v.is_finite()) {
            Some(v) => Err(bad(&format!("{v} is not a finite number"))),
            None => Ok(values),
        };
    }
    let parts: Vec<f64> = text.split(':').map(number).collect::<Result<_, _>>()?;
    let [start, end, step] = parts.as_slice() else {
        return Err(bad("expected a comma list or start:end:step"));
    };
    if !(start.is_finite() && end.is_finite() && step.is_finite()) {
        return Err(bad("start, end and step must be finite numbers"));
    }
    if *step <= 0.0 {
        return Err(bad("the step must be above 0"));
    }
    if end < start {
        return Err(bad("the end must not be below the start"));
    }
    // In f64 first (infinite if end − start overflows): a count that does
    // not fit would wrap in the cast.
    let steps = ((end - start) / step + 1e-9).floor();
    if steps >= MAX_RANGE_VALUES {
        return Err(bad(&format!(
            "more than {MAX_RANGE_VALUES} values: use a larger step"
        )));
    }
    let count = steps as usize + 1;
    Ok((0..count).map(|k| start + k as f64 * step).collect())
}

/// Where the arrivals come from: the built-in trace, in memory, or a file
/// read as a stream (twice or more, see [`tune::stream`]), so that a trace
/// larger than memory can be tuned on. Standard input is first copied to a
/// temporary file (removed at the end) because it can only be read once.
enum Input {
    Memory(Trace),
    File {
        path: PathBuf,
        label: String,
        options: ReadOptions,
        summary: FileSummary,
        _spool: Option<Spool>,
    },
}

impl Input {
    fn arrivals(&self) -> usize {
        match self {
            Input::Memory(trace) => trace.len(),
            Input::File { summary, .. } => summary.arrivals as usize,
        }
    }

    fn nodes(&self) -> usize {
        match self {
            Input::Memory(trace) => trace.nodes().len(),
            Input::File { summary, .. } => summary.nodes.len(),
        }
    }

    fn median_interval(&self) -> Option<std::time::Duration> {
        match self {
            Input::Memory(trace) => tune::median_interval(trace),
            Input::File { summary, .. } => summary.median_interval,
        }
    }

    /// The most arrivals of one node.
    fn longest(&self) -> usize {
        match self {
            Input::Memory(trace) => trace.nodes().iter().map(|n| n.arrivals().len()).max(),
            Input::File { summary, .. } => Some(summary.longest() as usize),
        }
        .unwrap_or(0)
    }
}

/// A copy of standard input in the temporary directory, removed on drop.
struct Spool(PathBuf);

impl Drop for Spool {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn spool_stdin() -> Result<Spool, String> {
    let dir = std::env::temp_dir();
    for attempt in 0..100 {
        let path = dir.join(format!(
            "accrual-tune-stdin-{}-{attempt}.csv",
            std::process::id()
        ));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(file) => {
                let spool = Spool(path);
                let mut out = io::BufWriter::new(file);
                io::copy(&mut io::stdin().lock(), &mut out)
                    .and_then(|_| out.flush())
                    .map_err(|e| {
                        format!("standard input: copying it to {}: {e}", spool.0.display())
                    })?;
                return Ok(spool);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(format!("cannot create {}: {e}", path.display())),
        }
    }
    Err(format!(
        "cannot create a temporary file for standard input in {}",
        dir.display()
    ))
}

fn load_input(args: &TuneArgs) -> Result<Input, String> {
    let Some(path) = &args.trace else {
        return Ok(Input::Memory(default_trace()?));
    };
    let options = args.input.options()?;
    let (path, label, spool) = if path == Path::new("-") {
        let spool = spool_stdin()?;
        (spool.0.clone(), "standard input".to_string(), Some(spool))
    } else {
        std::fs::File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        (path.clone(), path.display().to_string(), None)
    };
    let size = std::fs::metadata(&path).map_or(0, |m| m.len());
    let bar = bytes_bar(size, "reading the trace".to_string());
    let summary = tune::stream::summarize(&path, &options, &|n| bar.inc(n));
    bar.finish_and_clear();
    let summary = summary.map_err(|e| format!("{label}: {e}"))?;
    Ok(Input::File {
        path,
        label,
        options,
        summary,
        _spool: spool,
    })
}

/// The default share of each node's time span a configuration is chosen
/// on; the rest checks the choice.
const DEFAULT_TRAIN_FRACTION: f64 = 2.0 / 3.0;

/// What the grid searches, from the options (each given setting restricts
/// the grid to it).
fn grid_spec(search: &TuneSearchArgs) -> Result<GridSpec, String> {
    let detections: Vec<Detection> = match (&search.model, &search.models) {
        (Some(one), _) => vec![one
            .parse::<Detection>()
            .map_err(|e| format!("--model: {e}"))?],
        (None, Some(list)) => list
            .iter()
            .map(|m| m.parse::<Detection>().map_err(|e| format!("--models: {e}")))
            .collect::<Result<_, _>>()?,
        (None, None) => Detection::ALL.to_vec(),
    };
    let thresholds = match (search.threshold, &search.thresholds) {
        (Some(t), _) => Some(vec![t]),
        (None, Some(text)) => Some(parse_thresholds(text)?),
        (None, None) => None,
    };
    Ok(GridSpec {
        detections,
        thresholds,
        pauses_ms: search.pause_ms.clone(),
        min_std_ms: search.min_std_ms.clone(),
        learnings: search.rules.learning.clone(),
    })
}

/// Whether no option restricts the grid.
fn searches_defaults(search: &TuneSearchArgs) -> bool {
    search.model.is_none()
        && search.models.is_none()
        && search.threshold.is_none()
        && search.thresholds.is_none()
        && search.pause_ms.is_none()
        && search.min_std_ms.is_none()
        && search.rules.learning.is_none()
}

/// The grid for the built-in cluster when no option says otherwise: the
/// model clusters deploy (Akka's) with its default pauses and σ floors,
/// Chen's margin, each under both learning rules, and the timeout
/// baseline: 23 replays instead of the full grid's 76, so that the million
/// arrivals take seconds. `--models` scores the others.
fn builtin_grid() -> GridSpec {
    GridSpec::defaults(&[
        Detection::Phi(Model::Akka),
        Detection::Phi(Model::Chen),
        Detection::Timeout,
    ])
}

/// How the trace is scored, after checking that the warm-up and the cut
/// leave something to choose on (on a file, as far as its summary tells:
/// [`run`] checks the rest after the replay).
fn scoring(args: &TuneArgs, input: &Input) -> Result<Scoring, String> {
    let search = &args.search;
    let train_fraction = if search.no_validate {
        None
    } else {
        let f = search.train_fraction.unwrap_or(DEFAULT_TRAIN_FRACTION);
        if !(f > 0.0 && f < 1.0) {
            return Err(format!(
                "--train-fraction {f}: must be above 0 and below 1 (or use --no-validate)"
            ));
        }
        Some(f)
    };
    let scoring = Scoring {
        warmup: args.warmup,
        train_fraction,
    };
    let nothing = match input {
        Input::Memory(trace) => scoring.fit_samples(trace) == 0,
        Input::File { .. } => input.longest() <= scoring.warmup + 1,
    };
    if nothing {
        return Err(nothing_to_score(args, &scoring, input));
    }
    Ok(scoring)
}

fn nothing_to_score(args: &TuneArgs, scoring: &Scoring, input: &Input) -> String {
    let part = if scoring.train_fraction.is_some() {
        " in the part a configuration is chosen on (see --train-fraction)"
    } else {
        ""
    };
    format!(
        "--warmup {} leaves nothing to score{part}: the longest node has {} arrivals",
        args.warmup,
        input.longest()
    )
}

pub(crate) fn run(args: &TuneArgs) -> Result<(), Stop> {
    if args.per_node && !matches!(args.format, Format::Table) {
        return Err("--per-node: only with the table format".into());
    }
    let input = load_input(args)?;
    let interval_ms = input
        .median_interval()
        .map(|d| d.as_secs_f64() * 1e3)
        .ok_or("the trace has no interval to score (each node needs two arrivals)")?;
    if interval_ms <= 0.0 {
        // Every default is a multiple of this interval: name the trace,
        // not the setting a zero would break first.
        return Err(NO_USABLE_INTERVAL.into());
    }
    let search = &args.search;
    if !(search.confidence > 0.0 && search.confidence < 1.0) {
        return Err(format!(
            "--confidence {}: must be above 0 and below 1 (0.95 for 95 %)",
            search.confidence
        )
        .into());
    }
    for (option, target) in [
        ("--target-detection-ms", args.target_detection_ms),
        ("--target-mistakes-per-hour", args.target_mistakes_per_hour),
    ] {
        if let Some(value) = target {
            non_negative(option, value)?;
        }
    }
    let option_names = tune_options(if search.threshold.is_some() {
        "--threshold"
    } else {
        "--thresholds"
    });
    let first = match search.first_interval_ms {
        Some(ms) => positive_ms("--first-interval-ms", ms)?,
        None => interval_ms,
    };
    let base = search
        .rules
        .apply(Config::builder())
        .max_sample_size(search.window)
        .first_heartbeat_estimate_ms(first)
        .min_std_deviation_ms(first / 10.0)
        .acceptable_pause_ms(0.0)
        .build()
        .map_err(|e| config_error(&e, &option_names))?;
    let spec = match &args.trace {
        None if searches_defaults(search) => builtin_grid(),
        _ => grid_spec(search)?,
    };
    let jobs = spec
        .jobs(interval_ms)
        .map_err(|e| config_error(&e, &option_names))?;
    let scoring = scoring(args, &input)?;
    let candidates = match &input {
        Input::Memory(trace) => {
            evaluate_with_progress(trace, &base, &jobs, scoring, &option_names)?
        }
        Input::File {
            path,
            label,
            options,
            summary,
            ..
        } => {
            let configurations: usize = jobs.iter().map(|j| j.thresholds.len()).sum();
            let bar = bytes_bar(
                summary.bytes,
                format!(
                    "replayed ({configurations} configurations in {} replays per node)",
                    jobs.len()
                ),
            );
            let result = tune::stream::evaluate_grid_file(
                path,
                options,
                summary,
                &base,
                &jobs,
                scoring,
                &|n| bar.inc(n),
            );
            bar.finish_and_clear();
            let candidates = result.map_err(|e| match e {
                FileError::Trace(e) => format!("{label}: {e}"),
                FileError::Config(e) => config_error(&e, &option_names),
                e => e.to_string(),
            })?;
            // The cut's place is only known once the file is replayed.
            if candidates.first().is_none_or(|c| c.qos.samples == 0) {
                return Err(nothing_to_score(args, &scoring, &input).into());
            }
            candidates
        }
    };
    let stated = Targets {
        detection_ms: args.target_detection_ms,
        mistakes_per_hour: args.target_mistakes_per_hour,
    };
    let targets = if stated == Targets::default() {
        Targets::DEFAULT
    } else {
        stated
    };
    let report = Report {
        arrivals: input.arrivals(),
        nodes: input.nodes(),
        base: &base,
        interval_ms,
        candidates: &candidates,
        frontier: tune::pareto_frontier(&candidates),
        best: tune::recommend(&candidates, &targets, search.confidence),
        targets,
        confidence: search.confidence,
        scoring,
    };
    let mut text = match args.format {
        Format::Csv => to_csv(&report),
        Format::Json => to_json(&report),
        Format::Table => to_table(&report),
    };
    if let (true, Some(best)) = (args.per_node, report.best) {
        // The breakdown replays each node's own arrivals: the one place
        // where a trace file is read whole into memory.
        let read;
        let trace = match &input {
            Input::Memory(trace) => trace,
            Input::File {
                path,
                label,
                options,
                ..
            } => {
                read = std::fs::File::open(path)
                    .map_err(|e| format!("cannot open {label}: {e}"))
                    .and_then(|file| {
                        Trace::read_csv_with(file, options).map_err(|e| format!("{label}: {e}"))
                    })?;
                &read
            }
        };
        text += &per_node::breakdown(trace, &base, best.candidate, args.warmup, search.confidence)?;
    }
    let stdout = io::stdout();
    let mut out = stdout.lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(output_error)?;
    let plot = match (&args.plot, &args.trace) {
        (Some(path), _) => Some(path.clone()),
        (None, None) => Some(PathBuf::from("accrual-tune.svg")),
        (None, Some(_)) => None,
    };
    if let Some(path) = plot {
        let title = match &args.trace {
            Some(t) => format!("QoS trade-off on {}", t.display()),
            None => "QoS trade-off on the built-in simulated cluster".to_string(),
        };
        let svg = accrual::plot::tradeoff_svg(
            &candidates,
            &report.frontier,
            report.best.map(|b| b.index),
            &title,
        );
        std::fs::write(&path, svg).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

/// [`tune::evaluate_grid`] with a progress bar on standard error (hidden
/// when it is not a terminal) that follows the arrivals replayed. Errors
/// name the options in `option_names` (field, option).
pub(crate) fn evaluate_with_progress(
    trace: &Trace,
    base: &Config,
    jobs: &[Job],
    scoring: Scoring,
    option_names: &[(&str, &str)],
) -> Result<Vec<Candidate>, String> {
    let configurations: usize = jobs.iter().map(|j| j.thresholds.len()).sum();
    let total = trace.len() as u64 * jobs.len() as u64;
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} {elapsed_precise} [{bar:30}] {human_pos}/{human_len} arrivals replayed, \
             ETA {eta} {msg}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.set_message(format!(
        "({configurations} configurations in {} replays)",
        jobs.len()
    ));
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    let result = tune::evaluate_grid(trace, base, jobs, scoring, &|n| bar.inc(n));
    bar.finish_and_clear();
    result.map_err(|e| config_error(&e, option_names))
}

/// A progress bar on standard error (hidden when it is not a terminal)
/// over `total` bytes of a trace file, with an ETA.
fn bytes_bar(total: u64, message: String) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} {elapsed_precise} [{bar:30}] {bytes}/{total_bytes} {msg}, ETA {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.set_message(message);
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
}

/// The built-in input of `tune`: the built-in cluster of twelve peers on
/// different links (see `accrual::simulate::Cluster`), one day each at
/// Akka's default heartbeat interval of 1 s, seed 2004. A day per peer is
/// what "at most one mistake per hour" needs: with no mistake in 12 × 24
/// peer-hours the 95 % upper bound is about 0.013 per hour. A 1 s interval
/// keeps the search within seconds: about a million arrivals.
pub(crate) fn default_trace() -> Result<Trace, String> {
    Cluster::builtin(DEFAULT_CLUSTER_DURATION, Duration::from_secs(1), 2004)
        .map(|cluster| cluster.generate())
        .map_err(|e| e.to_string())
}

/// How long the built-in cluster runs.
const DEFAULT_CLUSTER_DURATION: Duration = Duration::from_secs(86_400);
