"""Elementwise primitives. Each forward sits beside its derivative.

Binary ops broadcast; their backward hands each input's gradient to ``unbroadcast``, which sums
it back to the input's shape and drops the ones no input needs. Inputs may be Python scalars
(``x * 2.0``), which need no gradient.
"""

from __future__ import annotations

import math

import numpy as np

from .. import _special, backend, kernels
from ..autograd.function import Op, to_bfloat16, unbroadcast
from ..backend import is_float, xp_of
from ..fma import fma
from ..jit import recorder
from ..kernels import activation
from ..kernels import bias as _kbias
from ..kernels import lerp as _klerp
from ..kernels import where as _kwhere
from ..tensor import Tensor

# ------------------------------------------------------------------------- binary arithmetic


class Add(Op):
    def forward(ctx, a, b):
        if type(b) is np.ndarray and type(a) is np.ndarray and (a.ndim == 1) != (b.ndim == 1):
            bias = bias_operands(a, b)
            if bias is not None:  # a bias added to every row: the row kernel
                return _add_rows(*bias, np.empty(bias[0].shape, bias[0].dtype))
        return a + b

    def backward(ctx, g):  # d(a+b)/da = d(a+b)/db = 1
        return unbroadcast(ctx, g, g)


def bias_operands(a, b):
    """(x, v) when ``a + b`` adds a vector v along the last dim of a C-contiguous array x of 2
    or more dims (in either order), arrays the kernels take; else None (NumPy's add)."""
    x, v = (a, b) if b.ndim == 1 else (b, a)
    if v.ndim != 1 or x.ndim < 2 or x.shape[-1] != v.shape[0] or not x.flags.c_contiguous:
        return None
    return (x, v) if kernels.takes(x, v) else None


def add_into(a, b, *, out):
    """``a + b`` written into ``out``: the bias kernel (``kernels/bias.py``, the same sums) for
    a vector along the last dim of a C-contiguous array into a C-contiguous ``out``, else
    NumPy's add (tg.compile's buffers call it for every planned add)."""
    bias = None
    if type(a) is np.ndarray and type(b) is np.ndarray and out.flags.c_contiguous:
        bias = bias_operands(a, b)
    if bias is None or out.shape != bias[0].shape:
        return np.add(a, b, out=out)
    return _add_rows(*bias, out)


def _add_rows(x, v, out):
    n = v.shape[0]
    _kbias.add_rows(x.reshape(-1, n), v, out.reshape(-1, n))
    return out


def add_bias(out, b) -> None:
    """``out += b`` for a 2-D ``out`` and b along its last dim (Linear's bias), by the
    bias kernel where the kernels take them."""
    if b.ndim == 1 and out.flags.c_contiguous and kernels.takes(out, b):
        _kbias.add_rows_inplace(out, b)
    else:
        out += b


class Sub(Op):
    def forward(ctx, a, b):
        return a - b

    def backward(ctx, g):  # d(a-b)/da = 1, d(a-b)/db = -1
        return unbroadcast(ctx, g, -g if ctx.needs_input_grad[1] else None)


class Mul(Op):
    saves_inputs = True

    @staticmethod
    def inputs_to_save(needs, inputs):  # a is read only for b's gradient and vice versa
        return (inputs[0] if needs[1] else None, inputs[1] if needs[0] else None)

    def forward(ctx, a, b):
        return a * b

    def backward(ctx, g):  # d(ab)/da = b, d(ab)/db = a
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return unbroadcast(ctx, g * b if need_a else None, g * a if need_b else None)


class Div(Op):
    saves_inputs = True

    @staticmethod
    def inputs_to_save(needs, inputs):  # a is read only for b's gradient
        return (inputs[0] if needs[1] else None, inputs[1])

    def forward(ctx, a, b):
        return a / b

    def backward(ctx, g):  # d(a/b)/da = 1/b, d(a/b)/db = -a/b^2
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return unbroadcast(ctx, g / b if need_a else None, -g * a / (b * b) if need_b else None)


class Remainder(Op):
    """Python's ``a % b`` (sign of the divisor), as ``torch.remainder``."""

    saves_inputs = True

    def forward(ctx, a, b):
        check_integer_divisor(a, b)
        return xp_of(a if not isinstance(a, (int, float)) else b).remainder(a, b)

    def backward(ctx, g):  # a % b = a - floor(a/b) * b
        a, b = ctx.saved_tensors
        return unbroadcast(ctx, g, -g * (a / b).floor() if ctx.needs_input_grad[1] else None)


