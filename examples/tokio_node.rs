//! The UDP heartbeat node of `udp_node/` on tokio: the same wire format,
//! options, settings and output lines, with one task instead of threads.
//!
//! One `select!` loop sends the heartbeats on an interval, receives them
//! and stamps their arrival, ticks the monitor (no `Driver` thread), and
//! prints the events those calls produced: the monitor's calls never block,
//! so they run inside the task as they are. The events are drained with
//! `try_iter` after each branch, never with a blocking `recv`, which would
//! stall this single-threaded runtime.
//!
//! This example needs no feature of the crate. With the `tokio` feature,
//! the library does the ticking and the waiting itself: `TokioDriver`
//! ticks the monitor from its own task, and `monitor.subscribe_stream()`
//! can be a `select!` branch of its own (`Some(event) = events.recv()`);
//! the crate documentation's async section shows both.
//!
//! Run it in place of any `udp_node` (the two interoperate), for instance:
//!
//! ```text
//! cargo run --example tokio_node -- --id nodeC --listen 127.0.0.1:7003 --peer 127.0.0.1:7001 --peer 127.0.0.1:7002 --interval-ms 50
//! ```

// The thread node's shared pieces: its command line, wire format and node
// state, compiled into this example too.
#[path = "udp_node/node.rs"]
mod node;
#[path = "udp_node/options.rs"]
mod options;
#[path = "udp_node/wire.rs"]
mod wire;

use accrual::Timestamp;
use node::{print_events, Node, StopReason, Streams, POLL};
use options::{command_line, exit_code, Options};
use std::error::Error;
use std::process::ExitCode;
use std::time::Instant;
use tokio::net::UdpSocket;
use tokio::time::{interval, interval_at, sleep, MissedTickBehavior};
use wire::MAX_DATAGRAM;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match command_line("tokio_node") {
        Ok(options) => exit_code("tokio_node", run(options).await),
        Err(code) => code,
    }
}

async fn run(options: Options) -> Result<(), Box<dyn Error>> {
    let socket = UdpSocket::bind(options.listen).await?;
    let node = Node::new(options)?;
    println!("listening {} {}", node.options.id, socket.local_addr()?);
    println!("{}", node.config_line());

    let events = node.monitor.subscribe();
    // After a stall, skip the missed slots instead of bursting them.
    let mut send = interval(node.options.interval);
    send.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut tick = interval(node.tick);
    tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
    // Polled only with --stats-every-ms (see its branch's condition).
    let every = node.options.stats_every.unwrap_or(node.options.duration);
    let mut stats = interval_at(tokio::time::Instant::now() + every, every);
    let end = sleep(node.options.duration);
    let shutdown = terminated();
    tokio::pin!(end, shutdown);

    let mut buf = [0u8; MAX_DATAGRAM];
    let mut streams = Streams::default();
    let mut seq = 0;
    let reason = loop {
        tokio::select! {
            () = &mut end => break StopReason::Duration,
            signal = &mut shutdown => {
                signal?;
                break StopReason::Signal;
            }
            received = socket.recv_from(&mut buf) => match received {
                Ok((len, _from)) => node.receive(&buf[..len], Instant::now(), &mut streams),
                Err(_) => {
                    node::bump(&node.counters.receive_errors);
                    sleep(POLL).await; // whatever the error, do not spin on it
                }
            },
            _ = tick.tick() => {
                node.monitor.tick(Timestamp::now());
            }
            _ = send.tick() => {
                let datagram = node.heartbeat(seq);
                seq += 1;
                for peer in &node.options.peers {
                    node.sent(socket.send_to(&datagram, peer).await);
                }
            }
            _ = stats.tick(), if node.options.stats_every.is_some() => node.print_stats(&streams),
        }
        print_events(&events);
    };
    println!("{}", node.exit_line(reason));
    Ok(())
}

/// Resolves on Ctrl-C (SIGINT) or, on Unix, SIGTERM.
async fn terminated() -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate())?;
        tokio::select! {
            result = tokio::signal::ctrl_c() => result,
            _ = term.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    tokio::signal::ctrl_c().await
}
