#!/usr/bin/env python3
"""Threshold grids and operating-point tables for papers/models-compared.md.

Usage (from the crate root; tools/compare_models.sh calls all three):
    python3 tools/compare_models.py grid MODEL INTERVAL_MS
        Print the comma-separated thresholds scored for MODEL on a trace
        whose heartbeat interval is INTERVAL_MS, for `accrual tune
        --thresholds`.
    python3 tools/compare_models.py merge OUT.csv IN.csv...
        Concatenate `accrual tune --format csv` outputs (one header),
        numbers rounded to 6 significant digits.
    python3 tools/compare_models.py tables DIR
        Read DIR/models-<profile>-grid.csv (every model on its grid, for
        each profile) and print the Markdown tables: the two operating
        points per profile, the best model at each, how (b) moves with the
        detection budget, one threshold for all profiles, and Bertier's
        published detector.

The operating points, per model:
  (a) conservative: the fastest mean detection among the thresholds with at
      most 1 mistake per hour (ties: fewer mistakes);
  (b) aggressive: the fewest mistakes per hour among the thresholds whose
      mean detection is at most twice the heartbeat interval (ties: faster
      detection).
"none" when no threshold of the grid meets the constraint.

Standard library only.
"""

import csv
import math
import os
import sys

PROFILES = ["lan", "wan", "gc", "flaky"]
# The profiles' default heartbeat intervals (src/simulate/profile.rs).
INTERVAL_MS = {"lan": 100.0, "wan": 100.0, "gc": 1000.0, "flaky": 100.0}
MODELS = ["normal", "akka", "exponential", "chen", "2w-fd", "bertier", "empirical", "timeout"]
MAX_MISTAKES_PER_HOUR = 1.0
MAX_DETECTION_INTERVALS = 2.0
# Detection budgets (in intervals) of the sensitivity table.
SENSITIVITY_MULTIPLES = [1.5, 2.0, 3.0]


def frange(start, stop, step):
    """start, start + step, ... up to stop inclusive (to rounding)."""
    n = int(round((stop - start) / step))
    return [start + k * step for k in range(n + 1)]


def grid(model, interval_ms):
    """The thresholds scored for `model`, finer than `accrual tune`'s
    defaults where a curve turns, and extended where the defaults stop
    before the mistake rate falls (the normal models past phi 16)."""
    if model in ("normal", "akka"):
        values = frange(0.5, 16, 0.5) + frange(18, 32, 2)
        # Without an acceptable pause the normal models need phi in the
        # hundreds (Akka's logistic tail: thousands) to stop suspecting
        # sender stalls; phi stays finite and exact there.
        values += [40, 48, 56, 64, 80, 100, 128, 160, 200, 256, 320, 400, 500, 640, 800]
        values += [1000, 1280, 1600, 2000, 2560, 3200, 4000, 5000, 6400, 8000, 10000]
    elif model == "exponential":
        values = frange(0.25, 8, 0.125) + frange(9, 16, 1)
    elif model == "empirical":
        # With a window of 1000 the phi read off the data ends at
        # log10(1001) = 3.0004 (only the longest interval is longer than
        # the silence); above it is the exponential tail, where the curve
        # turns and the grid is fine. Below it the thresholds make hundreds
        # to tens of thousands of mistakes per hour, and scoring them is
        # slow (the thresholds stop sharing a window), so that part stays
        # coarse.
        values = frange(0.5, 3, 0.25) + [3.001, 3.005, 3.01, 3.015] + frange(3.02, 4, 0.02)
        values += frange(4.1, 6, 0.1) + frange(6.5, 16, 0.5)
    elif model in ("chen", "2w-fd"):
        # Margins past the expected arrival, in ms.
        multiples = frange(0.02, 3, 0.02) + frange(3.1, 8, 0.1) + frange(8.5, 20, 0.5)
        values = [m * interval_ms for m in multiples]
    elif model == "timeout":
        multiples = frange(1.0, 3, 0.02) + frange(3.1, 8, 0.1) + frange(8.5, 20, 0.5)
        values = [m * interval_ms for m in multiples]
    elif model == "bertier":
        # Multiples of Bertier's adaptive margin (1 is the published detector).
        values = frange(0.25, 4, 0.125) + frange(4.25, 16, 0.25) + frange(17, 64, 1)
    else:
        raise SystemExit(f"unknown model {model!r}")
    return [round(v, 4) for v in values]


