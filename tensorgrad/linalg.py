"""``torch.linalg``'s namesake: ``tg.linalg.inv``, ``det``, ``slogdet``, ``cross`` (default
``dim=-1``, unlike ``Tensor.cross``), ``matmul``. The ops live in ``tensorgrad/ops/linalg.py``.
"""

from __future__ import annotations

from .ops import linalg as _ops
from .tensor import matmul

__all__ = ["cross", "det", "inv", "matmul", "slogdet"]


def inv(A):
    """A^-1 for square matrices (..., n, n); a singular matrix raises."""
    return _ops.inverse(A)


def det(A):
    """det A of square matrices (..., n, n); the gradient needs A invertible."""
    return _ops.det(A)


def slogdet(A):
    """(sign, logabsdet) of square matrices (..., n, n), a named tuple."""
    return _ops.slogdet(A)


def cross(input, other, *, dim: int = -1):
    """The cross product of 3-vectors along ``dim`` (-1 by default), other dims broadcast."""
    return _ops.cross(input, other, dim, name="linalg.cross")
