"""PyTorch's CPU random stream, draw for draw.

After ``manual_seed(s)`` the samplers here give the numbers PyTorch's CPU kernels give after
``torch.manual_seed(s)``: ``rand``, ``randn``, ``randint``, ``randperm``, ``uniform_``,
``normal_``, ``random_``, ``exponential_``, ``bernoulli``, and dropout's masks. So an unchanged
PyTorch script draws the same initial weights, the same batches and the same dropout masks.

The engine is MT19937 seeded with the seed's low 32 bits by Matsumoto and Nishimura's
``init_genrand``, as ATen's ``at::mt19937`` is (NumPy's ``MT19937`` runs it). Each sampler
turns the engine's 32-bit words w into numbers as ATen does:

    uniform float32      u = (w mod 2^24) / 2^24                                  one word
    uniform float64      u = (((w1 << 32) | w2) mod 2^53) / 2^53                 two words
    U[a, b)              a + u (b - a), one fused multiply-add in the dtype's precision
    randint [lo, hi)     lo + w mod (hi - lo)           (a 64-bit word when hi - lo >= 2^32)
    randperm(n)          Fisher-Yates: swap r[i] with r[i + w_i mod (n - i)], for i < n - 1
    bernoulli(p)         u < p: float64 u for a float p or float64 probabilities, else float32
    exponential(λ)       -log(1 - u) / λ with float64 u
    cauchy, geometric    median + σ tan(π (u - 1/2)); ceil(log u / log(1 - p)), float64 u
    log-normal           exp(mean + σ z), z from the scalar float64 normal below
    normal, n >= 16      Box-Muller on blocks of 16 uniforms u: for j < 8, with r_j = sqrt(-2
                         log(1 - u_j)) and θ_j = 2π u_{j+8}, z_j = r_j cos θ_j and z_{j+8} =
                         r_j sin θ_j; when 16 does not divide n, the last 16 values are made
                         again from 16 fresh uniforms
    normal, n < 16       Box-Muller on two float64 uniforms (u1, u2): r = sqrt(-2 log(1 - u2)),
                         θ = 2π u1; returns r cos θ and keeps r sin θ for the next draw
    gamma, poisson,      ATen's rejection samplers on those float64 uniforms and normals
    binomial             (so Gamma, Chi2, Beta, Dirichlet, Student's t, Poisson, Binomial)

Float32 normal blocks repeat ATen's AVX2 routine bit for bit: Cephes' polynomial log and sincos
(Julien Pommier's ``avx_mathfun``) in float32, with the multiply-adds that the compiler fuses
computed as one rounding (in float64, then rounded). What is not copied: on Intel CPUs
PyTorch's ``bernoulli_(p)`` (so dropout) and ``exponential_`` (so ``multinomial`` without
replacement or of one sample) draw through MKL's own generator instead. Samplers PyTorch lacks
stay reachable as ``Stream.numpy``: NumPy's algorithms on the same engine.
"""

from __future__ import annotations

import ctypes
import math

import numpy as np

from . import fma, kernels
from .backend import is_float, np_finfo
from .kernels import random as random_kernels

_N = 624  # MT19937's state: 624 words
_KERNEL_WORDS = 256  # from this many words up, the numba loops draw (with the kernels on)
_PARALLEL_PAIRS = 1 << 16  # float32 normal pairs from which the Box-Muller loop runs on every core
_THIRD = np.float32(1.0 / 3.0)  # ATen's 1.0f / 3.0f
_SQUEEZE = float(np.float32(0.0331))  # ATen's 0.0331f


def _shape(size) -> tuple:
    if size is None:
        return ()
    return (int(size),) if np.ndim(size) == 0 else tuple(int(s) for s in size)


