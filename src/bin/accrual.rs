//! `accrual`: replay heartbeat traces, score detectors on them, recommend
//! thresholds, and simulate networks. A thin shell over the library.

use accrual::simulate::{self, Profile, Scenario};
use accrual::trace::Trace;
use accrual::tune::{self, Candidate, Detection, Targets};
use accrual::{Config, Detector, Model, Timestamp};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{self, BufRead, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "accrual",
    version,
    about = "Phi accrual failure detection from the command line"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Feed heartbeats from standard input and print phi or availability.
    ///
    /// Lines: `hb <node> <t_ms>`, `phi <node> <t_ms>`, `up <node> <t_ms>`
    /// (fields separated by spaces or commas; blank lines and lines starting
    /// with `#` are ignored).
    Phi(PhiArgs),
    /// Score models and thresholds on a trace and recommend one.
    Tune(TuneArgs),
    /// Write a simulated heartbeat trace (CSV `node,arrival_ms`) to stdout.
    Simulate(SimulateArgs),
    /// Draw a node's phi over time, and optionally the QoS trade-off, as SVG.
    Plot(PlotArgs),
}

/// Detector settings shared by the subcommands.
#[derive(Args, Clone, Debug)]
struct DetectorArgs {
    /// Suspicion model: normal, akka, exponential, chen, 2w-fd, bertier or
    /// empirical.
    #[arg(long, default_value = "normal", value_parser = parse_model)]
    model: Model,
    /// Phi threshold.
    #[arg(long, default_value_t = 8.0)]
    threshold: f64,
    /// Window size (maximum number of intervals kept).
    #[arg(long, default_value_t = 1000)]
    window: usize,
    /// Floor on the standard deviation, in ms [default: first interval / 10].
    #[arg(long)]
    min_std_ms: Option<f64>,
    /// Acceptable heartbeat pause, in ms [default: 3 × first interval for
    /// `phi`; 0 for `tune`, which scores the thresholds themselves].
    #[arg(long)]
    pause_ms: Option<f64>,
    /// First heartbeat estimate, in ms [default: 1000, or the trace's median
    /// interval for `tune`].
    #[arg(long)]
    first_interval_ms: Option<f64>,
}

/// A model by name, for clap.
fn parse_model(name: &str) -> Result<Model, String> {
    name.parse::<Model>().map_err(|e| e.to_string())
}

impl DetectorArgs {
    /// The configuration, with unset durations derived from `interval_ms`
    /// and an unset pause of `default_pauses` first intervals.
    fn config(&self, interval_ms: f64, default_pauses: f64) -> Result<Config, String> {
        let first = self.first_interval_ms.unwrap_or(interval_ms);
        Config::builder()
            .model(self.model)
            .threshold(self.threshold)
            .max_sample_size(self.window)
            .first_heartbeat_estimate_ms(first)
            .min_std_deviation_ms(self.min_std_ms.unwrap_or(first / 10.0))
            .acceptable_pause_ms(self.pause_ms.unwrap_or(default_pauses * first))
            .build()
            .map_err(|e| e.to_string())
    }
}

#[derive(Args)]
struct PhiArgs {
    #[command(flatten)]
    detector: DetectorArgs,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Format {
    Table,
    Csv,
    Json,
}

#[derive(Args)]
struct TuneArgs {
    /// Trace CSV (header with `arrival_ms` and optionally `node`); without it
    /// a built-in simulated WAN trace is used.
    #[arg(long)]
    trace: Option<PathBuf>,
    /// Models to score, comma separated: normal, akka, exponential, chen,
    /// 2w-fd, bertier, empirical, timeout.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "normal,akka,exponential,chen,2w-fd,bertier,empirical,timeout"
    )]
    models: Vec<String>,
    /// Thresholds: a comma list or `start:end:step`. They are phi values,
    /// except for `chen` and `2w-fd` (margins in ms), `bertier` (multiples
    /// of its margin) and `timeout` (ms) [default: phi 0.5 to 16; margins
    /// 0.1 to 15 and timeouts 1.25 to 16 × the median interval; Bertier
    /// 0.25 to 48].
    #[arg(long)]
    thresholds: Option<String>,
    #[command(flatten)]
    detector: DetectorArgs,
    /// The first N arrivals of each node are replayed but not scored.
    #[arg(long, default_value_t = 0)]
    warmup: usize,
    /// Recommend a configuration whose mean detection time is at most this.
    #[arg(long)]
    target_detection_ms: Option<f64>,
    /// Recommend a configuration with at most this many mistakes per hour.
    #[arg(long)]
    target_mistakes_per_hour: Option<f64>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Write the trade-off chart (mean detection time against mistakes per
    /// hour) to this SVG file [default without --trace: accrual-tune.svg].
    #[arg(long)]
    plot: Option<PathBuf>,
}

