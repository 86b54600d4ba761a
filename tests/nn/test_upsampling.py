"""Resampling (tensorgrad/nn/upsampling.py) against PyTorch: an op table over every mode and
``align_corners`` setting (up- and down-sampling, odd sizes, size or scale factor, recomputed
scale factors; float64 gradcheck and gradgradcheck, float32/float64 forward and gradient under
a random upstream gradient, non-contiguous inputs), a randomized sweep of sizes and scale
factors, the layers, and PyTorch's errors."""

import warnings
import zlib

import numpy as np
import pytest

import tensorgrad as tg
from tests.nn.layer_harness import check_layer
from tests.op_harness import OpSpec, make_tests

torch = pytest.importorskip("torch")


def interp(**kwargs):
    """``lib.nn.functional.interpolate(x, **kwargs)``"""
    return lambda lib, x: lib.nn.functional.interpolate(x, **kwargs)


def spec(cases, **kwargs):
    return OpSpec("nn.functional.interpolate", interp(**kwargs), cases)


D1 = [((2, 3, 5),), ((1, 2, 2),)]
D2 = [((2, 2, 5, 4),), ((1, 1, 3, 2),)]
ONE = [((1, 2, 1),)]  # a single input pixel
D3 = [((1, 2, 2, 3, 3),)]
AA = [((1, 2, 9, 8),)]

OPS = [
    # nearest: up, down, mixed, by size and by scale factor; 1-, 2- and 3-d
    spec(D1, size=7),
    spec(ONE, size=3),
    spec(D1, scale_factor=0.6),
    spec(D2, size=(7, 3)),
    spec(D2, scale_factor=(1.7, 0.5)),
    spec(D2, scale_factor=2.0),
    spec(D2, scale_factor=(1.3, 2.2), recompute_scale_factor=True),
    spec(D3, size=(3, 2, 5)),
    spec(D3, scale_factor=1.5),
    # nearest-exact
    spec(D1, size=8, mode="nearest-exact"),
    spec(D1, scale_factor=0.7, mode="nearest-exact"),
    spec(D2, size=(3, 7), mode="nearest-exact"),
    spec(D2, scale_factor=(2.5, 0.6), mode="nearest-exact"),
    spec(D3, scale_factor=(1.0, 2.5, 0.7), mode="nearest-exact"),
    # area
    spec(D1, size=3, mode="area"),
    spec(D2, size=(3, 2), mode="area"),
]
for align_corners in (False, True):
    ac = {"align_corners": align_corners}
    OPS += [
        spec(D1, size=8, mode="linear", **ac),
        spec(D1, size=3, mode="linear", **ac),
        spec(D1, scale_factor=1.7, mode="linear", **ac),
        spec(D1, scale_factor=0.55, mode="linear", recompute_scale_factor=True, **ac),
        spec(ONE, size=4, mode="linear", **ac),
        spec([((1, 1, 1, 3),)], size=(3, 1), mode="bicubic", **ac),
        spec(D2, size=(7, 3), mode="bilinear", **ac),
        spec(D2, size=(1, 6), mode="bilinear", **ac),
        spec(D2, scale_factor=(1.5, 0.6), mode="bilinear", **ac),
        spec(D2, scale_factor=2.3, mode="bilinear", recompute_scale_factor=True, **ac),
        spec(D2, size=(7, 3), mode="bicubic", **ac),
        spec(D2, size=(2, 9), mode="bicubic", **ac),
        spec(D2, scale_factor=(1.5, 0.6), mode="bicubic", **ac),
        spec(D3, size=(3, 5, 2), mode="trilinear", **ac),
        spec(D3, scale_factor=(1.5, 0.5, 1.2), mode="trilinear", **ac),
        # antialias (PIL's resampling, torchvision's Resize): shrinking widens the filter
        spec(AA, size=(4, 3), mode="bilinear", antialias=True, **ac),
        spec(AA, size=(3, 11), mode="bicubic", antialias=True, **ac),
        spec(AA, scale_factor=0.4, mode="bilinear", antialias=True, **ac),
        spec(AA, scale_factor=(0.3, 1.6), mode="bicubic", antialias=True, **ac),
    ]


