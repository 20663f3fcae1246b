//! `accrual phi`: heartbeats and queries from standard input, answers on
//! standard output.
//!
//! Answers are flushed whenever the next line is not yet all read, before
//! waiting for more input: a program that writes one query and waits for
//! its answer gets it at once, and a file or a fast pipe still gets large
//! writes.

use crate::args::PhiArgs;
use crate::input::{shown, time_ms};
use crate::{output_error, Stop};
use accrual::{Detector, PhiDisplay, Timestamp};
use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};

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
    let at = time_ms(t)?;
    match *kind {
        "hb" => Ok(Some(Event::Heartbeat(node, at))),
        "phi" => Ok(Some(Event::Phi(node, at, t))),
        "up" => Ok(Some(Event::Up(node, at, t))),
        other => Err(format!(
            "unknown event {}: expected hb, phi or up",
            shown(other)
        )),
    }
}

pub(crate) fn run(args: &PhiArgs) -> Result<(), Stop> {
    let config = args.detector.config(1000.0, 3.0)?;
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let answered = answer(&config, BufReader::new(io::stdin()), &mut out);
    // What was answered before an error stays valid: flush it first.
    let flushed = out.flush().map_err(output_error);
    answered.and(flushed)
}

/// Reads every line of `input` and writes the answers to `out`.
fn answer(
    config: &accrual::Config,
    mut input: BufReader<impl Read>,
    out: &mut impl Write,
) -> Result<(), Stop> {
    let mut detectors: HashMap<String, Detector> = HashMap::new();
    let mut line = String::new();
    for line_no in 1.. {
        if !input.buffer().contains(&b'\n') {
            // The next line is not all read: reading it may wait for the
            // writer, which may itself wait for these answers.
            out.flush().map_err(output_error)?;
        }
        line.clear();
        match input.read_line(&mut line) {
            Ok(0) => return Ok(()),
            Ok(_) => {}
            Err(e) => return Err(format!("line {line_no}: {e}").into()),
        }
        let event = parse_event(&line).map_err(|e| format!("line {line_no}: {e}"))?;
        match event {
            None => {}
            Some(Event::Heartbeat(node, at)) => {
                let detector = detectors
                    .entry(node.to_string())
                    .or_insert_with(|| Detector::new(config.clone()));
                if let Err(e) = detector.heartbeat(at) {
                    // In order with the answers before it.
                    out.flush().map_err(output_error)?;
                    eprintln!("line {line_no}: node {}: {e}", shown(node));
                }
            }
            Some(Event::Phi(node, at, t)) => {
                let phi = detectors.get(node).map_or(0.0, |d| d.phi(at));
                // Read by programs: every digit, but a healthy peer's tiny
                // phi in scientific notation rather than a long zero.
                writeln!(out, "{node} {t} {}", PhiDisplay::exact(phi)).map_err(output_error)?;
            }
            Some(Event::Up(node, at, t)) => {
                let up = detectors.get(node).is_none_or(|d| d.is_available(at));
                writeln!(out, "{node} {t} {up}").map_err(output_error)?;
            }
        }
    }
    Ok(())
}
