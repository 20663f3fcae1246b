//! A caller that ticks only when `next_check` says, with the README's pause
//! guard: its ticks are legitimately far apart, and the guard must not take
//! them for stalls of the observer; a real stall must still be reported.
//!
//! Everything runs on simulated time (timestamps), no sleeps: the caller's
//! loop is "read `next_check`, then whichever comes first: the timer fires
//! (tick at the check time) or a heartbeat arrives".

use accrual::monitor::{Event, Monitor, PauseGuard, Receiver};
use accrual::{Config, Timestamp};
use std::time::Duration;

const MS: u64 = 1_000_000;
const INTERVAL: Duration = Duration::from_millis(50);
const PEERS: [&str; 3] = ["nodeA", "nodeB", "nodeC"];

/// A small deterministic generator for the heartbeats' jitter.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Three peers heartbeating every 50 ms, observed by a caller that ticks
/// only at `next_check` times.
struct Run {
    monitor: Monitor<&'static str>,
    events: Receiver<Event<&'static str>>,
    /// Each peer's next heartbeat arrival (ns), `None` once it is dead.
    next_heartbeat: Vec<Option<u64>>,
    jitter: XorShift,
    ticks: Vec<u64>,
}

impl Run {
    /// The README's settings: `Config::for_interval(50 ms)` and
    /// `PauseGuard::for_config` (75 ms max pause, 150 ms hold).
    fn new() -> Run {
        let config = Config::for_interval(INTERVAL).unwrap();
        let guard = PauseGuard::for_config(&config);
        let monitor = Monitor::builder()
            .config(config)
            .pause_guard(guard)
            .build()
            .unwrap();
        let events = monitor.subscribe();
        Run {
            monitor,
            events,
            // Staggered phases, so that the peers' deadlines differ.
            next_heartbeat: vec![Some(0), Some(17 * MS), Some(33 * MS)],
            jitter: XorShift(0x9E37_79B9_7F4A_7C15),
            ticks: Vec::new(),
        }
    }

    /// Runs the caller's loop until `end` (ns). Bounded: each step either
    /// ticks at a later time than the previous tick or delivers a heartbeat.
    fn until(&mut self, end: u64) {
        for _ in 0..1_000_000 {
            let heartbeat = self
                .next_heartbeat
                .iter()
                .enumerate()
                .filter_map(|(i, t)| t.map(|t| (t, i)))
                .min();
            let timer = self.monitor.next_check().map(Timestamp::as_nanos);
            match (timer, heartbeat) {
                (Some(t), hb) if t <= end && hb.is_none_or(|(h, _)| t <= h) => {
                    assert!(
                        self.ticks.last().is_none_or(|&last| t > last),
                        "no progress"
                    );
                    self.monitor.tick(Timestamp::from_nanos(t));
                    self.ticks.push(t);
                }
                (_, Some((h, i))) if h <= end => {
                    self.monitor
                        .heartbeat(&PEERS[i], Timestamp::from_nanos(h))
                        .unwrap();
                    // 50 ms ± 5 ms.
                    let next = h + 45 * MS + self.jitter.next() % (10 * MS);
                    self.next_heartbeat[i] = Some(next);
                }
                _ => return,
            }
        }
        panic!("the simulated run did not reach its end");
    }

    /// The observer freezes from `from` to `to`: no tick and no heartbeat is
    /// processed meanwhile. At `to` its timer fires first (late), then it
    /// reads the heartbeats queued in its socket, stamped as it reads them.
    fn stall(&mut self, from: u64, to: u64) {
        self.until(from);
        self.monitor.tick(Timestamp::from_nanos(to));
        self.ticks.push(to);
        for (i, next) in self.next_heartbeat.iter_mut().enumerate() {
            if next.is_some() {
                let read = to + (i as u64 + 1) * 10_000; // 10 µs apart
                self.monitor
                    .heartbeat(&PEERS[i], Timestamp::from_nanos(read))
                    .unwrap();
                *next = Some(read + 50 * MS);
            }
        }
    }

    fn events(&self) -> Vec<Event<&'static str>> {
        self.events.try_iter().collect()
    }

    fn longest_gap_between_ticks(&self) -> Duration {
        let gap = self.ticks.windows(2).map(|w| w[1] - w[0]).max();
        Duration::from_nanos(gap.unwrap_or(0))
    }
}

fn pauses(events: &[Event<&'static str>]) -> usize {
    events
        .iter()
        .filter(|e| matches!(e, Event::ObserverPaused(_)))
        .count()
}

fn suspected(events: &[Event<&'static str>]) -> Vec<&'static str> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Suspected(s) => Some(s.peer),
            _ => None,
        })
        .collect()
}

