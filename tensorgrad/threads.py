"""``set_num_threads`` / ``get_num_threads``: the threads tensorgrad's CPU work uses.

PyTorch's names. One number governs the numba kernels' parallel loops, the optimizer steps
(one share per thread when the kernels are off) and, when threadpoolctl is installed, the BLAS
behind NumPy's matmuls. The default is ``OMP_NUM_THREADS`` if set (as PyTorch reads it), else
the CPUs this process may run on.
"""

from __future__ import annotations

import os

from . import kernels

_threads: int | None = None


def _default() -> int:
    env = os.environ.get("OMP_NUM_THREADS", "")
    if env.isdigit() and int(env) > 0:
        return int(env)
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def get_num_threads() -> int:
    """The threads tensorgrad's CPU work uses."""
    global _threads
    if _threads is None:
        _threads = _default()
    return _threads


def set_num_threads(n: int) -> None:
    """Use ``n`` threads for the numba kernels, the optimizer steps and (with threadpoolctl)
    BLAS, as ``torch.set_num_threads``."""
    global _threads
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"set_num_threads: expected a positive int, got {n!r}")
    _threads = n
    if kernels.numba is not None:
        kernels.numba.set_num_threads(min(n, kernels.numba.config.NUMBA_NUM_THREADS))
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    threadpool_limits(n, user_api="blas")


_interop_threads: int | None = None


def get_num_interop_threads() -> int:
    """PyTorch's threads for running independent ops at once; tensorgrad runs ops one after
    another, so this only reads back what ``set_num_interop_threads`` set (default: the
    intra-op count, as PyTorch's)."""
    return _interop_threads if _interop_threads is not None else get_num_threads()


def set_num_interop_threads(n: int) -> None:
    """Record ``n`` (PyTorch allows this once, before any parallel work; so does this)."""
    global _interop_threads
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"set_num_interop_threads: expected a positive int, got {n!r}")
    if _interop_threads is not None:
        raise RuntimeError(
            "Error: cannot set number of interop threads after parallel work has started or "
            "set_num_interop_threads called"
        )
    _interop_threads = n
