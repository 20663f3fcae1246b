//! The sliding window of heartbeat inter-arrival times, with exact running sums.
//!
//! Intervals are stored as whole microseconds in a `u32` ring buffer: 4 bytes
//! per sample, enough for intervals up to 71 minutes (longer ones saturate,
//! see [`MAX_INTERVAL_MICROS`]). Microseconds lose nothing that matters to a
//! failure detector, whose intervals are milliseconds to seconds.
//!
//! The sum and the sum of squares are kept as integers (`u64` and `u128`), so
//! adding and evicting samples is exact: after a billion heartbeats the mean
//! and variance are exactly those of the samples in the window, with none of
//! the drift that floating-point running sums accumulate. The variance is
//! computed as `(n·Σx² − (Σx)²) / n²` with the numerator in exact integer
//! arithmetic, which also removes the cancellation that makes the textbook
//! `Σx²/n − mean²` formula lose precision (or go negative) when the intervals
//! are large and regular.

/// The largest interval a window can hold, in microseconds (about 71.6 minutes).
/// Longer intervals are stored as this value.
pub const MAX_INTERVAL_MICROS: u32 = u32::MAX;

/// The largest window a detector accepts (2^24 samples, 64 MiB).
///
/// The bound keeps `n · Σx²` inside `u128`: with `n ≤ 2^24` and every sample
/// below 2^32, `n · Σx² < 2^24 · 2^24 · 2^64 = 2^112`.
pub const MAX_SAMPLE_SIZE: usize = 1 << 24;

/// A fixed-capacity ring buffer of intervals with exact running statistics.
///
/// Laid out in declaration order (`repr(C)`): the sample count and the
/// sums first, the pointer to the samples last. A phi query reads the count
/// (is the detector monitoring?) together with the last arrival and the
/// cached fit that precede the window in a detector's state, and, when the
/// fit must be computed, the sums; a monitor's sweep over many peers thus
/// finds everything it reads of the window in its first 32 bytes.
///
/// A window normally allocates its whole capacity at once, so pushing never
/// allocates. A restored one ([`Window::with_room`]) allocates room for the
/// samples it is given and grows, doubling, as pushes fill it, up to its
/// capacity; the growth happens in the branch every push already takes to
/// check its slot index, so a window allocated in full pays nothing for it.
#[derive(Clone, Debug)]
#[repr(C)]
pub struct Window {
    /// Number of valid samples, at most `capacity` and `samples.len()`.
    len: u32,
    /// Index the next sample is written to; the oldest sample once full.
    head: u32,
    /// Exact Σx over the valid samples, in microseconds.
    sum: u64,
    /// Exact Σx² over the valid samples, in microseconds squared: its low
    /// 64 bits, then the bits above. Σx² < 2^24 · 2^64 = 2^88, so the high
    /// part fits in a `u32` (`sum_sq_hi`), which leaves room for `capacity`
    /// in the same 8 bytes. Parts instead of one `u128` keep the window
    /// 8-byte aligned (a `u128` field forces 16-byte alignment and padding
    /// on every per-peer state a monitor stores); the arithmetic is the
    /// same add-with-carry either way.
    sum_sq_lo: u64,
    sum_sq_hi: u32,
    /// The most samples the window holds, at most [`MAX_SAMPLE_SIZE`]. The
    /// ring wraps here; `samples` may be shorter until the window has grown
    /// to it (see [`Window::with_room`]).
    capacity: u32,
    /// Ring storage, 4 bytes per sample, normally allocated at its full
    /// capacity so that pushing never allocates. Last: a query never reads
    /// it.
    samples: Box<[u32]>,
}

/// Equal windows hold the same samples in the same order, with the same
/// capacity; where the ring starts and how much of it is allocated are
/// not part of what a window holds.
impl PartialEq for Window {
    fn eq(&self, other: &Self) -> bool {
        self.capacity == other.capacity
            && self.len == other.len
            && self.sum == other.sum
            && self.iter().eq(other.iter())
    }
}

impl Eq for Window {}

/// `old` followed by `fill` up to twice its length, at least `min_len` and
/// at most `capacity` (`min_len <= capacity`): how a window that was given
/// less room than its capacity grows, and the empirical model's sorted copy
/// with it, so that repeated growth costs O(1) per push amortised.
pub(crate) fn grown<T: Copy>(old: &[T], min_len: usize, capacity: usize, fill: T) -> Box<[T]> {
    let target = (2 * old.len()).clamp(min_len, capacity);
    let mut grown = Vec::with_capacity(target);
    grown.extend_from_slice(old);
    grown.resize(target, fill);
    grown.into_boxed_slice()
}

