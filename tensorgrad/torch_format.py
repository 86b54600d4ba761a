"""PyTorch's checkpoint format (``torch.save``'s default zip layout), read and written without
PyTorch and without running code from the file.

A ``torch.save`` file is a ZIP archive, its entries stored uncompressed in one folder
(``archive/``; PyTorch names it after the file, and readers take whatever the first entry says):

- ``data.pkl``: the saved object as a pickle (protocol 2). A tensor is the call
  ``torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad,
  backward_hooks)``, a Parameter ``torch._utils._rebuild_parameter(tensor, requires_grad,
  backward_hooks)``, and a storage is the persistent id ``('storage', torch.FloatStorage, key,
  location, numel)``: no tensor data is in the pickle, only where to find it;
- ``data/<key>``: each storage's ``numel`` elements as raw bytes in the order ``byteorder``
  says, the data aligned to 64 bytes in the file. Tensors that share a storage (a slice, a
  transpose, tied weights) name the same key with their own offset and strides, in elements;
- ``byteorder`` (``little``), ``version`` (``3``), ``.format_version`` (``1``: storages written
  in key order), ``.storage_alignment`` (``64``) and ``.data/serialization_id``.

:func:`read` unpickles ``data.pkl`` with :class:`~tensorgrad.serialization.RestrictedUnpickler`;
the globals PyTorch's own ``weights_only`` loader admits stand for functions here
(``_rebuild_tensor_v2`` makes a tensorgrad Tensor on a NumPy view of the storage), so nothing is
imported from torch and nothing else can run. :func:`encode` writes the pickle opcode by opcode
and emits only records that ``torch.load(weights_only=True)`` admits.
"""

from __future__ import annotations

import io
import pickle
import struct
import sys
import uuid
import zipfile
from collections import Counter, OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from . import serialization
from .backend import CPU, Device, dtype, to_device, to_dtype
from .checkpoint import CheckpointError
from .tensor import Tensor

__all__ = ["archive_prefix", "encode", "read", "write"]

ALIGNMENT = 64
# torch's storage classes of the dtypes tensorgrad has; the dtype of torch.<name> is tg.<name>
_STORAGES = {
    "DoubleStorage": "float64",
    "FloatStorage": "float32",
    "HalfStorage": "float16",
    "LongStorage": "int64",
    "IntStorage": "int32",
    "ShortStorage": "int16",
    "CharStorage": "int8",
    "ByteStorage": "uint8",
    "BoolStorage": "bool",
    "BFloat16Storage": "bfloat16",  # ml_dtypes' NumPy dtype, imported when a file holds one
}
_STORAGE_OF = {v: k for k, v in _STORAGES.items()}
_UNSUPPORTED_STORAGES = {
    "ComplexDoubleStorage": "complex128",
    "ComplexFloatStorage": "complex64",
    "QInt8Storage": "qint8",
    "QInt32Storage": "qint32",
    "QUInt8Storage": "quint8",
    "QUInt4x2Storage": "quint4x2",
    "QUInt2x4Storage": "quint2x4",
}
_DTYPE_NAMES = {"float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"}
_DTYPE_NAMES |= {"bfloat16"}
_DTYPE_NAMES |= {"half", "float", "double", "short", "int", "long"}
# dtypes torch.load admits that tensorgrad has not (NumPy has no float8 at all)
_UNSUPPORTED_DTYPES = {
    "complex32", "complex64", "complex128", "cfloat", "cdouble", "chalf",
    "uint16", "uint32", "uint64", "qint8", "qint32", "quint8", "quint4x2", "quint2x4",
    "float8_e4m3fn", "float8_e4m3fnuz", "float8_e5m2", "float8_e5m2fnuz", "float8_e8m0fnu",
    "float4_e2m1fn_x2", "bits8", "bits16", "bits1x8", "bits2x4", "bits4x2",
}  # fmt: skip
_UNSUPPORTED_DTYPES |= {f"uint{n}" for n in range(1, 8)} | {f"int{n}" for n in range(1, 8)}
# rebuild functions torch admits for tensor kinds tensorgrad has no counterpart of
_UNSUPPORTED_REBUILDS = {
    "_rebuild_qtensor": "a quantized tensor",
    "_rebuild_sparse_tensor": "a sparse tensor",
    "_rebuild_nested_tensor": "a nested tensor",
    "_rebuild_meta_tensor_no_storage": "a tensor on the meta device",
    "_rebuild_wrapper_subclass": "a tensor subclass",
    "_rebuild_device_tensor_from_numpy": "a tensor of an accelerator PyTorch rebuilds from NumPy",
    "_rebuild_device_tensor_from_cpu_tensor": "a tensor of an accelerator (XLA, MTIA, ...)",
}


