"""``NegativeBinomial(total_count, probs=None, logits=None)``: successes before
``total_count`` failures."""

from __future__ import annotations

from ..grad_mode import no_grad
from ..nn.functional import logsigmoid
from ..tensor import Tensor
from . import constraints
from .distribution import Distribution
from .gamma import Gamma
from .utils import _poisson, broadcast_all, draw, lazy_property, logits_to_probs, probs_to_logits


class NegativeBinomial(Distribution):
    """The number k of successes (probability ``probs`` p each, or log-odds ``logits``)
    before ``total_count`` r > 0 failures: P(k) = Gamma(k + r) / (k! Gamma(r)) p^k
    (1 - p)^r. Sampled as a Poisson whose rate is Gamma(r, (1 - p)/p) distributed."""

    arg_constraints = {
        "total_count": constraints.greater_than_eq(0),
        "probs": constraints.half_open_interval(0.0, 1.0),
        "logits": constraints.real,
    }
    support = constraints.nonnegative_integer

    def __init__(self, total_count, probs=None, logits=None, validate_args=None) -> None:
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            self.total_count, self.probs = broadcast_all(total_count, probs)
            self.total_count = self.total_count.type_as(self.probs)
        else:
            self.total_count, self.logits = broadcast_all(total_count, logits)
            self.total_count = self.total_count.type_as(self.logits)
        self._param = self.probs if probs is not None else self.logits
        super().__init__(self._param.shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None) -> NegativeBinomial:
        """The same distribution with its parameters expanded to ``batch_shape``."""
        new = self._get_checked_instance(NegativeBinomial, _instance)
        batch_shape = tuple(batch_shape)
        new.total_count = self.total_count.expand(batch_shape)
        if "probs" in self.__dict__:
            new.probs = new._param = self.probs.expand(batch_shape)
        if "logits" in self.__dict__:
            new.logits = new._param = self.logits.expand(batch_shape)
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self) -> Tensor:
        """r p / (1 - p) = r e^logits."""
        return self.total_count * self.logits.exp()

    @property
    def mode(self) -> Tensor:
        """max(floor((r - 1) p / (1 - p)), 0)."""
        return ((self.total_count - 1) * self.logits.exp()).floor().clamp(min=0.0)

    @property
    def variance(self) -> Tensor:
        """mean / (1 - p)."""
        return self.mean / (-self.logits).sigmoid()

    @lazy_property
    def logits(self) -> Tensor:
        """log(p / (1 - p)) of the clamped probabilities."""
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self) -> Tensor:
        """sigmoid(logits)."""
        return logits_to_probs(self.logits, is_binary=True)

    @property
    def param_shape(self) -> tuple:
        """The shape of the parameter."""
        return self._param.shape

    @lazy_property
    def _gamma(self) -> Gamma:
        return Gamma(concentration=self.total_count, rate=(-self.logits).exp(), validate_args=False)

    def sample(self, sample_shape=()) -> Tensor:
        """Poisson(Gamma(r, e^-logits)) draws, in the parameter's dtype."""
        with no_grad():
            rate = self._gamma.sample(sample_shape=sample_shape)
            return draw(_poisson, rate)

    def log_prob(self, value) -> Tensor:
        """r logsigmoid(-logits) + k logsigmoid(logits) + lgamma(r + k) - lgamma(k + 1)
        - lgamma(r) (the last three 0 where r + k = 0)."""
        if self._validate_args:
            self._validate_sample(value)
        r = self.total_count
        log_unnormalized_prob = r * logsigmoid(-self.logits) + value * logsigmoid(self.logits)
        log_normalization = -(r + value).lgamma() + (1.0 + value).lgamma() + r.lgamma()
        log_normalization = log_normalization.masked_fill(r + value == 0.0, 0.0)
        return log_unnormalized_prob - log_normalization
