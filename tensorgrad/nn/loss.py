"""Loss functions and their modules, PyTorch's names, signatures, defaults and state-dict keys.

Every loss is composed of tensor ops, so its gradients (of any order, with respect to the
input, the target and the weights) come from the primitives. The one exception is
``binary_cross_entropy``, whose clamped logs need PyTorch's own gradient at 0 and 1
(``ops/loss.py``). The functions are re-exported by ``nn.functional``.

Numerical stability:

* cross-entropy goes through ``log_softmax`` (x - logsumexp x), finite for logits of +-1000;
* ``binary_cross_entropy_with_logits`` is (1 - t) x + (1 + (p - 1) t) softplus(-x), and
  softplus(z) = max(z, 0) + log1p(e^-|z|) never overflows;
* ``binary_cross_entropy`` clamps each log at -100, as PyTorch.

The modules pass their own class name to the shared implementations, so an error raised by
``CrossEntropyLoss()(x, y)`` names ``CrossEntropyLoss`` and the shapes.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .. import amp as _amp
from ..jit import recorder
from ..ops.fused import BinaryCrossEntropy, NllLoss
from ..tensor import Tensor
from .module import Module

__all__ = [
    "BCELoss",
    "BCEWithLogitsLoss",
    "CrossEntropyLoss",
    "HuberLoss",
    "L1Loss",
    "MSELoss",
    "NLLLoss",
    "SmoothL1Loss",
]

# ------------------------------------------------------------------------------ helpers


def _legacy_reduction(size_average, reduce, reduction: str) -> str:
    """PyTorch's deprecated ``size_average``/``reduce`` flags, turned into a ``reduction``."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    out = "mean" if size_average and reduce else "sum" if reduce else "none"
    warnings.warn(
        f"size_average and reduce args will be deprecated, please use reduction='{out}' instead.",
        stacklevel=3,
    )
    return out


def _check_reduction(reduction: str, name: str) -> None:
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(
            f"{name}: {reduction!r} is not a valid value for reduction "
            "(expected 'mean', 'sum' or 'none')"
        )


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _check_pair(input: Tensor, target: Tensor, name: str) -> None:
    """Regression losses broadcast target against input, warning as PyTorch does."""
    if target.shape == input.shape:
        return
    try:
        np.broadcast_shapes(input.shape, target.shape)
    except ValueError:
        raise RuntimeError(
            f"{name}: target of shape {target.shape} does not broadcast with input of shape "
            f"{input.shape}"
        ) from None
    warnings.warn(
        f"{name}: using a target size {target.shape} that is different to the input size "
        f"{input.shape}. This will likely lead to incorrect results due to broadcasting. "
        "Please ensure they have the same size.",
        stacklevel=4,
    )


def _weighted(loss: Tensor, weight, reduction: str, input: Tensor, name: str, mean_by_weight):
    """Per-element ``weight`` (the input's shape); 'mean' divides by sum(weight) when
    ``mean_by_weight`` (mse_loss, l1_loss) and by the element count otherwise (huber_loss)."""
    _check_reduction(reduction, name)
    if weight is None:
        return _reduce(loss, reduction)
    if weight.shape != input.shape:
        raise ValueError(
            f"{name}: weight of shape {weight.shape} must have the input's shape {input.shape}"
        )
    loss = loss * weight
    if reduction == "mean" and mean_by_weight:
        return loss.sum() / weight.sum()
    return _reduce(loss, reduction)


# ------------------------------------------------------------------------------ regression


def _mse(input, target, reduction, weight, name):
    if _amp.AutocastState.active:
        input, target, weight = _amp.autocast_inputs(input, target, weight, policy=_amp.FP32)
    _check_pair(input, target, name)
    diff = input - target
    return _weighted(diff * diff, weight, reduction, input, name, True)


