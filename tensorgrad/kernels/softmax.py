"""Softmax and log-softmax, forward and backward, one row per loop step.

The functions at the bottom (``softmax``, ``softmax_backward``, ``log_softmax``,
``log_softmax_backward``) take arrays of any shape and a dim: they view the arrays as
(outer, n, inner) with the reduced dim in the middle (a copy first when an array is not
C-contiguous) and run the ``*_rows`` kernel when inner is 1 (the last dim: each row is
contiguous, the common case), else the ``*_cols`` kernel, which reduces over the middle axis
with a vector of inner accumulators (so its inner loops still run along contiguous memory).
The ops in ``ops/fused.py`` keep their NumPy kernels as the reference.

Maths, along the reduced axis, with m = max x (0 where m is not finite and the op is "safe",
as ``_softmax_kernel``; always so for log-softmax, as ``Tensor.logsumexp``):

    softmax            y = e^(x - m) / Σ e^(x - m)
    softmax backward   dx = y (g - Σ g y)
    log-softmax        y = x - m - log Σ e^(x - m)
    log-softmax bwd    dx = g - e^y Σ g

Bytes moved: forward reads x twice (max, then exp) and writes y once and rescales it in place
while the row is in cache, so about one read and one write of the array from memory; backward
reads g and y and writes dx. The NumPy kernels make about five passes.

Sums and maxima go through ``row_sum`` (scalar.py) and ``_max``: ``row_sum`` is compiled with
reassociation allowed (so LLVM vectorises it; the others are not: reassociation would undo the exact
Cody-Waite reduction in ``scalar.exp``) and ``_max`` keeps four running maxima.
"""

from __future__ import annotations

import math

import numpy as np

from . import kernel, njit, prange
from .scalar import exp, like, row_sum


@njit(parallel=False, error_model="numpy", fastmath={"reassoc", "nsz"})
def _dot(a, b):
    """Σ a b for 1-d arrays of one length."""
    s = a.dtype.type(0)
    for j in range(a.shape[0]):
        s += a[j] * b[j]
    return s


@njit(parallel=False, error_model="numpy")
def _max(a):
    """max a for a non-empty 1-d array, in four independent chains; a nan is passed over (the
    callers' sums carry it into the result)."""
    n = a.shape[0]
    m0 = m1 = m2 = m3 = a[0]
    j = 0
    while j + 4 <= n:
        m0 = a[j] if a[j] > m0 else m0
        m1 = a[j + 1] if a[j + 1] > m1 else m1
        m2 = a[j + 2] if a[j + 2] > m2 else m2
        m3 = a[j + 3] if a[j + 3] > m3 else m3
        j += 4
    while j < n:
        m0 = a[j] if a[j] > m0 else m0
        j += 1
    m0 = m1 if m1 > m0 else m0
    m2 = m3 if m3 > m2 else m2
    return m2 if m2 > m0 else m0


@kernel(error_model="numpy")
def softmax_rows(x, out, safe):
    """Softmax of each row of a C-contiguous (rows, n) array (n >= 1) into ``out``.

    Attention scores (16, 4, 64, 64) float32, 1 thread: 0.19 ms; NumPy kernel 0.66 ms,
    PyTorch 0.16 ms.
    """
    for r in prange(x.shape[0]):
        xr = x[r]
        yr = out[r]
        m = _max(xr)
        if safe and not (m - m == 0):  # -inf or inf: shift by 0 (an all -inf row gives 0)
            m = like(m, 0.0)
        for j in range(xr.shape[0]):
            yr[j] = exp(xr[j] - m)
        s = row_sum(yr)
        if safe and s == 0:
            s = like(s, 1.0)
        inv = like(s, 1.0) / s
        for j in range(yr.shape[0]):
            yr[j] *= inv


@kernel(error_model="numpy")
def softmax_backward_rows(g, y, out):
    """dx = y (g - Σ g y) for each row of C-contiguous (rows, n) arrays.

    Attention scores (16, 4, 64, 64) float32, 1 thread: 0.043 ms; NumPy kernel 0.22 ms,
    PyTorch 0.042 ms.
    """
    for r in prange(g.shape[0]):
        gr = g[r]
        yr = y[r]
        dr = out[r]
        s = _dot(gr, yr)
        for j in range(gr.shape[0]):
            dr[j] = yr[j] * (gr[j] - s)


@kernel(error_model="numpy")
def log_softmax_rows(x, out):
    """y = x - m - log Σ e^(x - m) for each row of a C-contiguous (rows, n) array (n >= 1).

    The GPT's logits (1024, 65) float32, 1 thread: 0.058 ms; NumPy kernel 0.14 ms,
    PyTorch 0.035 ms.
    """
    for r in prange(x.shape[0]):
        xr = x[r]
        yr = out[r]
        m = _max(xr)
        if not (m - m == 0):  # as logsumexp: an infinite max shifts by 0
            m = like(m, 0.0)
        for j in range(xr.shape[0]):
            yr[j] = exp(xr[j] - m)
        lse = m + math.log(row_sum(yr))
        for j in range(xr.shape[0]):
            yr[j] = xr[j] - lse


