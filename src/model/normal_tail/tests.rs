//! Tests of the normal tail: against the high-precision reference, at
//! hand-checkable anchors, for monotonicity between adjacent doubles and
//! inside table pieces, and for the calibrated inverse.

use super::*;
use crate::model::monotone_checks;
use rand::RngExt;

/// 50-digit mpmath values of `-log10 Q(z)`, written by
/// `tools/gen_normal_tail_reference.py`.
const REFERENCE: &str = include_str!("../../../tests/data/normal_tail_reference.csv");

/// Bound asserted against the reference table. The measured worst case
/// is 4.0e-16; the result is bit-for-bit the same on every IEEE platform.
/// The public requirement is 1e-9.
const REL_TOL: f64 = 1e-15;

fn reference_rows() -> Vec<(f64, f64)> {
    let mut rows = Vec::new();
    for (n, line) in REFERENCE.lines().enumerate() {
        let line = line.trim();
        if n == 0 || line.is_empty() {
            assert!(n != 0 || line == "z,phi", "unexpected header {line:?}");
            continue;
        }
        let (z, phi) = line.split_once(',').expect("two columns");
        let z: f64 = z.parse().expect("z parses");
        let phi: f64 = phi.parse().expect("phi parses");
        rows.push((z, phi));
    }
    rows
}

fn rel_err(got: f64, want: f64) -> f64 {
    ((got - want) / want).abs()
}

#[test]
fn matches_high_precision_reference() {
    let rows = reference_rows();
    assert!(
        rows.len() > 1500,
        "reference table too small: {}",
        rows.len()
    );
    let mut worst = (0.0, 0.0, 0.0, 0.0);
    for &(z, want) in &rows {
        let got = phi_from_z(z);
        assert!(got.is_finite() && got >= 0.0, "phi({z}) = {got}");
        if want >= f64::MIN_POSITIVE {
            let e = rel_err(got, want);
            if e > worst.0 {
                worst = (e, z, got, want);
            }
        } else {
            // Subnormal (or underflowed) true value: only absolute.
            assert!(got < 4.0 * f64::MIN_POSITIVE, "phi({z}) = {got}");
        }
    }
    let (e, z, got, want) = worst;
    assert!(
        e <= REL_TOL,
        "worst relative error {e:e} at z = {z:?}: got {got:e}, want {want:e}"
    );
    // Where the usual 1 - cdf and log(Q) implementations give +inf.
    for z in [38.0, 40.0, 100.0, 1e3, 1e4, 1e6, 1e8, 1e12, 1e16] {
        assert!(rows.iter().any(|r| r.0 == z), "reference lacks z = {z}");
    }
}

#[test]
fn hand_checkable_anchors() {
    // Q(0) = 1/2 by symmetry, so phi(0) = log10 2.
    assert_eq!(phi_from_z(0.0), std::f64::consts::LOG10_2);
    assert_eq!(phi_from_z(-0.0), std::f64::consts::LOG10_2);
    // Standard normal quantiles (Abramowitz & Stegun table 26.5, here to
    // 17 digits from mpmath: sqrt(2) erfinv(2p - 1)):
    // Q(1.2815515655446004) = 0.1, Q(1.6448536269514726) = 0.05,
    // Q(2.326347874040841) = 0.01, Q(3.0902323061678136) = 0.001.
    let quantiles = [
        (1.281_551_565_544_600_4, 1.0),
        (1.644_853_626_951_472_6, 1.301_029_995_663_981_2), // log10 20
        (2.326_347_874_040_841, 2.0),
        (3.090_232_306_167_813_6, 3.0),
    ];
    for (z, want) in quantiles {
        let got = phi_from_z(z);
        // z is rounded to binary64 (~1e-16); phi' z/phi <= 1.5 there.
        assert!(rel_err(got, want) < 1e-15, "phi({z}) = {got}, want {want}");
        // Lower tail: Q(-z) = 1 - Q(z).
        let q = 10f64.powf(-want);
        let lower = -(-q).ln_1p() / LN_10;
        let got = phi_from_z(-z);
        assert!(
            rel_err(got, lower) < 1e-14,
            "phi({}) = {got}, want {lower}",
            -z
        );
    }
    // Huge z: -ln Q(z) = z^2/2 + ln z + ln sqrt(2 pi) + 1/z^2 + O(z^-4)
    // (Mills' ratio expansion, A&S 26.2.12).
    for z in [1e3f64, 1e4, 1e6, 1e8, 1e12, 1e16, 1e100] {
        let neg_ln_q =
            0.5 * z * z + z.ln() + 0.5 * (2.0 * std::f64::consts::PI).ln() + 1.0 / (z * z);
        let want = neg_ln_q / LN_10;
        let got = phi_from_z(z);
        assert!(rel_err(got, want) < 1e-15, "phi({z}) = {got}, want {want}");
    }
    // z = 1e16: phi = 5e31/ln 10 to 31 digits.
    assert!(rel_err(phi_from_z(1e16), 2.171_472_409_516_259e31) < 1e-15);
    // Small negative z: phi ≈ Q(w)/ln 10 with Q(10) = 7.619853024160527e-24.
    let want = 7.619_853_024_160_527e-24 / LN_10;
    assert!(rel_err(phi_from_z(-10.0), want) < 1e-14);
}

