"""Saving and loading: ``save``/``load``, training checkpoints and safetensors weights.

:func:`load` reads two formats, told apart by their entries: tensorgrad's (``manifest.json``)
and PyTorch's (``archive/data.pkl``, what ``torch.save`` writes; :mod:`tensorgrad.torch_format`
reads it without PyTorch). :func:`save` writes tensorgrad's format, or PyTorch's with
``format="torch"`` (for ``torch.load``).

tensorgrad's format is one ZIP archive, stored without compression, holding

- ``manifest.json``: ``{"format": "tensorgrad", "version": 1, "root": NODE}``, where a NODE is
  ``null``, ``true``/``false``, an integer, a finite float, a string, a JSON list (a Python
  list) or an object with a ``"type"`` field:

  - ``{"type": "tuple", "items": [NODE, ...]}``
  - ``{"type": "dict" | "odict" | "counter", "items": [[KEY, NODE], ...]}``, ``KEY`` a JSON
    string or integer, so the int keys of an optimizer's state dict come back as ints;
  - ``{"type": "float", "value": "inf" | "-inf" | "nan"}`` (strict JSON has no such numbers);
  - ``{"type": "tensor", "file": "arrays/N.npy", "dtype": ..., "shape": [...],
    "requires_grad": bool, "parameter": bool, "device": "cpu" | "cuda:N"}``;
  - ``{"type": "ndarray" | "npscalar", "file": ..., "dtype": ..., "shape": [...]}``;
  - ``{"type": "pickle", "file": "data.pkl"}`` (version 2), only as the root: an object that is
    not plain data (a whole ``nn.Module``, any picklable object) is pickled into ``data.pkl``,
    each tensor and array in it being a persistent id, the tensor's NODE above, so no array
    bytes are in the pickle;

- ``arrays/N.npy``: each array in NumPy's ``.npy`` format, read back with
  ``np.load(allow_pickle=False)`` and checked against the manifest's dtype and shape.

Plain data never goes through pickle, so loading it never runs code. A pickle (ours or
PyTorch's ``data.pkl``) is read with the restricted unpickler of :mod:`tensorgrad.serialization`
by default (``weights_only=True``): tensors, containers and the classes allowed with
``add_safe_globals`` only; a file that names any other global raises :class:`CheckpointError`
naming it, before anything of the file runs. ``weights_only=False`` unpickles whatever the file
says (only for files you trust). A bare pickle file (no ZIP) is never loaded.

Every write goes to a temporary file in the target's folder (``.NAME.PID@HOST.XXXX.tmp``), which
is flushed, fsynced and then renamed onto the target (and the folder fsynced), so a process
killed while saving leaves the previous file whole. The temporary file of a killed save stays
behind until the next save to the same path, which removes every one whose writer (the PID on
this HOST) no longer runs. Any file that cannot be read back (a bare pickle, a truncated or
corrupt one: the ZIP's CRC-32 covers every byte of every entry) raises :class:`CheckpointError`
naming the file and the problem; only a missing or unreadable path raises the ``OSError`` that
``open`` raises.
"""

from __future__ import annotations

import io
import json
import math
import os
import pickle
import platform
import re
import tempfile
import zipfile
from collections import Counter, OrderedDict
from collections.abc import Callable, Mapping
from typing import Any, NoReturn

import numpy as np

from . import backend, serialization
from . import random as _random
from .backend import CPU, Device, cupy, to_device, to_dtype
from .tensor import Tensor

__all__ = [
    "CheckpointError",
    "WeightsOnlyError",
    "load",
    "load_checkpoint",
    "load_safetensors",
    "save",
    "save_checkpoint",
    "save_safetensors",
]

_FORMAT, _MANIFEST, _PICKLE = "tensorgrad", "manifest.json", "data.pkl"
_VERSION = 2  # the newest this code reads; plain data is written as version 1, pickles as 2
# dict types kept by name (MultiStepLR's milestones are a Counter); other mappings load as dicts
_DICT_TYPES = {"dict": dict, "odict": OrderedDict, "counter": Counter}
_CHECKPOINT_KEYS = ("model", "optimizer", "scheduler", "epoch", "rng_state", "extra")


class CheckpointError(RuntimeError):
    """A file that cannot be loaded (not a tensorgrad file, truncated, corrupt, or a model,
    optimizer or scheduler it does not fit); the message names the file and the problem."""


