//! A complete heartbeat node over UDP: the monitor wired to a real
//! transport.
//!
//! The node binds a UDP socket, sends a small heartbeat datagram (its id, a
//! sequence number and the send time) to every peer each `--interval-ms`,
//! feeds every heartbeat it receives into a [`Monitor`] stamped with the
//! *arrival* time, and prints one line per event, starting with the event
//! word and the peer:
//!
//! ```text
//! suspected nodeC phi=8.41 silence_ms=412 mean_ms=50.1 std_ms=3.0
//! recovered nodeC down_ms=3120
//! observer-paused gap_ms=180 hold_ms=150
//! late nodeC interval_ms=104
//! ```
//!
//! It also prints `listening ID ADDR` and `config ID ...` when it starts,
//! with `--stats-every-ms` a `stats PEER ...` line per peer (its window, its
//! suspicion deadline measured from its last heartbeat, lost heartbeats by
//! sequence number), and `exit ID reason=... sent=... malformed=...` when it
//! stops: after `--duration-s` (default 60), or on SIGINT/SIGTERM. Datagrams
//! that are not heartbeats are counted and ignored.
//!
//! Three nodes on loopback, one per terminal:
//!
//! ```text
//! cargo run --example udp_node -- --id nodeA --listen 127.0.0.1:7001 --peer 127.0.0.1:7002 --peer 127.0.0.1:7003 --interval-ms 50
//! cargo run --example udp_node -- --id nodeB --listen 127.0.0.1:7002 --peer 127.0.0.1:7001 --peer 127.0.0.1:7003 --interval-ms 50
//! cargo run --example udp_node -- --id nodeC --listen 127.0.0.1:7003 --peer 127.0.0.1:7001 --peer 127.0.0.1:7002 --interval-ms 50
//! ```
//!
//! Stop one (Ctrl-C, or `kill -9`): the others print `suspected` about a
//! quarter of a second later; start it again and they print `recovered`.
//!
//! Settings, derived from `--interval-ms` (see `Node::new`):
//!
//! * the detector: [`Config::for_interval`] (acceptable pause 3 intervals,
//!   minimum deviation interval/10), with `--threshold` (default 8); on a
//!   steady link a crashed peer is suspected 4.6 intervals after its last
//!   heartbeat (228 ms at 50 ms), a little later with jitter and loss;
//! * the monitor is ticked every interval/5 by a [`Driver`] thread;
//! * the observer pause guard: ticks more than half an acceptable pause
//!   apart mean this process was stalled (a loaded machine, a stopped VM),
//!   and suspicions are then held for one acceptable pause while the
//!   heartbeats queued in the socket are read. The library's default guard
//!   (5 s) is meant for 1 s heartbeats: at 50 ms a 1 s stall would otherwise
//!   convict every peer at once. The hold can delay a real conviction by at
//!   most one acceptable pause. (The heartbeats read on waking all carry the
//!   wake-up time, so for a while the learnt intervals are shorter and more
//!   spread out than the real ones.)
//!
//! `examples/tokio_node.rs` is the same node on tokio; both share the wire
//! format and event lines defined here.

use accrual::monitor::{Driver, Event, Monitor, PauseGuard};
use accrual::{Config, Timestamp};
use crossbeam_channel::{Receiver, RecvTimeoutError};
use std::collections::HashMap;
use std::error::Error;
use std::fmt;
use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

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

/// Receive buffer size. A heartbeat is at most 86 bytes; anything longer is
/// truncated by the socket and then fails to decode.
pub const MAX_DATAGRAM: usize = 512;

/// How long any loop waits before it looks at the clock and the stop flag
/// again: the latency of a clean shutdown.
pub const POLL: Duration = Duration::from_millis(50);

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

/// The first bytes of every heartbeat: anything else is foreign traffic.
pub const MAGIC: [u8; 4] = *b"ACHB";
/// The wire format's version.
pub const VERSION: u8 = 1;
/// The longest node id.
pub const MAX_ID_LEN: usize = 64;