#[test]
fn constants_are_what_they_claim() {
    assert_eq!(HUGE_Z, 2f64.powi(500));
    assert_eq!(TWO_P400, 2f64.powi(400));
    assert!(rel_err(C1, 0.5 * (2.0 * std::f64::consts::PI).ln()) < 2e-16);
    assert!(rel_err(C2, C1 + LN_10.ln()) < 2e-16);
    assert_eq!(TAB.len() as f64, S_HI - S_LO);
    assert_eq!(S_LO, -ASYM_START * NEG_SCALE);
    assert_eq!(S_HI, ASYM_START * POS_SCALE);
    assert_eq!(TAB_SHIFT, SHIFTER - S_LO);
    // Every piece increases and is convex at its left end (the
    // monotone evaluation of `piece10` relies on it).
    for (i, c) in TAB.iter().enumerate() {
        assert!(c[0] > 0.0 && c[1] > 0.0 && c[2] > 0.0, "piece {i}");
    }
}

#[test]
fn special_inputs() {
    assert_eq!(phi_from_z(f64::NAN), 0.0);
    assert_eq!(phi_from_z(f64::NEG_INFINITY), 0.0);
    assert_eq!(phi_from_z(f64::INFINITY), f64::MAX);
    assert_eq!(phi_from_z(f64::MAX), f64::MAX);
    assert_eq!(phi_from_z(-f64::MAX), 0.0);
    assert_eq!(phi_from_z(-38.8), 0.0);
    assert_eq!(phi_from_z(f64::MIN_POSITIVE), std::f64::consts::LOG10_2);
    assert_eq!(phi_from_z(-5e-324), std::f64::consts::LOG10_2);
    // Largest z with phi below f64::MAX: z^2/(2 ln 10) < 1.8e308.
    let p = phi_from_z(2.8e154);
    assert!(p.is_finite() && p < f64::MAX && p > 1e308, "{p}");
    assert_eq!(phi_from_z(3e154), f64::MAX);
}

#[test]
#[cfg_attr(miri, ignore)]
fn finite_and_nonnegative_everywhere() {
    let mut rng = monotone_checks::rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..200_000 {
        // Random bit patterns cover every exponent, both signs.
        let z = f64::from_bits((rng.random::<f64>() * (u64::MAX as f64)) as u64);
        if z.is_nan() {
            continue;
        }
        let p = phi_from_z(z);
        assert!((0.0..=f64::MAX).contains(&p), "phi({z:e}) = {p}");
    }
}

#[test]
#[cfg_attr(miri, ignore)]
fn monotone_between_adjacent_doubles() {
    // Around every piece boundary and range switch.
    let mut edges: Vec<f64> = Vec::new();
    edges.extend((0..=40).map(|i| f64::from(i) / POS_SCALE));
    edges.extend((0..=320).map(|j| -f64::from(j) / NEG_SCALE));
    edges.extend([-W_ZERO, HUGE_Z, 1e154, 2.8e154, 2.9e154]);
    for &e in &edges {
        let mut z = e;
        for _ in 0..300 {
            z = z.next_down();
        }
        monotone_checks::walk_adjacent(phi_from_z, z, 600);
    }
    // Dense runs at many magnitudes, including the flat region near 0.
    let mut starts = vec![0.0, 5e-324, 1e-300, 1e-20, 1e-9, 1e-3];
    let mut rng = monotone_checks::rng(12345);
    for _ in 0..150 {
        starts.push(-38.0 + 48.0 * rng.random::<f64>());
    }
    for k in -8..=16 {
        starts.push(10f64.powi(k));
        starts.push(-(10f64.powi(k).min(38.0)));
    }
    for &z in &starts {
        monotone_checks::walk_adjacent(phi_from_z, z, 2_000);
    }
    // The flat region around z = 0, where phi moves by less than an ulp
    // per step of z and rounding could most easily run backwards. (The
    // plain evaluation `c0 + t (c1 + t e(t))` decreases about once per
    // 10^8 pairs around z = 0.2, for instance from 0.22801428235961685
    // to the next double down; `piece10` cannot.)
    for k in 0..40 {
        monotone_checks::walk_adjacent(
            phi_from_z,
            -1.0 + 3.0 * f64::from(k) / 40.0 + 1e-3 * rng.random::<f64>(),
            250_000,
        );
    }
    for k in 0..20 {
        monotone_checks::walk_adjacent(phi_from_z, 0.15 + 0.15 * f64::from(k) / 20.0, 100_000);
    }
    monotone_checks::walk_adjacent(phi_from_z, 0.228_014_282_359_616_85 - 1e-13, 100_000);
}

