"""Array backends, devices and dtypes.

A tensor's storage is a NumPy array on ``'cpu'`` and a CuPy array on ``'cuda'``/``'cuda:N'``.
Code that must work on both asks for the array module with ``xp = xp_of(array)``
(Chainer's ``get_array_module``). This is the only module that imports CuPy, lazily.
"""

from __future__ import annotations

import builtins
import math
import warnings

import numpy as np

from . import kernels

# NumPy warns on floating-point exceptions (log(0), 1/0, inf - inf, exp overflowing); PyTorch
# computes the IEEE results (-inf, inf, nan) silently, and so does tensorgrad: a warnings filter
# ignores the ones NumPy attributes to tensorgrad's own code. A user's own NumPy calls still
# warn, and np.errstate(all="raise") still raises. Every op calls silence_float_warnings(),
# which costs one identity check: a `warnings.catch_warnings()` block (pytest runs each test in
# one) starts a fresh filter list, and the filter is put into it on the first op there.
_silenced_in: list | None = None  # the warnings.filters list that holds the filter


def silence_float_warnings() -> None:
    global _silenced_in
    if warnings.filters is not _silenced_in:
        warnings.filterwarnings(
            "ignore", r".* encountered in ", RuntimeWarning, r"tensorgrad(\.|$)"
        )
        _silenced_in = warnings.filters


silence_float_warnings()

# --------------------------------------------------------------------------------------------
# dtypes


# The module name that dtypes, Size and memory formats print with: ``tensorgrad.float32``, or
# ``torch.float32`` while ``tensorgrad.as_torch`` answers ``import torch`` (a PyTorch script
# prints what it prints under PyTorch)
NAMESPACE = "tensorgrad"


class dtype:
    """A tensor element type; ``tg.float32`` and friends are the instances."""

    __slots__ = ("name", "np", "is_floating_point", "is_signed", "itemsize")

    def __init__(self, name: str, np_dtype: type) -> None:
        self.name = name
        self.np = np.dtype(np_dtype)
        self.is_floating_point = self.np.kind == "f"
        self.is_signed = self.np.kind in "fi"
        self.itemsize = self.np.itemsize

    def __repr__(self) -> str:
        return f"{NAMESPACE}.{self.name}"

    def __reduce__(self):
        return (to_dtype, (self.name,))


float16 = dtype("float16", np.float16)
float32 = dtype("float32", np.float32)
float64 = dtype("float64", np.float64)
uint8 = dtype("uint8", np.uint8)
int8 = dtype("int8", np.int8)
int16 = dtype("int16", np.int16)
int32 = dtype("int32", np.int32)
int64 = dtype("int64", np.int64)
bool_ = dtype("bool", np.bool_)


class _BFloat16(dtype):
    """``tg.bfloat16``: 1 sign bit, 8 exponent bits (float32's range), 7 mantissa bits.

    NumPy has no bfloat16; the ``ml_dtypes`` package (JAX's and TensorFlow's, the extra
    ``tensorgrad[bf16]``) adds it as a NumPy dtype, imported on first use, so a script that only
    mentions the name (``{'bfloat16': torch.bfloat16}`` tables, a disabled autocast) needs no
    package. Ops compute a bfloat16 tensor in float32 and round the result once, as PyTorch's
    CPU kernels do (``autograd/function.py``, ``Op.apply``)."""

    __slots__ = ()

    def __init__(self) -> None:
        self.name, self.itemsize = "bfloat16", 2
        self.is_floating_point = self.is_signed = True

    @property
    def np(self):
        return bfloat16_np()


bfloat16 = _BFloat16()
BF16: np.dtype | None = None  # the NumPy dtype once ml_dtypes is imported; None until then
_bf16_listeners: list = []  # called with the dtype when it first exists (Op.apply's upcast)


def bfloat16_np() -> np.dtype:
    """ml_dtypes' bfloat16 NumPy dtype (imported on first call), or a TypeError saying how to
    get it."""
    global BF16
    if BF16 is None:
        try:
            import ml_dtypes
        except ImportError:
            raise TypeError(
                "bfloat16 tensors need the ml_dtypes package (NumPy has no bfloat16 type): "
                "pip install ml_dtypes, or tensorgrad[bf16]"
            ) from None
        BF16 = np.dtype(ml_dtypes.bfloat16)
        _BY_NP[BF16] = bfloat16
        for listener in _bf16_listeners:
            listener(BF16)
    return BF16


