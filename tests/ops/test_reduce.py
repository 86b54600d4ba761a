"""Reductions, scans and softmax against PyTorch and finite differences (tests/op_harness.py).

Every reduction runs with ``dim=None``, an int, a negative int, a tuple (where PyTorch takes
one) and ``keepdim`` True/False, including 0-d inputs where PyTorch allows them. Ties, zeros in
products, and huge or infinite inputs are plain tests against PyTorch below the table.
"""

import math
import warnings

import numpy as np
import pytest

import tensorgrad as tg
from tests.op_harness import (
    UNARY,
    Const,
    OpSpec,
    away_from_zero,
    distinct,
    make_tests,
    torch,
)

# NumPy warns on nan/inf results (0/0 variances, log 0) where PyTorch is silent; the edge-case
# tests below make them on purpose, and PyTorch's own degrees-of-freedom warning with them.
pytestmark = [
    pytest.mark.filterwarnings("ignore:.*encountered in:RuntimeWarning"),
    pytest.mark.filterwarnings("ignore:.*degrees of freedom is <= 0:UserWarning"),
]

ND = [((3,),), ((2, 3),), ((4, 2, 3),)]  # inputs that have a dim 0 and a dim -1
ND1 = [((2, 3),), ((4, 2, 3),), ((3, 1),)]  # ... and a dim 1
ND1_VAR = ND1[:2]  # var over a size-1 dim with correction 1 is 0/0
ND3 = [((4, 2, 3),)]  # ... and a dim 2
SCALAR = [((),)]


def distinct_positive(rng, shape):
    """Distinct values > 0.1: |x| has one maximum and no kink (norm inf, amax of abs)."""
    n = int(np.prod(shape))
    return distinct(rng, shape) + n * 0.05 + 0.1


def with_zeros(rng, shape):
    """Normal values with about half of them exactly 0 (prod's gradient with 0, 1, 2+ zeros per
    slice; prod is a polynomial, so finite differences across 0 are exact)."""
    x = rng.standard_normal(shape)
    return np.where(rng.random(shape) < 0.5, 0.0, x)


def _dims_specs(name, fn, gen=None, tuple_dims=True, scalar=True, nd1=ND1):
    """One spec per way of naming the dims: ``fn(lib, x, dim, keepdim)`` with dim None, 0, -1,
    1, a tuple, a tuple of negative dims; keepdim alternates."""
    extra = {} if gen is None else {"gen": gen}
    specs = [
        OpSpec(name, lambda lib, x: fn(lib, x, 0, False), ND + (SCALAR if scalar else []), **extra),
        OpSpec(name, lambda lib, x: fn(lib, x, -1, True), ND + (SCALAR if scalar else []), **extra),
        OpSpec(name, lambda lib, x: fn(lib, x, 1, False), nd1, **extra),
        OpSpec(name, lambda lib, x: fn(lib, x, -2, True), nd1, **extra),
    ]
    if tuple_dims:
        specs += [
            OpSpec(name, lambda lib, x: fn(lib, x, (0, 2), False), ND3, **extra),
            OpSpec(name, lambda lib, x: fn(lib, x, (-1, 0), True), ND3, **extra),
            OpSpec(name, lambda lib, x: fn(lib, x, (1,), False), nd1, **extra),
        ]
    return specs


