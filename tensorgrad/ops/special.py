"""The primitives of ``tensorgrad.special`` that have gradients (entr, xlog1py, i0e, i1e, erfcx,
zeta, the incomplete gamma functions), each forward beside its derivative, and the array calls
of those that have none in PyTorch (the Bessel and Airy functions, the orthogonal polynomials).

The arithmetic lives in ``tensorgrad/_special.py``. Where PyTorch has no derivative for one
input (zeta's x, the incomplete gamma's a) that input is joined to the result through
``NoDerivative``, whose backward raises PyTorch's error: only when that input's gradient is
asked for, as PyTorch does, so ``grad(out, [q])`` works while ``x`` requires grad.
"""

from __future__ import annotations

import math

from .. import _special
from ..autograd.function import Op, unbroadcast
from ..backend import xp_of
from ..grad_mode import GradMode
from ..jit import recorder
from ..tensor import Tensor


class Entr(Op):
    """-x log x (``_special.entr``): 0 at 0, -inf below."""

    saves_inputs = True

    def forward(ctx, x):
        return _special.entr(x, xp_of(x))

    def backward(ctx, g):  # d(-x log x)/dx = -(1 + log x): inf at 0, nan below, as PyTorch
        (x,) = ctx.saved_tensors
        return g * -(x.log() + 1)


class Xlog1py(Op):
    """a log(1 + b), 0 where a == 0 (unless b is nan) (``_special.xlog1py``)."""

    saves_inputs = True

    def forward(ctx, a, b):
        return _special.xlog1py(a, b, xp_of(a if hasattr(a, "dtype") else b))

    def backward(ctx, g):  # d/da = log(1 + b), d/db = a / (1 + b)
        # PyTorch's rule: xlog1py(g, b), 0 where a == 0 and b <= -1 (log1p(b) is -inf or nan
        # there, and the output the constant 0)
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        grad_a = None
        if need_a:
            grad_a = Xlog1py.apply(g, b).masked_fill((a == 0) & (b <= -1), 0.0)
        return unbroadcast(ctx, grad_a, g * a / (b + 1) if need_b else None)


class I0e(Op):
    """e^-|x| I_0(x) (``_special.i0e``)."""

    saves_inputs = True
    saves_output = True

    def forward(ctx, x):
        return _special.i0e(x, xp_of(x))

    def backward(ctx, g):  # d/dx e^-|x| I_0(x) = e^-|x| (I_1(x) - sgn(x) I_0(x))
        x, y = ctx.saved_tensors
        return g * (I1e.apply(x) - x.sign() * y)


class I1e(Op):
    """e^-|x| I_1(x) (``_special.i1e``)."""

    saves_inputs = True
    saves_output = True

    def forward(ctx, x):
        return _special.i1e(x, xp_of(x))

    def backward(ctx, g):
        # d/dx e^-|x| I_1(x) = e^-|x| (I_0(x) - I_1(x) (sgn(x) + 1/x)), 1/2 at x = 0
        x, y = ctx.saved_tensors
        nonzero = x != 0
        safe = x.where(nonzero, 1.0)  # no 0/0 here nor in the double backward
        return g * (I0e.apply(x) - y * (x.sign() + 1 / safe)).where(nonzero, 0.5)


class Erfcx(Op):
    """e^(x^2) erfc(x) (``_special.erfcx``)."""

    saves_inputs = True
    saves_output = True

    def forward(ctx, x):
        return _special.erfcx(x, xp_of(x))

    def backward(ctx, g):  # d erfcx(x)/dx = 2 x erfcx(x) - 2/sqrt(pi)
        x, y = ctx.saved_tensors
        return g * (2 * x * y - 2 / math.sqrt(math.pi))


class Zeta(Op):
    """The Hurwitz zeta function zeta(x, q) (``_special.zeta``); the gradient only for q
    (x reaches the graph through ``NoDerivative``)."""

    saves_inputs = True

    def forward(ctx, x, q):
        return _special.zeta(x, q, xp_of(x))

    def backward(ctx, g):  # d zeta(x, q)/dq = -x zeta(x + 1, q)
        x, q = ctx.saved_tensors
        return unbroadcast(ctx, None, g * -x * without_derivative(Zeta, x + 1, q, "zeta"))


class Igamma(Op):
    """The regularized incomplete gamma function P(a, x) (``upper``: Q(a, x) = 1 - P), with the
    gradient for x only (a reaches the graph through ``NoDerivative``)."""

    saves_inputs = True

    def forward(ctx, a, x, upper=False):
        ctx.upper = upper
        fn = _special.gammaincc if upper else _special.gammainc
        return fn(a, x, xp_of(a))

    def backward(ctx, g):
        # dP/dx = -dQ/dx = x^(a-1) e^-x / Gamma(a), as PyTorch: exp((a - 1) log x - x - lgamma a)
        a, x = ctx.saved_tensors
        d = ((a - 1) * x.log() - x - a.lgamma()).exp()
        return unbroadcast(ctx, None, g * (-d if ctx.upper else d))


class NoDerivative(Op):
    """A 0-d zero joined to a result (``out + NoDerivative.apply(input, name=...)``) so that the
    graph reaches ``input``: asking for its gradient raises PyTorch's "the derivative for
    '<name>' is not implemented"."""

    def forward(ctx, x, name=""):
        ctx.name = name
        return xp_of(x).zeros((), x.dtype)

    def backward(ctx, g):
        raise NotImplementedError(f"the derivative for '{ctx.name}' is not implemented.")


def without_derivative(op, first, second, name: str, **params) -> Tensor:
    """``op.apply(first, second)`` for an op whose gradient in ``first`` PyTorch does not
    implement: the op gives none, and ``first`` joins the result through ``NoDerivative``, so
    asking for that gradient raises PyTorch's error (and only asking for it: the graph to
    ``second``, and the second derivatives in ``first`` through it, stay intact)."""
    out = op.apply(first, second, **params)
    if isinstance(first, Tensor) and first.requires_grad and GradMode.enabled:
        out = out + NoDerivative.apply(first, name=name)
    return out


@recorder.pure
def unary(name: str, x):
    """``_special.<name>(x)`` for the functions without a gradient (an array call that
    tg.compile records)."""
    return getattr(_special, name)(x, xp_of(x))


@recorder.pure
def polynomial(name: str, x, n):
    """``_special.<name>(x, n)``, an orthogonal polynomial (no gradient)."""
    return getattr(_special, name)(x, n, xp_of(x))
