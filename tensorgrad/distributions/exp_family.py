"""``ExponentialFamily``: the base of distributions with density
p(x; theta) = exp(<t(x), theta> - F(theta) + k(x))."""

from __future__ import annotations

from .. import autograd
from ..tensor import Tensor
from .distribution import Distribution


class ExponentialFamily(Distribution):
    """A distribution of the exponential family, p(x; theta) = exp(<t(x), theta> - F(theta)
    + k(x)): theta the natural parameters (``_natural_params``), F the log normalizer
    (``_log_normalizer``), t(x) the sufficient statistic and E[k(x)] the mean carrier
    measure (``_mean_carrier_measure``). Gives the entropy (and the KL divergence between two
    of the same family) through the Bregman divergence of F, whose gradient autograd takes."""

    @property
    def _natural_params(self) -> tuple[Tensor, ...]:
        raise NotImplementedError

    def _log_normalizer(self, *natural_params):
        raise NotImplementedError

    @property
    def _mean_carrier_measure(self) -> float:
        raise NotImplementedError

    def entropy(self) -> Tensor:
        """H = F(theta) - <theta, grad F(theta)> - E[k(x)], with grad F from autograd (the
        natural parameters are detached first, as PyTorch does)."""
        result = -self._mean_carrier_measure
        nparams = [p.detach().requires_grad_() for p in self._natural_params]
        lg_normal = self._log_normalizer(*nparams)
        gradients = autograd.grad(lg_normal.sum(), nparams, create_graph=True)
        result = result + lg_normal
        for p, g in zip(nparams, gradients):
            result = result - (p * g).reshape(self._batch_shape + (-1,)).sum(-1)
        return result
