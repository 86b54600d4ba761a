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

Not kept (no faster than the NumPy path on these 2 cores): the forward, max and argmax per
window in one pass (registers and selects): float32 (64, 32, 28, 28) 1.7-2.7 ms vs NumPy
1.3-1.5 ms (PyTorch 4-8 ms); (64, 64, 14, 14) 0.82-1.06 vs 0.82-0.95 ms; float64 faster
(1.9 vs 2.2-3.2 ms) but the benchmark is float32. A per-element loop pays ~1.5 cycles an
element on windows this short, where NumPy's per-offset strided loops are already in the cache.
"""

from __future__ import annotations

from . import njit, prange


@njit
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
