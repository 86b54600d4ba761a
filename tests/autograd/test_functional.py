"""``tg.autograd.functional`` (``tensorgrad/autograd/functional.py``) against
``torch.autograd.functional``: values, result forms, create_graph, strict and errors."""

from __future__ import annotations

import numpy as np
import pytest

import tensorgrad as tg

torch = pytest.importorskip("torch")


def _fns(L):
    return {
        "single": lambda t: (t**2).sum(dim=0) * t[0],
        "scalar": lambda t: (t**3).sum() + (t[0] * t[1]).sum(),
        "two_in": lambda p, q: (p * q.sin()).sum(dim=1),
        "two_out": lambda t: (t.exp(), t.sum()),
        "two_in_scalar": lambda p, q: (p * p * q).sum(),
    }


def _pair(arrays):
    ours = tuple(tg.tensor(a) for a in arrays)
    theirs = tuple(torch.tensor(a) for a in arrays)
    return (ours, theirs) if len(arrays) > 1 else (ours[0], theirs[0])


def _same(ours, theirs):
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, tg.Tensor), type(ours)
        assert tuple(ours.shape) == tuple(theirs.shape)
        assert ours.requires_grad == theirs.requires_grad
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-12)
    else:
        assert type(ours) is type(theirs) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            _same(a, b)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.mark.parametrize("fn, n_in", [("single", 1), ("two_in", 2), ("two_out", 1), ("scalar", 1)])
def test_jacobian_matches_torch(fn, n_in, rng):
    x, tx = _pair([rng.standard_normal((3, 2)) for _ in range(n_in)])
    _same(
        tg.autograd.functional.jacobian(_fns(tg)[fn], x),
        torch.autograd.functional.jacobian(_fns(torch)[fn], tx),
    )
    _same(
        tg.autograd.functional.jacobian(_fns(tg)[fn], x, vectorize=True),
        torch.autograd.functional.jacobian(_fns(torch)[fn], tx, vectorize=True),
    )


@pytest.mark.parametrize("fn, n_in", [("scalar", 1), ("two_in_scalar", 2)])
def test_hessian_hvp_vhp_match_torch(fn, n_in, rng):
    x, tx = _pair([rng.standard_normal((3, 2)) for _ in range(n_in)])
    v, tv = _pair([rng.standard_normal((3, 2)) for _ in range(n_in)])
    f, tf = _fns(tg)[fn], _fns(torch)[fn]
    F, TF = tg.autograd.functional, torch.autograd.functional
    _same(F.hessian(f, x), TF.hessian(tf, tx))
    _same(F.hvp(f, x, v), TF.hvp(tf, tx, tv))
    _same(F.vhp(f, x, v), TF.vhp(tf, tx, tv))


@pytest.mark.parametrize("fn, n_in", [("single", 1), ("two_in", 2), ("two_out", 1)])
def test_vjp_jvp_match_torch(fn, n_in, rng):
    x, tx = _pair([rng.standard_normal((3, 2)) for _ in range(n_in)])
    f, tf = _fns(tg)[fn], _fns(torch)[fn]
    F, TF = tg.autograd.functional, torch.autograd.functional
    out = tf(*(tx if n_in > 1 else (tx,)))
    outs = out if isinstance(out, tuple) else (out,)
    u, tu = _pair([rng.standard_normal(tuple(o.shape)) for o in outs])
    if len(outs) > 1 and not isinstance(u, tuple):
        u, tu = (u,), (tu,)
    _same(F.vjp(f, x, u), TF.vjp(tf, tx, tu))
    v, tv = _pair([rng.standard_normal((3, 2)) for _ in range(n_in)])
    _same(F.jvp(f, x, v), TF.jvp(tf, tx, tv))


@pytest.mark.parametrize("lib", ["tg", "torch"])
def test_create_graph_strict_and_errors(lib, rng):
    L = tg if lib == "tg" else torch
    F = L.autograd.functional
    x = L.tensor(rng.standard_normal(3), requires_grad=True)
    # without create_graph the results are detached; with it they differentiate further
    assert not F.jacobian(lambda t: t.sin(), x).requires_grad
    jac = F.jacobian(lambda t: t.sin(), x, create_graph=True)
    (g,) = L.autograd.grad(jac.diagonal().sum(), x)
    np.testing.assert_allclose(g.numpy(), -np.sin(x.detach().numpy()))
    # an unused input: zeros, or an error under strict
    (_, b) = F.jacobian(lambda p, q: p * 2, (x, x * 1))
    assert b.abs().sum().item() == 0
    with pytest.raises(RuntimeError):
        F.jacobian(lambda p, q: p * 2, (x, x * 1), strict=True)
    with pytest.raises(RuntimeError, match="v can only be None"):
        F.vjp(lambda t: t * 2, x)
    with pytest.raises(RuntimeError, match="invalid size"):
        F.vjp(lambda t: t * 2, x, L.ones(2, dtype=x.dtype))
    with pytest.raises(TypeError, match="Tensor or a tuple of Tensors"):
        F.jacobian(lambda t: t, [x])
    with pytest.raises(RuntimeError, match="single element"):
        F.hessian(lambda t: t * 2, x)
    out, v = F.vjp(lambda t: (t * t).sum(), x)  # v may be omitted for one output element
    np.testing.assert_allclose(v.numpy(), 2 * x.detach().numpy())


def test_reachable_as_torch_autograd_functional():
    from tensorgrad import as_torch

    with as_torch.installed():
        import torch.autograd.functional as F
        from torch.autograd.functional import hessian

    assert hessian is tg.autograd.functional.hessian and F.vjp is tg.autograd.functional.vjp
