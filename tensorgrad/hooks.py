"""``RemovableHandle``: what every ``register_*_hook`` returns (PyTorch's
``torch.utils.hooks.RemovableHandle``).

A hook is stored in a dict under its handle's ``id``, so removing it is one ``pop`` and
removing it twice, or after its owner dropped it, is harmless. Tensors, graph nodes, modules
and optimizers all keep their hooks this way.
"""

from __future__ import annotations

import itertools


class RemovableHandle:
    """``remove()`` (or leaving a ``with`` block) unregisters the hook stored under ``id`` in
    ``hooks`` and drops the same key from each of ``extra`` (per-hook flags such as a module's
    ``with_kwargs``)."""

    _ids = itertools.count()

    def __init__(self, hooks: dict, *extra: dict) -> None:
        self.hooks, self.extra = hooks, extra
        self.id = next(RemovableHandle._ids)

    def remove(self) -> None:
        for d in (self.hooks, *self.extra):
            d.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc) -> None:
        self.remove()
