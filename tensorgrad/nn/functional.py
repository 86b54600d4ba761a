"""Stateless neural-network functions, ``torch.nn.functional``'s names and defaults.

All of them are compositions of tensor ops, so their gradients (of any order) come from the
primitives; none carries calculus of its own.
"""

from __future__ import annotations

import numpy as np

from .. import amp as _amp
from .. import backend
from .. import random as _random
from ..ops import fused
from ..ops.indexing import one_hot
from ..ops.movement import ConstantPad
from ..tensor import Tensor

__all__ = [
    "adaptive_avg_pool2d",
    "avg_pool2d",
    "batch_norm",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "conv1d",
    "conv2d",
    "conv_transpose2d",
    "cross_entropy",
    "dropout",
    "elu",
    "embedding",
    "fold",
    "gelu",
    "group_norm",
    "huber_loss",
    "l1_loss",
    "layer_norm",
    "leaky_relu",
    "linear",
    "log_softmax",
    "max_pool1d",
    "max_pool2d",
    "mse_loss",
    "nll_loss",
    "one_hot",
    "pad",
    "relu",
    "rms_norm",
    "scaled_dot_product_attention",
    "sigmoid",
    "silu",
    "smooth_l1_loss",
    "softmax",
    "softplus",
    "tanh",
    "unfold",
]


def relu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    return input.relu()


def gelu(input: Tensor, approximate: str = "none") -> Tensor:  # noqa: A002
    return input.gelu(approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    return input.silu()


def tanh(input: Tensor) -> Tensor:  # noqa: A002
    return input.tanh()


def sigmoid(input: Tensor) -> Tensor:  # noqa: A002
    return input.sigmoid()


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:  # noqa: A002
    return input.softplus(beta, threshold)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    return input.elu(alpha)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:  # noqa: A002
    return input.leaky_relu(negative_slope)


def softmax(input: Tensor, dim: int | None = None, dtype=None) -> Tensor:  # noqa: A002
    x = input if dtype is None else input.to(dtype)
    return x.softmax(_implicit_dim(x, dim))


def log_softmax(input: Tensor, dim: int | None = None, dtype=None) -> Tensor:  # noqa: A002
    x = input if dtype is None else input.to(dtype)
    return x.log_softmax(_implicit_dim(x, dim))


def _implicit_dim(x: Tensor, dim):
    if dim is not None:
        return dim
    return 0 if x.ndim in (0, 1, 3) else 1  # PyTorch's legacy choice when dim is omitted


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:  # noqa: A002
    """input @ weightᵀ + bias, weight of shape (out_features, in_features)."""
    if _amp.AutocastState.active:
        input, weight, bias = _amp.autocast_inputs(input, weight, bias, policy=_amp.LOWER)
    if (
        input.ndim
        and weight.ndim == 2
        and input.shape[-1] == weight.shape[1]
        and input.dtype == weight.dtype
        and type(input.data) is type(weight.data)
        and (bias is None or (bias.shape == weight.shape[:1] and bias.dtype == weight.dtype))
    ):  # the common case as one fused op (ops/fused.py: the bias lands in the GEMM's output)
        return fused.Linear.apply(input, weight, bias)
    out = input @ weight.mT if weight.ndim == 2 else input @ weight
    return out + bias if bias is not None else out


def dropout(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False, *, generator=None
) -> Tensor:  # noqa: A002
    """Zero each element with probability p and scale the rest by 1/(1-p)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    keep = _random.rng(generator).random(input.shape) >= p
    mask = (keep / (1.0 - p)).astype(input.data.dtype)
    return input * Tensor._make(backend.to_device(mask, input.device))


def pad(input: Tensor, pad: tuple, mode: str = "constant", value: float | None = None) -> Tensor:  # noqa: A002
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


# functions that live beside their modules (the losses in nn/loss.py, ...)
from .attention import scaled_dot_product_attention  # noqa: E402
from .conv import conv1d, conv2d, conv_transpose2d, fold, unfold  # noqa: E402
from .loss import (  # noqa: E402
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    huber_loss,
    l1_loss,
    mse_loss,
    nll_loss,
    smooth_l1_loss,
)
from .normalization import batch_norm, group_norm, layer_norm, rms_norm  # noqa: E402
from .pooling import (  # noqa: E402
    adaptive_avg_pool2d,
    avg_pool2d,
    max_pool1d,
    max_pool2d,
)
from .sparse import embedding  # noqa: E402
