"""Pooling: ``MaxPool1d/2d/3d``, ``AvgPool1d/2d/3d``, ``AdaptiveAvgPool1d/2d/3d``,
``AdaptiveMaxPool1d/2d/3d``, ``LPPool1d/2d/3d``, ``MaxUnpool1d/2d/3d`` and their functional
forms (with PyTorch's ``max_pool*_with_indices`` and ``adaptive_max_pool*_with_indices``).

Max pooling is the ``MaxPool`` primitive (tensorgrad/ops/conv.py): a running maximum over the
kernel offsets; its gradient, ``Unpool``, puts each output gradient at its window's first
maximum. Average pooling is the ``AvgPool`` primitive: the window sums over a divisor per
output position, computed here by PyTorch's rules; its gradient, ``AvgUnpool``, spreads each
output gradient over its window. Both take images with two or three spatial axes; 1-d pooling
is 2-d pooling over images of height 1.
Adaptive average pooling uses windows of varying size, ``[floor(i H / OH), ceil((i + 1) H /
OH))``, so it is one matrix product with an averaging matrix per axis, ``A_h x A_wᵀ`` in 2-d.
Adaptive max pooling gathers each (padded) window with an index, ``x[..., window]``, and picks
each window's first maximum with ``gather``, so its gradient is the gather's scatter-add.
Power-average pooling is average pooling of x^p, scaled by the window size, to the power 1/p;
max unpooling scatters each value into zeros at its index.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from .. import backend
from ..backend import is_float
from ..jit import recorder
from ..ops.conv import AvgPool, MaxPool, max_windows
from ..tensor import Tensor
from ._utils import ntuple
from .module import Module

__all__ = [
    "AdaptiveAvgPool1d",
    "AdaptiveAvgPool2d",
    "AdaptiveAvgPool3d",
    "AdaptiveMaxPool1d",
    "AdaptiveMaxPool2d",
    "AdaptiveMaxPool3d",
    "AvgPool1d",
    "AvgPool2d",
    "AvgPool3d",
    "LPPool1d",
    "LPPool2d",
    "LPPool3d",
    "MaxPool1d",
    "MaxPool2d",
    "MaxPool3d",
    "MaxUnpool1d",
    "MaxUnpool2d",
    "MaxUnpool3d",
]


def _pool_size(size, k, s, p, d, ceil_mode) -> int:
    """PyTorch's pooling output size: with ``ceil_mode`` a last partial window counts if it
    starts inside the input or its left padding."""
    n = size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)
    out = n // s + 1  # floor division, as PyTorch's div_rtn
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def _pool_geometry(op, x, kernel_size, stride, padding, dilation, ceil_mode, spatial):
    """Checked (kernel, stride, dilation, pads, output size) of a pooling op on ``x``."""
    kernel = ntuple(kernel_size, spatial, "kernel_size", op)
    stride = kernel if stride is None or stride == [] or stride == () else stride
    stride = ntuple(stride, spatial, "stride", op)
    padding = ntuple(padding, spatial, "padding", op)
    dilation = ntuple(dilation, spatial, "dilation", op)
    if any(k <= 0 for k in kernel):
        raise RuntimeError(f"{op}: kernel_size must be greater than zero, got {kernel}")
    if any(s <= 0 for s in stride):
        raise RuntimeError(f"{op}: stride should not be zero, got {stride}")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"{op}: dilation must be greater than zero, got {dilation}")
    for k, p in zip(kernel, padding):
        if p < 0 or p > k // 2:  # PyTorch: of the kernel, not of the dilated kernel
            raise RuntimeError(
                f"{op}: pad should be at most half of kernel size, but got padding={p} and "
                f"kernel_size={k}"
            )
    spatial_shape = x.shape[-spatial:]
    sizes = tuple(
        _pool_size(n, k, s, p, d, ceil_mode)
        for n, k, s, p, d in zip(spatial_shape, kernel, stride, padding, dilation)
    )
    if any(s < 1 for s in sizes):
        raise RuntimeError(
            f"{op}: given input of shape {x.shape}, the calculated output size {sizes} is too "
            f"small (kernel_size={kernel}, stride={stride}, padding={padding}, "
            f"dilation={dilation})"
        )
    # pad after by enough for the last (ceil_mode) window to fit
    pads = tuple(
        (p, max(p, (o - 1) * s + d * (k - 1) + 1 - n - p))
        for n, k, s, p, d, o in zip(spatial_shape, kernel, stride, padding, dilation, sizes)
    )
    return kernel, stride, dilation, pads, sizes


def _check_rank(op: str, input: Tensor, spatial: int) -> bool:
    """Returns True for unbatched input."""
    if input.ndim not in (spatial + 1, spatial + 2):
        raise RuntimeError(
            f"{op}: expected {spatial + 1}-D (unbatched) or {spatial + 2}-D (batched) input, got "
            f"input of shape {input.shape}"
        )
    if 0 in input.shape[-spatial - 1 :]:
        raise RuntimeError(
            f"{op}: expected input with non-zero channels and sizes, got {input.shape}"
        )
    return input.ndim == spatial + 1


def _as_images(x: Tensor, spatial: int, unbatched: bool) -> Tensor:
    """``x`` as the images the primitives take: batched, and 1-d signals as height-1 images."""
    if unbatched:
        x = x.unsqueeze(0)
    return x.unsqueeze(2) if spatial == 1 else x


def _from_images(y: Tensor, spatial: int, unbatched: bool) -> Tensor:
    if spatial == 1:
        y = y.squeeze(2)
    return y.squeeze(0) if unbatched else y


def _max_pool(
    op,
    spatial,
    input,
    kernel_size,
    stride,
    padding,
    dilation,
    ceil_mode,
    return_indices,
):
    unbatched = _check_rank(op, input, spatial)
    kernel, stride, dilation, pads, _ = _pool_geometry(
        op, input, kernel_size, stride, padding, dilation, ceil_mode, spatial
    )
    if spatial == 1:
        kernel, stride, dilation, pads = (1, *kernel), (1, *stride), (1, *dilation), ((0, 0), *pads)
    x = _as_images(input, spatial, unbatched)
    pooled = MaxPool.apply(x, kernel=kernel, stride=stride, dilation=dilation, pads=pads)
    out = _from_images(pooled, spatial, unbatched)
    if not return_indices:
        return out
    index = _argmax_index(x, kernel, stride, dilation, pads, pooled.grad_fn)
    return out, _from_images(index, spatial, unbatched)


def _argmax_index(x: Tensor, kernel, stride, dilation, pads, node) -> Tensor:
    """The flat index (``h W + w`` per image in 2-d, ``(d H + h) W + w`` in 3-d) of each
    window's maximum, as PyTorch's ``return_indices``: MaxPool's own choice, found again when no
    graph kept it. Computed through the recorder, so that tg.compile's replay computes it
    again."""
    if node is not None:
        offsets = node.index
    else:
        offsets = recorder.call(_max_offsets, x.array, kernel, stride, dilation, pads)
    size = tuple(x.shape[2:])
    return Tensor._make(
        recorder.call(_flat_positions, offsets, size, kernel, stride, dilation, pads)
    )


@recorder.pure
def _max_offsets(data, kernel, stride, dilation, pads):
    """Each window's kernel offset of its maximum, (C, N, ...) int8 or int32."""
    return max_windows(data, kernel, stride, dilation, pads)[1]


