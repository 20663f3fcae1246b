//! SVG charts of replays and tuning results, written by hand (no plotting
//! dependency).
//!
//! [`tradeoff_svg`] draws Chen's trade-off: mean detection time (x) against
//! mistakes per hour (y, logarithmic), one line per detection kind, one
//! marker per threshold. Configurations without any mistake sit on the
//! bottom edge, labelled "0".
//!
//! [`phi_timeline_svg`] draws one node's phi over time during a replay, with
//! the threshold line, the heartbeats as ticks and the periods in which the
//! live node was suspected shaded.

use crate::config::Config;
use crate::detector::Detector;
use crate::time::Timestamp;
use crate::tune::Candidate;
use std::fmt::Write as _;

const WIDTH: f64 = 900.0;
const HEIGHT: f64 = 560.0;
const LEFT: f64 = 80.0;
const RIGHT: f64 = 170.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 60.0;
const COLOURS: [&str; 10] = [
    "#1f77b4", "#d62728", "#2ca02c", "#7f7f7f", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2",
    "#17becf", "#bcbd22",
];

/// The trade-off chart of `candidates`, with `recommended` circled, as an
/// SVG document.
pub fn tradeoff_svg(
    candidates: &[Candidate],
    recommended: Option<&Candidate>,
    title: &str,
) -> String {
    let points: Vec<(f64, f64)> = candidates
        .iter()
        .map(|c| (c.qos.mean_detection_ms(), c.qos.mistakes_per_hour()))
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .collect();
    let x_max = points.iter().map(|p| p.0).fold(0.0f64, f64::max).max(1.0) * 1.05;
    let positive = points.iter().map(|p| p.1).filter(|&y| y > 0.0);
    let y_lo_data = positive.clone().fold(f64::INFINITY, f64::min);
    let y_hi_data = positive.fold(0.0f64, f64::max);
    // Decades spanning the data, with one decade below for the zero row.
    let (lo_exp, hi_exp) = if y_hi_data > 0.0 {
        (
            y_lo_data.log10().floor() as i32 - 1,
            y_hi_data.log10().ceil() as i32,
        )
    } else {
        (-1, 1)
    };
    let hi_exp = hi_exp.max(lo_exp + 2);
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let sx = |x: f64| LEFT + x / x_max * plot_w;
    let sy = |y: f64| {
        let e = if y > 0.0 {
            y.log10()
        } else {
            f64::from(lo_exp)
        };
        TOP + (f64::from(hi_exp) - e) / f64::from(hi_exp - lo_exp) * plot_h
    };

    let mut s = open_svg(title, plot_w);
    // Grid and axes.
    for e in lo_exp..=hi_exp {
        let y = sy(10f64.powi(e));
        let label = if e == lo_exp {
            "0".to_string()
        } else {
            format!("1e{e}")
        };
        let _ = writeln!(
            s,
            r##"<line x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#ddd"/><text x="{:.1}" y="{:.1}" text-anchor="end">{label}</text>"##,
            LEFT + plot_w,
            LEFT - 6.0,
            y + 4.0
        );
    }
    let step = nice_step(x_max / 6.0);
    let mut k = 0u32;
    while f64::from(k) * step <= x_max && k <= 50 {
        let xv = f64::from(k) * step;
        let x = sx(xv);
        let _ = writeln!(
            s,
            r##"<line x1="{x:.1}" y1="{TOP}" x2="{x:.1}" y2="{:.1}" stroke="#eee"/><text x="{x:.1}" y="{:.1}" text-anchor="middle">{xv}</text>"##,
            TOP + plot_h,
            TOP + plot_h + 18.0
        );
        k += 1;
    }
    frame(
        &mut s,
        plot_w,
        plot_h,
        "mean detection time (ms)",
        "mistakes per hour (log; bottom row: none)",
    );
    // One series per detection kind, in order of first appearance.
    let mut kinds: Vec<&str> = Vec::new();
    for c in candidates {
        if !kinds.contains(&c.detection.name()) {
            kinds.push(c.detection.name());
        }
    }
    for (i, kind) in kinds.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        let mut series: Vec<&Candidate> = candidates
            .iter()
            .filter(|c| c.detection.name() == *kind)
            .collect();
        series.sort_by(|a, b| a.threshold.total_cmp(&b.threshold));
        let path: Vec<String> = series
            .iter()
            .map(|c| {
                format!(
                    "{:.1},{:.1}",
                    sx(c.qos.mean_detection_ms()),
                    sy(c.qos.mistakes_per_hour())
                )
            })
            .collect();
        let _ = writeln!(
            s,
            r#"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="1.5"/>"#,
            path.join(" ")
        );
        for c in &series {
            let _ = writeln!(
                s,
                r#"<circle cx="{:.1}" cy="{:.1}" r="3" fill="{colour}"><title>{} {}: {:.1} ms, {:.3}/h</title></circle>"#,
                sx(c.qos.mean_detection_ms()),
                sy(c.qos.mistakes_per_hour()),
                kind,
                c.threshold,
                c.qos.mean_detection_ms(),
                c.qos.mistakes_per_hour()
            );
        }
        let ly = TOP + 20.0 + 20.0 * i as f64;
        let lx = LEFT + plot_w + 15.0;
        let _ = writeln!(
            s,
            r#"<line x1="{lx:.1}" y1="{ly:.1}" x2="{:.1}" y2="{ly:.1}" stroke="{colour}" stroke-width="2"/><text x="{:.1}" y="{:.1}">{}</text>"#,
            lx + 20.0,
            lx + 26.0,
            ly + 4.0,
            escape(kind)
        );
    }
    if let Some(r) = recommended {
        let lx = LEFT + plot_w + 15.0;
        let ly = TOP + 30.0 + 20.0 * kinds.len() as f64;
        let _ = writeln!(
            s,
            r#"<circle cx="{:.1}" cy="{:.1}" r="8" fill="none" stroke="black" stroke-width="2"/><text x="{lx:.1}" y="{ly:.1}">recommended</text><text x="{lx:.1}" y="{:.1}">(circled): {} {}</text>"#,
            sx(r.qos.mean_detection_ms()),
            sy(r.qos.mistakes_per_hour()),
            ly + 16.0,
            escape(r.detection.name()),
            r.threshold
        );
    }
    s.push_str("</svg>\n");
    s
}

