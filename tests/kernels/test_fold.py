"""tensorgrad/kernels/fold.py (col2im, a convolution's input gradient) against ``Fold``'s NumPy
path (tensorgrad/ops/conv.py): a random sweep of window geometries (odd sizes, strides,
dilations, negative pads that crop, as a transposed convolution's), both image layouts,
strided ``cols`` and empty arrays; then through conv2d's backward and conv_transpose2d."""

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad import kernels
from tensorgrad.ops.conv import Fold, out_size

pytest.importorskip("numba")
F = tg.nn.functional
TOL = {np.float32: 1e-6, np.float64: 1e-12}


def _fold(path, cols, **geometry):
    kernels.use(path)
    return Fold.apply(tg.tensor(cols), **geometry).array


def _geometry(rng, spatial: int):
    """Random window geometry with ``spatial`` axes: odd sizes, strides, dilations, and negative
    pads that crop (as a transposed convolution's)."""
    top = (4, 4, 3) if spatial == 2 else (4, 3, 3)  # 3-d: fewer windows, as many cases
    kernel, stride, dilation = (tuple(int(v) for v in rng.integers(1, n, spatial)) for n in top)
    size = tuple(int(v) for v in rng.integers(1, 10 if spatial == 2 else 7, spatial))
    low = -2 if spatial == 2 else -1
    pads = tuple((int(rng.integers(low, 3)), int(rng.integers(low, 3))) for _ in range(spatial))
    return dict(size=size, kernel=kernel, stride=stride, dilation=dilation, pads=pads)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("spatial,seed", [(2, s) for s in range(6)] + [(3, s) for s in range(4)])
def test_random_geometries(both_paths, spatial, seed, dtype):
    """``fold`` (2-d windows) and ``fold3d`` (Conv3d's input gradient) against the NumPy path,
    in both image layouts and on strided ``cols``."""
    rng = np.random.default_rng(seed if spatial == 2 else 100 + seed)
    for case in range(25 if spatial == 2 else 15):
        geometry = _geometry(rng, spatial)
        outs = [
            out_size(n, k, s, d, *p)
            for n, k, s, d, p in zip(*(geometry[k] for k in ("size", "kernel", "stride")),
                                     geometry["dilation"], geometry["pads"])
        ]  # fmt: skip
        c, n = (int(v) for v in rng.integers(1, 4, 2))
        cols = rng.standard_normal((c, *geometry["kernel"], n, *outs)).astype(dtype)
        if case % 3 == 1:  # strided: every other element of a wider array
            cols = np.repeat(cols, 2, axis=-1)[..., ::2]
        geometry["channels_first"] = case % 2 == 0
        a, b = (_fold(path, cols, **geometry) for path in ("numba", "numpy"))
        assert a.shape == b.shape and a.strides == b.strides
        np.testing.assert_allclose(a, b, rtol=TOL[dtype], atol=TOL[dtype])


@pytest.mark.parametrize("shape", [(0, 3, 3, 2, 4, 4), (2, 3, 3, 0, 4, 4), (2, 3, 3, 2, 0, 4)])
def test_empty(both_paths, shape):
    cols = np.zeros(shape, np.float32)
    geometry = dict(size=(4, 4), kernel=(3, 3), pads=((1, 1), (1, 1)))
    a, b = (_fold(path, cols, **geometry) for path in ("numba", "numpy"))
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_convolution_gradients(both_paths, dtype):
    """conv2d's input gradient and conv_transpose2d's output, both Fold, equal on both paths;
    and the second-order gradient (Fold's gradient is Unfold)."""
    rng = np.random.default_rng(7)
    x = rng.standard_normal((3, 4, 9, 8)).astype(dtype)
    w = rng.standard_normal((6, 2, 3, 3)).astype(dtype)
    wt = rng.standard_normal((4, 3, 3, 2)).astype(dtype)
    results = []
    for path in ("numba", "numpy"):
        kernels.use(path)
        xt, wt_ = tg.tensor(x, requires_grad=True), tg.tensor(w, requires_grad=True)
        y = F.conv2d(xt, wt_, stride=(2, 1), padding=1, dilation=(1, 2), groups=2)
        (gx,) = tg.autograd.grad(y.sum(), xt, create_graph=True)
        (gw,) = tg.autograd.grad((gx**2).sum(), wt_)
        z = F.conv_transpose2d(tg.tensor(x), tg.tensor(wt), stride=2, padding=1, output_padding=1)
        results.append((gx.array, gw.array, z.array))
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=TOL[dtype], atol=10 * TOL[dtype])


def test_conv3d_gradients_on_both_paths(both_paths):
    rng = np.random.default_rng(8)
    x = rng.standard_normal((2, 4, 5, 6, 7))
    w = rng.standard_normal((6, 2, 3, 2, 3))
    results = []
    for path in ("numba", "numpy"):
        kernels.use(path)
        xt, wt = tg.tensor(x, requires_grad=True), tg.tensor(w, requires_grad=True)
        y = F.conv3d(xt, wt, stride=(1, 2, 1), padding=1, dilation=(2, 1, 1), groups=2)
        (gx,) = tg.autograd.grad((y * y).sum(), xt, create_graph=True)
        (gw,) = tg.autograd.grad((gx**2).sum(), wt)
        z = F.conv_transpose3d(xt.detach(), tg.tensor(w[:4]), stride=2, padding=1)
        results.append((gx.array, gw.array, z.array))
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
