//! The `accrual` command line, run as a user would: exact outputs on small
//! inputs computed by hand, and the handling of every kind of bad input.

#[path = "support/cli.rs"]
mod support;

use support::{accrual, text, write_temp};

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
    // The option typed, not the library's field (issue 14 item 10).
    assert!(text(&out.stderr).contains("--window"));
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
            "--no-validate",
        ],
        "",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let csv = text(&out.stdout);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 2, "{csv}");
    let header: Vec<&str> = lines[0].split(',').collect();
    let row: Vec<&str> = lines[1].split(',').collect();
    assert_eq!(header.len(), row.len());
    let field = |name: &str| {
        let k = header.iter().position(|h| *h == name).expect(name);
        row[k]
    };
    for (name, value) in [
        ("model", "timeout"),
        ("threshold", "300"),
        ("samples", "4"),
        ("mean_detection_ms", "300"),
        ("max_detection_ms", "300"),
        ("mistakes", "1"),
        ("mistake_ms", "200"),
        ("mistakes_per_hour", "4500"),
        ("mean_mistake_ms", "200"),
        ("query_accuracy", "0.75"),
        ("mean_recurrence_s", "0.8"),
        ("pause_ms", "0"),
        ("window", "1000"),
        ("held_out_samples", ""),
        ("frontier", "true"),
        // 1 mistake in 800 ms cannot show ≤ 1 per hour: the closest.
        ("meets_target", "false"),
        ("recommended", "closest"),
    ] {
        assert_eq!(field(name), value, "{name}");
    }
    // Garwood's 95 % limits for 1 event, 0.0253 and 5.572, over 800 ms
    // (1/4500 h): 114 and 25 074 per hour.
    let low: f64 = field("mistakes_per_hour_low").parse().expect("a number");
    let high: f64 = field("mistakes_per_hour_high").parse().expect("a number");
    assert!((low - 0.0253 * 4500.0).abs() < 0.5, "{low}");
    assert!((high - 5.5716 * 4500.0).abs() < 1.0, "{high}");
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
    // A timeout learns nothing.
    assert_eq!(json.matches("\"learning\":null").count(), 7, "{json}");
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

