"""Reductions. ``dims`` is a sorted tuple of non-negative axes; the Tensor methods normalize it.

The gradient of a reduction is broadcast back over the reduced axes: ``_unreduce`` restores
them as size-1 axes (when ``keepdim`` was False) and expands to the input's shape.
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np

from .._args import wrap_dim
from ..autograd.function import Op
from ..backend import is_float, np_finfo, xp_of
from ..jit import recorder
from ..kernels import cuda as cuda_kernels
from ..tensor import Tensor, values_indices


def _unreduce(g, in_shape, dims, keepdim):
    """Reshape a reduced gradient so it broadcasts against the input (size 1 on ``dims``)."""
    if not keepdim:
        g = g.reshape([1 if i in dims else s for i, s in enumerate(in_shape)])
    return g


class Sum(Op):
    def forward(ctx, x, dims=(), keepdim=False):
        ctx.dims, ctx.keepdim = dims, keepdim
        if type(x) is not np.ndarray and cuda_kernels.takes(x) and x.flags.c_contiguous:
            # over leading axes (a bias gradient, a broadcast add's adjoint): the column kernel,
            # many times faster on the GPU than CuPy's strided reduction
            k = len(dims) if isinstance(dims, tuple) else 0
            if 0 < k < x.ndim and dims == tuple(range(k)):
                out = cuda_kernels.column_sums(x.reshape(math.prod(x.shape[:k]), -1))
                return out.reshape((1,) * k + x.shape[k:] if keepdim else x.shape[k:])
        return x.sum(axis=dims, keepdims=keepdim, dtype=x.dtype)  # uint8 stays uint8

    def backward(ctx, g):  # d sum(x)/dx_i = 1
        (shape,) = ctx.input_shapes
        return _unreduce(g, shape, ctx.dims, ctx.keepdim).expand(shape)


class Prod(Op):
    """Product over one axis (or all when ``dim`` is None)."""

    saves_inputs = True
    saves_output = True
    # PyTorch's CPU prod multiplies bfloat16 in bfloat16, rounding after each factor; so does
    # NumPy's multiply.reduce over ml_dtypes' bfloat16 (each multiply in float32, rounded)
    takes_bfloat16 = True

    def forward(ctx, x, dim=None, keepdim=False):
        ctx.dim, ctx.keepdim = dim, keepdim
        # NumPy takes axis 0 or -1 of a 0-d array, CuPy does not: the product of one element
        out = x.prod(axis=None if x.ndim == 0 else dim, keepdims=keepdim)
        return out.reshape((1,) * x.ndim if keepdim else ()) if dim is None and keepdim else out

    def backward(ctx, g):
        # d prod(x)/dx_i = prod_{j != i} x_j, which is out / x_i while no x_j is 0. With zeros,
        # let P = the product of the nonzero entries and S = the sum of the zero entries (0, but
        # it carries their gradient): one zero at k gives P at k and P S / x_i elsewhere; two
        # zeros a, b give P x_b = P (S - x_a) at a; with more, the gradient and its derivatives
        # are 0. All in tensor ops, so double backward is exact (higher orders with 1 zero).
        # Without zeros that is g (P / x), the shortcut below (same rounding: P is out); while
        # tg.compile records, the general form runs, as whether x has a zero is a value the
        # replay must not take from the recorded call.
        x, out = ctx.saved_tensors
        dims = tuple(range(x.ndim)) if ctx.dim is None else (ctx.dim,)
        g = _unreduce(g, x.shape, dims, ctx.keepdim)
        zero = x == 0
        if recorder.ACTIVE is None and not bool(zero.any()):
            return g * (_unreduce(out, x.shape, dims, ctx.keepdim) / x)
        count = zero.sum(dims, keepdim=True)
        x1 = x.masked_fill(zero, 1.0)
        p = Prod.apply(x1, dim=ctx.dim, keepdim=True)
        s = x.masked_fill(~zero, 0.0).sum(dims, keepdim=True)
        one, nil = x.new_ones(()), x.new_zeros(())
        all_zeros = one.where(count == 0, s.where(count == 1, nil))  # prod of the zero entries
        others = one.where(count == 1, (s - x).where(count == 2, nil))  # ... but x_i itself
        return g * (p * others).where(zero, p / x1 * all_zeros)


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


class Median(Amax):
    """The lower median of all elements, the (n + 1) // 2-th smallest; NaN when one is NaN
    (``ignore_nan``: of the others, NaN when none is left) and for no elements."""

    def forward(ctx, x, ignore_nan=False):
        ctx.dims, ctx.keepdim = tuple(range(x.ndim)), False
        xp = xp_of(x)
        flat = xp.sort(x.reshape(-1))  # NaN last
        n = flat.size
        if is_float(x.dtype):
            if ignore_nan:
                n = int((~xp.isnan(flat)).sum())
            elif n and xp.isnan(flat[-1]):
                return flat[-1].copy()
            if n == 0:
                return xp.asarray(np.nan, dtype=x.dtype)
        return flat[(n - 1) // 2].copy()

    def backward(ctx, g):
        # shared evenly among the elements equal to the median, as PyTorch's; a NaN median
        # counts the NaNs as equal to it
        x, out = ctx.saved_tensors
        mask = ((x == out) | (x.isnan() & out.isnan())).to(g.dtype)
        return g * mask / mask.sum()


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
        if x.ndim == 0:  # NumPy's cumsum flattens a 0-d array to shape (1,)
            return x.copy()
        return xp_of(x).cumsum(x, axis=dim, dtype=x.dtype)

    def backward(ctx, g):  # d y_j/dx_i = 1 for j >= i: a reversed cumulative sum
        return g.flip(ctx.dim).cumsum(ctx.dim).flip(ctx.dim)


class LogCumSumExp(Op):
    """out_j = log sum_{i<=j} exp(x_i) along ``dim``: a running ``logaddexp``, which never
    overflows (nor loses a prefix far below the later values, as one shift by the max would)."""

    saves_inputs = True
    saves_output = True

    def forward(ctx, x, dim=0):
        ctx.dim = dim
        if x.ndim == 0:
            return x.copy()
        return running(xp_of(x).logaddexp, x, dim)

    def backward(ctx, g):
        # d out_j/d x_i = exp(x_i - out_j) for j >= i, so dL/dx_i = sum_{j>=i} g_j e^{x_i - out_j}.
        # Summed in log space, split by the sign of g (PyTorch's and TensorFlow's form):
        # e^{x_i + rlcse(log g+ - out)_i} - e^{x_i + rlcse(log g- - out)_i}, rlcse the logcumsumexp
        # from the end. Tensor ops (logcumsumexp itself), so any order of derivative.
        x, out = ctx.saved_tensors
        d = ctx.dim
        if x.ndim == 0:
            return g
        lowest = float(np_finfo(g.array.dtype).min)
        log_g = g.abs().masked_fill(g == 0, 1.0).log()

        def part(mask):
            logs = log_g.masked_fill(~mask, lowest) - out
            rl = LogCumSumExp.apply(logs.flip(d), dim=d).flip(d)
            return (rl + x).exp()

        return part(g > 0) - part(g < 0)


def nansum(x: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """``sum`` with NaN counted as 0 (so NaN gets no gradient)."""
    x = x if dtype is None else x.to(dtype)
    if x.is_floating_point() and x.array.size:  # (empty: tensorgrad/kernels/where.py fails)
        x = x.masked_fill(x.isnan(), 0.0)
    return x.sum(dim, keepdim)


def nanmean(x: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """The mean of the values that are not NaN: ``nansum / count`` (NaN where none is left)."""
    if not x.is_floating_point():  # checked before the cast, as PyTorch
        raise RuntimeError(
            f"nanmean(): expected input to have floating point dtype but got {x.dtype}"
        )
    x = x if dtype is None else x.to(dtype)
    count = (~x.isnan()).sum(dim, keepdim)
    return nansum(x, dim, keepdim) / count.to(x.dtype)


aminmax_result = namedtuple("aminmax", ["min", "max"])


def aminmax(x: Tensor, *, dim=None, keepdim: bool = False):
    """``(min, max)`` (a named tuple) over ``dim`` (all elements when None): ``amin`` and
    ``amax``, each tie sharing its gradient evenly."""
    if dim is None:
        if x.array.size == 0:
            raise RuntimeError(
                f"aminmax(): cannot compute aminmax over an empty tensor of shape {x.shape}"
            )
        return aminmax_result(x.amin((), keepdim), x.amax((), keepdim))
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"aminmax(): dim must be an int or None, got {type(dim).__name__}")
    return aminmax_result(x.amin(dim, keepdim), x.amax(dim, keepdim))


def cum_extreme(x: Tensor, dim: int, name: str):
    """``cummax``/``cummin`` (``name``): ``(values, indices)``, the running max (min) along
    ``dim`` and where it was, the last index on ties; a NaN stays once met (at the latest
    NaN), as PyTorch. ``values = x.gather(dim, indices)``: the gradient flows to the index."""
    from .indexing import Gather

    dim = wrap_dim(dim, x.ndim)
    if x.ndim == 0:
        return values_indices(x.clone(), x.new_zeros((), dtype=np.int64))
    idx = Tensor._make(recorder.call(_cum_extreme_positions, x.array, dim, name == "cummax"))
    return values_indices(Gather.apply(x, idx, dim=dim), idx)


@recorder.pure
def _cum_extreme_positions(a, dim: int, largest: bool):
    """Position i is a record when a_i equals the running extreme there (a tie counts) or is
    NaN; the index at j is the latest record up to j."""
    xp = xp_of(a)
    record = a == running(xp.maximum if largest else xp.minimum, a, dim)
    if is_float(a.dtype):
        record |= xp.isnan(a)
    shape = [1] * a.ndim
    shape[dim] = a.shape[dim]
    pos = xp.arange(a.shape[dim], dtype=np.int64).reshape(shape)
    return running(xp.maximum, xp.where(record, pos, 0), dim)


def running(ufunc, a, axis: int):
    """``ufunc.accumulate(a, axis)``: out_0 = a_0, out_i = ufunc(out_{i-1}, a_i). CuPy's ufuncs
    may lack ``accumulate``; there it is a loop of one array op per step along ``axis``."""
    if xp_of(a) is np:
        return ufunc.accumulate(a, axis=axis)
    out = xp_of(a).moveaxis(a.copy(), axis, 0)  # a view of the copy: the loop writes through it
    for i in range(1, out.shape[0]):
        out[i] = ufunc(out[i - 1], out[i])
    return xp_of(a).moveaxis(out, 0, axis)


# ---------------------------------------------------------------------- without gradient


def arg_extreme(x: Tensor, dim, keepdim: bool, name: str) -> Tensor:
    """``argmax``/``argmin`` (``name``): int64 indices, no gradient; ``dim=None`` indexes the
    flattened tensor. The shapes are checked here; the indices come from ``_arg_extreme``
    through the recorder, so tg.compile replays them from each call's values."""
    if dim is None:
        if x.array.size == 0:
            raise RuntimeError(f"{name}(): cannot reduce an empty tensor")
    else:
        dim = wrap_dim(dim, x.ndim)
        if x.ndim and x.shape[dim] == 0:
            raise IndexError(f"{name}(): cannot reduce over dimension {dim} of size 0 ({x.shape})")
    return Tensor._make(recorder.call(_arg_extreme, x.array, dim, keepdim, name))


