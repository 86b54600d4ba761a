"""tensorgrad.distributions.kumaraswamy against torch.distributions.kumaraswamy."""

from __future__ import annotations

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.distributions import Kumaraswamy

from .helpers import DTYPES, SHAPES2, compare, rsample_gradcheck


@pytest.mark.parametrize("dtype, tol", DTYPES)
@pytest.mark.parametrize("a_shape, b_shape, value_shape", SHAPES2)
def test_kumaraswamy_matches_torch(a_shape, b_shape, value_shape, dtype, tol):
    rng = np.random.default_rng(0)
    params = [
        rng.uniform(0.5, 3.0, a_shape),
        rng.uniform(0.5, 3.0, b_shape),
        rng.uniform(0.05, 0.95, value_shape),
        rng.uniform(0.05, 0.95, value_shape),
    ]

    def build(lib, D, a, b, value, q):
        d = D.Kumaraswamy(a, b)
        return {
            "log_prob": d.log_prob(value),
            "cdf": d.cdf(value),
            "icdf": d.icdf(q),
            "entropy": d.entropy(),
            "mean": d.mean,
            "variance": d.variance,
        }

    compare(build, params, dtype, tol, grad_tol=1e-8 if dtype == np.float64 else None)


def test_kumaraswamy_mode_is_the_density_maximum():
    # PyTorch 2.13's mode is NaN for every a, b > 1; ours is ((a - 1) / (a b - 1))^(1/a)
    a = tg.tensor([2.0, 3.0, 0.5, 1.5], dtype=tg.float64)
    b = tg.tensor([3.0, 2.0, 2.0, 0.5], dtype=tg.float64)
    d = Kumaraswamy(a, b)
    mode = d.mode.numpy()
    assert np.isnan(mode[2:]).all()
    x = np.linspace(0.001, 0.999, 9999)
    grid = d.expand((len(x), 4)).log_prob(tg.tensor(np.repeat(x[:, None], 4, 1))).numpy()
    np.testing.assert_allclose(mode[:2], x[grid[:, :2].argmax(0)], atol=2e-4)


def test_kumaraswamy_rsample_gradient():
    rsample_gradcheck(Kumaraswamy, [[0.5, 2.0], [0.8, 3.0]])