#[test]
fn tune_model_and_threshold_restrict_the_grid() {
    let trace = write_temp("restrict.csv", "arrival_ms\n0\n100\n200\n700\n800\n");
    let path = trace.to_str().expect("utf-8 path");
    let rows = |extra: &[&str]| {
        let mut args = vec!["tune", "--trace", path, "--format", "csv", "--no-validate"];
        args.extend_from_slice(extra);
        let out = accrual(&args, "");
        assert!(out.status.success(), "{extra:?}: {}", text(&out.stderr));
        text(&out.stdout)
            .lines()
            .skip(1)
            .map(String::from)
            .collect::<Vec<_>>()
    };
    let one = rows(&["--model", "timeout", "--threshold", "300"]);
    assert_eq!(one.len(), 1);
    assert!(one[0].starts_with("timeout,300,0,"), "{}", one[0]);
    // A timeout learns nothing: no rule.
    assert_eq!(one[0].split(',').nth(5), Some(""), "{}", one[0]);
    // Both learning rules × two pauses × one threshold × one σ floor.
    let normal = [
        "--model",
        "normal",
        "--threshold",
        "8",
        "--pause-ms",
        "50,100",
        "--min-std-ms",
        "20",
    ];
    let four = rows(&normal);
    assert_eq!(four.len(), 4);
    for (row, start) in four.iter().zip([
        "normal,8,50,20,1000,skip-suspected,",
        "normal,8,100,20,1000,skip-suspected,",
        "normal,8,50,20,1000,all,",
        "normal,8,100,20,1000,all,",
    ]) {
        assert!(row.starts_with(start), "{row}");
    }
    // The JSON names each candidate's rule.
    let out = accrual(
        &[
            &["tune", "--trace", path, "--format", "json"][..],
            &normal[..],
        ]
        .concat(),
        "",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json = text(&out.stdout);
    for rule in ["skip-suspected", "all"] {
        let tagged = format!("\"learning\":\"{rule}\"");
        assert!(json.matches(&tagged).count() >= 2, "{json}");
    }
    // One rule restricts the grid to it.
    let two = rows(&[&normal[..], &["--learning", "all"]].concat());
    assert_eq!(two.len(), 2);
    assert!(two.iter().all(|r| r.contains(",1000,all,")), "{two:?}");
    // A setting given twice in two forms is refused, not silently dropped.
    for (args, flag) in [
        (["--model", "normal", "--models", "akka"], "--model"),
        (["--threshold", "8", "--thresholds", "1,2"], "--threshold"),
    ] {
        let mut all = vec!["tune", "--trace", path];
        all.extend_from_slice(&args);
        let out = accrual(&all, "");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(text(&out.stderr).contains(flag), "{}", text(&out.stderr));
    }
}

#[test]
fn tune_rejects_a_warmup_that_leaves_nothing_to_score() {
    let trace = write_temp("warmup.csv", "arrival_ms\n0\n100\n200\n700\n800\n");
    let path = trace.to_str().expect("utf-8 path");
    for extra in [&["--no-validate"][..], &[][..]] {
        let mut args = vec!["tune", "--trace", path, "--warmup", "4"];
        args.extend_from_slice(extra);
        let out = accrual(&args, "");
        assert_eq!(out.status.code(), Some(2), "{extra:?}");
        let stderr = text(&out.stderr);
        assert!(stderr.contains("--warmup 4"), "{stderr}");
        assert!(out.stdout.is_empty());
    }
    // Three arrivals of warm-up leave one gap on the whole trace, but none
    // in the first two thirds.
    let out = accrual(
        &["tune", "--trace", path, "--warmup", "3", "--no-validate"],
        "",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = accrual(&["tune", "--trace", path, "--warmup", "3"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--train-fraction"));
    for bad in [["--confidence", "1"], ["--train-fraction", "0"]] {
        let mut args = vec!["tune", "--trace", path];
        args.extend_from_slice(&bad);
        let out = accrual(&args, "");
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        assert!(text(&out.stderr).contains(bad[0]), "{}", text(&out.stderr));
    }
}

#[test]
fn tune_does_not_call_one_mistake_in_one_hour_one_per_hour() {
    // One hour exactly of 100 ms heartbeats with one 1000 ms gap: a 500 ms
    // timeout makes 1 mistake per hour by point estimate, which one hour
    // of data cannot establish (95 % upper limit 5.57 per hour); 0
    // mistakes would need 3.69 h.
    let mut csv = String::from("arrival_ms\n");
    for i in (0..=36_000u64).filter(|i| !(1_001..=1_009).contains(i)) {
        csv.push_str(&format!("{}\n", i * 100));
    }
    let trace = write_temp("hour.csv", &csv);
    let path = trace.to_str().expect("utf-8 path");
    let out = accrual(
        &[
            "tune",
            "--trace",
            path,
            "--models",
            "timeout",
            "--thresholds",
            "500,1000",
            "--no-validate",
        ],
        "",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    assert!(table.contains("NOT established at 95 %"), "{table}");
    assert!(table.contains("≥ 3.69 h"), "{table}");
    assert!(
        table.contains("best point estimate, UNPROVEN: timeout threshold 500"),
        "{table}"
    );
    assert!(table.contains("acceptable pause 0 ms"), "{table}");
    assert!(table.contains("includes the pause"), "{table}");
    let out = accrual(
        &[
            "tune",
            "--trace",
            path,
            "--models",
            "timeout",
            "--thresholds",
            "500,1000",
            "--no-validate",
            "--format",
            "json",
        ],
        "",
    );
    let json = text(&out.stdout);
    assert!(json.contains("\"meets_target\":false"), "{json}");
    assert!(!json.contains("\"meets_target\":true"), "{json}");
    assert!(json.contains("\"verdict\":\"unproven\""), "{json}");
    assert!(json.contains("\"mean_recurrence_s\":3600"), "{json}");
}

#[test]
fn phi_takes_the_rules_and_bertiers_constants() {
    // Estimate 100 ms, σ floor 10 ms, no pause. Growing: before the first
    // interval the fit is location 100 ms, scale 10 ms; at 110 ms y = 1,
    // phi = −log10 Q(1) = −log10 0.158655 = 0.799546 (normal tables).
    // Seeds (75 and 125 ms): mean 100, σ 25, y = 0.4, phi = −log10 Q(0.4)
    // = −log10 0.3445783 = 0.462712.
    let input = "hb a 0\nphi a 110\n";
    let base = [
        "phi",
        "--pause-ms",
        "0",
        "--min-std-ms",
        "10",
        "--first-interval-ms",
        "100",
    ];
    for (bootstrap, want) in [("growing", 0.799_546), ("seeds", 0.462_712)] {
        let mut args = base.to_vec();
        args.extend(["--bootstrap", bootstrap, "--learning", "all"]);
        let out = accrual(&args, input);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let stdout = text(&out.stdout);
        let phi: f64 = stdout
            .trim()
            .strip_prefix("a 110 ")
            .unwrap()
            .parse()
            .unwrap();
        assert!((phi - want).abs() < 1e-6, "{bootstrap}: {phi}");
    }
    // A bad name says what is accepted; a bad constant names its option.
    let out = accrual(&["phi", "--learning", "sometimes"], input);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("skip-suspected"),
        "{}",
        text(&out.stderr)
    );
    let out = accrual(
        &["phi", "--model", "bertier", "--bertier-gamma", "2"],
        input,
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("--bertier-gamma"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn tune_runs_in_paper_mode() {
    // The command of issue 15, on a short regular trace with one lost
    // heartbeat (seq 3).
    let mut csv = String::from("node,seq,arrival_ms\n");
    for seq in (0..60u64).filter(|&s| s != 3) {
        csv.push_str(&format!("n,{seq},{}\n", seq * 100 + seq % 3));
    }
    let trace = write_temp("paper-mode.csv", &csv);
    let out = accrual(
        &[
            "tune",
            "--trace",
            trace.to_str().unwrap(),
            "--models",
            "normal,chen,bertier,2w-fd",
            "--learning",
            "all",
            "--period",
            "fixed",
            "--bootstrap",
            "growing",
            "--window",
            "999",
            "--first-interval-ms",
            "100",
            "--pause-ms",
            "0",
            "--bertier-beta",
            "1",
            "--bertier-phi",
            "4",
            "--bertier-gamma",
            "0.1",
            "--format",
            "csv",
        ],
        "",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    for model in ["normal", "chen", "bertier", "2w-fd"] {
        assert!(
            stdout.lines().any(|l| l.starts_with(&format!("{model},"))),
            "{model}"
        );
    }
}

#[test]
fn phi_runs_one_learning_rule() {
    let out = accrual(&["phi", "--learning", "all,skip-suspected"], "hb a 0\n");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--learning"),
        "{}",
        text(&out.stderr)
    );
    let out = accrual(
        &["phi", "--learning", "all"],
        "hb a 0\nhb a 100\nphi a 150\n",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
}
