"""Pooling: ``MaxPool1d``, ``MaxPool2d``, ``AvgPool2d``, ``AdaptiveAvgPool2d`` and their
functional forms.

Max pooling is the ``MaxPool`` primitive (tensorgrad/ops/conv.py): a running maximum over the
kernel offsets; its gradient, ``Unpool``, puts each output gradient at its window's first
maximum. Average pooling is the ``AvgPool`` primitive: the window sums over a divisor per
output position, computed here by PyTorch's rules; its gradient, ``AvgUnpool``, spreads each
output gradient over its window.
Adaptive average pooling uses windows of varying size, ``[floor(i H / OH), ceil((i + 1) H /
OH))``, so it is two matrix products with averaging matrices, ``A_h x A_wᵀ``. 1-d pooling is
2-d pooling over images of height 1.
"""

from __future__ import annotations

import numpy as np

from .. import backend
from ..ops.conv import AvgPool, MaxPool, max_windows
from ..tensor import Tensor
from ._utils import ntuple
from .module import Module

__all__ = ["AdaptiveAvgPool2d", "AvgPool2d", "MaxPool1d", "MaxPool2d"]


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


def _as_4d(x: Tensor, spatial: int, unbatched: bool) -> Tensor:
    if unbatched:
        x = x.unsqueeze(0)
    return x.unsqueeze(2) if spatial == 1 else x


def _from_4d(y: Tensor, spatial: int, unbatched: bool) -> Tensor:
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
    x = _as_4d(input, spatial, unbatched)
    pooled = MaxPool.apply(x, kernel=kernel, stride=stride, dilation=dilation, pads=pads)
    out = _from_4d(pooled, spatial, unbatched)
    if not return_indices:
        return out
    index = _argmax_index(x, kernel, stride, dilation, pads, pooled.grad_fn)
    return out, _from_4d(index, spatial, unbatched)


def _argmax_index(x: Tensor, kernel, stride, dilation, pads, node) -> Tensor:
    """The flat index (row * W + column, per image) of each window's maximum, as PyTorch's
    ``return_indices``: MaxPool's own choice, found again when no graph kept it."""
    data = x.array
    xp = backend.xp_of(data)
    k = node.index if node is not None else max_windows(data, kernel, stride, dilation, pads)[1]
    k = k.astype(np.int64)  # the offsets are int8: offset * dilation could overflow
    kw = kernel[1]
    oh, ow = k.shape[2:]
    rows = xp.arange(oh).reshape(1, 1, oh, 1) * stride[0] - pads[0][0] + (k // kw) * dilation[0]
    cols = xp.arange(ow).reshape(1, 1, 1, ow) * stride[1] - pads[1][0] + (k % kw) * dilation[1]
    index = (rows * x.shape[3] + cols).transpose(1, 0, 2, 3)
    return Tensor._make(xp.ascontiguousarray(index))


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
    op = "avg_pool2d"
    unbatched = _check_rank(op, input, 2)
    kernel, stride, _, pads, sizes = _pool_geometry(
        op, input, kernel_size, stride, padding, 1, ceil_mode, 2
    )
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError(f"{op}: divisor must be not zero")
    dtype = input.array.dtype
    if dtype.kind != "f":
        raise RuntimeError(f"{op}: expected a floating point input, got {dtype}")
    x = _as_4d(input, 2, unbatched)
    if divisor_override is not None:
        divisor = np.full(sizes, divisor_override, dtype=np.float64)
    else:
        divisor = _avg_divisor(x.shape[2:], kernel, stride, pads, sizes, count_include_pad)
    divisor = backend.xp_of(x.array).asarray(divisor, dtype=dtype)
    out = AvgPool.apply(x, divisor=divisor, kernel=kernel, stride=stride, pads=pads)
    return out.squeeze(0) if unbatched else out


def _avg_divisor(size, kernel, stride, pads, sizes, count_include_pad) -> np.ndarray:
    """(OH, OW) window sizes: PyTorch clips each window to input + padding, then (without
    ``count_include_pad``) to the input."""
    counts = []
    for n, k, s, (p, _), o in zip(size, kernel, stride, pads, sizes):
        start = np.arange(o) * s - p
        end = np.minimum(start + k, n + p)
        if not count_include_pad:
            start, end = np.maximum(start, 0), np.minimum(end, n)
        counts.append(end - start)
    return np.outer(counts[0], counts[1]).astype(np.float64)


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """The mean over windows ``[floor(i H / OH), ceil((i + 1) H / OH))`` per axis:
    ``A_h @ x @ A_wᵀ`` with the averaging matrices A (OH, H) and A (OW, W)."""
    op = "adaptive_avg_pool2d"
    _check_rank(op, input, 2)
    if isinstance(output_size, int) or output_size is None:
        output_size = (output_size, output_size)
    output_size = tuple(output_size)
    if len(output_size) != 2:
        raise ValueError(f"{op}: output_size must be an int or a pair, got {output_size}")
    h, w = input.shape[-2:]
    oh, ow = (
        h if output_size[0] is None else output_size[0],
        w if output_size[1] is None else output_size[1],
    )
    if oh < 0 or ow < 0:
        raise RuntimeError(f"{op}: output_size must be non-negative, got {output_size}")
    if (oh, ow) == (h, w):
        return input * 1.0  # a copy, as PyTorch's
    xp = backend.xp_of(input.array)

    def averaging(out: int, size: int) -> Tensor:
        return Tensor._make(xp.asarray(_averaging_matrix(out, size), dtype=input.array.dtype))

    x = input
    if ow != w:
        x = x @ averaging(ow, w).mT
    if oh != h:
        x = averaging(oh, h) @ x
    return x


def _averaging_matrix(out: int, size: int) -> np.ndarray:
    """A (out, size): row i averages [floor(i size / out), ceil((i + 1) size / out))."""
    i = np.arange(out)
    start = (i * size) // out
    end = -((-(i + 1) * size) // out)
    j = np.arange(size)
    inside = (j >= start[:, None]) & (j < end[:, None])
    return inside / (end - start)[:, None]


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


class MaxPool1d(_MaxPoolNd):
    """``max_pool1d`` as a layer; ``stride`` defaults to ``kernel_size``."""

    def forward(self, input: Tensor):
        return max_pool1d(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.dilation,
            self.ceil_mode,
            self.return_indices,
        )


class MaxPool2d(_MaxPoolNd):
    """``max_pool2d`` as a layer; ``stride`` defaults to ``kernel_size``."""

    def forward(self, input: Tensor):
        return max_pool2d(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.dilation,
            self.ceil_mode,
            self.return_indices,
        )


class AvgPool2d(Module):
    """``avg_pool2d`` as a layer; ``stride`` defaults to ``kernel_size``."""

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

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"

    def forward(self, input: Tensor) -> Tensor:
        return avg_pool2d(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
            self.divisor_override,
        )


class AdaptiveAvgPool2d(Module):
    """``adaptive_avg_pool2d`` as a layer: ``output_size`` an int or a pair (None keeps the
    input's size)."""

    def __init__(self, output_size) -> None:
        super().__init__()
        self.output_size = output_size

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"

    def forward(self, input: Tensor) -> Tensor:
        return adaptive_avg_pool2d(input, self.output_size)
