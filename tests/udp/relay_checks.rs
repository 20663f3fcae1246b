//! The relay's own checks: its loss models and its handling of real
//! datagrams, so that a failing scenario in `main.rs` points at the nodes,
//! not at the relay that carries their heartbeats.

use crate::relay::{Bursts, Cut, Faults, LossModel, Relay};
use crate::{FAULTS, SCHEDULING};
use std::net::UdpSocket;
use std::time::{Duration, Instant};

/// The relay's loss models are deterministic for a seed and lose what
/// they are configured to: independent loss at its rate, Gilbert–Elliott
/// bursts at their stationary rate and mean length.
#[test]
fn relay_loss_models_are_seeded_and_match_their_rates() {
    const N: usize = 200_000;
    let independent = Faults {
        loss: 0.01,
        ..FAULTS
    };
    let bursts = Bursts {
        enter: 0.01,
        leave: 0.25,
        loss_in_burst: 0.8,
    };
    let bursty = Faults {
        bursts: Some(bursts),
        loss: 0.001,
        ..FAULTS
    };
    for faults in [independent, bursty] {
        let mut a = LossModel::new(faults, 42);
        let mut b = LossModel::new(faults, 42);
        let drops: Vec<bool> = (0..N).map(|_| a.drops()).collect();
        assert!(
            drops.iter().all(|&d| d == b.drops()),
            "same seed, same losses"
        );
        let mut other = LossModel::new(faults, 43);
        assert!(
            drops.iter().any(|&d| d != other.drops()),
            "another seed, other losses"
        );

        let rate = drops.iter().filter(|&&d| d).count() as f64 / N as f64;
        let expected = match faults.bursts {
            None => faults.loss,
            Some(g) => {
                let bad = g.time_in_bursts();
                bad * g.loss_in_burst + (1.0 - bad) * faults.loss
            }
        };
        // Five binomial standard deviations, widened tenfold for the
        // correlation of bursts.
        let sigma = (expected * (1.0 - expected) / N as f64).sqrt();
        let tolerance = if faults.bursts.is_some() { 10.0 } else { 1.0 } * 5.0 * sigma;
        assert!(
            (rate - expected).abs() < tolerance,
            "loss {rate}, expected {expected}"
        );
    }
    // Bursty losses come in runs: the mean run of consecutive losses is
    // longer than independent loss at the same rate would give (≈ 1).
    let mut model = LossModel::new(bursty, 7);
    let drops: Vec<bool> = (0..N).map(|_| model.drops()).collect();
    let runs = drops.windows(2).filter(|w| w[1] && !w[0]).count();
    let mean_run = drops.iter().filter(|&&d| d).count() as f64 / runs as f64;
    assert!(mean_run > 2.0, "mean loss run {mean_run}");
}

/// The relay on real sockets: every datagram is held at least the delay
/// and at most delay + jitter (plus scheduling), about the configured share
/// is lost, and nothing sent during a partition gets through.
#[test]
fn relay_delays_drops_and_partitions_real_datagrams() {
    let faults = Faults {
        delay: Duration::from_millis(20),
        jitter: Duration::from_millis(10),
        loss: 0.1,
        bursts: None,
    };
    let relay = Relay::start(2, faults, 9, Duration::from_secs(20), 10_000).expect("relay");
    let sender = UdpSocket::bind("127.0.0.1:0").expect("bind");
    let receiver = UdpSocket::bind("127.0.0.1:0").expect("bind");
    receiver
        .set_read_timeout(Some(Duration::from_millis(10)))
        .expect("timeout");
    relay.set_destination(1, receiver.local_addr().expect("addr"));

    // 600 datagrams, one every 2 ms; the partition covers the middle half.
    const N: u32 = 600;
    let pace = Duration::from_millis(2);
    let start = Instant::now();
    let cut_from = start + pace * (N / 4);
    let cut_until = start + pace * (3 * N / 4);
    relay.partition(0, Cut::Outbound, cut_from, cut_until);
    let entry = relay.entry(0, 1);
    let mut arrivals = Vec::new();
    let sent_at: Vec<Instant> = std::thread::scope(|s| {
        let sending = s.spawn(|| {
            (0..N)
                .map(|i| {
                    std::thread::sleep(
                        (start + pace * i).saturating_duration_since(Instant::now()),
                    );
                    let at = Instant::now();
                    sender.send_to(&i.to_be_bytes(), entry).expect("send");
                    at
                })
                .collect()
        });
        // Reads until the last datagram's longest delay, plus scheduling.
        let drain_until = start + pace * N + faults.max_delay() + SCHEDULING;
        let mut buf = [0u8; 16];
        while Instant::now() < drain_until {
            if let Ok((4, _)) = receiver.recv_from(&mut buf) {
                let i = u32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]);
                arrivals.push((i as usize, Instant::now()));
            }
        }
        sending.join().expect("sender")
    });

    let counts = relay.counts(0, 1);
    assert_eq!(counts.received, u64::from(N), "{counts:?}");
    assert_eq!(counts.forwarded, arrivals.len() as u64, "{counts:?}");
    assert_eq!(
        counts.lost + counts.partitioned + counts.forwarded + counts.undeliverable,
        counts.received,
        "{counts:?}"
    );
    // Half the datagrams fall in the partition; of the rest, 10 % ± five
    // binomial deviations are lost.
    let exposed = (counts.received - counts.partitioned) as f64;
    let sigma = (exposed * 0.1 * 0.9).sqrt();
    assert!(
        (counts.lost as f64 - exposed * 0.1).abs() < 5.0 * sigma,
        "{counts:?}"
    );
    assert!(counts.partitioned >= u64::from(N) / 4, "{counts:?}");
    for (i, at) in arrivals {
        let held = at - sent_at[i];
        assert!(held >= faults.delay, "datagram {i} held {held:?}");
        assert!(
            held <= faults.max_delay() + SCHEDULING,
            "datagram {i} held {held:?}"
        );
        // Sent well inside the partition: it cannot have got through.
        let inside = sent_at[i] >= cut_from && sent_at[i] + SCHEDULING < cut_until;
        assert!(!inside, "datagram {i} crossed the partition");
    }
}
