"""``Wishart(df, covariance_matrix=None, precision_matrix=None, scale_tril=None)``: the law of
the scatter matrix of df Gaussian vectors."""

from __future__ import annotations

import math
import warnings
from numbers import Number

import numpy as np

from .. import linalg
from ..backend import np_finfo
from ..creation import arange, eye, randn, tensor
from ..ops.indexing import tril_indices
from ..tensor import Tensor, where
from . import constraints
from .chi2 import Chi2
from .distribution import Distribution
from .exp_family import ExponentialFamily
from .multivariate_normal import _precision_to_scale_tril
from .utils import lazy_property

_LOG_2 = math.log(2)


def _mvdigamma(x: Tensor, p: int) -> Tensor:
    """The multivariate digamma function, d/dx log Gamma_p(x) = sum_{i<p} digamma(x - i/2),
    defined for x > (p - 1) / 2."""
    if not bool(x.gt((p - 1) / 2).all()):
        raise AssertionError("Wrong domain for multivariate digamma function.")
    halves = arange(p, dtype=x.dtype, device=x.device).div(2).expand(x.shape + (-1,))
    return (x.unsqueeze(-1) - halves).digamma().sum(-1)


def _clamp_above_eps(x: Tensor) -> Tensor:
    """Positive ``x`` at least the dtype's machine epsilon."""
    return x.clamp(min=float(np_finfo(x.array.dtype).eps))


