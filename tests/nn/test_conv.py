"""Convolutions, 1-d to 3-d (tensorgrad/nn/conv.py, primitives in tensorgrad/ops/conv.py) against
PyTorch.

The op table runs every functional form through gradcheck, gradgradcheck and a float32/float64
comparison with ``torch.nn.functional``; the layer tests copy PyTorch's weights in through
``load_state_dict`` and compare outputs and every gradient over many argument combinations.
"""

import math

import numpy as np
import pytest

import tensorgrad as tg
from tests.nn.layer_harness import check_layer
from tests.op_harness import OpSpec, make_tests

torch = pytest.importorskip("torch")


def fn_(name, **kwargs):
    """``lib.nn.functional.<name>(*inputs, **kwargs)``"""
    return lambda lib, *xs: getattr(lib.nn.functional, name)(*xs, **kwargs)


OPS = [
    # conv2d: input (N, C, H, W), weight (O, C/groups, kh, kw), bias (O,)
    OpSpec(
        "nn.functional.conv2d",
        fn_("conv2d"),
        [
            ((2, 3, 5, 4), (4, 3, 3, 2), (4,)),
            ((2, 3, 4, 4), (2, 3, 1, 1)),
            ((3, 4, 4), (2, 3, 2, 2)),
        ],
    ),
    OpSpec(
        "nn.functional.conv2d",
        fn_("conv2d", stride=2, padding=1),
        [((2, 2, 5, 6), (3, 2, 3, 3), (3,))],
    ),
    OpSpec(
        "nn.functional.conv2d",
        fn_("conv2d", stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=2),
        [((2, 4, 6, 5), (4, 2, 2, 3), (4,))],
    ),
    OpSpec(
        "nn.functional.conv2d",
        fn_("conv2d", padding="same", dilation=(2, 1)),  # even kernel: one more pad after
        [((1, 2, 5, 5), (3, 2, 2, 4), (3,))],
    ),
    OpSpec(
        "nn.functional.conv2d",
        fn_("conv2d", padding="valid", groups=3),  # depthwise
        [((2, 3, 4, 5), (3, 1, 2, 2), (3,))],
    ),
    # conv1d: input (N, C, L)
    OpSpec(
        "nn.functional.conv1d",
        fn_("conv1d"),
        [((2, 3, 6), (4, 3, 3), (4,)), ((3, 5), (2, 3, 2))],
    ),
    OpSpec(
        "nn.functional.conv1d",
        fn_("conv1d", stride=2, padding=2, dilation=2, groups=2),
        [((2, 4, 9), (4, 2, 3), (4,))],
    ),
    OpSpec("nn.functional.conv1d", fn_("conv1d", padding="same"), [((2, 2, 7), (3, 2, 4))]),
    # conv_transpose2d: weight (C_in, C_out/groups, kh, kw)
    OpSpec(
        "nn.functional.conv_transpose2d",
        fn_("conv_transpose2d"),
        [((2, 3, 3, 4), (3, 2, 2, 3), (2,)), ((3, 3, 3), (3, 2, 2, 2))],
    ),
    OpSpec(
        "nn.functional.conv_transpose2d",
        fn_("conv_transpose2d", stride=2, padding=1, output_padding=1, groups=2),
        [((2, 4, 3, 3), (4, 2, 3, 3), (4,))],
    ),
    OpSpec(
        "nn.functional.conv_transpose2d",
        fn_(
            "conv_transpose2d",
            stride=(1, 2),
            padding=(2, 0),
            output_padding=(1, 1),
            dilation=(3, 2),
        ),
        [((1, 2, 3, 3), (2, 3, 2, 2), (3,))],
    ),
    # unfold / fold: im2col and col2im, PyTorch's (N, C kh kw, L) layout
    OpSpec(
        "nn.functional.unfold",
        fn_("unfold", kernel_size=(2, 3), dilation=(2, 1), padding=1, stride=(1, 2)),
        [((2, 2, 5, 5),), ((2, 4, 3),)],
    ),
    OpSpec(
        "nn.functional.fold",
        fn_("fold", output_size=(4, 5), kernel_size=(2, 2), padding=(1, 0), stride=(2, 1)),
        [((2, 12, 12),), ((8, 12),)],
    ),
]