@kernel(error_model="numpy")
def log_softmax_backward_rows(g, y, out):
    """dx = g - e^y Σ g for each row of C-contiguous (rows, n) arrays.

    (1024, 65) float32, 1 thread: 0.033 ms; NumPy kernel 0.076 ms, PyTorch 0.027 ms.
    """
    for r in prange(g.shape[0]):
        gr = g[r]
        yr = y[r]
        dr = out[r]
        s = row_sum(gr)
        for j in range(gr.shape[0]):
            dr[j] = gr[j] - exp(yr[j]) * s


@kernel(error_model="numpy")
def softmax_cols(x, out, safe, log):
    """Softmax (or log-softmax when ``log``) over axis 1 of a C-contiguous (outer, n, inner)
    array, n >= 1: the maxima and sums are vectors of ``inner`` running values."""
    inner = x.shape[2]
    for o in prange(x.shape[0]):
        xo = x[o]
        yo = out[o]
        m = xo[0].copy()
        for j in range(1, xo.shape[0]):
            for k in range(inner):
                m[k] = xo[j, k] if xo[j, k] > m[k] else m[k]
        for k in range(inner):
            if (safe or log) and not (m[k] - m[k] == 0):
                m[k] = 0
        s = np.zeros(inner, x.dtype)
        for j in range(xo.shape[0]):
            for k in range(inner):
                e = exp(xo[j, k] - m[k])
                s[k] += e
                yo[j, k] = e
        if log:
            for k in range(inner):
                s[k] = m[k] + math.log(s[k])
            for j in range(xo.shape[0]):
                for k in range(inner):
                    yo[j, k] = xo[j, k] - s[k]
        else:
            for k in range(inner):
                s[k] = 1 / (1 if safe and s[k] == 0 else s[k])
            for j in range(xo.shape[0]):
                for k in range(inner):
                    yo[j, k] *= s[k]


@kernel(error_model="numpy")
def softmax_backward_cols(g, y, out, log):
    """The backward of ``softmax_cols``: y (g - Σ g y), or g - e^y Σ g when ``log``."""
    inner = g.shape[2]
    for o in prange(g.shape[0]):
        go = g[o]
        yo = y[o]
        do = out[o]
        s = np.zeros(inner, g.dtype)
        for j in range(go.shape[0]):
            for k in range(inner):
                s[k] += go[j, k] if log else go[j, k] * yo[j, k]
        for j in range(go.shape[0]):
            for k in range(inner):
                if log:
                    do[j, k] = go[j, k] - exp(yo[j, k]) * s[k]
                else:
                    do[j, k] = yo[j, k] * (go[j, k] - s[k])


# ---------------------------------------------------------------------- array-level entries


def _as3d(a: np.ndarray, dim: int) -> np.ndarray:
    """a as a C-contiguous (outer, n, inner) array with ``dim`` in the middle."""
    shape = a.shape
    outer = math.prod(shape[:dim])
    inner = math.prod(shape[dim + 1 :])
    return np.ascontiguousarray(a).reshape(outer, shape[dim], inner)


def _run(rows_kernel, cols_kernel, arrays, dim, *args):
    views = [_as3d(a, dim) for a in arrays]
    out = np.empty(views[0].shape, dtype=views[0].dtype)
    if out.size:
        if out.shape[2] == 1:
            rows_kernel(*[v.reshape(v.shape[0], v.shape[1]) for v in views],
                        out.reshape(out.shape[0], out.shape[1]), *args)  # fmt: skip
        else:
            cols_kernel(*views, out, *args)
    return out.reshape(arrays[0].shape)


def softmax(x: np.ndarray, dim: int, safe: bool) -> np.ndarray:
    """softmax(x) along ``dim`` (in range) as a new C-contiguous array."""
    return _run(softmax_rows, lambda x, out, safe: softmax_cols(x, out, safe, False), (x,), dim,
                safe)  # fmt: skip


def softmax_backward(g: np.ndarray, y: np.ndarray, dim: int) -> np.ndarray:
    """y (g - Σ g y) along ``dim``."""
    return _run(softmax_backward_rows, lambda g, y, out: softmax_backward_cols(g, y, out, False),
                (g, y), dim)  # fmt: skip


def log_softmax(x: np.ndarray, dim: int) -> np.ndarray:
    """x - logsumexp(x) along ``dim``."""
    return _run(log_softmax_rows, lambda x, out: softmax_cols(x, out, False, True), (x,), dim)


def log_softmax_backward(g: np.ndarray, y: np.ndarray, dim: int) -> np.ndarray:
    """g - e^y Σ g along ``dim``."""
    return _run(log_softmax_backward_rows,
                lambda g, y, out: softmax_backward_cols(g, y, out, True), (g, y), dim)  # fmt: skip
