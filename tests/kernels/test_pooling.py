"""The max-pooling kernels (tensorgrad/kernels/pooling.py: ``max_pool_2x2``, the forward of
2x2 windows at stride 2, and ``unpool``, every gradient) against the NumPy paths of
``max_windows`` and ``Unpool`` (tensorgrad/ops/conv.py): max_pool1d/2d run under
``kernels.use('numba')`` and ``kernels.use('numpy')``, maxima, indices (ties: the first in
window order; NaN: the last NaN) and the scattered gradients compared, over odd sizes,
padding, dilation, ceil mode, overlapping windows, strided input and empty batches."""

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad import kernels

pytest.importorskip("numba")
F = tg.nn.functional
DTYPES = [np.float32, np.float64]


@pytest.fixture
def both():
    """``run(fn, x)``: (output, indices or None, input gradient) of ``fn`` under numba and
    under NumPy; restores the switch."""
    before = kernels.current()

    def run(fn, x):
        results = []
        for mode in ("numba", "numpy"):
            kernels.use(mode)
            t = tg.tensor(x, requires_grad=True)
            out = fn(t)
            out, index = out if isinstance(out, tuple) else (out, None)
            g = np.random.default_rng(0).standard_normal(out.shape).astype(x.dtype)
            out.backward(tg.tensor(g))
            index = None if index is None else index.array.copy()
            results.append((out.array.copy(), index, t.grad.array.copy()))
        return results

    yield run
    kernels.use(before)


def _assert_same(results, rtol=0.0):
    (out_a, index_a, grad_a), (out_b, index_b, grad_b) = results
    np.testing.assert_array_equal(out_a, out_b)  # NaN equal to NaN
    np.testing.assert_array_equal(index_a, index_b)
    if rtol:
        np.testing.assert_allclose(grad_a, grad_b, rtol=rtol, atol=rtol)
    else:
        np.testing.assert_array_equal(grad_a, grad_b)


def _image(rng, shape, dtype, layout, values="distinct"):
    if values == "ties":  # few distinct values: every window has equal maxima
        x = rng.integers(-2, 2, size=shape).astype(dtype)
    elif values == "nan":
        x = rng.standard_normal(shape).astype(dtype)
        x[rng.random(shape) < 0.2] = np.nan
        x[rng.random(shape) < 0.1] = -np.inf
    else:
        x = rng.standard_normal(shape).astype(dtype)
    if layout == "channels_first":  # as the ops store images: (C, N, H, W) in memory
        return np.ascontiguousarray(x.transpose(1, 0, 2, 3)).transpose(1, 0, 2, 3)
    if layout == "strided":
        wide = np.zeros((*shape[:-1], 2 * shape[-1]), dtype)
        wide[..., ::2] = x
        return wide[..., ::2]
    return x


# (input shape, max_pool2d arguments): odd sizes, padding, dilation, ceil mode, overlaps
CASES = [
    ((2, 3, 8, 8), dict(kernel_size=2)),  # 2x2 at stride 2: its own forward kernel
    ((2, 3, 9, 7), dict(kernel_size=2, padding=1)),
    ((1, 2, 7, 9), dict(kernel_size=2, ceil_mode=True)),
    ((2, 3, 7, 9), dict(kernel_size=(3, 2), stride=(2, 1), padding=1)),
    ((1, 2, 9, 7), dict(kernel_size=2, stride=1, dilation=(2, 1))),
    ((2, 2, 7, 7), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    ((3, 1, 5, 6), dict(kernel_size=(1, 3), stride=(1, 2), padding=(0, 1))),
    ((1, 1, 13, 13), dict(kernel_size=12, stride=1)),  # 144 offsets: int32 indices
]


def _overlapping(kwargs) -> bool:
    kernel, stride = kwargs["kernel_size"], kwargs.get("stride", kwargs["kernel_size"])
    pairs = zip(np.broadcast_to(kernel, 2), np.broadcast_to(stride, 2))
    return any(s < k for k, s in pairs)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("values", ["distinct", "ties", "nan"])
@pytest.mark.parametrize("layout", ["contiguous", "channels_first", "strided"])
@pytest.mark.parametrize("shape, kwargs", CASES)
def test_max_pool2d(both, shape, kwargs, layout, values, dtype):
    x = _image(np.random.default_rng(1), shape, dtype, layout, values)
    # overlapping windows: one element's gradients are added in another order
    rtol = 0.0 if not _overlapping(kwargs) else (1e-6 if dtype == np.float32 else 1e-12)
    _assert_same(both(lambda t: F.max_pool2d(t, return_indices=True, **kwargs), x), rtol)


@pytest.mark.parametrize("dtype", DTYPES)
def test_max_pool1d_and_unbatched(both, dtype):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 3, 11)).astype(dtype)
    pool = lambda t: F.max_pool1d(t, 3, stride=2, padding=1, return_indices=True)  # noqa: E731
    _assert_same(both(pool, x))
    _assert_same(both(lambda t: F.max_pool2d(t, 2), x))  # (C, H, W)


