//! Confidence intervals for mistake rates.
//!
//! Mistakes of a live node's detector are rare, separate events, so their
//! count over an observed time is treated as Poisson. The interval used is
//! Garwood's exact one (1936): for `k` events at confidence `1 − α`, the
//! expected count lies between `G⁻¹(α/2; k)` and `G⁻¹(1 − α/2; k + 1)`, with
//! `G⁻¹(p; a)` the `p` quantile of the gamma distribution of shape `a`
//! (half the chi-square quantile with `2a` degrees of freedom), and 0 as the
//! lower end for `k = 0`. It never covers less than its stated confidence,
//! which is what a claim such as "at most one mistake per hour" needs:
//! 0 mistakes in one hour only shows a rate below 3.69 per hour at 95 %.
//!
//! The gamma quantile is found by bisection on the regularized incomplete
//! gamma function, computed by its series or its continued fraction
//! (Numerical Recipes, §6.2). Above [`EXACT_SHAPE_LIMIT`] events the
//! Wilson–Hilferty cube-root approximation is used instead (relative error
//! far below the interval's own width there), so that a grid of
//! configurations with hundreds of thousands of mistakes stays fast.

/// Counts above which the gamma quantile is approximated (see the module
/// documentation).
pub const EXACT_SHAPE_LIMIT: f64 = 20_000.0;

/// A two-sided confidence interval for a Poisson rate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateInterval {
    /// The lower end, in events per hour.
    pub low_per_hour: f64,
    /// The upper end, in events per hour.
    pub high_per_hour: f64,
}

impl RateInterval {
    /// Garwood's interval for `count` events over `hours` at `confidence`
    /// (for example 0.95). Without any observed time the interval is
    /// `[0, ∞)`: nothing is known.
    pub fn garwood(count: u64, hours: f64, confidence: f64) -> RateInterval {
        let (low, high) = poisson_interval(count, confidence);
        if hours > 0.0 {
            RateInterval {
                low_per_hour: low / hours,
                high_per_hour: high / hours,
            }
        } else {
            RateInterval {
                low_per_hour: 0.0,
                high_per_hour: f64::INFINITY,
            }
        }
    }
}

/// Garwood's two-sided interval for the mean of a Poisson count `k` at
/// `confidence` (clamped to `(0, 1)`): `(low, high)` in events.
pub fn poisson_interval(k: u64, confidence: f64) -> (f64, f64) {
    let alpha = 1.0 - confidence.clamp(1e-12, 1.0 - 1e-12);
    let k = k as f64;
    let low = if k == 0.0 {
        0.0
    } else {
        gamma_quantile(alpha / 2.0, k)
    };
    (low, gamma_quantile(1.0 - alpha / 2.0, k + 1.0))
}

/// The observed time at which `0` events would bound a rate below
/// `rate_per_hour` at `confidence`: the least data on which any
/// configuration can establish that rate, in hours.
pub fn hours_to_establish(rate_per_hour: f64, confidence: f64) -> f64 {
    poisson_interval(0, confidence).1 / rate_per_hour
}

