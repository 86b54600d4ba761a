"""A table of dtype-sensitive expressions run in tensorgrad and PyTorch: the result's dtype and
values, or the error's type and message key phrase, must match. Covers the binary ops over
all dtype pairs (0-d tensors and Python scalars included), in-place casts, reductions,
factories and the matrix products, which do not promote."""

import itertools

import numpy as np
import pytest

import tensorgrad as tg

torch = pytest.importorskip("torch")

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
VALUES = {
    "bool": [True, False, True],
    "uint8": [3, 200, 7],
    "int8": [3, -5, 7],
    "int16": [3, -5, 300],
    "int32": [3, -5, 70000],
    "int64": [3, -5, 7],
    "float16": [1.5, -2.25, 3.0],
    "float32": [1.5, -2.25, 3.0],
    "float64": [1.5, -2.25, 3.0],
}


def t(lib, dtype: str, zero_dim: bool = False):
    """A 3-element tensor of ``dtype`` (its first value as a 0-d tensor with ``zero_dim``)."""
    values = VALUES[dtype]
    return lib.tensor(values[0] if zero_dim else values, dtype=getattr(lib, dtype))


def outcome(fn, lib):
    """``fn(lib)``'s dtype name and values, or the exception (its type may differ: PyTorch's
    NotImplementedError for a kernel missing for a dtype is a TypeError here, for example)."""
    try:
        r = fn(lib)
    except Exception as e:  # the error is what is compared
        return ("error", type(e).__name__, str(e))
    if isinstance(r, (lib.Tensor,)):
        return (str(r.dtype).split(".")[-1], np.asarray(r.detach().cpu().numpy()))
    return ("value", str(r).split(".")[-1])


def check(fn, phrase: str | None = None):
    """Compare ``fn(tg)`` with ``fn(torch)``; ``phrase`` must appear in both errors."""
    want, got = outcome(fn, torch), outcome(fn, tg)
    assert want[0] == got[0], (want, got)
    if want[0] == "error":
        assert phrase is None or (phrase in want[2] and phrase in got[2]), (want, got)
    elif want[0] != "value":
        np.testing.assert_allclose(
            got[1].astype(np.float64), want[1].astype(np.float64), rtol=1e-3, atol=1e-3
        )
    else:
        assert want == got


BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "lt": lambda a, b: a < b,
    "add_alpha": lambda a, b: a.add(b, alpha=2),
    "maximum": lambda a, b: a.maximum(b),
    "atan2": lambda a, b: a.atan2(b),
}
PAIRS = list(itertools.product(DTYPES, DTYPES))


@pytest.mark.parametrize("op", BINARY)
def test_binary_ops_over_all_dtype_pairs_match_torch(op):
    fn = BINARY[op]
    for a, b in PAIRS:
        if op == "sub" and "bool" in (a, b):
            continue  # an error, checked below
        for zero_dim in (False, True):  # a 0-d operand does not widen the category
            check(lambda lib, a=a, b=b, z=zero_dim: fn(t(lib, a), t(lib, b, z)))


INT_OPS = {
    "floordiv": lambda a, b: a // b,
    "mod": lambda a, b: a % b,
    "fmod": lambda a, b: a.fmod(b),
    "pow": lambda a, b: a**b,
}
INTS = ["uint8", "int8", "int16", "int32", "int64"]


@pytest.mark.parametrize("op", INT_OPS)
def test_integer_division_and_power_match_torch(op):
    fn = INT_OPS[op]
    for a, b in itertools.product(INTS + ["float32"], INTS + ["float32"]):
        check(lambda lib, a=a, b=b: fn(t(lib, a), t(lib, b)))  # negative int powers: 0, 1, -1


@pytest.mark.parametrize("op", ["floordiv", "mod", "fmod"])
def test_integer_division_by_zero_raises_as_torch(op):
    fn = INT_OPS[op]
    check(lambda lib: fn(lib.tensor([7, 3]), lib.tensor([2, 0])), "ZeroDivisionError")
    check(lambda lib: fn(lib.tensor([7, 3]), 0), "ZeroDivisionError")
    check(lambda lib: fn(lib.tensor([7.0, 3.0]), 0))  # floats give nan or inf


SCALARS = [2, 1000, -1, 2.5, True]


@pytest.mark.parametrize("dtype", DTYPES)
def test_tensor_and_python_scalar_match_torch(dtype):
    for s in SCALARS:
        for name in ["add", "mul", "div", "lt"]:
            fn = BINARY[name]
            check(lambda lib, s=s, fn=fn: fn(t(lib, dtype), s))
            check(lambda lib, s=s, fn=fn: fn(s, t(lib, dtype)))
    check(lambda lib: 2 ** t(lib, dtype))
    check(lambda lib: t(lib, dtype) / 2)
    check(lambda lib: t(lib, dtype) * 1.5)


