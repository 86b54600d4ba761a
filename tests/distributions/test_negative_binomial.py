"""tensorgrad.distributions.negative_binomial against torch.distributions.negative_binomial."""

from __future__ import annotations

import numpy as np
import pytest

from .helpers import DTYPES, compare


@pytest.mark.parametrize("dtype, tol", DTYPES)
@pytest.mark.parametrize("param", ["probs", "logits"])
def test_negative_binomial_matches_torch(param, dtype, tol):
    rng = np.random.default_rng(0)
    theta = rng.uniform(0.1, 0.9, (2, 3)) if param == "probs" else rng.standard_normal((2, 3))
    params = [rng.uniform(0.5, 4.0, (3,)), theta, rng.integers(0, 6, (4, 1, 3)).astype(float)]

    def build(lib, D, r, t, value):
        d = D.NegativeBinomial(r, **{param: t})
        return {
            "log_prob": d.log_prob(value.detach()),
            "mean": d.mean,
            "mode": d.mode,
            "variance": d.variance,
        }

    compare(build, params, dtype, tol)


@pytest.mark.parametrize("dtype, tol", DTYPES)
def test_negative_binomial_zero_count(dtype, tol):
    def build(lib, D, p, value):
        return {"log_prob": D.NegativeBinomial(0.0, p).log_prob(value.detach())}

    compare(build, [np.array([0.3, 0.6]), np.array([0.0, 2.0])], dtype, tol)
