"""``HalfCauchy(scale)``: |X| for X ~ Cauchy(0, scale)."""

from __future__ import annotations

import math

from ..creation import full, zeros_like
from ..tensor import Tensor, where
from . import constraints
from .cauchy import Cauchy
from .transformed_distribution import TransformedDistribution
from .transforms import AbsTransform


class HalfCauchy(TransformedDistribution):
    """The distribution of |X| for X ~ Cauchy(0, ``scale``): density
    2 / (pi scale (1 + (x / scale)^2)) on x >= 0; its mean is infinite."""

    arg_constraints = {"scale": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, scale, validate_args: bool | None = None) -> None:
        base_dist = Cauchy(0, scale, validate_args=False)
        super().__init__(base_dist, AbsTransform(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None) -> HalfCauchy:
        """The same distribution with ``scale`` expanded to ``batch_shape``."""
        new = self._get_checked_instance(HalfCauchy, _instance)
        return super().expand(batch_shape, _instance=new)

    @property
    def scale(self) -> Tensor:
        """The scale of the underlying Cauchy."""
        return self.base_dist.scale

    @property
    def mean(self) -> Tensor:
        """inf."""
        shape = self._extended_shape()
        return full(shape, math.inf, dtype=self.scale.dtype, device=self.scale.device)

    @property
    def mode(self) -> Tensor:
        """0."""
        return zeros_like(self.scale)

    @property
    def variance(self) -> Tensor:
        """inf (the Cauchy's)."""
        return self.base_dist.variance

    def log_prob(self, value) -> Tensor:
        """The Cauchy's log density + log 2 for value >= 0, -inf below."""
        if self._validate_args:
            self._validate_sample(value)
        log_prob = self.base_dist.log_prob(value) + math.log(2)
        return where(value >= 0, log_prob, -math.inf)

    def cdf(self, value) -> Tensor:
        """2 F_Cauchy(value) - 1."""
        if self._validate_args:
            self._validate_sample(value)
        return 2 * self.base_dist.cdf(value) - 1

    def icdf(self, prob) -> Tensor:
        """The Cauchy's icdf at (prob + 1) / 2."""
        return self.base_dist.icdf((prob + 1) / 2)

    def entropy(self) -> Tensor:
        """The Cauchy's entropy - log 2."""
        return self.base_dist.entropy() - math.log(2)