#[derive(Args)]
struct SimulateArgs {
    /// Network profile.
    #[arg(long, default_value = "wan")]
    profile: String,
    /// Heartbeat interval in ms [default: the profile's].
    #[arg(long)]
    interval_ms: Option<f64>,
    /// Length of the trace in seconds.
    #[arg(long, default_value_t = 600.0)]
    duration_s: f64,
    /// Number of sending nodes.
    #[arg(long, default_value_t = 1)]
    nodes: usize,
    /// Random seed.
    #[arg(long, default_value_t = 2004)]
    seed: u64,
}

#[derive(Args)]
struct PlotArgs {
    /// Trace CSV (header with `arrival_ms` and optionally `node`).
    #[arg(long)]
    trace: PathBuf,
    /// The node to draw [default: the first in the trace].
    #[arg(long)]
    node: Option<String>,
    /// Start of the drawn range, in ms [default: 10 s before the middle of
    /// the node's longest gap].
    #[arg(long)]
    from_ms: Option<f64>,
    /// End of the drawn range, in ms [default: 20 s after the start].
    #[arg(long)]
    to_ms: Option<f64>,
    #[command(flatten)]
    detector: DetectorArgs,
    /// Output file for phi over time.
    #[arg(long, default_value = "accrual-phi.svg")]
    out: PathBuf,
    /// Also score all models on the trace and write the trade-off chart here.
    #[arg(long)]
    tradeoff: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Phi(args) => run_phi(&args),
        Command::Tune(args) => run_tune(&args),
        Command::Simulate(args) => run_simulate(&args),
        Command::Plot(args) => run_plot(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("accrual: {message}");
            ExitCode::from(2)
        }
    }
}

/// One parsed line of `accrual phi` input.
enum Event<'a> {
    Heartbeat(&'a str, Timestamp),
    Phi(&'a str, Timestamp, &'a str),
    Up(&'a str, Timestamp, &'a str),
}

fn parse_event(line: &str) -> Result<Option<Event<'_>>, String> {
    let trimmed = line.trim();
    if trimmed.is_empty() || trimmed.starts_with('#') {
        return Ok(None);
    }
    let fields: Vec<&str> = trimmed
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|f| !f.is_empty())
        .collect();
    let [kind, node, t] = fields.as_slice() else {
        return Err(format!(
            "expected 3 fields `<hb|phi|up> <node> <t_ms>`, found {}",
            fields.len()
        ));
    };
    let at = t
        .parse::<f64>()
        .ok()
        .and_then(|ms| Timestamp::try_from_millis_f64(ms).ok())
        .ok_or_else(|| format!("{t:?} is not a non-negative number of milliseconds"))?;
    match *kind {
        "hb" => Ok(Some(Event::Heartbeat(node, at))),
        "phi" => Ok(Some(Event::Phi(node, at, t))),
        "up" => Ok(Some(Event::Up(node, at, t))),
        other => Err(format!("unknown event {other:?}: expected hb, phi or up")),
    }
}

fn run_phi(args: &PhiArgs) -> Result<(), String> {
    let config = args.detector.config(1000.0, 3.0)?;
    let mut detectors: HashMap<String, Detector> = HashMap::new();
    let stdin = io::stdin();
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    for (i, line) in stdin.lock().lines().enumerate() {
        let line_no = i + 1;
        let line = line.map_err(|e| format!("line {line_no}: {e}"))?;
        let event = parse_event(&line).map_err(|e| {
            // What was printed so far stays valid: flush it first.
            let _ = out.flush();
            format!("line {line_no}: {e}")
        })?;
        let written = match event {
            None => Ok(()),
            Some(Event::Heartbeat(node, at)) => {
                let detector = detectors
                    .entry(node.to_string())
                    .or_insert_with(|| Detector::new(config.clone()));
                if let Err(e) = detector.heartbeat(at) {
                    let _ = out.flush();
                    eprintln!("line {line_no}: node {node}: {e}");
                }
                Ok(())
            }
            Some(Event::Phi(node, at, t)) => {
                let phi = detectors.get(node).map_or(0.0, |d| d.phi(at));
                writeln!(out, "{node} {t} {phi}")
            }
            Some(Event::Up(node, at, t)) => {
                let up = detectors.get(node).is_none_or(|d| d.is_available(at));
                writeln!(out, "{node} {t} {up}")
            }
        };
        written.map_err(|e| format!("writing output: {e}"))?;
    }
    out.flush().map_err(|e| format!("writing output: {e}"))
}

