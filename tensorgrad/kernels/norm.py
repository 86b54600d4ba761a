"""LayerNorm and RMSNorm forward and backward over the rows of a C-contiguous (rows, m) array.

The ops (``ops.fused.LayerNorm``, ``ops.fused.RMSNorm``) view the input as rows of the
m = prod(normalized_shape) elements normalised together, and keep their NumPy code as the
reference.

LayerNorm
    forward   μ = mean x,  rstd = 1 / sqrt(mean (x - μ)² + eps),  x̂ = (x - μ) rstd,
              y = x̂ w + b                       (w, b optional)
    backward  h = g w,  dx = rstd (h - mean h - x̂ mean(h x̂)),
              dw = Σ_rows g x̂,  db = Σ_rows g

RMSNorm (no centring, no bias)
    forward   rstd = 1 / sqrt(mean x² + eps),  x̂ = x rstd,  y = x̂ w   (w optional)
    backward  h = g w,  dx = rstd (h - x̂ mean(h x̂)),  dw = Σ_rows g x̂

The forwards save the per-row statistics (μ and rstd; rstd) and not x̂: the backward recomputes
it from x, which it reads anyway. So a forward reads x twice from cache and writes y once; the
NumPy forward makes several passes and (LayerNorm) keeps a second full-size array alive until
the backward. A backward reads g and x and writes dx; dw and db are summed per chunk of rows
into partials (one chunk per loop step, a fixed number of chunks so that the result does not
depend on the thread count; LayerNorm's in g's type, as the NumPy path sums them, RMSNorm's in
float64), then the partials are added.

Row sums go through ``scalar.row_sum``/``_sq_dev``/``_sq_sum``/``_row_sums``/``_row_dot``,
compiled with reassociation allowed so that LLVM vectorises them (the order of a sum is all it
changes).
"""

from __future__ import annotations

import math

import numpy as np

from . import kernel, njit, prange
from .scalar import row_sum

CHUNKS = 16  # row chunks of the backward's dw/db partial sums


@njit(parallel=False, error_model="numpy", fastmath={"reassoc", "nsz"})
def _sq_dev(a, mu):
    """Σ (a - μ)²"""
    s = a.dtype.type(0)
    for j in range(a.shape[0]):
        d = a[j] - mu
        s += d * d
    return s


@kernel(error_model="numpy")
def layer_norm_rows(x, w, b, eps, out, mean, rstd):
    """y = (x - μ) rstd w + b per row of x (rows, m), m >= 1; w, b (m,) or None; writes
    ``out`` and the per-row ``mean`` and ``rstd``.

    μ and rstd are rounded to x's type once per row (as the NumPy path has them), so the
    row's loop runs in that type: a float64 μ made every float32 product float64, half the
    SIMD lanes. (16*64, 128) float32 with w and b (the GPT's), 1 thread: 0.030 ms against
    0.075 ms so; the op's forward on its NumPy path 0.14 ms; PyTorch 0.080 ms (1 thread),
    0.049 ms (2).
    """
    m = x.shape[1]
    inv_m = x.dtype.type(1) / m
    for r in prange(x.shape[0]):
        xr = x[r]
        yr = out[r]
        mu = x.dtype.type(row_sum(xr) * inv_m)
        rs = x.dtype.type(1 / math.sqrt(_sq_dev(xr, mu) * inv_m + eps))
        mean[r] = mu
        rstd[r] = rs
        for j in range(m):
            v = (xr[j] - mu) * rs
            if w is not None:
                v = v * w[j]
            if b is not None:
                v = v + b[j]
            yr[j] = v


@njit(parallel=False, error_model="numpy", fastmath={"reassoc", "nsz"})
def _row_sums(gr, xr, w, mu, rs):
    """(Σ h, Σ h x̂) for one row, h = g w (g when w is None), x̂ = (x - μ) rs."""
    sh = gr.dtype.type(0)
    shx = gr.dtype.type(0)
    for j in range(gr.shape[0]):
        hj = gr[j] * w[j] if w is not None else gr[j]
        sh += hj
        shx += hj * ((xr[j] - mu) * rs)
    return sh, shx


