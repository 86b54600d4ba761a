"""Sliding windows over images: ``Unfold`` (im2col) and ``Fold`` (col2im), ``MaxPool`` and
its gradient ``Unpool``, ``AvgPool`` and its gradient ``AvgUnpool``.

Convolution and transposed convolution are compositions (see ``tensorgrad/nn/conv.py``):
``Unfold`` copies every window of a padded image into one array, a single matrix product with
the weights does all the multiply-adds, and the gradient with respect to the windows goes back
through ``Fold``. Unfold and Fold are linear and each other's adjoint, so each is the other's
gradient and convolutions are differentiable to any order. ``Unpool`` (max pooling's
gradient) is linear too; its gradient is written with Unfold. Average pooling is a primitive
rather than Unfold and a sum, which would copy every element into kh kw windows first:
``AvgPool`` adds the windows up in place, ``AvgUnpool`` adds each window's gradient back;
both are linear and each other's adjoint, so each is the other's gradient.

Every op here works on images with two spatial axes (N, C, H, W) or three (N, C, D, H, W): the
code runs over the spatial axes, and 1-d windows are 2-d ones of height 1 (nn/conv.py).
Window geometry, the same for every op here, per spatial axis (depth, height, width): kernel
size ``k``, ``stride`` s, ``dilation`` d and ``pads`` (before, after) of zeros (-inf for max
pooling). A pad may be negative, which crops the image instead (a transposed convolution's
output can be longer than its windows reach). The padded length is ``P = H + before + after``,
the number of windows ``(P - d (k - 1) - 1) // s + 1``, and window ``y`` covers padded rows
``y s + i d`` for ``i < k``.

Layout: the windows array is ``(C, kh, kw, N, OH, OW)`` (``(C, kd, kh, kw, N, OD, OH, OW)``
in 3-d). With C first it reshapes for free
to ``(groups, C/groups * kh * kw, N * OH * OW)``, the right operand of one batched matrix
product per convolution, and it is read and written in contiguous ``(C, N, OH, OW)`` blocks,
one per kernel offset. Images made here are stored as ``(C, N, H, W)`` in memory and handed
out as the ``(N, C, H, W)`` transposed view; a convolution's output comes out of its matrix
product in that layout too, so a chain of layers never transposes its activations. (A
gradient image takes the layout of the image it is the gradient of: elementwise ops on two
arrays of different layouts are several times slower.)

No loop here runs over pixels: each loops over the ``kh * kw`` (``kd kh kw``) kernel offsets,
each step one array operation over the whole batch (a strided copy, add or compare). Padding
is never materialised for convolutions: each offset copies (or adds) only the part of its
windows that lies inside the image.

With the numba kernels on (``tensorgrad.kernels``), ``Fold``, ``Unpool``, ``AvgPool`` and
``AvgUnpool`` on float32/float64 NumPy images with two spatial axes are loops over the
(channel, image) planes on every core (tensorgrad/kernels/fold.py and pooling.py, equal to the
code here, which stays the reference and the path for CuPy and other dtypes); so is
``max_windows`` for the most common pooling, 2x2 windows at stride 2. Numba kernels for Unfold
and max_windows' other geometries were measured no faster than the strided NumPy code here on
2 cores (see kernels/fold.py and kernels/pooling.py), so these stay NumPy. Images with three
spatial axes always take the NumPy code here, so the switch cannot change their results.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from .. import kernels
from ..autograd.function import Op
from ..backend import xp_of
from ..kernels import fold, pooling
from ..tensor import Tensor
from .linalg import MatMul


def out_size(size: int, k: int, s: int, d: int, before: int, after: int) -> int:
    """The number of windows along one axis (at least 0)."""
    return max((size + before + after - d * (k - 1) - 1) // s + 1, 0)


def _n_out(shape, kernel, stride, dilation, pads) -> tuple:
    """The number of windows along each spatial axis of an image of ``shape`` (N, C, ...)."""
    return tuple(map(out_size, shape[2:], kernel, stride, dilation, *zip(*pads)))


def _inside(size: int, n_out: int, offset: int, s: int, before: int):
    """Which window positions ``y`` put kernel row ``offset`` (already times the dilation)
    inside an image of ``size`` rows, and which rows those are: ``(windows, rows)`` slices,
    or None when none does. Row of window y: ``y s + offset - before``."""
    first = offset - before  # the image row of window 0
    y0 = max(0, -(first // s))  # the first y with y s + first >= 0
    y1 = min(n_out, (size - 1 - first) // s + 1)  # one past the last with row < size
    if y1 <= y0:
        return None
    r0 = y0 * s + first
    return slice(y0, y1), slice(r0, r0 + (y1 - y0 - 1) * s + 1, s)


def _offsets(size, n_out, kernel, stride, dilation, pads):
    """For each kernel offset ``(i, j, ...)``, in row-major order: ``(offset, windows,
    pixels)``, the index of the window positions that see the image at that offset, and of
    the image pixels they see (None where no window does)."""
    axes = [
        [_inside(n, o, i * d, s, p[0]) for i in range(k)]
        for n, o, k, s, d, p in zip(size, n_out, kernel, stride, dilation, pads)
    ]
    for offset in itertools.product(*map(range, kernel)):
        parts = [axes[a][i] for a, i in enumerate(offset)]
        if any(part is None for part in parts):
            yield offset, None, None
        else:
            yield offset, (..., *(p[0] for p in parts)), (..., *(p[1] for p in parts))


def _flat_offset(offset: tuple, kernel: tuple) -> int:
    """The row-major number of a kernel offset: ``i kw + j`` in 2-d."""
    k = 0
    for i, n in zip(offset, kernel):
        k = k * n + i
    return k


def _at(offset: tuple) -> tuple:
    """The index of one kernel offset's block of a windows array (C, *kernel, N, *n_out)."""
    return (slice(None), *offset)