OPS = [
    # ------------------------------------------------------------------ sum, mean
    OpSpec("sum", lambda lib, x: x.sum()),
    OpSpec("sum", lambda lib, x: x.sum(dim=None, keepdim=True), ND),
    OpSpec("sum", lambda lib, x: x.sum(()), ND + SCALAR),  # an empty dim reduces every axis
    OpSpec("sum", lambda lib, x: lib.sum(x, -1), ND + SCALAR),
    *_dims_specs("sum", lambda lib, x, d, k: x.sum(d, keepdim=k)),
    OpSpec("mean", lambda lib, x: x.mean()),
    OpSpec("mean", lambda lib, x: x.mean(None, True), ND),
    OpSpec("mean", lambda lib, x: lib.mean(x, (0, 1)), [((2, 3),)]),
    *_dims_specs("mean", lambda lib, x, d, k: x.mean(d, keepdim=k)),
    # ------------------------------------------------------------------ prod
    OpSpec("prod", lambda lib, x: x.prod(), gen=away_from_zero),
    OpSpec("prod", lambda lib, x: lib.prod(x, 1, keepdim=True), ND1, gen=away_from_zero),
    OpSpec("prod", lambda lib, x: x.prod(), ND, gen=with_zeros),
    OpSpec("prod", lambda lib, x: x.prod(0), ND + [((5, 3),)], gen=with_zeros),
    OpSpec("prod", lambda lib, x: x.prod(-1, keepdim=True), ND1 + [((3, 4),)], gen=with_zeros),
    *_dims_specs(
        "prod", lambda lib, x, d, k: x.prod(d, keepdim=k), gen=away_from_zero, tuple_dims=False
    ),
    # ------------------------------------------------------------------ var, std
    OpSpec("var", lambda lib, x: x.var(), ND),
    OpSpec("var", lambda lib, x: x.var(correction=0), UNARY),
    OpSpec("var", lambda lib, x: x.var(unbiased=False), ND),
    OpSpec("var", lambda lib, x: x.var(False), ND),
    OpSpec("var", lambda lib, x: x.var(1, False, True), ND1),
    OpSpec("var", lambda lib, x: x.var(1, True), ND1_VAR),
    OpSpec("var", lambda lib, x: x.var(-1, correction=2), [((4, 3),), ((2, 5),)]),
    OpSpec("var", lambda lib, x: lib.var(x, (0, 2), correction=0, keepdim=True), ND3),
    *_dims_specs("var", lambda lib, x, d, k: x.var(d, keepdim=k), scalar=False, nd1=ND1_VAR),
    OpSpec("std", lambda lib, x: x.std(), ND),
    OpSpec("std", lambda lib, x: x.std(correction=0), ND),
    OpSpec("std", lambda lib, x: x.std(unbiased=True), ND),
    OpSpec("std", lambda lib, x: x.std(0, True, True), ND1),
    OpSpec("std", lambda lib, x: lib.std(x, -1, unbiased=False), ND1),
    *_dims_specs("std", lambda lib, x, d, k: x.std(d, keepdim=k), scalar=False, nd1=ND1_VAR),
    # ------------------------------------------------------------------ max, min, amax, amin
    OpSpec("max", lambda lib, x: x.max(), gen=distinct),
    OpSpec("min", lambda lib, x: x.min(), gen=distinct),
    OpSpec("max", lambda lib, x: lib.max(x), ND, gen=distinct),
    OpSpec("min", lambda lib, x: lib.min(x), ND, gen=distinct),
    # with a dim: (values, indices); the harness compares both and differentiates the values
    *_dims_specs(
        "max", lambda lib, x, d, k: tuple(x.max(d, keepdim=k)), gen=distinct, tuple_dims=False
    ),
    *_dims_specs(
        "min", lambda lib, x, d, k: tuple(x.min(d, keepdim=k)), gen=distinct, tuple_dims=False
    ),
    OpSpec("max", lambda lib, x: x.max(dim=1).values, ND1, gen=distinct),
    OpSpec("min", lambda lib, x: lib.min(x, -1, True).values, ND1, gen=distinct),
    OpSpec("amax", lambda lib, x: x.amax(), gen=distinct),
    OpSpec("amin", lambda lib, x: x.amin(), gen=distinct),
    OpSpec("amax", lambda lib, x: x.amax((), keepdim=True), ND + SCALAR, gen=distinct),
    OpSpec("amin", lambda lib, x: lib.amin(x, dim=(-2, -1)), ND3, gen=distinct),
    *_dims_specs("amax", lambda lib, x, d, k: x.amax(d, keepdim=k), gen=distinct),
    *_dims_specs("amin", lambda lib, x, d, k: x.amin(d, keepdim=k), gen=distinct),
    # ------------------------------------------------------------------ logsumexp
    OpSpec("logsumexp", lambda lib, x: lib.logsumexp(x, 0), ND + SCALAR),
    OpSpec("logsumexp", lambda lib, x: x.logsumexp((0, 1, 2)), ND3),
    *_dims_specs("logsumexp", lambda lib, x, d, k: x.logsumexp(d, keepdim=k)),
    # ------------------------------------------------------------------ norm
    OpSpec("norm", lambda lib, x: x.norm()),
    OpSpec("norm", lambda lib, x: x.norm(keepdim=True), ND),
    OpSpec("norm", lambda lib, x: x.norm("fro"), ND),
    OpSpec("norm", lambda lib, x: x.norm(p="fro", dim=(0, 1)), [((2, 3),), ((4, 2, 3),)]),
    OpSpec("norm", lambda lib, x: x.norm(p="fro", dim=-1, keepdim=True), ND1),
    OpSpec("norm", lambda lib, x: x.norm(1), gen=away_from_zero),
    OpSpec("norm", lambda lib, x: x.norm(3), gen=away_from_zero),
    OpSpec("norm", lambda lib, x: x.norm(0.5, dim=1), ND1, gen=away_from_zero),
    OpSpec("norm", lambda lib, x: x.norm(-1), ND, gen=away_from_zero),
    OpSpec("norm", lambda lib, x: x.norm(math.inf), gen=distinct_positive),
    OpSpec("norm", lambda lib, x: x.norm(-math.inf), ND, gen=distinct_positive),
    OpSpec("norm", lambda lib, x: lib.norm(x, float("inf"), 1), ND1, gen=distinct_positive),
    OpSpec("norm", lambda lib, x: lib.norm(x, dim=1), ND1),
    *_dims_specs("norm", lambda lib, x, d, k: x.norm(dim=d, keepdim=k)),
    *_dims_specs("norm", lambda lib, x, d, k: x.norm(1, d, k), gen=away_from_zero),
    *_dims_specs("norm", lambda lib, x, d, k: x.norm(3, d, k), gen=away_from_zero),
    *_dims_specs("norm", lambda lib, x, d, k: x.norm(math.inf, d, k), gen=distinct_positive),
    # ------------------------------------------------------------------ cumsum
    OpSpec("cumsum", lambda lib, x: x.cumsum(0), ND + SCALAR),
    OpSpec("cumsum", lambda lib, x: x.cumsum(-1), ND + SCALAR),
    OpSpec("cumsum", lambda lib, x: lib.cumsum(x, 1), ND1),
    OpSpec("cumsum", lambda lib, x: x.cumsum(dim=-2), ND1),
    OpSpec("cumsum", lambda lib, x: x.cumsum(2), ND3),
    OpSpec("cumprod", lambda lib, x: x.cumprod(0), ND + SCALAR, gen=away_from_zero),
    OpSpec("cumprod", lambda lib, x: lib.cumprod(x, -1), ND1, gen=away_from_zero),
    OpSpec("cumprod", lambda lib, x: x.cumprod(dim=2), ND3, gen=away_from_zero),
    # with zeros the gradient is exact, its derivative is not (see Cumprod.backward)
    OpSpec(
        "cumprod",
        lambda lib, x: x.cumprod(-1),
        [((6,),), ((3, 5),), ((2, 4, 5),)],
        gen=with_zeros,
        second_order=False,
    ),
    OpSpec("cumprod", lambda lib, x: x.cumprod(0), [((5, 3),)], gen=with_zeros, second_order=False),
    # ------------------------------------------------------------------ var_mean, std_mean
    OpSpec("var_mean", lambda lib, x: lib.var_mean(x), ND),
    OpSpec("var_mean", lambda lib, x: lib.var_mean(x, 1, keepdim=True), ND1_VAR),
    OpSpec("var_mean", lambda lib, x: lib.var_mean(x, (0, 2), correction=0), ND3),
    OpSpec("var_mean", lambda lib, x: lib.var_mean(x, -1, False, True), ND1),
    OpSpec("var_mean", lambda lib, x: lib.var_mean(x, False), UNARY),
    OpSpec("std_mean", lambda lib, x: lib.std_mean(x), ND),
    OpSpec("std_mean", lambda lib, x: lib.std_mean(x, dim=0, correction=2), [((4, 3),)]),
    OpSpec("std_mean", lambda lib, x: lib.std_mean(x, -1, unbiased=False, keepdim=True), ND1),
    # ------------------------------------------------------------------ softmax, log_softmax
    OpSpec("softmax", lambda lib, x: x.softmax(0), ND + SCALAR),
    OpSpec("softmax", lambda lib, x: x.softmax(-1), ND + SCALAR),
    OpSpec("softmax", lambda lib, x: lib.softmax(x, 1), ND1),
    OpSpec("softmax", lambda lib, x: x.softmax(dim=-2), ND1),
    OpSpec("softmax", lambda lib, x: lib.nn.functional.softmax(x, dim=2), ND3),
    OpSpec("log_softmax", lambda lib, x: x.log_softmax(0), ND + SCALAR),
    OpSpec("log_softmax", lambda lib, x: x.log_softmax(-1), ND + SCALAR),
    OpSpec("log_softmax", lambda lib, x: lib.log_softmax(x, 1), ND1),
    OpSpec("log_softmax", lambda lib, x: x.log_softmax(dim=-2), ND1),
    OpSpec("log_softmax", lambda lib, x: lib.nn.functional.log_softmax(x, dim=2), ND3),
    OpSpec(
        "log_softmax",
        lambda lib, x: lib.nn.functional.log_softmax(x, -1, dtype=lib.float64),
        [((2, 3),)],
    ),
]


