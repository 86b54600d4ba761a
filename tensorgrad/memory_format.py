"""``torch.memory_format`` and ``torch.layout``: the order in which a tensor's elements sit in
memory, which never changes its shape or values.

A tensor of shape (N, C, H, W) is stored row-major by default (``contiguous_format``: W varies
fastest). ``channels_last`` stores it as (N, H, W, C) row-major, the order convolution kernels on
GPUs and some CPU libraries prefer; ``channels_last_3d`` does the same for (N, C, D, H, W).
``x.contiguous(memory_format=channels_last)``, ``x.to(memory_format=...)`` and
``module.to(memory_format=...)`` change only strides, as in PyTorch; ``x.stride()`` shows them.
``preserve_format`` (the default of ``clone`` and the ``*_like`` functions) keeps a channels-last
layout and otherwise gives row-major. NumPy computes the same numbers in any layout: a format
is a statement about speed, never about results.
"""

from __future__ import annotations

import numpy as np

from . import backend
from .backend import xp_of

__all__ = [
    "channels_last",
    "channels_last_3d",
    "contiguous_format",
    "layout",
    "memory_format",
    "preserve_format",
    "strided",
]


class memory_format:  # PyTorch's lower-case class name
    """A memory layout: ``order`` lists the axes from the slowest-varying to the fastest (None:
    row-major, or no layout of its own for ``preserve_format``)."""

    def __init__(self, name: str, order: tuple | None = None) -> None:
        self.name, self.order = name, order

    def __repr__(self) -> str:
        return f"{backend.NAMESPACE}.{self.name}"

    def __reduce__(self) -> str:  # pickled by name, as a module global
        return self.name


class layout:  # PyTorch's lower-case class name
    """How a tensor's elements are stored; tensorgrad has dense strided arrays only."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"{backend.NAMESPACE}.{self.name}"

    def __reduce__(self) -> str:
        return self.name


contiguous_format = memory_format("contiguous_format")
channels_last = memory_format("channels_last", (0, 2, 3, 1))
channels_last_3d = memory_format("channels_last_3d", (0, 2, 3, 4, 1))
preserve_format = memory_format("preserve_format")
strided = layout("strided")


def axis_order(fmt, ndim: int) -> tuple | None:
    """The axis order ``fmt`` asks of an ``ndim``-dim tensor (None: row-major); PyTorch's error
    for a channels-last format and a tensor of another rank."""
    if not isinstance(fmt, memory_format):
        raise TypeError(f"memory_format must be a tensorgrad.memory_format, got {fmt!r}")
    if fmt is preserve_format:
        raise RuntimeError("preserve memory format is unsupported by the contiguous operator")
    if fmt.order is not None and ndim != len(fmt.order):
        raise RuntimeError(f"required rank {len(fmt.order)} tensor to use {fmt.name} format")
    return fmt.order


def is_laid_out(array, order: tuple | None) -> bool:
    """Whether ``array`` is dense in the axis order ``order`` (row-major when None)."""
    return bool((array if order is None else array.transpose(order)).flags.c_contiguous)


def kept_order(array, fmt) -> tuple | None:
    """The order a copy of ``array`` made with ``fmt`` gets: ``preserve_format`` keeps a
    channels-last layout (and gives row-major otherwise), other formats give their own."""
    if fmt is not preserve_format:
        return axis_order(fmt, array.ndim)
    if array.flags.c_contiguous:
        return None
    for fmt in (channels_last, channels_last_3d):
        if array.ndim == len(fmt.order) and is_laid_out(array, fmt.order):
            return fmt.order
    return None


def copy_in_order(array, order: tuple | None):
    """A copy of ``array`` whose memory runs in the axis order ``order`` (row-major when None),
    with the same shape and values."""
    if order is None:
        return array.copy()
    dense = xp_of(array).ascontiguousarray(array.transpose(order))
    return dense.transpose(tuple(np.argsort(order)))
