"""``tg.cuda``: is there a GPU to run on (PyTorch's ``torch.cuda`` queries).

Asking imports nothing heavy unless CuPy is installed; a machine without CuPy or without a
visible GPU answers False / 0 instead of raising.
"""

from __future__ import annotations

from . import backend
from . import random as _random

__all__ = ["device_count", "is_available", "manual_seed"]


def is_available() -> bool:
    """True when CuPy is installed and at least one CUDA device is visible."""
    try:
        backend.cupy()
    except RuntimeError:
        return False
    return True


def device_count() -> int:
    """The number of visible CUDA devices (0 without CuPy)."""
    if not is_available():
        return 0
    return int(backend.cupy().cuda.runtime.getDeviceCount())


def manual_seed(seed: int) -> None:
    """Seed the generator of CUDA tensors: tensorgrad draws random numbers for every device from
    its one default generator (``tg.manual_seed``), so this seeds that one."""
    _random.manual_seed(seed)
