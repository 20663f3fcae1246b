//! End to end over real UDP: heartbeat node processes
//! (`examples/udp_node/`, `examples/tokio_node.rs`) on loopback, every
//! datagram going through a fault-injecting relay (`relay.rs`, itself
//! checked in `relay_checks.rs`), with crashes (SIGKILL), a partition, a
//! restart, delay, jitter and loss.
//!
//! Run: `cargo test --test udp` (builds the two examples first; the
//! scenarios take 4 to 8 s each, two at a time).
//!
//! Every timing bound is derived from the nodes' configuration,
//! [`Config::for_interval`] at [`INTERVAL`], plus explicit allowances: see
//! [`Bounds`]. Every node checks its own settings against them (its
//! `config` line), and every wait is bounded.

#![cfg(unix)]

mod nodes;
mod relay;
mod relay_checks;

use accrual::{Config, Detector, Timestamp};
use nodes::{Cluster, Kind, Line};
use relay::{Cut, Faults, SplitMix64};
use std::net::UdpSocket;
use std::ops::Range;
use std::time::{Duration, Instant};

/// The nodes' heartbeat interval.
const INTERVAL: Duration = Duration::from_millis(50);

/// Allowance for process scheduling on a loaded machine, the node's stdout
/// pipe and the test's reader thread, added to every "within" bound.
const SCHEDULING: Duration = Duration::from_millis(300);

/// Heartbeats a detector must have learnt before a scenario injects its
/// fault (samples in its window, the two bootstrap ones included).
const WARM_SAMPLES: f64 = 20.0;

/// How long a scenario keeps watching after its last expected event, to
/// catch late or repeated events.
const SETTLE: Duration = Duration::from_secs(1);

/// The links of every scenario: a LAN-like loopback with jitter and 1 %
/// independent loss.
const FAULTS: Faults = Faults {
    delay: Duration::from_millis(2),
    jitter: Duration::from_millis(10),
    loss: 0.01,
    bursts: None,
};

/// Timing bounds derived from the nodes' configuration.
struct Bounds {
    /// What a node derives from `--interval-ms` (its `config` line is
    /// checked against this): `Config::for_interval`, threshold 8.
    config: Config,
    /// The silence after which a peer that sent steadily every interval is
    /// suspected: mean + acceptable pause + y(8) · min σ, computed by a
    /// detector fed a steady stream.
    steady_deadline: Duration,
    /// The deadline (after the last heartbeat) that counts as "near steady
    /// state": the steady one plus one acceptable pause. A window poisoned
    /// by an outage of a second or more has σ over 100 ms, a deadline over
    /// half a second further.
    near_steady: Duration,
    /// The node ticks its monitor every interval / 5.
    tick: Duration,
    /// The node's observer pause guard holds suspicions for one
    /// acceptable pause after a stall of its own.
    grace: Duration,
    /// The longest the relay holds a datagram.
    relay: Duration,
}

impl Bounds {
    fn new(faults: &Faults) -> Bounds {
        let config = Config::for_interval(INTERVAL).expect("a valid interval");
        let mut detector = Detector::new(config.clone());
        let mut last = Timestamp::ZERO;
        for k in 0..200 {
            last = Timestamp::ZERO.saturating_add(INTERVAL * k);
            detector.heartbeat(last).expect("in order");
        }
        let deadline = detector.suspicion_deadline().expect("monitoring");
        let steady_deadline = deadline.saturating_duration_since(last);
        let pause = config.acceptable_pause();
        Bounds {
            steady_deadline,
            near_steady: steady_deadline + pause,
            tick: INTERVAL / 5,
            grace: pause,
            relay: faults.max_delay(),
            config,
        }
    }

    /// From the moment a peer falls silent (killed, or cut off by the
    /// relay) to every other node's `suspected` line: its last heartbeat
    /// may still be in the relay; it is suspected at its deadline after that
    /// heartbeat (at most `near_steady`, which `wait_until_steady` checks);
    /// the next tick notices; the pause guard may hold it once for `grace`
    /// if the observer's own ticks came late; plus scheduling.
    fn detection(&self) -> Duration {
        self.relay + self.near_steady + self.tick + self.grace + SCHEDULING
    }

