//! The command line's arguments, as clap reads them.

use crate::input::{config_error, positive_ms, shown, DETECTOR_OPTIONS};
use accrual::trace::{ReadOptions, TimeUnit};
use accrual::{Bootstrap, Config, ConfigBuilder, Learning, Model, Period};
use clap::{Args, ValueEnum};
use std::path::PathBuf;

/// Detector settings shared by the subcommands.
#[derive(Args, Clone, Debug)]
pub(crate) struct DetectorArgs {
    /// Suspicion model: normal, akka, exponential, chen, 2w-fd, bertier,
    /// empirical or deadline.
    #[arg(long, default_value = "normal", value_parser = parse_model)]
    pub(crate) model: Model,
    /// Phi threshold.
    #[arg(long, default_value_t = 8.0, allow_negative_numbers = true)]
    pub(crate) threshold: f64,
    /// Window size (maximum number of intervals kept).
    #[arg(long, default_value_t = 1000)]
    pub(crate) window: usize,
    /// Floor on the standard deviation, in ms [default: first interval / 10].
    #[arg(long, allow_negative_numbers = true)]
    pub(crate) min_std_ms: Option<f64>,
    /// Acceptable heartbeat pause, in ms [default: 3 × first interval for
    /// `phi`; 0 for `tune`, which scores the thresholds themselves].
    #[arg(long, allow_negative_numbers = true)]
    pub(crate) pause_ms: Option<f64>,
    /// First heartbeat estimate, in ms [default: 1000, or the trace's median
    /// interval for `tune`].
    #[arg(long, allow_negative_numbers = true)]
    pub(crate) first_interval_ms: Option<f64>,
    #[command(flatten)]
    pub(crate) rules: RuleArgs,
}

/// The engine's rules and Bertier's constants, shared by `phi` and `tune`
/// (see `accrual::Learning`, `Period`, `Bootstrap`). The defaults are the
/// library's; the papers' behaviour is `--learning all --period fixed
/// --bootstrap growing`.
#[derive(Args, Clone, Debug, Default)]
pub(crate) struct RuleArgs {
    /// Which intervals the window learns: `skip-suspected` (Akka's: not an
    /// interval that ends a suspicion, never two in a row) or `all` (the
    /// papers'). `tune` takes a comma list and scores each [default: all
    /// for chen, skip-suspected for the others; `tune` scores both].
    #[arg(long, value_delimiter = ',', value_parser = parse_setting::<Learning>)]
    pub(crate) learning: Option<Vec<Learning>>,
    /// The sending period of chen, 2w-fd and bertier: `estimated` (Σx/Σs
    /// over the window) or `fixed` (the first interval, as in Chen's
    /// paper).
    #[arg(long, value_parser = parse_setting::<Period>, default_value = "estimated")]
    pub(crate) period: Period,
    /// How the window starts: `seeds` (Akka's two seed intervals, first
    /// interval ± 1/4) or `growing` (real intervals only, as in the papers).
    #[arg(long, value_parser = parse_setting::<Bootstrap>, default_value = "seeds")]
    pub(crate) bootstrap: Bootstrap,
    /// Bertier's β, the weight of the estimated delay in its margin
    /// [default: 1, the paper's].
    #[arg(long, allow_negative_numbers = true)]
    pub(crate) bertier_beta: Option<f64>,
    /// Bertier's φ, the weight of the estimated variation in its margin
    /// [default: 4, the paper's].
    #[arg(long, allow_negative_numbers = true)]
    pub(crate) bertier_phi: Option<f64>,
    /// Bertier's γ, how far each prediction error moves the estimates, in
    /// (0, 1] [default: 0.1, the paper's].
    #[arg(long, allow_negative_numbers = true)]
    pub(crate) bertier_gamma: Option<f64>,
}

/// A setting's value by name, for clap.
fn parse_setting<T: std::str::FromStr<Err = accrual::ConfigError>>(
    name: &str,
) -> Result<T, String> {
    name.parse::<T>().map_err(|e| e.to_string())
}

impl RuleArgs {
    /// `builder` with these rules and constants (the unset constants the
    /// builder's).
    pub(crate) fn apply(&self, builder: ConfigBuilder) -> ConfigBuilder {
        let [beta, phi, gamma] = Config::default().bertier();
        // A list is tune's to search; its jobs set each rule.
        let builder = match self.learning.as_deref() {
            Some(&[one]) => builder.learning(one),
            _ => builder,
        };
        builder
            .period(self.period)
            .bootstrap(self.bootstrap)
            .bertier(
                self.bertier_beta.unwrap_or(beta),
                self.bertier_phi.unwrap_or(phi),
                self.bertier_gamma.unwrap_or(gamma),
            )
    }
}

/// A model by name, for clap.
fn parse_model(name: &str) -> Result<Model, String> {
    name.parse::<Model>().map_err(|e| e.to_string())
}