@recorder.pure
def _flat_positions(offsets, size, kernel, stride, dilation, pads):
    """(N, C, ...) int64: the flat position in an image of ``size`` of the element at kernel
    offset ``offsets`` (C, N, ...), row-major over the kernel, of each window."""
    xp = backend.xp_of(offsets)
    k = offsets.astype(np.int64)  # the offsets are int8: offset * dilation could overflow
    index, inner = 0, 1  # inner: the kernel offsets per step of this axis
    for axis in reversed(range(len(kernel))):
        n_out = k.shape[2 + axis]
        where = [1] * k.ndim
        where[2 + axis] = n_out
        start = xp.arange(n_out).reshape(where) * stride[axis] - pads[axis][0]
        position = start + (k // inner) % kernel[axis] * dilation[axis]
        index = index + position * math.prod(size[axis + 1 :])
        inner *= kernel[axis]
    return xp.ascontiguousarray(index.swapaxes(0, 1))


def max_pool2d(
    input: Tensor,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode: bool = False,
    return_indices: bool = False,
):
    """The maximum over each window of (N, C, H, W) or (C, H, W) input; padding is -inf."""
    return _max_pool(
        "max_pool2d", 2, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices
    )


def max_pool1d(
    input: Tensor,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode: bool = False,
    return_indices: bool = False,
):
    """The maximum over each window of (N, C, L) or (C, L) input; padding is -inf."""
    return _max_pool(
        "max_pool1d", 1, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices
    )


def max_pool3d(
    input: Tensor,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode: bool = False,
    return_indices: bool = False,
):
    """The maximum over each window of (N, C, D, H, W) or (C, D, H, W) input, padded with
    -inf: ``out[n, c, z, y, x] = max_(h, i, j) xpad[n, c, z sd + h dd, y sh + i dh, x sw + j
    dw]``; ``return_indices`` adds each maximum's flat index ``(d H + h) W + w``."""
    return _max_pool(
        "max_pool3d", 3, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices
    )


def max_pool1d_with_indices(
    input: Tensor,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> tuple:
    """``max_pool1d`` with its indices, always: ``(max over each window, index of each
    maximum)``, whatever ``return_indices`` says (PyTorch's signature)."""
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(
    input: Tensor,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> tuple:
    """``max_pool2d`` with its indices, always: ``(max over each window, flat index h W + w of
    each maximum)``, whatever ``return_indices`` says (PyTorch's signature)."""
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool3d_with_indices(
    input: Tensor,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> tuple:
    """``max_pool3d`` with its indices, always: ``(max over each window, flat index (d H + h)
    W + w of each maximum)``, whatever ``return_indices`` says (PyTorch's signature)."""
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def avg_pool2d(
    input: Tensor,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """The mean over each window: the ``AvgPool`` primitive, the window sums of the
    zero-padded input over PyTorch's divisor.

    The divisor is ``divisor_override`` if given, else the window's size clipped to the padded
    input (``count_include_pad``, only ceil-mode windows are clipped) or to the input itself.
    Floating-point input only (PyTorch also takes int64, with truncated quotients).
    """
    return _avg_pool(
        "avg_pool2d",
        2,
        input,
        kernel_size,
        stride,
        padding,
        ceil_mode,
        count_include_pad,
        divisor_override,
    )


def avg_pool1d(
    input: Tensor,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> Tensor:
    """The mean over each window of (N, C, L) or (C, L) input: ``avg_pool2d`` over images of
    height 1, with its divisor rules (``count_include_pad``, ceil-mode windows)."""
    return _avg_pool(
        "avg_pool1d", 1, input, kernel_size, stride, padding, ceil_mode, count_include_pad, None
    )


def avg_pool3d(
    input: Tensor,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """The mean over each window of (N, C, D, H, W) or (C, D, H, W) input: the window sums of
    the zero-padded input over ``avg_pool2d``'s divisor (``divisor_override``, else the
    window's volume clipped to the padded input or, without ``count_include_pad``, to the
    input)."""
    return _avg_pool(
        "avg_pool3d",
        3,
        input,
        kernel_size,
        stride,
        padding,
        ceil_mode,
        count_include_pad,
        divisor_override,
    )


def _avg_pool(
    op, spatial, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override
) -> Tensor:
    unbatched = _check_rank(op, input, spatial)
    kernel, stride, _, pads, sizes = _pool_geometry(
        op, input, kernel_size, stride, padding, 1, ceil_mode, spatial
    )
    if spatial == 1:
        kernel, stride, pads, sizes = (1, *kernel), (1, *stride), ((0, 0), *pads), (1, *sizes)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError(f"{op}: divisor must be not zero")
    dtype = input.array.dtype
    if not is_float(dtype):
        raise RuntimeError(f"{op}: expected a floating point input, got {dtype}")
    x = _as_images(input, spatial, unbatched)
    if divisor_override is not None:
        divisor = np.full(sizes, divisor_override, dtype=np.float64)
    else:
        divisor = _avg_divisor(x.shape[2:], kernel, stride, pads, sizes, count_include_pad)
    divisor = backend.xp_of(x.array).asarray(divisor, dtype=dtype)
    out = AvgPool.apply(x, divisor=divisor, kernel=kernel, stride=stride, pads=pads)
    return _from_images(out, spatial, unbatched)


def _avg_divisor(size, kernel, stride, pads, sizes, count_include_pad) -> np.ndarray:
    """(OH, OW) (or (OD, OH, OW)) window sizes: PyTorch clips each window to input + padding,
    then (without ``count_include_pad``) to the input."""
    counts = []
    for n, k, s, (p, _), o in zip(size, kernel, stride, pads, sizes):
        start = np.arange(o) * s - p
        end = np.minimum(start + k, n + p)
        if not count_include_pad:
            start, end = np.maximum(start, 0), np.minimum(end, n)
        counts.append(end - start)
    return functools.reduce(np.multiply.outer, counts).astype(np.float64)


def _output_size(op: str, output_size, input: Tensor, spatial: int) -> tuple:
    """The checked adaptive output size: an int or a ``spatial``-tuple whose Nones keep the
    input's size."""
    if isinstance(output_size, int) or output_size is None:
        output_size = (output_size,) * spatial
    output_size = tuple(output_size)
    if len(output_size) != spatial:
        raise ValueError(
            f"{op}: output_size must be an int or {spatial} ints, got {output_size} (input of "
            f"shape {input.shape})"
        )
    sizes = tuple(
        n if o is None else o for n, o in zip(input.shape[input.ndim - spatial :], output_size)
    )
    if any(o < 0 for o in sizes):
        raise RuntimeError(f"{op}: output_size must be non-negative, got {output_size}")
    return sizes


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """The mean over windows ``[floor(i H / OH), ceil((i + 1) H / OH))`` per axis:
    ``A_h @ x @ A_wᵀ`` with the averaging matrices A (OH, H) and A (OW, W)."""
    return _adaptive_avg_pool("adaptive_avg_pool2d", 2, input, output_size)


def adaptive_avg_pool1d(input: Tensor, output_size) -> Tensor:
    """The mean over windows ``[floor(i L / OL), ceil((i + 1) L / OL))`` of (N, C, L) or (C, L)
    input: ``x @ Aᵀ`` with the averaging matrix A (OL, L)."""
    return _adaptive_avg_pool("adaptive_avg_pool1d", 1, input, output_size)


def _adaptive_avg_pool(op: str, spatial: int, input: Tensor, output_size) -> Tensor:
    _check_rank(op, input, spatial)
    sizes = _output_size(op, output_size, input, spatial)
    if sizes == tuple(input.shape[-spatial:]):
        return input * 1.0  # a copy, as PyTorch's

    def averaging(out: int, size: int) -> Tensor:  # made through the recorder: see _window_table
        dtype, device = input.array.dtype, input.device
        return Tensor._make(recorder.call(_averaging_matrix, out, size, dtype, device))

    x = input
    for k in range(1, spatial + 1):  # axis -k: averaged by one matrix product
        n, o = x.shape[-k], sizes[-k]
        if o == n:
            continue
        if k == 1:
            x = x @ averaging(o, n).mT
        elif k == 2:
            x = averaging(o, n) @ x
        else:  # the depth axis: (..., D, H W) -> (..., OD, H W)
            lead, rest = x.shape[:-k], x.shape[x.ndim - k + 1 :]
            x = averaging(o, n) @ x.reshape(*lead, n, math.prod(rest))
            x = x.reshape(*lead, o, *rest)
    return x


def adaptive_avg_pool3d(input: Tensor, output_size) -> Tensor:
    """The mean over windows ``[floor(i D / OD), ceil((i + 1) D / OD))`` per axis of
    (N, C, D, H, W) or (C, D, H, W) input: one product with an averaging matrix A (OD, D),
    A (OH, H) and A (OW, W) per axis; ``output_size`` an int or a triple (None keeps the
    input's size)."""
    return _adaptive_avg_pool("adaptive_avg_pool3d", 3, input, output_size)


def adaptive_max_pool2d(input: Tensor, output_size, return_indices: bool = False):
    """The maximum over windows ``[floor(i H / OH), ceil((i + 1) H / OH))`` per axis of
    (N, C, H, W) or (C, H, W) input; ``return_indices`` adds each maximum's flat index
    ``h W + w``, as PyTorch's."""
    return _adaptive_max_pool("adaptive_max_pool2d", 2, input, output_size, return_indices)


def adaptive_max_pool1d(input: Tensor, output_size, return_indices: bool = False):
    """The maximum over windows ``[floor(i L / OL), ceil((i + 1) L / OL))`` of (N, C, L) or
    (C, L) input; ``return_indices`` adds each maximum's index."""
    return _adaptive_max_pool("adaptive_max_pool1d", 1, input, output_size, return_indices)


def adaptive_max_pool3d(input: Tensor, output_size, return_indices: bool = False):
    """The maximum over windows ``[floor(i D / OD), ceil((i + 1) D / OD))`` per axis of
    (N, C, D, H, W) or (C, D, H, W) input; ``return_indices`` adds each maximum's flat index
    ``(d H + h) W + w``, as PyTorch's."""
    return _adaptive_max_pool("adaptive_max_pool3d", 3, input, output_size, return_indices)


def adaptive_max_pool1d_with_indices(input: Tensor, output_size, return_indices: bool = False):
    """``adaptive_max_pool1d`` with its indices, always (PyTorch's signature)."""
    return adaptive_max_pool1d(input, output_size, True)


def adaptive_max_pool2d_with_indices(input: Tensor, output_size, return_indices: bool = False):
    """``adaptive_max_pool2d`` with its flat indices ``h W + w``, always (PyTorch's
    signature)."""
    return adaptive_max_pool2d(input, output_size, True)


def adaptive_max_pool3d_with_indices(input: Tensor, output_size, return_indices: bool = False):
    """``adaptive_max_pool3d`` with its flat indices ``(d H + h) W + w``, always (PyTorch's
    signature)."""
    return adaptive_max_pool3d(input, output_size, True)


def _adaptive_max_pool(op: str, spatial: int, input: Tensor, output_size, return_indices: bool):
    """Windows gathered as ``x_flat[..., table]``, ``table`` (O, K) holding the flat indices of
    the O windows in row-major order, short windows padded with their own last element (which
    can't change a maximum); ``gather`` at the first argmax picks PyTorch's element, NaN
    included, so the gradient goes to it alone."""
    _check_rank(op, input, spatial)
    sizes = _output_size(op, output_size, input, spatial)
    shape = tuple(input.shape[-spatial:])
    batch = tuple(input.shape[: input.ndim - spatial])
    # a constant of the shapes, made through the recorder, so that tg.compile's replay makes it
    # again instead of treating it as an array it cannot account for
    table = recorder.call(_window_table, shape, sizes, input.device)
    windows = input.reshape(*batch, -1).index_select(-1, Tensor._make(table).reshape(-1))
    windows = windows.reshape(*batch, *table.shape)
    first = windows.detach().argmax(-1, keepdim=True)
    out = windows.gather(-1, first).reshape(*batch, *sizes)
    if not return_indices:
        return out
    index = recorder.call(_window_index, table, first.array, (*batch, *sizes))
    return out, Tensor._make(index)


def _window_table(shape: tuple, sizes: tuple, device):
    """(O, K): the flat indices into ``shape`` of the O windows of an adaptive pool to
    ``sizes``, row-major, short windows padded with their own last element."""
    spatial = len(shape)
    strides = [int(np.prod(shape[a + 1 :])) for a in range(spatial)]
    table, window = np.zeros((), dtype=np.int64), 1
    for axis, (n, o) in enumerate(zip(shape, sizes)):
        i = np.arange(o)
        start, end = (i * n) // o, -((-(i + 1) * n) // o)
        k = int((end - start).max()) if o else 1
        idx = np.minimum(start[:, None] + np.arange(k), end[:, None] - 1) * strides[axis]
        where = [1] * (2 * spatial)
        where[axis], where[spatial + axis] = o, k  # (O_1, ..., O_s, K_1, ..., K_s)
        table, window = table + idx.reshape(where), window * k
    table = np.ascontiguousarray(table.reshape(int(np.prod(sizes)), window))
    return backend.to_device(table, device)


@recorder.pure
def _window_index(table, first, shape: tuple):
    """The flat input index of each window's first maximum: ``table[window, first]``."""
    xp = backend.xp_of(table)
    windows = xp.broadcast_to(table, (*first.shape[:-1], table.shape[1]))
    index = xp.take_along_axis(windows, first, -1)
    return xp.ascontiguousarray(index.reshape(shape))


def _averaging_matrix(out: int, size: int, dtype, device):
    """A (out, size): row i averages [floor(i size / out), ceil((i + 1) size / out))."""
    i = np.arange(out)
    start = (i * size) // out
    end = -((-(i + 1) * size) // out)
    j = np.arange(size)
    inside = (j >= start[:, None]) & (j < end[:, None])
    return backend.to_device((inside / (end - start)[:, None]).astype(dtype), device)


def lp_pool2d(
    input: Tensor, norm_type: float, kernel_size, stride=None, ceil_mode: bool = False
) -> Tensor:
    """The p-norm of each window, (sum x^p)^(1/p) with p = ``norm_type``, computed as PyTorch:
    ``avg_pool2d(x^p)`` times the window size (kh kw), to the power 1/p (negative sums are
    clamped to 0 first). p = inf is the max of |x|, p = -inf minus the max of -|x|."""
    return _lp_pool("lp_pool2d", 2, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool1d(
    input: Tensor, norm_type: float, kernel_size: int, stride=None, ceil_mode: bool = False
) -> Tensor:
    """The p-norm of each window of (N, C, L) or (C, L) input: ``lp_pool2d``'s formula with
    ``avg_pool1d``."""
    return _lp_pool("lp_pool1d", 1, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool3d(
    input: Tensor, norm_type: float, kernel_size, stride=None, ceil_mode: bool = False
) -> Tensor:
    """The p-norm of each window of (N, C, D, H, W) or (C, D, H, W) input, (sum x^p)^(1/p):
    ``avg_pool3d(x^p)`` times the window volume (kd kh kw), to the power 1/p, as PyTorch
    (negative sums clamped to 0 first; p = inf is the max of |x|)."""
    return _lp_pool("lp_pool3d", 3, input, norm_type, kernel_size, stride, ceil_mode)


def _lp_pool(op, spatial, input, norm_type, kernel_size, stride, ceil_mode) -> Tensor:
    max_pool = {1: max_pool1d, 2: max_pool2d, 3: max_pool3d}[spatial]
    if norm_type == float("inf"):
        return max_pool(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if norm_type == -float("inf"):
        return -max_pool(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    kernel = ntuple(kernel_size, spatial, "kernel_size", op)
    out = _avg_pool(op, spatial, input.pow(norm_type), kernel, stride, 0, ceil_mode, True, None)
    # sign(out) relu(|out|), PyTorch's way of zeroing negative sums (with its gradient)
    area = int(np.prod(kernel))
    return (out.sign() * out.abs().relu() * area).pow(1.0 / norm_type)


def max_unpool2d(
    input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0, output_size=None
) -> Tensor:
    """A partial inverse of ``max_pool2d``: zeros of the unpooled size with each value of
    ``input`` (N, C, H, W) or (C, H, W) written at its flat index ``h W_out + w`` from
    ``indices`` (``max_pool2d(..., return_indices=True)``'s second output). Default size per
    axis: (H - 1) stride - 2 padding + kernel; ``output_size`` picks another within a stride.
    Its gradient gathers at the indices (repeated indices: the value written is one of
    them, as PyTorch, which leaves it undefined)."""
    return _max_unpool("max_unpool2d", 2, input, indices, kernel_size, stride, padding, output_size)


def max_unpool1d(
    input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0, output_size=None
) -> Tensor:
    """A partial inverse of ``max_pool1d`` on (N, C, L) or (C, L) input (see
    ``max_unpool2d``)."""
    return _max_unpool("max_unpool1d", 1, input, indices, kernel_size, stride, padding, output_size)


def max_unpool3d(
    input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0, output_size=None
) -> Tensor:
    """A partial inverse of ``max_pool3d`` on (N, C, D, H, W) or (C, D, H, W) input: zeros of
    the unpooled size with each value written at its flat index ``(d H_out + h) W_out + w``
    (see ``max_unpool2d``)."""
    return _max_unpool("max_unpool3d", 3, input, indices, kernel_size, stride, padding, output_size)


def _max_unpool(op, spatial, input, indices, kernel_size, stride, padding, output_size):
    if input.ndim not in (spatial + 1, spatial + 2):
        raise RuntimeError(
            f"{op}: expected {spatial + 1}-D (unbatched) or {spatial + 2}-D (batched) input, got "
            f"input of shape {input.shape}"
        )
    if not isinstance(indices, Tensor) or indices.array.dtype.kind not in "iu":
        kind = indices.dtype if isinstance(indices, Tensor) else type(indices).__name__
        raise RuntimeError(f"{op}: expected indices of an integer dtype (int64), got {kind}")
    if indices.shape != input.shape:
        raise RuntimeError(
            f"{op}: expected indices of the input's shape {input.shape}, got {indices.shape}"
        )
    kernel = ntuple(kernel_size, spatial, "kernel_size", op)
    stride = kernel if stride is None or stride == [] or stride == () else stride
    stride = ntuple(stride, spatial, "stride", op)
    padding = ntuple(padding, spatial, "padding", op)
    size = _unpool_size(op, input, kernel, stride, padding, output_size)
    if any(n < 0 for n in size):
        raise RuntimeError(
            f"{op}: the output size {size} is negative (input of shape {input.shape})"
        )
    lead = input.shape[: input.ndim - spatial]
    area = int(np.prod(size))
    flat_index = indices.reshape(*lead, -1)
    recorder.check(_check_unpool_index, flat_index.array, area, size, op)
    out = input.new_zeros((*lead, area)).scatter(-1, flat_index, input.reshape(*lead, -1))
    return out.reshape(*lead, *size)


def _unpool_size(op, input, kernel, stride, padding, output_size) -> tuple:
    """PyTorch's ``_unpool_output_size``: the default, or ``output_size`` (its last
    ``len(kernel)`` entries) strictly within a stride of it."""
    n = len(kernel)
    default = tuple(
        (input.shape[-n + d] - 1) * stride[d] + kernel[d] - 2 * padding[d] for d in range(n)
    )
    if output_size is None:
        return default
    output_size = tuple(output_size)
    if len(output_size) == n + 2:
        output_size = output_size[2:]
    if len(output_size) != n:
        raise ValueError(
            f"{op}: output_size should be a sequence containing {n} or {n + 2} elements, but it "
            f"has a length of '{len(output_size)}'"
        )
    for d in range(n):
        lo, hi = default[d] - stride[d], default[d] + stride[d]
        if not lo < output_size[d] < hi:
            raise ValueError(
                f'{op}: invalid output_size "{output_size}" (dim {d} must be between {lo} and '
                f"{hi}) for input of shape {input.shape}"
            )
    return tuple(int(v) for v in output_size)


def _check_unpool_index(index, area: int, size: tuple, op: str) -> None:
    if index.size and (int(index.min()) < 0 or int(index.max()) >= area):
        bad = int(index.min()) if int(index.min()) < 0 else int(index.max())
        raise RuntimeError(
            f"{op}: found an invalid max index {bad} (output volumes are of size {size}, so "
            f"indices are in [0, {area}))"
        )


# ------------------------------------------------------------------------------------ modules


class _MaxPoolNd(Module):
    def __init__(
        self,
        kernel_size,
        stride=None,
        padding=0,
        dilation=1,
        return_indices: bool = False,
        ceil_mode: bool = False,
    ) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if (stride is not None) else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
            f"dilation={self.dilation}, ceil_mode={self.ceil_mode}"
        )

    _pool = None  # max_pool1d, max_pool2d or max_pool3d

    def forward(self, input: Tensor):
        return type(self)._pool(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.dilation,
            self.ceil_mode,
            self.return_indices,
        )


class MaxPool1d(_MaxPoolNd):
    """``max_pool1d`` as a layer; ``stride`` defaults to ``kernel_size``."""

    _pool = staticmethod(max_pool1d)


class MaxPool2d(_MaxPoolNd):
    """``max_pool2d`` as a layer; ``stride`` defaults to ``kernel_size``."""

    _pool = staticmethod(max_pool2d)


class MaxPool3d(_MaxPoolNd):
    """``max_pool3d`` as a layer; ``stride`` defaults to ``kernel_size``."""

    _pool = staticmethod(max_pool3d)


class _AvgPoolNd(Module):
    """What the average pooling layers share (PyTorch's ``_AvgPoolNd``): ``extra_repr``."""

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class _AvgPool(_AvgPoolNd):
    """AvgPool2d and AvgPool3d: PyTorch's constructor (sizes kept as given) and ``forward``."""

    _pool = None  # avg_pool2d or avg_pool3d

    def __init__(
        self,
        kernel_size,
        stride=None,
        padding=0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        divisor_override: int | None = None,
    ) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if (stride is not None) else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input: Tensor) -> Tensor:
        return type(self)._pool(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
            self.divisor_override,
        )


class AvgPool2d(_AvgPool):
    """``avg_pool2d`` as a layer; ``stride`` defaults to ``kernel_size``."""

    _pool = staticmethod(avg_pool2d)


class AvgPool3d(_AvgPool):
    """``avg_pool3d`` as a layer; ``stride`` defaults to ``kernel_size``."""

    _pool = staticmethod(avg_pool3d)


class AvgPool1d(_AvgPoolNd):
    """``avg_pool1d`` as a layer; ``stride`` defaults to ``kernel_size``. The sizes are kept
    as 1-tuples, as PyTorch's."""

    def __init__(
        self,
        kernel_size,
        stride=None,
        padding=0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
    ) -> None:
        super().__init__()
        self.kernel_size = ntuple(kernel_size, 1, "kernel_size", "AvgPool1d")
        stride = kernel_size if stride is None or stride == [] or stride == () else stride
        self.stride = ntuple(stride, 1, "stride", "AvgPool1d")
        self.padding = ntuple(padding, 1, "padding", "AvgPool1d")
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad

    def forward(self, input: Tensor) -> Tensor:
        return avg_pool1d(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
        )


class _AdaptiveAvgPoolNd(Module):
    """What the adaptive average pooling layers share (PyTorch's ``_AdaptiveAvgPoolNd``):
    ``output_size``, an int or a tuple (None keeps the input's size)."""

    _pool = None  # adaptive_avg_pool1d, 2d or 3d

    def __init__(self, output_size) -> None:
        super().__init__()
        self.output_size = output_size

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"

    def forward(self, input: Tensor) -> Tensor:
        return type(self)._pool(input, self.output_size)


class AdaptiveAvgPool1d(_AdaptiveAvgPoolNd):
    """``adaptive_avg_pool1d`` as a layer: ``output_size`` an int."""

    _pool = staticmethod(adaptive_avg_pool1d)


class AdaptiveAvgPool2d(_AdaptiveAvgPoolNd):
    """``adaptive_avg_pool2d`` as a layer: ``output_size`` an int or a pair (None keeps the
    input's size)."""

    _pool = staticmethod(adaptive_avg_pool2d)


class AdaptiveAvgPool3d(_AdaptiveAvgPoolNd):
    """``adaptive_avg_pool3d`` as a layer: ``output_size`` an int or a triple (None keeps the
    input's size)."""

    _pool = staticmethod(adaptive_avg_pool3d)


class _AdaptiveMaxPoolNd(Module):
    _pool = None  # adaptive_max_pool1d, 2d or 3d

    def __init__(self, output_size, return_indices: bool = False) -> None:
        super().__init__()
        self.output_size, self.return_indices = output_size, return_indices

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"

    def forward(self, input: Tensor):
        return type(self)._pool(input, self.output_size, self.return_indices)


class AdaptiveMaxPool1d(_AdaptiveMaxPoolNd):
    """``adaptive_max_pool1d`` as a layer; ``return_indices`` also returns the indices."""

    _pool = staticmethod(adaptive_max_pool1d)


class AdaptiveMaxPool2d(_AdaptiveMaxPoolNd):
    """``adaptive_max_pool2d`` as a layer: ``output_size`` an int or a pair (None keeps the
    input's size); ``return_indices`` also returns the flat indices."""

    _pool = staticmethod(adaptive_max_pool2d)


class AdaptiveMaxPool3d(_AdaptiveMaxPoolNd):
    """``adaptive_max_pool3d`` as a layer: ``output_size`` an int or a triple (None keeps the
    input's size); ``return_indices`` also returns the flat indices."""

    _pool = staticmethod(adaptive_max_pool3d)


class _LPPoolNd(Module):
    _pool = None  # lp_pool1d, 2d or 3d

    def __init__(self, norm_type: float, kernel_size, stride=None, ceil_mode: bool = False) -> None:
        super().__init__()
        self.norm_type, self.kernel_size = norm_type, kernel_size
        self.stride, self.ceil_mode = stride, ceil_mode

    def extra_repr(self) -> str:
        return (
            f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, stride={self.stride}, "
            f"ceil_mode={self.ceil_mode}"
        )

    def forward(self, input: Tensor) -> Tensor:
        pool = type(self)._pool
        return pool(input, self.norm_type, self.kernel_size, self.stride, self.ceil_mode)


class LPPool1d(_LPPoolNd):
    """``lp_pool1d`` as a layer: the p-norm of each window."""

    _pool = staticmethod(lp_pool1d)


class LPPool2d(_LPPoolNd):
    """``lp_pool2d`` as a layer: the p-norm of each window."""

    _pool = staticmethod(lp_pool2d)


class LPPool3d(_LPPoolNd):
    """``lp_pool3d`` as a layer: the p-norm of each window."""

    _pool = staticmethod(lp_pool3d)


class _MaxUnpoolNd(Module):
    _spatial = 2
    _unpool = None  # max_unpool1d, 2d or 3d

    def __init__(self, kernel_size, stride=None, padding=0) -> None:
        super().__init__()
        name, n = type(self).__name__, self._spatial
        self.kernel_size = ntuple(kernel_size, n, "kernel_size", name)
        self.stride = ntuple(stride if stride is not None else kernel_size, n, "stride", name)
        self.padding = ntuple(padding, n, "padding", name)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"

    def forward(self, input: Tensor, indices: Tensor, output_size=None) -> Tensor:
        return type(self)._unpool(
            input, indices, self.kernel_size, self.stride, self.padding, output_size
        )


class MaxUnpool1d(_MaxUnpoolNd):
    """``max_unpool1d`` as a layer: ``layer(input, indices, output_size=None)``."""

    _spatial = 1
    _unpool = staticmethod(max_unpool1d)


class MaxUnpool2d(_MaxUnpoolNd):
    """``max_unpool2d`` as a layer: ``layer(input, indices, output_size=None)``."""

    _unpool = staticmethod(max_unpool2d)


class MaxUnpool3d(_MaxUnpoolNd):
    """``max_unpool3d`` as a layer: ``layer(input, indices, output_size=None)``."""

    _spatial = 3
    _unpool = staticmethod(max_unpool3d)
