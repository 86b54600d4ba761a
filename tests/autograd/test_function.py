"""User-defined ops: ``tg.autograd.Function`` (``tensorgrad/autograd/function.py``), written the
same way as ``torch.autograd.Function`` and compared with it."""

from __future__ import annotations

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.autograd import Function, gradcheck, gradgradcheck

torch = pytest.importorskip("torch")


def make_functions(lib):
    """The same custom ops for either library (``lib.autograd.Function`` as base class)."""

    class Exp(lib.autograd.Function):
        """Saves its output."""

        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, g):
            (y,) = ctx.saved_tensors
            return g * y

    class ScaledMul(lib.autograd.Function):
        """``scale * a * b``: a non-tensor argument, saved inputs, ``needs_input_grad``."""

        @staticmethod
        def forward(ctx, a, scale, b):
            ctx.save_for_backward(a, b)
            ctx.scale = scale
            return a * b * scale

        @staticmethod
        def backward(ctx, g):
            a, b = ctx.saved_tensors
            ga = g * b * ctx.scale if ctx.needs_input_grad[0] else None
            gb = g * a * ctx.scale if ctx.needs_input_grad[2] else None
            return ga, None, gb

    class SinCos(lib.autograd.Function):
        """Two outputs."""

        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.sin(), x.cos()

        @staticmethod
        def backward(ctx, gs, gc):
            (x,) = ctx.saved_tensors
            return gs * x.cos() - gc * x.sin()

    class MaxWithIndex(lib.autograd.Function):
        """The max along the last dim and its (non-differentiable) index."""

        @staticmethod
        def forward(ctx, x):
            idx = x.argmax(-1, keepdim=True)
            values = x.gather(-1, idx)
            ctx.mark_non_differentiable(idx)
            ctx.save_for_backward(idx)
            ctx.shape = x.shape
            return values, idx

        @staticmethod
        def backward(ctx, g, g_idx):
            (idx,) = ctx.saved_tensors
            return lib.zeros(ctx.shape, dtype=g.dtype).scatter(-1, idx, g)

    return Exp, ScaledMul, SinCos, MaxWithIndex


TG = make_functions(tg)
TORCH = make_functions(torch)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def close(a, b):
    assert a is not None and b is not None
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-7, atol=1e-10)


def pair(array):
    return (
        tg.tensor(array, dtype=tg.float64, requires_grad=True),
        torch.tensor(array, dtype=torch.float64, requires_grad=True),
    )


def test_function_base_class_is_exported():
    assert tg.autograd.Function is Function
    assert issubclass(TG[0], Function)


def test_saving_an_output(rng):
    x, tx = pair(rng.standard_normal((2, 3)))
    y, ty = TG[0].apply(x), TORCH[0].apply(tx)
    close(y, ty)
    assert y.requires_grad and not y.is_leaf
    g = rng.standard_normal((2, 3))
    y.backward(tg.tensor(g))
    ty.backward(torch.tensor(g))
    close(x.grad, tx.grad)


def test_non_tensor_argument_and_needs_input_grad(rng):
    a, ta = pair(rng.standard_normal(4))
    b = tg.tensor(rng.standard_normal(4))
    tb = torch.tensor(b.numpy())
    out, tout = TG[1].apply(a, 2.5, b), TORCH[1].apply(ta, 2.5, tb)
    close(out, tout)
    assert out.grad_fn.needs_input_grad == (True, False, False)
    assert tout.grad_fn.needs_input_grad == (True, False, False)
    out.sum().backward()
    tout.sum().backward()
    close(a.grad, ta.grad)
    assert b.grad is None


def test_ctx_attributes_survive_to_backward(rng):
    a, _ = pair(rng.standard_normal(3))
    b, _ = pair(rng.standard_normal(3))
    out = TG[1].apply(a, -3.0, b)
    assert out.grad_fn.scale == -3.0
    out.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), -3.0 * b.detach().numpy())
    np.testing.assert_allclose(b.grad.numpy(), -3.0 * a.detach().numpy())


