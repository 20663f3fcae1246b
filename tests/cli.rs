//! The `accrual` command line, run as a user would: exact outputs on small
//! inputs computed by hand, and the handling of every kind of bad input.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn accrual(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_accrual"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(stdin.as_bytes())
        .expect("stdin accepts the input");
    child.wait_with_output().expect("the binary finishes")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn write_temp(name: &str, contents: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("accrual-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("temp file");
    path
}

#[test]
fn phi_reproduces_cassandras_arrival_window() {
    // Cassandra's ArrivalWindowTest: window 4, heartbeats at 111 … 555 ms,
    // phi (exponential, no pause) at 666 ms = (666 − 555)/111/ln 10
    // = 1/ln 10 = 0.4342944819…, at 3000 ms = 2445/111/ln 10 = 9.5662…
    let input = "hb n 111\nhb n 222\nhb n 333\nhb n 444\nhb n 555\nphi n 666\nphi n 3000\n";
    let out = accrual(
        &[
            "phi",
            "--model",
            "exponential",
            "--window",
            "4",
            "--pause-ms",
            "0",
            "--first-interval-ms",
            "1000",
        ],
        input,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2);
    let value = |line: &str| -> f64 {
        let fields: Vec<&str> = line.split(' ').collect();
        assert_eq!(fields.len(), 3, "{line}");
        assert_eq!(fields[0], "n");
        fields[2].parse().expect("a number")
    };
    assert!(lines[0].starts_with("n 666 "));
    assert!((value(lines[0]) - 1.0 / std::f64::consts::LN_10).abs() < 1e-12);
    assert!((value(lines[1]) - 2445.0 / 111.0 / std::f64::consts::LN_10).abs() < 1e-9);
}

#[test]
fn phi_answers_up_and_treats_unknown_nodes_as_not_suspected() {
    // Defaults: 1 s estimate, σ floor 100 ms, pause 3 s, threshold 8; after
    // one heartbeat the deadline is 4000 + 5.612·250 = 5403 ms (normal).
    let input = "hb a 0\nup a 5000\nup a 6000\nphi b 10\nup b 10\n";
    let out = accrual(&["phi"], input);
    assert!(out.status.success());
    assert_eq!(
        text(&out.stdout),
        "a 5000 true\na 6000 false\nb 10 0\nb 10 true\n"
    );
}

#[test]
fn phi_accepts_commas_comments_and_blank_lines() {
    let input = "# header comment\n\nhb,a,0\n  phi , a , 0  \n";
    let out = accrual(&["phi"], input);
    assert!(out.status.success());
    // Right at the heartbeat: z = (0 − 4000)/250 = −16, phi = Q(16)/ln 10,
    // about 2.8e-58: tiny, positive, printed in full.
    let stdout = text(&out.stdout);
    let phi: f64 = stdout
        .trim()
        .strip_prefix("a 0 ")
        .expect("node and time echoed")
        .parse()
        .expect("a number");
    assert!(phi > 0.0 && phi < 1e-50, "{phi}");
}

#[test]
fn phi_reports_a_heartbeat_out_of_order_and_skips_it() {
    let input = "hb a 1000\nhb a 2000\nhb a 1500\nphi a 2500\n";
    let reference = accrual(&["phi"], "hb a 1000\nhb a 2000\nphi a 2500\n");
    let out = accrual(&["phi"], input);
    assert!(out.status.success());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("line 3"), "{stderr}");
    // The detector's state is unchanged: same phi as without that line.
    assert_eq!(out.stdout, reference.stdout);
}

#[test]
fn phi_stops_at_a_malformed_line_with_status_2() {
    for (bad, what) in [
        ("hb a", "3 fields"),
        ("hb a b c", "3 fields"),
        ("hb a -5", "milliseconds"),
        ("hb a NaN", "milliseconds"),
        ("beat a 5", "unknown event"),
    ] {
        let input = format!("hb a 0\nup a 1\n{bad}\nup a 2\n");
        let out = accrual(&["phi"], &input);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        let stderr = text(&out.stderr);
        assert!(stderr.contains("line 3"), "{bad}: {stderr}");
        assert!(stderr.contains(what), "{bad}: {stderr}");
        // What was printed before stays.
        assert_eq!(text(&out.stdout), "a 1 true\n", "{bad}");
    }
}

