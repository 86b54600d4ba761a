"""tensorgrad.distributions.inverse_gamma against torch.distributions.inverse_gamma (its
log_prob, entropy, moments and cdf are tested beside Gamma's, in test_gamma.py)."""

from __future__ import annotations

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.distributions import InverseGamma
from tensorgrad.distributions.transforms import PowerTransform

from .helpers import DTYPES, compare


@pytest.mark.parametrize("dtype, tol", DTYPES)
def test_inverse_gamma_infinite_moments_match_torch(dtype, tol):
    # the mean needs a > 1, the variance a > 2; no gradient through the inf branch
    def build(lib, D, a, b):
        d = D.InverseGamma(a, b)
        return {"mean": d.mean, "variance": d.variance}

    params = [np.array([0.5, 1.5, 3.0]), np.array([1.0, 2.0, 0.5])]
    compare(build, params, dtype, tol)


def test_inverse_gamma_is_one_over_gamma():
    d = InverseGamma(tg.tensor([2.0, 3.0]), tg.tensor([1.0, 0.5]))
    assert isinstance(d.transforms[0], PowerTransform)
    assert d.transforms[0].exponent.item() == -1.0
    assert d.expand((4, 2)).batch_shape == (4, 2)
    assert type(d.expand((4, 2))) is InverseGamma
    tg.manual_seed(0)
    x = d.sample((3,))
    tg.manual_seed(0)
    np.testing.assert_array_equal(x.numpy(), d.base_dist.sample((3,)).reciprocal().numpy())


def test_inverse_gamma_errors():
    with pytest.raises(ValueError, match="parameter concentration"):
        InverseGamma(tg.tensor([-1.0]), 1.0)
    with pytest.raises(ValueError, match="parameter rate"):
        InverseGamma(1.0, tg.tensor(0.0))