def archive_prefix(names: list[str]) -> str | None:
    """The folder (``'archive/'``) of a ``torch.save`` archive's records, or None if
    ``names`` (a ZIP's entry names) are not such an archive."""
    for name in names:
        if name.endswith("/data.pkl") and name.count("/") == 1:
            return name[: -len("data.pkl")]
    return None


# ----------------------------------------------------------------------------- reading


class _StorageType:
    """Stands for ``torch.FloatStorage`` & co. inside a persistent id: the storage's dtype."""

    def __init__(self, name: str, dtype_name: str) -> None:
        self.name, self.dtype_name = name, dtype_name

    @property
    def dtype(self) -> np.dtype:
        """The NumPy dtype, looked up when a storage is read (bfloat16 imports ml_dtypes)."""
        return to_dtype(self.dtype_name).np

    def __repr__(self) -> str:
        return f"torch.{self.name}"


_UNTYPED = _StorageType("UntypedStorage", "uint8")


class _Storage:
    """A storage read from ``data/<key>``: its elements (1-D, native byte order) and the
    device it was saved on."""

    def __init__(self, array: np.ndarray, location: str) -> None:
        self.array, self.location = array, location


class _Marker:
    """Stands for a class a pickle may name but never call (``torch.Tensor``)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


_TENSOR, _PARAMETER = _Marker("torch.Tensor"), _Marker("torch.nn.parameter.Parameter")


def _ints(value: Any, what: str) -> tuple[int, ...]:
    if not isinstance(value, tuple) or not all(
        isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value
    ):
        raise ValueError(f"a tensor's {what} is {value!r}, not a tuple of non-negative ints")
    return value


def _strided(flat: np.ndarray, offset: Any, size: Any, stride: Any) -> np.ndarray:
    """The view of the 1-D storage ``flat`` that torch's ``Tensor.set_(storage, offset, size,
    stride)`` makes (offset and strides in elements), after checking that it stays inside."""
    size, stride = _ints(size, "size"), _ints(stride, "stride")
    (offset,) = _ints((offset,), "storage offset")
    if len(size) != len(stride):
        raise ValueError(f"a tensor has size {size} but stride {stride}")
    if 0 in size:
        return np.empty(size, flat.dtype)
    end = offset + sum((n - 1) * s for n, s in zip(size, stride)) + 1
    if end > flat.size:
        raise ValueError(
            f"a tensor of size {size}, stride {stride} at offset {offset} overruns its storage "
            f"of {flat.size} elements"
        )
    strides = tuple(s * flat.itemsize for s in stride)
    # a view whose .base is the storage, so that saving it again finds the storage it shares
    return np.ndarray(size, flat.dtype, buffer=flat, offset=offset * flat.itemsize, strides=strides)


def _set_state(obj: Tensor, state: Any) -> Tensor:
    """Python attributes a tensor carried (``_rebuild_parameter_with_state``,
    ``_rebuild_from_type_v2``): a dict, or a (dict, slots) pair whose slots must be empty."""
    if isinstance(state, tuple) and len(state) == 2:
        state, slots = state
        if slots:
            raise ValueError(f"tensor slot state {slots!r} cannot be restored")
    if state:
        if not isinstance(state, dict) or not all(isinstance(k, str) for k in state):
            raise ValueError(f"tensor state {state!r} is not a dict of attributes")
        obj.__dict__.update(state)  # plain attributes only: never a slot such as .array
    return obj


class _Reader:
    """One ``read``: the storages loaded so far and the stand-ins the pickle may call."""

    def __init__(self, path: str, zf: zipfile.ZipFile, prefix: str, place: Callable) -> None:
        self.path, self.zf, self.prefix, self.place = path, zf, prefix, place
        self.storages: dict[str, _Storage] = {}
        order = zf.read(prefix + "byteorder") if prefix + "byteorder" in zf.NameToInfo else None
        if order not in (None, b"little", b"big"):
            raise ValueError(f"unknown byteorder record {order!r}")
        self.order = "<" if order in (None, b"little") else ">"  # torch reads no record as little

    def globals(self) -> dict[str, Any]:
        """The names torch's weights_only unpickler admits, each mapped to its stand-in."""
        rebuilds = {
            "_rebuild_tensor": self.rebuild_tensor,
            "_rebuild_tensor_v2": self.rebuild_tensor_v2,
            "_rebuild_tensor_v3": self.rebuild_tensor_v3,
            "_rebuild_parameter": self.rebuild_parameter,
            "_rebuild_parameter_with_state": self.rebuild_parameter_with_state,
        }
        allowed = dict(serialization.PLAIN_GLOBALS)
        allowed.update({f"torch._utils.{k}": v for k, v in rebuilds.items()})
        allowed["torch._tensor._rebuild_from_type_v2"] = self.rebuild_from_type_v2
        allowed["torch.tensor._rebuild_from_type_v2"] = self.rebuild_from_type_v2  # torch < 1.9
        allowed["torch.Size"] = lambda sizes=(): tuple(_ints(tuple(sizes), "size"))
        allowed["torch.device"] = lambda spec, index=None: Device(spec, index)
        allowed["torch.Tensor"] = _TENSOR
        allowed["torch.nn.parameter.Parameter"] = _PARAMETER
        for name, dt in _STORAGES.items():
            for module in ("torch", "torch.cuda"):
                allowed[f"{module}.{name}"] = _StorageType(name, dt)
        allowed["torch.storage.UntypedStorage"] = _UNTYPED
        allowed.update({f"torch.{name}": to_dtype(name) for name in _DTYPE_NAMES})
        return allowed

    def unsupported(self, module: str, name: str) -> CheckpointError | None:
        """The error for a global torch admits but tensorgrad cannot represent, else None."""
        what = None
        if module in ("torch", "torch.cuda") and name in _UNSUPPORTED_STORAGES:
            what = f"{_UNSUPPORTED_STORAGES[name]} tensors"
        elif module == "torch" and name in _UNSUPPORTED_DTYPES:
            what = f"{name} tensors"
        elif module == "torch._utils" and name in _UNSUPPORTED_REBUILDS:
            what = _UNSUPPORTED_REBUILDS[name]
        if what is None:
            return None
        hint = (
            "NumPy has no such dtype; convert it in PyTorch (t.float()) before torch.save"
            if "float8" in what or "float4" in what
            else "convert it in PyTorch before torch.save"
        )
        return CheckpointError(
            f"{self.path!r} holds {what} ({module}.{name}), which tensorgrad cannot represent: "
            f"{hint}"
        )

    # the persistent ids: ('storage', storage type, key, location, numel)

    def persistent_load(self, pid: Any) -> _Storage:
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] in ("storage", b"storage")):
            raise pickle.UnpicklingError(f"persistent id {pid!r} is not a storage")
        _, kind, key, location, numel = pid
        location = location.decode("ascii") if isinstance(location, bytes) else location
        if not isinstance(kind, _StorageType) or not isinstance(key, str):
            raise pickle.UnpicklingError(f"persistent id {pid!r} is not a storage")
        if not isinstance(location, str) or not isinstance(numel, int) or numel < 0:
            raise pickle.UnpicklingError(f"persistent id {pid!r} is not a storage")
        if key not in self.storages:
            data = self.zf.read(f"{self.prefix}data/{key}")  # checks the CRC-32 first
            if len(data) != numel * kind.dtype.itemsize:
                raise ValueError(
                    f"data/{key} holds {len(data)} bytes, its pickle says {numel} elements of "
                    f"{kind.dtype}"
                )
            array = np.frombuffer(bytearray(data), kind.dtype.newbyteorder(self.order))
            # native order: the dtype itself (bfloat16 is compared by identity)
            array = array.view(kind.dtype) if array.dtype.isnative else array.astype(kind.dtype)
            self.storages[key] = _Storage(array, location)
        return self.storages[key]

    # the stand-ins of torch._utils' rebuild functions

    def make(self, storage: Any, flat: np.ndarray, offset, size, stride, requires_grad) -> Tensor:
        if not isinstance(storage, _Storage):
            raise pickle.UnpicklingError(f"a tensor's storage is a {type(storage).__name__}")
        t = Tensor._make(self.place(_strided(flat, offset, size, stride), storage.location))
        if not isinstance(requires_grad, bool):
            raise ValueError(f"requires_grad is {requires_grad!r}")
        return t.requires_grad_(True) if requires_grad else t

    def rebuild_tensor(self, storage, storage_offset, size, stride) -> Tensor:
        return self.rebuild_tensor_v2(storage, storage_offset, size, stride, False, None)

    def rebuild_tensor_v2(
        self, storage, storage_offset, size, stride, requires_grad, backward_hooks, metadata=None
    ) -> Tensor:
        # backward_hooks: always an empty OrderedDict since PyTorch stopped saving hooks
        if metadata and any(metadata.values()):
            raise ValueError(f"tensor metadata {metadata!r} (conjugate or negative bit)")
        array = getattr(storage, "array", None)
        return self.make(storage, array, storage_offset, size, stride, requires_grad)

    def rebuild_tensor_v3(
        self, storage, storage_offset, size, stride, requires_grad, backward_hooks, dt,
        metadata=None,
    ) -> Tensor:  # fmt: skip
        # an untyped (byte) storage read as dtype dt
        if not isinstance(storage, _Storage) or not isinstance(dt, dtype):
            raise pickle.UnpicklingError("_rebuild_tensor_v3 of a non-storage or non-dtype")
        raw = storage.array.view(np.uint8)
        flat = raw.view(dt.np.newbyteorder(self.order))
        if not flat.dtype.isnative:
            flat = flat.astype(dt.np)
        return self.make(storage, flat, storage_offset, size, stride, requires_grad)

    def rebuild_parameter(self, data, requires_grad, backward_hooks):
        from .nn.parameter import Parameter

        if not isinstance(data, Tensor) or not isinstance(requires_grad, bool):
            raise pickle.UnpicklingError("_rebuild_parameter of a non-tensor")
        return Parameter(data, requires_grad=requires_grad)

    def rebuild_parameter_with_state(self, data, requires_grad, backward_hooks, state):
        return _set_state(self.rebuild_parameter(data, requires_grad, backward_hooks), state)

    def rebuild_from_type_v2(self, func, new_type, args, state):
        if func not in self.rebuild_functions():
            raise pickle.UnpicklingError(f"_rebuild_from_type_v2 calls {func!r}")
        if new_type not in (_TENSOR, _PARAMETER):
            raise CheckpointError(
                f"{self.path!r} holds a tensor of the subclass {new_type!r}, which tensorgrad "
                "cannot represent"
            )
        return _set_state(func(*args), state)

    def rebuild_functions(self) -> list:
        return [
            self.rebuild_tensor,
            self.rebuild_tensor_v2,
            self.rebuild_tensor_v3,
            self.rebuild_parameter,
            self.rebuild_parameter_with_state,
        ]


