//! Reading trace files from the command line, as a user would: the
//! spellings spreadsheets and logs use, standard input, exact node names,
//! and errors that point at the line, the column and the value.
//!
//! The scores themselves are checked in `tests/cli.rs`; here every
//! spelling of one trace must give the scores of its plain CSV form.

#[path = "support/cli.rs"]
mod support;

use std::process::Output;
use support::{accrual, text, write_temp};

/// A trace of three nodes, 100 ms heartbeats for a minute each, with a
/// few long gaps, as `(node, arrival_ms)` rows in time order.
fn three_node_rows() -> Vec<(&'static str, u64)> {
    let mut rows = Vec::new();
    for (n, name) in ["a", "b", "c"].into_iter().enumerate() {
        let mut t = n as u64 * 7;
        for k in 0..600u64 {
            // Every 97th heartbeat of node n is 250·(n+1) ms late.
            t += if k % 97 == 96 {
                100 + 250 * (n as u64 + 1)
            } else {
                100
            };
            rows.push((name, t));
        }
    }
    rows.sort_by_key(|&(name, t)| (t, name));
    rows
}

/// `tune` on the built rows, comparing timeouts, as CSV.
fn tune_csv(extra: &[&str], stdin: &str) -> Output {
    let mut args = vec![
        "tune",
        "--models",
        "timeout",
        "--thresholds",
        "150,300,450,600",
        "--format",
        "csv",
    ];
    args.extend_from_slice(extra);
    accrual(&args, stdin)
}

