"""Views, version counters and in-place ops (``add_``, ``mul_``, ``x[i] = v``, ...).

A view op (``Op.is_view``: reshape, permute, expand, basic indexing) returns a tensor that
shares its input's memory and version counter and remembers its root ``_base`` and how to
make it again from the base, ``_view_fn`` (``make_view``). Every in-place write bumps the
shared counter, so a node that saved the old values notices at backward and raises instead of
giving a wrong gradient.

Without a graph to record, an in-place op writes into the array and bumps the version counter,
which is all an optimizer step needs. While recording, the op runs out of place and the tensor
is rebased onto the result: its storage takes the new values (so views of it see them) and its
``grad_fn`` becomes the op's node, as PyTorch does.

An in-place op on a view ``v`` of ``base`` (``y[0].mul_(2)``) changes the base too, so the base
gets a new history as well: a ``CopySlices`` node, PyTorch's name, whose output is the old base
with the view's region replaced by the op's result. ``v`` is then made again from the new base,
so both graphs agree with the memory they share.
"""

from __future__ import annotations

import math

from .. import _args  # the module: _args imports this package while it loads
from ..backend import xp_of
from ..grad_mode import GradMode
from ..jit import recorder
from ..ops import elementwise
from ..ops.movement import Clone
from ..tensor import Tensor
from .function import SCRATCH, Op, RetainGrad

_make = Tensor._make


# ----------------------------------------------------------------------------- views


def make_view(out, ctx, x: Tensor, cls, params: dict) -> Tensor:
    """The output of view op ``cls`` on ``x``: it shares x's version counter and remembers its
    root ``_base`` and how to make it again from the base, ``_view_fn``, a chain
    ``(parent chain or None, op class, params)`` that ``replay_view`` applies; an in-place op on
    the view needs both to update the base's history (``CopySlices``)."""
    if cls.may_copy:  # NumPy views share the owner as .base; anything else is checked in full
        xd, b = x.array, out.base
        if b is not xd and (b is None or b is not xd.base):
            if not xp_of(out).may_share_memory(out, xd):  # a copy: a tensor of its own
                return _make(out, ctx, ctx is not None)
    return mark_view(_make(out, ctx, ctx is not None, 0, x._version_counter), x, cls, params)


def mark_view(t: Tensor, x: Tensor, cls, params: dict) -> Tensor:
    """``t``, which shares x's memory and version counter, marked as the view ``cls`` makes of
    ``x`` with ``params`` (what an in-place op on it needs to update x's history)."""
    t._view_version = x._version_counter[0]
    base = x._base
    if base is None:
        t._base, t._view_fn = x, (None, cls, params)
    else:
        t._base, t._view_fn = base, (x._view_fn, cls, params)
    return t


def refresh_view(x: Tensor) -> None:
    """Give a view whose base was modified in place since (through the base or a sibling view)
    its current history, made again from the base, as PyTorch regenerates a stale view's
    ``grad_fn``. Without it the view's gradient would flow into the base's old graph."""
    fresh = replay_view(x._base, x._view_fn)
    x.grad_fn, x._output_nr, x.requires_grad = fresh.grad_fn, 0, fresh.requires_grad
    x._view_version = x._version_counter[0]


def replay_view(t: Tensor, view_fn) -> Tensor:
    """Apply a view chain (a ``_view_fn``) to ``t``, a tensor of the base's shape."""
    if view_fn is None:
        return t
    parent, cls, params = view_fn
    return cls.apply(replay_view(t, parent), **params)


# ----------------------------------------------------------------------------- in-place ops

_UFUNC = {
    elementwise.Add: "add",
    elementwise.Sub: "subtract",
    elementwise.Mul: "multiply",
    elementwise.Div: "divide",
    elementwise.Pow: "power",
}


def recording(x: Tensor, other=None) -> bool:
    return GradMode.enabled and (
        x.requires_grad
        or (isinstance(other, Tensor) and other.requires_grad)
        or (x._base is not None and x._base.requires_grad)
    )


