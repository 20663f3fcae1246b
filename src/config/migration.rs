//! Configurations that reproduce other systems' detectors, so that moving
//! to `accrual` keeps a cluster's settings and their meaning.
//!
//! Akka, Pekko and Hazelcast's phi detectors need no constructor: their
//! keys map one to one onto [`ConfigBuilder`](super::ConfigBuilder) knobs
//! with [`Model::Akka`] (the README's migration guide has the table). What
//! is here are the mappings that are more than a renaming: the fixed
//! timeout of Akka's and Hazelcast's deadline detectors, and the
//! exponential detectors of Cassandra and chitchat, whose thresholds are on
//! different scales.

use super::{Config, ConfigError};
use crate::model::Model;
use std::f64::consts::LN_10;
use std::time::Duration;

/// The smallest floor there is: the exponential model floors the mean by
/// `min_std_deviation`, and neither Cassandra nor chitchat floors theirs.
const NO_FLOOR: Duration = Duration::from_nanos(1);

impl Config {
    /// A fixed timeout: the peer is suspected once it has been silent for
    /// `heartbeat_interval + acceptable_pause`, as with Akka's
    /// `DeadlineFailureDetector` (`heartbeat-interval`,
    /// `acceptable-heartbeat-pause`: available while
    /// `last + interval + pause > now`).
    ///
    /// [`Model::Deadline`] with threshold 1 (its level is the silence in
    /// timeouts); the other knobs are [`Config::for_interval`]'s, which the
    /// model does not read. Hazelcast's `deadline` detector has a timeout
    /// alone (`hazelcast.max.no.heartbeat.seconds`, 60 s): give it as the
    /// heartbeat interval (`hazelcast.heartbeat.interval.seconds`, 5 s)
    /// plus the rest as the pause.
    ///
    /// ```
    /// use accrual::{Config, Detector, Timestamp};
    /// use std::time::Duration;
    ///
    /// let config = Config::deadline(Duration::from_secs(1), Duration::from_secs(3))?;
    /// let mut detector = Detector::new(config);
    /// detector.heartbeat(Timestamp::from_millis(10_000))?;
    /// assert!(detector.is_available(Timestamp::from_nanos(13_999_999_999)));
    /// assert_eq!(detector.suspicion_deadline(), Some(Timestamp::from_millis(14_000)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`ConfigError::ZeroDuration`] if `heartbeat_interval` is zero.
    pub fn deadline(
        heartbeat_interval: Duration,
        acceptable_pause: Duration,
    ) -> Result<Config, ConfigError> {
        Config::for_interval(heartbeat_interval)?
            .to_builder()
            .model(Model::Deadline)
            .threshold(1.0)
            .acceptable_pause(acceptable_pause)
            .build()
    }

    /// Apache Cassandra's gossip failure detector for a
    /// `phi_convict_threshold` (Cassandra's default is 8).
    ///
    /// Cassandra convicts when `PHI_FACTOR · t / mean > phi_convict_threshold`,
    /// with `t` the silence, `mean` the mean of the last 1000 intervals and
    /// `PHI_FACTOR = 1 / ln 10` (`gms/FailureDetector.java`). That is
    /// [`Model::Exponential`] with no pause and no floor, the same
    /// threshold, 1000 samples, and its first interval
    /// (`fd_initial_value_ms`, twice the 1 s gossip interval) as the first
    /// heartbeat estimate. Two differences remain: Cassandra drops intervals
    /// longer than `fd_max_interval_ms` (2 s by default) where `accrual`
    /// drops the one that ends a suspicion, and Cassandra convicts above the
    /// threshold where `accrual` suspects at it.
    ///
    /// # Errors
    ///
    /// [`ConfigError`] if the threshold is not finite and above 0.
    pub fn cassandra(phi_convict_threshold: f64) -> Result<Config, ConfigError> {
        Config::builder()
            .model(Model::Exponential)
            .threshold(phi_convict_threshold)
            .max_sample_size(1000)
            .acceptable_pause(Duration::ZERO)
            .min_std_deviation(NO_FLOOR)
            .first_heartbeat_estimate(Duration::from_secs(2))
            .build()
    }

    /// chitchat's failure detector (Quickwit's gossip membership crate) for
    /// its `phi_threshold` (chitchat's default is 8).
    ///
    /// chitchat's "phi" is `t / mean` with no logarithm
    /// (`chitchat/src/failure_detector.rs`), the exponential model without
    /// Cassandra's `1 / ln 10`. Our [`Model::Exponential`] reports
    /// `t / (mean · ln 10)`, so its threshold is `phi_threshold / ln 10`:
    /// chitchat's 8 is 3.474. The rest follows chitchat's defaults: 1000
    /// samples, no pause, no floor, and its `initial_interval` (5 s) as the
    /// first heartbeat estimate (change it with [`Config::to_builder`] if
    /// you changed chitchat's). chitchat drops intervals longer than
    /// `max_interval` (10 s) and empties a dead node's window; `accrual`
    /// drops the interval that ends a suspicion and keeps the rest.
    ///
    /// # Errors
    ///
    /// [`ConfigError`] if the threshold is not finite and above 0.
    pub fn chitchat(phi_threshold: f64) -> Result<Config, ConfigError> {
        Config::builder()
            .model(Model::Exponential)
            .threshold(phi_threshold / LN_10)
            .max_sample_size(1000)
            .acceptable_pause(Duration::ZERO)
            .min_std_deviation(NO_FLOOR)
            .first_heartbeat_estimate(Duration::from_secs(5))
            .build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadline_sets_the_model_its_threshold_and_the_timeout() {
        let c = Config::deadline(Duration::from_secs(3), Duration::from_secs(10)).unwrap();
        assert_eq!(c.model(), Model::Deadline);
        assert_eq!(c.threshold(), 1.0);
        assert_eq!(c.first_heartbeat_estimate(), Duration::from_secs(3));
        assert_eq!(c.acceptable_pause(), Duration::from_secs(10));
        assert_eq!(c.fit_params().timeout_ns, 13e9);
        assert!(Config::deadline(Duration::ZERO, Duration::from_secs(1)).is_err());
    }

    #[test]
    fn cassandra_and_chitchat_are_the_exponential_model_without_pause_or_floor() {
        for c in [
            Config::cassandra(8.0).unwrap(),
            Config::chitchat(8.0).unwrap(),
        ] {
            assert_eq!(c.model(), Model::Exponential);
            assert_eq!(c.acceptable_pause(), Duration::ZERO);
            assert_eq!(c.min_std_deviation(), NO_FLOOR);
            assert_eq!(c.max_sample_size(), 1000);
        }
        assert_eq!(Config::cassandra(8.0).unwrap().threshold(), 8.0);
        // 8 / ln 10 = 3.4743...
        let t = Config::chitchat(8.0).unwrap().threshold();
        assert!((t - 3.474_355_855).abs() < 1e-9, "{t}");
        assert!(Config::cassandra(f64::NAN).is_err());
        assert!(Config::chitchat(-1.0).is_err());
    }
}