OPS += [
    # conv_transpose1d: input (N, Cin, L), weight (Cin, Cout/groups, k), bias (Cout,)
    OpSpec(
        "nn.functional.conv_transpose1d",
        fn_("conv_transpose1d"),
        [((2, 3, 5), (3, 2, 3), (2,)), ((3, 4), (3, 2, 2))],
    ),
    OpSpec(
        "nn.functional.conv_transpose1d",
        fn_("conv_transpose1d", stride=2, padding=1, output_padding=1, groups=2, dilation=2),
        [((2, 4, 4), (4, 3, 3), (6,))],
    ),
]

OPS += [
    # conv3d: input (N, C, D, H, W), weight (O, C/groups, kd, kh, kw), bias (O,)
    OpSpec(
        "nn.functional.conv3d",
        fn_("conv3d"),
        [((2, 2, 3, 4, 3), (3, 2, 2, 2, 2), (3,)), ((2, 3, 3, 3), (2, 2, 2, 1, 2))],
    ),
    OpSpec(
        "nn.functional.conv3d",
        fn_("conv3d", stride=(2, 1, 2), padding=(1, 0, 1), dilation=(1, 2, 1), groups=2),
        [((1, 4, 4, 5, 4), (4, 2, 2, 2, 2), (4,))],
    ),
    OpSpec(
        "nn.functional.conv3d",
        fn_("conv3d", padding="same"),  # even kernel sizes: one more pad after
        [((1, 2, 3, 3, 4), (2, 2, 2, 3, 2), (2,))],
    ),
    # conv_transpose3d: weight (C_in, C_out/groups, kd, kh, kw)
    OpSpec(
        "nn.functional.conv_transpose3d",
        fn_("conv_transpose3d"),
        [((1, 2, 2, 3, 2), (2, 3, 2, 2, 2), (3,)), ((2, 2, 2, 2), (2, 2, 2, 1, 2))],
    ),
    OpSpec(
        "nn.functional.conv_transpose3d",
        fn_(
            "conv_transpose3d",
            stride=(2, 1, 2),
            padding=(1, 0, 1),
            output_padding=(1, 0, 0),
            groups=2,
            dilation=(1, 2, 1),
        ),
        [((1, 4, 2, 2, 3), (4, 1, 3, 2, 2), (2,))],
    ),
]

test_matches_torch, test_gradcheck, test_matches_torch_bfloat16 = make_tests(OPS)


# ----------------------------------------------------------------------------------- layers


