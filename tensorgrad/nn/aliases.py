"""``torch.conv2d``, ``torch.max_pool2d``, ``torch.batch_norm``, ...: the ``torch``-level forms of
``nn.functional``'s functions, exported as ``tensorgrad.<name>``.

PyTorch exposes these ATen operators at the top level with their ATen signatures, which can
differ from ``torch.nn.functional``'s: arguments in another order (``torch.batch_norm(input,
weight, bias, running_mean, running_var, ...)``, ``torch.embedding(weight, indices)``), all of
them required (``torch.dropout(input, p, train)``), no ``return_indices`` or ``inplace``,
losses whose ``reduction`` is an int (0 'none', 1 'mean', 2 'sum'), mode enums as ints
(``torch.grid_sampler``). Each function here takes PyTorch's positional signature and calls the
``nn.functional`` function that computes the same thing; where PyTorch's form is the
functional one (``torch.conv2d``), it is that function itself.

The losses' ``reduction`` defaults to 0 (no reduction): PyTorch 2.13's Python binding reads the
schema's default ``Mean`` as 0, so ``torch.hinge_embedding_loss(x, y)`` is the loss of each
element, and the functions here compute what PyTorch does. A reduction is applied to the
unreduced loss as ATen's ``apply_loss_reduction`` does: 1 its mean, 2 its sum, any other value
none.
"""

from __future__ import annotations

from ..tensor import Tensor
from . import functional as F

__all__ = [
    "adaptive_avg_pool1d",
    "adaptive_max_pool1d",
    "affine_grid_generator",
    "alpha_dropout",
    "avg_pool1d",
    "batch_norm",
    "bilinear",
    "binary_cross_entropy_with_logits",
    "celu",
    "channel_shuffle",
    "constant_pad_nd",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "cosine_embedding_loss",
    "cosine_similarity",
    "dropout",
    "embedding",
    "feature_alpha_dropout",
    "grid_sampler",
    "group_norm",
    "hardshrink",
    "hinge_embedding_loss",
    "instance_norm",
    "kl_div",
    "layer_norm",
    "margin_ranking_loss",
    "max_pool1d",
    "max_pool1d_with_indices",
    "max_pool2d",
    "max_pool3d",
    "pairwise_distance",
    "pixel_shuffle",
    "pixel_unshuffle",
    "poisson_nll_loss",
    "prelu",
    "rms_norm",
    "selu",
    "threshold",
    "triplet_margin_loss",
]

# the same signature as nn.functional's: the function itself
adaptive_avg_pool1d = F.adaptive_avg_pool1d
avg_pool1d = F.avg_pool1d
bilinear = F.bilinear
channel_shuffle = F.channel_shuffle
conv1d = F.conv1d
conv2d = F.conv2d
conv3d = F.conv3d
conv_transpose1d = F.conv_transpose1d
conv_transpose2d = F.conv_transpose2d
conv_transpose3d = F.conv_transpose3d
cosine_similarity = F.cosine_similarity
hardshrink = F.hardshrink
pairwise_distance = F.pairwise_distance
pixel_shuffle = F.pixel_shuffle
pixel_unshuffle = F.pixel_unshuffle
prelu = F.prelu
rms_norm = F.rms_norm


# ------------------------------------------------------------------------------------ pooling


def max_pool1d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False) -> Tensor:
    """``F.max_pool1d`` without ``return_indices``: the maximum over each window."""
    return F.max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode)


def max_pool2d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False) -> Tensor:
    """``F.max_pool2d`` without ``return_indices``: the maximum over each window."""
    return F.max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode)


def max_pool3d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False) -> Tensor:
    """``F.max_pool3d`` without ``return_indices``: the maximum over each window."""
    return F.max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode)


def max_pool1d_with_indices(
    input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False
) -> tuple:
    """``(max over each window, index of each maximum)``: ``F.max_pool1d_with_indices``."""
    return F.max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def adaptive_max_pool1d(input, output_size) -> tuple:
    """``(max over each adaptive window, index of each maximum)``, always both (ATen's
    ``adaptive_max_pool1d``)."""
    return F.adaptive_max_pool1d(input, output_size, True)