    /// From the moment a silent peer can be heard again to `recovered`: its
    /// next heartbeat, or the third if two in a row are lost (1 % loss:
    /// three in a row is a one-in-a-million event per link), through the
    /// relay, plus scheduling.
    fn recovery(&self) -> Duration {
        INTERVAL * 3 + self.relay + SCHEDULING
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Checks that node `i` derived the settings the bounds assume.
fn assert_config(cluster: &Cluster, i: usize, b: &Bounds) {
    let line = cluster
        .node(i)
        .wait_for(Instant::now() + SCHEDULING, |l| l.word() == "config")
        .expect("a config line right after the listening line");
    let expect = [
        ("interval_ms", ms(INTERVAL)),
        ("threshold", b.config.threshold()),
        ("acceptable_pause_ms", ms(b.config.acceptable_pause())),
        ("min_std_ms", ms(b.config.min_std_deviation())),
        ("tick_ms", ms(b.tick)),
        ("grace_ms", ms(b.grace)),
    ];
    for (field, value) in expect {
        assert_eq!(line.field(field), Some(value), "{field} in {:?}", line.text);
    }
}

/// Waits until every node has learnt [`WARM_SAMPLES`] intervals of every
/// other node's heartbeats, and checks that each of those deadlines is near
/// steady state (the premise of [`Bounds::detection`]).
fn wait_until_steady(cluster: &Cluster, b: &Bounds) {
    let names = cluster.names();
    let deadline = Instant::now() + Duration::from_secs(10);
    for (i, _) in names.iter().enumerate() {
        assert_config(cluster, i, b);
        for peer in names.iter().filter(|&&p| p != names[i]) {
            let warm = cluster.node(i).wait_for(deadline, |l| {
                l.is("stats", peer) && l.field("samples") >= Some(WARM_SAMPLES)
            });
            let Some(warm) = warm else {
                panic!(
                    "{} did not learn {peer}'s heartbeats in time\n{}",
                    names[i],
                    cluster.transcript()
                );
            };
            assert_near_steady(&warm, b);
        }
    }
}

fn assert_near_steady(stats: &Line, b: &Bounds) {
    let deadline = stats.field("deadline_ms").expect("deadline_ms");
    assert!(
        deadline <= ms(b.near_steady),
        "deadline {deadline} ms is not near the steady {} ms (at most {} ms): {:?}",
        ms(b.steady_deadline),
        ms(b.near_steady),
        stats.text
    );
}

/// Every `word` line about `peer` printed by node `i`'s current process.
fn events(cluster: &Cluster, i: usize, word: &str, peer: &str) -> Vec<Line> {
    let lines = cluster.node(i).lines();
    lines.into_iter().filter(|l| l.is(word, peer)).collect()
}

/// Waits for node `i` to print a `word` line about `peer` within `window`;
/// fails with the transcript if it does not.
fn expect_event(
    cluster: &Cluster,
    i: usize,
    word: &str,
    peer: &str,
    window: Range<Instant>,
) -> Line {
    let found = cluster
        .node(i)
        .wait_for(window.end, |l| l.is(word, peer) && l.at >= window.start);
    match found {
        Some(line) => line,
        None => panic!(
            "{} printed no `{word} {peer}` within {} ms\n{}",
            cluster.names()[i],
            (window.end - window.start).as_millis(),
            cluster.transcript()
        ),
    }
}

/// Asserts that none of `nodes` suspected another of them since `since`.
fn assert_no_suspicion_among(cluster: &Cluster, nodes: &[usize], since: Instant) {
    let names = cluster.names();
    for &i in nodes {
        for &j in nodes.iter().filter(|&&j| j != i) {
            let wrong = events(cluster, i, "suspected", names[j]);
            assert!(
                wrong.iter().all(|l| l.at < since),
                "{} suspected live {}\n{}",
                names[i],
                names[j],
                cluster.transcript()
            );
        }
    }
}

/// Datagrams a node must count and ignore: empty, foreign, our magic with
/// a bad version or length or id, truncated, oversized, and the node's own
/// heartbeat looped back. The wire format is the one documented in
/// `examples/udp_node/wire.rs`: magic, version, seq and send time (big-endian
/// u64), id length, id.
fn junk(own_id: &str, seed: u64) -> Vec<Vec<u8>> {
    fn heartbeat(version: u8, id_len: u8, id: &[u8]) -> Vec<u8> {
        let mut d = b"ACHB".to_vec();
        d.push(version);
        d.extend_from_slice(&7u64.to_be_bytes());
        d.extend_from_slice(&1_700_000_000_000_000u64.to_be_bytes());
        d.push(id_len);
        d.extend_from_slice(id);
        d
    }
    let valid = heartbeat(1, 5, b"nodeZ");
    let mut rng = SplitMix64::new(seed);
    let mut out = vec![
        Vec::new(),
        b"hello".to_vec(),
        b"ACHB".to_vec(),
        heartbeat(2, 5, b"nodeZ"),
        heartbeat(1, 6, b"nodeZ"),
        heartbeat(1, 0, b""),
        heartbeat(1, 2, &[0xff, 0xfe]),
        heartbeat(1, 5, b"no de"),
        heartbeat(1, 65, &[b'x'; 65]),
        [b"ACHB".as_slice(), &[1; 1500]].concat(),
        heartbeat(1, own_id.len() as u8, own_id.as_bytes()),
    ];
    for cut in [5, 13, 21, 22, valid.len() - 1] {
        out.push(valid[..cut].to_vec());
    }
    for _ in 0..10 {
        let len = 1 + (rng.next_u64() % 200) as usize;
        // Foreign: never starting with the magic's first byte.
        out.push(
            (0..len)
                .map(|i| if i == 0 { b'#' } else { rng.next_u64() as u8 })
                .collect(),
        );
    }
    out
}

/// 1. Steady state through jitter and 1 % loss, with junk datagrams thrown
///    at every node: no node suspects a live peer over the run, each counts
///    every junk datagram as ignored, and each exits cleanly on SIGTERM.
#[test]
fn steady_state_with_jitter_and_loss_raises_no_suspicion() {
    let b = Bounds::new(&FAULTS);
    let kinds = [Kind::Threads, Kind::Threads, Kind::Tokio];
    let mut cluster = Cluster::start(&kinds, INTERVAL, FAULTS, 1);
    wait_until_steady(&cluster, &b);

    let thrower = UdpSocket::bind("127.0.0.1:0").expect("bind");
    let names: Vec<String> = cluster.names().iter().map(|s| s.to_string()).collect();
    let mut thrown = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let junk = junk(name, 100 + i as u64);
        for d in &junk {
            thrower.send_to(d, cluster.addr(i)).expect("send junk");
        }
        thrown.push(junk.len() as f64);
    }
    // Four more seconds of heartbeats: 80 per link.
    std::thread::sleep(Duration::from_secs(4));

    assert_no_suspicion_among(&cluster, &[0, 1, 2], cluster.started);
    for (i, name) in names.iter().enumerate() {
        let status = cluster.node_mut(i).terminate(Duration::from_secs(5));
        assert!(
            status.is_some_and(|s| s.success()),
            "{name} did not exit cleanly on SIGTERM: {status:?}"
        );
        let exit = cluster
            .node(i)
            .wait_for(Instant::now(), |l| l.word() == "exit")
            .expect("an exit line");
        assert!(exit.text.contains("reason=signal"), "{:?}", exit.text);
        let ignored: f64 = ["own", "foreign", "malformed"]
            .iter()
            .filter_map(|f| exit.field(f))
            .sum();
        assert_eq!(
            ignored, thrown[i],
            "{name} ignored datagrams: {:?}",
            exit.text
        );
        // Loss and start-up aside, it heard both peers all along.
        assert!(exit.field("received") > Some(100.0), "{:?}", exit.text);
    }
}

/// 2. A node killed with SIGKILL: every survivor prints `suspected` about it
///    within the configured detection bound, exactly once, and nobody
///    suspects a survivor.
#[test]
fn killed_node_is_suspected_by_every_survivor_in_time() {
    let b = Bounds::new(&FAULTS);
    // The detection bound of a 50 ms node is "well within 2 s".
    assert!(
        b.detection() < Duration::from_secs(2),
        "{:?}",
        b.detection()
    );
    let kinds = [Kind::Threads, Kind::Tokio, Kind::Threads];
    let mut cluster = Cluster::start(&kinds, INTERVAL, FAULTS, 2);
    wait_until_steady(&cluster, &b);

    let killed = cluster.kill(2);
    let victim = cluster.names()[2].to_owned();
    for i in 0..2 {
        let detection = killed..killed + b.detection();
        let line = expect_event(&cluster, i, "suspected", &victim, detection);
        eprintln!(
            "{} suspected {victim} {} ms after the kill (bound {} ms): {}",
            cluster.names()[i],
            (line.at - killed).as_millis(),
            b.detection().as_millis(),
            line.text
        );
        // Not before its deadline, which is at least the steady one (less
        // one minimum deviation, for a mean slightly under the interval).
        let earliest = ms(b.steady_deadline) - ms(b.config.min_std_deviation());
        assert!(
            line.field("silence_ms") >= Some(earliest),
            "{:?}",
            line.text
        );
    }
    std::thread::sleep(SETTLE);
    assert_no_suspicion_among(&cluster, &[0, 1], cluster.started);
    for i in 0..2 {
        assert_eq!(
            events(&cluster, i, "suspected", &victim).len(),
            1,
            "{}",
            cluster.transcript()
        );
        assert!(events(&cluster, i, "recovered", &victim).is_empty());
    }
}

/// 3. One node cut off in both directions for two seconds: it and its peers
///    suspect each other during the partition and recover after it heals,
///    exactly once each; the two connected nodes never suspect each other.
#[test]
fn partitioned_node_is_suspected_then_recovered_exactly_once() {
    let b = Bounds::new(&FAULTS);
    let partition = Duration::from_secs(2);
    assert!(
        b.detection() < partition,
        "the partition must outlast detection"
    );
    let kinds = [Kind::Threads, Kind::Threads, Kind::Tokio];
    let cluster = Cluster::start(&kinds, INTERVAL, FAULTS, 3);
    wait_until_steady(&cluster, &b);

    let from = Instant::now();
    let until = from + partition;
    cluster.relay.partition(2, Cut::Both, from, until);
    let names = cluster.names();
    let cut_pairs = [(0, 2), (1, 2), (2, 0), (2, 1)];
    for &(i, j) in &cut_pairs {
        let detection = from..from + b.detection();
        let line = expect_event(&cluster, i, "suspected", names[j], detection);
        assert!(
            line.at < until,
            "suspected after the partition healed: {:?}",
            line.text
        );
    }
    for &(i, j) in &cut_pairs {
        let recovery = until..until + b.recovery();
        let line = expect_event(&cluster, i, "recovered", names[j], recovery);
        let down = line.field("down_ms").expect("down_ms");
        assert!(down <= ms(partition), "{:?}", line.text);
    }
    std::thread::sleep(SETTLE);
    for &(i, j) in &cut_pairs {
        for word in ["suspected", "recovered"] {
            let n = events(&cluster, i, word, names[j]).len();
            assert_eq!(
                n,
                1,
                "{} printed {n} `{word} {}`\n{}",
                names[i],
                names[j],
                cluster.transcript()
            );
        }
    }
    assert_no_suspicion_among(&cluster, &[0, 1], cluster.started);
}

/// 4. A killed node restarted on the same port: its peers print
///    `recovered` once it speaks, and the outage did not poison their
///    statistics: after twenty more heartbeats its deadline is back near
///    steady state.
#[test]
fn restarted_node_recovers_with_unpoisoned_statistics() {
    let b = Bounds::new(&FAULTS);
    let kinds = [Kind::Threads, Kind::Threads, Kind::Threads];
    let mut cluster = Cluster::start(&kinds, INTERVAL, FAULTS, 4);
    wait_until_steady(&cluster, &b);

    let port = cluster.addr(2);
    let victim = cluster.names()[2].to_owned();
    let killed = cluster.kill(2);
    for i in 0..2 {
        let detection = killed..killed + b.detection();
        expect_event(&cluster, i, "suspected", &victim, detection);
    }
    // A second more of outage: learnt as an interval, it would blow the
    // window's deviation up past 100 ms.
    std::thread::sleep(Duration::from_secs(1));
    let listening = cluster.restart(2);
    assert_eq!(cluster.addr(2), port, "restarted on another port");

    for i in 0..2 {
        let recovery = listening..listening + b.recovery();
        let recovered = expect_event(&cluster, i, "recovered", &victim, recovery);
        let outage = recovered.at - killed;
        let down = recovered.field("down_ms").expect("down_ms");
        assert!(down <= ms(outage), "{:?} after {outage:?}", recovered.text);
        // Twenty heartbeats later (plus a stats period and scheduling).
        let later = recovered.at + INTERVAL * 20;
        let stats = cluster
            .node(i)
            .wait_for(later + nodes::STATS_EVERY + SCHEDULING, |l| {
                l.is("stats", &victim) && l.at >= later
            });
        let Some(stats) = stats else {
            panic!("no stats line after the restart\n{}", cluster.transcript());
        };
        assert_near_steady(&stats, &b);
    }
    std::thread::sleep(SETTLE);
    assert_no_suspicion_among(&cluster, &[0, 1], cluster.started);
    for i in 0..2 {
        for word in ["suspected", "recovered"] {
            assert_eq!(
                events(&cluster, i, word, &victim).len(),
                1,
                "{}",
                cluster.transcript()
            );
        }
    }
    // The restarted node learnt its peers from scratch, without alarm.
    for peer in &cluster.names()[..2] {
        assert!(
            events(&cluster, 2, "suspected", peer).is_empty(),
            "{}",
            cluster.transcript()
        );
    }
}

/// 5. A node stalled for a second (SIGSTOP, as a frozen VM or a long
///    collector pause would): its peers rightly suspect it and recover it
///    when it resumes, and on waking it convicts nobody: its pause guard
///    sees its own late tick and holds while the heartbeats queued in its
///    socket are read. Once for each kind of node.
#[test]
fn stalled_node_convicts_nobody_when_it_wakes() {
    let b = Bounds::new(&FAULTS);
    let stall = Duration::from_secs(1);
    let kinds = [Kind::Threads, Kind::Threads, Kind::Tokio];
    let cluster = Cluster::start(&kinds, INTERVAL, FAULTS, 5);
    wait_until_steady(&cluster, &b);
    let names = cluster.names();
    for stalled in [0, 2] {
        let others: Vec<usize> = (0..3).filter(|&i| i != stalled).collect();
        // The premise of the detection bound, again before the second round:
        // heartbeats read after a stall all carry the wake-up time, and the
        // short intervals they add move deadlines.
        let now = Instant::now();
        for &i in &others {
            let stats = cluster
                .node(i)
                .wait_for(now + nodes::STATS_EVERY + SCHEDULING, |l| {
                    l.is("stats", names[stalled]) && l.at >= now
                })
                .expect("a stats line");
            assert_near_steady(&stats, &b);
        }
        let stopped = cluster.node(stalled).signal("STOP");
        std::thread::sleep(stall);
        let resumed = cluster.node(stalled).signal("CONT");
        let woke = cluster
            .node(stalled)
            .wait_for(resumed + b.tick + SCHEDULING, |l| {
                l.word() == "observer-paused" && l.at >= resumed
            });
        let Some(woke) = woke else {
            panic!(
                "{} saw no pause of its own\n{}",
                names[stalled],
                cluster.transcript()
            );
        };
        assert!(
            woke.field("gap_ms") >= Some(ms(stall) / 2.0),
            "{:?}",
            woke.text
        );
        for &i in &others {
            let suspected = stopped..stopped + b.detection();
            expect_event(&cluster, i, "suspected", names[stalled], suspected);
            let recovered = resumed..resumed + b.recovery();
            expect_event(&cluster, i, "recovered", names[stalled], recovered);
        }
        std::thread::sleep(SETTLE);
        let since = |word: &str, i: usize, j: usize| {
            let all = events(&cluster, i, word, names[j]);
            all.into_iter().filter(|l| l.at >= stopped).count()
        };
        for &i in &others {
            assert_eq!(
                since("suspected", i, stalled),
                1,
                "{}",
                cluster.transcript()
            );
            assert_eq!(
                since("recovered", i, stalled),
                1,
                "{}",
                cluster.transcript()
            );
            let woke_to = since("suspected", stalled, i);
            assert_eq!(
                woke_to,
                0,
                "the stalled node convicted {}\n{}",
                names[i],
                cluster.transcript()
            );
        }
        assert_no_suspicion_among(&cluster, &others, stopped);
    }
}
