"""PyTorch's legacy typed tensor constructors: ``torch.FloatTensor``, ``torch.LongTensor``, ...,
and their ``torch.cuda`` forms.

``FloatTensor(data)`` is ``Tensor(data)`` of a fixed dtype: sizes (``LongTensor(2, 3)``) give an
uninitialised tensor, a sequence or an array a copy converted to the dtype (``LongTensor([1.7])``
truncates to ``[1]``), a tensor of that dtype itself (shared storage; another dtype raises), and
``device=`` is the only keyword. ``FloatTensor`` is float32 whatever ``set_default_dtype`` says.
They make plain ``Tensor`` objects, as PyTorch's do; ``isinstance(t, FloatTensor)`` asks whether
``t`` is a float32 CPU tensor, and ``t.type(LongTensor)`` converts.
"""

from __future__ import annotations

from . import backend
from .tensor import _TYPE_NAMES, Tensor, _legacy_array


class TensorType(type):
    """The metaclass of the typed constructors: calling one builds a ``Tensor`` of its dtype on
    its device kind; ``isinstance`` matches a tensor's dtype and device kind."""

    dtype: backend.dtype
    is_cuda: bool

    def __call__(cls, *args, device=None):
        if device is None and cls.is_cuda:
            device = "cuda"
        name = cls.type_name.removeprefix("torch.")
        return Tensor._make(_legacy_array(args, device, None, None, cls.dtype, name))

    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, Tensor) and obj.dtype == cls.dtype and obj.is_cuda == cls.is_cuda

    @property
    def type_name(cls) -> str:
        """PyTorch's name of the type, ``'torch.FloatTensor'`` or ``'torch.cuda.FloatTensor'``:
        what ``Tensor.type()`` returns for its tensors."""
        return ("torch.cuda." if cls.is_cuda else "torch.") + cls.__name__

    def __repr__(cls) -> str:
        return f"<class '{cls.type_name}'>"


def _typed(dtype_name: str, cuda: bool = False) -> TensorType:
    name = _TYPE_NAMES[dtype_name] + "Tensor"
    where = "GPU" if cuda else "CPU"
    doc = f"``{name}(data)``: PyTorch's legacy constructor of {dtype_name} tensors on the {where}."
    attrs = {"dtype": backend.to_dtype(dtype_name), "is_cuda": cuda, "__doc__": doc}
    return TensorType(name, (), attrs)


# torch's names; complex dtypes have none
FloatTensor = _typed("float32")
DoubleTensor = _typed("float64")
HalfTensor = _typed("float16")
BFloat16Tensor = _typed("bfloat16")
LongTensor = _typed("int64")
IntTensor = _typed("int32")
ShortTensor = _typed("int16")
CharTensor = _typed("int8")
ByteTensor = _typed("uint8")
BoolTensor = _typed("bool")
# torch.cuda's: tensorgrad.cuda exports them under the same names
CUDA_TYPES = {
    t.__name__: _typed(t.dtype.name, cuda=True)
    for t in (
        FloatTensor,
        DoubleTensor,
        HalfTensor,
        BFloat16Tensor,
        LongTensor,
        IntTensor,
        ShortTensor,
        CharTensor,
        ByteTensor,
        BoolTensor,
    )
}