class Fmod(Op):
    """C's ``fmod(a, b)`` (sign of the dividend), as ``torch.fmod``."""

    saves_inputs = True

    def forward(ctx, a, b):
        return xp_of(a if not isinstance(a, (int, float)) else b).fmod(a, b)

    def backward(ctx, g):  # fmod(a, b) = a - trunc(a/b) * b
        a, b = ctx.saved_tensors
        return unbroadcast(ctx, g, -g * (a / b).trunc() if ctx.needs_input_grad[1] else None)


class Pow(Op):
    saves_inputs = True
    saves_output = True

    def forward(ctx, a, b):
        try:
            return a**b
        except ValueError:  # NumPy refuses an integer to a negative integer power
            return integer_power(a, b)

    def backward(ctx, g):
        a, b, out = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        grad_a = grad_b = None
        if need_a:  # d(a^b)/da = b a^(b-1); 0 where b == 0 (PyTorch: no nan from 0^-1)
            if isinstance(b, (int, float)):
                grad_a = g * b * a ** (b - 1) if b != 0 else g * 0
            else:
                grad_a = (g * b * a ** (b - 1)).where(b != 0, 0.0)
        if need_b:  # d(a^b)/db = a^b log(a); 0 where a == 0 and b >= 0
            grad_b = g * out * (a.log() if not isinstance(a, (int, float)) else math.log(a))
            if not isinstance(a, (int, float)):
                grad_b = grad_b.where(~((a == 0) & (b >= 0)), 0.0)
        return unbroadcast(ctx, grad_a, grad_b)


class Maximum(Op):
    saves_inputs = True

    def forward(ctx, a, b):
        return xp_of(a).maximum(a, b)

    def backward(ctx, g):  # 1 to the larger input; a tie splits the gradient in halves
        a, b = ctx.saved_tensors
        return _select_backward(ctx, g, (a > b).to(g.dtype), a == b)


class Minimum(Op):
    saves_inputs = True

    def forward(ctx, a, b):
        return xp_of(a).minimum(a, b)

    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return _select_backward(ctx, g, (a < b).to(g.dtype), a == b)


def _select_backward(ctx, g, a_wins, tie):
    share_a = a_wins + tie.to(g.dtype) * 0.5
    need_a, need_b = ctx.needs_input_grad
    return unbroadcast(ctx, g * share_a if need_a else None, g * (1 - share_a) if need_b else None)


class Atan2(Op):
    """The angle of the point (b, a) (``torch.atan2(input=a, other=b)``), in [-pi, pi]."""

    saves_inputs = True

    def forward(ctx, a, b):
        return xp_of(a).arctan2(a, b)

    def backward(ctx, g):  # d/da = b / (a^2 + b^2), d/db = -a / (a^2 + b^2); 0 at the origin
        a, b = ctx.saved_tensors
        r = a * a + b * b
        nonzero = r != 0  # PyTorch's 0 at (0, 0); the safe 1 keeps double backward nan-free
        recip = (g / r.where(nonzero, 1.0)).where(nonzero, 0.0)
        need_a, need_b = ctx.needs_input_grad
        return unbroadcast(ctx, recip * b if need_a else None, -recip * a if need_b else None)


class Hypot(Op):
    """sqrt(a^2 + b^2) without overflow or underflow in the squares (the C library's hypot)."""

    saves_inputs = True
    saves_output = True

    def forward(ctx, a, b):
        return xp_of(a).hypot(a, b)

    def backward(ctx, g):  # d/da = a / hypot(a, b), d/db = b / hypot(a, b)
        a, b, out = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return unbroadcast(ctx, g * a / out if need_a else None, g * b / out if need_b else None)


class LogAddExp(Op):
    """log(e^a + e^b) = max(a, b) + log1p(e^-|a - b|) (NumPy's logaddexp): no overflow."""

    saves_inputs = True

    def forward(ctx, a, b):
        return xp_of(a).logaddexp(a, b)

    def backward(ctx, g):  # d/da = e^a / (e^a + e^b) = sigmoid(a - b), d/db = sigmoid(b - a)
        a, b = ctx.saved_tensors
        d = a - b  # each weight by its own sigmoid: 1 - sigmoid(d) would round e^-|d| to 0
        need_a, need_b = ctx.needs_input_grad
        return unbroadcast(
            ctx, g * d.sigmoid() if need_a else None, g * (-d).sigmoid() if need_b else None
        )


