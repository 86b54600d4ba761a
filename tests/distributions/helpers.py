"""What the distribution tests share: ``compare`` runs one construction in tensorgrad and in
PyTorch from the same parameter values and checks every output and its gradient with respect
to every parameter (under a random upstream gradient); ``rsample_gradcheck`` checks an
``rsample`` gradient against finite differences of reseeded draws."""

from __future__ import annotations

import numpy as np
import pytest

import tensorgrad as tg

torch = pytest.importorskip("torch")

# (dtype, tolerance of values; gradients get 10x)
DTYPES = [(np.float32, 2e-5), (np.float64, 1e-10)]


def _leaf(lib, p, dtype):
    floating = np.issubdtype(np.asarray(p).dtype, np.floating)
    return lib.tensor(np.asarray(p).astype(dtype) if floating else p, requires_grad=floating)


def compare(build, params, dtype, tol, grad_tol=None, skip_grad=()):
    """``build(lib, D, *params)`` returns ``{name: tensor}`` with ``D`` the library's
    distributions module; every output must have torch's shape, dtype and values (rtol and
    atol ``tol``), and the gradient of sum(out * r) w.r.t. each float parameter torch's
    (``grad_tol``, 10 ``tol`` by default) except for the outputs named in ``skip_grad``."""
    grad_tol = 10 * tol if grad_tol is None else grad_tol
    outs, leaves = {}, {}
    for name, lib in [("tg", tg), ("torch", torch)]:
        leaves[name] = [_leaf(lib, p, dtype) for p in params]
        outs[name] = build(lib, lib.distributions, *leaves[name])
    rng = np.random.default_rng(1)
    for key, ours in outs["tg"].items():
        ref = outs["torch"][key]
        assert tuple(ours.shape) == tuple(ref.shape), key
        assert str(ours.dtype).split(".")[-1] == str(ref.dtype).split(".")[-1], key
        np.testing.assert_allclose(
            ours.detach().numpy(), ref.detach().numpy(), rtol=tol, atol=tol, err_msg=key
        )
        if not ref.requires_grad or key in skip_grad:
            continue
        r = rng.standard_normal(tuple(ref.shape)).astype(dtype)
        diff = [i for i, t in enumerate(leaves["torch"]) if t.requires_grad]
        mask = np.isfinite(ref.detach().numpy())  # no gradient through inf/nan outputs
        r = np.where(mask, r, 0).astype(dtype)
        g_ref = torch.autograd.grad(
            (ref * torch.tensor(r)).nansum(),
            [leaves["torch"][i] for i in diff],
            retain_graph=True,
            allow_unused=True,
        )
        g_ours = tg.autograd.grad(
            tg.where(tg.tensor(mask), ours * tg.tensor(r), 0.0).sum(),
            [leaves["tg"][i] for i in diff],
            retain_graph=True,
            allow_unused=True,
        )
        for i, a, b in zip(diff, g_ours, g_ref):
            if b is None:
                assert a is None or np.allclose(a.numpy(), 0), (key, i)
                continue
            assert a is not None, f"{key}: no gradient for param {i}"
            np.testing.assert_allclose(
                a.numpy(), b.numpy(), rtol=grad_tol, atol=grad_tol, err_msg=f"{key} d/dparam{i}"
            )


def rsample_gradcheck(make, params, sample_shape=(3,), second_order=True):
    """gradcheck (and gradgradcheck) of ``make(*params).rsample(sample_shape)``, reseeding
    before each draw so the noise is the same for every evaluation: the reparameterised
    gradient is the derivative of a fixed function of the parameters."""
    inputs = [tg.tensor(np.asarray(p, dtype=np.float64), requires_grad=True) for p in params]

    def f(*xs):
        tg.manual_seed(123)
        return make(*xs).rsample(sample_shape)

    assert tg.autograd.gradcheck(f, inputs)
    if second_order:
        assert tg.autograd.gradgradcheck(f, inputs)


def check_moments(d, n=20000, mean_sigmas=5.0, var_rtol=0.1):
    """Sample mean within ``mean_sigmas`` standard errors of ``d.mean`` and sample variance
    within ``var_rtol`` of ``d.variance`` (elementwise over batch and event)."""
    x = d.sample((n,)).numpy().astype(np.float64)
    mean = d.mean.detach().numpy()
    var = d.variance.detach().numpy()
    np.testing.assert_array_less(np.abs(x.mean(0) - mean), mean_sigmas * np.sqrt(var / n) + 1e-12)
    np.testing.assert_allclose(x.var(0), var, rtol=var_rtol)


SHAPES2 = [((3,), (3,), (3,)), ((2, 1), (3,), (4, 2, 3))]  # two params and a value, broadcast


def positive(rng, shape):
    return rng.uniform(0.5, 2.5, shape)


def unit(rng, shape):
    return rng.uniform(0.05, 0.95, shape)


def real(rng, shape):
    return rng.standard_normal(shape)


class TorchGammaReparam(torch.autograd.Function):
    """PyTorch's Gamma rsample gradient on a given standard Gamma draw x: the identity in
    x, with d/d alpha = torch._standard_gamma_grad(alpha, x)."""

    @staticmethod
    def forward(ctx, alpha, x):
        ctx.save_for_backward(alpha, x)
        return x.clone()

    @staticmethod
    def backward(ctx, g):
        alpha, x = ctx.saved_tensors
        return g * torch._standard_gamma_grad(alpha, x), None


class TorchDirichletReparam(torch.autograd.Function):
    """PyTorch's Dirichlet rsample gradient on a given draw x (its _Dirichlet backward)."""

    @staticmethod
    def forward(ctx, alpha, x):
        ctx.save_for_backward(alpha, x)
        return x.clone()

    @staticmethod
    def backward(ctx, g):
        alpha, x = ctx.saved_tensors
        total = alpha.sum(-1, True).expand_as(alpha)
        grad = torch._dirichlet_grad(x, alpha, total)
        return grad * (g - (x * g).sum(-1, True)), None
