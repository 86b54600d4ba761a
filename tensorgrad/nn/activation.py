"""Activations: each function (``nn.functional``'s name) and the module that wraps it.

``inplace=True`` is accepted and shown in ``repr`` as in PyTorch, but the result is computed out
of place: the values are the same and the input is left as it was.
"""

from __future__ import annotations

from ..tensor import Tensor
from .module import Module


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0); its gradient at 0 is 0."""
    return input.relu()


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x Phi(x) with Phi the normal CDF; ``approximate='tanh'`` uses
    0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    return input.gelu(approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x sigmoid(x) (also called swish)."""
    return input.silu()


def tanh(input: Tensor) -> Tensor:
    """(e^x - e^-x) / (e^x + e^-x)."""
    return input.tanh()


def sigmoid(input: Tensor) -> Tensor:
    """1 / (1 + e^-x)."""
    return input.sigmoid()


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + e^(beta x)) / beta, and x itself where beta x > ``threshold``."""
    return input.softplus(beta, threshold)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, alpha (e^x - 1) otherwise."""
    return input.elu(alpha)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x for x > 0, ``negative_slope`` x otherwise."""
    return input.leaky_relu(negative_slope)


def softmax(input: Tensor, dim: int | None = None, dtype=None) -> Tensor:
    """e^x / sum e^x along ``dim`` (computed as e^(x - max) for range); ``dtype`` casts first.
    Without ``dim``, PyTorch's legacy choice: 0 for 0-, 1- and 3-d input, else 1."""
    x = input if dtype is None else input.to(dtype)
    return x.softmax(_implicit_dim(x, dim))


def log_softmax(input: Tensor, dim: int | None = None, dtype=None) -> Tensor:
    """x - log sum e^x along ``dim``: the log of ``softmax``, without its underflow."""
    x = input if dtype is None else input.to(dtype)
    return x.log_softmax(_implicit_dim(x, dim))  # one op: fused.LogSoftmax


def _implicit_dim(x: Tensor, dim):
    if dim is not None:
        return dim
    return 0 if x.ndim in (0, 1, 3) else 1  # PyTorch's legacy choice when dim is omitted


class ReLU(Module):
    """``relu`` as a module."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return relu(input)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class Tanh(Module):
    """``tanh`` as a module."""

    def forward(self, input):
        return tanh(input)


class Sigmoid(Module):
    """``sigmoid`` as a module."""

    def forward(self, input):
        return sigmoid(input)


class GELU(Module):
    """``gelu`` as a module (``approximate='none'`` or ``'tanh'``)."""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        self.approximate = approximate

    def forward(self, input):
        return gelu(input, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate='{self.approximate}'"


class SiLU(Module):
    """``silu`` as a module."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return silu(input)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    """``leaky_relu`` as a module."""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, input):
        return leaky_relu(input, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class Softplus(Module):
    """``softplus`` as a module."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, input):
        return softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class ELU(Module):
    """``elu`` as a module."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input):
        return elu(input, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class Softmax(Module):
    """``softmax`` along ``dim`` as a module."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """``log_softmax`` along ``dim`` as a module."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return log_softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"
