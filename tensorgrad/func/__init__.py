"""Function transforms, PyTorch's ``torch.func``: ``grad``, ``grad_and_value``, ``vjp``,
``jvp``, ``jacrev``, ``jacfwd``, ``hessian``, ``vmap``, and ``functional_call`` /
``stack_module_state`` to use a module as a function of its tensors.

A transform takes a function and returns a function: ``grad(f)(x) = ∇f(x)``,
``vmap(f)(xs) = stack([f(x) for x in xs])``. They compose: per-example gradients are
``vmap(grad(loss), in_dims=(None, 0, 0))(params, xs, ys)``, a Hessian is
``jacrev(jacrev(f))``. The derivative transforms are reverse-mode ``autograd.grad`` on fresh
leaves (``eager_transforms``); ``vmap`` is a loop over the examples followed by ``stack``, not a
vectorisation (``batching``): the same numbers as PyTorch's for functions without randomness or
in-place changes to the batch, at the cost of one call per example.
"""

from __future__ import annotations

from .batching import vmap
from .eager_transforms import grad, grad_and_value, hessian, jacfwd, jacrev, jvp, linearize, vjp
from .module_state import functional_call, stack_module_state

__all__ = [
    "functional_call",
    "grad",
    "grad_and_value",
    "hessian",
    "jacfwd",
    "jacrev",
    "jvp",
    "linearize",
    "stack_module_state",
    "vjp",
    "vmap",
]