/// The `p` quantile of the gamma distribution of shape `a` (scale 1).
///
/// # Panics
///
/// Never; `p` outside `(0, 1)` or a shape that is not positive give 0 or
/// infinity as the limits suggest.
pub fn gamma_quantile(p: f64, a: f64) -> f64 {
    // Also catches NaN, which fails every comparison.
    if a.is_nan() || p.is_nan() || a <= 0.0 || p <= 0.0 {
        return 0.0;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    if a > EXACT_SHAPE_LIMIT {
        // Wilson and Hilferty (1931): (X/a)^(1/3) is nearly normal with mean
        // 1 − 1/(9a) and variance 1/(9a).
        let z = normal_quantile(p);
        let v = 1.0 / (9.0 * a);
        return a * (1.0 - v + z * v.sqrt()).powi(3);
    }
    let mut lo = 0.0;
    let mut hi = a + 10.0 * a.sqrt() + 10.0;
    while regularized_gamma_p(a, hi) < p {
        lo = hi;
        hi *= 2.0;
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if regularized_gamma_p(a, mid) < p {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo <= 1e-13 * hi {
            break;
        }
    }
    0.5 * (lo + hi)
}

/// The regularized lower incomplete gamma function `P(a, x)`.
pub fn regularized_gamma_p(a: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    let log_prefix = -x + a * x.ln() - ln_gamma(a);
    if x < a + 1.0 {
        // Series: P = e^(−x) x^a / Γ(a) · Σ x^n / (a (a+1) … (a+n)).
        let mut term = 1.0 / a;
        let mut sum = term;
        let mut n = 1.0;
        while n < 1e7 {
            term *= x / (a + n);
            sum += term;
            if term < sum * 1e-16 {
                break;
            }
            n += 1.0;
        }
        (sum.ln() + log_prefix).exp().min(1.0)
    } else {
        // Continued fraction for Q = 1 − P (modified Lentz).
        let tiny = 1e-300;
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / tiny;
        let mut d = 1.0 / b;
        let mut h = d;
        let mut i = 1.0;
        while i < 1e7 {
            let an = -i * (i - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < tiny {
                d = tiny;
            }
            c = b + an / c;
            if c.abs() < tiny {
                c = tiny;
            }
            d = 1.0 / d;
            let delta = d * c;
            h *= delta;
            if (delta - 1.0).abs() < 1e-16 {
                break;
            }
            i += 1.0;
        }
        (1.0 - (h.ln() + log_prefix).exp()).max(0.0)
    }
}

/// `ln Γ(x)` for `x > 0` (Lanczos, g = 7, nine coefficients: about 15
/// significant digits).
fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection: Γ(x) Γ(1 − x) = π / sin(πx).
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut sum = C[0];
    for (i, c) in C.iter().enumerate().skip(1) {
        sum += c / (x + i as f64);
    }
    let t = x + G + 0.5;
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + sum.ln()
}

/// The `p` quantile of the standard normal distribution (Acklam's rational
/// approximation, relative error below 1.2e-9).
fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let tail = |q: f64| {
        let q = (-2.0 * q.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < 0.02425 {
        tail(p)
    } else if p > 1.0 - 0.02425 {
        -tail(1.0 - p)
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garwood_matches_published_tables() {
        // Two-sided 95 % limits for a Poisson mean (Garwood 1936; the same
        // in every table of exact Poisson limits, e.g. Ulm 1990).
        let cases = [
            (0, 0.0, 3.689),
            (1, 0.0253, 5.572),
            (2, 0.2422, 7.225),
            (5, 1.624, 11.668),
            (10, 4.795, 18.390),
        ];
        for (k, low, high) in cases {
            let (l, h) = poisson_interval(k, 0.95);
            assert!((l - low).abs() < 6e-4, "k={k}: low {l}");
            assert!((h - high).abs() < 6e-4, "k={k}: high {h}");
        }
        // 90 %: upper limit for 0 events is −ln 0.05 = 2.9957.
        assert!((poisson_interval(0, 0.90).1 - 0.05f64.ln().abs()).abs() < 1e-9);
    }

    #[test]
    fn the_approximation_joins_the_exact_quantile() {
        let a = EXACT_SHAPE_LIMIT;
        for p in [0.025, 0.5, 0.975] {
            let exact = {
                let mut lo = 0.0;
                let mut hi = 2.0 * a;
                for _ in 0..200 {
                    let mid = 0.5 * (lo + hi);
                    if regularized_gamma_p(a, mid) < p {
                        lo = mid;
                    } else {
                        hi = mid;
                    }
                }
                lo
            };
            let approx = gamma_quantile(p, a * (1.0 + 1e-12));
            assert!(
                (approx - exact).abs() / exact < 1e-6,
                "{p}: {approx} {exact}"
            );
        }
    }

    #[test]
    fn hours_needed_for_one_mistake_per_hour() {
        assert!((hours_to_establish(1.0, 0.95) - 3.6889).abs() < 1e-4);
        let none = RateInterval::garwood(0, 0.0, 0.95);
        assert_eq!(none.high_per_hour, f64::INFINITY);
    }
}
