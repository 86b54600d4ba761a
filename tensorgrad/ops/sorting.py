"""Sorting and searching: sort, argsort, topk, kthvalue, searchsorted, bincount, unique.

No new primitive carries calculus here. The order is found on the arrays (no gradient) and the
values are read with ``Gather``: ``values = x.gather(dim, indices)``, so

    d values_j / d x_i = 1 where indices_j = i (else 0),

and the gradient is scattered back through the same indices (``Gather``'s backward is a
scatter-add, itself differentiable, so second order comes free).

Ties. Every order here comes from a stable sort: equal elements keep their index order, and NaN
counts as larger than every number (last ascending, first descending), as in PyTorch.
PyTorch guarantees that order only for ``sort(stable=True)``; for ``stable=False``, ``topk``
and ``kthvalue`` it leaves the index of tied elements unspecified (on the CPU it depends on its
quickselect), so there tensorgrad's lowest-index-first is one valid answer of several. Likewise
``topk(sorted=False)`` and ``unique(sorted=False)`` may return any order in PyTorch; tensorgrad
returns the sorted one.
"""

from __future__ import annotations

import builtins

import numpy as np

from .._args import wrap_dim
from ..backend import xp_of
from ..tensor import Tensor, values_indices
from .indexing import Gather


def stable_argsort(a, axis: int, descending: bool = False):
    """int64 indices that sort the array ``a`` along ``axis``, ties in index order, NaN largest.

    Descending: a stable ascending sort of the reversed array puts ties in decreasing original
    index; reversing that result gives descending values with ties in increasing index again.
    (Negating the values would break on unsigned and bool dtypes and on NaN.)
    """
    if not descending:
        return _argsort(a, axis)
    xp = xp_of(a)
    return (a.shape[axis] - 1) - xp.flip(_argsort(xp.flip(a, axis), axis), axis)


def _argsort(a, axis: int):
    """A stable argsort, int64. CuPy's sort is always stable (older CuPy takes no ``kind``);
    NumPy's default quicksort is not."""
    xp = xp_of(a)
    idx = xp.argsort(a, axis=axis, kind="stable") if xp is np else xp.argsort(a, axis=axis)
    return idx.astype(np.int64, copy=False)


def _slice(a, dim: int, start: int, stop: int):
    return a[(slice(None),) * dim + (slice(start, stop),)]


def _check_k(k, name: str) -> None:
    if not isinstance(k, (builtins.int, np.integer)) or isinstance(k, bool):
        raise TypeError(f"{name}(): argument 'k' must be int, not {type(k).__name__}")


# ---------------------------------------------------------------------- differentiable


def sort(input: Tensor, dim: int = -1, descending: bool = False, *, stable: bool = False):
    """``(values, indices)``: ``input`` sorted along ``dim``, ascending unless ``descending``;
    ``values = input.gather(dim, indices)``, so the gradient scatters back through ``indices``.

    Always stable (ties keep their index order, NaN sorts as the largest value), which
    ``stable=True`` asks for and ``stable=False`` allows. PyTorch takes ``stable`` by keyword
    only, and then ``dim`` and ``descending`` by keyword too; here they may stay positional.
    """
    dim = wrap_dim(dim, input.ndim)
    if input.ndim == 0:
        return values_indices(input.clone(), _index_like(input, ()))
    idx = Tensor._make(stable_argsort(input.array, dim, descending))
    return values_indices(Gather.apply(input, idx, dim=dim), idx)


