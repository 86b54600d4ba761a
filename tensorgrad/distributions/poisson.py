"""``Poisson(rate)``: counts of events at ``rate``, P(k) = rate^k e^-rate / k!."""

from __future__ import annotations

from numbers import Number

from ..grad_mode import no_grad
from ..tensor import Tensor
from . import constraints
from .distribution import Distribution
from .exp_family import ExponentialFamily
from .utils import _poisson, broadcast_all, draw


class Poisson(ExponentialFamily):
    """The Poisson distribution with ``rate`` lambda >= 0: P(k) = lambda^k e^-lambda / k! for
    k = 0, 1, 2, ...; mean and variance lambda."""

    arg_constraints = {"rate": constraints.nonnegative}
    support = constraints.nonnegative_integer

    def __init__(self, rate, validate_args: bool | None = None) -> None:
        (self.rate,) = broadcast_all(rate)
        batch_shape = () if isinstance(rate, Number) else self.rate.shape
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None) -> Poisson:
        """The same distribution with ``rate`` expanded to ``batch_shape``."""
        new = self._get_checked_instance(Poisson, _instance)
        batch_shape = tuple(batch_shape)
        new.rate = self.rate.expand(batch_shape)
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self) -> Tensor:
        """``rate``."""
        return self.rate

    @property
    def mode(self) -> Tensor:
        """floor(rate)."""
        return self.rate.floor()

    @property
    def variance(self) -> Tensor:
        """``rate``."""
        return self.rate

    def sample(self, sample_shape=()) -> Tensor:
        """Counts (in the rate's dtype) of shape ``sample_shape + batch_shape``."""
        shape = self._extended_shape(sample_shape)
        with no_grad():
            return draw(_poisson, self.rate.expand(shape))

    def log_prob(self, value) -> Tensor:
        """k log rate - rate - lgamma(k + 1) (xlogy, so rate 0 gives log P(0) = 0)."""
        if self._validate_args:
            self._validate_sample(value)
        rate, value = broadcast_all(self.rate, value)
        return value.xlogy(rate) - rate - (value + 1).lgamma()

    @property
    def _natural_params(self) -> tuple:
        return (self.rate.log(),)

    def _log_normalizer(self, x):
        return x.exp()