def with_nans(rng, shape):
    """Normal values with about a third NaN, but never a whole row (along any dim) NaN in
    the small shapes used: position 0 of every dim stays a number."""
    x = rng.standard_normal(shape)
    nan = np.asarray(rng.random(shape) < 0.35)
    if x.ndim:
        for d in range(x.ndim):
            index = [slice(None)] * x.ndim
            index[d] = 0
            nan[tuple(index)] = False
    else:
        nan[()] = False
    return np.where(nan, np.nan, x)


OPS += [
    # ------------------------------------------------------------------ nansum, nanmean
    OpSpec("nansum", lambda lib, x: x.nansum(), gen=with_nans),
    OpSpec("nansum", lambda lib, x: lib.nansum(x, (0, 2), keepdim=True), ND3, gen=with_nans),
    *_dims_specs("nansum", lambda lib, x, d, k: x.nansum(d, keepdim=k), gen=with_nans),
    OpSpec("nanmean", lambda lib, x: x.nanmean(), gen=with_nans),
    OpSpec("nanmean", lambda lib, x: lib.nanmean(x, -1, True), ND + SCALAR, gen=with_nans),
    *_dims_specs("nanmean", lambda lib, x, d, k: x.nanmean(d, keepdim=k), gen=with_nans),
    # ------------------------------------------------------------------ aminmax
    OpSpec("aminmax", lambda lib, x: tuple(x.aminmax()), gen=distinct),
    OpSpec("aminmax", lambda lib, x: tuple(lib.aminmax(x, keepdim=True)), ND, gen=distinct),
    OpSpec("aminmax", lambda lib, x: tuple(x.aminmax(dim=0)), ND + SCALAR, gen=distinct),
    OpSpec("aminmax", lambda lib, x: tuple(x.aminmax(dim=-2, keepdim=True)), ND1, gen=distinct),
    OpSpec("aminmax", lambda lib, x: x.aminmax(dim=1).max, ND1, gen=distinct),
    # ------------------------------------------------------------------ cummax, cummin
    OpSpec("cummax", lambda lib, x: tuple(x.cummax(0)), ND + SCALAR, gen=distinct),
    OpSpec("cummax", lambda lib, x: tuple(lib.cummax(x, -1)), ND1, gen=distinct),
    OpSpec("cummax", lambda lib, x: x.cummax(dim=1).values, ND1, gen=distinct),
    OpSpec("cummin", lambda lib, x: tuple(x.cummin(-1)), ND + SCALAR, gen=distinct),
    OpSpec("cummin", lambda lib, x: tuple(lib.cummin(x, 1)), ND1, gen=distinct),
    OpSpec("cummin", lambda lib, x: x.cummin(dim=2).values, ND3, gen=distinct),
    # ------------------------------------------------------------------ logcumsumexp
    OpSpec("logcumsumexp", lambda lib, x: x.logcumsumexp(0), ND + SCALAR),
    OpSpec("logcumsumexp", lambda lib, x: x.logcumsumexp(-1), ND + SCALAR),
    OpSpec("logcumsumexp", lambda lib, x: lib.logcumsumexp(x, 1), ND1),
    OpSpec("logcumsumexp", lambda lib, x: lib.logcumsumexp(x * 30, dim=2), ND3),
]

# ---------------------------------------------------------------------- covariance, correlation,
# trapezoidal integration, in-place running sums and products


def _nonnegative(make):
    return Const(lambda rng: np.abs(make(rng)))


FWEIGHTS = Const(lambda rng: np.array([1, 2, 0, 3]))

