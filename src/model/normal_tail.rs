//! Upper tail of the standard normal distribution in log space.
//!
//! The phi accrual detector reports `phi = -log10 Q(z)`, where
//! `Q(z) = P(X > z)` for `X ~ N(0, 1)` and `z = (elapsed - mean) / std`.
//! Computing `Q` first and taking its logarithm breaks down twice: `1 - cdf`
//! cancels catastrophically from `z ≈ 8` on, and `Q` itself underflows near
//! `z ≈ 38`, after which the usual implementations report `+inf`. This module
//! never forms `Q(z)` for `z > 0`; it evaluates `phi` directly, so the result
//! is finite and relatively accurate for every finite `z`.
//!
//! # Method, by range of `z`
//!
//! Write `w = -z` when `z < 0`, `M(z) = Q(z) / pdf(z)` for Mills' ratio and
//! `c(u) = ln(z M(z))` with `u = 1/z^2`; `c(u) = -u + 5u^2/2 - ...` is tiny
//! and smooth for `z >= 10` (Abramowitz & Stegun 7.1.23 / 26.2.12 give the
//! asymptotic series; we do not use the divergent series itself, only a fit
//! of the exact function).
//!
//! | range                | formula                                                          |
//! |----------------------|------------------------------------------------------------------|
//! | NaN, `-inf`          | `0.0` (documented convention)                                    |
//! | `z < -38.7`          | `0.0` (the true value is below half the smallest subnormal)      |
//! | `-38.7 <= z <= -10`  | `phi = exp(-w^2/2 + c(1/w^2) - ln(sqrt(2 pi) ln 10)) / w`         |
//! | `-10 < z < 0`        | `phi` tabulated directly (320 pieces of width 1/32)              |
//! | `0 <= z < 10`        | `phi` tabulated directly (40 pieces of width 1/4)                |
//! | `10 <= z <= 2^500`   | `phi = (z^2/2 + ln z + ln sqrt(2 pi) - c(1/z^2)) / ln 10`         |
//! | `z > 2^500`, `+inf`  | `phi = z^2 / (2 ln 10)` (scaled), saturating at `f64::MAX`       |
//!
//! For `w >= 10` the difference between `-ln(1 - Q(w))` and `Q(w)` is below
//! `1e-23` relative and is dropped; below, it is part of the table.
//!
//! The two tabulated ranges form one table of 360 pieces: `s = 32 z` below
//! zero and `s = 4 z` above (one select of the power-of-two scale, so `s`
//! is exact), piece `n = floor(s)` stored at index `n + 320`, and a degree-9
//! polynomial in the local variable `t = s - n ∈ [0, 1]`, exact as well
//! (see `fastmath::split_index_at`). So the whole range `-10 < z < 10`
//! costs the same lookup and polynomial, without a branch that depends on
//! `z`. The narrow pieces below zero follow phi's relative slope, which
//! grows like `w`: across a piece of width 1/32 phi changes by at most a
//! factor `e^0.32`. The coefficients are the Chebyshev interpolant
//! (first-kind nodes) of the exact function, computed with mpmath at 60
//! digits (interpolation error below 4e-18 relative), converted to the
//! monomial basis and rounded to binary64, with the constant term set to
//! the correctly rounded value at the left end; `d(u) = c(u)/u` is one
//! degree-8 interpolant on `u ∈ [0, 1/100]`. The tables
//! (`generated/normal_tail.rs`) are written by `tools/gen_normal_tail.py`,
//! which documents the procedure and re-checks the result; nothing is
//! copied from another library. `.ci/run` runs the generator with
//! `--check`, so the committed tables are always the ones it produces.
//!
//! The exponential and the logarithm of the asymptotic ranges are our own
//! table-driven routines in `fastmath` (shared with the Akka model), in
//! the style of Tang (ACM TOMS 15(2), 1989 and 16(4), 1990). For `w >= 10`
//! the exponential takes its argument as an unevaluated sum `xh + xl`, with
//! `w^2/2` formed exactly by Veltkamp/Dekker splitting (Dekker, Numer. Math.
//! 18, 1971), so the size of `w^2/2` (up to 750) costs no accuracy. Own
//! routines keep the hot path free of library calls and make the result
//! bit-for-bit identical on every IEEE platform (only `+ - * /` and bit
//! operations are used), which the generator relies on when it replays the
//! evaluation.
//!
//! # Accuracy
//!
//! Against a 50-digit mpmath reference (`tests/data/normal_tail_reference.csv`,
//! written by `tools/gen_normal_tail_reference.py`, 3114 points on
//! `[-40, 1e16]`) the worst relative error is 4.0e-16 (at `z = -14.125`, in
//! the asymptotic range), and 1.8e-16 in the tabulated range
//! `-10 < z < 10`; the generator's own check of 2500 further points gives
//! 4.4e-16. That is about two ulps, against a public requirement of 1e-9.
//! For `z ≲ -37.5` the true `phi` is subnormal; there the result is
//! non-negative but only absolutely accurate, and it is exactly `0.0`
//! below `z = -38.7`.
//!
//! # Monotonicity
//!
//! `phi_from_z` never decreases as `z` increases, also between adjacent
//! doubles. In the flat region around `z = 0`, where `phi` moves by less
//! than an ulp per step of `z`, this rests on the evaluation order of
//! `fastmath::piece10`: the pieces are increasing and convex in `t`, the
//! curvature part is evaluated on a `2^-49` grid of `t` where it provably
//! grows from one grid point to the next, and the outer steps combine only
//! non-decreasing, separately rounded quantities (the plain form
//! `c0 + t (c1 + t e(t))`, with `e` evaluated at `t` itself, does decrease
//! between some adjacent pairs near `z = 0.2`). Elsewhere `phi` moves by several
//! ulps per step, far more than the evaluation error. At every piece
//! boundary the generator replays the evaluation in binary64 and lowers the
//! linear coefficient by single ulps until each piece ends at or below the
//! value where the next begins. Checked by the tests (boundary walks and
//! 10^7 adjacent pairs in the flat region, and adjacent local variables in
//! the flattest pieces) and offline by 8.5e9 adjacent pairs in release mode
//! (from z = -38.8 to 1000, densely around z = 0).
//!
//! # Speed
//!
//! The tabulated range `-10 < z < 10` costs the same everywhere: a
//! `minsd`, one lookup and one degree-9 polynomial, no division, no
//! library call and no branch that depends on `z`. A single table for both
//! signs, rather than separate formulas for small, moderate and large `|z|`,
//! avoids both the extra exponential the moderate negative range would need
//! and mispredicted branches between ranges when the silence moves across
//! them (BENCHMARKS.md has `phi/normal`). `z >= 10` adds an inline
//! logarithm and one division; `z <= -10` splitting, one division and the
//! inline `e^x`.