class Stream:
    """MT19937 with ATen's samplers; ``numpy`` is a NumPy ``Generator`` on the same engine,
    for the samplers ATen's are not copied for (any other attribute is looked up there)."""

    def __init__(self, seed: int) -> None:
        self.bit_generator = np.random.MT19937()
        self.numpy = np.random.Generator(self.bit_generator)
        self.seed(seed)
        self.c_state = _c_state(self.bit_generator)

    def seed(self, seed: int) -> None:
        """init_genrand(seed mod 2^32): s_0 = seed, s_i = 1812433253 (s_{i-1} ^ (s_{i-1} >>
        30)) + i mod 2^32; the first draw then regenerates the state (pos = 624)."""
        key = [int(seed) & 0xFFFFFFFF]
        for i in range(1, _N):
            key.append((1812433253 * (key[-1] ^ (key[-1] >> 30)) + i) & 0xFFFFFFFF)
        self.seeded_key = np.array(key, dtype=np.uint32)  # also to tell a fresh state
        self.bit_generator.state = {
            "bit_generator": "MT19937",
            "state": {"key": self.seeded_key, "pos": _N},
        }
        self.normal_cache = None  # the second value of the last float64 Box-Muller pair

    def __getattr__(self, name: str):
        if name.startswith("__") or name in ("numpy", "bit_generator", "c_state"):
            raise AttributeError(name)  # not set yet (unpickling): never NumPy's
        return getattr(self.numpy, name)

    def __getstate__(self) -> dict:
        """Pickled by value: ``c_state`` is a view of this process's generator memory."""
        return {
            "state": self.bit_generator.state,
            "normal_cache": self.normal_cache,
            "seeded_key": self.seeded_key,
        }

    def __setstate__(self, saved: dict) -> None:
        self.__init__(0)
        self.bit_generator.state = saved["state"]
        self.normal_cache, self.seeded_key = saved["normal_cache"], saved["seeded_key"]

    # ------------------------------------------------------------------ words and uniforms
    def words(self, n: int) -> np.ndarray:
        """n 32-bit words: uint32 from the numba loop, uint64 from NumPy's ``random_raw``."""
        if self._kernel_draws(n):
            out = np.empty(n, np.uint32)
            random_kernels.mt_words(self.c_state, out)
            return out
        return self.bit_generator.random_raw(n)

    def _kernel_draws(self, n: int) -> bool:
        return kernels.ENABLED and n >= _KERNEL_WORDS and self.c_state is not None

    def words64(self, n: int) -> np.ndarray:
        """n 64-bit words, each made of two: (first << 32) | second."""
        w = self.words(2 * n).astype(np.uint64, copy=False)
        return (w[0::2] << np.uint64(32)) | w[1::2]

    def random(self, size=None, dtype=np.float64) -> np.ndarray:
        """U[0, 1): float64 from 53 bits of a 64-bit word; float32 (and float16, bfloat16,
        through float32) from 24 bits of a 32-bit word."""
        shape, dtype = _shape(size), np.dtype(dtype)
        n = math.prod(shape)
        wide = dtype == np.float64
        if self._kernel_draws(2 * n if wide else n):
            u = np.empty(n, np.float64 if wide else np.float32)
            if wide:
                random_kernels.uniform64(self.words(2 * n), u)
            else:
                random_kernels.uniform32(self.words(n), np.float32(0.0), np.float32(1.0), u)
        elif wide:
            u = (self.words64(n) & np.uint64((1 << 53) - 1)).astype(np.float64) * 2.0**-53
        else:
            u = (self.words(n) & np.uint64((1 << 24) - 1)).astype(np.float32) * np.float32(2**-24)
        return u.astype(dtype, copy=False).reshape(shape)

    def uniform(self, low=0.0, high=1.0, size=None, dtype=np.float64) -> np.ndarray:
        """U[low, high): ``low + u (high - low)`` with the bounds rounded to the dtype first."""
        dtype = np.dtype(dtype)
        work = np.float64 if dtype == np.float64 else np.float32
        lo, hi = work(low), work(high)
        n = math.prod(_shape(size))
        if work is np.float32 and self._kernel_draws(n):  # the draw and the FMA in one pass
            out = np.empty(n, np.float32)
            random_kernels.uniform32(self.words(n), lo, hi - lo, out)
            return out.astype(dtype, copy=False).reshape(_shape(size))
        u = self.random(size, work)
        fma = _fma64 if work is np.float64 else _fma32
        return fma(u, np.full_like(u, hi - lo), np.full_like(u, lo)).astype(dtype, copy=False)

    # ------------------------------------------------------------------ normals
    def standard_normal(self, size=None, dtype=np.float64) -> np.ndarray:
        return self.normal(0.0, 1.0, size, dtype)

    def normal(self, loc=0.0, scale=1.0, size=None, dtype=np.float64, pairs=False) -> np.ndarray:
        """N(loc, scale²) filling a fresh array of ``size``, as ATen fills a contiguous
        tensor: blocks of 16 when n >= 16, else (or with ``pairs``, as ATen fills a
        non-contiguous one) one float64 pair at a time."""
        shape, dtype = _shape(size), np.dtype(dtype)
        n = math.prod(shape)
        if n < 16 or pairs:
            z = np.array([self._normal_pair_value() for _ in range(n)], dtype=np.float64)
            if scale != 1.0 or loc != 0.0:  # z scale + loc, fused as in ATen's build
                z = _fma64(z, np.full_like(z, scale), np.full_like(z, loc))
            return z.astype(dtype).reshape(shape)
        work = np.float64 if dtype == np.float64 else np.float32
        blocks = _box_muller_f64 if work is np.float64 else _box_muller_f32
        loc, scale = work(loc), work(scale)
        whole = n - n % 16
        # float32 and float64 draw all n uniforms first; float16 and bfloat16 draw only the
        # whole blocks' (PyTorch 2.13's kernel for them fills block by block)
        reduced = dtype.itemsize == 2
        z = self.random(whole if reduced else n, work)
        if reduced and n % 16:
            z = np.concatenate([z, np.empty(n % 16, work)])
        z[:whole] = blocks(z[:whole].reshape(-1, 16), loc, scale).ravel()
        if n % 16:  # ATen redraws the last 16 values, overlapping the blocks before
            z[n - 16 :] = blocks(self.random(16, work).reshape(1, 16), loc, scale).ravel()
        return z.astype(dtype, copy=False).reshape(shape)

    def _normal_pair_value(self) -> float:
        """One N(0, 1) value of ATen's scalar ``normal_distribution<double>``."""
        if self.normal_cache is not None:
            z, self.normal_cache = self.normal_cache, None
            return z
        u1, u2 = self._uniform(), self._uniform()
        r = math.sqrt(-2.0 * math.log1p(-u2))
        theta = 2.0 * math.pi * u1
        self.normal_cache = r * math.sin(theta)
        return r * math.cos(theta)

    # ------------------------------------------------------------------ integers
    def integers(self, low, high=None, size=None, dtype=np.int64) -> np.ndarray:
        """Integers in [low, high) (or [0, low)): ``low + w mod (high - low)``."""
        if high is None:
            low, high = 0, low
        low, span = int(low), int(high) - int(low)
        n = math.prod(_shape(size))
        w = self.words64(n) if span >= 1 << 32 else self.words(n)
        out = (w % np.uint64(span)).astype(np.int64) + low
        return out.astype(dtype, copy=False).reshape(_shape(size))

    def full_range(self, dtype, size=None) -> np.ndarray:
        """``random_()`` with no bounds: w mod (max + 1) for integers ([0, 1] for bool), w mod
        (2^digits + 1) for floats, so every integer the dtype holds exactly can come out;
        64-bit words for int64 and float64."""
        dtype, n = np.dtype(dtype), math.prod(_shape(size))
        if dtype == np.bool_:
            return (self.words(n) & np.uint64(1)).astype(np.bool_).reshape(_shape(size))
        if is_float(dtype):
            span = (1 << (np_finfo(dtype).nmant + 1)) + 1
        else:
            span = int(np.iinfo(dtype).max) + 1
        w = self.words64(n) if dtype in (np.int64, np.float64) else self.words(n)
        return (w % np.uint64(span)).astype(dtype).reshape(_shape(size))

    def permutation(self, n: int) -> np.ndarray:
        """randperm(n): Fisher-Yates from the front, one word per swap."""
        n = int(n)
        if self._kernel_draws(n) and n < 0xFFFFFFFF // 20:
            r = np.arange(n, dtype=np.int64)
            random_kernels.shuffle(self.words(n - 1), r)
            return r
        r = list(range(n))
        if n < 0xFFFFFFFF // 20:
            spans = np.arange(n, 1, -1, dtype=np.uint64)  # n - i for i < n - 1
            for i, z in enumerate((self.words(max(n - 1, 0)) % spans).tolist()):
                r[i], r[i + z] = r[i + z], r[i]
        else:  # ATen's variant for huge n: 64-bit words, r[i] = i swapped with r[w mod (i+1)]
            for i, w in enumerate(self.words64(n).tolist()):
                z = w % (i + 1)
                r[i], r[z] = r[z], i
        return np.array(r, dtype=np.int64)

    # ------------------------------------------------------------------ others
    def bernoulli(self, p, size=None) -> np.ndarray:
        """bool ``u < p``: float64 u for a Python float p or float64 probabilities, float32 u
        (one word each) for float32 probabilities."""
        shape = _shape(size)
        if isinstance(p, np.ndarray) and p.dtype != np.float64:
            return self.random(shape, np.float32) < p.astype(np.float32)
        return self.random(shape) < p

    def standard_exponential(self, size=None, dtype=np.float64) -> np.ndarray:
        return self.exponential(1.0, size, dtype)

    def exponential(self, lambd=1.0, size=None, dtype=np.float64) -> np.ndarray:
        """Exp(λ): ``-1/λ log(1 - u)`` in float64, then rounded to the dtype."""
        u = self.random(size)
        return ((-1.0 / lambd) * _libm(math.log1p, -u)).astype(dtype)

    def standard_cauchy(self, size=None) -> np.ndarray:
        return self.cauchy(0.0, 1.0, size)

    def cauchy(self, median=0.0, sigma=1.0, size=None) -> np.ndarray:
        """Cauchy(median, sigma): ``median + sigma tan(π (u - 1/2))`` with float64 u."""
        u = self.random(size)
        return median + sigma * _libm(math.tan, math.pi * (u - 0.5))

    def lognormal(self, mean=0.0, sigma=1.0, size=None) -> np.ndarray:
        """exp(N(mean, sigma²)), each from ATen's scalar float64 normal (pairs, one cached)."""
        n = math.prod(_shape(size))
        z = np.array([self._normal_pair_value() for _ in range(n)], dtype=np.float64)
        z = _fma64(z, np.full_like(z, sigma), np.full_like(z, mean))
        return _libm(math.exp, z).reshape(_shape(size))

    def geometric(self, p, size=None) -> np.ndarray:
        """Trials up to the first success: ``ceil(log u / log(1 - p))`` with float64 u."""
        u = self.random(size)
        return np.ceil(_libm(math.log, u) / math.log1p(-p))

    def standard_gamma(self, alpha) -> np.ndarray:
        """Gamma(alpha, 1) for each value of ``alpha`` in order: ATen's ``sample_gamma``,
        Marsaglia and Tsang's method. With d = alpha - 1/3 and c = 1 / sqrt(9 d), draw a
        normal x until y = 1 + c x > 0, then v = y³ and u = 1 - U; accept d v when u < 1 -
        0.0331 x⁴ (the squeeze) or log u < x²/2 + d (1 - v + log v), else start again. An
        alpha < 1 is raised by 1 and the draw scaled by (1 - U)^(1/alpha). Float32 alphas
        take the boost and d in float32, as ATen's float kernel; the result is at least the
        dtype's smallest normal number."""
        alpha = np.asarray(alpha)
        single = alpha.dtype == np.float32
        draws = [self._gamma(a, single) for a in alpha.ravel().tolist()]
        out = np.array(draws, dtype=np.float64).astype(alpha.dtype)
        return np.maximum(out, np_finfo(alpha.dtype).tiny).reshape(alpha.shape)

    def _gamma(self, alpha: float, single: bool) -> float:
        f = np.float32 if single else float  # the kernel's scalar_t arithmetic
        scale = 1.0
        if alpha < 1.0:
            if alpha == 0.0:
                return 0.0
            scale *= (1.0 - self._uniform()) ** float(f(1.0) / f(alpha))
            alpha = f(alpha) + f(1.0)
        d = float(f(alpha) - f(_THIRD))
        c = 1.0 / math.sqrt(9.0 * d)
        while True:
            x, y = 0.0, 0.0
            while y <= 0.0:
                x = self._normal_pair_value()
                y = 1.0 + c * x
            v = y * y * y
            u = 1.0 - self._uniform()
            xx = x * x
            if u < 1.0 - _SQUEEZE * xx * xx:
                return scale * d * v
            if math.log(u) < 0.5 * xx + d * (1.0 - v + math.log(v)):
                return scale * d * v

    def poisson(self, lam, size=None) -> np.ndarray:
        """Poisson(lam) for each value of ``lam`` in order (float64 counts): ATen's
        ``sample_poisson``. From lam = 10 up, Hörmann's transformed rejection (PTRS): with
        U uniform on [-1/2, 1/2), V on [0, 1) and us = 1/2 - |U|, k = floor((2a / us + b) U +
        lam + 0.43), accepted at once in the central region, else by comparing log densities;
        below 10, the number of uniforms whose running product stays above e^-lam."""
        lam = np.broadcast_to(np.asarray(lam, dtype=np.float64), _shape(size) or np.shape(lam))
        draws = [self._poisson(x) for x in lam.ravel().tolist()]
        return np.array(draws, dtype=np.float64).reshape(lam.shape)

    def _poisson(self, lam: float) -> int:
        if lam < 0:
            raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
        if lam == 0:
            return 0
        if lam < 10:
            count, product, limit = 0, 1.0, math.exp(-lam)
            while True:
                product *= self._uniform()
                if product <= limit:
                    return count
                count += 1
        slam, loglam = math.sqrt(lam), math.log(lam)
        b = 0.931 + 2.53 * slam
        a = -0.059 + 0.02483 * b
        invalpha = 1.1239 + 1.1328 / (b - 3.4)
        vr = 0.9277 - 3.6224 / (b - 2)
        while True:
            U = self._uniform() - 0.5
            V = self._uniform()
            us = 0.5 - abs(U)
            k = math.floor((2 * a / us + b) * U + lam + 0.43)
            if us >= 0.07 and V <= vr:
                return k
            if k < 0 or (us < 0.013 and V > us):
                continue
            if (math.log(V) + math.log(invalpha) - math.log(a / (us * us) + b)) <= (
                -lam + k * loglam - math.lgamma(k + 1.0)
            ):
                return k

    def binomial(self, count, prob) -> np.ndarray:
        """Binomial(count, prob) for each pair of values in order, in count's dtype: ATen's
        ``sample_binomial`` (from TensorFlow's): for count p >= 10 (with p the smaller of prob
        and 1 - prob), Hörmann's BTRS transformed rejection with a Stirling-tail bound, else
        inversion, counting geometric gaps ceil(log U / log(1 - p)) until they pass count.
        Float32 inputs do ATen's float arithmetic where its kernel does."""
        count, prob = np.broadcast_arrays(np.asarray(count), np.asarray(prob))
        f = np.float32 if count.dtype == np.float32 else float
        pairs = zip(count.ravel().tolist(), prob.ravel().tolist())
        draws = [self._binomial(f(n), f(p), f) for n, p in pairs]
        return np.array(draws, dtype=np.float64).astype(count.dtype).reshape(count.shape)

    def _binomial(self, n, p, f):
        if n <= 0.0 or p <= 0.0:
            return 0.0
        if p >= 1.0:
            return n
        if p <= 0.5:
            return self._btrs(n, p, f) if n * p >= 10.0 else self._binomial_inversion(n, p, f)
        if p > 0.5:
            q = f(1.0 - p)
            k = self._btrs(n, q, f) if n * q >= 10.0 else self._binomial_inversion(n, q, f)
            return n - f(k)
        return math.nan

    def _binomial_inversion(self, n, p, f) -> float:
        log_q = float(f(math.log1p(-float(p))))  # log1p in the dtype
        gaps, successes = 0.0, 0
        while True:
            gaps += math.ceil(math.log(self._uniform()) / log_q)
            if gaps > n:
                return successes
            successes += 1

    def _btrs(self, n, p, f) -> float:
        stddev = float(f(math.sqrt(n * p * (f(1.0) - p))))
        b = 1.15 + 2.53 * stddev
        a = -0.0873 + 0.0248 * b + 0.01 * p
        c = n * p + 0.5
        v_r = 0.92 - 4.2 / b
        r = float(p / (f(1.0) - p))
        alpha = (2.83 + 5.1 / b) * stddev
        m = float(math.floor((n + f(1.0)) * p))
        while True:
            u = self._uniform() - 0.5
            v = self._uniform()
            us = 0.5 - abs(u)
            k = f(math.floor((2 * a / us + b) * u + c))
            if k < 0 or k > n:
                continue
            if us >= 0.07 and v <= v_r:
                return k
            v = math.log(v * alpha / (a / (us * us) + b))
            bound = (
                (m + 0.5) * math.log((m + 1) / (r * (n - m + 1)))
                + (n + f(1.0)) * math.log((n - m + 1) / (n - k + f(1.0)))
                + (k + 0.5) * math.log(r * (n - k + f(1.0)) / (k + f(1.0)))
                + _stirling_tail(m)
                + _stirling_tail(n - m)
                - _stirling_tail(float(k))
                - _stirling_tail(float(n - k))
            )
            if v <= bound:
                return k

    def _uniform(self) -> float:
        """One float64 U[0, 1) as a Python float."""
        w1, w2 = self.words(2).tolist()
        return (((w1 & 0x1FFFFF) << 32) | w2) * 2.0**-53

    def random_int64(self) -> int:
        """``torch.empty((), dtype=torch.int64).random_().item()``: a 64-bit word mod 2^63."""
        return int(self.words64(1)[0] % np.uint64(1 << 63))


