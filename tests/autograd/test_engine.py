"""The backward engine (``tensorgrad/autograd/engine.py``): ``backward``, ``autograd.grad``,
grad mode, hooks, version counters, deep graphs, memory and aliasing, compared with PyTorch."""

from __future__ import annotations

import gc
import sys
import tracemalloc
import weakref

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.autograd.function import Node

torch = pytest.importorskip("torch")


def pair(array, requires_grad=True):
    """The same float64 values as a tensorgrad and a torch tensor."""
    array = np.asarray(array, dtype=np.float64)
    return (
        tg.tensor(array, requires_grad=requires_grad),
        torch.tensor(array, requires_grad=requires_grad),
    )


def close(a, b, atol=1e-10):
    """``a`` (tensorgrad) holds the values of ``b`` (torch)."""
    assert a is not None and b is not None
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-7, atol=atol)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


# ---------------------------------------------------------------------- backward


def test_backward_scalar(rng):
    a = rng.standard_normal((3, 4))
    x, tx = pair(a)
    (x.tanh() * x).sum().backward()
    (tx.tanh() * tx).sum().backward()
    close(x.grad, tx.grad)


def test_backward_with_gradient_on_non_scalar(rng):
    x, tx = pair(rng.standard_normal((3, 4)))
    g = rng.standard_normal((3, 4))
    (x.exp() * 2).backward(tg.tensor(g))
    (tx.exp() * 2).backward(torch.tensor(g))
    close(x.grad, tx.grad)


def test_non_scalar_without_gradient_raises():
    x = tg.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="scalar"):
        (x * 2).backward()


def test_backward_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        tg.ones(()).backward()
    with pytest.raises(RuntimeError, match="does not require grad"):
        (tg.ones(3) * 2).sum().backward()


def test_backward_gradient_of_wrong_shape_raises():
    x = tg.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="shape"):
        (x * 2).backward(tg.ones(4))


def test_leaf_grads_accumulate(rng):
    x, tx = pair(rng.standard_normal(5))
    y, ty = (x * x).sum(), (tx * tx).sum()
    y.backward(retain_graph=True)
    y.backward()
    ty.backward(retain_graph=True)
    ty.backward()
    close(x.grad, tx.grad)
    np.testing.assert_allclose(x.grad.numpy(), 4 * x.detach().numpy())


