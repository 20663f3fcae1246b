//! SVG charts of replays and tuning results, written by hand (no plotting
//! dependency).
//!
//! [`tradeoff_svg`] draws Chen's trade-off: mean detection time (x) against
//! mistakes per hour (y), both logarithmic, one colour per detection kind,
//! one dot per configuration, with the Pareto frontier and the
//! recommendation marked. Configurations without any mistake sit on the
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

/// The trade-off chart of `candidates` as an SVG document: mean detection
/// time (x, logarithmic, so that models tens of milliseconds apart stay
/// apart when others reach seconds) against mistakes per hour (y,
/// logarithmic). Every configuration is a dot in its detection kind's
/// colour; each kind's line joins its own undominated configurations.
/// `frontier` (indices into `candidates`, see
/// [`pareto_frontier`](crate::tune::pareto_frontier)) is drawn as a black
/// staircase with square markers, and `recommended` is circled.
pub fn tradeoff_svg(
    candidates: &[Candidate],
    frontier: &[usize],
    recommended: Option<usize>,
    title: &str,
) -> String {
    let point = |c: &Candidate| (c.qos.mean_detection_ms(), c.qos.mistakes_per_hour());
    let plotted: Vec<&Candidate> = candidates
        .iter()
        .filter(|c| {
            let (x, y) = point(c);
            c.qos.samples > 0 && x > 0.0 && x.is_finite() && y.is_finite()
        })
        .collect();
    let xs = plotted.iter().map(|c| point(c).0);
    let x_lo_data = xs.clone().fold(f64::INFINITY, f64::min);
    let x_hi_data = xs.fold(0.0f64, f64::max);
    let (x_lo, x_hi) = if x_hi_data > 0.0 {
        (
            x_lo_data.log10().floor() as i32,
            x_hi_data.log10().ceil() as i32,
        )
    } else {
        (1, 3)
    };
    let x_hi = x_hi.max(x_lo + 1);
    let positive = plotted.iter().map(|c| point(c).1).filter(|&y| y > 0.0);
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
    let sx = |x: f64| {
        LEFT + (x.max(f64::MIN_POSITIVE).log10() - f64::from(x_lo)) / f64::from(x_hi - x_lo)
            * plot_w
    };
    let sy = |y: f64| {
        let e = if y > 0.0 {
            y.log10()
        } else {
            f64::from(lo_exp)
        };
        TOP + (f64::from(hi_exp) - e) / f64::from(hi_exp - lo_exp) * plot_h
    };
    let at = |c: &Candidate| {
        let (x, y) = point(c);
        (sx(x), sy(y))
    };

    let mut s = open_svg(title, plot_w);
    // Grid and axes: decades, with 2 and 5 ticks on the detection axis.
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
    for e in x_lo..=x_hi {
        for m in [1.0, 2.0, 5.0] {
            let v = m * 10f64.powi(e);
            if v > 10f64.powi(x_hi) * 1.0001 {
                break;
            }
            let x = sx(v);
            let _ = writeln!(
                s,
                r##"<line x1="{x:.1}" y1="{TOP}" x2="{x:.1}" y2="{:.1}" stroke="#eee"/><text x="{x:.1}" y="{:.1}" text-anchor="middle">{v}</text>"##,
                TOP + plot_h,
                TOP + plot_h + 18.0
            );
        }
    }
    frame(
        &mut s,
        plot_w,
        plot_h,
        "mean detection time (ms, log)",
        "mistakes per hour (log; bottom row: none)",
    );
    // One series per detection kind, in order of first appearance.
    let mut kinds: Vec<&str> = Vec::new();
    for c in &plotted {
        if !kinds.contains(&c.detection.name()) {
            kinds.push(c.detection.name());
        }
    }
    for (i, kind) in kinds.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        let series: Vec<Candidate> = plotted
            .iter()
            .filter(|c| c.detection.name() == *kind)
            .map(|c| **c)
            .collect();
        let path: Vec<String> = crate::tune::pareto_frontier(&series)
            .iter()
            .map(|&k| {
                let (x, y) = at(&series[k]);
                format!("{x:.1},{y:.1}")
            })
            .collect();
        let _ = writeln!(
            s,
            r#"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="1.5"/>"#,
            path.join(" ")
        );
        for c in &series {
            let (x, y) = at(c);
            let _ = writeln!(
                s,
                r#"<circle cx="{x:.1}" cy="{y:.1}" r="2.5" fill="{colour}" fill-opacity="0.6"><title>{} {} pause {} ms: {:.1} ms, {:.3}/h</title></circle>"#,
                kind,
                c.threshold,
                c.acceptable_pause.as_secs_f64() * 1e3,
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
    // The overall frontier: a staircase (each point is undominated until the
    // next one is reached) with square markers.
    let corners: Vec<(f64, f64)> = frontier
        .iter()
        .filter_map(|&i| candidates.get(i))
        .filter(|c| plotted.iter().any(|p| std::ptr::eq(*p, *c)))
        .map(at)
        .collect();
    let mut steps: Vec<String> = Vec::new();
    for (k, &(x, y)) in corners.iter().enumerate() {
        if k > 0 {
            steps.push(format!("{x:.1},{:.1}", corners[k - 1].1));
        }
        steps.push(format!("{x:.1},{y:.1}"));
    }
    let _ = writeln!(
        s,
        r#"<polyline points="{}" fill="none" stroke="black" stroke-width="1" stroke-dasharray="4 3"/>"#,
        steps.join(" ")
    );
    for (x, y) in &corners {
        let _ = writeln!(
            s,
            r#"<rect x="{:.1}" y="{:.1}" width="7" height="7" fill="none" stroke="black"/>"#,
            x - 3.5,
            y - 3.5
        );
    }
    let lx = LEFT + plot_w + 15.0;
    let ly = TOP + 30.0 + 20.0 * kinds.len() as f64;
    let _ = writeln!(
        s,
        r#"<rect x="{:.1}" y="{:.1}" width="7" height="7" fill="none" stroke="black"/><text x="{:.1}" y="{:.1}">frontier</text>"#,
        lx + 6.5,
        ly - 3.5,
        lx + 26.0,
        ly + 4.0
    );
    if let Some(r) = recommended.and_then(|i| candidates.get(i)) {
        let (x, y) = at(r);
        let ly = ly + 24.0;
        let _ = writeln!(
            s,
            r#"<circle cx="{x:.1}" cy="{y:.1}" r="8" fill="none" stroke="black" stroke-width="2"/><text x="{lx:.1}" y="{ly:.1}">recommended</text><text x="{lx:.1}" y="{:.1}">(circled): {} {}</text>"#,
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
        // In u128: a gap of more than 2^60 ns (a range near the clock's
        // end) would overflow the product and fold the curve back.
        for k in 0..=16u64 {
            let t = lo + (u128::from(end - lo) * u128::from(k) / 16) as u64;
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
            acceptable_pause: std::time::Duration::ZERO,
            min_std_deviation: std::time::Duration::ZERO,
            learning: None,
            held_out: None,
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
        let frontier = crate::tune::pareto_frontier(&c);
        assert_eq!(frontier, [0, 2, 1]);
        let svg = tradeoff_svg(&c, &frontier, Some(1), "a <title> & more");
        assert!(svg.starts_with("<svg"));
        assert!(svg.trim_end().ends_with("</svg>"));
        // One line per kind and the frontier's staircase.
        assert_eq!(svg.matches("<polyline").count(), 3);
        assert_eq!(svg.matches("<circle").count(), 4); // 3 markers + recommendation
                                                       // Three frontier squares, the legend's and the plot's frame.
        assert_eq!(
            svg.matches("fill=\"none\" stroke=\"black\"/>").count(),
            4 + 1
        );
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
    fn a_range_near_the_clock_end_draws_time_forwards() {
        // Two heartbeats and a range of 1e13 ms (1e19 ns, past 2^63): the
        // samples of the one long gap must still move right, never back.
        let config = Config::for_interval(std::time::Duration::from_secs(1)).unwrap();
        let arrivals = [Timestamp::from_millis(0), Timestamp::from_millis(1_000)];
        let to = Timestamp::try_from_millis_f64(1e13).unwrap();
        let svg = phi_timeline_svg(&arrivals, &config, Timestamp::from_millis(0), to, "t");
        let points = svg
            .lines()
            .find(|l| l.starts_with("<polyline"))
            .and_then(|l| l.split('"').nth(1))
            .unwrap();
        let xs: Vec<f64> = points
            .split(' ')
            .map(|p| p.split(',').next().unwrap().parse().unwrap())
            .collect();
        assert!(xs.len() > 16, "{points}");
        assert!(xs.windows(2).all(|w| w[0] <= w[1]), "{points}");
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
        let svg = tradeoff_svg(&[], &[], None, "nothing");
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert!(!svg.contains("NaN"));
    }
}