def _quietly(call):
    """``call(lib, x)`` without the deprecation warning (tested once below)."""

    def fn(lib, x):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return call(lib, x)

    return fn


# the deprecated aliases (each warns): upsample is interpolate, upsample_bilinear aligns corners
OPS += [
    OpSpec("nn.functional.upsample", _quietly(fn), D2)
    for fn in (
        lambda lib, x: lib.nn.functional.upsample(x, size=(7, 3)),
        lambda lib, x: lib.nn.functional.upsample(x, None, 1.5, "bilinear", False),
    )
] + [
    OpSpec(f"nn.functional.upsample_{m}", _quietly(fn), D2)
    for m, fn in (
        ("nearest", lambda lib, x: lib.nn.functional.upsample_nearest(x, scale_factor=2)),
        ("bilinear", lambda lib, x: lib.nn.functional.upsample_bilinear(x, size=(7, 3))),
        ("bilinear", lambda lib, x: lib.nn.functional.upsample_bilinear(x, None, 0.6)),
    )
]

test_matches_torch, test_gradcheck, test_matches_torch_bfloat16 = make_tests(OPS)


# ---------------------------------------------------------------------- randomized sweep

SWEEP_MODES = [
    ("nearest", 3),
    ("nearest", 4),
    ("nearest", 5),
    ("nearest-exact", 3),
    ("nearest-exact", 4),
    ("linear", 3),
    ("bilinear", 4),
    ("bicubic", 4),
    ("trilinear", 5),
    ("area", 4),
]


def _torch_gradient_is_inconsistent(mode, ndim, in_shape, out_shape, kwargs) -> bool:
    """The cases where PyTorch's backward kernel does not differentiate its own forward (see
    tensorgrad/nn/upsampling.py): its gradient is not compared there, gradcheck covers ours."""
    if "scale_factor" not in kwargs or kwargs.get("recompute_scale_factor"):
        return False
    pairs = list(zip(in_shape[2:], out_shape[2:]))
    if mode == "bicubic":
        return all(a == b for a, b in pairs)
    return mode == "nearest" and ndim != 4 and any(b in (a, 2 * a) for a, b in pairs)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("mode,ndim", SWEEP_MODES, ids=[f"{m}-{n}d" for m, n in SWEEP_MODES])
def test_random_sizes_match_torch(mode, ndim, dtype):
    """Many sizes and scale factors: PyTorch's index rules (float32 index maths, the 2-d
    nearest kernel's shortcuts, the linear kernel's copy of an unchanged axis) to the last
    index."""
    rng = np.random.default_rng(zlib.crc32(f"{mode}{ndim}".encode()))  # not hash(): per process
    tol = dict(atol=1e-5, rtol=1e-5) if dtype == np.float32 else dict(atol=1e-11, rtol=1e-10)
    corners = [None] if mode in ("nearest", "nearest-exact", "area") else [False, True]
    for trial in range(40):
        in_shape = (2, 2, *(int(v) for v in rng.integers(1, 10, ndim - 2)))
        r = rng.random()
        if r < 0.4:
            kwargs = {"size": tuple(int(v) for v in rng.integers(1, 20, ndim - 2))}
        elif r < 0.7:
            choices = [0.5, 1.1, 1.5, 2.0, 2.2, 2.7, 3.0, 0.3, 1 / 3, 0.75]
            kwargs = {"scale_factor": float(rng.choice(choices))}
        else:
            kwargs = {"scale_factor": tuple(float(rng.uniform(0.4, 3.5)) for _ in in_shape[2:])}
        if "scale_factor" in kwargs:
            kwargs["recompute_scale_factor"] = bool(rng.random() < 0.5)
            if any(int(n * s) == 0 for n, s in zip(in_shape[2:], _scales(kwargs, ndim))):
                continue
        kwargs["align_corners"] = corners[trial % len(corners)]
        x = rng.standard_normal(in_shape).astype(dtype)
        xt = torch.tensor(x, requires_grad=True)
        xg = tg.tensor(x, requires_grad=True)
        yt = torch.nn.functional.interpolate(xt, mode=mode, **kwargs)
        yg = tg.nn.functional.interpolate(xg, mode=mode, **kwargs)
        where = f"{mode} {in_shape} {kwargs}"
        assert yg.shape == tuple(yt.shape), where
        np.testing.assert_allclose(yg.array, yt.detach().numpy(), **tol, err_msg=where)
        if _torch_gradient_is_inconsistent(mode, ndim, in_shape, yg.shape, kwargs):
            continue
        g = rng.standard_normal(yg.shape).astype(dtype)
        yt.backward(torch.tensor(g))
        yg.backward(tg.tensor(g))
        # each input's gradient sums up to hundreds of outputs, in another order than torch's:
        # the absolute tolerance scales with the largest gradient
        ref = xt.grad.numpy()
        scale = max(1.0, float(np.abs(ref).max()))
        atol = tol["atol"] * scale
        np.testing.assert_allclose(xg.grad.array, ref, rtol=tol["rtol"], atol=atol, err_msg=where)


