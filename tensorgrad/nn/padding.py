"""``pad``: PyTorch's ``F.pad`` (constant, reflect, replicate and circular padding), and the
padding layers ``ZeroPad1d/2d/3d``, ``ConstantPad1d/2d/3d``, ``ReflectionPad1d/2d/3d``,
``ReplicationPad1d/2d/3d`` and ``CircularPad1d/2d/3d``, which call it with their padding."""

from __future__ import annotations

import numpy as np

from .. import backend
from ..ops.movement import ConstantPad
from ..tensor import Tensor
from .module import Module

__all__ = [
    "CircularPad1d",
    "CircularPad2d",
    "CircularPad3d",
    "ConstantPad1d",
    "ConstantPad2d",
    "ConstantPad3d",
    "ReflectionPad1d",
    "ReflectionPad2d",
    "ReflectionPad3d",
    "ReplicationPad1d",
    "ReplicationPad2d",
    "ReplicationPad3d",
    "ZeroPad1d",
    "ZeroPad2d",
    "ZeroPad3d",
]


def pad(input: Tensor, pad: tuple, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad the last len(pad)/2 dimensions: pad = (last_left, last_right, prev_left, ...).

    Negative widths crop. 'reflect', 'replicate' and 'circular' gather edge elements with an
    index, so their gradients add up where an element is used more than once.
    """
    if len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise ValueError(
            f"pad: length {len(pad)} must be even and at most 2 * ndim for a tensor of shape "
            f"{input.shape}"
        )
    widths = [(0, 0)] * input.ndim
    for i in range(len(pad) // 2):
        widths[input.ndim - 1 - i] = (int(pad[2 * i]), int(pad[2 * i + 1]))
    if mode == "constant":
        crop = tuple(slice(max(-b, 0), n - max(-a, 0)) for (b, a), n in zip(widths, input.shape))
        x = input[crop] if any(b < 0 or a < 0 for b, a in widths) else input
        grow = tuple((max(b, 0), max(a, 0)) for b, a in widths)
        if not any(b or a for b, a in grow):
            return x
        return ConstantPad.apply(x, widths=grow, value=0.0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise ValueError(
            f"pad: mode must be constant, reflect, replicate or circular, got {mode!r}"
        )
    k = len(pad) // 2
    if k not in (1, 2, 3) or input.ndim not in (k + 1, k + 2):
        raise NotImplementedError(  # PyTorch's rule: k padded dims, a channel and a batch dim
            f"pad: padding size {len(pad)} is not supported for {mode} padding of a "
            f"{input.ndim}D input tensor of shape {input.shape}; supported: a 2D or 3D input "
            "with padding size 2, 3D or 4D with 4, 4D or 5D with 6"
        )
    out = input
    for d, (b, a) in enumerate(widths):
        if b == 0 and a == 0:
            continue
        n = input.shape[d]
        idx = np.arange(-b, n + a)
        if mode == "reflect":
            if b >= n or a >= n:
                raise ValueError(f"pad: reflect padding ({b}, {a}) must be < dimension size {n}")
            period = 2 * (n - 1)
            idx = np.abs((idx + period) % period) if n > 1 else np.zeros_like(idx)
            idx = np.where(idx >= n, period - idx, idx)
        elif mode == "replicate":
            idx = np.clip(idx, 0, n - 1)
        else:  # PyTorch crops the negative widths first, then wraps around what is left
            lo, m = max(-b, 0), n - max(-b, 0) - max(-a, 0)
            if b > m or a > m:
                raise ValueError(f"pad: circular padding ({b}, {a}) must be <= dimension size {n}")
            idx = lo + np.arange(-max(b, 0), m + max(a, 0)) % m
        out = out.index_select(d, Tensor._make(backend.to_device(idx, input.device)))
    return out


# ---------------------------------------------------------------------------------- layers


def _padding(padding, n: int) -> tuple:
    """An int repeated ``2 n`` times, or the given widths as a tuple (as PyTorch's ``_ntuple``,
    which leaves a sequence's length to ``pad`` to check)."""
    return tuple(padding) if isinstance(padding, (list, tuple)) else (padding,) * (2 * n)


class _PadNd(Module):
    """Pads the last ``n`` dimensions by ``padding`` (an int for every side, or
    ``(left, right, top, bottom, front, back)`` up to ``2 n`` values) in ``mode``."""

    n: int = 1
    mode: str = "constant"

    def __init__(self, padding) -> None:
        super().__init__()
        self.padding = _padding(padding, self.n)

    def forward(self, input: Tensor) -> Tensor:
        return pad(input, self.padding, self.mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding, value: float) -> None:
        super().__init__(padding)
        self.value = value

    def forward(self, input: Tensor) -> Tensor:
        return pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pads the last dimension with ``value``: (*, L) -> (*, L + left + right)."""

    n = 1


class ConstantPad2d(_ConstantPadNd):
    """Pads the last 2 dimensions with ``value``: (*, H, W) -> (*, H + top + bottom,
    W + left + right)."""

    n = 2


class ConstantPad3d(_ConstantPadNd):
    """Pads the last 3 dimensions with ``value``."""

    n = 3


class _ZeroPadNd(_ConstantPadNd):
    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad1d(_ZeroPadNd):
    """Pads the last dimension with zeros."""

    n = 1


class ZeroPad2d(_ZeroPadNd):
    """Pads the last 2 dimensions with zeros."""

    n = 2


class ZeroPad3d(_ZeroPadNd):
    """Pads the last 3 dimensions with zeros."""

    n = 3


class ReflectionPad1d(_PadNd):
    """Pads the last dimension of (N, C, L) or (C, L) input with its reflection at the edge
    (not repeating the edge element): each width must be less than L."""

    n, mode = 1, "reflect"


class ReflectionPad2d(_PadNd):
    """Pads the last 2 dimensions of (N, C, H, W) or (C, H, W) input by reflection."""

    n, mode = 2, "reflect"


class ReflectionPad3d(_PadNd):
    """Pads the last 3 dimensions of (N, C, D, H, W) or (C, D, H, W) input by reflection."""

    n, mode = 3, "reflect"


class ReplicationPad1d(_PadNd):
    """Pads the last dimension of (N, C, L) or (C, L) input with copies of the edge element."""

    n, mode = 1, "replicate"


class ReplicationPad2d(_PadNd):
    """Pads the last 2 dimensions of (N, C, H, W) or (C, H, W) input with the edge values."""

    n, mode = 2, "replicate"


class ReplicationPad3d(_PadNd):
    """Pads the last 3 dimensions of (N, C, D, H, W) or (C, D, H, W) input with the edge
    values."""

    n, mode = 3, "replicate"


class _CircularPadNd(_PadNd):
    mode = "circular"

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim not in (self.n + 1, self.n + 2):
            raise ValueError(
                f"{type(self).__name__}: expected {self.n + 1}D or {self.n + 2}D input (got "
                f"{input.ndim}D input of shape {input.shape})"
            )
        return pad(input, self.padding, "circular")


class CircularPad1d(_CircularPadNd):
    """Pads the last dimension of (N, C, L) or (C, L) input by wrapping around: the left
    padding is the end of the row, the right padding its start."""

    n = 1


class CircularPad2d(_CircularPadNd):
    """Pads the last 2 dimensions of (N, C, H, W) or (C, H, W) input by wrapping around."""

    n = 2


class CircularPad3d(_CircularPadNd):
    """Pads the last 3 dimensions of (N, C, D, H, W) or (C, D, H, W) input by wrapping
    around."""

    n = 3
