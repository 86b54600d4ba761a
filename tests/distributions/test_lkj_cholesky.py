"""tensorgrad.distributions.lkj_cholesky against torch.distributions.lkj_cholesky."""

from __future__ import annotations

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.distributions import LKJCholesky

from .helpers import DTYPES, compare, torch


def _factors(dim, batch, seed=0):
    """Cholesky factors of random correlation matrices (PyTorch's draws)."""
    torch.manual_seed(seed)
    eta = torch.tensor(1.5, dtype=torch.float64)
    return torch.distributions.LKJCholesky(dim, eta).sample(batch).numpy()


@pytest.mark.parametrize("dtype, tol", DTYPES)
@pytest.mark.parametrize("dim", [2, 4])
@pytest.mark.parametrize("c_shape, value_batch", [((), (5,)), ((3,), (3,)), ((2, 1), (4, 2, 3))])
def test_lkj_cholesky_log_prob_matches_torch(dim, c_shape, value_batch, dtype, tol):
    rng = np.random.default_rng(0)
    params = [rng.uniform(0.3, 4.0, c_shape), _factors(dim, value_batch)]

    def build(lib, D, concentration, value):
        return {"log_prob": D.LKJCholesky(dim, concentration).log_prob(value)}

    compare(build, params, dtype, tol)


def test_lkj_cholesky_normalises():
    # at dim 2, L = [[1, 0], [r, sqrt(1 - r^2)]] has one free coordinate r: the density of L
    # (in r) must integrate to 1 over r in (-1, 1)
    eta = tg.tensor([0.7, 1.0, 3.0], dtype=tg.float64)
    r = np.linspace(-1, 1, 200001)[1:-1]
    rows = np.stack(
        [np.stack([np.ones_like(r), 0 * r], -1), np.stack([r, np.sqrt(1 - r**2)], -1)], -2
    )
    lp = LKJCholesky(2, eta.unsqueeze(-1)).log_prob(tg.tensor(rows)).numpy()
    np.testing.assert_allclose(np.trapezoid(np.exp(lp), r, axis=-1), 1.0, rtol=2e-3)


def test_lkj_cholesky_samples_and_expand():
    d = LKJCholesky(3, tg.tensor([0.5, 2.0]))
    assert not d.has_rsample
    x = d.sample((4,))
    assert x.shape == (4, 2, 3, 3) and bool(d.support.check(x).all())
    e = d.expand((5, 2))
    assert type(e) is LKJCholesky and e.batch_shape == (5, 2) and e.sample().shape == (5, 2, 3, 3)
    assert LKJCholesky(3).batch_shape == () and LKJCholesky(3).sample().dtype == tg.float32


def test_lkj_cholesky_errors():
    with pytest.raises(ValueError, match="greater than or equal to 2"):
        LKJCholesky(1)
    with pytest.raises(ValueError, match="parameter concentration"):
        LKJCholesky(3, tg.tensor([1.0, -1.0]))
    with pytest.raises(ValueError, match="CorrCholesky"):
        LKJCholesky(2).log_prob(tg.tensor([[1.0, 0.0], [1.0, 1.0]]))
