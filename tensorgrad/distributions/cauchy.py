"""``Cauchy(loc, scale)``: the Lorentz distribution, density 1 / (pi scale (1 + z^2))."""

from __future__ import annotations

import math
from numbers import Number

from ..creation import full
from ..tensor import Tensor
from . import constraints
from .distribution import Distribution
from .utils import _std_cauchy, broadcast_all, draw


class Cauchy(Distribution):
    """The Cauchy distribution with median ``loc`` and half width ``scale`` > 0: density
    1 / (pi scale (1 + ((x - loc) / scale)^2)); it has no mean (NaN) and infinite variance."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args: bool | None = None) -> None:
        self.loc, self.scale = broadcast_all(loc, scale)
        scalar = isinstance(loc, Number) and isinstance(scale, Number)
        super().__init__(() if scalar else self.loc.shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None) -> Cauchy:
        """The same distribution with ``loc`` and ``scale`` expanded to ``batch_shape``."""
        new = self._get_checked_instance(Cauchy, _instance)
        batch_shape = tuple(batch_shape)
        new.loc = self.loc.expand(batch_shape)
        new.scale = self.scale.expand(batch_shape)
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self) -> Tensor:
        """NaN: the mean does not exist."""
        return full(self._extended_shape(), math.nan, dtype=self.loc.dtype, device=self.loc.device)

    @property
    def mode(self) -> Tensor:
        """``loc``."""
        return self.loc

    @property
    def variance(self) -> Tensor:
        """inf."""
        return full(self._extended_shape(), math.inf, dtype=self.loc.dtype, device=self.loc.device)

    def rsample(self, sample_shape=()) -> Tensor:
        """loc + scale c with c standard Cauchy: differentiable in ``loc`` and ``scale``."""
        shape = self._extended_shape(sample_shape)
        return self.loc + draw(_std_cauchy, self.loc.expand(shape)) * self.scale

    def log_prob(self, value) -> Tensor:
        """-log pi - log scale - log(1 + ((value - loc) / scale)^2)."""
        if self._validate_args:
            self._validate_sample(value)
        z = (value - self.loc) / self.scale
        return -math.log(math.pi) - self.scale.log() - (z**2).log1p()

    def cdf(self, value) -> Tensor:
        """atan((value - loc) / scale) / pi + 1/2."""
        if self._validate_args:
            self._validate_sample(value)
        return ((value - self.loc) / self.scale).atan() / math.pi + 0.5

    def icdf(self, value) -> Tensor:
        """loc + scale tan(pi (value - 1/2))."""
        return (math.pi * (value - 0.5)).tan() * self.scale + self.loc

    def entropy(self) -> Tensor:
        """log(4 pi) + log scale."""
        return math.log(4 * math.pi) + self.scale.log()
