//! `accrual` beside a real membership system: a cluster of chitchat nodes
//! (Quickwit's gossip membership crate) on 127.0.0.1, with one node feeding
//! `accrual` monitors from the heartbeats its gossip delivers, as Cassandra
//! feeds its detector. After a steady run the last node is killed, and the
//! run prints when chitchat's own detector and each monitor noticed, and
//! how many false suspicions each made.
//!
//! ```text
//! cargo run --example chitchat_cluster -- [--nodes 6] [--gossip-ms 100] [--steady-ms 4000] [--loss-percent 0]
//! ```
//!
//! `tests/chitchat.rs` runs the same comparison with assertions.

mod cluster;
mod comparison;

use comparison::{run, Settings};
use std::process::ExitCode;
use std::time::Duration;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let settings = match settings(std::env::args().skip(1)) {
        Ok(settings) => settings,
        Err(message) => {
            eprintln!("chitchat_cluster: {message}");
            eprintln!("usage: chitchat_cluster [--nodes N] [--gossip-ms MS] [--steady-ms MS] [--loss-percent P]");
            return ExitCode::from(2);
        }
    };
    match run(settings).await {
        Ok(report) => {
            println!("\n{report}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("chitchat_cluster: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn settings(mut args: impl Iterator<Item = String>) -> Result<Settings, String> {
    let mut settings = Settings {
        nodes: 6,
        gossip_interval: Duration::from_millis(100),
        poll: Duration::from_millis(5),
        loss_per_mille: 0,
        converge_limit: Duration::from_secs(5),
        settle: Duration::from_secs(1),
        steady: Duration::from_secs(4),
        detect_limit: Duration::from_secs(5),
        verbose: true,
    };
    while let Some(flag) = args.next() {
        let value = args.next().ok_or(format!("{flag} needs a value"))?;
        let number: u64 = value
            .parse()
            .map_err(|_| format!("{flag}: {value:?} is not a whole number"))?;
        match flag.as_str() {
            "--nodes" if (3..=64).contains(&number) => settings.nodes = number as usize,
            "--gossip-ms" if (10..=10_000).contains(&number) => {
                settings.gossip_interval = Duration::from_millis(number)
            }
            "--steady-ms" if number <= 600_000 => settings.steady = Duration::from_millis(number),
            "--loss-percent" if number < 100 => settings.loss_per_mille = number * 10,
            "--nodes" | "--gossip-ms" | "--steady-ms" | "--loss-percent" => {
                return Err(format!("{flag} {number} is out of range"))
            }
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    Ok(settings)
}
