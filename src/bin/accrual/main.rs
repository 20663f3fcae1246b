//! `accrual`: replay heartbeat traces, score detectors on them, recommend
//! thresholds, and simulate networks. A thin shell over the library.

mod args;
mod format;
mod input;
mod per_node;
mod phi;
mod plot;
mod simulate;
mod tune;

use accrual::trace::Trace;
use args::{PhiArgs, PlotArgs, SimulateArgs, TraceFormatArgs, TuneArgs};
use clap::{Parser, Subcommand};
use std::io::{self, Read};
use std::path::Path;
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
    /// with `#` are ignored). Answers are written as soon as the input
    /// waiting to be read is used up, so a program can send one query and
    /// read its answer.
    ///
    /// Memory: one detector per node name, kept to the end: about 4 bytes
    /// per interval of --window plus under 1 KB, and the name (about 4.6 KB
    /// a node at the default window of 1000).
    Phi(PhiArgs),
    /// Score models and thresholds on a trace and recommend one.
    Tune(TuneArgs),
    /// Write a simulated heartbeat trace (CSV `node,arrival_ms`) to stdout.
    Simulate(SimulateArgs),
    /// Draw a node's phi over time, and optionally the QoS trade-off, as SVG.
    ///
    /// The trace is read into memory: 8 bytes per row, 16 with a `seq`
    /// column.
    Plot(PlotArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Phi(args) => phi::run(&args),
        Command::Tune(args) => tune::run(&args),
        Command::Simulate(args) => simulate::run(&args),
        Command::Plot(args) => plot::run(&args).map_err(Stop::Error),
    };
    match result {
        // A reader that stopped reading (`accrual simulate | head -1`) has
        // what it wanted: no message, as for a program killed by SIGPIPE.
        Ok(()) | Err(Stop::OutputClosed) => ExitCode::SUCCESS,
        Err(Stop::Error(message)) => {
            eprintln!("accrual: {message}");
            ExitCode::from(2)
        }
    }
}

/// Why a subcommand stopped before the end.
pub(crate) enum Stop {
    /// An error for the user: printed, exit status 2.
    Error(String),
    /// Standard output was closed by its reader: a quiet end.
    OutputClosed,
}

impl From<String> for Stop {
    fn from(message: String) -> Self {
        Stop::Error(message)
    }
}

impl From<&str> for Stop {
    fn from(message: &str) -> Self {
        Stop::Error(message.to_string())
    }
}

/// What a failed write to standard output means: a closed pipe ends the
/// command quietly, anything else is an error.
pub(crate) fn output_error(e: io::Error) -> Stop {
    if e.kind() == io::ErrorKind::BrokenPipe {
        Stop::OutputClosed
    } else {
        Stop::Error(format!("writing output: {e}"))
    }
}

/// A trace CSV file (`-`: standard input), for `tune` and `plot`.
pub(crate) fn read_trace(path: &Path, format: &TraceFormatArgs) -> Result<Trace, String> {
    let options = format.options()?;
    let (input, label) = open_input(path)?;
    Trace::read_csv_with(input, &options).map_err(|e| format!("{label}: {e}"))
}

/// The bytes of a trace argument and how to name it in messages: the file
/// at `path`, or standard input for `-`. Unbuffered: the trace reader
/// buffers.
pub(crate) fn open_input(path: &Path) -> Result<(Box<dyn Read>, String), String> {
    if path == Path::new("-") {
        Ok((Box::new(io::stdin().lock()), "standard input".to_string()))
    } else {
        let file = std::fs::File::open(path)
            .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        Ok((Box::new(file), path.display().to_string()))
    }
}
