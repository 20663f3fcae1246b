//! Time as the detector sees it: integer nanoseconds on a monotonic axis.
//!
//! A detector never reads a clock. Callers hand it the arrival time of each
//! heartbeat and the time at which they want to know the suspicion level. Both
//! are [`Timestamp`]s: a count of nanoseconds since an origin of the caller's
//! choosing, stored as a `u64` (enough for 584 years).
//!
//! Two ways in, one representation:
//!
//! * live systems pass a [`std::time::Instant`], which converts to a
//!   `Timestamp` measured from a process-wide origin (see
//!   [`Timestamp::from_instant`]);
//! * replayed traces build timestamps from numbers with
//!   [`Timestamp::from_millis`], [`Timestamp::from_nanos`] or
//!   [`Timestamp::try_from_millis_f64`].
//!
//! And two ways out: [`Timestamp::to_instant`] turns a timestamp on the
//! live clock back into an [`Instant`] (to arm a timer on a suspicion
//! deadline), and arithmetic with [`Duration`] (`deadline - Timestamp::now()`,
//! `at + interval`) saturates at the ends of the axis, with `checked_*`
//! variants for callers who want to know.
//!
//! Wall-clock time (`SystemTime`) is deliberately not accepted: a wall clock
//! that steps backwards or forwards (NTP, VM migration) turns into phantom
//! silences, which is how several JVM clusters lost healthy members.
//!
//! # Clocks
//!
//! Neither a detector nor a monitor ever reads a clock: every call takes the
//! time as a [`Timestamp`]. Only the monitor's background
//! [`Driver`](crate::monitor::Driver), which ticks the monitor periodically,
//! needs to ask "what time is it?", and it asks a [`Clock`]. In the style of
//! the `governor` crate, production code uses [`SystemClock`] and tests use
//! a [`ManualClock`] they advance by hand, so a test of the driver is
//! deterministic in everything but thread scheduling.

use std::fmt;
use std::ops::{Add, AddAssign, Sub, SubAssign};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// A point in time, in nanoseconds since a caller-chosen origin.
///
/// Timestamps from different origins must not be mixed in one detector. The
/// conversions from [`Instant`] all share one origin per process, so they can
/// be mixed freely with each other.
///
/// # Arithmetic
///
/// `Timestamp ± Duration` gives a `Timestamp` and `Timestamp − Timestamp` a
/// `Duration`. All three **saturate** instead of panicking: a sum past
/// [`Timestamp::MAX`] is `MAX`, a difference before the origin is
/// [`Timestamp::ZERO`], and a negative span is [`Duration::ZERO`] (as
/// `Instant − Instant` does in the standard library). Saturating suits what
/// these are used for, "how long until the deadline" (zero once it has
/// passed) and "when is the next check" (never, at the end of the axis).
/// [`checked_add`](Self::checked_add), [`checked_sub`](Self::checked_sub)
/// and [`checked_duration_since`](Self::checked_duration_since) return
/// `None` instead, for callers to whom the difference matters.
///
/// ```
/// use accrual::Timestamp;
/// use std::time::Duration;
///
/// let t = Timestamp::from_millis(1_500);
/// assert_eq!(t.as_nanos(), 1_500_000_000);
/// assert_eq!(t + Duration::from_millis(500), Timestamp::from_millis(2_000));
/// assert_eq!(Timestamp::from_millis(2_000) - t, Duration::from_millis(500));
/// assert_eq!(t - Timestamp::from_millis(2_000), Duration::ZERO); // saturates
/// assert_eq!(t.checked_duration_since(Timestamp::from_millis(2_000)), None);
/// assert_eq!(t.to_string(), "1.500000s");
/// ```
///
/// # Display
///
/// `Display` prints seconds since the origin with six decimals
/// (microseconds), `1.500000s`; a precision sets the decimals (`{:.3}` gives
/// `1.500s`, `{:.9}` every nanosecond). Digits past the precision are
/// truncated, as a clock shows them. Seconds rather than days and hours:
/// the origin is arbitrary (about 146 years before the first `Instant`
/// conversion for live timestamps, see [`Timestamp::from_instant`]), so what a reader does with two logged timestamps is
/// subtract them, which plain seconds make easy, and a `1d 02:03:04`
/// form would look like a time of day that it is not. A fixed number of
/// decimals keeps log columns aligned. `Debug` stays the raw nanoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
pub struct Timestamp(u64);

