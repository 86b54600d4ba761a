"""The pooling kernels (tensorgrad/kernels/pooling.py) against the NumPy paths of
tensorgrad/ops/conv.py, each run under ``kernels.use('numba')`` and ``kernels.use('numpy')``.

Max pooling (``max_pool_2x2``, the forward of 2x2 windows at stride 2, and ``unpool``, every
gradient, against ``max_windows`` and ``Unpool``): maxima, indices (ties: the first in window
order; NaN: the last NaN) and the scattered gradients compared, over odd sizes, padding,
dilation, ceil mode, overlapping windows, strided input and empty batches.

Average pooling (``avg_pool`` and ``avg_unpool`` against ``AvgPool`` and ``AvgUnpool``):
outputs and gradients equal, over each of the kernels' loops, odd sizes, padding, ceil mode,
``count_include_pad=False``, ``divisor_override``, three input layouts, unbatched and empty
input, and gradients of second and third order."""

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad import kernels
from tensorgrad.kernels import pooling

pytest.importorskip("numba")
F = tg.nn.functional
DTYPES = [np.float32, np.float64]


@pytest.fixture
def both():
    """``run(fn, x)``: (output, indices or None, input gradient) of ``fn`` under numba and
    under NumPy; restores the switch."""
    before = kernels.current()

    def run(fn, x, upstream="contiguous"):
        results = []
        for mode in ("numba", "numpy"):
            kernels.use(mode)
            t = tg.tensor(x, requires_grad=True)
            out = fn(t)
            out, index = out if isinstance(out, tuple) else (out, None)
            g = np.random.default_rng(0).standard_normal(out.shape).astype(x.dtype)
            if upstream == "channels_first":  # as a convolution's gradient comes
                g = np.ascontiguousarray(g.transpose(1, 0, 2, 3)).transpose(1, 0, 2, 3)
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


@pytest.fixture
def calls(monkeypatch):
    """Counts the calls of each kernel of kernels/pooling.py."""
    names = ["max_pool_2x2", "unpool", "unpool_2x2", "avg_pool", "avg_unpool", "avg_pool3d"]
    calls = dict.fromkeys([*names, "avg_unpool3d"], 0)
    for name in calls:
        kernel = getattr(pooling, name)

        def counted(*args, kernel=kernel, name=name):
            calls[name] += 1
            return kernel(*args)

        monkeypatch.setattr(pooling, name, counted)
    return calls


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
@pytest.mark.parametrize("upstream", ["contiguous", "channels_first"])
@pytest.mark.parametrize(
    "shape, kwargs, gradient",
    [
        ((2, 3, 8, 6), dict(kernel_size=2), "unpool_2x2"),  # the windows tile the image
        ((2, 3, 9, 7), dict(kernel_size=2), "unpool"),  # the last row and column in none
        ((1, 2, 8, 7), dict(kernel_size=2, ceil_mode=True), "unpool"),  # a window half out
        ((2, 3, 8, 8), dict(kernel_size=2, padding=1), "unpool"),
    ],
)
def test_max_pool_2x2_kernels(both, calls, shape, kwargs, gradient, upstream, dtype):
    """2x2 windows at stride 2 take ``max_pool_2x2``, and their gradient ``unpool_2x2``
    only where the windows tile the image, for either layout of the upstream gradient."""
    x = _image(np.random.default_rng(4), shape, dtype, "contiguous")
    _assert_same(both(lambda t: F.max_pool2d(t, return_indices=True, **kwargs), x, upstream))
    assert calls["max_pool_2x2"] == calls[gradient] == 1


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