/// A heartbeat datagram: `MAGIC`, `VERSION`, the sequence number and the send
/// time (microseconds since the Unix epoch on the sender's wall clock) as
/// big-endian `u64`s, the id's length in one byte, the id.
///
/// The send time is informational (`transit_ms` in `stats` lines): the
/// detector learns from *arrival* times on the receiver's monotonic clock,
/// so clock skew between nodes cannot make a peer look late.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Heartbeat<'a> {
    /// The sender's name.
    pub id: &'a str,
    /// Counts up from 0 from each start of the sender.
    pub seq: u64,
    /// Send time, µs since the Unix epoch.
    pub sent_us: u64,
}

/// Why a datagram was not a heartbeat.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ignored {
    /// Not ours at all: no magic.
    Foreign,
    /// Our magic, but truncated, the wrong version, or a bad id.
    Malformed,
}

impl<'a> Heartbeat<'a> {
    /// The datagram for this heartbeat.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(22 + self.id.len());
        out.extend_from_slice(&MAGIC);
        out.push(VERSION);
        out.extend_from_slice(&self.seq.to_be_bytes());
        out.extend_from_slice(&self.sent_us.to_be_bytes());
        // Ids are checked at start-up to fit in one byte.
        out.push(u8::try_from(self.id.len()).unwrap_or(u8::MAX));
        out.extend_from_slice(self.id.as_bytes());
        out
    }

    /// Reads a datagram; never panics, whatever the bytes.
    ///
    /// # Errors
    ///
    /// [`Ignored`] saying whether the datagram was foreign or malformed.
    pub fn decode(datagram: &'a [u8]) -> Result<Heartbeat<'a>, Ignored> {
        use Ignored::Malformed;
        let Some((magic, rest)) = datagram.split_first_chunk::<4>() else {
            return Err(Ignored::Foreign);
        };
        if *magic != MAGIC {
            return Err(Ignored::Foreign);
        }
        let (&[version], rest) = rest.split_first_chunk::<1>().ok_or(Malformed)?;
        let (seq, rest) = rest.split_first_chunk::<8>().ok_or(Malformed)?;
        let (sent_us, rest) = rest.split_first_chunk::<8>().ok_or(Malformed)?;
        let (&[len], id) = rest.split_first_chunk::<1>().ok_or(Malformed)?;
        if version != VERSION || usize::from(len) != id.len() {
            return Err(Malformed);
        }
        let id = std::str::from_utf8(id).map_err(|_| Malformed)?;
        if !valid_id(id) {
            return Err(Malformed);
        }
        Ok(Heartbeat {
            id,
            seq: u64::from_be_bytes(*seq),
            sent_us: u64::from_be_bytes(*sent_us),
        })
    }
}

/// Ids are printed at the start of event lines: keep them one printable word.
fn valid_id(id: &str) -> bool {
    (1..=MAX_ID_LEN).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_graphic())
}

fn wall_clock_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

/// Datagram counts, printed in the `exit` line.
#[derive(Debug, Default)]
pub struct Counters {
    /// Heartbeats sent (one per peer per interval).
    pub sent: AtomicU64,
    /// Sends the socket refused.
    pub send_errors: AtomicU64,
    /// Heartbeats fed to the monitor.
    pub received: AtomicU64,
    /// Our own heartbeats, looped back to us: not a peer.
    pub own: AtomicU64,
    /// Datagrams without our magic.
    pub foreign: AtomicU64,
    /// Datagrams with our magic that did not decode.
    pub malformed: AtomicU64,
    /// Heartbeats from names beyond [`MAX_PEERS`].
    pub unknown: AtomicU64,
    /// Receive errors other than the poll timeout.
    pub receive_errors: AtomicU64,
}

/// Adds one to a counter.
pub fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

