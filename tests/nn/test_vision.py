"""grid_sample and affine_grid (tensorgrad/nn/vision.py) against PyTorch.

The op table runs every mode x padding_mode x align_corners combination (4-D input, and 5-D for
bilinear and nearest) through float64 gradcheck and gradgradcheck and a float32/float64
comparison of values and of the gradients to the input and the grid. The grid points there are
random; the tests below add points exactly on the image's edges and corner pixels' centres, far
outside (several reflections), and ties of nearest rounding, where the gradients have kinks
that only a comparison with PyTorch can check.
"""

import itertools
import warnings

import numpy as np
import pytest

import tensorgrad as tg
from tests.op_harness import OpSpec, make_tests

torch = pytest.importorskip("torch")

MODES = ["bilinear", "nearest", "bicubic"]
PADDINGS = ["zeros", "border", "reflection"]
COMBOS = [
    (spatial, mode, padding, align)
    for spatial in (2, 3)
    for mode, padding, align in itertools.product(MODES, PADDINGS, (False, True))
    if not (spatial == 3 and mode == "bicubic")  # 4-D input only, as PyTorch
]


def sampler(mode, padding, align):
    """grid_sample of ``x`` at ``0.7 g``: the op table draws standard normal values, which this
    brings mostly into [-1.5, 1.5], so that points fall inside the image and around it."""
    return lambda lib, x, g: lib.nn.functional.grid_sample(x, g * 0.7, mode, padding, align)


def _case(spatial):
    if spatial == 2:  # input (N, C, H, W), grid (N, H_out, W_out, 2)
        return ((1, 2, 2, 3), (1, 2, 2, 2))
    return ((1, 1, 2, 2, 3), (1, 1, 2, 2, 3))  # (N, C, D, H, W), (N, D_out, H_out, W_out, 3)


OPS = [
    OpSpec(
        "nn.functional.grid_sample",
        sampler(mode, padding, align),
        [_case(spatial)],
        atol=1e-4 if mode == "bicubic" else 1e-5,  # float32: 16 taps of cubic weights
        # the test time is kept down: the second order's graph and the layouts do not depend
        # on align_corners, nor the layouts on padding_mode
        second_order=not align,
        noncontiguous=padding == "reflection" and not align,
    )
    for spatial, mode, padding, align in COMBOS
]


def affine(size, align):
    return lambda lib, theta: lib.nn.functional.affine_grid(theta, size, align_corners=align)


OPS += [
    OpSpec("nn.functional.affine_grid", affine((2, 3, 4, 5), False), [((2, 2, 3),)]),
    OpSpec("nn.functional.affine_grid", affine((2, 1, 3, 1), True), [((2, 2, 3),)]),
    OpSpec("nn.functional.affine_grid", affine((2, 3, 2, 3, 4), False), [((2, 3, 4),)]),
    OpSpec("nn.functional.affine_grid", affine((1, 1, 3, 1, 2), True), [((1, 3, 4),)]),
]

test_matches_torch, test_gradcheck, test_matches_torch_bfloat16 = make_tests(OPS)


# -------------------------------------------------------- edges, far outside, rounding ties


def _grid(rng, shape, size, align):
    """Grid points of every kind: random in [-1.3, 1.3]; -1, 1 and 0 exactly; the centres and
    edges of the pixels (kinks of bilinear weights and of border clipping; nearest's rounding
    ties); and far outside (several reflections)."""
    g = rng.uniform(-1.3, 1.3, shape)
    flat = g.reshape(-1, shape[-1])
    special = [-1.0, 1.0, 0.0, -3.2, 2.7, 5.9, -7.3, 1.5, -1.5]
    for axis in range(shape[-1]):
        s = size[-1 - axis]  # the grid's x is along the last axis (W)
        pixels = np.arange(s + 1)
        if align:  # pixel centres at (g + 1) (s - 1) / 2 = i; edges half-way
            centres = 2 * pixels / max(s - 1, 1) - 1
            edges = (2 * pixels - 1) / max(s - 1, 1) - 1
        else:  # pixel centres at ((g + 1) s - 1) / 2 = i
            centres = (2 * pixels + 1) / s - 1
            edges = 2 * pixels / s - 1
        values = np.concatenate([special, centres, edges])
        take = rng.permutation(len(flat))[: len(values)]
        flat[take, axis] = values[: len(take)]
    return g


