//! A fault-injecting UDP relay between the nodes of `tests/udp/main.rs`: every
//! datagram from one node to another goes through it, and it applies delay
//! with jitter, random loss, bursty loss and partitions.
//!
//! The relay owns one socket per directed link `i → j`: node `i` is told to
//! send its heartbeats for `j` to [`Relay::entry`]`(i, j)`, and the relay
//! forwards what arrives there to `j`'s listening address. Knowing the link
//! from the socket, it never parses a datagram.
//!
//! * **Seeded.** Each link draws its losses and delays from its own
//!   generator, seeded from the relay's seed and the link, so a run's fault
//!   pattern depends only on the seed and the order of the link's datagrams.
//! * **Delay with jitter.** Each datagram is held `delay + U(0, jitter)` in
//!   a time-ordered queue and sent by one delivery thread when due.
//! * **Loss.** Independent (`loss`), and bursty with a Gilbert–Elliott
//!   channel ([`Bursts`]).
//! * **Partitions.** [`Relay::partition`] drops everything to and/or from a
//!   node during a time window (checked when the relay receives a datagram:
//!   one already in the queue was on the wire and is delivered).
//! * **Bounded.** Every thread stops at the relay's deadline or when it is
//!   dropped, waking at least every [`POLL`]; the relay handles at most
//!   `max_datagrams` datagrams and drops the rest.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::ErrorKind;
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long a relay thread waits before it checks whether to stop.
const POLL: Duration = Duration::from_millis(20);

/// The largest datagram relayed (heartbeats are under 100 bytes; larger
/// datagrams are truncated, which the nodes must survive anyway).
const MAX_DATAGRAM: usize = 2048;

/// SplitMix64 (Steele, Lea and Flood): a tiny, well-mixed seeded generator.
#[derive(Clone, Debug)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// `true` with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.next_f64() < p
    }
}

/// A Gilbert–Elliott channel: a good state with the link's independent
/// loss, and a bad state (a burst) that loses `loss_in_burst` of the
/// datagrams. Bursts start with probability `enter` per datagram and end
/// with `leave`: their mean length is `1 / leave` datagrams.
#[derive(Clone, Copy, Debug)]
pub struct Bursts {
    pub enter: f64,
    pub leave: f64,
    pub loss_in_burst: f64,
}

impl Bursts {
    /// The long-run share of datagrams in bursts: `enter / (enter + leave)`.
    pub fn time_in_bursts(&self) -> f64 {
        self.enter / (self.enter + self.leave)
    }
}

/// The faults applied to every link.
#[derive(Clone, Copy, Debug)]
pub struct Faults {
    /// Fixed delay.
    pub delay: Duration,
    /// Extra delay, uniform in `[0, jitter]`.
    pub jitter: Duration,
    /// Independent loss probability (in the good state, with `bursts`).
    pub loss: f64,
    /// Bursty loss, if any.
    pub bursts: Option<Bursts>,
}

impl Faults {
    /// The longest a relayed datagram is held.
    pub fn max_delay(&self) -> Duration {
        self.delay + self.jitter
    }
}

/// One link's loss decisions: its own generator and channel state.
#[derive(Clone, Debug)]
pub struct LossModel {
    rng: SplitMix64,
    faults: Faults,
    in_burst: bool,
}

impl LossModel {
    pub fn new(faults: Faults, seed: u64) -> Self {
        LossModel {
            rng: SplitMix64::new(seed),
            faults,
            in_burst: false,
        }
    }

    /// Whether the next datagram is lost.
    pub fn drops(&mut self) -> bool {
        let Some(b) = self.faults.bursts else {
            return self.rng.chance(self.faults.loss);
        };
        let flip = if self.in_burst { b.leave } else { b.enter };
        if self.rng.chance(flip) {
            self.in_burst = !self.in_burst;
        }
        let p = if self.in_burst {
            b.loss_in_burst
        } else {
            self.faults.loss
        };
        self.rng.chance(p)
    }

    /// How long the next datagram is held.
    pub fn delay(&mut self) -> Duration {
        self.faults.delay + self.faults.jitter.mul_f64(self.rng.next_f64())
    }
}

