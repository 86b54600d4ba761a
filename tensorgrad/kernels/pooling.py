"""Pooling kernels: max pooling's gradient (the scatter of each window's gradient to its
maximum) and its 2x2 forward; average pooling and its gradient, for 2-d and 3-d windows.

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

``unpool_2x2``, the gradient of ``MaxPool2d(2)`` on even sizes (the windows tile the image):
each pixel written once, flat unsigned indices (see below), no zeroing pass. Serial, min of
40, quiet 2-core AMD EPYC: (64, 32, 28, 28) float32 0.37-0.39 ms vs ``unpool`` 1.16-1.18 ms
(PyTorch, 2 threads, 0.34-0.55 ms), float64 0.47-0.50 vs 1.29-1.32 (PyTorch 0.86-0.93);
(64, 64, 14, 14) float32 0.34-0.36 vs 0.63-0.67 ms (PyTorch 0.30-0.35 ms).

``max_pool_2x2``, the forward of the most common pooling (kernel 2, stride 2, no dilation), is
kept: its loops index a flat buffer with unsigned offsets (kernels/fold.py says why), the
window's size and stride are constants numba unrolls, and there is no bounds test (padding is
a -inf border copied around the image first, as on the NumPy path). Measured (min of 7, quiet
2-core AMD EPYC, 2 threads), float32: (64, 32, 28, 28) 0.38 ms vs NumPy 1.36 ms (PyTorch's
max_pool2d_with_indices ~3.6 ms); (64, 64, 14, 14) 0.28 vs 0.88 ms. With the window size and
strides as arguments the same loop ran at 2.1 ms (no unrolling), with bounds tests in place of
the border 2.3 ms, with signed indices 4-6 ms: other geometries keep the NumPy path.

``avg_pool`` and ``avg_unpool`` are behind ``AvgPool`` and ``AvgUnpool`` for every geometry;
their NumPy paths (the references, equal to the last bit: each sum gets its terms in the same
order) make one strided add per kernel offset over the whole batch. Measured float32 (64, 32,
28, 28), the least of 40-50 runs in each of four rounds, on a 2-core AMD EPYC whose second
core was busy with other jobs (the parallel and serial loops ran at the same speed). The old
composition is Unfold, a sum over the window axes and a division (backward through Fold),
PyTorch's is F.avg_pool2d with ``torch.set_num_threads(2)`` on (N, C, H, W) input; ms, input
stored (C, N, H, W) (as the ops make images) / (N, C, H, W):

  forward                kernels      NumPy path   old composition   PyTorch
  2x2, stride 2          0.20/0.21    0.87/0.78    1.13/1.30         1.23
  3x3, stride 1, pad 1   0.56/0.56    5.9/7.0      10.7/12.6         6.2
  2x2, stride 1, pad 1   0.40/0.47    2.8/4.0      3.9/5.6           5.6
  3x3, stride 2, pad 1   0.57/0.57    2.4/3.1      2.5/3.0           1.6
  backward
  2x2, stride 2          0.31/0.29    1.06/0.82    2.04/1.67         1.51
  3x3, stride 1, pad 1   1.07/0.92    7.4/6.8      8.4/7.9           6.3
  2x2, stride 1, pad 1   0.91/0.94    2.8/2.3      2.6/2.3           5.9
  3x3, stride 2, pad 1   0.76/0.85    4.7/4.0      4.6/3.9           1.7

Both kernels are kept: 2.4-12x faster than the NumPy path in every geometry measured. Their
loops, each a measured choice (same machine, serial loop, (C, N, H, W) input):

* 2x2 windows at stride 2 without padding (``AvgPool2d(2)``, the common case): the window
  unrolled (constant trip counts), as in ``max_pool_2x2``: 0.21 ms, against 0.80 ms for the
  general row-segment loop below.
* strides up to 2 (sh sw <= 4): the stride-1 window sums of the whole plane (copied into a
  zero-bordered scratch plane if there is padding), one long vectorised loop per kernel
  offset, read at the windows' corners. 3x3 stride 1 pad 1: 1.1-1.3 ms against 2.5-2.7 ms
  for the row segments in the same (busier) round (their loops are one output row long, 28
  elements here); 3x3 stride 2 pad 1: 0.7 ms against 1.6 ms, though three of four sums are
  not used. Computed with a strided flat index instead, the stride-2 loop did not vectorise
  (3.4 ms).
* other strides: per kernel offset and output row, the row segment inside the image. At
  strides 3 and 4 it ran as fast as the subsampled stride-1 sums (0.5-0.9 ms both).
"""