use super::fastmath::{exp_sum, ln_ge1, piece10, poly9, split, split_index_at, SHIFTER, TWO_M200};
use std::f64::consts::{LN_10, LOG10_E, SQRT_2};

/// One table piece: coefficients of `t^0 .. t^9`.
type Poly = [f64; 10];

/// Pieces per unit of `z` below zero.
const NEG_SCALE: f64 = 32.0;
/// Pieces per unit of `z` from zero on.
const POS_SCALE: f64 = 4.0;
/// The table covers `S_LO < s < S_HI`, i.e. `-10 < z < 10`.
const S_LO: f64 = -320.0;
const S_HI: f64 = 40.0;
/// `SHIFTER + 320`: the piece with left end `s = n` is `TAB[n + 320]`.
const TAB_SHIFT: f64 = SHIFTER + 320.0;
/// Start of both asymptotic ranges (`|z| >= 10`, i.e. `u <= 1/100`).
const ASYM_START: f64 = 10.0;
/// Below `z = -W_ZERO` the correctly rounded `phi` is `0.0`.
const W_ZERO: f64 = 38.7;
/// `2^500`: above it `z * z` could overflow, so `z` is scaled first.
const HUGE_Z: f64 = 3.273_390_607_896_142e150;
/// `2^400`.
const TWO_P400: f64 = 2.582_249_878_086_908_6e120;

