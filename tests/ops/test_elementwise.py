"""Elementwise ops against PyTorch and finite differences (see tests/op_harness.py).

Inputs are kept away from kinks and poles by the generators: ``positive`` for log/sqrt,
``away_from_zero`` for abs/relu/sign, ``distinct`` for maximum/minimum, ``off_grid`` (values
at least 0.1 from every multiple of 0.5) for floor/round/remainder/clamp at integer bounds.
"""

import math

import numpy as np
import pytest

import tensorgrad as tg
from tests.op_harness import (
    BINARY,
    UNARY,
    Const,
    OpSpec,
    away_from_zero,
    distinct,
    make_tests,
    normal,
    positive,
    torch,
)

# NumPy warns on nan/inf results (sqrt(-1), 1/0, exp(1000)) where PyTorch is silent; the tests
# at poles and overflows below make them on purpose.
pytestmark = pytest.mark.filterwarnings("ignore:.*encountered in:RuntimeWarning")


def off_grid(rng, shape):
    """sign * (k + f) with k in {0, 1, 2} and f in [0.1, 0.4] or [0.6, 0.9]: at least 0.1 from
    every integer and half-integer (the steps of floor, round, % 2 and integer clamp bounds)."""
    f = rng.uniform(0.1, 0.4, shape) + 0.5 * rng.integers(0, 2, shape)
    return rng.choice([-1.0, 1.0], shape) * (rng.integers(0, 3, shape) + f)


def small(rng, shape):
    """|x| <= 1.2, well inside tan's (-pi/2, pi/2)."""
    return rng.uniform(-1.2, 1.2, shape)


def above_minus_one(rng, shape):
    return rng.uniform(-0.6, 2.0, shape)


def inside_unit(rng, shape):
    """|x| <= 0.9, inside the domain of asin, acos and atanh and away from its ends."""
    return rng.uniform(-0.9, 0.9, shape)


def above_one(rng, shape):
    """x in [1.2, 3], inside acosh's domain [1, inf) and away from its pole at 1."""
    return rng.uniform(1.2, 3.0, shape)


def _mask(shape):
    return Const(lambda rng: np.asarray(rng.random(shape) < 0.5))


def _rmod(lib, a, d):
    return a % d if lib is tg else a - (a / d).floor() * d


BIG = [UNARY[-1]]  # one case for the functional aliases of an op tested fully by its method
SCALAR_CASES = [((),), ((2, 3),), ((4, 2, 3),)]
# the divisor is d = 0.01 b + 2 (or - 2), in [1.97, 2.03]: a / d stays 0.04 from integers
_DIV = 0.01

OPS = [
    # ------------------------------------------------------------------ tensor-tensor arithmetic
    OpSpec("__add__", lambda lib, a, b: a + b, BINARY, covers=("add",)),
    OpSpec("__sub__", lambda lib, a, b: a - b, BINARY, covers=("sub", "subtract")),
    OpSpec("__mul__", lambda lib, a, b: a * b, BINARY, covers=("mul", "multiply")),
    OpSpec("__truediv__", lambda lib, a, b: a / b, BINARY, gen=positive, covers=("div",)),
    OpSpec(
        "__mod__",
        lambda lib, a, b: a % (b * _DIV + 2.0),
        BINARY,
        gen=off_grid,
        covers=("remainder",),
    ),
    OpSpec("__pow__", lambda lib, a, b: a**b, BINARY, gen=positive, covers=("pow",)),
    OpSpec("add", lambda lib, a, b: a.add(b, alpha=0.5), BINARY[:4]),
    OpSpec("sub", lambda lib, a, b: a.sub(b, alpha=2), BINARY[:4]),
    OpSpec("subtract", lambda lib, a, b: a.subtract(b), BINARY[:2]),
    OpSpec("mul", lambda lib, a, b: a.mul(b), BINARY[:2]),
    OpSpec("multiply", lambda lib, a, b: a.multiply(b), BINARY[:2]),
    OpSpec("div", lambda lib, a, b: a.div(b), BINARY[:2], gen=positive),
    OpSpec("divide", lambda lib, a, b: a.divide(b), BINARY[:2], gen=positive),
    OpSpec("true_divide", lambda lib, a, b: a.true_divide(b), BINARY[:2], gen=positive),
    OpSpec(
        "remainder",
        lambda lib, a, b: a.remainder(b * _DIV - 2.0),
        BINARY[:4],
        gen=off_grid,
    ),
    OpSpec("fmod", lambda lib, a, b: a.fmod(b * _DIV + 2.0), BINARY, gen=off_grid),
    OpSpec("pow", lambda lib, a, b: a.pow(b), BINARY[:4], gen=positive),
    # ------------------------------------------------------------------ tensor-scalar arithmetic
    OpSpec("__add__", lambda lib, x: x + 1.5, SCALAR_CASES),
    OpSpec("__radd__", lambda lib, x: 2 + x, SCALAR_CASES),
    OpSpec("__sub__", lambda lib, x: x - 0.5, SCALAR_CASES),
    OpSpec("__rsub__", lambda lib, x: 2.5 - x, SCALAR_CASES),
    OpSpec("__mul__", lambda lib, x: x * 2.5, SCALAR_CASES),
    OpSpec("__rmul__", lambda lib, x: 3 * x, SCALAR_CASES),
    OpSpec("__truediv__", lambda lib, x: x / 4.0, SCALAR_CASES),
    OpSpec("__rtruediv__", lambda lib, x: 1.5 / x, SCALAR_CASES, gen=away_from_zero),
    OpSpec("__mod__", lambda lib, x: x % 2.0, SCALAR_CASES, gen=off_grid),
    OpSpec("__mod__", lambda lib, x: x % -2.0, SCALAR_CASES, gen=off_grid),
    OpSpec(  # PyTorch has no derivative for remainder(Scalar, Tensor): a - floor(a / d) d
        "__rmod__",
        lambda lib, x: _rmod(lib, 7.3, x * _DIV + 2.0),
        SCALAR_CASES,
        gen=off_grid,
    ),
    OpSpec("fmod", lambda lib, x: x.fmod(2.0), SCALAR_CASES, gen=off_grid),
    OpSpec("fmod", lambda lib, x: x.fmod(-2.0), SCALAR_CASES, gen=off_grid),
    OpSpec("remainder", lambda lib, x: x.remainder(2.0), SCALAR_CASES, gen=off_grid),
    OpSpec("__pow__", lambda lib, x: x**3, SCALAR_CASES),
    OpSpec("__pow__", lambda lib, x: x**2, SCALAR_CASES),
    OpSpec("__pow__", lambda lib, x: x**0, SCALAR_CASES),
    OpSpec("__pow__", lambda lib, x: x**1, SCALAR_CASES),
    OpSpec("__pow__", lambda lib, x: x**0.5, SCALAR_CASES, gen=positive),
    OpSpec("__pow__", lambda lib, x: x**-1.5, SCALAR_CASES, gen=positive),
    OpSpec("__pow__", lambda lib, x: x**-2, SCALAR_CASES, gen=away_from_zero),
    OpSpec("__rpow__", lambda lib, x: 2.0**x, SCALAR_CASES),
    OpSpec("__rpow__", lambda lib, x: 3**x, SCALAR_CASES),
    OpSpec("pow", lambda lib, x: x.pow(2.5), SCALAR_CASES, gen=positive),
    # ------------------------------------------------------------------ unary
    OpSpec("__neg__", lambda lib, x: -x, UNARY),
    OpSpec("neg", lambda lib, x: x.neg(), BIG),
    OpSpec("negative", lambda lib, x: x.negative(), BIG),
    OpSpec("__pos__", lambda lib, x: +x * 1.0, BIG),
    OpSpec("abs", lambda lib, x: x.abs(), gen=away_from_zero),
    OpSpec("absolute", lambda lib, x: x.absolute(), BIG, gen=away_from_zero),
    OpSpec("__abs__", lambda lib, x: abs(x), BIG, gen=away_from_zero),
    OpSpec("exp", lambda lib, x: x.exp()),
    OpSpec("log", lambda lib, x: x.log(), gen=positive),
    OpSpec("log2", lambda lib, x: x.log2(), gen=positive),
    OpSpec("log10", lambda lib, x: x.log10(), gen=positive),
    OpSpec("log1p", lambda lib, x: x.log1p(), gen=above_minus_one),
    OpSpec("expm1", lambda lib, x: x.expm1()),
    OpSpec("sqrt", lambda lib, x: x.sqrt(), gen=positive),
    OpSpec("rsqrt", lambda lib, x: x.rsqrt(), gen=positive),
    OpSpec("sin", lambda lib, x: x.sin()),
    OpSpec("cos", lambda lib, x: x.cos()),
    OpSpec("tan", lambda lib, x: x.tan(), gen=small),
    OpSpec("tanh", lambda lib, x: x.tanh()),
    OpSpec("sigmoid", lambda lib, x: x.sigmoid()),
    OpSpec("relu", lambda lib, x: x.relu(), gen=away_from_zero),
    OpSpec("erf", lambda lib, x: x.erf()),
    OpSpec("reciprocal", lambda lib, x: x.reciprocal(), gen=away_from_zero),
    OpSpec("square", lambda lib, x: x.square()),
    OpSpec("sign", lambda lib, x: x.sign(), gen=away_from_zero),
    OpSpec("floor", lambda lib, x: x.floor(), gen=off_grid),
    OpSpec("ceil", lambda lib, x: x.ceil(), gen=off_grid),
    OpSpec("round", lambda lib, x: x.round(), gen=off_grid),
    OpSpec("round", lambda lib, x: x.round(decimals=1), BIG, gen=lambda r, s: off_grid(r, s) / 10),
    OpSpec("trunc", lambda lib, x: x.trunc(), gen=off_grid),
    # ------------------------------------------------------------------ activations
    OpSpec("gelu", lambda lib, x: lib.nn.functional.gelu(x)),
    OpSpec("gelu", lambda lib, x: lib.nn.functional.gelu(x, approximate="tanh")),
    OpSpec("silu", lambda lib, x: lib.nn.functional.silu(x)),
    OpSpec("softplus", lambda lib, x: lib.nn.functional.softplus(x)),
    OpSpec(  # beta * x > threshold takes the linear branch: values up to 2.9, kink at x = 1
        "softplus",
        lambda lib, x: lib.nn.functional.softplus(x, beta=2.0, threshold=2.0),
        gen=off_grid,
    ),
    OpSpec(  # large inputs: the linear branch at the default threshold, no overflow below it
        "softplus",
        lambda lib, x: lib.nn.functional.softplus(x * 10.0),
        BIG,
        gen=off_grid,
    ),
    OpSpec("elu", lambda lib, x: lib.nn.functional.elu(x), gen=away_from_zero),
    OpSpec("elu", lambda lib, x: lib.nn.functional.elu(x, alpha=0.5), BIG, gen=away_from_zero),
    OpSpec("leaky_relu", lambda lib, x: lib.nn.functional.leaky_relu(x), gen=away_from_zero),
    OpSpec(
        "leaky_relu",
        lambda lib, x: lib.nn.functional.leaky_relu(x, 0.2),
        BIG,
        gen=away_from_zero,
    ),
    OpSpec("relu", lambda lib, x: lib.nn.functional.relu(x), BIG, gen=away_from_zero),
    OpSpec("sigmoid", lambda lib, x: lib.nn.functional.sigmoid(x), BIG),
    OpSpec("tanh", lambda lib, x: lib.nn.functional.tanh(x), BIG),
    # ------------------------------------------------------------------ clamp
    OpSpec("clamp", lambda lib, x: x.clamp(-1.0, 1.0), gen=off_grid, covers=("clip",)),
    OpSpec("clamp", lambda lib, x: x.clamp(min=0.0), gen=away_from_zero),
    OpSpec("clamp", lambda lib, x: x.clamp(max=1), gen=off_grid),
    OpSpec("clip", lambda lib, x: x.clip(-2, 0.0), BIG, gen=off_grid),
    OpSpec(
        "clamp",
        lambda lib, x, lo, hi: x.clamp(lo - 1.0, hi + 1.0),
        [((2, 3), (2, 3), (2, 3)), ((4, 2, 3), (2, 3), (1,)), ((), (2, 3), (2, 3))],
    ),
    OpSpec("clamp", lambda lib, x, lo: x.clamp(min=lo), [((2, 3), (2, 3)), ((2, 3), ())]),
    OpSpec("clamp", lambda lib, x, hi: x.clamp(max=hi), [((2, 3), (2, 3)), ((), (2, 3))]),
    OpSpec("clip", lambda lib, x, lo, hi: x.clip(lo - 1.0, hi + 1.0), [((2, 3),) * 3]),
    # ------------------------------------------------------------------ maximum, minimum, where
    OpSpec("maximum", lambda lib, a, b: a.maximum(b), BINARY, gen=distinct),
    OpSpec("minimum", lambda lib, a, b: a.minimum(b), BINARY, gen=distinct),
    OpSpec("max", lambda lib, a, b: a.max(b), BINARY[:2], gen=distinct),
    OpSpec("min", lambda lib, a, b: a.min(b), BINARY[:2], gen=distinct),
    OpSpec(
        "where",
        lambda lib, m, a, b: lib.where(m, a, b),
        [
            (_mask((2, 3)), (2, 3), (2, 3)),
            (_mask((2, 3)), (), (2, 3)),
            (_mask((3, 1)), (1, 3), (4, 1, 1)),
            (_mask(()), (2, 3), (1,)),
            (_mask((4, 2, 3)), (2, 3), ()),
        ],
    ),
    OpSpec("where", lambda lib, m, x: x.where(m, 1.5), [(_mask((2, 3)), (2, 3))]),
    OpSpec(
        "where",
        lambda lib, m, x: lib.where(m, 0.0, x),
        [(_mask((2, 3)), (2, 3)), (_mask((4, 1, 3)), (2, 3)), (_mask(()), ())],
    ),
    OpSpec("where", lambda lib, m, x: lib.where(m, x, -2), [(_mask((2, 3)), (4, 2, 3))]),
    # ------------------------------------------------------------------ lerp
    OpSpec("lerp", lambda lib, a, b: a.lerp(b, 0.3), BINARY[:4]),
    OpSpec(
        "lerp",
        lambda lib, a, b, w: a.lerp(b, w),
        [((2, 3), (2, 3), (2, 3)), ((2, 3), (), (2, 3)), ((3, 1), (1, 3), ())],
    ),
]

