//! A built-in cluster: about a dozen peers on different links, watched by
//! one monitor with one configuration, as a cluster is deployed.
//!
//! See [`Cluster`].

use super::error::ScenarioError;
use super::network::Network;
use super::scenario::Scenario;
use super::simulate_node;
use crate::time::Timestamp;
use crate::trace::{NodeTrace, Trace};
use std::time::Duration;

/// How long the restarting peer is down between its two incarnations.
pub const RESTART_DOWNTIME: Duration = Duration::from_secs(120);

/// Something that happens to a peer once during the trace.
// A cluster holds a dozen of these, built once: boxing the network would
// cost its users a `Copy` to save nothing that matters.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum PeerChange {
    /// From `at` on, the peer's heartbeats cross the path of `to` (its
    /// delay, regimes, loss and outages) instead of the first network's: a
    /// reroute, a failing switch. The sender and its stalls stay the
    /// peer's own.
    Degrade {
        /// When the link changes.
        at: Duration,
        /// The network whose path the heartbeats cross from then on.
        to: Network,
    },
    /// The peer's process crashes at `at` and a new incarnation starts
    /// sending `down` later, under the name with `.2` appended.
    CrashRestart {
        /// When the process crashes.
        at: Duration,
        /// How long it stays down.
        down: Duration,
    },
}

/// One peer of a [`Cluster`]: its name, its link and what happens to it.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ClusterPeer {
    /// The peer's name in the trace.
    pub name: String,
    /// The network its heartbeats cross (at first, if it degrades).
    pub network: Network,
    /// A degradation or a crash, if any.
    pub change: Option<PeerChange>,
}

/// A cluster of peers on different links, sharing one heartbeat interval,
/// one duration and one seed. Build the built-in one with
/// [`Cluster::builtin`] and generate its trace with [`Cluster::generate`].
///
/// On one steady link a fixed timeout chosen with hindsight is as good as
/// any adaptive model; adaptivity pays when one setting must serve links
/// that differ and change. The cluster mixes the built-in profiles, a link
/// that degrades for good halfway through, and a peer that crashes and
/// restarts:
///
/// | peers | link |
/// |---|---|
/// | `lan-1` … `lan-3` | [`Network::LAN`] |
/// | `gc-1` … `gc-3` | [`Network::GC`]: a LAN, senders pausing for garbage collection |
/// | `wan-1`, `wan-2` | [`Network::WAN`] |
/// | `flaky-1`, `flaky-2` | [`Network::FLAKY`]: lossy, with outages and delay regimes |
/// | `degrading` | [`Network::LAN`], then the path of [`Network::FLAKY`] from half the duration on (the sender stays the same) |
/// | `restarts`, `restarts.2` | [`Network::GC`]; crashes at three quarters of the duration, and its second incarnation starts [`RESTART_DOWNTIME`] later |
///
/// The restarted process is a new incarnation (a new node in the trace), as
/// Akka and Cassandra treat a restarted member: a replay scores a trace as
/// if each node were alive throughout, so one node with a gap would count
/// the crash itself as a wrong suspicion.
///
/// Every peer sends at the same interval (a cluster's setting) and draws
/// from its own random streams, those of node `i` of a
/// [`Scenario`](super::Scenario) with the same seed, so a peer's trace does
/// not depend on the others.
///
/// ```
/// use accrual::simulate::Cluster;
/// use std::time::Duration;
///
/// let cluster = Cluster::builtin(Duration::from_secs(600), Duration::from_secs(1), 7)?;
/// let trace = cluster.generate();
/// // Twelve peers, one of which restarts as a second incarnation.
/// assert_eq!(cluster.peers().len(), 12);
/// assert_eq!(trace.nodes().len(), 13);
/// # Ok::<(), accrual::simulate::ScenarioError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Cluster {
    peers: Vec<ClusterPeer>,
    interval: Duration,
    duration: Duration,
    seed: u64,
}

