//! The comparison: a steady run of the cluster, then one node killed, with
//! chitchat's own failure detector and `accrual` monitors watching the same
//! heartbeats at the observer.
//!
//! Phases:
//!
//! 1. **Warm-up** (not counted): the cluster converges, every detector
//!    learns every peer; it ends once chitchat calls every peer live and
//!    every monitor finds every peer available, plus a settling time.
//! 2. **Steady run**: nobody fails, so every suspicion is a false one.
//! 3. **Kill**: the last node stops; the first suspicion of it is each
//!    detector's detection, a suspicion of any other node is false.
//!
//! The `accrual` monitors are fed by [`Feed`] and ticked at every poll, on
//! the same single-threaded runtime as the gossip, so a stall of the
//! process is a stall of the ticks and the pause guard sees it. chitchat judges liveness once per
//! gossip round, at the end of the round.

use crate::cluster::{chitchat_timeout, Cluster, Feed};
use accrual::monitor::{Event, Monitor, PauseGuard};
use accrual::{Config, Model, Timestamp};
use std::collections::BTreeSet;
use std::f64::consts::LN_10;
use std::fmt;
use std::time::{Duration, Instant};
use tokio::time::{interval, MissedTickBehavior};

/// What to run.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Cluster size, the observer included.
    pub nodes: usize,
    /// chitchat's gossip interval.
    pub gossip_interval: Duration,
    /// How often the observer reads the counters and ticks the monitors.
    pub poll: Duration,
    /// Share of the datagrams each node loses on receipt, in thousandths.
    pub loss_per_mille: u64,
    /// The longest the warm-up may take before the run is abandoned.
    pub converge_limit: Duration,
    /// Time allowed after convergence before counting starts.
    pub settle: Duration,
    /// Length of the steady run.
    pub steady: Duration,
    /// The longest to wait for every detector to detect the killed node.
    pub detect_limit: Duration,
    /// Print each transition as it is seen.
    pub verbose: bool,
}

impl Settings {
    /// The `accrual` configuration the project recommends for heartbeats
    /// every gossip interval: Akka's defaults scaled to it (threshold 8,
    /// acceptable pause 3 intervals, min σ a tenth of one).
    pub fn recommended(&self) -> Config {
        Config::for_interval(self.gossip_interval).expect("the gossip interval is not zero")
    }

    /// chitchat's own rule in `accrual`: its phi is silence / mean
    /// interval, which the exponential model with no acceptable pause
    /// writes as silence / (mean · ln 10), so its threshold 8 is
    /// 8 / ln 10 ≈ 3.47 here. (chitchat smooths the mean with a prior of
    /// five intervals; `accrual` seeds two bootstrap samples instead.)
    pub fn chitchat_rule(&self) -> Config {
        Config::builder()
            .model(Model::Exponential)
            .threshold(8.0 / LN_10)
            .acceptable_pause(Duration::ZERO)
            .min_std_deviation(Duration::from_millis(1))
            .first_heartbeat_estimate(self.gossip_interval)
            .build()
            .expect("a valid configuration")
    }
}

/// One detector's figures.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// Which detector.
    pub name: String,
    /// Suspicions during the steady run (all false).
    pub steady_false: usize,
    /// Suspicions of surviving nodes after the kill (all false).
    pub survivors_false: usize,
    /// Silence after which the detector's own state at the kill said it
    /// would suspect the node (chitchat: threshold × smoothed mean;
    /// `accrual`: suspicion deadline − last heartbeat).
    pub predicted: Option<Duration>,
    /// When it suspected the killed node, after the kill.
    pub after_kill: Option<Duration>,
    /// When it suspected the killed node, after the node's last heartbeat
    /// arrival at the observer.
    pub after_last: Option<Duration>,
}

/// Everything a run measured.
#[derive(Clone, Debug)]
pub struct Report {
    /// What was run.
    pub settings: Settings,
    /// The killed node.
    pub killed: String,
    /// Heartbeat arrivals per peer per second at the observer, steady run.
    pub arrivals_per_s: f64,
    /// When the killed node's last heartbeat arrival was seen, relative to
    /// the kill in milliseconds: positive when gossip from other members
    /// still brought a newer counter after the node stopped.
    pub last_arrival_ms: i64,
    /// Observer pauses the monitors' guard reported during the steady run
    /// and after the kill (each holds new suspicions for the guard's grace).
    pub observer_pauses: usize,
    /// chitchat first, then each monitor.
    pub outcomes: Vec<Outcome>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    WarmUp,
    Steady,
    AfterKill,
}

/// One detector's running counts.
struct Tally {
    outcome: Outcome,
    detected_at: Option<Instant>,
}

impl Tally {
    fn new(name: impl Into<String>) -> Tally {
        Tally {
            outcome: Outcome {
                name: name.into(),
                steady_false: 0,
                survivors_false: 0,
                predicted: None,
                after_kill: None,
                after_last: None,
            },
            detected_at: None,
        }
    }

