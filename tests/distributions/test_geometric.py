"""tensorgrad.distributions.geometric against torch.distributions.geometric."""

from __future__ import annotations

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.distributions import Geometric

from .helpers import DTYPES, compare


@pytest.mark.parametrize("dtype, tol", DTYPES)
@pytest.mark.parametrize("param", ["probs", "logits"])
def test_geometric_matches_torch(param, dtype, tol):
    rng = np.random.default_rng(0)
    theta = rng.uniform(0.1, 0.9, (2, 3)) if param == "probs" else rng.standard_normal((2, 3))
    params = [theta, rng.integers(0, 6, (4, 1, 3)).astype(float)]

    def build(lib, D, t, value):
        d = D.Geometric(**{param: t})
        return {
            "log_prob": d.log_prob(value.detach()),
            "entropy": d.entropy(),
            "mean": d.mean,
            "mode": d.mode,
            "variance": d.variance,
        }

    compare(build, params, dtype, tol)


def test_geometric_certain_success():
    d = Geometric(tg.tensor([1.0, 0.5]))
    np.testing.assert_allclose(d.log_prob(tg.tensor([0.0, 0.0])).numpy(), [0.0, np.log(0.5)])
    assert (d.sample((100,)).numpy()[:, 0] == 0).all()
