//! How events and phi values print: one line per event, in the
//! `word peer key=value ...` shape of the example node's output, and phi
//! with a precision a reader can use.

use super::{Event, IntervalWarning, ObserverPause, Recovery, Removal, Suspicion};
use std::fmt::{self, Write as _};
use std::time::Duration;

/// A phi value formatted for people: three significant digits, `0` for
/// values too small to matter, scientific notation for huge ones. Phi
/// always prints through this in the crate (events, the example node);
/// use it for yours.
///
/// The plain `f64` formatting is wrong for phi at both ends: a healthy
/// peer's phi of 2.8·10⁻⁵⁸ prints as a zero with 57 more zeros behind the
/// point, and a phi just below a threshold of 8 as `7.999999999999998`.
///
/// | phi | `PhiDisplay::new` | `PhiDisplay::exact` |
/// |---|---|---|
/// | 8.412345 | `8.41` | `8.412345` |
/// | 12.345 | `12.3` | `12.345` |
/// | 8.0 | `8` | `8` |
/// | 0.0123 | `0.012` | `0.0123` |
/// | 2.8e-58 | `0` | `2.8e-58` |
/// | 123456789.0 | `1.23e8` | `1.23456789e8` |
///
/// [`new`](Self::new) rounds to three significant digits and at most
/// three decimals (phi 0.001 is already a 99.8 % chance that suspecting
/// the peer would be a mistake), drops trailing zeros, prints `0` below
/// 0.0005 and switches to scientific notation from 10⁶ on. A precision
/// sets the significant digits (`{:.5}`). [`exact`](Self::exact) is for
/// programs that read the number back: the shortest digits that parse to
/// the same `f64`, in scientific notation below 10⁻³ and from 10⁶ on so that
/// it stays short. Both pad like numbers when given a width.
///
/// ```
/// use accrual::PhiDisplay;
///
/// assert_eq!(PhiDisplay::new(8.412345).to_string(), "8.41");
/// assert_eq!(PhiDisplay::new(2.8e-58).to_string(), "0");
/// assert_eq!(format!("{:.5}", PhiDisplay::new(8.412345)), "8.4123");
/// assert_eq!(format!("{:>6}", PhiDisplay::new(8.0)), "     8");
/// assert_eq!(PhiDisplay::exact(2.8e-58).to_string(), "2.8e-58");
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PhiDisplay {
    phi: f64,
    exact: bool,
}

impl PhiDisplay {
    /// Three significant digits (see the type's documentation).
    pub const fn new(phi: f64) -> Self {
        PhiDisplay { phi, exact: false }
    }

    /// Every digit needed to read the same `f64` back.
    pub const fn exact(phi: f64) -> Self {
        PhiDisplay { phi, exact: true }
    }
}

impl fmt::Display for PhiDisplay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let x = self.phi;
        if !x.is_finite() {
            // `NaN`, `inf`, `-inf`: never produced by this crate's models.
            return fmt::Display::fmt(&x, f);
        }
        let mut digits = Digits::default();
        if self.exact {
            write_exact(&mut digits, x.abs())?;
        } else {
            write_rounded(&mut digits, x.abs(), f.precision().unwrap_or(3))?;
        }
        let text = digits.as_str();
        // A value that prints as zero prints without a sign.
        let nonnegative = x >= 0.0 || text == "0";
        f.pad_integral(nonnegative, "", text)
    }
}

/// From this magnitude on, phi prints in scientific notation.
const SCIENTIFIC_FROM: f64 = 1e6;

/// `x` (finite, non-negative) to `significant` digits, at most that many
/// decimals, trailing zeros dropped.
fn write_rounded(out: &mut Digits, x: f64, significant: usize) -> fmt::Result {
    let significant = significant.clamp(1, 17);
    if x >= SCIENTIFIC_FROM {
        write!(out, "{:.*e}", significant - 1, x)?;
        out.trim_mantissa_zeros();
        return Ok(());
    }
    // x < 10^6, so the exponent is at most 5.
    let exponent = if x > 0.0 { x.log10().floor() as i32 } else { 0 };
    let decimals = (significant as i32 - 1 - exponent).clamp(0, significant as i32) as usize;
    write!(out, "{x:.decimals$}")?;
    out.trim_fraction_zeros();
    Ok(())
}

/// `x` (finite, non-negative) in the shortest digits that round-trip.
fn write_exact(out: &mut Digits, x: f64) -> fmt::Result {
    if x == 0.0 {
        out.write_str("0")
    } else if !(1e-3..SCIENTIFIC_FROM).contains(&x) {
        write!(out, "{x:e}")
    } else {
        write!(out, "{x}")
    }
}

/// A number's digits, on the stack: the longest is an `f64` in shortest
/// scientific notation (`2.2250738585072014e-308`, 23 bytes) or 17
/// significant digits of a value below 10⁶.
struct Digits {
    bytes: [u8; 40],
    len: usize,
}