@pytest.mark.parametrize("dtype", DTYPES)
def test_ties_and_nan_follow_pytorch(dtype):
    """The kernel's own choices, not only the NumPy path's: the first of equal maxima, and
    the last NaN of a window (PyTorch's ``v > best || isnan(v)``)."""
    before = kernels.current()
    try:
        kernels.use("numba")
        x = np.array([[[[1, 3, 3, 0], [3, 2, np.nan, np.nan]]]], dtype)
        out, index = F.max_pool2d(tg.tensor(x), 2, return_indices=True)
        np.testing.assert_array_equal(out.array, [[[[3, np.nan]]]])
        np.testing.assert_array_equal(index.array, [[[[1, 7]]]])
    finally:
        kernels.use(before)


@pytest.mark.parametrize("dtype", DTYPES)
def test_infinite_gradient_goes_only_to_the_maximum(both, dtype):
    x = np.random.default_rng(3).standard_normal((1, 2, 4, 4)).astype(dtype)

    def pool(t):
        return F.max_pool2d(t, 2) * tg.tensor(np.array([np.inf], dtype))

    (out_a, _, grad_a), (out_b, _, grad_b) = both(pool, x)
    np.testing.assert_array_equal(grad_a, grad_b)
    assert np.isnan(grad_a).sum() == 0 and np.isinf(grad_a).sum() == 8


@pytest.mark.parametrize("dtype", DTYPES)
def test_double_backward(dtype):
    """Unpool's gradient is written with Unfold: create_graph=True runs through both."""
    before = kernels.current()
    try:
        results = []
        for mode in ("numba", "numpy"):
            kernels.use(mode)
            rng = np.random.default_rng(4)
            x = tg.tensor(rng.standard_normal((2, 3, 6, 5)).astype(dtype), requires_grad=True)
            g = tg.tensor(rng.standard_normal((2, 3, 6, 3)).astype(dtype), requires_grad=True)
            out = F.max_pool2d(x, 3, stride=(1, 2), padding=1)
            (gx,) = tg.autograd.grad(out, x, g, create_graph=True)
            (gg,) = tg.autograd.grad((gx**2).sum(), g)
            results.append((gx.array, gg.array))
        rtol = 1e-6 if dtype == np.float32 else 1e-12
        for a, b in zip(*results):
            np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol)
    finally:
        kernels.use(before)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "kwargs",
    [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1, count_include_pad=False)],
)
def test_avg_pool2d(both, kwargs, dtype):
    x = np.random.default_rng(5).standard_normal((2, 3, 7, 6)).astype(dtype)
    _assert_same(both(lambda t: F.avg_pool2d(t, **kwargs), x))


@pytest.mark.parametrize("dtype", DTYPES)
def test_empty_batch(both, dtype):
    x = np.zeros((0, 3, 6, 6), dtype)
    _assert_same(both(lambda t: F.max_pool2d(t, 2, return_indices=True), x))
