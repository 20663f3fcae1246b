#!/usr/bin/env python3
"""Generate the softplus table of the Akka model and its reference data.

Usage (from the crate root):
    python3 tools/gen_akka.py               # print the generated file, run checks
    python3 tools/gen_akka.py --write       # write src/model/generated/akka_softplus.rs
    python3 tools/gen_akka.py --check       # exit 1 if the committed file differs
    python3 tools/gen_akka.py --reference   # write tests/data/akka_reference.csv

src/model/akka.rs includes the generated file (the table SP and the
constants AL, BL, LN_LN10).

Requires only mpmath (tested with mpmath 1.3).  The exponential used for
u < -37 is the shared one of src/model/fastmath.rs; its tables and its
binary64 replay are imported from tools/gen_normal_tail.py, which writes
them.  Everything else is computed here from first principles at 60
significant digits; no coefficient is taken from another library.

The function.  Akka's phi for a standardised silence y is
    phi(y) = log10(1 + e^u) = softplus(u) / ln 10,  u = y (A + B y^2),
with A = 1.5976 and B = 0.070566 as binary64 numbers.  The Rust code forms
s = 8u as 8A y + (8B y)(y y) (within about 2 ulps of the exact value, like
the JVM's own u; the factor 8 is exact) and then:

* |s| <= 296 (|u| <= 37): table SP, 593 pieces of width 1/8 in u.  Piece
  i covers u in [n/8, (n+1)/8] with n = i - 296 and is a degree-7
  polynomial in t = s - n, t in [0, 1], for softplus(u)/ln 10, evaluated
  by fastmath::piece8 (replayed here through gen_normal_tail.piece8); the
  last piece is only used at its left end, s = 296.  Every piece is the
  Chebyshev interpolant (first-kind nodes) of the exact function,
  converted to the monomial basis and rounded to binary64, with the
  constant term replaced by the correctly rounded value at the left end.
  The interpolation error is below 1.2e-16 relative: a piece spans a
  factor of at most e^(1/8) (the log-derivative of softplus is at most 1),
  and the poles of softplus at u = +-i pi, which slow the convergence near
  u = 0, are 8 pi piece half-widths away.  (Width 1/4 would need degree 9
  for the same accuracy; eight coefficients make a 64-byte piece and the
  shortest evaluation.)
* s > 296 (u > 37, and +inf): e^-u < 2.3e-18 u is below rounding, so
  phi = y (B/ln10 y^2 + A/ln10), computed from y so that it stays finite
  up to y = 1.8e103 (s overflows from y = 6.8e102 on); saturated at
  f64::MAX.
* -6080 <= s < -296 (-760 <= u < -37): softplus(u) = e^u (1 - e^u/2 + ...)
  and e^u/2 < 4.3e-17, so phi = e^(u - ln ln 10) with the shared
  exponential (argument passed as the exact sum u + (-ln ln 10)).
* below, NaN and -inf: 0.

After rounding, the script replays the Rust evaluation in IEEE binary64
(Python floats are binary64, math.* is not used and the Rust code uses no
fused multiply-add), checks the conditions of the monotonicity argument
of fastmath::piece8 (in the module doc of src/model/fastmath.rs) on every piece, and lowers the linear coefficient of a piece by
single ulps where needed so that each piece ends at or below the value
where the next begins (and the last piece's only value, at u = 37, at or
below the value of the u > 37 formula at the first y that uses it).  It
then walks adjacent doubles across every switch and checks the replayed
phi against mpmath, printing the worst relative error to stderr, both
against the exact u and against the u the code computes.  The former is
dominated by the rounding of u itself (up to about |u| * 4.4e-16
relative, as in the JVM), the latter is the evaluation error proper.

--reference writes y and phi (20 significant digits, from the exact u)
for a grid, random points, the far tails and both sides of every piece
boundary; the Rust tests read it.
"""

import os
import random
import sys

