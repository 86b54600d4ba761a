"""Pruning by masks, PyTorch's ``torch.nn.utils.prune``.

Pruning the parameter ``name`` of a module reparametrizes it as

    name = name_orig * name_mask,

where ``name_orig`` is the parameter as it was (it stays a parameter, so it keeps training and
its gradient is the upstream gradient times the mask: pruned entries get zero) and
``name_mask`` is a buffer of zeros and ones, in the parameter's dtype. A forward pre-hook (the
pruning method itself) recomputes ``name`` before every forward; the state-dict keys are
PyTorch's, ``name_orig`` and ``name_mask``.

A method computes the mask from importance scores (the parameter itself unless
``importance_scores`` are given):

- ``L1Unstructured``: zero the ``amount`` entries of smallest |score|;
- ``RandomUnstructured``: zero ``amount`` entries at random (the largest of ``rand_like``);
- ``LnStructured``: zero the ``amount`` channels along ``dim`` of smallest Ln-norm, the norm
  taken over every other dimension;
- ``RandomStructured``: zero ``amount`` channels along ``dim`` at random;
- ``CustomFromMask``: the mask given; ``Identity``: no change.

``amount`` is a count (an int) or a fraction of the entries or channels (a float in [0, 1],
rounded half to even). Pruning the same parameter again combines the methods in a
``PruningContainer``: the new method only looks at what is still unpruned (the entries whose
mask is 1, or the channels not already all zero) and its mask is written over that part, so
masks only ever lose ones. ``remove`` makes the pruning permanent: ``name`` becomes a
parameter again (the ``name_orig`` object, now holding orig * mask) and the hook, the
``_orig`` parameter and the mask buffer go.

The random methods draw what PyTorch draws (``rand_like`` of the scores; ``rand(channels)`` in
the default dtype), so after the same ``manual_seed`` they give PyTorch's masks. The selections
use ``topk`` and ``kthvalue``, which break ties by the lower index; PyTorch leaves tied indices
unspecified, so where scores tie (equal |weights|, equal channel norms) the entries pruned may
differ from PyTorch's, never their number.
"""

from __future__ import annotations

import numbers
from abc import ABC, abstractmethod
from collections.abc import Iterable

from ...creation import ones_like, rand, rand_like, zeros_like
from ...linalg import matrix_norm
from ...memory_format import contiguous_format
from ...tensor import Tensor, cat
from ..module import Module

__all__ = [
    "BasePruningMethod",
    "CustomFromMask",
    "Identity",
    "L1Unstructured",
    "LnStructured",
    "PruningContainer",
    "RandomStructured",
    "RandomUnstructured",
    "custom_from_mask",
    "global_unstructured",
    "identity",
    "is_pruned",
    "l1_unstructured",
    "ln_structured",
    "random_structured",
    "random_unstructured",
    "remove",
]


