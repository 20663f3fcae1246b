//! A node's shared state (monitor, counters, per-peer streams) and its
//! output lines: what the thread node and the tokio node have in common.

use crate::options::{Options, MAX_PEERS};
use crate::wire::{wall_clock_us, Heartbeat, Ignored};
use accrual::monitor::{Event, Monitor, PauseGuard};
use accrual::{Config, PhiDisplay, Timestamp};
use crossbeam_channel::Receiver;
use std::collections::HashMap;
use std::error::Error;
use std::fmt;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long any loop waits before it looks at the clock and the stop flag
/// again: the latency of a clean shutdown.
pub const POLL: Duration = Duration::from_millis(50);

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
    pub fn observe(&mut self, hb: &Heartbeat<'_>, now_us: u64) -> bool {
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
        for p in self.monitor.peers_sorted(Timestamp::now()) {
            let (Some(stats), Some(deadline)) = (
                self.monitor.stats(&p.peer),
                self.monitor.suspicion_deadline(&p.peer),
            ) else {
                continue;
            };
            let last = stats.last_heartbeat.unwrap_or(deadline);
            let mut line = format!(
                "stats {} phi={} mean_ms={:.2} std_ms={:.2} deadline_ms={:.1} samples={}",
                p.peer,
                PhiDisplay::new(p.phi),
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

/// One line for an event (the library's `Display`: the event word, the
/// peer, `key=value` fields), plus the window's statistics for a
/// suspicion; `println!` flushes at the newline even when standard output
/// is a pipe, so a reader sees each event as it happens.
pub fn print_event(event: &Event<String>) {
    match event {
        Event::Suspected(s) => println!(
            "{event} mean_ms={:.1} std_ms={:.1}",
            ms(s.stats.mean),
            ms(s.stats.std_deviation),
        ),
        _ => println!("{event}"),
    }
}

/// A duration in (fractional) milliseconds, for output lines.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
