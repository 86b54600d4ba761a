"""Vectorised error functions ``erf`` and ``erfc`` for NumPy / CuPy arrays.

Maths (``a = |x|``; every ``R_i`` is a rational function P/Q, Horner-evaluated):

* ``a < 0.84375``:  ``erf(x) = x + x*R1(x**2)`` (odd Taylor series of erf around 0);
  ``erfc(x) = 1 - erf(x)``, or ``0.5 - (x*R1 + (x - 0.5))`` for ``x >= 1/4`` to keep
  the result accurate where it drops towards 0.16.
* ``0.84375 <= a < 1.25``:  ``erf(a) = c + R2(a - 1)`` (expansion about 1), with
  ``c = erf(1)`` rounded to float32, so ``erfc(a) = (1 - c) - R2(a - 1)``.
* ``a >= 1.25``:  ``erfc(a) = exp(-a**2 - 0.5625 + R3(1/a**2)) / a`` (asymptotic form
  ``erfc(a) ~ exp(-a**2)/(a sqrt(pi)) (1 + poly(1/a**2))``; R3 is fitted on
  [1.25, 1/0.35), R4 above) and ``erf(a) = 1 - erfc(a)``.
* symmetry: ``erf(-x) = -erf(x)``, ``erfc(-x) = 2 - erfc(x)``.

``exp(-a**2)`` is formed as ``exp(-z*z - 0.5625) * exp((z - a)*(z + a) + R)`` with ``z``
equal to ``a`` truncated to a few fraction bits, so ``z*z`` is exact and the rounding
error of ``a*a`` (amplified ~a**2 times by exp) never appears.

Coefficients: Sun Microsystems fdlibm ``s_erf.c`` (1993), as shipped in FreeBSD msun
and musl libc ``src/math/erf.c``; stated fit errors are below 2**-57.
float64 and float32 are computed in their own dtype, float16 via float32, and any
other (integer, bool) input is promoted to float64. All regions are evaluated on
clamped inputs and merged with ``where``, so there are no data-dependent branches.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

ERX = 8.45062911510467529297e-01  # erf(1) rounded to float32
# |x| < 0.84375: (erf(x) - x) / x ~ PP(x^2) / QQ(x^2)
_PP = (
    1.28379167095512558561e-01,
    -3.25042107247001499370e-01,
    -2.84817495755985104766e-02,
    -5.77027029648944159157e-03,
    -2.37630166566501626084e-05,
)
_QQ = (
    1.0,
    3.97917223959155352819e-01,
    6.50222499887672944485e-02,
    5.08130628187576562776e-03,
    1.32494738004321644526e-04,
    -3.96022827877536812320e-06,
)
# 0.84375 <= |x| < 1.25: erf(1 + s) - ERX ~ PA(s) / QA(s)
_PA = (
    -2.36211856075265944077e-03,
    4.14856118683748331666e-01,
    -3.72207876035701323847e-01,
    3.18346619901161753674e-01,
    -1.10894694282396677476e-01,
    3.54783043256182359371e-02,
    -2.16637559486879084300e-03,
)
_QA = (
    1.0,
    1.06420880400844228286e-01,
    5.40397917702171048937e-01,
    7.18286544141962662868e-02,
    1.26171219808761642112e-01,
    1.36370839120290507362e-02,
    1.19844998467991074170e-02,
)
# 1.25 <= |x| < 1/0.35: log(x erfc(x)) + x^2 + 0.5625 ~ RA(1/x^2) / SA(1/x^2)
_RA = (
    -9.86494403484714822705e-03,
    -6.93858572707181764372e-01,
    -1.05586262253232909814e01,
    -6.23753324503260060396e01,
    -1.62396669462573470355e02,
    -1.84605092906711035994e02,
    -8.12874355063065934246e01,
    -9.81432934416914548592e00,
)
_SA = (
    1.0,
    1.96512716674392571292e01,
    1.37657754143519042600e02,
    4.34565877475229228821e02,
    6.45387271733267880336e02,
    4.29008140027567833386e02,
    1.08635005541779435134e02,
    6.57024977031928170135e00,
    -6.04244152148580987438e-02,
)
# |x| >= 1/0.35: same quantity ~ RB(1/x^2) / SB(1/x^2)
_RB = (
    -9.86494292470009928597e-03,
    -7.99283237680523006574e-01,
    -1.77579549177547519889e01,
    -1.60636384855821916062e02,
    -6.37566443368389627722e02,
    -1.02509513161107724954e03,
    -4.83519191608651397019e02,
)
_SB = (
    1.0,
    3.03380607434824582924e01,
    3.25792512996573918826e02,
    1.53672958608443695994e03,
    3.19985821950859553908e03,
    2.55305040643316442583e03,
    4.74528541206955367215e02,
    -2.24409524465858183362e01,
)


def _ratio(t: Any, num: Sequence[float], den: Sequence[float]) -> Any:
    """num(t) / den(t) for ascending coefficients, Horner scheme. Works in place: on
    1e6-element arrays a fresh temporary costs more than the arithmetic."""
    out = []
    for coeffs in (num, den):
        acc = t * coeffs[-1]
        for c in coeffs[-2:0:-1]:
            acc += c
            acc *= t
        acc += coeffs[0]
        out.append(acc)
    out[0] /= out[1]
    return out[0]


def _erf_impl(x: Any, xp: Any, complement: bool) -> Any:
    """erf(x) or erfc(x): each region is evaluated on a clamped |x| (finite, unless x is
    nan, which then propagates), then merged by masks; no data-dependent branches and no
    xp.where, which in NumPy is ~10x slower than arithmetic on unpredictable masks."""
    x = xp.asarray(x)
    shape = x.shape  # work on 1-d: ufunc out= needs arrays, and 0-d results are scalars
    out_dtype = x.dtype if x.dtype.kind == "f" else xp.float64
    work = xp.float32 if x.dtype == xp.float16 else out_dtype
    x = x.astype(work, copy=False).reshape(-1)
    a = xp.minimum(xp.abs(x), 28.0)  # erfc(28) underflows even in float64
    small, tail = a < 0.84375, a >= 1.25

    # |x| < 0.84375: erf = a + a*y; the *8 / 0.125 keeps it accurate for subnormal a
    a1 = xp.minimum(a, 0.84375)
    y = _ratio(a1 * a1, _PP, _QQ)
    if complement:
        y *= a1
        y += a1 - 0.5
        r1 = 0.5 - y
    else:
        a1 *= 8.0
        y *= a1
        y += a1
        r1 = y * 0.125

    # 0.84375 <= |x| < 1.25: erf = ERX + P/Q
    r2 = _ratio(a - 1.0, _PA, _QA)
    r2 = (1.0 - ERX) - r2 if complement else r2 + ERX

    # |x| >= 1.25: erfc = exp(-zh^2 - 0.5625) * exp((zh - t)(zh + t) + R/S) / t
    t = xp.maximum(a, 1.25)
    s = 1.0 / (t * t)
    near = t < 1 / 0.35
    rs = _ratio(s, _RA, _SA)
    rs *= near
    rb = _ratio(s, _RB, _SB)
    rb *= ~near
    rs += rb  # exact select: one of the two terms is zero
    scale = 2.0**20 if work == xp.float64 else 2.0**7  # zh*zh and -zh*zh-0.5625 exact
    zh = xp.floor(t * scale)
    zh /= scale
    r3 = zh * zh
    r3 += 0.5625
    xp.exp(-r3, out=r3)
    d = zh - t
    zh += t
    d *= zh
    d += rs
    r3 *= xp.exp(d, out=d)
    r3 /= t  # erfc(|x|)
    if not complement:
        r3 = 1.0 - r3

    r1 *= small  # exactly one of the three terms is non-zero
    r1 += r2 * ~(small | tail)
    r3 *= tail
    r1 += r3
    if complement:  # erfc(-x) = 2 - erfc(x)
        neg = x < 0
        r1 = r1 * ~neg + (2.0 - r1) * neg
    else:  # erf(-x) = -erf(x); also gives erf(-0.) = -0.
        xp.copysign(r1, x, out=r1)
    return r1.astype(out_dtype, copy=False).reshape(shape)


def erf(x: Any, xp: Any) -> Any:
    """Error function 2/sqrt(pi) * int_0^x exp(-t^2) dt, elementwise; keeps float dtypes."""
    return _erf_impl(x, xp, complement=False)


def erfc(x: Any, xp: Any) -> Any:
    """Complementary error function 1 - erf(x), accurate also where erf(x) ~ 1."""
    return _erf_impl(x, xp, complement=True)


# ------------------------------------------------------------------ gamma-family functions
#
# lgamma, digamma and polygamma, and the inverse error functions, for NumPy / CuPy arrays.
# float64 is computed in float64; float32 and float16 are computed in float64 and rounded once
# (so they are correctly rounded but for double rounding); integers give float64. Every branch
# is evaluated on the whole (clamped) array and merged with ``where``: no data-dependent
# control flow, so the same code runs on CuPy. Poles give inf or nan as PyTorch.

_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)
_LOG_PI = math.log(math.pi)
# Lanczos approximation, g = 7, n = 9 (Godfrey's coefficients, as in Numerical Recipes 3rd ed.
# and Wikipedia's "Lanczos approximation"): Gamma(z + 1) = sqrt(2 pi) t^(z + 1/2) e^-t A(z),
# t = z + g + 1/2, A(z) = c0 + sum_i c_i / (z + i); relative error of A below 2e-15.
_LANCZOS_G = 7.0
_LANCZOS = (
    0.99999999999980993,
    676.5203681218851,
    -1259.1392167224028,
    771.32342877765313,
    -176.61502916214059,
    12.507343278686905,
    -0.13857109526572012,
    9.9843695780195716e-6,
    1.5056327351493116e-7,
)
# zeta(k) - 1 for k = 2 .. 30 (mpmath, 40 digits, rounded): lgamma(2 + z) = (1 - gamma) z +
# sum_{k >= 2} (-1)^k (zeta(k) - 1)/k z^k, whose terms fall like 4^-k/k for |z| <= 1/2.
_ZETA_MINUS_1 = (
    0.6449340668482264, 0.2020569031595943, 0.08232323371113819, 0.03692775514336993,
    0.01734306198444914, 0.008349277381922827, 0.00407735619794434, 0.0020083928260822143,
    0.0009945751278180853, 0.0004941886041194645, 0.0002460865533080483,
    0.00012271334757848915, 6.124813505870483e-05, 3.058823630702049e-05,
    1.528225940865187e-05, 7.637197637899763e-06, 3.81729326499984e-06, 1.908212716553939e-06,
    9.539620338727962e-07, 4.769329867878064e-07, 2.38450502727733e-07,
    1.1921992596531106e-07, 5.960818905125948e-08, 2.980350351465228e-08,
    1.4901554828365043e-08, 7.45071178983543e-09, 3.725334024788457e-09,
    1.862659723513049e-09, 9.313274324196682e-10,
)  # fmt: skip
_ONE_MINUS_EULER = 0.42278433509846713  # 1 - Euler's gamma
_LGAMMA2_SERIES = tuple((-1) ** k * v / k for k, v in enumerate(_ZETA_MINUS_1, start=2))
# Bernoulli numbers B_2 .. B_24, for the asymptotic series of digamma and Hurwitz zeta
_BERNOULLI = (
    1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510, 43867 / 798,
    -174611 / 330, 854513 / 138, -236364091 / 2730,
)  # fmt: skip


def _as_float64(x: Any, xp: Any) -> tuple[Any, Any]:
    """x as float64 (a 0-d array stays 0-d) and the dtype the result is returned in."""
    x = xp.asarray(x)
    out_dtype = x.dtype if x.dtype.kind == "f" else xp.float64
    return x.astype(xp.float64, copy=False), out_dtype


def _poly(t: Any, coeffs: Sequence[float]) -> Any:
    """sum_i coeffs[i] t^i (Horner)."""
    acc = t * 0 + coeffs[-1]
    for c in coeffs[-2::-1]:
        acc = acc * t + c
    return acc


def _lgamma_series2(z: Any) -> Any:
    """lgamma(2 + z) for |z| <= 1/2, by its Taylor series (accurate near the root at z = 0)."""
    return z * (_ONE_MINUS_EULER + z * _poly(z, _LGAMMA2_SERIES))


def _lgamma_lanczos(x: Any, xp: Any) -> Any:
    """lgamma(x) for x >= 2.5 by Lanczos, written as (z + 1/2)(log t - 1) - g + log A(z) +
    log(2 pi)/2 with z = x - 1, so (z + 1/2) log t cannot overflow before the result does."""
    z = x - 1.0
    a = _LANCZOS[0] + sum(c / (z + i) for i, c in enumerate(_LANCZOS[1:], start=1))
    t = z + (_LANCZOS_G + 0.5)
    return _HALF_LOG_2PI + (z + 0.5) * (xp.log(t) - 1.0) - _LANCZOS_G + xp.log(a)


def _lgamma_positive(x: Any, xp: Any) -> Any:
    """lgamma(x) for x > 0: the series about 2 on [1.5, 2.5), lgamma(1 + z) = lgamma(2 + z) -
    log1p(z) on [0.5, 1.5) (both keep the roots at 1 and 2 accurate to the last digits),
    lgamma(x) = lgamma(1 + x) - log(x) below, Lanczos above."""
    x2 = xp.clip(x, 1.5, 2.5)
    near2 = _lgamma_series2(x2 - 2.0)
    x1 = xp.clip(x, 0.5, 1.5)
    z1 = x1 - 1.0  # exact (Sterbenz)
    near1 = _lgamma_series2(z1) - xp.log1p(z1)
    x0 = xp.clip(x, 0.0, 0.5)
    near0 = _lgamma_series2(x0) - xp.log1p(x0) - xp.log(x0)
    far = _lgamma_lanczos(xp.maximum(x, 2.5), xp)
    out = xp.where(x < 1.5, near1, near2)
    out = xp.where(x < 0.5, near0, out)
    return xp.where(x >= 2.5, far, out)


def _sinpi_reduced(x: Any, xp: Any) -> Any:
    """r = x - round(x), exact, in [-1/2, 1/2]: sin(pi x) = +-sin(pi r) and cot(pi x) =
    cot(pi r), without the rounding of pi * x for large x."""
    return x - xp.round(x)


def lgamma(x: Any, xp: Any) -> Any:
    """log|Gamma(x)|, elementwise; inf at 0 and the negative integers (and at -inf).

    x > 0 as ``_lgamma_positive``; x <= 0 by the reflection Gamma(x) Gamma(1 - x) =
    pi / sin(pi x): lgamma(x) = log(pi) - log|sin(pi x)| - lgamma(1 - x)."""
    x, out_dtype = _as_float64(x, xp)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        pos = _lgamma_positive(xp.maximum(x, 0.0), xp)
        neg_x = xp.minimum(x, 0.0)
        r = _sinpi_reduced(xp.where(xp.isinf(neg_x), 0.0, neg_x), xp)
        refl = _LOG_PI - xp.log(xp.abs(xp.sin(math.pi * r))) - _lgamma_positive(1.0 - neg_x, xp)
        out = xp.where(x > 0, pos, refl)
        out = xp.where(xp.isinf(x), math.inf, out)
    return out.astype(out_dtype, copy=False)


def _digamma_positive(x: Any, xp: Any) -> Any:
    """digamma(x) for x > 0: psi(x) = psi(x + n) - sum_{k < n} 1/(x + k) up to x + n >= 10, then
    psi(y) ~ log y - 1/(2y) - sum_k B_2k / (2k y^2k), whose 8 terms leave < 1e-17 at y = 10."""
    acc = xp.zeros_like(x)
    y = x
    for _ in range(10):
        low = y < 10.0
        acc += xp.where(low, 1.0 / y, 0.0)
        y = xp.where(low, y + 1.0, y)
    t = 1.0 / (y * y)
    series = t * _poly(t, [b / (2 * k) for k, b in enumerate(_BERNOULLI[:8], start=1)])
    return xp.log(y) - 0.5 / y - series - acc


def _hurwitz_zeta_positive(s: int, x: Any, xp: Any) -> Any:
    """zeta(s, x) = sum_{k >= 0} (x + k)^-s for an integer s >= 2 and x > 0: the sum is taken
    term by term up to y = x + n >= s + 10, the rest by Euler-Maclaurin,
    y^(1-s)/(s-1) + y^-s/2 + sum_j B_2j/(2j)! s (s+1) ... (s+2j-2) y^(-s-2j+1); with y that
    large the twelve terms fall at least ~10x each, below 1e-17 of the sum."""
    start = float(s + 10)
    acc = xp.zeros_like(x)
    y = x
    for _ in range(s + 10):
        low = y < start
        acc += xp.where(low, y**-s, 0.0)
        y = xp.where(low, y + 1.0, y)
    t = 1.0 / (y * y)
    coeffs, rising, fact = [], float(s), 2.0  # rising = s (s+1) ... (s+2j-2), fact = (2j)!
    for j, b in enumerate(_BERNOULLI, start=1):
        coeffs.append(b / fact * rising)
        rising *= (s + 2 * j - 1) * (s + 2 * j)
        fact *= (2 * j + 1) * (2 * j + 2)
    tail = y ** (1 - s) / (s - 1) + 0.5 * y**-s + y**-s / y * _poly(t, coeffs)
    return acc + tail


def _cot_derivative_coeffs(n: int) -> list[int]:
    """The polynomial P_n with d^n/du^n cot(u) = P_n(cot u): P_0(c) = c and
    P_{k+1}(c) = -(1 + c^2) P_k'(c) (as d cot/du = -(1 + cot^2)); ascending coefficients."""
    p = [0, 1]
    for _ in range(n):
        dp = [i * c for i, c in enumerate(p)][1:] or [0]
        nxt = [0] * (len(dp) + 2)
        for i, c in enumerate(dp):
            nxt[i] -= c
            nxt[i + 2] -= c
        p = nxt
    return p


