#!/usr/bin/env python3
"""Generate the coefficient tables of src/model/normal_tail.rs.

Usage (from the crate root):
    python3 tools/gen_normal_tail.py            # print the Rust tables
    python3 tools/gen_normal_tail.py --write    # splice them into
                                                # src/model/normal_tail.rs
The printed block replaces everything between the "// BEGIN GENERATED"
and "// END GENERATED" lines of src/model/normal_tail.rs.

Requires only mpmath (tested with mpmath 1.3).  Everything is computed
from first principles at 60 significant digits; no coefficient is taken
from another library.

What is generated:

* POS   phi(z) = -log10 Q(z) on z in [0, 10): 40 pieces of width 1/4,
        degree 8 in t = 4 z - i, t in [0, 1].
* NEG   phi(z) on z in (-3, 0): 24 pieces of width 1/8, degree 8 in
        t = (j + 1) - 8 w, w = -z, t in (0, 1].
* NEGX  phi(-w) = 2^(y(w)/64) on w in [3, 10): 28 pieces of width 1/4.
        Piece m stores the integer Y_m = round(y(w_m)) at its left end
        w_m (as SHIFTER + Y_m) and a degree-8 polynomial for
        h(t) = y(w_m + t/4) - Y_m, t = 4 w - (12 + m) in [0, 1].
* ASYM  d(u) = c(u)/u (degree 8) with c(u) = ln(z M(z)), u = 1/z^2,
        u in (0, 1/100],
        where M(z) = Q(z)/pdf(z) is Mills' ratio.  Used for |z| >= 10.
* EXP   2^(j/64) split into hi + lo, and the polynomial of
        (e^r - 1 - r)/r^2 on |r| <= ln2/128 (plus margin).
* LN    ln(c_j), 1/c_j for c_j = 1 + (j + 1/2)/32, and the polynomial
        of (log1p(r) - r)/r^2 on |r| <= 1/64.

Polynomials are evaluated with Estrin's scheme, the degree-8 pieces with
two Horner steps on top (the operation order is fixed and replayed exactly
below).  Every piece is a Chebyshev interpolant (first-kind nodes) computed
in high precision, converted to the monomial basis in t and rounded to
binary64; the constant term of every table piece is then replaced by the
correctly rounded function value at the piece's left end.  After rounding,
the script replays the Rust evaluation in IEEE binary64 (Python floats are
binary64, math.* is not used, and the Rust code uses no fused multiply-add)
and nudges coefficients by single ulps where needed so that the piecewise
function never decreases across a piece boundary.  It then checks the
replayed phi against mpmath on a few thousand points and prints the worst
relative error to stderr.
"""

import os
import random
import struct
import sys

import mpmath as mp

mp.mp.dps = 60

SQRT2 = mp.sqrt(2)
LN10 = mp.log(10)
DEG = 8

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


def y_exact(w):
    """y(w) = 64 log2(phi(-w)): phi(-w) in units of 2^(1/64)."""
    w = mp.mpf(w)
    return 64 * mp.log(phi_exact(-w)) / mp.log(2)


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


def fit_piece(f_of_t):
    """Degree-DEG polynomial p(t) on t in [0, 1] with p(0) = fl(f(0)).

    The Chebyshev interpolant of f is computed in high precision; its
    constant term (which already equals f(0) up to the interpolation
    error) is then replaced by the correctly rounded f(0), so that the
    piece starts exactly at the correctly rounded function value."""
    coeffs = interp_monomial(f_of_t, DEG, 0, 1)
    return [float(f_of_t(mp.mpf(0)))] + [float(c) for c in coeffs[1:]]


# The three evaluation schemes below (Estrin, and for poly9 two Horner
# steps on top of an Estrin core) must match poly4/poly6/poly9 in the Rust
# code operation for operation.


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
    t2 = t * t
    t4 = t2 * t2
    p23 = c[2] + c[3] * t
    p45 = c[4] + c[5] * t
    p67 = c[6] + c[7] * t
    e = (p23 + t2 * p45) + t4 * (p67 + t2 * c[8])
    return c[0] + t * (c[1] + t * e)


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

POS_K, POS_N = 4, 40  # z in [0, 10)
NEG_K, NEG_N = 8, 24  # z in (-3, 0)
NEGF_K, NEGF_N, NEGF_W0 = 4, 28, 3  # w in [3, 10)
ASYM_U = mp.mpf(1) / 100  # u = 1/z^2 in (0, 1/100]
ASYM_DEG = 8

log = []


def build_pos():
    pieces = []
    for i in range(POS_N):
        lo = mp.mpf(i) / POS_K
        pieces.append(fit_piece(lambda t, lo=lo: phi_exact(lo + t / POS_K)))
    return pieces


