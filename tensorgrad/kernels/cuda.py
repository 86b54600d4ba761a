"""GPU kernels: the memory-bound primitives as CUDA C that CuPy compiles (NVRTC) on first use.

On the GPU a composed op pays twice: each NumPy-style array operation is one kernel launch (a few
microseconds of Python and driver work) and one full pass over memory. The GPT benchmark's step
launched 2,000 kernels; its GELU alone made 20 passes over a 100 MB activation where one reads
it and one writes the result. Each kernel here does in one launch what its reference (the op's
CuPy code, kept and tested equal: ``tests/cuda/test_kernels.py``) does in several:

* ``gelu``/``gelu_backward``: 8 and 12 passes -> 1 (reads x (and g), writes one array);
* ``softmax_rows``/``softmax_backward_rows``: a warp per row (max, sum of exponentials and the
  write in three sweeps over a row that stays in L1), 6 and 4 passes -> 1;
* ``column_sums``: the sum over the rows of a C-contiguous (n, c) array (a bias gradient):
  CuPy's axis-0 reduction ran at ~0.3 TB/s, a tile of 32 columns x 8 row-lanes per block reads
  coalesced rows, and a second launch adds the per-chunk partial sums (deterministic: no atomics);
* ``layer_norm``/``layer_norm_backward``: a warp per row (mean and rstd kept for the backward)
  and a column kernel for the weight and bias gradients, ~10 launches each way -> 1 and 2-4;
* ``adam_step``/``sgd_step``: the optimizer's update of one parameter, ~10 launches -> 1 (reads
  p, g, m, v and writes p, m, v once: 28 bytes an element in float32).

Every kernel computes in the array's dtype (float32 stays float32, as the reference does; GELU
computes float16 in float32), with the Python scalars rounded to it first, so results equal the
reference to float rounding (contracted multiply-adds differ in the last bit; sums over rows
add in another order). ``TENSORGRAD_CUDA_KERNELS=0`` (or
``use(False)``) runs the references instead.
"""

from __future__ import annotations

import functools
import math
import os

from .. import backend

ENABLED = os.environ.get("TENSORGRAD_CUDA_KERNELS", "1") != "0"


def use(on: bool) -> None:
    """Switch the CUDA kernels on (the default) or off (the CuPy reference code runs)."""
    global ENABLED
    ENABLED = bool(on)


def takes(*arrays, half: bool = False) -> bool:
    """Whether the kernels take these arrays: switched on, all CuPy arrays of one float dtype
    (float32 or float64; float16 too where ``half``), not empty."""
    cp = backend.cupy_if_loaded()
    if not ENABLED or cp is None:
        return False
    a = arrays[0]
    if type(a) is not cp.ndarray or a.size == 0 or a.dtype.char not in ("efd" if half else "fd"):
        return False
    return all(type(b) is cp.ndarray and b.dtype == a.dtype for b in arrays[1:])


# ----------------------------------------------------------------------------- elementwise
# ``A`` is the type the arithmetic runs in: the array's own type, float for float16.
_PREAMBLE = """
template <typename T> struct Acc { typedef T type; };
template <> struct Acc<float16> { typedef float type; };
"""
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_A = 0.044715

# gelu(x) = 0.5 x (1 + tanh(u)), u = sqrt(2/pi) (x + a x^3) = x (s + a s x^2)
_GELU_TANH = f"""
    typedef Acc<T>::type A;
    A xf = (A)x;
    A u = xf * xf * (A){_A * _SQRT_2_OVER_PI!r} + (A){_SQRT_2_OVER_PI!r};
    y = (T)((tanh(u * xf) + (A)1) * xf * (A)0.5);
"""
# gelu(x) = 0.5 x (1 + erf(x / sqrt 2))
_GELU_ERF = f"""
    typedef Acc<T>::type A;
    A xf = (A)x;
    y = (T)((erf(xf * (A){_INV_SQRT_2!r}) + (A)1) * xf * (A)0.5);
"""
# gelu'(x) = 0.5 (1 + t) + 0.5 x (1 - t^2) u',  t = tanh(u), u' = s + 3 a s x^2
_GELU_TANH_BACKWARD = f"""
    typedef Acc<T>::type A;
    A xf = (A)x, w = xf * xf;
    A t = tanh((w * (A){_A * _SQRT_2_OVER_PI!r} + (A){_SQRT_2_OVER_PI!r}) * xf);
    A d = (w * (A){3 * _A * _SQRT_2_OVER_PI!r} + (A){_SQRT_2_OVER_PI!r}) * xf;
    y = (T)(((d * ((A)1 - t * t) + t + (A)1) * (A)0.5) * (A)g);
"""
# gelu'(x) = Phi(x) + x phi(x)
_GELU_ERF_BACKWARD = f"""
    typedef Acc<T>::type A;
    A xf = (A)x;
    A pdf = exp(xf * xf * (A)-0.5) * xf * (A){_INV_SQRT_2PI!r};
    A cdf = (erf(xf * (A){_INV_SQRT_2!r}) + (A)1) * (A)0.5;
    y = (T)((pdf + cdf) * (A)g);
"""


