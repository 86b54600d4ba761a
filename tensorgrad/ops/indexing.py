"""Indexing: ``x[index]``, ``x[index] = v``, gather and scatter.

``GetItem`` and ``IndexAdd`` are each other's gradient: reading ``x[index]`` sends the gradient
back by adding it into zeros at ``index`` (repeated indices add up), and the gradient of that
addition is reading at ``index`` again. So indexing is differentiable to any order.
"""

from __future__ import annotations

import numpy as np

from .. import backend
from .._args import broadcast_shape, to_tensor, wrap_dim
from ..autograd import views
from ..autograd.function import SCRATCH, Op
from ..backend import is_float, xp_of
from ..grad_mode import GradMode
from ..jit import recorder
from ..tensor import Tensor

_BASIC = (int, slice, type(None), type(Ellipsis))


def normalize_index(x: Tensor, index) -> tuple:
    """The index as a tuple NumPy understands; integer/bool tensors become arrays."""
    items = index if isinstance(index, tuple) else (index,)
    out = []
    for item in items:
        if isinstance(item, _BASIC) and not isinstance(item, bool):
            out.append(item)
            continue
        if isinstance(item, Tensor):
            array = item.array
            if type(array) is not type(x.array):
                raise IndexError(
                    f"indices are on {item.device} but the indexed tensor is on {x.device}"
                )
        elif backend.is_array(item) and type(item) is not np.ndarray:
            array = item  # a device array: the indices a backward formula kept (``ctx.index``)
            if type(array) is not type(x.array):
                raise IndexError(f"indices on another device than the indexed tensor ({x.device})")
        elif isinstance(item, (list, range, np.ndarray, bool, np.integer, np.bool_)):
            array = np.asarray(item)
            if array.dtype.kind not in "iub":
                array = array.astype(np.int64) if array.size == 0 else array
            if type(x.array) is not np.ndarray:
                array = backend.to_device(array, x.device)
        else:
            raise IndexError(
                f"invalid index {item!r} of type {type(item).__name__} into a tensor of shape "
                f"{x.shape}: only integers, slices, None, ..., and integer or bool tensors are "
                "valid indices"
            )
        if array.dtype.kind not in "iub":
            raise IndexError(
                f"tensors used as indices must be integer or bool, got dtype {array.dtype} "
                f"(indexing a tensor of shape {x.shape})"
            )
        if array.ndim == 0 and array.dtype.kind in "iu":  # PyTorch treats these as plain ints
            # (under tg.compile a guard on an argument's value, a host read of a computed one)
            out.append(recorder.guard(int, array, label="a 0-d tensor index"))
            continue
        out.append(array)
    return _expand_ellipsis(tuple(out), x.ndim)


def _expand_ellipsis(index: tuple, ndim: int) -> tuple:
    """``...`` as explicit full slices: NumPy counts even an empty Ellipsis as separating two
    arrays (``x[:, i, ..., j]`` on 3 dims), PyTorch does not."""
    at = [k for k, i in enumerate(index) if i is Ellipsis]
    if len(at) != 1:
        return index  # none, or several (NumPy raises the IndexError)
    used = sum(_dims_used(i) for i in index)
    if used > ndim:
        return index
    return index[: at[0]] + (slice(None),) * (ndim - used) + index[at[0] + 1 :]


def _dims_used(item) -> int:
    """How many dimensions of the indexed tensor one index item consumes."""
    if item is None or item is Ellipsis:
        return 0
    if isinstance(item, (int, slice)) or item.dtype != bool:
        return 1
    return item.ndim  # a mask spans one dimension per mask dimension


def _torch_order(index: tuple) -> tuple | None:
    """``(basic, advanced)`` with ``x[index]`` in PyTorch's order being ``x[basic][advanced]``.

    PyTorch applies integers as selects before any array indexing, so they never count as
    advanced indices; NumPy counts them, and so moves the indexed dimensions to the front when
    an int stands between arrays (``x[:, idx, :, 0]``). None when there is nothing to split.
    """
    if _is_basic(index) or not any(type(i) is int for i in index):
        return None
    basic, advanced = [], []
    for item in index:
        if type(item) is int:
            basic.append(item)
        elif item is None or isinstance(item, slice):
            basic.append(item)
            advanced.append(slice(None))
        elif item is Ellipsis:
            basic.append(item)
            advanced.append(item)
        else:
            basic.extend([slice(None)] * _dims_used(item))
            advanced.append(item)
    return tuple(basic), tuple(advanced)


def _is_basic(index: tuple) -> bool:
    return all(isinstance(i, _BASIC) for i in index)


def _check_slices(index: tuple, shape) -> None:
    for i in index:
        if isinstance(i, slice) and i.step is not None and i.step <= 0:
            raise ValueError(f"step must be greater than zero, got slice {i} (shape {shape})")


def getitem(x: Tensor, index) -> Tensor:
    idx = normalize_index(x, index)
    _check_slices(idx, x.shape)
    for item in idx:
        if getattr(item, "dtype", None) == np.bool_ and item.ndim:
            sized_by_values(item, "a boolean index")
    op = GetItemView if _is_basic(idx) else GetItem
    split = _torch_order(idx)
    try:
        if split is not None:
            return GetItem.apply(GetItemView.apply(x, index=split[0]), index=split[1])
        return op.apply(x, index=idx)
    except IndexError as e:
        raise IndexError(f"{e} (indexing a tensor of shape {x.shape})") from None


def setitem(x: Tensor, index, value) -> None:
    idx = normalize_index(x, index)
    _check_slices(idx, x.shape)
    value = to_tensor(value, x)
    if value.array.dtype != x.array.dtype:
        value = value.to(x.dtype)
    try:
        write(x, idx, value)
    except (IndexError, ValueError) as e:
        raise type(e)(
            f"{e} (assigning a value of shape {value.shape} into a tensor of shape {x.shape})"
        ) from None


def write(x: Tensor, index: tuple, value: Tensor, accumulate: bool = False) -> Tensor:
    """``x[index] = value`` (``+=`` with ``accumulate``, repeated positions adding up) into x's
    own storage: ``__setitem__`` and ``index_put_``. ``index`` is normalized, ``value`` has x's
    dtype. While recording, x takes the ``IndexPut`` node as its history."""
    if views.recording(x, value):
        views.check_can_modify(x)
        current = views.current(x)
        views.rebase(x, IndexPut.apply(current, value, index=index, accumulate=accumulate))
    else:  # tg.compile replays the write
        recorder.call(_add_at if accumulate else _put, x.array, index, value.array)
        x._version_counter[0] += 1
    return x