#[test]
fn ticking_at_next_check_is_never_taken_for_an_observer_pause() {
    let mut run = Run::new();
    run.until(10_000 * MS);
    let events = run.events();
    assert_eq!(pauses(&events), 0, "{events:?}");
    assert_eq!(suspected(&events), Vec::<&str>::new());
    // The run does exercise the case: its ticks were often further apart
    // than the guard's max_pause (75 ms), which a guard measuring only the
    // gap between ticks takes for a stall.
    let max_pause = run.monitor.pause_guard().unwrap().max_pause();
    assert!(
        run.longest_gap_between_ticks() > max_pause,
        "{:?}",
        run.longest_gap_between_ticks()
    );
    let long_gaps = run
        .ticks
        .windows(2)
        .filter(|w| u128::from(w[1] - w[0]) > max_pause.as_nanos())
        .count();
    assert!(long_gaps >= 10, "{long_gaps} gaps above max_pause");
}

#[test]
fn a_real_stall_of_a_timer_ticking_observer_is_still_reported() {
    let mut run = Run::new();
    run.stall(5_000 * MS, 6_000 * MS);
    run.until(9_000 * MS);
    let events = run.events();
    // One pause, reported by the late timer, and nobody convicted: the
    // peers' heartbeats, read just after it, are proof of life.
    assert_eq!(pauses(&events), 1, "{events:?}");
    let Some(Event::ObserverPaused(pause)) = events
        .iter()
        .find(|e| matches!(e, Event::ObserverPaused(_)))
    else {
        unreachable!()
    };
    assert_eq!(pause.at, Timestamp::from_millis(6_000));
    // for_config(50 ms): a hold of one acceptable pause, 150 ms.
    assert_eq!(pause.hold_until, Timestamp::from_millis(6_150));
    assert_eq!(suspected(&events), Vec::<&str>::new());
}

#[test]
fn without_the_guard_the_same_stall_convicts_every_peer() {
    // The stall above is a real one: unguarded, its late tick convicts all.
    let mut run = Run::new();
    run.monitor = Monitor::builder()
        .config(Config::for_interval(INTERVAL).unwrap())
        .no_pause_guard()
        .build()
        .unwrap();
    run.events = run.monitor.subscribe();
    run.stall(5_000 * MS, 6_000 * MS);
    let mut convicted = suspected(&run.events());
    convicted.sort_unstable();
    assert_eq!(convicted, PEERS);
}

#[test]
fn a_dead_peer_is_announced_at_its_deadline_by_a_timer_tick() {
    let mut run = Run::new();
    run.until(3_000 * MS);
    run.next_heartbeat[2] = None; // nodeC crashes
    run.until(6_000 * MS);
    let events = run.events();
    assert_eq!(pauses(&events), 0, "{events:?}");
    let suspicions: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::Suspected(s) => Some(s),
            _ => None,
        })
        .collect();
    assert_eq!(suspicions.len(), 1, "{events:?}");
    // Ticking at next_check announces a suspicion exactly when phi reaches
    // the threshold: no detection lag from tick granularity.
    assert_eq!(suspicions[0].peer, "nodeC");
    assert_eq!(suspicions[0].at, suspicions[0].since);
}

#[test]
fn next_check_during_a_hold_is_the_end_of_the_hold() {
    let mut run = Run::new();
    run.until(2_000 * MS);
    run.monitor.tick(Timestamp::from_millis(3_000)); // a stall: holds to 3.15 s
    assert_eq!(pauses(&run.events()), 1);
    // Every peer is overdue, but nothing is announced before the hold ends:
    // a timer armed earlier would only fire into the hold.
    assert_eq!(
        run.monitor.next_check(),
        Some(Timestamp::from_millis(3_150))
    );
}

#[test]
fn the_default_guard_scales_with_the_configured_interval() {
    let config = Config::for_interval(INTERVAL).unwrap();
    let m: Monitor<u32> = Monitor::builder().config(config.clone()).build().unwrap();
    assert_eq!(m.pause_guard(), Some(PauseGuard::for_config(&config)));
    // For Config::default() (1 s heartbeats, 3 s acceptable pause): half the
    // acceptable pause, held for one.
    let m: Monitor<u32> = Monitor::default();
    let guard = m.pause_guard().unwrap();
    assert_eq!(
        (guard.max_pause(), guard.grace()),
        (Duration::from_millis(1_500), Duration::from_secs(3))
    );
    // The configuration decides even when given after other settings.
    let m: Monitor<u32> = Monitor::builder()
        .thresholds([3.0, 8.0])
        .config(config.clone())
        .build()
        .unwrap();
    assert_eq!(m.pause_guard(), Some(PauseGuard::for_config(&config)));
}
