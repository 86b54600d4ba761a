"""Creation functions: ``tensor``, ``zeros``, ``randn``, ``arange``, ... (also ``Tensor.NAME``).

Python floats become the default float dtype (float32 unless ``set_default_dtype`` changed it)
and ints int64 unless a dtype is given; random draws come from the
default generator (``tg.manual_seed``) or the one passed as ``generator=``, on the CPU, so a seed
gives the same numbers on every device.
"""

from __future__ import annotations

import builtins
import math

import numpy as np

from . import backend
from . import random as _random
from ._args import size_args, to_array
from .backend import Device, is_float
from .jit import recorder
from .tensor import Tensor


def tensor(data, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor holding a copy of ``data`` (nested lists, a number, an array, a Tensor), on
    ``device`` or the default device (``set_default_device``)."""
    device = backend.default_device(device)
    return Tensor._from_data(data, dtype=dtype, device=device, requires_grad=requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """``data`` as a tensor, sharing its memory when it already is an array or a
    Tensor of the requested dtype and device. A Tensor comes back as is when it has them, else
    as ``data.to(device, dtype)``, in the graph as PyTorch's (gradients flow back to ``data``)."""
    if isinstance(data, Tensor):
        if device is not None:
            data = data.to(device)
        return data if dtype is None else data.to(dtype)
    return Tensor._make(to_array(data, dtype, backend.default_device(device)))


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=None) -> Tensor:
    """``obj`` as a tensor, as ``torch.asarray``: sharing memory with an array or tensor where
    dtype and device allow (``copy=None``; a tensor of the right dtype and device comes back
    itself), always a copy with ``copy=True``; ``copy=False`` raises where a copy would be
    needed. ``requires_grad`` unset keeps a tensor's flag, False detaches, True sets it."""
    if copy:
        out = tensor(obj.detach() if isinstance(obj, Tensor) else obj, dtype=dtype, device=device)
    else:
        out = as_tensor(obj, dtype, device)
        if copy is False and not _shares_memory(out, obj):
            raise ValueError(
                f"asarray(copy=False): {type(obj).__name__} of dtype {getattr(obj, 'dtype', '?')} "
                f"can't be made a tensor of dtype {out.dtype} on {out.device} without a copy"
            )
    if requires_grad is False and out.requires_grad:
        return out.detach()
    return out.requires_grad_(True) if requires_grad and not out.requires_grad else out


def _shares_memory(t: Tensor, obj) -> bool:
    data = obj.array if isinstance(obj, Tensor) else obj
    if not hasattr(data, "__array_interface__") and not backend.is_array(data):
        return False
    return backend.xp_of(t.array).may_share_memory(t.array, data)