import mpmath as mp

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_normal_tail as nt  # noqa: E402  (shared exp tables and helpers)
from gen_output import emit, fmt, generated_header, print_table  # noqa: E402

mp.mp.dps = 60

A = 1.5976
B = 0.070566
K = 8.0  # pieces per unit of u
U_TAB = 37  # the table covers |u| <= U_TAB
S_TAB = K * U_TAB  # 296.0
OFF = int(S_TAB)  # index of piece n is n + OFF
N_PIECES = 2 * OFF + 1  # n = -296 .. 296; the last one is used at s = 296 only
DEG = 7
SHIFT = nt.SHIFTER + OFF
S_EXP_MIN = -760.0 * K  # below: phi is 0 (u < -760)
AK, BK = A * K, B * K  # exact (power-of-two scaling)
MAX = sys.float_info.max

LN10 = mp.log(10)
AL = float(mp.mpf(A) / LN10)
BL = float(mp.mpf(B) / LN10)
LN_LN10 = float(mp.log(LN10))


# ---------------------------------------------------------------------------
# Exact (high-precision) function
# ---------------------------------------------------------------------------


def softplus(u):
    """ln(1 + e^u), relatively accurate for every u."""
    u = mp.mpf(u)
    if u > 0:
        return u + mp.log1p(mp.exp(-u))
    return mp.log1p(mp.exp(u))


def u_exact(y):
    """u for the binary64 y, with the binary64 constants A and B."""
    y = mp.mpf(y)
    return y * (mp.mpf(A) + mp.mpf(B) * y * y)


def phi_exact(y):
    return softplus(u_exact(y)) / LN10


# ---------------------------------------------------------------------------
# Table
# ---------------------------------------------------------------------------


def fit_piece(f_of_t):
    """Degree-DEG Chebyshev interpolant of f on t in [0, 1] (first-kind
    nodes, monomial basis, rounded to binary64) with the constant term
    replaced by the correctly rounded f(0)."""
    coeffs = nt.interp_monomial(f_of_t, DEG, 0, 1)
    return [float(f_of_t(mp.mpf(0)))] + [float(c) for c in coeffs[1:]]


def build_table():
    pieces = []
    for i in range(N_PIECES):
        n = mp.mpf(i - OFF)
        pieces.append(fit_piece(lambda t, n=n: softplus((n + t) / K) / LN10))
    return pieces


SP = build_table()


# ---------------------------------------------------------------------------
# Binary64 replay of the Rust evaluation (must match src/model/akka.rs)
# ---------------------------------------------------------------------------


def piece(c, t):
    """fastmath::piece8, replayed by gen_normal_tail."""
    return nt.piece8(c, t)


def py_s(y):
    return AK * y + (BK * y) * (y * y)


def py_far(y):
    """phi for s > 296 (u > 37)."""
    p = y * (BL * (y * y) + AL)
    return p if p <= MAX else MAX


def py_table(s):
    r = (s - 0.5) + SHIFT
    n = r - SHIFT
    i = nt.f2b(r) & 0xFFFFFFFF
    return piece(SP[min(i, N_PIECES - 1)], s - n)


def py_phi(y):
    s = py_s(y)
    if abs(s) <= S_TAB:
        return py_table(s)
    if s > S_TAB:
        return py_far(y)
    if s >= S_EXP_MIN:
        return nt.py_exp_dd(s * (1.0 / K), -LN_LN10)
    return 0.0


def first_y_with_s_above(target):
    """The smallest double y with py_s(y) > target."""
    y = first_y_with_s_at_least(target)
    while py_s(y) <= target:
        y = nt.next_up(y)
    return y


def first_y_with_s_at_least(target):
    """The smallest double y with py_s(y) >= target (py_s is monotone)."""
    # Real root of B y^3 + A y = target/K, then walk on the binary64 grid.
    u = mp.mpf(target) / K
    guess = mp.sign(u) * mp.cbrt(abs(u) / B)
    y = float(mp.findroot(lambda v: v * (A + B * v * v) - u, guess))
    while py_s(y) < target:
        y = nt.next_up(y)
    while py_s(nt.next_down(y)) >= target:
        y = nt.next_down(y)
    return y


