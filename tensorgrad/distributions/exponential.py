"""``Exponential(rate)``: waiting times of a Poisson process, density rate e^(-rate x)."""

from __future__ import annotations

from numbers import Number

from ..creation import zeros_like
from ..tensor import Tensor
from . import constraints
from .distribution import Distribution
from .exp_family import ExponentialFamily
from .utils import _std_exponential, broadcast_all, draw


class Exponential(ExponentialFamily):
    """The exponential distribution with ``rate`` lambda > 0: density lambda e^(-lambda x) on
    x >= 0, mean 1 / lambda."""

    arg_constraints = {"rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    _mean_carrier_measure = 0

    def __init__(self, rate, validate_args: bool | None = None) -> None:
        (self.rate,) = broadcast_all(rate)
        batch_shape = () if isinstance(rate, Number) else self.rate.shape
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None) -> Exponential:
        """The same distribution with ``rate`` expanded to ``batch_shape``."""
        new = self._get_checked_instance(Exponential, _instance)
        batch_shape = tuple(batch_shape)
        new.rate = self.rate.expand(batch_shape)
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self) -> Tensor:
        """1 / rate."""
        return self.rate.reciprocal()

    @property
    def mode(self) -> Tensor:
        """0."""
        return zeros_like(self.rate)

    @property
    def stddev(self) -> Tensor:
        """1 / rate."""
        return self.rate.reciprocal()

    @property
    def variance(self) -> Tensor:
        """rate^-2."""
        return self.rate.pow(-2)

    def rsample(self, sample_shape=()) -> Tensor:
        """e / rate with e ~ Exp(1): differentiable in ``rate``."""
        shape = self._extended_shape(sample_shape)
        return draw(_std_exponential, self.rate.expand(shape)) / self.rate

    def log_prob(self, value) -> Tensor:
        """log rate - rate value."""
        if self._validate_args:
            self._validate_sample(value)
        return self.rate.log() - self.rate * value

    def cdf(self, value) -> Tensor:
        """1 - e^(-rate value)."""
        if self._validate_args:
            self._validate_sample(value)
        return 1 - (-self.rate * value).exp()

    def icdf(self, value) -> Tensor:
        """-log(1 - value) / rate."""
        return -(-value).log1p() / self.rate

    def entropy(self) -> Tensor:
        """1 - log rate."""
        return 1.0 - self.rate.log()

    @property
    def _natural_params(self) -> tuple:
        return (-self.rate,)

    def _log_normalizer(self, x):
        return -(-x).log()
