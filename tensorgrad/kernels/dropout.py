"""Dropout's mask-and-scale in one pass: ``out = x * (scale if u < q else 0)``, q = 1 - p.

The random draw ``u`` (uniform in [0, 1), float64) stays the generator's, so the kernel path
keeps the same mask as the NumPy path for a seed. What the kernel fuses is the rest of
``nn/dropout.py``'s reference::

    keep = u < q                           (bool: PyTorch's bernoulli_(q))
    mask = keep * scale                    (scale = dtype(1) / dtype(q), as PyTorch divides)
    out  = x * mask                        (and the gradient g * mask)

The NumPy path moves ~8 + 1 + 1 + 8 + 8 + itemsize * 4 bytes per element (the bool, the
float64 mask, its cast, the product) and allocates three temporaries; ``forward`` reads u and x
and writes out and the 1-byte ``keep`` (kept for the backward) once: 8 + 2 * itemsize + 1 bytes.
``apply_mask`` (the backward, and the backward's backward) reads g and keep and writes
the gradient: 2 * itemsize + 1 bytes, where the NumPy path's ``g * mask`` reads a float mask.
The products are the NumPy path's (``x * scale`` or ``x * 0``, so NaN and the sign of zero
match) and equal to the bit.

Measured: see ``nn/dropout.py``'s ``dropout``.
"""

from __future__ import annotations

from . import njit, prange

MIN_PARALLEL = 1 << 16  # elements below which one thread is faster than waking the others


@njit(parallel=False, error_model="numpy")
def forward_loop(x, u, q, scale, out, keep):
    """``keep = u < q; out = x * (scale if keep else 0)`` over flat arrays (``q`` float64,
    ``scale`` in x's dtype)."""
    zero = scale - scale
    for i in range(x.shape[0]):
        k = u[i] < q
        keep[i] = k
        out[i] = x[i] * (scale if k else zero)


@njit(parallel=False, error_model="numpy")
def apply_mask_loop(x, keep, scale, out):
    """``out = x * (scale if keep else 0)`` over flat arrays."""
    zero = scale - scale
    for i in range(x.shape[0]):
        out[i] = x[i] * (scale if keep[i] else zero)


@njit
def forward_chunks(chunks, x, u, q, scale, out, keep):
    """``forward_loop`` on one slice per thread."""
    n = x.shape[0]
    for c in prange(chunks):
        lo, hi = c * n // chunks, (c + 1) * n // chunks
        forward_loop(x[lo:hi], u[lo:hi], q, scale, out[lo:hi], keep[lo:hi])


@njit
def apply_mask_chunks(chunks, x, keep, scale, out):
    """``apply_mask_loop`` on one slice per thread."""
    n = x.shape[0]
    for c in prange(chunks):
        lo, hi = c * n // chunks, (c + 1) * n // chunks
        apply_mask_loop(x[lo:hi], keep[lo:hi], scale, out[lo:hi])