    /// Counts the suspicions among a monitor's `events`, seen at `at`, and
    /// returns the number of observer pauses among them.
    fn count(
        &mut self,
        events: impl Iterator<Item = Event<String>>,
        phase: Phase,
        killed: &str,
        at: Instant,
        log: &dyn Fn(Instant, String),
    ) -> usize {
        let name = self.outcome.name.clone();
        let mut pauses = 0;
        for event in events {
            match event {
                Event::Suspected(s) if s.level == 0 => {
                    log(
                        at,
                        format!(
                            "{name}: suspected {} phi={:.2} silence_ms={}",
                            s.peer,
                            s.phi,
                            s.silence.as_millis()
                        ),
                    );
                    self.suspected(phase, &s.peer, killed, at);
                }
                Event::Recovered(r) if r.level == 0 => log(
                    at,
                    format!(
                        "{name}: recovered {} down_ms={}",
                        r.peer,
                        r.down_for.as_millis()
                    ),
                ),
                Event::ObserverPaused(p) => {
                    pauses += 1;
                    log(at, format!("observer paused for {} ms", p.gap.as_millis()));
                }
                _ => {}
            }
        }
        pauses
    }

    /// Counts one suspicion of `peer` seen at `at`.
    fn suspected(&mut self, phase: Phase, peer: &str, killed: &str, at: Instant) {
        match phase {
            Phase::WarmUp => {}
            Phase::Steady => self.outcome.steady_false += 1,
            Phase::AfterKill if peer == killed => {
                self.detected_at.get_or_insert(at);
            }
            Phase::AfterKill => self.outcome.survivors_false += 1,
        }
    }
}

/// An `accrual` monitor under test, with its subscription (only `try_iter`
/// is used from it).
struct Watcher<R> {
    monitor: Monitor<String>,
    events: R,
    tally: Tally,
}