# ---------------------------------------------------------------------- inverse trig, hyperbolic,
# two-argument and special functions
OPS += [
    OpSpec("asin", lambda lib, x: x.asin(), gen=inside_unit),
    OpSpec("arcsin", lambda lib, x: x.arcsin(), BIG, gen=inside_unit),
    OpSpec("acos", lambda lib, x: x.acos(), gen=inside_unit),
    OpSpec("arccos", lambda lib, x: x.arccos(), BIG, gen=inside_unit),
    OpSpec("atan", lambda lib, x: x.atan()),
    OpSpec("arctan", lambda lib, x: x.arctan(), BIG),
    OpSpec("sinh", lambda lib, x: x.sinh()),
    OpSpec("cosh", lambda lib, x: x.cosh()),
    OpSpec("asinh", lambda lib, x: x.asinh()),
    OpSpec("arcsinh", lambda lib, x: x.arcsinh(), BIG),
    OpSpec("acosh", lambda lib, x: x.acosh(), gen=above_one),
    OpSpec("arccosh", lambda lib, x: x.arccosh(), BIG, gen=above_one),
    OpSpec("atanh", lambda lib, x: x.atanh(), gen=inside_unit),
    OpSpec("arctanh", lambda lib, x: x.arctanh(), BIG, gen=inside_unit),
    OpSpec("erfc", lambda lib, x: x.erfc()),
    OpSpec("erfc", lambda lib, x: (x * 3.0).erfc(), BIG),  # into the tail, erfc(6) ~ 2e-17
    OpSpec("sinc", lambda lib, x: x.sinc(), gen=away_from_zero),
    OpSpec(  # |x| in [0.04, 0.09]: the gradient's series branch (torch's is fine this far out)
        "sinc",
        lambda lib, x: x.sinc(),
        BIG,
        gen=lambda r, s: r.choice([-1.0, 1.0], s) * r.uniform(0.04, 0.09, s),
    ),
    OpSpec("deg2rad", lambda lib, x: x.deg2rad()),
    OpSpec("rad2deg", lambda lib, x: x.rad2deg()),
    OpSpec("frac", lambda lib, x: x.frac(), gen=off_grid),
    # x sgn(x) = |x|: torch's gradient of sgn alone is a ZeroTensor, which has no numpy()
    OpSpec("sgn", lambda lib, x: x.sgn() * x, BIG, gen=away_from_zero),
    # NaN from log of the negative half: replaced, and no gradient flows there
    OpSpec("nan_to_num", lambda lib, x: x.log().nan_to_num(), gen=away_from_zero),
    OpSpec(
        "nan_to_num",
        lambda lib, m, x: lib.where(m, x, math.inf).nan_to_num(nan=0.5, posinf=3.0),
        [(_mask((2, 3)), (2, 3)), (_mask((4, 2, 3)), (4, 2, 3))],
    ),
    OpSpec(
        "nan_to_num",
        lambda lib, m, x: lib.where(m, x, -math.inf).nan_to_num(neginf=-2.0),
        [(_mask((2, 3)), (2, 3))],
    ),
    OpSpec("atan2", lambda lib, a, b: a.atan2(b), BINARY, gen=away_from_zero),
    OpSpec("arctan2", lambda lib, a, b: a.arctan2(b), BINARY[:4], gen=away_from_zero),
    OpSpec("hypot", lambda lib, a, b: a.hypot(b), BINARY, gen=away_from_zero),
    OpSpec("logaddexp", lambda lib, a, b: a.logaddexp(b), BINARY),
    OpSpec("logaddexp", lambda lib, a, b: (a * 30.0).logaddexp(b * 30.0), BINARY[:2]),
    OpSpec("logaddexp2", lambda lib, a, b: a.logaddexp2(b), BINARY),
]


# ---------------------------------------------------------------------- gamma family, inverse
# error functions, logit, xlogy, Bessel I0 (tensorgrad/_special.py) and torch.special's names


def unit_interval(rng, shape):
    """p in [0.02, 0.98]: inside the domain of logit and ndtri, away from its ends."""
    return rng.uniform(0.02, 0.98, shape)


def off_logit_eps(rng, shape):
    """x in [-0.1, 0.1], [0.3, 0.7] or [0.9, 1.1]: inside and outside [0.2, 0.8] (logit's eps
    clamp), at least 0.1 from its kinks."""
    return rng.choice([0.0, 0.5, 1.0], shape) + rng.uniform(-0.1, 0.1, shape) * rng.choice(
        [1.0, 2.0], shape
    )


def _zeros_in(lib, m, a):
    return lib.where(m, a, 0.0)