class BasePruningMethod(ABC):
    """A pruning method: ``compute_mask`` says what to prune; ``apply`` installs the
    reparametrization name = name_orig * name_mask on a module, with the method as the forward
    pre-hook that recomputes ``name``. ``PRUNING_TYPE`` ('unstructured', 'structured' with a
    ``dim``, or 'global') tells a ``PruningContainer`` which part of a pruned tensor the method
    sees when it prunes again."""

    _tensor_name: str | None = None  # set by apply()

    def __call__(self, module: Module, inputs) -> None:
        """The forward pre-hook: ``module.<name>`` = orig * mask, from the current tensors."""
        setattr(module, self._tensor_name, self.apply_mask(module))

    @abstractmethod
    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        """The mask for the importance scores ``t``, on top of ``default_mask`` (the mask of
        earlier pruning, ones at first; its zeros must stay zeros). Same shape as ``t``."""

    def apply_mask(self, module: Module) -> Tensor:
        """orig * mask, from ``module.<name>_orig`` and ``module.<name>_mask``: differentiable
        in orig, whose gradient is the upstream gradient times the mask."""
        if self._tensor_name is None:
            raise AssertionError(f"Module {module} has to be pruned")
        mask = getattr(module, self._tensor_name + "_mask")
        orig = getattr(module, self._tensor_name + "_orig")
        return mask.to(dtype=orig.dtype) * orig

    @classmethod
    def apply(cls, module: Module, name: str, *args, importance_scores=None, **kwargs):
        """Prune ``module.<name>`` with ``cls(*args, **kwargs)``, the mask computed from
        ``importance_scores`` (the parameter itself when None). The first time, the parameter
        becomes ``<name>_orig`` and the buffer ``<name>_mask`` is added; later, the method joins
        the ones already there in a ``PruningContainer`` and the mask is updated. Returns the
        hook installed (the method or the container).

        When computing the mask fails, the module is left as it was. (PyTorch drops an earlier
        pruning's hook when a later one fails; here it stays.)"""
        old_keys = [
            key
            for key, hook in module._forward_pre_hooks.items()
            if isinstance(hook, BasePruningMethod) and hook._tensor_name == name
        ]
        if len(old_keys) > 1:
            raise AssertionError(
                f"Avoid adding multiple pruning hooks to the same tensor {name} of module "
                f"{module}. Use a PruningContainer."
            )
        old = module._forward_pre_hooks[old_keys[0]] if old_keys else None
        method = cls(*args, **kwargs)
        method._tensor_name = name
        orig = getattr(module, name)
        if importance_scores is not None:
            if importance_scores.shape != orig.shape:
                raise AssertionError(
                    f"importance_scores should have the same shape as parameter {name} of "
                    f"{module}, got {importance_scores.shape} vs {orig.shape}"
                )
        else:
            importance_scores = orig
        if isinstance(old, PruningContainer):
            old.add_pruning_method(method)
            method = old
        elif old is not None:
            method = PruningContainer(old, method)

        first = old is None
        if first:
            module.register_parameter(name + "_orig", orig)
            del module._parameters[name]
            default_mask = ones_like(orig)
        else:
            default_mask = getattr(module, name + "_mask").detach().clone()
        try:
            mask = method.compute_mask(importance_scores, default_mask=default_mask)
            module.register_buffer(name + "_mask", mask)
            setattr(module, name, method.apply_mask(module))
        except Exception:
            if first:
                module.register_parameter(name, module._parameters.pop(name + "_orig"))
            elif old is method:  # the new method was added to the existing container
                method._pruning_methods = method._pruning_methods[:-1]
            raise
        for key in old_keys:
            _remove_hook(module, key)
        module.register_forward_pre_hook(method)
        return method

    def prune(self, t: Tensor, default_mask: Tensor | None = None, importance_scores=None):
        """``t`` times the mask this method computes from ``importance_scores`` (``t`` itself
        when None) on top of ``default_mask`` (ones when None)."""
        if importance_scores is not None:
            if importance_scores.shape != t.shape:
                raise AssertionError(
                    "importance_scores should have the same shape as tensor t, got "
                    f"{importance_scores.shape} vs {t.shape}"
                )
        else:
            importance_scores = t
        default_mask = default_mask if default_mask is not None else ones_like(t)
        return t * self.compute_mask(importance_scores, default_mask=default_mask)

    def remove(self, module: Module) -> None:
        """Make the pruning permanent: ``<name>`` becomes a parameter again holding
        orig * mask (the ``<name>_orig`` parameter object itself, so an optimizer holding it
        keeps working), and ``<name>_orig`` and ``<name>_mask`` go. Pruned entries stay zero
        only until training changes them."""
        if self._tensor_name is None:
            raise AssertionError(f"Module {module} has to be pruned before pruning can be removed")
        name = self._tensor_name
        weight = self.apply_mask(module)
        if hasattr(module, name):
            delattr(module, name)
        orig = module._parameters.pop(name + "_orig")
        orig.data = weight.data
        delattr(module, name + "_mask")
        setattr(module, name, orig)


def _remove_hook(module: Module, key) -> None:
    del module._forward_pre_hooks[key]
    module._call_hooks.pop(key, None)  # the call's fast path again once no hook is left


