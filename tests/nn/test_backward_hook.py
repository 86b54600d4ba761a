"""Module full backward hooks (tensorgrad/nn/backward_hook.py), against PyTorch's: the order
hooks run in, the gradients they see, what they may replace, and how they are removed."""

import warnings

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.nn import module as tg_module

torch = pytest.importorskip("torch")

LIBS = pytest.mark.parametrize("lib", [tg, torch], ids=["tensorgrad", "torch"])


def _np(t):
    return None if t is None else t.detach().cpu().numpy()


def _run_both(fn):
    """``fn(lib)`` in both libraries; returns the two results."""
    return fn(tg), fn(torch)


def _assert_same(a, b):
    if isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _assert_same(x, y)
    elif a is None or b is None:
        assert a is None and b is None
    else:
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def _mlp(lib):
    rng = np.random.default_rng(0)
    net = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.Tanh(), lib.nn.Linear(4, 2))
    with lib.no_grad():
        for p in net.parameters():
            p.copy_(lib.tensor(rng.standard_normal(tuple(p.shape)).astype(np.float32)))
    return net


def test_grad_input_and_grad_output_values_with_random_upstream_gradient():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((5, 3)).astype(np.float32)
    up = rng.standard_normal((5, 2)).astype(np.float32)

    def run(lib):
        net, seen = _mlp(lib), []
        for name, m in net.named_modules():
            m.register_full_backward_pre_hook(
                lambda m, go, name=name: seen.append(("pre", name, [_np(g) for g in go]))
            )
            m.register_full_backward_hook(
                lambda m, gi, go, name=name: seen.append(
                    ("full", name, [_np(g) for g in gi], [_np(g) for g in go])
                )
            )
        xt = lib.tensor(x, requires_grad=True)
        net(xt).backward(lib.tensor(up))
        return seen, _np(xt.grad), [_np(p.grad) for p in net.parameters()]

    (tg_seen, *tg_rest), (th_seen, *th_rest) = _run_both(run)
    assert [s[:2] for s in tg_seen] == [s[:2] for s in th_seen]
    for a, b in zip(tg_seen, th_seen):
        _assert_same(a[2:], b[2:])
    _assert_same(tg_rest, th_rest)


def test_several_inputs_non_tensor_and_no_grad_inputs_and_unused_outputs():
    def run(lib):
        class Two(lib.nn.Module):
            def forward(self, a, b, scale):
                return a * b * scale, a + 1

        m, seen = Two(), {}
        m.register_full_backward_pre_hook(lambda m, go: seen.update(pre=[_np(g) for g in go]))
        m.register_full_backward_hook(
            lambda m, gi, go: seen.update(gi=[_np(g) for g in gi], go=[_np(g) for g in go])
        )
        a = lib.tensor([1.0, -2.0], requires_grad=True)
        b = lib.tensor([3.0, 0.5])  # needs no gradient: the hook sees zeros
        out, unused = m(a, b, 2.0)  # the second output gets no gradient: None
        out.backward(lib.tensor([0.25, -1.5]))
        return seen, _np(a.grad)

    tg_res, th_res = _run_both(run)
    assert tg_res[0]["gi"][2] is None and tg_res[0]["go"][1] is None
    keys = ("pre", "gi", "go")
    _assert_same([tg_res[0][k] for k in keys], [th_res[0][k] for k in keys])
    _assert_same(tg_res[1], th_res[1])


def test_unused_input_gets_zeros():
    def run(lib):
        class First(lib.nn.Module):
            def forward(self, a, b):
                return a * 2

        m, seen = First(), []
        m.register_full_backward_hook(lambda m, gi, go: seen.append([_np(g) for g in gi]))
        m(lib.ones(2, requires_grad=True), lib.ones(2, requires_grad=True)).sum().backward()
        return seen

    _assert_same(*_run_both(run))


def test_hooks_replace_gradients_and_check_their_number():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 3)).astype(np.float32)

    def run(lib):
        net = _mlp(lib)
        net[2].register_full_backward_pre_hook(lambda m, go: (go[0] * 3,))
        net[0].register_full_backward_hook(lambda m, gi, go: (gi[0] * -2,))
        xt = lib.tensor(x, requires_grad=True)
        net(xt).sum().backward()
        return _np(xt.grad), [_np(p.grad) for p in net.parameters()]

    _assert_same(*_run_both(run))
    for lib in (tg, torch):
        bad = lib.nn.Linear(2, 2)
        bad.register_full_backward_hook(lambda m, gi, go: (gi[0], gi[0]))
        with pytest.raises(RuntimeError, match="invalid number of grad_input, got 2, but"):
            bad(lib.ones(1, 2, requires_grad=True)).sum().backward()
        bad = lib.nn.Linear(2, 2)
        bad.register_full_backward_pre_hook(lambda m, go: (go[0], go[0]))
        with pytest.raises(RuntimeError, match="invalid number of grad_output, got 2, but"):
            bad(lib.ones(1, 2, requires_grad=True)).sum().backward()


