"""tensorgrad.distributions.relaxed_categorical against
torch.distributions.relaxed_categorical."""

from __future__ import annotations

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.distributions import RelaxedOneHotCategorical

from .helpers import DTYPES, compare, rsample_gradcheck


@pytest.mark.parametrize("dtype, tol", DTYPES)
@pytest.mark.parametrize("param", ["probs", "logits"])
def test_relaxed_one_hot_categorical_matches_torch(param, dtype, tol):
    rng = np.random.default_rng(0)
    theta = rng.uniform(0.1, 2.0, (2, 3)) if param == "probs" else rng.standard_normal((2, 3))
    value = rng.dirichlet(np.ones(3), (4, 2))

    def build(lib, D, t, p, v):
        d = D.RelaxedOneHotCategorical(t, **{param: p})
        return {
            "log_prob": d.log_prob(v),
            "base_log_prob": d.base_dist.log_prob(v.log()),
            "probs": d.probs,
            "logits": d.logits,
        }

    compare(build, [np.array(0.6), theta, value], dtype, tol)


def test_relaxed_one_hot_rsample_gradient_and_low_temperature():
    rsample_gradcheck(lambda t, p: RelaxedOneHotCategorical(t, p), [0.7, [0.2, 0.3, 0.5]])
    d = RelaxedOneHotCategorical(tg.tensor(0.01), tg.tensor([0.2, 0.3, 0.5]))
    s = d.sample((4000,)).numpy()
    np.testing.assert_allclose(s.sum(-1), 1.0, rtol=1e-5)
    assert (s.max(-1) > 0.99).mean() > 0.95
    freq = np.bincount(s.argmax(-1), minlength=3) / len(s)
    np.testing.assert_allclose(freq, [0.2, 0.3, 0.5], atol=0.04)
