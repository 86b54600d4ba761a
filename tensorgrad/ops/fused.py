"""Fused primitives: composites that a benchmark showed are worth one op and fewer passes.

``Softmax`` (behind ``Tensor.softmax``, ``F.softmax`` and attention) and ``Gelu`` (behind
``Tensor.gelu``/``F.gelu``) replace five and eight composed ops; each backward is one more
fused op (``SoftmaxBackward``, ``GeluBackward``) whose own backward is written in tensor ops,
so ``create_graph=True`` still gives exact gradients of every order. On benchmarks/bench_gpt.py
(one thread) the two took a training step from 46 ms to 35 ms.

The NumPy kernels work block by block (``_BLOCK``): a chain of in-place passes over a block
stays in cache, where over a whole activation each pass would go out to memory.
"""

from __future__ import annotations

import math

import numpy as np

from .. import _special
from ..autograd.function import Op
from ..backend import xp_of

# Elements per block in the NumPy kernels. A chain of in-place passes over a block this size
# (128 KiB of float32) stays in L2 cache; over a whole activation (MiBs) every pass goes to
# memory. On the GPT benchmark's (16, 64, 512) GELU the blocked backward is ~2x faster.
_BLOCK = 1 << 15


def _blockwise(kernel, arrays, *args):
    """``kernel(*blocks, out_block, xp, *args)`` over matching 1-d blocks of same-shape arrays
    (flattened, C order); returns the output array, of the arrays' shape and dtype."""
    xp = xp_of(arrays[0])
    shape = arrays[0].shape
    flat = [xp.ascontiguousarray(a).reshape(-1) for a in arrays]
    out = xp.empty(flat[0].shape, dtype=flat[0].dtype)
    n = out.size
    if xp is not np or n <= _BLOCK:
        kernel(*flat, out, xp, *args)
    else:
        for i in range(0, n, _BLOCK):
            kernel(*[a[i : i + _BLOCK] for a in flat], out[i : i + _BLOCK], xp, *args)
    return out.reshape(shape)


def _softmax_kernel(x, out, xp, dim, safe):
    """out = softmax(x) along ``dim`` (x may be out: in place)."""
    m = x.max(axis=dim, keepdims=True)
    if safe:
        m[~xp.isfinite(m)] = 0  # an all -inf row: e^(-inf - 0) = 0, no nan from -inf + inf
    with np.errstate(invalid="ignore"):  # unsafe: such a row is nan, as PyTorch's
        xp.subtract(x, m, out=out)
    xp.exp(out, out=out)
    s = out.sum(axis=dim, keepdims=True)
    if safe:
        s[s == 0] = 1
    out /= s


def _softmax_backward_kernel(g, y, out, xp, dim):
    """out = y (g - sum(g y)) along ``dim``."""
    xp.multiply(g, y, out=out)
    s = out.sum(axis=dim, keepdims=True)
    out -= y * s