def on_bfloat16(listener) -> None:
    """Call ``listener(np_dtype)`` once bfloat16 exists (now, if it already does)."""
    _bf16_listeners.append(listener)
    if BF16 is not None:
        listener(BF16)


def np_finfo(d: np.dtype):
    """``np.finfo`` of a NumPy float dtype, bfloat16 included (ml_dtypes' finfo)."""
    if d is BF16:
        import ml_dtypes

        return ml_dtypes.finfo(d)
    return np.finfo(d)


def is_float(d: np.dtype) -> bool:
    """True for a floating point NumPy dtype, bfloat16 included (its ``kind`` is 'V')."""
    return d.kind == "f" or d is BF16


DTYPES = (float16, float32, float64, uint8, int8, int16, int32, int64, bool_)
_BY_NP = {d.np: d for d in DTYPES}
_BY_NAME = {d.name: d for d in DTYPES}
# PyTorch's aliases (tg.float is float32, tg.int is int32), so to_dtype(name) is tg.<name>;
# NumPy reads "float" as float64 and "int" as int64
_BY_NAME.update(half=float16, float=float32, double=float64, short=int16, int=int32, long=int64)
_BY_NAME["bfloat16"] = bfloat16
DEFAULT_FLOAT = np.dtype(np.float32)  # what Python floats become; set_default_dtype changes it
DEFAULT_INT = np.dtype(np.int64)


def get_default_dtype() -> dtype:
    """The floating point dtype that Python floats and float creation functions
    (``zeros``, ``randn``, ``tensor([1.0])``, ...) give: float32 unless ``set_default_dtype``
    changed it."""
    return _BY_NP[DEFAULT_FLOAT]


def set_default_dtype(d) -> None:
    """Make ``d`` (float16, float32 or float64) the default floating point dtype: the dtype of
    Python floats in ops (``int_tensor * 2.5``), of integer inputs to float ops (``exp``), and
    of the float creation functions, layers' parameters included. Other dtypes raise, as in
    PyTorch."""
    global DEFAULT_FLOAT
    d = to_dtype(d)
    if not d.is_floating_point:
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    DEFAULT_FLOAT = d.np


def to_dtype(d) -> dtype:
    """Accept a tensorgrad dtype, a NumPy dtype or type, a name, or Python float/int/bool
    (``float`` is float64, as in PyTorch and NumPy: ``zeros(2, dtype=float)`` is double)."""
    if isinstance(d, dtype):
        return d
    if d is builtins.float:
        return float64
    if d is builtins.int:
        return int64
    if d is builtins.bool:
        return bool_
    if isinstance(d, str) and d in _BY_NAME:
        return _BY_NAME[d]
    try:
        return from_np(np.dtype(d))
    except TypeError:
        names = ", ".join(_BY_NAME)
        raise TypeError(f"unsupported dtype {d!r}; use one of {names}") from None


def from_np(np_dtype: np.dtype) -> dtype:
    try:
        return _BY_NP[np_dtype]
    except KeyError:
        if np_dtype.name == "bfloat16" and BF16 is None:  # ml_dtypes', imported by the user
            bfloat16_np()
            return from_np(np_dtype)
        raise TypeError(f"unsupported array dtype {np_dtype}") from None


def _category(d: np.dtype) -> int:
    """0 bool, 1 integer, 2 floating point."""
    return 2 if is_float(d) else 0 if d.kind == "b" else 1


def promote_types(a: np.dtype, b: np.dtype) -> np.dtype:
    """PyTorch's promotion: the higher category wins whole (int64 + float16 -> float16);
    bfloat16 with float16 is float32, the smallest type holding both."""
    ca, cb = _category(a), _category(b)
    if ca != cb:
        return a if ca > cb else b
    if a is b:
        return a
    if BF16 is not None and (a is BF16 or b is BF16):
        other = b if a is BF16 else a
        return other if other.itemsize > 2 else np.dtype(np.float32)
    return np.promote_types(a, b)