def _both(x, g, mode, padding, align, dtype, rng):
    """Values and gradients (random upstream) of PyTorch's grid_sample and ours."""
    results = []
    upstream = None
    for lib in (tg, torch):
        a = lib.tensor(x.astype(dtype), requires_grad=True)
        b = lib.tensor(g.astype(dtype), requires_grad=True)
        out = lib.nn.functional.grid_sample(a, b, mode, padding, align)
        if upstream is None:
            upstream = rng.standard_normal(tuple(out.shape)).astype(dtype)
        out.backward(lib.tensor(upstream))
        results.append([out.detach().numpy(), a.grad.numpy(), b.grad.numpy()])
    return results


@pytest.mark.parametrize("spatial,mode,padding,align", COMBOS, ids=str)
def test_edges_and_far_points_match_torch(spatial, mode, padding, align):
    rng = np.random.default_rng(hash((spatial, mode, padding, align)) % 2**32)
    if spatial == 2:
        x, shape, size = rng.standard_normal((2, 3, 4, 5)), (2, 6, 7, 2), (4, 5)
    else:
        x, shape, size = rng.standard_normal((2, 2, 3, 4, 5)), (2, 3, 4, 5, 3), (3, 4, 5)
    g = _grid(rng, shape, size, align)
    for dtype, tol in ((np.float64, 1e-10), (np.float32, 2e-5)):
        ours, theirs = _both(x, g, mode, padding, align, dtype, rng)
        for name, a, b in zip(("output", "input gradient", "grid gradient"), ours, theirs):
            assert a.dtype == b.dtype
            np.testing.assert_allclose(a, b, rtol=tol, atol=tol, err_msg=name)


def test_images_of_size_one_and_wide_grids_match_torch():
    """A single pixel (no span to reflect in with align_corners) and an output larger than
    the input."""
    rng = np.random.default_rng(1)
    for size, align in itertools.product([(1, 1), (1, 4), (3, 1)], (False, True)):
        x = rng.standard_normal((1, 2, *size))
        g = _grid(rng, (1, 5, 9, 2), size, align)
        for mode, padding in itertools.product(MODES, PADDINGS):
            ours, theirs = _both(x, g, mode, padding, align, np.float64, rng)
            for a, b in zip(ours, theirs):
                np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10)