def _c_state(bit_generator) -> np.ndarray | None:
    """NumPy's ``mt19937_state`` struct (624 uint32 words, then the int position) as 625 uint32,
    in place, for the numba loop; None if the memory does not read as that layout."""
    address = bit_generator.ctypes.state_address
    view = np.ctypeslib.as_array(ctypes.cast(address, ctypes.POINTER(ctypes.c_uint32)), (625,))
    state = bit_generator.state["state"]
    if np.array_equal(view[:_N], state["key"]) and int(view[_N]) == state["pos"]:
        return view
    return None


# log k! - (log sqrt(2π) + (k + 1/2) log(k + 1) - (k + 1)): Stirling's error, tabled to k = 9
_STIRLING_TAILS = (0.0810614667953272, 0.0413406959554092, 0.0276779256849983,
                   0.02079067210376509, 0.0166446911898211, 0.0138761288230707,
                   0.0118967099458917, 0.0104112652619720, 0.00925546218271273,
                   0.00833056343336287)  # fmt: skip


def _stirling_tail(k: float) -> float:
    if k <= 9:
        return _STIRLING_TAILS[int(k)]
    kp1sq = (k + 1) * (k + 1)
    return (1.0 / 12 - (1.0 / 360 - 1.0 / 1260 / kp1sq) / kp1sq) / (k + 1)