def merge(out_path, in_paths):
    """Concatenate `accrual tune --format csv` outputs into one CSV, numbers
    rounded to 6 significant digits (to keep the committed file small)."""
    header = None
    lines = []
    for path in in_paths:
        with open(path, newline="") as fh:
            reader = csv.reader(fh)
            first = next(reader)
            if header is None:
                header = first
            elif first != header:
                raise SystemExit(f"{path}: unexpected header {first}")
            for row in reader:
                lines.append([row[0]] + [short(x) for x in row[1:]])
    with open(out_path, "w", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(lines)


def short(text):
    try:
        value = float(text)
    except ValueError:  # a label column (model, verdict, true/false)
        return text
    if not math.isfinite(value):  # inf: no mistake, so no time between them
        return text
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.6g}"


def read(path):
    rows = []
    with open(path, newline="") as fh:
        for r in csv.DictReader(fh):
            rows.append(
                {
                    "model": r["model"],
                    "threshold": float(r["threshold"]),
                    "detection": float(r["mean_detection_ms"]),
                    "mistakes": int(r["mistakes"]),
                    "per_hour": float(r["mistakes_per_hour"]),
                    "accuracy": float(r["query_accuracy"]),
                }
            )
    return rows


def conservative(rows):
    """(a): the fastest mean detection with at most 1 mistake per hour."""
    ok = [r for r in rows if r["per_hour"] <= MAX_MISTAKES_PER_HOUR]
    return min(ok, key=lambda r: (r["detection"], r["per_hour"]), default=None)


def aggressive(rows, limit_ms):
    """(b): the fewest mistakes with a mean detection of at most limit_ms."""
    ok = [r for r in rows if r["detection"] <= limit_ms]
    return min(ok, key=lambda r: (r["per_hour"], r["detection"]), default=None)


def fmt_threshold(model, t):
    text = f"{t:g}"
    if model in ("chen", "2w-fd", "timeout"):
        return text + " ms"
    if model == "bertier":
        return text + " α"
    return text


def cells(model, r):
    if r is None:
        return ["none", "", "", ""]
    return [
        fmt_threshold(model, r["threshold"]),
        f"{r['detection']:.1f}",
        f"{r['per_hour']:.3g} ({r['mistakes']})",
        f"{r['accuracy']:.6f}",
    ]


def by_model(rows):
    out = {}
    for r in rows:
        out.setdefault(r["model"], []).append(r)
    return {m: out[m] for m in MODELS if m in out}


