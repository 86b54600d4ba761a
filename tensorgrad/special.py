"""``torch.special``'s namesake: ``tg.special.erfinv``, ``gammaln``, ``ndtri``, ``xlogy``, ...

Each function is a thin composition of tensorgrad's ops, under PyTorch's name and signature;
the arithmetic lives in ``tensorgrad/_special.py`` (arrays) and ``tensorgrad/ops/elementwise.py``
and ``tensorgrad/ops/special.py`` (the ops and their gradients). Integer inputs compute in the
default float dtype, as PyTorch.

Gradients are where PyTorch has them: entr, xlog1py, i0e, i1e, erfcx, zeta (in q) and
gammainc / gammaincc (in x); asking for zeta's gradient in x, or the incomplete gamma's in a,
raises PyTorch's "the derivative for ... is not implemented". The Bessel and Airy functions and
the orthogonal polynomials have none: their results do not require grad, as PyTorch's.
"""

from __future__ import annotations

import math

from . import backend
from ._args import float_binary, floating, to_tensor
from .backend import is_float
from .jit import recorder
from .ops import elementwise
from .ops import special as _ops
from .tensor import Tensor

__all__ = [
    "airy_ai",
    "bessel_j0",
    "bessel_j1",
    "bessel_y0",
    "bessel_y1",
    "chebyshev_polynomial_t",
    "chebyshev_polynomial_u",
    "chebyshev_polynomial_v",
    "chebyshev_polynomial_w",
    "digamma",
    "entr",
    "erf",
    "erfc",
    "erfcx",
    "erfinv",
    "exp2",
    "expit",
    "expm1",
    "gammainc",
    "gammaincc",
    "gammaln",
    "hermite_polynomial_h",
    "hermite_polynomial_he",
    "i0",
    "i0e",
    "i1",
    "i1e",
    "laguerre_polynomial_l",
    "legendre_polynomial_p",
    "log1p",
    "log_ndtr",
    "log_softmax",
    "logit",
    "logsumexp",
    "modified_bessel_i0",
    "modified_bessel_i1",
    "modified_bessel_k0",
    "modified_bessel_k1",
    "multigammaln",
    "ndtr",
    "ndtri",
    "polygamma",
    "psi",
    "round",
    "scaled_modified_bessel_k0",
    "scaled_modified_bessel_k1",
    "shifted_chebyshev_polynomial_t",
    "shifted_chebyshev_polynomial_u",
    "shifted_chebyshev_polynomial_v",
    "shifted_chebyshev_polynomial_w",
    "sinc",
    "softmax",
    "spherical_bessel_j0",
    "xlog1py",
    "xlogy",
    "zeta",
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


# ---------------------------------------------------------------------- with gradients


def entr(input: Tensor) -> Tensor:
    """The elementwise entropy term -x log(x): 0 at x = 0, -inf for x < 0. The gradient is
    -(1 + log x)."""
    return _ops.Entr.apply(floating(input))


def xlog1py(input, other) -> Tensor:
    """input log(1 + other), 0 where input == 0 (even where log1p(other) is -inf or nan), nan
    where other is nan; broadcast, either may be a number. The gradients are log1p(other) (0
    where input == 0 and other <= -1) and input / (1 + other)."""
    _check_pair("xlog1py", input, other)
    if not isinstance(input, Tensor):
        input = to_tensor(input, other)
    return float_binary(_ops.Xlog1py, input, other)


def i0e(input: Tensor) -> Tensor:
    """The exponentially scaled modified Bessel function e^-|x| I_0(x), finite for every x.
    The gradient is i1e(x) - sgn(x) i0e(x)."""
    return _ops.I0e.apply(floating(input))


def i1e(input: Tensor) -> Tensor:
    """The exponentially scaled modified Bessel function e^-|x| I_1(x). The gradient is
    i0e(x) - i1e(x) (sgn(x) + 1/x), 1/2 at 0."""
    return _ops.I1e.apply(floating(input))


def erfcx(input: Tensor) -> Tensor:
    """The scaled complementary error function e^(x^2) erfc(x), accurate where erfc
    underflows (erfcx(x) ~ 1/(x sqrt(pi)) for large x); inf below x ~ -26.6. The gradient is
    2 x erfcx(x) - 2/sqrt(pi)."""
    return _ops.Erfcx.apply(floating(input))


def _float_pair(name: str, input, other) -> tuple:
    """``input`` and ``other`` (tensors or numbers, at least one a tensor, broadcastable) as
    tensors of their promoted dtype, the default float dtype when that is not floating
    (PyTorch's promotion for binary special functions)."""
    _check_pair(name, input, other)
    dt = backend.result_type(input, other)
    if not is_float(dt):
        dt = backend.DEFAULT_FLOAT
    like = input if isinstance(input, Tensor) else other
    input = to_tensor(input, like) if not isinstance(input, Tensor) else input
    other = to_tensor(other, like) if not isinstance(other, Tensor) else other
    return input.to(dt), other.to(dt)


def _check_pair(name: str, input, other) -> None:
    from ._args import broadcast_shape

    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise TypeError(
            f"special.{name}: expected a tensor for input or other, got "
            f"{type(input).__name__} and {type(other).__name__}"
        )
    if isinstance(input, Tensor) and isinstance(other, Tensor):
        broadcast_shape(f"special.{name}", input.shape, other.shape)


def zeta(input, other) -> Tensor:
    """The Hurwitz zeta function zeta(x, q) = sum_{k >= 0} (q + k)^-x for x = ``input`` and
    q = ``other`` (tensors or numbers, broadcast): inf at x = 1 and at q = 0, -1, -2, ...; nan
    for x < 1 and for q < 0 with a fractional x. The gradient in q is -x zeta(x + 1, q); in x
    PyTorch has none (asking for it raises)."""
    x, q = _float_pair("zeta", input, other)
    return _ops.without_derivative(_ops.Zeta, x, q, "zeta")


def gammainc(input: Tensor, other: Tensor) -> Tensor:
    """The regularized lower incomplete gamma function
    P(a, x) = 1/Gamma(a) int_0^x t^(a-1) e^-t dt for a = ``input`` >= 0 and x = ``other`` >= 0
    (broadcast; nan for negative ones). The gradient in x is x^(a-1) e^-x / Gamma(a); in a
    PyTorch has none (asking for it raises). Accurate to ~1e-14 relative, also in the tails
    (PyTorch's float64 loses up to ~1e-9 there)."""
    a, x = _float_pair("gammainc", input, other)
    return _ops.without_derivative(_ops.Igamma, a, x, "igamma: input")


def gammaincc(input: Tensor, other: Tensor) -> Tensor:
    """The regularized upper incomplete gamma function Q(a, x) = 1 - P(a, x), computed directly
    where it is small. The gradient in x is -x^(a-1) e^-x / Gamma(a); none in a."""
    a, x = _float_pair("gammaincc", input, other)
    return _ops.without_derivative(_ops.Igamma, a, x, "igammac: input", upper=True)


# ---------------------------------------------------------------------- without gradients


def _no_grad_unary(name: str, input: Tensor) -> Tensor:
    backend.silence_float_warnings()  # as Op.apply does: inf and nan are results here
    x = floating(input)
    return Tensor._make(recorder.call(_ops.unary, name, x.array))


def bessel_j0(input: Tensor) -> Tensor:
    """The Bessel function of the first kind of order 0, J_0(x) = 1/pi int_0^pi cos(x sin t) dt.
    No gradient. 0 at +-inf (PyTorch gives nan)."""
    return _no_grad_unary("bessel_j0", input)


def bessel_j1(input: Tensor) -> Tensor:
    """The Bessel function of the first kind of order 1, J_1 = -J_0' (odd). No gradient. 0 at
    +-inf (PyTorch gives nan)."""
    return _no_grad_unary("bessel_j1", input)


def bessel_y0(input: Tensor) -> Tensor:
    """The Bessel function of the second kind of order 0, Y_0(x) for x > 0 (-inf at 0, nan
    below). No gradient. 0 at inf (PyTorch gives nan)."""
    return _no_grad_unary("bessel_y0", input)


def bessel_y1(input: Tensor) -> Tensor:
    """The Bessel function of the second kind of order 1, Y_1 = -Y_0' for x > 0 (-inf at 0, nan
    below). No gradient. 0 at inf (PyTorch gives nan)."""
    return _no_grad_unary("bessel_y1", input)


def modified_bessel_i0(input: Tensor) -> Tensor:
    """The modified Bessel function of the first kind of order 0, I_0(x) = sum_k (x^2/4)^k /
    k!^2 (``i0`` without its gradient). inf at +-inf (PyTorch gives nan)."""
    return _no_grad_unary("i0", input)


def modified_bessel_i1(input: Tensor) -> Tensor:
    """The modified Bessel function of the first kind of order 1, I_1 = I_0' (odd). No
    gradient. +-inf at +-inf (PyTorch gives nan)."""
    return _no_grad_unary("i1", input)


def modified_bessel_k0(input: Tensor) -> Tensor:
    """The modified Bessel function of the second kind of order 0,
    K_0(x) = int_0^inf e^(-x cosh t) dt for x > 0 (inf at 0, nan below). No gradient."""
    return _no_grad_unary("modified_bessel_k0", input)


def modified_bessel_k1(input: Tensor) -> Tensor:
    """The modified Bessel function of the second kind of order 1,
    K_1(x) = int_0^inf e^(-x cosh t) cosh t dt for x > 0 (inf at 0, nan below). No gradient."""
    return _no_grad_unary("modified_bessel_k1", input)


def scaled_modified_bessel_k0(input: Tensor) -> Tensor:
    """e^x K_0(x), finite where K_0 underflows. No gradient."""
    return _no_grad_unary("scaled_modified_bessel_k0", input)


def scaled_modified_bessel_k1(input: Tensor) -> Tensor:
    """e^x K_1(x), finite where K_1 underflows. No gradient."""
    return _no_grad_unary("scaled_modified_bessel_k1", input)


def spherical_bessel_j0(input: Tensor) -> Tensor:
    """The spherical Bessel function of the first kind of order 0, j_0(x) = sin(x)/x (1 at 0).
    No gradient."""
    return _no_grad_unary("spherical_bessel_j0", input)


def airy_ai(input: Tensor) -> Tensor:
    """The Airy function Ai(x) = 1/pi int_0^inf cos(t^3/3 + x t) dt, the solution of
    y'' = x y that decays as x -> inf. No gradient. 0 at +-inf (PyTorch gives nan)."""
    return _no_grad_unary("airy_ai", input)


def _polynomial(name: str, input, n) -> Tensor:
    """``name``(x, n) for x = ``input`` and degrees ``n`` (tensors or numbers, broadcast; n is
    truncated to an integer, n < 0 and non-finite n give 0), of the promoted float dtype."""
    backend.silence_float_warnings()
    _check_pair(name, input, n)
    dt = backend.result_type(input, n)
    if not is_float(dt):
        dt = backend.DEFAULT_FLOAT
    x = input if isinstance(input, Tensor) else to_tensor(input, n)
    n = n if isinstance(n, Tensor) else to_tensor(n, x)
    return Tensor._make(recorder.call(_ops.polynomial, name, x.to(dt).array, n.array))


def chebyshev_polynomial_t(input, n) -> Tensor:
    """The Chebyshev polynomial of the first kind T_n(x): T_0 = 1, T_1 = x,
    T_(k+1) = 2x T_k - T_(k-1); cos(n arccos x) for |x| < 1 and n > 6, as PyTorch. No
    gradient."""
    return _polynomial("chebyshev_polynomial_t", input, n)


def chebyshev_polynomial_u(input, n) -> Tensor:
    """The Chebyshev polynomial of the second kind U_n(x): U_0 = 1, U_1 = 2x,
    U_(k+1) = 2x U_k - U_(k-1); sin((n+1) t)/sin(t), t = arccos x, for |x| < 1 and n > 8. No
    gradient."""
    return _polynomial("chebyshev_polynomial_u", input, n)


def chebyshev_polynomial_v(input, n) -> Tensor:
    """The Chebyshev polynomial of the third kind V_n(x): V_0 = 1, V_1 = 2x - 1,
    V_(k+1) = 2x V_k - V_(k-1); cos((n + 1/2) t)/cos(t/2), t = arccos x, for |x| < 1 and n > 8.
    No gradient."""
    return _polynomial("chebyshev_polynomial_v", input, n)


def chebyshev_polynomial_w(input, n) -> Tensor:
    """The Chebyshev polynomial of the fourth kind W_n(x): W_0 = 1, W_1 = 2x + 1,
    W_(k+1) = 2x W_k - W_(k-1); sin((n + 1/2) t)/sin(t/2), t = arccos x, for |x| < 1 and n > 8.
    No gradient."""
    return _polynomial("chebyshev_polynomial_w", input, n)


def shifted_chebyshev_polynomial_t(input, n) -> Tensor:
    """The shifted Chebyshev polynomial of the first kind T*_n(x) = T_n(2x - 1), on [0, 1].
    No gradient."""
    return _polynomial("shifted_chebyshev_polynomial_t", input, n)


def shifted_chebyshev_polynomial_u(input, n) -> Tensor:
    """The shifted Chebyshev polynomial of the second kind U*_n(x) = U_n(2x - 1). No
    gradient."""
    return _polynomial("shifted_chebyshev_polynomial_u", input, n)


def shifted_chebyshev_polynomial_v(input, n) -> Tensor:
    """The shifted Chebyshev polynomial of the third kind V*_n(x) = V_n(2x - 1). No gradient."""
    return _polynomial("shifted_chebyshev_polynomial_v", input, n)


def shifted_chebyshev_polynomial_w(input, n) -> Tensor:
    """The shifted Chebyshev polynomial of the fourth kind W*_n(x) = W_n(2x - 1). No
    gradient."""
    return _polynomial("shifted_chebyshev_polynomial_w", input, n)


def hermite_polynomial_h(input, n) -> Tensor:
    """The physicists' Hermite polynomial H_n(x): H_0 = 1, H_1 = 2x,
    H_(k+1) = 2x H_k - 2k H_(k-1); nan for n > 512 (float64) or n > 128 (float32), as
    PyTorch. No gradient."""
    return _polynomial("hermite_polynomial_h", input, n)


def hermite_polynomial_he(input, n) -> Tensor:
    """The probabilists' Hermite polynomial He_n(x): He_0 = 1, He_1 = x,
    He_(k+1) = x He_k - k He_(k-1); nan for n > 512 (float64) or n > 128 (float32). No
    gradient."""
    return _polynomial("hermite_polynomial_he", input, n)


def laguerre_polynomial_l(input, n) -> Tensor:
    """The Laguerre polynomial L_n(x): L_0 = 1, L_1 = 1 - x,
    (k+1) L_(k+1) = (2k + 1 - x) L_k - k L_(k-1). No gradient."""
    return _polynomial("laguerre_polynomial_l", input, n)


def legendre_polynomial_p(input, n) -> Tensor:
    """The Legendre polynomial P_n(x): P_0 = 1, P_1 = x,
    (k+1) P_(k+1) = (2k + 1) x P_k - k P_(k-1). No gradient."""
    return _polynomial("legendre_polynomial_p", input, n)