class PruningContainer(BasePruningMethod):
    """The methods applied one after another to one tensor (iterative pruning). Its
    ``compute_mask`` runs the latest method on what the earlier ones left unpruned.
    ``PruningContainer(*methods)`` acts on the first method's tensor (PyTorch's accepts
    several methods only in name: it fails to add them)."""

    def __init__(self, *args) -> None:
        self._pruning_methods: tuple[BasePruningMethod, ...] = ()
        if args:
            self._tensor_name = getattr(args[0], "_tensor_name", None)
        for method in args:
            self.add_pruning_method(method)

    def add_pruning_method(self, method: BasePruningMethod) -> None:
        """Append ``method``, which must act on the container's tensor."""
        if not isinstance(method, BasePruningMethod) and method is not None:
            raise TypeError(f"{type(method)} is not a BasePruningMethod subclass")
        if method is not None and self._tensor_name != method._tensor_name:
            raise ValueError(
                "Can only add pruning methods acting on the parameter named "
                f"'{self._tensor_name}' to PruningContainer {self}. "
                f"Found '{method._tensor_name}'"
            )
        self._pruning_methods += (method,)

    def __len__(self) -> int:
        return len(self._pruning_methods)

    def __iter__(self):
        return iter(self._pruning_methods)

    def __getitem__(self, idx):
        return self._pruning_methods[idx]

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        """``default_mask`` with the latest method's mask written over the part it may still
        prune: for an 'unstructured' method the entries where the mask is 1 (as one flat
        tensor), for a 'structured' one the channels along its ``dim`` with a nonzero mask
        sum, for a 'global' one the whole tensor."""
        method = self._pruning_methods[-1]
        kind = method.PRUNING_TYPE
        if kind == "unstructured":
            part = default_mask == 1
        elif kind == "structured":
            if not hasattr(method, "dim"):
                raise AttributeError(
                    'Pruning methods of PRUNING_TYPE "structured" need to have the attribute '
                    "`dim` defined."
                )
            n_dims = t.dim()
            dim = method.dim + n_dims if method.dim < 0 else method.dim
            if dim < 0:
                raise IndexError(f"Index is out of bounds for tensor with dimensions {n_dims}")
            others = [d for d in range(n_dims) if d != dim]
            part = [slice(None)] * n_dims
            part[dim] = default_mask.sum(dim=others) != 0
            part = tuple(part)
        elif kind == "global":
            part = (slice(None),) * t.dim()
        else:
            raise ValueError(f"Unrecognized PRUNING_TYPE {kind}")
        # a copy: PyTorch writes into default_mask itself when its dtype is t's already
        mask = default_mask.to(dtype=t.dtype, copy=True)
        partial = method.compute_mask(t[part], default_mask=default_mask[part])
        mask[part] = partial.to(dtype=mask.dtype)
        return mask


class Identity(BasePruningMethod):
    """Prunes nothing: the mask stays as it is (ones the first time)."""

    PRUNING_TYPE = "unstructured"

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        """``default_mask`` unchanged."""
        return default_mask

    @classmethod
    def apply(cls, module: Module, name: str):
        """Install the reparametrization of ``module.<name>`` with a mask of ones."""
        return super().apply(module, name)


class RandomUnstructured(BasePruningMethod):
    """Zero ``amount`` entries chosen at random: those of the largest values of
    ``rand_like(t)`` (PyTorch's draw, so its mask after the same seed)."""

    PRUNING_TYPE = "unstructured"

    def __init__(self, amount) -> None:
        _validate_pruning_amount_init(amount)
        self.amount = amount

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        """``default_mask`` with the entries of the ``amount`` largest of ``rand_like(t)``
        zeroed."""
        size = t.nelement()
        k = _compute_nparams_toprune(self.amount, size)
        _validate_pruning_amount(k, size)
        mask = default_mask.clone(memory_format=contiguous_format)
        if k != 0:
            prob = rand_like(t)
            mask.view(-1)[prob.view(-1).topk(k).indices] = 0
        return mask

    @classmethod
    def apply(cls, module: Module, name: str, amount):
        """Prune ``amount`` random entries of ``module.<name>``."""
        return super().apply(module, name, amount=amount)


