//! Arbitrary bytes through the trace CSV reader: see
//! `accrual_fuzz::check::trace` for what is checked. The first bytes
//! choose the read options; the rest is the file.
#![no_main]

use accrual_fuzz::{check::trace, decode};
use arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok((options, bytes)) = decode::trace_input(&mut Unstructured::new(data)) {
        trace::check(&options, bytes);
    }
});
