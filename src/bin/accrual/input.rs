//! Values the user typed, checked and named in messages: times in
//! milliseconds, the library's configuration errors in terms of the
//! options, and tokens shortened before they are echoed.

use accrual::{ConfigError, Timestamp};

/// The latest time a [`Timestamp`] holds, in milliseconds, as written in
/// messages: 2⁶⁴ − 1 ns, about 584 years.
const MAX_TIME_MS: &str = "18446744073709.551615";

/// The longest part of a token echoed in a message: a stray 100 MB line
/// must not come back in full. The trace reader's messages cut values at
/// the same length, with the same mark.
const SHOWN_CHARS: usize = 48;

/// `token` for a message, quoted, its first [`SHOWN_CHARS`] characters and
/// `…` if it is longer.
pub(crate) fn shown(token: &str) -> String {
    match token.char_indices().nth(SHOWN_CHARS) {
        None => format!("{token:?}"),
        Some((end, _)) => format!("{:?}…", &token[..end]),
    }
}

/// A time in milliseconds from 0 to [`MAX_TIME_MS`], or a message saying
/// why `token` is not one.
pub(crate) fn time_ms(token: &str) -> Result<Timestamp, String> {
    let Ok(ms) = token.parse::<f64>() else {
        return Err(format!("{} is not a number of milliseconds", shown(token)));
    };
    Timestamp::try_from_millis_f64(ms).map_err(|_| out_of_range_time(token))
}

/// [`time_ms`] for a number already parsed (an option's value).
pub(crate) fn time_ms_value(option: &str, ms: f64) -> Result<Timestamp, String> {
    Timestamp::try_from_millis_f64(ms)
        .map_err(|_| format!("{option}: {}", out_of_range_time(&ms.to_string())))
}

fn out_of_range_time(token: &str) -> String {
    format!(
        "{} is out of range: times are milliseconds from 0 to {MAX_TIME_MS} (2^64 − 1 ns, \
         about 584 years)",
        shown(token).trim_matches('"')
    )
}

/// A duration option in milliseconds that must be finite and above 0.
pub(crate) fn positive_ms(option: &str, ms: f64) -> Result<f64, String> {
    if ms.is_finite() && ms > 0.0 {
        Ok(ms)
    } else {
        Err(format!(
            "{option} {ms}: must be a finite number of milliseconds above 0"
        ))
    }
}

/// A target or limit that must be a finite number, 0 or more.
pub(crate) fn non_negative(option: &str, value: f64) -> Result<f64, String> {
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(format!(
            "{option} {value}: must be a finite number, 0 or more"
        ))
    }
}

/// Why a trace whose median interval is 0 cannot be scored.
pub(crate) const NO_USABLE_INTERVAL: &str =
    "the trace has no usable interval: the median time between a node's arrivals is 0 (most \
     arrivals repeat the time of the one before)";

/// The options that set each configuration field, for `phi` and `plot`.
pub(crate) const DETECTOR_OPTIONS: &[(&str, &str)] = &[
    ("max_sample_size", "--window"),
    ("threshold", "--threshold"),
    ("acceptable_pause", "--pause-ms"),
    ("min_std_deviation", "--min-std-ms"),
    ("first_heartbeat_estimate", "--first-interval-ms"),
    ("bertier_beta", "--bertier-beta"),
    ("bertier_phi", "--bertier-phi"),
    ("bertier_gamma", "--bertier-gamma"),
];

/// The same for `tune`, whose thresholds come from `threshold_option`
/// (`--thresholds`, or `--threshold` for one) and may be timeouts.
pub(crate) fn tune_options(threshold_option: &'static str) -> Vec<(&'static str, &'static str)> {
    let mut options: Vec<_> = DETECTOR_OPTIONS
        .iter()
        .map(|&(field, option)| match field {
            "threshold" => (field, threshold_option),
            _ => (field, option),
        })
        .collect();
    options.push(("timeout", threshold_option));
    options
}

