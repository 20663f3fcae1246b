#!/usr/bin/env python3
"""Print the medians of the last criterion run as a Markdown table.

Usage (from the crate root, after `cargo bench ...`):
    python3 tools/bench_table.py [FILTER]

Reads target/criterion/<group>/<bench>/new/estimates.json and prints one
row per benchmark whose id contains FILTER (all by default): the median
and its 95 % confidence interval, in the unit criterion measured (ns).
"""

import json
import os
import sys


def main() -> None:
    root = os.path.join("target", "criterion")
    wanted = sys.argv[1] if len(sys.argv) > 1 else ""
    rows = []
    for directory, _, files in os.walk(root):
        if os.path.basename(directory) != "new" or "estimates.json" not in files:
            continue
        bench_id = os.path.relpath(os.path.dirname(directory), root)
        if wanted not in bench_id:
            continue
        with open(os.path.join(directory, "estimates.json")) as fh:
            est = json.load(fh)["median"]
        ci = est["confidence_interval"]
        rows.append((bench_id, est["point_estimate"], ci["lower_bound"], ci["upper_bound"]))
    print("| benchmark | median | 95 % interval |")
    print("|---|---:|---|")
    for bench_id, median, lo, hi in sorted(rows):
        print(f"| `{bench_id}` | {fmt(median)} | {fmt(lo)} – {fmt(hi)} |")


def fmt(ns: float) -> str:
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.2f} µs"
    return f"{ns:.2f} ns"


if __name__ == "__main__":
    main()
