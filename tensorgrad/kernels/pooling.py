"""Max pooling's gradient: the scatter of each window's gradient to its maximum.

The kernel behind ``Unpool`` (tensorgrad/ops/conv.py), whose NumPy code is the reference: a
finiteness check, then a compare and a multiply (or add) per kernel offset over the whole
batch, on one core. Here one loop runs over the (channel, image) planes, split across the
cores by ``prange``, and each window's gradient is added once at its maximum.

Geometry as in ops/conv.py: window ``(y, x)`` at kernel offset ``(i, j)`` sees image element
``(y sh + i dh - top, x sw + j dw - left)``; outside the image is padding. Arrays are indexed
``[c, n, h, w]`` (the (C, N, H, W) view of an (N, C, H, W) image), any strides.

Measured on the CNN benchmark's shapes, 2 cores shared with other jobs (min of 15, three
rounds back to back in one process), kernel 2, stride 2:
  g (64, 32, 14, 14) -> image (64, 32, 28, 28) float32: 0.58-0.89 ms vs NumPy 0.91-1.16 ms
  (PyTorch's max_pool2d_with_indices_backward 0.26-0.31 ms); float64 0.60 vs 1.57-2.40 ms
  (PyTorch 0.50-0.78 ms).
  g (64, 64, 7, 7) -> (64, 64, 14, 14) float32: 0.34-0.48 ms vs NumPy 0.54-0.76 ms (PyTorch
  0.13-0.16 ms); float64 0.33-0.46 vs 0.73-0.86 ms.

``max_pool_2x2``, the forward of the most common pooling (kernel 2, stride 2, no dilation), is
kept: its loops index a flat buffer with unsigned offsets (kernels/fold.py says why), the
window's size and stride are constants numba unrolls, and there is no bounds test (padding is
a -inf border copied around the image first, as on the NumPy path). Measured (min of 7, quiet
2-core AMD EPYC, 2 threads), float32: (64, 32, 28, 28) 0.38 ms vs NumPy 1.36 ms (PyTorch's
max_pool2d_with_indices ~3.6 ms); (64, 64, 14, 14) 0.28 vs 0.88 ms. With the window size and
strides as arguments the same loop ran at 2.1 ms (no unrolling), with bounds tests in place of
the border 2.3 ms, with signed indices 4-6 ms: other geometries keep the NumPy path.
"""

from __future__ import annotations

from . import kernel, prange

try:
    from numba import uint64
except ImportError:  # never called without numba
    uint64 = int


@kernel()
def unpool(g, index, image, kw, sh, sw, dh, dw, top, left):
    """Max pooling's gradient: ``image[c, n, r, q] = sum of g[c, n, y, x]`` over the windows
    whose maximum (kernel offset ``index[c, n, y, x] = i kw + j``) is at ``(r, q) = (y sh +
    i dh - top, x sw + j dw - left)``; a maximum in the padding gets nothing.

    A scatter per plane, by one thread: reads ``g`` and ``index`` once (C N OH OW elements
    each), writes the image once (zeroes it, C N H W, then one add per window). Where windows
    overlap, one element's gradients are added in window order, not the NumPy path's offset
    order (equal to rounding).
    """
    n_c, n_n, h, w = image.shape
    oh, ow = g.shape[2], g.shape[3]
    for p in prange(n_c * n_n):
        c, n = p // n_n, p % n_n
        for r in range(h):
            for q in range(w):
                image[c, n, r, q] = 0
        for y in range(oh):
            for x in range(ow):
                k = index[c, n, y, x]
                row = y * sh + (k // kw) * dh - top
                col = x * sw + (k % kw) * dw - left
                if row >= 0 and row < h and col >= 0 and col < w:
                    image[c, n, row, col] += g[c, n, y, x]


@kernel(error_model="numpy")
def max_pool_2x2(image, steps, best, index, shape):
    """``best[c, n, y, x]`` = the maximum of the 2x2 window at ``(2 y, 2 x)`` of plane
    ``(c, n)`` (``MaxPool2d(2)``; any padding is already in the image), ``index[c, n, y, x]``
    its offset ``2 i + j``: the first of equal maxima and the last NaN (``v > best or v != v``,
    PyTorch's test).

    ``best`` and ``index`` are flat C-contiguous arrays of ``shape`` (C, N, OH, OW); ``image``
    is a flat buffer in which plane ``(c, n)``, in rows of W elements, starts at
    ``c steps[0] + n steps[1]``; ``steps[2]`` is W. Reads each window element once and writes
    ``best`` and ``index`` once.
    """
    n_c, n_n, oh, ow = shape
    w = steps[2]
    for p in prange(n_c * n_n):
        c = p // n_n
        n = p - c * n_n
        base = c * steps[0] + n * steps[1]
        for y in range(oh):
            row = (p * oh + y) * ow  # of best and index
            for x in range(ow):
                corner = base + 2 * y * w + 2 * x
                b = image[uint64(corner)]
                k = 0
                for i in range(2):  # constant trip counts: unrolled, the window in registers
                    for j in range(2):
                        v = image[uint64(corner + i * w + j)]
                        take = (v > b) | (v != v)
                        b = v if take else b
                        k = 2 * i + j if take else k
                best[uint64(row + x)] = b
                index[uint64(row + x)] = k
