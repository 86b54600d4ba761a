"""Helpers the distributions share (``torch.distributions.utils``' names)."""

from __future__ import annotations

import functools
from numbers import Number

import numpy as np

from .. import backend
from ..backend import np_finfo
from ..creation import full, tensor
from ..grad_mode import enable_grad
from ..jit import recorder
from ..random import draw_like
from ..tensor import Tensor, cat

euler_constant = 0.57721566490153286060  # Euler-Mascheroni constant, -digamma(1)


def broadcast_all(*values) -> tuple[Tensor, ...]:
    """``values`` (tensors and numbers) broadcast to one shape; numbers become tensors of the
    first tensor's dtype and device (float32 on the CPU when all are numbers)."""
    if not all(isinstance(v, (Tensor, Number)) for v in values):
        raise ValueError("Input arguments must all be instances of Number or Tensor.")
    like = next((v for v in values if isinstance(v, Tensor)), None)
    dtype, device = (like.dtype, like.device) if like is not None else (None, None)
    tensors = [
        v if isinstance(v, Tensor) else tensor(float(v), dtype=dtype, device=device) for v in values
    ]
    return broadcast_tensors(*tensors)


def broadcast_tensors(*tensors: Tensor) -> tuple[Tensor, ...]:
    """The tensors expanded to their common broadcast shape (views, like
    ``torch.broadcast_tensors``)."""
    shape = np.broadcast_shapes(*(t.shape for t in tensors))
    return tuple(t if t.shape == shape else t.expand(shape) for t in tensors)


def clamp_probs(probs: Tensor) -> Tensor:
    """``probs`` clamped to [eps, 1 - eps], eps the dtype's machine epsilon, so their logs
    are finite."""
    eps = float(np_finfo(probs.array.dtype).eps)
    return probs.clamp(min=eps, max=1 - eps)


def logits_to_probs(logits: Tensor, is_binary: bool = False) -> Tensor:
    """sigmoid(logits) for one event's log-odds (``is_binary``), else softmax over the last dim."""
    return logits.sigmoid() if is_binary else logits.softmax(-1)


def probs_to_logits(probs: Tensor, is_binary: bool = False) -> Tensor:
    """log p - log(1 - p) (``is_binary``) or log p, of the clamped probabilities."""
    p = clamp_probs(probs)
    return p.log() - (-p).log1p() if is_binary else p.log()


class lazy_property:
    """A parameter computed on first use (``Categorical(logits=...).probs``) and then stored on
    the instance; computed with grad on, so it stays differentiable inside ``no_grad``."""

    def __init__(self, wrapped) -> None:
        self.wrapped = wrapped
        functools.update_wrapper(self, wrapped)

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        with enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value


def _sum_rightmost(value, dim: int):
    """``value`` summed over its ``dim`` rightmost dims (unchanged for dim 0)."""
    if dim == 0:
        return value
    return value.reshape(value.shape[: value.ndim - dim] + (-1,)).sum(-1)


def draw(sample, *params: Tensor) -> Tensor:
    """A draw ``sample(rng, *arrays)`` from the default generator's stream (so
    ``tg.manual_seed`` repeats it; ATen's samplers where the stream has them, else NumPy's
    algorithms on the same stream) on the host copies of ``params``' arrays, returned as a
    tensor of the first parameter's dtype and device, without gradient. Made through the
    recorder: a tg.compile replay draws again, from the replay's parameter values."""
    arrays = [p.array for p in params]
    return Tensor._make(recorder.call(draw_like, sample, None, *arrays))


def _tril_table(n: int, diag: int, device):
    """int64 (n * n,): for each entry of an n x n matrix in row-major order, its position
    among the entries ``tril(diag)`` keeps, or the count of those entries where it drops it."""
    i, j = np.indices((n, n))
    keep = (j < i + diag + 1).ravel()
    table = np.full(n * n, keep.sum(), dtype=np.int64)
    table[keep] = np.arange(keep.sum())
    return backend.to_device(table, device)


def _tril_positions(n: int, diag: int, device):
    """int64: the row-major flat positions of the entries ``tril(diag)`` keeps."""
    i, j = np.indices((n, n))
    return backend.to_device(np.flatnonzero((j < i + diag + 1).ravel()), device)


def tril_matrix_to_vec(mat: Tensor, diag: int = 0) -> Tensor:
    """The entries of the lower triangle (``tril(diag)``) of the matrices in ``mat``, row by
    row, as vectors over the last dim."""
    n = mat.shape[-1]
    if not -n <= diag < n:
        raise ValueError(f"diag ({diag}) provided is outside [{-n}, {n - 1}].")
    positions = Tensor._make(recorder.call(_tril_positions, n, diag, mat.device))
    return mat.reshape(mat.shape[:-2] + (n * n,)).index_select(-1, positions)


def vec_to_tril_matrix(vec: Tensor, diag: int = 0) -> Tensor:
    """The inverse of ``tril_matrix_to_vec``: D x D lower-triangular matrices (zeros above
    ``diag``) filled row by row from the vectors of the last dim."""
    m = vec.shape[-1]
    n = (-(1 + 2 * diag) + ((1 + 2 * diag) ** 2 + 8 * m + 4 * abs(diag) * (diag + 1)) ** 0.5) / 2
    if round(n) - n > float(np_finfo(vec.array.dtype).eps):
        raise ValueError(
            f"The size of last dimension is {m} which cannot be expressed as the lower "
            "triangular part of a square D x D matrix."
        )
    n = round(n)
    table = Tensor._make(recorder.call(_tril_table, n, diag, vec.device))
    padded = cat([vec, full(vec.shape[:-1] + (1,), 0.0, dtype=vec.dtype, device=vec.device)], -1)
    return padded.index_select(-1, table).reshape(vec.shape[:-1] + (n, n))


# ---------------------------------------------------------------------- NumPy samplers for draw
# Each is sample(rng, *host arrays) with the output shape of its first array.


def _std_exponential(rng, like):
    return rng.standard_exponential(like.shape)


def _std_cauchy(rng, like):
    return rng.standard_cauchy(like.shape)


def _std_gamma(rng, concentration):
    """Gamma(concentration, 1) draws in the concentration's dtype, at least its smallest
    normal number (as PyTorch clamps them), so their logs stay finite."""
    return rng.standard_gamma(concentration)


def _dirichlet(rng, concentration):
    """Normalised float64 Gamma draws, clamped to [tiny, 1 - ulp] of the dtype as PyTorch's."""
    finfo = np_finfo(concentration.dtype)
    g = rng.standard_gamma(concentration.astype(np.float64))
    x = (g / g.sum(-1, keepdims=True)).astype(concentration.dtype)
    return np.clip(x, finfo.tiny, np.nextafter(concentration.dtype.type(1), 0))


def _poisson(rng, rate):
    return rng.poisson(rate.astype(np.float64))


def _binomial(rng, total_count, probs):
    return rng.binomial(total_count, probs)