OPS += [
    OpSpec("cov", lambda lib, x: x.cov(), [((3, 5),), ((5,),), ((1, 4),)]),
    OpSpec("cov", lambda lib, x: lib.cov(x, correction=0), [((2, 4),), ((3,),)]),
    OpSpec("cov", lambda lib, x: lib.cov(x, correction=2), [((2, 4),)]),
    OpSpec(
        "cov",  # the analytic weights get a gradient too
        lambda lib, x, w, f: lib.cov(x, fweights=f, aweights=w.abs() + 0.5),
        [((3, 4), (4,), FWEIGHTS), ((4,), (4,), FWEIGHTS)],
    ),
    OpSpec(
        "cov",
        lambda lib, x, w: lib.cov(x, correction=0, aweights=w * w + 0.1),
        [((2, 4), (4,))],
    ),
    OpSpec("cov", lambda lib, x, f: x.cov(fweights=f), [((2, 4), FWEIGHTS)]),
    OpSpec("corrcoef", lambda lib, x: x.corrcoef(), [((3, 5),), ((2, 4),)]),
    OpSpec("corrcoef", lambda lib, x: lib.corrcoef(x) * x.sum(), [((5,),)]),  # 1 for one row
    OpSpec("trapezoid", lambda lib, y: lib.trapezoid(y), ND),
    OpSpec("trapezoid", lambda lib, y: lib.trapezoid(y, dx=0.5, dim=0), ND + [((1, 3),)]),
    OpSpec(
        "trapezoid",
        lambda lib, y, x: lib.trapezoid(y, x),  # 1-D points along dim, or broadcast
        [((3,), (3,)), ((2, 3), (3,)), ((4, 2, 3), (2, 3)), ((2, 3), (1, 3))],
    ),
    OpSpec("trapezoid", lambda lib, y, x: lib.trapezoid(y, x, dim=1), [((4, 2, 3), (2,))]),
    OpSpec("trapz", lambda lib, y, x: lib.trapz(y, x, dim=0), [((3, 2), (3,))]),
    OpSpec("trapz", lambda lib, y: lib.trapz(y, dx=3.0), [((2, 3),)]),
    OpSpec("cumulative_trapezoid", lambda lib, y: lib.cumulative_trapezoid(y), ND),
    OpSpec(
        "cumulative_trapezoid",
        lambda lib, y: lib.cumulative_trapezoid(y, dx=-0.5, dim=0),
        [((4, 2, 3),), ((1,),)],
    ),
    OpSpec(
        "cumulative_trapezoid",
        lambda lib, y, x: lib.cumulative_trapezoid(y, x, dim=-1),
        [((2, 3), (3,)), ((4, 2, 3), (4, 2, 3))],
    ),
    OpSpec("cumsum_", lambda lib, x: (x * 1).cumsum_(0), ND + SCALAR),
    OpSpec("cumsum_", lambda lib, x: (x * 1)[1:].cumsum_(-1), [((4, 2, 3),)]),  # a view
    OpSpec("cumprod_", lambda lib, x: (x * 1).cumprod_(-1), ND, gen=away_from_zero),
    OpSpec("cumprod_", lambda lib, x: (x * 1).cumprod_(0) * x, [((2, 3),)], gen=away_from_zero),
]


test_matches_torch, test_gradcheck, test_matches_torch_bfloat16 = make_tests(OPS)


# ---------------------------------------------------------------------- helpers


def _pair(values, dtype=np.float64, requires_grad=True):
    a = np.asarray(values, dtype=dtype)
    x = tg.tensor(a, requires_grad=requires_grad)
    tx = torch.tensor(a, requires_grad=requires_grad)
    return x, tx


def _check(out, tout, **tol):
    assert tuple(out.shape) == tuple(tout.shape), f"shape {out.shape} vs torch {tout.shape}"
    assert str(out.dtype).split(".")[-1] == str(tout.dtype).split(".")[-1], (
        f"dtype {out.dtype} vs torch {tout.dtype}"
    )
    np.testing.assert_allclose(
        np.asarray(out.detach().numpy(), dtype=np.float64),
        np.asarray(tout.detach().numpy(), dtype=np.float64),
        **tol,
    )


def _grads(fn, values, upstream_seed=0, **tol):
    """Forward and gradient of ``fn(lib, x)`` against PyTorch under a random upstream gradient."""
    x, tx = _pair(values)
    out, tout = fn(tg, x), fn(torch, tx)
    _check(out, tout, **tol)
    g = np.random.default_rng(upstream_seed).standard_normal(tuple(tout.shape))
    out.backward(tg.tensor(g))
    tout.backward(torch.tensor(g))
    _check(x.grad, tx.grad, **tol)
    return x.grad.numpy()


# ---------------------------------------------------------------------- prod with zeros

ONE_ZERO = [[2.0, 0.0, 3.0], [1.5, -2.0, 0.5]]
TWO_ZEROS = [[0.0, 4.0, 0.0], [0.0, 0.0, 2.0]]


@pytest.mark.parametrize("values", [ONE_ZERO, TWO_ZEROS, [[0.0]], [0.0, 0.0, 0.0]])
@pytest.mark.parametrize(
    "fn",
    [
        lambda lib, x: x.prod(),
        lambda lib, x: x.prod(0),
        lambda lib, x: x.prod(-1, keepdim=True),
        lambda lib, x: x.prod(dim=0, keepdim=True),
    ],
    ids=["all", "dim0", "dim-1_keepdim", "dim0_keepdim"],
)
def test_prod_gradient_with_zeros(fn, values):
    """d prod/dx_i is the product of the others: nonzero at a lone zero, 0 with two zeros."""
    _grads(fn, values)


def test_prod_gradient_with_one_zero_is_the_product_of_the_others():
    grad = _grads(lambda lib, x: x.prod(), [2.0, 0.0, 3.0, -1.0])
    g = np.random.default_rng(0).standard_normal(())
    np.testing.assert_allclose(grad, g * np.array([0.0, -6.0, 0.0, 0.0]))


@pytest.mark.parametrize("values", [ONE_ZERO, TWO_ZEROS])
@pytest.mark.parametrize("dim", [None, 0, 1])
def test_prod_second_order_with_zeros(values, dim):
    """Double backward through prod at zeros (the Hessian of a product is nonzero there)."""
    results = []
    for lib in (tg, torch):
        x = lib.tensor(values, dtype=lib.float64, requires_grad=True)
        out = x.prod() if dim is None else x.prod(dim)
        (g,) = lib.autograd.grad(out.sum(), [x], create_graph=True)
        w = lib.tensor(np.arange(6.0).reshape(2, 3) + 1.0)
        (gg,) = lib.autograd.grad((g * w).sum(), [x])
        results.append((g.detach().numpy(), gg.numpy()))
    np.testing.assert_allclose(results[0][0], results[1][0])
    np.testing.assert_allclose(results[0][1], results[1][1])


# ---------------------------------------------------------------------- ties


TIES = [[3.0, 1.0, 3.0], [2.0, 2.0, 2.0], [-1.0, 5.0, 5.0]]


@pytest.mark.parametrize(
    "fn",
    [
        lambda lib, x: x.amax(),
        lambda lib, x: x.amin(),
        lambda lib, x: x.amax(1),
        lambda lib, x: x.amin(0, keepdim=True),
        lambda lib, x: x.amax((0, 1)),
        lambda lib, x: x.amax(-1, True),
        lambda lib, x: x.max(),
        lambda lib, x: x.min(),
        lambda lib, x: x.norm(math.inf),
        lambda lib, x: x.norm(math.inf, dim=1),
    ],
    ids=["amax", "amin", "amax1", "amin0k", "amax01", "amax-1k", "max", "min", "inf", "inf1"],
)
def test_ties_share_the_gradient_evenly(fn):
    """amax/amin and full max/min split the gradient evenly among tied elements (PyTorch)."""
    _grads(fn, TIES)


