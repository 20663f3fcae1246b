//! A monitor driven by any sequence of heartbeats (numbered or not), ticks,
//! watches, removals and resets on a few peers, compared event by event with a
//! reference made of one plain `Detector` per peer and the documented
//! transition rules (the monitor module's "Transitions"): a tick announces
//! every level whose deadline has passed, in increasing order, once; a
//! heartbeat first announces what a tick at its arrival would have, then
//! recovers every announced level, highest first; a duplicate or
//! out-of-order heartbeat, or a stale sequence number, does nothing but
//! answer as the peer's detector would. Queries must agree with the
//! reference at every step, and a suspicion is announced at a phi at or
//! above its threshold.
//!
//! The reference knows nothing of queues, shards or caches, so any late,
//! early, missing or duplicate event of the monitor shows up here. The
//! pause guard is off (it is a rule about the observer's clock, checked
//! by its own tests).

use super::spec::ConfigSpec;
use super::spec::{default_spec, overflowing_spec, SECOND};
use accrual::monitor::{Event, Monitor};
use accrual::{ArrivalKind, Config, Detector, Timestamp};
use std::time::Duration;

/// The largest window checked here (see [`check`]).
const MAX_WINDOW: usize = 1 << 16;

/// The peers the operations name (an index is taken modulo this).
pub const PEERS: usize = 4;

/// The monitor's settings beside the detector configuration.
#[derive(Clone, Debug)]
pub struct Setup {
    pub config: ConfigSpec,
    pub thresholds: Vec<f64>,
    pub expected_response_after: Duration,
    /// log2 of the shard count.
    pub shards_log2: u8,
    /// The clock's start, in ns.
    pub start: u64,
}

/// One operation on the monitor.
#[derive(Clone, Debug)]
pub enum Op {
    /// The clock advances by this many ns, then the peer's heartbeat.
    Beat(usize, u64),
    /// A heartbeat from the peer stamped this many ns before the clock.
    Late(usize, u64),
    /// The clock advances by `after` ns, then the peer's heartbeat numbered
    /// `step` above the peer's previous number (0: the same number again).
    Numbered {
        peer: usize,
        after: u64,
        step: u64,
    },
    /// The clock advances, then a tick.
    Tick(u64),
    /// A tick this many ns before the clock (ignored by the monitor).
    LateTick(u64),
    Watch(usize),
    Remove(usize),
    Reset,
}

/// The reference for one peer.
struct RefPeer {
    detector: Detector,
    /// Levels announced.
    level: usize,
    never_heard: bool,
}

