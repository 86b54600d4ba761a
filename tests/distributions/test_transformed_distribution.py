"""tensorgrad.distributions.transformed_distribution against
torch.distributions.transformed_distribution."""

from __future__ import annotations

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.distributions import Normal, TransformedDistribution
from tensorgrad.distributions import transforms as T

from .helpers import DTYPES, compare, rsample_gradcheck


@pytest.mark.parametrize("dtype, tol", DTYPES)
def test_tanh_normal_matches_torch(dtype, tol):
    # the squashed Gaussian policy of SAC: Normal -> tanh -> affine
    rng = np.random.default_rng(0)
    params = [
        rng.standard_normal((2, 3)),
        rng.uniform(0.3, 1.0, (2, 3)),
        rng.uniform(-1.8, 3.8, (4, 2, 3)),
        rng.uniform(0.05, 0.95, (2, 3)),
    ]

    def build(lib, D, loc, scale, value, q):
        d = D.TransformedDistribution(
            D.Normal(loc, scale),
            [D.transforms.TanhTransform(), D.transforms.AffineTransform(1.0, 3.0)],
        )
        return {"log_prob": d.log_prob(value), "cdf": d.cdf(value), "icdf": d.icdf(q)}

    compare(build, params, dtype, max(tol, 1e-9))


@pytest.mark.parametrize("dtype, tol", DTYPES)
def test_event_coupling_transforms_match_torch(dtype, tol):
    # stick breaking couples the last dim: the base's batch dim becomes an event dim
    rng = np.random.default_rng(0)
    params = [
        rng.standard_normal((2, 3)),
        rng.uniform(0.5, 1.5, (2, 3)),
        rng.dirichlet(np.ones(4), 2),
    ]

    def build(lib, D, loc, scale, value):
        d = D.TransformedDistribution(D.Normal(loc, scale), D.transforms.StickBreakingTransform())
        assert tuple(d.batch_shape) == (2,) and tuple(d.event_shape) == (4,)
        return {"log_prob": d.log_prob(value)}

    compare(build, params, dtype, max(tol, 1e-9))


def test_transformed_shapes_sampling_and_errors():
    base = Normal(tg.zeros(2, 3), tg.ones(2, 3))
    d = TransformedDistribution(base, [T.ReshapeTransform((2, 3), (6,))])
    assert d.batch_shape == () and d.event_shape == (6,)
    assert d.sample((5,)).shape == (5, 6)
    assert d.expand((4,)).sample().shape == (4, 6)
    assert not d.support.is_discrete and d.support.event_dim == 1
    d = TransformedDistribution(Normal(tg.zeros(3), tg.ones(3)), T.ExpTransform())
    assert d.has_rsample and (d.sample((100,)).numpy() > 0).all()
    rsample_gradcheck(
        lambda m, s: TransformedDistribution(Normal(m, s), [T.SigmoidTransform()]),
        [[0.3, -0.5], [0.8, 1.2]],
    )
    with pytest.raises(ValueError, match="transforms must be"):
        TransformedDistribution(base, "exp")
    with pytest.raises(ValueError, match="at least 1"):
        TransformedDistribution(Normal(0.0, 1.0), T.StickBreakingTransform())
