//! The rounding helpers of the horizon module against their plain
//! definitions.

use super::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

#[test]
fn micros_conversion_rounds_and_saturates() {
    assert_eq!(micros_saturating(1_499), 1);
    assert_eq!(micros_saturating(1_500), 2);
    assert_eq!(micros_saturating(u64::MAX), u32::MAX);
    // The last interval that rounds to a storable value, and the first
    // that does not.
    assert_eq!(micros_saturating(HORIZON_MAX_NS), u32::MAX);
    assert_eq!(micros_saturating(HORIZON_MAX_NS - 999), u32::MAX);
    assert_eq!(micros_saturating(HORIZON_MAX_NS - 1_000), u32::MAX - 1);
    assert_eq!(micros_saturating(HORIZON_MAX_NS - 1_999), u32::MAX - 1);
    assert_eq!(micros_saturating(HORIZON_MAX_NS - 2_000), u32::MAX - 2);
    assert_eq!(micros_saturating(HORIZON_MAX_NS + 1), u32::MAX);
}

/// `f32_at_most` never rounds up, and loses at most 2^-21 relative
/// (plus about 10^-30): over both signs, zero, subnormal and large values,
/// and a sweep of pseudo-random ones.
#[test]
#[cfg_attr(miri, ignore)]
fn f32_at_most_rounds_down() {
    let mut values = vec![0.0, 1e-40, -1e-40, 1e-30, 4.5, -4.5, 1e12, -3e9, 4.4e15];
    let mut rng = StdRng::seed_from_u64(0x2545_F491_4F6C_DD1E);
    for _ in 0..100_000 {
        let x = rng.next_u64();
        // Magnitudes from 2^-40 to 2^60, both signs.
        let v = (x >> 11) as f64 / (1u64 << 53) as f64 * 2f64.powi((x % 100) as i32 - 40);
        values.push(if x & 1 == 0 { v } else { -v });
    }
    for v in values {
        let f = f64::from(f32_at_most(v));
        assert!(f <= v, "{v}: {f}");
        assert!(v - f <= v.abs() * 2f64.powi(-21) + 1.0001e-30, "{v}: {f}");
    }
}