def build_neg():
    pieces = []
    for j in range(NEG_N):
        left = -mp.mpf(j + 1) / NEG_K  # expansion point (left end in z)
        pieces.append(fit_piece(lambda t, left=left: phi_exact(left + t / NEG_K)))
    return pieces


def build_negx():
    """Pieces [c0..c8, SHIFTER + Y_m] for y(w) = 64 log2 phi(-w)."""
    pieces = []
    for m in range(NEGF_N):
        lo = mp.mpf(NEGF_W0) + mp.mpf(m) / NEGF_K
        big_y = int(mp.nint(y_exact(lo)))
        c = fit_piece(lambda t, lo=lo, big_y=big_y: y_exact(lo + t / NEGF_K) - big_y)
        pieces.append(c + [SHIFTER + big_y])
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
POS = build_pos()
NEG = build_neg()
NEGX = build_negx()
ASYM = build_asym()
EXP_T_HI, EXP_T_LO, EXP_P, LN2_N_HI, LN2_N_LO, N_OVER_LN2 = build_exp()
LN_C, INV_C, LN_P = build_ln()

LN2 = float(mp.log(2))
C1 = float(mp.log(mp.sqrt(2 * mp.pi)))  # ln sqrt(2 pi)
C2 = float(mp.log(mp.sqrt(2 * mp.pi) * LN10))  # ln(sqrt(2 pi) ln 10)
INV_LN10 = float(1 / LN10)
LN2_64 = float(mp.log(2) / 64)
SPLITTER = 134217729.0  # 2^27 + 1
W_ZERO = 38.7

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


def split_index(s):
    """n = round(s - 1/2) (ties to even) and t = s - n, as in Rust."""
    r = (s - 0.5) + SHIFTER
    n = r - SHIFTER
    return f2b(r) & 0xFFFFFFFF, n


def py_split(w):
    c = w * SPLITTER
    wh = c - (c - w)
    return wh, w - wh


def py_phi(z):
    if z >= 0.0:
        if z < 10.0:
            i, n = split_index(z * POS_K)
            return poly9(POS[i], z * POS_K - n)
        if z > 2.0**500:
            s = z * 2.0**-200
            p = (0.5 * (s * s)) * INV_LN10 * 2.0**400
            return p if p <= sys.float_info.max else sys.float_info.max
        rr = 1.0 / z
        u = rr * rr
        b = (py_ln(z) + C1) - u * poly9(ASYM, u)
        return (0.5 * (z * z) + b) * INV_LN10
    if z > -float(NEGF_W0):
        s = -z * NEG_K
        j, n = split_index(s)
        return poly9(NEG[j], (n + 1.0) - s)
    if not (z >= -W_ZERO):
        return 0.0
    w = -z
    if w < 10.0:
        s = w * NEGF_K
        m, n = split_index(s)
        piece = NEGX[m - NEGF_K * NEGF_W0]
        h = poly9(piece, s - n)
        rh = h + piece[9]
        k = f2b(rh) - f2b(SHIFTER)
        f = h - (rh - piece[9])
        return py_exp_tail(k, f * LN2_64)
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
    """Replayed values of piece c at the `steps` floats up to t_end."""
    vals, t = [], t_end
    for _ in range(steps):
        vals.append(poly9(c, t))
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
    # NEG pieces: piece j evaluated up to t = 1 (z = -j/8 exactly) must not
    # exceed the value where the next piece (to the right) starts.
    for j in range(NEG_N):
        limit = NEG[j - 1][0] if j > 0 else POS[0][0]
        total += fix_right_edge(NEG[j], limit, 1.0)
    # POS pieces: t <= 1 (t = 1 happens when the index rounds down).
    for i in range(POS_N - 1):
        total += fix_right_edge(POS[i], POS[i + 1][0], 1.0)
    total += fix_right_edge(POS[-1], py_phi(10.0), next_down(1.0))
    # z = -3 uses the exp branch; it must not exceed the NEG values just
    # above -3 (NEG[-1] near t = 0).
    guard = 0
    w0 = -float(NEGF_W0)
    while py_phi(w0) > min(py_phi(next_up(w0)), NEG[-1][0]):
        NEGX[0][0] = next_down(NEGX[0][0])
        guard += 1
        total += 1
        if guard > 100:
            raise SystemExit("z = -3 fix did not converge")
    # w = 10: asymptotic branch must not exceed the NEGX branch just below.
    guard = 0
    while py_phi(-10.0) > py_phi(next_up(-10.0)):
        NEGX[-1][1] = next_up(NEGX[-1][1])  # raise y (and phi) near t = 1
        guard += 1
        total += 1
        if guard > 1000:
            raise SystemExit("z = -10 fix did not converge")
    return total


def check_boundaries():
    """Walk 200 floats on both sides of every piece boundary."""
    bad = []
    points = [mp.mpf(i) / POS_K for i in range(1, POS_N + 1)]
    points += [-mp.mpf(j) / NEG_K for j in range(0, NEG_N + 1)]
    points += [-(NEGF_W0 + mp.mpf(m) / NEGF_K) for m in range(NEGF_N + 1)]
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