#[test]
#[cfg_attr(miri, ignore)]
fn pieces_are_monotone_in_the_local_variable() {
    // Directly at the level of `piece10`, over adjacent local variables
    // in the flattest pieces (around z = 0), where the table's output
    // moves by less than an ulp per step of t.
    monotone_checks::pieces_monotone(&TAB[300..336], piece10);
}

#[test]
#[cfg_attr(miri, ignore)]
fn monotone_over_close_pairs() {
    // Pairs (z, z + d) at several magnitudes and gaps.
    let gaps = [1e-12, 1e-9, 1e-6, 1e-3];
    let mut z = -39.0;
    while z < 40.0 {
        for d in gaps {
            let (a, b) = (phi_from_z(z), phi_from_z(z + d));
            assert!(b >= a, "phi({z}) = {a} > phi({}) = {b}", z + d);
        }
        z += 0.000_37;
    }
    for k in 1..=300 {
        let z = 1.13f64.powi(k); // 1.13 .. 8e15
        for d in gaps {
            let (a, b) = (phi_from_z(z), phi_from_z(z * (1.0 + d)));
            assert!(b > a, "phi({z}) = {a} >= phi({}) = {b}", z * (1.0 + d));
        }
    }
    // A coarse sweep over the whole useful range.
    let mut prev = 0.0;
    for i in 0..=200_000 {
        let z = -40.0 + 80.0 * f64::from(i) / 200_000.0;
        let cur = phi_from_z(z);
        assert!(cur >= prev, "phi decreases at z = {z}");
        prev = cur;
    }
}

fn assert_calibrated(p: f64) {
    let z = z_from_phi(p);
    assert!(z.is_finite(), "z_from_phi({p}) = {z}");
    let at = phi_from_z(z);
    let below = phi_from_z(z.next_down());
    assert!(at >= p, "phi(z_from_phi({p})) = {at} < {p}");
    assert!(below < p, "phi(prev(z_from_phi({p}))) = {below} >= {p}");
    // Round trip phi -> z -> phi.
    if p >= 1e-300 {
        assert!(rel_err(at, p) <= 1e-12, "round trip {p} -> {z} -> {at}");
    }
}

#[test]
fn z_from_phi_is_calibrated() {
    let thresholds = [
        1e-300,
        1e-30,
        0.001,
        0.3,
        std::f64::consts::LOG10_2,
        0.302,
        1.0,
        3.0,
        8.0,
        10.0,
        16.0,
        50.0,
        300.0,
        1e3,
        1e6,
        1e100,
        1e300,
        f64::MAX / 4.0,
    ];
    for p in thresholds {
        assert_calibrated(p);
    }
    let mut rng = monotone_checks::rng(777);
    for _ in 0..2_000 {
        let p = 10f64.powf(-300.0 + 600.0 * rng.random::<f64>());
        assert_calibrated(p);
    }
    for _ in 0..2_000 {
        assert_calibrated(0.01 + 20.0 * rng.random::<f64>());
    }
    // Smallest positive inputs and the top of the range still work.
    assert_calibrated(5e-324);
    assert_calibrated(f64::MIN_POSITIVE);
    assert_calibrated(f64::MAX);
}

#[test]
fn z_from_phi_matches_known_quantiles() {
    // phi = 1, 2, 3 are the upper 10%, 1%, 0.1% points (see anchors).
    for (p, z) in [
        (1.0, 1.281_551_565_544_600_4),
        (2.0, 2.326_347_874_040_841),
        (3.0, 3.090_232_306_167_813_6),
    ] {
        let got = z_from_phi(p);
        assert!(rel_err(got, z) < 1e-15, "z_from_phi({p}) = {got}, want {z}");
    }
    let z0 = z_from_phi(std::f64::consts::LOG10_2);
    assert!(z0 <= 0.0 && z0 > -1e-15, "{z0}");
}

#[test]
fn z_from_phi_round_trips_from_z() {
    // z -> phi -> z lands on the first z of the run of equal phi values.
    let mut z = -37.0;
    while z < 1e6 {
        let p = phi_from_z(z);
        let back = z_from_phi(p);
        assert!(back <= z, "z_from_phi(phi({z})) = {back}");
        assert_eq!(phi_from_z(back), p);
        z = if z < 40.0 { z + 0.173 } else { z * 1.7 };
    }
}

#[test]
fn z_from_phi_special_inputs() {
    assert_eq!(z_from_phi(0.0), f64::NEG_INFINITY);
    assert_eq!(z_from_phi(-1.0), f64::NEG_INFINITY);
    assert_eq!(z_from_phi(f64::NEG_INFINITY), f64::NEG_INFINITY);
    assert_eq!(z_from_phi(f64::NAN), f64::INFINITY);
    assert_eq!(z_from_phi(f64::INFINITY), f64::INFINITY);
}
