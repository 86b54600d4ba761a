"""tensorgrad/kernels/activation.py: the GELU kernels against the NumPy kernels of ops/fused.py.

Each test runs the op with ``kernels.use('numba')`` and ``kernels.use('numpy')`` (restored by
the fixture) and compares values and gradients: rtol 1e-6 (float32) / 1e-12 (float64), with an
equal atol, since near gelu(x) = 0 the NumPy forms lose low bits to 1 + tanh / 1 + erf.
"""

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad import kernels

pytest.importorskip("numba")

TOL = {np.float32: 1e-6, np.float64: 1e-12}
SHAPES = [(7,), (3, 5, 11), (1024, 37), (0, 4), ()]


def _run(path, fn, x, g, create_graph=False):
    kernels.use(path)
    t = tg.tensor(x, requires_grad=True)
    y = fn(t)
    (gx,) = tg.autograd.grad(y, t, tg.tensor(g), create_graph=create_graph)
    return y, gx, t


def _check(fn, x, dtype, second_order=False):
    rng = np.random.default_rng(1)
    g = rng.standard_normal(x.shape).astype(dtype)
    tol = TOL[dtype]
    (y1, g1, t1), (y0, g0, t0) = (_run(p, fn, x, g, second_order) for p in ("numba", "numpy"))
    assert y1.dtype == y0.dtype and y1.shape == y0.shape
    np.testing.assert_allclose(y1.detach().numpy(), y0.detach().numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(g1.detach().numpy(), g0.detach().numpy(), rtol=tol, atol=tol)
    if second_order:  # the double backward is tensor ops over the kernels' outputs
        h = rng.standard_normal(x.shape).astype(dtype)
        out = []
        for path, gx, t in (("numba", g1, t1), ("numpy", g0, t0)):
            kernels.use(path)
            out.append(tg.autograd.grad(gx, t, tg.tensor(h))[0].numpy())
        np.testing.assert_allclose(out[0], out[1], rtol=100 * tol, atol=100 * tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("approximate", ["none", "tanh"])
@pytest.mark.parametrize("shape", SHAPES)
def test_gelu_matches_numpy(both_paths, shape, approximate, dtype):
    x = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    _check(lambda t: tg.nn.functional.gelu(t, approximate=approximate), x, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_noncontiguous_and_second_order(both_paths, approximate, dtype):
    x = np.random.default_rng(0).standard_normal((40, 30)).astype(dtype).T[::2]
    _check(lambda t: tg.nn.functional.gelu(t, approximate=approximate), x, dtype, True)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_wide_range_against_float64(both_paths, approximate, dtype):
    """Large |x|, inf and nan: the kernels stay within a float's rounding of the float64
    result (where the NumPy forms cancel), and give what NumPy gives at +-inf and nan."""
    x = np.concatenate([np.linspace(-60, 60, 10001), [np.inf, -np.inf, np.nan, 0.0]])
    kernels.use("numpy")
    t64 = tg.tensor(x, requires_grad=True)
    y64 = tg.nn.functional.gelu(t64, approximate=approximate)
    y64.sum().backward()
    kernels.use("numba")
    t = tg.tensor(x.astype(dtype), requires_grad=True)
    y = tg.nn.functional.gelu(t, approximate=approximate)
    y.sum().backward()
    tol = 4 * np.finfo(dtype).eps  # atol 8 tol: the float64 reference's own 1 - tanh^2 cancels
    np.testing.assert_allclose(y.detach().numpy(), y64.detach().numpy(), rtol=tol, atol=tol)
    finite = ~np.isinf(x)  # gelu'(-inf): nan by NumPy's form, -inf by the kernels'
    np.testing.assert_allclose(
        t.grad.numpy()[finite], t64.grad.numpy()[finite], rtol=tol, atol=8 * tol
    )


def _relu_input(rng, shape, dtype, layout):
    x = rng.standard_normal(shape).astype(dtype)
    x.reshape(-1)[:4] = [np.nan, np.inf, -np.inf, -0.0][: x.size]
    if layout == "channels_first":  # a convolution's output: (N, C, H, W) stored (C, N, H, W)
        return np.ascontiguousarray(x.transpose(1, 0, 2, 3)).transpose(1, 0, 2, 3)
    if layout == "strided":
        return np.repeat(x, 2, axis=-1)[..., ::2]
    return x


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("layout", ["contiguous", "channels_first", "strided"])
@pytest.mark.parametrize("shape", [(2, 3, 5, 7), (4, 1, 1, 9), (0, 2, 3, 3)])
def test_relu_matches_numpy_exactly(both_paths, shape, layout, dtype):
    """ReLU and ReluBackward: equal to the bit (NaN, inf, -0 included), in the input's layout,
    and the gradient's gradient (ReluBackward again)."""
    rng = np.random.default_rng(2)
    x = _relu_input(rng, shape, dtype, layout)
    g = rng.standard_normal(shape).astype(dtype)  # C-contiguous: another layout than x's
    g.reshape(-1)[4:6] = [np.nan, np.inf][: max(g.size - 4, 0)]
    h = rng.standard_normal(shape).astype(dtype)
    results = []
    for path in ("numba", "numpy"):
        kernels.use(path)
        t = tg.tensor(x, requires_grad=True)
        y = tg.relu(t)
        gt = tg.tensor(g, requires_grad=True)
        (gx,) = tg.autograd.grad(y, t, gt, create_graph=True)
        (gg,) = tg.autograd.grad(gx, gt, tg.tensor(h))
        results.append((y.array, gx.array, gg.array))
    for a, b in zip(*results):
        assert a.strides == b.strides
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(np.signbit(a), np.signbit(b))
