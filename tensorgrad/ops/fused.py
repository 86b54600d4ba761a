"""Fused primitives: composites that a benchmark (or PyTorch's gradient) showed are worth one op.

Each does in one op, and fewer passes over memory, what a chain of primitives would do, and says
in its docstring what it measured against that chain:

- ``Softmax`` (``Tensor.softmax``, ``F.softmax``, attention) and ``Gelu`` (``Tensor.gelu``,
  ``F.gelu``) replace five and eight composed ops; on benchmarks/bench_gpt.py (one thread) the
  two took a training step from 46 ms to 35 ms.
- ``Linear`` (``F.linear``): one GEMM with the bias added into its output in place.
- ``LayerNorm`` (``F.layer_norm``, ``F.group_norm``): forward + backward 275 µs against 640 µs
  composed on (16*64, 128) float32.
- ``RMSNorm`` (``F.rms_norm``): forward + backward 0.24 ms against 0.46 ms composed on
  (16*64, 128) float32 (0.057 ms with its numba kernels).
- ``BinaryCrossEntropy`` (``F.binary_cross_entropy``): not for speed but for PyTorch's gradient
  at x = 0 and 1, which the composition of ``log`` and ``clamp`` gets as NaN.

Each backward is one more fused op (``SoftmaxBackward``, ``GeluBackward``) or is written in
tensor ops, so ``create_graph=True`` still gives exact gradients of every order.

The NumPy kernels work block by block (``_BLOCK``): a chain of in-place passes over a block
stays in cache, where over a whole activation each pass would go out to memory.
"""

from __future__ import annotations

import math

import numpy as np

from .. import _special, backend, kernels
from ..autograd.function import Op, to_bfloat16
from ..backend import xp_of
from ..grad_mode import GradMode
from ..jit import recorder
from ..kernels import activation as _kact
from ..kernels import cuda as cuda_kernels
from ..kernels import nll as _knll
from ..kernels import norm as _knorm
from ..kernels import softmax as _ksoftmax
from ..tensor import Tensor
from .elementwise import add_bias
from .indexing import _along

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
        if kernels.takes(x):
            return _ksoftmax.softmax(x, dim, safe)
        if cuda_kernels.takes(x) and cuda_kernels.rows_fit(x, dim):
            return cuda_kernels.softmax_rows(x, safe)
        return _rowwise(_softmax_kernel, (x,), dim, safe)

    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return SoftmaxBackward.apply(g, y, dim=ctx.dim)


class SoftmaxBackward(Op):
    """dL/dx = y (g - sum(g y)) for y = softmax(x) along ``dim`` and upstream gradient g."""

    saves_inputs = True

    def forward(ctx, g, y, dim=-1):
        ctx.dim = dim
        if kernels.takes(g, y):
            return _ksoftmax.softmax_backward(g, y, dim)
        if cuda_kernels.takes(g, y) and cuda_kernels.rows_fit(y, dim):
            return cuda_kernels.softmax_backward_rows(g, y)
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


# ----------------------------------------------------------------------------- log-softmax
# Tensor.log_softmax composes x - logsumexp(x): eight ops forward, as many backward. F.log_softmax
# and F.cross_entropy (tensorgrad/nn) call ``log_softmax`` below, one op each way. On the GPT's
# logits (1024, 65) float32, 1 thread: NumPy kernels 0.14 ms forward, 0.076 ms backward; numba
# kernels (tensorgrad/kernels/softmax.py) 0.058 and 0.033 ms; PyTorch 0.035 and 0.027 ms.


def _log_softmax_kernel(x, out, xp, dim):
    """out = x - m - log sum e^(x - m) along ``dim``, m = max x (0 where infinite, as
    ``Tensor.logsumexp``)."""
    m = x.max(axis=dim, keepdims=True)
    xp.copyto(m, 0, where=xp.isinf(m))  # not m[mask] = 0: on the GPU that waits for the device
    xp.subtract(x, m, out=out)
    xp.exp(out, out=out)
    s = out.sum(axis=dim, keepdims=True)
    with np.errstate(divide="ignore"):  # an all -inf row: log 0 = -inf, then nan as composed
        xp.log(s, out=s)
    s += m
    with np.errstate(invalid="ignore"):
        xp.subtract(x, s, out=out)