impl fmt::Display for Counters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fields = [
            ("sent", &self.sent),
            ("send_errors", &self.send_errors),
            ("received", &self.received),
            ("own", &self.own),
            ("foreign", &self.foreign),
            ("malformed", &self.malformed),
            ("unknown", &self.unknown),
            ("receive_errors", &self.receive_errors),
        ];
        for (i, (name, value)) in fields.into_iter().enumerate() {
            let sep = if i == 0 { "" } else { " " };
            write!(f, "{sep}{name}={}", value.load(Ordering::Relaxed))?;
        }
        Ok(())
    }
}

/// What the receiving side remembers of each peer's stream beyond what the
/// detector needs, for `stats` lines. Owned by the one receive loop.
#[derive(Debug, Default)]
pub struct Streams {
    peers: HashMap<String, Stream>,
}

#[derive(Debug)]
struct Stream {
    /// Last sequence number seen.
    seq: u64,
    /// Heartbeats missing between the sequence numbers seen (a sequence
    /// number going backwards is a restarted peer: counting starts again).
    lost: u64,
    /// Arrival minus send time of the last heartbeat, on the two wall clocks.
    transit_us: u64,
}

impl Streams {
    /// Records `hb`; `false` (and nothing recorded) if it comes from a new
    /// name and [`MAX_PEERS`] names are already known.
    fn observe(&mut self, hb: &Heartbeat<'_>, now_us: u64) -> bool {
        let transit_us = now_us.saturating_sub(hb.sent_us);
        if let Some(s) = self.peers.get_mut(hb.id) {
            s.lost += hb.seq.saturating_sub(s.seq).saturating_sub(1);
            s.seq = hb.seq;
            s.transit_us = transit_us;
            return true;
        }
        if self.peers.len() >= MAX_PEERS {
            return false;
        }
        let stream = Stream {
            seq: hb.seq,
            lost: 0,
            transit_us,
        };
        self.peers.insert(hb.id.to_owned(), stream);
        true
    }
}

/// Why the node stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// `--duration-s` elapsed.
    Duration,
    /// SIGINT or SIGTERM.
    Signal,
}

/// A node's monitor and counters, shared by its sending, receiving and
/// printing sides (threads here, tasks in `tokio_node`).
pub struct Node {
    /// The command line.
    pub options: Options,
    /// One detector per peer name.
    pub monitor: Arc<Monitor<String>>,
    /// How often the monitor is ticked.
    pub tick: Duration,
    /// Datagram counts.
    pub counters: Counters,
}

impl Node {
    /// The node's monitor, with settings derived from the heartbeat interval
    /// (see the module documentation).
    ///
    /// # Errors
    ///
    /// An invalid `--threshold`.
    pub fn new(options: Options) -> Result<Node, Box<dyn Error>> {
        let config = Config::for_interval(options.interval)?
            .to_builder()
            .threshold(options.threshold)
            .build()?;
        // Five ticks per interval: a suspicion is announced at most a fifth
        // of an interval after its deadline.
        let tick = options.interval / 5;
        // Half an acceptable pause late is a stall of our own; suspicions
        // are then held for one acceptable pause.
        let guard = PauseGuard::for_config(&config);
        let monitor = Monitor::builder()
            .config(config)
            .pause_guard(guard)
            .capacity(options.peers.len())
            .build()?;
        Ok(Node {
            options,
            monitor: Arc::new(monitor),
            tick,
            counters: Counters::default(),
        })
    }

    /// The `config` line: the settings that decide when a peer is suspected.
    pub fn config_line(&self) -> String {
        let config = self.monitor.config();
        let guard = self.monitor.pause_guard().unwrap_or_default();
        format!(
            "config {} interval_ms={} threshold={} acceptable_pause_ms={} min_std_ms={} \
             tick_ms={} max_pause_ms={} grace_ms={} peers={}",
            self.options.id,
            ms(self.options.interval),
            config.threshold(),
            ms(config.acceptable_pause()),
            ms(config.min_std_deviation()),
            ms(self.tick),
            ms(guard.max_pause()),
            ms(guard.grace()),
            self.options.peers.len(),
        )
    }