def test_infinite_grid_points_match_torch():
    """A point at +-inf (a degenerate homography) reads 0 with zeros padding (nearest: not
    0 * NaN), the border pixel with border padding; NaN where PyTorch's output is NaN."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((1, 2, 3, 4))
    g = rng.uniform(-1, 1, (1, 2, 3, 2))
    g[0, 0, 0], g[0, 0, 1], g[0, 1, 2] = [np.inf, 0.2], [-np.inf, 0.3], [0.1, np.inf]
    for mode, padding, align in itertools.product(MODES, ("zeros", "border"), (False, True)):
        ours = tg.nn.functional.grid_sample(tg.tensor(x), tg.tensor(g), mode, padding, align)
        theirs = torch.nn.functional.grid_sample(
            torch.tensor(x), torch.tensor(g), mode, padding, align
        )
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12, equal_nan=True)


@pytest.mark.parametrize(
    "spatial,mode,padding,align",
    [
        (2, "bilinear", "zeros", False),
        (2, "bicubic", "border", True),
        (3, "bilinear", "reflection", False),
    ],
    ids=str,
)
def test_double_backward_matches_torch(spatial, mode, padding, align):
    """A gradient penalty: the gradient of |d out / d grid|^2 + |d out / d input|^2 with
    respect to both, through the gradients' own graphs."""
    rng = np.random.default_rng(2)
    x_np = rng.standard_normal((1, 2, 4, 5) if spatial == 2 else (1, 2, 3, 4, 3))
    g_np = rng.uniform(-1.2, 1.2, (1, 3, 4, 2) if spatial == 2 else (1, 2, 2, 3, 3))
    results = []
    for lib in (tg, torch):
        x = lib.tensor(x_np, requires_grad=True)
        g = lib.tensor(g_np, requires_grad=True)
        out = lib.nn.functional.grid_sample(x, g, mode, padding, align)
        loss = (out * out.detach() ** 2).sum()
        autograd = tg.autograd if lib is tg else torch.autograd
        gx, gg = autograd.grad(loss, (x, g), create_graph=True)
        ((gx * gx).sum() + (gg * gg).sum()).backward()
        results.append((x.grad.detach().numpy(), g.grad.detach().numpy()))
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_spatial_transformer_matches_torch():
    """affine_grid then grid_sample, differentiated with respect to theta and the image."""
    rng = np.random.default_rng(3)
    x_np = rng.standard_normal((2, 3, 6, 7))
    theta_np = np.array([[[0.9, -0.3, 0.1], [0.2, 1.1, -0.2]], [[1.2, 0.4, 0.3], [-0.1, 0.8, 0]]])
    upstream = rng.standard_normal((2, 3, 5, 4))
    results = []
    for lib in (tg, torch):
        x = lib.tensor(x_np, requires_grad=True)
        theta = lib.tensor(theta_np, requires_grad=True)
        grid = lib.nn.functional.affine_grid(theta, (2, 3, 5, 4), align_corners=False)
        out = lib.nn.functional.grid_sample(x, grid, "bilinear", "border", align_corners=False)
        out.backward(lib.tensor(upstream))
        results.append((out.detach().numpy(), x.grad.numpy(), theta.grad.numpy()))
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("align", [False, True])
@pytest.mark.parametrize("size", [(2, 3, 20, 20), (2, 1, 7, 5), (2, 1, 5, 6, 7), (2, 1, 9, 4, 3)])
def test_affine_grid_equals_torch_to_the_bit(size, align):
    """float32 grids as PyTorch rounds them (its float32 linspace, then x a + y b + c): a
    last-bit difference moves a point across a pixel edge, where grid_sample's gradient to
    the grid jumps (a spatial transformer's theta gradient was off by 0.7%)."""
    d = len(size) - 2
    theta = np.random.default_rng(5).standard_normal((2, d, d + 1)).astype(np.float32)
    want = torch.nn.functional.affine_grid(torch.from_numpy(theta), size, align_corners=align)
    got = tg.nn.functional.affine_grid(tg.from_numpy(theta), size, align_corners=align)
    np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_a_grid_can_be_differentiated_through_twice_as_in_torch():
    """PyTorch's affine_grid keeps no tensors for its backward (the base grid is a constant),
    so one grid can feed several samplings, each differentiated with autograd.grad."""
    theta_np = np.array([[[0.9, -0.1, 0.05], [0.1, 0.9, -0.05]]])
    x_np = np.random.default_rng(6).standard_normal((1, 2, 5, 6))
    results = []
    for lib in (tg, torch):
        theta = lib.tensor(theta_np, requires_grad=True)
        x = lib.tensor(x_np)
        grid = lib.nn.functional.affine_grid(theta, (1, 2, 5, 6), align_corners=False)
        for padding in ("zeros", "border"):
            out = lib.nn.functional.grid_sample(x, grid, padding_mode=padding, align_corners=False)
            (g,) = lib.autograd.grad(out.sum(), [theta])
            results.append(g.numpy())
    for a, b in zip(results[:2], results[2:]):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_grid_sample_and_affine_grid_under_compile_match_eager():
    """tg.compile records the whole step (the constant grids and image offsets made through
    the recorder) and replays the positions and weights on new inputs; fullgraph: no host
    read."""
    rng = np.random.default_rng(4)

    def step(x, g, theta):
        F = tg.nn.functional
        out = F.grid_sample(x, g, "bilinear", "reflection", False)
        moved = F.grid_sample(
            x, F.affine_grid(theta, (2, 3, 3, 4), False), "bicubic", "zeros", False
        )
        loss = (out * out).sum() + (moved * moved).sum()
        return (out, moved, *tg.autograd.grad(loss, (x, g, theta)))

    compiled = tg.compile(step, fullgraph=True, fuse=False)  # no numba compile for a test
    for k in range(3):
        x_np = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
        g_np = rng.uniform(-1.6, 1.6, (2, 3, 2, 2)).astype(np.float32)
        theta_np = (np.eye(2, 3) + rng.uniform(-0.3, 0.3, (2, 2, 3))).astype(np.float32)
        results = []
        for fn in (step, compiled):
            x, g, theta = (tg.tensor(a, requires_grad=True) for a in (x_np, g_np, theta_np))
            results.append([t.detach().numpy() for t in fn(x, g, theta)])
        for a, b in zip(*results):
            np.testing.assert_array_equal(a, b, err_msg=f"call {k}")
    assert "1 recording" in compiled.explain() and "eagerly" not in compiled.explain()


