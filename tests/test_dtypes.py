"""Type promotion and result dtypes, checked against PyTorch's for every pair of dtypes."""

import itertools
import operator

import numpy as np
import pytest

import tensorgrad as tg

torch = pytest.importorskip("torch")

DTYPES = ["bool", "int32", "int64", "float16", "float32", "float64"]
OPS = {"add": operator.add, "mul": operator.mul, "truediv": operator.truediv}
# (left shape, right shape): tensor vs tensor, tensor vs 0-d tensor and the reverse, 0-d vs 0-d
SHAPES = [((2, 3), (2, 3)), ((2, 3), ()), ((), (2, 3)), ((), ())]
SCALARS = [True, 2, 2.5]


def _name(dtype) -> str:
    return str(dtype).split(".")[-1]


def _make(lib, dtype: str, shape):
    return lib.ones(shape, dtype=getattr(lib, dtype))


def _result_dtype(fn, lib) -> str:
    try:
        return _name(fn(lib).dtype)
    except RuntimeError:
        return "error"


@pytest.mark.parametrize("op", OPS, ids=list(OPS))
@pytest.mark.parametrize("a,b", list(itertools.product(DTYPES, DTYPES)))
def test_tensor_tensor_promotion_matches_torch(op, a, b):
    for sa, sb in SHAPES:

        def f(lib, sa=sa, sb=sb):
            return OPS[op](_make(lib, a, sa), _make(lib, b, sb))

        got, want = _result_dtype(f, tg), _result_dtype(f, torch)
        assert got == want, f"{a}{sa} {op} {b}{sb}: {got} != torch's {want}"


@pytest.mark.parametrize("op", OPS, ids=list(OPS))
@pytest.mark.parametrize("a", DTYPES)
@pytest.mark.parametrize("scalar", SCALARS, ids=repr)
def test_tensor_scalar_promotion_matches_torch(op, a, scalar):
    for shape, reflected in itertools.product([(2, 3), ()], [False, True]):

        def f(lib, shape=shape, reflected=reflected):
            t = _make(lib, a, shape)
            return OPS[op](scalar, t) if reflected else OPS[op](t, scalar)

        got, want = _result_dtype(f, tg), _result_dtype(f, torch)
        assert got == want, f"{a}{shape} {op} {scalar!r} (reflected={reflected})"


def test_promotion_examples():
    assert (tg.ones(2, dtype=tg.int32) + tg.tensor(3)).dtype == tg.int32
    assert (tg.ones(2, dtype=tg.int64) * 2.5).dtype == tg.float32
    assert (tg.ones(2, dtype=tg.float16) + 1.0).dtype == tg.float16
    assert (tg.tensor([1, 2]) / tg.tensor([2, 2])).dtype == tg.float32
    assert (tg.tensor([1, 2]) / 2).dtype == tg.float32
    assert (tg.ones(2, dtype=tg.int32) + tg.ones(2, dtype=tg.float16)).dtype == tg.float16
    assert (tg.ones(2, dtype=tg.float16) + tg.tensor(1.0, dtype=tg.float64)).dtype == tg.float16
    assert (tg.ones(2, dtype=tg.int32) + tg.tensor(1.0, dtype=tg.float64)).dtype == tg.float64
    assert (tg.ones(2, dtype=tg.bool) + tg.tensor(1, dtype=tg.int32)).dtype == tg.int32


@pytest.mark.parametrize("scalar", [2, 2.5, -1.0, True, 1e30, np.float64(0.5), np.int64(3)])
def test_float32_with_python_scalars_stays_float32(scalar):
    x = tg.ones(3)
    for out in (x + scalar, scalar + x, x * scalar, x / scalar, scalar * x, x**2, x - 1.5):
        assert out.dtype == tg.float32


def test_promoted_values_match_torch():
    a = np.array([1, 2, 3], dtype=np.int32)
    b = np.array([0.5, 0.25, 2.0], dtype=np.float16)
    for fn in (
        lambda L: L.tensor(a) / L.tensor(b),
        lambda L: L.tensor(a) * 2.5,
        lambda L: L.tensor(a) / 2,
        lambda L: 7 / L.tensor(a),
        lambda L: L.tensor(a) + L.tensor(b, dtype=L.float64),
    ):
        got, want = fn(tg), fn(torch)
        assert _name(got.dtype) == _name(want.dtype)
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-3)


def test_gradient_flows_through_promotion_in_the_input_dtype():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = tg.tensor([3.0, 4.0], dtype=tg.float64, requires_grad=True)
    out = x * y
    assert out.dtype == tg.float64
    out.sum().backward()
    assert x.grad.dtype == tg.float32 and y.grad.dtype == tg.float64
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 4.0])


# ---------------------------------------------------------------------------- reductions


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", ["sum", "prod", "cumsum", "amax", "mean"])
def test_reduction_dtypes_match_torch(dtype, reduction):
    def f(lib):
        x = _make(lib, dtype, (2, 3))
        if reduction == "cumsum":
            return x.cumsum(0)
        if reduction in ("amax",) and dtype == "bool":
            return x.amax(0)
        return getattr(x, reduction)()

    try:
        want = _name(f(torch).dtype)
    except RuntimeError:
        with pytest.raises(RuntimeError):
            f(tg)
        return
    assert _name(f(tg).dtype) == want


def test_reduction_examples():
    assert tg.ones(3, dtype=tg.int32).sum().dtype == tg.int64
    assert tg.ones(3, dtype=tg.bool).sum().dtype == tg.int64
    assert tg.ones(3, dtype=tg.bool).sum().item() == 3
    assert tg.ones(3, dtype=tg.float16).sum().dtype == tg.float16
    assert tg.ones(3, dtype=tg.int32).sum(dtype=tg.float64).dtype == tg.float64
    assert tg.ones(3, dtype=tg.int32).mean(dtype=tg.float32).item() == 1.0
    with pytest.raises(RuntimeError, match="mean"):
        tg.ones(3, dtype=tg.int64).mean()


def test_comparison_and_argmax_dtypes():
    x = tg.tensor([1.0, 3.0, 2.0])
    assert (x > 1).dtype == tg.bool and (x == x).dtype == tg.bool
    assert x.argmax().dtype == tg.int64 and x.max(0).indices.dtype == tg.int64
    assert tg.tensor([1, 2]).float().mean().dtype == tg.float32


def test_unary_float_ops_on_integers_give_float32():
    x = tg.tensor([1, 2, 4])
    for name in ("exp", "log", "sqrt", "sin", "tanh", "sigmoid"):
        got, want = getattr(x, name)(), getattr(torch.tensor([1, 2, 4]), name)()
        assert _name(got.dtype) == _name(want.dtype) == "float32"
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)
