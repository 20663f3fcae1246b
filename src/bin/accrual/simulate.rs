//! `accrual simulate`: a simulated trace as CSV on standard output.

use crate::args::SimulateArgs;
use crate::input::{with_options, SIMULATE_OPTIONS};
use crate::{output_error, Stop};
use accrual::simulate::{self, Profile, Scenario};
use std::io::{self, BufWriter, Write};

pub(crate) fn run(args: &SimulateArgs) -> Result<(), Stop> {
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
    let scenario = builder
        .build()
        .map_err(|e| with_options(e.to_string(), SIMULATE_OPTIONS))?;
    let trace = simulate::generate(&scenario);
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    trace
        .write_csv(&mut out)
        .and_then(|()| out.flush())
        .map_err(output_error)
}
