"""``Categorical(probs=None, logits=None)``: one draw from K categories."""

from __future__ import annotations

import math

from ..backend import int64, np_finfo
from ..creation import arange, full
from ..jit import recorder
from ..random import multinomial
from ..tensor import Tensor
from . import constraints
from .distribution import Distribution
from .utils import broadcast_tensors, lazy_property, logits_to_probs, probs_to_logits


class Categorical(Distribution):
    """A category in {0, ..., K - 1} with K = the last dim of ``probs`` (non-negative, normalised
    to sum to 1) or ``logits`` (unnormalised log-probabilities, normalised to
    ``logits - logsumexp(logits)``); the leading dims are the batch. Exactly one of the two is
    given; the other is derived on first use (``probs`` = softmax(logits), ``logits`` =
    log(clamped probs)). The same distribution ``multinomial`` samples from."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args: bool | None = None) -> None:
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            if probs.ndim < 1:
                raise ValueError("`probs` parameter must be at least one-dimensional.")
            self.probs = probs / probs.sum(-1, keepdim=True)
        else:
            if logits.ndim < 1:
                raise ValueError("`logits` parameter must be at least one-dimensional.")
            self.logits = logits - logits.logsumexp(dim=-1, keepdim=True)
        self._param = self.probs if probs is not None else self.logits
        self._num_events = self._param.shape[-1]
        batch_shape = self._param.shape[:-1] if self._param.ndim > 1 else ()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None) -> Categorical:
        """The same distribution with its parameter expanded to ``batch_shape``."""
        new = self._get_checked_instance(Categorical, _instance)
        batch_shape = tuple(batch_shape)
        param_shape = batch_shape + (self._num_events,)
        if "probs" in self.__dict__:
            new.probs = new._param = self.probs.expand(param_shape)
        if "logits" in self.__dict__:
            new.logits = new._param = self.logits.expand(param_shape)
        new._num_events = self._num_events
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self) -> constraints.Constraint:
        """The integers 0, ..., K - 1."""
        return constraints.integer_interval(0, self._num_events - 1)

    @lazy_property
    def logits(self) -> Tensor:
        """Normalised log-probabilities, log of the clamped ``probs``."""
        return probs_to_logits(self.probs)

    @lazy_property
    def probs(self) -> Tensor:
        """Normalised probabilities, softmax of ``logits``."""
        return logits_to_probs(self.logits)

    @property
    def param_shape(self) -> tuple:
        """The shape of the parameter (``batch_shape + (K,)``)."""
        return self._param.shape

    @property
    def mean(self) -> Tensor:
        """NaN: categories have no order to average over."""
        return full(
            self._extended_shape(), math.nan, dtype=self.probs.dtype, device=self.probs.device
        )

    @property
    def mode(self) -> Tensor:
        """The most probable category."""
        return self.probs.argmax(dim=-1)

    @property
    def variance(self) -> Tensor:
        """NaN, as ``mean``."""
        return full(
            self._extended_shape(), math.nan, dtype=self.probs.dtype, device=self.probs.device
        )

    def sample(self, sample_shape=()) -> Tensor:
        """int64 categories of shape ``sample_shape + batch_shape``."""
        shape = self._extended_shape(sample_shape)
        n = math.prod(shape[: len(shape) - len(self._batch_shape)])
        probs_2d = self.probs.detach().reshape(-1, self._num_events)
        if n == 0:
            return full(shape, 0, dtype=int64, device=self.probs.device)
        # drawn through the recorder, so a tg.compile replay draws again
        index = Tensor._make(recorder.call(multinomial, probs_2d.array, n, True))
        return index.T.reshape(shape)

    def log_prob(self, value) -> Tensor:
        """The normalised logit of category ``value`` (broadcast against the batch)."""
        if self._validate_args:
            self._validate_sample(value)
        value = value.long().unsqueeze(-1)
        value, log_pmf = broadcast_tensors(value, self.logits)
        return log_pmf.gather(-1, value[..., :1]).squeeze(-1)

    def entropy(self) -> Tensor:
        """-sum_k p_k log p_k (logits clamped to the dtype's lowest value, so 0 log 0 = 0)."""
        min_real = float(np_finfo(self.logits.array.dtype).min)
        return -(self.logits.clamp(min=min_real) * self.probs).sum(-1)

    def enumerate_support(self, expand: bool = True) -> Tensor:
        """0, ..., K - 1 along a new first dim (expanded over the batch shape)."""
        values = arange(self._num_events, dtype=int64, device=self._param.device)
        values = values.reshape((-1,) + (1,) * len(self._batch_shape))
        return values.expand((-1,) + self._batch_shape) if expand else values
