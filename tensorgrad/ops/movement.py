"""Ops that move elements without arithmetic: reshape, permute, expand, flip, roll, cat, pad,
triangles, copies, and the many-piece split and stack of the recurrent layers. Each backward
moves the gradient back the other way.
"""

from __future__ import annotations

import numpy as np

from .. import _args, backend, memory_format
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
    """A copy, its memory in the axis order ``order`` (row-major when None; see
    tensorgrad/memory_format.py); the gradient passes through."""

    def forward(ctx, x, order=None):
        return memory_format.copy_in_order(x, order)

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


class Diagonal(Op):
    """The entries x[..., i, i + offset] of the (dim1, dim2) planes, in a new last dim: a
    strided view (one step of both axes per entry), so writes into it reach x, as PyTorch's.
    The gradient puts g back on that diagonal of zeros (``diagonal_scatter``)."""

    is_view = True

    def forward(ctx, x, offset=0, dim1=0, dim2=1):
        ctx.offset, ctx.dim1, ctx.dim2 = offset, dim1, dim2
        d = xp_of(x).diagonal(x, offset, dim1, dim2)
        if type(d) is np.ndarray and x.flags.writeable:  # NumPy hands out a read-only view
            d.flags.writeable = True
        return d

    def backward(ctx, g):
        from .indexing import diagonal_scatter

        zeros = g.new_zeros(ctx.input_shapes[0])
        return diagonal_scatter(zeros, g, ctx.offset, ctx.dim1, ctx.dim2)


