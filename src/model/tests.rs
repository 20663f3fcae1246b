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