@functools.cache
def _elementwise(name: str, params: str, out: str, body: str):
    cp = backend.cupy()
    return cp.ElementwiseKernel(params, out, body, f"tg_{name}", preamble=_PREAMBLE)


def gelu(x, approximate: str):
    """gelu(x) in one pass (``approximate='tanh'`` or ``'none'``)."""
    tanh = approximate == "tanh"
    kernel = _elementwise(
        "gelu_tanh" if tanh else "gelu_erf", "T x", "T y", _GELU_TANH if tanh else _GELU_ERF
    )
    return kernel(x)


def gelu_backward(g, x, approximate: str):
    """g gelu'(x) in one pass."""
    tanh = approximate == "tanh"
    kernel = _elementwise(
        "gelu_tanh_backward" if tanh else "gelu_erf_backward",
        "T g, T x",
        "T y",
        _GELU_TANH_BACKWARD if tanh else _GELU_ERF_BACKWARD,
    )
    return kernel(g, x)


# ----------------------------------------------------------------------------- optimizers
# The lines of optim/adam.py's ``_adam_kernel`` (and sgd.py's ``_sgd_kernel``) for one element,
# in their order, each scalar rounded to T as NumPy rounds a Python float against a T array.
_ADAM = """
    T gg = maximize ? (T)-g : g;
    T pp = p;
    if (decay != 1.0) pp = pp * (T)decay;
    if (l2 != 0.0) gg = gg + pp * (T)l2;
    T diff = gg - m;
    if (fabs(w1) < 0.5) m = m + diff * (T)w1; else m = gg - diff * (T)(1.0 - w1);
    v = v * (T)beta2 + gg * (T)(1.0 - beta2) * gg;
    T denom = sqrt(v) / (T)bc2 + (T)eps;
    p = pp + m / denom * (T)(-step_size);
"""
_SGD_MOMENTUM = """
    T d = maximize ? (T)-g : g;
    if (weight_decay != 0.0) d = d + p * (T)weight_decay;
    if (first) buf = d;
    else buf = buf * (T)momentum + (dampening == 0.0 ? d : d * (T)(1.0 - dampening));
    d = nesterov ? d + buf * (T)momentum : buf;
    p = p + d * (T)(-lr);
"""
_SGD = """
    T d = maximize ? (T)-g : g;
    if (weight_decay != 0.0) d = d + p * (T)weight_decay;
    p = p + d * (T)(-lr);
"""


def adam_step(p, g, m, v, *, maximize, decay, l2, beta1, beta2, eps, step_size, bc2) -> None:
    """One Adam/AdamW update of p, m, v in place (no amsgrad)."""
    kernel = _elementwise(
        "adam",
        "T g, bool maximize, float64 decay, float64 l2, float64 w1, float64 beta2, "
        "float64 eps, float64 step_size, float64 bc2",
        "T p, T m, T v",
        _ADAM,
    )
    kernel(g, bool(maximize), decay, l2, 1.0 - beta1, beta2, eps, step_size, bc2, p, m, v)


def sgd_step(p, g, buf, *, first, maximize, weight_decay, momentum, dampening, nesterov, lr):
    """One SGD update of p (and its momentum buffer ``buf``, None without momentum) in place."""
    if buf is None:
        kernel = _elementwise(
            "sgd", "T g, bool maximize, float64 weight_decay, float64 lr", "T p", _SGD
        )
        kernel(g, bool(maximize), weight_decay, lr, p)
        return
    kernel = _elementwise(
        "sgd_momentum",
        "T g, bool first, bool maximize, float64 weight_decay, float64 momentum, "
        "float64 dampening, bool nesterov, float64 lr",
        "T p, T buf",
        _SGD_MOMENTUM,
    )
    kernel(g, bool(first), bool(maximize), weight_decay, momentum, dampening, bool(nesterov), lr,
           p, buf)  # fmt: skip


