"""tensorgrad.distributions.kl against torch.distributions.kl: every registered pair's value
and gradients with respect to both distributions' parameters, and the dispatch rules."""

from __future__ import annotations

import math
import warnings
import zlib

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.distributions import (
    Bernoulli,
    Categorical,
    Distribution,
    Normal,
    Poisson,
    kl_divergence,
    register_kl,
)
from tensorgrad.distributions.kl import _KL_REGISTRY

from .helpers import DTYPES, compare, torch

_RNG = np.random.default_rng(0)


def _pos(lo=0.5, hi=2.5):
    return _RNG.uniform(lo, hi, (2, 3))


def _real():
    return _RNG.standard_normal((2, 3))


def _unit():
    return _RNG.uniform(0.1, 0.9, (2, 3))


def _simplex():
    return _RNG.dirichlet(np.ones(3), 2)


def _spd():
    a = _RNG.standard_normal((2, 3, 3))
    return a @ np.swapaxes(a, -1, -2) + 3 * np.eye(3)


# name -> (params maker, build(D, *params)): each builds a distribution of batch (2, 3)
# (or (2,) with events of 3), enough to pair it with any other
FAMILIES = {
    "Bernoulli": (lambda: [_unit()], lambda D, p: D.Bernoulli(p)),
    "Beta": (lambda: [_pos(), _pos()], lambda D, a, b: D.Beta(a, b)),
    "Binomial": (lambda: [_unit()], lambda D, p: D.Binomial(5, p)),
    "Categorical": (lambda: [_simplex()], lambda D, p: D.Categorical(p)),
    "Cauchy": (lambda: [_real(), _pos()], lambda D, m, s: D.Cauchy(m, s)),
    "ContinuousBernoulli": (lambda: [_unit()], lambda D, p: D.ContinuousBernoulli(p)),
    "Dirichlet": (lambda: [_pos()], lambda D, a: D.Dirichlet(a)),
    "Exponential": (lambda: [_pos()], lambda D, r: D.Exponential(r)),
    "Gamma": (lambda: [_pos(), _pos()], lambda D, a, b: D.Gamma(a, b)),
    "Geometric": (lambda: [_unit()], lambda D, p: D.Geometric(p)),
    "Gumbel": (lambda: [_real(), _pos()], lambda D, m, s: D.Gumbel(m, s)),
    "HalfNormal": (lambda: [_pos()], lambda D, s: D.HalfNormal(s)),
    "Independent": (
        lambda: [_real(), _pos()],
        lambda D, m, s: D.Independent(D.Normal(m, s), 1),
    ),
    "Laplace": (lambda: [_real(), _pos()], lambda D, m, s: D.Laplace(m, s)),
    "LowRankMultivariateNormal": (
        lambda: [_real(), _RNG.standard_normal((2, 3, 2)), _pos()],
        lambda D, m, w, d: D.LowRankMultivariateNormal(m, w, d),
    ),
    "MultivariateNormal": (
        lambda: [_real(), _spd()],
        lambda D, m, c: D.MultivariateNormal(m, (c + c.mT) / 2),
    ),
    "Normal": (lambda: [_real(), _pos()], lambda D, m, s: D.Normal(m, s)),
    "OneHotCategorical": (lambda: [_simplex()], lambda D, p: D.OneHotCategorical(p)),
    "Pareto": (lambda: [_pos(), _pos(2.5, 4.0)], lambda D, s, a: D.Pareto(s, a)),
    "Poisson": (lambda: [_pos()], lambda D, r: D.Poisson(r)),
    "TransformedDistribution": (
        lambda: [_real(), _pos()],
        lambda D, m, s: D.TransformedDistribution(D.Normal(m, s), [D.transforms.ExpTransform()]),
    ),
    "Uniform": (lambda: [_unit() - 1, _unit() + 1], lambda D, lo, hi: D.Uniform(lo, hi)),
}
# p's parameters that keep the pair finite and its formula defined (inside q's support)
P_OVERRIDES = {
    ("Uniform", "Beta"): (lambda: [_unit() / 2, _unit() / 2 + 0.5], FAMILIES["Uniform"][1]),
    ("Uniform", "ContinuousBernoulli"): (
        lambda: [_unit() / 2, _unit() / 2 + 0.5],
        FAMILIES["Uniform"][1],
    ),
    ("Uniform", "Exponential"): (lambda: [_unit(), _unit() + 1], FAMILIES["Uniform"][1]),
    ("Uniform", "Gamma"): (lambda: [_unit(), _unit() + 1], FAMILIES["Uniform"][1]),
    ("Uniform", "Pareto"): (lambda: [_unit() + 5, _unit() + 7], FAMILIES["Uniform"][1]),
    ("Uniform", "Uniform"): (lambda: [_unit() - 0.5, _unit() + 0.5], FAMILIES["Uniform"][1]),
    ("Binomial", "Binomial"): (lambda: [_unit()], FAMILIES["Binomial"][1]),
}
PAIRS = sorted(
    (p.__name__, q.__name__)
    for p, q in _KL_REGISTRY
    if p.__name__ in FAMILIES and q.__name__ in FAMILIES
)


