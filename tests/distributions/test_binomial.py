"""tensorgrad.distributions.binomial against torch.distributions.binomial."""

from __future__ import annotations

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.distributions import Binomial

from .helpers import DTYPES, compare


@pytest.mark.parametrize("dtype, tol", DTYPES)
@pytest.mark.parametrize("param", ["probs", "logits"])
def test_binomial_matches_torch(param, dtype, tol):
    rng = np.random.default_rng(0)
    theta = rng.uniform(0.1, 0.9, (2, 3)) if param == "probs" else rng.standard_normal((2, 3))
    params = [theta, rng.integers(0, 6, (4, 1, 3)).astype(float)]

    def build(lib, D, t, value):
        d = D.Binomial(5, **{param: t})
        return {
            "log_prob": d.log_prob(value.detach()),
            "entropy": d.entropy(),
            "mean": d.mean,
            "mode": d.mode,
            "variance": d.variance,
            "probs": d.probs,
            "logits": d.logits,
            "enumerate_support": d.enumerate_support(),
        }

    compare(build, params, dtype, tol)


@pytest.mark.parametrize("dtype, tol", DTYPES)
def test_binomial_with_varying_counts_matches_torch(dtype, tol):
    def build(lib, D, n, p, value):
        d = D.Binomial(n.detach(), p)
        return {"log_prob": d.log_prob(value.detach()), "mean": d.mean, "mode": d.mode}

    params = [np.array([0.0, 3.0, 10.0]), np.array([0.3, 0.5, 0.99]), np.array([0.0, 2.0, 10.0])]
    compare(build, params, dtype, tol)


def test_binomial_samples_stay_in_range():
    d = Binomial(tg.tensor([0.0, 3.0, 10.0]), tg.tensor([0.5, 1.0, 0.2]))
    s = d.sample((500,)).numpy()
    assert (s >= 0).all() and (s <= [0, 3, 10]).all() and (s[:, 1] == 3).all()
