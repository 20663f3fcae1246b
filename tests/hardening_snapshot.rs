//! Snapshot restore from bytes (feature `serde`), the fuzz target's
//! invariants on stable: the check lives in `fuzz/src/check/snapshot.rs`
//! (read its module doc), shared with the `snapshot_bytes` fuzz target,
//! Here the bytes are snapshots of monitors fed random heartbeats, written
//! in JSON, postcard and bincode, whole, cut short or with a byte changed,
//! and the corpus's regressions for issue 14 (JSON).
#![cfg(feature = "serde")]

#[path = "../fuzz/src/check/snapshot.rs"]
mod snapshot;

use accrual::monitor::{Monitor, Snapshot};
use accrual::{Config, Model, Timestamp};
use proptest::prelude::*;
use snapshot::{Bincode, Format, Json, Postcard};

/// A monitor of `model` whose peers sent heartbeats `gaps_ms` apart, and
/// its snapshot in `format`.
fn snapshot_bytes(
    format: &impl Format,
    model: Model,
    window: usize,
    gaps_ms: &[(u8, u32)],
) -> Vec<u8> {
    let config = Config::builder()
        .model(model)
        .max_sample_size(window)
        .build()
        .expect("a valid configuration");
    let monitor = Monitor::<String>::builder()
        .config(config)
        .thresholds([2.0, 8.0])
        .build()
        .expect("valid settings");
    // Peers 2 and 3 number their heartbeats, skipping a number now and
    // then, so that the margin models' periods travel too.
    let mut clocks = [0u64; 4];
    let mut seqs = [0u64; 4];
    for &(peer, gap) in gaps_ms {
        let p = usize::from(peer % 4);
        clocks[p] += u64::from(gap);
        seqs[p] += 1 + u64::from(gap % 3 == 0);
        let (name, at) = (format!("p{p}"), Timestamp::from_millis(clocks[p]));
        let _ = if p >= 2 {
            monitor.heartbeat_seq(&name, at, seqs[p])
        } else {
            monitor.heartbeat(&name, at)
        };
    }
    monitor.watch("watched", Timestamp::from_millis(1_000));
    let now = Timestamp::from_millis(clocks.iter().copied().max().unwrap_or(0));
    format.encode(&monitor.snapshot(now))
}

/// A monitor's snapshot as JSON (see [`snapshot_bytes`]).
fn snapshot_json(model: Model, window: usize, gaps_ms: &[(u8, u32)]) -> Vec<u8> {
    snapshot_bytes(&Json, model, window, gaps_ms)
}

fn gaps() -> impl Strategy<Value = Vec<(u8, u32)>> {
    prop::collection::vec((0u8..4, 0u32..5_000), 0..60)
}

/// Every model but Bertier's, whose estimates item 5 is about.
fn model() -> impl Strategy<Value = Model> {
    prop::sample::select(
        Model::ALL
            .into_iter()
            .filter(|&m| m != Model::Bertier)
            .collect::<Vec<_>>(),
    )
}

/// A whole snapshot in `format` restores and reads back exactly.
fn whole(format: &impl Format, model: Model, window: usize, gaps: &[(u8, u32)]) {
    let bytes = snapshot_bytes(format, model, window, gaps);
    // The check passes over bytes that do not decode; these must.
    assert!(
        format.decode::<Snapshot<String>>(&bytes).is_some(),
        "{}: a monitor's own snapshot does not decode",
        format.name()
    );
    snapshot::check(format, &bytes);
}

