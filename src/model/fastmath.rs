//! Table-driven elementary functions and polynomial helpers shared by the
//! suspicion models (`normal_tail` and `akka`).
//!
//! Everything here uses only `+ - * /` and bit operations on binary64, so a
//! result is bit-for-bit the same on every IEEE platform, which the table
//! generators rely on when they replay the evaluation in Python, and the
//! hot paths contain no library call (without a target FMA, `mul_add` and
//! `f64::exp` are calls).
//!
//! * [`exp_sum`]: `e^x` in the style of Tang (ACM TOMS 15(2),
//!   1989): `x = k ln2/64 + r` with a Cody–Waite split of `ln2/64`, a
//!   64-entry table of `2^(j/64)` stored as a hi + lo pair, and a degree-5
//!   polynomial for `e^r - 1`; about 0.53 ulp. The argument is taken as an
//!   unevaluated sum `xh + xl`, so a large `xh` costs no accuracy.
//! * [`ln_ge1`]: `ln x` for `x >= 1` (Tang, ACM TOMS 16(4), 1990) with a
//!   32-entry table around `1 + (j + 1/2)/32`.
//! * [`split_index_at`]: the piece index and the exact local variable of a
//!   piecewise table, by the `1.5 * 2^52` shifter.
//! * [`piece8`], [`piece10`]: a degree-7 or degree-9 table piece,
//!   evaluated so that increasing convex pieces stay monotone between
//!   adjacent arguments; [`poly9`]: a plain degree-8 polynomial.
//! * [`split`]: Veltkamp/Dekker splitting (Dekker, Numer. Math. 18, 1971).
//!
//! The tables (`generated/exp_ln.rs`) are written by
//! `tools/gen_normal_tail.py` (the normal tail needed them first), computed
//! with mpmath from first principles; nothing is copied from another
//! library.
//!
//! # Monotone table pieces
//!
//! [`piece10`] (and [`piece8`]) evaluate an increasing convex piece as
//! `c0 + t (c1 + z(q))`, with `z(q) = q (c2 + c3 q + ...)` at the multiple
//! `q` of `2^-49` nearest to `t`, so that the result never decreases as `t`
//! grows, even between adjacent doubles where the function moves by less
//! than an ulp.
//!
//! For a convex piece, `z(t) = (p(t) - c0)/t - c1` increases with `t`, and
//! on our pieces `z <= 1.1 t z'`. From one grid
//! point to the next, `z` therefore grows by at least
//! `z'·2^-49 >= z·2^-49/(1.1 q)`, which exceeds the evaluation errors at
//! both points together: the usual rounding-error bound gives at most
//! `5.7·2^-53·z` each when `|c3| + |c4| + ... <= c2/8`, a margin of 1.28
//! (the actual errors are smaller; the generators check the conditions on
//! every piece and measure the margin on samples, at least 2.5). So the
//! computed `z(q)` is a non-decreasing step function of `t`. The three
//! outer operations then combine only non-negative, non-decreasing,
//! separately rounded quantities (`t`, `c1 + z`, their product, `c0 +` it),
//! and rounding preserves order, so the result cannot decrease.
//! Evaluating `z` at `t` itself instead lets its rounding noise step back
//! by an ulp from one `t` to the next; that surfaced as 1-ulp decreases of
//! phi in about 1 of 10^8 adjacent pairs where phi is flattest. Rounding
//! `t` changes the result by at most `t z'·2^-50`, below 4e-17 relative on
//! our tables (a third of an ulp at worst).

use std::f64::consts::LN_2;

/// `1.5 * 2^52`: adding it rounds a double of magnitude `< 2^51` to an integer.
pub(crate) const SHIFTER: f64 = 6_755_399_441_055_744.0;
/// `2^27 + 1`, Veltkamp's splitting constant for binary64.
pub(crate) const SPLITTER: f64 = 134_217_729.0;
/// `2^-200`.
pub(crate) const TWO_M200: f64 = 6.223_015_277_861_142e-61;

