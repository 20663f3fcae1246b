//! Seeded network simulation: heartbeat arrival traces from a model of the
//! sender and the network.
//!
//! [`generate`] turns a [`Scenario`] (a [`Network`] model, a heartbeat
//! interval, a length, a number of nodes and a seed) into a [`Trace`], ready
//! to replay through detectors, to tune them, or to write as CSV. The
//! built-in [`Profile`]s are calibrated to published measurements: the
//! JAIST→EPFL trace of the φ accrual paper and the send logs of a PlanetLab
//! heartbeat experiment (see [Sources](#sources)).
//!
//! ```
//! use accrual::simulate::{self, Profile, Scenario};
//! use std::time::Duration;
//!
//! let scenario = Scenario::builder(Profile::Wan)
//!     .duration(Duration::from_secs(60))
//!     .nodes(2)
//!     .seed(2004)
//!     .build()?;
//! let trace = simulate::generate(&scenario);
//! assert_eq!(trace.nodes()[1].name(), "node1");
//! // About 10 heartbeats a second each (103.5 ms apart on average).
//! assert!((1100..=1180).contains(&trace.len()));
//!
//! let mut csv = Vec::new();
//! trace.write_csv(&mut csv)?;
//! assert!(csv.starts_with(b"node,arrival_ms\n"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [`Cluster::builtin`] puts a dozen peers on different links (the
//! profiles below, a link that degrades for good, a crash and restart):
//! the default input of `accrual tune`.
//!
//! # Sources
//!
//! Two sets of measurements anchor the built-in profiles:
//!
//! * **JAIST→EPFL** (N. Hayashibara, X. Défago, R. Yared, T. Katayama,
//!   *The φ Accrual Failure Detector*, SRDS 2004, and the longer JAIST
//!   report IS-RR-2004-010): one week of UDP heartbeats from Japan to
//!   Switzerland at a 100 ms target interval, about 5.8 million samples.
//!   Mean inter-arrival about 103.5 ms; loss about 0.4 %, mostly single
//!   heartbeats with a few long bursts (the longest about 1,000
//!   heartbeats); round-trip time about 270 ms at least, 283 ms on average,
//!   718 ms at most.
//! * **PlanetLab senders** (the LIP6 all-to-all heartbeat experiment: ten
//!   PlanetLab hosts sending every 100 ms for 10⁴ s, published with R. Xin
//!   and J. Dong's *A Benchmark Platform for Failure Detectors*, NYU
//!   Shanghai, 2022): the send logs of nine senders. Gaps between sends
//!   averaged 100 ms with standard deviations of 0.19 to 1.1 ms on the six
//!   quiet senders; the other three had 2, 4 and 7 gaps above 150 ms, the
//!   longest 1.0 to 1.3 s, and each of their logs ran longer than its 10⁵
//!   intervals by about the sum of those stalls.
//!
//! Each [`Network`] constant says which of its values come from these and
//! which are assumptions:
//!
//! | profile | interval | one-way delay | loss | sender |
//! |---|---|---|---|---|
//! | [`lan`](Network::LAN) | 100 ms | 0.2 ms + ~0.05 ms | 0.006 % | steady |
//! | [`wan`](Network::WAN) | 100 ms | 135 ms + ~6.6 ms, heavy tail | 0.38 % + outages | drifting (103.1 ms), 1.44 stalls/h |
//! | [`gc`](Network::GC) | 1 s | as `lan` | as `lan` | GC pauses, 30/h |
//! | [`flaky`](Network::FLAKY) | 100 ms | as `wan`, with regimes | 0.76 % + outages | as `wan` |
//!
//! # The model
//!
//! Each heartbeat of each node goes through four stages:
//!
//! 1. **Sender** ([`Sender`], [`Stalls`]): planned on a fixed-rate schedule
//!    whose period may drift from the interval, sent with a small normal
//!    jitter around its slot (late sends are followed by on-time ones, as
//!    real timers catch up), unless the sending process is stalled (garbage
//!    collection, a descheduled VM); what then happens to the overdue
//!    heartbeats is the sender's [`AfterStall`] policy.
//! 2. **Delay** ([`Delay`], [`Regimes`]): a fixed floor plus a log-normal
//!    queueing excess that is autocorrelated from one heartbeat to the next
//!    (an AR(1) process on the log scale), with rare Pareto spikes, capped;
//!    optionally multiplied during regimes (route changes, congestion).
//! 3. **Loss** ([`GilbertElliott`], [`Outages`]): a two-state
//!    Gilbert–Elliott channel gives isolated losses and short bursts; rare
//!    outages drop every heartbeat for seconds to minutes.
//! 4. **Delivery**: a heartbeat that is not lost arrives at exactly its
//!    send time plus its delay, and each node's arrivals are sorted. UDP
//!    keeps no order: when the delay falls (at the end of a regime, after a
//!    spike) a later heartbeat overtakes an earlier one, and a detector is
//!    fed heartbeats in the order they arrive. Sorting, rather than holding
//!    overtaking heartbeats back as an ordered channel would, keeps every
//!    delay exactly as the delay law drew it.
//!
//! Heartbeats are sent during `[0, duration)`, and the trace holds the
//! arrivals in `[0, duration)`: what a monitor running for `duration` sees.
//! Heartbeats still in flight at the end are counted in the ground truth.
//!
//! Nodes are independent: each has its own sender and its own path to the
//! monitor (an outage on one path does not affect the others), and its
//! first slot is uniform within the first interval, so nodes do not send
//! in lockstep.
//!
//! # Ground truth
//!
//! [`simulate`] also returns, per node, what happened that the trace does
//! not show: heartbeats sent, skipped, lost and still in flight, loss
//! bursts, and every stall, outage and regime ([`NodeTruth`]), so that a
//! detector's mistakes can be traced to their causes.
//!
//! # Determinism
//!
//! Equal scenarios give identical traces, and identical CSV bytes. Each
//! stage of each node draws from its own random stream (xoshiro256**
//! seeded through SplitMix64 from the seed, the node's index and the
//! stage), so a node's trace does not depend on how many other nodes there
//! are, and changing one stage's parameters leaves the other stages' draws
//! unchanged: the `wan` and `flaky` profiles with the same seed send at the
//! same times, for instance.
//!
//! The random generators use integer arithmetic only, and the model IEEE
//! arithmetic, which are the same everywhere. The standard library's `ln`,
//! `exp`, `sin` and `cos` come from the platform's math library, whose results
//! may differ in the last bit from one platform to another; after rounding
//! to the nanosecond, that very rarely moves an arrival by a nanosecond.
//! Traces are therefore reproducible on one platform, and in practice
//! across platforms, but bit-for-bit equality across platforms is not
//! guaranteed.
//!
//! # Cost
//!
//! Generation takes time linear in the number of heartbeats, under 100 ns
//! each in a release build (10 million arrivals in well under a second on a
//! 2020s x86-64 core), and 8 bytes of memory per arrival.