impl Window {
    /// Bytes from the start of a window that a phi query may read: the
    /// count and the sums.
    pub(crate) const QUERY_BYTES: usize = std::mem::offset_of!(Window, samples);

    /// An empty window holding at most `capacity` samples.
    ///
    /// `capacity` is clamped to `1..=MAX_SAMPLE_SIZE`; configuration validation
    /// rejects other values before they get here.
    pub fn with_capacity(capacity: usize) -> Self {
        Window::with_room(capacity, capacity)
    }

    /// An empty window holding at most `capacity` samples (clamped as by
    /// [`Window::with_capacity`]) that allocates room for `room` of them
    /// now and grows as pushes need more: a restored window, whose
    /// allocation is then bounded by the samples restored, not by the
    /// configured size.
    pub(crate) fn with_room(capacity: usize, room: usize) -> Self {
        let capacity = capacity.clamp(1, MAX_SAMPLE_SIZE);
        Window {
            samples: vec![0; room.min(capacity)].into_boxed_slice(),
            len: 0,
            head: 0,
            sum: 0,
            sum_sq_lo: 0,
            sum_sq_hi: 0,
            // At most 2^24 after the clamp.
            capacity: capacity as u32,
        }
    }

    /// A window that holds nothing and allocates nothing: a placeholder to
    /// be replaced by a real one (pushes into it are ignored).
    pub(crate) fn unallocated() -> Self {
        Window {
            samples: Box::default(),
            len: 0,
            head: 0,
            sum: 0,
            sum_sq_lo: 0,
            sum_sq_hi: 0,
            capacity: 0,
        }
    }

    /// Maximum number of samples.
    pub fn capacity(&self) -> usize {
        self.capacity as usize
    }

    /// Number of samples currently held.
    pub fn len(&self) -> usize {
        self.len as usize
    }

    /// Number of samples currently held, as stored (at most 2^24).
    #[inline]
    pub(crate) fn len_u32(&self) -> u32 {
        self.len
    }

    /// Whether the window holds no sample.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Removes every sample, keeping the allocation.
    ///
    /// O(samples held): the slots are zeroed, so that [`Window::push`] can
    /// treat a slot that was never written like an evicted zero.
    pub fn clear(&mut self) {
        // The samples are slots `0..len` until the ring wraps, and all of
        // them after.
        let used = (self.len as usize).min(self.samples.len());
        self.samples[..used].fill(0);
        self.len = 0;
        self.head = 0;
        self.sum = 0;
        self.sum_sq_lo = 0;
        self.sum_sq_hi = 0;
    }

    /// Appends one interval, evicting the oldest if the window is full. O(1).
    ///
    /// Without a branch on fullness: a slot not yet used holds 0 (see
    /// [`Window::clear`]), so "evicting" it subtracts nothing.
    #[inline]
    pub fn push(&mut self, micros: u32) {
        self.len += u32::from(self.len != self.capacity);
        self.push_full(micros);
    }

    /// [`Window::push`] for a window known to be full: the length stays.
    #[inline]
    pub(crate) fn push_full(&mut self, micros: u32) {
        let head = self.head as usize;
        // `head < samples.len()` except in a window that has filled the
        // room it was given and must grow (`head` is then that length):
        // the slot check every push makes anyway is the growth test.
        if let Some(slot) = self.samples.get_mut(head) {
            let old = u64::from(std::mem::replace(slot, micros));
            let new = u64::from(micros);
            // Σx < 2^56, so adding first cannot overflow.
            self.sum = self.sum + new - old;
            let sum_sq = self.sum_sq_micros() + u128::from(new * new) - u128::from(old * old);
            // Σx² < 2^88: the part above 64 bits fits in 32.
            (self.sum_sq_lo, self.sum_sq_hi) = (sum_sq as u64, (sum_sq >> 64) as u32);
            let next = head as u32 + 1;
            self.head = if next == self.capacity { 0 } else { next };
        } else {
            self.grow_then_push(micros);
        }
    }

    /// Doubles the room (up to the capacity) of a window that has filled
    /// it, then pushes. Never reached by a window allocated in full, whose
    /// `head` is always a valid slot.
    #[cold]
    #[inline(never)]
    fn grow_then_push(&mut self, micros: u32) {
        let room = self.samples.len();
        let capacity = self.capacity as usize;
        // Not full (else `head` would have wrapped to 0, a valid slot), so
        // the window holds `room` samples in slots `0..room`, oldest first,
        // and the new slots go after them.
        if room >= capacity || self.head as usize != room {
            // Only an unallocated placeholder (capacity 0): ignore the push.
            return;
        }
        self.samples = grown(&self.samples, room + 1, capacity, 0);
        self.push_full(micros);
    }

