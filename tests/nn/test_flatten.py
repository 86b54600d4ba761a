"""Flatten and Unflatten against PyTorch."""

import numpy as np
import pytest

import tensorgrad as tg
from tests.nn.layer_harness import check_layer

torch = pytest.importorskip("torch")


@pytest.mark.parametrize(
    "shape, args",
    [
        ((4, 2, 3, 5), ()),
        ((4, 2, 3, 5), (0, 2)),
        ((4, 2, 3, 5), (-3, -2)),
        ((4, 2, 3, 5), (2, 2)),
        ((4, 2, 3, 5), (0, -1)),
        ((4, 6), ()),
        ((7,), (0,)),
        ((0, 3, 4), ()),
    ],
)
def test_flatten_matches_torch(shape, args):
    x = np.random.default_rng(0).standard_normal(shape)
    (out,), _ = check_layer(tg.nn.Flatten(*args), torch.nn.Flatten(*args), [x])
    assert out.shape == tuple(torch.nn.Flatten(*args)(torch.tensor(x)).shape)


def test_flatten_non_contiguous_input():
    x = np.random.default_rng(0).standard_normal((3, 4, 5)).transpose(2, 0, 1)
    check_layer(tg.nn.Flatten(), torch.nn.Flatten(), [x])


@pytest.mark.parametrize(
    "shape, dim, size",
    [
        ((4, 50), 1, (2, 5, 5)),
        ((4, 50), -1, [5, 10]),
        ((6, 3), 0, (2, -1)),
        ((2, 12, 3), 1, (3, 2, 2)),
        ((2, 12, 3), 1, (12,)),
    ],
)
def test_unflatten_matches_torch(shape, dim, size):
    x = np.random.default_rng(0).standard_normal(shape)
    check_layer(tg.nn.Unflatten(dim, size), torch.nn.Unflatten(dim, size), [x])


def test_flatten_then_unflatten_round_trips_in_sequential():
    model = tg.nn.Sequential(tg.nn.Flatten(), tg.nn.Unflatten(1, (3, 2, 2)))
    x = tg.randn(5, 3, 2, 2)
    np.testing.assert_array_equal(model(x).numpy(), x.numpy())


@pytest.mark.parametrize(
    "tg_layer, th_layer",
    [
        (tg.nn.Flatten(), torch.nn.Flatten()),
        (tg.nn.Flatten(0, 2), torch.nn.Flatten(0, 2)),
        (tg.nn.Unflatten(1, (2, 5, 5)), torch.nn.Unflatten(1, (2, 5, 5))),
        (tg.nn.Unflatten(-1, [4, -1]), torch.nn.Unflatten(-1, [4, -1])),
    ],
)
def test_repr_matches_torch(tg_layer, th_layer):
    assert repr(tg_layer) == repr(th_layer)
    assert list(tg_layer.state_dict()) == []


def test_bad_arguments_raise_as_torch():
    for bad in (5, (2, 2.5), "ab"):
        with pytest.raises(TypeError, match="unflattened_size must be"):
            torch.nn.Unflatten(1, bad)
        with pytest.raises(TypeError, match="unflattened_size must be"):
            tg.nn.Unflatten(1, bad)
    with pytest.raises(RuntimeError, match=r"unflatten.*\(4, 4\)"):
        tg.nn.Unflatten(1, (4, 4))(tg.randn(2, 6))
    with pytest.raises(IndexError, match="Dimension out of range"):
        tg.nn.Flatten(3)(tg.randn(2, 6))
    with pytest.raises(RuntimeError, match="start_dim"):
        tg.nn.Flatten(2, 1)(tg.randn(2, 3, 4))
    # a 0-d input counts as 1-d: dims 0 and -1 flatten it to (1,), dim 1 is out of range
    assert tg.nn.Flatten(0)(tg.tensor(2.0)).shape == (1,)
    with pytest.raises(IndexError, match="Dimension out of range"):
        tg.nn.Flatten()(tg.tensor(2.0))
