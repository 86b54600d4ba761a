"""``pixel_shuffle``, ``pixel_unshuffle``, ``channel_shuffle`` and their layers.

Each is a reshape, a permutation and a reshape, so its gradient is the inverse permutation:

* pixel shuffle, (*, C r², H, W) -> (*, C, H r, W r): ``y[c, h r + i, w r + j] =
  x[c r² + i r + j, h, w]``, the sub-pixel convolution's rearrangement;
* pixel unshuffle, its inverse;
* channel shuffle, (N, C, *) with C = g k: channel ``i k + j`` moves to ``j g + i``
  (ShuffleNet), a transpose of the (g, k) channel grid.
"""

from __future__ import annotations

import operator

from ..tensor import Tensor
from .module import Module

__all__ = ["ChannelShuffle", "PixelShuffle", "PixelUnshuffle"]


def _factor(op: str, factor, name: str) -> int:
    factor = operator.index(factor)
    if factor <= 0:
        raise RuntimeError(f"{op} expects a positive {name}, but got {factor}")
    return factor


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """(*, C r², H, W) -> (*, C, H r, W r) with r = ``upscale_factor``: each group of r²
    channels becomes an r x r block of pixels."""
    op = "pixel_shuffle"
    r = _factor(op, upscale_factor, "upscale_factor")
    if input.ndim < 3:
        raise RuntimeError(
            f"{op} expects input to have at least 3 dimensions, but got input of shape "
            f"{input.shape}"
        )
    *batch, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(
            f"{op} expects its input's 'channel' dimension to be divisible by the square of "
            f"upscale_factor, but input.size(-3)={c} is not divisible by {r * r} (input of "
            f"shape {input.shape})"
        )
    b = len(batch)
    x = input.reshape(*batch, c // (r * r), r, r, h, w)
    x = x.permute(*range(b), b, b + 3, b + 1, b + 4, b + 2)  # (*, C, H, r, W, r)
    return x.reshape(*batch, c // (r * r), h * r, w * r)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """(*, C, H r, W r) -> (*, C r², H, W) with r = ``downscale_factor``: the inverse of
    ``pixel_shuffle``."""
    op = "pixel_unshuffle"
    r = _factor(op, downscale_factor, "downscale_factor")
    if input.ndim < 3:
        raise RuntimeError(
            f"{op} expects input to have at least 3 dimensions, but got input of shape "
            f"{input.shape}"
        )
    *batch, c, h, w = input.shape
    for what, n, dim in (("height", h, -2), ("width", w, -1)):
        if n % r:
            raise RuntimeError(
                f"{op} expects {what} to be divisible by downscale_factor, but "
                f"input.size({dim})={n} is not divisible by {r} (input of shape {input.shape})"
            )
    b = len(batch)
    x = input.reshape(*batch, c, h // r, r, w // r, r)
    x = x.permute(*range(b), b, b + 2, b + 4, b + 1, b + 3)  # (*, C, r, r, H, W)
    return x.reshape(*batch, c * r * r, h // r, w // r)


def channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """Split the C channels of (N, C, *) input into ``groups`` groups of C/groups and
    interleave them: the channels read as a (groups, C/groups) grid, transposed."""
    op = "channel_shuffle"
    groups = operator.index(groups)
    if input.ndim <= 2:
        raise RuntimeError(
            f"{op} expects input with > 2 dims, but got input of shape {input.shape}"
        )
    if groups <= 0:
        raise RuntimeError(
            f"{op}: number of groups to divide channels in must be positive, got {groups}"
        )
    n, c, *rest = input.shape
    if c % groups:
        raise RuntimeError(
            f"{op}: number of channels must be divisible by groups. Got {c} channels and "
            f"{groups} groups (input of shape {input.shape})"
        )
    x = input.reshape(n, groups, c // groups, *rest).transpose(1, 2)
    return x.reshape(n, c, *rest)


class PixelShuffle(Module):
    """``pixel_shuffle`` as a layer: (*, C r², H, W) -> (*, C, H r, W r)."""

    def __init__(self, upscale_factor: int) -> None:
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input: Tensor) -> Tensor:
        return pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """``pixel_unshuffle`` as a layer: (*, C, H r, W r) -> (*, C r², H, W)."""

    def __init__(self, downscale_factor: int) -> None:
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input: Tensor) -> Tensor:
        return pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"


class ChannelShuffle(Module):
    """``channel_shuffle`` as a layer: interleaves ``groups`` groups of channels."""

    def __init__(self, groups: int) -> None:
        super().__init__()
        self.groups = groups

    def forward(self, input: Tensor) -> Tensor:
        return channel_shuffle(input, self.groups)

    def extra_repr(self) -> str:
        return f"groups={self.groups}"