@recorder.pure
def _arg_extreme(a, dim, keepdim: bool, name: str):
    xp = xp_of(a)
    if dim is None:
        out = xp.asarray(getattr(xp, name)(a.reshape(-1)), dtype=np.int64)
        return out.reshape((1,) * a.ndim) if keepdim else out
    if a.ndim == 0:
        return xp.asarray(0, dtype=np.int64)
    return getattr(xp, name)(a, axis=dim, keepdims=keepdim).astype(np.int64)


class Cumprod(Op):
    saves_inputs = True
    saves_output = True

    def forward(ctx, x, dim=0):
        ctx.dim = dim
        if x.ndim == 0:
            return x.copy()
        return xp_of(x).cumprod(x, axis=dim, dtype=x.dtype)

    def backward(ctx, g):
        # y_j = prod_{k<=j} x_k, so dL/dx_i = sum_{j>=i} g_j prod_{k<=j, k!=i} x_k; without
        # zeros that is rcumsum(g y)_i / x_i (rcumsum: the cumulative sum from the end).
        # With zeros, let z be a slice's first zero. For i < z the terms j >= z hold the factor
        # x_z = 0: rcumsum(g y [j < z])_i / x_i. At z: (prod_{k<z} x_k) sum_{j>=z} g_j
        # prod_{z<k<=j} x_k. After z every term holds x_z: 0. That is exact to first order;
        # its derivative at a zero is not (it drops the terms through x_z). While tg.compile
        # records, the general form runs even without zeros (see Prod).
        x, y = ctx.saved_tensors
        d = ctx.dim
        if x.ndim == 0:
            return g
        zero = x == 0
        if recorder.ACTIVE is None and not bool(zero.any()):
            return _rcumsum(g * y, d) / x
        seen = zero.cumsum(d)  # zeros up to and including i
        before, first = seen == 0, zero & (seen == 1)
        x_before = x.masked_fill(~before, 1.0)
        y_before = Cumprod.apply(x_before, dim=d)
        grad_before = _rcumsum((g * y_before).masked_fill(~before, 0.0), d) / x_before
        p = y_before.narrow(d, x.shape[d] - 1, 1)  # prod_{k<z} x_k
        tail = Cumprod.apply(x.masked_fill(before | first, 1.0), dim=d)  # prod_{z<k<=j} x_k
        s = (g * tail).masked_fill(before, 0.0).sum(d, keepdim=True)
        return grad_before.where(before, (p * s).masked_fill(~first, 0.0))


