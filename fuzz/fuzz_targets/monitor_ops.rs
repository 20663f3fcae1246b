//! A monitor against one plain detector per peer: see
//! `accrual_fuzz::check::monitor` for what is checked.
#![no_main]

use accrual_fuzz::{check::monitor, decode};
use arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok((setup, ops)) = decode::monitor_ops(&mut Unstructured::new(data)) {
        monitor::check(&setup, &ops);
    }
});