OPS += [
    # off_grid keeps x at least 0.1 from the poles at 0, -1, -2
    OpSpec("lgamma", lambda lib, x: x.lgamma(), gen=off_grid),
    OpSpec("lgamma", lambda lib, x: (x * 20.0).lgamma(), BIG, gen=positive),  # Lanczos range
    OpSpec("digamma", lambda lib, x: x.digamma(), gen=off_grid),
    OpSpec("polygamma", lambda lib, x: x.polygamma(1), gen=off_grid),
    OpSpec("polygamma", lambda lib, x: x.polygamma(2), BIG, gen=off_grid),
    OpSpec("polygamma", lambda lib, x: (x * 10.0).polygamma(3), BIG, gen=positive),
    OpSpec("mvlgamma", lambda lib, x: x.mvlgamma(3), gen=above_one),
    OpSpec("erfinv", lambda lib, x: x.erfinv(), gen=inside_unit),
    OpSpec(  # the tails, where the Newton steps work on log erfc
        "erfinv",
        lambda lib, x: x.erfinv(),
        BIG,
        gen=lambda r, s: r.choice([-1.0, 1.0], s) * (1 - 10.0 ** r.uniform(-4, -1, s)),
        gradcheck_atol=1e-3,
    ),
    OpSpec("logit", lambda lib, x: x.logit(), gen=unit_interval),
    OpSpec("logit", lambda lib, x: x.logit(eps=0.2), gen=off_logit_eps),
    OpSpec("xlogy", lambda lib, a, b: a.xlogy(b), BINARY, gen=positive),
    OpSpec(  # zeros in self: the value and its gradient are 0 there
        "xlogy",
        lambda lib, m, a, b: _zeros_in(lib, m, a).xlogy(b),
        [(_mask((2, 3)), (2, 3), (2, 3)), (_mask((4, 2, 3)), (4, 2, 3), (1,))],
        gen=positive,
    ),
    OpSpec("xlogy", lambda lib, a: a.xlogy(2.5), BIG),
    OpSpec("i0", lambda lib, x: x.i0()),
    OpSpec("i0", lambda lib, x: (x * 20.0).i0(), BIG, atol=1e-2),  # the asymptotic branch
    OpSpec("special.i1", lambda lib, x: lib.special.i1(x * 20.0), BIG, atol=1e-2),
    OpSpec("special.ndtri", lambda lib, x: lib.special.ndtri(x), gen=unit_interval),
    OpSpec(  # p = e^x down to 1e-30: the lower tail, solved on log erfc
        "special.ndtri",
        lambda lib, x: lib.special.ndtri(x.exp()),
        BIG,
        gen=lambda r, s: r.uniform(-69.0, -4.0, s),
    ),
    OpSpec("special.log_ndtr", lambda lib, x: lib.special.log_ndtr(x)),
    OpSpec("special.log_ndtr", lambda lib, x: lib.special.log_ndtr(x * 10.0), BIG),
]


def _special_fn(name, *args, gen=normal, n=1, **kwargs):
    def fn(lib, *xs):
        return getattr(lib.special, name)(*xs, *args, **kwargs)

    cases = BIG if n == 1 else [((2, 3), (2, 3)), ((4, 2, 3), (1,))]
    return OpSpec(f"special.{name}", fn, cases, gen=gen)


OPS += [
    _special_fn("erf"),
    _special_fn("erfc"),
    _special_fn("erfinv", gen=inside_unit),
    _special_fn("expit"),
    _special_fn("logit", gen=unit_interval),
    _special_fn("logit", eps=0.2, gen=off_logit_eps),
    _special_fn("xlogy", n=2, gen=positive),
    OpSpec("special.xlogy", lambda lib, b: lib.special.xlogy(2.0, b), BIG, gen=positive),
    _special_fn("gammaln", gen=off_grid),
    _special_fn("digamma", gen=off_grid),
    _special_fn("psi", gen=off_grid),
    OpSpec("special.polygamma", lambda lib, x: lib.special.polygamma(2, x), BIG, gen=off_grid),
    _special_fn("multigammaln", 2, gen=above_one),
    _special_fn("log1p", gen=positive),
    _special_fn("expm1"),
    _special_fn("exp2"),
    _special_fn("ndtr"),
    _special_fn("ndtri", gen=unit_interval),
    _special_fn("log_ndtr"),
    _special_fn("sinc", gen=away_from_zero),
    _special_fn("round", gen=off_grid),
    _special_fn("round", decimals=1, gen=lambda r, s: off_grid(r, s) / 10),
    _special_fn("softmax", 1),
    _special_fn("softmax", -1, dtype=None),
    _special_fn("log_softmax", 1),
    _special_fn("logsumexp", (0, 1)),
    _special_fn("i0"),
    _special_fn("i1"),
]

# ---------------------------------------------------------------------- functional forms
# ``torch.exp(x)`` and friends, where torch has a function of the same name


def _functional(name, *args, n=1, gen=normal, **kwargs):
    def fn(lib, *xs):
        return getattr(lib, name)(*xs, *args, **kwargs)

    cases = BIG if n == 1 else [((2, 3), (2, 3)), ((4, 2, 3), (1,))]
    return OpSpec(f"lib.{name}", fn, cases, gen=gen, covers=(name,))


OPS += [
    _functional("abs", gen=away_from_zero),
    _functional("absolute", gen=away_from_zero),
    _functional("neg"),
    _functional("negative"),
    _functional("exp"),
    _functional("log", gen=positive),
    _functional("log2", gen=positive),
    _functional("log10", gen=positive),
    _functional("log1p", gen=positive),
    _functional("expm1"),
    _functional("sqrt", gen=positive),
    _functional("rsqrt", gen=positive),
    _functional("sin"),
    _functional("cos"),
    _functional("tan", gen=small),
    _functional("tanh"),
    _functional("sigmoid"),
    _functional("relu", gen=away_from_zero),
    _functional("erf"),
    _functional("reciprocal", gen=away_from_zero),
    _functional("square"),
    _functional("sign", gen=away_from_zero),
    _functional("floor", gen=off_grid),
    _functional("ceil", gen=off_grid),
    _functional("round", gen=off_grid),
    _functional("trunc", gen=off_grid),
    _functional("clamp", -1.0, 1.0, gen=off_grid),
    _functional("clip", max=1.0, gen=off_grid),
    _functional("pow", 3),
    _functional("remainder", 2.0, gen=off_grid),
    _functional("fmod", -2.0, gen=off_grid),
    _functional("add", n=2),
    _functional("add", n=2, alpha=-1.5),
    _functional("sub", n=2),
    _functional("subtract", n=2),
    _functional("mul", n=2),
    _functional("multiply", n=2),
    _functional("div", n=2, gen=positive),
    _functional("divide", n=2, gen=positive),
    _functional("true_divide", n=2, gen=positive),
    _functional("pow", n=2, gen=positive),
    _functional("maximum", n=2, gen=distinct),
    _functional("minimum", n=2, gen=distinct),
    _functional("lerp", 0.75, n=2),
    _functional("erfc"),
    _functional("asin", gen=inside_unit),
    _functional("arcsin", gen=inside_unit),
    _functional("acos", gen=inside_unit),
    _functional("arccos", gen=inside_unit),
    _functional("atan"),
    _functional("arctan"),
    _functional("sinh"),
    _functional("cosh"),
    _functional("asinh"),
    _functional("arcsinh"),
    _functional("acosh", gen=above_one),
    _functional("arccosh", gen=above_one),
    _functional("atanh", gen=inside_unit),
    _functional("arctanh", gen=inside_unit),
    _functional("sinc", gen=away_from_zero),
    _functional("deg2rad"),
    _functional("rad2deg"),
    _functional("frac", gen=off_grid),
    OpSpec("lib.sgn", lambda lib, x: lib.sgn(x) * x, BIG, gen=away_from_zero, covers=("sgn",)),
    _functional("nan_to_num", 1.0, 2.0, -2.0),
    _functional("atan2", n=2, gen=away_from_zero),
    _functional("arctan2", n=2, gen=away_from_zero),
    _functional("hypot", n=2, gen=away_from_zero),
    _functional("logaddexp", n=2),
    _functional("logaddexp2", n=2),
    _functional("lgamma", gen=off_grid),
    _functional("digamma", gen=off_grid),
    OpSpec(
        "lib.polygamma",
        lambda lib, x: lib.polygamma(1, x),
        BIG,
        gen=off_grid,
        covers=("polygamma",),
    ),
    _functional("mvlgamma", 2, gen=above_one),
    _functional("erfinv", gen=inside_unit),
    _functional("logit", gen=unit_interval),
    _functional("logit", 0.2, gen=off_logit_eps),
    _functional("xlogy", n=2, gen=positive),
    OpSpec("lib.xlogy", lambda lib, b: lib.xlogy(3.0, b), BIG, gen=positive, covers=("xlogy",)),
    _functional("i0"),
]


# ---------------------------------------------------------------------- addcmul, copysign,
# float_power, fmax/fmin, exp2, ldexp, frexp, dist, renorm, rsub and friends


def exponents(shape):
    """Integer exponents in [0, 3] (ldexp's other). PyTorch's ldexp gradient is 0 for negative
    integer exponents (it computes 2^other in integers): test_ldexp_gradient covers them."""
    return Const(lambda rng: rng.integers(0, 4, shape))


THREE = [((2, 3), (2, 3), (2, 3)), ((4, 2, 3), (1,), (2, 3)), ((), (3, 1), (1, 3))]
MATRICES = [((3, 4),), ((4, 2, 3),)]

