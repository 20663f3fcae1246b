//! [`ConfigError`]: why a configuration value was refused, naming the field
//! and carrying the value.

use crate::model::{write_unknown_model, ParseModelError};
use crate::window::MAX_SAMPLE_SIZE;
use std::fmt;
use std::time::Duration;

/// Why a configuration value was refused.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ConfigError {
    /// A number that must be finite and above zero was not.
    NotPositive {
        /// The configuration field.
        field: &'static str,
        /// The value given.
        value: f64,
    },
    /// A number above its upper bound.
    OutOfRange {
        /// The configuration field.
        field: &'static str,
        /// The value given.
        value: f64,
        /// The largest accepted value.
        max: f64,
    },
    /// A value that makes a duration derived from it and the other
    /// settings overflow a `Duration` (about 5.8 × 10¹¹ years). A detector
    /// derives it at construction, so a configuration that `build()`
    /// accepts can never panic there.
    Overflow {
        /// The configuration field.
        field: &'static str,
        /// The value given.
        value: f64,
        /// The derived duration, as a product of settings.
        derived: &'static str,
        /// The bound the value must stay below, with the other settings as
        /// they are.
        max: f64,
    },
    /// A window size outside `1..=2^24`.
    SampleSize {
        /// The value given.
        value: usize,
    },
    /// A duration that must be above zero was zero.
    ZeroDuration {
        /// The configuration field.
        field: &'static str,
    },
    /// A duration in milliseconds that is NaN, infinite, negative or too large.
    InvalidMillis {
        /// The configuration field.
        field: &'static str,
        /// The value given, in milliseconds.
        value: f64,
    },
    /// A number that must be finite and zero or more was not.
    Negative {
        /// The configuration field.
        field: &'static str,
        /// The value given.
        value: f64,
    },
    /// A model name that is not one of [`Model::ALL`](crate::Model::ALL)'s names
    /// (converted from [`ParseModelError`]).
    UnknownModel {
        /// The name given.
        name: String,
    },
    /// A name that is not one of a setting's values ([`Learning`](crate::Learning),
    /// [`Period`](crate::Period), [`Bootstrap`](crate::Bootstrap)).
    UnknownValue {
        /// The setting.
        field: &'static str,
        /// The name given.
        name: String,
        /// The accepted names, quoted, separated by spaces.
        expected: &'static str,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::NotPositive { field, value } => {
                write!(f, "{field} must be a finite number above 0, got {value}")
            }
            ConfigError::Negative { field, value } => {
                write!(f, "{field} must be a finite number, 0 or more, got {value}")
            }
            ConfigError::OutOfRange { field, value, max } => {
                write!(f, "{field} must be at most {max:e}, got {value}")
            }
            ConfigError::Overflow {
                field,
                value,
                derived,
                max,
            } => write!(
                f,
                "{field} must be below {max:e} so that {derived} fits in a Duration, got {value}"
            ),
            ConfigError::SampleSize { value } => write!(
                f,
                "max_sample_size must be between 1 and {MAX_SAMPLE_SIZE}, got {value}"
            ),
            ConfigError::ZeroDuration { field } => write!(f, "{field} must be above zero"),
            ConfigError::InvalidMillis { field, value } => write!(
                f,
                "{field} must be a number of milliseconds from 0 to {:e} (the longest \
                 Duration), got {value:e}",
                Duration::MAX.as_secs_f64() * 1e3
            ),
            ConfigError::UnknownModel { name } => write_unknown_model(f, name),
            ConfigError::UnknownValue {
                field,
                name,
                expected,
            } => write!(
                f,
                "unknown {field} `{name}`; expected one of {}",
                expected.trim_end()
            ),
        }
    }
}

impl std::error::Error for ConfigError {}

impl From<ParseModelError> for ConfigError {
    /// [`ConfigError::UnknownModel`] with the name given, so that `?` turns a
    /// failed `parse::<Model>()` into a configuration error.
    fn from(e: ParseModelError) -> Self {
        ConfigError::UnknownModel {
            name: e.name().to_string(),
        }
    }
}
