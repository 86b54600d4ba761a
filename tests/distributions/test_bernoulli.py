"""tensorgrad.distributions.bernoulli against torch.distributions.bernoulli."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.distributions import Bernoulli

from .helpers import DTYPES, compare


@pytest.mark.parametrize("dtype, tol", DTYPES)
@pytest.mark.parametrize("param", ["probs", "logits"])
@pytest.mark.parametrize("param_shape, value_shape", [((), ()), ((3,), (3,)), ((2, 3), (4, 1, 3))])
def test_bernoulli_matches_torch(param_shape, value_shape, param, dtype, tol):
    rng = np.random.default_rng(0)
    p = (
        rng.uniform(0.05, 0.95, param_shape)
        if param == "probs"
        else rng.standard_normal(param_shape)
    )
    value = rng.integers(0, 2, value_shape).astype(np.float64)

    def build(lib, D, theta, v):
        d = D.Bernoulli(**{param: theta})
        return {
            "log_prob": d.log_prob(v.detach()),
            "entropy": d.entropy(),
            "probs": d.probs,
            "logits": d.logits,
            "mean": d.mean,
            "variance": d.variance,
            "stddev": d.stddev,
            "mode": d.mode,
        }

    compare(build, [p, value], dtype, tol)


def test_bernoulli_samples_and_scalars():
    d = Bernoulli(0.3)
    assert d.batch_shape == () and d.sample().shape == ()
    s = d.sample((20000,)).numpy()
    assert set(np.unique(s)) == {0.0, 1.0}
    assert abs(s.mean() - 0.3) <= 5 * math.sqrt(0.21 / len(s))
    b = Bernoulli(logits=tg.zeros(2, 3, dtype=tg.float64))
    assert b.sample((4,)).shape == (4, 2, 3) and b.sample().dtype == tg.float64
    assert b.enumerate_support().shape == (2, 2, 3)
    assert np.isnan(Bernoulli(tg.tensor([0.5])).mode.numpy()).all()
