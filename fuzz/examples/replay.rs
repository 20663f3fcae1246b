//! Runs fuzz inputs through their target's checks without libFuzzer, one
//! process for many files, and says which fail and where:
//! `cargo run --example replay -- TARGET FILE...` from `fuzz/`.

use accrual_fuzz::check::{detector, monitor, snapshot, trace, tune};
use accrual_fuzz::decode;
use arbitrary::Unstructured;
use std::panic;

fn run(target: &str, bytes: &[u8]) {
    let mut u = Unstructured::new(bytes);
    match target {
        "detector_ops" => {
            if let Ok((spec, start, ops)) = decode::detector_ops(&mut u) {
                detector::check(&spec, start, &ops);
            }
        }
        "monitor_ops" => {
            if let Ok((setup, ops)) = decode::monitor_ops(&mut u) {
                monitor::check(&setup, &ops);
            }
        }
        "trace_reader" => {
            if let Ok((options, rest)) = decode::trace_input(&mut u) {
                trace::check(&options, rest);
            }
        }
        "tune_scorer" => {
            if let Ok(case) = decode::tune_case(&mut u) {
                tune::check(&case);
            }
        }
        // JSON only: the binary formats live in the fuzz target itself.
        "snapshot_bytes" => snapshot::check(&snapshot::Json, bytes),
        other => panic!("unknown target {other}"),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((target, files)) = args.split_first() else {
        eprintln!("usage: replay TARGET FILE...");
        std::process::exit(2);
    };
    panic::set_hook(Box::new(|_| {}));
    let mut failed = 0;
    for file in files {
        let bytes = std::fs::read(file).expect("reading an input");
        if let Err(e) = panic::catch_unwind(|| run(target, &bytes)) {
            failed += 1;
            let message = e
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| e.downcast_ref::<&str>().copied())
                .unwrap_or("(no message)");
            println!("{file}: {}", message.lines().next().unwrap_or(""));
        }
    }
    println!("{failed} of {} inputs fail", files.len());
}
