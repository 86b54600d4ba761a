"""PyTorch's multi-tensor functions, ``torch._foreach_*``: one op applied to each tensor of a list.

``_foreach_mul_(exp_avgs, beta1)`` is ``for t in exp_avgs: t.mul_(beta1)``, and that is how
each one is written here: a loop over tensorgrad's own Tensor ops and in-place ops, so autograd,
``tg.compile`` and the version counters see the same ops as in the single-tensor code and no
derivative is written twice. (PyTorch fuses the loop into one kernel launch per dtype and device;
on NumPy there is no launch to save, so the loop costs what the ops cost.)

The second argument of a binary op comes in PyTorch's forms: a number (or a 0-dim tensor) for
every tensor, a list of numbers (one per tensor), or a list of tensors (one per tensor,
broadcast to it). Out-of-place functions return a tuple of new tensors, as PyTorch's do; in-place
ones (ending in ``_``) modify the given tensors and return the list they were given. Every
function raises PyTorch's error for an empty list or lists of different lengths.

Keyword names: PyTorch's overloads call the second argument ``scalar``, ``scalars`` or
``other`` depending on its form; here it has one name (``other``, ``exponent``, ``weight``,
``value``) and any form, so a call that names it ``scalar=`` or ``scalars=`` is not accepted.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

from .tensor import Tensor, _inplace


def _check(*lists: Sequence) -> int:
    """The common length of the tensor lists, with PyTorch's errors for none or a mismatch."""
    n = len(lists[0])
    if n == 0:
        raise RuntimeError("Tensor list must have at least one tensor.")
    for other in lists[1:]:
        if len(other) != n:
            raise RuntimeError(
                f"Tensor lists must have the same number of tensors, got {n} and {len(other)}"
            )
    return n


def _per_tensor(self: Sequence, other) -> list:
    """``other`` as one argument per tensor of ``self`` (a list it is checked against): a list
    of tensors or of numbers must be as long; a number or a 0-dim tensor is repeated."""
    n = _check(self)
    if isinstance(other, Tensor):
        if other.dim() != 0:
            raise RuntimeError(
                f"scalar tensor expected to be 0 dim but it has {other.dim()} dimensions and "
                f"{other.numel()} elements."
            )
        return [other] * n
    if isinstance(other, (list, tuple)):
        if all(isinstance(o, Tensor) for o in other):
            _check(self, other)
        elif all(isinstance(o, numbers.Number) for o in other):
            if len(other) != n:
                raise RuntimeError("Tensor list must have same number of elements as scalar list.")
        else:
            raise TypeError("expected a list of tensors or a list of numbers, not a mix")
        return list(other)
    return [other] * n


def _packed_scalars(self: Sequence, scalars) -> list:
    """addcmul's and addcdiv's ``value``: a number, a list of numbers, or a 1-dim tensor of
    them (PyTorch's ``Tensor scalars`` overload, read as numbers)."""
    if isinstance(scalars, Tensor) and scalars.dim() != 0:
        if scalars.dim() != 1:
            raise RuntimeError(
                f"Expected packed scalar Tensor to be of dimension 1. Got {scalars.dim()} instead."
            )
        if scalars.numel() != len(self):
            raise RuntimeError(
                f"Expected length of scalars to match input of length {len(self)} but got "
                f"{scalars.numel()} instead."
            )
        return scalars.tolist()
    return _per_tensor(self, scalars)


def _export(fn, name: str, doc: str):
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    globals()[name] = fn


# ------------------------------------------------------------------ unary: one table

# _foreach_NAME(self) is (t.NAME() for t in self); _foreach_NAME_(self) calls t.NAME_()
UNARY = (
    "abs acos asin atan ceil cos cosh erf erfc exp expm1 floor frac lgamma log log10 log1p log2 "
    "neg reciprocal round rsqrt sigmoid sign sin sinh sqrt tan tanh trunc"
).split()


def _unary(name: str) -> None:
    def out_of_place(self: Sequence[Tensor]) -> tuple[Tensor, ...]:
        _check(self)
        return tuple(getattr(t, name)() for t in self)

    def in_place(self: Sequence[Tensor]) -> Sequence[Tensor]:
        _check(self)
        for t in self:
            getattr(t, name + "_")()
        return self

    _export(out_of_place, f"_foreach_{name}", f"``tuple(t.{name}() for t in self)``.")
    _export(in_place, f"_foreach_{name}_", f"``t.{name}_()`` for each t of self; returns self.")