class L1Unstructured(BasePruningMethod):
    """Zero the ``amount`` entries of smallest absolute value."""

    PRUNING_TYPE = "unstructured"

    def __init__(self, amount) -> None:
        _validate_pruning_amount_init(amount)
        self.amount = amount

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        """``default_mask`` with the ``amount`` entries of smallest |t| zeroed (of equal |t|,
        the lower index first)."""
        size = t.nelement()
        k = _compute_nparams_toprune(self.amount, size)
        _validate_pruning_amount(k, size)
        mask = default_mask.clone(memory_format=contiguous_format)
        if k != 0:
            smallest = t.abs().reshape(-1).topk(k, largest=False).indices
            mask.view(-1)[smallest] = 0
        return mask

    @classmethod
    def apply(cls, module: Module, name: str, amount, importance_scores=None):
        """Prune the ``amount`` entries of ``module.<name>`` of smallest |importance score|."""
        return super().apply(module, name, amount=amount, importance_scores=importance_scores)


class RandomStructured(BasePruningMethod):
    """Zero ``amount`` channels along ``dim`` chosen at random: with p = rand(channels) (the
    default dtype, as PyTorch's), the channels with p at most the ``amount``-th smallest."""

    PRUNING_TYPE = "structured"

    def __init__(self, amount, dim: int = -1) -> None:
        _validate_pruning_amount_init(amount)
        self.amount = amount
        self.dim = dim

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        """Ones on the kept channels, zeros on ``amount`` random ones, times
        ``default_mask``; ``t`` must have two dims or more."""
        _validate_structured_pruning(t)
        _validate_pruning_dim(t, self.dim)
        size = t.shape[self.dim]
        k = _compute_nparams_toprune(self.amount, size)
        _validate_pruning_amount(k, size)
        if k == 0:
            return default_mask
        prob = rand(size)
        # drawn by the CPU generator, as PyTorch's rand(size), whatever t's device
        keep = (prob > prob.kthvalue(k).values).to(t.device)
        mask = _channel_mask(t, self.dim, keep)
        mask *= default_mask.to(dtype=mask.dtype)
        return mask

    @classmethod
    def apply(cls, module: Module, name: str, amount, dim: int = -1):
        """Prune ``amount`` random channels of ``module.<name>`` along ``dim``."""
        return super().apply(module, name, amount=amount, dim=dim)


class LnStructured(BasePruningMethod):
    """Zero the ``amount`` channels along ``dim`` of smallest Ln-norm, ||t_c||_n over every
    other dimension (``n`` as ``Tensor.norm``'s p: a number, inf, -inf, 'fro', or 'nuc' for a
    3-d tensor)."""

    PRUNING_TYPE = "structured"

    def __init__(self, amount, n, dim: int = -1) -> None:
        _validate_pruning_amount_init(amount)
        self.amount = amount
        self.n = n
        self.dim = dim

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        """Ones on the channels of the largest norms kept (of equal norms, the lower index
        first), zeros elsewhere, times ``default_mask``; ``t`` must have two dims or more."""
        _validate_structured_pruning(t)
        _validate_pruning_dim(t, self.dim)
        size = t.shape[self.dim]
        k = _compute_nparams_toprune(self.amount, size)
        _validate_pruning_amount(k, size)
        kept = _compute_norm(t, self.n, self.dim).topk(size - k, largest=True).indices
        if k == 0:
            return default_mask
        mask = _channel_mask(t, self.dim, kept)
        mask *= default_mask.to(dtype=mask.dtype)
        return mask

    @classmethod
    def apply(cls, module: Module, name: str, amount, n, dim: int, importance_scores=None):
        """Prune the ``amount`` channels of ``module.<name>`` along ``dim`` of smallest
        Ln-norm of the importance scores."""
        return super().apply(
            module, name, amount=amount, n=n, dim=dim, importance_scores=importance_scores
        )


