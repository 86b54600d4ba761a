"""Argument helpers shared by ``Tensor``, the creation functions and the ops.

Dimension arguments (``wrap_dim``: PyTorch's negative dims and range errors), shape arguments
(``size_args``, ``infer_shape``, ``broadcast_shape``), conversion of user data to arrays and
tensors (``to_array``, ``to_tensor``), and the dispatch of binary ops after PyTorch's type
promotion (``binary``, ``compare``, ``logical``). Every error names the shapes, dtypes and
devices involved.
"""

from __future__ import annotations

import builtins
import functools
import math
import warnings

import numpy as np

from . import backend
from .autograd.function import SCRATCH
from .backend import Device, is_float, xp_of
from .grad_mode import GradMode
from .jit import recorder
from .ops import elementwise
from .tensor import Tensor

_ndarray = np.ndarray
_make = Tensor._make
_NUMBER_TYPES = (float, int)  # exactly these: bool is not a float op's scalar
# the dtypes binary's fast path takes; float16 takes the checked path, where a product or
# quotient with a scalar is computed in float32 as PyTorch does (binary_checked)
_FLOAT_DTYPES = frozenset(np.dtype(t) for t in (np.float32, np.float64))
_HALF = np.dtype(np.float16)
PY_SCALARS = (int, float, bool)
_MUL, _DIV = elementwise.Mul, elementwise.Div


def to_array(data, dtype=None, device=None, copy=False):
    """Turn ``data`` into an array of ``dtype`` on ``device`` (Python floats -> the default
    float dtype, ints -> int64)."""
    np_dtype = None if dtype is None else backend.to_dtype(dtype).np
    if isinstance(data, Tensor):
        array = data.array
    elif backend.is_array(data):
        array = data
    elif isinstance(data, np.generic):
        array = np.asarray(data)
    else:
        if hasattr(data, "__dlpack__") and not isinstance(data, (list, tuple)):
            from .creation import from_dlpack  # rare, and creation imports this module

            return to_array(from_dlpack(data), dtype, device, copy)
        if isinstance(data, (str, bytes)):
            raise TypeError(f"can't make a tensor from {type(data).__name__} {data!r}")
        inferred = None
        if np_dtype is None and isinstance(data, (list, tuple)):
            inferred = sequence_dtype(data)
        try:
            array = np.asarray(data, dtype=np_dtype if inferred is None else inferred)
        except (TypeError, ValueError) as e:  # ragged nesting, strings inside lists
            raise type(e)(f"can't make a tensor from this {type(data).__name__}: {e}") from None
        copy = False
        if np_dtype is None and (inferred is None or inferred.kind == "c"):
            if is_float(array.dtype):  # Python floats: the default float dtype
                array = array.astype(backend.DEFAULT_FLOAT)
            elif array.dtype.kind in "iu":
                array = array.astype(np.int64)
            elif array.dtype.kind not in "b":
                raise TypeError(
                    f"can't make a tensor from {type(data).__name__} of dtype {array.dtype}"
                )
    if np_dtype is not None and array.dtype != np_dtype:
        array, copy = array.astype(np_dtype), False
    if device is not None:
        target = Device(device)
        if target != backend.device_of(array):
            array, copy = backend.to_device(array, target), False
    if copy:
        array = array.copy()
    backend.from_np(array.dtype)  # raises on unsupported dtypes
    return array