def _rcumsum(x: Tensor, dim: int) -> Tensor:
    return x.flip(dim).cumsum(dim).flip(dim)


# ---------------------------------------------------------------------- composites


def var_mean(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=1):
    """``(input.var(...), input.mean(...))`` over the same dims, with ``var``'s overloads
    (``var_mean(x, unbiased)``, ``var_mean(x, dim, unbiased, keepdim)``, ``correction=``)."""
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    return input.var(dim, unbiased, keepdim, correction=correction), input.mean(dim, keepdim)


def std_mean(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=1):
    """``(input.std(...), input.mean(...))`` over the same dims; the overloads of
    ``var_mean``."""
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    return input.std(dim, unbiased, keepdim, correction=correction), input.mean(dim, keepdim)


def cov(input: Tensor, *, correction: int = 1, fweights=None, aweights=None) -> Tensor:
    """The covariance matrix of the variables in the rows of ``input`` (1-D: one variable),
    observations in the columns: with weights w = fweights * aweights (each optional),
    mean m = sum_j w_j x_j / sum(w) and norm N = sum(w) - correction (with aweights:
    sum(w) - correction * sum(w * aweights) / sum(w)),

        cov = (x - m) diag(w) (x - m)^T / N,

    squeezed (a 0-d tensor for one variable). N <= 0 warns and divides by 0, as PyTorch.
    ``fweights`` are integer repeat counts, ``aweights`` float importances; both differentiable
    compositions, so the gradient reaches ``input`` and ``aweights``."""
    if input.ndim > 2:
        raise RuntimeError(
            "cov(): expected input to have two or fewer dimensions but got an input with "
            f"{input.ndim} dimensions (shape {input.shape})"
        )
    x = input.reshape(1, -1) if input.ndim < 2 else input
    n = x.shape[1]
    w = None
    for name, weights, kinds in (("fweights", fweights, "iu"), ("aweights", aweights, "f")):
        if weights is None:
            continue
        if weights.ndim > 1:
            raise RuntimeError(
                f"cov(): expected {name} to have one or fewer dimensions but got {name} with "
                f"{weights.ndim} dimensions"
            )
        dt = weights.array.dtype
        if not (is_float(dt) if kinds == "f" else dt.kind in kinds):
            what = "integral" if kinds == "iu" else "floating point"
            raise RuntimeError(
                f"cov(): expected {name} to have {what} dtype but got {name} with "
                f"{weights.dtype} dtype"
            )
        if weights.numel() != n:
            raise RuntimeError(
                f"cov(): expected {name} to have the same numel as there are observations in "
                f"the input but got {weights.numel()} != {n}"
            )
        recorder.check(_check_nonnegative_weights, weights.array, name)
        w = weights if w is None else w * weights
    if w is None:
        w_sum, mean = n, x.sum(1) / n
    else:
        w_sum = w.sum()
        mean = (x * w).sum(1) / w_sum
    if w is not None and aweights is not None and correction != 0:
        norm = w_sum - correction * (w * aweights).sum() / w_sum
    else:
        norm = w_sum - correction
    if isinstance(norm, Tensor):
        recorder.check(_warn_dof, norm.array)
        norm = norm.clamp(min=0)  # 0 where N <= 0, as PyTorch's zero_()
    else:
        _warn_dof(norm)
        norm = max(norm, 0)
    xc = x - mean.unsqueeze(1)
    c = xc.matmul((xc if w is None else xc * w).t())
    return (c / norm).squeeze()


