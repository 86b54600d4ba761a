"""``tg.cuda``: PyTorch's ``torch.cuda`` queries, seeding and memory statistics.

Asking imports nothing heavy unless CuPy is installed; a machine without CuPy or without a
visible GPU behaves as PyTorch built without CUDA:

* ``is_available()`` is False, ``device_count()`` 0, ``is_initialized()`` False,
  ``is_bf16_supported()`` False;
* the memory counters (``memory_allocated`` and friends) are 0, ``memory_stats()`` is empty,
  ``empty_cache()``, ``manual_seed_all``, ``seed``, ``seed_all``, ``set_rng_state`` and
  ``set_rng_state_all`` do nothing (``get_rng_state_all()`` is ``[]``);
* what needs a device (``init``, ``current_device``, ``set_device`` of a device >= 0,
  ``synchronize``, ``get_device_name``/``_capability``/``_properties``, ``mem_get_info``,
  ``initial_seed``, ``get_rng_state``, ``reset_peak_memory_stats``, ``Event``) raises
  ``AssertionError`` (PyTorch's "Torch not compiled with CUDA enabled"), with the reason.

With CuPy and a GPU the answers come from CuPy: the current device is CuPy's, memory is that of
CuPy's default memory pool (which holds every CUDA array tensorgrad makes). Those branches are
marked "CuPy:"; this package's CPU test machines do not run them.

Random numbers: tensorgrad draws for every device from its one default generator (see
``tg.random``), so with CUDA there ``manual_seed``/``manual_seed_all`` seed that one and the
CUDA RNG state is its state. Without CUDA they do nothing, as in PyTorch's CPU build, so a
script that seeds CUDA between draws draws PyTorch's numbers on the CPU; ``seed``/``seed_all``
likewise reseed from entropy only when CUDA is there.

PyTorch's memory peaks have no CuPy counterpart: the pool only grows until ``empty_cache``, so
its size (``total_bytes``) stands for the peaks, and ``reset_peak_memory_stats`` frees the
pool's unused blocks so that it restarts from what is in use.
"""

from __future__ import annotations

import collections
import sys
import warnings
from collections.abc import Iterable
from types import SimpleNamespace
from typing import Any

from . import backend
from . import random as _random
from .tensor_types import CUDA_TYPES

# torch.cuda.FloatTensor, ...: the legacy typed constructors of GPU tensors (tensor_types.py)
BFloat16Tensor, BoolTensor = CUDA_TYPES["BFloat16Tensor"], CUDA_TYPES["BoolTensor"]
ByteTensor, CharTensor = CUDA_TYPES["ByteTensor"], CUDA_TYPES["CharTensor"]
DoubleTensor, FloatTensor = CUDA_TYPES["DoubleTensor"], CUDA_TYPES["FloatTensor"]
HalfTensor, IntTensor = CUDA_TYPES["HalfTensor"], CUDA_TYPES["IntTensor"]
LongTensor, ShortTensor = CUDA_TYPES["LongTensor"], CUDA_TYPES["ShortTensor"]

__all__ = [
    "BFloat16Tensor",
    "BoolTensor",
    "ByteTensor",
    "CharTensor",
    "DoubleTensor",
    "Event",
    "FloatTensor",
    "HalfTensor",
    "IntTensor",
    "LongTensor",
    "ShortTensor",
    "current_device",
    "device",
    "device_count",
    "empty_cache",
    "get_device_capability",
    "get_device_name",
    "get_device_properties",
    "get_rng_state",
    "get_rng_state_all",
    "init",
    "initial_seed",
    "is_available",
    "is_bf16_supported",
    "is_initialized",
    "manual_seed",
    "manual_seed_all",
    "max_memory_allocated",
    "max_memory_reserved",
    "mem_get_info",
    "memory_allocated",
    "memory_reserved",
    "memory_stats",
    "reset_max_memory_allocated",
    "reset_peak_memory_stats",
    "seed",
    "seed_all",
    "set_device",
    "set_rng_state",
    "set_rng_state_all",
    "synchronize",
]


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


def _lazy_init():
    """CuPy, or PyTorch's ``AssertionError`` of a build without CUDA, naming the reason."""
    try:
        return backend.cupy()
    except RuntimeError as e:
        raise AssertionError(f"CUDA is not available: {e}") from None


def init() -> None:
    """Initialise CUDA (CuPy); raises ``AssertionError`` without it."""
    _lazy_init()


def is_initialized() -> bool:
    """Whether CUDA (CuPy) is in use in this process; False without it."""
    return "cupy" in sys.modules and is_available()


