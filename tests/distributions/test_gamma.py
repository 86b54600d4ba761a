"""tensorgrad.distributions.gamma against torch.distributions.gamma, including the implicit
rsample gradient (PyTorch's ``_standard_gamma_grad`` on the same draw)."""

from __future__ import annotations

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.distributions import Gamma

from .helpers import DTYPES, SHAPES2, TorchGammaReparam, compare, torch


@pytest.mark.parametrize("dtype, tol", DTYPES)
@pytest.mark.parametrize("a_shape, b_shape, value_shape", SHAPES2)
@pytest.mark.parametrize(
    "name, concentrations",
    [("Gamma", (0.5, 3.0)), ("InverseGamma", (2.5, 5.0))],  # InverseGamma: finite moments
)
def test_gamma_and_inverse_gamma_match_torch(
    name, concentrations, a_shape, b_shape, value_shape, dtype, tol
):
    rng = np.random.default_rng(0)
    params = [
        rng.uniform(*concentrations, a_shape),
        rng.uniform(0.5, 2.5, b_shape),
        rng.uniform(0.1, 4.0, value_shape),
    ]

    def build(lib, D, a, b, value):
        d = getattr(D, name)(a, b)
        return {
            "log_prob": d.log_prob(value),
            "entropy": d.entropy(),
            "mean": d.mean,
            "mode": d.mode,
            "variance": d.variance,
            # PyTorch has no gradient of igamma in its first argument
            "cdf": getattr(D, name)(a.detach(), b).cdf(value),
        }

    compare(build, params, dtype, tol)


@pytest.mark.parametrize("dtype, rtol", [(np.float64, 3e-3), (np.float32, 3e-3)])
def test_gamma_rsample_gradient_matches_torch_on_the_same_draw(dtype, rtol):
    # PyTorch's _standard_gamma_grad is a fitted approximation (~3e-4 relative error, up to
    # ~1e-3 near its region boundaries); ours is exact to float64 (tests/distributions/
    # test_incomplete.py checks it against mpmath)
    rng = np.random.default_rng(0)
    a_np = np.exp(rng.uniform(np.log(0.1), np.log(50.0), (4, 25))).astype(dtype)
    b_np = rng.uniform(0.5, 2.0, (25,)).astype(dtype)
    a, b = tg.tensor(a_np, requires_grad=True), tg.tensor(b_np, requires_grad=True)
    x = Gamma(a, b).rsample((3,))
    r = rng.uniform(0.5, 1.5, x.shape).astype(dtype)  # one sign: no cancellation in the sums
    (x * tg.tensor(r)).sum().backward()
    ta = torch.tensor(a_np, requires_grad=True)
    tb = torch.tensor(b_np, requires_grad=True)
    standard = torch.tensor(x.detach().numpy() * b_np)  # the standard Gamma draw
    xt = TorchGammaReparam.apply(ta.expand(3, 4, 25), standard) / tb
    np.testing.assert_allclose(xt.detach().numpy(), x.detach().numpy(), rtol=1e-6)
    (xt * torch.tensor(r)).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), rtol=rtol)
    np.testing.assert_allclose(b.grad.numpy(), tb.grad.numpy(), rtol=1e-5)


def test_gamma_rsample_is_positive_and_not_twice_differentiable():
    a = tg.tensor([1e-3, 0.5, 4.0], dtype=tg.float64, requires_grad=True)
    x = Gamma(a, 1.0).rsample((1000,))
    assert (x.detach().numpy() > 0).all()
    (g,) = tg.autograd.grad(x.sum(), a, create_graph=True)
    assert np.isfinite(g.detach().numpy()).all()
    with pytest.raises(RuntimeError, match="not differentiable"):
        g.sum().backward()


def test_gamma_log_prob_of_python_number_and_scalars():
    d = Gamma(2.0, 3.0)
    assert d.batch_shape == ()
    ref = torch.distributions.Gamma(2.0, 3.0).log_prob(torch.tensor(0.5)).item()
    assert d.log_prob(0.5).item() == pytest.approx(ref, rel=1e-6)