def mse_loss(
    input: Tensor,
    target: Tensor,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    weight: Tensor | None = None,
) -> Tensor:
    """(input - target)^2, reduced; with ``weight``, 'mean' is sum(w l) / sum(w)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    return _mse(input, target, reduction, weight, "mse_loss")


def _l1(input, target, reduction, weight, name):
    if _amp.AutocastState.active:
        input, target, weight = _amp.autocast_inputs(input, target, weight, policy=_amp.FP32)
    _check_pair(input, target, name)
    return _weighted((input - target).abs(), weight, reduction, input, name, True)


def l1_loss(
    input: Tensor,
    target: Tensor,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    weight: Tensor | None = None,
) -> Tensor:
    """|input - target|, reduced; with ``weight``, 'mean' is sum(w l) / sum(w)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    return _l1(input, target, reduction, weight, "l1_loss")


def _smooth_l1(input, target, reduction, beta, name):
    if _amp.AutocastState.active:
        input, target = _amp.autocast_inputs(input, target, policy=_amp.FP32)
    if beta < 0:
        raise RuntimeError(f"{name}: beta must be >= 0, got {beta}")
    if beta == 0:  # the limit is l1_loss (and 0.5 d^2 / beta would divide by zero)
        return _l1(input, target, reduction, None, name)
    _check_pair(input, target, name)
    _check_reduction(reduction, name)
    d = input - target
    a = d.abs()
    return _reduce((0.5 / beta * d * d).where(a < beta, a - 0.5 * beta), reduction)


def smooth_l1_loss(
    input: Tensor,
    target: Tensor,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    beta: float = 1.0,
) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (d = input - target); beta = 0 is
    l1_loss."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    return _smooth_l1(input, target, reduction, beta, "smooth_l1_loss")


def _huber(input, target, reduction, delta, weight, name):
    if _amp.AutocastState.active:
        input, target, weight = _amp.autocast_inputs(input, target, weight, policy=_amp.FP32)
    if delta <= 0:
        raise RuntimeError(f"{name}: delta must be > 0, got {delta}")
    _check_pair(input, target, name)
    d = input - target
    a = d.abs()
    loss = (0.5 * d * d).where(a < delta, delta * (a - 0.5 * delta))
    return _weighted(loss, weight, reduction, input, name, False)


def huber_loss(
    input: Tensor,
    target: Tensor,
    reduction: str = "mean",
    delta: float = 1.0,
    weight: Tensor | None = None,
) -> Tensor:
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta): delta * smooth_l1(beta=delta)."""
    return _huber(input, target, reduction, delta, weight, "huber_loss")


# ------------------------------------------------------------------------------ binary


def _check_same_shape(input: Tensor, target: Tensor, name: str) -> None:
    if target.shape != input.shape:
        raise ValueError(
            f"{name}: target of shape {target.shape} must have the input's shape {input.shape}"
        )


def _check_probabilities(x, name: str) -> None:
    if x.size and not bool(((x >= 0) & (x <= 1)).all()):
        raise RuntimeError(f"{name}: all elements of input should be between 0 and 1")


def _bce(input, target, weight, reduction, name):
    if _amp.AutocastState.active:
        input, target, weight = _amp.autocast_inputs(input, target, weight, policy=_amp.FP32)
    _check_same_shape(input, target, name)
    _check_reduction(reduction, name)
    recorder.check(_check_probabilities, input.array, name)
    loss = BinaryCrossEntropy.apply(input, target)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def binary_cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """-w (t log x + (1 - t) log(1 - x)) for probabilities x, each log clamped to >= -100."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    return _bce(input, target, weight, reduction, "binary_cross_entropy")


