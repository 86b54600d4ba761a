"""tensorgrad.distributions.relaxed_bernoulli against torch.distributions.relaxed_bernoulli."""

from __future__ import annotations

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.distributions import RelaxedBernoulli

from .helpers import DTYPES, compare, rsample_gradcheck


@pytest.mark.parametrize("dtype, tol", DTYPES)
@pytest.mark.parametrize("param", ["probs", "logits"])
def test_relaxed_bernoulli_matches_torch(param, dtype, tol):
    rng = np.random.default_rng(0)
    theta = rng.uniform(0.1, 0.9, (2, 3)) if param == "probs" else rng.standard_normal((2, 3))
    params = [np.array(0.7), theta, rng.uniform(0.05, 0.95, (4, 1, 3))]

    def build(lib, D, t, p, value):
        d = D.RelaxedBernoulli(t, **{param: p})
        return {
            "log_prob": d.log_prob(value),
            "base_log_prob": d.base_dist.log_prob(value),
            "probs": d.probs,
            "logits": d.logits,
        }

    compare(build, params, dtype, tol)


def test_relaxed_bernoulli_rsample_gradient_and_low_temperature():
    rsample_gradcheck(lambda t, p: RelaxedBernoulli(t, p), [0.7, [0.2, 0.6]])
    s = RelaxedBernoulli(tg.tensor(0.01), tg.tensor([0.3])).sample((4000,)).numpy()
    assert ((s < 0.01) | (s > 0.99)).mean() > 0.95  # nearly a coin flip as t -> 0
    assert abs((s > 0.5).mean() - 0.3) < 5 * np.sqrt(0.21 / len(s))