def argsort(input: Tensor, dim: int = -1, descending: bool = False, *, stable: bool = False):
    """The int64 indices that sort ``input`` along ``dim`` (``sort(...).indices``): stable, NaN
    largest; no gradient."""
    dim = wrap_dim(dim, input.ndim)
    if input.ndim == 0:
        return _index_like(input, ())
    return Tensor._make(stable_argsort(input.array, dim, descending))


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):
    """``(values, indices)`` of the ``k`` largest elements along ``dim`` (smallest when
    ``largest=False``), best first; the gradient scatters back through ``indices``.

    Ties go to the lower index, NaN is the largest value. PyTorch leaves the indices of ties
    unspecified and ``sorted=False``'s order too; here the result is always sorted. ``dim=None``
    means the last dim, as PyTorch's docstring says.
    """
    _check_k(k, "topk")
    dim = wrap_dim(-1 if dim is None else dim, input.ndim)
    if input.array.dtype == np.bool_:
        raise RuntimeError("topk does not support bool dtypes (as PyTorch on the CPU)")
    size = input.shape[dim] if input.ndim else 1
    if not 0 <= k <= size:
        raise RuntimeError(
            f"topk(): selected index k out of range: k={k} for dimension {dim} of size {size}"
        )
    if input.ndim == 0:  # PyTorch returns the element for k = 0 as for k = 1
        return values_indices(input.clone(), _index_like(input, ()))
    idx = _slice(stable_argsort(input.array, dim, descending=largest), dim, 0, k)
    idx = Tensor._make(xp_of(idx).ascontiguousarray(idx))
    return values_indices(Gather.apply(input, idx, dim=dim), idx)


def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False):
    """``(values, indices)`` of the ``k``-th smallest element (1-based) along ``dim``; the
    gradient flows to that element. Of equal elements, the one a stable sort puts k-th (PyTorch
    may return the index of any of them); NaN is the largest value."""
    _check_k(k, "kthvalue")
    dim = wrap_dim(-1 if dim is None else dim, input.ndim)
    if input.array.dtype == np.bool_:
        raise NotImplementedError("kthvalue(): not implemented for bool tensors (as PyTorch)")
    size = input.shape[dim] if input.ndim else 1
    if input.ndim and size == 0:
        raise IndexError(f"kthvalue(): Expected reduction dim {dim} to have non-zero size.")
    if not 1 <= k <= size:
        raise RuntimeError(
            f"kthvalue(): selected number k out of range for dimension {dim}: k={k}, but the "
            f"dimension has size {size}"
        )
    if input.ndim == 0:
        return values_indices(input.clone(), _index_like(input, ()))
    idx = Tensor._make(_slice(stable_argsort(input.array, dim), dim, k - 1, k).copy())
    values = Gather.apply(input, idx, dim=dim)
    if not keepdim:
        values, idx = values.squeeze(dim), idx.squeeze(dim)
    return values_indices(values, idx)


def _index_like(x: Tensor, shape) -> Tensor:
    return Tensor._make(xp_of(x.array).zeros(shape, dtype=np.int64))


# ---------------------------------------------------------------------- without gradient


def _same_device(name: str, a: Tensor, b: Tensor) -> None:
    if type(a.array) is not type(b.array) or a.device != b.device:
        raise RuntimeError(
            f"{name}: expected all tensors on the same device, got {a.device} and {b.device}"
        )