OPS += [
    OpSpec("addcmul", lambda lib, a, b, c: a.addcmul(b, c), THREE),
    OpSpec("addcmul", lambda lib, a, b, c: a.addcmul(b, c, value=-0.5), THREE[:2]),
    OpSpec("addcdiv", lambda lib, a, b, c: a.addcdiv(b, c), THREE, gen=positive),
    OpSpec("addcdiv", lambda lib, a, b, c: a.addcdiv(b, c, value=2.5), THREE[:2], gen=positive),
    OpSpec("clamp_min", lambda lib, x: x.clamp_min(0.5), gen=off_grid),
    OpSpec("clamp_min", lambda lib, x, lo: x.clamp_min(lo), BINARY[:3], gen=distinct),
    OpSpec("clamp_max", lambda lib, x: x.clamp_max(-0.5), gen=off_grid),
    OpSpec("clamp_max", lambda lib, x, hi: x.clamp_max(hi), BINARY[:3], gen=distinct),
    OpSpec("copysign", lambda lib, a, b: a.copysign(b), BINARY, gen=away_from_zero),
    OpSpec("copysign", lambda lib, x: x.copysign(-1.5), BIG, gen=away_from_zero),
    OpSpec("copysign", lambda lib, x: x.copysign(-0.0), BIG, gen=away_from_zero),
    OpSpec("float_power", lambda lib, a, b: a.float_power(b), BINARY[:4], gen=positive),
    OpSpec("float_power", lambda lib, x: x.float_power(3), BIG),
    OpSpec("float_power", lambda lib, x: x.float_power(-1.5), BIG, gen=positive),
    OpSpec("fmax", lambda lib, a, b: a.fmax(b), BINARY, gen=distinct),
    OpSpec("fmin", lambda lib, a, b: a.fmin(b), BINARY, gen=distinct),
    OpSpec(  # NaN on either side: the other operand, and its gradient, win
        "fmax",
        lambda lib, m, a, b: lib.where(m, a, math.nan).fmax(b),
        [(_mask((2, 3)), (2, 3), (2, 3)), (_mask((4, 2, 3)), (4, 2, 3), (1,))],
    ),
    OpSpec(
        "fmin",
        lambda lib, m, a, b: a.fmin(lib.where(m, b, math.nan)),
        [(_mask((2, 3)), (2, 3), (2, 3)), (_mask((4, 2, 3)), (2, 3), (4, 2, 3))],
    ),
    OpSpec("exp2", lambda lib, x: x.exp2()),
    OpSpec("exp2", lambda lib, x: (x * 20.0).exp2(), BIG),
    OpSpec("positive", lambda lib, x: x.positive() * 1.0, BIG),
    OpSpec("fix", lambda lib, x: x.fix(), gen=off_grid),
    OpSpec(
        "ldexp",
        lambda lib, x, e: x.ldexp(e),
        [((2, 3), exponents((2, 3))), ((4, 2, 3), exponents((3,)))],
    ),
    OpSpec("ldexp", lambda lib, x, e: x.ldexp(e), BINARY[:3]),  # a float exponent has a gradient
    OpSpec("frexp", lambda lib, x: x.frexp().mantissa),
    OpSpec("frexp", lambda lib, x: (x * 1000.0).frexp()[0], BIG),
    OpSpec("dist", lambda lib, a, b: a.dist(b), BINARY),
    OpSpec("dist", lambda lib, a, b: a.dist(b, 3), BINARY[:4], gen=distinct),
    OpSpec("dist", lambda lib, a, b: a.dist(b, 1), BINARY[:2], gen=distinct),
    OpSpec("dist", lambda lib, a, b: a.dist(b, math.inf), BINARY[:2], gen=distinct),
    OpSpec("renorm", lambda lib, x: x.renorm(2, 0, 1.5), MATRICES),  # rows over and under
    OpSpec("renorm", lambda lib, x: x.renorm(3, -1, 1.0), MATRICES),
    OpSpec("renorm", lambda lib, x: x.renorm(1, 1, 2.0), MATRICES, gen=away_from_zero),
    OpSpec(  # a zero slice stays zero, with a finite gradient (PyTorch's)
        "renorm",
        lambda lib, x: (x * lib.tensor([[0.0], [1.0], [1.0]], dtype=x.dtype)).renorm(3, 0, 1.0),
        [((3, 4),)],
    ),
    OpSpec("lib.rsub", lambda lib, a, b: lib.rsub(a, b), BINARY[:4], covers=("rsub",)),
    OpSpec("lib.rsub", lambda lib, a, b: lib.rsub(a, b, alpha=2.5), BINARY[:2]),
    OpSpec("lib.rsub", lambda lib, x: lib.rsub(x, 2.0), BIG),
    OpSpec("lib.float_power", lambda lib, x: lib.float_power(2.0, x), BIG, covers=("float_power",)),
    OpSpec("lib.addcmul", lambda lib, a, b, c: lib.addcmul(a, b, c, value=2), THREE[:2]),
    OpSpec("lib.addcdiv", lambda lib, a, b, c: lib.addcdiv(a, b, c), THREE[:2], gen=positive),
    _functional("clamp_min", 0.25, gen=off_grid),
    _functional("clamp_max", 0.25, gen=off_grid),
    _functional("copysign", n=2, gen=away_from_zero),
    _functional("float_power", n=2, gen=positive),
    _functional("fmax", n=2, gen=distinct),
    _functional("fmin", n=2, gen=distinct),
    _functional("exp2"),
    OpSpec("lib.positive", lambda lib, x: lib.positive(x) * 1.0, BIG, covers=("positive",)),
    _functional("fix", gen=off_grid),
    _functional("dist", n=2),
    OpSpec("lib.renorm", lambda lib, x: lib.renorm(x, 2, 1, 1.0), MATRICES, covers=("renorm",)),
    OpSpec("lib.frexp", lambda lib, x: lib.frexp(x).mantissa, BIG, covers=("frexp",)),
    OpSpec("lib.ldexp", lambda lib, x, e: lib.ldexp(x, e), [((2, 3), exponents((2, 3)))]),
]

test_matches_torch, test_gradcheck, test_matches_torch_bfloat16 = make_tests(OPS)


# ---------------------------------------------------------------------- ties and kinks


@pytest.mark.parametrize("op", ["maximum", "minimum"])
def test_ties_split_the_gradient_in_halves(op):
    a = [[1.0, 2.0, 3.0], [0.5, -1.0, 4.0]]
    b = [[1.0, 0.0, 3.0], [0.5, 2.0, 4.5]]
    for lib in (tg, torch):
        x = lib.tensor(a, requires_grad=True)
        y = lib.tensor(b, requires_grad=True)
        g = lib.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
        getattr(x, op)(y).backward(g)
        if lib is tg:
            tg_grads = (x.grad.numpy(), y.grad.numpy())
        else:
            th_grads = (x.grad.numpy(), y.grad.numpy())
    np.testing.assert_array_equal(tg_grads[0], th_grads[0])
    np.testing.assert_array_equal(tg_grads[1], th_grads[1])
    assert tg_grads[0][0, 0] == 0.5 and tg_grads[1][0, 2] == 1.5


def test_ties_split_the_gradient_with_broadcasting():
    a = tg.tensor([[1.0, 2.0], [2.0, 1.0]], requires_grad=True)
    b = tg.tensor([1.0, 1.0], requires_grad=True)
    a.maximum(b).sum().backward()
    ta = torch.tensor([[1.0, 2.0], [2.0, 1.0]], requires_grad=True)
    tb = torch.tensor([1.0, 1.0], requires_grad=True)
    ta.maximum(tb).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), ta.grad.numpy())
    np.testing.assert_array_equal(b.grad.numpy(), tb.grad.numpy())


@pytest.mark.parametrize(
    "fn",
    [
        lambda lib, x: x.relu(),
        lambda lib, x: x.abs(),
        lambda lib, x: x.clamp(-1.0, 1.0),
        lambda lib, x: x.clamp(min=0.0),
        lambda lib, x: x.sign(),
        lambda lib, x: x.floor(),
        lambda lib, x: x.round(),
        lambda lib, x: lib.nn.functional.leaky_relu(x, 0.1),
        lambda lib, x: lib.nn.functional.elu(x),
        lambda lib, x: x**0.5,
        lambda lib, x: x**0,
        lambda lib, x: x.sqrt(),
    ],
    ids=[
        "relu",
        "abs",
        "clamp",
        "clamp_min",
        "sign",
        "floor",
        "round",
        "leaky_relu",
        "elu",
        "pow_half",
        "pow_zero",
        "sqrt",
    ],
)
def test_gradient_at_kinks_matches_torch(fn):
    """At the kink itself the subgradient PyTorch picks (relu'(0) = 0, clamp's bounds count as
    inside, 0^0.5 has an infinite slope...)."""
    values = [-1.0, 0.0, 1.0, 0.5, -0.5, 2.0]
    x = tg.tensor(values, requires_grad=True)
    tx = torch.tensor(values, requires_grad=True)
    out, tout = fn(tg, x), fn(torch, tx)
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), equal_nan=True)
    out.sum().backward()
    tout.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), equal_nan=True)


def test_pow_zero_base():
    """0 ** b: the exponent's gradient is 0 where b >= 0 (no nan from log 0), as PyTorch."""
    base = [0.0, 0.0, 2.0, 0.0]
    exponent = [2.0, 0.0, 1.5, 1.0]
    grads = []
    for lib in (tg, torch):
        a = lib.tensor(base, requires_grad=True)
        b = lib.tensor(exponent, requires_grad=True)
        (a**b).sum().backward()
        grads.append((a.grad.numpy(), b.grad.numpy()))
    np.testing.assert_allclose(grads[0][0], grads[1][0])
    np.testing.assert_allclose(grads[0][1], grads[1][1])


def test_softplus_large_inputs_stay_finite():
    x = [-1000.0, -30.0, 0.0, 19.9, 20.1, 30.0, 1000.0]
    for beta, threshold in [(1.0, 20.0), (0.5, 5.0), (3.0, 50.0)]:
        a = tg.tensor(x, requires_grad=True)
        ta = torch.tensor(x, requires_grad=True)
        out = tg.nn.functional.softplus(a, beta, threshold)
        tout = torch.nn.functional.softplus(ta, beta, threshold)
        np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-6)
        out.sum().backward()
        tout.sum().backward()
        np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), rtol=1e-6, atol=1e-30)


def test_sigmoid_and_tanh_saturate_without_nan():
    x = [-1000.0, -50.0, 0.0, 50.0, 1000.0]
    for name in ("sigmoid", "tanh", "exp", "erf"):
        a = tg.tensor(x, requires_grad=True)
        ta = torch.tensor(x, requires_grad=True)
        out, tout = getattr(a, name)(), getattr(ta, name)()
        np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-6)
        out.sum().backward()
        tout.sum().backward()
        np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), rtol=1e-6)


# ---------------------------------------------------------------------- dtypes and promotion


def _same(tg_out, th_out):
    assert str(tg_out.dtype).split(".")[-1] == str(th_out.dtype).split(".")[-1], (
        f"dtype {tg_out.dtype} vs torch {th_out.dtype}"
    )
    np.testing.assert_allclose(
        np.asarray(tg_out.numpy(), dtype=np.float64),
        np.asarray(th_out.numpy(), dtype=np.float64),
        rtol=1e-6,
    )


_INT = [[1, -2, 3], [4, 5, -6]]
_BOOL = [[True, False, True], [False, False, True]]
_FLOAT = [[0.5, -1.5, 2.0], [3.25, -0.75, 1.0]]