def sequence_dtype(data: list | tuple) -> np.dtype | None:
    """PyTorch's dtype for a nested list or tuple (``infer_scalar_type`` in
    torch/csrc/utils/tensor_new.cpp): each element's own, promoted over all of them (a Python
    float is the default float dtype, an int int64, a bool bool; a NumPy scalar or array or a
    tensor keeps its dtype, so ``[np.float64(1.0), 2.0]`` is float64 and ``[np.uint8(1)]`` uint8);
    an empty sequence is of the default float dtype. None when an element is none of these (NumPy
    then decides, or raises)."""
    found = None
    pending = [data]
    while pending:
        seq = pending.pop()
        dtypes = [backend.DEFAULT_FLOAT] if len(seq) == 0 else []
        for kind in set(map(type, seq)):  # one pass in C; the loop runs once per element type
            if issubclass(kind, np.generic):  # before float: np.float64 subclasses it
                dtypes.append(np.dtype(kind))
            elif kind is float:
                dtypes.append(backend.DEFAULT_FLOAT)
            elif kind is bool:
                dtypes.append(np.dtype(np.bool_))
            elif kind is builtins.int:
                dtypes.append(backend.DEFAULT_INT)
            elif kind is complex:
                dtypes.append(np.dtype(np.complex128))  # refused by the caller
            elif issubclass(kind, (list, tuple)):
                pending.extend(x for x in seq if type(x) is kind)
            else:
                items = [x for x in seq if type(x) is kind]
                if issubclass(kind, Tensor):
                    dtypes.extend(x.array.dtype for x in items)
                elif backend.is_array(items[0]):
                    dtypes.extend(x.dtype for x in items)
                else:
                    return None
        for d in dtypes:
            found = d if found is None else backend.promote_types(found, d)
    return found


def to_tensor(x, like: Tensor) -> Tensor:
    """``x`` as a Tensor on ``like``'s device; Python scalars take ``like``'s dtype if they fit."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, PY_SCALARS):
        dt = like.array.dtype if scalar_fits(x, like.array.dtype) else backend._scalar_dtype(x)
        return Tensor._make(recorder.call(xp_of(like.array).asarray, x, dtype=dt))
    return Tensor._from_data(x, device=like.device)


def scalar_fits(x, np_dtype) -> bool:
    if isinstance(x, bool):
        return True
    if isinstance(x, builtins.int):
        return np_dtype.kind in "iuf"
    return is_float(np_dtype)


def binary(op, a, b, true_divide: bool = False) -> Tensor:
    """``op(a, b)`` after PyTorch's type promotion and shape/device checks."""
    # fast path: float32/float64 tensors of one dtype and shape on the CPU, or such a tensor
    # and a Python number; nothing to promote, broadcast or check
    backend.silence_float_warnings()  # it skips Op.apply, which does this for the other ops
    if recorder.ACTIVE is not None:  # tg.compile records every op: none skips Op.apply
        return binary_checked(op, a, b, true_divide)
    if isinstance(a, Tensor):
        da = a.array
        dt = da.dtype
        if dt in _FLOAT_DTYPES:
            tb = type(b)
            if tb is float or tb is builtins.int:
                if a.requires_grad and GradMode.enabled:
                    return op.apply(a, b)
                return _make(op.forward(SCRATCH, da, b))  # no graph: the array op alone
            if isinstance(b, Tensor):
                db = b.array
                if db.dtype is dt and da.shape == db.shape and type(da) is _ndarray is type(db):
                    if GradMode.enabled and (a.requires_grad or b.requires_grad):
                        return op.apply(a, b)
                    return _make(op.forward(SCRATCH, da, db))
    elif isinstance(b, Tensor) and type(a) in _NUMBER_TYPES and b.array.dtype in _FLOAT_DTYPES:
        if b.requires_grad and GradMode.enabled:
            return op.apply(a, b)
        return _make(op.forward(SCRATCH, a, b.array))
    return binary_checked(op, a, b, true_divide)


