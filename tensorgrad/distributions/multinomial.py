"""``Multinomial(total_count=1, probs=None, logits=None)``: category counts of
``total_count`` draws."""

from __future__ import annotations

import math

from ..creation import tensor
from ..nn.functional import one_hot
from ..tensor import Tensor
from . import constraints
from .binomial import Binomial
from .categorical import Categorical
from .distribution import Distribution
from .utils import broadcast_all


class Multinomial(Distribution):
    """The counts x_1..x_K of each category in ``total_count`` n independent draws from a
    Categorical(``probs``/``logits``): P(x) = n! / prod x_k! prod p_k^x_k. ``total_count``
    is one int for the whole batch (``log_prob`` accepts any counts; ``sample`` and
    ``entropy`` use it)."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}

    def __init__(self, total_count: int = 1, probs=None, logits=None, validate_args=None):
        if not isinstance(total_count, int):
            raise NotImplementedError("inhomogeneous total_count is not supported")
        self.total_count = total_count
        self._categorical = Categorical(probs=probs, logits=logits)
        self._binomial = Binomial(total_count=total_count, probs=self.probs)
        batch_shape = self._categorical.batch_shape
        event_shape = self._categorical.param_shape[-1:]
        super().__init__(batch_shape, event_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None) -> Multinomial:
        """The same distribution with its parameter expanded to ``batch_shape``."""
        new = self._get_checked_instance(Multinomial, _instance)
        batch_shape = tuple(batch_shape)
        new.total_count = self.total_count
        new._categorical = self._categorical.expand(batch_shape)
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self) -> Tensor:
        """n p."""
        return self.probs * self.total_count

    @property
    def variance(self) -> Tensor:
        """n p (1 - p)."""
        return self.total_count * self.probs * (1 - self.probs)

    @constraints.dependent_property(is_discrete=True, event_dim=1)
    def support(self) -> constraints.Constraint:
        """Non-negative counts summing to at most ``total_count``."""
        return constraints.multinomial(self.total_count)

    @property
    def logits(self) -> Tensor:
        """The Categorical's normalised logits."""
        return self._categorical.logits

    @property
    def probs(self) -> Tensor:
        """The Categorical's normalised probabilities."""
        return self._categorical.probs

    @property
    def param_shape(self) -> tuple:
        """The shape of the parameter."""
        return self._categorical.param_shape

    def sample(self, sample_shape=()) -> Tensor:
        """Counts (in the parameter's dtype) of ``total_count`` Categorical draws."""
        sample_shape = (sample_shape,) if isinstance(sample_shape, int) else tuple(sample_shape)
        samples = self._categorical.sample((self.total_count,) + sample_shape)
        counts = one_hot(samples, self._categorical._num_events).sum(0)
        return counts.reshape(self._extended_shape(sample_shape)).type_as(self.probs)

    def entropy(self) -> Tensor:
        """n H(Categorical) - lgamma(n + 1) + sum_k E[lgamma(x_k + 1)], the expectations
        over each count's Binomial(n, p_k) marginal."""
        n = tensor(self.total_count)
        cat_entropy = self._categorical.entropy()
        term1 = n * cat_entropy - (n + 1).lgamma()
        support = self._binomial.enumerate_support(expand=False)[1:]
        binomial_probs = self._binomial.log_prob(support).exp()
        weights = (support + 1).lgamma()
        term2 = (binomial_probs * weights).sum((0, -1))
        return term1 + term2

    def log_prob(self, value) -> Tensor:
        """lgamma(sum x + 1) - sum lgamma(x_k + 1) + sum x_k log p_k (0 log 0 = 0)."""
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        log_factorial_n = (value.sum(-1) + 1).lgamma()
        log_factorial_xs = (value + 1).lgamma().sum(-1)
        logits = logits.masked_fill((value == 0) & (logits == -math.inf), 0.0)
        log_powers = (logits * value).sum(-1)
        return log_factorial_n - log_factorial_xs + log_powers
