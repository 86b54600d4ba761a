"""tensorgrad.distributions.continuous_bernoulli against
torch.distributions.continuous_bernoulli."""

from __future__ import annotations

import numpy as np
import pytest

from tensorgrad.distributions import ContinuousBernoulli

from .helpers import DTYPES, compare, rsample_gradcheck


@pytest.mark.parametrize("dtype, tol", DTYPES)
@pytest.mark.parametrize("param", ["probs", "logits"])
def test_continuous_bernoulli_matches_torch(param, dtype, tol):
    rng = np.random.default_rng(0)
    # values on both sides of, and inside, the unstable region around 1/2
    probs = np.array([[0.1, 0.4995, 0.7], [0.3, 0.5004, 0.95]])
    theta = probs if param == "probs" else np.log(probs / (1 - probs))
    params = [theta, rng.uniform(0.05, 0.95, (4, 1, 3)), rng.uniform(0.05, 0.95, (2, 3))]

    def build(lib, D, t, value, q):
        d = D.ContinuousBernoulli(**{param: t})
        return {
            "log_prob": d.log_prob(value),
            "cdf": d.cdf(value),
            "icdf": d.icdf(q),
            "entropy": d.entropy(),
            "mean": d.mean,
            "variance": d.variance,
            "stddev": d.stddev,
        }

    compare(build, params, dtype, tol, grad_tol=1e-8 if dtype == np.float64 else 5e-4)


def test_continuous_bernoulli_rsample_gradient():
    rsample_gradcheck(ContinuousBernoulli, [[0.2, 0.8]])