def _log_softmax_backward_kernel(g, y, out, xp, dim):
    """out = g - e^y sum(g) along ``dim``."""
    s = g.sum(axis=dim, keepdims=True)
    xp.exp(y, out=out)
    out *= s
    xp.subtract(g, out, out=out)


class LogSoftmax(Op):
    """y = x - log sum e^x along ``dim``, computed as x - m - log sum e^(x - m), m = max x."""

    saves_output = True
    takes_bfloat16 = True  # PyTorch's last-dim bfloat16 kernel rounds two intermediates

    def forward(ctx, x, dim=-1):
        dim = dim % x.ndim
        ctx.dim = dim
        if x.dtype is backend.BF16 and x.dtype is not None:
            if dim == x.ndim - 1:
                return _log_softmax_bfloat16(x, dim)
            # along another dim PyTorch's kernel rounds once, as Op.apply's float32 round trip
            return to_bfloat16(LogSoftmax.forward(ctx, x.astype(np.float32), dim))
        if kernels.takes(x):
            return _ksoftmax.log_softmax(x, dim)
        return _rowwise(_log_softmax_kernel, (x,), dim)

    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return LogSoftmaxBackward.apply(g, y, dim=ctx.dim)


def _log_softmax_bfloat16(x, dim: int):
    """log_softmax of a bfloat16 array along its last dim as PyTorch's CPU kernel computes it:
    in float32, with the sum of e^(x - m) and its log each stored as bfloat16, then
    (x - m) - log s rounded (bit-equal to PyTorch on 74,000 values; rounding once gives 92%)."""
    xp = xp_of(x)
    bf16 = x.dtype
    xf = x.astype(np.float32)
    m = xf.max(axis=dim, keepdims=True)
    xp.copyto(m, 0, where=xp.isinf(m))  # an infinite max: as _log_softmax_kernel
    shifted = xf - m
    s = xp.exp(shifted).sum(axis=dim, keepdims=True).astype(bf16).astype(np.float32)
    with np.errstate(divide="ignore"):  # an all -inf row: log 0 = -inf, then nan
        log_s = xp.log(s).astype(bf16).astype(np.float32)
    with np.errstate(invalid="ignore"):
        return (shifted - log_s).astype(bf16)


