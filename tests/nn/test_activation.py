"""Activation modules against PyTorch: values, input gradients and repr."""

import numpy as np
import pytest

import tensorgrad as tg
from tests.nn.layer_harness import check_layer

torch = pytest.importorskip("torch")

# (name, constructor args, constructor kwargs)
CASES = [
    ("ReLU", (), {}),
    ("ReLU", (), {"inplace": True}),
    ("Tanh", (), {}),
    ("Sigmoid", (), {}),
    ("GELU", (), {}),
    ("GELU", (), {"approximate": "tanh"}),
    ("GELU", ("none",), {}),
    ("SiLU", (), {}),
    ("LeakyReLU", (), {}),
    ("LeakyReLU", (0.2,), {}),
    ("LeakyReLU", (), {"negative_slope": 0.3, "inplace": True}),
    ("Softplus", (), {}),
    ("Softplus", (2.0,), {}),
    ("Softplus", (), {"beta": 0.5, "threshold": 3.0}),
    ("ELU", (), {}),
    ("ELU", (0.5,), {}),
    ("ELU", (), {"alpha": 2.0, "inplace": True}),
    ("Softmax", (), {"dim": 1}),
    ("Softmax", (-1,), {}),
    ("Softmax", (0,), {}),
    ("LogSoftmax", (), {"dim": 1}),
    ("LogSoftmax", (-1,), {}),
    ("LogSoftmax", (0,), {}),
]
IDS = [f"{n}{a}{k}" for n, a, k in CASES]
SHAPES = [(4, 5), (2, 3, 4), (6,)]


def _input(shape, seed=0):
    # away from relu's kink at 0; wide enough to cross the Softplus thresholds
    x = np.random.default_rng(seed).standard_normal(shape) * 3
    return np.sign(x) * (np.abs(x) + 0.05)


def _layers(name, args, kwargs):
    """inplace layers are checked out of place in PyTorch (an in-place op on a leaf that
    requires grad is an error there); tensorgrad's activations never write to their input."""
    th_kwargs = {k: v for k, v in kwargs.items() if k != "inplace"}
    return getattr(tg.nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **th_kwargs)


@pytest.mark.parametrize("name, args, kwargs", CASES, ids=IDS)
@pytest.mark.parametrize("shape", SHAPES)
def test_activation_matches_torch(name, args, kwargs, shape):
    dim = args[0] if args else kwargs.get("dim")
    if name in ("Softmax", "LogSoftmax") and dim == 1 and len(shape) < 2:
        pytest.skip("dim 1 needs two dimensions")
    tg_layer, th_layer = _layers(name, args, kwargs)
    check_layer(tg_layer, th_layer, [_input(shape)])


@pytest.mark.parametrize("name, args, kwargs", CASES, ids=IDS)
def test_activation_repr_matches_torch(name, args, kwargs):
    assert repr(getattr(tg.nn, name)(*args, **kwargs)) == repr(
        getattr(torch.nn, name)(*args, **kwargs)
    )


@pytest.mark.parametrize("name", ["Softmax", "LogSoftmax"])
@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 4), (2, 3, 4, 5)])
def test_softmax_without_dim_uses_torch_implicit_dim(name, shape):
    tg_layer, th_layer = getattr(tg.nn, name)(), getattr(torch.nn, name)()
    assert repr(tg_layer) == repr(th_layer) == f"{name}(dim=None)"
    with pytest.warns(UserWarning):  # PyTorch warns that the implicit choice is deprecated
        check_layer(tg_layer, th_layer, [_input(shape)])


def test_activations_have_no_state():
    for name, args, kwargs in CASES:
        layer = getattr(tg.nn, name)(*args, **kwargs)
        assert list(layer.parameters()) == [] and list(layer.state_dict()) == []


def test_activations_float32_match_torch():
    x = _input((3, 7)).astype(np.float32)
    for name, args, kwargs in CASES:
        tg_layer, th_layer = _layers(name, args, kwargs)
        out = tg_layer(tg.tensor(x))
        assert out.dtype == tg.float32
        np.testing.assert_allclose(
            out.numpy(), th_layer(torch.tensor(x)).numpy(), rtol=1e-5, atol=1e-6, err_msg=name
        )


def test_activation_in_sequential_repr():
    tg_model = tg.nn.Sequential(tg.nn.Linear(3, 4), tg.nn.GELU("tanh"), tg.nn.Softmax(-1))
    th_model = torch.nn.Sequential(
        torch.nn.Linear(3, 4), torch.nn.GELU("tanh"), torch.nn.Softmax(-1)
    )
    assert repr(tg_model) == repr(th_model)
