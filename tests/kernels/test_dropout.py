"""Dropout's mask-and-scale kernel (``tensorgrad/kernels/dropout.py``) against the NumPy path:
the same seed gives the same output and gradients to the bit, on odd, empty, 0-d,
parallel-sized and non-contiguous inputs, with NaN, inf and signed zeros."""

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad import kernels
from tensorgrad.kernels import dropout as dropout_kernels

pytestmark = pytest.mark.skipif(not kernels.AVAILABLE, reason="numba is not installed")


def _dropout(x_np, p, transpose=False, create_graph=False):
    tg.manual_seed(11)
    x = tg.tensor(x_np, requires_grad=True)
    xin = x.T if transpose else x
    out = tg.nn.functional.dropout(xin, p)
    g_np = np.random.default_rng(2).standard_normal(out.shape).astype(x_np.dtype)
    g = tg.tensor(g_np, requires_grad=create_graph)
    (gx,) = tg.autograd.grad(out, x, g, create_graph=create_graph)
    result = [out.detach().numpy().copy(), gx.detach().numpy().copy()]
    if create_graph:  # the gradient is linear in g through the same mask: d(sum gx^2)/dg
        (gg,) = tg.autograd.grad((gx * gx).sum(), g)
        result.append(gg.numpy().copy())
    return result


def _assert_same(a, b):
    for x, y in zip(a, b, strict=True):
        assert x.dtype == y.dtype and x.shape == y.shape
        np.testing.assert_array_equal(x, y)


SHAPES = [(), (1,), (7,), (3, 5), (0,), (2, 0, 3), (dropout_kernels.MIN_PARALLEL + 5,)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES, ids=[str(s) for s in SHAPES])
@pytest.mark.parametrize("p", [0.3, 0.5, 0.9])
def test_dropout_kernel_equals_numpy(path, shape, dtype, p):
    x = np.random.default_rng(1).standard_normal(shape).astype(dtype)
    _assert_same(path("numba", _dropout, x, p), path("numpy", _dropout, x, p))


def test_non_contiguous_input_and_special_values(path):
    x = np.random.default_rng(3).standard_normal((6, 9))
    x[0, :4] = [np.nan, np.inf, -np.inf, -0.0]
    x[1, :2] = [-0.0, 0.0]
    with np.errstate(invalid="ignore"):
        a = path("numba", _dropout, x, 0.4, True)
        b = path("numpy", _dropout, x, 0.4, True)
    _assert_same(a, b)
    # signed zeros too (assert_array_equal treats -0.0 == 0.0)
    np.testing.assert_array_equal(np.signbit(a[0]), np.signbit(b[0]))


def test_second_order_gradient(path):
    x = np.random.default_rng(4).standard_normal((5, 4)).astype(np.float32)
    a = path("numba", _dropout, x, 0.25, False, True)
    _assert_same(a, path("numpy", _dropout, x, 0.25, False, True))


def test_kernel_runs_only_for_float32_and_float64(path, monkeypatch):
    calls = []
    real = dropout_kernels.forward_loop
    monkeypatch.setattr(
        dropout_kernels, "forward_loop", lambda *a: calls.append(a[0].dtype) or real(*a)
    )
    for dtype in (np.float16, np.float32, np.float64):
        x = np.ones(10, dtype)
        _assert_same(path("numba", _dropout, x, 0.5), path("numpy", _dropout, x, 0.5))
    assert calls == [np.float32, np.float64]