def test_ties_share_evenly_exact_values():
    x = tg.tensor(TIES, requires_grad=True)
    x.amax(1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0.5, 0, 0.5], [1 / 3] * 3, [0, 0.5, 0.5]])


@pytest.mark.parametrize("op", ["max", "min"])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_max_with_dim_sends_the_gradient_to_the_returned_index(op, dim):
    """``max(dim)`` (values, indices) with ties: the gradient goes to the index it returns,
    which is the first occurrence, as PyTorch's CPU kernel."""
    x, tx = _pair(TIES)
    out, tout = getattr(x, op)(dim), getattr(tx, op)(dim)
    np.testing.assert_array_equal(out.indices.numpy(), tout.indices.numpy())
    _check(out.values, tout.values)
    out.values.sum().backward()
    tout.values.sum().backward()
    _check(x.grad, tx.grad)


# ---------------------------------------------------------------------- argmax, argmin


@pytest.mark.parametrize("op", ["argmax", "argmin"])
@pytest.mark.parametrize(
    "args",
    [(), (0,), (1,), (-1,), (0, True), (-1, True), (None, True)],
    ids=["all", "0", "1", "-1", "0k", "-1k", "all_k"],
)
@pytest.mark.parametrize("values", [TIES, [[0.5, -2.0, 7.0, 1.0]], [[[1.0], [4.0]]]])
def test_argmax_argmin_match_torch(op, args, values):
    out = getattr(tg.tensor(values), op)(*args)
    tout = getattr(torch.tensor(values), op)(*args)
    _check(out, tout)
    assert not out.requires_grad


@pytest.mark.parametrize("op", ["argmax", "argmin"])
def test_argmax_of_0d_and_int_tensors(op):
    _check(getattr(tg.tensor(2.5), op)(), getattr(torch.tensor(2.5), op)())
    _check(getattr(tg.tensor(2.5), op)(0), getattr(torch.tensor(2.5), op)(0))
    _check(getattr(tg.tensor([3, 9, 9, 1]), op)(), getattr(torch.tensor([3, 9, 9, 1]), op)())
    _check(getattr(tg, op)(tg.tensor(TIES), 1), getattr(torch, op)(torch.tensor(TIES), 1))


# ---------------------------------------------------------------------- all, any, count_nonzero

LOGICAL = [
    [[True, False, True], [True, True, True]],
    [[0.0, 1.5, -2.0], [0.0, 0.0, 3.0]],
    [[0, 1, 2], [3, 0, 5]],
    [[False, False], [False, False]],
    True,
    0.0,
]
LOGICAL_ARGS = [(), (0,), (1,), (-1,), (0, True), (-1, True)]


@pytest.mark.parametrize("op", ["all", "any"])
@pytest.mark.parametrize("args", LOGICAL_ARGS, ids=["all", "0", "1", "-1", "0k", "-1k"])
@pytest.mark.parametrize("k", range(len(LOGICAL)))
def test_all_any_match_torch(op, args, k):
    values = LOGICAL[k]
    if np.ndim(values) == 0 and args and args[0] == 1:
        pytest.skip("a 0-d tensor has no dim 1")
    out = getattr(tg.tensor(values), op)(*args)
    tout = getattr(torch.tensor(values), op)(*args)
    _check(out, tout)
    _check(getattr(tg, op)(tg.tensor(values)), getattr(torch, op)(torch.tensor(values)))


@pytest.mark.parametrize(
    "args",
    [(), (0,), (1,), (-1,), ((0, 1),), ((-1,),)],
    ids=["all", "0", "1", "-1", "01", "t-1"],
)
@pytest.mark.parametrize("k", range(4))
def test_count_nonzero_matches_torch(args, k):
    values = LOGICAL[k]
    out = tg.tensor(values).count_nonzero(*args)
    tout = torch.tensor(values).count_nonzero(*args)
    _check(out, tout)


def test_count_nonzero_of_0d_and_with_dim_keyword():
    _check(tg.tensor(0.0).count_nonzero(), torch.tensor(0.0).count_nonzero())
    _check(tg.tensor(2.0).count_nonzero(dim=0), torch.tensor(2.0).count_nonzero(dim=0))
    x = np.array(LOGICAL[1])
    _check(tg.count_nonzero(tg.tensor(x), dim=1), torch.count_nonzero(torch.tensor(x), dim=1))


# ---------------------------------------------------------------------- huge and infinite inputs


STABILITY = {
    "huge": [[1000.0, -1000.0, 999.0], [-1000.0, -999.0, -1001.0]],
    "minus_inf": [[0.5, -math.inf, 1.0], [-math.inf, 2.0, -math.inf]],
    "huge_and_minus_inf": [[1000.0, -math.inf, 1000.0], [-math.inf, -1000.0, -1000.0]],
}


@pytest.mark.parametrize("values", list(STABILITY.values()), ids=list(STABILITY))
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize(
    "fn",
    [
        lambda lib, x: x.logsumexp(1),
        lambda lib, x: x.logsumexp(-1, keepdim=True),
        lambda lib, x: x.logsumexp((0, 1)),
        lambda lib, x: x.softmax(1),
        lambda lib, x: x.softmax(-1),
        lambda lib, x: x.log_softmax(1),
        lambda lib, x: lib.nn.functional.log_softmax(x, -1),
    ],
    ids=["lse1", "lse-1k", "lse01", "softmax1", "softmax-1", "log_softmax1", "F.log_softmax"],
)
def test_softmax_family_is_stable(fn, dtype, values):
    """Finite where PyTorch is finite (inputs of magnitude 1000 overflow a naive exp), with
    -inf entries giving probability 0 and log-probability -inf, and the same gradients."""
    x, tx = _pair(values, dtype)
    out, tout = fn(tg, x), fn(torch, tx)
    # float32 at magnitude 1000: one ulp of logsumexp is 6e-5, and PyTorch's gradient is
    # exp(x - logsumexp) (ours is exp(x - max) / sum, from the graph)
    tol = dict(rtol=1e-4, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)
    _check(out, tout, **tol)
    t_np = tout.detach().numpy()
    assert np.array_equal(np.isfinite(out.detach().numpy()), np.isfinite(t_np))
    assert not np.isnan(out.detach().numpy()).any()
    g = np.random.default_rng(0).standard_normal(tuple(tout.shape)).astype(dtype)
    g[~np.isfinite(t_np)] = 0.0  # gradients flowing into -inf log-probabilities are moot
    out.backward(tg.tensor(g))
    tout.backward(torch.tensor(g))
    assert np.isfinite(x.grad.numpy()).all()
    _check(x.grad, tx.grad, **tol)