def check_can_modify(x: Tensor) -> None:
    if x.grad_fn is None and x.requires_grad:
        raise RuntimeError(
            "a leaf Variable that requires grad is being used in an in-place operation; "
            "wrap it in `with tg.no_grad():` (as optimizers do) or clone it first"
        )
    if x._returned_by is not None:
        name, nr, n_outputs = x._returned_by
        why = (
            "This view was created inside a custom Function (or because an input was returned "
            "as-is) and the autograd logic to handle view+inplace would override the custom "
            "backward associated with the custom Function, leading to incorrect gradients. This "
            "behavior is forbidden. You can fix this by cloning the output of the custom "
            "Function."
            if n_outputs == 1
            else "This view is the output of a function that returns multiple views. Such "
            "functions do not allow the output views to be modified inplace. You should replace "
            "the inplace operation by an out-of-place one."
        )
        raise RuntimeError(f"Output {nr} of {name} is a view and is being modified inplace. {why}")
    base = x._base  # a view (x[0], x.reshape(...)) writes into its base's memory
    if base is not None and base.grad_fn is None and base.requires_grad:
        raise RuntimeError(
            f"a view of a leaf Variable that requires grad (shape {base.shape}) is being used in "
            f"an in-place operation on shape {x.shape}; wrap it in `with tg.no_grad():` or clone "
            "the leaf first"
        )


def check_no_overlap(x: Tensor, name: str) -> None:
    """An expanded tensor has elements that share memory: writing them is ambiguous."""
    strides = x.array.strides
    if 0 not in strides or 0 in x.shape:  # an empty tensor: there is nothing to write
        return
    if any(s == 0 and n > 1 for s, n in zip(strides, x.shape)):
        raise RuntimeError(
            f"{name}: unsupported operation: more than one element of the written-to tensor "
            f"(shape {x.shape}, strides {strides}) refers to a single memory location; clone() "
            "the tensor before the in-place operation"
        )
    if not getattr(x.array.flags, "writeable", True):  # NumPy's broadcast_to is read-only
        raise RuntimeError(
            f"{name}: the tensor (shape {x.shape}) is an expanded view, whose memory is "
            "read-only in tensorgrad; clone() it before the in-place operation"
        )


def current(x: Tensor) -> Tensor:
    """``x`` with its current history: a view made again from its base, since its own
    ``grad_fn`` predates any in-place change made to the base through another view."""
    base = x._base
    return x if base is None else replay_view(base, x._view_fn)


def operand(x: Tensor, copy: bool = False) -> Tensor:
    """``x`` as the operand of an in-place op computed out of place and then assigned
    (``clamp_``): while recording, with its current history (``current``) and, with ``copy``,
    its values copied, since the op's node keeps them and they are about to be overwritten."""
    if not recording(x):
        return x
    x = current(x)
    if not copy:
        return x
    array = recorder.call(_copy, x.array)  # an array call tg.compile records
    return Tensor._make(array, x.grad_fn, x.requires_grad, x._output_nr)


class CopySlices(Op):
    """``base`` with its view ``view_fn(base)`` replaced by ``value``, written into the base's
    memory: the new history of a base whose view was modified in place.

    d/d base = 1 outside the view's region and 0 inside it (those values were overwritten);
    d/d value = 1 at the view's positions, so value's gradient is ``view_fn(g)``.
    """

    takes_bfloat16 = True  # it writes into the base's own memory

    def name(self) -> str:
        return "CopySlices"

    def forward(ctx, base, value, view_fn=None, target=None):
        ctx.view_fn = view_fn
        target[...] = value  # target is the view's array: it shares the base's memory
        return base

    def backward(ctx, g):
        gbase = gvalue = None
        if ctx.needs_input_grad[0]:
            gbase = g.masked_fill(_covered(ctx.view_fn, g), 0.0)
        if ctx.needs_input_grad[1]:
            gvalue = replay_view(g, ctx.view_fn)
        return gbase, gvalue


def _covered(view_fn, like: Tensor) -> Tensor:
    """A bool tensor of ``like``'s shape, True at the elements that the view chain selects
    (one array call that tg.compile records, so a replay makes it again)."""
    return Tensor._make(recorder.call(_covered_mask, xp_of(like.array), like.shape, view_fn))


def _covered_mask(xp, shape: tuple, view_fn):
    """The mask of ``_covered``: the chain's view ops' forwards run on the elements' flat
    positions, so it works even where a reshape copies."""
    positions = xp.arange(math.prod(shape)).reshape(shape)
    selected = _view_array(positions, view_fn)
    mask = xp.zeros(positions.size, dtype=bool)
    mask[selected.reshape(-1)] = True
    return mask.reshape(shape)


def _view_array(array, view_fn):
    """``replay_view`` on an array: the chain's forwards, no graph."""
    if view_fn is None:
        return array
    parent, cls, params = view_fn
    return cls.forward(SCRATCH, _view_array(array, parent), **params)


