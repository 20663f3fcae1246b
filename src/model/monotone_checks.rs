//! Shared test helpers for the models: a seeded generator, and checks that
//! the table-driven phi functions never decrease, between adjacent doubles
//! and inside a table piece.

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// A reproducible generator: the same seed gives the same numbers on every
/// platform, so a failing case can be replayed. Draw uniform numbers in
/// `[0, 1)` with `rand::RngExt::random::<f64>()`.
pub(crate) fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

/// Asserts that `f` does not decrease over `n` adjacent doubles from `x`.
pub(crate) fn walk_adjacent(f: impl Fn(f64) -> f64, x: f64, n: usize) {
    let mut x = x;
    let mut prev = f(x);
    for _ in 0..n {
        let next = x.next_up();
        let cur = f(next);
        assert!(
            cur >= prev,
            "decreases from {x:?} ({prev:?}) to {next:?} ({cur:?})"
        );
        x = next;
        prev = cur;
    }
}

/// Asserts that `eval(piece, t)` does not decrease over runs of adjacent
/// local variables `t` in `[0, 1]`, from random starts, for each piece.
pub(crate) fn pieces_monotone<P>(pieces: &[P], eval: impl Fn(&P, f64) -> f64) {
    let mut rng = rng(4242);
    for (i, piece) in pieces.iter().enumerate() {
        for _ in 0..8 {
            let mut t = rng.random::<f64>();
            let mut prev = eval(piece, t);
            for _ in 0..20_000 {
                t = t.next_up();
                if t > 1.0 {
                    break;
                }
                let cur = eval(piece, t);
                assert!(cur >= prev, "piece {i} decreases at t = {t:?}");
                prev = cur;
            }
        }
    }
}
