"""tensorgrad.distributions.categorical against torch.distributions.categorical."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.distributions import Categorical

from .helpers import DTYPES, compare

CATEGORICAL_SHAPES = [((4,), ()), ((4,), (5,)), ((3, 4), (3,)), ((2, 3, 5), (6, 1, 1))]


@pytest.mark.parametrize("dtype, tol", DTYPES)
@pytest.mark.parametrize("param", ["probs", "logits"])
@pytest.mark.parametrize("param_shape, value_shape", CATEGORICAL_SHAPES)
def test_categorical_matches_torch(param_shape, value_shape, param, dtype, tol):
    rng = np.random.default_rng(0)
    p = rng.uniform(0.1, 2.0, param_shape) if param == "probs" else rng.standard_normal(param_shape)
    value = rng.integers(0, param_shape[-1], value_shape)

    def build(lib, D, theta, v):
        d = D.Categorical(**{param: theta})
        return {
            "log_prob": d.log_prob(v),
            "entropy": d.entropy(),
            "probs": d.probs,
            "logits": d.logits,
            "mode": d.mode,
            "mean": d.mean,
            "variance": d.variance,
            "enumerate_support": d.enumerate_support(),
        }

    compare(build, [p, value], dtype, tol)


@pytest.mark.parametrize("dtype, tol", DTYPES)
def test_categorical_with_zero_probabilities_matches_torch(dtype, tol):
    p = np.array([[0.0, 1.0, 3.0], [2.0, 0.0, 0.0]])

    def build(lib, D, probs, v):
        d = D.Categorical(probs=probs)
        return {"entropy": d.entropy(), "log_prob": d.log_prob(v), "logits": d.logits}

    compare(build, [p, np.array([1, 0])], dtype, tol)


def test_categorical_sample_shapes_and_frequencies():
    probs = tg.tensor([[0.1, 0.2, 0.7], [0.5, 0.0, 0.5]])
    d = Categorical(probs=probs)
    assert d.batch_shape == (2,) and d.event_shape == () and d.param_shape == (2, 3)
    assert d.sample().shape == (2,) and d.sample().dtype == tg.int64
    s = d.sample((20000,)).numpy()
    assert s.shape == (20000, 2)
    assert not (s[:, 1] == 1).any()
    for j, row in enumerate(probs.numpy()):
        for k, pk in enumerate(row):
            assert abs((s[:, j] == k).mean() - pk) <= 5 * math.sqrt(pk * (1 - pk) / len(s)) + 1e-12
    assert Categorical(logits=tg.zeros(4)).sample((3, 2)).shape == (3, 2)
    assert Categorical(logits=tg.zeros(2, 4)).expand((5, 2)).sample().shape == (5, 2)


def test_categorical_lazy_parameters():
    d = Categorical(logits=tg.tensor([1.0, 2.0, 3.0]))
    assert "logits" in d.__dict__ and "probs" not in d.__dict__
    with tg.no_grad():
        p = d.probs  # computed with grad on, as PyTorch's lazy_property does
    assert "probs" in d.__dict__
    np.testing.assert_allclose(p.detach().numpy().sum(), 1.0, rtol=1e-6)
