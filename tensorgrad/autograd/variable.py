"""``Variable``: PyTorch's legacy wrapper, which since PyTorch 0.4 just makes a Tensor.

Old scripts write ``Variable(x, requires_grad=True)``; in PyTorch that returns a Tensor sharing
``x``'s storage, cut from any graph (a leaf), requiring grad as asked, and every Tensor is an
instance of ``Variable``. So it is here.
"""

from __future__ import annotations

import warnings
from typing import Any

from ..tensor import Tensor


class _VariableMeta(type):
    def __instancecheck__(cls, other: Any) -> bool:
        return isinstance(other, Tensor)


class Variable(metaclass=_VariableMeta):
    """``Variable(data=None, requires_grad=False, volatile=False)``: ``data.detach()`` with
    ``requires_grad`` set, a Tensor (an empty float32 one when ``data`` is None), as PyTorch's.
    ``volatile`` has no effect and warns, as there (use ``no_grad``)."""

    def __new__(  # type: ignore[misc]
        cls, data: Tensor | None = None, requires_grad: bool = False, volatile: bool = False
    ) -> Tensor:
        if volatile:
            warnings.warn(
                "volatile was removed and now has no effect. Use `with torch.no_grad():` instead.",
                UserWarning,
                stacklevel=2,
            )
        if data is None:
            from ..creation import empty

            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        return data.detach().requires_grad_(bool(requires_grad))


def is_tensor_like(inp: Any) -> bool:
    """True for a Tensor (or subclass such as ``nn.Parameter``): PyTorch's
    ``torch.overrides.is_tensor_like``, which also counts objects with ``__torch_function__``,
    a protocol tensorgrad does not have."""
    return isinstance(inp, Tensor)