impl Timestamp {
    /// The origin.
    pub const ZERO: Timestamp = Timestamp(0);
    /// The latest representable time (about 584 years after the origin).
    pub const MAX: Timestamp = Timestamp(u64::MAX);

    /// A timestamp `nanos` nanoseconds after the origin.
    pub const fn from_nanos(nanos: u64) -> Self {
        Timestamp(nanos)
    }

    /// A timestamp `micros` microseconds after the origin, saturating at [`Timestamp::MAX`].
    pub const fn from_micros(micros: u64) -> Self {
        Timestamp(micros.saturating_mul(1_000))
    }

    /// A timestamp `millis` milliseconds after the origin, saturating at [`Timestamp::MAX`].
    pub const fn from_millis(millis: u64) -> Self {
        Timestamp(millis.saturating_mul(1_000_000))
    }

    /// A timestamp from a fractional number of milliseconds, as found in traces.
    ///
    /// The value is rounded to the nearest nanosecond, so `0.0000004` ms is
    /// [`Timestamp::ZERO`].
    ///
    /// # Errors
    ///
    /// [`InvalidTimestamp`] if `millis` is NaN, infinite, negative, or beyond
    /// [`Timestamp::MAX`] (about 1.8e13 ms, 584 years). Negative means below
    /// zero, however little: `-0.0000001` is refused although it would
    /// round to zero, because a time before the origin is a fault in
    /// whatever produced it (a clock read against the wrong origin, a sign
    /// lost in a subtraction), and rounding would hide it for small values
    /// only. Negative zero (`-0.0`) equals zero and is accepted as zero.
    ///
    /// ```
    /// use accrual::Timestamp;
    /// assert_eq!(Timestamp::try_from_millis_f64(1.25).unwrap().as_nanos(), 1_250_000);
    /// assert!(Timestamp::try_from_millis_f64(-1.0).is_err());
    /// assert!(Timestamp::try_from_millis_f64(-0.0000001).is_err());
    /// assert!(Timestamp::try_from_millis_f64(f64::NAN).is_err());
    /// ```
    pub fn try_from_millis_f64(millis: f64) -> Result<Self, InvalidTimestamp> {
        let nanos = (millis * 1e6).round();
        // The sign is tested on `millis`, not on the rounded `nanos`, which
        // is -0.0 (and so `>= 0.0`) for every tiny negative. `u64::MAX as
        // f64` rounds up to 2^64, so `<` (not `<=`) keeps the cast exact.
        if millis.is_finite() && millis >= 0.0 && nanos < u64::MAX as f64 {
            Ok(Timestamp(nanos as u64))
        } else {
            Err(InvalidTimestamp { millis })
        }
    }

    /// The same instant expressed against the process-wide origin used for
    /// [`Instant`] conversions.
    ///
    /// The origin is fixed the first time any `Instant` is converted (or
    /// [`Timestamp::now`] is called): 2^62 ns (about 146 years) before that
    /// moment, or the earliest instant the platform can represent if that
    /// is later (on Windows, where `Instant` cannot go below the clock's
    /// zero, which is then the earliest instant the clock can ever show).
    /// So every instant a process has read from its clock, at any time
    /// before or after its first conversion, converts to its true offset:
    /// distinct instants stay distinct, with their spacing exact to the
    /// nanosecond. The axis still reaches about 438 years past the first
    /// conversion.
    ///
    /// Only an instant outside the axis (built by arithmetic more than 146
    /// years before the first conversion, or beyond [`Timestamp::MAX`])
    /// saturates, to [`Timestamp::ZERO`] or [`Timestamp::MAX`];
    /// [`Timestamp::checked_from_instant`] returns `None` for it instead.
    ///
    /// Live timestamps are therefore large numbers (about 4.6e18 ns).
    /// Nothing in the crate minds (it subtracts timestamps before any
    /// floating-point arithmetic), but a caller who prints a live timestamp
    /// as `f64` nanoseconds loses the last few hundred of them.
    pub fn from_instant(instant: Instant) -> Self {
        let origin = process_origin();
        let nanos = instant.saturating_duration_since(origin).as_nanos();
        Timestamp(u64::try_from(nanos).unwrap_or(u64::MAX))
    }

