"""Weight normalization (Salimans & Kingma, 2016) through a forward pre-hook, PyTorch's
deprecated ``torch.nn.utils.weight_norm`` / ``remove_weight_norm``.

The weight w is reparametrized by a magnitude g and a direction v,

    w = g v / ||v||,

with the norm taken over every dimension but ``dim`` (one norm per output channel for the
default ``dim=0``; over the whole tensor for ``dim=None``). ``weight_norm(module)`` replaces
the parameter ``weight`` by the parameters ``weight_g`` (g = ||w|| at the start, so w is
unchanged) and ``weight_v`` (v = w), and recomputes ``module.weight`` from them before every
forward, so the gradients reach g and v. ``tensorgrad.nn.utils.parametrizations.weight_norm``
is the modern form (the same maths, under the keys ``parametrizations.weight.original0/1``).
"""

from __future__ import annotations

import warnings

from ...tensor import Tensor
from ..module import Module
from ..parameter import Parameter, is_lazy

__all__ = ["WeightNorm", "norm_except_dim", "remove_weight_norm", "weight_norm"]


def norm_except_dim(v: Tensor, pow: float = 2, dim: int = 0) -> Tensor:
    """The ``pow``-norm of ``v`` over every dimension but ``dim``, shaped to broadcast against
    ``v`` (size 1 everywhere else); ``dim=-1`` is the norm of the whole tensor (0-d), as
    PyTorch's ``torch.norm_except_dim``."""
    if dim == -1:
        return v.norm(pow)
    if dim == 0:
        shape = (v.shape[0],) + (1,) * (v.ndim - 1)
        return v.reshape(v.shape[0], -1).norm(pow, 1).reshape(shape)
    if dim == v.ndim - 1:
        shape = (1,) * (v.ndim - 1) + (v.shape[-1],)
        return v.reshape(-1, v.shape[-1]).norm(pow, 0).reshape(shape)
    return norm_except_dim(v.transpose(0, dim), pow, 0).transpose(0, dim)


def weight_norm_from(v: Tensor, g: Tensor, dim: int) -> Tensor:
    """w = v (g / ||v||), the norm over every dimension but ``dim`` (PyTorch's
    ``torch._weight_norm``)."""
    return v * (g / norm_except_dim(v, 2, dim))


class WeightNorm:
    """The forward pre-hook that recomputes ``module.<name>`` from ``<name>_g`` and
    ``<name>_v``."""

    def __init__(self, name: str, dim: int | None) -> None:
        self.name = name
        self.dim = -1 if dim is None else dim

    def compute_weight(self, module: Module) -> Tensor:
        g = getattr(module, self.name + "_g")
        v = getattr(module, self.name + "_v")
        return weight_norm_from(v, g, self.dim)

    @staticmethod
    def apply(module: Module, name: str, dim: int | None) -> WeightNorm:
        warnings.warn(
            "`tensorgrad.nn.utils.weight_norm` is deprecated in favor of "
            "`tensorgrad.nn.utils.parametrizations.weight_norm`.",
            FutureWarning,
            stacklevel=3,
        )
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, WeightNorm) and hook.name == name:
                raise RuntimeError(
                    f"Cannot register two weight_norm hooks on the same parameter {name}"
                )
        fn = WeightNorm(name, dim)
        weight = getattr(module, name)
        if is_lazy(weight):
            raise ValueError(
                "The module passed to `WeightNorm` can't have uninitialized parameters. Make "
                "sure to run the dummy forward before applying weight normalization"
            )
        del module._parameters[name]
        module.register_parameter(
            name + "_g", Parameter(norm_except_dim(weight, 2, fn.dim).detach())
        )
        module.register_parameter(name + "_v", Parameter(weight.detach()))
        setattr(module, name, fn.compute_weight(module))
        module.register_forward_pre_hook(fn)
        return fn

    def remove(self, module: Module) -> None:
        weight = self.compute_weight(module)
        delattr(module, self.name)
        del module._parameters[self.name + "_g"]
        del module._parameters[self.name + "_v"]
        setattr(module, self.name, Parameter(weight.detach()))

    def __call__(self, module: Module, inputs) -> None:
        setattr(module, self.name, self.compute_weight(module))


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Reparametrize ``module.<name>`` as g v / ||v|| (see the module docstring): the
    parameters ``<name>_g`` (shape (out, 1, ...) for ``dim=0``, a scalar for ``dim=None``) and
    ``<name>_v`` (the weight's shape) replace it. Deprecated, as in PyTorch (warns)."""
    WeightNorm.apply(module, name, dim)
    return module


def remove_weight_norm(module: Module, name: str = "weight") -> Module:
    """Undo ``weight_norm``: ``<name>`` becomes a parameter again holding g v / ||v||."""
    for key, hook in module._forward_pre_hooks.items():
        if isinstance(hook, WeightNorm) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[key]
            module._call_hooks.pop(key, None)  # the call's fast path again
            return module
    raise ValueError(f"weight_norm of '{name}' not found in {module}")