# (input shape, avg_pool2d arguments): each of avg_pool's three loops (2x2 at stride 2 without
# padding; strides up to 2 as stride-1 sums, with and without padding; other strides by row
# segments), odd sizes, ceil mode and PyTorch's three divisors
AVG_CASES = [
    ((2, 3, 8, 6), dict(kernel_size=2)),  # 2x2 at stride 2: the windows tile the image
    ((2, 3, 7, 9), dict(kernel_size=2)),  # the last row and column in no window
    ((1, 2, 7, 9), dict(kernel_size=2, ceil_mode=True)),  # clipped last windows
    ((2, 3, 7, 6), dict(kernel_size=3, stride=1, padding=1)),
    ((2, 3, 7, 6), dict(kernel_size=3, stride=1, padding=1, count_include_pad=False)),
    ((2, 2, 6, 7), dict(kernel_size=(2, 3), stride=1)),  # stride 1 without padding
    ((2, 2, 6, 7), dict(kernel_size=2, stride=1, padding=1, divisor_override=3)),
    ((2, 3, 7, 6), dict(kernel_size=3, stride=2, padding=1, count_include_pad=False)),
    ((2, 2, 9, 8), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    ((2, 2, 7, 9), dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 0))),
    ((1, 2, 9, 10), dict(kernel_size=3, stride=3, padding=1, ceil_mode=True)),
    ((2, 2, 9, 8), dict(kernel_size=(4, 3), stride=(3, 2), padding=(2, 1), divisor_override=5)),
    ((3, 1, 5, 6), dict(kernel_size=1, stride=2)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", ["contiguous", "channels_first", "strided"])
@pytest.mark.parametrize("shape, kwargs", AVG_CASES)
def test_avg_pool2d(both, calls, shape, kwargs, layout, dtype):
    """Kernels and NumPy path add each sum's terms in the same order: equal, not close."""
    x = _image(np.random.default_rng(5), shape, dtype, layout)
    _assert_same(both(lambda t: F.avg_pool2d(t, **kwargs), x))
    assert calls["avg_pool"] == calls["avg_unpool"] == 1  # the numba run took the kernels


# (input shape, avg_pool3d arguments): odd sizes, strides, padding, ceil mode, the divisors
AVG3D_CASES = [
    ((2, 3, 4, 6, 6), dict(kernel_size=2)),
    ((1, 2, 5, 7, 6), dict(kernel_size=3, stride=2, padding=1)),
    ((2, 2, 5, 6, 7), dict(kernel_size=(2, 3, 2), stride=(1, 2, 3), padding=(1, 1, 0))),
    ((1, 2, 5, 5, 5), dict(kernel_size=3, stride=2, padding=1, count_include_pad=False)),
    ((1, 1, 7, 6, 5), dict(kernel_size=3, stride=2, ceil_mode=True, divisor_override=4)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", ["contiguous", "channels_first"])
@pytest.mark.parametrize("shape, kwargs", AVG3D_CASES)
def test_avg_pool3d(both, calls, shape, kwargs, layout, dtype):
    """avg_pool3d and avg_unpool3d add in the NumPy path's order too: equal, not close."""
    x = np.random.default_rng(6).standard_normal(shape).astype(dtype)
    if layout == "channels_first":
        x = np.ascontiguousarray(x.swapaxes(0, 1)).swapaxes(0, 1)
    _assert_same(both(lambda t: F.avg_pool3d(t, **kwargs), x))
    assert calls["avg_pool3d"] == calls["avg_unpool3d"] == 1  # the numba run took the kernels


@pytest.mark.parametrize("dtype", DTYPES)
def test_avg_pool2d_matches_torch(dtype):
    """The kernels' own results against PyTorch, beyond their agreement with the NumPy path."""
    torch = pytest.importorskip("torch")
    before = kernels.current()
    try:
        kernels.use("numba")
        rng = np.random.default_rng(6)
        for shape, kwargs in AVG_CASES:
            x = rng.standard_normal(shape).astype(dtype)
            t = tg.tensor(x, requires_grad=True)
            out = F.avg_pool2d(t, **kwargs)
            g = rng.standard_normal(out.shape).astype(dtype)
            out.backward(tg.tensor(g))
            xt = torch.tensor(x, requires_grad=True)
            out_t = torch.nn.functional.avg_pool2d(xt, **kwargs)
            out_t.backward(torch.tensor(g))
            tol = 1e-6 if dtype == np.float32 else 1e-14
            np.testing.assert_allclose(out.array, out_t.detach().numpy(), rtol=tol, atol=tol)
            np.testing.assert_allclose(t.grad.array, xt.grad.numpy(), rtol=tol, atol=tol)
    finally:
        kernels.use(before)


@pytest.mark.parametrize("dtype", DTYPES)
def test_avg_pool2d_unbatched_and_empty(both, dtype):
    x = np.random.default_rng(7).standard_normal((3, 7, 6)).astype(dtype)  # (C, H, W)
    _assert_same(both(lambda t: F.avg_pool2d(t, 3, stride=1, padding=1), x))
    results = both(lambda t: F.avg_pool2d(t, 2), np.zeros((0, 3, 6, 6), dtype))
    _assert_same(results)
    out, _, grad = results[0]
    assert out.shape == (0, 3, 3, 3) and grad.shape == (0, 3, 6, 6)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "kwargs",
    [
        dict(kernel_size=2),
        dict(kernel_size=3, stride=1, padding=1, count_include_pad=False),
        dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, divisor_override=4),
        dict(kernel_size=(3, 2), stride=3, padding=1),
    ],
)
def test_avg_pool2d_double_backward(kwargs, dtype):
    """AvgUnpool's gradient is AvgPool: create_graph=True runs through both kernels, equal to
    the NumPy path, and the Hessian-vector product of a loss with a square in it."""
    before = kernels.current()
    try:
        results = []
        for mode in ("numba", "numpy"):
            kernels.use(mode)
            rng = np.random.default_rng(8)
            x = tg.tensor(rng.standard_normal((2, 3, 7, 6)).astype(dtype), requires_grad=True)
            out = F.avg_pool2d(x, **kwargs)
            g = tg.tensor(rng.standard_normal(out.shape).astype(dtype), requires_grad=True)
            (gx,) = tg.autograd.grad(out, x, g, create_graph=True)
            (gg,) = tg.autograd.grad((gx**2).sum(), g, create_graph=True)
            (ggg,) = tg.autograd.grad((gg * gg).sum(), g)  # third order: AvgPool(AvgUnpool)
            (hx,) = tg.autograd.grad((F.avg_pool2d(x, **kwargs) ** 2).sum(), x, create_graph=True)
            (hvp,) = tg.autograd.grad((hx * x).sum(), x)
            results.append((gx.array, gg.array, ggg.array, hvp.array))
        for a, b in zip(*results):
            np.testing.assert_array_equal(a, b)
    finally:
        kernels.use(before)


@pytest.mark.parametrize("dtype", DTYPES)
def test_empty_batch(both, dtype):
    x = np.zeros((0, 3, 6, 6), dtype)
    _assert_same(both(lambda t: F.max_pool2d(t, 2, return_indices=True), x))
