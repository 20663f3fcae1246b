//! What a heartbeat did to a detector ([`Arrival`], [`ArrivalKind`]) or why
//! it was refused ([`HeartbeatError`]): the values
//! [`Detector::heartbeat`](super::Detector::heartbeat) returns.

use crate::time::Timestamp;
use std::fmt;
use std::time::Duration;

/// What a heartbeat did to the detector: its [`ArrivalKind`], the interval
/// since the previous heartbeat and whether that interval was worryingly long.
///
/// A small `Copy` value; the interval is turned into a [`Duration`] only when
/// asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Arrival {
    kind: ArrivalKind,
    warning: bool,
    /// Nanoseconds since the previous heartbeat; 0 for `First` and `Duplicate`.
    interval_ns: u64,
}

/// The four things a heartbeat can do to a detector.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ArrivalKind {
    /// The first heartbeat: monitoring starts and the window is seeded from
    /// the first heartbeat estimate.
    First,
    /// The interval since the previous heartbeat was added to the window.
    Recorded,
    /// The peer was already unavailable when this heartbeat arrived, so the
    /// interval was not recorded (it would skew the statistics); the arrival
    /// time was.
    AfterSuspicion,
    /// The peer was unavailable when this heartbeat arrived, and also when
    /// the previous one did: the second late interval in a row is recorded.
    /// One outage ends with one late heartbeat and is kept out of the
    /// window; a peer whose heartbeats have become slower for good is late
    /// every time, and learning every other interval lets the detector
    /// catch up instead of suspecting a live peer forever.
    RecordedAfterSuspicion,
    /// Same time as the previous heartbeat (a duplicate delivery): ignored.
    Duplicate,
}

impl Arrival {
    pub(super) const fn new(kind: ArrivalKind, interval_ns: u64, warning: bool) -> Arrival {
        Arrival {
            kind,
            warning,
            interval_ns,
        }
    }

    /// What the heartbeat did.
    pub fn kind(&self) -> ArrivalKind {
        self.kind
    }

    /// The time since the previous heartbeat, if there was one and this
    /// heartbeat was not a duplicate.
    pub fn interval(&self) -> Option<Duration> {
        match self.kind {
            ArrivalKind::Recorded
            | ArrivalKind::AfterSuspicion
            | ArrivalKind::RecordedAfterSuspicion => Some(Duration::from_nanos(self.interval_ns)),
            ArrivalKind::First | ArrivalKind::Duplicate => None,
        }
    }

    /// Whether the interval was added to the window.
    pub fn is_recorded(&self) -> bool {
        matches!(
            self.kind,
            ArrivalKind::Recorded | ArrivalKind::RecordedAfterSuspicion
        )
    }

    /// Whether this heartbeat ends a period in which the peer was suspected.
    pub fn is_recovery(&self) -> bool {
        matches!(
            self.kind,
            ArrivalKind::AfterSuspicion | ArrivalKind::RecordedAfterSuspicion
        )
    }

    /// Whether a recorded interval reached
    /// [`Config::interval_warning_limit`](crate::Config::interval_warning_limit):
    /// heartbeats are growing late and the peer is getting close to being
    /// suspected.
    pub fn is_warning(&self) -> bool {
        self.warning
    }
}

/// A heartbeat the detector refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum HeartbeatError {
    /// The heartbeat is earlier than the previous one. Timestamps must come
    /// from one monotonic clock; this one was ignored.
    OutOfOrder {
        /// The previous heartbeat.
        last: Timestamp,
        /// The refused heartbeat.
        at: Timestamp,
    },
    /// The heartbeat's sequence number is not after the last one accepted
    /// (a repeated or reordered message): it was ignored and nothing
    /// changed. Only [`Detector::heartbeat_seq`](super::Detector::heartbeat_seq)
    /// and [`Monitor::heartbeat_seq`](crate::Monitor::heartbeat_seq) report it.
    StaleSequence {
        /// The last sequence number accepted.
        last: u64,
        /// The refused one.
        seq: u64,
    },
}

impl fmt::Display for HeartbeatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeartbeatError::OutOfOrder { last, at } => write!(
                f,
                "heartbeat at {at} is earlier than the previous one at {last}; it was ignored \
                 (timestamps must come from one monotonic clock)"
            ),
            HeartbeatError::StaleSequence { last, seq } => write!(
                f,
                "heartbeat number {seq} is not after the last one accepted, {last}; \
                 it was ignored (a repeated or reordered message)"
            ),
        }
    }
}

impl std::error::Error for HeartbeatError {}
