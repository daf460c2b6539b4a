#!/usr/bin/env python3
"""Reference values for internal/dist's Gamma functions, computed with mpmath
at 50 significant digits and rounded once to float64.

Run from the repository root:
    /usr/bin/python3 internal/dist/testdata/gen_gamma_ref.py > internal/dist/testdata/gamma_ref.json

Tables:
  p:    (a, x) -> P(a, x), Q(a, x), dP/da(a, x)   [regularized incomplete gamma]
  inv:  (a, u) -> log z, z, d(log z)/da, dz/da  with P(a, z) = u (the inverse
        CDF of Gamma(a, 1) at u; dz/da = -(dP/da)(a, z) / p(z; a))
  inv_ext: as inv, for shapes outside [1e-3, 1e3] (1e-8 ... 1e4), to
        document how far the accuracy holds
  psi:  x -> digamma(x), trigamma(x)
Every input is a float64 and is used exactly (mpf(float) is exact), so the Go
test feeds the same numbers.
"""
import json
import sys

import mpmath as mp

mp.mp.dps = 50

A = [1e-3, 2e-3, 5e-3, 0.01, 0.03, 0.1, 0.25, 0.5, 0.9, 1.0, 1.3, 2.0, 3.7,
     5.0, 9.5, 10.0, 17.0, 50.0, 100.0, 314.0, 1000.0]
U = [2.0**-53, 1e-12, 1e-6, 1e-3, 0.02, 0.1, 0.3, 0.5, 0.5 + 2.0**-20, 0.7,
     0.9, 0.99, 0.999, 0.99999, 1 - 1e-9, 1 - 2.0**-53]


def P(a, x):
    return mp.gammainc(a, 0, x, regularized=True)


def Q(a, x):
    """1 - P at 40 extra digits where that keeps at least 60 of them
    (mpmath's upper gamma is very slow for tiny a and x), else mpmath's
    upper incomplete gamma."""
    with mp.workdps(mp.mp.dps + 40):
        q = 1 - P(a, x)
    if q > mp.mpf(10)**-30:
        return +q
    return mp.gammainc(a, x, mp.inf, regularized=True)


def diff_step(a, x):
    """A central-difference step for d/da at (a, x): P(s, x) varies on the
    scale min(a, 1/|log x|) in s (P ~ x^s/Gamma(1+s) for small x), so the
    step is 1e-15 of that; at 50 digits the difference keeps ~35 digits."""
    sc = min(mp.mpf(a), 1 / max(1, abs(mp.log(x))))
    return sc * mp.mpf(10)**-15


def dPda(a, x):
    """d/da of the regularized lower incomplete gamma by mpmath's numerical
    differentiation at 50 digits, of P where P <= 1/2 and of -Q elsewhere
    (dP/da = -dQ/da, and differencing a P close to 1 would cancel)."""
    h = diff_step(a, x)
    if P(a, x) <= 0.5:
        return mp.diff(lambda s: P(s, x), a, h=h)
    return -mp.diff(lambda s: Q(s, x), a, h=h)


def dPda_check(a, x):
    """A second route to dP/da, used only as a check. Where Q >= 1e-10, the
    differentiated series (agreement demanded to 1e-14 relative). Where
    Q < 1e-10 the series would cancel; there, mpmath's differentiation of -Q
    again at 90 digits (to 1e-14: catches a loss of precision) and a
    quadrature of dQ/da = (1/Gamma(a)) int_x^inf t^(a-1) log(t) e^-t dt -
    digamma(a) Q (to 1e-6 only, a gross check: mpmath's quad is not better
    than about 1e-8 to 1e-11 on these tails)."""
    if Q(a, x) >= 1e-10:
        return dPda_series(a, x), mp.mpf(10)**-14
    a, x = mp.mpf(a), mp.mpf(x)
    f = lambda t: mp.exp((a - 1) * mp.log(t) - t - mp.loggamma(a)) * mp.log(t)
    pts = [x + 2 * k for k in range(0, 150)] + [mp.inf]
    quad = -(mp.quad(f, pts) - mp.digamma(a) * Q(a, x))
    with mp.workdps(90):
        hi = -mp.diff(lambda s: Q(s, x), a, h=diff_step(a, x))
    ref = dPda(a, x)
    assert abs(hi - ref) <= mp.mpf(10)**-14 * abs(hi), (a, x, hi, ref)
    return quad, mp.mpf(10)**-6


def dPda_series(a, x):
    """dP/da by the differentiated series P = x^a e^-x / Gamma(a+1) *
    sum_n x^n / ((a+1)...(a+n)); a second route used only as a check."""
    a, x = mp.mpf(a), mp.mpf(x)
    s = t = mp.mpf(1)
    sh = mp.mpf(0)
    h = mp.mpf(0)
    n = 0
    while True:
        n += 1
        t *= x / (a + n)
        h += 1 / (a + n)
        s += t
        sh += t * h
        if t * max(1, h) < s * mp.mpf(10)**-55 and n > x:
            break
    pre = mp.exp(a * mp.log(x) - x - mp.loggamma(a + 1))
    return pre * (s * (mp.log(x) - mp.digamma(a + 1)) - sh)