class LogAddExp2(Op):
    """log2(2^a + 2^b) = max(a, b) + log2(1 + 2^-|a - b|) (NumPy's logaddexp2)."""

    saves_inputs = True

    def forward(ctx, a, b):
        return xp_of(a).logaddexp2(a, b)

    def backward(ctx, g):  # d/da = 2^a / (2^a + 2^b) = sigmoid((a - b) ln 2), d/db likewise
        a, b = ctx.saved_tensors
        d = (a - b) * math.log(2)
        need_a, need_b = ctx.needs_input_grad
        return unbroadcast(
            ctx, g * d.sigmoid() if need_a else None, g * (-d).sigmoid() if need_b else None
        )


class Where(Op):
    """``where(cond, a, b)``: a where cond else b. ``cond`` is a bool tensor (no gradient)."""

    saves_inputs = True

    @staticmethod
    def inputs_to_save(needs, inputs):  # only the condition: a and b may change afterwards
        return (inputs[0], None, None)

    def forward(ctx, cond, a, b):
        if kernels.takes(a, b):  # a masked fill: one of a, b a number (kernels/where.py)
            out = _kwhere.where(cond, a, b)
            if out is not None:
                return out
        return xp_of(cond).where(cond, a, b)

    def backward(ctx, g):
        cond, _, _ = ctx.saved_tensors
        _, need_a, need_b = ctx.needs_input_grad
        zero = g.new_zeros(())
        grad_a = g.where(cond, zero) if need_a else None
        grad_b = zero.where(cond, g) if need_b else None
        return unbroadcast(ctx, None, grad_a, grad_b)


# ----------------------------------------------------------------------------- unary


class Neg(Op):
    def forward(ctx, x):
        return -x

    def backward(ctx, g):
        return -g


class Exp(Op):
    saves_output = True

    def forward(ctx, x):
        return xp_of(x).exp(x)

    def backward(ctx, g):  # d e^x/dx = e^x
        (y,) = ctx.saved_tensors
        return g * y


class Exp2(Op):
    """2^x (the library's exp2, exact at integers)."""

    saves_output = True

    def forward(ctx, x):
        return xp_of(x).exp2(x)

    def backward(ctx, g):  # d 2^x/dx = 2^x ln 2
        (y,) = ctx.saved_tensors
        return g * y * math.log(2)


class Log(Op):
    saves_inputs = True

    def forward(ctx, x):
        return xp_of(x).log(x)

    def backward(ctx, g):  # d log x/dx = 1/x
        (x,) = ctx.saved_tensors
        return g / x


class Log1p(Op):
    saves_inputs = True

    def forward(ctx, x):
        return xp_of(x).log1p(x)

    def backward(ctx, g):  # d log(1+x)/dx = 1/(1+x)
        (x,) = ctx.saved_tensors
        return g / (x + 1)


class Expm1(Op):
    saves_output = True

    def forward(ctx, x):
        return xp_of(x).expm1(x)

    def backward(ctx, g):  # d (e^x - 1)/dx = e^x = y + 1
        (y,) = ctx.saved_tensors
        return g * (y + 1)


class Sqrt(Op):
    saves_output = True

    def forward(ctx, x):
        return xp_of(x).sqrt(x)

    def backward(ctx, g):  # d sqrt(x)/dx = 1/(2 sqrt(x))
        (y,) = ctx.saved_tensors
        return g / (y * 2)


class Sin(Op):
    saves_inputs = True

    def forward(ctx, x):
        return xp_of(x).sin(x)

    def backward(ctx, g):  # d sin x/dx = cos x
        (x,) = ctx.saved_tensors
        return g * x.cos()


class Cos(Op):
    saves_inputs = True

    def forward(ctx, x):
        return xp_of(x).cos(x)

    def backward(ctx, g):  # d cos x/dx = -sin x
        (x,) = ctx.saved_tensors
        return -g * x.sin()


