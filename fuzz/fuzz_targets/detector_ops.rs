//! One detector, any configuration `build` accepts, any heartbeats and
//! queries: see `accrual_fuzz::check::detector` for what is checked.
#![no_main]

use accrual_fuzz::{check::detector, decode};
use arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok((spec, start, ops)) = decode::detector_ops(&mut Unstructured::new(data)) {
        detector::check(&spec, start, &ops);
    }
});
