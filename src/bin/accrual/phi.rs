//! `accrual phi`: heartbeats and queries from standard input, answers on
//! standard output.

use crate::args::PhiArgs;
use accrual::{Detector, PhiDisplay, Timestamp};
use std::collections::HashMap;
use std::io::{self, BufRead, BufWriter, Write};

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

pub(crate) fn run(args: &PhiArgs) -> Result<(), String> {
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
                // Read by programs: every digit, but a healthy peer's tiny
                // phi in scientific notation rather than a long zero.
                writeln!(out, "{node} {t} {}", PhiDisplay::exact(phi))
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