class Tanh(Op):
    saves_output = True

    def forward(ctx, x):
        return xp_of(x).tanh(x)

    def backward(ctx, g):  # d tanh(x)/dx = 1 - tanh(x)^2
        (y,) = ctx.saved_tensors
        return TanhBackward.apply(g, y)


class TanhBackward(Op):
    """tanh's gradient g (1 - y²) for its output y: one op (PyTorch's tanh_backward) where
    the formula is three, which is what a chain of small tanh ops pays for (the per-op
    benchmark: 3 applies per tanh backward -> 1). Gradients: h (1 - y²) for g, -2 h g y for y."""

    saves_inputs = True

    def forward(ctx, g, y):
        return g * (1 - y * y)

    def backward(ctx, h):
        g, y = ctx.saved_tensors
        need_g, need_y = ctx.needs_input_grad
        return (
            TanhBackward.apply(h, y) if need_g else None,
            -2 * h * g * y if need_y else None,
        )


class Sigmoid(Op):
    saves_output = True

    def forward(ctx, x):
        # e = e^-|x| in (0, 1] never overflows: 1 / (1 + e) for x >= 0, e / (1 + e) below,
        # both exact to rounding in the tails. (logaddexp did the same ~5x slower.)
        xp = xp_of(x)
        e = xp.exp(-xp.abs(x))
        r = 1 / (1 + e)
        return xp.where(x >= 0, r, e * r)

    def backward(ctx, g):  # d sigmoid(x)/dx = s (1 - s)
        (s,) = ctx.saved_tensors
        return SigmoidBackward.apply(g, s)


class SigmoidBackward(Op):
    """sigmoid's gradient g s (1 - s) for its output s: one op (PyTorch's sigmoid_backward)
    where the formula is three. Gradients: h s (1 - s) for g, h g (1 - 2 s) for s."""

    saves_inputs = True

    def forward(ctx, g, s):
        return g * s * (1 - s)

    def backward(ctx, h):
        g, s = ctx.saved_tensors
        need_g, need_s = ctx.needs_input_grad
        return (
            SigmoidBackward.apply(h, s) if need_g else None,
            h * g * (1 - 2 * s) if need_s else None,
        )


class Relu(Op):
    """max(x, 0); NaN stays NaN."""

    saves_output = True

    def forward(ctx, x):
        if kernels.takes(x):
            return kernels.run_flat(activation.relu, x)
        return xp_of(x).maximum(x, x.dtype.type(0))

    def backward(ctx, g):  # d relu(x)/dx = 1 if x > 0 else 0, read off the output y
        (y,) = ctx.saved_tensors
        return ReluBackward.apply(g, y)


class ReluBackward(Op):
    """ReLU's gradient g · 1[y > 0] for its output y, one pass (PyTorch's threshold_backward)
    instead of a compare, a cast and a product. Linear in g, so its own gradient is
    ReluBackward of h; y gets none (the step 1[y > 0] is flat almost everywhere)."""

    saves_inputs = True

    @staticmethod
    def inputs_to_save(needs, inputs):  # only y is read again
        return (None, inputs[1])

    def forward(ctx, g, y):
        if kernels.takes(g, y):
            return kernels.run_flat(activation.relu_backward, g, y)
        return g * (y > 0)

    def backward(ctx, h):
        _, y = ctx.saved_tensors
        return ReluBackward.apply(h, y) if ctx.needs_input_grad[0] else None, None


class Abs(Op):
    saves_inputs = True

    def forward(ctx, x):
        return xp_of(x).abs(x)

    def backward(ctx, g):  # d |x|/dx = sign(x), 0 at 0
        (x,) = ctx.saved_tensors
        return g * x.sign()


class Erf(Op):
    saves_inputs = True

    def forward(ctx, x):
        return _special.erf(x, xp_of(x))

    def backward(ctx, g):  # d erf(x)/dx = 2/sqrt(pi) e^(-x^2)
        (x,) = ctx.saved_tensors
        return g * (2 / math.sqrt(math.pi)) * (-(x * x)).exp()


class Erfc(Op):
    """1 - erf(x), computed directly (``_special.erfc``) so it stays accurate where erf ~ 1."""

    saves_inputs = True

    def forward(ctx, x):
        return _special.erfc(x, xp_of(x))

    def backward(ctx, g):  # d erfc(x)/dx = -2/sqrt(pi) e^(-x^2)
        (x,) = ctx.saved_tensors
        return g * (-2 / math.sqrt(math.pi)) * (-(x * x)).exp()