def test_second_backward_through_freed_graph_raises():
    x = tg.ones(3, requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.backward()


def test_retain_graph_allows_second_backward(rng):
    x, tx = pair(rng.standard_normal(4))
    y, ty = (x.exp() * x).sum(), (tx.exp() * tx).sum()
    for _ in range(3):
        y.backward(retain_graph=True)
        ty.backward(retain_graph=True)
    close(x.grad, tx.grad)


def test_backward_inputs_restricts_accumulation(rng):
    x, tx = pair(rng.standard_normal(3))
    w, tw = pair(rng.standard_normal(3))
    (x * w).sum().backward(inputs=[w])
    (tx * tw).sum().backward(inputs=[tw])
    assert x.grad is None and tx.grad is None
    close(w.grad, tw.grad)


def test_backward_inputs_non_leaf(rng):
    # regression: a non-leaf in inputs= got no .grad (PyTorch accumulates into it)
    x, tx = pair(rng.standard_normal(3))
    h, th = x * 2, tx * 2
    (h * h).sum().backward(inputs=[h])
    (th * th).sum().backward(inputs=[th])
    close(h.grad, th.grad)
    assert x.grad is None and tx.grad is None


def test_backward_inputs_must_require_grad():
    x = tg.ones(3, requires_grad=True)
    c = tg.ones(3)
    with pytest.raises(RuntimeError, match="does not require grad"):
        (x * c).sum().backward(inputs=[c])


def test_backward_of_several_tensors(rng):
    x, tx = pair(rng.standard_normal(3))
    tg.autograd.backward([(x * 2).sum(), x.exp().sum()])
    torch.autograd.backward([(tx * 2).sum(), tx.exp().sum()])
    close(x.grad, tx.grad)


# ---------------------------------------------------------------------- autograd.grad


def test_grad_single_input(rng):
    x, tx = pair(rng.standard_normal(4))
    (g,) = tg.autograd.grad((x.sin() * x).sum(), x)
    (tgr,) = torch.autograd.grad((tx.sin() * tx).sum(), tx)
    close(g, tgr)
    assert x.grad is None
    assert not g.requires_grad


def test_grad_multiple_inputs_and_grad_outputs(rng):
    x, tx = pair(rng.standard_normal((2, 3)))
    w, tw = pair(rng.standard_normal((3, 4)))
    v = rng.standard_normal((2, 4))
    gx, gw = tg.autograd.grad(x @ w, [x, w], grad_outputs=tg.tensor(v))
    tgx, tgw = torch.autograd.grad(tx @ tw, [tx, tw], grad_outputs=torch.tensor(v))
    close(gx, tgx)
    close(gw, tgw)
    assert x.grad is None and w.grad is None


def test_grad_does_not_touch_existing_grad(rng):
    x, _ = pair(rng.standard_normal(3))
    (x * 3).sum().backward()
    before = x.grad.numpy().copy()
    tg.autograd.grad((x * 5).sum(), x)
    np.testing.assert_array_equal(x.grad.numpy(), before)


def test_grad_allow_unused(rng):
    x, tx = pair(rng.standard_normal(3))
    u, tu = pair(rng.standard_normal(3))
    with pytest.raises(RuntimeError, match="allow_unused"):
        tg.autograd.grad((x * 2).sum(), [x, u])
    with pytest.raises(RuntimeError, match="allow_unused"):
        torch.autograd.grad((tx * 2).sum(), [tx, tu])
    gx, gu = tg.autograd.grad((x * 2).sum(), [x, u], allow_unused=True)
    tgx, tgu = torch.autograd.grad((tx * 2).sum(), [tx, tu], allow_unused=True)
    close(gx, tgx)
    assert gu is None and tgu is None


def test_grad_takes_pytorchs_keywords_in_pytorchs_order(rng):
    # WGAN-GP tutorials pass only_inputs=True; allow_unused is PyTorch's 7th positional
    x, tx = pair(rng.standard_normal(3))
    u, tu = pair(rng.standard_normal(3))
    ones, tones = tg.ones(3, dtype=tg.float64), torch.ones(3, dtype=torch.float64)
    (g, gu) = tg.autograd.grad(x * x, [x, u], ones, True, True, True, True)
    (tgr, tgu) = torch.autograd.grad(tx * tx, [tx, tu], tones, True, True, True, True)
    assert gu is None and tgu is None
    (g,) = tg.autograd.grad(x * x, x, ones, create_graph=True, only_inputs=True)
    (tgr,) = torch.autograd.grad(tx * tx, tx, tones, create_graph=True, only_inputs=True)
    close(g, tgr)
    assert g.requires_grad == tgr.requires_grad
    with pytest.warns(FutureWarning, match="only_inputs"):
        tg.autograd.grad((x * 2).sum(), x, only_inputs=False)
    # materialize_grads: zeros for the unused input, and allow_unused follows it
    gx, gu = tg.autograd.grad((x * 2).sum(), [x, u], materialize_grads=True)
    tgx, tgu = torch.autograd.grad((tx * 2).sum(), [tx, tu], materialize_grads=True)
    close(gx, tgx)
    close(gu, tgu)
    with pytest.raises(ValueError, match="materialize_grads"):
        tg.autograd.grad((x * 2).sum(), [x, u], allow_unused=False, materialize_grads=True)
    with pytest.raises(RuntimeError, match="cannot be empty"):
        tg.autograd.grad((x * 2).sum(), [])


def test_grad_of_a_dict_of_inputs_returns_a_dict(rng):
    w, tw = pair(rng.standard_normal((3, 2)))
    b, tb = pair(rng.standard_normal(2))
    xs = rng.standard_normal((4, 3))
    got = tg.autograd.grad((tg.tensor(xs) @ w + b).tanh().sum(), {"w": w, "b": b})
    want = torch.autograd.grad((torch.tensor(xs) @ tw + tb).tanh().sum(), {"w": tw, "b": tb})
    assert list(got) == list(want) == ["w", "b"]
    for k in want:
        close(got[k], want[k])


def test_grad_is_grads_batched_gives_one_vjp_per_row(rng):
    x, tx = pair(rng.standard_normal(3))
    w, tw = pair(rng.standard_normal((3, 3)))
    v = rng.standard_normal((5, 3))  # 5 vectors: the rows of the Jacobian's transpose products
    gx, gw = tg.autograd.grad((w @ x).sin(), [x, w], tg.tensor(v), is_grads_batched=True)
    tgx, tgw = torch.autograd.grad(
        (tw @ tx).sin(), [tx, tw], torch.tensor(v), is_grads_batched=True
    )
    assert gx.shape == tuple(tgx.shape) and gw.shape == tuple(tgw.shape)
    close(gx, tgx)
    close(gw, tgw)


def test_grad_non_leaf_input(rng):
    x, tx = pair(rng.standard_normal(4))
    h, th = x.exp(), tx.exp()
    gh, gx = tg.autograd.grad((h * h).sum(), [h, x])
    tgh, tgx = torch.autograd.grad((th * th).sum(), [th, tx])
    close(gh, tgh)
    close(gx, tgx)
    assert h.grad is None and x.grad is None


def test_grad_input_without_requires_grad_raises():
    x = tg.ones(3, requires_grad=True)
    c = tg.ones(3)
    with pytest.raises(RuntimeError, match="does not require grad"):
        tg.autograd.grad((x * c).sum(), c)


def test_grad_of_grad(rng):
    x, tx = pair(rng.standard_normal(5))
    (g,) = tg.autograd.grad((x**3).sum(), x, create_graph=True)
    assert g.requires_grad
    (gg,) = tg.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(gg.numpy(), 6 * x.detach().numpy())
    (tgr,) = torch.autograd.grad((tx**3).sum(), tx, create_graph=True)
    (tgg,) = torch.autograd.grad(tgr.sum(), tx)
    close(gg, tgg)


def test_third_derivative(rng):
    x, tx = pair(rng.standard_normal(3))
    (g,) = tg.autograd.grad(x.sin().sum(), x, create_graph=True)
    (gg,) = tg.autograd.grad(g.sum(), x, create_graph=True)
    (ggg,) = tg.autograd.grad(gg.sum(), x)
    close(ggg, -tx.cos())


def test_backward_create_graph_then_backward_again(rng):
    x, tx = pair(rng.standard_normal(4))
    (x**3).sum().backward(create_graph=True)
    (tx**3).sum().backward(create_graph=True)
    assert x.grad.requires_grad
    gx = x.grad
    x.grad = None
    gx.sum().backward()
    tgx = tx.grad
    tx.grad = None
    tgx.sum().backward()
    close(x.grad, tx.grad)


def _mlp(lib, x, w1, w2):
    return ((x @ w1).tanh() @ w2).sigmoid().sum()


def test_hessian_vector_product(rng):
    xa, w1a, w2a = (
        rng.standard_normal((4, 3)),
        rng.standard_normal((3, 5)),
        rng.standard_normal((5, 2)),
    )
    va = rng.standard_normal((3, 5))
    x = tg.tensor(xa)
    w1, tw1 = pair(w1a)
    w2, tw2 = pair(w2a)
    (g,) = tg.autograd.grad(_mlp(tg, x, w1, w2), w1, create_graph=True)
    hv = tg.autograd.grad((g * tg.tensor(va)).sum(), [w1, w2])

    def f(a, b):
        return _mlp(torch, torch.tensor(xa), a, b)

    _, (thv1, thv2) = torch.autograd.functional.hvp(
        f, (tw1.detach(), tw2.detach()), (torch.tensor(va), torch.zeros(5, 2, dtype=torch.float64))
    )
    close(hv[0], thv1)
    close(hv[1], thv2)


def test_gradient_penalty(rng):
    xa, w1a, w2a = (
        rng.standard_normal((6, 3)),
        rng.standard_normal((3, 4)),
        rng.standard_normal((4, 1)),
    )
    results = []
    for lib in (tg, torch):
        x = lib.tensor(xa, requires_grad=True)
        w1 = lib.tensor(w1a, requires_grad=True)
        w2 = lib.tensor(w2a, requires_grad=True)
        out = (x @ w1).tanh() @ w2
        (gx,) = lib.autograd.grad(out.sum(), x, create_graph=True)
        penalty = ((gx.pow(2).sum(1).sqrt() - 1) ** 2).mean()
        loss = out.mean() + 10 * penalty
        loss.backward()
        results.append((w1.grad, w2.grad, x.grad))
    for a, b in zip(*results):
        close(a, b)


def test_grad_outputs_with_requires_grad_and_create_graph(rng):
    # d/dv of vᵀ J: the grad_outputs themselves are differentiated
    x, tx = pair(rng.standard_normal(3))
    v, tv = pair(rng.standard_normal(3))
    (g,) = tg.autograd.grad(x.exp(), x, v, create_graph=True)
    (tgr,) = torch.autograd.grad(tx.exp(), tx, tv, create_graph=True)
    (gv,) = tg.autograd.grad(g.sum(), v)
    (tgv,) = torch.autograd.grad(tgr.sum(), tv)
    close(gv, tgv)


# ---------------------------------------------------------------------- grad mode


def test_no_grad_context():
    x = tg.ones(3, requires_grad=True)
    with tg.no_grad():
        y = x * 2
        assert not tg.is_grad_enabled()
    assert tg.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    assert (x * 2).requires_grad


def test_nested_grad_modes():
    x = tg.ones(3, requires_grad=True)
    with tg.no_grad():
        with tg.enable_grad():
            y = x * 2
            with tg.set_grad_enabled(False):
                z = x * 2
            assert tg.is_grad_enabled()
        w = x * 2
    assert y.requires_grad and not z.requires_grad and not w.requires_grad
    assert tg.is_grad_enabled()


def test_grad_mode_restored_after_exception():
    with pytest.raises(ValueError):
        with tg.no_grad():
            raise ValueError
    assert tg.is_grad_enabled()


def test_set_grad_enabled_as_function():
    x = tg.ones(3, requires_grad=True)
    tg.set_grad_enabled(False)
    try:
        assert not (x * 2).requires_grad
    finally:
        tg.set_grad_enabled(True)
    assert (x * 2).requires_grad


def test_grad_mode_decorators():
    x = tg.ones(3, requires_grad=True)

    @tg.no_grad()
    def f1(t):
        return t * 2

    @tg.no_grad
    def f2(t):
        return t * 2

    @tg.enable_grad()
    def f3(t):
        return t * 2

    @tg.enable_grad
    def f4(t):
        return t * 2

    @tg.set_grad_enabled(False)
    def f5(t):
        return t * 2

    assert tg.is_grad_enabled()  # decorating switched nothing
    assert f1.__name__ == "f1" and f2.__name__ == "f2"
    assert not f1(x).requires_grad and not f2(x).requires_grad and not f5(x).requires_grad
    assert tg.is_grad_enabled()
    with tg.no_grad():
        assert f3(x).requires_grad and f4(x).requires_grad
        assert not tg.is_grad_enabled()


def test_no_grad_in_torch_agrees():
    for lib in (tg, torch):
        x = lib.ones(3, requires_grad=True)
        with lib.no_grad():
            assert not (x * 2).requires_grad
            with lib.enable_grad():
                assert (x * 2).requires_grad


# ---------------------------------------------------------------------- hooks, leaves, retain_grad


def test_hook_on_leaf_modifies_gradient(rng):
    x, tx = pair(rng.standard_normal(3))
    seen = []
    for t, store in ((x, seen), (tx, None)):
        t.register_hook(lambda g, s=store: (s.append(g) if s is not None else None, g * 3)[1])
    (x * x).sum().backward()
    (tx * tx).sum().backward()
    close(x.grad, tx.grad)
    close(seen[0], 2 * tx)


def test_hook_on_non_leaf_modifies_gradient(rng):
    x, tx = pair(rng.standard_normal(3))
    h, th = x.exp(), tx.exp()
    h.register_hook(lambda g: g * 10)
    th.register_hook(lambda g: g * 10)
    (h * x).sum().backward()
    (th * tx).sum().backward()
    close(x.grad, tx.grad)


def test_hook_returning_none_keeps_gradient(rng):
    x, tx = pair(rng.standard_normal(3))
    calls = []
    x.register_hook(lambda g: calls.append(1))
    (x * 2).sum().backward()
    assert calls == [1]
    np.testing.assert_allclose(x.grad.numpy(), 2.0)


def test_hook_handle_remove():
    x = tg.ones(3, requires_grad=True)
    h = x * 1
    handle_leaf = x.register_hook(lambda g: g * 100)
    handle_mid = h.register_hook(lambda g: g * 10)
    handle_leaf.remove()
    handle_mid.remove()
    handle_mid.remove()  # removing twice is harmless
    (h * 2).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2.0)


