"""tensorgrad.distributions.multivariate_normal against
torch.distributions.multivariate_normal."""

from __future__ import annotations

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.distributions import MultivariateNormal

from .helpers import DTYPES, compare, rsample_gradcheck


def _spd(rng, batch, n):
    a = rng.standard_normal(batch + (n, n))
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


@pytest.mark.parametrize("dtype, tol", DTYPES)
@pytest.mark.parametrize("kind", ["covariance_matrix", "precision_matrix", "scale_tril"])
@pytest.mark.parametrize(
    "loc_batch, mat_batch, value_batch", [((), (), ()), ((2,), (3, 1), (4, 1, 1))]
)
def test_multivariate_normal_matches_torch(kind, loc_batch, mat_batch, value_batch, dtype, tol):
    rng = np.random.default_rng(0)
    matrix = _spd(rng, mat_batch, 3)
    if kind == "scale_tril":
        matrix = np.linalg.cholesky(matrix)
    params = [
        rng.standard_normal(loc_batch + (3,)),
        matrix,
        rng.standard_normal(value_batch + (3,)),
    ]

    def build(lib, D, loc, m, value):
        # a function of the free entries (the triangle, or a symmetric matrix), so both
        # libraries differentiate the same map
        m = m.tril() if kind == "scale_tril" else (m + m.mT) / 2
        d = D.MultivariateNormal(loc, **{kind: m})
        return {
            "log_prob": d.log_prob(value),
            "entropy": d.entropy(),
            "mean": d.mean,
            "mode": d.mode,
            "variance": d.variance,
            "scale_tril": d.scale_tril,
            "covariance_matrix": d.covariance_matrix,
            "precision_matrix": d.precision_matrix,
        }

    compare(build, params, dtype, max(tol, 1e-9), grad_tol=1e-8 if dtype == np.float64 else 1e-3)


def test_multivariate_normal_rsample():
    rsample_gradcheck(
        lambda loc, L: MultivariateNormal(loc, scale_tril=L.tril()),
        [[0.5, -1.0], [[1.0, 0.0], [0.3, 0.7]]],
    )
    cov = np.array([[2.0, 0.6], [0.6, 0.5]])
    d = MultivariateNormal(tg.tensor([1.0, -1.0], dtype=tg.float64), tg.tensor(cov))
    x = d.sample((20000,)).numpy()
    assert x.shape == (20000, 2)
    np.testing.assert_allclose(np.cov(x.T), cov, rtol=0.05, atol=0.02)
    np.testing.assert_allclose(x.mean(0), [1.0, -1.0], atol=0.05)