class WeightsOnlyError(CheckpointError, pickle.UnpicklingError):
    """A pickle that ``weights_only=True`` refuses (it names a global that is not allowed): a
    ``pickle.UnpicklingError`` as PyTorch raises, which scripts catch to load again with
    ``weights_only=False``, and a :class:`CheckpointError` like every refused file."""


# ----------------------------------------------------------------------------- atomic writes


def _atomic_write(path: str | os.PathLike, write: Callable[[io.BufferedWriter], None]) -> None:
    """Call ``write(f)`` on a temporary file next to ``path``, fsync it and rename it onto
    ``path``: readers see the old file or the new one, never a part of one."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    name = os.path.basename(path)
    _remove_stale_temps(folder, name)
    owner = f"{os.getpid()}@{_HOST}"
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.{owner}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            if hasattr(os, "fchmod"):  # mkstemp makes 0600; give the file the usual permissions
                os.fchmod(fd, os.stat(path).st_mode & 0o777 if os.path.exists(path) else 0o644)
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    if hasattr(os, "O_DIRECTORY"):  # make the rename itself durable (POSIX only)
        dir_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


# The host name goes into temp file names so that a folder shared between machines (NFS) never
# has one machine judge another's writer by a PID that only means something over there.
_HOST = re.sub(r"[^A-Za-z0-9-]", "-", platform.node()) or "localhost"
_OWNER = re.compile(r"(?P<pid>[0-9]+)@(?P<host>[A-Za-z0-9-]+)\.[A-Za-z0-9_]+")


def _remove_stale_temps(folder: str, name: str) -> None:
    """Delete the temporary files ``.NAME.PID@HOST.XXXX.tmp`` that saves to ``NAME`` killed on
    this host left behind: those whose PID no longer runs. A live writer's file (a PID that
    runs, or one this process may not signal) is kept; so is anything else in the folder."""
    if os.name != "posix":  # os.kill(pid, 0) is a liveness probe on POSIX only
        return
    prefix = f".{name}."
    try:
        entries = os.listdir(folder)
    except OSError:
        return
    for entry in entries:
        if not (entry.startswith(prefix) and entry.endswith(".tmp")):
            continue
        owner = _OWNER.fullmatch(entry[len(prefix) : -len(".tmp")])
        if owner is None or owner["host"] != _HOST or _pid_alive(int(owner["pid"])):
            continue
        try:
            os.remove(os.path.join(folder, entry))
        except OSError:  # another save removed it first, or the folder is read-only
            pass


def _pid_alive(pid: int) -> bool:
    """Whether process ``pid`` runs (or may run: when in doubt, keep its file)."""
    try:
        os.kill(pid, 0)  # signal 0 sends nothing: it only asks whether the process exists
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):  # another user's process; a PID out of range
        pass
    return True


# ----------------------------------------------------------------------------- save / load


def _host_array(t: Tensor) -> np.ndarray:
    """A C-contiguous NumPy copy-or-view of ``t`` (0-d stays 0-d, unlike ascontiguousarray)."""
    a = to_device(t.array, CPU)
    return a if a.flags.c_contiguous else a.copy(order="C")


def _encode(obj: Any, where: str, arrays: list[np.ndarray]) -> Any:
    """The manifest node for ``obj``; arrays are appended to ``arrays``. ``where`` is the path
    inside the saved object for error messages (``state['param_groups'][0]['lr']``)."""
    if isinstance(obj, (Tensor, np.ndarray, np.generic)):
        array = _host_array(obj) if isinstance(obj, Tensor) else np.asarray(obj)
        if array.dtype.hasobject or array.dtype.fields is not None:
            raise TypeError(f"{where}: cannot save an array of dtype {array.dtype}")
        dtype_name = array.dtype.str
        if array.dtype is backend.BF16:  # .npy has no bfloat16: its bits as uint16, named
            array, dtype_name = array.view(np.uint16), "bfloat16"
        node = {
            "type": "tensor" if isinstance(obj, Tensor) else type(obj).__name__,
            "file": f"arrays/{len(arrays)}.npy",
            "dtype": dtype_name,
            "shape": list(array.shape),
        }
        if isinstance(obj, np.generic):
            node["type"] = "npscalar"
        elif isinstance(obj, np.ndarray):
            node["type"] = "ndarray"
        else:
            from .nn.parameter import Parameter

            node["requires_grad"] = bool(obj.requires_grad)
            node["parameter"] = isinstance(obj, Parameter)
            node["device"] = str(obj.device)
        arrays.append(array)
        return node
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, int) and type(obj) is not bool:
        return int(obj)
    if isinstance(obj, float):
        return float(obj) if math.isfinite(obj) else {"type": "float", "value": repr(obj)}
    if isinstance(obj, list):
        return [_encode(v, f"{where}[{i}]", arrays) for i, v in enumerate(obj)]
    if isinstance(obj, tuple):
        items = [_encode(v, f"{where}[{i}]", arrays) for i, v in enumerate(obj)]
        return {"type": "tuple", "items": items}
    if isinstance(obj, Mapping):
        items = []
        for k, v in obj.items():
            if isinstance(k, bool) or not isinstance(k, (str, int)):
                raise TypeError(
                    f"{where}: cannot save a dict key {k!r} of type {type(k).__name__} "
                    "(keys must be str or int)"
                )
            key = k if isinstance(k, str) else int(k)
            items.append([key, _encode(v, f"{where}[{k!r}]", arrays)])
        kind = next((k for k, cls in _DICT_TYPES.items() if type(obj) is cls), "dict")
        return {"type": kind, "items": items}
    raise TypeError(
        f"{where}: cannot save a {type(obj).__name__} (tg.save takes tensors, NumPy arrays, "
        "numbers, strings, None and lists, tuples and dicts of them)"
    )


def _write_array(zf: zipfile.ZipFile, name: str, array: np.ndarray) -> None:
    """Write one ``.npy`` entry (a separate function so a test can interrupt a save here)."""
    with zf.open(name, "w", force_zip64=True) as f:
        np.lib.format.write_array(f, array, allow_pickle=False)


def save(obj: Any, f: str | os.PathLike, *, format: str = "tensorgrad") -> None:
    """Save ``obj`` to the file ``f``, atomically.

    ``format="tensorgrad"`` (the default; see the module docstring): a state dict or a nested
    container of tensors, arrays, numbers and strings is stored as JSON and ``.npy`` arrays,
    with no pickle; anything else (an ``nn.Module``, any picklable object) is pickled, its
    tensors still stored as arrays, and :func:`load` then refuses it unless its classes are
    allow-listed (``tensorgrad.serialization.add_safe_globals``) or ``weights_only=False``.

    ``format="torch"``: PyTorch's zip format (:mod:`tensorgrad.torch_format`), which
    ``torch.load(f)`` reads with its default ``weights_only=True``; it holds tensors, numbers,
    strings, None, dtypes, devices and lists, tuples, sets and dicts of them, and anything else
    raises ``TypeError`` naming where it sits, e.g. ``obj['param_groups'][0]['foo']: cannot
    save a ndarray in format='torch'``."""
    if format == "torch":
        from . import torch_format

        data_pkl, storages = torch_format.encode(obj)
        _atomic_write(f, lambda out: torch_format.write(out, data_pkl, storages))
        return
    if format != "tensorgrad":
        raise ValueError(f"format must be 'tensorgrad' or 'torch', got {format!r}")
    arrays: list[np.ndarray] = []
    try:
        root, data_pkl, version = _encode(obj, "obj", arrays), None, 1
    except TypeError:  # not plain data: pickle it
        arrays = []
        root, data_pkl, version = {"type": "pickle", "file": _PICKLE}, _pickle(obj, arrays), 2
    manifest = json.dumps({"format": _FORMAT, "version": version, "root": root}, allow_nan=False)

    def write(out) -> None:
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
            zf.writestr(_MANIFEST, manifest)
            if data_pkl is not None:
                zf.writestr(_PICKLE, data_pkl)
            for i, array in enumerate(arrays):
                _write_array(zf, f"arrays/{i}.npy", array)

    _atomic_write(f, write)


def _pickle(obj: Any, arrays: list[np.ndarray]) -> bytes:
    """``obj`` pickled, each tensor, array and NumPy scalar in it replaced by a persistent id:
    its manifest node (the same node for the same object, so tied weights stay tied)."""
    nodes: dict[int, tuple[Any, dict]] = {}

    class Pickler(pickle.Pickler):
        def persistent_id(self, o: Any) -> dict | None:
            if not isinstance(o, (Tensor, np.ndarray, np.generic)):
                return None
            if not isinstance(o, Tensor) and (o.dtype.hasobject or o.dtype.fields is not None):
                return None  # an object or record array: NumPy pickles it
            if id(o) not in nodes:
                nodes[id(o)] = (o, _encode(o, "obj", arrays))  # o kept alive: its id stays its own
            return nodes[id(o)][1]

    buf = io.BytesIO()
    try:
        Pickler(buf, protocol=pickle.DEFAULT_PROTOCOL).dump(obj)
    except (pickle.PicklingError, AttributeError, TypeError) as e:
        raise TypeError(
            f"cannot save a {type(obj).__name__}: it is not plain data (tensors, arrays, numbers, "
            f"strings, None and lists, tuples and dicts of them) and it cannot be pickled "
            f"({type(e).__name__}: {e})"
        ) from None
    return buf.getvalue()


def _unpickle(path: str, zf: zipfile.ZipFile, place: Callable, weights_only: bool) -> Any:
    """The object in a version-2 file's ``data.pkl`` (see :func:`save`)."""
    loaded: dict[str, Any] = {}

    def persistent_load(node: Any) -> Any:
        if not isinstance(node, dict) or node.get("type") not in ("tensor", "ndarray", "npscalar"):
            raise pickle.UnpicklingError(f"persistent id {node!r} is not an array node")
        if node["file"] not in loaded:
            loaded[node["file"]] = _decode(node, zf, place)
        return loaded[node["file"]]

    allowed = dict(serialization.PLAIN_GLOBALS)
    allowed.update({"tensorgrad.backend.to_dtype": to_dtype, "tensorgrad.backend.Device": Device})
    cls = serialization.RestrictedUnpickler if weights_only else serialization.TrustingUnpickler
    return cls(io.BytesIO(zf.read(_PICKLE)), allowed, persistent_load).load()


