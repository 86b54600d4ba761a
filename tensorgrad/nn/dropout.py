"""``dropout`` and ``Dropout``: zero elements with probability p while training, scaling the rest
by 1/(1-p)."""

from __future__ import annotations

from .. import backend
from .. import random as tg_random
from ..tensor import Tensor
from .module import Module


def dropout(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False, *, generator=None
) -> Tensor:
    """Zero each element with probability p and scale the rest by 1/(1-p)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    keep = tg_random.rng(generator).random(input.shape) >= p
    mask = (keep / (1.0 - p)).astype(input.array.dtype)
    return input * Tensor._make(backend.to_device(mask, input.device))


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
