"""``vmap``: a function of one example applied to a batch, as a loop.

``vmap(f, in_dims, out_dims)(*args)`` is ``stack([f(*args_i) for i in range(B)], out_dims)``,
where ``args_i`` takes slice ``i`` of every argument along its ``in_dim`` (and the whole
argument where the ``in_dim`` is None). PyTorch runs ``f`` once on tensors that carry the batch
dimension out of sight (every op is given a batching rule); tensorgrad runs ``f`` once per
example and stacks the results. The numbers are the same for any ``f`` without randomness or
in-place side effects on the batch; the loop costs B calls of ``f``, so it is not faster than
writing the loop yourself, only the same code as in PyTorch.
"""

from __future__ import annotations

import functools

import numpy as np

from .. import random
from ..tensor import Tensor, stack
from .pytree import broadcast_to_and_flatten, tree_flatten, tree_unflatten

__all__ = ["vmap"]

_RANDOMNESS = ("error", "different", "same")


def _name(func) -> str:
    if hasattr(func, "__name__"):
        return func.__name__
    if isinstance(func, functools.partial):
        return f"functools.partial({_name(func.func)}, ...)"
    return repr(func)


def _flat_in_dims(func, in_dims, args: tuple) -> tuple[int, list, list, object]:
    """``(batch size, in_dim per leaf, leaves, spec)`` of the arguments, with PyTorch's errors."""
    head = f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>)"
    if not isinstance(in_dims, (int, tuple)):
        raise ValueError(
            f"{head}: expected `in_dims` to be int or a (potentially nested) tuple matching the "
            f"structure of inputs, got: {type(in_dims)}."
        )
    if len(args) == 0:
        raise ValueError(
            f"vmap({_name(func)})(<inputs>): got no inputs. Maybe you forgot to add inputs, or "
            "you are trying to vmap over a function with no inputs. The latter is unsupported."
        )
    leaves, spec = tree_flatten(args)
    dims = broadcast_to_and_flatten(in_dims, spec)
    if dims is None:
        raise ValueError(
            f"{head}: in_dims is not compatible with the structure of `inputs`. in_dims has "
            f"structure {tree_flatten(in_dims)[1]} but inputs has structure {spec}."
        )
    for i, (arg, dim) in enumerate(zip(leaves, dims)):
        if dim is not None and not isinstance(dim, int):
            raise ValueError(
                f"{head}: Got in_dim={dim} for an input but in_dim must be either an integer "
                "dimension or None."
            )
        if dim is not None and not isinstance(arg, Tensor):
            raise ValueError(
                f"{head}: Got in_dim={dim} for an input but the input is of type {type(arg)}. "
                "We cannot vmap over non-Tensor arguments, please use None as the respective "
                "in_dim"
            )
        if dim is not None and not -arg.dim() <= dim < arg.dim():
            raise ValueError(
                f"{head}: Got in_dim={dim} for some input, but that input is a Tensor of "
                f"dimensionality {arg.dim()} so expected in_dim to satisfy "
                f"-{arg.dim()} <= in_dim < {arg.dim()}."
            )
        if dim is not None:
            dims[i] = dim % arg.dim()
    sizes = [arg.shape[dim] for arg, dim in zip(leaves, dims) if dim is not None]
    if not sizes:
        raise ValueError("vmap: Expected at least one Tensor to vmap over")
    if any(size != sizes[0] for size in sizes):
        raise ValueError(
            "vmap: Expected all tensors to have the same size in the mapped dimension, got "
            f"sizes {sizes} for the mapped dimension"
        )
    return sizes[0], dims, leaves, spec


def _check_out_dims(func, out_dims) -> None:
    for dim in tree_flatten(out_dims)[0]:
        if dim is not None and not isinstance(dim, int):
            raise ValueError(
                f"vmap({_name(func)}, ..., out_dims={out_dims}): `out_dims` must be an int, "
                "None or a python collection of ints representing where in the outputs the "
                "vmapped dimension should appear."
            )


