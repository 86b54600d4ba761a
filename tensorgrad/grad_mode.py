"""Grad mode: whether ops record the graph. ``no_grad``, ``enable_grad``, ``set_grad_enabled``.

The flag is process-global (not thread-local as in PyTorch): reading a class attribute is the
cheapest check on the hot path, and tensorgrad runs ops from one thread.
"""

from __future__ import annotations

import functools


class GradMode:
    enabled = True


def is_grad_enabled() -> bool:
    return GradMode.enabled


class _GradModeContext:
    """Base of the three context managers; each also works as a decorator."""

    mode = True

    def __new__(cls, fn=None, *args):
        if callable(fn) and cls is not set_grad_enabled:  # bare decorator: @tg.no_grad
            return cls()(fn)
        return super().__new__(cls)

    def __enter__(self) -> None:
        self.prev = GradMode.enabled
        GradMode.enabled = self.mode

    def __exit__(self, *exc) -> None:
        GradMode.enabled = self.prev

    def __call__(self, fn):
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            prev = GradMode.enabled
            GradMode.enabled = mode
            try:
                return fn(*args, **kwargs)
            finally:
                GradMode.enabled = prev

        return wrapper


class no_grad(_GradModeContext):
    """Ops inside record no graph: ``with tg.no_grad(): ...`` or ``@tg.no_grad()``."""

    mode = False


class enable_grad(_GradModeContext):
    """Turn recording back on inside a ``no_grad`` block."""

    mode = True


class set_grad_enabled(_GradModeContext):
    """``set_grad_enabled(False)`` switches at once; used with ``with`` it restores on exit."""

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)
        self.prev = GradMode.enabled
        GradMode.enabled = self.mode

    def __enter__(self) -> None:
        pass

    def __call__(self, fn):
        GradMode.enabled = self.prev  # used as a decorator: switch only inside the calls
        return super().__call__(fn)


class InferenceMode:
    enabled = False


def is_inference_mode_enabled() -> bool:
    """Whether code runs inside ``inference_mode()``."""
    return InferenceMode.enabled


class inference_mode:
    """``torch.inference_mode``: ``with tg.inference_mode(): ...`` or ``@tg.inference_mode()``
    (or bare ``@tg.inference_mode``) records no graph, like ``no_grad``; ``inference_mode(False)``
    turns recording back on inside, as PyTorch's does.

    Unlike PyTorch, tensors made inside are not marked as inference tensors: they are ordinary
    tensors that may later be used in recorded ops or modified in place, and nothing runs faster
    than under ``no_grad`` (version counters and views are kept as usual)."""

    def __new__(cls, mode=True):
        if not isinstance(mode, bool):  # bare decorator: @tg.inference_mode
            return cls()(mode)
        return super().__new__(cls)

    def __init__(self, mode: bool = True) -> None:
        self.mode = mode

    def __enter__(self) -> None:
        self.prev = GradMode.enabled, InferenceMode.enabled
        GradMode.enabled, InferenceMode.enabled = not self.mode, self.mode

    def __exit__(self, *exc) -> None:
        GradMode.enabled, InferenceMode.enabled = self.prev

    def __call__(self, fn):
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with inference_mode(mode):
                return fn(*args, **kwargs)

        return wrapper

    def clone(self) -> inference_mode:
        """A new context manager with the same mode."""
        return inference_mode(self.mode)