def _check_order(n: Any, name: str) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"{name}: n must be an int, got {type(n).__name__}")
    if n < 0:
        raise RuntimeError(f"{name}: n must be >= 0, got n = {n}")
    return int(n)


def polygamma(n: int, x: Any, xp: Any) -> Any:
    """The n-th derivative of digamma, psi^(n)(x), elementwise; n = 0 is digamma itself.

    x > 0: digamma as ``_digamma_positive``; for n >= 1, psi^(n)(x) = (-1)^(n+1) n! zeta(n+1, x)
    (Hurwitz zeta). x <= 0: the reflection psi(1 - x) - psi(x) = pi cot(pi x), differentiated
    n times: psi^(n)(x) = (-1)^n psi^(n)(1 - x) - pi^(n+1) P_n(cot(pi x)). At 0 and the negative
    integers: digamma gives -inf at +0, +inf at -0 and nan below (PyTorch's values); n >= 1
    gives (-1)^(n+1) inf, the sign of the pole's even or odd power."""
    n = _check_order(n, "polygamma")
    x, out_dtype = _as_float64(x, xp)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        xpos = xp.where(x > 0, x, 1.0)
        xneg = xp.where(x > 0, 0.0, x)
        xneg = xp.where(xp.isfinite(xneg), xneg, 0.5)  # -inf and nan are set below
        one_minus = 1.0 - xneg
        if n == 0:
            pos, mirrored = _digamma_positive(xpos, xp), _digamma_positive(one_minus, xp)
        else:
            scale = (-1) ** (n + 1) * (float(math.factorial(n)) if n <= 170 else math.inf)
            pos = scale * _hurwitz_zeta_positive(n + 1, xpos, xp)
            mirrored = scale * _hurwitz_zeta_positive(n + 1, one_minus, xp)
        cot = 1.0 / xp.tan(math.pi * _sinpi_reduced(xneg, xp))
        refl = (-1) ** n * mirrored - math.pi ** (n + 1) * _poly(cot, _cot_derivative_coeffs(n))
        out = xp.where(x > 0, pos, refl)
        pole = (x <= 0) & (x == xp.floor(x))
        if n == 0:
            pole_value = xp.where(x == 0, xp.copysign(math.inf, -x), math.nan)
        else:
            pole_value = (-1) ** (n + 1) * math.inf
        out = xp.where(pole, pole_value, out)
        out = xp.where((x == -math.inf) | xp.isnan(x), math.nan, out)  # +inf comes out right
    return out.astype(out_dtype, copy=False)


