//! Asking the processor to start loading memory that is about to be read.
//!
//! The monitor's sweep visits peer records in hash-table order, a tick
//! visits those of the due queue entries in deadline order, and a batch of
//! heartbeats those of its peers in arrival order; none of these has
//! anything to do with where the records sit in memory, so every record
//! read from a large monitor is a cache miss (and usually a TLB miss). A
//! demand load stalls the core until it arrives; a prefetch issued some
//! records ahead lets those misses overlap with the work on the records
//! already loaded. This is the crate's one way of asking for memory ahead.
//!
//! This is the crate's only `unsafe` code. A prefetch is a hint: it never
//! faults, never changes memory and has no effect on the program's
//! behaviour, whatever the address. `_mm_prefetch` is `unsafe` only because
//! it is a target-feature intrinsic (SSE, which every x86-64 processor has).
//! On other architectures the hint is not given and the code just runs
//! slower.

/// Starts loading the cache lines holding the first `bytes` bytes of
/// `value` (capped at the size of `T`), by naming the first and the last of
/// those bytes. That covers every line when the range spans at most two:
/// any range of up to 65 bytes, and up to 80 bytes starting on a 16-byte
/// boundary, as heap blocks do. A longer range gets its middle lines
/// loaded on demand, as without the hint.
#[inline(always)]
pub(crate) fn prefetch<T>(value: &T, bytes: usize) {
    let start = (value as *const T).cast::<u8>();
    let last = bytes.min(std::mem::size_of::<T>()).saturating_sub(1);
    hint(start);
    hint(start.wrapping_add(last));
}

#[cfg(target_arch = "x86_64")]
#[inline(always)]
#[allow(unsafe_code)]
fn hint(address: *const u8) {
    use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
    // SAFETY: a prefetch is only a hint to the cache: it does not access
    // memory architecturally, cannot fault (also not on an invalid or
    // unmapped address) and has no observable effect. SSE is part of the
    // x86-64 baseline, so the instruction exists on every target this
    // compiles for.
    unsafe { _mm_prefetch::<_MM_HINT_T0>(address.cast::<i8>()) }
}

#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn hint(_address: *const u8) {}
