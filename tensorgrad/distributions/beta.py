"""``Beta(concentration1, concentration0)``: density x^(a-1) (1 - x)^(b-1) / B(a, b)."""

from __future__ import annotations

from numbers import Number

from ..creation import tensor
from ..tensor import Tensor, stack
from . import constraints
from .dirichlet import Dirichlet
from .distribution import Distribution
from .exp_family import ExponentialFamily
from .utils import broadcast_all


class Beta(ExponentialFamily):
    """The Beta distribution with ``concentration1`` a > 0 and ``concentration0`` b > 0:
    density x^(a - 1) (1 - x)^(b - 1) / B(a, b) on [0, 1]; the first coordinate of a
    Dirichlet([a, b]), through which it samples (``rsample`` is differentiable in both by
    the implicit reparameterisation)."""

    arg_constraints = {
        "concentration1": constraints.positive,
        "concentration0": constraints.positive,
    }
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1, concentration0, validate_args: bool | None = None):
        if isinstance(concentration1, Number) and isinstance(concentration0, Number):
            both = tensor([float(concentration1), float(concentration0)])
        else:
            concentration1, concentration0 = broadcast_all(concentration1, concentration0)
            both = stack([concentration1, concentration0], -1)
        self._dirichlet = Dirichlet(both, validate_args=validate_args)
        super().__init__(self._dirichlet._batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None) -> Beta:
        """The same distribution with its parameters expanded to ``batch_shape``."""
        new = self._get_checked_instance(Beta, _instance)
        batch_shape = tuple(batch_shape)
        new._dirichlet = self._dirichlet.expand(batch_shape)
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self) -> Tensor:
        """a / (a + b)."""
        return self.concentration1 / (self.concentration1 + self.concentration0)

    @property
    def mode(self) -> Tensor:
        """The Dirichlet's mode's first coordinate: (a - 1) / (a + b - 2) for a, b > 1."""
        return self._dirichlet.mode[..., 0]

    @property
    def variance(self) -> Tensor:
        """a b / ((a + b)^2 (a + b + 1))."""
        total = self.concentration1 + self.concentration0
        return self.concentration1 * self.concentration0 / (total.pow(2) * (total + 1))

    def rsample(self, sample_shape=()) -> Tensor:
        """The first coordinate of a Dirichlet([a, b]) rsample."""
        return self._dirichlet.rsample(sample_shape)[..., 0]

    def log_prob(self, value) -> Tensor:
        """(a - 1) log x + (b - 1) log(1 - x) - log B(a, b)."""
        if self._validate_args:
            self._validate_sample(value)
        heads_tails = stack([value, 1.0 - value], -1)
        return self._dirichlet.log_prob(heads_tails)

    def entropy(self) -> Tensor:
        """The Dirichlet's entropy."""
        return self._dirichlet.entropy()

    @property
    def concentration1(self) -> Tensor:
        """a, the exponent of x."""
        return self._dirichlet.concentration[..., 0]

    @property
    def concentration0(self) -> Tensor:
        """b, the exponent of 1 - x."""
        return self._dirichlet.concentration[..., 1]

    @property
    def _natural_params(self) -> tuple:
        return (self.concentration1, self.concentration0)

    def _log_normalizer(self, x, y):
        return x.lgamma() + y.lgamma() - (x + y).lgamma()
