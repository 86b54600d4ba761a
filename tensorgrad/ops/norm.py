"""Fused normalisation primitive: ``LayerNorm`` over the trailing axes, with its affine.

It is the hot path of every transformer block, so forward and backward work on raw arrays:
mean and rstd = 1/sqrt(var + eps) are computed once, row means and row dot products go through
BLAS matrix-vector products and ``einsum`` (NumPy's axis-1 ``sum`` on a contiguous row is
several times slower) and the arrays are updated in place, so a call allocates two full-size
arrays instead of one per composed op. Measured with timeit on (16*64, 128) float32 with weight
and bias, one thread: forward + backward 640 µs composed of tensor ops, 275 µs with this op
(PyTorch: 130 µs); forward alone 185 µs composed, 100 µs fused.

First-order gradients are the closed form below, from the x̂ and rstd the forward kept. Under
``create_graph=True`` the same formula runs in tensor ops on x̂ and rstd recomputed from the
saved input, so the gradient is itself differentiable (second order is exact).
"""

from __future__ import annotations

import math

from ..autograd.function import Op
from ..backend import xp_of
from ..grad_mode import GradMode
from ..tensor import Tensor


class LayerNorm(Op):
    """y = x̂ w + b with x̂ = (x - mean) rstd over the last ``n`` axes; w and b may be None."""

    saves_inputs = True

    @staticmethod
    def inputs_to_save(needs, inputs):
        return (inputs[0], inputs[1])

    def forward(ctx, x, w, b, n=1, eps=1e-5):
        ctx.n, ctx.eps = n, eps
        xp = xp_of(x)
        m = math.prod(x.shape[x.ndim - n :])
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
        ctx.xhat, ctx.rstd, ctx.mean_vec = xhat, rstd, mean_vec
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
        need_x, need_w, need_b = ctx.needs_input_grad
        if GradMode.enabled:
            return _backward_differentiable(ctx, g, x, w)
        xhat, rstd, shape = ctx.xhat, ctx.rstd, x.shape
        m = xhat.shape[1]
        g2 = g.data.reshape(-1, m)
        xp = xp_of(g2)
        gx = gw = gb = None
        if need_x:
            h = g2 * w.data.reshape(m) if w is not None else g2
            gx = xhat * (xp.einsum("ij,ij->i", h, xhat) * (1.0 / max(m, 1)))[:, None]
            gx += (h @ ctx.mean_vec)[:, None]
            xp.subtract(h, gx, out=gx)
            gx *= rstd
            gx = Tensor._make(gx.reshape(shape))
        if need_w:
            gw = Tensor._make(xp.einsum("ij,ij->j", g2, xhat).reshape(w.shape))
        if need_b:
            gb = xp.ones(g2.shape[0], dtype=g2.dtype) @ g2
            gb = Tensor._make(gb.reshape(ctx._input_shapes[2]))
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
        gb = g.sum_to(ctx._input_shapes[2])
    return gx, gw, gb


def layer_norm(x: Tensor, n: int, weight, bias, eps: float) -> Tensor:
    """The fused layer norm of ``x`` over its last ``n`` axes (shapes already checked)."""
    return LayerNorm.apply(x, weight, bias, n=n, eps=eps)
