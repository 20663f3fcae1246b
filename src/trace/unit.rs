//! The unit of a trace's time column, and time values read in it.

use super::error::{excerpt, TraceError};
use crate::time::Timestamp;
use std::fmt;
use std::str::FromStr;

/// The unit of a trace's time column.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum TimeUnit {
    /// Nanoseconds (`ns`).
    Nanos,
    /// Microseconds (`us`, or `µs`).
    Micros,
    /// Milliseconds (`ms`), the unit of the default `arrival_ms` column.
    #[default]
    Millis,
    /// Seconds (`s`).
    Secs,
}

impl TimeUnit {
    /// Every unit, finest first.
    pub const ALL: [TimeUnit; 4] = [
        TimeUnit::Nanos,
        TimeUnit::Micros,
        TimeUnit::Millis,
        TimeUnit::Secs,
    ];

    /// Nanoseconds in one unit.
    pub const fn nanos(self) -> u64 {
        match self {
            TimeUnit::Nanos => 1,
            TimeUnit::Micros => 1_000,
            TimeUnit::Millis => 1_000_000,
            TimeUnit::Secs => 1_000_000_000,
        }
    }

    /// The unit's symbol: `ns`, `us`, `ms` or `s`.
    pub const fn symbol(self) -> &'static str {
        match self {
            TimeUnit::Nanos => "ns",
            TimeUnit::Micros => "us",
            TimeUnit::Millis => "ms",
            TimeUnit::Secs => "s",
        }
    }

    pub(super) const fn plural(self) -> &'static str {
        match self {
            TimeUnit::Nanos => "nanoseconds",
            TimeUnit::Micros => "microseconds",
            TimeUnit::Millis => "milliseconds",
            TimeUnit::Secs => "seconds",
        }
    }

    /// Decimal places of a value in this unit that are whole nanoseconds.
    pub(super) const fn places(self) -> usize {
        match self {
            TimeUnit::Nanos => 0,
            TimeUnit::Micros => 3,
            TimeUnit::Millis => 6,
            TimeUnit::Secs => 9,
        }
    }

    /// The unit a column's name ends with: `_ns`, `_us`, `_ms` or `_s`,
    /// ignoring ASCII case (`arrival_ms` is in milliseconds, `t_ns` in
    /// nanoseconds, `time` has no unit).
    ///
    /// ```
    /// use accrual::trace::TimeUnit;
    /// assert_eq!(TimeUnit::from_column_name("arrival_ms"), Some(TimeUnit::Millis));
    /// assert_eq!(TimeUnit::from_column_name("recv_NS"), Some(TimeUnit::Nanos));
    /// assert_eq!(TimeUnit::from_column_name("time"), None);
    /// ```
    pub fn from_column_name(name: &str) -> Option<TimeUnit> {
        let (_, suffix) = name.trim().rsplit_once('_')?;
        TimeUnit::ALL
            .into_iter()
            .find(|u| u.symbol().eq_ignore_ascii_case(suffix))
    }
}

impl fmt::Display for TimeUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.symbol())
    }
}

impl FromStr for TimeUnit {
    type Err = TraceError;

    /// A unit by symbol (`ns`, `us`, `µs`, `ms`, `s`), ignoring ASCII case
    /// and surrounding spaces.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s == "µs" {
            return Ok(TimeUnit::Micros);
        }
        TimeUnit::ALL
            .into_iter()
            .find(|u| u.symbol().eq_ignore_ascii_case(s))
            .ok_or_else(|| TraceError::UnknownTimeUnit {
                name: excerpt(s.as_bytes()),
            })
    }
}

/// A time in `unit`: a non-negative decimal number, rounded to the
/// nanosecond, surrounding spaces allowed.
///
/// Plain decimals (`1712345678901234567`, `103.5`) are read exactly, as
/// nanosecond timestamps since 1970 need all 19 digits; exponent forms
/// (`1.5e3`, as spreadsheets write large numbers) go through `f64`.
pub(super) fn parse_time(field: &[u8], unit: TimeUnit) -> Option<Timestamp> {
    let text = field.trim_ascii();
    let number = text.strip_prefix(b"+").unwrap_or(text);
    let (int, frac) = match number.iter().position(|&b| b == b'.') {
        Some(dot) => (&number[..dot], &number[dot + 1..]),
        None => (number, &[][..]),
    };
    let plain =
        !(int.is_empty() && frac.is_empty()) && int.iter().chain(frac).all(u8::is_ascii_digit);
    if plain {
        return exact_decimal(int, frac, unit).map(Timestamp::from_nanos);
    }
    let value: f64 = std::str::from_utf8(text).ok()?.parse().ok()?;
    let nanos = (value * unit.nanos() as f64).round();
    // `u64::MAX as f64` rounds up to 2^64, so `<` keeps the cast exact.
    // The sign is tested before rounding: a tiny negative time is a time
    // before the origin, not zero (`-0` is zero).
    (value.is_finite() && value >= 0.0 && nanos < u64::MAX as f64)
        .then_some(nanos as u64)
        .map(Timestamp::from_nanos)
}

