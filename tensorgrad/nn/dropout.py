"""Dropout: ``dropout`` and ``Dropout`` zero elements with probability p while training, scaling
the rest by 1/(1-p); ``dropout1d/2d/3d`` and ``Dropout1d/2d/3d`` zero whole channels (one draw
per (sample, channel), broadcast over the positions); ``alpha_dropout`` and ``AlphaDropout`` (and
the channel-wise ``feature_alpha_dropout``, ``FeatureAlphaDropout``) set the dropped elements to
SELU's negative saturation value and keep the mean and variance of a standardised input.

Each is ``x * m`` (alpha: ``x * m + b``) with a constant mask, so its gradient is ``g * m``, of
any order. The mask is PyTorch's: an element (or channel) is kept when a float64 draw u of the
generator is below 1 - p (``bernoulli_(1 - p)``), so after the same seed the same elements drop
as in PyTorch (except on Intel CPUs, where PyTorch's ``bernoulli_`` draws through MKL).
"""

from __future__ import annotations

import warnings

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

    The draw is the generator's on every path (a seed gives one mask). With the numba kernels
    on, a float32/float64 CPU input is masked and scaled in one pass by ``DropoutMask``; the
    NumPy lines below are its reference (equal to the bit, ``tests/kernels/test_dropout.py``).
    Measured (AMD EPYC, 2 shared cores, min of 5x10 in one process; the mask-and-scale forward
    plus the masked gradient, after the draw; ms)::

        shape, dtype                 NumPy  numba 1 thread  numba 2 threads
        (64, 128, 256) float32       3.180      1.146           0.814
        (64, 128, 256) float64       5.091      2.079           2.264 (noisy)
        (256, 1024)    float32       0.277      0.083           0.055
        (256, 1024)    float64       0.356      0.134           0.076

    Kept: 3-5x the NumPy path's mask-and-scale. The draw (PyTorch's stream: two MT19937 words
    a value, ``random_stream``) is most of the cost: 10.0 ms at (64, 128, 256) and 0.68 ms at
    (256, 1024) by the numba loops (19.7 and 1.9 ms on the NumPy path). PyTorch 2.13's
    ``F.dropout`` took 14.3 and 2.6 ms there (the draw and the mask-and-scale forward)."""
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


def _scale(p: float, dtype):
    """1 / (1 - p) as PyTorch's ``noise.div_(1 - p)`` computes it: in the input's dtype."""
    return np.dtype(dtype).type(1.0) / np.dtype(dtype).type(1.0 - p)


def _mask(u: np.ndarray, p: float, dtype, device):
    """``1/(1-p)`` where ``u < 1 - p`` (kept), else 0, in ``dtype`` on ``device``."""
    keep = np.asarray(u < 1.0 - p)
    return backend.to_device(np.asarray(keep * _scale(p, dtype)), device)


class DropoutMask(Op):
    """``out = x * (scale if keep else 0)`` with ``scale = 1/(1-p)``, by the numba kernels.

    The first call draws nothing: it gets the uniform draws ``u`` and makes ``keep = u < 1 - p``.
    The op is linear in x, so its gradient is the op again with the same ``keep`` (and that
    one's gradient too: any order of gradient works)."""

    def forward(ctx, x, u=None, p=0.5, keep=None, scale=None):
        if scale is None:
            scale = _scale(p, x.dtype)
        flat = np.ascontiguousarray(x).reshape(-1)
        out = np.empty(x.shape, x.dtype)
        chunks = kernels.numba.get_num_threads() if x.size >= dropout_kernels.MIN_PARALLEL else 1
        if keep is None:
            keep = np.empty(x.shape, np.bool_)
            uflat, args = u.reshape(-1), (1.0 - p, scale, out.reshape(-1), keep.reshape(-1))
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


def _check_p(p: float) -> None:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _dropout_impl(
    input: Tensor, p: float, training: bool, feature: bool, alpha: bool, generator
) -> Tensor:
    """PyTorch's ``_dropout_impl`` for the channel-wise and alpha variants: elements (or, with
    ``feature``, whole channels: one draw per (N, C)) kept with probability 1 - p. Plain:
    ``x m / (1 - p)``. Alpha: ``a (x m + α'(1 - m)) + b`` with α' = -1.7581 (SELU's
    -scale * alpha), a = ((1 - p)(1 + p α'²))^(-1/2) and b = -a α' p, so a standard normal
    input keeps mean 0 and variance 1."""
    if not training or p == 0.0 or input.numel() == 0:
        return input
    if feature and input.ndim < 2:
        raise RuntimeError(
            f"Feature dropout requires at least 2 dimensions in the input, got input of shape "
            f"{input.shape}"
        )
    if p == 1.0:
        return input * 0.0
    shape = tuple(input.shape[:2]) + (1,) * (input.ndim - 2) if feature else input.shape
    u = recorder.call(_uniform, generator, shape)  # drawn again by tg.compile's replay
    if not alpha:
        return input * Tensor._make(recorder.call(_mask, u, p, input.array.dtype, input.device))
    scale, shift = recorder.call(_alpha_noise, u, p, input.array.dtype, input.device)
    return input * Tensor._make(scale) + Tensor._make(shift)


def _alpha_noise(u: np.ndarray, p: float, dtype, device) -> tuple:
    """(a m, α a (m - 1) + α a p) with m = (u < 1 - p) and α = 1.7581 (ATen's alpha dropout)."""
    alpha = 1.7580993408473766
    a = 1.0 / np.sqrt((alpha * alpha * p + 1) * (1 - p))
    keep = (u < 1.0 - p).astype(np.float64)
    scale, shift = keep * a, (keep - 1) * (alpha * a) + alpha * a * p
    return tuple(backend.to_device(np.asarray(t).astype(dtype), device) for t in (scale, shift))


def dropout1d(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False, *, generator=None
) -> Tensor:
    """Zero each channel of (N, C, L) or (C, L) input with probability p (one draw per sample
    and channel) and scale the rest by 1/(1-p). ``inplace`` is accepted, computed out of
    place."""
    _check_p(p)
    if input.ndim not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {input.ndim}D input of shape "
            f"{input.shape}. Note that dropout1d exists to provide channel-wise dropout on "
            "inputs with 1 spatial dimension, a channel dimension, and an optional batch "
            "dimension (i.e. 2D or 3D inputs)."
        )
    if input.ndim == 2:
        return _dropout_impl(input.unsqueeze(0), p, training, True, False, generator).squeeze(0)
    return _dropout_impl(input, p, training, True, False, generator)


