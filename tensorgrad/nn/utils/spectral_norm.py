"""Spectral normalization (Miyato et al., 2018) through a forward pre-hook, PyTorch's
``torch.nn.utils.spectral_norm`` / ``remove_spectral_norm``.

The weight is divided by its largest singular value sigma, estimated by power iteration on the
weight seen as a matrix W (``dim`` first, the other dimensions flattened; ``dim`` is 1 for
transposed convolutions, else 0):

    v <- normalize(Wᵀ u),  u <- normalize(W v)   (``n_power_iterations`` times, training only)
    sigma = uᵀ W v,        weight = weight_orig / sigma

``spectral_norm(module)`` turns the parameter ``weight`` into ``weight_orig`` and adds the
buffers ``weight_u`` and ``weight_v`` (random unit vectors at first, then the running power
iteration's state, updated in place), PyTorch's state-dict keys. u and v are constants of the
graph (the iteration runs without recording), so the gradient flows through W in both the
numerator and sigma. In eval mode the stored u and v are used as they are.
"""

from __future__ import annotations

from ... import creation
from ...grad_mode import no_grad
from ...tensor import Tensor
from .. import conv
from ..conv import ConvTranspose1d, ConvTranspose2d
from ..distance import normalize
from ..module import Module
from ..parameter import Parameter, is_lazy

__all__ = ["SpectralNorm", "remove_spectral_norm", "spectral_norm"]


def is_transposed_conv(module: Module) -> bool:
    """True for a transposed convolution, whose weight is (in, out, ...): spectral norm's
    default ``dim`` is then 1."""
    kinds = (ConvTranspose1d, ConvTranspose2d, getattr(conv, "ConvTranspose3d", None))
    return isinstance(module, tuple(k for k in kinds if k is not None))


class SpectralNorm:
    """The forward pre-hook that recomputes ``module.<name>`` = ``<name>_orig`` / sigma."""

    _version = 1

    def __init__(
        self,
        name: str = "weight",
        n_power_iterations: int = 1,
        dim: int = 0,
        eps: float = 1e-12,
    ) -> None:
        self.name, self.dim, self.eps = name, dim, eps
        if n_power_iterations <= 0:
            raise ValueError(
                "Expected n_power_iterations to be positive, but got "
                f"n_power_iterations={n_power_iterations}"
            )
        self.n_power_iterations = n_power_iterations

    def reshape_weight_to_matrix(self, weight: Tensor) -> Tensor:
        """The weight as a matrix: dimension ``dim`` as rows, the others flattened."""
        if self.dim != 0:
            weight = weight.permute(self.dim, *[d for d in range(weight.ndim) if d != self.dim])
        return weight.reshape(weight.shape[0], -1)

    def compute_weight(self, module: Module, do_power_iteration: bool) -> Tensor:
        weight = getattr(module, self.name + "_orig")
        u = getattr(module, self.name + "_u")
        v = getattr(module, self.name + "_v")
        weight_mat = self.reshape_weight_to_matrix(weight)
        if do_power_iteration:
            with no_grad():  # updates the buffers in place, as PyTorch's out=
                for _ in range(self.n_power_iterations):
                    normalize(weight_mat.mT.mv(u), dim=0, eps=self.eps, out=v)
                    normalize(weight_mat.mv(v), dim=0, eps=self.eps, out=u)
                # copies: the buffers change in place at the next iteration, the graph keeps
                # these
                u, v = u.clone(), v.clone()
        sigma = u.dot(weight_mat.mv(v))
        return weight / sigma

    def remove(self, module: Module) -> None:
        with no_grad():
            weight = self.compute_weight(module, do_power_iteration=False)
        delattr(module, self.name)
        delattr(module, self.name + "_u")
        delattr(module, self.name + "_v")
        delattr(module, self.name + "_orig")
        module.register_parameter(self.name, Parameter(weight.detach()))

    def __call__(self, module: Module, inputs) -> None:
        setattr(module, self.name, self.compute_weight(module, module.training))

    @staticmethod
    def apply(module: Module, name: str, n_power_iterations: int, dim: int, eps: float):
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, SpectralNorm) and hook.name == name:
                raise RuntimeError(
                    f"Cannot register two spectral_norm hooks on the same parameter {name}"
                )
        fn = SpectralNorm(name, n_power_iterations, dim, eps)
        weight = module._parameters[name]
        if weight is None:
            raise ValueError(f"`SpectralNorm` cannot be applied as parameter `{name}` is None")
        if is_lazy(weight):
            raise ValueError(
                "The module passed to `SpectralNorm` can't have uninitialized parameters. "
                "Make sure to run the dummy forward before applying spectral normalization"
            )
        with no_grad():
            h, w = fn.reshape_weight_to_matrix(weight).shape
            kw = dict(dtype=weight.dtype, device=weight.device)
            u = normalize(creation.empty(h, **kw).normal_(0, 1), dim=0, eps=fn.eps)
            v = normalize(creation.empty(w, **kw).normal_(0, 1), dim=0, eps=fn.eps)
        delattr(module, fn.name)
        module.register_parameter(fn.name + "_orig", weight)
        # a plain attribute until the first forward computes it (PyTorch's weight.data)
        setattr(module, fn.name, weight.detach())
        module.register_buffer(fn.name + "_u", u)
        module.register_buffer(fn.name + "_v", v)
        module.register_forward_pre_hook(fn)
        return fn


def spectral_norm(
    module: Module,
    name: str = "weight",
    n_power_iterations: int = 1,
    eps: float = 1e-12,
    dim: int | None = None,
) -> Module:
    """Divide ``module.<name>`` by its spectral norm, estimated by power iteration before every
    forward (see the module docstring). ``dim`` defaults to 1 for transposed convolutions and
    0 otherwise. Checkpoints of PyTorch's version (keys ``weight_orig``, ``weight_u``,
    ``weight_v``) load as they are."""
    if dim is None:
        dim = 1 if is_transposed_conv(module) else 0
    SpectralNorm.apply(module, name, n_power_iterations, dim, eps)
    return module


def remove_spectral_norm(module: Module, name: str = "weight") -> Module:
    """Undo ``spectral_norm``: ``<name>`` becomes a parameter holding weight_orig / sigma
    (with the stored u and v)."""
    for key, hook in module._forward_pre_hooks.items():
        if isinstance(hook, SpectralNorm) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[key]
            module._call_hooks.pop(key, None)  # the call's fast path again
            return module
    raise ValueError(f"spectral_norm of '{name}' not found in {module}")
