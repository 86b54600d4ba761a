"""tensorgrad.distributions.uniform against torch.distributions.uniform."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.distributions import Uniform

from .helpers import DTYPES, compare, rsample_gradcheck


@pytest.mark.parametrize("dtype, tol", DTYPES)
@pytest.mark.parametrize("low_shape, high_shape", [((), ()), ((3,), (2, 3)), ((2, 1), (1, 3))])
def test_uniform_matches_torch(low_shape, high_shape, dtype, tol):
    rng = np.random.default_rng(0)
    low = rng.uniform(-2, -1, low_shape)
    high = rng.uniform(1, 3, high_shape)
    value = np.broadcast_to(rng.uniform(-1, 1, ()), np.broadcast_shapes(low_shape, high_shape))
    u = np.broadcast_to(rng.uniform(0, 1, ()), value.shape)

    def build(lib, D, lo, hi, v, q):
        d = D.Uniform(lo, hi)
        return {
            "log_prob": d.log_prob(v.detach()),
            "cdf": d.cdf(v),
            "icdf": d.icdf(q),
            "entropy": d.entropy(),
            "mean": d.mean,
            "variance": d.variance,
            "stddev": d.stddev,
        }

    compare(build, [low, high, np.array(value), np.array(u)], dtype, tol)


def test_uniform_samples_and_outside_support():
    d = Uniform(tg.tensor([0.0, -2.0]), tg.tensor([1.0, 2.0]), validate_args=False)
    s = d.rsample((20000,)).numpy()
    assert (s >= [0.0, -2.0]).all() and (s < [1.0, 2.0]).all()
    assert abs(s[:, 1].mean()) <= 5 * math.sqrt(16 / 12 / len(s))
    assert np.isneginf(d.log_prob(tg.tensor([1.5, 0.0])).numpy()[0])
    rsample_gradcheck(Uniform, [[0.0, -2.0], [1.0, 2.0]])
