"""tensorgrad.distributions.poisson against torch.distributions.poisson."""

from __future__ import annotations

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.distributions import Poisson

from .helpers import DTYPES, compare


@pytest.mark.parametrize("dtype, tol", DTYPES)
@pytest.mark.parametrize("rate_shape, value_shape", [((), ()), ((2, 3), (4, 1, 3))])
def test_poisson_matches_torch(rate_shape, value_shape, dtype, tol):
    rng = np.random.default_rng(0)
    params = [rng.uniform(0.5, 6.0, rate_shape), rng.integers(0, 8, value_shape).astype(float)]

    def build(lib, D, rate, value):
        d = D.Poisson(rate)
        return {
            "log_prob": d.log_prob(value.detach()),
            "mean": d.mean,
            "mode": d.mode,
            "variance": d.variance,
        }

    compare(build, params, dtype, tol)


def test_poisson_zero_rate_and_samples():
    d = Poisson(tg.tensor([0.0, 3.0]))
    np.testing.assert_allclose(d.log_prob(tg.tensor([0.0, 0.0])).numpy(), [0.0, -3.0])
    s = d.sample((1000,)).numpy()
    assert (s[:, 0] == 0).all() and (s == np.round(s)).all()