/// The reference: the three-node trace as plain `node,arrival_ms` CSV.
fn plain_three_nodes() -> (String, Output) {
    let csv: String = std::iter::once("node,arrival_ms\n".to_string())
        .chain(
            three_node_rows()
                .into_iter()
                .map(|(n, t)| format!("{n},{t}\n")),
        )
        .collect();
    let path = write_temp("plain.csv", &csv);
    let out = tune_csv(&["--trace", path.to_str().expect("utf-8 path")], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    (csv, out)
}

#[test]
fn tune_reads_spreadsheet_csv_as_it_reads_plain_csv() {
    // The case: with a byte-order mark the node column was lost
    // and three nodes were scored as one; every spelling of the same
    // trace must give the same scores.
    let (_, reference) = plain_three_nodes();
    let rows = three_node_rows();
    let spell = |header: &str, row: &dyn Fn(&str, u64) -> String| -> String {
        std::iter::once(header.to_string())
            .chain(rows.iter().map(|&(n, t)| row(n, t)))
            .collect()
    };
    let variants = [
        (
            "excel.csv",
            spell("\u{feff}node;arrival_ms\r\n", &|n, t| {
                format!("{n};{t}\r\n")
            }),
        ),
        (
            "tabs.tsv",
            spell("node\tarrival_ms\n", &|n, t| format!("{n}\t{t}\n")),
        ),
        (
            "reordered.csv",
            spell("arrival_ms,seq,node\n", &|n, t| format!("{t},,{n}\n")),
        ),
        (
            "quoted.csv",
            spell("\"node\",\"arrival_ms\"\n", &|n, t| {
                format!("\"{n}\",\"{t}\"\n")
            }),
        ),
        (
            "seconds.csv",
            spell("node,arrival_s\n", &|n, t| {
                format!("{n},{}\n", t as f64 / 1000.0)
            }),
        ),
    ];
    for (name, csv) in &variants {
        let path = write_temp(name, csv);
        let path = path.to_str().expect("utf-8 path");
        let extra: &[&str] = if name.starts_with("seconds") {
            &["--trace", path, "--time-column", "arrival_s"]
        } else {
            &["--trace", path]
        };
        let out = tune_csv(extra, "");
        assert!(out.status.success(), "{name}: {}", text(&out.stderr));
        assert_eq!(text(&out.stdout), text(&reference.stdout), "{name}");
    }
    // A delimiter given rather than found.
    let path = write_temp("given.csv", &variants[0].1);
    let out = tune_csv(
        &[
            "--trace",
            path.to_str().expect("utf-8 path"),
            "--delimiter",
            ";",
        ],
        "",
    );
    assert_eq!(text(&out.stdout), text(&reference.stdout));
    let path = write_temp("given.tsv", &variants[1].1);
    let out = tune_csv(
        &[
            "--trace",
            path.to_str().expect("utf-8 path"),
            "--delimiter",
            "tab",
        ],
        "",
    );
    assert_eq!(text(&out.stdout), text(&reference.stdout));
}

#[test]
fn tune_reads_a_trace_from_standard_input() {
    let (csv, reference) = plain_three_nodes();
    let out = tune_csv(&["--trace", "-"], &csv);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(out.stdout, reference.stdout);
    // And straight from `simulate`, as in `accrual simulate | accrual tune
    // --trace -`.
    let sim = accrual(&["simulate", "--duration-s", "60", "--nodes", "2"], "");
    assert!(sim.status.success(), "{}", text(&sim.stderr));
    let path = write_temp("sim-stdin.csv", &text(&sim.stdout));
    let from_file = tune_csv(&["--trace", path.to_str().expect("utf-8 path")], "");
    let from_pipe = tune_csv(&["--trace", "-"], &text(&sim.stdout));
    assert!(from_pipe.status.success(), "{}", text(&from_pipe.stderr));
    assert_eq!(from_pipe.stdout, from_file.stdout);
    let out = tune_csv(&["--trace", "-"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("standard input"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn raw_logs_need_their_time_column_and_unit() {
    let (_, reference) = plain_three_nodes();
    let log: String = std::iter::once("recv_ns,host\n".to_string())
        .chain(
            three_node_rows()
                .into_iter()
                // Nanoseconds since 1970, all 19 digits.
                .map(|(n, t)| format!("{},{n}\n", 1_765_000_000_000_000_000 + t * 1_000_000)),
        )
        .collect();
    let path = write_temp("raw.log", &log.replace("host", "node"));
    let path = path.to_str().expect("utf-8 path");
    // The unit comes from the column's name...
    let out = tune_csv(&["--trace", path, "--time-column", "recv_ns"], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(out.stdout, reference.stdout);
    // ...or from --time-unit, which a name without a unit needs.
    let bare = write_temp("bare.log", &log.replace("recv_ns,host", "t,node"));
    let bare = bare.to_str().expect("utf-8 path");
    let out = tune_csv(
        &["--trace", bare, "--time-column", "t", "--time-unit", "ns"],
        "",
    );
    assert_eq!(out.stdout, reference.stdout, "{}", text(&out.stderr));
    let out = tune_csv(&["--trace", bare, "--time-column", "t"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--time-unit"),
        "{}",
        text(&out.stderr)
    );
    let out = tune_csv(
        &["--trace", bare, "--time-column", "t", "--time-unit", "min"],
        "",
    );
    assert_eq!(out.status.code(), Some(2));
    // Reading options without a trace would be accepted and ignored.
    for option in [
        ["--delimiter", ";"],
        ["--time-column", "t"],
        ["--time-unit", "s"],
    ] {
        let out = tune_csv(&option, "");
        assert_eq!(out.status.code(), Some(2), "{option:?}");
        assert!(
            text(&out.stderr).contains("--trace"),
            "{}",
            text(&out.stderr)
        );
    }
}

#[test]
fn node_names_are_read_exactly() {
    // Quoted names holding a comma, a leading `#`, spaces at both ends:
    // `plot --node` finds each by its exact name, and no other.
    let mut csv = String::from("node,arrival_ms\n");
    for k in 0..50u64 {
        for name in ["\"db-1,eu\"", "\"#7\"", "\" padded \""] {
            csv.push_str(&format!("{name},{}\n", k * 100));
        }
    }
    let path = write_temp("names.csv", &csv);
    let svg = path.with_file_name("names.svg");
    for (node, found) in [
        ("db-1,eu", true),
        ("#7", true),
        (" padded ", true),
        ("padded", false),
        ("db-1", false),
    ] {
        let out = accrual(
            &[
                "plot",
                "--trace",
                path.to_str().expect("utf-8 path"),
                "--node",
                node,
                "--out",
                svg.to_str().expect("utf-8 path"),
            ],
            "",
        );
        assert_eq!(
            out.status.success(),
            found,
            "{node:?}: {}",
            text(&out.stderr)
        );
    }
}

#[test]
fn trace_errors_name_line_column_and_value() {
    let cases = [
        (
            "node,arrival_ms\na,0\na,1O0\n",
            "line 3, column `arrival_ms`: \"1O0\"",
        ),
        (
            "node,arrival_ms,seq\na,0,1\na,100,two\n",
            "line 3, column `seq`: \"two\"",
        ),
        ("node,arrival_ms\ndb-1,eu,5\n", "line 2: 3 fields"),
        (
            "\u{feff}# exported\r\n\r\nnode,arrival_ms\r\na,5\r\n\r\na,4\r\n",
            "line 6",
        ),
    ];
    for (csv, expected) in cases {
        let path = write_temp("bad-row.csv", csv);
        let out = accrual(&["tune", "--trace", path.to_str().expect("utf-8 path")], "");
        assert_eq!(out.status.code(), Some(2), "{csv:?}");
        assert!(
            text(&out.stderr).contains(expected),
            "{csv:?}: {}",
            text(&out.stderr)
        );
    }
    // A runaway value (here 4 MB without a line break) is quoted cut.
    let csv = format!("arrival_ms\n0\n{}\n", "12".repeat(2 << 20));
    let out = accrual(&["tune", "--trace", "-"], &csv);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("line 3, column `arrival_ms`"), "{stderr}");
    assert!(stderr.len() < 300, "{} bytes of error", stderr.len());
}

/// A regular 100 ms trace of one node, as a file for `tune` and `plot`.
fn regular_trace(name: &str) -> std::path::PathBuf {
    let csv: String = std::iter::once("arrival_ms\n".to_string())
        .chain((0..200u64).map(|k| format!("{}\n", k * 100 + k % 7)))
        .collect();
    write_temp(name, &csv)
}

/// Runs `args` and checks the refusal: status 2, a message that holds
/// `names` and none of the library's field names.
fn refused(args: &[&str], stdin: &str, names: &str) {
    let out = accrual(args, stdin);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(stderr.contains(names), "{args:?}: {stderr}");
    for field in [
        "max_sample_size",
        "min_std_deviation",
        "acceptable_pause",
        "first_heartbeat_estimate",
    ] {
        assert!(!stderr.contains(field), "{args:?}: {stderr}");
    }
}

#[test]
fn errors_name_the_option_the_user_typed() {
    let trace = regular_trace("options.csv");
    let trace = trace.to_str().expect("utf-8 path");
    refused(&["phi", "--window", "0"], "", "--window");
    // Negative values are values, out of range, not unknown arguments.
    refused(&["phi", "--threshold", "-1"], "", "--threshold");
    refused(&["phi", "--pause-ms", "-5"], "", "--pause-ms");
    // A zero first interval would make the derived σ floor 0 first.
    refused(
        &["phi", "--first-interval-ms", "0"],
        "",
        "--first-interval-ms",
    );
    let tune = |extra: &[&str], names: &str| {
        let mut args = vec!["tune", "--trace", trace, "--models", "normal"];
        args.extend_from_slice(extra);
        refused(&args, "", names);
    };
    tune(&["--window", "0"], "--window");
    tune(&["--first-interval-ms", "0"], "--first-interval-ms");
    tune(&["--pause-ms", "-5"], "--pause-ms");
    tune(&["--threshold", "-1"], "--threshold ");
    tune(&["--thresholds", "1,-1"], "--thresholds ");
    tune(&["--target-detection-ms", "NaN"], "--target-detection-ms");
    tune(&["--target-detection-ms", "-1"], "--target-detection-ms");
    tune(
        &["--target-mistakes-per-hour", "-0.5"],
        "--target-mistakes-per-hour",
    );
    // An infinite range used to score nothing and exit 0.
    tune(&["--thresholds", "0:inf:1"], "--thresholds");
    tune(&["--thresholds", "1:NaN:1"], "--thresholds");
    tune(&["--thresholds", "0:1e300:1e-300"], "--thresholds");
    // A huge value is written compactly, not as 301 digits.
    tune(&["--pause-ms", "1e300"], "--pause-ms 1e300: out of range");
    refused(&["simulate", "--duration-s", "1e300"], "", "--duration-s");
    refused(&["simulate", "--interval-ms", "0"], "", "--interval-ms");
    refused(&["simulate", "--nodes", "0"], "", "--nodes");
}

#[test]
fn a_trace_of_duplicates_is_named_not_the_sigma_floor() {
    let path = write_temp("duplicates.csv", "arrival_ms\n5\n5\n5\n5\n");
    let path = path.to_str().expect("utf-8 path");
    refused(&["tune", "--trace", path], "", "no usable interval");
    refused(&["plot", "--trace", path], "", "no usable interval");
}

#[test]
fn times_beyond_the_clock_give_its_real_limit() {
    // u64::MAX ns = 18446744073709.551615 ms; the old message said 1.8e16.
    for t in ["1e15", "18446744073710"] {
        let out = accrual(&["phi"], &format!("hb a {t}\n"));
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{t}");
        assert!(stderr.contains("out of range"), "{stderr}");
        assert!(stderr.contains("18446744073709.5"), "{stderr}");
    }
    let out = accrual(&["phi"], "hb a 18446744073709\nup a 18446744073709.5\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    // The same in a trace file.
    let path = write_temp("beyond.csv", "arrival_ms\n0\n1e15\n");
    let out = accrual(&["tune", "--trace", path.to_str().expect("utf-8")], "");
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("line 3"), "{stderr}");
    assert!(stderr.contains("out of range"), "{stderr}");
    assert!(stderr.contains("18446744073709.551615"), "{stderr}");
}

#[test]
fn a_long_bad_token_is_shortened_in_the_message() {
    let token = "9".repeat(1 << 20) + "x";
    let out = accrual(&["phi"], &format!("hb a 0\nphi a {token}\n"));
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.len() < 300, "{} bytes", stderr.len());
    assert!(stderr.contains('…'), "{stderr}");
}

#[test]
fn a_long_node_name_is_shortened_in_a_trace_error() {
    let name = "n".repeat(1 << 20);
    let csv = format!("node,arrival_ms\n{name},5\n{name},3\n");
    let path = write_temp("long-name.csv", &csv);
    let out = accrual(&["tune", "--trace", path.to_str().expect("utf-8")], "");
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.contains("earlier than"), "{stderr}");
    assert!(stderr.len() < 400, "{} bytes", stderr.len());
}

#[test]
fn answers_before_an_unreadable_line_are_kept() {
    // A line that is not UTF-8 stops the input; the answer before it was
    // lost in the output buffer.
    let mut input = b"hb a 0\nup a 1\n".to_vec();
    input.extend_from_slice(b"\xff\xfe\n");
    let out = support::accrual_bytes(&["phi"], &input);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "a 1 true\n");
}

#[test]
fn tune_applies_the_learning_rules() {
    // Growing bootstrap with a first estimate ten times too short: the
    // seeds of 7.5 and 12.5 ms would weigh on the first windows, the
    // growing window has only real intervals. The scores must differ.
    let trace = regular_trace("rules.csv");
    let run = |bootstrap: &str| {
        let out = accrual(
            &[
                "tune",
                "--trace",
                trace.to_str().expect("utf-8 path"),
                "--models",
                "normal",
                "--thresholds",
                "1",
                "--pause-ms",
                "0",
                "--window",
                "20",
                "--first-interval-ms",
                "10",
                "--bootstrap",
                bootstrap,
                "--no-validate",
                "--format",
                "csv",
            ],
            "",
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
        text(&out.stdout)
    };
    assert_ne!(run("seeds"), run("growing"));
}

#[test]
fn a_reader_that_stops_early_ends_simulate_quietly() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    // `accrual simulate | head -1`: far more output than a pipe holds.
    let mut child = Command::new(env!("CARGO_BIN_EXE_accrual"))
        .args(["simulate", "--nodes", "20", "--duration-s", "3600"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout is piped"))
        .read_line(&mut first)
        .expect("one line");
    assert_eq!(first, "node,arrival_ms\n");
    // The reader is dropped: the pipe is closed.
    let out = child.wait_with_output().expect("the binary finishes");
    assert_eq!(text(&out.stderr), "");
    assert!(out.status.success(), "{:?}", out.status);
}

#[test]
fn phi_answers_a_query_before_its_input_ends() {
    use std::io::{BufRead, BufReader, Write};
    use std::process::{Command, Stdio};
    use std::time::Duration;
    let mut child = Command::new(env!("CARGO_BIN_EXE_accrual"))
        .arg("phi")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut stdin = child.stdin.take().expect("stdin is piped");
    // The start of a next line comes with the query: the answer must not
    // wait for its end.
    stdin
        .write_all(b"hb a 0\nup a 10\nup a")
        .and_then(|()| stdin.flush())
        .expect("the query is written");
    let stdout = child.stdout.take().expect("stdout is piped");
    let (send, answers) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = send.send(line);
    });
    // With stdin still open: a buffered answer would never come.
    let answer = answers.recv_timeout(Duration::from_secs(20));
    // The end of the second query, then the end of the input.
    let _ = stdin.write_all(b" 20\n");
    drop(stdin);
    let out = child.wait_with_output().expect("the binary finishes");
    assert_eq!(
        answer.as_deref(),
        Ok("a 10 true\n"),
        "{}",
        text(&out.stderr)
    );
    assert!(out.status.success());
}
