"""Run unchanged PyTorch code on tensorgrad: ``import torch`` gives tensorgrad.

From a shell, ``python -m tensorgrad.as_torch script.py [args]`` runs ``script.py`` as
``python script.py [args]`` would, with ``torch`` resolved to tensorgrad. Inside a running
interpreter (a notebook) call ``install()`` before the first ``import torch``; ``uninstall()``
puts back whatever ``torch`` was there before (the real one, if it was imported), and
``with installed():`` does both around a block.

How: ``install()`` puts a finder first on ``sys.meta_path`` that answers every ``torch`` and
``torch.*`` import with a stand-in module (``TorchModule``) whose attributes come from the
tensorgrad modules listed for it in ``mapping.MODULES``: ``torch.nn.Linear is
tensorgrad.nn.Linear``, ``torch.optim.lr_scheduler.StepLR is tensorgrad.lr_scheduler.StepLR``,
``torch.nn.modules.dropout.Dropout is tensorgrad.nn.Dropout``. Real ``torch`` modules already
imported are moved out of ``sys.modules`` while it is installed.

What tensorgrad lacks raises, at the line that asked for it::

    NotImplementedError: tensorgrad has no torch.fft (used at script.py:12)

The error (``TorchFeatureMissing``) is a ``NotImplementedError`` and also an
``AttributeError``, so feature tests keep working: ``hasattr(torch, "fft")`` is False and
``getattr(torch, "fft", None)`` is None, whether torch has the name or not (the package never
imports torch, so it cannot tell the two apart; a name torch lacks too reads the same as one only
tensorgrad lacks). Importing a missing module (``import torch.fft``, ``from torch.fft import
rfft``) raises ``TorchModuleMissing``, a ``NotImplementedError`` and a ``ModuleNotFoundError``,
so ``try: import torch.fft except ImportError:`` fallbacks work too. Dunder names
(``__file__``, ``__wrapped__``) raise a plain AttributeError: Python's own machinery probes them.

``torch.compile`` is ``tg.compile`` (a function is recorded and replayed; a module comes back
as itself with its forward compiled); the CUDA-only
switches (``torch.backends.cudnn.benchmark``, ``torch.set_float32_matmul_precision``, ...) are
accepted and change nothing (``shims.py`` says why each is safe to ignore).
"""

from __future__ import annotations

import contextlib
import copy
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
import types
from collections.abc import Iterator

from .. import backend
from ..backend import Size
from ..tensor import Tensor
from . import mapping, shims

__all__ = [
    "TorchFeatureMissing",
    "TorchModule",
    "TorchModuleMissing",
    "install",
    "installed",
    "is_installed",
    "uninstall",
]

_TENSORGRAD_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


class TorchFeatureMissing(NotImplementedError, AttributeError):
    """``torch.X`` where tensorgrad has no X. An AttributeError too, so that ``hasattr`` and
    ``getattr(obj, name, default)`` answer as for any missing attribute."""


class TorchModuleMissing(NotImplementedError, ModuleNotFoundError):
    """``import torch.X`` where tensorgrad has no module for X. A ModuleNotFoundError too, so
    that ``except ImportError`` fallbacks work."""