def test_register_hook_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError):
        tg.ones(3).register_hook(lambda g: g)


def test_retain_grad(rng):
    x, tx = pair(rng.standard_normal((2, 3)))
    h, th = x.tanh() * 2, tx.tanh() * 2
    h.retain_grad()
    th.retain_grad()
    assert h.retains_grad and th.retains_grad
    (h.exp() * h).sum().backward(retain_graph=True)
    (th.exp() * th).sum().backward(retain_graph=True)
    close(h.grad, th.grad)
    close(x.grad, tx.grad)
    # accumulates like a leaf
    (h.exp() * h).sum().backward()
    (th.exp() * th).sum().backward()
    close(h.grad, th.grad)


def test_retain_grad_sees_hooks_registered_after_it(rng):
    # regression: PyTorch runs the retain_grad hook last, so .grad includes every hook's change
    x, tx = pair(rng.standard_normal(3))
    for t in (x, tx):
        h = t * 1
        h.retain_grad()
        h.register_hook(lambda g: g * 2)
        (h * 3).sum().backward()
        np.testing.assert_allclose(h.grad.detach().numpy(), 6.0)


def test_retain_grad_follows_in_place_modification(rng):
    # regression: after h.mul_(3), h.grad is the gradient of h's new value, as in PyTorch
    xa = rng.standard_normal(3)
    results = []
    for lib in (tg, torch):
        x = lib.tensor(xa, requires_grad=True)
        h = x * 2
        h.retain_grad()
        h.mul_(3)
        (h * h).sum().backward()
        results.append((h.grad, x.grad))
    close(results[0][0], results[1][0])
    close(results[0][1], results[1][1])


