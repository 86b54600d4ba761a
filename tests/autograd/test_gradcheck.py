"""``gradcheck`` and ``gradgradcheck`` (``tensorgrad/autograd/gradcheck.py``): they pass correct
ops and catch wrong first and second derivatives."""

from __future__ import annotations

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.autograd import Function, GradcheckError, gradcheck, gradgradcheck


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def leaf(rng, *shape):
    return tg.tensor(rng.standard_normal(shape), dtype=tg.float64, requires_grad=True)


class Square(Function):
    """x², correct to every order: backward is written in tensor ops."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 2 * x * g


class WrongSquare(Function):
    """x² with the derivative off by a factor: 3x instead of 2x."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 3 * x * g


class DetachedSquare(Function):
    """x² whose first derivative is right but not differentiable: ``x.detach()`` cuts the
    dependence of 2xg on x, so the second derivative comes out as 0 instead of 2g."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 2 * x.detach() * g


class TransposedMatMul(Function):
    """a @ b with the gradient of b transposed wrongly (right shapes for square matrices)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a @ b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return g @ b.T, g.T @ a  # the right gradient of b is a.T @ g


# ---------------------------------------------------------------------- correct ops pass


@pytest.mark.parametrize(
    "fn, shapes",
    [
        (lambda x: x.exp(), [(3,)]),
        (lambda x: x.tanh().sum(), [(2, 3)]),
        (lambda a, b: a * b + a / (b * b + 1), [(2, 3), (3,)]),
        (lambda a, b: a @ b, [(2, 3), (3, 4)]),
        (lambda x: x.softmax(-1), [(2, 4)]),
        (lambda x: (x.sin(), x.cos() * 2), [(3,)]),
        (Square.apply, [(2, 2)]),
    ],
    ids=["exp", "tanh_sum", "broadcast", "matmul", "softmax", "two_outputs", "function"],
)
def test_correct_ops_pass(fn, shapes, rng):
    inputs = tuple(leaf(rng, *s) for s in shapes)
    assert gradcheck(fn, inputs) is True
    assert gradgradcheck(fn, inputs) is True


def test_gradcheck_accepts_a_single_tensor_and_non_tensor_inputs(rng):
    x = leaf(rng, 3)
    assert gradcheck(lambda t: t * 2, x)
    assert gradcheck(lambda t, k: t**k, (x, 3))


def test_inputs_without_grad_are_held_constant(rng):
    x, c = leaf(rng, 3), tg.tensor(rng.standard_normal(3))
    assert gradcheck(lambda a, b: a * b.exp(), (x, c))
    assert gradgradcheck(lambda a, b: a * a * b.exp(), (x, c))


def test_integer_outputs_are_ignored(rng):
    x = leaf(rng, 2, 3)
    assert gradcheck(lambda t: (t.exp(), t.argmax(-1)), (x,))


def test_unused_input_has_zero_jacobian(rng):
    x, y = leaf(rng, 3), leaf(rng, 2)
    assert gradcheck(lambda a, b: a.exp(), (x, y))


def test_inputs_are_left_unchanged(rng):
    x = leaf(rng, 2, 3)
    before = x.detach().numpy().copy()
    gradcheck(lambda t: t.sin(), (x,))
    gradgradcheck(lambda t: t.sin(), (x,))
    np.testing.assert_array_equal(x.detach().numpy(), before)
    assert x.grad is None


def test_explicit_grad_outputs(rng):
    x = leaf(rng, 3)
    v = leaf(rng, 3)
    assert gradgradcheck(lambda t: t.exp() * t, (x,), (v,))
    assert gradgradcheck(lambda t: t.exp() * t, (x,), v)


def test_gradcheck_needs_an_input_requiring_grad():
    with pytest.raises(ValueError, match="requires_grad"):
        gradcheck(lambda t: t * 2, (tg.ones(3, dtype=tg.float64),))


# ---------------------------------------------------------------------- wrong first derivatives


def test_gradcheck_error_is_a_runtime_error():
    assert issubclass(GradcheckError, RuntimeError)
    assert tg.autograd.GradcheckError is GradcheckError


@pytest.mark.parametrize(
    "fn, shapes",
    [(WrongSquare.apply, [(3,)]), (TransposedMatMul.apply, [(3, 3), (3, 3)])],
    ids=["factor", "transposed"],
)
def test_wrong_backward_is_caught(fn, shapes, rng):
    inputs = tuple(leaf(rng, *s) for s in shapes)
    with pytest.raises(GradcheckError, match="Jacobian mismatch"):
        gradcheck(fn, inputs)
    assert gradcheck(fn, inputs, raise_exception=False) is False


def test_message_names_the_wrong_input(rng):
    a, b = leaf(rng, 3, 3), leaf(rng, 3, 3)
    with pytest.raises(GradcheckError, match="input 1"):
        gradcheck(TransposedMatMul.apply, (a, b))


