//! The node's command line: its options, their checks, and how it exits.

use crate::wire::{valid_id, MAX_ID_LEN};
use accrual::Config;
use std::error::Error;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

/// Command-line help.
pub const USAGE: &str = "\
usage: udp_node --id NAME [--listen ADDR] [--peer ADDR]... [--interval-ms N]
                [--threshold PHI] [--duration-s N] [--stats-every-ms N]

  --id NAME            this node's name, sent in its heartbeats (printable ASCII, at most 64 bytes)
  --listen ADDR        the UDP address to bind (default 127.0.0.1:0, a free port)
  --peer ADDR          send heartbeats there; repeatable; a peer's name is learnt from its heartbeats
  --interval-ms N      heartbeat interval, 10 to 60000 (default 100)
  --threshold PHI      suspicion threshold (default 8)
  --duration-s N       stop after N seconds, 1 to 86400 (default 60); SIGINT/SIGTERM stop it earlier
  --stats-every-ms N   print a `stats` line per peer every N ms (default: never)";

/// The most peers a node sends to, and the most distinct names it learns:
/// datagrams from further names are counted as `unknown` and dropped, so a
/// stray sender cannot grow the node's memory without bound.
pub const MAX_PEERS: usize = 256;

/// What the node was told on its command line.
#[derive(Clone, Debug)]
pub struct Options {
    /// Its name, sent in every heartbeat.
    pub id: String,
    /// Where it receives heartbeats.
    pub listen: SocketAddr,
    /// Where it sends heartbeats.
    pub peers: Vec<SocketAddr>,
    /// How often it sends them.
    pub interval: Duration,
    /// The phi threshold for `suspected`.
    pub threshold: f64,
    /// When it stops by itself.
    pub duration: Duration,
    /// How often it prints `stats` lines, if at all.
    pub stats_every: Option<Duration>,
}

impl Options {
    /// Parses the arguments after the program name. `Ok(None)` for `--help`.
    ///
    /// # Errors
    ///
    /// A message naming the bad option.
    pub fn parse(mut args: impl Iterator<Item = String>) -> Result<Option<Options>, String> {
        let mut id = None;
        let mut options = Options {
            id: String::new(),
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            peers: Vec::new(),
            interval: Duration::from_millis(100),
            threshold: Config::default().threshold(),
            duration: Duration::from_secs(60),
            stats_every: None,
        };
        while let Some(flag) = args.next() {
            if flag == "--help" || flag == "-h" {
                return Ok(None);
            }
            let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
            match flag.as_str() {
                "--id" => id = Some(value),
                "--listen" => options.listen = parse(&flag, &value)?,
                "--peer" => options.peers.push(parse(&flag, &value)?),
                "--interval-ms" => {
                    options.interval = Duration::from_millis(in_range(&flag, &value, 10, 60_000)?);
                }
                "--threshold" => options.threshold = parse(&flag, &value)?,
                "--duration-s" => {
                    options.duration = Duration::from_secs(in_range(&flag, &value, 1, 86_400)?);
                }
                "--stats-every-ms" => {
                    let every = in_range(&flag, &value, 10, 3_600_000)?;
                    options.stats_every = Some(Duration::from_millis(every));
                }
                _ => return Err(format!("unknown option {flag}")),
            }
        }
        options.id = id.ok_or("--id NAME is required")?;
        if !valid_id(&options.id) {
            return Err(format!(
                "--id {:?}: expected 1 to {MAX_ID_LEN} printable ASCII characters, no spaces",
                options.id
            ));
        }
        if options.peers.len() > MAX_PEERS {
            return Err(format!("at most {MAX_PEERS} --peer options"));
        }
        Ok(Some(options))
    }
}

fn parse<T: std::str::FromStr>(flag: &str, value: &str) -> Result<T, String> {
    value
        .parse()
        .map_err(|_| format!("{flag} {value:?} is not valid"))
}

fn in_range(flag: &str, value: &str, min: u64, max: u64) -> Result<u64, String> {
    match parse::<u64>(flag, value)? {
        n if (min..=max).contains(&n) => Ok(n),
        n => Err(format!("{flag} {n} is out of range {min} to {max}")),
    }
}

/// The options on the command line of `program`, or the exit code for
/// `--help` (usage on standard output) or a bad option (on standard error).
pub fn command_line(program: &str) -> Result<Options, ExitCode> {
    match Options::parse(std::env::args().skip(1)) {
        Ok(Some(options)) => Ok(options),
        Ok(None) => {
            println!("{USAGE}");
            Err(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("{program}: {e}\n\n{USAGE}");
            Err(ExitCode::from(2))
        }
    }
}

/// The exit code for how the node ended, with the error on standard error.
pub fn exit_code(program: &str, result: Result<(), Box<dyn Error>>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{program}: {e}");
            ExitCode::FAILURE
        }
    }
}