def _scales(kwargs, ndim):
    s = kwargs["scale_factor"]
    return s if isinstance(s, tuple) else (s,) * (ndim - 2)


@pytest.mark.parametrize(
    "mode,shape,scale",
    [
        ("nearest", (1, 2, 5), 1.1),
        ("nearest", (1, 1, 2, 3, 3), (2.2, 1.2, 1.0)),
        ("bicubic", (1, 1, 4, 5), 1.1),
    ],
)
def test_gradient_where_torch_disagrees_with_itself(mode, shape, scale):
    """Where PyTorch's backward kernels copy while its forward used the scale factor, the
    forward still matches PyTorch and the gradient is the forward's true gradient."""
    x = np.random.default_rng(0).standard_normal(shape)
    y = tg.nn.functional.interpolate(tg.tensor(x), scale_factor=scale, mode=mode)
    expected = torch.nn.functional.interpolate(torch.tensor(x), scale_factor=scale, mode=mode)
    np.testing.assert_allclose(y.array, expected.numpy(), rtol=1e-10, atol=1e-12)
    assert tg.autograd.gradcheck(
        lambda t: tg.nn.functional.interpolate(t, scale_factor=scale, mode=mode),
        [tg.tensor(x, requires_grad=True)],
    )


def test_same_size_is_a_copy():
    x = tg.randn(1, 2, 3, 4, requires_grad=True)
    y = tg.nn.functional.interpolate(x, size=(3, 4), mode="bilinear")
    assert y is not x
    np.testing.assert_array_equal(y.array, x.array)
    assert not np.shares_memory(y.array, x.array)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.array, np.ones((1, 2, 3, 4)))


def test_integer_input_nearest():
    x = np.arange(24, dtype=np.uint8).reshape(1, 2, 3, 4)  # PyTorch's CPU kernels: uint8 only
    y = tg.nn.functional.interpolate(tg.tensor(x), scale_factor=2)
    expected = torch.nn.functional.interpolate(torch.tensor(x), scale_factor=2)
    assert y.dtype == tg.uint8
    np.testing.assert_array_equal(y.array, expected.numpy())


# ---------------------------------------------------------------------- layers


LAYERS = [
    ("Upsample", dict(scale_factor=2), (2, 3, 4, 5)),
    ("Upsample", dict(size=(5, 7), mode="bilinear"), (2, 3, 4, 3)),
    ("Upsample", dict(scale_factor=(0.5, 1.5), mode="bilinear", align_corners=True), (2, 3, 5, 4)),
    ("Upsample", dict(size=9, mode="linear", align_corners=False), (2, 3, 4)),
    ("Upsample", dict(scale_factor=1.7, mode="bicubic", recompute_scale_factor=True), (1, 2, 4, 5)),
    ("Upsample", dict(scale_factor=1.5, mode="nearest-exact"), (1, 2, 3, 3, 2)),
    ("UpsamplingNearest2d", dict(scale_factor=3), (2, 3, 2, 3)),
    ("UpsamplingNearest2d", dict(size=(5, 4)), (2, 3, 2, 3)),
    ("UpsamplingBilinear2d", dict(scale_factor=2), (2, 3, 3, 4)),
    ("UpsamplingBilinear2d", dict(size=(2, 7)), (2, 3, 3, 4)),
]


