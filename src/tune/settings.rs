//! A recommended configuration as settings to paste: a Rust
//! `Config::builder()` chain, and the keys of the JVM systems whose
//! detector a model reproduces (Akka and Pekko for [`Model::Akka`],
//! Cassandra for [`Model::Exponential`] without a pause; see
//! `papers/jvm-detectors.md`).

use super::{Candidate, Detection};
use crate::config::{Bootstrap, Config, Learning, Period};
use crate::model::params::{DEFAULT_BERTIER, DEFAULT_SHORT_WINDOW};
use crate::model::Model;
use std::time::Duration;

/// Milliseconds as a Rust `f64` literal (`300.0`, `12.5`).
fn ms_literal(d: Duration) -> String {
    format!("{:?}", (d.as_secs_f64() * 1e4).round() / 10.0)
}

/// Milliseconds for a HOCON duration (`300ms`, `12.5ms`).
fn ms_hocon(d: Duration) -> String {
    format!("{}ms", (d.as_secs_f64() * 1e4).round() / 10.0)
}

/// The candidate as a `Config::builder()` chain over `base` (window,
/// first-interval estimate, and every rule or model constant that is not
/// the default, so that the pasted configuration is the one scored);
/// `None` for the timeout.
pub fn rust_builder(candidate: &Candidate, base: &Config) -> Option<String> {
    let Detection::Phi(model) = candidate.detection else {
        return None;
    };
    let mut rules = String::new();
    let learning = learning_of(candidate, base);
    if learning != Learning::default_for(model) {
        rules += &format!(".learning(Learning::{learning:?})");
    }
    if base.period() != Period::default() {
        rules += &format!(".period(Period::{:?})", base.period());
    }
    if base.bootstrap() != Bootstrap::default() {
        rules += &format!(".bootstrap(Bootstrap::{:?})", base.bootstrap());
    }
    if model == Model::Bertier && base.bertier() != DEFAULT_BERTIER {
        let [beta, phi, gamma] = base.bertier();
        rules += &format!(".bertier({beta:?}, {phi:?}, {gamma:?})");
    }
    if model == Model::TwoWindow && base.short_window() != DEFAULT_SHORT_WINDOW {
        rules += &format!(".short_window({})", base.short_window());
    }
    Some(format!(
        "Config::builder().model(Model::{model:?}).threshold({:?}).acceptable_pause_ms({})\
         .min_std_deviation_ms({}).max_sample_size({}).first_heartbeat_estimate_ms({}){rules}\
         .build()?",
        candidate.threshold,
        ms_literal(candidate.acceptable_pause),
        ms_literal(candidate.min_std_deviation),
        base.max_sample_size(),
        ms_literal(base.first_heartbeat_estimate()),
    ))
}

/// Whether the candidate follows the rules of the JVM detectors (Akka's
/// learning rule and bootstrap seeds), without which their keys would not
/// describe the configuration scored.
fn jvm_rules(candidate: &Candidate, base: &Config) -> bool {
    learning_of(candidate, base) == Learning::SkipSuspected && base.bootstrap() == Bootstrap::Seeds
}

/// The learning rule the candidate was scored with: its own, else the one
/// `base` sets, else its model's.
fn learning_of(candidate: &Candidate, base: &Config) -> Learning {
    candidate
        .config(base)
        .map_or(base.learning(), |c| c.learning())
}

/// The candidate as Akka's failure-detector keys (Pekko's are the same
/// under `pekko.`), for [`Model::Akka`] only: the model that reproduces
/// Akka's phi for the same settings. `heartbeat-interval` is the sending
/// period, which Akka also takes as its first estimate.
pub fn akka_keys(candidate: &Candidate, base: &Config) -> Option<String> {
    if candidate.detection != Detection::Phi(Model::Akka) || !jvm_rules(candidate, base) {
        return None;
    }
    Some(format!(
        "akka.cluster.failure-detector {{ threshold = {:?}, acceptable-heartbeat-pause = {}, \
         min-std-deviation = {}, max-sample-size = {}, heartbeat-interval = {} }}",
        candidate.threshold,
        ms_hocon(candidate.acceptable_pause),
        ms_hocon(candidate.min_std_deviation),
        base.max_sample_size(),
        ms_hocon(base.first_heartbeat_estimate()),
    ))
}

