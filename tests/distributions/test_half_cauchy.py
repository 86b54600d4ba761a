"""tensorgrad.distributions.half_cauchy against torch.distributions.half_cauchy."""

from __future__ import annotations

import numpy as np
import pytest

from tensorgrad.distributions import HalfCauchy

from .helpers import DTYPES, compare, rsample_gradcheck


@pytest.mark.parametrize("dtype, tol", DTYPES)
@pytest.mark.parametrize("scale_shape, value_shape", [((), ()), ((2, 3), (4, 1, 3))])
def test_half_cauchy_matches_torch(scale_shape, value_shape, dtype, tol):
    rng = np.random.default_rng(0)
    params = [
        rng.uniform(0.5, 2.5, scale_shape),
        rng.uniform(0.0, 3.0, value_shape),
        rng.uniform(0.05, 0.95, value_shape),
    ]

    def build(lib, D, scale, value, q):
        d = D.HalfCauchy(scale)
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


def test_half_cauchy_rsample_gradient():
    rsample_gradcheck(HalfCauchy, [[0.5, 2.0]])
