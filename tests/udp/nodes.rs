//! Heartbeat node processes for `tests/udp/main.rs`: builds the example nodes
//! once, starts a cluster of them on loopback behind a [`Relay`], collects
//! every line they print with the time it was read, and kills them when
//! dropped, even if the test panics.

use crate::relay::{Faults, Relay};
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex, OnceLock, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long a node process lives at most: it stops by itself after this
/// even if nothing kills it.
const NODE_LIFETIME: Duration = Duration::from_secs(40);

/// The relay's datagram budget: twice what the nodes can send over their
/// lifetime at the tests' interval (50 ms), three nodes.
const RELAY_BUDGET: u64 = 2 * 3 * 2 * 40 * 20;

/// How often the nodes print `stats` lines.
pub const STATS_EVERY: Duration = Duration::from_millis(200);

/// Which example runs a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `examples/udp_node/`: threads.
    Threads,
    /// `examples/tokio_node.rs`: one tokio task.
    Tokio,
}

impl Kind {
    fn example(self) -> &'static str {
        match self {
            Kind::Threads => "udp_node",
            Kind::Tokio => "tokio_node",
        }
    }
}

/// The path of an example's binary, built once per test process with the
/// features this test was built with (so the library is not rebuilt).
fn binary(kind: Kind) -> PathBuf {
    static BUILT: OnceLock<Result<HashMap<String, PathBuf>, String>> = OnceLock::new();
    let built = BUILT.get_or_init(build_examples);
    match built {
        Ok(paths) => match paths.get(kind.example()) {
            Some(path) => path.clone(),
            None => panic!("cargo did not report the {} binary", kind.example()),
        },
        Err(e) => panic!("building the example nodes failed:\n{e}"),
    }
}

fn build_examples() -> Result<HashMap<String, PathBuf>, String> {
    let features: Vec<&str> = [
        ("serde", cfg!(feature = "serde")),
        ("cli", cfg!(feature = "cli")),
    ]
    .into_iter()
    .filter_map(|(name, on)| on.then_some(name))
    .collect();
    // The nested cargo inherits CARGO_TARGET_DIR, so it builds where the
    // tests were built and reuses their artifacts.
    let mut cargo = Command::new(env!("CARGO"));
    cargo
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["build", "--message-format=json-render-diagnostics"])
        .args(["--example", "udp_node", "--example", "tokio_node"]);
    if !features.is_empty() {
        cargo.args(["--features", &features.join(",")]);
    }
    let out = cargo
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let mut paths = HashMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(message) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if let (Some(name), Some(exe)) = (
            message["target"]["name"].as_str(),
            message["executable"].as_str(),
        ) {
            paths.insert(name.to_owned(), PathBuf::from(exe));
        }
    }
    Ok(paths)
}

/// A line a node printed, with the time the test read it.
#[derive(Clone, Debug)]
pub struct Line {
    pub at: Instant,
    pub text: String,
}

impl Line {
    /// The first word: `suspected`, `recovered`, `stats`, ...
    pub fn word(&self) -> &str {
        self.text.split_whitespace().next().unwrap_or("")
    }

    /// The second word: the peer, for event and `stats` lines.
    pub fn peer(&self) -> &str {
        self.text.split_whitespace().nth(1).unwrap_or("")
    }

    /// Whether it is a `word` line about `peer`.
    pub fn is(&self, word: &str, peer: &str) -> bool {
        self.word() == word && self.peer() == peer
    }

    /// The value of a `name=value` field.
    pub fn field(&self, name: &str) -> Option<f64> {
        self.text
            .split_whitespace()
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == name)
            .and_then(|(_, v)| v.parse().ok())
    }
}

#[derive(Default)]
struct Output {
    lines: Mutex<Vec<Line>>,
    grew: Condvar,
}

/// One run of a node process. Dropping it kills the process.
pub struct NodeProcess {
    child: Child,
    output: Arc<Output>,
    reader: Option<JoinHandle<()>>,
    exited: Option<ExitStatus>,
}

impl NodeProcess {
    fn spawn(kind: Kind, args: &[String]) -> NodeProcess {
        let mut child = Command::new(binary(kind))
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start a node process");
        let output = Arc::new(Output::default());
        let stdout = child.stdout.take().expect("piped stdout");
        let sink = Arc::clone(&output);
        // Ends at end of file, that is when the process exits.
        let reader = std::thread::spawn(move || {
            for text in BufReader::new(stdout).lines().map_while(Result::ok) {
                let line = Line {
                    at: Instant::now(),
                    text,
                };
                sink.lines
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(line);
                sink.grew.notify_all();
            }
        });
        NodeProcess {
            child,
            output,
            reader: Some(reader),
            exited: None,
        }
    }

