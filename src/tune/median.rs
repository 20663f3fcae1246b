//! The exact median interval of a trace file in bounded memory, for
//! [`summarize`](super::stream::summarize): a first pass counts the
//! intervals in a fixed log-linear histogram, and each further pass counts
//! only the intervals inside the bucket that holds the median, in finer
//! buckets, until a bucket is one nanosecond wide.
//!
//! The histogram has 1024 buckets per power of two (56 320 counters,
//! 440 KiB) and each narrowing pass at most 2^20 (8 MiB), so the memory
//! does not depend on the file. A bucket of the first pass is at most
//! 1/1024 of its values wide, so one narrowing pass suffices for intervals
//! under about 18 minutes and two for any that a trace holds in practice.
//! The median is the one [`median_interval`](super::median_interval)
//! picks: the value of rank `count / 2` among all intervals, counted from 0.

/// Values below this are their own bucket.
const LINEAR: u64 = 1024;
/// Buckets per power of two above [`LINEAR`] (as a power of two).
const SUB_BITS: u32 = 10;
/// The most buckets a narrowing pass counts in (as a power of two).
const NARROW_BITS: u32 = 20;

/// The first pass's counts.
pub(crate) struct Histogram {
    counts: Vec<u64>,
    total: u64,
}

impl Histogram {
    pub(crate) fn new() -> Histogram {
        let powers = 64 - SUB_BITS as usize;
        Histogram {
            counts: vec![0; LINEAR as usize + powers * LINEAR as usize],
            total: 0,
        }
    }

    /// Counts one interval, in ns.
    #[inline]
    pub(crate) fn add(&mut self, v: u64) {
        self.counts[bucket(v)] += 1;
        self.total += 1;
    }

    /// The bucket that holds the median: `None` without intervals.
    pub(crate) fn median_bucket(&self) -> Option<Narrowing> {
        if self.total == 0 {
            return None;
        }
        let rank = self.total / 2;
        let mut below = 0;
        for (b, &c) in self.counts.iter().enumerate() {
            if below + c > rank {
                let (lo, width) = bucket_range(b);
                return Some(Narrowing {
                    lo,
                    width,
                    below,
                    rank,
                });
            }
            below += c;
        }
        None
    }
}

/// The values `lo .. lo + width` hold the median; `below` intervals are
/// smaller than `lo`, and the median is the one of rank `rank`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Narrowing {
    lo: u64,
    width: u64,
    below: u64,
    rank: u64,
}

impl Narrowing {
    /// The median, once the bucket is one value wide.
    pub(crate) fn value(&self) -> Option<u64> {
        (self.width == 1).then_some(self.lo)
    }

    /// Counts for one narrowing pass over every interval.
    pub(crate) fn counter(&self) -> NarrowCounter {
        // Widths are powers of two, so the finer buckets tile the range.
        let step = (self.width >> NARROW_BITS).max(1);
        NarrowCounter {
            lo: self.lo,
            width: self.width,
            step,
            counts: vec![0; (self.width / step) as usize],
            below: self.below,
            rank: self.rank,
        }
    }
}

/// The counts of a narrowing pass.
pub(crate) struct NarrowCounter {
    lo: u64,
    width: u64,
    step: u64,
    counts: Vec<u64>,
    below: u64,
    rank: u64,
}

impl NarrowCounter {
    /// Counts one interval, in ns (those outside the bucket are ignored).
    #[inline]
    pub(crate) fn add(&mut self, v: u64) {
        let offset = v.wrapping_sub(self.lo);
        if v >= self.lo && offset < self.width {
            self.counts[(offset / self.step) as usize] += 1;
        }
    }

    /// The finer bucket that holds the median.
    pub(crate) fn finish(self) -> Narrowing {
        let mut below = self.below;
        for (k, &c) in self.counts.iter().enumerate() {
            if below + c > self.rank {
                return Narrowing {
                    lo: self.lo + k as u64 * self.step,
                    width: self.step,
                    below,
                    rank: self.rank,
                };
            }
            below += c;
        }
        // The pass saw fewer intervals than the first: the file changed
        // between passes. Keep the bucket's low end rather than fail.
        Narrowing {
            width: 1,
            ..self.narrowing()
        }
    }

    fn narrowing(&self) -> Narrowing {
        Narrowing {
            lo: self.lo,
            width: self.width,
            below: self.below,
            rank: self.rank,
        }
    }
}

fn bucket(v: u64) -> usize {
    if v < LINEAR {
        return v as usize;
    }
    let shift = 63 - v.leading_zeros() - SUB_BITS;
    let sub = (v >> shift) & (LINEAR - 1);
    (LINEAR + u64::from(shift) * LINEAR + sub) as usize
}

/// The low end and width of bucket `b`.
fn bucket_range(b: usize) -> (u64, u64) {
    let b = b as u64;
    if b < LINEAR {
        return (b, 1);
    }
    let shift = (b - LINEAR) / LINEAR;
    let sub = (b - LINEAR) % LINEAR;
    ((LINEAR + sub) << shift, 1 << shift)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The median by narrowing, each "pass" a walk over `values`.
    fn by_passes(values: &[u64]) -> (Option<u64>, usize) {
        let mut h = Histogram::new();
        values.iter().for_each(|&v| h.add(v));
        let Some(mut n) = h.median_bucket() else {
            return (None, 1);
        };
        let mut passes = 1;
        while n.value().is_none() {
            let mut c = n.counter();
            values.iter().for_each(|&v| c.add(v));
            n = c.finish();
            passes += 1;
        }
        (n.value(), passes)
    }

    fn exact(values: &[u64]) -> Option<u64> {
        let mut v = values.to_vec();
        if v.is_empty() {
            return None;
        }
        let mid = v.len() / 2;
        Some(*v.select_nth_unstable(mid).1)
    }

    #[test]
    fn buckets_tile_the_line() {
        for v in [0, 1, 1023, 1024, 1025, 2047, 2048, 1 << 40, u64::MAX] {
            let (lo, width) = bucket_range(bucket(v));
            assert!(lo <= v && v - lo < width, "{v}: {lo} + {width}");
        }
        assert_eq!(bucket(u64::MAX), Histogram::new().counts.len() - 1);
    }

    #[test]
    fn narrowing_finds_the_exact_median() {
        // A small deterministic generator (xorshift), values from 1 ns to
        // hours, with many ties at a typical heartbeat interval.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for len in [0usize, 1, 2, 3, 10, 1001, 20_000] {
            let values: Vec<u64> = (0..len)
                .map(|k| match k % 4 {
                    0 => 100_000_000,
                    1 => next() % 2_000_000_000,
                    2 => next() >> (next() % 64),
                    _ => 100_000_000 + next() % 1000,
                })
                .collect();
            let (median, passes) = by_passes(&values);
            assert_eq!(median, exact(&values), "{len} values");
            assert!(passes <= 4, "{passes} passes");
        }
        // One-second intervals take one narrowing pass.
        let values: Vec<u64> = (0..999).map(|k| 1_000_000_000 + k * 977).collect();
        assert_eq!(by_passes(&values), (exact(&values), 2));
    }
}