    /// Heartbeat number `seq`, stamped now.
    pub fn heartbeat(&self, seq: u64) -> Vec<u8> {
        let hb = Heartbeat {
            id: &self.options.id,
            seq,
            sent_us: wall_clock_us(),
        };
        hb.encode()
    }

    /// Counts the outcome of one send.
    pub fn sent(&self, result: io::Result<usize>) {
        bump(match result {
            Ok(_) => &self.counters.sent,
            Err(_) => &self.counters.send_errors,
        });
    }

    /// Feeds a received datagram, which arrived `at`, to the monitor.
    pub fn receive(&self, datagram: &[u8], at: Instant, streams: &mut Streams) {
        let counters = &self.counters;
        let hb = match Heartbeat::decode(datagram) {
            Ok(hb) => hb,
            Err(Ignored::Foreign) => return bump(&counters.foreign),
            Err(Ignored::Malformed) => return bump(&counters.malformed),
        };
        if hb.id == self.options.id {
            return bump(&counters.own);
        }
        if !streams.observe(&hb, wall_clock_us()) {
            return bump(&counters.unknown);
        }
        // `at` is read after the datagram left the socket, on one monotonic
        // clock, so arrivals are in order and `OutOfOrder` cannot happen.
        let _ = self.monitor.heartbeat(hb.id, at);
        bump(&counters.received);
    }

    /// One `stats` line per known peer, sorted by name.
    pub fn print_stats(&self, streams: &Streams) {
        let mut peers = self.monitor.peers(Timestamp::now());
        peers.sort_by(|a, b| a.peer.cmp(&b.peer));
        for p in peers {
            let (Some(stats), Some(deadline)) = (
                self.monitor.stats(&p.peer),
                self.monitor.suspicion_deadline(&p.peer),
            ) else {
                continue;
            };
            let last = stats.last_heartbeat.unwrap_or(deadline);
            let mut line = format!(
                "stats {} phi={:.2} mean_ms={:.2} std_ms={:.2} deadline_ms={:.1} samples={}",
                p.peer,
                p.phi,
                ms(stats.mean),
                ms(stats.std_deviation),
                ms(deadline.saturating_duration_since(last)),
                stats.samples,
            );
            if let Some(s) = streams.peers.get(&p.peer) {
                let transit_ms = s.transit_us as f64 / 1e3;
                line += &format!(" seq={} lost={} transit_ms={transit_ms:.2}", s.seq, s.lost);
            }
            println!("{line}");
        }
    }

    /// The last line a node prints.
    pub fn exit_line(&self, reason: StopReason) -> String {
        let reason = match reason {
            StopReason::Duration => "duration",
            StopReason::Signal => "signal",
        };
        format!("exit {} reason={reason} {}", self.options.id, self.counters)
    }
}

/// Prints every event waiting in `events`.
pub fn print_events(events: &Receiver<Event<String>>) {
    for event in events.try_iter() {
        print_event(&event);
    }
}

/// One line for an event; `println!` flushes at the newline even when
/// standard output is a pipe, so a reader sees each event as it happens.
pub fn print_event(event: &Event<String>) {
    match event {
        Event::Suspected(s) => println!(
            "suspected {} phi={:.2} silence_ms={:.0} mean_ms={:.1} std_ms={:.1}",
            s.peer,
            s.phi,
            ms(s.silence),
            ms(s.stats.mean),
            ms(s.stats.std_deviation),
        ),
        Event::Recovered(r) => println!("recovered {} down_ms={:.0}", r.peer, ms(r.down_for)),
        Event::ObserverPaused(p) => println!(
            "observer-paused gap_ms={:.0} hold_ms={:.0}",
            ms(p.gap),
            ms(p.hold_until.saturating_duration_since(p.at)),
        ),
        Event::IntervalWarning(w) => {
            println!("late {} interval_ms={:.0}", w.peer, ms(w.interval));
        }
        // The node never removes or resets peers.
        _ => {}
    }
}

/// A duration in (fractional) milliseconds, for output lines.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
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

fn main() -> ExitCode {
    match command_line("udp_node") {
        Ok(options) => exit_code("udp_node", run(options)),
        Err(code) => code,
    }
}