def _input(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


CONV2D_CASES = [
    dict(),
    dict(stride=2),
    dict(padding=1),
    dict(padding=(2, 1), stride=(1, 3)),
    dict(dilation=2, padding=2),
    dict(stride=2, padding=1, dilation=(2, 1), groups=2),
    dict(groups=4),
    dict(groups=2, bias=False),
    dict(padding="same"),
    dict(padding="same", dilation=(1, 3)),
    dict(padding="valid", bias=False),
    dict(padding=1, padding_mode="reflect"),
    dict(padding=(1, 2), padding_mode="replicate", stride=2),
    dict(padding=2, padding_mode="circular", groups=2),
    dict(padding="same", padding_mode="reflect"),
]


@pytest.mark.parametrize("kwargs", CONV2D_CASES, ids=str)
@pytest.mark.parametrize("kernel", [3, (2, 3)], ids=["k3", "k2x3"])
def test_conv2d_layer_matches_torch(kwargs, kernel):
    x = _input((2, 4, 7, 9))
    check_layer(tg.nn.Conv2d(4, 8, kernel, **kwargs), torch.nn.Conv2d(4, 8, kernel, **kwargs), [x])


def test_conv2d_layer_unbatched_input_and_eval_mode():
    x = _input((4, 6, 5))
    for train in (True, False):
        check_layer(
            tg.nn.Conv2d(4, 2, 3, padding=1), torch.nn.Conv2d(4, 2, 3, padding=1), [x], train=train
        )


def test_conv2d_layer_on_noncontiguous_and_channel_major_input():
    x = np.ascontiguousarray(_input((2, 3, 6, 7)).transpose(1, 0, 2, 3)).transpose(1, 0, 2, 3)
    check_layer(tg.nn.Conv2d(3, 4, 3, stride=2), torch.nn.Conv2d(3, 4, 3, stride=2), [x])
    check_layer(tg.nn.Conv2d(3, 4, 2), torch.nn.Conv2d(3, 4, 2), [x[:, :, ::2, 1:]])


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(),
        dict(stride=2, padding=3),
        dict(dilation=3, groups=3, bias=False),
        dict(padding="same"),
        dict(padding=2, padding_mode="circular"),
    ],
    ids=str,
)
def test_conv1d_layer_matches_torch(kwargs):
    x = _input((2, 6, 11))
    check_layer(tg.nn.Conv1d(6, 3, 4, **kwargs), torch.nn.Conv1d(6, 3, 4, **kwargs), [x])
    check_layer(tg.nn.Conv1d(6, 3, 4, **kwargs), torch.nn.Conv1d(6, 3, 4, **kwargs), [x[0]])


CONV_T_CASES = [
    dict(),
    dict(stride=2),
    dict(stride=2, padding=1, output_padding=1),
    dict(stride=(3, 2), padding=(1, 0), output_padding=(2, 1)),
    dict(dilation=2, padding=2),
    dict(stride=1, dilation=3, output_padding=2),  # output_padding >= stride, < dilation
    dict(groups=2, stride=2, bias=False),
    dict(groups=4, padding=1),
]


@pytest.mark.parametrize("kwargs", CONV_T_CASES, ids=str)
def test_conv_transpose2d_layer_matches_torch(kwargs):
    x = _input((2, 4, 5, 4))
    tg_layer = tg.nn.ConvTranspose2d(4, 8, (3, 2), **kwargs)
    check_layer(tg_layer, torch.nn.ConvTranspose2d(4, 8, (3, 2), **kwargs), [x])


CONV3D_CASES = [
    dict(),
    dict(stride=2, padding=1),
    dict(padding=(1, 0, 2), stride=(1, 2, 1), dilation=(2, 1, 1)),
    dict(groups=2, bias=False),
    dict(padding="same"),
    dict(padding="valid", groups=4),
    dict(padding=1, padding_mode="reflect"),
    dict(padding=(1, 2, 1), padding_mode="replicate", stride=2),
    dict(padding=1, padding_mode="circular", groups=2),
]


@pytest.mark.parametrize("kwargs", CONV3D_CASES, ids=str)
@pytest.mark.parametrize("kernel", [3, (2, 3, 1)], ids=["k3", "k2x3x1"])
def test_conv3d_layer_matches_torch(kwargs, kernel):
    x = _input((2, 4, 5, 6, 5))
    check_layer(tg.nn.Conv3d(4, 8, kernel, **kwargs), torch.nn.Conv3d(4, 8, kernel, **kwargs), [x])


def test_conv3d_layer_unbatched_and_channel_major_input():
    ours, theirs = tg.nn.Conv3d(3, 2, 2, padding=1), torch.nn.Conv3d(3, 2, 2, padding=1)
    check_layer(ours, theirs, [_input((3, 4, 3, 5))])
    x = np.ascontiguousarray(_input((2, 3, 4, 3, 5)).swapaxes(0, 1)).swapaxes(0, 1)
    check_layer(ours, theirs, [x], copy=False)
    check_layer(ours, theirs, [x[:, :, ::2, :, 1:]], copy=False)  # strided
    for mode in ("reflect", "replicate", "circular"):  # F.pad of unbatched 3-d input
        kwargs = dict(padding=(1, 2, 1), padding_mode=mode)
        check_layer(tg.nn.Conv3d(3, 2, 3, **kwargs), torch.nn.Conv3d(3, 2, 3, **kwargs), [x[0]])


