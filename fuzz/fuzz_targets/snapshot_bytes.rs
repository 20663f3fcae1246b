//! Arbitrary bytes restored as a monitor snapshot in JSON, postcard and
//! bincode: see `accrual_fuzz::check::snapshot` for what is checked. The
//! same bytes go to all three formats, so a seed written for one (the
//! corpus holds JSON ones) still exercises the others' error paths.
#![no_main]

use accrual_fuzz::check::snapshot::{self, Format, Json};
use bincode::Options;
use libfuzzer_sys::fuzz_target;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// postcard, the compact format of embedded and no_std programs.
struct Postcard;

impl Format for Postcard {
    fn name(&self) -> &'static str {
        "postcard"
    }
    fn decode<T: DeserializeOwned>(&self, bytes: &[u8]) -> Option<T> {
        postcard::from_bytes(bytes).ok()
    }
    fn encode<T: Serialize>(&self, value: &T) -> Vec<u8> {
        postcard::to_allocvec(value).expect("a snapshot serialises to postcard")
    }
}

/// bincode 1 with its default options (variable-length integers); reads
/// are limited to the input's size so that a length prefix cannot make
/// bincode itself allocate more than the bytes hold.
struct Bincode;

impl Format for Bincode {
    fn name(&self) -> &'static str {
        "bincode"
    }
    fn decode<T: DeserializeOwned>(&self, bytes: &[u8]) -> Option<T> {
        bincode::DefaultOptions::new()
            .with_limit(bytes.len() as u64)
            .deserialize(bytes)
            .ok()
    }
    fn encode<T: Serialize>(&self, value: &T) -> Vec<u8> {
        bincode::DefaultOptions::new()
            .serialize(value)
            .expect("a snapshot serialises to bincode")
    }
}

fuzz_target!(|data: &[u8]| {
    snapshot::check(&Json, data);
    snapshot::check(&Postcard, data);
    snapshot::check(&Bincode, data);
});
