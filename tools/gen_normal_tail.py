#!/usr/bin/env python3
"""Generate the coefficient tables of src/model/normal_tail.rs.

Usage (from the crate root):
    python3 tools/gen_normal_tail.py            # print the generated files
    python3 tools/gen_normal_tail.py --write    # write them
    python3 tools/gen_normal_tail.py --check    # exit 1 if a committed one
                                                # differs (run by .ci/run)

It writes src/model/generated/normal_tail.rs (included by
src/model/normal_tail.rs) and src/model/generated/exp_ln.rs (the
exponential and logarithm tables, included by src/model/fastmath.rs and
shared with the Akka model).  tools/gen_akka.py imports this module for the
shared exponential, the piece evaluation, the fitting helpers and the
output (generated_header, emit).

Requires only mpmath (tested with mpmath 1.3).  Everything is computed
from first principles at 60 significant digits; no coefficient is taken
from another library.

What is generated:

* TAB   phi(z) = -log10 Q(z) on -10 < z < 10: 360 pieces of degree 9.
        s = 32 z for z < 0 and s = 4 z for z >= 0; piece i covers
        s in [n, n + 1] with n = i - 320 (so 320 pieces of width 1/32
        below zero and 40 of width 1/4 above), variable t = s - n in
        [0, 1], growing with z.  The Rust code takes s = min(32 z, 4 z),
        which selects the scale without a branch.
* ASYM  d(u) = c(u)/u (degree 8) with c(u) = ln(z M(z)), u = 1/z^2,
        u in (0, 1/100],
        where M(z) = Q(z)/pdf(z) is Mills' ratio.  Used for |z| >= 10.
* EXP   2^(j/64) split into hi + lo, and the polynomial of
        (e^r - 1 - r)/r^2 on |r| <= ln2/128 (plus margin).
* LN    ln(c_j), 1/c_j for c_j = 1 + (j + 1/2)/32, and the polynomial
        of (log1p(r) - r)/r^2 on |r| <= 1/64.

Every table piece is a Chebyshev interpolant (first-kind nodes) computed
in high precision, converted to the monomial basis in t and rounded to
binary64; its constant term is then replaced by the correctly rounded
function value at the piece's left end.  The pieces are increasing and
convex in t (-ln Q is convex), which the monotone evaluation of
fastmath::piece10 needs; the script checks the conditions that argument
uses (check_inner_margin).  Other polynomials are evaluated with Estrin's
scheme, ASYM with two Horner steps on top (the operation order is fixed
and replayed exactly below).  After rounding, the script replays the Rust
evaluation in IEEE binary64 (Python floats are binary64, math.* is not
used, and the Rust code uses no fused multiply-add) and nudges
coefficients by single ulps where needed so that the piecewise function
never decreases across a piece boundary.  It then checks the replayed phi
against mpmath on a few thousand points and prints the worst relative
error to stderr.
"""

import random
import struct
import sys

import mpmath as mp

from gen_output import emit, fmt, generated_header, print_array, print_table  # noqa: E402

mp.mp.dps = 60

SQRT2 = mp.sqrt(2)
LN10 = mp.log(10)
DEG = 9  # table pieces

# ---------------------------------------------------------------------------
# Exact (high-precision) functions
# ---------------------------------------------------------------------------


def q_upper(x):
    """Q(x) = P(X > x) for X ~ N(0, 1), relative accuracy for all x."""
    return mp.erfc(mp.mpf(x) / SQRT2) / 2


def phi_exact(z):
    """-log10 Q(z), relatively accurate for every z."""
    z = mp.mpf(z)
    if z >= 0:
        return -mp.log(q_upper(z)) / LN10
    # Q(z) = 1 - Q(w), w = -z; use log1p to keep relative accuracy.
    return -mp.log1p(-q_upper(-z)) / LN10


