//! Saving a monitor's learnt state and restoring it after a restart
//! (feature `serde`).
//!
//! A restarted node that starts every peer from the bootstrap estimate
//! judges them badly for the first window's worth of heartbeats: with the
//! default 1 s estimate and σ = 250 ms, a peer on a 100 ms link is
//! suspected seconds late, and a slow WAN peer may be suspected too early.
//! A [`Snapshot`] carries the configuration and, for every peer, its window
//! of intervals and its last arrival *relative to a reference time*, so the
//! monitoring can resume on another clock (timestamps of a new process have
//! a new origin).
//!
//! * **Exact.** The window's samples are stored as the detector keeps them
//!   (whole microseconds), with the last sequence number and, for the
//!   margin models, the sending periods the numbers gave each interval;
//!   the running sums are recomputed on restore,
//!   so the restored phi at `new_reference + x` equals the saved phi at
//!   `old_reference + x` to the last bit. The few `f64`s (thresholds,
//!   Bertier's estimates) are written so that they read back to the same
//!   bits in any format: as themselves in binary formats, as decimal
//!   strings in text formats, whose number parsing may round (a default
//!   `serde_json` does).
//! * **Any serde format.** Every field is always written, so binary
//!   formats that read fields by position (bincode, postcard) read a
//!   snapshot back as well as JSON does.
//! * **Validated.** The configuration and the pause guard are checked as
//!   they are deserialised, like [`Config`]'s builder and
//!   [`PauseGuard::new`] check them; [`Monitor::restore`] checks the rest
//!   (format version, thresholds, window sizes, times, duplicate peers)
//!   and returns a [`SnapshotError`] naming the first problem. It builds a
//!   new monitor, so a bad snapshot can never be partially applied, and it
//!   never panics. Bytes that do not even parse are the serde format's
//!   error (`serde_json::Error`, ...), also typed.
//! * **Sized by its content.** A restored window allocates room for the
//!   samples the snapshot holds and grows as heartbeats come, up to the
//!   configured size: a small snapshot that allows a huge window costs
//!   little memory.
//! * **Not saved:** announced suspicion levels and subscriptions (they
//!   belong to the old process's subscribers: after a restore every peer
//!   starts at level 0, and the first tick announces those whose deadlines
//!   have passed), and the tick history of the pause guard.
//!
//! A snapshot is taken one shard at a time, so it is consistent per peer
//! (and per shard), not across shards, while heartbeats keep flowing.

use super::schedule::NEVER;
use super::shard::Peer;
use super::{Monitor, MonitorBuilder, MonitorError, PauseGuard, DEFAULT_SHARDS};
use crate::config::{exact_float, Bootstrap, Config, ConfigError};
use crate::detector::{Saved, State};
use crate::model::Model;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::hash::{BuildHasher, Hash};
use std::time::Duration;

/// The snapshot format version written by this crate. It reads every
/// earlier one too: version 1 lacked the sequence numbers (its peers
/// restore as never numbered), and JSON of version 1 still parses; binary
/// formats read fields by position, so their version 1 bytes do not.
pub const SNAPSHOT_VERSION: u32 = 2;

/// A monitor's configuration and every peer's learnt state, serialisable
/// with any serde format. Take one with [`Monitor::snapshot`], restore with
/// [`Monitor::restore`].
///
/// ```
/// use accrual::monitor::{Monitor, Snapshot};
/// use accrual::{Config, Timestamp};
///
/// let before = Monitor::<String>::new(Config::default());
/// for s in 0..50 {
///     before.heartbeat("a", Timestamp::from_millis(s * 1_000))?;
/// }
/// let saved = serde_json::to_string(&before.snapshot(Timestamp::from_millis(50_000)))?;
///
/// // After a restart, on a clock with another origin:
/// let snapshot: Snapshot<String> = serde_json::from_str(&saved)?;
/// let after = Monitor::restore(snapshot, Timestamp::from_millis(7_000))?;
/// assert_eq!(
///     after.phi("a", Timestamp::from_millis(7_000 + 3_000)),
///     before.phi("a", Timestamp::from_millis(50_000 + 3_000)),
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Snapshot<K> {
    version: u32,
    config: Config,
    #[serde(with = "exact_float")]
    thresholds: Vec<f64>,
    expected_response_after: Duration,
    pause_guard: Option<PauseGuard>,
    peers: Vec<PeerSnapshot<K>>,
}