    /// [`Timestamp::from_instant`], or `None` for an instant before the
    /// process-wide origin or past [`Timestamp::MAX`], which that function
    /// saturates.
    ///
    /// ```
    /// use accrual::Timestamp;
    /// use std::time::{Duration, Instant};
    ///
    /// let now = Instant::now();
    /// // A week before: on the axis, at its true offset.
    /// let week_ago = now.checked_sub(Duration::from_secs(7 * 86_400));
    /// if let Some(week_ago) = week_ago {
    ///     let (t0, t1) = (Timestamp::from(week_ago), Timestamp::from(now));
    ///     assert_eq!(t1 - t0, Duration::from_secs(7 * 86_400));
    ///     assert_eq!(Timestamp::checked_from_instant(week_ago), Some(t0));
    /// }
    /// ```
    pub fn checked_from_instant(instant: Instant) -> Option<Self> {
        let nanos = instant.checked_duration_since(process_origin())?.as_nanos();
        u64::try_from(nanos).ok().map(Timestamp)
    }

    /// The current time of the monotonic clock, as a timestamp against the
    /// process-wide origin.
    pub fn now() -> Self {
        Self::from_instant(Instant::now())
    }

    /// Nanoseconds since the origin.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    /// Milliseconds since the origin, as a fraction.
    pub fn as_millis_f64(self) -> f64 {
        self.0 as f64 / 1e6
    }

    /// The time elapsed from `earlier` to `self`, or zero if `earlier` is later.
    pub const fn saturating_duration_since(self, earlier: Timestamp) -> Duration {
        Duration::from_nanos(self.0.saturating_sub(earlier.0))
    }

    /// `self + d`, saturating at [`Timestamp::MAX`].
    pub fn saturating_add(self, d: Duration) -> Timestamp {
        Timestamp(self.0.saturating_add(duration_nanos(d)))
    }

    /// `self + nanos`, saturating at [`Timestamp::MAX`].
    pub(crate) const fn saturating_add_nanos(self, nanos: u64) -> Timestamp {
        Timestamp(self.0.saturating_add(nanos))
    }

    /// `self − d`, saturating at [`Timestamp::ZERO`].
    pub fn saturating_sub(self, d: Duration) -> Timestamp {
        Timestamp(self.0.saturating_sub(duration_nanos(d)))
    }

    /// `self + d`, or `None` past [`Timestamp::MAX`].
    pub fn checked_add(self, d: Duration) -> Option<Timestamp> {
        let nanos = u64::try_from(d.as_nanos()).ok()?;
        self.0.checked_add(nanos).map(Timestamp)
    }

    /// `self − d`, or `None` before [`Timestamp::ZERO`].
    pub fn checked_sub(self, d: Duration) -> Option<Timestamp> {
        let nanos = u64::try_from(d.as_nanos()).ok()?;
        self.0.checked_sub(nanos).map(Timestamp)
    }

    /// The time elapsed from `earlier` to `self`, or `None` if `earlier` is
    /// later.
    pub const fn checked_duration_since(self, earlier: Timestamp) -> Option<Duration> {
        match self.0.checked_sub(earlier.0) {
            Some(nanos) => Some(Duration::from_nanos(nanos)),
            None => None,
        }
    }

