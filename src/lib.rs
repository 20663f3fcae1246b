//! Phi accrual failure detection: which of a distributed system's peers have
//! failed, as a continuous suspicion level.
//!
//! A peer sends heartbeats; the detector keeps a sliding window of the
//! intervals between their arrivals and fits a distribution to it. Given the
//! current silence, it outputs **phi** = −log10 of the probability that a
//! live peer's heartbeat would be this late (Hayashibara et al., *The φ
//! Accrual Failure Detector*, SRDS 2004). Phi 1 means a 10 % chance that
//! suspecting the peer now is a mistake, phi 8 one in 10⁸. Callers pick a
//! threshold, or several for escalating actions.
//!
//! ```
//! use accrual::{Detector, Timestamp};
//!
//! let mut detector = Detector::default(); // threshold 8, 1 s heartbeats
//! for i in 0..100 {
//!     detector.heartbeat(Timestamp::from_millis(i * 1_000))?;
//! }
//! let now = Timestamp::from_millis(99_000 + 2_500);
//! println!("phi after 2.5 s of silence: {:.2}", detector.phi(now));
//! assert!(detector.is_available(now));
//! # Ok::<(), accrual::HeartbeatError>(())
//! ```
//!
//! The crate is transport-agnostic: it is fed arrival times from any
//! transport, as [`std::time::Instant`]s or as [`Timestamp`]s built from
//! numbers (replayed traces). See [`Detector`] for the rules it follows,
//! [`Config`] for the knobs and [`Model`] for the distributions.
//!
//! A node watching many peers uses a [`Monitor`] instead of one detector per
//! peer: a thread-safe, sharded registry keyed by any peer id, which ticks
//! suspicion deadlines and sends [`Event`]s (a peer suspected at one of
//! several thresholds, recovered, removed, or late) on a channel, so callers
//! never poll every peer (see the [`monitor`] module).
//!
//! # Async programs
//!
//! [`Monitor::subscribe`] hands out a blocking channel ([`Receiver`]):
//! right for a thread, wrong inside an async task, where `recv` would stall
//! the runtime. With the **`async`** feature, `Monitor::subscribe_stream`
//! hands out an `EventStream` instead: the same events as a `futures`
//! `Stream`, awaited without blocking, on any runtime. With the **`tokio`**
//! feature (which implies `async`), a `TokioDriver` task ticks the monitor
//! on the real clock, arming one timer on the next suspicion deadline
//! ([`Monitor::next_check`]) rather than ticking many times per interval.
//! The monitor's other calls (`heartbeat`, `phi`, `tick`, ...) never block
//! and take microseconds at most, so they are called from tasks as they
//! are.
//!
//! A whole `current_thread` program that learns of a silent peer
//! (`accrual = { version = "0.1", features = ["tokio"] }`, and tokio with
//! its `rt`, `time` and `macros` features):
//!
#![cfg_attr(feature = "tokio", doc = "```")]
#![cfg_attr(not(feature = "tokio"), doc = "```ignore")]
//! use accrual::monitor::{Event, Monitor, TokioDriver};
//! use accrual::{Config, Timestamp};
//! use std::{sync::Arc, time::Duration};
//!
//! #[tokio::main(flavor = "current_thread")]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let interval = Duration::from_millis(20); // how often peers send heartbeats
//!     let monitor = Arc::new(Monitor::<String>::new(Config::for_interval(interval)?));
//!     let mut events = monitor.subscribe_stream(); // awaited, never blocks the runtime
//!     let _driver = TokioDriver::spawn(Arc::clone(&monitor), interval)?; // stops when dropped
//!
//!     // A real node stamps each heartbeat as its socket task receives it;
//!     // here nodeC sends one, then falls silent.
//!     monitor.heartbeat("nodeC", Timestamp::now())?;
//!
//!     while let Some(event) = events.recv().await { // or `StreamExt::next`
//!         if let Event::Suspected(s) = event {
//!             println!("suspected {} phi={:.2} silence_ms={}", s.peer, s.phi, s.silence.as_millis());
//!             break;
//!         }
//!     }
//!     Ok(())
//! }
//! ```
//!
//! See `examples/tokio_node.rs` for a UDP node on one tokio task.
//!
//! # Features
//!
//! With default features the crate is detection only: time, configuration,
//! models, the [`Detector`] and the [`Monitor`] with its events.
//!
//! * **`tools`**: the tooling around the detector, with no extra
//!   dependency: heartbeat traces read from and written to CSV (`trace`),
//!   the quality-of-service replay of a detector on a trace after Chen,
//!   Toueg and Aguilera (`qos`), choosing a model and threshold from a trace
//!   (`tune`), seeded network simulation (`simulate`) and SVG charts
//!   (`plot`).
//! * **`cli`**: the `accrual` command-line tool over the tooling (implies
//!   `tools`; adds `clap` and `indicatif`).
//! * **`async`**: `Monitor::subscribe_stream`, events as a `futures`
//!   `Stream` for any async runtime (adds `futures-core`).
//! * **`tokio`**: `monitor::TokioDriver`, a tokio task that ticks a
//!   monitor (implies `async`; adds tokio with its `rt` and `time`
//!   features only).
//! * **`serde`**: `Serialize`/`Deserialize` for timestamps, the
//!   configuration and the models, the monitor's snapshots (save the learnt
//!   windows, restore them after a restart) and, with `tools`, the
//!   simulator's network models.
//! * **`tracing`**: the monitor's transitions also as structured
//!   [`tracing`](https://docs.rs/tracing) events, for monitors that turn it
//!   on with `Monitor::trace_events` (adds `tracing`).
//!
//! Compared with the JVM detectors and the existing Rust crates:
//!
//! * phi is exact and finite for any silence (no jump to infinity a few
//!   intervals after the last heartbeat), never NaN, and monotone;
//! * the window keeps exact integer sums, so statistics never drift;
//! * out-of-order, duplicate and absurd inputs get typed errors or defined
//!   results, never a panic and never a blinded detector;
//! * every operation is O(1) (amortised for heartbeats, O(log window) for
//!   the empirical model) and allocation-free, and the suspicion
//!   deadline comes in closed form, so callers can arm one timer instead of
//!   polling.
//!
//! The crate has one `unsafe` block: a cache prefetch hint that the
//! monitor's sweeps and ticks give for the records they read next (a hint cannot
//! fault or change memory; see `src/prefetch.rs`). Everything else is safe
//! code, and `unsafe` is denied everywhere else.
#![deny(missing_docs)]
#![deny(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod config;
pub mod detector;
pub mod model;
pub mod monitor;
mod prefetch;
pub mod time;
mod window;