def test_multiple_outputs(rng):
    x, tx = pair(rng.standard_normal(5))
    (s, c), (ts, tc) = TG[2].apply(x), TORCH[2].apply(tx)
    close(s, ts)
    close(c, tc)
    assert s.grad_fn is c.grad_fn
    (s * 2 + c * c).sum().backward()
    (ts * 2 + tc * tc).sum().backward()
    close(x.grad, tx.grad)


def test_multiple_outputs_only_one_used(rng):
    # the unused output's gradient reaches backward as zeros, as in PyTorch
    x, tx = pair(rng.standard_normal(5))
    s, _ = TG[2].apply(x)
    _, tc = TORCH[2].apply(tx)
    s.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.cos(x.detach().numpy()))
    tc.sum().backward()
    np.testing.assert_allclose(tx.grad.numpy(), -np.sin(tx.detach().numpy()))


def test_mark_non_differentiable(rng):
    x, tx = pair(rng.standard_normal((3, 4)))
    (v, i), (tv, ti) = TG[3].apply(x), TORCH[3].apply(tx)
    close(v, tv)
    np.testing.assert_array_equal(i.numpy(), ti.numpy())
    assert v.requires_grad and not i.requires_grad and not ti.requires_grad
    g = rng.standard_normal((3, 1))
    v.backward(tg.tensor(g))
    tv.backward(torch.tensor(g))
    close(x.grad, tx.grad)


def test_forward_runs_without_recording(rng):
    seen = []

    class Probe(Function):
        @staticmethod
        def forward(ctx, x):
            y = x * 2
            seen.append((tg.is_grad_enabled(), y.requires_grad, x.requires_grad))
            return y

        @staticmethod
        def backward(ctx, g):
            return g * 2

    x = tg.ones(3, requires_grad=True)
    out = Probe.apply(x)
    assert seen == [(False, False, True)]
    assert out.requires_grad and out.grad_fn is not None
    assert tg.is_grad_enabled()


def test_apply_under_no_grad_or_without_grad_inputs(rng):
    x = tg.tensor(rng.standard_normal(3), requires_grad=True)
    with tg.no_grad():
        y = TG[0].apply(x)
    assert not y.requires_grad and y.grad_fn is None
    z = TG[0].apply(x.detach())
    assert not z.requires_grad and z.grad_fn is None


def test_returning_an_input_as_is():
    class Identity(Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 3

    x = tg.ones(3, requires_grad=True)
    y = Identity.apply(x)
    assert y is not x and not y.is_leaf and x.is_leaf
    assert np.shares_memory(y.array, x.array)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 3.0)


def test_gradcheck_on_functions(rng):
    x = tg.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    b = tg.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    Exp, ScaledMul, SinCos, MaxWithIndex = TG
    assert gradcheck(Exp.apply, (x,))
    assert gradcheck(lambda a, c: ScaledMul.apply(a, 1.5, c), (x, b))
    assert gradcheck(SinCos.apply, (x,))
    assert gradcheck(MaxWithIndex.apply, (x,))


def test_gradgradcheck_on_functions(rng):
    # backward is written in tensor ops, so it is itself differentiable
    x = tg.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    b = tg.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    Exp, ScaledMul, SinCos, _ = TG
    assert gradgradcheck(Exp.apply, (x,))
    assert gradgradcheck(lambda a, c: ScaledMul.apply(a, 1.5, c), (x, b))
    assert gradgradcheck(SinCos.apply, (x,))


def test_double_backward_through_function_matches_torch(rng):
    x, tx = pair(rng.standard_normal(4))
    (g,) = tg.autograd.grad(TG[0].apply(x).sum(), x, create_graph=True)
    (tgr,) = torch.autograd.grad(TORCH[0].apply(tx).sum(), tx, create_graph=True)
    (gg,) = tg.autograd.grad((g * g).sum(), x)
    (tgg,) = torch.autograd.grad((tgr * tgr).sum(), tx)
    close(gg, tgg)


@pytest.mark.parametrize("lib", ["tg", "torch"])
def test_saved_input_modified_in_place_raises(lib, rng):
    L, (_, ScaledMul, _, _) = (tg, TG) if lib == "tg" else (torch, TORCH)
    a = L.tensor(rng.standard_normal(3), requires_grad=True)
    b = L.tensor(rng.standard_normal(3))
    out = ScaledMul.apply(a, 2.0, b)
    with L.no_grad():
        b.mul_(2)
    with pytest.raises(RuntimeError, match="inplace"):
        out.sum().backward()