def _bce_logits(input, target, weight, pos_weight, reduction, name):
    if _amp.AutocastState.active:
        input, target, weight, pos_weight = _amp.autocast_inputs(
            input, target, weight, pos_weight, policy=_amp.FP32
        )
    _check_same_shape(input, target, name)
    _check_reduction(reduction, name)
    # -log sigmoid(x) = softplus(-x); an infinite threshold keeps the exact formula everywhere
    nls = (-input).softplus(1.0, math.inf)
    if pos_weight is not None:
        nls = nls * (1 + (pos_weight - 1) * target)
    loss = (1 - target) * input + nls
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    pos_weight: Tensor | None = None,
) -> Tensor:
    """binary_cross_entropy(sigmoid(x), t) computed stably from the logits x:
    w ((1 - t) x + (1 + (p - 1) t) log(1 + e^-x)), with ``pos_weight`` p weighting the
    positive term (broadcast along the last dimensions, e.g. one per class)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    return _bce_logits(
        input, target, weight, pos_weight, reduction, "binary_cross_entropy_with_logits"
    )


# ------------------------------------------------------------------------------ classes


def _check_class_target(input: Tensor, target: Tensor, name: str) -> None:
    if target.array.dtype.kind not in "iu":
        raise RuntimeError(
            f"{name}: expected a target of class indices with an integer dtype (int64), got a "
            f"{target.dtype} target of shape {target.shape} for input of shape {input.shape} "
            "(class-probability targets must have the input's shape)"
        )
    expected = (input.shape[0], *input.shape[2:]) if input.ndim >= 2 else ()
    if target.shape == expected:
        return
    if input.ndim >= 2 and target.ndim >= 1 and target.shape[0] != input.shape[0]:
        raise ValueError(
            f"{name}: expected input batch_size ({input.shape[0]}) to match target batch_size "
            f"({target.shape[0]}); input of shape {input.shape}, target of shape {target.shape}"
        )
    raise RuntimeError(
        f"{name}: expected target of shape {expected} for input of shape {input.shape}, "
        f"got {target.shape}"
    )


def _nll(input, target, weight, ignore_index, reduction, name):
    if _amp.AutocastState.active:
        input, weight = _amp.autocast_inputs(input, weight, policy=_amp.FP32)
    if input.ndim == 0:
        raise ValueError(f"{name}: input must have at least 1 dimension (the classes)")
    _check_class_target(input, target, name)
    _check_reduction(reduction, name)
    class_dim = 1 if input.ndim >= 2 else 0
    n_classes = input.shape[class_dim]
    if weight is not None and weight.shape != (n_classes,):
        raise RuntimeError(
            f"{name}: weight must have one entry per class, shape ({n_classes},), got "
            f"{weight.shape} for input of shape {input.shape}"
        )
    if weight is not None and weight.dtype != input.dtype:  # PyTorch refuses it too
        raise RuntimeError(
            f"{name}: expected a weight of the input's dtype {input.dtype}, got {weight.dtype}"
        )
    return NllLoss.apply(
        input,
        target,
        weight,
        dim=class_dim,
        ignore_index=ignore_index,
        reduction=reduction,
        name=name,
    )


def nll_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    ignore_index: int = -100,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """-weight[t] input[t] for each target class t (input holds log-probabilities, classes in
    dim 1, or dim 0 for an unbatched input); 'mean' divides by the sum of the weights of the
    targets that are not ``ignore_index``."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    return _nll(input, target, weight, ignore_index, reduction, "nll_loss")