    /// The samples from oldest to newest.
    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        let (newer, older) = self.samples.split_at(self.head as usize);
        let older_valid = (self.len as usize).saturating_sub(newer.len());
        older[..older_valid.min(older.len())]
            .iter()
            .chain(newer[..newer.len().min(self.len as usize)].iter())
            .copied()
    }

    /// The `k`-th newest sample (0 is the newest), if the window holds it.
    #[inline]
    pub(crate) fn newest(&self, k: usize) -> Option<u32> {
        if k >= self.len as usize {
            return None;
        }
        let capacity = self.samples.len();
        // head < capacity and k < len ≤ capacity: the sum stays in range.
        let index = (self.head as usize + capacity - 1 - k) % capacity;
        self.samples.get(index).copied()
    }

    /// The sample the next push overwrites: the oldest one once the window
    /// is full, `None` before.
    #[inline]
    pub(crate) fn next_evicted(&self) -> Option<u32> {
        if self.len < self.capacity {
            None
        } else {
            self.samples.get(self.head as usize).copied()
        }
    }

    /// Σx and Σx² of the `k` oldest samples of a full window (the next `k`
    /// that pushes evict); of fewer if `k` exceeds the window. O(k).
    pub(crate) fn oldest_sums(&self, k: usize) -> (u64, u128) {
        // Full: the oldest sample is at `head`, and the ring wraps after
        // the last slot.
        let (newer, older) = self.samples.split_at(self.head as usize);
        let from_older = k.min(older.len());
        let from_newer = (k - from_older).min(newer.len());
        let parts = [&older[..from_older], &newer[..from_newer]];
        if self.sum_sq_hi == 0 {
            // Σx² of the whole window fits in a u64, so every partial sum
            // does: a loop the compiler vectorises.
            let (mut sum, mut sum_sq) = (0u64, 0u64);
            for part in parts {
                for &x in part {
                    sum += u64::from(x);
                    sum_sq += u64::from(x) * u64::from(x);
                }
            }
            (sum, u128::from(sum_sq))
        } else {
            let (mut sum, mut sum_sq) = (0u64, 0u128);
            for part in parts {
                for &x in part {
                    sum += u64::from(x);
                    sum_sq += u128::from(u64::from(x) * u64::from(x));
                }
            }
            (sum, sum_sq)
        }
    }

    /// The ring slot the next push writes to.
    #[inline]
    pub(crate) fn next_slot(&self) -> usize {
        self.head as usize
    }

    /// Exact Σx in microseconds.
    pub fn sum_micros(&self) -> u64 {
        self.sum
    }

    /// Exact Σx² in microseconds squared.
    #[inline]
    pub fn sum_sq_micros(&self) -> u128 {
        u128::from(self.sum_sq_lo) | (u128::from(self.sum_sq_hi) << 64)
    }

    /// Mean interval in microseconds, or 0 for an empty window.
    #[inline]
    pub fn mean_micros(&self) -> f64 {
        if self.len == 0 {
            0.0
        } else {
            // Σx < 2^56 (at most 2^24 samples below 2^32), so the signed
            // conversion (one instruction) is exact.
            self.sum as i64 as f64 / f64::from(self.len)
        }
    }

    /// Population variance in microseconds squared, or 0 for an empty window.
    ///
    /// Exact up to one final rounding: the numerator `n·Σx² − (Σx)²` is an
    /// exact non-negative integer (Cauchy–Schwarz), so the result is never
    /// negative and never NaN.
    #[inline]
    pub fn variance_micros2(&self) -> f64 {
        if self.len == 0 {
            return 0.0;
        }
        self.variance_numerator() / (f64::from(self.len) * f64::from(self.len))
    }

    /// `n·Σx² − (Σx)²`, which is `n²` times the population variance, in
    /// microseconds squared: exact until the final conversion to `f64`.
    #[inline]
    pub fn variance_numerator(&self) -> f64 {
        let n = u128::from(self.len);
        let sum = u128::from(self.sum);
        u128_to_f64(n * self.sum_sq_micros() - sum * sum)
    }

    /// Population standard deviation in microseconds.
    #[inline]
    pub fn std_dev_micros(&self) -> f64 {
        self.variance_micros2().sqrt()
    }
}

