"""``OneHotCategorical(probs=None, logits=None)``: a Categorical draw as a one-hot vector."""

from __future__ import annotations

from ..creation import eye
from ..nn.functional import one_hot
from ..tensor import Tensor
from . import constraints
from .categorical import Categorical
from .distribution import Distribution


class OneHotCategorical(Distribution):
    """A Categorical(``probs``/``logits``) draw k as the one-hot vector e_k of length K (the
    event); ``log_prob(e_k)`` = log p_k."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.one_hot
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args: bool | None = None) -> None:
        self._categorical = Categorical(probs, logits)
        batch_shape = self._categorical.batch_shape
        event_shape = self._categorical.param_shape[-1:]
        super().__init__(batch_shape, event_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None) -> OneHotCategorical:
        """The same distribution with its parameter expanded to ``batch_shape``."""
        new = self._get_checked_instance(OneHotCategorical, _instance)
        batch_shape = tuple(batch_shape)
        new._categorical = self._categorical.expand(batch_shape)
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def _param(self) -> Tensor:
        return self._categorical._param

    @property
    def probs(self) -> Tensor:
        """The Categorical's normalised probabilities."""
        return self._categorical.probs

    @property
    def logits(self) -> Tensor:
        """The Categorical's normalised logits."""
        return self._categorical.logits

    @property
    def mean(self) -> Tensor:
        """``probs``."""
        return self._categorical.probs

    @property
    def mode(self) -> Tensor:
        """The one-hot vector of the most probable category."""
        probs = self._categorical.probs
        return one_hot(probs.argmax(dim=-1), probs.shape[-1]).to(probs.dtype)

    @property
    def variance(self) -> Tensor:
        """p (1 - p)."""
        return self._categorical.probs * (1 - self._categorical.probs)

    @property
    def param_shape(self) -> tuple:
        """The shape of the parameter."""
        return self._categorical.param_shape

    def sample(self, sample_shape=()) -> Tensor:
        """One-hot vectors (in the parameter's dtype) of Categorical draws."""
        probs = self._categorical.probs
        indices = self._categorical.sample(sample_shape)
        return one_hot(indices, self._categorical._num_events).to(probs.dtype)

    def log_prob(self, value) -> Tensor:
        """log p_k for the vector's largest entry k."""
        if self._validate_args:
            self._validate_sample(value)
        return self._categorical.log_prob(value.argmax(-1))

    def entropy(self) -> Tensor:
        """The Categorical's entropy."""
        return self._categorical.entropy()

    def enumerate_support(self, expand: bool = True) -> Tensor:
        """The K one-hot vectors along a new first dim (expanded over the batch shape)."""
        n = self.event_shape[0]
        values = eye(n, dtype=self._param.dtype, device=self._param.device)
        values = values.reshape((n,) + (1,) * len(self.batch_shape) + (n,))
        return values.expand((n,) + self.batch_shape + (n,)) if expand else values


class OneHotCategoricalStraightThrough(OneHotCategorical):
    """``OneHotCategorical`` whose ``rsample`` is the straight-through estimator: the
    one-hot sample in the forward pass, the gradient of ``probs`` in the backward pass
    (sample + probs - probs.detach()); Bengio et al. 2013."""

    has_rsample = True

    def rsample(self, sample_shape=()) -> Tensor:
        """sample + (probs - probs.detach())."""
        samples = self.sample(sample_shape)
        probs = self._categorical.probs
        return samples + (probs - probs.detach())
