"""``Gumbel(loc, scale)``: the distribution of maxima, density e^(-(z + e^-z)) / scale."""

from __future__ import annotations

import math
from numbers import Number

from ..backend import np_finfo
from ..creation import full_like, ones_like
from ..tensor import Tensor
from . import constraints
from .transformed_distribution import TransformedDistribution
from .transforms import AffineTransform, ExpTransform
from .uniform import Uniform
from .utils import broadcast_all, euler_constant


class Gumbel(TransformedDistribution):
    """The Gumbel distribution with location ``loc`` and ``scale`` b > 0: density
    e^(-(z + e^-z)) / b with z = (x - loc) / b. Built as loc - b log(-log u) for
    u ~ U(tiny, 1 - eps), so ``rsample`` is differentiable in ``loc`` and ``scale``."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real

    def __init__(self, loc, scale, validate_args: bool | None = None) -> None:
        self.loc, self.scale = broadcast_all(loc, scale)
        finfo = np_finfo(self.loc.array.dtype)
        lo, hi = float(finfo.tiny), 1 - float(finfo.eps)
        if isinstance(loc, Number) and isinstance(scale, Number):
            base_dist = Uniform(lo, hi, validate_args=validate_args)
        else:
            base_dist = Uniform(
                full_like(self.loc, lo), full_like(self.loc, hi), validate_args=validate_args
            )
        transforms = [
            ExpTransform().inv,
            AffineTransform(loc=0, scale=-ones_like(self.scale)),
            ExpTransform().inv,
            AffineTransform(loc=loc, scale=-self.scale),
        ]
        super().__init__(base_dist, transforms, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None) -> Gumbel:
        """The same distribution with ``loc`` and ``scale`` expanded to ``batch_shape``."""
        new = self._get_checked_instance(Gumbel, _instance)
        new.loc = self.loc.expand(tuple(batch_shape))
        new.scale = self.scale.expand(tuple(batch_shape))
        return super().expand(batch_shape, _instance=new)

    def log_prob(self, value) -> Tensor:
        """z - e^z - log scale with z = (loc - value) / scale."""
        if self._validate_args:
            self._validate_sample(value)
        y = (self.loc - value) / self.scale
        return y - y.exp() - self.scale.log()

    @property
    def mean(self) -> Tensor:
        """loc + scale gamma (Euler's constant)."""
        return self.loc + self.scale * euler_constant

    @property
    def mode(self) -> Tensor:
        """``loc``."""
        return self.loc

    @property
    def stddev(self) -> Tensor:
        """pi scale / sqrt(6)."""
        return math.pi / math.sqrt(6) * self.scale

    @property
    def variance(self) -> Tensor:
        """pi^2 scale^2 / 6."""
        return self.stddev.pow(2)

    def entropy(self) -> Tensor:
        """log scale + 1 + gamma."""
        return self.scale.log() + (1 + euler_constant)