/// `u128 → f64` without the software conversion routine in the common case.
///
/// The numerator of the variance is below 2^63 unless the standard deviation
/// exceeds ~3 s at window 1000, and then converts with one signed
/// instruction; the two-part form of larger values is within one ulp.
#[inline]
pub(crate) fn u128_to_f64(x: u128) -> f64 {
    if x < 1 << 63 {
        x as i64 as f64
    } else {
        let hi = (x >> 64) as u64;
        let lo = x as u64;
        (hi as f64) * 18_446_744_073_709_551_616.0 + lo as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_and_population_variance_by_hand() {
        // 2, 4, 4, 4, 5, 5, 7, 9: mean 5, population variance 4 (the textbook example).
        let mut w = Window::with_capacity(8);
        for x in [2, 4, 4, 4, 5, 5, 7, 9] {
            w.push(x);
        }
        assert_eq!(w.len(), 8);
        assert_eq!(w.mean_micros(), 5.0);
        assert_eq!(w.variance_micros2(), 4.0);
        assert_eq!(w.std_dev_micros(), 2.0);
    }

    #[test]
    fn full_window_evicts_the_oldest_sample() {
        let mut w = Window::with_capacity(3);
        for x in [100, 1, 2, 3] {
            w.push(x);
        }
        assert_eq!(w.iter().collect::<Vec<_>>(), vec![1, 2, 3]);
        assert_eq!(w.sum_micros(), 6);
        assert_eq!(w.sum_sq_micros(), 14);
        assert_eq!(w.mean_micros(), 2.0);
    }

    #[test]
    fn iteration_is_oldest_first_before_and_after_wrapping() {
        let mut w = Window::with_capacity(4);
        w.push(1);
        w.push(2);
        assert_eq!(w.iter().collect::<Vec<_>>(), vec![1, 2]);
        for x in 3..=9 {
            w.push(x);
        }
        assert_eq!(w.iter().collect::<Vec<_>>(), vec![6, 7, 8, 9]);
    }

    #[test]
    fn regular_large_intervals_keep_their_exact_variance() {
        // The case where `Σx²/n − mean²` in f64 cancels badly: 999 samples of
        // 1_000_000 and one of 1_000_001. Exact population variance:
        // mean = 1_000_000 + 1/1000, variance = (1/1000)(1 − 1/1000) = 0.000999.
        let mut w = Window::with_capacity(1000);
        for _ in 0..999 {
            w.push(1_000_000);
        }
        w.push(1_000_001);
        let v = w.variance_micros2();
        assert!((v - 0.000_999).abs() < 1e-15, "variance {v}");
    }

    #[test]
    #[cfg_attr(miri, ignore)]
    fn sums_do_not_drift_over_many_wraps() {
        // Ten million pushes through a window of 1000 with varied values:
        // the running sums must equal a fresh recomputation exactly.
        let mut w = Window::with_capacity(1000);
        let mut x: u32 = 12_345;
        for _ in 0..10_000_000u32 {
            // xorshift32: cheap deterministic variety, including large values.
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            w.push(x);
        }
        let sum: u64 = w.iter().map(u64::from).sum();
        let sum_sq: u128 = w.iter().map(|v| u128::from(v) * u128::from(v)).sum();
        assert_eq!(w.sum_micros(), sum);
        assert_eq!(w.sum_sq_micros(), sum_sq);
        assert_eq!(w.len(), 1000);
    }

    #[test]
    fn extreme_samples_do_not_overflow() {
        let mut w = Window::with_capacity(4);
        for _ in 0..9 {
            w.push(MAX_INTERVAL_MICROS);
        }
        assert_eq!(w.mean_micros(), f64::from(u32::MAX));
        assert_eq!(w.variance_micros2(), 0.0);
        w.push(0);
        // Samples {max, max, max, 0}: variance = max² · 3/16.
        let expected = f64::from(u32::MAX).powi(2) * 3.0 / 16.0;
        assert!((w.variance_micros2() / expected - 1.0).abs() < 1e-15);
    }

    #[test]
    fn clearing_a_wrapped_window_then_refilling_keeps_exact_sums() {
        // Slots not yet used must count as evicted zeros after a clear.
        let mut w = Window::with_capacity(5);
        for x in 1..=12 {
            w.push(x * 1_000);
        }
        w.clear();
        assert!(w.is_empty());
        for x in [7, 9] {
            w.push(x);
        }
        assert_eq!(w.iter().collect::<Vec<_>>(), vec![7, 9]);
        assert_eq!((w.sum_micros(), w.sum_sq_micros()), (16, 130));
        for x in [1, 2, 3, 4] {
            w.push(x);
        }
        assert_eq!(w.iter().collect::<Vec<_>>(), vec![9, 1, 2, 3, 4]);
        assert_eq!((w.sum_micros(), w.sum_sq_micros()), (19, 111));
    }

    #[test]
    fn a_window_of_one_keeps_the_last_sample() {
        let mut w = Window::with_capacity(1);
        for x in [5, MAX_INTERVAL_MICROS, 3] {
            w.push(x);
            assert_eq!((w.len(), w.sum_micros()), (1, u64::from(x)));
            assert_eq!(w.sum_sq_micros(), u128::from(x) * u128::from(x));
            assert_eq!(w.variance_micros2(), 0.0);
        }
    }

    #[test]
    fn empty_window_reports_zeros_not_nan() {
        let w = Window::with_capacity(10);
        assert_eq!(w.mean_micros(), 0.0);
        assert_eq!(w.variance_micros2(), 0.0);
        assert!(w.is_empty());
    }

    /// The sums of the oldest samples, against a recomputation, at every
    /// ring position (wrapping included), for small values and for values
    /// whose squares overflow a u64 in total.
    #[test]
    fn oldest_sums_match_a_recomputation() {
        for base in [100_000u32, 4_000_000_000] {
            let mut w = Window::with_capacity(7);
            for i in 0..30u32 {
                w.push(base + i * 977);
                if w.len() < 7 {
                    continue;
                }
                let samples: Vec<u32> = w.iter().collect();
                for k in 0..=9 {
                    let oldest = &samples[..k.min(7)];
                    let sum: u64 = oldest.iter().map(|&x| u64::from(x)).sum();
                    let sum_sq: u128 = oldest.iter().map(|&x| u128::from(x) * u128::from(x)).sum();
                    assert_eq!(
                        w.oldest_sums(k),
                        (sum, sum_sq),
                        "base {base}, push {i}, k {k}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_window_with_little_room_grows_into_the_same_window() {
        for room in [0, 1, 3, 7] {
            let mut full = Window::with_capacity(7);
            let mut grown = Window::with_room(7, room);
            assert_eq!(grown.samples.len(), room);
            for x in 1..=30u32 {
                let x = x * 1_000 + x % 4;
                assert_eq!(grown.next_evicted(), full.next_evicted(), "room {room}");
                assert_eq!(grown.next_slot(), full.next_slot(), "room {room}");
                full.push(x);
                grown.push(x);
                assert!(grown.samples.len() <= 7);
                assert_eq!(grown, full, "room {room}, pushed {x}");
                assert_eq!(
                    (grown.sum_micros(), grown.sum_sq_micros()),
                    (full.sum_micros(), full.sum_sq_micros())
                );
                for k in 0..8 {
                    assert_eq!(grown.newest(k), full.newest(k), "room {room}, k {k}");
                }
                if x == 5_001 {
                    // Cleared before it has grown in full: still grows.
                    full.clear();
                    grown.clear();
                }
            }
            assert_eq!(grown.samples.len(), 7, "room {room}");
        }
        // Room 0 grows 1, 2, 4, then the capacity: doubling, never past it.
        let mut w = Window::with_room(7, 0);
        let mut rooms = vec![];
        for x in 0..10 {
            w.push(x);
            rooms.push(w.samples.len());
        }
        assert_eq!(rooms, [1, 2, 4, 4, 7, 7, 7, 7, 7, 7]);
    }

    #[test]
    fn a_placeholder_ignores_pushes() {
        let mut w = Window::unallocated();
        w.push(5);
        assert!(w.is_empty() && w.capacity() == 0 && w.samples.is_empty());
    }

    #[test]
    fn equal_windows_hold_the_same_samples_wherever_the_ring_starts() {
        let mut a = Window::with_capacity(3);
        let mut b = Window::with_capacity(3);
        for x in [9, 1, 2, 3] {
            a.push(x);
        }
        for x in [1, 2, 3] {
            b.push(x);
        }
        assert_ne!(a.next_slot(), b.next_slot());
        assert_eq!(a, b);
        b.push(4);
        assert_ne!(a, b);
        assert_ne!(Window::with_capacity(3), Window::with_capacity(4));
    }

    #[test]
    fn capacity_is_clamped_to_the_supported_range() {
        assert_eq!(Window::with_capacity(0).capacity(), 1);
        assert_eq!(Window::with_capacity(5).capacity(), 5);
    }
}
