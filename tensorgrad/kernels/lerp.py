"""``lerp(start, end, w)`` for a number w, as PyTorch's kernel computes it: per element one
fused multiply-add from the nearer end, fma(w, end - start, start) for |w| < 0.5 and
fma(w - 1, end - start, end) otherwise (``ops/elementwise.py``, ``Lerp``).

NumPy's path (``tensorgrad/fma.py``) makes five temporaries: the difference, three float64
copies and their sum. This loop reads start and end once and writes the result once, with the
same arithmetic: end - start in float32, then c d + base in float64, where the product of two
float32 values is exact, rounded to float32 on the store. Measured on 2^20 float32 (an EMA's
``lerp_``, on the 2-core AMD EPYC): the NumPy path 2.4 ms, this kernel 0.26 ms (0.36 in place,
with the copy back), PyTorch 0.05-0.09 ms (with both cores).
"""

from __future__ import annotations

import numpy as np

from . import kernel, prange


@kernel(error_model="numpy")
def lerp_scalar(start, end, base, coeff, out):
    """out[i] = coeff (end[i] - start[i]) + base[i], rounded once: float32 1-d arrays,
    ``base`` start or end, ``coeff`` the float32 weight (or weight - 1) as a float64."""
    for i in prange(start.shape[0]):
        out[i] = coeff * np.float64(end[i] - start[i]) + np.float64(base[i])


def lerp(start, end, weight: float, out=None):
    """The kernel over same-shape C-contiguous float32 arrays into ``out`` (a new array by
    default); None when it does not take them. ``out`` may be ``start`` (an in-place
    ``lerp_``): the loop then writes a fresh array that is copied back, since LLVM does not
    vectorise a loop whose output may alias its inputs (0.26 + 0.1 ms against 0.7 ms)."""
    if start.dtype != np.float32 or start.shape != end.shape or start.size == 0:
        return None
    if not (start.flags.c_contiguous and end.flags.c_contiguous):
        return None
    w = np.float32(weight)  # rounded first, as PyTorch's scalar weight
    small = bool(abs(w) < 0.5)
    coeff = float(w if small else w - np.float32(1))
    target = out
    if out is None or np.shares_memory(out, start) or np.shares_memory(out, end):
        out = np.empty_like(start)
    start, end = start.reshape(-1), end.reshape(-1)
    lerp_scalar(start, end, start if small else end, coeff, out.reshape(-1))
    if target is not None and target is not out:
        np.copyto(target, out)
        return target
    return out
