//! Seedable pseudo-random numbers for the simulator: xoshiro256** seeded
//! from SplitMix64, and the few distributions the network model draws from.
//!
//! Both generators are written from their published descriptions:
//!
//! * SplitMix64: G. L. Steele, D. Lea, C. H. Flood, *Fast Splittable
//!   Pseudorandom Number Generators*, OOPSLA 2014, with the 64-bit output
//!   mix of S. Vigna's reference `splitmix64.c`;
//! * xoshiro256**: D. Blackman, S. Vigna, *Scrambled Linear Pseudorandom
//!   Number Generators*, ACM Transactions on Mathematical Software 47(4),
//!   2021, whose authors recommend seeding it from SplitMix64 outputs.
//!
//! The generators use integer arithmetic only, so their outputs are the same
//! on every platform. The distributions add IEEE `+ − × ÷`, `sqrt` (exact
//! on every platform) and the standard library's `ln`, `exp`, `sin` and
//! `cos`, which may differ by an ulp between platform math libraries.

/// The SplitMix64 increment: 2⁶⁴ divided by the golden ratio, made odd.
const GOLDEN_GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

/// 2⁻⁵³, the spacing of the uniform doubles drawn below.
const UNIT: f64 = 1.0 / (1u64 << 53) as f64;

/// The SplitMix64 output function: a bijective mix of a 64-bit word.
pub(crate) const fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The `n`-th output (from 1) of a SplitMix64 generator whose state starts
/// at `state`. SplitMix64's state is a counter, so any output can be
/// computed directly.
const fn splitmix64_output(state: u64, n: u64) -> u64 {
    mix64(state.wrapping_add(n.wrapping_mul(GOLDEN_GAMMA)))
}

/// An xoshiro256** generator with the distributions the simulator needs.
#[derive(Clone, Debug)]
pub(crate) struct Rng {
    s: [u64; 4],
    /// The second normal of the last Box–Muller pair, not yet returned.
    spare_normal: Option<f64>,
}

impl Rng {
    /// Stream `index` of `seed`.
    ///
    /// One SplitMix64 generator, started at `mix64(seed)`, seeds every
    /// stream of a seed: stream `i` takes its outputs `4i + 1` to `4i + 4`.
    /// Distinct streams thus start from distinct states (the mix is a
    /// bijection, so four consecutive outputs are never all zero, the one
    /// state xoshiro must avoid), as the generator's authors recommend.
    pub(crate) fn stream(seed: u64, index: u64) -> Rng {
        let start = mix64(seed);
        let base = index.wrapping_mul(4);
        Rng::from_state([
            splitmix64_output(start, base.wrapping_add(1)),
            splitmix64_output(start, base.wrapping_add(2)),
            splitmix64_output(start, base.wrapping_add(3)),
            splitmix64_output(start, base.wrapping_add(4)),
        ])
    }

    /// A generator in the given state.
    fn from_state(s: [u64; 4]) -> Rng {
        Rng {
            s,
            spare_normal: None,
        }
    }

