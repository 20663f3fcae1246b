//! The Prometheus exposition of `examples/prometheus/`: label escaping,
//! the rendered lines, and what is read from a monitor. The format's rules
//! quoted here are those of the Prometheus text format, version 0.0.4.

#[path = "../examples/prometheus/exposition.rs"]
mod exposition;

use accrual::monitor::Monitor;
use accrual::{Config, Timestamp};
use exposition::{collect, escape_label_value, render, PeerMetrics, CONTENT_TYPE};
use std::time::Duration;

#[test]
fn label_values_escape_backslash_quote_and_line_feed_only() {
    // "label_value can be any sequence of UTF-8 characters, but the
    // backslash, the double-quote and the line feed characters have to be
    // escaped as \\, \" and \n".
    assert_eq!(escape_label_value("a\\b\"c\nd"), r#"a\\b\"c\nd"#);
    assert_eq!(escape_label_value("nœud-é\t{x}"), "nœud-é\t{x}");
    assert_eq!(escape_label_value(""), "");
}

#[test]
fn a_suspected_peer_renders_one_sample_per_gauge_after_help_and_type() {
    let peer = PeerMetrics {
        peer: "node\"C".to_string(),
        phi: 8.41,
        silence: Some(Duration::from_millis(262)),
        level: 1,
        up: false,
    };
    let text = render(&[peer]);
    let lines: Vec<&str> = text.lines().collect();
    let families = [
        ("accrual_phi", "8.41"),
        ("accrual_silence_seconds", "0.262"),
        ("accrual_level", "1"),
        ("accrual_up", "0"),
    ];
    assert_eq!(lines.len(), 3 * families.len(), "{text}");
    for (chunk, (name, value)) in lines.chunks(3).zip(families) {
        assert!(chunk[0].starts_with(&format!("# HELP {name} ")), "{text}");
        assert_eq!(chunk[1], format!("# TYPE {name} gauge"));
        assert_eq!(chunk[2], format!(r#"{name}{{peer="node\"C"}} {value}"#));
    }
    assert!(text.ends_with('\n'), "the last line ends with a line feed");
    assert!(CONTENT_TYPE.starts_with("text/plain; version=0.0.4"));
}

#[test]
fn tiny_phi_is_written_with_an_exponent_and_unheard_peers_have_no_silence() {
    let peer = PeerMetrics {
        peer: "watched".to_string(),
        phi: 1.234_567_8e-140,
        silence: None,
        level: 0,
        up: true,
    };
    let text = render(&[peer]);
    assert!(
        text.contains("accrual_phi{peer=\"watched\"} 1.23457e-140\n"),
        "{text}"
    );
    assert!(!text.contains("accrual_silence_seconds{"), "{text}");
    assert!(text.contains("accrual_up{peer=\"watched\"} 1\n"), "{text}");
}

#[test]
fn collect_agrees_with_the_monitor_peer_by_peer_in_id_order() {
    let monitor = Monitor::<String>::builder()
        .config(Config::for_interval(Duration::from_millis(100)).expect("a valid interval"))
        .no_pause_guard() // ticked by hand, far apart
        .build()
        .expect("a valid monitor");
    for i in 0..=10 {
        for peer in ["b", "a"] {
            monitor
                .heartbeat(peer, Timestamp::from_millis(i * 100))
                .expect("in order");
        }
    }
    monitor.watch("c", Timestamp::from_millis(0));
    // "a" stays silent after 1 s; "b" keeps sending until 2 s.
    for i in 11..=20 {
        monitor
            .heartbeat("b", Timestamp::from_millis(i * 100))
            .expect("in order");
    }
    let now = Timestamp::from_millis(2_050);
    monitor.tick(now);

    let peers = collect(&monitor, now);
    let ids: Vec<&str> = peers.iter().map(|p| p.peer.as_str()).collect();
    assert_eq!(ids, ["a", "b", "c"]);
    for p in &peers {
        let id = p.peer.as_str();
        assert_eq!(Some(p.phi), monitor.phi(id, now), "{id}");
        assert_eq!(Some(p.up), monitor.is_available(id, now), "{id}");
        assert_eq!(Some(p.level), monitor.level(id), "{id}");
    }
    // Last heartbeats at 1 000 ms and 2 000 ms; "c" never sent one.
    let silences: Vec<Option<Duration>> = peers.iter().map(|p| p.silence).collect();
    assert_eq!(
        silences,
        [
            Some(Duration::from_millis(1_050)),
            Some(Duration::from_millis(50)),
            None
        ]
    );
    // 1 050 ms of silence at 100 ms heartbeats is far past the threshold.
    assert!(!peers[0].up && peers[0].level == 1, "{:?}", peers[0]);
    assert!(peers[1].up && peers[1].level == 0, "{:?}", peers[1]);
}