@kernel(error_model="numpy")
def layer_norm_backward_rows(g, x, w, mean, rstd, gx, gw_part, gb_part):
    """dx into ``gx`` (rows, m), and the partial sums of dw, db per chunk of rows into
    ``gw_part``/``gb_part`` (chunks, m), of g's type, zeroed by the caller.

    The row's sums are one helper call (compiled with reassociation, so vectorised); dx and
    the dw, db rows are one loop written here, in g's type. (16*64, 128) float32 with w,
    1 thread: 0.061 ms, against 0.11 ms with dx, dw and db summed in the helper (a second
    call per row, its stores not vectorised) and float64 partials; the op's forward +
    backward on its NumPy path 0.34 ms; PyTorch's 0.18 ms (1 thread), 0.14 ms (2).
    """
    rows, m = g.shape
    n_chunks = gw_part.shape[0]
    inv_m = g.dtype.type(1) / m
    for c in prange(n_chunks):
        gw = gw_part[c]
        gb = gb_part[c]
        for r in range(c * rows // n_chunks, (c + 1) * rows // n_chunks):
            mu = mean[r]
            rs = rstd[r]
            xr = x[r]
            gr = g[r]
            dr = gx[r]
            sh, shx = _row_sums(gr, xr, w, mu, rs)
            sh = sh * inv_m
            shx = shx * inv_m
            for j in range(m):
                xh = (xr[j] - mu) * rs
                hj = gr[j] * w[j] if w is not None else gr[j]
                gw[j] += gr[j] * xh
                gb[j] += gr[j]
                dr[j] = rs * (hj - sh - xh * shx)


def layer_norm(x2, w, b, eps, out=None):
    """(y, mean, rstd) for x2 (rows, m) C-contiguous, rows and m >= 1; y into ``out`` (rows, m)
    C-contiguous when given."""
    rows = x2.shape[0]
    out = np.empty_like(x2) if out is None else out
    mean = np.empty(rows, x2.dtype)
    rstd = np.empty(rows, x2.dtype)
    layer_norm_rows(x2, w, b, x2.dtype.type(eps), out, mean, rstd)
    return out, mean, rstd


def layer_norm_backward(g2, x2, w, mean, rstd, gx=None):
    """(dx, dw, db) for C-contiguous (rows, m) g2, x2, rows and m >= 1; dw and db (m,); dx
    written into ``gx`` (C-contiguous (rows, m)) when given."""
    rows, m = g2.shape
    chunks = min(rows, CHUNKS)
    gw = np.zeros((chunks, m), g2.dtype)
    gb = np.zeros((chunks, m), g2.dtype)
    gx = np.empty_like(g2) if gx is None else gx
    layer_norm_backward_rows(g2, x2, w, mean, rstd, gx, gw, gb)
    return gx, gw.sum(0), gb.sum(0)


# ----------------------------------------------------------------------------- RMSNorm


@njit(parallel=False, error_model="numpy", fastmath={"reassoc", "nsz"})
def _sq_sum(a):
    """Σ a²"""
    s = a.dtype.type(0)
    for j in range(a.shape[0]):
        s += a[j] * a[j]
    return s


@kernel(error_model="numpy")
def rms_norm_rows(x, w, eps, out, rstd):
    """y = x rstd w per row of x (rows, m), m >= 1, rstd = 1 / sqrt(mean x² + eps); w (m,) or
    None; writes ``out`` and the per-row ``rstd``.

    Reads x (twice: the second time from cache) and writes y and rstd: 2 rows m itemsize bytes
    from memory, 12.6 MB on (16*256, 384) float32. Measured with w, float32, 2 threads, min of
    many runs: (16*64, 128) 0.009 ms (the op's forward 0.015 ms against 0.067 ms on its NumPy
    path, 0.11 ms composed of tensor ops), PyTorch 0.031 ms; (16*256, 384) 0.096 ms (the op
    0.10 ms against 0.64 ms NumPy, 1.07 ms composed), PyTorch 0.28 ms.
    """
    m = x.shape[1]
    for r in prange(x.shape[0]):
        xr = x[r]
        yr = out[r]
        # rstd rounded to x's type once, so that the row's products stay in that type (float64
        # would halve the SIMD lanes of a float32 row) and match the NumPy path's
        rs = x.dtype.type(1 / math.sqrt(_sq_sum(xr) / m + eps))
        rstd[r] = rs
        if w is None:
            for j in range(m):
                yr[j] = xr[j] * rs
        else:
            for j in range(m):
                yr[j] = xr[j] * rs * w[j]


@njit(parallel=False, error_model="numpy", fastmath={"reassoc", "nsz"})
def _row_dot(gr, w, xr):
    """Σ g w x (Σ g x when w is None): with rstd, the row's Σ h x̂."""
    s = gr.dtype.type(0)
    for j in range(gr.shape[0]):
        hj = gr[j] * w[j] if w is not None else gr[j]
        s += hj * xr[j]
    return s


@kernel(error_model="numpy")
def rms_norm_backward_rows(g, x, w, rstd, gx, gw_part):
    """dx into ``gx`` (rows, m), and the partial sums of dw per chunk of rows into ``gw_part``
    (min(rows, CHUNKS), m), float64, zeroed by the caller; ``gw_part`` None: no dw (so when w
    is None).

    Reads g and x (each twice, the second time from cache) and w, writes dx: 3 rows m itemsize
    bytes from memory (18.9 MB on (16*256, 384) float32), and the (chunks, m) float64
    partials. Measured with w, float32, 2 threads, min of many runs: (16*64, 128) 0.020 ms (the
    op's forward + backward 0.057 ms against 0.24 ms on its NumPy path, 0.46 ms composed of
    tensor ops), PyTorch 0.19 ms; (16*256, 384) 0.20 ms (the op 0.32 ms against 3.3 ms NumPy,
    5.3 ms composed), PyTorch 2.6 ms.
    """
    rows, m = g.shape
    n_chunks = min(rows, CHUNKS)
    for c in prange(n_chunks):
        for r in range(c * rows // n_chunks, (c + 1) * rows // n_chunks):
            rs = rstd[r]
            xr = x[r]
            gr = g[r]
            dr = gx[r]
            s = g.dtype.type(_row_dot(gr, w, xr) * rs / m)  # mean(h x̂), in g's type (as rs)
            # dx and dw's row in one loop written here: serial on (1024, 128) float32 this
            # backward takes 0.03 ms; the same loop as a helper (a call per row) 0.053 ms, dw's
            # row summed in the Σ h x̂ loop instead 0.056 ms.
            if gw_part is None:
                for j in range(m):
                    hj = gr[j] * w[j] if w is not None else gr[j]
                    dr[j] = rs * (hj - xr[j] * rs * s)
            else:
                gw = gw_part[c]
                for j in range(m):
                    hj = gr[j] * w[j] if w is not None else gr[j]
                    xh = xr[j] * rs
                    dr[j] = rs * (hj - xh * s)
                    gw[j] += gr[j] * xh


def rms_norm(x2, w, eps):
    """(y, rstd) for x2 (rows, m) C-contiguous, rows and m >= 1."""
    out = np.empty_like(x2)
    rstd = np.empty(x2.shape[0], x2.dtype)
    rms_norm_rows(x2, w, x2.dtype.type(eps), out, rstd)
    return out, rstd


def rms_norm_backward(g2, x2, w, rstd, need_w=True):
    """(dx, dw) for C-contiguous (rows, m) g2, x2, rows and m >= 1; dw (m,), or None when w is
    None or not ``need_w``."""
    rows, m = g2.shape
    gw = np.zeros((min(rows, CHUNKS), m)) if w is not None and need_w else None
    gx = np.empty_like(g2)
    rms_norm_backward_rows(g2, x2, w, rstd, gx, gw)
    return gx, None if gw is None else gw.sum(0).astype(g2.dtype)