    /// The [`Instant`] this timestamp stands for on the process's monotonic
    /// clock: the process-wide origin (the one [`Timestamp::from_instant`]
    /// and [`Timestamp::now`] measure from) plus `self`. This is how a
    /// suspicion deadline becomes a timer:
    ///
    /// ```
    /// use accrual::Timestamp;
    /// use std::time::{Duration, Instant};
    ///
    /// let deadline = Timestamp::now() + Duration::from_millis(250);
    /// let when: Instant = deadline.to_instant().expect("a live timestamp");
    /// assert_eq!(Timestamp::from(when), deadline); // round trip, to the nanosecond
    /// // With tokio: tokio::time::sleep_until(when.into()).await;
    /// ```
    ///
    /// Only timestamps on the live clock (from an `Instant`,
    /// [`Timestamp::now`], or computed from those) have a meaningful
    /// `Instant`. A replayed timestamp built from a number
    /// ([`Timestamp::from_millis`] and the like) is converted all the same,
    /// relative to the process origin, so it lands somewhere in this
    /// process's past (the origin lies about 146 years before the first
    /// conversion) and a timer armed on it fires at once. No test can tell
    /// the two kinds apart: a `Timestamp` is a number either way.
    ///
    /// Returns `None` only when the platform's `Instant` cannot represent
    /// the result (near [`Timestamp::MAX`], 584 years after the origin, on
    /// platforms with a narrower `Instant`).
    pub fn to_instant(self) -> Option<Instant> {
        process_origin().checked_add(Duration::from_nanos(self.0))
    }
}

/// `self + d`, saturating at [`Timestamp::MAX`] (see [Arithmetic](Timestamp#arithmetic)).
impl Add<Duration> for Timestamp {
    type Output = Timestamp;
    fn add(self, d: Duration) -> Timestamp {
        self.saturating_add(d)
    }
}

/// `self − d`, saturating at [`Timestamp::ZERO`] (see [Arithmetic](Timestamp#arithmetic)).
impl Sub<Duration> for Timestamp {
    type Output = Timestamp;
    fn sub(self, d: Duration) -> Timestamp {
        self.saturating_sub(d)
    }
}

/// The time from `earlier` to `self`, zero if `earlier` is later (see
/// [Arithmetic](Timestamp#arithmetic)).
impl Sub<Timestamp> for Timestamp {
    type Output = Duration;
    fn sub(self, earlier: Timestamp) -> Duration {
        self.saturating_duration_since(earlier)
    }
}

/// `*self = *self + d`, saturating at [`Timestamp::MAX`].
impl AddAssign<Duration> for Timestamp {
    fn add_assign(&mut self, d: Duration) {
        *self = *self + d;
    }
}

/// `*self = *self − d`, saturating at [`Timestamp::ZERO`].
impl SubAssign<Duration> for Timestamp {
    fn sub_assign(&mut self, d: Duration) {
        *self = *self - d;
    }
}

impl From<Instant> for Timestamp {
    fn from(instant: Instant) -> Self {
        Timestamp::from_instant(instant)
    }
}

/// A [`Duration`] since the caller's origin.
impl From<Duration> for Timestamp {
    fn from(since_origin: Duration) -> Self {
        Timestamp(duration_nanos(since_origin))
    }
}

/// Seconds since the origin, six decimals by default (see
/// [Display](Timestamp#display)); a width pads like a number.
impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let decimals = f.precision().unwrap_or(6).min(9);
        if f.width().is_none() {
            return write_seconds(f, self.0, decimals);
        }
        let mut text = String::new();
        write_seconds(&mut text, self.0, decimals)?;
        f.pad_integral(true, "", &text)
    }
}

/// `nanos` as seconds with `decimals` (at most 9) digits, truncated, and
/// an `s`.
fn write_seconds(out: &mut impl fmt::Write, nanos: u64, decimals: usize) -> fmt::Result {
    let (secs, frac) = (nanos / 1_000_000_000, nanos % 1_000_000_000);
    if decimals == 0 {
        return write!(out, "{secs}s");
    }
    // decimals <= 9, so the exponent is at most 9 and the power fits.
    let kept = frac / 10u64.pow(9 - decimals as u32);
    write!(out, "{secs}.{kept:0decimals$}s")
}