/// One peer's learnt state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PeerSnapshot<K> {
    peer: K,
    /// Last arrival minus the reference time, in nanoseconds (negative:
    /// before the reference). For a peer never heard from, its virtual first
    /// heartbeat.
    last: i64,
    /// The window's intervals in microseconds, oldest first.
    samples: Vec<u32>,
    /// Bertier's error estimates (delay, variation) in microseconds, which
    /// depend on intervals no longer in the window; `None` for other
    /// models. Written exactly: they are not whole numbers.
    ///
    /// Every field is always written, even when empty, so that formats
    /// that are not self-describing (bincode, postcard), which read fields
    /// by position, can read a snapshot back; `default` still reads the
    /// JSON of versions that left the empty ones out.
    #[serde(default, with = "exact_float")]
    estimates: Option<[f64; 2]>,
    /// The last interval ended a suspicion and was not learnt (so the next
    /// one will be).
    #[serde(default)]
    skipped_last: bool,
    never_heard: bool,
    /// The sender's sequence number of the last heartbeat, if it had one
    /// (a later one must be above it). Since version 2.
    #[serde(default)]
    last_seq: Option<u64>,
    /// The sending periods of the window's intervals, one per sample,
    /// oldest first, once sequence numbers have given any: Chen's, 2W-FD's
    /// and Bertier's expected arrival count them, and the intervals alone
    /// do not give them back (a long interval may be one period of a
    /// stalled sender). `None` for peers never numbered and other models.
    /// Since version 2.
    #[serde(default)]
    steps: Option<Vec<u32>>,
}

impl<K> Snapshot<K> {
    /// The format version.
    pub fn version(&self) -> u32 {
        self.version
    }

    /// The detector configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Number of peers saved.
    pub fn len(&self) -> usize {
        self.peers.len()
    }

    /// Whether no peer was saved.
    pub fn is_empty(&self) -> bool {
        self.peers.is_empty()
    }

    /// The peers saved.
    pub fn peers(&self) -> impl Iterator<Item = &K> {
        self.peers.iter().map(|p| &p.peer)
    }
}

/// Why a snapshot could not be restored.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum SnapshotError {
    /// A format version this crate does not read.
    Version {
        /// The snapshot's version.
        found: u32,
        /// The newest version this crate reads (it reads the earlier ones
        /// from 1).
        supported: u32,
    },
    /// Invalid thresholds.
    Settings(MonitorError),
    /// An invalid pause guard. A snapshot read through serde never carries
    /// one: deserialising a [`PauseGuard`] validates it, so the format
    /// refuses it first.
    PauseGuard(ConfigError),
    /// The peer at `index` has an empty window or more samples than the
    /// configured window holds.
    Window {
        /// Position of the peer in the snapshot.
        index: usize,
        /// Number of samples found.
        samples: usize,
        /// The configured window size.
        max: usize,
    },
    /// The peer at `index` has a last arrival that cannot be expressed as a
    /// [`Timestamp`] against the given reference (before its origin or past
    /// its end).
    Time {
        /// Position of the peer in the snapshot.
        index: usize,
    },
    /// The peer at `index` has model estimates that are not finite numbers,
    /// or estimates its model does not keep, or lacks those it keeps
    /// (Bertier's two).
    Estimates {
        /// Position of the peer in the snapshot.
        index: usize,
    },
    /// The peer at `index` has sending periods its model does not count,
    /// or not one (of at least one period) per sample.
    Steps {
        /// Position of the peer in the snapshot.
        index: usize,
    },
    /// The peer at `index` appears earlier in the snapshot too.
    DuplicatePeer {
        /// Position of the second occurrence.
        index: usize,
    },
}

impl fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SnapshotError::Version { found, supported } => write!(
                f,
                "snapshot format version {found} is not supported (this crate reads 1 to {supported})"
            ),
            SnapshotError::Settings(e) => write!(f, "snapshot settings: {e}"),
            SnapshotError::PauseGuard(e) => write!(f, "snapshot pause guard: {e}"),
            SnapshotError::Window {
                index,
                samples,
                max,
            } => write!(
                f,
                "peer #{index} of the snapshot has {samples} samples, expected 1 to {max}"
            ),
            SnapshotError::Time { index } => write!(
                f,
                "peer #{index} of the snapshot has a last arrival outside the clock's range \
                 for this reference time"
            ),
            SnapshotError::Estimates { index } => {
                write!(
                    f,
                    "peer #{index} of the snapshot has model estimates that are not finite, \
                     or not those of its model"
                )
            }
            SnapshotError::Steps { index } => write!(
                f,
                "peer #{index} of the snapshot has sending periods that are not one per \
                 sample, or that its model does not count"
            ),
            SnapshotError::DuplicatePeer { index } => {
                write!(f, "peer #{index} of the snapshot is a duplicate")
            }
        }
    }
}

impl std::error::Error for SnapshotError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SnapshotError::Settings(e) => Some(e),
            SnapshotError::PauseGuard(e) => Some(e),
            _ => None,
        }
    }
}