@LIBS
def test_no_input_requires_grad_fires_at_the_output_with_a_warning(lib):
    m, seen = lib.nn.Linear(2, 2), []
    m.register_full_backward_hook(lambda m, gi, go: seen.append((gi, tuple(go[0].shape))))
    with pytest.warns(UserWarning, match="Full backward hook is firing when gradients"):
        m(lib.ones(1, 2)).sum().backward()
    assert seen == [((None,), (1, 2))]
    m.register_full_backward_hook(lambda m, gi, go: (lib.ones(1, 2),))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(RuntimeError, match="should always return None or None for all"):
            m(lib.ones(1, 2)).sum().backward()


@LIBS
def test_removal_prepend_and_hooks_fixed_at_call_time(lib):
    m, order = lib.nn.Linear(2, 2), []
    h1 = m.register_full_backward_hook(lambda *a: order.append("h1"))
    m.register_full_backward_hook(lambda *a: order.append("h0"), prepend=True)
    p1 = m.register_full_backward_pre_hook(lambda *a: order.append("p1"))
    m.register_full_backward_pre_hook(lambda *a: order.append("p0"), prepend=True)
    x = lib.ones(1, 2, requires_grad=True)
    out = m(x)
    h1.remove()  # after the call: this backward still runs it, as in PyTorch
    p1.remove()
    out.sum().backward()
    assert order == ["p0", "p1", "h0", "h1"]
    order.clear()
    m(x).sum().backward()
    assert order == ["p0", "h0"]


@LIBS
def test_no_graph_no_hooks_and_dict_output_warns(lib):
    m, seen = lib.nn.Linear(2, 2), []
    m.register_full_backward_hook(lambda *a: seen.append(1))
    with lib.no_grad():
        out = m(lib.ones(1, 2, requires_grad=True))
    assert out.grad_fn is None and seen == []

    class Dict(lib.nn.Module):
        def forward(self, x):
            return {"a": x * 2}

    d = Dict()
    d.register_full_backward_hook(lambda *a: seen.append(1))
    with pytest.warns(UserWarning, match="module output should be a Tensor or a tuple"):
        d(lib.ones(2, requires_grad=True))["a"].sum().backward()
    assert seen == []


def test_global_hooks_run_before_the_modules_own():
    def run(lib):
        order = []
        mod = tg_module if lib is tg else torch.nn.modules.module
        handles = [
            mod.register_module_forward_pre_hook(lambda m, a: order.append("g-fpre")),
            mod.register_module_forward_hook(lambda m, a, o: order.append("g-f")),
            mod.register_module_full_backward_pre_hook(lambda m, g: order.append("g-bpre")),
            mod.register_module_full_backward_hook(lambda m, gi, go: order.append("g-b")),
        ]
        try:
            m = lib.nn.Linear(2, 2)
            m.register_forward_pre_hook(lambda m, a: order.append("fpre"))
            m.register_forward_hook(lambda m, a, o: order.append("f"))
            m.register_full_backward_pre_hook(lambda m, g: order.append("bpre"))
            m.register_full_backward_hook(lambda m, gi, go: order.append("b"))
            m(lib.ones(1, 2, requires_grad=True)).sum().backward()
        finally:
            for h in handles:
                h.remove()
        m(lib.ones(1, 2, requires_grad=True)).sum().backward()
        return order

    tg_order, th_order = _run_both(run)
    assert tg_order == th_order
    assert not tg_module._global_backward_hooks and not tg_module._global_forward_hooks


@LIBS
def test_in_place_on_a_hooked_modules_output_raises(lib):
    m = lib.nn.Linear(2, 2)
    m.register_full_backward_hook(lambda *a: None)
    out = m(lib.ones(1, 2))
    with pytest.raises(RuntimeError, match="Output 0 of BackwardHookFunction is a view and is"):
        out.relu_()
    out = m(lib.ones(1, 2)).clone()
    out.relu_()  # a clone is the fix the message gives
    relu = lib.nn.ReLU()
    relu.register_full_backward_hook(lambda *a: None)
    with pytest.raises(RuntimeError, match="created inside a custom Function"):
        relu(lib.ones(2, requires_grad=True) * 2).add_(1)
    # the Grad-CAM pitfall: an inplace activation after (or as) a hooked layer
    net = lib.nn.Sequential(lib.nn.Linear(2, 2), lib.nn.ReLU(inplace=True))
    net[0].register_full_backward_hook(lambda *a: None)
    with pytest.raises(RuntimeError, match="Output 0 of BackwardHookFunction is a view"):
        net(lib.ones(1, 2))
    relu = lib.nn.LeakyReLU(inplace=True)
    relu.register_full_backward_hook(lambda *a: None)
    with pytest.raises(RuntimeError, match="Output 0 of BackwardHookFunction is a view"):
        relu(lib.ones(2, requires_grad=True) * 2)
    with lib.no_grad():
        net(lib.ones(1, 2))  # no graph: nothing to refuse


def test_under_compile_a_hooked_module_runs_eagerly_with_a_warning():
    net, calls = _mlp(tg), []
    net[0].register_full_backward_hook(lambda m, gi, go: calls.append(1))
    step = tg.compile(lambda x: net(x).sum().backward())
    x = tg.ones(2, 3, requires_grad=True)
    with pytest.warns(UserWarning, match="a hook on the module Linear"):
        for _ in range(3):
            step(x)
    step(x)
    assert len(calls) == 4
