"""Tensor.register_post_accumulate_grad_hook and engine.queue_callback (PyTorch's semantics;
DistributedDataParallel is built on them)."""

import pytest
import torch

import tensorgrad as tg
from tensorgrad.autograd import engine


def test_post_accumulate_hook_sees_the_accumulated_grad_like_pytorch():
    seen, theirs = [], []
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    tw = torch.tensor([1.0, 2.0], requires_grad=True)
    w.register_post_accumulate_grad_hook(lambda p: seen.append(p.grad.tolist()))
    tw.register_post_accumulate_grad_hook(lambda p: theirs.append(p.grad.tolist()))
    for _ in range(2):  # the second pass accumulates
        (w * w).sum().backward()
        (tw * tw).sum().backward()
    assert seen == theirs == [[2.0, 4.0], [4.0, 8.0]]


def test_post_accumulate_hook_handle_and_errors():
    w = tg.ones(2, requires_grad=True)
    calls = []
    handle = w.register_post_accumulate_grad_hook(calls.append)
    w.sum().backward()
    handle.remove()
    w.sum().backward()
    assert calls == [w]
    with pytest.raises(RuntimeError, match="non-leaf"):
        (w * 2).register_post_accumulate_grad_hook(calls.append)
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        tg.ones(2).register_post_accumulate_grad_hook(calls.append)


def test_queue_callback_runs_once_after_every_gradient_is_stored():
    w = tg.ones(3, requires_grad=True)
    v = tg.ones(3, requires_grad=True)
    order = []

    def queue(p):
        order.append("hook")
        if order.count("hook") == 1:
            engine.queue_callback(lambda: order.append(("callback", v.grad is not None)))

    w.register_post_accumulate_grad_hook(queue)
    (w * v).sum().backward()
    assert order == ["hook", ("callback", True)]


def test_queue_callback_outside_backward_and_failed_pass():
    with pytest.raises(RuntimeError, match="during the backward pass"):
        engine.queue_callback(lambda: None)
    ran = []
    w = tg.ones(2, requires_grad=True)

    def bad(grad):
        engine.queue_callback(lambda: ran.append(1))
        raise ValueError("hook failed")

    (w * 2).register_hook(bad)
    y = w * 2
    y.register_hook(bad)
    with pytest.raises(ValueError, match="hook failed"):
        y.sum().backward()
    w.sum().backward()  # the failed pass's callback is gone, not run later
    assert ran == []
