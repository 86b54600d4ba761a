"""Scatter-add of rows, ``out[index[r], :] += values[r, :]``: the gradient of an embedding lookup.

``backend.scatter_add`` on the host is ``np.add.at`` through flat positions: it builds an int64
array of ``rows * dim`` positions (8 bytes per element written, then read), then adds one element
at a time through a generic ufunc loop. This kernel reads each row of ``values`` once and adds it
into its output row in a vectorised inner loop: ``rows * dim * itemsize`` bytes of values read,
the touched output rows read and written, ``rows * 8`` bytes of indices read, nothing
allocated. Rows are added in order, so repeated indices sum in ``np.add.at``'s order and the
result is equal to the bit (``tests/kernels/test_scatter.py``).

Measured (AMD EPYC, 2 shared cores, min of 5x15 calls in one process, the zero-filled output's
allocation included; PyTorch 2.13 ``aten.embedding_dense_backward``, 2 threads)::

    rows x dim -> num_weights           NumPy  numba  numba cols  PyTorch   (ms)
    float32  65536 x 64  -> 100         6.516  0.335    1.281      3.045   (many into few)
    float32    512 x 64  -> 50000       1.166  0.120    0.129      0.103   (few into many)
    float32   8192 x 256 -> 8192        5.383  0.332    0.626      0.552
    float32  65536 x 8   -> 1000        0.934  0.110    0.317      2.753
    float64  65536 x 64  -> 100         4.854  1.249    1.324      3.660
    float64    512 x 64  -> 50000       1.462  0.243    2.063     15.926
    float64   8192 x 256 -> 8192        6.853  0.835    4.808     14.978

Kept: the serial loop, 4-20x the NumPy path and faster than PyTorch except few-into-many float32
(0.12 vs 0.10 ms, where the output's zero-fill dominates). Dropped: the parallel version
("numba cols": a ``prange`` over blocks of whole cache lines of columns, each thread walking all
rows in order so that the sums keep their order). It was slower in every case here: the
scatter is bound by the scattered rows' memory latency, and the column slices are strided, so
their inner loops lose the vectorisation the serial loop has.
"""

from __future__ import annotations

from . import njit


@njit(parallel=False, error_model="numpy")
def scatter_rows(out, index, values):
    """``out[index[r], :] += values[r, :]`` for r = 0, 1, ... in order. ``out`` and ``values``
    are 2-D (rows, dim) and C-contiguous, ``index`` 1-D integers already checked to lie in
    ``[-len(out), len(out))`` (negative ones count from the end, as in NumPy)."""
    n = out.shape[0]
    for r in range(index.shape[0]):
        i = index[r]
        row = out[i + n if i < 0 else i]
        src = values[r]
        for c in range(row.shape[0]):
            row[c] += src[c]
