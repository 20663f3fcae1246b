//! Simulates heartbeat traces and prints their first lines and summary
//! statistics.
//!
//! ```text
//! cargo run --release --example simulate                 # wan, 1 h, seed 2004
//! cargo run --release --example simulate -- gc 86400 7   # profile, seconds, seed
//! ```

use accrual::simulate::{self, EpisodeKind, Profile, Scenario};
use std::time::{Duration, Instant};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let profile: Profile = args.next().as_deref().unwrap_or("wan").parse()?;
    let seconds: f64 = args.next().as_deref().unwrap_or("3600").parse()?;
    let seed: u64 = args.next().as_deref().unwrap_or("2004").parse()?;

    let scenario = Scenario::builder(profile)
        .duration_s(seconds)
        .nodes(2)
        .seed(seed)
        .build()?;
    let started = Instant::now();
    let sim = simulate::simulate(&scenario);
    let elapsed = started.elapsed();

    let mut csv = Vec::new();
    sim.trace.write_csv(&mut csv)?;
    println!("{profile}: {}", profile.description());
    for line in String::from_utf8(csv)?.lines().take(6) {
        println!("  {line}");
    }
    println!(
        "{} arrivals in {:.1} ms ({:.0} ns each)\n",
        sim.trace.len(),
        elapsed.as_secs_f64() * 1e3,
        elapsed.as_nanos() as f64 / sim.trace.len().max(1) as f64
    );

    let interval = scenario.interval().as_secs_f64() * 1e3;
    for (node, truth) in sim.trace.nodes().iter().zip(&sim.truth) {
        let gaps: Vec<f64> = node
            .arrivals()
            .windows(2)
            .map(|w| w[1].saturating_duration_since(w[0]).as_secs_f64() * 1e3)
            .collect();
        let n = gaps.len().max(1) as f64;
        let mean = gaps.iter().sum::<f64>() / n;
        let sd = (gaps.iter().map(|g| (g - mean).powi(2)).sum::<f64>() / n).sqrt();
        let mut longest = gaps.clone();
        longest.sort_by(|a, b| b.total_cmp(a));
        longest.truncate(3);
        let count = |kind| truth.episodes.iter().filter(|e| e.kind == kind).count();
        println!(
            "{}: inter-arrival mean {mean:.3} ms, sd {sd:.2} ms; gaps above 1.5 intervals: {}",
            node.name(),
            gaps.iter().filter(|&&g| g > 1.5 * interval).count()
        );
        println!(
            "  loss {:.3} % ({} of {} sent, mean burst {:.2}); longest gaps (ms): {:.0?}",
            100.0 * truth.lost as f64 / truth.sent.max(1) as f64,
            truth.lost,
            truth.sent,
            truth.lost as f64 / truth.loss_bursts.max(1) as f64,
            longest
        );
        let longest_episode = truth
            .episodes
            .iter()
            .map(|e| e.end.saturating_duration_since(e.start))
            .max()
            .unwrap_or(Duration::ZERO);
        println!(
            "  episodes: {} stalls, {} outages, {} regimes (longest {:.2} s)",
            count(EpisodeKind::Stall),
            count(EpisodeKind::Outage),
            count(EpisodeKind::Regime),
            longest_episode.as_secs_f64()
        );
    }
    Ok(())
}