def _device_index(device: Any, optional: bool) -> int:
    """PyTorch's ``_get_device_index``: an int as is; ``'cuda:1'`` or a Device by its index;
    ``'cuda'`` or None: the current device when ``optional``, else a ``ValueError``."""
    if isinstance(device, int) and not isinstance(device, bool):
        return device
    index = None
    if isinstance(device, (str, backend.Device)):
        parsed = backend.Device(device)
        if parsed.type != "cuda":
            raise ValueError(f"Expected a cuda device, but got: {parsed}")
        if isinstance(device, backend.Device) or ":" in device:
            index = parsed.index
    elif device is not None:
        raise ValueError(
            f"Expected a torch.device with a specified index or an integer, but got:{device}"
        )
    if index is None:
        if not optional:
            raise ValueError(
                f"Expected a torch.device with a specified index or an integer, but got:{device}"
            )
        return current_device()
    return index


def current_device() -> int:
    """The index of the current CUDA device (CuPy's)."""
    cp = _lazy_init()
    return int(cp.cuda.runtime.getDevice())  # CuPy:


def set_device(device: backend.Device | str | int) -> None:
    """Make ``device`` (an index, ``'cuda:1'`` or a Device) the current CUDA device; a
    negative index does nothing (as in PyTorch)."""
    index = _device_index(device, optional=False)
    if index >= 0:
        _lazy_init().cuda.Device(index).use()  # CuPy:


class device:
    """``with tg.cuda.device(1): ...`` makes device 1 current inside the block and restores the
    previous one after; a negative index or None does nothing."""

    def __init__(self, device: Any) -> None:
        self.idx = -1 if device is None else _device_index(device, optional=True)
        self.prev_idx = -1

    def __enter__(self) -> None:
        if self.idx >= 0:
            self.prev_idx = current_device()
            set_device(self.idx)

    def __exit__(self, *exc) -> bool:
        if self.prev_idx >= 0:
            set_device(self.prev_idx)
        return False


def synchronize(device: backend.Device | str | int | None = None) -> None:
    """Wait until every kernel queued on ``device`` (default: the current one) has finished."""
    cp = _lazy_init()
    cp.cuda.Device(_device_index(device, optional=True)).synchronize()  # CuPy:


def _properties(device: Any) -> dict:
    cp = _lazy_init()
    return cp.cuda.runtime.getDeviceProperties(_device_index(device, optional=True))  # CuPy:


def get_device_name(device: backend.Device | str | int | None = None) -> str:
    """The GPU's name, e.g. ``'NVIDIA H100 80GB HBM3'``."""
    return _properties(device)["name"].decode()  # CuPy:


def get_device_capability(device: backend.Device | str | int | None = None) -> tuple[int, int]:
    """The CUDA compute capability ``(major, minor)``."""
    props = _properties(device)
    return int(props["major"]), int(props["minor"])  # CuPy:


def get_device_properties(device: backend.Device | str | int | None = None) -> SimpleNamespace:
    """The device's ``name``, ``major``, ``minor``, ``total_memory`` (bytes) and
    ``multi_processor_count``, as attributes (the fields of PyTorch's that scripts read)."""
    props = _properties(device)
    return SimpleNamespace(  # CuPy:
        name=props["name"].decode(),
        major=int(props["major"]),
        minor=int(props["minor"]),
        total_memory=int(props["totalGlobalMem"]),
        multi_processor_count=int(props["multiProcessorCount"]),
    )


def is_bf16_supported(including_emulation: bool = True) -> bool:
    """False: NumPy and CuPy have no bfloat16 dtype (PyTorch without CUDA says False too)."""
    return False


# ---------------------------------------------------------------------------------- memory


def _pool():
    """CuPy's default memory pool, or None without CUDA."""
    if not is_available():
        return None
    return backend.cupy().get_default_memory_pool()  # CuPy:


def memory_allocated(device: backend.Device | str | int | None = None) -> int:
    """Bytes held by live CUDA arrays (0 without CUDA)."""
    pool = _pool()
    return 0 if pool is None else int(pool.used_bytes())  # CuPy:


def memory_reserved(device: backend.Device | str | int | None = None) -> int:
    """Bytes the memory pool holds, in use or cached (0 without CUDA)."""
    pool = _pool()
    return 0 if pool is None else int(pool.total_bytes())  # CuPy:


def max_memory_allocated(device: backend.Device | str | int | None = None) -> int:
    """The peak of the allocated bytes, bounded by the pool's size (which only grows until
    ``empty_cache``/``reset_peak_memory_stats``); 0 without CUDA."""
    return memory_reserved(device)


def max_memory_reserved(device: backend.Device | str | int | None = None) -> int:
    """The peak of the reserved bytes: the pool's size (0 without CUDA)."""
    return memory_reserved(device)


def memory_stats(device: backend.Device | str | int | None = None) -> dict[str, Any]:
    """PyTorch's keys for the current and peak bytes allocated and reserved; empty without
    CUDA."""
    stats: collections.OrderedDict[str, Any] = collections.OrderedDict()
    if _pool() is None:
        return stats
    stats["allocated_bytes.all.current"] = memory_allocated(device)  # CuPy:
    stats["allocated_bytes.all.peak"] = max_memory_allocated(device)
    stats["reserved_bytes.all.current"] = memory_reserved(device)
    stats["reserved_bytes.all.peak"] = max_memory_reserved(device)
    return stats