class _TorchUnpickler(serialization.RestrictedUnpickler):
    def __init__(self, file, reader: _Reader) -> None:
        super().__init__(file, reader.globals(), reader.persistent_load)
        self.reader = reader

    def find_class(self, module: str, name: str) -> Any:
        module, name = serialization.python3_name(module, name)
        error = self.reader.unsupported(module, name)
        if error is not None:
            raise error
        return super().find_class(module, name)


class _TrustingTorchUnpickler(serialization.TrustingUnpickler):
    def __init__(self, file, reader: _Reader) -> None:
        super().__init__(file, reader.globals(), reader.persistent_load)
        self.reader = reader

    def find_class(self, module: str, name: str) -> Any:
        error = self.reader.unsupported(*serialization.python3_name(module, name))
        if error is not None:
            raise error
        return super().find_class(module, name)


def read(
    path: str,
    zf: zipfile.ZipFile,
    place: Callable[[np.ndarray, str], Any],
    weights_only: bool = True,
) -> Any:
    """The object a ``torch.save`` archive holds, its tensors as tensorgrad Tensors placed by
    ``place(array, saved_location)``. With ``weights_only`` (the default) only the globals
    torch's weights_only loader admits (and the allow-listed ones) may appear; a file that uses
    any other raises :class:`CheckpointError` before anything of it runs."""
    prefix = archive_prefix(zf.namelist())
    if prefix is None:
        raise CheckpointError(f"{path!r} has no data.pkl: not a torch.save file")
    if prefix + "constants.pkl" in zf.NameToInfo:
        raise CheckpointError(
            f"{path!r} is a TorchScript archive (torch.jit.save); tensorgrad reads torch.save "
            "files (save the model's state_dict() with torch.save)"
        )
    reader = _Reader(path, zf, prefix, place)
    unpickler = (_TorchUnpickler if weights_only else _TrustingTorchUnpickler)(
        io.BytesIO(zf.read(prefix + "data.pkl")), reader
    )
    return unpickler.load()