from __future__ import annotations

import numpy as np

from . import kernel, njit, prange

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


@kernel(error_model="numpy")
def unpool_2x2(g, g_steps, index, image, steps, shape):
    """``unpool`` of 2x2 windows at stride 2 that tile the image (``MaxPool2d(2)`` on even
    sizes): ``image[c, n, 2 y + i, 2 x + j] = g[c, n, y, x]`` where ``index[c, n, y, x] = 2 i
    + j``, else 0. Each image element belongs to one window, so it is written once, with no
    zeroing pass and no scatter: per output row, two stores per window.

    ``index`` is a flat C-contiguous array of ``shape`` (C, N, OH, OW); ``g`` and ``image``
    are flat buffers whose plane ``(c, n)`` (rows of OW, resp. W = 2 OW, elements) starts at
    ``c g_steps[0] + n g_steps[1]``, resp. ``c steps[0] + n steps[1]``. Reads ``g`` and
    ``index`` twice (once per image row, from cache) and writes the image once.
    """
    n_c, n_n, oh, ow = shape
    w = 2 * ow
    for p in prange(n_c * n_n):
        c = p // n_n
        n = p - c * n_n
        base = c * steps[0] + n * steps[1]
        g_base = c * g_steps[0] + n * g_steps[1]
        for y in range(oh):
            row = (p * oh + y) * ow  # of index
            for i in range(2):
                out = base + (2 * y + i) * w
                for x in range(ow):
                    k = index[uint64(row + x)]
                    v = g[uint64(g_base + y * ow + x)]
                    image[uint64(out + 2 * x)] = v if k == 2 * i else 0.0
                    image[uint64(out + 2 * x + 1)] = v if k == 2 * i + 1 else 0.0


# ----------------------------------------------------------------------------- average pooling


# The average pooling kernels split their planes into at most this many chunks, tasks for the
# threads: each chunk allocates its scratch planes once.
CHUNKS = 64


@njit(parallel=False, error_model="numpy")
def _avg_2x2(image, base, w, out, o, oh, ow, divisor):
    """One plane of ``AvgPool2d(2)``: ``out[o + y ow + x] = (a00 + a01 + a10 + a11) /
    divisor`` for the 2x2 window at ``(2 y, 2 x)`` of the plane at ``image[base]`` (rows of
    ``w``), added in kernel-offset order. Constant trip counts: the window is unrolled."""
    for y in range(oh):
        for x in range(ow):
            corner = base + 2 * y * w + 2 * x
            v = image[uint64(corner)]
            v += image[uint64(corner + 1)]
            v += image[uint64(corner + w)]
            v += image[uint64(corner + w + 1)]
            out[uint64(o + y * ow + x)] = v / divisor[uint64(y * ow + x)]


@njit(parallel=False, error_model="numpy")
def _window_sums(src, base, width, acc, m, kh, kw):
    """Stride-1 window sums of the plane at ``src[base]`` (rows of ``width``): ``acc[e] +=
    src[base + i width + j + e]`` for ``e < m``, offset by offset. ``acc`` has rows of
    ``width`` too, so each offset is one long loop over the plane (the sums that are not
    windows' are never read)."""
    for i in range(kh):
        for j in range(kw):
            s = base + i * width + j
            for e in range(m):
                acc[e] += src[uint64(s + e)]


@njit(parallel=False, error_model="numpy")
def _window_adds(dst, base, width, scaled, m, kh, kw):
    """The adjoint of ``_window_sums``: ``dst[base + i width + j + e] += scaled[e]`` for
    ``e < m``, offset by offset; ``scaled`` is zero where there is no window's corner."""
    for i in range(kh):
        for j in range(kw):
            s = base + i * width + j
            for e in range(m):
                dst[uint64(s + e)] += scaled[e]


