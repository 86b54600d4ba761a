"""``VonMises(loc, concentration)``: the circular normal distribution on [-pi, pi)."""

from __future__ import annotations

import math

from ..grad_mode import no_grad
from ..special import i1
from ..tensor import Tensor, where
from . import constraints
from .distribution import Distribution
from .utils import _von_mises, broadcast_all, draw, lazy_property

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


class VonMises(Distribution):
    """The von Mises distribution with mean direction ``loc`` and ``concentration`` kappa > 0:
    density e^(kappa cos(x - loc)) / (2 pi I_0(kappa)) on the circle. ``sample`` draws with
    NumPy's sampler (in float64, then cast), returning angles in [-pi, pi]; there is no
    ``rsample``, as in PyTorch. log I_0 is computed to full precision (PyTorch 2.13 uses the
    Abramowitz & Stegun polynomial fits, good to ~1e-7 relative)."""

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

    def sample(self, sample_shape=()) -> Tensor:
        """Angles in [-pi, pi] of shape ``sample_shape + batch_shape``, no gradient."""
        shape = self._extended_shape(sample_shape)
        with no_grad():
            return draw(_von_mises, self.loc.expand(shape), self.concentration.expand(shape))

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