#[cfg(feature = "tools")]
#[cfg_attr(docsrs, doc(cfg(feature = "tools")))]
pub mod plot;
#[cfg(feature = "tools")]
#[cfg_attr(docsrs, doc(cfg(feature = "tools")))]
pub mod qos;
#[cfg(feature = "tools")]
#[cfg_attr(docsrs, doc(cfg(feature = "tools")))]
pub mod simulate;
#[cfg(feature = "tools")]
#[cfg_attr(docsrs, doc(cfg(feature = "tools")))]
pub mod trace;
#[cfg(feature = "tools")]
#[cfg_attr(docsrs, doc(cfg(feature = "tools")))]
pub mod tune;

pub use config::{Bootstrap, Config, ConfigBuilder, ConfigError, Learning, Period};
pub use detector::{Arrival, ArrivalKind, Detector, HeartbeatError, Stats, Threshold};
pub use model::Model;
#[cfg(feature = "async")]
#[cfg_attr(docsrs, doc(cfg(feature = "async")))]
pub use monitor::EventStream;
pub use monitor::PhiDisplay;
#[cfg(feature = "tokio")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
pub use monitor::TokioDriver;
pub use monitor::{Availability, Event, Monitor, MonitorBuilder, MonitorError};
pub use monitor::{Receiver, RecvError, RecvTimeoutError, TryRecvError};
pub use time::{InvalidTimestamp, Timestamp};

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