#[test]
fn phi_rejects_invalid_options() {
    let out = accrual(&["phi", "--threshold=-1"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("threshold"));
    let out = accrual(&["phi", "--window", "0"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("max_sample_size"));
}

#[test]
fn tune_scores_a_timeout_by_hand() {
    // Arrivals 0, 100, 200, 700, 800 ms, timeout 300 ms: gaps 100, 100,
    // 500, 100 give one mistake lasting 500 − 300 = 200 ms over 800 ms
    // observed: 4500 mistakes per hour, query accuracy 1 − 200/800 = 0.75.
    let trace = write_temp("timeout.csv", "arrival_ms\n0\n100\n200\n700\n800\n");
    let path = trace.to_str().expect("utf-8 path");
    let out = accrual(
        &[
            "tune",
            "--trace",
            path,
            "--models",
            "timeout",
            "--thresholds",
            "300",
            "--format",
            "csv",
        ],
        "",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "model,threshold,samples,mean_detection_ms,max_detection_ms,mistakes,mistake_ms,\
         mistakes_per_hour,mean_mistake_ms,query_accuracy\n\
         timeout,300,4,300,300,1,200,4500,200,0.75\n"
    );
}

#[test]
fn tune_threshold_ranges_and_json() {
    let trace = write_temp(
        "range.csv",
        "node,arrival_ms\na,0\na,100\na,200\na,700\na,800\n",
    );
    let path = trace.to_str().expect("utf-8 path");
    let out = accrual(
        &[
            "tune",
            "--trace",
            path,
            "--models",
            "timeout",
            "--thresholds",
            "100:600:100",
            "--format",
            "json",
        ],
        "",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json = text(&out.stdout);
    assert_eq!(json.matches("\"model\":\"timeout\"").count(), 7, "{json}");
    for t in ["100", "200", "300", "400", "500", "600"] {
        assert!(json.contains(&format!("\"threshold\":{t},")), "{json}");
    }
    // Gaps 100, 100, 500, 100: timeouts of 500 ms and more make no mistake
    // (a mistake needs a gap longer than the timeout), so 500 meets the
    // default target of at most one mistake per hour with the fastest
    // detection.
    assert!(
        json.contains("\"recommended\":{\"model\":\"timeout\",\"threshold\":500,"),
        "{json}"
    );
}

#[test]
fn tune_reports_bad_traces_by_row() {
    let cases = [
        ("node,arrival_ms\na,5\na,4\n", "line 3"),
        ("node,arrival_ms\na,x\n", "line 2"),
        ("node,time\na,1\n", "arrival_ms"),
    ];
    for (csv, expected) in cases {
        let path = write_temp("bad.csv", csv);
        let out = accrual(&["tune", "--trace", path.to_str().expect("utf-8 path")], "");
        assert_eq!(out.status.code(), Some(2), "{csv}");
        assert!(
            text(&out.stderr).contains(expected),
            "{csv}: {}",
            text(&out.stderr)
        );
    }
    let out = accrual(&["tune", "--trace", "/nonexistent/trace.csv"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("cannot open"));
    let path = write_temp("one.csv", "arrival_ms\n5\n");
    let out = accrual(&["tune", "--trace", path.to_str().expect("utf-8 path")], "");
    assert_eq!(out.status.code(), Some(2));
    let path = write_temp("ok.csv", "arrival_ms\n0\n100\n");
    let out = accrual(
        &[
            "tune",
            "--trace",
            path.to_str().expect("utf-8 path"),
            "--thresholds",
            "5:1:1",
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--thresholds"));
}

#[test]
fn simulate_is_deterministic_and_feeds_tune_and_plot() {
    let args = [
        "simulate",
        "--profile",
        "wan",
        "--duration-s",
        "60",
        "--seed",
        "7",
    ];
    let a = accrual(&args, "");
    let b = accrual(&args, "");
    assert!(a.status.success(), "{}", text(&a.stderr));
    assert_eq!(a.stdout, b.stdout);
    let csv = text(&a.stdout);
    assert!(csv.starts_with("node,arrival_ms\nnode0,"));
    // A minute of 100 ms heartbeats, minus the few lost ones.
    let rows = csv.lines().count() - 1;
    assert!((560..=600).contains(&rows), "{rows} rows");
    let other = accrual(
        &[
            "simulate",
            "--profile",
            "wan",
            "--duration-s",
            "60",
            "--seed",
            "8",
        ],
        "",
    );
    assert_ne!(other.stdout, a.stdout);

    let path = write_temp("sim.csv", &csv);
    let out_svg = path.with_file_name("phi.svg");
    let trade_svg = path.with_file_name("tradeoff.svg");
    let out = accrual(
        &[
            "plot",
            "--trace",
            path.to_str().expect("utf-8 path"),
            "--out",
            out_svg.to_str().expect("utf-8 path"),
            "--tradeoff",
            trade_svg.to_str().expect("utf-8 path"),
        ],
        "",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    for file in [&out_svg, &trade_svg] {
        let svg = std::fs::read_to_string(file).expect("chart written");
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert!(!svg.contains("NaN"));
    }
    let out = accrual(&["simulate", "--profile", "moon"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--profile"));
    let out = accrual(&["simulate", "--duration-s", "0"], "");
    assert_eq!(out.status.code(), Some(2));
}

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
