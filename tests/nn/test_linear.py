"""Linear and Identity against PyTorch (weights copied through load_state_dict)."""

import numpy as np
import pytest

import tensorgrad as tg
from tests.nn.layer_harness import check_layer

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(4, 5), (5,), (2, 3, 5)])
def test_linear_matches_torch(bias, shape):
    x = np.random.default_rng(0).standard_normal(shape)
    check_layer(tg.nn.Linear(5, 3, bias=bias), torch.nn.Linear(5, 3, bias=bias), [x])


def test_linear_wrong_feature_size_names_layer_and_shape():
    with pytest.raises(RuntimeError, match=r"Linear\(in_features=5.*\(4, 6\)"):
        tg.nn.Linear(5, 3)(tg.randn(4, 6))


def test_linear_default_init_is_pytorch_uniform():
    layer = tg.nn.Linear(400, 300)
    bound = 1 / np.sqrt(400)
    w = layer.weight.detach().numpy()
    assert w.min() >= -bound and w.max() <= bound
    # U(-b, b): mean 0, variance b^2 / 3
    assert abs(w.mean()) < 0.01 * bound
    assert abs(w.var() / (bound**2 / 3) - 1) < 0.02
    b = layer.bias.detach().numpy()
    assert b.min() >= -bound and b.max() <= bound


def test_identity_returns_input():
    x = tg.randn(3)
    assert tg.nn.Identity(54, unused="x")(x) is x


def test_seed_example_model_builds_and_runs():
    model = tg.nn.Sequential(tg.nn.Linear(20, 64), tg.nn.ReLU(), tg.nn.Linear(64, 5))
    out = model(tg.randn(32, 20))
    assert out.shape == (32, 5)
    assert repr(model) == repr(
        torch.nn.Sequential(torch.nn.Linear(20, 64), torch.nn.ReLU(), torch.nn.Linear(64, 5))
    )
