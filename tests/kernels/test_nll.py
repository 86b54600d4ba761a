"""The NLL kernels (``tensorgrad/kernels/nll.py``) behind ``NllLoss`` and ``NllLossBackward``,
against the NumPy path: forward values and gradients to float32 rounding, on 2-D, image-shaped,
unbatched, weighted, ignored, strided and int32 targets; the same errors."""

import numpy as np
import pytest

from tensorgrad import kernels
from tensorgrad import tensor as Tensor
from tensorgrad.ops.fused import NllLoss, NllLossBackward

pytestmark = pytest.mark.skipif(not kernels.AVAILABLE, reason="numba is not installed")

TOL = {np.float32: dict(rtol=1e-6, atol=1e-7), np.float64: dict(rtol=1e-12, atol=1e-14)}

# (input shape, class dim): (N, C), image batch (N, C, H, W), unbatched (C,), one class, odd
SHAPES = [((128, 10), 1), ((3, 5, 4, 7), 1), ((7,), 0), ((9, 1), 1), ((2, 3, 5), 1)]


def _case(shape, dim, dtype, weighted, rng):
    x = rng.standard_normal(shape).astype(dtype)
    n = shape[dim]
    target_shape = shape[:dim] + shape[dim + 1 :]
    target = rng.integers(0, n, target_shape)
    if target.ndim:
        target.flat[::3] = -100  # a third ignored
    weight = rng.random(n).astype(dtype) + 0.5 if weighted else None
    return x, target, weight


def _both(path, fn, *args):
    return path("numba", fn, *args), path("numpy", fn, *args)


def _forward(x, target, weight, dim, reduction):
    w = None if weight is None else Tensor(weight)
    out = NllLoss.apply(Tensor(x), Tensor(target), w, dim=dim, reduction=reduction, name="nll")
    return out.array


def _backward(g, target, weight, shape, dim, reduction):
    w = None if weight is None else Tensor(weight)
    args = (Tensor(g), Tensor(target), w)
    return NllLossBackward.apply(*args, shape=shape, dim=dim, reduction=reduction).array


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("case", SHAPES, ids=[str(s) for s, _ in SHAPES])
def test_forward_and_gradient_equal_numpy_path(path, case, reduction, weighted, dtype):
    shape, dim = case
    rng = np.random.default_rng(0)
    x, target, weight = _case(shape, dim, dtype, weighted, rng)
    fast, ref = _both(path, _forward, x, target, weight, dim, reduction)
    assert fast.dtype == ref.dtype == dtype and fast.shape == ref.shape
    np.testing.assert_allclose(fast, ref, **TOL[dtype])
    g = rng.standard_normal(ref.shape).astype(dtype)
    fast, ref = _both(path, _backward, g, target, weight, shape, dim, reduction)
    if weighted and reduction == "mean":  # g / Σ w: Σ w summed in float64, not pairwise
        np.testing.assert_allclose(fast, ref, **TOL[dtype])
    else:
        np.testing.assert_array_equal(fast, ref)  # one product per element, rounded alike


def test_strided_input_and_int32_targets(path):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((10, 40)).astype(np.float32).T[::2]  # (20, 10), not contiguous
    target = rng.integers(0, 10, 40).astype(np.int32)[::2]
    for reduction in ("mean", "none"):
        fast, ref = _both(path, _forward, x, target, None, 1, reduction)
        np.testing.assert_allclose(fast, ref, rtol=1e-6)
        g = rng.standard_normal(ref.shape).astype(np.float32)[()]
        g = np.broadcast_to(g, ref.shape)  # a stride-0 upstream gradient
        fast, ref = _both(path, _backward, g, target, None, x.shape, 1, reduction)
        np.testing.assert_array_equal(fast, ref)


def test_every_target_ignored_is_nan_with_zero_gradient(path):
    x = np.ones((4, 3), np.float32)
    target = np.full(4, -100)
    fast, ref = _both(path, _forward, x, target, None, 1, "mean")
    assert np.isnan(fast) and np.isnan(ref)
    fast, ref = _both(path, _backward, np.float32(1.0), target, None, x.shape, 1, "mean")
    np.testing.assert_array_equal(fast, np.zeros_like(x))
    np.testing.assert_array_equal(ref, np.zeros_like(x))


@pytest.mark.parametrize("bad", [10, -1, 12])
def test_out_of_range_target_raises_the_same_error(path, bad):
    x = np.zeros((3, 10), np.float32)
    target = np.array([1, bad, 2])
    messages = []
    for name in ("numba", "numpy"):
        with pytest.raises(IndexError) as err:
            path(name, _forward, x, target, None, 1, "mean")
        messages.append(str(err.value))
    assert messages[0] == messages[1] and f"target {bad} is out of bounds" in messages[0]


def test_empty_batch(path):
    x = np.zeros((0, 4), np.float32)
    target = np.zeros(0, np.int64)
    for reduction in ("mean", "sum", "none"):
        fast, ref = _both(path, _forward, x, target, None, 1, reduction)
        np.testing.assert_array_equal(fast, ref)
