"""Activation checkpointing, PyTorch's ``torch.utils.checkpoint`` (``tg.utils.checkpoint``):
trade compute for memory by not keeping a block's activations for the backward pass.

``checkpoint(fn, *args)`` runs ``fn`` under ``no_grad``, so none of its intermediate results
are kept; the node it leaves in the graph keeps only the arguments. When the backward pass
reaches that node, it runs ``fn`` again on the same arguments with gradients on (restoring the
random state first, so dropout draws the same masks) and backpropagates the incoming gradients
through that fresh graph: into the arguments (returned to the outer pass) and into every
parameter ``fn`` used (accumulated into its ``.grad``, as PyTorch's reentrant checkpoint does).

Peak memory: one block's activations at a time instead of all of them; cost: one more forward
per checkpointed block. The parameters' gradients arrive through ``.grad``, so
``loss.backward()`` (what training does) sees them and ``autograd.grad`` does not: it raises,
as PyTorch's reentrant variant does. ``use_reentrant`` is accepted either way.
"""

from __future__ import annotations

import warnings

from . import random
from .autograd import engine
from .autograd.function import Function
from .grad_mode import enable_grad, no_grad
from .tensor import Tensor, ones

__all__ = ["checkpoint", "checkpoint_sequential"]


def checkpoint(function, *args, use_reentrant=None, preserve_rng_state=True, **kwargs):
    """``function(*args, **kwargs)``, keeping only ``args`` for the backward pass, which runs
    ``function`` again (see the module docstring)."""
    if kwargs and use_reentrant:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    for name in ("context_fn", "determinism_check", "debug"):
        kwargs.pop(name, None)  # PyTorch's options for its non-reentrant variant
    # a tensor that requires grad, so that the node is recorded even when no argument
    # requires grad (the parameters inside ``function`` still need their gradients)
    anchor = ones((), requires_grad=True)
    out = _Recompute.apply(anchor, function, kwargs, preserve_rng_state, *args)
    return out[0] if len(out) == 1 else out


def checkpoint_sequential(functions, segments: int, input, use_reentrant=None, **kwargs):
    """Run a ``Sequential`` (or a list of modules) in ``segments`` checkpointed chunks; the
    last chunk runs normally, as PyTorch's."""
    functions = list(functions.children()) if hasattr(functions, "children") else list(functions)
    size = len(functions) // segments
    end = -1
    for start in range(0, size * (segments - 1), size):
        end = start + size - 1
        chunk = functions[start : end + 1]
        input = checkpoint(_run_chunk, chunk, input, use_reentrant=use_reentrant, **kwargs)
    return _run_chunk(functions[end + 1 :], input)


def _run_chunk(chunk, x):
    for f in chunk:
        x = f(x)
    return x


class _Recompute(Function):
    """The checkpointed block: forward without a graph, backward by running it again."""

    @staticmethod
    def forward(ctx, anchor, function, kwargs, preserve_rng_state, *args):
        ctx.function, ctx.kwargs, ctx.args = function, kwargs, args
        ctx.rng = random.get_rng_state() if preserve_rng_state else None
        with no_grad():
            out = function(*args, **kwargs)
        single = isinstance(out, Tensor)
        ctx.single = single
        return (out,) if single else tuple(out)

    @staticmethod
    def backward(ctx, *grads):
        if not engine.accumulating():
            raise RuntimeError(
                "checkpoint: the recomputed block's parameters receive their gradients "
                "through .grad, so it works with loss.backward() but not with autograd.grad() "
                "or backward(inputs=...) (PyTorch's reentrant checkpoint has the same limit)"
            )
        inputs = [
            a.detach().requires_grad_(a.requires_grad) if isinstance(a, Tensor) else a
            for a in ctx.args
        ]
        state = random.get_rng_state()
        if ctx.rng is not None:
            random.set_rng_state(ctx.rng)
        try:
            with enable_grad():
                out = ctx.function(*inputs, **ctx.kwargs)
        finally:
            random.set_rng_state(state)
        outs = (out,) if isinstance(out, Tensor) else tuple(out)
        pairs = [(o, g) for o, g in zip(outs, grads) if o.requires_grad and g is not None]
        if pairs:
            engine.backward([o for o, _ in pairs], [g for _, g in pairs])
        elif not any(isinstance(a, Tensor) and a.requires_grad for a in ctx.args):
            warnings.warn(
                "None of the inputs have requires_grad=True. Gradients will be None",
                stacklevel=2,
            )
        input_grads = [a.grad if isinstance(a, Tensor) else None for a in inputs]
        return (None, None, None, None, *input_grads)