CONV_T3D_CASES = [
    dict(),
    dict(stride=2),
    dict(stride=(2, 1, 3), padding=(1, 0, 1), output_padding=(1, 0, 2)),
    dict(dilation=(2, 1, 1), padding=1, output_padding=(1, 0, 0)),  # output_padding < dilation
    dict(groups=2, stride=2, bias=False),
]


@pytest.mark.parametrize("kwargs", CONV_T3D_CASES, ids=str)
def test_conv_transpose3d_layer_matches_torch(kwargs):
    x = _input((2, 4, 3, 4, 3))
    tg_layer = tg.nn.ConvTranspose3d(4, 6, (3, 2, 2), **kwargs)
    check_layer(tg_layer, torch.nn.ConvTranspose3d(4, 6, (3, 2, 2), **kwargs), [x])


def test_conv_transpose3d_unbatched_and_output_size():
    rng = np.random.default_rng(3)
    ours = tg.nn.ConvTranspose3d(2, 3, 3, stride=2, padding=1)
    theirs = torch.nn.ConvTranspose3d(2, 3, 3, stride=2, padding=1)
    check_layer(ours, theirs, [rng.standard_normal((2, 3, 2, 3))])
    for size in [(5, 3, 5), (6, 4, 5), (1, 3, 6, 3, 6)]:
        check_layer(
            ours,
            theirs,
            [rng.standard_normal((1, 2, 3, 2, 3))],
            forward=lambda layer, x, size=size: layer(x, output_size=size),
            copy=False,
        )
    with pytest.raises(ValueError, match=r"requested an output size of \[9, 3, 5\]"):
        ours(tg.randn(1, 2, 3, 2, 3), output_size=(9, 3, 5))


def test_conv3d_is_adjoint_to_conv_transpose3d():
    """<conv3d(x, w), y> = <x, conv_transpose3d(y, w)>."""
    rng = np.random.default_rng(1)
    x = tg.tensor(rng.standard_normal((2, 4, 5, 6, 5)))
    w = tg.tensor(rng.standard_normal((6, 2, 3, 2, 3)))
    kw = dict(stride=(2, 1, 2), padding=(1, 0, 1), dilation=(1, 2, 1), groups=2)
    out = tg.nn.functional.conv3d(x, w, **kw)
    y = tg.tensor(rng.standard_normal(out.shape))
    back = tg.nn.functional.conv_transpose3d(y, w, output_padding=(0, 0, 0), **kw)
    assert back.shape == x.shape
    np.testing.assert_allclose(float((out * y).sum()), float((x * back).sum()), rtol=1e-12)


def test_3d_paths_give_the_same_results_under_both_kernel_switches():
    """3-d windows under both switches: the pooling takes the NumPy code either way, and the
    input gradient's col2im (``fold3d`` with numba) adds the same terms in another order."""
    from tensorgrad import kernels

    x_np = _input((2, 3, 4, 5, 4)).astype(np.float32)
    w_np = _input((4, 3, 2, 3, 2), seed=1).astype(np.float32)
    results, before = [], kernels.current()
    try:
        for mode in ("numpy", "numba") if kernels.AVAILABLE else ("numpy",):
            kernels.use(mode)
            x, w = tg.tensor(x_np, requires_grad=True), tg.tensor(w_np, requires_grad=True)
            F = tg.nn.functional
            y = F.conv3d(x, w, padding=1)
            y = F.max_pool3d(y, 2, padding=1) + F.avg_pool3d(y, 3, 2, 1).sum()
            y.backward(tg.ones_like(y))
            results.append([y.detach().numpy(), x.grad.numpy(), w.grad.numpy()])
    finally:
        kernels.use(before)
    for a, b in zip(results[0], results[-1]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6 * np.abs(b).max())


