"""``tg.accelerator``: the device-agnostic queries of PyTorch's ``torch.accelerator``.

tensorgrad knows one kind of accelerator, a CUDA GPU through CuPy, so the current accelerator is
``device('cuda')`` when CuPy sees a GPU and ``None`` otherwise (as PyTorch on a CPU-only build).
The usual device selection then reads the same in both::

    device = (tg.accelerator.current_accelerator() if tg.accelerator.is_available()
              else tg.device("cpu"))

The device index functions and ``synchronize`` need an accelerator and raise PyTorch's
``RuntimeError`` without one.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from . import backend, cuda

__all__ = [
    "current_accelerator",
    "current_device_idx",
    "current_device_index",
    "device_count",
    "device_index",
    "is_available",
    "set_device_idx",
    "set_device_index",
    "synchronize",
]

_NONE_AVAILABLE = "Cannot access accelerator device when none is available."


def _require() -> None:
    if not cuda.is_available():
        raise RuntimeError(_NONE_AVAILABLE)


def current_accelerator(check_available: bool = False) -> backend.Device | None:
    """``device('cuda')`` when CuPy sees a GPU, else None. PyTorch returns the build's
    accelerator type even when no device is visible unless ``check_available``; tensorgrad has
    no build type, so both answers are the available one."""
    return backend.Device("cuda") if cuda.is_available() else None


def is_available() -> bool:
    """True when there is an accelerator to run on (a CUDA GPU that CuPy sees)."""
    return cuda.is_available()


def device_count() -> int:
    """The number of accelerator devices (0 without one)."""
    return cuda.device_count()


def current_device_index() -> int:
    """The index of the current CUDA device (CuPy's current device)."""
    _require()
    return int(backend.cupy().cuda.runtime.getDevice())


def set_device_index(device: backend.Device | str | int) -> None:
    """Make ``device`` (an index, ``'cuda:1'`` or a Device) CuPy's current device. A negative
    index is a no-op, as in PyTorch."""
    _require()
    index = device if isinstance(device, int) else backend.Device(device).index
    if index is not None and index >= 0:
        backend.cupy().cuda.Device(index).use()


current_device_idx = current_device_index  # PyTorch's deprecated spellings
set_device_idx = set_device_index


@contextlib.contextmanager
def device_index(device: int | None) -> Iterator[None]:
    """Make ``device`` the current device inside the block and restore the previous one after
    (``None`` leaves it alone)."""
    if device is None:
        yield
        return
    previous = current_device_index()
    set_device_index(device)
    try:
        yield
    finally:
        set_device_index(previous)


def synchronize(device: backend.Device | str | int | None = None) -> None:
    """Wait until every kernel queued on ``device`` (default: the current one) has finished."""
    _require()
    cp = backend.cupy()
    if device is None:
        cp.cuda.Device().synchronize()
        return
    index = device if isinstance(device, int) else backend.Device(device).index
    cp.cuda.Device(index).synchronize()