def binary_checked(op, a, b, true_divide: bool) -> Tensor:
    if op is elementwise.Sub and (is_bool(a) or is_bool(b)):
        raise RuntimeError(
            "Subtraction, the `-` operator, with a bool tensor is not supported; to invert a "
            "mask, use the `~` or `logical_not()` operator instead"
        )
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        da, db = a.array, b.array
        if type(da) is not type(db) or (type(da) is not np.ndarray and a.device != b.device):
            raise RuntimeError(
                f"{op_name(op)}: expected all tensors on the same device, got {a.device} and "
                f"{b.device}"
            )
        if da.shape != db.shape:
            broadcast_shape(op_name(op), da.shape, db.shape)
        dt = da.dtype
        if dt != db.dtype or (true_divide and not is_float(dt)):
            dt = backend.result_type(a, b)
            if true_divide and not is_float(dt):
                dt = backend.DEFAULT_FLOAT
        if dt is _HALF and db.size == 1 and (op is _MUL or op is _DIV):
            return half_by_scalar(op, a.to(dt), b)  # b's own value, not rounded to float16
        if dt != da.dtype or dt != db.dtype:
            a, b = a.to(dt), b.to(dt)
        return op.apply(a, b)
    t, s = (a, b) if isinstance(a, Tensor) else (b, a)
    scalar_first = a is s
    if isinstance(s, np.generic):  # np.float64 subclasses float, but NumPy would not weaken it
        s = s.item()
    if not isinstance(s, PY_SCALARS):
        s = Tensor._from_data(s, device=t.device)
        return binary_checked(op, s if scalar_first else t, t if scalar_first else s, true_divide)
    kind = t.array.dtype.kind
    if (kind in "biu" and isinstance(s, float)) or (true_divide and not is_float(t.array.dtype)):
        t = t.to(backend.DEFAULT_FLOAT)
    elif kind == "b" and isinstance(s, builtins.int) and not isinstance(s, bool):
        t = t.to(backend.DEFAULT_INT)
    elif kind in "iu" and type(s) is builtins.int:
        s = wrapped(s, t.array.dtype)
    if t.array.dtype is backend.BF16 and not isinstance(s, bool):
        return _bfloat16_by_scalar(op, t, s, scalar_first)
    if t.array.dtype is _HALF and (op is _MUL or op is _DIV):
        if not scalar_first:
            return half_by_scalar(op, t, s)
        if op is _MUL:
            return half_by_scalar(op, t, s)
        return half_by_scalar(_MUL, _DIV.apply(1.0, t), s)  # PyTorch: s / t = t.reciprocal() * s
    return op.apply(s, t) if scalar_first else op.apply(t, s)


def wrapped(n: builtins.int, np_dtype) -> builtins.int:
    """The Python int ``n`` cast to the integer dtype as PyTorch casts a scalar operand: modulo
    2^bits into the dtype's range (``uint8 tensor + 1000`` adds 232; NumPy refuses it)."""
    info = np.iinfo(np_dtype)
    if info.min <= n <= info.max:
        return n
    return (n - info.min) % (info.max - info.min + 1) + info.min


def half_by_scalar(op, a: Tensor, b) -> Tensor:
    """``a * b`` or ``a / b`` for a float16 tensor ``a`` and a scalar ``b`` (a Python number or
    a one-element tensor) as PyTorch computes them: in float32 with b's own value, rounded to
    float16 once at the end. NumPy would round b to float16 first: ``half * 1e5`` would be inf
    everywhere and ``half * 1e-8`` zero. (PyTorch's add, sub, pow and remainder do round the
    scalar, and NumPy's float16 arithmetic matches them.)"""
    if isinstance(b, Tensor):
        b = b.to(np.float32)  # a float64 scalar: its value rounded to float32, as PyTorch's
    return op.apply(a.to(np.float32), b).to(_HALF)


def _bfloat16_by_scalar(op, t: Tensor, s, scalar_first: bool) -> Tensor:
    """A bfloat16 tensor and a Python number, as PyTorch's CPU kernels compute them: ``*`` and
    ``/`` in float32 with the number's own value (rounded to float32), ``s / t`` as
    ``t.reciprocal() * s``, every other op (``+``, ``-``, ``**``, ``%``) with the number first
    rounded to bfloat16; each result rounded to bfloat16 once (``Op.apply``)."""
    if op is _DIV and scalar_first:
        return _MUL.apply(_DIV.apply(1.0, t), s)
    if op is not _MUL and op is not _DIV:
        s = float(np.float32(s).astype(backend.BF16))
    return op.apply(s, t) if scalar_first else op.apply(t, s)