# ----------------------------------------------------------------------------- writing

_GLOBAL, _BINPUT, _LONG_BINPUT, _BINGET, _LONG_BINGET = b"c", b"q", b"r", b"h", b"j"


class _Encoder:
    """Writes a protocol-2 pickle of plain data and tensors opcode by opcode, the way
    ``torch.save`` pickles them; storages are collected for ``data/<key>``."""

    def __init__(self) -> None:
        self.out = bytearray(b"\x80\x02")  # PROTO 2
        self.memo: dict[Any, int] = {}
        self.keys: dict[int, str] = {}  # id(storage) -> key: 0, 1, 2, ... in order of first use
        self.storages: list[tuple[str, np.ndarray]] = []
        self.keep: list = []  # what is memoized by id stays alive, so its id stays unique

    def put(self, key: Any) -> None:
        i = self.memo[key] = len(self.memo)
        self.out += _BINPUT + bytes([i]) if i < 256 else _LONG_BINPUT + struct.pack("<I", i)

    def get(self, key: Any) -> bool:
        """Emit a reference to a memoized object; False if it is not memoized yet."""
        i = self.memo.get(key)
        if i is None:
            return False
        self.out += _BINGET + bytes([i]) if i < 256 else _LONG_BINGET + struct.pack("<I", i)
        return True

    def global_(self, module: str, name: str) -> None:
        if not self.get(("global", module, name)):
            self.out += _GLOBAL + f"{module}\n{name}\n".encode()
            self.put(("global", module, name))

    def call(self, module: str, name: str, write_args: Callable[[], None]) -> None:
        """``module.name(*args)``: GLOBAL, the args tuple, REDUCE."""
        self.global_(module, name)
        write_args()
        self.out += b"R"  # REDUCE

    def tuple_(self, items, where: str) -> None:
        if len(items) == 0:
            self.out += b")"  # EMPTY_TUPLE
            return
        if len(items) > 3:
            self.out += b"("  # MARK
        for i, v in enumerate(items):
            self.value(v, f"{where}[{i}]")
        self.out += b"t" if len(items) > 3 else b"\x85\x86\x87"[len(items) - 1 : len(items)]

    def value(self, obj: Any, where: str) -> None:
        out = self.out
        if obj is None:
            out += b"N"
        elif obj is True or obj is False:
            out += b"\x88" if obj else b"\x89"
        elif isinstance(obj, int) and type(obj) is not bool and not isinstance(obj, np.generic):
            if 0 <= obj < 256:
                out += b"K" + bytes([obj])
            elif 0 <= obj < 65536:
                out += b"M" + struct.pack("<H", obj)
            elif -(2**31) <= obj < 2**31:
                out += b"J" + struct.pack("<i", obj)
            else:
                data = pickle.encode_long(obj)
                if len(data) > 255:
                    raise TypeError(f"{where}: the int {obj} is too large")
                out += b"\x8a" + bytes([len(data)]) + data  # LONG1
        elif isinstance(obj, float) and not isinstance(obj, np.generic):
            out += b"G" + struct.pack(">d", obj)
        elif isinstance(obj, str):
            data = obj.encode("utf-8", "surrogatepass")
            out += b"X" + struct.pack("<I", len(data)) + data
        elif isinstance(obj, Tensor):
            self.tensor(obj, where)
        elif isinstance(obj, dtype):
            self.global_("torch", obj.name)
        elif isinstance(obj, Device):
            self.call("torch", "device", lambda: self.tuple_((str(obj),), where))
        elif isinstance(obj, tuple):
            self.tuple_(obj, where)
        elif isinstance(obj, list):
            out += b"]"  # EMPTY_LIST
            if obj:
                out += b"("
                for i, v in enumerate(obj):
                    self.value(v, f"{where}[{i}]")
                out += b"e"  # APPENDS
        elif isinstance(obj, (set, frozenset)) and type(obj) in (set, frozenset):
            items = sorted(obj, key=repr)  # a stable file for the same set
            self.call("builtins", type(obj).__name__, lambda: self.tuple_((items,), where))
        elif isinstance(obj, Mapping) and type(obj) in (dict, OrderedDict, Counter):
            if type(obj) is dict:
                out += b"}"  # EMPTY_DICT
            else:
                self.call("collections", type(obj).__name__, lambda: self.tuple_((), where))
            if obj:
                out += b"("
                for k, v in obj.items():
                    if not isinstance(k, (str, int, float, bool, type(None), tuple)):
                        raise TypeError(f"{where}: cannot save a dict key {k!r} in format='torch'")
                    self.value(k, f"{where}")
                    self.value(v, f"{where}[{k!r}]")
                out += b"u"  # SETITEMS
        else:
            raise TypeError(
                f"{where}: cannot save a {type(obj).__name__} in format='torch' (a torch.save "
                "file for torch.load(weights_only=True) holds tensors, numbers, strings, None, "
                "dtypes, devices and lists, tuples, sets and dicts of them)"
            )

    def tensor(self, t: Tensor, where: str) -> None:
        from .nn.parameter import Parameter

        if self.get(("tensor", id(t))):  # the same tensor again (tied weights)
            return
        if isinstance(t, Parameter):  # _rebuild_parameter(tensor, requires_grad, OrderedDict())
            self.global_("torch._utils", "_rebuild_parameter")
            self.tensor_v2(t, False)
            self.value(bool(t.requires_grad), where)
            self.call("collections", "OrderedDict", lambda: self.tuple_((), where))
            self.out += b"\x87R"  # TUPLE3, REDUCE
        else:
            self.tensor_v2(t, bool(t.requires_grad))
        self.put(("tensor", id(t)))
        self.keep.append(t)

    def tensor_v2(self, t: Tensor, requires_grad: bool) -> None:
        """``_rebuild_tensor_v2(storage, offset, size, stride, requires_grad, OrderedDict())``
        with the storage as the persistent id ``('storage', type, key, location, numel)``."""
        array = to_device(t.array, CPU)
        owner, flat, offset, stride = _storage_of(array)
        key = self.keys.get(id(owner))
        if key is None:
            key = self.keys[id(owner)] = str(len(self.keys))
            self.storages.append((key, flat))
            self.keep.append(owner)
        self.global_("torch._utils", "_rebuild_tensor_v2")
        self.out += b"(("  # MARK, MARK: the args tuple, then the persistent id
        self.value("storage", "")
        self.global_("torch", _STORAGE_OF[to_dtype(array.dtype).name])
        self.value(key, "")
        self.value(str(t.device), "")
        self.value(int(flat.size), "")
        self.out += b"tQ"  # TUPLE, BINPERSID
        for v in (offset, array.shape, stride, requires_grad):
            self.value(v, "")
        self.call("collections", "OrderedDict", lambda: self.tuple_((), ""))
        self.out += b"tR"  # TUPLE, REDUCE


