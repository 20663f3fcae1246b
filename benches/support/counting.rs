//! A global allocator that counts: the system allocator, plus the bytes and
//! allocations currently live and the peak of live bytes. The memory
//! examples and tests include it with `#[path]` and install it with
//! `#[global_allocator] static GLOBAL: Counting = Counting;`, so figures are
//! measured, not estimated.
//!
//! Counts are of requested sizes (`Layout::size`), not of the allocator's
//! own per-allocation overhead.

#![allow(dead_code)] // Each user reads only some of the counters.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicIsize, AtomicUsize, Ordering};

/// The system allocator, counting.
pub struct Counting;

static LIVE_BYTES: AtomicIsize = AtomicIsize::new(0);
static PEAK_BYTES: AtomicIsize = AtomicIsize::new(0);
static LIVE_ALLOCS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// Bytes allocated less bytes freed by this thread. A measurement of
    /// what one piece of code holds must not count what the test harness's
    /// other threads allocate meanwhile (a progress message, a timer).
    static THREAD_BYTES: Cell<isize> = const { Cell::new(0) };
}

/// Bytes currently allocated.
pub fn live_bytes() -> isize {
    LIVE_BYTES.load(Ordering::SeqCst)
}

/// The most bytes allocated at any one time so far.
pub fn peak_bytes() -> isize {
    PEAK_BYTES.load(Ordering::SeqCst)
}

/// Allocations currently live.
pub fn live_allocations() -> usize {
    LIVE_ALLOCS.load(Ordering::SeqCst)
}

/// Heap bytes that `f`'s result holds (allocated and not freed by this
/// thread while `f` ran), with the result, kept alive.
pub fn heap_bytes_of<T>(f: impl FnOnce() -> T) -> (T, isize) {
    let before = thread_bytes();
    let value = f();
    (value, thread_bytes() - before)
}

/// Bytes this thread has allocated and not freed (negative if it freed
/// memory that other threads allocated).
fn thread_bytes() -> isize {
    THREAD_BYTES.with(Cell::get)
}

fn record(delta: isize) {
    let now = LIVE_BYTES.fetch_add(delta, Ordering::SeqCst) + delta;
    PEAK_BYTES.fetch_max(now, Ordering::SeqCst);
    // `try_with`: an allocation during the thread's teardown, after its
    // locals are gone, is still counted globally.
    let _ = THREAD_BYTES.try_with(|bytes| bytes.set(bytes.get() + delta));
}

// SAFETY: forwards every call to the system allocator unchanged; the
// counters have no effect on the memory handed out.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            record(layout.size() as isize);
            LIVE_ALLOCS.fetch_add(1, Ordering::SeqCst);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) };
        record(-(layout.size() as isize));
        LIVE_ALLOCS.fetch_sub(1, Ordering::SeqCst);
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            record(layout.size() as isize);
            LIVE_ALLOCS.fetch_add(1, Ordering::SeqCst);
        }
        p
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            record(new_size as isize - layout.size() as isize);
        }
        p
    }
}