/// (peer, kind, level, at) of an event; `Reset` is peer `PEERS`.
type Ev = (usize, &'static str, usize, Timestamp);

fn compact(e: &Event<usize>) -> Ev {
    match e {
        Event::Suspected(s) => {
            assert!(
                s.phi >= s.threshold,
                "suspected at phi {} below the threshold {}: {s:?}",
                s.phi,
                s.threshold
            );
            (s.peer, "suspected", s.level, s.at)
        }
        Event::Recovered(r) => (r.peer, "recovered", r.level, r.at),
        Event::Removed(r) => (r.peer, "removed", r.level, Timestamp::ZERO),
        Event::IntervalWarning(w) => (w.peer, "warning", 0, w.at),
        Event::Reset => (PEERS, "reset", 0, Timestamp::ZERO),
        other => panic!("unexpected event {other:?}"),
    }
}

struct Reference {
    config: Config,
    thresholds: Vec<f64>,
    expected: Duration,
    peers: Vec<Option<RefPeer>>,
    last_tick: Option<Timestamp>,
    /// Events expected from the current operation.
    events: Vec<Ev>,
}

impl Reference {
    /// The level's deadline; `None` when it is not reached within the
    /// clock's range (the peer is monitored: the reference holds only
    /// peers that have sent a heartbeat).
    fn deadline(&self, r: &RefPeer, level: usize) -> Option<Timestamp> {
        let prepared = r
            .detector
            .threshold(self.thresholds[level])
            .expect("the monitor accepted this threshold");
        r.detector.deadline_for(&prepared)
    }

    /// What a tick (or a heartbeat's catch-up) at `now` announces for `p`.
    fn announce(&mut self, p: usize, now: Timestamp) -> usize {
        let mut announced = 0;
        loop {
            let Some(r) = self.peers[p].as_ref() else {
                return announced;
            };
            if r.level >= self.thresholds.len() {
                return announced;
            }
            // No deadline: the level is not reached within the clock's
            // range, so never announced; one at the last instant is.
            match self.deadline(r, r.level) {
                Some(deadline) if deadline <= now => {}
                _ => return announced,
            }
            let level = r.level;
            self.events.push((p, "suspected", level, now));
            if let Some(r) = self.peers[p].as_mut() {
                r.level += 1;
            }
            announced += 1;
        }
    }
}

/// Runs `ops` and compares the monitor with the reference after each.
pub fn check(setup: &Setup, ops: &[Op]) {
    let Ok(config) = setup.config.build() else {
        return;
    };
    // Every peer's window is allocated in full, in the monitor and in the
    // reference: at the largest windows a few peers take gigabytes, which
    // is the documented cost, not a defect. The windows' own edges are
    // the detector check's.
    if config.max_sample_size() > MAX_WINDOW {
        return;
    }
    let Ok(monitor) = Monitor::<usize>::builder()
        .config(config.clone())
        .thresholds(setup.thresholds.iter().copied())
        .expected_response_after(setup.expected_response_after)
        .no_pause_guard()
        .shards(1 << (setup.shards_log2 % 7))
        .build()
    else {
        return;
    };
    let rx = monitor.subscribe();
    let mut thresholds = setup.thresholds.clone();
    thresholds.sort_by(f64::total_cmp);
    assert_eq!(monitor.thresholds(), thresholds.as_slice());
    let mut reference = Reference {
        config,
        thresholds,
        expected: setup.expected_response_after,
        peers: (0..PEERS).map(|_| None).collect(),
        last_tick: None,
        events: Vec::new(),
    };
    let mut now = Timestamp::from_nanos(setup.start);
    let mut seqs = [0u64; PEERS];
    for op in ops {
        match *op {
            Op::Beat(p, after) => {
                now = now.saturating_add(Duration::from_nanos(after));
                beat(&monitor, &mut reference, p % PEERS, now, None);
            }
            Op::Late(p, before) => {
                let at = now.saturating_sub(Duration::from_nanos(before));
                beat(&monitor, &mut reference, p % PEERS, at, None);
            }
            Op::Numbered { peer, after, step } => {
                let p = peer % PEERS;
                now = now.saturating_add(Duration::from_nanos(after));
                seqs[p] = seqs[p].saturating_add(step);
                beat(&monitor, &mut reference, p, now, Some(seqs[p]));
            }
            Op::Tick(after) => {
                now = now.saturating_add(Duration::from_nanos(after));
                tick(&monitor, &mut reference, now);
            }
            Op::LateTick(before) => {
                tick(
                    &monitor,
                    &mut reference,
                    now.saturating_sub(Duration::from_nanos(before)),
                );
            }
            Op::Watch(p) => {
                let p = p % PEERS;
                let added = monitor.watch(&p, now);
                assert_eq!(added, reference.peers[p].is_none(), "watch of peer {p}");
                if added {
                    let mut d = Detector::new(reference.config.clone());
                    let first = now.saturating_add(reference.expected);
                    d.heartbeat(first).expect("a first heartbeat is accepted");
                    reference.peers[p] = Some(RefPeer {
                        detector: d,
                        level: 0,
                        never_heard: true,
                    });
                }
            }
            Op::Remove(p) => {
                let p = p % PEERS;
                let removed = monitor.remove(&p);
                assert_eq!(removed, reference.peers[p].is_some(), "remove of peer {p}");
                if let Some(r) = reference.peers[p].take() {
                    reference
                        .events
                        .push((p, "removed", r.level, Timestamp::ZERO));
                }
            }
            Op::Reset => {
                monitor.reset();
                reference.peers.iter_mut().for_each(|r| *r = None);
                reference.events.push((PEERS, "reset", 0, Timestamp::ZERO));
            }
        }
        compare_queries(&monitor, &reference, now);
        // One operation changes one peer, or (a tick) several in shard
        // order: compare peer by peer, keeping each peer's order.
        let got: Vec<Ev> = rx.try_iter().map(|e| compact(&e)).collect();
        let mut got_sorted = got.clone();
        got_sorted.sort_by_key(|e| e.0);
        let mut want = std::mem::take(&mut reference.events);
        want.sort_by_key(|e| e.0);
        assert_eq!(got_sorted, want, "events after {op:?}: {got:?}");
    }
}

/// A heartbeat (numbered if `seq` is) of peer `p` at `at`, on both sides.
fn beat(
    monitor: &Monitor<usize>,
    reference: &mut Reference,
    p: usize,
    at: Timestamp,
    seq: Option<u64>,
) {
    let arrive = |d: &mut Detector| match seq {
        Some(seq) => d.heartbeat_seq(at, seq),
        None => d.heartbeat(at),
    };
    let got = match seq {
        Some(seq) => monitor.heartbeat_seq(&p, at, seq),
        None => monitor.heartbeat(&p, at),
    };
    let Some(r) = reference.peers[p].as_mut() else {
        let mut d = Detector::new(reference.config.clone());
        let want = arrive(&mut d);
        assert_eq!(got, want, "first heartbeat of peer {p}");
        if want.is_ok() {
            reference.peers[p] = Some(RefPeer {
                detector: d,
                level: 0,
                never_heard: false,
            });
        }
        return;
    };
    // What the peer's detector makes of it; a watched peer's first real
    // heartbeat replaces the virtual one, so it starts afresh.
    let mut next = r.detector.clone();
    if r.never_heard {
        next.reset();
    }
    let want = arrive(&mut next);
    assert_eq!(got, want, "heartbeat of peer {p} at {at} (number {seq:?})");
    let Ok(arrival) = want else {
        // Out of order or a stale number: nothing changes.
        assert_eq!(next, r.detector, "a refused heartbeat changed the detector");
        return;
    };
    if arrival.kind() == ArrivalKind::Duplicate {
        r.detector = next;
        return;
    }
    reference.announce(p, at);
    let Some(r) = reference.peers[p].as_mut() else {
        return;
    };
    for level in (0..r.level).rev() {
        reference.events.push((p, "recovered", level, at));
    }
    r.level = 0;
    r.detector = next;
    r.never_heard = false;
    if arrival.is_warning() {
        reference.events.push((p, "warning", 0, at));
    }
}

fn tick(monitor: &Monitor<usize>, reference: &mut Reference, now: Timestamp) {
    let got = monitor.tick(now);
    if reference.last_tick.is_some_and(|last| now < last) {
        assert_eq!(got, 0, "a tick back in time announced something");
        return;
    }
    reference.last_tick = Some(now);
    let announced: usize = (0..PEERS).map(|p| reference.announce(p, now)).sum();
    assert_eq!(got, announced, "suspicions announced by the tick at {now}");
}

fn compare_queries(monitor: &Monitor<usize>, reference: &Reference, now: Timestamp) {
    for (p, r) in reference.peers.iter().enumerate() {
        let Some(r) = r else {
            assert_eq!(monitor.phi(&p, now), None, "peer {p} should be unknown");
            continue;
        };
        let phi = monitor.phi(&p, now);
        assert_eq!(
            phi.map(f64::to_bits),
            Some(r.detector.phi(now).to_bits()),
            "phi of peer {p} at {now}"
        );
        assert_eq!(
            monitor.is_available(&p, now),
            Some(r.detector.is_available(now)),
            "availability of peer {p} at {now}"
        );
        assert_eq!(monitor.level(&p), Some(r.level), "level of peer {p}");
        for level in 0..reference.thresholds.len() {
            assert_eq!(
                monitor.level_deadline(&p, level),
                reference.deadline(r, level),
                "deadline of peer {p} at level {level}"
            );
        }
    }
}

// The inputs issue 14 reports as breaking the crate, written by hand from
// its descriptions: the main crate's tests run each (ignored, with the
// item's number, while its fix is not merged), and
// `examples/write_seeds.rs` writes them into the fuzz corpus.

/// A monitor case: name, issue-14 item, settings, operations.
pub type Regression = (&'static str, u32, Setup, Vec<Op>);

/// The regressions, each named and tagged with its issue-14 item.
pub fn regressions() -> Vec<Regression> {
    let setup = |config: ConfigSpec, start: u64| Setup {
        config,
        thresholds: vec![3.0, 8.0],
        expected_response_after: Duration::from_secs(1),
        shards_log2: 1,
        start,
    };
    vec![
        (
            "overflowing-config",
            1,
            setup(overflowing_spec(), 0),
            vec![Op::Beat(0, 0), Op::Beat(0, SECOND), Op::Tick(10 * SECOND)],
        ),
        (
            // Item 8: a peer heard just before the end of the clock, and a
            // tick at its end: a suspicion must come with phi at or above
            // the threshold.
            "end-of-clock",
            8,
            setup(default_spec(), u64::MAX - 10 * SECOND),
            vec![
                Op::Beat(0, 0),
                Op::Beat(0, SECOND),
                Op::Tick(u64::MAX),
                Op::Watch(1),
                Op::Tick(u64::MAX),
            ],
        ),
    ]
}