# ---------------------------------------------------------------------- Box-Muller blocks


def _libm(f, x: np.ndarray) -> np.ndarray:
    """``f`` (a ``math`` function: the C library's, as ATen calls) on each value of x. NumPy's
    own float64 log and log1p differ from the C library's in the last bit for ~0.5% and ~7%
    of values, so this loop (~0.2 µs a value) keeps float64 draws equal to PyTorch's."""
    return np.array([f(v) for v in x.ravel().tolist()], dtype=np.float64).reshape(x.shape)


def _box_muller_f64(u: np.ndarray, loc, scale) -> np.ndarray:
    """ATen's ``normal_fill_16`` in float64 on rows of 16 uniforms; ``z * scale + loc`` is
    one fused multiply-add in ATen's build, so here too."""
    r = np.sqrt(-2.0 * _libm(math.log, 1.0 - u[:, :8]))
    theta = 2.0 * np.pi * u[:, 8:]
    z = np.concatenate([r * np.cos(theta), r * np.sin(theta)], axis=1)
    if scale == 1.0 and loc == 0.0:
        return z
    return _fma64(z, np.full_like(z, scale), np.full_like(z, loc))


def _box_muller_f32(u: np.ndarray, loc, scale) -> np.ndarray:
    """ATen's ``normal_fill_16_AVX2`` on rows of 16 float32 uniforms."""
    f32 = np.float32
    if kernels.ENABLED:
        v_bits = (f32(1.0) - u[:, :8]).view(np.uint32)
        out = np.empty_like(u)
        cos, sin = np.empty(v_bits.size, f32), np.empty(v_bits.size, f32)
        u2 = np.ascontiguousarray(u[:, 8:]).ravel()
        # compute-bound (~35 flops a value), so both cores pay from 2^16 pairs (measured: 0.35
        # against 0.57 ms there, 4.8 against 9.8 ms at 2^20), far below the kernels' default
        kernel = random_kernels.box_muller32
        run = kernel.parallel if v_bits.size >= _PARALLEL_PAIRS else kernel.serial
        run(v_bits.ravel(), u2, loc, scale, cos, sin)
        out[:, :8], out[:, 8:] = cos.reshape(-1, 8), sin.reshape(-1, 8)
        return out
    r = np.sqrt(f32(-2.0) * _log_ps(f32(1.0) - u[:, :8]))
    theta = f32(2.0 * np.pi) * u[:, 8:]
    sin, cos = _sincos_ps(theta)
    return _fma32(np.concatenate([r * cos, r * sin], axis=1), scale, loc)


