"""``InverseGamma(concentration, rate)``: the law of 1 / X for X ~ Gamma(concentration, rate)."""

from __future__ import annotations

import math

from ..tensor import Tensor, where
from . import constraints
from .gamma import Gamma
from .transformed_distribution import TransformedDistribution
from .transforms import PowerTransform


class InverseGamma(TransformedDistribution):
    """The inverse Gamma distribution with shape ``concentration`` a > 0 and ``rate`` (scale)
    b > 0: density b^a y^(-a - 1) e^(-b / y) / Gamma(a) on y > 0. Built as Gamma(a, b) pushed
    through y = x^-1 (``PowerTransform(-1)``), so its samples are 1 / x of PyTorch's Gamma
    draws and ``rsample`` is differentiable in both parameters."""

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, concentration, rate, validate_args: bool | None = None) -> None:
        base_dist = Gamma(concentration, rate, validate_args=validate_args)
        neg_one = -base_dist.rate.new_ones(())
        super().__init__(base_dist, PowerTransform(neg_one), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None) -> InverseGamma:
        """The same distribution with its parameters expanded to ``batch_shape``."""
        new = self._get_checked_instance(InverseGamma, _instance)
        return super().expand(batch_shape, _instance=new)

    @property
    def concentration(self) -> Tensor:
        """a, the base Gamma's concentration."""
        return self.base_dist.concentration

    @property
    def rate(self) -> Tensor:
        """b, the base Gamma's rate."""
        return self.base_dist.rate

    @property
    def mean(self) -> Tensor:
        """b / (a - 1), inf for a <= 1."""
        a = self.concentration
        return where(a > 1, self.rate / (a - 1), math.inf)

    @property
    def mode(self) -> Tensor:
        """b / (a + 1)."""
        return self.rate / (self.concentration + 1)

    @property
    def variance(self) -> Tensor:
        """b^2 / ((a - 1)^2 (a - 2)), inf for a <= 2."""
        a = self.concentration
        return where(a > 2, self.rate.square() / ((a - 1).square() * (a - 2)), math.inf)

    def entropy(self) -> Tensor:
        """a + log b + lgamma(a) - (1 + a) digamma(a)."""
        a = self.concentration
        return a + self.rate.log() + a.lgamma() - (1 + a) * a.digamma()
