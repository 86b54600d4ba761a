"""Ops that move elements without arithmetic: reshape, permute, expand, flip, roll, cat, pad,
triangles, copies, and the many-piece split and stack of the recurrent layers. Each backward
moves the gradient back the other way.
"""

from __future__ import annotations

from .. import backend
from ..autograd.function import Function, Op
from ..backend import xp_of
from ..jit import recorder
from ..tensor import Tensor, cat


class Reshape(Op):
    is_view = True
    may_copy = True  # non-contiguous data: NumPy copies, and the result is no view

    def forward(ctx, x, shape=()):
        return x.reshape(shape)

    def backward(ctx, g):
        return g.reshape(ctx.input_shapes[0])


class Permute(Op):
    is_view = True

    def forward(ctx, x, dims=()):
        ctx.dims = dims
        return x.transpose(dims)

    def backward(ctx, g):  # the inverse permutation
        inverse = [0] * len(ctx.dims)
        for i, d in enumerate(ctx.dims):
            inverse[d] = i
        return Permute.apply(g, dims=tuple(inverse))


class Expand(Op):
    """Broadcast to ``shape``; the gradient sums over the broadcast axes."""

    is_view = True

    def forward(ctx, x, shape=()):
        return xp_of(x).broadcast_to(x, shape)

    def backward(ctx, g):
        return g.sum_to(ctx.input_shapes[0])


class Flip(Op):
    """A copy, as in PyTorch (NumPy's flip is a view): writing into ``x.flip(0)`` leaves x as
    it is."""

    def forward(ctx, x, dims=()):
        ctx.dims = dims
        return xp_of(x).flip(x, dims).copy() if dims else x.copy()

    def backward(ctx, g):
        return g.flip(ctx.dims)


class Roll(Op):
    def forward(ctx, x, shifts=(), dims=()):
        ctx.shifts, ctx.dims = shifts, dims
        return xp_of(x).roll(x, shifts, dims)

    def backward(ctx, g):
        return g.roll(tuple(-s for s in ctx.shifts), ctx.dims)


class Cat(Op):
    def forward(ctx, *xs, dim=0):
        ctx.dim = dim
        return xp_of(xs[0]).concatenate(xs, axis=dim)

    def backward(ctx, g):  # each input gets back its own slice of the gradient
        grads, start = [], 0
        for shape, needed in zip(ctx.input_shapes, ctx.needs_input_grad):
            n = shape[ctx.dim]
            grads.append(g.narrow(ctx.dim, start, n) if needed else None)
            start += n
        return tuple(grads)


class ConstantPad(Op):
    """Pad with a constant; ``widths`` is ((before, after), ...) for every axis."""

    def forward(ctx, x, widths=(), value=0.0):
        ctx.widths = widths
        return xp_of(x).pad(x, widths, mode="constant", constant_values=value)

    def backward(ctx, g):  # the gradient of the padding is dropped
        return g[tuple(slice(b, g.shape[i] - a) for i, (b, a) in enumerate(ctx.widths))]


class Triangle(Op):
    def forward(ctx, x, k=0, upper=False):
        ctx.k, ctx.upper = k, upper
        xp = xp_of(x)
        return xp.triu(x, k) if upper else xp.tril(x, k)

    def backward(ctx, g):
        return g.triu(ctx.k) if ctx.upper else g.tril(ctx.k)


class Clone(Op):
    def forward(ctx, x):
        return x.copy()

    def backward(ctx, g):
        return g


class ToDevice(Op):
    def forward(ctx, x, device=None):
        ctx.source = backend.device_of(x)
        return backend.to_device(x, device)

    def backward(ctx, g):
        return g.to(ctx.source)


@recorder.pure
def _pieces(array, index: list) -> tuple:
    return tuple(array[i] for i in index)


class Split(Function):
    """``Split.apply(x, sizes, dim)``: ``x`` cut along ``dim`` into pieces of the given
    ``sizes`` (views), or, with ``sizes=None``, into its slices along ``dim`` with that dimension
    removed (``unbind``). One node for all the pieces, where ``Tensor.split``/``unbind`` make
    one per piece: the recurrent layers cut a sequence into T steps and a step into its gates.
    The gradient is the pieces' gradients put back together in one concatenation."""

    _recorded_inside = True

    @staticmethod
    def forward(ctx, x, sizes, dim):
        ctx.dim, ctx.unbind = dim, sizes is None
        lead = (slice(None),) * dim
        if sizes is None:
            index = [(*lead, i) for i in range(x.shape[dim])]
        else:
            starts = [sum(sizes[:k]) for k in range(len(sizes))]
            index = [(*lead, slice(a, a + n)) for a, n in zip(starts, sizes)]
        # the pieces share x's version counter: modifying x in place (a user's h_0) before
        # backward then raises instead of giving a silently wrong gradient
        pieces = recorder.call(_pieces, x.array, index)
        return tuple(Tensor._make(p, None, False, 0, x._version_counter) for p in pieces)

    @staticmethod
    def backward(ctx, *grads):
        whole = Stack.apply(ctx.dim, *grads) if ctx.unbind else cat(grads, ctx.dim)
        return whole, None, None


class Stack(Function):
    """``Stack.apply(dim, *xs)``: ``stack(xs, dim)`` as one node whose backward is one
    ``Split`` (the generic ``stack`` adds an unsqueeze per piece, forward and backward: 3T extra
    nodes for a T-step sequence)."""

    _recorded_inside = True

    @staticmethod
    def forward(ctx, dim, *xs):
        ctx.dim = dim
        arrays = [x.array for x in xs]
        return Tensor._make(recorder.call(xp_of(arrays[0]).stack, arrays, dim))

    @staticmethod
    def backward(ctx, grad):
        return (None, *Split.apply(grad, None, ctx.dim))