def _put(array, index: tuple, value) -> None:
    """``array[index] = value`` in PyTorch's order (see ``_torch_order``)."""
    split = _torch_order(index)
    if split is None:
        array[index] = value
    else:  # array[basic] is a view (a trailing ... keeps even a 0-d one), so this writes through
        basic = split[0] if Ellipsis in split[0] else (*split[0], Ellipsis)
        array[basic][split[1]] = value


def _add_at(array, index: tuple, value) -> None:
    """``array[index] += value`` with every repeated position adding (indices of tensors only,
    so NumPy's order is PyTorch's)."""
    xp = xp_of(array)
    slots = xp.broadcast_to(xp.empty((), bool), array.shape)[index].shape
    extra = value.ndim - len(slots)
    if extra > 0 and all(n == 1 for n in value.shape[:extra]):  # (1, n) fits slots of (n,)
        value = value.reshape(value.shape[extra:])
    try:
        value = xp.broadcast_to(value, slots)
    except ValueError:
        raise ValueError(
            f"shape mismatch: value tensor of shape {tuple(value.shape)} cannot be broadcast to "
            f"indexing result of shape {tuple(slots)}"
        ) from None
    backend.scatter_add(array, index, value)


def _kept(ctx, index: tuple) -> tuple:
    """``index`` as a backward will read it: while a graph is recorded its arrays are copied,
    since they can be a user's index tensor or array changed in place before the backward
    (PyTorch raises then; the copy gives the gradient of what was computed)."""
    if ctx is SCRATCH:
        return index
    return tuple(item.copy() if backend.is_array(item) else item for item in index)


class GetItem(Op):
    """``x[index]`` with integer/bool arrays in the index (a copy)."""

    def forward(ctx, x, index=()):
        ctx.index = _kept(ctx, index)
        return x[index]

    def backward(ctx, g):
        return IndexAdd.apply(g, index=ctx.index, shape=ctx.input_shapes[0], basic=False)


class GetItemView(GetItem):
    """``x[index]`` with ints, slices, None and ... only (a view)."""

    is_view = True

    def forward(ctx, x, index=()):
        ctx.index = index
        out = x[index]
        if isinstance(out, np.generic):  # x[0, 1] is a scalar copy; x[0, 1, ...] a 0-d view
            out = x[(*index, Ellipsis)]
        return out

    def backward(ctx, g):
        return IndexAdd.apply(g, index=ctx.index, shape=ctx.input_shapes[0], basic=True)


class IndexAdd(Op):
    """zeros(shape) with ``g`` added at ``index``: the gradient of ``x[index]``."""

    def forward(ctx, g, index=(), shape=(), basic=True):
        ctx.index, ctx.basic = index, basic
        out = xp_of(g).zeros(shape, dtype=g.dtype)
        if basic:  # basic indices never repeat an element
            out[index] = g
        else:
            backend.scatter_add(out, index, g)
        return out

    def backward(ctx, gg):
        return gg[ctx.index]


class IndexPut(Op):
    """``x[index] = v`` in place (``x[index] += v`` with ``accumulate``, repeated indices all
    adding); x's storage is the output. ``__setitem__`` and ``index_put_`` write into the tensor
    itself, the out-of-place ``index_put``, ``index_copy``, ``put``, ``masked_scatter`` and
    ``*_scatter`` into a clone.

    d out/d x = 1 outside the written positions, and there 0 (overwritten) or 1 (accumulated);
    d out/d v = 1 at its positions: v's gradient is g[index], summed over what v broadcast to.
    """

    def forward(ctx, x, v, index=(), accumulate=False):
        ctx.index, ctx.accumulate = _kept(ctx, index), accumulate
        if accumulate:
            _add_at(x, index, v)
        else:
            _put(x, index, v)
        return x

    def backward(ctx, g):
        gx = gv = None
        if ctx.needs_input_grad[0] and ctx.accumulate:
            gx = g
        elif ctx.needs_input_grad[0]:  # overwritten elements get no gradient
            gx = g.clone()
            gx[ctx.index] = 0.0
        if ctx.needs_input_grad[1]:
            gv, shape = g[ctx.index], ctx.input_shapes[1]
            if gv.ndim < len(shape):  # a value of shape (1, n) fits a slot of shape (n,)
                gv = gv.reshape((1,) * (len(shape) - gv.ndim) + gv.shape)
            gv = gv.sum_to(shape)
        return gx, gv


def _along(index, dim: int) -> tuple:
    """An advanced index that picks ``x[i_0, .., index[i], .., i_n]`` for every position i."""
    xp = xp_of(index)
    grids = []
    for d, n in enumerate(index.shape):
        if d == dim:
            grids.append(index)
        else:
            shape = [1] * index.ndim
            shape[d] = n
            grids.append(xp.arange(n).reshape(shape))
    return tuple(grids)


def scalar_as_vector(x: Tensor, index, src=None) -> bool:
    """Whether gather/scatter must read 0-d tensors as 1-d of one element, as PyTorch does
    (its shape checks compare ``max(ndim, 1)``): none of ``x``, ``index``, ``src`` has more
    than one dimension and one of them has none. ``zeros(10).scatter_(0, tensor(y), value=1)``
    (a one-hot label) and ``arange(5.).gather(0, tensor(2))`` are such calls."""
    ts = [t for t in (x, index, src) if isinstance(t, Tensor)]
    return all(t.ndim <= 1 for t in ts) and any(t.ndim == 0 for t in ts)


def check_index_tensor(x: Tensor, dim: int, index: Tensor, name: str) -> None:
    if not isinstance(index, Tensor) or index.array.dtype.kind not in "iu":
        raise RuntimeError(
            f"{name}(): index must be an integer tensor, got "
            f"{getattr(index, 'dtype', type(index).__name__)}"
        )
    if index.ndim != x.ndim:
        raise RuntimeError(
            f"{name}(): index has {index.ndim} dimensions (shape {index.shape}) but the tensor "
            f"has {x.ndim} (shape {x.shape})"
        )
    for d in range(x.ndim):
        if d != dim and index.shape[d] > x.shape[d]:
            raise RuntimeError(
                f"{name}(): index of shape {index.shape} is larger than the tensor's shape "
                f"{x.shape} at dimension {d}"
            )
    recorder.check(_check_bounds, index.array, dim, x.shape[dim], name)


def _check_bounds(index, dim: int, size: int, name: str) -> None:
    if index.size:
        lo, hi = int(index.min()), int(index.max())
        if lo < 0 or hi >= size:
            raise RuntimeError(  # PyTorch's type for gather/scatter
                f"{name}(): index {lo if lo < 0 else hi} is out of bounds for dimension {dim} "
                f"with size {size}"
            )