def searchsorted(
    sorted_sequence: Tensor,
    values,
    *,
    out_int32: bool = False,
    right: bool = False,
    side: str | None = None,
    sorter: Tensor | None = None,
) -> Tensor:
    """For each value v, the index where it would go into its row of ``sorted_sequence`` to
    keep the row sorted: the first i with seq[i] >= v (``right=False``, ``side='left'``) or
    seq[i] > v (``right=True``, ``side='right'``); the row's length when there is none.

    ``sorted_sequence`` is 1-D (shared by all values) or has the leading dims of ``values``;
    ``values`` may be a Python number (a 0-d result). ``sorter`` holds the indices that sort an
    unsorted sequence. int64 result (int32 with ``out_int32``), no gradient. The bisection is
    PyTorch's, step for step, so NaN and unsorted rows give its answers too.
    """
    name = "torch.searchsorted()"
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"{name}: side can only be 'left' or 'right' but got {side}")
        if side == "left" and right:
            raise RuntimeError(
                f"{name}: side and right can't be set to opposites, got side of left while "
                "right was True"
            )
        right = side == "right"
    seq = sorted_sequence.array
    xp = xp_of(seq)
    if seq.ndim == 0:
        raise RuntimeError(
            f"{name}: boundaries tensor should have positive dimension, but got 0 dimension"
        )
    if isinstance(values, Tensor):
        _same_device(name, sorted_sequence, values)
        v = values.array
    else:
        if seq.ndim != 1:
            raise RuntimeError(
                f"{name}: input value can be a scalar only when boundaries tensor dimension is "
                f"1, but we got boundaries tensor dim({seq.ndim})"
            )
        v = values  # a Python number: NumPy compares it in the sequence's dtype, as PyTorch
    vshape = tuple(getattr(v, "shape", ()))
    if seq.ndim > 1 and seq.shape[:-1] != vshape[:-1]:
        raise RuntimeError(
            f"{name}: boundaries tensor should be 1 dimension or the first N-1 dimensions of "
            "boundaries tensor and input value tensor must match, but we got boundaries tensor "
            f"{list(seq.shape)} and input value tensor {list(vshape)}"
        )
    if sorter is not None:
        _same_device(name, sorted_sequence, sorter)
        if sorter.array.dtype != np.int64:
            raise RuntimeError(
                f"{name}: sorter must be a tensor of long dtype but got dtype {sorter.dtype}"
            )
        if sorter.shape != seq.shape:
            raise RuntimeError(
                f"{name}: boundary and sorter must have the same size, but got boundary tensor "
                f"{list(seq.shape)} and sorter tensor {list(sorter.shape)}"
            )
        order = sorter.array
        if order.size and (int(order.min()) < 0 or int(order.max()) >= seq.shape[-1]):
            raise RuntimeError(f"{name}: sorter index out of range")
        seq = xp.take_along_axis(seq, order, axis=-1)
    out = _bisect(seq, v, vshape, right)
    return Tensor._make(out.astype(np.int32) if out_int32 else out)


def _bisect(seq, v, shape: tuple, right: bool):
    """PyTorch's binary search, run for every value at once: with lo, hi = 0, n, while lo < hi
    take mid = (lo + hi) // 2 and go right (lo = mid + 1) when not seq[mid] >= v (left) or not
    seq[mid] > v (right), else left (hi = mid). n.bit_length() rounds settle every search."""
    xp = xp_of(seq)
    n = seq.shape[-1]
    lo = xp.zeros(shape, dtype=np.int64)
    hi = xp.full(shape, n, dtype=np.int64)
    for _ in range(n.bit_length()):
        active = lo < hi
        mid = (lo + hi) // 2
        at = xp.minimum(mid, n - 1)  # finished searches may point one past the end
        m = seq[at] if seq.ndim == 1 else xp.take_along_axis(seq, at, axis=-1)
        go_right = ~(m > v) if right else ~(m >= v)
        lo = xp.where(active & go_right, mid + 1, lo)
        hi = xp.where(active & ~go_right, mid, hi)
    return lo


def bincount(input: Tensor, weights: Tensor | None = None, minlength: int = 0) -> Tensor:
    """out[b] = the number of elements of ``input`` equal to b (the sum of their ``weights``
    with weights), for b < max(max(input) + 1, ``minlength``).

    ``input`` is 1-D, integer, non-negative. int64 counts; float32 weights give float32 sums
    and other weights float64 (as PyTorch). No gradient (PyTorch has none either).
    """
    a = input.array
    if a.ndim != 1 or a.dtype.kind not in "iu" or (a.size and int(a.min()) < 0):
        raise RuntimeError(
            "bincount only supports 1-d non-negative integral inputs, got shape "
            f"{input.shape} dtype {input.dtype}"
        )
    if minlength < 0:
        raise RuntimeError(f"minlength should be >= 0, got {minlength}")
    xp = xp_of(a)
    if weights is not None:
        _same_device("bincount", input, weights)
        if weights.ndim != 1 or weights.shape[0] != a.shape[0]:
            raise RuntimeError(
                "weights should be 1-d and have the same length as input, got weights of shape "
                f"{weights.shape} and input of shape {input.shape}"
            )
    if a.size == 0 or weights is None:  # PyTorch gives int64 zeros for empty input, weights or not
        return Tensor._make(xp.bincount(a.astype(np.int64), minlength=minlength))
    w = weights.array
    out = xp.bincount(a.astype(np.int64), weights=w.astype(np.float64), minlength=minlength)
    return Tensor._make(out.astype(np.float32 if w.dtype == np.float32 else np.float64))


