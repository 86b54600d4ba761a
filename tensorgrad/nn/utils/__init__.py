"""Gradient clipping and flat parameter vectors, PyTorch's ``torch.nn.utils``; padding and
packing of variable-length sequences are in ``tensorgrad.nn.utils.rnn``; weight and spectral
normalisation (``weight_norm``, ``spectral_norm``: forward pre-hooks, and their parametrization
forms in ``parametrizations``), ``parametrize``, the batch-norm folding of ``fusion``,
``skip_init``, ``stateless`` (a module called with other tensors as its parameters) and
``prune`` (pruning by masks) in their own modules.

``clip_grad_norm_`` scales every gradient by min(1, max_norm / (total_norm + 1e-6)), where
total_norm is the p-norm of all the gradients seen as one vector (the p-norm of their p-norms);
``clip_grad_value_`` clamps each gradient element to [-clip_value, clip_value]. Both change the
gradients in place and record no graph.
"""

from __future__ import annotations

import math
import types
import warnings
from collections.abc import Iterable

from ... import backend
from ...creation import tensor as _tensor
from ...grad_mode import no_grad
from ...jit import recorder
from ...tensor import Tensor, stack
from . import parametrizations, parametrize, prune, rnn, stateless
from .fusion import (
    fuse_conv_bn_eval,
    fuse_conv_bn_weights,
    fuse_linear_bn_eval,
    fuse_linear_bn_weights,
)
from .init import skip_init
from .spectral_norm import remove_spectral_norm, spectral_norm
from .weight_norm import remove_weight_norm, weight_norm

__all__ = [
    "clip_grad_norm_",
    "clip_grad_norm",
    "clip_grad_value_",
    "clip_grads_with_norm_",
    "fuse_conv_bn_eval",
    "fuse_conv_bn_weights",
    "fuse_linear_bn_eval",
    "fuse_linear_bn_weights",
    "get_total_norm",
    "parameters_to_vector",
    "parametrizations",
    "parametrize",
    "prune",
    "remove_spectral_norm",
    "remove_weight_norm",
    "rnn",
    "skip_init",
    "spectral_norm",
    "stateless",
    "vector_to_parameters",
    "weight_norm",
]


def _as_list(tensors) -> list:
    return [tensors] if isinstance(tensors, Tensor) else list(tensors)


def get_total_norm(
    tensors: Tensor | Iterable[Tensor],
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """The ``norm_type``-norm of ``tensors`` as if concatenated into one vector (0 when there
    are none). ``foreach`` is accepted for PyTorch compatibility and ignored."""
    tensors = _as_list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return _tensor(0.0)
    with no_grad():
        device = tensors[0].device
        norms = [t.norm(norm_type).to(device) for t in tensors]
        total = stack(norms).norm(norm_type) if len(norms) > 1 else norms[0]
        if error_if_nonfinite:
            recorder.check(_check_finite_norm, total.array, norm_type)
    return total


def _check_finite_norm(total, norm_type: float) -> None:
    if not math.isfinite(float(backend.to_numpy(total))):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is "
            "non-finite, so it cannot be clipped. To disable this error and scale the "
            "gradients by the non-finite norm anyway, set `error_if_nonfinite=False`"
        )


def clip_grads_with_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    total_norm: Tensor,
    foreach: bool | None = None,
) -> None:
    """Scale the gradients in place by min(1, max_norm / (total_norm + 1e-6))."""
    grads = [p.grad for p in _as_list(parameters) if p.grad is not None]
    if not grads:
        return
    with no_grad():
        coef = (float(max_norm) / (total_norm + 1e-6)).clamp(max=1.0)
        for g in grads:
            g.mul_(coef.to(g.device, g.dtype))


def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """Clip the gradients' total ``norm_type``-norm to ``max_norm``; returns the norm before
    clipping. ``norm_type`` may be ``inf`` (the largest absolute gradient element)."""
    is_generator = isinstance(parameters, types.GeneratorType)
    parameters = _as_list(parameters)
    if is_generator and not parameters:
        warnings.warn(
            "`parameters` is an empty generator, no gradient clipping will occur.", stacklevel=2
        )
    grads = [p.grad for p in parameters if p.grad is not None]
    total_norm = get_total_norm(grads, norm_type, error_if_nonfinite)
    clip_grads_with_norm_(parameters, max_norm, total_norm)
    return total_norm


def clip_grad_norm(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """Deprecated alias of ``clip_grad_norm_``, as in PyTorch."""
    warnings.warn(
        "`tensorgrad.nn.utils.clip_grad_norm` is now deprecated in favor of "
        "`tensorgrad.nn.utils.clip_grad_norm_`.",
        FutureWarning,
        stacklevel=2,
    )
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite)


def clip_grad_value_(
    parameters: Tensor | Iterable[Tensor], clip_value: float, foreach: bool | None = None
) -> None:
    """Clamp every gradient element to [-clip_value, clip_value] in place."""
    clip_value = float(clip_value)
    with no_grad():
        for p in _as_list(parameters):
            if p.grad is not None:
                p.grad.clamp_(-clip_value, clip_value)


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All parameters flattened and concatenated into one vector (differentiable)."""
    from ...tensor import cat

    device = None
    vec = []
    for param in parameters:
        device = _check_param_device(param, device)
        vec.append(param.reshape(-1))
    return cat(vec)


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Make each parameter's storage the next slice of ``vec`` (shared, not copied), as
    PyTorch's ``param.data = vec[i:j].view_as(param).data``."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected tensorgrad.Tensor, but got: {type(vec).__name__}")
    device = None
    pointer = 0
    with no_grad():
        for param in parameters:
            device = _check_param_device(param, device)
            n = param.numel()
            if pointer + n > vec.numel():
                raise RuntimeError(
                    f"vector_to_parameters: vec has {vec.numel()} elements, fewer than the "
                    f"parameters need (at least {pointer + n})"
                )
            param.array = vec[pointer : pointer + n].view_as(param).array
            pointer += n


def _check_param_device(param: Tensor, device):
    if device is None:
        return param.device
    if param.device != device:
        raise TypeError(
            "Found two parameters on different devices, this is currently not supported. "
            f"({device} and {param.device})"
        )
    return device
