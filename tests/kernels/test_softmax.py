"""tensorgrad/kernels/softmax.py: softmax and log-softmax (ops/fused.py's Softmax, LogSoftmax
and their backward ops) with the numba kernels against the NumPy kernels, along every dim."""

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad import kernels
from tensorgrad.ops import fused

pytest.importorskip("numba")

TOL = {np.float32: 1e-6, np.float64: 1e-12}
CASES = [((7,), 0), ((3, 5, 11), -1), ((3, 5, 11), 1), ((3, 5, 11), 0), ((513, 65), -1),
         ((2, 0, 3), 1), ((4, 1), 0)]  # fmt: skip
FNS = {
    "softmax": lambda t, d: t.softmax(d),
    "log_softmax": lambda t, d: tg.nn.functional.log_softmax(t, d),
}


def _grads(path, fn, x, g, h):
    kernels.use(path)
    t = tg.tensor(x, requires_grad=True)
    y = fn(t)
    (gx,) = tg.autograd.grad(y, t, tg.tensor(g), create_graph=True)
    (hx,) = tg.autograd.grad(gx, t, tg.tensor(h)) if x.size else (gx,)
    return y.detach().numpy(), gx.detach().numpy(), hx.detach().numpy()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(FNS))
@pytest.mark.parametrize("shape,dim", CASES)
@pytest.mark.parametrize("layout", ["C", "transposed"])
def test_matches_numpy(both_paths, shape, dim, name, dtype, layout):
    rng = np.random.default_rng(0)
    x = (rng.standard_normal(shape) * 4).astype(dtype)
    if layout == "transposed":  # the same values in a non-contiguous array
        x = np.ascontiguousarray(x.T).T
    g, h = (rng.standard_normal(shape).astype(dtype) for _ in range(2))
    got, ref = (_grads(p, lambda t: FNS[name](t, dim), x, g, h) for p in ("numba", "numpy"))
    tol = TOL[dtype]
    n = shape[dim]  # a gradient holds a sum over n: its rounding differs with the order
    for a, b, rtol, atol in zip(got, ref, (tol, tol, 100 * tol), (tol, n * tol, 100 * n * tol)):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


@pytest.mark.parametrize("dim", [0, 2])
def test_masked_and_infinite_rows_match_numpy(both_paths, dim):
    """-inf entries, all -inf rows (safe: 0; unsafe and log-softmax: nan), inf and nan."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 5, 9))
    keep = rng.random((6, 5, 9)) < 0.7
    keep[1, 2, :] = keep[:, 3, 4] = False
    x[2, 0, 1], x[3, 1, 0] = np.inf, np.nan
    res = {}
    for path in ("numba", "numpy"):
        kernels.use(path)
        t = tg.tensor(x)
        res[path] = [fused.Softmax.apply(t, dim=dim, mask=keep, safe=s).numpy() for s in (1, 0)]
        res[path].append(fused.LogSoftmax.apply(tg.tensor(np.where(keep, x, -np.inf)), dim=dim)
                         .numpy())  # fmt: skip
    for a, b in zip(res["numba"], res["numpy"]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)  # nan where nan


def test_cross_entropy_matches_numpy(both_paths):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1024, 65)).astype(np.float32) * 3
    target = tg.tensor(rng.integers(0, 65, 1024))
    out = {}
    for path in ("numba", "numpy"):
        kernels.use(path)
        t = tg.tensor(x, requires_grad=True)
        loss = tg.nn.functional.cross_entropy(t, target)
        loss.backward()
        out[path] = loss.item(), t.grad.numpy()
    np.testing.assert_allclose(out["numba"][0], out["numpy"][0], rtol=1e-6)
    np.testing.assert_allclose(out["numba"][1], out["numpy"][1], rtol=1e-6, atol=1e-9)