// `TAB`, `ASYM`, `C1` and `C2`, written by tools/gen_normal_tail.py.
include!("generated/normal_tail.rs");

/// `-log10 Q(z)`, the phi accrual suspicion level for a standardized delay `z`.
///
/// `Q(z) = P(X > z)` for a standard normal `X`. The result is finite,
/// non-negative and relatively accurate (measured worst 4.0e-16,
/// see the module documentation) for every finite `z`, including `z = 1e16`
/// where `Q` itself is far below the smallest double. For negative `z` the
/// result is `-log10(1 - Q(-z)) ≈ Q(-z)/ln 10`, relatively accurate down to
/// the subnormal range (`z ≈ -37.5`) and exactly `0.0` below `z = -38.7`.
/// The function is non-decreasing in `z`, also between adjacent floats.
///
/// Conventions for non-finite input (callers never pass them): NaN and
/// `-inf` give `0.0`, `+inf` gives `f64::MAX`. Above `z ≈ 2.9e154` the true
/// value exceeds `f64::MAX` and the result saturates at `f64::MAX`.
#[inline]
pub(crate) fn phi_from_z(z: f64) -> f64 {
    // s = 32 z below zero and 4 z from zero on, both exact: the smaller of
    // the two products, which needs no branch on the sign of z (a `minsd`).
    let (below, above) = (z * NEG_SCALE, z * POS_SCALE);
    let s = if below < above { below } else { above };
    if s > S_LO && s < S_HI {
        let (i, n) = split_index_at(s, TAB_SHIFT);
        return piece10(&TAB[i.min(TAB.len() - 1)], s - n);
    }
    tails(z)
}

/// `phi(z)` for `|z| >= 10`, infinities and NaN.
#[inline]
fn tails(z: f64) -> f64 {
    if z >= ASYM_START {
        return upper_asymptotic(z);
    }
    if z.is_nan() || z < -W_ZERO {
        return 0.0;
    }
    lower_asymptotic(-z)
}

/// `phi(-w)` for `10 <= w <= 38.7`, through the inline exponential.
#[inline(always)]
fn lower_asymptotic(w: f64) -> f64 {
    // phi = Q(w)/ln 10 = exp(-w^2/2 + c(u) - ln(sqrt(2 pi) ln 10)) / w,
    // with -w^2/2 = xh - (wh wl + wl^2/2) and xh exact.
    let (wh, wl) = split(w);
    let xh = -0.5 * (wh * wh);
    let cross = wh * wl + 0.5 * (wl * wl);
    let r = 1.0 / w;
    let u = r * r;
    exp_sum(xh, (u * poly9(&ASYM, u) - C2) - cross) * r
}

/// `phi(z)` for `z >= 10` (including `+inf`).
#[inline(always)]
fn upper_asymptotic(z: f64) -> f64 {
    if z > HUGE_Z {
        // ln z and the rest are far below an ulp of z^2/2 here. Scaling by
        // powers of two keeps the rounding identical to the formula below.
        let s = z * TWO_M200;
        let p = (0.5 * (s * s)) * LOG10_E * TWO_P400;
        return if p <= f64::MAX { p } else { f64::MAX };
    }
    // -ln Q(z) = z^2/2 + ln z + ln sqrt(2 pi) - c(u), with c(u) = u d(u).
    let r = 1.0 / z;
    let u = r * r;
    let b = (ln_ge1(z) + C1) - u * poly9(&ASYM, u);
    (0.5 * (z * z) + b) * LOG10_E
}