def diagonal(x: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The entries x[..., i, i + offset] of the (dim1, dim2) planes, in a last new dim (a
    view: ``Diagonal``)."""
    d1, d2 = _args.wrap_dim(dim1, x.ndim), _args.wrap_dim(dim2, x.ndim)
    if d1 == d2:
        raise RuntimeError(
            f"diagonal: dim1 and dim2 must differ, got {dim1} and {dim2} (shape {x.shape})"
        )
    return Diagonal.apply(x, offset=offset, dim1=d1, dim2=d2)


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


# ---------------------------------------------------------------------- selecting and splitting


def select(x: Tensor, dim: int, index: int) -> Tensor:
    """The slice at ``index`` along ``dim``, that dim removed (a view): x[..., index, ...];
    a negative index counts from the end."""
    if x.ndim == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    dim = _args.wrap_dim(dim, x.ndim)
    size = x.shape[dim]
    if not -size <= index < size:
        raise IndexError(
            f"select(): index {index} out of range for tensor of size {list(x.shape)} at "
            f"dimension {dim}"
        )
    return x[(slice(None),) * dim + (int(index),)]


def narrow_copy(x: Tensor, dim: int, start: int, length: int) -> Tensor:
    """``x.narrow(dim, start, length)`` as a copy: elements start to start + length - 1 along
    ``dim``."""
    return x.narrow(dim, start, length).clone()


def ravel(x: Tensor) -> Tensor:
    """The elements in row-major order as a 1-D tensor: a view when the layout allows (as
    ``reshape(-1)``), else a copy."""
    return x.reshape(-1)


def broadcast_shapes(*shapes) -> tuple:
    """The shape (a ``Size``) that tensors of ``shapes`` (tuples or ints) broadcast to:
    right-aligned, each dim the one size that is not 1 (or 1)."""
    out: tuple = ()
    for i, shape in enumerate(shapes):
        shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
        if any(s < 0 for s in shape):
            raise ValueError("Attempting to broadcast a dimension with negative length!")
        try:
            out = _args.broadcast_shape("broadcast_shapes", out, shape)
        except RuntimeError:
            raise RuntimeError(
                f"broadcast_shapes: shape {shape} (argument {i}) cannot be broadcast with "
                f"{out}, the broadcast of the ones before it"
            ) from None
    return backend.Size(out)


def broadcast_tensors(*tensors) -> tuple:
    """The tensors expanded to their common broadcast shape (views, as ``expand``)."""
    tensors = _tensors("broadcast_tensors", tensors)
    shape = broadcast_shapes(*(t.shape for t in tensors))
    return tuple(t.expand(shape) for t in tensors)


def tensor_split(x: Tensor, indices_or_sections, dim: int = 0) -> tuple:
    """Views of ``x`` along ``dim``: with an int n, n pieces whose sizes differ by at most one
    (the first size % n pieces one longer); with a sequence of indices, the pieces
    x[:i0], x[i0:i1], ..., x[ik:] (Python slices: clamped, possibly empty). A 0-d or 1-D integer
    tensor stands for the int or the indices."""
    if x.ndim == 0:
        raise RuntimeError(
            "tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims"
        )
    if isinstance(indices_or_sections, Tensor):
        t = indices_or_sections
        if t.array.dtype != np.int64:
            raise RuntimeError(
                f"tensor_split expected tensor_indices_or_sections to have dtype of long, but got "
                f"{t.dtype}"
            )
        if t.ndim > 1:
            raise RuntimeError(
                "tensor_split expected tensor_indices_or_sections to be a zero-dimensional or "
                f"one-dimensional tensor, but got a tensor with {t.ndim} dims"
            )
        indices_or_sections = t.tolist()  # sizes from values: PyTorch reads them too
    dim = _args.wrap_dim(dim, x.ndim)
    size = x.shape[dim]
    if isinstance(indices_or_sections, (int, np.integer)):
        n = int(indices_or_sections)
        if n <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {n}")
        sizes = [size // n + (1 if i < size % n else 0) for i in range(n)]
        return x.split(sizes, dim)
    bounds = [slice(None, int(i)).indices(size)[1] for i in indices_or_sections]
    starts, ends = [0, *bounds], [*bounds, size]
    return tuple(x.narrow(dim, a, max(b - a, 0)) for a, b in zip(starts, ends))


def _split_along(x: Tensor, sections, dim: int, name: str, at_least: int) -> tuple:
    if x.ndim < at_least:
        raise RuntimeError(
            f"torch.{name} requires a tensor with at least {at_least} dimension, but got a tensor "
            f"with {x.ndim} dimensions!"
        )
    if isinstance(sections, (int, np.integer)):
        size = x.shape[dim]
        if sections == 0 or size % sections:
            raise RuntimeError(
                f"torch.{name} attempted to split along dimension {dim}, but the size of the "
                f"dimension {size} is not divisible by the split_size {sections}!"
            )
    return tensor_split(x, sections, dim)


def hsplit(x: Tensor, indices_or_sections) -> tuple:
    """``tensor_split`` along dim 1 (dim 0 for a 1-D tensor); an int must divide that dim."""
    return _split_along(x, indices_or_sections, 1 if x.ndim > 1 else 0, "hsplit", 1)


def vsplit(x: Tensor, indices_or_sections) -> tuple:
    """``tensor_split`` along dim 0 of a tensor of 2+ dims; an int must divide that dim."""
    return _split_along(x, indices_or_sections, 0, "vsplit", 2)


def dsplit(x: Tensor, indices_or_sections) -> tuple:
    """``tensor_split`` along dim 2 of a tensor of 3+ dims; an int must divide that dim."""
    return _split_along(x, indices_or_sections, 2, "dsplit", 3)


def split_with_sizes(x: Tensor, split_sizes, dim: int = 0) -> tuple:
    """Views along ``dim`` of the listed sizes, which must sum to that dim's size."""
    d = _args.wrap_dim(dim, x.ndim)
    sizes = [int(s) for s in split_sizes]
    if sum(sizes) != x.shape[d] or any(s < 0 for s in sizes):
        raise RuntimeError(
            f"split_with_sizes expects split_sizes to sum exactly to {x.shape[d]} (input tensor's "
            f"size at dimension {d}), but got split_sizes={sizes}"
        )
    return x.split(sizes, d)


def fliplr(x: Tensor) -> Tensor:
    """Columns in reverse order: ``x.flip(1)`` of a tensor with at least 2 dims (a copy)."""
    if x.ndim < 2:
        raise RuntimeError(f"fliplr: Input must be >= 2-d, got shape {x.shape}")
    return x.flip(1)


def flipud(x: Tensor) -> Tensor:
    """Rows in reverse order: ``x.flip(0)`` of a tensor with at least 1 dim (a copy)."""
    if x.ndim < 1:
        raise RuntimeError("flipud: Input must be >= 1-d, got a 0-d tensor")
    return x.flip(0)


def diagflat(x: Tensor, offset: int = 0) -> Tensor:
    """The square matrix with the flattened ``x`` on diagonal ``offset``, zeros elsewhere."""
    return diag_embed(x.reshape(-1), offset)


# ---------------------------------------------------------------------- sliding windows


class Unfold(Op):
    """Windows of ``size`` elements every ``step`` along ``dim``, in a new last dim of length
    size: out[..., w, ..., k] = x[..., w * step + k, ...] (a view, as PyTorch's; read-only here
    when windows overlap, where a write would reach several outputs)."""

    is_view = True

    def forward(ctx, x, dim=0, size=1, step=1):
        ctx.dim, ctx.size, ctx.step = dim, size, step
        n = (x.shape[dim] - size) // step + 1
        shape = (*x.shape[:dim], n, *x.shape[dim + 1 :], size)
        s = x.strides
        strides = (*s[:dim], s[dim] * step, *s[dim + 1 :], s[dim])
        xp = xp_of(x)
        if xp is np:
            return np.lib.stride_tricks.as_strided(x, shape, strides, writeable=step >= size)
        return xp.lib.stride_tricks.as_strided(x, shape, strides)

    def backward(ctx, g):
        return UnfoldBackward.apply(
            g, shape=ctx.input_shapes[0], dim=ctx.dim, size=ctx.size, step=ctx.step
        )


class UnfoldBackward(Op):
    """The adjoint of ``Unfold``: zeros of the input's ``shape`` with every window's gradient
    added back where the window was read (overlapping windows add up). Its own gradient is
    ``Unfold`` again."""

    def forward(ctx, g, shape=(), dim=0, size=1, step=1):
        ctx.dim, ctx.size, ctx.step = dim, size, step
        out = xp_of(g).zeros(shape, dtype=g.dtype)
        n = g.shape[dim]
        lead = (slice(None),) * dim
        for k in range(size):  # element k of window w sits at w * step + k
            out[(*lead, slice(k, k + step * (n - 1) + 1, step))] += g[..., k]
        return out

    def backward(ctx, gg):
        return Unfold.apply(gg, dim=ctx.dim, size=ctx.size, step=ctx.step)


def unfold(x: Tensor, dimension: int, size: int, step: int) -> Tensor:
    """Every slice of ``size`` elements along ``dimension``, starting every ``step``, in a new
    last dim: shape (..., (n - size) // step + 1, ..., size) for n = x.shape[dimension]. A view
    (``Tensor.unfold``; nn.Unfold is the image patches of ``F.unfold``)."""
    if x.ndim == 0:
        return unfold(x.reshape(1), 0, size, step).reshape(-1)
    dim = _args.wrap_dim(dimension, x.ndim)
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    if size < 0 or size > x.shape[dim]:
        raise RuntimeError(
            f"maximum size for tensor at dimension {dim} is {x.shape[dim]} but size is {size}"
        )
    return Unfold.apply(x, dim=dim, size=int(size), step=int(step))


# ---------------------------------------------------------------------- layout


def strides(x: Tensor) -> tuple:
    """The strides in elements that PyTorch would report for this layout: the row-major ones
    (each the product of the later sizes, a size 0 counted as 1) when the tensor is contiguous,
    as ``is_contiguous`` says, else NumPy's strides over the itemsize, where a size-1 dim that
    NumPy gives stride 0 (``x[:, None]``) takes PyTorch's ``unsqueeze`` stride, size times
    stride of the next dim (1 for the last)."""
    a = x.array
    shape = a.shape
    out = [1] * a.ndim
    if a.flags.c_contiguous:
        for d in range(a.ndim - 2, -1, -1):
            out[d] = out[d + 1] * max(shape[d + 1], 1)
        return tuple(out)
    for d in range(a.ndim - 1, -1, -1):
        s = a.strides[d] // a.itemsize
        if shape[d] == 1 and s == 0:
            s = shape[d + 1] * out[d + 1] if d + 1 < a.ndim else 1
        out[d] = s
    return tuple(out)


def view_in_place(x: Tensor, view: Tensor, name: str, inverse: tuple) -> Tensor:
    """``x`` made into ``view``, a view of x an op has just made (``unsqueeze_`` is
    ``view_in_place(x, x.unsqueeze(d), ...)``): x takes its array, and while recording its
    history, and stays a view of its base when it is one. ``inverse`` is ``(op class, params)``
    of the view op that turns the new layout back into the old one.

    As PyTorch: the version goes up (a node that saved x raises at backward), a leaf that
    requires grad (or a view of one) refuses while recording, and views made of x before keep
    x's old layout. Those views make their history again from their base when it changes
    (``views.refresh_view``); where x is that base, ``inverse`` is put first in their view
    chains, so replaying them on the new x still reads the old layout."""
    from ..autograd import views

    if views.recording(x):
        views.check_can_modify(x)
    rec = recorder.ACTIVE
    if rec is not None:
        n = rec.slot_of(x.array)
        if n is None or n in rec.inputs:  # the step's caller sees the tensor change shape
            rec.unsupported(f"{name} on a tensor from outside the compiled step")
    if x._base is None and view is not x:
        _reroot_views(x, view, (None, *inverse))
    x.array = view.array
    x._version_counter[0] += 1
    if view.grad_fn is not None:
        x.grad_fn, x._output_nr, x.requires_grad = view.grad_fn, view._output_nr, True
    if x._base is not None and view._base is x._base:
        x._view_fn = view._view_fn
    if x._base is not None:
        x._view_version = x._version_counter[0]
    return x


def _reroot_views(x: Tensor, view: Tensor, first: tuple) -> None:
    """Put the view op ``first`` at the start of the view chain of every view whose base is
    ``x`` (but ``view``, the new layout). They share x's version counter; when nothing else
    holds it there are none, else the garbage collector's referrers of the counter find them
    (a scan of the live objects, paid only by in-place view ops on a tensor that has views or
    saved outputs)."""
    import gc
    import sys

    counter = x._version_counter
    # x's and view's slots, this local and getrefcount's argument
    if sys.getrefcount(counter) <= 3 + (view._version_counter is counter):
        return
    for t in gc.get_referrers(counter):
        if isinstance(t, Tensor) and t is not x and t is not view and t._base is x:
            t._view_fn = _prepend(t._view_fn, first)


def _prepend(chain, first: tuple) -> tuple:
    """The view chain ``chain`` (``(parent, op class, params)``, innermost parent None) with
    ``first`` applied before it."""
    if chain is None:
        return first
    parent, cls, params = chain
    return (_prepend(parent, first), cls, params)


# ---------------------------------------------------------------------- sequences


def logspace(
    start,
    end,
    steps: int,
    base: float = 10.0,
    *,
    dtype=None,
    device=None,
    requires_grad: bool = False,
) -> Tensor:
    """``steps`` values base ** e for exponents e evenly spaced from ``start`` to ``end``
    (both included), computed in float64 as PyTorch's CPU kernel (the second half counted
    back from ``end``), then cast: the default float dtype unless ``dtype``."""
    if steps < 0:
        raise RuntimeError(f"logspace: number of steps must be non-negative, got {steps}")
    np_dtype = backend.DEFAULT_FLOAT if dtype is None else backend.to_dtype(dtype).np
    device = backend.get_default_device() if device is None else backend.Device(device)
    out = Tensor._make(
        recorder.call(
            _logspace, float(start), float(end), int(steps), float(base), np_dtype, device
        )
    )
    return out.requires_grad_(True) if requires_grad else out


@recorder.pure
def _logspace(start: float, end: float, steps: int, base: float, np_dtype, device):
    if np.dtype(np_dtype).kind in "iu":  # the ends in the output dtype first, as PyTorch
        start, end = float(int(start)), float(int(end))
    i = np.arange(steps, dtype=np.float64)
    step = (end - start) / (steps - 1) if steps > 1 else 0.0
    exponents = np.where(i < steps // 2, start + step * i, end - step * (steps - i - 1))
    if steps == 1:  # PyTorch's one value is base ** start
        exponents[:] = start
    with np.errstate(over="ignore", invalid="ignore"):
        values = np.power(base, exponents)
    return backend.to_device(values.astype(np_dtype), device)


def range_(start, end, step=1, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """``torch.range``, deprecated in PyTorch: values from ``start`` to ``end`` *included* by
    ``step``, floor((end - start) / step) + 1 of them, each start + i * step computed in
    float64; the default float dtype (even for ints) unless ``dtype``. Prefer ``arange``."""
    import warnings

    warnings.warn(
        "torch.range is deprecated and will be removed in a future release because its "
        "behavior is inconsistent with Python's range builtin. Instead, use torch.arange, "
        "which produces values in [start, end).",
        UserWarning,
        stacklevel=2,
    )
    if step == 0:
        raise RuntimeError("range: step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError(
            f"range: upper bound and lower bound inconsistent with step sign (start={start}, "
            f"end={end}, step={step})"
        )
    n = int(np.floor((end - start) / step)) + 1
    np_dtype = backend.DEFAULT_FLOAT if dtype is None else backend.to_dtype(dtype).np
    device = backend.get_default_device() if device is None else backend.Device(device)
    out = Tensor._make(recorder.call(_range, start, step, n, np_dtype, device))
    return out.requires_grad_(True) if requires_grad else out


@recorder.pure
def _range(start, step, n: int, np_dtype, device):
    values = start + step * np.arange(n, dtype=np.float64)
    return backend.to_device(values.astype(np_dtype), device)


def vander(x: Tensor, N: int | None = None, increasing: bool = False) -> Tensor:
    """The Vandermonde matrix of the 1-D ``x``: out[i, j] = x_i ** (N - 1 - j) (x_i ** j when
    ``increasing``), N = len(x) by default. A column of ones and a cumulative product, as
    PyTorch's, so the gradient is cumprod's; integer and bool inputs give int64."""
    if x.ndim != 1:
        raise RuntimeError(f"x must be a one-dimensional tensor, got shape {x.shape}")
    n = x.shape[0] if N is None else int(N)
    if n < 0:
        raise RuntimeError(f"N must be non-negative, got {N}")
    dt = backend.promote_types(x.array.dtype, np.dtype(np.int64))
    x = x.to(dt)
    ones = x.new_ones((x.shape[0], min(n, 1)))
    if n > 1:
        ones = cat([ones, x.unsqueeze(1).expand(x.shape[0], n - 1).cumprod(1)], 1)
    return ones if increasing else ones.flip(1)