def c_exact(u):
    """c(u) = ln(z M(z)) with z = 1/sqrt(u); c(u) ~ -u as u -> 0."""
    u = mp.mpf(u)
    z = 1 / mp.sqrt(u)
    # M(z) = Q(z) sqrt(2 pi) exp(z^2/2); work in logs to avoid overflow.
    return mp.log(z) + mp.log(q_upper(z)) + mp.log(mp.sqrt(2 * mp.pi)) + z * z / 2


def d_exact(u):
    """d(u) = c(u)/u, d(0) = -1."""
    u = mp.mpf(u)
    if u == 0:
        return mp.mpf(-1)
    return c_exact(u) / u


# ---------------------------------------------------------------------------
# Fitting helpers
# ---------------------------------------------------------------------------


def cheb_nodes(n, lo, hi):
    """n first-kind Chebyshev nodes mapped to [lo, hi] (endpoints excluded)."""
    lo, hi = mp.mpf(lo), mp.mpf(hi)
    return [
        (lo + hi) / 2 - (hi - lo) / 2 * mp.cos(mp.pi * (2 * k + 1) / (2 * n))
        for k in range(n)
    ]


def interp_monomial(g, n, lo, hi):
    """Monomial coefficients (in x) of the degree-n interpolant of g at
    Chebyshev nodes of [lo, hi]."""
    xs = cheb_nodes(n + 1, lo, hi)
    vmat = mp.matrix(n + 1, n + 1)
    rhs = mp.matrix(n + 1, 1)
    for r, x in enumerate(xs):
        p = mp.mpf(1)
        for c in range(n + 1):
            vmat[r, c] = p
            p *= x
        rhs[r] = g(x)
    sol = mp.lu_solve(vmat, rhs)
    return [sol[i] for i in range(n + 1)]


def fit_piece(f_of_t, deg=DEG):
    """Degree-deg polynomial p(t) on t in [0, 1] with p(0) = fl(f(0)).

    The Chebyshev interpolant of f is computed in high precision; its
    constant term (which already equals f(0) up to the interpolation
    error) is then replaced by the correctly rounded f(0), so that the
    piece starts exactly at the correctly rounded function value."""
    coeffs = interp_monomial(f_of_t, deg, 0, 1)
    return [float(f_of_t(mp.mpf(0)))] + [float(c) for c in coeffs[1:]]


# The evaluation schemes below must match poly4/poly6/poly9/piece10 in
# src/model/fastmath.rs operation for operation.


def poly4(c, t):
    t2 = t * t
    return (c[0] + c[1] * t) + t2 * (c[2] + c[3] * t)


def poly6(c, t):
    t2 = t * t
    p01 = c[0] + c[1] * t
    p23 = c[2] + c[3] * t
    p45 = c[4] + c[5] * t
    return (p01 + t2 * p23) + (t2 * t2) * p45


def poly9(c, t):
    """Degree 8: two Horner steps on an Estrin core (used for ASYM)."""
    t2 = t * t
    t4 = t2 * t2
    p23 = c[2] + c[3] * t
    p45 = c[4] + c[5] * t
    p67 = c[6] + c[7] * t
    e = (p23 + t2 * p45) + t4 * (p67 + t2 * c[8])
    return c[0] + t * (c[1] + t * e)


Q_GRID = 12.0  # (t + Q_GRID) - Q_GRID rounds t to a multiple of 2^-49


def inner_z(c, q):
    """z(q) = q (c2 + c3 q + ...) for 8 or 10 coefficients, as in
    fastmath::piece8 / piece10."""
    q2 = q * q
    q4 = q2 * q2
    p23 = c[2] + c[3] * q
    p45 = c[4] + c[5] * q
    p67 = c[6] + c[7] * q
    if len(c) == 8:
        e = (p23 + q2 * p45) + q4 * p67
    else:
        p89 = c[8] + c[9] * q
        e = (p23 + q2 * p45) + q4 * (p67 + q2 * p89)
    return q * e


