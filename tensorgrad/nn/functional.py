"""Stateless neural-network functions, ``torch.nn.functional``'s names and defaults.

All of them are compositions of tensor ops, so their gradients (of any order) come from the
primitives; none carries calculus of its own.
"""

from __future__ import annotations

import numpy as np

from .. import backend
from .. import random as _random
from ..ops.indexing import one_hot
from ..ops.movement import ConstantPad
from ..tensor import Tensor

__all__ = [
    "cross_entropy",
    "dropout",
    "elu",
    "gelu",
    "leaky_relu",
    "linear",
    "log_softmax",
    "mse_loss",
    "nll_loss",
    "one_hot",
    "pad",
    "relu",
    "sigmoid",
    "silu",
    "softmax",
    "softplus",
    "tanh",
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


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:  # noqa: A002
    """mean((input - target)^2)"""
    diff = input - target
    return _reduce(diff * diff, reduction)


def _check_class_target(input: Tensor, target: Tensor, name: str) -> None:
    if target.data.dtype.kind not in "iu":
        raise RuntimeError(
            f"{name}: expected target of class indices with an integer dtype, got {target.dtype}"
        )
    expected = (input.shape[0], *input.shape[2:]) if input.ndim >= 2 else ()
    if target.shape != expected:
        raise ValueError(
            f"{name}: expected target of shape {expected} for input of shape {input.shape}, "
            f"got {target.shape}"
        )


def nll_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    weight: Tensor | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
) -> Tensor:
    """-weight[t] * input[t] for each target class t; 'mean' divides by the sum of weights."""
    _check_class_target(input, target, "nll_loss")
    class_dim = 1 if input.ndim >= 2 else 0
    n_classes = input.shape[class_dim]
    valid = target != ignore_index
    safe = target.where(valid, 0)
    if safe.data.size and (int(safe.data.min()) < 0 or int(safe.data.max()) >= n_classes):
        bad = int(safe.data.max()) if int(safe.data.max()) >= n_classes else int(safe.data.min())
        raise IndexError(f"nll_loss: target {bad} is out of bounds for {n_classes} classes")
    picked = input.gather(class_dim, safe.unsqueeze(class_dim)).squeeze(class_dim)
    w = valid.to(input.dtype)
    if weight is not None:
        w = w * weight[safe]
    loss = -picked * w
    if reduction == "mean":
        return loss.sum() / w.sum()
    return _reduce(loss, reduction)


def cross_entropy(
    input: Tensor,  # noqa: A002
    target: Tensor,
    weight: Tensor | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """nll_loss(log_softmax(input)), for class-index targets or class-probability targets.

    With label smoothing eps the target becomes (1 - eps) onehot + eps / C.
    """
    if input.ndim == 0:
        raise ValueError("cross_entropy: input must have at least 1 dimension (the classes)")
    class_dim = 1 if input.ndim >= 2 else 0
    n_classes = input.shape[class_dim]
    logp = input.log_softmax(class_dim)
    w_shape = [1] * input.ndim
    w_shape[class_dim] = n_classes
    if target.is_floating_point():  # class probabilities
        if target.shape != input.shape:
            raise ValueError(
                f"cross_entropy: probability targets must have the input's shape {input.shape}, "
                f"got {target.shape}"
            )
        if label_smoothing > 0:
            target = target * (1 - label_smoothing) + label_smoothing / n_classes
        prod = logp * target
        if weight is not None:
            prod = prod * weight.reshape(w_shape)
        loss = -prod.sum(class_dim)
        if reduction == "mean":
            return loss.sum() / (input.data.size // n_classes)
        return _reduce(loss, reduction)
    nll = nll_loss(logp, target, weight, ignore_index, reduction)
    if label_smoothing <= 0:
        return nll
    ignored = target == ignore_index
    smooth = (
        -(logp * weight.reshape(w_shape)).sum(class_dim)
        if weight is not None
        else -logp.sum(class_dim)
    )
    smooth = smooth.masked_fill(ignored, 0.0)
    if reduction == "mean":
        if weight is not None:
            smooth = smooth.sum() / weight[target[~ignored]].sum()
        else:
            smooth = smooth.sum() / (~ignored).sum()
    else:
        smooth = _reduce(smooth, reduction)
    return (1 - label_smoothing) * nll + smooth * (label_smoothing / n_classes)


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
