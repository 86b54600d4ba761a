"""``Parameter``: a tensor that a ``Module`` registers as one of its weights."""

from __future__ import annotations

from ..tensor import Tensor


class Parameter(Tensor):
    """A leaf tensor that requires grad (by default) and is registered when assigned to a
    Module attribute. ``Parameter(t)`` shares ``t``'s storage, as in PyTorch."""

    def __init__(self, data=None, requires_grad: bool = True) -> None:
        if data is None:
            import numpy as np

            data = Tensor._from_data(np.empty((0,), dtype=np.float32))
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
