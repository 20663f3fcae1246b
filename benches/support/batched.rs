//! Timing many cheap operations without timing the harness.
//!
//! Criterion's `iter` calls the routine once per iteration and passes each
//! result through `black_box`, which forces it (and everything the closure
//! captured) through memory: a few nanoseconds per call, as much as the
//! heartbeat under test. Here the inputs of a chunk are generated first,
//! outside the clock, then one tight loop feeds them to the operation and
//! folds the results into a checksum that is `black_box`ed once per chunk.
//! The clock is read twice per chunk of [`CHUNK`] operations, never inside
//! the loop.

use criterion::black_box;
use std::time::{Duration, Instant};

/// Operations per timed chunk.
pub const CHUNK: usize = 4096;

/// Times `iters` calls of `op`, each on an input from `input` (generated
/// before the chunk's clock starts), and returns the time of the calls
/// alone. `op` returns a number folded into the checksum, so that its work
/// cannot be optimised away.
pub fn time_batched<T: Copy>(
    iters: u64,
    mut input: impl FnMut() -> T,
    mut op: impl FnMut(T) -> u64,
) -> Duration {
    let mut inputs: Vec<T> = Vec::with_capacity(CHUNK);
    let mut total = Duration::ZERO;
    let mut left = iters;
    while left > 0 {
        let n = left.min(CHUNK as u64) as usize;
        inputs.clear();
        inputs.extend((0..n).map(|_| input()));
        let mut checksum = 0u64;
        let start = Instant::now();
        for &x in &inputs {
            checksum = checksum.wrapping_add(op(x));
        }
        total += start.elapsed();
        black_box(checksum);
        left -= n as u64;
    }
    total
}