def _stack_outputs(func, outputs: list, out_dims):
    """One output of the structure of ``f``'s, each tensor the per-example ones stacked along
    its out_dim; an out_dim of None takes the first example's (it does not depend on the batch)."""
    flat, spec = tree_flatten(outputs[0])
    if isinstance(outputs[0], Tensor) and isinstance(out_dims, tuple) and len(out_dims) == 1:
        out_dims = out_dims[0]  # PyTorch's edge case: out_dims=(0,) for a single Tensor
    dims = broadcast_to_and_flatten(out_dims, spec)
    if dims is None:
        raise ValueError(
            f"vmap({_name(func)}, ..., out_dims={out_dims})(<inputs>): out_dims is not "
            f"compatible with the structure of `outputs`. out_dims has structure "
            f"{tree_flatten(out_dims)[1]} but outputs has structure {spec}."
        )
    per_example = [flat]
    for out in outputs[1:]:
        leaves, other = tree_flatten(out)
        if other != spec:
            raise ValueError(
                f"vmap({_name(func)}, ...): `{_name(func)}` returned outputs of different "
                f"structure for different examples: {spec} and {other}."
            )
        per_example.append(leaves)
    stacked = []
    for k, dim in enumerate(dims):
        if dim is None:
            stacked.append(flat[k])
            continue
        if not isinstance(flat[k], Tensor):
            raise ValueError(
                f"vmap({_name(func)}, ...): `{_name(func)}` must only return Tensors, got type "
                f"{type(flat[k])}. Did you mean to set out_dims= to None for output?"
            )
        stacked.append(stack([leaves[k] for leaves in per_example], dim=dim))
    return tree_unflatten(stacked, spec)


def _call_each(func, batch_size: int, dims: list, leaves: list, spec, kwargs, randomness):
    """``func`` on example ``i`` of the arguments, for every ``i``. ``randomness`` says what a
    random draw inside ``func`` means: 'different' draws anew for each example (the plain
    loop), 'same' rewinds the default generator before each example so they all draw the same
    numbers, and 'error' raises once a draw moved the generator."""
    generator = random.default_generator
    start = generator.get_state()
    outputs = []
    for i in range(batch_size):
        if randomness == "same":
            generator.set_state(start)
        before = generator.get_state().array
        example = [x if d is None else x.select(d, i) for x, d in zip(leaves, dims)]
        outputs.append(func(*tree_unflatten(example, spec), **kwargs))
        if randomness == "error" and not np.array_equal(generator.get_state().array, before):
            raise RuntimeError(
                "vmap: called random operation while in randomness error mode. Please either "
                "use the 'same' or 'different' randomness flags on vmap or perform the "
                "randomness operation out of vmap"
            )
    return outputs


def vmap(func, in_dims=0, out_dims=0, randomness: str = "error", *, chunk_size=None):
    """``func`` mapped over a batch dimension of its arguments:
    ``vmap(f, in_dims, out_dims)(*args) = stack([f(*args_i) for i in range(B)], dim=out_dims)``
    where ``args_i`` holds slice ``i`` of each tensor along its ``in_dim`` (tensors with
    ``in_dim=None``, and keyword arguments, are passed whole).

    ``in_dims`` is an int (every argument), or a tuple with one entry per argument that is an
    int, None, or a nested tuple/list/dict matching the argument's own structure
    (``in_dims=(None, None, 0, 0)`` for ``(params, buffers, x, y)``); ``out_dims`` likewise for
    the outputs, where None returns the first example's output unstacked. The batch sizes must
    agree. ``vmap`` nests (``vmap(vmap(f))``) and composes with ``grad``
    (``vmap(grad(loss), in_dims=(None, 0, 0))`` gives per-example gradients).

    This is a loop over the examples, not PyTorch's vectorisation: it gives PyTorch's numbers
    for functions without random draws or in-place changes to the batched inputs, and costs
    ``B`` calls of ``func``. ``chunk_size`` is checked and otherwise changes nothing (the loop
    holds one example at a time anyway). ``randomness``: 'error' raises when ``func`` draws
    from the default generator, 'different' draws anew per example, 'same' repeats the first
    example's draws for every example."""
    if randomness not in _RANDOMNESS:
        raise RuntimeError(
            "Only allowed values for randomness are 'error', 'different', or 'same'. Got "
            f"{randomness}"
        )
    if not (chunk_size is None or chunk_size > 0):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got {chunk_size})")

    @functools.wraps(func)
    def wrapped(*args, **kwargs):
        _check_out_dims(func, out_dims)
        batch_size, dims, leaves, spec = _flat_in_dims(func, in_dims, args)
        if batch_size == 0:
            raise NotImplementedError(
                "vmap over a dimension of size 0: tensorgrad's vmap is a loop over the "
                "examples, and with none it cannot tell the shape of the output"
            )
        outputs = _call_each(func, batch_size, dims, leaves, spec, kwargs, randomness)
        return _stack_outputs(func, outputs, out_dims)

    return wrapped