def is_bool(x) -> bool:
    return isinstance(x, (bool, np.bool_)) or (isinstance(x, Tensor) and x.array.dtype == np.bool_)


def no_grad_binary(fn, a, b, name) -> Tensor:
    a_t = a if isinstance(a, Tensor) else None
    b_t = b if isinstance(b, Tensor) else None
    like = a_t if a_t is not None else b_t
    a_t = a_t if a_t is not None else to_tensor(a, like)
    b_t = b_t if b_t is not None else to_tensor(b, like)
    if a_t.shape != b_t.shape:
        broadcast_shape(name, a_t.shape, b_t.shape)
    dt = backend.result_type(a, b)
    return Tensor._make(recorder.call(_cast_call, fn, a_t.array, b_t.array, dt))


def _cast_call(fn, a, b, dt):
    """``fn(a, b)`` on both operands cast to ``dt`` (a no-grad binary op's array work)."""
    return fn(a.astype(dt, copy=False), b.astype(dt, copy=False))


def compare(ufunc, name, a: Tensor, b) -> Tensor:
    if isinstance(b, Tensor):
        if a.shape != b.shape:
            broadcast_shape(name, a.shape, b.shape)
        if type(a.array) is not type(b.array):
            raise RuntimeError(
                f"{name}: expected all tensors on the same device, got {a.device} and {b.device}"
            )
        other = b.array
    elif isinstance(b, PY_SCALARS) or isinstance(b, np.generic):
        other = (
            wrapped(b, a.array.dtype)
            if type(b) is builtins.int and a.array.dtype.kind in "iu"
            else b
        )
    else:
        return compare(ufunc, name, a, Tensor._from_data(b, device=a.device))
    xp = xp_of(a.array)
    return Tensor._make(recorder.call(getattr(xp, ufunc.__name__), a.array, other))


def logical(ufunc, name, a, b) -> Tensor:
    """``ufunc(a, b)`` for the bitwise ops (and, or, xor, shifts) of bool and integer operands,
    tensors or Python ints (one at least a tensor), in PyTorch's promoted dtype
    (``int32 tensor & 0-d int64 tensor`` is int32, ``bool tensor & 1`` int64)."""
    kinds = [getattr(x, "dtype", np.dtype(type(x))) for x in (a, b)]
    kinds = [k.np.kind if isinstance(k, backend.dtype) else k.kind for k in kinds]
    if any(k not in "biu" for k in kinds):
        raise TypeError(
            f"{name}: only bool and integer tensors, got "
            f"{getattr(a, 'dtype', type(a).__name__)} and {getattr(b, 'dtype', type(b).__name__)}"
        )
    t = a if isinstance(a, Tensor) else b
    return no_grad_binary(getattr(xp_of(t.array), ufunc.__name__), a, b, name)


def _broadcast_phrase(sa: tuple, sb: tuple) -> str:
    """PyTorch's wording for the last dimension where ``sa`` and ``sb`` fail to broadcast."""
    n = max(len(sa), len(sb))
    pa, pb = (1,) * (n - len(sa)) + sa, (1,) * (n - len(sb)) + sb
    d = max(i for i in range(n) if pa[i] != pb[i] and 1 not in (pa[i], pb[i]))
    return (
        f"The size of tensor a ({pa[d]}) must match the size of tensor b ({pb[d]}) at "
        f"non-singleton dimension {d}"
    )


def broadcast_shape(name, sa, sb) -> tuple:
    """The shape two shapes broadcast to (NumPy's rule, in Python: ``np.broadcast_shapes``
    builds arrays to find it, several microseconds on every binary op that broadcasts)."""
    sa, sb = tuple(sa), tuple(sb)
    if sa == sb:
        return sa
    n = max(len(sa), len(sb))
    out = []
    for x, y in zip((1,) * (n - len(sa)) + sa, (1,) * (n - len(sb)) + sb):
        if x != y and x != 1 and y != 1:
            raise RuntimeError(
                f"{name}: {_broadcast_phrase(sa, sb)}: shapes {sa} and {sb} cannot be broadcast "
                "together"
            )
        out.append(y if x == 1 else x)
    return tuple(out)


