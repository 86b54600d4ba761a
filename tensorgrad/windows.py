"""Window functions (``torch.hann_window`` and its kin): the tapers that spectral analysis
multiplies a signal frame by before a Fourier transform, so that the frame's edges go to zero.

Each is a 1-D tensor of ``window_length`` values w[n], n = 0 .. N - 1, computed in the requested
floating dtype in PyTorch's order of operations. ``periodic=True`` (the default) gives the
window of length N + 1 without its last value, the form for a frame that repeats (a spectrogram);
``periodic=False`` the symmetric one, the form for filter design. A window of length 0 is empty,
of length 1 is [1].
"""

from __future__ import annotations

import math

import numpy as np

from . import creation
from .backend import is_float
from .tensor import Tensor

__all__ = ["bartlett_window", "blackman_window", "hamming_window", "hann_window", "kaiser_window"]


def hann_window(
    window_length: int,
    periodic: bool = True,
    *,
    dtype=None,
    layout=None,
    device=None,
    requires_grad: bool = False,
) -> Tensor:
    """w[n] = 0.5 - 0.5 cos(2 pi n / (N - 1)): the Hamming form with alpha = beta = 0.5."""
    return _window(
        "hann_window",
        window_length,
        periodic,
        dtype,
        device,
        requires_grad,
        lambda n, N: _cosine_sum(n, N, 0.5, 0.5),
    )


def hamming_window(
    window_length: int,
    periodic: bool = True,
    alpha: float = 0.54,
    beta: float = 0.46,
    *,
    dtype=None,
    layout=None,
    device=None,
    requires_grad: bool = False,
) -> Tensor:
    """w[n] = alpha - beta cos(2 pi n / (N - 1))."""
    return _window(
        "hamming_window",
        window_length,
        periodic,
        dtype,
        device,
        requires_grad,
        lambda n, N: _cosine_sum(n, N, alpha, beta),
    )


def blackman_window(
    window_length: int,
    periodic: bool = True,
    *,
    dtype=None,
    layout=None,
    device=None,
    requires_grad: bool = False,
) -> Tensor:
    """w[n] = 0.42 - 0.5 cos(2 pi n / (N - 1)) + 0.08 cos(4 pi n / (N - 1))."""

    def blackman(n, N):
        x = n * n.dtype.type(math.pi / (N - 1))
        return np.cos(x * 4) * 0.08 - np.cos(x * 2) * 0.5 + 0.42

    return _window(
        "blackman_window", window_length, periodic, dtype, device, requires_grad, blackman
    )


def bartlett_window(
    window_length: int,
    periodic: bool = True,
    *,
    dtype=None,
    layout=None,
    device=None,
    requires_grad: bool = False,
) -> Tensor:
    """The triangle w[n] = 1 - |2n / (N - 1) - 1|: rising 2n / (N - 1) up to the middle, then
    falling as 2 - 2n / (N - 1)."""

    def bartlett(n, N):
        w = n * n.dtype.type(2.0 / (N - 1))
        half = ((N - 1) >> 1) + 1
        w[half:] = 2 - w[half:]
        return w

    return _window(
        "bartlett_window", window_length, periodic, dtype, device, requires_grad, bartlett
    )


def kaiser_window(
    window_length: int,
    periodic: bool = True,
    beta: float = 12.0,
    *,
    dtype=None,
    layout=None,
    device=None,
    requires_grad: bool = False,
) -> Tensor:
    """w[n] = I0(beta sqrt(1 - ((n - a) / a)^2)) / I0(beta) with a = (N - 1) / 2 and I0 the
    modified Bessel function of order 0: ``beta`` trades the main lobe's width for the side
    lobes' height."""

    def kaiser(n, N):
        a = (N - 1) / 2
        ratio = (n - n.dtype.type(a)) / n.dtype.type(a)
        return (np.i0(beta * np.sqrt(1 - ratio * ratio)) / np.i0(beta)).astype(n.dtype)

    return _window("kaiser_window", window_length, periodic, dtype, device, requires_grad, kaiser)


def _cosine_sum(n, N: int, alpha: float, beta: float):
    """alpha - beta cos(2 pi n / (N - 1)), in n's dtype."""
    return alpha - np.cos(n * n.dtype.type(2 * math.pi / (N - 1))) * beta


def _window(name, window_length, periodic, dtype, device, requires_grad, formula) -> Tensor:
    """``formula(n, N)`` for n = 0 .. N - 1 (an array of ``dtype``), N = window_length (+ 1 and
    the last value dropped when ``periodic``), on ``device``."""
    np_dtype = creation._np_dtype(dtype)
    if not is_float(np_dtype):
        raise RuntimeError(f"{name} expects a floating point dtype, got {dtype}")
    if window_length < 0:
        raise RuntimeError(f"{name} requires non-negative window_length, got {window_length}")

    def compute(xp, shape, d):
        if window_length <= 1:
            return xp.ones(window_length, d)
        N = window_length + 1 if periodic else window_length
        w = formula(np.arange(N, dtype=d), N).astype(d, copy=False)
        return xp.asarray(w[:window_length])

    return creation._creation(compute, (window_length,), np_dtype, device, requires_grad)