def test_leaf_hook_applies_in_autograd_grad(rng):
    # regression: a leaf's hooks ran only when accumulating into .grad, not in autograd.grad
    x, tx = pair(rng.standard_normal(3))
    x.register_hook(lambda g: g * 10)
    tx.register_hook(lambda g: g * 10)
    (g,) = tg.autograd.grad((x * x).sum(), x)
    (tgr,) = torch.autograd.grad((tx * tx).sum(), tx)
    close(g, tgr)


def test_non_leaf_grad_is_none_without_retain_grad():
    x = tg.ones(3, requires_grad=True)
    h = x * 2
    h.sum().backward()
    assert h.grad is None and x.grad is not None


def test_is_leaf_and_grad_fn_names():
    x = tg.ones(3, requires_grad=True)
    c = tg.ones(3)
    y = x * 2
    assert x.is_leaf and c.is_leaf and not y.is_leaf
    assert x.grad_fn is None and c.grad_fn is None
    assert (c * 2).is_leaf  # no input requires grad: no graph
    assert y.grad_fn.name() == "MulBackward0"
    assert (x + x).grad_fn.name() == "AddBackward0"
    assert x.exp().grad_fn.name() == "ExpBackward0"
    with tg.no_grad():
        assert (x * 2).is_leaf
    edge = y.grad_fn.next_functions[0]
    assert edge[0].name() == "AccumulateGrad" and edge[0].variable is x


