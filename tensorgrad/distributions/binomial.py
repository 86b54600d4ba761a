"""``Binomial(total_count=1, probs=None, logits=None)``: successes in ``total_count`` trials."""

from __future__ import annotations

from ..creation import arange
from ..grad_mode import no_grad
from ..tensor import Tensor
from . import constraints
from .distribution import Distribution
from .utils import _binomial, broadcast_all, draw, lazy_property, logits_to_probs, probs_to_logits


def _clamp_by_zero(x):
    """max(x, 0), with gradient 1/2 at 0 (PyTorch's)."""
    return (x.clamp(min=0) + x - x.clamp(max=0)) / 2


class Binomial(Distribution):
    """The number of successes in ``total_count`` n independent trials of success probability
    ``probs`` p (or log-odds ``logits``): P(k) = C(n, k) p^k (1 - p)^(n - k). n may vary over
    the batch (a tensor of non-negative integers)."""

    arg_constraints = {
        "total_count": constraints.nonnegative_integer,
        "probs": constraints.unit_interval,
        "logits": constraints.real,
    }
    has_enumerate_support = True

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None) -> None:
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

    def expand(self, batch_shape, _instance=None) -> Binomial:
        """The same distribution with its parameters expanded to ``batch_shape``."""
        new = self._get_checked_instance(Binomial, _instance)
        batch_shape = tuple(batch_shape)
        new.total_count = self.total_count.expand(batch_shape)
        if "probs" in self.__dict__:
            new.probs = new._param = self.probs.expand(batch_shape)
        if "logits" in self.__dict__:
            new.logits = new._param = self.logits.expand(batch_shape)
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self) -> constraints.Constraint:
        """The integers 0, ..., total_count."""
        return constraints.integer_interval(0, self.total_count)

    @property
    def mean(self) -> Tensor:
        """n p."""
        return self.total_count * self.probs

    @property
    def mode(self) -> Tensor:
        """min(floor((n + 1) p), n)."""
        return ((self.total_count + 1) * self.probs).floor().clamp(max=self.total_count)

    @property
    def variance(self) -> Tensor:
        """n p (1 - p)."""
        return self.total_count * self.probs * (1 - self.probs)

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

    def sample(self, sample_shape=()) -> Tensor:
        """Counts (in the parameter's dtype) of shape ``sample_shape + batch_shape``."""
        shape = self._extended_shape(sample_shape)
        with no_grad():
            return draw(_binomial, self.total_count.expand(shape), self.probs.expand(shape))

    def log_prob(self, value) -> Tensor:
        """lgamma(n + 1) - lgamma(k + 1) - lgamma(n - k + 1) + k logit - n log(1 + e^logit),
        the last term computed as n max(logit, 0) + n log1p(e^-|logit|)."""
        if self._validate_args:
            self._validate_sample(value)
        n, logits = self.total_count, self.logits
        log_factorial_n = (n + 1).lgamma()
        log_factorial_k = (value + 1).lgamma()
        log_factorial_nmk = (n - value + 1).lgamma()
        normalize_term = (
            n * _clamp_by_zero(logits) + n * (-logits.abs()).exp().log1p() - log_factorial_n
        )
        return value * logits - log_factorial_k - log_factorial_nmk - normalize_term

    def _homogeneous_count(self, what: str) -> int:
        total_count = int(self.total_count.max())
        if not bool(self.total_count.min() == total_count):
            raise NotImplementedError(f"Inhomogeneous total count not supported by `{what}`.")
        return total_count

    def entropy(self) -> Tensor:
        """-sum_k P(k) log P(k) over the support (total_count must be the same everywhere)."""
        self._homogeneous_count("entropy")
        log_prob = self.log_prob(self.enumerate_support(False))
        return -(log_prob.exp() * log_prob).sum(0)

    def enumerate_support(self, expand: bool = True) -> Tensor:
        """0, ..., n along a new first dim (n must be the same everywhere)."""
        total_count = self._homogeneous_count("enumerate_support")
        values = arange(1 + total_count, dtype=self._param.dtype, device=self._param.device)
        values = values.reshape((-1,) + (1,) * len(self._batch_shape))
        return values.expand((-1,) + self._batch_shape) if expand else values