PROMOTIONS = {
    "int*float": lambda lib, i, b, f: i * 2.5,
    "float*int": lambda lib, i, b, f: 2.5 * i,
    "int*int": lambda lib, i, b, f: i * 3,
    "int+int_tensor": lambda lib, i, b, f: i + i,
    "int/int": lambda lib, i, b, f: i / i,
    "int/2": lambda lib, i, b, f: i / 2,
    "2/int": lambda lib, i, b, f: 2 / i,
    "int.div(int)": lambda lib, i, b, f: i.div(i + 10),
    "int//int": lambda lib, i, b, f: i // 4,
    "int%int": lambda lib, i, b, f: i % 4,
    "int%float": lambda lib, i, b, f: i % 2.5,
    "int**2": lambda lib, i, b, f: i**2,
    "int**3": lambda lib, i, b, f: i**3,
    "int**0.5": lambda lib, i, b, f: i.abs() ** 0.5,
    "2**int": lambda lib, i, b, f: 2 ** i.abs(),
    "2.0**int": lambda lib, i, b, f: 2.0**i,
    "int-float_tensor": lambda lib, i, b, f: i - f,
    "float**int_tensor": lambda lib, i, b, f: f.abs() ** i,
    "int_tensor**float_tensor": lambda lib, i, b, f: i.abs() ** f,
    "int.fmod(float)": lambda lib, i, b, f: i.fmod(2.5),
    "int.fmod(int)": lambda lib, i, b, f: i.fmod(-4),
    "float_tensor*int": lambda lib, i, b, f: f * i,
    "int.exp": lambda lib, i, b, f: i.exp(),
    "int.sqrt": lambda lib, i, b, f: i.abs().sqrt(),
    "int.sigmoid": lambda lib, i, b, f: i.sigmoid(),
    "int.abs": lambda lib, i, b, f: i.abs(),
    "-int": lambda lib, i, b, f: -i,
    "int.sign": lambda lib, i, b, f: i.sign(),
    "int.clamp": lambda lib, i, b, f: i.clamp(-1, 2),
    "int.clamp(float)": lambda lib, i, b, f: i.clamp(-1.5, 2.5),
    "int.relu": lambda lib, i, b, f: i.relu(),
    "int.maximum(float)": lambda lib, i, b, f: i.maximum(f),
    "int.square": lambda lib, i, b, f: i.square(),
    "where(int, float)": lambda lib, i, b, f: lib.where(b, i, f),
    "where(int, 0.5)": lambda lib, i, b, f: lib.where(b, i, 0.5),
    "where(int, 2)": lambda lib, i, b, f: lib.where(b, i, 2),
    "bool+1": lambda lib, i, b, f: b + 1,
    "bool+1.5": lambda lib, i, b, f: b + 1.5,
    "bool*bool": lambda lib, i, b, f: b * b,
    "bool+int_tensor": lambda lib, i, b, f: b + i,
    "bool*float_tensor": lambda lib, i, b, f: b * f,
    "bool/bool": lambda lib, i, b, f: b / (b | True),
    "float*True": lambda lib, i, b, f: f * True,
    "int*True": lambda lib, i, b, f: i * True,
    "float64+float32_0d": lambda lib, i, b, f: f.double() + lib.tensor(1.5),
    "int32+int64_0d": lambda lib, i, b, f: i.int() + lib.tensor(7),
    "int32+float": lambda lib, i, b, f: i.int() * 0.5,
    "int32+int": lambda lib, i, b, f: i.int() + 1,
    "float32_0d+int_tensor": lambda lib, i, b, f: lib.tensor(0.5) + i,
    "uint8+int8": lambda lib, i, b, f: i.abs().to(lib.uint8) + i.to(lib.int8),
    "float16*float32": lambda lib, i, b, f: f.half() * f,
    "float16*2.5": lambda lib, i, b, f: f.half() * 2.5,
    "int.atan2(int)": lambda lib, i, b, f: i.atan2(i + 10),
    "bool.atan2(bool)": lambda lib, i, b, f: b.atan2(b),
    "int.atan2(float)": lambda lib, i, b, f: i.atan2(f),
    "float64.atan2(float32)": lambda lib, i, b, f: f.double().atan2(f),
    "int.hypot(float)": lambda lib, i, b, f: i.hypot(f),
    "float16.logaddexp(float32)": lambda lib, i, b, f: f.half().logaddexp(f),
    "int.deg2rad": lambda lib, i, b, f: i.deg2rad(),
    "bool.rad2deg": lambda lib, i, b, f: b.rad2deg(),
    "int.sgn": lambda lib, i, b, f: i.sgn(),
    "bool.sgn": lambda lib, i, b, f: b.sgn(),
    "bool.sign": lambda lib, i, b, f: b.sign(),
    "int.nan_to_num": lambda lib, i, b, f: i.nan_to_num(),
    "bool.nan_to_num": lambda lib, i, b, f: b.nan_to_num(),
    "float16.nan_to_num": lambda lib, i, b, f: (f.half() / (i - 1)).nan_to_num(),
    "int.erfc": lambda lib, i, b, f: i.erfc(),
    "int.asin": lambda lib, i, b, f: i.asin(),
    "int.acosh": lambda lib, i, b, f: i.acosh(),
    "int.sinh": lambda lib, i, b, f: i.sinh(),
    "int.sinc": lambda lib, i, b, f: i.sinc(),
    "int.lgamma": lambda lib, i, b, f: i.lgamma(),
    "int.digamma": lambda lib, i, b, f: i.abs().digamma(),
    "int.polygamma(1)": lambda lib, i, b, f: i.abs().polygamma(1),
    "int.erfinv": lambda lib, i, b, f: (i - i).erfinv(),
    "bool.logit": lambda lib, i, b, f: b.logit(),
    "int.xlogy(int)": lambda lib, i, b, f: i.xlogy(i.abs()),
    "float64.xlogy(float32)": lambda lib, i, b, f: f.double().xlogy(f.abs()),
    "int.i0": lambda lib, i, b, f: i.i0(),
    "int.mvlgamma": lambda lib, i, b, f: (i.abs() + 2).mvlgamma(2),
}


@pytest.mark.parametrize("name", list(PROMOTIONS))
def test_integer_and_bool_promotion(name):
    fn = PROMOTIONS[name]
    out = fn(tg, tg.tensor(_INT), tg.tensor(_BOOL), tg.tensor(_FLOAT))
    tout = fn(torch, torch.tensor(_INT), torch.tensor(_BOOL), torch.tensor(_FLOAT))
    _same(out, tout)


def test_integer_pow_negative_exponent_raises():
    with pytest.raises(RuntimeError):
        tg.tensor([1, 2]) ** -1
    with pytest.raises(RuntimeError):
        torch.tensor([1, 2]) ** -1


def test_float_ops_on_int_tensors_give_float32_and_no_grad():
    x = tg.tensor([1, 2, 3])
    for name in (
        "exp",
        "log",
        "sqrt",
        "sin",
        "cos",
        "tanh",
        "sigmoid",
        "erf",
        "log1p",
        "expm1",
        "erfc",
        "asin",
        "acos",
        "atan",
        "sinh",
        "cosh",
        "asinh",
        "acosh",
        "atanh",
    ):
        out = getattr(x, name)()
        tout = getattr(torch.tensor([1, 2, 3]), name)()
        _same(out, tout)
        assert not out.requires_grad


def test_int_tensor_times_float_requires_grad_float():
    """An int tensor combined with a float tensor that requires grad carries the gradient."""
    w = tg.tensor([0.5, 1.5, -1.0], requires_grad=True)
    tw = torch.tensor([0.5, 1.5, -1.0], requires_grad=True)
    (tg.tensor([1, 2, 3]) * w).sum().backward()
    (torch.tensor([1, 2, 3]) * tw).sum().backward()
    assert w.grad.dtype == tg.float32
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy())


def test_float64_gradient_through_mixed_precision():
    """float32 * float64: the result is float64 and each input gets a gradient in its dtype."""
    a = tg.tensor([1.0, 2.0], requires_grad=True)
    b = tg.tensor(np.array([3.0, 4.0]), requires_grad=True)
    out = a * b
    assert out.dtype == tg.float64
    out.sum().backward()
    assert a.grad.dtype == tg.float32 and b.grad.dtype == tg.float64
    np.testing.assert_allclose(a.grad.numpy(), [3.0, 4.0])


def test_division_by_zero_matches_torch():
    values = [1.0, -1.0, 0.0]
    out = tg.tensor(values) / 0.0
    tout = torch.tensor(values) / 0.0
    np.testing.assert_array_equal(out.numpy(), tout.numpy())
    np.testing.assert_array_equal((tg.tensor(values) % 0.0).isnan().numpy(), [True] * 3)


def test_scalar_remainder_tensor():
    """``7.3 % x``: PyTorch has no derivative for remainder(Scalar, Tensor); compare values."""
    x = [2.5, -2.5, 1.5, 3.0, -7.3]
    _same(7.3 % tg.tensor(x), 7.3 % torch.tensor(x))
    _same(7 % tg.tensor([2, -3, 4]), 7 % torch.tensor([2, -3, 4]))
    y = tg.tensor([2.5, 1.5], requires_grad=True)
    (7.3 % y).sum().backward()  # d(a % y)/dy = -floor(a / y)
    np.testing.assert_allclose(y.grad.numpy(), [-2.0, -4.0])


def test_implicit_gradient_is_one_where_the_output_is_nan():
    """Regression: backward() on a scalar seeded with out * 0 + 1, which is nan for nan."""
    x = tg.tensor([-1.0, 4.0], requires_grad=True)
    x.sqrt().sum().backward()
    assert np.isnan(x.grad.numpy()[0]) and x.grad.numpy()[1] == 0.25
    y = tg.tensor(1000.0, requires_grad=True)
    (y.exp() * 0).backward()  # inf * 0 = nan output; the seed is still 1
    assert y.grad.item() != y.grad.item()  # nan, as torch: d/dy (e^y * 0) = 0 * inf


def test_remainder_and_fmod_signs():
    a = [5.5, -5.5, 5.5, -5.5, 0.0]
    b = [2.0, 2.0, -2.0, -2.0, 3.0]
    for name in ("remainder", "fmod", "__mod__"):
        out = getattr(tg.tensor(a), name)(tg.tensor(b))
        tout = getattr(torch.tensor(a), name)(torch.tensor(b))
        _same(out, tout)
    _same(tg.tensor([5, -5, 5, -5]) % 3, torch.tensor([5, -5, 5, -5]) % 3)
    _same(tg.tensor([5, -5, 5, -5]).fmod(3), torch.tensor([5, -5, 5, -5]).fmod(3))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("weight", [0.001, 0.1, 0.4999, 0.5, 0.75, 0.999, -0.3, 1.5, "tensor"])