/// The candidate as Cassandra's `cassandra.yaml` key, for
/// [`Model::Exponential`] only. Cassandra has no acceptable pause, so a
/// candidate with one does not map: `Err` says why.
pub fn cassandra_key(candidate: &Candidate) -> Option<Result<String, String>> {
    if candidate.detection != Detection::Phi(Model::Exponential) {
        return None;
    }
    Some(if candidate.acceptable_pause.is_zero() {
        Ok(format!("phi_convict_threshold: {:?}", candidate.threshold))
    } else {
        Err(format!(
            "Cassandra has no acceptable pause; phi_convict_threshold {:?} alone detects \
             {} earlier",
            candidate.threshold,
            ms_hocon(candidate.acceptable_pause)
        ))
    })
}

/// Every paste-ready form of the candidate, one labelled line each.
pub fn paste_lines(candidate: &Candidate, base: &Config) -> Vec<String> {
    let mut lines = Vec::new();
    match rust_builder(candidate, base) {
        Some(rust) => lines.push(format!("Rust: {rust}")),
        None => lines.push(format!(
            "a fixed timeout of {} ms after the last heartbeat (no phi Config expresses it)",
            candidate.threshold
        )),
    }
    if let Some(akka) = akka_keys(candidate, base) {
        lines.push(format!("Akka/Pekko: {akka}"));
    }
    match cassandra_key(candidate) {
        Some(Ok(key)) => lines.push(format!("Cassandra: {key}")),
        Some(Err(why)) => lines.push(format!("Cassandra: does not map ({why})")),
        None => {}
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::qos::Qos;

    fn cand(detection: Detection, threshold: f64, pause_ms: u64) -> Candidate {
        Candidate {
            detection,
            threshold,
            acceptable_pause: Duration::from_millis(pause_ms),
            min_std_deviation: Duration::from_micros(12_500),
            learning: None,
            qos: Qos::default(),
            held_out: None,
        }
    }

    #[test]
    fn akka_candidates_print_akka_keys_and_a_builder_that_compiles_to_them() {
        let base = Config::for_interval(Duration::from_millis(100)).unwrap();
        let c = cand(Detection::Phi(Model::Akka), 8.0, 300);
        assert_eq!(
            rust_builder(&c, &base).unwrap(),
            "Config::builder().model(Model::Akka).threshold(8.0).acceptable_pause_ms(300.0)\
             .min_std_deviation_ms(12.5).max_sample_size(1000).first_heartbeat_estimate_ms(100.0)\
             .build()?"
        );
        // The same chain, run: it builds the candidate's configuration.
        let built = Config::builder()
            .model(Model::Akka)
            .threshold(8.0)
            .acceptable_pause_ms(300.0)
            .min_std_deviation_ms(12.5)
            .max_sample_size(1000)
            .first_heartbeat_estimate_ms(100.0)
            .build()
            .unwrap();
        assert_eq!(Some(built), c.config(&base));
        assert_eq!(
            akka_keys(&c, &base).unwrap(),
            "akka.cluster.failure-detector { threshold = 8.0, acceptable-heartbeat-pause = \
             300ms, min-std-deviation = 12.5ms, max-sample-size = 1000, heartbeat-interval = \
             100ms }"
        );
        assert!(cassandra_key(&c).is_none());
    }

    #[test]
    fn exponential_maps_to_cassandra_only_without_a_pause() {
        let base = Config::default();
        let c = cand(Detection::Phi(Model::Exponential), 4.0, 0);
        assert_eq!(
            cassandra_key(&c).unwrap().unwrap(),
            "phi_convict_threshold: 4.0"
        );
        assert!(
            cassandra_key(&cand(Detection::Phi(Model::Exponential), 4.0, 100))
                .unwrap()
                .is_err()
        );
        assert!(akka_keys(&c, &base).is_none());
        let t = cand(Detection::Timeout, 450.0, 0);
        assert_eq!(paste_lines(&t, &base).len(), 1);
        assert!(rust_builder(&t, &base).is_none());
    }

    #[test]
    fn rules_that_are_not_the_default_travel_with_the_builder_and_drop_the_akka_keys() {
        let base = Config::for_interval(Duration::from_millis(100))
            .unwrap()
            .to_builder()
            .learning(Learning::All)
            .period(Period::Fixed)
            .bootstrap(Bootstrap::Growing)
            .bertier(1.0, 2.0, 0.2)
            .build()
            .unwrap();
        let c = cand(Detection::Phi(Model::Bertier), 1.0, 0);
        let line = rust_builder(&c, &base).unwrap();
        assert!(
            line.ends_with(
                ".learning(Learning::All).period(Period::Fixed).bootstrap(Bootstrap::Growing)\
                 .bertier(1.0, 2.0, 0.2).build()?"
            ),
            "{line}"
        );
        // Akka's keys cannot say that every interval is learnt.
        assert!(akka_keys(&cand(Detection::Phi(Model::Akka), 8.0, 300), &base).is_none());
    }
}