def _refuse_non_zip(path: str, head: bytes) -> NoReturn:
    """Raise the :class:`CheckpointError` that says what a file that is no ZIP archive is."""
    if not head:
        raise CheckpointError(f"{path!r} is empty (a save that never finished?)")
    if head[:1] == b"\x80":  # the PROTO opcode that starts every pickle of protocol 2 and up
        raise CheckpointError(
            f"{path!r} is a pickle file; tensorgrad never loads pickle files, since unpickling "
            "can run arbitrary code (it reads only the pickles inside tg.save and torch.save "
            "archives, with an allow-list; load this one with a trusted tool and re-save it)"
        )
    if head[:2] == b"PK":
        raise CheckpointError(f"{path!r} is a truncated or corrupt ZIP archive")
    raise CheckpointError(
        f"{path!r} is not a tensorgrad or torch.save file (not a ZIP archive; it starts with "
        f"{head!r})"
    )


def load(
    f: str | os.PathLike, map_location: str | Device | None = None, *, weights_only: bool = True
) -> Any:
    """Load what :func:`save` or ``torch.save`` wrote. Tensors come back with their dtype,
    shape and ``requires_grad`` on their saved device, or on ``map_location`` (``'cpu'``,
    ``'cuda:0'``, a :class:`Device`) when given; tensors of a ``torch.save`` file that shared a
    storage share memory on the CPU, as in PyTorch.

    A pickle inside the file (a whole object saved with :func:`save`, or any ``torch.save``
    file) is read with ``weights_only=True`` semantics: only tensors, containers and the
    globals allowed by :mod:`tensorgrad.serialization` may appear, and a file that names any
    other raises :class:`CheckpointError` naming it, without running anything of the file.
    ``weights_only=False`` runs a general unpickler: only for files you trust.

    Any file that cannot be read back whole (a bare pickle, truncated, corrupt, a byte changed,
    a dtype NumPy lacks such as bfloat16) raises :class:`CheckpointError` naming it. A missing
    path raises ``FileNotFoundError``, as ``open`` does. Unlike ``torch.load``, ``f`` is a path
    and ``map_location`` a device (no dict or function)."""
    path = os.fspath(f)
    target = None if map_location is None else Device(map_location)
    if target is not None and target.type == "cuda":
        cupy()  # no CUDA here: the caller's error, raised as such before the file is read

    def place(array: np.ndarray, saved_device: str):
        if target is not None:
            return to_device(array, target)
        try:
            device = Device(saved_device)
            if device.type == "cuda":
                cupy()
        except (RuntimeError, ValueError) as e:
            raise CheckpointError(
                f"{path!r} holds tensors saved on {saved_device}, and {e}; load them on the "
                "CPU with map_location='cpu'"
            ) from None
        return to_device(array, device)

    with open(path, "rb") as fh:
        try:
            zf = zipfile.ZipFile(fh)
        except Exception:  # BadZipFile, or a directory whose fields make no sense
            fh.seek(0)
            _refuse_non_zip(path, fh.read(8))
        try:
            if _MANIFEST not in zf.NameToInfo:
                from . import torch_format

                if torch_format.archive_prefix(zf.namelist()) is None:
                    raise CheckpointError(f"{path!r} has no {_MANIFEST}: not a tensorgrad file")
                return torch_format.read(path, zf, place, weights_only)
            root = _read_manifest(zf)
            if isinstance(root, dict) and root.get("type") == "pickle":
                return _unpickle(path, zf, place, weights_only)
            return _decode(root, zf, place)
        except CheckpointError:
            raise
        except serialization.ForbiddenGlobal as e:
            raise WeightsOnlyError(e.explain(path)) from None
        except Exception as e:  # zipfile (a CRC-32 mismatch...), JSON, NumPy, a bad manifest
            raise CheckpointError(f"{path!r} is corrupt: {type(e).__name__}: {e}") from None


