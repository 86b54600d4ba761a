"""tensorgrad.distributions.multinomial against torch.distributions.multinomial."""

from __future__ import annotations

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.distributions import Multinomial

from .helpers import DTYPES, compare


@pytest.mark.parametrize("dtype, tol", DTYPES)
@pytest.mark.parametrize("param", ["probs", "logits"])
def test_multinomial_matches_torch(param, dtype, tol):
    rng = np.random.default_rng(0)
    theta = rng.uniform(0.1, 2.0, (2, 3)) if param == "probs" else rng.standard_normal((2, 3))
    value = np.array([[[1.0, 2.0, 1.0], [0.0, 0.0, 4.0]], [[4.0, 0.0, 0.0], [2.0, 1.0, 1.0]]])

    def build(lib, D, t, v):
        d = D.Multinomial(4, **{param: t})
        return {
            "log_prob": d.log_prob(v.detach()),
            "entropy": d.entropy(),
            "mean": d.mean,
            "variance": d.variance,
        }

    # PyTorch computes lgamma(n + 1) of an int64 n in float32 inside the float64 entropy
    compare(build, [theta, value], dtype, max(tol, 1e-6))


def test_multinomial_samples_count_total_and_zero_probabilities():
    d = Multinomial(7, tg.tensor([[0.2, 0.0, 0.8], [0.5, 0.5, 0.0]]))
    s = d.sample((300,)).numpy()
    assert s.shape == (300, 2, 3) and (s.sum(-1) == 7).all()
    assert (s[:, 0, 1] == 0).all() and (s[:, 1, 2] == 0).all()
    lp = d.log_prob(tg.tensor([[2.0, 0.0, 5.0], [3.0, 4.0, 0.0]]))
    assert np.isfinite(lp.numpy()).all()