def test_detach_shares_storage():
    x = tg.ones(3, requires_grad=True)
    d = x.detach()
    assert not d.requires_grad and d.is_leaf
    assert np.shares_memory(d.array, x.array)
    d.array[0] = 5
    assert x.array[0] == 5
    d.add_(1)  # shares the version counter too
    assert x._version == d._version == 1


def test_requires_grad_on_int_tensor_raises():
    with pytest.raises(RuntimeError, match="floating point"):
        tg.tensor([1, 2, 3]).requires_grad_()
    with pytest.raises(RuntimeError, match="floating point"):
        tg.tensor([1, 2, 3], requires_grad=True)
    with pytest.raises(RuntimeError):
        torch.tensor([1, 2, 3]).requires_grad_()


def test_requires_grad_false_on_non_leaf_raises():
    y = tg.ones(3, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="leaf"):
        y.requires_grad_(False)


# ---------------------------------------------------------------------- version counters


@pytest.mark.parametrize("lib", [tg, torch], ids=["tg", "torch"])
def test_saved_input_modified_in_place_raises(lib):
    x = lib.ones(3, requires_grad=True)
    w = lib.full((3,), 2.0)
    y = x * w  # x's gradient needs w: w is saved
    with lib.no_grad():
        w.add_(1)
    with pytest.raises(RuntimeError, match="inplace"):
        y.sum().backward()


