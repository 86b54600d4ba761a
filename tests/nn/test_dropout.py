"""Dropout: identity in eval, inverted scaling in training, about p of the elements zeroed."""

import numpy as np
import pytest

import tensorgrad as tg
from tests.nn.layer_harness import check_layer

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("p", [0.0, 0.2, 0.5, 0.9, 1.0])
def test_eval_is_identity_and_matches_torch(p):
    x = np.random.default_rng(0).standard_normal((4, 5, 3))
    (out,), _ = check_layer(tg.nn.Dropout(p), torch.nn.Dropout(p), [x], train=False)
    np.testing.assert_array_equal(out.detach().numpy(), x)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_train_zeroes_about_p_and_scales_the_rest(p):
    n = 200_000
    layer = tg.nn.Dropout(p)
    assert layer.training
    # (not default_rng(0): tg.manual_seed(0) draws that very stream, and the mask would
    # be correlated with x)
    x = tg.tensor(np.random.default_rng(12).uniform(1.0, 2.0, n), requires_grad=True)
    out = layer(x)
    y = out.detach().numpy()
    kept = y != 0
    # the zeroed fraction is Binomial(n, p) / n: 5 standard errors
    assert abs((1 - kept.mean()) - p) < 5 * np.sqrt(p * (1 - p) / n)
    np.testing.assert_allclose(y[kept], x.detach().numpy()[kept] / (1 - p), rtol=1e-12)
    # the expectation is kept: E[out] = x
    assert abs(y.mean() / x.detach().numpy().mean() - 1) < 0.02
    # the gradient goes through the same mask with the same scale
    g = np.random.default_rng(1).standard_normal(n)
    out.backward(tg.tensor(g))
    np.testing.assert_allclose(x.grad.numpy(), np.where(kept, g / (1 - p), 0.0), rtol=1e-12)


def test_train_draws_a_new_mask_each_call_and_follows_the_seed():
    layer = tg.nn.Dropout(0.5)
    x = tg.ones(1000)
    a, b = layer(x).numpy(), layer(x).numpy()
    assert not np.array_equal(a, b)
    tg.manual_seed(3)
    c = layer(x).numpy()
    tg.manual_seed(3)
    np.testing.assert_array_equal(layer(x).numpy(), c)


def test_train_p0_is_identity_and_p1_zeroes_everything():
    x = tg.randn(50, 4)
    np.testing.assert_array_equal(tg.nn.Dropout(0.0)(x).numpy(), x.numpy())
    np.testing.assert_array_equal(tg.nn.Dropout(1.0)(x).numpy(), np.zeros((50, 4)))


def test_train_eval_switch_follows_the_parent_module():
    model = tg.nn.Sequential(tg.nn.Linear(4, 4), tg.nn.Dropout(0.5))
    x = tg.randn(8, 4)
    model.eval()
    assert not model[1].training
    np.testing.assert_array_equal(model(x).detach().numpy(), model(x).detach().numpy())
    model.train()
    assert model[1].training
    assert not np.array_equal(model(x).detach().numpy(), model(x).detach().numpy())


def test_dtype_is_kept():
    for dtype in (tg.float16, tg.float32, tg.float64):
        assert tg.nn.Dropout(0.3)(tg.ones(10, dtype=dtype)).dtype == dtype


@pytest.mark.parametrize("kwargs", [{}, {"p": 0.25}, {"p": 0.1, "inplace": True}])
def test_repr_matches_torch(kwargs):
    assert repr(tg.nn.Dropout(**kwargs)) == repr(torch.nn.Dropout(**kwargs))
    assert list(tg.nn.Dropout(**kwargs).state_dict()) == []


@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_bad_probability_raises_as_torch(p):
    with pytest.raises(ValueError, match="between 0 and 1"):
        torch.nn.Dropout(p)
    with pytest.raises(ValueError, match=f"between 0 and 1, but got {p}"):
        tg.nn.Dropout(p)
