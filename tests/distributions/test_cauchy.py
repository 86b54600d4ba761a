"""tensorgrad.distributions.cauchy against torch.distributions.cauchy."""

from __future__ import annotations

import numpy as np
import pytest

from tensorgrad.distributions import Cauchy

from .helpers import DTYPES, SHAPES2, compare, rsample_gradcheck


@pytest.mark.parametrize("dtype, tol", DTYPES)
@pytest.mark.parametrize("loc_shape, scale_shape, value_shape", SHAPES2)
def test_cauchy_matches_torch(loc_shape, scale_shape, value_shape, dtype, tol):
    rng = np.random.default_rng(0)
    params = [
        rng.standard_normal(loc_shape),
        rng.uniform(0.5, 2.5, scale_shape),
        rng.standard_normal(value_shape) * 2,
        rng.uniform(0.05, 0.95, value_shape),
    ]

    def build(lib, D, loc, scale, value, q):
        d = D.Cauchy(loc, scale)
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


def test_cauchy_rsample_gradient_and_median():
    rsample_gradcheck(Cauchy, [[0.3, -1.0], [0.7, 1.5]])
    s = Cauchy(1.0, 2.0).sample((20000,)).numpy()
    assert abs(np.median(s) - 1.0) < 0.1  # the median's standard error is pi b / (2 sqrt n)
    assert abs(np.mean(np.abs(s - 1.0) < 2.0) - 0.5) < 0.02  # the quartiles are loc +- scale
