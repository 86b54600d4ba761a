"""Ops that move elements without arithmetic: reshape, permute, expand, flip, roll, cat, pad,
triangles, copies, and the many-piece split and stack of the recurrent layers. Each backward
moves the gradient back the other way.
"""

from __future__ import annotations

import numpy as np

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


def movedim(x: Tensor, source, destination) -> Tensor:
    """The dims ``source`` (an int or a sequence) moved to positions ``destination``, the other
    dims keeping their order; a view (``permute``). ``moveaxis`` is the same function."""
    src = list(source) if isinstance(source, (tuple, list)) else [source]
    dst = list(destination) if isinstance(destination, (tuple, list)) else [destination]
    if len(src) != len(dst):
        raise RuntimeError(
            f"movedim: Invalid source or destination dims: source ({src} dims) should contain "
            f"the same number of dims as destination ({dst} dims)"
        )
    src = [_args.wrap_dim(d, x.ndim) for d in src]
    dst = [_args.wrap_dim(d, x.ndim) for d in dst]
    for name, dims in (("source", src), ("destination", dst)):
        if len(set(dims)) != len(dims):
            raise RuntimeError(f"movedim: repeated dim in `{name}` ({dims}), shape {x.shape}")
    if x.ndim == 0:
        return x
    order = [None] * x.ndim
    for s, d in zip(src, dst):
        order[d] = s
    rest = iter(d for d in range(x.ndim) if d not in src)
    return x.permute(*[next(rest) if o is None else o for o in order])


def inner(a: Tensor, b: Tensor) -> Tensor:
    """sum over the last dims of ``a`` and ``b``: out[i..., j...] = sum_k a[i..., k] b[j..., k]
    (``a * b`` when either is 0-d)."""
    from .linalg import tensordot

    if a.ndim == 0 or b.ndim == 0:
        return a * b
    if a.shape[-1] != b.shape[-1]:
        raise RuntimeError(
            f"inner() the last dimension must match on both input tensors but got shapes "
            f"{a.shape} and {b.shape}"
        )
    return tensordot(a, b, dims=([-1], [-1]))


def vdot(a: Tensor, b: Tensor) -> Tensor:
    """sum(conj(a) * b) of two 1-D tensors of one size and dtype: ``dot`` for real tensors."""
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if a.dtype != b.dtype:
        raise RuntimeError(
            f"vdot : expected both vectors to have same dtype, but found {a.dtype} and {b.dtype}"
        )
    if a.shape != b.shape:
        raise RuntimeError(
            f"inconsistent tensor size, expected tensor {a.shape} and src {b.shape} to have "
            "the same number of elements"
        )
    return a.dot(b)


def _tensors(name: str, tensors) -> tuple:
    """``f(a, b)`` and ``f([a, b])`` alike, checked to be tensors."""
    if len(tensors) == 1 and isinstance(tensors[0], (tuple, list)):
        tensors = tuple(tensors[0])
    for t in tensors:
        if not isinstance(t, Tensor):
            raise TypeError(f"{name}(): expected Tensors, got {type(t).__name__}")
    return tuple(tensors)


def block_diag(*tensors) -> Tensor:
    """The tensors (0-d, 1-D as one row, or 2-D) along the diagonal of one matrix, zeros
    elsewhere, in their promoted dtype: each block padded with zeros to the full width, and the
    rows joined."""
    tensors = _tensors("block_diag", tensors)
    blocks = []
    for i, t in enumerate(tensors):
        if t.ndim > 2:
            raise RuntimeError(
                f"torch.block_diag: Input tensors must have 2 or fewer dimensions. Input {i} "
                f"has {t.ndim} dimensions (shape {t.shape})"
            )
        blocks.append(t.reshape(1, -1) if t.ndim < 2 else t)
    if not blocks:
        from ..creation import zeros

        return zeros(1, 0)
    width = sum(b.shape[1] for b in blocks)
    rows, left = [], 0
    for b in blocks:
        right = width - left - b.shape[1]
        rows.append(ConstantPad.apply(b, widths=((0, 0), (left, right))) if width else b)
        left += b.shape[1]
    return cat(rows, 0)


