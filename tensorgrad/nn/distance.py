"""Distances and similarities between vectors: ``normalize``, ``cosine_similarity`` and
``pairwise_distance`` with the modules ``CosineSimilarity`` and ``PairwiseDistance`` (PyTorch's
``torch/nn/modules/distance.py``), and ``pdist``, the distances between the rows of a matrix.

All are compositions of tensor ops (``norm``, division, sums), so their gradients of any
order come from the ops. A zero vector gets the gradient PyTorch gives it: ``norm``'s is 0 at 0.
"""

from __future__ import annotations

import math

import numpy as np

from .. import backend
from ..jit import recorder
from ..tensor import Tensor
from .module import Module


def normalize(
    input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out: Tensor | None = None
) -> Tensor:
    """x / max(||x||_p, eps) along ``dim``: unit p-norm vectors, and x / eps for vectors shorter
    than ``eps`` (whose norm then gets no gradient, as PyTorch's ``clamp_min``). ``out``, when
    given, receives the result (``copy_``) and is returned."""
    result = input / input.norm(p, dim, keepdim=True).clamp(min=eps)
    if out is not None:
        return out.copy_(result)
    return result


def _broadcast(x1: Tensor, x2: Tensor, name: str) -> tuple[Tensor, Tensor]:
    try:
        shape = np.broadcast_shapes(x1.shape, x2.shape)
    except ValueError:
        raise RuntimeError(
            f"{name}: x1 of shape {x1.shape} and x2 of shape {x2.shape} do not broadcast"
        ) from None
    return x1.expand(shape), x2.expand(shape)


def _clamp_value_min(x: Tensor, eps: float) -> Tensor:
    """max(x, eps) in value, with x's own gradient everywhere (a straight-through clamp).

    PyTorch clamps the norms of ``cosine_similarity`` in place under ``no_grad``, so its
    gradient still flows through a norm below ``eps``; x - x.detach() is exactly 0 in value
    and 1 in gradient, which gives the same thing in tensor ops."""
    return x - x.detach() + x.detach().clamp(min=eps)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """sum(x1 / max(||x1||, eps) * x2 / max(||x2||, eps)) along ``dim``, after broadcasting x1
    and x2 together: each vector is divided by its own clamped norm before the dot product
    (PyTorch's formula since 1.12; more stable than dividing the dot product by the product
    of the norms, and it keeps the result in [-1, 1]). The clamp only changes the value: the
    gradient is the one of the unclamped norm, as in PyTorch."""
    x1, x2 = _broadcast(x1, x2, "cosine_similarity")
    n1 = _clamp_value_min(x1.norm(2, dim, keepdim=True), eps)
    n2 = _clamp_value_min(x2.norm(2, dim, keepdim=True), eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def pairwise_distance(
    x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False
) -> Tensor:
    """||x1 - x2 + eps||_p along the last dimension of the broadcast shape (``eps`` is added to
    every component, which keeps the norm's gradient finite when x1 == x2)."""
    _broadcast(x1, x2, "pairwise_distance")
    dim = max(x1.ndim, x2.ndim) - 1
    return (x1 - x2 + eps).norm(p, dim if dim >= 0 else None, keepdim)


def pdist(input: Tensor, p: float = 2) -> Tensor:
    """||x_i - x_j||_p for every pair of rows i < j of the (N, M) ``input``, in the row-major
    order of the upper triangle (N (N - 1) / 2 values, ``scipy``'s condensed form). No ``eps``,
    unlike ``pairwise_distance``; two equal rows get distance 0 and gradient 0, as PyTorch."""
    if input.ndim != 2:
        raise RuntimeError(
            f"pdist only supports 2D tensors, got: {input.ndim}D (shape {input.shape})"
        )
    if not input.is_floating_point():
        raise RuntimeError(f"pdist only supports floating-point dtypes, got {input.dtype}")
    if p < 0:
        raise RuntimeError(f"pdist only supports non-negative p values, got p={p}")
    rows, cols = recorder.call(_upper_pairs, input.shape[0], input.device)
    diff = input[Tensor._make(rows)] - input[Tensor._make(cols)]
    if p in (0, 1, 2, math.inf):
        return diff.norm(p, -1)
    # (sum |d|^p)^(1/p), with 0 (and a zero gradient, not 0 * inf) where the rows are equal
    total = (diff.abs() ** p).sum(-1)
    nonzero = total > 0
    return (total.where(nonzero, 1.0) ** (1.0 / p)).where(nonzero, 0.0)


def _upper_pairs(n: int, device) -> tuple:
    """The row and column indices of the strict upper triangle of an n x n matrix."""
    rows, cols = np.triu_indices(n, 1)
    return backend.to_device(rows, device), backend.to_device(cols, device)


class CosineSimilarity(Module):
    """``cosine_similarity`` along ``dim`` as a module:
    x1 . x2 / (max(||x1||, eps) max(||x2||, eps))."""

    def __init__(self, dim: int = 1, eps: float = 1e-8) -> None:
        super().__init__()
        self.dim, self.eps = dim, eps

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    """``pairwise_distance`` as a module: ||x1 - x2 + eps||_p over the last dimension. The
    degree is stored as ``norm``, as PyTorch does."""

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> None:
        super().__init__()
        self.norm, self.eps, self.keepdim = p, eps, keepdim

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)
