"""``Linear`` (y = x Wᵀ + b), its function ``linear``, and ``Identity``."""

from __future__ import annotations

import math

from .. import amp as _amp
from .. import creation
from ..ops import fused
from ..tensor import Tensor
from . import init
from .module import Module
from .parameter import Parameter


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """input @ weightᵀ + bias, weight of shape (out_features, in_features)."""
    if _amp.AutocastState.active:
        input, weight, bias = _amp.autocast_inputs(input, weight, bias, policy=_amp.LOWER)
    if (
        input.ndim
        and weight.ndim == 2
        and input.shape[-1] == weight.shape[1]
        and input.dtype == weight.dtype
        and type(input.array) is type(weight.array)
        and (bias is None or (bias.shape == weight.shape[:1] and bias.dtype == weight.dtype))
    ):  # the common case as one fused op (ops/fused.py: the bias lands in the GEMM's output)
        return fused.Linear.apply(input, weight, bias)
    out = input @ weight.mT if weight.ndim == 2 else input @ weight
    return out + bias if bias is not None else out


class Identity(Module):
    """Returns its input; accepts and ignores any constructor arguments, as PyTorch's."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__()

    def forward(self, input):
        return input


class Linear(Module):
    """y = x Wᵀ + b with W of shape (out_features, in_features).

    W and b start as U(-1/sqrt(in_features), 1/sqrt(in_features)) (PyTorch's Kaiming-uniform
    with a = sqrt(5)).
    """

    def __init__(
        self, in_features: int, out_features: int, bias: bool = True, device=None, dtype=None
    ) -> None:
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.weight = Parameter(
            creation.empty(out_features, in_features, dtype=dtype, device=device)
        )
        if bias:
            self.bias = Parameter(creation.empty(out_features, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.weight.shape[1]
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        if input.ndim == 0 or input.shape[-1] != self.in_features:
            raise RuntimeError(
                f"Linear(in_features={self.in_features}, out_features={self.out_features}): "
                f"expected input with last dimension {self.in_features}, got shape {input.shape}"
            )
        return linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )
