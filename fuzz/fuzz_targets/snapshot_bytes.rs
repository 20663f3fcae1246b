//! Arbitrary bytes restored as a monitor snapshot in JSON, postcard and
//! bincode: see `accrual_fuzz::check::snapshot` for what is checked. The
//! same bytes go to all three formats, so a seed written for one (the
//! corpus holds JSON ones) still exercises the others' error paths.
#![no_main]

use accrual_fuzz::check::snapshot::{self, Bincode, Json, Postcard};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    snapshot::check(&Json, data);
    snapshot::check(&Postcard, data);
    snapshot::check(&Bincode, data);
});