def empty_cache() -> None:
    """Give the memory pool's unused cached blocks back to the driver (nothing without CUDA)."""
    pool = _pool()
    if pool is not None:
        pool.free_all_blocks()  # CuPy:


def reset_peak_memory_stats(device: backend.Device | str | int | None = None) -> None:
    """Restart the peaks from the current use: frees the pool's unused blocks (CuPy keeps no
    peak counters, see the module docstring)."""
    _lazy_init()
    empty_cache()  # CuPy:


def reset_max_memory_allocated(device: backend.Device | str | int | None = None) -> None:
    """``reset_peak_memory_stats``, with PyTorch's deprecation warning."""
    warnings.warn(
        "torch.cuda.reset_max_memory_allocated now calls torch.cuda.reset_peak_memory_stats, "
        "which resets /all/ peak memory stats.",
        FutureWarning,
        stacklevel=2,
    )
    reset_peak_memory_stats(device)


def mem_get_info(device: backend.Device | str | int | None = None) -> tuple[int, int]:
    """``(free, total)`` bytes of the device's memory, from the driver."""
    cp = _lazy_init()
    with cp.cuda.Device(_device_index(device, optional=True)):  # CuPy:
        free, total = cp.cuda.runtime.memGetInfo()
    return int(free), int(total)


# ---------------------------------------------------------------------------------- random


def manual_seed(seed: int) -> None:
    """Seed the generator of CUDA tensors: tensorgrad draws random numbers for every device from
    its one default generator (``tg.manual_seed``), so this seeds that one when CUDA is there;
    without CUDA it does nothing, as PyTorch's CPU build (its CPU stream goes on untouched)."""
    if is_available():
        _random.manual_seed(seed)


def manual_seed_all(seed: int) -> None:
    """Seed the generators of all CUDA devices: ``manual_seed``."""
    manual_seed(seed)


def seed() -> None:
    """Reseed the CUDA generator from entropy: the shared default generator when CUDA is there,
    nothing without it (as PyTorch's CPU build)."""
    if is_available():
        _random.seed()


def seed_all() -> None:
    """``seed()`` for every device: the one shared generator."""
    seed()


def initial_seed() -> int:
    """The seed of the CUDA generator (the shared default one); needs CUDA, as in PyTorch."""
    _lazy_init()
    return _random.initial_seed()


def get_rng_state(device: backend.Device | str | int = "cuda"):
    """The CUDA generator's state, a uint8 tensor (the shared default generator's)."""
    _lazy_init()
    return _random.get_rng_state()


def set_rng_state(new_state, device: backend.Device | str | int = "cuda") -> None:
    """Restore a state from ``get_rng_state``; nothing without CUDA (as PyTorch's CPU build)."""
    if is_available():
        _random.set_rng_state(new_state)


def get_rng_state_all() -> list:
    """One state per CUDA device (``[]`` without CUDA)."""
    return [get_rng_state(i) for i in range(device_count())]


def set_rng_state_all(new_states: Iterable) -> None:
    """Restore the states from ``get_rng_state_all``; nothing without CUDA."""
    for i, state in enumerate(new_states):
        set_rng_state(state, i)


# ---------------------------------------------------------------------------------- events


class Event:
    """A CUDA event, for timing GPU work as in PyTorch::

        start, end = tg.cuda.Event(enable_timing=True), tg.cuda.Event(enable_timing=True)
        start.record(); ...; end.record(); tg.cuda.synchronize()
        ms = start.elapsed_time(end)

    Events record on CuPy's current stream (tensorgrad has no stream objects of its own).
    """

    def __init__(
        self, enable_timing: bool = False, blocking: bool = False, interprocess: bool = False
    ) -> None:
        cp = _lazy_init()
        self._event = cp.cuda.Event(  # CuPy:
            block=blocking, disable_timing=not enable_timing, interprocess=interprocess
        )

    def record(self, stream: None = None) -> None:
        """Record the event on the current stream."""
        if stream is not None:
            raise NotImplementedError("Event.record: tensorgrad has no CUDA stream objects")
        self._event.record()  # CuPy:

    def synchronize(self) -> None:
        """Wait until the work before the event's record has finished."""
        self._event.synchronize()  # CuPy:

    def query(self) -> bool:
        """Whether the work before the event's record has finished."""
        return bool(self._event.done)  # CuPy:

    def elapsed_time(self, end_event: Event) -> float:
        """Milliseconds between this event's record and ``end_event``'s."""
        return float(backend.cupy().cuda.get_elapsed_time(self._event, end_event._event))