    /// Every line so far.
    pub fn lines(&self) -> Vec<Line> {
        self.output
            .lines
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The first line (already printed or to come) that satisfies `pred`,
    /// or `None` if there is none by `deadline`.
    pub fn wait_for(&self, deadline: Instant, pred: impl Fn(&Line) -> bool) -> Option<Line> {
        let mut lines = self
            .output
            .lines
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        loop {
            if let Some(line) = lines.iter().find(|l| pred(l)) {
                return Some(line.clone());
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            lines = self
                .output
                .grew
                .wait_timeout(lines, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// SIGKILL, and reap the process. Returns when it was sent.
    fn kill(&mut self) -> Instant {
        let at = Instant::now();
        let _ = self.child.kill();
        self.exited = self.child.wait().ok();
        at
    }

    /// Sends the signal `name` (`TERM`, `STOP`, `CONT`) with kill(1);
    /// returns when it was sent.
    pub fn signal(&self, name: &str) -> Instant {
        let at = Instant::now();
        let sent = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .is_ok_and(|s| s.success());
        assert!(sent, "could not send SIG{name}");
        at
    }

    /// SIGTERM, then wait up to `within` for the process to exit by itself
    /// (killing it after that). Returns its exit status, if it exited.
    pub fn terminate(&mut self, within: Duration) -> Option<ExitStatus> {
        self.signal("TERM");
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                self.exited = Some(status);
                self.join_reader();
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        self.kill();
        None
    }

    fn join_reader(&mut self) {
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
    }
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        if self.exited.is_none() {
            self.kill();
        }
        self.join_reader();
    }
}

/// A node of the cluster: its name, example, address, and every process
/// that has played it (a restart adds one).
struct Slot {
    name: String,
    kind: Kind,
    listen: SocketAddr,
    runs: Vec<NodeProcess>,
}

/// Node processes that send their heartbeats to each other through a relay.
pub struct Cluster {
    /// Declared first: dropped (killed) before the relay stops.
    slots: Vec<Slot>,
    pub relay: Relay,
    pub started: Instant,
    interval: Duration,
}

impl Cluster {
    /// Starts one node per entry of `kinds`, named `nodeA`, `nodeB`, ...,
    /// each listening on a free loopback port and sending to every other
    /// through the relay.
    pub fn start(kinds: &[Kind], interval: Duration, faults: Faults, seed: u64) -> Cluster {
        let started = Instant::now();
        let relay = Relay::start(kinds.len(), faults, seed, NODE_LIFETIME, RELAY_BUDGET)
            .expect("start the relay");
        let slots = kinds.iter().enumerate().map(|(i, &kind)| Slot {
            name: format!("node{}", char::from(b'A' + i as u8)),
            kind,
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            runs: Vec::new(),
        });
        let mut cluster = Cluster {
            slots: slots.collect(),
            relay,
            started,
            interval,
        };
        for i in 0..kinds.len() {
            cluster.run(i);
        }
        cluster
    }

    /// Starts a process for node `i` on its address (port 0 the first
    /// time) and waits for its `listening` line; returns when it was read.
    fn run(&mut self, i: usize) -> Instant {
        let slot = &self.slots[i];
        let mut args: Vec<String> = [
            "--id",
            &slot.name,
            "--listen",
            &slot.listen.to_string(),
            "--interval-ms",
            &self.interval.as_millis().to_string(),
            "--duration-s",
            &NODE_LIFETIME.as_secs().to_string(),
            "--stats-every-ms",
            &STATS_EVERY.as_millis().to_string(),
        ]
        .map(String::from)
        .into();
        for j in (0..self.slots.len()).filter(|&j| j != i) {
            args.push("--peer".into());
            args.push(self.relay.entry(i, j).to_string());
        }
        let process = NodeProcess::spawn(slot.kind, &args);
        let listening = process
            .wait_for(Instant::now() + Duration::from_secs(20), |l| {
                l.word() == "listening"
            })
            .unwrap_or_else(|| panic!("{} did not start", slot.name));
        let addr: SocketAddr = listening
            .text
            .split_whitespace()
            .nth(2)
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("bad listening line {:?}", listening.text));
        self.relay.set_destination(i, addr);
        let slot = &mut self.slots[i];
        slot.listen = addr;
        slot.runs.push(process);
        listening.at
    }

    /// The names of the nodes.
    pub fn names(&self) -> Vec<&str> {
        self.slots.iter().map(|s| s.name.as_str()).collect()
    }

    /// The current (last started) process of node `i`.
    pub fn node(&self, i: usize) -> &NodeProcess {
        self.slots[i].runs.last().expect("every node has run")
    }

    /// The current process of node `i`, to terminate it.
    pub fn node_mut(&mut self, i: usize) -> &mut NodeProcess {
        self.slots[i].runs.last_mut().expect("every node has run")
    }

    /// Node `i`'s listening address.
    pub fn addr(&self, i: usize) -> SocketAddr {
        self.slots[i].listen
    }

    /// SIGKILLs node `i`; returns when.
    pub fn kill(&mut self, i: usize) -> Instant {
        self.node_mut(i).kill()
    }

    /// Starts node `i` again on the same port; returns when it was listening.
    pub fn restart(&mut self, i: usize) -> Instant {
        self.run(i)
    }

    /// Every line of every process, `stats` lines left out, in time order,
    /// with milliseconds since the cluster started: for failure messages.
    pub fn transcript(&self) -> String {
        let mut all: Vec<(Instant, String)> = Vec::new();
        for slot in &self.slots {
            for (run, process) in slot.runs.iter().enumerate() {
                for line in process.lines() {
                    if line.word() != "stats" {
                        all.push((line.at, format!("{}#{run}: {}", slot.name, line.text)));
                    }
                }
            }
        }
        all.sort_by_key(|(at, _)| *at);
        let mut out = String::new();
        for (at, text) in all {
            let ms = at.saturating_duration_since(self.started).as_millis();
            out += &format!("{ms:>6} ms  {text}\n");
        }
        out
    }
}