def piece10(c, t):
    """A table piece (8 or 10 coefficients, fastmath::piece8 / piece10):
    c0 + t (c1 + z(q)), q = t rounded to a multiple of 2^-49."""
    q = (t + Q_GRID) - Q_GRID
    return c[0] + t * (c[1] + inner_z(c, q))


piece8 = piece10


def check_inner_margin(pieces, name, samples=200):
    """The conditions of the monotonicity argument of fastmath::piece10:
    c1, c2 > 0 and |c3| + |c4| + ... <= c2/8 (which bounds the rounding
    error of z by 5.7 * 2^-53 z), and, on samples, z(t) <= 1.1 t z'(t) and
    a replayed z(q) that grows from one 2^-49 grid point to the next by
    more than its actual rounding error.  Returns the smallest margin found (growth over one
    grid step divided by twice the larger replay error of z at its ends)
    and the largest z/(t z')."""
    grid = 2.0 ** -49
    rng = random.Random(99)
    worst_margin, worst_ratio = float("inf"), 0.0
    for idx, c in enumerate(pieces):
        coef = [mp.mpf(x) for x in c]

        def z_exact(x):
            return sum(coef[k] * mp.mpf(x) ** (k - 1) for k in range(2, len(c)))

        if not (c[1] > 0 and c[2] > 0):
            raise SystemExit(f"{name}[{idx}]: c1, c2 must be positive")
        if sum(abs(x) for x in c[3:]) > c[2] / 8:
            raise SystemExit(f"{name}[{idx}]: |c3| + |c4| + ... exceeds c2/8")
        ts = [rng.random() for _ in range(samples)] + [1.0, 0.5, 2.0 ** -20]
        for t in ts:
            q = (t + Q_GRID) - Q_GRID
            if q == 0.0 or q + grid > 1.0:
                continue
            mq = mp.mpf(q)
            z = z_exact(q)
            dz = sum((k - 1) * coef[k] * mq ** (k - 2) for k in range(2, len(c)))
            worst_ratio = max(worst_ratio, float(z / (mq * dz)))
            err = max(abs(mp.mpf(inner_z(c, x)) - z_exact(x)) for x in (q, q + grid))
            err = max(err, mp.mpf(2) ** -1074)
            if inner_z(c, q + grid) < inner_z(c, q):
                raise SystemExit(f"{name}[{idx}]: z decreases at q = {q!r}")
            worst_margin = min(worst_margin, float(dz * grid / (2 * err)))
    if worst_ratio > 1.1:
        raise SystemExit(f"{name}: z/(t z') = {worst_ratio} exceeds 1.1")
    return worst_margin, worst_ratio


def next_down(x):
    b = struct.unpack("<q", struct.pack("<d", x))[0]
    if x > 0:
        b -= 1
    elif x < 0:
        b += 1
    else:
        return -5e-324
    return struct.unpack("<d", struct.pack("<q", b))[0]


def next_up(x):
    return -next_down(-x)


def f2b(x):
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def b2f(b):
    return struct.unpack("<d", struct.pack("<Q", b & 0xFFFFFFFFFFFFFFFF))[0]


# ---------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------

NEG_K = 32  # pieces per unit of z below zero
POS_K = 4  # pieces per unit of z above zero
TAB_OFF = 320  # index of the piece with left end s = n is n + TAB_OFF
TAB_N = 360  # -10 < z < 10
ASYM_U = mp.mpf(1) / 100  # u = 1/z^2 in (0, 1/100]
ASYM_DEG = 8


def piece_left(i):
    """Left end (in z) and width of table piece i."""
    n = i - TAB_OFF
    k = NEG_K if n < 0 else POS_K
    return mp.mpf(n) / k, mp.mpf(1) / k


def build_tab():
    pieces = []
    for i in range(TAB_N):
        lo, width = piece_left(i)
        pieces.append(fit_piece(lambda t, lo=lo, width=width: phi_exact(lo + t * width)))
    return pieces