def _cross_entropy(input, target, weight, ignore_index, reduction, label_smoothing, name):
    if _amp.AutocastState.active:
        input, target, weight = _amp.autocast_inputs(input, target, weight, policy=_amp.FP32)
    if input.ndim == 0:
        raise ValueError(f"{name}: input must have at least 1 dimension (the classes)")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{name}: label_smoothing must be in [0, 1], got {label_smoothing}")
    _check_reduction(reduction, name)
    class_dim = 1 if input.ndim >= 2 else 0
    n_classes = input.shape[class_dim]
    logp = input.log_softmax(class_dim)  # one fused op (ops/fused.py)
    w_shape = [1] * input.ndim
    w_shape[class_dim] = n_classes
    if target.shape == input.shape:  # class probabilities, as PyTorch decides it
        if not target.is_floating_point():
            raise RuntimeError(
                f"{name}: a target of the input's shape {input.shape} holds class "
                f"probabilities and must be floating point, got {target.dtype}"
            )
        if weight is not None and weight.shape != (n_classes,):
            raise RuntimeError(
                f"{name}: weight must have one entry per class, shape ({n_classes},), got "
                f"{weight.shape} for input of shape {input.shape}"
            )
        if label_smoothing > 0:
            target = target * (1 - label_smoothing) + label_smoothing / n_classes
        prod = logp * target
        if weight is not None:
            prod = prod * weight.reshape(w_shape)
        loss = -prod.sum(class_dim)
        if reduction == "mean":  # over the samples (and positions), whatever the weights
            return loss.sum() / (input.array.size // n_classes)
        return _reduce(loss, reduction)
    nll = _nll(logp, target, weight, ignore_index, reduction, name)
    if label_smoothing <= 0:
        return nll
    # the smoothing term: -sum_c w_c logp_c / C per counted target
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


def cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    ignore_index: int = -100,
    reduce=None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """nll_loss(log_softmax(input)) for class-index targets (integer, the input's shape without
    the class dimension), or -sum_c w_c t_c log_softmax(input)_c for class-probability targets
    (floating point, the input's shape). With label smoothing eps the target becomes
    (1 - eps) onehot + eps / C."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    return _cross_entropy(
        input, target, weight, ignore_index, reduction, label_smoothing, "cross_entropy"
    )


# ------------------------------------------------------------------------------ modules


class _Loss(Module):
    def __init__(self, size_average=None, reduce=None, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = _legacy_reduction(size_average, reduce, reduction)


class _WeightedLoss(_Loss):
    """A loss with a ``weight`` buffer (in the state dict when given, as PyTorch)."""

    def __init__(
        self, weight: Tensor | None = None, size_average=None, reduce=None, reduction="mean"
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)


class MSELoss(_Loss):
    """Mean squared error: (input - target)^2, reduced."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return _mse(input, target, self.reduction, None, type(self).__name__)


class L1Loss(_Loss):
    """Mean absolute error: |input - target|, reduced."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return _l1(input, target, self.reduction, None, type(self).__name__)


class SmoothL1Loss(_Loss):
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta; beta = 0 is L1Loss."""

    def __init__(
        self, size_average=None, reduce=None, reduction: str = "mean", beta: float = 1.0
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return _smooth_l1(input, target, self.reduction, self.beta, type(self).__name__)


class HuberLoss(_Loss):
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta)."""

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction=reduction)
        self.delta = delta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return _huber(input, target, self.reduction, self.delta, None, type(self).__name__)


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of class indices, on log-probabilities (see ``nll_loss``)."""

    def __init__(
        self,
        weight: Tensor | None = None,
        size_average=None,
        ignore_index: int = -100,
        reduce=None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        name = type(self).__name__
        return _nll(input, target, self.weight, self.ignore_index, self.reduction, name)


class CrossEntropyLoss(_WeightedLoss):
    """Cross-entropy of logits against class indices or class probabilities, with optional
    class ``weight``, ``ignore_index`` and ``label_smoothing`` (see ``cross_entropy``)."""

    def __init__(
        self,
        weight: Tensor | None = None,
        size_average=None,
        ignore_index: int = -100,
        reduce=None,
        reduction: str = "mean",
        label_smoothing: float = 0.0,
    ) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return _cross_entropy(
            input,
            target,
            self.weight,
            self.ignore_index,
            self.reduction,
            self.label_smoothing,
            type(self).__name__,
        )


class BCELoss(_WeightedLoss):
    """Binary cross-entropy of probabilities (see ``binary_cross_entropy``)."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return _bce(input, target, self.weight, self.reduction, type(self).__name__)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy of logits, with ``weight`` and ``pos_weight`` buffers (see
    ``binary_cross_entropy_with_logits``)."""

    def __init__(
        self,
        weight: Tensor | None = None,
        size_average=None,
        reduce=None,
        reduction: str = "mean",
        pos_weight: Tensor | None = None,
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return _bce_logits(
            input, target, self.weight, self.pos_weight, self.reduction, type(self).__name__
        )
