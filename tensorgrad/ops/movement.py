"""Ops that move elements without arithmetic: reshape, permute, expand, flip, roll, cat, pad,
triangles, copies, and the many-piece split and stack of the recurrent layers. Each backward
moves the gradient back the other way.
"""

from __future__ import annotations

from .. import _args, backend
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


# ---------------------------------------------------------------------- composites
# Diagonals, differences, rotations and grids, written with the primitives above (and
# gather/sum): no calculus of their own. Shapes and dims are checked first, with errors that
# name them.


def diagonal(x: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The entries x[..., i, i + offset] of the (dim1, dim2) planes, in a last new dim.

    dim1 and dim2 are moved to the end; the plane is cut to the L x L block that starts at the
    diagonal, and its flattened L*L entries taken with step L + 1 are the diagonal.
    """
    d1, d2 = _args.wrap_dim(dim1, x.ndim), _args.wrap_dim(dim2, x.ndim)
    if d1 == d2:
        raise RuntimeError(
            f"diagonal: dim1 and dim2 must differ, got {dim1} and {dim2} (shape {x.shape})"
        )
    m = x.permute(*[d for d in range(x.ndim) if d not in (d1, d2)], d1, d2)
    m = m[..., :, offset:] if offset >= 0 else m[..., -offset:, :]
    n = min(m.shape[-2], m.shape[-1])
    return m[..., :n, :n].flatten(-2)[..., :: n + 1]


def diag_embed(x: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """Matrices in the (dim1, dim2) planes of the result with the last dim of ``x`` on their
    ``offset`` diagonal, zeros elsewhere; ``diagonal`` undone.

    Each x_i followed by n zeros, read back as n x n, puts x on the diagonal (row i starts
    i (n + 1) entries in); the offset is then padding of |offset| rows and columns.
    """
    if x.ndim == 0:
        raise RuntimeError("diag_embed: expected a tensor with at least 1 dimension, got 0-d")
    nd = x.ndim + 1
    d1, d2 = _args.wrap_dim(dim1, nd), _args.wrap_dim(dim2, nd)
    if d1 == d2:
        raise RuntimeError(
            f"diag_embed: dim1 and dim2 must differ, got {dim1} and {dim2} (shape {x.shape})"
        )
    n, k = x.shape[-1], abs(offset)
    lead = ((0, 0),) * (x.ndim - 1)
    m = ConstantPad.apply(x.unsqueeze(-1), widths=(*lead, (0, 0), (0, n)))
    m = m.flatten(-2).narrow(-1, 0, n * n).unflatten(-1, (n, n))
    if k:
        rows, cols = ((0, k), (k, 0)) if offset > 0 else ((k, 0), (0, k))
        m = ConstantPad.apply(m, widths=(*lead, rows, cols))
    batch = iter(range(nd - 2))
    return m.permute(
        *[nd - 2 if i == d1 else nd - 1 if i == d2 else next(batch) for i in range(nd)]
    )


def diag(x: Tensor, offset: int = 0) -> Tensor:
    """A 1-D input becomes a square matrix with it on diagonal ``offset``; a 2-D input gives
    that diagonal as a 1-D tensor."""
    if x.ndim == 1:
        return diag_embed(x, offset)
    if x.ndim == 2:
        return diagonal(x, offset)
    raise RuntimeError(f"diag: supports 1-D or 2-D tensors, got shape {x.shape}")


def diff(x: Tensor, n: int = 1, dim: int = -1, prepend=None, append=None) -> Tensor:
    """The n-th forward difference out[i] = x[i + 1] - x[i] along ``dim`` (``!=`` for bool),
    applied n times, after joining ``prepend`` and ``append`` to ``x`` along ``dim``."""
    if x.ndim == 0:
        raise RuntimeError("diff: expects input to be at least one-dimensional, got a 0-d tensor")
    if n < 0:
        raise RuntimeError(f"diff: order must be non-negative, got n={n}")
    dim = _args.wrap_dim(dim, x.ndim)
    parts = []
    for what, t in (("prepend", prepend), (None, x), ("append", append)):
        if t is None:
            continue
        if not isinstance(t, Tensor):
            raise TypeError(f"diff: {what} must be a Tensor, got {type(t).__name__}")
        if t.ndim != x.ndim:
            raise RuntimeError(
                f"diff: {what} of shape {t.shape} must have the same number of dimensions as "
                f"the input of shape {x.shape}"
            )
        parts.append(t)
    if len(parts) > 1:
        x = cat(parts, dim)
    for _ in range(n):
        size = x.shape[dim]
        if size == 0:
            break
        later, earlier = x.narrow(dim, 1, size - 1), x.narrow(dim, 0, size - 1)
        x = later != earlier if x.array.dtype == bool else later - earlier
    return x


def rot90(x: Tensor, k: int = 1, dims=(0, 1)) -> Tensor:
    """Rotated by 90 degrees ``k`` times in the plane ``dims``, from the first dim towards
    the second: a flip and a transpose."""
    dims = tuple(dims)
    if len(dims) != 2:
        raise RuntimeError(f"rot90: expected 2 rotation dims, got dims={dims}")
    if x.ndim < 2:
        raise RuntimeError(f"rot90: expected a tensor with at least 2 dims, got shape {x.shape}")
    d0, d1 = _args.wrap_dim(dims[0], x.ndim), _args.wrap_dim(dims[1], x.ndim)
    if d0 == d1:
        raise RuntimeError(f"rot90: expected rotation dims to be different, got dims={dims}")
    k %= 4
    if k == 1:
        return x.flip(d1).transpose(d0, d1)
    if k == 2:
        return x.flip(d0, d1)
    if k == 3:
        return x.flip(d0).transpose(d0, d1)
    return x.clone()


def take_along_dim(x: Tensor, indices: Tensor, dim=None) -> Tensor:
    """``gather`` after broadcasting ``x`` and ``indices`` over every dim but ``dim``; with
    ``dim=None`` both are flattened first."""
    if not isinstance(indices, Tensor) or indices.array.dtype.kind not in "iu":
        raise RuntimeError(
            f"take_along_dim: indices must be an integer tensor, got "
            f"{getattr(indices, 'dtype', type(indices).__name__)}"
        )
    if dim is None:
        return x.reshape(-1).gather(0, indices.reshape(-1))
    dim = _args.wrap_dim(dim, x.ndim)
    if x.ndim != indices.ndim:
        raise RuntimeError(
            f"take_along_dim: input of shape {x.shape} and indices of shape {indices.shape} "
            f"must have the same number of dimensions"
        )
    ones = [s if i != dim else 1 for i, s in enumerate(x.shape)]
    other = [s if i != dim else 1 for i, s in enumerate(indices.shape)]
    shape = list(_args.broadcast_shape("take_along_dim", ones, other))
    xs, js = shape.copy(), shape.copy()
    xs[dim], js[dim] = x.shape[dim], indices.shape[dim]
    return x.expand(xs).gather(dim, indices.expand(js))


def meshgrid(*tensors, indexing: str = "ij") -> tuple:
    """Coordinate grids: for N 1-D (or 0-d) tensors of sizes s_i, N tensors of shape
    (s_0, ..., s_{N-1}) (views), the i-th varying along dim i. ``indexing='xy'`` swaps the
    first two dims (Cartesian, NumPy's default). PyTorch warns when ``indexing`` is not given
    and uses 'ij'; here 'ij' is the default without a warning."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    if not tensors:
        raise RuntimeError("meshgrid: expects a non-empty list of tensors")
    for t in tensors:
        if t.ndim > 1:
            raise RuntimeError(f"meshgrid: expects 0-D or 1-D tensors, got shape {t.shape}")
        if t.dtype != tensors[0].dtype or t.device != tensors[0].device:
            raise RuntimeError(
                f"meshgrid: expects all tensors to have the same dtype and device, got "
                f"{tensors[0].dtype} on {tensors[0].device} and {t.dtype} on {t.device}"
            )
    axes = list(range(len(tensors)))
    if indexing == "xy" and len(tensors) > 1:
        axes[0], axes[1] = 1, 0
    sizes = [0] * len(tensors)
    for t, a in zip(tensors, axes):
        sizes[a] = t.numel()
    return tuple(
        t.reshape([-1 if i == a else 1 for i in range(len(sizes))]).expand(sizes)
        for t, a in zip(tensors, axes)
    )
