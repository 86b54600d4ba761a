"""tensorgrad.distributions.mixture_same_family against
torch.distributions.mixture_same_family."""

from __future__ import annotations

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.distributions import Categorical, MixtureSameFamily, Normal

from .helpers import DTYPES, compare


@pytest.mark.parametrize("dtype, tol", DTYPES)
def test_gaussian_mixture_matches_torch(dtype, tol):
    rng = np.random.default_rng(0)
    params = [
        rng.uniform(0.2, 2.0, (2, 3)),
        rng.standard_normal((2, 3)) * 2,
        rng.uniform(0.5, 1.5, (2, 3)),
        rng.standard_normal((4, 2)),
    ]

    def build(lib, D, w, loc, scale, value):
        d = D.MixtureSameFamily(D.Categorical(w), D.Normal(loc, scale))
        return {
            "log_prob": d.log_prob(value),
            "cdf": d.cdf(value),
            "mean": d.mean,
            "variance": d.variance,
        }

    compare(build, params, dtype, tol)


@pytest.mark.parametrize("dtype, tol", DTYPES)
def test_mixture_of_multivariate_components_matches_torch(dtype, tol):
    rng = np.random.default_rng(0)
    params = [
        rng.uniform(0.2, 2.0, (3,)),
        rng.standard_normal((2, 3, 4)),
        rng.uniform(0.5, 1.5, (2, 3, 4)),
        rng.standard_normal((5, 2, 4)),
    ]

    def build(lib, D, w, loc, scale, value):
        components = D.Independent(D.Normal(loc, scale), 1)
        d = D.MixtureSameFamily(D.Categorical(w), components)
        assert tuple(d.batch_shape) == (2,) and tuple(d.event_shape) == (4,)
        return {"log_prob": d.log_prob(value), "mean": d.mean, "variance": d.variance}

    compare(build, params, dtype, tol)


def test_mixture_sampling_and_errors():
    d = MixtureSameFamily(
        Categorical(tg.tensor([0.3, 0.7])), Normal(tg.tensor([-5.0, 5.0]), tg.tensor(0.1))
    )
    s = d.sample((4000,)).numpy()
    assert s.shape == (4000,)
    assert abs((s > 0).mean() - 0.7) < 0.04 and np.abs(np.abs(s) - 5).max() < 1
    assert not d.has_rsample
    assert d.expand((3,)).sample((2,)).shape == (2, 3)
    with pytest.raises(ValueError, match="Categorical"):
        MixtureSameFamily(Normal(0.0, 1.0), Normal(tg.zeros(2), 1.0))
    with pytest.raises(ValueError, match="does not equal"):
        MixtureSameFamily(Categorical(tg.ones(3)), Normal(tg.zeros(2), 1.0))
