//! A chitchat cluster on 127.0.0.1, and what one of its nodes (the
//! observer) knows about the others: their heartbeat counters and which of
//! them chitchat's own failure detector calls live.
//!
//! chitchat (Quickwit's gossip membership) has no per-heartbeat callback:
//! a node's heartbeat counter travels inside the gossip digests, and the
//! observer's copy of it moves forward whenever a digest brings a newer
//! value, directly from the node or through any other member. Cassandra
//! feeds its phi detector the same way, so each advance of the observer's
//! copy is a heartbeat *arrival* for `accrual`, stamped when it is seen.
//! [`Feed`] reads the counters under chitchat's lock every few milliseconds
//! and reports the advances; one read per poll, so several digests between
//! two polls count as one arrival (chitchat's own detector counts each).

use anyhow::Context;
use chitchat::transport::{RecvOutcome, SendOutcome, Socket, Transport, UdpTransport};
use chitchat::{
    spawn_chitchat, ChitchatConfig, ChitchatEnvelope, ChitchatHandle, ChitchatId,
    FailureDetectorConfig, ProtocolVersion,
};
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a dead node stays in chitchat's dead set before it is
/// forgotten: far longer than any run here, so a killed node is never
/// garbage-collected (and re-learnt) mid-run.
const DEAD_NODE_GRACE: Duration = Duration::from_secs(3_600);

/// A running cluster. Node 0 is the observer.
pub struct Cluster {
    /// One per node, `None` once the node was killed.
    nodes: Vec<Option<ChitchatHandle>>,
    names: Vec<String>,
}

impl Cluster {
    /// Starts `size` nodes on 127.0.0.1, each on a port the system picked,
    /// gossiping every `gossip_interval`, every one seeded with the
    /// observer's address. Each node drops `loss_per_mille` of the
    /// datagrams it receives, independently, as a lossy network would.
    pub async fn start(
        size: usize,
        gossip_interval: Duration,
        failure_detector: FailureDetectorConfig,
        loss_per_mille: u64,
    ) -> anyhow::Result<Cluster> {
        // Bind every socket first: the seed address and each node's
        // advertised address must be known before any node starts.
        let mut sockets = Vec::with_capacity(size);
        for _ in 0..size {
            let socket = UdpTransport.open(([127, 0, 0, 1], 0).into()).await?;
            let addr = socket.local_addr()?;
            sockets.push((socket, addr));
        }
        let seed = sockets.first().context("a cluster needs a node")?.1;
        let mut nodes = Vec::with_capacity(size);
        let mut names = Vec::with_capacity(size);
        for (i, (socket, addr)) in sockets.into_iter().enumerate() {
            let name = format!("node-{i}");
            let config = ChitchatConfig {
                chitchat_id: ChitchatId::new(name.clone(), 0, addr),
                cluster_id: "accrual-beside-chitchat".to_string(),
                gossip_interval,
                listen_addr: addr,
                seed_nodes: vec![seed.to_string()],
                failure_detector_config: failure_detector.clone(),
                marked_for_deletion_grace_period: DEAD_NODE_GRACE,
                catchup_callback: None,
                extra_liveness_predicate: None,
                protocol_version: ProtocolVersion::V0,
            };
            let socket: Box<dyn Socket> = if loss_per_mille == 0 {
                socket
            } else {
                Box::new(Lossy {
                    inner: socket,
                    loss_per_mille,
                    seed: 0x9E37_79B9_7F4A_7C15 ^ (i as u64 + 1),
                })
            };
            let transport = Bound(Mutex::new(Some(socket)));
            nodes.push(Some(spawn_chitchat(config, Vec::new(), &transport).await?));
            names.push(name);
            // Spread the nodes' gossip rounds over the interval, as in a
            // cluster whose members did not all start in the same
            // millisecond: rounds in phase would bring the observer every
            // node's news in one burst per round.
            tokio::time::sleep(gossip_interval / size as u32).await;
        }
        Ok(Cluster { nodes, names })
    }

    /// The failure-detector settings chitchat is run with here: its
    /// defaults (threshold 8, 1000 samples, intervals over 10 s dropped),
    /// except the prior mean interval, set to the gossip interval as
    /// Quickwit does (the default, 5 s, would dominate the first hundred
    /// samples), and a dead-node grace period longer than any run.
    pub fn failure_detector(gossip_interval: Duration) -> FailureDetectorConfig {
        FailureDetectorConfig {
            initial_interval: gossip_interval,
            dead_node_grace_period: DEAD_NODE_GRACE,
            ..FailureDetectorConfig::default()
        }
    }

    /// The node names, `node-0` (the observer) first.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The observer's chitchat handle.
    pub fn observer(&self) -> anyhow::Result<&ChitchatHandle> {
        self.nodes
            .first()
            .and_then(Option::as_ref)
            .context("the observer is not running")
    }

    /// Stops node `index` (its gossip loop ends and its socket closes, as
    /// in a crash: it says goodbye to nobody) and returns when it stopped.
    pub async fn kill(&mut self, index: usize) -> anyhow::Result<Instant> {
        let handle = self
            .nodes
            .get_mut(index)
            .and_then(Option::take)
            .with_context(|| format!("node {index} is not running"))?;
        handle.shutdown().await?;
        Ok(Instant::now())
    }