def test_small_cnn_matches_torch():
    """Layers chained: images made by one layer (stored channel-major) feed the next, and
    gradients come back in each image's own layout."""

    def model(nn):
        return nn.Sequential(
            nn.Conv2d(3, 6, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(6, 8, 3, padding="same", groups=2),
            nn.AvgPool2d(3, stride=1, padding=1),
            nn.ConvTranspose2d(8, 4, 2, stride=2),
            nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True),
            nn.AdaptiveAvgPool2d((2, 3)),
        )

    x = _input((2, 3, 10, 9))
    check_layer(model(tg.nn), model(torch.nn), [x])


def test_conv_transpose2d_output_size_picks_output_padding():
    x = _input((1, 2, 4, 4))
    for size in [(7, 7), (8, 8), (1, 3, 8, 7)]:
        check_layer(
            tg.nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1),
            torch.nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1),
            [x],
            forward=lambda layer, x, size=size: layer(x, output_size=size),
        )
    with pytest.raises(
        ValueError,
        match=r"requested an output size of \[10, 10\], but valid sizes range from \[7, 7\] to "
        r"\[8, 8\]",
    ):
        tg.nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1)(tg.tensor(x), output_size=(10, 10))


def test_conv_transpose2d_is_the_input_gradient_of_conv2d():
    """<conv2d(x, w), y> = <x, conv_transpose2d(y, w)>: the two are adjoint."""
    rng = np.random.default_rng(0)
    x, w = (
        tg.tensor(rng.standard_normal((2, 3, 7, 6))),
        tg.tensor(rng.standard_normal((4, 3, 3, 2))),
    )
    kw = dict(stride=2, padding=1, dilation=(1, 2))
    y = tg.tensor(rng.standard_normal(tg.nn.functional.conv2d(x, w, **kw).shape))
    lhs = (tg.nn.functional.conv2d(x, w, **kw) * y).sum()
    back = tg.nn.functional.conv_transpose2d(y, w, output_padding=(0, 1), **kw)
    assert back.shape == x.shape
    np.testing.assert_allclose(float(lhs), float((x * back).sum()), rtol=1e-12)


def test_conv_double_backward_matches_torch():
    """A gradient penalty: d/dw of |d loss / dx|^2 goes through the gradient of the input
    gradient (a transposed convolution) and of the weight gradient."""
    rng = np.random.default_rng(0)
    x_np, w_np = rng.standard_normal((2, 3, 6, 6)), rng.standard_normal((4, 3, 3, 3))
    grads = []
    for lib in (tg, torch):
        x = lib.tensor(x_np, requires_grad=True)
        w = lib.tensor(w_np, requires_grad=True)
        out = lib.nn.functional.conv2d(x, w, stride=2, padding=1).tanh().sum()
        (gx,) = (tg.autograd if lib is tg else torch.autograd).grad(out, x, create_graph=True)
        (gx * gx).sum().backward()
        grads.append((w.grad.detach().numpy(), x.grad.detach().numpy()))
    for a, b in zip(*grads):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


# ------------------------------------------------------------------------- repr and attributes