def _take_history(x: Tensor, source: Tensor) -> None:
    """Give ``x`` the graph position of ``source`` (whose values it already holds)."""
    old_fn, old_nr = x.grad_fn, x._output_nr
    x.grad_fn, x._output_nr, x.requires_grad = (
        source.grad_fn,
        source._output_nr,
        source.requires_grad,
    )
    if x._retains_grad and old_fn is not None and x.grad_fn is not None:
        hooks = old_fn._hooks[old_nr]  # .grad follows the tensor to its new value
        for key, hook in list(hooks.items()):
            if isinstance(hook, RetainGrad) and hook.ref() is x:
                del hooks[key]
                x.grad_fn.register_hook(x._output_nr, hook)


def rebase(x: Tensor, result: Tensor) -> Tensor:
    """Make ``x`` hold ``result``'s values and history, keeping its storage. For a view, the
    base's history becomes a ``CopySlices`` node and ``x`` is made again from the base."""
    base = x._base
    if base is None:
        if result.array is not x.array:
            recorder.call(_assign, x.array, result.array)
        x._version_counter[0] += 1  # views share the counter: nodes that saved them notice too
        _take_history(x, result)
        return x
    view_fn = x._view_fn
    new_base = CopySlices.apply(base, result, view_fn=view_fn, target=x.array)
    x._version_counter[0] += 1
    _take_history(base, new_base)
    _take_history(x, replay_view(base, view_fn))
    x._view_version = x._version_counter[0]
    return x


def apply_binary(x: Tensor, op, other) -> Tensor:
    """``x op= other`` for a binary elementwise op class (``elementwise.Add``, ...)."""
    check_no_overlap(x, f"{op.__name__.lower()}_")
    if recording(x, other):
        check_can_modify(x)
        source = current(x)
        needs = (source.requires_grad, isinstance(other, Tensor) and other.requires_grad)
        if op.saves_inputs and op.inputs_to_save(needs, (source, other))[0] is not None:
            # the node keeps the old values, which are about to be overwritten
            source = Tensor._make(
                recorder.call(_copy, source.array),
                source.grad_fn,
                source.requires_grad,
                source._output_nr,
            )
        result = _args.binary(op, source, other, true_divide=op is elementwise.Div)
        if result.shape != x.shape:
            raise RuntimeError(
                f"{op.__name__.lower()}_: output of shape {result.shape} doesn't match the "
                f"tensor's shape {x.shape} (in-place ops cannot broadcast the tensor itself)"
            )
        return rebase(x, result.to(x.dtype))
    other_data = other.array if isinstance(other, Tensor) else other
    if type(other) is int and x.array.dtype.kind in "iu":  # int8 t += 1000 wraps, as PyTorch's
        other_data = _args.wrapped(other, x.array.dtype)
    if isinstance(other, Tensor) and type(other_data) is not type(x.array):
        raise RuntimeError(
            f"{op.__name__.lower()}_: expected all tensors on the same device, got {x.device} and "
            f"{other.device}"
        )
    try:
        ufunc = getattr(xp_of(x.array), _UFUNC[op])
        recorder.call(ufunc, x.array, other_data, out=x.array)
    except TypeError as e:  # NumPy's UFuncTypeError: e.g. float into an int tensor
        raise RuntimeError(
            f"{op.__name__.lower()}_: result can't be cast to the tensor's dtype {x.dtype} ({e})"
        ) from None
    except ValueError:
        raise RuntimeError(
            f"{op.__name__.lower()}_: a value of shape {getattr(other, 'shape', ())} can't be "
            f"broadcast into the tensor's shape {x.shape}"
        ) from None
    x._version_counter[0] += 1
    return x


def assign(x: Tensor, src: Tensor) -> Tensor:
    """Overwrite ``x`` with ``src`` (same shape), taking its history when recording."""
    check_no_overlap(x, "in-place copy")
    if recording(x, src):
        check_can_modify(x)
        return rebase(x, Clone.apply(src.to(x.dtype)))
    recorder.call(_assign, x.array, src.array)
    x._version_counter[0] += 1
    return x


def fill(x: Tensor, value) -> Tensor:
    if recording(x):
        return assign(x, _args.to_tensor(value, x).to(x.dtype).expand(x.shape))
    recorder.call(_assign, x.array, value)
    x._version_counter[0] += 1
    return x


def _copy(array):
    """A copy of ``array`` (as one function, which tg.compile records)."""
    return array.copy()


def _assign(target, values) -> None:
    """``target[...] = values``: an in-place write as one function, which tg.compile records."""
    target[...] = values