def build_asym():
    coeffs = interp_monomial(d_exact, ASYM_DEG, 0, ASYM_U)
    return [float(c) for c in coeffs]


EXP_N = 64
EXP_R = mp.log(2) / (2 * EXP_N) * mp.mpf("1.02")
EXP_DEG = 3  # (e^r - 1 - r)/r^2 ~ degree 3  =>  e^r - 1 of degree 5


def build_exp():
    t_hi, t_lo = [], []
    for j in range(EXP_N):
        v = mp.power(2, mp.mpf(j) / EXP_N)
        hi = float(v)
        t_hi.append(hi)
        t_lo.append(float(v - mp.mpf(hi)))

    def g(r):
        return (mp.exp(r) - 1 - r) / (r * r)

    poly = [float(c) for c in interp_monomial(g, EXP_DEG, -EXP_R, EXP_R)]
    ln2_n = mp.log(2) / EXP_N
    # High part with at most 36 significant bits (multiple of 2^-42), so
    # that k * LN2_N_HI is exact for |k| < 2^17.
    hi = float(mp.nint(ln2_n * mp.mpf(2) ** 42) / mp.mpf(2) ** 42)
    lo = float(ln2_n - mp.mpf(hi))
    return t_hi, t_lo, poly, hi, lo, float(EXP_N / mp.log(2))


LN_N = 32
LN_R = mp.mpf(1) / 64
LN_DEG = 5  # (log1p(r) - r)/r^2 ~ degree 5  =>  log1p of degree 7


def build_ln():
    ln_c, inv_c = [], []
    for j in range(LN_N):
        c = 1 + (mp.mpf(j) + mp.mpf(1) / 2) / LN_N
        ln_c.append(float(mp.log(c)))
        inv_c.append(float(1 / c))

    def g(r):
        return (mp.log1p(r) - r) / (r * r)

    poly = [float(c) for c in interp_monomial(g, LN_DEG, -LN_R, LN_R)]
    return ln_c, inv_c, poly


SHIFTER = 6755399441055744.0  # 1.5 * 2^52
TAB = build_tab()
ASYM = build_asym()
EXP_T_HI, EXP_T_LO, EXP_P, LN2_N_HI, LN2_N_LO, N_OVER_LN2 = build_exp()
LN_C, INV_C, LN_P = build_ln()

LN2 = float(mp.log(2))
C1 = float(mp.log(mp.sqrt(2 * mp.pi)))  # ln sqrt(2 pi)
C2 = float(mp.log(mp.sqrt(2 * mp.pi) * LN10))  # ln(sqrt(2 pi) ln 10)
INV_LN10 = float(1 / LN10)
SPLITTER = 134217729.0  # 2^27 + 1
W_ZERO = 38.7
TAB_SHIFT = SHIFTER + TAB_OFF

# ---------------------------------------------------------------------------
# Binary64 replay of the Rust evaluation (must match the Rust code exactly)
# ---------------------------------------------------------------------------


def py_exp_dd(xh, xl):
    kf = (xh + xl) * N_OVER_LN2 + SHIFTER
    ki = f2b(kf) - f2b(SHIFTER)
    kd = kf - SHIFTER
    r = ((xh - kd * LN2_N_HI) + xl) - kd * LN2_N_LO
    return py_exp_tail(ki, r)


def py_exp_tail(ki, r):
    j = ki & (EXP_N - 1)
    e = ki >> 6
    em1 = r + (r * r) * poly4(EXP_P, r)
    th, tl = EXP_T_HI[j], EXP_T_LO[j]
    v = th + (th * em1 + tl)
    if e >= -1022:
        return v * b2f((e + 1023) << 52)
    return (v * b2f((e + 1023 + 200) << 52)) * b2f((1023 - 200) << 52)