def result_type(*operands) -> np.dtype:
    """The dtype of an elementwise op over tensors and Python scalars, as PyTorch computes it.

    Operands fall in three priority groups: tensors with dimensions, zero-dim tensors, and
    Python scalars (float -> the default float32, int -> int64). A lower group only matters
    when its category (bool < int < float) is above every higher group's.
    """
    groups: list[np.dtype | None] = [None, None, None]  # dims, zero-dim, scalar
    for x in operands:
        if hasattr(x, "array") and hasattr(x, "grad_fn"):
            d, g = x.array.dtype, 0 if x.array.ndim else 1
        else:
            d, g = _scalar_dtype(x), 2
        groups[g] = d if groups[g] is None else promote_types(groups[g], d)

    def combine(higher, lower):
        if higher is None:
            return lower
        if lower is None or is_float(higher):
            return higher
        if higher.kind == "b" or is_float(lower):
            return promote_types(higher, lower)
        return higher

    return combine(groups[0], combine(groups[1], groups[2]))


def _scalar_dtype(x) -> np.dtype:
    if isinstance(x, (bool, np.bool_)):
        return np.dtype(np.bool_)
    if isinstance(x, (builtins.int, np.integer)):
        return DEFAULT_INT
    if isinstance(x, (builtins.float, np.floating)):
        return DEFAULT_FLOAT
    raise TypeError(f"expected a Tensor or a Python number, got {type(x).__name__}")


# PyTorch's dtype queries, on tensorgrad dtypes (the functions above work on NumPy dtypes):
# tg.promote_types, tg.result_type, tg.can_cast, tg.finfo, tg.iinfo


def promoted(type1, type2) -> dtype:
    """``tg.promote_types(type1, type2)``: the smallest dtype both cast to without losing
    category (bool < integer < floating point); the higher category wins whole, so
    ``promote_types(int64, float16)`` is float16, and ``(uint8, int8)`` is int16."""
    return from_np(promote_types(to_dtype(type1).np, to_dtype(type2).np))


def result_dtype(tensor, other) -> dtype:
    """``tg.result_type(tensor, other)``: the dtype an elementwise op of two operands (tensors
    or Python numbers) computes in. Tensors with dimensions outrank 0-d tensors, which outrank
    Python numbers; a lower rank only counts when its category is higher
    (``result_type(int32 tensor, 2.5)`` is the default float dtype)."""
    return from_np(result_type(tensor, other))


def can_cast(from_, to) -> bool:
    """PyTorch's casting rule for results written into a tensor (``out=``, in-place ops): any
    cast is allowed except floating point to integer or bool, and integer to bool."""
    a, b = to_dtype(from_).np, to_dtype(to).np
    return _category(a) <= _category(b) or (is_float(a) and is_float(b))


class finfo:
    """``tg.finfo(dtype)``: the limits of a floating point dtype (the default one when omitted).

    ``bits``; ``eps``, the gap between 1 and the next number; ``max`` and ``min`` (= -max), the
    largest finite numbers; ``tiny`` = ``smallest_normal``, the smallest positive normal number;
    ``resolution`` = 10^-(decimal digits); ``dtype``, the dtype's name."""

    def __init__(self, type=None) -> None:
        d = get_default_dtype() if type is None else to_dtype(type)
        if not d.is_floating_point:
            raise TypeError(
                f"finfo() requires a floating point dtype, got {d}; use tg.iinfo for integers"
            )
        info = np_finfo(d.np)
        self.bits = builtins.int(info.bits)
        self.eps, self.max, self.min = float(info.eps), float(info.max), float(info.min)
        self.tiny = self.smallest_normal = float(info.smallest_normal)
        self.resolution = 10.0 ** -builtins.int(info.precision)  # PyTorch's: exact, not rounded
        self.dtype = d.name

    def __eq__(self, other) -> bool:
        return isinstance(other, finfo) and self.dtype == other.dtype

    def __hash__(self) -> int:
        return hash(("finfo", self.dtype))

    def __repr__(self) -> str:
        fields = ("resolution", "min", "max", "eps", "smallest_normal", "tiny")
        values = ", ".join(f"{k}={getattr(self, k):.6g}" for k in fields)
        return f"finfo({values}, dtype={self.dtype})"