def _src_part(src, index):
    return src[tuple(slice(0, n) for n in index.shape)] if src.ndim else src


def _pad_to(g: Tensor, shape) -> Tensor:
    if g.shape == tuple(shape):
        return g
    from .movement import ConstantPad

    return ConstantPad.apply(g, widths=tuple((0, s - n) for s, n in zip(shape, g.shape)))


class Gather(Op):
    """out[i][j] = x[i][index[i][j]] (for dim=1)."""

    saves_inputs = True

    def forward(ctx, x, index, dim=0):
        ctx.dim = dim
        return x[_along(index, dim)]

    def backward(ctx, g):  # the op, not Tensor.scatter_add: forward checked the indices
        x, index = ctx.saved_tensors
        return ScatterAdd.apply(x.new_zeros(x.shape), index, g, dim=ctx.dim), None


class ScatterAdd(Op):
    """out = x; out[i][index[i][j]] += src[i][j] (for dim=1)."""

    saves_inputs = True
    inputs_to_save = staticmethod(lambda needs, inputs: (None, inputs[1], None))  # the index

    def forward(ctx, x, index, src, dim=0):
        ctx.dim = dim
        out = x.copy()
        backend.scatter_add(out, _along(index, dim), _src_part(src, index))
        return out

    def backward(ctx, g):
        _, index, _ = ctx.saved_tensors
        gx = g if ctx.needs_input_grad[0] else None
        gsrc = None
        if ctx.needs_input_grad[2]:
            gsrc = _pad_to(g.gather(ctx.dim, index), ctx.input_shapes[2])
        return gx, None, gsrc


class Scatter(Op):
    """out = x; out[i][index[i][j]] = src[i][j] (for dim=1)."""

    saves_inputs = True
    inputs_to_save = staticmethod(lambda needs, inputs: (None, inputs[1], None))  # the index

    def forward(ctx, x, index, src, dim=0):
        ctx.dim = dim
        out = x.copy()
        out[_along(index, dim)] = _src_part(src, index)
        return out

    def backward(ctx, g):
        _, index, _ = ctx.saved_tensors
        gx = g.scatter(ctx.dim, index, 0.0) if ctx.needs_input_grad[0] else None
        gsrc = None
        if ctx.needs_input_grad[2]:
            gsrc = _pad_to(g.gather(ctx.dim, index), ctx.input_shapes[2])
        return gx, None, gsrc


# ----------------------------------------------------------------------------- scatter_reduce
# ``ScatterReduce`` reduces src into x along dim with sum, prod, mean, amax or amin. Its
# backward is PyTorch's (``scatter_reduce_backward``), written with gather, scatter_add and
# ScatterReduce itself, so it is differentiable again (prod: except where two or more zeros of
# src meet in one slot, where PyTorch raises on double backward too).

REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")


def _identity(reduce: str, dtype):
    """The value a slot starts from when ``include_self=False``: 0, 1, or the lowest (highest)
    value of the dtype for amax (amin)."""
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    if is_float(dtype):
        return -np.inf if reduce == "amax" else np.inf
    if dtype.kind == "b":
        return reduce == "amin"
    info = np.iinfo(dtype)
    return info.min if reduce == "amax" else info.max


def reduce_at(out, at: tuple, values, reduce: str, include_self: bool = True):
    """``out[at] (reduce)= values`` in place, every repeated position taking part (``ufunc.at``);
    ``mean`` divides each written slot by its count (floor division for integers, as PyTorch).
    CuPy has no ``multiply.at``: there prod, amax and amin run on the host."""
    xp = xp_of(out)
    if not include_self:
        out[at] = _identity(reduce, out.dtype)
    if reduce in ("sum", "mean"):
        backend.scatter_add(out, at, values)
    elif xp is np:
        ufunc = {"prod": np.multiply, "amax": np.maximum, "amin": np.minimum}[reduce]
        if out.ndim > 1 and out.flags.c_contiguous:  # on flat positions: ufunc.at is ~7x faster
            positions = np.arange(out.size).reshape(out.shape)[at]
            values = np.broadcast_to(values, positions.shape).reshape(-1)
            ufunc.at(out.reshape(-1), positions.reshape(-1), values)
        else:
            ufunc.at(out, at, values)
    else:
        host = backend.to_device(out, backend.CPU)
        cpu_at = tuple(backend.to_device(a, backend.CPU) if backend.is_array(a) else a for a in at)
        reduce_at(host, cpu_at, backend.to_device(values, backend.CPU), reduce)
        out[...] = xp.asarray(host)
    if reduce == "mean":
        count = xp.full(out.shape, 1 if include_self else 0, dtype=np.int64)
        backend.scatter_add(count, at, 1)
        count = xp.maximum(count, 1)
        if is_float(out.dtype):
            out /= count.astype(out.dtype)
        else:
            out //= count.astype(out.dtype)


