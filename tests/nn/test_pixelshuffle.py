"""pixel_shuffle, pixel_unshuffle and channel_shuffle (tensorgrad/nn/pixelshuffle.py) against
PyTorch: an op table (reshape/permute compositions, so gradcheck and PyTorch's gradients of
every order), the layers, and the errors naming the shapes."""

import numpy as np
import pytest

import tensorgrad as tg
from tests.nn.layer_harness import check_layer
from tests.op_harness import OpSpec, make_tests

torch = pytest.importorskip("torch")


def fn_(name, *args):
    return lambda lib, x: getattr(lib.nn.functional, name)(x, *args)


OPS = [
    OpSpec(
        "nn.functional.pixel_shuffle",
        fn_("pixel_shuffle", 2),
        [((2, 8, 2, 3),), ((4, 3, 2),), ((2, 1, 4, 2, 1),)],
    ),
    OpSpec("nn.functional.pixel_shuffle", fn_("pixel_shuffle", 3), [((1, 9, 2, 2),)]),
    OpSpec(
        "nn.functional.pixel_unshuffle",
        fn_("pixel_unshuffle", 2),
        [((2, 2, 4, 6),), ((3, 2, 4),), ((2, 1, 1, 4, 2),)],
    ),
    OpSpec(
        "nn.functional.channel_shuffle",
        fn_("channel_shuffle", 3),
        [((2, 6, 2),), ((1, 6, 2, 3),), ((2, 3, 1, 2, 2),)],
    ),
]

test_matches_torch, test_gradcheck, test_matches_torch_bfloat16 = make_tests(OPS)


def test_pixel_unshuffle_inverts_pixel_shuffle():
    x = tg.randn(2, 12, 3, 4)
    y = tg.nn.functional.pixel_shuffle(x, 2)
    assert y.shape == (2, 3, 6, 8)
    np.testing.assert_array_equal(tg.nn.functional.pixel_unshuffle(y, 2).numpy(), x.numpy())


@pytest.mark.parametrize(
    "make, shape",
    [
        (lambda nn: nn.PixelShuffle(2), (2, 8, 3, 2)),
        (lambda nn: nn.PixelUnshuffle(3), (1, 2, 6, 3)),
        (lambda nn: nn.ChannelShuffle(2), (2, 4, 3, 3)),
    ],
)
def test_layers_match_torch(make, shape):
    a, b = make(tg.nn), make(torch.nn)
    check_layer(a, b, [np.random.default_rng(0).standard_normal(shape)])
    assert repr(a) == repr(b)
    assert a.state_dict() == {}


@pytest.mark.parametrize(
    "call, match",
    [
        (
            lambda F: F.pixel_shuffle(tg.randn(2, 3, 4), 2),
            r"input.size\(-3\)=2 is not divisible by 4",
        ),
        (lambda F: F.pixel_shuffle(tg.randn(3, 4), 2), r"at least 3 dimensions.*\(3, 4\)"),
        (lambda F: F.pixel_shuffle(tg.randn(1, 4, 3, 3), 0), "positive upscale_factor, but got 0"),
        (lambda F: F.pixel_unshuffle(tg.randn(1, 4, 3, 4), 2), r"height.*size\(-2\)=3"),
        (lambda F: F.pixel_unshuffle(tg.randn(1, 4, 4, 3), 2), r"width.*size\(-1\)=3"),
        (lambda F: F.channel_shuffle(tg.randn(1, 4, 4, 3), 3), "Got 4 channels and 3 groups"),
        (lambda F: F.channel_shuffle(tg.randn(2, 4), 2), r"> 2 dims.*\(2, 4\)"),
        (lambda F: F.channel_shuffle(tg.randn(2, 4, 3), 0), "must be positive, got 0"),
    ],
)
def test_errors_name_the_shapes(call, match):
    with pytest.raises(RuntimeError, match=match):
        call(tg.nn.functional)