@pytest.mark.parametrize(
    "make",
    [
        lambda nn: nn.Conv2d(3, 8, 3),
        lambda nn: nn.Conv2d(
            4,
            8,
            (3, 5),
            stride=2,
            padding=1,
            dilation=2,
            groups=2,
            bias=False,
            padding_mode="reflect",
        ),
        lambda nn: nn.Conv2d(3, 8, 3, padding="same"),
        lambda nn: nn.Conv1d(3, 8, 3, padding="valid"),
        lambda nn: nn.Conv1d(2, 4, 5, stride=3, padding=2),
        lambda nn: nn.ConvTranspose2d(4, 8, 3, stride=2, output_padding=1, groups=2),
        lambda nn: nn.ConvTranspose2d(4, 8, (2, 3), dilation=2, padding=(1, 0), bias=False),
        lambda nn: nn.Conv3d(3, 8, 3),
        lambda nn: nn.Conv3d(4, 8, (3, 1, 2), stride=(2, 1, 1), padding=1, groups=4),
        lambda nn: nn.Conv3d(2, 4, 3, padding="same", dilation=(1, 2, 1), padding_mode="reflect"),
        lambda nn: nn.ConvTranspose3d(4, 8, 3, stride=2, output_padding=1, groups=2),
        lambda nn: nn.ConvTranspose3d(2, 4, (2, 3, 1), dilation=2, padding=(1, 0, 0), bias=False),
    ],
)
def test_repr_attributes_and_state_dict_match_torch(make):
    a, b = make(tg.nn), make(torch.nn)
    assert repr(a) == repr(b)
    for name in (
        "in_channels",
        "out_channels",
        "kernel_size",
        "stride",
        "padding",
        "dilation",
        "transposed",
        "output_padding",
        "groups",
        "padding_mode",
    ):
        assert getattr(a, name) == getattr(b, name), name
    assert list(a._reversed_padding_repeated_twice) == list(b._reversed_padding_repeated_twice)
    sd_a, sd_b = a.state_dict(), b.state_dict()
    assert list(sd_a) == list(sd_b)
    assert [tuple(v.shape) for v in sd_a.values()] == [tuple(v.shape) for v in sd_b.values()]


@pytest.mark.parametrize(
    "make",
    [
        lambda: tg.nn.Conv2d(64, 96, (3, 5), groups=2),
        lambda: tg.nn.Conv1d(48, 200, 7),
        lambda: tg.nn.ConvTranspose2d(96, 64, 4, groups=2),
        lambda: tg.nn.Conv3d(32, 60, (3, 2, 3)),
        lambda: tg.nn.ConvTranspose3d(40, 48, 3, groups=2),
    ],
)
def test_default_init_is_pytorch_kaiming_uniform(make):
    """W and b ~ U(-b, b) with b = 1/sqrt(fan_in), fan_in = weight.shape[1] * kernel area."""
    layer = make()
    w = layer.weight.detach().numpy()
    bound = 1 / math.sqrt(w.shape[1] * math.prod(w.shape[2:]))
    assert w.min() >= -bound and w.max() <= bound
    assert abs(w.mean()) < 0.02 * bound
    assert abs(w.var() / (bound**2 / 3) - 1) < 0.03  # the variance of U(-b, b) is b^2 / 3
    b = layer.bias.detach().numpy()
    assert b.min() >= -bound and b.max() <= bound and b.std() > 0.3 * bound


def test_dtype_and_device_arguments():
    layer = tg.nn.Conv2d(2, 3, 2, dtype=tg.float64)
    assert layer.weight.dtype == tg.float64 and layer.bias.dtype == tg.float64
    assert layer(tg.randn(1, 2, 4, 4, dtype=tg.float64)).dtype == tg.float64


# ------------------------------------------------------------------------------------- errors


def test_wrong_channel_count_names_the_layer_and_shape():
    with pytest.raises(
        RuntimeError,
        match=r"Conv2d\(3, 8, kernel_size=\(3, 3\), stride=\(1, 1\)\): expected input with 3 "
        r"channels, got shape \(2, 4, 8, 8\)",
    ):
        tg.nn.Conv2d(3, 8, 3)(tg.randn(2, 4, 8, 8))
    with pytest.raises(RuntimeError, match=r"Conv1d\(3, 8.*3 channels, got shape \(2, 5, 8\)"):
        tg.nn.Conv1d(3, 8, 3)(tg.randn(2, 5, 8))
    with pytest.raises(RuntimeError, match=r"ConvTranspose2d\(4, 2.*4 channels.*\(1, 2, 3, 3\)"):
        tg.nn.ConvTranspose2d(4, 2, 3)(tg.randn(1, 2, 3, 3))


def test_wrong_rank_names_the_layer_and_shape():
    with pytest.raises(RuntimeError, match=r"Conv2d\(3, 8.*3-D \(unbatched\) or 4-D.*\(8, 8\)"):
        tg.nn.Conv2d(3, 8, 3)(tg.randn(8, 8))
    with pytest.raises(RuntimeError, match=r"conv2d: expected 3-D .* shape \(1, 1, 3, 4, 4\)"):
        tg.nn.functional.conv2d(tg.randn(1, 1, 3, 4, 4), tg.randn(2, 3, 3, 3))