impl<K: Hash + Eq + Clone> Monitor<K> {
    /// Saves the configuration and every peer's window and last arrival,
    /// the latter relative to `reference` (typically "now"). See
    /// [`Snapshot`].
    ///
    /// Offsets beyond ±292 years from `reference` saturate.
    pub fn snapshot(&self, reference: impl Into<Timestamp>) -> Snapshot<K> {
        let reference = i128::from(reference.into().as_nanos());
        let mut peers = Vec::new();
        for cell in self.shards.iter() {
            let shard = cell.0.lock();
            peers.reserve(shard.len());
            for p in shard.peers() {
                let last = p.state.last_heartbeat().map_or(0, Timestamp::as_nanos);
                let offset = i128::from(last) - reference;
                peers.push(PeerSnapshot {
                    peer: p.key.clone(),
                    last: i64::try_from(offset).unwrap_or(if offset < 0 {
                        i64::MIN
                    } else {
                        i64::MAX
                    }),
                    samples: p.state.window().iter().collect(),
                    estimates: p.state.estimates(),
                    skipped_last: p.state.skipped_last(),
                    never_heard: p.never_heard,
                    last_seq: p.state.last_seq(),
                    steps: p.state.given_steps(),
                });
            }
        }
        Snapshot {
            version: SNAPSHOT_VERSION,
            config: self.rules.params.config.clone(),
            thresholds: self.thresholds.to_vec(),
            expected_response_after: self.expected_response_after(),
            pause_guard: self.guard,
            peers,
        }
    }

    /// Rebuilds a monitor from `snapshot`, with `reference` standing for
    /// the snapshot's reference time on the new clock. Every peer's phi at
    /// `reference + x` is then exactly what it was at the old reference
    /// `+ x`. Peers start at level 0 (nothing announced); the default
    /// shard count is used.
    ///
    /// # Errors
    ///
    /// [`SnapshotError`] for the first invalid part; nothing is built then.
    pub fn restore(
        snapshot: Snapshot<K>,
        reference: impl Into<Timestamp>,
    ) -> Result<Monitor<K>, SnapshotError> {
        if !(1..=SNAPSHOT_VERSION).contains(&snapshot.version) {
            return Err(SnapshotError::Version {
                found: snapshot.version,
                supported: SNAPSHOT_VERSION,
            });
        }
        let mut builder = MonitorBuilder::<K>::default()
            .config(snapshot.config)
            .thresholds(snapshot.thresholds)
            .expected_response_after(snapshot.expected_response_after)
            .shards(DEFAULT_SHARDS)
            .capacity(snapshot.peers.len());
        builder = match snapshot.pause_guard {
            // Valid: deserialising a guard runs its constructor's check.
            Some(g) => builder.pause_guard(g),
            None => builder.no_pause_guard(),
        };
        let monitor = builder.build().map_err(SnapshotError::Settings)?;
        let max = monitor.rules.params.config.max_sample_size();
        let reference = i128::from(reference.into().as_nanos());
        for (index, saved) in snapshot.peers.into_iter().enumerate() {
            // Only the growing bootstrap leaves a heard peer's window empty.
            let min = usize::from(monitor.rules.params.config.bootstrap() == Bootstrap::Seeds);
            if saved.samples.len() < min || saved.samples.len() > max {
                return Err(SnapshotError::Window {
                    index,
                    samples: saved.samples.len(),
                    max,
                });
            }
            let last = u64::try_from(reference + i128::from(saved.last))
                .map_err(|_| SnapshotError::Time { index })?;
            // Bertier's model keeps two estimates beside the window, the
            // others none: estimates another model would drop, or a
            // Bertier peer without them, are not a snapshot this crate
            // wrote, and would not save back the same.
            let bertier = monitor.rules.params.config.model() == Model::Bertier;
            match saved.estimates {
                Some(e) if bertier && e.iter().all(|x| x.is_finite()) => {}
                None if !bertier => {}
                _ => return Err(SnapshotError::Estimates { index }),
            }
            // As `Peer::boxed` does (the record allocated before its
            // window), but with a window sized by the samples restored,
            // not by the configuration: `Peer::boxed`'s full-size window
            // would let a few hundred bytes of snapshot claim gigabytes.
            let mut peer = Box::new(Peer {
                key: saved.peer,
                level: 0,
                never_heard: saved.never_heard,
                state: State::placeholder(),
                queued: NEVER,
            });
            peer.state = State::restored(
                &monitor.rules.params,
                &Saved {
                    samples: &saved.samples,
                    steps: saved.steps.as_deref(),
                    estimates: saved.estimates,
                    skipped_last: saved.skipped_last,
                    last_seq: saved.last_seq,
                    last: Timestamp::from_nanos(last),
                },
            );
            // The restored state must keep the periods it was given, as it
            // would save them: a model that counts none, a list that is not
            // one period (of at least one) per sample, would not save back
            // the same.
            if peer.state.given_steps() != saved.steps {
                return Err(SnapshotError::Steps { index });
            }
            let hash = monitor.hasher.hash_one(&peer.key);
            let s = monitor.shard_of(hash);
            let (Some(cell), Some(due)) = (monitor.shards.get(s), monitor.next_due.get(s)) else {
                continue;
            };
            let mut shard = cell.0.lock();
            if !shard.insert_restored(&monitor.rules, hash, peer) {
                return Err(SnapshotError::DuplicatePeer { index });
            }
            due.store(shard.next_time(), std::sync::atomic::Ordering::Release);
        }
        Ok(monitor)
    }
}
