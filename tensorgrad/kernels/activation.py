"""GELU forward and backward, exact (erf) and tanh forms, as one pass over flat arrays.

Each kernel takes 1-d C-contiguous float32 or float64 arrays of one length and writes ``out``;
the op (``ops.fused.Gelu`` / ``GeluBackward``) flattens, and keeps the NumPy kernels
(``_gelu_kernel``, ``_gelu_backward_kernel``) as the reference the tests compare against.

tanh form.  With u = sqrt(2/π) (x + a x³), a = 0.044715, and 1 + tanh u = 2 σ(2u):

    gelu(x)  = 0.5 x (1 + tanh u) = x / (1 + e^(-2u))
    gelu'(x) = s + 2 x u' s (1 - s),   s = σ(2u),  s (1 - s) = e s²  with e = e^(-2u)

one ``exp`` (``scalar.exp``, which vectorises) and one division per element, and no 1 + tanh
cancellation for negative x, where NumPy's form loses the low bits (so the two differ there by
up to an ulp of 1 times |x|, absolutely).

exact form.  Φ(x) = erfc(-x/√2) / 2 (erfc: no 1 + erf cancellation for negative x) and
φ(x) = e^(-x²/2) / sqrt(2π):

    gelu(x) = x Φ(x),   gelu'(x) = Φ(x) + x φ(x)

float32 uses ``scalar.erfc32`` (branch-free, vectorises); float64 the C library's ``erfc``.

Bytes moved: forward reads x and writes out (2 arrays), backward reads g and x and writes out
(3 arrays), against about 8 and 12 array passes for the NumPy kernels (in cache-sized blocks).

Timings below: one thread for numba and PyTorch (min of 30 runs in one process, on a 2-core
machine shared with other jobs, where two numba threads ran 10x slower than one).
"""

from __future__ import annotations

import math

from . import kernel, prange
from .scalar import erfc, exp, like

_K = math.sqrt(2.0 / math.pi)
_A = 0.044715
_INV_SQRT_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_E_MAX = 80.0  # e^-2u clamped below e^80: s and e s stay finite where s -> 0 (x < -9)


@kernel(error_model="numpy")
def gelu_tanh(x, out):
    """out = x / (1 + e^(-2u)),  u = sqrt(2/π) (x + 0.044715 x³).

    (1024, 512) float32 (the GPT's MLP), 1 thread: 0.23 ms; NumPy kernel 0.31 ms,
    PyTorch 0.70 ms. float64: 0.47 ms; NumPy 0.84 ms; PyTorch 1.4 ms.
    """
    for i in prange(x.shape[0]):
        v = x[i]
        two_u = like(v, 2.0 * _K) * (v + like(v, _A) * v * v * v)
        out[i] = v / (like(v, 1.0) + exp(-two_u))


@kernel(error_model="numpy")
def gelu_tanh_backward(g, x, out):
    """out = g (s + 2 x u' e s²),  s = 1 / (1 + e),  e = e^(-2u),  u' = sqrt(2/π)(1 + 3a x²).

    (1024, 512) float32, 1 thread: 0.29 ms; NumPy kernel 0.60 ms, PyTorch 0.75 ms.
    float64: 0.58 ms; NumPy 1.5 ms; PyTorch 1.5 ms.
    """
    for i in prange(x.shape[0]):
        v = x[i]
        v2 = v * v
        two_u = like(v, 2.0 * _K) * (v + like(v, _A) * v2 * v)
        e = exp(min(-two_u, like(v, _E_MAX)))
        s = like(v, 1.0) / (like(v, 1.0) + e)
        du = like(v, _K) * (like(v, 1.0) + like(v, 3.0 * _A) * v2)
        out[i] = g[i] * s * (like(v, 1.0) + like(v, 2.0) * v * du * (e * s))  # e s <= 1


@kernel(error_model="numpy")
def gelu_erf(x, out):
    """out = x Φ(x) = x erfc(-x/√2) / 2.

    (1024, 512) float32, 1 thread: 0.51 ms; NumPy kernel 6.9 ms, PyTorch 0.13 ms.
    float64 (libm erfc, scalar): 8.6 ms; NumPy 12.8 ms; PyTorch 2.0 ms.
    """
    for i in prange(x.shape[0]):
        v = x[i]
        out[i] = like(v, 0.5) * v * erfc(-v * like(v, _INV_SQRT_2))


@kernel(error_model="numpy")
def gelu_erf_backward(g, x, out):
    """out = g (Φ(x) + x φ(x)),  φ(x) = e^(-x²/2) / sqrt(2π).

    (1024, 512) float32, 1 thread: 0.71 ms; NumPy kernel 7.3 ms, PyTorch 0.27 ms.
    float64: 10.2 ms; NumPy 13.4 ms; PyTorch 2.4 ms.
    """
    for i in prange(x.shape[0]):
        v = x[i]
        cdf = like(v, 0.5) * erfc(-v * like(v, _INV_SQRT_2))
        pdf = exp(like(v, -0.5) * v * v) * like(v, _INV_SQRT_2PI)
        out[i] = g[i] * (cdf + v * pdf)


@kernel(error_model="numpy")
def relu(x, out):
    """out = x if x > 0 else 0 (NaN stays NaN), as ``np.maximum(x, 0)``.

    (64, 32, 28, 28) float32 (the CNN benchmark's first ReLU), 2 threads: 0.22 ms; NumPy
    0.59 ms.
    """
    for i in prange(x.shape[0]):
        v = x[i]
        out[i] = v if v > 0 or v != v else like(v, 0.0)


@kernel(error_model="numpy")
def relu_backward(g, y, out):
    """out = g · 1[y > 0], as the NumPy path's ``g * (y > 0)`` (a NaN or inf g times 0 is NaN).

    (64, 32, 28, 28) float32, 2 threads: 0.22 ms; NumPy 0.70 ms (plus two more ops' overhead
    before this op fused them).
    """
    for i in prange(g.shape[0]):
        v = g[i]
        out[i] = v * (like(v, 1.0) if y[i] > 0 else like(v, 0.0))