def digamma(x: Any, xp: Any) -> Any:
    """psi(x) = d/dx lgamma(x), elementwise (``polygamma(0, x)``)."""
    return polygamma(0, x, xp)


# ------------------------------------------------------------------ inverse error functions

_SQRT_PI_2 = math.sqrt(math.pi) / 2
_TWO_SQRT_PI = 2 / math.sqrt(math.pi)
# Giles, "Approximating the erfinv function" (GPU Computing Gems, 2010), single precision:
# erfinv(x) ~ x P(w) with w = -log((1 - x)(1 + x)), one polynomial each side of w = 5.
_GILES_CENTRAL = (
    1.50140941, 0.246640727, -0.00417768164, -0.00125372503, 0.00021858087, -4.39150654e-06,
    -3.5233877e-06, 3.43273939e-07, 2.81022636e-08,
)  # fmt: skip
_GILES_TAIL = (
    2.83297682, 1.00167406, 0.00943887047, -0.0076224613, 0.00573950773, -0.00367342844,
    0.00134934322, 0.000100950558, -0.000200214257,
)  # fmt: skip


def _log_erfc(y: Any, xp: Any) -> Any:
    """log erfc(y) for y >= 0.4 (float64), without underflow: log(erfc(y)) below 1.25; above,
    the tail form of ``_erf_impl`` taken in logs, -y^2 - 0.5625 + R(1/y^2) - log(y)."""
    near = xp.log(erfc(xp.clip(y, 0.0, 1.25), xp))
    t = xp.maximum(y, 1.25)
    s = 1.0 / (t * t)
    rs = xp.where(t < 1 / 0.35, _ratio(s, _RA, _SA), _ratio(s, _RB, _SB))
    far = -(t * t) - 0.5625 + rs - xp.log(t)
    return xp.where(y < 1.25, near, far)


