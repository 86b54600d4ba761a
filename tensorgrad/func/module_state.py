"""``functional_call`` and ``stack_module_state``: a module as a function of its tensors, and
many modules' tensors stacked for ``vmap``."""

from __future__ import annotations

from collections.abc import Sequence

from ..nn.module import Module
from ..nn.utils.stateless import call_with_state
from ..tensor import Tensor, stack

__all__ = ["functional_call", "stack_module_state"]


def functional_call(
    module: Module,
    parameter_and_buffer_dicts: dict[str, Tensor] | Sequence[dict[str, Tensor]],
    args=None,
    kwargs: dict | None = None,
    *,
    tie_weights: bool = True,
    strict: bool = False,
):
    """``module(*args, **kwargs)`` computed with the given tensors (named as in
    ``state_dict``: ``"fc.weight"``) in place of the module's parameters and buffers, which
    are put back afterwards, also when the call raises. The output is a function of the given
    tensors, so ``grad`` (or ``autograd.grad``) differentiates through them:
    ``grad(lambda p: loss(functional_call(model, p, (x,)), y))(params)``.

    ``parameter_and_buffer_dicts`` is one dict or a sequence of dicts (``(params, buffers)``)
    whose keys must not repeat. ``args`` that is not a tuple is the single argument. With
    ``tie_weights`` a tensor the module holds under several names takes the given value under
    all of them; ``strict`` raises on missing or unexpected names."""
    if isinstance(parameter_and_buffer_dicts, dict):
        parameters_and_buffers = parameter_and_buffer_dicts
    elif isinstance(parameter_and_buffer_dicts, Sequence):
        if not all(isinstance(d, dict) for d in parameter_and_buffer_dicts):
            raise ValueError(
                "Expected all elements of parameter_and_buffer_dicts to be dictionaries"
            )
        keys = [k for d in parameter_and_buffer_dicts for k in d]
        repeated = [k for k in dict.fromkeys(keys) if keys.count(k) > 1]
        if repeated:
            raise ValueError(
                f"{repeated} appeared in multiple dictionaries; behavior of functional call is "
                "ambiguous"
            )
        parameters_and_buffers = {k: v for d in parameter_and_buffer_dicts for k, v in d.items()}
    else:
        raise ValueError(
            "Expected parameter_and_buffer_dicts to be a dict, or a list/tuple of dicts, but got "
            f"{type(parameter_and_buffer_dicts)}"
        )
    return call_with_state(
        module, parameters_and_buffers, args, kwargs, tie_weights=tie_weights, strict=strict
    )


def _stacked_leaf(tensors: list[Tensor], name: str) -> Tensor:
    requires_grad = {t.requires_grad for t in tensors}
    if len(requires_grad) > 1:
        raise RuntimeError(f"Expected {name} from each model to have the same .requires_grad")
    out = stack(tensors)
    return out.detach().requires_grad_() if requires_grad == {True} else out


def stack_module_state(models: Sequence[Module]) -> tuple[dict, dict]:
    """``(params, buffers)``: for each name, the ``M`` models' tensors stacked along a new first
    dimension, ready for ``vmap(fmodel, in_dims=(0, 0, None))(params, buffers, x)`` with
    ``fmodel`` a ``functional_call`` of one model of the same class. The stacked parameters are
    new leaves (they require grad when the models' do, and are unrelated to them), so an
    optimizer can train them directly. The models must be of one class and in one mode."""
    if len(models) == 0:
        raise RuntimeError("stack_module_state: Expected at least one model, got 0.")
    if len({m.training for m in models}) > 1:
        raise RuntimeError(
            "stack_module_state: Expected all models to have the same training/eval mode."
        )
    if any(type(m) is not type(models[0]) for m in models):
        raise RuntimeError("stack_module_state: Expected all models to be of the same class.")
    params = [dict(m.named_parameters()) for m in models]
    buffers = [dict(m.named_buffers()) for m in models]
    return (
        {k: _stacked_leaf([p[k] for p in params], k) for k in params[0]},
        {k: _stacked_leaf([b[k] for b in buffers], k) for k in buffers[0]},
    )