@pytest.mark.parametrize("fn", ["logsumexp", "softmax", "log_softmax"])
def test_all_minus_inf_row_matches_torch(fn):
    """A row of only -inf: logsumexp -inf (no nan from -inf - -inf); softmax nan as PyTorch."""
    values = [[-math.inf, -math.inf], [0.0, 1.0]]
    out = getattr(tg.tensor(values), fn)(1)
    tout = getattr(torch.tensor(values), fn)(1)
    np.testing.assert_allclose(out.numpy(), tout.numpy(), rtol=1e-6, equal_nan=True)


def test_logsumexp_plus_inf_and_empty():
    values = [[math.inf, 1.0], [2.0, 3.0]]
    _check(tg.tensor(values).logsumexp(1), torch.tensor(values).logsumexp(1))
    _check(tg.zeros(0, 3).logsumexp(0), torch.zeros(0, 3).logsumexp(0))
    _check(tg.zeros(0, 3).softmax(0), torch.zeros(0, 3).softmax(0))
    _check(tg.zeros(2, 0).log_softmax(1), torch.zeros(2, 0).log_softmax(1))


# ---------------------------------------------------------------------- dtypes and edge cases

DTYPE_CASES = {
    "int sum": lambda lib: lib.tensor([[1, 2], [3, 4]], dtype=lib.int32).sum(),
    "int sum dim": lambda lib: lib.tensor([[1, 2], [3, 4]], dtype=lib.int8).sum(1, keepdim=True),
    "bool sum": lambda lib: lib.tensor([True, True, False]).sum(),
    "uint8 sum": lambda lib: lib.tensor([200, 100], dtype=lib.uint8).sum(),
    "sum dtype": lambda lib: lib.tensor([1, 2]).sum(dtype=lib.float64),
    "float32 sum dtype": lambda lib: lib.tensor([1.5, 2.5]).sum(dtype=lib.float64),
    "int prod": lambda lib: lib.tensor([3, -2, 4], dtype=lib.int16).prod(),
    "bool prod": lambda lib: lib.tensor([True, False]).prod(),
    "int prod dim": lambda lib: lib.tensor([[3, 2], [1, 5]]).prod(0),
    "int cumsum": lambda lib: lib.tensor([3, 2, 7], dtype=lib.int8).cumsum(0),
    "bool cumsum": lambda lib: lib.tensor([True, False, True]).cumsum(0),
    "cumsum dtype": lambda lib: lib.tensor([1, 2]).cumsum(0, dtype=lib.float32),
    "int amax": lambda lib: lib.tensor([[3, 9], [1, 5]], dtype=lib.int32).amax(0),
    "int max": lambda lib: lib.tensor([[3, 9], [1, 5]]).max(),
    "int max dim": lambda lib: lib.tensor([[3, 9], [1, 5]]).max(1).values,
    "bool amax": lambda lib: lib.tensor([True, False]).amax(),
    "mean dtype": lambda lib: lib.tensor([1, 2]).mean(dtype=lib.float32),
    "float64 mean": lambda lib: lib.tensor([1.0, 2.0], dtype=lib.float64).mean(),
    "float16 sum": lambda lib: lib.tensor([1.0, 2.0], dtype=lib.float16).sum(),
    "logsumexp int": lambda lib: lib.tensor([1, 2]).logsumexp(0),
    "norm 0": lambda lib: lib.tensor([[1.0, 0.0], [0.0, -2.0]]).norm(0),
    "norm 0 dim": lambda lib: lib.tensor([[1.0, 0.0], [0.0, -2.0]]).norm(0, dim=1),
    "sum empty": lambda lib: lib.zeros(0, 3).sum(0),
    "mean empty": lambda lib: lib.zeros(0, 3).mean(0),
    "prod empty": lambda lib: lib.zeros(0, 3).prod(0),
    "norm empty": lambda lib: lib.zeros(0, 3).norm(),
    "count_nonzero empty": lambda lib: lib.zeros(0, 3).count_nonzero(),
    "all empty": lambda lib: lib.zeros(0, 3).all(),
    "any empty": lambda lib: lib.zeros(0, 3).any(1),
    "amax of empty rows": lambda lib: lib.zeros(0, 3).amax(1),
    "var of one element": lambda lib: lib.tensor([1.5]).var(),
    "var correction above N": lambda lib: lib.tensor([1.0, 2.0]).var(correction=3),
    "std 0-d": lambda lib: lib.tensor(1.0).std(correction=0),
    "mean of dim ()": lambda lib: lib.tensor([[1.0, 2.0], [3.0, 5.0]]).mean(()),
    "var of dim ()": lambda lib: lib.tensor([[1.0, 2.0], [3.0, 5.0]]).var(()),
    "norm of dim ()": lambda lib: lib.tensor([[1.0, 2.0], [3.0, 5.0]]).norm(dim=()),
    "count_nonzero of dim ()": lambda lib: lib.tensor([[1.0, 0.0], [3.0, 5.0]]).count_nonzero(()),
    "all of dim ()": lambda lib: lib.tensor([[1.0, 0.0], [3.0, 5.0]]).all(()),
    "sum 0-d dim 0": lambda lib: lib.tensor(2.0).sum(0, keepdim=True),
    "mean 0-d dims": lambda lib: lib.tensor(2.0).mean((0,)),
    "amax 0-d": lambda lib: lib.tensor(2.0).amax(-1),
    "max 0-d dim": lambda lib: lib.tensor(2.0).max(0, keepdim=True).values,
    "prod 0-d": lambda lib: lib.tensor(2.0).prod(0),
    "cumsum 0-d": lambda lib: lib.tensor(2.0).cumsum(-1),
    "softmax 0-d": lambda lib: lib.tensor(2.0).softmax(0),
    "logsumexp 0-d": lambda lib: lib.tensor(2.0).logsumexp(0, keepdim=True),
}


