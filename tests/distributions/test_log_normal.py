"""tensorgrad.distributions.log_normal against torch.distributions.log_normal."""

from __future__ import annotations

import numpy as np
import pytest

from tensorgrad.distributions import LogNormal

from .helpers import DTYPES, SHAPES2, compare, rsample_gradcheck


@pytest.mark.parametrize("dtype, tol", DTYPES)
@pytest.mark.parametrize("loc_shape, scale_shape, value_shape", SHAPES2)
def test_log_normal_matches_torch(loc_shape, scale_shape, value_shape, dtype, tol):
    rng = np.random.default_rng(0)
    params = [
        rng.standard_normal(loc_shape) / 2,
        rng.uniform(0.3, 1.0, scale_shape),
        rng.uniform(0.2, 3.0, value_shape),
        rng.uniform(0.05, 0.95, value_shape),
    ]

    def build(lib, D, loc, scale, value, q):
        d = D.LogNormal(loc, scale)
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


def test_log_normal_rsample_gradient():
    rsample_gradcheck(LogNormal, [[0.3, -1.0], [0.7, 0.5]])
