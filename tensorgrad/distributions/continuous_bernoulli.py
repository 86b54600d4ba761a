"""``ContinuousBernoulli(probs=None, logits=None, lims=(0.499, 0.501))``: a Bernoulli-shaped
density on [0, 1]."""

from __future__ import annotations

import math
from numbers import Number

from ..creation import ones_like, rand, zeros_like
from ..grad_mode import no_grad
from ..nn.functional import binary_cross_entropy_with_logits
from ..tensor import Tensor, where
from . import constraints
from .distribution import Distribution
from .exp_family import ExponentialFamily
from .utils import broadcast_all, clamp_probs, lazy_property, logits_to_probs, probs_to_logits


class ContinuousBernoulli(ExponentialFamily):
    """The continuous Bernoulli (Loaiza-Ganem & Cunningham 2019) with parameter ``probs``
    lambda (or ``logits``): density C(lambda) lambda^x (1 - lambda)^(1 - x) on [0, 1], with
    normaliser C(lambda) = 2 atanh(1 - 2 lambda) / (1 - 2 lambda) (2 at lambda = 1/2).
    Inside ``lims`` around 1/2 the closed forms lose precision, so a Taylor expansion in
    (lambda - 1/2) is used there, as PyTorch does. ``rsample`` is the inverse CDF of a uniform
    draw (differentiable)."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    _mean_carrier_measure = 0
    has_rsample = True

    def __init__(self, probs=None, logits=None, lims=(0.499, 0.501), validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            is_scalar = isinstance(probs, Number)
            (self.probs,) = broadcast_all(probs)
            # validated here, before the clamp (PyTorch's order)
            if validate_args is not None:
                if not bool(self.arg_constraints["probs"].check(self.probs).all()):
                    raise ValueError("The parameter probs has invalid values")
            self.probs = clamp_probs(self.probs)
        else:
            is_scalar = isinstance(logits, Number)
            (self.logits,) = broadcast_all(logits)
        self._param = self.probs if probs is not None else self.logits
        batch_shape = () if is_scalar else self._param.shape
        self._lims = lims
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None) -> ContinuousBernoulli:
        """The same distribution with its parameter expanded to ``batch_shape``."""
        new = self._get_checked_instance(ContinuousBernoulli, _instance)
        new._lims = self._lims
        batch_shape = tuple(batch_shape)
        if "probs" in self.__dict__:
            new.probs = new._param = self.probs.expand(batch_shape)
        if "logits" in self.__dict__:
            new.logits = new._param = self.logits.expand(batch_shape)
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def _outside_unstable_region(self):
        return (self.probs <= self._lims[0]) | (self.probs > self._lims[1])

    def _cut_probs(self):
        return where(
            self._outside_unstable_region(), self.probs, self._lims[0] * ones_like(self.probs)
        )

    def _cont_bern_log_norm(self):
        """log C(lambda)."""
        cut_probs = self._cut_probs()
        below = where(cut_probs <= 0.5, cut_probs, zeros_like(cut_probs))
        above = where(cut_probs >= 0.5, cut_probs, ones_like(cut_probs))
        log_norm = ((-cut_probs).log1p() - cut_probs.log()).abs().log() - where(
            cut_probs <= 0.5, (-2.0 * below).log1p(), (2.0 * above - 1.0).log()
        )
        x = (self.probs - 0.5).pow(2)
        taylor = math.log(2.0) + (4.0 / 3.0 + 104.0 / 45.0 * x) * x
        return where(self._outside_unstable_region(), log_norm, taylor)

    @property
    def mean(self) -> Tensor:
        """lambda / (2 lambda - 1) + 1 / (2 atanh(1 - 2 lambda))."""
        cut_probs = self._cut_probs()
        mus = cut_probs / (2.0 * cut_probs - 1.0) + 1.0 / ((-cut_probs).log1p() - cut_probs.log())
        x = self.probs - 0.5
        taylor = 0.5 + (1.0 / 3.0 + 16.0 / 45.0 * x.pow(2)) * x
        return where(self._outside_unstable_region(), mus, taylor)

    @property
    def stddev(self) -> Tensor:
        """sqrt(variance)."""
        return self.variance.sqrt()

    @property
    def variance(self) -> Tensor:
        """lambda (lambda - 1) / (1 - 2 lambda)^2 + 1 / (2 atanh(1 - 2 lambda))^2."""
        cut_probs = self._cut_probs()
        variances = cut_probs * (cut_probs - 1.0) / (1.0 - 2.0 * cut_probs).pow(2) + 1.0 / (
            (-cut_probs).log1p() - cut_probs.log()
        ).pow(2)
        x = (self.probs - 0.5).pow(2)
        taylor = 1.0 / 12.0 - (1.0 / 15.0 - 128.0 / 945.0 * x) * x
        return where(self._outside_unstable_region(), variances, taylor)

    @lazy_property
    def logits(self) -> Tensor:
        """log(lambda / (1 - lambda)) of the clamped parameter."""
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self) -> Tensor:
        """sigmoid(logits), clamped to [eps, 1 - eps]."""
        return clamp_probs(logits_to_probs(self.logits, is_binary=True))

    @property
    def param_shape(self) -> tuple:
        """The shape of the parameter."""
        return self._param.shape

    def sample(self, sample_shape=()) -> Tensor:
        """``rsample`` without gradient."""
        with no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape=()) -> Tensor:
        """icdf(u) with u ~ U[0, 1): differentiable in the parameter."""
        shape = self._extended_shape(sample_shape)
        u = rand(shape, dtype=self.probs.dtype, device=self.probs.device)
        return self.icdf(u)

    def log_prob(self, value) -> Tensor:
        """x log lambda + (1 - x) log(1 - lambda) + log C(lambda)."""
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        bce = binary_cross_entropy_with_logits(logits, value, reduction="none")
        return -bce + self._cont_bern_log_norm()

    def cdf(self, value) -> Tensor:
        """(lambda^x (1 - lambda)^(1 - x) + lambda - 1) / (2 lambda - 1), clamped to [0, 1]
        outside the support (x inside ``lims``)."""
        if self._validate_args:
            self._validate_sample(value)
        cut_probs = self._cut_probs()
        cdfs = (cut_probs.pow(value) * (1.0 - cut_probs).pow(1.0 - value) + cut_probs - 1.0) / (
            2.0 * cut_probs - 1.0
        )
        unbounded_cdfs = where(self._outside_unstable_region(), cdfs, value)
        return where(
            value <= 0.0,
            zeros_like(value),
            where(value >= 1.0, ones_like(value), unbounded_cdfs),
        )

    def icdf(self, value) -> Tensor:
        """(log(1 - lambda + u (2 lambda - 1)) - log(1 - lambda)) / (log lambda -
        log(1 - lambda)) (u inside ``lims``)."""
        cut_probs = self._cut_probs()
        inverse = (
            (-cut_probs + value * (2.0 * cut_probs - 1.0)).log1p() - (-cut_probs).log1p()
        ) / (cut_probs.log() - (-cut_probs).log1p())
        return where(self._outside_unstable_region(), inverse, value)

    def entropy(self) -> Tensor:
        """mean (log(1 - lambda) - log lambda) - log C(lambda) - log(1 - lambda)."""
        log_probs0 = (-self.probs).log1p()
        log_probs1 = self.probs.log()
        return self.mean * (log_probs0 - log_probs1) - self._cont_bern_log_norm() - log_probs0

    @property
    def _natural_params(self) -> tuple:
        return (self.logits,)

    def _log_normalizer(self, x):
        out_unst_reg = (x <= self._lims[0] - 0.5) | (x > self._lims[1] - 0.5)
        cut_nat_params = where(out_unst_reg, x, (self._lims[0] - 0.5) * ones_like(x))
        log_norm = cut_nat_params.expm1().abs().log() - cut_nat_params.abs().log()
        taylor = 0.5 * x + x.pow(2) / 24.0 - x.pow(4) / 2880.0
        return where(out_unst_reg, log_norm, taylor)