def _read_manifest(zf: zipfile.ZipFile) -> Any:
    """The manifest's root node, after checking that this is a tensorgrad file we can read."""
    manifest = json.loads(zf.read(_MANIFEST))
    if not isinstance(manifest, dict) or manifest.get("format") != _FORMAT:
        raise ValueError("no tensorgrad format marker")
    if manifest.get("version", 0) > _VERSION:
        raise ValueError(f"format version {manifest['version']} is newer than this code")
    return manifest["root"]


def _decode(node: Any, zf: zipfile.ZipFile, place: Callable[[np.ndarray, str], Any]) -> Any:
    """The object a manifest node describes; ``place(array, saved_device)`` puts a tensor's
    array on its device."""
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    if isinstance(node, list):
        return [_decode(v, zf, place) for v in node]
    kind = node["type"]
    if kind == "tuple":
        return tuple(_decode(v, zf, place) for v in node["items"])
    if kind in _DICT_TYPES:
        out = _DICT_TYPES[kind]()
        for k, v in node["items"]:
            if not isinstance(k, (str, int)):
                raise ValueError(f"a dict key {k!r} in the manifest")
            out[k] = _decode(v, zf, place)
        return out
    if kind == "float":
        return float(node["value"])
    if kind in ("tensor", "ndarray", "npscalar"):
        # zf.read checks the entry's CRC-32 before NumPy parses a byte of it
        array = np.load(io.BytesIO(zf.read(node["file"])), allow_pickle=False)
        stored = array.dtype.str
        if node["dtype"] == "bfloat16" and array.dtype == np.uint16:
            array, stored = array.view(backend.bfloat16_np()), "bfloat16"
        if stored != node["dtype"] or list(array.shape) != node["shape"]:
            raise ValueError(
                f"{node['file']} holds {stored} {list(array.shape)}, the manifest says "
                f"{node['dtype']} {node['shape']}"
            )
        if kind == "ndarray":
            return array
        if kind == "npscalar":
            return array[()]
        t = Tensor._make(place(array, node["device"]))
        if node["parameter"]:
            from .nn.parameter import Parameter

            return Parameter(t, requires_grad=node["requires_grad"])
        return t.requires_grad_(True) if node["requires_grad"] else t
    raise ValueError(f"unknown manifest node type {kind!r}")