class Erfinv(Op):
    """The inverse of erf on [-1, 1] (``_special.erfinv``); +-inf at +-1."""

    saves_output = True

    def forward(ctx, x):
        return _special.erfinv(x, xp_of(x))

    def backward(ctx, g):  # d erfinv(x)/dx = 1 / erf'(y) = sqrt(pi)/2 e^(y^2), y = erfinv(x)
        (y,) = ctx.saved_tensors
        return g * (math.sqrt(math.pi) / 2) * (y * y).exp()


class Ndtri(Op):
    """The standard normal quantile Phi^-1(p) (``_special.ndtri``), accurate in both tails."""

    saves_output = True

    def forward(ctx, p):
        return _special.ndtri(p, xp_of(p))

    def backward(ctx, g):  # d ndtri(p)/dp = 1 / phi(y) = sqrt(2 pi) e^(y^2/2), y = ndtri(p)
        (y,) = ctx.saved_tensors
        return g * math.sqrt(2 * math.pi) * (y * y * 0.5).exp()


class LogNdtr(Op):
    """log Phi(x), Phi the standard normal CDF (``_special.log_ndtr``): no underflow."""

    saves_inputs = True
    saves_output = True

    def forward(ctx, x):
        return _special.log_ndtr(x, xp_of(x))

    def backward(ctx, g):  # d log Phi(x)/dx = phi(x)/Phi(x) = e^(-x^2/2 - log Phi(x)) / sqrt(2 pi)
        x, y = ctx.saved_tensors  # the ratio in logs: phi and Phi both underflow for x << 0
        return g * (x * x * -0.5 - y).exp() * (1 / math.sqrt(2 * math.pi))


class Lgamma(Op):
    """log|Gamma(x)| (``_special.lgamma``); inf at 0 and the negative integers."""

    saves_inputs = True

    def forward(ctx, x):
        return _special.lgamma(x, xp_of(x))

    def backward(ctx, g):  # d lgamma(x)/dx = digamma(x)
        (x,) = ctx.saved_tensors
        return g * Polygamma.apply(x, n=0)


class Polygamma(Op):
    """psi^(n)(x), the n-th derivative of digamma (``_special.polygamma``); n = 0 is digamma."""

    saves_inputs = True

    def forward(ctx, x, n=0):
        ctx.n = n
        return _special.polygamma(n, x, xp_of(x))

    def backward(ctx, g):  # d psi^(n)(x)/dx = psi^(n+1)(x)
        (x,) = ctx.saved_tensors
        return g * Polygamma.apply(x, n=ctx.n + 1)


class I0(Op):
    """The modified Bessel function I_0 (``_special.i0``)."""

    saves_inputs = True

    def forward(ctx, x):
        return _special.i0(x, xp_of(x))

    def backward(ctx, g):  # d I_0(x)/dx = I_1(x)
        (x,) = ctx.saved_tensors
        return g * I1.apply(x)


class I1(Op):
    """The modified Bessel function I_1 (``_special.i1``)."""

    saves_inputs = True
    saves_output = True

    def forward(ctx, x):
        return _special.i1(x, xp_of(x))

    def backward(ctx, g):  # d I_1(x)/dx = I_0(x) - I_1(x)/x, 1/2 at x = 0
        x, y = ctx.saved_tensors
        nonzero = x != 0
        safe = x.where(nonzero, 1.0)  # no 0/0 here nor in the double backward
        return g * (I0.apply(x) - y / safe).where(nonzero, 0.5)


class Logit(Op):
    """log(z / (1 - z)) with z = x, or x clamped to [eps, 1 - eps] when eps is given."""

    saves_inputs = True

    def forward(ctx, x, eps=None):
        ctx.eps = eps
        xp = xp_of(x)
        z = x if eps is None else xp.clip(x, eps, 1 - eps)
        return xp.log(z / (1 - z))

    def backward(ctx, g):  # d logit(x)/dx = 1 / (x (1 - x))
        # PyTorch's rule: with eps, 0 outside [eps, 1 - eps] (the clamp's flat part); without,
        # nan outside [0, 1], where the forward is nan too.
        (x,) = ctx.saved_tensors
        d = g / (x * (1 - x))
        if ctx.eps is None:
            return d.where((x >= 0) & (x <= 1), math.nan)
        return d.where((x >= ctx.eps) & (x <= 1 - ctx.eps), 0.0)


