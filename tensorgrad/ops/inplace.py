"""In-place ops (``add_``, ``mul_``, ``x[i] = v``, ...).

Without a graph to record they write into the array and bump the version counter, which is all
an optimizer step needs. While recording, the op runs out of place and the tensor is rebased onto
the result: its storage takes the new values (so views of it see them) and its ``grad_fn``
becomes the op's node, as PyTorch does. Any node that saved the old values notices the bumped
version at backward and raises instead of using them.
"""

from __future__ import annotations

from ..backend import xp_of
from ..grad_mode import GradMode
from ..tensor import Tensor, _as_tensor, _binary
from . import elementwise

_UFUNC = {
    elementwise.Add: "add",
    elementwise.Sub: "subtract",
    elementwise.Mul: "multiply",
    elementwise.Div: "divide",
    elementwise.Pow: "power",
}


def recording(x: Tensor, other=None) -> bool:
    return GradMode.enabled and (
        x.requires_grad or (isinstance(other, Tensor) and other.requires_grad)
    )


def check_can_modify(x: Tensor) -> None:
    if x.grad_fn is None and x.requires_grad:
        raise RuntimeError(
            "a leaf Variable that requires grad is being used in an in-place operation; "
            "wrap it in `with tg.no_grad():` (as optimizers do) or clone it first"
        )


def rebase(x: Tensor, result: Tensor) -> Tensor:
    """Make ``x`` hold ``result``'s values and history, keeping its storage."""
    if result.data is not x.data:
        x.data[...] = result.data
    x._version[0] += 1
    x.grad_fn, x._output_nr, x.requires_grad = (
        result.grad_fn,
        result._output_nr,
        result.requires_grad,
    )
    return x


def apply(x: Tensor, op, other) -> Tensor:
    """``x op= other``."""
    if recording(x, other):
        check_can_modify(x)
        source = x
        if op.saves_inputs:  # the node keeps the old values, which are about to be overwritten
            source = Tensor._make(x.data.copy(), x.grad_fn, x.requires_grad, x._output_nr)
        result = _binary(op, source, other, true_divide=op is elementwise.Div)
        if result.shape != x.shape:
            raise RuntimeError(
                f"{op.__name__.lower()}_: output of shape {result.shape} doesn't match the "
                f"tensor's shape {x.shape} (in-place ops cannot broadcast the tensor itself)"
            )
        return rebase(x, result.to(x.dtype))
    other_data = other.data if isinstance(other, Tensor) else other
    if isinstance(other, Tensor) and type(other_data) is not type(x.data):
        raise RuntimeError(
            f"{op.__name__.lower()}_: expected all tensors on the same device, got {x.device} and "
            f"{other.device}"
        )
    try:
        getattr(xp_of(x.data), _UFUNC[op])(x.data, other_data, out=x.data)
    except TypeError as e:  # NumPy's UFuncTypeError: e.g. float into an int tensor
        raise RuntimeError(
            f"{op.__name__.lower()}_: result can't be cast to the tensor's dtype {x.dtype} ({e})"
        ) from None
    except ValueError:
        raise RuntimeError(
            f"{op.__name__.lower()}_: a value of shape {getattr(other, 'shape', ())} can't be "
            f"broadcast into the tensor's shape {x.shape}"
        ) from None
    x._version[0] += 1
    return x


def assign(x: Tensor, src: Tensor) -> Tensor:
    """Overwrite ``x`` with ``src`` (same shape), taking its history when recording."""
    if recording(x, src):
        check_can_modify(x)
        from .movement import Clone

        return rebase(x, Clone.apply(src.to(x.dtype)))
    x.data[...] = src.data
    x._version[0] += 1
    return x


def fill(x: Tensor, value) -> Tensor:
    if recording(x):
        return assign(x, _as_tensor(value, x).to(x.dtype).expand(x.shape))
    x.data[...] = value
    x._version[0] += 1
    return x
