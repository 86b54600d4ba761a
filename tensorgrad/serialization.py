"""The allow-list of globals a checkpoint's pickle may use (``torch.serialization``'s namesake).

A pickle is a small program: ``GLOBAL module name`` pushes a function or class and ``REDUCE``
calls it, so ``pickle.load`` on a file someone sent you can run anything (``os.system``).
:func:`tensorgrad.load` therefore reads the pickles inside checkpoints with
:class:`RestrictedUnpickler`, whose ``find_class`` (the only way a pickle can name a callable)
hands out nothing but the globals the loader admits by itself (containers, tensor rebuilders)
and those the user allow-lists here:

- :func:`add_safe_globals` ``([cls_or_fn, ...])``: allow these from now on; an item may also be
  ``(obj, "module.qualname")`` to allow ``obj`` under the name a file uses for it;
- :class:`safe_globals` ``([...])``: the same, for the duration of a ``with`` block;
- :func:`get_safe_globals` / :func:`clear_safe_globals`.

Globals from ``os``, ``sys``, ``posix`` and ``nt`` are refused even when allow-listed, as in
PyTorch. ``tensorgrad.load(f, weights_only=False)`` skips all of this and runs the pickle as it
is (only for files you trust).
"""

from __future__ import annotations

import _compat_pickle
import pickle
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

__all__ = [
    "ForbiddenGlobal",
    "RestrictedUnpickler",
    "add_safe_globals",
    "clear_safe_globals",
    "get_safe_globals",
    "safe_globals",
]

# modules never allowed, whatever the allow-list says (torch's _blocklisted_modules)
BLOCKED_MODULES = frozenset({"sys", "os", "posix", "nt"})

SafeGlobal = Callable | tuple[Callable, str]
_safe: set = set()


def add_safe_globals(globals_: Iterable[SafeGlobal]) -> None:
    """Allow these functions and classes in the pickles :func:`tensorgrad.load` reads with
    ``weights_only=True``: such a pickle may call them, build instances and set their state.
    A global is matched by ``f"{obj.__module__}.{obj.__qualname__}"``, or by the name given in
    an ``(obj, "module.qualname")`` pair."""
    global _safe
    _safe = _safe | set(globals_)


def get_safe_globals() -> list[SafeGlobal]:
    """The globals :func:`add_safe_globals` allowed (in no particular order)."""
    return list(_safe)


def clear_safe_globals() -> None:
    """Forget every global :func:`add_safe_globals` allowed."""
    global _safe
    _safe = set()


class safe_globals:
    """``with safe_globals([cls, ...]):`` allows those globals inside the block only."""

    def __init__(self, globals_: Iterable[SafeGlobal]) -> None:
        self.globals = list(globals_)

    def __enter__(self) -> None:
        global _safe
        self._added = set(self.globals) - _safe  # keep what was allowed before the block
        _safe = _safe | self._added

    def __exit__(self, *exc: object) -> None:
        global _safe
        _safe = _safe - self._added


def _user_allowed() -> dict[str, Any]:
    """``{"module.qualname": obj}`` for the allow-listed globals."""
    allowed = {}
    for item in _safe:
        if isinstance(item, tuple):
            if len(item) != 2 or not isinstance(item[1], str):
                raise TypeError(f"a safe global is an object or an (object, 'name') pair: {item!r}")
            obj, name = item
        else:
            obj, name = item, f"{item.__module__}.{item.__qualname__}"
        allowed[name] = obj
    return allowed


class ForbiddenGlobal(pickle.UnpicklingError):
    """A pickle named a global that is not allowed; ``name`` is its ``module.qualname``."""

    def __init__(self, name: str, blocked: bool = False) -> None:
        super().__init__(name)
        self.name = name
        self.blocked = blocked

    def explain(self, path: str) -> str:
        """The message for the file ``path`` (for :class:`~tensorgrad.checkpoint.CheckpointError`):
        what was refused and how to allow it."""
        if self.blocked:
            return (
                f"{path!r} was refused: its pickle calls {self.name}, and nothing from the "
                f"{self.name.split('.')[0]} module is ever allowed (not even by add_safe_globals); "
                "nothing in it was run"
            )
        short = self.name.rsplit(".", 1)[-1]
        return (
            f"{path!r} was refused: its pickle uses {self.name}, which is not an allowed global "
            "(weights_only=True loads tensors, containers and allow-listed classes only; nothing "
            "in the file was run). If you trust this file, allow it with "
            f"tensorgrad.serialization.add_safe_globals([{short}]) or the "
            f"tensorgrad.serialization.safe_globals([{short}]) context manager, or load it with "
            "weights_only=False, which runs whatever the file's pickle says"
        )


def python3_name(module: str, name: str) -> tuple[str, str]:
    """The Python 3 name of a global a protocol-2 pickle names the Python 2 way (``__builtin__
    set``), as ``pickle`` and ``torch.load`` map it."""
    if (module, name) in _compat_pickle.NAME_MAPPING:
        return _compat_pickle.NAME_MAPPING[(module, name)]
    return _compat_pickle.IMPORT_MAPPING.get(module, module), name


class _StandInUnpickler(pickle.Unpickler):
    """An unpickler given the loader's stand-ins ``allowed`` (``{"module.qualname": obj}``)
    and ``persistent_load`` for the file's persistent ids (its tensor storages)."""

    def __init__(
        self, file, allowed: Mapping[str, Any], persistent_load: Callable[[Any], Any]
    ) -> None:
        super().__init__(file, encoding="utf-8")
        self.allowed = allowed
        self.persistent_load = persistent_load


class RestrictedUnpickler(_StandInUnpickler):
    """An unpickler whose ``find_class`` hands out only ``allowed`` (the loader's own
    stand-ins) and the allow-listed globals; anything else raises :class:`ForbiddenGlobal`
    before it is imported, let alone called."""

    def find_class(self, module: str, name: str) -> Any:
        module, name = python3_name(module, name)
        full = f"{module}.{name}"
        if module.split(".")[0] in BLOCKED_MODULES:
            raise ForbiddenGlobal(full, blocked=True)
        if full in self.allowed:
            return self.allowed[full]
        user = _user_allowed()
        if full in user:
            return user[full]
        raise ForbiddenGlobal(full)


class TrustingUnpickler(_StandInUnpickler):
    """``weights_only=False``: any global, imported as ``pickle`` does, except that the
    loader's stand-ins (``allowed``) take the place of the names they stand for (so a
    ``torch.save`` file loads without PyTorch)."""

    def find_class(self, module: str, name: str) -> Any:
        full = "{}.{}".format(*python3_name(module, name))
        if full in self.allowed:
            return self.allowed[full]
        return super().find_class(module, name)


def safe_encode(text: str, encoding: str = "latin1") -> bytes:
    """``_codecs.encode`` as protocol-2 pickles use it for ``bytes``: latin-1 only."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise pickle.UnpicklingError(f"_codecs.encode({type(text).__name__}, {encoding!r})")
    return text.encode("latin1")


# The plain-data globals every restricted load admits (torch's weights_only list has them too).
PLAIN_GLOBALS: dict[str, Any] = {
    "collections.OrderedDict": OrderedDict,
    "collections.Counter": Counter,
    "builtins.set": set,
    "builtins.frozenset": frozenset,
    "builtins.bytearray": bytearray,
    "builtins.complex": complex,
    "_codecs.encode": safe_encode,
}
