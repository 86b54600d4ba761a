"""tensorgrad.distributions against torch.distributions: the same parameters (random, of
broadcasting shapes) give the same log_prob, entropy, cdf and moments to float32 precision,
and the same gradients with respect to the parameters under a random upstream gradient.
Samples cannot equal PyTorch's (another bit generator): their shapes, support and statistics
are checked instead."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.distributions import Bernoulli, Categorical, Distribution, Normal, Uniform

torch = pytest.importorskip("torch")

DTYPES = [(np.float32, 2e-5), (np.float64, 1e-10)]


def _compare(build, params: list[np.ndarray], dtype, tol):
    """``build(lib, dist_module, *params)`` returns ``{name: tensor}`` in each library; compare
    the values, then the gradient of sum(out * r) w.r.t. every parameter for each output."""
    outs = {}
    leaves = {}
    for name, lib, mod in [("tg", tg, tg.distributions), ("torch", torch, torch.distributions)]:
        leaves[name] = [
            lib.tensor(p.astype(dtype), requires_grad=np.issubdtype(p.dtype, np.floating))
            for p in params
        ]
        outs[name] = build(lib, mod, *leaves[name])
    rng = np.random.default_rng(1)
    for key, ours in outs["tg"].items():
        ref = outs["torch"][key]
        assert tuple(ours.shape) == tuple(ref.shape), key
        assert str(ours.dtype).split(".")[-1] == str(ref.dtype).split(".")[-1], key
        np.testing.assert_allclose(
            ours.detach().numpy(), ref.detach().numpy(), rtol=tol, atol=tol, err_msg=key
        )
        if not ref.requires_grad:
            continue
        r = rng.standard_normal(tuple(ref.shape)).astype(dtype)
        diff = [i for i, t in enumerate(leaves["torch"]) if t.requires_grad]
        g_ref = torch.autograd.grad(
            (ref * torch.tensor(r)).sum(),
            [leaves["torch"][i] for i in diff],
            retain_graph=True,
            allow_unused=True,
        )
        g_ours = tg.autograd.grad(
            (ours * tg.tensor(r)).sum(),
            [leaves["tg"][i] for i in diff],
            retain_graph=True,
            allow_unused=True,
        )
        for i, a, b in zip(diff, g_ours, g_ref):
            if b is None:
                assert a is None or np.allclose(a.numpy(), 0), (key, i)
                continue
            np.testing.assert_allclose(
                a.numpy(), b.numpy(), rtol=10 * tol, atol=10 * tol, err_msg=f"{key} d/dparam{i}"
            )


# ---------------------------------------------------------------------- Normal

NORMAL_SHAPES = [
    ((), (), ()),
    ((3,), (3,), (3,)),
    ((2, 3), (3,), (4, 1, 1)),
    ((3, 1), (1, 4), (4,)),
]


@pytest.mark.parametrize("dtype, tol", DTYPES)
@pytest.mark.parametrize("loc_shape, scale_shape, value_shape", NORMAL_SHAPES)
def test_normal_matches_torch(loc_shape, scale_shape, value_shape, dtype, tol):
    rng = np.random.default_rng(0)
    params = [
        rng.standard_normal(loc_shape),
        rng.uniform(0.5, 2.0, scale_shape),
        rng.standard_normal(value_shape) * 2,
    ]

    def build(lib, D, loc, scale, value):
        d = D.Normal(loc, scale)
        return {
            "log_prob": d.log_prob(value),
            "cdf": d.cdf(value),
            "entropy": d.entropy(),
            "mean": d.mean,
            "mode": d.mode,
            "stddev": d.stddev,
            "variance": d.variance,
            "perplexity": d.perplexity(),
        }

    _compare(build, params, dtype, tol)


def test_normal_shapes_and_python_numbers():
    d = Normal(0.0, 1.0)
    assert d.batch_shape == () and d.event_shape == ()
    assert d.sample().shape == () and d.sample((5, 2)).shape == (5, 2)
    assert d.loc.dtype == tg.float32
    d = Normal(tg.zeros(2, 3, dtype=tg.float64), 2.0)
    assert d.batch_shape == (2, 3) and d.scale.dtype == tg.float64
    assert d.rsample((4,)).shape == (4, 2, 3) and d.rsample((4,)).dtype == tg.float64
    assert d.log_prob(tg.zeros(3, dtype=tg.float64)).shape == (2, 3)
    assert d.expand((5, 2, 3)).sample().shape == (5, 2, 3)
    assert repr(Normal(tg.zeros(3), 1.0)) == "Normal(loc: (3,), scale: (3,))"


def test_normal_sample_statistics_and_no_gradient():
    loc = tg.tensor([-1.0, 3.0], requires_grad=True)
    scale = tg.tensor([0.5, 2.0], requires_grad=True)
    s = Normal(loc, scale).sample((20000,))
    assert not s.requires_grad and s.shape == (20000, 2)
    x = s.numpy()
    for j, (m, sd) in enumerate([(-1.0, 0.5), (3.0, 2.0)]):
        assert abs(x[:, j].mean() - m) < 5 * sd / math.sqrt(len(x))
        assert np.var(x[:, j]) == pytest.approx(sd**2, rel=0.05)


def test_normal_rsample_is_differentiable_by_reparameterisation():
    loc = tg.tensor([-1.0, 3.0], requires_grad=True)
    scale = tg.tensor([0.5, 2.0], requires_grad=True)
    tg.manual_seed(5)
    s = Normal(loc, scale).rsample((1000,))
    tg.manual_seed(5)
    eps = tg.randn(1000, 2)  # the same draw: rsample = loc + scale * eps
    np.testing.assert_allclose(s.detach().numpy(), (loc + scale * eps).detach().numpy(), 1e-6)
    s.sum().backward()
    np.testing.assert_allclose(loc.grad.numpy(), [1000.0, 1000.0])
    np.testing.assert_allclose(scale.grad.numpy(), eps.sum(0).numpy(), rtol=1e-5)
    assert Normal(loc, scale).has_rsample


def test_normal_draws_follow_the_seed():
    d = Normal(tg.zeros(3), tg.ones(3))
    tg.manual_seed(2)
    a = d.sample((4,)).numpy(), d.rsample((4,)).detach().numpy()
    tg.manual_seed(2)
    b = d.sample((4,)).numpy(), d.rsample((4,)).detach().numpy()
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


# ---------------------------------------------------------------------- Categorical

CATEGORICAL_SHAPES = [((4,), ()), ((4,), (5,)), ((3, 4), (3,)), ((2, 3, 5), (6, 1, 1))]


@pytest.mark.parametrize("dtype, tol", DTYPES)
@pytest.mark.parametrize("param", ["probs", "logits"])
@pytest.mark.parametrize("param_shape, value_shape", CATEGORICAL_SHAPES)
def test_categorical_matches_torch(param_shape, value_shape, param, dtype, tol):
    rng = np.random.default_rng(0)
    p = rng.uniform(0.1, 2.0, param_shape) if param == "probs" else rng.standard_normal(param_shape)
    value = rng.integers(0, param_shape[-1], value_shape)

    def build(lib, D, theta, v):
        d = D.Categorical(**{param: theta})
        return {
            "log_prob": d.log_prob(v),
            "entropy": d.entropy(),
            "probs": d.probs,
            "logits": d.logits,
            "mode": d.mode,
            "mean": d.mean,
            "variance": d.variance,
            "enumerate_support": d.enumerate_support(),
        }

    _compare(build, [p, value], dtype, tol)


@pytest.mark.parametrize("dtype, tol", DTYPES)
def test_categorical_with_zero_probabilities_matches_torch(dtype, tol):
    p = np.array([[0.0, 1.0, 3.0], [2.0, 0.0, 0.0]])

    def build(lib, D, probs, v):
        d = D.Categorical(probs=probs)
        return {"entropy": d.entropy(), "log_prob": d.log_prob(v), "logits": d.logits}

    _compare(build, [p, np.array([1, 0])], dtype, tol)


def test_categorical_sample_shapes_and_frequencies():
    probs = tg.tensor([[0.1, 0.2, 0.7], [0.5, 0.0, 0.5]])
    d = Categorical(probs=probs)
    assert d.batch_shape == (2,) and d.event_shape == () and d.param_shape == (2, 3)
    assert d.sample().shape == (2,) and d.sample().dtype == tg.int64
    s = d.sample((20000,)).numpy()
    assert s.shape == (20000, 2)
    assert not (s[:, 1] == 1).any()
    for j, row in enumerate(probs.numpy()):
        for k, pk in enumerate(row):
            assert abs((s[:, j] == k).mean() - pk) <= 5 * math.sqrt(pk * (1 - pk) / len(s)) + 1e-12
    assert Categorical(logits=tg.zeros(4)).sample((3, 2)).shape == (3, 2)
    assert Categorical(logits=tg.zeros(2, 4)).expand((5, 2)).sample().shape == (5, 2)


def test_categorical_lazy_parameters():
    d = Categorical(logits=tg.tensor([1.0, 2.0, 3.0]))
    assert "logits" in d.__dict__ and "probs" not in d.__dict__
    with tg.no_grad():
        p = d.probs  # computed with grad on, as PyTorch's lazy_property does
    assert "probs" in d.__dict__
    np.testing.assert_allclose(p.detach().numpy().sum(), 1.0, rtol=1e-6)


# ---------------------------------------------------------------------- Bernoulli


@pytest.mark.parametrize("dtype, tol", DTYPES)
@pytest.mark.parametrize("param", ["probs", "logits"])
@pytest.mark.parametrize("param_shape, value_shape", [((), ()), ((3,), (3,)), ((2, 3), (4, 1, 3))])
def test_bernoulli_matches_torch(param_shape, value_shape, param, dtype, tol):
    rng = np.random.default_rng(0)
    p = (
        rng.uniform(0.05, 0.95, param_shape)
        if param == "probs"
        else rng.standard_normal(param_shape)
    )
    value = rng.integers(0, 2, value_shape).astype(np.float64)

    def build(lib, D, theta, v):
        d = D.Bernoulli(**{param: theta})
        return {
            "log_prob": d.log_prob(v.detach()),
            "entropy": d.entropy(),
            "probs": d.probs,
            "logits": d.logits,
            "mean": d.mean,
            "variance": d.variance,
            "stddev": d.stddev,
            "mode": d.mode,
        }

    _compare(build, [p, value], dtype, tol)


def test_bernoulli_samples_and_scalars():
    d = Bernoulli(0.3)
    assert d.batch_shape == () and d.sample().shape == ()
    s = d.sample((20000,)).numpy()
    assert set(np.unique(s)) == {0.0, 1.0}
    assert abs(s.mean() - 0.3) <= 5 * math.sqrt(0.21 / len(s))
    b = Bernoulli(logits=tg.zeros(2, 3, dtype=tg.float64))
    assert b.sample((4,)).shape == (4, 2, 3) and b.sample().dtype == tg.float64
    assert b.enumerate_support().shape == (2, 2, 3)
    assert np.isnan(Bernoulli(tg.tensor([0.5])).mode.numpy()).all()


# ---------------------------------------------------------------------- Uniform


@pytest.mark.parametrize("dtype, tol", DTYPES)
@pytest.mark.parametrize("low_shape, high_shape", [((), ()), ((3,), (2, 3)), ((2, 1), (1, 3))])
def test_uniform_matches_torch(low_shape, high_shape, dtype, tol):
    rng = np.random.default_rng(0)
    low = rng.uniform(-2, -1, low_shape)
    high = rng.uniform(1, 3, high_shape)
    value = np.broadcast_to(rng.uniform(-1, 1, ()), np.broadcast_shapes(low_shape, high_shape))
    u = np.broadcast_to(rng.uniform(0, 1, ()), value.shape)

    def build(lib, D, lo, hi, v, q):
        d = D.Uniform(lo, hi)
        return {
            "log_prob": d.log_prob(v.detach()),
            "cdf": d.cdf(v),
            "icdf": d.icdf(q),
            "entropy": d.entropy(),
            "mean": d.mean,
            "variance": d.variance,
            "stddev": d.stddev,
        }

    _compare(build, [low, high, np.array(value), np.array(u)], dtype, tol)


def test_uniform_samples_and_outside_support():
    d = Uniform(tg.tensor([0.0, -2.0]), tg.tensor([1.0, 2.0]), validate_args=False)
    s = d.rsample((20000,)).numpy()
    assert (s >= [0.0, -2.0]).all() and (s < [1.0, 2.0]).all()
    assert abs(s[:, 1].mean()) <= 5 * math.sqrt(16 / 12 / len(s))
    assert np.isneginf(d.log_prob(tg.tensor([1.5, 0.0])).numpy()[0])


# ---------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: Normal(tg.zeros(2), tg.tensor([1.0, -1.0])), r"parameter scale .*GreaterThan"),
        (lambda: Normal(tg.tensor([float("nan")]), 1.0), r"parameter loc .*Real\(\)"),
        (lambda: Categorical(tg.tensor([1.0, -1.0, 3.0])), r"parameter probs .*Simplex"),
        (lambda: Categorical(logits=tg.tensor([1.0, float("nan")])), "parameter logits"),
        (lambda: Bernoulli(tg.tensor([0.5, 1.5])), r"parameter probs .*Interval"),
        (lambda: Uniform(1.0, 0.0), r"parameter low .*LessThan"),
        (lambda: Categorical(), "Either `probs` or `logits`"),
        (lambda: Bernoulli(0.5, 0.0), "Either `probs` or `logits`"),
        (lambda: Categorical(tg.tensor(1.0)), "at least one-dimensional"),
        (lambda: Normal(0.0, 1.0).log_prob(tg.tensor(float("nan"))), "within the support"),
        (lambda: Categorical(tg.ones(3)).log_prob(tg.tensor(3)), "IntegerInterval"),
        (lambda: Bernoulli(0.5).log_prob(tg.tensor(0.5)), r"Boolean\(\)"),
        (lambda: Uniform(0.0, 1.0).log_prob(tg.tensor(2.0)), "within the support"),
        (lambda: Normal(tg.zeros(3), 1.0).log_prob(tg.zeros(2)), "not broadcastable"),
        (lambda: Normal(0.0, 1.0).log_prob(0.5), "must be a Tensor"),
    ],
)
def test_validate_args_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_validate_args_off():
    Normal(0.0, -1.0, validate_args=False)
    assert Uniform(0.0, 1.0, validate_args=False).log_prob(tg.tensor(2.0)).item() == -math.inf
    Distribution.set_default_validate_args(False)
    try:
        Bernoulli(tg.tensor([1.5]))
    finally:
        Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError):
        Bernoulli(tg.tensor([1.5]))


def test_base_class_methods_raise():
    with pytest.warns(UserWarning, match="arg_constraints"):
        d = Distribution((2,))
    assert d.batch_shape == (2,) and d.event_shape == ()
    for call in (lambda: d.rsample(), lambda: d.entropy(), lambda: d.mean):
        with pytest.raises(NotImplementedError):
            call()