def unique(
    input: Tensor,
    sorted: bool = True,
    return_inverse: bool = False,
    return_counts: bool = False,
    dim: int | None = None,
):
    """The distinct elements of ``input``, ascending (of the flattened tensor; with ``dim``,
    the distinct slices along ``dim``, in lexicographic order).

    With ``return_inverse``, also where each element (slice) went: input = output[inverse];
    with ``return_counts``, how often each occurs. A tensor, or a tuple (output, inverse?,
    counts?) as PyTorch. NaNs are all distinct, as in PyTorch. ``sorted=False`` also sorts
    (PyTorch allows any order then). No gradient.
    """
    return _unique(input, return_inverse, return_counts, dim, "unique", consecutive=False)


def unique_consecutive(
    input: Tensor, return_inverse: bool = False, return_counts: bool = False, dim: int | None = None
):
    """``unique`` of each run of equal consecutive elements (slices along ``dim``), in their
    order: [1, 1, 2, 1] -> [1, 2, 1], counts [2, 1, 1]. The same optional ``inverse`` and
    ``counts`` as ``unique``. No gradient."""
    return _unique(input, return_inverse, return_counts, dim, "unique_consecutive", True)


def _unique(x: Tensor, return_inverse, return_counts, dim, name, consecutive):
    """Sort (unless ``consecutive``), mark where a new value starts (first[i]: row i differs
    from row i - 1; NaN != NaN keeps NaNs apart), and read the results off those marks."""
    a = x.array
    xp = xp_of(a)
    if dim is None:
        rows, inverse_shape = a.reshape(-1, 1), a.shape
    else:
        if a.ndim == 0:
            raise IndexError(f"{name}: dimension specified as {dim} but tensor has no dimensions")
        dim = wrap_dim(dim, a.ndim)
        moved = xp.moveaxis(a, dim, 0)
        n, width = moved.shape[0], builtins.int(np.prod(moved.shape[1:]))
        if width == 0 and n:
            raise RuntimeError(
                f"{name}: there are 0 sized dimensions, and they aren't selected, so unique "
                f"cannot be applied (shape {x.shape}, dim {dim})"
            )
        rows, inverse_shape = moved.reshape(n, width), (n,)
    n = rows.shape[0]
    if consecutive or n == 0:
        order = None
    elif rows.shape[1] == 1:
        order = _argsort(rows[:, 0], 0)
    else:  # lexsort's last key is the primary one: column 0 first (bool as uint8 for CuPy)
        keys = rows.T[::-1]
        order = xp.lexsort(keys.astype(np.uint8) if keys.dtype == np.bool_ else keys)
    ordered = rows if order is None else rows[order]
    first = xp.ones(n, dtype=bool)
    first[1:] = (ordered[1:] != ordered[:-1]).any(axis=1)
    out = ordered[first]
    if dim is None:
        out = out.reshape(-1)
    else:
        out = xp.moveaxis(out.reshape(out.shape[0], *moved.shape[1:]), 0, dim)
    results = [Tensor._make(xp.ascontiguousarray(out))]
    if return_inverse:
        group = xp.cumsum(first, dtype=np.int64) - 1  # the group of each sorted row
        inverse = group if order is None else xp.empty_like(group)
        if order is not None:
            inverse[order] = group
        results.append(Tensor._make(inverse.reshape(inverse_shape)))
    if return_counts:
        starts = xp.flatnonzero(first)
        results.append(Tensor._make(xp.diff(starts, append=n).astype(np.int64)))
    return results[0] if len(results) == 1 else tuple(results)


__all__ = [
    "argsort",
    "bincount",
    "kthvalue",
    "searchsorted",
    "sort",
    "stable_argsort",
    "topk",
    "unique",
    "unique_consecutive",
]
