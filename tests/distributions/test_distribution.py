"""The ``Distribution`` interface, checked on every distribution against PyTorch's: shapes,
flags, constraints, sample shapes and dtypes, support, ``expand``, seeding, and sample
moments against ``mean``/``variance``; then argument validation."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.distributions import (
    Bernoulli,
    Beta,
    Binomial,
    Categorical,
    Dirichlet,
    Distribution,
    Exponential,
    Gamma,
    Geometric,
    Laplace,
    LowRankMultivariateNormal,
    Multinomial,
    MultivariateNormal,
    NegativeBinomial,
    Normal,
    OneHotCategorical,
    Pareto,
    Poisson,
    StudentT,
    Uniform,
    VonMises,
)

from .helpers import check_moments, torch

_C = np.array([0.7, 1.5, 4.0])  # concentrations / rates
_L = np.array([-1.0, 0.5, 2.0])  # locations
_P = np.array([0.2, 0.5, 0.9])  # probabilities
_W = np.array([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]])  # simplex rows
_COV = np.array([[2.0, 0.3, 0.1], [0.3, 1.0, -0.2], [0.1, -0.2, 0.5]])


def _t(lib, a):
    return lib.tensor(np.asarray(a, dtype=np.float64))


# id -> factory(lib, D): the same distribution in either library (float64 parameters)
CASES = {
    "Normal": lambda lib, D: D.Normal(_t(lib, _L), _t(lib, _C)),
    "Uniform": lambda lib, D: D.Uniform(_t(lib, _L), _t(lib, _L + _C)),
    "Bernoulli": lambda lib, D: D.Bernoulli(_t(lib, _P)),
    "Categorical": lambda lib, D: D.Categorical(_t(lib, _W)),
    "Exponential": lambda lib, D: D.Exponential(_t(lib, _C)),
    "Laplace": lambda lib, D: D.Laplace(_t(lib, _L), _t(lib, _C)),
    "Cauchy": lambda lib, D: D.Cauchy(_t(lib, _L), _t(lib, _C)),
    "Gumbel": lambda lib, D: D.Gumbel(_t(lib, _L), _t(lib, _C)),
    "LogNormal": lambda lib, D: D.LogNormal(_t(lib, _L / 4), _t(lib, _C / 8)),
    "HalfNormal": lambda lib, D: D.HalfNormal(_t(lib, _C)),
    "HalfCauchy": lambda lib, D: D.HalfCauchy(_t(lib, _C)),
    "StudentT": lambda lib, D: D.StudentT(_t(lib, _C + 4.5), _t(lib, _L), _t(lib, _C)),
    "Chi2": lambda lib, D: D.Chi2(_t(lib, _C)),
    "Gamma": lambda lib, D: D.Gamma(_t(lib, _C), _t(lib, _C[::-1].copy())),
    "Beta": lambda lib, D: D.Beta(_t(lib, _C), _t(lib, _C[::-1].copy())),
    "Dirichlet": lambda lib, D: D.Dirichlet(_t(lib, _W * 5)),
    "Poisson": lambda lib, D: D.Poisson(_t(lib, _C * 3)),
    "Binomial": lambda lib, D: D.Binomial(_t(lib, [3.0, 10.0, 7.0]), _t(lib, _P)),
    "Geometric": lambda lib, D: D.Geometric(_t(lib, _P)),
    "NegativeBinomial": lambda lib, D: D.NegativeBinomial(_t(lib, _C * 2), _t(lib, _P / 2)),
    "Multinomial": lambda lib, D: D.Multinomial(6, _t(lib, _W)),
    "OneHotCategorical": lambda lib, D: D.OneHotCategorical(_t(lib, _W)),
    "OneHotCategoricalStraightThrough": lambda lib, D: D.OneHotCategoricalStraightThrough(
        _t(lib, _W)
    ),
    "RelaxedBernoulli": lambda lib, D: D.RelaxedBernoulli(_t(lib, 0.5), _t(lib, _P)),
    "RelaxedOneHotCategorical": lambda lib, D: D.RelaxedOneHotCategorical(
        _t(lib, 0.5), _t(lib, _W)
    ),
    "ContinuousBernoulli": lambda lib, D: D.ContinuousBernoulli(_t(lib, _P)),
    "Weibull": lambda lib, D: D.Weibull(_t(lib, _C), _t(lib, _C + 1)),
    "Pareto": lambda lib, D: D.Pareto(_t(lib, _C), _t(lib, _C + 4)),
    "Kumaraswamy": lambda lib, D: D.Kumaraswamy(_t(lib, _C + 1), _t(lib, _C[::-1] + 1)),
    "VonMises": lambda lib, D: D.VonMises(_t(lib, _L), _t(lib, _C)),
    "MultivariateNormal": lambda lib, D: D.MultivariateNormal(
        _t(lib, np.stack([_L, _C])), covariance_matrix=_t(lib, _COV)
    ),
    "LowRankMultivariateNormal": lambda lib, D: D.LowRankMultivariateNormal(
        _t(lib, _L), _t(lib, [[1.0, 0.2], [0.3, -0.5], [0.0, 0.7]]), _t(lib, _C)
    ),
    "Independent": lambda lib, D: D.Independent(D.Normal(_t(lib, _W), _t(lib, _W + 1)), 1),
    "MixtureSameFamily": lambda lib, D: D.MixtureSameFamily(
        D.Categorical(_t(lib, _W)), D.Normal(_t(lib, _W * 4), _t(lib, _W + 0.5))
    ),
    "FisherSnedecor": lambda lib, D: D.FisherSnedecor(_t(lib, _C * 2 + 1), _t(lib, _C + 10)),
    "InverseGamma": lambda lib, D: D.InverseGamma(_t(lib, _C + 5), _t(lib, _C)),
    "Wishart": lambda lib, D: D.Wishart(_t(lib, [4.0, 6.5]), _t(lib, _COV)),
    "LKJCholesky": lambda lib, D: D.LKJCholesky(3, _t(lib, _C)),
    "TransformedDistribution": lambda lib, D: D.TransformedDistribution(
        D.Normal(_t(lib, _L), _t(lib, _C / 4)),
        [D.transforms.TanhTransform(), D.transforms.AffineTransform(1.0, 2.0)],
    ),
}
NO_MOMENTS = {"Cauchy", "HalfCauchy", "VonMises", "OneHotCategoricalStraightThrough"}
# a NaN mean (Categorical) or none (NotImplementedError, as in PyTorch)
NO_MOMENTS |= {"Categorical", "TransformedDistribution", "RelaxedBernoulli"}
NO_MOMENTS |= {"RelaxedOneHotCategorical", "LKJCholesky"}


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.filterwarnings("ignore:Singular sample detected")  # PyTorch's, on every Wishart
def test_interface_matches_torch(name):
    ours, ref = CASES[name](tg, tg.distributions), CASES[name](torch, torch.distributions)
    assert type(ours).__name__ == type(ref).__name__
    assert ours.batch_shape == tuple(ref.batch_shape)
    assert ours.event_shape == tuple(ref.event_shape)
    assert ours.has_rsample == ref.has_rsample
    assert ours.has_enumerate_support == ref.has_enumerate_support
    assert sorted(ours.arg_constraints) == sorted(ref.arg_constraints)
    assert type(ours.support).__name__.lstrip("_") == type(ref.support).__name__.lstrip("_")
    assert ours.support.event_dim == ref.support.event_dim
    assert ours.support.is_discrete == ref.support.is_discrete

    s, r = ours.sample((4, 2)), ref.sample((4, 2))
    assert s.shape == tuple(r.shape) == (4, 2) + ours.batch_shape + ours.event_shape
    assert str(s.dtype).split(".")[-1] == str(r.dtype).split(".")[-1]
    assert not s.requires_grad
    assert bool(ours.support.check(s).all()), name
    if ours.has_rsample:
        assert ours.rsample((5,)).shape == (5,) + ours.batch_shape + ours.event_shape
    else:
        with pytest.raises(NotImplementedError):
            ours.rsample()
    big = (2,) + ours.batch_shape
    expanded, expanded_ref = ours.expand(big), ref.expand(big)
    assert type(expanded) is type(ours)
    assert expanded.batch_shape == tuple(expanded_ref.batch_shape) == big
    assert expanded.sample((3,)).shape == (3,) + big + ours.event_shape
    lp, lp_ref = expanded.log_prob(s[0]), expanded_ref.log_prob(r[0])
    assert lp.shape == tuple(lp_ref.shape)
    np.testing.assert_allclose(
        lp.numpy(), expanded_ref.log_prob(torch.tensor(s[0].numpy())).numpy(), rtol=1e-6
    )
    tg.manual_seed(3)
    a = ours.sample((2,)).numpy()
    tg.manual_seed(3)
    np.testing.assert_array_equal(a, ours.sample((2,)).numpy())


@pytest.mark.parametrize("name", sorted(set(CASES) - NO_MOMENTS))
def test_sample_moments(name):
    d = CASES[name](tg, tg.distributions)
    check_moments(d)


def test_float32_parameters_give_float32_samples():
    for d in (
        Gamma(tg.ones(2), 1.0),
        Beta(tg.ones(2), 2.0),
        Dirichlet(tg.ones(2, 3)),
        Poisson(tg.ones(2)),
        Binomial(3, tg.tensor([0.2, 0.5])),
        Exponential(tg.ones(2)),
        VonMises(tg.zeros(2), tg.ones(2)),
    ):
        assert d.sample((3,)).dtype == tg.float32, type(d).__name__
        assert d.sample((3,)).shape == (3, 2) + d.event_shape


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
        (lambda: Exponential(tg.tensor([1.0, 0.0])), r"parameter rate .*GreaterThan"),
        (lambda: Laplace(0.0, tg.tensor(-2.0)), r"parameter scale .*GreaterThan"),
        (lambda: Gamma(tg.tensor([-1.0]), 1.0), r"parameter concentration .*GreaterThan"),
        (lambda: Gamma(1.0, 1.0).log_prob(tg.tensor(-1.0)), r"GreaterThanEq\(lower_bound=0.0\)"),
        (lambda: Beta(tg.tensor([0.0]), 1.0), "parameter concentration .* of distribution Dir"),
        (lambda: Beta(2.0, 2.0).log_prob(tg.tensor(1.5)), "within the support"),
        (lambda: Dirichlet(tg.tensor([1.0, -1.0])), r"IndependentConstraint\(GreaterThan"),
        (lambda: Dirichlet(tg.tensor(1.0)), "at least one-dimensional"),
        (lambda: Dirichlet(tg.ones(3)).log_prob(tg.tensor([0.5, 0.5, 0.5])), "Simplex"),
        (lambda: Poisson(tg.tensor([-1.0])), r"parameter rate .*GreaterThanEq"),
        (lambda: Poisson(1.0).log_prob(tg.tensor(1.5)), "IntegerGreaterThan"),
        (lambda: Binomial(tg.tensor(2.5), tg.tensor(0.5)), "parameter total_count"),
        (lambda: Binomial(3, tg.tensor(0.5)).log_prob(tg.tensor(4.0)), "IntegerInterval"),
        (lambda: Geometric(tg.tensor([0.0, 0.5])), "to be positive"),
        (lambda: NegativeBinomial(2.0, tg.tensor(1.0)), r"parameter probs .*HalfOpenInterval"),
        (lambda: Multinomial(3, tg.tensor([0.5, 0.5])).log_prob(tg.tensor([3.0, 1.0])), "Mult"),
        (lambda: OneHotCategorical(tg.ones(3)).log_prob(tg.tensor([1.0, 1.0, 0.0])), "OneHot"),
        (lambda: Pareto(1.0, 2.0).log_prob(tg.tensor(0.5)), "GreaterThanEq"),
        (lambda: StudentT(tg.tensor(-1.0)), "parameter df"),
        (
            lambda: MultivariateNormal(tg.zeros(2), tg.tensor([[1.0, 2.0], [2.0, 1.0]])),
            "PositiveDefinite",
        ),
        (
            lambda: MultivariateNormal(tg.zeros(2), scale_tril=tg.tensor([[1.0, 1.0], [0, 1]])),
            "LowerCholesky",
        ),
        (lambda: MultivariateNormal(tg.zeros(2)), "Exactly one of"),
        (lambda: MultivariateNormal(tg.zeros(2), tg.eye(3)), "matching loc"),
        (
            lambda: LowRankMultivariateNormal(tg.zeros(2), tg.ones(2, 1), tg.tensor([1.0, 0])),
            "parameter cov_diag",
        ),
        (lambda: LowRankMultivariateNormal(tg.zeros(2), tg.ones(3, 1), tg.ones(2)), "2 x m"),
        (lambda: VonMises(0.0, tg.tensor(-1.0)), "parameter concentration"),
    ],
)
def test_validate_args_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_validate_args_off():
    Normal(0.0, -1.0, validate_args=False)
    Gamma(-1.0, 1.0, validate_args=False)
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


def test_entropy_raises_where_torch_does():
    with pytest.raises(NotImplementedError):
        Poisson(tg.ones(2)).entropy()
    with pytest.raises(NotImplementedError, match="inhomogeneous"):
        Multinomial(2.5, tg.tensor([0.5, 0.5]))
    with pytest.raises(NotImplementedError, match="Inhomogeneous"):
        Binomial(tg.tensor([2.0, 3.0]), tg.tensor([0.5, 0.5])).entropy()


def test_draws_replay_under_compile():
    # every draw goes through the recorder: a tg.compile replay draws afresh from the seed,
    # as eager mode does, and the implicit gradients replay too
    def step(a):
        d = tg.distributions
        g = Gamma(a, 1.0, validate_args=False).rsample((3,))
        n = Normal(a, 1.0, validate_args=False).rsample((3,))
        c = Categorical(logits=a.detach().log(), validate_args=False).sample((3,))
        x = Dirichlet(a, validate_args=False).rsample()
        p = Poisson(a, validate_args=False).sample()
        b = Bernoulli(a / 10, validate_args=False).sample()
        e = d.Exponential(a, validate_args=False).rsample()
        loss = g.sum() + n.sum() + x[0] + e.sum()
        (grad,) = tg.autograd.grad(loss, a)
        return loss.detach(), c, p, b, grad

    compiled = tg.compile(step, fullgraph=True)
    a = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    for seed in range(3):  # record, then replay
        tg.manual_seed(seed)
        want = [t.numpy() for t in step(a)]
        tg.manual_seed(seed)
        got = [t.numpy() for t in compiled(a)]
        for w, g in zip(want, got):
            np.testing.assert_allclose(g, w, rtol=1e-6)