# ----------------------------------------------------------------------------- checkpoints


def save_checkpoint(
    path: str | os.PathLike,
    model,
    optimizer=None,
    scheduler=None,
    epoch: int | None = None,
    **extra: Any,
) -> None:
    """Save everything needed to continue training exactly: ``model.state_dict()`` (parameters
    and buffers), the optimizer's and scheduler's state dicts, ``epoch``, tensorgrad's default
    RNG state (so dropout and DataLoader shuffling continue the same stream) and ``extra``
    (anything :func:`save` takes), in one file written atomically.

    In a distributed job only rank 0 writes (the ranks hold the same model; call it on every
    rank); every rank can load the file. Call ``distributed.barrier()`` between saving and
    loading when other ranks load it right away."""
    from .distributed import process_group

    if process_group.get_rank() != 0:
        return
    save(
        {
            "model": model.state_dict(),
            "optimizer": None if optimizer is None else optimizer.state_dict(),
            "scheduler": None if scheduler is None else scheduler.state_dict(),
            "epoch": epoch,
            "rng_state": _random.get_rng_state(),
            "extra": extra,
        },
        path,
    )


def load_checkpoint(
    path: str | os.PathLike, model, optimizer=None, scheduler=None, map_location=None
) -> dict[str, Any]:
    """Restore a :func:`save_checkpoint` file into ``model`` (and ``optimizer``, ``scheduler``,
    the default RNG); returns ``{'epoch': ..., **extra}``.

    Everything is checked first: the file itself, the model's keys and shapes (strict), the
    optimizer's parameter groups and state shapes and the scheduler's keys. Any mismatch raises
    :class:`CheckpointError` naming the file and the keys, and leaves every object unchanged.
    """
    path = os.fspath(path)
    ckpt = load(path, map_location=map_location)
    if not isinstance(ckpt, dict) or any(k not in ckpt for k in _CHECKPOINT_KEYS):
        raise CheckpointError(f"{path!r} is a tg.save file, not a save_checkpoint file")
    try:
        _check_model(path, model, ckpt["model"])
        if optimizer is not None:
            _check_optimizer(path, optimizer, ckpt["optimizer"])
        if scheduler is not None:
            _check_scheduler(path, scheduler, ckpt["scheduler"])
        if not isinstance(ckpt["extra"], dict):
            raise TypeError(f"'extra' is a {type(ckpt['extra']).__name__}, not a dict")
    except CheckpointError:
        raise
    except Exception as e:  # a file saved by other code, whose states have another layout
        raise CheckpointError(
            f"{path!r} holds states of another layout ({type(e).__name__}: {e}); nothing was loaded"
        ) from None
    rng_state = ckpt["rng_state"]
    if not isinstance(rng_state, Tensor) or rng_state.array.dtype != np.uint8:
        raise CheckpointError(f"{path!r}: the saved RNG state is not a uint8 tensor")
    model.load_state_dict(ckpt["model"])
    if optimizer is not None:
        optimizer.load_state_dict(ckpt["optimizer"])
    if scheduler is not None:
        scheduler.load_state_dict(ckpt["scheduler"])
    _random.set_rng_state(rng_state)
    return {"epoch": ckpt["epoch"], **ckpt["extra"]}


