"""``dropout`` and ``Dropout``: zero elements with probability p while training, scaling the rest
by 1/(1-p)."""

from __future__ import annotations

import numpy as np

from .. import backend, kernels
from .. import random as tg_random
from ..autograd.function import Op
from ..jit import recorder
from ..kernels import dropout as dropout_kernels
from ..tensor import Tensor
from .module import Module


def dropout(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False, *, generator=None
) -> Tensor:
    """Zero each element with probability p and scale the rest by 1/(1-p).

    The draw is NumPy's generator on every path (a seed gives one mask). With the numba kernels
    on, a float32/float64 CPU input is masked and scaled in one pass by ``DropoutMask``; the
    NumPy lines below are its reference (equal to the bit, ``tests/kernels/test_dropout.py``).
    Measured (AMD EPYC, 2 shared cores, min of 5x10 in one process; the mask-and-scale forward
    plus the masked gradient, after the draw; ms)::

        shape, dtype                 NumPy  numba 1 thread  numba 2 threads   the draw
        (64, 128, 256) float32       3.180      1.146           0.814           4.171
        (64, 128, 256) float64       5.091      2.079           2.264 (noisy)   4.072
        (256, 1024)    float32       0.277      0.083           0.055           0.522
        (256, 1024)    float64       0.356      0.134           0.076           0.471

    PyTorch 2.13's ``F.dropout`` plus the masked gradient took 1.9 ms at (256, 1024) here (its
    Bernoulli draw is slower than NumPy's). Kept: 3-5x the NumPy path's mask-and-scale; the
    draw, which both paths share, is now most of the cost."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    # asarray here and below: for a 0-d input NumPy returns scalars, which to_device can't move
    u = recorder.call(_uniform, generator, input.shape)  # drawn again by tg.compile's replay
    if (
        kernels.ENABLED
        and type(input.array) is np.ndarray
        and input.array.dtype in (np.float32, np.float64)
    ):
        return DropoutMask.apply(input, u=u, p=p)
    mask = recorder.call(_mask, u, p, input.array.dtype, input.device)
    return input * Tensor._make(mask)


def _uniform(generator, shape: tuple) -> np.ndarray:
    """Uniform draws on [0, 1) from ``generator`` (the default one if None)."""
    return np.asarray(tg_random.rng(generator).random(shape))


def _mask(u: np.ndarray, p: float, dtype, device):
    """``1/(1-p)`` where ``u >= p``, else 0, in ``dtype`` on ``device``."""
    keep = u >= p
    return backend.to_device(np.asarray(keep / (1.0 - p)).astype(dtype), device)


class DropoutMask(Op):
    """``out = x * (scale if keep else 0)`` with ``scale = 1/(1-p)``, by the numba kernels.

    The first call draws nothing: it gets the uniform draws ``u`` and makes ``keep = u >= p``.
    The op is linear in x, so its gradient is the op again with the same ``keep`` (and that
    one's gradient too: any order of gradient works)."""

    def forward(ctx, x, u=None, p=0.5, keep=None, scale=None):
        if scale is None:
            scale = x.dtype.type(1.0 / (1.0 - p))  # the NumPy path's float64 mask, cast
        flat = np.ascontiguousarray(x).reshape(-1)
        out = np.empty(x.shape, x.dtype)
        chunks = kernels.numba.get_num_threads() if x.size >= dropout_kernels.MIN_PARALLEL else 1
        if keep is None:
            keep = np.empty(x.shape, np.bool_)
            uflat, args = u.reshape(-1), (p, scale, out.reshape(-1), keep.reshape(-1))
            if chunks > 1:
                dropout_kernels.forward_chunks(chunks, flat, uflat, *args)
            else:
                dropout_kernels.forward_loop(flat, uflat, *args)
        elif chunks > 1:
            dropout_kernels.apply_mask_chunks(
                chunks, flat, keep.reshape(-1), scale, out.reshape(-1)
            )
        else:
            dropout_kernels.apply_mask_loop(flat, keep.reshape(-1), scale, out.reshape(-1))
        ctx.keep, ctx.scale = keep, scale
        return out

    def backward(ctx, g):  # d(x * m)/dx = m: the same mask on the gradient
        return DropoutMask.apply(g, keep=ctx.keep, scale=ctx.scale)


class Dropout(Module):
    """Zero each element with probability ``p`` in training, scaling the kept ones by
    1/(1-p) so the expectation is unchanged; the identity in eval mode. ``inplace`` is
    accepted (and shown in ``repr``) but the result is computed out of place."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p, self.inplace = p, inplace

    def forward(self, input):
        return dropout(input, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"