/// The library's message for `e`, in terms of the option the user typed
/// (`options`: field, option) and with the value written compactly.
pub(crate) fn config_error(e: &ConfigError, options: &[(&str, &str)]) -> String {
    let option = |field: &str| {
        options
            .iter()
            .find(|(f, _)| *f == field)
            .map_or(field, |(_, o)| o)
            .to_string()
    };
    match e {
        // Finite and not negative, yet refused: too long for a `Duration`.
        ConfigError::InvalidMillis { field, value } if *value >= 0.0 => format!(
            "{} {}: out of range: at most about 1.8e22 ms (2^64 s)",
            option(field),
            number(*value)
        ),
        ConfigError::InvalidMillis { field, value } => format!(
            "{} {}: must be a finite number of milliseconds, 0 or more",
            option(field),
            number(*value)
        ),
        ConfigError::NotPositive { field, value } => format!(
            "{} {}: must be a finite number above 0",
            option(field),
            number(*value)
        ),
        ConfigError::Negative { field, value } => format!(
            "{} {}: must be a finite number, 0 or more",
            option(field),
            number(*value)
        ),
        ConfigError::OutOfRange { field, value, max } => format!(
            "{} {}: out of range: at most {}",
            option(field),
            number(*value),
            number(*max)
        ),
        e => with_options(e.to_string(), options),
    }
}

/// `message` with the field it starts with replaced by its option.
pub(crate) fn with_options(message: String, options: &[(&str, &str)]) -> String {
    for (field, option) in options {
        if let Some(rest) = message.strip_prefix(field) {
            if rest.starts_with(' ') {
                return format!("{option}{rest}");
            }
        }
    }
    message
}

/// The options that set each field of a simulated scenario.
pub(crate) const SIMULATE_OPTIONS: &[(&str, &str)] = &[
    ("duration_s", "--duration-s"),
    ("duration", "--duration-s"),
    ("interval_ms", "--interval-ms"),
    ("interval", "--interval-ms"),
    ("nodes", "--nodes"),
];

/// A number for a message: as typed for ordinary magnitudes, in
/// scientific notation for huge or tiny ones (1e300 is not 301 digits).
fn number(value: f64) -> String {
    let magnitude = value.abs();
    if magnitude != 0.0 && magnitude.is_finite() && !(1e-6..1e15).contains(&magnitude) {
        format!("{value:e}")
    } else {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_tokens_are_shortened() {
        assert_eq!(shown("abc"), "\"abc\"");
        let long = "x".repeat(1000);
        assert_eq!(shown(&long), format!("{:?}…", "x".repeat(48)));
    }

    #[test]
    fn the_time_limit_is_the_clocks() {
        assert_eq!(
            MAX_TIME_MS,
            format!("{}.{:06}", u64::MAX / 1_000_000, u64::MAX % 1_000_000)
        );
        assert!(time_ms("18446744073709.5").is_ok());
        assert!(time_ms("18446744073710").is_err());
        assert!(time_ms("1e15").unwrap_err().contains("out of range"));
        assert!(time_ms("-1").unwrap_err().contains("out of range"));
        assert!(time_ms("NaN").unwrap_err().contains("out of range"));
        assert!(time_ms("x").unwrap_err().contains("not a number"));
    }

    #[test]
    fn huge_values_are_written_compactly() {
        assert_eq!(number(1e300), "1e300");
        assert_eq!(number(-5.0), "-5");
        assert_eq!(number(0.25), "0.25");
        assert_eq!(number(f64::NAN), "NaN");
    }

    #[test]
    fn config_errors_name_the_option() {
        let e = accrual::Config::builder()
            .max_sample_size(0)
            .build()
            .unwrap_err();
        let message = config_error(&e, DETECTOR_OPTIONS);
        assert!(message.starts_with("--window "), "{message}");
    }
}