class ScatterReduce(Op):
    """out = x, then out[i][index[i][j]] (reduce)= src[i][j] for dim=1, reduce one of sum,
    prod, mean (the sum over the count of values in the slot), amax, amin; with
    ``include_self=False`` x's own value in a written slot takes no part."""

    saves_inputs = True
    saves_output = True

    def forward(ctx, x, index, src, dim=0, reduce="sum", include_self=True):
        ctx.dim, ctx.reduce, ctx.include_self = dim, reduce, include_self
        out = x.copy()
        reduce_at(out, _along(index, dim), _src_part(src, index), reduce, include_self)
        return out

    def backward(ctx, g):
        x, index, src, out = ctx.saved_tensors
        dim, reduce, include_self = ctx.dim, ctx.reduce, ctx.include_self
        part = src if src.shape == index.shape else src[tuple(slice(0, n) for n in index.shape)]

        def gather(t):
            return Gather.apply(t, index, dim=dim)

        def scatter_add(t, v):
            return ScatterAdd.apply(t, index, v, dim=dim)

        if reduce == "sum":  # d out/d x = 1 (if include_self), d out/d src_j = 1
            gx, gsrc = g, gather(g)
        elif reduce == "mean":  # the sum over n, the count of values in each slot
            n = g.new_ones(g.shape) if include_self else g.new_zeros(g.shape)
            n = scatter_add(n, part.new_ones(part.shape))
            n = n.masked_fill(n == 0, 1.0)
            gx, gsrc = g / n, gather(g) / gather(n)
        elif reduce == "prod":
            # d out/d x = out / x and d out/d src_j = out / src_j, with the zeros taken apart:
            # the product of the slot's other values, computed with the zero replaced by 1
            # where x (or src_j) is the slot's only zero
            x_zero = x == 0
            masked_x = x.masked_fill(x_zero, 1.0)
            gx = g * ScatterReduce.apply(masked_x, index, src, **_params(ctx)) / masked_x
            src_zero = part == 0
            zeros = gather(scatter_add(x.new_zeros(x.shape), src_zero.to(g.dtype)))
            single = src_zero & (zeros == 1)
            masked_src = part.masked_fill(single, 1.0)
            with_one = ScatterReduce.apply(x, index, masked_src, **_params(ctx))
            gsrc = gather(g * with_one).where(
                single, gather(g * out) / part.masked_fill(src_zero, 1.0)
            )
            if GradMode.enabled and bool((zeros > 1).any()):  # building a graph: create_graph
                gsrc = DelayedError.apply(
                    gsrc,
                    message="scatter_reduce(): double backward is unsupported for src when more "
                    "than one zero of src is reduced into the same position (as PyTorch)",
                )
        else:  # amax, amin: shared evenly among the values equal to the result
            value = gather(out)
            x_is = (x == out).to(g.dtype)
            src_is = (part == value).to(g.dtype)
            share = g / scatter_add(x_is, src_is)
            gx, gsrc = x_is * share, src_is * gather(share)
        if not include_self:  # x's values in written slots took no part
            gx = Scatter.apply(gx, index, gx.new_zeros(()), dim=dim)
        gsrc = _pad_to(gsrc, ctx.input_shapes[2])
        return (gx if ctx.needs_input_grad[0] else None), None, gsrc


def _params(ctx) -> dict:
    return {"dim": ctx.dim, "reduce": ctx.reduce, "include_self": ctx.include_self}


class DelayedError(Op):
    """The identity, whose gradient raises ``message``: a derivative that is not implemented
    fails when it is asked for, not when the first derivative is built."""

    def forward(ctx, x, message=""):
        ctx.message = message
        return x.copy()

    def backward(ctx, g):
        raise RuntimeError(ctx.message)


def scatter_reduce(
    input: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *, include_self: bool = True
) -> Tensor:
    """``input`` with ``src`` reduced into it at ``index`` along ``dim`` (see ``ScatterReduce``);
    ``src`` has ``input``'s dtype, ``index`` as many dims as both and no more entries than
    ``src`` in any dim."""
    reduce = {"max": "amax", "min": "amin"}.get(reduce, reduce)  # PyTorch takes these too
    if reduce not in REDUCTIONS:
        raise RuntimeError(
            f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}"
        )
    dim = wrap_dim(dim, input.ndim)
    if scalar_as_vector(input, index, src):
        out = scatter_reduce(
            input.reshape(-1),
            0,
            index.reshape(-1),
            src.reshape(-1),
            reduce,
            include_self=include_self,
        )
        return out.reshape(input.shape)
    check_index_tensor(input, dim, index, "scatter_reduce")
    _check_src(input, index, src, "scatter_reduce")
    return ScatterReduce.apply(input, index, src, dim=dim, reduce=reduce, include_self=include_self)


def _check_src(x: Tensor, index: Tensor, src: Tensor, name: str) -> None:
    if not isinstance(src, Tensor):
        raise TypeError(f"{name}(): src must be a Tensor, got {type(src).__name__}")
    if src.array.dtype != x.array.dtype:
        raise RuntimeError(
            f"{name}(): expected self.dtype to be equal to src.dtype, got {x.dtype} and {src.dtype}"
        )
    if src.ndim != index.ndim or any(i > s for i, s in zip(index.shape, src.shape)):
        raise RuntimeError(
            f"{name}(): expected index of shape {index.shape} to be no larger than src of shape "
            f"{src.shape} in every dimension"
        )


# ----------------------------------------------------------------------------- index_* along a dim
# index_add, index_copy, index_fill and index_reduce take a 0-d or 1-D index along ``dim``: the
# i-th slice of ``source`` along dim goes to slice index[i] of the tensor. They are the
# advanced index (:, ..., :, index) written with ``IndexPut`` (copy, add), ``masked_fill``
# (fill) and ``ScatterReduce`` (reduce), so their gradients are those ops'.


def _index_vector(
    x: Tensor, dim: int, index, name: str, dtypes: tuple, negative=False, error=IndexError
):
    """The index of an index_* op as a 1-D array, checked (dtype, dims, bounds) with PyTorch's
    errors (``error`` for an index out of bounds); negative entries count from the end where
    ``negative``."""
    if not isinstance(index, Tensor) or index.array.dtype not in dtypes:
        got = getattr(index, "dtype", type(index).__name__)
        wanted = "int64" if dtypes == (np.int64,) else "int32/int64"
        raise RuntimeError(f"{name}(): Expected dtype {wanted} for index but got {got}")
    if type(index.array) is not type(x.array):
        raise RuntimeError(f"{name}(): index is on {index.device} but self is on {x.device}")
    if index.ndim > 1:
        raise IndexError(
            f"{name}(): Index is supposed to be a vector, but got {index.ndim} dims (shape "
            f"{index.shape})"
        )
    size = x.shape[dim] if x.ndim else 1
    lo = -size if negative else 0
    recorder.check(_check_in_range, index.array, lo, size, dim, name, error)
    return recorder.call(_vector, index.array)


@recorder.pure
def _vector(a):
    return a.reshape(-1)


def _check_in_range(index, lo: int, hi: int, dim: int, name: str, error=IndexError) -> None:
    if index.size:
        low, high = int(index.min()), int(index.max())
        if low < lo or high >= hi:
            raise error(
                f"{name}(): index {low if low < lo else high} is out of bounds for dimension "
                f"{dim} with size {hi}"
            )


def _check_source(x: Tensor, dim: int, n: int, source: Tensor, name: str) -> None:
    """source: x's dtype and dims, x's shape but n along dim."""
    if not isinstance(source, Tensor):
        raise TypeError(f"{name}(): source must be a Tensor, got {type(source).__name__}")
    if source.array.dtype != x.array.dtype:
        raise RuntimeError(
            f"{name}(): self ({x.dtype}) and source ({source.dtype}) must have the same dtype"
        )
    want = list(x.shape) if x.ndim else [1]
    want[dim] = n
    got = list(source.shape) if source.ndim else [1]
    if got != want:
        raise RuntimeError(
            f"{name}(): source of shape {source.shape} must have self's shape {x.shape} except "
            f"in dimension {dim}, where it must have one entry per index ({n})"
        )


