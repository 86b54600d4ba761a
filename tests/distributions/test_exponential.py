"""tensorgrad.distributions.exponential against torch.distributions.exponential."""

from __future__ import annotations

import numpy as np
import pytest

from tensorgrad.distributions import Exponential

from .helpers import DTYPES, compare, rsample_gradcheck


@pytest.mark.parametrize("dtype, tol", DTYPES)
@pytest.mark.parametrize("rate_shape, value_shape", [((), ()), ((2, 3), (4, 1, 3))])
def test_exponential_matches_torch(rate_shape, value_shape, dtype, tol):
    rng = np.random.default_rng(0)
    params = [
        rng.uniform(0.5, 2.5, rate_shape),
        rng.uniform(0.1, 3.0, value_shape),
        rng.uniform(0.05, 0.95, value_shape),
    ]

    def build(lib, D, rate, value, q):
        d = D.Exponential(rate)
        return {
            "log_prob": d.log_prob(value),
            "cdf": d.cdf(value),
            "icdf": d.icdf(q),
            "entropy": d.entropy(),
            "mean": d.mean,
            "mode": d.mode,
            "variance": d.variance,
            "stddev": d.stddev,
        }

    compare(build, params, dtype, tol)


def test_exponential_rsample_gradient():
    rsample_gradcheck(Exponential, [[0.5, 2.0]])