impl Default for Digits {
    fn default() -> Self {
        Digits {
            bytes: [0; 40],
            len: 0,
        }
    }
}

impl Digits {
    fn as_str(&self) -> &str {
        // Only `write_str` fills the buffer, with whole `&str`s.
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or("")
    }

    /// `12.300` → `12.3`, `8.00` → `8`.
    fn trim_fraction_zeros(&mut self) {
        if self.bytes[..self.len].contains(&b'.') {
            while self.len > 0 && self.bytes[self.len - 1] == b'0' {
                self.len -= 1;
            }
            if self.len > 0 && self.bytes[self.len - 1] == b'.' {
                self.len -= 1;
            }
        }
    }

    /// `1.20e8` → `1.2e8`, `1.00e8` → `1e8`.
    fn trim_mantissa_zeros(&mut self) {
        let Some(e) = self.bytes[..self.len].iter().position(|&b| b == b'e') else {
            return;
        };
        let mut end = e;
        if self.bytes[..e].contains(&b'.') {
            while self.bytes[end - 1] == b'0' {
                end -= 1;
            }
            if self.bytes[end - 1] == b'.' {
                end -= 1;
            }
        }
        self.bytes.copy_within(e..self.len, end);
        self.len -= e - end;
    }
}

impl fmt::Write for Digits {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        let slot = self.bytes.get_mut(self.len..end).ok_or(fmt::Error)?;
        slot.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// Whole milliseconds, rounded to the nearest: what a log line needs of a
/// silence or a gap (saturating at `u64::MAX`, 584 million years).
pub(super) fn whole_millis(d: Duration) -> u64 {
    u64::try_from((d.as_micros() + 500) / 1_000).unwrap_or(u64::MAX)
}

/// A duration printed as [`whole_millis`].
struct Millis(Duration);

impl fmt::Display for Millis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", whole_millis(self.0))
    }
}

/// `suspected nodeC level=0 threshold=8 phi=8.41 silence_ms=262`, and
/// `never_heard=true` for a watched peer that never sent a heartbeat.
impl<K: fmt::Display> fmt::Display for Suspicion<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "suspected {} level={} threshold={} phi={} silence_ms={}",
            self.peer,
            self.level,
            PhiDisplay::new(self.threshold),
            PhiDisplay::new(self.phi),
            Millis(self.silence)
        )?;
        if self.never_heard {
            f.write_str(" never_heard=true")?;
        }
        Ok(())
    }
}

/// `recovered nodeC level=0 threshold=8 down_ms=3120`.
impl<K: fmt::Display> fmt::Display for Recovery<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "recovered {} level={} threshold={} down_ms={}",
            self.peer,
            self.level,
            PhiDisplay::new(self.threshold),
            Millis(self.down_for)
        )
    }
}

/// `removed nodeC level=1` (the levels it was suspected at).
impl<K: fmt::Display> fmt::Display for Removal<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "removed {} level={}", self.peer, self.level)
    }
}

/// `late nodeC interval_ms=412`.
impl<K: fmt::Display> fmt::Display for IntervalWarning<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "late {} interval_ms={}",
            self.peer,
            Millis(self.interval)
        )
    }
}

/// `observer-paused gap_ms=1200 hold_ms=150`: the late tick's gap and how
/// long suspicions are held after it. One word for the kind, so that every
/// event line splits into the kind, then (for peer events) the peer, then
/// `key=value` fields.
impl fmt::Display for ObserverPause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "observer-paused gap_ms={} hold_ms={}",
            Millis(self.gap),
            Millis(self.hold_until - self.at)
        )
    }
}

/// The tick times as seconds and the spans as `Duration`s: a line, where
/// the derived form spelled out four raw nanosecond counts.
impl fmt::Debug for ObserverPause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ObserverPause {{ at: {}, gap: {:?}, hold: {:?} }}",
            self.at,
            self.gap,
            self.hold_until - self.at
        )
    }
}

/// One line per event: the kind's word, the peer for peer events, then
/// `key=value` fields (see each payload's `Display`); `reset` for
/// [`Event::Reset`].
///
/// ```
/// use accrual::monitor::Event;
/// assert_eq!(Event::<String>::Reset.to_string(), "reset");
/// ```
impl<K: fmt::Display> fmt::Display for Event<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::Suspected(e) => fmt::Display::fmt(e, f),
            Event::Recovered(e) => fmt::Display::fmt(e, f),
            Event::Removed(e) => fmt::Display::fmt(e, f),
            Event::IntervalWarning(e) => fmt::Display::fmt(e, f),
            Event::ObserverPaused(e) => fmt::Display::fmt(e, f),
            Event::Reset => f.write_str("reset"),
            Event::Dropped(e) => fmt::Display::fmt(e, f),
        }
    }
}