/// A duration in nanoseconds, saturating at `u64::MAX` (584 years).
pub(crate) fn duration_nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// How far before the first conversion the process-wide origin lies, at
/// most: 2^62 ns, about 146 years. Far enough that no instant a process can
/// read from its clock (which starts at boot) falls before it, near enough
/// that the axis keeps three quarters of its 584 years for the future.
const ORIGIN_REACH_NS: u64 = 1 << 62;

/// The origin shared by every `Instant` conversion in this process.
fn process_origin() -> Instant {
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    *ORIGIN.get_or_init(|| earliest_within(Instant::now(), ORIGIN_REACH_NS))
}

/// The earliest instant at most `reach_ns` before `now` that the platform
/// can represent. Instants on Linux and macOS reach back centuries; on
/// Windows they stop at the clock's zero, found here by bisection (about
/// 62 steps, once per process). Reachability is monotone: if `now − d`
/// exists, so does `now − d'` for every `d' < d`.
fn earliest_within(now: Instant, reach_ns: u64) -> Instant {
    let back = |nanos: u64| now.checked_sub(Duration::from_nanos(nanos));
    if let Some(origin) = back(reach_ns) {
        return origin;
    }
    // Invariant: `back(reachable)` exists and `back(unreachable)` does not.
    let (mut reachable, mut unreachable) = (0, reach_ns);
    while unreachable - reachable > 1 {
        let mid = reachable + (unreachable - reachable) / 2;
        if back(mid).is_some() {
            reachable = mid;
        } else {
            unreachable = mid;
        }
    }
    back(reachable).unwrap_or(now)
}

/// A fractional millisecond value that is not a valid [`Timestamp`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct InvalidTimestamp {
    /// The rejected value, in milliseconds.
    pub millis: f64,
}

impl fmt::Display for InvalidTimestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid timestamp {} ms: expected a finite, non-negative number of milliseconds \
             below 1.8e13 (584 years)",
            self.millis
        )
    }
}

impl std::error::Error for InvalidTimestamp {}

/// A source of the current time, for the monitor's background
/// [`Driver`](crate::monitor::Driver).
pub trait Clock: Send + Sync + 'static {
    /// The current time. Must never go backwards between calls (the monitor
    /// ignores ticks that do, see
    /// [`Monitor::tick`](crate::monitor::Monitor::tick)).
    fn now(&self) -> Timestamp;
}

/// The process's monotonic clock ([`Timestamp::now`], from
/// [`std::time::Instant`]): the clock to use with heartbeats stamped with
/// `Instant::now()`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A clock that only moves when told to. Clones share the same time, so a
/// test keeps one handle and gives a clone to the driver.
///
/// ```
/// use accrual::time::{Clock, ManualClock};
/// use accrual::Timestamp;
/// use std::time::Duration;
///
/// let clock = ManualClock::new(Timestamp::from_millis(1_000));
/// let shared = clock.clone();
/// clock.advance(Duration::from_millis(500));
/// assert_eq!(shared.now(), Timestamp::from_millis(1_500));
/// ```
#[derive(Clone, Debug, Default)]
pub struct ManualClock {
    nanos: Arc<AtomicU64>,
}

impl ManualClock {
    /// A clock showing `start`.
    pub fn new(start: Timestamp) -> Self {
        ManualClock {
            nanos: Arc::new(AtomicU64::new(start.as_nanos())),
        }
    }

