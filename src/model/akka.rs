//! The logistic approximation of the normal distribution used by Akka, Pekko
//! and Hazelcast.
//!
//! Akka computes, for y = (silence − mean − pause) / max(σ, min σ),
//! `e = exp(−y·(1.5976 + 0.070566·y²))` and phi = −log10(e / (1 + e)) (its
//! second branch, `1 − 1/(1 + e)`, is the same number written to avoid
//! cancellation). With u = y·(1.5976 + 0.070566·y²) this is
//! phi = log10(1 + exp(u)) = softplus(u) / ln 10, which we evaluate as
//! `max(u, 0) + ln(1 + exp(−|u|))`: identical to the JVM where the JVM is
//! finite, and still finite and increasing where the JVM's `exp(−u)`
//! underflows to 0 and it reports infinity (u above about 745, y ≳ 21.6).

use std::f64::consts::LN_10;

/// Coefficients of the logistic approximation, F(y) ≈ 1/(1 + exp(−y(A + B·y²))),
/// as published in Akka's `PhiAccrualFailureDetector`.
const A: f64 = 1.5976;
const B: f64 = 0.070566;

#[inline]
pub(crate) fn phi_from_y(y: f64) -> f64 {
    let u = y * (B * (y * y) + A);
    softplus(u) / LN_10
}

/// ln(1 + exp(u)) without overflow or cancellation.
#[inline]
fn softplus(u: f64) -> f64 {
    // Past |u| = 37, exp(−|u|) < 1e-16·max(u, 1): the correction vanishes in
    // rounding, and skipping it keeps the common far-tail case cheap.
    if u > 37.0 {
        u
    } else if u < -37.0 {
        u.exp()
    } else if u > 0.0 {
        u + (-u).exp().ln_1p()
    } else if u <= 0.0 {
        u.exp().ln_1p()
    } else {
        0.0 // NaN
    }
}

/// Inverse of [`phi_from_y`]: solve softplus(u) = phi·ln 10 for u, then the
/// cubic B·y³ + A·y − u = 0 (one real root, as both coefficients are positive).
pub(crate) fn y_from_phi(phi: f64) -> f64 {
    let s = phi * LN_10;
    // softplus⁻¹(s) = ln(exp(s) − 1) = s + ln(1 − exp(−s)).
    let u = if s > 37.0 {
        s
    } else {
        s + (-(-s).exp_m1()).ln()
    };
    solve_cubic(u)
}

/// The real root of B·y³ + A·y = u: Cardano's formula as a starting point,
/// then Newton's method (the cubic is increasing, so it converges quickly).
fn solve_cubic(u: f64) -> f64 {
    let mut y = if u.abs() < 1.0 {
        // Near zero the cubic term is negligible, and Cardano's form below
        // would subtract two nearly equal numbers.
        u / A
    } else {
        // y³ + p·y + q = 0 with p = A/B, q = −u/B. For u > 0 the root is
        // t − p/(3t), t = cbrt(−q/2 + sqrt(q²/4 + p³/27)); odd symmetry for u < 0.
        let p = A / B;
        let half_q = (u.abs() / B) / 2.0;
        let t = (half_q + (half_q * half_q + p * p * p / 27.0).sqrt()).cbrt();
        (t - p / (3.0 * t)).copysign(u)
    };
    for _ in 0..3 {
        let g = y * B.mul_add(y * y, A) - u;
        let dg = (3.0 * B).mul_add(y * y, A);
        y -= g / dg;
    }
    y
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Akka's own formula, transcribed from the JVM code's arithmetic.
    fn jvm_phi(y: f64) -> f64 {
        let e = (-y * (A + B * y * y)).exp();
        if y > 0.0 {
            -(e / (1.0 + e)).log10()
        } else {
            -(1.0 - 1.0 / (1.0 + e)).log10()
        }
    }

    #[test]
    fn matches_the_jvm_formula_wherever_it_is_finite() {
        // JVM reference: the transcription above. Agreement to 1e-12 relative
        // from deep below the mean to just before the JVM overflows.
        let mut y = -15.0;
        while y < 21.0 {
            let ours = phi_from_y(y);
            let jvm = jvm_phi(y);
            assert!(jvm.is_finite());
            // Relative agreement, plus an absolute allowance near phi = 0
            // where the JVM's `1 − 1/(1 + e)` rounds to 1 (phi 0) and ours
            // keeps the tiny true value.
            assert!(
                (ours - jvm).abs() <= 1e-12 * jvm.abs() + 1e-15,
                "y {y}: ours {ours} jvm {jvm}"
            );
            y += 0.01;
        }
    }

    #[test]
    fn stays_finite_where_the_jvm_overflows() {
        // The JVM formula reports infinity here.
        assert!(jvm_phi(30.0).is_infinite());
        // u = 30·(1.5976 + 0.070566·900) = 30·65.107 = 1953.21; phi = u / ln 10.
        let expected = 1953.21 / LN_10;
        assert!((phi_from_y(30.0) / expected - 1.0).abs() < 1e-14);
        assert!(phi_from_y(1e6).is_finite());
        assert!(phi_from_y(1e100).is_finite());
        assert!(phi_from_y(1e6) > phi_from_y(1e5));
    }

    #[test]
    fn cubic_root_solves_the_cubic() {
        for u in [-1e6, -3.0, -1e-9, 1e-12, 0.5, 18.42, 745.0, 1e30] {
            let y = solve_cubic(u);
            let back = y * (A + B * y * y);
            assert!(
                (back - u).abs() <= 1e-12 * u.abs(),
                "u {u} y {y} back {back}"
            );
        }
    }
}