/// Parses `a,b,c` or `start:end:step` (inclusive of `end` up to rounding).
fn parse_thresholds(text: &str) -> Result<Vec<f64>, String> {
    let bad = || format!("--thresholds {text:?}: expected a comma list or start:end:step");
    if text.contains(':') {
        let parts: Vec<f64> = text
            .split(':')
            .map(|p| p.trim().parse::<f64>().map_err(|_| bad()))
            .collect::<Result<_, _>>()?;
        let [start, end, step] = parts.as_slice() else {
            return Err(bad());
        };
        if !(step.is_finite() && *step > 0.0 && start.is_finite() && end >= start) {
            return Err(bad());
        }
        let count = ((end - start) / step + 1e-9).floor() as usize + 1;
        if count > 100_000 {
            return Err(format!("--thresholds {text:?}: more than 100000 values"));
        }
        Ok((0..count).map(|k| start + k as f64 * step).collect())
    } else {
        text.split(',')
            .map(|p| p.trim().parse::<f64>().map_err(|_| bad()))
            .collect()
    }
}

fn read_trace(path: &std::path::Path) -> Result<Trace, String> {
    let file =
        std::fs::File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    Trace::read_csv(io::BufReader::new(file)).map_err(|e| format!("{}: {e}", path.display()))
}

fn load_trace(args: &TuneArgs) -> Result<Trace, String> {
    match &args.trace {
        Some(path) => read_trace(path),
        None => default_trace(),
    }
}