# ------------------------------------------------------------------------------ normalisation


def batch_norm(
    input, weight, bias, running_mean, running_var, training, momentum, eps, cudnn_enabled
) -> Tensor:
    """``F.batch_norm`` with ATen's argument order, every argument required;
    ``cudnn_enabled`` changes nothing here. ``(x - mean) / sqrt(var + eps) weight + bias`` per
    channel, with the batch's statistics when ``training`` (and the running ones updated by
    ``momentum``), else the running ones."""
    return F.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def instance_norm(
    input, weight, bias, running_mean, running_var, use_input_stats, momentum, eps, cudnn_enabled
) -> Tensor:
    """``F.instance_norm`` with ATen's argument order, every argument required;
    ``cudnn_enabled`` changes nothing here. Each channel of each sample normalised over its
    positions (with ``use_input_stats``), then ``weight`` and ``bias`` applied."""
    return F.instance_norm(
        input, running_mean, running_var, weight, bias, use_input_stats, momentum, eps
    )


def layer_norm(
    input, normalized_shape, weight=None, bias=None, eps=1e-05, cudnn_enable=True
) -> Tensor:
    """``F.layer_norm``, plus ATen's ``cudnn_enable`` (it changes nothing here): ``(x - mean)
    / sqrt(var + eps) weight + bias`` over the trailing ``normalized_shape`` axes."""
    return F.layer_norm(input, normalized_shape, weight, bias, eps)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-05, cudnn_enabled=True) -> Tensor:
    """``F.group_norm``, plus ATen's ``cudnn_enabled`` (it changes nothing here): each group of
    C / num_groups channels normalised over itself and all positions, then per-channel
    ``weight`` and ``bias``."""
    return F.group_norm(input, num_groups, weight, bias, eps)


# ------------------------------------------------------------------ embedding, dropout, misc


def embedding(weight, indices, padding_idx=-1, scale_grad_by_freq=False, sparse=False) -> Tensor:
    """``weight[indices]``, ATen's argument order (the weight first); a negative
    ``padding_idx`` (-1, the default) means none, a row ``padding_idx >= 0`` gets no
    gradient."""
    padding_idx = None if padding_idx is None or padding_idx < 0 else padding_idx
    return F.embedding(
        indices, weight, padding_idx, scale_grad_by_freq=scale_grad_by_freq, sparse=sparse
    )


def dropout(input, p, train) -> Tensor:
    """``F.dropout(input, p, train)``, both arguments required: each element zeroed with
    probability ``p`` and the rest scaled by 1 / (1 - p) when ``train``, else ``input``."""
    return F.dropout(input, p, train)


def alpha_dropout(input, p, train) -> Tensor:
    """``F.alpha_dropout(input, p, train)``, both arguments required (dropout that keeps
    SELU's mean and variance)."""
    return F.alpha_dropout(input, p, train)


def feature_alpha_dropout(input, p, train) -> Tensor:
    """``F.feature_alpha_dropout(input, p, train)``, both arguments required (alpha dropout
    of whole channels)."""
    return F.feature_alpha_dropout(input, p, train)


def selu(input) -> Tensor:
    """``F.selu`` without ``inplace``: scale (max(0, x) + min(0, alpha (exp(x) - 1)))."""
    return F.selu(input)


def celu(input, alpha=1.0) -> Tensor:
    """``F.celu`` without ``inplace``: max(0, x) + min(0, alpha (exp(x / alpha) - 1))."""
    return F.celu(input, alpha)


def threshold(input, threshold, value) -> Tensor:
    """``F.threshold`` without ``inplace``: x where x > threshold, else ``value``."""
    return F.threshold(input, threshold, value)


def constant_pad_nd(input, pad, value=0) -> Tensor:
    """``F.pad(input, pad, 'constant', value)``: ``pad`` (before, after) pairs from the last
    axis backwards, filled with ``value``."""
    return F.pad(input, pad, "constant", value)


# ------------------------------------------------------------------------------------- losses