    /// The next 64 random bits (xoshiro256**).
    #[inline]
    pub(crate) fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform on `[0, 1)`, in steps of 2⁻⁵³.
    #[inline]
    pub(crate) fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * UNIT
    }

    /// Uniform on `(0, 1]`, in steps of 2⁻⁵³: safe to take the logarithm of.
    #[inline]
    pub(crate) fn uniform_nonzero(&mut self) -> f64 {
        ((self.next_u64() >> 11) + 1) as f64 * UNIT
    }

    /// Uniform on `[low, high)`.
    #[inline]
    pub(crate) fn uniform_between(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.uniform()
    }

    /// True with probability `chance`.
    #[inline]
    pub(crate) fn happens(&mut self, chance: Chance) -> bool {
        (self.next_u64() >> 11) < chance.0
    }

    /// Standard normal, by the Box–Muller transform (G. E. P. Box,
    /// M. E. Muller, *A Note on the Generation of Random Normal Deviates*,
    /// Annals of Mathematical Statistics 29(2), 1958).
    ///
    /// Each transform gives two independent normals; the second is kept
    /// for the next call. The radius comes from a uniform on `(0, 1]` in
    /// steps of 2⁻⁵³, so |z| ≤ √(2 · 53 · ln 2) ≈ 8.57: a hard bound that
    /// tests rely on.
    #[inline]
    pub(crate) fn normal(&mut self) -> f64 {
        if let Some(z) = self.spare_normal.take() {
            return z;
        }
        let radius = (-2.0 * self.uniform_nonzero().ln()).sqrt();
        let (sin, cos) = (std::f64::consts::TAU * self.uniform()).sin_cos();
        self.spare_normal = Some(radius * sin);
        radius * cos
    }

    /// Exponential with the given mean.
    #[inline]
    pub(crate) fn exponential(&mut self, mean: f64) -> f64 {
        -self.uniform_nonzero().ln() * mean
    }

    /// Log-normal: `median · e^(σ·z)` with `z` standard normal.
    #[inline]
    pub(crate) fn log_normal(&mut self, median: f64, sigma: f64) -> f64 {
        median * (sigma * self.normal()).exp()
    }

    /// Pareto with scale `minimum` and shape `alpha`: P(X > x) = (minimum/x)^alpha.
    #[inline]
    pub(crate) fn pareto(&mut self, minimum: f64, alpha: f64) -> f64 {
        minimum * (-self.uniform_nonzero().ln() / alpha).exp()
    }

    /// Log-uniform on `[low, high]` (`0 < low ≤ high`): the logarithm is uniform.
    #[inline]
    pub(crate) fn log_uniform(&mut self, low: f64, high: f64) -> f64 {
        low * ((high / low).ln() * self.uniform()).exp()
    }
}

/// A probability, pre-scaled for [`Rng::happens`]: an integer threshold on
/// 53 random bits, so that 0 never happens and 1 always does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Chance(u64);

impl Chance {
    /// A probability in `[0, 1]`; values outside are clamped.
    pub(crate) fn new(p: f64) -> Chance {
        // `as` saturates (and maps NaN to 0); p = 1 gives 2^53, above every draw.
        Chance((p.clamp(0.0, 1.0) * (1u64 << 53) as f64) as u64)
    }

    /// Whether the event can happen at all.
    pub(crate) fn is_possible(self) -> bool {
        self.0 > 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix64_matches_the_reference_outputs() {
        // First outputs of the reference splitmix64.c from the state 0, and
        // from the state 1234567.
        let from_zero: Vec<u64> = (1..=4).map(|n| splitmix64_output(0, n)).collect();
        assert_eq!(
            from_zero,
            [
                0xe220_a839_7b1d_cdaf,
                0x6e78_9e6a_a1b9_65f4,
                0x06c4_5d18_8009_454f,
                0xf88b_b8a8_724c_81ec
            ]
        );
        let from_1234567: Vec<u64> = (1..=5).map(|n| splitmix64_output(1_234_567, n)).collect();
        assert_eq!(
            from_1234567,
            [
                6_457_827_717_110_365_317,
                3_203_168_211_198_807_973,
                9_817_491_932_198_370_423,
                4_593_380_528_125_082_431,
                16_408_922_859_458_223_821
            ]
        );
    }

    #[test]
    fn xoshiro256starstar_matches_the_reference_outputs() {
        // The reference implementation's outputs from the state {1, 2, 3, 4}.
        let mut rng = Rng::from_state([1, 2, 3, 4]);
        let got: Vec<u64> = (0..10).map(|_| rng.next_u64()).collect();
        assert_eq!(
            got,
            [
                11520,
                0,
                1_509_978_240,
                1_215_971_899_390_074_240,
                1_216_172_134_540_287_360,
                607_988_272_756_665_600,
                16_172_922_978_634_559_625,
                8_476_171_486_693_032_832,
                10_595_114_339_597_558_777,
                2_904_607_092_377_533_576
            ]
        );
    }

    #[test]
    fn streams_differ_between_indices_and_seeds() {
        let first = |seed, index| Rng::stream(seed, index).next_u64();
        assert_ne!(first(0, 0), first(0, 1));
        assert_ne!(first(0, 0), first(1, 0));
        assert_eq!(first(7, 3), first(7, 3));
    }

    #[test]
    fn uniform_bounds() {
        assert_eq!(Rng::from_state([0, 0, 0, 0]).uniform(), 0.0);
        let mut rng = Rng::stream(1, 0);
        for _ in 0..10_000 {
            let u = rng.uniform();
            assert!((0.0..1.0).contains(&u));
            let v = rng.uniform_nonzero();
            assert!(v > 0.0 && v <= 1.0);
        }
    }

    #[test]
    fn chance_extremes_are_exact() {
        let mut rng = Rng::stream(2, 0);
        let (never, always) = (Chance::new(0.0), Chance::new(1.0));
        assert!(!never.is_possible());
        for _ in 0..10_000 {
            assert!(!rng.happens(never));
            assert!(rng.happens(always));
        }
        assert_eq!(Chance::new(f64::NAN), never);
        assert_eq!(Chance::new(2.0), always);
    }

    /// Mean and variance of `n` draws.
    fn moments(n: usize, mut draw: impl FnMut() -> f64) -> (f64, f64) {
        let xs: Vec<f64> = (0..n).map(|_| draw()).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1) as f64;
        (mean, var)
    }