def py_ln(x):
    b = f2b(x)
    e = b2f(0x4330000000000000 | (b >> 52)) - (4503599627370496.0 + 1023.0)
    j = (b >> 47) & (LN_N - 1)
    mbits = (b & 0x000FFFFFFFFFFFFF) | 0x3FF0000000000000
    m = b2f(mbits)
    c = b2f((mbits & ~((1 << 47) - 1)) | (1 << 46))
    assert c == 1.0 + (2 * j + 1) / 64.0
    r = (m - c) * INV_C[j]
    return (e * LN2 + LN_C[j]) + (r + (r * r) * poly6(LN_P, r))


def split_index_at(s, shift):
    """n = round(s - 1/2) (ties to even) and the index n + off, as in Rust."""
    r = (s - 0.5) + shift
    n = r - shift
    return f2b(r) & 0xFFFFFFFF, n


def py_split(w):
    c = w * SPLITTER
    wh = c - (c - w)
    return wh, w - wh


def py_phi(z):
    below, above = z * NEG_K, z * POS_K
    s = below if below < above else above
    if -TAB_OFF < s < TAB_N - TAB_OFF:
        i, n = split_index_at(s, TAB_SHIFT)
        return piece10(TAB[min(i, TAB_N - 1)], s - n)
    if z >= 10.0:
        if z > 2.0**500:
            s = z * 2.0**-200
            p = (0.5 * (s * s)) * INV_LN10 * 2.0**400
            return p if p <= sys.float_info.max else sys.float_info.max
        rr = 1.0 / z
        u = rr * rr
        b = (py_ln(z) + C1) - u * poly9(ASYM, u)
        return (0.5 * (z * z) + b) * INV_LN10
    if not (z >= -W_ZERO):
        return 0.0
    w = -z
    wh, wl = py_split(w)
    xh = -0.5 * (wh * wh)
    rr = 1.0 / w
    u = rr * rr
    xl = (u * poly9(ASYM, u) - C2) - (wh * wl + 0.5 * (wl * wl))
    return py_exp_dd(xh, xl) * rr


# ---------------------------------------------------------------------------
# Boundary monotonicity: nudge coefficients by ulps where needed
# ---------------------------------------------------------------------------


def tail_values(c, t_end, steps=64):
    """Largest replayed value of piece c at the `steps` floats up to t_end."""
    vals, t = [], t_end
    for _ in range(steps):
        vals.append(piece10(c, t))
        t = next_down(t)
    return max(vals)


def fix_right_edge(c, limit, t_end):
    """Lower coefficient 1 of c ulp by ulp until the piece stays <= limit
    near its right end (t -> t_end)."""
    nudges = 0
    while tail_values(c, t_end) > limit:
        c[1] = next_down(c[1])
        nudges += 1
        if nudges > 1000:
            raise SystemExit("edge fix did not converge")
    return nudges


def fix_edges():
    total = 0
    # Piece i, evaluated up to t = 1 (which happens when the index rounds
    # down at an integer s), must not exceed where piece i + 1 starts.
    for i in range(TAB_N - 1):
        total += fix_right_edge(TAB[i], TAB[i + 1][0], 1.0)
    # The last piece against the asymptotic branch at z = 10.
    total += fix_right_edge(TAB[-1], py_phi(10.0), next_down(1.0))
    # z = -10 belongs to the asymptotic branch; phi grows by tens of ulps
    # per step of z there, so only a check.
    if py_phi(-10.0) > py_phi(next_up(-10.0)):
        raise SystemExit("z = -10: asymptotic branch above the table")
    return total


def check_boundaries():
    """Walk 200 floats on both sides of every piece boundary."""
    bad = []
    points = [piece_left(i)[0] for i in range(TAB_N)] + [mp.mpf(10)]
    for p in points:
        z = float(p)
        for _ in range(200):
            z = next_down(z)
        prev = py_phi(z)
        for _ in range(400):
            z = next_up(z)
            cur = py_phi(z)
            if cur < prev:
                bad.append((z, prev, cur))
            prev = cur
    return bad


# ---------------------------------------------------------------------------
# Accuracy self-check (replayed binary64 vs mpmath)
# ---------------------------------------------------------------------------


