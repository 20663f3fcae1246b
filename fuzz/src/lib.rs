//! The fuzz targets' shared code: [`check`] holds the invariants (plain
//! functions, also run by the main crate's property tests), [`decode`]
//! turns the fuzzer's bytes into their inputs.

pub mod check;
pub mod decode;
pub mod encode;