def _check_nonnegative_weights(w, name: str) -> None:
    if w.size and bool((w < 0).any()):
        raise RuntimeError(f"cov(): {name} cannot be negative")


def _warn_dof(norm) -> None:
    if norm <= 0:
        import warnings

        warnings.warn(
            "cov(): degrees of freedom is <= 0. Correction should be strictly less than the "
            "number of observations.",
            UserWarning,
            stacklevel=3,
        )


def corrcoef(input: Tensor) -> Tensor:
    """Pearson correlation coefficients of the rows of ``input`` (variables; columns are
    observations): R_ij = C_ij / sqrt(C_ii C_jj) for C = cov(input), clipped to [-1, 1];
    c / c (1, or NaN) for one variable."""
    c = cov(input)
    if c.ndim == 0:
        return c / c
    s = c.diagonal().sqrt()
    c = c / s.reshape(-1, 1)
    c = c / s.reshape(1, -1)
    return c.clamp(-1, 1)


# ---------------------------------------------------------------------- integration
# The trapezoidal rule along ``dim``, in PyTorch's arithmetic (Integration.cpp): with spacings
# dx_i = x_{i+1} - x_i, sum_i dx_i (y_i + y_{i+1}) / 2; with a constant dx,
# (sum_i y_i - (y_0 + y_{n-1}) / 2) dx. Compositions, so differentiable in y and x.