@kernel(error_model="numpy")
def avg_pool(image, steps, size, out, shape, divisor, window, stride, pads):
    """Average pooling: ``out[c, n, y, x] = (sum of plane (c, n) at (y sh + i - top, x sw + j
    - left) over the kernel offsets (i, j) that land inside the image) / divisor[y, x]``, the
    window sums of the zero-padded image over each window's divisor.

    ``image`` is a flat buffer in which plane ``(c, n)``, in rows of W contiguous elements,
    starts at ``c steps[0] + n steps[1]``; ``size`` is (H, W); ``out`` is a flat C-contiguous
    array of ``shape`` (C, N, OH, OW), every element written; ``divisor`` a flat (OH, OW)
    array; ``window`` (kh, kw), ``stride`` (sh, sw), ``pads`` ((top, bottom), (left, right)),
    none negative.

    One plane at a time, in the cache, by one of three loops (the module docstring says why
    each); on each a sum gets its terms in kernel-offset order, as on the NumPy path, so the
    two are equal (the zeros of the padding added or not change nothing):

    * 2x2 windows at stride 2 without padding (``AvgPool2d(2)``): the window unrolled.
    * strides up to 2: the plane (copied into a zero-bordered scratch plane if there is
      padding) is summed at every kernel offset by one long loop over the whole plane
      (``_window_sums``, the window sums at stride 1), and the sums at the windows' corners
      divided into ``out``.
    * other strides: per kernel offset and output row, the row segment that lands inside
      the image is added.
    """
    n_c, n_n, oh, ow = shape
    h, w = size  # one tuple per line: numba 0.68's parallel compile crashes on nested unpacking
    kh, kw = window
    sh, sw = stride
    (top, bottom), (left, right) = pads
    padded = top + bottom + left + right > 0
    two = kh == 2 and kw == 2 and sh == 2 and sw == 2 and not padded
    unit = sh * sw <= 4
    hp, wp = h + top + bottom, w + left + right
    m = (oh - 1) * sh * wp + (ow - 1) * sw + 1
    planes = n_c * n_n
    chunks = min(planes, CHUNKS)
    for chunk in prange(chunks):
        pad = np.zeros(hp * wp if unit and padded else 0, dtype=image.dtype)  # border stays 0
        acc = np.empty(m if unit else 0, dtype=out.dtype)
        for p in range(chunk * planes // chunks, (chunk + 1) * planes // chunks):
            c = p // n_n
            n = p - c * n_n
            base = c * steps[0] + n * steps[1]
            o = p * oh * ow
            if two:
                _avg_2x2(image, base, w, out, o, oh, ow, divisor)
            elif unit:
                for e in range(m):
                    acc[e] = 0
                if padded:
                    for r in range(h):
                        row = (r + top) * wp + left
                        for q in range(w):
                            pad[uint64(row + q)] = image[uint64(base + r * w + q)]
                    _window_sums(pad, 0, wp, acc, m, kh, kw)
                else:
                    _window_sums(image, base, w, acc, m, kh, kw)
                for y in range(oh):
                    for x in range(ow):
                        e = y * ow + x
                        out[uint64(o + e)] = acc[uint64(y * sh * wp + x * sw)] / divisor[e]
            else:
                for e in range(oh * ow):
                    out[uint64(o + e)] = 0
                for i in range(kh):
                    for j in range(kw):
                        shift = j - left  # image column of window x: x sw + shift
                        x0 = 0 if shift >= 0 else (sw - 1 - shift) // sw
                        x1 = min(ow, (w - 1 - shift) // sw + 1) if shift < w else 0
                        for y in range(oh):
                            r = y * sh + i - top
                            if r >= 0 and r < h:
                                src = base + r * w + shift
                                dst = o + y * ow
                                for x in range(x0, x1):
                                    out[uint64(dst + x)] += image[uint64(src + x * sw)]
                for e in range(oh * ow):
                    out[uint64(o + e)] /= divisor[e]


@kernel(error_model="numpy")
def avg_unpool(g, steps, shape, divisor, image, image_steps, size, window, stride, pads):
    """Average pooling's gradient: ``image[c, n, r, q] = sum of g[c, n, y, x] / divisor[y,
    x]`` over the windows ``(y, x)`` and kernel offsets ``(i, j)`` with ``(r, q) = (y sh + i -
    top, x sw + j - left)``; what lands in the padding is dropped.

    ``g`` is a flat buffer in which plane ``(c, n)`` of ``shape`` (C, N, OH, OW), OH OW
    contiguous elements, starts at ``c steps[0] + n steps[1]``; ``divisor`` a flat (OH, OW)
    array; ``image`` a flat buffer with plane ``(c, n)`` (H W contiguous elements) at ``c
    image_steps[0] + n image_steps[1]``, every element written; ``size`` (H, W), ``window``
    (kh, kw), ``stride`` (sh, sw), ``pads`` ((top, bottom), (left, right)), none negative.

    One plane at a time, in the cache: the quotients ``g / divisor`` (the NumPy path's), then
    ``avg_pool``'s three loops reversed: the 2x2 windows at stride 2 written; for strides up
    to 2, the quotients put at the windows' corners of a plane of zeros and added at every
    kernel offset by one long loop (``_window_adds``) into a zero-bordered scratch plane (or
    the image plane itself without padding); other strides by row segments. Each image
    element gets its terms in kernel-offset order, as on the NumPy path (adding zeros
    changes nothing), so the two are equal.
    """
    n_c, n_n, oh, ow = shape
    h, w = size  # one tuple per line: numba 0.68's parallel compile crashes on nested unpacking
    kh, kw = window
    sh, sw = stride
    (top, bottom), (left, right) = pads
    padded = top + bottom + left + right > 0
    two = kh == 2 and kw == 2 and sh == 2 and sw == 2 and not padded
    unit = sh * sw <= 4
    hp, wp = h + top + bottom, w + left + right
    m = (oh - 1) * sh * wp + (ow - 1) * sw + 1
    planes = n_c * n_n
    chunks = min(planes, CHUNKS)
    for chunk in prange(chunks):
        pad = np.empty(hp * wp if unit and padded else 0, dtype=image.dtype)
        scaled = np.zeros(m if unit else oh * ow, dtype=g.dtype)  # 0 between rows if unit
        for p in range(chunk * planes // chunks, (chunk + 1) * planes // chunks):
            c = p // n_n
            n = p - c * n_n
            src = c * steps[0] + n * steps[1]
            base = c * image_steps[0] + n * image_steps[1]
            if two:  # every element is written at most once: zero only those no window sees
                if 2 * oh < h or 2 * ow < w:
                    for e in range(h * w):
                        image[uint64(base + e)] = 0
                for y in range(oh):
                    for x in range(ow):
                        q = g[uint64(src + y * ow + x)] / divisor[uint64(y * ow + x)]
                        corner = base + 2 * y * w + 2 * x
                        image[uint64(corner)] = q
                        image[uint64(corner + 1)] = q
                        image[uint64(corner + w)] = q
                        image[uint64(corner + w + 1)] = q
            elif unit:
                for y in range(oh):
                    for x in range(ow):
                        e = y * ow + x
                        scaled[uint64(y * sh * wp + x * sw)] = g[uint64(src + e)] / divisor[e]
                if padded:
                    for e in range(hp * wp):
                        pad[e] = 0
                    _window_adds(pad, 0, wp, scaled, m, kh, kw)
                    for r in range(h):
                        row = (r + top) * wp + left
                        for q in range(w):
                            image[uint64(base + r * w + q)] = pad[uint64(row + q)]
                else:
                    for e in range(h * w):
                        image[uint64(base + e)] = 0
                    _window_adds(image, base, w, scaled, m, kh, kw)
            else:
                for e in range(oh * ow):
                    scaled[e] = g[uint64(src + e)] / divisor[e]
                for e in range(h * w):
                    image[uint64(base + e)] = 0
                for i in range(kh):
                    for j in range(kw):
                        shift = j - left  # image column of window x: x sw + shift
                        x0 = 0 if shift >= 0 else (sw - 1 - shift) // sw
                        x1 = min(ow, (w - 1 - shift) // sw + 1) if shift < w else 0
                        for y in range(oh):
                            r = y * sh + i - top
                            if r >= 0 and r < h:
                                row = y * ow
                                dst = base + r * w + shift
                                for x in range(x0, x1):
                                    image[uint64(dst + x * sw)] += scaled[uint64(row + x)]


@kernel(error_model="numpy")
def avg_pool3d(image, steps, size, out, shape, divisor, window, stride, pads):
    """Average pooling of 3-d windows: ``out[c, n, z, y, x] = (sum over the kernel offsets
    (a, i, j), in order, of plane (c, n) at (z sd + a - front, y sh + i - top, x sw + j -
    left) where that is inside the image) / divisor[z, y, x]``. ``image``: a flat buffer, plane
    ``(c, n)`` (D H W contiguous elements) at ``c steps[0] + n steps[1]``; ``out`` flat
    C-contiguous of ``shape`` (C, N, OD, OH, OW); ``size`` (D, H, W); ``pads`` none negative.

    One plane at a time, its output block in the cache; the offsets in the outer loops, so
    each sum gets its terms in the NumPy path's order (equal results). AvgPool3d(3, 2, 1) on
    (4, 16, 16, 16, 16) float32, forward + backward with ``avg_unpool3d`` (min of 5, 2 threads):
    3.5 ms on the NumPy path, 1.5 ms with these kernels (PyTorch 0.9-1.5 ms).
    """
    n_c, n_n, od, oh, ow = shape
    d, h, w = size  # one tuple per line: numba 0.68's parallel compile crashes on nested unpacking
    kd, kh, kw = window
    sd, sh, sw = stride
    front = pads[0][0]
    top = pads[1][0]
    left = pads[2][0]
    vol = od * oh * ow
    for p in prange(n_c * n_n):
        c = p // n_n
        n = p - c * n_n
        base = c * steps[0] + n * steps[1]
        o = p * vol
        for e in range(vol):
            out[o + e] = 0
        for a in range(kd):
            for i in range(kh):
                for j in range(kw):
                    shift = j - left  # image column of window x: x sw + shift
                    x0 = 0 if shift >= 0 else (sw - 1 - shift) // sw
                    x1 = min(ow, (w - 1 - shift) // sw + 1) if shift < w else 0
                    for z in range(od):
                        s = z * sd + a - front
                        if s < 0 or s >= d:
                            continue
                        for y in range(oh):
                            r = y * sh + i - top
                            if r < 0 or r >= h:
                                continue
                            src = base + (s * h + r) * w + shift
                            dst = o + (z * oh + y) * ow
                            for x in range(x0, x1):
                                out[uint64(dst + x)] += image[uint64(src + x * sw)]
        for e in range(vol):
            out[o + e] /= divisor[e]


@kernel(error_model="numpy")
def avg_unpool3d(g, steps, shape, divisor, image, image_steps, size, window, stride, pads):
    """Average pooling's gradient for 3-d windows: every image element of plane (c, n) the sum,
    over the kernel offsets in order, of ``g / divisor`` of the windows that see it (zero where
    none does). ``g`` a flat buffer with planes (OD OH OW contiguous elements) at ``c steps[0]
    + n steps[1]`` of ``shape`` (C, N, OD, OH, OW); ``image`` likewise with ``image_steps`` and
    planes of ``size`` (D, H, W); geometry as ``avg_pool3d``'s. The quotients are taken once
    per plane (the NumPy path's ``g / divisor``), then added at every kernel offset."""
    n_c, n_n, od, oh, ow = shape
    d, h, w = size
    kd, kh, kw = window
    sd, sh, sw = stride
    front = pads[0][0]
    top = pads[1][0]
    left = pads[2][0]
    vol = od * oh * ow
    planes = n_c * n_n
    chunks = min(planes, CHUNKS)
    for chunk in prange(chunks):
        scaled = np.empty(vol, dtype=g.dtype)
        for p in range(chunk * planes // chunks, (chunk + 1) * planes // chunks):
            c = p // n_n
            n = p - c * n_n
            src = c * steps[0] + n * steps[1]
            base = c * image_steps[0] + n * image_steps[1]
            for e in range(vol):
                scaled[e] = g[uint64(src + e)] / divisor[e]
            for e in range(d * h * w):
                image[uint64(base + e)] = 0
            for a in range(kd):
                for i in range(kh):
                    for j in range(kw):
                        shift = j - left  # image column of window x: x sw + shift
                        x0 = 0 if shift >= 0 else (sw - 1 - shift) // sw
                        x1 = min(ow, (w - 1 - shift) // sw + 1) if shift < w else 0
                        for z in range(od):
                            s = z * sd + a - front
                            if s < 0 or s >= d:
                                continue
                            for y in range(oh):
                                r = y * sh + i - top
                                if r < 0 or r >= h:
                                    continue
                                row = (z * oh + y) * ow
                                dst = base + (s * h + r) * w + shift
                                for x in range(x0, x1):
                                    image[uint64(dst + x * sw)] += scaled[uint64(row + x)]
