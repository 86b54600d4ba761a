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
from collections import namedtuple

import numpy as np

from .. import backend
from .._args import wrap_dim
from ..backend import is_float, xp_of
from ..creation import linspace_values, zeros
from ..jit import recorder
from ..tensor import Tensor, values_indices
from . import reduce
from .indexing import Gather


@recorder.pure
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
    NumPy's default quicksort is not. bfloat16 sorts as float32 (the same order, exactly;
    ml_dtypes' own compare would not put NaN last)."""
    xp = xp_of(a)
    if a.dtype is backend.BF16:
        a = a.astype(np.float32)
    idx = xp.argsort(a, axis=axis, kind="stable") if xp is np else xp.argsort(a, axis=axis)
    return idx.astype(np.int64, copy=False)


def _slice(a, dim: int, start: int, stop: int):
    return a[(slice(None),) * dim + (slice(start, stop),)]


def _order(x: Tensor, dim: int, descending: bool = False, start=None, stop=None) -> Tensor:
    """``stable_argsort`` of ``x`` along ``dim`` as an int64 tensor, cut to positions
    [start, stop) when given. The indices depend on the values, so they are computed through
    the recorder: a tg.compile replay sorts each call's values again."""
    return Tensor._make(recorder.call(_sorted_positions, x.array, dim, descending, start, stop))


@recorder.pure
def _sorted_positions(a, dim: int, descending: bool, start, stop):
    idx = stable_argsort(a, dim, descending)
    if start is None:
        return idx
    return xp_of(idx).ascontiguousarray(_slice(idx, dim, start, stop))


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
    idx = _order(input, dim, descending)
    return values_indices(Gather.apply(input, idx, dim=dim), idx)


def argsort(input: Tensor, dim: int = -1, descending: bool = False, *, stable: bool = False):
    """The int64 indices that sort ``input`` along ``dim`` (``sort(...).indices``): stable, NaN
    largest; no gradient."""
    dim = wrap_dim(dim, input.ndim)
    if input.ndim == 0:
        return _index_like(input, ())
    return _order(input, dim, descending)


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
    idx = _order(input, dim, largest, 0, k)
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
    idx = _order(input, dim, False, k - 1, k)
    values = Gather.apply(input, idx, dim=dim)
    if not keepdim:
        values, idx = values.squeeze(dim), idx.squeeze(dim)
    return values_indices(values, idx)


def median(input: Tensor, dim=None, keepdim: bool = False):
    """The lower median: of n values, the ``(n + 1) // 2``-th smallest (PyTorch's choice for
    even n, not the mean of the two middle ones). NaN when a NaN is among the values.

    Without ``dim``: a 0-d tensor (NaN for an empty input), whose gradient is shared evenly
    among the elements equal to it. With ``dim``: ``(values, indices)``, the gradient flowing to
    ``indices``; of equal values, the one a stable sort puts in the middle, and for a NaN result
    the first NaN.
    """
    return _median(input, dim, keepdim, ignore_nan=False, name="median")


def nanmedian(input: Tensor, dim=None, keepdim: bool = False):
    """``median`` of the values that are not NaN (NaN when all are); the same results and
    gradients otherwise."""
    return _median(input, dim, keepdim, ignore_nan=True, name="nanmedian")


def _median(x: Tensor, dim, keepdim: bool, ignore_nan: bool, name: str):
    if x.array.dtype == np.bool_:
        raise RuntimeError(f"{name}(): not implemented for bool tensors (as PyTorch)")
    if dim is None:
        return reduce.Median.apply(x, ignore_nan=ignore_nan)
    dim = wrap_dim(dim, x.ndim)
    if x.ndim == 0:
        return values_indices(x.clone(), _index_like(x, ()))
    if x.shape[dim] == 0:
        raise IndexError(
            f"{name}(): Expected reduction dim {dim} to have non-zero size (shape {x.shape})"
        )
    idx = Tensor._make(recorder.call(_median_positions, x.array, dim, ignore_nan))
    return _select(x, idx, dim, keepdim)


