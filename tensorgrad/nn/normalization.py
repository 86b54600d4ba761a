"""Normalisation layers: ``LayerNorm``, ``RMSNorm``, ``GroupNorm``, ``BatchNorm1d/2d/3d``,
``InstanceNorm1d/2d/3d``, ``LocalResponseNorm``.

Each normalises x to x̂ = (x - mean) / sqrt(var + eps) over some axes, with the biased variance
(RMSNorm: x̂ = x / sqrt(mean(x²) + eps), no centring), then applies an optional per-feature
affine y = x̂ w + b:

* LayerNorm: over the trailing ``normalized_shape`` axes of each sample (the fused primitive
  ``ops.fused.LayerNorm``, the hot path of transformers); RMSNorm the same way (the fused
  primitive ``ops.fused.RMSNorm``);
* GroupNorm: over each group of C/G channels and all spatial positions of each sample (the same
  primitive on the input seen as (N, G, C/G * spatial));
* BatchNorm: over the batch and spatial axes of each channel, with running statistics for eval;
* InstanceNorm: over the spatial axes of each channel of each sample (the LayerNorm primitive on
  the input seen as (N, C, spatial)), with optional running statistics as BatchNorm's.

``LocalResponseNorm`` instead divides each value by (k + alpha mean(x²))^beta, the mean over a
window of ``size`` neighbouring channels.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np

from .. import amp as _amp
from .. import creation
from ..backend import np_finfo
from ..grad_mode import no_grad
from ..ops import fused
from ..tensor import Tensor, cat
from . import init
from .module import Module
from .parameter import Parameter

__all__ = [
    "BatchNorm1d",
    "BatchNorm2d",
    "BatchNorm3d",
    "GroupNorm",
    "InstanceNorm1d",
    "InstanceNorm2d",
    "InstanceNorm3d",
    "LayerNorm",
    "LocalResponseNorm",
    "RMSNorm",
]


def _shape_tuple(normalized_shape) -> tuple:
    if isinstance(normalized_shape, numbers.Integral):
        return (int(normalized_shape),)
    return tuple(int(s) for s in normalized_shape)


def _check_trailing(name: str, input: Tensor, shape: tuple) -> None:
    n = len(shape)
    if input.ndim < n or tuple(input.shape[input.ndim - n :]) != shape:
        raise RuntimeError(
            f"{name}: given normalized_shape={list(shape)}, expected input with shape "
            f"[*, {', '.join(map(str, shape))}], but got input of size {tuple(input.shape)}"
        )


def _check_param(name: str, what: str, p: Tensor | None, shape: tuple, input: Tensor) -> None:
    if p is None:
        return
    if tuple(p.shape) != shape:
        raise RuntimeError(
            f"{name}: expected {what} of shape {shape}, got {tuple(p.shape)} (input of shape "
            f"{tuple(input.shape)})"
        )
    _check_dtype(name, what, p, input)


def _check_dtype(name: str, what: str, p: Tensor | None, input: Tensor) -> None:
    if p is not None and p.dtype != input.dtype:
        raise RuntimeError(
            f"{name}: {what} has dtype {p.dtype} but the input has {input.dtype}; all inputs "
            "must share the same dtype"
        )


def _check_channels(name, input, running_mean, running_var, weight, bias) -> None:
    """Each given per-channel tensor has input.shape[1] elements; weight and bias input's dtype."""
    c = input.shape[1]
    for what, p in (
        ("running_mean", running_mean),
        ("running_var", running_var),
        ("weight", weight),
        ("bias", bias),
    ):
        if p is not None and p.numel() != c:
            raise RuntimeError(
                f"{name}: {what} should contain {c} elements (the channels of the input "
                f"of shape {tuple(input.shape)}), not {p.numel()}"
            )
        if what in ("weight", "bias"):
            _check_dtype(name, what, p, input)