class iinfo:
    """``tg.iinfo(dtype)``: the limits of an integer dtype: ``bits``, ``min`` and ``max`` (the
    smallest and largest values, Python ints) and ``dtype``, its name. bool is refused, as in
    PyTorch."""

    def __init__(self, type) -> None:
        d = to_dtype(type)
        if d.np.kind not in "iu":
            raise TypeError(
                f"iinfo() requires an integer dtype, got {d}"
                + ("; use tg.finfo for floating point" if d.is_floating_point else "")
            )
        info = np.iinfo(d.np)
        self.bits, self.min, self.max = (builtins.int(v) for v in (info.bits, info.min, info.max))
        self.dtype = d.name

    def __eq__(self, other) -> bool:
        return isinstance(other, iinfo) and self.dtype == other.dtype

    def __hash__(self) -> int:
        return hash(("iinfo", self.dtype))

    def __repr__(self) -> str:
        return f"iinfo(min={self.min:.6g}, max={self.max:.6g}, dtype={self.dtype})"


class Size(tuple):
    """``tg.Size([2, 3])``: a shape, a tuple of ints with ``numel()``. ``Tensor.shape`` stays a
    plain tuple (it is NumPy's, read on every op), which compares equal to a Size of the same
    sizes: ``x.shape == tg.Size([2, 3])``. Slicing and ``+`` give a Size, as in PyTorch."""

    __slots__ = ()

    def __new__(cls, sizes=()):
        if hasattr(sizes, "tolist") and not isinstance(sizes, tuple):  # a tensor or array
            sizes = sizes.tolist()
        out = []
        for i, s in enumerate(sizes):
            if isinstance(s, bool) or not hasattr(s, "__index__"):
                raise TypeError(
                    f"Size() takes an iterable of 'int' (item {i} is '{type(s).__name__}')"
                )
            out.append(s.__index__())
        return super().__new__(cls, out)

    def numel(self) -> builtins.int:
        """The number of elements of a tensor of this shape: the product of the sizes."""
        return math.prod(self)

    def __getitem__(self, index):
        item = tuple.__getitem__(self, index)
        return Size(item) if isinstance(index, slice) else item

    def __add__(self, other):
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(tuple(self) + other)

    def __radd__(self, other):
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(other + tuple(self))

    def __mul__(self, n):
        return Size(tuple(self) * n)

    __rmul__ = __mul__

    def __repr__(self) -> str:
        return f"{NAMESPACE}.Size({list(self)})"

    __str__ = __repr__

    def __reduce__(self):
        return (Size, (tuple(self),))


# --------------------------------------------------------------------------------------------
# devices