class LogSoftmaxBackward(Op):
    """dL/dx = g - e^y sum(g) for y = log_softmax(x) along ``dim``, upstream gradient g."""

    saves_inputs = True

    def forward(ctx, g, y, dim=-1):
        ctx.dim = dim
        if kernels.takes(g, y):
            return _ksoftmax.log_softmax_backward(g, y, dim)
        return _rowwise(_log_softmax_backward_kernel, (g, y), dim)

    def backward(ctx, h):
        # out = g - e^y <g, 1>:  d/dg = h - <h, e^y>,  d/dy = -h e^y <g, 1>
        g, y = ctx.saved_tensors
        dim = ctx.dim
        grad_g = grad_y = None
        ey = y.exp()
        if ctx.needs_input_grad[0]:
            grad_g = h - (h * ey).sum(dim, keepdim=True)
        if ctx.needs_input_grad[1]:
            grad_y = -h * ey * g.sum(dim, keepdim=True)
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
        if kernels.takes(x):
            return kernels.run_flat(_kact.gelu_tanh if approximate == "tanh" else _kact.gelu_erf, x)
        if cuda_kernels.takes(x, half=True):
            return cuda_kernels.gelu(x, approximate)
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
        if kernels.takes(g, x):
            tanh = approximate == "tanh"
            kernel = _kact.gelu_tanh_backward if tanh else _kact.gelu_erf_backward
            return kernels.run_flat(kernel, g, x)
        if cuda_kernels.takes(g, x, half=True):
            return cuda_kernels.gelu_backward(g, x, approximate)
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
    followed by a separate ``+ b`` makes and fills a second activation-sized array. Forward +
    backward on x (1024, 384), w (1536, 384), one thread: 36 ms fused, 37 ms composed.
    """

    saves_inputs = True

    @staticmethod
    def inputs_to_save(needs, inputs):  # x for w's gradient, w for x's; never b
        return (inputs[0] if needs[1] else None, inputs[1] if needs[0] else None, None)

    def forward(ctx, x, w, b=None):
        rows = math.prod(x.shape[:-1])  # not -1: ambiguous when a size is 0
        out = xp_of(x).matmul(x.reshape(rows, x.shape[-1]), w.T)
        if b is not None:
            add_bias(out, b)
        return out.reshape(*x.shape[:-1], w.shape[0])

    def backward(ctx, g):  # dL/dx = g w, dL/dw = gᵀ x (summed over rows), dL/db = sum g
        x, w, _ = ctx.saved_tensors
        gx, gw, gb = ctx.needs_input_grad
        x_shape = ctx.input_shapes[0]
        rows = math.prod(x_shape[:-1])
        g2 = g.reshape(rows, g.shape[-1])
        grad_x = (g2 @ w).reshape(x_shape) if gx else None
        grad_w = g2.mT @ x.reshape(rows, x_shape[-1]) if gw else None
        grad_b = g2.sum(0) if gb else None
        return grad_x, grad_w, grad_b


# ----------------------------------------------------------------------------- layer norm
# ``LayerNorm`` over the trailing axes, with its affine, is the hot path of every transformer
# block, so forward and backward work on raw arrays: mean and rstd = 1/sqrt(var + eps) are
# computed once, row means and row dot products go through BLAS matrix-vector products and
# ``einsum`` (NumPy's axis-1 ``sum`` on a contiguous row is several times slower) and the arrays
# are updated in place, so a call allocates two full-size arrays instead of one per composed op.
# Measured with timeit on (16*64, 128) float32 with weight and bias, one thread: forward +
# backward 640 µs composed of tensor ops, 275 µs with this op (PyTorch: 130 µs); forward alone
# 185 µs composed, 100 µs fused.
#
# First-order gradients are the closed form below, from the x̂ and rstd the forward kept. Under
# ``create_graph=True`` the same formula runs in tensor ops on x̂ and rstd recomputed from the
# saved input, so the gradient is itself differentiable (second order is exact).


class LayerNorm(Op):
    """y = x̂ w + b with x̂ = (x - mean) rstd over the last ``n`` axes; w and b may be None."""

    saves_inputs = True

    @staticmethod
    def inputs_to_save(needs, inputs):
        return (inputs[0], inputs[1])

    def forward(ctx, x, w, b, n=1, eps=1e-5, out=None):
        # ``out``: a C-contiguous array of x's shape to write y into (tg.compile's buffers)
        ctx.n, ctx.eps = n, eps
        xp = xp_of(x)
        m = math.prod(x.shape[x.ndim - n :])
        params = [p for p in (w, b) if p is not None]
        if kernels.takes(x, *params) and m:
            x2 = np.ascontiguousarray(x).reshape(-1, m)
            w1, b1 = (None if p is None else np.ascontiguousarray(p).reshape(m) for p in (w, b))
            out2 = None if out is None else out.reshape(-1, m)
            y, mean, rstd = _knorm.layer_norm(x2, w1, b1, eps, out2)
            ctx.xhat, ctx.mean, ctx.rstd = None, mean, rstd  # x̂ is recomputed in backward
            return y.reshape(x.shape)
        if cuda_kernels.takes(x, *params) and out is None and 0 < m <= cuda_kernels.MAX_ROW:
            w1, b1 = (None if p is None else p.reshape(m) for p in (w, b))
            y, mean, rstd = cuda_kernels.layer_norm(x.reshape(-1, m), w1, b1, eps)
            ctx.xhat, ctx.mean, ctx.rstd = None, mean, rstd  # as the numba kernel's
            return y.reshape(x.shape)
        if out is not None:
            out[...] = LayerNorm.forward(ctx, x, w, b, n, eps)
            return out
        x2 = x.reshape(-1, m)
        mean_vec = xp.full(m, 1.0 / max(m, 1), dtype=x.dtype)
        xhat = x2 - (x2 @ mean_vec)[:, None]
        var = xp.einsum("ij,ij->i", xhat, xhat)
        var *= 1.0 / max(m, 1)
        var += eps
        rstd = var
        rstd **= -0.5
        rstd = rstd[:, None]
        xhat *= rstd
        ctx.xhat, ctx.rstd = xhat, rstd
        out = xhat.reshape(x.shape)
        if w is None:
            return out.copy() if b is None else out + b  # never the saved x̂ itself
        out = out * w
        if b is not None:
            out += b
        return out

    def backward(ctx, g):
        # With h = g w (or g when there is no weight), means over the normalised axes, and
        # sums over the others: dx = rstd (h - mean(h) - x̂ mean(h x̂)), dw = Σ g x̂, db = Σ g
        x, w = ctx.saved_tensors
        if GradMode.enabled:
            return _backward_differentiable(ctx, g, x, w)
        arrays = (g.array, x.array, None if w is None else w.array, ctx.xhat, ctx.rstd)
        mean = getattr(ctx, "mean", None)
        geometry = (ctx.n, ctx.needs_input_grad, ctx.input_shapes[2])
        grads = recorder.call(layer_norm_grads, *arrays, mean, *geometry)
        return tuple(None if a is None else Tensor._make(a) for a in grads)


@recorder.pure
def layer_norm_grads(g, x, w, xhat, rstd, mean, n, needs, bias_shape, out=None) -> tuple:
    """LayerNorm's first-order gradients (dx, dw, db) on arrays, None where not needed, from
    what the forward kept: x̂ and rstd (NumPy path) or mean and rstd (kernel path, x̂ None).
    ``out``: a C-contiguous array of x's shape and type to write dx into (tg.compile's
    buffers)."""
    need_x, need_w, need_b = needs
    shape = x.shape
    m = math.prod(shape[x.ndim - n :])
    if xhat is None and type(x) is not np.ndarray:  # the forward ran the CUDA kernel
        w1 = None if w is None else w.reshape(m)
        gx, gw, gb = cuda_kernels.layer_norm_backward(
            g.reshape(-1, m), x.reshape(-1, m), w1, mean, rstd, need_x, need_w or need_b
        )
        if need_x and out is not None:
            out[...] = gx.reshape(shape)
            gx = out
        return (
            gx.reshape(shape) if need_x else None,
            gw.reshape(w.shape) if need_w else None,
            gb.reshape(bias_shape) if need_b else None,
        )
    if xhat is None:  # the forward ran the numba kernel: it kept mean and rstd
        g2 = np.ascontiguousarray(g).reshape(-1, m)
        x2 = np.ascontiguousarray(x).reshape(-1, m)
        w1 = None if w is None else np.ascontiguousarray(w).reshape(m)
        if kernels.takes(g2, x2, *([] if w1 is None else [w1])):
            gx = None if out is None else out.reshape(-1, m)
            gx, gw, gb = _knorm.layer_norm_backward(g2, x2, w1, mean, rstd, gx)
            return (
                gx.reshape(shape) if need_x else None,
                gw.reshape(w.shape) if need_w else None,
                gb.reshape(bias_shape) if need_b else None,
            )
        rstd = rstd[:, None]  # the switch changed in between: the NumPy formula
        xhat = (x2 - mean[:, None]) * rstd
    g2 = g.reshape(-1, m)
    xp = xp_of(g2)
    gx = gw = gb = None
    if need_x:
        h = g2 * w.reshape(m) if w is not None else g2
        gx = xhat * (xp.einsum("ij,ij->i", h, xhat) * (1.0 / max(m, 1)))[:, None]
        gx += (h @ xp.full(m, 1.0 / max(m, 1), dtype=g2.dtype))[:, None]
        xp.subtract(h, gx, out=gx)
        gx *= rstd
        gx = gx.reshape(shape)
        if out is not None:
            out[...] = gx
            gx = out
    if need_w:
        gw = xp.einsum("ij,ij->j", g2, xhat).reshape(w.shape)
    if need_b:
        gb = (xp.ones(g2.shape[0], dtype=g2.dtype) @ g2).reshape(bias_shape)
    return gx, gw, gb


def _backward_differentiable(ctx, g: Tensor, x: Tensor, w: Tensor | None) -> tuple:
    """The backward formula in tensor ops, with x̂ and rstd as functions of x."""
    need_x, need_w, need_b = ctx.needs_input_grad
    dims = tuple(range(x.ndim - ctx.n, x.ndim))
    centered = x - x.mean(dims, keepdim=True)
    rstd = ((centered * centered).mean(dims, keepdim=True) + ctx.eps).rsqrt()
    xhat = centered * rstd
    gx = gw = gb = None
    if need_x:
        h = g if w is None else g * w
        gx = rstd * (h - h.mean(dims, keepdim=True) - xhat * (h * xhat).mean(dims, keepdim=True))
    if need_w:
        gw = (g * xhat).sum_to(w.shape)
    if need_b:
        gb = g.sum_to(ctx.input_shapes[2])
    return gx, gw, gb


def layer_norm(x: Tensor, n: int, weight, bias, eps: float) -> Tensor:
    """The fused layer norm of ``x`` over its last ``n`` axes (shapes already checked)."""
    return LayerNorm.apply(x, weight, bias, n=n, eps=eps)


# ----------------------------------------------------------------------------- RMS norm
# RMSNorm (LLaMA's) is LayerNorm without the centring and the bias. Composed of tensor ops it is
# six ops forward (x², mean, + eps, rsqrt, two products), each a full pass and a temporary, and
# as many backward. Fused, forward and backward work on raw arrays from the per-row rstd, the
# one thing the forward keeps (x̂ = x rstd is recomputed from the saved input, which the
# backward reads anyway). Both paths keep the same rstd, so the backward takes the path the
# switch picks at that time, whichever one ran the forward. Measured on (16*64, 128) float32
# with weight, 2 threads, min of many runs: forward + backward 0.46 ms composed of tensor ops,
# 0.24 ms with this op's NumPy code, 0.057 ms with its numba kernels (PyTorch's F.rms_norm:
# 0.19 ms); forward alone 0.11, 0.067 and 0.015 ms (PyTorch 0.031 ms). On (16*256, 384):
# forward + backward 5.3, 3.3 and 0.32 ms (PyTorch 2.6 ms).
#
# As for LayerNorm, under ``create_graph=True`` the backward runs in tensor ops on rstd
# recomputed from x, so the gradient is itself differentiable (every order is exact).


class RMSNorm(Op):
    """y = x rstd w with rstd = 1 / sqrt(mean(x²) + eps) over the last ``n`` axes; w may be
    None."""

    saves_inputs = True

    def forward(ctx, x, w, n=1, eps=1e-6):
        ctx.n, ctx.eps = n, eps
        xp = xp_of(x)
        m = math.prod(x.shape[x.ndim - n :])
        rows = math.prod(x.shape[: x.ndim - n])  # not -1: ambiguous when m is 0
        if kernels.takes(x, *([] if w is None else [w])) and m:
            x2 = np.ascontiguousarray(x).reshape(rows, m)
            w1 = None if w is None else np.ascontiguousarray(w).reshape(m)
            out, ctx.rstd = _knorm.rms_norm(x2, w1, eps)
            return out.reshape(x.shape)
        x2 = x.reshape(rows, m)
        rstd = xp.einsum("ij,ij->i", x2, x2)
        rstd *= 1.0 / max(m, 1)
        rstd += eps
        rstd **= -0.5
        ctx.rstd = rstd
        out = x2 * rstd[:, None]
        if w is not None:
            out *= w.reshape(m)
        return out.reshape(x.shape)

    def backward(ctx, g):
        # With h = g w (or g when there is no weight), x̂ = x rstd, means over the normalised
        # axes and sums over the others: dx = rstd (h - x̂ mean(h x̂)), dw = Σ g x̂
        x, w = ctx.saved_tensors
        if GradMode.enabled:
            return _rms_backward_differentiable(ctx, g, x, w)
        arrays = (g.array, x.array, None if w is None else w.array, ctx.rstd)
        grads = recorder.call(_rms_norm_grads, *arrays, ctx.n, ctx.needs_input_grad)
        return tuple(None if a is None else Tensor._make(a) for a in grads)


@recorder.pure
def _rms_norm_grads(g, x, w, rstd, n, needs) -> tuple:
    """RMSNorm's first-order gradients (dx, dw) on arrays, None where not needed."""
    need_x, need_w = needs
    shape = x.shape
    m = math.prod(shape[x.ndim - n :])
    rows = math.prod(shape[: x.ndim - n])
    w1 = None if w is None else w.reshape(m)
    if kernels.takes(g, x, *([] if w1 is None else [w1])):
        g2 = np.ascontiguousarray(g).reshape(rows, m)
        x2 = np.ascontiguousarray(x).reshape(rows, m)
        w1 = None if w1 is None else np.ascontiguousarray(w1)
        gx, gw = _knorm.rms_norm_backward(g2, x2, w1, rstd, need_w=need_w)
        return (gx.reshape(shape) if need_x else None, gw.reshape(w.shape) if need_w else None)
    g2 = g.reshape(rows, m)
    xp = xp_of(g2)
    xhat = x.reshape(rows, m) * rstd[:, None]
    gx = gw = None
    if need_x:
        h = g2 * w1 if w1 is not None else g2
        gx = xhat * (xp.einsum("ij,ij->i", h, xhat) * (1.0 / max(m, 1)))[:, None]
        xp.subtract(h, gx, out=gx)
        gx *= rstd[:, None]
        gx = gx.reshape(shape)
    if need_w:
        gw = xp.einsum("ij,ij->j", g2, xhat).reshape(w.shape)
    return gx, gw


