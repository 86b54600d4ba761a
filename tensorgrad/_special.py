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

import functools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .backend import is_float

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
    out_dtype = x.dtype if is_float(x.dtype) else xp.float64
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
    out_dtype = x.dtype if is_float(x.dtype) else xp.float64
    return x.astype(xp.float64, copy=False), out_dtype


def _cast(out: Any, dtype: Any) -> Any:
    """``out`` in ``dtype``: float64 results past float32's range become inf, silently."""
    with np.errstate(over="ignore"):
        return out.astype(dtype, copy=False)


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
    return _cast(out, out_dtype)


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
    return _cast(out, out_dtype)


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
    return _cast(out, out_dtype)


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
    return _cast(out, out_dtype)


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
    return _cast(out, out_dtype)


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
    return _cast(out, out_dtype)


def i0(x: Any, xp: Any) -> Any:
    """The modified Bessel function of the first kind of order 0,
    I_0(x) = sum_k (x^2/4)^k / (k!)^2."""
    return _bessel_i(0, x, xp)


def i1(x: Any, xp: Any) -> Any:
    """The modified Bessel function of the first kind of order 1, I_1(x) = I_0'(x)."""
    return _bessel_i(1, x, xp)


# ------------------------------------------------------------------ scaled Bessel I, erfcx, entr
#
# The functions below follow the gamma family's conventions: float64 in float64, float32 and
# float16 computed in float64 and rounded once, integers give float64; no data-dependent control
# flow except the loops that run until every element has converged (zeta, gammainc, the
# orthogonal polynomials' recurrences), each of which says so.


def _scaled_bessel_i(nu: int, x: Any, xp: Any) -> Any:
    """e^-|x| I_nu(x): the power series times e^-|x| for |x| <= 30, above it the asymptotic
    series of ``_bessel_i`` without its e^x; 0 at +-inf (with I_1's sign)."""
    x, out_dtype = _as_float64(x, xp)
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        a = xp.abs(x)
        s = xp.minimum(a, 30.0)
        q = s * s * 0.25
        term = xp.ones_like(s) if nu == 0 else s * 0.5
        total = term
        for k in range(1, 50):
            term = term * q / (k * (k + nu))
            total = total + term
        t = xp.maximum(a, 30.0)
        far = _poly(1.0 / t, _I0_ASYMPTOTIC if nu == 0 else _I1_ASYMPTOTIC) / xp.sqrt(
            2 * math.pi * t
        )
        out = xp.where(a <= 30.0, total * xp.exp(-s), far)
        if nu == 1:
            out = xp.copysign(out, x)
    return _cast(out, out_dtype)


def i0e(x: Any, xp: Any) -> Any:
    """The exponentially scaled I_0: e^-|x| I_0(x)."""
    return _scaled_bessel_i(0, x, xp)


def i1e(x: Any, xp: Any) -> Any:
    """The exponentially scaled I_1: e^-|x| I_1(x)."""
    return _scaled_bessel_i(1, x, xp)


def _exp_square(x: Any, xp: Any) -> Any:
    """e^(x^2) without the rounding of x*x amplified x^2 times: x^2 = z^2 + (x - z)(x + z) with
    z = x truncated to 20 fraction bits, so z*z is exact."""
    z = xp.trunc(x * 2.0**20) / 2.0**20
    return xp.exp(z * z) * xp.exp((x - z) * (x + z))


# erfcx(x) ~ 1/(x sqrt(pi)) sum_k (-1)^k (2k - 1)!! / (2x^2)^k for x >= 28 (12 terms: the last
# is below 1e-22 there)
_ERFCX_ASYMPTOTIC = tuple((-1) ** k * math.prod(range(1, 2 * k, 2)) / 2.0**k for k in range(12))


def erfcx(x: Any, xp: Any) -> Any:
    """The scaled complementary error function e^(x^2) erfc(x).

    0 <= x < 1.25: e^(x^2) erfc(x); 1.25 <= x < 28: the tail form of ``_erf_impl``, where
    e^(x^2) cancels exactly: erfcx(x) = exp(R(1/x^2) - 0.5625) / x; x >= 28: its asymptotic
    series. x < 0: erfcx(x) = 2 e^(x^2) - erfcx(-x), inf below -26.6 (as e^(x^2))."""
    x, out_dtype = _as_float64(x, xp)
    with np.errstate(over="ignore", invalid="ignore", under="ignore", divide="ignore"):
        a = xp.abs(x)
        near = xp.minimum(a, 1.25)
        small = xp.exp(near * near) * erfc(near, xp)
        t = xp.clip(a, 1.25, 28.0)
        s = 1.0 / (t * t)
        r = xp.where(t < 1 / 0.35, _ratio(s, _RA, _SA), _ratio(s, _RB, _SB))
        mid = xp.exp(r - 0.5625) / t
        big = xp.maximum(a, 28.0)
        far = _poly(1.0 / (big * big), _ERFCX_ASYMPTOTIC) / (big * math.sqrt(math.pi))
        pos = xp.where(a < 1.25, small, xp.where(a < 28.0, mid, far))
        neg = 2.0 * _exp_square(xp.where(xp.isfinite(x), x, 0.0), xp) - pos
        out = xp.where(x >= 0, pos, xp.where(x == -math.inf, math.inf, neg))
        out = xp.where(x == math.inf, 0.0, out)
        out = xp.where(xp.isnan(x), x, out)
    return _cast(out, out_dtype)


def entr(x: Any, xp: Any) -> Any:
    """The entropy term -x log(x): 0 at x = 0, -inf for x < 0, nan at nan."""
    x, out_dtype = _as_float64(x, xp)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = -x * xp.log(xp.where(x > 0, x, 1.0))
        out = xp.where(x < 0, -math.inf, out)
        out = xp.where(xp.isnan(x), x, out)
    return _cast(out, out_dtype)


def xlog1py(x: Any, y: Any, xp: Any) -> Any:
    """x log(1 + y), 0 where x == 0 (even where log1p(y) is nan or -inf), nan where y is nan;
    both arrays of one float dtype (the caller promotes)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = x * xp.log1p(xp.where(x == 0, 0, y))
        return xp.where(xp.isnan(y), y, out)


# ------------------------------------------------------------------ Hurwitz zeta


def _zeta_em_coefficients() -> tuple:
    """(2j)! / B_2j, j = 1 .. 12: the Euler-Maclaurin tail's divisors."""
    return tuple(math.factorial(2 * j) / b for j, b in enumerate(_BERNOULLI, start=1))


_ZETA_A = _zeta_em_coefficients()
_MACHEP = 2.0**-53