impl DetectorArgs {
    /// The configuration, with unset durations derived from `interval_ms`
    /// and an unset pause of `default_pauses` first intervals.
    pub(crate) fn config(&self, interval_ms: f64, default_pauses: f64) -> Result<Config, String> {
        // Checked here: the σ floor derived from it would otherwise be
        // blamed for a zero.
        let first = match self.first_interval_ms {
            Some(ms) => positive_ms("--first-interval-ms", ms)?,
            None => interval_ms,
        };
        if self.rules.learning.as_ref().is_some_and(|l| l.len() > 1) {
            return Err("--learning: one rule here (only `tune` scores a list)".to_string());
        }
        self.rules
            .apply(Config::builder())
            .model(self.model)
            .threshold(self.threshold)
            .max_sample_size(self.window)
            .first_heartbeat_estimate_ms(first)
            .min_std_deviation_ms(self.min_std_ms.unwrap_or(first / 10.0))
            .acceptable_pause_ms(self.pause_ms.unwrap_or(default_pauses * first))
            .build()
            .map_err(|e| config_error(&e, DETECTOR_OPTIONS))
    }
}

/// How to read a trace file, shared by `tune` and `plot`.
#[derive(Args, Clone, Debug, Default)]
pub(crate) struct TraceFormatArgs {
    /// Field delimiter of the trace: `,`, `;`, `tab`, or another single
    /// ASCII character [default: the first of `,` `;` tab that splits the
    /// header line into fields among which is the time column].
    #[arg(long, value_parser = parse_delimiter, requires = "trace")]
    pub(crate) delimiter: Option<u8>,
    /// Column holding the arrival times, for raw logs [default: arrival_ms].
    #[arg(long, requires = "trace")]
    pub(crate) time_column: Option<String>,
    /// Unit of the time column: ns, us, ms or s [default: the suffix of the
    /// column's name, as in `arrival_ms` or `recv_ns`].
    #[arg(long, value_parser = parse_time_unit, requires = "trace")]
    pub(crate) time_unit: Option<TimeUnit>,
}

/// A delimiter by name or as the character itself.
fn parse_delimiter(text: &str) -> Result<u8, String> {
    match text {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        "space" => Ok(b' '),
        _ => match text.as_bytes() {
            [d] if d.is_ascii() && !matches!(d, b'"' | b'\n' | b'\r') => Ok(*d),
            _ => Err(format!(
                "{} is not a delimiter: expected `,`, `;`, `tab` or another single \
                 ASCII character other than a quote",
                shown(text)
            )),
        },
    }
}

/// A time unit by symbol, for clap.
fn parse_time_unit(text: &str) -> Result<TimeUnit, String> {
    text.parse::<TimeUnit>().map_err(|e| e.to_string())
}

impl TraceFormatArgs {
    /// The library's reading options: the time column's unit given, or
    /// read from the column's name.
    pub(crate) fn options(&self) -> Result<ReadOptions, String> {
        let column = self.time_column.as_deref().unwrap_or("arrival_ms");
        let unit = match self.time_unit {
            Some(unit) => unit,
            None => TimeUnit::from_column_name(column).ok_or_else(|| {
                format!(
                    "--time-column {} does not end in _ns, _us, _ms or _s: say its unit with \
                     --time-unit",
                    shown(column)
                )
            })?,
        };
        let options = ReadOptions::new().time_column(column, unit);
        Ok(match self.delimiter {
            Some(d) => options.delimiter(d),
            None => options,
        })
    }
}

#[derive(Args)]
pub(crate) struct PhiArgs {
    #[command(flatten)]
    pub(crate) detector: DetectorArgs,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum Format {
    Table,
    Csv,
    Json,
}

#[derive(Args)]
pub(crate) struct TuneArgs {
    /// Trace CSV, `-` for standard input: a header line naming the columns
    /// `arrival_ms` (or see --time-column), optionally `node` and `seq`, in
    /// any order; RFC 4180 quoting. Without it, a built-in simulated
    /// cluster: twelve peers on different links, one day at 1 s heartbeats.
    /// A file is streamed (its size does not bound the memory; standard
    /// input is first copied to a temporary file).
    #[arg(long)]
    pub(crate) trace: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) input: TraceFormatArgs,
    #[command(flatten)]
    pub(crate) search: TuneSearchArgs,
    /// The first N arrivals of each node are replayed but not scored. With
    /// 0 the scores include each detector's start, whose bootstrap seeds
    /// (first interval ± 1/4) weigh on the window until it has filled:
    /// the maximum detection time is then often the start's, not the
    /// link's. `--warmup` of the window size scores the link alone.
    #[arg(long, default_value_t = 0)]
    pub(crate) warmup: usize,
    /// Recommend a configuration whose mean detection time is at most this.
    #[arg(long, allow_negative_numbers = true)]
    pub(crate) target_detection_ms: Option<f64>,
    /// Recommend a configuration with at most this many mistakes per hour.
    #[arg(long, allow_negative_numbers = true)]
    pub(crate) target_mistakes_per_hour: Option<f64>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub(crate) format: Format,
    /// Write the trade-off chart (mean detection time against mistakes per
    /// hour) to this SVG file [default without --trace: accrual-tune.svg].
    #[arg(long)]
    pub(crate) plot: Option<PathBuf>,
    /// After the table, the recommended configuration node by node, beside
    /// one timeout for every node with the same mean detection time. Reads
    /// the trace into memory: 8 bytes per row, 16 with a `seq` column.
    #[arg(long)]
    pub(crate) per_node: bool,
}