def _rowwise(kernel, arrays, dim, *args):
    """``kernel`` along ``dim``; for the last dim of NumPy arrays, over blocks of rows that
    fit in L2 cache (see ``_BLOCK``), the rows being independent."""
    xp = xp_of(arrays[0])
    x = arrays[0]
    if xp is not np or dim != x.ndim - 1 or x.size <= _BLOCK:
        out = xp.empty(x.shape, dtype=x.dtype)
        kernel(*arrays, out, xp, dim, *args)
        return out
    n = x.shape[-1]
    rows = [xp.ascontiguousarray(a).reshape(-1, n) for a in arrays]
    out = xp.empty(rows[0].shape, dtype=x.dtype)
    step = max(1, _BLOCK // n)
    for i in range(0, out.shape[0], step):
        kernel(*[a[i : i + step] for a in rows], out[i : i + step], xp, 1, *args)
    return out.reshape(x.shape)


class Softmax(Op):
    """y = e^(x - max x) / sum e^(x - max x) along ``dim`` (non-negative).

    ``mask`` (a bool array broadcasting to x, or None) leaves out the positions where it is
    False: they act as -inf and get y = 0. ``safe=True`` gives 0 for a row with nothing left
    (every entry -inf), as PyTorch's ``scaled_dot_product_attention``; otherwise such a row is
    nan, as ``torch.softmax``.
    """

    saves_output = True

    def forward(ctx, x, dim=-1, mask=None, safe=False):
        dim = dim % x.ndim
        ctx.dim = dim
        if mask is not None:
            x = xp_of(x).where(mask, x, -np.inf)
        return _rowwise(_softmax_kernel, (x,), dim, safe)

    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return SoftmaxBackward.apply(g, y, dim=ctx.dim)


class SoftmaxBackward(Op):
    """dL/dx = y (g - sum(g y)) for y = softmax(x) along ``dim`` and upstream gradient g."""

    saves_inputs = True

    def forward(ctx, g, y, dim=-1):
        ctx.dim = dim
        return _rowwise(_softmax_backward_kernel, (g, y), dim)

    def backward(ctx, h):
        # out = y g - y <g, y>:  d/dg = y (h - <h, y>),  d/dy = h (g - <g, y>) - g <h, y>
        g, y = ctx.saved_tensors
        dim = ctx.dim
        grad_g = grad_y = None
        hy = (h * y).sum(dim, keepdim=True)
        if ctx.needs_input_grad[0]:
            grad_g = y * (h - hy)
        if ctx.needs_input_grad[1]:
            grad_y = h * (g - (g * y).sum(dim, keepdim=True)) - g * hy
        return grad_g, grad_y


# ----------------------------------------------------------------------------- GELU

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_A = 0.044715


def _gelu_kernel(x, out, xp, approximate):
    """out = gelu(x) on 1-d blocks."""
    if approximate == "tanh":
        xp.multiply(x, x, out=out)
        out *= _A * _SQRT_2_OVER_PI
        out += _SQRT_2_OVER_PI
        out *= x
        xp.tanh(out, out=out)  # tanh(sqrt(2/pi) (x + a x^3))
    else:
        out[...] = _special.erf(x * _INV_SQRT_2, xp)
    out += 1.0
    out *= x
    out *= 0.5


def _gelu_backward_kernel(g, x, out, xp, approximate):
    """out = g gelu'(x) on 1-d blocks."""
    w = x * x
    if approximate == "tanh":
        xp.multiply(w, _A * _SQRT_2_OVER_PI, out=out)
        out += _SQRT_2_OVER_PI
        out *= x
        t = xp.tanh(out, out=out)  # t = tanh(u), u = sqrt(2/pi) (x + a x^3)
        w *= 3 * _A * _SQRT_2_OVER_PI
        w += _SQRT_2_OVER_PI
        w *= x  # x u'
        w *= 1.0 - t * t
        w += t
        w += 1.0
        w *= 0.5  # 0.5 (1 + t) + 0.5 x (1 - t^2) u'
    else:
        w *= -0.5
        xp.exp(w, out=w)
        w *= x
        w *= _INV_SQRT_2PI  # x phi(x)
        cdf = _special.erf(x * _INV_SQRT_2, xp)
        cdf += 1.0
        cdf *= 0.5  # Phi(x)
        w += cdf
    xp.multiply(w, g, out=out)


class Gelu(Op):
    """x Φ(x), Φ the standard normal CDF; ``approximate='tanh'`` uses Hendrycks' form
    0.5 x (1 + tanh(sqrt(2/π) (x + 0.044715 x³)))."""

    saves_inputs = True

    def forward(ctx, x, approximate="none"):
        ctx.approximate = approximate
        return _blockwise(_gelu_kernel, (x,), approximate)

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return GeluBackward.apply(g, x, approximate=ctx.approximate)


class GeluBackward(Op):
    """g · gelu'(x):  exact  Φ(x) + x φ(x);
    tanh  0.5 (1 + t) + 0.5 x (1 - t²) u'  with u = sqrt(2/π)(x + a x³), t = tanh u."""

    saves_inputs = True

    def forward(ctx, g, x, approximate="none"):
        ctx.approximate = approximate
        return _blockwise(_gelu_backward_kernel, (g, x), approximate)

    def backward(ctx, h):
        g, x = ctx.saved_tensors
        grad_g = grad_x = None
        if ctx.needs_input_grad[0]:  # d(g gelu'(x))/dg = gelu'(x)
            grad_g = GeluBackward.apply(h, x, approximate=ctx.approximate)
        if ctx.needs_input_grad[1]:  # d(g gelu'(x))/dx = g gelu''(x)
            grad_x = h * g * _gelu_second_derivative(x, ctx.approximate)
        return grad_g, grad_x


def _gelu_second_derivative(x, approximate: str):
    """exact: φ(x) (2 - x²);  tanh: (1 - t²) (u' + 0.5 x (u'' - 2 t u'²)), in tensor ops."""
    if approximate == "tanh":
        x2 = x * x
        t = (_SQRT_2_OVER_PI * (x + _A * x2 * x)).tanh()
        du = _SQRT_2_OVER_PI * (1 + 3 * _A * x2)
        d2u = (6 * _A * _SQRT_2_OVER_PI) * x
        return (1 - t * t) * (du + 0.5 * x * (d2u - 2 * t * du * du))
    phi = (x * x * -0.5).exp() * _INV_SQRT_2PI
    return phi * (2 - x * x)


# ----------------------------------------------------------------------------- linear


class Linear(Op):
    """y = x wᵀ + b for x (..., in), w (out, in), b (out,) or None.

    One GEMM over all the rows of x, with the bias added in place into its output: a Linear
    followed by a separate ``+ b`` makes and fills a second activation-sized array.
    """

    saves_inputs = True

    @staticmethod
    def inputs_to_save(needs, inputs):  # x for w's gradient, w for x's; never b
        return (inputs[0] if needs[1] else None, inputs[1] if needs[0] else None, None)

    def forward(ctx, x, w, b=None):
        rows = math.prod(x.shape[:-1])  # not -1: ambiguous when a size is 0
        out = xp_of(x).matmul(x.reshape(rows, x.shape[-1]), w.T)
        if b is not None:
            out += b
        return out.reshape(*x.shape[:-1], w.shape[0])

    def backward(ctx, g):  # dL/dx = g w, dL/dw = gᵀ x (summed over rows), dL/db = sum g
        x, w, _ = ctx.saved_tensors
        gx, gw, gb = ctx.needs_input_grad
        x_shape = ctx._input_shapes[0]
        rows = math.prod(x_shape[:-1])
        g2 = g.reshape(rows, g.shape[-1])
        grad_x = (g2 @ w).reshape(x_shape) if gx else None
        grad_w = g2.mT @ x.reshape(rows, x_shape[-1]) if gw else None
        grad_b = g2.sum(0) if gb else None
        return grad_x, grad_w, grad_b