def scalar_tensor(s, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A 0-d tensor holding the number ``s``, of the default float dtype unless ``dtype``
    says otherwise (``torch.scalar_tensor(3)`` is ``tensor(3.)``)."""
    dtype = dtype if dtype is not None else backend.get_default_dtype()
    return tensor(s, dtype=dtype, device=device, requires_grad=requires_grad)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing ``array``'s memory."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy expects a numpy.ndarray, got {type(array).__name__}")
    backend.from_np(array.dtype)
    return Tensor._make(array)


def from_dlpack(obj) -> Tensor:
    """A tensor sharing the memory of any DLPack producer (PyTorch, CuPy, JAX, NumPy)."""
    device_type = obj.__dlpack_device__()[0] if hasattr(obj, "__dlpack_device__") else 1
    if device_type == 1:  # kDLCPU
        return Tensor._make(np.from_dlpack(obj))
    return Tensor._make(backend.cupy().from_dlpack(obj))


def _creation(array_fn, size, dtype, device, requires_grad, default=None):
    """``array_fn(xp, shape, np_dtype)`` on ``device``; ``default`` is the dtype when ``dtype``
    is None, the default float dtype (``set_default_dtype``) when that is None too."""
    shape = size_args(size)
    if any(not isinstance(s, (builtins.int, np.integer)) or s < 0 for s in shape):
        raise ValueError(f"size must be non-negative integers, got {shape}")
    np_dtype = _np_dtype(dtype, default)
    target = Device(device) if device is not None else backend.get_default_device()
    xp = backend.xp_for(target)
    if target.type == "cuda":
        with xp.cuda.Device(target.index):
            array = recorder.call(array_fn, xp, tuple(shape), np_dtype)
    else:
        array = recorder.call(array_fn, xp, tuple(shape), np_dtype)
    out = Tensor._make(array)
    return out.requires_grad_(True) if requires_grad else out


def _np_dtype(dtype, default=None) -> np.dtype:
    """The NumPy dtype of ``dtype``; None is ``default``, or the default float dtype."""
    if dtype is not None:
        return backend.to_dtype(dtype).np
    return backend.DEFAULT_FLOAT if default is None else default


def zeros(*args, size=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of ``size`` filled with 0, of the default float dtype (float32 unless
    ``set_default_dtype``) unless ``dtype``; ``zeros(2, 3)`` and ``zeros((2, 3))`` are the
    same."""
    return _creation(
        lambda xp, s, d: xp.zeros(s, d),
        size_args(args, size, "zeros"),
        dtype,
        device,
        requires_grad,
    )


def ones(*args, size=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of ``size`` filled with 1, of the default float dtype unless ``dtype``."""
    return _creation(
        lambda xp, s, d: xp.ones(s, d), size_args(args, size, "ones"), dtype, device, requires_grad
    )


def empty(*args, size=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of ``size`` with uninitialized values, of the default float dtype unless
    ``dtype``."""
    return _creation(
        lambda xp, s, d: xp.empty(s, d),
        size_args(args, size, "empty"),
        dtype,
        device,
        requires_grad,
    )


def full(size, fill_value, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of ``size`` filled with ``fill_value``; its dtype follows the value (bool,
    int64 or the default float dtype) unless ``dtype``."""
    default = backend._scalar_dtype(fill_value)
    return _creation(
        lambda xp, s, d: xp.full(s, fill_value, d),
        (tuple(size),) if not isinstance(size, builtins.int) else (size,),
        dtype,
        device,
        requires_grad,
        default,
    )


def _random_creation(sample, size, dtype, device, requires_grad, generator, default=None):
    """Draw on the CPU generator (so a seed gives the same numbers on every device), then move.
    ``default`` as in ``_creation``."""
    np_dtype = _np_dtype(dtype, default)
    shape = size_args(size)
    device = backend.default_device(device)
    out = Tensor._make(recorder.call(_draw, sample, generator, tuple(shape), np_dtype, device))
    return out.requires_grad_(True) if requires_grad else out


def _draw(sample, generator, shape: tuple, np_dtype, device):
    """``sample(rng, shape, dtype)`` from ``generator`` (the default one if None) on ``device``:
    one function, so that tg.compile's replay draws again."""
    return to_array(sample(_random.rng(generator), shape, np_dtype), device=device)


def rand(*args, size=None, dtype=None, device=None, requires_grad=False, generator=None) -> Tensor:
    """Uniform on [0, 1)."""

    def sample(rng, s, d):
        return rng.random(s, dtype=d)

    return _random_creation(
        sample, size_args(args, size, "rand"), dtype, device, requires_grad, generator
    )


def randn(*args, size=None, dtype=None, device=None, requires_grad=False, generator=None) -> Tensor:
    """Standard normal."""

    def sample(rng, s, d):
        return rng.standard_normal(s, dtype=d)

    return _random_creation(
        sample, size_args(args, size, "randn"), dtype, device, requires_grad, generator
    )


def randint(
    low=0, high=None, size=None, *, dtype=None, device=None, requires_grad=False, generator=None
):
    """Integers uniform on [low, high); ``randint(high, size)`` has low = 0."""
    if size is None and isinstance(high, (tuple, list)):  # randint(high, size)
        low, high, size = 0, low, high
    elif high is None:  # randint(high, size=size)
        low, high = 0, low
    if size is None:
        raise TypeError("randint() needs a size, e.g. randint(0, 10, (3,))")
    if high <= low:
        raise RuntimeError(f"randint: expects low < high, got low={low} and high={high}")
    return _random_creation(
        lambda rng, s, d: rng.integers(low, high, s).astype(d),
        size,
        dtype,
        device,
        requires_grad,
        generator,
        backend.DEFAULT_INT,
    )


def randperm(n: int, *, dtype=None, device=None, generator=None) -> Tensor:
    """A random permutation of 0, ..., n - 1, int64 unless ``dtype``."""
    return _random_creation(
        lambda rng, s, d: rng.permutation(n).astype(d),
        (n,),
        dtype,
        device,
        False,
        generator,
        backend.DEFAULT_INT,
    )


def zeros_like(x: Tensor, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Zeros of ``x``'s shape, with its dtype and device unless given."""
    return zeros(
        x.shape, dtype=dtype or x.dtype, device=device or x.device, requires_grad=requires_grad
    )


def ones_like(x: Tensor, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Ones of ``x``'s shape, with its dtype and device unless given."""
    return ones(
        x.shape, dtype=dtype or x.dtype, device=device or x.device, requires_grad=requires_grad
    )


def empty_like(x: Tensor, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Uninitialized values of ``x``'s shape, with its dtype and device unless given."""
    return empty(
        x.shape, dtype=dtype or x.dtype, device=device or x.device, requires_grad=requires_grad
    )


def full_like(x: Tensor, fill_value, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """``fill_value`` in ``x``'s shape, with its dtype and device unless given."""
    return full(
        x.shape,
        fill_value,
        dtype=dtype or x.dtype,
        device=device or x.device,
        requires_grad=requires_grad,
    )


def rand_like(x: Tensor, *, dtype=None, device=None, requires_grad=False, generator=None) -> Tensor:
    """Uniform draws on [0, 1) of ``x``'s shape, with its dtype and device unless
    given."""
    return rand(
        x.shape,
        dtype=dtype or x.dtype,
        device=device or x.device,
        requires_grad=requires_grad,
        generator=generator,
    )


def randn_like(
    x: Tensor, *, dtype=None, device=None, requires_grad=False, generator=None
) -> Tensor:
    """Standard normal draws of ``x``'s shape, with its dtype and device unless
    given."""
    return randn(
        x.shape,
        dtype=dtype or x.dtype,
        device=device or x.device,
        requires_grad=requires_grad,
        generator=generator,
    )


def randint_like(
    x: Tensor, low=0, high=None, *, dtype=None, device=None, requires_grad=False, generator=None
) -> Tensor:
    """Integers uniform on [low, high) of ``x``'s shape, with its dtype and device unless
    given; ``randint_like(x, high)`` has low = 0."""
    if high is None:
        low, high = 0, low
    return randint(
        low,
        high,
        x.shape,
        dtype=dtype or x.dtype,
        device=device or x.device,
        requires_grad=requires_grad,
        generator=generator,
    )


def normal(
    mean, std=1.0, size=None, *, generator=None, dtype=None, device=None, requires_grad=False
) -> Tensor:
    """Draws from N(mean, std^2), PyTorch's four overloads: ``normal(mean_tensor, std_tensor)``
    (broadcast together), ``normal(mean_tensor, std=1.0)``, ``normal(mean, std_tensor)`` (the
    dtype and device of the tensor, the mean's when both are tensors) and ``normal(mean, std,
    size)`` (the default float dtype unless ``dtype``). No gradient flows to ``mean`` or
    ``std`` (PyTorch's is zero); use ``mean + std * randn_like(mean)`` to differentiate through
    the draw."""
    like = mean if isinstance(mean, Tensor) else std if isinstance(std, Tensor) else None
    if like is None:
        if size is None:
            raise TypeError("normal(mean, std) with two numbers needs a size")
        if not std >= 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
        return _random_creation(
            lambda rng, s, d: rng.normal(mean, std, s, d),
            size,
            dtype,
            device,
            requires_grad,
            generator,
        )
    if not like.is_floating_point():
        raise RuntimeError(f"normal: mean and std must be floating, got {like.dtype}")
    arrays = [v.array if isinstance(v, Tensor) else v for v in (mean, std)]
    if not isinstance(std, Tensor) and not std >= 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    out = recorder.call(_normal, *arrays, like.array.dtype, like.device, generator)
    return Tensor._make(out)


def _normal(mean, std, dtype, device, generator):
    """``eps std + mean`` with eps ~ N(0, 1) of their broadcast shape in ``dtype`` (as
    PyTorch: ``N(0, std) + mean`` for a number std): one function, so that tg.compile's replay
    draws again (and checks ``std`` again)."""
    if backend.is_array(std) and not bool(backend.xp_of(std).all(std >= 0)):
        raise RuntimeError("normal expects all elements of std >= 0.0")
    shape = np.broadcast_shapes(np.shape(mean), np.shape(std))
    if not backend.is_array(std):
        eps = _random.draw(lambda rng: rng.normal(0.0, std, shape, dtype), device, generator)
        return (eps + mean).astype(dtype)
    eps = _random.draw(lambda rng: rng.standard_normal(shape, dtype), device, generator)
    return (eps * std + mean).astype(dtype)


def bernoulli(input: Tensor, p=None, *, generator=None) -> Tensor:
    """0/1 draws of ``input``'s shape and dtype, 1 with probability ``input[i]`` (or ``p``
    when given); see ``Tensor.bernoulli``."""
    return input.bernoulli(p, generator=generator)


def poisson(input: Tensor, generator=None) -> Tensor:
    """Poisson counts, one for each rate in ``input`` (>= 0), in its dtype and on its device:
    PyTorch's ``sample_poisson`` on its stream (``random_stream.Stream.poisson``). No
    gradient (PyTorch's is zero)."""
    return Tensor._make(recorder.call(_random.draw_like, _poisson, generator, input.array))


def binomial(count: Tensor, prob: Tensor, generator=None) -> Tensor:
    """Binomial(count, prob) successes for each pair of values (``prob`` broadcasts to
    ``count``), in count's dtype and on its device: PyTorch's ``sample_binomial`` on its
    stream (``random_stream.Stream.binomial``). No gradient."""
    if count.dtype != prob.dtype:
        raise RuntimeError(
            f"binomial: count and prob must have the same dtype, got {count.dtype} and {prob.dtype}"
        )
    arrays = (count.array, prob.array)
    return Tensor._make(recorder.call(_random.draw_like, _binomial, generator, *arrays))


def _poisson(stream, rates):
    return stream.poisson(rates)


def _binomial(stream, count, prob):
    return stream.binomial(count, prob)


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *, generator=None):
    """int64 category indices drawn from the rows of ``input`` (non-negative weights); see
    ``Tensor.multinomial``."""
    return input.multinomial(num_samples, replacement, generator=generator)


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Values from ``start`` to ``end`` (excluded) by ``step``; ``arange(end)`` starts
    at 0. int64 when all three are ints, else the default float dtype; float32 values round as
    PyTorch's CPU kernel does."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("arange: step must be nonzero")
    is_int = all(isinstance(v, (builtins.int, np.integer)) for v in (start, end, step))
    np_dtype = _np_dtype(dtype, backend.DEFAULT_INT if is_int else None)
    if (end - start) * step < 0:
        raise RuntimeError(
            f"arange: upper bound and larger bound inconsistent with step sign "
            f"(start={start}, end={end}, step={step})"
        )
    n = builtins.max(math.ceil((end - start) / step), 0)
    device = backend.default_device(device)
    values = recorder.call(_arange_values, start, step, n, is_int, np_dtype, device)
    out = Tensor._make(values)
    return out.requires_grad_(True) if requires_grad else out


# PyTorch's CPU kernel (RangeFactoriesKernel.cpp) writes blocks of 2 SIMD vectors of W lanes:
# each vector holds base + j * step with base = start + i * step rounded to the dtype, in the
# accumulation dtype; the tail is start + i * step. Rounding the same way gives the same values.
_ARANGE_SIMD = {np.dtype(np.float32): (8, np.float64), np.dtype(np.float16): (16, np.float32)}


def _arange_values(start, step, n: int, is_int: bool, np_dtype, device=None):
    return to_array(_arange_host(start, step, n, is_int, np_dtype), device=device)


def _arange_host(start, step, n: int, is_int: bool, np_dtype) -> np.ndarray:
    i = np.arange(n, dtype=np.int64)
    if is_int:
        return (start + i * step).astype(np_dtype)
    if np_dtype not in _ARANGE_SIMD:
        return (start + i.astype(np.float64) * step).astype(np_dtype)
    lanes, acc = _ARANGE_SIMD[np_dtype]
    start, step = acc(start), acc(step)
    lane = i % lanes
    base = (start + (i - lane).astype(acc) * step).astype(np_dtype).astype(acc)
    vector = (base + lane.astype(acc) * step).astype(np_dtype)
    scalar = (start + i.astype(acc) * step).astype(np_dtype)
    return np.where(i < n - n % (2 * lanes), vector, scalar)


def linspace(start, end, steps: int, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end``, both included, of the default
    float dtype unless ``dtype``; rounded as PyTorch's CPU kernel rounds them
    (``linspace_values``)."""
    if steps < 0:
        raise RuntimeError(f"linspace: number of steps must be non-negative, got {steps}")
    start, end = (v.item() if isinstance(v, Tensor) else v for v in (start, end))
    array = linspace_values(start, end, steps, _np_dtype(dtype))
    out = Tensor._make(to_array(array, device=backend.default_device(device)))
    return out.requires_grad_(True) if requires_grad else out


def linspace_values(start, end, steps: int, np_dtype) -> np.ndarray:
    """PyTorch's CPU ``linspace`` as a NumPy array of ``np_dtype``: with ``start``, ``end`` and
    ``step = (end - start) / (steps - 1)`` in that dtype (in float64 for an integer one), the
    values are ``start + step i`` for ``i < steps // 2`` and ``end - step (steps - 1 - i)``
    after, each a multiply-add rounded once (the compiler fuses PyTorch's kernel): for
    float32 the product is exact in float64, for float64 and integers a two-product (``_fma``)
    keeps it; integer dtypes then truncate. float16 rounds the product and the sum to half
    each, as c10::Half arithmetic does."""
    np_dtype = np.dtype(np_dtype)
    if steps <= 1:
        return np.full(steps, start).astype(np_dtype)
    i = np.arange(steps, dtype=np.float64)
    first = i < steps // 2
    k = np.where(first, i, steps - 1 - i)  # the multiple of step from the nearer end
    if np_dtype == np.float16:
        h = np.float16
        start, end = h(start), h(end)
        step = h(end - start) / h(steps - 1)
        term = (step * k.astype(h)).astype(h)
        return np.where(first, start + term, end - term).astype(h)
    float_out = is_float(np_dtype)
    if not float_out:  # the ends in the integer dtype first
        start, end = builtins.int(start), builtins.int(end)
    work = np_dtype.type if float_out else np.float64
    start, end = work(start), work(end)
    step = np.float64((end - start) / work(steps - 1))
    base = np.where(first, np.float64(start), np.float64(end))
    sign = np.where(first, 1.0, -1.0)
    if np_dtype.itemsize < 8 and float_out:  # float32: k step is exact in float64, and the
        values = base + sign * step * k  # sum's two roundings agree with fma's one
    else:
        values = _fma(sign * step, k, base)
    return values.astype(np_dtype) if float_out else np.trunc(values).astype(np_dtype)


def _fma(a, b, c):
    """``a b + c`` rounded once (in all but the rarest ties): Dekker's exact product
    ``a b = p + e`` and Knuth's exact sum ``p + c = s + t``, then ``s + (t + e)``."""
    split = 134217729.0  # 2^27 + 1: splits a float64 into two 26-bit halves

    def halves(x):
        t = split * x
        hi = t - (t - x)
        return hi, x - hi

    p = a * b
    ah, al = halves(a)
    bh, bl = halves(b)
    e = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    s = p + c
    v = s - p
    t = (p - (s - v)) + (c - v)
    return s + (t + e)


def eye(n: int, m: int | None = None, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """The n x m identity matrix (m = n by default), of the default float dtype unless
    ``dtype``."""
    return _creation(
        lambda xp, s, d: xp.eye(s[0], s[1], dtype=d),
        (n, n if m is None else m),
        dtype,
        device,
        requires_grad,
    )


for _name in (
    "zeros ones full empty rand randn randint randperm arange linspace eye zeros_like ones_like "
    "full_like empty_like rand_like randn_like randint_like tensor from_numpy from_dlpack"
).split():
    setattr(Tensor, _name, staticmethod(globals()[_name]))
