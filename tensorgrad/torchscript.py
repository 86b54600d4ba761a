"""``torch.jit``'s TorchScript entry points as identities: tensorgrad has no TorchScript.

A script decorates a helper with ``@torch.jit.script`` or exports with
``torch.jit.trace(model, x)``; both hand back what they were given, so the code runs eagerly and
gives the same numbers as the scripted version does in PyTorch. What a TorchScript object can do
beyond that has no counterpart: ``torch.jit.save`` / ``torch.jit.load`` (and a traced module's
``.save``, which a plain Module lacks) raise ``NotImplementedError`` saying to save the
``state_dict`` instead. ``tg.compile`` (``tensorgrad.jit``) is tensorgrad's own compiler.
"""

from __future__ import annotations

from typing import Any, Final

__all__ = [
    "Final",
    "annotate",
    "export",
    "ignore",
    "is_scripting",
    "is_tracing",
    "load",
    "save",
    "script",
    "trace",
    "trace_module",
    "unused",
]


def script(obj=None, optimize=None, _frames_up=0, _rcb=None, example_inputs=None):
    """``torch.jit.script(obj)``: ``obj`` itself (a function or a Module), run eagerly.
    PyTorch compiles it to TorchScript, which checks the type annotations; tensorgrad does
    not."""
    return obj


def trace(func, example_inputs=None, *args, **kwargs):
    """``torch.jit.trace(func, example_inputs)``: ``func`` itself, not called. PyTorch runs it
    once and records a graph that replays the traced branch only; here data-dependent control
    flow keeps working, so a traced module that PyTorch would freeze may answer differently."""
    return func


def trace_module(mod, inputs=None, *args, **kwargs):
    """``torch.jit.trace_module(mod, {method: inputs})``: ``mod`` itself (see ``trace``)."""
    return mod


def is_scripting() -> bool:
    """False: code never runs as TorchScript here."""
    return False


def is_tracing() -> bool:
    """False: ``trace`` records nothing."""
    return False


def _identity_decorator(fn=None, *args, **kwargs):
    return fn


def ignore(drop=False, **kwargs):
    """``@torch.jit.ignore`` (or ``@torch.jit.ignore(drop=True)``): the function unchanged."""
    if callable(drop):
        return drop
    return _identity_decorator


def unused(fn):
    """``@torch.jit.unused``: the function unchanged."""
    return fn


def export(fn):
    """``@torch.jit.export``: the method unchanged."""
    return fn


def annotate(the_type: Any, the_value: Any) -> Any:
    """``torch.jit.annotate(T, value)``: ``value`` (the type only mattered to TorchScript)."""
    return the_value


def save(m, f, _extra_files=None) -> None:
    """``torch.jit.save``: raises NotImplementedError, as there is no TorchScript archive to
    write; ``torch.save(model.state_dict(), f)`` saves the weights."""
    raise NotImplementedError(
        "tensorgrad has no TorchScript: torch.jit.save cannot write a scripted/traced archive "
        "(torch.jit.script/trace return the model itself); save model.state_dict() with "
        "torch.save instead"
    )


def load(f, map_location=None, _extra_files=None):
    """``torch.jit.load``: raises NotImplementedError (no TorchScript archive reader)."""
    raise NotImplementedError(
        "tensorgrad has no TorchScript: torch.jit.load cannot read a TorchScript archive; "
        "rebuild the model in Python and load its state_dict"
    )
