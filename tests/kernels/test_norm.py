"""tensorgrad/kernels/norm.py: LayerNorm and RMSNorm (ops/fused.py's LayerNorm, RMSNorm) with
the numba kernels against their NumPy code: values, first-order gradients (the kernel backward)
and second order (tensor ops, the same on both paths)."""

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad import kernels

pytest.importorskip("numba")

TOL = {np.float32: 1e-6, np.float64: 1e-12}


def _run(path, x, norm_shape, w, b, g):
    kernels.use(path)
    ts = [tg.tensor(a, requires_grad=True) if a is not None else None for a in (x, w, b)]
    y = tg.nn.functional.layer_norm(ts[0], norm_shape, ts[1], ts[2])
    y.backward(tg.tensor(g))
    return [y.detach().numpy()] + [t.grad.numpy() for t in ts if t is not None]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("affine", ["wb", "w", "none"])
@pytest.mark.parametrize(
    "shape,norm_shape", [((1024, 128), (128,)), ((3, 5, 7), (5, 7)), ((9,), (9,)),
                         ((37, 33), (33,)), ((0, 8), (8,)), ((4, 1), (1,))],
)  # fmt: skip
@pytest.mark.parametrize("layout", ["C", "transposed"])
def test_layer_norm_matches_numpy(both_paths, shape, norm_shape, affine, dtype, layout):
    rng = np.random.default_rng(0)
    x = (rng.standard_normal(shape) * 3 + 1).astype(dtype)
    if layout == "transposed":
        x = np.ascontiguousarray(x.T).T
    w = rng.standard_normal(norm_shape).astype(dtype) if "w" in affine else None
    b = rng.standard_normal(norm_shape).astype(dtype) if "b" in affine else None
    g = rng.standard_normal(shape).astype(dtype)
    got, ref = (_run(p, x, norm_shape, w, b, g) for p in ("numba", "numpy"))
    tol = TOL[dtype]
    rows = max(1, x.size // max(1, int(np.prod(norm_shape))))
    for i, (a, r) in enumerate(zip(got, ref)):
        # dw and db sum over the rows: NumPy sums in the dtype (error up to ~rows ulps),
        # the kernel in float64
        atol = tol * (rows if i >= 2 else 10)
        assert a.dtype == r.dtype and a.shape == r.shape
        np.testing.assert_allclose(a, r, rtol=tol, atol=atol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_layer_norm_second_order_and_switch_between(both_paths, dtype):
    """Double backward is tensor ops on both paths; a backward taken after the switch changed
    (forward by the kernel, backward by NumPy) still gives the NumPy gradient."""
    rng = np.random.default_rng(0)
    x, w, g = (rng.standard_normal(s).astype(dtype) for s in ((6, 10), (10,), (6, 10)))
    res = []
    for fwd, bwd in (("numba", "numba"), ("numpy", "numpy"), ("numba", "numpy")):
        kernels.use(fwd)
        t, tw = tg.tensor(x, requires_grad=True), tg.tensor(w, requires_grad=True)
        y = tg.nn.functional.layer_norm(t, (10,), tw)
        kernels.use(bwd)
        gx, gw = tg.autograd.grad(y, (t, tw), tg.tensor(g), create_graph=bwd == "numpy")
        res.append((y.detach().numpy(), gx.detach().numpy(), gw.detach().numpy()))
    tol = 100 * TOL[dtype]
    for other in res[1:]:
        for a, b in zip(res[0], other):
            np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


# ----------------------------------------------------------------------------- RMSNorm


def _run_rms(path, x, norm_shape, w, g, w_grad=True):
    kernels.use(path)
    t = tg.tensor(x, requires_grad=True)
    tw = None if w is None else tg.tensor(w, requires_grad=w_grad)
    y = tg.nn.functional.rms_norm(t, norm_shape, tw, eps=1e-5)
    y.backward(tg.tensor(g))
    grads = [t.grad.numpy()] + ([tw.grad.numpy()] if w is not None and w_grad else [])
    return [y.detach().numpy()] + grads


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("affine", ["w", "frozen w", "none"])
@pytest.mark.parametrize(
    "shape,norm_shape", [((1024, 128), (128,)), ((3, 5, 7), (5, 7)), ((9,), (9,)),
                         ((37, 33), (33,)), ((0, 8), (8,)), ((2, 0), (0,)), ((4, 1), (1,))],
)  # fmt: skip
@pytest.mark.parametrize("layout", ["C", "transposed"])
def test_rms_norm_matches_numpy(both_paths, shape, norm_shape, affine, dtype, layout):
    rng = np.random.default_rng(0)
    x = (rng.standard_normal(shape) * 3 + 1).astype(dtype)
    w = rng.standard_normal(norm_shape).astype(dtype) if "w" in affine else None
    if layout == "transposed":
        x = np.ascontiguousarray(x.T).T
        w = None if w is None else np.ascontiguousarray(w.T).T
    g = rng.standard_normal(shape).astype(dtype)
    got, ref = (_run_rms(p, x, norm_shape, w, g, affine == "w") for p in ("numba", "numpy"))
    assert len(got) == len(ref) == (3 if affine == "w" else 2)
    tol = TOL[dtype]
    rows = max(1, x.size // max(1, int(np.prod(norm_shape))))
    for i, (a, r) in enumerate(zip(got, ref)):
        # dw sums over the rows: NumPy sums in the dtype (error up to ~rows ulps), the kernel
        # in float64
        atol = tol * (rows if i >= 2 else 10)
        assert a.dtype == r.dtype and a.shape == r.shape
        np.testing.assert_allclose(a, r, rtol=tol, atol=atol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("weight", [True, False])
def test_rms_norm_second_order_and_switch_between(both_paths, dtype, weight):
    """Double backward is tensor ops on both paths; a backward taken after the switch changed
    (forward by one path, backward by the other: both keep the same rstd) gives the same
    gradient; and the gradient of the gradient is PyTorch's."""
    rng = np.random.default_rng(0)
    x, w, g = (rng.standard_normal(s).astype(dtype) for s in ((6, 10), (10,), (6, 10)))
    res = []
    paths = (("numba", "numba"), ("numpy", "numpy"), ("numba", "numpy"), ("numpy", "numba"))
    for fwd, bwd in paths:
        kernels.use(fwd)
        t = tg.tensor(x, requires_grad=True)
        tw = tg.tensor(w, requires_grad=True) if weight else None
        y = tg.nn.functional.rms_norm(t, (10,), tw)
        kernels.use(bwd)
        wrt = (t, tw) if weight else (t,)
        grads = tg.autograd.grad(y, wrt, tg.tensor(g), create_graph=bwd == "numpy")
        res.append([y.detach().numpy()] + [a.detach().numpy() for a in grads])
    tol = 100 * TOL[dtype]
    for other in res[1:]:
        for a, b in zip(res[0], other):
            np.testing.assert_allclose(a, b, rtol=tol, atol=tol)

    torch = pytest.importorskip("torch")

    def second_order(lib, tensor):
        t = tensor(x, requires_grad=True)
        tw = tensor(w, requires_grad=True) if weight else None
        y = lib.nn.functional.rms_norm(t, (10,), tw)
        wrt = (t, tw) if weight else (t,)
        grads = lib.autograd.grad(y, wrt, tensor(g), create_graph=True)
        loss = sum((a * a).sum() for a in grads)
        return [a.detach().numpy() for a in lib.autograd.grad(loss, wrt)]

    for name in ("numba", "numpy"):
        kernels.use(name)
        for a, b in zip(second_order(tg, tg.tensor), second_order(torch, torch.tensor)):
            np.testing.assert_allclose(a, b, rtol=tol, atol=tol)