@pytest.mark.parametrize(
    "case,phrase",
    [
        (lambda lib: lib.tensor([1, 2]).__iadd__(1.5), "can't be cast"),
        (lambda lib: lib.tensor([1, 2]).__iadd__(lib.tensor([1.5, 2.0])), "can't be cast"),
        (lambda lib: lib.tensor([1.0, 2.0]).__iadd__(lib.tensor([1, 2])), None),
        (lambda lib: lib.tensor([1, 2], dtype=lib.int8).__iadd__(1000), None),
        (lambda lib: lib.tensor([True]).__isub__(lib.tensor([True])), "`-` operator"),
        (lambda lib: lib.tensor([1, 2]).add(lib.tensor([1, 2]), alpha=2.5), "alpha"),
        (lambda lib: lib.tensor([True]).add(lib.tensor([True]), alpha=2), None),
        (lambda lib: -lib.tensor([True]), None),
        (lambda lib: lib.tensor([True]) - lib.tensor([True]), "Subtraction"),
    ],
)
def test_in_place_casts_and_bool_errors_match_torch(case, phrase):
    check(case, phrase)


@pytest.mark.parametrize("dtype", DTYPES)
def test_unary_ops_and_reductions_match_torch(dtype):
    for name in ["sqrt", "exp", "sin", "sigmoid", "neg", "sign", "isnan"]:
        check(lambda lib, name=name: getattr(lib, name)(t(lib, dtype)))
    for name in ["sum", "prod", "mean", "std", "amax", "any", "all"]:
        check(lambda lib, name=name: getattr(lib, name)(t(lib, dtype)))
    check(lambda lib: lib.cumsum(t(lib, dtype), 0))
    for to in DTYPES:  # dtype= casts first and is kept: no widening to int64
        check(lambda lib, to=to: t(lib, dtype).sum(dtype=getattr(lib, to)))


PRODUCTS = {
    "mm": lambda lib, a, b: lib.mm(a.reshape(1, 3), b.reshape(3, 1)),
    "matmul": lambda lib, a, b: a @ b,
    "bmm": lambda lib, a, b: lib.bmm(a.reshape(1, 1, 3), b.reshape(1, 3, 1)),
}


@pytest.mark.parametrize("op", PRODUCTS)
def test_matrix_products_do_not_promote(op):
    fn = PRODUCTS[op]
    for a, b in PAIRS:
        if "bool" in (a, b) and op == "bmm":
            continue  # PyTorch's bmm names no dtype pair for bool
        phrase = None if a == b or op == "bmm" else "same dtype"
        check(lambda lib, a=a, b=b: fn(lib, t(lib, a), t(lib, b)), phrase)


def _linear(lib, dtype):
    lib.manual_seed(0)
    return lib.nn.Linear(3, 2)(lib.ones(1, 3, dtype=getattr(lib, dtype)))


@pytest.mark.parametrize(
    "case",
    [
        lambda lib: _linear(lib, "float64"),
        lambda lib: _linear(lib, "int64"),
        lambda lib: lib.nn.functional.linear(lib.ones(1, 3), lib.ones(2, 3, dtype=lib.float64)),
        lambda lib: lib.nn.functional.linear(
            lib.ones(4, 2, 3), lib.ones(2, 3), lib.ones(2, dtype=lib.float64)
        ),
        lambda lib: lib.addmm(lib.ones(2, 2, dtype=lib.float64), lib.ones(2, 2), lib.ones(2, 2)),
        lambda lib: lib.dot(lib.ones(2), lib.ones(2, dtype=lib.float64)),
        lambda lib: lib.nn.functional.conv2d(
            lib.ones(1, 1, 3, 3, dtype=lib.float64), lib.ones(1, 1, 2, 2)
        ),
    ],
)
def test_linear_and_conv_with_mixed_dtypes_raise_as_torch(case):
    check(case, None)


@pytest.mark.parametrize(
    "case",
    [
        lambda lib: lib.tensor([1, 2]),
        lambda lib: lib.tensor([1.0, 2]),
        lambda lib: lib.tensor([True, False]),
        lambda lib: lib.tensor([True, 2]),
        lambda lib: lib.arange(5),
        lambda lib: lib.arange(0, 1, 0.1),
        lambda lib: lib.arange(5.0),
        lambda lib: lib.full((2,), 7),
        lambda lib: lib.full((2,), True),
        lambda lib: lib.zeros_like(lib.tensor([1, 2]), dtype=lib.float64),
        lambda lib: lib.linspace(0, 10, 5, dtype=lib.int64),
        lambda lib: lib.randint(0, 5, (3,)).dtype,
        lambda lib: lib.clamp(lib.tensor([1, 5]), min=1.5),
        lambda lib: lib.tensor([1, 5]).masked_fill(lib.tensor([True, False]), 2.7),
        lambda lib: lib.nn.functional.one_hot(lib.tensor([0, 2]), 3),
        lambda lib: lib.cat([lib.tensor([1, 2]), lib.tensor([1.5])]),
        lambda lib: lib.tensor([1, 2]).type_as(lib.tensor([1.5])),
        lambda lib: lib.tensor([1, 2]).to(lib.tensor([1.5], dtype=lib.float64)),
        lambda lib: lib.result_type(lib.tensor([1], dtype=lib.int8), lib.tensor(1000)),
        lambda lib: lib.promote_types(lib.uint8, lib.int8),
        lambda lib: lib.can_cast(lib.float32, lib.int32),
        lambda lib: lib.nn.functional.cross_entropy(
            lib.tensor([[1.0, 2.0, 0.5]]), lib.tensor([1], dtype=lib.int32)
        ),
        lambda lib: lib.nn.functional.cross_entropy(
            lib.tensor([[1.0, 2.0, 0.5]]), lib.tensor([[0.2, 0.3, 0.5]])
        ),
    ],
)
def test_factories_and_casts_match_torch(case):
    check(case)