def op_name(op) -> str:
    return op.__name__.lower()


def floating(x: Tensor) -> Tensor:
    """Integer inputs to float ops compute in the default float dtype, as PyTorch."""
    return x if is_float(x.array.dtype) else x.to(backend.DEFAULT_FLOAT)


def float_binary(op, a: Tensor, b) -> Tensor:
    """``op(a, b)`` for a binary op defined on floats (atan2, hypot, logaddexp): ``b`` a tensor
    or number, promoted as ``binary`` does, and a bool or integer result dtype computed in the
    default float dtype, as PyTorch's atan2 (its hypot and logaddexp refuse integers)."""
    b = to_tensor(b, a)
    if not is_float(backend.result_type(a, b)):
        a, b = a.to(backend.DEFAULT_FLOAT), b.to(backend.DEFAULT_FLOAT)
    return binary(op, a, b)


def wrap_dim(d, ndim: int) -> int:
    """Normalize a possibly negative dimension, with PyTorch's error when out of range."""
    n = builtins.max(ndim, 1)
    if not isinstance(d, (builtins.int, np.integer)) or isinstance(d, bool):
        raise TypeError(f"dim must be an int, got {type(d).__name__}")
    if not -n <= d < n:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {d})"
        )
    return builtins.int(d % n) if ndim else 0


