"""``Tensor``: an n-dimensional array that records the ops applied to it.

A tensor holds its storage in ``data`` (a NumPy array on the CPU, a CuPy array on a GPU).
When it ``requires_grad`` and grad mode is on, every op on it creates a node (``grad_fn``) that
knows how to send the output gradient back to the op's inputs; ``backward()`` walks those nodes.

Primitives with calculus live in ``tensorgrad.ops``; the methods here either call one
primitive or compose several (``mean`` is ``sum / n``), so only primitives carry derivatives.
"""

from __future__ import annotations

import builtins
import functools
import inspect
import math
from collections import namedtuple

import numpy as np

from . import backend
from .backend import Device, dtype, from_np, is_float, xp_of
from .hooks import RemovableHandle
from .jit import recorder as _recorder

_new = object.__new__
_ndarray = np.ndarray
_HALF = np.dtype(np.float16)
values_indices = namedtuple("values_indices", ["values", "indices"])
mantissa_exponent = namedtuple("frexp", ["mantissa", "exponent"])  # torch.return_types.frexp


def _false_property(doc: str) -> property:
    def query(self) -> bool:
        return False

    query.__doc__ = doc
    return property(query)


class Tensor:
    """A multi-dimensional array with autograd, PyTorch-shaped.

    ``Tensor(...)`` is PyTorch's legacy constructor, of the default float dtype (float32 unless
    ``tg.set_default_dtype``) whatever it is given:
    ``Tensor([-4, 2])`` copies data (a sequence or an array), ``Tensor(2, 3)`` is an
    uninitialised (2, 3) tensor, ``Tensor()`` an empty one, ``Tensor(t)`` shares ``t``'s
    storage. ``tg.tensor(data, dtype=None, device=None, requires_grad=False)`` is the modern
    constructor: Python floats become the default float dtype, Python ints int64, NumPy arrays
    keep their dtype.

    ``t.array`` is the storage, a NumPy array (CPU) or a CuPy array (GPU) that the ops compute
    on; ``t.data`` is PyTorch's detached tensor on that array.
    """

    __slots__ = (
        "array",
        "grad_fn",
        "requires_grad",
        "_grad",
        "_output_nr",
        "_version_counter",
        "__weakref__",
        "__dict__",  # rarely set attributes below, and users' own (as PyTorch allows)
    )
    __array_priority__ = 1000  # numpy_array * tensor -> Tensor.__rmul__
    # Defaults a tensor overrides only when used; _make then has fewer fields to fill.
    _hooks = None  # a leaf's gradient hooks, {handle id: hook}
    _post_accumulate_hooks = None  # hook(tensor) after backward stored into a leaf's .grad
    _accumulator = None  # weak reference to a leaf's AccumulateGrad node
    _retains_grad = False
    _base = None  # a view's root tensor, whose memory it shares (see autograd.views.make_view)
    _view_fn = None  # how the view is made again from _base
    _view_version = 0  # the base's version when the view's grad_fn was last made
    # (Function, output_nr, outputs) of the custom Function that returned this input as it was:
    # modifying it in place raises, as PyTorch does (see autograd.views.check_can_modify)
    _returned_by = None

    def __init__(self, *args, device=None, size=None, data=None, **other) -> None:
        if other:
            raise TypeError(
                f"Tensor() takes no {', '.join(other)} (PyTorch's legacy constructor is always of "
                "the default float dtype); tg.tensor(data, dtype=..., requires_grad=...) takes them"
            )
        self._init(_legacy_array(args, device, size, data), None, False, 0, [0])

    @staticmethod
    def _from_data(data, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
        """A tensor holding a copy of ``data``: ``tg.tensor`` (the package's own constructor)."""
        t = Tensor._make(_recorder.static_call(to_array, data, dtype, device, copy=True))
        return t.requires_grad_(True) if requires_grad else t

    def _init(self, data, grad_fn, requires_grad, output_nr, version) -> None:
        self.array = data
        self.grad_fn = grad_fn
        self.requires_grad = requires_grad
        self._grad = None
        self._output_nr = output_nr
        self._version_counter = version

    @staticmethod
    def _make(data, grad_fn=None, requires_grad=False, output_nr=0, version=None) -> Tensor:
        """Wrap an array without copying or checks (the ops' fast path)."""
        t = _new(Tensor)
        if type(data) is not _ndarray and isinstance(data, np.generic):
            data = np.asarray(data)  # NumPy returns scalars from ops on 0-d arrays
        t.array = data
        t.grad_fn = grad_fn
        t.requires_grad = requires_grad
        t._grad = None
        t._output_nr = output_nr
        t._version_counter = version if version is not None else [0]
        return t

    # ------------------------------------------------------------------ attributes

    @property
    def data(self) -> Tensor:
        """PyTorch's ``.data``: a tensor sharing this one's array, detached, whose in-place
        changes autograd does not see (``p.data.add_(p.grad, alpha=-lr)``). Setting it
        (``p.data = other``) makes this tensor use ``other``'s array. The array itself, NumPy
        or CuPy, is :attr:`array`."""
        out = Tensor._make(self.array)
        if _recorder.ACTIVE is not None:
            _recorder.alias(out, self)
        return out

    @data.setter
    def data(self, value: Tensor) -> None:
        if not isinstance(value, Tensor):
            raise TypeError(f"Tensor.data must be set to a Tensor, got {type(value).__name__}")
        self.array = value.array

    @property
    def shape(self) -> tuple:
        """The size of each dimension, a tuple (PyTorch: ``torch.Size``)."""
        return self.array.shape

    def size(self, dim: int | None = None):
        """The shape as a ``tg.Size`` (a tuple with ``numel()``, as PyTorch's ``torch.Size``);
        ``size(dim)`` is the size of dimension ``dim``, an int."""
        if dim is None:
            return tuple.__new__(backend.Size, self.array.shape)  # NumPy's ints: no checks
        return self.array.shape[wrap_dim(dim, self.ndim)]

    @property
    def ndim(self) -> int:
        """The number of dimensions (0 for a scalar tensor)."""
        return self.array.ndim

    def dim(self) -> int:
        """The number of dimensions, as ``ndim``."""
        return self.array.ndim

    def numel(self) -> int:
        """The number of elements: the product of the shape."""
        return self.array.size

    def nelement(self) -> int:
        """The number of elements, as ``numel()``."""
        return self.array.size

    def element_size(self) -> int:
        """Bytes per element, as ``itemsize``."""
        return self.array.itemsize

    @property
    def itemsize(self) -> int:
        """Bytes per element."""
        return self.array.itemsize

    @property
    def nbytes(self) -> int:
        """Bytes the elements take: ``numel() * itemsize``."""
        return self.array.nbytes

    @property
    def dtype(self) -> dtype:
        """The element type, a ``tensorgrad.dtype`` (``tg.float32``, ``tg.int64``, ...)."""
        return from_np(self.array.dtype)

    @property
    def device(self) -> Device:
        """Where the storage lives: ``cpu`` (a NumPy array) or ``cuda:N`` (a CuPy array)."""
        return backend.device_of(self.array)

    @property
    def is_cuda(self) -> bool:
        """True when the storage is not a NumPy array, i.e. a CuPy array on a GPU."""
        return type(self.array) is not np.ndarray

    @property
    def is_cpu(self) -> bool:
        """True when the storage is a NumPy array (on the CPU)."""
        return type(self.array) is np.ndarray

    # PyTorch's other device and layout predicates: no such device or layout here, always False
    is_xpu = is_mps = is_meta = is_ipu = is_xla = is_maia = is_mtia = is_vulkan = _false_property(
        "False: tensorgrad tensors live on the CPU or a CUDA GPU only."
    )
    is_sparse = is_sparse_csr = is_quantized = is_mkldnn = is_nested = _false_property(
        "False: tensorgrad tensors are dense, strided and unquantised."
    )

    def type(self, dtype=None, non_blocking: bool = False) -> str | Tensor:
        """``type()`` names the tensor's type as PyTorch does (``'torch.FloatTensor'``,
        ``'torch.cuda.LongTensor'``); ``type(dtype)`` converts, to a ``tg.dtype`` or to such a
        name (``t.type('torch.DoubleTensor')``), returning ``self`` when nothing changes."""
        if dtype is None:
            prefix = "torch.cuda." if self.is_cuda else "torch."
            return prefix + _TYPE_NAMES[self.array.dtype.name] + "Tensor"
        if isinstance(dtype, TensorType):  # t.type(torch.LongTensor)
            dtype = dtype.type_name
        if not isinstance(dtype, str):
            return self.to(dtype)
        kind = dtype.removeprefix("torch.").removeprefix("tensorgrad.")
        cuda = kind.startswith("cuda.")
        name = kind.removeprefix("cuda.").removesuffix("Tensor")
        by_name = {v: k for k, v in _TYPE_NAMES.items()}
        if not kind.endswith("Tensor") or name not in by_name:
            raise ValueError(f"invalid type: {dtype!r} (names look like 'torch.FloatTensor')")
        out = self.to(backend.to_dtype(by_name[name]))
        return out if out.is_cuda == cuda else out.to("cuda" if cuda else "cpu")

    def is_complex(self) -> bool:
        """True for a complex dtype."""
        return self.array.dtype.kind == "c"

    def is_signed(self) -> bool:
        """True when the dtype holds negative numbers (all but bool and uint8)."""
        return self.array.dtype.kind in "ifc"

    def is_nonzero(self) -> bool:
        """``bool(t)`` of a one-element tensor; more elements raise, as in PyTorch."""
        if self.array.size != 1:
            raise RuntimeError(
                f"is_nonzero: a tensor with {self.array.size} elements is ambiguous "
                "(it needs exactly one)"
            )
        return bool(self.array.reshape(()))

    def is_same_size(self, other: Tensor) -> bool:
        """True when ``other`` has the same shape."""
        return self.shape == other.shape

    def is_inference(self) -> bool:
        """False: tensorgrad has no inference tensors (``inference_mode`` acts as ``no_grad``)."""
        return False

    def is_pinned(self) -> bool:
        """False: host arrays are never page-locked here."""
        return False

    def is_shared(self) -> bool:
        """False: no tensor lives in shared memory here."""
        return False

    def pin_memory(self, device=None) -> Tensor:
        """self: host arrays are not page-locked here (``is_pinned`` is False), and copies to
        the GPU work without it."""
        return self

    def share_memory_(self) -> Tensor:
        """self, unchanged: DataLoader workers here are threads, which share memory anyway."""
        return self

    def data_ptr(self) -> int:
        """The address of the first element (NumPy's or CuPy's pointer)."""
        a = self.array
        return int(a.ctypes.data) if type(a) is np.ndarray else int(a.data.ptr)

    def storage_offset(self) -> int:
        """Elements from the start of the memory this tensor shares with its views to its first
        element (0 for a tensor that owns its memory)."""
        start = backend.owner(self.array)
        a = self.array
        if type(a) is np.ndarray:
            return (a.ctypes.data - start.ctypes.data) // a.itemsize
        return (a.data.ptr - start.data.ptr) // a.itemsize

    @property
    def output_nr(self) -> int:
        """Which output of its ``grad_fn`` this tensor is (0 for a leaf)."""
        return self._output_nr

    # Real tensors only: the complex-number views are the tensor itself.
    def conj(self) -> Tensor:
        """self (a real tensor is its own conjugate)."""
        return self

    conj_physical = resolve_conj = resolve_neg = conj

    def is_conj(self) -> bool:
        """False: no lazy conjugation here (tensors are real)."""
        return False

    def is_neg(self) -> bool:
        """False: no lazy negation here."""
        return False

    @property
    def real(self) -> Tensor:
        """self: the real part of a real tensor."""
        return self

    @property
    def imag(self) -> Tensor:
        """Raises, as PyTorch's for a real tensor."""
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")

    def to_dense(self, dtype=None, *, masked_grad=None) -> Tensor:
        """self (tensors are dense here), cast to ``dtype`` if given."""
        return self if dtype is None else self.to(dtype)

    def prelu(self, weight: Tensor) -> Tensor:
        """``F.prelu(self, weight)``: max(0, x) + weight min(0, x)."""
        from .nn import functional

        return functional.prelu(self, weight)

    def hardshrink(self, lambd: float = 0.5) -> Tensor:
        """``F.hardshrink(self, lambd)``: x where |x| > lambd, else 0."""
        from .nn import functional

        return functional.hardshrink(self, lambd)

    def unsafe_chunk(self, chunks: int, dim: int = 0) -> tuple:
        """``chunk`` (PyTorch's unsafe form skips a check on in-place use of the pieces)."""
        return self.chunk(chunks, dim)

    def unsafe_split(self, split_size: int, dim: int = 0) -> tuple:
        """``split`` (PyTorch's unsafe form skips a check on in-place use of the pieces)."""
        return self.split(split_size, dim)

    def is_floating_point(self) -> bool:
        """True for a floating point dtype (float16, float32, float64)."""
        return is_float(self.array.dtype)

    @property
    def is_leaf(self) -> bool:
        """True when no recorded op made this tensor (``grad_fn`` is None); ``backward``
        fills ``.grad`` of leaves only, unless a non-leaf called ``retain_grad()``."""
        return self.grad_fn is None

    @property
    def grad(self) -> Tensor | None:
        """The gradient ``backward`` accumulated here, None until then; assigning it takes
        a Tensor of the tensor's shape, or None."""
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"grad must be a Tensor or None, got {type(value).__name__}")
            if value.shape != self.shape:
                raise RuntimeError(
                    f"assigned grad has shape {value.shape} but the tensor has shape {self.shape}"
                )
        self._grad = value

    @property
    def T(self) -> Tensor:
        """All dimensions reversed, ``permute(n-1, ..., 0)`` (PyTorch deprecates it beyond 2-D)."""
        if self.array.ndim == 2:  # the common case, without permute's argument checks
            return movement.Permute.apply(self, dims=(1, 0))
        return self.permute(*reversed(range(self.ndim)))

    @property
    def mT(self) -> Tensor:
        """The last two dimensions swapped (a batch of matrices transposed); needs 2 or more."""
        if self.ndim < 2:
            raise RuntimeError(
                f"mT needs at least 2 dimensions, got a tensor of shape {self.shape}"
            )
        n = self.array.ndim
        return movement.Permute.apply(self, dims=(*range(n - 2), n - 1, n - 2))

    @property
    def retains_grad(self) -> bool:
        """True when ``retain_grad()`` made this non-leaf tensor keep its ``.grad``."""
        return self._retains_grad

    @property
    def _version(self) -> int:
        """How many times the storage was written in place (PyTorch's ``_version``). Views share
        the counter, a one-element list, with their base (``_version_counter``)."""
        return self._version_counter[0]

    # ------------------------------------------------------------------ conversion

    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The storage as a NumPy array, shared, not copied. Raises when the tensor requires
        grad while grad mode is on (use ``detach()``; under ``no_grad`` it is allowed, as in
        PyTorch) or is on a GPU (use ``cpu()``); ``force=True`` allows both, and copies a GPU
        tensor to the host."""
        if self.requires_grad and GradMode.enabled and not force:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                f"instead. (tensor of shape {self.shape}, dtype {self.dtype})"
            )
        _recorder.host_read("tensor.numpy()")
        if type(self.array) is not np.ndarray:
            if not force:
                raise TypeError(
                    f"can't convert a {self.device} tensor to NumPy; use tensor.cpu() first"
                )
            return self.array.get()
        return self.array

    def item(self):
        """The value of a one-element tensor as a Python number; RuntimeError for any other."""
        if self.array.size != 1:
            raise RuntimeError(
                f"a Tensor with {self.array.size} elements cannot be converted to Scalar (shape "
                f"{self.shape}); use .tolist(), or index one element first"
            )
        _recorder.host_read("tensor.item()")
        return self.array.item()

    def tolist(self):
        """The elements as nested Python lists (a number for a 0-d tensor), read on the host."""
        _recorder.host_read("tensor.tolist()")
        return backend.to_device(self.array, backend.CPU).tolist()

    def __array__(self, dtype=None, copy=None):
        _recorder.host_read("np.asarray(tensor)")
        array = backend.to_device(self.array, backend.CPU)
        return array if dtype is None else array.astype(dtype, copy=False)

    def __dlpack__(self, *args, **kwargs):
        return self.array.__dlpack__(*args, **kwargs)

    def __dlpack_device__(self):
        return self.array.__dlpack_device__()

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.array.shape[0]

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.array.shape[0]))

    def __bool__(self) -> bool:
        if self.array.size != 1:
            raise RuntimeError(
                f"Boolean value of a tensor with {self.array.size} elements is ambiguous"
            )
        _recorder.host_read("bool(tensor)")
        return bool(self.array.item())

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self.array.dtype.kind not in "iub" or self.array.size != 1:
            raise TypeError(
                f"only integer tensors of a single element can be an index, got {self!r}"
            )
        return int(self.item())

    def __format__(self, format_spec: str) -> str:
        """``f"{loss:.4f}"``: a 0-d tensor formats as its Python number, as PyTorch's; any other
        (and, as in PyTorch, a subclass such as Parameter) formats as ``object`` does: its
        repr for an empty spec, a TypeError for any other."""
        if self.ndim == 0 and type(self) is Tensor:
            return self.detach().item().__format__(format_spec)
        return object.__format__(self, format_spec)

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        from ._format import format_tensor

        _recorder.host_read("repr(tensor) (a print)")  # a replay would print nothing
        return format_tensor(self)

    def __reduce__(self):
        return (_rebuild, (backend.to_device(self.array, backend.CPU), self.requires_grad))

    def to(
        self,
        *args,
        dtype=None,
        device=None,
        copy: bool = False,
        non_blocking: bool = False,
        memory_format=None,
    ) -> Tensor:
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other_tensor)``;
        ``memory_format`` (e.g. ``tg.channels_last``) lays the result out in that order.
        ``non_blocking`` is accepted: copies complete before ``to`` returns."""
        if memory_format is not None and memory_format is not _layout.preserve_format:
            out = self.to(*args, dtype=dtype, device=device, copy=copy)
            return out.contiguous(memory_format=memory_format)
        for a in args:
            if isinstance(a, Tensor):
                dtype, device = a.dtype, a.device
            elif isinstance(a, (str, Device)):
                device = a
            elif isinstance(a, builtins.bool):
                continue  # non_blocking, positional
            else:
                dtype = a
        out = self
        if device is not None:
            device = Device(device)
            if device != self.device:
                out = ToDevice.apply(out, device=device)
        if dtype is not None:
            np_dtype = backend.to_dtype(dtype).np
            if np_dtype != out.array.dtype:
                # an integer or bool result is off the graph, as PyTorch's: no gradient flows
                # through a cast to a type that has none
                source = out if is_float(np_dtype) else out.detach()
                out = elementwise.Cast.apply(source, dtype=np_dtype)
        if copy and out is self:
            out = self.clone()
        return out

    def float(self) -> Tensor:
        """Cast to float32 (``self`` when it already is)."""
        return self.to(np.float32)

    def double(self) -> Tensor:
        """Cast to float64 (``self`` when it already is)."""
        return self.to(np.float64)

    def half(self) -> Tensor:
        """Cast to float16 (``self`` when it already is)."""
        return self.to(np.float16)

    def long(self) -> Tensor:
        """Cast to int64 (``self`` when it already is)."""
        return self.to(np.int64)

    def int(self) -> Tensor:
        """Cast to int32 (``self`` when it already is)."""
        return self.to(np.int32)

    def bool(self) -> Tensor:
        """Cast to bool, nonzero -> True (``self`` when it already is)."""
        return self.to(np.bool_)

    def short(self) -> Tensor:
        """Cast to int16 (``self`` when it already is)."""
        return self.to(np.int16)

    def char(self) -> Tensor:
        """Cast to int8 (``self`` when it already is)."""
        return self.to(np.int8)

    def byte(self) -> Tensor:
        """Cast to uint8 (``self`` when it already is)."""
        return self.to(np.uint8)

    def bfloat16(self) -> Tensor:
        """Raises: NumPy has no bfloat16 (``tg.bfloat16`` is a name only)."""
        return self.to(backend.bfloat16)

    def type_as(self, other: Tensor) -> Tensor:
        """Cast to ``other``'s dtype; the device is kept (PyTorch's also takes its device)."""
        return self.to(other.dtype)

    def cpu(self) -> Tensor:
        """A copy on the CPU (``self`` when already there); the gradient flows back."""
        return self.to("cpu")

    def cuda(self, device: int | str | None = None) -> Tensor:
        """A copy on GPU ``device``, an int or ``'cuda:N'`` (``self`` when already there).
        None is ``cuda:0``, where PyTorch takes the current device."""
        if isinstance(device, builtins.int):
            device = f"cuda:{device}"
        return self.to(device or "cuda")

    # ------------------------------------------------------------------ autograd

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` in place and return self; only floating point
        tensors can require grad, and only leaves can stop requiring it."""
        if requires_grad and not is_float(self.array.dtype):
            raise RuntimeError(
                "only Tensors of floating point dtype can require gradients, got dtype "
                f"{self.dtype}"
            )
        if not requires_grad and self.grad_fn is not None:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables; use detach()"
            )
        self.requires_grad = requires_grad
        return self

    def detach(self) -> Tensor:
        """The same storage, cut from the graph."""
        out = Tensor._make(self.array, None, False, 0, self._version_counter)
        if _recorder.ACTIVE is not None:
            _recorder.alias(out, self)
        return out

    def detach_(self) -> Tensor:
        """Cut this tensor from the graph in place (a leaf that requires no grad); returns
        self."""
        self.grad_fn, self.requires_grad, self._output_nr = None, False, 0
        return self

    def retain_grad(self) -> None:
        """Keep ``.grad`` of this non-leaf tensor after backward."""
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on a tensor that has requires_grad=False")
        if self.grad_fn is None or self._retains_grad:
            return
        self._retains_grad = True
        self.grad_fn.register_hook(self._output_nr, RetainGrad(self))

    def register_hook(self, hook) -> RemovableHandle:
        """Call ``hook(grad)`` when this tensor's gradient is computed; a return replaces it."""
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            handle = self.grad_fn.register_hook(self._output_nr, hook)
            hooks = self.grad_fn._hooks[self._output_nr]
            ordered = sorted(hooks.items(), key=lambda kv: isinstance(kv[1], RetainGrad))
            hooks.clear()
            hooks.update(ordered)  # retain_grad's hook last: .grad sees every hook's change
            return handle
        if self._hooks is None:
            self._hooks = {}
        handle = RemovableHandle(self._hooks)
        self._hooks[handle.id] = hook
        return handle

    def register_post_accumulate_grad_hook(self, hook) -> RemovableHandle:
        """Call ``hook(tensor)`` on a leaf after ``backward`` accumulated into its ``.grad``
        (PyTorch's API; DistributedDataParallel starts a bucket's all-reduce from it)."""
        if self.grad_fn is not None:
            raise RuntimeError(
                "post accumulate grad hooks cannot be registered on non-leaf tensors"
            )
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._post_accumulate_hooks is None:
            self._post_accumulate_hooks = {}
        handle = RemovableHandle(self._post_accumulate_hooks)
        self._post_accumulate_hooks[handle.id] = hook
        return handle

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad``; see ``tg.autograd.backward``."""
        engine.backward(self, gradient, retain_graph, create_graph, inputs)

    def _grad_accumulator(self):
        return function.grad_accumulator(self)

    # ------------------------------------------------------------------ copies and views

    def clone(self, *, memory_format=None) -> Tensor:
        """A copy with its own storage; the gradient flows back unchanged. Row-major unless
        ``memory_format`` asks otherwise; the default (``preserve_format``) keeps a channels-last
        layout (PyTorch's keeps any dense layout's strides)."""
        order = _layout.kept_order(self.array, memory_format or _layout.preserve_format)
        return Clone.apply(self) if order is None else Clone.apply(self, order=order)

    def contiguous(self, memory_format=None) -> Tensor:
        """``self`` when dense in ``memory_format``'s order (row-major by default), else a
        copy laid out so."""
        order = _layout.axis_order(memory_format or _layout.contiguous_format, self.ndim)
        if _layout.is_laid_out(self.array, order):
            return self
        return Clone.apply(self) if order is None else Clone.apply(self, order=order)

    def is_contiguous(self, memory_format=None) -> bool:
        """True when the storage is dense in ``memory_format``'s order: row-major without
        gaps by default, (N, H, W, C) for ``channels_last``."""
        if memory_format is None:
            return bool(self.array.flags.c_contiguous)
        return _layout.is_laid_out(self.array, _layout.axis_order(memory_format, self.ndim))

    @property
    def layout(self):
        """``tg.strided``: tensorgrad's tensors are dense strided arrays."""
        return _layout.strided

    def new_tensor(self, data, dtype=None, requires_grad=False) -> Tensor:
        """A copy of ``data`` on this tensor's device, with its dtype unless ``dtype``."""
        return Tensor._from_data(data, dtype or self.dtype, self.device, requires_grad)

    def new_zeros(self, *args, size=None, dtype=None) -> Tensor:
        """Zeros of ``size`` on this tensor's device, with its dtype unless ``dtype``."""
        size = size_args(args, size, "new_zeros")
        return zeros(size, dtype=dtype or self.dtype, device=self.device)

    def new_ones(self, *args, size=None, dtype=None) -> Tensor:
        """Ones of ``size`` on this tensor's device, with its dtype unless ``dtype``."""
        size = size_args(args, size, "new_ones")
        return ones(size, dtype=dtype or self.dtype, device=self.device)

    def new_full(self, size, fill_value, dtype=None) -> Tensor:
        """``fill_value`` in ``size`` on this tensor's device, with its dtype unless
        ``dtype``."""
        return full(size, fill_value, dtype=dtype or self.dtype, device=self.device)

    def new_empty(self, *args, size=None, dtype=None) -> Tensor:
        """Uninitialized ``size`` on this tensor's device, with its dtype unless ``dtype``."""
        size = size_args(args, size, "new_empty")
        return empty(size, dtype=dtype or self.dtype, device=self.device)

    # ------------------------------------------------------------------ arithmetic

    def __add__(self, other):
        return binary(elementwise.Add, self, other)

    def __radd__(self, other):
        return binary(elementwise.Add, other, self)

    def __sub__(self, other):
        return binary(elementwise.Sub, self, other)

    def __rsub__(self, other):
        return binary(elementwise.Sub, other, self)

    def __mul__(self, other):
        return binary(elementwise.Mul, self, other)

    def __rmul__(self, other):
        return binary(elementwise.Mul, other, self)

    def __truediv__(self, other):
        return binary(elementwise.Div, self, other, true_divide=True)

    def __rtruediv__(self, other):
        return binary(elementwise.Div, other, self, true_divide=True)

    def __floordiv__(self, other):
        return no_grad_binary(elementwise.floor_divide, self, other, "floor_divide")

    def __rfloordiv__(self, other):
        return no_grad_binary(elementwise.floor_divide, other, self, "floor_divide")

    def __mod__(self, other):
        return binary(elementwise.Remainder, self, other)

    def __rmod__(self, other):
        return binary(elementwise.Remainder, other, self)

    def __pow__(self, exponent):
        return self.pow(exponent)

    def __rpow__(self, base):
        return binary(elementwise.Pow, base, self)

    def __matmul__(self, other):
        return matmul(self, other)

    def __rmatmul__(self, other):
        return matmul(to_tensor(other, self), self)

    def __neg__(self):
        if self.array.dtype == np.bool_:
            raise RuntimeError(
                "Negation, the `-` operator, on a bool tensor is not supported; to invert a "
                "mask, use the `~` or `logical_not()` operator instead"
            )
        return elementwise.Neg.apply(self)

    def __pos__(self):
        return self.positive()

    def __abs__(self):
        return self.abs()

    def __eq__(self, other):
        return compare(np.equal, "eq", self, other)

    def __ne__(self, other):
        return compare(np.not_equal, "ne", self, other)

    def __lt__(self, other):
        return compare(np.less, "lt", self, other)

    def __le__(self, other):
        return compare(np.less_equal, "le", self, other)

    def __gt__(self, other):
        return compare(np.greater, "gt", self, other)

    def __ge__(self, other):
        return compare(np.greater_equal, "ge", self, other)

    def __and__(self, other):
        return logical(np.bitwise_and, "and", self, other)

    __rand__ = __and__

    def __or__(self, other):
        return logical(np.bitwise_or, "or", self, other)

    __ror__ = __or__

    def __xor__(self, other):
        return logical(np.bitwise_xor, "xor", self, other)

    __rxor__ = __xor__

    def __lshift__(self, other):
        return logical(np.left_shift, "lshift", self, other)

    def __rlshift__(self, other):
        return logical(np.left_shift, "lshift", other, self)

    def __rshift__(self, other):
        return logical(np.right_shift, "rshift", self, other)

    def __rrshift__(self, other):
        return logical(np.right_shift, "rshift", other, self)

    def __invert__(self):
        if self.array.dtype.kind not in "biu":
            raise TypeError(f"~ is only defined on bool and integer tensors, got {self.dtype}")
        return Tensor._make(_recorder.call(xp_of(self.array).invert, self.array))

    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)

    def __ifloordiv__(self, other):
        return self.floor_divide_(other)

    def __imod__(self, other):
        return self.remainder_(other)

    def __ipow__(self, other):
        return self.pow_(other)

    def __iand__(self, other):
        return self.bitwise_and_(other)

    def __ior__(self, other):
        return self.bitwise_or_(other)

    def __ixor__(self, other):
        return self.bitwise_xor_(other)

    def __ilshift__(self, other):
        return self.bitwise_left_shift_(other)

    def __irshift__(self, other):
        return self.bitwise_right_shift_(other)

    def add(self, other, *, alpha=1) -> Tensor:
        """self + alpha * other, broadcast after type promotion; ``other`` may be a number."""
        return self + _scaled(self, other, alpha)

    def sub(self, other, *, alpha=1) -> Tensor:
        """self - alpha * other (``subtract`` is PyTorch's alias); bool operands raise."""
        return self - _scaled(self, other, alpha)

    subtract = sub

    def mul(self, other) -> Tensor:
        """Elementwise product self * other, broadcast (``multiply`` is PyTorch's alias)."""
        return self * other

    multiply = mul

    def div(self, other, *, rounding_mode: str | None = None) -> Tensor:
        """self / other. ``rounding_mode=None`` divides exactly (integers give float32);
        ``'floor'`` rounds down and its result requires no grad; ``'trunc'`` rounds toward zero
        with a zero gradient. ``divide``/``true_divide`` are PyTorch's aliases."""
        if rounding_mode is None:
            return self / other
        if rounding_mode == "floor":
            return self // other
        if rounding_mode == "trunc":
            q = self / other
            return (q.sign() * q.abs().floor()).to(backend.result_type(self, other))
        raise ValueError(
            f"div: rounding_mode must be None, 'floor' or 'trunc', got {rounding_mode!r}"
        )

    divide = true_divide = div

    def floor_divide(self, other) -> Tensor:
        """floor(self / other), rounded toward -inf, in the promoted dtype; the result
        requires no grad."""
        return self // other

    def remainder(self, other) -> Tensor:
        """self - floor(self / other) * other: the sign of the divisor, as Python's ``%``
        (``fmod`` keeps the dividend's)."""
        return self % other

    def fmod(self, other) -> Tensor:
        """C's fmod: the remainder has the sign of the dividend."""
        if not is_float(backend.result_type(self, other)):  # integers stay integers (no gradient)
            return no_grad_binary(elementwise.fmod, self, other, "fmod")
        return binary(elementwise.Fmod, self, other)

    def pow(self, exponent) -> Tensor:
        """self ** exponent elementwise; an integer tensor to a float power gives float32, and
        to a negative integer power raises."""
        if isinstance(exponent, PY_SCALARS) and not isinstance(exponent, bool):
            if exponent == 2:
                return (
                    elementwise.Mul.apply(self, self) if self.is_floating_point() else self * self
                )
            if self.array.dtype.kind in "iub" and isinstance(exponent, float):
                return elementwise.Pow.apply(self.float(), exponent)
            if self.array.dtype.kind in "iu" and exponent < 0:
                raise RuntimeError("Integers to negative integer powers are not allowed.")
            return elementwise.Pow.apply(self, exponent)
        return binary(elementwise.Pow, self, exponent)

    def square(self) -> Tensor:
        """self * self."""
        return self * self

    def reciprocal(self) -> Tensor:
        """1 / self (integer tensors give float32)."""
        return 1.0 / self

    def rsqrt(self) -> Tensor:
        """1 / sqrt(self)."""
        return 1.0 / self.sqrt()

    def neg(self) -> Tensor:
        """-self (``negative`` is PyTorch's alias); bool tensors raise (use ``logical_not``)."""
        return -self

    negative = neg

    def matmul(self, other) -> Tensor:
        """The matrix product ``self @ other``: a 1-D operand is a row (left) or column
        (right) whose dim is dropped from the result; batch dims broadcast."""
        return matmul(self, other)

    def dot(self, other) -> Tensor:
        """The inner product sum(self * other) of two 1-D tensors, a 0-d tensor."""
        if self.ndim != 1 or other.ndim != 1:
            raise RuntimeError(f"dot: expected 1-D tensors, got {self.shape} and {other.shape}")
        return matmul(self, other)

    def outer(self, other) -> Tensor:
        """The outer product out[i, j] = self[i] * other[j]; operands of any shape are
        flattened (PyTorch's need to be 1-D)."""
        return self.reshape(-1, 1) * other.reshape(1, -1)

    def inner(self, other) -> Tensor:
        """The sum over the last dims: out[i..., j...] = sum_k self[i..., k] other[j..., k]
        (a product when either is 0-d)."""
        return movement.inner(self, other)

    def vdot(self, other) -> Tensor:
        """``dot`` of two 1-D tensors of one dtype (the first conjugated: real here)."""
        return movement.vdot(self, other)

    def mm(self, mat2) -> Tensor:
        """The matrix product of (n, k) self and (k, m) ``mat2``; both must be 2-D."""
        return linalg.mm(self, mat2)

    def mv(self, vec) -> Tensor:
        """The product of the (n, m) matrix self and the (m,) vector ``vec``, shape (n,)."""
        return linalg.mv(self, vec)

    def bmm(self, mat2) -> Tensor:
        """Batched matrix product of (b, n, k) self and (b, k, m) ``mat2``, no broadcasting."""
        return linalg.bmm(self, mat2)

    def addmm(self, mat1, mat2, *, beta=1, alpha=1) -> Tensor:
        """beta * self + alpha * (mat1 @ mat2) for matrices; self broadcasts to the product.
        With beta=0 self is ignored (nan in it does not propagate)."""
        return linalg.addmm(self, mat1, mat2, beta, alpha)

    def addmv(self, mat, vec, *, beta=1, alpha=1) -> Tensor:
        """beta * self + alpha * (mat @ vec) for a matrix and a vector."""
        return linalg.addmv(self, mat, vec, beta, alpha)

    def addbmm(self, batch1, batch2, *, beta=1, alpha=1) -> Tensor:
        """beta * self + alpha * sum_b (batch1[b] @ batch2[b]), a matrix."""
        return linalg.addbmm(self, batch1, batch2, beta, alpha)

    def baddbmm(self, batch1, batch2, *, beta=1, alpha=1) -> Tensor:
        """beta * self + alpha * bmm(batch1, batch2), a batch of matrices."""
        return linalg.baddbmm(self, batch1, batch2, beta, alpha)

    def addr(self, vec1, vec2, *, beta=1, alpha=1) -> Tensor:
        """beta * self + alpha * outer(vec1, vec2)."""
        return linalg.addr(self, vec1, vec2, beta, alpha)

    def kron(self, other) -> Tensor:
        """The Kronecker product: out[i*m + j] = self[i] * other[j] along every dim."""
        return linalg.kron(self, other)

    def cross(self, other, dim: int | None = None) -> Tensor:
        """The cross product of 3-vectors along ``dim`` (other dims broadcast). Without
        ``dim``, the first dim of size 3, with PyTorch's deprecation warning
        (``tg.linalg.cross`` defaults to -1)."""
        return linalg.cross(self, other, dim)

    def inverse(self) -> Tensor:
        """The inverse of square matrices (..., n, n); a singular matrix raises."""
        return linalg.inverse(self)

    def det(self) -> Tensor:
        """The determinant of square matrices (..., n, n); its gradient det(A) A^-T needs an
        invertible matrix (PyTorch's also covers singular ones)."""
        return linalg.det(self)

    def logdet(self) -> Tensor:
        """log det of square matrices: nan where det < 0, -inf where it is 0."""
        return linalg.logdet(self)

    def slogdet(self):
        """(sign, logabsdet) of square matrices, a named tuple; sign has no gradient."""
        return linalg.slogdet(self)

    @property
    def mH(self) -> Tensor:
        """The conjugate transpose of the last two dims: ``mT`` (real tensors); needs 2 or more."""
        if self.ndim < 2:
            raise RuntimeError(
                "tensor.mH is only supported on matrices or batches of matrices. Got "
                f"{self.ndim}-D tensor."
            )
        return self.mT

    @property
    def H(self) -> Tensor:
        """The conjugate transpose of a matrix (2-D only): ``T`` (real tensors)."""
        if self.ndim != 2:
            more = " For batches of matrices, consider using tensor.mH" if self.ndim > 2 else ""
            raise RuntimeError(
                "tensor.H is only supported on matrices (2-D tensors). Got "
                f"{self.ndim}-D tensor.{more}"
            )
        return self.mT

    def adjoint(self) -> Tensor:
        """The conjugate transpose of the last two dims, A^H (A^T for real tensors), a view."""
        if self.ndim < 2:
            raise RuntimeError(
                "tensor.adjoint() is only supported on matrices or batches of matrices. Got "
                f"{self.ndim}-D tensor."
            )
        return self.mT

    def ger(self, vec2) -> Tensor:
        """The outer product out[i, j] = self[i] vec2[j] of two 1-D tensors (PyTorch's
        deprecated alias of ``outer``)."""
        for name, v in (("self", self), ("vec2", vec2)):
            if v.ndim != 1:
                raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {v.ndim}-D")
        return self.outer(vec2)

    def matrix_power(self, n: int) -> Tensor:
        """A^n of square matrices (..., m, m) by repeated squaring: the identity for n = 0,
        powers of A^-1 for n < 0 (``tg.linalg.matrix_power``)."""
        from . import linalg as la

        return la.matrix_power(self, n)

    def matrix_exp(self) -> Tensor:
        """e^A = sum_k A^k / k! of square matrices (..., n, n), by scaling and squaring a Padé
        approximant; the gradient is the adjoint Fréchet derivative (``tg.linalg.matrix_exp``)."""
        from . import linalg as la

        return la.matrix_exp(self)

    def pinverse(self, rcond: float = 1e-15) -> Tensor:
        """The Moore-Penrose pseudo-inverse V diag(1/S) U^T, singular values at most
        rcond * S_max taken as 0 (``tg.linalg.pinv(self, rtol=rcond)``)."""
        from . import linalg as la

        return la.pinv(self, rtol=rcond)

    def svd(self, some: bool = True, compute_uv: bool = True):
        """(U, S, V) with self = U diag(S) V^T for (..., m, n): V, not ``linalg.svd``'s Vh.
        ``some`` gives the reduced U (..., m, k) and V (..., n, k), k = min(m, n); otherwise
        square ones. ``compute_uv=False``: S only, with U (..., m, m) and V (..., n, n) zeros."""
        from . import linalg as la

        if not compute_uv:
            m, n = self.shape[-2:]
            s = la.svdvals(self)
            u = zeros(*self.shape[:-2], m, m, dtype=self.dtype, device=self.device)
            v = zeros(*self.shape[:-2], n, n, dtype=self.dtype, device=self.device)
            return linalg.SVDWithV(u, s, v)
        u, s, vh = la.svd(self, full_matrices=not some)
        return linalg.SVDWithV(u, s, vh.mT)

    def qr(self, some: bool = True):
        """(Q, R) with self = Q R: ``linalg.qr`` in mode 'reduced' (``some``) or 'complete'."""
        from . import linalg as la

        return la.qr(self, "reduced" if some else "complete")

    def cholesky(self, upper: bool = False) -> Tensor:
        """The Cholesky factor L of symmetric positive-definite A = L L^T (``upper``: U = L^T
        with A = U^T U); PyTorch's deprecated form of ``linalg.cholesky``."""
        from . import linalg as la

        return la.cholesky(self, upper=upper)

    def cholesky_solve(self, input2, upper: bool = False) -> Tensor:
        """X = A^-1 self for A = L L^T given its Cholesky factor ``input2`` = L (``upper``: U
        with A = U^T U); self (..., n, k), batch dims broadcast. The factor's gradient is
        PyTorch's, -(C + C^T) L with C = A^-1 g X^T: the whole matrix, not only the triangle
        the solve reads."""
        return linalg.cholesky_solve(self, input2, upper)

    def cholesky_inverse(self, upper: bool = False) -> Tensor:
        """A^-1 for A = L L^T given its Cholesky factor self = L (``upper``: U, A = U^T U)."""
        return linalg.cholesky_inverse(self, upper)

    def triangular_solve(self, A, upper: bool = True, transpose: bool = False, unitriangular=False):
        """(solution, cloned_coefficient): X with A X = self (A^T X = self when ``transpose``)
        for the ``upper`` or lower triangle of A (unit diagonal when ``unitriangular``), and a
        copy of A. PyTorch's deprecated form of ``linalg.solve_triangular``."""
        return linalg.triangular_solve(self, A, upper, transpose, unitriangular)

    def lu(self, pivot: bool = True, get_infos: bool = False):
        """(LU, pivots), or (LU, pivots, infos) with ``get_infos``: ``linalg.lu_factor_ex``'s
        packed factorization, P^T A = L U (PyTorch's deprecated ``torch.lu``)."""
        from . import linalg as la

        lu_, pivots, info = la.lu_factor_ex(self, pivot=pivot)
        return (lu_, pivots, info) if get_infos else (lu_, pivots)

    def lu_solve(self, LU_data, LU_pivots) -> Tensor:
        """X with A X = self from A's packed LU factorization (PyTorch's deprecated form of
        ``linalg.lu_solve(LU_data, LU_pivots, self)``)."""
        from . import linalg as la

        return la.lu_solve(LU_data, LU_pivots, self)

    def igamma(self, other) -> Tensor:
        """The regularized lower incomplete gamma function P(self, other) =
        1/Gamma(a) int_0^x t^(a-1) e^-t dt (``tg.special.gammainc``); the gradient in x only."""
        from . import special

        return special.gammainc(self, other)

    def igammac(self, other) -> Tensor:
        """The regularized upper incomplete gamma function Q(self, other) = 1 - P(self, other)
        (``tg.special.gammaincc``); the gradient in x only."""
        from . import special

        return special.gammaincc(self, other)

    # ------------------------------------------------------------------ elementwise

    def exp(self) -> Tensor:
        """e^x (integer tensors compute in float32)."""
        return elementwise.Exp.apply(floating(self))

    def log(self) -> Tensor:
        """The natural logarithm (integer tensors compute in float32)."""
        return elementwise.Log.apply(floating(self))

    def log1p(self) -> Tensor:
        """log(1 + x), accurate for small x (integer tensors compute in float32)."""
        return elementwise.Log1p.apply(floating(self))

    def expm1(self) -> Tensor:
        """e^x - 1, accurate for small x (integer tensors compute in float32)."""
        return elementwise.Expm1.apply(floating(self))

    def log2(self) -> Tensor:
        """The base-2 logarithm, log(x) / log(2)."""
        return self.log() / math.log(2)

    def log10(self) -> Tensor:
        """The base-10 logarithm, log(x) / log(10)."""
        return self.log() / math.log(10)

    def sqrt(self) -> Tensor:
        """The square root (integer tensors compute in float32)."""
        return elementwise.Sqrt.apply(floating(self))

    def sin(self) -> Tensor:
        """The sine of x in radians (integer tensors compute in float32)."""
        return elementwise.Sin.apply(floating(self))

    def cos(self) -> Tensor:
        """The cosine of x in radians (integer tensors compute in float32)."""
        return elementwise.Cos.apply(floating(self))

    def tan(self) -> Tensor:
        """The tangent, computed as sin(x) / cos(x)."""
        return self.sin() / self.cos()

    def tanh(self) -> Tensor:
        """The hyperbolic tangent (integer tensors compute in float32)."""
        return elementwise.Tanh.apply(floating(self))

    def sigmoid(self) -> Tensor:
        """1 / (1 + e^-x) (integer tensors compute in float32)."""
        return elementwise.Sigmoid.apply(floating(self))

    def erf(self) -> Tensor:
        """The error function 2/sqrt(pi) integral_0^x e^(-t^2) dt."""
        return elementwise.Erf.apply(floating(self))

    def erfc(self) -> Tensor:
        """The complementary error function 1 - erf(x), computed directly: accurate where
        erf(x) is close to 1 (erfc(5) ~ 1.5e-12, which 1 - erf loses in float32)."""
        return elementwise.Erfc.apply(floating(self))

    def erfinv(self) -> Tensor:
        """The inverse error function, erf(erfinv(x)) = x on [-1, 1]: +-inf at +-1, nan
        outside. The gradient is sqrt(pi)/2 e^(erfinv(x)^2)."""
        return elementwise.Erfinv.apply(floating(self))

    def lgamma(self) -> Tensor:
        """log|Gamma(x)|, inf at 0 and at the negative integers (the poles); the gradient is
        digamma(x)."""
        return elementwise.Lgamma.apply(floating(self))

    def digamma(self) -> Tensor:
        """psi(x) = d/dx lgamma(x) = Gamma'(x)/Gamma(x): -inf at 0 (inf at -0), nan at the
        negative integers, as PyTorch. The gradient is polygamma(1, x)."""
        return elementwise.Polygamma.apply(floating(self), n=0)

    def polygamma(self, n: int) -> Tensor:
        """psi^(n)(x), the n-th derivative of digamma (``torch.polygamma(n, x)`` as a method:
        ``x.polygamma(n)``); n = 0 is digamma, and n >= 1 is (-1)^(n+1) n! sum_k (x + k)^-(n+1).
        The gradient is polygamma(n + 1, x). n must be an int >= 0."""
        from ._special import _check_order

        return elementwise.Polygamma.apply(floating(self), n=_check_order(n, "polygamma"))

    def mvlgamma(self, p: int) -> Tensor:
        """The log multivariate gamma function of dimension p >= 1,
        log Gamma_p(x) = p (p - 1)/4 log(pi) + sum_{i < p} lgamma(x - i/2)."""
        if isinstance(p, bool) or not isinstance(p, builtins.int) or p < 1:
            raise RuntimeError(f"mvlgamma: p has to be an int >= 1, got {p!r}")
        x = floating(self)
        out = x.lgamma()
        for i in range(1, p):
            out = out + (x - i / 2).lgamma()
        return out + p * (p - 1) / 4 * math.log(math.pi)

    def logit(self, eps: float | None = None) -> Tensor:
        """log(x / (1 - x)), the inverse of sigmoid; with ``eps``, x is first clamped to
        [eps, 1 - eps]. The gradient is 1/(x (1 - x)): 0 outside [eps, 1 - eps] when eps is
        given, and nan outside [0, 1] when not, as PyTorch."""
        return elementwise.Logit.apply(floating(self), eps=eps)

    def xlogy(self, other) -> Tensor:
        """self log(other), 0 where self == 0 (even where other is 0 or inf), nan where other
        is nan; broadcast, integers compute in float32. The gradients are log(other) (0 where
        self == 0 and other <= 0, as PyTorch) and self/other."""
        return float_binary(elementwise.Xlogy, self, other)

    def i0(self) -> Tensor:
        """The modified Bessel function of the first kind of order 0,
        I_0(x) = sum_k (x^2/4)^k / (k!)^2; the gradient is I_1(x). Finite up to |x| ~ 714,
        where PyTorch's float64 overflows from 709.8 (it forms e^x)."""
        return elementwise.I0.apply(floating(self))

    def asin(self) -> Tensor:
        """The inverse sine, in [-pi/2, pi/2]; NaN outside [-1, 1] (``arcsin`` is the alias).
        The gradient is 1/sqrt(1 - x^2)."""
        return elementwise.Asin.apply(floating(self))

    arcsin = asin

    def acos(self) -> Tensor:
        """The inverse cosine, in [0, pi]; NaN outside [-1, 1] (``arccos`` is the alias).
        The gradient is -1/sqrt(1 - x^2)."""
        return elementwise.Acos.apply(floating(self))

    arccos = acos

    def atan(self) -> Tensor:
        """The inverse tangent, in (-pi/2, pi/2) (``arctan`` is the alias); the gradient is
        1/(1 + x^2)."""
        return elementwise.Atan.apply(floating(self))

    arctan = atan

    def atan2(self, other) -> Tensor:
        """The angle of the point (other, self), atan(self/other) in the right quadrant, in
        [-pi, pi] (``arctan2`` is the alias); broadcast, integers compute in float32. The
        gradients are other/r^2 for self and -self/r^2 for other, r^2 = self^2 + other^2
        (0 at the origin, as PyTorch)."""
        return float_binary(elementwise.Atan2, self, other)

    arctan2 = atan2

    def sinh(self) -> Tensor:
        """The hyperbolic sine (e^x - e^-x)/2; the gradient is cosh(x)."""
        return elementwise.Sinh.apply(floating(self))

    def cosh(self) -> Tensor:
        """The hyperbolic cosine (e^x + e^-x)/2; the gradient is sinh(x)."""
        return elementwise.Cosh.apply(floating(self))

    def asinh(self) -> Tensor:
        """The inverse hyperbolic sine log(x + sqrt(x^2 + 1)) (``arcsinh`` is the alias); the
        gradient is 1/sqrt(x^2 + 1)."""
        return elementwise.Asinh.apply(floating(self))

    arcsinh = asinh

    def acosh(self) -> Tensor:
        """The inverse hyperbolic cosine log(x + sqrt(x^2 - 1)), NaN below 1 (``arccosh`` is
        the alias); the gradient is 1/sqrt(x^2 - 1)."""
        return elementwise.Acosh.apply(floating(self))

    arccosh = acosh

    def atanh(self) -> Tensor:
        """The inverse hyperbolic tangent log((1 + x)/(1 - x))/2, NaN outside [-1, 1]
        (``arctanh`` is the alias); the gradient is 1/(1 - x^2)."""
        return elementwise.Atanh.apply(floating(self))

    arctanh = atanh

    def sinc(self) -> Tensor:
        """The normalized sinc sin(pi x)/(pi x), 1 at x = 0; the gradient is
        (cos(pi x) - sinc(x))/x, 0 at x = 0 (as PyTorch)."""
        return elementwise.Sinc.apply(floating(self))

    def hypot(self, other) -> Tensor:
        """sqrt(self^2 + other^2) without overflow in the squares, broadcast; the gradients are
        self/hypot and other/hypot. Integers compute in float32 (PyTorch refuses them)."""
        return float_binary(elementwise.Hypot, self, other)

    def logaddexp(self, other) -> Tensor:
        """log(e^self + e^other) = max + log1p(e^-|self - other|), with no overflow; broadcast.
        The gradients are the softmax weights e^self/(e^self + e^other) and 1 minus that.
        Integers compute in float32 (PyTorch refuses them)."""
        return float_binary(elementwise.LogAddExp, self, other)

    def logaddexp2(self, other) -> Tensor:
        """log2(2^self + 2^other), with no overflow; broadcast. The gradients are
        2^self/(2^self + 2^other) and 1 minus that. Integers compute in float32 (PyTorch
        refuses them)."""
        return float_binary(elementwise.LogAddExp2, self, other)

    def deg2rad(self) -> Tensor:
        """Degrees to radians, x pi/180 (integer and bool tensors give float32)."""
        return floating(self) * (math.pi / 180)

    def rad2deg(self) -> Tensor:
        """Radians to degrees, x 180/pi (integer and bool tensors give float32)."""
        return floating(self) * (180 / math.pi)

    def frac(self) -> Tensor:
        """The fractional part x - trunc(x), with the sign of x; the gradient is 1. Floating
        tensors only, as PyTorch."""
        if not self.is_floating_point():
            raise TypeError(f"frac: expected a floating point tensor, got {self.dtype}")
        return self - self.trunc()

    def nan_to_num(self, nan: float = 0.0, posinf=None, neginf=None) -> Tensor:
        """NaN replaced by ``nan``, +inf by ``posinf`` and -inf by ``neginf`` (None: the
        dtype's largest and lowest finite values); integer and bool tensors are copied. The
        gradient is 1 where x is finite and 0 where it was replaced."""
        return elementwise.NanToNum.apply(self, nan=nan, posinf=posinf, neginf=neginf)

    def relu(self) -> Tensor:
        """max(x, 0); integer tensors stay integer."""
        return elementwise.Relu.apply(self)

    def gelu(self, approximate: str = "none") -> Tensor:
        """x Phi(x) with Phi the normal CDF; ``approximate='tanh'`` is Hendrycks' tanh form."""
        if approximate in ("none", "tanh"):  # fused: one op, not eight (benchmarks/bench_gpt)
            return fused.Gelu.apply(floating(self), approximate=approximate)
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")

    def silu(self) -> Tensor:
        """x sigmoid(x) (float16 and bfloat16 in float32, rounded once, as PyTorch's kernel)"""
        if _reduced_precision(self):
            return self.float().silu().to(self.dtype)
        return self * self.sigmoid()

    def softplus(self, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
        """log(1 + e^(beta x)) / beta, and x itself where beta x > ``threshold``."""
        return elementwise.Softplus.apply(floating(self), beta=beta, threshold=threshold)

    def elu(self, alpha: float = 1.0) -> Tensor:
        """x for x > 0, alpha (e^x - 1) otherwise (e^x only sees x <= 0, so it cannot overflow)."""
        return self.where(self > 0, alpha * self.clamp(max=0.0).expm1())

    def leaky_relu(self, negative_slope: float = 0.01) -> Tensor:
        """x for x > 0, ``negative_slope`` * x otherwise."""
        return self.where(self > 0, self * negative_slope)

    def abs(self) -> Tensor:
        """|x| (``absolute`` is PyTorch's alias); the gradient is sign(x), 0 at 0."""
        return elementwise.Abs.apply(self)

    absolute = abs

    def sign(self) -> Tensor:
        """-1, 0 or 1 by the sign of x (``sgn``, PyTorch's complex-aware sign, is the same on
        real tensors); the gradient is 0. A bool tensor gives a copy of itself, as PyTorch."""
        if self.array.dtype == np.bool_:  # NumPy's sign has no bool loop
            return self.clone()
        return elementwise.Piecewise.apply(self, fn=xp_of(self.array).sign)

    sgn = sign

    def floor(self) -> Tensor:
        """Rounded down to an integer value, in the same dtype; the gradient is 0."""
        return elementwise.Piecewise.apply(self, fn=xp_of(self.array).floor)

    def ceil(self) -> Tensor:
        """Rounded up to an integer value, in the same dtype; the gradient is 0."""
        return elementwise.Piecewise.apply(self, fn=xp_of(self.array).ceil)

    def trunc(self) -> Tensor:
        """Rounded toward zero to an integer value, in the same dtype; the gradient is 0."""
        return elementwise.Piecewise.apply(self, fn=xp_of(self.array).trunc)

    def round(self, decimals: int = 0) -> Tensor:
        """Rounded to ``decimals`` decimal places (a negative count rounds to tens, hundreds,
        ...), half to even, as PyTorch; the gradient is 0. An integer tensor is returned as a
        copy (it takes no ``decimals``, as in PyTorch)."""
        if decimals and not is_float(self.array.dtype):
            raise NotImplementedError(
                f"round: decimals={decimals} needs a floating point tensor, got {self.dtype}"
            )

        def round_half_even(a):
            return elementwise.round_half_even(a, decimals)

        return elementwise.Piecewise.apply(self, fn=round_half_even)

    def clamp(self, min=None, max=None) -> Tensor:
        """min(max(x, min), max), each bound a number, a tensor or None (``clip`` is
        PyTorch's alias). The gradient is 1 on [min, max], bounds included (a tensor bound
        gets it where it is the result, strictly outside); an integer tensor with a float bound
        gives float32; a NaN bound gives NaN."""
        if min is None and max is None:
            raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
        if isinstance(min, Tensor) or isinstance(max, Tensor):
            out = self
            if min is not None:
                out = _bounded(out, to_tensor(min, self), out.lt)
            if max is not None:
                out = _bounded(out, to_tensor(max, self), out.gt)
            return out
        x = self
        if x.array.dtype.kind in "iub" and (isinstance(min, float) or isinstance(max, float)):
            x = x.float()
        return elementwise.Clamp.apply(x, lo=min, hi=max)

    clip = clamp

    def maximum(self, other) -> Tensor:
        """The elementwise max of self and ``other``, broadcast; a tie halves the gradient."""
        return binary(elementwise.Maximum, self, to_tensor(other, self))

    def minimum(self, other) -> Tensor:
        """The elementwise min of self and ``other``, broadcast; a tie halves the gradient."""
        return binary(elementwise.Minimum, self, to_tensor(other, self))

    def where(self, condition, other) -> Tensor:
        """``self`` where ``condition`` else ``other`` (PyTorch's ``Tensor.where``)."""
        return where(condition, self, other)

    def masked_fill(self, mask, value) -> Tensor:
        """``value`` (a number or tensor, cast to self's dtype) where ``mask`` is True,
        self elsewhere."""
        return where(mask, to_tensor(value, self).to(self.dtype), self)

    def lerp(self, end, weight) -> Tensor:
        """self + weight (end - self): from self at weight 0 to ``end`` at weight 1, a tensor
        or a number ``weight``, computed as PyTorch does (``elementwise.Lerp``: one fused
        multiply-add, from the nearer end), so an EMA update gives PyTorch's bits."""
        end = to_tensor(end, self)
        dt = backend.result_type(self, end, weight)
        if not is_float(dt):
            dt = backend.DEFAULT_FLOAT
        if isinstance(weight, Tensor):
            weight = weight.to(dt)
        elif not isinstance(weight, (builtins.int, builtins.float)):
            raise TypeError(f"lerp: weight must be a tensor or a number, got {type(weight)}")
        return elementwise.Lerp.apply(self.to(dt), end.to(dt), weight)

    def lerp_(self, end, weight) -> Tensor:
        """``lerp`` in place: self += weight (end - self); returns self. Outside autograd (an
        EMA of weights under ``no_grad``), a number ``weight`` and a float32 ``end`` of self's
        shape go straight through the kernel into self's memory."""
        if (
            type(weight) is builtins.float
            and isinstance(end, Tensor)
            and _recorder.ACTIVE is None
            and not views.recording(self, end)
            and self._base is None
            and _kernels.takes(self.array, end.array)
            and _klerp.lerp(self.array, end.array, weight, out=self.array) is not None
        ):
            self._version_counter[0] += 1
            return self
        return _inplace(self, "lerp", (end, weight), {})

    def isnan(self) -> Tensor:
        """A bool tensor, True where the element is NaN; no gradient."""
        return Tensor._make(_recorder.call(xp_of(self.array).isnan, self.array))

    def isinf(self) -> Tensor:
        """A bool tensor, True where the element is +inf or -inf; no gradient."""
        return Tensor._make(_recorder.call(xp_of(self.array).isinf, self.array))

    def isfinite(self) -> Tensor:
        """A bool tensor, True where the element is neither inf nor NaN; no gradient."""
        return Tensor._make(_recorder.call(xp_of(self.array).isfinite, self.array))

    def logical_not(self) -> Tensor:
        """A bool tensor, True where the element is zero (False); no gradient."""
        return Tensor._make(_recorder.call(xp_of(self.array).logical_not, self.array))

    def logical_and(self, other) -> Tensor:
        """A bool tensor, True where both self and ``other`` are nonzero; no gradient."""
        return compare(np.logical_and, "logical_and", self, other)

    def logical_or(self, other) -> Tensor:
        """A bool tensor, True where self or ``other`` is nonzero; no gradient."""
        return compare(np.logical_or, "logical_or", self, other)

    def eq(self, other) -> Tensor:
        """A bool tensor, True where self == other (broadcast); no gradient."""
        return self == other

    def ne(self, other) -> Tensor:
        """A bool tensor, True where self != other (broadcast); no gradient."""
        return self != other

    def lt(self, other) -> Tensor:
        """A bool tensor, True where self < other (broadcast); no gradient."""
        return self < other

    def le(self, other) -> Tensor:
        """A bool tensor, True where self <= other (broadcast); no gradient."""
        return self <= other

    def gt(self, other) -> Tensor:
        """A bool tensor, True where self > other (broadcast); no gradient."""
        return self > other

    def ge(self, other) -> Tensor:
        """A bool tensor, True where self >= other (broadcast); no gradient."""
        return self >= other

    def equal(self, other: Tensor) -> bool:
        """True, a Python bool, when the shapes match and every element is equal."""
        return self.shape == other.shape and bool((self == other).all())

    def allclose(self, other, rtol=1e-5, atol=1e-8, equal_nan=False) -> bool:
        """True, a Python bool, when |self - other| <= atol + rtol |other| everywhere;
        NaNs compare equal only with ``equal_nan``."""
        _recorder.host_read("allclose()")
        xp = xp_of(self.array)
        return bool(xp.allclose(self.array, to_tensor(other, self).array, rtol, atol, equal_nan))

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> Tensor:
        """A bool tensor, True where |self - other| <= atol + rtol |other| (broadcast); an
        infinity is close only to itself, NaN only with ``equal_nan``; no gradient. ``other``
        (a tensor, or a number, which PyTorch refuses) must have self's dtype, as PyTorch."""
        other = to_tensor(other, self)
        if type(self.array) is not type(other.array) or self.device != other.device:
            raise RuntimeError(
                f"isclose: expected all tensors on the same device, got {self.device} and "
                f"{other.device}"
            )
        if self.dtype != other.dtype:
            raise RuntimeError(
                f"isclose: expected both tensors to have the same dtype, got {self.dtype} and "
                f"{other.dtype}"
            )
        if rtol < 0 or atol < 0:
            raise RuntimeError(f"isclose: rtol and atol must be >= 0, got {rtol} and {atol}")
        if self.shape != other.shape:
            broadcast_shape("isclose", self.shape, other.shape)
        return Tensor._make(
            _recorder.call(elementwise.isclose, self.array, other.array, rtol, atol, equal_nan)
        )

    # PyTorch's other elementwise functions: composites of the ops above, except exp2 and
    # frexp (primitives) and the ones with integer or bool results, which have no gradient

    def addcmul(self, tensor1, tensor2, *, value=1) -> Tensor:
        """self + value * tensor1 * tensor2, broadcast, multiplied in that order as PyTorch's
        kernel does; with integer tensors ``value`` is truncated to an int, as PyTorch casts
        it to the integer dtype."""
        if isinstance(value, float) and not is_float(backend.result_type(self, tensor1, tensor2)):
            value = builtins.int(value)
        return self + (value * tensor1 if value != 1 else tensor1) * tensor2

    def addcdiv(self, tensor1, tensor2, *, value=1) -> Tensor:
        """self + value * tensor1 / tensor2, broadcast (true division; two integer tensors
        raise, as PyTorch)."""
        kinds = [t.array.dtype.kind if isinstance(t, Tensor) else "f" for t in (tensor1, tensor2)]
        if all(k in "biu" for k in kinds):
            raise RuntimeError(
                f"addcdiv: integer division of tensor1 ({tensor1.dtype}) by tensor2 "
                f"({tensor2.dtype}) is not supported; use addcdiv(input, tensor1.float(), ...)"
            )
        return self + (value * tensor1 if value != 1 else tensor1) / tensor2

    def clamp_min(self, min) -> Tensor:
        """max(self, min), ``min`` a number or a tensor: ``clamp(min=min)``."""
        return self.clamp(min=min)

    def clamp_max(self, max) -> Tensor:
        """min(self, max), ``max`` a number or a tensor: ``clamp(max=max)``."""
        return self.clamp(max=max)

    def copysign(self, other) -> Tensor:
        """|self| with the sign bit of ``other`` (a tensor or number; -0.0 counts as negative),
        broadcast, in the promoted floating dtype. The gradient is sign(self) sign(other) (0
        where self == 0); ``other`` gets none."""
        dt = backend.result_type(self, other)
        x = self.to(dt if is_float(dt) else backend.DEFAULT_FLOAT)
        magnitude = x.abs()
        if isinstance(other, (builtins.int, builtins.float)):  # the sign bit read on the host
            return -magnitude if math.copysign(1.0, other) < 0 else magnitude
        negative = Tensor._make(_recorder.call(elementwise.signbit, to_tensor(other, x).array))
        out = (-magnitude).where(negative, magnitude)
        if isinstance(other, Tensor) and other.requires_grad and GradMode.enabled:
            out = _zero_gradient_to(other, out)  # PyTorch's gradient for other: zeros
        return out

    def float_power(self, exponent) -> Tensor:
        """self ** exponent computed in float64 (both operands cast to it), as PyTorch's
        ``float_power``; the gradient is cast back to each input's dtype."""
        return float_power(self, exponent)

    def fmax(self, other: Tensor) -> Tensor:
        """The elementwise max that ignores NaN (the other operand wins; NaN only where both
        are), broadcast. The gradient goes to the larger operand, to self on ties (PyTorch's
        rule; ``maximum`` splits ties)."""
        a, b = _same_dtype("fmax", self, other)
        return where((a >= b) | b.isnan(), a, b)

    def fmin(self, other: Tensor) -> Tensor:
        """The elementwise min that ignores NaN (the other operand wins; NaN only where both
        are), broadcast. The gradient goes to the smaller operand, to self on ties."""
        a, b = _same_dtype("fmin", self, other)
        return where((a <= b) | b.isnan(), a, b)

    def heaviside(self, values: Tensor) -> Tensor:
        """The step function: 0 where self < 0, ``values`` where self == 0, 1 where self > 0
        (0 at NaN, as PyTorch); ``values`` broadcasts and must have self's dtype. No gradient
        (PyTorch has none)."""
        _tensor_arg("heaviside", values)
        if values.dtype != self.dtype:
            raise RuntimeError(
                "heaviside is not yet implemented for tensors with different dtypes, got "
                f"{self.dtype} and {values.dtype}"
            )
        broadcast_shape("heaviside", self.shape, values.shape)
        return Tensor._make(_recorder.call(elementwise.heaviside, self.array, values.array))

    def signbit(self) -> Tensor:
        """A bool tensor, True where the sign bit is set: x < 0, and -0.0 (``x < 0`` misses
        it); no gradient."""
        return Tensor._make(_recorder.call(elementwise.signbit, self.array))

    def isposinf(self) -> Tensor:
        """A bool tensor, True where the element is +inf; no gradient."""
        return Tensor._make(_recorder.call(elementwise.isposinf, self.array))

    def isneginf(self) -> Tensor:
        """A bool tensor, True where the element is -inf; no gradient."""
        return Tensor._make(_recorder.call(elementwise.isneginf, self.array))

    def isreal(self) -> Tensor:
        """A bool tensor, True where the imaginary part is 0: everywhere, as tensorgrad has no
        complex dtypes."""
        return Tensor._make(_recorder.call(elementwise.isreal, self.array))

    def exp2(self) -> Tensor:
        """2^x (integer tensors compute in the default float dtype); the gradient is
        2^x ln 2."""
        return elementwise.Exp2.apply(floating(self))

    def logical_xor(self, other) -> Tensor:
        """A bool tensor, True where exactly one of self and ``other`` is nonzero; no
        gradient."""
        return compare(np.logical_xor, "logical_xor", self, other)

    greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne  # PyTorch's aliases

    def positive(self) -> Tensor:
        """self itself (``+x``); a bool tensor raises, as PyTorch."""
        if self.array.dtype == np.bool_:
            raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
        return self

    fix = trunc  # PyTorch's alias

    def gcd(self, other: Tensor) -> Tensor:
        """The greatest common divisor of integer tensors, >= 0 (gcd(0, 0) = 0), broadcast;
        no gradient."""
        return _integer_binary(np.gcd, "gcd", self, other)

    def lcm(self, other: Tensor) -> Tensor:
        """The least common multiple |a b| / gcd(a, b) of integer tensors (0 if either is 0),
        broadcast; no gradient."""
        return _integer_binary(np.lcm, "lcm", self, other)

    def bitwise_and(self, other) -> Tensor:
        """self & other bit by bit (logical and for bool), bool and integer tensors; no
        gradient."""
        return self & other

    def bitwise_or(self, other) -> Tensor:
        """self | other bit by bit (logical or for bool); no gradient."""
        return self | other

    def bitwise_xor(self, other) -> Tensor:
        """self ^ other bit by bit (logical xor for bool); no gradient."""
        return self ^ other

    def bitwise_not(self) -> Tensor:
        """~self: every bit flipped, -x - 1 for signed integers (logical not for bool); no
        gradient."""
        return ~self

    def bitwise_left_shift(self, other) -> Tensor:
        """self << other = self 2^other (wrapping around), 0 for a shift below 0 or past the
        width; integer tensors, no gradient."""
        return self << other

    def bitwise_right_shift(self, other) -> Tensor:
        """self >> other = floor(self / 2^other) (the sign kept), for a shift below 0 or past
        the width 0 or -1; integer tensors, no gradient."""
        return self >> other

    def ldexp(self, other: Tensor) -> Tensor:
        """self 2^other, computed as PyTorch's ``self * pow(2.0, other)`` (so a floating
        ``other`` gets a gradient too)."""
        _tensor_arg("ldexp", other)
        power = 2.0**other
        if self.is_floating_point() and not other.is_floating_point():
            power = power.to(self.dtype)  # exact: 2^n, n an integer; the result keeps self's dtype
        return self * power

    def frexp(self):
        """``(mantissa, exponent)`` with self = mantissa 2^exponent, 0.5 <= |mantissa| < 1
        (0, inf and nan are their own mantissa, exponent 0); exponent is int32. The mantissa's
        gradient is 2^-exponent. Floating tensors only."""
        if not self.is_floating_point():
            raise RuntimeError(f"frexp() only supports floating-point dtypes, got {self.dtype}")
        exponent = Tensor._make(_recorder.call(elementwise.frexp_exponent, self.array))
        return mantissa_exponent(elementwise.FrexpMantissa.apply(self), exponent)

    def nextafter(self, other: Tensor) -> Tensor:
        """The next floating point number after self towards ``other``, broadcast; no
        gradient (PyTorch has none)."""
        a, b = _same_dtype("nextafter", self, other)
        if not a.is_floating_point():
            raise RuntimeError(f"nextafter: expected floating point tensors, got {a.dtype}")
        xp = xp_of(a.array)
        return Tensor._make(_recorder.call(xp.nextafter, a.array, b.array))

    def dist(self, other, p=2) -> Tensor:
        """The p-norm of the difference, ``(self - other).norm(p)``, over all elements
        (broadcast); floating tensors only."""
        return (self - other).norm(p)

    def renorm(self, p, dim: int, maxnorm) -> Tensor:
        """Each slice ``self.select(dim, i)`` whose p-norm exceeds ``maxnorm`` scaled down to
        norm ``maxnorm``: x maxnorm / (norm + 1e-7) there (PyTorch's formula), x elsewhere.
        The gradient flows through the norm, as PyTorch's."""
        if self.ndim < 2:
            raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {self.ndim}")
        if not p > 0:
            raise RuntimeError(f"renorm: non-positive norm p={p} not supported")
        if not maxnorm >= 0:
            raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
        dim = wrap_dim(dim, self.ndim)
        dims = tuple(d for d in range(self.ndim) if d != dim)
        over = self.detach().norm(p, dims, keepdim=True) > maxnorm
        # the norm again, of slices that are left alone replaced by ones: it is the same where
        # it is used, and the gradient of a norm at 0 (a zero slice) would be 0 * inf = nan
        norm = self.where(over, 1.0).norm(p, dims, keepdim=True)
        return self * (maxnorm / (norm + 1e-7)).where(over, 1.0)

    # ------------------------------------------------------------------ reductions

    def sum(self, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
        """Sum over ``dim`` (all dims when None or empty); bool and integer tensors sum in
        int64 unless ``dtype`` is given, which casts the input first."""
        x = self if dtype is None else self.to(dtype)
        if dtype is None and x.array.dtype.kind in "biu" and x.array.dtype != np.int64:
            x = x.long()  # integer sums accumulate in int64, as PyTorch
        return reduce.Sum.apply(x, dims=reduce_dims(dim, self.ndim), keepdim=keepdim)

    def mean(self, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
        """Mean over ``dim`` (all dims when None or empty); an integer tensor raises unless
        ``dtype`` casts it to a floating point one."""
        x = self if dtype is None else self.to(dtype)
        if not x.is_floating_point():
            raise RuntimeError(
                f"mean(): could not infer output dtype. Input dtype must be floating point, "
                f"got {x.dtype}; use x.float().mean()"
            )
        if _reduced_precision(x):  # accumulated and divided in float32, rounded once
            return x.float().mean(dim, keepdim).to(x.dtype)
        dims = reduce_dims(dim, self.ndim)
        return reduce.Sum.apply(x, dims=dims, keepdim=keepdim) / numel_over(self.shape, dims)

    def var(self, dim=None, unbiased=None, keepdim: bool = False, *, correction: float = 1):
        """sum((x - mean)^2) / (N - correction); ``unbiased=False`` is correction 0.

        PyTorch's overloads: ``var(dim, *, correction, keepdim)``, ``var(dim, unbiased,
        keepdim)`` and ``var(unbiased)``.
        """
        if isinstance(dim, bool):  # var(unbiased)
            dim, unbiased = None, dim
        if not self.is_floating_point():
            raise RuntimeError(f"var and std only support floating point dtypes, got {self.dtype}")
        if _reduced_precision(self):  # in float32, rounded once, as PyTorch's kernel
            return self.float().var(dim, unbiased, keepdim, correction=correction).to(self.dtype)
        if unbiased is not None:
            correction = 1 if unbiased else 0
        dims = reduce_dims(dim, self.ndim)
        centered = self - self.mean(dims, keepdim=True)
        n = numel_over(self.shape, dims)
        return (centered * centered).sum(dims, keepdim=keepdim) / builtins.max(n - correction, 0)

    def std(self, dim=None, unbiased=None, keepdim: bool = False, *, correction: float = 1):
        """sqrt(var); the same overloads as ``var``."""
        if _reduced_precision(self):
            return self.float().std(dim, unbiased, keepdim, correction=correction).to(self.dtype)
        v = self.var(dim, unbiased, keepdim, correction=correction)
        zero = v == 0  # sqrt has an infinite slope at 0; PyTorch's std gradient is 0 there
        return v.masked_fill(zero, 1.0).sqrt().masked_fill(zero, 0.0)

    def prod(self, dim: int | None = None, keepdim: bool = False, *, dtype=None) -> Tensor:
        """Product over one ``dim`` (all elements when None); bool and integer tensors
        multiply in int64. The gradient is exact where elements are zero."""
        x = self if dtype is None else self.to(dtype)
        if x.array.dtype.kind in "biu" and x.array.dtype != np.int64:
            x = x.long()
        return reduce.Prod.apply(
            x, dim=None if dim is None else wrap_dim(dim, self.ndim), keepdim=keepdim
        )

    def amax(self, dim=(), keepdim: bool = False) -> Tensor:
        """The max over ``dim`` (all dims by default), values only; ties share the gradient
        evenly."""
        return self._extreme(reduce.Amax, dim, keepdim, "amax")

    def amin(self, dim=(), keepdim: bool = False) -> Tensor:
        """The min over ``dim`` (all dims by default), values only; ties share the gradient
        evenly."""
        return self._extreme(reduce.Amin, dim, keepdim, "amin")

    def _extreme(self, op, dim, keepdim, name):
        dims = wrap_dims(None if dim == () else dim, self.ndim)
        for d in dims:
            if self.shape[d] == 0:
                raise IndexError(f"{name}(): cannot reduce over dimension {d} of size 0")
        if self.array.size == 0 and not dims:
            raise RuntimeError(f"{name}(): cannot reduce an empty tensor of shape {self.shape}")
        return op.apply(self, dims=dims, keepdim=keepdim)

    def max(self, dim=None, keepdim: bool = False):
        """Full reduction -> tensor; ``max(dim)`` -> (values, indices); ``max(other)`` -> maximum"""
        if isinstance(dim, Tensor):
            return self.maximum(dim)
        if dim is None:
            return self.amax()
        return self._extreme_with_index(dim, keepdim, self.argmax)

    def min(self, dim=None, keepdim: bool = False):
        """Full reduction -> tensor; ``min(dim)`` -> (values, indices); ``min(other)`` ->
        ``minimum``."""
        if isinstance(dim, Tensor):
            return self.minimum(dim)
        if dim is None:
            return self.amin()
        return self._extreme_with_index(dim, keepdim, self.argmin)

    def _extreme_with_index(self, dim, keepdim, arg):
        dim = wrap_dim(dim, self.ndim)
        if self.ndim == 0:
            return values_indices(self.clone(), zeros((), dtype=np.int64, device=self.device))
        indices = arg(dim, keepdim=True)
        values = self.gather(dim, indices)
        if not keepdim:
            values, indices = values.squeeze(dim), indices.squeeze(dim)
        return values_indices(values, indices)

    def argmax(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        """The int64 index of the max along ``dim`` (the first on ties), of the flattened
        tensor when ``dim`` is None; no gradient."""
        return reduce.arg_extreme(self, dim, keepdim, "argmax")

    def argmin(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        """The int64 index of the min along ``dim`` (the first on ties), of the flattened
        tensor when ``dim`` is None; no gradient."""
        return reduce.arg_extreme(self, dim, keepdim, "argmin")

    def logsumexp(self, dim=None, keepdim: bool = False) -> Tensor:
        """log sum exp(x) = m + log sum exp(x - m) with m = max(x): exp never overflows."""
        dims = wrap_dims(dim, self.ndim)
        x = floating(self)
        m = 0.0  # over no elements: log of an empty sum, -inf as PyTorch (amax would raise)
        if x.array.size:
            m = x.detach().amax(dims, keepdim=True)
            m = m.masked_fill(m.isinf(), 0.0)
        out = (x - m).exp().sum(dims, keepdim=True).log() + m
        return out if keepdim else out.squeeze(dims)

    def norm(self, p=2, dim=None, keepdim: bool = False) -> Tensor:
        """Vector p-norm (sum |x|^p)^(1/p); also 'fro', inf and -inf."""
        dims = reduce_dims(dim, self.ndim)
        if not self.is_floating_point():
            raise RuntimeError(f"norm: expected a floating point tensor, got {self.dtype}")
        if isinstance(p, str) and p != "fro":
            raise NotImplementedError(f"norm: p={p!r} is not supported; use 'fro' or a number")
        if p == "fro" or p == 2:
            return reduce.Norm2.apply(self, dims=dims, keepdim=keepdim)
        if p == math.inf:
            return self.abs().amax(dims, keepdim)
        if p == -math.inf:
            return self.abs().amin(dims, keepdim)
        if p == 1:
            return self.abs().sum(dims, keepdim)
        if p == 0:
            return (self != 0).to(self.dtype).sum(dims, keepdim)
        return (self.abs() ** p).sum(dims, keepdim) ** (1.0 / p)

    def cumsum(self, dim: int, *, dtype=None) -> Tensor:
        """Cumulative sum along ``dim``, out[i] = x[0] + ... + x[i]; bool and integer
        tensors sum in int64."""
        x = self if dtype is None else self.to(dtype)
        if x.array.dtype.kind in "biu" and x.array.dtype != np.int64:
            x = x.long()
        return reduce.Cumsum.apply(x, dim=wrap_dim(dim, self.ndim))

    def cumprod(self, dim: int, *, dtype=None) -> Tensor:
        """Cumulative product along ``dim``, out[i] = x[0] * ... * x[i]; bool and integer
        tensors multiply in int64. The gradient is exact with zeros in the input; its own
        derivative (double backward) is exact only away from zeros."""
        x = self if dtype is None else self.to(dtype)
        if x.array.dtype.kind in "biu" and x.array.dtype != np.int64:
            x = x.long()
        return reduce.Cumprod.apply(x, dim=wrap_dim(dim, self.ndim))

    def cummax(self, dim: int):
        """``(values, indices)``: the running max along ``dim`` and where it is (the last
        index on ties); the gradient flows to the index."""
        return reduce.cum_extreme(self, dim, "cummax")

    def cummin(self, dim: int):
        """``(values, indices)``: the running min along ``dim`` and where it is (the last
        index on ties); the gradient flows to the index."""
        return reduce.cum_extreme(self, dim, "cummin")

    def logcumsumexp(self, dim: int) -> Tensor:
        """out[i] = log(exp(x[0]) + ... + exp(x[i])) along ``dim``, without overflow."""
        if not self.is_floating_point():
            raise RuntimeError(
                f"logcumsumexp(): expected a floating point tensor, got {self.dtype}"
            )
        return reduce.LogCumSumExp.apply(self, dim=wrap_dim(dim, self.ndim))

    def nansum(self, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
        """``sum`` treating NaN as 0."""
        return reduce.nansum(self, dim, keepdim, dtype=dtype)

    def nanmean(self, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
        """The mean of the elements that are not NaN over ``dim`` (all dims when None)."""
        return reduce.nanmean(self, dim, keepdim, dtype=dtype)

    def aminmax(self, *, dim=None, keepdim: bool = False):
        """``(min, max)`` (a named tuple) over ``dim`` (all elements when None)."""
        return reduce.aminmax(self, dim=dim, keepdim=keepdim)

    def all(self, dim=None, keepdim: bool = False) -> Tensor:
        """A bool tensor, True where every element over ``dim`` (all dims when None) is
        nonzero; no gradient. A uint8 tensor gives uint8 0/1 (PyTorch's legacy rule)."""
        xp, axis = xp_of(self.array), numpy_axis(dim, self.ndim)
        out = Tensor._make(_recorder.call(xp.all, self.array, axis, keepdims=keepdim))
        return out.to(np.uint8) if self.array.dtype == np.uint8 else out

    def any(self, dim=None, keepdim: bool = False) -> Tensor:
        """A bool tensor, True where some element over ``dim`` (all dims when None) is
        nonzero; no gradient. A uint8 tensor gives uint8 0/1 (PyTorch's legacy rule)."""
        xp, axis = xp_of(self.array), numpy_axis(dim, self.ndim)
        out = Tensor._make(_recorder.call(xp.any, self.array, axis, keepdims=keepdim))
        return out.to(np.uint8) if self.array.dtype == np.uint8 else out

    def count_nonzero(self, dim=None) -> Tensor:
        """The number of nonzero elements over ``dim`` (all dims when None), int64."""
        return (self != 0).sum(dim)

    def softmax(self, dim: int) -> Tensor:
        """e^(x - max) / sum e^(x - max): the shift changes nothing and prevents overflow."""
        if _amp.AutocastState.active:
            (self,) = _amp.autocast_inputs(self, policy=_amp.FP32)
        if self.ndim and self.array.size:  # fused: one op, not five (benchmarks/bench_gpt)
            return fused.Softmax.apply(floating(self), dim=wrap_dim(dim, self.ndim))
        e = self.exp()
        return e / e.sum(dim, keepdim=True)

    def log_softmax(self, dim: int) -> Tensor:
        """x - logsumexp(x) along ``dim``, stabler than log(softmax(x)); computed in
        float32 under autocast. One op (``fused.LogSoftmax``) for a floating tensor with
        elements, else that composition."""
        if _amp.AutocastState.active:
            (self,) = _amp.autocast_inputs(self, policy=_amp.FP32)
        if self.ndim and self.array.size and is_float(self.array.dtype):
            return fused.LogSoftmax.apply(self, dim=wrap_dim(dim, self.ndim))
        return self - self.logsumexp(dim, keepdim=True)

    # ------------------------------------------------------------------ shape

    def reshape(self, *args, shape=None) -> Tensor:
        """The same elements in ``shape``, one size of which may be -1 (inferred); a view
        when the layout allows, else a copy."""
        shape = size_args(args, shape, "reshape", "shape")
        shape = infer_shape(shape, self.array.size, self.shape, "reshape")
        if shape == self.shape:
            return self
        return movement.Reshape.apply(self, shape=shape)

    def view(self, *args, size=None, dtype=None) -> Tensor:
        """``reshape`` under PyTorch's name: where PyTorch raises (a non-contiguous tensor) it
        copies; ``view(dtype)`` casts rather than reinterpreting the bits."""
        if dtype is not None:
            args = (dtype,)
        if len(args) == 1 and not isinstance(args[0], (builtins.int, tuple, list)):
            return self.to(args[0])  # view(dtype): reinterpreting is not supported; cast
        return self.reshape(size_args(args, size, "view"))

    def view_as(self, other: Tensor) -> Tensor:
        """Reshaped to ``other``'s shape, as ``view``."""
        return self.reshape(other.shape)

    def reshape_as(self, other: Tensor) -> Tensor:
        """Reshaped to ``other``'s shape."""
        return self.reshape(other.shape)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        """Dimensions ``start_dim`` to ``end_dim`` merged into one; a 0-d tensor becomes
        1-D."""
        s, e = wrap_dim(start_dim, self.ndim), wrap_dim(end_dim, self.ndim)  # 0-d counts as 1-d
        if self.ndim == 0:
            return self.reshape(1)
        if s > e:
            raise RuntimeError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
        shape = self.shape
        # the product, not -1: -1 is ambiguous when another dimension is 0
        merged = math.prod(shape[s : e + 1])
        return self.reshape(*shape[:s], merged, *shape[e + 1 :]) if s < e else self

    def unflatten(self, dim: int, sizes) -> Tensor:
        """Dimension ``dim`` split into ``sizes`` (one may be -1): ``flatten`` undone."""
        dim = wrap_dim(dim, self.ndim)
        sizes = infer_shape(tuple(sizes), self.shape[dim], (self.shape[dim],), "unflatten")
        return self.reshape(*self.shape[:dim], *sizes, *self.shape[dim + 1 :])

    def squeeze(self, dim=None) -> Tensor:
        """Size-1 dimensions removed: all of them, or those in ``dim`` (an int or tuple)."""
        if dim is None:
            dims = [i for i, s in enumerate(self.shape) if s == 1]
        else:
            dims = [d for d in wrap_dims(dim, self.ndim) if self.shape[d] == 1]
        return self.reshape(*[s for i, s in enumerate(self.shape) if i not in dims])

    def unsqueeze(self, dim: int) -> Tensor:
        """A size-1 dimension inserted at ``dim`` (a negative ``dim`` counts from the
        end of the result)."""
        dim = wrap_dim(dim, self.ndim + 1)
        return self.reshape(*self.shape[:dim], 1, *self.shape[dim:])

    def permute(self, *args, dims=None) -> Tensor:
        """The dimensions reordered, ``out.shape[i] = self.shape[dims[i]]``; a view."""
        dims = tuple(wrap_dim(d, self.ndim) for d in size_args(args, dims, "permute", "dims"))
        if sorted(dims) != list(range(self.ndim)):
            raise RuntimeError(
                f"permute: dims {dims} are not a permutation of the {self.ndim} dimensions of a "
                f"tensor of shape {self.shape}"
            )
        if dims == tuple(range(self.ndim)):
            return self
        return movement.Permute.apply(self, dims=dims)

    def transpose(self, dim0: int, dim1: int) -> Tensor:
        """Dimensions ``dim0`` and ``dim1`` swapped; a view (``swapaxes``/``swapdims``
        are PyTorch's aliases)."""
        dims = list(range(self.ndim))
        a, b = wrap_dim(dim0, self.ndim), wrap_dim(dim1, self.ndim)
        dims[a], dims[b] = dims[b], dims[a]
        return self.permute(*dims)

    swapaxes = swapdims = transpose

    def movedim(self, source, destination) -> Tensor:
        """The dims ``source`` (int or sequence) moved to ``destination``, the others keeping
        their order; a view (``moveaxis`` is PyTorch's alias)."""
        return movement.movedim(self, source, destination)

    moveaxis = movedim

    def t(self) -> Tensor:
        """``transpose(0, 1)`` of a tensor with at most 2 dimensions (0-D and 1-D unchanged)."""
        if self.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, got {self.shape}")
        return self.T

    # selecting, splitting, windows and layout (tensorgrad/ops/movement.py)

    def ravel(self) -> Tensor:
        """The elements in row-major order, 1-D: a view when the layout allows, else a copy."""
        return movement.ravel(self)

    def select(self, dim: int, index: int) -> Tensor:
        """self[..., index, ...] at ``dim`` (that dim removed), a view; negative ``index``
        counts from the end."""
        return movement.select(self, dim, index)

    def narrow_copy(self, dim: int, start: int, length: int) -> Tensor:
        """``narrow(dim, start, length)`` copied: elements [start, start + length) along
        ``dim``."""
        return movement.narrow_copy(self, dim, start, length)

    def tensor_split(self, indices_or_sections, dim: int = 0) -> tuple:
        """Views along ``dim``: n near-equal pieces (sizes differ by at most 1) for an int n,
        or the pieces between the listed indices, x[:i0], x[i0:i1], ..., x[ik:]."""
        return movement.tensor_split(self, indices_or_sections, dim)

    def hsplit(self, indices_or_sections) -> tuple:
        """``tensor_split`` along dim 1 (dim 0 of a 1-D tensor); an int must divide it."""
        return movement.hsplit(self, indices_or_sections)

    def vsplit(self, indices_or_sections) -> tuple:
        """``tensor_split`` along dim 0 (2+ dims); an int must divide it."""
        return movement.vsplit(self, indices_or_sections)

    def dsplit(self, indices_or_sections) -> tuple:
        """``tensor_split`` along dim 2 (3+ dims); an int must divide it."""
        return movement.dsplit(self, indices_or_sections)

    def split_with_sizes(self, split_sizes, dim: int = 0) -> tuple:
        """Views along ``dim`` of the listed sizes (which sum to the dim's size)."""
        return movement.split_with_sizes(self, split_sizes, dim)

    def fliplr(self) -> Tensor:
        """``flip(1)`` of a tensor with 2+ dims: columns reversed (a copy)."""
        return movement.fliplr(self)

    def flipud(self) -> Tensor:
        """``flip(0)`` of a tensor with 1+ dims: rows reversed (a copy)."""
        return movement.flipud(self)

    def diagflat(self, offset: int = 0) -> Tensor:
        """The square matrix with the flattened self on diagonal ``offset``, zeros
        elsewhere."""
        return movement.diagflat(self, offset)

    def unfold(self, dimension: int, size: int, step: int) -> Tensor:
        """Windows of ``size`` elements every ``step`` along ``dimension``, in a new last dim:
        out[..., w, ..., k] = self[..., w * step + k, ...], (n - size) // step + 1 windows;
        a view. The gradient adds each window back where it was read."""
        return movement.unfold(self, dimension, size, step)

    def stride(self, dim: int | None = None):
        """The strides in elements (a tuple, or one dim's) that PyTorch reports for this
        layout: row-major ones (stride_i = prod of the later sizes) when ``is_contiguous``,
        else the storage's, a stride 0 marking a broadcast (``expand``) dim."""
        strides = movement.strides(self)
        return strides if dim is None else strides[wrap_dim(dim, builtins.max(self.ndim, 1))]

    def ndimension(self) -> int:
        """The number of dimensions (``dim()``)."""
        return self.ndim

    def get_device(self) -> int:
        """The index of the GPU holding the tensor, -1 on the CPU."""
        index = self.device.index
        return -1 if index is None else index

    def sum_to_size(self, *args, size=None) -> Tensor:
        """Summed over the dims where ``size`` (which must expand to self's shape) has 1 or
        nothing: the adjoint of ``expand(size)``."""
        size = size_args(args, size, "sum_to_size")
        lead = self.ndim - len(size)
        if lead < 0 or any(s != 1 and s != n for s, n in zip(size, self.shape[lead:])):
            raise RuntimeError(
                f"size {{{list(size)}}} is not expandable to size {{{list(self.shape)}}}."
            )
        return self.sum_to(size)

    def expand(self, *args, size=None) -> Tensor:
        """Size-1 dimensions broadcast to ``size`` without copying (a view); -1 keeps a
        size and extra sizes add leading dims. ``broadcast_to`` is the same function."""
        sizes = size_args(args, size, "expand")
        if len(sizes) < self.ndim:
            raise RuntimeError(
                f"expand: the number of sizes {len(sizes)} must be at least the tensor's "
                f"{self.ndim} dimensions (shape {self.shape})"
            )
        lead = len(sizes) - self.ndim
        shape = tuple(
            (self.shape[i - lead] if s == -1 else s) if i >= lead else s
            for i, s in enumerate(sizes)
        )
        for i in range(self.ndim):
            if self.shape[i] != 1 and self.shape[i] != shape[i + lead]:
                raise RuntimeError(
                    f"expand: the size of tensor of shape {self.shape} must match {sizes} at "
                    f"non-singleton dimension {i}"
                )
        if shape == self.shape:
            return self
        return movement.Expand.apply(self, shape=shape)

    def expand_as(self, other: Tensor) -> Tensor:
        """Broadcast to ``other``'s shape, as ``expand``."""
        return self.expand(other.shape)

    broadcast_to = expand

    def sum_to(self, shape) -> Tensor:
        """Sum over broadcast dimensions so the result has ``shape`` (the adjoint of expand)."""
        shape = tuple(shape)
        if self.shape == shape:
            return self
        lead = self.ndim - len(shape)
        kept = tuple(i + lead for i, s in enumerate(shape) if s == 1 and self.shape[i + lead] != 1)
        if not kept:  # only leading dims summed away (a bias's gradient): one op
            return reduce.Sum.apply(self, dims=tuple(range(lead)), keepdim=False)
        dims = tuple(range(lead)) + kept
        return reduce.Sum.apply(self, dims=dims, keepdim=True).reshape(shape)

    def repeat(self, *args, repeats=None) -> Tensor:
        """Tile the tensor ``repeats[i]`` times along each dimension (leading new dims
        allowed)."""
        sizes = size_args(args, repeats, "repeat", "repeats")
        if len(sizes) < self.ndim:
            raise RuntimeError(
                f"repeat: number of repeat dims {len(sizes)} can not be smaller than the "
                f"tensor's {self.ndim} dimensions"
            )
        x = self.reshape((1,) * (len(sizes) - self.ndim) + self.shape)
        # insert a size-r axis before each axis, broadcast, then merge the pairs
        interleaved = x.reshape(*[d for s in x.shape for d in (1, s)])
        expanded = interleaved.expand(*[d for r, s in zip(sizes, x.shape) for d in (r, s)])
        return expanded.reshape(*[r * s for r, s in zip(sizes, x.shape)])

    def repeat_interleave(self, repeats=None, dim=None, *, output_size=None) -> Tensor:
        """Each element repeated ``repeats`` times along ``dim`` (of the flattened tensor when
        ``dim`` is None): [a, b] -> [a, a, b, b]. ``repeats`` is an int or a tensor of one count
        per element. Called with no ``repeats`` on a 1-D integer tensor of counts, it gives the
        indices each count repeats (``torch.repeat_interleave(counts)``)."""
        xp = xp_of(self.array)
        if repeats is None:
            if self.ndim != 1 or self.array.dtype.kind not in "iu":
                raise RuntimeError(
                    "repeat_interleave: repeats must be a 1-D integer tensor, got shape "
                    f"{self.shape} dtype {self.dtype}"
                )
            return Tensor._make(xp.repeat(xp.arange(self.shape[0]), self.array))
        x = self.reshape(-1) if dim is None else self
        dim = 0 if dim is None else wrap_dim(dim, x.ndim)
        n = x.shape[dim] if x.ndim else 1
        if isinstance(repeats, Tensor):
            if repeats.array.dtype.kind not in "iu" or repeats.ndim > 1:
                raise RuntimeError(
                    "repeat_interleave: repeats must be an int or a 0-d or 1-D integer tensor, "
                    f"got shape {repeats.shape} dtype {repeats.dtype}"
                )
            counts = backend.to_device(repeats.array, backend.CPU).reshape(-1)
            repeats = builtins.int(counts[0]) if counts.size == 1 else counts
        if isinstance(repeats, np.ndarray):
            if repeats.shape != (n,):
                raise RuntimeError(
                    f"repeat_interleave: repeats must have {n} elements (the size of dimension "
                    f"{dim} of shape {x.shape}), got {repeats.shape[0]}"
                )
            if (repeats < 0).any():
                raise RuntimeError("repeat_interleave: repeats can not be negative")
            total = builtins.int(repeats.sum())
        else:
            if repeats < 0:
                raise RuntimeError(f"repeat_interleave: repeats can not be negative, got {repeats}")
            total = n * repeats
        if output_size is not None and output_size != total:
            raise RuntimeError(
                f"repeat_interleave: output_size {output_size} does not match the {total} "
                "elements the repeats give"
            )
        if isinstance(repeats, np.ndarray):  # a gather; its gradient adds the copies back
            index = backend.to_device(np.repeat(np.arange(n), repeats), self.device)
            return x.index_select(dim, Tensor._make(index))
        # the same count everywhere: a broadcast over a new axis after dim, merged into it
        wide = x.unsqueeze(dim + 1)
        wide = wide.expand(*x.shape[: dim + 1], repeats, *x.shape[dim + 1 :])
        return wide.reshape(*x.shape[:dim], total, *x.shape[dim + 1 :])

    # sorting and searching (tensorgrad/ops/sorting.py): stable orders, values by gather

    def sort(self, dim: int = -1, descending: bool = False, *, stable: bool = False):
        """``(values, indices)`` sorted along ``dim``; stable (ties keep index order), NaN
        largest. The gradient of ``values`` scatters back through ``indices``."""
        return sorting.sort(self, dim, descending, stable=stable)

    def argsort(self, dim: int = -1, descending: bool = False, *, stable: bool = False) -> Tensor:
        """The int64 indices that sort along ``dim`` (``sort(...).indices``); no gradient."""
        return sorting.argsort(self, dim, descending, stable=stable)

    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):
        """``(values, indices)`` of the ``k`` largest (``largest=False``: smallest) elements
        along ``dim``, best first; ties go to the lower index."""
        return sorting.topk(self, k, dim, largest, sorted)

    def kthvalue(self, k: int, dim: int = -1, keepdim: bool = False):
        """``(values, indices)`` of the ``k``-th smallest element (1-based) along ``dim``."""
        return sorting.kthvalue(self, k, dim, keepdim)

    def bincount(self, weights: Tensor | None = None, minlength: int = 0) -> Tensor:
        """How often each value 0, 1, ... occurs in this 1-D non-negative integer tensor (the
        sum of ``weights`` per value, with weights); no gradient."""
        return sorting.bincount(self, weights, minlength)

    def unique(
        self,
        sorted: bool = True,
        return_inverse: bool = False,
        return_counts: bool = False,
        dim: int | None = None,
    ):
        """The distinct elements (slices along ``dim``), ascending, with optional inverse
        indices and counts; no gradient."""
        return sorting.unique(self, sorted, return_inverse, return_counts, dim)

    def unique_consecutive(
        self, return_inverse: bool = False, return_counts: bool = False, dim: int | None = None
    ):
        """One element (slice along ``dim``) per run of equal consecutive ones, with optional
        inverse indices and counts; no gradient."""
        return sorting.unique_consecutive(self, return_inverse, return_counts, dim)

    def median(self, dim=None, keepdim: bool = False):
        """The lower median (of an even count, the smaller middle value), NaN if any is NaN;
        with ``dim``, ``(values, indices)``."""
        return sorting.median(self, dim, keepdim)

    def nanmedian(self, dim=None, keepdim: bool = False):
        """``median`` of the elements that are not NaN."""
        return sorting.nanmedian(self, dim, keepdim)

    def mode(self, dim: int = -1, keepdim: bool = False):
        """``(values, indices)``: the most frequent value along ``dim`` (the smallest of ties)
        and an index where it occurs."""
        return sorting.mode(self, dim, keepdim)

    def quantile(self, q, dim=None, keepdim: bool = False, *, interpolation: str = "linear"):
        """The ``q``-quantiles (q a float or a 1-D tensor in [0, 1]) along ``dim``."""
        return sorting.quantile(self, q, dim, keepdim, interpolation=interpolation)

    def nanquantile(self, q, dim=None, keepdim: bool = False, *, interpolation: str = "linear"):
        """``quantile`` of the elements that are not NaN."""
        return sorting.nanquantile(self, q, dim, keepdim, interpolation=interpolation)

    def histc(self, bins: int = 100, min=0, max=0) -> Tensor:
        """Counts in ``bins`` equal bins over [min, max] (the data's range when equal); no
        gradient."""
        return sorting.histc(self, bins, min, max)

    def tile(self, *args, dims=None) -> Tensor:
        """``repeat`` with ``dims`` padded with leading 1s when shorter than the shape."""
        dims = size_args(args, dims, "tile", "dims")
        return self.repeat(*((1,) * (self.ndim - len(dims)) + tuple(dims)))

    def flip(self, *args, dims=None) -> Tensor:
        """The order reversed along ``dims``; a copy, as in PyTorch (NumPy's flip is a view)."""
        dims = size_args(args, dims, "flip", "dims")
        return movement.Flip.apply(self, dims=wrap_dims(dims, self.ndim))

    def roll(self, shifts, dims=None) -> Tensor:
        """Elements shifted circularly by ``shifts`` along ``dims``; with ``dims`` None, over
        the flattened tensor."""
        if dims is None:
            return self.flatten().roll(shifts, 0).reshape(self.shape)
        shifts = (shifts,) if isinstance(shifts, builtins.int) else tuple(shifts)
        dims = (dims,) if isinstance(dims, builtins.int) else tuple(dims)
        if len(shifts) != len(dims):
            raise RuntimeError(f"roll: shifts {shifts} and dims {dims} must have the same length")
        return movement.Roll.apply(
            self, shifts=shifts, dims=tuple(wrap_dim(d, self.ndim) for d in dims)
        )

    def narrow(self, dim: int, start: int, length: int) -> Tensor:
        """The slice [start, start + length) along ``dim``, a view; a negative ``start``
        counts from the end."""
        dim = wrap_dim(dim, self.ndim)
        size = self.shape[dim]
        if start < 0:
            start += size
        if not (0 <= start <= size and 0 <= length <= size - start):
            raise IndexError(
                f"narrow: start {start} + length {length} exceeds dimension {dim} of size {size}"
            )
        return self[(slice(None),) * dim + (slice(start, start + length),)]

    def split(self, split_size_or_sections, dim: int = 0) -> tuple:
        """Views along ``dim``, of ``split_size_or_sections`` elements each (the last may be
        smaller) or of the sizes listed."""
        dim = wrap_dim(dim, self.ndim)
        size = self.shape[dim]
        if isinstance(split_size_or_sections, builtins.int):
            step = split_size_or_sections
            if step <= 0:
                raise RuntimeError(f"split: split_size must be positive, got {step}")
            sections = [builtins.min(step, size - i) for i in range(0, size, step)] or [0]
        else:
            sections = list(split_size_or_sections)
            if builtins.sum(sections) != size:
                raise RuntimeError(
                    f"split: sections {sections} sum to {builtins.sum(sections)}, but dimension "
                    f"{dim} has size {size}"
                )
        starts = np.cumsum([0] + sections[:-1])
        if len(sections) > 1 and self.requires_grad and GradMode.enabled:
            # one node for all the pieces: its backward is one concatenation, where a view
            # per piece would give each gradient its own zeros of the whole size, summed after
            pieces = movement.Split.apply(self, tuple(sections), dim)
            lead = (slice(None),) * dim
            return tuple(
                views.mark_view(p, self, indexing.GetItemView, {"index": (*lead, slice(s, s + n))})
                for p, s, n in zip(pieces, starts.tolist(), sections)
            )
        return tuple(self.narrow(dim, builtins.int(s), n) for s, n in zip(starts, sections))

    def chunk(self, chunks: int, dim: int = 0) -> tuple:
        """Views along ``dim`` of ceil(size / chunks) elements each: ``chunks`` pieces or
        fewer."""
        size = self.shape[wrap_dim(dim, self.ndim)]
        return self.split(builtins.max(-(-size // chunks), 1), dim)

    def unbind(self, dim: int = 0) -> tuple:
        """The slices along ``dim``, without that dimension, as a tuple of views."""
        dim = wrap_dim(dim, self.ndim)
        return tuple(self[(slice(None),) * dim + (i,)] for i in range(self.shape[dim]))

    def tril(self, diagonal: int = 0) -> Tensor:
        """The lower triangle of the last two dims (j <= i + ``diagonal``), zeros above."""
        return movement.Triangle.apply(self, k=diagonal, upper=False)

    def triu(self, diagonal: int = 0) -> Tensor:
        """The upper triangle of the last two dims (j >= i + ``diagonal``), zeros below."""
        return movement.Triangle.apply(self, k=diagonal, upper=True)

    def diagonal(self, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
        """The entries self[..., i, i + offset] of the (dim1, dim2) planes, in a new last dim:
        a view, as PyTorch's (writing into it changes self)."""
        return movement.diagonal(self, offset, dim1, dim2)

    def diag_embed(self, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
        """Matrices in the (dim1, dim2) planes with the last dim of self on diagonal
        ``offset``, zeros elsewhere."""
        return movement.diag_embed(self, offset, dim1, dim2)

    def diag(self, diagonal: int = 0) -> Tensor:
        """1-D: the square matrix with self on diagonal ``diagonal``; 2-D: that diagonal."""
        return movement.diag(self, diagonal)

    def trace(self) -> Tensor:
        """The sum of the main diagonal of a matrix (integers sum in int64)."""
        if self.ndim != 2:
            raise RuntimeError(f"trace: expected a matrix, got shape {self.shape}")
        return self.diagonal().sum()

    def diff(self, n: int = 1, dim: int = -1, prepend=None, append=None) -> Tensor:
        """The n-th forward difference x[i + 1] - x[i] along ``dim`` (``!=`` for bool), after
        joining ``prepend`` and ``append`` along ``dim``."""
        return movement.diff(self, n, dim, prepend, append)

    def rot90(self, k: int = 1, dims=(0, 1)) -> Tensor:
        """Rotated by 90 degrees ``k`` times in the plane ``dims`` (first dim towards the
        second)."""
        return movement.rot90(self, k, dims)

    def take_along_dim(self, indices, dim: int | None = None) -> Tensor:
        """``gather`` with self and ``indices`` broadcast over the other dims; both flattened
        when ``dim`` is None."""
        return movement.take_along_dim(self, indices, dim)

    # ------------------------------------------------------------------ indexing

    def __getitem__(self, index) -> Tensor:
        return indexing.getitem(self, index)

    def __setitem__(self, index, value) -> None:
        indexing.setitem(self, index, value)

    def gather(self, dim: int, index: Tensor) -> Tensor:
        """Values picked along ``dim`` by ``index`` (as many dims as self):
        out[i][j] = self[i][index[i][j]] for dim=1."""
        dim = wrap_dim(dim, self.ndim)
        if indexing.scalar_as_vector(self, index):
            return self.reshape(-1).gather(0, index.reshape(-1)).reshape(index.shape)
        indexing.check_index_tensor(self, dim, index, "gather")
        return indexing.Gather.apply(self, index, dim=dim)

    def scatter(self, dim: int, index: Tensor, src=None, value=None, *, reduce=None) -> Tensor:
        """A copy with ``src`` (a tensor or number; or ``value``) written at ``index`` along
        ``dim``: out[i][index[i][j]] = src[i][j] for dim=1. ``reduce='add'`` / ``'multiply'``
        adds / multiplies instead (``scatter_reduce`` 'sum' / 'prod', with its gradient where
        PyTorch has none)."""
        if (src is None) == (value is None):
            raise TypeError("scatter(): give exactly one of src and value")
        src = value if src is None else src
        dim = wrap_dim(dim, self.ndim)
        if indexing.scalar_as_vector(self, index, src):
            src = src.reshape(-1) if isinstance(src, Tensor) else src
            out = self.reshape(-1).scatter(0, index.reshape(-1), src, reduce=reduce)
            return out.reshape(self.shape)
        indexing.check_index_tensor(self, dim, index, "scatter")
        src = to_tensor(src, self).to(self.dtype)
        if reduce is None:
            return indexing.Scatter.apply(self, index, src, dim=dim)
        if reduce not in ("add", "multiply"):
            raise RuntimeError(f"reduce argument must be either add or multiply, got {reduce}")
        if src.shape != index.shape:
            src = src.expand(index.shape) if src.ndim == 0 else src
        how = "sum" if reduce == "add" else "prod"
        return indexing.scatter_reduce(self, dim, index, src, how)

    def scatter_add(self, dim: int, index: Tensor, src: Tensor) -> Tensor:
        """A copy with ``src`` added at ``index`` along ``dim``:
        out[i][index[i][j]] += src[i][j] for dim=1; repeated indices accumulate."""
        dim = wrap_dim(dim, self.ndim)
        if indexing.scalar_as_vector(self, index, src):
            out = self.reshape(-1).scatter_add(0, index.reshape(-1), src.reshape(-1))
            return out.reshape(self.shape)
        indexing.check_index_tensor(self, dim, index, "scatter_add")
        return indexing.ScatterAdd.apply(self, index, src, dim=dim)

    def index_select(self, dim: int, index: Tensor) -> Tensor:
        """The entries ``index`` (a 1-D integer tensor) along ``dim``, copied;
        negative indices raise."""
        dim = wrap_dim(dim, self.ndim)
        if index.ndim > 1 or index.array.dtype.kind not in "iu":
            raise IndexError(
                f"index_select: index must be a 1-D integer tensor, got shape {index.shape} "
                f"dtype {index.dtype}"
            )
        _recorder.check(_check_nonnegative, index.array, dim, self.shape)
        return self[(slice(None),) * dim + (index.reshape(-1),)]

    def masked_select(self, mask: Tensor) -> Tensor:
        """The elements where ``mask`` (a bool tensor, broadcast with self) is True, 1-D in
        row-major order."""
        return indexing.masked_select(self, mask)

    def nonzero(self, *, as_tuple: bool = False):
        """The int64 indices of the nonzero elements, shape (count, ndim); ``as_tuple=True``
        gives one 1-D tensor per dim. No gradient."""
        return indexing.nonzero(self, as_tuple=as_tuple)

    # writes and reads by index (tensorgrad/ops/indexing.py), and statistics of values

    def argwhere(self) -> Tensor:
        """``nonzero()``: the (count, ndim) int64 indices of the nonzero elements."""
        return indexing.argwhere(self)

    def masked_scatter(self, mask: Tensor, source: Tensor) -> Tensor:
        """A copy (broadcast with ``mask``) with the positions where mask is True filled, in
        row-major order, by the first elements of ``source``."""
        return indexing.masked_scatter(self, mask, source)

    def take(self, index: Tensor) -> Tensor:
        """self.flatten()[index] in the shape of ``index`` (negative entries from the end)."""
        return indexing.take(self, index)

    def put(self, index: Tensor, source: Tensor, accumulate: bool = False) -> Tensor:
        """A copy with ``source``'s elements written (added with ``accumulate``) at the flat
        row-major positions ``index``."""
        return indexing.put(self, index, source, accumulate)

    def index_add(self, dim: int, index: Tensor, source: Tensor, *, alpha=1) -> Tensor:
        """A copy with out[..., index[i], ...] += alpha * source[..., i, ...] along ``dim``
        (repeated indices add up)."""
        return indexing.index_add(self, dim, index, source, alpha=alpha)

    def index_copy(self, dim: int, index: Tensor, source: Tensor) -> Tensor:
        """A copy with out[..., index[i], ...] = source[..., i, ...] along ``dim``."""
        return indexing.index_copy(self, dim, index, source)

    def index_fill(self, dim: int, index: Tensor, value) -> Tensor:
        """A copy with the slices ``index`` along ``dim`` set to ``value`` (a number or a 0-d
        tensor)."""
        return indexing.index_fill(self, dim, index, value)

    def index_put(self, indices, values: Tensor, accumulate: bool = False) -> Tensor:
        """A copy with out[indices] = values (``+=`` with ``accumulate``), ``indices`` a
        tuple of integer or bool tensors."""
        return indexing.index_put(self, indices, values, accumulate)

    def index_reduce(
        self, dim: int, index: Tensor, source: Tensor, reduce: str, *, include_self=True
    ) -> Tensor:
        """A copy with source[..., i, ...] reduced into out[..., index[i], ...] by ``reduce``
        ('prod', 'mean', 'amax', 'amin'), self's slices included unless
        ``include_self=False``."""
        return indexing.index_reduce(self, dim, index, source, reduce, include_self=include_self)

    def scatter_reduce(
        self, dim: int, index: Tensor, src: Tensor, reduce: str, *, include_self: bool = True
    ) -> Tensor:
        """A copy with out[i][index[i][j]] (reduce)= src[i][j] (dim=1), ``reduce`` one of
        'sum', 'prod', 'mean', 'amax', 'amin'; self's values included unless
        ``include_self=False``."""
        return indexing.scatter_reduce(self, dim, index, src, reduce, include_self=include_self)

    def select_scatter(self, src: Tensor, dim: int, index: int) -> Tensor:
        """A copy with ``select(dim, index)`` replaced by ``src``."""
        return indexing.select_scatter(self, src, dim, index)

    def slice_scatter(self, src: Tensor, dim: int = 0, start=None, end=None, step: int = 1):
        """A copy with the slice start:end:step along ``dim`` replaced by ``src``."""
        return indexing.slice_scatter(self, src, dim, start, end, step)

    def diagonal_scatter(self, src: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1):
        """A copy with ``diagonal(offset, dim1, dim2)`` replaced by ``src``."""
        return indexing.diagonal_scatter(self, src, offset, dim1, dim2)

    def msort(self) -> Tensor:
        """Sorted along dim 0, ascending (``sort(0).values``)."""
        return sorting.msort(self)

    def histogram(self, bins=100, *, range=None, weight=None, density: bool = False):
        """``(hist, bin_edges)``: counts (or summed ``weight``) of the elements in ``bins``
        equal bins over ``range`` (or between the given edges), the last bin closed; with
        ``density``, divided by the total and the bin widths. No gradient."""
        return sorting.histogram(self, bins, range=range, weight=weight, density=density)

    def cov(self, *, correction: int = 1, fweights=None, aweights=None) -> Tensor:
        """The covariance matrix of the rows (variables; columns are observations):
        (x - m) diag(w) (x - m)^T / (sum(w) - correction), w the weights."""
        return reduce.cov(self, correction=correction, fweights=fweights, aweights=aweights)

    def corrcoef(self) -> Tensor:
        """Pearson correlation coefficients of the rows: C_ij / sqrt(C_ii C_jj), C = cov."""
        return reduce.corrcoef(self)

    # ------------------------------------------------------------------ in place

    def add_(self, other, *, alpha=1) -> Tensor:
        """self += alpha * other in place; returns self. ``other`` broadcasts to self's
        shape, never the other way."""
        other = _scaled(self, other, alpha)
        return views.apply_binary(self, elementwise.Add, other)

    def sub_(self, other, *, alpha=1) -> Tensor:
        """self -= alpha * other in place; returns self (``subtract_`` is PyTorch's alias)."""
        other = _scaled(self, other, alpha)
        return views.apply_binary(self, elementwise.Sub, other)

    subtract_ = sub_

    def mul_(self, other) -> Tensor:
        """self *= other in place; returns self (``multiply_`` is PyTorch's alias)."""
        if self.array.dtype is _HALF:  # with a scalar: in float32, as out of place
            return _inplace(self, "mul", (other,), {})
        return views.apply_binary(self, elementwise.Mul, other)

    multiply_ = mul_

    def div_(self, other, *, rounding_mode: str | None = None) -> Tensor:
        """self = self.div(other, rounding_mode=rounding_mode) in place: true division, or
        rounded down ('floor') or toward zero ('trunc'); returns self. An integer tensor takes
        only the rounding modes (true division gives floats). ``divide_`` and
        ``true_divide_`` are PyTorch's aliases."""
        if rounding_mode is not None or self.array.dtype is _HALF:
            return _inplace(self, "div", (other,), {"rounding_mode": rounding_mode})
        return views.apply_binary(self, elementwise.Div, other)

    divide_ = true_divide_ = div_

    def pow_(self, exponent) -> Tensor:
        """self = self ** exponent in place; returns self."""
        return views.apply_binary(self, elementwise.Pow, exponent)

    def clamp_(self, min=None, max=None) -> Tensor:
        """``clamp(min, max)`` in place; returns self (``clip_`` is PyTorch's alias)."""
        return views.assign(self, views.operand(self, copy=True).clamp(min, max))

    clip_ = clamp_

    def float_power_(self, exponent) -> Tensor:
        """self = self ** exponent in place, computed in float64: self must be float64, as
        in PyTorch; returns self."""
        if self.array.dtype != np.float64:
            raise RuntimeError(
                f"float_power_: the base has dtype {self.dtype} but the operation's result "
                "requires dtype float64 (float_power computes in float64)"
            )
        return _inplace(self, "float_power", (exponent,), {})

    # abs_, exp_, eq_ and PyTorch's other in-place forms of the elementwise methods are made
    # from the table INPLACE below the class

    def zero_(self) -> Tensor:
        """Fill with zeros in place; returns self."""
        return self.fill_(0)

    def fill_(self, value) -> Tensor:
        """Fill with ``value`` (a number or a one-element tensor) in place; returns self."""
        if isinstance(value, Tensor) and value.requires_grad:
            return views.assign(self, value.expand(self.shape))
        return views.fill(self, value.item() if isinstance(value, Tensor) else value)

    def copy_(self, src) -> Tensor:
        """Copy ``src``'s values into self in place (broadcast, cast to self's dtype, moved
        to its device); returns self. The gradient flows to ``src``."""
        src = to_tensor(src, self)
        if src.device != self.device:
            src = src.to(self.device)
        return views.assign(self, src.to(self.dtype).expand(self.shape))

    def masked_fill_(self, mask, value) -> Tensor:
        """``masked_fill(mask, value)`` in place; returns self."""
        return views.assign(self, views.operand(self).masked_fill(mask, value))

    # in-place forms of the indexing, scatter, triangle and running ops (computed out of place
    # and assigned: ``views.assign``), and the in-place view ops (``movement.view_in_place``)

    def _assign_same_shape(self, out: Tensor, name: str) -> Tensor:
        if out.shape != self.shape:
            raise RuntimeError(
                f"{name}: the result's shape {out.shape} doesn't match the tensor's shape "
                f"{self.shape} (an in-place op cannot broadcast the tensor itself)"
            )
        return views.assign(self, out)

    def masked_scatter_(self, mask: Tensor, source: Tensor) -> Tensor:
        """``masked_scatter(mask, source)`` in place (mask broadcast to self); returns self."""
        out = indexing.masked_scatter(views.operand(self), mask, source)
        return self._assign_same_shape(out, "masked_scatter_")

    def put_(self, index: Tensor, source: Tensor, accumulate: bool = False) -> Tensor:
        """``put(index, source, accumulate)`` in place; returns self."""
        return indexing.put_(self, index, source, accumulate)

    def index_add_(self, dim: int, index: Tensor, source: Tensor, *, alpha=1) -> Tensor:
        """``index_add(dim, index, source, alpha=alpha)`` in place; returns self."""
        out = indexing.index_add(views.operand(self), dim, index, source, alpha=alpha)
        return views.assign(self, out)

    def index_copy_(self, dim: int, index: Tensor, source: Tensor) -> Tensor:
        """``index_copy(dim, index, source)`` in place; returns self."""
        return views.assign(self, indexing.index_copy(views.operand(self), dim, index, source))

    def index_fill_(self, dim: int, index: Tensor, value) -> Tensor:
        """``index_fill(dim, index, value)`` in place; returns self."""
        return views.assign(self, indexing.index_fill(views.operand(self), dim, index, value))

    def index_put_(self, indices, values: Tensor, accumulate: bool = False) -> Tensor:
        """self[indices] = values in place (``+=`` with ``accumulate``); returns self."""
        return indexing.index_put_(self, indices, values, accumulate)

    def index_reduce_(
        self, dim: int, index: Tensor, source: Tensor, reduce: str, *, include_self=True
    ) -> Tensor:
        """``index_reduce(...)`` in place; returns self."""
        x = views.operand(self, copy=True)  # the reduction keeps x for its gradient
        out = indexing.index_reduce(x, dim, index, source, reduce, include_self=include_self)
        return views.assign(self, out)

    def scatter_(self, dim: int, index: Tensor, src=None, value=None, *, reduce=None) -> Tensor:
        """``scatter(dim, index, src, reduce=reduce)`` in place; returns self."""
        copy = reduce is not None  # scatter_reduce keeps x for its gradient
        out = views.operand(self, copy=copy).scatter(dim, index, src, value, reduce=reduce)
        return views.assign(self, out)

    def scatter_add_(self, dim: int, index: Tensor, src: Tensor) -> Tensor:
        """``scatter_add(dim, index, src)`` in place; returns self."""
        return views.assign(self, views.operand(self).scatter_add(dim, index, src))

    def scatter_reduce_(
        self, dim: int, index: Tensor, src: Tensor, reduce: str, *, include_self: bool = True
    ) -> Tensor:
        """``scatter_reduce(...)`` in place; returns self."""
        x = views.operand(self, copy=True)  # the reduction keeps x for its gradient
        out = indexing.scatter_reduce(x, dim, index, src, reduce, include_self=include_self)
        return views.assign(self, out)

    def fill_diagonal_(self, fill_value, wrap: bool = False) -> Tensor:
        """Set the main diagonal (positions i, i, ..., i) to ``fill_value`` in place; self has
        2+ dims, all of one length beyond 2. A tall matrix with ``wrap`` restarts the
        diagonal every ncols + 1 rows (NumPy's ``fill_diagonal``); returns self."""
        if self.ndim < 2:
            raise RuntimeError(f"fill_diagonal_: dimensions must larger than 1, got {self.shape}")
        if self.ndim > 2 and len(set(self.shape)) != 1:
            raise RuntimeError(
                f"fill_diagonal_: all dimensions of input must be of equal length, got {self.shape}"
            )
        mask = Tensor._make(_recorder.call(_diagonal_mask, self.shape, wrap, self.device))
        return self.masked_fill_(mask, fill_value)

    def tril_(self, diagonal: int = 0) -> Tensor:
        """``tril(diagonal)`` in place: zeros above diagonal ``diagonal``; returns self."""
        return views.assign(self, views.operand(self).tril(diagonal))

    def triu_(self, diagonal: int = 0) -> Tensor:
        """``triu(diagonal)`` in place: zeros below diagonal ``diagonal``; returns self."""
        return views.assign(self, views.operand(self).triu(diagonal))

    def cumsum_(self, dim: int, *, dtype=None) -> Tensor:
        """``cumsum(dim)`` in place (the result cast to self's dtype); returns self."""
        return views.assign(self, views.operand(self).cumsum(dim, dtype=dtype))

    def cumprod_(self, dim: int, *, dtype=None) -> Tensor:
        """``cumprod(dim)`` in place; returns self."""
        return views.assign(self, views.operand(self, copy=True).cumprod(dim, dtype=dtype))

    def squeeze_(self, dim=None) -> Tensor:
        """``squeeze(dim)`` in place: self's own shape loses those size-1 dims; returns self.
        While recording, self's history becomes the squeeze, as PyTorch (a leaf that requires
        grad refuses); see ``movement.view_in_place`` for older views of self."""
        back = (movement.Reshape, {"shape": self.shape})
        return movement.view_in_place(self, self.squeeze(dim), "squeeze_", back)

    def unsqueeze_(self, dim: int) -> Tensor:
        """``unsqueeze(dim)`` in place: self's own shape gains a size-1 dim; returns self."""
        back = (movement.Reshape, {"shape": self.shape})
        return movement.view_in_place(self, self.unsqueeze(dim), "unsqueeze_", back)

    def transpose_(self, dim0: int, dim1: int) -> Tensor:
        """``transpose(dim0, dim1)`` in place: self's shape and strides swap those dims
        (``swapaxes_``/``swapdims_`` are aliases); returns self."""
        view = self.transpose(dim0, dim1)
        back = (movement.Permute, {"dims": _swapped(self.ndim, dim0, dim1)})
        return movement.view_in_place(self, view, "transpose_", back)

    swapaxes_ = swapdims_ = transpose_

    def t_(self) -> Tensor:
        """``t()`` in place (a matrix transposed, 0-d and 1-D unchanged); returns self."""
        back = (movement.Permute, {"dims": _swapped(self.ndim, 0, 1)})
        return movement.view_in_place(self, self.t(), "t_", back)

    def uniform_(self, a: float = 0.0, b: float = 1.0, *, generator=None) -> Tensor:
        """Fill in place with draws from U[a, b) (on the CPU generator, so a seed gives
        the same numbers on any device); returns self."""
        dtype = self.array.dtype
        return self._fill_random(lambda r, shape, _: r.uniform(a, b, shape, dtype), generator)

    def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator=None) -> Tensor:
        """Fill in place with draws from N(mean, std^2) (on the CPU generator, so a seed
        gives the same numbers on any device); returns self. As PyTorch's, a non-contiguous
        tensor draws its normals one float64 pair at a time (a contiguous one in blocks)."""
        dtype = self.array.dtype

        def sample(r, shape, contiguous):
            return r.normal(mean, std, shape, dtype, pairs=not contiguous)

        return self._fill_random(sample, generator)

    def _fill_drawn(self, name: str, sample, generator, floating: bool = True) -> Tensor:
        """Fill with ``sample(stream, shape)`` (a host draw) cast to self's dtype."""
        if floating and not self.is_floating_point():
            raise RuntimeError(
                f"{name} draws from a continuous distribution: the tensor must "
                f"have a floating dtype, got {self.dtype}"
            )
        dtype = self.array.dtype
        return self._fill_random(lambda r, shape, _: sample(r, shape).astype(dtype), generator)

    def _fill_random(self, sample, generator) -> Tensor:
        """Fill with ``sample(stream, shape, contiguous)`` as PyTorch's in-place samplers
        fill: value by value in the order of self's memory, so a transposed view draws in its
        base's order (``shape`` is self's shape in that order)."""
        order, back = _memory_order(self)
        shape, contiguous = tuple(self.shape[d] for d in order), self.is_contiguous()
        draw = lambda r: np.transpose(np.asarray(sample(r, shape, contiguous)), back)  # noqa: E731
        return views.fill(self, _recorder.call(_random.draw, draw, self.device, generator))

    def bernoulli(self, p=None, *, generator=None) -> Tensor:
        """0/1 draws of self's shape and dtype: element i is 1 with probability ``self[i]``
        (in [0, 1]), or with probability ``p`` when a float ``p`` is given. No gradient
        (PyTorch's is zero)."""
        if p is None and not self.is_floating_point():
            raise RuntimeError(f"bernoulli: probabilities must be floating, got {self.dtype}")
        prob = self.array if p is None else p
        return Tensor._make(
            _recorder.call(
                _random.bernoulli, prob, self.shape, self.array.dtype, self.device, generator
            )
        )

    def bernoulli_(self, p=0.5, *, generator=None) -> Tensor:
        """Fill in place with 0/1 draws, 1 with probability ``p`` (a float, or a tensor of
        probabilities that broadcasts to self's shape); returns self."""
        if isinstance(p, Tensor):
            if np.broadcast_shapes(p.shape, self.shape) != self.shape:
                raise RuntimeError(
                    f"bernoulli_: p of shape {p.shape} does not broadcast to "
                    f"the tensor's shape {self.shape}"
                )
            p = backend.to_device(p.array, self.device)
        args = (p, self.shape, self.array.dtype, self.device, generator, _memory_order(self))
        return views.fill(self, _recorder.call(_bernoulli_in_memory_order, *args))

    def multinomial(self, num_samples: int, replacement: bool = False, *, generator=None):
        """int64 category indices drawn from the rows of self (1-D or 2-D, non-negative,
        unnormalised weights): shape ``(num_samples,)`` or ``(rows, num_samples)``. Without
        replacement the categories of a row are distinct and a zero weight is never drawn,
        so ``num_samples`` may not exceed a row's count of positive weights (PyTorch
        documents this; its CPU kernel draws zero weights instead)."""
        args = (self.array, num_samples, replacement, generator)
        return Tensor._make(_recorder.call(_random.multinomial, *args))

    def exponential_(self, lambd: float = 1.0, *, generator=None) -> Tensor:
        """Fill in place with draws from Exp(lambd), density lambd e^(-lambd x) on x >= 0;
        returns self."""
        if not lambd > 0:
            raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
        draw = lambda r, shape: r.exponential(lambd, shape)  # noqa: E731
        return self._fill_drawn("exponential_", draw, generator)

    def geometric_(self, p: float, *, generator=None) -> Tensor:
        """Fill in place with draws from Geometric(p): the number of Bernoulli(p) trials up
        to and including the first success, P(k) = (1 - p)^(k - 1) p for k = 1, 2, ...;
        returns self."""
        if not 0 < p < 1:
            raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p}")
        draw = lambda r, shape: r.geometric(p, shape)  # noqa: E731
        return self._fill_drawn("geometric_", draw, generator, False)

    def log_normal_(self, mean: float = 1.0, std: float = 2.0, *, generator=None) -> Tensor:
        """Fill in place with exp(N(mean, std^2)) draws (``mean`` and ``std`` are those of
        the logarithm); returns self."""
        if not std > 0:
            raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std}")
        draw = lambda r, shape: r.lognormal(mean, std, shape)  # noqa: E731
        return self._fill_drawn("log_normal_", draw, generator)

    def cauchy_(self, median: float = 0.0, sigma: float = 1.0, *, generator=None) -> Tensor:
        """Fill in place with Cauchy draws, density 1 / (pi sigma (1 + ((x - median) /
        sigma)^2)); returns self."""
        if not sigma > 0:
            raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={sigma}")
        draw = lambda r, shape: r.cauchy(median, sigma, shape)  # noqa: E731
        return self._fill_drawn("cauchy_", draw, generator)

    def random_(self, from_=None, to=None, *, generator=None) -> Tensor:
        """Fill in place with integers uniform on [from_, to - 1]; ``random_(to)`` starts at
        0; with no bounds [0, 2^mantissa] for floats (every value exact) and the dtype's
        range from 0 for integers. PyTorch's first parameter is named ``from``."""
        dtype = self.array.dtype
        if from_ is None and to is None:  # PyTorch: a word mod (max + 1), or 2^mantissa + 1
            draw = lambda r, shape: r.full_range(dtype, shape)  # noqa: E731
        else:
            low, high = _random.integer_range(dtype, from_, to)
            draw = lambda r, shape: r.integers(low, high + 1, shape)  # noqa: E731
        return self._fill_drawn("random_", draw, generator, False)


def _memory_order(x: Tensor) -> tuple:
    """x's dims from the largest stride of its array to the smallest (the order PyTorch's
    fills walk memory in), and the permutation that puts them back."""
    strides = x.array.strides
    order = sorted(range(x.ndim), key=lambda d: -abs(strides[d]))
    return tuple(order), tuple(int(i) for i in np.argsort(order))


def _bernoulli_in_memory_order(p, shape, dtype, device, generator, orders):
    """``bernoulli_``'s 0/1 draws for a tensor of ``shape`` made in its memory order (one
    function, which tg.compile records)."""
    order, back = orders
    if backend.is_array(p):
        p = xp_of(p).broadcast_to(p, shape).transpose(order)
    drawn = _random.bernoulli(p, tuple(shape[d] for d in order), dtype, device, generator)
    return drawn.transpose(back)


# ---------------------------------------------------------------------- in-place forms

# t.NAME_(...) for each NAME: t.NAME(...) computed, then written into t's memory. Its 0/1 result
# of a comparison or logical op is written in t's dtype, with gradient 0 (PyTorch's).
INPLACE = (
    "abs absolute neg negative exp exp2 expm1 log log2 log10 log1p sqrt rsqrt square "
    "reciprocal sigmoid tanh relu sin cos tan asin acos atan arcsin arccos arctan sinh cosh "
    "asinh acosh atanh arcsinh arccosh arctanh atan2 arctan2 hypot ceil floor round trunc fix "
    "frac sign sgn erf erfc erfinv lgamma digamma polygamma mvlgamma i0 logit xlogy sinc "
    "deg2rad rad2deg nan_to_num addcmul addcdiv clamp_min clamp_max copysign fmod "
    "remainder floor_divide heaviside gcd lcm ldexp nextafter bitwise_and bitwise_or "
    "bitwise_xor bitwise_not bitwise_left_shift bitwise_right_shift renorm addmm addmv addr "
    "addbmm baddbmm"
).split()
INPLACE_ZERO_GRADIENT = (
    "eq ne lt le gt ge greater greater_equal less less_equal not_equal logical_and logical_or "
    "logical_not logical_xor"
).split()


def _reduced_precision(x: Tensor) -> bool:
    """float16 or bfloat16: a reduction PyTorch runs as one kernel (mean, var, std)
    accumulates them in float32 and rounds once; as a composite of ops here it would round
    after each, so it runs in float32 and casts back (the gradient flows through the casts)."""
    d = x.array.dtype
    return d is _HALF or d is backend.BF16


def _bounded(x: Tensor, bound: Tensor, beyond) -> Tensor:
    """``bound`` where ``beyond(bound)`` (x < bound, x > bound) or the bound is NaN, else x:
    clamp's step with a tensor bound, whose ties give x the gradient, as PyTorch's (maximum
    and minimum would split it)."""
    outside = beyond(bound)
    if bound.is_floating_point():
        outside = outside | bound.isnan()
    return where(outside, bound, x)


def _inplace(self: Tensor, name: str, args: tuple, kwargs: dict) -> Tensor:
    """``self.name(*args, **kwargs)`` written into self (``views.assign``: a leaf that requires
    grad raises, a view writes through to its base, the version counter moves, autograd
    records the op), with PyTorch's checks: the result's dtype must cast to self's (no floats
    into an integer tensor) and its shape must be self's (self does not broadcast)."""
    operand = views.operand(self, copy=True)  # the op may save it: its values, before the write
    if (
        operand is self
        and GradMode.enabled
        and any(isinstance(a, Tensor) and a.requires_grad for a in (*args, *kwargs.values()))
    ):  # self has no history, but the gradient of another input may need its old values
        operand = self.detach().clone()
    result = getattr(operand, name)(*args, **kwargs)
    if not backend.can_cast(result.dtype, self.dtype):
        raise RuntimeError(
            f"{name}_: result type {result.dtype} can't be cast to the desired output type "
            f"{self.dtype}"
        )
    if result.shape != self.shape:
        raise RuntimeError(
            f"{name}_: output with shape {self.shape} doesn't match the broadcast shape "
            f"{result.shape}"
        )
    result = result.to(self.dtype)
    if name in INPLACE_ZERO_GRADIENT and GradMode.enabled:
        for x in (operand, *args):  # each input that requires grad gets gradient 0
            if isinstance(x, Tensor) and x.requires_grad:
                result = _zero_gradient_to(x, result)
    if result.grad_fn is not None and views.recording(self, result):
        # self takes the op's node as its grad_fn (ExpBackward0, as PyTorch's), no copy between
        views.check_no_overlap(self, f"{name}_")
        views.check_can_modify(self)
        return views.rebase(self, result)
    return views.assign(self, result)


def _zero_gradient_to(source: Tensor, out: Tensor) -> Tensor:
    """``out``'s values, in a graph that also reaches ``source`` with gradient 0 (PyTorch's for
    an op whose result is constant in that input): ``where(False, source, out)``."""
    never = zeros(out.shape, dtype=np.bool_, device=out.device)
    return where(never, source.to(out.dtype), out)


def _inplace_method(name: str):
    def method(self, *args, **kwargs):
        return _inplace(self, name, args, kwargs)

    method.__name__ = method.__qualname__ = name + "_"
    method.__doc__ = (
        f"``{name}`` in place: self = self.{name}(...), written into self's memory; returns "
        f"self. The result must cast to self's dtype.\n\n{inspect.getdoc(getattr(Tensor, name))}"
    )
    return method


for _name in INPLACE + INPLACE_ZERO_GRADIENT:
    setattr(Tensor, _name + "_", _inplace_method(_name))
del _name


def _rebuild(array, requires_grad):
    return Tensor._from_data(array, requires_grad=requires_grad)


# the dtype part of PyTorch's tensor type names: 'torch.FloatTensor', 'torch.cuda.LongTensor'
_TYPE_NAMES = {
    "float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16",
    "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
    "bool": "Bool", "complex64": "ComplexFloat", "complex128": "ComplexDouble",
}  # fmt: skip


def _legacy_array(args: tuple, device, size, data, dtype=None, name="Tensor"):
    """The array of ``torch.Tensor(*args, device=, size=, data=)``, of the default float dtype
    (of ``dtype`` for the typed forms, ``torch.LongTensor(...)``): sizes give an uninitialised
    array, a sequence or an array a copy, a tensor its own array (of any dtype for
    ``Tensor(t)``, of ``dtype`` for a typed form)."""
    typed, dtype = dtype is not None, backend.DEFAULT_FLOAT if dtype is None else dtype
    if size is not None or data is not None:
        if args or (size is not None and data is not None):
            raise TypeError("Tensor(): give sizes, size=(...) or data=[...], one of them")
        args = tuple(size) if size is not None else (data,)
    if not args:
        return to_array([], dtype, device, copy=True)
    if all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in args):
        if any(a < 0 for a in args):
            raise RuntimeError(
                f"Tensor(): trying to create a tensor with negative dimension {list(args)}"
            )
        return empty(*args, dtype=dtype, device=device).array  # uninitialised, as in PyTorch
    if len(args) == 1:
        (x,) = args
        if isinstance(x, Tensor):
            if typed and x.array.dtype != backend.to_dtype(dtype).np:
                raise TypeError(
                    f"{name}(): expected a tensor of dtype {backend.to_dtype(dtype)}, got "
                    f"{x.dtype} (convert it with .to(dtype))"
                )
            return x.array if device is None else backend.to_device(x.array, Device(device))
        if isinstance(x, (list, tuple)) or backend.is_array(x):
            return to_array(x, dtype, device, copy=True)
        hint = f" (a 0-d tensor is tg.tensor({x!r}))" if isinstance(x, (int, float)) else ""
        got = type(x).__name__
        raise TypeError(f"Tensor(): data must be a sequence or an array, got {got}{hint}")
    raise TypeError(
        "Tensor() takes sizes (Tensor(2, 3)), data (Tensor([1, 2])) or a tensor; got "
        f"({', '.join(type(a).__name__ for a in args)}); tg.tensor(data, dtype=...) "
        "takes a dtype"
    )


# ---------------------------------------------------------------------- functions


def where(condition, input=None, other=None) -> Tensor:
    """``input`` where ``condition`` else ``other``; scalars broadcast. ``where(condition)``
    alone is ``nonzero(condition, as_tuple=True)``: one index tensor per dimension."""
    if input is None and other is None:
        return condition.nonzero(as_tuple=True)
    if input is None or other is None:
        raise TypeError("where() takes a condition alone, or a condition, input and other")
    like = next(x for x in (input, other, condition) if isinstance(x, Tensor))
    cond = condition
    if not isinstance(cond, Tensor):
        cond = Tensor._from_data(condition, device=like.device)
    if cond.array.dtype != np.bool_:
        raise TypeError(f"where: condition must be a bool tensor, got {cond.dtype}")
    a = input if isinstance(input, Tensor) else None
    b = other if isinstance(other, Tensor) else None
    for t in (cond, a, b):
        if t is not None and t.device != like.device:
            raise RuntimeError(
                f"where: expected all tensors on the same device, got {like.device} and {t.device}"
            )
    dt = backend.result_type(input, other)
    a = a.to(dt) if a is not None else to_tensor(input, like).to(dt)
    b = b.to(dt) if b is not None else to_tensor(other, like).to(dt)
    shape = broadcast_shape("where", cond.shape, a.shape)
    broadcast_shape("where", shape, b.shape)
    return elementwise.Where.apply(cond, a, b)


def float_power(input, exponent) -> Tensor:
    """input ** exponent computed in float64: both cast to float64 first (either may be a Python
    number, not both), as PyTorch's ``float_power``; the result is float64 and each gradient is
    cast back to its input's dtype."""
    if isinstance(input, Tensor):
        base = input.double()
        return base.pow(exponent.double() if isinstance(exponent, Tensor) else exponent)
    if not isinstance(exponent, Tensor):
        raise TypeError(
            f"float_power: expected a tensor input or exponent, got {type(input).__name__} and "
            f"{type(exponent).__name__}"
        )
    return float(input) ** exponent.double()


def rsub(input: Tensor, other, *, alpha=1) -> Tensor:
    """other - alpha * input (``sub`` with the operands swapped); either may be a number."""
    return other - (input * alpha if alpha != 1 else input)


def is_tensor(obj) -> bool:
    """True when ``obj`` is a tensorgrad Tensor (``isinstance(obj, Tensor)``)."""
    return isinstance(obj, Tensor)


def _tensor_arg(name: str, other) -> None:
    """PyTorch's TypeError for a number where a function takes only a tensor (fmax, gcd, ...)."""
    if not isinstance(other, Tensor):
        raise TypeError(
            f"{name}(): argument 'other' (position 2) must be Tensor, not {type(other).__name__}"
        )


def _same_dtype(name: str, a: Tensor, b: Tensor) -> tuple:
    """``a`` and the tensor ``b`` on one device, broadcastable, cast to their promoted dtype."""
    _tensor_arg(name, b)
    if a.device != b.device:
        raise RuntimeError(
            f"{name}: expected all tensors on the same device, got {a.device} and {b.device}"
        )
    broadcast_shape(name, a.shape, b.shape)
    dt = backend.result_type(a, b)
    return a.to(dt), b.to(dt)


def _integer_binary(fn, name: str, a: Tensor, b: Tensor) -> Tensor:
    """``fn(a, b)`` (NumPy's gcd, lcm) for integer tensors, in their promoted dtype."""
    _tensor_arg(name, b)
    if a.array.dtype.kind not in "iu" or b.array.dtype.kind not in "iu":
        raise NotImplementedError(f"{name}: expected integer tensors, got {a.dtype} and {b.dtype}")
    return no_grad_binary(getattr(xp_of(a.array), fn.__name__), a, b, name)


def matmul(a: Tensor, b: Tensor) -> Tensor:
    """``torch.matmul``: 1-D operands are promoted to matrices and the added dim removed."""
    if not isinstance(b, Tensor):
        b = to_tensor(b, a)
    if _amp.AutocastState.active:
        a, b = _amp.autocast_inputs(a, b, policy=_amp.LOWER)
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(
            f"matmul: both arguments need at least 1 dimension, got shapes {a.shape} and {b.shape}"
        )
    if type(a.array) is not type(b.array):
        raise RuntimeError(
            f"matmul: expected all tensors on the same device, got {a.device} and {b.device}"
        )
    if a.array.dtype != b.array.dtype or a.array.dtype == np.bool_:
        _product_dtype_error(a, b)
    a2 = a.unsqueeze(0) if a.ndim == 1 else a
    b2 = b.unsqueeze(-1) if b.ndim == 1 else b
    if a2.shape[-1] != b2.shape[-2]:
        raise RuntimeError(
            f"matmul: mat1 and mat2 shapes cannot be multiplied "
            f"({a2.shape[-2]}x{a2.shape[-1]} and {b2.shape[-2]}x{b2.shape[-1]}): "
            f"shapes {a.shape} @ {b.shape}"
        )
    try:
        broadcast_shape("matmul", a2.shape[:-2], b2.shape[:-2])
    except RuntimeError:
        raise RuntimeError(
            f"matmul: the batch dimensions of {a.shape} @ {b.shape} ({a2.shape[:-2]} and "
            f"{b2.shape[:-2]}) cannot be broadcast together"
        ) from None
    out = linalg.MatMul.apply(a2, b2)
    if a.ndim == 1:
        out = out.squeeze(-2)
    if b.ndim == 1:
        out = out.squeeze(-1)
    return out


def _scaled(self: Tensor, other, alpha):
    """``alpha * other`` for ``add``/``sub``, computed in the dtype of ``self + other``, as
    PyTorch scales after promotion: ``add(int8 t, uint8 200, alpha=2)`` is 400 (int16), not
    144 wrapped around in uint8. A float ``alpha`` with integer tensors raises; with bool
    tensors ``alpha`` counts as a bool."""
    if alpha == 1:
        return other
    dt = backend.result_type(self, other)
    if dt.kind in "biu" and isinstance(alpha, float):
        raise RuntimeError(
            "For integral input tensors, argument alpha must not be a floating point number."
        )
    if dt.kind == "b":
        return other if alpha else other & False
    if isinstance(other, Tensor) and other.array.dtype != dt:
        other = other.to(dt)
    return other * alpha


# the C type names in PyTorch's matrix product errors ("float != double")
_C_TYPE_NAMES = {
    "float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
    "int32": "int", "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
    "bool": "bool", "bfloat16": "c10::BFloat16",
}  # fmt: skip


def _product_dtype_error(a: Tensor, b: Tensor):
    """Matrix products do not promote: PyTorch's ``float32 @ float64`` raises (a float64 input
    to a float32 ``nn.Linear`` too), and bool products are not implemented."""
    na, nb = a.array.dtype.name, b.array.dtype.name
    if na == nb:  # bool
        raise NotImplementedError("\"addmm_impl_cpu_\" not implemented for 'Bool'")
    if a.ndim == 1 and b.ndim == 1:
        raise RuntimeError(
            f"dot : expected both vectors to have same dtype, but found {_TYPE_NAMES[na]} and "
            f"{_TYPE_NAMES[nb]}"
        )
    raise RuntimeError(  # a float64 batch into a float32 model: a mistake to report, not hide
        f"expected m1 and m2 to have the same dtype, but got: {_C_TYPE_NAMES[na]} != "
        f"{_C_TYPE_NAMES[nb]} (matmul: mat1 and mat2 must have the same dtype; shapes {a.shape} "
        f"and {b.shape}, cast one with .to(dtype))"
    )


def cat(tensors, dim: int = 0) -> Tensor:
    """Join ``tensors`` along the existing dim ``dim``, in their promoted dtype; empty
    1-D tensors are skipped, as PyTorch does. ``concat``/``concatenate`` are aliases."""
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("cat: expected a non-empty list of tensors")
    nonempty = [t for t in tensors if not (t.ndim == 1 and t.shape[0] == 0)]  # PyTorch skips these
    tensors = nonempty or tensors[:1]
    ref = tensors[0]
    dim = wrap_dim(dim, ref.ndim)
    dt = ref.array.dtype
    for t in tensors[1:]:
        dt = backend.promote_types(dt, t.array.dtype)
    for i, t in enumerate(tensors):
        if t.ndim != ref.ndim or any(
            t.shape[d] != ref.shape[d] for d in range(ref.ndim) if d != dim
        ):
            bad = next(
                (
                    d
                    for d in range(ref.ndim)
                    if d != dim and t.ndim == ref.ndim and t.shape[d] != ref.shape[d]
                ),
                None,
            )
            sizes = (
                f"Sizes of tensors must match except in dimension {dim}. Expected size "
                f"{ref.shape[bad]} but got size {t.shape[bad]} for tensor number {i} in the list: "
                if bad is not None
                else ""
            )
            raise RuntimeError(
                f"cat: {sizes}tensor {i} has shape {t.shape}, which does not match shape "
                f"{ref.shape} of tensor 0 outside dimension {dim}"
            )
        if t.device != ref.device:
            raise RuntimeError(
                f"cat: expected all tensors on the same device, got {ref.device} and {t.device}"
            )
    return movement.Cat.apply(*[t.to(dt) for t in tensors], dim=dim)


concat = concatenate = cat


def stack(tensors, dim: int = 0) -> Tensor:
    """Join tensors of one shape along a new dim ``dim``."""
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack: expected a non-empty list of tensors")
    for i, t in enumerate(tensors):
        if t.shape != tensors[0].shape:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {tensors[0].shape} at "
                f"entry 0 and {t.shape} at entry {i}"
            )
    dim = wrap_dim(dim, tensors[0].ndim + 1)
    return cat([t.unsqueeze(dim) for t in tensors], dim)


def einsum(equation: str, *operands) -> Tensor:
    """Einstein summation, e.g. ``einsum('ij,jk->ik', a, b)``; the operands may also
    come as one list."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if _amp.AutocastState.active:
        operands = _amp.autocast_inputs(*operands, policy=_amp.LOWER)
    return linalg.einsum(equation, *operands)


# The ops and the argument helpers import Tensor from this module, so they are imported last
# (the cycle is one-way at import time: by now Tensor exists).
from . import amp as _amp
from . import kernels as _kernels
from . import memory_format as _layout
from . import random as _random
from ._args import (
    PY_SCALARS,
    binary,
    broadcast_shape,
    compare,
    float_binary,
    floating,
    infer_shape,
    logical,
    no_grad_binary,
    numel_over,
    numpy_axis,
    reduce_dims,
    size_args,
    to_array,
    to_tensor,
    wrap_dim,
    wrap_dims,
)
from .autograd import engine, function, views
from .autograd.function import RetainGrad
from .creation import empty, full, ones, zeros
from .grad_mode import GradMode
from .kernels import lerp as _klerp
from .ops import elementwise, fused, indexing, linalg, movement, reduce, sorting
from .ops.movement import Clone, ToDevice
from .tensor_types import TensorType


def _swapped(ndim: int, a: int, b: int) -> tuple:
    """The permutation that swaps dims a and b (its own inverse)."""
    dims = list(range(ndim))
    if ndim > 1:  # (t_ of a 0-d or 1-D tensor changes nothing)
        a, b = wrap_dim(a, ndim), wrap_dim(b, ndim)
        dims[a], dims[b] = dims[b], dims[a]
    return tuple(dims)


@_recorder.pure
def _diagonal_mask(shape: tuple, wrap: bool, device):
    """True at the positions (i, i, ..., i) of ``shape`` (2-D: every ncols + 1 flat positions,
    up to the last column's row unless ``wrap``), as NumPy's ``fill_diagonal``."""
    mask = np.zeros(shape, dtype=bool)
    np.fill_diagonal(mask, True, wrap=wrap)
    return backend.to_device(mask, device)


def _check_nonnegative(index, dim: int, shape) -> None:
    """index_select refuses negative indices (x[index] takes them), as PyTorch."""
    if index.size and int(index.min()) < 0:
        raise IndexError(
            f"index_select: index {int(index.min())} is out of range for dimension {dim} of a "
            f"tensor of shape {shape} (negative indices are not allowed)"
        )


# NumPy's names for the dimension arguments, as PyTorch's argument parser takes them for every
# native function: x.sum(axis=1), x.sum(1, keepdims=True) (in Karpathy's makemore lectures),
# torch.cat(ts, axis=1). A wrapper renames them; the common call with neither name pays one
# frame and one test.
_NUMPY_NAMES = (("axis", "dim"), ("keepdims", "keepdim"))


def _take_numpy_names(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if kwargs and ("axis" in kwargs or "keepdims" in kwargs):
            for numpy_name, name in _NUMPY_NAMES:
                if numpy_name in kwargs:
                    if name in kwargs:
                        raise TypeError(
                            f"{fn.__name__}() got both {name!r} and its NumPy name {numpy_name!r}"
                        )
                    kwargs[name] = kwargs.pop(numpy_name)
        return fn(*args, **kwargs)

    return wrapper


for _name, _method in list(vars(Tensor).items()):
    # size(dim) and stride(dim) are read in loops and nobody passes them axis=
    if (
        inspect.isfunction(_method)
        and not _name.startswith("_")
        and _name not in ("size", "stride")
    ):
        _params = inspect.signature(_method).parameters
        if "dim" in _params or "keepdim" in _params:
            setattr(Tensor, _name, _take_numpy_names(_method))
cat = concat = concatenate = _take_numpy_names(cat)
stack = _take_numpy_names(stack)
del _name, _method, _params