mod cluster;
mod delay;
mod episodes;
mod error;
mod loss;
mod network;
mod profile;
pub(crate) mod rng;
mod scenario;
mod sender;

pub use cluster::{Cluster, ClusterPeer, PeerChange, RESTART_DOWNTIME};
pub use delay::{Delay, Regimes};
pub use error::ScenarioError;
pub use loss::{GilbertElliott, Outages};
pub use network::{Network, MAX_PARAMETER_MS, MAX_PER_HOUR};
pub use profile::Profile;
pub use scenario::{
    Scenario, ScenarioBuilder, MAX_DURATION, MAX_EPISODES, MAX_HEARTBEATS, MAX_NODES,
};
pub use sender::{AfterStall, Sender, Stalls};

use crate::time::Timestamp;
use crate::trace::{NodeTrace, Trace};
use delay::DelayProcess;
use loss::LossProcess;
use rng::Rng;
use sender::Schedule;

/// The trace of a scenario: what a monitor would receive.
///
/// Nodes are named `node0`, `node1`, … in order. Use [`simulate`] to get the
/// ground truth as well.
pub fn generate(scenario: &Scenario) -> Trace {
    simulate(scenario).trace
}

/// The trace of a scenario and, per node, what happened to produce it.
///
/// Equal scenarios give equal simulations (see [Determinism](self#determinism)).
pub fn simulate(scenario: &Scenario) -> Simulation {
    let (nodes, truth) = (0..scenario.nodes())
        .map(|node| simulate_node(scenario, node))
        .unzip();
    Simulation {
        trace: Trace::new(nodes),
        truth,
    }
}

/// A simulated trace with its ground truth.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Simulation {
    /// The arrivals, as a monitor would see them.
    pub trace: Trace,
    /// Per node, in the trace's node order: what happened.
    pub truth: Vec<NodeTruth>,
}

/// What happened to one node's heartbeats.
///
/// `sent = lost + in_flight + received`, where `received` is the number of
/// the node's arrivals in the trace.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct NodeTruth {
    /// Heartbeats the sender sent during the scenario.
    pub sent: u64,
    /// Heartbeats a stalled sender never sent ([`AfterStall::Skip`]).
    pub skipped: u64,
    /// Heartbeats the network dropped (channel losses and outages).
    pub lost: u64,
    /// Runs of consecutive lost heartbeats, in send order: `lost /
    /// loss_bursts` is the mean burst length.
    pub loss_bursts: u64,
    /// Heartbeats sent but not lost that would have arrived at or after the
    /// scenario's end.
    pub in_flight: u64,
    /// Stalls, outages and regimes that started during the scenario, by
    /// start time. An episode may end after the scenario.
    pub episodes: Vec<Episode>,
}