// The tables and constants of `exp_sum` and `ln_ge1` (`EXP_*`, `LN_*`,
// `INV_C`, `LN2_N_HI`, `LN2_N_LO`, `N_OVER_LN2`), written by
// tools/gen_normal_tail.py.
include!("generated/exp_ln.rs");

/// The piece of a table with pieces `[n, n + 1]` in `s`: `n = round(s -
/// 1/2)` (ties to even) as a double, and `n + off` as an index, where
/// `shift = SHIFTER + off` (`off` a non-negative integer); valid while
/// `0 <= n + off < 2^32` and `|s| < 2^50`.
///
/// So `n = floor(s)` except at integers, where `n` may be `s - 1`; then
/// `t = s - n = 1` evaluates the previous piece at its right end, which the
/// generators make consistent with the next piece. `n` never decreases as
/// `s` grows. `t = s - n` lies in `[0, 1]` and is exact, except on
/// `-1 < s < 0`, where `t = s + 1` is rounded once (by at most `2^-54`,
/// still monotone), and on `-2^-54 <= s < 0`, where `n = 0` and `t = s` is
/// a tiny negative number (the piece then extrapolates by far less than
/// half an ulp of its value). The shifter trick avoids the float/int round
/// trip (and `cvtsi2sd`'s false dependency).
#[inline(always)]
pub(crate) fn split_index_at(s: f64, shift: f64) -> (usize, f64) {
    let r = (s - 0.5) + shift;
    let n = r - shift;
    ((r.to_bits() & 0xFFFF_FFFF) as usize, n)
}

/// `c[0] + c[1] t + c[2] t^2 + c[3] t^3` by Estrin's scheme.
#[inline(always)]
fn poly4(c: &[f64; 4], t: f64) -> f64 {
    let t2 = t * t;
    (c[0] + c[1] * t) + t2 * (c[2] + c[3] * t)
}

/// Degree-5 polynomial by Estrin's scheme.
#[inline(always)]
fn poly6(c: &[f64; 6], t: f64) -> f64 {
    let t2 = t * t;
    let p01 = c[0] + c[1] * t;
    let p23 = c[2] + c[3] * t;
    let p45 = c[4] + c[5] * t;
    (p01 + t2 * p23) + (t2 * t2) * p45
}

/// Degree-8 polynomial: two Horner steps on top of an Estrin core,
/// `c0 + t (c1 + t e(t))` with `e = c2 + ... + c8 t^6` by Estrin's scheme
/// (half the latency of plain Horner). For smooth, well-conditioned
/// polynomials such as the asymptotic correction of `normal_tail`; table
/// pieces that must stay monotone use [`piece10`].
#[inline(always)]
pub(crate) fn poly9(c: &[f64; 9], t: f64) -> f64 {
    let t2 = t * t;
    let t4 = t2 * t2;
    let p23 = c[2] + c[3] * t;
    let p45 = c[4] + c[5] * t;
    let p67 = c[6] + c[7] * t;
    let e = (p23 + t2 * p45) + t4 * (p67 + t2 * c[8]);
    c[0] + t * (c[1] + t * e)
}

/// `1.5 * 2^3`: `(t + Q_GRID) - Q_GRID` rounds `t ∈ [-4, 4]` to a multiple
/// of `2^-49` (the spacing of the doubles in `[8, 16)`).
pub(crate) const Q_GRID: f64 = 12.0;

/// A degree-7 table piece, in the scheme of [`piece10`]:
/// `c0 + t (c1 + z(q))` with `z(q) = q (c2 + c3 q + ... + c7 q^5)`.
#[inline(always)]
pub(crate) fn piece8(c: &[f64; 8], t: f64) -> f64 {
    let q = (t + Q_GRID) - Q_GRID;
    let q2 = q * q;
    let q4 = q2 * q2;
    let p23 = c[2] + c[3] * q;
    let p45 = c[4] + c[5] * q;
    let p67 = c[6] + c[7] * q;
    let e = (p23 + q2 * p45) + q4 * p67;
    c[0] + t * (c[1] + q * e)
}

