//! Unit tests of the model dispatch: names, the calibrated thresholds and
//! the closed-form deadline of a fit.

use super::*;

#[test]
fn names_round_trip_through_from_str() {
    for m in Model::ALL {
        assert_eq!(m.name().parse::<Model>().unwrap(), m);
        assert_eq!(m.to_string(), m.name());
    }
    assert_eq!(" AKKA ".parse::<Model>().unwrap(), Model::Akka);
    let err = "weibull".parse::<Model>().unwrap_err();
    assert_eq!(err.name(), "weibull");
    assert!(err.to_string().contains("weibull"), "{err}");
}

#[test]
fn calibrated_threshold_is_the_first_float_reaching_it() {
    for m in Model::ALL {
        for phi in [0.01, 0.5, 1.0, 3.0, 8.0, 10.0, 16.0, 100.0, 1e6] {
            let y = m.y_from_phi(phi);
            assert!(m.phi_from_y(y) >= phi, "{m} phi {phi}");
            assert!(m.phi_from_y(y.next_down()) < phi, "{m} phi {phi}");
        }
    }
}

#[test]
fn elapsed_at_is_the_first_nanosecond_at_the_threshold() {
    let fit = Fit::new(1_000_000_000.0, 100_000_000.0);
    for y in [-3.0, 0.0, 0.123456789, 2.5, 5.612, 1e3] {
        let e = fit.elapsed_at(y);
        assert!(fit.standardise(e) >= y);
        assert!(fit.standardise(e - 1) < y);
    }
    // Reached at once when the threshold lies before the last heartbeat.
    assert_eq!(fit.elapsed_at(-20.0), 0);
    // Beyond the clock's range: never.
    assert_eq!(fit.elapsed_at(1e300), u64::MAX);
}

/// With a location far below zero (Bertier's margin may be negative) and
/// an answer below 2^53 ns, `elapsed − location` passes 2^53, so
/// `standardise` is flat over several nanoseconds and the closed form can
/// land more than a short walk away from the first nanosecond reaching the
/// threshold (a Bertier fit with location −6.04e16 ns and answer 8.8e15 ns
/// is one such case). The answer must still be the
/// least such nanosecond, checked against a plain bisection over the
/// integers, for locations on both sides of zero.
#[test]
fn elapsed_at_is_exact_when_the_location_is_far_below_zero() {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    for _ in 0..20_000 {
        let y = 0.01 + 10.0 * next();
        let answer = F64_EXACT_INTEGERS * (0.5 + 0.5 * next());
        // From −8·answer to +answer/2.
        let location = answer * (8.5 * next() - 8.0);
        let fit = Fit::new(location, (answer - location) / y);
        let e = fit.elapsed_at(y);
        let (mut below, mut reached) = (0u64, u64::MAX);
        while reached - below > 1 {
            let mid = below + (reached - below) / 2;
            if fit.standardise(mid) >= y {
                reached = mid;
            } else {
                below = mid;
            }
        }
        assert_eq!(e, reached, "{fit:?} y {y}");
    }
}