/// Phi of one node over `[from, to]` while its `arrivals` are replayed
/// through a detector with `config`, as an SVG document.
///
/// Phi is drawn on a linear axis up to three times the threshold; higher
/// values (phi is finite but grows quickly in a long silence) are drawn at
/// the top edge. Shaded bands are the suspicion periods: from the moment
/// phi reached the threshold until the next heartbeat.
pub fn phi_timeline_svg(
    arrivals: &[Timestamp],
    config: &Config,
    from: Timestamp,
    to: Timestamp,
    title: &str,
) -> String {
    let threshold = config.threshold();
    let y_max = threshold * 3.0;
    let span_ns = to.as_nanos().saturating_sub(from.as_nanos()).max(1) as f64;
    let plot_w = WIDTH - LEFT - 40.0;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let sx = |t: u64| LEFT + (t.saturating_sub(from.as_nanos()) as f64 / span_ns) * plot_w;
    let sy = |phi: f64| TOP + (1.0 - (phi / y_max).clamp(0.0, 1.0)) * plot_h;

    // Replay; collect the curve, the suspicion bands and the heartbeats in range.
    let mut detector = Detector::new(config.clone());
    let mut curve: Vec<(u64, f64)> = Vec::new();
    let mut bands: Vec<(u64, u64)> = Vec::new();
    let mut beats: Vec<u64> = Vec::new();
    for (i, &a) in arrivals.iter().enumerate() {
        if detector.heartbeat(a).is_err() {
            continue;
        }
        let start = a.as_nanos();
        let end = arrivals
            .get(i + 1)
            .map_or(to.as_nanos(), |n| n.as_nanos())
            .min(to.as_nanos());
        if start > to.as_nanos() {
            break;
        }
        if start >= from.as_nanos() {
            beats.push(start);
        }
        if end <= from.as_nanos() || end <= start {
            continue;
        }
        let lo = start.max(from.as_nanos());
        // Sixteen samples per gap follow the curve's shape closely enough.
        for k in 0..=16u64 {
            let t = lo + (end - lo) * k / 16;
            curve.push((t, detector.phi(Timestamp::from_nanos(t))));
        }
        if let Some(deadline) = detector.suspicion_deadline() {
            let d = deadline.as_nanos();
            if d < end {
                bands.push((d.max(lo), end));
            }
        }
    }

    let mut s = open_svg(title, plot_w);
    for (a, b) in &bands {
        let _ = writeln!(
            s,
            r##"<rect x="{:.1}" y="{TOP}" width="{:.1}" height="{plot_h}" fill="#f4b6b6"/>"##,
            sx(*a),
            (sx(*b) - sx(*a)).max(0.5)
        );
    }
    let step = nice_step(y_max / 6.0);
    let mut k = 0u32;
    while f64::from(k) * step <= y_max && k <= 50 {
        let v = f64::from(k) * step;
        let y = sy(v);
        let _ = writeln!(
            s,
            r##"<line x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#eee"/><text x="{:.1}" y="{:.1}" text-anchor="end">{v}</text>"##,
            LEFT + plot_w,
            LEFT - 6.0,
            y + 4.0
        );
        k += 1;
    }
    let span_ms = span_ns / 1e6;
    let tstep = nice_step(span_ms / 8.0);
    let mut k = 0u32;
    while f64::from(k) * tstep <= span_ms && k <= 50 {
        let v = f64::from(k) * tstep;
        let x = LEFT + v / span_ms * plot_w;
        let _ = writeln!(
            s,
            r#"<text x="{x:.1}" y="{:.1}" text-anchor="middle">{:.1}</text>"#,
            TOP + plot_h + 18.0,
            (v + from.as_nanos() as f64 / 1e6) / 1e3
        );
        k += 1;
    }
    for b in &beats {
        let x = sx(*b);
        let _ = writeln!(
            s,
            r##"<line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}" stroke="#2ca02c"/>"##,
            TOP + plot_h,
            TOP + plot_h - 6.0
        );
    }
    let points: Vec<String> = curve
        .iter()
        .map(|(t, phi)| format!("{:.1},{:.1}", sx(*t), sy(*phi)))
        .collect();
    let _ = writeln!(
        s,
        r##"<polyline points="{}" fill="none" stroke="#1f77b4" stroke-width="1.2"/>"##,
        points.join(" ")
    );
    let ty = sy(threshold);
    let _ = writeln!(
        s,
        r##"<line x1="{LEFT}" y1="{ty:.1}" x2="{:.1}" y2="{ty:.1}" stroke="#d62728" stroke-dasharray="6 4"/><text x="{:.1}" y="{:.1}" text-anchor="end" fill="#d62728">threshold {threshold}</text>"##,
        LEFT + plot_w,
        LEFT + plot_w - 4.0,
        ty - 5.0
    );
    frame(
        &mut s,
        plot_w,
        plot_h,
        "time (s); ticks: heartbeats; shaded: live node suspected",
        &format!("phi ({} model; clipped at {y_max})", config.model()),
    );
    s.push_str("</svg>\n");
    s
}

