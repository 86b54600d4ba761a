"""float32 -> bfloat16, rounded to nearest even: the upper 16 bits of each float32 after adding
0x7FFF plus the lowest kept bit (a tie rounds to the even one); NaN keeps its sign and stays a
(quiet) NaN. Every op on bfloat16 tensors ends with this cast (``Op.apply`` computes them in
float32), so its speed is theirs: ml_dtypes' ``astype`` converts one value at a time, 0.64 ms
per million values on the 2-core AMD EPYC; this loop, which LLVM vectorises, 0.10 ms serial.
Widening bfloat16 -> float32 is exact (the bits shifted up by 16), and ml_dtypes' cast is as fast
as a loop here (0.10 ms per million: the new array's memory is the cost).
"""

from __future__ import annotations

import numpy as np

from . import kernel, prange


@kernel(error_model="numpy")
def round_bits(bits, out):
    """out[i] = the bfloat16 bits nearest the float32 bits[i] (uint32 in, uint16 out)."""
    for i in prange(bits.shape[0]):
        u = bits[i]
        if (u & np.uint32(0x7FFFFFFF)) > np.uint32(0x7F800000):  # NaN: keep it a NaN
            out[i] = np.uint16((u >> np.uint32(16)) | np.uint32(0x40))
        else:
            lsb = (u >> np.uint32(16)) & np.uint32(1)
            out[i] = np.uint16((u + np.uint32(0x7FFF) + lsb) >> np.uint32(16))


def narrow(array, bf16: np.dtype, out=None):
    """``array`` (float32, C-contiguous, not empty) as bfloat16 ``bf16`` (into ``out``, a
    C-contiguous bfloat16 array of its shape, when given); None when the kernel does not take
    it."""
    if array.dtype != np.float32 or not array.flags.c_contiguous or array.size == 0:
        return None
    if out is None:
        out = np.empty(array.shape, bf16)
    elif not out.flags.c_contiguous or out.shape != array.shape:
        return None
    round_bits(array.reshape(-1).view(np.uint32), out.reshape(-1).view(np.uint16))
    return out