for _name in UNARY:
    _unary(_name)


# ------------------------------------------------------------------ binary: one table

# name -> the maths, for the docstring; every one takes a number, a list of numbers or a list of
# tensors as ``other`` (a 0-dim tensor is a number)
BINARY = {
    "mul": "t * other",
    "div": "t / other",
    "clamp_min": "max(t, other)",
    "clamp_max": "min(t, other)",
    "maximum": "max(t, other)",
    "minimum": "min(t, other)",
}


def _binary(name: str, maths: str) -> None:
    def out_of_place(self: Sequence[Tensor], other) -> tuple[Tensor, ...]:
        return tuple(getattr(t, name)(o) for t, o in zip(self, _per_tensor(self, other)))

    def in_place(self: Sequence[Tensor], other) -> Sequence[Tensor]:
        for t, o in zip(self, _per_tensor(self, other)):
            if hasattr(Tensor, name + "_"):
                getattr(t, name + "_")(o)
            else:  # maximum_ and minimum_: PyTorch has no Tensor method of that name either
                _inplace(t, name, (o,), {})
        return self

    what = "``other``: a number, a list of numbers, or a list of tensors (one per tensor)"
    _export(out_of_place, f"_foreach_{name}", f"``{maths}`` for each t of self. {what}.")
    _export(
        in_place, f"_foreach_{name}_", f"t = ``{maths}`` in place for each t; returns self. {what}."
    )


for _name, _maths in BINARY.items():
    _binary(_name, _maths)
del _name, _maths


def _foreach_add(self: Sequence[Tensor], other, *, alpha=1) -> tuple[Tensor, ...]:
    """``t + alpha * other`` for each t of self; ``other`` a number, a list of numbers, a list
    of tensors or a 0-dim tensor (PyTorch takes ``alpha`` only with tensors)."""
    return tuple(t.add(o, alpha=alpha) for t, o in zip(self, _per_tensor(self, other)))


def _foreach_add_(self: Sequence[Tensor], other, *, alpha=1) -> Sequence[Tensor]:
    """t += alpha * other in place for each t of self; returns self."""
    for t, o in zip(self, _per_tensor(self, other)):
        t.add_(o, alpha=alpha)
    return self


def _foreach_sub(self: Sequence[Tensor], other, *, alpha=1) -> tuple[Tensor, ...]:
    """``t - alpha * other`` for each t of self (``other`` as in ``_foreach_add``)."""
    return tuple(t.sub(o, alpha=alpha) for t, o in zip(self, _per_tensor(self, other)))


def _foreach_sub_(self: Sequence[Tensor], other, *, alpha=1) -> Sequence[Tensor]:
    """t -= alpha * other in place for each t of self; returns self."""
    for t, o in zip(self, _per_tensor(self, other)):
        t.sub_(o, alpha=alpha)
    return self


def _foreach_pow(self, exponent) -> tuple[Tensor, ...]:
    """``t ** exponent`` for each t of self, ``exponent`` a number, a list of numbers or a list
    of tensors; or, with a number as ``self``, ``self ** e`` for each tensor e of ``exponent``
    (PyTorch's ``_foreach_pow(2.0, tensors)``)."""
    if isinstance(self, numbers.Number):
        _check(exponent)
        return tuple(self**e for e in exponent)
    return tuple(t.pow(e) for t, e in zip(self, _per_tensor(self, exponent)))


def _foreach_pow_(self: Sequence[Tensor], exponent) -> Sequence[Tensor]:
    """t = t ** exponent in place for each t of self; returns self."""
    for t, e in zip(self, _per_tensor(self, exponent)):
        t.pow_(e)
    return self


# ------------------------------------------------------------------ ternary


def _foreach_addcmul(self, tensor1, tensor2, value=1) -> tuple[Tensor, ...]:
    """``t + value * t1 * t2`` for each t of self; ``value`` a number, a list of numbers or a
    1-dim tensor of them (one per tensor)."""
    _check(self, tensor1, tensor2)
    values = _packed_scalars(self, value)
    return tuple(t.addcmul(a, b, value=v) for t, a, b, v in zip(self, tensor1, tensor2, values))


