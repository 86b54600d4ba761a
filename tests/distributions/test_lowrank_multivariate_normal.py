"""tensorgrad.distributions.lowrank_multivariate_normal against
torch.distributions.lowrank_multivariate_normal."""

from __future__ import annotations

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.distributions import LowRankMultivariateNormal

from .helpers import DTYPES, compare, rsample_gradcheck


@pytest.mark.parametrize("dtype, tol", DTYPES)
@pytest.mark.parametrize(
    "loc_batch, w_batch, value_batch", [((), (), ()), ((2,), (3, 1), (4, 1, 1))]
)
def test_lowrank_matches_torch(loc_batch, w_batch, value_batch, dtype, tol):
    rng = np.random.default_rng(0)
    params = [
        rng.standard_normal(loc_batch + (4,)),
        rng.standard_normal(w_batch + (4, 2)),
        rng.uniform(0.5, 2.0, (4,)),
        rng.standard_normal(value_batch + (4,)),
    ]

    def build(lib, D, loc, W, diag, value):
        d = D.LowRankMultivariateNormal(loc, W, diag)
        return {
            "log_prob": d.log_prob(value),
            "entropy": d.entropy(),
            "mean": d.mean,
            "variance": d.variance,
            "scale_tril": d.scale_tril,
            "covariance_matrix": d.covariance_matrix,
            "precision_matrix": d.precision_matrix,
        }

    compare(build, params, dtype, max(tol, 1e-9), grad_tol=1e-8 if dtype == np.float64 else 1e-3)


def test_lowrank_rsample():
    rsample_gradcheck(LowRankMultivariateNormal, [[0.5, -1.0], [[1.0], [0.3]], [0.5, 0.2]])
    d = LowRankMultivariateNormal(
        tg.zeros(2, dtype=tg.float64), tg.tensor([[1.0], [0.5]], dtype=tg.float64), tg.ones(2)
    )
    x = d.sample((20000,)).numpy()
    np.testing.assert_allclose(np.cov(x.T), [[2.0, 0.5], [0.5, 1.25]], rtol=0.05, atol=0.03)
