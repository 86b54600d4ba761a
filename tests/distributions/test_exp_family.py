"""tensorgrad.distributions.exp_family: the entropy and the KL divergence every exponential
family gets from its log normalizer (through autograd) equal the closed forms."""

from __future__ import annotations

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.distributions import (
    Bernoulli,
    Beta,
    ContinuousBernoulli,
    Dirichlet,
    Exponential,
    ExponentialFamily,
    Gamma,
    Normal,
)
from tensorgrad.distributions.kl import _kl_expfamily_expfamily

D64 = tg.float64


def _pairs():
    t = lambda *v: tg.tensor(list(v), dtype=D64)  # noqa: E731
    yield Normal(t(0.5, -1.0), t(2.0, 0.5)), Normal(t(1.0, 0.0), t(1.0, 1.5))
    yield Bernoulli(t(0.3, 0.8)), Bernoulli(t(0.6, 0.1))
    yield Exponential(t(0.5, 2.0)), Exponential(t(1.5, 1.0))
    yield Gamma(t(0.7, 3.0), t(2.0, 0.5)), Gamma(t(1.5, 1.0), t(1.0, 2.0))
    yield Beta(t(0.7, 3.0), t(2.0, 0.5)), Beta(t(1.5, 1.0), t(1.0, 2.0))
    yield Dirichlet(t(0.7, 3.0, 1.0)), Dirichlet(t(1.5, 1.0, 2.0))
    yield ContinuousBernoulli(t(0.2, 0.7)), ContinuousBernoulli(t(0.4, 0.9))


@pytest.mark.parametrize("p, q", list(_pairs()), ids=lambda d: type(d).__name__)
def test_generic_entropy_and_kl_equal_the_closed_forms(p, q):
    if isinstance(p, (Beta, Dirichlet)):  # the carrier measure -sum log x is not constant
        with pytest.raises(NotImplementedError):
            ExponentialFamily.entropy(p)
    else:
        generic = ExponentialFamily.entropy(p)
        np.testing.assert_allclose(generic.detach().numpy(), p.entropy().numpy(), rtol=1e-10)
    bregman = _kl_expfamily_expfamily(p, q)
    closed = tg.distributions.kl_divergence(p, q)
    np.testing.assert_allclose(bregman.detach().numpy(), closed.numpy(), rtol=1e-9)