class CustomFromMask(BasePruningMethod):
    """Prune with a given mask (multiplied into the existing one)."""

    PRUNING_TYPE = "global"

    def __init__(self, mask: Tensor) -> None:
        self.mask = mask

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        """``default_mask`` times the given mask, in ``default_mask``'s dtype."""
        if default_mask.shape != self.mask.shape:
            raise AssertionError(
                f"default_mask shape {default_mask.shape} must match self.mask shape "
                f"{self.mask.shape}"
            )
        return default_mask * self.mask.to(dtype=default_mask.dtype)

    @classmethod
    def apply(cls, module: Module, name: str, mask: Tensor):
        """Prune ``module.<name>`` with ``mask``."""
        return super().apply(module, name, mask=mask)


def identity(module: Module, name: str) -> Module:
    """Reparametrize ``module.<name>`` as ``<name>_orig`` * ``<name>_mask`` with a mask of
    ones (nothing pruned). Returns ``module``."""
    Identity.apply(module, name)
    return module


def random_unstructured(module: Module, name: str, amount) -> Module:
    """Prune ``amount`` (a count, or a fraction in [0, 1]) of the still unpruned entries of
    ``module.<name>``, chosen at random. Returns ``module``."""
    RandomUnstructured.apply(module, name, amount)
    return module


def l1_unstructured(module: Module, name: str, amount, importance_scores=None) -> Module:
    """Prune ``amount`` (a count, or a fraction in [0, 1]) of the still unpruned entries of
    ``module.<name>``: those of smallest |importance score| (the parameter's own values by
    default). Returns ``module``."""
    L1Unstructured.apply(module, name, amount=amount, importance_scores=importance_scores)
    return module


def random_structured(module: Module, name: str, amount, dim: int) -> Module:
    """Prune ``amount`` (a count, or a fraction in [0, 1]) of the still unpruned channels of
    ``module.<name>`` along ``dim``, chosen at random. Returns ``module``."""
    RandomStructured.apply(module, name, amount, dim)
    return module


def ln_structured(module: Module, name: str, amount, n, dim: int, importance_scores=None):
    """Prune ``amount`` (a count, or a fraction in [0, 1]) of the still unpruned channels of
    ``module.<name>`` along ``dim``: those whose importance scores have the smallest Ln-norm.
    Returns ``module``."""
    LnStructured.apply(module, name, amount, n, dim, importance_scores=importance_scores)
    return module


def global_unstructured(parameters, pruning_method, importance_scores=None, **kwargs) -> None:
    """Prune the ``(module, name)`` pairs of ``parameters`` as one tensor: the scores of all
    of them (``importance_scores[(module, name)]`` or the parameter) are flattened and joined,
    ``pruning_method(**kwargs)`` (an 'unstructured' one, e.g. ``L1Unstructured`` with
    ``amount``) prunes that vector on top of the existing masks, and each parameter gets its
    slice through ``custom_from_mask``. ``parameters`` may be any iterable, a generator too
    (PyTorch reads it three times)."""
    if not isinstance(parameters, Iterable):
        raise TypeError("global_unstructured(): parameters is not an Iterable")
    parameters = list(parameters)
    importance_scores = importance_scores if importance_scores is not None else {}
    if not isinstance(importance_scores, dict):
        raise TypeError("global_unstructured(): importance_scores must be of type dict")
    scores = cat(
        [
            importance_scores.get((module, name), getattr(module, name)).reshape(-1)
            for module, name in parameters
        ]
    )
    default_mask = cat([_mask_of(module, name).reshape(-1) for module, name in parameters])
    container = PruningContainer()
    container._tensor_name = "temp"
    method = pruning_method(**kwargs)
    method._tensor_name = "temp"
    if method.PRUNING_TYPE != "unstructured":
        raise TypeError(
            'Only "unstructured" PRUNING_TYPE supported for the `pruning_method`. Found method '
            f"{pruning_method} of type {method.PRUNING_TYPE}"
        )
    container.add_pruning_method(method)
    final_mask = container.compute_mask(scores, default_mask)
    start = 0
    for module, name in parameters:
        param = getattr(module, name)
        stop = start + param.numel()
        custom_from_mask(module, name, mask=final_mask[start:stop].view_as(param))
        start = stop