def test_every_registered_pair_is_tested():
    names = {(p.__name__, q.__name__) for p, q in _KL_REGISTRY}
    assert names - set(PAIRS) == {("ExponentialFamily", "ExponentialFamily")}
    assert len(PAIRS) == 86


@pytest.mark.parametrize("dtype, tol", DTYPES)
@pytest.mark.parametrize("p_name, q_name", PAIRS)
def test_kl_matches_torch(p_name, q_name, dtype, tol):
    global _RNG  # parameters of this case's own, whichever tests ran before it in the worker
    _RNG = np.random.default_rng(zlib.crc32(f"{p_name} {q_name}".encode()))
    p_make, p_build = P_OVERRIDES.get((p_name, q_name), FAMILIES[p_name])
    q_make, q_build = FAMILIES[q_name]
    p_params, q_params = p_make(), q_make()
    n = len(p_params)

    def build(lib, D, *params):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # pairs PyTorch calls ambiguous
            kl = D.kl_divergence(p_build(D, *params[:n]), q_build(D, *params[n:]))
        return {"kl": kl}

    grad_tol = None if dtype == np.float32 else 1e-8
    compare(build, p_params + q_params, dtype, max(tol, 1e-9), grad_tol=grad_tol)


def test_kl_infinities_where_supports_do_not_nest():
    d = tg.distributions
    u = d.Uniform(tg.tensor([0.0, 0.0]), tg.tensor([1.0, 3.0]))
    v = d.Uniform(tg.tensor([-1.0, 0.0]), tg.tensor([2.0, 2.0]))
    assert kl_divergence(u, v).numpy()[1] == math.inf
    assert kl_divergence(d.Normal(0.0, 1.0), d.Exponential(1.0)).item() == math.inf
    p, q = Bernoulli(tg.tensor([0.5, 0.0])), Bernoulli(tg.tensor([0.0, 0.5]))
    np.testing.assert_allclose(kl_divergence(p, q).numpy(), [math.inf, math.log(2)], rtol=1e-6)
    c = Categorical(tg.tensor([[0.5, 0.5, 0.0]]))
    assert kl_divergence(c, Categorical(tg.tensor([[0.5, 0.0, 0.5]]))).item() == math.inf
    assert kl_divergence(Categorical(tg.tensor([[0.5, 0.0, 0.5]])), c).item() == math.inf


def test_kl_raises_for_pairs_without_a_formula():
    with pytest.raises(NotImplementedError, match="p type Categorical and q type Normal"):
        kl_divergence(Categorical(tg.ones(3)), Normal(0.0, 1.0))
    with pytest.raises(NotImplementedError, match="different exponential families"):
        kl_divergence(Poisson(1.0), Normal(0.0, 1.0))
    d = tg.distributions
    with pytest.raises(NotImplementedError):
        kl_divergence(
            d.Independent(Normal(tg.zeros(2, 3), 1.0), 1),
            d.Independent(Normal(tg.zeros(2, 3), 1.0), 2),
        )


def test_register_kl_dispatches_to_the_most_specific_pair():
    class MyNormal(Normal):
        pass

    class Base(Distribution):
        arg_constraints = {}

    class Sub(Base):
        pass

    calls = []

    @register_kl(Base, Base)
    def _base(p, q):
        calls.append("base")
        return tg.tensor(0.0)

    @register_kl(Sub, Base)
    def _sub_base(p, q):
        calls.append("sub-base")
        return tg.tensor(1.0)

    @register_kl(Base, Sub)
    def _base_sub(p, q):
        calls.append("base-sub")
        return tg.tensor(2.0)

    try:
        kl_divergence(Base(), Base())
        kl_divergence(Sub(), Base())
        with pytest.warns(RuntimeWarning, match="Ambiguous kl_divergence"):
            kl_divergence(Sub(), Sub())  # (Sub, Base) and (Base, Sub) tie: p's side wins
        assert calls == ["base", "sub-base", "sub-base"]
        a, b = MyNormal(0.0, 1.0), MyNormal(1.0, 2.0)  # subclasses use their parent's pair
        assert kl_divergence(a, b).item() == pytest.approx(
            torch.distributions.kl_divergence(
                torch.distributions.Normal(0.0, 1.0), torch.distributions.Normal(1.0, 2.0)
            ).item()
        )
    finally:
        for key in [(Base, Base), (Sub, Base), (Base, Sub)]:
            _KL_REGISTRY.pop(key)
        register_kl(Normal, Normal)(_KL_REGISTRY[Normal, Normal])  # clears the memo
    with pytest.raises(TypeError):
        register_kl(int, Normal)