class Xlogy(Op):
    """a log(b), 0 where a == 0 even for b = 0 or inf, and nan wherever b is nan (PyTorch's)."""

    saves_inputs = True

    def forward(ctx, a, b):
        xp = xp_of(a)
        out = a * xp.log(xp.where(a == 0, 1, b))  # log(1) = 0: no 0 * -inf where a == 0
        return xp.where(xp.isnan(b), b, out)

    def backward(ctx, g):  # d/da = log b, d/db = a / b
        # PyTorch's rule: xlogy(g, b), which is 0 where g == 0, and 0 where a == 0 and b <= 0
        # (there log b is -inf or nan, and the output the constant 0)
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        grad_a = g.xlogy(b).masked_fill((a == 0) & (b <= 0), 0.0) if need_a else None
        return unbroadcast(ctx, grad_a, g * a / b if need_b else None)


class Asin(Op):
    saves_inputs = True

    def forward(ctx, x):
        return xp_of(x).arcsin(x)

    def backward(ctx, g):  # d asin(x)/dx = 1/sqrt(1 - x^2)
        (x,) = ctx.saved_tensors
        return g * (1 - x * x).rsqrt()


class Acos(Op):
    saves_inputs = True

    def forward(ctx, x):
        return xp_of(x).arccos(x)

    def backward(ctx, g):  # d acos(x)/dx = -1/sqrt(1 - x^2)
        (x,) = ctx.saved_tensors
        return -g * (1 - x * x).rsqrt()


class Atan(Op):
    saves_inputs = True

    def forward(ctx, x):
        return xp_of(x).arctan(x)

    def backward(ctx, g):  # d atan(x)/dx = 1/(1 + x^2)
        (x,) = ctx.saved_tensors
        return g / (x * x + 1)


class Sinh(Op):
    saves_inputs = True

    def forward(ctx, x):
        return xp_of(x).sinh(x)

    def backward(ctx, g):  # d sinh x/dx = cosh x
        (x,) = ctx.saved_tensors
        return g * x.cosh()


class Cosh(Op):
    saves_inputs = True

    def forward(ctx, x):
        return xp_of(x).cosh(x)

    def backward(ctx, g):  # d cosh x/dx = sinh x
        (x,) = ctx.saved_tensors
        return g * x.sinh()


class Asinh(Op):
    """arsinh; the library's, as log(x + sqrt(x^2 + 1)) cancels for x << 0."""

    saves_inputs = True

    def forward(ctx, x):
        return xp_of(x).arcsinh(x)

    def backward(ctx, g):  # d asinh(x)/dx = 1/sqrt(x^2 + 1)
        (x,) = ctx.saved_tensors
        return g * (x * x + 1).rsqrt()


class Acosh(Op):
    saves_inputs = True

    def forward(ctx, x):
        return xp_of(x).arccosh(x)

    def backward(ctx, g):  # d acosh(x)/dx = 1/sqrt(x^2 - 1)
        (x,) = ctx.saved_tensors
        return g * (x * x - 1).rsqrt()


class Atanh(Op):
    saves_inputs = True

    def forward(ctx, x):
        return xp_of(x).arctanh(x)

    def backward(ctx, g):  # d atanh(x)/dx = 1/(1 - x^2)
        (x,) = ctx.saved_tensors
        return g / (1 - x * x)


class Sinc(Op):
    """sin(pi x) / (pi x), 1 at 0 (the normalized sinc, NumPy's and PyTorch's)."""

    saves_inputs = True
    saves_output = True

    def forward(ctx, x):
        return xp_of(x).sinc(x)

    def backward(ctx, g):  # d sinc(x)/dx = (cos(pi x) - sinc(x)) / x
        # The difference cancels for small x (PyTorch's float32 gradient at x = 1e-3 is 1%
        # off), so |x| < 0.1 takes the Taylor series -pi^2 x/3 (1 - t/10 + t^2/280 - t^3/15120
        # + t^4/1330560), t = (pi x)^2, whose next term is 5e-14 of the first there.
        x, y = ctx.saved_tensors
        small = x.abs() < 0.1
        safe = x.where(~small, 1.0)  # no 0/0 here nor in the double backward
        direct = ((safe * math.pi).cos() - y) / safe
        t = x * x * math.pi**2
        series = (
            x
            * (-(math.pi**2) / 3)
            * (1 - t * (1 / 10 - t * (1 / 280 - t * (1 / 15120 - t / 1330560))))
        )
        return g * series.where(small, direct)


