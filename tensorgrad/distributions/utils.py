"""Helpers the distributions share (``torch.distributions.utils``' names)."""

from __future__ import annotations

import functools
from numbers import Number

import numpy as np

from ..creation import tensor
from ..grad_mode import enable_grad
from ..tensor import Tensor


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
    eps = float(np.finfo(probs.array.dtype).eps)
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