/// A snapshot in `format` with the byte at `flip.0` set to `flip.1`, then
/// cut at `cut`: refused or restored, never a panic.
fn damaged(
    format: &impl Format,
    model: Model,
    gaps: &[(u8, u32)],
    cut: prop::sample::Index,
    flip: (prop::sample::Index, u8),
) {
    let mut bytes = snapshot_bytes(format, model, 8, gaps);
    let (at, byte) = flip;
    let i = at.index(bytes.len());
    bytes[i] = byte;
    snapshot::check(format, &bytes);
    let len = cut.index(bytes.len());
    snapshot::check(format, &bytes[..len]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100))]

    #[test]
    fn snapshots_restore_and_read_back_exactly(
        model in model(),
        window in 1usize..32,
        gaps in gaps(),
    ) {
        whole(&Json, model, window, &gaps);
        whole(&Postcard, model, window, &gaps);
        whole(&Bincode, model, window, &gaps);
    }

    /// A snapshot cut anywhere, or with one byte changed, is refused or
    /// restored, never a panic.
    #[test]
    fn damaged_snapshots_never_panic(
        model in model(),
        gaps in gaps(),
        cut in any::<prop::sample::Index>(),
        flip in any::<(prop::sample::Index, u8)>(),
    ) {
        damaged(&Json, model, &gaps, cut, flip);
        damaged(&Postcard, model, &gaps, cut, flip);
        damaged(&Bincode, model, &gaps, cut, flip);
    }

    #[test]
    fn bertier_snapshots_read_back_exactly(window in 1usize..32, gaps in gaps()) {
        whole(&Json, Model::Bertier, window, &gaps);
        whole(&Postcard, Model::Bertier, window, &gaps);
        whole(&Bincode, Model::Bertier, window, &gaps);
    }
}

#[test]
fn an_ordinary_snapshot_from_the_corpus() {
    snapshot::check(
        &Json,
        include_bytes!("../fuzz/corpus/snapshot_bytes/seed-akka.json"),
    );
}

#[test]
fn a_version_1_snapshot_from_the_corpus() {
    // Written before sequence numbers were saved, with plain JSON numbers
    // for the floats: it still restores, and saves back as version 2.
    let bytes = include_bytes!("../fuzz/corpus/snapshot_bytes/seed-akka-version1.json");
    let snapshot: Snapshot<String> = serde_json::from_slice(bytes).expect("version 1 parses");
    assert_eq!(snapshot.version(), 1);
    assert!(Monitor::restore(snapshot, Timestamp::from_millis(5_000)).is_ok());
    snapshot::check(&Json, bytes);
}

#[test]
fn the_binary_seeds_from_the_corpus() {
    let postcard = include_bytes!("../fuzz/corpus/snapshot_bytes/issue14-item6-postcard.bin");
    let bincode = include_bytes!("../fuzz/corpus/snapshot_bytes/issue14-item6-bincode.bin");
    assert!(Postcard.decode::<Snapshot<String>>(postcard).is_some());
    assert!(Bincode.decode::<Snapshot<String>>(bincode).is_some());
    snapshot::check(&Postcard, postcard);
    snapshot::check(&Bincode, bincode);
}

#[test]
fn a_snapshot_with_an_overflowing_configuration() {
    snapshot::check(
        &Json,
        include_bytes!("../fuzz/corpus/snapshot_bytes/issue14-item1-overflowing-config.json"),
    );
}

#[test]
fn bertier_estimates_read_back_exactly() {
    // One peer, four intervals: a case proptest shrank to, whose estimates
    // serde_json's default float parsing does not read back bit for bit.
    let gaps = [(0, 0), (0, 2094), (0, 944), (0, 3762), (0, 1245)];
    snapshot::check(&Json, &snapshot_json(Model::Bertier, 6, &gaps));
}

#[test]
fn a_pause_guard_read_through_serde_is_validated() {
    snapshot::check(
        &Json,
        include_bytes!("../fuzz/corpus/snapshot_bytes/issue14-item7-zero-pause-guard.json"),
    );
}

#[test]
fn a_restore_allocates_what_the_snapshot_holds() {
    // Eight peers of one sample each in windows of 2^24: restoring it
    // must not reserve the windows' full size (2^24 slots of 4 bytes in the
    // window and 16 in the sorted copy, for each of eight peers: 2.7 GB).
    // Memory is
    // not measured here (the fuzzer's limit does that); this runs it.
    snapshot::check(
        &Json,
        include_bytes!("../fuzz/corpus/snapshot_bytes/issue14-item7-huge-windows.json"),
    );
}

#[test]
fn estimates_of_a_model_that_keeps_none_are_not_dropped_silently() {
    // An Akka snapshot with `estimates` added to one peer: a restore must
    // refuse them or keep them, so that the restored monitor saves the
    // snapshot it was given.
    snapshot::check(
        &Json,
        include_bytes!("../fuzz/corpus/snapshot_bytes/seed-estimates-on-an-akka-peer.json"),
    );
}