class NanToNum(Op):
    """NaN, +inf and -inf replaced by numbers; None means the dtype's largest (or lowest)."""

    saves_inputs = True

    def forward(ctx, x, nan=0.0, posinf=None, neginf=None):
        return xp_of(x).nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)

    def backward(ctx, g):  # 1 where x is finite, 0 where it was replaced (as PyTorch)
        (x,) = ctx.saved_tensors
        return g * x.isfinite()


class Softplus(Op):
    """``log(1 + e^(beta x)) / beta``, and ``x`` itself where ``beta x > threshold``."""

    saves_inputs = True

    def forward(ctx, x, beta=1.0, threshold=20.0):
        ctx.beta, ctx.threshold = beta, threshold
        xp = xp_of(x)
        bx = x * beta
        # log(1 + e^z) = max(z, 0) + log1p(e^-|z|): no overflow for large z
        soft = (xp.maximum(bx, 0) + xp.log1p(xp.exp(-xp.abs(bx)))) / beta
        return xp.where(bx > threshold, x, soft).astype(x.dtype, copy=False)

    def backward(ctx, g):  # d softplus/dx = sigmoid(beta x) (1 above the threshold)
        (x,) = ctx.saved_tensors
        bx = x * ctx.beta
        return g * bx.sigmoid().where(bx <= ctx.threshold, 1.0)


class Lerp(Op):
    """start + w (end - start), as PyTorch's CPU kernel computes it (``lerp_vec``): one fused
    multiply-add, fma(w, end - start, start) for |w| < 0.5 and fma(w - 1, end - start, end)
    otherwise, which is exact at both ends (w = 0 gives start, w = 1 gives end).

    d/d start = 1 - w, d/d end = w, d/d w = end - start. ``weight`` is an array or a Python
    number (no gradient)."""

    saves_inputs = True

    def forward(ctx, start, end, weight):
        if type(weight) is float and kernels.takes(start, end):
            out = _klerp.lerp(start, end, weight)
            if out is not None:
                return out
        xp = xp_of(start)
        diff = end - start
        weight = xp.asarray(weight, dtype=diff.dtype)  # a number: rounded first, as in PyTorch
        if weight.ndim == 0:  # one branch for all (an EMA's lerp_)
            small = bool(abs(weight) < 0.5)
            return fma(weight if small else weight - 1, diff, start if small else end)
        small = xp.abs(weight) < 0.5
        coeff = xp.where(small, weight, weight - 1)
        return fma(coeff, diff, xp.where(small, start, end))

    def backward(ctx, g):
        start, end, weight = ctx.saved_tensors
        needs = ctx.needs_input_grad
        g_start = g * (1 - weight) if needs[0] else None
        g_end = g * weight if needs[1] else None
        g_weight = g * (end - start) if needs[2] else None
        return unbroadcast(ctx, g_start, g_end, g_weight)


class Clamp(Op):
    """``min(max(x, lo), hi)`` with scalar bounds; either may be None."""

    saves_inputs = True

    def forward(ctx, x, lo=None, hi=None):
        ctx.lo, ctx.hi = lo, hi
        return xp_of(x).clip(x, lo, hi)

    def backward(ctx, g):  # 1 inside [lo, hi] (bounds included, as PyTorch), 0 outside
        (x,) = ctx.saved_tensors
        inside = None
        if ctx.lo is not None:
            inside = x >= ctx.lo
        if ctx.hi is not None:
            inside = (x <= ctx.hi) if inside is None else inside & (x <= ctx.hi)
        # a select, not g * inside: an inf or nan gradient outside the bounds gives 0
        return g if inside is None else g.where(inside, 0.0)