def tables(directory):
    data = {p: by_model(read(os.path.join(directory, f"models-{p}-grid.csv"))) for p in PROFILES}
    summary = []
    for profile in PROFILES:
        interval = INTERVAL_MS[profile]
        limit = MAX_DETECTION_INTERVALS * interval
        picks = {m: (conservative(rows), aggressive(rows, limit)) for m, rows in data[profile].items()}
        best_a = min(
            (a for a, _ in picks.values() if a),
            key=lambda r: (r["detection"], r["per_hour"]),
            default=None,
        )
        best_b = min(
            (b for _, b in picks.values() if b),
            key=lambda r: (r["per_hour"], r["detection"]),
            default=None,
        )
        print(
            f"#### {profile}: heartbeat every {interval:g} ms; "
            f"(b) is T_D ≤ {limit:g} ms"
        )
        print()
        print(
            "| model | (a) threshold | T_D ms | mistakes/h (n) | P_A "
            "| (b) threshold | T_D ms | mistakes/h (n) | P_A |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for model, (a, b) in picks.items():
            ca, cb = cells(model, a), cells(model, b)
            if a is not None and a is best_a:
                ca[1] = f"**{ca[1]}**"
            if b is not None and b is best_b:
                cb[2] = f"**{cb[2]}**"
            print(f"| {model} | " + " | ".join(ca + cb) + " |")
        print()
        summary.append((profile, best_a, best_b, limit))

    print("#### Best per operating point")
    print()
    print(
        f"| profile | (a) fastest with ≤ {MAX_MISTAKES_PER_HOUR:g} mistake/h "
        f"| (b) fewest mistakes with T_D ≤ {MAX_DETECTION_INTERVALS:g} intervals |"
    )
    print("|---|---|---|")
    for profile, a, b, limit in summary:
        da = (
            f"{a['model']} {fmt_threshold(a['model'], a['threshold'])}: {a['detection']:.1f} ms"
            if a
            else "none"
        )
        db = (
            f"{b['model']} {fmt_threshold(b['model'], b['threshold'])}: "
            f"{b['per_hour']:.3g}/h at {b['detection']:.1f} ms"
            if b
            else "none"
        )
        print(f"| {profile} | {da} | {db} |")
    print()

    print("#### Sensitivity of (b) to the detection budget: fewest mistakes/h with T_D ≤ k intervals")
    print()
    print("| profile | k | " + " | ".join(MODELS) + " |")
    print("|---|---:|" + "---:|" * len(MODELS))
    for profile in PROFILES:
        for k in SENSITIVITY_MULTIPLES:
            limit = k * INTERVAL_MS[profile]
            picks = [aggressive(data[profile].get(m, []), limit) for m in MODELS]
            best = min((r["per_hour"] for r in picks if r), default=None)
            texts = []
            for r in picks:
                if r is None:
                    texts.append("none")
                else:
                    t = f"{r['per_hour']:.3g}"
                    texts.append(f"**{t}**" if r["per_hour"] == best else t)
            print(f"| {profile} | {k:g} | " + " | ".join(texts) + " |")
    print()

    print(
        f"#### One threshold for all four profiles: the smallest meeting (a) "
        f"(≤ {MAX_MISTAKES_PER_HOUR:g} mistake/h) on every profile; mean T_D in ms"
    )
    print()
    print("| model | threshold | " + " | ".join(PROFILES) + " |")
    print("|---|---:|" + "---:|" * len(PROFILES))
    for model in MODELS:
        per = {p: {r["threshold"]: r for r in data[p].get(model, [])} for p in PROFILES}
        common = sorted(set.intersection(*(set(d) for d in per.values())))
        ok = [
            t
            for t in common
            if all(per[p][t]["per_hour"] <= MAX_MISTAKES_PER_HOUR for p in PROFILES)
        ]
        if not ok:
            print(f"| {model} | none | " + " | ".join("" for _ in PROFILES) + " |")
            continue
        t = ok[0]
        texts = [f"{per[p][t]['detection']:.0f}" for p in PROFILES]
        print(f"| {model} | {fmt_threshold(model, t)} | " + " | ".join(texts) + " |")
    print()

    print("#### Bertier's published detector (threshold 1 α)")
    print()
    print("| profile | T_D ms | mistakes/h (n) | P_A |")
    print("|---|---:|---:|---:|")
    for profile in PROFILES:
        r = next((r for r in data[profile].get("bertier", []) if r["threshold"] == 1.0), None)
        if r:
            print(
                f"| {profile} | {r['detection']:.1f} | {r['per_hour']:.3g} ({r['mistakes']}) "
                f"| {r['accuracy']:.6f} |"
            )


def main():
    args = sys.argv[1:]
    if len(args) == 3 and args[0] == "grid":
        print(",".join(f"{v:g}" for v in grid(args[1], float(args[2]))))
    elif len(args) >= 3 and args[0] == "merge":
        merge(args[1], args[2:])
    elif len(args) == 2 and args[0] == "tables":
        tables(args[1])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