def _layer_norm(name: str, input, shape: tuple, weight, bias, eps: float) -> Tensor:
    if _amp.AutocastState.active:
        input, weight, bias = _amp.autocast_inputs(input, weight, bias, policy=_amp.FP32)
    _check_trailing(name, input, shape)
    if not input.is_floating_point():
        raise RuntimeError(f"{name}: expected a floating point input, got {input.dtype}")
    _check_param(name, "weight", weight, shape, input)
    _check_param(name, "bias", bias, shape, input)
    return fused.layer_norm(input, len(shape), weight, bias, eps)


# ------------------------------------------------------------------------------ functional


def layer_norm(
    input: Tensor,
    normalized_shape,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """y = (x - mean) / sqrt(var + eps) * weight + bias over the trailing ``normalized_shape``."""
    return _layer_norm("layer_norm", input, _shape_tuple(normalized_shape), weight, bias, eps)


def rms_norm(
    input: Tensor,
    normalized_shape,
    weight: Tensor | None = None,
    eps: float | None = None,
) -> Tensor:
    """y = x / sqrt(mean(x²) + eps) * weight over the trailing ``normalized_shape``; eps None
    is the machine epsilon of the input's dtype, as PyTorch."""
    if _amp.AutocastState.active:
        input, weight = _amp.autocast_inputs(input, weight, policy=_amp.FP32)
    shape = _shape_tuple(normalized_shape)
    _check_trailing("rms_norm", input, shape)
    if not input.is_floating_point():
        raise RuntimeError(f"rms_norm: expected a floating point input, got {input.dtype}")
    if weight is not None and tuple(weight.shape) != shape:
        raise RuntimeError(f"rms_norm: expected weight of shape {shape}, got {tuple(weight.shape)}")
    if weight is not None and weight.dtype != input.dtype:
        weight = weight.to(input.dtype)  # PyTorch: the output has the input's dtype
    if eps is None:
        eps = float(np_finfo(input.array.dtype).eps)
    return fused.rms_norm(input, len(shape), weight, eps)


def group_norm(
    input: Tensor,
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each group of C/num_groups channels of each sample over the group's channels
    and positions, then y = x̂ weight[c] + bias[c]; input (N, C, *)."""
    if _amp.AutocastState.active:
        input, weight, bias = _amp.autocast_inputs(input, weight, bias, policy=_amp.FP32)
    if input.ndim < 2:
        raise RuntimeError(
            f"group_norm: expected an input of shape (N, C, *) with at least 2 dimensions, "
            f"got shape {tuple(input.shape)}"
        )
    n, c = input.shape[0], input.shape[1]
    if c % num_groups:
        raise RuntimeError(
            f"group_norm: expected the number of channels of the input (shape "
            f"{tuple(input.shape)}) to be divisible by num_groups={num_groups}"
        )
    for what, p in (("weight", weight), ("bias", bias)):
        if p is not None and tuple(p.shape) != (c,):
            raise RuntimeError(
                f"group_norm: expected {what} to be a vector of size equal to the number of "
                f"channels in input, but got {what} of shape {tuple(p.shape)} and input of "
                f"shape {tuple(input.shape)}"
            )
        _check_dtype("group_norm", what, p, input)
    x = input.reshape(n, num_groups, -1) if input.numel() else input.reshape(n, num_groups, 0)
    out = fused.layer_norm(x, 1, None, None, eps).reshape(input.shape)
    channel = (c,) + (1,) * (input.ndim - 2)
    if weight is not None:
        out = out * weight.reshape(channel)
    if bias is not None:
        out = out + bias.reshape(channel)
    return out


def batch_norm(
    input: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each channel (axis 1) over the batch and spatial axes.

    Training: with the batch mean and biased variance; the running statistics (when given) are
    updated in place, r = (1 - momentum) r + momentum s, with the unbiased batch variance for
    ``running_var``. Eval: with ``running_mean`` and ``running_var``.
    """
    return _batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def _batch_norm(
    input: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None,
    bias: Tensor | None,
    training: bool,
    momentum: float,
    eps: float,
    total=None,
) -> Tensor:
    """``batch_norm`` whose batch may be spread over processes: ``total(t)`` sums a tensor of
    per-channel sums over every place the batch is (``SyncBatchNorm``: a differentiable
    all-reduce over the ranks; None: this process holds the whole batch)."""
    if _amp.AutocastState.active:
        input, weight, bias = _amp.autocast_inputs(input, weight, bias, policy=_amp.FP32)
    if input.ndim < 2:
        raise ValueError(
            f"batch_norm: expected an input of shape (N, C, *), got shape {tuple(input.shape)}"
        )
    c = input.shape[1]
    _check_channels("batch_norm", input, running_mean, running_var, weight, bias)
    dims = (0,) + tuple(range(2, input.ndim))
    channel = (c,) + (1,) * (input.ndim - 2)
    if training:
        count = input.numel() // c if c else 0
        if total is not None:  # the sample count travels with the sums: one collective for both
            local = creation.tensor([count], dtype=input.dtype, device=input.device)
            sums = total(cat([input.sum(dims), local]))
            count = int(sums[c].item())
        if count <= 1:
            raise ValueError(
                "Expected more than 1 value per channel when training, got input size "
                f"{tuple(input.shape)}" + ("" if total is None else f" ({count} over all ranks)")
            )
        if total is None:
            mean = input.mean(dims, keepdim=True)
        else:
            mean = (sums[:c] / count).reshape(channel)
        centered = input - mean
        if total is None:
            var = (centered * centered).mean(dims, keepdim=True)
        else:
            var = (total((centered * centered).sum(dims)) / count).reshape(channel)
        with no_grad():
            decay, rate = 1 - momentum, momentum
            if isinstance(momentum, Tensor):  # momentum=None's 1 / num_batches_tracked
                # float64, rounded to the statistics' dtype as the Python float it stands for
                stats = running_mean if running_mean is not None else running_var
                decay, rate = decay.to(stats.dtype), rate.to(stats.dtype)
            if running_mean is not None:
                running_mean.mul_(decay).add_(mean.reshape(c).detach() * rate)
            if running_var is not None:
                unbiased = var.reshape(c).detach() * (count / (count - 1))
                running_var.mul_(decay).add_(unbiased * rate)
        out = centered * (var + eps).rsqrt()
    else:
        if running_mean is None or running_var is None:
            raise RuntimeError("batch_norm: running_mean and running_var must be given in eval")
        scale = (running_var.reshape(channel) + eps).rsqrt()
        out = (input - running_mean.reshape(channel)) * scale
    if weight is not None:
        out = out * weight.reshape(channel)
    if bias is not None:
        out = out + bias.reshape(channel)
    return out


def instance_norm(
    input: Tensor,
    running_mean: Tensor | None = None,
    running_var: Tensor | None = None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    use_input_stats: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each channel of each sample of (N, C, *) input over its positions, then
    y = x̂ weight[c] + bias[c].

    ``use_input_stats``: with the sample's mean and biased variance; the running statistics
    (when given) are updated in place with their averages over the batch,
    r = (1 - momentum) r + momentum mean_n(s), the unbiased variance for ``running_var``.
    Otherwise: with ``running_mean`` and ``running_var``, as ``batch_norm`` in eval.
    """
    if _amp.AutocastState.active:
        input, weight, bias = _amp.autocast_inputs(input, weight, bias, policy=_amp.FP32)
    if input.ndim < 2:
        raise ValueError(
            f"instance_norm: expected an input of shape (N, C, *), got shape {tuple(input.shape)}"
        )
    n, c = input.shape[:2]
    positions = int(np.prod(input.shape[2:]))
    if use_input_stats and positions == 1:
        raise ValueError(
            "Expected more than 1 spatial element when training, got input size "
            f"{tuple(input.shape)}"
        )
    _check_channels("instance_norm", input, running_mean, running_var, weight, bias)
    channel = (c,) + (1,) * (input.ndim - 2)
    if use_input_stats:
        x = input.reshape(n, c, positions)
        out = fused.layer_norm(x, 1, None, None, eps).reshape(input.shape)
        if running_mean is not None or running_var is not None:
            with no_grad():
                mean = x.detach().mean(2)
                if running_mean is not None:
                    running_mean.mul_(1 - momentum).add_(mean.mean(0) * momentum)
                if running_var is not None:
                    centered = x.detach() - mean.unsqueeze(2)
                    unbiased = (centered * centered).sum(2) / (positions - 1)
                    running_var.mul_(1 - momentum).add_(unbiased.mean(0) * momentum)
    else:
        if running_mean is None or running_var is None:
            raise RuntimeError(
                "Expected running_mean and running_var to be defined when use_input_stats is false"
            )
        scale = (running_var.reshape(channel) + eps).rsqrt()
        out = (input - running_mean.reshape(channel)) * scale
    if weight is not None:
        out = out * weight.reshape(channel)
    if bias is not None:
        out = out + bias.reshape(channel)
    return out


def local_response_norm(
    input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0
) -> Tensor:
    """x_c / (k + alpha / size sum_{c'} x_{c'}^2)^beta over the ``size`` channels c' from
    c - size // 2 to c + (size - 1) // 2 (zeros beyond the edges; the divisor stays ``size``),
    for (N, C, *) input with at least one spatial axis, as PyTorch's."""
    if input.ndim < 3:
        raise ValueError(
            f"local_response_norm: expected 3D or higher dimensionality input (got {input.ndim} "
            f"dimensions, shape {tuple(input.shape)})"
        )
    if not isinstance(size, int) or size <= 0:
        raise ValueError(f"local_response_norm: size must be a positive integer, got {size!r}")
    if input.numel() == 0:
        return input
    sq = input * input
    c = input.shape[1]
    before, after = size // 2, (size - 1) // 2
    zeros = [sq.new_zeros((input.shape[0], n, *input.shape[2:])) for n in (before, after)]
    padded = cat([zeros[0], sq, zeros[1]], 1)
    window = padded[:, 0:c]
    for j in range(1, size):  # the window sum as `size` shifted slices of the padded squares
        window = window + padded[:, j : j + c]
    return input / (window * (alpha / size) + k).pow(beta)


# ---------------------------------------------------------------------------------- layers


class LayerNorm(Module):
    """Normalises over the trailing ``normalized_shape`` axes of each sample.

    weight (ones) and bias (zeros) have shape ``normalized_shape``; ``elementwise_affine=False``
    has neither, ``bias=False`` only the weight.
    """

    def __init__(
        self,
        normalized_shape,
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        self.normalized_shape = _shape_tuple(normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        shape, kw = self.normalized_shape, dict(dtype=dtype, device=device)
        if elementwise_affine:
            self.weight = Parameter(creation.empty(*shape, **kw))
            if bias:
                self.bias = Parameter(creation.empty(*shape, **kw))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.elementwise_affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:
        shape = self.normalized_shape
        return _layer_norm(f"LayerNorm({shape})", input, shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, "
            f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}"
        )


class RMSNorm(Module):
    """y = x / sqrt(mean(x²) + eps) * weight over the trailing ``normalized_shape`` axes;
    ``eps=None`` is the machine epsilon of the input's dtype. weight starts at ones."""

    def __init__(
        self,
        normalized_shape,
        eps: float | None = None,
        elementwise_affine: bool = True,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        self.normalized_shape = _shape_tuple(normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(
                creation.empty(*self.normalized_shape, dtype=dtype, device=device)
            )
        else:
            self.register_parameter("weight", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.elementwise_affine:
            init.ones_(self.weight)

    def forward(self, input: Tensor) -> Tensor:
        shape = self.normalized_shape
        _check_trailing(f"RMSNorm({shape})", input, shape)
        return rms_norm(input, shape, self.weight, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
        )


class GroupNorm(Module):
    """Splits the C channels into ``num_groups`` groups and normalises each group of each
    sample; weight (ones) and bias (zeros) are per channel. Input (N, C, *)."""

    def __init__(
        self,
        num_groups: int,
        num_channels: int,
        eps: float = 1e-5,
        affine: bool = True,
        device=None,
        dtype=None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        if num_channels % num_groups != 0:
            raise ValueError(
                f"num_channels ({num_channels}) must be divisible by num_groups ({num_groups})"
            )
        self.num_groups, self.num_channels = num_groups, num_channels
        self.eps, self.affine = eps, affine
        kw = dict(dtype=dtype, device=device)
        if affine:
            self.weight = Parameter(creation.empty(num_channels, **kw))
            if bias:
                self.bias = Parameter(creation.empty(num_channels, **kw))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim < 2 or input.shape[1] != self.num_channels:
            raise RuntimeError(
                f"GroupNorm({self.num_groups}, {self.num_channels}): expected input of shape "
                f"(N, {self.num_channels}, *), got {tuple(input.shape)}"
            )
        return group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
            f"bias={self.bias is not None}"
        )


class NormBase(Module):
    """What BatchNorm and InstanceNorm share (PyTorch's ``_NormBase``): per-channel ``weight``
    (ones) and ``bias`` (zeros) when ``affine``, and when ``track_running_stats`` the buffers
    ``running_mean`` (zeros), ``running_var`` (ones) and ``num_batches_tracked`` (int64 0)."""

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        device=None,
        dtype=None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        kw = dict(dtype=dtype, device=device)
        if affine:
            self.weight = Parameter(creation.empty(num_features, **kw))
            if bias:
                self.bias = Parameter(creation.empty(num_features, **kw))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", creation.zeros(num_features, **kw))
            self.register_buffer("running_var", creation.ones(num_features, **kw))
            self.register_buffer(
                "num_batches_tracked", creation.tensor(0, dtype=np.int64, device=device)
            )
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1.0)
            self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, bias={self.bias is not None}, "
            f"track_running_stats={self.track_running_stats}"
        )


class BatchNormBase(NormBase):
    """Per-channel normalisation over the batch (and spatial) axes: the body of ``BatchNorm1d``,
    ``BatchNorm2d``, ``BatchNorm3d`` and ``distributed.SyncBatchNorm`` (PyTorch's ``_BatchNorm``).

    Buffers (when ``track_running_stats``): ``running_mean`` (zeros), ``running_var`` (ones),
    ``num_batches_tracked`` (int64 0). ``momentum=None`` makes the running statistics a
    cumulative average (factor 1 / num_batches_tracked).
    """

    def _check_input_dim(self, input: Tensor) -> None:
        raise NotImplementedError

    def forward(self, input: Tensor) -> Tensor:
        self._check_input_dim(input)
        if input.shape[1] != self.num_features:
            raise RuntimeError(
                f"{type(self).__name__}({self.num_features}): expected input with "
                f"{self.num_features} channels (dimension 1), got input of shape "
                f"{tuple(input.shape)}"
            )
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:  # a tensor: tg.compile records it, no value is read
                factor = 1.0 / self.num_batches_tracked.double()
        use_batch_stats = self.training or (self.running_mean is None and self.running_var is None)
        keep = not self.training or self.track_running_stats
        return _batch_norm(
            input,
            self.running_mean if keep else None,
            self.running_var if keep else None,
            self.weight,
            self.bias,
            use_batch_stats,
            factor,
            self.eps,
            self._batch_total(),
        )

    def _batch_total(self):
        """How per-channel sums become sums over the whole batch (see ``_batch_norm``); None:
        this process holds the whole batch. ``SyncBatchNorm`` sums over the ranks."""
        return None


class BatchNorm1d(BatchNormBase):
    """Batch normalisation of (N, C) or (N, C, L) input over N (and L) per channel."""

    def _check_input_dim(self, input: Tensor) -> None:
        if input.ndim not in (2, 3):
            raise ValueError(
                f"BatchNorm1d({self.num_features}): expected 2D or 3D input (got {input.ndim}D "
                f"input of shape {tuple(input.shape)})"
            )


class BatchNorm2d(BatchNormBase):
    """Batch normalisation of (N, C, H, W) input over N, H and W per channel."""

    def _check_input_dim(self, input: Tensor) -> None:
        if input.ndim != 4:
            raise ValueError(
                f"BatchNorm2d({self.num_features}): expected 4D input (got {input.ndim}D input "
                f"of shape {tuple(input.shape)})"
            )


class BatchNorm3d(BatchNormBase):
    """Batch normalisation of (N, C, D, H, W) input over N, D, H and W per channel."""

    def _check_input_dim(self, input: Tensor) -> None:
        if input.ndim != 5:
            raise ValueError(
                f"BatchNorm3d({self.num_features}): expected 5D input (got {input.ndim}D input "
                f"of shape {tuple(input.shape)})"
            )


class InstanceNormBase(NormBase):
    """Normalisation of each channel of each sample over its positions (PyTorch's
    ``_InstanceNorm``): ``affine=False`` and ``track_running_stats=False`` by default. With
    tracking, training updates the running statistics (``num_batches_tracked`` stays 0, as
    PyTorch's) and eval uses them. Unbatched input is normalised as a batch of one."""

    spatial: int = 1  # the number of spatial dimensions

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = False,
        track_running_stats: bool = False,
        device=None,
        dtype=None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__(
            num_features,
            eps,
            momentum,
            affine,
            track_running_stats,
            device,
            dtype,
            bias=bias,
        )

    def forward(self, input: Tensor) -> Tensor:
        name, s = type(self).__name__, self.spatial
        if input.ndim not in (s + 1, s + 2):
            raise ValueError(
                f"{name}({self.num_features}): expected {s + 1}D or {s + 2}D input (got "
                f"{input.ndim}D input of shape {tuple(input.shape)})"
            )
        feature_dim = input.ndim - s - 1
        if input.shape[feature_dim] != self.num_features:
            if self.affine:
                raise ValueError(
                    f"{name}: expected input's size at dim={feature_dim} to match num_features "
                    f"({self.num_features}), but got: {input.shape[feature_dim]} (input of shape "
                    f"{tuple(input.shape)})."
                )
            warnings.warn(
                f"input's size at dim={feature_dim} does not match num_features. You can "
                "silence this warning by not passing in num_features, which is not used "
                "because affine=False",
                stacklevel=2,
            )
        unbatched = input.ndim == s + 1
        out = instance_norm(
            input.unsqueeze(0) if unbatched else input,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            self.training or not self.track_running_stats,
            self.momentum if self.momentum is not None else 0.0,
            self.eps,
        )
        return out.squeeze(0) if unbatched else out


class InstanceNorm1d(InstanceNormBase):
    """Instance normalisation of (N, C, L) or (C, L) input over L per sample and channel."""

    spatial = 1


class InstanceNorm2d(InstanceNormBase):
    """Instance normalisation of (N, C, H, W) or (C, H, W) input over H and W per sample and
    channel."""

    spatial = 2


class InstanceNorm3d(InstanceNormBase):
    """Instance normalisation of (N, C, D, H, W) or (C, D, H, W) input over D, H and W per
    sample and channel."""

    spatial = 3


class LocalResponseNorm(Module):
    """``local_response_norm`` as a layer: each value over (k + alpha mean of the squares of
    ``size`` neighbouring channels)^beta."""

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0) -> None:
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input: Tensor) -> Tensor:
        return local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