def _channels_first(x) -> bool:
    """Whether the image ``x`` (N, C, ...) is stored channel-major, as images made here are."""
    return not x.flags.c_contiguous and x.strides[1] > x.strides[0]


def _image(make, shape, dtype, channels_first: bool, out=None):
    """A new image (N, C, ...) stored (C, N, ...) or (N, C, ...), as its (C, N, ...) view;
    or ``out`` (a buffer of tg.compile's) as that view, zeroed if ``make`` is ``zeros``."""
    if out is not None:
        image = _planes_of(out, channels_first)
        if make is xp_of(out).zeros:
            image[...] = 0
        return image
    n, c, *size = shape
    if channels_first:
        return make((c, n, *size), dtype=dtype)
    return make(shape, dtype=dtype).swapaxes(0, 1)


def _planes_of(out, channels_first: bool = True):
    """``out`` (N, C, ...), a buffer of tg.compile's that an op writes its result into, as
    the (C, N, ...) view the op works on; stored as the op stores its own results."""
    if not (out.swapaxes(0, 1) if channels_first else out).flags.c_contiguous:
        raise ValueError(f"out (strides {out.strides}) is not an image stored as made here")
    return out.swapaxes(0, 1)


def _covers(pixels: slice, size: int) -> bool:
    """Whether a slice from ``_inside`` is every row (or column) of the image."""
    return pixels.start == 0 and pixels.step == 1 and pixels.stop == size


def _zero_outside(a, block) -> None:
    """Zero ``a`` (C, N, ...) outside ``block``, an index ``(..., slices)`` of slices with
    step 1, one per spatial axis."""
    for axis, s in enumerate(block[1:]):
        lead = (slice(None),) * (2 + axis)
        a[(*lead, slice(None, s.start))] = 0
        a[(*lead, slice(s.stop, None))] = 0


def _geometry(ctx, kernel, stride, dilation, pads) -> None:
    ctx.kernel, ctx.stride, ctx.dilation, ctx.pads = kernel, stride, dilation, pads


def _geometry_of(ctx) -> dict:
    return dict(kernel=ctx.kernel, stride=ctx.stride, dilation=ctx.dilation, pads=ctx.pads)


def unfold_into(x, kernel=(1, 1), stride=(1, 1), dilation=(1, 1), pads=((0, 0), (0, 0)), *, out):
    """``Unfold``'s windows of ``x`` written into ``out`` (C, *kernel, N, *n_out)."""
    n_out = out.shape[len(kernel) + 2 :]
    image = x.swapaxes(0, 1)  # (C, N, ...), as each block of cols
    for offset, windows, pixels in _offsets(x.shape[2:], n_out, kernel, stride, dilation, pads):
        block = out[_at(offset)]
        if windows is None:  # this offset only ever sees padding
            block[...] = 0
            continue
        block[windows] = image[pixels]
        _zero_outside(block, windows)  # the window positions where it sees padding
    return out


