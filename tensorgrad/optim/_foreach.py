"""What every optimizer's step shares: one elementwise update run over all parameters.

An update is elementwise, so it can run on any split of the flattened arrays. NumPy releases
the GIL inside a ufunc, so on the CPU a large step is cut into one equal share per thread and
the shares run at once (``threads.get_num_threads()`` of them, which ``tg.set_num_threads``
sets): PyTorch's CPU kernels use its intra-op threads the same way (this is what brings the
Adam step of the mlp benchmark from 1.8x to about 1x PyTorch on 2 cores).
The results are bit-identical to one pass, since no element depends on another.

A kernel is ``kernel(xp, *arrays, *scalars)`` updating its arrays in place; ``lerp`` is the
in-place interpolation several of them use.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .. import backend, kernels
from ..backend import xp_of
from ..kernels import bfloat16 as _kbf16
from ..threads import get_num_threads

_MIN_PARALLEL = 1 << 17  # elements per step below which thread hand-offs cost more than they save
_pool = None  # made on first use with get_num_threads() workers; remade when that changes
_pool_threads = 0


def _forget_pool() -> None:
    global _pool
    _pool = None  # a forked child has none of the parent's threads: it makes its own pool


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def run_kernel(kernel: Callable, jobs: list[tuple[tuple, tuple]]) -> None:
    """Run ``kernel(xp, *arrays, *scalars)`` for every job ``(arrays, scalars)``: the arrays of
    one job have one shape (``None`` for an unused one) and the kernel updates them in place.

    Only the NumPy kernels run here: with ``kernels.ENABLED`` SGD and Adam call their numba
    kernels instead (numba's parallel loops and this pool must never run at once), and the
    other optimizers' NumPy kernels finish here before ``step`` returns."""
    threads = get_num_threads()
    if (
        threads > 1
        and sum(arrays[0].size for arrays, _ in jobs) >= _MIN_PARALLEL
        and all(_splittable(arrays) for arrays, _ in jobs)
    ):
        global _pool, _pool_threads
        if _pool is None or _pool_threads != threads:  # tg.set_num_threads changed the count
            if _pool is not None:
                _pool.shutdown(wait=False)
            _pool = ThreadPoolExecutor(threads, thread_name_prefix="tensorgrad-optim")
            _pool_threads = threads
        shares = split(jobs, threads)
        futures = [_pool.submit(_run_share, kernel, share) for share in shares[1:]]
        try:
            _run_share(kernel, shares[0])
        finally:
            for future in futures:
                future.result()
    else:
        _run_share(kernel, jobs)


def _run_share(kernel: Callable, jobs) -> None:
    for arrays, scalars in jobs:
        if backend.BF16 is not None and arrays[0].dtype is backend.BF16:
            _in_float32(kernel, arrays, scalars)
        else:
            kernel(xp_of(arrays[0]), *arrays, *scalars)


def _in_float32(kernel: Callable, arrays: tuple, scalars: tuple) -> None:
    """A bfloat16 job: the update computed in float32 and the parameter and its state rounded
    to bfloat16 once at the end (PyTorch's single-tensor loop rounds after each of its ops, so
    the two agree to about one bfloat16 unit; ml_dtypes' own arithmetic, rounding per NumPy
    call, is 5x slower). The scratch arrays are float32 already (``Optimizer._buffers``), and
    the gradient, ``arrays[1]``, is only read."""
    bf16 = backend.BF16
    wide = [a.astype(np.float32) if a is not None and a.dtype is bf16 else a for a in arrays]
    kernel(np, *wide, *scalars)
    for i, (a, w) in enumerate(zip(arrays, wide)):
        if w is a or i == 1:
            continue
        if not kernels.ENABLED or _kbf16.narrow(w, bf16, out=a) is None:
            a[...] = w


def _splittable(arrays: tuple) -> bool:
    return all(a is None or (type(a) is np.ndarray and a.flags.c_contiguous) for a in arrays)


def split(jobs: list[tuple[tuple, tuple]], parts: int) -> list[list]:
    """Cut the jobs' flattened arrays into ``parts`` shares of (nearly) equal element counts."""
    total = sum(arrays[0].size for arrays, _ in jobs)
    shares: list[list] = [[] for _ in range(parts)]
    share, filled = 0, 0  # the share being filled, and the elements all shares before it hold
    for arrays, scalars in jobs:
        flat = [None if a is None else a.reshape(-1) for a in arrays]
        start, size = 0, arrays[0].size
        while start < size:
            room = (share + 1) * total // parts - filled if share < parts - 1 else size - start
            stop = min(size, start + max(room, 1))
            shares[share].append(
                (tuple(None if a is None else a[start:stop] for a in flat), scalars)
            )
            filled += stop - start
            start = stop
            if share < parts - 1 and filled >= (share + 1) * total // parts:
                share += 1
    return [s for s in shares if s]


def lerp(xp, start, end, weight: float, tmp) -> None:
    """``start.lerp_(end, weight)`` with PyTorch's formula (exact at weight 0 and 1)."""
    diff = xp.subtract(end, start, out=tmp)
    if abs(weight) < 0.5:
        diff *= weight
        start += diff
    else:
        diff *= 1 - weight
        xp.subtract(end, diff, out=start)