class Wishart(ExponentialFamily):
    """The Wishart distribution W_p(nu, Sigma) over p x p positive definite matrices, with
    ``df`` nu > p - 1 degrees of freedom and scale Sigma = L L^T given by exactly one of
    ``covariance_matrix`` (Sigma), ``precision_matrix`` (Sigma^-1) or ``scale_tril`` (L): for
    integer nu it is the law of sum_k x_k x_k^T with x_k ~ N(0, Sigma). Density

        log p(X) = -nu (p log 2 / 2 + log det L) - log Gamma_p(nu / 2)
                   + (nu - p - 1) / 2 log det X - tr(Sigma^-1 X) / 2

    (Gamma_p the multivariate gamma function). ``rsample`` is PyTorch's Bartlett
    decomposition: X = (L A)(L A)^T with A lower triangular, A_ii = sqrt(chi^2(nu - i)) (its
    chi-square drawn first) and A_ij ~ N(0, 1) below the diagonal (drawn next, row by row);
    differentiable in every parameter. In PyTorch 2.13 the flag by which it redraws singular
    samples is True where a sample is positive definite, so it draws every sample a second
    time (and warns "Singular sample detected." on every call); this does the same, so its
    samples are PyTorch's (to rounding), but warns only when a sample was singular. PyTorch's
    redraw then updates in place the flag its assignment indexed by, so its ``rsample``
    cannot backpropagate (autograd's version check fails); here it can. Where samples are
    near singular (df close to p - 1) the two libraries' Cholesky factorisations can judge
    one differently, and then their redraws, so their streams, part."""

    support = constraints.positive_definite
    has_rsample = True
    _mean_carrier_measure = 0

    @property
    def arg_constraints(self) -> dict:
        """The matrices' constraints, and df > p - 1."""
        return {
            "covariance_matrix": constraints.positive_definite,
            "precision_matrix": constraints.positive_definite,
            "scale_tril": constraints.lower_cholesky,
            "df": constraints.greater_than(self.event_shape[-1] - 1),
        }

    def __init__(
        self,
        df,
        covariance_matrix=None,
        precision_matrix=None,
        scale_tril=None,
        validate_args: bool | None = None,
    ) -> None:
        given = [m is not None for m in (covariance_matrix, precision_matrix, scale_tril)]
        if sum(given) != 1:
            raise AssertionError(
                "Exactly one of covariance_matrix or precision_matrix or scale_tril may be "
                "specified."
            )
        param = next(m for m in (covariance_matrix, precision_matrix, scale_tril) if m is not None)
        if param.ndim < 2:
            raise ValueError(
                "scale_tril must be at least two-dimensional, with optional leading batch "
                "dimensions"
            )
        if isinstance(df, Number):
            batch_shape = tuple(param.shape[:-2])
            self.df = tensor(df, dtype=param.dtype, device=param.device)
        else:
            batch_shape = tuple(np.broadcast_shapes(param.shape[:-2], df.shape))
            self.df = df.expand(batch_shape)
        event_shape = tuple(param.shape[-2:])
        p = event_shape[-1]
        if bool(self.df.le(p - 1).any()):
            raise ValueError(f"Value of df={df} expected to be greater than ndim - 1 = {p - 1}.")
        name = "scale_tril" if scale_tril is not None else None
        name = name or ("covariance_matrix" if covariance_matrix is not None else None)
        setattr(self, name or "precision_matrix", param.expand(batch_shape + (-1, -1)))
        if bool(self.df.lt(p).any()):
            warnings.warn(
                "Low df values detected. Singular samples are highly likely to occur for "
                "ndim - 1 < df < ndim.",
                stacklevel=2,
            )
        super().__init__(batch_shape, event_shape, validate_args=validate_args)
        self._batch_dims = [-(x + 1) for x in range(len(self._batch_shape))]
        if scale_tril is not None:
            self._unbroadcasted_scale_tril = scale_tril
        elif covariance_matrix is not None:
            self._unbroadcasted_scale_tril = linalg.cholesky(covariance_matrix)
        else:
            self._unbroadcasted_scale_tril = _precision_to_scale_tril(precision_matrix)
        self._dist_chi2 = self._bartlett_chi2()

    def _bartlett_chi2(self) -> Chi2:
        """chi^2(nu - i) for i < p: the squared diagonal of the Bartlett factor."""
        L = self._unbroadcasted_scale_tril
        offsets = arange(self._event_shape[-1], dtype=L.dtype, device=L.device)
        return Chi2(df=self.df.unsqueeze(-1) - offsets.expand(self._batch_shape + (-1,)))

    def expand(self, batch_shape, _instance=None) -> Wishart:
        """The same distribution with its parameters expanded to ``batch_shape``."""
        new = self._get_checked_instance(Wishart, _instance)
        batch_shape = tuple(batch_shape)
        cov_shape = batch_shape + self.event_shape
        new._unbroadcasted_scale_tril = self._unbroadcasted_scale_tril.expand(cov_shape)
        new.df = self.df.expand(batch_shape)
        new._batch_dims = [-(x + 1) for x in range(len(batch_shape))]
        for name in ("covariance_matrix", "scale_tril", "precision_matrix"):
            if name in self.__dict__:
                setattr(new, name, getattr(self, name).expand(cov_shape))
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        new._dist_chi2 = new._bartlett_chi2()
        return new

    @lazy_property
    def scale_tril(self) -> Tensor:
        """L, the lower Cholesky factor of Sigma."""
        return self._unbroadcasted_scale_tril.expand(self._batch_shape + self._event_shape)

    @lazy_property
    def covariance_matrix(self) -> Tensor:
        """Sigma = L L^T."""
        L = self._unbroadcasted_scale_tril
        return (L @ L.mT).expand(self._batch_shape + self._event_shape)

    @lazy_property
    def precision_matrix(self) -> Tensor:
        """Sigma^-1, solved from L."""
        L = self._unbroadcasted_scale_tril
        identity = eye(self._event_shape[-1], device=L.device, dtype=L.dtype)
        return identity.cholesky_solve(L).expand(self._batch_shape + self._event_shape)

    @property
    def mean(self) -> Tensor:
        """nu Sigma."""
        return self.df.view(self._batch_shape + (1, 1)) * self.covariance_matrix

    @property
    def mode(self) -> Tensor:
        """(nu - p - 1) Sigma, nan for nu <= p + 1."""
        factor = self.df - self.covariance_matrix.shape[-1] - 1
        factor = where(factor > 0, factor, math.nan)
        return factor.view(self._batch_shape + (1, 1)) * self.covariance_matrix

    @property
    def variance(self) -> Tensor:
        """Var X_ij = nu (Sigma_ij^2 + Sigma_ii Sigma_jj)."""
        V = self.covariance_matrix
        diag_V = V.diagonal(dim1=-2, dim2=-1)
        outer = diag_V.unsqueeze(-1) * diag_V.unsqueeze(-2)
        return self.df.view(self._batch_shape + (1, 1)) * (V.pow(2) + outer)

    def _bartlett_sampling(self, sample_shape=()) -> Tensor:
        """(L A)(L A)^T, A lower triangular: its diagonal sqrt(chi^2(nu - i)) (at least eps),
        then its p (p - 1) / 2 standard normals below the diagonal, in PyTorch's order."""
        p = self._event_shape[-1]
        noise = _clamp_above_eps(self._dist_chi2.rsample(sample_shape).sqrt()).diag_embed()
        i, j = tril_indices(p, p, offset=-1)
        noise[..., i, j] = randn(
            tuple(sample_shape) + self._batch_shape + (p * (p - 1) // 2,),
            dtype=noise.dtype,
            device=noise.device,
        )
        chol = self._unbroadcasted_scale_tril @ noise
        return chol @ chol.mT

    def rsample(self, sample_shape=(), max_try_correction=None) -> Tensor:
        """Bartlett samples, shape ``sample_shape + batch_shape + (p, p)``; then up to
        ``max_try_correction`` (10) redraws by PyTorch's flag (see the class docstring).
        Singular samples can remain, and have log_prob -inf."""
        max_try_correction = 10 if max_try_correction is None else max_try_correction
        sample_shape = tuple(sample_shape)
        sample = self._bartlett_sampling(sample_shape)
        positive_definite = self.support.check(sample)
        if not bool(positive_definite.all()):
            warnings.warn("Singular sample detected.", stacklevel=2)
        # PyTorch's flag, True where the sample is positive definite; copied (and the
        # redraws it causes) so that the draws are PyTorch's
        is_singular = positive_definite
        if self._batch_shape:
            is_singular = is_singular.amax(self._batch_dims)
        if bool(is_singular.any()):
            for _ in range(max_try_correction):
                sample_new = self._bartlett_sampling(is_singular[is_singular].shape)
                sample[is_singular] = sample_new
                is_singular_new = ~self.support.check(sample_new)
                if self._batch_shape:
                    is_singular_new = is_singular_new.amax(self._batch_dims)
                # a new flag, where PyTorch updates the old one in place: sample's backward
                # keeps the old one as its index (PyTorch's rsample cannot backpropagate)
                still = is_singular.clone()
                still[is_singular] = is_singular_new
                is_singular = still
                if not bool(is_singular.any()):
                    break
        return sample

    def log_prob(self, value) -> Tensor:
        """-nu (p log 2 / 2 + log det L) - log Gamma_p(nu / 2) + (nu - p - 1) / 2 log det X
        - tr(Sigma^-1 X) / 2."""
        if self._validate_args:
            self._validate_sample(value)
        nu, p = self.df, self._event_shape[-1]
        L = self._unbroadcasted_scale_tril
        log_det_L = L.diagonal(dim1=-2, dim2=-1).log().sum(-1)
        trace = value.cholesky_solve(L).diagonal(dim1=-2, dim2=-1).sum(dim=-1)
        return (
            -nu * (p * _LOG_2 / 2 + log_det_L)
            - (nu / 2).mvlgamma(p=p)
            + (nu - p - 1) / 2 * linalg.slogdet(value).logabsdet
            - trace / 2
        )

    def entropy(self) -> Tensor:
        """(p + 1)(p log 2 / 2 + log det L) + log Gamma_p(nu / 2)
        - (nu - p - 1) / 2 psi_p(nu / 2) + nu p / 2 (psi_p the multivariate digamma)."""
        nu, p = self.df, self._event_shape[-1]
        log_det_L = self._unbroadcasted_scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)
        return (
            (p + 1) * (p * _LOG_2 / 2 + log_det_L)
            + (nu / 2).mvlgamma(p=p)
            - (nu - p - 1) / 2 * _mvdigamma(nu / 2, p=p)
            + nu * p / 2
        )

    @property
    def _natural_params(self) -> tuple:
        nu, p = self.df, self._event_shape[-1]
        return -self.precision_matrix / 2, (nu - p - 1) / 2

    def _log_normalizer(self, x, y):
        p = self._event_shape[-1]
        return (y + (p + 1) / 2) * (-linalg.slogdet(-2 * x).logabsdet + _LOG_2 * p) + (
            y + (p + 1) / 2
        ).mvlgamma(p=p)