impl Cluster {
    /// The built-in cluster described [above](Cluster), sending
    /// every `interval` for `duration`, with random streams from `seed`.
    ///
    /// # Errors
    ///
    /// The first value a [`Scenario`] of this interval, duration and
    /// number of nodes would refuse.
    pub fn builtin(
        duration: Duration,
        interval: Duration,
        seed: u64,
    ) -> Result<Cluster, ScenarioError> {
        let peer = |name: &str, network: Network, change: Option<PeerChange>| ClusterPeer {
            name: name.to_string(),
            network,
            change,
        };
        let half = duration / 2;
        let three_quarters = duration / 4 * 3;
        let peers = vec![
            peer("lan-1", Network::LAN, None),
            peer("lan-2", Network::LAN, None),
            peer("lan-3", Network::LAN, None),
            peer("gc-1", Network::GC, None),
            peer("gc-2", Network::GC, None),
            peer("gc-3", Network::GC, None),
            peer("wan-1", Network::WAN, None),
            peer("wan-2", Network::WAN, None),
            peer("flaky-1", Network::FLAKY, None),
            peer("flaky-2", Network::FLAKY, None),
            peer(
                "degrading",
                Network::LAN,
                Some(PeerChange::Degrade {
                    at: half,
                    to: Network::FLAKY,
                }),
            ),
            peer(
                "restarts",
                Network::GC,
                Some(PeerChange::CrashRestart {
                    at: three_quarters,
                    down: RESTART_DOWNTIME,
                }),
            ),
        ];
        let cluster = Cluster {
            peers,
            interval,
            duration,
            seed,
        };
        // Each network is checked with the whole cluster's size, so that the
        // limits on heartbeats and episodes hold for the cluster.
        for p in &cluster.peers {
            cluster.scenario(&p.network)?;
            if let Some(PeerChange::Degrade { to, .. }) = p.change {
                let mut path = to;
                path.sender = p.network.sender;
                path.stalls = p.network.stalls;
                cluster.scenario(&path)?;
            }
        }
        Ok(cluster)
    }

    /// The peers, in the trace's order.
    pub fn peers(&self) -> &[ClusterPeer] {
        &self.peers
    }

    /// The heartbeat interval every peer sends at.
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// The length of the trace.
    pub fn duration(&self) -> Duration {
        self.duration
    }

    /// The seed: equal clusters give identical traces.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    fn scenario(&self, network: &Network) -> Result<Scenario, ScenarioError> {
        Scenario::builder_for(*network)
            .interval(self.interval)
            .duration(self.duration)
            .nodes(self.peers.len())
            .seed(self.seed)
            .build()
    }

    /// The arrivals of every peer (a restarted peer's second incarnation
    /// right after its first).
    pub fn generate(&self) -> Trace {
        let mut nodes = Vec::with_capacity(self.peers.len() + 1);
        for (i, peer) in self.peers.iter().enumerate() {
            let arrivals = self.arrivals(i, &peer.network);
            match peer.change {
                None => nodes.push(node(&peer.name, arrivals)),
                Some(PeerChange::Degrade { at, to }) => {
                    // The same node index and the same sender draw the same
                    // send times on both paths, so the sender keeps its
                    // rhythm across the change.
                    let at = nanos(at);
                    let mut path = to;
                    path.sender = peer.network.sender;
                    path.stalls = peer.network.stalls;
                    let after = self.arrivals(i, &path);
                    let mut spliced: Vec<Timestamp> =
                        arrivals.into_iter().filter(|t| t.as_nanos() < at).collect();
                    spliced.extend(after.into_iter().filter(|t| t.as_nanos() >= at));
                    nodes.push(node(&peer.name, spliced));
                }
                Some(PeerChange::CrashRestart { at, down }) => {
                    let (crash, restart) = (nanos(at), nanos(at).saturating_add(nanos(down)));
                    let (first, second): (Vec<Timestamp>, Vec<Timestamp>) = arrivals
                        .into_iter()
                        .filter(|t| t.as_nanos() < crash || t.as_nanos() >= restart)
                        .partition(|t| t.as_nanos() < crash);
                    nodes.push(node(&peer.name, first));
                    if !second.is_empty() {
                        nodes.push(node(&format!("{}.2", peer.name), second));
                    }
                }
            }
        }
        Trace::new(nodes)
    }

    /// Node `i`'s arrivals on `network`.
    fn arrivals(&self, i: usize, network: &Network) -> Vec<Timestamp> {
        match self.scenario(network) {
            Ok(scenario) => simulate_node(&scenario, i).0.arrivals().to_vec(),
            // Every network was checked by `builtin`.
            Err(e) => unreachable!("a checked cluster was refused: {e}"),
        }
    }
}

fn node(name: &str, arrivals: Vec<Timestamp>) -> NodeTrace {
    match NodeTrace::new(name, arrivals) {
        Ok(node) => node,
        // Filters of a sorted list, or a sorted list followed by a later one.
        Err(e) => unreachable!("sorted arrivals were refused: {e}"),
    }
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}
