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

from collections.abc import Sequence
from typing import Any

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