# ----------------------------------------------------------------------------- rows, columns
_ROWS = r"""
__device__ inline float neg_inf(float) { return __int_as_float(0xff800000); }
__device__ inline double neg_inf(double) { return __longlong_as_double(0xfff0000000000000ULL); }

template <typename T>
__device__ inline T warp_max(T v) {
    for (int o = 16; o > 0; o >>= 1) v = fmax(v, __shfl_xor_sync(0xffffffff, v, o));
    return v;
}

template <typename T>
__device__ inline T warp_sum(T v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffff, v, o);
    return v;
}

// y = softmax(x) along rows of length n: one warp per row. safe: an all -inf row gives 0.
template <typename T>
__global__ void softmax_rows(const T* x, T* y, long long rows, int n, int safe) {
    long long row = (long long)blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;
    int lane = threadIdx.x & 31;
    if (row >= rows) return;  // the whole warp leaves together
    const T* xr = x + row * n;
    T* yr = y + row * n;
    T m = neg_inf((T)0);
    for (int j = lane; j < n; j += 32) m = fmax(m, xr[j]);
    m = warp_max(m);
    if (safe && !isfinite(m)) m = 0;
    T s = 0;
    for (int j = lane; j < n; j += 32) {
        T e = exp(xr[j] - m);
        yr[j] = e;
        s += e;
    }
    s = warp_sum(s);
    if (safe && s == 0) s = 1;
    for (int j = lane; j < n; j += 32) yr[j] = yr[j] / s;
}

// out = y (g - sum(g y)) along rows of length n: one warp per row.
template <typename T>
__global__ void softmax_backward_rows(const T* g, const T* y, T* out, long long rows, int n) {
    long long row = (long long)blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;
    int lane = threadIdx.x & 31;
    if (row >= rows) return;
    const T* gr = g + row * n;
    const T* yr = y + row * n;
    T* outr = out + row * n;
    T s = 0;
    for (int j = lane; j < n; j += 32) s += gr[j] * yr[j];
    s = warp_sum(s);
    for (int j = lane; j < n; j += 32) outr[j] = gr[j] * yr[j] - yr[j] * s;
}

// out[chunk, c] = sum of a[r, c] over the rows r of this block's chunk: a block of 32 x 8
// threads takes 32 columns (a warp reads 32 neighbours of a row: coalesced) and 8 row lanes.
template <typename T>
__global__ void column_sums(const T* a, T* out, long long rows, long long cols, long long chunk) {
    __shared__ T part[8][33];
    long long c = (long long)blockIdx.x * 32 + threadIdx.x;
    long long r0 = (long long)blockIdx.y * chunk;
    long long r1 = r0 + chunk < rows ? r0 + chunk : rows;
    T s = 0;
    if (c < cols)
        for (long long r = r0 + threadIdx.y; r < r1; r += 8) s += a[r * cols + c];
    part[threadIdx.y][threadIdx.x] = s;
    __syncthreads();
    if (threadIdx.y == 0 && c < cols) {
        T t = 0;
        for (int k = 0; k < 8; ++k) t += part[k][threadIdx.x];
        out[(long long)blockIdx.y * cols + c] = t;
    }
}

// LayerNorm over rows of length m, one warp per row: mean, rstd = 1/sqrt(var + eps) (kept for
// the backward), y = (x - mean) rstd w + b (w, b optional: has_w, has_b).
template <typename T>
__global__ void layer_norm_rows(const T* x, const T* w, const T* b, T* y, T* mean, T* rstd,
                                long long rows, int m, T eps, int has_w, int has_b) {
    long long row = (long long)blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;
    int lane = threadIdx.x & 31;
    if (row >= rows) return;
    const T* xr = x + row * m;
    T* yr = y + row * m;
    T s = 0;
    for (int j = lane; j < m; j += 32) s += xr[j];
    T mu = warp_sum(s) * ((T)1 / (T)m);
    T q = 0;
    for (int j = lane; j < m; j += 32) { T d = xr[j] - mu; q += d * d; }
    T r = (T)1 / sqrt(warp_sum(q) * ((T)1 / (T)m) + eps);
    for (int j = lane; j < m; j += 32) {
        T v = (xr[j] - mu) * r;
        if (has_w) v = v * w[j];
        if (has_b) v = v + b[j];
        yr[j] = v;
    }
    if (lane == 0) { mean[row] = mu; rstd[row] = r; }
}

// dx = rstd (h - mean(h) - x^ mean(h x^)) with h = g w (g without w), one warp per row
template <typename T>
__global__ void layer_norm_backward_rows(const T* g, const T* x, const T* w, const T* mean,
                                         const T* rstd, T* gx, long long rows, int m,
                                         int has_w) {
    long long row = (long long)blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;
    int lane = threadIdx.x & 31;
    if (row >= rows) return;
    const T* gr = g + row * m;
    const T* xr = x + row * m;
    T mu = mean[row], r = rstd[row];
    T sh = 0, shx = 0;
    for (int j = lane; j < m; j += 32) {
        T h = has_w ? gr[j] * w[j] : gr[j];
        sh += h;
        shx += h * ((xr[j] - mu) * r);
    }
    T inv_m = (T)1 / (T)m;
    T a = warp_sum(shx) * inv_m, c = warp_sum(sh) * inv_m;
    for (int j = lane; j < m; j += 32) {
        T h = has_w ? gr[j] * w[j] : gr[j];
        gx[row * m + j] = (h - ((xr[j] - mu) * r * a + c)) * r;
    }
}

// Per-chunk partial sums over rows of g x^ (dw) and g (db), tiled as column_sums
template <typename T>
__global__ void layer_norm_param_sums(const T* g, const T* x, const T* mean, const T* rstd,
                                      T* pw, T* pb, long long rows, long long cols,
                                      long long chunk) {
    __shared__ T part_w[8][33];
    __shared__ T part_b[8][33];
    long long c = (long long)blockIdx.x * 32 + threadIdx.x;
    long long r0 = (long long)blockIdx.y * chunk;
    long long r1 = r0 + chunk < rows ? r0 + chunk : rows;
    T sw = 0, sb = 0;
    if (c < cols)
        for (long long r = r0 + threadIdx.y; r < r1; r += 8) {
            T gv = g[r * cols + c];
            sw += gv * ((x[r * cols + c] - mean[r]) * rstd[r]);
            sb += gv;
        }
    part_w[threadIdx.y][threadIdx.x] = sw;
    part_b[threadIdx.y][threadIdx.x] = sb;
    __syncthreads();
    if (threadIdx.y == 0 && c < cols) {
        T tw = 0, tb = 0;
        for (int k = 0; k < 8; ++k) { tw += part_w[k][threadIdx.x]; tb += part_b[k][threadIdx.x]; }
        pw[(long long)blockIdx.y * cols + c] = tw;
        pb[(long long)blockIdx.y * cols + c] = tb;
    }
}
"""
_ROW_KERNELS = (
    "softmax_rows", "softmax_backward_rows", "column_sums", "layer_norm_rows",
    "layer_norm_backward_rows", "layer_norm_param_sums",
)  # fmt: skip
_ROWS_PER_BLOCK = 8  # warps (rows) in a block of 256 threads
MAX_ROW = 8192  # longer rows take the reference path (a warp per row would crawl)


