"""``Parameter``: a tensor that a ``Module`` registers as one of its weights; ``Buffer``;
and the placeholders of lazy modules, ``UninitializedParameter`` and ``UninitializedBuffer``.
"""

from __future__ import annotations

from .. import creation
from ..backend import is_float
from ..tensor import Tensor

__all__ = [
    "Buffer",
    "Parameter",
    "UninitializedBuffer",
    "UninitializedParameter",
    "UninitializedTensorMixin",
    "is_lazy",
]


class Parameter(Tensor):
    """A leaf tensor that requires grad (by default) and is registered when assigned to a
    Module attribute. ``Parameter(t)`` shares ``t``'s storage, as in PyTorch."""

    def __init__(self, data=None, requires_grad: bool = True) -> None:
        if data is None:  # an empty tensor of the default dtype, as torch.nn.Parameter()
            import numpy as np

            from .. import backend

            data = Tensor._from_data(np.empty((0,), dtype=backend.DEFAULT_FLOAT))
        array = data.array if isinstance(data, Tensor) else Tensor._from_data(data).array
        self._init(array, None, False, 0, [0])
        if requires_grad:
            self.requires_grad_(True)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __reduce__(self):
        return (_rebuild_parameter, (Tensor.__reduce__(self)[1][0], self.requires_grad))


class Buffer(Tensor):
    """Marks a tensor as a buffer when assigned to a Module attribute (``torch.nn.Buffer``)."""

    def __init__(self, data, persistent: bool = True) -> None:
        array = data.array if isinstance(data, Tensor) else Tensor._from_data(data).array
        self._init(array, None, False, 0, [0])
        self.persistent = persistent


def _rebuild_parameter(array, requires_grad):
    return Parameter(Tensor._from_data(array), requires_grad)


# The storage slot's own descriptor: it reads and writes the array past the placeholders' guard.
_STORAGE = Tensor.array


class UninitializedTensorMixin:
    """A tensor with no shape yet (a lazy module's parameter or buffer before its first
    forward), PyTorch's ``UninitializedTensorMixin``. It holds an empty array for its dtype
    and device only: ``to()`` (and ``float()``, ``double()``, ``cuda()``, ...), ``dtype``,
    ``device`` and ``requires_grad`` work; reading its values or ``shape``, or using it in an
    op, raises. ``materialize(shape)`` gives it an uninitialised array of ``shape`` and turns it
    into ``cls_to_become`` (``Parameter``, or ``Tensor`` for a buffer), the same object."""

    __slots__ = ()
    cls_to_become: type = Tensor

    @property
    def array(self):
        raise ValueError(
            f"Attempted to use an uninitialized parameter ({type(self).__name__}). This error "
            "happens when you are using a `LazyModule` or explicitly manipulating "
            f"`tensorgrad.nn.parameter.{type(self).__name__}` objects. When using LazyModules "
            "Call `forward` with a dummy batch to initialize the parameters before calling "
            "tensorgrad functions"
        )

    @array.setter
    def array(self, value) -> None:
        _STORAGE.__set__(self, value)

    def materialize(self, shape, device=None, dtype=None) -> None:
        """Become a ``cls_to_become`` of ``shape`` (uninitialised values), on this tensor's
        device and dtype unless ``device`` / ``dtype`` are given."""
        empty = Tensor._make(_STORAGE.__get__(self))
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        made = creation.empty(
            *shape,
            dtype=empty.dtype if dtype is None else dtype,
            device=empty.device if device is None else device,
        )
        _STORAGE.__set__(self, made.array)
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        raise RuntimeError(
            "Can't access the shape of an uninitialized parameter or buffer. This error "
            "usually happens in `load_state_dict` when trying to load an uninitialized "
            "parameter into an initialized one. Call `forward` to initialize the parameters "
            "before accessing their attributes."
        )

    @property
    def dtype(self):
        return Tensor._make(_STORAGE.__get__(self)).dtype

    @property
    def device(self):
        return Tensor._make(_STORAGE.__get__(self)).device

    def is_floating_point(self) -> bool:
        return is_float(_STORAGE.__get__(self).dtype)

    def requires_grad_(self, requires_grad: bool = True):
        if requires_grad and not self.is_floating_point():
            raise RuntimeError(
                "only Tensors of floating point dtype can require gradients, got dtype "
                f"{self.dtype}"
            )
        self.requires_grad = requires_grad
        return self

    def to(self, *args, **kwargs) -> Tensor:
        """A plain (empty) tensor of the converted dtype and device; a module's ``to()``
        stores its array here, which is how the placeholder changes dtype and device."""
        return Tensor._make(_STORAGE.__get__(self)).to(*args, **kwargs)

    def _convert(self, fn) -> None:
        """Apply a module's conversion (``Module._apply``) to the empty storage."""
        _STORAGE.__set__(self, fn(Tensor._make(_STORAGE.__get__(self))).array)

    def share_memory_(self):
        raise RuntimeError(
            "Can't share memory on an uninitialized parameter or buffer. Call `forward` to "
            "initialize the parameters before calling `module.share_memory()`."
        )

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    def __reduce__(self):
        empty = Tensor._make(_STORAGE.__get__(self))
        return (_rebuild_uninitialized, (type(self), self.requires_grad, empty.device, empty.dtype))

    def __deepcopy__(self, memo):
        if id(self) not in memo:
            memo[id(self)] = _rebuild_uninitialized(
                type(self), self.requires_grad, self.device, self.dtype
            )
        return memo[id(self)]


def is_lazy(param) -> bool:
    """True for an ``UninitializedParameter`` or ``UninitializedBuffer``."""
    return isinstance(param, UninitializedTensorMixin)


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """A ``Parameter`` whose shape is not known yet (a lazy module's weight before its first
    forward); ``materialize(shape)`` makes it a ``Parameter``."""

    cls_to_become = Parameter

    def __init__(self, requires_grad: bool = True, device=None, dtype=None) -> None:
        self._init(creation.empty(0, dtype=dtype, device=device).array, None, False, 0, [0])
        if requires_grad:
            self.requires_grad_(True)


class UninitializedBuffer(UninitializedTensorMixin, Buffer):
    """A buffer whose shape is not known yet (a lazy module's running statistics before its
    first forward); ``materialize(shape)`` makes it a plain ``Tensor``."""

    cls_to_become = Tensor

    def __init__(
        self, requires_grad: bool = False, device=None, dtype=None, persistent: bool = True
    ) -> None:
        self._init(creation.empty(0, dtype=dtype, device=device).array, None, False, 0, [0])
        self.persistent = persistent
        if requires_grad:
            self.requires_grad_(True)


def _rebuild_uninitialized(cls, requires_grad: bool, device, dtype):
    return cls(requires_grad, device, dtype)
