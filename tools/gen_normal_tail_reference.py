#!/usr/bin/env python3
"""Write tests/data/normal_tail_reference.csv: z, phi = -log10 Q(z).

Usage (from the crate root):
    python3 tools/gen_normal_tail_reference.py

Q(z) = P(X > z) for X ~ N(0, 1).  The values are computed with mpmath at
60 significant digits (mpmath's erfc is arbitrary precision and handles
arguments far beyond the binary64 underflow of Q) and printed with 20
significant digits.  For z < 0 we use phi = -log1p(-Q(-z))/ln 10 so that
the tiny values stay relatively accurate.

Each z is a binary64 number printed with Python's shortest round-trip
repr, so the Rust test parses exactly the z the reference was computed
at.  Rows: a dense grid on [-40, 40] with step 0.05, the points
38, 40, 100, 1e3, 1e4, 1e6, 1e8, 1e12, 1e16, and seeded random points
(uniform on [-40, 40], log-uniform on [10, 1e16], and near the piece
boundaries of the implementation).
"""

import os
import random

import mpmath as mp

mp.mp.dps = 60


def phi_exact(z):
    z = mp.mpf(z)
    q = mp.erfc(abs(z) / mp.sqrt(2)) / 2
    if z >= 0:
        return -mp.log(q) / mp.log(10)
    return -mp.log1p(-q) / mp.log(10)


def main():
    zs = set()
    for k in range(-800, 801):  # step 0.05 on [-40, 40]
        zs.add(float(mp.mpf(k) / 20))
    zs.update([38.0, 40.0, 100.0, 1e3, 1e4, 1e6, 1e8, 1e12, 1e16])
    zs.update([-38.0, -37.5, -37.0, 0.0, 1e-300, -1e-300, 1e-9, -1e-9])
    rng = random.Random(20240611)
    for _ in range(400):
        zs.add(rng.uniform(-40.0, 40.0))
    for _ in range(200):
        zs.add(10.0 ** rng.uniform(1.0, 16.0))
    for _ in range(100):
        zs.add(rng.uniform(-3.0, 3.0))
    # Just inside the ends of the pieces of the implementation.
    for k in range(-40 * 8, 10 * 8 + 1):
        b = k / 8.0
        zs.add(b + 1e-12)
        zs.add(b - 1e-12)
    zs = sorted(zs)

    out = os.path.join(os.path.dirname(__file__), "..", "tests", "data",
                       "normal_tail_reference.csv")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as fh:
        fh.write("z,phi\n")
        for z in zs:
            fh.write(f"{z!r},{mp.nstr(phi_exact(z), 20, min_fixed=0, max_fixed=0)}\n")
    print(f"wrote {len(zs)} rows to {os.path.normpath(out)}")


if __name__ == "__main__":
    main()