@pytest.mark.parametrize("lib", ["tg", "torch"])
def test_saved_output_modified_in_place_raises(lib, rng):
    L, (Exp, _, _, _) = (tg, TG) if lib == "tg" else (torch, TORCH)
    x = L.tensor(rng.standard_normal(3), requires_grad=True)
    y = Exp.apply(x)
    y.mul_(2)
    with pytest.raises(RuntimeError, match="inplace"):
        y.sum().backward()


def test_saved_tensors_freed_after_backward(rng):
    x = tg.tensor(rng.standard_normal(3), requires_grad=True)
    y = TG[0].apply(x)
    node = y.grad_fn
    assert len(node.saved_tensors) == 1
    y.sum().backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        node.saved_tensors  # noqa: B018 (reading the property is what must raise)
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.sum().backward()


def test_saved_output_comes_back_with_its_history(rng):
    x = tg.tensor(rng.standard_normal(3), requires_grad=True)
    y = TG[0].apply(x)
    (saved,) = y.grad_fn.saved_tensors
    assert saved.grad_fn is y.grad_fn
    np.testing.assert_array_equal(saved.detach().numpy(), y.detach().numpy())


def test_backward_returning_too_few_gradients_raises():
    class Bad(Function):
        @staticmethod
        def forward(ctx, a, b):
            return a + b

        @staticmethod
        def backward(ctx, g):
            return g

    a = tg.ones(3, requires_grad=True)
    b = tg.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="Bad"):
        Bad.apply(a, b).sum().backward()


def test_backward_returning_wrong_shape_raises():
    class Bad(Function):
        @staticmethod
        def forward(ctx, a):
            return a.sum()

        @staticmethod
        def backward(ctx, g):
            return g  # should be expanded to a's shape

    a = tg.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="shape"):
        Bad.apply(a).backward()


def test_function_in_a_larger_graph_matches_torch(rng):
    x, tx = pair(rng.standard_normal((3, 4)))
    w, tw = pair(rng.standard_normal((4, 2)))
    out = TG[1].apply(TG[0].apply(x @ w).tanh(), 0.5, x[:, :2])
    tout = TORCH[1].apply(TORCH[0].apply(tx @ tw).tanh(), 0.5, tx[:, :2])
    close(out, tout)
    g = rng.standard_normal((3, 2))
    out.backward(tg.tensor(g))
    tout.backward(torch.tensor(g))
    close(x.grad, tx.grad)
    close(w.grad, tw.grad)


@pytest.mark.parametrize("lib", ["tg", "torch"])
def test_needs_input_grad_readable_in_forward(lib):
    # regression: tensorgrad set ctx.needs_input_grad only after forward (AttributeError)
    L = tg if lib == "tg" else torch
    seen = []

    class Scale(L.autograd.Function):
        @staticmethod
        def forward(ctx, x, k):
            seen.append(ctx.needs_input_grad)
            return x * k

        @staticmethod
        def backward(ctx, g):
            return g * 2, None

    Scale.apply(L.ones(2, requires_grad=True), 3.0)
    Scale.apply(L.ones(2), 3.0)
    with L.no_grad():
        Scale.apply(L.ones(2, requires_grad=True), 3.0)
    assert seen == [(True, False), (False, False), (True, False)]


def _once_differentiable(lib):
    return (tg.autograd.function if lib is tg else torch.autograd.function).once_differentiable


@pytest.mark.parametrize("lib", ["tg", "torch"])
def test_setup_context_form(lib, rng):
    # regression: PyTorch 2's forward(*args) + setup_context(ctx, inputs, output) got ctx as x
    L = tg if lib == "tg" else torch

    class Cube(L.autograd.Function):
        @staticmethod
        def forward(x, k):
            return x**3 * k

        @staticmethod
        def setup_context(ctx, inputs, output):
            x, k = inputs
            ctx.save_for_backward(x)
            ctx.k = k

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 3 * x**2 * g * ctx.k, None

    x = L.tensor(rng.standard_normal(4), requires_grad=True)
    (g,) = L.autograd.grad(Cube.apply(x, 2.0).sum(), x, create_graph=True)
    (gg,) = L.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(g.detach().numpy(), 6 * x.detach().numpy() ** 2)
    np.testing.assert_allclose(gg.numpy(), 12 * x.detach().numpy())
    assert L.autograd.gradcheck(lambda t: Cube.apply(t, 1.5), (x,))