def test_lerp_gives_pytorchs_bits(dtype, weight):
    """PyTorch's lerp is one fused multiply-add from the nearer end (an EMA's ``lerp_`` with
    a small weight, Adam's moments): the same bits, not just close."""
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal(4096).astype(dtype) * 10 for _ in range(2))
    w = rng.uniform(-1, 2, 4096).astype(dtype) if weight == "tensor" else weight
    ours = tg.tensor(a).lerp(tg.tensor(b), tg.tensor(w) if weight == "tensor" else w)
    theirs = torch.from_numpy(a).lerp(
        torch.from_numpy(b), torch.from_numpy(w) if weight == "tensor" else w
    )
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_round_half_to_even():
    values = [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 1.25, 0.35]
    _same(tg.tensor(values).round(), torch.tensor(values).round())
    _same(tg.tensor(values).round(decimals=1), torch.tensor(values).round(decimals=1))


def test_gelu_rejects_unknown_approximation():
    with pytest.raises(ValueError):
        tg.tensor([1.0]).gelu("sigmoid")


def test_clamp_without_bounds_raises():
    with pytest.raises(RuntimeError):
        tg.tensor([1.0]).clamp()


def test_where_needs_a_bool_condition():
    with pytest.raises((TypeError, RuntimeError)):
        tg.where(tg.tensor([1, 0]), tg.tensor([1.0, 2.0]), 0.0)


def test_where_broadcast_error_names_the_shapes():
    with pytest.raises(RuntimeError, match=r"\(2, 3\)"):
        tg.where(tg.tensor([True, False]), tg.ones(2, 3), 0.0)


@pytest.mark.parametrize("x", [math.pi / 2 - 1e-3, -math.pi / 2 + 1e-3])
def test_tan_near_its_pole(x):
    a = tg.tensor([x], dtype=tg.float64, requires_grad=True)
    ta = torch.tensor([x], dtype=torch.float64, requires_grad=True)
    a.tan().backward(tg.ones(1, dtype=tg.float64))
    ta.tan().backward(torch.ones(1, dtype=torch.float64))
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), rtol=1e-9)


def test_fmod_is_exact_for_large_quotients():
    # a - trunc(a/b) * b loses the remainder once a/b needs more digits than float32 has
    a, b = [1e10, -7.5, 5.0, 123456789.0], [3.0, 2.0, -3.0, 7.0]
    expected = torch.tensor(a).fmod(torch.tensor(b)).numpy()
    np.testing.assert_array_equal(tg.tensor(a).fmod(tg.tensor(b)).numpy(), expected)


# ---------------------------------------------------------------------- special values


def _values_and_grads(lib, fn, *values, dtype="float64"):
    xs = [lib.tensor(v, dtype=getattr(lib, dtype), requires_grad=True) for v in values]
    out = fn(lib, *xs)
    out.sum().backward()
    return [out.detach().numpy()] + [x.grad.numpy() for x in xs]


_INF, _NAN = math.inf, math.nan
SPECIAL_VALUES = {
    "logaddexp": (
        lambda lib, a, b: a.logaddexp(b),
        [0.0, 1000.0, -1000.0, _INF, -_INF, -_INF, 3.0, 88.0, -_INF],
        [0.0, 1000.0, -1000.0, _INF, -_INF, 1.0, _INF, -88.0, _INF],
    ),
    "logaddexp2": (
        lambda lib, a, b: a.logaddexp2(b),
        [0.0, 1000.0, -1000.0, _INF, -_INF, -_INF, 200.0],
        [0.0, 1000.0, -1000.0, _INF, -_INF, 1.0, -200.0],
    ),
    "erfc": (lambda lib, x: x.erfc(), [-30.0, -3.0, 0.0, 0.3, 1.3, 5.0, 9.0, 26.0, _INF, _NAN]),
    "atan2": (  # signed zeros pick the quadrant; the gradient at the origin is 0
        lambda lib, a, b: a.atan2(b),
        [0.0, 0.0, -0.0, 1.0, _INF, -_INF, 1.0, 0.0],
        [0.0, -0.0, -1.0, 0.0, _INF, 1.0, _NAN, 1e-30],
    ),
    "hypot": (lambda lib, a, b: a.hypot(b), [3.0, 1e200, 1e-200, _INF], [4.0, 1e200, 1e-200, 1.0]),
    "sinc": (lambda lib, x: x.sinc(), [0.0, 1.0, -2.5, 0.3, 100.5, _INF]),
    "asin": (lambda lib, x: x.asin(), [-1.0, 1.0, 0.0, 2.0, _NAN]),
    "acos": (lambda lib, x: x.acos(), [-1.0, 1.0, 0.0, 2.0]),
    "atanh": (lambda lib, x: x.atanh(), [-1.0, 1.0, 0.0, 2.0]),
    "acosh": (lambda lib, x: x.acosh(), [1.0, 0.5, 2.0, 1e10]),
    "asinh": (lambda lib, x: x.asinh(), [-1e10, 1e10, -1e-10, 0.0]),
    "sinh+cosh": (lambda lib, x: x.sinh() + x.cosh(), [-100.0, 100.0, 0.0, 1000.0]),
    "atan": (lambda lib, x: x.atan(), [-_INF, _INF, 1e20]),
    "frac": (lambda lib, x: x.frac(), [-1.5, 2.25, _INF, -_INF, _NAN, -0.0, 1e20]),
    "nan_to_num": (lambda lib, x: x.nan_to_num(), [_NAN, _INF, -_INF, 1.0]),
    "nan_to_num(1, 2, -3)": (lambda lib, x: x.nan_to_num(1.0, 2.0, -3.0), [_NAN, _INF, -_INF]),
    # poles (inf, and digamma's -inf/inf/nan), roots of lgamma at 1 and 2, tails
    "lgamma": (
        lambda lib, x: x.lgamma(),
        [0.0, -0.0, -1.0, -2.5, 1.0, 2.0, 1e-30, -1e-30, 3e30, _INF, -_INF, _NAN, -1e20],
    ),
    "digamma": (lambda lib, x: x.digamma(), [0.0, -0.0, -2.5, 1.0, 1e-30, 3e30, _INF, _NAN]),
    "polygamma(2)": (lambda lib, x: x.polygamma(2), [0.0, -1.0, -3.0, 0.5, -0.5, 1e-10]),
    "polygamma(3)": (lambda lib, x: x.polygamma(3), [0.0, -2.0, 0.25, -7.5, 1e20]),
    "erfinv": (
        lambda lib, x: x.erfinv(),
        [-1.0, 1.0, 0.0, -0.0, 1.5, -2.0, _NAN, 0.999999, -0.5, 1e-30],
    ),
    "logit": (lambda lib, x: x.logit(), [0.0, 1.0, 0.5, -0.5, 1.5, 0.001]),
    "logit(eps)": (lambda lib, x: x.logit(eps=0.25), [0.0, 0.25, 0.5, 0.75, 1.0, -2.0, 0.9]),
    "xlogy": (
        lambda lib, a, b: a.xlogy(b),
        [0.0, 0.0, 0.0, 0.0, 1.0, 2.0, -1.0, _NAN, 3.0],
        [0.0, _NAN, _INF, -1.0, 0.0, _INF, -1.0, 1.0, 0.5],
    ),
    "i0": (lambda lib, x: x.i0(), [0.0, -0.0, 1.0, -3.0, 31.0, 88.0, _NAN]),
    "ndtri": (lambda lib, x: lib.special.ndtri(x), [0.0, 1.0, 0.5, 0.01, 1.5, -0.1, 0.975]),
    "log_ndtr": (
        lambda lib, x: lib.special.log_ndtr(x),
        [-40.0, -10.0, -1.5, -0.5, 0.0, 3.0, _INF, -_INF],
    ),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", list(SPECIAL_VALUES))
def test_special_values_match_torch(name, dtype):
    """Infinities, NaN, signed zeros, domain ends and tails: values and gradients as PyTorch
    (logaddexp's weights keep their e^-176 tails, hypot does not overflow...)."""
    fn, *values = SPECIAL_VALUES[name]
    ours = _values_and_grads(tg, fn, *values, dtype=dtype)
    theirs = _values_and_grads(torch, fn, *values, dtype=dtype)
    for a, b in zip(ours, theirs):
        # atol: erfc(9) is subnormal in float32, where one unit in the last place is 1e-45
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-44, equal_nan=True)


def test_sinc_gradient_is_accurate_near_zero():
    """(cos(pi x) - sinc(x)) / x cancels for small x: the series below |x| = 0.1 keeps the
    float32 gradient to a few units in the last place (PyTorch's is 1% off at x = 1e-3), and
    the second derivative at 0 is -pi^2/3."""
    xs = np.array([1e-8, -1e-5, 1e-3, 0.02, -0.05, 0.0999, 0.1, 0.15, 1.0])
    # the exact gradient: the power series of sinc', term by term (it converges fast for |x| <= 1)
    exact = [
        sum(
            (-1) ** k * 2 * k * math.pi ** (2 * k) * v ** (2 * k - 1) / math.factorial(2 * k + 1)
            for k in range(1, 30)
        )
        for v in xs
    ]
    for dtype, rtol in ((tg.float32, 5e-6), (tg.float64, 1e-12)):
        x = tg.tensor(xs, dtype=dtype, requires_grad=True)
        x.sinc().sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), exact, rtol=rtol)
    x = tg.tensor([0.0], dtype=tg.float64, requires_grad=True)
    (g,) = tg.autograd.grad(x.sinc().sum(), x, create_graph=True)
    assert g.item() == 0.0 and x.sinc().item() == 1.0
    np.testing.assert_allclose(tg.autograd.grad(g.sum(), x)[0].numpy(), [-(math.pi**2) / 3])