/// Runs the three phases and returns the figures.
///
/// # Errors
///
/// If chitchat cannot start a node, or the cluster does not converge
/// within [`Settings::converge_limit`].
pub async fn run(settings: Settings) -> anyhow::Result<Report> {
    anyhow::ensure!(settings.nodes >= 3, "the comparison needs at least 3 nodes");
    let recommended = settings.recommended();
    // One guard for both monitors, scaled to the gossip interval: a stall
    // of this process longer than 1.5 rounds holds new suspicions.
    let guard = PauseGuard::for_config(&recommended);
    let mut watchers = Vec::new();
    for (name, config) in [
        (
            format!(
                "accrual, phi {} (for_interval {} ms)",
                recommended.threshold(),
                settings.gossip_interval.as_millis()
            ),
            recommended.clone(),
        ),
        (
            "accrual, chitchat's rule (exponential, phi 3.47)".to_string(),
            settings.chitchat_rule(),
        ),
    ] {
        let monitor = Monitor::<String>::builder()
            .config(config)
            .pause_guard(guard)
            .build()?;
        let events = monitor.subscribe();
        watchers.push(Watcher {
            monitor,
            events,
            tally: Tally::new(name),
        });
    }
    let failure_detector = Cluster::failure_detector(settings.gossip_interval);
    let mut chitchat = Tally::new(format!("chitchat, phi {}", failure_detector.phi_threshold));
    let mut cluster = Cluster::start(
        settings.nodes,
        settings.gossip_interval,
        failure_detector,
        settings.loss_per_mille,
    )
    .await?;
    let names = cluster.names().to_vec();
    let peers: BTreeSet<String> = names.iter().skip(1).cloned().collect();
    let killed_index = settings.nodes - 1;
    let killed = names[killed_index].clone();

    let start = Instant::now();
    let log = |at: Instant, line: String| {
        if settings.verbose {
            println!(
                "{:>6} ms  {line}",
                at.saturating_duration_since(start).as_millis()
            );
        }
    };
    let mut feed = Feed::default();
    let mut live = BTreeSet::new();
    let mut ticker = interval(settings.poll);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut phase = Phase::WarmUp;
    let mut converged_at: Option<Instant> = None;
    let mut steady_from = start;
    let mut steady_arrivals = 0usize;
    let mut steady_for = Duration::ZERO;
    let mut killed_at = start;
    let mut last_killed_arrival = start;
    let mut observer_pauses = 0;
    // Every phase ends on the clock; the count is a second fence.
    let limit = settings.converge_limit + settings.settle + settings.steady + settings.detect_limit;
    let max_polls = 2 * limit.as_nanos() / settings.poll.as_nanos().max(1) + 100;
    let mut polls = 0;
    loop {
        polls += 1;
        anyhow::ensure!(polls <= max_polls, "more than {max_polls} polls");
        ticker.tick().await;
        let poll = feed.poll(cluster.observer()?).await;
        let at = Timestamp::from(poll.at);
        for w in &mut watchers {
            for peer in &poll.arrivals {
                // Stamps never go backwards (one reader, a monotonic
                // clock), so a heartbeat cannot be rejected as out of order.
                let _ = w.monitor.heartbeat(peer.as_str(), at);
            }
            w.monitor.tick(at);
            let pauses = w
                .tally
                .count(w.events.try_iter(), phase, &killed, poll.at, &log);
            if phase != Phase::WarmUp {
                observer_pauses += pauses;
            }
        }
        for peer in live.difference(&poll.live) {
            log(
                poll.at,
                format!("{}: {peer} left the live set", chitchat.outcome.name),
            );
            chitchat.suspected(phase, peer, &killed, poll.at);
        }
        for peer in poll.live.difference(&live) {
            log(
                poll.at,
                format!("{}: {peer} is live", chitchat.outcome.name),
            );
        }
        live = poll.live;
        if poll.arrivals.contains(&killed) {
            last_killed_arrival = poll.at;
        }

        match phase {
            Phase::WarmUp => {
                let converged = live == peers
                    && watchers.iter().all(|w| {
                        peers
                            .iter()
                            .all(|p| w.monitor.is_available(p.as_str(), at) == Some(true))
                    });
                converged_at = if converged {
                    converged_at.or(Some(poll.at))
                } else {
                    None
                };
                if converged_at.is_some_and(|c| poll.at >= c + settings.settle) {
                    log(poll.at, "steady run starts".to_string());
                    phase = Phase::Steady;
                    steady_from = poll.at;
                } else if poll.at >= start + settings.converge_limit {
                    anyhow::bail!(
                        "the cluster did not converge within {:?}: chitchat lists {:?} live",
                        settings.converge_limit,
                        live
                    );
                }
            }
            Phase::Steady => {
                steady_arrivals += poll.arrivals.len();
                if poll.at >= steady_from + settings.steady {
                    // Each detector's own forecast, read just before the kill.
                    chitchat.outcome.predicted =
                        chitchat_timeout(cluster.observer()?, &killed).await;
                    for w in &mut watchers {
                        let deadline = w.monitor.suspicion_deadline(killed.as_str());
                        let last = w
                            .monitor
                            .stats(killed.as_str())
                            .and_then(|s| s.last_heartbeat);
                        w.tally.outcome.predicted = deadline
                            .zip(last)
                            .map(|(d, l)| d.saturating_duration_since(l));
                    }
                    steady_for = poll.at.saturating_duration_since(steady_from);
                    killed_at = cluster.kill(killed_index).await?;
                    log(killed_at, format!("{killed} killed"));
                    phase = Phase::AfterKill;
                }
            }
            Phase::AfterKill => {
                let all = chitchat.detected_at.is_some()
                    && watchers.iter().all(|w| w.tally.detected_at.is_some());
                if all || poll.at >= killed_at + settings.detect_limit {
                    break;
                }
            }
        }
    }
    cluster.shutdown().await?;

    let mut outcomes = vec![chitchat];
    outcomes.extend(watchers.into_iter().map(|w| w.tally));
    let outcomes = outcomes
        .into_iter()
        .map(|t| {
            let mut o = t.outcome;
            o.after_kill = t
                .detected_at
                .map(|d| d.saturating_duration_since(killed_at));
            o.after_last = t
                .detected_at
                .map(|d| d.saturating_duration_since(last_killed_arrival));
            o
        })
        .collect();
    Ok(Report {
        arrivals_per_s: steady_arrivals as f64 / peers.len() as f64 / steady_for.as_secs_f64(),
        last_arrival_ms: if last_killed_arrival >= killed_at {
            millis(last_killed_arrival - killed_at)
        } else {
            -millis(killed_at - last_killed_arrival)
        },
        observer_pauses,
        killed,
        outcomes,
        settings,
    })
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.settings;
        writeln!(
            f,
            "{} chitchat nodes on 127.0.0.1, gossip every {} ms, {:.1} % of datagrams lost; \
             node-0 observes, polling every {} ms",
            s.nodes,
            s.gossip_interval.as_millis(),
            s.loss_per_mille as f64 / 10.0,
            s.poll.as_millis()
        )?;
        writeln!(
            f,
            "steady run: {:.1} heartbeat arrivals per peer per second at the observer",
            self.arrivals_per_s
        )?;
        writeln!(
            f,
            "{} killed; its last heartbeat reached the observer at {:+} ms from the kill; observer pauses: {}",
            self.killed,
            self.last_arrival_ms,
            self.observer_pauses
        )?;
        writeln!(
            f,
            "{:<48} {:>9} {:>10} {:>13} {:>12} {:>15}",
            "detector",
            "predicted",
            "after kill",
            "after last hb",
            "false steady",
            "false survivors"
        )?;
        let ms =
            |d: Option<Duration>| d.map_or("-".to_string(), |d| format!("{} ms", d.as_millis()));
        for o in &self.outcomes {
            writeln!(
                f,
                "{:<48} {:>9} {:>10} {:>13} {:>12} {:>15}",
                o.name,
                ms(o.predicted),
                ms(o.after_kill),
                ms(o.after_last),
                o.steady_false,
                o.survivors_false
            )?;
        }
        Ok(())
    }
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}