def _rms_backward_differentiable(ctx, g: Tensor, x: Tensor, w: Tensor | None) -> tuple:
    """The backward formula in tensor ops, with x̂ and rstd as functions of x."""
    need_x, need_w = ctx.needs_input_grad
    dims = tuple(range(x.ndim - ctx.n, x.ndim))
    rstd = ((x * x).mean(dims, keepdim=True) + ctx.eps).rsqrt()
    xhat = x * rstd
    gx = gw = None
    if need_x:
        h = g if w is None else g * w
        gx = rstd * (h - xhat * (h * xhat).mean(dims, keepdim=True))
    if need_w:
        gw = (g * xhat).sum_to(w.shape)
    return gx, gw


def rms_norm(x: Tensor, n: int, weight, eps: float) -> Tensor:
    """The fused RMS norm of ``x`` over its last ``n`` axes (shapes already checked)."""
    return RMSNorm.apply(x, weight, n=n, eps=eps)


# ------------------------------------------------------------------ binary cross-entropy
# Binary cross-entropy on probabilities clamps each log at -100 so that x = 0 or 1 gives a finite
# loss. Composed from ``log`` and ``clamp``, its gradient at x = 0 would be 0/0 = NaN; PyTorch
# instead defines it as (x - t) / max(x (1 - x), 1e-12), which this op reproduces.


