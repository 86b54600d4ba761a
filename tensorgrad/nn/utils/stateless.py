"""Call a module with other tensors in place of its parameters and buffers, PyTorch's
``torch.nn.utils.stateless`` (``tensorgrad.func.functional_call`` is the form to use).

``functional_call(m, {"fc.weight": w}, x)`` computes ``m(x)`` as if ``m.fc.weight`` were ``w``:
the entries are swapped into the modules' ``_parameters`` / ``_buffers`` (or set as attributes)
for the call and the originals are put back afterwards, also when the call raises. Since ``w``
is used as it is (not copied into a Parameter), the output is a function of ``w``: gradients
flow to ``w``, which is what per-sample gradients, ensembles of stacked weights and MAML's
inner-loop updates need.
"""

from __future__ import annotations

import contextlib
import warnings

from ...tensor import Tensor
from ..module import Module

__all__ = ["functional_call"]

_MISSING = object()  # the module had no attribute of that name: delete it again afterwards


def _untie(module: Module, parameters_and_buffers: dict) -> dict:
    """``parameters_and_buffers`` with every name tied to a given one (the same tensor under
    several names, as a shared embedding and output weight) given the same value."""
    names_of: dict[int, set] = {}
    for registry in (module.named_parameters, module.named_buffers):
        for name, tensor in registry(remove_duplicate=False):
            names_of.setdefault(id(tensor), set()).add(name)
    tied = {name: names for names in names_of.values() if len(names) > 1 for name in names}
    untied = dict(parameters_and_buffers)
    for given in [name for name in parameters_and_buffers if name in tied]:
        values = {id(parameters_and_buffers[n]) for n in tied[given] if n in parameters_and_buffers}
        if len(values) > 1:
            raise ValueError(
                f"functional_call got multiple values for keys {sorted(tied[given])}, "
                "which are tied. Consider using tie_weights=False"
            )
        for name in tied[given]:
            untied[name] = parameters_and_buffers[given]
    return untied


def _swap(module: Module, path: str, tensor):
    """Put ``tensor`` at ``path`` ("fc.weight") and return what was there."""
    if tensor is not _MISSING and tensor is not None and not isinstance(tensor, Tensor):
        raise TypeError(f"{tensor} is not an instance of torch.Tensor")
    prefix, _, name = path.rpartition(".")
    owner = module.get_submodule(prefix)
    for registry in (owner._parameters, owner._buffers):
        if name in registry:
            old = registry[name]
            if tensor is _MISSING:
                del registry[name]
            else:
                registry[name] = tensor
            return old
    old = getattr(owner, name, _MISSING)
    if old is not _MISSING and old is not None and not isinstance(old, Tensor):
        raise TypeError(f"attribute `{name}`: {old} is not an instance of torch.Tensor")
    if tensor is not _MISSING:
        setattr(owner, name, tensor)
    elif old is not _MISSING:
        delattr(owner, name)
    return old


def _check_keys(module: Module, names) -> None:
    valid = {n for n, _ in module.named_parameters(remove_duplicate=False)}
    valid |= {n for n, _ in module.named_buffers(remove_duplicate=False)}
    errors = []
    if unexpected := sorted(set(names) - valid):
        errors.append(f"Unexpected key(s): {', '.join(map(repr, unexpected))}.")
    if missing := sorted(valid - set(names)):
        errors.append(f"Missing key(s): {', '.join(map(repr, missing))}.")
    if errors:
        raise RuntimeError(
            f"Error(s) in reparametrizing for {module._get_name()}:\n\t" + "\n\t".join(errors)
        )


@contextlib.contextmanager
def reparametrize_module(
    module: Module, parameters_and_buffers: dict, tie_weights: bool = False, strict: bool = False
):
    """Inside the ``with``, ``module``'s parameters and buffers named in
    ``parameters_and_buffers`` are those tensors; the originals come back on exit. A name the
    module does not have is set as a plain attribute for the while (``strict=True`` raises
    instead, and also for names left out). What the module assigned to a swapped name during
    the call (a buffer replaced rather than updated in place) is written back into
    ``parameters_and_buffers``, as PyTorch does."""
    values = _untie(module, parameters_and_buffers) if tie_weights else parameters_and_buffers
    if strict:
        _check_keys(module, values)
    originals = {}
    try:
        for name, tensor in values.items():
            originals[name] = _swap(module, name, tensor)
        yield
    finally:
        current = {name: _swap(module, name, old) for name, old in originals.items()}
        parameters_and_buffers.update(
            {k: current[k] for k in parameters_and_buffers if k in current}
        )


def call_with_state(
    module: Module,
    parameters_and_buffers: dict,
    args=None,
    kwargs: dict | None = None,
    *,
    tie_weights: bool = True,
    strict: bool = False,
):
    """``module(*args, **kwargs)`` with ``parameters_and_buffers`` in place of its state
    (``reparametrize_module``); ``args`` that is not a tuple is the single argument."""
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    with reparametrize_module(module, parameters_and_buffers, tie_weights, strict):
        return module(*args, **(kwargs or {}))


def functional_call(
    module: Module,
    parameters_and_buffers: dict,
    args=None,
    kwargs: dict | None = None,
    *,
    tie_weights: bool = True,
    strict: bool = False,
):
    """``module(*args, **kwargs)`` computed with ``parameters_and_buffers`` (names as in
    ``state_dict``) in place of the module's own tensors. Deprecated as in PyTorch (a
    FutureWarning): ``tensorgrad.func.functional_call`` is the same call and also takes a
    sequence of dicts."""
    warnings.warn(
        "`torch.nn.utils.stateless.functional_call` is deprecated as of PyTorch 2.0 and will be "
        "removed in a future version of PyTorch. Please use `torch.func.functional_call` "
        "instead which is a drop-in replacement.",
        FutureWarning,
        stacklevel=2,
    )
    return call_with_state(
        module, parameters_and_buffers, args, kwargs, tie_weights=tie_weights, strict=strict
    )