def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha=1) -> Tensor:
    """out = input; out[..., index[i], ...] += alpha * source[..., i, ...] along ``dim`` (the
    entries of repeated indices all add up)."""
    dim = wrap_dim(dim, input.ndim)
    idx = _index_vector(input, dim, index, "index_add", (np.int64, np.int32), error=RuntimeError)
    _check_source(input, dim, idx.shape[0], source, "index_add")
    if alpha != 1:
        source = source * alpha
    x, src = (input.reshape(1), source.reshape(1)) if input.ndim == 0 else (input, source)
    at = (slice(None),) * dim + (idx,)
    return IndexPut.apply(x.clone(), src, index=at, accumulate=True).reshape(input.shape)


def index_copy(input: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    """out = input; out[..., index[i], ...] = source[..., i, ...] along ``dim`` (for a repeated
    index, which copy wins is unspecified, as in PyTorch)."""
    dim = wrap_dim(dim, input.ndim)
    idx = _index_vector(input, dim, index, "index_copy", (np.int64,))
    _check_source(input, dim, idx.shape[0], source, "index_copy")
    x, src = (input.reshape(1), source.reshape(1)) if input.ndim == 0 else (input, source)
    at = (slice(None),) * dim + (idx,)
    return IndexPut.apply(x.clone(), src, index=at).reshape(input.shape)


def index_fill(input: Tensor, dim: int, index: Tensor, value) -> Tensor:
    """out = input with the slices index[i] along ``dim`` set to ``value`` (a number or a 0-d
    tensor, whose gradient is the sum of the filled positions' gradients); negative indices
    count from the end."""
    dim = wrap_dim(dim, input.ndim)
    if isinstance(value, Tensor) and value.ndim:
        raise RuntimeError(
            f"index_fill_ only supports a 0-dimensional value tensor, but got tensor with "
            f"{value.ndim} dimension(s)"
        )
    if isinstance(index, Tensor) and index.ndim > 1:
        raise RuntimeError(f"index_fill(): Index has to be a vector/scalar, got {index.shape}")
    idx = _index_vector(input, dim, index, "index_fill", (np.int64,), negative=True)
    mask = Tensor._make(recorder.call(_slices_mask, idx, dim, input.shape))
    return input.masked_fill(mask, value)


@recorder.pure
def _slices_mask(index, dim: int, shape: tuple):
    """A bool array that broadcasts to ``shape``: True at positions index along ``dim``."""
    xp = xp_of(index)
    size = shape[dim] if shape else 1
    mask = xp.zeros(size, dtype=bool)
    mask[index % max(size, 1)] = True
    return mask.reshape([size if d == dim else 1 for d in range(len(shape))])


def index_reduce(
    input: Tensor, dim: int, index: Tensor, source: Tensor, reduce: str, *, include_self=True
) -> Tensor:
    """out = input with each slice source[..., i, ...] reduced into out[..., index[i], ...] by
    ``reduce`` ('prod', 'mean', 'amax' or 'amin'; see ``scatter_reduce``), x's own slices
    taking part unless ``include_self=False``. ``scatter_reduce`` with the index spread over
    source's shape, so the same values and gradients."""
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise RuntimeError(
            f"index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got "
            f"{reduce}."
        )
    dim = wrap_dim(dim, input.ndim)
    idx = _index_vector(input, dim, index, "index_reduce", (np.int64, np.int32))
    _check_source(input, dim, idx.shape[0], source, "index_reduce")
    x, src = (input.reshape(1), source.reshape(1)) if input.ndim == 0 else (input, source)
    spread = Tensor._make(recorder.call(_spread, idx, dim, src.shape))
    out = ScatterReduce.apply(x, spread, src, dim=dim, reduce=reduce, include_self=include_self)
    return out.reshape(input.shape)


@recorder.pure
def _spread(index, dim: int, shape: tuple):
    """The 1-D ``index`` laid along ``dim`` and broadcast to ``shape`` (a scatter index)."""
    xp = xp_of(index)
    along = index.astype(np.int64).reshape([-1 if d == dim else 1 for d in range(len(shape))])
    return xp.ascontiguousarray(xp.broadcast_to(along, shape))


# ----------------------------------------------------------------------------- advanced writes


def index_put(input: Tensor, indices, values: Tensor, accumulate: bool = False) -> Tensor:
    """A copy of ``input`` with ``out[indices] = values`` (``+=`` with ``accumulate``, where
    repeated indices all add up): ``indices`` is a tuple of integer or bool tensors, as in
    ``input[indices]``; ``values`` broadcasts to the indexed shape."""
    idx, values = _put_args(input, indices, values, "index_put")
    return _write_copy(input, idx, values, accumulate)


def _put_args(x: Tensor, indices, values, name: str):
    if not isinstance(indices, (tuple, list)):
        raise TypeError(
            f"{name}(): indices must be a tuple of tensors, got {type(indices).__name__}"
        )
    for i in indices:
        if not isinstance(i, Tensor):
            raise TypeError(f"{name}(): indices must be tensors, got {type(i).__name__}")
        if i.array.dtype.kind not in "iub":
            raise IndexError(
                f"{name}(): tensors used as indices must be long, int, byte or bool tensors, got "
                f"{i.dtype}"
            )
    if not isinstance(values, Tensor):
        raise TypeError(f"{name}(): values must be a Tensor, not {type(values).__name__}")
    if values.array.dtype != x.array.dtype:
        raise RuntimeError(
            f"{name}(): Index put requires the source and destination dtypes match, got "
            f"{x.dtype} for the destination and {values.dtype} for the source."
        )
    if len(indices) > max(x.ndim, 1):
        raise IndexError(f"too many indices for tensor of dimension {x.ndim} (got {len(indices)})")
        if type(i.array) is not type(x.array):
            raise RuntimeError(f"{name}(): indices are on {i.device} but self is on {x.device}")
    # uint8 indices are masks, as in PyTorch (which deprecates them for bool)
    idx = tuple(
        recorder.call(_as_bool, i.array) if i.array.dtype == np.uint8 else i.array for i in indices
    )
    return idx, values


@recorder.pure
def _as_bool(a):
    return a.astype(bool)


def _write_copy(x: Tensor, idx: tuple, values: Tensor, accumulate: bool) -> Tensor:
    try:
        return IndexPut.apply(x.clone(), values, index=idx, accumulate=accumulate)
    except (IndexError, ValueError) as e:
        raise _torch_error(e, values, x) from None


def _torch_error(e: Exception, values: Tensor, x: Tensor) -> Exception:
    """NumPy's error of a write, as PyTorch's: an IndexError for an index out of bounds, a
    RuntimeError for a value that does not fit, naming both shapes."""
    kind = IndexError if isinstance(e, IndexError) else RuntimeError
    return kind(f"{e} (writing a value of shape {values.shape} into shape {x.shape})")


def index_put_(input: Tensor, indices, values: Tensor, accumulate: bool = False) -> Tensor:
    """``input[indices] = values`` in place (``+=`` with ``accumulate``); returns input."""
    idx, values = _put_args(input, indices, values, "index_put_")
    try:
        return write(input, idx, values, accumulate)
    except (IndexError, ValueError) as e:
        raise _torch_error(e, values, input) from None


def _flat_index(x: Tensor, index, name: str, shape: tuple):
    """``index`` into the flattened ``x`` (int64, entries in [-numel, numel)) as the arrays of
    coordinates in ``shape`` (x's shape, or (numel,) for positions in the flattened x)."""
    if not isinstance(index, Tensor) or index.array.dtype != np.int64:
        got = getattr(index, "dtype", type(index).__name__)
        raise RuntimeError(f"{name}(): Expected a long tensor for index, but got {got}")
    if type(index.array) is not type(x.array):
        raise RuntimeError(f"{name}(): index is on {index.device} but self is on {x.device}")
    n = x.array.size
    recorder.check(_check_flat, index.array, n)
    return recorder.call(_coordinates, index.array, shape)


def _check_flat(index, n: int) -> None:
    if index.size:
        low, high = int(index.min()), int(index.max())
        if low < -n or high >= n:
            raise IndexError(
                f"out of range: tried to access index {low if low < -n else high} on a tensor of "
                f"{n} elements."
            )


@recorder.pure
def _coordinates(flat, shape: tuple) -> tuple:
    """The coordinates of flat (row-major) positions, negative ones counted from the end."""
    xp = xp_of(flat)
    n = int(np.prod(shape))
    flat = flat.reshape(-1)
    flat = xp.where(flat < 0, flat + n, flat)
    return tuple(xp.unravel_index(flat, shape))


def take(input: Tensor, index: Tensor) -> Tensor:
    """input.flatten()[index], in the shape of ``index`` (negative entries count from the
    end); the gradient adds back into the positions read."""
    flat = input.reshape(-1)
    positions = _flat_index(input, index, "take", flat.shape)
    return GetItem.apply(flat, index=positions).reshape(index.shape)


def put(input: Tensor, index: Tensor, source: Tensor, accumulate: bool = False) -> Tensor:
    """A copy of ``input`` with source's elements written (added with ``accumulate``) at the
    flat positions ``index`` (row-major, negative from the end); index and source have as many
    elements."""
    flat = input.reshape(-1)
    idx, src = _put_flat_args(input, index, source, "put", flat.shape)
    return _write_copy(flat, idx, src, accumulate).reshape(input.shape)


def _put_flat_args(x: Tensor, index, source, name: str, shape: tuple):
    coords = _flat_index(x, index, name, shape)
    if not isinstance(source, Tensor):
        raise TypeError(f"{name}(): source must be a Tensor, got {type(source).__name__}")
    if source.array.dtype != x.array.dtype:
        raise RuntimeError(
            f"{name}(): self and source expected to have the same dtype, but got self.dtype = "
            f"{x.dtype} and source.dtype = {source.dtype}"
        )
    if source.numel() != index.numel():
        raise IndexError(
            f"{name}(): Expected source and index to have the same number of elements, but got "
            f"source.numel() = {source.numel()}, index.numel() = {index.numel()}"
        )
    return coords, source.reshape(-1)


def put_(input: Tensor, index: Tensor, source: Tensor, accumulate: bool = False) -> Tensor:
    """``put`` in place: source's elements written (added) at the flat positions ``index`` of
    input; returns input."""
    if input.ndim == 0:  # no coordinates to write at: through a copy of shape (1,)
        flat = put(views.operand(input).reshape(1), index, source, accumulate)
        return views.assign(input, flat.reshape(()))
    idx, src = _put_flat_args(input, index, source, "put_", input.shape)
    try:
        return write(input, idx, src, accumulate)
    except (IndexError, ValueError) as e:
        raise _torch_error(e, src, input) from None


# ----------------------------------------------------------------------------- masks


def sized_by_values(array, what: str) -> None:
    """Declare to tg.compile a result whose size is the number of nonzero (True) elements of
    ``array``: a guard of the recording when ``array`` is an argument's or a constant's (another
    count records again), a host read when the step computes it (the function then runs
    eagerly). A replay must never run on with the size it saw while recording."""
    if recorder.ACTIVE is not None:
        recorder.guard(_count_nonzero, array, label=f"the number of nonzeros of {what}")


def _count_nonzero(array) -> int:
    return int(xp_of(array).count_nonzero(array))


def _bool_mask(mask, name: str) -> Tensor:
    if not isinstance(mask, Tensor) or mask.array.dtype != np.bool_:
        got = getattr(mask, "dtype", type(mask).__name__)
        raise RuntimeError(f"{name}: expected BoolTensor for mask, got {got}")
    return mask


def masked_select(input: Tensor, mask: Tensor) -> Tensor:
    """The elements of ``input`` where ``mask`` is True, input and mask broadcast together, as a
    1-D tensor in row-major order."""
    _bool_mask(mask, "masked_select")
    sized_by_values(mask.array, "masked_select's mask")
    shape = broadcast_shape("masked_select", input.shape, mask.shape)
    return GetItem.apply(input.expand(shape), index=(mask.expand(shape).array,))


def masked_scatter(input: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    """A copy of ``input`` (broadcast with ``mask``) with the positions where ``mask`` is True
    filled, in row-major order, by the first elements of ``source`` (which must have at least
    as many); the other elements of source get a zero gradient."""
    _bool_mask(mask, "masked_scatter")
    if not isinstance(source, Tensor) or source.array.dtype != input.array.dtype:
        raise RuntimeError(
            f"masked_scatter: expected self and source to have same dtypes but got {input.dtype} "
            f"and {getattr(source, 'dtype', type(source).__name__)}"
        )
    shape = broadcast_shape("masked_scatter", input.shape, mask.shape)
    where = mask.expand(shape).array
    sized_by_values(where, "masked_scatter's mask")
    recorder.check(_check_enough, where, source.numel())
    first = Tensor._make(recorder.call(_first_positions, where))
    values = GetItem.apply(source.reshape(-1), index=(first.array,))
    return IndexPut.apply(input.expand(shape).clone(), values, index=(where,))


def _check_enough(mask, n: int) -> None:
    count = int(mask.sum())
    if count > n:
        raise RuntimeError(
            f"masked_scatter: Number of elements of source ({n}) < number of ones in mask ({count})"
        )


@recorder.pure
def _first_positions(mask):
    """0, 1, ..., count - 1 for the count of True in ``mask``."""
    return xp_of(mask).arange(int(mask.sum()), dtype=np.int64)


def nonzero(input: Tensor, *, as_tuple: bool = False):
    """The int64 indices of the nonzero elements in row-major order: shape (count, ndim), or
    with ``as_tuple`` one 1-D tensor per dim (a 0-d input counts as 1-D). No gradient."""
    sized_by_values(input.array, "nonzero's input")
    out = recorder.call(_nonzero, input.array, as_tuple)
    return tuple(Tensor._make(a) for a in out) if as_tuple else Tensor._make(out)


@recorder.pure
def _nonzero(a, as_tuple: bool):
    xp = xp_of(a)
    if as_tuple:
        return tuple(i.astype(np.int64) for i in xp.nonzero(a.reshape(-1) if a.ndim == 0 else a))
    if a.ndim == 0:  # PyTorch: shape (1, 0) for a nonzero 0-d tensor, (0, 0) for zero
        return xp.zeros((int(bool(a)), 0), dtype=np.int64)
    return xp.stack(xp.nonzero(a), axis=1).astype(np.int64)


def argwhere(input: Tensor) -> Tensor:
    """``nonzero(input)``: the (count, ndim) int64 indices of the nonzero elements."""
    return nonzero(input)


def isin(elements, test_elements, *, assume_unique: bool = False, invert: bool = False) -> Tensor:
    """A bool tensor of ``elements``' shape: True where the element equals one of
    ``test_elements`` (compared in their promoted dtype; NaN matches nothing); ``invert``
    negates. Either may be a number (then a 0-d tensor). No gradient."""
    like = elements if isinstance(elements, Tensor) else test_elements
    if not isinstance(like, Tensor):
        raise TypeError("isin(): expected elements or test_elements to be a Tensor")
    arrays = []
    for t in (elements, test_elements):
        if isinstance(t, Tensor):
            if type(t.array) is not type(like.array):
                raise RuntimeError(
                    f"isin(): expected both tensors on one device, got {t.device} and {like.device}"
                )
            arrays.append(t.array)
        else:
            arrays.append(t)
    return Tensor._make(recorder.call(_isin, arrays[0], arrays[1], assume_unique, invert))


@recorder.pure
def _isin(elements, test, assume_unique: bool, invert: bool):
    xp = xp_of(elements if backend.is_array(elements) else test)
    elements, test = xp.asarray(elements), xp.asarray(test)
    found = xp.isin(elements, test, assume_unique=assume_unique, invert=invert)
    return found.reshape(elements.shape)


# ----------------------------------------------------------------------------- index tables


def tril_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None, layout=None):
    """The (2, N) indices (rows, then columns) of the lower triangle of a row x col matrix,
    j <= i + offset, in row-major order; int64 unless ``dtype`` (an integer dtype)."""
    return _triangle_indices("tril_indices", row, col, offset, dtype, device, upper=False)


def triu_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None, layout=None):
    """The (2, N) indices of the upper triangle of a row x col matrix, j >= i + offset, in
    row-major order; int64 unless ``dtype``."""
    return _triangle_indices("triu_indices", row, col, offset, dtype, device, upper=True)