class BinaryCrossEntropy(Op):
    """-(t log x + (1 - t) log(1 - x)) elementwise, each log clamped to >= -100 (PyTorch)."""

    saves_inputs = True

    def forward(ctx, x, t):
        xp = xp_of(x)
        with np.errstate(divide="ignore"):  # log(0) = -inf, then clamped
            log_x = xp.maximum(xp.log(x), -100)
            log_1mx = xp.maximum(xp.log1p(-x), -100)
        return -(t * log_x + (1 - t) * log_1mx)

    def backward(ctx, g):
        x, t = ctx.saved_tensors
        gx = gt = None
        if ctx.needs_input_grad[0]:  # d/dx = (x - t) / (x (1 - x)), denominator >= 1e-12
            gx = g * (x - t) / (x * (1 - x)).clamp(min=1e-12)
        if ctx.needs_input_grad[1]:  # d/dt = log(1 - x) - log(x): unclamped, +-inf at 0 and 1
            with np.errstate(divide="ignore"):
                gt = g * ((-x).log1p() - x.log())
        return gx, gt


# ----------------------------------------------------------------------------- class targets


def check_classes(target, n_classes: int, name: str, input_shape) -> None:
    """Raise for a class index outside [0, n_classes) (the largest out of range first)."""
    if target.size:
        if type(target) is np.ndarray:
            lo, hi = target.min(), target.max()
        else:  # one device-to-host copy (each is a wait for the GPU), not two
            lo, hi = xp_of(target).stack([target.min(), target.max()]).get()
        _check_range(int(lo), int(hi), n_classes, name, input_shape)