@pytest.mark.parametrize("name,kwargs,shape", LAYERS)
def test_layer_matches_torch(name, kwargs, shape):
    tg_layer, th_layer = getattr(tg.nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    assert repr(tg_layer) == repr(th_layer)
    check_layer(tg_layer, th_layer, [np.random.default_rng(0).standard_normal(shape)])


def test_layer_attributes_are_torchs():
    for name, kwargs, _ in LAYERS:
        tg_layer, th_layer = getattr(tg.nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
        for attr in ("size", "scale_factor", "mode", "align_corners", "recompute_scale_factor"):
            assert getattr(tg_layer, attr) == getattr(th_layer, attr), (name, attr)


# ---------------------------------------------------------------------- errors


ERRORS = [
    # (input shape, kwargs, exception type, message fragment)
    ((1, 1, 4), dict(size=3, mode="bilinear"), NotImplementedError, "bilinear mode needs 4D"),
    ((1, 1, 4, 4), dict(size=3, mode="linear"), NotImplementedError, "linear mode needs 3D"),
    ((1, 1, 4), dict(size=3, mode="bicubic"), NotImplementedError, "bicubic mode needs 4D"),
    ((1, 1, 4, 4), dict(size=3, mode="trilinear"), NotImplementedError, "trilinear mode needs"),
    ((4, 4), dict(size=3), NotImplementedError, "Only 3D, 4D and 5D"),
    ((1, 1, 4), dict(size=3, mode="cubic"), NotImplementedError, "got cubic"),
    ((1, 1, 4), dict(size=3, scale_factor=2.0), ValueError, "only one of size or scale_factor"),
    ((1, 1, 4), dict(), ValueError, "either size or scale_factor"),
    ((1, 1, 4), dict(size=3, align_corners=True), ValueError, "align_corners option"),
    ((1, 1, 4), dict(size=3, mode="nearest-exact", align_corners=False), ValueError, "align_"),
    ((1, 1, 4), dict(size=3, mode="area", align_corners=True), ValueError, "align_corners"),
    ((1, 1, 4, 4), dict(size=(3, 3, 3)), ValueError, "same number of spatial dimensions"),
    ((1, 1, 4, 4), dict(scale_factor=(2.0,)), ValueError, "same number of spatial dimensions"),
    ((1, 1, 4, 4), dict(size=(3.0, 3)), TypeError, "expected size"),
    ((1, 1, 4), dict(size=3, recompute_scale_factor=True), ValueError, "not meaningful"),
    ((1, 1, 4), dict(size=0, mode="linear"), RuntimeError, "greater than 0"),
    ((1, 1, 4), dict(size=6, mode="linear", antialias=True), ValueError, "Anti-alias"),
]


@pytest.mark.parametrize("shape,kwargs,error,match", ERRORS)
def test_errors(shape, kwargs, error, match):
    with pytest.raises(error, match=match):
        tg.nn.functional.interpolate(tg.zeros(*shape), **kwargs)
    th_error = NotImplementedError if error is NotImplementedError else Exception
    with pytest.raises(th_error):  # PyTorch rejects the same arguments
        torch.nn.functional.interpolate(torch.zeros(*shape), **kwargs)


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
def test_antialiased_resize_of_an_image_matches_torch(mode):
    """torchvision's Resize of a 3x64x48 image to 13x11 (antialias=True, its default):
    windows of up to 11 taps, the last axis resampled first."""
    x = np.random.default_rng(8).random((1, 3, 64, 48), dtype=np.float32)
    want = torch.nn.functional.interpolate(
        torch.from_numpy(x), size=(13, 11), mode=mode, antialias=True
    )
    got = tg.nn.functional.interpolate(tg.from_numpy(x), size=(13, 11), mode=mode, antialias=True)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6, atol=1e-6)


def test_deprecated_upsample_aliases_warn_as_torch():
    x = tg.randn(1, 1, 2, 2)
    for name in ("upsample", "upsample_nearest", "upsample_bilinear"):
        with pytest.warns(UserWarning, match=f"nn.functional.{name}` is deprecated"):
            getattr(tg.nn.functional, name)(x, scale_factor=2)
