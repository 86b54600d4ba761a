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
from .. import backend
from ..jit import recorder
from ..ops.fused import BinaryCrossEntropy, NllLoss
from ..tensor import Tensor
from .distance import PairwiseDistance, pairwise_distance
from .module import Module

__all__ = [
    "BCELoss",
    "BCEWithLogitsLoss",
    "CosineEmbeddingLoss",
    "CrossEntropyLoss",
    "GaussianNLLLoss",
    "HingeEmbeddingLoss",
    "HuberLoss",
    "KLDivLoss",
    "L1Loss",
    "MSELoss",
    "MarginRankingLoss",
    "MultiLabelMarginLoss",
    "MultiLabelSoftMarginLoss",
    "MultiMarginLoss",
    "NLLLoss",
    "PoissonNLLLoss",
    "SmoothL1Loss",
    "SoftMarginLoss",
    "TripletMarginLoss",
    "TripletMarginWithDistanceLoss",
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
        f"{name}: Using a target size ({target.shape}) that is different to the input size "
        f"({input.shape}). This will likely lead to incorrect results due to broadcasting. "
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


def _poisson_nll(input, target, log_input, full, eps, reduction, name):
    _check_reduction(reduction, name)
    if log_input:  # input = log(rate)
        loss = input.exp() - target * input
    else:  # input = rate
        loss = input - target * (input + eps).log()
    if full:  # Stirling's approximation of log(target!), for target > 1 only (as PyTorch)
        big = target > 1
        safe = target.where(big, 1.0)  # no log(0) (nor its NaN gradient) where it is dropped
        stirling = safe * safe.log() - safe + 0.5 * (2 * math.pi * safe).log()
        loss = loss + stirling.where(big, 0.0)
    return _reduce(loss, reduction)


def poisson_nll_loss(
    input: Tensor,
    target: Tensor,
    log_input: bool = True,
    full: bool = False,
    size_average=None,
    eps: float = 1e-8,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of ``target`` under Poisson(rate): e^x - t x for
    ``log_input`` (x = log rate), else x - t log(x + eps); ``full`` adds Stirling's
    t log t - t + log(2 pi t) / 2 where t > 1. The target's gradient is PyTorch's, except at
    target = 0 with ``full``, where it is 0 here and NaN there (0 times log 0)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    return _poisson_nll(input, target, log_input, full, eps, reduction, "poisson_nll_loss")


def _gaussian_nll(input, target, var, full, eps, reduction, name):
    if isinstance(var, (int, float)):
        if var < 0:
            raise ValueError(f"{name}: var has negative entry/entries (var={var})")
        var = input.detach() * 0.0 + float(var)  # a constant of the input's shape
    else:
        recorder.check(_check_nonnegative, var.array, name)
        if var.shape != input.shape:
            if input.shape[:-1] == var.shape:  # one variance per sample: homoscedastic
                var = var.unsqueeze(-1)
            elif not (
                input.ndim == var.ndim
                and sum(v for i, v in zip(input.shape, var.shape) if i != v) == 1
            ):
                raise ValueError(
                    f"{name}: var is of incorrect size: var of shape {var.shape} for input of "
                    f"shape {input.shape} (expected the input's shape, its shape without the "
                    "last dimension, or one dimension of size 1)"
                )
    _check_reduction(reduction, name)
    # PyTorch clamps a clone of var in place under no_grad: the values are clamped to eps, the
    # gradient passes as if no clamp were there (1, also where var < eps)
    var = var + (var.detach().clamp(min=eps) - var.detach())
    diff = input - target
    loss = 0.5 * (var.log() + diff * diff / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


def _check_nonnegative(var, name: str) -> None:
    if var.size and bool((var < 0).any()):
        raise ValueError(f"{name}: var has negative entry/entries")


def gaussian_nll_loss(
    input: Tensor,
    target: Tensor,
    var: Tensor | float,
    full: bool = False,
    eps: float = 1e-6,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of ``target`` under N(input, var):
    (log max(var, eps) + (input - target)^2 / max(var, eps)) / 2, plus log(2 pi) / 2 with
    ``full``. ``var`` has the input's shape, or lacks its last dimension, or has one dimension
    of size 1 (or is a number). The clamp at ``eps`` does not stop var's gradient (PyTorch's
    no-grad clamp)."""
    return _gaussian_nll(input, target, var, full, eps, reduction, "gaussian_nll_loss")


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
    if target.array.dtype.name not in ("int64", "uint8"):  # PyTorch takes no int32 classes
        kind = target.type().rsplit(".", 1)[-1].removesuffix("Tensor")  # 'Int'
        raise RuntimeError(
            f"{name}: expected target dtype to be Long or Byte, but got {kind} (class indices "
            "must be int64: use target.long())"
        )
    expected = (input.shape[0], *input.shape[2:]) if input.ndim >= 2 else ()
    if target.shape == expected:
        return
    if input.ndim >= 2 and target.ndim >= 1 and target.shape[0] != input.shape[0]:
        raise ValueError(
            f"{name}: expected input batch_size ({input.shape[0]}) to match target batch_size "
            f"({target.shape[0]}); input of shape {input.shape}, target of shape {target.shape}"
        )
    multi = (
        "0D or 1D target tensor expected, multi-target not supported: " if input.ndim <= 2 else ""
    )
    raise RuntimeError(
        f"{name}: {multi}expected target of shape {expected} for input of shape {input.shape}, "
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


# ------------------------------------------------------------------------------ divergence


def _xlogx(x: Tensor) -> Tensor:
    """x log x with 0 where x == 0 (PyTorch's ``xlogy(x, x)``); the log sees 1 there, so no NaN
    or inf reaches the gradient either."""
    nonzero = x != 0
    return (x * x.where(nonzero, 1.0).log()).where(nonzero, 0.0)


def _kl_div(input, target, reduction, log_target, name):
    if _amp.AutocastState.active:
        input, target = _amp.autocast_inputs(input, target, policy=_amp.FP32)
    if reduction not in ("mean", "batchmean", "sum", "none"):
        raise ValueError(
            f"{name}: {reduction!r} is not a valid value for reduction "
            "(expected 'mean', 'batchmean', 'sum' or 'none')"
        )
    if reduction == "mean":
        warnings.warn(
            "reduction: 'mean' divides the total loss by both the batch size and the support "
            "size.'batchmean' divides only by the batch size, and aligns with the KL div math "
            "definition.'mean' will be changed to behave the same as 'batchmean' in the next "
            "major release.",
            stacklevel=4,
        )
    if log_target:
        loss = target.exp() * (target - input)
    else:
        loss = _xlogx(target) - target * input
    if reduction == "batchmean":
        return loss.sum() / input.shape[0] if input.ndim else loss.sum()
    return _reduce(loss, reduction)


def kl_div(
    input: Tensor,
    target: Tensor,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    log_target: bool = False,
) -> Tensor:
    """The pointwise Kullback-Leibler divergence t (log t - x) of a target t from log-probabilities
    x (0 where t == 0), or e^t (t - x) when ``log_target`` gives the target as log-probabilities.

    'batchmean' divides the sum by the batch size (``input.shape[0]``): the KL divergence of
    the distributions. 'mean' divides by the number of elements and warns, as PyTorch does.
    Where the target is exactly 0 its gradient here is -x (the t log t term contributes 0);
    PyTorch's is NaN."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    return _kl_div(input, target, reduction, log_target, "kl_div")


# ------------------------------------------------------------------------------ margins


def _margin_ranking(input1, input2, target, margin, reduction, name):
    if not input1.ndim == input2.ndim == target.ndim:
        raise RuntimeError(
            f"{name}: all input tensors should have the same number of dimensions, got input1 "
            f"of shape {input1.shape}, input2 of shape {input2.shape}, target of shape "
            f"{target.shape}"
        )
    _check_reduction(reduction, name)
    return _reduce((margin - target * (input1 - input2)).clamp(min=0.0), reduction)


def margin_ranking_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """max(0, -y (x1 - x2) + margin) for targets y = 1 (x1 should rank higher) or -1."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    return _margin_ranking(input1, input2, target, margin, reduction, "margin_ranking_loss")


def _hinge_embedding(input, target, margin, reduction, name):
    _check_reduction(reduction, name)
    # a target that is neither 1 nor -1 adds both terms, as PyTorch
    loss = input.where(target != -1, 0.0) + (margin - input).clamp(min=0.0).where(target != 1, 0.0)
    return _reduce(loss, reduction)


def hinge_embedding_loss(
    input: Tensor,
    target: Tensor,
    margin: float = 1.0,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """x where y = 1, max(0, margin - x) where y = -1 (x is typically a distance)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    return _hinge_embedding(input, target, margin, reduction, "hinge_embedding_loss")


def _soft_margin(input, target, reduction, name):
    _check_reduction(reduction, name)
    # log(1 + e^(-y x)) = softplus(-y x), which never overflows
    return _reduce((-target * input).softplus(1.0, math.inf), reduction)


def soft_margin_loss(
    input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean"
) -> Tensor:
    """log(1 + e^(-y x)), a smooth two-class hinge for targets y = 1 or -1."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    return _soft_margin(input, target, reduction, "soft_margin_loss")


def _multilabel_soft_margin(input, target, weight, reduction, name):
    _check_reduction(reduction, name)
    if input.ndim == 0:
        raise ValueError(f"{name}: input must have at least 1 dimension (the classes)")
    # -log sigmoid(x) = softplus(-x), -log(1 - sigmoid(x)) = softplus(x)
    nls = (-input).softplus(1.0, math.inf)
    loss = target * nls + (1 - target) * input.softplus(1.0, math.inf)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss.sum(-1) / input.shape[-1], reduction)


def multilabel_soft_margin_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """-(1/C) sum_c w_c (y_c log sigmoid(x_c) + (1 - y_c) log sigmoid(-x_c)) over the C classes
    of the last dimension, for multi-hot targets y; one loss per sample, then reduced."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    return _multilabel_soft_margin(input, target, weight, reduction, "multilabel_soft_margin_loss")


def _class_scores(input: Tensor, target: Tensor, name: str) -> tuple:
    """(N, C) scores and (N,) class targets from (N, C)/(N,) or unbatched (C,)/() ones."""
    if input.ndim not in (1, 2) or input.shape[-1] == 0:
        raise RuntimeError(
            f"{name}: expected non-empty 1-D (C,) or 2-D (N, C) input, got shape {input.shape}"
        )
    if not isinstance(target, Tensor) or target.array.dtype.kind not in "iu":
        kind = target.dtype if isinstance(target, Tensor) else type(target).__name__
        raise RuntimeError(f"{name}: expected an integer class-index target, got {kind}")
    want = input.shape[:1] if input.ndim == 2 else ()
    if target.shape != want and not (input.ndim == 1 and target.shape == (1,)):
        raise RuntimeError(
            f"{name}: expected target of shape {want} for input of shape {input.shape}, got "
            f"{target.shape}"
        )
    return input.reshape(-1, input.shape[-1]), target.reshape(-1)


def _check_classes(t, c: int, name: str) -> None:
    if t.size and (int(t.min()) < 0 or int(t.max()) >= c):
        bad = int(t.min()) if int(t.min()) < 0 else int(t.max())
        raise IndexError(f"{name}: target {bad} is out of bounds for {c} classes")


def _multi_margin(input, target, p, margin, weight, reduction, name):
    if p not in (1, 2):
        raise ValueError(f"{name}: only p == 1 and p == 2 supported, got p={p}")
    _check_reduction(reduction, name)
    x, t = _class_scores(input, target, name)
    c = x.shape[1]
    recorder.check(_check_classes, t.array, c, name)
    if weight is not None and weight.shape != (c,):
        raise RuntimeError(
            f"{name}: weight must have one entry per class, shape ({c},), got {weight.shape} "
            f"for input of shape {input.shape}"
        )
    col = t.unsqueeze(1)
    z = (margin - x.gather(1, col) + x).clamp(min=0.0)  # max(0, margin - x[y] + x[i])
    h = z if p == 1 else z * z
    if weight is not None:
        h = h * weight.index_select(0, t).unsqueeze(1)
    h = h.scatter(1, col, 0.0)  # the target class itself is not summed
    loss = h.sum(1) / c
    return _reduce(loss if input.ndim == 2 else loss.reshape(()), reduction)


def multi_margin_loss(
    input: Tensor,
    target: Tensor,
    p: int = 1,
    margin: float = 1.0,
    weight: Tensor | None = None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """Multi-class hinge: sum_{i != y} w_y max(0, margin - x_y + x_i)^p / C per sample
    (input (N, C) or (C,), class targets y, p = 1 or 2). As PyTorch's code (not its
    documentation), w_y multiplies after the power."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    return _multi_margin(input, target, p, margin, weight, reduction, "multi_margin_loss")


def _multilabel_margin(input, target, reduction, name):
    _check_reduction(reduction, name)
    if input.ndim not in (1, 2) or target.shape != input.shape:
        raise RuntimeError(
            f"{name}: expected 1-D (C,) or 2-D (N, C) input and a target of its shape, got "
            f"input of shape {input.shape} and target of shape {target.shape}"
        )
    if target.array.dtype.kind not in "iu":
        raise RuntimeError(
            f"{name}: expected an integer target of class indices, got {target.dtype}"
        )
    x = input.reshape(-1, input.shape[-1]) if input.ndim else input
    c = x.shape[1]
    recorder.check(_check_multilabel, target.array, c, name)
    listed = recorder.call(_multilabel_counts, target.array.reshape(-1, c), x.array.dtype)
    # pairs (n, j, i): j listed (as often as it is: PyTorch counts repeats), i not listed
    pairs = Tensor._make(listed[:, :, None] * (listed == 0)[:, None, :])
    # max(0, 1 - (x_j - x_i)) for each target j and non-target i
    z = (1 - (x.unsqueeze(2) - x.unsqueeze(1))).clamp(min=0.0) * pairs
    loss = z.sum((1, 2)) / c
    return _reduce(loss if input.ndim == 2 else loss.reshape(()), reduction)


def _check_multilabel(t, c: int, name: str) -> None:
    if t.size and (int(t.min()) < -1 or int(t.max()) >= c):
        raise IndexError(f"{name}: target values must be in [-1, {c - 1}], got {t}")


@recorder.pure
def _multilabel_counts(t, dtype):
    """(N, C): how often each class is listed in each row of ``t`` before its first -1."""
    xp = backend.xp_of(t)
    valid = xp.cumprod(t >= 0, axis=1).astype(bool)  # up to the first -1
    counts = xp.zeros(t.shape, dtype=dtype)
    rows = xp.broadcast_to(xp.arange(t.shape[0])[:, None], t.shape)
    backend.scatter_add(counts, (rows[valid], t[valid]), 1)
    return counts


def multilabel_margin_loss(
    input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean"
) -> Tensor:
    """Multi-label hinge: sum over target classes j and non-target classes i of
    max(0, 1 - (x_j - x_i)) / C; ``target`` (the input's shape) lists each sample's classes,
    ended by the first -1."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    return _multilabel_margin(input, target, reduction, "multilabel_margin_loss")


def _cosine_embedding(input1, input2, target, margin, reduction, name):
    if target.ndim not in (0, 1):
        raise RuntimeError(
            f"{name}: 0D or 1D target tensor expected, multi-target not supported; got target "
            f"of shape {target.shape}"
        )
    want = target.ndim + 1
    if input1.ndim != want or input2.ndim != want:
        raise RuntimeError(
            f"{name}: {target.ndim}D target tensor expects {want}D input tensors, but found "
            f"inputs of shapes {input1.shape} and {input2.shape}"
        )
    _check_reduction(reduction, name)
    dim = target.ndim
    # PyTorch's formula: eps = 1e-12 added to each squared norm
    denom = (((input1 * input1).sum(dim) + 1e-12) * ((input2 * input2).sum(dim) + 1e-12)).sqrt()
    cos = (input1 * input2).sum(dim) / denom
    loss = (1 - cos).where(target == 1, 0.0) + (cos - margin).clamp(min=0.0).where(
        target == -1, 0.0
    )
    return _reduce(loss, reduction)


def cosine_embedding_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """1 - cos(x1, x2) where y = 1, max(0, cos(x1, x2) - margin) where y = -1, with
    cos = x1 . x2 / sqrt((||x1||^2 + 1e-12) (||x2||^2 + 1e-12)) over the last dimension."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    return _cosine_embedding(input1, input2, target, margin, reduction, "cosine_embedding_loss")


def _triplet_margin(anchor, positive, negative, margin, p, eps, swap, reduction, name):
    if margin <= 0:
        raise ValueError(f"{name}: margin must be greater than 0, got {margin}")
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise RuntimeError(
            f"{name}: the anchor, positive, and negative tensors are expected to have the same "
            f"number of dimensions, but got anchor of shape {anchor.shape}, positive of shape "
            f"{positive.shape} and negative of shape {negative.shape}"
        )
    _check_reduction(reduction, name)
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:  # the positive may be closer to the negative than the anchor is (Balntas et al.)
        d_neg = d_neg.minimum(pairwise_distance(positive, negative, p, eps))
    return _reduce((margin + d_pos - d_neg).clamp(min=0.0), reduction)


def triplet_margin_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    margin: float = 1.0,
    p: float = 2,
    eps: float = 1e-6,
    swap: bool = False,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """max(0, margin + d(a, p) - d(a, n)) with d = ``pairwise_distance`` (p-norm, ``eps``);
    ``swap`` uses min(d(a, n), d(p, n)) as the negative distance."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    return _triplet_margin(
        anchor, positive, negative, margin, p, eps, swap, reduction, "triplet_margin_loss"
    )


def triplet_margin_with_distance_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    *,
    distance_function=None,
    margin: float = 1.0,
    swap: bool = False,
    reduction: str = "mean",
) -> Tensor:
    """max(0, margin + d(a, p) - d(a, n)) with any distance ``d`` (``distance_function(x1,
    x2)``, a tensor of distances; ``pairwise_distance`` by default); ``swap`` uses
    min(d(a, n), d(p, n)) as the negative distance."""
    return _triplet_with_distance(
        anchor,
        positive,
        negative,
        distance_function,
        margin,
        swap,
        reduction,
        "triplet_margin_with_distance_loss",
    )


def _triplet_with_distance(anchor, positive, negative, distance, margin, swap, reduction, name):
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction ({name})")
    if margin <= 0:
        raise ValueError(f"{name}: margin must be greater than 0, got {margin}")
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise RuntimeError(
            f"{name}: the anchor, positive, and negative tensors are expected to have the same "
            f"number of dimensions, but got: anchor {anchor.ndim}D, positive {positive.ndim}D, "
            f"and negative {negative.ndim}D inputs (shapes {anchor.shape}, {positive.shape}, "
            f"{negative.shape})"
        )
    distance = pairwise_distance if distance is None else distance
    d_pos = distance(anchor, positive)
    d_neg = distance(anchor, negative)
    if swap:
        d_neg = d_neg.minimum(distance(positive, negative))
    return _reduce((margin + d_pos - d_neg).clamp(min=0.0), reduction)


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


class KLDivLoss(_Loss):
    """Kullback-Leibler divergence of a target from log-probabilities (see ``kl_div``); use
    ``reduction='batchmean'`` for the divergence itself."""

    def __init__(
        self, size_average=None, reduce=None, reduction: str = "mean", log_target: bool = False
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return _kl_div(input, target, self.reduction, self.log_target, type(self).__name__)


class MarginRankingLoss(_Loss):
    """max(0, -y (x1 - x2) + margin) (see ``margin_ranking_loss``)."""

    def __init__(
        self, margin: float = 0.0, size_average=None, reduce=None, reduction: str = "mean"
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1: Tensor, input2: Tensor, target: Tensor) -> Tensor:
        return _margin_ranking(
            input1, input2, target, self.margin, self.reduction, type(self).__name__
        )


class HingeEmbeddingLoss(_Loss):
    """x where y = 1, max(0, margin - x) where y = -1 (see ``hinge_embedding_loss``)."""

    def __init__(
        self, margin: float = 1.0, size_average=None, reduce=None, reduction: str = "mean"
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return _hinge_embedding(input, target, self.margin, self.reduction, type(self).__name__)


class SoftMarginLoss(_Loss):
    """log(1 + e^(-y x)) (see ``soft_margin_loss``)."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return _soft_margin(input, target, self.reduction, type(self).__name__)


class MultiLabelSoftMarginLoss(_WeightedLoss):
    """Multi-label one-versus-all logistic loss, averaged over the classes (see
    ``multilabel_soft_margin_loss``)."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return _multilabel_soft_margin(
            input, target, self.weight, self.reduction, type(self).__name__
        )


class CosineEmbeddingLoss(_Loss):
    """1 - cos(x1, x2) where y = 1, max(0, cos(x1, x2) - margin) where y = -1 (see
    ``cosine_embedding_loss``)."""

    def __init__(
        self, margin: float = 0.0, size_average=None, reduce=None, reduction: str = "mean"
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1: Tensor, input2: Tensor, target: Tensor) -> Tensor:
        return _cosine_embedding(
            input1, input2, target, self.margin, self.reduction, type(self).__name__
        )


class TripletMarginLoss(_Loss):
    """max(0, margin + d(a, p) - d(a, n)) with the p-norm ``pairwise_distance`` (see
    ``triplet_margin_loss``)."""

    def __init__(
        self,
        margin: float = 1.0,
        p: float = 2.0,
        eps: float = 1e-6,
        swap: bool = False,
        size_average=None,
        reduce=None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin, self.p, self.eps, self.swap = margin, p, eps, swap

    def forward(self, anchor: Tensor, positive: Tensor, negative: Tensor) -> Tensor:
        return _triplet_margin(
            anchor,
            positive,
            negative,
            self.margin,
            self.p,
            self.eps,
            self.swap,
            self.reduction,
            type(self).__name__,
        )


class TripletMarginWithDistanceLoss(_Loss):
    """max(0, margin + d(a, p) - d(a, n)) with a distance ``distance_function`` (a
    ``PairwiseDistance()`` submodule by default, as in PyTorch; see
    ``triplet_margin_with_distance_loss``)."""

    def __init__(
        self,
        *,
        distance_function=None,
        margin: float = 1.0,
        swap: bool = False,
        reduction: str = "mean",
    ) -> None:
        super().__init__(None, None, reduction)
        if margin <= 0:
            raise ValueError(
                "TripletMarginWithDistanceLoss: expected margin to be greater than 0, got "
                f"{margin} instead"
            )
        self.distance_function = (
            distance_function if distance_function is not None else PairwiseDistance()
        )
        self.margin, self.swap = margin, swap

    def forward(self, anchor: Tensor, positive: Tensor, negative: Tensor) -> Tensor:
        return _triplet_with_distance(
            anchor,
            positive,
            negative,
            self.distance_function,
            self.margin,
            self.swap,
            self.reduction,
            type(self).__name__,
        )


class PoissonNLLLoss(_Loss):
    """Poisson negative log-likelihood (see ``poisson_nll_loss``)."""

    def __init__(
        self,
        log_input: bool = True,
        full: bool = False,
        size_average=None,
        eps: float = 1e-8,
        reduce=None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.log_input, self.full, self.eps = log_input, full, eps

    def forward(self, log_input: Tensor, target: Tensor) -> Tensor:
        return _poisson_nll(
            log_input,
            target,
            self.log_input,
            self.full,
            self.eps,
            self.reduction,
            type(self).__name__,
        )


class GaussianNLLLoss(_Loss):
    """Gaussian negative log-likelihood with predicted variances (see ``gaussian_nll_loss``)."""

    def __init__(self, *, full: bool = False, eps: float = 1e-6, reduction: str = "mean") -> None:
        super().__init__(None, None, reduction)
        self.full, self.eps = full, eps

    def forward(self, input: Tensor, target: Tensor, var: Tensor | float) -> Tensor:
        return _gaussian_nll(
            input, target, var, self.full, self.eps, self.reduction, type(self).__name__
        )


class MultiMarginLoss(_WeightedLoss):
    """Multi-class hinge loss (see ``multi_margin_loss``)."""

    def __init__(
        self,
        p: int = 1,
        margin: float = 1.0,
        weight: Tensor | None = None,
        size_average=None,
        reduce=None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        if p not in (1, 2):
            raise ValueError("only p == 1 and p == 2 supported")
        if weight is not None and weight.ndim != 1:
            raise ValueError(
                f"MultiMarginLoss: expected weight to be None or 1D tensor, got shape "
                f"{weight.shape}"
            )
        self.p, self.margin = p, margin

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return _multi_margin(
            input, target, self.p, self.margin, self.weight, self.reduction, type(self).__name__
        )


class MultiLabelMarginLoss(_Loss):
    """Multi-label hinge loss (see ``multilabel_margin_loss``)."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return _multilabel_margin(input, target, self.reduction, type(self).__name__)
