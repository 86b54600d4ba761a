"""PyTorch's random stream (``random_stream.py``) as compiled loops: the MT19937 words, and the
float32 Box-Muller blocks with their Cephes log and sincos.

The NumPy path draws words through NumPy's ``MT19937.random_raw`` (~3.4 ns a word: a function
call per word) and makes a float32 normal in ~60 whole-array passes (the polynomials, each
multiply-add widened to float64 and rounded back). Here one loop regenerates MT19937's 624-word
state and tempers each word (~1 ns a word), and one loop per block of 16 uniforms computes its
16 normals in registers. Both give the NumPy path's numbers to the bit (``tests/kernels``).
"""

from __future__ import annotations

import math

import numpy as np

from . import kernel, njit, prange

_N, _M = 624, 397
_UPPER, _LOWER, _MATRIX_A = np.uint32(0x80000000), np.uint32(0x7FFFFFFF), np.uint32(0x9908B0DF)
_F24 = np.float32(2.0**-24)


@njit(parallel=False, inline="always")
def _twisted(word, next_word, far_word):
    """MT19937's regenerated word: far ^ (y >> 1) ^ (0x9908b0df if y is odd), y the top bit of
    ``word`` and the low 31 bits of ``next_word``."""
    y = (word & _UPPER) | (next_word & _LOWER)
    return far_word ^ (y >> np.uint32(1)) ^ ((np.uint32(0) - (y & np.uint32(1))) & _MATRIX_A)


@njit(parallel=False)
def mt_words(state, out):
    """Fill ``out`` (uint32) with MT19937's next words. ``state`` is NumPy's ``mt19937_state``
    read as 625 uint32: the 624-word key (changed in place) and the position, updated.

    Regeneration, for each k: key[k] = ``_twisted(key[k], key[k + 1], key[k + 397])``, indices
    mod 624 (in three runs, so no index wraps). Tempering of each word: y ^= y >> 11,
    y ^= (y << 7) & 0x9d2c5680, y ^= (y << 15) & 0xefc60000, y ^= y >> 18."""
    n, i, pos = out.shape[0], 0, state[_N]
    while i < n:
        if pos >= _N:
            for k in range(_N - _M):
                state[k] = _twisted(state[k], state[k + 1], state[k + _M])
            for k in range(_N - _M, _N - 1):
                state[k] = _twisted(state[k], state[k + 1], state[k + _M - _N])
            state[_N - 1] = _twisted(state[_N - 1], state[0], state[_M - 1])
            pos = 0
        take = min(n - i, _N - pos)
        for k in range(take):
            y = state[pos + k]
            y ^= y >> np.uint32(11)
            y ^= (y << np.uint32(7)) & np.uint32(0x9D2C5680)
            y ^= (y << np.uint32(15)) & np.uint32(0xEFC60000)
            y ^= y >> np.uint32(18)
            out[i + k] = y
        i += take
        pos += take
    state[_N] = pos


@kernel(error_model="numpy")
def uniform64(words, out):
    """out[i] = (((w[2i] << 32) | w[2i+1]) mod 2^53) / 2^53 (float64)."""
    for i in prange(out.shape[0]):
        high = np.float64(words[2 * i] & np.uint32(0x1FFFFF))
        out[i] = (high * 4294967296.0 + np.float64(words[2 * i + 1])) * 1.1102230246251565e-16


@kernel(error_model="numpy")
def uniform32(words, low, span, out):
    """out[i] = low + u span with u = (w[i] mod 2^24) / 2^24, one rounding as a fused
    multiply-add (float32; low = 0 and span = 1 give u itself)."""
    for i in prange(out.shape[0]):
        u = np.float32(words[i] & np.uint32(0xFFFFFF)) * _F24
        out[i] = np.float32(np.float64(u) * np.float64(span) + np.float64(low))


@njit(parallel=False, inline="always")
def _fma32(a, b, c):
    return np.float32(np.float64(a) * np.float64(b) + np.float64(c))


@kernel(error_model="numpy")
def box_muller32(v_bits, u2, loc, scale, out_cos, out_sin):
    """``random_stream._box_muller_f32`` on flat pairs: for each i, ``v_bits[i]`` (uint32) holds
    the bits of v = 1 - u_j and ``u2[i]`` is u_{j+8} of the same row of 16 uniforms. Writes
    the cosine half to ``out_cos`` and the sine half to ``out_sin``: the same float32
    operations in the same order, with selects for the NumPy path's masks (so LLVM vectorises
    the loop: ~7.5 ns a pair here, against ~35 over the rows of 16)."""
    f = np.float32
    for i in prange(out_cos.shape[0]):
        # log v: v = m 2^e with m in [0.5, 1) from its bits, e one lower when m < sqrt(1/2)
        bits = v_bits[i]
        e = f(np.int32(bits >> np.uint32(23)) - 126)
        m = f(0.5) + f(bits & np.uint32(0x7FFFFF)) * _F24  # v's mantissa, exponent -1: exact
        small = m < f(0.707106781186547524)
        e = e - (f(1.0) if small else f(0.0))
        t = m - f(1.0) + (m if small else f(0.0))
        z = t * t
        y = f(7.0376836292e-2)
        y = _fma32(y, t, f(-1.1514610310e-1))
        y = _fma32(y, t, f(1.1676998740e-1))
        y = _fma32(y, t, f(-1.2420140846e-1))
        y = _fma32(y, t, f(1.4249322787e-1))
        y = _fma32(y, t, f(-1.6668057665e-1))
        y = _fma32(y, t, f(2.0000714765e-1))
        y = _fma32(y, t, f(-2.4999993993e-1))
        y = _fma32(y, t, f(3.3333331174e-1))
        y = _fma32(y * t, z, e * f(-2.12194440e-4))
        y = _fma32(z, f(-0.5), y)
        log = _fma32(e, f(0.693359375), t + y)
        r = f(math.sqrt(f(-2.0) * log))
        # sin and cos of theta = 2 pi u2: reduced by k pi/4, then the two polynomials
        x = f(6.2831854820251465) * u2[i]
        k = (np.int32(x * f(1.27323954473516)) + 1) & np.int32(-2)
        y = f(k)
        x = _fma32(y, f(-0.78515625), x)
        x = _fma32(y, f(-2.4187564849853515625e-4), x)
        x = _fma32(y, f(-3.77489497744594108e-8), x)
        z = x * x
        c = f(2.443315711809948e-5)
        c = _fma32(c, z, f(-1.388731625493765e-3))
        c = _fma32(c, z, f(4.166664568298827e-2))
        c = _fma32(c * z, z, -(z * f(0.5))) + f(1.0)
        s = f(-1.9515295891e-4)
        s = _fma32(s, z, f(8.3321608736e-3))
        s = _fma32(s, z, f(-1.6666654611e-1))
        s = _fma32(s * z, x, x)
        sine_poly = (k & 2) == 0
        sin = s if sine_poly else c
        cos = c if sine_poly else s
        sin = -sin if (k & 4) != 0 else sin
        cos = -cos if (~(k - 2) & 4) != 0 else cos
        out_cos[i] = _fma32(r * cos, scale, loc)
        out_sin[i] = _fma32(r * sin, scale, loc)


@njit(parallel=False)
def shuffle(words, r):
    """randperm's Fisher-Yates: for i < n - 1, swap r[i] and r[i + w_i mod (n - i)]."""
    n = r.shape[0]
    for i in range(n - 1):
        z = i + np.int64(words[i] % np.uint32(n - i))
        r[i], r[z] = r[z], r[i]
