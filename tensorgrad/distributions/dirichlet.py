"""``Dirichlet(concentration)``: distributions over the simplex."""

from __future__ import annotations

from ..nn.functional import one_hot
from ..tensor import Tensor, where
from . import constraints
from ._incomplete import DirichletReparam
from .distribution import Distribution
from .exp_family import ExponentialFamily
from .utils import _dirichlet, draw


class Dirichlet(ExponentialFamily):
    """The Dirichlet distribution with ``concentration`` alpha (> 0, the last dim is the
    event): density Gamma(sum alpha) / prod Gamma(alpha_k) prod x_k^(alpha_k - 1) on the
    simplex.

    ``rsample`` normalises Gamma(alpha_k, 1) draws; its gradient is PyTorch's implicit one,
    d x / d alpha_k through each coordinate's Beta(alpha_k, sum alpha - alpha_k) CDF, here
    computed to float64 precision (PyTorch's ``_dirichlet_grad`` uses fitted approximations
    good to ~2e-3 relative)."""

    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, concentration: Tensor, validate_args: bool | None = None) -> None:
        if concentration.ndim < 1:
            raise ValueError("`concentration` parameter must be at least one-dimensional.")
        self.concentration = concentration
        batch_shape, event_shape = concentration.shape[:-1], concentration.shape[-1:]
        super().__init__(batch_shape, event_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None) -> Dirichlet:
        """The same distribution with ``concentration`` expanded to ``batch_shape``."""
        new = self._get_checked_instance(Dirichlet, _instance)
        batch_shape = tuple(batch_shape)
        new.concentration = self.concentration.expand(batch_shape + self.event_shape)
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def rsample(self, sample_shape=()) -> Tensor:
        """Normalised Gamma draws (clamped to [tiny, 1 - ulp]), differentiable in the
        concentration by the implicit reparameterisation."""
        shape = self._extended_shape(sample_shape)
        concentration = self.concentration.expand(shape)
        return DirichletReparam.apply(concentration, draw(_dirichlet, concentration))

    def log_prob(self, value) -> Tensor:
        """sum (alpha_k - 1) log x_k + lgamma(sum alpha) - sum lgamma(alpha_k)."""
        if self._validate_args:
            self._validate_sample(value)
        a = self.concentration
        return (a - 1.0).xlogy(value).sum(-1) + a.sum(-1).lgamma() - a.lgamma().sum(-1)

    @property
    def mean(self) -> Tensor:
        """alpha / sum alpha."""
        return self.concentration / self.concentration.sum(-1, keepdim=True)

    @property
    def mode(self) -> Tensor:
        """(alpha - 1)+ / sum (alpha - 1)+; where every alpha_k < 1 (the density peaks at the
        corners), the one-hot vector of PyTorch's choice (the argmax of that NaN vector)."""
        concentrationm1 = (self.concentration - 1).clamp(min=0.0)
        mask = (self.concentration < 1).all(dim=-1, keepdim=True)
        # those rows are 0 / 0: divided by 1 instead, so no NaN reaches the gradient
        mode = concentrationm1 / where(mask, 1.0, concentrationm1.sum(-1, keepdim=True))
        corner = one_hot(mode.argmax(dim=-1), concentrationm1.shape[-1]).to(mode.dtype)
        return where(mask, corner, mode)

    @property
    def variance(self) -> Tensor:
        """alpha (alpha0 - alpha) / (alpha0^2 (alpha0 + 1)), alpha0 = sum alpha."""
        con0 = self.concentration.sum(-1, keepdim=True)
        a = self.concentration
        return a * (con0 - a) / (con0.pow(2) * (con0 + 1))

    def entropy(self) -> Tensor:
        """log B(alpha) + (alpha0 - K) digamma(alpha0) - sum (alpha_k - 1) digamma(alpha_k)."""
        k = self.concentration.shape[-1]
        a = self.concentration
        a0 = a.sum(-1)
        return (
            a.lgamma().sum(-1)
            - a0.lgamma()
            - (k - a0) * a0.digamma()
            - ((a - 1.0) * a.digamma()).sum(-1)
        )

    @property
    def _natural_params(self) -> tuple:
        return (self.concentration,)

    def _log_normalizer(self, x):
        return x.lgamma().sum(-1) - x.sum(-1).lgamma()
