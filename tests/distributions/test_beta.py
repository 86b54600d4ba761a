"""tensorgrad.distributions.beta against torch.distributions.beta."""

from __future__ import annotations

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.distributions import Beta

from .helpers import DTYPES, SHAPES2, TorchDirichletReparam, compare, torch


@pytest.mark.parametrize("dtype, tol", DTYPES)
@pytest.mark.parametrize("a_shape, b_shape, value_shape", SHAPES2)
def test_beta_matches_torch(a_shape, b_shape, value_shape, dtype, tol):
    rng = np.random.default_rng(0)
    params = [
        rng.uniform(0.5, 3.0, a_shape),
        rng.uniform(0.5, 3.0, b_shape),
        rng.uniform(0.05, 0.95, value_shape),
    ]

    def build(lib, D, a, b, value):
        d = D.Beta(a, b)
        return {
            "log_prob": d.log_prob(value),
            "entropy": d.entropy(),
            "mean": d.mean,
            "mode": d.mode,
            "variance": d.variance,
            "concentration1": d.concentration1,
            "concentration0": d.concentration0,
        }

    compare(build, params, dtype, tol)


def test_beta_python_numbers():
    d = Beta(2.0, 3.0)
    assert d.batch_shape == () and d.sample((4,)).shape == (4,)
    assert d.concentration1.dtype == tg.float32


def test_beta_rsample_gradient_matches_torch_on_the_same_draw():
    rng = np.random.default_rng(0)
    a_np, b_np = rng.uniform(0.3, 8.0, 20), rng.uniform(0.3, 8.0, 20)
    a, b = tg.tensor(a_np, requires_grad=True), tg.tensor(b_np, requires_grad=True)
    x = Beta(a, b).rsample((5,))
    r = rng.standard_normal(x.shape)
    (x * tg.tensor(r)).sum().backward()
    ta, tb = torch.tensor(a_np, requires_grad=True), torch.tensor(b_np, requires_grad=True)
    both = torch.stack([ta, tb], -1).expand(5, 20, 2)
    xv = torch.tensor(x.detach().numpy())
    xt = TorchDirichletReparam.apply(both, torch.stack([xv, 1 - xv], -1))[..., 0]
    (xt * torch.tensor(r)).sum().backward()
    # PyTorch's _dirichlet_grad is a fitted approximation (up to ~2e-3 relative error)
    for ours, ref in ((a.grad.numpy(), ta.grad.numpy()), (b.grad.numpy(), tb.grad.numpy())):
        np.testing.assert_allclose(ours, ref, atol=3e-3 * np.abs(ref).max())