@functools.cache
def _module():
    cp = backend.cupy()
    names = [f"{k}<{t}>" for k in _ROW_KERNELS for t in ("float", "double")]
    return cp.RawModule(code=_ROWS, options=("-std=c++14",), name_expressions=names)


def _function(name: str, dtype):
    return _module().get_function(f"{name}<{'float' if dtype.char == 'f' else 'double'}>")


def rows_fit(x, dim: int) -> bool:
    """Whether the row kernels take ``x`` along ``dim``: the last dim, rows of at most
    ``MAX_ROW`` elements."""
    return dim == x.ndim - 1 and 0 < x.shape[-1] <= MAX_ROW


def softmax_rows(x, safe: bool):
    """softmax along the last axis of x."""
    cp = backend.cupy()
    x = cp.ascontiguousarray(x)
    n = x.shape[-1]
    rows = x.size // n
    y = cp.empty_like(x)
    grid = ((rows + _ROWS_PER_BLOCK - 1) // _ROWS_PER_BLOCK,)
    _function("softmax_rows", x.dtype)(
        grid, (32 * _ROWS_PER_BLOCK,), (x, y, cp.int64(rows), cp.int32(n), cp.int32(safe))
    )
    return y


def softmax_backward_rows(g, y):
    """y (g - sum(g y)) along the last axis of g and y."""
    cp = backend.cupy()
    g, y = cp.ascontiguousarray(g), cp.ascontiguousarray(y)
    n = y.shape[-1]
    rows = y.size // n
    out = cp.empty_like(y)
    grid = ((rows + _ROWS_PER_BLOCK - 1) // _ROWS_PER_BLOCK,)
    _function("softmax_backward_rows", y.dtype)(
        grid, (32 * _ROWS_PER_BLOCK,), (g, y, out, cp.int64(rows), cp.int32(n))
    )
    return out


def _chunks(rows: int, cols: int) -> tuple[int, int, int]:
    """(column blocks, row chunks, rows per chunk) for the column kernels: ~1024 blocks of
    32 columns and >= 64 rows each."""
    col_blocks = (cols + 31) // 32
    chunks = max(1, min((rows + 63) // 64, 1024 // col_blocks))
    chunk = max(1, (rows + chunks - 1) // chunks)
    return col_blocks, (rows + chunk - 1) // chunk if rows else 1, chunk


def column_sums(a):
    """``a.sum(0)`` for a C-contiguous 2-D float32/float64 ``a``: per-chunk partial sums of
    each column, then the sum of the partials (two launches, deterministic)."""
    cp = backend.cupy()
    a = cp.ascontiguousarray(a)
    rows, cols = a.shape
    fn = _function("column_sums", a.dtype)
    col_blocks, chunks, chunk = _chunks(rows, cols)
    partial = cp.empty((chunks, cols), dtype=a.dtype)
    fn((col_blocks, chunks), (32, 8), (a, partial, cp.int64(rows), cp.int64(cols), cp.int64(chunk)))
    if chunks == 1:
        return partial.reshape(cols)
    out = cp.empty(cols, dtype=a.dtype)
    fn((col_blocks, 1), (32, 8), (partial, out, cp.int64(chunks), cp.int64(cols), cp.int64(chunks)))
    return out


def layer_norm(x2, w, b, eps: float):
    """LayerNorm of the rows of a 2-D x2 (w, b: vectors of its row length, or None):
    (y, mean, rstd), the last two per row for the backward."""
    cp = backend.cupy()
    x2 = cp.ascontiguousarray(x2)
    rows, m = x2.shape
    y = cp.empty_like(x2)
    mean = cp.empty(rows, dtype=x2.dtype)
    rstd = cp.empty(rows, dtype=x2.dtype)
    w_, b_ = (x2 if p is None else cp.ascontiguousarray(p) for p in (w, b))  # x2: never read
    grid = ((rows + _ROWS_PER_BLOCK - 1) // _ROWS_PER_BLOCK,)
    eps_ = x2.dtype.type(eps)
    args = (x2, w_, b_, y, mean, rstd, cp.int64(rows), cp.int32(m), eps_)
    _function("layer_norm_rows", x2.dtype)(
        grid, (32 * _ROWS_PER_BLOCK,), (*args, cp.int32(w is not None), cp.int32(b is not None))
    )
    return y, mean, rstd


def layer_norm_backward(g2, x2, w, mean, rstd, need_x: bool, need_params: bool):
    """LayerNorm's gradients from the forward's mean and rstd: (dx or None, dw, db) with dw
    and db the sums over rows of g x̂ and g (None unless ``need_params``)."""
    cp = backend.cupy()
    g2, x2 = cp.ascontiguousarray(g2), cp.ascontiguousarray(x2)
    rows, m = x2.shape
    gx = gw = gb = None
    if need_x:
        gx = cp.empty_like(x2)
        w_ = x2 if w is None else cp.ascontiguousarray(w)
        grid = ((rows + _ROWS_PER_BLOCK - 1) // _ROWS_PER_BLOCK,)
        _function("layer_norm_backward_rows", x2.dtype)(
            grid, (32 * _ROWS_PER_BLOCK,),
            (g2, x2, w_, mean, rstd, gx, cp.int64(rows), cp.int32(m), cp.int32(w is not None)),
        )  # fmt: skip
    if need_params:
        col_blocks, chunks, chunk = _chunks(rows, m)
        pw = cp.empty((chunks, m), dtype=x2.dtype)
        pb = cp.empty((chunks, m), dtype=x2.dtype)
        _function("layer_norm_param_sums", x2.dtype)(
            (col_blocks, chunks), (32, 8),
            (g2, x2, mean, rstd, pw, pb, cp.int64(rows), cp.int64(m), cp.int64(chunk)),
        )  # fmt: skip
        gw, gb = (p.reshape(m) if chunks == 1 else column_sums(p) for p in (pw, pb))
    return gx, gw, gb
