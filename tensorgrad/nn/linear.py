"""``Linear`` (y = x Wᵀ + b), ``Bilinear`` (y = x1ᵀ A x2 + b), their functions ``linear`` and
``bilinear``, and ``Identity``."""

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
    out = input @ weight.mT if weight.ndim == 2 else input @ weight  # raises on mixed dtypes
    if bias is not None and bias.dtype != out.dtype:  # PyTorch's addmm: no promotion either
        raise RuntimeError(
            f"linear: self and mat2 must have the same dtype, but got {bias.dtype} (bias) and "
            f"{out.dtype}"
        )
    return out + bias if bias is not None else out


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y_o = sum_ij x1_i A_oij x2_j + b_o for ``weight`` A of shape (out, in1, in2).

    Two matrix products: x1 (B, in1) @ A viewed as (in1, out in2) gives (B, out, in2), whose
    rows are dotted with x2. ``input1`` (*, in1) and ``input2`` (*, in2) share their leading
    dimensions."""
    if weight.ndim != 3:
        raise RuntimeError(
            f"bilinear: expected a 3-D weight (out_features, in1_features, in2_features), got "
            f"shape {weight.shape}"
        )
    out_f, in1, in2 = weight.shape
    if input1.ndim == 0 or input1.shape[:-1] != input2.shape[:-1] or input2.ndim == 0:
        raise RuntimeError(
            f"bilinear: input1 of shape {input1.shape} and input2 of shape {input2.shape} must "
            "have the same leading (batch) dimensions"
        )
    if input1.shape[-1] != in1 or input2.shape[-1] != in2:
        raise RuntimeError(
            f"bilinear: weight of shape {weight.shape} expects inputs with last dimensions "
            f"{in1} and {in2}, got input1 of shape {input1.shape} and input2 of shape "
            f"{input2.shape}"
        )
    if bias is not None and bias.shape != (out_f,):
        raise RuntimeError(
            f"bilinear: expected bias of shape ({out_f},) for weight of shape {weight.shape}, "
            f"got {bias.shape}"
        )
    lead = input1.shape[:-1]
    x1, x2 = input1.reshape(-1, in1), input2.reshape(-1, in2)
    t = (x1 @ weight.permute(1, 0, 2).reshape(in1, out_f * in2)).reshape(-1, out_f, in2)
    out = (t * x2.unsqueeze(1)).sum(-1).reshape(*lead, out_f)
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
            rows = math.prod(input.shape[:-1]) if input.ndim > 1 else 1
            cols = input.shape[-1] if input.ndim else 1
            raise RuntimeError(
                f"Linear(in_features={self.in_features}, out_features={self.out_features}): "
                f"mat1 and mat2 shapes cannot be multiplied ({rows}x{cols} and "
                f"{self.in_features}x{self.out_features}): expected input with last dimension "
                f"{self.in_features}, got shape {input.shape}"
            )
        return linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class Bilinear(Module):
    """y = x1ᵀ A x2 + b with A of shape (out_features, in1_features, in2_features).

    A and b start as U(-1/sqrt(in1_features), 1/sqrt(in1_features)), as PyTorch's.
    """

    def __init__(
        self,
        in1_features: int,
        in2_features: int,
        out_features: int,
        bias: bool = True,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        self.in1_features, self.in2_features = in1_features, in2_features
        self.out_features = out_features
        self.weight = Parameter(
            creation.empty(out_features, in1_features, in2_features, dtype=dtype, device=device)
        )
        if bias:
            self.bias = Parameter(creation.empty(out_features, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1 / math.sqrt(self.weight.shape[1])
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        return bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
            f"out_features={self.out_features}, bias={self.bias is not None}"
        )