def _check_range(lo: int, hi: int, n_classes: int, name: str, input_shape) -> None:
    if lo < 0 or hi >= n_classes:
        raise IndexError(
            f"{name}: target {hi if hi >= n_classes else lo} is out of bounds for "
            f"{n_classes} classes (input of shape {input_shape})"
        )


_NO_WEIGHT = {dtype: np.empty(0, dtype) for dtype in (np.float32, np.float64)}


def _nll_kernel_args(x, target, weight, dim):
    """The NLL kernels' arguments, x as (outer, C, inner), the target as (outer, inner) and
    the weight (empty for none), or None where the NumPy path runs (``kernels/nll.py``)."""
    if not (kernels.takes(x, *(() if weight is None else (weight,))) and target.size):
        return None
    if type(target) is not np.ndarray or target.dtype.kind not in "iu":
        return None
    shape = x.shape
    outer, inner = math.prod(shape[:dim]), math.prod(shape[dim + 1 :])
    w = _NO_WEIGHT[x.dtype.type] if weight is None else weight
    return x.reshape(outer, shape[dim], inner), target.reshape(outer, inner), w


def _class_terms(target, weight, dim: int, ignore_index: int, dtype):
    """(t, w, valid): the target as an index along ``dim`` (ignored entries pointing at class
    0), each target's weight (weight[t], or 1; 0 where ignored) and the not-ignored mask."""
    xp = xp_of(target)
    valid = target != ignore_index
    t = xp.where(valid, target, 0).reshape(valid.shape[:dim] + (1,) + valid.shape[dim:])
    w = valid.astype(dtype)
    if weight is not None:
        w *= weight[t.reshape(valid.shape)]
    return t, w, valid


def _targets_only(needs_input_grad, inputs) -> tuple:
    """What the NLL ops keep for their gradients: the targets and weight, not the values."""
    return (None, *inputs[1:])


class NllLoss(Op):
    """Negative log-likelihood of class targets t on log-probabilities x (classes in ``dim``):
    l_i = -w_i x[i, t_i], w_i = weight[t_i] (or 1) and 0 where t_i is ``ignore_index``; reduced
    to Σ l ('sum'), Σ l / Σ w ('mean': PyTorch's weighted mean, NaN when every target is
    ignored) or not ('none'). One op where gather, where, mul, neg, sum and div were nine;
    cross-entropy forward + backward on (128, 10) float32: 250 µs → 85-120 µs (PyTorch 48-66 µs).
    Linear in x; its gradient is ``NllLossBackward``. ``weight`` gets no gradient (PyTorch
    has none either)."""

    saves_inputs = True
    inputs_to_save = staticmethod(_targets_only)

    def forward(ctx, x, target, weight=None, dim=1, ignore_index=-100, reduction="mean", name=""):
        ctx.dim, ctx.ignore_index, ctx.reduction, ctx.caller = dim, ignore_index, reduction, name
        args = _nll_kernel_args(x, target, weight, dim)
        if args is not None:
            x3, target2, w = args
            losses = np.empty(target.shape, x.dtype)
            total, wsum, lo, hi = _knll.nll_forward(
                x3, target2, w, ignore_index, losses.reshape(target2.shape)
            )
            _check_range(lo, hi, x.shape[dim], name, x.shape)
            if reduction == "none":
                return losses
            return np.asarray(np.divide(total, wsum) if reduction == "mean" else total, x.dtype)
        xp = xp_of(x)
        t, w, valid = _class_terms(target, weight, dim, ignore_index, x.dtype)
        check_classes(t, x.shape[dim], name, x.shape)
        picked = x[_along(t, dim)].reshape(valid.shape)
        loss = xp.where(valid, -picked * w, 0)  # an ignored target adds 0, even at x = -inf
        if reduction == "none":
            return loss
        total = loss.sum()
        return xp.asarray(total / w.sum() if reduction == "mean" else total)

    def backward(ctx, g):
        if ctx.needs_input_grad[2]:
            raise RuntimeError(f"{ctx.caller}: the derivative for 'weight' is not implemented")
        _, target, weight = ctx.saved_tensors
        shape = ctx.input_shapes[0]
        params = dict(dim=ctx.dim, ignore_index=ctx.ignore_index, reduction=ctx.reduction)
        gx = NllLossBackward.apply(g, target, weight, shape=shape, name=ctx.caller, **params)
        return gx, None, None


