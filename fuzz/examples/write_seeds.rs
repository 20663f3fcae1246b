//! Writes the hand-made seeds of the fuzz corpus (`corpus/<target>/`):
//! small ordinary inputs (`seed-*`) and the inputs issue 14 describes
//! (`issue14-*`), from their plain form in each check module's `regressions` or built here.
//! Run from `fuzz/`: `cargo run --example write_seeds`. The files it
//! writes are committed; rerunning it rewrites them identically.

use accrual::monitor::{Monitor, Snapshot};
use accrual::{Config, Model, Timestamp};
use accrual_fuzz::check::{detector, monitor, snapshot, spec, tune};
use accrual_fuzz::{decode, encode};
use arbitrary::Unstructured;
use serde_json::{json, Value};
use std::fs;
use std::path::Path;
use std::time::Duration;

fn write(target: &str, name: &str, bytes: &[u8]) {
    let dir = Path::new("corpus").join(target);
    fs::create_dir_all(&dir).expect("creating the corpus directory");
    fs::write(dir.join(name), bytes).expect("writing a seed");
}

fn main() {
    detector_seeds();
    monitor_seeds();
    tune_seeds();
    snapshot_seeds();
    trace_seeds();
}

fn detector_seeds() {
    use detector::{At, Op};
    let ordinary = (0..20)
        .map(|i| Op::Heartbeat(1_000_000_000 + i * 7_000_000))
        .chain([Op::Phi(At::After(2_000_000_000)), Op::Deadline, Op::Late(5)])
        .collect::<Vec<_>>();
    let mut all = vec![("seed-steady", spec::default_spec(), 0, ordinary)];
    for (name, item, spec, start, ops) in detector::regressions() {
        all.push((leak(format!("issue14-item{item}-{name}")), spec, start, ops));
    }
    for (name, spec, start, ops) in all {
        let bytes = encode::detector_ops(&spec, start, &ops);
        let (s, t, o) = decode::detector_ops(&mut Unstructured::new(&bytes)).expect("decodes");
        assert_eq!(
            format!("{:?}", (s, t, o)),
            format!("{:?}", (spec, start, ops)),
            "{name}"
        );
        write("detector_ops", name, &bytes);
    }
}

fn monitor_seeds() {
    use monitor::Op;
    let ordinary = monitor::Setup {
        config: spec::default_spec(),
        thresholds: vec![1.0, 3.0, 8.0],
        expected_response_after: Duration::from_millis(500),
        shards_log2: 1,
        start: 1_000_000_000,
    };
    let ops = vec![
        Op::Watch(2),
        Op::Beat(0, 0),
        Op::Beat(1, 100_000_000),
        Op::Beat(0, 1_000_000_000),
        Op::Tick(4_000_000_000),
        Op::Beat(0, 100),
        Op::Late(1, 50),
        Op::Tick(30_000_000_000),
        Op::LateTick(1),
        Op::Remove(1),
        Op::Reset,
    ];
    let mut all = vec![("seed-three-levels", ordinary, ops)];
    for (name, item, setup, ops) in monitor::regressions() {
        all.push((leak(format!("issue14-item{item}-{name}")), setup, ops));
    }
    for (name, setup, ops) in all {
        let bytes = encode::monitor_ops(&setup, &ops);
        let decoded = decode::monitor_ops(&mut Unstructured::new(&bytes)).expect("decodes");
        assert_eq!(
            format!("{decoded:?}"),
            format!("{:?}", (setup, ops)),
            "{name}"
        );
        write("monitor_ops", name, &bytes);
    }
}

fn tune_seeds() {
    let ordinary = tune::Case {
        config: spec::default_spec(),
        thresholds: vec![1.0, 2.0, 8.0],
        warmup: 2,
        train_fraction: Some(0.5),
        arrivals: (0..50)
            .map(|i| i * 1_000_000_000 + (i * i % 7) * 90_000_000)
            .collect(),
        seqs: Some((1..=50).collect()),
    };
    let mut all = vec![("seed-jittery", ordinary)];
    for (name, item, case) in tune::regressions() {
        all.push((leak(format!("issue14-item{item}-{name}")), case));
    }
    for (name, case) in all {
        let bytes = encode::tune_case(&case);
        let decoded = decode::tune_case(&mut Unstructured::new(&bytes)).expect("decodes");
        assert_eq!(format!("{decoded:?}"), format!("{case:?}"), "{name}");
        write("tune_scorer", name, &bytes);
    }
}

/// A monitor's snapshot as a JSON value, for the seeds to edit.
fn snapshot_value(model: Model, beats: u64) -> Value {
    let config = Config::builder()
        .model(model)
        .max_sample_size(16)
        .build()
        .expect("valid");
    let m = Monitor::<String>::builder()
        .config(config)
        .thresholds([3.0, 8.0])
        .build()
        .expect("valid");
    // Peer p1 numbers its heartbeats and now and then skips a number, so
    // that the margin models' snapshots carry sending periods.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for p in 0..2 {
        let (mut t, mut seq) = (0, 0);
        for _ in 0..beats {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            t += 900_000_000 + x % 200_000_000;
            seq += 1 + u64::from(x % 5 == 0);
            let (peer, at) = (format!("p{p}"), Timestamp::from_nanos(t));
            if p == 1 {
                m.heartbeat_seq(&peer, at, seq).expect("in order");
            } else {
                m.heartbeat(&peer, at).expect("in order");
            }
        }
    }
    let now = Timestamp::from_millis(beats * 1_100);
    m.watch("w", now);
    serde_json::to_value(m.snapshot(now)).expect("JSON")
}

