//! Memory: a detector costs 4 bytes per window sample plus a small fixed
//! header, measured with a counting allocator rather than estimated.

use accrual::{Config, Detector, Model, Timestamp};

#[path = "../benches/support/counting.rs"]
mod counting;

use counting::{heap_bytes_of, Counting};

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn a_detector_costs_four_bytes_per_sample_plus_a_small_header() {
    // Counts are of this thread's allocations only, so the harness's own
    // threads cannot disturb them.
    for window in [1usize, 10, 1000, 100_000] {
        let config = Config::builder().max_sample_size(window).build().unwrap();
        let (mut detector, heap) = heap_bytes_of(|| Detector::new(config));
        assert_eq!(heap, 4 * window as isize, "window {window}");
        // Heartbeats never allocate.
        let (_, more) = heap_bytes_of(|| {
            for i in 0..(2 * window as u64 + 10) {
                detector
                    .heartbeat(Timestamp::from_millis(i * 1000))
                    .unwrap();
            }
        });
        assert_eq!(more, 0, "window {window}");
    }
    // The other models keep a history beside the window: a few sums for
    // Chen, 2W-FD and Bertier, a sorted mirror of 16 bytes per sample for
    // the empirical model. Allocated once too.
    for model in Model::ALL {
        let window = 1000;
        let config = Config::builder()
            .model(model)
            .max_sample_size(window)
            .build()
            .unwrap();
        let (mut detector, heap) = heap_bytes_of(|| Detector::new(config));
        let extra = heap - 4 * window as isize;
        println!("{model}: {heap} bytes of heap at window {window} ({extra} beyond the samples)");
        match model {
            Model::Normal | Model::Akka | Model::Exponential | Model::Deadline => {
                assert_eq!(extra, 0, "{model}")
            }
            Model::Empirical => assert!(
                extra >= 16 * window as isize && extra <= 16 * window as isize + 256,
                "{model}: {extra}"
            ),
            _ => assert!(extra > 0 && extra <= 256, "{model}: {extra}"),
        }
        let (_, more) = heap_bytes_of(|| {
            for i in 0..(2 * window as u64 + 10) {
                let _ = detector.heartbeat(Timestamp::from_millis(i * 1000));
            }
        });
        assert_eq!(more, 0, "{model}");
    }
    let header = std::mem::size_of::<Detector>();
    println!("size_of::<Detector>() = {header} bytes");
    // The configuration and the constants derived from it (thresholds in
    // model units, the sure-horizon factors) plus the per-peer state.
    assert!(header <= 384, "fixed header is {header} bytes");
}