def zeta(x: Any, q: Any, xp: Any) -> Any:
    """The Hurwitz zeta function zeta(x, q) = sum_{k >= 0} (q + k)^-x, elementwise (broadcast).

    The Cephes algorithm PyTorch uses, vectorized: the sum term by term for at least 9 terms
    and up to q + k > 9, stopping (per element) once a term is below 2^-53 of the sum; then
    Euler-Maclaurin, b w / (x - 1) - b/2 + sum_j x (x+1) ... (x+2j-2) b / (w^(2j-1) (2j)!/B_2j)
    with w the last q + k and b = w^-x, again to a term below 2^-53. Its domain conventions:
    inf at x = 1 and at q = 0, -1, -2, ...; nan for x < 1, and for q < 0 with x not an
    integer. The loop runs max(9, 10 - min(q)) steps: a very negative q is slow."""
    x, out_dtype = _as_float64(x, xp)
    q, q_dtype = _as_float64(q, xp)
    x, q = xp.broadcast_arrays(x, q)
    shape = x.shape
    x, q = x.reshape(-1), q.reshape(-1)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        neg_q = q <= 0
        value = xp.where(neg_q & (x != xp.floor(x)), math.nan, 0.0)  # q^-x is complex
        value = xp.where(neg_q & (q == xp.floor(q)), math.inf, value)  # a pole of (q + k)^-x
        value = xp.where(x < 1, math.nan, value)  # the sum diverges
        value = xp.where(x == 1, math.inf, value)
        special = (value != 0) | xp.isnan(value)
        xs, qs = xp.where(special, 2.0, x), xp.where(special, 1.0, q)
        s = xp.power(qs, -xs)
        a = qs.copy()
        b = xp.zeros_like(s)
        done = xp.zeros(s.shape, dtype=bool)
        i = 0
        while True:
            step = ~done & ((i < 9) | (a <= 9.0))
            if not bool(step.any()):
                break
            i += 1
            a = xp.where(step, a + 1.0, a)
            b = xp.where(step, xp.power(a, -xs), b)
            s = xp.where(step, s + b, s)
            done |= step & (-_MACHEP * s < b) & (b < _MACHEP * s)
        w = a
        tail = ~done
        s = xp.where(tail, s + b * w / (xs - 1.0) - 0.5 * b, s)
        rising, k = xp.ones_like(s), 0.0
        for coeff in _ZETA_A:
            rising = rising * (xs + k)
            b = b / w
            t = rising * b / coeff
            s = xp.where(tail, s + t, s)
            tail &= ~(xp.abs(t / s) < _MACHEP)
            k += 1.0
            rising = rising * (xs + k)
            b = b / w
            k += 1.0
        out = xp.where(special, value, s).reshape(shape)
    return _cast(out, np.promote_types(out_dtype, q_dtype))


# ------------------------------------------------------------------ double-double arithmetic
#
# The power series of J_0, J_1, Y_0, Y_1 and Ai alternate, with terms up to e^x times their sum
# (1e9 at x = 20): summed in double-double (a value hi + lo, |lo| <= ulp(hi)/2, ~32 digits;
# Dekker 1971, as in the QD library) they keep 16 digits to spare.


def _two_sum(a: Any, b: Any) -> tuple:
    s = a + b
    v = s - a
    return s, (a - (s - v)) + (b - v)


def _split(a: Any) -> tuple:
    c = 134217729.0 * a  # 2^27 + 1
    hi = c - (c - a)
    return hi, a - hi


def _two_prod(a: Any, b: Any) -> tuple:
    p = a * b
    ah, al = _split(a)
    bh, bl = _split(b)
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def _dd_add(x: tuple, y: tuple) -> tuple:
    s, e = _two_sum(x[0], y[0])
    e = e + (x[1] + y[1])
    hi = s + e
    return hi, e - (hi - s)


def _dd_mul(x: tuple, y: tuple) -> tuple:
    p, e = _two_prod(x[0], y[0])
    e = e + (x[0] * y[1] + x[1] * y[0])
    hi = p + e
    return hi, e - (hi - p)


def _dd_div(x: tuple, d: float) -> tuple:
    """x / d for a double d (an exact small integer here)."""
    q1 = x[0] / d
    p, e = _two_prod(q1, d)
    s, f = _two_sum(x[0], -p)
    q2 = (s + ((f - e) + x[1])) / d
    hi = q1 + q2
    return hi, q2 - (hi - q1)


def _dd_const(value: str) -> tuple[float, float]:
    """A double-double from a decimal string (or a fraction), rounded twice."""
    from fractions import Fraction

    f = Fraction(value)
    hi = float(f)
    return hi, float(f - Fraction(hi))


def _harmonic_dd(n: int) -> list:
    """H_0 .. H_n as double-doubles (H_k = 1 + 1/2 + ... + 1/k, exact rationals rounded)."""
    from fractions import Fraction

    out, h = [], Fraction(0)
    for k in range(n + 1):
        if k:
            h += Fraction(1, k)
        out.append(_dd_const(h))
    return out


_HARMONIC = _harmonic_dd(101)
_EULER = 0.5772156649015329  # Euler's gamma
_TWO_OVER_PI = 2 / math.pi


def _series_terms(ratio) -> int:
    """How many terms a series needs whose k-th term is the (k-1)-th times ``ratio(k)`` (at the
    largest argument), starting from 1: up to a term below 1e-20 (the sums are O(1) there, and
    double-double carries the digits the large terms cancel), at most 100."""
    term, k = 1.0, 0
    while k < 100:
        k += 1
        term *= ratio(k)
        if term < 1e-20:
            break
    return k + 1


def _bessel_jy_series(which: str, x: Any, xp: Any) -> Any:
    """J_0, J_1, Y_0 or Y_1 (``which``) at 0 < x <= 20 from the power series (DLMF 10.2.2,
    10.8.1-2) in u = x^2/4, summed in double-double (as many terms as the largest x needs):
    J_0 = sum_k (-u)^k / k!^2, J_1 = x/2 sum_k (-u)^k / (k! (k+1)!),
    Y_0 = 2/pi ((log(x/2) + gamma) J_0 - sum_k H_k (-u)^k / k!^2),
    Y_1 = -2/(pi x) + 2/pi (log(x/2) + gamma) J_1 - x/(2 pi) sum_k (H_k + H_(k+1)) (-u)^k /
    (k! (k+1)!), with H_k the harmonic numbers."""
    nu = int(which[1])
    zero = xp.zeros_like(x)
    if x.size == 0:
        return zero
    u_max = float(x.max()) ** 2 / 4
    terms = _series_terms(lambda k: u_max / (k * (k + nu)))
    sq = _two_prod(x, x)
    minus_u = (-0.25 * sq[0], -0.25 * sq[1])  # exact
    t = (xp.ones_like(x), zero)  # (-u)^k / (k! (k + nu)!)
    j = t
    y = t if nu else (zero, zero)  # Y_1's sum starts at (H_0 + H_1) = 1, Y_0's at 0
    for k in range(1, terms):
        t = _dd_div(_dd_mul(t, minus_u), float(k * (k + nu)))
        j = _dd_add(j, t)
        if which[0] == "y":
            h = _HARMONIC[k] if nu == 0 else _dd_add(_HARMONIC[k], _HARMONIC[k + 1])
            y = _dd_add(y, _dd_mul(t, h))
    jv = j[0] + j[1]
    if nu:
        jv = jv * (0.5 * x)
    if which[0] == "j":
        return jv
    log_term = xp.log(0.5 * x) + _EULER
    if nu == 0:
        return _TWO_OVER_PI * (log_term * jv - (y[0] + y[1]))
    return -_TWO_OVER_PI / x + _TWO_OVER_PI * log_term * jv - x / (2 * math.pi) * (y[0] + y[1])