fn snapshot_seeds() {
    let json = |v: &Value| serde_json::to_vec(v).expect("JSON");
    let akka = snapshot_value(Model::Akka, 20);
    write("snapshot_bytes", "seed-akka.json", &json(&akka));

    // Item 1: a snapshot whose configuration `build` accepts but whose
    // derived durations overflow (the 400-byte snapshot).
    let mut overflowing = snapshot_value(Model::Normal, 3);
    overflowing["config"]["acceptable_pause"] = json!({"secs": 1u64 << 40, "nanos": 0});
    overflowing["config"]["interval_warning_fraction"] = json!(1e9);
    overflowing["peers"] = json!([]);
    write(
        "snapshot_bytes",
        "issue14-item1-overflowing-config.json",
        &json(&overflowing),
    );

    // Item 5: Bertier's estimates, `f64`s that serde_json's default float
    // parsing does not always read back to the same bits. Pick the first
    // snapshot the check fails on.
    std::panic::set_hook(Box::new(|_| {}));
    let bertier = (20..400)
        .map(|beats| json(&snapshot_value(Model::Bertier, beats)))
        .find(|bytes| {
            std::panic::catch_unwind(|| snapshot::check(&snapshot::Json, bytes)).is_err()
        });
    let _ = std::panic::take_hook();
    match bertier {
        Some(bytes) => write(
            "snapshot_bytes",
            "issue14-item5-bertier-estimates.json",
            &bytes,
        ),
        None => eprintln!("no Bertier snapshot found that JSON does not read back exactly"),
    }

    // Item 6: the same snapshot in the binary formats, which read fields
    // by position, so that a field left out would break them.
    let bertier: Snapshot<String> =
        serde_json::from_value(snapshot_value(Model::Bertier, 20)).expect("a snapshot");
    let postcard = postcard::to_allocvec(&bertier).expect("postcard");
    write("snapshot_bytes", "issue14-item6-postcard.bin", &postcard);
    use bincode::Options;
    let bincode = bincode::DefaultOptions::new()
        .serialize(&bertier)
        .expect("bincode");
    write("snapshot_bytes", "issue14-item6-bincode.bin", &bincode);
    for (bytes, what) in [(&postcard, "postcard"), (&bincode, "bincode")] {
        let decoded: Option<Snapshot<String>> = match what {
            "postcard" => postcard::from_bytes(bytes).ok(),
            _ => bincode::DefaultOptions::new().deserialize(bytes).ok(),
        };
        assert!(decoded.is_some(), "the {what} seed decodes");
    }

    // Item 7: a pause guard with a zero pause, which `PauseGuard::new`
    // refuses, and a snapshot of 8 peers of one sample each in windows of
    // 2^24 (about 900 bytes; restoring it took 2.1 GB).
    let guard = json!({"max_pause": {"secs": 0, "nanos": 0}, "grace": {"secs": 1, "nanos": 0}});
    write(
        "snapshot_bytes",
        "issue14-item7-zero-pause-guard.json",
        &json(&guard),
    );
    let mut huge = snapshot_value(Model::Empirical, 3);
    huge["config"]["max_sample_size"] = json!(1 << 24);
    huge["peers"] = Value::Array(
        (0..8)
            .map(|p| json!({"peer": format!("p{p}"), "last": 0, "samples": [1000000], "never_heard": false}))
            .collect(),
    );
    write(
        "snapshot_bytes",
        "issue14-item7-huge-windows.json",
        &json(&huge),
    );
}

fn trace_seeds() {
    // Two leading bytes choose the default read options (see
    // `decode::trace_input`); the rest is the file.
    let seed = |name: &str, csv: &[u8]| {
        let mut bytes = vec![0, 0];
        bytes.extend_from_slice(csv);
        write("trace_reader", name, &bytes);
    };
    seed(
        "seed-nodes",
        b"node,arrival_ms,seq\na,100,1\nb,150,1\na,200.5,2\n\"c,d\",300,\n",
    );
    seed(
        "seed-semicolon-bom",
        b"\xEF\xBB\xBF# comment\r\nnode;arrival_ms\r\nx;1\r\nx;2\r\n",
    );
    seed("seed-out-of-order", b"arrival_ms\n5\n4\n");
    seed(
        "seed-quoted-break",
        b"node,arrival_ms\n\"a\nb\",1\n\"a\nb\",2\n",
    );
    // Item 10's neighbours in the reader: a value of 1e15 ms and a long
    // bad token (errors must name the line and stay short).
    seed(
        "issue14-item10-large-values",
        b"arrival_ms\n1e15\n18446744073709.551615\n",
    );
    let mut long = b"arrival_ms\n".to_vec();
    long.extend(std::iter::repeat_n(b'7', 4000));
    long.push(b'x');
    seed("issue14-item10-long-token", &long);
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}
