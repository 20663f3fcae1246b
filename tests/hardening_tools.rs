//! The trace reader and the tuning scorer (feature `tools`), the fuzz
//! targets' invariants on stable: the checks live in
//! `fuzz/src/check/trace.rs` and `fuzz/src/check/tune.rs` (read their
//! module docs), shared with the `trace_reader` and `tune_scorer` fuzz
//! targets. Here the inputs come from proptest, and the corpus's inputs
//! for issue 14 run as regressions.
#![cfg(feature = "tools")]

// Shared with the fuzz targets; the knobs of some cases serve only the
// detector's checks.
#[allow(dead_code)]
#[path = "../fuzz/src/check/spec.rs"]
mod spec;
#[path = "../fuzz/src/check/trace.rs"]
mod trace;
#[path = "../fuzz/src/check/tune.rs"]
mod tune;

use proptest::prelude::*;
use spec::ConfigSpec;
use std::time::Duration;

/// CSV-like bytes: fields drawn from the tokens a trace holds and the
/// ones that break it, joined by delimiters, quotes and line breaks.
fn csv() -> impl Strategy<Value = Vec<u8>> {
    let token = prop_oneof![
        Just("node".to_string()),
        Just("arrival_ms".to_string()),
        Just("seq".to_string()),
        Just("#".to_string()),
        Just("\"".to_string()),
        Just("\u{feff}".to_string()),
        "[0-9]{1,22}(\\.[0-9]{0,9})?",
        "-?[0-9e.+]{1,6}",
        "[a-c ]{0,3}",
        Just(String::new()),
    ];
    let separator = prop_oneof![
        4 => Just(","),
        1 => Just(";"),
        1 => Just("\t"),
        2 => Just("\n"),
        1 => Just("\r\n"),
        1 => Just("\r"),
    ];
    prop::collection::vec((token, separator), 0..40).prop_map(|parts| {
        let mut out = String::from("node,arrival_ms,seq\n");
        for (t, s) in parts {
            out.push_str(&t);
            out.push_str(s);
        }
        out.into_bytes()
    })
}

fn options() -> impl Strategy<Value = trace::Options> {
    (
        prop::option::of(prop::sample::select(vec![b',', b';', b'\t', b'"', 0xE9])),
        prop::option::of((
            prop::sample::select(vec!["t_ns".to_string(), "arrival_ms".to_string()]),
            0usize..4,
        )),
    )
        .prop_map(|(delimiter, time_column)| trace::Options {
            delimiter,
            time_column,
        })
}

/// Knobs in ordinary ranges (see `tests/hardening.rs`).
fn config() -> impl Strategy<Value = ConfigSpec> {
    (
        (0usize..8, 0.01f64..20.0, 1usize..16),
        (0u64..500, 0u64..3_000, 1u64..2_000),
        (0usize..2, 0usize..2, 0usize..2),
    )
        .prop_map(|(a, ms, c)| ConfigSpec {
            model: a.0,
            threshold: a.1,
            max_sample_size: a.2,
            min_std_deviation: Duration::from_millis(ms.0.max(1)),
            acceptable_pause: Duration::from_millis(ms.1),
            first_heartbeat_estimate: Duration::from_millis(ms.2),
            learning: c.0,
            period: c.1,
            bootstrap: c.2,
            ..spec::default_spec()
        })
}

