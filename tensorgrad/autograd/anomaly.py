"""Anomaly detection: find the op that first made a NaN or an Inf, forward or backward.

``detect_anomaly()`` (PyTorch's name) turns two checks on:

* forward: every op's output is checked as it is made; a NaN or Inf raises at once, naming the
  op, its input and output shapes, and the line of *your* code that called it.
* backward: every graph node records, when it is created, where in your code it was created (a
  short traceback; only in this mode, since walking the stack costs ~10 µs an op). The engine
  checks each node's computed input gradients; the first with a NaN or Inf raises naming the
  node (``SqrtBackward0``), the shapes and that forward traceback, the way PyTorch reports
  ``Function 'SqrtBackward0' returned nan values in its 0th output``.

Off, it costs one global check in ``Op.apply`` (the op watcher shared with ``tensorgrad.viz``)
and one flag read per ``backward`` call.
"""

from __future__ import annotations

import os
import sys
import traceback

from ..backend import is_float, xp_of
from ..tensor import Tensor
from .function import add_op_watcher, remove_op_watcher

enabled = False  # read by the engine once per backward pass
_check_nan = True
_in_backward = [0]  # backward passes running: their ops' outputs are checked as gradients
_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_FRAMES = 5  # how much of the user's stack to keep


def is_anomaly_enabled() -> bool:
    """Whether anomaly detection is on."""
    return enabled


def is_anomaly_check_nan_enabled() -> bool:
    """Whether anomaly detection, when on, checks for NaN and Inf (rather than only recording
    where nodes were created): PyTorch's flag, True until ``check_nan=False`` sets it."""
    return _check_nan


def _set(mode: bool, check_nan: bool) -> None:
    global enabled, _check_nan
    if mode and not enabled:
        add_op_watcher(_watch_forward)
    elif enabled and not mode:
        remove_op_watcher(_watch_forward)
    enabled, _check_nan = mode, check_nan


class set_detect_anomaly:
    """Turn anomaly detection on or off: as a call (``set_detect_anomaly(True)``) or as a context
    manager that restores the previous mode on exit."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self.prev = (enabled, _check_nan)
        _set(bool(mode), check_nan)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc) -> None:
        _set(*self.prev)


class detect_anomaly:
    """Context manager (and decorator) that turns anomaly detection on inside it::

        with tg.autograd.detect_anomaly():
            loss = model(x).log().sum()   # a NaN here raises, naming Log and this line
            loss.backward()               # a NaN gradient raises, naming e.g. SqrtBackward0
                                          # and the forward line that created it

    With ``check_nan=False`` nodes only record where they were created. Slow: use it to find a
    bug, not to train.
    """

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan

    def __enter__(self) -> None:
        self.prev = (enabled, _check_nan)
        _set(True, self.check_nan)

    def __exit__(self, *exc) -> None:
        _set(*self.prev)

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__(self.check_nan):
                return fn(*args, **kwargs)

        return wrapper


# ---------------------------------------------------------------------------- forward


def user_stack(limit: int = _FRAMES) -> traceback.StackSummary:
    """The innermost ``limit`` frames of the calling code outside the tensorgrad package, oldest
    first. Source lines are looked up only when the summary is formatted."""
    frames = []
    f = sys._getframe(1)
    while f is not None and len(frames) < limit:
        if not f.f_code.co_filename.startswith(_PACKAGE):
            frames.append((f, f.f_lineno))
        f = f.f_back
    frames.reverse()
    return traceback.StackSummary.extract(frames, lookup_lines=False)


def _format_stack(stack) -> str:
    if not stack:
        return "  (no traceback: the graph was recorded outside detect_anomaly)\n"
    return "".join(stack.format())


def _bad(array) -> str | None:
    """'nan', 'inf' or None for an array with neither (non-floating arrays have neither)."""
    if not is_float(array.dtype):
        return None
    xp = xp_of(array)
    if bool(xp.isfinite(array).all()):
        return None
    return "nan" if bool(xp.isnan(array).any()) else "inf"


def _shape(x) -> tuple | None:
    return tuple(x.shape) if isinstance(x, Tensor) else None


def _watch_forward(cls, inputs, out) -> None:
    """The op watcher: record where each new node was created, check the output."""
    if _in_backward[0]:
        return  # ops inside backward formulas: the engine checks the node's gradients instead
    outs = out if isinstance(out, tuple) else (out,)
    node = None
    for o in outs:
        if isinstance(o, Tensor) and type(o.grad_fn) is cls:
            node = o.grad_fn
            break
    stack = None
    if node is not None:
        stack = node._anomaly_stack = user_stack()
    if not _check_nan:
        return
    for nr, o in enumerate(outs):
        if not isinstance(o, Tensor):
            continue
        kind = _bad(o.array)
        if kind is not None:
            which = f" {nr}" if len(outs) > 1 else ""
            name = cls.__name__ + (f" (backward node {node.name()})" if node is not None else "")
            raise RuntimeError(
                f"detect_anomaly: op '{name}' returned {kind} values in its forward output"
                f"{which} of shape {_shape(o)}, from inputs of shapes "
                f"{[_shape(x) for x in inputs]}. The op was called from (most recent call "
                f"last):\n{_format_stack(stack or user_stack())}"
            )


# ---------------------------------------------------------------------------- backward


def enter_backward() -> bool:
    """Called by the engine when a backward pass starts in anomaly mode."""
    _in_backward[0] += 1
    return True


def exit_backward() -> None:
    _in_backward[0] -= 1


def check_gradients(node, in_grads) -> None:
    """Raise if a gradient ``node`` computed for one of its inputs holds a NaN or an Inf."""
    if not _check_nan:
        return
    for i, g in enumerate(in_grads):
        if g is None or not isinstance(g, Tensor):
            continue
        kind = _bad(g.array)
        if kind is not None:
            shapes = [tuple(s) if s is not None else None for s in node.input_shapes]
            stack = getattr(node, "_anomaly_stack", None)
            raise RuntimeError(
                f"Function '{node.name()}' returned {kind} values in its {_ordinal(i)} output "
                f"(the gradient for its input {i}, of shape {tuple(g.shape)}; input shapes "
                f"{shapes}). The forward call that created {node.name()} "
                f"(most recent call last):\n{_format_stack(stack)}"
            )


def _ordinal(i: int) -> str:
    return f"{i}{'th' if 10 <= i % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(i % 10, 'th')}"
