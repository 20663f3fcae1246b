//! A node watching five peers in real time: two transport threads deliver
//! heartbeats every 50 ms, a background driver ticks the monitor, and a
//! subscriber prints the events. Peer `p3` crashes after one second and
//! comes back a second later; `p9` is watched but never answers.
//!
//! Run: `cargo run --example monitor` (about three seconds).

use accrual::monitor::{Driver, Monitor};
use accrual::{Config, PhiDisplay, Timestamp};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let interval = Duration::from_millis(50);
    let monitor: Arc<Monitor<String>> = Arc::new(
        Monitor::builder()
            .config(Config::for_interval(interval)?)
            // Escalating actions: stop routing at 3, declare dead at 8.
            .thresholds([3.0, 8.0])
            .expected_response_after(interval * 4)
            .build()?,
    );
    let events = monitor.subscribe();
    let driver = Driver::spawn(Arc::clone(&monitor), Duration::from_millis(10))?;
    monitor.watch("p9", Timestamp::now());

    let start = Instant::now();
    let transports: Vec<_> = [["p0", "p1", "p2"], ["p3", "p4", "p4"]]
        .into_iter()
        .map(|peers| {
            let monitor = Arc::clone(&monitor);
            std::thread::spawn(move || {
                while start.elapsed() < Duration::from_secs(3) {
                    let now = start.elapsed();
                    for peer in peers {
                        let crashed = peer == "p3"
                            && now > Duration::from_secs(1)
                            && now < Duration::from_secs(2);
                        if !crashed {
                            // Duplicate deliveries (p4 twice) are ignored.
                            let _ = monitor.heartbeat(peer, Instant::now());
                        }
                    }
                    std::thread::sleep(interval);
                }
            })
        })
        .collect();

    while start.elapsed() < Duration::from_millis(2_800) {
        let Ok(event) = events.recv_timeout(Duration::from_millis(100)) else {
            continue;
        };
        let at = start.elapsed().as_millis();
        // Every event prints as one `key=value` line.
        println!("{at:>5} ms  {event}");
    }
    let now = Timestamp::now();
    for p in monitor.peers_sorted(now) {
        println!(
            "{}: phi {}, level {}, silent for {:?}",
            p.peer,
            PhiDisplay::new(p.phi),
            p.level,
            p.silence
        );
    }
    println!("p7: {:?}", monitor.availability("p7", now));
    for t in transports {
        let _ = t.join();
    }
    drop(driver); // stops and joins the ticking thread
    Ok(())
}
