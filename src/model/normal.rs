//! The normal model of Hayashibara et al. 2004, with an exact tail.
//!
//! phi(y) = −log10 Q(y), where Q is the upper tail of the standard normal
//! distribution. The tail itself is computed in log space by
//! [`super::normal_tail`], so phi is finite and accurate for every silence.

use super::{normal_tail, Fit, FitParams};
use crate::window::Window;

/// Location = mean + acceptable pause, scale = max(σ, min σ), in nanoseconds.
///
/// Shared with the Akka model, which differs only in its phi function.
///
/// The inverse scale is computed as n / max(√(n²σ²), n · min σ), with n²σ²
/// the window's exact variance numerator: one square root and one division,
/// where 1 / max(√(n²σ²/n²), min σ) takes two divisions. A sweep of a live
/// monitor computes a fit for every peer heard from since the last sweep.
#[inline]
pub(crate) fn fit(window: &Window, params: &FitParams) -> Fit {
    let mean_ns = window.mean_micros() * 1e3;
    // An empty window (not monitoring) gets min σ, like any window of
    // identical samples.
    let n = f64::from(window.len_u32()).max(1.0);
    let n_std_ns = window.variance_numerator().sqrt() * 1e3;
    let inv_scale = n / n_std_ns.max(params.min_std_ns * n);
    Fit {
        location: mean_ns + params.pause_ns,
        inv_scale,
    }
}

#[inline]
pub(crate) fn phi_from_y(y: f64) -> f64 {
    normal_tail::phi_from_z(y)
}

pub(crate) fn y_from_phi(phi: f64) -> f64 {
    normal_tail::z_from_phi(phi)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pause_ns: f64, min_std_ns: f64) -> FitParams {
        FitParams {
            pause_ns,
            pause_nanos: pause_ns as u64,
            min_std_ns,
            timeout_ns: 1.0,
        }
    }

    #[test]
    fn the_fit_is_the_mean_plus_pause_and_the_population_spread() {
        // Hand calculation: intervals 90, 100 and 110 ms have mean 100 ms
        // and population variance (100 + 0 + 100) / 3 ms², so
        // σ = √(200/3) ms ≈ 8.1650 ms.
        let mut window = Window::with_capacity(10);
        for ms in [90_000, 100_000, 110_000] {
            window.push(ms);
        }
        let fit = fit(&window, &params(5e6, 1e6));
        assert_eq!(fit.location, 100e6 + 5e6);
        let sigma_ns = (200.0f64 / 3.0).sqrt() * 1e6;
        assert!((fit.inv_scale * sigma_ns - 1.0).abs() < 1e-15, "{fit:?}");
        // Below the floor, the floor: 1/σ for σ = 20 ms.
        let floored = super::fit(&window, &params(0.0, 20e6));
        assert!(
            (floored.inv_scale * 20e6 - 1.0).abs() < 1e-15,
            "{floored:?}"
        );
    }

    #[test]
    fn identical_samples_and_an_empty_window_get_the_floor() {
        let mut window = Window::with_capacity(4);
        let empty = fit(&window, &params(3e6, 2e6));
        assert_eq!((empty.location, empty.inv_scale), (3e6, 1.0 / 2e6));
        for _ in 0..4 {
            window.push(50_000);
        }
        let same = fit(&window, &params(0.0, 2e6));
        assert_eq!((same.location, same.inv_scale), (50e6, 1.0 / 2e6));
    }
}
