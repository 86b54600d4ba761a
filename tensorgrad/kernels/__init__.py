"""CPU kernels: the memory-bound primitives as loops compiled by numba, on every core.

A kernel is a plain Python loop over an array (``for i in prange(n): out[i] = ...``) that numba
compiles to machine code (``@kernel``: numba's ``njit`` with ``cache=True``, in a parallel
version, where ``prange`` splits the loop across threads, and a serial one for small arrays).
One pass reads each input and writes each output once, where the NumPy path makes a temporary
per operation. Each kernel module holds its kernels with their NumPy references' maths in the
docstring; the op that uses a kernel keeps its NumPy code as the reference (tested equal) and
as the path on machines without numba.

One switch picks the path: ``TENSORGRAD_KERNELS=numpy|numba`` in the environment (default:
numba when it is importable), or :func:`use` at run time (the tests run both). Kernels compile
on first use and are cached on disk (numba's ``cache=True``: beside the package when it is
writable, else in the user cache folder; ``NUMBA_CACHE_DIR`` moves it).
"""

from __future__ import annotations

import os
import types

import numpy as np

# numba runs parallel loops on GNU OpenMP threads, which by default spin for a while after each
# loop, waiting for the next; meanwhile NumPy's BLAS threads want the same cores for the next
# matmul. On 2 cores that cost 4-5x on whole training steps (mlp 15 ms instead of 3.5, gpt 159
# instead of 27). Passive threads sleep instead. Set before numba's OpenMP starts (its first
# parallel loop), and only if the user has not chosen.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

try:
    import numba
except ImportError:  # the fast extra is not installed: the NumPy path everywhere
    numba = None

AVAILABLE = numba is not None
_choice = os.environ.get("TENSORGRAD_KERNELS", "numba" if AVAILABLE else "numpy").lower()
if _choice not in ("numpy", "numba"):
    raise ValueError(f"TENSORGRAD_KERNELS must be 'numpy' or 'numba', got {_choice!r}")
ENABLED = _choice == "numba" and AVAILABLE  # read by the ops on every call: keep it a bool


def use(name: str) -> None:
    """Pick the path: ``'numba'`` (the kernels; needs numba) or ``'numpy'`` (the reference)."""
    global ENABLED
    if name not in ("numpy", "numba"):
        raise ValueError(f"kernels: expected 'numpy' or 'numba', got {name!r}")
    if name == "numba" and not AVAILABLE:
        raise RuntimeError("kernels: numba is not installed (pip install tensorgrad[fast])")
    ENABLED = name == "numba"


def current() -> str:
    """``'numba'`` or ``'numpy'``: the path the ops take now."""
    return "numba" if ENABLED else "numpy"


_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def takes(*arrays) -> bool:
    """Whether the kernels take these arrays: switched on, NumPy arrays (a CuPy one takes
    the op's own path), float32 or float64, all of one dtype, not empty. Otherwise the op's
    NumPy code runs: the reference the kernels are tested against."""
    if not ENABLED:
        return False
    a = arrays[0]
    if type(a) is not np.ndarray or a.dtype not in _DTYPES or a.size == 0:
        return False
    return all(type(b) is np.ndarray and b.dtype == a.dtype for b in arrays[1:])


def njit(*args, **kwargs):
    """numba's ``njit`` with this package's defaults: cached on disk, and ``parallel=True``
    unless told otherwise. Without numba, the function is returned as it is (never called:
    the ops check ``ENABLED`` first)."""
    kwargs.setdefault("cache", True)
    kwargs.setdefault("parallel", True)
    if numba is None:
        return args[0] if args and callable(args[0]) else (lambda f: f)
    return numba.njit(*args, **kwargs)


prange = numba.prange if numba is not None else range

# Waking numba's sleeping threads costs 5-70 us (65 us on the 2-core AMD EPYC VM this was
# measured on, 4 us when they are still awake from a call just before); a serial pass over
# 2**17 float32 elements takes 15-50 us. And inside a training step the other cores are not
# free: NumPy's BLAS keeps its worker threads spinning for a while after each matmul, so a
# parallel loop right after one shares its cores with them. Measured on whole steps (2 cores,
# medians of 5 rounds): the CNN benchmark 26.7 ms with every kernel serial against 28.7 ms with
# the parallel loops from 2**17 elements up, the GPT 29.8 against 28.7 ms. Below this many
# elements (16 MB of float32) a kernel runs in the calling thread; on machines with many
# cores a lower bound may pay (``tensorgrad.kernels.MIN_PARALLEL`` can be set).
MIN_PARALLEL = 1 << 22


class _Kernel:
    """A loop compiled twice: with ``prange`` across the cores, and as a plain loop (``prange``
    is ``range`` there) for a first argument under ``MIN_PARALLEL`` elements."""

    def __init__(self, fn, options):
        self.parallel = numba.njit(fn, parallel=True, **options)
        # numba's disk cache keys a function's versions by its name and argument types, not by
        # ``parallel``: under one name, whichever version compiled first would be loaded as
        # the other one too. The serial version is a copy under its own name.
        serial = types.FunctionType(fn.__code__, fn.__globals__, fn.__name__, fn.__defaults__)
        serial.__qualname__ = fn.__qualname__ + "_serial"
        self.serial = numba.njit(serial, parallel=False, **options)
        self.__doc__, self.__name__, self.__wrapped__ = fn.__doc__, fn.__name__, fn

    def __call__(self, *args):
        if args[0].size < MIN_PARALLEL:
            return self.serial(*args)
        return self.parallel(*args)


def kernel(**options):
    """Decorator of a kernel called from Python: numba's ``njit`` (cached on disk) in a
    parallel and a serial version, picked by the size of the first argument. Without numba,
    the function is returned as it is (never called: the ops check ``takes`` first)."""
    options.setdefault("cache", True)
    if numba is None:
        return lambda fn: fn
    return lambda fn: _Kernel(fn, options)


def run_flat(kernel, *arrays):
    """``kernel(*flat_arrays, flat_out)`` over same-shape arrays as 1-d views in their memory
    order (a (C, N, H, W)-stored image is not copied), copies in C order where their layouts
    differ; returns ``out``, of the first array's shape and layout."""
    out = np.empty_like(arrays[0])
    if any(a.strides != out.strides for a in arrays):
        arrays = [np.ascontiguousarray(a) for a in arrays]
        out = np.empty_like(arrays[0])
    kernel(*[a.ravel("K") for a in arrays], out.ravel("K"))
    return out