def _triangle_indices(name, row, col, offset, dtype, device, upper):
    for what, n in (("row", row), ("col", col)):
        if n < 0:
            raise RuntimeError(f"{name}: {what} must be non-negative, got {n}")
    np_dtype = np.dtype(np.int64) if dtype is None else backend.to_dtype(dtype).np
    if np_dtype.kind not in "iu":
        raise NotImplementedError(f'"{name}" not implemented for {backend.to_dtype(dtype)}')
    device = backend.get_default_device() if device is None else backend.Device(device)
    args = (int(row), int(col), int(offset), upper, np_dtype, device)
    return Tensor._make(recorder.call(_triangle, *args))


@recorder.pure
def _triangle(row: int, col: int, offset: int, upper: bool, np_dtype, device):
    pick = np.triu_indices if upper else np.tril_indices
    out = np.stack(pick(row, offset, col)).astype(np_dtype).reshape(2, -1)
    return backend.to_device(out, device)


def unravel_index(indices, shape) -> tuple:
    """The coordinates, in a tensor of ``shape``, of the flat (row-major) ``indices``: a tuple
    of int64 tensors of indices' shape, one per dim. As PyTorch, an index outside [0, numel)
    wraps around: coordinate d is floor(index / stride_d) mod shape[d]."""
    if isinstance(indices, (int, np.integer)) and not isinstance(indices, bool):
        indices = Tensor._make(np.asarray(indices, dtype=np.int64))
    if not isinstance(indices, Tensor) or indices.array.dtype.kind not in "iu":
        got = getattr(indices, "dtype", type(indices).__name__)
        raise TypeError(f"expected 'indices' to be integer dtype, but got {got}")
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    if any(s < 0 for s in shape):
        raise ValueError(f"'shape' cannot have negative values, but got {shape}")
    return tuple(Tensor._make(a) for a in recorder.call(_unravel, indices.array, shape))