def _reduce(loss: Tensor, reduction: int) -> Tensor:
    """ATen's ``apply_loss_reduction``: 1 the mean, 2 the sum, anything else the loss itself."""
    if reduction == 1:
        return loss.mean()
    if reduction == 2:
        return loss.sum()
    return loss


def kl_div(input, target, reduction=0, *, log_target=False) -> Tensor:
    """``target (log target - input)`` elementwise (``exp(target) (target - input)`` with
    ``log_target``), reduced by the int ``reduction`` (1 the mean over all elements)."""
    loss = F.kl_div(input, target, reduction="none", log_target=log_target)
    return _reduce(loss, reduction)


def poisson_nll_loss(input, target, log_input, full, eps, reduction) -> Tensor:
    """``F.poisson_nll_loss`` with every argument required and an int ``reduction``:
    ``exp(input) - target input`` (``input - target log(input + eps)`` without
    ``log_input``), plus Stirling's term with ``full``."""
    loss = F.poisson_nll_loss(input, target, log_input, full, eps=eps, reduction="none")
    return _reduce(loss, reduction)


def margin_ranking_loss(input1, input2, target, margin=0.0, reduction=0) -> Tensor:
    """``max(0, -target (input1 - input2) + margin)``, reduced by the int ``reduction``."""
    loss = F.margin_ranking_loss(input1, input2, target, margin, reduction="none")
    return _reduce(loss, reduction)


def hinge_embedding_loss(input, target, margin=1.0, reduction=0) -> Tensor:
    """``input`` where target is 1, ``max(0, margin - input)`` where it is -1, reduced by the
    int ``reduction``."""
    loss = F.hinge_embedding_loss(input, target, margin, reduction="none")
    return _reduce(loss, reduction)


def cosine_embedding_loss(input1, input2, target, margin=0.0, reduction=0) -> Tensor:
    """``1 - cos(input1, input2)`` where target is 1, ``max(0, cos(input1, input2) -
    margin)`` where it is -1, reduced by the int ``reduction``."""
    loss = F.cosine_embedding_loss(input1, input2, target, margin, reduction="none")
    return _reduce(loss, reduction)


def triplet_margin_loss(
    anchor, positive, negative, margin=1.0, p=2, eps=1e-06, swap=False, reduction=0
) -> Tensor:
    """``max(d(anchor, positive) - d(anchor, negative) + margin, 0)`` with the p-norm distance
    ``d``, reduced by the int ``reduction``."""
    loss = F.triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap, reduction="none")
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(
    input, target, weight=None, pos_weight=None, reduction=0
) -> Tensor:
    """``-weight (pos_weight target log sigmoid(input) + (1 - target) log(1 -
    sigmoid(input)))``, reduced by the int ``reduction``."""
    loss = F.binary_cross_entropy_with_logits(
        input, target, weight, reduction="none", pos_weight=pos_weight
    )
    return _reduce(loss, reduction)


# ------------------------------------------------------------------------------ grid sampling

_INTERPOLATION = {0: "bilinear", 1: "nearest", 2: "bicubic"}
_PADDING = {0: "zeros", 1: "border", 2: "reflection"}


def grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners) -> Tensor:
    """``F.grid_sample`` with ATen's enums: ``interpolation_mode`` 0 bilinear, 1 nearest, 2
    bicubic; ``padding_mode`` 0 zeros, 1 border, 2 reflection; ``align_corners`` required."""
    if interpolation_mode not in _INTERPOLATION or padding_mode not in _PADDING:
        raise RuntimeError(
            f"grid_sampler(): expected interpolation_mode in {{0, 1, 2}} and padding_mode in "
            f"{{0, 1, 2}}, got {interpolation_mode} and {padding_mode}"
        )
    mode, padding = _INTERPOLATION[interpolation_mode], _PADDING[padding_mode]
    return F.grid_sample(input, grid, mode, padding, bool(align_corners))


def affine_grid_generator(theta, size, align_corners) -> Tensor:
    """``F.affine_grid(theta, size, align_corners)``, ``align_corners`` required."""
    return F.affine_grid(theta, size, bool(align_corners))