class Unfold(Op):
    """im2col: the windows of ``x`` (N, C, H, W), zero-padded by ``pads``, as one array
    ``cols`` (C, kh, kw, N, OH, OW) with ``cols[c, i, j, n, y, x] = xpad[n, c, y sh + i dh,
    x sw + j dw]``; the same with a depth axis in front for (N, C, D, H, W) images. Linear;
    the gradient is ``Fold`` (each pixel gets the sum of the gradients of every window
    position it was copied to)."""

    def forward(ctx, x, kernel=(1, 1), stride=(1, 1), dilation=(1, 1), pads=((0, 0), (0, 0))):
        _geometry(ctx, kernel, stride, dilation, pads)
        ctx.channels_first = _channels_first(x)
        n, c = x.shape[:2]
        n_out = _n_out(x.shape, kernel, stride, dilation, pads)
        cols = xp_of(x).empty((c, *kernel, n, *n_out), dtype=x.dtype)
        return unfold_into(x, kernel, stride, dilation, pads, out=cols)

    def backward(ctx, g):
        size = ctx.input_shapes[0][2:]
        return Fold.apply(g, size=size, channels_first=ctx.channels_first, **_geometry_of(ctx))


class Fold(Op):
    """col2im, the adjoint of ``Unfold``: adds every window of ``cols`` (C, kh, kw, N, OH, OW)
    back at its place in a zero image of ``size`` (H, W), padded by ``pads``, and drops the
    padding: (N, C, H, W), stored (C, N, H, W) unless ``channels_first`` is False (the same
    with a depth axis for 3-d windows). Overlapping windows add up. The gradient is
    ``Unfold``."""

    def forward(
        ctx,
        cols,
        size=(1, 1),
        kernel=(1, 1),
        stride=(1, 1),
        dilation=(1, 1),
        pads=((0, 0), (0, 0)),
        channels_first=True,
        out=None,
    ):
        _geometry(ctx, kernel, stride, dilation, pads)
        spatial = len(kernel)
        c, n, n_out = cols.shape[0], cols.shape[spatial + 1], cols.shape[spatial + 2 :]
        xp = xp_of(cols)
        if spatial in (2, 3) and kernels.takes(cols):
            image = _image(xp.empty, (n, c, *size), cols.dtype, channels_first, out)
            steps = tuple(s // cols.itemsize for s in image.strides[:2])  # planes (c, n)
            buffer = image if channels_first else image.swapaxes(0, 1)
            corner = tuple(p[0] for p in pads)  # the padding before each axis
            cols = xp.ascontiguousarray(cols)
            kernel_fn = fold.fold if spatial == 2 else fold.fold3d
            kernel_fn(cols, buffer.reshape(-1), steps, size, stride, dilation, corner)
            return image.swapaxes(0, 1)
        if spatial == 1 and out is None and kernels.takes(cols):  # the 2-d kernel, height 1
            cols2 = cols.reshape(c, 1, kernel[0], n, 1, n_out[0])
            image = Fold.forward(
                ctx, cols2, (1, *size), (1, *kernel), (1, *stride), (1, *dilation),
                ((0, 0), *pads), channels_first,
            )  # fmt: skip
            _geometry(ctx, kernel, stride, dilation, pads)  # the backward's: 1-d
            return image[:, :, 0]
        offsets = [o for o in _offsets(size, n_out, kernel, stride, dilation, pads) if o[1]]
        # an offset whose windows cover the whole image (the centre of a 'same' convolution)
        # is copied in first instead of added to zeros: one pass less over the image
        first = next((o for o in offsets if all(map(_covers, o[2][1:], size))), None)
        make = xp.empty if first else xp.zeros
        image = _image(make, (n, c, *size), cols.dtype, channels_first, out)
        if first:
            offset, windows, pixels = first
            image[pixels] = cols[_at(offset)][windows]
        for o in offsets:  # one strided add per kernel offset
            offset, windows, pixels = o
            if o is not first:
                image[pixels] += cols[_at(offset)][windows]
        return image.swapaxes(0, 1)

    def backward(ctx, g):
        return Unfold.apply(g, **_geometry_of(ctx))


class BiasMatMul(Op):
    """``a @ b + bias`` for ``a`` (..., M, K), ``b`` (..., K, L) and ``bias`` (..., M, 1): a
    convolution's product (weights times windows) and its bias. The bias is added in place,
    in the product's own buffer: one pass less over the output than ``a @ b + bias``."""

    saves_inputs = True

    @staticmethod
    def inputs_to_save(needs, inputs):  # a is read only for b's gradient and vice versa
        return (None, inputs[1] if needs[2] else None, inputs[2] if needs[1] else None)

    def forward(ctx, bias, a, b):
        out = xp_of(a).matmul(a, b)
        out += bias
        return out

    def backward(ctx, g):  # d/dbias = sum over columns, d/da = g bᵀ, d/db = aᵀ g
        _, a, b = ctx.saved_tensors
        need_bias, need_a, need_b = ctx.needs_input_grad
        return (
            g.sum(-1, keepdim=True) if need_bias else None,
            MatMul.apply(g, b.mT) if need_a else None,
            MatMul.apply(a.mT, g) if need_b else None,
        )


def _pad_image(x, pads, value):
    """``x`` (N, C, ...) padded by ``pads`` (non-negative here) of ``value``: a
    (C, N, ...)-ordered copy, or ``x`` itself without padding."""
    if all(p == (0, 0) for p in pads):
        return x
    n, c, *size = x.shape
    out = xp_of(x).full((c, n, *(s + b + a for s, (b, a) in zip(size, pads))), value, x.dtype)
    out[(..., *(slice(b, b + s) for s, (b, _) in zip(size, pads)))] = x.swapaxes(0, 1)
    return out.swapaxes(0, 1)


def max_windows(x, kernel, stride, dilation, pads, best=None) -> tuple:
    """The maximum of each window of ``x`` (N, C, ...) padded with -inf, as a (C, N, ...)
    array (written into ``best`` if given, C-contiguous), and the kernel offset (row-major:
    ``i kw + j`` in 2-d) where it is (the first, in row-major order, if several are equal; the
    last NaN if any is NaN: PyTorch's choices)."""
    xp = xp_of(x)
    n_out = _n_out(x.shape, kernel, stride, dilation, pads)
    image = _pad_image(x, pads, -xp.inf).swapaxes(0, 1)  # (C, N, ...), padded
    if kernel == stride == (2, 2) and dilation == (1, 1) and kernels.takes(image):
        return _max_pool_2x2(image, n_out, best)
    offsets = list(itertools.product(*map(range, kernel)))

    def at(k):  # the (C, N, *n_out) view of every window's element at kernel offset k
        steps = zip(offsets[k], dilation, n_out, stride)
        return image[(..., *(slice(i * d, i * d + (o - 1) * s + 1, s) for i, d, o, s in steps))]

    if best is None:
        best = at(0).copy()
    else:
        best[...] = at(0)
    index = xp.zeros(best.shape, dtype=xp.int8 if len(offsets) <= 127 else xp.int32)
    greater = xp.empty(best.shape, dtype=bool)
    step = xp.empty(best.shape, dtype=index.dtype)
    for k in range(1, len(offsets)):
        v = at(k)
        xp.greater(v, best, out=greater)  # strictly: the first of equal maxima stays
        xp.maximum(best, v, out=best)  # NaN propagates
        # index = k where greater: index += greater * (k - index), branch-free integer ops,
        # several times faster than a masked copy or a where
        xp.subtract(index.dtype.type(k), index, out=step)
        xp.multiply(step, greater, out=step)
        index += step
    nan = xp.isnan(best)
    if nan.any():  # PyTorch lets a later NaN replace an earlier one: the last NaN wins
        for k in range(len(offsets)):
            index[nan & xp.isnan(at(k))] = k
    return best, index


def _max_pool_2x2(image, n_out, best=None) -> tuple:
    """``max_windows`` of 2x2 windows at stride 2 by kernels/pooling.py on ``image`` (C, N, H',
    W'), padded."""
    buffer, (c_step, n_step) = _planes(image.transpose(1, 0, 2, 3))
    if best is None:
        best = np.empty((*image.shape[:2], *n_out), dtype=image.dtype)
    index = np.empty(best.shape, dtype=np.int8)
    steps = (c_step, n_step, image.shape[3])
    flat = (buffer, steps, best.reshape(-1), index.reshape(-1), best.shape)
    pooling.max_pool_2x2(*flat)
    return best, index


def _unpool_2x2(g, index, image) -> None:
    """``Unpool`` of 2x2 windows at stride 2 that tile ``image`` (C, N, H, W) exactly, by
    kernels/pooling.py, from ``g`` (N, C, OH, OW) and ``index`` (C, N, OH, OW)."""
    g_buffer, g_steps = _planes(g)
    buffer, (c_step, n_step) = _planes(image.transpose(1, 0, 2, 3))
    steps = (c_step, n_step, image.shape[3])
    pooling.unpool_2x2(g_buffer, g_steps, index.reshape(-1), buffer, steps, index.shape)


class MaxPool(Op):
    """The maximum of each window of ``x`` (N, C, H, W) or (N, C, D, H, W) padded with -inf:
    (N, C, OH, OW) or (N, C, OD, OH, OW).

    The gradient goes to each window's maximum (the first of equal ones, PyTorch's choice):
    ``Unpool`` of the output gradient with the offsets found here.
    """

    def forward(
        ctx, x, kernel=(1, 1), stride=(1, 1), dilation=(1, 1), pads=((0, 0), (0, 0)), out=None
    ):
        _geometry(ctx, kernel, stride, dilation, pads)
        ctx.channels_first = _channels_first(x)
        best = None if out is None else _planes_of(out)
        best, ctx.index = max_windows(x, kernel, stride, dilation, pads, best)
        return best.swapaxes(0, 1)

    def backward(ctx, g):
        size = ctx.input_shapes[0][2:]
        return Unpool.apply(
            g, index=ctx.index, size=size, channels_first=ctx.channels_first, **_geometry_of(ctx)
        )


class Unpool(Op):
    """Max pooling's gradient: each element of ``g`` (N, C, OH, OW) goes to the element of
    its window at kernel offset ``index`` (C, N, OH, OW), in a zero image of ``size``; where
    windows overlap the values add up (the same with a depth axis for 3-d windows). It is
    ``Fold`` of ``g`` times the one-hot ``index``, without making the one-hot array: one
    compare and one multiply per kernel offset. Linear in ``g``; its gradient gathers,
    ``sum_(i, j) Unfold(gg) one_hot(index)``."""

    def forward(
        ctx,
        g,
        index=None,
        size=(1, 1),
        kernel=(1, 1),
        stride=(1, 1),
        dilation=(1, 1),
        pads=((0, 0), (0, 0)),
        channels_first=True,
        out=None,
    ):
        _geometry(ctx, kernel, stride, dilation, pads)
        ctx.index = index
        xp = xp_of(g)
        c, n, *n_out = index.shape
        if len(kernel) == 2 and kernels.takes(g):
            oh, ow = n_out
            image = _image(xp.empty, (n, c, *size), g.dtype, channels_first, out)
            corner = (pads[0][0], pads[1][0])
            tiles = tuple(size) == (2 * oh, 2 * ow) and corner == (0, 0)
            if kernel == stride == (2, 2) and dilation == (1, 1) and tiles:
                _unpool_2x2(g, index, image)  # each pixel is in one window
                return image.transpose(1, 0, 2, 3)
            (sh, sw), (dh, dw), top, left = stride, dilation, pads[0][0], pads[1][0]
            gt = g.transpose(1, 0, 2, 3)  # (C, N, OH, OW), as index
            pooling.unpool(gt, index, image, kernel[1], sh, sw, dh, dw, top, left)
            return image.transpose(1, 0, 2, 3)
        g = xp.ascontiguousarray(g.swapaxes(0, 1))  # (C, N, ...), as index
        offsets = _offsets(size, n_out, kernel, stride, dilation, pads)
        if not xp.isfinite(g).all():  # 0 * inf would put NaN where no gradient goes
            image = _image(xp.zeros, (n, c, *size), g.dtype, channels_first, out)
            for offset, windows, pixels in offsets:
                if windows is not None:
                    hit = index[windows] == _flat_offset(offset, kernel)
                    image[pixels] += xp.where(hit, g[windows], g.dtype.type(0))
            return image.swapaxes(0, 1)
        disjoint, tiled = True, True
        for k, s, d, p, n_img, n_win in zip(kernel, stride, dilation, pads, size, n_out):
            disjoint &= k == 1 or s >= d * (k - 1) + 1  # no two windows share an element
            tiled &= (k == 1 or d == 1) and s == k and p[0] == 0 and n_win * s == n_img
        make = xp.empty if tiled else xp.zeros
        image = _image(make, (n, c, *size), g.dtype, channels_first, out)
        hit = xp.empty(index.shape, dtype=bool)
        for offset, windows, pixels in offsets:
            if windows is None:
                continue
            xp.equal(index, _flat_offset(offset, kernel), out=hit)
            if disjoint:  # every element is written at most once
                xp.multiply(g[windows], hit[windows], out=image[pixels])
            else:
                image[pixels] += g[windows] * hit[windows]
        return image.swapaxes(0, 1)

    def backward(ctx, gg):
        kernel, index = ctx.kernel, ctx.index
        spatial = len(kernel)
        xp = xp_of(gg.array)
        c, n, *n_out = index.shape
        offsets = xp.arange(math.prod(kernel), dtype=index.dtype)
        offsets = offsets.reshape(1, *kernel, 1, *(1,) * spatial)
        index = index.reshape(c, *(1,) * spatial, n, *n_out)
        one_hot = (index == offsets).astype(gg.array.dtype)
        cols = Unfold.apply(gg, **_geometry_of(ctx)) * Tensor._make(one_hot)
        return cols.sum(tuple(range(1, 1 + spatial))).transpose(0, 1)


def _planes(a) -> tuple:
    """``a`` (N, C, H, W) (or (N, C, D, H, W)) as a flat buffer for the kernels, and the steps
    (in elements) from one (channel, image) plane to the next: ``(buffer, (c step, n step))``.
    Every plane is H W (D H W) contiguous elements; an array stored neither (N, C, ...) nor
    (C, N, ...) is copied."""
    if not (a.flags.c_contiguous or a.swapaxes(0, 1).flags.c_contiguous):
        a = np.ascontiguousarray(a)
    steps = (a.strides[1] // a.itemsize, a.strides[0] // a.itemsize)
    buffer = a if a.flags.c_contiguous else a.swapaxes(0, 1)
    return buffer.reshape(-1), steps


def _window_offsets(size, n_out, kernel, stride, pads) -> list:
    """``(windows, pixels)`` of ``_offsets`` for an average pooling (no dilation), in kernel-
    offset order, for the offsets that see the image."""
    offsets = _offsets(size, n_out, kernel, stride, (1,) * len(kernel), pads)
    return [(windows, pixels) for _, windows, pixels in offsets if windows is not None]


def avg_windows(x, divisor, kernel, stride, pads):
    """The sum of each window of ``x`` (N, C, ...), zero-padded by ``pads``, over ``divisor``
    (the output's spatial shape): a (C, N, ...) array. The terms of each sum are added in
    kernel-offset order on both paths (the NumPy one here, kernels/pooling.py's ``avg_pool``
    and ``avg_pool3d`` for 2-d and 3-d windows)."""
    xp = xp_of(x)
    n, c, *size = x.shape
    n_out = divisor.shape
    if len(kernel) in (2, 3) and kernels.takes(x, divisor) and min(map(min, pads)) >= 0:
        out = np.empty((c, n, *n_out), dtype=x.dtype)
        image, steps = _planes(x)
        flat = (out.reshape(-1), out.shape, divisor.reshape(-1))
        pool = pooling.avg_pool if len(kernel) == 2 else pooling.avg_pool3d
        pool(image, steps, tuple(size), *flat, kernel, stride, pads)
        return out
    image = x.swapaxes(0, 1)  # (C, N, ...), as out
    offsets = _window_offsets(size, n_out, kernel, stride, pads)
    out = xp.empty((c, n, *n_out), dtype=x.dtype)
    if not offsets:  # every window lies in the padding
        out[...] = 0
        return out
    # the first offset is copied in and the window positions it does not see zeroed (as in
    # Unfold): one pass less than adding it to zeros, and the same sums (0 + a = a)
    windows, pixels = offsets[0]
    out[windows] = image[pixels]
    _zero_outside(out, windows)
    for windows, pixels in offsets[1:]:  # one strided add per kernel offset
        out[windows] += image[pixels]
    out /= divisor
    return out


class AvgPool(Op):
    """Average pooling: the sum of each window of ``x`` (N, C, H, W), zero-padded by
    ``pads``, over the window's divisor (an (OH, OW) array of x's dtype, PyTorch's rules in
    nn/pooling.py): ``y[n, c, y, x] = sum_(i, j) xpad[n, c, y sh + i, x sw + j] / divisor[y,
    x]``, (N, C, OH, OW) stored (C, N, OH, OW); the same with a depth axis for (N, C, D, H, W)
    input. No window array is made: each kernel offset adds to the output in place (or, with
    the kernels on, each plane is pooled in the cache).

    Linear in ``x``: the gradient is ``AvgUnpool`` with the same divisor (each window's
    gradient over its divisor, added back over the window)."""

    def forward(ctx, x, divisor=None, kernel=(1, 1), stride=(1, 1), pads=((0, 0), (0, 0))):
        ctx.divisor, ctx.kernel, ctx.stride, ctx.pads = divisor, kernel, stride, pads
        ctx.channels_first = _channels_first(x)
        return avg_windows(x, divisor, kernel, stride, pads).swapaxes(0, 1)

    def backward(ctx, g):
        return AvgUnpool.apply(
            g,
            divisor=ctx.divisor,
            size=ctx.input_shapes[0][2:],
            kernel=ctx.kernel,
            stride=ctx.stride,
            pads=ctx.pads,
            channels_first=ctx.channels_first,
        )


class AvgUnpool(Op):
    """Average pooling's gradient: each element of ``g`` (N, C, OH, OW) over its window's
    ``divisor`` (OH, OW), added back over the window's elements in a zero image of ``size``
    (what lands in the padding is dropped): ``image[n, c, y sh + i - top, x sw + j - left] +=
    g[n, c, y, x] / divisor[y, x]``. (N, C, H, W), stored (C, N, H, W) unless
    ``channels_first`` is False (the same with a depth axis for 3-d windows). It is ``Fold``
    of ``g / divisor`` repeated at every kernel offset, without making that array.

    Linear in ``g`` and the adjoint of ``AvgPool`` (``<AvgUnpool(g), h> = sum g
    AvgPool(h)``): its gradient is ``AvgPool`` with the same divisor, so every order of
    gradient works."""

    def forward(
        ctx,
        g,
        divisor=None,
        size=(1, 1),
        kernel=(1, 1),
        stride=(1, 1),
        pads=((0, 0), (0, 0)),
        channels_first=True,
        out=None,
    ):
        ctx.divisor, ctx.kernel, ctx.stride, ctx.pads = divisor, kernel, stride, pads
        xp = xp_of(g)
        n, c, *n_out = g.shape
        if len(kernel) in (2, 3) and kernels.takes(g, divisor) and min(map(min, pads)) >= 0:
            image = _image(xp.empty, (n, c, *size), g.dtype, channels_first, out)  # (C, N, ...)
            buffer, steps = _planes(g)
            out, out_steps = _planes(image.swapaxes(0, 1))  # a view: no copy
            flat = (divisor.reshape(-1), out, out_steps, tuple(size))
            unpool = pooling.avg_unpool if len(kernel) == 2 else pooling.avg_unpool3d
            unpool(buffer, steps, (c, n, *n_out), *flat, kernel, stride, pads)
            return image.swapaxes(0, 1)
        scaled = g.swapaxes(0, 1) / divisor  # (C, N, ...), as image
        offsets = _window_offsets(size, n_out, kernel, stride, pads)
        disjoint, tiled = True, True
        for k, s, p, n_img, n_win in zip(kernel, stride, pads, size, n_out):
            disjoint &= s >= k  # no two windows share an element
            tiled &= s == k and p[0] == 0 and n_win * s == n_img
        # the first offset is copied in and the rest of the image zeroed, where its pixels are
        # one block: one pass less than adding it to zeros, and the same sums (0 + a = a)
        block = bool(offsets) and not disjoint and all(p.step == 1 for p in offsets[0][1][1:])
        make = xp.empty if tiled or block else xp.zeros
        image = _image(make, (n, c, *size), g.dtype, channels_first, out)
        if block:
            windows, pixels = offsets[0]
            image[pixels] = scaled[windows]
            _zero_outside(image, pixels)
        for windows, pixels in offsets[block:]:  # one strided copy or add per offset
            if disjoint:  # every element is written at most once: 0 + a = a
                image[pixels] = scaled[windows]
            else:
                image[pixels] += scaled[windows]
        return image.swapaxes(0, 1)

    def backward(ctx, gg):
        return AvgPool.apply(
            gg, divisor=ctx.divisor, kernel=ctx.kernel, stride=ctx.stride, pads=ctx.pads
        )