    // Tolerances below are 5 standard errors of the statistic for n draws.
    const N: usize = 200_000;

    #[test]
    fn normal_has_unit_moments_and_a_hard_bound() {
        let mut rng = Rng::stream(3, 0);
        let (mean, var) = moments(N, || rng.normal());
        // se(mean) = 1/√n; se(var) = √(2/n) for a normal sample.
        assert!(mean.abs() < 5.0 / (N as f64).sqrt(), "{mean}");
        assert!((var - 1.0).abs() < 5.0 * (2.0 / N as f64).sqrt(), "{var}");
        // The largest radius: u = 2^-53.
        let bound = (-2.0 * UNIT.ln()).sqrt();
        assert!((bound - 8.572).abs() < 1e-3);
    }

    #[test]
    fn exponential_log_normal_pareto_and_log_uniform_match_their_laws() {
        let mut rng = Rng::stream(4, 0);
        // Exponential(mean 3): sd 3.
        let (mean, _) = moments(N, || rng.exponential(3.0));
        assert!((mean - 3.0).abs() < 5.0 * 3.0 / (N as f64).sqrt(), "{mean}");
        // Log-normal: the log is normal(ln 2, 0.5²).
        let (mean, var) = moments(N, || rng.log_normal(2.0, 0.5).ln());
        assert!((mean - 2f64.ln()).abs() < 5.0 * 0.5 / (N as f64).sqrt());
        assert!((var - 0.25).abs() < 5.0 * 0.25 * (2.0 / N as f64).sqrt());
        // Pareto(1, 2): ln X is exponential with mean 1/α = 0.5.
        let (mean, _) = moments(N, || rng.pareto(1.0, 2.0).ln());
        assert!((mean - 0.5).abs() < 5.0 * 0.5 / (N as f64).sqrt(), "{mean}");
        // Log-uniform on [1, 4]: log₂ X uniform on [0, 2], mean 1, sd 2/√12.
        let (mean, _) = moments(N, || rng.log_uniform(1.0, 4.0).log2());
        assert!((mean - 1.0).abs() < 5.0 * (2.0 / 12f64.sqrt()) / (N as f64).sqrt());
        for _ in 0..1000 {
            assert!(rng.pareto(1.0, 1.5) >= 1.0);
            let x = rng.log_uniform(10.0, 180.0);
            assert!((10.0..=180.0).contains(&x));
        }
    }

    #[test]
    fn happens_matches_its_probability() {
        let mut rng = Rng::stream(5, 0);
        let p = 0.003;
        let hits = (0..N).filter(|_| rng.happens(Chance::new(p))).count() as f64;
        let sd = (N as f64 * p * (1.0 - p)).sqrt();
        assert!((hits - N as f64 * p).abs() < 5.0 * sd, "{hits}");
    }
}
