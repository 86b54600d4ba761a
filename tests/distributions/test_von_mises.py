"""tensorgrad.distributions.von_mises against torch.distributions.von_mises and scipy."""

from __future__ import annotations

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.distributions import VonMises

from .helpers import compare

special = pytest.importorskip("scipy.special")


@pytest.mark.parametrize("dtype, tol", [(np.float32, 2e-5), (np.float64, 2e-6)])
def test_von_mises_matches_torch(dtype, tol):
    rng = np.random.default_rng(0)
    params = [
        rng.standard_normal((2, 3)),
        np.array([0.1, 2.0, 40.0]),
        rng.uniform(-3, 3, (4, 1, 3)),
    ]

    def build(lib, D, loc, k, value):
        d = D.VonMises(loc, k)
        return {"log_prob": d.log_prob(value), "mean": d.mean, "variance": d.variance}

    # PyTorch's log I_0 is a polynomial fit good to ~1e-7 (see test_von_mises_is_exact)
    compare(build, params, dtype, tol, grad_tol=2e-5)


def test_von_mises_is_exact():
    k = np.array([1e-4, 0.5, 3.7, 29.9, 30.1, 200.0, 800.0])
    d = VonMises(tg.zeros(7, dtype=tg.float64), tg.tensor(k, requires_grad=True))
    value = tg.tensor(np.linspace(-3, 3, 7))
    ref = k * np.cos(value.numpy()) - np.log(2 * np.pi) - (np.log(special.i0e(k)) + k)
    np.testing.assert_allclose(d.log_prob(value).detach().numpy(), ref, rtol=1e-13)
    ratio = special.i1e(k) / special.i0e(k)
    np.testing.assert_allclose(d.variance.detach().numpy(), 1 - ratio, rtol=1e-12, atol=1e-15)
    (g,) = tg.autograd.grad(d.log_prob(value).sum(), d.concentration)
    np.testing.assert_allclose(g.numpy(), np.cos(value.numpy()) - ratio, rtol=1e-10, atol=1e-14)


def test_von_mises_samples():
    d = VonMises(tg.tensor([0.5, -2.5]), tg.tensor([4.0, 0.5]))
    assert not d.has_rsample
    with pytest.raises(NotImplementedError):
        d.rsample()
    s = d.sample((20000,)).numpy().astype(np.float64)
    assert s.dtype == np.float64 and (np.abs(s) <= np.pi + 1e-6).all()
    c = np.exp(1j * s).mean(0)  # the circular mean and the mean resultant length
    np.testing.assert_allclose(np.angle(c), [0.5, -2.5], atol=0.05)
    np.testing.assert_allclose(np.abs(c), 1 - d.variance.numpy(), atol=0.02)