def test_erfc_keeps_its_tail():
    """1 - erf(x) is 0 in float32 from x ~ 4; erfc is not."""
    x = [4.0, 6.0, 9.0]
    out = tg.tensor(x).erfc().numpy()
    assert (out > 0).all()
    np.testing.assert_allclose(out, torch.tensor(x).erfc().numpy(), rtol=1e-6)


@pytest.mark.parametrize(
    "a,b,kwargs",
    [
        ([1.0, 1.0 + 1e-6, 1.0 + 1e-4, _INF, _INF, _NAN], [1.0, 1.0, 1.0, _INF, -_INF, _NAN], {}),
        ([1.0, 1.01, _NAN, 0.0], [1.0, 1.0, _NAN, 1e-9], dict(rtol=0.02, equal_nan=True)),
        ([0.0, 1e-3, -1e-3], [0.0, 0.0, 0.0], dict(rtol=0.0, atol=1e-3)),
        ([[1.0, 2.0], [3.0, 4.0]], [1.0, 2.0 + 1e-9], {}),
        ([1, 2, 3], [1, 3, 3], {}),
        ([True, False], [True, True], {}),
        (1.0, [1.0, 2.0], {}),
    ],
)
def test_isclose_matches_torch(a, b, kwargs):
    out = tg.isclose(tg.tensor(a), tg.tensor(b), **kwargs)
    tout = torch.isclose(torch.tensor(a), torch.tensor(b), **kwargs)
    assert out.dtype == tg.bool and out.shape == tuple(tout.shape)
    np.testing.assert_array_equal(out.numpy(), tout.numpy())
    np.testing.assert_array_equal(tg.tensor(a).isclose(tg.tensor(b), **kwargs).numpy(), out)


def test_isclose_errors():
    with pytest.raises(RuntimeError, match="dtype"):
        tg.tensor([1.0]).isclose(tg.tensor([1]))
    with pytest.raises(RuntimeError, match=r"\(3,\)"):
        tg.tensor([1.0, 2.0]).isclose(tg.tensor([1.0, 2.0, 3.0]))
    with pytest.raises(RuntimeError, match="rtol"):
        tg.tensor([1.0]).isclose(tg.tensor([1.0]), rtol=-1.0)
    assert not tg.tensor([1.0], requires_grad=True).isclose(tg.tensor([1.0])).requires_grad


def test_frac_of_an_integer_tensor_raises():
    with pytest.raises(TypeError, match="frac"):
        tg.tensor([1, 2]).frac()


def test_float_binary_ops_broadcast_error_names_the_shapes():
    for name in ("atan2", "hypot", "logaddexp", "logaddexp2"):
        with pytest.raises(RuntimeError, match=r"\(2, 3\)"):
            getattr(tg.ones(2, 3), name)(tg.ones(4))


def test_float_binary_ops_take_a_number():
    """``x.atan2(2.0)``: PyTorch wants a tensor; a number is the same as a 0-d tensor here."""
    x = tg.tensor([0.5, -1.5])
    for name in ("atan2", "hypot", "logaddexp", "logaddexp2"):
        out = getattr(x, name)(2.0)
        expected = getattr(torch.tensor([0.5, -1.5]), name)(torch.tensor(2.0))
        _same(out, expected)


# ---------------------------------------------------------------------- gamma family, logit, xlogy


def test_polygamma_rejects_a_bad_order():
    x = tg.tensor([1.5])
    with pytest.raises(RuntimeError, match="n must be >= 0, got n = -1"):
        x.polygamma(-1)
    with pytest.raises(TypeError, match="n must be an int, got float"):
        tg.polygamma(1.5, x)
    with pytest.raises(TypeError, match="n must be an int"):
        tg.special.polygamma(True, x)
    with pytest.raises(RuntimeError, match="p has to be an int >= 1"):
        x.mvlgamma(0)


def test_polygamma_functional_order_and_higher_derivatives():
    """tg.polygamma(n, x) as torch's, and d^k/dx^k digamma = polygamma(k) by repeated grad."""
    xs = [0.3, 2.5, -1.7, 11.0]
    x = tg.tensor(xs, dtype=tg.float64, requires_grad=True)
    tx = torch.tensor(xs, dtype=torch.float64)
    out = x.digamma()
    for k in range(1, 5):
        (out,) = tg.autograd.grad(out.sum(), x, create_graph=True)
        # rtol: PyTorch's trigamma is good to ~5e-10 (trigamma(0.3) is 1e-10 off)
        np.testing.assert_allclose(out.detach().numpy(), torch.polygamma(k, tx).numpy(), rtol=1e-9)
    np.testing.assert_allclose(tg.polygamma(4, x).detach().numpy(), out.detach().numpy())


def test_xlogy_takes_numbers():
    y = [0.5, 2.0, 0.0]
    _same(tg.xlogy(2.0, tg.tensor(y)), torch.xlogy(2.0, torch.tensor(y)))
    _same(tg.special.xlogy(0.0, tg.tensor(y)), torch.special.xlogy(0.0, torch.tensor(y)))
    _same(tg.tensor(y).xlogy(3), torch.tensor(y).xlogy(3))
    with pytest.raises(RuntimeError, match=r"\(2, 3\)"):
        tg.ones(2, 3).xlogy(tg.ones(4))


def test_special_accuracy_against_torch_float64():
    """float64 values far from the poles and roots, to ~1e-12 of PyTorch's."""
    rng = np.random.default_rng(0)
    x = rng.uniform(-30.0, 60.0, 4000)
    x = x[np.abs(x - np.round(x)) > 0.05]
    pos = np.exp(rng.uniform(-20.0, 20.0, 1000))
    u = rng.uniform(-0.999, 0.999, 2000)
    cases = [
        ("lgamma", pos, 1e-13),
        ("lgamma", x[(x > 3.0) | (x < -10.0)], 1e-12),
        ("digamma", np.concatenate([pos[pos > 2.0], x[x < -10.0]]), 1e-12),
        ("erfinv", u, 1e-14),
        ("i0", rng.uniform(-700.0, 700.0, 2000), 1e-13),
    ]
    for name, values, rtol in cases:
        ours = getattr(tg.tensor(values), name)().numpy()
        theirs = getattr(torch.tensor(values), name)().numpy()
        np.testing.assert_allclose(ours, theirs, rtol=rtol, err_msg=name)
    for n, rtol in ((1, 1e-9), (2, 1e-11), (5, 1e-11)):  # PyTorch's trigamma: ~5e-10
        values = np.concatenate([pos, x[x < -3.0]])
        ours = tg.tensor(values).polygamma(n).numpy()
        np.testing.assert_allclose(ours, torch.tensor(values).polygamma(n).numpy(), rtol=rtol)
    p = np.concatenate([rng.uniform(0.0, 1.0, 1000), np.exp(rng.uniform(-700.0, -1.0, 1000))])
    for name, values in (("ndtri", p), ("log_ndtr", rng.uniform(-60.0, 12.0, 2000))):
        ours = getattr(tg.special, name)(tg.tensor(values)).numpy()
        theirs = getattr(torch.special, name)(torch.tensor(values)).numpy()
        np.testing.assert_allclose(ours, theirs, rtol=1e-13, err_msg=name)


def test_log_ndtr_gradient_stays_finite_in_the_tail():
    x = tg.tensor([-1e3, -100.0, -40.0], dtype=tg.float64, requires_grad=True)
    tg.special.log_ndtr(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1e3, 100.0, 40.0], rtol=1e-3)  # ~ -x


# ---------------------------------------------------------------------- results without
# gradient (bool and integer results, bit operations), against PyTorch exactly

_NINF, _PINF = -math.inf, math.inf
_F = [-0.0, 0.0, -1.5, 2.0, _NINF, _PINF, _NAN, 3e-42]  # signed zeros, infinities, subnormal
_I = [[5, -3, 12], [0, 7, -8]]
_J = [[10, 9, -8], [4, 0, 6]]
_S = [[1, 0, 63], [64, -1, 70]]  # shifts in and out of range

