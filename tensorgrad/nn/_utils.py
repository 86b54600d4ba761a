"""Argument helpers shared by the layer files."""

from __future__ import annotations


def ntuple(value, n: int, name: str, op: str) -> tuple:
    """An int (or a 1-element sequence) repeated ``n`` times, or an ``n``-sequence of ints."""
    if isinstance(value, (list, tuple)):
        if len(value) == 1:
            value = tuple(value) * n
        if len(value) != n or not all(isinstance(v, int) for v in value):
            raise ValueError(f"{op}: {name} must be an int or {n} ints, got {value!r}")
        return tuple(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{op}: {name} must be an int or a tuple of ints, got {value!r}")
    return (value,) * n
