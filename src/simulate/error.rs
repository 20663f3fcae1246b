//! Why a scenario or a network model was refused: one error type for the
//! simulator's builders and parsers, kept apart so that each of them can
//! use it without importing the others.

use std::fmt;
use std::time::Duration;

/// Why a scenario was refused.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ScenarioError {
    /// A value that must be above zero was zero.
    Zero {
        /// The field: `interval`, `duration` or `nodes`.
        field: &'static str,
    },
    /// A duration above [`MAX_DURATION`](super::MAX_DURATION).
    TooLong {
        /// The field: `interval` or `duration`.
        field: &'static str,
        /// The value given.
        value: Duration,
        /// The largest accepted value.
        max: Duration,
    },
    /// A scenario too large to generate in memory.
    TooMany {
        /// What is counted.
        field: &'static str,
        /// The count requested (expected, for episodes).
        value: f64,
        /// The largest accepted count.
        max: f64,
    },
    /// A number given to a `_ms` or `_s` setter that is NaN, infinite,
    /// negative or too large for a [`Duration`].
    InvalidNumber {
        /// The setter: `interval_ms` or `duration_s`.
        field: &'static str,
        /// The value given, in the setter's unit.
        value: f64,
    },
    /// A network parameter outside its range.
    OutOfRange {
        /// The field, as `network.<part>.<name>`.
        field: &'static str,
        /// The value given.
        value: f64,
        /// The smallest accepted value.
        min: f64,
        /// The largest accepted value.
        max: f64,
    },
    /// A profile name that is not one of `lan`, `wan`, `gc`, `flaky`.
    UnknownProfile {
        /// The name given.
        name: String,
        /// The names of the built-in profiles.
        expected: &'static [&'static str],
    },
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScenarioError::Zero { field } => write!(f, "{field} must be above zero"),
            ScenarioError::TooLong { field, value, max } => write!(
                f,
                "{field} must be at most {} s, got {} s",
                max.as_secs(),
                value.as_secs_f64()
            ),
            ScenarioError::TooMany { field, value, max } => write!(
                f,
                "too many {field}: {value:.0}, at most {max:.0}; shorten the duration, \
                 lengthen the interval or use fewer nodes"
            ),
            // Finite and not negative, yet refused: too long for a
            // `Duration` (written in scientific notation, not 300 digits).
            ScenarioError::InvalidNumber { field, value } if *value >= 0.0 => {
                write!(
                    f,
                    "{field} is too long (a duration holds at most about 1.8e19 s), got {value:e}"
                )
            }
            ScenarioError::InvalidNumber { field, value } => write!(
                f,
                "{field} must be a finite, non-negative number, got {value}"
            ),
            ScenarioError::OutOfRange {
                field,
                value,
                min,
                max,
            } => write!(f, "{field} must be between {min} and {max}, got {value}"),
            ScenarioError::UnknownProfile { name, expected } => write!(
                f,
                "unknown profile {name:?}: expected one of {}",
                expected.join(", ")
            ),
        }
    }
}

impl std::error::Error for ScenarioError {}