def _inv_erf(a: Any, c: Any, xp: Any) -> Any:
    """y >= 0 with erf(y) = a, given both a in [0, 1] and c = 1 - a exactly (so the tail, where
    a rounds to 1, keeps its digits). Giles' single-precision guess (for w > 16, beyond its
    range, the asymptotic erfc(y) ~ e^(-y^2)/(y sqrt(pi)) solved for y), then Newton steps:
    on erf(y) - a for a < 1/2, and on log erfc(y) - log c above, where they stay well scaled;
    each step squares the relative error, so three take 1e-7 below 1e-16."""
    central = a < 0.5
    w = -xp.log(c * (1.0 + a))
    guess = xp.where(
        w < 5.0,
        _poly(w - 2.5, _GILES_CENTRAL),
        _poly(xp.sqrt(xp.maximum(w, 5.0)) - 3.0, _GILES_TAIL),
    )
    guess = guess * a
    big_l = xp.maximum(-xp.log(c), 16.0)
    y0 = xp.sqrt(big_l - 0.5 * xp.log(math.pi * big_l))
    y0 = xp.sqrt(big_l - xp.log(y0 * math.sqrt(math.pi)))  # one fixed-point step
    y = xp.where(w > 16.0, y0, guess)
    y = xp.where(central, xp.minimum(y, 0.6), xp.maximum(y, 0.4))  # the branch's domain
    log_c = xp.log(xp.where(central, 0.5, c))
    for _ in range(3):
        yc = xp.minimum(y, 0.6)
        step_c = (erf(yc, xp) - a) / (_TWO_SQRT_PI * xp.exp(-yc * yc))
        yt = xp.maximum(y, 0.4)
        le = _log_erfc(yt, xp)
        # h = log erfc(y) - log c, h' = -2/sqrt(pi) e^(-y^2) / erfc(y)
        step_t = (le - log_c) / (-_TWO_SQRT_PI * xp.exp(-yt * yt - le))
        y = y - xp.where(central, step_c, step_t)
    y = xp.where(c == 0, math.inf, y)
    return xp.where((a >= 0) & (c >= 0), y, math.nan)


