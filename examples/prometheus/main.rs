//! Serves every peer of a monitor in the Prometheus text format on
//! 127.0.0.1: `accrual_phi`, `accrual_silence_seconds`, `accrual_level` and
//! `accrual_up`, one sample per peer, labelled `peer="..."`.
//!
//! The peers are simulated: 40 of them send a heartbeat every 100 ms with
//! some jitter; five fall silent after 3 s, one more goes quiet between
//! 5 s and 8 s, and one has a quote and a backslash in its id to show the
//! label escaping. A `Driver` thread ticks the monitor so that levels
//! follow the silences.
//!
//! ```text
//! cargo run --example prometheus -- [--port 9185] [--seconds 30] [--requests N]
//! curl -s 127.0.0.1:9185/metrics
//! ```
//!
//! The server answers one request at a time with std's `TcpListener` (no
//! web framework) and exits after `--seconds` (30 by default) or
//! `--requests` answered requests, whichever comes first.

mod exposition;

use accrual::monitor::{Driver, Monitor, PauseGuard};
use accrual::{Config, Timestamp};
use std::error::Error;
use std::io::{ErrorKind, Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

const INTERVAL: Duration = Duration::from_millis(100);
const PEERS: usize = 40;
/// How often the simulated peers check whether one of them is due.
const SEND_POLL: Duration = Duration::from_millis(5);
/// How often the listener is polled for a connection, so that the
/// deadline is checked even when nobody scrapes.
const ACCEPT_POLL: Duration = Duration::from_millis(20);
/// A request must arrive whole within this time and size.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(2);
const MAX_REQUEST: usize = 8 * 1024;

struct Options {
    port: u16,
    duration: Duration,
    requests: Option<u64>,
}

fn main() -> ExitCode {
    let options = match options(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("prometheus: {message}");
            eprintln!("usage: prometheus [--port P] [--seconds S] [--requests N]");
            return ExitCode::from(2);
        }
    };
    match serve(&options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("prometheus: {error}");
            ExitCode::FAILURE
        }
    }
}

fn options(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut options = Options {
        port: 0,
        duration: Duration::from_secs(30),
        requests: None,
    };
    while let Some(flag) = args.next() {
        let value = args.next().ok_or(format!("{flag} needs a value"))?;
        let number: u64 = value
            .parse()
            .map_err(|_| format!("{flag}: {value:?} is not a whole number"))?;
        match flag.as_str() {
            "--port" => {
                options.port = u16::try_from(number).map_err(|_| format!("no port {number}"))?
            }
            "--seconds" if (1..=86_400).contains(&number) => {
                options.duration = Duration::from_secs(number)
            }
            "--requests" if number > 0 => options.requests = Some(number),
            "--seconds" | "--requests" => return Err(format!("{flag} {number} is out of range")),
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    Ok(options)
}

fn serve(options: &Options) -> Result<(), Box<dyn Error>> {
    let config = Config::for_interval(INTERVAL)?;
    let monitor = Arc::new(
        Monitor::<String>::builder()
            .config(config.clone())
            .pause_guard(PauseGuard::for_config(&config))
            .thresholds([3.0, 8.0])
            .build()?,
    );
    let _driver = Driver::spawn(Arc::clone(&monitor), INTERVAL / 5)?;
    let stop = Arc::new(AtomicBool::new(false));
    let peers = {
        let (monitor, stop) = (Arc::clone(&monitor), Arc::clone(&stop));
        thread::spawn(move || simulate(&monitor, &stop))
    };

    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, options.port))?;
    listener.set_nonblocking(true)?;
    println!("serving http://{}/metrics", listener.local_addr()?);
    let end = Instant::now() + options.duration;
    let mut answered = 0;
    while Instant::now() < end && options.requests.is_none_or(|n| answered < n) {
        match listener.accept() {
            Ok((stream, _)) => {
                if let Err(error) = answer(stream, &monitor) {
                    eprintln!("prometheus: request failed: {error}");
                }
                answered += 1;
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => thread::sleep(ACCEPT_POLL),
            Err(e) => return Err(e.into()),
        }
    }
    stop.store(true, Ordering::Relaxed);
    peers.join().map_err(|_| "the simulated peers panicked")?;
    println!("requests answered: {answered}");
    Ok(())
}

/// Reads one request and answers it: the metrics for `GET /metrics`, 404
/// for any other path, 405 for any other method.
fn answer(mut stream: TcpStream, monitor: &Monitor<String>) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(REQUEST_TIMEOUT))?;
    let mut request = Vec::new();
    let mut buf = [0u8; 1024];
    // Until the blank line that ends the headers (a GET has no body).
    while !request.windows(4).any(|w| w == b"\r\n\r\n") && request.len() < MAX_REQUEST {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            break;
        }
        request.extend_from_slice(&buf[..n]);
    }
    let line = request.split(|&b| b == b'\n').next().unwrap_or_default();
    let mut words = std::str::from_utf8(line).unwrap_or("").split_whitespace();
    let (status, content_type, body) = match (words.next(), words.next()) {
        (Some("GET"), Some("/metrics")) => {
            let peers = exposition::collect(monitor, Timestamp::now());
            (
                "200 OK",
                exposition::CONTENT_TYPE,
                exposition::render(&peers),
            )
        }
        (Some("GET"), _) => ("404 Not Found", "text/plain", "try /metrics\n".into()),
        _ => ("405 Method Not Allowed", "text/plain", "GET only\n".into()),
    };
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    stream.flush()
}

/// The simulated peers, each on its own schedule: a heartbeat every
/// `INTERVAL` ± 20 ms until `stop`, except for the silences described in
/// the module documentation.
fn simulate(monitor: &Monitor<String>, stop: &AtomicBool) {
    let mut names: Vec<String> = (0..PEERS).map(|i| format!("node-{i:02}")).collect();
    names.push(r#"db "primary" \ eu-west"#.to_string());
    // xorshift: a fixed jitter sequence, no dependency.
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut jitter = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        Duration::from_millis(seed % 40)
    };
    let start = Instant::now();
    let mut due: Vec<Instant> = names.iter().map(|_| start + jitter()).collect();
    while !stop.load(Ordering::Relaxed) {
        let now = Instant::now();
        let elapsed = now - start;
        for (i, (name, due)) in names.iter().zip(due.iter_mut()).enumerate() {
            if now < *due {
                continue;
            }
            let silent = (i < 5 && elapsed > Duration::from_secs(3))
                || (i == 5 && elapsed > Duration::from_secs(5) && elapsed < Duration::from_secs(8));
            if !silent {
                let _ = monitor.heartbeat(name.as_str(), now);
            }
            *due += INTERVAL - Duration::from_millis(20) + jitter();
        }
        thread::sleep(SEND_POLL);
    }
}