    /// Stops every node still running.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        for handle in self.nodes.into_iter().flatten() {
            handle.shutdown().await?;
        }
        Ok(())
    }
}

/// A transport that hands chitchat a socket bound beforehand, so that a
/// node's port is picked by the system and known before the node starts
/// (binding port 0 inside chitchat would leave its advertised address
/// unknown, and probing for a free port races with other processes).
struct Bound(Mutex<Option<Box<dyn Socket>>>);

impl Transport for Bound {
    // `Transport` is declared with `async_trait`; this is the signature the
    // macro expands to.
    fn open<'life0, 'async_trait>(
        &'life0 self,
        listen_addr: SocketAddr,
    ) -> Pin<Box<dyn Future<Output = anyhow::Result<Box<dyn Socket>>> + Send + 'async_trait>>
    where
        'life0: 'async_trait,
        Self: 'async_trait,
    {
        let socket = self.0.lock().ok().and_then(|mut s| s.take());
        Box::pin(async move {
            let socket = socket.context("the bound socket was already handed out")?;
            anyhow::ensure!(
                socket.local_addr()? == listen_addr,
                "chitchat asked for {listen_addr}, the socket is bound elsewhere"
            );
            Ok(socket)
        })
    }
}

/// A socket that loses a share of the datagrams it receives, each
/// independently (a fixed pseudo-random sequence per node).
struct Lossy {
    inner: Box<dyn Socket>,
    loss_per_mille: u64,
    seed: u64,
}

impl Lossy {
    fn loses_next(&mut self) -> bool {
        // xorshift64
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 7;
        self.seed ^= self.seed << 17;
        self.seed % 1000 < self.loss_per_mille
    }
}

// `Socket` is declared with `async_trait`; these are the signatures the
// macro expands to.
impl Socket for Lossy {
    fn local_addr(&self) -> anyhow::Result<SocketAddr> {
        self.inner.local_addr()
    }

    fn send<'life0, 'async_trait>(
        &'life0 mut self,
        to: SocketAddr,
        envelope: ChitchatEnvelope,
    ) -> Pin<Box<dyn Future<Output = anyhow::Result<SendOutcome>> + Send + 'async_trait>>
    where
        'life0: 'async_trait,
        Self: 'async_trait,
    {
        self.inner.send(to, envelope)
    }

    fn recv<'life0, 'async_trait>(
        &'life0 mut self,
    ) -> Pin<Box<dyn Future<Output = anyhow::Result<RecvOutcome>> + Send + 'async_trait>>
    where
        'life0: 'async_trait,
        Self: 'async_trait,
    {
        // Cancelled between datagrams by chitchat's `select!`, this loses
        // at most a datagram it had already decided to lose.
        Box::pin(async move {
            loop {
                let received = self.inner.recv().await?;
                if !self.loses_next() {
                    return Ok(received);
                }
            }
        })
    }
}

/// One poll of the observer: the peers whose heartbeat counter moved
/// forward since the previous poll, and chitchat's live set.
#[derive(Debug)]
pub struct Poll {
    /// When the counters were read (under chitchat's lock).
    pub at: Instant,
    /// Peers whose counter advanced: one heartbeat arrival each.
    pub arrivals: Vec<String>,
    /// Peers chitchat's detector calls live (the observer excluded).
    pub live: BTreeSet<String>,
}

/// Turns successive reads of the observer's state into heartbeat arrivals.
#[derive(Debug, Default)]
pub struct Feed {
    /// The last counter seen per peer.
    counters: BTreeMap<String, u64>,
}

impl Feed {
    /// Reads the observer's view of every other node once.
    pub async fn poll(&mut self, observer: &ChitchatHandle) -> Poll {
        let chitchat = observer.chitchat();
        let guard = chitchat.lock().await;
        let at = Instant::now();
        let me = guard.self_chitchat_id();
        let mut arrivals = Vec::new();
        for (id, state) in guard.node_states() {
            if id == me {
                continue;
            }
            let counter = u64::from(state.heartbeat());
            let last = self.counters.entry(id.node_id.to_string()).or_insert(0);
            if counter > *last {
                *last = counter;
                arrivals.push(id.node_id.to_string());
            }
        }
        let live = guard
            .live_nodes()
            .filter(|id| *id != me)
            .map(|id| id.node_id.to_string())
            .collect();
        Poll { at, arrivals, live }
    }
}

/// chitchat's current detection timeout for `peer` (its threshold times
/// its smoothed mean interval), as the observer computes it; `None` before
/// two heartbeats or once the peer was declared dead.
pub async fn chitchat_timeout(observer: &ChitchatHandle, peer: &str) -> Option<Duration> {
    let chitchat = observer.chitchat();
    let guard = chitchat.lock().await;
    let id = guard
        .node_states()
        .keys()
        .find(|id| &*id.node_id == peer)?
        .clone();
    guard.failure_detection_timeout(&id)
}