def _spacings(name: str, y: Tensor, x: Tensor, dim: int) -> Tensor:
    if x.array.dtype == np.bool_ or y.array.dtype == np.bool_:
        raise RuntimeError(
            f"{name}: received a bool input for `x` or `y`, but bool is not supported"
        )
    if x.ndim == 1:
        if x.shape[0] != y.shape[dim]:
            raise RuntimeError(f"{name}: There must be one `x` value for each sample point")
        x = x.reshape([x.shape[0] if d == dim else 1 for d in range(y.ndim)])
    elif x.ndim < y.ndim:
        x = x.reshape((1,) * (y.ndim - x.ndim) + x.shape)
    size = x.shape[dim]
    return x.narrow(dim, 1, size - 1) - x.narrow(dim, 0, size - 1)


def _integration_args(name: str, y: Tensor, x, dx, dim):
    if x is not None and dx is not None:
        raise TypeError(f"{name}(): give the sample points x or the spacing dx, not both")
    if y.ndim == 0:
        raise IndexError(f"{name}: Dimension specified as {dim} but tensor has no dimensions")
    dim = wrap_dim(dim, y.ndim)
    if x is not None and not isinstance(x, Tensor):
        raise TypeError(
            f"{name}(): x must be a Tensor of sample points, got {type(x).__name__} (a constant "
            "spacing is dx=...)"
        )
    if dx is not None and (isinstance(dx, (bool, complex)) or isinstance(dx, Tensor)):
        raise RuntimeError(f"{name}: Currently, we only support dx as a real number.")
    if y.array.dtype == np.bool_:
        raise RuntimeError(f"{name}: received a bool input for `y`, but bool is not supported")
    return x, (1.0 if dx is None else float(dx)), dim


def trapezoid(y: Tensor, x=None, *, dx=None, dim: int = -1) -> Tensor:
    """The integral of ``y`` along ``dim`` by the trapezoidal rule: over sample points ``x``
    (1-D along dim, or broadcastable to y), sum_i (x_{i+1} - x_i)(y_i + y_{i+1}) / 2; else with
    a constant spacing ``dx`` (1 by default), (sum_i y_i - (y_0 + y_{n-1}) / 2) dx. Zeros when
    dim has no samples."""
    x, dx, dim = _integration_args("trapezoid", y, x, dx, dim)
    n = y.shape[dim]
    if n == 0:
        return y.new_zeros(y.shape[:dim] + y.shape[dim + 1 :])
    if x is None:
        ends = y.narrow(dim, 0, 1).squeeze(dim) + y.narrow(dim, n - 1, 1).squeeze(dim)
        return (y.sum(dim) - ends * 0.5) * dx
    d = _spacings("trapezoid", y, x, dim)
    return (d * (y.narrow(dim, 1, n - 1) + y.narrow(dim, 0, n - 1))).sum(dim) / 2.0


def trapz(y: Tensor, x=None, *, dx=None, dim: int = -1) -> Tensor:
    """``trapezoid`` under its older name."""
    return trapezoid(y, x, dx=dx, dim=dim)


def cumulative_trapezoid(y: Tensor, x=None, *, dx=None, dim: int = -1) -> Tensor:
    """The running trapezoidal integral of ``y`` along ``dim``: out_k = sum_{i<=k}
    (x_{i+1} - x_i)(y_i + y_{i+1}) / 2 (spacing ``dx``, 1 by default, without ``x``); one
    element shorter than y along dim."""
    x, dx, dim = _integration_args("cumulative_trapezoid", y, x, dx, dim)
    n = y.shape[dim]
    left, right = y.narrow(dim, 0, max(n - 1, 0)), y.narrow(dim, min(1, n), max(n - 1, 0))
    if x is None:
        return (dx / 2.0 * (left + right)).cumsum(dim)
    d = _spacings("cumulative_trapezoid", y, x, dim)
    return (d * (left + right) / 2.0).cumsum(dim)