@pytest.mark.parametrize("name", list(DTYPE_CASES))
def test_dtypes_and_edge_cases_match_torch(name):
    _check(DTYPE_CASES[name](tg), DTYPE_CASES[name](torch), rtol=1e-6)


ERRORS = {
    "mean of int": (lambda lib: lib.tensor([1, 2]).mean(), RuntimeError),
    "var of int": (lambda lib: lib.tensor([1, 2]).var(), RuntimeError),
    "std of int": (lambda lib: lib.tensor([1, 2]).std(), RuntimeError),
    "norm of int": (lambda lib: lib.tensor([3, 4]).norm(), RuntimeError),
    "dim out of range": (lambda lib: lib.ones(2, 3).sum(2), IndexError),
    "negative dim out of range": (lambda lib: lib.ones(2, 3).amax(-3), IndexError),
    "0-d dim out of range": (lambda lib: lib.tensor(1.0).sum(1), IndexError),
    "repeated dim": (lambda lib: lib.ones(2, 3).sum((1, -1)), RuntimeError),
    "repeated dim amax": (lambda lib: lib.ones(2, 3).amax((0, 0)), RuntimeError),
    "amax over empty dim": (lambda lib: lib.zeros(0, 3).amax(0), IndexError),
    "max dim over empty dim": (lambda lib: lib.zeros(0, 3).max(0), IndexError),
    "argmax of empty": (lambda lib: lib.zeros(0, 3).argmax(0), IndexError),
    "norm nuc of a vector": (
        lambda lib: lib.ones(3).norm("nuc"),
        (RuntimeError, NotImplementedError),
    ),
    "cumsum dim out of range": (lambda lib: lib.ones(2).cumsum(1), IndexError),
    "softmax dim out of range": (lambda lib: lib.ones(2).softmax(2), IndexError),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_errors_match_torch_exception_types(name):
    fn, error = ERRORS[name]
    with pytest.raises(error):
        fn(torch)
    with pytest.raises(error):
        fn(tg)


def test_sum_of_nan_and_inf():
    values = [[math.inf, 1.0], [math.nan, 2.0], [-math.inf, math.inf]]
    for name in ("sum", "mean", "amax", "amin", "prod", "norm"):
        out = getattr(tg.tensor(values), name)(1)
        tout = getattr(torch.tensor(values), name)(1)
        np.testing.assert_array_equal(out.numpy(), tout.numpy(), err_msg=name)


def test_norm_gradient_at_zero_is_zero():
    """d|x|/dx at x = 0 is taken as 0 (PyTorch), not nan."""
    _grads(lambda lib, x: x.norm(), [0.0, 0.0, 0.0])
    _grads(lambda lib, x: x.norm(dim=1), [[0.0, 0.0], [3.0, 4.0]])


def test_std_gradient_of_constant_rows_matches_torch():
    """std = sqrt(0) has an infinite slope; PyTorch's gradient there is nan (0 * inf)."""
    x, tx = _pair([[1.0, 1.0, 1.0], [1.0, 2.0, 3.0]])
    x.std(1).sum().backward()
    tx.std(1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), equal_nan=True)


def test_cumprod_gradient_with_zeros_matches_torch():
    """One, two and no zeros per row, a zero first and last: the first-order gradient is exact."""
    values = [[1.5, 2, 0, 3, 0, 2], [0, 1, 2, 3, 4, 0.5], [2, 0.5, 1, 3, 4, 0]]
    _grads(lambda lib, x: x.cumprod(1), values)
    _grads(lambda lib, x: x.cumprod(0), values)


def test_var_mean_and_std_mean_return_a_tuple_like_torch():
    x, tx = _pair(np.random.default_rng(0).standard_normal((3, 4)))
    for name in ("var_mean", "std_mean"):
        out, expected = getattr(tg, name)(x, 1), getattr(torch, name)(tx, 1)
        assert isinstance(out, tuple) and len(out) == 2
        for a, b in zip(out, expected):
            _check(a, b)


# ---------------------------------------------------------------------- NaN-aware, scans


def test_nan_reductions_of_all_nan_rows_and_integers_match_torch():
    nan = float("nan")
    cases = [
        lambda lib: lib.tensor([[nan, nan], [1.0, nan]]).nanmean(1),
        lambda lib: lib.tensor([[nan, nan], [1.0, nan]]).nansum(1),
        lambda lib: lib.tensor([[nan, nan], [1.0, nan]]).nansum(),
        lambda lib: lib.tensor([3, 4], dtype=lib.int32).nansum(),
        lambda lib: lib.tensor([1.0, 2.0]).nanmean(dtype=lib.float64),
        lambda lib: lib.zeros(0, 3).nanmean(0),
    ]
    for fn in cases:
        _check(fn(tg), fn(torch))
    # an all-NaN slice: PyTorch's gradient is 0 * (g / 0) = NaN there, ours 0 (masked_fill)
    x, tx = _pair([[nan, nan], [1.0, nan], [2.0, 4.0]])
    x.nanmean(1).sum().backward()
    tx.nanmean(1).sum().backward()
    _check(x.grad[1:], tx.grad[1:])
    assert x.grad[0].tolist() == [0.0, 0.0] and tx.grad[0].isnan().all()
    with pytest.raises(RuntimeError, match="floating point"):
        tg.tensor([1, 2]).nanmean()


def test_aminmax_ties_share_the_gradient_and_the_result_is_named():
    out = tg.tensor([[1.0, 2.0], [0.5, 3.0]]).aminmax(dim=1)
    assert out._fields == ("min", "max") and out.min.tolist() == [1.0, 0.5]
    _grads(
        lambda lib, x: lib.aminmax(x).max * 2 + lib.aminmax(x).min,
        [[3.0, 1.0, 3.0], [1.0, 0.0, 0.0]],
    )
    for fn in (lambda lib: lib.zeros(0).aminmax(), lambda lib: lib.zeros(0, 2).aminmax(dim=0)):
        with pytest.raises((RuntimeError, IndexError)):
            fn(torch)
        with pytest.raises((RuntimeError, IndexError)):
            fn(tg)