@pytest.mark.parametrize("lib", [tg, torch], ids=["tg", "torch"])
def test_saved_leaf_modified_under_no_grad_raises(lib):
    x = lib.ones(3, requires_grad=True)
    w = lib.ones(3, requires_grad=True)
    y = x * w
    with lib.no_grad():
        x.add_(1)
    with pytest.raises(RuntimeError, match="inplace"):
        y.sum().backward()


def test_input_only_needed_by_unneeded_gradient_is_not_saved(rng):
    # as in PyTorch, x * c keeps c (for x's gradient) but not x, so x may change afterwards
    xa, ca = rng.standard_normal(3), rng.standard_normal(3)
    grads = []
    for lib in (tg, torch):
        x = lib.tensor(xa, requires_grad=True)
        c = lib.tensor(ca)
        h = x * 1
        y = h * c + h / c
        h.mul_(2)
        y.sum().backward()
        grads.append(x.grad)
    close(*grads)


def test_saved_output_modified_in_place_raises():
    x = tg.ones(3, requires_grad=True)
    y = x.exp()
    y.add_(1)
    with pytest.raises(RuntimeError, match="inplace"):
        y.sum().backward()
    tx = torch.ones(3, requires_grad=True)
    ty = tx.exp()
    ty.add_(1)
    with pytest.raises(RuntimeError, match="inplace"):
        ty.sum().backward()


def test_modifying_an_unsaved_input_is_fine(rng):
    # Add saves nothing, so modifying its input afterwards doesn't affect backward
    x, tx = pair(rng.standard_normal(3))
    for t in (x, tx):
        c = t * 1
        y = c + 2
        c.mul_(5)
        (y * y).sum().backward()
    close(x.grad, tx.grad)


def test_in_place_on_non_leaf_matches_torch(rng):
    xa, za = rng.standard_normal(4), rng.standard_normal(4)
    grads = []
    for lib in (tg, torch):
        x = lib.tensor(xa, requires_grad=True)
        z = lib.tensor(za, requires_grad=True)
        y = x * 2
        y.mul_(3)
        y.add_(z)
        y.mul_(z)
        y.sub_(x)
        y.div_(2.0)
        assert not y.is_leaf
        (y * y).sum().backward()
        grads.append((x.grad, z.grad, y))
    close(grads[0][0], grads[1][0])
    close(grads[0][1], grads[1][1])
    close(grads[0][2], grads[1][2])


def test_in_place_keeps_storage_and_bumps_version():
    x = tg.ones(3, requires_grad=True)
    y = x * 2
    data, v = y.array, y._version
    y.mul_(3)
    assert y.array is data and y._version == v + 1
    assert y.grad_fn.name() == "MulBackward0"


def test_in_place_on_view_of_non_leaf_matches_torch(rng):
    xa = rng.standard_normal((3, 4))
    grads = []
    for lib in (tg, torch):
        x = lib.tensor(xa, requires_grad=True)
        y = x * 1
        y[1] = y[1] * 5
        (y * y).sum().backward()
        grads.append(x.grad)
    close(*grads)


def test_in_place_on_leaf_requiring_grad_raises():
    x = tg.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        x.add_(1)
    with pytest.raises(RuntimeError, match="leaf"):
        x.mul_(tg.ones(3))
    tx = torch.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        tx.add_(1)


@pytest.mark.parametrize("lib", [tg, torch], ids=["tg", "torch"])
def test_in_place_on_view_of_leaf_raises(lib):
    # regression: tensorgrad wrote into the leaf through the view without a word
    x = lib.ones((2, 3), requires_grad=True)
    with pytest.raises(RuntimeError, match="view of a leaf"):
        x[0].mul_(2)
    with pytest.raises(RuntimeError, match="view of a leaf"):
        x[0][1] = 5.0
    with pytest.raises(RuntimeError, match="view of a leaf"):
        x.reshape(6).add_(1)
    np.testing.assert_array_equal(x.detach().numpy(), np.ones((2, 3)))
    with lib.no_grad():
        x[0].mul_(2)
    assert x.detach().numpy()[0, 0] == 2


def test_in_place_on_copy_of_leaf_is_allowed():
    x = tg.ones((2, 3), requires_grad=True)
    y = x.t().reshape(6)  # not contiguous: reshape copies, so nothing reaches the leaf
    y.add_(1)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones((2, 3)))


