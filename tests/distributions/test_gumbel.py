"""tensorgrad.distributions.gumbel against torch.distributions.gumbel."""

from __future__ import annotations

import numpy as np
import pytest

from tensorgrad.distributions import Gumbel

from .helpers import DTYPES, SHAPES2, compare, rsample_gradcheck


@pytest.mark.parametrize("dtype, tol", DTYPES)
@pytest.mark.parametrize("loc_shape, scale_shape, value_shape", SHAPES2)
def test_gumbel_matches_torch(loc_shape, scale_shape, value_shape, dtype, tol):
    rng = np.random.default_rng(0)
    params = [
        rng.standard_normal(loc_shape),
        rng.uniform(0.5, 2.5, scale_shape),
        rng.standard_normal(value_shape) * 0.5,
        rng.uniform(0.05, 0.95, value_shape),
    ]

    def build(lib, D, loc, scale, value, q):
        d = D.Gumbel(loc, scale)
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

    compare(build, params, dtype, tol, grad_tol=1e-9 if dtype == np.float64 else None)


def test_gumbel_rsample_gradient_and_numbers():
    rsample_gradcheck(Gumbel, [[0.3, -1.0], [0.7, 1.5]])
    d = Gumbel(0.5, 2.0)
    assert d.batch_shape == () and d.sample((3,)).shape == (3,)