# ------------------------------------------------------------------------------------- errors


def test_grid_sample_errors_match_torch():
    F = tg.nn.functional
    x, g = tg.randn(1, 2, 4, 4), tg.randn(1, 3, 3, 2)
    with pytest.raises(ValueError, match="expected mode to be 'bilinear', 'nearest' or 'bicubic'"):
        F.grid_sample(x, g, mode="linear", align_corners=False)
    with pytest.raises(ValueError, match="expected padding_mode to be 'zeros', 'border', or"):
        F.grid_sample(x, g, padding_mode="wrap", align_corners=False)
    with pytest.raises(RuntimeError, match=r"same batch size.*\(1, 2, 4, 4\).*\(2, 3, 3, 2\)"):
        F.grid_sample(x, tg.randn(2, 3, 3, 2), align_corners=False)
    with pytest.raises(RuntimeError, match=r"expected grid to have size 2 in last dimension"):
        F.grid_sample(x, tg.randn(1, 3, 3, 3), align_corners=False)
    with pytest.raises(RuntimeError, match=r"4D or 5D input and grid with same number of dim"):
        F.grid_sample(x, tg.randn(1, 2, 3, 3, 2), align_corners=False)
    with pytest.raises(RuntimeError, match=r"same dtype.*float32.*float64"):
        F.grid_sample(x, tg.randn(1, 3, 3, 2, dtype=tg.float64), align_corners=False)
    with pytest.raises(RuntimeError, match="bicubic interpolation only supports 4D input"):
        F.grid_sample(tg.randn(1, 1, 2, 2, 2), tg.randn(1, 1, 1, 1, 3), "bicubic", "zeros", False)
    with pytest.raises(RuntimeError, match=r"non-empty spatial dimensions.*dimension 2"):
        F.grid_sample(tg.randn(1, 2, 0, 4), g, align_corners=False)
    with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
        F.grid_sample(x, g)


def test_affine_grid_errors_match_torch():
    F = tg.nn.functional
    with pytest.raises(ValueError, match=r"Nx2x3 for size \[1, 1, 4, 4\]"):
        F.affine_grid(tg.randn(1, 3, 4), (1, 1, 4, 4), align_corners=False)
    with pytest.raises(ValueError, match=r"Nx3x4 for size \[1, 1, 2, 4, 4\]"):
        F.affine_grid(tg.randn(1, 2, 3), (1, 1, 2, 4, 4), align_corners=False)
    with pytest.raises(NotImplementedError, match="only supports 4D and 5D sizes"):
        F.affine_grid(tg.randn(1, 2, 3), (1, 4, 4), align_corners=False)
    with pytest.raises(ValueError, match="Expected theta to have floating point type"):
        F.affine_grid(tg.zeros(1, 2, 3, dtype=tg.int64), (1, 1, 4, 4), align_corners=False)
    with pytest.raises(ValueError, match="Expected non-zero, positive output size"):
        F.affine_grid(tg.randn(1, 2, 3), (1, 1, 0, 4), align_corners=False)
    with pytest.raises(RuntimeError, match=r"theta of batch size 2 .*shape \(1, 2, 3\)"):
        F.affine_grid(tg.randn(1, 2, 3), (2, 1, 4, 4), align_corners=False)
    with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
        F.affine_grid(tg.randn(1, 2, 3), (1, 1, 4, 4))
    with pytest.warns(UserWarning, match="unit-size grids"):
        F.affine_grid(tg.randn(1, 2, 3), (1, 1, 1, 4), align_corners=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.affine_grid(tg.randn(1, 2, 3), (1, 1, 3, 4), align_corners=True)
