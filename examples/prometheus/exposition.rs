//! Every peer of a [`Monitor`] in the Prometheus text exposition format
//! (version 0.0.4): one gauge family per quantity, one sample per peer,
//! labelled `peer="..."`.
//!
//! Kept apart from the HTTP server so that `tests/prometheus_format.rs` can
//! check the format without a socket.

use accrual::monitor::Monitor;
use accrual::Timestamp;
use std::fmt::{Display, Write};
use std::hash::Hash;
use std::time::Duration;

/// The content type Prometheus expects for this format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// What is exported for one peer.
#[derive(Clone, Debug, PartialEq)]
pub struct PeerMetrics {
    /// The peer id, as its `Display` writes it (escaped when rendered).
    pub peer: String,
    /// Phi at the scrape.
    pub phi: f64,
    /// Time since the last heartbeat; `None` for a peer watched but never
    /// heard from (no sample is written for it).
    pub silence: Option<Duration>,
    /// Number of thresholds the peer is announced suspected at.
    pub level: usize,
    /// Whether phi is below the configured threshold.
    pub up: bool,
}

/// Reads every peer of `monitor` at `now`, sorted by peer id so that
/// successive scrapes list peers in the same order.
///
/// Phi, level and availability come from one listing; the last heartbeat
/// comes from a second lookup per peer, so a heartbeat that lands between
/// the two makes that peer's silence newer than its phi.
pub fn collect<K>(monitor: &Monitor<K>, now: Timestamp) -> Vec<PeerMetrics>
where
    K: Hash + Eq + Clone + Display,
{
    let mut peers: Vec<PeerMetrics> = monitor
        .peers(now)
        .into_iter()
        .map(|p| {
            let last = monitor.stats(&p.peer).and_then(|s| s.last_heartbeat);
            PeerMetrics {
                peer: p.peer.to_string(),
                phi: p.phi,
                silence: last.map(|l| now.saturating_duration_since(l)),
                level: p.level,
                up: p.available,
            }
        })
        .collect();
    peers.sort_by(|a, b| a.peer.cmp(&b.peer));
    peers
}

/// One gauge family: its name, help text and how to read its value.
struct Family {
    name: &'static str,
    help: &'static str,
    value: fn(&PeerMetrics) -> Option<f64>,
}

const FAMILIES: [Family; 4] = [
    Family {
        name: "accrual_phi",
        help: "Suspicion level of the peer: -log10 of the probability that a live peer's heartbeat would be this late.",
        value: |p| Some(p.phi),
    },
    Family {
        name: "accrual_silence_seconds",
        help: "Time since the peer's last heartbeat arrived.",
        value: |p| p.silence.map(|s| s.as_secs_f64()),
    },
    Family {
        name: "accrual_level",
        help: "Number of suspicion thresholds the peer is announced suspected at (0 = not suspected).",
        value: |p| Some(p.level as f64),
    },
    Family {
        name: "accrual_up",
        help: "1 if the peer's phi is below the configured threshold, 0 if it is suspected.",
        value: |p| Some(if p.up { 1.0 } else { 0.0 }),
    },
];

/// The exposition of `peers`: for each gauge, its `# HELP` and `# TYPE`
/// lines, then one sample per peer.
pub fn render(peers: &[PeerMetrics]) -> String {
    let mut out = String::with_capacity(64 + peers.len() * 4 * 48);
    for family in &FAMILIES {
        // The help texts contain no backslash or newline, the two
        // characters a HELP line would have to escape.
        let _ = writeln!(out, "# HELP {} {}", family.name, family.help);
        let _ = writeln!(out, "# TYPE {} gauge", family.name);
        for p in peers {
            if let Some(value) = (family.value)(p) {
                let _ = writeln!(
                    out,
                    "{}{{peer=\"{}\"}} {}",
                    family.name,
                    escape_label_value(&p.peer),
                    number(value)
                );
            }
        }
    }
    out
}

/// A label value as the format requires it inside double quotes: a
/// backslash, a double quote and a line feed are written `\\`, `\"` and
/// `\n`; everything else (any UTF-8) as it is.
pub fn escape_label_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// A sample value: `NaN`, `+Inf` and `-Inf` as Prometheus spells them,
/// whole numbers without a fraction (`0`, `1`, `2`), anything else rounded
/// to six significant digits in Rust's shortest form, which switches to an
/// exponent for tiny and huge values (a healthy peer's phi is `1.23457e-140`,
/// not the 140 zeros `{}` would print). Six digits keep a silence to
/// 10 µs at seconds and a phi to 1e-5 around the thresholds.
fn number(value: f64) -> String {
    if value.is_nan() {
        "NaN".to_string()
    } else if value.is_infinite() {
        if value > 0.0 { "+Inf" } else { "-Inf" }.to_string()
    } else if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{value}")
    } else {
        // Formatting then parsing rounds in decimal, as a reader would.
        let rounded: f64 = format!("{value:.5e}").parse().unwrap_or(value);
        format!("{rounded:?}")
    }
}
