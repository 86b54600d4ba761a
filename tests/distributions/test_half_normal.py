"""tensorgrad.distributions.half_normal against torch.distributions.half_normal."""

from __future__ import annotations

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.distributions import HalfNormal

from .helpers import DTYPES, compare, rsample_gradcheck


@pytest.mark.parametrize("dtype, tol", DTYPES)
@pytest.mark.parametrize("scale_shape, value_shape", [((), ()), ((2, 3), (4, 1, 3))])
def test_half_normal_matches_torch(scale_shape, value_shape, dtype, tol):
    rng = np.random.default_rng(0)
    params = [
        rng.uniform(0.5, 2.5, scale_shape),
        rng.uniform(0.0, 3.0, value_shape),
        rng.uniform(0.05, 0.95, value_shape),
    ]

    def build(lib, D, scale, value, q):
        d = D.HalfNormal(scale)
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


def test_half_normal_rsample_gradient_and_negative_values():
    rsample_gradcheck(HalfNormal, [[0.5, 2.0]])
    d = HalfNormal(tg.ones(2), validate_args=False)
    assert np.isneginf(d.log_prob(tg.tensor([-1.0, 1.0])).numpy()[0])