def _hankel_coefficients(nu: float, terms: int) -> list[float]:
    """a_k(nu) = prod_{j <= k} (4 nu^2 - (2j - 1)^2) / (k! 8^k), k < terms (DLMF 10.17.1)."""
    coeffs, c = [1.0], 1.0
    for k in range(1, terms):
        c *= (4 * nu * nu - (2 * k - 1) ** 2) / (8 * k)
        coeffs.append(c)
    return coeffs


_HANKEL = {nu: _hankel_coefficients(nu, 30) for nu in (0, 1)}


def _bessel_jy_asymptotic(nu: int, x: Any, xp: Any) -> tuple:
    """(J_nu, Y_nu) for x >= 20 by Hankel's expansion (DLMF 10.17.3-4):
    J = sqrt(2/(pi x)) (P cos chi - Q sin chi), Y = sqrt(2/(pi x)) (P sin chi + Q cos chi),
    chi = x - (nu/2 + 1/4) pi, P = sum_k (-1)^k a_2k / x^2k, Q = sum_k (-1)^k a_2k+1 / x^2k+1;
    30 terms leave < 1e-17 at x = 20. cos chi and sin chi come from cos x and sin x (whose
    reduction is exact), not from x - pi/4 (whose rounding grows with x)."""
    a = _HANKEL[nu]
    t = 1.0 / (x * x)
    p = _poly(t, [(-1) ** k * a[2 * k] for k in range(len(a) // 2)])
    q = _poly(t, [(-1) ** k * a[2 * k + 1] for k in range(len(a) // 2)]) / x
    c, s = xp.cos(x), xp.sin(x)
    if nu == 0:  # chi = x - pi/4
        cos_chi, sin_chi = (c + s) * math.sqrt(0.5), (s - c) * math.sqrt(0.5)
    else:  # chi = x - 3 pi/4
        cos_chi, sin_chi = (s - c) * math.sqrt(0.5), -(s + c) * math.sqrt(0.5)
    amp = xp.sqrt(_TWO_OVER_PI / x)
    return amp * (p * cos_chi - q * sin_chi), amp * (p * sin_chi + q * cos_chi)


def _bessel_jy(which: str, x: Any, xp: Any) -> Any:
    """J_0, J_1, Y_0 or Y_1 (``which``): the double-double series up to |x| = 20, Hankel's
    expansion beyond. J_0 is even, J_1 odd; Y is -inf at 0 and nan for x < 0; all are 0 at
    +-inf (PyTorch gives nan there)."""
    x, out_dtype = _as_float64(x, xp)
    shape = x.shape
    x = x.reshape(-1)
    nu = int(which[1])
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        a = xp.abs(x)
        near = a <= 20.0
        far = (a > 20.0) & xp.isfinite(a)
        out = xp.zeros_like(a)
        out[near] = _bessel_jy_series(which, xp.maximum(a[near], 1e-300), xp)
        out[far] = _bessel_jy_asymptotic(nu, a[far], xp)[which[0] == "y"]
        if which[0] == "j":
            out = xp.where(a == 0, 1.0 - nu, out)
            out = xp.where(xp.isinf(a), 0.0, out)
            if nu == 1:  # J_1 is odd
                out = xp.where(x < 0, -out, out)
        else:
            tiny = a < 1e-300  # -2/(pi x) overflows; log(x) J_0 is all of Y_0 there
            tiny_value = _TWO_OVER_PI * (xp.log(xp.maximum(a, 5e-324) * 0.5) + _EULER)
            out = xp.where(tiny, -_TWO_OVER_PI / a if nu else tiny_value, out)
            out = xp.where(x == 0, -math.inf, out)
            out = xp.where(x == math.inf, 0.0, out)
            out = xp.where(x < 0, math.nan, out)
        out = xp.where(xp.isnan(x), x, out)
    return _cast(out.reshape(shape), out_dtype)


def bessel_j0(x: Any, xp: Any) -> Any:
    """The Bessel function of the first kind of order 0."""
    return _bessel_jy("j0", x, xp)


def bessel_j1(x: Any, xp: Any) -> Any:
    """The Bessel function of the first kind of order 1."""
    return _bessel_jy("j1", x, xp)


def bessel_y0(x: Any, xp: Any) -> Any:
    """The Bessel function of the second kind of order 0."""
    return _bessel_jy("y0", x, xp)


def bessel_y1(x: Any, xp: Any) -> Any:
    """The Bessel function of the second kind of order 1."""
    return _bessel_jy("y1", x, xp)


# ------------------------------------------------------------------ modified Bessel K, Airy Ai

_K_STEP = 0.125  # trapezoidal step in t; the nodes t_j = j/8 < 5.5
_K_NODES = [j * _K_STEP for j in range(44)]
_K_COSH_M1 = [2.0 * math.sinh(t / 2) ** 2 for t in _K_NODES]  # cosh t - 1 without cancellation
_K_ASYMPTOTIC = {nu: _hankel_coefficients(nu, 30) for nu in (0, 1, 1 / 3)}


def _scaled_bessel_k_mid(nu: float, x: Any, xp: Any) -> Any:
    """e^x K_nu(x) for 1 <= x <= 20 from K_nu(x) = int_0^inf e^(-x cosh t) cosh(nu t) dt
    (DLMF 10.32.9) by the trapezoidal rule, step 1/8: the integrand is analytic and decays
    doubly exponentially, so the error falls like e^(-2 pi d / h) with d < pi/2 the strip it
    stays small in (below 1e-20 here); every term is positive, so no digits cancel."""
    total = 0.5 * xp.exp(-x * _K_COSH_M1[0]) * math.cosh(nu * _K_NODES[0])
    for t, cm1 in zip(_K_NODES[1:], _K_COSH_M1[1:]):
        total = total + xp.exp(-x * cm1) * math.cosh(nu * t)
    return total * _K_STEP


def _scaled_bessel_k_far(nu: float, x: Any) -> Any:
    """e^x K_nu(x) for x >= 20: sqrt(pi/(2x)) sum_k a_k(nu) / x^k (DLMF 10.40.2)."""
    return math.sqrt(math.pi / 2) * _poly(1.0 / x, _K_ASYMPTOTIC[nu]) / x**0.5


def _bessel_k_near(nu: int, x: Any, xp: Any) -> Any:
    """K_0 or K_1 for 0 < x <= 1 from their power series (DLMF 10.31.1), u = x^2/4:
    K_0 = -(log(x/2) + gamma) I_0 + sum_k H_k u^k / k!^2,
    K_1 = 1/x + (log(x/2) + gamma) I_1 - x/4 sum_k (H_k + H_(k+1)) u^k / (k! (k+1)!)."""
    u = 0.25 * x * x
    log_term = xp.log(0.5 * x) + _EULER
    term = xp.ones_like(x)
    total = xp.zeros_like(x) if nu == 0 else xp.ones_like(x)
    for k in range(1, 20):
        term = term * u / (k * (k + nu))
        h = _HARMONIC[k][0] if nu == 0 else _HARMONIC[k][0] + _HARMONIC[k + 1][0]
        total = total + h * term
    if nu == 0:
        return total - log_term * _bessel_i(0, x, xp)
    return 1.0 / x + log_term * _bessel_i(1, x, xp) - 0.25 * x * total


def _bessel_k(nu: int, x: Any, xp: Any, scaled: bool) -> Any:
    """K_nu(x) (``scaled``: e^x K_nu(x)) for nu = 0, 1: the series up to x = 1, the trapezoidal
    integral up to 20, the asymptotic series beyond. inf at 0, nan for x < 0, 0 at +inf."""
    x, out_dtype = _as_float64(x, xp)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        near_x = xp.clip(x, 1e-300, 1.0)
        near = _bessel_k_near(nu, near_x, xp)
        if scaled:
            near = near * xp.exp(near_x)
        mid_x = xp.clip(x, 1.0, 20.0)
        mid = _scaled_bessel_k_mid(nu, mid_x, xp)
        far_x = xp.where(xp.isfinite(x), xp.maximum(x, 20.0), 20.0)
        far = _scaled_bessel_k_far(nu, far_x)
        if not scaled:
            mid, far = mid * xp.exp(-mid_x), far * xp.exp(-far_x)
        out = xp.where(x <= 1.0, near, xp.where(x <= 20.0, mid, far))
        if nu == 1:  # 1/x overflows below 1e-300 (K_1 ~ 1/x there)
            out = xp.where(x < 1e-300, 1.0 / x, out)
        else:
            out = xp.where(x < 1e-300, -xp.log(0.5 * x) - _EULER, out)
        out = xp.where(x == 0, math.inf, out)
        out = xp.where(x == math.inf, 0.0, out)
        out = xp.where(x < 0, math.nan, out)
        out = xp.where(xp.isnan(x), x, out)
    return _cast(out, out_dtype)


def modified_bessel_k0(x: Any, xp: Any) -> Any:
    """The modified Bessel function of the second kind of order 0."""
    return _bessel_k(0, x, xp, scaled=False)


def modified_bessel_k1(x: Any, xp: Any) -> Any:
    """The modified Bessel function of the second kind of order 1."""
    return _bessel_k(1, x, xp, scaled=False)


def scaled_modified_bessel_k0(x: Any, xp: Any) -> Any:
    """e^x K_0(x)."""
    return _bessel_k(0, x, xp, scaled=True)


def scaled_modified_bessel_k1(x: Any, xp: Any) -> Any:
    """e^x K_1(x)."""
    return _bessel_k(1, x, xp, scaled=True)


_AI_0 = (0.3550280538878172, 2.05233632436212e-17)  # Ai(0) = 3^(-2/3) / Gamma(2/3)
_AI_P0 = (0.2588194037928068, -2.522243111610832e-17)  # -Ai'(0) = 3^(-1/3) / Gamma(1/3)
# u_k of Ai's asymptotic series (DLMF 9.7.2): u_k = (6k-5)(6k-3)(6k-1) / ((2k-1) 216 k) u_(k-1)
_AIRY_U = [1.0]
for _k in range(1, 40):
    _AIRY_U.append(
        _AIRY_U[-1] * (6 * _k - 5) * (6 * _k - 3) * (6 * _k - 1) / ((2 * _k - 1) * 216 * _k)
    )
del _k


def _airy_series(x: Any, xp: Any) -> Any:
    """Ai(x) = Ai(0) f(x) + Ai'(0) g(x) for -9.66 <= x <= 1.32 (DLMF 9.4.1), with
    f = sum_k 1 4 7 ... (3k-2) x^3k / (3k)!, g = sum_k 2 5 8 ... (3k-1) x^(3k+1) / (3k+1)!,
    in double-double: their terms reach e^(2/3 |x|^1.5) ~ 1e8 for Ai ~ 0.1 (as many terms as
    the largest |x| needs)."""
    if x.size == 0:
        return x
    cube_max = float(xp.abs(x).max()) ** 3
    terms = _series_terms(lambda k: cube_max / ((3 * k - 1) * 3 * k))
    sq = _two_prod(x, x)
    cube = _dd_mul(sq, (x, xp.zeros_like(x)))
    f_term = (xp.ones_like(x), xp.zeros_like(x))
    g_term = (x, xp.zeros_like(x))
    f, g = f_term, g_term
    for k in range(1, terms):
        f_term = _dd_div(_dd_mul(f_term, cube), float((3 * k - 1) * 3 * k))
        g_term = _dd_div(_dd_mul(g_term, cube), float(3 * k * (3 * k + 1)))
        f, g = _dd_add(f, f_term), _dd_add(g, g_term)
    out = _dd_add(_dd_mul(f, _AI_0), _dd_mul(g, (-_AI_P0[0], -_AI_P0[1])))
    return out[0] + out[1]


_TWO_THIRDS = _dd_const("2/3")


def _airy_phase(z: Any, xp: Any) -> tuple:
    """zeta = 2/3 z^(3/2) as a double-double (hi, lo): the phase of Ai(-z) grows without bound,
    and its rounding in one double (1e-10 at z = 1e4) would show in Ai, as it does in
    PyTorch's."""
    r = xp.sqrt(z)
    p, e = _two_prod(r, r)
    r_lo = ((z - p) - e) / (2.0 * r)  # sqrt(z) = r + r_lo to ~32 digits
    zr = _dd_add(_two_prod(z, r), (z * r_lo, xp.zeros_like(z)))
    return _dd_mul(zr, _TWO_THIRDS)


def airy_ai(x: Any, xp: Any) -> Any:
    """The Airy function Ai(x), the solution of y'' = x y that decays as x -> inf.

    -9.66 <= x <= 1.32: the power series (``_airy_series``). x > 1.32: Ai(x) =
    sqrt(x/3)/pi K_(1/3)(zeta), zeta = 2/3 x^(3/2) (DLMF 9.6.1), K by ``_bessel_k``'s
    trapezoidal integral (zeta <= 20) or asymptotic series. x < -9.66: DLMF 9.7.9,
    Ai(-z) = (cos(zeta - pi/4) P - sin(zeta - pi/4) Q) / (sqrt(pi) z^(1/4)) with
    P = sum_k (-1)^k u_2k / zeta^2k, Q = sum_k (-1)^k u_2k+1 / zeta^2k+1 (zeta >= 20: the
    terms fall below 1e-17). 0 at +-inf (PyTorch gives nan there)."""
    x, out_dtype = _as_float64(x, xp)
    shape = x.shape
    x = x.reshape(-1)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        out = xp.zeros_like(x)
        mid = (x >= -9.66) & (x <= 1.32)
        out[mid] = _airy_series(x[mid], xp)
        right = (x > 1.32) & xp.isfinite(x)
        out[right] = _airy_right(x[right], xp)
        left = (x < -9.66) & xp.isfinite(x)
        out[left] = _airy_left(-x[left], xp)
        out = xp.where(xp.isnan(x), x, out)
    return _cast(out.reshape(shape), out_dtype)


def _airy_right(x: Any, xp: Any) -> Any:
    """Ai(x) = sqrt(x/3)/pi K_(1/3)(zeta) for x > 1.32."""
    zeta, zeta_lo = _airy_phase(x, xp)
    kz = xp.where(
        zeta <= 20.0,
        _scaled_bessel_k_mid(1 / 3, xp.clip(zeta, 1.0, 20.0), xp),
        _scaled_bessel_k_far(1 / 3, xp.maximum(zeta, 20.0)),
    )
    return xp.sqrt(x / 3.0) / math.pi * kz * (xp.exp(-zeta) * (1.0 - zeta_lo))


def _airy_left(z: Any, xp: Any) -> Any:
    """Ai(-z) for z > 9.66 by DLMF 9.7.9, the phase zeta in double-double."""
    zeta, zeta_lo = _airy_phase(z, xp)
    t = 1.0 / (zeta * zeta)
    u = _AIRY_U
    p = _poly(t, [(-1) ** k * u[2 * k] for k in range(len(u) // 2)])
    q = _poly(t, [(-1) ** k * u[2 * k + 1] for k in range(len(u) // 2)]) / zeta
    c, s = xp.cos(zeta), xp.sin(zeta)
    c, s = c - s * zeta_lo, s + c * zeta_lo  # of zeta + zeta_lo
    cos_m, sin_m = (c + s) * math.sqrt(0.5), (s - c) * math.sqrt(0.5)  # of zeta - pi/4
    return (cos_m * p + sin_m * q) / (math.sqrt(math.pi) * z**0.25)


def spherical_bessel_j0(x: Any, xp: Any) -> Any:
    """The spherical Bessel function j_0(x) = sin(x)/x: 1 at 0, 0 at +-inf."""
    x, out_dtype = _as_float64(x, xp)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = xp.sin(x) / xp.where(x == 0, 1.0, x)
        out = xp.where(x == 0, 1.0, out)
        out = xp.where(xp.isinf(x), 0.0, out)
    return _cast(out, out_dtype)


# ------------------------------------------------------------------ regularized incomplete gamma
#
# P(a, x) = gamma(a, x) / Gamma(a) and Q(a, x) = 1 - P(a, x), each computed directly where it is
# small, so neither loses digits to 1 - the other:
# * a >= 20 and |eta| <= 1 (x within a factor ~2 of a): Temme's uniform expansion;
# * elsewhere, x > 1.1 and x > a: the continued fraction for Q, and P = 1 - Q;
# * otherwise the power series for P, and Q = 1 - P (x > 1.1), or Q's own series (x <= 1.1,
#   where P may round to 1 while Q is small).


def _bernoulli_numbers(n: int) -> list:
    """B_0 .. B_n as Fractions (B_1 = -1/2), by the Akiyama-Tanigawa algorithm."""
    from fractions import Fraction

    out = []
    a = []
    for m in range(n + 1):
        a.append(Fraction(1, m + 1))
        for j in range(m, 0, -1):
            a[j - 1] = j * (a[j - 1] - a[j])
        out.append(a[0])
    if n >= 1:
        out[1] = -out[1]
    return out


@functools.cache
def _temme_coefficients(orders: int = 14, terms: int = 32) -> tuple:
    """d[k][n]: c_k(eta) = sum_n d[k][n] eta^n, the coefficients of Temme's expansion
    (DLMF 8.12.8-9), in exact rational arithmetic.

    With mu = lambda - 1 = x/a - 1 and eta^2/2 = mu - log(1 + mu): mu(eta) solves
    mu mu' = eta (1 + mu) with mu = eta + eta^2/3 + ..., term by term. Then
    c_0 = 1/mu - 1/eta and c_k = c_(k-1)'/eta + (-1)^k g_k / mu, where the poles at eta = 0
    cancel and g_k are the coefficients of Gamma*(a) ~ sum_k g_k a^-k (DLMF 5.11.3), the
    exponential of Stirling's series sum_j B_2j / (2j (2j - 1) a^(2j-1))."""
    from fractions import Fraction

    size = terms + 2 * orders + 2
    b = [Fraction(0), Fraction(1)]  # mu = sum_n b[n] eta^n
    for n in range(2, size + 2):
        rest = sum(b[i] * (n + 1 - i) * b[n + 1 - i] for i in range(2, n))
        b.append((b[n - 1] - rest) / (n + 1))
    # eta / mu = 1 / (mu / eta) = sum_n r[n] eta^n
    ratio = b[1:]
    r = [Fraction(1)]
    for n in range(1, size + 1):
        r.append(-sum(ratio[k] * r[n - k] for k in range(1, n + 1)))
    bern = _bernoulli_numbers(2 * orders + 2)
    stirling = [Fraction(0)] * (orders + 1)  # log Gamma* = sum_m s_m a^-m
    for j in range(1, orders // 2 + 2):
        if 2 * j - 1 <= orders:
            stirling[2 * j - 1] = bern[2 * j] / (2 * j * (2 * j - 1))
    g = [Fraction(1)]  # exp of the series: n g_n = sum_m m s_m g_(n-m)
    for n in range(1, orders + 1):
        g.append(sum(m * stirling[m] * g[n - m] for m in range(1, n + 1)) / n)
    c = [r[n + 1] for n in range(size)]  # c_0 = (r(eta) - 1) / eta
    out = [c[:terms]]
    for k in range(1, orders):
        sign = (-1) ** k * g[k]
        assert c[1] + sign == 0  # the 1/eta poles cancel
        c = [(n + 2) * c[n + 2] + sign * r[n + 1] for n in range(len(c) - 2)]
        out.append(c[:terms])
    return tuple(tuple(float(v) for v in ck) for ck in out)


def _log1pmx(d: Any, xp: Any) -> Any:
    """log(1 + d) - d, accurate near 0: with s = d / (2 + d), log(1 + d) = 2 atanh(s) =
    2 (s + s^3/3 + ...) and 2s - d = -d^2 / (2 + d); for |d| >= 1/2 directly."""
    dd = xp.clip(d, -0.5, 0.5)
    s = dd / (2.0 + dd)
    s2 = s * s
    series = _poly(s2, [2.0 / (2 * j + 3) for j in range(20)]) * s2 * s
    near = series - dd * dd / (2.0 + dd)
    return xp.where(xp.abs(d) < 0.5, near, xp.log1p(d) - d)


def _lgamma1p(a: Any, xp: Any) -> Any:
    """lgamma(1 + a), accurate for small a (1 + a would round a away)."""
    z = xp.clip(a, -0.5, 0.5)
    near = _lgamma_series2(z) - xp.log1p(z)
    return xp.where(xp.abs(a) <= 0.5, near, lgamma(1.0 + a, xp))


def _log_gamma_star(a: Any, xp: Any) -> Any:
    """log Gamma*(a) = lgamma(a) - (a - 1/2) log(a) + a - log(2 pi)/2 for a > 0: Stirling's
    series for a >= 10 (8 terms: below 1e-20 there), directly below."""
    big = xp.maximum(a, 10.0)
    t = 1.0 / (big * big)
    series = _poly(t, [b / (2 * j * (2 * j - 1)) for j, b in enumerate(_BERNOULLI[:8], 1)]) / big
    small = xp.clip(a, 1e-300, 10.0)
    direct = lgamma(small, xp) - (small - 0.5) * xp.log(small) + small - _HALF_LOG_2PI
    return xp.where(a >= 10.0, series, direct)


def _gamma_prefactor(a: Any, x: Any, xp: Any) -> tuple:
    """(log D, eta) with D = x^a e^-x / Gamma(a + 1) = e^(-a phi) / (sqrt(2 pi a) Gamma*(a)),
    phi = lambda - 1 - log(lambda), lambda = x/a, and eta = sign(lambda - 1) sqrt(2 phi):
    phi through log1pmx, so a phi keeps its digits where x ~ a (both huge)."""
    d = (x - a) / a
    lam = x / a  # far from 1, log(lambda) keeps the digits that log1p(d) loses to d ~ -1
    phi = xp.where(xp.abs(d) < 0.5, -_log1pmx(d, xp), (lam - 1.0) - xp.log(lam))
    phi = xp.maximum(phi, 0.0)
    log_d = -a * phi - 0.5 * xp.log(2 * math.pi * a) - _log_gamma_star(a, xp)
    eta = xp.copysign(xp.sqrt(2.0 * phi), d)
    return log_d, eta


def _gamma_series(a: Any, x: Any, xp: Any) -> Any:
    """sum_n x^n / ((a + 1) ... (a + n)), so that P = D * sum (x < a + 1 and small x/a)."""
    term = xp.ones_like(x)
    total = xp.ones_like(x)
    for n in range(1, 400):
        term = term * (x / (a + n))
        total = total + term
        if n % 8 == 0 and not bool(xp.any(term > total * 1e-17)):
            break
    return total


def _gamma_cf(a: Any, x: Any, xp: Any) -> Any:
    """The continued fraction 1/(x + 1 - a - 1(1 - a)/(x + 3 - a - 2(2 - a)/(x + 5 - a - ...)))
    by the modified Lentz method, so that Q = a D * cf (x > 1.1 and x > a)."""
    tiny = 1e-300
    b = x + 1.0 - a
    c = xp.full_like(x, 1.0 / tiny)
    d = 1.0 / xp.where(b == 0, tiny, b)
    h = d
    for n in range(1, 400):
        an = -n * (n - a)
        b = b + 2.0
        d = an * d + b
        d = 1.0 / xp.where(xp.abs(d) < tiny, tiny, d)
        c = b + an / c
        c = xp.where(xp.abs(c) < tiny, tiny, c)
        delta = d * c
        h = h * delta
        if n % 8 == 0 and not bool(xp.any(xp.abs(delta - 1.0) > 1e-16)):
            break
    return h


def _gamma_temme(a: Any, eta: Any, log_r: Any, xp: Any) -> tuple:
    """(P, Q) by Temme's expansion: Q = erfc(eta sqrt(a/2))/2 + R, P = erfc(-eta sqrt(a/2))/2 - R,
    R = e^(-a eta^2/2) / sqrt(2 pi a) sum_k c_k(eta) a^-k (DLMF 8.12.3, 8.12.8)."""
    coeffs = _temme_coefficients()
    inv_a = 1.0 / a
    total = xp.zeros_like(a)
    for ck in reversed(coeffs):
        total = total * inv_a + _poly(eta, ck)
    r = xp.exp(log_r) / xp.sqrt(2 * math.pi * a) * total
    arg = eta * xp.sqrt(0.5 * a)
    return 0.5 * erfc(-arg, xp) - r, 0.5 * erfc(arg, xp) + r


def _gamma_pq(a: Any, x: Any, xp: Any) -> tuple:
    """(P, Q) of the regularized incomplete gamma for arrays of one shape (float64), with
    PyTorch's conventions at the edges: nan for a < 0 or x < 0 (and a = x = 0), P = 1 for
    a = 0 < x, P = 0 at x = 0, P = 0 for a = inf (nan if x = inf too), P = 1 at x = inf."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        ok = (a > 0) & (x > 0) & xp.isfinite(a) & xp.isfinite(x)
        aa, xx = xp.where(ok, a, 1.0), xp.where(ok, x, 1.0)
        log_d, eta = _gamma_prefactor(aa, xx, xp)
        temme = (aa >= 20.0) & (xp.abs(eta) <= 1.0)
        cf = ~temme & (xx > 1.1) & (xx > aa)
        p, q = xp.zeros_like(aa), xp.zeros_like(aa)
        if bool(temme.any()):
            tp, tq = _gamma_temme(aa[temme], eta[temme], (-aa * eta * eta * 0.5)[temme], xp)
            p[temme], q[temme] = tp, tq
        if bool(cf.any()):
            ac, xc = aa[cf], xx[cf]
            qc = xp.exp(log_d[cf]) * ac * _gamma_cf(ac, xc, xp)
            p[cf], q[cf] = 1.0 - qc, qc
        series = ~temme & ~cf
        if bool(series.any()):
            a_s, x_s = aa[series], xx[series]
            small_a = a_s < 10.0  # log D directly, as log Gamma*(a) is then not much smaller
            log_ds = xp.where(small_a, a_s * xp.log(x_s) - x_s - _lgamma1p(a_s, xp), log_d[series])
            ps = xp.exp(log_ds) * _gamma_series(a_s, x_s, xp)
            qs = 1.0 - ps
            near0 = x_s <= 1.1
            if bool(near0.any()):  # Q = (1 - x^a/Gamma(a+1)) - x^a/Gamma(a) sum (-x)^n/(n!(a+n))
                a0, x0 = a_s[near0], x_s[near0]
                term, total = xp.ones_like(x0), xp.zeros_like(x0)
                for n in range(1, 40):
                    term = term * (-x0 / n)
                    total = total + term / (a0 + n)
                log_xa = a0 * xp.log(x0) - _lgamma1p(a0, xp)
                qs[near0] = -xp.expm1(log_xa) - a0 * xp.exp(log_xa) * total
            p[series], q[series] = ps, qs
        nan = math.nan  # PyTorch's tests, in its order (the first that holds wins)
        edge_p = xp.where(xp.isinf(x), 1.0, nan)
        edge_p = xp.where(xp.isinf(a), xp.where(xp.isinf(x), nan, 0.0), edge_p)
        edge_p = xp.where(x == 0, 0.0, edge_p)
        edge_p = xp.where(a == 0, xp.where(x > 0, 1.0, nan), edge_p)
        edge_p = xp.where((a < 0) | (x < 0), nan, edge_p)
        edge_q = xp.where(xp.isnan(edge_p), nan, 1.0 - edge_p)
        return xp.where(ok, p, edge_p), xp.where(ok, q, edge_q)


def _gamma_inc(a: Any, x: Any, xp: Any, upper: bool) -> Any:
    a, a_dtype = _as_float64(a, xp)
    x, x_dtype = _as_float64(x, xp)
    a, x = xp.broadcast_arrays(a, x)
    shape = a.shape
    p, q = _gamma_pq(a.reshape(-1), x.reshape(-1), xp)
    out = (q if upper else p).reshape(shape)
    return _cast(out, np.promote_types(a_dtype, x_dtype))


def gammainc(a: Any, x: Any, xp: Any) -> Any:
    """The regularized lower incomplete gamma function P(a, x) = 1/Gamma(a) int_0^x t^(a-1)
    e^-t dt, elementwise (broadcast)."""
    return _gamma_inc(a, x, xp, upper=False)


def gammaincc(a: Any, x: Any, xp: Any) -> Any:
    """The regularized upper incomplete gamma function Q(a, x) = 1 - P(a, x), computed
    directly where it is small."""
    return _gamma_inc(a, x, xp, upper=True)


# ------------------------------------------------------------------ orthogonal polynomials
#
# PyTorch's definitions, case by case (its Math.h): n is truncated to an integer (a non-finite n
# or one beyond int64 counts as negative), n < 0 gives 0, a few points have closed forms, the
# Chebyshev kinds use their trigonometric forms inside (-1, 1) past a small degree, and
# everything else runs the three-term recurrence, stopping early where it has turned nan. Each
# is computed in its own float dtype (float16 in float32), as PyTorch's, so overflow to inf and
# then nan happens where PyTorch's does. The recurrence runs max(n) - 1 steps over the elements
# that still need it: a huge degree is slow.


def _degrees(n: Any, xp: Any) -> Any:
    """PyTorch's int64 cast of the degree: truncation, and -1 for nan, +-inf and |n| >= 2^63
    (where the C++ cast gives INT64_MIN)."""
    n = xp.asarray(n)
    if not is_float(n.dtype):
        return n.astype(xp.int64)
    n64 = n.astype(xp.float64)
    ok = xp.isfinite(n64) & (xp.abs(n64) < 2.0**63)
    return xp.where(ok, xp.trunc(xp.where(ok, n64, -1.0)), -1.0).astype(xp.int64)


def _recurrence(x: Any, n: Any, p: Any, q: Any, step, xp: Any) -> Any:
    """q after the steps (p, q) <- (q, step(j, x, q, p)) for j = 1, ..., n - 1 (n >= 2), each
    element to its own n, dropping out early where q is nan (it would stay nan)."""
    out = q.copy()
    idx = xp.nonzero(n >= 2)[0]
    xa, na, pa, qa = x[idx], n[idx], p[idx], q[idx]
    j = 1
    while idx.size:
        r = step(j, xa, qa, pa)
        pa, qa = qa, r
        done = (na == j + 1) | xp.isnan(r)
        if bool(done.any()):
            out[idx[done]] = r[done]
            keep = ~done
            idx, xa, na, pa, qa = idx[keep], xa[keep], na[keep], pa[keep], qa[keep]
        j += 1
    return out


def _chebyshev(kind: str, x: Any, n: Any, xp: Any, shifted: bool) -> Any:
    """T, U, V or W (``kind``) at x (shifted: at y = 2x - 1, with PyTorch's shifted cases)."""
    y = x + x - 1.0 if shifted else x
    one = xp.ones_like(y)
    nf = n.astype(y.dtype)
    odd = (n % 2) == 1
    two_n1 = (2 * n + 1).astype(y.dtype)
    # the first two polynomials and the recurrence 2y r_k - r_(k-1)
    first = {"t": y, "u": y + y, "v": y + y - 1.0, "w": y + y + 1.0}[kind]
    loop = _recurrence(y, n, one, first, lambda j, yy, q, p: (yy + yy) * q - p, xp)
    out = xp.where(n == 1, first, loop)
    out = xp.where(n == 0, one, out)
    # the trigonometric forms inside (-1, 1), t = arccos y
    t = xp.arccos(xp.clip(y, -1.0, 1.0))
    if kind == "t":
        trig = xp.cos(nf * t)
    elif kind == "u":
        s = xp.sin(t)
        trig = xp.where(
            s != 0,
            xp.sin((nf + 1) * t) / xp.where(s != 0, s, 1.0),
            (nf + 1) * xp.cos((nf + 1) * t) / y,
        )
    elif kind == "v":
        trig = xp.where(
            xp.sin(t / 2) != 1,
            xp.cos((nf + 0.5) * t) / xp.cos(t / 2),
            xp.where(odd, -two_n1, two_n1),
        )
    else:
        at_one = (
            xp.where(odd, -one, one)
            if shifted
            else xp.where(y > 0, two_n1, xp.where(odd, -one, one))
        )
        trig = xp.where(xp.cos(t / 2) != 1, xp.sin((nf + 0.5) * t) / xp.sin(t / 2), at_one)
    threshold = {"t": 6, "u": 8, "v": 8, "w": 8}[kind]
    if shifted:
        threshold = 4 if kind == "w" else 6
    out = xp.where((n > threshold) & (xp.abs(y) < 1), trig, out)
    # the end points: x = +-1 (shifted: x = 1 and x = 0)
    hi = {"t": one, "u": nf + 1, "v": one, "w": two_n1}[kind]
    lo = {
        "t": xp.where(odd, -one, one),
        "u": xp.where(odd, -(nf + 1), nf + 1),
        "v": xp.where(odd, -two_n1, two_n1),
        "w": xp.where(odd, -one, one),
    }[kind]
    if shifted:
        out = xp.where(x == 0, lo, out)
        out = xp.where(x == 1, hi, out)
    else:
        out = xp.where(xp.abs(x) == 1, xp.where(x > 0, hi, lo), out)
    return xp.where(n < 0, 0.0, out)


def _polynomial_args(x: Any, n: Any, xp: Any) -> tuple:
    """x in its working dtype (float16 in float32) and n as int64, broadcast and flattened, with
    the shape and dtype to return."""
    x = xp.asarray(x)
    out_dtype = x.dtype if is_float(x.dtype) else xp.dtype(xp.float64)
    work = xp.float32 if out_dtype == xp.float16 else out_dtype
    x, n = xp.broadcast_arrays(x.astype(work, copy=False), _degrees(n, xp))
    return x.reshape(-1), n.reshape(-1), x.shape, out_dtype


def _polynomial(fn):
    """Wrap ``fn(x, n, xp)`` on flat arrays into the public (x, n, xp) -> array form."""

    @functools.wraps(fn)
    def wrapper(x: Any, n: Any, xp: Any) -> Any:
        x, n, shape, out_dtype = _polynomial_args(x, n, xp)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            out = fn(x, n, xp)
        return out.reshape(shape).astype(out_dtype, copy=False)

    return wrapper


@_polynomial
def chebyshev_polynomial_t(x: Any, n: Any, xp: Any) -> Any:
    """The Chebyshev polynomial of the first kind T_n(x)."""
    return _chebyshev("t", x, n, xp, shifted=False)


@_polynomial
def chebyshev_polynomial_u(x: Any, n: Any, xp: Any) -> Any:
    """The Chebyshev polynomial of the second kind U_n(x)."""
    return _chebyshev("u", x, n, xp, shifted=False)


@_polynomial
def chebyshev_polynomial_v(x: Any, n: Any, xp: Any) -> Any:
    """The Chebyshev polynomial of the third kind V_n(x)."""
    return _chebyshev("v", x, n, xp, shifted=False)


@_polynomial
def chebyshev_polynomial_w(x: Any, n: Any, xp: Any) -> Any:
    """The Chebyshev polynomial of the fourth kind W_n(x)."""
    return _chebyshev("w", x, n, xp, shifted=False)


@_polynomial
def shifted_chebyshev_polynomial_t(x: Any, n: Any, xp: Any) -> Any:
    """T_n(2x - 1)."""
    return _chebyshev("t", x, n, xp, shifted=True)


@_polynomial
def shifted_chebyshev_polynomial_u(x: Any, n: Any, xp: Any) -> Any:
    """U_n(2x - 1)."""
    return _chebyshev("u", x, n, xp, shifted=True)


@_polynomial
def shifted_chebyshev_polynomial_v(x: Any, n: Any, xp: Any) -> Any:
    """V_n(2x - 1)."""
    return _chebyshev("v", x, n, xp, shifted=True)


@_polynomial
def shifted_chebyshev_polynomial_w(x: Any, n: Any, xp: Any) -> Any:
    """W_n(2x - 1)."""
    return _chebyshev("w", x, n, xp, shifted=True)


def _hermite(x: Any, n: Any, xp: Any, physicists: bool) -> Any:
    """H_n (``physicists``) or He_n; nan past PyTorch's degree limit (512 in float64, 128 in
    float32), where its values overflow anyway."""
    one = xp.ones_like(x)
    first = x + x if physicists else x
    if physicists:  # H_(k+1) = 2x H_k - 2k H_(k-1)

        def step(j, xx, q, p):
            return (xx + xx) * q - (2 * j) * p

    else:  # He_(k+1) = x He_k - k He_(k-1)

        def step(j, xx, q, p):
            return xx * q - j * p

    limit = 512 if x.dtype == xp.float64 else 128
    loop = _recurrence(x, xp.where(n > limit, 0, n), one, first, step, xp)
    out = xp.where(n > limit, math.nan, loop)
    out = xp.where(n == 1, first, out)
    out = xp.where(n == 0, one, out)
    return xp.where(n < 0, 0.0, out)


@_polynomial
def hermite_polynomial_h(x: Any, n: Any, xp: Any) -> Any:
    """The physicists' Hermite polynomial H_n(x)."""
    return _hermite(x, n, xp, physicists=True)


@_polynomial
def hermite_polynomial_he(x: Any, n: Any, xp: Any) -> Any:
    """The probabilists' Hermite polynomial He_n(x)."""
    return _hermite(x, n, xp, physicists=False)


@_polynomial
def laguerre_polynomial_l(x: Any, n: Any, xp: Any) -> Any:
    """The Laguerre polynomial L_n(x); 1 at x = 0."""
    one = xp.ones_like(x)

    def step(j, xx, q, p):  # (k+1) L_(k+1) = (2k + 1 - x) L_k - k L_(k-1)
        return (((j + j) + (1.0 - xx)) * q - j * p) / (j + 1)

    out = _recurrence(x, n, one, 1.0 - x, step, xp)
    out = xp.where(n == 1, 1.0 - x, out)
    out = xp.where((n == 0) | (x == 0), one, out)
    return xp.where(n < 0, 0.0, out)


@_polynomial
def legendre_polynomial_p(x: Any, n: Any, xp: Any) -> Any:
    """The Legendre polynomial P_n(x)."""
    one = xp.ones_like(x)

    def step(j, xx, q, p):  # (k+1) P_(k+1) = (2k + 1) x P_k - k P_(k-1)
        return ((j + j + 1) * xx * q - j * p) / (j + 1)

    out = _recurrence(x, n, one, x, step, xp)
    out = xp.where(n == 1, x, out)
    out = xp.where(n == 0, one, out)
    odd = (n % 2) == 1
    out = xp.where(xp.abs(x) == 1, xp.where((x > 0) | ~odd, one, -one), out)
    return xp.where(n < 0, 0.0, out)