def _fma32(a, b, c):
    """a b + c rounded once (float32: the product is exact in float64)."""
    return fma.fma_via_float64(a, b, c).astype(np.float32)


_fma64 = fma.fma64


# Cephes' float32 log and sin/cos, as in Pommier's avx_mathfun (which ATen's AVX2 normal uses)
_LOG_P = (7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1,
          1.4249322787e-1, -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1,
          3.3333331174e-1)  # fmt: skip


def _log_ps(x: np.ndarray) -> np.ndarray:
    """log x for x in (0, 1]: x = m 2^e with m in [sqrt(1/2), sqrt(2)); log m = t - t²/2 +
    t³ P(t) with t = m - 1 (a degree-8 polynomial), log 2^e = e (q1 + q2) with q2 + q1 = ln 2
    split so that e q2 is exact."""
    f32 = np.float32
    bits = np.maximum(x, np.finfo(f32).tiny).view(np.uint32)
    e = ((bits >> np.uint32(23)).astype(np.int32) - 126).astype(f32)
    m = ((bits & np.uint32(0x807FFFFF)) | np.uint32(0x3F000000)).view(f32)  # m in [0.5, 1)
    small = m < f32(0.707106781186547524)
    e = e - small.astype(f32)
    t = m - f32(1.0) + np.where(small, m, f32(0.0))  # m < sqrt(1/2): 2m - 1
    z = t * t
    y = np.full_like(t, f32(_LOG_P[0]))
    for c in _LOG_P[1:]:
        y = _fma32(y, t, f32(c))
    y = _fma32(y * t, z, e * f32(-2.12194440e-4))
    y = _fma32(z, f32(-0.5), y)
    return _fma32(e, f32(0.693359375), t + y)