/// A stall, outage or regime.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Episode {
    /// What happened.
    pub kind: EpisodeKind,
    /// When it started.
    pub start: Timestamp,
    /// When it ended (exclusive).
    pub end: Timestamp,
}

/// The kinds of [`Episode`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum EpisodeKind {
    /// The sender was paused ([`Stalls`]).
    Stall,
    /// The path dropped every heartbeat sent ([`Outages`]).
    Outage,
    /// The delay was scaled up ([`Regimes`]).
    Regime,
}

/// Random streams per node: one per stage, with room to add stages without
/// changing the existing streams' indices.
const STREAMS_PER_NODE: u64 = 8;

/// The stages' stream indices within a node's block.
mod stream {
    pub(super) const JITTER: u64 = 0;
    pub(super) const STALLS: u64 = 1;
    pub(super) const DELAY: u64 = 2;
    pub(super) const REGIMES: u64 = 3;
    pub(super) const LOSS: u64 = 4;
    pub(super) const OUTAGES: u64 = 5;
}

/// How many earlier arrivals a heartbeat may overtake before the arrivals
/// are sorted wholesale at the end instead of one insertion at a time.
const MAX_OVERTAKEN: usize = 64;

/// Moves the last arrival back past the later ones it overtook. Arrivals
/// are pushed in send order, and only a heartbeat whose delay exceeds its
/// successors' by more than the gaps between them is out of place, by a few
/// positions: this keeps the vector sorted in close to linear time. Returns
/// false, leaving the vector unsorted, if the arrival overtook more than
/// [`MAX_OVERTAKEN`] others (delays far longer than the interval); the
/// caller then sorts the whole vector once.
fn settle_last(arrivals: &mut [Timestamp]) -> bool {
    let mut i = arrivals.len().saturating_sub(1);
    let stop = i.saturating_sub(MAX_OVERTAKEN);
    while i > stop && arrivals[i - 1] > arrivals[i] {
        arrivals.swap(i - 1, i);
        i -= 1;
    }
    i == 0 || arrivals[i - 1] <= arrivals[i]
}

fn simulate_node(scenario: &Scenario, node: usize) -> (NodeTrace, NodeTruth) {
    let network = scenario.network();
    let end = scenario.duration_ns();
    let rng = |stage: u64| Rng::stream(scenario.seed(), node as u64 * STREAMS_PER_NODE + stage);

    let mut schedule = Schedule::new(
        &network.sender,
        network.stalls,
        scenario.interval_ns(),
        end,
        rng(stream::JITTER),
        rng(stream::STALLS),
    );
    let mut delay = DelayProcess::new(
        &network.delay,
        network.regimes,
        end,
        rng(stream::DELAY),
        rng(stream::REGIMES),
    );
    let mut loss = LossProcess::new(
        &network.loss,
        network.outages,
        end,
        rng(stream::LOSS),
        rng(stream::OUTAGES),
    );

    // Bounded by MAX_HEARTBEATS when the scenario was built.
    let capacity = usize::try_from(scenario.slots_per_node()).unwrap_or(0);
    let mut arrivals = Vec::with_capacity(capacity);
    let mut truth = NodeTruth::default();
    let mut previous_lost = false;
    let mut in_order = true;
    for send in schedule.by_ref() {
        truth.sent += 1;
        // Every stage draws for every heartbeat, lost or not, so that one
        // stage's parameters never shift another stage's draws.
        let delay_ns = delay.next(send);
        let lost = loss.next(send);
        if lost {
            truth.lost += 1;
            truth.loss_bursts += u64::from(!previous_lost);
        } else {
            let arrival = send.saturating_add(delay_ns);
            if arrival < end {
                arrivals.push(Timestamp::from_nanos(arrival));
                in_order = in_order && settle_last(&mut arrivals);
            } else {
                truth.in_flight += 1;
            }
        }
        previous_lost = lost;
    }
    if !in_order {
        arrivals.sort_unstable();
    }

    let (skipped, stalls) = schedule.finish();
    truth.skipped = skipped;
    let spans = [
        (EpisodeKind::Stall, stalls),
        (EpisodeKind::Outage, loss.finish()),
        (EpisodeKind::Regime, delay.finish()),
    ];
    truth.episodes = spans
        .into_iter()
        .flat_map(|(kind, spans)| {
            spans.into_iter().map(move |(start, end)| Episode {
                kind,
                start: Timestamp::from_nanos(start),
                end: Timestamp::from_nanos(end),
            })
        })
        .collect();
    truth.episodes.sort_by_key(|e| (e.start, e.kind));

    let name = format!("node{node}");
    let trace = match NodeTrace::new(name, arrivals) {
        Ok(trace) => trace,
        // The arrivals were sorted just above.
        Err(e) => unreachable!("sorted arrivals were refused: {e}"),
    };
    (trace, truth)
}
