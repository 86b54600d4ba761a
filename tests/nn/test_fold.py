"""The ``Fold`` and ``Unfold`` layers (tensorgrad/nn/fold.py) against PyTorch's; the functions
are in the op table of tests/nn/test_conv.py."""

import numpy as np
import pytest

import tensorgrad as tg
from tests.nn.layer_harness import check_layer

torch = pytest.importorskip("torch")


@pytest.mark.parametrize(
    "make, shape",
    [
        (lambda nn: nn.Unfold(2), (2, 3, 4, 5)),
        (lambda nn: nn.Unfold((2, 3), dilation=(1, 2), padding=1, stride=2), (1, 2, 5, 6)),
        (lambda nn: nn.Fold((4, 5), 2), (2, 12, 12)),
        (lambda nn: nn.Fold(5, (2, 3), padding=1, stride=2), (1, 6, 9)),
    ],
)
def test_layers_match_torch(make, shape):
    a, b = make(tg.nn), make(torch.nn)
    check_layer(a, b, [np.random.default_rng(0).standard_normal(shape)])
    assert repr(a) == repr(b)
    assert a.state_dict() == {}