@recorder.pure
def _unravel(flat, shape: tuple) -> tuple:
    xp = xp_of(flat)
    flat = flat.astype(np.int64)
    out, stride = [], 1
    for n in reversed(shape):
        out.append(xp.floor_divide(flat, stride) % n if n else xp.zeros_like(flat))
        stride *= n
    return tuple(reversed(out))


# ----------------------------------------------------------------------------- *_scatter
# The inverses of select, slicing and diagonal: a copy of the input with that view replaced by
# src. The input's gradient is g with the view zeroed, src's gradient is the view of g.


def _check_view_shape(src: Tensor, view_shape: tuple, name: str) -> None:
    if not isinstance(src, Tensor):
        raise TypeError(f"{name}(): src must be a Tensor, got {type(src).__name__}")
    if tuple(src.shape) != tuple(view_shape):
        raise RuntimeError(
            f"{name}(): expected src to have a size equal to the slice of self. src size = "
            f"{list(src.shape)}, slice size = {list(view_shape)}"
        )


def _scatter_view(input: Tensor, src: Tensor, index: tuple, view_shape, name: str) -> Tensor:
    _check_view_shape(src, view_shape, name)
    return IndexPut.apply(input.clone(), src.to(input.dtype), index=index)


def select_scatter(input: Tensor, src: Tensor, dim: int, index: int) -> Tensor:
    """A copy of ``input`` with ``input.select(dim, index)`` replaced by ``src`` (of that
    slice's shape)."""
    from .movement import select

    view = select(input, dim, index)  # checks dim and index
    dim = wrap_dim(dim, input.ndim)
    at = (slice(None),) * dim + (index % input.shape[dim],)
    return _scatter_view(input, src, (*at, Ellipsis), view.shape, "select_scatter")