@pytest.mark.parametrize("lib", ["tg", "torch"])
def test_once_differentiable(lib, rng):
    # regression: torch.autograd.function.once_differentiable was missing
    L = tg if lib == "tg" else torch
    once = _once_differentiable(L)

    class Square(L.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @once
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            assert not L.is_grad_enabled()
            return 2 * x * g

    x = L.tensor(rng.standard_normal(3), requires_grad=True)
    Square.apply(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.detach().numpy())
    # the gradient reaching Square depends on x, so it requires grad under create_graph
    (g,) = L.autograd.grad((Square.apply(x) * x).sum(), x, create_graph=True)
    assert g.requires_grad
    with pytest.raises(RuntimeError, match="differentiate twice"):
        g.sum().backward()


@pytest.mark.parametrize("lib", ["tg", "torch"])
def test_set_materialize_grads_false_passes_none(lib):
    L = tg if lib == "tg" else torch
    seen = []

    class Two(L.autograd.Function):
        @staticmethod
        def forward(ctx, x, materialize):
            ctx.set_materialize_grads(materialize)
            return x.clone(), x.clone()

        @staticmethod
        def backward(ctx, g1, g2):
            seen.append(g2 if g2 is None else g2.tolist())
            return g1, None

    x = L.ones(2, requires_grad=True)
    Two.apply(x, False)[0].sum().backward()
    Two.apply(x, True)[0].sum().backward()
    assert seen == [None, [0.0, 0.0]]


@pytest.mark.parametrize("lib", ["tg", "torch"])
@pytest.mark.parametrize("view", [False, True])
def test_mark_dirty_returns_the_input_with_a_new_history(lib, view, rng):
    # regression: ctx.mark_dirty was missing (AttributeError)
    L = tg if lib == "tg" else torch

    class MulInPlace(L.autograd.Function):
        @staticmethod
        def forward(ctx, a, k):
            ctx.mark_dirty(a)
            ctx.k = k
            return a.mul_(k)

        @staticmethod
        def backward(ctx, g):
            return g * ctx.k, None

    data = rng.standard_normal((2, 3))
    x = L.tensor(data, requires_grad=True)
    y = x * 1.0
    target = y[1] if view else y
    z = MulInPlace.apply(target, 3.0)
    assert z is target and z.requires_grad
    w = L.tensor(rng.standard_normal((2, 3)))
    (y * w).sum().backward()  # through y: the base's history includes the in-place write
    expected = w.numpy().copy()
    expected[1 if view else slice(None)] *= 3
    np.testing.assert_allclose(x.grad.numpy(), expected)
    np.testing.assert_allclose(y.detach().numpy()[1], 3 * data[1])
    with pytest.raises(RuntimeError, match="leaf"):
        MulInPlace.apply(x, 2.0)


@pytest.mark.parametrize("lib_name", ["tensorgrad", "torch"])
def test_in_place_on_an_input_returned_as_is_raises(lib_name):
    """PyTorch forbids writing in place into an output that is an input returned as it was
    (its custom backward would be overridden): one message for one output, one for several."""
    lib = tg if lib_name == "tensorgrad" else pytest.importorskip("torch")

    class Pass(lib.autograd.Function):
        @staticmethod
        def forward(ctx, *xs):
            return xs if len(xs) > 1 else xs[0]

        @staticmethod
        def backward(ctx, *grads):
            return grads

    x = lib.ones(3, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="Output 0 of Pass is a view .* inside a custom Func"):
        Pass.apply(x).relu_()
    with pytest.raises(RuntimeError, match="Output 1 of Pass .* returns multiple views"):
        Pass.apply(x, x * 1)[1].add_(1)
    Pass.apply(x).clone().relu_()