def erfinv(x: Any, xp: Any) -> Any:
    """The inverse error function: erf(erfinv(x)) = x on [-1, 1], +-inf at +-1, nan outside."""
    x, out_dtype = _as_float64(x, xp)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        a = xp.abs(x)
        y = _inv_erf(a, 1.0 - a, xp)
        out = xp.copysign(y, x)
    return out.astype(out_dtype, copy=False)


def ndtri(p: Any, xp: Any) -> Any:
    """The standard normal quantile, Phi^-1(p) = sqrt(2) erfinv(2p - 1), accurate in both tails:
    below 1/2 it is -sqrt(2) y with erfc(y) = 2p (2p exact, so ndtri(1e-300) ~ -37.05 is not
    lost to 2p - 1 = -1); above, 2p - 1 and 2 - 2p are exact. -inf at 0, inf at 1."""
    p, out_dtype = _as_float64(p, xp)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        low = p < 0.5
        c = xp.where(low, 2.0 * p, 2.0 - 2.0 * p)
        a = xp.where(low, 1.0 - 2.0 * p, 2.0 * p - 1.0)
        y = _inv_erf(a, c, xp) * math.sqrt(2.0)
        out = xp.where(low, -y, y)
    return out.astype(out_dtype, copy=False)


def log_ndtr(x: Any, xp: Any) -> Any:
    """log Phi(x), Phi the standard normal CDF 0.5 erfc(-x/sqrt(2)): log1p(-erfc(x/sqrt(2))/2)
    for x >= -1, and log erfc(-x/sqrt(2)) - log 2 below, taken in logs so it does not underflow
    (log_ndtr(-1e5) = -5e9)."""
    x, out_dtype = _as_float64(x, xp)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        t = x * -math.sqrt(0.5)
        upper = xp.log1p(-0.5 * erfc(-xp.minimum(t, 1.0 / math.sqrt(2.0)), xp))
        lower = _log_erfc(xp.maximum(t, 0.5), xp) - math.log(2.0)
        out = xp.where(x >= -1.0, upper, lower)
        out = xp.where(xp.isnan(x), x, out)
    return out.astype(out_dtype, copy=False)


