"""Indexing: ``x[index]``, ``x[index] = v``, gather and scatter.

``GetItem`` and ``IndexAdd`` are each other's gradient: reading ``x[index]`` sends the gradient
back by adding it into zeros at ``index`` (repeated indices add up), and the gradient of that
addition is reading at ``index`` again. So indexing is differentiable to any order.
"""

from __future__ import annotations

import numpy as np

from .. import backend
from .._args import to_tensor
from ..autograd import views
from ..autograd.function import Op
from ..backend import xp_of
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
        elif isinstance(item, (list, np.ndarray, bool, np.integer, np.bool_)):
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
            out.append(int(array))
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
        if views.recording(x, value):
            views.check_can_modify(x)
            views.rebase(x, IndexPut.apply(views.current(x), value, index=idx))
        else:
            recorder.call(_put, x.array, idx, value.array)  # tg.compile replays the write
            x._version_counter[0] += 1
    except (IndexError, ValueError) as e:
        raise type(e)(
            f"{e} (assigning a value of shape {value.shape} into a tensor of shape {x.shape})"
        ) from None


def _put(array, index: tuple, value) -> None:
    """``array[index] = value`` in PyTorch's order (see ``_torch_order``)."""
    split = _torch_order(index)
    if split is None:
        array[index] = value
    else:  # array[basic] is a view (a trailing ... keeps even a 0-d one), so this writes through
        basic = split[0] if Ellipsis in split[0] else (*split[0], Ellipsis)
        array[basic][split[1]] = value


class GetItem(Op):
    """``x[index]`` with integer/bool arrays in the index (a copy)."""

    def forward(ctx, x, index=()):
        ctx.index = index
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
    """``x[index] = v`` in place, for ``Tensor.__setitem__``; x's storage is the output."""

    def forward(ctx, x, v, index=()):
        ctx.index = index
        _put(x, index, v)
        return x

    def backward(ctx, g):
        gx = gv = None
        if ctx.needs_input_grad[0]:  # overwritten elements get no gradient
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
            raise IndexError(
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


# ----------------------------------------------------------------------------- embedding
# ``Embedding`` and ``EmbeddingDenseBackward`` are each other's gradient, as ``GetItem`` and
# ``IndexAdd`` are: the gradient of a lookup adds each output row's gradient into the row it came
# from (repeated indices add up, ``backend.scatter_add``) and the gradient of that scatter is a
# lookup again. A ``padding_idx`` row gets no gradient.


class Embedding(Op):
    """out[..., :] = weight[index[...], :]."""

    def forward(ctx, weight, index, padding_idx=None):
        ctx.index, ctx.padding_idx = index, padding_idx
        return weight.take(index, axis=0)

    def backward(ctx, g):
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
    """int64 tensor with a trailing axis of size ``num_classes``: 1 at each label."""
    if tensor.array.dtype.kind not in "iu":
        raise RuntimeError(f"one_hot is only applicable to index tensors, got dtype {tensor.dtype}")
    xp = xp_of(tensor.array)
    if tensor.array.size and int(tensor.array.min()) < 0:
        raise RuntimeError("one_hot: class values must be non-negative")
    if num_classes == -1:
        num_classes = int(tensor.array.max()) + 1 if tensor.array.size else 0
    elif tensor.array.size and int(tensor.array.max()) >= num_classes:
        raise RuntimeError(
            f"one_hot: class value {int(tensor.array.max())} is out of range for "
            f"num_classes={num_classes}"
        )
    return Tensor._make((tensor.array[..., None] == xp.arange(num_classes)).astype(np.int64))