def _storage_of(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, int, tuple[int, ...]]:
    """``(owner, storage, offset, strides)``: the 1-D storage a host array views (``owner``'s
    memory; the same owner means the same storage), the array's offset and strides in elements.
    Views of one C-contiguous base share it (as torch's views share a storage); anything else
    (negative strides, a dtype view, a big-endian array) gets a contiguous copy of its own."""
    root = a
    while isinstance(root.base, np.ndarray):
        root = root.base
    item = a.itemsize
    if (
        a.size
        and root.flags.c_contiguous
        and root.dtype == a.dtype
        and a.dtype.isnative
        and all(s >= 0 and s % item == 0 for s in a.strides)
    ):
        start = a.__array_interface__["data"][0] - root.__array_interface__["data"][0]
        end = start // item + sum((n - 1) * s // item for n, s in zip(a.shape, a.strides)) + 1
        if start >= 0 and start % item == 0 and end <= root.size:
            return root, root.reshape(-1), start // item, tuple(s // item for s in a.strides)
    flat = np.array(a, dtype=a.dtype.newbyteorder("="), order="C").reshape(-1)  # a copy
    return flat, flat, 0, tuple(int(np.prod(a.shape[i + 1 :])) for i in range(a.ndim))


def encode(obj: Any) -> tuple[bytes, list[tuple[str, np.ndarray]]]:
    """``data.pkl`` for ``obj`` and the storages ``[(key, 1-D array), ...]`` it refers to.
    Anything ``torch.load(weights_only=True)`` could not read raises ``TypeError`` naming where
    it sits."""
    enc = _Encoder()
    enc.value(obj, "obj")
    enc.out += b"."  # STOP
    return bytes(enc.out), enc.storages


