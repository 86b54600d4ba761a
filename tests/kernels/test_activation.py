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
