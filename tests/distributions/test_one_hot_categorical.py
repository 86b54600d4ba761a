"""tensorgrad.distributions.one_hot_categorical against
torch.distributions.one_hot_categorical."""

from __future__ import annotations

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.distributions import OneHotCategorical, OneHotCategoricalStraightThrough

from .helpers import DTYPES, compare


@pytest.mark.parametrize("dtype, tol", DTYPES)
@pytest.mark.parametrize("param", ["probs", "logits"])
def test_one_hot_categorical_matches_torch(param, dtype, tol):
    rng = np.random.default_rng(0)
    theta = rng.uniform(0.1, 2.0, (2, 3)) if param == "probs" else rng.standard_normal((2, 3))
    value = np.eye(3)[rng.integers(0, 3, (4, 2))]

    def build(lib, D, t, v):
        d = D.OneHotCategorical(**{param: t})
        return {
            "log_prob": d.log_prob(v.detach()),
            "entropy": d.entropy(),
            "mean": d.mean,
            "mode": d.mode,
            "variance": d.variance,
            "enumerate_support": d.enumerate_support(),
            "support_unexpanded": d.enumerate_support(expand=False),
        }

    compare(build, [theta, value], dtype, tol)


def test_straight_through_gradient_is_that_of_probs():
    logits = tg.tensor([[0.5, -1.0, 2.0]], requires_grad=True)
    d = OneHotCategoricalStraightThrough(logits=logits)
    s = d.rsample((5,))
    assert set(np.unique(s.detach().numpy())) <= {0.0, 1.0}
    np.testing.assert_allclose(s.detach().numpy().sum(-1), 1.0)
    w = tg.tensor([1.0, 2.0, 3.0])
    (s * w).sum().backward()
    probs = logits.detach().softmax(-1).numpy()[0]
    expected = 5 * probs * (np.array([1.0, 2.0, 3.0]) - probs @ np.array([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(logits.grad.numpy()[0], expected, rtol=1e-5)
    assert not OneHotCategorical(logits=logits).has_rsample