/// When the node's loops stop: at the end of its duration or on a signal.
struct Lifetime {
    end: Instant,
    /// Raised by the SIGINT/SIGTERM handler (and only by it).
    signalled: Arc<AtomicBool>,
}

impl Lifetime {
    fn running(&self) -> bool {
        !self.signalled.load(Ordering::Relaxed) && Instant::now() < self.end
    }

    fn reason(&self) -> StopReason {
        if self.signalled.load(Ordering::Relaxed) {
            StopReason::Signal
        } else {
            StopReason::Duration
        }
    }

    /// Sleeps until `t` in steps of at most [`POLL`], returning early when
    /// the node stops.
    fn sleep_until(&self, t: Instant) {
        while self.running() {
            let left = t.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            std::thread::sleep(left.min(POLL));
        }
    }
}

fn run(options: Options) -> Result<(), Box<dyn Error>> {
    let signalled = Arc::new(AtomicBool::new(false));
    signal_hook::flag::register(signal_hook::consts::SIGINT, Arc::clone(&signalled))?;
    signal_hook::flag::register(signal_hook::consts::SIGTERM, Arc::clone(&signalled))?;
    let life = Lifetime {
        end: Instant::now() + options.duration,
        signalled,
    };

    let socket = UdpSocket::bind(options.listen)?;
    socket.set_read_timeout(Some(POLL))?;
    let node = Node::new(options)?;
    println!("listening {} {}", node.options.id, socket.local_addr()?);
    println!("{}", node.config_line());

    let events = node.monitor.subscribe();
    // Suspicions come from ticks: a thread ticks the monitor on the clock
    // the heartbeats are stamped with (`Instant`).
    let driver = Driver::spawn(Arc::clone(&node.monitor), node.tick)?;
    std::thread::scope(|s| {
        s.spawn(|| send_heartbeats(&node, &socket, &life));
        s.spawn(|| {
            while life.running() {
                match events.recv_timeout(POLL) {
                    Ok(event) => print_event(&event),
                    Err(RecvTimeoutError::Timeout) => {}
                    Err(RecvTimeoutError::Disconnected) => break,
                }
            }
        });
        receive_heartbeats(&node, &socket, &life);
    });
    drop(driver);
    print_events(&events);
    println!("{}", node.exit_line(life.reason()));
    Ok(())
}

/// Sends heartbeat `seq` to every peer at `start + seq × interval`: on a
/// schedule, so one late send does not delay all later ones; after a stall
/// the missed slots are skipped, not sent in a burst.
fn send_heartbeats(node: &Node, socket: &UdpSocket, life: &Lifetime) {
    let mut next = Instant::now();
    let mut seq = 0;
    while life.running() {
        let datagram = node.heartbeat(seq);
        for peer in &node.options.peers {
            node.sent(socket.send_to(&datagram, peer));
        }
        seq += 1;
        next = (next + node.options.interval).max(Instant::now());
        life.sleep_until(next);
    }
}

/// Feeds every datagram to the monitor with its arrival time, and prints
/// the `stats` lines when due.
fn receive_heartbeats(node: &Node, socket: &UdpSocket, life: &Lifetime) {
    let mut buf = [0u8; MAX_DATAGRAM];
    let mut streams = Streams::default();
    let mut next_stats = node.options.stats_every.map(|every| Instant::now() + every);
    while life.running() {
        match socket.recv_from(&mut buf) {
            Ok((len, _from)) => node.receive(&buf[..len], Instant::now(), &mut streams),
            // The poll timeout, or a signal (checked at the loop's head).
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) => {}
            Err(_) => {
                bump(&node.counters.receive_errors);
                // Whatever the error, do not spin on it.
                std::thread::sleep(POLL);
            }
        }
        if let (Some(due), Some(every)) = (next_stats, node.options.stats_every) {
            let now = Instant::now();
            if now >= due {
                node.print_stats(&streams);
                next_stats = Some(now + every);
            }
        }
    }
}