/// `int.frac` units in nanoseconds, rounded half up; `None` past `u64`.
fn exact_decimal(int: &[u8], frac: &[u8], unit: TimeUnit) -> Option<u64> {
    let whole = int.iter().try_fold(0u64, |n, &d| {
        n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
    })?;
    let mut nanos = whole.checked_mul(unit.nanos())?;
    let mut weight = unit.nanos();
    for i in 0..unit.places() {
        weight /= 10;
        nanos = nanos.checked_add(frac.get(i).map_or(0, |&d| u64::from(d - b'0')) * weight)?;
    }
    if frac.get(unit.places()).is_some_and(|&d| d >= b'5') {
        nanos = nanos.checked_add(1)?;
    }
    Some(nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ns(text: &str, unit: TimeUnit) -> Option<u64> {
        parse_time(text.as_bytes(), unit).map(Timestamp::as_nanos)
    }

    #[test]
    fn a_tiny_negative_time_is_refused_not_rounded_to_zero() {
        // -1e-7 ms rounds to -0 ns, which a test on the rounded value let
        // through as time zero.
        assert_eq!(ns("-0.0000001", TimeUnit::Millis), None);
        assert_eq!(ns("-1e-7", TimeUnit::Millis), None);
        assert_eq!(ns("-0", TimeUnit::Millis), Some(0));
        assert_eq!(ns("1e-7", TimeUnit::Millis), Some(0));
    }

    #[test]
    fn plain_decimals_are_exact_to_the_nanosecond() {
        assert_eq!(ns("103.5", TimeUnit::Millis), Some(103_500_000));
        assert_eq!(ns(" 1.500001 ", TimeUnit::Millis), Some(1_500_001));
        assert_eq!(ns("+2", TimeUnit::Secs), Some(2_000_000_000));
        assert_eq!(ns("7.", TimeUnit::Micros), Some(7_000));
        assert_eq!(ns(".25", TimeUnit::Micros), Some(250));
        // 2^63 + 1: beyond f64's 53 bits, kept exactly.
        assert_eq!(
            ns("9223372036854775809", TimeUnit::Nanos),
            Some(9_223_372_036_854_775_809)
        );
        // The 7th decimal of a millisecond rounds, half up.
        assert_eq!(ns("1.0000005", TimeUnit::Millis), Some(1_000_001));
        assert_eq!(ns("1.0000004999", TimeUnit::Millis), Some(1_000_000));
        assert_eq!(ns("0.4", TimeUnit::Nanos), Some(0));
    }

    #[test]
    fn exponents_and_negative_zero_go_through_f64() {
        assert_eq!(ns("1.5e3", TimeUnit::Millis), Some(1_500_000_000));
        assert_eq!(ns("-0", TimeUnit::Millis), Some(0));
    }

    #[test]
    fn bad_times_are_refused() {
        for bad in [
            "",
            " ",
            ".",
            "-1",
            "five",
            "NaN",
            "inf",
            "1,5",
            "18446744073709551616",
            "1e30",
            "0x10",
            "1 000",
        ] {
            assert_eq!(ns(bad, TimeUnit::Millis), None, "{bad:?}");
        }
        // u64::MAX nanoseconds is the last instant there is.
        assert_eq!(ns("18446744073709551615", TimeUnit::Nanos), Some(u64::MAX));
        assert_eq!(ns("18446744073.709551616", TimeUnit::Secs), None);
    }

    #[test]
    fn units_by_symbol_and_by_column_suffix() {
        for unit in TimeUnit::ALL {
            assert_eq!(unit.symbol().parse::<TimeUnit>().unwrap(), unit);
            assert_eq!(
                TimeUnit::from_column_name(&format!("t_{}", unit.symbol())),
                Some(unit)
            );
        }
        assert_eq!("µs".parse::<TimeUnit>().unwrap(), TimeUnit::Micros);
        assert_eq!(" MS ".parse::<TimeUnit>().unwrap(), TimeUnit::Millis);
        assert!(matches!(
            "min".parse::<TimeUnit>(),
            Err(TraceError::UnknownTimeUnit { .. })
        ));
        assert_eq!(TimeUnit::from_column_name("ms"), None);
    }
}