def self_check():
    rng = random.Random(12345)
    pts = [k / 64.0 for k in range(-40 * 64, 40 * 64 + 1, 7)]
    pts += [rng.uniform(-38, 38) for _ in range(1500)]
    pts += [10.0 ** rng.uniform(1, 16) for _ in range(300)]
    pts += [10.0, -10.0, 3.0, -3.0, 1e16, 1e100, 1e150]
    worst, where = 0.0, None
    for z in pts:
        ref = phi_exact(z)
        if ref < mp.mpf(2) ** -1022:
            continue
        got = py_phi(z)
        err = abs((mp.mpf(got) - ref) / ref)
        if err > worst:
            worst, where = float(err), z
    return worst, where


# ---------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------


def main():
    nudges = fix_edges()
    bad = check_boundaries()
    worst, where = self_check()
    margin, ratio = check_inner_margin(TAB, "TAB")
    print(f"TAB: inner margin >= {margin:.2f}, z/(t z') <= {ratio:.3f}",
          file=sys.stderr)
    print(f"edge nudges: {nudges}; boundary violations: {len(bad)} {bad[:3]}",
          file=sys.stderr)
    print(f"replayed worst relative error {worst:.3e} at z = {where!r}",
          file=sys.stderr)
    if bad:
        raise SystemExit("boundary monotonicity check failed")

    out = generated_header("tools/gen_normal_tail.py", "src/model/normal_tail.rs")
    print_table(
        out,
        "TAB",
        "phi(z) on s in [n, n + 1], n = i - 320, with s = 32 z for z < 0 and "
        "s = 4 z for z >= 0;\n/// variable t = s - n.",
        TAB,
    )
    print_array(out, "ASYM",
                "d(u) = c(u)/u, c(u) = ln(z M(z)), u = 1/z^2 in (0, 1/100].", ASYM)
    out.append("/// ln(sqrt(2 pi)).")
    out.append(f"const C1: f64 = {fmt(C1)};")
    out.append("/// ln(sqrt(2 pi) ln(10)).")
    out.append(f"const C2: f64 = {fmt(C2)};")
    text = "\n".join(out) + "\n"

    # The shared exponential and logarithm of src/model/fastmath.rs.
    fm = generated_header("tools/gen_normal_tail.py", "src/model/fastmath.rs")
    print_array(fm, "EXP_T_HI", "2^(j/64) rounded to binary64.", EXP_T_HI, "static")
    print_array(fm, "EXP_T_LO", "2^(j/64) - `EXP_T_HI[j]`.", EXP_T_LO, "static")
    print_array(fm, "EXP_P", "(e^r - 1 - r)/r^2 on |r| <= 1.02 ln2/128.", EXP_P)
    print_array(fm, "LN_C", "ln(1 + (j + 1/2)/32).", LN_C, "static")
    print_array(fm, "INV_C", "1/(1 + (j + 1/2)/32) rounded to binary64.", INV_C,
                "static")
    print_array(fm, "LN_P", "(log1p(r) - r)/r^2 on |r| <= 1/64.", LN_P)
    fm.append("/// ln(2)/64 rounded to a multiple of 2^-42 (36 significant bits).")
    fm.append(f"const LN2_N_HI: f64 = {fmt(LN2_N_HI)};")
    fm.append("/// ln(2)/64 - LN2_N_HI.")
    fm.append(f"const LN2_N_LO: f64 = {fmt(LN2_N_LO)};")
    fm.append("/// 64/ln(2).")
    fm.append(f"const N_OVER_LN2: f64 = {fmt(N_OVER_LN2)};")
    fm_text = "\n".join(fm) + "\n"

    emit("tools/gen_normal_tail.py", [
        ("src/model/generated/normal_tail.rs", text),
        ("src/model/generated/exp_ln.rs", fm_text),
    ])


if __name__ == "__main__":
    main()