def fmt(x):
    s = repr(float(x))
    if "e" not in s and "." not in s and "inf" not in s and "nan" not in s:
        s += ".0"
    return s


def print_table(out, name, doc, pieces):
    out.append(f"/// {doc}")
    out.append("#[allow(clippy::approx_constant)] // entries may equal named constants")
    out.append(f"static {name}: [Poly; {len(pieces)}] = [")
    for p in pieces:
        out.append("    [")
        for c in p:
            out.append(f"        {fmt(c)},")
        out.append("    ],")
    out.append("];")
    out.append("")


def print_array(out, name, doc, vals, kind="const"):
    out.append(f"/// {doc}")
    out.append("#[allow(clippy::approx_constant)] // entries may equal named constants")
    out.append(f"{kind} {name}: [f64; {len(vals)}] = [")
    for v in vals:
        out.append(f"    {fmt(v)},")
    out.append("];")
    out.append("")


def main():
    nudges = fix_edges()
    bad = check_boundaries()
    worst, where = self_check()
    print(f"edge nudges: {nudges}; boundary violations: {len(bad)} {bad[:3]}",
          file=sys.stderr)
    print(f"replayed worst relative error {worst:.3e} at z = {where!r}",
          file=sys.stderr)
    if bad:
        raise SystemExit("boundary monotonicity check failed")

    out = ["// BEGIN GENERATED by tools/gen_normal_tail.py -- do not edit by hand.", ""]
    print_table(out, "POS", "phi(z) on [i/4, (i+1)/4), variable t = 4 z - i.", POS)
    print_table(
        out,
        "NEG",
        "phi(z) on [-(j+1)/8, -j/8], variable t = (j + 1) - 8 w with w = -z.",
        NEG,
    )
    out.append("/// 64 log2(phi(-w)) - Y_m on [3 + m/4, 3 + (m+1)/4), t = 4 w - (12 + m);")
    out.append("/// `shift` is SHIFTER + Y_m.")
    out.append(f"static NEGX: [ExpPiece; {len(NEGX)}] = [")
    for p in NEGX:
        out.append("    ExpPiece {")
        out.append("        c: [")
        for c in p[:9]:
            out.append(f"            {fmt(c)},")
        out.append("        ],")
        out.append(f"        shift: {fmt(p[9])},")
        out.append("    },")
    out.append("];")
    out.append("")
    print_array(out, "ASYM",
                "d(u) = c(u)/u, c(u) = ln(z M(z)), u = 1/z^2 in (0, 1/100].", ASYM)
    print_array(out, "EXP_T_HI", "2^(j/64) rounded to binary64.", EXP_T_HI, "static")
    print_array(out, "EXP_T_LO", "2^(j/64) - EXP_T_HI[j].", EXP_T_LO, "static")
    print_array(out, "EXP_P", "(e^r - 1 - r)/r^2 on |r| <= 1.02 ln2/128.", EXP_P)
    print_array(out, "LN_C", "ln(1 + (j + 1/2)/32).", LN_C, "static")
    print_array(out, "INV_C", "1/(1 + (j + 1/2)/32) rounded to binary64.", INV_C,
                "static")
    print_array(out, "LN_P", "(log1p(r) - r)/r^2 on |r| <= 1/64.", LN_P)
    out.append("/// ln(2)/64 rounded to a multiple of 2^-42 (36 significant bits).")
    out.append(f"const LN2_N_HI: f64 = {fmt(LN2_N_HI)};")
    out.append("/// ln(2)/64 - LN2_N_HI.")
    out.append(f"const LN2_N_LO: f64 = {fmt(LN2_N_LO)};")
    out.append("/// ln(2)/64 rounded to binary64.")
    out.append(f"const LN2_64: f64 = {fmt(LN2_64)};")
    out.append("/// 64/ln(2).")
    out.append(f"const N_OVER_LN2: f64 = {fmt(N_OVER_LN2)};")
    out.append("/// ln(sqrt(2 pi)).")
    out.append(f"const C1: f64 = {fmt(C1)};")
    out.append("/// ln(sqrt(2 pi) ln(10)).")
    out.append(f"const C2: f64 = {fmt(C2)};")
    out.append("")
    out.append("// END GENERATED")
    text = "\n".join(out) + "\n"

    if "--write" in sys.argv[1:]:
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                            "src", "model", "normal_tail.rs")
        src = open(path).read()
        begin = src.index("// BEGIN GENERATED")
        end = src.index("// END GENERATED") + len("// END GENERATED\n")
        with open(path, "w") as fh:
            fh.write(src[:begin] + text + src[end:])
        print(f"updated {os.path.normpath(path)}", file=sys.stderr)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