/// A degree-9 table piece `c0 + c1 t + ... + c9 t^9` on `t ∈ [0, 1]`,
/// evaluated so that the result never decreases as `t` grows when the
/// piece is increasing and convex (every piece of our tables is):
///
/// `c0 + t (c1 + z(q))` with `z(q) = q (c2 + c3 q + ... + c9 q^7)` and `q`
/// the multiple of `2^-49` nearest to `t`; the inner polynomial by Estrin's
/// scheme, which halves the latency of Horner's. (The same holds for the
/// degree-7 [`piece8`].)
///
/// Why this order keeps such pieces monotone is argued in the module
/// documentation ("Monotone table pieces"). The operation order is
/// replayed by the generators.
#[inline(always)]
pub(crate) fn piece10(c: &[f64; 10], t: f64) -> f64 {
    let q = (t + Q_GRID) - Q_GRID;
    let q2 = q * q;
    let q4 = q2 * q2;
    let p23 = c[2] + c[3] * q;
    let p45 = c[4] + c[5] * q;
    let p67 = c[6] + c[7] * q;
    let p89 = c[8] + c[9] * q;
    let e = (p23 + q2 * p45) + q4 * (p67 + q2 * p89);
    c[0] + t * (c[1] + q * e)
}

/// Veltkamp split `w = hi + lo` with `hi` of at most 26 significant bits,
/// so `hi * hi` and `hi * lo` are exact (valid for `|w| < 2^996`).
#[inline(always)]
pub(crate) fn split(w: f64) -> (f64, f64) {
    let c = w * SPLITTER;
    let hi = c - (c - w);
    (hi, w - hi)
}

/// `e^(xh + xl)` for `-760 < xh + xl <= 0`, accurate to about 0.53 ulp.
///
/// `xh` is large and a multiple of `2^-47` (as `-w^2/2` with `w` split in
/// two 26-bit halves is, and any `|xh| >= 32`), `xl` a small correction
/// (|xl| below ~10); keeping them apart avoids rounding the large argument.
/// Results below the normal range are rounded once to the subnormal (or
/// zero) result.
#[inline(always)]
pub(crate) fn exp_sum(xh: f64, xl: f64) -> f64 {
    // k = round((xh + xl) * 64/ln2), by the 1.5*2^52 shifter.
    let kf = (xh + xl) * N_OVER_LN2 + SHIFTER;
    let ki = kf.to_bits() as i64 - SHIFTER.to_bits() as i64;
    let kd = kf - SHIFTER;
    // kd * LN2_N_HI is exact and xh - kd * LN2_N_HI is exact (both are
    // multiples of 2^-47 and the difference is small), so r is accurate.
    let r = ((xh - kd * LN2_N_HI) + xl) - kd * LN2_N_LO;
    exp_tail(ki, r)
}

/// `2^(k/64) e^r` for `|r| <= 1.02 ln2/128` and `k >= -70_000`.
#[inline(always)]
fn exp_tail(ki: i64, r: f64) -> f64 {
    let j = (ki & 63) as usize;
    let e = ki >> 6;
    let em1 = r + (r * r) * poly4(&EXP_P, r);
    let th = EXP_T_HI[j];
    let v = th + (th * em1 + EXP_T_LO[j]);
    if e >= -1022 {
        v * f64::from_bits(((e + 1023) as u64) << 52)
    } else {
        // Two steps: the first product is exact, the second rounds once.
        (v * f64::from_bits(((e + 1223) as u64) << 52)) * TWO_M200
    }
}

