"""``FisherSnedecor(df1, df2)``: the F distribution, the ratio of two scaled chi-squared
variables."""

from __future__ import annotations

import math
from numbers import Number

from ..backend import np_finfo
from ..tensor import Tensor, where
from . import constraints
from .distribution import Distribution
from .gamma import Gamma
from .utils import broadcast_all


class FisherSnedecor(Distribution):
    """The F distribution with ``df1`` = d1 > 0 and ``df2`` = d2 > 0 degrees of freedom, the law
    of (X1 / d1) / (X2 / d2) for independent X1 ~ chi^2(d1), X2 ~ chi^2(d2): density

        p(x) = Gamma((d1 + d2) / 2) / (Gamma(d1 / 2) Gamma(d2 / 2)) (d1 / d2)^(d1 / 2)
               x^(d1 / 2 - 1) (1 + d1 x / d2)^(-(d1 + d2) / 2)      on x > 0.

    ``rsample`` divides a Gamma(d1 / 2, d1) draw by a Gamma(d2 / 2, d2) draw (PyTorch's
    draws, in PyTorch's order), so it is differentiable in both by the implicit Gamma
    reparameterisation."""

    arg_constraints = {"df1": constraints.positive, "df2": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, df1, df2, validate_args: bool | None = None) -> None:
        self.df1, self.df2 = broadcast_all(df1, df2)
        self._gamma1 = Gamma(self.df1 * 0.5, self.df1)
        self._gamma2 = Gamma(self.df2 * 0.5, self.df2)
        scalar = isinstance(df1, Number) and isinstance(df2, Number)
        super().__init__(() if scalar else self.df1.shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None) -> FisherSnedecor:
        """The same distribution with its parameters expanded to ``batch_shape``."""
        new = self._get_checked_instance(FisherSnedecor, _instance)
        batch_shape = tuple(batch_shape)
        new.df1 = self.df1.expand(batch_shape)
        new.df2 = self.df2.expand(batch_shape)
        new._gamma1 = self._gamma1.expand(batch_shape)
        new._gamma2 = self._gamma2.expand(batch_shape)
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self) -> Tensor:
        """d2 / (d2 - 2), nan for d2 <= 2."""
        df2 = where(self.df2 > 2, self.df2, math.nan)
        return df2 / (df2 - 2)

    @property
    def mode(self) -> Tensor:
        """(d1 - 2) / d1 * d2 / (d2 + 2), nan for d1 <= 2."""
        mode = (self.df1 - 2) / self.df1 * self.df2 / (self.df2 + 2)
        return where(self.df1 > 2, mode, math.nan)

    @property
    def variance(self) -> Tensor:
        """2 d2^2 (d1 + d2 - 2) / (d1 (d2 - 2)^2 (d2 - 4)), nan for d2 <= 4."""
        df2 = where(self.df2 > 4, self.df2, math.nan)
        return 2 * df2.pow(2) * (self.df1 + df2 - 2) / (self.df1 * (df2 - 2).pow(2) * (df2 - 4))

    def rsample(self, sample_shape=()) -> Tensor:
        """X1 / X2 with X1 ~ Gamma(d1 / 2, d1) and X2 ~ Gamma(d2 / 2, d2) (the chi-squares
        over their degrees of freedom), both drawn in that order; X2 and the ratio are kept
        at least the dtype's smallest normal number, as in PyTorch."""
        shape = self._extended_shape(sample_shape)
        x1 = self._gamma1.rsample(sample_shape).view(shape)
        x2 = self._gamma2.rsample(sample_shape).view(shape)
        tiny = float(np_finfo(x2.array.dtype).tiny)
        return (x1 / x2.clamp(min=tiny)).clamp(min=tiny)

    def log_prob(self, value) -> Tensor:
        """lgamma((d1 + d2) / 2) - lgamma(d1 / 2) - lgamma(d2 / 2) + (d1 / 2) log(d1 / d2)
        + (d1 / 2 - 1) log x - ((d1 + d2) / 2) log1p(d1 x / d2)."""
        if self._validate_args:
            self._validate_sample(value)
        ct1, ct2, ct3 = self.df1 * 0.5, self.df2 * 0.5, self.df1 / self.df2
        t1 = (ct1 + ct2).lgamma() - ct1.lgamma() - ct2.lgamma()
        t2 = ct1 * ct3.log() + (ct1 - 1) * value.log()
        t3 = (ct1 + ct2) * (ct3 * value).log1p()
        return t1 + t2 - t3
