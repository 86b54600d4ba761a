"""Probability distributions (``torch.distributions``' namesake): sample, rsample, log_prob,
entropy and moments, with parameters checked against their constraints.

``Normal(loc, scale).rsample()`` is ``loc + scale * eps`` with eps ~ N(0, 1) drawn apart, so
gradients reach ``loc`` and ``scale`` (the reparameterisation trick); ``log_prob`` and
``entropy`` are built from tensor ops, so they differentiate with respect to the parameters.
"""

from . import constraints
from .bernoulli import Bernoulli
from .categorical import Categorical
from .distribution import Distribution
from .normal import Normal
from .uniform import Uniform

__all__ = ["Bernoulli", "Categorical", "Distribution", "Normal", "Uniform", "constraints"]