# ------------------------------------------------------------------ modified Bessel functions


def _bessel_i_asymptotic(nu: int, terms: int) -> list[float]:
    """Coefficients of I_nu(x) ~ e^x / sqrt(2 pi x) sum_k c_k x^-k (Abramowitz & Stegun
    9.7.1): c_k = (-1)^k prod_{j <= k} (4 nu^2 - (2j - 1)^2) / (k! 8^k)."""
    coeffs, c = [1.0], 1.0
    for k in range(1, terms):
        c *= -(4 * nu * nu - (2 * k - 1) ** 2) / (8 * k)
        coeffs.append(c)
    return coeffs


_I0_ASYMPTOTIC = _bessel_i_asymptotic(0, 25)
_I1_ASYMPTOTIC = _bessel_i_asymptotic(1, 25)


def _bessel_i(nu: int, x: Any, xp: Any) -> Any:
    """I_nu(x) for nu in (0, 1). |x| <= 30: the power series sum_k (x/2)^(2k + nu) / (k! (k +
    nu)!), all terms positive, 50 of them (the 50th is < 1e-18 of the sum at 30); above, the
    asymptotic series, whose 25th term is < 1e-17 there. e^x is taken as e^(x/2) twice, so the
    result overflows only where I_nu does (x ~ 714), not where e^x does (x ~ 709.8)."""
    x, out_dtype = _as_float64(x, xp)
    with np.errstate(over="ignore", invalid="ignore"):
        a = xp.abs(x)
        s = xp.minimum(a, 30.0)
        q = s * s * 0.25
        term = xp.ones_like(s) if nu == 0 else s * 0.5
        total = term
        for k in range(1, 50):
            term = term * q / (k * (k + nu))
            total = total + term
        t = xp.maximum(a, 30.0)
        half = xp.exp(t * 0.5)
        series = _poly(1.0 / t, _I0_ASYMPTOTIC if nu == 0 else _I1_ASYMPTOTIC)
        far = half * (half / xp.sqrt(2 * math.pi * t) * series)
        out = xp.where(a <= 30.0, total, far)
        out = xp.where(a == math.inf, math.inf, out)  # e^(t/2) / sqrt(t) is inf/inf there
        if nu == 1:  # I_1 is odd, I_0 even
            out = xp.copysign(out, x)
    return out.astype(out_dtype, copy=False)


def i0(x: Any, xp: Any) -> Any:
    """The modified Bessel function of the first kind of order 0,
    I_0(x) = sum_k (x^2/4)^k / (k!)^2."""
    return _bessel_i(0, x, xp)


def i1(x: Any, xp: Any) -> Any:
    """The modified Bessel function of the first kind of order 1, I_1(x) = I_0'(x)."""
    return _bessel_i(1, x, xp)