/// The `z` at which [`phi_from_z`] reaches `phi`: the smallest double `z`
/// with `phi_from_z(z) >= phi`, so that `phi_from_z(z) >= phi` and
/// `phi_from_z(z_prev) < phi` for the next double `z_prev` below `z`.
///
/// Intended for `phi` in `(0, f64::MAX]` (callers validate `phi > 0` and
/// finite). Other input, without panicking: `phi <= 0` (every `z` qualifies)
/// gives `f64::NEG_INFINITY`; NaN and `+inf` (no `z` qualifies) give
/// `f64::INFINITY`.
///
/// Method: a closed-form asymptotic starting point, at most 16 safeguarded
/// Newton steps on `ln phi(z) - ln phi` inside a bracket that always keeps
/// `phi_from_z(lo) < phi <= phi_from_z(hi)`, then calibration on the
/// binary64 grid itself: a doubling search of at most 64 ulp steps
/// from the Newton result, followed by bisection over the ordered bit
/// patterns (at most 66 steps). All loops are bounded. Typically 5 to 20
/// evaluations of `phi_from_z`, more for a subnormal `phi` (below
/// 2.2e-308), where subnormal arithmetic is also slow: it runs once per
/// threshold, not per query.
pub(crate) fn z_from_phi(phi: f64) -> f64 {
    if phi.is_nan() || phi == f64::INFINITY {
        return f64::INFINITY;
    }
    if phi <= 0.0 {
        return f64::NEG_INFINITY;
    }
    let p = phi;
    // phi_from_z(lo) = 0 < p.
    let mut lo = -W_ZERO - 1.0;
    // Q(z) <= exp(-z^2/2)/2 for z >= 0, so phi(z) > z^2/(2 ln 10) and
    // z = sqrt(2 ln10 p) + 1 is above the answer (or phi saturates at MAX).
    let mut hi = (2.0 * LN_10).sqrt() * p.sqrt() + 1.0;
    let mut guard = 0;
    while phi_from_z(hi) < p && guard < 8 {
        hi *= 2.0;
        guard += 1;
    }
    if phi_from_z(hi) < p {
        return f64::INFINITY; // unreachable for p <= f64::MAX; stay total
    }

    let guess = initial_guess(p);
    // max/min rather than clamp: never panics, whatever the bounds.
    let mut z = if guess.is_finite() {
        guess.max(lo).min(hi)
    } else {
        0.0
    };
    for _ in 0..16 {
        let f = phi_from_z(z);
        if f >= p {
            hi = z;
        } else {
            lo = z;
        }
        if (f - p).abs() <= 4.0 * f64::EPSILON * p {
            // Within a few ulps of phi (flat region): calibration finishes.
            break;
        }
        let slope = dln_phi_dz(z, f);
        let next = if f > 0.0 && slope > 0.0 && slope.is_finite() {
            z - (f.ln() - p.ln()) / slope
        } else {
            f64::NAN
        };
        if (next - z).abs() <= 4.0 * f64::EPSILON * z.abs() {
            // Within a few ulps of z (steep region): calibration finishes.
            break;
        }
        // Safeguard: a step that leaves the bracket is replaced by bisection.
        z = if next > lo && next < hi {
            next
        } else {
            0.5 * lo + 0.5 * hi
        };
    }
    calibrate(z, p, lo, hi)
}