def _check_model(path: str, model, saved: Mapping) -> None:
    own = model.state_dict(keep_vars=True)
    missing = [k for k in own if k not in saved]
    unexpected = [k for k in saved if k not in own]
    problems = []
    if missing:
        problems.append(f"missing key(s) {missing}")
    if unexpected:
        problems.append(f"unexpected key(s) {unexpected}")
    for key, target in own.items():
        value = saved.get(key)
        if value is None:
            continue
        shape = tuple(getattr(value, "shape", ()))
        if shape != target.shape and not (target.ndim == 0 and shape == (1,)):
            problems.append(
                f"size mismatch for {key}: {shape} in the file, {target.shape} in the model"
            )
    if problems:
        raise CheckpointError(
            f"{path!r} does not fit {type(model).__name__} (nothing was loaded): "
            + "; ".join(problems)
        )


def _check_optimizer(path: str, optimizer, saved) -> None:
    name = type(optimizer).__name__
    if saved is None:
        raise CheckpointError(f"{path!r} holds no optimizer state to load into {name}")
    groups, saved_groups = optimizer.param_groups, saved["param_groups"]
    if len(groups) != len(saved_groups):
        raise CheckpointError(
            f"{path!r}: {len(saved_groups)} parameter group(s) in the file, {len(groups)} in "
            f"{name} (nothing was loaded)"
        )
    params = {}
    for i, (g, s) in enumerate(zip(groups, saved_groups, strict=True)):
        if len(g["params"]) != len(s["params"]):
            raise CheckpointError(
                f"{path!r}: parameter group {i} has {len(s['params'])} params in the file, "
                f"{len(g['params'])} in {name} (nothing was loaded)"
            )
        params.update(zip(s["params"], g["params"], strict=True))
    for index, state in saved["state"].items():
        p = params.get(index)
        for key, value in state.items() if p is not None else ():
            if key != "step" and hasattr(value, "shape") and tuple(value.shape) != p.shape:
                raise CheckpointError(
                    f"{path!r}: optimizer state {key!r} of parameter {index} has shape "
                    f"{tuple(value.shape)} in the file, the parameter has {p.shape} "
                    "(nothing was loaded)"
                )


