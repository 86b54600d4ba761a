"""``StudentT(df, loc=0, scale=1)``: Student's t distribution."""

from __future__ import annotations

import math

from ..creation import randn
from ..tensor import Tensor, where
from . import constraints
from .chi2 import Chi2
from .distribution import Distribution
from .utils import broadcast_all


class StudentT(Distribution):
    """Student's t with ``df`` nu > 0 degrees of freedom, location ``loc`` and ``scale`` s:
    density Gamma((nu+1)/2) / (Gamma(nu/2) sqrt(nu pi) s) (1 + y^2 / nu)^(-(nu+1)/2) with
    y = (x - loc) / s. ``rsample`` is loc + s X / sqrt(Z / nu) with X ~ N(0, 1) and
    Z ~ Chi2(nu), differentiable in all three parameters (in nu through the Gamma's implicit
    gradient)."""

    arg_constraints = {
        "df": constraints.positive,
        "loc": constraints.real,
        "scale": constraints.positive,
    }
    support = constraints.real
    has_rsample = True

    def __init__(self, df, loc=0.0, scale=1.0, validate_args: bool | None = None) -> None:
        self.df, self.loc, self.scale = broadcast_all(df, loc, scale)
        self._chi2 = Chi2(self.df)
        super().__init__(self.df.shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None) -> StudentT:
        """The same distribution with its parameters expanded to ``batch_shape``."""
        new = self._get_checked_instance(StudentT, _instance)
        batch_shape = tuple(batch_shape)
        new.df = self.df.expand(batch_shape)
        new.loc = self.loc.expand(batch_shape)
        new.scale = self.scale.expand(batch_shape)
        new._chi2 = self._chi2.expand(batch_shape)
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self) -> Tensor:
        """``loc`` for df > 1, NaN otherwise."""
        return self.loc.masked_fill(self.df <= 1, math.nan)

    @property
    def mode(self) -> Tensor:
        """``loc``."""
        return self.loc

    @property
    def variance(self) -> Tensor:
        """scale^2 df / (df - 2) for df > 2, inf for 1 < df <= 2, NaN for df <= 1."""
        big = self.df > 2
        df = where(big, self.df, 3.0)  # keeps the unused branch (and its gradient) finite
        var = self.scale.pow(2) * df / (df - 2)
        return where(big, var, where(self.df > 1, math.inf, math.nan))

    def rsample(self, sample_shape=()) -> Tensor:
        """loc + scale X rsqrt(Z / df), X ~ N(0, 1), Z ~ Chi2(df)."""
        shape = self._extended_shape(sample_shape)
        x = randn(shape, dtype=self.df.dtype, device=self.df.device)
        z = self._chi2.rsample(sample_shape)
        return self.loc + self.scale * (x * (z / self.df).rsqrt())

    def log_prob(self, value) -> Tensor:
        """-(df + 1)/2 log(1 + y^2 / df) - log s - log(df)/2 - log(pi)/2 - lgamma(df/2)
        + lgamma((df + 1)/2), y = (value - loc) / scale."""
        if self._validate_args:
            self._validate_sample(value)
        y = (value - self.loc) / self.scale
        z = (
            self.scale.log()
            + 0.5 * self.df.log()
            + 0.5 * math.log(math.pi)
            + (0.5 * self.df).lgamma()
            - (0.5 * (self.df + 1.0)).lgamma()
        )
        return -0.5 * (self.df + 1.0) * (y**2.0 / self.df).log1p() - z

    def entropy(self) -> Tensor:
        """log s + (df + 1)/2 (digamma((df + 1)/2) - digamma(df/2)) + log(df)/2 +
        log B(df/2, 1/2)."""
        lbeta = (0.5 * self.df).lgamma() + math.lgamma(0.5) - (0.5 * (self.df + 1)).lgamma()
        return (
            self.scale.log()
            + 0.5 * (self.df + 1) * ((0.5 * (self.df + 1)).digamma() - (0.5 * self.df).digamma())
            + 0.5 * self.df.log()
            + lbeta
        )