# ---------------------------------------------------------------------------
# Boundary monotonicity: nudge coefficients by ulps where needed
# ---------------------------------------------------------------------------


def tail_max(c, t_end, steps=64):
    """Largest replayed value of piece c at the `steps` floats up to t_end."""
    vals, t = [], t_end
    for _ in range(steps):
        vals.append(piece(c, t))
        t = nt.next_down(t)
    return max(vals)


def fix_edges():
    """Lower coefficients by ulps until the replayed function never
    decreases across a piece boundary or the switch at u = 37."""
    total = 0
    # The extra piece (left end u = 37) is only used at s = 296, its left
    # end; the u > 37 formula takes over at the next double y.
    y0 = first_y_with_s_above(S_TAB)
    limit = py_far(y0)
    while SP[-1][0] > limit:
        SP[-1][0] = nt.next_down(SP[-1][0])
        total += 1
    # Piece i, evaluated up to t = 1, must stay at or below where piece
    # i + 1 starts (t = 1 occurs when the index rounds down at an integer s).
    for i in range(N_PIECES - 1):
        limit = SP[i + 1][0]
        while tail_max(SP[i], 1.0) > limit:
            SP[i][1] = nt.next_down(SP[i][1])
            total += 1
            if total > 100000:
                raise SystemExit("edge fix did not converge")
    return total


def walk(y, n):
    """Violations of monotonicity over n adjacent doubles from y."""
    bad, prev = [], py_phi(y)
    for _ in range(n):
        y = nt.next_up(y)
        cur = py_phi(y)
        if cur < prev:
            bad.append((y, prev, cur))
        prev = cur
    return bad


def check_boundaries():
    """Walk 300 doubles on both sides of every piece boundary and switch."""
    bad = []
    targets = [float(k) for k in range(-OFF, OFF + 1)]  # s = 8u at boundaries
    for target in targets:
        y = first_y_with_s_at_least(target)
        for _ in range(300):
            y = nt.next_down(y)
        bad += walk(y, 600)
    # The exponential range and its lower end.
    for target in [S_EXP_MIN, -K * 708.39, -K * 745.2]:
        y = first_y_with_s_at_least(target)
        for _ in range(300):
            y = nt.next_down(y)
        bad += walk(y, 600)
    # Where s overflows and the far formula switches from s to y.
    lo, hi = 6e102, 7e102
    for _ in range(200):
        mid = lo + (hi - lo) / 2
        if mid in (lo, hi):
            break
        if py_s(mid) <= MAX:
            lo = mid
        else:
            hi = mid
    y = lo
    for _ in range(300):
        y = nt.next_down(y)
    bad += walk(y, 600)
    return bad


# ---------------------------------------------------------------------------
# Accuracy self-check (replayed binary64 vs mpmath)
# ---------------------------------------------------------------------------


def check_points():
    rng = random.Random(2024)
    pts = [k / 128.0 for k in range(-22 * 128, 22 * 128 + 1, 3)]
    pts += [rng.uniform(-21.5, 21.5) for _ in range(3000)]
    pts += [10.0 ** rng.uniform(0, 103) for _ in range(400)]
    pts += [first_y_with_s_at_least(float(k)) for k in range(-OFF, OFF + 1)]
    pts += [0.0, 1e-300, -1e-300, 1e103, 1.7e103]
    return pts