def _check_scheduler(path: str, scheduler, saved) -> None:
    name = type(scheduler).__name__
    if saved is None:
        raise CheckpointError(f"{path!r} holds no scheduler state to load into {name}")
    own = set(scheduler.state_dict())
    if set(saved) != own:
        raise CheckpointError(
            f"{path!r}: the scheduler state does not fit {name} (missing {sorted(own - set(saved))}"
            f", unexpected {sorted(set(saved) - own)}; nothing was loaded)"
        )


# ----------------------------------------------------------------------------- safetensors


def save_safetensors(
    state_dict, path: str | os.PathLike, metadata: dict[str, str] | None = None
) -> None:
    """Write a module's ``state_dict()`` (or a flat ``{name: tensor}`` dict) as a safetensors
    file, atomically, so ``safetensors.torch.load_file`` (and so PyTorch, Hugging Face and
    friends) can read it. ``metadata`` is a ``{str: str}`` dict stored in the header."""
    from safetensors.numpy import save as st_save

    if hasattr(state_dict, "state_dict") and not isinstance(state_dict, Mapping):
        state_dict = state_dict.state_dict()
    arrays = {}
    for key, value in state_dict.items():
        if not isinstance(key, str):
            raise TypeError(f"safetensors keys are strings, got {key!r}")
        if isinstance(value, Tensor):
            arrays[key] = _host_array(value)
        elif isinstance(value, np.ndarray):
            arrays[key] = _host_array(Tensor._make(value))
        else:
            raise TypeError(f"{key!r}: safetensors holds tensors, got a {type(value).__name__}")
    if metadata is not None and not all(
        isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()
    ):
        raise TypeError("safetensors metadata must be a dict of str to str")
    bf16 = {k for k, a in arrays.items() if a.dtype is backend.BF16}
    arrays = {k: a.view(np.uint16) if k in bf16 else a for k, a in arrays.items()}
    data = _retyped(st_save(arrays, metadata=metadata), bf16, "BF16")
    _atomic_write(path, lambda f: f.write(data))


def _retyped(data: bytes, names, dtype: str) -> bytes:
    """The safetensors bytes ``data`` with the header's dtype of the tensors ``names`` set to
    ``dtype``. ``safetensors.numpy`` knows no bfloat16 ("BF16"): its tensors are written and
    read as uint16 ("U16", the same bytes) and renamed here; data offsets count from the end of
    the header, so only the header and its length change."""
    if not names:
        return data
    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8 : 8 + n])
    for name in names:
        header[name]["dtype"] = dtype
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # safetensors pads the header to 8 bytes
    return len(text).to_bytes(8, "little") + text + data[8 + n :]


def load_safetensors(path: str | os.PathLike, device: str | Device | None = None) -> dict:
    """Read a safetensors file into ``{name: Tensor}`` (on ``device``, the CPU by default);
    a file that is not valid safetensors raises :class:`CheckpointError` naming it."""
    from safetensors.numpy import load as st_load

    path = os.fspath(path)
    with open(path, "rb") as fh:
        data = fh.read()
    try:
        n = int.from_bytes(data[:8], "little")
        header = json.loads(data[8 : 8 + n])
        bf16 = {k for k, v in header.items() if k != "__metadata__" and v["dtype"] == "BF16"}
        arrays = st_load(_retyped(data, bf16, "U16"))
        if bf16:
            dtype = backend.bfloat16_np()
            arrays = {k: a.view(dtype) if k in bf16 else a for k, a in arrays.items()}
    except Exception as e:  # SafetensorError, a dtype NumPy lacks (float8), a bad header
        raise CheckpointError(f"{path!r} is not a readable safetensors file: {e}") from None
    target = CPU if device is None else Device(device)
    return {k: Tensor._make(to_device(np.array(a), target)) for k, a in arrays.items()}