def dropout2d(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False, *, generator=None
) -> Tensor:
    """Zero each channel of (N, C, H, W) input with probability p (one draw per sample and
    channel) and scale the rest by 1/(1-p).

    As PyTorch: a 3-D input is read as (N, C, L), with a warning (it does not take (C, H, W)
    as unbatched yet), and another rank warns that it is deprecated, dropping along dim 1."""
    _check_p(p)
    if input.ndim not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {input.ndim}-D input to dropout2d, which is deprecated "
            "and will result in an error in a future release. To retain the behavior "
            "and silence this warning, please use dropout instead. Note that dropout2d "
            "exists to provide channel-wise dropout on inputs with 2 spatial dimensions, "
            "a channel dimension, and an optional batch dimension (i.e. 3D or 4D inputs).",
            stacklevel=2,
        )
    if input.ndim == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise "
            "1D dropout behavior is desired - input is interpreted as shape (N, C, L), where C "
            "is the channel dim. This behavior will change in a future release to interpret the "
            "input as one without a batch dimension, i.e. shape (C, H, W). To maintain the 1D "
            "channel-wise dropout behavior, please switch to using dropout1d instead.",
            stacklevel=2,
        )
    return _dropout_impl(input, p, training, True, False, generator)


def dropout3d(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False, *, generator=None
) -> Tensor:
    """Zero each channel of (N, C, D, H, W) or (C, D, H, W) input with probability p (one draw
    per sample and channel) and scale the rest by 1/(1-p); another rank warns, as PyTorch."""
    _check_p(p)
    if input.ndim not in (4, 5):
        warnings.warn(
            f"dropout3d: Received a {input.ndim}-D input to dropout3d, which is deprecated "
            "and will result in an error in a future release. To retain the behavior "
            "and silence this warning, please use dropout instead. Note that dropout3d "
            "exists to provide channel-wise dropout on inputs with 3 spatial dimensions, "
            "a channel dimension, and an optional batch dimension (i.e. 4D or 5D inputs).",
            stacklevel=2,
        )
    if input.ndim != 5:
        return _dropout_impl(input.unsqueeze(0), p, training, True, False, generator).squeeze(0)
    return _dropout_impl(input, p, training, True, False, generator)


def alpha_dropout(
    input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False, *, generator=None
) -> Tensor:
    """Alpha dropout (for SELU networks): each element is dropped with probability p to
    SELU's saturation value α' = -1.7581, then ``a x + b`` restores the mean and variance of
    a standardised input. ``training`` defaults to False, as PyTorch's."""
    _check_p(p)
    return _dropout_impl(input, p, training, False, True, generator)


def feature_alpha_dropout(
    input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False, *, generator=None
) -> Tensor:
    """Alpha dropout of whole channels: one draw per (N, C) of (N, C, *) input."""
    _check_p(p)
    return _dropout_impl(input, p, training, True, True, generator)


class _DropoutNd(Module):
    """The settings every dropout layer shares: ``p`` and ``inplace`` (accepted and shown in
    ``repr``; the result is computed out of place)."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        _check_p(p)
        self.p, self.inplace = p, inplace

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """Zero each element with probability ``p`` in training, scaling the kept ones by
    1/(1-p) so the expectation is unchanged; the identity in eval mode. ``inplace`` is
    accepted (and shown in ``repr``) but the result is computed out of place."""

    def forward(self, input):
        return dropout(input, self.p, self.training)


class Dropout1d(_DropoutNd):
    """``dropout1d`` in training: whole channels of (N, C, L) or (C, L) input zeroed with
    probability ``p``, the rest scaled by 1/(1-p); the identity in eval mode."""

    def forward(self, input):
        return dropout1d(input, self.p, self.training)


class Dropout2d(_DropoutNd):
    """``dropout2d`` in training: whole channels of (N, C, H, W) input zeroed with
    probability ``p``, the rest scaled by 1/(1-p); the identity in eval mode."""

    def forward(self, input):
        return dropout2d(input, self.p, self.training)


class Dropout3d(_DropoutNd):
    """``dropout3d`` in training: whole channels of (N, C, D, H, W) or (C, D, H, W) input
    zeroed with probability ``p``, the rest scaled by 1/(1-p); the identity in eval mode."""

    def forward(self, input):
        return dropout3d(input, self.p, self.training)


class AlphaDropout(_DropoutNd):
    """``alpha_dropout`` in training (keeps a standardised input's mean and variance, for
    SELU networks); the identity in eval mode."""

    def forward(self, input):
        return alpha_dropout(input, self.p, self.training)


class FeatureAlphaDropout(_DropoutNd):
    """``feature_alpha_dropout`` in training (whole channels); the identity in eval mode."""

    def forward(self, input):
        return feature_alpha_dropout(input, self.p, self.training)
