"""``Chi2(df)``: the chi-squared distribution, Gamma(df / 2, 1 / 2)."""

from __future__ import annotations

from ..tensor import Tensor
from . import constraints
from .gamma import Gamma


class Chi2(Gamma):
    """The chi-squared distribution with ``df`` > 0 degrees of freedom (the sum of df squared
    standard normals): Gamma(concentration=df/2, rate=1/2)."""

    arg_constraints = {"df": constraints.positive}

    def __init__(self, df, validate_args: bool | None = None) -> None:
        super().__init__(0.5 * df, 0.5, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None) -> Chi2:
        """The same distribution with ``df`` expanded to ``batch_shape``."""
        new = self._get_checked_instance(Chi2, _instance)
        return super().expand(batch_shape, new)

    @property
    def df(self) -> Tensor:
        """2 concentration."""
        return self.concentration * 2