def _user_site() -> str:
    """``file:line`` of the innermost frame outside tensorgrad and the import machinery: the
    script's line that asked for the missing name."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not (
            filename.startswith(_TENSORGRAD_DIR)
            or filename.startswith("<frozen importlib")
            or os.sep + "importlib" + os.sep in filename
        ):
            return f"{filename}:{frame.f_lineno}"
        frame = frame.f_back
    return "<unknown>"


def _missing_message(name: str) -> str:
    return f"tensorgrad has no {name} (used at {_user_site()})"


_ABSENT = object()


class TorchModule(types.ModuleType):
    """The stand-in for one torch module: attributes are its submodules (imported on first
    use, as ``torch.nn`` is after ``import torch``), then the names of its tensorgrad modules,
    then its shims; anything else raises ``TorchFeatureMissing``."""

    def __init__(self, name: str, spec: mapping.TorchModule, targets: list) -> None:
        super().__init__(name, f"torch's {name}, answered by tensorgrad (tensorgrad.as_torch)")
        self.__path__ = []  # a package: `from torch.x import y` asks the finder about torch.x.y
        self._as_torch = (spec, targets, getattr(shims, spec.shims) if spec.shims else {})
        if spec.shims and spec.targets == ():
            # settable switches, fresh for each install (a namespace such as
            # torch.backends.cuda.matmul is copied, so its flags are too)
            self.__dict__.update(
                {
                    k: copy.copy(v) if isinstance(v, types.SimpleNamespace) else v
                    for k, v in getattr(shims, spec.shims).items()
                }
            )
        elif spec.shims:
            self.__dict__.update(
                {k: v for k, v in getattr(shims, spec.shims).items() if k.startswith("__")}
            )

    def __getattr__(self, attr: str):
        if attr.startswith("__") and attr.endswith("__"):
            raise AttributeError(f"module {self.__name__!r} has no attribute {attr!r}")
        spec, targets, fallbacks = self._as_torch
        child = f"{self.__name__}.{attr}"
        if _is_known(child):
            try:
                return _submodule(self, attr)
            except TorchModuleMissing:
                raise TorchFeatureMissing(_missing_message(child)) from None
        if spec.names is None or attr in spec.names:
            if attr in spec.renames:
                module, _, name = spec.renames[attr].partition(":")
                return getattr(importlib.import_module(module), name)
            for target in targets:
                value = getattr(target, attr, _ABSENT)
                if value is not _ABSENT:
                    return value
            if attr in fallbacks:
                return fallbacks[attr]
        raise TorchFeatureMissing(_missing_message(child))

    def __dir__(self) -> list[str]:
        spec, targets, fallbacks = self._as_torch
        names = set(self.__dict__) | set(fallbacks)
        if spec.names is not None:  # a torch/nn/modules file: the names tensorgrad has
            names |= {n for n in spec.names if hasattr(self, n)}
        else:
            for target in targets:
                names |= {n for n in dir(target) if not n.startswith("_")}
        prefix = self.__name__ + "."
        names |= {m[len(prefix) :] for m in mapping.MODULES if m.startswith(prefix)}
        return sorted(n for n in names if "." not in n and n != "_as_torch")


def _submodule(parent: TorchModule, attr: str) -> TorchModule:
    """``parent.attr`` as a stand-in: imported while installed (so ``sys.modules`` has it), made
    directly after ``uninstall`` (a stand-in kept from before must not reach real torch)."""
    name = f"{parent.__name__}.{attr}"
    if is_installed():
        return importlib.import_module(name)
    spec = _FINDER.find_spec(name)
    module = importlib.util.module_from_spec(spec)
    setattr(parent, attr, module)
    return module


def _is_known(name: str) -> bool:
    return name in mapping.MODULES


def _import_targets(name: str, spec: mapping.TorchModule) -> list:
    """The tensorgrad modules behind torch module ``name``; TorchModuleMissing when a required
    one does not exist."""
    targets = []
    for target in spec.targets:
        try:
            targets.append(importlib.import_module(target))
        except ModuleNotFoundError as e:
            if e.name is None or not (target == e.name or target.startswith(e.name + ".")):
                raise  # the tensorgrad module exists but imports something that does not
            raise TorchModuleMissing(_missing_message(name)) from None
    for target in spec.optional:
        with contextlib.suppress(ModuleNotFoundError):
            targets.append(importlib.import_module(target))
    return targets


class _TorchFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Answers ``import torch`` and ``import torch.*`` with ``TorchModule`` stand-ins."""

    def find_spec(self, fullname: str, path=None, target=None):
        if fullname != "torch" and not fullname.startswith("torch."):
            return None
        spec = mapping.MODULES.get(fullname)
        if spec is None:
            raise TorchModuleMissing(_missing_message(fullname))
        _import_targets(fullname, spec)  # fail here, as an import, if one is missing
        return importlib.machinery.ModuleSpec(fullname, self, is_package=True)

    def create_module(self, spec):
        torch_spec = mapping.MODULES[spec.name]
        return TorchModule(spec.name, torch_spec, _import_targets(spec.name, torch_spec))

    def exec_module(self, module) -> None:
        """Nothing to run: a stand-in's attributes are looked up when read."""


_FINDER = _TorchFinder()
_saved: dict[str, types.ModuleType] = {}


def _torch_entries() -> list[str]:
    return [k for k in sys.modules if k == "torch" or k.startswith("torch.")]


def is_installed() -> bool:
    """True while ``import torch`` gives tensorgrad."""
    return _FINDER in sys.meta_path


def _tensor_missing(self, name: str):
    """``Tensor.__getattr__`` while installed (Python calls it only when a lookup failed): a
    Tensor method tensorgrad lacks is reported like a missing ``torch.X``."""
    if name.startswith("_"):
        raise AttributeError(f"'{type(self).__name__}' object has no attribute {name!r}")
    raise TorchFeatureMissing(_missing_message(f"Tensor.{name}"))


_TUPLE_SHAPE = Tensor.shape  # tensorgrad's: NumPy's tuple, read on every op


@property
def _SIZED_SHAPE(self) -> Size:
    """The size of each dimension as a ``torch.Size`` (``Size``), as a PyTorch script prints
    and uses it (``x.shape.numel()``); ~0.13 us more per read than the plain tuple."""
    return tuple.__new__(Size, self.array.shape)


def install() -> None:
    """Make ``import torch`` (and every ``torch.*``) give tensorgrad from now on, in this
    interpreter. Real torch modules already imported are set aside (``uninstall`` restores
    them); objects that already hold them keep them. Installing twice is a no-op."""
    if is_installed():
        return
    _saved.clear()
    _saved.update({k: sys.modules.pop(k) for k in _torch_entries()})
    sys.meta_path.insert(0, _FINDER)
    Tensor.__getattr__ = _tensor_missing
    # what a PyTorch script prints: torch.float32, torch.Size([4, 3]) (and x.shape.numel())
    backend.NAMESPACE = "torch"
    Tensor.shape = _SIZED_SHAPE


def uninstall() -> None:
    """Undo ``install``: forget the tensorgrad stand-ins and put back the torch modules that
    were imported before. Objects made meanwhile stay tensorgrad objects."""
    if not is_installed():
        return
    sys.meta_path.remove(_FINDER)
    for k in _torch_entries():
        del sys.modules[k]
    sys.modules.update(_saved)
    _saved.clear()
    del Tensor.__getattr__
    backend.NAMESPACE = "tensorgrad"
    Tensor.shape = _TUPLE_SHAPE


@contextlib.contextmanager
def installed() -> Iterator[types.ModuleType]:
    """``with installed() as torch:``: ``install()`` for the block (yielding the stand-in
    ``torch``), then ``uninstall()``; a no-op pair when already installed."""
    already = is_installed()
    install()
    try:
        yield importlib.import_module("torch")
    finally:
        if not already:
            uninstall()