def wrap_dims(dim, ndim: int) -> tuple:
    """``dim`` (None, int, or sequence) as a sorted tuple of non-negative axes."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, (builtins.int, np.integer)):
        d = wrap_dim(dim, ndim)  # a 0-d tensor accepts dim 0 and -1, and has no axes to reduce
        return (d,) if ndim else ()
    dims = [wrap_dim(d, ndim) for d in dim]
    for d in set(dims):
        if dims.count(d) > 1:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims {tuple(dim)}")
    return tuple(sorted(dims)) if ndim else ()


def reduce_dims(dim, ndim: int) -> tuple:
    """As ``wrap_dims``, but an empty ``dim`` reduces every axis (PyTorch's sum/mean/var/norm)."""
    return wrap_dims(None if isinstance(dim, (tuple, list)) and not dim else dim, ndim)


def numpy_axis(dim, ndim):
    return None if dim is None else wrap_dims(dim, ndim)


def numel_over(shape, dims) -> builtins.int:
    return builtins.int(np.prod([shape[d] for d in dims])) if dims else 1


def size_args(args, keyword=None, name: str = "", keyword_name: str = "size") -> tuple:
    """Accept ``f(2, 3)``, ``f((2, 3))`` and, as PyTorch does, the keyword form
    ``f(size=(2, 3))`` (``keyword`` holds its value, None when not given)."""
    if keyword is not None:
        if args:
            raise TypeError(f"{name}() got multiple values for argument '{keyword_name}'")
        return tuple(keyword) if isinstance(keyword, (tuple, list)) else (keyword,)
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return tuple(args)


def infer_shape(shape, numel, old_shape, name) -> tuple:
    shape = tuple(builtins.int(s) for s in shape)
    if shape.count(-1) > 1:
        raise RuntimeError(f"{name}: only one dimension can be inferred, got {shape}")
    if -1 in shape:
        known = math.prod(s for s in shape if s != -1)
        if known == 0 or numel % known:
            raise RuntimeError(
                f"{name}: shape {shape} is invalid for input of shape {tuple(old_shape)} "
                f"({numel} elements)"
            )
        shape = tuple(numel // known if s == -1 else s for s in shape)
    if any(s < 0 for s in shape) or math.prod(shape) != numel:
        raise RuntimeError(
            f"{name}: shape {shape} is invalid for input of shape {tuple(old_shape)} "
            f"({numel} elements)"
        )
    return shape


# ops whose out= must already have the result's dtype (PyTorch checks these strictly; the rest
# take any out dtype the result can be cast to, as ``backend.can_cast`` says)
SAME_DTYPE_OUT = frozenset(
    "matmul mm bmm mv dot addmm addmv addbmm baddbmm softmax log_softmax clamp clip argmax "
    "argmin".split()
)


def write_out(name: str, result, out, *, warn_resize: bool = True):
    """PyTorch's ``out=`` keyword: ``result`` is written into ``out`` (a tuple of results into
    a tuple of tensors), which is returned. ``out`` is resized when its shape differs (with
    PyTorch's deprecation warning unless it was empty) and keeps its dtype, into which the result
    is cast. Raises when the result needs a gradient, as PyTorch's out= functions do not
    record one, and, for the ops in ``SAME_DTYPE_OUT``, when the dtypes differ."""
    if isinstance(result, tuple):
        if not isinstance(out, (tuple, list)) or len(out) != len(result):
            raise TypeError(f"{name}(): out= must be a tuple of {len(result)} tensors")
        written = [write_out(name, r, o, warn_resize=warn_resize) for r, o in zip(result, out)]
        return type(result)(*written) if hasattr(result, "_fields") else tuple(written)
    if not isinstance(out, Tensor) or not isinstance(result, Tensor):
        raise TypeError(f"{name}(): out= takes a Tensor, got {type(out).__name__}")
    if GradMode.enabled and (result.requires_grad or out.requires_grad):
        raise RuntimeError(
            f"{name}(): functions with out=... arguments don't support automatic "
            "differentiation, but one of the arguments requires grad."
        )
    if name in SAME_DTYPE_OUT and out.dtype != result.dtype:
        raise RuntimeError(
            f"{name}(): expected out tensor to have dtype {result.dtype}, but got {out.dtype}"
        )
    if not backend.can_cast(result.dtype, out.dtype):
        raise RuntimeError(
            f"{name}(): result type {result.dtype} can't be cast to the desired output type "
            f"{out.dtype}"
        )
    if out.shape != result.shape:
        if out._base is not None:
            raise RuntimeError(
                f"{name}(): out= is a view of shape {tuple(out.shape)}, the result has shape "
                f"{tuple(result.shape)}; a view cannot be resized"
            )
        if out.numel() and warn_resize:
            warnings.warn(
                f"An output with one or more elements was resized since it had shape "
                f"{list(out.shape)}, which does not match the required output shape "
                f"{list(result.shape)}. This behavior is deprecated, and in a future PyTorch "
                "release outputs will not be resized unless they have zero elements.",
                UserWarning,
                stacklevel=3,
            )
        out.array = xp_of(out.array).empty(result.shape, out.array.dtype)
    if result.device != out.device:
        raise RuntimeError(
            f"{name}(): expected out on {result.device}, the result's device, got {out.device}"
        )
    out.copy_(result)
    return out


def with_out(function):
    """``function`` taking PyTorch's ``out=`` keyword too (``write_out``)."""

    @functools.wraps(function)
    def fn(*args, out=None, **kwargs):
        result = function(*args, **kwargs)
        return result if out is None else write_out(function.__name__, result, out)

    return fn


def with_factory_out(function):
    """A creation function (``zeros``, ``arange``, ``rand``, ...) taking PyTorch's ``out=``:
    the values are made in ``out``'s dtype (a ``dtype=`` that differs raises) and written into
    ``out``, resized to the result's shape without a warning as PyTorch's factories do."""

    @functools.wraps(function)
    def fn(*args, out=None, **kwargs):
        if out is None:
            return function(*args, **kwargs)
        if not isinstance(out, Tensor):
            raise TypeError(f"{function.__name__}(): out= takes a Tensor, got {type(out).__name__}")
        dtype = kwargs.get("dtype")
        if dtype is not None and backend.to_dtype(dtype) != out.dtype:
            raise RuntimeError(
                f"{function.__name__}(): dtype {backend.to_dtype(dtype)} does not match dtype of "
                f"out parameter ({out.dtype})"
            )
        kwargs.update(dtype=out.dtype, device=out.device)
        return write_out(function.__name__, function(*args, **kwargs), out, warn_resize=False)

    return fn