/// A short trace: mostly regular, with late, lost and duplicated
/// heartbeats, sorted or with some rows out of order.
fn case(sorted: bool) -> impl Strategy<Value = tune::Case> {
    let step = prop_oneof![
        6 => 50u64..150,
        1 => 0u64..2,
        2 => 150u64..3_000,
    ];
    (
        config(),
        prop::collection::vec(
            prop_oneof![4 => 0.01f64..20.0, 1 => Just(0.0), 1 => Just(f64::INFINITY)],
            0..5,
        ),
        0usize..4,
        prop::option::of(0.0f64..1.0),
        prop::collection::vec((step, any::<bool>(), 0u64..3), 0..60),
        any::<bool>(),
    )
        .prop_map(
            move |(config, thresholds, warmup, train_fraction, steps, numbered)| {
                let mut t = 1_000u64;
                let mut seq = 0;
                let (mut arrivals, mut seqs) = (Vec::new(), Vec::new());
                for (ms, back, s) in steps {
                    t = if back && !sorted {
                        t.saturating_sub(ms)
                    } else {
                        t + ms
                    };
                    seq += s;
                    arrivals.push(t * 1_000_000);
                    seqs.push(seq);
                }
                tune::Case {
                    config,
                    thresholds,
                    warmup,
                    train_fraction,
                    arrivals,
                    seqs: numbered.then_some(seqs),
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn the_trace_reader_keeps_its_promises(options in options(), bytes in csv()) {
        trace::check(&options, &bytes);
    }

    #[test]
    fn the_scorer_agrees_with_plain_detectors(case in case(true)) {
        tune::check(&case);
    }

    #[test]
    fn the_scorer_skips_arrivals_out_of_order(case in case(false)) {
        tune::check(&case);
    }
}

/// Runs the scorer regressions of issue 14's item `item`.
fn tune_item(item: u32) {
    let cases: Vec<_> = tune::regressions()
        .into_iter()
        .filter(|c| c.1 == item)
        .collect();
    assert!(!cases.is_empty(), "no scorer regression for item {item}");
    for (name, _, case) in cases {
        eprintln!("{name}");
        tune::check(&case);
    }
}

#[test]
fn the_scorer_refuses_thresholds_0_and_infinity() {
    tune_item(3);
}

#[test]
fn the_scorer_follows_each_detectors_skip_flag() {
    tune_item(4);
}

#[test]
fn the_corpus_traces_read_as_documented() {
    let seeds: [&[u8]; 6] = [
        include_bytes!("../fuzz/corpus/trace_reader/seed-nodes"),
        include_bytes!("../fuzz/corpus/trace_reader/seed-semicolon-bom"),
        include_bytes!("../fuzz/corpus/trace_reader/seed-out-of-order"),
        include_bytes!("../fuzz/corpus/trace_reader/seed-quoted-break"),
        include_bytes!("../fuzz/corpus/trace_reader/issue14-item10-large-values"),
        include_bytes!("../fuzz/corpus/trace_reader/issue14-item10-long-token"),
    ];
    let default = trace::Options {
        delimiter: None,
        time_column: None,
    };
    for seed in seeds {
        // Two leading bytes choose the fuzz target's read options.
        trace::check(&default, &seed[2..]);
    }
}

#[test]
fn a_lone_carriage_return_does_not_give_two_rows_one_line() {
    let seed = include_bytes!("../fuzz/corpus/trace_reader/seed-lone-cr");
    let default = trace::Options {
        delimiter: None,
        time_column: None,
    };
    trace::check(&default, &seed[2..]);
}

#[test]
fn groups_whose_windows_agree_but_not_their_sending_periods_stay_apart() {
    // Found by the tune_scorer fuzz target (the input is
    // `fuzz/corpus/tune_scorer/seed-numbered-gap-chen-minimized`): Chen's
    // detector with sequence numbers, thresholds far apart, so that one
    // member learns a late interval two sending periods long and the other
    // does not; their windows later hold the same microseconds, but not
    // the same periods per interval, and merging them gave one member the
    // other's expected arrival (its detection time differed from a plain
    // detector's by 577 ms).
    let case = tune::Case {
        config: ConfigSpec {
            model: 3,
            threshold: 8.192,
            max_sample_size: 3,
            acceptable_pause: Duration::from_millis(514),
            first_heartbeat_estimate: Duration::from_millis(514),
            learning: 0,
            period: 0,
            bootstrap: 0,
            ..spec::default_spec()
        },
        thresholds: vec![376831.99999999994, 1e-300],
        warmup: 2,
        train_fraction: None,
        arrivals: vec![
            514000008,
            773000008,
            773000008,
            772997008,
            772996800,
            772996798,
            1286996798,
            1800996798,
            1800996796,
            2314996796,
            2828996796,
            2828996804,
            3342996804,
            3344996804,
            3344996596,
            3344996594,
            3858996594,
            3858996602,
            4372996602,
            4886996602,
            4886996604,
            4886996636,
            4886996636,
            4886996636,
            4886996636,
            4886996428,
            4372996428,
            4886996428,
            4888996428,
            5402996428,
            5916996428,
            5916996636,
            5916996428,
            6430996428,
            8478996428,
            8992996428,
            8992996636,
            8992996428,
            9506996428,
            10020996428,
            10020996436,
            10534996436,
            10536996436,
            10536996228,
            10536996226,
            11050996226,
            11050996234,
            11564996234,
            12078996234,
            12078996242,
            20270996242,
            20270996242,
            20270996242,
            20270996242,
            20270996034,
            19756996034,
            20270996034,
            20272996034,
            20786996034,
            21300996034,
            21300996242,
            21300996034,
            21814996034,
            23862996034,
            24376996034,
            24376996034,
        ],
        seqs: Some(vec![
            2, 2, 2, 2, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 22, 24, 26, 28, 30, 32, 34, 34, 34, 34,
            34, 35, 37, 39, 41, 43, 43, 44, 46, 48, 50, 52, 53, 55, 57, 59, 61, 63, 65, 66, 68, 70,
            72, 74, 76, 78, 78, 78, 78, 78, 79, 81, 83, 85, 87, 87, 88, 90, 92, 94, 96, 96,
        ]),
    };
    assert_eq!(
        case.config.build().unwrap().model(),
        accrual::Model::Chen,
        "the case is Chen's"
    );
    tune::check(&case);
}
