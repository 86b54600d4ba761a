"""Reductions. ``dims`` is a sorted tuple of non-negative axes; the Tensor methods normalize it.

The gradient of a reduction is broadcast back over the reduced axes: ``_unreduce`` restores
them as size-1 axes (when ``keepdim`` was False) and expands to the input's shape.
"""

from __future__ import annotations

from ..autograd.function import Op
from ..backend import xp_of


def _unreduce(g, in_shape, dims, keepdim):
    """Reshape a reduced gradient so it broadcasts against the input (size 1 on ``dims``)."""
    if not keepdim:
        g = g.reshape([1 if i in dims else s for i, s in enumerate(in_shape)])
    return g


class Sum(Op):
    def forward(ctx, x, dims=(), keepdim=False):
        ctx.dims, ctx.keepdim = dims, keepdim
        return x.sum(axis=dims, keepdims=keepdim)

    def backward(ctx, g):  # d sum(x)/dx_i = 1
        (shape,) = ctx._input_shapes
        return _unreduce(g, shape, ctx.dims, ctx.keepdim).expand(shape)


class Prod(Op):
    """Product over one axis (or all when ``dim`` is None)."""

    saves_inputs = True
    saves_output = True

    def forward(ctx, x, dim=None, keepdim=False):
        ctx.dim, ctx.keepdim = dim, keepdim
        out = x.prod(axis=dim, keepdims=keepdim)
        return out.reshape((1,) * x.ndim if keepdim else ()) if dim is None and keepdim else out

    def backward(ctx, g):
        # d prod(x)/dx_i = prod_{j != i} x_j: out / x_i where x_i != 0; where x_i == 0 the
        # product of the others is computed directly (exclusive cumulative products)
        x, out = ctx.saved_tensors
        dims = tuple(range(x.ndim)) if ctx.dim is None else (ctx.dim,)
        g = _unreduce(g, x.shape, dims, ctx.keepdim)
        out = _unreduce(out, x.shape, dims, ctx.keepdim)
        zero = x == 0
        if not bool(zero.any()):
            return g * out / x
        others = _prod_of_others(x.detach().data, ctx.dim)
        return g * (out / x.masked_fill(zero, 1.0)).where(~zero, x.new_tensor(others))


def _prod_of_others(x, dim):
    xp = xp_of(x)
    flat = x.reshape(-1) if dim is None else xp.moveaxis(x, dim, -1)
    ones = xp.ones(flat.shape[:-1] + (1,), dtype=x.dtype)
    left = xp.concatenate([ones, xp.cumprod(flat, -1)[..., :-1]], -1)
    right = xp.flip(xp.concatenate([ones, xp.cumprod(xp.flip(flat, -1), -1)[..., :-1]], -1), -1)
    others = left * right
    return others.reshape(x.shape) if dim is None else xp.moveaxis(others, -1, dim)


class Amax(Op):
    saves_inputs = True
    saves_output = True

    def forward(ctx, x, dims=(), keepdim=False):
        ctx.dims, ctx.keepdim = dims, keepdim
        return x.max(axis=dims, keepdims=keepdim)

    def backward(ctx, g):  # the gradient is shared evenly among the elements equal to the max
        x, out = ctx.saved_tensors
        out = _unreduce(out, x.shape, ctx.dims, ctx.keepdim)
        mask = (x == out).to(g.dtype)
        return _unreduce(g, x.shape, ctx.dims, ctx.keepdim) * mask / mask.sum(ctx.dims, True)


class Amin(Amax):
    def forward(ctx, x, dims=(), keepdim=False):
        ctx.dims, ctx.keepdim = dims, keepdim
        return x.min(axis=dims, keepdims=keepdim)


class Norm2(Op):
    """sqrt(sum x^2) over ``dims``."""

    saves_inputs = True
    saves_output = True

    def forward(ctx, x, dims=(), keepdim=False):
        ctx.dims, ctx.keepdim = dims, keepdim
        xp = xp_of(x)
        return xp.sqrt((x * x).sum(axis=dims, keepdims=keepdim))

    def backward(ctx, g):  # d |x|/dx = x / |x|, and 0 at |x| = 0 (as PyTorch)
        x, out = ctx.saved_tensors
        out = _unreduce(out, x.shape, ctx.dims, ctx.keepdim)
        g = _unreduce(g, x.shape, ctx.dims, ctx.keepdim)
        return g * x / out.masked_fill(out == 0, float("inf"))


class Cumsum(Op):
    def forward(ctx, x, dim=0):
        ctx.dim = dim
        return xp_of(x).cumsum(x, axis=dim, dtype=x.dtype)

    def backward(ctx, g):  # d y_j/dx_i = 1 for j >= i: a reversed cumulative sum
        return g.flip(ctx.dim).cumsum(ctx.dim).flip(ctx.dim)
