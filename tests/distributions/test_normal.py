"""tensorgrad.distributions.normal against torch.distributions.normal."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.distributions import Normal

from .helpers import DTYPES, compare, rsample_gradcheck

NORMAL_SHAPES = [
    ((), (), ()),
    ((3,), (3,), (3,)),
    ((2, 3), (3,), (4, 1, 1)),
    ((3, 1), (1, 4), (4,)),
]


@pytest.mark.parametrize("dtype, tol", DTYPES)
@pytest.mark.parametrize("loc_shape, scale_shape, value_shape", NORMAL_SHAPES)
def test_normal_matches_torch(loc_shape, scale_shape, value_shape, dtype, tol):
    rng = np.random.default_rng(0)
    params = [
        rng.standard_normal(loc_shape),
        rng.uniform(0.5, 2.0, scale_shape),
        rng.standard_normal(value_shape) * 2,
        rng.uniform(0.05, 0.95, value_shape),
    ]

    def build(lib, D, loc, scale, value, q):
        d = D.Normal(loc, scale)
        return {
            "log_prob": d.log_prob(value),
            "cdf": d.cdf(value),
            "icdf": d.icdf(q),
            "entropy": d.entropy(),
            "mean": d.mean,
            "mode": d.mode,
            "stddev": d.stddev,
            "variance": d.variance,
            "perplexity": d.perplexity(),
        }

    compare(build, params, dtype, tol)


def test_normal_shapes_and_python_numbers():
    d = Normal(0.0, 1.0)
    assert d.batch_shape == () and d.event_shape == ()
    assert d.sample().shape == () and d.sample((5, 2)).shape == (5, 2)
    assert d.loc.dtype == tg.float32
    d = Normal(tg.zeros(2, 3, dtype=tg.float64), 2.0)
    assert d.batch_shape == (2, 3) and d.scale.dtype == tg.float64
    assert d.rsample((4,)).shape == (4, 2, 3) and d.rsample((4,)).dtype == tg.float64
    assert d.log_prob(tg.zeros(3, dtype=tg.float64)).shape == (2, 3)
    assert d.expand((5, 2, 3)).sample().shape == (5, 2, 3)
    assert repr(Normal(tg.zeros(3), 1.0)) == "Normal(loc: (3,), scale: (3,))"


def test_normal_sample_statistics_and_no_gradient():
    loc = tg.tensor([-1.0, 3.0], requires_grad=True)
    scale = tg.tensor([0.5, 2.0], requires_grad=True)
    s = Normal(loc, scale).sample((20000,))
    assert not s.requires_grad and s.shape == (20000, 2)
    x = s.numpy()
    for j, (m, sd) in enumerate([(-1.0, 0.5), (3.0, 2.0)]):
        assert abs(x[:, j].mean() - m) < 5 * sd / math.sqrt(len(x))
        assert np.var(x[:, j]) == pytest.approx(sd**2, rel=0.05)


def test_normal_rsample_is_differentiable_by_reparameterisation():
    loc = tg.tensor([-1.0, 3.0], requires_grad=True)
    scale = tg.tensor([0.5, 2.0], requires_grad=True)
    tg.manual_seed(5)
    s = Normal(loc, scale).rsample((1000,))
    tg.manual_seed(5)
    eps = tg.randn(1000, 2)  # the same draw: rsample = loc + scale * eps
    np.testing.assert_allclose(s.detach().numpy(), (loc + scale * eps).detach().numpy(), 1e-6)
    s.sum().backward()
    np.testing.assert_allclose(loc.grad.numpy(), [1000.0, 1000.0])
    np.testing.assert_allclose(scale.grad.numpy(), eps.sum(0).numpy(), rtol=1e-5)
    assert Normal(loc, scale).has_rsample
    rsample_gradcheck(Normal, [[0.3, -1.0], [0.7, 1.5]])


def test_normal_draws_follow_the_seed():
    d = Normal(tg.zeros(3), tg.ones(3))
    tg.manual_seed(2)
    a = d.sample((4,)).numpy(), d.rsample((4,)).detach().numpy()
    tg.manual_seed(2)
    b = d.sample((4,)).numpy(), d.rsample((4,)).detach().numpy()
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