def nll_grad_into(out, g, target, weight, dim, ignore_index, reduction):
    """``NllLossBackward``'s values written into ``out``, which holds zeros."""
    args = _nll_kernel_args(out, target, weight, dim) if out.flags.c_contiguous else None
    if args is not None and g.dtype == out.dtype:
        out3, target2, w = args
        each = reduction == "none"
        g2 = g.reshape(target2.shape) if each else g.reshape(1, 1)
        _knll.nll_backward(g2, target2, w, ignore_index, each, reduction == "mean", out3)
        return out
    xp = xp_of(g)
    t, w, valid = _class_terms(target, weight, dim, ignore_index, g.dtype)
    if reduction == "mean":
        g = g / w.sum()  # then times w_i, as PyTorch rounds it
    out[_along(t, dim)] = xp.where(valid, -g * w, 0).reshape(t.shape)
    return out


class NllLossBackward(Op):
    """dL/dx of ``NllLoss``: zeros of the input's ``shape`` with -g w_i (-g / Σ w w_i for
    'mean') at each target x[i, t_i], 0 at ignored ones. Linear in g, and its adjoint is
    ``NllLoss`` itself, which is its gradient."""

    saves_inputs = True
    inputs_to_save = staticmethod(_targets_only)

    def forward(
        ctx, g, target, weight=None, shape=(), dim=1, ignore_index=-100, reduction="mean", name=""
    ):
        ctx.dim, ctx.ignore_index, ctx.reduction, ctx.caller = dim, ignore_index, reduction, name
        out = xp_of(g).zeros(shape, dtype=g.dtype)
        return nll_grad_into(out, g, target, weight, dim, ignore_index, reduction)

    def backward(ctx, h):
        _, target, weight = ctx.saved_tensors
        params = dict(dim=ctx.dim, ignore_index=ctx.ignore_index, reduction=ctx.reduction)
        return NllLoss.apply(h, target, weight, name=ctx.caller, **params), None, None