def test_3d_errors_name_the_layer_and_shapes():
    F = tg.nn.functional
    with pytest.raises(RuntimeError, match=r"Conv3d\(3, 8.*4-D \(unbatched\) or 5-D.*\(2, 3, 8\)"):
        tg.nn.Conv3d(3, 8, 3)(tg.randn(2, 3, 8))
    with pytest.raises(
        RuntimeError, match=r"Conv3d\(3, 8.*3 channels, got shape \(1, 2, 4, 4, 4\)"
    ):
        tg.nn.Conv3d(3, 8, 3)(tg.randn(1, 2, 4, 4, 4))
    with pytest.raises(RuntimeError, match=r"conv3d: expected a 5-D weight, got .*\(2, 3, 3, 3\)"):
        F.conv3d(tg.randn(1, 3, 4, 4, 4), tg.randn(2, 3, 3, 3))
    with pytest.raises(RuntimeError, match=r"conv3d: padded input size \(2, 4, 4\) is smaller"):
        F.conv3d(tg.randn(1, 3, 2, 4, 4), tg.randn(2, 3, 3, 3, 3))
    with pytest.raises(ValueError, match=r"conv3d: stride must be an int or 3 ints"):
        F.conv3d(tg.randn(1, 3, 4, 4, 4), tg.randn(2, 3, 3, 3, 3), stride=(1, 2))
    with pytest.raises(RuntimeError, match=r"conv_transpose3d: .*output padding must be smaller"):
        F.conv_transpose3d(tg.randn(1, 2, 3, 3, 3), tg.randn(2, 2, 3, 3, 3), output_padding=1)
    with pytest.raises(RuntimeError, match=r"conv_transpose3d: weight of shape \(3, 2, 2, 2, 2\)"):
        F.conv_transpose3d(tg.randn(1, 2, 3, 3, 3), tg.randn(3, 2, 2, 2, 2))
    with pytest.raises(ValueError, match='Only "zeros" padding mode is supported'):
        tg.nn.ConvTranspose3d(3, 8, 3, padding_mode="circular")


def test_kernel_larger_than_padded_input():
    with pytest.raises(RuntimeError, match=r"padded input size \(4, 4\) is smaller than the "):
        tg.nn.Conv2d(3, 8, 5)(tg.randn(1, 3, 4, 4))
    tg.nn.Conv2d(3, 8, 5, padding=1)(tg.randn(1, 3, 4, 4))  # 6 x 6 padded: fits
    with pytest.raises(RuntimeError, match=r"dilated\) kernel size \(7,\)"):
        tg.nn.functional.conv1d(tg.randn(1, 1, 6), tg.randn(1, 1, 3), dilation=3)


def test_functional_argument_errors():
    F = tg.nn.functional
    x = tg.randn(1, 4, 5, 5)
    with pytest.raises(RuntimeError, match=r"groups=2 and weight of shape \(2, 3, 3, 3\), "):
        F.conv2d(x, tg.randn(2, 3, 3, 3), groups=2)
    with pytest.raises(RuntimeError, match=r"expected bias of shape \(2,\)"):
        F.conv2d(x, tg.randn(2, 4, 3, 3), tg.randn(3))
    with pytest.raises(RuntimeError, match=r"input dtype tensorgrad.float32 and weight dtype"):
        F.conv2d(x, tg.randn(2, 4, 3, 3, dtype=tg.float64))
    with pytest.raises(ValueError, match="not supported for strided convolutions"):
        F.conv2d(x, tg.randn(2, 4, 3, 3), stride=2, padding="same")
    with pytest.raises(RuntimeError, match="stride must be positive"):
        F.conv2d(x, tg.randn(2, 4, 3, 3), stride=0)
    with pytest.raises(RuntimeError, match="output padding must be smaller than either stride"):
        F.conv_transpose2d(x, tg.randn(4, 2, 3, 3), stride=2, output_padding=2)


