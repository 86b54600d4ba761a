"""tensorgrad.distributions.studentT against torch.distributions.studentT."""

from __future__ import annotations

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.distributions import StudentT
from tensorgrad.distributions.utils import _std_gamma, draw

from .helpers import DTYPES, TorchGammaReparam, compare, torch


@pytest.mark.parametrize("dtype, tol", DTYPES)
@pytest.mark.parametrize("shapes", [((3,), (3,), (3,), (3,)), ((2, 1), (3,), (), (4, 2, 3))])
def test_student_t_matches_torch(shapes, dtype, tol):
    rng = np.random.default_rng(0)
    df_shape, loc_shape, scale_shape, value_shape = shapes
    params = [
        rng.uniform(2.5, 6.0, df_shape),
        rng.standard_normal(loc_shape),
        rng.uniform(0.5, 2.0, scale_shape),
        rng.standard_normal(value_shape) * 2,
    ]

    def build(lib, D, df, loc, scale, value):
        d = D.StudentT(df, loc, scale)
        return {
            "log_prob": d.log_prob(value),
            "entropy": d.entropy(),
            "mean": d.mean,
            "mode": d.mode,
            "variance": d.variance,
        }

    compare(build, params, dtype, tol)


@pytest.mark.parametrize("dtype, tol", DTYPES)
def test_student_t_moments_with_few_degrees_of_freedom(dtype, tol):
    def build(lib, D, df, loc):
        d = D.StudentT(df, loc)
        return {"mean": d.mean, "variance": d.variance}

    params = [np.array([0.5, 1.0, 1.5, 2.0, 3.0]), np.arange(5.0)]
    compare(build, params, dtype, tol, skip_grad=("variance",))


def test_student_t_rsample_gradient_matches_torch_on_the_same_draws():
    df_np, loc_np, scale_np = np.array([1.5, 4.0]), np.array([0.5, -1.0]), np.array([2.0, 0.5])
    df, loc, scale = (tg.tensor(v, requires_grad=True) for v in (df_np, loc_np, scale_np))
    tg.manual_seed(7)
    y = StudentT(df, loc, scale).rsample((50,))
    (y * y).sum().backward()
    tg.manual_seed(7)  # the same draws: a standard normal, then a Gamma(df / 2) for the Chi2
    x = tg.randn(50, 2, dtype=tg.float64)
    z0 = draw(_std_gamma, (0.5 * tg.tensor(df_np)).expand(50, 2))
    tdf, tloc, tscale = (torch.tensor(v, requires_grad=True) for v in (df_np, loc_np, scale_np))
    z = TorchGammaReparam.apply((0.5 * tdf).expand(50, 2), torch.tensor(z0.numpy())) / 0.5
    yt = tloc + tscale * (torch.tensor(x.numpy()) * torch.rsqrt(z / tdf))
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=1e-10)
    (yt * yt).sum().backward()
    np.testing.assert_allclose(loc.grad.numpy(), tloc.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(scale.grad.numpy(), tscale.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(df.grad.numpy(), tdf.grad.numpy(), rtol=3e-3)