def test_wrong_backward_inside_a_larger_function_is_caught(rng):
    x = leaf(rng, 2, 3)
    with pytest.raises(GradcheckError):
        gradcheck(lambda t: WrongSquare.apply(t.tanh()).sum() * 2, (x,))


def test_tolerances_are_respected(rng):
    class SlightlyOff(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1.0

        @staticmethod
        def backward(ctx, g):
            return g * 1.01

    x = leaf(rng, 3)
    assert not gradcheck(SlightlyOff.apply, (x,), raise_exception=False)
    assert gradcheck(SlightlyOff.apply, (x,), rtol=0.05)
    assert gradcheck(SlightlyOff.apply, (x,), atol=0.05, rtol=0)


# ---------------------------------------------------------------------- wrong second derivatives


def test_wrong_second_derivative_is_caught_only_by_gradgradcheck(rng):
    x = leaf(rng, 4)
    assert gradcheck(DetachedSquare.apply, (x,))
    with pytest.raises(GradcheckError):
        gradgradcheck(DetachedSquare.apply, (x,))
    assert gradgradcheck(DetachedSquare.apply, (x,), raise_exception=False) is False
    assert gradgradcheck(Square.apply, (x,))


def test_gradgradcheck_checks_second_order_only(rng):
    # as in PyTorch: it differentiates (x, v) -> vᵀJ = 3xv as backward computes it, which is
    # self-consistent; the wrong first derivative is gradcheck's to catch
    x = leaf(rng, 3)
    assert gradgradcheck(WrongSquare.apply, (x,))
    assert not gradcheck(WrongSquare.apply, (x,), raise_exception=False)


def test_detached_backward_in_a_composite_is_caught(rng):
    # a gradient penalty through a backward that is not differentiable goes wrong silently;
    # gradgradcheck is what catches it
    x = leaf(rng, 2, 3)
    with pytest.raises(GradcheckError):
        gradgradcheck(lambda t: DetachedSquare.apply(t.sin()).sum(), (x,))


# ---------------------------------------------------------------------- PyTorch's options


def test_fast_mode_passes_correct_ops_and_catches_wrong_ones(rng):
    a, b = leaf(rng, 3, 3), leaf(rng, 3, 3)
    assert gradcheck(lambda x, y: (x @ y).tanh(), (a, b), fast_mode=True)
    assert gradgradcheck(lambda x, y: (x @ y).tanh(), (a, b), fast_mode=True)
    with pytest.raises(GradcheckError, match="fast mode"):
        gradcheck(TransposedMatMul.apply, (a, b), fast_mode=True)
    with pytest.raises(GradcheckError):
        gradgradcheck(DetachedSquare.apply, (a,), fast_mode=True)
    assert gradcheck(WrongSquare.apply, (a,), fast_mode=True, raise_exception=False) is False


def test_check_grad_dtypes_catches_a_gradient_of_another_dtype(rng):
    class Float32Grad(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return (g * 2).float()

    x = leaf(rng, 3)
    assert gradcheck(lambda t: t * 2, (x,), check_grad_dtypes=True)
    expected = "dtype tensorgrad.float32 but the input has dtype tensorgrad.float64"
    with pytest.raises(GradcheckError, match=expected):
        gradcheck(Float32Grad.apply, (x,), check_grad_dtypes=True, atol=1e-3)


def test_non_contiguous_grad_outputs(rng):
    x = leaf(rng, 2, 3)
    assert gradgradcheck(lambda t: t.exp() * t, (x,), gen_non_contig_grad_outputs=True)


def test_accepted_options_with_nothing_to_do(rng):
    x = leaf(rng, 3)
    assert gradcheck(lambda t: t.sin(), (x,), nondet_tol=1e-12, check_undefined_grad=True)
    assert gradcheck(lambda t: t.sin(), (x,), check_batched_grad=False, check_forward_ad=False)


@pytest.mark.parametrize(
    "check, option",
    [
        (gradcheck, {"check_forward_ad": True}),
        (gradcheck, {"check_batched_grad": True}),
        (gradcheck, {"check_batched_forward_grad": True}),
        (gradcheck, {"check_backward_ad": False}),
        (gradcheck, {"masked": True}),
        (gradgradcheck, {"check_fwd_over_rev": True}),
        (gradgradcheck, {"check_rev_over_rev": False}),
    ],
)
def test_unsupported_checks_are_refused(check, option, rng):
    (name,) = option
    with pytest.raises(TypeError, match=f"{name}=.* is not supported"):
        check(lambda t: t.sin(), (leaf(rng, 3),), **option)


def test_unknown_options_are_refused(rng):
    with pytest.raises(TypeError, match="unexpected keyword argument 'fastmode'"):
        gradcheck(lambda t: t.sin(), (leaf(rng, 3),), fastmode=True)
