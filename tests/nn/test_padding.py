"""The padding layers (tensorgrad/nn/padding.py) against PyTorch's: outputs and gradients
through ``check_layer``, ``repr`` and attributes, and the rank rules of the non-constant modes.
``pad`` itself is in the op table of tests/nn/test_functional.py."""

import numpy as np
import pytest

import tensorgrad as tg
from tests.nn.layer_harness import check_layer

torch = pytest.importorskip("torch")

LAYERS = [
    ("ZeroPad1d", (2,), (2, 3, 4)),
    ("ZeroPad1d", ((1, -1),), (3, 4)),  # a negative width crops
    ("ZeroPad2d", ((1, 2, 0, 3),), (2, 3, 4, 5)),
    ("ZeroPad3d", (1,), (1, 2, 2, 3, 2)),
    ("ConstantPad1d", (2, 3.5), (3, 4)),
    ("ConstantPad2d", ((1, 0, 2, 1), -1.0), (2, 3, 4)),
    ("ConstantPad3d", ((1, 0, 0, 1, 2, 0), 0.5), (2, 2, 3, 2)),
    ("ReflectionPad1d", (2,), (2, 3, 4)),
    ("ReflectionPad1d", ((3, 1),), (3, 5)),
    ("ReflectionPad2d", ((1, 2, 2, 0),), (2, 3, 4, 5)),
    ("ReflectionPad3d", (1,), (1, 2, 3, 3, 2)),
    ("ReplicationPad1d", ((4, 1),), (2, 3, 4)),
    ("ReplicationPad2d", (2,), (3, 4, 3)),
    ("ReplicationPad3d", ((1, 0, 2, 1, 0, 1),), (2, 2, 2, 3)),
    ("CircularPad1d", ((2, 1),), (2, 3, 4)),
    ("CircularPad2d", ((1, 2, 3, 0),), (2, 3, 4, 5)),
    ("CircularPad3d", (1,), (1, 2, 2, 3, 2)),
]


@pytest.mark.parametrize("name, args, shape", LAYERS, ids=lambda v: str(v))
def test_layer_matches_torch(name, args, shape):
    x = np.random.default_rng(0).standard_normal(shape)
    a, b = getattr(tg.nn, name)(*args), getattr(torch.nn, name)(*args)
    check_layer(a, b, [x])
    assert repr(a) == repr(b)
    assert a.padding == b.padding
    assert getattr(a, "value", None) == getattr(b, "value", None)
    assert a.state_dict() == {}


@pytest.mark.parametrize(
    "layer, shape",
    [
        (lambda nn: nn.ReflectionPad2d(1), (2, 3)),
        (lambda nn: nn.ReflectionPad1d(1), (2, 3, 4, 5)),
        (lambda nn: nn.ReplicationPad1d(1), (3,)),
        (lambda nn: nn.ReplicationPad3d(1), (2, 3, 4)),
    ],
)
def test_non_constant_padding_of_the_wrong_rank_raises_as_torch(layer, shape):
    with pytest.raises(NotImplementedError):
        layer(torch.nn)(torch.zeros(shape))
    with pytest.raises(NotImplementedError, match=rf"{len(shape)}D input tensor of shape"):
        layer(tg.nn)(tg.zeros(shape))


def test_circular_layer_checks_the_rank_as_torch():
    with pytest.raises(ValueError, match="expected 3D or 4D input"):
        torch.nn.CircularPad2d(1)(torch.zeros(3, 4))
    with pytest.raises(ValueError, match=r"CircularPad2d: expected 3D or 4D input \(got 2D"):
        tg.nn.CircularPad2d(1)(tg.zeros(3, 4))


def test_reflection_wider_than_the_input_raises():
    with pytest.raises(ValueError, match=r"reflect padding \(3, 3\) must be < dimension size 3"):
        tg.nn.ReflectionPad1d(3)(tg.zeros(1, 2, 3))