def _mask_of(module: Module, name: str) -> Tensor:
    """The mask of ``module.<name>``: its ``<name>_mask``, ones when not pruned yet."""
    mask = getattr(module, name + "_mask", None)
    return ones_like(getattr(module, name)) if mask is None else mask


def custom_from_mask(module: Module, name: str, mask: Tensor) -> Module:
    """Prune ``module.<name>`` with the given ``mask`` (zeros pruned). Returns ``module``."""
    CustomFromMask.apply(module, name, mask)
    return module


def remove(module: Module, name: str) -> Module:
    """Make the pruning of ``module.<name>`` permanent (see ``BasePruningMethod.remove``) and
    drop its hook. Returns ``module``."""
    for key, hook in module._forward_pre_hooks.items():
        if isinstance(hook, BasePruningMethod) and hook._tensor_name == name:
            hook.remove(module)
            _remove_hook(module, key)
            return module
    raise ValueError(
        f"Parameter '{name}' of module {module} has to be pruned before pruning can be removed"
    )


def is_pruned(module: Module) -> bool:
    """Whether ``module`` or any of its submodules has a pruning hook."""
    return any(
        isinstance(hook, BasePruningMethod)
        for _, submodule in module.named_modules()
        for hook in submodule._forward_pre_hooks.values()
    )


def _validate_pruning_amount_init(amount) -> None:
    """``amount`` must be a non-negative int or a float in [0, 1] (the tensor's size is
    checked when pruning)."""
    if not isinstance(amount, numbers.Real):
        raise TypeError(f"Invalid type for amount: {amount}. Must be int or float.")
    if isinstance(amount, numbers.Integral):
        bad = amount < 0
    else:
        bad = not 0.0 <= float(amount) <= 1.0
    if bad:
        raise ValueError(
            f"amount={amount} should either be a float in the range [0, 1] or a non-negative "
            "integer"
        )


def _validate_pruning_amount(amount, tensor_size: int) -> None:
    if isinstance(amount, numbers.Integral) and amount > tensor_size:
        raise ValueError(
            f"amount={amount} should be smaller than the number of parameters to "
            f"prune={tensor_size}"
        )


def _validate_structured_pruning(t: Tensor) -> None:
    if t.dim() <= 1:
        raise ValueError(
            "Structured pruning can only be applied to multidimensional tensors. Found tensor "
            f"of shape {t.shape} with {t.dim()} dims"
        )


def _compute_nparams_toprune(amount, tensor_size: int) -> int:
    """The count to prune: ``amount`` itself, or round(amount * size) for a fraction."""
    if isinstance(amount, numbers.Integral):
        return amount
    return round(amount * tensor_size)


def _validate_pruning_dim(t: Tensor, dim: int) -> None:
    if dim >= t.dim():
        raise IndexError(f"Invalid index {dim} for tensor of size {t.shape}")


def _compute_norm(t: Tensor, n, dim: int) -> Tensor:
    """The n-norm of each channel along ``dim``, over every other dimension (shape
    ``(t.shape[dim],)``). As ``torch.norm`` reads it, 'nuc' is the matrix nuclear norm over
    the other two dims, and 'fro' over more than two is a matrix norm too: an error."""
    dims = list(range(t.dim()))
    dims.remove(dims[dim])
    if n == "nuc" or (n == "fro" and len(dims) > 2):
        return matrix_norm(t, n, dim=tuple(dims))
    return t.norm(n, dim=dims)


def _channel_mask(t: Tensor, dim: int, channels: Tensor) -> Tensor:
    """Zeros like ``t`` with ones on ``channels`` (a bool mask or indices) along ``dim``."""
    mask = zeros_like(t)
    index = [slice(None)] * t.dim()
    index[dim] = channels
    mask[tuple(index)] = 1
    return mask