def _sincos_ps(x: np.ndarray) -> tuple:
    """sin x and cos x for x >= 0: x reduced by j π/4 (j even, from 4x/π) in three exact
    parts of π/4, then the sine and cosine polynomials of the reduced x, swapped and signed
    by j mod 8."""
    f32 = np.float32
    j = (x * f32(1.27323954473516)).astype(np.int32)
    j = (j + 1) & ~1
    y = j.astype(f32)
    for part in (-0.78515625, -2.4187564849853515625e-4, -3.77489497744594108e-8):
        x = _fma32(y, f32(part), x)
    z = x * x
    c = np.full_like(x, f32(2.443315711809948e-5))
    c = _fma32(c, z, f32(-1.388731625493765e-3))
    c = _fma32(c, z, f32(4.166664568298827e-2))
    c = _fma32(c * z, z, -(z * f32(0.5))) + f32(1.0)
    s = np.full_like(x, f32(-1.9515295891e-4))
    s = _fma32(s, z, f32(8.3321608736e-3))
    s = _fma32(s, z, f32(-1.6666654611e-1))
    s = _fma32(s * z, x, x)
    sine_poly = (j & 2) == 0
    sin, cos = np.where(sine_poly, s, c), np.where(sine_poly, c, s)
    sin = np.where((j & 4) != 0, -sin, sin)
    cos = np.where((~(j - 2) & 4) != 0, -cos, cos)
    return sin, cos
