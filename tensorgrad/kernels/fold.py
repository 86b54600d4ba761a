"""col2im: the kernel behind ``Fold`` (tensorgrad/ops/conv.py), a convolution's input gradient.

``Fold`` adds every window of ``cols`` (C, kh, kw, N, OH, OW) back at its place in an image
(N, C, H, W). Its NumPy code, the reference, makes one strided ``+=`` per kernel offset over
the whole batch: each pass reads and writes the whole image (9 passes for a 3x3 kernel), from
memory once the image is larger than the cache. Here one loop runs over the (channel, image)
planes, split across the cores by ``prange``: a plane is zeroed, then the kh kw window blocks
that land on it are added while it sits in the L1 cache. Bytes moved: ``cols`` read once, the
image written once.

Indices are computed as flat offsets and turned into unsigned integers at each access. numba
treats a signed index as possibly negative and adds Python's wrap-around (``a[-1]``) test to
every load and store, which keeps LLVM from vectorising the loop: a copy ``b[i] = a[i + off]``
ran at 4.1 ms for 3.6 M float32, 0.67 ms with ``a[uint64(i + off)]`` (NumPy's copy: 0.69 ms).
A loop index from ``range`` is known to be non-negative and needs no cast.

Measured on the CNN benchmark's conv2 input gradient (cols (32, 3, 3, 64, 14, 14) float32,
3x3, padding 1; min of 7, quiet 2-core AMD EPYC): NumPy 3.1 ms, this kernel 1.16 ms on
2 threads (1.8 ms on one). The same kernel for ``Unfold`` (im2col) ran at NumPy's speed
(1.30 vs 1.30 ms: both are a copy bound by memory) and is not kept.
"""

from __future__ import annotations

from . import kernel, prange

try:
    from numba import uint64
except ImportError:  # never called without numba
    uint64 = int


@kernel(error_model="numpy")
def fold(cols, image, steps, size, stride, dilation, corner):
    """``image[c, n, r, q] = sum of cols[c, i, j, n, y, x]`` over the windows ``(y, x)`` and
    kernel offsets ``(i, j)`` with ``(r, q) = (y sh + i dh - top, x sw + j dw - left)``.

    ``cols`` is C-contiguous (C, kh, kw, N, OH, OW); ``image`` a flat buffer in which plane
    ``(c, n)`` (H W contiguous elements) starts at ``c steps[0] + n steps[1]``; ``size`` is
    (H, W), ``stride`` (sh, sw), ``dilation`` (dh, dw), ``corner`` (top, left). Every image
    element is written (zero where no window lands).
    """
    n_c, kh, kw, n_n, oh, ow = cols.shape
    h, w = size  # one tuple per line: numba 0.68's parallel compile crashes on nested unpacking
    sh, sw = stride
    dh, dw = dilation
    top, left = corner
    flat = cols.reshape(cols.size)
    for p in prange(n_c * n_n):
        c = p // n_n
        n = p - c * n_n
        base = c * steps[0] + n * steps[1]
        for e in range(h * w):
            image[uint64(base + e)] = 0
        for i in range(kh):
            for j in range(kw):
                shift = j * dw - left  # image column of window x: x sw + shift
                x0 = 0 if shift >= 0 else (sw - 1 - shift) // sw
                x1 = min(ow, (w - 1 - shift) // sw + 1) if shift < w else 0
                block = (((c * kh + i) * kw + j) * n_n + n) * oh * ow
                for y in range(oh):
                    r = y * sh + i * dh - top
                    if r >= 0 and r < h:
                        src = block + y * ow
                        dst = base + r * w + shift
                        for x in range(x0, x1):
                            image[uint64(dst + x * sw)] += flat[uint64(src + x)]


@kernel(error_model="numpy")
def fold3d(cols, image, steps, size, stride, dilation, corner):
    """``fold`` for 3-d windows: ``image[c, n, s, r, q] = sum of cols[c, a, i, j, n, z, y, x]``
    with ``(s, r, q) = (z sd + a dd - front, y sh + i dh - top, x sw + j dw - left)``.

    ``cols`` is C-contiguous (C, kd, kh, kw, N, OD, OH, OW); plane ``(c, n)`` of ``image`` (D H W
    contiguous elements) starts at ``c steps[0] + n steps[1]``; ``size`` is (D, H, W) and
    ``stride``, ``dilation``, ``corner`` (front, top, left) follow that order. Conv3d's input
    gradient of (4, 8, 16, 16, 16) float32, 3x3x3, padding 1 (min of 7, 2 threads): NumPy
    2.7-3.0 ms, this kernel 0.93 ms; the layer's forward + backward 10.4-10.9 ms -> 8.4-8.6 ms
    (PyTorch 7.9 ms).
    """
    n_c, kd, kh, kw, n_n, od, oh, ow = cols.shape
    d, h, w = size
    sd, sh, sw = stride
    dd, dh, dw = dilation
    front, top, left = corner
    flat = cols.reshape(cols.size)
    for p in prange(n_c * n_n):
        c = p // n_n
        n = p - c * n_n
        base = c * steps[0] + n * steps[1]
        for e in range(d * h * w):
            image[uint64(base + e)] = 0
        for a in range(kd):
            for i in range(kh):
                for j in range(kw):
                    shift = j * dw - left  # image column of window x: x sw + shift
                    x0 = 0 if shift >= 0 else (sw - 1 - shift) // sw
                    x1 = min(ow, (w - 1 - shift) // sw + 1) if shift < w else 0
                    block = ((((c * kd + a) * kh + i) * kw + j) * n_n + n) * od * oh * ow
                    for z in range(od):
                        s = z * sd + a * dd - front
                        if s >= 0 and s < d:
                            for y in range(oh):
                                r = y * sh + i * dh - top
                                if r >= 0 and r < h:
                                    src = block + (z * oh + y) * ow
                                    dst = base + (s * h + r) * w + shift
                                    for x in range(x0, x1):
                                        image[uint64(dst + x * sw)] += flat[uint64(src + x)]