def inv(a, u):
    """log z with P(a, z) = u, solved in log space on a bracket."""
    a = mp.mpf(a)
    u = mp.mpf(u)
    q = 1 - u
    # P(a, x) <= x^a / Gamma(a+1), so the root is >= ylo.
    ylo = (mp.log(u) + mp.loggamma(a + 1)) / a - 1
    yhi = mp.log(2 * a + 200)
    if u <= 0.5:
        f = lambda y: mp.log(P(a, mp.exp(y))) - mp.log(u)
    else:
        f = lambda y: mp.log(q) - mp.log(Q(a, mp.exp(y)))
    assert f(ylo) < 0 < f(yhi), (a, u)
    # Bisection to a short bracket, then Newton with the analytic slope
    # d log P / dy = z p(z) / P (resp. -d log Q / dy = z p(z) / Q).
    for _ in range(60):
        m = (ylo + yhi) / 2
        if f(m) < 0:
            ylo = m
        else:
            yhi = m
    y = (ylo + yhi) / 2
    for _ in range(30):
        z = mp.exp(y)
        zp = mp.exp(a * y - z - mp.loggamma(a))
        slope = zp / (P(a, z) if u <= 0.5 else Q(a, z))
        step = f(y) / slope
        y -= step
        if abs(step) < mp.mpf(10)**-40 * max(1, abs(y)):
            break
    else:
        raise RuntimeError((a, u))
    assert abs(f(y)) < mp.mpf(10)**-38, (a, u, f(y))
    return y

def g(v):
    v = float(v)
    return v


out = {"about": __doc__, "p": [], "inv": [], "psi": []}

xs_abs = [1e-300, 1e-30, 1e-8, 1e-3, 0.1, 0.5, 1.0, 1.5, 2.0, 5.0, 10.0, 30.0,
          100.0, 700.0, 1100.0]
for a in A:
    xs = set(xs_abs)
    for r in [0.5, 0.9, 0.99, 1.0, 1.01, 1.1, 2.0]:
        xs.add(float(mp.mpf(a) * r))
    xs.add(a + 1.0)
    xs.add(float(mp.mpf(a) + 1 - mp.mpf(2)**-40))
    for x in sorted(xs):
        pv, qv = P(a, x), Q(a, x)
        if qv < mp.mpf(10)**-300 or pv < mp.mpf(10)**-300:
            continue  # below float64's normal range: not a useful check
        d1 = dPda(a, x)
        if x < 2 * a + 50:  # the series route is slow far out
            d2, tol = dPda_check(a, x)
            assert abs(d1 - d2) <= tol * abs(d2), (a, x, d1, d2)
        out["p"].append({"a": a, "x": x, "p": g(pv), "q": g(qv),
                         "dpda": g(d1)})

for a in A:
    for u in U:
        y = inv(a, u)
        z = mp.exp(y)
        dp = dPda(a, z)
        d2, tol = dPda_check(a, z)
        assert abs(dp - d2) <= tol * abs(d2), (a, u, dp, d2)
        am = mp.mpf(a)  # not a - 1 in float64: that rounding is ~1e-16·|y|
        pdf = mp.exp((am - 1) * y - z - mp.loggamma(am))
        dz = -dp / pdf
        out["inv"].append({"a": a, "u": u, "logz": g(y), "z": g(z),
                           "dlogzda": g(dz / z), "dzda": g(dz)})

out["inv_ext"] = []
for a in [1e-8, 1e-6, 1e-5, 1e-4, 3000.0, 1e4]:
    for u in [2.0**-53, 1e-6, 0.1, 0.5, 0.9, 0.999999, 1 - 2.0**-53]:
        print("inv_ext", a, u, file=sys.stderr, flush=True)
        y = inv(a, u)
        z = mp.exp(y)
        dp = dPda(a, z)
        d2, tol = dPda_check(a, z)
        assert abs(dp - d2) <= tol * abs(d2), (a, u, dp, d2)
        am = mp.mpf(a)  # not a - 1 in float64: that rounding is ~1e-16·|y|
        pdf = mp.exp((am - 1) * y - z - mp.loggamma(am))
        dz = -dp / pdf
        out["inv_ext"].append({"a": a, "u": u, "logz": g(y), "z": g(z),
                               "dlogzda": g(dz / z), "dzda": g(dz)})

for x in [1e-8, 1e-3, 0.1, 0.5, 1.0, 1.4616321449683622, 1.5, 2.0, 3.3, 7.0,
          9.99, 10.0, 55.5, 1000.0, 1e6]:
    out["psi"].append({"x": x, "digamma": g(mp.psi(0, x)),
                       "trigamma": g(mp.psi(1, x))})

print(json.dumps(out, indent=0))