def self_check():
    """Worst relative error of the replayed phi against softplus(u)/ln 10
    (u exact for the binary64 y), and against softplus(fl(u))/ln 10 with
    the u the code computes (the evaluation error proper), with where."""
    worst, where = 0.0, None
    worst_eval, where_eval = 0.0, None
    for y in check_points():
        ref = phi_exact(y)
        if ref < mp.mpf(2) ** -1022:
            continue
        got = mp.mpf(py_phi(y))
        err = abs((got - ref) / ref)
        if err > worst:
            worst, where = float(err), y
        s = py_s(y)
        if abs(s) <= S_TAB or s < 0:  # the far formula uses y, not u
            ref_fl = softplus(mp.mpf(s) / K) / LN10
            err = abs((got - ref_fl) / ref_fl)
            if err > worst_eval:
                worst_eval, where_eval = float(err), y
    return worst, where, worst_eval, where_eval


# ---------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------


def rust_block():
    out = generated_header("tools/gen_akka.py", "src/model/akka.rs")
    print_table(
        out,
        "SP",
        "softplus(u)/ln 10 on u in [n/8, (n+1)/8], n = i - 296, variable t = 8u - n.\n"
        "/// The last piece is only evaluated at its left end, u = 37.",
        SP,
    )
    out.append("/// A / ln 10.")
    out.append(f"const AL: f64 = {fmt(AL)};")
    out.append("/// B / ln 10.")
    out.append(f"const BL: f64 = {fmt(BL)};")
    out.append("/// ln(ln 10).")
    out.append(f"const LN_LN10: f64 = {fmt(LN_LN10)};")
    return "\n".join(out) + "\n"


def write_reference(path):
    """y, phi = softplus(u)/ln 10 at 20 significant digits (mpmath, 60)."""
    ys = set()
    for k in range(-22 * 40, 22 * 40 + 1):  # step 0.025 on [-22, 22]
        ys.add(k / 40.0)
    ys.update([0.0, 1e-300, -1e-300, 1e-9, -1e-9, 5e-324, -5e-324])
    ys.update([25.0, 30.0, 40.0, 100.0, 1e3, 1e6, 1e12, 1e50, 1e100, 1e103, 1.7e103])
    ys.update([-25.0, -30.0, -40.0, -100.0, -1e6])
    rng = random.Random(20240612)
    for _ in range(500):
        ys.add(rng.uniform(-21.7, 21.7))
    for _ in range(150):
        ys.add(10.0 ** rng.uniform(0.0, 103.0))
    # The first doubles of every table piece and of every switch, and their
    # lower neighbours (the last doubles of the piece before).
    for k in range(-OFF, OFF + 1):
        y = first_y_with_s_at_least(float(k))
        ys.update([y, nt.next_down(y)])
    for target in [S_EXP_MIN, -K * 708.39]:
        y = first_y_with_s_at_least(target)
        ys.update([y, nt.next_down(y)])
    ys = sorted(ys)
    with open(path, "w") as fh:
        fh.write("y,phi\n")
        for y in ys:
            v = phi_exact(y)
            fh.write(f"{y!r},{mp.nstr(v, 20, min_fixed=0, max_fixed=0)}\n")
    print(f"wrote {len(ys)} rows to {os.path.normpath(path)}", file=sys.stderr)


def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    if "--reference" in sys.argv[1:]:
        write_reference(os.path.join(root, "tests", "data", "akka_reference.csv"))
        return
    nudges = fix_edges()
    bad = check_boundaries()
    worst, where, worst_eval, where_eval = self_check()
    margin, ratio = nt.check_inner_margin(SP, "SP", samples=100)
    print(f"SP: inner margin >= {margin:.2f}, z/(t z') <= {ratio:.3f}", file=sys.stderr)
    print(f"edge nudges: {nudges}; boundary violations: {len(bad)} {bad[:3]}",
          file=sys.stderr)
    print(f"replayed worst relative error {worst:.3e} at y = {where!r}",
          file=sys.stderr)
    print(f"  against softplus of the computed u: {worst_eval:.3e} at y = {where_eval!r}",
          file=sys.stderr)
    if bad:
        raise SystemExit("boundary monotonicity check failed")
    emit("tools/gen_akka.py", [("src/model/generated/akka_softplus.rs", rust_block())])

if __name__ == "__main__":
    main()
