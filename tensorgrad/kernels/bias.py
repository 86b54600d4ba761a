"""Adding a vector along the last dim, y[r, j] = x[r, j] + b[j]: a bias, in ``Linear`` (in
place, into the GEMM's output) and in ``x @ w.T + b`` written out (``ops.elementwise.Add``).

NumPy's broadcasting add runs its inner loop once per row, and that call costs about as much
as adding a 512-wide row, so the rows of a layer's output go at half speed. These loops walk
the rows themselves: one pass, reading x and b and writing y (3 arrays' bytes, b from cache).
The sums are single float additions, equal to NumPy's to the bit.

Measured (AMD EPYC, 2 shared cores, float32, min of 9 x 300 calls in one process, two runs):

    shape         x + b: NumPy  kernel          x += b: NumPy  kernel      (µs)
    (128, 512)      15.1-15.2   6.0-6.9          13.8       5.1-6.3
    (1024, 512)    101-126     50-56             87-99     41-44
    (1024, 128)     35-38      17                19-33      6-13

In the benchmark GPT's step (eight Linear layers with a bias), in-place kernel against NumPy's
``+=``: 2-4% less time (the same step alternating the two in one process).

The in-place loop is its own function: with ``out`` the same array as ``x`` LLVM's runtime
overlap check sends ``add_rows`` to its scalar loop (3x slower than NumPy there).
"""

from __future__ import annotations

from . import njit


@njit(parallel=False, error_model="numpy")
def add_rows(x, b, out):
    """out[r] = x[r] + b for the rows of 2-D x and out (not overlapping), b 1-D."""
    for r in range(x.shape[0]):
        xr = x[r]
        yr = out[r]
        for j in range(xr.shape[0]):
            yr[j] = xr[j] + b[j]


@njit(parallel=False, error_model="numpy")
def add_rows_inplace(out, b):
    """out[r] += b for the rows of 2-D out, b 1-D."""
    for r in range(out.shape[0]):
        yr = out[r]
        for j in range(yr.shape[0]):
            yr[j] += b[j]