def cartesian_prod(*tensors) -> Tensor:
    """All tuples (a_i, b_j, ...) of elements of the 1-D tensors, in row-major order, as the
    rows of an (n_a n_b ..., k) tensor; one tensor is returned as it is (its 1-D values)."""
    tensors = _tensors("cartesian_prod", tensors)
    for t in tensors:
        if t.ndim != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {t.shape}")
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return _stack_last([g.reshape(-1) for g in grids])


def _stack_last(columns: list) -> Tensor:
    return cat([c.unsqueeze(1) for c in columns], 1)


def combinations(input: Tensor, r: int = 2, with_replacement: bool = False) -> Tensor:
    """The r-element combinations of the elements of a 1-D tensor (with repeats when
    ``with_replacement``), in ``itertools.combinations`` order, as rows of an (m, r) tensor;
    empty (0 elements) for r = 0. The rows are ``index_select``\\ s, so the gradient sums back."""
    import itertools

    if input.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {input.shape}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return input.new_empty(0)
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    rows = list(pick(range(input.shape[0]), r))
    if not rows:
        return input.new_empty(0, r)
    index = input.new_tensor(rows, dtype=np.int64)
    return _stack_last([input.index_select(0, index[:, j]) for j in range(r)])


def _at_least(name: str, tensors, ndim: int):
    sequence = len(tensors) != 1 or isinstance(tensors[0], (tuple, list))
    tensors = _tensors(name, tensors)
    out = []
    for t in tensors:
        if t.ndim >= ndim:
            out.append(t)
        elif ndim == 3 and t.ndim == 2:
            out.append(t.unsqueeze(-1))
        elif ndim == 3 and t.ndim == 1:
            out.append(t.reshape(1, -1, 1))
        else:
            out.append(t.reshape((1,) * (ndim - t.ndim) + t.shape))
    return tuple(out) if sequence else out[0]


def atleast_1d(*tensors):
    """Each tensor with at least 1 dim (a 0-d one as shape (1,)); one tensor gives a tensor,
    several (or a sequence) a tuple."""
    return _at_least("atleast_1d", tensors, 1)


def atleast_2d(*tensors):
    """Each tensor with at least 2 dims: 0-d as (1, 1), 1-D (n) as (1, n)."""
    return _at_least("atleast_2d", tensors, 2)


def atleast_3d(*tensors):
    """Each tensor with at least 3 dims: 0-d as (1, 1, 1), (n) as (1, n, 1), (m, n) as
    (m, n, 1)."""
    return _at_least("atleast_3d", tensors, 3)


def _joined(name: str, tensors, ndim: int) -> list:
    tensors = _tensors(name, tensors)
    if not tensors:
        raise RuntimeError(f"{name} expects a non-empty TensorList")
    return list(_at_least(name, (tensors,), ndim))


def hstack(tensors) -> Tensor:
    """Joined column-wise: along dim 0 for 1-D (and 0-d) tensors, else along dim 1."""
    parts = _joined("hstack", tensors, 1)
    return cat(parts, 0 if parts[0].ndim == 1 else 1)


def vstack(tensors) -> Tensor:
    """Joined row-wise: ``cat(atleast_2d(tensors), 0)``. ``row_stack`` is the same function."""
    return cat(_joined("vstack", tensors, 2), 0)


row_stack = vstack


def dstack(tensors) -> Tensor:
    """Joined depth-wise: ``cat(atleast_3d(tensors), 2)``."""
    return cat(_joined("dstack", tensors, 3), 2)


def column_stack(tensors) -> Tensor:
    """0-d and 1-D tensors as columns (n, 1), then joined along dim 1 (``hstack`` of those)."""
    tensors = _tensors("column_stack", tensors)
    if not tensors:
        raise RuntimeError("column_stack expects a non-empty TensorList")
    return cat([t.reshape(-1, 1) if t.ndim <= 1 else t for t in tensors], 1)