@recorder.pure
def _median_positions(a, dim: int, ignore_nan: bool):
    """The index of each median along ``dim`` (keeping ``dim`` as size 1). After a stable sort
    (NaN last) the median of c values that are not NaN sits at (c - 1) // 2; ``median`` of a
    row holding NaN takes position c, the first NaN."""
    xp = xp_of(a)
    order = stable_argsort(a, dim)
    n = a.shape[dim]
    if not is_float(a.dtype):
        at = xp.full(order.shape[:dim] + (1,) + order.shape[dim + 1 :], (n - 1) // 2, np.int64)
    else:
        count = (~xp.isnan(a)).sum(axis=dim, keepdims=True, dtype=np.int64)
        if ignore_nan:
            at = xp.maximum(count - 1, 0) // 2
        else:
            at = xp.where(count < n, count, (n - 1) // 2)
    return xp.take_along_axis(order, at, axis=dim)


def _select(x: Tensor, idx: Tensor, dim: int, keepdim: bool):
    """``(x.gather(dim, idx), idx)`` for indices of size 1 along ``dim``, squeezed unless
    ``keepdim``; the gradient flows to the selected elements."""
    values = Gather.apply(x, idx, dim=dim)
    if not keepdim:
        values, idx = values.squeeze(dim), idx.squeeze(dim)
    return values_indices(values, idx)


def mode(input: Tensor, dim: int = -1, keepdim: bool = False):
    """``(values, indices)``: the most frequent value along ``dim`` (the smallest of several
    equally frequent ones) and an index where it occurs (the last, as PyTorch on the CPU;
    PyTorch leaves it unspecified); the gradient flows to that index."""
    dim = wrap_dim(dim, input.ndim)
    if input.ndim == 0:
        return values_indices(input.clone(), _index_like(input, ()))
    if input.shape[dim] == 0:
        raise IndexError(
            f"mode(): Expected reduction dim {dim} to have non-zero size (shape {input.shape})"
        )
    idx = Tensor._make(recorder.call(_mode_positions, input.array, dim))
    return _select(input, idx, dim, keepdim)


@recorder.pure
def _mode_positions(a, dim: int):
    """Sort each row (stably); ``run[j]`` counts the equal values up to sorted position j.
    The first position where it peaks ends the longest run of the smallest value, and its
    original index is the last occurrence of that value."""
    xp = xp_of(a)
    rows = xp.moveaxis(a, dim, -1)
    order = stable_argsort(rows, -1)
    s = xp.take_along_axis(rows, order, axis=-1)
    n = s.shape[-1]
    new = xp.ones(s.shape, dtype=bool)
    new[..., 1:] = s[..., 1:] != s[..., :-1]
    pos = xp.arange(n, dtype=np.int64)
    start = reduce.running(xp.maximum, xp.where(new, pos, 0), -1)
    end = xp.argmax(pos - start, axis=-1)[..., None]
    return xp.moveaxis(xp.take_along_axis(order, end, axis=-1), -1, dim)


_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def quantile(
    input: Tensor, q, dim=None, keepdim: bool = False, *, interpolation: str = "linear"
) -> Tensor:
    """The ``q``-quantiles along ``dim`` (of all elements when None): with the n values sorted
    v_0 <= ... <= v_{n-1}, quantile q sits at rank r = q (n - 1), between v_floor(r) and
    v_ceil(r). ``interpolation``: 'linear' v_lo + (r - lo)(v_hi - v_lo), 'lower' v_lo,
    'higher' v_hi, 'midpoint' (v_lo + v_hi) / 2, 'nearest' the rank rounded (half to even).

    ``q`` is a float or a 0-d/1-D tensor of values in [0, 1] (a 1-D q puts its dim first in
    the result). NaN when a NaN is among the values. Written with ``sort`` and ``gather`` as
    PyTorch's, so the gradient flows to the two neighbours (and to a tensor ``q``)."""
    return _quantile(input, q, dim, keepdim, interpolation, ignore_nan=False, name="quantile")


def nanquantile(
    input: Tensor, q, dim=None, keepdim: bool = False, *, interpolation: str = "linear"
) -> Tensor:
    """``quantile`` of the values that are not NaN, r = q (c - 1) for c of them (NaN when
    c = 0)."""
    return _quantile(input, q, dim, keepdim, interpolation, ignore_nan=True, name="nanquantile")


def _quantile(x: Tensor, q, dim, keepdim, interpolation, ignore_nan, name):
    if x.array.dtype not in (np.float32, np.float64):
        raise RuntimeError(
            f"{name}() input tensor must be either float or double dtype, got {x.dtype}"
        )
    if interpolation not in _INTERPOLATIONS:
        raise ValueError(
            f"{name}() interpolation must be one of {', '.join(_INTERPOLATIONS)}. Got "
            f"{interpolation!r}"
        )
    if x.array.size == 0:
        raise RuntimeError(f"{name}() input tensor must be non-empty, got shape {x.shape}")
    if isinstance(q, Tensor):
        _same_device(f"{name}()", x, q)
        if q.ndim > 1:
            raise RuntimeError(
                f"{name}() q must be a scalar or 1D tensor, got a tensor of shape {q.shape}"
            )
        if q.dtype != x.dtype:
            raise RuntimeError(
                f"{name}() q tensor must be same dtype as the input tensor, got {q.dtype} "
                f"and {x.dtype}"
            )
        recorder.check(_check_q, q.array, name)
    elif isinstance(q, (builtins.float, builtins.int, np.floating, np.integer)) and not isinstance(
        q, bool
    ):
        _check_q(np.asarray(q), name)
        q = x.new_tensor(builtins.float(q))
    else:
        raise TypeError(f"{name}(): q must be a float or a tensor, got {type(q).__name__}")
    scalar_q = q.ndim == 0
    if dim is None:
        rows, out_dim = x.reshape(-1), None
    else:
        out_dim = wrap_dim(dim, x.ndim)
        rows = x.reshape(1) if x.ndim == 0 else x.movedim(out_dim, -1)
    values = sort(rows, -1).values  # NaN last; the gradient flows back through the sort
    n = values.shape[-1]
    nan = values[..., -1:].isnan()
    if ignore_nan:  # all NaN: rank 0, a NaN
        ranks = q * ((values == values).sum(-1, keepdim=True) - 1)
        ranks = ranks.masked_fill(ranks < 0, 0.0)
    else:  # a NaN in the row: the last rank, a NaN
        ranks = (q * (n - 1)).masked_fill(nan, builtins.float(n - 1))
    if interpolation == "lower":
        ranks = ranks.floor()
    elif interpolation == "higher":
        ranks = ranks.ceil()
    elif interpolation == "nearest":
        ranks = ranks.round()
    below = ranks.detach().long()
    out = values.gather(-1, below)
    if interpolation in ("linear", "midpoint"):
        weights = ranks - below if interpolation == "linear" else ranks.new_full((), 0.5)
        out = out.lerp(values.gather(-1, ranks.detach().ceil().long()), weights)
    # out: (..., Q) or (..., 1) for a 0-d q; the quantiles move to the front
    out = out.squeeze(-1) if scalar_q else out.movedim(-1, 0)
    if keepdim:
        lead = () if scalar_q else (q.shape[0],)
        if out_dim is None:
            out = out.reshape(*lead, *([1] * x.ndim))
        elif x.ndim:
            out = out.unsqueeze(out_dim + len(lead))
    return out


def _check_q(q, name: str) -> None:
    xp = xp_of(q)
    if q.size and not bool(xp.all((q >= 0) & (q <= 1))):
        raise RuntimeError(f"{name}() q values must be in the range [0, 1]")


def _index_like(x: Tensor, shape) -> Tensor:
    return zeros(shape, dtype=np.int64, device=x.device)


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
        recorder.check(_check_sorter, sorter.array, seq.shape[-1], name)
    order = None if sorter is None else sorter.array
    # the positions depend on the values: computed through the recorder (tg.compile replays)
    return Tensor._make(recorder.call(_search, seq, order, v, vshape, right, out_int32))


def _check_sorter(order, n: int, name: str) -> None:
    if order.size and (int(order.min()) < 0 or int(order.max()) >= n):
        raise RuntimeError(f"{name}: sorter index out of range")


@recorder.pure
def _search(seq, order, v, shape: tuple, right: bool, out_int32: bool):
    if order is not None:
        seq = xp_of(seq).take_along_axis(seq, order, axis=-1)
    out = _bisect(seq, v, shape, right)
    return out.astype(np.int32) if out_int32 else out


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


def bucketize(input, boundaries: Tensor, *, out_int32: bool = False, right: bool = False) -> Tensor:
    """The bucket of each value of ``input`` (a tensor or a number) between the sorted 1-D
    ``boundaries``: the first i with v <= boundaries[i] (``right=True``: v < boundaries[i]),
    len(boundaries) past the last one. ``searchsorted(boundaries, input, right=right)``; int64
    (int32 with ``out_int32``), no gradient."""
    if not isinstance(boundaries, Tensor) or boundaries.ndim != 1:
        raise RuntimeError(
            "torch.bucketize(): boundaries tensor must be 1 dimension, but got shape "
            f"{getattr(boundaries, 'shape', type(boundaries).__name__)}"
        )
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


def histc(input: Tensor, bins: int = 100, min=0, max=0) -> Tensor:
    """Counts of the elements in ``bins`` equal-width bins over [min, max] (the data's
    range when min == max, widened by 1/2 each way when that is a single value); elements
    outside (and NaN) are not counted, max goes to the last bin. Element x goes to bin
    floor((x - min) / (max - min) bins), in the input's dtype as PyTorch. Counts in the
    input's (float) dtype; no gradient (PyTorch has none)."""
    a = input.array
    if a.dtype not in (np.float32, np.float64, np.float16):
        raise RuntimeError(f"histc: not implemented for {input.dtype} tensors (as PyTorch)")
    if not isinstance(bins, (builtins.int, np.integer)) or isinstance(bins, bool) or bins <= 0:
        raise RuntimeError(f"torch.histc(): bins must be > 0, but got {bins}")
    if min > max:
        raise RuntimeError(
            f"torch.histc(): max must be larger than min, but got min {min} and max {max}"
        )
    lo_hi = (builtins.float(min), builtins.float(max))
    if lo_hi[0] == lo_hi[1] and a.size:  # the data's range: a check of values, replayed
        recorder.check(_check_range, a)
    return Tensor._make(recorder.call(_histogram, a, builtins.int(bins), *lo_hi))


def _check_range(a) -> None:
    lo, hi = a.min(), a.max()
    if not (bool(xp_of(a).isfinite(lo)) and bool(xp_of(a).isfinite(hi))):
        raise RuntimeError(
            f"torch.histc(): range of [{builtins.float(lo)}, {builtins.float(hi)}] is not finite"
        )


@recorder.pure
def _histogram(a, bins: int, lo: float, hi: float):
    xp = xp_of(a)
    dt = a.dtype.type
    if lo == hi and a.size:
        lo, hi = a.min(), a.max()
    lo, hi = dt(lo), dt(hi)
    if lo == hi:
        lo, hi = lo - dt(0.5), hi + dt(0.5)
    flat = a.reshape(-1)
    flat = flat[(flat >= lo) & (flat <= hi)]
    pos = ((flat - lo) / (hi - lo) * dt(bins)).astype(np.int64)
    pos = xp.minimum(pos, bins - 1)
    return xp.bincount(pos, minlength=bins).astype(a.dtype)


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
    ordered, order, first, moved = _marked_rows(a, dim, consecutive, name)
    if recorder.ACTIVE is not None:  # the result's size depends on the values (tg.compile)
        recorder.guard(_distinct, a, dim, consecutive, name, label=f"the size of {name}'s result")
    n = first.shape[0]
    out = ordered[first]
    if dim is None:
        out = out.reshape(-1)
    else:
        dim = wrap_dim(dim, a.ndim)
        out = xp.moveaxis(out.reshape(out.shape[0], *moved.shape[1:]), 0, dim)
    results = [Tensor._make(xp.ascontiguousarray(out))]
    if return_inverse:
        group = xp.cumsum(first, dtype=np.int64) - 1  # the group of each sorted row
        inverse = group if order is None else xp.empty_like(group)
        if order is not None:
            inverse[order] = group
        results.append(Tensor._make(inverse.reshape(a.shape if dim is None else (n,))))
    if return_counts:
        starts = xp.flatnonzero(first)
        results.append(Tensor._make(xp.diff(starts, append=n).astype(np.int64)))
    return results[0] if len(results) == 1 else tuple(results)


def _marked_rows(a, dim, consecutive: bool, name: str) -> tuple:
    """(the rows of ``a`` (its elements, or its slices along ``dim``) in order, the sorting
    order or None, the marks ``first`` of each new value, ``a`` with ``dim`` moved first)."""
    xp = xp_of(a)
    if dim is None:
        rows, moved = a.reshape(-1, 1), a
    else:
        if a.ndim == 0:
            raise IndexError(f"{name}: dimension specified as {dim} but tensor has no dimensions")
        dim = wrap_dim(dim, a.ndim)
        moved = xp.moveaxis(a, dim, 0)
        n, width = moved.shape[0], builtins.int(np.prod(moved.shape[1:]))
        if width == 0 and n:
            raise RuntimeError(
                f"{name}: there are 0 sized dimensions, and they aren't selected, so unique "
                f"cannot be applied (shape {a.shape}, dim {dim})"
            )
        rows = moved.reshape(n, width)
    n = rows.shape[0]
    if consecutive or n == 0:
        order = None
    elif rows.shape[1] == 1:
        order = _argsort(rows[:, 0], 0)
    else:  # lexsort's last key is the primary one: column 0 first (bool as uint8 for CuPy)
        keys = rows.T[::-1]
        if keys.dtype is backend.BF16:
            keys = keys.astype(np.float32)
        order = xp.lexsort(keys.astype(np.uint8) if keys.dtype == np.bool_ else keys)
    ordered = rows if order is None else rows[order]
    first = xp.ones(n, dtype=bool)
    first[1:] = (ordered[1:] != ordered[:-1]).any(axis=1)
    return ordered, order, first, moved


def _distinct(a, dim, consecutive: bool, name: str) -> int:
    """How many distinct values (runs, for ``consecutive``) ``unique`` finds in ``a``."""
    return builtins.int(_marked_rows(a, dim, consecutive, name)[2].sum())


def msort(input: Tensor) -> Tensor:
    """``input`` sorted along dim 0, ascending (``sort(input, 0).values``); the gradient
    scatters back through the order."""
    return sort(input, 0).values


histogram_result = namedtuple("histogram", ["hist", "bin_edges"])


def histogram(input: Tensor, bins=100, *, range=None, weight=None, density: bool = False):
    """``(hist, bin_edges)`` of the elements of ``input`` (flattened, float): with an int
    ``bins``, that many equal bins over ``range`` (the data's [min, max] by default, widened by
    1/2 each way when that is one value, [0, 1] for no data), edges as ``linspace`` in the
    input's dtype; with a 1-D tensor ``bins``, those edges. An element x counts in bin i when
    edges[i] <= x < edges[i + 1], the last bin closed on the right; elements outside (and NaN)
    are not counted. ``weight`` (input's shape) counts each element by its weight; ``density``
    divides by the total and by each bin's width. No gradient (PyTorch has none)."""
    a = input.array
    if not is_float(a.dtype):
        raise NotImplementedError(f'"histogramdd" not implemented for {input.dtype}')
    if weight is not None:
        _same_device("histogram", input, weight)
        if weight.shape != input.shape or weight.array.dtype != a.dtype:
            raise RuntimeError(
                f"histogram(): weight should have the same shape and dtype as input, got "
                f"{weight.shape} {weight.dtype} for input {input.shape} {input.dtype}"
            )
    if isinstance(bins, Tensor):
        if range is not None:
            raise TypeError("histogram(): range is given by the edges when bins is a tensor")
        _same_device("histogram", input, bins)
        if bins.ndim != 1 or bins.numel() < 1 or bins.array.dtype != a.dtype:
            raise RuntimeError(
                "histogram(): bins must be a 1-D tensor of at least one edge in the input's "
                f"dtype, got shape {bins.shape} dtype {bins.dtype}"
            )
        edges = recorder.call(_copy, bins.array)  # bin_edges: a tensor of its own
    else:
        if not isinstance(bins, (builtins.int, np.integer)) or isinstance(bins, bool) or bins <= 0:
            raise RuntimeError(
                f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0"
            )
        if range is not None:
            lo, hi = (builtins.float(v) for v in range)
            if not (np.isfinite(lo) and np.isfinite(hi)):
                raise RuntimeError(
                    f"torch.histogramdd: dimension 0's range [{lo}, {hi}] is not finite"
                )
            if lo > hi:
                raise RuntimeError(
                    f"torch.histogramdd: min should not exceed max, but got min {lo} max {hi} for "
                    "dimension 0"
                )
        else:
            recorder.check(_check_data_range, a)
        edges = recorder.call(_edges, a, builtins.int(bins), range)
    hist = recorder.call(_histogram_counts, a, edges, None if weight is None else weight.array)
    if density:
        hist = recorder.call(_density, hist, edges)
    return histogram_result(Tensor._make(hist), Tensor._make(edges))


@recorder.pure
def _copy(a):
    return a.copy()


def _check_data_range(a) -> None:
    if a.size:
        lo, hi = builtins.float(a.min()), builtins.float(a.max())
        if not (np.isfinite(lo) and np.isfinite(hi)):
            raise RuntimeError(f"torch.histogramdd: dimension 0's range [{lo}, {hi}] is not finite")


@recorder.pure
def _edges(a, bins: int, range):
    """bins + 1 edges from the range (or the data's), as torch.linspace in a's dtype."""
    xp = xp_of(a)
    if range is not None:
        lo, hi = (builtins.float(v) for v in range)
    elif a.size:
        lo, hi = builtins.float(a.min()), builtins.float(a.max())
    else:
        lo, hi = 0.0, 1.0
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    return xp.asarray(linspace_values(lo, hi, bins + 1, a.dtype))


@recorder.pure
def _histogram_counts(a, edges, weight):
    """Counts (or summed weights) of the elements of ``a`` in the bins between ``edges``,
    added in row-major order in a's dtype."""
    xp = xp_of(a)
    flat = a.reshape(-1)
    keep = (flat >= edges[0]) & (flat <= edges[-1])
    pos = xp.searchsorted(edges, flat[keep], side="right") - 1
    pos = xp.minimum(pos, edges.size - 2)  # the last edge closes the last bin
    hist = xp.zeros(max(edges.size - 1, 0), dtype=a.dtype)
    if weight is None:
        return hist + xp.bincount(pos, minlength=hist.size)[: hist.size].astype(a.dtype)
    backend.scatter_add(hist, (pos,), weight.reshape(-1)[keep])
    return hist


@recorder.pure
def _density(hist, edges):
    return hist / hist.sum() / (edges[1:] - edges[:-1])


__all__ = [
    "argsort",
    "bincount",
    "histogram",
    "msort",
    "bucketize",
    "histc",
    "kthvalue",
    "median",
    "mode",
    "nanmedian",
    "nanquantile",
    "quantile",
    "searchsorted",
    "sort",
    "stable_argsort",
    "topk",
    "unique",
    "unique_consecutive",
]
