"""``pad``: PyTorch's ``F.pad`` (constant, reflect, replicate and circular padding)."""

from __future__ import annotations

import numpy as np

from .. import backend
from ..ops.movement import ConstantPad
from ..tensor import Tensor


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
