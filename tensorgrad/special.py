"""``torch.special``'s namesake: ``tg.special.erfinv``, ``gammaln``, ``ndtri``, ``xlogy``, ...

Each function is a thin composition of tensorgrad's ops, under PyTorch's name and signature;
the arithmetic lives in ``tensorgrad/_special.py`` (arrays) and ``tensorgrad/ops/elementwise.py``
(the ops and their gradients). Integer inputs compute in the default float dtype, as PyTorch.
"""

from __future__ import annotations

import math

from ._args import floating, to_tensor
from .ops import elementwise
from .tensor import Tensor

__all__ = [
    "digamma",
    "erf",
    "erfc",
    "erfinv",
    "exp2",
    "expit",
    "expm1",
    "gammaln",
    "i0",
    "i1",
    "log1p",
    "log_ndtr",
    "log_softmax",
    "logit",
    "logsumexp",
    "multigammaln",
    "ndtr",
    "ndtri",
    "polygamma",
    "psi",
    "round",
    "sinc",
    "softmax",
    "xlogy",
]


def erf(input: Tensor) -> Tensor:
    """The error function 2/sqrt(pi) integral_0^x e^(-t^2) dt."""
    return input.erf()


def erfc(input: Tensor) -> Tensor:
    """The complementary error function 1 - erf(x), accurate where erf(x) ~ 1."""
    return input.erfc()


def erfinv(input: Tensor) -> Tensor:
    """The inverse error function on [-1, 1]; +-inf at +-1, nan outside."""
    return input.erfinv()


def expit(input: Tensor) -> Tensor:
    """The logistic sigmoid 1 / (1 + e^-x)."""
    return input.sigmoid()


def logit(input: Tensor, eps: float | None = None) -> Tensor:
    """log(x / (1 - x)), x first clamped to [eps, 1 - eps] when ``eps`` is given."""
    return input.logit(eps)


def xlogy(input, other) -> Tensor:
    """input log(other), 0 where input == 0, nan where other is nan; either may be a number."""
    if not isinstance(input, Tensor):
        input = to_tensor(input, other)
    return input.xlogy(other)


def gammaln(input: Tensor) -> Tensor:
    """log|Gamma(x)| (``torch.lgamma``)."""
    return input.lgamma()


def digamma(input: Tensor) -> Tensor:
    """psi(x) = d/dx lgamma(x)."""
    return input.digamma()


psi = digamma


def polygamma(n: int, input: Tensor) -> Tensor:
    """psi^(n)(x), the n-th derivative of digamma (n an int >= 0)."""
    return input.polygamma(n)


def multigammaln(input: Tensor, p: int) -> Tensor:
    """log Gamma_p(x) = p (p - 1)/4 log(pi) + sum_{i < p} lgamma(x - i/2)
    (``torch.mvlgamma``)."""
    return input.mvlgamma(p)


def log1p(input: Tensor) -> Tensor:
    """log(1 + x), accurate for small x."""
    return input.log1p()


def expm1(input: Tensor) -> Tensor:
    """e^x - 1, accurate for small x."""
    return input.expm1()


def exp2(input: Tensor) -> Tensor:
    """2^x."""
    return 2.0 ** floating(input)


def ndtr(input: Tensor) -> Tensor:
    """The standard normal CDF Phi(x) = erfc(-x/sqrt(2)) / 2 (erfc keeps the lower tail)."""
    return (floating(input) * -math.sqrt(0.5)).erfc() * 0.5


def log_ndtr(input: Tensor) -> Tensor:
    """log Phi(x), computed in logs for x < -1 so it does not underflow (log_ndtr(-1e5) =
    -5e9); the gradient phi(x)/Phi(x) likewise."""
    return elementwise.LogNdtr.apply(floating(input))


def ndtri(input: Tensor) -> Tensor:
    """The standard normal quantile Phi^-1(p) = sqrt(2) erfinv(2p - 1), accurate in both tails
    (ndtri(1e-300) ~ -37.05); -inf at 0, inf at 1, nan outside [0, 1]."""
    return elementwise.Ndtri.apply(floating(input))


def sinc(input: Tensor) -> Tensor:
    """The normalized sinc sin(pi x)/(pi x), 1 at 0."""
    return input.sinc()


def round(input: Tensor, *, decimals: int = 0) -> Tensor:
    """Rounded half to even (to ``decimals`` places)."""
    return input.round(decimals)


def softmax(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """e^x / sum e^x along ``dim``, after casting to ``dtype`` when given."""
    return (input if dtype is None else input.to(dtype)).softmax(dim)


def log_softmax(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """x - logsumexp(x) along ``dim``, after casting to ``dtype`` when given."""
    return (input if dtype is None else input.to(dtype)).log_softmax(dim)


def logsumexp(input: Tensor, dim, keepdim: bool = False) -> Tensor:
    """log sum e^x over ``dim``, without overflow."""
    return input.logsumexp(dim, keepdim)


def i0(input: Tensor) -> Tensor:
    """The modified Bessel function of the first kind of order 0."""
    return input.i0()


def i1(input: Tensor) -> Tensor:
    """The modified Bessel function of the first kind of order 1, I_0'(x)."""
    return elementwise.I1.apply(floating(input))
