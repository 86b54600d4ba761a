"""tensorgrad.distributions.dirichlet against torch.distributions.dirichlet, including the
implicit rsample gradient (PyTorch's ``_dirichlet_grad`` on the same draw)."""

from __future__ import annotations

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.distributions import Dirichlet

from .helpers import DTYPES, TorchDirichletReparam, compare, torch


@pytest.mark.parametrize("dtype, tol", DTYPES)
@pytest.mark.parametrize("conc_shape, value_batch", [((3,), ()), ((2, 4), (5, 1))])
def test_dirichlet_matches_torch(conc_shape, value_batch, dtype, tol):
    rng = np.random.default_rng(0)
    value = rng.dirichlet(np.ones(conc_shape[-1]), value_batch or None)
    params = [rng.uniform(0.5, 3.0, conc_shape), value]

    def build(lib, D, a, v):
        d = D.Dirichlet(a)
        return {
            "log_prob": d.log_prob(v),
            "entropy": d.entropy(),
            "mean": d.mean,
            "mode": d.mode,
            "variance": d.variance,
        }

    compare(build, params, dtype, tol)


@pytest.mark.parametrize("dtype, tol", DTYPES)
def test_dirichlet_mode_with_small_concentrations(dtype, tol):
    def build(lib, D, a):
        return {"mode": D.Dirichlet(a).mode}

    compare(build, [np.array([[0.5, 0.3, 0.9], [2.0, 0.5, 3.0]])], dtype, tol)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_dirichlet_rsample_gradient_matches_torch_on_the_same_draw(dtype):
    rng = np.random.default_rng(0)
    a_np = np.exp(rng.uniform(np.log(0.3), np.log(20.0), (6, 3))).astype(dtype)
    a = tg.tensor(a_np, requires_grad=True)
    x = Dirichlet(a).rsample((4,))
    assert np.allclose(x.detach().numpy().sum(-1), 1, atol=1e-5)
    r = rng.standard_normal(x.shape).astype(dtype)
    (x * tg.tensor(r)).sum().backward()
    ta = torch.tensor(a_np, requires_grad=True)
    xt = TorchDirichletReparam.apply(ta.expand(4, 6, 3), torch.tensor(x.detach().numpy()))
    (xt * torch.tensor(r)).sum().backward()
    # PyTorch's _dirichlet_grad is a fitted approximation (up to ~2e-3 relative error in each
    # term, tests/distributions/test_incomplete.py); the sums here cancel, so the tolerance is
    # relative to the gradient's scale
    ref = ta.grad.numpy()
    np.testing.assert_allclose(a.grad.numpy(), ref, atol=3e-3 * np.abs(ref).max())
