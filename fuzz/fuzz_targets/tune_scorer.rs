//! The tuning scorer on a small trace against a plain detector per
//! threshold: see `accrual_fuzz::check::tune` for what is checked.
#![no_main]

use accrual_fuzz::{check::tune, decode};
use arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(case) = decode::tune_case(&mut Unstructured::new(data)) {
        tune::check(&case);
    }
});
