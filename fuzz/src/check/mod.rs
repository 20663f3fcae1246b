//! The invariants each fuzz target checks, as plain functions of plain
//! inputs. The property tests of the main crate (`tests/hardening*.rs`)
//! include these same files, so the fuzzer (nightly) and `cargo test`
//! (stable) check one set of rules.

pub mod detector;
pub mod monitor;
pub mod snapshot;
pub mod spec;
pub mod trace;
pub mod tune;
