"""tensorgrad.distributions.chi2 against torch.distributions.chi2."""

from __future__ import annotations

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.distributions import Chi2

from .helpers import DTYPES, TorchGammaReparam, compare, torch


@pytest.mark.parametrize("dtype, tol", DTYPES)
@pytest.mark.parametrize("df_shape, value_shape", [((), ()), ((2, 3), (4, 1, 3))])
def test_chi2_matches_torch(df_shape, value_shape, dtype, tol):
    rng = np.random.default_rng(0)
    params = [rng.uniform(0.5, 6.0, df_shape), rng.uniform(0.1, 6.0, value_shape)]

    def build(lib, D, df, value):
        d = D.Chi2(df)
        return {
            "log_prob": d.log_prob(value),
            "entropy": d.entropy(),
            "mean": d.mean,
            "mode": d.mode,
            "variance": d.variance,
            "df": d.df,
        }

    compare(build, params, dtype, tol)


def test_chi2_rsample_gradient_matches_torch_on_the_same_draw():
    df_np = np.array([0.5, 2.0, 7.0])
    df = tg.tensor(df_np, requires_grad=True)
    x = Chi2(df).rsample((200,))
    x.sum().backward()
    tdf = torch.tensor(df_np, requires_grad=True)
    standard = torch.tensor(x.detach().numpy() * 0.5)
    xt = TorchGammaReparam.apply((0.5 * tdf).expand(200, 3), standard) / 0.5
    xt.sum().backward()
    np.testing.assert_allclose(df.grad.numpy(), tdf.grad.numpy(), rtol=3e-3)