@pytest.mark.parametrize("name", ["cummax", "cummin"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.int16, np.bool_])
def test_cummax_cummin_with_ties_nan_and_dtypes_match_torch(name, dtype):
    rng = np.random.default_rng(0)
    a = rng.integers(0, 3, (4, 7)).astype(dtype)
    if a.dtype.kind == "f":
        a[rng.random(a.shape) < 0.2] = np.nan
    for dim in (0, 1, -1):
        ours, theirs = getattr(tg.tensor(a), name)(dim), getattr(torch.tensor(a), name)(dim)
        assert ours._fields == ("values", "indices")
        for o, t in zip(ours, theirs):
            assert str(o.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
            np.testing.assert_array_equal(o.numpy(), t.numpy())
    for shape in [(0,), (2, 0)]:
        _check(
            getattr(tg.zeros(shape), name)(-1).indices,
            getattr(torch.zeros(shape), name)(-1).indices,
        )


def test_cummax_gradient_flows_to_the_index_with_ties():
    _grads(
        lambda lib, x: x.cummax(1).values, [[1.0, 3.0, 3.0, 2.0, 3.0], [2.0, 2.0, 1.0, 0.0, 4.0]]
    )
    _grads(lambda lib, x: x.cummin(0).values, [[1.0, 3.0], [1.0, 2.0], [0.5, 2.0]])


def test_logcumsumexp_is_stable_and_matches_torch():
    big = [[-1000.0, 0.0, 1000.0, 1000.0], [-np.inf, -np.inf, 0.0, -np.inf]]
    _check(tg.tensor(big).logcumsumexp(1), torch.tensor(big).logcumsumexp(1))
    _grads(lambda lib, x: x.logcumsumexp(1), [[-1000.0, 0.0, 700.0, 1.0], [3.0, -2.0, 0.5, 0.5]])
    _check(tg.zeros(0, 2).logcumsumexp(0), torch.zeros(0, 2).logcumsumexp(0))
    with pytest.raises(RuntimeError, match="floating point"):
        tg.tensor([1, 2]).logcumsumexp(0)


def test_cov_corrcoef_and_trapezoid_edge_cases_match_torch():
    cases = [
        lambda lib: lib.cov(lib.tensor([[1, 2, 4], [3, 1, 0]])),
        lambda lib: lib.cov(lib.tensor([1.0])),  # no degrees of freedom: nan, and a warning
        lambda lib: lib.cov(lib.tensor([[1.0, 2.0]]), correction=3),
        lambda lib: lib.cov(
            lib.tensor([[1.0, 2, 4], [3, 1, 0]], dtype=lib.float64),
            fweights=lib.tensor([1, 2, 1]),
            aweights=lib.tensor([0.5, 1, 2], dtype=lib.float64),
        ),
        lambda lib: lib.cov(lib.tensor([1.0, 2.0, 4.0]), aweights=lib.tensor([0.0, 0.0, 1.0])),
        lambda lib: lib.corrcoef(lib.tensor([[1, 2, 4], [3, 1, 0]])),
        lambda lib: lib.corrcoef(lib.tensor([1.0, 2.0, 4.0])),
        lambda lib: lib.corrcoef(lib.tensor([[1.0, 1.0, 1.0], [1.0, 2.0, 3.0]])),  # a constant row
        lambda lib: lib.trapezoid(lib.tensor([1, 2, 4])),
        lambda lib: lib.trapezoid(lib.tensor([1, 2, 4]), dx=2),
        lambda lib: lib.trapezoid(lib.zeros(2, 0)),
        lambda lib: lib.trapezoid(lib.zeros(2, 0, dtype=lib.int64), dim=1),
        lambda lib: lib.trapezoid(lib.ones(3, 1), dim=1),
        lambda lib: lib.trapezoid(lib.tensor([1.0, 2.0, 4.0]), lib.tensor([0, 1, 3])),
        lambda lib: lib.cumulative_trapezoid(lib.tensor([1, 2, 4])),
        lambda lib: lib.cumulative_trapezoid(lib.tensor([1.0])),
        lambda lib: lib.cumulative_trapezoid(lib.zeros(2, 0), dim=1),
        lambda lib: lib.tensor([[1, 2], [3, 4]]).cumsum_(0),
        lambda lib: lib.tensor([[1, 2], [3, 4]]).cumprod_(1),
    ]
    for fn in cases:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ours, theirs = fn(tg), fn(torch)
        assert tuple(ours.shape) == tuple(theirs.shape)
        assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
    with pytest.warns(UserWarning, match="degrees of freedom"):
        tg.cov(tg.tensor([[1.0, 2.0]]), correction=2)


@pytest.mark.parametrize(
    "call, error",
    [
        (lambda lib: lib.cov(lib.ones(2, 2, 2)), RuntimeError),
        (lambda lib: lib.cov(lib.ones(3), fweights=lib.tensor([1.0, 2, 3])), RuntimeError),
        (lambda lib: lib.cov(lib.ones(3), fweights=lib.tensor([-1, 2, 3])), RuntimeError),
        (lambda lib: lib.cov(lib.ones(3), fweights=lib.tensor([1, 2])), RuntimeError),
        (lambda lib: lib.cov(lib.ones(3), fweights=lib.tensor([[1, 2, 3]])), RuntimeError),
        (lambda lib: lib.cov(lib.ones(3), aweights=lib.tensor([1, 2, 3])), RuntimeError),
        (lambda lib: lib.cov(lib.ones(3), aweights=lib.tensor([-1.0, 2, 3])), RuntimeError),
        (lambda lib: lib.trapezoid(lib.ones(3), lib.ones(2)), RuntimeError),
        (lambda lib: lib.trapezoid(lib.ones(2, 3), lib.ones(3, 3)), RuntimeError),
        (lambda lib: lib.trapezoid(lib.tensor(1.0)), IndexError),
        (lambda lib: lib.trapezoid(lib.ones(3), 2.0), TypeError),
        (lambda lib: lib.trapezoid(lib.ones(3, dtype=lib.bool)), RuntimeError),
        (lambda lib: lib.cumulative_trapezoid(lib.ones(3), lib.ones(4)), RuntimeError),
    ],
)
def test_cov_and_trapezoid_errors_like_torch(call, error):
    with pytest.raises(error):
        call(torch)
    with pytest.raises(error):
        call(tg)