/// Which of a node's traffic a partition drops.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cut {
    /// What the node sends.
    Outbound,
    /// What is sent to it.
    Inbound,
    /// Both.
    Both,
}

#[derive(Clone, Copy, Debug)]
struct Partition {
    node: usize,
    cut: Cut,
    from: Instant,
    until: Instant,
}

impl Partition {
    fn drops(&self, link: Link, at: Instant) -> bool {
        let out = link.from == self.node && self.cut != Cut::Inbound;
        let into = link.to == self.node && self.cut != Cut::Outbound;
        (out || into) && self.from <= at && at < self.until
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Link {
    from: usize,
    to: usize,
}

/// What happened to a link's datagrams.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LinkCounts {
    pub received: u64,
    pub lost: u64,
    pub partitioned: u64,
    /// Dropped because the destination node was not listening yet.
    pub undeliverable: u64,
    /// Dropped because the relay's datagram budget was spent.
    pub over_budget: u64,
    pub forwarded: u64,
}

#[derive(Debug, Default)]
struct AtomicCounts {
    received: AtomicU64,
    lost: AtomicU64,
    partitioned: AtomicU64,
    undeliverable: AtomicU64,
    over_budget: AtomicU64,
    forwarded: AtomicU64,
}

fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

/// A datagram waiting in the delay queue; ordered by due time, then by
/// arrival (so equal delays keep their order).
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Held {
    due: Instant,
    order: u64,
    link: usize,
    bytes: Vec<u8>,
}

struct Shared {
    stop: AtomicBool,
    deadline: Instant,
    budget: u64,
    handled: AtomicU64,
    links: Vec<Link>,
    counts: Vec<AtomicCounts>,
    destinations: Mutex<Vec<Option<SocketAddr>>>,
    partitions: Mutex<Vec<Partition>>,
    queue: Mutex<BinaryHeap<Reverse<Held>>>,
    queued: Condvar,
}

impl Shared {
    fn running(&self) -> bool {
        !self.stop.load(Ordering::Relaxed) && Instant::now() < self.deadline
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panicking relay thread must not hide the test's own failure.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The relay; dropping it stops and joins its threads.
pub struct Relay {
    shared: Arc<Shared>,
    entries: Vec<SocketAddr>,
    nodes: usize,
    threads: Vec<JoinHandle<()>>,
}

impl Relay {
    /// A relay between `nodes` nodes that runs for at most `run_for` and
    /// handles at most `budget` datagrams.
    pub fn start(
        nodes: usize,
        faults: Faults,
        seed: u64,
        run_for: Duration,
        budget: u64,
    ) -> std::io::Result<Relay> {
        let links: Vec<Link> = (0..nodes)
            .flat_map(|from| (0..nodes).map(move |to| Link { from, to }))
            .filter(|l| l.from != l.to)
            .collect();
        let mut sockets = Vec::with_capacity(links.len());
        for _ in &links {
            let socket = UdpSocket::bind("127.0.0.1:0")?;
            socket.set_read_timeout(Some(POLL))?;
            sockets.push(socket);
        }
        let entries = sockets
            .iter()
            .map(UdpSocket::local_addr)
            .collect::<Result<_, _>>()?;
        let shared = Arc::new(Shared {
            stop: AtomicBool::new(false),
            deadline: Instant::now() + run_for,
            budget,
            handled: AtomicU64::new(0),
            counts: links.iter().map(|_| AtomicCounts::default()).collect(),
            links,
            destinations: Mutex::new(vec![None; nodes]),
            partitions: Mutex::new(Vec::new()),
            queue: Mutex::new(BinaryHeap::new()),
            queued: Condvar::new(),
        });
        let mut seeds = SplitMix64::new(seed);
        let mut threads = Vec::with_capacity(sockets.len() + 1);
        let mut senders = Vec::with_capacity(sockets.len());
        for (index, socket) in sockets.into_iter().enumerate() {
            senders.push(socket.try_clone()?);
            let model = LossModel::new(faults, seeds.next_u64());
            let shared = Arc::clone(&shared);
            threads.push(std::thread::spawn(move || {
                receive(&shared, index, &socket, model);
            }));
        }
        let delivery = Arc::clone(&shared);
        threads.push(std::thread::spawn(move || deliver(&delivery, &senders)));
        Ok(Relay {
            shared,
            entries,
            nodes,
            threads,
        })
    }

    fn link_index(&self, from: usize, to: usize) -> usize {
        assert!(from != to && from < self.nodes && to < self.nodes);
        // Links are listed by `from`, then `to`, skipping `from == to`.
        from * (self.nodes - 1) + to - usize::from(to > from)
    }

    /// Where node `from` sends its datagrams for node `to`.
    pub fn entry(&self, from: usize, to: usize) -> SocketAddr {
        self.entries[self.link_index(from, to)]
    }

    /// Where the relay delivers datagrams for `node` (until then they are
    /// counted as undeliverable).
    pub fn set_destination(&self, node: usize, addr: SocketAddr) {
        lock(&self.shared.destinations)[node] = Some(addr);
    }

    /// Drops `cut` of `node`'s traffic from `from` until `until`.
    pub fn partition(&self, node: usize, cut: Cut, from: Instant, until: Instant) {
        lock(&self.shared.partitions).push(Partition {
            node,
            cut,
            from,
            until,
        });
    }

    /// The counts of the link `from → to` so far.
    pub fn counts(&self, from: usize, to: usize) -> LinkCounts {
        let c = &self.shared.counts[self.link_index(from, to)];
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        LinkCounts {
            received: get(&c.received),
            lost: get(&c.lost),
            partitioned: get(&c.partitioned),
            undeliverable: get(&c.undeliverable),
            over_budget: get(&c.over_budget),
            forwarded: get(&c.forwarded),
        }
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        self.shared.queued.notify_all();
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// One link's receiving thread: decides each datagram's fate and queues the
/// survivors.
fn receive(shared: &Shared, index: usize, socket: &UdpSocket, mut model: LossModel) {
    let link = shared.links[index];
    let counts = &shared.counts[index];
    let mut buf = [0u8; MAX_DATAGRAM];
    let mut order = 0u64;
    while shared.running() {
        let len = match socket.recv_from(&mut buf) {
            Ok((len, _from)) => len,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => continue,
            Err(_) => {
                std::thread::sleep(POLL); // whatever the error, do not spin on it
                continue;
            }
        };
        let now = Instant::now();
        bump(&counts.received);
        if shared.handled.fetch_add(1, Ordering::Relaxed) >= shared.budget {
            bump(&counts.over_budget);
            continue;
        }
        // Both draws happen for every datagram, so the loss pattern does not
        // depend on partitions.
        let lost = model.drops();
        let delay = model.delay();
        if lock(&shared.partitions).iter().any(|p| p.drops(link, now)) {
            bump(&counts.partitioned);
        } else if lost {
            bump(&counts.lost);
        } else {
            order += 1;
            lock(&shared.queue).push(Reverse(Held {
                due: now + delay,
                order,
                link: index,
                bytes: buf[..len].to_vec(),
            }));
            shared.queued.notify_one();
        }
    }
}

/// The delivery thread: sends each queued datagram when it is due.
fn deliver(shared: &Shared, senders: &[UdpSocket]) {
    let mut queue = lock(&shared.queue);
    while shared.running() {
        let now = Instant::now();
        let wait = match queue.peek() {
            Some(Reverse(next)) if next.due <= now => {
                let Some(Reverse(held)) = queue.pop() else {
                    continue;
                };
                drop(queue);
                let to = shared.links[held.link].to;
                let counts = &shared.counts[held.link];
                match lock(&shared.destinations)[to] {
                    Some(addr) if senders[held.link].send_to(&held.bytes, addr).is_ok() => {
                        bump(&counts.forwarded);
                    }
                    _ => bump(&counts.undeliverable),
                }
                queue = lock(&shared.queue);
                continue;
            }
            Some(Reverse(next)) => (next.due - now).min(POLL),
            None => POLL,
        };
        queue = shared
            .queued
            .wait_timeout(queue, wait)
            .unwrap_or_else(PoisonError::into_inner)
            .0;
    }
}
