//! Prints what a fuzz input decodes to, to read a crash:
//! `cargo run --example show_input -- TARGET FILE` from `fuzz/`.

use accrual_fuzz::decode;
use arbitrary::Unstructured;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, target, file] = args.as_slice() else {
        eprintln!("usage: show_input TARGET FILE");
        std::process::exit(2);
    };
    let bytes = std::fs::read(file).expect("reading the input");
    let mut u = Unstructured::new(&bytes);
    match target.as_str() {
        "detector_ops" => println!("{:#?}", decode::detector_ops(&mut u)),
        "monitor_ops" => println!("{:#?}", decode::monitor_ops(&mut u)),
        "tune_scorer" => println!("{:#?}", decode::tune_case(&mut u)),
        "trace_reader" => match decode::trace_input(&mut u) {
            Ok((options, rest)) => println!("{options:#?}\n{}", String::from_utf8_lossy(rest)),
            Err(e) => println!("{e}"),
        },
        "snapshot_bytes" => println!("{}", String::from_utf8_lossy(&bytes)),
        other => {
            eprintln!("unknown target {other}");
            std::process::exit(2);
        }
    }
}
