"""tensorgrad.distributions.independent against torch.distributions.independent."""

from __future__ import annotations

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.distributions import Bernoulli, Independent, Normal

from .helpers import DTYPES, compare


@pytest.mark.parametrize("dtype, tol", DTYPES)
@pytest.mark.parametrize("ndims", [0, 1, 2])
def test_independent_matches_torch(ndims, dtype, tol):
    rng = np.random.default_rng(0)
    params = [
        rng.standard_normal((2, 3)),
        rng.uniform(0.5, 2.0, (2, 3)),
        rng.standard_normal((4, 2, 3)),
    ]

    def build(lib, D, loc, scale, value):
        d = D.Independent(D.Normal(loc, scale), ndims)
        return {
            "log_prob": d.log_prob(value),
            "entropy": d.entropy(),
            "mean": d.mean,
            "variance": d.variance,
        }

    compare(build, params, dtype, tol)


def test_independent_shapes_and_errors():
    d = Independent(Normal(tg.zeros(4, 2, 3), 1.0), 2)
    assert d.batch_shape == (4,) and d.event_shape == (2, 3)
    assert d.support.event_dim == 2 and d.has_rsample
    assert d.expand((5, 4)).batch_shape == (5, 4)
    assert repr(Independent(Normal(tg.zeros(3), 1.0), 1)) == (
        "Independent(Normal(loc: (3,), scale: (3,)), 1)"
    )
    b = Independent(Bernoulli(tg.full((2, 3), 0.5)), 1)
    assert not b.has_enumerate_support
    with pytest.raises(NotImplementedError, match="cartesian product"):
        b.enumerate_support()
    assert Independent(Bernoulli(tg.full((2,), 0.5)), 0).enumerate_support().shape == (2, 2)
    with pytest.raises(ValueError, match="reinterpreted_batch_ndims"):
        Independent(Normal(tg.zeros(3), 1.0), 2)