fn run_plot(args: &PlotArgs) -> Result<(), String> {
    let trace = read_trace(&args.trace)?;
    let node = match &args.node {
        Some(name) => trace
            .nodes()
            .iter()
            .find(|n| n.name() == name)
            .ok_or_else(|| format!("node {name:?} is not in the trace"))?,
        None => trace.nodes().first().ok_or("the trace is empty")?,
    };
    let interval_ms = tune::median_interval(&trace)
        .map(|d| d.as_secs_f64() * 1e3)
        .ok_or("the trace has no interval (each node needs two arrivals)")?;
    let config = args.detector.config(interval_ms, 0.0)?;
    let arrivals = node.arrivals();
    // Default range: 20 s around the middle of the longest gap.
    let middle = arrivals
        .windows(2)
        .max_by_key(|w| w[1].as_nanos() - w[0].as_nanos())
        .map_or(0.0, |w| (w[0].as_millis_f64() + w[1].as_millis_f64()) / 2.0);
    let from_ms = args.from_ms.unwrap_or((middle - 10_000.0).max(0.0));
    let to_ms = args.to_ms.unwrap_or(from_ms + 20_000.0);
    let stamp = |ms: f64, flag: &str| {
        Timestamp::try_from_millis_f64(ms).map_err(|e| format!("{flag}: {e}"))
    };
    let (from, to) = (stamp(from_ms, "--from-ms")?, stamp(to_ms, "--to-ms")?);
    if to <= from {
        return Err("--to-ms must be after --from-ms".to_string());
    }
    let title = format!(
        "phi of {} ({} model, threshold {})",
        node.name(),
        config.model(),
        config.threshold()
    );
    let svg = accrual::plot::phi_timeline_svg(arrivals, &config, from, to, &title);
    std::fs::write(&args.out, svg)
        .map_err(|e| format!("cannot write {}: {e}", args.out.display()))?;
    eprintln!("wrote {}", args.out.display());
    if let Some(path) = &args.tradeoff {
        let plan: Vec<(Detection, Vec<f64>)> = Detection::ALL
            .iter()
            .map(|&d| (d, tune::default_thresholds(d, interval_ms)))
            .collect();
        let candidates = evaluate_with_progress(&trace, &config, &plan, 0)?;
        let best = tune::recommend(&candidates, &Targets::DEFAULT);
        let title = format!("QoS trade-off on {}", args.trace.display());
        std::fs::write(path, accrual::plot::tradeoff_svg(&candidates, best, &title))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

fn run_tune(args: &TuneArgs) -> Result<(), String> {
    let trace = load_trace(args)?;
    let interval_ms = tune::median_interval(&trace)
        .map(|d| d.as_secs_f64() * 1e3)
        .ok_or("the trace has no interval to score (each node needs two arrivals)")?;
    let base = args.detector.config(interval_ms, 0.0)?;
    let detections: Vec<Detection> = args
        .models
        .iter()
        .map(|m| m.parse::<Detection>().map_err(|e| e.to_string()))
        .collect::<Result<_, _>>()?;
    let explicit = args
        .thresholds
        .as_deref()
        .map(parse_thresholds)
        .transpose()?;
    let plan: Vec<(Detection, Vec<f64>)> = detections
        .iter()
        .map(|&detection| {
            let thresholds = match &explicit {
                Some(t) => t.clone(),
                None => tune::default_thresholds(detection, interval_ms),
            };
            (detection, thresholds)
        })
        .collect();
    let candidates = evaluate_with_progress(&trace, &base, &plan, args.warmup)?;
    let stated = Targets {
        detection_ms: args.target_detection_ms,
        mistakes_per_hour: args.target_mistakes_per_hour,
    };
    let targets = if stated == Targets::default() {
        Targets::DEFAULT
    } else {
        stated
    };
    let best = tune::recommend(&candidates, &targets);
    let text = match args.format {
        Format::Csv => to_csv(&candidates),
        Format::Json => to_json(&candidates, best),
        Format::Table => to_table(&trace, &base, &candidates, best, &targets),
    };
    let stdout = io::stdout();
    let mut out = stdout.lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| format!("writing output: {e}"))?;
    let plot = match (&args.plot, &args.trace) {
        (Some(path), _) => Some(path.clone()),
        (None, None) => Some(PathBuf::from("accrual-tune.svg")),
        (None, Some(_)) => None,
    };
    if let Some(path) = plot {
        let title = match &args.trace {
            Some(t) => format!("QoS trade-off on {}", t.display()),
            None => "QoS trade-off on the built-in simulated WAN trace".to_string(),
        };
        std::fs::write(
            &path,
            accrual::plot::tradeoff_svg(&candidates, best, &title),
        )
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

/// [`tune::evaluate_plan`] with a progress bar on standard error (hidden
/// when it is not a terminal).
fn evaluate_with_progress(
    trace: &Trace,
    base: &Config,
    plan: &[(Detection, Vec<f64>)],
    warmup: usize,
) -> Result<Vec<Candidate>, String> {
    let configurations: usize = plan.iter().map(|(_, t)| t.len()).sum();
    let bar = indicatif::ProgressBar::new(plan.len() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} {elapsed_precise} [{bar:30}] {pos}/{len} models {msg}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.set_message(format!(
        "({configurations} configurations on {} arrivals)",
        trace.len()
    ));
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    let result = tune::evaluate_plan(trace, base, plan, warmup, &|_| bar.inc(1));
    bar.finish_and_clear();
    result.map_err(|e| e.to_string())
}

const CSV_HEADER: &str = "model,threshold,samples,mean_detection_ms,max_detection_ms,mistakes,\
mistake_ms,mistakes_per_hour,mean_mistake_ms,query_accuracy";

fn csv_row(c: &Candidate) -> String {
    let q = &c.qos;
    format!(
        "{},{},{},{},{},{},{},{},{},{}",
        c.detection,
        c.threshold,
        q.samples,
        q.mean_detection_ms(),
        q.max_detection_ms(),
        q.mistakes,
        q.mistake_ms(),
        q.mistakes_per_hour(),
        q.mean_mistake_ms(),
        q.query_accuracy()
    )
}

fn to_csv(candidates: &[Candidate]) -> String {
    let mut s = String::from(CSV_HEADER);
    s.push('\n');
    for c in candidates {
        s.push_str(&csv_row(c));
        s.push('\n');
    }
    s
}

fn json_number(x: f64) -> String {
    if x.is_finite() {
        format!("{x}")
    } else {
        "null".to_string()
    }
}

fn json_candidate(c: &Candidate) -> String {
    let q = &c.qos;
    format!(
        "{{\"model\":\"{}\",\"threshold\":{},\"samples\":{},\"mean_detection_ms\":{},\
         \"max_detection_ms\":{},\"mistakes\":{},\"mistake_ms\":{},\"mistakes_per_hour\":{},\
         \"mean_mistake_ms\":{},\"query_accuracy\":{},\"mean_recurrence_s\":{}}}",
        c.detection,
        json_number(c.threshold),
        q.samples,
        json_number(q.mean_detection_ms()),
        json_number(q.max_detection_ms()),
        q.mistakes,
        json_number(q.mistake_ms()),
        json_number(q.mistakes_per_hour()),
        json_number(q.mean_mistake_ms()),
        json_number(q.query_accuracy()),
        json_number(q.mean_recurrence_s())
    )
}

fn to_json(candidates: &[Candidate], best: Option<&Candidate>) -> String {
    let rows: Vec<String> = candidates.iter().map(json_candidate).collect();
    format!(
        "{{\"results\":[{}],\"recommended\":{}}}\n",
        rows.join(","),
        best.map_or("null".to_string(), json_candidate)
    )
}

fn to_table(
    trace: &Trace,
    base: &Config,
    candidates: &[Candidate],
    best: Option<&Candidate>,
    targets: &Targets,
) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} arrivals from {} node(s); window {}, min σ {:?}, pause {:?}, first interval {:?}\n",
        trace.len(),
        trace.nodes().len(),
        base.max_sample_size(),
        base.min_std_deviation(),
        base.acceptable_pause(),
        base.first_heartbeat_estimate()
    );
    let _ = writeln!(
        s,
        "{:<12} {:>10} {:>9} {:>14} {:>13} {:>9} {:>12} {:>11} {:>13} {:>12} {:>14}",
        "model",
        "threshold",
        "samples",
        "mean_detect_ms",
        "max_detect_ms",
        "mistakes",
        "mistake_ms",
        "mistakes/h",
        "mean_mist_ms",
        "query_acc",
        "recurrence_s"
    );
    for c in candidates {
        let q = &c.qos;
        let mark = if best.is_some_and(|b| std::ptr::eq(b, c)) {
            " <="
        } else {
            ""
        };
        let _ = writeln!(
            s,
            "{:<12} {:>10} {:>9} {:>14.1} {:>13.1} {:>9} {:>12.1} {:>11.3} {:>13.1} {:>12.7} {:>14.1}{}",
            c.detection.name(),
            c.threshold,
            q.samples,
            q.mean_detection_ms(),
            q.max_detection_ms(),
            q.mistakes,
            q.mistake_ms(),
            q.mistakes_per_hour(),
            q.mean_mistake_ms(),
            q.query_accuracy(),
            q.mean_recurrence_s(),
            mark
        );
    }
    let goal = match (targets.detection_ms, targets.mistakes_per_hour) {
        (Some(d), Some(m)) => format!("mean detection ≤ {d} ms and ≤ {m} mistakes/hour"),
        (Some(d), None) => format!("mean detection ≤ {d} ms, then fewest mistakes"),
        (None, Some(m)) => format!("≤ {m} mistakes/hour, then fastest detection"),
        (None, None) => "fastest detection".to_string(),
    };
    match best {
        Some(b) => {
            let met = if targets.met_by(&b.qos) {
                "meets"
            } else {
                "comes closest to"
            };
            let _ = writeln!(
                s,
                "\nrecommended: {} threshold {} ({met} the target: {goal}; mean detection \
                 {:.1} ms, {:.3} mistakes/hour)",
                b.detection,
                b.threshold,
                b.qos.mean_detection_ms(),
                b.qos.mistakes_per_hour()
            );
        }
        None => {
            let _ = writeln!(s, "\nno recommendation: nothing was scored");
        }
    }
    s
}

/// The built-in input of `tune`: one hour of the `wan` profile (one node,
/// seed 2004), a trace shaped like the phi paper's Japan–Switzerland link.
fn default_trace() -> Result<Trace, String> {
    let scenario = Scenario::builder(Profile::Wan)
        .duration_s(3600.0)
        .nodes(1)
        .seed(2004)
        .build()
        .map_err(|e| e.to_string())?;
    Ok(simulate::generate(&scenario))
}

fn run_simulate(args: &SimulateArgs) -> Result<(), String> {
    let profile: Profile = args
        .profile
        .parse()
        .map_err(|e| format!("--profile: {e}"))?;
    let mut builder = Scenario::builder(profile)
        .duration_s(args.duration_s)
        .nodes(args.nodes)
        .seed(args.seed);
    if let Some(ms) = args.interval_ms {
        builder = builder.interval_ms(ms);
    }
    let scenario = builder.build().map_err(|e| e.to_string())?;
    let trace = simulate::generate(&scenario);
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    trace
        .write_csv(&mut out)
        .and_then(|()| out.flush())
        .map_err(|e| format!("writing output: {e}"))
}
