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
//! suspected nodeC level=0 threshold=8 phi=8.41 silence_ms=412 mean_ms=50.1 std_ms=3.0
//! recovered nodeC level=0 threshold=8 down_ms=3120
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
//! `examples/tokio_node.rs` is the same node on tokio; both share the
//! command line (`options.rs`), the wire format (`wire.rs`) and the node's
//! state and event lines (`node.rs`) of this folder. This file holds what is
//! the thread node's own: its lifetime and its three loops.

mod node;
mod options;
mod wire;

use accrual::monitor::Driver;
use crossbeam_channel::RecvTimeoutError;
use node::{bump, print_event, print_events, Node, StopReason, Streams, POLL};
use options::{command_line, exit_code, Options};
use std::error::Error;
use std::io;
use std::net::UdpSocket;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;
use wire::MAX_DATAGRAM;

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
