//! Networks for the simulator tests: any valid network, as a proptest
//! strategy, and the built-in profiles' episode laws to start custom ones
//! from (the parameter types cannot be written as literals outside the
//! crate).

use accrual::simulate::{self, AfterStall, Network, Outages, Regimes, Stalls};
use proptest::prelude::*;

/// Any valid network: every parameter anywhere in its range. The parameter
/// types are `#[non_exhaustive]`, so each starts from a built-in profile's
/// and has every field set.
pub fn network() -> impl Strategy<Value = Network> {
    // Mostly ordinary values, sometimes the extremes.
    let ms = || {
        prop_oneof![
            1 => Just(0.0),
            6 => 0.0..200.0,
            1 => 0.0..=simulate::MAX_PARAMETER_MS,
        ]
    };
    let unit = || prop_oneof![Just(0.0), Just(1.0), 0.0..=1.0];
    let sender = (-0.5f64..=1.0, ms()).prop_map(|(drift, jitter_ms)| {
        let mut sender = Network::LAN.sender;
        sender.drift = drift;
        sender.jitter_ms = jitter_ms;
        sender
    });
    let after = prop::sample::select(vec![AfterStall::Delay, AfterStall::Burst, AfterStall::Skip]);
    let stalls = prop::option::of((0.0..=3600.0f64, ms(), 0.0..=5.0f64, ms(), after).prop_map(
        |(per_hour, median_ms, sigma, extra, after)| {
            let mut stalls = gc_stalls();
            stalls.per_hour = per_hour;
            stalls.median_ms = median_ms;
            stalls.sigma = sigma;
            stalls.max_ms = (median_ms + extra).min(simulate::MAX_PARAMETER_MS);
            stalls.after = after;
            stalls
        },
    ));
    let delay = (
        ms(),
        ms(),
        0.0..=5.0f64,
        unit(),
        unit(),
        ms(),
        0.5..=100.0f64,
        ms(),
    )
        .prop_map(
            |(
                base_ms,
                median_excess_ms,
                excess_sigma,
                correlation,
                spike_probability,
                spike_min_ms,
                spike_alpha,
                max_excess_ms,
            )| {
                let mut delay = Network::LAN.delay;
                delay.base_ms = base_ms;
                delay.median_excess_ms = median_excess_ms;
                delay.excess_sigma = excess_sigma;
                delay.correlation = correlation;
                delay.spike_probability = spike_probability;
                delay.spike_min_ms = spike_min_ms;
                delay.spike_alpha = spike_alpha;
                delay.max_excess_ms = max_excess_ms;
                delay
            },
        );
    let regimes = prop::option::of(
        (0.0..=3600.0f64, ms(), ms(), 0.0..=100.0f64, 0.0..=100.0f64).prop_map(
            |(per_hour, min_ms, extra, f, g)| {
                let mut regimes = flaky_regimes();
                regimes.per_hour = per_hour;
                regimes.min_ms = min_ms;
                regimes.max_ms = (min_ms + extra).min(simulate::MAX_PARAMETER_MS);
                regimes.base_factor_min = f.min(g);
                regimes.base_factor_max = f.max(g);
                regimes.excess_factor_min = f.min(g) / 2.0;
                regimes.excess_factor_max = f.max(g);
                regimes
            },
        ),
    );
    let loss = (unit(), unit(), unit(), unit()).prop_map(|(a, b, c, d)| {
        let mut loss = Network::LAN.loss;
        loss.loss_good = a;
        loss.loss_bad = b;
        loss.good_to_bad = c;
        loss.bad_to_good = d;
        loss
    });
    let outages = prop::option::of((0.0..=3600.0f64, 1e-3..1e6f64, ms()).prop_map(
        |(per_hour, min_ms, extra)| {
            let mut outages = wan_outages();
            outages.per_hour = per_hour;
            outages.min_ms = min_ms;
            outages.max_ms = (min_ms + extra).min(simulate::MAX_PARAMETER_MS);
            outages
        },
    ));
    (sender, stalls, delay, regimes, loss, outages).prop_map(
        |(sender, stalls, delay, regimes, loss, outages)| {
            let mut network = Network::LAN;
            network.sender = sender;
            network.stalls = stalls;
            network.delay = delay;
            network.regimes = regimes;
            network.loss = loss;
            network.outages = outages;
            network
        },
    )
}

/// The built-in profiles' episode laws, as starting points for custom ones.
pub fn gc_stalls() -> Stalls {
    Network::GC.stalls.expect("the GC profile stalls")
}

pub fn flaky_regimes() -> Regimes {
    Network::FLAKY
        .regimes
        .expect("the flaky profile has regimes")
}

pub fn wan_outages() -> Outages {
    Network::WAN.outages.expect("the WAN has outages")
}