    /// Moves the clock forward by `d`, saturating at [`Timestamp::MAX`].
    pub fn advance(&self, d: Duration) {
        let step = duration_nanos(d);
        // fetch_update cannot fail with a closure that always returns Some.
        let _ = self
            .nanos
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| {
                Some(t.saturating_add(step))
            });
    }

    /// Sets the clock to `t` (tests may also move it backwards, to check that
    /// the monitor ignores such ticks).
    pub fn set(&self, t: Timestamp) {
        self.nanos.store(t.as_nanos(), Ordering::Release);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_nanos(self.nanos.load(Ordering::Acquire))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn millis_constructors_agree() {
        assert_eq!(Timestamp::from_millis(3), Timestamp::from_micros(3_000));
        assert_eq!(Timestamp::from_millis(3), Timestamp::from_nanos(3_000_000));
        assert_eq!(
            Timestamp::try_from_millis_f64(3.0).unwrap(),
            Timestamp::from_millis(3)
        );
    }

    #[test]
    fn huge_values_saturate_instead_of_overflowing() {
        assert_eq!(Timestamp::from_millis(u64::MAX), Timestamp::MAX);
        assert_eq!(Timestamp::from_micros(u64::MAX), Timestamp::MAX);
        assert_eq!(
            Timestamp::MAX.saturating_add(Duration::from_secs(1)),
            Timestamp::MAX
        );
        assert_eq!(Timestamp::from(Duration::MAX), Timestamp::MAX);
    }

    #[test]
    fn fractional_millis_reject_what_is_not_a_time() {
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.5, 1e17] {
            let err = Timestamp::try_from_millis_f64(bad).unwrap_err();
            assert!(err.millis.is_nan() == bad.is_nan());
        }
        assert_eq!(
            Timestamp::try_from_millis_f64(0.0000004).unwrap(),
            Timestamp::ZERO
        );
    }

    #[test]
    fn tiny_negative_millis_are_refused_not_rounded_to_zero() {
        // -1e-7 ms is -0.1 ns: it rounds to -0.0, which compares `>= 0.0`,
        // so the sign must be tested on the input, not the rounded value.
        for tiny in [-1e-7, -4e-7, -f64::MIN_POSITIVE, -5e-324] {
            let err = Timestamp::try_from_millis_f64(tiny).unwrap_err();
            assert_eq!(err.millis, tiny);
        }
        // Negative zero is zero.
        assert_eq!(Timestamp::try_from_millis_f64(-0.0), Ok(Timestamp::ZERO));
    }

    #[test]
    fn the_largest_millis_below_the_axis_end_are_accepted() {
        // u64::MAX ns = 18 446 744 073 709.551615 ms; the f64 just below
        // 2^64 ns as milliseconds is accepted, 2^64 ns itself is not.
        assert!(Timestamp::try_from_millis_f64(1.844_674_407_370_9e13).is_ok());
        assert!(Timestamp::try_from_millis_f64(1.844_674_407_371e13).is_err());
        let message = Timestamp::try_from_millis_f64(1e15)
            .unwrap_err()
            .to_string();
        assert!(message.contains("below 1.8e13"), "{message}");
    }

    #[test]
    fn an_unreachable_origin_falls_back_to_the_earliest_representable_instant() {
        let now = Instant::now();
        // Where the platform can go back the whole reach, the origin is
        // exactly that far back.
        if let Some(far) = now.checked_sub(Duration::from_nanos(ORIGIN_REACH_NS)) {
            assert_eq!(earliest_within(now, ORIGIN_REACH_NS), far);
        }
        // Otherwise (or for any reach): never later than now, and never
        // more than the reach before it.
        for reach in [0, 1, 1_000, 86_400_000_000_000, u64::MAX] {
            let origin = earliest_within(now, reach);
            assert!(origin <= now);
            assert!(now.duration_since(origin) <= Duration::from_nanos(reach));
        }
    }

    #[test]
    fn instants_keep_their_order_and_spacing() {
        let a = Instant::now();
        let b = a + Duration::from_millis(250);
        let (ta, tb) = (Timestamp::from(a), Timestamp::from(b));
        assert!(
            ta > Timestamp::ZERO,
            "the origin lies before the first instant"
        );
        assert_eq!(tb.saturating_duration_since(ta), Duration::from_millis(250));
    }
}
