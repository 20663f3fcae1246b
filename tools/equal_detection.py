#!/usr/bin/env python3
"""Compares the engine's learning rules and periods at equal detection time.

For each model, runs `accrual tune --format csv --no-validate` once per rule
setting over a grid of thresholds, and prints each setting's QoS curve
(threshold: mean detection ms / mistakes) and, at every detection time of
the reference setting (`--learning all --period fixed`, the papers'), the
ratio of the setting's mistakes to the reference's, each curve interpolated
log-linearly in mistakes between neighbouring thresholds. A ratio below 1:
fewer mistakes for the same detection time.

    python3 tools/equal_detection.py TRACE MODELS [tune options...]

e.g. `python3 tools/equal_detection.py all.csv normal,chen --window 999
--first-interval-ms 100 --pause-ms 0 --min-std-ms 0.000001` (papers/fidelity.md).
The binary is target/release/accrual (`cargo build --release --features cli`).
"""
import csv
import io
import math
import os
import subprocess
import sys

ACCRUAL = os.path.join(os.path.dirname(__file__), "..", "target", "release", "accrual")
MARGINS = "0.1,0.2,0.5,1,2,3,5,7,10,15,20,30,50,70,100,150,200,300,500"
THRESHOLDS = {
    "normal": "0.5:16:0.5",
    "akka": "0.5:16:0.5",
    "exponential": "0.5:16:0.5",
    "chen": MARGINS,
    "2w-fd": MARGINS,
    "bertier": "0.25,0.5,0.75,1,1.5,2,3,4,6,8,12,16,24,32,48",
}
MARGIN_MODELS = ("chen", "2w-fd", "bertier")


def curve(trace, model, learning, period, extra):
    cmd = [ACCRUAL, "tune", "--trace", trace, "--models", model,
           "--thresholds", THRESHOLDS[model], "--learning", learning,
           "--period", period, "--no-validate", "--format", "csv"] + extra
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    rows = csv.DictReader(io.StringIO(out.stdout))
    return [(float(r["threshold"]), float(r["mean_detection_ms"]), int(r["mistakes"]))
            for r in rows]


def at_detection(points, td):
    """Mistakes at mean detection `td`, log-linear between neighbours."""
    pts = sorted((d, m) for _, d, m in points)
    for (a, ma), (b, mb) in zip(pts, pts[1:]):
        if a <= td <= b and b > a:
            f = (td - a) / (b - a)
            return math.exp(math.log(ma + 1) * (1 - f) + math.log(mb + 1) * f) - 1
    return None


def main():
    trace, models, extra = sys.argv[1], sys.argv[2].split(","), sys.argv[3:]
    for model in models:
        periods = ["estimated", "fixed"] if model in MARGIN_MODELS else ["fixed"]
        curves = {(l, p): curve(trace, model, l, p, extra)
                  for l in ("skip-suspected", "all") for p in periods}
        ref = curves[("all", "fixed")]
        print(f"## {model}")
        for (l, p), c in curves.items():
            print(f"  {l:15}{p:10}", " ".join(f"{t:g}:{d:.1f}/{m}" for t, d, m in c))
        for (l, p), c in curves.items():
            ratios = []
            for _, td, _ in ref:
                a, b = at_detection(c, td), at_detection(ref, td)
                if a is not None and b:
                    ratios.append(f"{td:.1f}:{a / b:.2f}")
            print(f"  {l} {p} / all fixed at equal detection:", " ".join(ratios))


if __name__ == "__main__":
    main()
