//! [`FitCache`]: the model's fit and the suspicion deadline of the current
//! window, computed by the first query after a change and read by the
//! queries after it, and the sure horizon that the heartbeat path compares
//! against.
//!
//! # Why heartbeats do not fill it
//!
//! The heartbeat path only needs a sure horizon (a lower bound on the
//! deadline, see the `horizon` module), which it keeps in the deadline's
//! field while the deadline is not cached. Keeping the fit current on every
//! heartbeat would add a second division and the deadline search each time.
//! A cached deadline is the best horizon there is, so both share the field.
//!
//! # Layout: flags folded into the values
//!
//! Three words. The fit is valid when `location` is not NaN (a fit's
//! location is always finite); the deadline is valid when the sign bit of
//! `inv_scale` is set (a fit's inverse scale is always positive, so the bit
//! is free). The scale itself is not stored: it is `1 / inv_scale`, and
//! `State::fit` normalises fresh fits the same way, so that cached and fresh
//! fits give identical deadlines.
//!
//! # Why shared filling is sound
//!
//! Queries take `&self`, so the cache uses atomics (plain loads and stores
//! on common hardware) to keep the detector `Sync`. Writers only ever
//! invalidate it through `&mut` (a heartbeat, a reset), so while readers
//! share it the window is fixed and every reader computes bit-identical
//! values from it. Any interleaving of their stores therefore leaves either
//! "not cached" or the right value:
//!
//! * The fit is published by storing `inv_scale` and then `location` with
//!   release ordering; a reader that sees a non-NaN `location` (acquire)
//!   also sees its `inv_scale`.
//! * The deadline is published by storing `deadline_ns` and then setting
//!   the flag bit in `inv_scale` with release ordering; a reader that sees
//!   the flag (acquire) also sees the deadline. The flag is set by a plain
//!   load and store rather than a read-modify-write: a racing reader stores
//!   the same bits, and a racing `store_fit` can only rewrite the same
//!   inverse scale without the flag, which at worst makes the next query
//!   compute the deadline once more.

use crate::model::Fit;
use std::sync::atomic::{AtomicU64, Ordering};

/// Sign bit of an `f64`'s bits.
const SIGN: u64 = 1 << 63;

/// The fit and deadline of the current window, computed once per change,
/// and the sure horizon while the deadline is not known; 24 bytes, shared by
/// readers through atomics (see the module doc for why this is sound).
#[derive(Debug)]
#[repr(C)]
pub(super) struct FitCache {
    /// Bits of the fit's location; NaN when the fit is not cached.
    location: AtomicU64,
    /// Bits of the fit's inverse scale; the sign bit is the deadline's
    /// validity flag.
    inv_scale: AtomicU64,
    /// The deadline when flagged; otherwise the *sure horizon*: a silence
    /// shorter than this many nanoseconds is surely before the deadline
    /// (0 when nothing is known, in particular while not monitoring). The
    /// heartbeat path needs nothing else, and a cached deadline is the best
    /// horizon there is, so both share the field.
    deadline_ns: AtomicU64,
}

impl Default for FitCache {
    fn default() -> Self {
        FitCache {
            location: AtomicU64::new(f64::NAN.to_bits()),
            inv_scale: AtomicU64::new(0),
            deadline_ns: AtomicU64::new(0),
        }
    }
}

impl FitCache {
    #[inline]
    pub(super) fn fit(&self) -> Option<Fit> {
        let location = f64::from_bits(self.location.load(Ordering::Acquire));
        if location.is_nan() {
            return None;
        }
        let inv_scale = f64::from_bits(self.inv_scale.load(Ordering::Relaxed) & !SIGN);
        Some(Fit {
            location,
            inv_scale,
        })
    }

    #[inline]
    pub(super) fn store_fit(&self, fit: &Fit) {
        self.inv_scale
            .store(fit.inv_scale.to_bits(), Ordering::Relaxed);
        self.location
            .store(fit.location.to_bits(), Ordering::Release);
    }

    #[inline]
    pub(super) fn deadline(&self) -> Option<u64> {
        (self.inv_scale.load(Ordering::Acquire) & SIGN != 0)
            .then(|| self.deadline_ns.load(Ordering::Relaxed))
    }

    /// Caches the deadline; the fit must be cached already (the deadline
    /// flag lives in its inverse scale).
    #[inline]
    pub(super) fn store_deadline(&self, deadline_ns: u64) {
        self.deadline_ns.store(deadline_ns, Ordering::Relaxed);
        // A plain load and store, not a read-modify-write: a race at worst
        // clears the flag again (see the module doc).
        let bits = self.inv_scale.load(Ordering::Relaxed);
        self.inv_scale.store(bits | SIGN, Ordering::Release);
    }

    /// Forgets the cached values; `&mut` access needs no atomic operation.
    #[inline]
    pub(super) fn invalidate(&mut self) {
        self.invalidate_to(0);
    }

    /// Forgets the cached values and keeps `horizon` as the sure horizon.
    #[inline]
    pub(super) fn invalidate_to(&mut self, horizon: u64) {
        *self.location.get_mut() = f64::NAN.to_bits();
        *self.inv_scale.get_mut() = 0;
        *self.deadline_ns.get_mut() = horizon;
    }

    /// A silence shorter than this is surely before the deadline: the
    /// deadline itself when cached, else the sure horizon (0 if unknown).
    #[inline]
    pub(super) fn horizon(&mut self) -> u64 {
        *self.deadline_ns.get_mut()
    }
}

impl Clone for FitCache {
    fn clone(&self) -> Self {
        let copy = FitCache::default();
        if let Some(fit) = self.fit() {
            copy.store_fit(&fit);
            if let Some(deadline) = self.deadline() {
                copy.store_deadline(deadline);
            }
        }
        copy
    }
}