EXACT = {
    "signbit": lambda lib: lib.signbit(lib.tensor(_F)),
    "signbit int": lambda lib: lib.tensor(_I).signbit(),
    "signbit bool": lambda lib: lib.tensor([True, False]).signbit(),
    "isposinf": lambda lib: lib.isposinf(lib.tensor(_F)),
    "isneginf": lambda lib: lib.tensor(_F).isneginf(),
    "isposinf int": lambda lib: lib.tensor(_I).isposinf(),
    "isreal": lambda lib: lib.isreal(lib.tensor(_F)),
    "isreal int": lambda lib: lib.tensor(_I).isreal(),
    "heaviside": lambda lib: lib.heaviside(lib.tensor(_F), lib.tensor(0.5)),
    "heaviside tensor": lambda lib: lib.tensor(_I).heaviside(lib.tensor([7, 8, 9])),
    "logical_xor": lambda lib: lib.logical_xor(lib.tensor(_I), lib.tensor(_J).float()),
    "greater": lambda lib: lib.tensor(_I).greater(lib.tensor(_J)),
    "greater_equal": lambda lib: lib.greater_equal(lib.tensor(_I), 5),
    "less": lambda lib: lib.tensor(_F).less(0.0),
    "less_equal": lambda lib: lib.less_equal(lib.tensor(_I), lib.tensor([0, 7, 12])),
    "not_equal": lambda lib: lib.tensor(_F).not_equal(lib.tensor(_F)),
    "gcd": lambda lib: lib.gcd(lib.tensor(_I), lib.tensor(_J)),
    "lcm": lambda lib: lib.tensor(_I).lcm(lib.tensor(_J)),
    "gcd int32 broadcast": lambda lib: lib.tensor(_I).int().gcd(lib.tensor([4, 6, 9])),
    "bitwise_and": lambda lib: lib.bitwise_and(lib.tensor(_I), lib.tensor(_J)),
    "bitwise_or": lambda lib: lib.tensor(_I).bitwise_or(3),
    "bitwise_xor bool": lambda lib: lib.tensor([True, False]).bitwise_xor(lib.tensor([True])),
    "bitwise_not": lambda lib: lib.bitwise_not(lib.tensor(_I)),
    "bitwise_not bool": lambda lib: lib.tensor([True, False]).bitwise_not(),
    "bitwise_left_shift": lambda lib: lib.tensor(_I).bitwise_left_shift(lib.tensor(_S)),
    "bitwise_right_shift": lambda lib: lib.bitwise_right_shift(lib.tensor(_I), lib.tensor(_S)),
    "int8 << 9": lambda lib: lib.tensor([1, -1, 3], dtype=lib.int8) << 9,
    "uint8 >> 3": lambda lib: lib.tensor([200, 7], dtype=lib.uint8) >> 3,
    "3 << int32": lambda lib: 3 << lib.tensor([1, 5, 30], dtype=lib.int32),
    "100 >> int": lambda lib: 100 >> lib.tensor([1, 2, 3]),
    "int32 & 0-d int64": lambda lib: lib.tensor(_I).int() & lib.tensor(6),
    "int32 & 1-d int64": lambda lib: lib.tensor(_I).int() & lib.tensor([6]),
    "bool & 1": lambda lib: lib.tensor([True, False]) & 1,
    "1 | int32": lambda lib: 1 | lib.tensor(_I).int(),
    "bool ^ int": lambda lib: lib.tensor([True, False]) ^ lib.tensor([3, 3]),
    "int16 | uint8": lambda lib: lib.tensor(_I).to(lib.int16) | lib.tensor([1, 2, 4]).to(lib.uint8),
    "nextafter": lambda lib: lib.nextafter(lib.tensor([1.0, 0.0, -2.0]), lib.tensor(_PINF)),
    "nextafter down": lambda lib: lib.tensor([1.0, 0.0]).nextafter(lib.tensor([0.0, -1.0])),
    "nextafter float64": lambda lib: lib.tensor([1.0]).nextafter(lib.tensor([2.0]).double()),
    "frexp exponent": lambda lib: lib.frexp(lib.tensor(_F)).exponent,
    "frexp mantissa": lambda lib: lib.tensor(_F).double().frexp()[0],
    "frexp float16": lambda lib: lib.tensor([0.3, 70.0]).half().frexp().exponent,
    "copysign int": lambda lib: lib.copysign(lib.tensor(_I), -1),
    "copysign -0.0": lambda lib: lib.tensor([1.0, 2.0]).copysign(lib.tensor([-0.0, 0.0])),
    "copysign float64": lambda lib: lib.tensor([1.0]).copysign(lib.tensor([-3.0]).double()),
    "copysign float16": lambda lib: lib.tensor([1.0, -2.0]).half().copysign(-2),
    "float_power int": lambda lib: lib.float_power(lib.tensor(_I), 2),
    "float_power number base": lambda lib: lib.float_power(2, lib.tensor(_I)),
    "float_power int tensors": lambda lib: lib.tensor([2.0]).float_power(lib.tensor([3])),
    "exp2 int": lambda lib: lib.exp2(lib.tensor(_I)),
    "exp2 float16": lambda lib: lib.tensor([3.0, -1.0]).half().exp2(),
    "ldexp int": lambda lib: lib.ldexp(lib.tensor(_I), lib.tensor([3, -1, 0])),
    "ldexp float64": lambda lib: lib.tensor([1.0]).double().ldexp(lib.tensor([3])),
    "clamp_max int": lambda lib: lib.clamp_max(lib.tensor(_I), 2.5),
    "clamp_min int": lambda lib: lib.tensor(_I).clamp_min(2),
    "clamp_min tensor": lambda lib: lib.tensor([1.0, -1.0]).clamp_min(lib.tensor([0.0, 0.0])),
    "addcmul int": lambda lib: lib.addcmul(lib.tensor(_I), lib.tensor(_J), lib.tensor(_I), value=2),
    "addcmul int value 0.5": lambda lib: lib.tensor(_I).addcmul(
        lib.tensor(_J), lib.tensor(_J), value=0.5
    ),
    "addcdiv mixed": lambda lib: lib.tensor([1.0]).addcdiv(lib.tensor([2.0]), lib.tensor([3])),
    "positive int": lambda lib: lib.positive(lib.tensor(_I)),
    "fix": lambda lib: lib.fix(lib.tensor([-2.5, 2.5, _NAN])),
    "round int": lambda lib: lib.tensor(_I).round(),
    "dist broadcast": lambda lib: lib.dist(
        lib.tensor([1.0, 2.0]), lib.tensor([[0.0, 0], [1, 1]]), 3
    ),
    "dist float64": lambda lib: lib.tensor([1.0, 2.0]).dist(lib.tensor([0.0, 1.0]).double()),
    "rsub int": lambda lib: lib.rsub(lib.tensor(_I), 5, alpha=2),
    "rsub float": lambda lib: lib.rsub(lib.tensor(_I), 2.5),
    "renorm under": lambda lib: lib.tensor([[0.3, 0.4], [3.0, 4.0]]).renorm(2, 0, 5.0),
    "renorm inf": lambda lib: lib.tensor([[0.3, -4.0], [3.0, 4.0]]).renorm(math.inf, 1, 2.0),
}


@pytest.mark.parametrize("name", list(EXACT))
def test_results_equal_torch(name):
    out, tout = EXACT[name](tg), EXACT[name](torch)
    assert str(out.dtype).split(".")[-1] == str(tout.dtype).split(".")[-1], name
    assert out.shape == tuple(tout.shape)
    np.testing.assert_array_equal(out.numpy(), tout.numpy())


ERRORS = {
    "fmax of a number": (TypeError, lambda lib: lib.fmax(lib.ones(2), 2.0)),
    "gcd of a number": (TypeError, lambda lib: lib.gcd(lib.tensor([4]), 2)),
    "ldexp of a number": (TypeError, lambda lib: lib.ldexp(lib.ones(2), 2)),
    "gcd of floats": (RuntimeError, lambda lib: lib.gcd(lib.ones(2), lib.ones(2))),
    "heaviside of two dtypes": (
        RuntimeError,
        lambda lib: lib.heaviside(lib.ones(2), lib.tensor(0.5, dtype=lib.float64)),
    ),
    "addcdiv of integers": (
        RuntimeError,
        lambda lib: lib.addcdiv(lib.ones(2), lib.tensor([2]), lib.tensor([3])),
    ),
    "renorm of a vector": (RuntimeError, lambda lib: lib.ones(3).renorm(2, 0, 1.0)),
    "renorm p <= 0": (RuntimeError, lambda lib: lib.ones(2, 3).renorm(0, 0, 1.0)),
    "renorm maxnorm < 0": (RuntimeError, lambda lib: lib.ones(2, 3).renorm(2, 0, -1.0)),
    "frexp of integers": (RuntimeError, lambda lib: lib.tensor([1, 2]).frexp()),
    "positive of bool": (RuntimeError, lambda lib: +lib.tensor([True])),
    "round int decimals": (RuntimeError, lambda lib: lib.tensor([15]).round(decimals=1)),
    "bitwise of floats": ((TypeError, RuntimeError), lambda lib: lib.ones(2) & 1),
    "shift by a float": ((TypeError, RuntimeError), lambda lib: lib.tensor([1]) << 1.5),
    "rsub of bool": (RuntimeError, lambda lib: lib.rsub(lib.tensor([True]), 1)),
    "dist of integers": (RuntimeError, lambda lib: lib.tensor([1]).dist(lib.tensor([2]))),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_errors_where_torch_raises(name):
    error, fn = ERRORS[name]
    for lib in (torch, tg):
        with pytest.raises(error):
            fn(lib)


def test_ldexp_gradient_with_negative_exponents():
    """d(x 2^e)/dx = 2^e, also for e < 0 (PyTorch's gradient is 0 there: it forms 2^e in
    integers)."""
    x = tg.ones(3, requires_grad=True)
    x.ldexp(tg.tensor([-3, -1, 2])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.125, 0.5, 4.0])


def test_frexp_reconstructs_and_names_its_fields():
    values = np.array([8.0, 0.3, -5.0, 1e-40, 3.4e38, 0.0], dtype=np.float32)
    m, e = tg.tensor(values).frexp()
    assert m.dtype == tg.float32 and e.dtype == tg.int32
    np.testing.assert_array_equal(np.ldexp(m.numpy(), e.numpy()), values)
    out = tg.frexp(tg.tensor(values))
    assert out.mantissa is not None and out.exponent is not None


def test_fmax_gradient_goes_to_self_on_ties():
    a = [1.0, 2.0, math.nan, 4.0]
    b = [1.0, math.nan, 3.0, 5.0]
    grads = []
    for lib in (tg, torch):
        x, y = lib.tensor(a, requires_grad=True), lib.tensor(b, requires_grad=True)
        (x.fmax(y) * lib.tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
        grads.append((x.grad.numpy(), y.grad.numpy()))
    np.testing.assert_array_equal(grads[0][0], grads[1][0])
    np.testing.assert_array_equal(grads[0][1], grads[1][1])


def test_clamp_gradient_outside_the_bounds_is_zero_even_for_inf_and_nan():
    # it was g * mask, so an inf or nan upstream gradient outside the bounds gave nan
    x = tg.tensor([-2.0, 0.5, 3.0], requires_grad=True)
    upstream = tg.tensor([float("inf"), 1.0, float("nan")])
    x.clamp(0, 1).backward(upstream)
    xt = torch.tensor([-2.0, 0.5, 3.0], requires_grad=True)
    xt.clamp(0, 1).backward(torch.tensor([float("inf"), 1.0, float("nan")]))
    np.testing.assert_array_equal(x.grad.numpy(), xt.grad.numpy())


def test_where_with_the_condition_alone_is_nonzero_as_tuple():
    # regression: torch.where(mask) (the indices of the True entries) raised TypeError
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 4))
    for cond in (a > 0.3, (a * 3).astype(np.int64)):  # any dtype: nonzero entries
        ours = tg.where(tg.tensor(cond))
        theirs = torch.where(torch.tensor(cond))
        assert len(ours) == len(theirs) == 2
        for o, t in zip(ours, theirs):
            assert o.dtype == tg.int64
            np.testing.assert_array_equal(o.numpy(), t.numpy())
    with pytest.raises(TypeError):
        tg.where(tg.tensor(a > 0), tg.tensor(a))