def test_in_place_on_view_of_non_leaf_updates_base():
    xa = np.arange(1.0, 5.0).reshape(2, 2)
    grads = []
    for lib in (tg, torch):
        x = lib.tensor(xa, requires_grad=True)
        y = x * 1
        y[0].mul_(2)
        (y * y).sum().backward()
        grads.append(x.grad)
    close(*grads)


def test_optimizer_style_update_under_no_grad(rng):
    xa = rng.standard_normal(3)
    x, tx = pair(xa)
    for _ in range(3):
        for p in (x, tx):
            (p * p).sum().backward()
        with tg.no_grad():
            x.sub_(0.1 * x.grad)
            x.grad = None
        with torch.no_grad():
            tx.sub_(0.1 * tx.grad)
            tx.grad = None
    assert x.is_leaf and x.requires_grad
    close(x, tx)
    np.testing.assert_allclose(x.detach().numpy(), xa * 0.8**3)


def test_grad_accumulates_in_place_on_grad_buffer():
    # an optimizer may keep a reference to .grad: accumulation keeps it up to date
    x = tg.ones(3, requires_grad=True)
    (x * 2).sum().backward()
    g = x.grad
    (x * 3).sum().backward()
    np.testing.assert_allclose(g.numpy(), 5.0)


# ---------------------------------------------------------------------- deep graphs


def test_deep_chain_has_no_recursion_limit():
    assert sys.getrecursionlimit() < 100_000
    x = tg.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.backward()
    assert x.grad.item() == 1.0
    del y  # freeing a 100,000-node chain must not recurse either
    gc.collect()


def test_deep_chain_autograd_grad():
    x = tg.tensor(2.0, requires_grad=True)
    y = x
    for _ in range(20_000):
        y = y + 1e-6
    (g,) = tg.autograd.grad(y, x)
    assert g.item() == 1.0


# ---------------------------------------------------------------------- memory


def _live_nodes() -> int:
    return sum(1 for o in gc.get_objects() if issubclass(type(o), Node))


def _make_model(rng):
    w1 = tg.tensor(rng.standard_normal((8, 16)) * 0.1, dtype=tg.float32, requires_grad=True)
    w2 = tg.tensor(rng.standard_normal((16, 1)) * 0.1, dtype=tg.float32, requires_grad=True)
    x = tg.tensor(rng.standard_normal((4, 8)), dtype=tg.float32)
    t = tg.tensor(rng.standard_normal((4, 1)), dtype=tg.float32)
    return w1, w2, x, t


def _step(w1, w2, x, t):
    h = (x @ w1).tanh()
    loss = ((h @ w2 - t) ** 2).mean()
    loss.backward()
    with tg.no_grad():
        for p in (w1, w2):
            p.sub_(0.01 * p.grad)
            p.grad = None
    return loss.item()


def test_repeated_steps_do_not_grow_memory(rng):
    model = _make_model(rng)
    for _ in range(50):
        _step(*model)
    gc.collect()
    nodes_before = _live_nodes()
    tracemalloc.start()
    try:
        for _ in range(100):
            _step(*model)
        gc.collect()
        warm, _ = tracemalloc.get_traced_memory()
        for _ in range(1000):
            _step(*model)
        gc.collect()
        after, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert after - warm < 64 * 1024, f"memory grew by {after - warm} bytes over 1000 steps"
    assert _live_nodes() <= nodes_before


def test_saved_tensors_released_after_backward():
    x = tg.ones(1000, requires_grad=True)
    big = x.exp()  # an intermediate saved by Mul below
    y = (big * big).sum()
    ref = weakref.ref(big.array)
    del big
    assert ref() is not None  # the graph keeps it alive until backward
    y.backward()
    assert ref() is None


def test_saved_tensors_kept_with_retain_graph():
    x = tg.ones(1000, requires_grad=True)
    big = x.exp()
    y = (big * big).sum()
    ref = weakref.ref(big.array)
    del big
    y.backward(retain_graph=True)
    assert ref() is not None
    del y
    assert ref() is None  # and freed with the graph


