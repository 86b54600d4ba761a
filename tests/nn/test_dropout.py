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


# ------------------------------------------------------------- channel-wise and alpha dropout

F = tg.nn.functional


@pytest.mark.parametrize(
    "fn, shape",
    [
        ("dropout1d", (40, 50, 3)),
        ("dropout1d", (2000, 3)),  # unbatched (C, L)
        ("dropout2d", (40, 50, 2, 3)),
        ("dropout3d", (40, 50, 2, 1, 2)),
        ("dropout3d", (2000, 2, 1, 2)),  # unbatched (C, D, H, W)
    ],
)
@pytest.mark.parametrize("p", [0.2, 0.7])
def test_channel_dropout_zeroes_whole_channels_about_p_and_scales_the_rest(fn, shape, p):
    x = tg.tensor(np.random.default_rng(12).uniform(1.0, 2.0, shape), requires_grad=True)
    out = getattr(F, fn)(x, p)
    y = out.detach().numpy()
    unbatched = (fn, len(shape)) in (("dropout1d", 2), ("dropout3d", 4))
    channels = y.reshape(shape[0] if unbatched else shape[0] * shape[1], -1)
    kept = channels != 0
    # each channel is kept or dropped whole
    assert np.all(kept.all(1) | ~kept.any(1))
    n = channels.shape[0]
    assert abs((1 - kept[:, 0].mean()) - p) < 5 * np.sqrt(p * (1 - p) / n)
    mask = y != 0
    np.testing.assert_allclose(y[mask], x.detach().numpy()[mask] / (1 - p), rtol=1e-12)
    g = np.random.default_rng(1).standard_normal(shape)
    out.backward(tg.tensor(g))
    np.testing.assert_allclose(x.grad.numpy(), np.where(mask, g / (1 - p), 0.0), rtol=1e-12)


@pytest.mark.parametrize(
    "name, shape",
    [("Dropout1d", (2, 3, 4)), ("Dropout2d", (2, 3, 4, 5)), ("Dropout3d", (2, 3, 2, 2, 2))],
)
@pytest.mark.parametrize("p", [0.0, 0.5, 1.0])
def test_channel_dropout_layers_eval_identity_repr_and_extremes(name, shape, p):
    x = np.random.default_rng(0).standard_normal(shape)
    a, b = getattr(tg.nn, name)(p), getattr(torch.nn, name)(p)
    assert repr(a) == repr(b)
    (out,), _ = check_layer(a, b, [x], train=False)
    np.testing.assert_array_equal(out.detach().numpy(), x)
    a.train()
    y = a(tg.tensor(x)).numpy()
    if p == 0.0:
        np.testing.assert_array_equal(y, x)
    if p == 1.0:
        np.testing.assert_array_equal(y, np.zeros(shape))


def test_channel_dropout_follows_the_seed():
    x = tg.ones(8, 16, 3, 3)
    tg.manual_seed(5)
    a = F.dropout2d(x).numpy()
    tg.manual_seed(5)
    np.testing.assert_array_equal(F.dropout2d(x).numpy(), a)


def test_channel_dropout_rank_rules_and_warnings_as_torch():
    with pytest.raises(RuntimeError, match=r"dropout1d: Expected 2D or 3D input.*\(4,\)"):
        F.dropout1d(tg.ones(4))
    with pytest.raises(RuntimeError, match=r"dropout1d: Expected 2D or 3D input.*4D"):
        tg.nn.Dropout1d()(tg.ones(2, 3, 4, 5))
    with pytest.warns(UserWarning, match="Received a 3D input to dropout2d"):
        y = F.dropout2d(tg.ones(4, 6, 5), 0.5)  # read as (N, C, L), as PyTorch
    assert np.all((y.numpy() == 0).all(-1) | (y.numpy() != 0).all(-1))
    with pytest.warns(UserWarning, match="Received a 5-D input to dropout2d"):
        F.dropout2d(tg.ones(2, 3, 2, 2, 2), 0.5)
    with pytest.warns(UserWarning, match="Received a 3-D input to dropout3d"):
        F.dropout3d(tg.ones(2, 3, 2), 0.5)
    with pytest.warns(UserWarning), pytest.raises(RuntimeError, match="at least 2 dimensions"):
        F.dropout2d(tg.ones(3), 0.5)
    with pytest.raises(ValueError, match="between 0 and 1, but got 1.5"):
        F.dropout2d(tg.ones(2, 3, 4, 4), 1.5)
    with pytest.raises(ValueError, match="between 0 and 1, but got -0.1"):
        tg.nn.Dropout3d(-0.1)


@pytest.mark.parametrize("feature", [False, True])
@pytest.mark.parametrize("p", [0.2, 0.5])
def test_alpha_dropout_keeps_mean_and_variance_and_has_two_values_per_input(feature, p):
    shape = (400, 250, 2) if feature else (200_000,)
    fn = F.feature_alpha_dropout if feature else F.alpha_dropout
    x = tg.tensor(np.random.default_rng(7).standard_normal(shape), requires_grad=True)
    out = fn(x, p, training=True)
    y = out.detach().numpy()
    assert abs(y.mean()) < 0.02 and abs(y.std() - 1) < 0.02
    alpha = 1.7580993408473766
    a = ((1 - p) * (1 + p * alpha**2)) ** -0.5
    dropped = np.isclose(y, -a * alpha * (1 - p))
    kept_x = x.detach().numpy()[~dropped]
    np.testing.assert_allclose(y[~dropped], a * kept_x + a * alpha * p, rtol=1e-10)
    if feature:  # whole channels
        assert np.all(dropped.all(-1) | ~dropped.any(-1))
    g = np.random.default_rng(1).standard_normal(shape)
    out.backward(tg.tensor(g))
    np.testing.assert_allclose(x.grad.numpy(), np.where(dropped, 0.0, a * g), rtol=1e-12)


@pytest.mark.parametrize("name", ["AlphaDropout", "FeatureAlphaDropout"])
def test_alpha_dropout_layers_eval_identity_defaults_and_repr(name):
    x = np.random.default_rng(0).standard_normal((3, 4, 2))
    a, b = getattr(tg.nn, name)(0.3), getattr(torch.nn, name)(0.3)
    assert repr(a) == repr(b)
    (out,), _ = check_layer(a, b, [x], train=False)
    np.testing.assert_array_equal(out.detach().numpy(), x)
    # the functions default to training=False, as PyTorch's
    fn = F.alpha_dropout if name == "AlphaDropout" else F.feature_alpha_dropout
    np.testing.assert_array_equal(fn(tg.tensor(x), 0.5).numpy(), x)
    np.testing.assert_array_equal(fn(tg.tensor(x), 1.0, True).numpy(), np.zeros_like(x))
