"""Optimizer step hooks (``register_step_pre_hook`` / ``register_step_post_hook``), compared with
PyTorch's call signature and order."""

import numpy as np
import pytest
import torch

import tensorgrad as tg


def _make(lib, opt_name="SGD"):
    w = lib.nn.Parameter(lib.tensor(np.array([1.0, -2.0, 3.0], dtype=np.float32)))
    opt = getattr(lib.optim, opt_name)([w], lr=0.1)
    (w * w).sum().backward()
    return w, opt


def _record(lib, opt_name="SGD", step_kwargs=None):
    """Register a pre and a post hook, step once, and describe what the hooks saw."""
    w, opt = _make(lib, opt_name)
    calls = []

    def pre(o, args, kwargs):
        calls.append(("pre", o is opt, len(args), args[0] is opt, sorted(kwargs), w.tolist()))

    def post(o, args, kwargs):
        calls.append(("post", o is opt, len(args), args[0] is opt, sorted(kwargs), w.tolist()))

    opt.register_step_post_hook(post)  # registered first, runs after the pre hook all the same
    opt.register_step_pre_hook(pre)
    opt.step(**(step_kwargs or {}))
    return calls


@pytest.mark.parametrize(
    "opt_name",
    ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam",
     "ASGD", "Lion"],
)  # fmt: skip
def test_pre_runs_before_and_post_after_the_update(opt_name):
    calls = _record(tg, opt_name)
    assert [c[0] for c in calls] == ["pre", "post"]
    assert calls[0][5] == [1.0, -2.0, 3.0]  # the pre hook sees the weights before the step
    assert calls[1][5] != [1.0, -2.0, 3.0]


@pytest.mark.parametrize("step_kwargs", [None, {"closure": None}])
def test_hook_arguments_match_torch(step_kwargs):
    ours = [c[:5] for c in _record(tg, step_kwargs=step_kwargs)]
    theirs = [c[:5] for c in _record(torch, step_kwargs=step_kwargs)]
    assert ours == theirs


def test_hooks_run_in_registration_order_and_remove():
    w, opt = _make(tg)
    order = []
    h1 = opt.register_step_pre_hook(lambda o, a, k: order.append(1))
    opt.register_step_pre_hook(lambda o, a, k: order.append(2))
    h3 = opt.register_step_post_hook(lambda o, a, k: order.append(3))
    opt.step()
    assert order == [1, 2, 3]
    h1.remove()
    h3.remove()
    h3.remove()  # removing twice is harmless, as in PyTorch
    order.clear()
    opt.step()
    assert order == [2]


def test_pre_hook_can_replace_the_arguments():
    w, opt = _make(tg)
    seen = []

    def closure():
        seen.append("closure")
        return tg.tensor(5.0)

    opt.register_step_pre_hook(lambda o, args, kwargs: (args, {"closure": closure}))
    assert opt.step().item() == 5.0
    assert seen == ["closure"]


def test_pre_hook_returning_junk_is_an_error():
    w, opt = _make(tg)
    opt.register_step_pre_hook(lambda o, a, k: 3)
    with pytest.raises(RuntimeError, match="must return None or a tuple"):
        opt.step()


def test_subclass_with_its_own_step_runs_the_hooks_once():
    class Halving(tg.optim.SGD):
        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    p.grad.data *= 0.5
            return super().step(closure)

    w = tg.nn.Parameter(tg.ones(2))
    opt = Halving([w], lr=1.0)
    (w * w).sum().backward()  # grad 2, halved to 1
    calls = []
    opt.register_step_pre_hook(lambda o, a, k: calls.append("pre"))
    opt.register_step_post_hook(lambda o, a, k: calls.append("post"))
    opt.step()
    assert calls == ["pre", "post"]
    assert w.tolist() == [0.0, 0.0]