class FrexpMantissa(Op):
    """The mantissa m of x = m 2^e with 0.5 <= |m| < 1 (m = x for 0, inf and nan): ``frexp``'s
    first output. e is ``frexp_exponent(x)``, a step function of x."""

    saves_inputs = True

    def forward(ctx, x):
        return xp_of(x).frexp(x)[0]

    def backward(ctx, g):  # dm/dx = 2^-e, e constant between the powers of two (PyTorch's rule)
        (x,) = ctx.saved_tensors
        e = Tensor._make(recorder.call(frexp_exponent, x.array))
        return g / e.exp2()


class Cast(Op):
    """``x.to(dtype)``; the gradient is cast back to the input's dtype."""

    takes_bfloat16 = True  # it is the cast: to and from bfloat16 itself

    def forward(ctx, x, dtype=None):
        ctx.in_dtype = x.dtype
        if dtype is backend.BF16 and dtype is not None:
            return to_bfloat16(x)  # the kernel for float32, else ml_dtypes' cast
        return x.astype(dtype)

    def backward(ctx, g):
        return g.to(ctx.in_dtype)


class Piecewise(Op):
    """floor, ceil, round, sign: piecewise constant, so the gradient is 0 almost everywhere."""

    def forward(ctx, x, fn=None):
        return fn(x)

    def backward(ctx, g):
        return g * 0


def round_half_even(x, decimals: int = 0):
    if not is_float(x.dtype):  # integers are rounded already (NumPy's rint would give floats)
        return x.copy()
    xp = xp_of(x)
    return xp.round(x, decimals) if decimals else xp.rint(x)


def floor_divide(a, b):
    check_integer_divisor(a, b)
    xp = xp_of(a if not isinstance(a, (int, float)) else b)
    return xp.floor_divide(a, b)


def fmod(a, b):
    """C's fmod for integer operands (float ones go through ``Fmod``)."""
    check_integer_divisor(a, b)
    return xp_of(a if not isinstance(a, (int, float)) else b).fmod(a, b)


def check_integer_divisor(a, b) -> None:
    """Integer ``//``, ``%`` and ``fmod`` by zero raise, as PyTorch's (NumPy gives 0); ``a`` or
    ``b`` is an array, the other may be a Python number of the array's kind."""
    array = b if hasattr(b, "dtype") else a
    if array.dtype.kind in "iub" and not (b.all() if hasattr(b, "all") else b):
        raise RuntimeError("ZeroDivisionError")


def integer_power(a, b):
    """``a ** b`` for integers where some ``b < 0``, as PyTorch computes it: 1/a^|b| truncated
    toward zero, so 1 for a = 1, (-1)^b for a = -1 and 0 otherwise (0 ** -1 included)."""
    xp = xp_of(a if not isinstance(a, int) else b)
    b = xp.asarray(b)
    out = a ** xp.maximum(b, 0)
    unit = xp.where(a == 1, 1, xp.where(a == -1, 1 - 2 * (b & 1), 0))
    return xp.where(b < 0, unit, out).astype(out.dtype, copy=False)


def frexp_exponent(x):
    """The int32 exponent e of x = m 2^e with 0.5 <= |m| < 1 (0 for 0, inf and nan)."""
    return xp_of(x).frexp(x)[1].astype(np.int32)


def heaviside(x, values):
    """0 where x < 0, ``values`` where x == 0, 1 where x > 0 (and 0 where x is nan, as
    PyTorch's; NumPy's heaviside gives nan there)."""
    xp = xp_of(x)
    return xp.where(x == 0, values, x > 0).astype(x.dtype, copy=False)


def signbit(x):
    """True where the sign bit is set: x < 0, and -0.0 and nan with a set sign bit."""
    if is_float(x.dtype):
        return xp_of(x).signbit(x)
    return x < 0  # integers; bool is never negative


def isposinf(x):
    """True where x is +inf (never for integers)."""
    return xp_of(x).isinf(x) & (x > 0)


def isneginf(x):
    """True where x is -inf (never for integers)."""
    return xp_of(x).isinf(x) & (x < 0)


def isreal(x):
    """True everywhere: tensorgrad has no complex dtypes."""
    return xp_of(x).ones(x.shape, bool)


def isclose(a, b, rtol: float, atol: float, equal_nan: bool):
    """|a - b| <= atol + rtol |b| as a bool array (NumPy's isclose gives a 0-d input a scalar)."""
    xp = xp_of(a)
    return xp.asarray(xp.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))
