"""Fused multiply-add on arrays: a b + c rounded once, as the FMA instructions in PyTorch's CPU
kernels compute it (``lerp``, ``uniform_``'s a + u (b - a), the normal samplers). NumPy has no
FMA ufunc; these give its result from ordinary float64 arithmetic, on NumPy or CuPy arrays."""

from __future__ import annotations

import numpy as np


def fma(a, b, c):
    """a b + c rounded once to the dtype of ``a`` (float16, float32 or float64 arrays of one
    dtype; they broadcast)."""
    if a.dtype == np.float64:
        return fma64(a, b, c)
    return fma_via_float64(a, b, c).astype(a.dtype)


def fma_via_float64(a, b, c):
    """a b + c for float32 (or float16) values, as float64: their product is exact there (24 +
    24 bits < 53), so only the sum rounds, to 53 bits; rounded again to float32 it is the
    once-rounded result but for sums within 2^-29 of a float32 tie."""
    return _wide(a) * _wide(b) + _wide(c)


def _wide(x):
    """x as float64: an array (NumPy's or CuPy's) or a scalar."""
    return x.astype(np.float64) if hasattr(x, "astype") else np.float64(x)


def fma64(a, b, c):
    """a b + c rounded once, in float64: Dekker's exact product a b = p + e, then p + c + e
    summed with the rounding error of p + c kept (Knuth's two-sum)."""
    p = a * b
    split = 134217729.0  # 2^27 + 1: splits a float64 into two 26-bit halves
    ah = a * split - (a * split - a)
    bh = b * split - (b * split - b)
    e = ((ah * bh - p) + ah * (b - bh) + (a - ah) * bh) + (a - ah) * (b - bh)
    s = p + c
    t = (p - (s - (s - p))) + (c - (s - p))
    return s + (t + e)
