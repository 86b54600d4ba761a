"""tensorgrad.distributions.weibull against torch.distributions.weibull."""

from __future__ import annotations

import numpy as np
import pytest

from tensorgrad.distributions import Weibull

from .helpers import DTYPES, SHAPES2, compare, rsample_gradcheck


@pytest.mark.parametrize("dtype, tol", DTYPES)
@pytest.mark.parametrize("scale_shape, k_shape, value_shape", SHAPES2)
def test_weibull_matches_torch(scale_shape, k_shape, value_shape, dtype, tol):
    rng = np.random.default_rng(0)
    params = [
        rng.uniform(0.5, 2.5, scale_shape),
        rng.uniform(0.5, 3.0, k_shape),
        rng.uniform(0.2, 3.0, value_shape),
        rng.uniform(0.05, 0.95, value_shape),
    ]

    def build(lib, D, scale, k, value, q):
        d = D.Weibull(scale, k)
        return {
            "log_prob": d.log_prob(value),
            "cdf": d.cdf(value),
            "icdf": d.icdf(q),
            "entropy": d.entropy(),
            "mean": d.mean,
            "mode": d.mode,
            "variance": d.variance,
        }

    compare(build, params, dtype, tol)


def test_weibull_rsample_gradient():
    rsample_gradcheck(Weibull, [[0.5, 2.0], [0.8, 3.0]])