/// The document's opening: size, white background and a centred title.
fn open_svg(title: &str, plot_w: f64) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="{}" y="22" text-anchor="middle" font-size="15">{}</text>"#,
        LEFT + plot_w / 2.0,
        escape(title)
    );
    s
}

/// The plot area's border and the two axis labels.
fn frame(s: &mut String, plot_w: f64, plot_h: f64, x_label: &str, y_label: &str) {
    let _ = writeln!(
        s,
        r#"<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="none" stroke="black"/>"#
    );
    let _ = writeln!(
        s,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
        LEFT + plot_w / 2.0,
        HEIGHT - 18.0,
        escape(x_label)
    );
    let _ = writeln!(
        s,
        r#"<text transform="translate(20 {:.1}) rotate(-90)" text-anchor="middle">{}</text>"#,
        TOP + plot_h / 2.0,
        escape(y_label)
    );
}

/// A round tick spacing (1, 2 or 5 times a power of ten) near `raw`.
fn nice_step(raw: f64) -> f64 {
    if !(raw > 0.0 && raw.is_finite()) {
        return 1.0;
    }
    let magnitude = 10f64.powf(raw.log10().floor());
    let fraction = raw / magnitude;
    let nice = if fraction <= 1.0 {
        1.0
    } else if fraction <= 2.0 {
        2.0
    } else if fraction <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * magnitude
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Model;
    use crate::qos::Qos;
    use crate::tune::Detection;

    fn cand(detection: Detection, threshold: f64, det_ms: u64, mistakes: u64) -> Candidate {
        Candidate {
            detection,
            threshold,
            qos: Qos {
                samples: 1,
                detection_ns: u128::from(det_ms) * 1_000_000,
                max_detection_ns: det_ms * 1_000_000,
                mistakes,
                mistake_ns: 0,
                observed_ns: 3_600_000_000_000,
            },
        }
    }

    #[test]
    fn chart_has_one_line_per_kind_and_a_marker_per_threshold() {
        let normal = Detection::Phi(Model::Normal);
        let c = vec![
            cand(normal, 1.0, 100, 100),
            cand(normal, 8.0, 400, 0),
            cand(Detection::Timeout, 300.0, 300, 10),
        ];
        let svg = tradeoff_svg(&c, Some(&c[1]), "a <title> & more");
        assert!(svg.starts_with("<svg"));
        assert!(svg.trim_end().ends_with("</svg>"));
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert_eq!(svg.matches("<circle").count(), 4); // 3 markers + recommendation
        assert!(svg.contains("a &lt;title&gt; &amp; more"));
        assert!(svg.contains("(circled): normal 8"));
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
    }

    #[test]
    fn timeline_shades_the_suspicion_periods() {
        // 100 ms heartbeats with one 2 s gap: with the defaults for 100 ms
        // (pause 300 ms) the gap is suspected, the others are not.
        let mut arrivals: Vec<Timestamp> =
            (0..50).map(|i| Timestamp::from_millis(i * 100)).collect();
        arrivals.extend((0..10).map(|i| Timestamp::from_millis(6_900 + i * 100)));
        let config = Config::for_interval(std::time::Duration::from_millis(100)).unwrap();
        let svg = phi_timeline_svg(
            &arrivals,
            &config,
            Timestamp::ZERO,
            Timestamp::from_millis(8_000),
            "t",
        );
        assert_eq!(
            svg.matches("fill=\"#f4b6b6\"").count(),
            1,
            "one suspicion band"
        );
        assert_eq!(
            svg.matches("stroke=\"#2ca02c\"").count(),
            60,
            "one tick per heartbeat"
        );
        assert!(svg.contains("threshold 8"));
        assert!(!svg.contains("NaN"));
    }

    #[test]
    fn ticks_are_round_numbers() {
        assert_eq!(nice_step(653.0), 1000.0);
        assert_eq!(nice_step(130.0), 200.0);
        assert_eq!(nice_step(0.0), 1.0);
        assert_eq!(nice_step(4.0), 5.0);
    }

    #[test]
    fn empty_input_still_gives_a_valid_document() {
        let svg = tradeoff_svg(&[], None, "nothing");
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert!(!svg.contains("NaN"));
    }
}