/// Natural logarithm for normal `x >= 1` (used for `10 <= x <= 2^500`).
///
/// Absolute error below `1e-15` for `x < 2^10` and about `e * 1e-16`
/// for `x ≈ 2^e`, far below what `phi` needs there.
#[inline(always)]
pub(crate) fn ln_ge1(x: f64) -> f64 {
    let b = x.to_bits();
    // The biased exponent as a double, via 2^52 + e_biased (no int/float
    // conversion instruction, hence no false dependency).
    let e = f64::from_bits(0x4330_0000_0000_0000 | (b >> 52)) - (4_503_599_627_370_496.0 + 1023.0);
    let j = ((b >> 47) & 31) as usize;
    let mbits = (b & 0x000F_FFFF_FFFF_FFFF) | 0x3FF0_0000_0000_0000;
    let m = f64::from_bits(mbits);
    // c = 1 + (j + 1/2)/32: m truncated to 5 fraction bits, plus 2^-6.
    // m - c is exact (Sterbenz).
    let c = f64::from_bits((mbits & !((1 << 47) - 1)) | (1 << 46));
    let r = (m - c) * INV_C[j];
    (e * LN_2 + LN_C[j]) + (r + (r * r) * poly6(&LN_P, r))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel_err(got: f64, want: f64) -> f64 {
        ((got - want) / want).abs()
    }

    #[test]
    fn constants_are_what_they_claim() {
        assert_eq!(TWO_M200, 2f64.powi(-200));
        assert_eq!(SHIFTER, 1.5 * 2f64.powi(52));
        assert_eq!(SPLITTER, 2f64.powi(27) + 1.0);
        assert_eq!(LN2_N_HI + LN2_N_LO, LN_2 / 64.0);
        assert!(rel_err(N_OVER_LN2, 64.0 / LN_2) < 2e-16);
        assert_eq!(Q_GRID, 1.5 * 8.0);
    }

    #[test]
    fn inline_exp_and_ln_agree_with_std() {
        let mut worst_exp: f64 = 0.0;
        for i in 0..=20_000 {
            let x = -708.0 * f64::from(i) / 20_000.0;
            let got = exp_sum(x, 0.0);
            let want = x.exp();
            worst_exp = worst_exp.max(rel_err(got, want));
        }
        // Both are within ~0.5 ulp of e^x.
        assert!(worst_exp < 3e-16, "exp: {worst_exp:e}");
        // Subnormal results are rounded once and never negative.
        assert!(exp_sum(-740.0, 0.0) > 0.0 && exp_sum(-740.0, 0.0) < 1e-320);
        assert_eq!(exp_sum(-760.0, 0.0), 0.0);
        let mut worst_ln: f64 = 0.0;
        for i in 0..=20_000 {
            let x = 10f64.powf(1.0 + 149.0 * f64::from(i) / 20_000.0);
            worst_ln = worst_ln.max((ln_ge1(x) - x.ln()).abs() / x.ln());
        }
        assert!(worst_ln < 6e-16, "ln: {worst_ln:e}");
    }

    #[test]
    fn split_index_at_gives_exact_local_variables() {
        let shift = SHIFTER + 8.0;
        // Piece boundaries and their neighbours on both sides of zero.
        for k in -7..=8 {
            let b = f64::from(k);
            for s in [b.next_down(), b, b.next_up(), b + 0.5] {
                let (i, n) = split_index_at(s, shift);
                assert_eq!(i as f64, n + 8.0, "s {s}");
                let t = s - n;
                // The documented exception just below zero: t = s.
                let lo = if s < 0.0 && s >= -(2f64.powi(-54)) {
                    s
                } else {
                    0.0
                };
                assert!(t >= lo && t <= 1.0, "s {s}: n {n}, t {t}");
                assert_eq!(n.fract(), 0.0);
            }
        }
        // The one documented exception: tiny negative s stays in piece 0.
        let (i, n) = split_index_at(-1e-300, shift);
        assert_eq!((i, n), (8, 0.0));
    }
}
