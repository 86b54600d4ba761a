"""``Gamma(concentration, rate)``: density rate^a x^(a-1) e^(-rate x) / Gamma(a)."""

from __future__ import annotations

from numbers import Number

from ..backend import np_finfo
from ..creation import tensor
from ..tensor import Tensor
from . import constraints
from ._incomplete import Gammainc, GammaReparam
from .distribution import Distribution
from .exp_family import ExponentialFamily
from .utils import _std_gamma, broadcast_all, draw


def standard_gamma_rsample(concentration: Tensor) -> Tensor:
    """A Gamma(concentration, 1) draw of ``concentration``'s shape (at least the dtype's
    smallest normal number), differentiable in ``concentration`` by the implicit
    reparameterisation dx/da = -(dP/da)(a, x) / p(a, x)."""
    return GammaReparam.apply(concentration, draw(_std_gamma, concentration))


class Gamma(ExponentialFamily):
    """The Gamma distribution with shape ``concentration`` a > 0 and ``rate`` b > 0: density
    b^a x^(a - 1) e^(-b x) / Gamma(a) on x >= 0, mean a / b.

    ``rsample`` draws x ~ Gamma(a, 1) (NumPy's sampler on the default generator) and divides
    by b; its gradient in a is the implicit one, dx/da = -(dP/da)(a, x) / p(a, x) with P the
    regularized incomplete gamma function, computed to float64 precision (PyTorch's
    ``_standard_gamma_grad`` uses fitted approximations good to ~1e-3 relative)."""

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    _mean_carrier_measure = 0

    def __init__(self, concentration, rate, validate_args: bool | None = None) -> None:
        self.concentration, self.rate = broadcast_all(concentration, rate)
        scalar = isinstance(concentration, Number) and isinstance(rate, Number)
        super().__init__(() if scalar else self.concentration.shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None) -> Gamma:
        """The same distribution with its parameters expanded to ``batch_shape``."""
        new = self._get_checked_instance(Gamma, _instance)
        batch_shape = tuple(batch_shape)
        new.concentration = self.concentration.expand(batch_shape)
        new.rate = self.rate.expand(batch_shape)
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self) -> Tensor:
        """concentration / rate."""
        return self.concentration / self.rate

    @property
    def mode(self) -> Tensor:
        """max((concentration - 1) / rate, 0)."""
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self) -> Tensor:
        """concentration / rate^2."""
        return self.concentration / self.rate.pow(2)

    def rsample(self, sample_shape=()) -> Tensor:
        """x / rate with x ~ Gamma(concentration, 1): differentiable in both parameters
        (implicitly in the concentration). At least the dtype's smallest normal number."""
        shape = self._extended_shape(sample_shape)
        value = standard_gamma_rsample(self.concentration.expand(shape)) / self.rate.expand(shape)
        tiny = float(np_finfo(value.array.dtype).tiny)
        floor = value.detach().clamp(min=tiny) - value.detach()  # 0 unless value underflowed
        return value + floor

    def log_prob(self, value) -> Tensor:
        """a log b + (a - 1) log x - b x - lgamma(a) (xlogy, so 0 log 0 = 0)."""
        if not isinstance(value, Tensor):
            value = tensor(value, dtype=self.rate.dtype, device=self.rate.device)
        if self._validate_args:
            self._validate_sample(value)
        a, b = self.concentration, self.rate
        return a.xlogy(b) + (a - 1).xlogy(value) - b * value - a.lgamma()

    def entropy(self) -> Tensor:
        """a - log b + lgamma(a) + (1 - a) digamma(a)."""
        a = self.concentration
        return a - self.rate.log() + a.lgamma() + (1.0 - a) * a.digamma()

    def cdf(self, value) -> Tensor:
        """P(a, rate value), the regularized lower incomplete gamma function."""
        if self._validate_args:
            self._validate_sample(value)
        return Gammainc.apply(self.concentration, self.rate * value)

    @property
    def _natural_params(self) -> tuple:
        return (self.concentration - 1, -self.rate)

    def _log_normalizer(self, x, y):
        return (x + 1).lgamma() + (x + 1) * (-y.reciprocal()).log()
