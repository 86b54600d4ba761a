"""Activations: each function (``nn.functional``'s name) and the module that wraps it.

``inplace=True`` is accepted and shown in ``repr`` as in PyTorch, but the result is computed out
of place: the values are the same and the input is left as it was. The underscore forms
(``relu_``, ``elu_``, ``leaky_relu_``, ``hardtanh_``, ``threshold_``, ``celu_``, ``selu_``,
``rrelu_``) do write into their input, through autograd's in-place machinery
(``autograd.views``): the tensor keeps its storage and takes the result's history, as
``Tensor.clamp_`` does, so gradients through it are right and a node that saved the old values
notices the write.

Piecewise activations (``hardtanh``, ``relu6``, ``hardsigmoid``, ``threshold``, the shrinks) are
written with ``where`` so that their gradient at a kink is PyTorch's: 0 on the boundary of a flat
piece (``clamp`` would give 1 there). Their conditions pick the constant piece with ``~(x >= b)``
rather than ``x < b``, so NaN, for which every comparison is False, stays NaN as in PyTorch.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .. import backend, creation
from .. import random as tg_random
from ..autograd import views
from ..grad_mode import is_grad_enabled
from ..jit import recorder
from ..tensor import Tensor
from .init import constant_
from .module import Module
from .parameter import Parameter


def _refuse_inplace(input: Tensor, inplace: bool) -> None:
    """``inplace=True`` computes out of place (see above) but refuses what PyTorch's in-place
    write refuses while recording: a leaf that requires grad, a view of one, an input a custom
    Function returned as is (a module with full backward hooks passes its output through one)."""
    if inplace and input.requires_grad and is_grad_enabled():
        views.check_can_modify(input)


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0); its gradient at 0 is 0."""
    _refuse_inplace(input, inplace)
    return input.relu()


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x Phi(x) with Phi the normal CDF; ``approximate='tanh'`` uses
    0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    return input.gelu(approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x sigmoid(x) (also called swish)."""
    _refuse_inplace(input, inplace)
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
    _refuse_inplace(input, inplace)
    return input.elu(alpha)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x for x > 0, ``negative_slope`` x otherwise."""
    _refuse_inplace(input, inplace)
    return input.leaky_relu(negative_slope)


def softmax(input: Tensor, dim: int | None = None, dtype=None) -> Tensor:
    """e^x / sum e^x along ``dim`` (computed as e^(x - max) for range); ``dtype`` casts first.
    Without ``dim``, PyTorch's legacy choice: 0 for 0-, 1- and 3-d input, else 1."""
    x = input if dtype is None else input.to(dtype)
    return x.softmax(_implicit_dim(x, dim))


def log_softmax(input: Tensor, dim: int | None = None, dtype=None) -> Tensor:
    """x - log sum e^x along ``dim``: the log of ``softmax``, without its underflow."""
    x = input if dtype is None else input.to(dtype)
    return x.log_softmax(_implicit_dim(x, dim, "log_softmax"))  # one op: fused.LogSoftmax


def gumbel_softmax(
    logits: Tensor, tau: float = 1, hard: bool = False, eps: float = 1e-10, dim: int = -1
) -> Tensor:
    """softmax((logits + g) / tau) along ``dim`` with g = -log(E), E ~ Exp(1): a sample of the
    Gumbel-softmax (concrete) relaxation of the categorical distribution of ``logits``.

    ``hard=True`` returns the one-hot vector of each sample's argmax in the forward pass with
    the gradient of the soft sample (the straight-through estimator: y_hard - sg(y_soft) +
    y_soft). ``eps`` is unused, as in PyTorch (deprecated there). The noise comes from our
    generator, so a seed does not give PyTorch's sample."""
    if logits.ndim and not -logits.ndim <= dim < logits.ndim:
        raise IndexError(
            f"gumbel_softmax: dim {dim} is out of range for logits of shape {logits.shape}"
        )
    # drawn through the recorder, so tg.compile's replay draws new noise
    noise = recorder.call(_gumbel_noise, logits.shape, logits.array.dtype, logits.device)
    y_soft = ((logits + Tensor._make(noise)) / tau).softmax(dim)
    if not hard:
        return y_soft
    index = y_soft.detach().argmax(dim, keepdim=True)
    y_hard = creation.zeros_like(y_soft).scatter(dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft


def _gumbel_noise(shape: tuple, dtype, device):
    """-log(E) with E ~ Exp(1) from the default generator: standard Gumbel noise."""
    e = np.asarray(tg_random.rng(None).exponential(1.0, shape, dtype))  # PyTorch's exponential_
    return backend.to_device(np.asarray(-np.log(e)), device)


def logsigmoid(input: Tensor) -> Tensor:
    """log sigmoid(x) = -softplus(-x) = -(max(-x, 0) + log(1 + e^-|x|)): finite for any x."""
    return -(-input).softplus(1.0, math.inf)  # an infinite threshold: the exact formula


def hardtanh(
    input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False
) -> Tensor:
    """``min_val`` below ``min_val``, ``max_val`` above ``max_val``, x between; the gradient
    is 1 strictly between the bounds and 0 on them (PyTorch's)."""
    _refuse_inplace(input, inplace)
    if min_val > max_val:
        raise ValueError(
            f"hardtanh: min_val ({min_val}) cannot be greater than max_val ({max_val})"
        )
    return input.where(~(input >= max_val), max_val).where(~(input <= min_val), min_val)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6): ``hardtanh`` between 0 and 6."""
    _refuse_inplace(input, inplace)
    return hardtanh(input, 0.0, 6.0)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """0 for x <= -3, 1 for x >= 3, x / 6 + 1/2 between: relu6(x + 3) / 6."""
    _refuse_inplace(input, inplace)
    return (input / 6 + 0.5).where(~(input <= -3), 0.0).where(~(input >= 3), 1.0)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """x relu6(x + 3) / 6: 0 for x <= -3, x for x >= 3, x (x + 3) / 6 between.

    Written by pieces so the gradient on the edges is PyTorch's: x / 3 + 1/2 strictly between
    -3 and 3, 0 at -3 and 1 at 3."""
    _refuse_inplace(input, inplace)
    low = input * 0.0  # 0 with a zero gradient; NaN at -inf, as PyTorch's x relu6(x + 3) / 6
    return (input * (input + 3) / 6).where(~(input >= 3), input).where(~(input <= -3), low)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x tanh(softplus(x)), softplus(x) = log(1 + e^x)."""
    _refuse_inplace(input, inplace)
    return input * input.softplus(1.0, math.inf).tanh()


# SELU's constants (Klambauer et al. 2017), as PyTorch spells them
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale (max(0, x) + min(0, alpha (e^x - 1))): ``elu`` with alpha = 1.6732632423543772
    times scale = 1.0507009873554805."""
    _refuse_inplace(input, inplace)
    return input.elu(_SELU_ALPHA) * _SELU_SCALE


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """max(0, x) + min(0, alpha (e^(x / alpha) - 1)); alpha = 1 is ``elu``."""
    _refuse_inplace(input, inplace)
    if alpha == 0:
        raise ValueError("celu: alpha cannot be 0 (it divides x)")
    # e^(x / alpha) only sees x <= 0, so it cannot overflow for alpha > 0
    return input.where(input > 0, alpha * (input.clamp(max=0.0) / alpha).expm1())


def softsign(input: Tensor) -> Tensor:
    """x / (1 + |x|)."""
    return input / (input.abs() + 1)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """softmax(-x) along ``dim``: e^-x / sum e^-x. ``dim=None`` picks PyTorch's legacy
    implicit dimension, as ``softmax``; ``_stacklevel`` is accepted for PyTorch's signature."""
    x = -input if dtype is None else (-input).to(dtype)
    return x.softmax(_implicit_dim(x, dim, "softmin"))


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """The gated linear unit a sigmoid(b), where a and b are the two halves of ``input`` along
    ``dim`` (whose size must be even)."""
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    if not -input.ndim <= dim < input.ndim:
        raise IndexError(
            f"glu: dim {dim} is out of range for input of shape {input.shape} "
            f"(expected to be in range [{-input.ndim}, {input.ndim - 1}])"
        )
    size = input.shape[dim]
    if size % 2:
        raise RuntimeError(
            f"glu: halving dimension must be even, but dimension {dim % input.ndim} is size "
            f"{size} (input of shape {input.shape})"
        )
    a, b = input.split(size // 2, dim)
    return a * b.sigmoid()


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """x where x > ``threshold``, else ``value``."""
    _refuse_inplace(input, inplace)
    return input.where(~(input <= threshold), value)


def tanhshrink(input: Tensor) -> Tensor:
    """x - tanh(x)."""
    return input - input.tanh()


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x - lambd for x > lambd, x + lambd for x < -lambd, 0 between (lambd >= 0)."""
    if lambd < 0:
        raise RuntimeError(f"softshrink: lambda must be greater or equal to 0, but found {lambd}")
    inner = (input + lambd).where(input < -lambd, input * 0.0)  # x * 0: NaN stays NaN
    return (input - lambd).where(input > lambd, inner)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x where |x| > lambd, 0 elsewhere."""
    return input.where(~((input >= -lambd) & (input <= lambd)), 0.0)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """x for x > 0, a x otherwise, with a learnt slope ``weight``: one value (shape () or
    (1,)) for all channels, or one per channel (dim 1; a 1-d input is one channel)."""
    if weight.ndim > 1:
        raise RuntimeError(
            f"prelu: expected weight to be a scalar or 1-d tensor, got shape {weight.shape}"
        )
    if weight.dtype != input.dtype:
        raise RuntimeError(
            f"prelu: type promoting is not supported; input is {input.dtype}, weight is "
            f"{weight.dtype}"
        )
    n = weight.numel()
    if n != 1:
        channels = input.shape[1] if input.ndim > 1 else 1
        if input.ndim == 0 or channels != n:
            raise RuntimeError(
                f"prelu: mismatch of parameter numbers and input channel size: weight of shape "
                f"{weight.shape} has {n} parameters, input of shape {input.shape} has "
                f"{channels if input.ndim else 'no'} channel(s) (dim 1)"
            )
    if input.ndim != weight.ndim:  # one slope per channel, broadcast over the other dims
        weight = weight.reshape([n if d == 1 else 1 for d in range(input.ndim)])
    return input.where(input > 0, weight * input)


def rrelu(
    input: Tensor,
    lower: float = 1.0 / 8,
    upper: float = 1.0 / 3,
    training: bool = False,
    inplace: bool = False,
) -> Tensor:
    """The randomized leaky ReLU (Xu et al., 2015): x for x > 0, a x otherwise.

    In training every element draws its own slope a ~ U(lower, upper), and the gradient is
    that drawn slope (1 where x > 0); out of training a = (lower + upper) / 2, a
    ``leaky_relu``. As PyTorch, only the elements x <= 0 draw, one float64 U(lower, upper)
    each in order, so a seed gives PyTorch's slopes."""
    _refuse_inplace(input, inplace)
    _check_rrelu_bounds(lower, upper)
    if not training:
        return input.leaky_relu((lower + upper) / 2)
    # drawn through the recorder, so tg.compile's replay draws new slopes
    slope = recorder.call(_rrelu_slopes, input.array, lower, upper)
    return input.where(input > 0, input * Tensor._make(slope))


def _check_rrelu_bounds(lower: float, upper: float) -> None:
    if lower > upper:
        raise RuntimeError(
            "Lower bound should be less than or equal to the upper bound "
            f"(rrelu: lower={lower}, upper={upper})"
        )


def _rrelu_slopes(x, lower: float, upper: float):
    """RReLU's slopes for ``x``: 1 where x > 0; elsewhere U(lower, upper) from the default
    generator, with the bounds rounded to float32 first (ATen's opmath) for float32 x."""
    host = backend.to_numpy(x)
    bound = np.float64 if host.dtype == np.float64 else np.float32
    slopes = np.ones(host.shape, host.dtype)
    drop = host <= 0
    drawn = tg_random.rng(None).uniform(bound(lower), bound(upper), int(drop.sum()))
    slopes[drop] = drawn
    return backend.to_device(slopes, backend.device_of(x))


def _in_place(input: Tensor, fn) -> Tensor:
    """``input`` overwritten with ``fn(input)``: the values the op reads are copied first when
    a graph is recorded (its node may keep them), then ``views.assign`` writes the result into
    the storage and gives ``input`` the result's history (``Tensor.clamp_``'s pattern)."""
    return views.assign(input, fn(views.operand(input, copy=True)))


def relu_(input: Tensor) -> Tensor:
    """``relu`` in place: x = max(x, 0); returns ``input``."""
    return _in_place(input, relu)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """``elu`` in place: x = x for x > 0, alpha (e^x - 1) otherwise; returns ``input``."""
    return _in_place(input, lambda x: elu(x, alpha))


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """``leaky_relu`` in place: x = x for x > 0, ``negative_slope`` x otherwise; returns
    ``input``."""
    return _in_place(input, lambda x: leaky_relu(x, negative_slope))


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """``hardtanh`` in place: x clamped to [min_val, max_val] (gradient 0 on the bounds);
    returns ``input``."""
    if min_val > max_val:  # checked before anything is written
        raise ValueError(
            f"hardtanh_: min_val ({min_val}) cannot be greater than max_val ({max_val})"
        )
    return _in_place(input, lambda x: hardtanh(x, min_val, max_val))


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    """``threshold`` in place: x = x where x > ``threshold``, else ``value``; returns ``input``."""
    return _in_place(input, lambda x: x.where(~(x <= threshold), value))


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """``celu`` in place: x = max(0, x) + min(0, alpha (e^(x / alpha) - 1)); returns
    ``input``."""
    if alpha == 0:
        raise ValueError("celu_: alpha cannot be 0 (it divides x)")
    return _in_place(input, lambda x: celu(x, alpha))


def selu_(input: Tensor) -> Tensor:
    """``selu`` in place: x = scale (max(0, x) + min(0, alpha (e^x - 1))); returns ``input``."""
    return _in_place(input, selu)


def rrelu_(
    input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False
) -> Tensor:
    """``rrelu`` in place: x = x for x > 0, a x otherwise, a ~ U(lower, upper) per element in
    training and (lower + upper) / 2 otherwise; returns ``input``."""
    _check_rrelu_bounds(lower, upper)
    return _in_place(input, lambda x: rrelu(x, lower, upper, training))


def _implicit_dim(x: Tensor, dim, name: str = "softmax"):
    if dim is not None:
        return dim
    warnings.warn(  # PyTorch's warning, worded as there so that filters written for it match
        f"Implicit dimension choice for {name} has been deprecated. Change the call to include "
        "dim=X as an argument.",
        UserWarning,
        stacklevel=3,
    )
    return 0 if x.ndim in (0, 1, 3) else 1  # PyTorch's legacy choice when dim is omitted


class ReLU(Module):
    """``relu`` as a module."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return relu(input, self.inplace)

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
        return silu(input, self.inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    """``leaky_relu`` as a module."""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, input):
        return leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class RReLU(Module):
    """``rrelu`` as a module: x for x > 0, a x otherwise, with a ~ U(lower, upper) drawn per
    element in training mode and a = (lower + upper) / 2 in eval mode."""

    def __init__(
        self, lower: float = 1.0 / 8, upper: float = 1.0 / 3, inplace: bool = False
    ) -> None:
        super().__init__()
        self.lower, self.upper, self.inplace = lower, upper, inplace

    def forward(self, input):
        return rrelu(input, self.lower, self.upper, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"lower={self.lower}, upper={self.upper}" + _inplace_repr(self.inplace, ", ")


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
        return elu(input, self.alpha, self.inplace)

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


class Softmax2d(Module):
    """``softmax`` over the channels (dim -3) of (N, C, H, W) or (C, H, W) input."""

    def forward(self, input):
        if input.ndim not in (3, 4):
            raise ValueError(
                f"Softmax2d: expected input to be 3D or 4D, got {input.ndim}D instead (shape "
                f"{input.shape})"
            )
        return softmax(input, -3)


class LogSoftmax(Module):
    """``log_softmax`` along ``dim`` as a module."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return log_softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


def _inplace_repr(inplace: bool, sep: str = "") -> str:
    return f"{sep}inplace=True" if inplace else ""


class LogSigmoid(Module):
    """``logsigmoid`` as a module: log(1 / (1 + e^-x))."""

    def forward(self, input):
        return logsigmoid(input)


class Hardtanh(Module):
    """``hardtanh`` as a module: x clamped to [min_val, max_val]. ``min_value`` and
    ``max_value`` are PyTorch's deprecated spellings of the bounds."""

    def __init__(
        self,
        min_val: float = -1.0,
        max_val: float = 1.0,
        inplace: bool = False,
        min_value: float | None = None,
        max_value: float | None = None,
    ) -> None:
        super().__init__()
        if min_value is not None:
            warnings.warn(
                "keyword argument `min_value` is deprecated and rename to `min_val`",
                FutureWarning,
                stacklevel=2,
            )
            min_val = min_value
        if max_value is not None:
            warnings.warn(
                "keyword argument `max_value` is deprecated and rename to `max_val`",
                FutureWarning,
                stacklevel=2,
            )
            max_val = max_value
        if not max_val > min_val:
            raise ValueError(
                f"{type(self).__name__}: max_val ({max_val}) must be greater than min_val "
                f"({min_val})"
            )
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace

    def forward(self, input):
        return hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}" + _inplace_repr(self.inplace, ", ")


class ReLU6(Hardtanh):
    """``relu6`` as a module: min(max(x, 0), 6), a ``Hardtanh`` from 0 to 6."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace)


class Hardsigmoid(Module):
    """``hardsigmoid`` as a module: relu6(x + 3) / 6."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return hardsigmoid(input, self.inplace)


class Hardswish(Module):
    """``hardswish`` as a module: x relu6(x + 3) / 6."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return hardswish(input, self.inplace)


class Mish(Module):
    """``mish`` as a module: x tanh(softplus(x))."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return mish(input, self.inplace)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace)


class SELU(Module):
    """``selu`` as a module: scale * elu(x, alpha) with the self-normalising constants."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return selu(input, self.inplace)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace)


class CELU(Module):
    """``celu`` as a module: max(0, x) + min(0, alpha (e^(x / alpha) - 1))."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input):
        return celu(input, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + _inplace_repr(self.inplace, ", ")


class Softsign(Module):
    """``softsign`` as a module: x / (1 + |x|)."""

    def forward(self, input):
        return softsign(input)


class Softmin(Module):
    """``softmin`` along ``dim`` as a module: softmax(-x)."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return softmin(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class GLU(Module):
    """``glu`` as a module: a sigmoid(b) for the halves a, b of the input along ``dim``."""

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return glu(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Threshold(Module):
    """``threshold`` as a module: x where x > threshold, else value."""

    def __init__(self, threshold: float, value: float, inplace: bool = False) -> None:
        super().__init__()
        self.threshold, self.value, self.inplace = threshold, value, inplace

    def forward(self, input):
        return threshold(input, self.threshold, self.value, self.inplace)

    def extra_repr(self) -> str:
        return f"threshold={self.threshold}, value={self.value}" + _inplace_repr(self.inplace, ", ")


class Tanhshrink(Module):
    """``tanhshrink`` as a module: x - tanh(x)."""

    def forward(self, input):
        return tanhshrink(input)


class Softshrink(Module):
    """``softshrink`` as a module: x moved ``lambd`` towards 0, and 0 within ``lambd`` of it."""

    def __init__(self, lambd: float = 0.5) -> None:
        super().__init__()
        self.lambd = lambd

    def forward(self, input):
        return softshrink(input, self.lambd)

    def extra_repr(self) -> str:
        return str(self.lambd)


class Hardshrink(Module):
    """``hardshrink`` as a module: x, or 0 within ``lambd`` of 0."""

    def __init__(self, lambd: float = 0.5) -> None:
        super().__init__()
        self.lambd = lambd

    def forward(self, input):
        return hardshrink(input, self.lambd)

    def extra_repr(self) -> str:
        return f"{self.lambd}"


class PReLU(Module):
    """``prelu`` as a module: x for x > 0, a x otherwise, with a learnt slope ``weight`` of
    shape (num_parameters,) starting at ``init``: one slope for all channels, or one per
    channel (``num_parameters`` = the input's size in dim 1)."""

    def __init__(
        self, num_parameters: int = 1, init: float = 0.25, device=None, dtype=None
    ) -> None:
        super().__init__()
        self.num_parameters, self.init = num_parameters, init
        self.weight = Parameter(creation.empty(num_parameters, dtype=dtype, device=device))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        constant_(self.weight, self.init)

    def forward(self, input):
        return prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"