def _record(zf: zipfile.ZipFile, name: str, data) -> None:
    """One stored entry whose data starts at a multiple of 64 bytes in the file, padded with an
    extra field (id ``FB``) in its local header, as PyTorch's writer pads."""
    nbytes = memoryview(data).nbytes
    info = zipfile.ZipInfo(f"archive/{name}", date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED
    info.file_size = nbytes
    zip64 = nbytes * 1.05 > zipfile.ZIP64_LIMIT  # zipfile adds its 20-byte zip64 field then
    header = 30 + len(info.filename.encode()) + 4 + (20 if zip64 else 0)
    pad = -(zf.fp.tell() + header) % ALIGNMENT
    info.extra = struct.pack("<HH", 0x4246, pad) + bytes(pad)
    with zf.open(info, "w") as f:
        f.write(data)


def write(out, data_pkl: bytes, storages: list[tuple[str, np.ndarray]]) -> None:
    """Write the archive (see the module docstring) to the binary file ``out``."""
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        _record(zf, "data.pkl", data_pkl)
        _record(zf, ".format_version", b"1")
        _record(zf, ".storage_alignment", str(ALIGNMENT).encode())
        _record(zf, "byteorder", sys.byteorder.encode())
        for key, flat in storages:
            _record(zf, f"data/{key}", flat.view(np.uint8) if flat.size else b"")
        _record(zf, "version", b"3\n")
        _record(zf, ".data/serialization_id", f"{uuid.uuid4().int:040d}".encode())
