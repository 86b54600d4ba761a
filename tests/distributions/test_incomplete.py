"""tensorgrad.distributions._incomplete: the regularized incomplete gamma function and the
implicit reparameterisation gradients of Gamma and Dirichlet samples, against mpmath (to
float64 precision) and against PyTorch's fitted approximations (to theirs). ``Gamma.cdf``
(the ``Gammainc`` op) is in an op table: gradcheck, gradgradcheck and PyTorch's values and
gradient in x."""

from __future__ import annotations

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.distributions import _incomplete
from tests.op_harness import UNARY, Const, OpSpec, make_tests

from .helpers import torch

mpmath = pytest.importorskip("mpmath")


def _gamma_pairs(n, seed=0):
    """(a, x): shapes log-uniform on [0.01, 1000], x a Gamma(a) draw."""
    rng = np.random.default_rng(seed)
    a = np.exp(rng.uniform(np.log(0.01), np.log(1000.0), n))
    return a, np.maximum(rng.gamma(a), 1e-300)


def test_gammainc_and_its_a_derivative_match_mpmath():
    mpmath.mp.dps = 30
    a, x = _gamma_pairs(40)
    a = np.concatenate([a, [1e-3, 0.5, 3.0, 1e5, 700.0]])
    x = np.concatenate([x, [1e-250, 50.0, 1e-5, 1e5 + 300, 2.0]])
    p = tg.special.gammainc(tg.tensor(a), tg.tensor(x)).numpy()  # Gamma.cdf's forward
    dxda = _incomplete.standard_gamma_grad(a, x)
    for ai, xi, pi, gi in zip(a, x, p, dxda):
        ref_p = mpmath.gammainc(ai, 0, xi, regularized=True)
        dp = mpmath.diff(lambda s, xi=xi: mpmath.gammainc(s, 0, xi, regularized=True), ai)
        pdf = mpmath.exp((ai - 1) * mpmath.log(xi) - xi - mpmath.loggamma(ai))
        # (a log x - x - lgamma(a) loses ~1e-16 of its size, 1e6 at a = 1e5: P to 1e-10)
        assert pi == pytest.approx(float(ref_p), rel=1e-9, abs=1e-300), (ai, xi)
        assert gi == pytest.approx(float(-dp / pdf), rel=1e-11), (ai, xi)


def test_standard_gamma_grad_matches_torch_approximation():
    a, x = _gamma_pairs(2000, seed=1)
    ours = _incomplete.standard_gamma_grad(a, x)
    ref = torch._standard_gamma_grad(torch.tensor(a), torch.tensor(x)).numpy()
    rel = np.abs(ours - ref) / np.abs(ref)
    assert np.median(rel) < 1e-4 and rel.max() < 3e-3


def test_dirichlet_grad_matches_mpmath_and_torch():
    mpmath.mp.dps = 30
    rng = np.random.default_rng(2)
    alpha = np.exp(rng.uniform(np.log(0.1), np.log(50.0), (500, 3)))
    x = np.stack([rng.dirichlet(a) for a in alpha]).clip(1e-300)
    total = alpha.sum(-1, keepdims=True)
    ours = _incomplete.dirichlet_grad(x, alpha, total)
    ref = torch._dirichlet_grad(
        torch.tensor(x), torch.tensor(alpha), torch.tensor(total).expand(500, 3)
    ).numpy()
    assert np.median(np.abs(ours - ref) / np.abs(ref)) < 1e-6
    assert (np.abs(ours - ref) / np.abs(ref)).max() < 3e-3
    for i in range(12):  # the exact value: -(d I_x(a, b) / da) / (p(x) (1 - x)), b fixed
        xi, ai, bi = x[i, 0], alpha[i, 0], total[i, 0] - alpha[i, 0]
        d_i = mpmath.diff(lambda s, b=bi, x=xi: mpmath.betainc(s, b, 0, x, regularized=True), ai)
        log_b = mpmath.loggamma(ai) + mpmath.loggamma(bi) - mpmath.loggamma(ai + bi)
        pdf = mpmath.exp((ai - 1) * mpmath.log(xi) + (bi - 1) * mpmath.log(1 - xi) - log_b)
        assert ours[i, 0] == pytest.approx(float(-d_i / pdf / (1 - xi)), rel=1e-10)


def test_gamma_cdf_gradient_in_the_concentration():
    # PyTorch does not differentiate igamma in a; ours is -p(x) dx/da, checked numerically
    a = tg.tensor([0.3, 1.7, 6.0], dtype=tg.float64, requires_grad=True)
    x = tg.tensor([0.2, 2.5, 4.0], dtype=tg.float64, requires_grad=True)
    assert tg.autograd.gradcheck(lambda a, x: tg.distributions.Gamma(a, 1.0).cdf(x), [a, x])
    p = tg.distributions.Gamma(a, 1.0).cdf(tg.tensor([0.0, float("inf"), 1.0], dtype=tg.float64))
    assert p.detach().numpy()[0] == 0 and p.detach().numpy()[1] == 1


def _gamma_cdf(lib, x, a):
    return lib.distributions.Gamma(a.to(x.dtype), 1.0).cdf(x)


def _positive(rng, shape):
    return rng.uniform(0.2, 6.0, shape)


OPS = [
    OpSpec(
        "Gamma.cdf",
        _gamma_cdf,
        [(s[0], Const(lambda rng: rng.integers(1, 5, (1,)))) for s in UNARY],
        gen=_positive,
    ),
]

test_matches_torch, test_gradcheck, test_matches_torch_bfloat16 = make_tests(OPS)
