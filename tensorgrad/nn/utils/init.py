"""``skip_init``: build a module without initialising its parameters, PyTorch's
``torch.nn.utils.skip_init``."""

from __future__ import annotations

import inspect

from ... import random as _random
from ..module import Module

__all__ = ["skip_init"]


def skip_init(module_cls, *args, **kwargs) -> Module:
    """``module_cls(*args, **kwargs)`` whose parameters and buffers hold unspecified values
    (initialise them yourself). PyTorch builds the module on its ``meta`` device and allocates
    uninitialised memory; tensorgrad has no meta device, so the module is built as usual and
    the random draws its initialisation made are given back (the default generator's state is
    restored), so the draws that follow are those they would have been. Like PyTorch's, it
    needs a ``device`` argument in the class's signature."""
    if not (isinstance(module_cls, type) and issubclass(module_cls, Module)):
        raise RuntimeError(f"Expected a Module; got {module_cls}")
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    state = _random.get_rng_state()
    try:
        return module_cls(*args, **kwargs)
    finally:
        _random.set_rng_state(state)