/// What `tune` searches and how it judges the results. Every detector
/// setting given here restricts the grid to it; none is ignored.
#[derive(Args)]
pub(crate) struct TuneSearchArgs {
    /// Models to score, comma separated: normal, akka, exponential, chen,
    /// 2w-fd, bertier, empirical, deadline, timeout [default: all].
    #[arg(long, value_delimiter = ',')]
    pub(crate) models: Option<Vec<String>>,
    /// Score only this model (the same as --models NAME).
    #[arg(long, conflicts_with = "models")]
    pub(crate) model: Option<String>,
    /// Thresholds: a comma list or `start:end:step`. They are phi values,
    /// except for `chen` and `2w-fd` (margins in ms), `bertier` (multiples
    /// of its margin), `deadline` (multiples of its timeout) and `timeout`
    /// (ms) [default: phi 0.5 to 16; margins 0.1 to 15 and timeouts 1.25 to
    /// 16 × the median interval; Bertier 0.25 to 48; deadline 1 to 16].
    #[arg(long, allow_hyphen_values = true)]
    pub(crate) thresholds: Option<String>,
    /// Score only this threshold (the same as --thresholds X).
    #[arg(long, conflicts_with = "thresholds", allow_negative_numbers = true)]
    pub(crate) threshold: Option<f64>,
    /// Acceptable pauses to score, in ms, comma separated [default: 0, 1,
    /// 2, 3 and 5 × the median interval; 0 for chen, 2w-fd and timeout,
    /// whose threshold already adds to the pause].
    #[arg(long, value_delimiter = ',', allow_negative_numbers = true)]
    pub(crate) pause_ms: Option<Vec<f64>>,
    /// σ floors to score, in ms, comma separated [default: 0.1 and 0.25 ×
    /// the median interval for normal and akka, 0.1 × for the others].
    #[arg(long, value_delimiter = ',', allow_negative_numbers = true)]
    pub(crate) min_std_ms: Option<Vec<f64>>,
    /// Window size (maximum number of intervals kept).
    #[arg(long, default_value_t = 1000)]
    pub(crate) window: usize,
    /// First heartbeat estimate, in ms [default: the trace's median
    /// interval].
    #[arg(long, allow_negative_numbers = true)]
    pub(crate) first_interval_ms: Option<f64>,
    #[command(flatten)]
    pub(crate) rules: RuleArgs,
    /// Confidence level of the mistake rates' intervals; a mistake target
    /// is met when the interval's upper end is within it.
    #[arg(long, default_value_t = 0.95, allow_negative_numbers = true)]
    pub(crate) confidence: f64,
    /// Choose on the whole trace, without the out-of-sample check.
    #[arg(long)]
    pub(crate) no_validate: bool,
    /// Fraction of each node's time span to choose on; the rest checks the
    /// choice [default: 2/3].
    #[arg(long, conflicts_with = "no_validate", allow_negative_numbers = true)]
    pub(crate) train_fraction: Option<f64>,
}

#[derive(Args)]
pub(crate) struct SimulateArgs {
    /// Network profile.
    #[arg(long, default_value = "wan")]
    pub(crate) profile: String,
    /// Heartbeat interval in ms [default: the profile's].
    #[arg(long, allow_negative_numbers = true)]
    pub(crate) interval_ms: Option<f64>,
    /// Length of the trace in seconds.
    #[arg(long, default_value_t = 600.0, allow_negative_numbers = true)]
    pub(crate) duration_s: f64,
    /// Number of sending nodes.
    #[arg(long, default_value_t = 1)]
    pub(crate) nodes: usize,
    /// Random seed.
    #[arg(long, default_value_t = 2004)]
    pub(crate) seed: u64,
}

#[derive(Args)]
pub(crate) struct PlotArgs {
    /// Trace CSV, `-` for standard input: a header line naming the columns
    /// `arrival_ms` (or see --time-column), optionally `node` and `seq`, in
    /// any order; RFC 4180 quoting.
    #[arg(long)]
    pub(crate) trace: PathBuf,
    #[command(flatten)]
    pub(crate) input: TraceFormatArgs,
    /// The node to draw [default: the first in the trace].
    #[arg(long)]
    pub(crate) node: Option<String>,
    /// Start of the drawn range, in ms [default: 10 s before the middle of
    /// the node's longest gap].
    #[arg(long, allow_negative_numbers = true)]
    pub(crate) from_ms: Option<f64>,
    /// End of the drawn range, in ms [default: 20 s after the start].
    #[arg(long, allow_negative_numbers = true)]
    pub(crate) to_ms: Option<f64>,
    #[command(flatten)]
    pub(crate) detector: DetectorArgs,
    /// Output file for phi over time.
    #[arg(long, default_value = "accrual-phi.svg")]
    pub(crate) out: PathBuf,
    /// Also score all models on the trace and write the trade-off chart here.
    #[arg(long)]
    pub(crate) tradeoff: Option<PathBuf>,
}