def test_graph_freed_by_reference_counting(rng):
    """A forward/backward step creates no reference cycles: with the cycle collector off,
    everything it allocated is freed as soon as the last reference goes."""
    w1, w2, x, t = _make_model(rng)
    _step(w1, w2, x, t)
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        h = (x @ w1).tanh()
        out = h @ w2
        out.retain_grad()
        loss = ((out - t) ** 2).mean()
        loss.register_hook(lambda g: g)
        node_ref = weakref.ref(loss.grad_fn)
        loss.backward()
        del h, out, loss
        assert node_ref() is None
        _step(w1, w2, x, t)
        assert gc.collect() == 0
    finally:
        if was_enabled:
            gc.enable()


def test_graph_without_backward_is_freed(rng):
    x = tg.ones(100, requires_grad=True)
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        y = (x.exp() * x).sin().sum()
        ref = weakref.ref(y.grad_fn)
        del y
        assert ref() is None
        assert gc.collect() == 0
    finally:
        if was_enabled:
            gc.enable()


# ---------------------------------------------------------------------- aliasing


def test_grads_do_not_alias_each_other():
    x = tg.ones(3, requires_grad=True)
    y = tg.ones(3, requires_grad=True)
    (x + y).sum().backward()
    assert not np.shares_memory(x.grad.array, y.grad.array)
    x.grad.array[0] = 7
    assert y.grad.array[0] == 1


def test_grads_do_not_alias_each_other_with_gradient():
    x = tg.ones(3, requires_grad=True)
    y = tg.ones(3, requires_grad=True)
    z = tg.ones(3, requires_grad=True)
    g = tg.ones(3)
    (x + y - z).backward(g)
    arrays = [x.grad.array, y.grad.array, z.grad.array, g.array]
    for i in range(4):
        for j in range(i + 1, 4):
            assert not np.shares_memory(arrays[i], arrays[j])


def test_user_gradient_not_stored_by_reference():
    x = tg.ones(3, requires_grad=True)
    g = tg.tensor([1.0, 2.0, 3.0])
    (x * 1).backward(g)
    (x + 0).backward(g)  # accumulation writes into x.grad, never into g
    np.testing.assert_array_equal(g.numpy(), [1.0, 2.0, 3.0])
    assert not np.shares_memory(x.grad.array, g.array)
    g.array[0] = 100
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0, 6.0])


def test_root_is_leaf_gradient_not_stored_by_reference():
    x = tg.ones(3, requires_grad=True)
    g = tg.tensor([1.0, 2.0, 3.0])
    x.backward(g)
    assert not np.shares_memory(x.grad.array, g.array)


def test_grad_of_view_does_not_alias():
    x = tg.ones((2, 3), requires_grad=True)
    y = tg.ones((2, 3), requires_grad=True)
    (x.t() + y.t()).sum().backward()
    assert not np.shares_memory(x.grad.array, y.grad.array)
    x.grad.array += 1
    np.testing.assert_array_equal(y.grad.numpy(), np.ones((2, 3)))


@pytest.mark.parametrize("lib", ["tg", "torch"])
def test_grad_materialize_grads(lib):
    # regression: autograd.grad had no materialize_grads (TypeError)
    L = tg if lib == "tg" else torch
    p = L.tensor([1.0, 2.0], requires_grad=True)
    r = L.tensor(3.0, requires_grad=True)
    gp, gr = L.autograd.grad((p * p).sum(), [p, r], materialize_grads=True)
    assert gp.tolist() == [2.0, 4.0] and gr.tolist() == 0.0 and not gr.requires_grad
    _, gr = L.autograd.grad((p * p).sum(), [p, r], materialize_grads=True, create_graph=True)
    assert gr.requires_grad
    with pytest.raises(ValueError, match="allow_unused"):
        L.autograd.grad((p * p).sum(), [p, r], allow_unused=False, materialize_grads=True)


@pytest.mark.parametrize("lib", ["tg", "torch"])
def test_grad_is_grads_batched(lib):
    # regression: autograd.grad had no is_grads_batched (TypeError)
    L = tg if lib == "tg" else torch
    x = L.tensor([1.0, -2.0, 0.5], requires_grad=True)
    unused = L.tensor(1.0, requires_grad=True)
    out = x * x * L.tensor([1.0, 2.0, 3.0])
    v = L.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 1.0, 1.0]])
    jac, none = L.autograd.grad(out, [x, unused], v, is_grads_batched=True, allow_unused=True)
    J = np.diag(2 * np.array([1.0, -2.0, 0.5]) * [1.0, 2.0, 3.0])
    np.testing.assert_allclose(jac.numpy(), v.numpy() @ J)
    assert none is None
