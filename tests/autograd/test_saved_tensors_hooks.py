"""``autograd.graph.saved_tensors_hooks``, ``save_on_cpu`` and ``disable_saved_tensors_hooks``,
against PyTorch's."""

import numpy as np
import pytest

import tensorgrad as tg
from tests.autograd.test_gradcheck import Square  # x * x, saving x with save_for_backward

torch = pytest.importorskip("torch")


def _model_step(lib, x_np, hooks=None):
    """A small graph of matmul, bias, tanh, softmax, layer_norm and a loss; returns the loss,
    the gradients and what the hooks saw."""
    lib.manual_seed(0)
    x = (torch.from_numpy(x_np) if lib is torch else tg.tensor(x_np)).requires_grad_()
    w = lib.randn(4, 5, requires_grad=True)
    b = lib.zeros(5, requires_grad=True)
    seen = {"pack": [], "unpack": []}

    def pack(t):
        seen["pack"].append(tuple(t.shape))
        return t.detach().numpy().copy()  # e.g. an offload: the graph keeps only the copy

    def unpack(a):
        seen["unpack"].append(a.shape)
        return torch.from_numpy(a) if lib is torch else tg.tensor(a)

    def forward():
        h = (x @ w + b).tanh()
        p = lib.nn.functional.layer_norm(h.softmax(-1), (5,))
        return (p * h).sum()

    if hooks:
        with lib.autograd.graph.saved_tensors_hooks(pack, unpack):
            loss = forward()
    else:
        loss = forward()
    loss.backward()  # after the block: the hooks were taken when the tensors were saved
    grads = [t.grad.numpy() for t in (x, w, b)]
    return loss.item(), grads, seen


def test_hooks_see_the_saved_tensors_and_gradients_are_unchanged():
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    loss, grads, _ = _model_step(tg, x)
    hooked_loss, hooked, seen = _model_step(tg, x, hooks=True)
    assert hooked_loss == loss
    for a, b in zip(hooked, grads):
        np.testing.assert_array_equal(a, b)
    assert seen["pack"] and len(seen["unpack"]) == len(seen["pack"])
    assert sorted(seen["unpack"]) == sorted(seen["pack"])
    torch_loss, torch_grads, _ = _model_step(torch, x, hooks=True)
    np.testing.assert_allclose(hooked_loss, torch_loss, rtol=1e-5)
    for a, b in zip(hooked, torch_grads):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_pytorchs_count_of_packs_for_a_matmul_chain():
    """matmul saves both operands, exp its output, as in PyTorch."""
    x_np = np.random.default_rng(1).standard_normal((3, 4)).astype(np.float32)
    for lib in (torch, tg):
        packed = []
        x = (torch.from_numpy(x_np) if lib is torch else tg.tensor(x_np)).requires_grad_()
        w = lib.ones(4, 2, requires_grad=True)

        def pack(t, packed=packed):
            packed.append(t.shape)
            return t

        with lib.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            (x @ w).exp().sum().backward()
        assert sorted(tuple(s) for s in packed) == [(3, 2), (3, 4), (4, 2)], lib.__name__


def test_what_pack_returned_is_what_was_saved_as_in_pytorch():
    """An in-place change after the save: a hook that kept a copy still gives the old values
    (no version error), one that kept the tensor gives the new ones, in both libraries."""
    for lib in (torch, tg):
        for keep, expect in ((lambda t: t.clone(), np.cos(2.0)), (lambda t: t, np.cos(3.0))):
            x = lib.ones(3, requires_grad=True)
            y = x * 2
            with lib.autograd.graph.saved_tensors_hooks(keep, lambda t: t):
                z = y.sin()
            y.add_(1)
            z.sum().backward()
            np.testing.assert_allclose(x.grad.numpy(), 2 * expect * np.ones(3), rtol=1e-6)


def test_custom_functions_double_backward_and_save_on_cpu():
    calls = []
    x = tg.tensor([1.0, -2.0, 3.0], requires_grad=True)
    with tg.autograd.graph.saved_tensors_hooks(lambda t: calls.append("p") or t, lambda t: t):
        y = Square.apply(x).sum()
    y.backward()
    assert calls == ["p"] and x.grad.tolist() == [2.0, -4.0, 6.0]
    x = tg.tensor([0.5, 1.5], requires_grad=True)
    with tg.autograd.graph.save_on_cpu():
        y = x.sin().sum()
    (g,) = tg.autograd.grad(y, x, create_graph=True)
    (gg,) = tg.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(gg.numpy(), -np.sin([0.5, 1.5]), rtol=1e-6)


def test_errors():
    with tg.autograd.graph.disable_saved_tensors_hooks("no hooks in this library"):
        with pytest.raises(RuntimeError, match="no hooks in this library"):
            with tg.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
                pass
    with tg.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: 0):
        y = tg.randn(2, requires_grad=True).exp().sum()
    with pytest.raises(TypeError, match="unpack hook must return a Tensor, got int"):
        y.backward()