def _foreach_addcmul_(self, tensor1, tensor2, value=1) -> Sequence[Tensor]:
    """t += value * t1 * t2 in place for each t of self; returns self."""
    _check(self, tensor1, tensor2)
    for t, a, b, v in zip(self, tensor1, tensor2, _packed_scalars(self, value)):
        t.addcmul_(a, b, value=v)
    return self


def _foreach_addcdiv(self, tensor1, tensor2, value=1) -> tuple[Tensor, ...]:
    """``t + value * t1 / t2`` for each t of self; ``value`` as in ``_foreach_addcmul``."""
    _check(self, tensor1, tensor2)
    values = _packed_scalars(self, value)
    return tuple(t.addcdiv(a, b, value=v) for t, a, b, v in zip(self, tensor1, tensor2, values))


def _foreach_addcdiv_(self, tensor1, tensor2, value=1) -> Sequence[Tensor]:
    """t += value * t1 / t2 in place for each t of self; returns self."""
    _check(self, tensor1, tensor2)
    for t, a, b, v in zip(self, tensor1, tensor2, _packed_scalars(self, value)):
        t.addcdiv_(a, b, value=v)
    return self


def _foreach_lerp(self, end, weight) -> tuple[Tensor, ...]:
    """``t + w * (e - t)`` for each t of self and e of ``end``; ``weight`` a number, a list of
    numbers or a list of tensors."""
    _check(self, end)
    return tuple(t.lerp(e, w) for t, e, w in zip(self, end, _per_tensor(self, weight)))


def _foreach_lerp_(self, end, weight) -> Sequence[Tensor]:
    """t = t + w * (e - t) in place for each t of self; returns self."""
    _check(self, end)
    for t, e, w in zip(self, end, _per_tensor(self, weight)):
        t.lerp_(e, w)
    return self


# ------------------------------------------------------------------ reductions and the rest


def _foreach_norm(self: Sequence[Tensor], ord=2, dtype=None) -> tuple[Tensor, ...]:
    """The vector norm of each tensor (all its elements): ``(sum |x|^ord)^(1/ord)``, the
    largest |x| for ``inf``, the smallest for ``-inf``, the count of non-zeros for 0."""
    from .linalg import vector_norm

    _check(self)
    return tuple(vector_norm(t, ord, dtype=dtype) for t in self)


def _foreach_powsum(self: Sequence[Tensor], ord=2, dtype=None) -> tuple[Tensor, ...]:
    """``sum |x|^ord`` over the elements of each tensor (the norm before its root)."""
    _check(self)
    return tuple(t.to(dtype or t.dtype).abs().pow(ord).sum() for t in self)


def _foreach_max(self: Sequence[Tensor]) -> tuple[Tensor, ...]:
    """The largest element of each tensor (0-dim tensors)."""
    _check(self)
    if any(t.numel() == 0 for t in self):
        raise RuntimeError(
            "_foreach_max cannot compute the maximum of an empty tensor; max over zero "
            "elements is undefined."
        )
    return tuple(t.max() for t in self)


def _foreach_mm(self: Sequence[Tensor], mat2: Sequence[Tensor]) -> tuple[Tensor, ...]:
    """``a @ b`` for each matrix a of self and b of ``mat2``."""
    _check(self)
    if len(mat2) != len(self):
        raise RuntimeError("_foreach_mm: self and mat2 must have the same number of tensors")
    return tuple(a.mm(b) for a, b in zip(self, mat2))


def _foreach_clone(self: Sequence[Tensor], *, memory_format=None) -> tuple[Tensor, ...]:
    """A copy of each tensor (``t.clone()``; the gradient flows back to t)."""
    _check(self)
    return tuple(t.clone(memory_format=memory_format) for t in self)


def _foreach_copy_(self: Sequence[Tensor], src: Sequence[Tensor], non_blocking: bool = False):
    """``t.copy_(s)`` for each t of self and s of ``src`` (broadcast, cast to t's dtype);
    returns self. ``non_blocking`` changes nothing (copies here are synchronous)."""
    _check(self, src)
    for t, s in zip(self, src):
        t.copy_(s)
    return self


def _foreach_zero_(self: Sequence[Tensor]) -> Sequence[Tensor]:
    """Fill each tensor with zeros in place; returns self."""
    _check(self)
    for t in self:
        t.zero_()
    return self


__all__ = sorted(name for name in globals() if name.startswith("_foreach_"))