class Device:
    """``Device('cpu')``, ``Device('cuda')`` (index 0), ``Device('cuda:1')``."""

    __slots__ = ("type", "index")

    def __init__(self, spec: str | Device = "cpu", index: int | None = None) -> None:
        if isinstance(spec, Device):
            self.type, self.index = spec.type, spec.index
            return
        if not isinstance(spec, str):
            raise TypeError(f"device must be a string like 'cpu' or 'cuda:0', got {spec!r}")
        kind, _, idx = spec.partition(":")
        if kind not in ("cpu", "cuda") or (idx and not idx.isdigit()) or (kind == "cpu" and idx):
            raise ValueError(f"unknown device {spec!r}; expected 'cpu', 'cuda' or 'cuda:N'")
        self.type = kind
        self.index = None if kind == "cpu" else (builtins.int(idx) if idx else index or 0)

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            other = Device(other)
        return isinstance(other, Device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"


CPU = Device("cpu")
DEFAULT_DEVICE: Device | None = None  # set_default_device's; None: the CPU


def set_default_device(device) -> None:
    """Make the factory functions (``zeros``, ``randn``, ``arange``, ``tensor``, ``as_tensor``
    of non-tensors, ...) and so the layers' parameters create their tensors on ``device``
    when given none (``torch.set_default_device``); ``None`` or ``'cpu'`` goes back to the
    CPU. Functions of a tensor (``zeros_like``, ops) keep its device, and ``from_numpy`` is
    always on the CPU."""
    global DEFAULT_DEVICE
    target = None if device is None else Device(device)
    DEFAULT_DEVICE = None if target == CPU else target


def get_default_device() -> Device:
    """The device ``set_default_device`` chose (the CPU unless it was called)."""
    return CPU if DEFAULT_DEVICE is None else DEFAULT_DEVICE


def default_device(device):
    """``device``, or the default device when it is None (None too while that is the CPU)."""
    return device if device is not None else DEFAULT_DEVICE


class CudaUnavailableError(RuntimeError, AssertionError):
    """Raised when a tensor or module is sent to 'cuda' and no GPU can be used. PyTorch built
    without CUDA raises AssertionError ("Torch not compiled with CUDA enabled") and one with
    CUDA but no GPU a RuntimeError; this is both, so either ``except`` clause catches it."""


_cupy = None
_cupy_missing: str | None = None  # why CuPy could not be used, once tried


def cupy():
    """Import CuPy on first use, with an error that says what to install. A failure is
    remembered: ``cuda.is_available()`` in a loop costs a check, not an import attempt."""
    global _cupy, _cupy_missing
    if _cupy is None:
        if _cupy_missing is None:
            try:
                import cupy as cp

                if cp.cuda.runtime.getDeviceCount() < 1:
                    raise RuntimeError("no CUDA device visible")
            except Exception as e:  # ImportError, CUDA driver errors
                _cupy_missing = (
                    ("Torch not compiled with CUDA enabled: " if isinstance(e, ImportError) else "")
                    + f"device 'cuda' needs CuPy and a CUDA GPU ({type(e).__name__}: {e}); "
                    "install it with `pip install tensorgrad[cuda]`"
                )
            else:
                _cupy = cp
                return _cupy
        raise CudaUnavailableError(_cupy_missing)
    return _cupy


def cupy_if_loaded():
    """CuPy if a tensor has been on the GPU (it is imported then), else None: never imports."""
    return _cupy


def nccl():
    """CuPy's NCCL bindings (``cupy.cuda.nccl``), for the distributed 'nccl' backend."""
    cupy()  # CuPy and a GPU first, with that error message
    try:
        from cupy.cuda import nccl as module
    except ImportError as e:
        raise RuntimeError(
            f"backend='nccl' needs CuPy built with NCCL ({e}); pip install nvidia-nccl-cu12"
        ) from None
    if not getattr(module, "available", True):
        raise RuntimeError("backend='nccl': this CuPy has no NCCL support")
    return module


def to_numpy(array) -> np.ndarray:
    """A host (NumPy) array with ``array``'s values."""
    return array if type(array) is np.ndarray else array.get()


def xp_of(array):
    """The array module (numpy or cupy) that owns ``array``."""
    return np if type(array) is np.ndarray else _cupy if _cupy is not None else cupy()


def xp_for(device: Device):
    return np if device.type == "cpu" else cupy()


def device_of(array) -> Device:
    if type(array) is np.ndarray:
        return CPU
    return Device("cuda", array.device.id)


def to_device(array, device: Device):
    """Copy ``array`` to ``device`` (no copy when it is already there)."""
    if device.type == "cpu":
        return array if type(array) is np.ndarray else array.get()
    if array.dtype is BF16 and BF16 is not None:
        raise TypeError(
            f"can't move a bfloat16 tensor of shape {array.shape} to {device}: CuPy has no "
            "bfloat16 type; cast it first (.float() or .half())"
        )
    cp = cupy()
    if type(array) is not np.ndarray and array.device.id == device.index:
        return array
    with cp.cuda.Device(device.index):
        return cp.asarray(array)


def is_array(x) -> bool:
    return type(x) is np.ndarray or (_cupy is not None and type(x) is _cupy.ndarray)


def owner(array):
    """The array that owns ``array``'s memory: itself, unless it is a view of another array.
    (An array on foreign memory, such as numba's or ``frombuffer``'s, owns it as far as we
    can tell: its ``base`` is not an array.)"""
    while is_array(array.base):
        array = array.base
    return array


def scatter_add(target, index, values) -> None:
    """``target[index] += values`` where repeated indices all add (``np.add.at``).

    On the host, a target of 2+ dims is updated through its flat view with the flat positions
    that ``index`` selects: ``np.add.at`` on a 1-D array with 1-D indices is ~7x faster than with
    rows of values, and adds in the same order (the same result to the bit). With the numba
    kernels on, whole rows indexed by one 1-D integer array (an embedding's gradient) are added
    by ``kernels.scatter.scatter_rows`` instead (4-20x faster; equal to the bit)."""
    if type(target) is np.ndarray:
        if kernels.ENABLED and _scatter_rows(target, index, values):
            return
        if target.ndim > 1 and target.flags.c_contiguous:
            positions = np.arange(target.size).reshape(target.shape)[index]
            flat_values = np.broadcast_to(values, positions.shape).reshape(-1)
            np.add.at(target.reshape(-1), positions.reshape(-1), flat_values)
        else:
            np.add.at(target, index, values)
    else:
        import cupyx

        cupyx.scatter_add(target, index, values)


def _scatter_rows(target, index, values) -> bool:
    """``target[idx] += values`` by the numba kernel when it applies (a C-contiguous float32 or
    float64 target of 2+ dims, ``index == (idx,)`` with ``idx`` 1-D integers in bounds, values
    of the target's dtype shaped ``(len(idx), *target.shape[1:])``); False if it does not."""
    if not (
        target.ndim > 1
        and target.dtype in (np.float32, np.float64)
        and target.flags.c_contiguous
        and type(index) is tuple
        and len(index) == 1
        and type(index[0]) is np.ndarray
        and index[0].ndim == 1
        and index[0].dtype.kind in "iu"
        and type(values) is np.ndarray
        and values.dtype == target.dtype
        and values.shape == index[0].shape + target.shape[1:]
    ):
        return False
    idx, n = index[0], target.shape[0]
    if idx.size and (idx.min() < -n or idx.max() >= n):
        return False  # np.add.at raises NumPy's IndexError
    from .kernels.scatter import scatter_rows

    width = target.size // n if n else 0  # the elements of one row
    rows = np.ascontiguousarray(values).reshape(idx.size, width)
    scatter_rows(target.reshape(n, width), idx, rows)
    return True


# --------------------------------------------------------------------------------------------
# host memory


def _keep_freed_host_memory() -> bool:
    """Ask glibc's malloc to keep freed activation memory for reuse instead of handing it back.

    A training step allocates and frees tens of MiB of NumPy temporaries. By default glibc
    serves big blocks with mmap and trims the heap when more than a few MiB are free at its top,
    so each step hands the memory back to the kernel and page-faults it in again (about 6000
    faults per step on benchmarks/bench_gpt.py, a quarter of its time). With these thresholds
    blocks up to 32 MiB come from the heap and up to 128 MiB of free heap is kept: a step then
    takes about 2 faults, and peak memory is unchanged. PyTorch avoids the churn with fewer,
    fused temporaries; this is the cheaper fix for NumPy. It sets what the MALLOC_MMAP_THRESHOLD_
    and MALLOC_TRIM_THRESHOLD_ environment variables set (for the whole process) and is skipped
    when either is set, when TENSORGRAD_MALLOC_DEFAULTS=1, or off glibc. Returns whether it ran.
    """
    import os
    import sys

    env = os.environ
    if (
        not sys.platform.startswith("linux")
        or "MALLOC_MMAP_THRESHOLD_" in env
        or "MALLOC_TRIM_THRESHOLD_" in env
        or env.get("TENSORGRAD_MALLOC_DEFAULTS") == "1"
    ):
        return False
    try:
        import ctypes

        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):  # musl and other C libraries: leave them alone
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3
    return bool(mallopt(m_mmap_threshold, 32 << 20)) and bool(mallopt(m_trim_threshold, 128 << 20))


MALLOC_TUNED = _keep_freed_host_memory()