/// Starting point for [`z_from_phi`] from the leading asymptotics.
fn initial_guess(p: f64) -> f64 {
    let ln_q_target;
    let sign;
    if p >= std::f64::consts::LOG10_2 {
        // -ln Q(z) = p ln 10 with z >= 0.
        let big_l = p * LN_10;
        if !big_l.is_finite() {
            return (2.0 * LN_10).sqrt() * p.sqrt();
        }
        ln_q_target = -big_l;
        sign = 1.0;
    } else {
        // Q(w) = 1 - 10^-p with z = -w <= 0.
        ln_q_target = (-(-p * LN_10).exp_m1()).ln();
        sign = -1.0;
    }
    if (0.1..0.6).contains(&p) {
        // Near z = 0: phi ≈ log10 2 + phi'(0) z with phi'(0) = 2 pdf(0)/ln 10.
        return (p - std::f64::consts::LOG10_2) / 0.346_516_861_952_484;
    }
    // w^2/2 + ln w + ln sqrt(2 pi) = -ln Q, solved by fixed-point steps
    // (written as sqrt(2) sqrt(.) so that nothing overflows).
    let mut w = SQRT_2 * (-ln_q_target).sqrt();
    for _ in 0..3 {
        w = SQRT_2 * (-(ln_q_target + C1 + w.max(1.0).ln())).max(0.0).sqrt();
    }
    sign * w
}

/// Derivative of `ln phi(z)` with respect to `z`, given `f = phi(z)`
/// (only used as a Newton slope, so modest accuracy suffices).
fn dln_phi_dz(z: f64, f: f64) -> f64 {
    // Hazard pdf(z)/Q(z) for large z: 1/M(z) = z + 1/z - 2/z^3 + ...
    fn hazard_asym(x: f64) -> f64 {
        x + 1.0 / x - 2.0 / (x * x * x)
    }
    if z <= -8.0 {
        // phi ≈ Q(w)/ln 10, so d ln phi/dz = hazard(w).
        return hazard_asym(-z);
    }
    let hazard = if z >= 8.0 {
        hazard_asym(z)
    } else {
        // Q(z) = 10^-f, so pdf/Q = exp(f ln 10 - z^2/2) / sqrt(2 pi).
        (f * LN_10 - 0.5 * z * z - C1).exp()
    };
    hazard / (LN_10 * f)
}

/// Order-preserving map from doubles to integers (`-0.0` and `0.0` share 0).
fn ordered_key(x: f64) -> i64 {
    let b = x.to_bits() as i64;
    if b < 0 {
        -(b & i64::MAX)
    } else {
        b
    }
}

/// Inverse of [`ordered_key`].
fn from_ordered_key(k: i64) -> f64 {
    if k < 0 {
        f64::from_bits(k.unsigned_abs() | (1 << 63))
    } else {
        f64::from_bits(k as u64)
    }
}

/// Smallest double in `(lo, hi]` with `phi_from_z >= p`, given
/// `phi_from_z(lo) < p <= phi_from_z(hi)` and a good guess `z`.
fn calibrate(z: f64, p: f64, lo: f64, hi: f64) -> f64 {
    let mut klo = ordered_key(lo) as i128;
    let mut khi = ordered_key(hi) as i128;
    let kz = (ordered_key(z) as i128).max(klo + 1).min(khi);
    let at = |k: i128| phi_from_z(from_ordered_key(k as i64));
    // Doubling search from the guess, to get a narrow bracket cheaply.
    let mut step: i128 = 1;
    if at(kz) >= p {
        khi = kz;
        for _ in 0..64 {
            let c = khi - step;
            if c <= klo {
                break;
            }
            if at(c) < p {
                klo = c;
                break;
            }
            khi = c;
            step *= 2;
        }
    } else {
        klo = kz;
        for _ in 0..64 {
            let c = klo + step;
            if c >= khi {
                break;
            }
            if at(c) >= p {
                khi = c;
                break;
            }
            klo = c;
            step *= 2;
        }
    }
    // Bisection on the ordered keys; the key range is below 2^64.
    for _ in 0..66 {
        if khi - klo <= 1 {
            break;
        }
        let mid = klo + (khi - klo) / 2;
        if at(mid) >= p {
            khi = mid;
        } else {
            klo = mid;
        }
    }
    from_ordered_key(khi as i64)
}

#[cfg(test)]
mod tests;
