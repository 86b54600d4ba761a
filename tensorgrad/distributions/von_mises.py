"""``VonMises(loc, concentration)``: the circular normal distribution on [-pi, pi)."""

from __future__ import annotations

import math

from ..creation import rand, zeros
from ..grad_mode import no_grad
from ..special import i1
from ..tensor import Tensor, where
from . import constraints
from .distribution import Distribution
from .utils import broadcast_all, lazy_property

_SWITCH = 30.0  # below: the power series of i0/i1; above: their asymptotic series


def _asymptotic(nu: int, terms: int = 25) -> list[float]:
    """c_k of I_nu(x) ~ e^x / sqrt(2 pi x) sum_k c_k x^-k (Abramowitz & Stegun 9.7.1):
    c_k = (-1)^k prod_{j <= k} (4 nu^2 - (2j - 1)^2) / (k! 8^k)."""
    coeffs, c = [1.0], 1.0
    for k in range(1, terms):
        c *= -(4 * nu * nu - (2 * k - 1) ** 2) / (8 * k)
        coeffs.append(c)
    return coeffs


_I0_LARGE = _asymptotic(0)
_I1_LARGE = _asymptotic(1)


def _series(t: Tensor, coeffs: list[float]) -> Tensor:
    """sum_k c_k t^k by Horner's rule."""
    out = coeffs[-1] + 0 * t
    for c in reversed(coeffs[:-1]):
        out = out * t + c
    return out


def _log_i0(x: Tensor) -> Tensor:
    """log I_0(x) for x >= 0, in tensor ops (differentiable, d/dx = I_1 / I_0): log i0(x)
    below 30, x - log(2 pi x)/2 + log(asymptotic series) above, where i0 would overflow."""
    small = x.clamp(max=_SWITCH).i0().log()
    big = x.clamp(min=_SWITCH)
    large = big - 0.5 * (2 * math.pi * big).log() + _series(big.reciprocal(), _I0_LARGE).log()
    return where(x < _SWITCH, small, large)


def _i1_over_i0(x: Tensor) -> Tensor:
    """I_1(x) / I_0(x) for x >= 0 (the mean resultant length of VonMises(., x))."""
    small = x.clamp(max=_SWITCH)
    big = x.clamp(min=_SWITCH)
    t = big.reciprocal()
    large = _series(t, _I1_LARGE) / _series(t, _I0_LARGE)
    return where(x < _SWITCH, i1(small) / small.i0(), large)


def _rejection_sample(loc: Tensor, concentration: Tensor, proposal_r: Tensor, x: Tensor) -> Tensor:
    """Best and Fisher's (1979) wrapped-Cauchy rejection sampler, PyTorch's loop: each round
    draws uniforms (u1, u2, u3) for every element, proposes f = (1 + r z) / (r + z) with
    z = cos(pi u1), accepts where c (2 - c) > u2 or log(c / u2) + 1 >= c, c = kappa (r - f),
    and keeps the first accepted sign(u3 - 1/2) acos(f); until every element has one. Then
    the angle loc + that, wrapped into [-pi, pi)."""
    done = zeros(x.shape, dtype=bool, device=loc.device)
    while not bool(done.all()):
        u1, u2, u3 = rand((3,) + x.shape, dtype=loc.dtype, device=loc.device).unbind()
        z = (math.pi * u1).cos()
        f = (1 + proposal_r * z) / (proposal_r + z)
        c = concentration * (proposal_r - f)
        accept = ((c * (2 - c) - u2) > 0) | ((c / u2).log() + 1 - c >= 0)
        if bool(accept.any()):
            x = where(accept, (u3 - 0.5).sign() * f.acos(), x)
            done = done | accept
    return (x + math.pi + loc) % (2 * math.pi) - math.pi


class VonMises(Distribution):
    """The von Mises distribution with mean direction ``loc`` and ``concentration`` kappa > 0:
    density e^(kappa cos(x - loc)) / (2 pi I_0(kappa)) on the circle. ``sample`` is PyTorch's
    rejection loop in float64 on its uniform draws (then cast), returning angles in
    [-pi, pi); there is no ``rsample``, as in PyTorch. log I_0 is computed to full precision
    (PyTorch 2.13 uses the Abramowitz & Stegun polynomial fits, good to ~1e-7 relative)."""

    arg_constraints = {"loc": constraints.real, "concentration": constraints.positive}
    support = constraints.real
    has_rsample = False

    def __init__(self, loc, concentration, validate_args: bool | None = None) -> None:
        self.loc, self.concentration = broadcast_all(loc, concentration)
        super().__init__(self.loc.shape, (), validate_args)

    def log_prob(self, value) -> Tensor:
        """kappa cos(value - loc) - log(2 pi) - log I_0(kappa)."""
        if self._validate_args:
            self._validate_sample(value)
        log_prob = self.concentration * (value - self.loc).cos()
        return log_prob - math.log(2 * math.pi) - _log_i0(self.concentration)

    @lazy_property
    def _loc(self) -> Tensor:
        return self.loc.double()

    @lazy_property
    def _concentration(self) -> Tensor:
        return self.concentration.double()

    @lazy_property
    def _proposal_r(self) -> Tensor:
        """r = (1 + rho^2) / (2 rho), rho = (tau - sqrt(2 tau)) / (2 kappa), tau = 1 +
        sqrt(1 + 4 kappa^2): the wrapped Cauchy proposal's; 1 / kappa + kappa (its Taylor
        expansion) below kappa = 1e-5, where rho's difference cancels."""
        kappa = self._concentration
        tau = 1 + (1 + 4 * kappa**2).sqrt()
        rho = (tau - (2 * tau).sqrt()) / (2 * kappa)
        proposal_r = (1 + rho**2) / (2 * rho)
        return where(kappa < 1e-5, 1 / kappa + kappa, proposal_r)

    def sample(self, sample_shape=()) -> Tensor:
        """Angles in [-pi, pi) of shape ``sample_shape + batch_shape``, no gradient: drawn in
        float64 (in float32 the loop can hang for kappa below ~1e-4), then cast."""
        shape = self._extended_shape(sample_shape)
        with no_grad():
            x = zeros(shape, dtype=self._loc.dtype, device=self.loc.device)
            x = _rejection_sample(self._loc, self._concentration, self._proposal_r, x)
            return x.to(self.loc.dtype)

    def expand(self, batch_shape, _instance=None) -> VonMises:
        """The same distribution with its parameters expanded to ``batch_shape``."""
        new = self._get_checked_instance(VonMises, _instance)
        batch_shape = tuple(batch_shape)
        new.loc = self.loc.expand(batch_shape)
        new.concentration = self.concentration.expand(batch_shape)
        Distribution.__init__(new, batch_shape, (), validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self) -> Tensor:
        """``loc`` (the circular mean)."""
        return self.loc

    @property
    def mode(self) -> Tensor:
        """``loc``."""
        return self.loc

    @lazy_property
    def variance(self) -> Tensor:
        """The circular variance 1 - I_1(kappa) / I_0(kappa)."""
        return 1 - _i1_over_i0(self.concentration)