def test_constructor_errors_match_torch():
    for kwargs, match in [
        (dict(groups=2), "in_channels must be divisible by groups"),
        (dict(padding="foo"), "Invalid padding string 'foo'"),
        (dict(padding="same", stride=2), "padding='same' is not supported for strided"),
        (dict(padding_mode="foo"), "padding_mode must be one of"),
        (dict(groups=0), "groups must be a positive integer"),
    ]:
        with pytest.raises(ValueError, match=match):
            tg.nn.Conv2d(3, 8, 3, **kwargs)
    with pytest.raises(ValueError, match="out_channels must be divisible by groups"):
        tg.nn.Conv2d(4, 6, 3, groups=4)
    with pytest.raises(ValueError, match='Only "zeros" padding mode is supported'):
        tg.nn.ConvTranspose2d(3, 8, 3, padding_mode="reflect")


def test_unfold_of_an_empty_batch_has_torchs_shape():
    import torch

    x = np.zeros((0, 3, 5, 5), np.float32)
    mine = tg.nn.functional.unfold(tg.tensor(x), 3, padding=1)
    theirs = torch.nn.functional.unfold(torch.from_numpy(x), 3, padding=1)
    assert mine.shape == tuple(theirs.shape) == (0, 27, 25)


# ---------------------------------------------------------------------- ConvTranspose1d


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"stride": 2, "padding": 1, "output_padding": 1},
        {"groups": 2, "dilation": 2, "bias": False},
    ],
)
def test_conv_transpose1d_layer_matches_torch(kwargs):
    rng = np.random.default_rng(0)
    ours, theirs = (
        tg.nn.ConvTranspose1d(4, 6, 3, **kwargs),
        torch.nn.ConvTranspose1d(4, 6, 3, **kwargs),
    )
    check_layer(ours, theirs, [rng.standard_normal((2, 4, 5))])
    check_layer(ours, theirs, [rng.standard_normal((4, 5))], copy=False)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert ours.weight.shape == tuple(theirs.weight.shape)


def test_conv_transpose1d_output_size_and_errors():
    rng = np.random.default_rng(1)
    ours, theirs = (
        tg.nn.ConvTranspose1d(2, 3, 3, stride=3),
        torch.nn.ConvTranspose1d(2, 3, 3, stride=3),
    )
    for size in ([14], [2, 3, 13]):
        check_layer(
            ours,
            theirs,
            [rng.standard_normal((2, 2, 4))],
            forward=lambda layer, x, size=size: layer(x, output_size=size),
        )
    with pytest.raises(ValueError, match="valid sizes range from"):
        ours(tg.randn(2, 2, 4), output_size=[20])
    with pytest.raises(
        RuntimeError, match=r"expected input with 2 channels, got shape \(2, 3, 4\)"
    ):
        ours(tg.randn(2, 3, 4))
    with pytest.raises(RuntimeError, match=r"conv_transpose1d: expected 2-D .* \(2, 2, 4, 4\)"):
        tg.nn.functional.conv_transpose1d(tg.randn(2, 2, 4, 4), tg.randn(2, 3, 3))
    # the 1-d call's own name and 1-d values in every message (it used to report the 2-d
    # convolution it ran on images of height 1)
    x, w = tg.randn(1, 2, 5), tg.randn(2, 3, 3)
    for kwargs, message in (
        (dict(stride=2, output_padding=2), r"conv_transpose1d: output padding .*=\(2,\), stride"),
        (dict(stride=0), r"conv_transpose1d: stride must be positive, got stride=\(0,\)"),
        (dict(groups=3), r"conv_transpose1d: .* \(shape \(2, 3, 3\)\) are not divisible"),
    ):
        with pytest.raises((RuntimeError, ValueError), match=message):
            tg.nn.functional.conv_transpose1d(x, w, **kwargs)