def slice_scatter(
    input: Tensor, src: Tensor, dim: int = 0, start=None, end=None, step: int = 1
) -> Tensor:
    """A copy of ``input`` with the slice start:end:step along ``dim`` replaced by ``src`` (of
    that slice's shape)."""
    if step <= 0:
        raise RuntimeError(f"slice_scatter(): slice step must be positive, got {step}")
    dim = wrap_dim(dim, input.ndim)
    if input.ndim == 0:
        raise IndexError("slice_scatter() cannot be applied to a 0-dim tensor.")
    at = (slice(None),) * dim + (slice(start, end, step),)
    view_shape = np.broadcast_to(np.empty((), bool), input.shape)[at].shape
    return _scatter_view(input, src, at, view_shape, "slice_scatter")


def diagonal_scatter(
    input: Tensor, src: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1
) -> Tensor:
    """A copy of ``input`` with ``input.diagonal(offset, dim1, dim2)`` replaced by ``src`` (of
    that diagonal's shape: the other dims, then the diagonal's length)."""
    from .movement import diagonal

    view_shape = diagonal(input.detach(), offset, dim1, dim2).shape  # checks the dims
    _check_view_shape(src, view_shape, "diagonal_scatter")
    d1, d2 = wrap_dim(dim1, input.ndim), wrap_dim(dim2, input.ndim)
    n = view_shape[-1]
    rows, cols = recorder.call(_diagonal_positions, n, offset, input.device)
    moved = input.clone().movedim((d1, d2), (-2, -1))
    out = IndexPut.apply(moved, src.to(input.dtype), index=(Ellipsis, rows, cols))
    return out.movedim((-2, -1), (d1, d2))


@recorder.pure
def _diagonal_positions(n: int, offset: int, device) -> tuple:
    rows = np.arange(n) + max(-offset, 0)
    return backend.to_device(rows, device), backend.to_device(rows + offset, device)


# ----------------------------------------------------------------------------- embedding
# ``Embedding`` and ``EmbeddingDenseBackward`` are each other's gradient, as ``GetItem`` and
# ``IndexAdd`` are: the gradient of a lookup adds each output row's gradient into the row it came
# from (repeated indices add up, ``backend.scatter_add``) and the gradient of that scatter is a
# lookup again. A ``padding_idx`` row gets no gradient.


class Embedding(Op):
    """out[..., :] = weight[index[...], :].

    With ``scale_grad_by_freq`` each position's gradient is divided by how often its index
    occurs in ``index``: d loss/d weight[k] = (1/count(k)) sum_{p: index[p]=k} g[p], PyTorch's
    ``embedding_dense_backward``. That gradient's own backward keeps the 1/count factor (it is
    the adjoint of the map above); PyTorch's ``embedding_dense_double_backward`` drops it."""

    def forward(ctx, weight, index, padding_idx=None, scale_grad_by_freq=False):
        ctx.index, ctx.padding_idx = index, padding_idx
        ctx.freq = None
        if scale_grad_by_freq and index.size:
            # a forward computation on raw arrays, so that a replay with new indices redoes it
            xp = xp_of(index)
            counts = xp.bincount(index.reshape(-1), minlength=weight.shape[0])
            ctx.freq = (1.0 / counts[index]).astype(weight.dtype)[..., None]
        return weight.take(index, axis=0)

    def backward(ctx, g):
        if ctx.freq is not None:  # a constant factor per position: linear in g
            g = g * Tensor._make(ctx.freq)
        gw = EmbeddingDenseBackward.apply(
            g, index=ctx.index, num_weights=ctx.input_shapes[0][0], padding_idx=ctx.padding_idx
        )
        return gw, None


def embedding_grad_into(out, g, index, padding_idx):
    """``EmbeddingDenseBackward``'s values added into ``out`` (num_weights, dim), which holds
    zeros."""
    dim = g.shape[-1]
    g2, idx = g.reshape(-1, dim), index.reshape(-1)
    if idx.size:
        backend.scatter_add(out, (idx,), g2)
    if padding_idx is not None:
        out[padding_idx] = 0
    return out


class EmbeddingDenseBackward(Op):
    """zeros(num_weights, dim) with each row of ``g`` added at its index (padding row: 0)."""

    def forward(ctx, g, index=None, num_weights=0, padding_idx=None):
        ctx.index, ctx.padding_idx = index, padding_idx
        out = xp_of(g).zeros((num_weights, g.shape[-1]), dtype=g.dtype)
        return embedding_grad_into(out, g, index, padding_idx)

    def backward(ctx, gg):  # the scatter is linear in g: its gradient is the lookup
        out = Embedding.apply(gg, ctx.index)
        if ctx.padding_idx is not None:
            out = out.masked_fill(Tensor._make((ctx.index == ctx.padding_idx)[..., None]), 0.0)
        return out


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 tensor with a trailing axis of size ``num_classes``: 1 at each label (with -1, the
    largest label + 1: under tg.compile a guard, or a host read when the step computes the
    labels)."""
    if tensor.array.dtype.kind not in "iu":
        raise RuntimeError(f"one_hot is only applicable to index tensors, got dtype {tensor.dtype}")
    a = tensor.array
    if num_classes == -1:
        num_classes = recorder.guard(_classes, a, label="one_hot's number of classes")
    recorder.check(_check_labels, a, num_classes)
    return Tensor._make(recorder.call(_one_hot, a, num_classes))


def _classes(labels) -> int:
    return int(labels.max()) + 1 if labels.size else 0


def _check_labels(labels, num_classes: int) -> None:
    if labels.size and int(labels.min()) < 0:
        raise RuntimeError("one_hot: class values must be non-negative")
    if labels.size and int(labels.max()) >= num_classes:
        raise RuntimeError(
            f"one_hot: class value {int(labels.max())} is out of range for "
            f"num_classes={num_classes}"
        )


@recorder.pure
def _one_hot(labels, num_classes: int):
    xp = xp_of(labels)
    return (labels[..., None] == xp.arange(num_classes)).astype(np.int64)
